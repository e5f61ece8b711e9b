//! The command line: subcommands, their options and exit codes.
//!
//! Exit codes (as documented in README): 0 every expectation held, 100 some
//! expectation failed, 2 bad input (a file, an argument), 1 an internal
//! error.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use reports::text::Verbosity;
use sim_core::engine::Observer;
use sim_core::time::{Calendar, SimTime};
use sim_core::trace::TraceEvent;

use crate::suite;

/// Exit codes of every subcommand.
pub mod exit {
    pub const OK: u8 = 0;
    pub const INTERNAL: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const EXPECTATIONS_FAILED: u8 = 100;
}

/// fletsim: a deterministic simulator of the Flets IPoE home access chain.
#[derive(Debug, Parser)]
#[command(name = "fletsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios, judge their expectations and print a line per run.
    Run(RunArgs),
    /// Compute a MAP-E configuration (IPv4 address, PSID, port set, CE address) from a prefix and a rule.
    #[command(name = "map-e")]
    MapE(crate::mape_cmd::MapeArgs),
    /// Read real HGW logs.
    #[command(subcommand)]
    Log(LogCommand),
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// List the spontaneous reboots in an HGW log (as copied from its admin page), with statistics.
    Analyze(crate::log_analyze::LogAnalyzeArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files or folders (searched recursively for *.yaml) [default: scenarios/]
    pub paths: Vec<PathBuf>,
    /// Run every scenario at this seed instead of its own.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print one JSON object per run (JSON Lines) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Print only failures and the summary.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print every expectation and the trace of each run.
    #[arg(short, long)]
    pub verbose: bool,
}

/// Parses the process's arguments and runs the subcommand.
pub fn main_with(out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::BAD_INPUT } else { exit::OK });
        }
    };
    ExitCode::from(dispatch(cli, out, err))
}

/// Runs a parsed command line; returns the exit code.
pub fn dispatch(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match cli.command {
        Command::Run(args) => run(&args, out, err),
        Command::MapE(args) => match crate::mape_cmd::run(&args, out) {
            Ok(()) => exit::OK,
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                e.exit_code()
            }
        },
        Command::Log(LogCommand::Analyze(args)) => match crate::log_analyze::run(&args, out) {
            Ok(()) => exit::OK,
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                u8::try_from(e.exit_code()).unwrap_or(exit::INTERNAL)
            }
        },
    }
}

/// Writes the trace of a run as text, dated by the scenario's calendar.
struct TraceWriter<'a> {
    calendar: Calendar,
    out: &'a mut dyn Write,
}

impl Observer<TraceEvent> for TraceWriter<'_> {
    fn observe(&mut self, at: SimTime, event: &TraceEvent) {
        let _ = writeln!(
            self.out,
            "      {} {:>12}  {event}",
            self.calendar.at(at),
            at.to_string()
        );
    }
}

fn run(args: &RunArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        args.paths.clone()
    };
    let files = match suite::discover(&paths) {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return exit::BAD_INPUT;
        }
    };
    let loaded = match suite::load_all(&files) {
        Ok(l) => l,
        Err(errors) => {
            for e in errors {
                let _ = writeln!(err, "error: {e}");
            }
            return exit::BAD_INPUT;
        }
    };
    let verbosity = if args.quiet {
        Verbosity::Quiet
    } else if args.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let mut records = Vec::new();
    for scenario in &loaded {
        let mut trace = Vec::new();
        let result = if args.verbose && !args.json {
            let mut writer = TraceWriter {
                calendar: Calendar::new(scenario.scenario.start),
                out: &mut trace,
            };
            suite::run_one(scenario, args.seed, &mut writer)
        } else {
            suite::run_one(scenario, args.seed, &mut sim_core::sim::NoObserver)
        };
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let _ = writeln!(err, "error: {}: {e}", scenario.file.display());
                return exit::BAD_INPUT;
            }
        };
        let written = if args.json {
            reports::json::write_record(out, &record)
        } else {
            reports::text::write_run(out, &record, verbosity, reports::text::Palette::plain())
                .and_then(|()| out.write_all(&trace))
        };
        if let Err(e) = written {
            let _ = writeln!(err, "error: cannot write output: {e}");
            return exit::INTERNAL;
        }
        records.push(record);
    }
    if !args.json {
        let shares = reports::sweep::judge_shares(&records);
        let _ = reports::text::write_shares(out, &shares, verbosity, reports::text::Palette::plain());
        let _ = reports::text::write_summary(out, &records, &shares);
        if shares.iter().any(|v| !v.met) {
            return exit::EXPECTATIONS_FAILED;
        }
    }
    if records.iter().all(|r| r.passed) {
        exit::OK
    } else {
        exit::EXPECTATIONS_FAILED
    }
}
