//! The HTML report: one self-contained folder of pages (`index.html` and one page per
//! run) that opens offline, from a file or any static host.
//!
//! - [`run_page`]: one run: its timeline over the scenario's calendar (power and boots,
//!   bring-up steps, faults, IPv6 and IPv4, reboots by cause), NAPT occupancy, sessions
//!   per hour, reboots by hour of day, the trace as a table.
//! - [`suite_page`]: every (scenario, seed) of a `run` or of saved results.
//! - [`hypotheses_page`], [`diff_page`], [`bisect_page`]: those commands' pages.
//! - [`chart`]: axes, decimation and SVG number formats.
//!
//! Choices, and why:
//! - **maud** for the markup: templates are Rust (checked at compile time, no template
//!   files to ship) and every spliced string is HTML-escaped unless wrapped in
//!   `PreEscaped`, which only the constant stylesheet, script and SVG path data are; so
//!   a scenario's name or description cannot inject markup.
//! - **Hand-written SVG** instead of a plotting crate: the charts need CSS classes (light
//!   and dark themes from `prefers-color-scheme`), links and titles on marks, a viewBox in
//!   simulated seconds for the zoom, and min/max decimation; plotters' SVG backend draws
//!   fixed colours and every point, and would cost more code to bend than these few
//!   hundred lines.
//! - **Self-contained and safe**: inline CSS, inline SVG, one small inline script (the
//!   zoom), data for it as JSON in a `<script type="application/json">` block. A
//!   Content-Security-Policy allows nothing to be fetched and no script but ours (by its
//!   SHA-256), so even markup that slipped through could not run or call out.
//! - **Deterministic**: pages depend only on their inputs (no dates of generation, no
//!   hash-map order, fixed number formats), so the same input gives the same bytes.
//! - **Usable without JavaScript**: every chart is drawn for the whole run in the HTML;
//!   the script only adds zooming.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use sim_core::time::{Calendar, SimTime};

pub mod bisect_page;
pub mod chart;
pub mod diff_page;
pub mod hypotheses_page;
pub mod run_page;
pub mod suite_page;

/// The stylesheet of every page.
pub const STYLE: &str = include_str!("style.css");
/// The zoom script of run pages.
pub const SCRIPT: &str = include_str!("zoom.js");
/// `sha256-` and the base64 SHA-256 of [`SCRIPT`], for the Content-Security-Policy (a test
/// checks it and prints the right value when the script changed).
pub const SCRIPT_HASH: &str = "sha256-K+Lfsxw34PKU6lgtYUb5tH2DsUM6WDXqom1S18XSLGM=";

/// One file of a report folder: its name (relative, no folders) and contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub name: String,
    pub html: String,
}

/// A name safe as a file name and a URL path segment: letters, digits, `.`, `_` and `-`
/// kept, anything else `_`.
pub fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .take(80)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match s.trim_start_matches('.') {
        "" => "run".to_string(),
        t => t.to_string(),
    }
}

/// The file name of a run's page: `<scenario>@seed<S>.html`.
pub fn run_page_name(scenario: &str, seed: u64) -> String {
    format!("{}@seed{seed}.html", slug(scenario))
}

/// Unique page names for runs in report order (a second run with the same name and seed,
/// from another file, gets `-2`, and so on).
pub fn run_page_names<'a>(runs: impl IntoIterator<Item = (&'a str, u64)>) -> Vec<String> {
    let mut taken = std::collections::BTreeSet::new();
    runs.into_iter()
        .map(|(scenario, seed)| {
            let base = format!("{}@seed{seed}", slug(scenario));
            let mut name = format!("{base}.html");
            let mut n = 2;
            while !taken.insert(name.clone()) {
                name = format!("{base}-{n}.html");
                n += 1;
            }
            name
        })
        .collect()
}

/// A URL fragment that zooms a run page's charts to `[from, to]` (`#t=…/…`).
pub fn zoom_fragment(calendar: &Calendar, from: SimTime, to: SimTime) -> String {
    format!("#t={}/{}", iso(calendar, from), iso(calendar, to))
}

/// `2021-07-14T10:16:48`: the calendar's local time, as the zoom fragment spells it.
pub fn iso(calendar: &Calendar, t: SimTime) -> String {
    calendar.at(t).to_string().replacen(' ', "T", 1)
}

/// The whole page around `body`. `data` is the run page's `<main data-…>` and series
/// JSON for the zoom script (`None` on pages without time charts).
pub(crate) fn page(
    title: &str,
    body: Markup,
    main_data: Option<(i64, String)>,
    series: Option<&str>,
) -> String {
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src '{SCRIPT_HASH}'; base-uri 'none'; form-action 'none'"
    );
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy" content=(csp);
                meta name="color-scheme" content="light dark";
                meta name="generator" content=(concat!("fletsim ", env!("CARGO_PKG_VERSION")));
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                @match main_data {
                    Some((start, end)) => main data-start=(start) data-end=(end) { (body) },
                    None => main { (body) },
                }
                @if let Some(json) = series {
                    // Numbers only (built in run_page), so no `</script>` can occur in it.
                    script type="application/json" id="series" { (PreEscaped(json)) }
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    let mut html = markup.into_string();
    html.push('\n');
    html
}

/// The footer of every page.
pub(crate) fn footer(extra: Markup) -> Markup {
    html! {
        footer {
            "Made by fletsim " (env!("CARGO_PKG_VERSION")) ", a deterministic simulator of the Flets IPoE access chain. "
            "The same input gives this page byte for byte. " (extra)
        }
    }
}

/// A verdict badge.
pub(crate) fn verdict(passed: bool) -> Markup {
    html! {
        @if passed { span.badge.pass { "PASS" } } @else { span.badge.fail { "FAIL" } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_exactly_the_zoom_script() {
        use base64::Engine;
        use sha2::Digest;
        let digest = sha2::Sha256::digest(SCRIPT.as_bytes());
        let hash = format!(
            "sha256-{}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        );
        assert_eq!(SCRIPT_HASH, hash, "zoom.js changed: update SCRIPT_HASH");
    }

    #[test]
    fn slugs_are_safe_file_names() {
        assert_eq!(slug("reboots-180d"), "reboots-180d");
        assert_eq!(slug("<script>alert(1)</script>"), "_script_alert_1___script_");
        assert_eq!(slug("../../etc"), "_.._etc");
        assert_eq!(slug(""), "run");
        assert_eq!(slug("..."), "run");
        assert_eq!(
            run_page_names([("a", 1), ("a", 1), ("a", 2), ("a", 1)]),
            ["a@seed1.html", "a@seed1-2.html", "a@seed2.html", "a@seed1-3.html"]
        );
    }
}
