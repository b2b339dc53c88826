//! The site configurations the server knows, keyed by `site`: loaded from config files (`--site-config`) and
//! from the inline configs of HTML pages (`--www`).
//!
//! The server validates every record against its site's config (declared categories, current revision) and
//! takes the token lifetime from it (`reconsent_days`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use assent_core::Config;
use assent_core::fields::{MAX_SITE_ID_LEN, is_site_id};

pub use crate::html_scan::inline_configs;

/// Site configs by site id.
#[derive(Clone, Debug, Default)]
pub struct Sites {
    by_site: BTreeMap<String, Arc<SiteConfig>>,
}

/// One known site: its validated config and where it came from.
#[derive(Debug)]
pub struct SiteConfig {
    /// The validated config.
    pub config: Config,
    /// The file it was read from.
    pub source: PathBuf,
}

/// A config that could not be loaded. Start-up stops on these: a server that silently ignored a site's config
/// would refuse every record for it.
#[derive(Debug)]
pub struct SiteError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for SiteError {}

impl Sites {
    /// No sites.
    pub fn new() -> Sites {
        Sites::default()
    }

    /// The config for a site.
    pub fn get(&self, site: &str) -> Option<&Arc<SiteConfig>> {
        self.by_site.get(site)
    }

    /// Number of sites.
    pub fn len(&self) -> usize {
        self.by_site.len()
    }

    /// Whether no site is known.
    pub fn is_empty(&self) -> bool {
        self.by_site.is_empty()
    }

    /// Site ids, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_site.keys().map(String::as_str)
    }

    /// Adds a config. A site configured twice keeps the higher revision (a warning is logged); the same
    /// revision with a different content is refused.
    pub fn add(&mut self, config: Config, source: &Path) -> Result<(), SiteError> {
        let err = |message: String| SiteError {
            path: source.to_path_buf(),
            message,
        };
        let site = config.site.clone();
        if site.is_empty() {
            return Err(err("config has no \"site\"".into()));
        }
        if !is_site_id(&site) {
            return Err(err(format!(
                "site {site:?} must be 1-{MAX_SITE_ID_LEN} visible ASCII characters"
            )));
        }
        if let Some(existing) = self.by_site.get(&site) {
            if existing.config.revision == config.revision {
                if existing.config != config {
                    return Err(err(format!(
                        "site {site:?} revision {} is also defined differently in {}; bump the revision of one",
                        config.revision,
                        existing.source.display()
                    )));
                }
                return Ok(());
            }
            tracing::warn!(
                site,
                kept = existing.config.revision.max(config.revision),
                a = %existing.source.display(),
                b = %source.display(),
                "site configured twice with different revisions; keeping the higher one"
            );
            if existing.config.revision > config.revision {
                return Ok(());
            }
        }
        self.by_site.insert(
            site,
            Arc::new(SiteConfig {
                config,
                source: source.to_path_buf(),
            }),
        );
        Ok(())
    }

    /// Reads a JSON config file (`--site-config`).
    pub fn add_file(&mut self, path: &Path) -> Result<(), SiteError> {
        let text = std::fs::read_to_string(path).map_err(|e| SiteError {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let config = Config::from_json(&text).map_err(|e| SiteError {
            path: path.to_path_buf(),
            message: format!("invalid config: {e}"),
        })?;
        self.add(config, path)
    }

    /// Finds every inline config (`<script type="application/json" id="assent-config">`) in the `*.html` files
    /// under `dir`, recursively. Configs without a `site` are skipped with a warning (the browser falls back to
    /// the page's host name, which the server cannot know); invalid configs are errors. Returns how many configs
    /// were added.
    pub fn add_html_dir(&mut self, dir: &Path) -> Result<usize, SiteError> {
        let mut files = Vec::new();
        collect_html(dir, &mut files).map_err(|e| SiteError {
            path: dir.to_path_buf(),
            message: e.to_string(),
        })?;
        files.sort();
        let mut added = 0;
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                tracing::warn!(file = %file.display(), "skipping unreadable HTML file");
                continue;
            };
            for block in inline_configs(&text) {
                let config = Config::from_json(block).map_err(|e| SiteError {
                    path: file.clone(),
                    message: format!("invalid inline assent-config: {e}"),
                })?;
                if config.site.is_empty() {
                    tracing::warn!(file = %file.display(), "inline config has no \"site\"; skipped");
                    continue;
                }
                self.add(config, &file)?;
                added += 1;
            }
        }
        Ok(added)
    }
}

fn collect_html(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            // Built output and dependencies hold no site configs.
            if entry.file_name() != "node_modules" {
                collect_html(&path, out)?;
            }
        } else if kind.is_file()
            && path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"))
        {
            out.push(path);
        }
    }
    Ok(())
}
