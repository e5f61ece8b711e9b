//! A Markdown summary of a suite, fit for `$GITHUB_STEP_SUMMARY` (or a merge
//! request comment): a headline, a table with a row per scenario, the share
//! expectations, and the failed runs with their reproduce commands.
//!
//! Kept small on purpose (GitHub allows 1 MiB per step summary): one row per
//! scenario however many seeds ran, and at most [`MAX_FAILURES`] failures
//! spelled out.

use std::io::{self, Write};

use crate::sweep::ShareVerdict;
use crate::{LoadFailure, RunRecord};

/// How many failed runs are listed one by one.
pub const MAX_FAILURES: usize = 50;
/// How many failed seeds a table cell lists.
const MAX_SEEDS_IN_CELL: usize = 10;

/// Text for a table cell: no `|` or line breaks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Inline code that survives any text (backticks are swapped for quotes).
fn code(text: &str) -> String {
    format!("`{}`", cell(&text.replace('`', "'")))
}

/// Writes the summary for records sorted by [`RunRecord::sort_key`].
pub fn write(
    out: &mut dyn Write,
    records: &[RunRecord],
    shares: &[ShareVerdict],
    load_failures: &[LoadFailure],
) -> io::Result<()> {
    let failed = records.iter().filter(|r| !r.passed).count();
    let missed = shares.iter().filter(|v| !v.met).count();
    let ok = failed == 0 && missed == 0 && load_failures.is_empty();
    let scenarios = records
        .chunk_by(|a, b| a.file == b.file && a.scenario == b.scenario)
        .count();
    writeln!(
        out,
        "## {} fletsim: {} runs of {} scenarios, {} passed, {} failed",
        if ok { "✅" } else { "❌" },
        records.len(),
        scenarios,
        records.len() - failed,
        failed
    )?;
    if !load_failures.is_empty() {
        writeln!(out, "\n{} scenario files failed to load:\n", load_failures.len())?;
        for f in load_failures {
            writeln!(out, "- {}", code(&f.message))?;
        }
    }
    if !shares.is_empty() {
        writeln!(
            out,
            "\nShare expectations: {} met, {} missed.",
            shares.len() - missed,
            missed
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "| | Scenario | File | Seeds | Passed | Failed | Failed seeds |"
    )?;
    writeln!(out, "|---|---|---|---|---:|---:|---|")?;
    for runs in records.chunk_by(|a, b| a.file == b.file && a.scenario == b.scenario) {
        let first = &runs[0];
        let failed: Vec<u64> = runs.iter().filter(|r| !r.passed).map(|r| r.seed).collect();
        let share_missed = shares
            .iter()
            .any(|v| !v.met && v.file == first.file && v.scenario == first.scenario);
        let (low, high) = runs
            .iter()
            .fold((u64::MAX, 0), |(lo, hi), r| (lo.min(r.seed), hi.max(r.seed)));
        let seeds = if runs.len() == 1 {
            low.to_string()
        } else if high - low + 1 == runs.len() as u64 {
            format!("{low}–{high}")
        } else {
            format!("{} seeds in {low}–{high}", runs.len())
        };
        let mut failed_cell: Vec<String> = failed
            .iter()
            .take(MAX_SEEDS_IN_CELL)
            .map(u64::to_string)
            .collect();
        if failed.len() > MAX_SEEDS_IN_CELL {
            failed_cell.push(format!("… {} more", failed.len() - MAX_SEEDS_IN_CELL));
        }
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            if failed.is_empty() && !share_missed {
                "✅"
            } else {
                "❌"
            },
            cell(&first.scenario),
            code(&first.file),
            seeds,
            runs.len() - failed.len(),
            failed.len(),
            failed_cell.join(", ")
        )?;
    }
    if !shares.is_empty() {
        writeln!(out, "\n### Share expectations\n")?;
        writeln!(out, "| | Scenario | Expectation | Result |")?;
        writeln!(out, "|---|---|---|---|")?;
        for v in shares {
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                if v.met { "✅" } else { "❌" },
                cell(&v.scenario),
                code(&v.text),
                cell(&v.describe())
            )?;
        }
    }
    if failed > 0 || missed > 0 {
        writeln!(out, "\n### Failures\n")?;
        for v in shares.iter().filter(|v| !v.met) {
            writeln!(
                out,
                "- **{}**: {} {}  \n  reproduce: {}",
                cell(&v.scenario),
                code(&v.text),
                cell(&v.describe()),
                code(&v.reproduce_command())
            )?;
        }
        let failures: Vec<&RunRecord> = records.iter().filter(|r| !r.passed).collect();
        for r in failures.iter().take(MAX_FAILURES) {
            let expectations: Vec<String> = r
                .failed_expectations()
                .map(|e| format!("{} (actual: {})", code(&e.text), cell(&e.actual)))
                .collect();
            writeln!(
                out,
                "- **{}** seed {}: {}  \n  reproduce: {}",
                cell(&r.scenario),
                r.seed,
                expectations.join("; "),
                code(&r.reproduce_command())
            )?;
        }
        if failures.len() > MAX_FAILURES {
            writeln!(
                out,
                "- … and {} more failed runs (the JUnit or JSON report has them all)",
                failures.len() - MAX_FAILURES
            )?;
        }
    }
    Ok(())
}
