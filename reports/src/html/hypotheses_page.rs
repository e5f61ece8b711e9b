//! The page of `fletsim hypotheses`: the ranking, then per hypothesis the evidence's and
//! the simulated intervals between reboots as empirical distribution functions on one
//! chart (the KS distance marked where it is largest), the hour-of-day histograms side by
//! side on one scale, the four test statistics with their p-values, the score and the
//! verdict, and links to the simulated runs' pages.

use maud::{Markup, PreEscaped, html};

use super::chart::{self, num};
use super::{footer, page};

/// A statistic and its p-value; `None` when the test was left out (too little evidence
/// or simulation for it), shown as "left out".
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stat {
    pub value: Option<f64>,
    pub p_value: Option<f64>,
}

/// What a device log says about spontaneous reboots (the evidence's, or the pooled
/// simulated logs of one hypothesis).
#[derive(Clone, Debug, PartialEq)]
pub struct LogSample {
    pub reboots: usize,
    /// Days the log's synced entries span.
    pub days: f64,
    /// Hours between consecutive spontaneous reboots.
    pub intervals_hours: Vec<f64>,
    /// Spontaneous reboots with a synced clock, by hour of day.
    pub hours: [u64; 24],
}

impl LogSample {
    fn timed(&self) -> u64 {
        self.hours.iter().sum()
    }
}

/// One hypothesis compared with the evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct HypothesisView {
    pub name: String,
    pub file: String,
    pub description: Option<String>,
    /// Seeds run and pooled.
    pub seeds: Vec<u64>,
    pub rate: Stat,
    pub intervals: Stat,
    pub hours: Stat,
    pub night_share: Stat,
    /// Fisher's combination of the p-values of the tests not left out.
    pub score: Option<f64>,
    pub consistent: bool,
    pub simulated: LogSample,
    /// Page names of the simulated runs, by seed (empty when none were written).
    pub run_pages: Vec<(u64, String)>,
}

/// The page: `evidence` is the log's file and sample; `ranked` best first; `level` the
/// significance level of the verdicts.
pub fn render(evidence_file: &str, evidence: &LogSample, ranked: &[HypothesisView], level: f64) -> String {
    let rate = if evidence.days > 0.0 {
        evidence.reboots as f64 / evidence.days
    } else {
        0.0
    };
    let night: u64 = evidence.hours[..6].iter().sum();
    let body = html! {
        h1 { "Which reboot hypothesis fits the log?" }
        div.meta {
            span { "evidence " b.mono { (evidence_file) } }
            span { b { (evidence.reboots) } " spontaneous reboots over " b { (format!("{:.1}", evidence.days)) } " days (" (format!("{rate:.3}")) "/day)" }
            span { (evidence.intervals_hours.len()) " intervals · " (night) " of " (evidence.timed()) " timed reboots at 00–06" }
        }
        p.note {
            "Each hypothesis is a scenario, run at several seeds; its simulated device logs are read by the same parser as the evidence and pooled. "
            "Four tests compare them with the evidence, each with a p-value: the reboot rate (Poisson), the intervals between reboots (two-sample Kolmogorov–Smirnov), "
            "the hours of day (chi-square) and the night share (00–06). The score is Fisher's combination of the four; a hypothesis is consistent when its score is at least "
            (level) "."
        }
        table {
            thead { tr {
                th.num { "rank" } th { "hypothesis" } th.num { "rate/day (p)" } th.num { "intervals KS D (p)" }
                th.num { "hours χ² (p)" } th.num { "night share (p)" } th.num { "score" } th { "verdict" }
            } }
            tbody {
                @for (i, h) in ranked.iter().enumerate() {
                    tr.failed[!h.consistent] {
                        td.num { (i + 1) }
                        td { a href=(format!("#h-{}", i + 1)) { (h.name) } }
                        td.num { (cell(h.rate, 3)) }
                        td.num { (cell(h.intervals, 3)) }
                        td.num { (cell(h.hours, 1)) }
                        td.num { (cell(h.night_share, 3)) }
                        td.num { (p(h.score)) }
                        td { (verdict_text(h, level)) }
                    }
                }
            }
        }
        @for (i, h) in ranked.iter().enumerate() {
            section.hypothesis id=(format!("h-{}", i + 1)) {
                h2 { (i + 1) ". " (h.name) " " (verdict_text(h, level)) }
                div.meta {
                    span { "file " b.mono { (h.file) } }
                    span { "seeds " (seeds_text(&h.seeds)) " pooled: " b { (h.simulated.reboots) } " reboots over " (format!("{:.1}", h.simulated.days)) " days, " (h.simulated.intervals_hours.len()) " intervals" }
                }
                @if let Some(d) = &h.description { pre.description { (d.trim_end()) } }
                div.grid2 {
                    figure {
                        (ecdf_svg(&evidence.intervals_hours, &h.simulated.intervals_hours, h.intervals.value))
                        figcaption { "Intervals between spontaneous reboots: the share of intervals up to each length, for the evidence and for the pooled simulated runs (see the legend). The red bar is the KS distance D, where the two are furthest apart." }
                    }
                    div {
                        table {
                            thead { tr { th { "test" } th.num { "statistic" } th.num { "p-value" } } }
                            tbody {
                                tr { td { "rate (reboots per day, simulated)" } td.num { (value(h.rate, 3)) } td.num { (p(h.rate.p_value)) } }
                                tr { td { "intervals (KS distance D)" } td.num { (value(h.intervals, 3)) } td.num { (p(h.intervals.p_value)) } }
                                tr { td { "hours of day (χ²)" } td.num { (value(h.hours, 1)) } td.num { (p(h.hours.p_value)) } }
                                tr { td { "night share (simulated, 00–06)" } td.num { (value(h.night_share, 3)) } td.num { (p(h.night_share.p_value)) } }
                                tr { td { b { "score (Fisher)" } } td.num {} td.num { b { (p(h.score)) } } }
                            }
                        }
                        @if !h.run_pages.is_empty() {
                            p { "Simulated runs: "
                                @for (j, (seed, href)) in h.run_pages.iter().enumerate() {
                                    @if j > 0 { ", " }
                                    a href=(href) { "seed " (seed) }
                                }
                            }
                        }
                    }
                }
                div.grid2 {
                    @let top = hour_top(evidence, &h.simulated);
                    figure {
                        (hours_svg(&evidence.hours, top, "bar-ev", "evidence"))
                        figcaption { "Evidence: " (evidence.timed()) " timed reboots by hour of day (share of all)." }
                    }
                    figure {
                        (hours_svg(&h.simulated.hours, top, "bar-sim", "simulated"))
                        figcaption { "Simulated: " (h.simulated.timed()) " reboots of " (h.seeds.len()) " runs by hour of day (share of all), on the same scale." }
                    }
                }
            }
        }
        (footer(html! {}))
    };
    page("Reboot hypotheses · fletsim", body, None, None)
}

fn p(x: Option<f64>) -> String {
    let Some(x) = x else {
        return "left out".into();
    };
    if x < 0.0001 {
        "<0.0001".into()
    } else {
        format!("{x:.4}")
    }
}

fn cell(s: Stat, digits: usize) -> String {
    match s.value {
        Some(v) => format!("{v:.*} ({})", digits, p(s.p_value)),
        None => "left out".into(),
    }
}

/// A statistic's value with `digits` decimals, or "left out".
fn value(s: Stat, digits: usize) -> String {
    s.value
        .map_or_else(|| "left out".into(), |v| format!("{v:.*}", digits))
}

fn seeds_text(seeds: &[u64]) -> String {
    match (seeds.first(), seeds.last()) {
        (Some(a), Some(b)) if a != b => format!("{a}..{b}"),
        (Some(a), _) => a.to_string(),
        _ => "none".into(),
    }
}

fn verdict_text(h: &HypothesisView, level: f64) -> Markup {
    let weak: Vec<&str> = [
        ("rate", h.rate),
        ("intervals", h.intervals),
        ("hours", h.hours),
        ("night share", h.night_share),
    ]
    .iter()
    .filter(|(_, s)| s.p_value.is_some_and(|p| p < level))
    .map(|(n, _)| *n)
    .collect();
    html! {
        @if h.consistent { span.badge.pass { "consistent" } }
        @else {
            span.badge.fail { "inconsistent" }
            @if !weak.is_empty() { " " span.note { "(" (weak.join(", ")) ")" } }
        }
    }
}

/// The ECDF of `xs` (sorted) at `x`: the share of values at or below it.
fn ecdf_at(xs: &[f64], x: f64) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.partition_point(|v| *v <= x) as f64 / xs.len() as f64
}

fn sorted(xs: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// The two ECDFs of the intervals (in days) on one chart, with the KS distance marked.
fn ecdf_svg(evidence_hours: &[f64], simulated_hours: &[f64], d: Option<f64>) -> Markup {
    let d_text = d.map_or_else(|| "left out".to_string(), |d| format!("{d:.3}"));
    let ev: Vec<f64> = sorted(evidence_hours).into_iter().map(|h| h / 24.0).collect();
    let sim: Vec<f64> = sorted(simulated_hours).into_iter().map(|h| h / 24.0).collect();
    let (left, top, w, h) = (48.0, 10.0, 470.0, 220.0);
    let xmax = chart::axis_top(ev.iter().chain(&sim).copied().fold(0.0, f64::max));
    let x = |v: f64| left + v / xmax * w;
    let y = |f: f64| top + h - f * h;
    let path = |xs: &[f64]| chart::ecdf_path(xs.iter().map(|v| x(*v)), xs.len(), x(0.0), x(xmax), y);
    // Where the two step functions are furthest apart: at a jump of either, on the jump's
    // right (the value there) or its left (the limit just before it).
    let below = |xs: &[f64], x: f64| {
        if xs.is_empty() {
            0.0
        } else {
            xs.partition_point(|v| *v < x) as f64 / xs.len() as f64
        }
    };
    let widest = ev
        .iter()
        .chain(&sim)
        .flat_map(|v| {
            [
                (*v, ecdf_at(&ev, *v), ecdf_at(&sim, *v)),
                (*v, below(&ev, *v), below(&sim, *v)),
            ]
        })
        .max_by(|a, b| (a.1 - a.2).abs().total_cmp(&(b.1 - b.2).abs()));
    html! {
        svg.chart viewBox=(format!("0 0 {} {}", num(left + w + 20.0), num(top + h + 44.0))) role="img"
            aria-label=(format!("ECDFs of the intervals between reboots, KS distance {d_text}")) {
            @for f in [0.0, 0.25, 0.5, 0.75, 1.0] {
                line.grid x1=(num(left)) x2=(num(left + w)) y1=(num(y(f))) y2=(num(y(f))) {}
                text.axis x=(num(left - 6.0)) y=(num(y(f) + 4.0)) text-anchor="end" { (chart::label(f)) }
            }
            @for v in chart::linear_ticks(xmax) {
                line.tick x1=(num(x(v))) x2=(num(x(v))) y1=(num(top + h)) y2=(num(top + h + 5.0)) {}
                text.axis x=(num(x(v))) y=(num(top + h + 18.0)) text-anchor="middle" { (chart::label(v)) }
            }
            line.frame x1=(num(left)) x2=(num(left + w)) y1=(num(top + h)) y2=(num(top + h)) {}
            text.axis x=(num(left + w / 2.0)) y=(num(top + h + 36.0)) text-anchor="middle" { "interval between reboots (days)" }
            path.sim d=(PreEscaped(path(&sim))) { title { "simulated: " (sim.len()) " intervals" } }
            path.ev d=(PreEscaped(path(&ev))) { title { "evidence: " (ev.len()) " intervals" } }
            @if let (Some((at, fe, fs)), Some(d)) = (widest, d) {
                line.ks x1=(num(x(at))) x2=(num(x(at))) y1=(num(y(fe))) y2=(num(y(fs))) { title { "KS distance D = " (format!("{d:.3}")) } }
                text.label.halo x=(num((x(at) + 6.0).min(left + w - 70.0))) y=(num((y(fe) + y(fs)) / 2.0 + 4.0)) { "D = " (format!("{d:.3}")) }
            }
            g transform=(format!("translate({},{})", num(left + w - 120.0), num(top + h - 44.0))) {
                line.ev x1="0" x2="18" y1="0" y2="0" {}
                text.label x="24" y="4" { "evidence" }
                line.sim x1="0" x2="18" y1="18" y2="18" {}
                text.label x="24" y="22" { "simulated" }
            }
        }
    }
}

/// The y-axis top (a share) both hour histograms of a hypothesis share.
fn hour_top(evidence: &LogSample, simulated: &LogSample) -> f64 {
    let share = |s: &LogSample| {
        let n = s.timed().max(1) as f64;
        s.hours.iter().map(|c| *c as f64 / n).fold(0.0, f64::max)
    };
    chart::axis_top(share(evidence).max(share(simulated)).max(0.01) * 100.0)
}

/// Reboots by hour of day as shares (percent) of all, up to `top` percent.
fn hours_svg(hours: &[u64; 24], top: f64, class: &str, what: &str) -> Markup {
    let n = hours.iter().sum::<u64>().max(1) as f64;
    let (left, pad, w, h) = (40.0, 8.0, 460.0, 150.0);
    let slot = w / 24.0;
    let y = |v: f64| pad + h - v / top * h;
    html! {
        svg.chart viewBox=(format!("0 0 {} {}", num(left + w + 10.0), num(pad + h + 40.0))) role="img"
            aria-label=(format!("{what} reboots by hour of day")) {
            rect.night x=(num(left)) y=(num(pad)) width=(num(slot * 6.0)) height=(num(h)) {}
            @for v in chart::linear_ticks(top) {
                line.grid x1=(num(left)) x2=(num(left + w)) y1=(num(y(v))) y2=(num(y(v))) {}
                text.axis x=(num(left - 6.0)) y=(num(y(v) + 4.0)) text-anchor="end" { (chart::label(v)) "%" }
            }
            @for (hour, c) in hours.iter().enumerate() {
                @let share = *c as f64 / n * 100.0;
                @if *c > 0 {
                    rect class=(class) x=(num(left + hour as f64 * slot + 2.0)) y=(num(y(share))) width=(num(slot - 4.0)) height=(num(share / top * h)) {
                        title { (what) ": " (c) " at " (format!("{hour:02}")) ":00–:59 (" (format!("{share:.1}")) "%)" }
                    }
                }
            }
            @for hour in (0..24).step_by(3) {
                text.axis x=(num(left + hour as f64 * slot + slot / 2.0)) y=(num(pad + h + 16.0)) text-anchor="middle" { (format!("{hour:02}")) }
            }
            line.frame x1=(num(left)) x2=(num(left + w)) y1=(num(pad + h)) y2=(num(pad + h)) {}
            text.axis x=(num(left + w / 2.0)) y=(num(pad + h + 34.0)) text-anchor="middle" { "hour of day · " (what) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdf_counts_values_at_or_below() {
        let xs = [1.0, 2.0, 2.0, 4.0];
        assert_eq!(ecdf_at(&xs, 0.5), 0.0);
        assert_eq!(ecdf_at(&xs, 2.0), 0.75);
        assert_eq!(ecdf_at(&xs, 9.0), 1.0);
        assert_eq!(ecdf_at(&[], 1.0), 0.0);
    }
}
