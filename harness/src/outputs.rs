//! Report files: `--json FILE|-`, `--junit FILE|-`, `--markdown FILE|-`.
//!
//! One exception to "replaced only with `--force`": `--markdown` given the
//! file named by `$GITHUB_STEP_SUMMARY` appends to it, as GitHub expects of
//! every step (the runner creates the file; other steps' summaries stay).
//!
//! Every file is written after all runs have finished and been sorted, so
//! its bytes never depend on `--jobs` or on the order runs finished. Every
//! destination is checked before the first run ([`ReportFiles::check`]) and
//! written atomically ([`crate::files::write_file`]); an existing file is
//! replaced only with `--force`, an input of the run never.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use clap::Args;

use reports::sweep::ShareVerdict;
use reports::{LoadFailure, RunRecord};

use crate::console::Environment;
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
    /// Write a Markdown summary to FILE (`-`: stdout; an existing FILE needs --force). Given the file named by $GITHUB_STEP_SUMMARY, it appends to it, as GitHub expects.
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

    /// The Markdown file to append to: `--markdown` names the file `$GITHUB_STEP_SUMMARY` names.
    pub fn markdown_appends<'a>(&'a self, env: &Environment) -> Option<&'a Path> {
        let Some(Destination::File(path)) = &self.markdown else {
            return None;
        };
        let summary = Path::new(env.var("GITHUB_STEP_SUMMARY")?);
        let same = path == summary
            || path
                .canonicalize()
                .ok()
                .zip(summary.canonicalize().ok())
                .is_some_and(|(a, b)| a == b);
        same.then_some(path.as_path())
    }

    /// Checks every destination before any run: two reports on one destination, a folder,
    /// a missing or unwritable folder, an input of the run, an existing file without `--force`
    /// (the step summary may exist: it is appended to).
    pub fn check(&self, outputs: &mut Outputs, env: &Environment) -> Result<(), String> {
        let appended = self.markdown_appends(env);
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
                Destination::File(path) if *flag == "--markdown" && appended.is_some() => {
                    outputs.appended_file(flag, path)?;
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
        load_failures: &[LoadFailure],
        env: &Environment,
    ) -> Result<(), String> {
        if let Some(d) = &self.json {
            write_to(d, stdout, self.force, |w| {
                reports::json::write_records(w, records)
            })?;
        }
        if let Some(d) = &self.junit {
            write_to(d, stdout, self.force, |w| {
                reports::junit::write(w, records, shares, load_failures)
            })?;
        }
        let markdown = |w: &mut dyn Write| reports::markdown::write(w, records, shares, load_failures);
        match (&self.markdown, self.markdown_appends(env)) {
            (_, Some(path)) => append_to(path, markdown)?,
            (Some(d), None) => write_to(d, stdout, self.force, markdown)?,
            (None, None) => {}
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

/// Appends one report to a file in a single write (GitHub's step summary), after a blank
/// line when the file has text already.
pub fn append_to(
    path: &Path,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    let shown = terminal::path(path);
    // As everywhere: a link where an output goes is never followed to write its target.
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(format!(
            "cannot append to {shown}: it is a symbolic link (its target is never written)"
        ));
    }
    let mut text = Vec::new();
    render(&mut text).map_err(|e| format!("cannot write {shown}: {e}"))?;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| format!("cannot append to {shown}: {e}"))?;
    let has_text = file.metadata().is_ok_and(|m| m.len() > 0);
    if has_text {
        text.splice(0..0, *b"\n");
    }
    file.write_all(&text)
        .map_err(|e| format!("cannot append to {shown}: {e}"))
}
