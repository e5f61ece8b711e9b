//! Chart geometry shared by the pages: calendar ticks for time axes, min/max decimation of
//! series into SVG paths, linear axes and the number formats of coordinates.
//!
//! Time charts put their data in a nested `<svg class="zoom">` whose x unit is the second
//! since the run's start (`viewBox="0 0 END H"`, stretched to the plot's pixels), so the
//! zoom script only changes the viewBox; lines keep their width with
//! `vector-effect: non-scaling-stroke`. The script (`zoom.js`) repeats [`time_ticks`] and
//! [`envelope`] for a zoomed window: change one, change the other.
//!
//! **Decimation** (the method the page states): a series is drawn as the band between the
//! lowest and the highest value in each pixel column (buckets of `k` consecutive values,
//! `k` = values per column, at least 1, aligned to multiples of `k`), so every peak and
//! trough survives at any zoom, and a 180-day run at 5-minute samples draws about 950
//! buckets instead of 51 840 points.

use std::fmt::Write;

use sim_core::time::{CivilDateTime, SimTime};

use crate::timeline::Series;

/// Width of a page's charts in SVG units (the CSS scales them to the column).
pub const WIDTH: f64 = 1120.0;
/// The left gutter of time charts (lane labels, y-axis labels).
pub const GUTTER: f64 = 150.0;
/// The plot's width in SVG units (one unit is about one pixel at full width).
pub const PLOT: f64 = 940.0;
/// At most this many time ticks on an axis.
const MAX_TICKS: f64 = 9.0;
/// Tick steps in seconds, then month starts.
const STEPS: [f64; 20] = [
    1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 10800.0,
    21600.0, 43200.0, 86400.0, 172800.0, 604800.0,
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// One tick of a time axis: seconds since the run's start and its label (a date line
/// under the time where the day changes).
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    pub t: f64,
    pub main: String,
    pub sub: Option<String>,
}

fn civil(start_unix: i64, t: f64) -> CivilDateTime {
    CivilDateTime::from_unix_seconds(start_unix + t.floor() as i64)
}

fn day_label(d: CivilDateTime) -> String {
    format!("{} {}", MONTHS[usize::from(d.month.clamp(1, 12) - 1)], d.day)
}

/// The ticks of a time axis over `[a, b]` seconds of a run starting at `start_unix` (the
/// calendar's local clock): the first step giving at most nine ticks, else month starts.
pub fn time_ticks(start_unix: i64, a: f64, b: f64) -> Vec<Tick> {
    let mut out = Vec::new();
    if let Some(&s) = STEPS.iter().find(|&&s| (b - a) / s <= MAX_TICKS) {
        // Weeks start on Mondays (1970-01-01 was a Thursday).
        let shift = if s == 604800.0 { 4.0 * 86400.0 } else { 0.0 };
        let start = start_unix as f64;
        let mut t = ((start + a - shift) / s).ceil() * s + shift - start;
        let mut prev: Option<String> = None;
        while t <= b {
            let d = civil(start_unix, t);
            let day = day_label(d);
            let tick = if s >= 86400.0 {
                Tick {
                    t,
                    main: day.clone(),
                    sub: None,
                }
            } else {
                let mut main = format!("{:02}:{:02}", d.hour, d.minute);
                if s < 60.0 {
                    let _ = write!(main, ":{:02}", d.second);
                }
                Tick {
                    t,
                    main,
                    sub: (prev.as_deref() != Some(day.as_str())).then(|| day.clone()),
                }
            };
            prev = Some(day);
            out.push(tick);
            t += s;
        }
        return out;
    }
    let k = [1, 2, 3, 6, 12]
        .into_iter()
        .find(|m| (b - a) / (f64::from(*m) * 30.44 * 86400.0) <= MAX_TICKS)
        .unwrap_or(12);
    let first = civil(start_unix, a);
    let (mut year, mut month0) = (first.year, i32::from(first.month) - 1);
    loop {
        if month0 > 11 {
            year += 1;
            month0 -= 12;
        }
        let Some(date) = CivilDateTime::date(year, (month0 + 1) as u8, 1) else {
            break;
        };
        let tm = (date.to_unix_seconds() - start_unix) as f64;
        if tm > b {
            break;
        }
        if tm >= a && month0 % k == 0 {
            out.push(Tick {
                t: tm,
                main: format!("{} {year}", MONTHS[month0 as usize]),
                sub: None,
            });
        }
        month0 += 1;
    }
    out
}

/// One decimation bucket: its x range (seconds) and the values' min, max and sum.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bucket {
    x0: i64,
    x1: i64,
    lo: u32,
    hi: u32,
    sum: u64,
}

/// The buckets of `s` over `[a, b]` for a plot `w` columns wide (see the module doc).
fn buckets(s: &Series, a: f64, b: f64, w: f64) -> Vec<Bucket> {
    let step = s.step.max(1) as f64;
    let k = (((b - a) / w / step).floor() as usize).max(1);
    let n = s.values.len();
    let mut i = (((a - s.first as f64) / step).floor().max(0.0)) as usize;
    i -= i % k;
    let last = (((b - s.first as f64) / step).ceil().max(0.0) as usize).min(n);
    let mut out = Vec::new();
    while i < last {
        let j = (i + k).min(n);
        let values = &s.values[i..j];
        out.push(Bucket {
            x0: s.first + (i as u64 * s.step) as i64,
            x1: s.first + (j as u64 * s.step) as i64,
            lo: values.iter().copied().min().unwrap_or(0),
            hi: values.iter().copied().max().unwrap_or(0),
            sum: values.iter().map(|v| u64::from(*v)).sum(),
        });
        i += k;
    }
    out
}

/// The min/max band of `s` over `[a, b]` as a closed SVG path: x in seconds, y in pixels of
/// a plot `h` high whose top is `ymax`.
pub fn envelope(s: &Series, a: f64, b: f64, w: f64, h: f64, ymax: f64) -> String {
    let bs = buckets(s, a, b, w);
    let (Some(first), Some(last)) = (bs.first(), bs.last()) else {
        return String::new();
    };
    let y = |v: u32| format!("{:.1}", h - f64::from(v) / ymax * h);
    let mut d = format!("M{},{}H{}", first.x0, y(first.hi), first.x1);
    for q in &bs[1..] {
        let _ = write!(d, "V{}H{}", y(q.hi), q.x1);
    }
    let _ = write!(d, "V{}H{}", y(last.lo), last.x0);
    for q in bs[..bs.len() - 1].iter().rev() {
        let _ = write!(d, "V{}H{}", y(q.lo), q.x0);
    }
    d.push('Z');
    d
}

/// A tick `h` high at the middle of every bucket of `s` with a non-zero sum (drop markers).
pub fn mark_path(s: &Series, a: f64, b: f64, w: f64, h: f64) -> String {
    let mut d = String::new();
    for q in buckets(s, a, b, w).into_iter().filter(|q| q.sum > 0) {
        let _ = write!(d, "M{},0V{}", num((q.x0 + q.x1) as f64 / 2.0), num(h));
    }
    d
}

/// A number for SVG: at most three decimals, trailing zeros dropped.
pub fn num(x: f64) -> String {
    let text = format!("{x:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".into() } else { text.into() }
}

/// An empirical CDF as an SVG path: from `(x0, y(0))`, at each of the ascending `xs` (plot
/// coordinates) a step up by `1/of`, then flat to `x_end`. `of` counts every point the share is
/// taken over; it may be more than `xs` (points that never arrived keep the curve below 1).
pub fn ecdf_path(
    xs: impl IntoIterator<Item = f64>,
    of: usize,
    x0: f64,
    x_end: f64,
    y: impl Fn(f64) -> f64,
) -> String {
    use std::fmt::Write as _;
    let mut p = format!("M{},{}", num(x0), num(y(0.0)));
    let n = of.max(1) as f64;
    for (i, x) in xs.into_iter().enumerate() {
        let _ = write!(p, "H{}V{}", num(x), num(y((i + 1) as f64 / n)));
    }
    let _ = write!(p, "H{}", num(x_end));
    p
}

/// An instant as the x coordinate of a time chart: seconds since the start, to the millisecond.
pub fn secs(t: SimTime) -> String {
    let ms = t.as_nanos() / 1_000_000;
    if ms.is_multiple_of(1000) {
        (ms / 1000).to_string()
    } else {
        let text = format!("{}.{:03}", ms / 1000, ms % 1000);
        text.trim_end_matches('0').to_string()
    }
}

/// The step of a linear axis from 0 covering `v`: the smallest of 1, 2, 2.5 and 5 times a
/// power of ten that needs at most five intervals.
fn nice_step(v: f64) -> f64 {
    let v = if v > 0.0 && v.is_finite() { v } else { 1.0 };
    let mut magnitude = 10f64.powf((v / 5.0).log10().floor());
    loop {
        for m in [1.0, 2.0, 2.5, 5.0] {
            let step = m * magnitude;
            if (v / step - 1e-9).ceil() <= 5.0 {
                return step;
            }
        }
        magnitude *= 10.0;
    }
}

/// The top of a linear axis from 0 covering `v`: the first multiple of its step at or above `v`.
pub fn axis_top(v: f64) -> f64 {
    let step = nice_step(v);
    let v = if v > 0.0 && v.is_finite() { v } else { 1.0 };
    (v / step - 1e-9).ceil().max(1.0) * step
}

/// The ticks of a linear axis from 0 to `top` (an [`axis_top`]).
pub fn linear_ticks(top: f64) -> Vec<f64> {
    let step = nice_step(top);
    let n = (top / step).round() as u32;
    (0..=n).map(|i| f64::from(i) * step).collect()
}

/// A tick label: integers plainly, fractions with as few decimals as they need.
pub fn label(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        num(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[u32]) -> Series {
        Series {
            first: 0,
            step: 60,
            values: values.to_vec(),
        }
    }

    #[test]
    fn the_envelope_keeps_every_peak_and_trough() {
        // 8 samples on 2 columns: 4 per bucket.
        let s = series(&[1, 9, 2, 3, 0, 4, 4, 5]);
        let d = envelope(&s, 0.0, 480.0, 2.0, 100.0, 10.0);
        assert_eq!(d, "M0,10.0H240V50.0H480V100.0H240V90.0H0Z");
        // More columns than samples: one bucket per sample, a step line.
        let d = envelope(&series(&[2, 4]), 0.0, 120.0, 940.0, 10.0, 10.0);
        assert_eq!(d, "M0,8.0H60V6.0H120V6.0H60V8.0H0Z");
        assert_eq!(envelope(&series(&[]), 0.0, 1.0, 10.0, 10.0, 1.0), "");
    }

    #[test]
    fn marks_go_where_the_sums_are() {
        let s = series(&[0, 0, 3, 0]);
        assert_eq!(mark_path(&s, 0.0, 240.0, 2.0, 8.0), "M180,0V8");
    }

    #[test]
    fn ticks_follow_the_calendar() {
        let start = CivilDateTime::new(2021, 4, 19, 0, 0, 0)
            .expect("date")
            .to_unix_seconds();
        // 180 days: month starts.
        let t = time_ticks(start, 0.0, 180.0 * 86400.0);
        let labels: Vec<&str> = t.iter().map(|t| t.main.as_str()).collect();
        assert_eq!(
            labels,
            [
                "May 2021", "Jun 2021", "Jul 2021", "Aug 2021", "Sep 2021", "Oct 2021"
            ]
        );
        // Six hours from 20:00: hourly, the date under the first tick and at midnight.
        let evening = start + 20 * 3600;
        let t = time_ticks(evening, 0.0, 6.0 * 3600.0);
        assert_eq!(t.len(), 7);
        assert_eq!(
            (t[0].main.as_str(), t[0].sub.as_deref()),
            ("20:00", Some("Apr 19"))
        );
        assert_eq!(
            (t[4].main.as_str(), t[4].sub.as_deref()),
            ("00:00", Some("Apr 20"))
        );
        assert_eq!(t[5].sub, None);
        // Seconds when zoomed in.
        let t = time_ticks(start, 10.0, 40.0);
        assert_eq!(t[0].main, "00:00:10");
    }

    #[test]
    fn linear_axes_are_nice() {
        assert_eq!(axis_top(37.0), 40.0);
        assert_eq!(axis_top(535.0), 600.0);
        assert_eq!(axis_top(240.0), 250.0);
        assert_eq!(axis_top(6.6), 8.0);
        assert_eq!(axis_top(0.0), 1.0);
        assert_eq!(linear_ticks(40.0), [0.0, 10.0, 20.0, 30.0, 40.0]);
        assert_eq!(linear_ticks(600.0), [0.0, 200.0, 400.0, 600.0]);
        assert_eq!(linear_ticks(250.0), [0.0, 50.0, 100.0, 150.0, 200.0, 250.0]);
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(2.0), "2");
        assert_eq!(secs(SimTime::from_nanos(40_008_000_000)), "40.008");
        assert_eq!(secs(SimTime::from_nanos(60_000_000_000)), "60");
    }
}
