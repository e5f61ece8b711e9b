//! `fletsim check SCENARIO`: one verdict for `git bisect run`.
//!
//! - Ordinary expectations are judged at one seed (`--seed`, else the
//!   scenario's own).
//! - Share expectations (`… for P% of seeds`) are judged over a sweep with
//!   [`Decision::of`] (95 % Wilson interval against P). With `--seeds` the
//!   sweep is fixed. Without it the sweep starts at seeds 1..=20 and doubles
//!   (40, 80, 160, 320) while a share is still too close to call and none is
//!   bad yet.
//!
//! Exit codes ([`exit::check`]): 0 good, 1 bad (an expectation failed, or a
//! share is confidently below P), 125 inconclusive (a share still straddles
//! P; the scenario cannot be read by this version; a run broke), 128 abort
//! (no such file, bad arguments: the same at every commit).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use reports::RunRecord;
use reports::sweep::{Decision, judge_shares};

use crate::artifacts::Collect;
use crate::console::Environment;
use crate::options::{OutputOptions, RunOptions, exit};
use crate::run_cmd::execute_jobs;
use crate::suite::{self, SeedRange, Seeds};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  git bisect run fletsim check scenarios/user-reboot.yaml
  fletsim check scenarios/telework-home-workday.yaml --seeds 40

Exit codes: 0 good, 1 bad, 125 cannot tell (git bisect skips), 128 abort (no such file, bad arguments).")]
pub struct CheckArgs {
    /// The scenario file.
    pub scenario: PathBuf,
    /// Judge ordinary expectations at this seed instead of the scenario's own.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Judge share expectations over this sweep (N or A..B) [default: 20 seeds, doubled up to 320 until decided]
    #[arg(long, value_name = "N|A..B")]
    pub seeds: Option<SeedRange>,
    #[command(flatten)]
    pub run: RunOptions,
    #[command(flatten)]
    pub output: OutputOptions,
}

/// The first sweep, and the most seeds the adaptive sweep grows to.
pub const FIRST_SWEEP: u64 = 20;
pub const MAX_SWEEP: u64 = 320;

/// `fletsim check`.
pub fn run(args: &CheckArgs, env: &Environment, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let path: &Path = &args.scenario;
    // The same at every commit: stop `git bisect run` rather than skip every commit.
    let unusable = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => None,
        Ok(m) if m.is_dir() => Some(
            "a folder: `check` judges one scenario file (give one, e.g. FOLDER/story.yaml; \
             `fletsim run FOLDER` judges a folder)"
                .to_string(),
        ),
        Ok(m) => Some(format!(
            "{}, not a scenario file",
            crate::files::describe_type(&m)
        )),
        Err(_) => Some("no such file".to_string()),
    };
    if let Some(why) = unusable {
        let _ = writeln!(
            err,
            "error: {}: {why} (exit 128 stops `git bisect run`)",
            crate::terminal::path(path)
        );
        return exit::check::ABORT;
    }
    let loaded = match crate::overrides::load_with(path, &args.run.set) {
        Ok(l) => Arc::new(l),
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            let _ = writeln!(out, "skip: this version cannot read the scenario (exit 125)");
            return exit::check::SKIP;
        }
    };
    let palette = args.output.palette(env);
    let scenarios = [Arc::clone(&loaded)];

    // Ordinary expectations, at one seed.
    let seed = args.seed.unwrap_or(loaded.scenario.seed);
    let single = match execute_jobs(
        &suite::plan(&scenarios, Seeds::One(seed), None),
        &args.run,
        &args.output,
        Collect::default(),
        env,
        err,
    ) {
        Ok(o) => o,
        Err(_) => return skip_broken(out),
    };
    let mut bad = false;
    for o in &single {
        let r = &o.record;
        let plain: Vec<_> = r.expectations.iter().filter(|e| e.share.is_none()).collect();
        let failed: Vec<_> = plain.iter().filter(|e| !e.passed).collect();
        bad |= !failed.is_empty();
        let _ = writeln!(
            out,
            "{} at seed {}: {} of {} expectations hold",
            r.scenario,
            r.seed,
            plain.len() - failed.len(),
            plain.len()
        );
        for e in &failed {
            let _ = writeln!(
                out,
                "    {} {}  (actual: {})",
                palette.bad("failed:"),
                crate::terminal::escape(&e.text),
                crate::terminal::escape(&e.actual)
            );
        }
    }

    // Share expectations, over a sweep.
    let has_shares = loaded.expectations.iter().any(|e| e.share.is_some());
    let mut inconclusive = false;
    if has_shares && !bad {
        let (mut range, adaptive) = match args.seeds {
            Some(r) => (r, false),
            None => (
                SeedRange {
                    first: 1,
                    last: FIRST_SWEEP,
                },
                true,
            ),
        };
        let mut records: Vec<RunRecord> = Vec::new();
        let mut next_first = range.first;
        loop {
            let sweep = SeedRange {
                first: next_first,
                last: range.last,
            };
            let jobs = suite::plan(&scenarios, Seeds::Sweep(sweep), None);
            match execute_jobs(&jobs, &args.run, &args.output, Collect::default(), env, err) {
                Ok(o) => records.extend(o.into_iter().map(|o| o.record)),
                Err(_) => return skip_broken(out),
            }
            let decisions: Vec<Decision> = judge_shares(&records)
                .iter()
                .map(|v| Decision::of(v.share, v.held, v.runs))
                .collect();
            let any_bad = decisions.contains(&Decision::Bad);
            let undecided = decisions.contains(&Decision::Inconclusive);
            if !adaptive || any_bad || !undecided || range.len() >= MAX_SWEEP {
                break;
            }
            next_first = range.last + 1;
            range.last = range.first + (range.len() * 2).min(MAX_SWEEP) - 1;
        }
        for v in judge_shares(&records) {
            let decision = Decision::of(v.share, v.held, v.runs);
            let label = match decision {
                Decision::Good => palette.good("good:"),
                Decision::Bad => palette.bad("bad:"),
                Decision::Inconclusive => palette.unsure("inconclusive:"),
            };
            let _ = writeln!(
                out,
                "{label} {}  {} (seeds {range})",
                crate::terminal::escape(&v.text),
                v.describe()
            );
            bad |= decision == Decision::Bad;
            inconclusive |= decision == Decision::Inconclusive;
        }
    } else if has_shares {
        let _ = writeln!(
            out,
            "share expectations not judged: an ordinary expectation already failed"
        );
    }

    let (code, word) = if bad {
        (exit::check::BAD, palette.bad("bad"))
    } else if inconclusive {
        (exit::check::SKIP, palette.unsure("inconclusive"))
    } else {
        (exit::check::GOOD, palette.good("good"))
    };
    let _ = writeln!(out, "verdict: {word} (exit {code})");
    code
}

fn skip_broken(out: &mut dyn Write) -> u8 {
    let _ = writeln!(out, "skip: a run could not finish at this version (exit 125)");
    exit::check::SKIP
}
