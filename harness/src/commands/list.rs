//! `fletsim list PATH…`: the plan `fletsim run` would carry out with the same selection,
//! one line per run (scenario, file, seed, and the shard with `--shard`), without running
//! anything. Uses the same [`crate::suite::Plan`] as `run`, so the order and the shard's
//! part are exactly those of the run.

use std::io::Write;

use crate::console::Environment;
use crate::files::Outputs;
use crate::options::{OutputOptions, RunOptions, ScenarioSelection, exit};
use crate::outputs::Destination;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  fletsim list                              # every scenario at its own seed
  fletsim list scenarios/ --seeds 1..20     # the sweep, run by run
  fletsim list scenarios/ --seeds 200 --shard 2/4   # what CI job 2 of 4 runs
  fletsim list --json - | jq -r .file       # JSON Lines")]
pub struct Args {
    #[command(flatten)]
    pub selection: ScenarioSelection,
    #[command(flatten)]
    pub run: RunOptions,
    /// Write the plan as JSON Lines (one object per run) to FILE (`-`: stdout; an existing FILE needs --force).
    #[arg(long, value_name = "FILE|-")]
    pub json: Option<Destination>,
    /// Replace the --json file if it exists.
    #[arg(long, requires = "json")]
    pub force: bool,
    #[command(flatten)]
    pub output: OutputOptions,
}

/// `fletsim list`.
pub fn run(args: &Args, env: &Environment, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let planned = match crate::run_cmd::plan_selection(
        &args.selection,
        &args.run,
        env,
        &args.output,
        crate::run_cmd::LoadErrors::Stop,
        err,
    ) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let shard = planned.shard.map(|s| s.to_string());
    let rows: Vec<[String; 4]> = planned
        .plan
        .jobs()
        .map(|job| {
            [
                job.scenario.scenario.name.clone(),
                job.file,
                job.seed.to_string(),
                shard.clone().unwrap_or_default(),
            ]
        })
        .collect();
    if let Some(dest) = &args.json {
        let mut text = String::new();
        for [scenario, file, seed, shard] in &rows {
            let mut record = serde_json::json!({ "scenario": scenario, "file": file, "seed": seed.parse::<u64>().unwrap_or(0) });
            if !shard.is_empty() {
                record["shard"] = shard.as_str().into();
            }
            text.push_str(&record.to_string());
            text.push('\n');
        }
        let mut outputs = Outputs::new(planned.inputs.clone(), args.force);
        if let Destination::File(path) = dest
            && let Err(e) = outputs.file("--json", path)
        {
            let _ = writeln!(err, "error: {e}");
            return exit::BAD_INPUT;
        }
        return match crate::outputs::write_to(dest, out, args.force, |w| w.write_all(text.as_bytes())) {
            Ok(()) => exit::OK,
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                exit::BAD_INPUT
            }
        };
    }
    let columns = if shard.is_some() { 4 } else { 3 };
    let header = ["SCENARIO", "FILE", "SEED", "SHARD"].map(String::from);
    let mut widths = [0usize; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut write_row = |row: &[String; 4]| {
        let mut line = String::new();
        for (i, cell) in row.iter().take(columns).enumerate() {
            if i + 1 == columns {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        writeln!(out, "{}", crate::terminal::escape(&line))
    };
    if !args.output.quiet && write_row(&header).is_err() {
        return exit::OK;
    }
    for row in &rows {
        if write_row(row).is_err() {
            // stdout closed (`| head`): the reader has what it wanted.
            return exit::OK;
        }
    }
    exit::OK
}
