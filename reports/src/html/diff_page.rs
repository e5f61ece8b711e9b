//! The page of `fletsim diff OLD NEW --report DIR`: per run that changed, the outcome paths
//! side by side (old, new), then the two runs' timelines one above the other on one time
//! scale, rebuilt from the outcomes (boots, and each family up after each boot); then the
//! runs only one side has.

use maud::html;

use super::run_page::timeline_svg;
use super::{footer, page};
use crate::diff::{Change, OutcomeDiff, RunKey};
use crate::timeline::Timeline;

/// A run that changed, with the timelines of its two sides (`None`: that side's outcome
/// could not be read as an outcome of this fletsim).
#[derive(Clone, Debug)]
pub struct ChangedRun {
    pub key: RunKey,
    pub changes: Vec<Change>,
    pub old: Option<Timeline>,
    pub new: Option<Timeline>,
}

/// The diff's page: `old` and `new` name the two sides as given.
pub fn render(old: &str, new: &str, diff: &OutcomeDiff, changed: &[ChangedRun]) -> String {
    let body = html! {
        h1 { "What changed" " " @if diff.is_identical() { span.badge.pass { "identical" } } @else { span.badge.fail { "different" } } }
        div.meta {
            span { "old " b.mono { (old) } }
            span { "new " b.mono { (new) } }
            span { (diff.summary()) }
        }
        @for (i, run) in changed.iter().enumerate() {
            section id=(format!("run-{}", i + 1)) {
                h2 { (run.key.0) " " span.note { "seed " (run.key.1) } }
                @let (a, b) = aligned(run.old.as_ref(), run.new.as_ref());
                p.diffside { "old" }
                @match &a { Some(t) => (timeline_svg(t, false)), None => p.note { "(not an outcome this fletsim reads: no timeline)" } }
                p.diffside { "new" }
                @match &b { Some(t) => (timeline_svg(t, false)), None => p.note { "(not an outcome this fletsim reads: no timeline)" } }
                p.diffside { (run.changes.len()) " outcome paths changed" }
                div.scroll {
                    table.changes {
                        thead { tr { th { "outcome path" } th { "old" } th { "new" } } }
                        tbody {
                            @for c in &run.changes {
                                tr { td { code { (c.path) } } td.old { code { (c.old) } } td.new { code { (c.new) } } }
                            }
                        }
                    }
                }
            }
        }
        @if !diff.only_old.is_empty() {
            h2 { "Only in old" }
            ul { @for (s, seed) in &diff.only_old { li { (s) " (seed " (seed) ")" } } }
        }
        @if !diff.only_new.is_empty() {
            h2 { "Only in new" }
            ul { @for (s, seed) in &diff.only_new { li { (s) " (seed " (seed) ")" } } }
        }
        @if !changed.is_empty() {
            p.note { "The timelines are rebuilt from the outcomes: the boots by cause, and IPv6 and IPv4 up from each boot's time to each family until the next boot (outages without a reboot are not in an outcome)." }
        }
        (footer(html! {}))
    };
    page("Outcome diff · fletsim", body, None, None)
}

/// Both timelines on the longer run's time scale.
fn aligned(old: Option<&Timeline>, new: Option<&Timeline>) -> (Option<Timeline>, Option<Timeline>) {
    let end = old.iter().chain(new.iter()).map(|t| t.end).max();
    let fit = |t: Option<&Timeline>| {
        t.map(|t| {
            let mut t = t.clone();
            if let Some(e) = end {
                t.end = e;
            }
            t
        })
    };
    (fit(old), fit(new))
}
