//! The servers an area's homes share, with their capacity models: the Flets
//! Joint distributor (concurrent downloads, bandwidth, a bounded queue) and
//! one MAP rule server per VNE (a request-rate limit that answers `429`).
//!
//! Homes reach these through [`AreaServers`], which the area lends to the
//! home being stepped; every decision depends only on the requests made so
//! far, in the area's event order, so the run stays deterministic. While the
//! area runs homes' LAN events ahead of each other, the BRs' opens and closes
//! are logged and played to the BRs in that order afterwards
//! ([`AreaServers::play_br_log`]). All arithmetic is on integer nanoseconds
//! and bytes.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use serde::{Deserialize, Serialize};

use crate::time::{SimDuration, SimTime};

/// The distributor's capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DistributorCapacity {
    /// Downloads served at once; further requests wait in the queue.
    pub max_concurrent: u32,
    /// The distributor's total bandwidth, shared by the downloads in progress.
    pub bandwidth_bps: u64,
    /// Requests that may wait; one more is refused with `503`.
    pub max_queue: u32,
}

impl Default for DistributorCapacity {
    /// ASSUMPTION (NTT publishes no figure): 1,000 downloads at once over 10 Gbit/s, and
    /// 10,000 waiting. A 512 KiB bundle then takes 0.4 s at full load, so a whole 10,000-home
    /// area downloading at once is served in seconds (docs/area.md says why these values).
    fn default() -> Self {
        DistributorCapacity {
            max_concurrent: 1_000,
            bandwidth_bps: 10_000_000_000,
            max_queue: 10_000,
        }
    }
}

/// One VNE rule server's request-rate limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleServerCapacity {
    /// Requests per second answered on average.
    pub rate_per_second: u32,
    /// Requests that may arrive at once above the rate.
    pub burst: u32,
}

impl Default for RuleServerCapacity {
    /// ASSUMPTION (no VNE publishes one): 1,000 requests a second with a burst of 2,000, enough
    /// for a 10,000-home area all powered on in the same minute (the start of a run).
    fn default() -> Self {
        RuleServerCapacity {
            rate_per_second: 1_000,
            burst: 2_000,
        }
    }
}

/// How the distributor takes one download request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Served after `wait` in the queue; the bytes take at least `transfer` at the share of
    /// bandwidth the download gets.
    Serve {
        wait: SimDuration,
        transfer: SimDuration,
    },
    /// The queue is full: answered at once with this status.
    Refuse { status: u16 },
}

/// The Flets Joint distributor of an area.
#[derive(Clone, Debug)]
pub struct SharedDistributor {
    capacity: DistributorCapacity,
    /// When each download slot is free again (one entry per slot).
    slots: BinaryHeap<Reverse<u64>>,
    /// End times of the downloads admitted and not finished (waiting ones included).
    in_flight: BinaryHeap<Reverse<u64>>,
    /// Start times of the downloads still waiting for a slot.
    waiting: BinaryHeap<Reverse<u64>>,
    /// The download being admitted: when its slot was free and when it starts (settled by
    /// [`Self::finish`]).
    held: Option<(u64, u64)>,
    pub stats: DistributorStats,
}

/// What the distributor saw over the run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributorStats {
    /// Download requests that reached it.
    pub requests: u64,
    /// Requests refused with `503` because the queue was full.
    pub refusals: u64,
    /// The most downloads transferring at once.
    pub peak_concurrent: u32,
    /// The most requests waiting for a slot at once.
    pub peak_queue: u32,
}

impl SharedDistributor {
    pub fn new(capacity: DistributorCapacity) -> SharedDistributor {
        let mut d = SharedDistributor {
            capacity: DistributorCapacity {
                max_concurrent: 0,
                ..capacity
            },
            slots: BinaryHeap::new(),
            in_flight: BinaryHeap::new(),
            waiting: BinaryHeap::new(),
            held: None,
            stats: DistributorStats::default(),
        };
        d.set_capacity(SimTime::ZERO, capacity);
        d
    }

    pub fn capacity(&self) -> DistributorCapacity {
        self.capacity
    }

    /// Changes the capacity from `now` (a saturation fault and its end). New slots are free
    /// at once; slots taken away are the ones free soonest (a download in progress on one
    /// finishes, then the slot is gone).
    pub fn set_capacity(&mut self, now: SimTime, capacity: DistributorCapacity) {
        let now = now.as_nanos();
        let old = self.capacity.max_concurrent;
        for _ in old..capacity.max_concurrent {
            self.slots.push(Reverse(now));
        }
        for _ in capacity.max_concurrent..old {
            self.slots.pop();
        }
        self.capacity = capacity;
    }

    fn purge(&mut self, now: u64) {
        while self.in_flight.peek().is_some_and(|Reverse(t)| *t <= now) {
            self.in_flight.pop();
        }
        while self.waiting.peek().is_some_and(|Reverse(t)| *t <= now) {
            self.waiting.pop();
        }
    }

    /// A home asks for `bytes` at `now` and waits at most `timeout`. A served request must be
    /// followed by [`Self::finish`] with the time the home stops downloading.
    pub fn admit(&mut self, now: SimTime, bytes: u32) -> Admission {
        let t = now.as_nanos();
        self.purge(t);
        self.stats.requests += 1;
        let full = self.waiting.len() as u64 >= u64::from(self.capacity.max_queue);
        let Some(Reverse(free)) = (!full).then(|| self.slots.pop()).flatten() else {
            self.stats.refusals += 1;
            return Admission::Refuse { status: 503 };
        };
        let start = free.max(t);
        // The download shares the bandwidth with the others admitted and not finished (at
        // most the slots' number transfer at once), a fair share frozen for its life.
        let sharing = (self.in_flight.len() as u128 + 1).min(u128::from(self.capacity.max_concurrent.max(1)));
        let bits = u128::from(bytes) * 8;
        let transfer_ns =
            (bits * sharing * 1_000_000_000).div_ceil(u128::from(self.capacity.bandwidth_bps.max(1)));
        self.held = Some((free, start));
        Admission::Serve {
            wait: SimDuration::from_nanos(start - t),
            transfer: SimDuration::from_nanos(u64::try_from(transfer_ns).unwrap_or(u64::MAX)),
        }
    }

    /// The served download ends (done, failed or given up by the home) at `end`: its slot is
    /// free then. A home that gave up while still waiting leaves its slot as it was.
    pub fn finish(&mut self, now: SimTime, end: SimTime) {
        let Some((free, start)) = self.held.take() else {
            return;
        };
        let (t, end) = (now.as_nanos(), end.as_nanos());
        if end <= start {
            self.slots.push(Reverse(free));
            if end > t {
                self.waiting.push(Reverse(end));
            }
        } else {
            self.slots.push(Reverse(end));
            self.in_flight.push(Reverse(end));
            if start > t {
                self.waiting.push(Reverse(start));
            }
        }
        self.purge(t);
        let waiting = self.waiting.len() as u32;
        // Transferring now: admitted, not finished, not waiting (the queued ones start later).
        let transferring = (self.in_flight.len() as u32).saturating_sub(waiting);
        self.stats.peak_concurrent = self.stats.peak_concurrent.max(transferring);
        self.stats.peak_queue = self.stats.peak_queue.max(waiting);
    }
}

/// A rule server's rate limit as a generic cell rate algorithm (ITU-T I.371's virtual
/// scheduling): a request conforms when it arrives no earlier than its theoretical arrival
/// time less the burst tolerance.
#[derive(Clone, Debug)]
pub struct RuleServerLimiter {
    capacity: RuleServerCapacity,
    /// The theoretical arrival time of the next request (ns).
    tat: u64,
    pub stats: RuleServerStats,
}

/// What one rule server saw over the run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleServerStats {
    pub requests: u64,
    /// Requests answered `429 Too Many Requests`.
    pub refusals: u64,
}

impl RuleServerLimiter {
    pub fn new(capacity: RuleServerCapacity) -> RuleServerLimiter {
        RuleServerLimiter {
            capacity,
            tat: 0,
            stats: RuleServerStats::default(),
        }
    }

    pub fn capacity(&self) -> RuleServerCapacity {
        self.capacity
    }

    pub fn set_capacity(&mut self, capacity: RuleServerCapacity) {
        self.capacity = capacity;
    }

    /// Whether a request at `now` is answered (else `429`).
    pub fn admit(&mut self, now: SimTime) -> bool {
        let t = now.as_nanos();
        self.stats.requests += 1;
        let Some(interval) = 1_000_000_000u64.checked_div(u64::from(self.capacity.rate_per_second)) else {
            self.stats.refusals += 1;
            return false;
        };
        let tolerance = interval.saturating_mul(u64::from(self.capacity.burst.saturating_sub(1)));
        if self.tat > t.saturating_add(tolerance) {
            self.stats.refusals += 1;
            return false;
        }
        self.tat = self.tat.max(t) + interval;
        true
    }
}

/// A VNE's BR (MAP-E) or AFTR (DS-Lite) capacity, shared by every home of the area on
/// that VNE. The LAN model has sessions, not bytes, so throughput is in sessions too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrCapacity {
    /// IPv4 sessions it keeps state for at once, over all its homes: an AFTR's NAT table.
    /// A MAP-E BR is stateless (RFC 7597 §8) and has no such table: `None`.
    pub max_sessions: Option<u64>,
    /// New IPv4 sessions it carries a second, with a burst (its throughput, as a GCRA).
    pub setup: RuleServerCapacity,
}

impl BrCapacity {
    /// ASSUMPTION (no VNE publishes one): an AFTR keeps 50 million sessions (a CGN cluster's
    /// table; 10,000 busy homes hold a few million), and BR and AFTR alike carry a million new
    /// sessions a second with a burst of a million (a 10,000-home area starts a few thousand
    /// a second at its busiest): ordinary days never meet them.
    pub fn default_for(mechanism_is_ds_lite: bool) -> BrCapacity {
        BrCapacity {
            max_sessions: mechanism_is_ds_lite.then_some(50_000_000),
            setup: RuleServerCapacity {
                rate_per_second: 1_000_000,
                burst: 1_000_000,
            },
        }
    }
}

/// What one VNE's BR or AFTR saw over the run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrStats {
    /// IPv4 sessions it admitted (checked before the gateway translates them, so one the
    /// gateway's NAPT or the AFTR's quota then drops is counted too).
    pub sessions: u64,
    /// Sessions it refused: its session table full, or beyond its setup rate.
    pub refusals: u64,
    /// The most sessions it held at once.
    pub peak_sessions: u64,
}

/// One VNE's BR or AFTR as the area's homes share it.
#[derive(Clone, Debug)]
pub struct SharedBr {
    pub capacity: BrCapacity,
    setup: RuleServerLimiter,
    /// Sessions it holds now.
    active: u64,
    /// `br_outage`s in force.
    pub down: u32,
    pub stats: BrStats,
}

impl SharedBr {
    pub fn new(capacity: BrCapacity) -> SharedBr {
        SharedBr {
            capacity,
            setup: RuleServerLimiter::new(capacity.setup),
            active: 0,
            down: 0,
            stats: BrStats::default(),
        }
    }

    /// Whether a new session at `now` is carried (then it holds its state until [`Self::close`]).
    pub fn open(&mut self, now: SimTime) -> bool {
        let full = self.capacity.max_sessions.is_some_and(|max| self.active >= max);
        // A full table refuses before the rate is spent.
        if full || !self.setup.admit(now) {
            self.stats.refusals += 1;
            return false;
        }
        self.active += 1;
        self.stats.sessions += 1;
        self.stats.peak_sessions = self.stats.peak_sessions.max(self.active);
        true
    }

    /// A session it carried ended.
    pub fn close(&mut self) {
        self.active = self.active.saturating_sub(1);
    }
}

/// The servers an area's homes share; lent to each home while it is stepped.
#[derive(Clone, Debug)]
pub struct AreaServers {
    pub distributor: SharedDistributor,
    /// One per VNE, by preset name.
    pub rule_servers: BTreeMap<&'static str, RuleServerLimiter>,
    /// One BR or AFTR per VNE, by preset name.
    pub brs: BTreeMap<&'static str, SharedBr>,
    /// While the area runs homes' LAN events ahead of each other (`logging`): the BR's
    /// opens and closes, kept to be played to the BRs in the area's order.
    br_log: BrLog,
    /// The home the servers are lent to, and whether only its LAN's own events run
    /// (then it may ask the BR and nothing else).
    home: u32,
    lan_only: bool,
}

/// The BR opens and closes of homes run ahead of each other, in the order they were
/// made, for [`AreaServers::play_br_log`]. Each is one `u64`, from the top: its time from
/// the window's start, its home, its VNE's BR (by place in the map) and whether it opens.
/// A stable sort on the first two gives the area's order (time, then home, then the
/// home's own order, which is the order it was logged in).
#[derive(Clone, Debug, Default)]
struct BrLog {
    logging: bool,
    window_start: SimTime,
    ops: Vec<u64>,
}

const BR_OP_OPEN_BITS: u32 = 1;
const BR_OP_VNE_BITS: u32 = 2;
const BR_OP_HOME_BITS: u32 = 20;
const BR_OP_LOW_BITS: u32 = BR_OP_OPEN_BITS + BR_OP_VNE_BITS;
const BR_OP_TIME_SHIFT: u32 = BR_OP_LOW_BITS + BR_OP_HOME_BITS;

/// The longest window a BR log can hold: its ops' times from the start fill the rest of
/// the `u64` (2^41 ns, about 36 minutes).
pub const BR_LOG_MAX_WINDOW: SimDuration = SimDuration::from_nanos(1 << (u64::BITS - BR_OP_TIME_SHIFT));

const _: () = assert!(crate::area::MAX_HOMES <= 1 << BR_OP_HOME_BITS);

/// The BR log asked for more than the BR would have given: one of the opens it granted
/// ahead would have been refused (its setup rate spent or its table full).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrWouldRefuse;

impl AreaServers {
    pub fn new(
        distributor: SharedDistributor,
        rule_servers: BTreeMap<&'static str, RuleServerLimiter>,
        brs: BTreeMap<&'static str, SharedBr>,
    ) -> AreaServers {
        AreaServers {
            distributor,
            rule_servers,
            brs,
            br_log: BrLog::default(),
            home: 0,
            lan_only: false,
        }
    }

    /// From now on, until `window_start` + [`BR_LOG_MAX_WINDOW`] at most, the BR's opens
    /// are granted and logged, to be checked and played in order by [`Self::play_br_log`];
    /// off again once it has played.
    pub fn log_br(&mut self, window_start: SimTime) {
        assert!(
            self.brs.len() <= 1 << BR_OP_VNE_BITS,
            "a BR log names at most four BRs"
        );
        self.br_log.logging = true;
        self.br_log.window_start = window_start;
    }

    /// Lends the servers to `home`; with `lan_only`, only the BR may be asked.
    pub fn lend_to(&mut self, home: u32, lan_only: bool) {
        self.home = home;
        self.lan_only = lan_only;
    }

    /// The distributor (never asked by a home's LAN events).
    pub fn distributor(&mut self) -> &mut SharedDistributor {
        assert!(
            !self.lan_only,
            "home {}: a LAN event asked the distributor",
            self.home
        );
        &mut self.distributor
    }

    /// `vne`'s rule server (never asked by a home's LAN events).
    pub fn rule_server(&mut self, vne: &'static str) -> Option<&mut RuleServerLimiter> {
        assert!(
            !self.lan_only,
            "home {}: a LAN event asked the rule server",
            self.home
        );
        self.rule_servers.get_mut(vne)
    }

    pub fn br_is_down(&self, vne: &str) -> bool {
        self.brs.get(vne).is_some_and(|b| b.down > 0)
    }

    /// Whether `vne`'s BR carries a new IPv4 session at `now` (an unknown VNE's always does).
    /// While logging, the BR is not asked yet: the open is granted and logged.
    pub fn br_open(&mut self, vne: &'static str, now: SimTime) -> bool {
        if self.br_log.logging {
            self.log_br_op(vne, now, true);
            return true;
        }
        self.brs.get_mut(vne).is_none_or(|b| b.open(now))
    }

    /// An IPv4 session `vne`'s BR carried ended.
    pub fn br_close(&mut self, vne: &'static str, now: SimTime) {
        if self.br_log.logging {
            self.log_br_op(vne, now, false);
            return;
        }
        if let Some(b) = self.brs.get_mut(vne) {
            b.close();
        }
    }

    fn log_br_op(&mut self, vne: &'static str, at: SimTime, open: bool) {
        // An unknown VNE's BR carries everything and keeps no count.
        let Some(br) = self.brs.keys().position(|name| *name == vne) else {
            return;
        };
        let log = &mut self.br_log;
        let offset = at.since(log.window_start);
        assert!(offset < BR_LOG_MAX_WINDOW, "a BR op past its log's window");
        log.ops.push(
            (offset.as_nanos() << BR_OP_TIME_SHIFT)
                | (u64::from(self.home) << BR_OP_LOW_BITS)
                | ((br as u64) << BR_OP_OPEN_BITS)
                | u64::from(open),
        );
    }

    /// Plays the logged opens and closes to the BRs in the area's order (time, then home,
    /// then each home's own order) and stops logging. The BRs end as if they had been
    /// asked at each step, provided every open granted ahead is one they would have
    /// carried: else [`BrWouldRefuse`], and the run must be made again in order.
    pub fn play_br_log(&mut self) -> Result<(), BrWouldRefuse> {
        let log = &mut self.br_log;
        log.logging = false;
        // Stable: one home's ops at one time keep the order they were made in.
        log.ops.sort_by_key(|op| op >> BR_OP_LOW_BITS);
        let mut brs: Vec<&mut SharedBr> = self.brs.values_mut().collect();
        let mut played = Ok(());
        for &op in &log.ops {
            let br = &mut brs[((op >> BR_OP_OPEN_BITS) & ((1 << BR_OP_VNE_BITS) - 1)) as usize];
            if op & 1 == 1 {
                let at = log.window_start + SimDuration::from_nanos(op >> BR_OP_TIME_SHIFT);
                if !br.open(at) {
                    played = Err(BrWouldRefuse);
                    break;
                }
            } else {
                br.close();
            }
        }
        log.ops.clear();
        played
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_br_refuses_beyond_its_table_and_its_setup_rate() {
        let mut br = SharedBr::new(BrCapacity {
            max_sessions: Some(2),
            setup: RuleServerCapacity {
                rate_per_second: 10,
                burst: 3,
            },
        });
        let t0 = SimTime::ZERO;
        assert!(br.open(t0) && br.open(t0), "two fit the table");
        assert!(!br.open(t0), "the table is full");
        br.close();
        // A free entry, and the third of the burst left.
        assert!(br.open(t0));
        br.close();
        assert!(!br.open(t0), "the burst of 3 is spent");
        assert!(br.open(at(1)), "a second later the rate has refilled");
        assert_eq!(
            br.stats,
            BrStats {
                sessions: 4,
                refusals: 2,
                peak_sessions: 2
            }
        );
        // A stateless MAP-E BR has no table: only the rate limits it.
        let mut map_e = SharedBr::new(BrCapacity::default_for(false));
        assert!((0..1000).all(|_| map_e.open(t0)));
        assert_eq!(map_e.stats.peak_sessions, 1000);
    }

    fn at(secs: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(secs)
    }

    #[test]
    fn distributor_queues_beyond_its_slots_and_refuses_beyond_its_queue() {
        let mut d = SharedDistributor::new(DistributorCapacity {
            max_concurrent: 2,
            bandwidth_bps: 8_000_000, // 1 MB/s
            max_queue: 1,
        });
        // Two served at once: the second shares the bandwidth with the first.
        assert_eq!(
            d.admit(at(0), 1_000_000),
            Admission::Serve {
                wait: SimDuration::ZERO,
                transfer: SimDuration::from_secs(1)
            }
        );
        d.finish(at(0), at(10));
        assert_eq!(
            d.admit(at(0), 1_000_000),
            Admission::Serve {
                wait: SimDuration::ZERO,
                transfer: SimDuration::from_secs(2)
            }
        );
        d.finish(at(0), at(20));
        // The third waits for the first slot to free (at 10 s).
        match d.admit(at(1), 1_000_000) {
            Admission::Serve { wait, .. } => assert_eq!(wait, SimDuration::from_secs(9)),
            other => panic!("{other:?}"),
        }
        d.finish(at(1), at(30));
        // The queue holds one: the fourth is refused.
        assert_eq!(d.admit(at(2), 1), Admission::Refuse { status: 503 });
        assert_eq!(d.stats.refusals, 1);
        assert_eq!(d.stats.peak_queue, 1);
        assert_eq!(d.stats.peak_concurrent, 2);
    }

    #[test]
    fn distributor_capacity_changes_add_and_remove_slots() {
        let mut d = SharedDistributor::new(DistributorCapacity {
            max_concurrent: 1,
            bandwidth_bps: 8_000_000_000,
            max_queue: 10,
        });
        d.admit(at(0), 1);
        d.finish(at(0), at(100));
        d.set_capacity(
            at(5),
            DistributorCapacity {
                max_concurrent: 2,
                ..d.capacity()
            },
        );
        match d.admit(at(5), 1) {
            Admission::Serve { wait, .. } => assert_eq!(wait, SimDuration::ZERO, "the new slot is free"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rule_server_answers_its_rate_and_burst_then_429() {
        let mut r = RuleServerLimiter::new(RuleServerCapacity {
            rate_per_second: 10,
            burst: 3,
        });
        let answered = (0..5).filter(|_| r.admit(at(0))).count();
        assert_eq!(answered, 3, "a burst of three at once");
        // A tenth of a second later one more conforms.
        assert!(r.admit(at(0) + SimDuration::from_millis(100)));
        assert!(!r.admit(at(0) + SimDuration::from_millis(100)));
        assert_eq!(r.stats.refusals, 3);
        // After a quiet second the burst is back.
        assert_eq!((0..4).filter(|_| r.admit(at(2))).count(), 3);
    }

    /// Opens and closes logged out of the area's order (a window runs one home after
    /// another) play to the BR in the area's order: time, then home, then the home's own
    /// order. Here home 0's close and home 1's open fall at the same instant; home 0's comes
    /// first, so the BR never holds two sessions.
    #[test]
    fn a_played_br_log_is_the_br_asked_in_the_areas_order() {
        let capacity = |max_sessions| BrCapacity {
            max_sessions,
            setup: RuleServerCapacity {
                rate_per_second: 10,
                burst: 10,
            },
        };
        let servers = |max_sessions| {
            AreaServers::new(
                SharedDistributor::new(DistributorCapacity::default()),
                BTreeMap::new(),
                [("v6plus", SharedBr::new(capacity(max_sessions)))].into(),
            )
        };
        let log_out_of_order = |s: &mut AreaServers| {
            s.log_br(SimTime::ZERO);
            s.lend_to(1, true);
            assert!(s.br_open("v6plus", at(1)), "granted while logging");
            s.lend_to(0, true);
            assert!(s.br_open("v6plus", at(0)));
            s.br_close("v6plus", at(1));
        };
        let mut played = servers(None);
        log_out_of_order(&mut played);
        assert_eq!(
            played.brs["v6plus"].stats,
            BrStats::default(),
            "nothing asked yet"
        );
        assert_eq!(played.play_br_log(), Ok(()));
        let mut asked = SharedBr::new(capacity(None));
        assert!(asked.open(at(0)));
        asked.close();
        assert!(asked.open(at(1)));
        assert_eq!(played.brs["v6plus"].stats, asked.stats);
        assert_eq!(played.brs["v6plus"].stats.peak_sessions, 1);
        // Played, the log is off: the BR is asked at once again.
        assert!(played.br_open("v6plus", at(2)));
        assert_eq!(played.brs["v6plus"].stats.sessions, 3);

        // A table of one: in the area's order the open at 1 s comes after the close, so it
        // fits; an open that would not fit is reported.
        let mut one = servers(Some(1));
        log_out_of_order(&mut one);
        assert_eq!(one.play_br_log(), Ok(()));
        let mut full = servers(Some(1));
        full.log_br(SimTime::ZERO);
        full.lend_to(3, true);
        assert!(full.br_open("v6plus", at(0)));
        assert!(full.br_open("v6plus", at(0)), "granted while logging");
        assert_eq!(full.play_br_log(), Err(BrWouldRefuse));
    }

    #[test]
    #[should_panic(expected = "a LAN event asked the rule server")]
    fn a_lan_event_may_ask_only_the_br() {
        let mut s = AreaServers::new(
            SharedDistributor::new(DistributorCapacity::default()),
            BTreeMap::new(),
            BTreeMap::new(),
        );
        s.lend_to(2, true);
        let _ = s.rule_server("v6plus");
    }
}
