//! `fletsim snapshot`: each scenario's outcome pinned as an insta-format
//! `.snap` file in `--dir`.
//!
//! - no flag: write the snapshots that do not exist yet; a stored one that
//!   differs is not touched: its diff is printed, `NAME.snap.new` written
//!   beside it, exit 100.
//! - `--check`: write no `.snap`; every missing or differing one gets a
//!   `.snap.new` and its diff, exit 100.
//! - `--accept`: write every `.snap` (replacing those that differ), remove
//!   the `.snap.new` files.
//!
//! A stored snapshot is never replaced without `--accept`. A `.snap.new`
//! left from an earlier run is removed once the outcome matches again.
//! `cargo insta review --workspace-root DIR` reviews the `.snap.new` files.
//!
//! Names: `SCENARIO.snap` at each scenario's own seed, `SCENARIO@seedS.snap`
//! with `--seed` or `--seeds`. Only the body (the outcome) is compared; the
//! header says where it came from.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use serde::Deserialize;
use serde_json::Value;

use reports::snapshot::{self, SnapshotInfo};
use reports::text::Palette;

use crate::artifacts::Collect;
use crate::console::Environment;
use crate::files::{self, InputKind, Outputs, Replace};
use crate::options::{OutputOptions, RunOptions, ScenarioSelection, exit};
use crate::run_cmd::{LoadErrors, execute_jobs, plan_selection};
use crate::suite::Seeds;
use crate::terminal;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  fletsim snapshot scenarios/ --dir snapshots/ --accept   # pin the outcomes
  fletsim snapshot scenarios/ --dir snapshots/ --check    # exit 100 on a difference")]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub selection: ScenarioSelection,
    /// The folder of .snap files.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Compare with the stored snapshots; on a difference print it, write a .snap.new beside and exit 100.
    #[arg(long, conflicts_with = "accept")]
    pub check: bool,
    /// Write every snapshot, replacing those that differ.
    #[arg(long)]
    pub accept: bool,
    #[command(flatten)]
    pub run: RunOptions,
    #[command(flatten)]
    pub output: OutputOptions,
}

/// A `.snap` file read back.
#[derive(Clone, Debug, PartialEq)]
pub struct SnapFile {
    pub info: Option<SnapshotInfo>,
    /// The body as text (trailing whitespace trimmed, as insta compares it).
    pub body: String,
    /// The body as data.
    pub outcome: Value,
}

/// The header fields fletsim reads (insta's others are ignored).
#[derive(Debug, Default, Deserialize)]
struct Header {
    info: Option<SnapshotInfo>,
}

/// Parses a `.snap` file's text.
pub fn parse_snap(text: &str) -> Result<SnapFile, String> {
    let text = text.replace("\r\n", "\n");
    let rest = text
        .strip_prefix("---\n")
        .ok_or("not an insta snapshot: it must start with a `---` line")?;
    let end = rest
        .find("\n---\n")
        .map(|i| (i + 1, i + 5))
        .or_else(|| rest.starts_with("---\n").then_some((0, 4)))
        .ok_or("not an insta snapshot: no `---` line after the header")?;
    let header_text = &rest[..end.0];
    let body = rest[end.1..].trim_end().to_string();
    let header: Header = if header_text.trim().is_empty() {
        Header::default()
    } else {
        serde_saphyr::from_str_with_options(header_text, crate::yaml::options())
            .map_err(|e| format!("its header is not YAML: {}", crate::yaml::message(&e)))?
    };
    let outcome: Value = serde_saphyr::from_str_with_options(&body, crate::yaml::options())
        .map_err(|e| format!("its body is not YAML: {}", crate::yaml::message(&e)))?;
    Ok(SnapFile {
        info: header.info,
        body,
        outcome,
    })
}

/// Reads and parses a `.snap` file (through the bounded reader).
pub fn read_snap(path: &Path) -> Result<SnapFile, String> {
    let text = files::read_text(path, InputKind::Snapshot).map_err(|e| e.to_string())?;
    parse_snap(&text).map_err(|e| format!("{}: {e}", terminal::path(path)))
}

/// What happened to one snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Unchanged,
    /// Written for the first time.
    New,
    /// Not there, `.snap.new` written (`--check`).
    Missing,
    /// Differs, `.snap.new` written.
    Changed,
    /// Differed, replaced (`--accept`).
    Accepted,
}

fn new_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

/// Writes a snapshot file atomically; `replace` as [`files::write_file`] takes it.
fn write_file(path: &Path, text: &str, replace: Replace) -> Result<(), String> {
    files::write_file(path, replace, |w| w.write_all(text.as_bytes()))
}

/// The snapshot file of a run.
fn snap_name(scenario: &str, seed: u64, with_seed: bool) -> String {
    if with_seed {
        format!("{scenario}@seed{seed}.snap")
    } else {
        format!("{scenario}.snap")
    }
}

/// `fletsim snapshot`.
pub fn run(args: &SnapshotArgs, env: &Environment, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let planned = match plan_selection(
        &args.selection,
        &args.run,
        env,
        &args.output,
        LoadErrors::Stop,
        err,
    ) {
        Ok(p) => p,
        Err(code) => return code,
    };
    // Snapshot names must be unique: two files naming the same scenario would overwrite each other.
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    for (loaded, file) in planned.plan.scenarios() {
        let name = loaded.scenario.name.as_str();
        if let Some(other) = names.insert(name, file)
            && other != file
        {
            let _ = writeln!(
                err,
                "error: {} and {} both name a scenario `{name}`: snapshot names must be unique",
                terminal::escape(other),
                terminal::escape(file)
            );
            return exit::BAD_INPUT;
        }
    }
    let with_seed_in_name = args.selection.seeds() != Seeds::Own;
    // Every file it may write is checked before the first run: never an input, never a folder.
    let outputs = Outputs::new(planned.inputs.iter().cloned(), false);
    let checked = outputs.folder("--dir", &args.dir).and_then(|()| {
        planned.plan.jobs().try_for_each(|j| {
            let path = args
                .dir
                .join(snap_name(&j.scenario.scenario.name, j.seed, with_seed_in_name));
            outputs.file_in_folder("--dir", &path, true)?;
            outputs.file_in_folder("--dir", &new_path(&path), true)
        })
    });
    if let Err(e) = checked {
        let _ = writeln!(err, "error: {e}");
        return exit::BAD_INPUT;
    }
    let outputs = match execute_jobs(
        &planned.plan,
        &args.run,
        &args.output,
        Collect::default(),
        env,
        err,
    ) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let palette = args.output.palette(env);
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut differs = false;
    for o in &outputs {
        let r = &o.record;
        let path = args.dir.join(snap_name(&r.scenario, r.seed, with_seed_in_name));
        let info = SnapshotInfo {
            scenario: r.scenario.clone(),
            seed: r.seed,
        };
        let body = snapshot::body(&r.outcome);
        let text = snapshot::file_text(&r.file, &info, &body);
        let label = format!("{} (seed {})  {}", r.scenario, r.seed, terminal::path(&path));
        match one(args, &path, &label, &text, &body, &r.outcome, palette, out) {
            Ok(status) => {
                differs |= matches!(status, Status::Changed | Status::Missing);
                let label = match status {
                    Status::Unchanged => "unchanged",
                    Status::New => "new",
                    Status::Missing => "missing",
                    Status::Changed => "changed",
                    Status::Accepted => "accepted",
                };
                *counts.entry(label).or_default() += 1;
            }
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                return exit::INTERNAL;
            }
        }
    }
    let summary: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let dir = terminal::path(&args.dir);
    let _ = writeln!(out, "snapshots in {dir}: {}", summary.join(", "));
    if differs {
        let _ = writeln!(
            out,
            "review with `cargo insta review --workspace-root {dir}` (it needs a stub Cargo.toml there, see docs/ci.md), or accept all with `fletsim snapshot … --dir {dir} --accept`"
        );
        exit::EXPECTATIONS_FAILED
    } else {
        exit::OK
    }
}

/// Compares, writes or accepts one snapshot; `name` says which run and file.
#[allow(clippy::too_many_arguments)]
fn one(
    args: &SnapshotArgs,
    path: &Path,
    name: &str,
    text: &str,
    body: &str,
    outcome: &sim_core::Outcome,
    palette: Palette,
    out: &mut dyn Write,
) -> Result<Status, String> {
    let pending = new_path(path);
    // A link counts as there (a dangling one reads as an unreadable snapshot): never written through.
    let stored = if std::fs::symlink_metadata(path).is_ok() {
        Some(read_snap(path))
    } else {
        None
    };
    let same = matches!(&stored, Some(Ok(s)) if s.body == body.trim_end());
    if same {
        files::remove_if_present(&pending)?;
        return Ok(Status::Unchanged);
    }
    if args.accept {
        write_file(path, text, Replace::Allowed)?;
        files::remove_if_present(&pending)?;
        if !args.output.quiet {
            let _ = writeln!(out, "{}  {name}", palette.good("accepted"));
        }
        return Ok(if stored.is_some() {
            Status::Accepted
        } else {
            Status::New
        });
    }
    match stored {
        None if !args.check => {
            write_file(path, text, Replace::Never)?;
            files::remove_if_present(&pending)?;
            if !args.output.quiet {
                let _ = writeln!(out, "{}  {name}", palette.good("new"));
            }
            Ok(Status::New)
        }
        None => {
            write_file(&pending, text, Replace::Allowed)?;
            let _ = writeln!(
                out,
                "{}  {name}  (no snapshot yet; wrote {})",
                palette.bad("missing"),
                terminal::path(&pending)
            );
            Ok(Status::Missing)
        }
        Some(old) => {
            write_file(&pending, text, Replace::Allowed)?;
            let _ = writeln!(out, "{}  {name}", palette.unsure("changed"));
            match old {
                Ok(old) => {
                    let new = serde_json::to_value(outcome).unwrap_or(Value::Null);
                    for c in reports::diff::diff_values(&old.outcome, &new) {
                        let _ = writeln!(
                            out,
                            "    {}: {} -> {}",
                            terminal::escape(&c.path),
                            palette.bad(&terminal::escape(&c.old)),
                            palette.good(&terminal::escape(&c.new))
                        );
                    }
                }
                Err(e) => {
                    let _ = writeln!(
                        out,
                        "    the stored snapshot cannot be read ({e}); all of it differs"
                    );
                }
            }
            let _ = writeln!(out, "    wrote {}", terminal::path(&pending));
            Ok(Status::Changed)
        }
    }
}
