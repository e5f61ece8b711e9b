//! Report files: `--json FILE|-`, `--junit FILE|-`, `--markdown FILE|-`.
//!
//! Every file is written after all runs have finished and been sorted, so
//! its bytes never depend on `--jobs` or on the order runs finished. Every
//! destination is checked before the first run ([`ReportFiles::check`]) and
//! written atomically ([`crate::files::write_file`]); an existing file is
//! replaced only with `--force`, an input of the run never.

use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;

use clap::Args;

use reports::RunRecord;
use reports::sweep::ShareVerdict;

use crate::files::{self, Outputs, Replace};
use crate::terminal;

/// Where a report goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File(PathBuf),
}

impl FromStr for Destination {
    type Err = String;
    fn from_str(s: &str) -> Result<Destination, String> {
        match s {
            "" => Err("an empty file name (use `-` for stdout)".to_string()),
            "-" => Ok(Destination::Stdout),
            path => Ok(Destination::File(PathBuf::from(path))),
        }
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Stdout => f.write_str("stdout"),
            Destination::File(p) => f.write_str(&terminal::path(p)),
        }
    }
}

/// The machine-readable reports of `run` and `merge` (add new report kinds here).
#[derive(Debug, Default, Args)]
pub struct ReportFiles {
    /// Write JSON Lines, one record per run, to FILE (`-`: stdout; an existing FILE needs --force). The input of `fletsim merge` and `diff`.
    #[arg(long, value_name = "FILE|-")]
    pub json: Option<Destination>,
    /// Write JUnit XML (one testcase per scenario and seed) to FILE (`-`: stdout; an existing FILE needs --force).
    #[arg(long, value_name = "FILE|-")]
    pub junit: Option<Destination>,
    /// Write a Markdown summary (for $GITHUB_STEP_SUMMARY) to FILE (`-`: stdout; an existing FILE needs --force).
    #[arg(long, value_name = "FILE|-")]
    pub markdown: Option<Destination>,
    /// Replace output files that exist already (reports, and with `run` captures and device logs); without it none is ever overwritten. Inputs are never overwritten.
    #[arg(long)]
    pub force: bool,
}

impl ReportFiles {
    fn all(&self) -> [(&'static str, Option<&Destination>); 3] {
        [
            ("--json", self.json.as_ref()),
            ("--junit", self.junit.as_ref()),
            ("--markdown", self.markdown.as_ref()),
        ]
    }

    /// Whether a report takes stdout (the human report then goes to stderr).
    pub fn uses_stdout(&self) -> bool {
        self.all().iter().any(|(_, d)| *d == Some(&Destination::Stdout))
    }

    /// Checks every destination before any run: two reports on one destination, a folder,
    /// a missing or unwritable folder, an input of the run, an existing file without `--force`.
    pub fn check(&self, outputs: &mut Outputs) -> Result<(), String> {
        let given: Vec<(&str, &Destination)> = self
            .all()
            .into_iter()
            .filter_map(|(f, d)| Some((f, d?)))
            .collect();
        for (i, (flag, dest)) in given.iter().enumerate() {
            match dest {
                Destination::Stdout => {
                    if let Some((other, _)) = given[..i].iter().find(|(_, d)| d == dest) {
                        return Err(format!("{other} and {flag} both write to stdout"));
                    }
                }
                Destination::File(path) => outputs.file(flag, path)?,
            }
        }
        Ok(())
    }

    /// Writes every requested report.
    pub fn write(
        &self,
        stdout: &mut dyn Write,
        records: &[RunRecord],
        shares: &[ShareVerdict],
    ) -> Result<(), String> {
        if let Some(d) = &self.json {
            write_to(d, stdout, self.force, |w| {
                reports::json::write_records(w, records)
            })?;
        }
        if let Some(d) = &self.junit {
            write_to(d, stdout, self.force, |w| {
                reports::junit::write(w, records, shares)
            })?;
        }
        if let Some(d) = &self.markdown {
            write_to(d, stdout, self.force, |w| {
                reports::markdown::write(w, records, shares)
            })?;
        }
        Ok(())
    }
}

/// Writes one report to its destination; a file atomically, replacing an old one only with `--force`.
pub fn write_to(
    dest: &Destination,
    stdout: &mut dyn Write,
    force: bool,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    match dest {
        Destination::Stdout => render(stdout)
            .and_then(|()| stdout.flush())
            .map_err(|e| format!("cannot write to stdout: {e}")),
        Destination::File(path) => {
            let replace = if force { Replace::Allowed } else { Replace::Never };
            files::write_file(path, replace, render)
        }
    }
}
