//! The gateway's NAPT translation table (RFC 4787, 5382, 5508, 6888), pure and fast.
//!
//! The LAN model calls [`NaptTable::open`] when a client starts a flow, [`NaptTable::refresh`]
//! for traffic it wants to count, and [`NaptTable::end_session`] (or [`NaptTable::close`] for a
//! TCP FIN) when the flow ends; a reboot is [`NaptTable::clear`]. Every call takes `now`.
//!
//! - **Mappings and sessions.** With [`MappingBehaviour::EndpointIndependent`] there is one
//!   mapping per (protocol, internal ip:port); flows from that endpoint to other destinations
//!   share it and count as its sessions. With [`MappingBehaviour::PortReuseAcrossDestinations`]
//!   a mapping is per (protocol, internal ip:port, destination ip:port), and one external port
//!   serves many of them as long as their destinations differ. Either way one mapping is one
//!   entry of the table's `capacity`.
//! - **Idle timers.** A mapping with open sessions never expires. When its last session ends,
//!   its idle timer runs from its last activity (the session's end, or a later `refresh`) for
//!   the protocol's timeout; TCP mappings whose last session ended with [`NaptTable::close`]
//!   use the transitory timeout. A mapping is gone at exactly `last activity + timeout`.
//! - **Expiry without one event per entry.** Due mappings are expired lazily: every call first
//!   expires what is due at its `now` (in deadline order, each at its own deadline, so ports
//!   and statistics see the true instant). An idle mapping has one live timer: queued at the
//!   session's end in its timer class's FIFO (one timeout per class, so deadlines ascend:
//!   O(1)); a `refresh` only moves the mapping's last activity (O(1)), and when the timer
//!   surfaces early it is re-queued at the true deadline in a binary heap (lazy invalidation).
//!   [`NaptTable::next_expiry`] gives the exact next expiry for owners that want an event.
//! - **Port choice (deterministic).** External ports come from the MAP-E [`PortSet`], ports
//!   below 1024 excluded ([`LOWEST_EXTERNAL_PORT`]), separately per protocol. Each pool hands
//!   out never-used ports first, in ascending order from the pool's starting offset, then the
//!   port freed longest ago once its 120 s hold-down (RFC 6888) has passed. Freed ports wait
//!   in a FIFO ordered by release time, so "is any port free?" is a look at its head: O(1).
//!   Endpoint-independent tables have one pool per protocol; port-reusing tables one pool per
//!   (protocol, destination), created on demand (starting offsets rotate across pools) and
//!   recycled once empty and out of hold-down.
//! - **Overflow** drops the new flow and never evicts. When both causes apply,
//!   [`NaptDrop::TableFull`] wins: capacity is checked before a port is sought.
//! - **Statistics.** Peak entries; a time-weighted occupancy histogram (hdrhistogram, each
//!   occupancy level weighted by the nanoseconds the table spent at it, from the table's first
//!   call), drops by cause, mappings created, expired and lost to `clear`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::net::Ipv4Addr;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::mape::PortSet;
use crate::time::{SimDuration, SimTime};

/// Lowest external port handed out: the well-known ports 0..=1023 are never used, also for an
/// unshared address ([`PortSet::all`]) or a port set with PSID offset 0.
pub const LOWEST_EXTERNAL_PORT: u16 = 1024;

/// The transport a mapping translates (ICMP query ids are treated as ports, RFC 5508).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Udp,
    Tcp,
    Icmp,
}

impl Protocol {
    /// Every protocol, in pool order.
    pub const ALL: [Protocol; 3] = [Protocol::Udp, Protocol::Tcp, Protocol::Icmp];

    const fn index(self) -> usize {
        match self {
            Protocol::Udp => 0,
            Protocol::Tcp => 1,
            Protocol::Icmp => 2,
        }
    }
}

/// An IPv4 address and port (for ICMP, the query id; a destination's port may be 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Endpoint {
    pub addr: Ipv4Addr,
    pub port: u16,
}

impl Endpoint {
    /// `addr:port`.
    pub const fn new(addr: Ipv4Addr, port: u16) -> Endpoint {
        Endpoint { addr, port }
    }

    /// The 48 bits `addr | port`, for keys.
    const fn bits(self) -> u64 {
        ((self.addr.to_bits() as u64) << 16) | self.port as u64
    }
}

/// How external ports are shared between flows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingBehaviour {
    /// RFC 4787 REQ-1: one mapping (and external port) per internal ip:port, whatever the destination.
    #[default]
    EndpointIndependent,
    /// One mapping per (internal ip:port, destination); an external port serves many internal
    /// endpoints as long as their destinations differ, so the table can outgrow the port set.
    PortReuseAcrossDestinations,
}

/// Idle timeouts per protocol and TCP state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NaptTimeouts {
    /// UDP mappings (RFC 4787: at least 2 min).
    pub udp: SimDuration,
    /// TCP after the handshake, until a FIN.
    pub tcp_established: SimDuration,
    /// TCP after a FIN (RFC 5382 transitory state).
    pub tcp_transitory: SimDuration,
    /// ICMP query (echo) mappings.
    pub icmp: SimDuration,
}

impl NaptTimeouts {
    /// The RFCs' recommendations: UDP 5 min (RFC 4787 REQ-5, 2 min minimum), TCP established
    /// 2 h 4 min and transitory 4 min (RFC 5382 REQ-5), ICMP query 60 s (RFC 5508 REQ-1).
    pub const fn rfc() -> NaptTimeouts {
        NaptTimeouts {
            udp: SimDuration::from_secs(300),
            tcp_established: SimDuration::from_secs(7440),
            tcp_transitory: SimDuration::from_secs(240),
            icmp: SimDuration::from_secs(60),
        }
    }

    /// The HGW's "advanced settings" defaults. ASSUMPTION: plausible values, not read from a
    /// manual (UDP 300 s, TCP 3600 s, TCP after FIN 60 s, ICMP 60 s); users may shorten them.
    pub const fn hgw_default() -> NaptTimeouts {
        NaptTimeouts {
            udp: SimDuration::from_secs(300),
            tcp_established: SimDuration::from_secs(3600),
            tcp_transitory: SimDuration::from_secs(60),
            icmp: SimDuration::from_secs(60),
        }
    }

    /// The idle timeout of a mapping of `protocol`; `closing` for TCP after a FIN.
    const fn of(&self, protocol: Protocol, closing: bool) -> SimDuration {
        match timer_class(protocol, closing) {
            0 => self.udp,
            1 => self.tcp_established,
            2 => self.tcp_transitory,
            _ => self.icmp,
        }
    }
}

/// Number of idle-timer classes: UDP, TCP established, TCP transitory, ICMP.
const TIMER_CLASSES: usize = 4;

/// The idle-timer class of a mapping (the index of its timeout in [`NaptTimeouts`]).
const fn timer_class(protocol: Protocol, closing: bool) -> usize {
    match protocol {
        Protocol::Udp => 0,
        Protocol::Tcp if closing => 2,
        Protocol::Tcp => 1,
        Protocol::Icmp => 3,
    }
}

impl Default for NaptTimeouts {
    fn default() -> NaptTimeouts {
        NaptTimeouts::rfc()
    }
}

/// The table's size, sharing behaviour and timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NaptConfig {
    /// Most mappings held at once (all protocols together).
    pub capacity: u32,
    /// How external ports are shared.
    pub mapping: MappingBehaviour,
    /// Idle timeouts per protocol.
    pub timeouts: NaptTimeouts,
    /// How long a freed external port stays unused (RFC 6888 REQ-8: 120 s).
    pub hold_down: SimDuration,
}

impl NaptConfig {
    /// The HGW's table size (entries).
    pub const DEFAULT_CAPACITY: u32 = 4096;
    /// RFC 6888 REQ-8's port hold-down.
    pub const RFC_HOLD_DOWN: SimDuration = SimDuration::from_secs(120);

    /// The HGW with its advanced-settings timeouts ([`NaptTimeouts::hgw_default`]).
    pub const fn hgw() -> NaptConfig {
        NaptConfig {
            capacity: NaptConfig::DEFAULT_CAPACITY,
            mapping: MappingBehaviour::EndpointIndependent,
            timeouts: NaptTimeouts::hgw_default(),
            hold_down: NaptConfig::RFC_HOLD_DOWN,
        }
    }
}

impl Default for NaptConfig {
    /// 4096 entries, endpoint-independent, RFC timeouts, 120 s hold-down.
    fn default() -> NaptConfig {
        NaptConfig {
            timeouts: NaptTimeouts::rfc(),
            ..NaptConfig::hgw()
        }
    }
}

/// A handle on one mapping; it goes stale (every call with it answers `false`/`None`) once the
/// mapping expires or the table is cleared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MappingId {
    slot: u32,
    generation: u32,
}

/// What [`NaptTable::open`] gives a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub id: MappingId,
    pub external_port: u16,
    /// A new mapping (false: the flow joined an existing one as another session).
    pub created: bool,
}

/// Why a new flow got no mapping (it is dropped; nothing is evicted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, thiserror::Error)]
pub enum NaptDrop {
    /// `capacity` mappings are in use.
    #[error("NAPT table full")]
    TableFull,
    /// No external port is free for this flow: all in use or held down.
    #[error("NAPT port set exhausted")]
    PortSetExhausted,
}

impl NaptDrop {
    /// The cause as outcomes spell it: `table_full`, `port_set_exhausted`.
    pub const fn name(self) -> &'static str {
        match self {
            NaptDrop::TableFull => "table_full",
            NaptDrop::PortSetExhausted => "port_set_exhausted",
        }
    }
}

/// New flows dropped, by cause.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NaptDropCounts {
    pub table_full: u64,
    pub port_set_exhausted: u64,
}

/// Time-weighted occupancy (entries): the level the table was at or below for that share of
/// its time. Exact up to 2047 entries, within 0.1 % above (3 significant figures), never above the peak.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccupancyQuantiles {
    pub p50: u32,
    pub p90: u32,
    pub p99: u32,
    pub max: u32,
}

/// The table's statistics over its whole life (clears included).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NaptStats {
    /// Most mappings held at once.
    pub peak: u32,
    pub occupancy: OccupancyQuantiles,
    pub drops: NaptDropCounts,
    pub mappings_created: u64,
    /// Mappings removed by their idle timer.
    pub expired: u64,
    /// Mappings lost to [`NaptTable::clear`] (not drops).
    pub cleared: u64,
}

/// `queued_at` of a mapping with no item in the expiry heap.
const NOT_QUEUED: SimTime = SimTime::MAX;

/// The map behind the key lookups: a hash map with a fixed hasher, never iterated, so no
/// outcome depends on its order (BTreeMap cost ~3x more per flow at 4000 entries).
type KeyMap<K, V> = hashbrown::HashMap<K, V, BuildHasherDefault<KeyHasher>>;

/// The mappings' slots by flow key, `(key, slot)`: a hash table whose hash the caller
/// computes ([`key_hash`]), so a new mapping's key is hashed once for its lookup and its
/// insertion. Never iterated either.
type SlotsByKey = hashbrown::HashTable<(u128, u32)>;

/// The fixed hash of a flow key (the same [`KeyHasher`] as the maps').
fn key_hash(key: u128) -> u64 {
    let mut hasher = KeyHasher::default();
    hasher.write_u128(key);
    hasher.finish()
}

/// A fixed, unseeded hash for integer keys (folded 128-bit multiply): deterministic everywhere.
#[derive(Clone, Copy, Debug, Default)]
struct KeyHasher(u64);

impl KeyHasher {
    fn mix(&mut self, word: u64) {
        let product = u128::from(self.0 ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835);
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }
}

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
    }
    fn write_u64(&mut self, word: u64) {
        self.mix(word);
    }
    fn write_u128(&mut self, word: u128) {
        self.mix(word as u64);
        self.mix((word >> 64) as u64);
    }
}

/// An item of the expiry queue: `(deadline, slot, generation)`.
type Timer = (SimTime, u32, u32);

/// Idle deadlines, earliest first. Each timer class (UDP, TCP established, TCP transitory,
/// ICMP) has one timeout, so deadlines queued at `now + timeout` arrive in ascending order
/// and a FIFO per class suffices (O(1)); only deadlines found later than queued (a refresh)
/// go to a small binary heap.
#[derive(Clone, Debug, Default)]
struct ExpiryQueue {
    classes: [VecDeque<Timer>; TIMER_CLASSES],
    later: BinaryHeap<Reverse<Timer>>,
    /// No queued timer is earlier than this: a lower bound that every push lowers and an
    /// expiry check that finds the top raises to it. Most packets come long before the
    /// next deadline, and this lets their check skip looking at five queues.
    not_before: SimTime,
}

/// Where the earliest timer of an [`ExpiryQueue`] sits.
#[derive(Clone, Copy)]
enum TimerSource {
    Class(usize),
    Later,
}

impl ExpiryQueue {
    /// Queues `now + timeout` of `class` (ascending within the class by construction).
    fn push_class(&mut self, class: usize, timer: Timer) {
        if let Some(queue) = self.classes.get_mut(class) {
            queue.push_back(timer);
            self.not_before = self.not_before.min(timer.0);
        }
    }

    /// Queues a deadline found later than its queued one, or any deadline out of its class's
    /// order.
    fn push_later(&mut self, timer: Timer) {
        self.later.push(Reverse(timer));
        self.not_before = self.not_before.min(timer.0);
    }

    /// The earliest timer and where it sits (ties: the heap, then classes in order).
    fn peek(&self) -> Option<(Timer, TimerSource)> {
        let mut best = self.later.peek().map(|&Reverse(t)| (t, TimerSource::Later));
        for (class, queue) in self.classes.iter().enumerate() {
            if let Some(&timer) = queue.front()
                && best.is_none_or(|(b, _)| timer < b)
            {
                best = Some((timer, TimerSource::Class(class)));
            }
        }
        best
    }

    fn pop(&mut self, source: TimerSource) -> Option<Timer> {
        match source {
            TimerSource::Later => self.later.pop().map(|Reverse(t)| t),
            TimerSource::Class(class) => self.classes.get_mut(class)?.pop_front(),
        }
    }

    fn clear(&mut self) {
        for queue in &mut self.classes {
            queue.clear();
        }
        self.later.clear();
    }
}

/// One slot of the mapping slab.
#[derive(Clone, Debug)]
struct Entry {
    key: u128,
    /// Last traffic or session end: the idle timer runs from here once `sessions` is zero.
    last_activity: SimTime,
    /// Time of this mapping's live item in the expiry heap (`NOT_QUEUED` if none); never later
    /// than the true deadline while the mapping is idle.
    queued_at: SimTime,
    generation: u32,
    pool: u32,
    sessions: u32,
    external_port: u16,
    protocol: Protocol,
    /// TCP: the last session ended with a FIN (transitory timeout).
    closing: bool,
    live: bool,
}

/// External ports of one protocol (and, when ports are reused, one destination).
#[derive(Clone, Debug)]
struct PortPool {
    /// `protocol | destination` of a per-destination pool (0 for the per-protocol pools).
    key: u64,
    generation: u32,
    in_use: u32,
    /// How many never-used ports were handed out: ports `offset..offset + fresh_taken` (mod len).
    fresh_taken: u32,
    offset: u32,
    /// Freed ports and the instant each leaves hold-down, oldest first (so ascending instants).
    freed: VecDeque<(SimTime, u16)>,
}

impl PortPool {
    fn new(key: u64, offset: u32) -> PortPool {
        PortPool {
            key,
            generation: 0,
            in_use: 0,
            fresh_taken: 0,
            offset,
            freed: VecDeque::new(),
        }
    }

    /// A never-used port, else the oldest freed port out of hold-down at `now`.
    fn take(&mut self, ports: &[u16], now: SimTime) -> Option<u16> {
        let len = ports.len() as u32;
        if self.fresh_taken < len {
            let index = (self.offset + self.fresh_taken) % len;
            self.fresh_taken += 1;
            return ports.get(index as usize).copied();
        }
        match self.freed.front() {
            Some(&(free_at, port)) if free_at <= now => {
                self.freed.pop_front();
                Some(port)
            }
            _ => None,
        }
    }

    /// Empties the pool for reuse under another key.
    fn reset(&mut self, key: u64, offset: u32) {
        self.key = key;
        self.generation = self.generation.wrapping_add(1);
        self.in_use = 0;
        self.fresh_taken = 0;
        self.offset = offset;
        self.freed.clear();
    }
}

/// What a queued timer means when it surfaces.
enum Top {
    /// The mapping is gone, or the item was superseded.
    Stale,
    /// The mapping has open sessions: it re-queues when the last one ends.
    Pinned,
    /// Refreshed since: the true deadline is later.
    Later(SimTime),
    /// The mapping expires at the item's time.
    Due,
}

/// Occupancy levels whose weights [`Occupancy`] adds up in a plain array (32 KiB): every
/// level of the HGW's 4096-entry table.
const DENSE_OCCUPANCY_LEVELS: usize = 4097;

/// The time-weighted occupancy histogram, fed cheaply. The weights of levels below
/// [`DENSE_OCCUPANCY_LEVELS`] are added up in an array, one add a record, and go into the
/// histogram only when the statistics are read; higher levels are recorded as they come.
/// A histogram's counts add up, so this is exactly the histogram of every record: the same
/// counts, and the same min and max, since a record of zero weight (a call less than a
/// microsecond after the last) still marks its level and goes in at once when the array has
/// nothing for that level yet.
#[derive(Clone, Debug)]
struct Occupancy {
    histogram: Histogram<u64>,
    by_level: Vec<u64>,
}

impl Occupancy {
    /// For a table of `capacity` entries; `None` if hdrhistogram refuses the bounds.
    fn new(capacity: u32) -> Option<Occupancy> {
        let histogram = Histogram::new_with_bounds(1, u64::from(capacity).max(2), 3).ok()?;
        let levels = (capacity as usize).saturating_add(1).min(DENSE_OCCUPANCY_LEVELS);
        Some(Occupancy {
            histogram,
            by_level: vec![0; levels],
        })
    }

    /// The table held `level` entries for `weight` (microseconds).
    #[inline]
    fn record(&mut self, level: u32, weight: u64) {
        match self.by_level.get_mut(level as usize) {
            Some(sum) if weight > 0 || *sum > 0 => *sum = sum.saturating_add(weight),
            _ => self.histogram.saturating_record_n(u64::from(level), weight),
        }
    }

    /// Every record so far, as one histogram.
    fn histogram(&self) -> Histogram<u64> {
        let mut histogram = self.histogram.clone();
        for (level, &weight) in self.by_level.iter().enumerate() {
            if weight > 0 {
                histogram.saturating_record_n(level as u64, weight);
            }
        }
        histogram
    }
}

/// The gateway's NAPT translation table.
#[derive(Clone, Debug)]
pub struct NaptTable {
    config: NaptConfig,
    port_set: PortSet,
    /// The usable external ports of `port_set`, ascending.
    ports: Vec<u16>,
    /// Latest `now` seen: time never runs backwards here.
    now: SimTime,
    entries: Vec<Entry>,
    free_slots: Vec<u32>,
    by_key: SlotsByKey,
    expiry: ExpiryQueue,
    /// Slots 0..3: the per-protocol pools; further slots: per-destination pools.
    pools: Vec<PortPool>,
    free_pools: Vec<u32>,
    pool_by_destination: KeyMap<u64, u32>,
    /// `(instant, pool, generation)`: per-destination pools to recycle once empty and out of hold-down.
    pool_reclaim: VecDeque<(SimTime, u32, u32)>,
    next_pool_offset: u32,
    live: u32,
    peak: u32,
    /// Occupancy weighted by time (`None` only if hdrhistogram refused the bounds).
    occupancy: Option<Occupancy>,
    /// Occupancy is recorded up to here (`None` before the first call).
    accounted_to: Option<SimTime>,
    drops: NaptDropCounts,
    mappings_created: u64,
    expired: u64,
    cleared: u64,
}

impl NaptTable {
    /// Starts loading the earliest idle timers, which every packet's expiry check reads,
    /// and the latest, behind which a new one goes ([`crate::prefetch`]).
    pub fn prefetch_next(&self) {
        for queue in &self.expiry.classes {
            if let Some(front) = queue.front() {
                crate::prefetch::prefetch_line(front);
            }
            if let Some(back) = queue.back() {
                crate::prefetch::prefetch_line(back);
            }
        }
        if let Some(slot) = self.free_slots.last() {
            crate::prefetch::prefetch_line(slot);
        }
        if let Some(top) = self.expiry.later.peek() {
            crate::prefetch::prefetch_line(top);
        }
    }

    /// An empty table whose external ports come from `ports` (ports below 1024 excluded). Its
    /// clock (and the occupancy statistics) start at the first call: `advance(now)` starts it.
    pub fn new(config: NaptConfig, ports: PortSet) -> NaptTable {
        Self::build(config, ports, Occupancy::new(config.capacity))
    }

    /// The same table without its time-weighted occupancy statistics (a histogram and a
    /// per-level array, some tens of kilobytes, never allocated): for tables whose occupancy
    /// quantiles nobody reads (they stay zero), such as the homes of a large area other than
    /// the one its outcome shows in full.
    pub fn new_without_occupancy(config: NaptConfig, ports: PortSet) -> NaptTable {
        Self::build(config, ports, None)
    }

    fn build(config: NaptConfig, ports: PortSet, occupancy: Option<Occupancy>) -> NaptTable {
        NaptTable {
            config,
            port_set: ports,
            ports: usable_ports(&ports),
            now: SimTime::ZERO,
            entries: Vec::new(),
            free_slots: Vec::new(),
            by_key: SlotsByKey::new(),
            expiry: ExpiryQueue::default(),
            pools: Protocol::ALL.map(|_| PortPool::new(0, 0)).to_vec(),
            free_pools: Vec::new(),
            pool_by_destination: KeyMap::default(),
            pool_reclaim: VecDeque::new(),
            next_pool_offset: 0,
            live: 0,
            peak: 0,
            occupancy,
            accounted_to: None,
            drops: NaptDropCounts::default(),
            mappings_created: 0,
            expired: 0,
            cleared: 0,
        }
    }

    /// The configuration the table was built with.
    pub fn config(&self) -> &NaptConfig {
        &self.config
    }

    /// The MAP-E port set external ports come from.
    pub fn port_set(&self) -> PortSet {
        self.port_set
    }

    /// How many external ports each pool can hand out (the port set less ports below 1024).
    pub fn usable_ports(&self) -> u32 {
        self.ports.len() as u32
    }

    /// Mappings held now (after the last call's expiries).
    pub fn len(&self) -> usize {
        self.live as usize
    }

    /// No mapping is held.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Mappings live at `now`: what [`NaptTable::len`] would say after `advance(now)`, read
    /// without changing anything (no expiry, no statistics), so an observer that samples the
    /// table cannot change a run. A mapping whose last session ended is gone at exactly `last
    /// activity + timeout`, as `advance` would expire it. O(slab); `now` before the table's
    /// clock reads the table as it is.
    pub fn live_at(&self, now: SimTime) -> u32 {
        if now <= self.now {
            return self.live;
        }
        let timeouts = &self.config.timeouts;
        let due = self
            .entries
            .iter()
            .filter(|e| {
                e.live && e.sessions == 0 && e.last_activity + timeouts.of(e.protocol, e.closing) <= now
            })
            .count() as u32;
        self.live - due
    }

    /// External ports of `protocol` a new flow cannot have as of the last call's `now`: those
    /// held by mappings (open sessions or an idle timer still running) and those in their
    /// hold-down. An endpoint-independent table drops a new flow of `protocol` exactly when
    /// this reaches [`NaptTable::usable_ports`]; a port-reusing table sums its per-destination
    /// pools, whose ports may repeat.
    pub fn ports_in_use(&self, protocol: Protocol) -> u32 {
        let now = self.now;
        self.pools
            .iter()
            .enumerate()
            .filter(|(slot, pool)| match Protocol::ALL.get(*slot) {
                Some(p) => *p == protocol,
                None => pool.key >> 48 == protocol.index() as u64,
            })
            .map(|(_, pool)| {
                // Freed ports leave hold-down in the order they were freed.
                let free = pool.freed.partition_point(|&(free_at, _)| free_at <= now);
                pool.in_use + (pool.freed.len() - free) as u32
            })
            .sum()
    }

    /// A mapping for a new flow: joins the existing mapping of its key as another session, or
    /// creates one with a fresh external port; a drop is counted in the statistics.
    pub fn open(
        &mut self,
        now: SimTime,
        protocol: Protocol,
        internal: Endpoint,
        destination: Endpoint,
    ) -> Result<Mapping, NaptDrop> {
        let now = self.expire_due(now);
        let key = self.key_of(protocol, internal, destination);
        let hash = key_hash(key);
        if let Some(&(_, slot)) = self.by_key.find(hash, |&(k, _)| k == key)
            && let Some(entry) = self.entries.get_mut(slot as usize)
        {
            entry.sessions = entry.sessions.saturating_add(1);
            entry.last_activity = now;
            entry.closing = false;
            return Ok(Mapping {
                id: MappingId {
                    slot,
                    generation: entry.generation,
                },
                external_port: entry.external_port,
                created: false,
            });
        }
        if self.live >= self.config.capacity {
            self.drops.table_full += 1;
            return Err(NaptDrop::TableFull);
        }
        let Some((pool, external_port)) = self.take_port(now, protocol, destination) else {
            self.drops.port_set_exhausted += 1;
            return Err(NaptDrop::PortSetExhausted);
        };
        let slot = self.vacant_slot();
        let Some(entry) = self.entries.get_mut(slot as usize) else {
            return Err(NaptDrop::TableFull);
        };
        *entry = Entry {
            key,
            last_activity: now,
            queued_at: NOT_QUEUED,
            generation: entry.generation,
            pool,
            sessions: 1,
            external_port,
            protocol,
            closing: false,
            live: true,
        };
        let generation = entry.generation;
        self.by_key
            .insert_unique(hash, (key, slot), |&(k, _)| key_hash(k));
        self.live += 1;
        self.peak = self.peak.max(self.live);
        self.mappings_created += 1;
        Ok(Mapping {
            id: MappingId { slot, generation },
            external_port,
            created: true,
        })
    }

    /// The live mapping of a flow's key, if any (no session is added).
    pub fn lookup(
        &mut self,
        now: SimTime,
        protocol: Protocol,
        internal: Endpoint,
        destination: Endpoint,
    ) -> Option<Mapping> {
        self.expire_due(now);
        let key = self.key_of(protocol, internal, destination);
        let &(_, slot) = self.by_key.find(key_hash(key), |&(k, _)| k == key)?;
        let entry = self.entries.get(slot as usize)?;
        Some(Mapping {
            id: MappingId {
                slot,
                generation: entry.generation,
            },
            external_port: entry.external_port,
            created: false,
        })
    }

    /// The external port of a live mapping.
    pub fn external_port(&self, id: MappingId) -> Option<u16> {
        self.entry(id).map(|e| e.external_port)
    }

    /// Open sessions of a live mapping.
    pub fn sessions(&self, id: MappingId) -> Option<u32> {
        self.entry(id).map(|e| e.sessions)
    }

    /// Traffic on a mapping at `now`: its idle timer restarts. False if the mapping is gone.
    pub fn refresh(&mut self, now: SimTime, id: MappingId) -> bool {
        let now = self.expire_due(now);
        match self.entry_mut(id) {
            Some(entry) => {
                entry.last_activity = now;
                true
            }
            None => false,
        }
    }

    /// A session of the mapping ended at `now` (its last traffic); when none is left, the
    /// idle timer runs from `now`. False if the mapping is gone.
    pub fn end_session(&mut self, now: SimTime, id: MappingId) -> bool {
        self.finish_session(now, id, false)
    }

    /// A session ended with a TCP FIN at `now`: as [`NaptTable::end_session`], and a TCP
    /// mapping left without sessions idles for the transitory timeout. False if it is gone.
    pub fn close(&mut self, now: SimTime, id: MappingId) -> bool {
        self.finish_session(now, id, true)
    }

    /// Expires every mapping due at `now` (each at its own deadline); returns how many.
    pub fn advance(&mut self, now: SimTime) -> u32 {
        let before = self.expired;
        self.expire_due(now);
        (self.expired - before) as u32
    }

    /// The instant the next mapping expires if nothing refreshes it (exact: superseded heap
    /// items are settled first); `None` when every mapping has open sessions or none exists.
    pub fn next_expiry(&mut self) -> Option<SimTime> {
        while let Some((timer @ (at, slot, generation), source)) = self.expiry.peek() {
            if matches!(self.inspect(at, slot, generation), Top::Due) {
                return Some(at);
            }
            self.expiry.pop(source);
            self.settle(timer);
        }
        None
    }

    /// A reboot at `now`: every mapping is lost (counted as `cleared`, not as drops), ports
    /// are all fresh again (the device forgot which it used, so no hold-down) and every
    /// [`MappingId`] goes stale. Statistics carry on.
    pub fn clear(&mut self, now: SimTime) {
        self.expire_due(now);
        self.cleared += u64::from(self.live);
        self.live = 0;
        for entry in &mut self.entries {
            if entry.live {
                entry.live = false;
                entry.generation = entry.generation.wrapping_add(1);
            }
        }
        self.free_slots.clear();
        self.free_slots.extend((0..self.entries.len() as u32).rev());
        self.by_key.clear();
        self.expiry.clear();
        self.pool_by_destination.clear();
        self.pool_reclaim.clear();
        self.free_pools.clear();
        self.free_pools
            .extend((Protocol::ALL.len() as u32..self.pools.len() as u32).rev());
        self.next_pool_offset = 0;
        for pool in &mut self.pools {
            pool.reset(0, 0);
        }
    }

    /// New idle timeouts from `now` on (the user changed the gateway's settings): mappings
    /// keep their last activity and expire by the new timers; nothing is cleared.
    pub fn set_timeouts(&mut self, now: SimTime, timeouts: NaptTimeouts) {
        let now = self.expire_due(now);
        self.config.timeouts = timeouts;
        // The per-class FIFOs were ascending for the old timeouts only: move everything to the
        // heap, which takes any order, and queue earlier deadlines where the timers shrank.
        let expiry = &mut self.expiry;
        for class in 0..TIMER_CLASSES {
            while let Some(timer) = expiry.classes[class].pop_front() {
                expiry.push_later(timer);
            }
        }
        for (slot, entry) in self.entries.iter_mut().enumerate() {
            if !entry.live || entry.sessions > 0 {
                continue;
            }
            let deadline = entry.last_activity + timeouts.of(entry.protocol, entry.closing);
            if deadline < entry.queued_at {
                entry.queued_at = deadline;
                expiry.push_later((deadline, slot as u32, entry.generation));
            }
        }
        self.expire_due(now);
    }

    /// A new port set (a changed MAP rule or prefix) at `now`: the table is cleared as by
    /// [`NaptTable::clear`] and later mappings take ports from `ports`.
    pub fn set_port_set(&mut self, now: SimTime, ports: PortSet) {
        self.clear(now);
        self.port_set = ports;
        self.ports = usable_ports(&ports);
    }

    /// The drops so far (without [`NaptTable::stats`]'s occupancy quantiles).
    pub fn drops(&self) -> NaptDropCounts {
        self.drops
    }

    /// The statistics up to the last call's `now` (call [`NaptTable::advance`] first to
    /// include the time since).
    pub fn stats(&self) -> NaptStats {
        let occupancy = self.occupancy.as_ref().map(Occupancy::histogram);
        let quantile = |q: f64| -> u32 {
            match &occupancy {
                Some(h) if !h.is_empty() => u32::try_from(h.value_at_quantile(q))
                    .unwrap_or(u32::MAX)
                    .min(self.peak),
                _ => 0,
            }
        };
        NaptStats {
            peak: self.peak,
            occupancy: OccupancyQuantiles {
                p50: quantile(0.50),
                p90: quantile(0.90),
                p99: quantile(0.99),
                max: match &occupancy {
                    Some(h) if !h.is_empty() => u32::try_from(h.max()).unwrap_or(u32::MAX).min(self.peak),
                    _ => 0,
                },
            },
            drops: self.drops,
            mappings_created: self.mappings_created,
            expired: self.expired,
            cleared: self.cleared,
        }
    }

    // ---- internals ----

    /// Moves the clock to `now` (never backwards) and expires what is due; returns the clock.
    fn expire_due(&mut self, now: SimTime) -> SimTime {
        let now = now.max(self.now);
        self.now = now;
        if self.accounted_to.is_none() {
            self.accounted_to = Some(now);
        }
        while now >= self.expiry.not_before {
            let Some((timer @ (at, _, _), source)) = self.expiry.peek() else {
                self.expiry.not_before = NOT_QUEUED;
                break;
            };
            if at > now {
                self.expiry.not_before = at;
                break;
            }
            self.expiry.pop(source);
            if let Some(slot) = self.settle(timer) {
                self.expire(slot, at);
            }
        }
        self.reclaim_pools(now);
        self.account_until(now);
        now
    }

    /// What the queued timer `(at, slot, generation)` means now.
    fn inspect(&self, at: SimTime, slot: u32, generation: u32) -> Top {
        let Some(entry) = self.entries.get(slot as usize) else {
            return Top::Stale;
        };
        if !entry.live || entry.generation != generation || entry.queued_at != at {
            return Top::Stale;
        }
        if entry.sessions > 0 {
            return Top::Pinned;
        }
        let deadline = entry.last_activity + self.config.timeouts.of(entry.protocol, entry.closing);
        if deadline > at {
            Top::Later(deadline)
        } else {
            Top::Due
        }
    }

    /// Acts on a timer just taken from the queue; returns the slot if that mapping is due.
    fn settle(&mut self, (at, slot, generation): Timer) -> Option<u32> {
        let top = self.inspect(at, slot, generation);
        let entry = self.entries.get_mut(slot as usize)?;
        match top {
            Top::Stale => None,
            Top::Pinned => {
                entry.queued_at = NOT_QUEUED;
                None
            }
            Top::Later(deadline) => {
                entry.queued_at = deadline;
                self.expiry.push_later((deadline, slot, generation));
                None
            }
            Top::Due => {
                entry.queued_at = NOT_QUEUED;
                Some(slot)
            }
        }
    }

    /// Removes mapping `slot` at its deadline `at`, freeing its port into hold-down.
    fn expire(&mut self, slot: u32, at: SimTime) {
        self.account_until(at);
        let Some(entry) = self.entries.get_mut(slot as usize) else {
            return;
        };
        entry.live = false;
        entry.generation = entry.generation.wrapping_add(1);
        let (key, pool_slot, port) = (entry.key, entry.pool, entry.external_port);
        if let Ok(found) = self.by_key.find_entry(key_hash(key), |&(k, _)| k == key) {
            found.remove();
        }
        self.free_slots.push(slot);
        self.live -= 1;
        self.expired += 1;
        let hold_down = self.config.hold_down;
        let Some(pool) = self.pools.get_mut(pool_slot as usize) else {
            return;
        };
        pool.in_use = pool.in_use.saturating_sub(1);
        pool.freed.push_back((at + hold_down, port));
        if pool_slot as usize >= Protocol::ALL.len() && pool.in_use == 0 {
            self.pool_reclaim
                .push_back((at + hold_down, pool_slot, pool.generation));
        }
    }

    /// Recycles per-destination pools that stayed empty until their last port left hold-down.
    fn reclaim_pools(&mut self, now: SimTime) {
        while let Some(&(at, slot, generation)) = self.pool_reclaim.front() {
            if at > now {
                break;
            }
            self.pool_reclaim.pop_front();
            let Some(pool) = self.pools.get_mut(slot as usize) else {
                continue;
            };
            let settled = pool.freed.back().is_none_or(|&(free_at, _)| free_at <= now);
            if pool.generation == generation && pool.in_use == 0 && settled {
                self.pool_by_destination.remove(&pool.key);
                pool.reset(0, 0);
                self.free_pools.push(slot);
            }
        }
    }

    /// A port for a new mapping of `protocol` to `destination`, and the pool it came from.
    fn take_port(&mut self, now: SimTime, protocol: Protocol, destination: Endpoint) -> Option<(u32, u16)> {
        if self.ports.is_empty() {
            return None;
        }
        let pool_slot = match self.config.mapping {
            MappingBehaviour::EndpointIndependent => protocol.index() as u32,
            MappingBehaviour::PortReuseAcrossDestinations => self.destination_pool(protocol, destination),
        };
        let pool = self.pools.get_mut(pool_slot as usize)?;
        let port = pool.take(&self.ports, now)?;
        pool.in_use += 1;
        Some((pool_slot, port))
    }

    /// The pool of `(protocol, destination)`, created if missing.
    fn destination_pool(&mut self, protocol: Protocol, destination: Endpoint) -> u32 {
        let key = ((protocol.index() as u64) << 48) | destination.bits();
        if let Some(&slot) = self.pool_by_destination.get(&key) {
            return slot;
        }
        let offset = self.next_pool_offset;
        self.next_pool_offset = (offset + 1) % self.ports.len().max(1) as u32;
        let slot = match self.free_pools.pop() {
            Some(slot) => {
                if let Some(pool) = self.pools.get_mut(slot as usize) {
                    pool.reset(key, offset);
                }
                slot
            }
            None => {
                self.pools.push(PortPool::new(key, offset));
                (self.pools.len() - 1) as u32
            }
        };
        self.pool_by_destination.insert(key, slot);
        slot
    }

    fn finish_session(&mut self, now: SimTime, id: MappingId, fin: bool) -> bool {
        let now = self.expire_due(now);
        let timeouts = self.config.timeouts;
        let Some(entry) = self.entry_mut(id) else {
            return false;
        };
        entry.sessions = entry.sessions.saturating_sub(1);
        entry.last_activity = now;
        entry.closing = fin;
        if entry.sessions == 0 {
            let deadline = now + timeouts.of(entry.protocol, entry.closing);
            // Keep one item no later than the deadline; an earlier one is re-queued when it surfaces.
            if deadline < entry.queued_at {
                entry.queued_at = deadline;
                let class = timer_class(entry.protocol, entry.closing);
                self.expiry.push_class(class, (deadline, id.slot, id.generation));
            }
            if deadline <= now {
                // A zero timeout: the mapping is gone at once.
                self.expire_due(now);
            }
        }
        true
    }

    /// Records the occupancy held since the last record, up to `at`.
    fn account_until(&mut self, at: SimTime) {
        let Some(from) = self.accounted_to else {
            self.accounted_to = Some(at);
            return;
        };
        if at > from {
            if let Some(occupancy) = &mut self.occupancy {
                // Weighted in microseconds: a 3-year run stays below 2^53, where hdrhistogram's
                // f64 quantile arithmetic is exact (nanoseconds made the top quantile read 0).
                occupancy.record(self.live, at.since(from).as_micros());
            }
            self.accounted_to = Some(at);
        }
    }

    fn key_of(&self, protocol: Protocol, internal: Endpoint, destination: Endpoint) -> u128 {
        let destination = match self.config.mapping {
            MappingBehaviour::EndpointIndependent => 0,
            MappingBehaviour::PortReuseAcrossDestinations => destination.bits(),
        };
        ((protocol.index() as u128) << 96) | (u128::from(internal.bits()) << 48) | u128::from(destination)
    }

    /// A free slot of the mapping slab (its generation already past every stale id).
    fn vacant_slot(&mut self) -> u32 {
        if let Some(slot) = self.free_slots.pop() {
            return slot;
        }
        self.entries.push(Entry {
            key: 0,
            last_activity: SimTime::ZERO,
            queued_at: NOT_QUEUED,
            generation: 0,
            pool: 0,
            sessions: 0,
            external_port: 0,
            protocol: Protocol::Udp,
            closing: false,
            live: false,
        });
        (self.entries.len() - 1) as u32
    }

    fn entry(&self, id: MappingId) -> Option<&Entry> {
        self.entries
            .get(id.slot as usize)
            .filter(|e| e.live && e.generation == id.generation)
    }

    fn entry_mut(&mut self, id: MappingId) -> Option<&mut Entry> {
        self.entries
            .get_mut(id.slot as usize)
            .filter(|e| e.live && e.generation == id.generation)
    }
}

/// The ports of `set` a mapping may use, ascending: all but 0..=1023.
fn usable_ports(set: &PortSet) -> Vec<u16> {
    set.ranges()
        .filter(|&(_, last)| last >= LOWEST_EXTERNAL_PORT)
        .flat_map(|(first, last)| first.max(LOWEST_EXTERNAL_PORT)..=last)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{StreamId, Streams};
    use rand::RngExt;
    use std::collections::{BTreeMap, BTreeSet};

    fn at(secs: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(secs)
    }

    /// v6 plus, PSID 212 (domain.md's test vector): 240 ports, 7488-7503 … 64832-64847.
    fn v6plus() -> PortSet {
        PortSet::new(4, 8, 212).expect("valid")
    }

    /// 15 ports (m = 0): 0x10d4, 0x20d4, … 0xf0d4.
    fn tiny() -> PortSet {
        PortSet::new(4, 12, 0xd4).expect("valid")
    }

    /// The `i`-th LAN client endpoint (distinct for every `i` below 2^24).
    fn client(i: u32) -> Endpoint {
        Endpoint::new(
            Ipv4Addr::new(192, 168, (i >> 16) as u8, 2 + (i % 200) as u8),
            40_000 + (i / 200) as u16,
        )
    }

    fn server(i: u32) -> Endpoint {
        Endpoint::new(
            Ipv4Addr::new(203, 0, 113, (i % 250) as u8 + 1),
            443 + (i / 250) as u16,
        )
    }

    fn eim() -> NaptConfig {
        NaptConfig::default()
    }

    fn reuse() -> NaptConfig {
        NaptConfig {
            mapping: MappingBehaviour::PortReuseAcrossDestinations,
            ..NaptConfig::default()
        }
    }

    #[test]
    fn endpoint_independent_v6plus_holds_exactly_its_240_ports() {
        let mut napt = NaptTable::new(eim(), v6plus());
        assert_eq!(napt.usable_ports(), 240);
        let mut ports = BTreeSet::new();
        for i in 0..240 {
            let m = napt
                .open(at(1), Protocol::Udp, client(i), server(i % 7))
                .expect("room");
            assert!(m.created);
            assert!(v6plus().contains(m.external_port), "{}", m.external_port);
            ports.insert(m.external_port);
        }
        assert_eq!(ports.len(), 240, "distinct ports");
        assert_eq!(
            napt.open(at(1), Protocol::Udp, client(240), server(0)),
            Err(NaptDrop::PortSetExhausted)
        );
        assert_eq!(napt.len(), 240);
        assert!(
            napt.len() * 10 < napt.config().capacity as usize,
            "4096 is nowhere near"
        );
        // Ports are per protocol: TCP has its own 240.
        assert!(napt.open(at(1), Protocol::Tcp, client(240), server(0)).is_ok());
        let stats = napt.stats();
        assert_eq!(stats.peak, 241);
        assert_eq!(
            stats.drops,
            NaptDropCounts {
                table_full: 0,
                port_set_exhausted: 1
            }
        );
        assert_eq!(stats.mappings_created, 241);
    }

    #[test]
    fn a_full_table_is_reported_before_an_exhausted_port_set() {
        let mut napt = NaptTable::new(
            NaptConfig {
                capacity: 240,
                ..eim()
            },
            v6plus(),
        );
        for i in 0..240 {
            assert!(napt.open(at(0), Protocol::Udp, client(i), server(0)).is_ok());
        }
        // Both apply: no UDP port is free and the table is full.
        assert_eq!(
            napt.open(at(0), Protocol::Udp, client(240), server(0)),
            Err(NaptDrop::TableFull)
        );
        // Joining an existing mapping needs no entry: allowed even when full.
        assert!(
            napt.open(at(0), Protocol::Udp, client(3), server(9))
                .is_ok_and(|m| !m.created)
        );
        assert_eq!(
            napt.stats().drops,
            NaptDropCounts {
                table_full: 1,
                port_set_exhausted: 0
            }
        );
    }

    #[test]
    fn port_reuse_outgrows_the_port_set_until_the_table_is_full() {
        let mut napt = NaptTable::new(reuse(), v6plus());
        let mut held = BTreeSet::new();
        let mut opened = 0u32;
        let drop = loop {
            let i = opened;
            match napt.open(at(1), Protocol::Udp, client(i), server(i % 32)) {
                Ok(m) => {
                    assert!(m.created);
                    assert!(v6plus().contains(m.external_port));
                    // Never two mappings on one port towards the same destination.
                    assert!(held.insert((m.external_port, server(i % 32))), "{i}");
                    opened += 1;
                }
                Err(drop) => break drop,
            }
        };
        assert_eq!(drop, NaptDrop::TableFull);
        assert_eq!(opened, 4096, "exactly the capacity");
        assert!(opened > 240);
        assert_eq!(napt.len(), 4096);
        // Capacity is checked first: a destination whose ports are all taken still says TableFull.
        let stats = napt.stats();
        assert_eq!(stats.drops.table_full, 1);
        assert_eq!(stats.drops.port_set_exhausted, 0);
        assert_eq!(stats.peak, 4096);
    }

    #[test]
    fn port_reuse_still_exhausts_towards_one_destination() {
        let mut napt = NaptTable::new(reuse(), v6plus());
        for i in 0..240 {
            assert!(napt.open(at(1), Protocol::Tcp, client(i), server(0)).is_ok());
        }
        assert_eq!(
            napt.open(at(1), Protocol::Tcp, client(240), server(0)),
            Err(NaptDrop::PortSetExhausted)
        );
        assert!(napt.open(at(1), Protocol::Tcp, client(240), server(1)).is_ok());
        // The same internal endpoint to another destination is a mapping of its own.
        let again = napt
            .open(at(1), Protocol::Tcp, client(0), server(2))
            .expect("room");
        assert!(again.created);
    }

    #[test]
    fn every_port_lies_in_the_set_and_well_known_ports_are_excluded() {
        for set in [
            v6plus(),
            tiny(),
            PortSet::new(6, 6, 5).expect("OCN"),
            PortSet::new(0, 4, 0).expect("a = 0"),
            PortSet::all(),
        ] {
            let mut napt = NaptTable::new(
                NaptConfig {
                    capacity: 70_000,
                    ..eim()
                },
                set,
            );
            let expected = set.iter().filter(|&p| p >= LOWEST_EXTERNAL_PORT).count() as u32;
            assert_eq!(napt.usable_ports(), expected);
            let mut seen = BTreeSet::new();
            for i in 0..expected {
                let m = napt
                    .open(at(0), Protocol::Udp, client(i), server(0))
                    .expect("room");
                assert!(set.contains(m.external_port) && m.external_port >= 1024);
                assert!(seen.insert(m.external_port));
            }
            assert_eq!(
                napt.open(at(0), Protocol::Udp, client(expected), server(0)),
                Err(NaptDrop::PortSetExhausted)
            );
        }
        assert_eq!(NaptTable::new(eim(), PortSet::all()).usable_ports(), 64_512);
        assert_eq!(
            NaptTable::new(eim(), PortSet::new(0, 4, 0).expect("ok")).usable_ports(),
            3072
        );
    }

    #[test]
    fn endpoint_independent_mapping_shares_the_port_across_destinations() {
        let mut napt = NaptTable::new(eim(), v6plus());
        let a = napt
            .open(at(0), Protocol::Udp, client(0), server(0))
            .expect("room");
        let b = napt
            .open(at(1), Protocol::Udp, client(0), server(1))
            .expect("room");
        assert_eq!(a.external_port, b.external_port);
        assert_eq!(a.id, b.id);
        assert!(a.created && !b.created);
        assert_eq!(napt.sessions(a.id), Some(2));
        assert_eq!(napt.len(), 1);
        // The first session's end leaves the mapping pinned by the second.
        assert!(napt.end_session(at(2), a.id));
        assert_eq!(napt.advance(at(10_000)), 0);
        assert_eq!(napt.next_expiry(), None);
        assert!(napt.end_session(at(10_000), b.id));
        assert_eq!(napt.next_expiry(), Some(at(10_300)));
        // A new session pins the idle mapping again, however long it lasts.
        let c = napt
            .open(at(10_100), Protocol::Udp, client(0), server(2))
            .expect("room");
        assert_eq!(c.id, a.id);
        assert_eq!(napt.advance(at(20_000)), 0);
        assert_eq!(napt.next_expiry(), None);
        assert_eq!(napt.external_port(c.id), Some(a.external_port));
    }

    #[test]
    fn a_freed_port_is_held_down_for_120_seconds() {
        let mut napt = NaptTable::new(eim(), tiny());
        let ids: Vec<Mapping> = (0..15)
            .map(|i| {
                napt.open(at(0), Protocol::Udp, client(i), server(0))
                    .expect("room")
            })
            .collect();
        let freed = ids[3];
        assert!(napt.end_session(at(10), freed.id));
        // Expires at 10 + 300 s; its port is held until 430 s.
        assert_eq!(napt.advance(at(310)), 1);
        assert_eq!(napt.external_port(freed.id), None);
        let just_before = at(430) + SimDuration::ZERO;
        let before = SimTime::from_nanos(just_before.as_nanos() - 1);
        assert_eq!(
            napt.open(at(310), Protocol::Udp, client(100), server(0)),
            Err(NaptDrop::PortSetExhausted)
        );
        assert_eq!(
            napt.open(before, Protocol::Udp, client(100), server(0)),
            Err(NaptDrop::PortSetExhausted)
        );
        let reused = napt
            .open(at(430), Protocol::Udp, client(100), server(0))
            .expect("out of hold-down");
        assert_eq!(reused.external_port, freed.external_port);
        assert_eq!(napt.stats().drops.port_set_exhausted, 2);
        // Two ports freed 10 s apart come back in the order they were freed, each after its own hold-down.
        assert!(napt.end_session(at(500), ids[9].id));
        assert!(napt.end_session(at(510), ids[1].id));
        assert_eq!(napt.advance(at(810)), 2);
        let first = napt
            .open(at(920), Protocol::Udp, client(101), server(0))
            .expect("freed at 800");
        assert_eq!(first.external_port, ids[9].external_port);
        assert_eq!(
            napt.open(at(920), Protocol::Udp, client(102), server(0)),
            Err(NaptDrop::PortSetExhausted),
            "the port freed at 810 s is held until 930 s"
        );
        let second = napt
            .open(at(930), Protocol::Udp, client(102), server(0))
            .expect("freed at 810");
        assert_eq!(second.external_port, ids[1].external_port);
    }

    #[test]
    fn hold_down_runs_from_the_deadline_even_when_expiry_is_noticed_late() {
        let mut napt = NaptTable::new(eim(), tiny());
        for i in 0..15 {
            let m = napt
                .open(at(0), Protocol::Udp, client(i), server(0))
                .expect("room");
            if i == 0 {
                assert!(napt.end_session(at(0), m.id));
            }
        }
        // Nobody called since: the mapping expired at 300 s, its port is free from 420 s.
        assert!(napt.open(at(420), Protocol::Udp, client(99), server(0)).is_ok());
    }

    #[test]
    fn port_reuse_holds_down_per_destination() {
        let mut napt = NaptTable::new(reuse(), tiny());
        let first = napt
            .open(at(0), Protocol::Udp, client(0), server(0))
            .expect("room");
        for i in 1..15 {
            assert!(napt.open(at(0), Protocol::Udp, client(i), server(0)).is_ok());
        }
        assert!(napt.end_session(at(0), first.id));
        assert_eq!(napt.advance(at(300)), 1);
        assert_eq!(
            napt.open(at(300), Protocol::Udp, client(50), server(0)),
            Err(NaptDrop::PortSetExhausted),
            "held down towards this destination"
        );
        assert!(napt.open(at(300), Protocol::Udp, client(50), server(1)).is_ok());
        let back = napt
            .open(at(420), Protocol::Udp, client(51), server(0))
            .expect("free again");
        assert_eq!(back.external_port, first.external_port);
    }

    #[test]
    fn idle_expiry_is_at_exactly_the_timeout_and_refresh_postpones_it() {
        let mut napt = NaptTable::new(eim(), v6plus());
        let m = napt
            .open(at(10), Protocol::Udp, client(0), server(0))
            .expect("room");
        assert!(napt.end_session(at(20), m.id));
        assert_eq!(napt.next_expiry(), Some(at(320)));
        let before = SimTime::from_nanos(at(320).as_nanos() - 1);
        assert_eq!(napt.advance(before), 0);
        assert!(napt.lookup(before, Protocol::Udp, client(0), server(9)).is_some());
        assert_eq!(napt.advance(at(320)), 1);
        assert!(
            napt.lookup(at(320), Protocol::Udp, client(0), server(0))
                .is_none()
        );
        assert!(!napt.refresh(at(320), m.id), "stale id");

        let m = napt
            .open(at(400), Protocol::Udp, client(1), server(0))
            .expect("room");
        assert!(napt.end_session(at(400), m.id));
        assert!(napt.refresh(at(650), m.id));
        assert_eq!(napt.advance(at(700)), 0, "refreshed at 650");
        assert_eq!(napt.next_expiry(), Some(at(950)));
        assert_eq!(napt.advance(at(949)), 0);
        assert_eq!(napt.advance(at(950)), 1);
        assert_eq!(napt.stats().expired, 2);
        // ICMP and TCP have their own timers.
        let icmp = napt
            .open(at(1000), Protocol::Icmp, client(2), server(0))
            .expect("room");
        let tcp = napt
            .open(at(1000), Protocol::Tcp, client(3), server(0))
            .expect("room");
        napt.end_session(at(1000), icmp.id);
        napt.end_session(at(1000), tcp.id);
        assert_eq!(napt.next_expiry(), Some(at(1060)));
        assert_eq!(napt.advance(at(1060)), 1);
        assert_eq!(napt.next_expiry(), Some(at(1000 + 7440)));
    }

    #[test]
    fn tcp_close_moves_to_the_transitory_timer() {
        let mut napt = NaptTable::new(eim(), v6plus());
        let m = napt
            .open(at(0), Protocol::Tcp, client(0), server(0))
            .expect("room");
        assert!(napt.refresh(at(100), m.id));
        assert!(napt.close(at(200), m.id));
        assert_eq!(napt.next_expiry(), Some(at(440)));
        assert_eq!(napt.advance(at(439)), 0);
        assert_eq!(napt.advance(at(440)), 1);

        // Ended without a FIN: the established timer; a FIN later shortens it.
        let m = napt
            .open(at(500), Protocol::Tcp, client(1), server(0))
            .expect("room");
        assert!(napt.end_session(at(500), m.id));
        assert_eq!(napt.next_expiry(), Some(at(500 + 7440)));
        let again = napt
            .open(at(600), Protocol::Tcp, client(1), server(1))
            .expect("room");
        assert_eq!(again.id, m.id);
        assert!(napt.close(at(700), m.id));
        assert_eq!(napt.next_expiry(), Some(at(940)));
        assert_eq!(napt.advance(at(940)), 1);
        assert!(napt.is_empty());
        // A new session on a closing mapping makes it established again.
        let m = napt
            .open(at(1000), Protocol::Tcp, client(2), server(0))
            .expect("room");
        assert!(napt.close(at(1000), m.id));
        assert!(napt.open(at(1100), Protocol::Tcp, client(2), server(0)).is_ok());
        assert!(napt.end_session(at(1200), m.id));
        assert_eq!(napt.next_expiry(), Some(at(1200 + 7440)));
        // The HGW preset's transitory timer.
        let mut hgw = NaptTable::new(NaptConfig::hgw(), v6plus());
        let m = hgw
            .open(at(0), Protocol::Tcp, client(0), server(0))
            .expect("room");
        hgw.close(at(0), m.id);
        assert_eq!(hgw.next_expiry(), Some(at(60)));
    }

    #[test]
    fn ports_in_use_counts_mappings_idle_timers_and_hold_down() {
        // The HGW's timers: TCP after FIN 60 s, then the port is held down for 120 s.
        let mut napt = NaptTable::new(NaptConfig::hgw(), v6plus());
        let mut ids = Vec::new();
        for i in 0..240 {
            ids.push(
                napt.open(at(0), Protocol::Tcp, client(i), server(i % 7))
                    .expect("room")
                    .id,
            );
        }
        assert_eq!(napt.ports_in_use(Protocol::Tcp), 240);
        assert_eq!(
            napt.ports_in_use(Protocol::Udp),
            0,
            "each protocol has its own ports"
        );
        for id in &ids[..100] {
            napt.close(at(10), *id);
        }
        // Closed but idling: still mapped, still in use.
        napt.advance(at(69));
        assert_eq!((napt.len(), napt.ports_in_use(Protocol::Tcp)), (240, 240));
        // Expired at 70 s: the 100 ports wait out their hold-down.
        napt.advance(at(71));
        assert_eq!((napt.len(), napt.ports_in_use(Protocol::Tcp)), (140, 240));
        assert_eq!(
            napt.open(at(71), Protocol::Tcp, client(1000), server(0)),
            Err(NaptDrop::PortSetExhausted),
            "in use means a new flow finds no port"
        );
        // Free again at 190 s.
        napt.advance(at(190));
        assert_eq!(napt.ports_in_use(Protocol::Tcp), 140);
        assert!(napt.open(at(190), Protocol::Tcp, client(1000), server(0)).is_ok());
        assert_eq!(napt.ports_in_use(Protocol::Tcp), 141);
        // A port-reusing table sums its per-destination pools.
        let mut reuse_table = NaptTable::new(reuse(), v6plus());
        for i in 0..10 {
            reuse_table
                .open(at(0), Protocol::Udp, client(0), server(i))
                .expect("room");
        }
        assert_eq!(reuse_table.ports_in_use(Protocol::Udp), 10);
        assert_eq!(reuse_table.ports_in_use(Protocol::Tcp), 0);
    }

    #[test]
    fn clear_empties_the_table_and_drops_nothing() {
        let mut napt = NaptTable::new(eim(), tiny());
        let first = napt
            .open(at(0), Protocol::Udp, client(0), server(0))
            .expect("room");
        let mut ids = vec![first];
        for i in 1..15 {
            ids.push(
                napt.open(at(1), Protocol::Udp, client(i), server(0))
                    .expect("room"),
            );
        }
        napt.end_session(at(2), ids[5].id);
        napt.clear(at(60));
        assert!(napt.is_empty());
        assert_eq!(napt.next_expiry(), None);
        let stats = napt.stats();
        assert_eq!(stats.drops, NaptDropCounts::default());
        assert_eq!(stats.cleared, 15);
        assert_eq!(stats.expired, 0);
        assert!(
            ids.iter().all(|m| !napt.refresh(at(61), m.id)),
            "every id is stale"
        );
        // After the reboot every port is fresh: the first port again, no hold-down.
        let after = napt
            .open(at(61), Protocol::Udp, client(7), server(0))
            .expect("room");
        assert_eq!(after.external_port, first.external_port);
        assert_ne!(after.id, first.id);
        assert_eq!(napt.advance(at(10_000)), 0, "nothing left from before the reboot");
        let mut reuse = NaptTable::new(reuse(), tiny());
        for i in 0..40 {
            reuse
                .open(at(0), Protocol::Udp, client(i), server(i))
                .expect("room");
        }
        reuse.clear(at(1));
        assert!(reuse.is_empty() && reuse.pool_by_destination.is_empty());
        assert!(reuse.open(at(2), Protocol::Udp, client(0), server(0)).is_ok());
    }

    #[test]
    fn statistics_count_peak_drops_and_time_weighted_occupancy() {
        let mut napt = NaptTable::new(
            NaptConfig {
                capacity: 100,
                ..eim()
            },
            v6plus(),
        );
        // 10 mappings from 0 s to 90 s, 100 from 90 s to 100 s.
        for i in 0..10 {
            napt.open(at(0), Protocol::Udp, client(i), server(0))
                .expect("room");
        }
        for i in 10..100 {
            napt.open(at(90), Protocol::Udp, client(i), server(0))
                .expect("room");
        }
        assert_eq!(
            napt.open(at(90), Protocol::Udp, client(100), server(0)),
            Err(NaptDrop::TableFull)
        );
        napt.advance(at(100));
        let stats = napt.stats();
        assert_eq!(stats.peak, 100);
        assert_eq!(
            stats.occupancy,
            OccupancyQuantiles {
                p50: 10,
                p90: 10,
                p99: 100,
                max: 100
            }
        );
        assert_eq!(stats.drops.table_full, 1);
        assert_eq!(stats.mappings_created, 100);
        let json = serde_json::to_string(&stats).expect("serialize");
        assert_eq!(
            json,
            r#"{"peak":100,"occupancy":{"p50":10,"p90":10,"p99":100,"max":100},"drops":{"table_full":1,"port_set_exhausted":0},"mappings_created":100,"expired":0,"cleared":0}"#
        );
        let back: NaptStats = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, stats);

        // Occupancy counts time until each mapping's own deadline, even if noticed late.
        let mut lone = NaptTable::new(eim(), v6plus());
        let m = lone
            .open(at(0), Protocol::Udp, client(0), server(0))
            .expect("room");
        lone.end_session(at(0), m.id);
        lone.advance(at(600));
        let s = lone.stats();
        assert_eq!(
            (s.occupancy.p50, s.occupancy.p90, s.peak, s.expired),
            (0, 1, 1, 1)
        );
        assert_eq!(NaptTable::new(eim(), v6plus()).stats(), NaptStats::default());
    }

    #[test]
    fn reading_ahead_is_observation_only_where_advancing_is_not() {
        // The same calls, one table also asked `live_at` in between, one also `advance`d.
        let calls = |extra: &mut dyn FnMut(&mut NaptTable, SimTime)| {
            let mut napt = NaptTable::new(eim(), v6plus());
            extra(&mut napt, at(0));
            for i in 0..10 {
                napt.open(at(100), Protocol::Udp, client(i), server(0))
                    .expect("room");
            }
            extra(&mut napt, at(150));
            napt.advance(at(180));
            napt.stats()
        };
        let plain = calls(&mut |_, _| {});
        let read = calls(&mut |n, t| {
            let _ = n.live_at(t);
        });
        let advanced = calls(&mut |n, t| {
            n.advance(t);
        });
        assert_eq!(plain, read);
        // `advance` starts the table's clock early: 100 s at zero entries before the 80 s at
        // ten move the median.
        assert_eq!((plain.occupancy.p50, advanced.occupancy.p50), (10, 0));
    }

    /// A deterministic churn: `flows` UDP/TCP flows from a small home, seeded.
    fn churn(
        config: NaptConfig,
        ports: PortSet,
        seed: u64,
        flows: u32,
    ) -> (Vec<Result<u16, NaptDrop>>, NaptStats) {
        let mut rng = Streams::new(seed).rng(StreamId::named("test/napt"));
        let mut napt = NaptTable::new(config, ports);
        let mut open: Vec<(SimTime, MappingId, bool)> = Vec::new();
        let mut now = SimTime::ZERO;
        let mut results = Vec::new();
        for n in 0..flows {
            now = now + SimDuration::from_millis(rng.random_range(1..1000));
            // End the sessions that are over, in the order they were opened.
            open.retain(|&(end, id, fin)| {
                if end <= now {
                    if fin {
                        napt.close(end.max(SimTime::ZERO), id);
                    } else {
                        napt.end_session(end, id);
                    }
                    false
                } else {
                    true
                }
            });
            let protocol = if rng.random_bool(0.7) {
                Protocol::Udp
            } else {
                Protocol::Tcp
            };
            let internal = client(rng.random_range(0..20) * 1000 + n % 1000);
            let destination = server(rng.random_range(0..50));
            let result = napt.open(now, protocol, internal, destination);
            if let Ok(m) = result {
                let length = SimDuration::from_millis(rng.random_range(100..20_000));
                open.push((now + length, m.id, protocol == Protocol::Tcp));
            }
            results.push(result.map(|m| m.external_port));
        }
        napt.advance(now);
        (results, napt.stats())
    }

    #[test]
    fn the_same_calls_give_the_same_ports() {
        let a = churn(NaptConfig::default(), v6plus(), 7, 5000);
        let b = churn(NaptConfig::default(), v6plus(), 7, 5000);
        assert_eq!(a, b);
        assert!(
            a.1.drops.port_set_exhausted > 0,
            "the workload reaches exhaustion"
        );
        let c = churn(reuse(), v6plus(), 7, 5000);
        assert_eq!(c, churn(reuse(), v6plus(), 7, 5000));
        // Port choice: never-used ports first, ascending through the set.
        let mut napt = NaptTable::new(eim(), v6plus());
        let first: Vec<u16> = (0..20)
            .map(|i| {
                napt.open(at(0), Protocol::Udp, client(i), server(0))
                    .expect("room")
                    .external_port
            })
            .collect();
        assert_eq!(first, v6plus().iter().take(20).collect::<Vec<_>>());
    }

    #[test]
    fn occupancy_added_up_by_level_is_the_histogram_of_every_record() {
        // Levels held over many calls (`advance` changes nothing) and raised by opens (the
        // sessions stay open, so nothing expires): the quantiles are those of a histogram
        // fed one record per call, as the table kept before it added records up.
        use rand::Rng;
        let mut napt = NaptTable::new(eim(), v6plus());
        let high = u64::from(eim().capacity).max(2);
        let mut reference = Histogram::<u64>::new_with_bounds(1, high, 3).expect("bounds");
        let mut rng = Streams::new(5).rng(StreamId::named("test/occupancy"));
        let (mut t, mut last, mut level, mut opened) = (at(0), at(0), 0u64, 0u32);
        napt.advance(t);
        for _ in 0..3_000 {
            // Steps of 0 to 3 s, some shorter than a microsecond (a zero-weight record).
            t = t + SimDuration::from_nanos(rng.next_u64() % 3_000_000_000);
            if t > last {
                reference.saturating_record_n(level, t.since(last).as_micros());
                last = t;
            }
            if opened < 200 && rng.next_u64().is_multiple_of(16) {
                napt.open(t, Protocol::Udp, client(opened), server(0))
                    .expect("room");
                opened += 1;
                level += 1;
            } else {
                napt.advance(t);
            }
        }
        let stats = napt.stats();
        let quantile = |q: f64| reference.value_at_quantile(q) as u32;
        assert_eq!(
            (
                stats.occupancy.p50,
                stats.occupancy.p90,
                stats.occupancy.p99,
                stats.occupancy.max
            ),
            (
                quantile(0.5),
                quantile(0.9),
                quantile(0.99),
                reference.max() as u32
            )
        );
        assert!(stats.occupancy.p50 > 0 && stats.occupancy.p50 < stats.occupancy.max);
    }

    #[test]
    fn occupancy_array_gives_the_histogram_of_every_record() {
        use rand::Rng;
        let mut rng = Streams::new(9).rng(StreamId::named("test/occupancy-array"));
        let mut random_records = |levels: u64| {
            (0..5_000)
                .map(|_| {
                    let level = (rng.next_u64() % levels) as u32;
                    let weight = if rng.next_u64().is_multiple_of(4) {
                        0
                    } else {
                        rng.next_u64() % 1_000_000
                    };
                    (level, weight)
                })
                .collect::<Vec<_>>()
        };
        let check = |capacity: u32, records: &[(u32, u64)], top: u64| {
            let mut occupancy = Occupancy::new(capacity).expect("bounds");
            let mut reference = Histogram::<u64>::new_with_bounds(1, u64::from(capacity), 3).expect("bounds");
            for &(level, weight) in records {
                occupancy.record(level, weight);
                reference.saturating_record_n(u64::from(level), weight);
            }
            let histogram = occupancy.histogram();
            assert_eq!(reference.max(), reference.highest_equivalent(top));
            assert_eq!(
                (histogram.min(), histogram.max(), histogram.len()),
                (reference.min(), reference.max(), reference.len())
            );
            for q in [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0] {
                assert_eq!(
                    histogram.value_at_quantile(q),
                    reference.value_at_quantile(q),
                    "quantile {q}"
                );
            }
            let counts = |h: &Histogram<u64>| {
                h.iter_recorded()
                    .map(|v| (v.value_iterated_to(), v.count_at_value()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(counts(&histogram), counts(&reference));
        };
        // Levels within the array, zero weights among them; the top level has only a record
        // of zero weight (a call less than a microsecond after the last), which alone sets the max.
        let mut records = random_records(3_000);
        records.insert(100, (4_000, 0));
        check(4_096, &records, 4_000);
        // Levels on both sides of the array's end.
        let mut records = random_records(6_000);
        records.insert(100, (9_000, 0));
        check(10_000, &records, 9_000);
    }

    #[test]
    fn changed_timeouts_apply_to_idle_mappings_at_once() {
        let ports = PortSet::new(4, 8, 212).expect("v6 plus set");
        let mut table = NaptTable::new(NaptConfig::default(), ports);
        let t0 = SimTime::ZERO;
        let a = Endpoint::new(Ipv4Addr::new(192, 168, 1, 2), 50000);
        let b = Endpoint::new(Ipv4Addr::new(192, 168, 1, 3), 50000);
        let dest = Endpoint::new(Ipv4Addr::new(198, 18, 0, 1), 443);
        let ma = table.open(t0, Protocol::Udp, a, dest).expect("mapping");
        table.end_session(t0, ma.id);
        let mb = table.open(t0, Protocol::Udp, b, dest).expect("mapping");
        // UDP 300 s by default; at 10 s the user shortens it to 30 s.
        let t10 = t0 + SimDuration::from_secs(10);
        table.set_timeouts(
            t10,
            NaptTimeouts {
                udp: SimDuration::from_secs(30),
                ..NaptTimeouts::rfc()
            },
        );
        assert_eq!(table.len(), 2);
        assert_eq!(table.next_expiry(), Some(t0 + SimDuration::from_secs(30)));
        table.advance(t0 + SimDuration::from_secs(30));
        assert_eq!(table.len(), 1, "the idle mapping expired by the new timer");
        // The other one is still in use; once it ends, the new timer runs.
        let t40 = t0 + SimDuration::from_secs(40);
        table.end_session(t40, mb.id);
        assert_eq!(table.next_expiry(), Some(t40 + SimDuration::from_secs(30)));
        // Longer timers keep mappings that the short ones would have expired.
        let mc = table.open(t40, Protocol::Udp, a, dest).expect("mapping");
        table.end_session(t40, mc.id);
        table.set_timeouts(t40, NaptTimeouts::rfc());
        table.advance(t40 + SimDuration::from_secs(100));
        assert_eq!(table.len(), 2);
        table.advance(t40 + SimDuration::from_secs(300));
        assert_eq!(table.len(), 0);
    }

    #[test]
    fn shorter_timeouts_drop_fewer_flows_under_the_same_churn() {
        let short = NaptConfig {
            timeouts: NaptTimeouts {
                udp: SimDuration::from_secs(30),
                tcp_established: SimDuration::from_secs(300),
                tcp_transitory: SimDuration::from_secs(10),
                icmp: SimDuration::from_secs(10),
            },
            ..NaptConfig::default()
        };
        let (_, long_stats) = churn(NaptConfig::default(), v6plus(), 3, 20_000);
        let (_, short_stats) = churn(short, v6plus(), 3, 20_000);
        let long_drops = long_stats.drops.port_set_exhausted + long_stats.drops.table_full;
        let short_drops = short_stats.drops.port_set_exhausted + short_stats.drops.table_full;
        assert!(long_drops > 0);
        assert!(short_drops < long_drops, "{short_drops} < {long_drops}");
        assert!(short_stats.occupancy.p50 < long_stats.occupancy.p50);
    }

    #[test]
    fn per_destination_pools_are_recycled() {
        let mut napt = NaptTable::new(reuse(), v6plus());
        for i in 0..5000u32 {
            let now = at(u64::from(i));
            let m = napt
                .open(now, Protocol::Udp, client(i % 300), server(i))
                .expect("room");
            napt.end_session(now, m.id);
        }
        // Live or held-down pools: about (300 s idle + 120 s hold-down) of one flow a second.
        assert!(napt.pools.len() < 3 + 430, "{}", napt.pools.len());
        assert!(napt.len() <= 301);
    }

    #[test]
    fn a_per_destination_pool_is_recycled_only_after_its_last_hold_down() {
        let config = NaptConfig {
            timeouts: NaptTimeouts {
                udp: SimDuration::from_secs(30),
                ..NaptTimeouts::rfc()
            },
            ..reuse()
        };
        let mut napt = NaptTable::new(config, tiny());
        let a = napt
            .open(at(0), Protocol::Udp, client(0), server(0))
            .expect("room");
        napt.end_session(at(0), a.id); // expires at 30 s, held until 150 s
        let b = napt
            .open(at(40), Protocol::Udp, client(1), server(0))
            .expect("room");
        napt.end_session(at(40), b.id); // expires at 70 s, held until 190 s
        // At 150 s the pool is empty, but the second port is still held: 14 of 15 ports.
        for i in 0..14 {
            let m = napt
                .open(at(150), Protocol::Udp, client(10 + i), server(0))
                .expect("room");
            assert_ne!(m.external_port, b.external_port);
        }
        assert_eq!(
            napt.open(at(150), Protocol::Udp, client(99), server(0)),
            Err(NaptDrop::PortSetExhausted)
        );
        let last = napt
            .open(at(190), Protocol::Udp, client(99), server(0))
            .expect("out of hold-down");
        assert_eq!(last.external_port, b.external_port);
    }

    #[test]
    fn stale_ids_and_odd_calls_are_harmless() {
        let mut napt = NaptTable::new(eim(), tiny());
        let m = napt
            .open(at(0), Protocol::Udp, client(0), server(0))
            .expect("room");
        assert!(napt.end_session(at(1), m.id));
        assert!(
            napt.end_session(at(2), m.id),
            "a second end restarts the idle timer"
        );
        assert_eq!(napt.next_expiry(), Some(at(302)));
        // Time never runs backwards: an earlier `now` is taken as the latest seen.
        assert!(napt.refresh(at(1), m.id));
        assert_eq!(napt.next_expiry(), Some(at(302)));
        napt.advance(at(302));
        assert!(!napt.end_session(at(400), m.id));
        assert!(!napt.close(at(400), m.id));
        assert_eq!(napt.external_port(m.id), None);
        // A zero timeout frees the mapping at its session's end.
        let mut zero = NaptTable::new(
            NaptConfig {
                timeouts: NaptTimeouts {
                    udp: SimDuration::ZERO,
                    ..NaptTimeouts::rfc()
                },
                ..eim()
            },
            tiny(),
        );
        let m = zero
            .open(at(0), Protocol::Udp, client(0), server(0))
            .expect("room");
        zero.end_session(at(5), m.id);
        assert!(zero.is_empty());
        // An empty usable port set drops everything as exhausted.
        let mut none = NaptTable::new(eim(), PortSet::new(0, 8, 0).expect("ports 0..=255"));
        assert_eq!(none.usable_ports(), 0);
        assert_eq!(
            none.open(at(0), Protocol::Udp, client(0), server(0)),
            Err(NaptDrop::PortSetExhausted)
        );
    }

    /// A naive reference: every mapping and every freed port in ordered maps, expiry by scanning.
    #[derive(Default)]
    struct Model {
        /// key -> (pool key, port, last activity, sessions, closing, protocol)
        mappings: BTreeMap<u128, (u64, u16, SimTime, u32, bool, Protocol)>,
        /// pool key -> port -> instant it leaves hold-down
        freed: BTreeMap<u64, BTreeMap<u16, SimTime>>,
        /// pool key -> ports ever handed out since the last clear
        used: BTreeMap<u64, BTreeSet<u16>>,
    }

    impl Model {
        fn deadline(config: &NaptConfig, m: &(u64, u16, SimTime, u32, bool, Protocol)) -> Option<SimTime> {
            (m.3 == 0).then(|| m.2 + config.timeouts.of(m.5, m.4))
        }

        fn expire(&mut self, config: &NaptConfig, now: SimTime) {
            let due: Vec<(u128, SimTime)> = self
                .mappings
                .iter()
                .filter_map(|(k, m)| Model::deadline(config, m).filter(|d| *d <= now).map(|d| (*k, d)))
                .collect();
            for (key, at) in due {
                if let Some(m) = self.mappings.remove(&key) {
                    self.freed
                        .entry(m.0)
                        .or_default()
                        .insert(m.1, at + config.hold_down);
                }
            }
        }

        fn next_expiry(&self, config: &NaptConfig) -> Option<SimTime> {
            self.mappings
                .values()
                .filter_map(|m| Model::deadline(config, m))
                .min()
        }

        /// Whether `port` may be handed out in `pool` at `now`.
        fn port_free(&self, pool: u64, port: u16, now: SimTime) -> bool {
            let in_use = self.mappings.values().any(|m| m.0 == pool && m.1 == port);
            let held = self
                .freed
                .get(&pool)
                .and_then(|f| f.get(&port))
                .is_some_and(|&until| until > now);
            !in_use && !held
        }

        fn any_port_free(&self, ports: &[u16], pool: u64, now: SimTime) -> bool {
            ports.iter().any(|&p| self.port_free(pool, p, now))
        }
    }

    fn model_check(config: NaptConfig, ports: PortSet, seed: u64) {
        let mut rng = Streams::new(seed).rng(StreamId::named("test/napt-model"));
        let mut napt = NaptTable::new(config, ports);
        let usable = usable_ports(&ports);
        let mut model = Model::default();
        let mut ids: Vec<(u128, MappingId)> = Vec::new();
        let mut now = SimTime::ZERO;
        let (mut opened, mut dropped, mut expired) = (0, 0, 0);
        for step in 0..4000 {
            now = now + SimDuration::from_millis(rng.random_range(0..40_000));
            model.expire(&config, now);
            let op = rng.random_range(0..100);
            if op < 55 {
                let protocol = [Protocol::Udp, Protocol::Tcp, Protocol::Icmp][rng.random_range(0..3)];
                let internal = client(rng.random_range(0..40));
                let destination = server(rng.random_range(0..3));
                let key = napt.key_of(protocol, internal, destination);
                let pool = match config.mapping {
                    MappingBehaviour::EndpointIndependent => protocol.index() as u64,
                    MappingBehaviour::PortReuseAcrossDestinations => {
                        ((protocol.index() as u64) << 48) | destination.bits()
                    }
                };
                let result = napt.open(now, protocol, internal, destination);
                // A per-destination pool left empty past every hold-down is recycled: fresh again.
                let idle = !model.mappings.values().any(|m| m.0 == pool);
                let settled = model
                    .freed
                    .get(&pool)
                    .is_none_or(|f| f.values().all(|&t| t <= now));
                if config.mapping == MappingBehaviour::PortReuseAcrossDestinations && idle && settled {
                    model.used.remove(&pool);
                    model.freed.remove(&pool);
                }
                if let Some(m) = model.mappings.get_mut(&key) {
                    m.2 = now;
                    m.3 += 1;
                    m.4 = false;
                    let got = result.expect("joining needs no room");
                    assert!(!got.created);
                    assert_eq!(got.external_port, m.1, "step {step}");
                } else if model.mappings.len() >= config.capacity as usize {
                    assert_eq!(result, Err(NaptDrop::TableFull), "step {step}");
                    dropped += 1;
                } else if !model.any_port_free(&usable, pool, now) {
                    assert_eq!(result, Err(NaptDrop::PortSetExhausted), "step {step}");
                    dropped += 1;
                } else {
                    let got = result.expect("a port is free");
                    assert!(got.created);
                    assert!(ports.contains(got.external_port));
                    assert!(model.port_free(pool, got.external_port, now), "step {step}");
                    // Never-used ports go first.
                    let fresh = usable
                        .iter()
                        .any(|p| !model.used.get(&pool).is_some_and(|u| u.contains(p)));
                    let was_used = model
                        .used
                        .get(&pool)
                        .is_some_and(|u| u.contains(&got.external_port));
                    assert!(
                        !(fresh && was_used),
                        "step {step} ({:?}): a fresh port was available",
                        config.mapping
                    );
                    model.used.entry(pool).or_default().insert(got.external_port);
                    model
                        .mappings
                        .insert(key, (pool, got.external_port, now, 1, false, protocol));
                    ids.push((key, got.id));
                    opened += 1;
                }
            } else if op < 90 && !ids.is_empty() {
                let (key, id) = ids[rng.random_range(0..ids.len())];
                let live = model.mappings.contains_key(&key) && napt.external_port(id).is_some();
                let what = rng.random_range(0..3);
                let answered = match what {
                    0 => napt.refresh(now, id),
                    1 => napt.end_session(now, id),
                    _ => napt.close(now, id),
                };
                // An id may name an older mapping of the same key: only compare when it is live.
                if live {
                    assert!(answered);
                    if let Some(m) = model.mappings.get_mut(&key) {
                        m.2 = now;
                        if what > 0 {
                            m.3 = m.3.saturating_sub(1);
                            m.4 = what == 2;
                        }
                    }
                    model.expire(&config, now);
                } else {
                    assert!(!answered, "step {step}: a stale id answered");
                }
            } else if op < 99 {
                // Reading ahead changes nothing and agrees with advancing a copy.
                let ahead = now + SimDuration::from_millis(rng.random_range(0..200_000));
                let mut copy = napt.clone();
                copy.advance(ahead);
                assert_eq!(napt.live_at(ahead) as usize, copy.len(), "step {step}");
                napt.advance(now);
            } else {
                napt.clear(now);
                model = Model::default();
                ids.clear();
            }
            assert_eq!(napt.len(), model.mappings.len(), "step {step}");
            assert_eq!(napt.live_at(now) as usize, model.mappings.len(), "step {step}");
            assert_eq!(napt.next_expiry(), model.next_expiry(&config), "step {step}");
            expired = napt.stats().expired;
        }
        assert!(
            opened > 100 && dropped > 10 && expired > 100,
            "{opened} {dropped} {expired}"
        );
    }

    #[test]
    fn agrees_with_a_naive_model_under_random_calls() {
        let small = NaptConfig {
            capacity: 40,
            timeouts: NaptTimeouts {
                udp: SimDuration::from_secs(120),
                tcp_established: SimDuration::from_secs(900),
                tcp_transitory: SimDuration::from_secs(60),
                icmp: SimDuration::from_secs(30),
            },
            ..NaptConfig::default()
        };
        for seed in 0..4 {
            model_check(small, tiny(), seed);
            model_check(
                NaptConfig {
                    mapping: MappingBehaviour::PortReuseAcrossDestinations,
                    ..small
                },
                tiny(),
                seed,
            );
        }
    }
}
