//! The process's surroundings as the commands see them: environment
//! variables, whether stdout/stderr are terminals, colour and progress.
//!
//! `main` reads them once into an [`Environment`]; tests build one by hand,
//! so nothing below reads the process environment itself.

use std::collections::BTreeMap;
use std::io::IsTerminal;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use reports::text::Palette;

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
}
