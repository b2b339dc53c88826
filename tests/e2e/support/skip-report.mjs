// Playwright reporter: a skipped test is not a pass. Lists every test that ended `skipped` (test.skip, test.fixme,
// a skipped describe), loudly at the end of the run and one title per line in $E2E_SKIP_REPORT, which
// `cargo xtask test` reads: under CI any line there fails the run. The file is written even when empty, so a run
// that lost this reporter is noticed too. Under CI the run itself fails as well, for runs outside xtask.
import fs from 'node:fs';
import path from 'node:path';

export default class SkipReport {
  constructor() {
    this.skipped = [];
  }

  onTestEnd(test, result) {
    if (result.status === 'skipped') this.skipped.push(test.titlePath().filter(Boolean).join(' › '));
  }

  onEnd() {
    const file = process.env.E2E_SKIP_REPORT;
    if (file) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, this.skipped.map((t) => `${t}\n`).join(''));
    }
    if (!this.skipped.length) return undefined;
    console.log(`\n!!! ${this.skipped.length} e2e test(s) SKIPPED (not passed):`);
    for (const t of this.skipped) console.log(`!!!   ${t}`);
    const ci = process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());
    return ci ? { status: 'failed' } : undefined;
  }

  printsToStdio() {
    return false;
  }
}
