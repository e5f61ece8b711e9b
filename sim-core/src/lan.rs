//! LAN clients: what each kind of device does over a day, and the session
//! arrival process that follows from it.
//!
//! A profile gives a weekday and a weekend curve of relative activity by
//! hour, the busy-hour session rate, the share of sessions over IPv4, the
//! protocol mix, a session-length mixture (short web-like sessions and long
//! ones such as calls, streams or push channels) and how many distinct
//! destinations the device talks to. Arrivals are a non-homogeneous Poisson
//! process whose rate is constant within each calendar hour, sampled exactly
//! by inversion (one unit-exponential draw, then walking the hours), so one
//! session costs one draw sequence and one event however quiet the night is.
//!
//! The built-in profiles are calibrated so that the IPv4 ports a device holds
//! in the gateway's NAPT at its busy hour (live mappings, their idle timers and
//! the 120 s hold-down) match published measurements of concurrent sessions
//! per device and application; docs/scenarios.md has the table, its sources
//! and the figures measured in runs, and `harness/tests/integration/lan_profiles.rs`
//! keeps the two in step. A night floor in every curve stands for the
//! background traffic an idle device keeps up (OS telemetry, push channels,
//! cloud sync, updates).

pub use crate::napt::Protocol;
use crate::rng::LanRng;
use crate::scenario::ClientProfile;
use crate::time::{Calendar, SimDuration, SimTime};

/// What a device of one profile does.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileModel {
    /// Relative activity by hour of day on weekdays (the busiest hour is 1.0).
    pub weekday: [f64; 24],
    /// Relative activity by hour of day on Saturdays and Sundays.
    pub weekend: [f64; 24],
    /// Sessions per hour one client opens in its busiest hour.
    pub busy_hour_sessions: f64,
    /// Share of sessions over IPv4 (the rest use IPv6 and never touch NAPT).
    pub ipv4_share: f64,
    /// Shares of UDP and TCP among sessions; the rest is ICMP.
    pub udp_share: f64,
    pub tcp_share: f64,
    /// Mean length of a short session, of a long one, and the share of long ones.
    pub short_mean: SimDuration,
    pub long_mean: SimDuration,
    pub long_share: f64,
    /// Distinct destinations the device talks to (popular ones more often).
    pub destinations: u32,
    /// Share of UDP sessions sent from the device's one long-lived socket (P2P games, QUIC,
    /// voice assistants) rather than a fresh ephemeral port. Under endpoint-independent
    /// mapping they share one NAPT mapping; a gateway that maps per destination needs one
    /// entry per destination.
    pub shared_socket_share: f64,
    /// Whether destinations are drawn uniformly (peers of a P2P game) rather than skewed to popular ones.
    pub uniform_destinations: bool,
}

const fn curve(values: [u8; 24]) -> [f64; 24] {
    let mut out = [0.0; 24];
    let mut i = 0;
    while i < 24 {
        out[i] = values[i] as f64 / 100.0;
        i += 1;
    }
    out
}

/// A working day at home: 09–12 and 13–17, lunch at 12, a PC left on overnight keeps its
/// background connections (8 %).
const OFFICE: [f64; 24] = curve([
    8, 8, 8, 8, 8, 8, 10, 15, 50, 100, 100, 100, 50, 100, 100, 100, 100, 90, 50, 25, 15, 10, 8, 8,
]);
/// The work PC at the weekend: on, mostly idle, a look at the mail now and then.
const OFFICE_WEEKEND: [f64; 24] = curve([
    8, 8, 8, 8, 8, 8, 8, 8, 10, 12, 15, 15, 15, 15, 15, 15, 12, 10, 10, 10, 10, 8, 8, 8,
]);
/// A phone on a weekday: commute and lunch bumps, the evening peak; push and sync at night.
const PHONE_WEEKDAY: [f64; 24] = curve([
    30, 20, 15, 15, 15, 15, 20, 40, 45, 35, 35, 40, 50, 40, 35, 40, 50, 60, 75, 90, 100, 100, 85, 55,
]);
/// A phone at the weekend: spread over the day, the evening still busiest.
const PHONE_WEEKEND: [f64; 24] = curve([
    30, 20, 15, 15, 15, 15, 15, 25, 50, 70, 80, 85, 85, 80, 80, 85, 85, 85, 90, 100, 100, 95, 75, 45,
]);
/// A home PC on a weekday: used in the evening, on but idle in the day and at night.
const HOME_PC_WEEKDAY: [f64; 24] = curve([
    15, 8, 6, 6, 6, 6, 6, 10, 15, 20, 20, 25, 30, 25, 25, 25, 30, 40, 60, 80, 100, 100, 80, 40,
]);
/// A home PC at the weekend: browsing from the morning, the evening busiest.
const HOME_PC_WEEKEND: [f64; 24] = curve([
    20, 10, 6, 6, 6, 6, 6, 10, 30, 50, 60, 65, 65, 60, 60, 65, 65, 70, 80, 100, 100, 95, 70, 40,
]);
/// Always on: background traffic with a slight daytime rise.
const STEADY: [f64; 24] = curve([
    70, 70, 70, 70, 70, 70, 75, 85, 90, 95, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 95, 90, 80, 75,
]);
/// Play in the evening and at night; rest mode (updates) before dawn.
const GAMING_WEEKDAY: [f64; 24] = curve([
    60, 40, 20, 8, 5, 5, 5, 5, 8, 10, 10, 15, 20, 20, 20, 25, 35, 50, 70, 85, 100, 100, 95, 80,
]);
/// Play at the weekend: from late morning on.
const GAMING_WEEKEND: [f64; 24] = curve([
    70, 50, 25, 10, 5, 5, 5, 10, 20, 35, 45, 55, 60, 60, 60, 60, 65, 70, 80, 90, 100, 100, 95, 85,
]);

impl ProfileModel {
    /// The built-in model of a profile, calibrated to the busy-hour concurrency in
    /// docs/scenarios.md (sources there); scenarios override the rate, the IPv4 share and the
    /// session lengths.
    ///
    /// Shared assumptions: the HGW proxies DNS (queries never cross the NAPT); a short session
    /// is one TCP connection or UDP exchange that lives as long as HTTP keep-alive keeps it
    /// (servers close idle connections after 5–75 s); a long one is a push channel, a chat or
    /// VPN connection, a stream or a game match.
    pub fn of(profile: ClientProfile) -> ProfileModel {
        let s = SimDuration::from_secs;
        match profile {
            // A work PC: SaaS in the browser, mail, chat, file sync. Webex/Teams calls run over
            // IPv6 (the report's author checked), so do Microsoft 365 and Google; about half the
            // connections (VPN, many Japanese SaaS, ad and tracker hosts) are IPv4.
            ClientProfile::TeleworkPc => ProfileModel {
                weekday: OFFICE,
                weekend: OFFICE_WEEKEND,
                busy_hour_sessions: 600.0,
                ipv4_share: 0.5,
                udp_share: 0.10,
                tcp_share: 0.89,
                short_mean: s(40),
                long_mean: s(30 * 60),
                long_share: 0.10,
                destinations: 200,
                shared_socket_share: 0.1,
                uniform_destinations: false,
            },
            // A few persistent cloud connections (a voice assistant keeps its channel open),
            // music streams, and short exchanges for each request; mostly IPv4 endpoints.
            ClientProfile::SmartSpeaker => ProfileModel {
                weekday: STEADY,
                weekend: STEADY,
                busy_hour_sessions: 36.0,
                ipv4_share: 0.8,
                udp_share: 0.2,
                tcp_share: 0.8,
                short_mean: s(20),
                long_mean: s(30 * 60),
                long_share: 0.15,
                destinations: 8,
                shared_socket_share: 0.5,
                uniform_destinations: false,
            },
            // Apps on Wi-Fi: feeds, messaging, video; the big platforms answer over IPv6.
            ClientProfile::Phone => ProfileModel {
                weekday: PHONE_WEEKDAY,
                weekend: PHONE_WEEKEND,
                busy_hour_sessions: 400.0,
                ipv4_share: 0.4,
                udp_share: 0.19,
                tcp_share: 0.80,
                short_mean: s(30),
                long_mean: s(15 * 60),
                long_share: 0.08,
                destinations: 120,
                shared_socket_share: 0.3,
                uniform_destinations: false,
            },
            // P2P games talk to many peers from one UDP socket; matches last long. The console
            // platforms' own services are mostly IPv4.
            ClientProfile::GameConsole => ProfileModel {
                weekday: GAMING_WEEKDAY,
                weekend: GAMING_WEEKEND,
                busy_hour_sessions: 100.0,
                ipv4_share: 0.8,
                udp_share: 0.85,
                tcp_share: 0.15,
                short_mean: s(45),
                long_mean: s(60 * 60),
                long_share: 0.15,
                destinations: 2000,
                shared_socket_share: 0.95,
                uniform_destinations: true,
            },
            // Someone browsing in the evening: each page view opens tens of connections (up to
            // six per host), many to ad, tracker and CDN hosts.
            ClientProfile::BrowserPc => ProfileModel {
                weekday: HOME_PC_WEEKDAY,
                weekend: HOME_PC_WEEKEND,
                busy_hour_sessions: 1000.0,
                ipv4_share: 0.5,
                udp_share: 0.09,
                tcp_share: 0.90,
                short_mean: s(30),
                long_mean: s(20 * 60),
                long_share: 0.05,
                destinations: 300,
                shared_socket_share: 0.2,
                uniform_destinations: false,
            },
        }
    }

    /// Relative activity (0..=1) in the calendar hour that contains `t`.
    pub fn activity(&self, calendar: &Calendar, t: SimTime) -> f64 {
        let at = calendar.at(t);
        let curve = if at.weekday() >= 5 {
            &self.weekend
        } else {
            &self.weekday
        };
        curve[at.hour as usize]
    }
}

/// A group's per-session draws, prepared once from its profile: the chances as integer
/// thresholds ([`Chance`]: the same outcomes as `unit(rng) < p`, compared without a
/// float conversion, so the branch that follows resolves sooner) and the length means
/// in seconds (each draw converted them from nanoseconds: an unsigned conversion and a
/// division, the slowest step of a session's draws). Every draw's value is the one the
/// profile's shares and means have always given.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SessionDraws {
    ipv4: Chance,
    udp: Chance,
    udp_or_tcp: Chance,
    long: Chance,
    short_secs: f64,
    long_secs: f64,
    shared_socket: Chance,
    destinations: f64,
    uniform_destinations: bool,
}

impl SessionDraws {
    pub fn of(model: &ProfileModel) -> SessionDraws {
        SessionDraws {
            ipv4: Chance::new(model.ipv4_share),
            udp: Chance::new(model.udp_share),
            udp_or_tcp: Chance::new(model.udp_share + model.tcp_share),
            long: Chance::new(model.long_share),
            short_secs: model.short_mean.as_secs_f64(),
            long_secs: model.long_mean.as_secs_f64(),
            shared_socket: Chance::new(model.shared_socket_share),
            destinations: model.destinations.max(1) as f64,
            uniform_destinations: model.uniform_destinations,
        }
    }

    /// Whether a session goes over IPv4 (with probability `ipv4_share`).
    #[inline]
    pub fn ipv4(&self, rng: &mut LanRng) -> bool {
        self.ipv4.happens(rng)
    }

    /// Draws one session's protocol.
    #[inline]
    pub fn protocol(&self, rng: &mut LanRng) -> Protocol {
        use rand::Rng;
        let bits = rng.next_u64();
        if self.udp.holds_for(bits) {
            Protocol::Udp
        } else if self.udp_or_tcp.holds_for(bits) {
            Protocol::Tcp
        } else {
            Protocol::Icmp
        }
    }

    /// Whether a UDP session comes from the device's long-lived socket.
    #[inline]
    pub fn shared_socket(&self, rng: &mut LanRng) -> bool {
        self.shared_socket.happens(rng)
    }

    /// Draws one session's length: long with probability `long_share`, then an
    /// exponential of that mean, at least a millisecond.
    #[inline]
    pub fn length(&self, rng: &mut LanRng) -> SimDuration {
        let mean_secs = if self.long.happens(rng) {
            self.long_secs
        } else {
            self.short_secs
        };
        SimDuration::from_secs_f64(unit_exponential(rng) * mean_secs).max(SimDuration::from_millis(1))
    }

    /// Draws a destination index in `0..destinations`, popular ones (low indices) more often.
    #[inline]
    pub fn destination(&self, rng: &mut LanRng) -> u32 {
        let u = unit(rng);
        if self.uniform_destinations {
            return (u * self.destinations) as u32;
        }
        // Squaring skews towards 0: index 0 is drawn about 2·sqrt(1/n) of the time.
        ((u * u) * self.destinations) as u32
    }
}

use crate::rng::{Chance, unit, unit_exponential};
use crate::time::ceil_to_u64;

const HOUR_NS: u64 = 3_600_000_000_000;
const HOURS_PER_WEEK: usize = 7 * 24;
const WEEK_NS: u64 = HOURS_PER_WEEK as u64 * HOUR_NS;

/// A group's session arrival rate in each hour of the week (Monday 00:00 first),
/// per nanosecond: computed once per group, so an arrival never converts a date.
#[derive(Clone, Debug, PartialEq)]
pub struct WeeklyRates {
    per_ns: [f64; HOURS_PER_WEEK],
}

impl WeeklyRates {
    /// `rate_in_hour(weekday, hour)` sessions an hour (weekday 0 = Monday), for every hour of the week.
    pub fn new(rate_in_hour: impl Fn(u8, u8) -> f64) -> WeeklyRates {
        WeeklyRates {
            per_ns: std::array::from_fn(|i| {
                rate_in_hour((i / 24) as u8, (i % 24) as u8).max(0.0) / HOUR_NS as f64
            }),
        }
    }

    /// Sessions per hour in each hour of the week (the inverse of [`WeeklyRates::new`]).
    pub fn per_hour(&self) -> impl Iterator<Item = f64> + '_ {
        self.per_ns.iter().map(|r| r * HOUR_NS as f64)
    }
}

impl ProfileModel {
    /// The arrival rates of `count` clients of this profile, hour by hour over a week.
    pub fn weekly_rates(&self, count: u32) -> WeeklyRates {
        let rate = self.busy_hour_sessions * count as f64;
        WeeklyRates::new(|weekday, hour| {
            let curve = if weekday >= 5 {
                &self.weekend
            } else {
                &self.weekday
            };
            rate * curve[hour as usize]
        })
    }
}

/// Nanoseconds from the start of the calendar week (Monday 00:00) to `t`.
fn nanos_into_week(calendar: &Calendar, t: SimTime) -> u64 {
    (calendar.week_offset_nanos() + t.as_nanos()) % WEEK_NS
}

/// The calendar hour a group's last arrival fell in: its hour of the week and its end.
/// A group's next arrival is drawn from its last one, so the walk usually starts in this
/// hour and needs no division of the time by the week and the hour to find it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HourCursor {
    hour: usize,
    end: SimTime,
}

impl HourCursor {
    /// The hour of the week that contains `t`, and that calendar hour's end.
    #[inline]
    fn locate(&self, calendar: &Calendar, t: SimTime) -> (usize, SimTime) {
        let (t_ns, end) = (t.as_nanos(), self.end.as_nanos());
        // t lies in [end - 1 h, end): the cursor's hour.
        if t_ns < end && end - t_ns <= HOUR_NS {
            return (self.hour, self.end);
        }
        let in_week = nanos_into_week(calendar, t);
        let hour = (in_week / HOUR_NS) as usize;
        (hour, SimTime::from_nanos(t_ns + (HOUR_NS - in_week % HOUR_NS)))
    }
}

/// The next arrival after `now` of a Poisson process whose rate is constant
/// within each calendar hour and given by `rates`; `None` if it falls after
/// `horizon`. Exact: one unit-exponential draw is spent across the hours, so
/// a silent night costs a few loop turns, not draws. `cursor` remembers the
/// hour the arrival fell in, for the next call (any cursor gives the same arrival).
#[inline]
pub fn next_arrival(
    now: SimTime,
    horizon: SimTime,
    calendar: &Calendar,
    rng: &mut LanRng,
    rates: &WeeklyRates,
    cursor: &mut HourCursor,
) -> Option<SimTime> {
    let mut budget = unit_exponential(rng);
    let mut t = now;
    // The hour of the week that contains t, and the end of that calendar hour.
    let (mut hour, mut hour_end) = cursor.locate(calendar, t);
    while t < horizon {
        let per_ns = rates.per_ns[hour];
        // At most an hour: the signed conversion is exact and one instruction.
        let span = hour_end.since(t).as_nanos() as i64 as f64;
        if per_ns > 0.0 && budget <= per_ns * span {
            let at = t + SimDuration::from_nanos(ceil_to_u64(budget / per_ns));
            *cursor = HourCursor { hour, end: hour_end };
            return (at <= horizon).then_some(at);
        }
        budget -= per_ns * span;
        t = hour_end;
        hour_end = SimTime::from_nanos(t.as_nanos() + HOUR_NS);
        hour = (hour + 1) % HOURS_PER_WEEK;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{StreamId, Streams};
    use crate::time::CivilDateTime;
    use rand::Rng;

    fn calendar() -> Calendar {
        // A Monday.
        Calendar::new(CivilDateTime::new(2021, 4, 19, 0, 30, 0).expect("date"))
    }

    #[test]
    fn arrivals_follow_the_hourly_rate() {
        let cal = calendar();
        let model = ProfileModel::of(ClientProfile::TeleworkPc);
        let rates = model.weekly_rates(1);
        let mut rng = Streams::new(7).lan_rng(StreamId::named("lan-test"));
        let horizon = SimTime::ZERO + SimDuration::from_days(5);
        let mut by_hour = [0u32; 24];
        let mut t = SimTime::ZERO;
        let mut n = 0;
        let mut cursor = HourCursor::default();
        while let Some(next) = next_arrival(t, horizon, &cal, &mut rng, &rates, &mut cursor) {
            by_hour[cal.at(next).hour as usize] += 1;
            t = next;
            n += 1;
        }
        // Five weekdays: expected arrivals = 5 * sum(rate by hour).
        let expected: f64 = 5.0
            * model
                .weekday
                .iter()
                .map(|w| w * model.busy_hour_sessions)
                .sum::<f64>();
        assert!(
            (n as f64 - expected).abs() < 4.0 * expected.sqrt(),
            "{n} vs {expected}"
        );
        // Office hours are busy; the night is quiet but not silent (background traffic at 8 %).
        assert!(by_hour[10] > 6 * by_hour[3], "{by_hour:?}");
        assert!(by_hour[3] > 100, "{by_hour:?}");
    }

    #[test]
    fn a_zero_rate_gives_no_arrival_and_terminates() {
        let cal = calendar();
        let mut rng = Streams::new(1).lan_rng(StreamId::named("x"));
        let horizon = SimTime::ZERO + SimDuration::from_days(30);
        assert_eq!(
            next_arrival(
                SimTime::ZERO,
                horizon,
                &cal,
                &mut rng,
                &WeeklyRates::new(|_, _| 0.0),
                &mut HourCursor::default()
            ),
            None
        );
    }

    /// The cursor only saves work: a run's chain of arrivals, and draws from instants that
    /// jump back and forth across hours, days and weeks, are the same with a kept cursor as
    /// with a fresh one each time.
    #[test]
    fn the_hour_cursor_never_changes_an_arrival() {
        let cal = Calendar::new(CivilDateTime::new(2021, 7, 17, 13, 59, 59).expect("date"));
        let rates = ProfileModel::of(ClientProfile::Phone).weekly_rates(2);
        let horizon = SimTime::ZERO + SimDuration::from_days(40);
        let (mut kept_rng, mut fresh_rng) = (
            Streams::new(5).lan_rng(StreamId::named("cursor")),
            Streams::new(5).lan_rng(StreamId::named("cursor")),
        );
        let mut jumps = Streams::new(6).lan_rng(StreamId::named("jumps"));
        let mut cursor = HourCursor::default();
        let mut t = SimTime::ZERO;
        let mut arrivals = 0;
        for i in 0..20_000 {
            // Mostly the chain (from the last arrival), sometimes anywhere in the run,
            // sometimes exactly on an hour's boundary.
            let now = match i % 7 {
                3 => SimTime::from_nanos(jumps.next_u64() % horizon.as_nanos()),
                5 => SimTime::from_nanos((jumps.next_u64() % 960) * HOUR_NS),
                _ => t,
            };
            let kept = next_arrival(now, horizon, &cal, &mut kept_rng, &rates, &mut cursor);
            let fresh = next_arrival(
                now,
                horizon,
                &cal,
                &mut fresh_rng,
                &rates,
                &mut HourCursor::default(),
            );
            assert_eq!(kept, fresh, "draw {i} from {now:?}");
            if let Some(at) = kept {
                t = at;
                arrivals += 1;
            } else {
                t = SimTime::ZERO;
            }
        }
        assert!(arrivals > 15_000, "{arrivals}");
    }

    /// The weekly table gives each instant the rate of its calendar hour, as `activity` dates it.
    #[test]
    fn weekly_rates_follow_the_calendar() {
        for start in [
            "2021-04-19 00:30:00",
            "2021-07-17 13:59:59",
            "2020-02-29 23:00:00",
        ] {
            let cal = Calendar::new(CivilDateTime::parse(start).expect("a date"));
            let model = ProfileModel::of(ClientProfile::Phone);
            let per_hour: Vec<f64> = model.weekly_rates(3).per_hour().collect();
            for minutes in (0..20_000).step_by(37) {
                let t = SimTime::ZERO + SimDuration::from_mins(minutes);
                let hour_of_week = ((cal.week_offset_nanos() + t.as_nanos()) % WEEK_NS / HOUR_NS) as usize;
                let want = 3.0 * model.busy_hour_sessions * model.activity(&cal, t);
                assert!(
                    (per_hour[hour_of_week] - want).abs() < 1e-9,
                    "{start} +{minutes}m"
                );
            }
        }
    }

    #[test]
    fn weekends_use_their_own_curve() {
        let cal = calendar();
        let model = ProfileModel::of(ClientProfile::TeleworkPc);
        let monday_10 = SimTime::ZERO + SimDuration::from_mins(9 * 60 + 30);
        let saturday_10 = monday_10 + SimDuration::from_days(5);
        assert_eq!(model.activity(&cal, monday_10), 1.0);
        assert!(model.activity(&cal, saturday_10) < 0.2);
    }

    #[test]
    fn every_profile_peaks_at_its_busy_hour_and_never_falls_silent() {
        for profile in ClientProfile::ALL {
            let m = ProfileModel::of(profile);
            let hours = m.weekday.iter().chain(&m.weekend);
            let busiest = hours.clone().fold(0.0_f64, |a, &b| a.max(b));
            assert_eq!(
                busiest, 1.0,
                "{profile:?}: the busy-hour rate is the busiest hour's"
            );
            // Idle devices keep background connections: no hour is silent.
            assert!(hours.clone().all(|&a| a > 0.0 && a <= 1.0), "{profile:?}");
            assert!(m.udp_share + m.tcp_share <= 1.0, "{profile:?}");
            assert!((0.0..=1.0).contains(&m.ipv4_share), "{profile:?}");
        }
    }

    #[test]
    fn session_lengths_mix_short_and_long() {
        let model = ProfileModel::of(ClientProfile::TeleworkPc);
        let draws = SessionDraws::of(&model);
        let mut rng = Streams::new(3).lan_rng(StreamId::named("len"));
        let n = 20_000;
        let total: f64 = (0..n).map(|_| draws.length(&mut rng).as_secs_f64()).sum();
        let mean = model.short_mean.as_secs_f64() * (1.0 - model.long_share)
            + model.long_mean.as_secs_f64() * model.long_share;
        assert!(
            (total / n as f64 - mean).abs() < 0.08 * mean,
            "{} vs {mean}",
            total / n as f64
        );
    }
}
