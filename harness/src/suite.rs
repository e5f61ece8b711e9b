//! Suites: finding scenario files, planning the (scenario, seed) runs,
//! running them in parallel and judging their expectations.
//!
//! Data flow: [`crate::files::find`] → [`load_all`] → [`plan`] (seeds ×
//! scenarios, then the shard's part, made lazily as runs start) →
//! [`execute`] (tokio: a `JoinSet` of `spawn_blocking` tasks, at most
//! `--jobs` at once through a `Semaphore`) → records sorted by (file,
//! scenario, seed). Finishing order never reaches the output.

use std::fmt;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use reports::timeline::{NaptSeriesBuilder, Timeline, TimelineRecorder, sample_interval};
use reports::{ExpectationResult, RunRecord};
use sim_core::Simulation;
use sim_core::engine::Observer;
use sim_core::time::{Calendar, SimTime};
use sim_core::trace::TraceEvent;

use crate::artifacts::{Artifacts, Collect};
use crate::bounds::MAX_SEEDS;
use crate::console::Progress;
use crate::scenario_file::{LoadedScenario, ScenarioError};
use crate::shard::{Shard, normalize_path};

/// Loads every file; all errors are returned, not just the first.
pub fn load_all(
    files: &[PathBuf],
    overrides: &[crate::overrides::Override],
) -> Result<Vec<LoadedScenario>, Vec<ScenarioError>> {
    let (loaded, errors) = load_each(files, overrides);
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(errors)
    }
}

/// Loads every file: the scenarios that loaded, and the errors of those that did not.
pub fn load_each(
    files: &[PathBuf],
    overrides: &[crate::overrides::Override],
) -> (Vec<LoadedScenario>, Vec<ScenarioError>) {
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match crate::overrides::load_with(file, overrides) {
            Ok(s) => loaded.push(s),
            Err(e) => errors.push(e),
        }
    }
    (loaded, errors)
}

/// A load error as reports show it.
pub fn load_failure(e: &ScenarioError) -> reports::LoadFailure {
    reports::LoadFailure {
        file: normalize_path(&e.file),
        line: e.line,
        message: e.to_string(),
    }
}

/// An inclusive range of seeds: `--seeds N` is 1..=N, `--seeds A..B` is A..=B.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedRange {
    pub first: u64,
    pub last: u64,
}

impl SeedRange {
    pub fn len(self) -> u64 {
        self.last - self.first + 1
    }

    pub fn is_empty(self) -> bool {
        false
    }

    pub fn seeds(self) -> std::ops::RangeInclusive<u64> {
        self.first..=self.last
    }
}

impl fmt::Display for SeedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.first, self.last)
    }
}

impl FromStr for SeedRange {
    type Err = String;
    fn from_str(s: &str) -> Result<SeedRange, String> {
        let bad = || {
            format!(
                "`{s}` is not a seed sweep (accepted: N from 1 to {MAX_SEEDS} for seeds 1 to N, or A..B for seeds A to B inclusive)"
            )
        };
        let number = |t: &str| t.trim().parse::<u64>().map_err(|_| bad());
        let range = match s.split_once("..") {
            Some((a, b)) => SeedRange {
                first: number(a)?,
                last: number(b.strip_prefix('=').unwrap_or(b))?,
            },
            None => SeedRange {
                first: 1,
                last: number(s)?,
            },
        };
        if range.last < range.first {
            return Err(bad());
        }
        if range.last - range.first >= MAX_SEEDS {
            return Err(format!(
                "`{s}` is more than {MAX_SEEDS} seeds (accepted: N from 1 to {MAX_SEEDS}, or A..B spanning at most {MAX_SEEDS} seeds)"
            ));
        }
        Ok(range)
    }
}

/// Which seeds each scenario runs at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seeds {
    /// Each scenario's own `seed:`.
    Own,
    One(u64),
    Sweep(SeedRange),
}

/// One run to do: a scenario at a seed.
#[derive(Clone, Debug)]
pub struct Job {
    pub scenario: Arc<LoadedScenario>,
    /// The scenario file as records spell it ([`normalize_path`]).
    pub file: String,
    pub seed: u64,
}

/// Every (scenario, seed) pair to run, in report order, keeping only the shard's part.
///
/// The pairs are made one at a time as the runs start ([`Plan::jobs`]), never
/// all up front: `--seeds 1000000` over a suite costs memory for the runs
/// done, not for the runs asked for.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The scenarios sorted by (file, name, own seed), each with its file as records spell it.
    scenarios: Vec<(Arc<LoadedScenario>, String)>,
    seeds: Seeds,
    shard: Option<Shard>,
}

impl Plan {
    pub fn new(scenarios: &[Arc<LoadedScenario>], seeds: Seeds, shard: Option<Shard>) -> Plan {
        let mut list: Vec<(Arc<LoadedScenario>, String)> = scenarios
            .iter()
            .map(|s| (Arc::clone(s), normalize_path(&s.file)))
            .collect();
        let key = |(s, file): &(Arc<LoadedScenario>, String)| {
            (file.clone(), s.scenario.name.clone(), s.scenario.seed)
        };
        list.sort_by_key(key);
        // The same file given twice runs once.
        list.dedup_by(|a, b| a.1 == b.1 && a.0.scenario.name == b.0.scenario.name);
        Plan {
            scenarios: list,
            seeds,
            shard,
        }
    }

    /// The scenarios, in report order, with their files as records spell them.
    pub fn scenarios(&self) -> impl Iterator<Item = (&Arc<LoadedScenario>, &str)> + '_ {
        self.scenarios.iter().map(|(s, f)| (s, f.as_str()))
    }

    /// The runs, in report order (file, scenario, seed), made as they are taken.
    pub fn jobs(&self) -> impl Iterator<Item = Job> + '_ {
        self.scenarios.iter().flat_map(move |(scenario, file)| {
            let seeds = match self.seeds {
                Seeds::Own => scenario.scenario.seed..=scenario.scenario.seed,
                Seeds::One(seed) => seed..=seed,
                Seeds::Sweep(range) => range.seeds(),
            };
            seeds
                .filter(move |seed| self.shard.is_none_or(|sh| sh.contains(file, *seed)))
                .map(move |seed| Job {
                    scenario: Arc::clone(scenario),
                    file: file.clone(),
                    seed,
                })
        })
    }

    /// How many runs [`Plan::jobs`] gives (counted without keeping them).
    pub fn len(&self) -> u64 {
        match (self.shard, self.seeds) {
            (None, Seeds::Sweep(range)) => self.scenarios.len() as u64 * range.len(),
            (None, _) => self.scenarios.len() as u64,
            (Some(_), _) => self.jobs().count() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same plan without the shard: every run of the selection.
    pub fn unsharded(&self) -> Plan {
        Plan {
            shard: None,
            ..self.clone()
        }
    }
}

/// Every (scenario, seed) pair, in report order, keeping only the shard's part.
pub fn plan(scenarios: &[Arc<LoadedScenario>], seeds: Seeds, shard: Option<Shard>) -> Plan {
    Plan::new(scenarios, seeds, shard)
}

/// Runs one scenario at `seed` (its own when `None`) and judges it.
pub fn run_one(
    loaded: &LoadedScenario,
    seed: Option<u64>,
    observer: &mut dyn Observer<TraceEvent>,
) -> Result<RunRecord, sim_core::RunError> {
    run_collecting(loaded, seed, observer, Collect::default()).map(|(record, _)| record)
}

/// Runs one scenario, judges it, and keeps the artifacts `collect` asks for.
pub fn run_collecting(
    loaded: &LoadedScenario,
    seed: Option<u64>,
    observer: &mut dyn Observer<TraceEvent>,
    collect: Collect,
) -> Result<(RunRecord, Artifacts), sim_core::RunError> {
    let mut scenario = loaded.scenario.clone();
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    let (outcome, stats, artifacts) = if scenario.area.is_some() {
        run_area(&scenario, observer, collect)?
    } else {
        let mut sim = Simulation::new(&scenario);
        if collect.pcap {
            sim.capture_packets();
        }
        let clock = RunClock::start();
        let timeline = if collect.timeline {
            Some(run_sampled(&mut sim, &scenario, observer)?)
        } else {
            sim.run_until(sim.end(), observer)?;
            None
        };
        let stats = collect.stats.then(|| clock.stats(sim.engine_stats()));
        let outcome = sim.outcome();
        let artifacts = Artifacts {
            timeline,
            capture: sim.take_capture(),
            device_log: collect
                .device_log
                .then(|| (sim.gateway_name().to_string(), sim.device_log_text())),
            start_unix_seconds: Calendar::new(scenario.start).start_unix_seconds(),
        };
        (outcome, stats, artifacts)
    };
    let value = serde_json::to_value(&outcome).unwrap_or(serde_json::Value::Null);
    let expectations: Vec<ExpectationResult> = loaded
        .expectations
        .iter()
        .map(|e| {
            let v = e.expectation.judge(&value);
            ExpectationResult {
                text: e.text.clone(),
                passed: v.passed,
                actual: v.actual,
                share: e.share,
                line: Some(e.line),
            }
        })
        .collect();
    let record = RunRecord {
        scenario: scenario.name.clone(),
        file: normalize_path(&loaded.file),
        seed: scenario.seed,
        overrides: loaded.overrides.clone(),
        // Share expectations are judged over the sweep, not here.
        passed: expectations.iter().all(|e| e.passed || e.share.is_some()),
        digest: outcome.trace.digest.clone(),
        expectations,
        outcome,
        stats,
        trace: None,
    };
    Ok((record, artifacts))
}

/// Runs an area scenario (all its homes in one event loop, [`sim_core::area`]). Captures and
/// device logs are one home's, so an area writes none; its report page shows the area's
/// recovery (from the outcome's `area` block) and home 0's boots and up times, from the
/// outcome too (the loop keeps no per-home trace).
fn run_area(
    scenario: &sim_core::Scenario,
    observer: &mut dyn Observer<TraceEvent>,
    collect: Collect,
) -> Result<(sim_core::Outcome, Option<reports::RunStats>, Artifacts), sim_core::RunError> {
    let clock = RunClock::start();
    let (outcome, engine) = sim_core::area::run(scenario, observer)?;
    let stats = collect.stats.then(|| clock.stats(engine));
    let timeline = collect.timeline.then(|| {
        Timeline::from_outcome(
            &outcome,
            "an area run keeps no per-home trace, so this is home 0's timeline as its outcome records it",
        )
    });
    let artifacts = Artifacts {
        timeline,
        capture: None,
        device_log: None,
        start_unix_seconds: Calendar::new(scenario.start).start_unix_seconds(),
    };
    Ok((outcome, stats, artifacts))
}

/// How long a run took on the wall clock, for the live lines on stderr (never a report).
struct WallClock(
    #[allow(
        clippy::disallowed_types,
        reason = "live lines on stderr only; never in a report"
    )]
    std::time::Instant,
);

impl WallClock {
    #[allow(
        clippy::disallowed_types,
        reason = "live lines on stderr only; never in a report"
    )]
    fn start() -> WallClock {
        WallClock(std::time::Instant::now())
    }

    fn elapsed(&self) -> std::time::Duration {
        self.0.elapsed()
    }
}

/// Times one run for `--stats`: wall time, and the CPU time of the thread that runs it.
struct RunClock {
    #[allow(
        clippy::disallowed_types,
        reason = "--stats reports times; they never reach an outcome"
    )]
    wall: std::time::Instant,
    cpu: Option<std::time::Duration>,
}

impl RunClock {
    #[allow(
        clippy::disallowed_types,
        reason = "--stats reports times; they never reach an outcome"
    )]
    fn start() -> RunClock {
        RunClock {
            wall: std::time::Instant::now(),
            cpu: thread_cpu_time(),
        }
    }

    fn stats(&self, engine: sim_core::EngineStats) -> reports::RunStats {
        let wall = self.wall.elapsed();
        let cpu = self
            .cpu
            .zip(thread_cpu_time())
            .map(|(start, end)| end.saturating_sub(start).as_secs_f64());
        // CPU time when there is one: on a shared machine the wall clock counts other processes' turns.
        let busy = cpu.unwrap_or(wall.as_secs_f64());
        reports::RunStats {
            events: engine.events,
            ns_per_event: busy * 1e9 / engine.events.max(1) as f64,
            peak_pending: engine.peak_pending,
            mean_pending: engine.mean_pending,
            sessions: engine.sessions,
            wall_seconds: wall.as_secs_f64(),
            cpu_seconds: cpu,
        }
    }
}

/// CPU time used so far by the calling thread (`None` where the platform does not say).
fn thread_cpu_time() -> Option<std::time::Duration> {
    #[cfg(unix)]
    {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        Some(std::time::Duration::new(
            u64::try_from(t.tv_sec).ok()?,
            u32::try_from(t.tv_nsec).ok()?,
        ))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Runs `sim` to its end while folding its trace into a timeline and sampling its NAPT
/// occupancy every [`sample_interval`] of simulated time. The run is stepped with
/// `run_events_until` (which leaves the NAPT tables alone) and finished with one
/// `run_until`, and the samples are read with the side-effect-free `napt_occupancy`: the
/// outcome and the digest are those of an unsampled run (tested in `tests/report.rs`).
fn run_sampled(
    sim: &mut Simulation,
    scenario: &sim_core::Scenario,
    observer: &mut dyn Observer<TraceEvent>,
) -> Result<Timeline, sim_core::RunError> {
    let interval = sample_interval(scenario.duration);
    let mut recorder = TimelineRecorder::new(scenario, interval);
    let mut napt = NaptSeriesBuilder::new(interval);
    {
        let mut both = Tee(observer, &mut recorder);
        while napt.next_at() <= sim.end() {
            sim.run_events_until(napt.next_at(), &mut both)?;
            napt.push(sim.napt_occupancy());
        }
        sim.run_until(sim.end(), &mut both)?;
    }
    Ok(recorder.finish(Some(napt)))
}

/// Hands every trace event to two observers of any kind.
struct Both<'a>(&'a mut dyn Observer<TraceEvent>, &'a mut dyn Observer<TraceEvent>);

impl Observer<TraceEvent> for Both<'_> {
    fn observe(&mut self, at: SimTime, event: &TraceEvent) {
        self.0.observe(at, event);
        self.1.observe(at, event);
    }
}

/// Hands every trace event to two observers.
struct Tee<'a>(&'a mut dyn Observer<TraceEvent>, &'a mut TimelineRecorder);

impl Observer<TraceEvent> for Tee<'_> {
    fn observe(&mut self, at: SimTime, event: &TraceEvent) {
        self.0.observe(at, event);
        self.1.observe(at, event);
    }
}

/// Writes the trace of a run as text, dated by the scenario's calendar: the whole of it
/// (`-v`), an excerpt (a failed run's record), or both.
struct TraceWriter<'a> {
    calendar: Calendar,
    out: Option<&'a mut dyn Write>,
    excerpt: Option<&'a mut TraceExcerpt>,
}

impl Observer<TraceEvent> for TraceWriter<'_> {
    fn observe(&mut self, at: SimTime, event: &TraceEvent) {
        // Sessions are data for the digest: a line each would drown the story.
        if matches!(event, TraceEvent::Session { .. }) {
            return;
        }
        let line = format!("      {} {:>12}  {event}\n", self.calendar.at(at), at.to_string());
        if let Some(out) = self.out.as_deref_mut() {
            let _ = out.write_all(line.as_bytes());
        }
        if let Some(excerpt) = self.excerpt.as_deref_mut() {
            excerpt.push(line);
        }
    }
}

/// The first and last [`reports::TRACE_EXCERPT_LINES`] lines of a trace, and how many
/// were left out between them: memory stays bounded however long the run.
#[derive(Debug, Default)]
pub struct TraceExcerpt {
    head: Vec<String>,
    tail: std::collections::VecDeque<String>,
    left_out: u64,
}

impl TraceExcerpt {
    pub fn push(&mut self, line: String) {
        let keep = reports::TRACE_EXCERPT_LINES;
        if self.head.len() < keep {
            self.head.push(line);
            return;
        }
        if self.tail.len() == keep {
            self.tail.pop_front();
            self.left_out += 1;
        }
        self.tail.push_back(line);
    }

    /// The excerpt as text, with a line that counts what was left out.
    pub fn finish(self) -> String {
        let mut text: String = self.head.concat();
        if self.left_out > 0 {
            text.push_str(&format!("      … {} lines left out …\n", self.left_out));
        }
        text.extend(self.tail);
        text
    }
}

/// A judged run, with its trace text when asked for.
#[derive(Clone, Debug)]
pub struct RunOutput {
    pub record: RunRecord,
    pub trace: Vec<u8>,
    pub artifacts: Artifacts,
}

/// Why a run gave no record.
#[derive(Clone, Debug)]
pub enum JobError {
    /// The model refused (a limit was hit): the scenario's fault, exit 2.
    Run {
        file: String,
        seed: u64,
        error: sim_core::RunError,
    },
    /// A bug: exit 1.
    Panic {
        file: String,
        seed: u64,
        message: String,
    },
    /// The runtime itself failed: exit 1.
    Runtime(String),
}

impl JobError {
    /// Whether the fault lies with fletsim rather than the scenario.
    pub fn is_internal(&self) -> bool {
        !matches!(self, JobError::Run { .. })
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobError::Run { file, seed, error } => {
                write!(
                    f,
                    "{file} (seed {seed}): {error}; reproduce: fletsim run {file} --seed {seed}"
                )
            }
            JobError::Panic { file, seed, message } => write!(
                f,
                "internal error running {file} at seed {seed}: {message}; reproduce: fletsim run {file} --seed {seed}"
            ),
            JobError::Runtime(message) => write!(f, "internal error: {message}"),
        }
    }
}

fn run_job(
    job: &Job,
    collect: Collect,
    observe: &mut dyn Observer<TraceEvent>,
) -> Result<RunOutput, JobError> {
    let mut trace = Vec::new();
    let mut excerpt = TraceExcerpt::default();
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        if collect.trace || collect.trace_excerpt {
            let mut writer = TraceWriter {
                calendar: Calendar::new(job.scenario.scenario.start),
                out: collect.trace.then_some(&mut trace as &mut dyn Write),
                excerpt: collect.trace_excerpt.then_some(&mut excerpt),
            };
            let mut both = Both(&mut writer, observe);
            run_collecting(&job.scenario, Some(job.seed), &mut both, collect)
        } else {
            run_collecting(&job.scenario, Some(job.seed), observe, collect)
        }
    }));
    match result {
        Ok(Ok((mut record, artifacts))) => Ok(RunOutput {
            record: {
                if collect.trace_excerpt && !record.passed {
                    record.trace = Some(excerpt.finish());
                }
                record
            },
            trace,
            artifacts,
        }),
        Ok(Err(error)) => Err(JobError::Run {
            file: job.file.clone(),
            seed: job.seed,
            error,
        }),
        Err(panic) => Err(JobError::Panic {
            file: job.file.clone(),
            seed: job.seed,
            message: panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_string()),
        }),
    }
}

/// `f` of every item on `jobs` threads (item `i` on thread `i % jobs`); results in the
/// items' order. A panic in `f` propagates.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], jobs: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let jobs = crate::bounds::threads_for(jobs, items.len());
    let f = &f;
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..jobs)
            .map(|w| {
                scope.spawn(move || {
                    items
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| i % jobs == w)
                        .map(|(i, item)| (i, f(item)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            match handle.join() {
                Ok(done) => {
                    for (i, r) in done {
                        if let Some(slot) = results.get_mut(i) {
                            *slot = Some(r);
                        }
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    results.into_iter().flatten().collect()
}

/// Runs every job, at most `parallel` at once, and returns the outputs sorted
/// by (file, scenario, seed); errors come back sorted the same way.
///
/// Jobs are taken from the iterator only when a run may start, so a long
/// plan is never held in memory; only the outputs of finished runs are.
pub fn execute(
    jobs: impl Iterator<Item = Job>,
    parallel: usize,
    collect: Collect,
    progress: Arc<Progress>,
) -> Result<Vec<RunOutput>, Vec<JobError>> {
    let parallel = parallel.clamp(1, crate::bounds::MAX_JOBS);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(parallel)
        .thread_name("fletsim-run")
        .build()
        .map_err(|e| vec![JobError::Runtime(format!("cannot start the runtime: {e}"))])?;
    let results: Vec<(usize, Result<RunOutput, JobError>)> = runtime.block_on(async {
        let permits = Arc::new(Semaphore::new(parallel));
        let mut set = JoinSet::new();
        let mut results = Vec::new();
        for (index, job) in jobs.enumerate() {
            let permit = match Arc::clone(&permits).acquire_owned().await {
                Ok(p) => p,
                Err(e) => {
                    results.push((index, Err(JobError::Runtime(e.to_string()))));
                    break;
                }
            };
            // Collect what has finished, so results do not wait in the set.
            while let Some(joined) = set.try_join_next() {
                results.push(joined_result(joined));
            }
            let progress = Arc::clone(&progress);
            set.spawn_blocking(move || {
                let _permit = permit;
                let clock = WallClock::start();
                let out = match progress.sim_clock() {
                    Some(mut sim_clock) => run_job(&job, collect, &mut sim_clock),
                    None => run_job(&job, collect, &mut sim_core::sim::NoObserver),
                };
                let failure = match &out {
                    Ok(o) if o.record.passed => None,
                    Ok(o) => Some(o.record.failed_expectations().next().map_or_else(
                        || "failed".to_string(),
                        |e| format!("{} (actual: {})", e.text, e.actual),
                    )),
                    Err(e) => Some(e.to_string()),
                };
                progress.finished(
                    &job.scenario.scenario.name,
                    job.seed,
                    failure.as_deref(),
                    clock.elapsed(),
                );
                (index, out)
            });
        }
        while let Some(joined) = set.join_next().await {
            results.push(joined_result(joined));
        }
        results
    });
    progress.finish();
    // Jobs came in report order: their index is the sort key.
    let mut results = results;
    results.sort_by_key(|(index, _)| *index);
    let (ok, errors): (Vec<_>, Vec<_>) = results.into_iter().partition(|(_, r)| r.is_ok());
    if errors.is_empty() {
        Ok(ok.into_iter().filter_map(|(_, r)| r.ok()).collect())
    } else {
        Err(errors.into_iter().filter_map(|(_, r)| r.err()).collect())
    }
}

type Joined = Result<(usize, Result<RunOutput, JobError>), tokio::task::JoinError>;

fn joined_result(joined: Joined) -> (usize, Result<RunOutput, JobError>) {
    match joined {
        Ok(r) => r,
        Err(e) => (usize::MAX, Err(JobError::Runtime(e.to_string()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_sweeps_parse() {
        assert_eq!("8".parse(), Ok(SeedRange { first: 1, last: 8 }));
        assert_eq!("5..8".parse(), Ok(SeedRange { first: 5, last: 8 }));
        assert_eq!("5..=8".parse(), Ok(SeedRange { first: 5, last: 8 }));
        assert_eq!("7..7".parse::<SeedRange>().map(SeedRange::len), Ok(1));
        for bad in ["0", "8..5", "x", "1..", "..3", "-2", "1..2000000"] {
            assert!(bad.parse::<SeedRange>().is_err(), "{bad}");
        }
    }
}
