//! Durations with spread: how long a step of the bring-up takes (a boot, the
//! Java VM's start, the ONU's ranging), as a scenario states it and as each
//! occurrence draws it.
//!
//! A [`Spread`] is a closed range of durations; a fixed duration is the range
//! of one value. Scenario files write `45s` (fixed), `40s..50s` (uniform over
//! the range) or `45s±5s` (the same range by its centre; `45s+-5s` in ASCII).
//! Every occurrence of the step draws its own duration from the component's
//! own stream ([`Spread::draw`]), exactly one 64-bit number a draw whatever
//! the width, so turning a fixed timing into a range moves that step's
//! durations and nothing else.

use std::fmt;

use crate::rng::SimRng;
use crate::time::{DurationParseError, SimDuration};

/// A duration drawn uniformly from `min..=max` each time the step happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Spread {
    min: SimDuration,
    max: SimDuration,
}

impl Spread {
    /// Always exactly `d`.
    pub const fn fixed(d: SimDuration) -> Spread {
        Spread { min: d, max: d }
    }

    /// Uniform over `min..=max`; `None` when the range runs backwards.
    pub const fn uniform(min: SimDuration, max: SimDuration) -> Option<Spread> {
        if min.as_nanos() > max.as_nanos() {
            None
        } else {
            Some(Spread { min, max })
        }
    }

    /// Uniform over whole seconds `min..=max` (for defaults; panics at compile time if backwards).
    pub const fn secs(min: u64, max: u64) -> Spread {
        match Spread::uniform(SimDuration::from_secs(min), SimDuration::from_secs(max)) {
            Some(s) => s,
            None => panic!("a spread's range must not run backwards"),
        }
    }

    pub const fn min(self) -> SimDuration {
        self.min
    }

    pub const fn max(self) -> SimDuration {
        self.max
    }

    /// The middle of the range (the mean of the uniform draw).
    pub const fn mean(self) -> SimDuration {
        SimDuration::from_nanos(self.min.as_nanos() + (self.max.as_nanos() - self.min.as_nanos()) / 2)
    }

    pub const fn is_fixed(self) -> bool {
        self.min.as_nanos() == self.max.as_nanos()
    }

    /// One occurrence's duration. Takes exactly one number from `rng` even when fixed,
    /// so a component's later draws do not depend on whether this timing has a spread.
    pub fn draw(self, rng: &mut SimRng) -> SimDuration {
        use rand::Rng;
        let x = rng.next_u64();
        let width = (self.max.as_nanos() - self.min.as_nanos()) as u128 + 1;
        // Multiply-shift (Lemire): an exact integer map of 64 random bits onto 0..width.
        let offset = ((x as u128 * width) >> 64) as u64;
        SimDuration::from_nanos(self.min.as_nanos() + offset)
    }

    /// Parses `45s`, `40s..50s`, `45s±5s` or `45s+-5s` (every duration with its unit).
    pub fn parse(text: &str) -> Result<Spread, SpreadParseError> {
        let s = text.trim();
        let duration = |part: &str, which: Bound| {
            let part = part.trim();
            if part.is_empty() {
                return Err(SpreadParseError::MissingBound(which));
            }
            SimDuration::parse(part).map_err(|e| SpreadParseError::Duration(part.to_string(), e))
        };
        if let Some((lo, hi)) = s.split_once("..") {
            if hi.contains("..") {
                return Err(SpreadParseError::Malformed);
            }
            let (min, max) = (duration(lo, Bound::Lower)?, duration(hi, Bound::Upper)?);
            return Spread::uniform(min, max).ok_or(SpreadParseError::Backwards { min, max });
        }
        let plus_minus = s.split_once('±').or_else(|| s.split_once("+-"));
        if let Some((centre, half)) = plus_minus {
            let (centre, half) = (
                duration(centre, Bound::Centre)?,
                duration(half, Bound::HalfWidth)?,
            );
            if half > centre {
                return Err(SpreadParseError::BelowZero { centre, half });
            }
            return Ok(Spread {
                min: centre - half,
                max: centre + half,
            });
        }
        Ok(Spread::fixed(duration(s, Bound::Value)?))
    }
}

impl fmt::Display for Spread {
    /// `45s` when fixed, `40s..50s` otherwise (what [`Spread::parse`] reads back).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_fixed() {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{}..{}", self.min, self.max)
        }
    }
}

/// Which part of a spread's text an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    Value,
    Lower,
    Upper,
    Centre,
    HalfWidth,
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Bound::Value => "the duration",
            Bound::Lower => "the lower end of the range",
            Bound::Upper => "the upper end of the range",
            Bound::Centre => "the centre",
            Bound::HalfWidth => "the spread after ±",
        })
    }
}

/// Why a timing did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpreadParseError {
    #[error("{0} is missing")]
    MissingBound(Bound),
    #[error("`{0}`: {1}")]
    Duration(String, DurationParseError),
    #[error("the range runs backwards ({min} is longer than {max}); write the shorter first")]
    Backwards { min: SimDuration, max: SimDuration },
    #[error("the spread {half} is larger than the centre {centre}: the range would go below zero")]
    BelowZero { centre: SimDuration, half: SimDuration },
    #[error("one range only, e.g. `40s..50s`")]
    Malformed,
}

/// What [`Spread::parse`] accepts, for error messages.
pub const SPREAD_FORMS: &str =
    "a duration (45s), a range drawn uniformly (40s..50s) or a centre and spread (45s±5s, or 45s+-5s)";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{StreamId, Streams};

    fn secs(s: u64) -> SimDuration {
        SimDuration::from_secs(s)
    }

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(Spread::parse("45s"), Ok(Spread::fixed(secs(45))));
        assert_eq!(Spread::parse(" 40s..50s "), Ok(Spread::secs(40, 50)));
        assert_eq!(Spread::parse("45s±5s"), Ok(Spread::secs(40, 50)));
        assert_eq!(Spread::parse("45s +- 5s"), Ok(Spread::secs(40, 50)));
        assert_eq!(Spread::parse("1m..1m30s"), Ok(Spread::secs(60, 90)));
        assert_eq!(Spread::parse("0..2s"), Ok(Spread::secs(0, 2)));
        assert_eq!(Spread::parse("5s..5s"), Ok(Spread::fixed(secs(5))));
        for text in ["45s", "40s..50s", "250ms..1.5s", "0s"] {
            let s = Spread::parse(text).expect("valid");
            assert_eq!(s.to_string(), text);
            assert_eq!(Spread::parse(&s.to_string()), Ok(s));
        }
    }

    #[test]
    fn rejects_with_a_reason() {
        let err = |t: &str| Spread::parse(t).expect_err(t).to_string();
        assert_eq!(
            err("50s..40s"),
            "the range runs backwards (50s is longer than 40s); write the shorter first"
        );
        assert_eq!(
            err("40..50s"),
            "`40`: a number needs a unit (ns, us, ms, s, m, h, d), e.g. `90s`"
        );
        assert_eq!(err("40s.."), "the upper end of the range is missing");
        assert_eq!(err("..5s"), "the lower end of the range is missing");
        assert_eq!(err("1s..2s..3s"), "one range only, e.g. `40s..50s`");
        assert_eq!(
            err("5s±10s"),
            "the spread 10s is larger than the centre 5s: the range would go below zero"
        );
        assert_eq!(err("45s±"), "the spread after ± is missing");
        assert_eq!(err(""), "the duration is missing");
        assert!(err("-5s..5s").contains("negative"));
        assert!(err("soon").starts_with("`soon`: "));
    }

    #[test]
    fn draws_stay_in_the_range_and_spread_over_it() {
        let mut rng = Streams::new(7).rng(StreamId::named("test/spread"));
        let s = Spread::secs(40, 50);
        let draws: Vec<SimDuration> = (0..2000).map(|_| s.draw(&mut rng)).collect();
        assert!(draws.iter().all(|d| *d >= secs(40) && *d <= secs(50)));
        let below_mid = draws.iter().filter(|d| **d < secs(45)).count();
        assert!(
            (900..1100).contains(&below_mid),
            "{below_mid} of 2000 below the middle"
        );
        let mut distinct = draws.clone();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() > 1990, "nanosecond resolution: {}", distinct.len());
        // A fixed timing returns itself but still takes one number, like a range.
        let (mut a, mut b) = (rng.clone(), rng.clone());
        assert_eq!(Spread::fixed(secs(3)).draw(&mut a), secs(3));
        let _ = s.draw(&mut b);
        assert_eq!(a, b);
        // The whole u64 range of widths works without overflow.
        let wide = Spread::uniform(SimDuration::ZERO, SimDuration::MAX).expect("valid");
        let _ = wide.draw(&mut rng);
        assert_eq!(Spread::secs(40, 50).mean(), secs(45));
    }
}
