//! reports: pure rendering of run results. Every renderer writes to any
//! `io::Write`, so tests compare against a `Vec<u8>`.
//!
//! - [`RunRecord`]: one scenario run at one seed, judged: the data every
//!   renderer takes (the harness fills it; JSON Lines are its serde form).
//! - [`sweep`]: share expectations (`… for 95% of seeds`), judged over the
//!   runs of a seed sweep.
//! - [`text`]: the terminal lines and summary of `fletsim run`.
//! - [`json`]: JSON Lines, one record per run (the input of merge and diff).
//! - [`junit`]: JUnit XML for CI test reporters; [`markdown`]: a summary for
//!   `$GITHUB_STEP_SUMMARY`; [`github`]: `::error` annotations for GitHub Actions.
//! - [`snapshot`]: outcomes as insta-format `.snap` files (stable YAML).
//! - [`diff`]: the semantic diff of two sets of outcomes, path by path.
//! - [`pcap`]: classic pcap files of a simulated link's packets (raw IP,
//!   little-endian, timestamps on the scenario's calendar).
//! - [`timeline`]: a run's trace folded into what its report page draws (an observer),
//!   with the NAPT occupancy the harness samples; or rebuilt from an outcome alone.
//! - [`html`]: the self-contained HTML report: suite, run, hypotheses, diff and bisect
//!   pages with inline SVG charts.
//!
//! Nothing here may depend on wall time or on the order runs finished:
//! every renderer takes records sorted by [`RunRecord::sort_key`] and gives
//! the same bytes for the same records.

use serde::{Deserialize, Serialize};
use sim_core::Outcome;

pub mod diff;
pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod pcap;
pub mod snapshot;
pub mod sweep;
pub mod text;
pub mod timeline;
pub mod yaml;

/// One scenario run at one seed, with its judged expectations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The scenario's name.
    pub scenario: String,
    /// The file it came from, as given on the command line.
    pub file: String,
    pub seed: u64,
    /// `--set PATH=VALUE` overrides the run was made with (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<String>,
    /// Every expectation held.
    pub passed: bool,
    /// The trace digest (also in `outcome.trace.digest`).
    pub digest: String,
    pub expectations: Vec<ExpectationResult>,
    pub outcome: Outcome,
    /// What the run cost (`fletsim run --stats` only: times differ from run to run,
    /// so they are never part of an outcome, a digest or a snapshot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<RunStats>,
    /// A failed run's trace as text, its first and last lines ([`TRACE_EXCERPT_LINES`]):
    /// JUnit's `<system-out>`. Absent for a passed run, and when no report asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// How many lines of a failed run's trace its record keeps: this many from the start and as
/// many from the end, with a line that counts those left out between.
pub const TRACE_EXCERPT_LINES: usize = 100;

/// A scenario file that could not be loaded: its run never happened, reports show it as an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadFailure {
    /// The file as records spell it.
    pub file: String,
    /// Where the error is (1-based), 0 when it is about the whole file.
    pub line: u64,
    /// The whole message, as printed (`FILE:LINE:COLUMN: PATH: WHAT`).
    pub message: String,
}

impl LoadFailure {
    /// The line to point at: the error's, or the file's first.
    pub fn line_or_first(&self) -> u64 {
        self.line.max(1)
    }
}

/// What one run cost: engine events and the time they took.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    /// Engine events processed.
    pub events: u64,
    /// CPU time (wall time where there is none) of the run divided by its events.
    pub ns_per_event: f64,
    /// The most events pending at once, and the mean an event saw.
    pub peak_pending: u64,
    pub mean_pending: f64,
    /// LAN sessions attempted.
    pub sessions: u64,
    /// The run's wall time and the CPU time of its thread, in seconds
    /// (the CPU time is absent where the platform does not give it).
    pub wall_seconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_seconds: Option<f64>,
}

impl RunStats {
    /// One line for the terminal: `1,234,567 events, 61 ns/event, …`.
    pub fn summary(&self) -> String {
        use sim_core::cost::thousands;
        let cpu = self
            .cpu_seconds
            .map_or_else(String::new, |c| format!(", cpu {c:.3} s"));
        format!(
            "{} events, {:.0} ns/event, peak {} pending (mean {:.1}), {} sessions, wall {:.3} s{cpu}",
            thousands(self.events),
            self.ns_per_event,
            thousands(self.peak_pending),
            self.mean_pending,
            thousands(self.sessions),
            self.wall_seconds,
        )
    }
}

/// One expectation and what the run showed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectationResult {
    pub text: String,
    pub passed: bool,
    /// The outcome's value at the expectation's path (`never` for null).
    pub actual: String,
    /// For `… for P% of seeds`: the share required. `passed` then says whether
    /// the expectation held at this seed; it does not decide the run's
    /// verdict, the sweep does ([`sweep::judge_shares`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<sweep::Share>,
    /// Its line in the scenario file (1-based; absent in records of older fletsim versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl RunRecord {
    /// The order of every report: scenario file, scenario name, seed.
    pub fn sort_key(&self) -> (&str, &str, u64) {
        (&self.file, &self.scenario, self.seed)
    }

    /// The command that reproduces this run exactly.
    pub fn reproduce_command(&self) -> String {
        let mut command = format!("fletsim run {} --seed {}", shell_quote(&self.file), self.seed);
        for o in &self.overrides {
            command.push_str(&format!(" --set {}", shell_quote(o)));
        }
        command
    }

    /// The record without its run statistics: what two runs of the same scenario and seed share.
    pub fn without_stats(&self) -> RunRecord {
        RunRecord {
            stats: None,
            ..self.clone()
        }
    }

    /// The line reports point at: the first failed expectation's, else the file's first line.
    pub fn line(&self) -> u64 {
        self.failed_expectations()
            .find_map(|e| e.line)
            .filter(|l| *l > 0)
            .unwrap_or(1)
    }

    /// The expectations that failed this run (share expectations excluded).
    pub fn failed_expectations(&self) -> impl Iterator<Item = &ExpectationResult> {
        self.expectations
            .iter()
            .filter(|e| !e.passed && e.share.is_none())
    }
}

/// Sorts records into report order.
pub fn sort_records(records: &mut [RunRecord]) {
    records.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// Quotes a path for a POSIX shell when it needs it.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@+=".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
