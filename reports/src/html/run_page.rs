//! The page of one run: what happened, when, on the scenario's calendar.
//!
//! From the top: the verdict, the expectations with their actual values and the command
//! that reproduces the run; the timeline (power and boots, each bring-up step as a band,
//! fault bands and strikes, IPv6 and IPv4 up or down, reboots marked by cause); NAPT
//! occupancy with the port-set and capacity lines and the dropped flows; LAN sessions
//! started and failed per hour; reboots by hour of day with the list of boots; the trace
//! as a table whose rows zoom the charts to their moment (and whose marks on the timeline
//! link to their rows). Every chart spans the whole run in the HTML; the zoom script
//! narrows them to a window (`#t=FROM/TO`).

use std::fmt::Write;

use maud::{Markup, PreEscaped, html};
use sim_core::time::{Calendar, SimDuration, SimTime};
use sim_core::trace::{BootCause, Step};

use super::chart::{self, GUTTER, PLOT, WIDTH, num, secs};
use super::{footer, iso, page, verdict, zoom_fragment};
use crate::RunRecord;
use crate::timeline::{Detail, NaptTableKind, Series, Span, Timeline};

/// A run page's inputs.
#[derive(Clone, Copy, Debug)]
pub struct RunView<'a> {
    pub record: &'a RunRecord,
    /// The scenario's description, when the scenario file was at hand.
    pub description: Option<&'a str>,
    pub timeline: &'a Timeline,
    /// The page that lists this run (`index.html`) and what to call the link.
    pub index: Option<(&'a str, &'a str)>,
}

const LANE_H: f64 = 18.0;
const LANE_GAP: f64 = 7.0;
const LANE_TOP: f64 = 4.0;
/// Fault lanes drawn one per fault; any further faults share one lane.
const FAULT_LANES: usize = 8;
/// Marks per lane drawn as their own element (with a title and a link); past this, a lane's
/// marks are drawn as one path.
const MARKS_PER_LANE: usize = 800;

/// The run's page.
pub fn render(view: &RunView) -> String {
    let r = view.record;
    let t = view.timeline;
    let o = &r.outcome;
    let title = format!("{} (seed {}) · fletsim", r.scenario, r.seed);
    let end = t.end;
    let full = matches!(t.detail, Detail::Trace);
    let idle = t
        .sessions
        .as_ref()
        .is_some_and(|s| s.started.total() + s.failed.total() == 0);
    let body = html! {
        @if let Some((href, label)) = view.index {
            p.crumbs { a href=(href) { "← " (label) } }
        }
        h1 { (r.scenario) " " span.note { "seed " (r.seed) } " " (verdict(r.passed)) }
        div.meta {
            span { "file " b.mono { (r.file) } }
            span { "from " b { (t.calendar.at(SimTime::ZERO)) } " for " b { (end.since_start()) } }
            span { "gateway " b { (o.gateway.name) } " (" (o.gateway.model) ")" }
            span { "trace digest " b.mono { (r.digest) } " · " (o.trace.events) " events" }
        }
        @if let Some(d) = view.description {
            pre.description { (d.trim_end()) }
        }
        p { "Reproduce: " code { (r.reproduce_command()) } }
        (cards(r))
        @if let Some(area) = &o.area {
            (recovery_section(area))
        }
        h2 { "Expectations" }
        @if r.expectations.is_empty() {
            p.note { "The scenario states no expectations." }
        } @else {
            table {
                thead { tr { th { "expectation" } th { "result" } th { "actual" } } }
                tbody {
                    @for e in &r.expectations {
                        tr.failed[!e.passed && e.share.is_none()] {
                            td { code { (e.text) } }
                            td {
                                @if e.passed { span.pass { "held" } }
                                @else if e.share.is_some() { span.warn { "missed at this seed" } }
                                @else { span.fail { "FAILED" } }
                            }
                            td { code { (e.actual) } }
                        }
                    }
                }
            }
        }
        h2 #timeline { "Timeline" }
        @if let Detail::OutcomeOnly { reason } = &t.detail {
            p.note.warn { "Drawn from the saved outcome only: " (reason) ". It shows the boots and when each family came up after each boot (until the next boot); outages without a reboot, the bring-up steps, faults, NAPT occupancy and sessions need the run itself." }
        }
        form #zoom-form .zoom-form {
            label { "from " input type="datetime-local" step="1" name="from" min=(iso(&t.calendar, SimTime::ZERO)) max=(iso(&t.calendar, end)); }
            label { "to " input type="datetime-local" step="1" name="to" min=(iso(&t.calendar, SimTime::ZERO)) max=(iso(&t.calendar, end)); }
            button type="submit" { "Zoom" }
            a href="#" { "whole run" }
            span.zoom-state { "showing the whole run" }
        }
        p.nojs-note { "The charts show the whole run. With JavaScript, drag across a chart, use the trace's ⤢ links or a URL ending in #t=FROM/TO to zoom." }
        p.note.js-only { "Drag across any chart to zoom into that window; hover a band or mark for its times; click one to find it in the trace." }
        figure {
            (timeline_svg(t, true))
            (timeline_legend(t))
        }
        @if t.marks_dropped > 0 {
            p.note.warn { (t.marks_dropped) " further spans and marks are not drawn (a page keeps at most " (crate::timeline::MAX_MARKS) ")." }
        }
        @if idle {
            h2 { "NAPT occupancy and LAN sessions" }
            p.note { "No LAN client opened or tried a session in this run: there is no occupancy or session rate to plot." }
        }
        @if let (Some(napt), false) = (&t.napt, idle) {
            h2 { "NAPT occupancy" }
            figure {
                (napt_svg(t, napt))
                figcaption { (napt_caption(napt, o.napt.peak)) }
            }
        }
        @if let (Some(s), false) = (&t.sessions, idle) {
            h2 { "LAN sessions per hour" }
            figure {
                (sessions_svg(t, &s.started, &s.failed))
                figcaption {
                    "Sessions LAN clients started (grey) and failed to start (red: family down, NAPT full, port set exhausted, AFTR quota) per calendar hour: "
                    (s.started.total()) " started, " (s.failed.total()) " failed. "
                    (DECIMATION)
                }
            }
        }
        div.grid2 {
            div {
                h2 { "Reboots by hour of day" }
                figure {
                    (hours_svg(t))
                    figcaption { "Reboots by the local hour they happened in, by cause (the first power-on is not a reboot). The shaded hours 00–06 are when the home sleeps." }
                }
            }
            div {
                h2 { "Boots" }
                (boots_table(r, t))
            }
        }
        h2 #trace { "Trace" }
        @if full {
            p.note {
                "Every event of the run but the LAN sessions (" (o.trace.events) " events in all, sessions included, fold into the digest). "
                @if t.rows_total > t.rows.len() as u64 {
                    "The first " (t.rows.len()) " of " (t.rows_total) " are listed. "
                }
                "⤢ zooms the charts to an event's moment."
            }
            div.scroll {
                table.trace {
                    thead { tr { th { "local time" } th.num { "since start" } th { "event" } th { "" } } }
                    tbody {
                        @for (i, row) in t.rows.iter().enumerate() {
                            // Lean rows (columns are styled by position): a 180-day trace has thousands.
                            tr id=(format!("ev-{i}")) class=(format!("r-{}", row.class.name())) {
                                td { (t.calendar.at(row.at)) }
                                td { (row.at) }
                                td { (row.text) }
                                td { a href=(around(&t.calendar, row.at, end)) { "⤢" } }
                            }
                        }
                    }
                }
            }
        } @else {
            p.note { "Not available: the trace is only known by re-running the scenario." }
        }
        (footer(html! { (DECIMATION) }))
    };
    let start = t.calendar.start_unix_seconds();
    let json = series_json(t);
    page(&title, body, Some((start, secs(end))), json.as_deref())
}

/// How series are decimated, as the pages say it.
pub const DECIMATION: &str = "Series are sampled at a fixed simulated interval and drawn as the band between the lowest and highest sample in each pixel column (min/max decimation), so no peak or trough is lost at any zoom.";

/// The zoom window around an instant: five minutes before to ten after, within the run.
fn around(calendar: &Calendar, at: SimTime, end: SimTime) -> String {
    let from = SimTime::from_nanos(at.as_nanos().saturating_sub(SimDuration::from_mins(5).as_nanos()));
    let to = (at + SimDuration::from_mins(10)).min(end);
    zoom_fragment(calendar, from, to.max(from + SimDuration::from_secs(1)))
}

fn cards(r: &RunRecord) -> Markup {
    let o = &r.outcome;
    let g = &o.gateway;
    let never = |d: &Option<sim_core::outcome::Dur>| d.map_or("never".to_string(), |d| d.to_string());
    let failed: u64 = o.lan.values().map(|c| c.failed.total()).sum();
    let attempted: u64 = o.lan.values().map(|c| c.attempted).sum();
    html! {
        div.cards {
            div.card {
                div.k { "boots" } div.v { (g.boots) }
                div.s { (g.reboots.spontaneous) " spontaneous · " (g.reboots.user) " user · " (g.reboots.power) " power" }
            }
            div.card {
                div.k { "IPv6 first up" } div.v { (never(&o.ipv6.first_up)) }
                div.s { (o.ipv6.availability) "% up · " (o.ipv6.outages) " outages" }
            }
            div.card {
                div.k { "IPv4 first up" } div.v { (never(&o.ipv4.first_up)) }
                div.s { (o.ipv4.availability) "% up · " (o.ipv4.outages) " outages" }
            }
            div.card {
                div.k { "stuck at" } div.v { (g.stuck_at) }
                div.s { "the step pending at the end" }
            }
            div.card {
                div.k { "NAPT peak" } div.v { (o.napt.peak) }
                div.s { (o.napt.drops.table_full) " table full · " (o.napt.drops.port_set_exhausted) " port set" }
            }
            div.card {
                div.k { "LAN sessions" } div.v { (attempted) }
                div.s { (failed) " failed to start" }
            }
        }
    }
}

/// One lane of the timeline.
enum Lane<'a> {
    Power,
    Steps,
    Faults(Vec<&'a crate::timeline::FaultTrack>),
    Onu,
    Ipv6,
    Ipv4,
    Boots,
}

fn lanes(t: &Timeline) -> Vec<(String, Lane<'_>)> {
    let full = matches!(t.detail, Detail::Trace);
    let mut lanes = Vec::new();
    if full {
        lanes.push(("power".to_string(), Lane::Power));
        lanes.push(("bring-up step".to_string(), Lane::Steps));
        let active: Vec<_> = t
            .faults
            .iter()
            .filter(|f| !f.spans.is_empty() || !f.instants.is_empty())
            .collect();
        let (own, rest) = active.split_at(active.len().min(FAULT_LANES));
        for f in own {
            lanes.push((format!("#{} {}", f.fault, f.kind), Lane::Faults(vec![*f])));
        }
        if !rest.is_empty() {
            lanes.push((format!("{} more faults", rest.len()), Lane::Faults(rest.to_vec())));
        }
        if !t.onu_down.is_empty() {
            lanes.push(("ONU signal".to_string(), Lane::Onu));
        }
    }
    let approx = if full { "" } else { " (from boots)" };
    lanes.push((format!("IPv6{approx}"), Lane::Ipv6));
    lanes.push((format!("IPv4{approx}"), Lane::Ipv4));
    lanes.push(("boots".to_string(), Lane::Boots));
    lanes
}

fn span_title(t: &Timeline, what: &str, s: &Span) -> String {
    format!(
        "{what}: {} → {} ({})",
        t.calendar.at(s.from),
        t.calendar.at(s.to),
        s.to.since(s.from)
    )
}

fn link(row: Option<usize>, links: bool) -> Option<String> {
    row.filter(|_| links).map(|i| format!("#ev-{i}"))
}

/// The timeline chart; `links`: marks link to the page's trace rows.
pub(crate) fn timeline_svg(t: &Timeline, links: bool) -> Markup {
    let lanes = lanes(t);
    let h = LANE_TOP + lanes.len() as f64 * (LANE_H + LANE_GAP);
    let end = secs(t.end);
    let end_s = t.end.as_nanos() as f64 / 1e9;
    let y_of = |i: usize| LANE_TOP + i as f64 * (LANE_H + LANE_GAP);
    let reboots = t.reboots().count();
    html! {
        svg.chart.timeline data-time="" viewBox=(format!("0 0 {} {}", num(WIDTH), num(h + 40.0))) role="img"
            aria-label=(format!("Timeline of the run: {} lanes, {} reboots", lanes.len(), reboots)) {
            @for (i, (label, _)) in lanes.iter().enumerate() {
                text.label x=(num(GUTTER - 10.0)) y=(num(y_of(i) + 13.0)) text-anchor="end" {
                    (truncate(label, 22))
                    @if label.chars().count() > 22 { title { (label) } }
                }
            }
            svg.zoom x=(num(GUTTER)) y="0" width=(num(PLOT)) height=(num(h)) viewBox=(format!("0 0 {end} {}", num(h)))
                preserveAspectRatio="none" data-h=(num(h)) {
                @for (i, (_, lane)) in lanes.iter().enumerate() {
                    (lane_marks(t, lane, y_of(i), &end, links))
                }
            }
            (time_axis(t, h, end_s))
        }
    }
}

fn lane_marks(t: &Timeline, lane: &Lane, y: f64, end: &str, links: bool) -> Markup {
    let rect = |s: &Span| (secs(s.from), num(s.to.since(s.from).as_nanos() as f64 / 1e9));
    let (yy, hh) = (num(y), num(LANE_H));
    let ticks = |at: &mut dyn Iterator<Item = SimTime>| -> String {
        let mut d = String::new();
        for a in at {
            let _ = write!(d, "M{},{}v{}", secs(a), num(y), num(LANE_H));
        }
        d
    };
    match lane {
        Lane::Power => html! {
            rect.on x="0" y=(yy) width=(end) height=(hh) {}
            @for s in &t.power_off {
                @let (x, w) = rect(s);
                rect.off x=(x) y=(yy) width=(w) height=(hh) { title { (span_title(t, "power off", s)) } }
            }
            path.offmark d=(PreEscaped(ticks(&mut t.power_off.iter().map(|s| s.from)))) {}
        },
        Lane::Steps => html! {
            rect.lane x="0" y=(yy) width=(end) height=(hh) {}
            @for s in &t.steps {
                @let (x, w) = rect(&s.span);
                @let class = format!("st st-{}", s.step.name());
                @let title = span_title(t, s.step.name(), &s.span);
                @if let Some(href) = link(s.row, links) {
                    a href=(href) { rect class=(class) x=(x) y=(yy) width=(w) height=(hh) { title { (title) } } }
                } @else {
                    rect class=(class) x=(x) y=(yy) width=(w) height=(hh) { title { (title) } }
                }
            }
        },
        Lane::Faults(tracks) => {
            let count: usize = tracks.iter().map(|f| f.spans.len() + f.instants.len()).sum();
            let individual = count <= MARKS_PER_LANE;
            html! {
                rect.lane x="0" y=(yy) width=(end) height=(hh) {}
                @for f in tracks {
                    @for (s, row) in &f.spans {
                        @let (x, w) = rect(s);
                        @let title = span_title(t, &format!("fault #{} {}", f.fault, f.kind), s);
                        @if let Some(href) = link(*row, links) {
                            a href=(href) { rect.fband x=(x) y=(yy) width=(w) height=(hh) { title { (title) } } }
                        } @else {
                            rect.fband x=(x) y=(yy) width=(w) height=(hh) { title { (title) } }
                        }
                    }
                    @if individual {
                        @for m in &f.instants {
                            @let x = secs(m.at);
                            @let title = format!("fault #{} {} at {}", f.fault, f.kind, t.calendar.at(m.at));
                            @if let Some(href) = link(m.row, links) {
                                a href=(href) { line.fmark x1=(x) x2=(x) y1=(yy) y2=(num(y + LANE_H)) { title { (title) } } }
                            } @else {
                                line.fmark x1=(x) x2=(x) y1=(yy) y2=(num(y + LANE_H)) { title { (title) } }
                            }
                        }
                    } @else {
                        path.fmark d=(PreEscaped(ticks(&mut f.instants.iter().map(|m| m.at)))) {}
                    }
                }
            }
        }
        Lane::Onu => html! {
            rect.lane x="0" y=(yy) width=(end) height=(hh) {}
            @for s in &t.onu_down {
                @let (x, w) = rect(s);
                rect.onu x=(x) y=(yy) width=(w) height=(hh) { title { (span_title(t, "loss of optical signal", s)) } }
            }
            path.outage d=(PreEscaped(ticks(&mut t.onu_down.iter().map(|s| s.from)))) {}
        },
        Lane::Ipv6 | Lane::Ipv4 => {
            let (name, spans) = match lane {
                Lane::Ipv6 => ("IPv6", &t.ipv6_up),
                _ => ("IPv4", &t.ipv4_up),
            };
            let outages = spans.iter().map(|s| s.to).filter(|to| *to < t.end);
            html! {
                rect.downlane x="0" y=(yy) width=(end) height=(hh) { title { (name) " down" } }
                @for s in spans {
                    @let (x, w) = rect(s);
                    rect.up x=(x) y=(yy) width=(w) height=(hh) { title { (span_title(t, &format!("{name} up"), s)) } }
                }
                path.outage d=(PreEscaped(ticks(&mut outages.collect::<Vec<_>>().into_iter()))) {}
            }
        }
        Lane::Boots => html! {
            rect.lane x="0" y=(yy) width=(end) height=(hh) {}
            @for b in &t.boots {
                @let x = secs(b.at);
                @let class = format!("{} c-{}", if b.is_reboot() { "reboot" } else { "boot" }, b.cause.name());
                @let title = format!("boot #{} ({}) at {}", b.boot, b.cause.name(), t.calendar.at(b.at));
                @if let Some(href) = link(b.row, links) {
                    a href=(href) { line class=(class) x1=(x) x2=(x) y1=(yy) y2=(num(y + LANE_H)) { title { (title) } } }
                } @else {
                    line class=(class) x1=(x) x2=(x) y1=(yy) y2=(num(y + LANE_H)) { title { (title) } }
                }
            }
        },
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// The x axis of a time chart whose plot is `h` high, with grid lines over the plot.
fn time_axis(t: &Timeline, h: f64, end_s: f64) -> Markup {
    let ticks = chart::time_ticks(t.calendar.start_unix_seconds(), 0.0, end_s);
    html! {
        g.xaxis transform=(format!("translate({},{})", num(GUTTER), num(h))) data-w=(num(PLOT)) data-h=(num(h)) {
            @for tick in &ticks {
                @let x = num(tick.t / end_s.max(1e-9) * PLOT);
                line.grid x1=(x) x2=(x) y1=(num(-h)) y2="0" {}
                line.tick x1=(x) x2=(x) y1="0" y2="5" {}
                text.axis x=(x) y="18" text-anchor="middle" { (tick.main) }
                @if let Some(sub) = &tick.sub {
                    text.axis x=(x) y="31" text-anchor="middle" { (sub) }
                }
            }
        }
    }
}

fn timeline_legend(t: &Timeline) -> Markup {
    let mut steps: Vec<Step> = t.steps.iter().map(|s| s.step).collect();
    steps.sort();
    steps.dedup();
    let mut causes: Vec<BootCause> = t.boots.iter().map(|b| b.cause).collect();
    causes.sort();
    causes.dedup();
    let swatch = |class: &str| {
        html! { svg viewBox="0 0 14 10" aria-hidden="true" { rect class=(class) x="0" y="0" width="14" height="10" {} } }
    };
    let tick = |class: &str| {
        html! { svg viewBox="0 0 14 10" aria-hidden="true" { line class=(class) x1="7" x2="7" y1="0" y2="10" {} } }
    };
    html! {
        ul.legend {
            li { (swatch("up")) "up" }
            li { (swatch("downlane")) "down" }
            li { (tick("outage")) "outage starts" }
            @if !t.power_off.is_empty() { li { (swatch("off")) "power off" } }
            @for s in &steps { li { (swatch(&format!("st-{}", s.name()))) (s.name()) } }
            @if t.faults.iter().any(|f| !f.spans.is_empty()) { li { (swatch("fband")) "fault in force" } }
            @if t.faults.iter().any(|f| !f.instants.is_empty()) { li { (tick("fmark")) "fault strikes" } }
            @for c in &causes {
                li { (tick(&format!("c-{}", c.name()))) "boot: " (c.name()) }
            }
        }
    }
}

fn napt_caption(napt: &crate::timeline::NaptSeries, peak: u32) -> Markup {
    let step = SimDuration::from_secs(napt.entries.step);
    let table = match napt.table {
        NaptTableKind::Gateway => "the gateway's NAPT table",
        NaptTableKind::Aftr => {
            "the AFTR's carrier-grade NAT for this subscriber (DS-Lite: the gateway does no NAPT)"
        }
    };
    let limits = napt.limits.last();
    html! {
        "Entries held by " (table) ", sampled every " (step) " of simulated time (" (napt.entries.values.len()) " samples; peak "
        (peak) " entries). "
        @if let Some(l) = limits {
            "Dashed: the port set (" (l.ports) " ports per pool); dotted: the "
            @if napt.table == NaptTableKind::Aftr { "port quota" } @else { "table's capacity" }
            " (" (l.capacity) ")"
            @if napt_ymax(napt) < f64::from(l.capacity) { ", above the plot" }
            ". "
        } @else {
            "No table was set up in this run (IPv4 never came up). "
        }
        "Red ticks at the top: intervals in which new flows were dropped (" (napt.drops.total()) " in all). "
        (DECIMATION)
    }
}

fn napt_ymax(napt: &crate::timeline::NaptSeries) -> f64 {
    let peak = f64::from(napt.entries.max().max(1));
    let mut top = peak;
    if let Some(l) = napt.limits.last() {
        // Lines far above the data would flatten it: show them when within 5x the peak.
        if f64::from(l.ports) <= 5.0 * peak {
            top = top.max(f64::from(l.ports));
        }
        if f64::from(l.capacity) <= 5.0 * peak {
            top = top.max(f64::from(l.capacity));
        }
    }
    // Counts: at least 0..4, so the ticks are whole numbers.
    chart::axis_top((top * 1.08).max(4.0))
}

const SERIES_H: f64 = 170.0;

fn napt_svg(t: &Timeline, napt: &crate::timeline::NaptSeries) -> Markup {
    let ymax = napt_ymax(napt);
    let h = SERIES_H;
    let end_s = t.end.as_nanos() as f64 / 1e9;
    let y = |v: f64| h - v / ymax * h;
    let mut ports = String::new();
    let mut capacity = String::new();
    for (i, l) in napt.limits.iter().enumerate() {
        let to = napt.limits.get(i + 1).map_or(t.end, |n| n.from);
        for (d, v) in [(&mut ports, l.ports), (&mut capacity, l.capacity)] {
            if f64::from(v) <= ymax {
                let _ = write!(d, "M{},{}H{}", secs(l.from), num(y(f64::from(v))), secs(to));
            }
        }
    }
    let last = napt.limits.last();
    html! {
        svg.chart data-time="" viewBox=(format!("0 0 {} {}", num(WIDTH), num(h + 40.0))) role="img"
            aria-label=(format!("NAPT occupancy over the run, peak {}", napt.entries.max())) {
            (y_axis(ymax, h, "entries"))
            svg.zoom x=(num(GUTTER)) y="0" width=(num(PLOT)) height=(num(h)) viewBox=(format!("0 0 {} {}", secs(t.end), num(h)))
                preserveAspectRatio="none" data-h=(num(h)) {
                rect.lane x="0" y="0" width=(secs(t.end)) height=(num(h)) {}
                (grid_lines(ymax, h, &secs(t.end)))
                path.napt data-series="napt" data-w=(num(PLOT)) data-h=(num(h)) data-ymax=(num(ymax))
                    d=(PreEscaped(chart::envelope(&napt.entries, 0.0, end_s, PLOT, h, ymax))) {}
                path.limit d=(PreEscaped(ports)) {}
                path.capacity d=(PreEscaped(capacity)) {}
                path.drops data-series="drops" data-marks="" data-w=(num(PLOT)) data-h="10"
                    d=(PreEscaped(chart::mark_path(&napt.drops, 0.0, end_s, PLOT, 10.0))) {}
            }
            @if let Some(l) = last {
                @if f64::from(l.ports) <= ymax {
                    text.label.halo x=(num(GUTTER + 6.0)) y=(num(y(f64::from(l.ports)) - 4.0)) { "port set " (l.ports) }
                }
                @if f64::from(l.capacity) <= ymax {
                    text.label.halo x=(num(GUTTER + 6.0)) y=(num(y(f64::from(l.capacity)) - 4.0)) { "capacity " (l.capacity) }
                }
            }
            (time_axis(t, h, end_s))
        }
    }
}

/// Y-axis labels in the gutter, and the unit at its top.
fn y_axis(ymax: f64, h: f64, unit: &str) -> Markup {
    html! {
        @for v in chart::linear_ticks(ymax) {
            text.axis x=(num(GUTTER - 8.0)) y=(num(h - v / ymax * h + 4.0)) text-anchor="end" { (chart::label(v)) }
        }
        text.axis x=(num(GUTTER - 44.0)) y=(num(h / 2.0)) text-anchor="middle"
            transform=(format!("rotate(-90 {} {})", num(GUTTER - 44.0), num(h / 2.0))) { (unit) }
    }
}

/// Horizontal grid lines inside a zoomable plot.
fn grid_lines(ymax: f64, h: f64, end: &str) -> Markup {
    let mut d = String::new();
    for v in chart::linear_ticks(ymax).into_iter().skip(1) {
        let _ = write!(d, "M0,{}H{end}", num(h - v / ymax * h));
    }
    html! { path.grid d=(PreEscaped(d)) {} }
}

fn sessions_svg(t: &Timeline, started: &Series, failed: &Series) -> Markup {
    let h = 130.0;
    let end_s = t.end.as_nanos() as f64 / 1e9;
    let ymax = chart::axis_top((f64::from(started.max().max(failed.max())) * 1.05).max(4.0));
    html! {
        svg.chart data-time="" viewBox=(format!("0 0 {} {}", num(WIDTH), num(h + 40.0))) role="img"
            aria-label="LAN sessions started and failed per hour" {
            (y_axis(ymax, h, "per hour"))
            svg.zoom x=(num(GUTTER)) y="0" width=(num(PLOT)) height=(num(h)) viewBox=(format!("0 0 {} {}", secs(t.end), num(h)))
                preserveAspectRatio="none" data-h=(num(h)) {
                rect.lane x="0" y="0" width=(secs(t.end)) height=(num(h)) {}
                (grid_lines(ymax, h, &secs(t.end)))
                path.started data-series="started" data-w=(num(PLOT)) data-h=(num(h)) data-ymax=(num(ymax))
                    d=(PreEscaped(chart::envelope(started, 0.0, end_s, PLOT, h, ymax))) {}
                path.failed data-series="failed" data-w=(num(PLOT)) data-h=(num(h)) data-ymax=(num(ymax))
                    d=(PreEscaped(chart::envelope(failed, 0.0, end_s, PLOT, h, ymax))) {}
            }
            (time_axis(t, h, end_s))
        }
    }
}

/// Causes in the order the hour histogram stacks them.
const CAUSES: [BootCause; 4] = [
    BootCause::Spontaneous,
    BootCause::User,
    BootCause::FactoryReset,
    BootCause::PowerRestored,
];

fn hours_svg(t: &Timeline) -> Markup {
    let mut counts = [[0u32; 4]; 24];
    for b in t.reboots() {
        let hour = usize::from(t.calendar.at(b.at).hour).min(23);
        if let Some(c) = CAUSES.iter().position(|c| *c == b.cause) {
            counts[hour][c] += 1;
        }
    }
    let total: u32 = counts.iter().flatten().sum();
    let top = counts.iter().map(|h| h.iter().sum::<u32>()).max().unwrap_or(0);
    // Counts: at least 0..4, so the ticks are whole numbers.
    let ymax = chart::axis_top((f64::from(top) * 1.1).max(4.0));
    let (left, w, h, top_pad) = (44.0, 500.0, 170.0, 8.0);
    let slot = w / 24.0;
    let y = |v: f64| top_pad + h - v / ymax * h;
    // Stacked bars: (x, y, height, cause, count, hour).
    let mut bars = Vec::new();
    for (hour, row) in counts.iter().enumerate() {
        let mut base = 0;
        for (c, n) in row.iter().enumerate().filter(|(_, n)| **n > 0) {
            base += n;
            bars.push((
                left + hour as f64 * slot + 2.0,
                y(f64::from(base)),
                f64::from(*n) / ymax * h,
                CAUSES[c].name(),
                *n,
                hour,
            ));
        }
    }
    html! {
        svg.chart.hours viewBox=(format!("0 0 {} {}", num(left + w + 10.0), num(top_pad + h + 44.0))) role="img"
            aria-label=(format!("{total} reboots by hour of day")) {
            rect.night x=(num(left)) y=(num(top_pad)) width=(num(slot * 6.0)) height=(num(h)) {}
            @for v in chart::linear_ticks(ymax) {
                line.grid x1=(num(left)) x2=(num(left + w)) y1=(num(y(v))) y2=(num(y(v))) {}
                text.axis x=(num(left - 6.0)) y=(num(y(v) + 4.0)) text-anchor="end" { (chart::label(v)) }
            }
            @for (x, by, bh, cause, n, hour) in &bars {
                rect class=(format!("bar c-{cause}")) x=(num(*x)) y=(num(*by)) width=(num(slot - 4.0)) height=(num(*bh)) {
                    title { (n) " " (cause) " reboot" @if *n > 1 { "s" } " at " (format!("{hour:02}:00–{hour:02}:59")) }
                }
            }
            @for hour in (0..24).step_by(3) {
                text.axis x=(num(left + hour as f64 * slot + slot / 2.0)) y=(num(top_pad + h + 16.0)) text-anchor="middle" { (format!("{hour:02}")) }
            }
            line.frame x1=(num(left)) x2=(num(left + w)) y1=(num(top_pad + h)) y2=(num(top_pad + h)) {}
            text.axis x=(num(left + w / 2.0)) y=(num(top_pad + h + 36.0)) text-anchor="middle" { "hour of day (local time) · " (total) " reboots" }
        }
    }
}

/// An area run's recovery: the share of the homes an area fault reached that had each family
/// back, against the time since the fault let go of them (power back, the update begun), with
/// the quantiles as a table. Drawn from the outcome's 5 % points (`area.recovery`).
fn recovery_section(area: &sim_core::area::AreaOutcome) -> Markup {
    let curves = [
        ("IPv6", "rec6", &area.recovery.ipv6),
        ("IPv4", "rec4", &area.recovery.ipv4),
    ];
    let secs_of = |d: &Option<sim_core::outcome::Dur>| d.map(|d| d.0.as_secs_f64());
    let longest = curves
        .iter()
        .flat_map(|(_, _, c)| c.iter().filter_map(secs_of))
        .fold(0.0, f64::max);
    // Minutes up to three hours, hours beyond.
    let (unit, per) = if longest <= 3.0 * 3600.0 {
        ("minutes", 60.0)
    } else {
        ("hours", 3600.0)
    };
    let xmax = chart::axis_top((longest / per).max(1.0));
    let (left, top, w, h) = (48.0, 10.0, 470.0, 220.0);
    let x = |v: f64| left + (v / per).min(xmax) / xmax * w;
    let y = |share: f64| top + h - share * h;
    // A step function from (0, 0), up to the share of the last point reached (`never` ends it).
    let path = |points: &[Option<sim_core::outcome::Dur>]| {
        let times: Vec<f64> = points.iter().map_while(secs_of).collect();
        let reached = times.len() as f64 / points.len().max(1) as f64;
        let d = chart::ecdf_path(times.into_iter().map(x), points.len(), x(0.0), left + w, y);
        (d, reached)
    };
    let rows = [
        ("IPv6", &area.all.ipv6_restored),
        ("IPv4", &area.all.ipv4_restored),
    ];
    let show = |d: &Option<sim_core::outcome::Dur>| d.map_or_else(|| "never".to_string(), |d| d.to_string());
    html! {
        h2 #recovery { "Recovery after the area fault" }
        @if area.all.hit == 0 {
            p.note { "No area fault reached a home in this run: there is no recovery to draw." }
        } @else {
            figure {
                svg.chart.recovery viewBox=(format!("0 0 {} {}", num(left + w + 20.0), num(top + h + 44.0))) role="img"
                    aria-label=(format!("share of {} homes with IPv6 and IPv4 back, by time since the area fault", area.all.hit)) {
                    @for f in [0.0, 0.25, 0.5, 0.75, 1.0] {
                        line.grid x1=(num(left)) x2=(num(left + w)) y1=(num(y(f))) y2=(num(y(f))) {}
                        text.axis x=(num(left - 6.0)) y=(num(y(f) + 4.0)) text-anchor="end" { (format!("{}%", chart::label(f * 100.0))) }
                    }
                    @for v in chart::linear_ticks(xmax) {
                        line.tick x1=(num(x(v * per))) x2=(num(x(v * per))) y1=(num(top + h)) y2=(num(top + h + 5.0)) {}
                        text.axis x=(num(x(v * per))) y=(num(top + h + 18.0)) text-anchor="middle" { (chart::label(v)) }
                    }
                    line.frame x1=(num(left)) x2=(num(left + w)) y1=(num(top + h)) y2=(num(top + h)) {}
                    text.axis x=(num(left + w / 2.0)) y=(num(top + h + 36.0)) text-anchor="middle" { "time since the area fault let go of the home (" (unit) ")" }
                    @for (name, class, points) in &curves {
                        @let (d, reached) = path(points);
                        path class=(*class) d=(PreEscaped(d)) { title { (name) ": " (chart::label((reached * 100.0).round())) "% of the homes back by the end of the curve" } }
                    }
                    g transform=(format!("translate({},{})", num(left + w - 90.0), num(top + h - 44.0))) {
                        line.rec6 x1="0" x2="18" y1="0" y2="0" {}
                        text.label x="24" y="4" { "IPv6" }
                        line.rec4 x1="0" x2="18" y1="18" y2="18" {}
                        text.label x="24" y="22" { "IPv4" }
                    }
                }
                figcaption {
                    "Share of the " (area.all.hit) " homes an area fault reached (of " (area.all.homes) ") that had each family back, by the time since the fault let go of them: power back, or the update begun. Drawn from the outcome's points every 5 % of the homes (" code { "area.recovery" } "), as a step function."
                }
            }
            table {
                thead { tr { th { "family" } th.num { "p50" } th.num { "p90" } th.num { "p99" } th.num { "max" } th.num { "never back" } } }
                tbody {
                    @for (name, d) in rows {
                        tr {
                            td { (name) }
                            td.num { (show(&d.p50)) }
                            td.num { (show(&d.p90)) }
                            td.num { (show(&d.p99)) }
                            td.num { (show(&d.max)) }
                            td.num { (d.never) }
                        }
                    }
                }
            }
        }
    }
}

fn boots_table(r: &RunRecord, t: &Timeline) -> Markup {
    let boots = &r.outcome.boots;
    html! {
        @if boots.is_empty() {
            p.note { "The gateway never booted." }
        } @else {
            div.scroll.short {
                table {
                    thead { tr { th.num { "#" } th { "local time" } th { "cause" } th.num { "IPv6 after" } th.num { "IPv4 after" } } }
                    tbody {
                        @for (i, b) in boots.iter().enumerate() {
                            @let at = SimTime::ZERO + b.at.0;
                            tr {
                                td.num { (i + 1) }
                                td { a href=(around(&t.calendar, at, t.end)) { (b.date) } }
                                td { (dot(&b.cause)) " " (b.cause) }
                                td.num { (b.ipv6_up.map_or("—".to_string(), |d| d.to_string())) }
                                td.num { (b.ipv4_up.map_or("—".to_string(), |d| d.to_string())) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A dot in a boot cause's colour.
fn dot(cause: &str) -> Markup {
    html! { svg.dot viewBox="0 0 10 10" aria-hidden="true" { circle class=(format!("c-{cause}")) cx="5" cy="5" r="4" {} } }
}

/// The series the zoom script redraws, as JSON (numbers only).
fn series_json(t: &Timeline) -> Option<String> {
    let mut parts = Vec::new();
    let mut add = |name: &str, s: &Series| {
        // An all-zero series draws nothing: the script then leaves its path as it is.
        if s.values.iter().all(|v| *v == 0) {
            return;
        }
        let mut text = format!(
            "\"{name}\":{{\"first\":{},\"step\":{},\"values\":[",
            s.first, s.step
        );
        for (i, v) in s.values.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            let _ = write!(text, "{v}");
        }
        text.push_str("]}");
        parts.push(text);
    };
    if let Some(n) = &t.napt {
        add("napt", &n.entries);
        add("drops", &n.drops);
    }
    if let Some(s) = &t.sessions {
        add("started", &s.started);
        add("failed", &s.failed);
    }
    (!parts.is_empty()).then(|| format!("{{{}}}", parts.join(",")))
}
