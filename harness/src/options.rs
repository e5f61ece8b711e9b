//! What several commands share: the exit codes ([`exit`]) and the option groups flattened
//! into each command's `Args` ([`ScenarioSelection`], [`RunOptions`], [`OutputOptions`];
//! report files are [`crate::outputs::ReportFiles`]). A new shared option goes into the group
//! it belongs to and reaches every command that flattens it. Commands import from here,
//! never from [`crate::cli`], which only assembles them.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::Args;

use reports::text::{Palette, Verbosity};

use crate::console::{ColorChoice, Environment};
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

/// The exit codes, as `fletsim --help` lists them (and [`exit`] defines them).
#[macro_export]
macro_rules! exit_codes_help {
    () => {
        "Exit codes:
  0    every expectation held (diff, snapshot --check: no difference)
  100  some expectation failed (diff, snapshot --check: a difference)
  2    bad input: a scenario, a file or an argument (the message says where)
  1    internal error (a bug: please report it)
  check speaks `git bisect run`'s language: 0 good, 1 bad, 125 skip, 128 abort
  A closed stdout (`| head`) ends fletsim quietly with 0."
    };
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
#[derive(Clone, Debug, Default, Args)]
pub struct OutputOptions {
    /// Print only failures and the summary (diff: the verdict line); no progress bar.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: every expectation and the trace of each run (validate: each file; diff: the run counts).
    #[arg(short, long)]
    pub verbose: bool,
    /// Colour the terminal report; `auto`: on a terminal, unless NO_COLOR or CLICOLOR=0 (CLICOLOR_FORCE=1: always).
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

/// A command's lines, each printed or not by the verbosity the user asked for: the result at
/// every level, how it was found unless `-q`, more detail only with `-v`.
pub struct Printer<'a> {
    pub out: &'a mut dyn std::io::Write,
    pub verbosity: Verbosity,
    pub palette: Palette,
}

impl std::fmt::Debug for Printer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Printer")
            .field("verbosity", &self.verbosity)
            .field("palette", &self.palette)
            .finish_non_exhaustive()
    }
}

impl<'a> Printer<'a> {
    pub fn new(out: &'a mut dyn std::io::Write, output: &OutputOptions, env: &Environment) -> Printer<'a> {
        Printer {
            out,
            verbosity: output.verbosity(),
            palette: output.palette(env),
        }
    }

    /// The result: printed at every verbosity.
    pub fn answer(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
    }

    /// How the result was found: not with `-q`.
    pub fn detail(&mut self, text: &str) {
        if self.verbosity != Verbosity::Quiet {
            let _ = writeln!(self.out, "{text}");
        }
    }

    /// More detail: `-v` only.
    pub fn verbose(&mut self, text: &str) {
        if self.verbosity == Verbosity::Verbose {
            let _ = writeln!(self.out, "{text}");
        }
    }
}
