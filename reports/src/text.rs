//! The terminal report of `fletsim run`: a line per run, the failed
//! expectations under it with their actual values, then a summary.

use std::io::{self, Write};

use crate::RunRecord;

/// How much to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// Failures and the summary only.
    Quiet,
    #[default]
    Normal,
    /// Every expectation, passed or not.
    Verbose,
}

fn show(d: &Option<sim_core::outcome::Dur>) -> String {
    d.map_or_else(|| "never".to_string(), |d| d.to_string())
}

/// Writes the line(s) for one run.
pub fn write_run(out: &mut dyn Write, r: &RunRecord, verbosity: Verbosity) -> io::Result<()> {
    if r.passed && verbosity == Verbosity::Quiet {
        return Ok(());
    }
    let o = &r.outcome;
    writeln!(
        out,
        "{}  {} (seed {})  ipv6 {}  ipv4 {}  boots {}  stuck_at {}",
        if r.passed { "PASS" } else { "FAIL" },
        r.scenario,
        r.seed,
        show(&o.ipv6.first_up),
        show(&o.ipv4.first_up),
        o.gateway.boots,
        o.gateway.stuck_at,
    )?;
    for e in &r.expectations {
        if !e.passed {
            writeln!(out, "      failed: {}  (actual: {})", e.text, e.actual)?;
        } else if verbosity == Verbosity::Verbose {
            writeln!(out, "      ok:     {}  (actual: {})", e.text, e.actual)?;
        }
    }
    if !r.passed {
        writeln!(out, "      reproduce: {}", r.reproduce_command())?;
    }
    Ok(())
}

/// Writes the closing summary line.
pub fn write_summary(out: &mut dyn Write, records: &[RunRecord]) -> io::Result<()> {
    let failed = records.iter().filter(|r| !r.passed).count();
    let passed = records.len() - failed;
    writeln!(out, "summary: {passed} passed, {failed} failed")
}
