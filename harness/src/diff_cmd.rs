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

use serde_json::Value;

use reports::diff::RunKey;
use reports::html::diff_page::ChangedRun;
use reports::timeline::Timeline;

use crate::cli::{DiffArgs, exit};
use crate::console::Environment;
use crate::snapshot_cmd::read_snap;

/// Outcomes by (scenario, seed), with the file each came from.
type Side = BTreeMap<RunKey, (Value, String)>;

fn is_snap(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.ends_with(".snap") || name.ends_with(".snap.new")
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: cannot read folder: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| e == "snap" || e == "json" || e == "jsonl")
        {
            // `.snap.new` files are pending, not results: a folder's side is its accepted snapshots.
            out.push(path);
        }
    }
    Ok(())
}

fn insert(side: &mut Side, key: RunKey, outcome: Value, file: &Path) -> Result<(), String> {
    let from = file.display().to_string();
    if let Some((other, other_file)) = side.get(&key)
        && *other != outcome
    {
        return Err(format!(
            "{} (seed {}) appears in {other_file} and {from} with different outcomes",
            key.0, key.1
        ));
    }
    side.insert(key, (outcome, from));
    Ok(())
}

/// Reads one side of a diff.
pub fn load_side(path: &Path) -> Result<BTreeMap<RunKey, Value>, String> {
    let files = if path.is_dir() {
        let mut files = Vec::new();
        collect(path, &mut files)?;
        if files.is_empty() {
            return Err(format!(
                "{}: no results (*.json, *.jsonl) or snapshots (*.snap) in this folder",
                path.display()
            ));
        }
        files
    } else if path.is_file() {
        vec![path.to_path_buf()]
    } else {
        return Err(format!("{}: no such file or folder", path.display()));
    };
    let mut side = Side::new();
    for file in files {
        if is_snap(&file) {
            let snap = read_snap(&file)?;
            let info = snap.info.ok_or_else(|| {
                format!(
                    "{}: the header has no `info: {{scenario, seed}}`, so it cannot be paired with a run",
                    file.display()
                )
            })?;
            insert(&mut side, (info.scenario, info.seed), snap.outcome, &file)?;
        } else {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
            let records =
                reports::json::read_records(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            for r in records {
                let outcome = serde_json::to_value(&r.outcome).map_err(|e| e.to_string())?;
                insert(&mut side, (r.scenario, r.seed), outcome, &file)?;
            }
        }
    }
    Ok(side.into_iter().map(|(k, (v, _))| (k, v)).collect())
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
    if let Err(e) = reports::diff::write(out, &d, args.output.palette(env)) {
        let _ = writeln!(err, "error: cannot write the diff: {e}");
        return exit::INTERNAL;
    }
    if d.is_identical() {
        exit::OK
    } else {
        exit::EXPECTATIONS_FAILED
    }
}
