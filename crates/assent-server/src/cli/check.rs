//! `assent check FILE|URL…`: validates site configs — a config JSON file, or the inline configs
//! (`<script type="application/json" id="assent-config">`) of an HTML page, from a file or an http(s) URL.
//!
//! The rules are the server's: [`Config::from_json`], the strict text reader (the browser validates the same tree
//! after its own `JSON.parse`, so only duplicate keys and syntax are caught here alone), then the site-id rule and
//! the same-revision conflict check of [`Sites::add`] across every config checked in one run.
//!
//! Output on stdout: `OK <source>` per valid config, or `<source>: <path>: <message>` per problem
//! (`<source>: <message>` for problems of the text itself: syntax, duplicate keys). A config in an HTML page is
//! named `<page>:<line>`, the line where its JSON starts. Exit 0 when all are valid, 1 when any is invalid, 2 when
//! an input could not be read (the reason on stderr); every input is checked either way. On stderr, notes on a
//! valid config's settings that do nothing (`check_notes`): they change neither the verdict nor the exit code.

use std::path::Path;

use assent_core::Config;
use assent_server::sites::{Sites, inline_configs};
use clap::Args;

use super::output::{CmdResult, Failure, Io, say};

/// Largest document read from a file or URL.
const MAX_DOCUMENT_BYTES: u64 = 8 << 20;

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Config JSON files, HTML pages, or http(s) URLs of either. A `.json` file is a config, a `.html`/`.htm`
    /// file a page; otherwise (and for URLs, after the content type) a document starting with `<` is a page.
    #[arg(required = true, value_name = "FILE|URL")]
    inputs: Vec<String>,
}

/// What a document holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Config,
    Page,
}

/// Totals of a run.
#[derive(Default)]
struct Tally {
    checked: usize,
    invalid: usize,
    unreadable: usize,
}

pub(crate) fn run(args: &CheckArgs, io: &mut Io<'_>) -> CmdResult {
    let mut sites = Sites::new();
    let mut tally = Tally::default();
    for input in &args.inputs {
        let (text, kind) = match read(input) {
            Ok(doc) => doc,
            Err(reason) => {
                say!(io.err, "assent: {reason}")?;
                tally.unreadable += 1;
                continue;
            }
        };
        match kind {
            Kind::Config => check_one(input, &text, &text, &mut sites, &mut tally, io)?,
            Kind::Page => {
                let blocks = inline_configs(&text);
                if blocks.is_empty() {
                    say!(
                        io.err,
                        "assent: {input}: no <script type=\"application/json\" id=\"assent-config\"> in the page"
                    )?;
                    tally.unreadable += 1;
                }
                for block in blocks {
                    let (line, _) = line_column(&text, offset_in(&text, block));
                    let source = format!("{input}:{line}");
                    check_one(&source, &text, block, &mut sites, &mut tally, io)?;
                }
            }
        }
    }
    let Tally {
        checked,
        invalid,
        unreadable,
    } = tally;
    let configs = if checked == 1 { "config" } else { "configs" };
    if unreadable > 0 {
        let inputs = if unreadable == 1 { "input" } else { "inputs" };
        return Err(Failure::error(format!(
            "{unreadable} {inputs} could not be read; {invalid} of {checked} {configs} checked are invalid"
        )));
    }
    if invalid > 0 {
        return Err(Failure::invalid(format!(
            "{invalid} of {checked} {configs} invalid"
        )));
    }
    Ok(())
}

/// Checks the config `json`, a part of `text` (all of it for a config file; one inline block of a page), and
/// prints the verdict.
fn check_one(
    source: &str,
    text: &str,
    json: &str,
    sites: &mut Sites,
    tally: &mut Tally,
    io: &mut Io<'_>,
) -> CmdResult {
    tally.checked += 1;
    let config = match Config::from_json(json) {
        Ok(config) => config,
        Err(e) => {
            tally.invalid += 1;
            for field in &e.errors {
                if field.path.is_empty() {
                    // Only text-level problems carry no path: say where they are in the file.
                    let at = match assent_core::json::parse(json) {
                        Err(syntax) => {
                            let (line, column) =
                                line_column(text, offset_in(text, json) + syntax.offset);
                            format!(" (line {line}, column {column})")
                        }
                        Ok(_) => String::new(),
                    };
                    say!(io.out, "{source}: {}{at}", field.message)?;
                } else {
                    say!(io.out, "{source}: {}: {}", field.path, field.message)?;
                }
            }
            return Ok(());
        }
    };
    let no_site = config.site.is_empty();
    let notes = super::check_notes::notes(&config);
    if let Err(e) = sites.add(config, Path::new(source)) {
        // With no site the browser uses the page's host name; the server's site-id rule is for ids it is given.
        if !no_site {
            tally.invalid += 1;
            return say!(io.out, "{source}: site: {}", e.message);
        }
    }
    if no_site {
        say!(
            io.err,
            "assent: note: {source} has no \"site\": the browser uses the page's host name, and `assent serve --www` skips this config"
        )?;
    }
    for note in notes {
        say!(io.err, "assent: note: {source}: {note}")?;
    }
    say!(io.out, "OK {source}")
}

/// Where `part`, a slice of `text`, starts in it.
fn offset_in(text: &str, part: &str) -> usize {
    part.as_ptr().addr() - text.as_ptr().addr()
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.split(|&b| b == b'\n').count();
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Reads an input and tells a config from a page. The error is the whole message (it names the input).
fn read(input: &str) -> Result<(String, Kind), String> {
    if input.starts_with("http://") || input.starts_with("https://") {
        let fetched = super::http::get(input, MAX_DOCUMENT_BYTES).map_err(|f| f.message)?;
        let kind = if fetched.content_type.contains("html") {
            Kind::Page
        } else if fetched.content_type.contains("json") {
            Kind::Config
        } else {
            sniff(&fetched.body)
        };
        return Ok((fetched.body, kind));
    }
    let path = Path::new(input);
    let size = std::fs::metadata(path)
        .map_err(|e| format!("{input}: {e}"))?
        .len();
    if size > MAX_DOCUMENT_BYTES {
        return Err(format!(
            "{input}: {size} bytes; larger than any page or config ({MAX_DOCUMENT_BYTES} bytes)"
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{input}: {e}"))?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let kind = match extension.as_deref() {
        Some("json") => Kind::Config,
        Some("html" | "htm") => Kind::Page,
        _ => sniff(&text),
    };
    Ok((text, kind))
}

fn sniff(text: &str) -> Kind {
    if text.trim_start().starts_with('<') {
        Kind::Page
    } else {
        Kind::Config
    }
}

#[cfg(test)]
mod tests {
    use super::line_column;

    #[test]
    fn line_and_column_count_characters() {
        let text = "ab\ncé{x";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        assert_eq!(line_column(text, text.find('{').unwrap()), (2, 3));
    }
}
