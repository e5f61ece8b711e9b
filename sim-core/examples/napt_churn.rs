//! Wall-clock cost of NAPT churn per flow (open + session end + one expiry, optionally a
//! refresh of an earlier idle mapping), the same workloads as `benches/napt.rs` in a plain loop:
//! `cargo run --release -p sim-core --example napt_churn [flows]`.
#![allow(clippy::print_stdout, clippy::disallowed_types)]
// Reason: this example measures CPU time on purpose and prints it; it shapes no outcome.

use std::net::Ipv4Addr;
use std::time::Instant;

use sim_core::mape::PortSet;
use sim_core::napt::{Endpoint, MappingBehaviour, MappingId, NaptConfig, NaptTable, NaptTimeouts, Protocol};
use sim_core::time::{SimDuration, SimTime};

/// Runs `flows` flows, one every `step`, to `destinations` servers; returns ns per flow.
fn run(napt: &mut NaptTable, step: SimDuration, destinations: u32, flows: u32, refresh: bool) -> f64 {
    let mut now = SimTime::ZERO;
    let mut recent: [Option<MappingId>; 16] = [None; 16];
    let start = Instant::now();
    for n in 0..flows {
        now = now + step;
        let internal = Endpoint::new(
            Ipv4Addr::new(192, 168, 1, 2 + (n % 20) as u8),
            1024 + (n / 20 % 60_000) as u16,
        );
        let destination = Endpoint::new(Ipv4Addr::new(203, 0, 113, 1 + (n % destinations) as u8), 443);
        if let Ok(m) = napt.open(now, Protocol::Udp, internal, destination) {
            napt.end_session(now, m.id);
            let slot = (n % 16) as usize;
            if refresh && let Some(old) = recent[slot] {
                napt.refresh(now, old);
            }
            recent[slot] = Some(m.id);
        }
    }
    start.elapsed().as_nanos() as f64 / f64::from(flows.max(1))
}

fn main() {
    let flows: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000_000);
    let v6plus = PortSet::new(4, 8, 212).unwrap_or(PortSet::all());
    let udp = |secs| NaptTimeouts {
        udp: SimDuration::from_secs(secs),
        ..NaptTimeouts::rfc()
    };
    let eim = NaptConfig {
        timeouts: udp(600),
        ..NaptConfig::default()
    };
    let reuse = NaptConfig {
        mapping: MappingBehaviour::PortReuseAcrossDestinations,
        timeouts: udp(300),
        ..NaptConfig::default()
    };
    for (name, config, step_ms, destinations) in [
        ("endpoint-independent, v6 plus, ~180 entries", eim, 3400, 1),
        ("port reuse, v6 plus, ~4000 entries", reuse, 75, 50),
    ] {
        for refresh in [false, true] {
            let mut napt = NaptTable::new(config, v6plus);
            let ns = run(
                &mut napt,
                SimDuration::from_millis(step_ms),
                destinations,
                flows,
                refresh,
            );
            let stats = napt.stats();
            println!(
                "{name}{}: {ns:.1} ns/flow ({flows} flows, {} live, peak {}, drops {})",
                if refresh { " + refresh" } else { "" },
                napt.len(),
                stats.peak,
                stats.drops.table_full + stats.drops.port_set_exhausted,
            );
        }
    }
}
