//! The command line: subcommands, their options and exit codes.
//!
//! Exit codes of `run`, `merge`, `snapshot`, `diff`: 0 every expectation
//! held (or: identical), 100 some expectation failed (or: snapshots/outcomes
//! differ), 2 bad input (a file, an argument), 1 an internal error.
//!
//! `check` speaks `git bisect run`'s language instead: 0 good, 1 bad, 125
//! cannot tell (skip this commit), 128 abort the bisection (see [`exit::check`]).
//!
//! Options shared by several commands live in one struct each and are
//! flattened where they apply: [`ScenarioSelection`] (which scenarios and
//! seeds), [`RunOptions`] (how runs are done), [`OutputOptions`] (how much
//! and in which colours), [`ReportFiles`] (machine-readable reports). A new
//! option goes into the struct it belongs to and reaches every command that
//! flattens it.

use std::io::Write;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use reports::text::{Palette, Verbosity};

use crate::console::{ColorChoice, Environment};
use crate::outputs::ReportFiles;
use crate::shard::ShardArg;
use crate::suite::{SeedRange, Seeds};

/// Exit codes of every subcommand.
pub mod exit {
    pub const OK: u8 = 0;
    pub const INTERNAL: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const EXPECTATIONS_FAILED: u8 = 100;

    /// `fletsim check`, for `git bisect run`: 0 good, 1 bad, 125 skip, 128 abort.
    pub mod check {
        /// Every expectation holds.
        pub const GOOD: u8 = 0;
        /// An expectation failed (or a share is confidently below its threshold).
        pub const BAD: u8 = 1;
        /// Cannot tell at this commit: a share too close to call, a scenario this
        /// version cannot read, or a run that broke. `git bisect run` skips the commit.
        pub const SKIP: u8 = 125;
        /// Nothing can be judged at any commit (no such file, bad arguments):
        /// `git bisect run` stops at once rather than skip every commit.
        pub const ABORT: u8 = 128;
    }
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
    /// Run scenarios (at their seeds or a seed sweep, in parallel), judge their expectations and report.
    Run(RunArgs),
    /// Join the JSON results of shards into one report (JUnit, Markdown, JSON), in any order.
    Merge(MergeArgs),
    /// Write the HTML report of saved JSON results (merged shards too): runs are repeated for their timelines.
    Report(crate::html_report::ReportArgs),
    /// Pin outcomes as insta-format .snap files; --check compares, --accept updates.
    Snapshot(SnapshotArgs),
    /// Compare two sets of outcomes (JSON results, .snap files or folders of them) path by path.
    Diff(DiffArgs),
    /// Judge one scenario for `git bisect run`: exit 0 good, 1 bad, 125 inconclusive.
    Check(CheckArgs),
    /// Compute a MAP-E configuration (IPv4 address, PSID, port set, CE address, BR) from a prefix: the VNE's rule table or a rule given by hand.
    #[command(name = "map-e")]
    MapE(crate::mape_cmd::MapeArgs),
    /// Search a scenario: a parameter's threshold (--param), the faults that matter (--faults), the first moment (--when).
    Bisect(crate::bisect_cmd::BisectArgs),
    /// Rank reboot hypotheses (scenarios) by how well their simulated device logs match a real log.
    Hypotheses(crate::hypotheses_cmd::HypothesesArgs),
    /// Read real HGW logs.
    #[command(subcommand)]
    Log(LogCommand),
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// List the spontaneous reboots in an HGW log (as copied from its admin page), with statistics.
    Analyze(crate::log_analyze::LogAnalyzeArgs),
}

/// Which scenarios, at which seeds, and which shard of them.
#[derive(Debug, Default, Args)]
pub struct ScenarioSelection {
    /// Scenario files or folders (searched recursively for *.yaml) [default: scenarios/]
    pub paths: Vec<PathBuf>,
    /// Run every scenario at this seed instead of its own.
    #[arg(long, conflicts_with = "seeds")]
    pub seed: Option<u64>,
    /// Run every scenario at each seed of a sweep: N (seeds 1 to N) or A..B (A to B, inclusive).
    #[arg(long, value_name = "N|A..B")]
    pub seeds: Option<SeedRange>,
    /// Run only one shard of the (scenario, seed) pairs: i/N (1-based), or auto from CI variables.
    #[arg(long, value_name = "i/N|auto")]
    pub shard: Option<ShardArg>,
    /// The number of shards for --shard auto (Kubernetes Indexed Jobs; overrides the CI's total).
    #[arg(long, value_name = "N", requires = "shard")]
    pub shard_total: Option<u32>,
}

impl ScenarioSelection {
    /// The paths, `scenarios/` when none were given.
    pub fn paths(&self) -> Vec<PathBuf> {
        if self.paths.is_empty() {
            vec![PathBuf::from("scenarios")]
        } else {
            self.paths.clone()
        }
    }

    pub fn seeds(&self) -> Seeds {
        match (self.seed, self.seeds) {
            (Some(s), _) => Seeds::One(s),
            (None, Some(range)) => Seeds::Sweep(range),
            (None, None) => Seeds::Own,
        }
    }
}

/// How runs are done (options that change a run's inputs, such as `--set`, belong here too).
#[derive(Debug, Default, Args)]
pub struct RunOptions {
    /// How many runs at once, 1 to 1024 [default: the machine's cores]
    #[arg(short = 'j', long, value_name = "J", value_parser = crate::bounds::parse_jobs)]
    pub jobs: Option<NonZeroUsize>,
    /// Change a scenario field by its YAML path before validation (repeatable): lan.telework-pc.count=12
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = crate::overrides::OverrideParser)]
    pub set: Vec<crate::overrides::Override>,
}

impl RunOptions {
    pub fn parallel(&self) -> usize {
        self.jobs
            .or_else(|| std::thread::available_parallelism().ok())
            .map_or(1, NonZeroUsize::get)
            .min(crate::bounds::MAX_JOBS)
    }
}

/// How much to print, and in which colours.
#[derive(Debug, Default, Args)]
pub struct OutputOptions {
    /// Print only failures and the summary; no progress bar.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print every expectation and the trace of each run.
    #[arg(short, long)]
    pub verbose: bool,
    /// Colour the terminal report (NO_COLOR turns `auto` off).
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

impl OutputOptions {
    pub fn verbosity(&self) -> Verbosity {
        if self.quiet {
            Verbosity::Quiet
        } else if self.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        }
    }

    pub fn palette(&self, env: &Environment) -> Palette {
        env.palette(self.color)
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub selection: ScenarioSelection,
    #[command(flatten)]
    pub run: RunOptions,
    #[command(flatten)]
    pub reports: ReportFiles,
    #[command(flatten)]
    pub artifacts: crate::artifacts::ArtifactOptions,
    #[command(flatten)]
    pub output: OutputOptions,
    /// Report what each run cost: engine events, ns per event, peak and mean pending events,
    /// sessions, wall and CPU time (a `stats` line per run; `"stats"` in --json records)
    #[arg(long)]
    pub stats: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// JSON Lines files written by `fletsim run --json` (or folders of *.json / *.jsonl files).
    #[arg(required = true, value_name = "RESULTS")]
    pub results: Vec<PathBuf>,
    #[command(flatten)]
    pub reports: ReportFiles,
    #[command(flatten)]
    pub output: OutputOptions,
}

#[derive(Debug, Args)]
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

#[derive(Debug, Args)]
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

#[derive(Debug, Args)]
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

/// Parses the process's arguments and runs the subcommand.
pub fn main_with(out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout (exit 0); usage errors echo what was typed,
            // so they go through the escaping writer like every other message.
            if !e.use_stderr() {
                let _ = e.print();
                return ExitCode::from(exit::OK);
            }
            let mut err = crate::terminal::Escaping::new(err, crate::terminal::Pass::Text);
            let _ = write!(err, "{}", e.render());
            let code = if args.get(1).is_some_and(|a| a == "check") {
                // A usage error is the same at every commit: stop `git bisect run`.
                exit::check::ABORT
            } else {
                exit::BAD_INPUT
            };
            return ExitCode::from(code);
        }
    };
    ExitCode::from(dispatch(cli, &Environment::of_process(), out, err))
}

/// Whether the command colours its stdout (only then may colour codes pass to it).
fn colours_stdout(command: &Command, env: &Environment) -> bool {
    let output = match command {
        Command::Run(a) => &a.output,
        Command::Merge(a) => &a.output,
        Command::Snapshot(a) => &a.output,
        Command::Diff(a) => &a.output,
        Command::Check(a) => &a.output,
        _ => return false,
    };
    output.palette(env).enabled()
}

/// Runs a parsed command line; returns the exit code. Everything the command prints goes
/// through [`crate::terminal::Escaping`]: no control character reaches the terminal.
pub fn dispatch(cli: Cli, env: &Environment, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    use crate::terminal::{Escaping, Pass};
    let pass = if colours_stdout(&cli.command, env) {
        Pass::Colours
    } else {
        Pass::Text
    };
    let out = &mut Escaping::new(out, pass);
    let err = &mut Escaping::new(err, Pass::Text);
    match cli.command {
        Command::Run(args) => crate::run_cmd::run(&args, env, out, err),
        Command::Merge(args) => crate::run_cmd::merge(&args, env, out, err),
        Command::Report(args) => crate::html_report::report(&args, err),
        Command::Snapshot(args) => crate::snapshot_cmd::run(&args, env, out, err),
        Command::Diff(args) => crate::diff_cmd::run(&args, env, out, err),
        Command::Check(args) => crate::check_cmd::run(&args, env, out, err),
        Command::Bisect(args) => crate::bisect_cmd::run(&args, out, err),
        Command::Hypotheses(args) => crate::hypotheses_cmd::run(&args, out, err),
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
