//! The page of `fletsim bisect … --report DIR`: what was searched, every probe in order
//! with how many seeds held, the answer, and links to the pages of the decisive runs
//! (both sides of a threshold, the minimal fault set's run, the `--when` run zoomed to
//! the moment).

use maud::html;

use super::{footer, page};

/// One probe: what was tried, how many seeds held, and whether it counts as holding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeRow {
    pub tried: String,
    pub held: String,
    pub holds: bool,
}

/// A bisection's page inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BisectView {
    /// What was searched (the command's first line).
    pub heading: String,
    /// The command that repeats the search.
    pub command: String,
    /// What the probes tried (`value`, `faults kept`).
    pub tried: String,
    pub probes: Vec<ProbeRow>,
    /// The answer, as the command prints it.
    pub answer: String,
    /// The decisive runs: what each is and its page (with a fragment, maybe).
    pub runs: Vec<(String, String)>,
    /// Text the command printed after the answer (a minimal scenario, the trace around a moment).
    pub details: Option<String>,
}

/// The page.
pub fn render(view: &BisectView) -> String {
    let body = html! {
        h1 { "Bisection" }
        p { (view.heading) }
        p { "Repeat: " code { (view.command) } }
        h2 { "Answer" }
        p { b { (view.answer) } }
        @if !view.runs.is_empty() {
            ul {
                @for (what, href) in &view.runs { li { a href=(href) { (what) } } }
            }
        }
        @if !view.probes.is_empty() {
            h2 { "Probes" }
            table {
                thead { tr { th.num { "probe" } th { (view.tried) } th.num { "seeds held" } th { "holds" } } }
                tbody {
                    @for (i, p) in view.probes.iter().enumerate() {
                        tr { td.num { (i + 1) } td { code { (p.tried) } } td.num { (p.held) }
                             td { @if p.holds { span.pass { "yes" } } @else { span.fail { "no" } } } }
                    }
                }
            }
        }
        @if let Some(d) = &view.details {
            h2 { "Details" }
            pre { (d) }
        }
        (footer(html! {}))
    };
    page("Bisection · fletsim", body, None, None)
}
