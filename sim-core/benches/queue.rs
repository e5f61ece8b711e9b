//! The event queue in the hold model, beside a bare `BinaryHeap` and Brown's calendar
//! queue, at 10², 10⁴ and 10⁶ pending events: `cargo bench -p sim-core --bench queue`.
//!
//! Each iteration is one hold operation: pop the earliest event, schedule its
//! successor an exponential increment later (see `support/hold.rs`). The allocation
//! profiler shows that none of them allocates in steady state.

#[path = "support/hold.rs"]
mod hold;

use hold::{BareHeap, CalendarQueue, HoldModel, Payload};
use sim_core::engine::EventQueue;

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

const SIZES: [usize; 3] = [100, 10_000, 1_000_000];

fn main() {
    hold::check_yardsticks_agree();
    divan::main();
}

/// The engine's queue: a radix heap of 16-byte keys, 32-byte events in a slab.
#[divan::bench(args = SIZES, sample_count = 30)]
fn engine(bencher: divan::Bencher, n: usize) {
    let mut model = HoldModel::new(EventQueue::<Payload>::new(), n);
    bencher.bench_local(|| model.step());
}

/// `std::collections::BinaryHeap` of 24-byte `(time, seq, slot)` entries.
#[divan::bench(args = SIZES, sample_count = 30)]
fn bare_heap(bencher: divan::Bencher, n: usize) {
    let mut model = HoldModel::new(BareHeap::default(), n);
    bencher.bench_local(|| model.step());
}

/// Brown's calendar queue (1988) of the same 24-byte entries.
#[divan::bench(args = SIZES, sample_count = 30)]
fn calendar_queue(bencher: divan::Bencher, n: usize) {
    let mut model = HoldModel::new(CalendarQueue::default(), n);
    bencher.bench_local(|| model.step());
}
