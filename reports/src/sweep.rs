//! Share expectations: `EXPR for P% of seeds`, judged across a seed sweep.
//!
//! Some stories are statistical: "IPv4 is up within 5 minutes" may hold at
//! most seeds of a lossy line but not all. A scenario says so by ending an
//! expectation with `for P% of seeds`. Each run reports whether `EXPR` held
//! at its seed (it does not fail the run); the share expectation itself is
//! judged over every run of the scenario, from the 95 % Wilson score interval
//! of the observed share (sim-core's `stats::wilson_interval`), by one rule
//! ([`Decision::of`]):
//!
//! - **good** when the interval's lower bound is at least P, **bad** when its
//!   upper bound is below P, **inconclusive** when it straddles P. At
//!   P = 100 % it is good when it held at every seed and bad otherwise.
//! - `fletsim run` / `fletsim merge` ([`judge_shares`]) fail a share only when
//!   it is bad: the seeds that ran show, with 95 % confidence, that the true
//!   share is below P. A share the model meets therefore passes at any seed
//!   count (one missed seed of five does not fail `for 85% of seeds`), while a
//!   share clearly below P fails as soon as the sweep is large enough to show
//!   it. The verdict depends only on the counts, so it is deterministic.
//! - `fletsim check` maps the three answers to `git bisect run`'s good, bad
//!   and skip.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sim_core::stats::{Z_95, wilson_interval};

use crate::RunRecord;

/// A required share of seeds, kept in parts per million so comparisons are exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Share {
    ppm: u32,
}

const PPM: u32 = 1_000_000;

impl Share {
    /// Parses a percentage (`95`, `99.5`, at most four decimals), above 0 and at most 100.
    pub fn from_percent(text: &str) -> Option<Share> {
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        if whole.is_empty()
            || whole.len() > 3
            || frac.len() > 4
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || (text.contains('.') && frac.is_empty())
        {
            return None;
        }
        let whole: u32 = whole.parse().ok()?;
        let frac_ppm: u32 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<4}").parse().ok()?
        };
        let ppm = whole.checked_mul(10_000)?.checked_add(frac_ppm)?;
        (1..=PPM).contains(&ppm).then_some(Share { ppm })
    }

    /// The share as a fraction from 0 to 1.
    pub fn fraction(self) -> f64 {
        f64::from(self.ppm) / f64::from(PPM)
    }

    /// Every seed is required (`for 100% of seeds`).
    pub fn is_all(self) -> bool {
        self.ppm == PPM
    }
}

impl fmt::Display for Share {
    /// `95%`, `99.5%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.ppm / 10_000;
        let frac = self.ppm % 10_000;
        if frac == 0 {
            write!(f, "{whole}%")
        } else {
            let digits = format!("{frac:04}");
            write!(f, "{whole}.{}%", digits.trim_end_matches('0'))
        }
    }
}

impl Serialize for Share {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Share {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Share, D::Error> {
        let text = String::deserialize(d)?;
        text.strip_suffix('%')
            .and_then(Share::from_percent)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a share like `95%`")))
    }
}

/// Why a `for …` suffix did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareSyntaxError(pub String);

impl fmt::Display for ShareSyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}`: a share is written `for P% of seeds` with P above 0 and at most 100 (e.g. `ipv4.first_up <= 5m for 95% of seeds`)",
            self.0
        )
    }
}

impl std::error::Error for ShareSyntaxError {}

/// Splits `EXPR for P% of seeds` into `EXPR` and the share; text without ` for ` has no share.
pub fn split_share(text: &str) -> Result<(&str, Option<Share>), ShareSyntaxError> {
    let trimmed = text.trim();
    let Some(at) = trimmed.rfind(" for ") else {
        return Ok((trimmed, None));
    };
    let suffix = &trimmed[at + 1..];
    let words: Vec<&str> = suffix.split_whitespace().collect();
    let share = match words.as_slice() {
        ["for", pct, "of", "seeds"] => pct.strip_suffix('%').and_then(Share::from_percent),
        _ => None,
    };
    match share {
        Some(s) => Ok((trimmed[..at].trim_end(), Some(s))),
        None => Err(ShareSyntaxError(suffix.to_string())),
    }
}

/// The 95 % Wilson score interval of `held` of `runs` (sim-core's statistics), as (low, high).
pub fn interval95(held: u64, runs: u64) -> (f64, f64) {
    match wilson_interval(held, runs, Z_95) {
        Ok(i) => (i.low, i.high),
        Err(_) => (0.0, 1.0),
    }
}

/// What a seed sweep says about a share expectation, for `fletsim check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The true share is at least the required one (with 95 % confidence).
    Good,
    /// The true share is below the required one (with 95 % confidence).
    Bad,
    /// The interval straddles the required share: more seeds could decide.
    Inconclusive,
}

impl Decision {
    /// Decides from `held` of `runs` (see the module documentation for the rule).
    pub fn of(share: Share, held: u64, runs: u64) -> Decision {
        if runs == 0 {
            return Decision::Inconclusive;
        }
        if share.is_all() {
            return if held == runs {
                Decision::Good
            } else {
                Decision::Bad
            };
        }
        let (low, high) = interval95(held, runs);
        if low >= share.fraction() {
            Decision::Good
        } else if high < share.fraction() {
            Decision::Bad
        } else {
            Decision::Inconclusive
        }
    }
}

/// A share expectation judged over every run of one scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct ShareVerdict {
    pub file: String,
    pub scenario: String,
    /// The expectation as written, `for P% of seeds` included.
    pub text: String,
    pub share: Share,
    /// Runs where the expectation held, and all runs.
    pub held: u64,
    pub runs: u64,
    /// Seeds where it did not hold, ascending.
    pub missed_seeds: Vec<u64>,
    /// The lowest and highest seed of the sweep.
    pub seed_range: (u64, u64),
    /// What the sweep says about the true share ([`Decision::of`]).
    pub decision: Decision,
    /// Not [`Decision::Bad`]: the sweep does not show the true share below the required one.
    pub met: bool,
    /// The expectation's line in the scenario file (1 when the records do not say).
    pub line: u64,
}

impl ShareVerdict {
    /// The observed share as a fraction.
    pub fn observed(&self) -> f64 {
        if self.runs == 0 {
            0.0
        } else {
            self.held as f64 / self.runs as f64
        }
    }

    /// The 95 % Wilson interval of the observed share.
    pub fn interval(&self) -> (f64, f64) {
        interval95(self.held, self.runs)
    }

    /// `held at 18 of 20 seeds (90%; 95% CI 69.9–97.2%), needs 95%: within the interval`.
    pub fn describe(&self) -> String {
        let (low, high) = self.interval();
        let counts = format!(
            "held at {} of {} seeds ({}; 95% CI {}–{}), needs {}",
            self.held,
            self.runs,
            percent(self.observed()),
            percent_number(low),
            percent(high),
            self.share
        );
        match self.decision {
            Decision::Good => counts,
            Decision::Inconclusive => format!("{counts}: within the interval"),
            Decision::Bad if self.share.is_all() => format!("{counts}: it must hold at every seed"),
            Decision::Bad => format!("{counts}: above the interval"),
        }
    }

    /// The command that reruns this scenario's sweep.
    pub fn reproduce_command(&self) -> String {
        let (first, last) = self.seed_range;
        let seeds = if first == last {
            format!("--seed {first}")
        } else if first == 1 {
            format!("--seeds {last}")
        } else {
            format!("--seeds {first}..{last}")
        };
        format!("fletsim run {} {seeds}", crate::shell_quote(&self.file))
    }
}

/// A fraction as a percentage with at most one decimal: `95%`, `76.4%`.
pub fn percent(x: f64) -> String {
    format!("{}%", percent_number(x))
}

fn percent_number(x: f64) -> String {
    let tenths = (x * 1000.0).round() / 10.0;
    let text = format!("{tenths:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_string)
}

/// Judges every share expectation over the runs of its scenario. The order
/// follows the records' order (file, scenario) and then the expectations' order.
pub fn judge_shares(records: &[RunRecord]) -> Vec<ShareVerdict> {
    let mut groups: BTreeMap<(&str, &str, usize), ShareVerdict> = BTreeMap::new();
    for r in records {
        for (i, e) in r.expectations.iter().enumerate() {
            let Some(share) = e.share else { continue };
            let v = groups
                .entry((r.file.as_str(), r.scenario.as_str(), i))
                .or_insert_with(|| ShareVerdict {
                    file: r.file.clone(),
                    scenario: r.scenario.clone(),
                    text: e.text.clone(),
                    share,
                    held: 0,
                    runs: 0,
                    missed_seeds: Vec::new(),
                    seed_range: (r.seed, r.seed),
                    decision: Decision::Inconclusive,
                    met: false,
                    line: e.line.filter(|l| *l > 0).unwrap_or(1),
                });
            v.runs += 1;
            if e.passed {
                v.held += 1;
            } else {
                v.missed_seeds.push(r.seed);
            }
            v.seed_range = (v.seed_range.0.min(r.seed), v.seed_range.1.max(r.seed));
        }
    }
    groups
        .into_values()
        .map(|mut v| {
            v.missed_seeds.sort_unstable();
            v.decision = Decision::of(v.share, v.held, v.runs);
            v.met = v.decision != Decision::Bad;
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_parse_and_print_exactly() {
        assert_eq!(
            Share::from_percent("95").map(|s| s.to_string()),
            Some("95%".into())
        );
        assert_eq!(
            Share::from_percent("99.5").map(|s| s.to_string()),
            Some("99.5%".into())
        );
        assert_eq!(Share::from_percent("100").map(|s| s.is_all()), Some(true));
        assert_eq!(
            Share::from_percent("0.0001").map(|s| s.to_string()),
            Some("0.0001%".into())
        );
        for bad in ["0", "101", "-5", "95.", ".5", "95.12345", "abc", "", "1e2"] {
            assert_eq!(Share::from_percent(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_share_suffix_is_split_off() {
        assert_eq!(
            split_share("ipv4.first_up <= 5m"),
            Ok(("ipv4.first_up <= 5m", None))
        );
        let (expr, share) = split_share(" ipv4.first_up <= 5m for 95% of seeds ").expect("parses");
        assert_eq!(expr, "ipv4.first_up <= 5m");
        assert_eq!(share.map(|s| s.to_string()), Some("95%".into()));
        assert!(split_share("ipv4.first_up <= 5m for most seeds").is_err());
        assert!(split_share("ipv4.first_up <= 5m for 95 of seeds").is_err());
        assert!(split_share("ipv4.first_up <= 5m for 0% of seeds").is_err());
    }

    #[test]
    fn a_share_fails_only_when_the_sweep_shows_it_below() {
        let s85 = Share::from_percent("85").expect("share");
        // One miss of five is no evidence against 85 %: a small sweep stays green.
        assert_eq!(Decision::of(s85, 4, 5), Decision::Inconclusive);
        // A single run that misses is (upper bound 0.79).
        assert_eq!(Decision::of(s85, 0, 1), Decision::Bad);
        let s50 = Share::from_percent("50").expect("share");
        assert_eq!(Decision::of(s50, 0, 1), Decision::Inconclusive);
        // At 200 seeds the margin is about three points: 182 (91 %) is shown below 95 %,
        // 185 (92.5 %) is not.
        let s95 = Share::from_percent("95").expect("share");
        assert_eq!(Decision::of(s95, 182, 200), Decision::Bad);
        assert_eq!(Decision::of(s95, 185, 200), Decision::Inconclusive);
        assert_eq!(Decision::of(s95, 0, 0), Decision::Inconclusive);
    }

    #[test]
    fn wilson_decides_only_when_the_interval_is_clear() {
        let s90 = Share::from_percent("90").expect("share");
        // 20 of 20: lower bound 0.839 < 0.9, too few seeds to say.
        assert_eq!(Decision::of(s90, 20, 20), Decision::Inconclusive);
        // 40 of 40: lower bound 0.912.
        assert_eq!(Decision::of(s90, 40, 40), Decision::Good);
        // 12 of 20: upper bound 0.78.
        assert_eq!(Decision::of(s90, 12, 20), Decision::Bad);
        let all = Share::from_percent("100").expect("share");
        assert_eq!(Decision::of(all, 20, 20), Decision::Good);
        assert_eq!(Decision::of(all, 19, 20), Decision::Bad);
        let (low, high) = interval95(19, 20);
        assert!(
            (low - 0.7639).abs() < 1e-3 && (high - 0.9911).abs() < 1e-3,
            "{low} {high}"
        );
    }
}
