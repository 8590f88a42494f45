//! The live notification widget in a real browser: headless Chromium,
//! driven through chromedriver (WebDriver), against the real `herald`
//! binary. Each test starts its own server, chromedriver and Chrome.
//!
//! Needs `/usr/bin/chromedriver` (Debian: `apt-get install chromium
//! chromium-driver`). Without it every test says SKIPPED and passes,
//! unless `HERALD_REQUIRE_BROWSER=1`, which makes a missing browser fail.

#[path = "e2e/common/mod.rs"]
mod common;

/// The e2e harness asks which store its servers run on.
const BACKEND: common::Backend = common::Backend::Sqlite;

#[path = "browser/harness.rs"]
mod harness;

#[path = "browser/content.rs"]
mod content;
#[path = "browser/embed.rs"]
mod embed;
#[path = "browser/live.rs"]
mod live;
