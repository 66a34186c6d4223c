//! Headless Chromium for tests: `tests/browser/run.mjs` (playwright-core) drives the Debian
//! `/usr/bin/chromium` (never a downloaded browser) through a list of steps and reports the
//! final URL, the page text and the URLs of the browser's requests to a prefix (say, a
//! client's redirect URI: recorded even when reached by a redirect, or when nothing listens
//! there and the page ends on Chromium's error page).
//!
//! ```ignore
//! let run = browser::run(json!({
//!     "capture_prefix": "http://127.0.0.1:9/callback",
//!     "steps": [
//!         {"goto": authorize_url},
//!         {"click": {"role": "button", "name": "Kristin Haugen"}},
//!         {"wait_for_url": "http://127.0.0.1:9/callback"}
//!     ]
//! })).await;
//! assert!(run.ok, "{run:?}");
//! ```
//!
//! Steps: `goto`, `click` / `fill` / `select` (a target by `role`+`name`, `label`, `text` or
//! CSS `selector`; `fill` and `select` take a `value`), `wait_for_url` (a prefix),
//! `expect_text`. Each step waits at most `timeout_ms` (default 20 s) and the run stops by
//! itself. Needs `npm ci` in `tests/browser` and Chromium (`scripts/test` installs both;
//! `CHROMIUM_PATH` names another Chromium than `/usr/bin/chromium`).

#![allow(dead_code)]

use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

use crate::support::oidc_op::{node_dir, test_stderr};

/// What the browser saw.
#[derive(Debug, Deserialize)]
pub struct BrowserRun {
    pub ok: bool,
    /// The page's URL at the end (or when a step failed).
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub title: String,
    /// The visible text of the last page.
    #[serde(default)]
    pub text: String,
    /// The browser's navigation requests to `capture_prefix`, in order.
    #[serde(default)]
    pub captured: Vec<String>,
    /// Why the run failed, and at which step.
    pub error: Option<String>,
    pub step: Option<usize>,
}

/// Runs the plan in a fresh headless Chromium, off the async runtime (the gateway under test
/// keeps serving meanwhile).
pub async fn run(plan: Value) -> BrowserRun {
    let dir = node_dir("browser");
    let output = actix_web::rt::task::spawn_blocking(move || {
        Command::new("node")
            .arg(dir.join("run.mjs"))
            .arg(plan.to_string())
            .current_dir(&dir)
            .stderr(test_stderr())
            .output()
            .expect("node runs (is Node.js installed?)")
    })
    .await
    .expect("the browser run ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("the browser runner said something unreadable ({e}): {stdout}"))
}
