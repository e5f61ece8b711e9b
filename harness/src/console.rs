//! The process's surroundings as the commands see them: environment
//! variables, whether stdout/stderr are terminals, colour and progress.
//!
//! `main` reads them once into an [`Environment`]; tests build one by hand,
//! so nothing below reads the process environment itself.
//!
//! Progress while runs go ([`Progress`], on stderr only, never in a report):
//! a bar of runs on an attended terminal; for a single run there, a bar of
//! simulated time; under CI ([`Environment::is_ci`]) one line per finished run
//! ([`LiveLines`]), so a long sweep is never silent (CircleCI kills a job
//! silent for 10 minutes). Wall-clock times appear only in these lines.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use reports::text::Palette;
use sim_core::engine::Observer;
use sim_core::time::{SimDuration, SimTime};
use sim_core::trace::TraceEvent;

/// Environment variables and terminals, read once.
#[derive(Clone, Debug, Default)]
pub struct Environment {
    pub vars: BTreeMap<String, String>,
    pub stdout_is_terminal: bool,
    pub stderr_is_terminal: bool,
}

impl Environment {
    /// The running process's.
    pub fn of_process() -> Environment {
        Environment {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            stdout_is_terminal: std::io::stdout().is_terminal(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
        }
    }

    /// A variable, if set and not empty.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// Running under CI: `CI` set to anything but `false` or `0` (as insta reads it).
    pub fn is_ci(&self) -> bool {
        self.var("CI").is_some_and(|v| v != "false" && v != "0")
    }

    /// The palette for text on stdout.
    pub fn palette(&self, choice: ColorChoice) -> Palette {
        let on = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            // anstream's rules (anstyle-query): NO_COLOR (set, not empty) wins, then
            // CLICOLOR_FORCE (not `0`) forces colour, CLICOLOR=0 turns it off; otherwise colour
            // on a terminal that is not `dumb`. An explicit --color overrides them all.
            ColorChoice::Auto => {
                if self.var("NO_COLOR").is_some() {
                    false
                } else if self.var("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                    true
                } else if self.var("CLICOLOR") == Some("0") {
                    false
                } else {
                    self.stdout_is_terminal && self.var("TERM") != Some("dumb")
                }
            }
        };
        if on { Palette::ansi() } else { Palette::plain() }
    }

    /// Whether to draw a progress bar for `len` runs: on a terminal, outside CI, not when quiet.
    pub fn wants_progress(&self, len: u64, quiet: bool) -> bool {
        !quiet && self.stderr_is_terminal && !self.is_ci() && len >= 2
    }

    /// A progress bar on stderr for `len` runs, hidden unless [`Self::wants_progress`].
    pub fn progress(&self, len: u64, quiet: bool) -> ProgressBar {
        if !self.wants_progress(len, quiet) {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} runs {msg}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix("running");
        bar
    }

    /// How `len` runs of at most `longest` simulated time each show their progress.
    pub fn run_progress(&self, len: u64, longest: SimDuration, quiet: bool) -> Progress {
        if quiet || len == 0 {
            Progress::Hidden
        } else if self.is_ci() {
            Progress::Lines(LiveLines::new(len))
        } else if len == 1 && self.stderr_is_terminal && self.var("TERM") != Some("dumb") {
            let bar = ProgressBar::with_draw_target(
                Some(longest.as_secs_f64() as u64),
                ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = ProgressStyle::with_template("{prefix} [{bar:30}] {msg} simulated") {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix("running");
            Progress::SimTime(bar, longest)
        } else if self.wants_progress(len, quiet) {
            Progress::Bar(self.progress(len, quiet))
        } else {
            Progress::Hidden
        }
    }
}

/// How the runs of a command show their progress on stderr.
#[derive(Debug)]
pub enum Progress {
    Hidden,
    /// Runs done of all (an attended terminal).
    Bar(ProgressBar),
    /// One run on an attended terminal: its simulated time, up to the scenario's duration.
    SimTime(ProgressBar, SimDuration),
    /// A line per finished run (CI).
    Lines(LiveLines),
}

impl Progress {
    /// An observer of one run's trace that moves the simulated-time bar (`None`: nothing to move).
    pub fn sim_clock(&self) -> Option<SimClock> {
        match self {
            Progress::SimTime(bar, total) => Some(SimClock {
                bar: bar.clone(),
                total: *total,
            }),
            _ => None,
        }
    }

    /// A run has finished (`failure`: its first failed expectation, or why it gave no result).
    pub fn finished(&self, name: &str, seed: u64, failure: Option<&str>, wall: std::time::Duration) {
        match self {
            Progress::Hidden => {}
            Progress::Bar(bar) => bar.inc(1),
            Progress::SimTime(bar, _) => bar.finish_and_clear(),
            Progress::Lines(lines) => lines.finished(name, seed, failure, wall),
        }
    }

    /// Every run has finished.
    pub fn finish(&self) {
        match self {
            Progress::Bar(bar) | Progress::SimTime(bar, _) => bar.finish_and_clear(),
            Progress::Hidden | Progress::Lines(_) => {}
        }
    }
}

/// Moves a bar to the simulated time of each trace event.
#[derive(Debug)]
pub struct SimClock {
    bar: ProgressBar,
    total: SimDuration,
}

impl Observer<TraceEvent> for SimClock {
    fn observe(&mut self, at: SimTime, _event: &TraceEvent) {
        let seconds = at.since_start().as_secs_f64() as u64;
        if seconds != self.bar.position() {
            self.bar.set_position(seconds);
            self.bar
                .set_message(format!("{} of {}", at.since_start(), self.total));
        }
    }
}

/// One line per finished run on stderr, `[12/162] PASS name (seed 3) 1.2s`.
///
/// Up to [`LiveLines::EVERY_RUN_UP_TO`] runs, every run gets its line; above, every
/// N-th run (N = runs / that many, rounded up), every failure, the last run, and any
/// run that ends 30 s after the last line. The order of lines is the order runs
/// finish, so it may differ between two sweeps; no report file depends on it.
#[derive(Debug)]
pub struct LiveLines {
    total: u64,
    every: u64,
    state: Mutex<LinesState>,
}

#[derive(Debug)]
struct LinesState {
    done: u64,
    #[allow(
        clippy::disallowed_types,
        reason = "live lines on stderr only; never in a report"
    )]
    last_line: std::time::Instant,
}

impl LiveLines {
    /// Sweeps up to this many runs print a line for each.
    pub const EVERY_RUN_UP_TO: u64 = 200;
    /// The longest silence between two lines while runs finish.
    pub const AT_LEAST_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

    #[allow(
        clippy::disallowed_types,
        reason = "live lines on stderr only; never in a report"
    )]
    pub fn new(total: u64) -> LiveLines {
        LiveLines {
            total,
            every: total.div_ceil(Self::EVERY_RUN_UP_TO).max(1),
            state: Mutex::new(LinesState {
                done: 0,
                last_line: std::time::Instant::now(),
            }),
        }
    }

    fn finished(&self, name: &str, seed: u64, failure: Option<&str>, wall: std::time::Duration) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        state.done += 1;
        let due = failure.is_some()
            || state.done % self.every == 0
            || state.done == self.total
            || state.last_line.elapsed() >= Self::AT_LEAST_EVERY;
        if !due {
            return;
        }
        let name = crate::terminal::escape(name);
        let line = match failure {
            None => format!(
                "[{}/{}] PASS {name} (seed {seed}) {:.1}s",
                state.done,
                self.total,
                wall.as_secs_f64()
            ),
            Some(why) => format!(
                "[{}/{}] FAIL {name} (seed {seed}) {:.1}s: {}",
                state.done,
                self.total,
                wall.as_secs_f64(),
                crate::terminal::escape(why)
            ),
        };
        // One write per line, so lines from parallel runs never interleave.
        let _ = std::io::stderr().lock().write_all(format!("{line}\n").as_bytes());
        #[allow(
            clippy::disallowed_types,
            reason = "live lines on stderr only; never in a report"
        )]
        {
            state.last_line = std::time::Instant::now();
        }
    }
}

/// `--color auto|always|never`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal (NO_COLOR, CLICOLOR=0 turn it off; CLICOLOR_FORCE=1 on).
    #[default]
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)], tty: bool) -> Environment {
        Environment {
            vars: vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            stdout_is_terminal: tty,
            stderr_is_terminal: tty,
        }
    }

    #[test]
    fn colour_follows_the_terminal_no_color_and_the_flag() {
        assert!(env(&[], true).palette(ColorChoice::Auto).enabled());
        assert!(!env(&[], false).palette(ColorChoice::Auto).enabled());
        assert!(
            !env(&[("NO_COLOR", "1")], true)
                .palette(ColorChoice::Auto)
                .enabled()
        );
        assert!(
            env(&[("NO_COLOR", "")], true)
                .palette(ColorChoice::Auto)
                .enabled()
        );
        assert!(
            env(&[("NO_COLOR", "1")], false)
                .palette(ColorChoice::Always)
                .enabled()
        );
        assert!(!env(&[], true).palette(ColorChoice::Never).enabled());
    }

    #[test]
    fn colour_follows_clicolor_and_clicolor_force_as_anstream_does() {
        let auto = |vars: &[(&str, &str)], tty| env(vars, tty).palette(ColorChoice::Auto).enabled();
        assert!(auto(&[("CLICOLOR_FORCE", "1")], false));
        assert!(!auto(&[("CLICOLOR_FORCE", "0")], false));
        assert!(!auto(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], true));
        assert!(!auto(&[("CLICOLOR", "0")], true));
        assert!(auto(&[("CLICOLOR", "1")], true));
        assert!(!auto(&[("CLICOLOR", "1")], false));
        assert!(!auto(&[("TERM", "dumb")], true));
        assert!(
            !env(&[("CLICOLOR_FORCE", "1")], true)
                .palette(ColorChoice::Never)
                .enabled()
        );
        assert!(
            env(&[("CLICOLOR", "0")], false)
                .palette(ColorChoice::Always)
                .enabled()
        );
    }

    #[test]
    fn progress_only_on_an_attended_terminal() {
        assert!(env(&[], true).wants_progress(10, false));
        assert!(!env(&[("CI", "true")], true).wants_progress(10, false));
        assert!(env(&[("CI", "false")], true).wants_progress(10, false));
        assert!(!env(&[], false).wants_progress(10, false));
        assert!(!env(&[], true).wants_progress(10, true));
        assert!(env(&[], false).progress(10, false).is_hidden());
    }

    #[test]
    fn runs_show_lines_under_ci_and_simulated_time_for_one_run_on_a_terminal() {
        let hour = SimDuration::from_hours(1);
        let kind = |p: Progress| match p {
            Progress::Hidden => "hidden",
            Progress::Bar(_) => "bar",
            Progress::SimTime(..) => "sim-time",
            Progress::Lines(_) => "lines",
        };
        assert_eq!(
            kind(env(&[("CI", "true")], false).run_progress(162, hour, false)),
            "lines"
        );
        assert_eq!(
            kind(env(&[("CI", "1")], true).run_progress(1, hour, false)),
            "lines"
        );
        assert_eq!(
            kind(env(&[("CI", "true")], false).run_progress(162, hour, true)),
            "hidden"
        );
        assert_eq!(kind(env(&[], false).run_progress(162, hour, false)), "hidden");
        assert_eq!(kind(env(&[], true).run_progress(162, hour, false)), "bar");
        assert_eq!(kind(env(&[], true).run_progress(1, hour, false)), "sim-time");
        assert_eq!(
            kind(env(&[("TERM", "dumb")], true).run_progress(1, hour, false)),
            "hidden"
        );
        // Many runs: every N-th gets a line, N = runs / 200 rounded up.
        assert_eq!(LiveLines::new(162).every, 1);
        assert_eq!(LiveLines::new(2000).every, 10);
        assert_eq!(LiveLines::new(2001).every, 11);
    }
}
