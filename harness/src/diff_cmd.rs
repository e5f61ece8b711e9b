//! `fletsim diff OLD NEW`: per scenario and seed, the outcome paths that
//! changed. Each side is a JSON Lines results file (`fletsim run --json`),
//! a `.snap` file, or a folder searched recursively for both.
//!
//! Runs are paired by scenario name and seed (not by file path, which may
//! differ between checkouts); `.snap` files say theirs in the `info` header.
//! Exit 0 when identical, 100 when different, 2 when a side cannot be read.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use serde_json::Value;

use reports::diff::{Change, OutcomeDiff, RunKey};
use reports::html::diff_page::ChangedRun;
use reports::timeline::Timeline;

use crate::console::Environment;
use crate::files::{self, Selection};
use crate::options::{OutputOptions, exit};
use crate::snapshot_cmd::read_snap;
use crate::terminal;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  fletsim diff before.json after.json
  fletsim diff snapshots/ new-snapshots/ --report diff-report/")]
pub struct DiffArgs {
    /// JSON results file, .snap file, or a folder of them.
    pub old: PathBuf,
    /// JSON results file, .snap file, or a folder of them.
    pub new: PathBuf,
    /// Write an HTML report into DIR: the changed paths side by side and the runs' timelines one above the other.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Overwrite the report files of an existing, non-empty folder.
    #[arg(long, requires = "report")]
    pub force: bool,
    #[command(flatten)]
    pub output: OutputOptions,
}

/// Outcomes by (scenario, seed), with the file each came from.
type Side = BTreeMap<RunKey, (Value, String)>;

/// What `diff` reads from folders: results and accepted snapshots (`.snap.new` files are
/// pending, not results: a folder's side is its accepted snapshots).
const DIFF_FILES: Selection = Selection {
    extensions: &["snap", "json", "jsonl"],
    what: "results (*.json, *.jsonl) or snapshots (*.snap)",
};

fn is_snap(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.ends_with(".snap") || name.ends_with(".snap.new")
}

fn insert(side: &mut Side, key: RunKey, outcome: Value, file: &Path) -> Result<(), String> {
    let from = terminal::path(file);
    if let Some((other, other_file)) = side.get(&key)
        && *other != outcome
    {
        return Err(format!(
            "{} (seed {}) appears in {other_file} and {from} with different outcomes",
            terminal::escape(&key.0),
            key.1
        ));
    }
    side.insert(key, (outcome, from));
    Ok(())
}

/// Reads one side of a diff.
pub fn load_side(path: &Path) -> Result<BTreeMap<RunKey, Value>, String> {
    let found = files::find(&[path.to_path_buf()], &DIFF_FILES).map_err(|e| e.to_string())?;
    let mut side = Side::new();
    for file in found.into_iter().map(|f| f.path) {
        if is_snap(&file) {
            let snap = read_snap(&file)?;
            let info = snap.info.ok_or_else(|| {
                format!(
                    "{}: the header has no `info: {{scenario, seed}}`, so it cannot be paired with a run",
                    terminal::path(&file)
                )
            })?;
            insert(&mut side, (info.scenario, info.seed), snap.outcome, &file)?;
        } else {
            for r in crate::run_cmd::read_results_file(&file)? {
                let outcome = serde_json::to_value(&r.outcome).map_err(|e| e.to_string())?;
                insert(&mut side, (r.scenario, r.seed), outcome, &file)?;
            }
        }
    }
    Ok(side.into_iter().map(|(k, (v, _))| (k, v)).collect())
}

/// The diff with every name and value escaped for the terminal (both sides come from files).
fn shown(d: &OutcomeDiff) -> OutcomeDiff {
    let key = |(name, seed): &RunKey| (terminal::escape(name).into_owned(), *seed);
    OutcomeDiff {
        changed: d
            .changed
            .iter()
            .map(|(k, changes)| {
                let changes = changes
                    .iter()
                    .map(|c| Change {
                        path: terminal::escape(&c.path).into_owned(),
                        old: terminal::escape(&c.old).into_owned(),
                        new: terminal::escape(&c.new).into_owned(),
                    })
                    .collect();
                (key(k), changes)
            })
            .collect(),
        only_old: d.only_old.iter().map(key).collect(),
        only_new: d.only_new.iter().map(key).collect(),
        unchanged: d.unchanged,
    }
}

/// `fletsim diff`.
pub fn run(args: &DiffArgs, env: &Environment, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    if let Some(dir) = &args.report
        && let Err(e) = crate::html_report::check_dir(dir, args.force)
    {
        let _ = writeln!(err, "error: {e}");
        return exit::BAD_INPUT;
    }
    let (old, new) = match (load_side(&args.old), load_side(&args.new)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            let _ = writeln!(err, "error: {e}");
            return exit::BAD_INPUT;
        }
    };
    let d = reports::diff::diff(&old, &new);
    if let Some(dir) = &args.report {
        let timeline = |side: &BTreeMap<RunKey, Value>, key: &RunKey| {
            let outcome: sim_core::Outcome = serde_json::from_value(side.get(key)?.clone()).ok()?;
            Some(Timeline::from_outcome(&outcome, "a diff compares outcomes"))
        };
        let changed: Vec<ChangedRun> = d
            .changed
            .iter()
            .map(|(key, changes)| ChangedRun {
                key: key.clone(),
                changes: changes.clone(),
                old: timeline(&old, key),
                new: timeline(&new, key),
            })
            .collect();
        let page = reports::html::Page {
            name: "index.html".into(),
            html: reports::html::diff_page::render(
                &args.old.display().to_string(),
                &args.new.display().to_string(),
                &d,
                &changed,
            ),
        };
        if let Err(e) = crate::html_report::write_report(dir, &[page], args.force) {
            let _ = writeln!(err, "error: {e}");
            return exit::INTERNAL;
        }
    }
    if args.output.verbose {
        let _ = writeln!(
            out,
            "old: {} ({} runs)\nnew: {} ({} runs)",
            crate::terminal::path(&args.old),
            old.len(),
            crate::terminal::path(&args.new),
            new.len()
        );
    }
    let written = if args.output.quiet {
        // -q: the verdict line only (the exit code says the same).
        writeln!(
            out,
            "{}: {}",
            if d.is_identical() {
                "identical"
            } else {
                "different"
            },
            d.summary()
        )
    } else {
        reports::diff::write(out, &shown(&d), args.output.palette(env))
    };
    if let Err(e) = written {
        let _ = writeln!(err, "error: cannot write the diff: {e}");
        return exit::INTERNAL;
    }
    if d.is_identical() {
        exit::OK
    } else {
        exit::EXPECTATIONS_FAILED
    }
}
