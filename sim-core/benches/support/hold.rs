//! The hold model and the yardsticks the engine's event queue is measured against
//! (shared by `benches/queue.rs` and `examples/queue_hold.rs`; bench-only code).
//!
//! Hold model: N events pending; each operation pops the earliest and schedules
//! one at its time plus an exponential increment (mean 1 ms), so N stays put.
//! The increments are drawn ahead into a table, so no random draw is timed.
//!
//! Yardsticks, both with 24-byte entries `(time, seq, slot)` and the same exact
//! `(time, seq)` order as the engine:
//! - [`BareHeap`]: `std`'s `BinaryHeap`, nothing else;
//! - [`CalendarQueue`]: R. Brown, "Calendar queues: a fast O(1) priority queue
//!   implementation for the simulation event set problem", CACM 31(10), 1988,
//!   written plainly: buckets of one "day" each, sorted within; the year wraps;
//!   the bucket count doubles and halves with the queue and the day width is
//!   re-estimated from the spacing of the earliest events on each resize.
//!
//! The engine carries a 32-byte event (the size of the simulation's `Event`) in
//! its slab; the yardsticks carry only a slot number, the physical minimum.
#![allow(dead_code, reason = "each user of this file takes what it needs")]

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use sim_core::engine::EventQueue;
use sim_core::time::SimTime;

/// Mean increment of the hold model, in nanoseconds.
pub const MEAN_INCREMENT_NS: f64 = 1_000_000.0;

/// A table of exponential increments (mean [`MEAN_INCREMENT_NS`]) from a fixed xorshift stream.
pub fn increments(count: usize) -> Vec<u64> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
            (-u.ln() * MEAN_INCREMENT_NS) as u64
        })
        .collect()
}

/// A 32-byte event, the size of the simulation's `Event` (a test in `sim` keeps them equal).
#[derive(Clone, Copy, Debug, Default)]
pub struct Payload(pub [u64; 4]);

/// What the hold model needs of a queue.
pub trait Hold {
    /// Schedules one more event at `time`.
    fn schedule(&mut self, time: u64);
    /// Pops the earliest event and schedules its successor `increment` later; returns the popped time.
    fn hold(&mut self, increment: u64) -> u64;
}

impl Hold for EventQueue<Payload> {
    fn schedule(&mut self, time: u64) {
        self.push(SimTime::from_nanos(time), Payload::default());
    }
    #[inline]
    fn hold(&mut self, increment: u64) -> u64 {
        let Some((t, mut event)) = self.pop() else {
            return 0;
        };
        event.0[0] = event.0[0].wrapping_add(1);
        let t = t.as_nanos();
        self.push(SimTime::from_nanos(t + increment), event);
        t
    }
}

/// A yardstick entry: 24 bytes, ordered by `(time, seq)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub time: u64,
    pub seq: u64,
    pub slot: u32,
}

impl Entry {
    fn key(&self) -> (u64, u64) {
        (self.time, self.seq)
    }
}

/// `Entry` reversed, so `BinaryHeap` (a max-heap) pops the earliest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Earliest(Entry);

impl Ord for Earliest {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.key().cmp(&self.0.key())
    }
}
impl PartialOrd for Earliest {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A bare binary heap of 24-byte entries.
#[derive(Debug, Default)]
pub struct BareHeap {
    heap: BinaryHeap<Earliest>,
    seq: u64,
}

impl BareHeap {
    pub fn push(&mut self, time: u64, slot: u32) {
        self.heap.push(Earliest(Entry {
            time,
            seq: self.seq,
            slot,
        }));
        self.seq += 1;
    }
    pub fn pop(&mut self) -> Option<Entry> {
        self.heap.pop().map(|e| e.0)
    }
}

impl Hold for BareHeap {
    fn schedule(&mut self, time: u64) {
        let slot = self.heap.len() as u32;
        self.push(time, slot);
    }
    #[inline]
    fn hold(&mut self, increment: u64) -> u64 {
        let Some(e) = self.pop() else { return 0 };
        self.push(e.time + increment, e.slot);
        e.time
    }
}

/// Brown's calendar queue with exact `(time, seq)` order.
#[derive(Debug)]
pub struct CalendarQueue {
    /// Each bucket sorted latest first, so its earliest entry is at the end.
    buckets: Vec<Vec<Entry>>,
    /// Length of one bucket's day, in nanoseconds.
    width: u64,
    len: usize,
    /// The bucket the last pop came from, and the end of its current day.
    last_bucket: usize,
    bucket_top: u64,
    /// The time of the last pop.
    last_time: u64,
    seq: u64,
    /// No resizing while a resize re-inserts.
    resizing: bool,
}

impl Default for CalendarQueue {
    fn default() -> Self {
        CalendarQueue {
            buckets: vec![Vec::new(); 2],
            width: 1,
            len: 0,
            last_bucket: 0,
            bucket_top: 1,
            last_time: 0,
            seq: 0,
            resizing: false,
        }
    }
}

impl CalendarQueue {
    pub fn push(&mut self, time: u64, slot: u32) {
        let entry = Entry {
            time,
            seq: self.seq,
            slot,
        };
        self.seq += 1;
        self.insert(entry);
        if !self.resizing && self.len > 2 * self.buckets.len() {
            self.resize(2 * self.buckets.len());
        }
    }

    fn insert(&mut self, entry: Entry) {
        let n = self.buckets.len();
        let bucket = &mut self.buckets[(entry.time / self.width) as usize % n];
        // Latest first: the new entry goes before (to the left of) every earlier key.
        let at = bucket.partition_point(|e| e.key() > entry.key());
        bucket.insert(at, entry);
        self.len += 1;
    }

    pub fn pop(&mut self) -> Option<Entry> {
        if self.len == 0 {
            return None;
        }
        let n = self.buckets.len();
        let mut i = self.last_bucket;
        let mut top = self.bucket_top;
        // One year's scan from the last bucket; each bucket is looked at for its current day.
        for _ in 0..n {
            if let Some(e) = self.buckets[i].last()
                && e.time < top
            {
                return Some(self.take(i, top));
            }
            i = (i + 1) % n;
            top += self.width;
        }
        // Nothing in the coming year: jump straight to the earliest entry.
        let (i, time) = self
            .buckets
            .iter()
            .enumerate()
            .filter_map(|(i, b)| b.last().map(|e| (i, e.key())))
            .min_by_key(|(_, key)| *key)
            .map(|(i, key)| (i, key.0))?;
        Some(self.take(i, (time / self.width + 1) * self.width))
    }

    fn take(&mut self, bucket: usize, top: u64) -> Entry {
        let entry = self.buckets[bucket].pop().expect("the bucket was checked");
        self.len -= 1;
        self.last_bucket = bucket;
        self.bucket_top = top;
        self.last_time = entry.time;
        if !self.resizing && self.buckets.len() > 2 && self.len < self.buckets.len() / 2 {
            self.resize(self.buckets.len() / 2);
        }
        entry
    }

    /// Brown's resize: a new bucket count, a width from the earliest events' spacing, everything re-filed.
    fn resize(&mut self, buckets: usize) {
        self.resizing = true;
        let width = self.sample_width();
        let entries: Vec<Entry> = self.buckets.iter_mut().flat_map(std::mem::take).collect();
        self.buckets = vec![Vec::new(); buckets];
        self.width = width;
        self.len = 0;
        for e in entries {
            self.insert(e);
        }
        self.last_bucket = (self.last_time / width) as usize % buckets;
        self.bucket_top = (self.last_time / width + 1) * width;
        self.resizing = false;
    }

    /// Three times the mean gap between the earliest events, ignoring gaps over twice the first mean.
    fn sample_width(&mut self) -> u64 {
        let samples = self.len.min(25);
        if samples < 2 {
            return self.width;
        }
        let saved = (self.last_bucket, self.bucket_top, self.last_time);
        let taken: Vec<Entry> = (0..samples).filter_map(|_| self.pop()).collect();
        let gaps: Vec<u64> = taken.windows(2).map(|w| w[1].time - w[0].time).collect();
        let mean = gaps.iter().sum::<u64>() / gaps.len() as u64;
        let kept: Vec<u64> = gaps.iter().copied().filter(|g| *g <= 2 * mean).collect();
        let kept_mean = kept.iter().sum::<u64>() / kept.len().max(1) as u64;
        for e in taken {
            self.insert(e);
        }
        (self.last_bucket, self.bucket_top, self.last_time) = saved;
        (3 * kept_mean).max(1)
    }
}

impl Hold for CalendarQueue {
    fn schedule(&mut self, time: u64) {
        let slot = self.len as u32;
        self.push(time, slot);
    }
    #[inline]
    fn hold(&mut self, increment: u64) -> u64 {
        let Some(e) = self.pop() else { return 0 };
        self.push(e.time + increment, e.slot);
        e.time
    }
}

/// A queue at steady state: `n` pending, warmed up by `2n` hold operations (at least 100,000).
pub struct HoldModel<Q> {
    pub queue: Q,
    increments: Vec<u64>,
    next: usize,
}

impl<Q: Hold> HoldModel<Q> {
    pub fn new(mut queue: Q, n: usize) -> HoldModel<Q> {
        let increments = increments(1 << 16);
        for i in 0..n {
            queue.schedule(increments[i % increments.len()]);
        }
        let mut model = HoldModel {
            queue,
            increments,
            next: n,
        };
        for _ in 0..(2 * n).max(100_000) {
            model.step();
        }
        model
    }

    /// One hold operation; returns the popped time.
    #[inline]
    pub fn step(&mut self) -> u64 {
        let increment = self.increments[self.next & (self.increments.len() - 1)];
        self.next = self.next.wrapping_add(1);
        self.queue.hold(increment)
    }
}

/// Checks that the yardsticks pop in the engine's `(time, seq)` order (many ties); panics if not.
pub fn check_yardsticks_agree() {
    let incs = increments(20_000);
    let mut engine = EventQueue::new();
    let mut heap = BareHeap::default();
    let mut calendar = CalendarQueue::default();
    let mut now = 0;
    for (i, inc) in incs.iter().enumerate() {
        // Coarse times: many ties. Every third step pops, so pushes follow pops.
        let t = now + inc / 100_000 * 100_000;
        engine.push(SimTime::from_nanos(t), i as u32);
        heap.push(t, i as u32);
        calendar.push(t, i as u32);
        if i % 3 == 2 {
            let a = engine.pop().map(|(t, s)| (t.as_nanos(), s));
            let b = heap.pop().map(|e| (e.time, e.slot));
            let c = calendar.pop().map(|e| (e.time, e.slot));
            assert_eq!(a, b, "bare heap disagrees with the engine");
            assert_eq!(a, c, "calendar queue disagrees with the engine");
            now = a.map_or(now, |(t, _)| t);
        }
    }
    loop {
        let a = engine.pop().map(|(t, s)| (t.as_nanos(), s));
        assert_eq!(a, heap.pop().map(|e| (e.time, e.slot)));
        assert_eq!(a, calendar.pop().map(|e| (e.time, e.slot)));
        if a.is_none() {
            break;
        }
    }
}
