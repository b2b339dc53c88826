// Renders the e2e fixture pages from one template and per-page data (pages/template.html, pages/pages.json):
// the pages differ only in title, config and one inline blocked script, so each case is a few lines of data.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PAGES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'pages');

/** `base` with `over` laid on key by key; a null in `over` removes the key. */
function merge(base, over) {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

function escapeHtml(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function inlineScript({ name, nonce }) {
  const attr = nonce ? ` nonce="${nonce}"` : '';
  return `<script type="text/plain" data-assent="analytics"${attr}>(window.__standins = window.__standins || []).push({ name: '${name}', category: 'analytics', at: performance.now() });</script>\n`;
}

/** Every fixture page as `[file, html]`. */
export function renderPages() {
  const template = fs.readFileSync(path.join(PAGES_DIR, 'template.html'), 'utf8');
  const { base_config: base, pages } = JSON.parse(fs.readFileSync(path.join(PAGES_DIR, 'pages.json'), 'utf8'));
  return pages.map((page) => {
    const config = JSON.stringify(merge(base, page.config), null, 2);
    const inline = page.inline ? inlineScript(page.inline) : '';
    const html = template
      .replaceAll('{{TITLE}}', escapeHtml(page.title))
      .replace('{{CONFIG}}', config)
      .replace('{{BOOTSTRAP_ATTRS}}', Object.entries(page.bootstrap_attrs || {}).map(([k, v]) => ` ${k}="${escapeHtml(v)}"`).join(''))
      .replace('{{INLINE_AFTER_FIRST}}', page.inline?.at === 'after_first' ? inline : '')
      .replace('{{INLINE_LAST}}', page.inline?.at === 'last' ? inline : '');
    return [page.file, html];
  });
}
