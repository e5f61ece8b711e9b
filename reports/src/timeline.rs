//! The timeline of one run, the model the HTML report draws: a pure fold of the trace
//! ([`TimelineRecorder`], an [`Observer`] like the digest and `-v`, so all three agree)
//! plus the NAPT occupancy the harness samples between events at a fixed simulated
//! interval ([`NaptSeriesBuilder`]; the engine schedules nothing for it). When only an
//! outcome is at hand (saved JSON Lines, snapshots), [`Timeline::from_outcome`] rebuilds
//! what an outcome holds: the boots with their causes and the time to IPv6 and IPv4 after
//! each, with the reason the full timeline is missing.
//!
//! Memory stays bounded whatever the run's length: series have one value per sampling
//! interval ([`sample_interval`]: at most [`MAX_SAMPLES`]) or per calendar hour; the trace
//! table keeps the first [`MAX_TRACE_ROWS`] events (LAN sessions are counted per hour, not
//! listed); spans and marks stop at [`MAX_MARKS`]. Whatever is cut is counted, and the page
//! says so.

use sim_core::Outcome;
use sim_core::engine::Observer;
use sim_core::scenario::{FaultKind, Scenario};
use sim_core::sim::NaptOccupancy;
use sim_core::time::{Calendar, CivilDateTime, SimDuration, SimTime};
use sim_core::trace::{BootCause, Step, TraceEvent};

/// Most samples of one series.
pub const MAX_SAMPLES: u64 = 65_536;
/// Most trace events listed in the trace table.
pub const MAX_TRACE_ROWS: usize = 5_000;
/// Most spans and marks (steps, faults, families, boots) kept for drawing.
pub const MAX_MARKS: usize = 50_000;

const SECOND: u64 = 1_000_000_000;
const HOUR_SECS: i64 = 3_600;

/// The interval a run's series are sampled at: the smallest of 1 min, 2 min, 5 min, 10 min,
/// 15 min, 30 min, 1 h, 2 h, 3 h, 6 h, 12 h and 1 d that gives at most [`MAX_SAMPLES`]
/// samples (a 180-day run: 5 min, 51 840 samples).
pub fn sample_interval(duration: SimDuration) -> SimDuration {
    const MINUTES: [u64; 12] = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];
    MINUTES
        .iter()
        .map(|m| SimDuration::from_mins(*m))
        .find(|step| duration.as_nanos() / step.as_nanos() < MAX_SAMPLES)
        .unwrap_or(SimDuration::from_days(1))
}

/// A stretch of simulated time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub from: SimTime,
    pub to: SimTime,
}

/// How much of the run the timeline knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Folded from the whole trace, with sampled series.
    Trace,
    /// Rebuilt from the outcome alone (boots and the time to each family): the reason.
    OutcomeOnly { reason: String },
}

/// A boot of the gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootMark {
    pub at: SimTime,
    /// 1 for the first power-on.
    pub boot: u32,
    pub cause: BootCause,
    /// Its row in the trace table, when listed.
    pub row: Option<usize>,
}

impl BootMark {
    /// A reboot as the outcome counts them (`gateway.reboots`: spontaneous, user, power);
    /// the first power-on and a new unit's first boot are boots but not reboots.
    pub fn is_reboot(&self) -> bool {
        !matches!(self.cause, BootCause::PowerOn | BootCause::DeviceSwap)
    }
}

/// The bring-up step the gateway was at over a span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepSpan {
    pub step: Step,
    pub span: Span,
    pub row: Option<usize>,
}

/// An instant with its trace row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    pub at: SimTime,
    pub row: Option<usize>,
}

/// One fault of the scenario: when it was in force, or when it struck.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultTrack {
    /// Its number in the scenario's `faults:`, from 1 (`faults[1]`, `fault #1` in the trace).
    pub fault: u32,
    /// Its kind as scenario files spell it (`onu_loss_of_signal`).
    pub kind: String,
    /// Faults that last (a loss of signal, a stalled server) have spans; the others
    /// (reboots, crashes, a contract change) strike at instants.
    pub lasting: bool,
    pub spans: Vec<(Span, Option<usize>)>,
    pub instants: Vec<Mark>,
}

/// What kind of line a trace row is, for its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowClass {
    Fault,
    Boot,
    Power,
    Up,
    Down,
    Step,
    Fetch,
    Other,
}

impl RowClass {
    pub fn name(self) -> &'static str {
        match self {
            RowClass::Fault => "fault",
            RowClass::Boot => "boot",
            RowClass::Power => "power",
            RowClass::Up => "up",
            RowClass::Down => "down",
            RowClass::Step => "step",
            RowClass::Fetch => "fetch",
            RowClass::Other => "other",
        }
    }

    fn of(event: &TraceEvent) -> RowClass {
        match event {
            TraceEvent::FaultBegin { .. } | TraceEvent::FaultEnd { .. } => RowClass::Fault,
            TraceEvent::Boot { .. } => RowClass::Boot,
            TraceEvent::PowerOff => RowClass::Power,
            TraceEvent::Ipv6Up | TraceEvent::Ipv4Up | TraceEvent::OnuSignal { up: true } => RowClass::Up,
            TraceEvent::Ipv6Down | TraceEvent::Ipv4Down | TraceEvent::OnuSignal { up: false } => {
                RowClass::Down
            }
            TraceEvent::Step { .. } => RowClass::Step,
            TraceEvent::Fetch { .. } => RowClass::Fetch,
            _ => RowClass::Other,
        }
    }
}

/// One line of the trace table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceRow {
    pub at: SimTime,
    pub class: RowClass,
    pub text: String,
}

/// Values at a fixed step: value `i` stands for `[first + i·step, first + (i+1)·step)` in
/// seconds since the run's start (`first` may be negative: a calendar hour begun before it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Series {
    pub first: i64,
    pub step: u64,
    pub values: Vec<u32>,
}

impl Series {
    fn zeros(first: i64, step: u64, len: usize) -> Series {
        Series {
            first,
            step,
            values: vec![0; len],
        }
    }

    fn bump(&mut self, at: SimTime) {
        let secs = (at.as_nanos() / SECOND) as i64 - self.first;
        if secs >= 0
            && let Some(v) = self.values.get_mut((secs as u64 / self.step.max(1)) as usize)
        {
            *v = v.saturating_add(1);
        }
    }

    /// The largest value.
    pub fn max(&self) -> u32 {
        self.values.iter().copied().max().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.values.iter().map(|v| u64::from(*v)).sum()
    }
}

/// Which table a NAPT series is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NaptTableKind {
    /// The gateway's own NAPT (MAP-E).
    Gateway,
    /// The AFTR's carrier-grade NAT for this subscriber (DS-Lite).
    Aftr,
}

/// The limits of a NAPT table from an instant on (they change with the port set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NaptLimits {
    pub from: SimTime,
    pub capacity: u32,
    pub ports: u32,
}

/// NAPT occupancy sampled at a fixed interval, and the flows dropped per interval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NaptSeries {
    pub table: NaptTableKind,
    /// Entries held at each sample instant (`first` 0: sample `i` at `i·step`).
    pub entries: Series,
    /// The limits, each from when it took effect (empty: no table ever existed).
    pub limits: Vec<NaptLimits>,
    /// New flows dropped (NAPT full, port set exhausted, AFTR quota) per interval.
    pub drops: Series,
}

/// Sessions LAN clients started and failed to start, per calendar hour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HourlySessions {
    pub started: Series,
    pub failed: Series,
}

/// Everything the run page draws.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    pub calendar: Calendar,
    /// The run's length: the scenario's end.
    pub end: SimTime,
    pub detail: Detail,
    pub boots: Vec<BootMark>,
    pub power_off: Vec<Span>,
    pub steps: Vec<StepSpan>,
    pub faults: Vec<FaultTrack>,
    pub onu_down: Vec<Span>,
    pub ipv6_up: Vec<Span>,
    pub ipv4_up: Vec<Span>,
    /// The first [`MAX_TRACE_ROWS`] trace events (LAN sessions left out).
    pub rows: Vec<TraceRow>,
    /// Trace events that would have been rows (LAN sessions left out).
    pub rows_total: u64,
    /// Spans and marks not kept (past [`MAX_MARKS`]).
    pub marks_dropped: u64,
    pub sessions: Option<HourlySessions>,
    pub napt: Option<NaptSeries>,
}

impl Timeline {
    /// The reboots (what `gateway.reboots` counts), in order.
    pub fn reboots(&self) -> impl Iterator<Item = &BootMark> {
        self.boots.iter().filter(|b| b.is_reboot())
    }

    /// The timeline an outcome alone gives: boots by cause, and each family up from the
    /// boot's `ipv6_up`/`ipv4_up` until the next boot (outages without a reboot, the
    /// bring-up steps, faults and series are not in an outcome). `reason` says why the
    /// full timeline is missing.
    pub fn from_outcome(outcome: &Outcome, reason: impl Into<String>) -> Timeline {
        let ms = |d: &sim_core::outcome::Dur| SimTime::ZERO + d.0;
        let end = outcome
            .phases
            .last()
            .map(|p| ms(&p.to))
            .into_iter()
            .chain(outcome.boots.iter().map(|b| ms(&b.at)))
            .max()
            .unwrap_or(SimTime::ZERO);
        // The first boot's date less its offset is the calendar's start.
        let start = outcome
            .boots
            .first()
            .and_then(|b| {
                let date = CivilDateTime::parse(&b.date)?;
                Some(CivilDateTime::from_unix_seconds(
                    date.to_unix_seconds() - b.at.0.as_secs() as i64,
                ))
            })
            .unwrap_or(CivilDateTime::from_unix_seconds(0));
        let mut t = Timeline::empty(Calendar::new(start), end);
        t.detail = Detail::OutcomeOnly {
            reason: reason.into(),
        };
        let boots = &outcome.boots;
        for (i, b) in boots.iter().enumerate() {
            let at = ms(&b.at);
            let until = boots.get(i + 1).map_or(end, |n| ms(&n.at));
            t.boots.push(BootMark {
                at,
                boot: i as u32 + 1,
                cause: boot_cause(&b.cause),
                row: None,
            });
            for (up, spans) in [(&b.ipv6_up, &mut t.ipv6_up), (&b.ipv4_up, &mut t.ipv4_up)] {
                if let Some(d) = up {
                    let from = at + d.0;
                    if from < until {
                        spans.push(Span { from, to: until });
                    }
                }
            }
        }
        t
    }

    fn empty(calendar: Calendar, end: SimTime) -> Timeline {
        Timeline {
            calendar,
            end,
            detail: Detail::Trace,
            boots: Vec::new(),
            power_off: Vec::new(),
            steps: Vec::new(),
            faults: Vec::new(),
            onu_down: Vec::new(),
            ipv6_up: Vec::new(),
            ipv4_up: Vec::new(),
            rows: Vec::new(),
            rows_total: 0,
            marks_dropped: 0,
            sessions: None,
            napt: None,
        }
    }
}

/// A boot cause from its outcome name (unknown names read as spontaneous, the cause an
/// outcome-only timeline cannot otherwise place).
fn boot_cause(name: &str) -> BootCause {
    [
        BootCause::PowerOn,
        BootCause::PowerRestored,
        BootCause::User,
        BootCause::FactoryReset,
        BootCause::Spontaneous,
        BootCause::DeviceSwap,
    ]
    .into_iter()
    .find(|c| c.name() == name)
    .unwrap_or(BootCause::Spontaneous)
}

/// Whether a fault kind is in force over a span (it has a begin and an end) rather than
/// striking at an instant.
pub fn fault_lasts(kind: &FaultKind) -> bool {
    matches!(
        kind,
        FaultKind::OnuLossOfSignal { .. }
            | FaultKind::PowerCut { .. }
            | FaultKind::DistributorStall { .. }
            | FaultKind::DistributorError { .. }
            | FaultKind::DistributorSlow { .. }
            | FaultKind::RuleServerDown { .. }
            | FaultKind::RuleServerSlow { .. }
            | FaultKind::LinkImpairment { .. }
    )
}

/// Folds a run's trace into a [`Timeline`]: give it to the run as its observer (or as one
/// of them), then call [`TimelineRecorder::finish`].
#[derive(Debug)]
pub struct TimelineRecorder {
    timeline: Timeline,
    step: Option<(Step, SimTime, Option<usize>)>,
    off_since: Option<SimTime>,
    ipv6_since: Option<SimTime>,
    ipv4_since: Option<SimTime>,
    onu_since: Option<SimTime>,
    /// Per fault: the instant and row of a begin not yet ended.
    open_faults: Vec<Option<(SimTime, Option<usize>)>>,
    marks: usize,
    hourly: HourlySessions,
    drops: Series,
}

impl TimelineRecorder {
    /// A recorder for a run of `scenario`; drops are counted per `interval` (the NAPT
    /// series' sampling interval, [`sample_interval`]).
    pub fn new(scenario: &Scenario, interval: SimDuration) -> TimelineRecorder {
        let calendar = Calendar::new(scenario.start);
        let end = SimTime::ZERO + scenario.duration;
        let mut timeline = Timeline::empty(calendar, end);
        timeline.faults = scenario
            .faults
            .iter()
            .enumerate()
            .map(|(i, f)| FaultTrack {
                fault: i as u32 + 1,
                kind: f.kind.name().to_string(),
                lasting: fault_lasts(&f.kind),
                spans: Vec::new(),
                instants: Vec::new(),
            })
            .collect();
        let end_secs = (end.as_nanos() / SECOND) as i64;
        // Calendar hours: bucket 0 is the hour the run starts in.
        let first_hour = -calendar.start_unix_seconds().rem_euclid(HOUR_SECS);
        let hours = ((end_secs - first_hour) / HOUR_SECS + 1) as usize;
        let step = (interval.as_nanos() / SECOND).max(1);
        TimelineRecorder {
            open_faults: vec![None; scenario.faults.len()],
            timeline,
            step: None,
            off_since: None,
            ipv6_since: None,
            ipv4_since: None,
            onu_since: None,
            marks: 0,
            hourly: HourlySessions {
                started: Series::zeros(first_hour, HOUR_SECS as u64, hours),
                failed: Series::zeros(first_hour, HOUR_SECS as u64, hours),
            },
            drops: Series::zeros(0, step, (end_secs as u64 / step + 1) as usize),
        }
    }

    /// The timeline, spans still open closed at the run's end; `napt` is the sampled
    /// occupancy, if the run was sampled.
    pub fn finish(mut self, napt: Option<NaptSeriesBuilder>) -> Timeline {
        let end = self.timeline.end;
        if let Some((step, from, row)) = self.step.take() {
            self.push_step(step, from, end, row);
        }
        for (since, which) in [
            (self.off_since.take(), Lane::PowerOff),
            (self.ipv6_since.take(), Lane::Ipv6),
            (self.ipv4_since.take(), Lane::Ipv4),
            (self.onu_since.take(), Lane::Onu),
        ] {
            if let Some(from) = since {
                self.push_span(which, Span { from, to: end });
            }
        }
        for (i, open) in std::mem::take(&mut self.open_faults).into_iter().enumerate() {
            if let Some((from, row)) = open {
                self.close_fault(i, from, end, row);
            }
        }
        let mut t = self.timeline;
        t.sessions = Some(self.hourly);
        t.napt = napt.map(|n| NaptSeries {
            table: n.table.unwrap_or(NaptTableKind::Gateway),
            entries: Series {
                first: 0,
                step: n.step,
                values: n.entries,
            },
            limits: n.limits,
            drops: self.drops,
        });
        t
    }

    fn keep_mark(&mut self) -> bool {
        if self.marks < MAX_MARKS {
            self.marks += 1;
            true
        } else {
            self.timeline.marks_dropped += 1;
            false
        }
    }

    fn push_step(&mut self, step: Step, from: SimTime, to: SimTime, row: Option<usize>) {
        // `none` (IPv4 up, nothing pending) is no band, `power-off` is the power lane's, and
        // zero-length steps are nothing.
        if !matches!(step, Step::None | Step::PowerOff) && to > from && self.keep_mark() {
            self.timeline.steps.push(StepSpan {
                step,
                span: Span { from, to },
                row,
            });
        }
    }

    fn push_span(&mut self, lane: Lane, span: Span) {
        if span.to <= span.from || !self.keep_mark() {
            return;
        }
        let t = &mut self.timeline;
        match lane {
            Lane::PowerOff => t.power_off.push(span),
            Lane::Ipv6 => t.ipv6_up.push(span),
            Lane::Ipv4 => t.ipv4_up.push(span),
            Lane::Onu => t.onu_down.push(span),
        }
    }

    fn close_fault(&mut self, fault: usize, from: SimTime, to: SimTime, row: Option<usize>) {
        if !self.keep_mark() {
            return;
        }
        if let Some(track) = self.timeline.faults.get_mut(fault) {
            if track.lasting {
                track.spans.push((Span { from, to }, row));
            } else {
                track.instants.push(Mark { at: from, row });
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Lane {
    PowerOff,
    Ipv6,
    Ipv4,
    Onu,
}

impl Observer<TraceEvent> for TimelineRecorder {
    fn observe(&mut self, at: SimTime, event: &TraceEvent) {
        if let TraceEvent::Session { result, .. } = event {
            // 0 started; 1 family down; 2 NAPT full, 3 port set exhausted, 4 AFTR quota: drops.
            if *result == 0 {
                self.hourly.started.bump(at);
            } else {
                self.hourly.failed.bump(at);
            }
            if *result >= 2 {
                self.drops.bump(at);
            }
            return;
        }
        let t = &mut self.timeline;
        t.rows_total += 1;
        let row = (t.rows.len() < MAX_TRACE_ROWS).then(|| {
            t.rows.push(TraceRow {
                at,
                class: RowClass::of(event),
                text: event.to_string(),
            });
            t.rows.len() - 1
        });
        match event {
            TraceEvent::Boot { boot, cause } => {
                if self.keep_mark() {
                    self.timeline.boots.push(BootMark {
                        at,
                        boot: *boot,
                        cause: *cause,
                        row,
                    });
                }
                if let Some(from) = self.off_since.take() {
                    self.push_span(Lane::PowerOff, Span { from, to: at });
                }
            }
            TraceEvent::PowerOff => {
                self.off_since.get_or_insert(at);
            }
            TraceEvent::Step { step } => {
                if let Some((prev, from, prev_row)) = self.step.replace((*step, at, row)) {
                    self.push_step(prev, from, at, prev_row);
                }
            }
            TraceEvent::Ipv6Up => {
                self.ipv6_since.get_or_insert(at);
            }
            TraceEvent::Ipv4Up => {
                self.ipv4_since.get_or_insert(at);
            }
            TraceEvent::Ipv6Down => {
                if let Some(from) = self.ipv6_since.take() {
                    self.push_span(Lane::Ipv6, Span { from, to: at });
                }
            }
            TraceEvent::Ipv4Down => {
                if let Some(from) = self.ipv4_since.take() {
                    self.push_span(Lane::Ipv4, Span { from, to: at });
                }
            }
            TraceEvent::OnuSignal { up: false } => {
                self.onu_since.get_or_insert(at);
            }
            TraceEvent::OnuSignal { up: true } => {
                if let Some(from) = self.onu_since.take() {
                    self.push_span(Lane::Onu, Span { from, to: at });
                }
            }
            TraceEvent::FaultBegin { fault, .. } => {
                let i = *fault as usize;
                let lasting = self.timeline.faults.get(i).is_some_and(|f| f.lasting);
                if lasting {
                    if let Some(slot) = self.open_faults.get_mut(i) {
                        slot.get_or_insert((at, row));
                    }
                } else {
                    self.close_fault(i, at, at, row);
                }
            }
            TraceEvent::FaultEnd { fault, .. } => {
                let i = *fault as usize;
                if let Some((from, begin_row)) = self.open_faults.get_mut(i).and_then(Option::take) {
                    self.close_fault(i, from, at, begin_row);
                }
            }
            _ => {}
        }
    }
}

/// Collects NAPT occupancy samples, one per sampling interval from the run's start.
#[derive(Clone, Debug)]
pub struct NaptSeriesBuilder {
    step: u64,
    table: Option<NaptTableKind>,
    entries: Vec<u32>,
    limits: Vec<NaptLimits>,
}

impl NaptSeriesBuilder {
    pub fn new(interval: SimDuration) -> NaptSeriesBuilder {
        NaptSeriesBuilder {
            step: (interval.as_nanos() / SECOND).max(1),
            table: None,
            entries: Vec::new(),
            limits: Vec::new(),
        }
    }

    /// The instant of the next sample.
    pub fn next_at(&self) -> SimTime {
        SimTime::from_nanos(self.entries.len() as u64 * self.step * SECOND)
    }

    /// Records the sample taken at [`NaptSeriesBuilder::next_at`]. A run has one table that
    /// matters: the gateway's (MAP-E) or the AFTR's (DS-Lite).
    pub fn push(&mut self, occupancy: NaptOccupancy) {
        let at = self.next_at();
        let (kind, table) = match (occupancy.gateway, occupancy.aftr) {
            (Some(t), _) => (Some(NaptTableKind::Gateway), Some(t)),
            (None, Some(t)) => (Some(NaptTableKind::Aftr), Some(t)),
            (None, None) => (None, None),
        };
        if self.table.is_none() {
            self.table = kind;
        }
        let entries = table.map_or(0, |t| t.entries);
        if let Some(t) = table
            && self
                .limits
                .last()
                .is_none_or(|l| (l.capacity, l.ports) != (t.capacity, t.ports))
        {
            self.limits.push(NaptLimits {
                from: at,
                capacity: t.capacity,
                ports: t.ports,
            });
        }
        self.entries.push(entries);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_180_day_run_is_sampled_every_five_minutes() {
        assert_eq!(
            sample_interval(SimDuration::from_days(180)),
            SimDuration::from_mins(5)
        );
        assert_eq!(
            sample_interval(SimDuration::from_hours(6)),
            SimDuration::from_mins(1)
        );
        // The longest run a scenario may ask for still fits.
        let longest = sim_core::scenario::limits::MAX_DURATION;
        assert!(longest.as_nanos() / sample_interval(longest).as_nanos() < MAX_SAMPLES);
    }

    #[test]
    fn series_put_instants_in_their_buckets() {
        let mut s = Series::zeros(-1800, 3600, 3);
        s.bump(SimTime::ZERO);
        s.bump(SimTime::ZERO + SimDuration::from_secs(1799));
        s.bump(SimTime::ZERO + SimDuration::from_secs(1800));
        s.bump(SimTime::ZERO + SimDuration::from_days(9));
        assert_eq!(s.values, vec![2, 1, 0]);
        assert_eq!((s.max(), s.total()), (2, 3));
    }
}
