//! reports: pure rendering of run results. Every renderer writes to any
//! `io::Write`, so tests compare against a `Vec<u8>`.
//!
//! - [`RunRecord`]: one scenario run at one seed, judged: the data every
//!   renderer takes (the harness fills it; JSON Lines are its serde form).
//! - [`text`]: the terminal lines and summary of `fletsim run`.
//! - [`json`]: JSON Lines, one record per run.
//! - [`pcap`]: classic pcap files of a simulated link's packets (raw IP,
//!   little-endian, timestamps on the scenario's calendar).

use serde::{Deserialize, Serialize};
use sim_core::Outcome;

pub mod json;
pub mod pcap;
pub mod text;

/// One scenario run at one seed, with its judged expectations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The scenario's name.
    pub scenario: String,
    /// The file it came from, as given on the command line.
    pub file: String,
    pub seed: u64,
    /// Every expectation held.
    pub passed: bool,
    /// The trace digest (also in `outcome.trace.digest`).
    pub digest: String,
    pub expectations: Vec<ExpectationResult>,
    pub outcome: Outcome,
}

/// One expectation and what the run showed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectationResult {
    pub text: String,
    pub passed: bool,
    /// The outcome's value at the expectation's path (`never` for null).
    pub actual: String,
}

impl RunRecord {
    /// The command that reproduces this run exactly.
    pub fn reproduce_command(&self) -> String {
        format!("fletsim run {} --seed {}", shell_quote(&self.file), self.seed)
    }
}

/// Quotes a path for a POSIX shell when it needs it.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@+=".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
