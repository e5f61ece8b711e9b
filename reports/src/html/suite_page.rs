//! The index of a suite (`fletsim run`, `fletsim report`): every (scenario, seed) with its
//! verdict, its failed expectations and their actual values, the command that reproduces
//! it and a link to its page; then the share expectations of seed sweeps with the seeds
//! that missed and the 95 % interval of the observed share.

use maud::html;

use super::{footer, page, verdict};
use crate::RunRecord;
use crate::sweep::ShareVerdict;

/// The suite's page. `links` holds each record's page name (same order), `None` when it
/// has none; `title` says what ran (`fletsim run scenarios/`).
pub fn render(
    title: &str,
    records: &[RunRecord],
    shares: &[ShareVerdict],
    links: &[Option<String>],
) -> String {
    let failed = records.iter().filter(|r| !r.passed).count();
    let shares_failed = shares.iter().filter(|s| !s.met).count();
    let all_passed = failed == 0 && shares_failed == 0;
    let body = html! {
        h1 { (title) " " (verdict(all_passed)) }
        div.cards {
            div.card { div.k { "runs" } div.v { (records.len()) } div.s { "scenario × seed" } }
            div.card { div.k { "passed" } div.v.pass { (records.len() - failed) } }
            div.card { div.k { "failed" } div.v class=[(failed > 0).then_some("fail")] { (failed) } }
            @if !shares.is_empty() {
                div.card {
                    div.k { "share expectations" } div.v class=[(shares_failed > 0).then_some("fail")] { (shares.len() - shares_failed) "/" (shares.len()) }
                    div.s { "met over their seeds" }
                }
            }
        }
        h2 { "Runs" }
        table {
            thead {
                tr {
                    th { "scenario" } th.num { "seed" } th { "verdict" } th.num { "boots" } th.num { "IPv4 first up" }
                    th { "failed expectations (actual)" } th { "reproduce" }
                }
            }
            tbody {
                @for (i, r) in records.iter().enumerate() {
                    tr.failed[!r.passed] {
                        td {
                            // The file is in the reproduce command.
                            @match links.get(i).and_then(|l| l.as_deref()) {
                                Some(href) => a href=(href) { (r.scenario) },
                                None => (r.scenario),
                            }
                        }
                        td.num { (r.seed) }
                        td { (verdict(r.passed)) }
                        td.num { (r.outcome.gateway.boots) }
                        td.num { (r.outcome.ipv4.first_up.map_or("never".to_string(), |d| d.to_string())) }
                        td {
                            @for e in r.failed_expectations() {
                                div { code { (e.text) } " " span.note { "(actual: " code { (e.actual) } ")" } }
                            }
                        }
                        td { code { (r.reproduce_command()) } }
                    }
                }
            }
        }
        @if !shares.is_empty() {
            h2 { "Share expectations" }
            p.note { "Judged over every seed of a sweep: met when the expectation held at least at the required share of the seeds that ran. The interval is the 95 % Wilson interval of the observed share." }
            table {
                thead { tr { th { "scenario" } th { "expectation" } th { "verdict" } th { "held" } th { "seeds that missed" } th { "reproduce" } } }
                tbody {
                    @for s in shares {
                        tr.failed[!s.met] {
                            td { (s.scenario) br; span.note.mono { (s.file) } }
                            td { code { (s.text) } }
                            td { (verdict(s.met)) }
                            td { (s.describe()) }
                            td.mono {
                                @if s.missed_seeds.is_empty() { "none" }
                                @else { (s.missed_seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")) }
                            }
                            td { code { (s.reproduce_command()) } }
                        }
                    }
                }
            }
        }
        (footer(html! {}))
    };
    page(&format!("{title} · fletsim"), body, None, None)
}
