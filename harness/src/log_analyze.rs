//! `fletsim log analyze LOG`: read a real HGW log as copied from the admin
//! page, list the spontaneous reboots as the seed report did, with statistics.
//!
//! Three layers, each usable alone:
//! - [`parse_log`] / [`parse_log_bytes`]: text to [`ParsedLog`] (entries plus
//!   the lines that looked like entries but were malformed);
//! - [`analyze`]: a pure function from [`ParsedLog`] to [`LogAnalysis`]
//!   (boots classified as spontaneous or user-caused, statistics);
//! - [`write_text`] / [`write_json`] and [`run`], the command itself.
//!
//! Classification: a boot is `JavaVM起動(reboot)`. A user reboot is the pair
//! `ユーザ操作による再起動` then `JavaVM正常停止(reboot)` (same second); the
//! first boot after it, within [`USER_BOOT_WINDOW_SECS`], is the boot the
//! user caused. A log that has not wrapped (fewer entries than the device's
//! ring keeps, [`XG100NE_LOG_CAPACITY`]) starts with the unit's first
//! power-on, so its oldest boot is that power-on. Every other boot is
//! spontaneous. Indices count from the
//! newest entry, so "later" means a smaller index. Timestamps of an unsynced
//! clock (2019-01-01, before NTP) are "unknown time": they never fail a
//! window check and are left out of interval statistics.

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use reports::text::{Palette, Verbosity};
use serde::Serialize;
use serde::ser::SerializeStruct;
use sim_core::device_log::{LogMessage, XG100NE_LOG_CAPACITY, is_unsynced};
use sim_core::time::{CivilDateTime, SimDuration};

/// How long after a user-reboot pair its boot may come (by synced clocks).
pub const USER_BOOT_WINDOW_SECS: i64 = 10 * 60;

/// How far apart the two lines of a user-reboot pair may be (same second on the XG-100NE).
pub const USER_REBOOT_PAIR_SECS: i64 = 60;

/// At most this many skipped lines are listed in the text output (JSON has all).
const SKIPPED_SHOWN: usize = 50;

/// The command's arguments.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  fletsim log analyze scenarios/hypotheses/evidence-report-2021.log
  fletsim log analyze my-hgw.log --json - | jq .reboots")]
#[command(mut_arg("quiet", |a| a.help("Print only the statistics")))]
#[command(mut_arg("verbose", |a| a.help("Print more: also every interval between reboots and every skipped line")))]
pub struct LogAnalyzeArgs {
    /// The HGW log as copied from the admin page (UTF-8 text, one `N. YYYY-MM-DD HH:MM:SS message` a line)
    pub log: PathBuf,
    /// Write one JSON object instead of text, to FILE (`-`: stdout; an existing FILE needs --force)
    #[arg(long, value_name = "FILE|-")]
    pub json: Option<crate::outputs::Destination>,
    /// Replace the --json file if it exists
    #[arg(long, requires = "json")]
    pub force: bool,
    #[command(flatten)]
    pub output: crate::options::OutputOptions,
}

/// Why `fletsim log analyze` failed.
#[derive(Debug, thiserror::Error)]
pub enum LogAnalyzeError {
    #[error("{0}")]
    Unreadable(crate::files::FileError),
    #[error("{}: not an HGW log: {source}", crate::terminal::path(path))]
    NotALog { path: PathBuf, source: LogParseError },
    #[error("cannot write the analysis: {0}")]
    Io(#[from] io::Error),
    /// The --json destination refused (an existing file without --force, a missing folder).
    #[error("--json: {0}")]
    Output(String),
}

impl LogAnalyzeError {
    /// The process exit code: 2 for bad input, 1 for a failure to write.
    pub fn exit_code(&self) -> i32 {
        match self {
            LogAnalyzeError::Unreadable(_) | LogAnalyzeError::NotALog { .. } | LogAnalyzeError::Output(_) => {
                2
            }
            LogAnalyzeError::Io(_) => 1,
        }
    }
}

/// Why a text is not an HGW log at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LogParseError {
    #[error("not UTF-8 text (invalid byte on line {line}); save the log as UTF-8")]
    NotUtf8 { line: usize },
    #[error("the file is empty")]
    Empty,
    #[error("no line looks like a log entry `N. YYYY-MM-DD HH:MM:SS message`")]
    NoEntries,
    #[error("none of its {malformed} entry lines is valid (line {first_line}: {first_reason})")]
    AllMalformed {
        malformed: usize,
        first_line: usize,
        first_reason: SkipReason,
    },
}

/// A message as read from a log: one fletsim knows, or any other text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryMessage {
    Known(LogMessage),
    Other(String),
}

impl EntryMessage {
    fn from_text(text: &str) -> EntryMessage {
        match LogMessage::from_text(text) {
            Some(m) => EntryMessage::Known(m),
            None => EntryMessage::Other(text.to_string()),
        }
    }

    /// The text as the log shows it.
    pub fn text(&self) -> &str {
        match self {
            EntryMessage::Known(m) => m.text(),
            EntryMessage::Other(s) => s,
        }
    }

    /// The message, if fletsim knows it.
    pub fn known(&self) -> Option<LogMessage> {
        match self {
            EntryMessage::Known(m) => Some(*m),
            EntryMessage::Other(_) => None,
        }
    }
}

/// One entry of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedEntry {
    /// The number the device shows (1 = newest).
    pub index: u64,
    /// The line of the file it was read from (1-based).
    pub line: usize,
    /// The device's clock when it was written.
    pub at: CivilDateTime,
    pub message: EntryMessage,
}

impl ParsedEntry {
    /// Whether the timestamp is real (NTP had set the clock), not 2019-01-01 00:00:xx.
    pub fn clock_synced(&self) -> bool {
        !is_unsynced(self.at)
    }

    /// The entry as the seed report lists it: index right-aligned to width 5,
    /// `   17. 2021-10-14 17:35:28 JavaVM起動(reboot)`.
    pub fn listed(&self) -> impl fmt::Display + '_ {
        Listed(self)
    }
}

struct Listed<'a>(&'a ParsedEntry);

impl fmt::Display for Listed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        write!(f, "{:>5}. {} {}", e.index, e.at, e.message.text())
    }
}

impl Serialize for ParsedEntry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("ParsedEntry", 6)?;
        st.serialize_field("index", &self.index)?;
        st.serialize_field("line", &self.line)?;
        st.serialize_field("at", &self.at.to_string())?;
        st.serialize_field("clock_synced", &self.clock_synced())?;
        st.serialize_field("message", self.message.text())?;
        st.serialize_field("kind", &self.message.known())?;
        st.end()
    }
}

/// Why a line that starts like an entry (`N.`) was skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    IndexOutOfRange,
    NoTimestamp,
    BadTimestamp(String),
    ImpossibleDate(String),
    NoMessage,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::IndexOutOfRange => f.write_str("index out of range"),
            SkipReason::NoTimestamp => f.write_str("no timestamp after the index"),
            SkipReason::BadTimestamp(t) => {
                write!(f, "bad timestamp `{t}` (expected YYYY-MM-DD HH:MM:SS)")
            }
            SkipReason::ImpossibleDate(t) => write!(f, "impossible date or time `{t}`"),
            SkipReason::NoMessage => f.write_str("no message after the timestamp"),
        }
    }
}

impl Serialize for SkipReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A malformed entry line, skipped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SkippedLine {
    pub line: usize,
    pub reason: SkipReason,
}

impl fmt::Display for SkippedLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "skipped line {}: {}", self.line, self.reason)
    }
}

/// A log read from text: its entries in file order, and what was skipped.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ParsedLog {
    pub entries: Vec<ParsedEntry>,
    /// Lines that start like an entry but are malformed.
    pub skipped: Vec<SkippedLine>,
    /// Other non-blank lines (headers, footers, page titles), ignored.
    pub other_lines: usize,
    /// The count a `There are N entries.` header gives (the report's extraction has one; an
    /// extraction lists only some of the entries it counts).
    pub declared_entries: Option<u64>,
}

impl ParsedLog {
    /// Whether the log holds everything the unit wrote since its first power-on: the ring
    /// ([`XG100NE_LOG_CAPACITY`] entries) has not wrapped. Told by the `There are N entries.`
    /// header when there is one, else by entries numbered 1 to N without a gap (malformed
    /// lines count) with N below the ring's size.
    pub fn has_not_wrapped(&self) -> bool {
        let capacity = XG100NE_LOG_CAPACITY as u64;
        match self.declared_entries {
            Some(n) => n < capacity,
            None => {
                let highest = self.entries.iter().map(|e| e.index).max().unwrap_or(0);
                let lines = (self.entries.len() + self.skipped.len()) as u64;
                highest < capacity && lines == highest
            }
        }
    }
}

/// The count in a `There are N entries.` header line.
fn declared_count(line: &str) -> Option<u64> {
    let n = line
        .trim()
        .strip_prefix("There are ")?
        .strip_suffix(" entries.")?;
    n.trim().parse().ok()
}

/// Parses a log from bytes: strips a UTF-8 BOM, rejects text that is not UTF-8.
pub fn parse_log_bytes(bytes: &[u8]) -> Result<ParsedLog, LogParseError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_log(text),
        Err(e) => {
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
            Err(LogParseError::NotUtf8 {
                line: lines(valid).count().max(1),
            })
        }
    }
}

/// The lines of a log as copied from wherever it came: a line ends at `\n`, `\r\n`, a lone
/// `\r` (old Mac exports, some admin pages) or a NUL (C strings saved whole); a NUL right
/// before a line break ends one line, not two.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let Some(end) = rest.find(['\n', '\r', '\0']) else {
            let line = rest;
            rest = "";
            return Some(line);
        };
        let line = &rest[..end];
        let after = &rest[end..];
        let ending = ["\0\r\n", "\r\n", "\0\n", "\0\r"]
            .iter()
            .find(|e| after.starts_with(**e))
            .map_or(1, |e| e.len());
        rest = &after[ending..];
        Some(line)
    })
}

/// Parses a log: one `N. YYYY-MM-DD HH:MM:SS message` a line (ended as [`lines`] says);
/// blank lines, a BOM and lines that do not start like an entry are tolerated.
pub fn parse_log(text: &str) -> Result<ParsedLog, LogParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text
        .trim_matches(|c: char| c.is_whitespace() || c == '\0')
        .is_empty()
    {
        return Err(LogParseError::Empty);
    }
    let mut log = ParsedLog::default();
    for (i, raw) in lines(text).enumerate() {
        let line = i + 1;
        match parse_line(raw) {
            Line::Blank => {}
            Line::Other => {
                log.other_lines += 1;
                if log.declared_entries.is_none() {
                    log.declared_entries = declared_count(raw);
                }
            }
            Line::Malformed(reason) => log.skipped.push(SkippedLine { line, reason }),
            Line::Entry { index, at, message } => log.entries.push(ParsedEntry {
                index,
                line,
                at,
                message: EntryMessage::from_text(message),
            }),
        }
    }
    if log.entries.is_empty() {
        return Err(match log.skipped.first() {
            None => LogParseError::NoEntries,
            Some(first) => LogParseError::AllMalformed {
                malformed: log.skipped.len(),
                first_line: first.line,
                first_reason: first.reason.clone(),
            },
        });
    }
    Ok(log)
}

enum Line<'a> {
    Blank,
    Other,
    Malformed(SkipReason),
    Entry {
        index: u64,
        at: CivilDateTime,
        message: &'a str,
    },
}

/// The layout of a timestamp: `YYYY-MM-DD HH:MM:SS`, `d` a digit.
const TIMESTAMP_LAYOUT: &[u8; 19] = b"dddd-dd-dd dd:dd:dd";

fn parse_line(raw: &str) -> Line<'_> {
    let s = raw.trim();
    if s.is_empty() {
        return Line::Blank;
    }
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || s.as_bytes().get(digits) != Some(&b'.') {
        return Line::Other;
    }
    let Ok(index) = s[..digits].parse::<u64>() else {
        return Line::Malformed(SkipReason::IndexOutOfRange);
    };
    let rest = s[digits + 1..].trim_start();
    if rest.is_empty() {
        return Line::Malformed(SkipReason::NoTimestamp);
    }
    let stamp = rest.get(..TIMESTAMP_LAYOUT.len()).filter(|t| {
        t.bytes()
            .zip(TIMESTAMP_LAYOUT)
            .all(|(b, &l)| if l == b'd' { b.is_ascii_digit() } else { b == l })
    });
    let after = stamp.map(|t| &rest[t.len()..]);
    let (Some(stamp), Some(after)) = (stamp, after) else {
        return Line::Malformed(SkipReason::BadTimestamp(first_words(rest, 2)));
    };
    if !after.is_empty() && !after.starts_with(char::is_whitespace) {
        return Line::Malformed(SkipReason::BadTimestamp(first_words(rest, 2)));
    }
    let Some(at) = CivilDateTime::parse(stamp) else {
        return Line::Malformed(SkipReason::ImpossibleDate(stamp.to_string()));
    };
    let message = after.trim();
    if message.is_empty() {
        return Line::Malformed(SkipReason::NoMessage);
    }
    Line::Entry { index, at, message }
}

/// The first `n` whitespace-separated words of `s`, at most 40 characters.
fn first_words(s: &str, n: usize) -> String {
    let words: Vec<&str> = s.split_whitespace().take(n).collect();
    words.join(" ").chars().take(40).collect()
}

/// A user-requested reboot: the request, its clean stop and the boot it caused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserReboot {
    pub request: ParsedEntry,
    pub stop: Option<ParsedEntry>,
    pub boot: Option<ParsedEntry>,
}

/// The span of time the log's synced entries cover.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogSpan {
    #[serde(serialize_with = "serialize_display")]
    pub from: CivilDateTime,
    #[serde(serialize_with = "serialize_display")]
    pub to: CivilDateTime,
    pub days: f64,
}

/// Statistics over the spontaneous reboots.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RebootStatistics {
    pub spontaneous: usize,
    /// Spontaneous reboots stamped by an unsynced clock (time unknown).
    pub spontaneous_unsynced: usize,
    pub user: usize,
    /// The oldest spontaneous reboot with a synced clock.
    pub first: Option<ParsedEntry>,
    /// The newest spontaneous reboot with a synced clock.
    pub last: Option<ParsedEntry>,
    pub span: Option<LogSpan>,
    /// Seconds between consecutive spontaneous reboots, oldest first; only
    /// pairs where both clocks are synced (and go forward).
    pub intervals_secs: Vec<i64>,
    pub mean_interval_secs: Option<f64>,
    pub median_interval_secs: Option<f64>,
    /// Spontaneous reboots per day over the span the log covers.
    pub reboots_per_day: Option<f64>,
    /// Spontaneous reboots with a synced clock by hour of day (0..24).
    pub hour_of_day: [usize; 24],
}

/// What a log says about reboots.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogAnalysis {
    /// Entries read.
    pub entries: usize,
    /// Every boot (`JavaVM起動(reboot)`).
    pub boots: usize,
    /// Boots not caused by a user reboot, newest first (the first power-on is not one).
    pub spontaneous_reboots: Vec<ParsedEntry>,
    /// The unit's first power-on: the oldest boot of a log that has not wrapped.
    pub first_power_on: Option<ParsedEntry>,
    /// User reboots, newest first.
    pub user_reboots: Vec<UserReboot>,
    /// Entries stamped by an unsynced clock, newest first.
    pub unsynced: Vec<ParsedEntry>,
    pub statistics: RebootStatistics,
    /// Malformed lines the parser skipped.
    pub skipped: Vec<SkippedLine>,
}

/// Whether `later` is within `window` seconds after `earlier`; an unsynced
/// clock on either side cannot tell, so it does not rule the pair out.
fn within(earlier: &ParsedEntry, later: &ParsedEntry, window: i64) -> bool {
    if !earlier.clock_synced() || !later.clock_synced() {
        return true;
    }
    let d = later.at.to_unix_seconds() - earlier.at.to_unix_seconds();
    (0..=window).contains(&d)
}

/// Classifies boots and computes the statistics. Entries are taken in index
/// order (the device's own), whatever their order in the file.
pub fn analyze(log: &ParsedLog) -> LogAnalysis {
    let mut order: Vec<&ParsedEntry> = log.entries.iter().collect();
    order.sort_by_key(|e| e.index);

    let mut boots = 0;
    let mut first_power_on: Option<ParsedEntry> = None;
    // In a log that has not wrapped, the oldest boot is the unit's first power-on.
    let mut awaiting_first_boot = log.has_not_wrapped();
    let mut spontaneous: Vec<ParsedEntry> = Vec::new();
    let mut user_reboots: Vec<UserReboot> = Vec::new();
    let mut unsynced: Vec<ParsedEntry> = Vec::new();
    // The user reboot still waiting for its boot.
    let mut pending: Option<usize> = None;

    // Oldest first (largest index first).
    for &e in order.iter().rev() {
        if !e.clock_synced() {
            unsynced.push(e.clone());
        }
        match e.message.known() {
            Some(LogMessage::UserReboot) => {
                user_reboots.push(UserReboot {
                    request: e.clone(),
                    stop: None,
                    boot: None,
                });
                pending = Some(user_reboots.len() - 1);
            }
            Some(LogMessage::JavaVmStopped) => {
                if let Some(reboot) = pending.and_then(|p| user_reboots.get_mut(p))
                    && reboot.stop.is_none()
                    && within(&reboot.request, e, USER_REBOOT_PAIR_SECS)
                {
                    reboot.stop = Some(e.clone());
                }
            }
            Some(LogMessage::Boot) => {
                boots += 1;
                if std::mem::take(&mut awaiting_first_boot) && pending.is_none() {
                    first_power_on = Some(e.clone());
                    continue;
                }
                let owner = pending.take().and_then(|p| user_reboots.get_mut(p));
                match owner {
                    Some(reboot)
                        if within(
                            reboot.stop.as_ref().unwrap_or(&reboot.request),
                            e,
                            USER_BOOT_WINDOW_SECS,
                        ) =>
                    {
                        reboot.boot = Some(e.clone());
                    }
                    _ => spontaneous.push(e.clone()),
                }
            }
            _ => {}
        }
    }

    let statistics = statistics(&spontaneous, user_reboots.len(), &log.entries);
    spontaneous.reverse();
    user_reboots.reverse();
    unsynced.reverse();
    LogAnalysis {
        entries: log.entries.len(),
        boots,
        spontaneous_reboots: spontaneous,
        first_power_on,
        user_reboots,
        unsynced,
        statistics,
        skipped: log.skipped.clone(),
    }
}

/// Statistics of the spontaneous reboots (given oldest first).
fn statistics(oldest_first: &[ParsedEntry], user: usize, entries: &[ParsedEntry]) -> RebootStatistics {
    let synced: Vec<&ParsedEntry> = oldest_first.iter().filter(|e| e.clock_synced()).collect();
    let intervals_secs: Vec<i64> = oldest_first
        .windows(2)
        .filter(|w| w[0].clock_synced() && w[1].clock_synced())
        .map(|w| w[1].at.to_unix_seconds() - w[0].at.to_unix_seconds())
        .filter(|&d| d >= 0)
        .collect();
    let mean_interval_secs = (!intervals_secs.is_empty())
        .then(|| intervals_secs.iter().map(|&d| d as f64).sum::<f64>() / intervals_secs.len() as f64);
    let median_interval_secs = median(&intervals_secs);

    let synced_times = entries.iter().filter(|e| e.clock_synced()).map(|e| e.at);
    let span = synced_times
        .clone()
        .min()
        .zip(synced_times.max())
        .map(|(from, to)| LogSpan {
            from,
            to,
            days: (to.to_unix_seconds() - from.to_unix_seconds()) as f64 / 86_400.0,
        });
    let reboots_per_day = span
        .as_ref()
        .filter(|s| s.days > 0.0)
        .map(|s| oldest_first.len() as f64 / s.days);

    let mut hour_of_day = [0; 24];
    for e in &synced {
        hour_of_day[usize::from(e.at.hour) % 24] += 1;
    }
    RebootStatistics {
        spontaneous: oldest_first.len(),
        spontaneous_unsynced: oldest_first.len() - synced.len(),
        user,
        first: synced.first().map(|&e| e.clone()),
        last: synced.last().map(|&e| e.clone()),
        span,
        intervals_secs,
        mean_interval_secs,
        median_interval_secs,
        reboots_per_day,
        hour_of_day,
    }
}

fn median(values: &[i64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] as f64 + sorted[n / 2] as f64) / 2.0),
    }
}

fn serialize_display<T: fmt::Display, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// `4.89 days (4d21h18m20s)`.
fn days(secs: f64) -> String {
    let whole = SimDuration::from_secs(secs.max(0.0).round() as u64);
    format!("{:.2} days ({whole})", secs / 86_400.0)
}

/// Writes the analysis as text: first the report's layout (`There are N
/// entries.` and the spontaneous reboots as the log shows them), then the
/// statistics, user reboots, hour-of-day histogram, unsynced entries and
/// skipped lines. `-q` (`Verbosity::Quiet`): the statistics alone; `-v`: also
/// every interval between reboots and every skipped line.
pub fn write_text(
    a: &LogAnalysis,
    verbosity: Verbosity,
    palette: Palette,
    out: &mut dyn Write,
) -> io::Result<()> {
    let s = &a.statistics;
    if verbosity == Verbosity::Quiet {
        return write_statistics(a, palette, out);
    }
    writeln!(out, "There are {} entries.", a.entries)?;
    for e in &a.spontaneous_reboots {
        writeln!(out, "{}", e.listed())?;
    }
    writeln!(out)?;
    write_statistics(a, palette, out)?;
    if verbosity == Verbosity::Verbose && !s.intervals_secs.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            palette.heading("Intervals between spontaneous reboots (synced clocks)")
        )?;
        for (i, secs) in s.intervals_secs.iter().enumerate() {
            writeln!(out, "  {:>3}  {}", i + 1, days(*secs as f64))?;
        }
    }
    write_sections(a, verbosity, palette, out)
}

/// The `Statistics` section.
fn write_statistics(a: &LogAnalysis, palette: Palette, out: &mut dyn Write) -> io::Result<()> {
    let s = &a.statistics;
    writeln!(out, "{}", palette.heading("Statistics"))?;
    write!(out, "  spontaneous reboots  {}", s.spontaneous)?;
    if s.spontaneous_unsynced > 0 {
        write!(out, " ({} with an unsynced clock)", s.spontaneous_unsynced)?;
    }
    writeln!(out)?;
    writeln!(out, "  user reboots         {}", s.user)?;
    if let Some(e) = &a.first_power_on {
        writeln!(
            out,
            "  first power-on       {} (entry {}; the log has not wrapped, so its oldest boot is the unit's first)",
            e.at, e.index
        )?;
    }
    let entry = |e: &Option<ParsedEntry>| match e {
        Some(e) => format!("{} (entry {})", e.at, e.index),
        None => "-".to_string(),
    };
    writeln!(out, "  first                {}", entry(&s.first))?;
    writeln!(out, "  last                 {}", entry(&s.last))?;
    match &s.span {
        Some(span) => writeln!(
            out,
            "  log covers           {} .. {} ({:.2} days)",
            span.from, span.to, span.days
        )?,
        None => writeln!(out, "  log covers           -")?,
    }
    match s.mean_interval_secs {
        Some(mean) => writeln!(
            out,
            "  mean interval        {}, {} intervals",
            days(mean),
            s.intervals_secs.len()
        )?,
        None => writeln!(out, "  mean interval        -")?,
    }
    match s.median_interval_secs {
        Some(median) => writeln!(out, "  median interval      {}", days(median))?,
        None => writeln!(out, "  median interval      -")?,
    }
    match s.reboots_per_day {
        Some(rate) if rate > 0.0 => writeln!(
            out,
            "  reboots per day      {rate:.3} (one every {:.2} days)",
            1.0 / rate
        )?,
        Some(rate) => writeln!(out, "  reboots per day      {rate:.3}")?,
        None => writeln!(out, "  reboots per day      -")?,
    }
    Ok(())
}

/// The sections after the statistics: hours of day, user reboots, unsynced entries, skipped lines.
fn write_sections(
    a: &LogAnalysis,
    verbosity: Verbosity,
    palette: Palette,
    out: &mut dyn Write,
) -> io::Result<()> {
    let s = &a.statistics;
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        palette.heading("Hour of day (spontaneous reboots with a synced clock)")
    )?;
    let max = s.hour_of_day.iter().copied().max().unwrap_or(0);
    for (hour, &count) in s.hour_of_day.iter().enumerate() {
        let bar = if max > 40 { count * 40 / max } else { count };
        write!(out, "  {hour:02}  {count:>3}")?;
        if bar > 0 {
            write!(out, " {}", "#".repeat(bar))?;
        }
        writeln!(out)?;
    }

    if !a.user_reboots.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            palette.heading("User reboots (request, clean stop, the boot that followed)")
        )?;
        for r in &a.user_reboots {
            let stop = r.stop.as_ref().map(|e| e.listed().to_string());
            let boot = r.boot.as_ref().map(|e| e.listed().to_string());
            writeln!(out, "{}", r.request.listed())?;
            writeln!(out, "{}", stop.as_deref().unwrap_or("      (no clean stop)"))?;
            writeln!(
                out,
                "{}",
                boot.as_deref().unwrap_or("      (no boot within the window)")
            )?;
        }
    }

    if !a.unsynced.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            palette.heading("Unsynced clock (before NTP sync; left out of interval statistics)")
        )?;
        for e in &a.unsynced {
            writeln!(out, "{}", e.listed())?;
        }
    }

    if !a.skipped.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            palette.heading(&format!("Skipped lines ({})", a.skipped.len()))
        )?;
        let shown = if verbosity == Verbosity::Verbose {
            a.skipped.len()
        } else {
            SKIPPED_SHOWN
        };
        for skipped in a.skipped.iter().take(shown) {
            writeln!(out, "  {skipped}")?;
        }
        if a.skipped.len() > shown {
            writeln!(
                out,
                "  ... and {} more (see -v or --json)",
                a.skipped.len() - SKIPPED_SHOWN
            )?;
        }
    }
    Ok(())
}

/// Writes the analysis as one JSON object (with the file it came from), then a newline.
pub fn write_json(file: &Path, a: &LogAnalysis, out: &mut dyn Write) -> io::Result<()> {
    #[derive(Serialize)]
    struct Report<'a> {
        file: String,
        #[serde(flatten)]
        analysis: &'a LogAnalysis,
    }
    let report = Report {
        file: file.display().to_string(),
        analysis: a,
    };
    serde_json::to_writer_pretty(&mut *out, &report).map_err(io::Error::other)?;
    writeln!(out)
}

/// Reads (through the bounded reader: a regular file of at most 16 MiB) and parses the log file.
pub fn read_log(path: &Path) -> Result<ParsedLog, LogAnalyzeError> {
    let bytes =
        crate::files::read_bytes(path, crate::files::InputKind::Log).map_err(LogAnalyzeError::Unreadable)?;
    parse_log_bytes(&bytes).map_err(|source| LogAnalyzeError::NotALog {
        path: path.to_path_buf(),
        source,
    })
}

/// `fletsim log analyze LOG [--json]`.
pub fn run(
    args: &LogAnalyzeArgs,
    env: &crate::console::Environment,
    out: &mut dyn Write,
) -> Result<(), LogAnalyzeError> {
    let log = read_log(&args.log)?;
    let analysis = analyze(&log);
    if let Some(dest) = &args.json {
        let mut json = Vec::new();
        write_json(&args.log, &analysis, &mut json)?;
        match dest {
            // Stdout fails as text output does (exit 1); a file destination is the user's (exit 2).
            crate::outputs::Destination::Stdout => out.write_all(&json)?,
            crate::outputs::Destination::File(_) => {
                crate::outputs::write_to(dest, out, args.force, |w| w.write_all(&json))
                    .map_err(LogAnalyzeError::Output)?
            }
        }
    } else {
        write_text(&analysis, args.output.verbosity(), args.output.palette(env), out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(line: &str) -> Option<(u64, String, String)> {
        match parse_line(line) {
            Line::Entry { index, at, message } => Some((index, at.to_string(), message.to_string())),
            _ => None,
        }
    }

    fn skip_reason(line: &str) -> Option<String> {
        match parse_line(line) {
            Line::Malformed(reason) => Some(reason.to_string()),
            _ => None,
        }
    }

    #[test]
    fn lines_parse_leniently_and_fail_clearly() {
        assert_eq!(
            entry("473. 2021-07-18 19:21:11 JavaVM正常停止(reboot)"),
            Some((473, "2021-07-18 19:21:11".into(), "JavaVM正常停止(reboot)".into()))
        );
        assert_eq!(
            entry("   17.\t2021-10-14 17:35:28   JavaVM起動(reboot) \r"),
            Some((17, "2021-10-14 17:35:28".into(), "JavaVM起動(reboot)".into()))
        );
        assert!(matches!(parse_line("There are 1000 entries."), Line::Other));
        assert!(matches!(parse_line("1000 entries"), Line::Other));
        assert!(matches!(parse_line("  \t "), Line::Blank));
        assert_eq!(skip_reason("5."), Some("no timestamp after the index".into()));
        assert_eq!(
            skip_reason("5. 2021-7-18 19:21:11 x"),
            Some("bad timestamp `2021-7-18 19:21:11` (expected YYYY-MM-DD HH:MM:SS)".into())
        );
        assert_eq!(
            skip_reason("5. 2021-02-30 19:21:11 x"),
            Some("impossible date or time `2021-02-30 19:21:11`".into())
        );
        assert_eq!(
            skip_reason("5. 2021-07-18 25:00:00 x"),
            Some("impossible date or time `2021-07-18 25:00:00`".into())
        );
        assert_eq!(
            skip_reason("5. 2021-07-18 19:21:111 x").map(|r| r.starts_with("bad timestamp")),
            Some(true)
        );
        assert_eq!(
            skip_reason("5. 2021-07-18 19:21:11"),
            Some("no message after the timestamp".into())
        );
        assert_eq!(
            skip_reason("99999999999999999999999. 2021-07-18 19:21:11 x"),
            Some("index out of range".into())
        );
        // Non-ASCII where the timestamp should be does not split a character.
        assert_eq!(
            skip_reason("5. 二〇二一年七月十八日 x").map(|r| r.starts_with("bad timestamp")),
            Some(true)
        );
    }

    #[test]
    fn median_of_even_and_odd() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3, 1, 2]), Some(2.0));
        assert_eq!(median(&[4, 1, 2, 3]), Some(2.5));
    }
}
