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

use serde::Deserialize;
use serde_json::Value;

use reports::snapshot::{self, SnapshotInfo};
use reports::text::Palette;

use crate::artifacts::Collect;
use crate::cli::{SnapshotArgs, exit};
use crate::console::Environment;
use crate::run_cmd::{execute_jobs, plan_selection};
use crate::suite::Seeds;

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
        serde_saphyr::from_str(header_text).map_err(|e| format!("its header is not YAML: {e}"))?
    };
    let outcome: Value = serde_saphyr::from_str(&body).map_err(|e| format!("its body is not YAML: {e}"))?;
    Ok(SnapFile {
        info: header.info,
        body,
        outcome,
    })
}

/// Reads and parses a `.snap` file.
pub fn read_snap(path: &Path) -> Result<SnapFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    parse_snap(&text).map_err(|e| format!("{}: {e}", path.display()))
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

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn remove_if_present(path: &Path) -> Result<(), String> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot remove {}: {e}", path.display())),
    }
}

/// `fletsim snapshot`.
pub fn run(args: &SnapshotArgs, env: &Environment, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let (jobs, _) = match plan_selection(&args.selection, &args.run, env, &args.output, err) {
        Ok(p) => p,
        Err(code) => return code,
    };
    // Snapshot names must be unique: two files naming the same scenario would overwrite each other.
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    for j in &jobs {
        let name = j.scenario.scenario.name.as_str();
        if let Some(other) = names.insert(name, &j.file)
            && other != j.file
        {
            let _ = writeln!(
                err,
                "error: {other} and {} both name a scenario `{name}`: snapshot names must be unique",
                j.file
            );
            return exit::BAD_INPUT;
        }
    }
    let with_seed_in_name = args.selection.seeds() != Seeds::Own;
    let outputs = match execute_jobs(jobs, &args.run, &args.output, Collect::default(), env, err) {
        Ok(o) => o,
        Err(code) => return code,
    };
    if let Err(e) = std::fs::create_dir_all(&args.dir) {
        let _ = writeln!(err, "error: cannot create {}: {e}", args.dir.display());
        return exit::INTERNAL;
    }
    let palette = args.output.palette(env);
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut differs = false;
    for o in &outputs {
        let r = &o.record;
        let name = if with_seed_in_name {
            format!("{}@seed{}.snap", r.scenario, r.seed)
        } else {
            format!("{}.snap", r.scenario)
        };
        let path = args.dir.join(&name);
        let info = SnapshotInfo {
            scenario: r.scenario.clone(),
            seed: r.seed,
        };
        let body = snapshot::body(&r.outcome);
        let text = snapshot::file_text(&r.file, &info, &body);
        let label = format!("{} (seed {})  {}", r.scenario, r.seed, path.display());
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
    let _ = writeln!(out, "snapshots in {}: {}", args.dir.display(), summary.join(", "));
    if differs {
        let _ = writeln!(
            out,
            "review with `cargo insta review --workspace-root {}`, or accept all with `fletsim snapshot … --dir {} --accept`",
            args.dir.display(),
            args.dir.display()
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
    let stored = if path.exists() {
        Some(read_snap(path))
    } else {
        None
    };
    let same = matches!(&stored, Some(Ok(s)) if s.body == body.trim_end());
    if same {
        remove_if_present(&pending)?;
        return Ok(Status::Unchanged);
    }
    if args.accept {
        write_file(path, text)?;
        remove_if_present(&pending)?;
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
            write_file(path, text)?;
            remove_if_present(&pending)?;
            if !args.output.quiet {
                let _ = writeln!(out, "{}  {name}", palette.good("new"));
            }
            Ok(Status::New)
        }
        None => {
            write_file(&pending, text)?;
            let _ = writeln!(
                out,
                "{}  {name}  (no snapshot yet; wrote {})",
                palette.bad("missing"),
                pending.display()
            );
            Ok(Status::Missing)
        }
        Some(old) => {
            write_file(&pending, text)?;
            let _ = writeln!(out, "{}  {name}", palette.unsure("changed"));
            match old {
                Ok(old) => {
                    let new = serde_json::to_value(outcome).unwrap_or(Value::Null);
                    for c in reports::diff::diff_values(&old.outcome, &new) {
                        let _ = writeln!(
                            out,
                            "    {}: {} -> {}",
                            c.path,
                            palette.bad(&c.old),
                            palette.good(&c.new)
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
            let _ = writeln!(out, "    wrote {}", pending.display());
            Ok(Status::Changed)
        }
    }
}
