//! The random streams' cost per 64-bit draw: `cargo bench -p sim-core --bench rng`.
//!
//! Each iteration draws 4,096 u64s (the refills included) from one stream: rand_chacha's
//! `ChaCha8Rng` (the definition the streams equal, refilling four blocks at a time with
//! AVX2) beside `SimRng` and `LanRng` (the same words from chacha20's code, four and
//! sixteen blocks a refill: AVX-512 where the CPU has it, as .cargo/config.toml turns on).

use divan::Bencher;
use rand::{Rng, SeedableRng};
use sim_core::rng::{StreamId, Streams};

fn main() {
    divan::main();
}

const DRAWS: usize = 4096;

fn draw_all(rng: &mut impl Rng) -> u64 {
    let mut sum = 0u64;
    for _ in 0..DRAWS {
        sum = sum.wrapping_add(rng.next_u64());
    }
    sum
}

#[divan::bench(counter = divan::counter::ItemsCount::new(DRAWS))]
fn rand_chacha_chacha8rng(bencher: Bencher) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    rng.set_stream(StreamId::named("lan").0);
    bencher.bench_local(|| draw_all(&mut rng));
}

#[divan::bench(counter = divan::counter::ItemsCount::new(DRAWS))]
fn sim_rng_four_blocks(bencher: Bencher) {
    let mut rng = Streams::new(1).rng(StreamId::named("lan"));
    bencher.bench_local(|| draw_all(&mut rng));
}

#[divan::bench(counter = divan::counter::ItemsCount::new(DRAWS))]
fn lan_rng_sixteen_blocks(bencher: Bencher) {
    let mut rng = Streams::new(1).lan_rng(StreamId::named("lan"));
    bencher.bench_local(|| draw_all(&mut rng));
}
