//! Nanoseconds per event of the engine's queue in the hold model at a given queue size,
//! beside a bare `BinaryHeap` and Brown's calendar queue (the yardsticks of
//! `benches/queue.rs`): `cargo run --release -p sim-core --example queue_hold [N] [ops]`.
#![allow(clippy::print_stdout, clippy::disallowed_types)]
// Reason: this example measures CPU time on purpose and prints it; it shapes no outcome.

#[path = "../benches/support/hold.rs"]
mod hold;

use std::time::Instant;

use hold::{BareHeap, CalendarQueue, Hold, HoldModel, Payload};
use sim_core::engine::EventQueue;

/// Nanoseconds per hold operation over `ops` operations at steady state.
fn measure<Q: Hold>(queue: Q, n: usize, ops: u64) -> f64 {
    let mut model = HoldModel::new(queue, n);
    let start = Instant::now();
    let mut check = 0u64;
    for _ in 0..ops {
        check = check.wrapping_add(model.step());
    }
    let ns = start.elapsed().as_nanos() as f64 / ops as f64;
    std::hint::black_box(check);
    ns
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let ops: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5_000_000);
    hold::check_yardsticks_agree();
    let engine = measure(EventQueue::<Payload>::new(), n, ops);
    let heap = measure(BareHeap::default(), n, ops);
    let calendar = measure(CalendarQueue::default(), n, ops);
    println!("hold model, {n} pending, {ops} operations (pop + push), ns per event:");
    println!("  engine (radix heap + slab)  {engine:8.1}");
    println!("  bare BinaryHeap             {heap:8.1}");
    println!("  calendar queue (Brown)      {calendar:8.1}");
    println!(
        "  engine / best yardstick     {:8.2}",
        engine / heap.min(calendar)
    );
}
