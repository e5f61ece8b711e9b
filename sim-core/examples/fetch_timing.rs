//! Wall-clock cost and simulated duration of typical fetches:
//! `cargo run --release -p sim-core --example fetch_timing`.
#![allow(clippy::print_stdout, clippy::disallowed_types)]
// Reason: this example measures CPU time on purpose and prints it; it shapes no outcome.

use std::time::Instant;

use rand::SeedableRng;
use sim_core::fetch::{FetchResult, FetchSpec, PathConditions, ServerBehaviour, run_fetch};
use sim_core::rng::SimRng;
use sim_core::time::SimDuration;
use smoltcp::wire::Ipv6Address;

fn spec(body: Vec<u8>) -> FetchSpec {
    FetchSpec {
        client_addr: Ipv6Address::new(0x2400, 0x4050, 0x1, 0x2, 0, 0, 0, 1),
        server_addr: Ipv6Address::new(0x2001, 0xdb8, 0xf1e7, 0, 0, 0, 0, 0x80),
        server_port: 80,
        host: "example.jp".into(),
        path: "/bundle".into(),
        behaviour: ServerBehaviour::Respond {
            delay: SimDuration::ZERO,
            status: 200,
            content_type: "application/octet-stream".into(),
            body,
        },
        timeout: SimDuration::from_mins(2),
    }
}

fn measure(name: &str, spec: &FetchSpec, path: &PathConditions, seeds: u64) {
    let mut sim = Vec::new();
    let mut complete = 0;
    let (mut sent, mut lost) = (0, 0);
    let start = Instant::now();
    for seed in 0..seeds {
        let report = run_fetch(spec, path, &mut SimRng::seed_from_u64(seed), false);
        complete += usize::from(matches!(report.result, FetchResult::Response { .. }));
        sim.push(report.elapsed.as_secs_f64() * 1e3);
        sent += report.packets_sent;
        lost += report.packets_lost;
    }
    let cpu = start.elapsed().as_secs_f64() * 1e3 / seeds as f64;
    sim.sort_by(f64::total_cmp);
    let mean = sim.iter().sum::<f64>() / sim.len() as f64;
    println!(
        "{name:<34} cpu {cpu:>7.2} ms/fetch | sim mean {mean:>8.1} ms, min {:>8.1}, max {:>8.1} | complete {complete}/{seeds} | pkts {} lost {}",
        sim[0],
        sim[sim.len() - 1],
        sent / seeds as u32,
        lost / seeds as u32,
    );
}

fn main() {
    let mib = vec![0xa5; 1 << 20];
    let rule = vec![b'x'; 300];
    let ms = SimDuration::from_millis;
    measure(
        "1 MiB, 5 ms, clean",
        &spec(mib.clone()),
        &PathConditions::new(ms(5), 0.0),
        20,
    );
    measure(
        "1 MiB, 5 ms, 2% loss",
        &spec(mib.clone()),
        &PathConditions::new(ms(5), 0.02),
        20,
    );
    measure(
        "1 MiB, 5 ms, 100 Mbit/s",
        &spec(mib.clone()),
        &PathConditions::new(ms(5), 0.0).with_bandwidth(100_000_000),
        20,
    );
    measure(
        "4 MiB, 5 ms, clean",
        &spec(vec![1; 4 << 20]),
        &PathConditions::new(ms(5), 0.0),
        5,
    );
    measure(
        "300 B rule, 5 ms, clean",
        &spec(rule.clone()),
        &PathConditions::new(ms(5), 0.0),
        100,
    );
    measure(
        "300 B rule, 5 ms, 30% loss",
        &spec(rule.clone()),
        &PathConditions::new(ms(5), 0.3),
        100,
    );
}
