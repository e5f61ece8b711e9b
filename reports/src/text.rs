//! The terminal report of `fletsim run`: a line per run, the failed
//! expectations under it with their actual values, the share expectations
//! of seed sweeps, then a summary.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::RunRecord;
use crate::sweep::ShareVerdict;

/// How much to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// Failures and the summary only.
    Quiet,
    #[default]
    Normal,
    /// Every expectation, passed or not.
    Verbose,
}

/// Colours for terminal text; [`Palette::plain`] writes none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Palette {
    enabled: bool,
}

impl Palette {
    /// No escape codes at all (files, pipes, `NO_COLOR`).
    pub fn plain() -> Palette {
        Palette { enabled: false }
    }

    /// ANSI colours.
    pub fn ansi() -> Palette {
        Palette { enabled: true }
    }

    pub fn enabled(self) -> bool {
        self.enabled
    }

    fn paint(self, style: Style, text: &str) -> String {
        if self.enabled {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    /// Something that held: green.
    pub fn good(self, text: &str) -> String {
        self.paint(AnsiColor::Green.on_default().bold(), text)
    }

    /// Something that failed: red.
    pub fn bad(self, text: &str) -> String {
        self.paint(AnsiColor::Red.on_default().bold(), text)
    }

    /// Neither: yellow.
    pub fn unsure(self, text: &str) -> String {
        self.paint(AnsiColor::Yellow.on_default().bold(), text)
    }

    /// Secondary text: dimmed.
    pub fn dim(self, text: &str) -> String {
        self.paint(Style::new().dimmed(), text)
    }

    /// A section's title: bold.
    pub fn heading(self, text: &str) -> String {
        self.paint(Style::new().bold(), text)
    }

    /// `yes` in green or `no` in red.
    pub fn yes_no(self, yes: bool) -> String {
        if yes { self.good("yes") } else { self.bad("no") }
    }
}

fn show(d: &Option<sim_core::outcome::Dur>) -> String {
    d.map_or_else(|| "never".to_string(), |d| d.to_string())
}

/// Writes the line(s) for one run.
pub fn write_run(
    out: &mut dyn Write,
    r: &RunRecord,
    verbosity: Verbosity,
    palette: Palette,
) -> io::Result<()> {
    if r.passed && verbosity == Verbosity::Quiet {
        return Ok(());
    }
    let o = &r.outcome;
    writeln!(
        out,
        "{}  {} (seed {})  ipv6 {}  ipv4 {}  boots {}  stuck_at {}",
        if r.passed {
            palette.good("PASS")
        } else {
            palette.bad("FAIL")
        },
        r.scenario,
        r.seed,
        show(&o.ipv6.first_up),
        show(&o.ipv4.first_up),
        o.gateway.boots,
        o.gateway.stuck_at,
    )?;
    if let Some(stats) = &r.stats {
        writeln!(out, "      stats: {}", stats.summary())?;
    }
    for e in &r.expectations {
        match (e.passed, e.share.is_some()) {
            (false, false) => writeln!(
                out,
                "      {} {}  (actual: {})",
                palette.bad("failed:"),
                e.text,
                e.actual
            )?,
            (false, true) if verbosity != Verbosity::Quiet => writeln!(
                out,
                "      {} {}  (actual: {}; counts against the share)",
                palette.unsure("missed:"),
                e.text,
                e.actual
            )?,
            (true, _) if verbosity == Verbosity::Verbose => {
                writeln!(out, "      ok:     {}  (actual: {})", e.text, e.actual)?
            }
            _ => {}
        }
    }
    if !r.passed {
        writeln!(
            out,
            "      {} {}",
            palette.dim("reproduce:"),
            r.reproduce_command()
        )?;
    }
    Ok(())
}

/// Writes one line per share expectation (those missed even when quiet).
pub fn write_shares(
    out: &mut dyn Write,
    verdicts: &[ShareVerdict],
    verbosity: Verbosity,
    palette: Palette,
) -> io::Result<()> {
    for v in verdicts {
        if v.met && verbosity == Verbosity::Quiet {
            continue;
        }
        writeln!(
            out,
            "{}  {}: {}  {}",
            if v.met {
                palette.good("MET ")
            } else {
                palette.bad("MISS")
            },
            v.scenario,
            v.text,
            palette.dim(&v.describe()),
        )?;
        if !v.met {
            writeln!(
                out,
                "      {} {}",
                palette.dim("reproduce:"),
                v.reproduce_command()
            )?;
        }
    }
    Ok(())
}

/// Writes the closing summary line: `summary: 8 passed, 0 failed`.
pub fn write_summary(
    out: &mut dyn Write,
    records: &[RunRecord],
    verdicts: &[ShareVerdict],
) -> io::Result<()> {
    let failed = records.iter().filter(|r| !r.passed).count();
    let passed = records.len() - failed;
    if !verdicts.is_empty() {
        let missed = verdicts.iter().filter(|v| !v.met).count();
        writeln!(
            out,
            "share expectations: {} met, {missed} missed",
            verdicts.len() - missed
        )?;
    }
    writeln!(out, "summary: {passed} passed, {failed} failed")
}
