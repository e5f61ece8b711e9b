//! The command line assembled: the [`Command`] enum of every subcommand, parsing, and the
//! dispatch that runs one with stdout and stderr escaped.
//!
//! Each command owns its arguments (`Args` in its module: [`crate::run_cmd::RunArgs`],
//! [`crate::commands::validate::Args`], …); the option groups several commands share and the
//! exit codes live in [`crate::options`]. Nothing imports this module but `main`: no circle.

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::check_cmd::CheckArgs;
use crate::console::Environment;
use crate::diff_cmd::DiffArgs;
use crate::exit_codes_help;
use crate::options::exit;
use crate::run_cmd::{MergeArgs, RunArgs};
use crate::snapshot_cmd::SnapshotArgs;

/// fletsim: a deterministic simulator of the Flets IPoE home access chain.
#[derive(Debug, Parser)]
#[command(
    name = "fletsim",
    version,
    about = "A deterministic simulator of the Flets IPoE home access chain (ONU, HGW, MAP-E/DS-Lite, NAPT, LAN) and the fault-injection test harness around it.",
    long_about = None,
    after_help = concat!(
        "Examples:
  fletsim run scenarios/                      # every shipped scenario at its own seed
  fletsim run scenarios/ --seeds 20 --junit junit.xml
  fletsim validate my-scenarios/              # load only: every error, exit 0 or 2
  fletsim check scenarios/user-reboot.yaml    # one verdict for `git bisect run`
  fletsim map-e --prefix 240b:10:3f6c:d400::/56 --vne v6plus

",
        exit_codes_help!()
    ),
)]
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
    /// Load scenario files and run nothing: every error of every file, exit 0 (all valid) or 2.
    Validate(crate::commands::validate::Args),
    /// Print the runs `fletsim run` would do with the same selection: scenario, file, seed, shard.
    List(crate::commands::list::Args),
    /// Print the JSON Schema of scenario files, for editors (VS Code's YAML extension).
    Schema(crate::commands::schema::Args),
    /// Print the completion script of a shell (bash, zsh, fish, elvish, powershell).
    Completions(crate::commands::completions::Args),
    /// Print the manual page (roff) of fletsim and its commands.
    Man(crate::commands::man::Args),
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// List the spontaneous reboots in an HGW log (as copied from its admin page), with statistics.
    Analyze(crate::log_analyze::LogAnalyzeArgs),
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
        Command::List(a) => &a.output,
        Command::Validate(a) => &a.output,
        Command::Bisect(a) => &a.output,
        Command::Hypotheses(a) => &a.output,
        Command::MapE(a) => &a.output,
        Command::Log(LogCommand::Analyze(a)) => &a.output,
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
        Command::Bisect(args) => crate::bisect_cmd::run(&args, env, out, err),
        Command::Hypotheses(args) => crate::hypotheses_cmd::run(&args, env, out, err),
        Command::MapE(args) => match crate::mape_cmd::run(&args, env, out) {
            Ok(()) => exit::OK,
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                e.exit_code()
            }
        },
        Command::Validate(args) => crate::commands::validate::run(&args, out, err),
        Command::List(args) => crate::commands::list::run(&args, env, out, err),
        Command::Schema(args) => crate::commands::schema::run(&args, out),
        Command::Completions(args) => crate::commands::completions::run(&args, Cli::command(), out),
        Command::Man(args) => crate::commands::man::run(&args, Cli::command(), out),
        Command::Log(LogCommand::Analyze(args)) => match crate::log_analyze::run(&args, env, out) {
            Ok(()) => exit::OK,
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                u8::try_from(e.exit_code()).unwrap_or(exit::INTERNAL)
            }
        },
    }
}
