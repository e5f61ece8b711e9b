//! Random fault processes: the competing explanations of the HGW's
//! spontaneous reboots, each a [`Hazard`] with plain parameters and each run
//! by a [`HazardProcess`] on its own seeded stream.
//!
//! Every model is a threshold crossing. The process accumulates a quantity
//! at a rate that may depend on uptime, the local hour or the load, and fires
//! when the quantity reaches a threshold. For the random models the quantity
//! is the cumulative hazard and the threshold one unit-exponential draw, so a
//! firing time is the exact inverse of the cumulative hazard: no thinning, no
//! rejection loop. For the heap leak the quantity is the heap and the
//! threshold its limit: no randomness at all.
//!
//! How the simulation drives a process (time is always an argument):
//! 1. schedule one event at [`HazardProcess::next_firing`], tagged with
//!    [`HazardProcess::generation`];
//! 2. tell it [`set_load`](HazardProcess::set_load) when the load changes,
//!    [`restart`](HazardProcess::restart) when the device boots, and
//!    [`fired`](HazardProcess::fired) when its event is delivered;
//! 3. after any of these, if the generation moved, the scheduled event is
//!    stale: ignore it when it pops and schedule the new `next_firing`.
//!
//! The generation moves only when the pending firing moves, so the re-asks
//! are proportional to load changes (and only for models that use the load),
//! never to elapsed time.
//!
//! ```
//! use sim_core::hazard::{Hazard, HazardProcess};
//! use sim_core::rng::{StreamId, Streams};
//! use sim_core::time::{Calendar, CivilDateTime, SimDuration, SimTime};
//!
//! let calendar = Calendar::new(CivilDateTime::date(2021, 4, 19).expect("a date"));
//! let rng = Streams::new(42).rng(StreamId::named("fault/reboot-hazard"));
//! let leak = Hazard::HeapLeak { base_growth_per_hour: 1.0, growth_per_unit_load_hour: 0.01, limit: 600.0 };
//! let mut process = HazardProcess::new(leak, rng, calendar, SimTime::ZERO)?;
//! let scheduled = process.generation(); // an event goes in the queue at next_firing(), tagged so
//! // An hour later NAPT holds 400 sessions: 5 MB/h instead of 1.
//! process.set_load(SimTime::ZERO + SimDuration::from_hours(1), 400.0);
//! assert_ne!(process.generation(), scheduled); // the queued event is stale: schedule anew
//! // 1 MB in the first hour, then 599 MB at 5 MB/h: full after 120 h 48 min.
//! let at = SimTime::ZERO + SimDuration::parse("120h48m").expect("a duration");
//! assert_eq!(process.next_firing(), Some(at));
//! process.fired(at); // the Java VM runs out of heap: the HGW reboots
//! # Ok::<(), sim_core::hazard::HazardError>(())
//! ```
//!
//! Determinism: a process draws one unit exponential when it is created and
//! one per `fired` (the heap leak none); restarts and load changes never draw.
//! Uniforms have 53 random bits and logarithms and powers come from libm, so
//! the same call sequence gives the same firing times, to the nanosecond, on
//! every platform.

use crate::rng::SimRng;
use crate::time::{Calendar, SimDuration, SimTime};

/// Bounds on hazard parameters that keep runaway input from flooding a run.
pub mod limits {
    use crate::time::SimDuration;
    /// Shortest mean interval (or Weibull scale): one fault a minute.
    pub const MIN_INTERVAL: SimDuration = SimDuration::from_mins(1);
    /// Longest mean interval (or Weibull scale): a century, "practically never".
    pub const MAX_INTERVAL: SimDuration = SimDuration::from_days(36_500);
    /// Highest rate, and highest rate per unit of load, per day: one fault a minute.
    pub const MAX_RATE_PER_DAY: f64 = 1440.0;
    /// Weibull shapes accepted: below 1 early failures, 1 constant, above 1 wear-out.
    pub const SHAPE: std::ops::RangeInclusive<f64> = 0.1..=50.0;
    /// Loads above this count as this (a guard against infinities, far above any NAPT table).
    pub const MAX_LOAD: f64 = 1e12;
}

const NANOS_PER_HOUR: u64 = 3_600_000_000_000;
const NANOS_PER_DAY: u64 = 24 * NANOS_PER_HOUR;

/// One hypothesis of how a fault strikes at random.
#[derive(Clone, Debug, PartialEq)]
pub enum Hazard {
    /// A constant hazard: exponential intervals with this mean, whatever the uptime, hour or load.
    Constant { mean_interval: SimDuration },
    /// Uptime ageing: the time since the last boot is Weibull(shape k, scale λ); k > 1 wears out.
    Weibull { shape: f64, scale: SimDuration },
    /// A constant hazard modulated by a relative weight per local hour (mean rate 1 / `mean_interval`).
    TimeOfDay {
        mean_interval: SimDuration,
        hourly_weights: [f64; 24],
    },
    /// A hazard rate of `base + per_unit_load × load` per day, the load given by the simulation.
    LoadCoupled {
        base_rate_per_day: f64,
        rate_per_unit_load_per_day: f64,
    },
    /// A heap that grows from each boot by `base + per_unit_load × load` per hour and fails at `limit`.
    HeapLeak {
        base_growth_per_hour: f64,
        growth_per_unit_load_hour: f64,
        limit: f64,
    },
}

/// Where a process counts from: the run (memoryless models) or the last boot (ageing models).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// A boot changes nothing: the hazard depends on the hour or the load, not on uptime.
    SinceRunStart,
    /// A boot starts the process afresh: uptime ageing, heap growth.
    SinceBoot,
}

/// Why a hazard's parameters are not acceptable.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum HazardError {
    #[error("`{field}` must be a finite number, got {value}")]
    NotFinite { field: &'static str, value: f64 },
    #[error("`{field}` cannot be negative, got {value}")]
    Negative { field: &'static str, value: f64 },
    #[error("`{field}` must be above zero")]
    Zero { field: &'static str },
    #[error("`{field}` gives {value}, shorter than {min}: the run would do little but fail")]
    TooShort {
        field: &'static str,
        value: SimDuration,
        min: SimDuration,
    },
    #[error("`{field}` gives {value}, longer than {max}: leave the hazard out instead")]
    TooLong {
        field: &'static str,
        value: SimDuration,
        max: SimDuration,
    },
    #[error("`{field}` = {value} per day is above {max} (one fault a minute)")]
    RateTooHigh {
        field: &'static str,
        value: f64,
        max: f64,
    },
    #[error("`shape` = {0} is outside 0.1..=50 (below 1: early failures, 1: constant, above 1: wear-out)")]
    ShapeOutOfRange(f64),
    #[error(
        "`hourly_weights[{}]` (the hour from {hour:02}:00) = {value}: weights must be finite and not negative",
        u16::from(*hour) + 1
    )]
    BadWeight { hour: u8, value: f64 },
    #[error("`hourly_weights` are all zero: the fault could never happen")]
    AllWeightsZero,
    #[error("{0}: the fault could never happen")]
    NeverFires(&'static str),
}

impl Hazard {
    /// A Weibull hazard with the given mean interval: scale = mean / Γ(1 + 1/shape).
    pub fn weibull_with_mean(mean_interval: SimDuration, shape: f64) -> Result<Hazard, HazardError> {
        check_shape(shape)?;
        check_interval("mean_interval", mean_interval)?;
        let scale = mean_interval.as_secs_f64() / libm::tgamma(1.0 + 1.0 / shape);
        let hazard = Hazard::Weibull {
            shape,
            scale: SimDuration::from_secs_f64(scale),
        };
        hazard.validate()?;
        Ok(hazard)
    }

    /// The model's name as scenario files spell it.
    pub fn name(&self) -> &'static str {
        match self {
            Hazard::Constant { .. } => "constant",
            Hazard::Weibull { .. } => "weibull",
            Hazard::TimeOfDay { .. } => "time_of_day",
            Hazard::LoadCoupled { .. } => "load_coupled",
            Hazard::HeapLeak { .. } => "heap_leak",
        }
    }

    /// Whether a boot starts the process afresh.
    pub fn clock(&self) -> Clock {
        match self {
            Hazard::Weibull { .. } | Hazard::HeapLeak { .. } => Clock::SinceBoot,
            Hazard::Constant { .. } | Hazard::TimeOfDay { .. } | Hazard::LoadCoupled { .. } => {
                Clock::SinceRunStart
            }
        }
    }

    /// Whether the load moves the process (if not, the simulation need not report load changes).
    pub fn uses_load(&self) -> bool {
        match *self {
            Hazard::LoadCoupled {
                rate_per_unit_load_per_day,
                ..
            } => rate_per_unit_load_per_day > 0.0,
            Hazard::HeapLeak {
                growth_per_unit_load_hour,
                ..
            } => growth_per_unit_load_hour > 0.0,
            Hazard::Constant { .. } | Hazard::Weibull { .. } | Hazard::TimeOfDay { .. } => false,
        }
    }

    /// The analytic mean time between firings (from a boot, for ageing models) under a constant load.
    ///
    /// `None` if the process never fires at that load.
    pub fn mean_interval(&self, load: f64) -> Option<SimDuration> {
        let load = clamp_load(load);
        let secs = match *self {
            Hazard::Constant { mean_interval } | Hazard::TimeOfDay { mean_interval, .. } => {
                return Some(mean_interval);
            }
            Hazard::Weibull { shape, scale } => scale.as_secs_f64() * libm::tgamma(1.0 + 1.0 / shape),
            Hazard::LoadCoupled {
                base_rate_per_day,
                rate_per_unit_load_per_day,
            } => 86_400.0 / (base_rate_per_day + rate_per_unit_load_per_day * load),
            Hazard::HeapLeak {
                base_growth_per_hour,
                growth_per_unit_load_hour,
                limit,
            } => 3_600.0 * limit / (base_growth_per_hour + growth_per_unit_load_hour * load),
        };
        (secs.is_finite() && secs * 1e9 < u64::MAX as f64).then(|| SimDuration::from_secs_f64(secs))
    }

    /// Checks the parameters: finite, in range, and able to fire at all.
    pub fn validate(&self) -> Result<(), HazardError> {
        match *self {
            Hazard::Constant { mean_interval } => check_interval("mean_interval", mean_interval),
            Hazard::Weibull { shape, scale } => {
                check_shape(shape)?;
                check_interval("scale", scale)
            }
            Hazard::TimeOfDay {
                mean_interval,
                ref hourly_weights,
            } => {
                check_interval("mean_interval", mean_interval)?;
                for (hour, &value) in (0u8..).zip(hourly_weights) {
                    if !value.is_finite() || value < 0.0 {
                        return Err(HazardError::BadWeight { hour, value });
                    }
                }
                let total: f64 = hourly_weights.iter().sum();
                if total == 0.0 {
                    return Err(HazardError::AllWeightsZero);
                }
                if !total.is_finite() {
                    return Err(HazardError::NotFinite {
                        field: "hourly_weights (their sum)",
                        value: total,
                    });
                }
                Ok(())
            }
            Hazard::LoadCoupled {
                base_rate_per_day,
                rate_per_unit_load_per_day,
            } => {
                check_rate("base_rate_per_day", base_rate_per_day)?;
                check_rate("rate_per_unit_load_per_day", rate_per_unit_load_per_day)?;
                if base_rate_per_day == 0.0 && rate_per_unit_load_per_day == 0.0 {
                    return Err(HazardError::NeverFires(
                        "`base_rate_per_day` and `rate_per_unit_load_per_day` are both zero",
                    ));
                }
                Ok(())
            }
            Hazard::HeapLeak {
                base_growth_per_hour,
                growth_per_unit_load_hour,
                limit,
            } => {
                check_amount("base_growth_per_hour", base_growth_per_hour)?;
                check_amount("growth_per_unit_load_hour", growth_per_unit_load_hour)?;
                check_amount("limit", limit)?;
                if limit == 0.0 {
                    return Err(HazardError::Zero { field: "limit" });
                }
                if base_growth_per_hour == 0.0 && growth_per_unit_load_hour == 0.0 {
                    return Err(HazardError::NeverFires(
                        "`base_growth_per_hour` and `growth_per_unit_load_hour` are both zero",
                    ));
                }
                if base_growth_per_hour > 0.0 {
                    let fill = SimDuration::from_secs_f64(3_600.0 * limit / base_growth_per_hour);
                    if fill < limits::MIN_INTERVAL {
                        return Err(HazardError::TooShort {
                            field: "limit / base_growth_per_hour",
                            value: fill,
                            min: limits::MIN_INTERVAL,
                        });
                    }
                }
                Ok(())
            }
        }
    }
}

fn check_interval(field: &'static str, value: SimDuration) -> Result<(), HazardError> {
    if value.is_zero() {
        Err(HazardError::Zero { field })
    } else if value < limits::MIN_INTERVAL {
        Err(HazardError::TooShort {
            field,
            value,
            min: limits::MIN_INTERVAL,
        })
    } else if value > limits::MAX_INTERVAL {
        Err(HazardError::TooLong {
            field,
            value,
            max: limits::MAX_INTERVAL,
        })
    } else {
        Ok(())
    }
}

fn check_shape(shape: f64) -> Result<(), HazardError> {
    if !shape.is_finite() {
        return Err(HazardError::NotFinite {
            field: "shape",
            value: shape,
        });
    }
    if !limits::SHAPE.contains(&shape) {
        return Err(HazardError::ShapeOutOfRange(shape));
    }
    Ok(())
}

/// A finite, non-negative number.
fn check_amount(field: &'static str, value: f64) -> Result<(), HazardError> {
    if !value.is_finite() {
        Err(HazardError::NotFinite { field, value })
    } else if value < 0.0 {
        Err(HazardError::Negative { field, value })
    } else {
        Ok(())
    }
}

/// A finite, non-negative rate per day, at most [`limits::MAX_RATE_PER_DAY`].
fn check_rate(field: &'static str, value: f64) -> Result<(), HazardError> {
    check_amount(field, value)?;
    if value > limits::MAX_RATE_PER_DAY {
        return Err(HazardError::RateTooHigh {
            field,
            value,
            max: limits::MAX_RATE_PER_DAY,
        });
    }
    Ok(())
}

/// NaN and negative loads count as zero, huge ones as [`limits::MAX_LOAD`].
fn clamp_load(load: f64) -> f64 {
    if load > 0.0 {
        load.min(limits::MAX_LOAD)
    } else {
        0.0
    }
}

/// One hazard running over simulated time: when it fires next, given boots, load and its draws.
#[derive(Clone, Debug)]
pub struct HazardProcess {
    hazard: Hazard,
    rng: SimRng,
    calendar: Calendar,
    /// What is left to accumulate from `as_of` until the firing: unit hazard, or heap headroom.
    remaining: f64,
    /// The instant `remaining` is reckoned from (for Weibull: the last boot or firing).
    as_of: SimTime,
    load: f64,
    next: Option<SimTime>,
    generation: u64,
}

impl HazardProcess {
    /// Starts a process at `now` with zero load (and, for ageing models, a device that just booted).
    ///
    /// `rng` is the process's own stream; `calendar` dates instants for the time-of-day model.
    pub fn new(
        hazard: Hazard,
        rng: SimRng,
        calendar: Calendar,
        now: SimTime,
    ) -> Result<HazardProcess, HazardError> {
        hazard.validate()?;
        let mut process = HazardProcess {
            hazard,
            rng,
            calendar,
            remaining: 0.0,
            as_of: now,
            load: 0.0,
            next: None,
            generation: 0,
        };
        process.remaining = process.fresh_threshold();
        process.next = process.crossing();
        Ok(process)
    }

    /// The hypothesis this process runs.
    pub fn hazard(&self) -> &Hazard {
        &self.hazard
    }

    /// The load last reported (after clamping).
    pub fn load(&self) -> f64 {
        self.load
    }

    /// When the process fires next, `None` for never (at the current load).
    ///
    /// The answer changes only through `restart`, `set_load` and `fired`, and then `generation` moves.
    pub fn next_firing(&self) -> Option<SimTime> {
        self.next
    }

    /// A counter that moves whenever the pending firing moves: a scheduled event with an older one is stale.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The heap level at `now` for the heap-leak model (`None` for the others).
    pub fn heap(&self, now: SimTime) -> Option<f64> {
        match self.hazard {
            Hazard::HeapLeak { limit, .. } => {
                let grown = self.rate_per_second() * now.since(self.as_of).as_secs_f64();
                Some((limit - self.remaining + grown).min(limit))
            }
            _ => None,
        }
    }

    /// The device booted at `now`: ageing models start again (the heap empties, uptime is zero).
    ///
    /// Memoryless models ignore it. Never draws: a Weibull process carries its
    /// unused unit hazard over, which (given that it has not fired) is again a
    /// unit exponential, independent of the past.
    pub fn restart(&mut self, now: SimTime) {
        let now = now.max(self.as_of);
        match self.hazard {
            Hazard::Constant { .. } | Hazard::TimeOfDay { .. } | Hazard::LoadCoupled { .. } => return,
            Hazard::Weibull { shape, scale } => {
                let uptime = now.since(self.as_of).as_secs_f64() / scale.as_secs_f64();
                self.remaining = (self.remaining - libm::pow(uptime, shape)).max(0.0);
            }
            Hazard::HeapLeak { limit, .. } => self.remaining = limit,
        }
        self.as_of = now;
        self.update_next();
    }

    /// The load (NAPT sessions, traffic) is `load` from `now` on; only load-coupled models care.
    ///
    /// NaN and negative loads count as zero; a `now` before the previous call's counts as that call's.
    pub fn set_load(&mut self, now: SimTime, load: f64) {
        let now = now.max(self.as_of);
        let load = clamp_load(load);
        if !self.hazard.uses_load() || load == self.load {
            self.load = load;
            return;
        }
        let elapsed = now.since(self.as_of).as_secs_f64();
        self.remaining = (self.remaining - self.rate_per_second() * elapsed).max(0.0);
        self.as_of = now;
        self.load = load;
        self.update_next();
    }

    /// The fault happened at `now`: draw the next threshold (ageing models also start again from `now`).
    pub fn fired(&mut self, now: SimTime) {
        self.remaining = self.fresh_threshold();
        self.as_of = now;
        self.next = self.crossing();
        self.generation += 1;
    }

    fn update_next(&mut self) {
        let next = self.crossing();
        if next != self.next {
            self.next = next;
            self.generation += 1;
        }
    }

    /// A unit exponential for the random models, the heap limit for the heap leak.
    fn fresh_threshold(&mut self) -> f64 {
        match self.hazard {
            Hazard::HeapLeak { limit, .. } => limit,
            _ => crate::rng::unit_exponential(&mut self.rng),
        }
    }

    /// Accumulation per second at the current load (load-driven models only).
    fn rate_per_second(&self) -> f64 {
        match self.hazard {
            Hazard::LoadCoupled {
                base_rate_per_day,
                rate_per_unit_load_per_day,
            } => (base_rate_per_day + rate_per_unit_load_per_day * self.load) / 86_400.0,
            Hazard::HeapLeak {
                base_growth_per_hour,
                growth_per_unit_load_hour,
                ..
            } => (base_growth_per_hour + growth_per_unit_load_hour * self.load) / 3_600.0,
            _ => 0.0,
        }
    }

    /// When the accumulation from `as_of` reaches `remaining`, given the state now.
    fn crossing(&self) -> Option<SimTime> {
        match self.hazard {
            Hazard::Constant { mean_interval } => {
                after(self.as_of, self.remaining * mean_interval.as_secs_f64())
            }
            Hazard::Weibull { shape, scale } => after(
                self.as_of,
                scale.as_secs_f64() * libm::pow(self.remaining, 1.0 / shape),
            ),
            Hazard::TimeOfDay {
                mean_interval,
                ref hourly_weights,
            } => self.time_of_day_crossing(mean_interval, hourly_weights),
            Hazard::LoadCoupled { .. } | Hazard::HeapLeak { .. } => {
                let rate = self.rate_per_second();
                if rate > 0.0 {
                    after(self.as_of, self.remaining / rate)
                } else {
                    None
                }
            }
        }
    }

    /// Walks the hour pieces of the piecewise-constant hazard from `as_of` until `remaining` is used up.
    ///
    /// Whole days are skipped at once (a day holds 24 h / mean of hazard,
    /// wherever it starts), so the walk is at most about two days of pieces.
    fn time_of_day_crossing(&self, mean_interval: SimDuration, weights: &[f64; 24]) -> Option<SimTime> {
        let total_weight: f64 = weights.iter().sum();
        // Hazard accumulated over one whole hour of weight 1.
        let per_weight_hour = 24.0 * NANOS_PER_HOUR as f64 / mean_interval.as_nanos() as f64 / total_weight;
        let per_day: f64 = weights.iter().map(|w| w * per_weight_hour).sum();
        let day_offset = (self.calendar.start_unix_seconds().rem_euclid(86_400) as u128) * 1_000_000_000;

        let mut t = self.as_of.as_nanos() as u128;
        let mut left = self.remaining;
        let days = libm::floor(left / per_day);
        if days >= 1.0 {
            t += days as u128 * NANOS_PER_DAY as u128;
            left = (left - days * per_day).max(0.0);
        }
        // After the skip less than a day's hazard is left (give or take rounding): 72 pieces are plenty.
        for _ in 0..72 {
            if t > u64::MAX as u128 {
                return None;
            }
            let phase = (day_offset + t) % NANOS_PER_DAY as u128;
            let hour = (phase / NANOS_PER_HOUR as u128) as usize;
            let piece = NANOS_PER_HOUR as u128 - phase % NANOS_PER_HOUR as u128;
            let hazard_per_nano = weights[hour] * per_weight_hour / NANOS_PER_HOUR as f64;
            let piece_hazard = hazard_per_nano * piece as f64;
            if left < piece_hazard {
                // Strictly inside the piece, so a firing never lands in an hour of weight zero.
                let into = (libm::round(left / hazard_per_nano) as u128).min(piece - 1);
                return u64::try_from(t + into).ok().map(SimTime::from_nanos);
            }
            left -= piece_hazard;
            t += piece;
        }
        u64::try_from(t).ok().map(SimTime::from_nanos)
    }
}

/// `t` plus `secs` seconds, rounded to the nanosecond; `None` past the end of simulated time.
fn after(t: SimTime, secs: f64) -> Option<SimTime> {
    let nanos = libm::round(secs * 1e9);
    if nanos.is_nan() || nanos >= u64::MAX as f64 {
        return None;
    }
    t.as_nanos()
        .checked_add(nanos.max(0.0) as u64)
        .map(SimTime::from_nanos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{StreamId, Streams};
    use crate::stats::{self, Z_999};
    use crate::time::CivilDateTime;

    const DRAWS: usize = 20_000;

    fn rng(seed: u64) -> SimRng {
        Streams::new(seed).rng(StreamId::named("fault/hazard"))
    }

    /// A start that is not on an hour boundary, to exercise the calendar arithmetic.
    fn calendar() -> Calendar {
        Calendar::new(CivilDateTime::new(2021, 4, 19, 13, 27, 45).expect("valid"))
    }

    fn process(hazard: Hazard, seed: u64) -> HazardProcess {
        HazardProcess::new(hazard, rng(seed), calendar(), SimTime::ZERO).expect("valid hazard")
    }

    fn days(d: f64) -> SimDuration {
        SimDuration::from_secs_f64(d * 86_400.0)
    }

    fn hours(h: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_hours(h)
    }

    /// `n` firings of a process that nothing but its own firings disturbs.
    fn firings(process: &mut HazardProcess, n: usize) -> Vec<SimTime> {
        (0..n)
            .map(|_| {
                let at = process.next_firing().expect("fires");
                process.fired(at);
                at
            })
            .collect()
    }

    /// Intervals between successive firings (the first from time zero), in days.
    fn intervals_in_days(times: &[SimTime]) -> Vec<f64> {
        let mut last = SimTime::ZERO;
        times
            .iter()
            .map(|&t| {
                let gap = t.since(last).as_secs_f64() / 86_400.0;
                last = t;
                gap
            })
            .collect()
    }

    /// `n` evenly spread quantiles of a distribution (its "perfect sample"), for a KS comparison.
    fn quantiles(n: usize, inverse_cdf: impl Fn(f64) -> f64) -> Vec<f64> {
        (0..n).map(|i| inverse_cdf((i as f64 + 0.5) / n as f64)).collect()
    }

    fn assert_mean_near(sample: &[f64], expected: f64, rel: f64) {
        let mean = stats::mean(sample).expect("non-empty sample");
        assert!(
            (mean - expected).abs() <= rel * expected,
            "mean {mean}, expected {expected} ± {rel}"
        );
    }

    #[test]
    fn constant_hazard_gives_exponential_intervals_with_the_mean() {
        let hazard = Hazard::Constant {
            mean_interval: SimDuration::from_days(3),
        };
        let gaps = intervals_in_days(&firings(&mut process(hazard, 1), DRAWS));
        // Standard error 3/√20000 = 0.021 d (0.7 %): 3 % is over four of them.
        assert_mean_near(&gaps, 3.0, 0.03);
        let exponential = quantiles(DRAWS, |p| -3.0 * libm::log1p(-p));
        let fit = stats::ks_two_sample(&gaps, &exponential).expect("samples");
        assert!(fit.p_value > 0.01, "{fit:?}");
        // The same mean but no spread (a fixed 3-day timer) is told apart at once.
        let fixed = stats::ks_two_sample(&gaps, &[3.0; 100]).expect("samples");
        assert!(fixed.p_value < 1e-6, "{fixed:?}");
    }

    #[test]
    fn weibull_scale_from_the_mean_uses_gamma() {
        // Γ(3/2) = √π / 2.
        let gamma = libm::tgamma(1.5);
        assert!(
            (gamma - libm::sqrt(core::f64::consts::PI) / 2.0).abs() < 1e-15,
            "{gamma}"
        );
        let mean = SimDuration::from_days(3);
        let Ok(Hazard::Weibull { scale, shape }) = Hazard::weibull_with_mean(mean, 2.0) else {
            panic!("a valid Weibull");
        };
        assert_eq!(shape, 2.0);
        assert!((scale.as_secs_f64() - 3.0 * 86_400.0 / gamma).abs() < 1e-6);
        // Shape 1 is the exponential: the scale is the mean.
        let exponential = Hazard::weibull_with_mean(mean, 1.0);
        assert_eq!(
            exponential,
            Ok(Hazard::Weibull {
                shape: 1.0,
                scale: mean
            })
        );
        assert_eq!(exponential.ok().and_then(|h| h.mean_interval(0.0)), Some(mean));
        assert_eq!(
            Hazard::weibull_with_mean(mean, 0.0),
            Err(HazardError::ShapeOutOfRange(0.0))
        );
    }

    #[test]
    fn weibull_intervals_follow_the_weibull_distribution() {
        let (shape, scale) = (2.0, 3.0 / libm::tgamma(1.5));
        let hazard = Hazard::weibull_with_mean(SimDuration::from_days(3), shape).expect("valid");
        assert_eq!(hazard.clock(), Clock::SinceBoot);
        let gaps = intervals_in_days(&firings(&mut process(hazard, 2), DRAWS));
        assert_mean_near(&gaps, 3.0, 0.03);
        let weibull = quantiles(DRAWS, |p| scale * libm::pow(-libm::log1p(-p), 1.0 / shape));
        let fit = stats::ks_two_sample(&gaps, &weibull).expect("samples");
        assert!(fit.p_value > 0.01, "{fit:?}");
        // An exponential of the same mean (the constant-hazard hypothesis) is rejected.
        let exponential = quantiles(DRAWS, |p| -3.0 * libm::log1p(-p));
        let other = stats::ks_two_sample(&gaps, &exponential).expect("samples");
        assert!(other.p_value < 1e-12, "{other:?}");
    }

    #[test]
    fn weibull_restart_starts_ageing_again_from_the_boot() {
        // Wear-out (k = 3): after surviving 2 days, a unit that kept its age would
        // fail within about a day; a restart gives it a whole new Weibull life.
        let (shape, scale) = (3.0, 4.0);
        let hazard = Hazard::Weibull {
            shape,
            scale: SimDuration::from_days(4),
        };
        let mut p = process(hazard, 3);
        let mut origin = SimTime::ZERO;
        let mut after_restart = Vec::new();
        while after_restart.len() < DRAWS {
            let next = p.next_firing().expect("fires");
            let reboot = origin + SimDuration::from_days(2);
            let at = if next > reboot {
                let generation = p.generation();
                p.restart(reboot);
                assert_ne!(p.generation(), generation, "a restart moves an ageing process");
                let at = p.next_firing().expect("fires");
                after_restart.push(at.since(reboot).as_secs_f64() / 86_400.0);
                at
            } else {
                next
            };
            p.fired(at);
            origin = at;
        }
        assert_mean_near(&after_restart, scale * libm::tgamma(1.0 + 1.0 / shape), 0.03);
        let weibull = quantiles(DRAWS, |q| scale * libm::pow(-libm::log1p(-q), 1.0 / shape));
        let fit = stats::ks_two_sample(&after_restart, &weibull).expect("samples");
        assert!(fit.p_value > 0.01, "{fit:?}");
    }

    #[test]
    fn restarts_and_load_changes_never_draw() {
        // Two processes on one seed: one is restarted and loaded between firings.
        // Each interval after a firing comes from that firing's draw alone, so
        // the two see the same intervals if and only if the draws line up.
        for hazard in [
            Hazard::Weibull {
                shape: 1.5,
                scale: SimDuration::from_days(3),
            },
            Hazard::Constant {
                mean_interval: SimDuration::from_days(3),
            },
        ] {
            let (mut quiet, mut busy) = (process(hazard.clone(), 4), process(hazard, 4));
            for _ in 0..200 {
                let at = quiet.next_firing().expect("fires");
                quiet.fired(at);
                let start = busy.next_firing().expect("fires");
                busy.restart(start + SimDuration::from_nanos(1));
                busy.set_load(start + SimDuration::from_nanos(1), 123.0);
                let at_busy = busy.next_firing().expect("fires");
                busy.fired(at_busy);
                let gap = |p: &HazardProcess, from: SimTime| p.next_firing().map(|t| t.since(from));
                assert_eq!(gap(&quiet, at), gap(&busy, at_busy));
            }
        }
    }

    #[test]
    fn memoryless_hazards_ignore_boots_and_load() {
        let mut weights = [1.0; 24];
        weights[3] = 5.0;
        for hazard in [
            Hazard::Constant {
                mean_interval: SimDuration::from_days(3),
            },
            Hazard::TimeOfDay {
                mean_interval: SimDuration::from_days(3),
                hourly_weights: weights,
            },
        ] {
            assert_eq!(hazard.clock(), Clock::SinceRunStart);
            assert!(!hazard.uses_load());
            let mut p = process(hazard, 5);
            let (next, generation) = (p.next_firing(), p.generation());
            p.restart(hours(1));
            p.set_load(hours(2), 4000.0);
            p.restart(hours(3));
            assert_eq!((p.next_firing(), p.generation()), (next, generation));
        }
    }

    #[test]
    fn time_of_day_firings_follow_the_hourly_weights() {
        // Heavier at night (01-05), lighter in the afternoon: a non-uniform hypothesis.
        let mut weights = [1.0; 24];
        weights[1..6].fill(4.0);
        weights[12..18].fill(0.5);
        let hazard = Hazard::TimeOfDay {
            mean_interval: SimDuration::from_days(3),
            hourly_weights: weights,
        };
        let times = firings(&mut process(hazard, 6), DRAWS);
        assert_mean_near(&intervals_in_days(&times), 3.0, 0.03);
        let histogram = stats::hour_of_day_histogram(&calendar(), &times);
        let fit = stats::chi_square_goodness_of_fit(&histogram, &weights).expect("histogram");
        assert!(fit.p_value > 0.01, "{fit:?} {histogram:?}");
        let uniform = stats::chi_square_goodness_of_fit(&histogram, &[1.0; 24]).expect("histogram");
        assert!(uniform.p_value < 1e-12, "{uniform:?}");
    }

    #[test]
    fn a_single_weighted_hour_fires_only_in_that_hour() {
        // Every reboot at 3 a.m. (a nightly job, say), still every 3 days on average.
        let mut weights = [0.0; 24];
        weights[3] = 1.0;
        let hazard = Hazard::TimeOfDay {
            mean_interval: SimDuration::from_days(3),
            hourly_weights: weights,
        };
        let times = firings(&mut process(hazard, 7), DRAWS);
        assert!(times.iter().all(|&t| calendar().hour_of_day(t) == 3));
        assert_mean_near(&intervals_in_days(&times), 3.0, 0.03);
        // Successive firings can share one 3 a.m. hour: the hazard there is 1/3 per hour.
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn load_coupled_mean_interval_is_the_inverse_rate() {
        let hazard = Hazard::LoadCoupled {
            base_rate_per_day: 0.1,
            rate_per_unit_load_per_day: 0.001,
        };
        // 0.1 + 0.001 × 400 = 0.5 per day.
        assert_eq!(hazard.mean_interval(400.0), Some(SimDuration::from_days(2)));
        assert_eq!(hazard.mean_interval(0.0), Some(SimDuration::from_days(10)));
        let mut p = process(hazard, 8);
        p.set_load(SimTime::ZERO, 400.0);
        let gaps = intervals_in_days(&firings(&mut p, DRAWS));
        assert_mean_near(&gaps, 2.0, 0.03);
    }

    #[test]
    fn load_changes_reshape_the_pending_firing_exactly() {
        let hazard = Hazard::LoadCoupled {
            base_rate_per_day: 0.0,
            rate_per_unit_load_per_day: 1.0,
        };
        assert!(hazard.uses_load());
        let mut p = process(hazard, 9);
        assert_eq!((p.next_firing(), p.generation()), (None, 0), "no load, no hazard");
        p.set_load(hours(1), 1.0);
        assert_eq!(p.generation(), 1);
        let first = p.next_firing().expect("fires under load");
        let threshold_days = first.since(hours(1)).as_secs_f64() / 86_400.0;
        // Halfway there the load doubles: the other half of the hazard takes half the time.
        let halfway = hours(1) + days(threshold_days / 2.0);
        p.set_load(halfway, 2.0);
        let expected = hours(1) + days(threshold_days * 0.75);
        let moved = p.next_firing().expect("fires");
        assert!(
            moved.as_nanos().abs_diff(expected.as_nanos()) <= 2,
            "{moved} vs {expected}"
        );
        assert_eq!(p.generation(), 2);
        // The same load again changes nothing and costs the simulation no re-ask.
        p.set_load(halfway + SimDuration::from_mins(5), 2.0);
        assert_eq!((p.next_firing(), p.generation()), (Some(moved), 2));
        // Load gone: never, until it comes back.
        p.set_load(halfway + SimDuration::from_mins(10), 0.0);
        assert_eq!((p.next_firing(), p.generation()), (None, 3));
        p.set_load(halfway + SimDuration::from_mins(10), f64::NAN);
        assert_eq!((p.load(), p.generation()), (0.0, 3), "NaN counts as no load");
    }

    #[test]
    fn load_coupled_firings_crowd_into_busy_hours() {
        // Load flips every 12 hours between idle (0) and busy (1000 sessions):
        // rates 0.2 and 0.8 per day, so 80 % of firings should be in busy halves,
        // one every 2 days overall.
        let hazard = Hazard::LoadCoupled {
            base_rate_per_day: 0.2,
            rate_per_unit_load_per_day: 0.0006,
        };
        let mut p = process(hazard, 10);
        let (mut now, mut busy, mut load_changes) = (SimTime::ZERO, false, 0u64);
        let (mut fired, mut fired_busy, mut reasks) = (0u64, 0u64, 0u64);
        let mut generation = p.generation();
        let mut flip = hours(12);
        while fired < DRAWS as u64 {
            match p.next_firing() {
                Some(at) if at < flip => {
                    p.fired(at);
                    fired += 1;
                    fired_busy += u64::from(busy);
                    now = at;
                }
                _ => {
                    busy = !busy;
                    p.set_load(flip, if busy { 1000.0 } else { 0.0 });
                    load_changes += 1;
                    now = flip;
                    flip = flip + SimDuration::from_hours(12);
                }
            }
            if p.generation() != generation {
                reasks += 1;
                generation = p.generation();
            }
        }
        let share = stats::wilson_interval(fired_busy, fired, Z_999).expect("counts");
        assert!(share.contains(0.8), "{fired_busy}/{fired}: {share:?}");
        let mean_days = now.since_start().as_secs_f64() / 86_400.0 / fired as f64;
        assert!((mean_days - 2.0).abs() < 0.06, "{mean_days}");
        // One re-ask per load change or firing, however long the run.
        assert!(
            reasks <= load_changes + fired,
            "{reasks} > {load_changes} + {fired}"
        );
    }

    #[test]
    fn heap_leak_fills_at_its_growth_rate_and_empties_at_each_boot() {
        // 1 MB/h of its own plus 0.01 MB per session-hour, limit 600 MB.
        let hazard = Hazard::HeapLeak {
            base_growth_per_hour: 1.0,
            growth_per_unit_load_hour: 0.01,
            limit: 600.0,
        };
        assert_eq!(hazard.clock(), Clock::SinceBoot);
        assert_eq!(hazard.mean_interval(400.0), Some(SimDuration::from_hours(120)));
        let mut p = process(hazard.clone(), 11);
        assert_eq!(p.next_firing(), Some(hours(600)), "idle: 600 MB at 1 MB/h");
        p.set_load(SimTime::ZERO, 400.0);
        assert_eq!(p.next_firing(), Some(hours(120)), "400 sessions: 5 MB/h");
        assert_eq!(p.heap(hours(60)), Some(300.0));
        p.restart(hours(60));
        assert_eq!(p.heap(hours(60)), Some(0.0));
        assert_eq!(p.next_firing(), Some(hours(180)), "a boot empties the heap");
        p.set_load(hours(120), 900.0);
        assert_eq!(p.heap(hours(120)), Some(300.0));
        assert_eq!(p.next_firing(), Some(hours(150)), "300 MB left at 10 MB/h");
        let generation = p.generation();
        p.fired(hours(150));
        assert_eq!(p.generation(), generation + 1);
        assert_eq!(
            p.next_firing(),
            Some(hours(210)),
            "the crash empties it too: 600 MB at 10 MB/h"
        );
        // No randomness: another seed gives the same times.
        let mut other = process(hazard, 12);
        other.set_load(SimTime::ZERO, 400.0);
        assert_eq!(firings(&mut other, 3), [hours(120), hours(240), hours(360)]);
    }

    #[test]
    fn same_seed_same_firings_and_another_seed_others() {
        let mut weights = [1.0; 24];
        weights[2] = 3.0;
        let hazards = [
            Hazard::Constant {
                mean_interval: SimDuration::from_days(3),
            },
            Hazard::Weibull {
                shape: 2.5,
                scale: SimDuration::from_days(3),
            },
            Hazard::TimeOfDay {
                mean_interval: SimDuration::from_days(3),
                hourly_weights: weights,
            },
            Hazard::LoadCoupled {
                base_rate_per_day: 0.2,
                rate_per_unit_load_per_day: 0.001,
            },
        ];
        // A call sequence with boots and load changes between the firings.
        let run = |hazard: &Hazard, seed: u64| -> Vec<SimTime> {
            let mut p = process(hazard.clone(), seed);
            let mut times = Vec::new();
            for i in 0..50u64 {
                let at = p.next_firing().expect("fires");
                let midway = SimTime::from_nanos(
                    at.as_nanos() / 2 + times.last().map_or(0, |t: &SimTime| t.as_nanos() / 2),
                );
                p.set_load(midway, (i % 7) as f64 * 100.0);
                if i % 3 == 0 {
                    p.restart(midway);
                }
                let at = p.next_firing().expect("fires");
                p.fired(at);
                times.push(at);
            }
            times
        };
        for hazard in &hazards {
            let first = run(hazard, 42);
            assert_eq!(run(hazard, 42), first, "{}", hazard.name());
            assert_ne!(run(hazard, 43), first, "{}", hazard.name());
        }
    }

    #[test]
    fn validation_explains_what_is_wrong() {
        let tod = |weights: [f64; 24]| Hazard::TimeOfDay {
            mean_interval: SimDuration::from_days(3),
            hourly_weights: weights,
        };
        let load = |base: f64, per_unit: f64| Hazard::LoadCoupled {
            base_rate_per_day: base,
            rate_per_unit_load_per_day: per_unit,
        };
        let heap = |base: f64, per_unit: f64, limit: f64| Hazard::HeapLeak {
            base_growth_per_hour: base,
            growth_per_unit_load_hour: per_unit,
            limit,
        };
        let mut negative = [1.0; 24];
        negative[5] = -1.0;
        let mut not_a_number = [1.0; 24];
        not_a_number[23] = f64::NAN;
        let cases = [
            (
                Hazard::Constant {
                    mean_interval: SimDuration::ZERO,
                },
                HazardError::Zero {
                    field: "mean_interval",
                },
            ),
            (
                Hazard::Constant {
                    mean_interval: SimDuration::from_secs(5),
                },
                HazardError::TooShort {
                    field: "mean_interval",
                    value: SimDuration::from_secs(5),
                    min: limits::MIN_INTERVAL,
                },
            ),
            (
                Hazard::Constant {
                    mean_interval: SimDuration::from_days(40_000),
                },
                HazardError::TooLong {
                    field: "mean_interval",
                    value: SimDuration::from_days(40_000),
                    max: limits::MAX_INTERVAL,
                },
            ),
            (
                Hazard::Weibull {
                    shape: f64::NAN,
                    scale: SimDuration::from_days(3),
                },
                HazardError::NotFinite {
                    field: "shape",
                    value: f64::NAN,
                },
            ),
            (
                Hazard::Weibull {
                    shape: 60.0,
                    scale: SimDuration::from_days(3),
                },
                HazardError::ShapeOutOfRange(60.0),
            ),
            (
                Hazard::Weibull {
                    shape: 2.0,
                    scale: SimDuration::ZERO,
                },
                HazardError::Zero { field: "scale" },
            ),
            (tod(negative), HazardError::BadWeight { hour: 5, value: -1.0 }),
            (tod([0.0; 24]), HazardError::AllWeightsZero),
            (
                tod([1e308; 24]),
                HazardError::NotFinite {
                    field: "hourly_weights (their sum)",
                    value: f64::INFINITY,
                },
            ),
            (
                load(-0.5, 0.0),
                HazardError::Negative {
                    field: "base_rate_per_day",
                    value: -0.5,
                },
            ),
            (
                load(0.1, 5000.0),
                HazardError::RateTooHigh {
                    field: "rate_per_unit_load_per_day",
                    value: 5000.0,
                    max: limits::MAX_RATE_PER_DAY,
                },
            ),
            (
                load(0.0, 0.0),
                HazardError::NeverFires("`base_rate_per_day` and `rate_per_unit_load_per_day` are both zero"),
            ),
            (heap(1.0, 0.01, 0.0), HazardError::Zero { field: "limit" }),
            (
                heap(1.0, f64::INFINITY, 600.0),
                HazardError::NotFinite {
                    field: "growth_per_unit_load_hour",
                    value: f64::INFINITY,
                },
            ),
            (
                heap(0.0, 0.0, 600.0),
                HazardError::NeverFires(
                    "`base_growth_per_hour` and `growth_per_unit_load_hour` are both zero",
                ),
            ),
            (
                heap(100_000.0, 0.0, 600.0),
                HazardError::TooShort {
                    field: "limit / base_growth_per_hour",
                    value: SimDuration::from_secs_f64(21.6),
                    min: limits::MIN_INTERVAL,
                },
            ),
        ];
        for (hazard, expected) in cases {
            let got = hazard.validate();
            // NaN never equals itself: compare NaN cases by their message.
            assert_eq!(
                got.clone().map_err(|e| e.to_string()),
                Err(expected.to_string()),
                "{hazard:?}"
            );
            assert_eq!(
                HazardProcess::new(hazard, rng(1), calendar(), SimTime::ZERO)
                    .err()
                    .map(|e| e.to_string()),
                Some(expected.to_string())
            );
        }
        // NaN in the weights is reported with its hour.
        assert_eq!(
            tod(not_a_number).validate().map_err(|e| e.to_string()),
            Err(
                "`hourly_weights[24]` (the hour from 23:00) = NaN: weights must be finite and not negative"
                    .to_string()
            )
        );
        assert_eq!(
            HazardError::TooShort {
                field: "mean_interval",
                value: SimDuration::from_secs(5),
                min: limits::MIN_INTERVAL,
            }
            .to_string(),
            "`mean_interval` gives 5s, shorter than 1m: the run would do little but fail"
        );
    }

    #[test]
    fn a_firing_beyond_the_end_of_time_is_never() {
        // A century-scale Weibull with a low shape can draw past u64 nanoseconds (584 years).
        let hazard = Hazard::Weibull {
            shape: 0.1,
            scale: limits::MAX_INTERVAL,
        };
        let mut p = process(hazard, 13);
        for _ in 0..100 {
            match p.next_firing() {
                Some(at) => p.fired(at),
                None => return,
            }
        }
        panic!("expected some draw to land beyond the end of simulated time");
    }
}
