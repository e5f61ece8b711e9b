//! Simulated time: nanoseconds since the scenario's start, and the calendar
//! that gives those instants real dates (hour of day matters: traffic is
//! diurnal and a reboot at 3 a.m. is evidence).
//!
//! Nothing here reads a clock. Durations print and parse with units
//! (`90s`, `5m`, `3d`, `1h30m`, `250ms`).

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Nanoseconds per unit, in the order durations are printed.
const UNITS: [(&str, u64); 7] = [
    ("d", 86_400_000_000_000),
    ("h", 3_600_000_000_000),
    ("m", 60_000_000_000),
    ("s", 1_000_000_000),
    ("ms", 1_000_000),
    ("us", 1_000),
    ("ns", 1),
];

/// A length of simulated time in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    pub const fn from_nanos(ns: u64) -> Self {
        SimDuration(ns)
    }
    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us.saturating_mul(1_000))
    }
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms.saturating_mul(1_000_000))
    }
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s.saturating_mul(1_000_000_000))
    }
    pub const fn from_mins(m: u64) -> Self {
        SimDuration(m.saturating_mul(60_000_000_000))
    }
    pub const fn from_hours(h: u64) -> Self {
        SimDuration(h.saturating_mul(3_600_000_000_000))
    }
    pub const fn from_days(d: u64) -> Self {
        SimDuration(d.saturating_mul(86_400_000_000_000))
    }
    /// From seconds as a float, rounded to the nanosecond; negative or NaN gives zero.
    pub fn from_secs_f64(s: f64) -> Self {
        if s.is_nan() || s <= 0.0 {
            SimDuration(0)
        } else {
            SimDuration(round_to_u64(s * 1e9))
        }
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    pub const fn as_micros(self) -> u64 {
        self.0 / 1_000
    }
    pub const fn as_millis(self) -> u64 {
        self.0 / 1_000_000
    }
    pub const fn as_secs(self) -> u64 {
        self.0 / 1_000_000_000
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
    pub const fn saturating_sub(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(other.0))
    }
    pub const fn saturating_mul(self, k: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(k))
    }

    /// Parses `90s`, `5m`, `3d`, `1h30m`, `250ms`, `1.5s`, `0s`. A bare number
    /// (other than `0`) is rejected: a unit is always required.
    pub fn parse(text: &str) -> Result<SimDuration, DurationParseError> {
        let s = text.trim();
        if s.is_empty() {
            return Err(DurationParseError::Empty);
        }
        if s.starts_with('-') {
            return Err(DurationParseError::Negative);
        }
        if s == "0" {
            return Ok(SimDuration::ZERO);
        }
        let bytes = s.as_bytes();
        let mut total: u128 = 0;
        let mut i = 0;
        while i < bytes.len() {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            let number = &s[start..i];
            if number.is_empty() {
                return Err(DurationParseError::Malformed);
            }
            let unit_start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            let unit = &s[unit_start..i];
            if unit.is_empty() {
                return Err(DurationParseError::MissingUnit);
            }
            let per = UNITS
                .iter()
                .find(|(u, _)| *u == unit)
                .map(|(_, n)| *n)
                .ok_or_else(|| DurationParseError::UnknownUnit(unit.to_string()))?;
            let ns = parse_scaled(number, per).ok_or(DurationParseError::Malformed)?;
            total = total.checked_add(ns).ok_or(DurationParseError::TooLarge)?;
            if total > u64::MAX as u128 {
                return Err(DurationParseError::TooLarge);
            }
        }
        Ok(SimDuration(total as u64))
    }
}

/// Below this every `f64` is a whole number.
const F64_INTEGERS_FROM: f64 = 4_503_599_627_370_496.0; // 2^52

/// `x.round() as u64` (halves away from zero, saturating; NaN and negatives give 0), with
/// integer steps only: x86-64's baseline has no rounding instruction, so `f64::round`
/// is a call into the C library, and this is on every exponential draw's path.
pub fn round_to_u64(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        return 0;
    }
    if x >= F64_INTEGERS_FROM {
        return x as u64;
    }
    // Below 2^52 the signed conversions are one instruction each (the unsigned ones are
    // several).
    let whole = x as i64;
    // Exact: both are below 2^52. The half is added without a branch: whether a random
    // draw's fraction is at least a half is a coin toss no predictor can learn.
    whole as u64 + u64::from(x - whole as f64 >= 0.5)
}

/// `x.ceil() as u64` (saturating; NaN and negatives give 0), with integer steps only.
pub fn ceil_to_u64(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        return 0;
    }
    if x >= F64_INTEGERS_FROM {
        return x as u64;
    }
    let whole = x as i64;
    whole as u64 + u64::from((whole as f64) < x)
}

/// `number` (decimal, at most one dot) times `per`, exactly, in nanoseconds.
fn parse_scaled(number: &str, per: u64) -> Option<u128> {
    let (int, frac) = match number.split_once('.') {
        Some((i, f)) => (i, f),
        None => (number, ""),
    };
    if frac.contains('.') || (int.is_empty() && frac.is_empty()) {
        return None;
    }
    let int_val: u128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut total = int_val.checked_mul(per as u128)?;
    let mut scale = per as u128;
    for digit in frac.bytes() {
        scale /= 10;
        total += (digit - b'0') as u128 * scale;
    }
    Some(total)
}

/// Why a duration did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationParseError {
    #[error("empty duration")]
    Empty,
    #[error("durations cannot be negative")]
    Negative,
    #[error("a number needs a unit (ns, us, ms, s, m, h, d), e.g. `90s`")]
    MissingUnit,
    #[error("unknown unit `{0}` (accepted: ns, us, ms, s, m, h, d)")]
    UnknownUnit(String),
    #[error("not a duration (expected e.g. `90s`, `5m`, `1h30m`, `3d`)")]
    Malformed,
    #[error("duration too large")]
    TooLarge,
}

impl fmt::Display for SimDuration {
    /// Compact and exact to the millisecond: `0s`, `250ms`, `2m14s`, `1d3h`, `2m14.302s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ns = self.0;
        if ns == 0 {
            return f.write_str("0s");
        }
        if ns < 1_000_000_000 {
            // Below a second: the largest unit that divides it, else ms with decimals.
            for (unit, per) in &UNITS[4..] {
                if ns.is_multiple_of(*per) {
                    return write!(f, "{}{unit}", ns / per);
                }
            }
        }
        let sub_second = ns % 1_000_000_000;
        ns -= sub_second;
        for (unit, per) in &UNITS[..4] {
            let n = ns / per;
            ns %= per;
            if *unit == "s" {
                if n > 0 || sub_second > 0 {
                    if sub_second == 0 {
                        write!(f, "{n}s")?;
                    } else {
                        let ms = sub_second as f64 / 1e6;
                        let frac = format!("{:.3}", ms / 1000.0);
                        let frac = frac.trim_start_matches('0').trim_end_matches('0');
                        let frac = frac.trim_end_matches('.');
                        write!(f, "{n}{frac}s")?;
                    }
                }
            } else if n > 0 {
                write!(f, "{n}{unit}")?;
            }
        }
        Ok(())
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(rhs.0))
    }
}
impl AddAssign for SimDuration {
    fn add_assign(&mut self, rhs: SimDuration) {
        self.0 = self.0.saturating_add(rhs.0);
    }
}
impl Sub for SimDuration {
    type Output = SimDuration;
    fn sub(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(rhs.0))
    }
}

/// An instant of simulated time: nanoseconds since the scenario's start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub const fn from_nanos(ns: u64) -> Self {
        SimTime(ns)
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Time elapsed since the scenario's start.
    pub const fn since_start(self) -> SimDuration {
        SimDuration(self.0)
    }
    /// `self - earlier`, zero if `earlier` is later.
    pub const fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl fmt::Display for SimTime {
    /// As the offset from the scenario's start, e.g. `+2m14s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", SimDuration(self.0))
    }
}

/// A local civil date and time (the HGW's clock shows local time, JST in Japan).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDateTime {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

impl CivilDateTime {
    /// Midnight of a date, if the date exists.
    pub fn date(year: i32, month: u8, day: u8) -> Option<CivilDateTime> {
        CivilDateTime::new(year, month, day, 0, 0, 0)
    }

    /// A checked constructor: `None` for dates or times that do not exist.
    pub fn new(year: i32, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<Self> {
        let valid = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60
            && second < 60;
        valid.then_some(CivilDateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        })
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DDTHH:MM[:SS]`.
    pub fn parse(text: &str) -> Option<CivilDateTime> {
        let s = text.trim();
        let (date, time) = match s.split_once(['T', ' ']) {
            Some((d, t)) => (d, Some(t.trim())),
            None => (s, None),
        };
        let mut d = date.split('-');
        let year: i32 = d.next()?.parse().ok()?;
        let month: u8 = d.next()?.parse().ok()?;
        let day: u8 = d.next()?.parse().ok()?;
        if d.next().is_some() || date.len() != 10 {
            return None;
        }
        let (hour, minute, second) = match time {
            None => (0, 0, 0),
            Some(t) => {
                let parts: Vec<&str> = t.split(':').collect();
                if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2) {
                    return None;
                }
                let h = parts[0].parse().ok()?;
                let m = parts[1].parse().ok()?;
                let sec = match parts.get(2) {
                    Some(p) => p.parse().ok()?,
                    None => 0,
                };
                (h, m, sec)
            }
        };
        CivilDateTime::new(year, month, day, hour, minute, second)
    }

    /// Seconds since 1970-01-01 00:00:00 of the same (local) clock.
    pub fn to_unix_seconds(self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * 86_400
            + self.hour as i64 * 3600
            + self.minute as i64 * 60
            + self.second as i64
    }

    /// The inverse of [`CivilDateTime::to_unix_seconds`].
    pub fn from_unix_seconds(secs: i64) -> CivilDateTime {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        CivilDateTime {
            year,
            month,
            day,
            hour: (rem / 3600) as u8,
            minute: (rem % 3600 / 60) as u8,
            second: (rem % 60) as u8,
        }
    }

    /// Day of week, 0 = Monday .. 6 = Sunday.
    pub fn weekday(self) -> u8 {
        // 1970-01-01 was a Thursday (3 with Monday = 0).
        (days_from_civil(self.year, self.month, self.day) + 3).rem_euclid(7) as u8
    }
}

impl fmt::Display for CivilDateTime {
    /// The HGW log's layout: `2021-07-18 19:21:11`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 (H. Hinnant's algorithm, proleptic Gregorian).
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year } as i64;
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

/// Maps simulated instants to the calendar, from the scenario's `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Calendar {
    start_unix: i64,
}

impl Calendar {
    pub fn new(start: CivilDateTime) -> Calendar {
        Calendar {
            start_unix: start.to_unix_seconds(),
        }
    }
    /// The local date and time of a simulated instant (seconds truncated).
    pub fn at(&self, t: SimTime) -> CivilDateTime {
        CivilDateTime::from_unix_seconds(self.start_unix + (t.as_nanos() / 1_000_000_000) as i64)
    }
    /// Hour of day (0..24) of a simulated instant.
    pub fn hour_of_day(&self, t: SimTime) -> u8 {
        self.at(t).hour
    }
    /// Nanoseconds from the Monday 00:00 before the start to the start: with it, the hour of
    /// the week of an instant is `(offset + t) % WEEK / HOUR`, with no date conversion.
    pub fn week_offset_nanos(&self) -> u64 {
        // 1970-01-01 was a Thursday: the Monday before it began three days earlier.
        let secs = (self.start_unix + 3 * 86_400).rem_euclid(7 * 86_400);
        secs as u64 * 1_000_000_000
    }
    /// Seconds since 1970 (of the local clock) at the scenario's start.
    pub fn start_unix_seconds(&self) -> i64 {
        self.start_unix
    }
    /// The simulated instant of a calendar moment, `None` if before the start.
    pub fn instant_of(&self, when: CivilDateTime) -> Option<SimTime> {
        let secs = when.to_unix_seconds() - self.start_unix;
        (secs >= 0).then(|| SimTime::from_nanos(secs as u64 * 1_000_000_000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(SimDuration::parse("90s"), Ok(SimDuration::from_secs(90)));
        assert_eq!(SimDuration::parse("5m"), Ok(SimDuration::from_mins(5)));
        assert_eq!(SimDuration::parse("3d"), Ok(SimDuration::from_days(3)));
        assert_eq!(SimDuration::parse("1h30m"), Ok(SimDuration::from_mins(90)));
        assert_eq!(SimDuration::parse("250ms"), Ok(SimDuration::from_millis(250)));
        assert_eq!(SimDuration::parse("1.5s"), Ok(SimDuration::from_millis(1500)));
        assert_eq!(SimDuration::parse("0"), Ok(SimDuration::ZERO));
    }

    #[test]
    fn durations_reject_what_is_not_one() {
        assert_eq!(SimDuration::parse("90"), Err(DurationParseError::MissingUnit));
        assert_eq!(SimDuration::parse("-5m"), Err(DurationParseError::Negative));
        assert_eq!(SimDuration::parse("m5"), Err(DurationParseError::Malformed));
        assert_eq!(
            SimDuration::parse("5y"),
            Err(DurationParseError::UnknownUnit("y".into()))
        );
        assert_eq!(SimDuration::parse(""), Err(DurationParseError::Empty));
        assert_eq!(SimDuration::parse("1.2.3s"), Err(DurationParseError::Malformed));
        assert_eq!(
            SimDuration::parse("99999999999d"),
            Err(DurationParseError::TooLarge)
        );
    }

    #[test]
    fn durations_print_compactly_and_round_trip() {
        for (text, ns) in [
            ("0s", 0),
            ("250ms", 250_000_000),
            ("2m14s", 134_000_000_000),
            ("1d3h", 97_200_000_000_000),
            ("2m14.302s", 134_302_000_000),
            ("1.5s", 1_500_000_000),
        ] {
            let d = SimDuration::from_nanos(ns);
            assert_eq!(d.to_string(), text);
            assert_eq!(SimDuration::parse(text), Ok(d));
        }
    }

    #[test]
    fn integer_rounding_matches_the_float_functions() {
        let mut x = 1e-9_f64;
        let mut cases = vec![
            0.0,
            -0.0,
            -1.5,
            0.5,
            1.5,
            2.5,
            0.49999999999999994,
            f64::NAN,
            1e300,
        ];
        cases.extend([
            F64_INTEGERS_FROM - 0.5,
            F64_INTEGERS_FROM,
            1.8e19,
            2e19,
            f64::INFINITY,
        ]);
        while x < 1e20 {
            cases.extend([x, x * 1.000_000_1, x + 0.5, (x * 3.0).floor() + 0.5]);
            x *= 1.37;
        }
        for x in cases {
            // `from_secs_f64` keeps NaN away from the float expression (its `min` would make it the maximum).
            if !x.is_nan() {
                assert_eq!(round_to_u64(x), x.round().min(u64::MAX as f64) as u64, "{x}");
            }
            assert_eq!(ceil_to_u64(x), x.ceil() as u64, "{x}");
        }
    }

    #[test]
    fn the_week_offset_gives_the_weekday_and_hour() {
        for start in [
            "2021-04-19 00:00:00",
            "2021-07-18 19:21:11",
            "1969-12-31 23:59:59",
            "0001-01-01",
        ] {
            let cal = Calendar::new(CivilDateTime::parse(start).expect("a date"));
            for hours in [0u64, 1, 5, 23, 24, 100, 167, 168, 1000, 26_000] {
                let t = SimTime::ZERO + SimDuration::from_hours(hours) + SimDuration::from_secs(1234);
                let at = cal.at(t);
                let hour_of_week =
                    (cal.week_offset_nanos() + t.as_nanos()) % (168 * 3_600_000_000_000) / 3_600_000_000_000;
                assert_eq!(
                    hour_of_week,
                    at.weekday() as u64 * 24 + at.hour as u64,
                    "{start} +{hours}h"
                );
            }
        }
    }

    #[test]
    fn calendar_round_trips_and_knows_leap_years() {
        let t = CivilDateTime::new(2021, 7, 18, 19, 21, 11).expect("valid");
        assert_eq!(CivilDateTime::from_unix_seconds(t.to_unix_seconds()), t);
        assert_eq!(
            CivilDateTime::date(2019, 1, 1).map(|d| d.to_unix_seconds()),
            Some(1_546_300_800)
        );
        assert!(CivilDateTime::date(2021, 2, 29).is_none());
        assert!(CivilDateTime::date(2024, 2, 29).is_some());
        let cal = Calendar::new(CivilDateTime::date(2021, 4, 19).expect("valid"));
        let later = cal.at(SimTime::ZERO + SimDuration::from_days(13) + SimDuration::from_hours(3));
        assert_eq!(later.to_string(), "2021-05-02 03:00:00");
        assert_eq!(CivilDateTime::parse("2021-07-18 19:21:11"), Some(t));
        assert_eq!(
            CivilDateTime::parse("2021-07-18T19:21"),
            CivilDateTime::new(2021, 7, 18, 19, 21, 0)
        );
        assert_eq!(CivilDateTime::parse("2021-13-01"), None);
        // 2021-07-18 was a Sunday.
        assert_eq!(t.weekday(), 6);
    }
}
