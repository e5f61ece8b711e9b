//! NAPT table churn at steady state: `cargo bench -p sim-core --bench napt`.
//!
//! Each iteration is one flow of a home: time moves on, the flow opens a mapping (expiring
//! whatever fell due on the way), its session ends at once (the idle timer starts) and, in the
//! `refresh` variants, an earlier idle mapping sees traffic (so its heap item is re-queued
//! when it surfaces). About one mapping expires per iteration. The allocation profiler shows
//! that steady-state churn allocates nothing.

use std::net::Ipv4Addr;

use sim_core::mape::PortSet;
use sim_core::napt::{Endpoint, MappingBehaviour, MappingId, NaptConfig, NaptTable, NaptTimeouts, Protocol};
use sim_core::time::{SimDuration, SimTime};

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::main();
}

/// A home's churn: a table, the clock, the flow counter and recent mapping ids.
struct Churn {
    napt: NaptTable,
    now: SimTime,
    step: SimDuration,
    flow: u32,
    destinations: u32,
    recent: [Option<MappingId>; 16],
    refresh: bool,
}

impl Churn {
    fn new(config: NaptConfig, ports: PortSet, step: SimDuration, destinations: u32, refresh: bool) -> Churn {
        let mut churn = Churn {
            napt: NaptTable::new(config, ports),
            now: SimTime::ZERO,
            step,
            flow: 0,
            destinations,
            recent: [None; 16],
            refresh,
        };
        // Two full timeouts plus hold-down: the table and every pool are at steady state.
        let warm = 2 * config.timeouts.udp.as_nanos() / step.as_nanos() + 1000;
        for _ in 0..warm {
            churn.flow();
        }
        churn
    }

    fn flow(&mut self) {
        self.now = self.now + self.step;
        let n = self.flow;
        self.flow = self.flow.wrapping_add(1);
        let internal = Endpoint::new(
            Ipv4Addr::new(192, 168, 1, 2 + (n % 20) as u8),
            1024 + (n / 20 % 60_000) as u16,
        );
        let destination = Endpoint::new(Ipv4Addr::new(203, 0, 113, 1 + (n % self.destinations) as u8), 443);
        if let Ok(m) = self.napt.open(self.now, Protocol::Udp, internal, destination) {
            self.napt.end_session(self.now, m.id);
            let slot = (n % 16) as usize;
            if self.refresh
                && let Some(old) = self.recent[slot]
            {
                self.napt.refresh(self.now, old);
            }
            self.recent[slot] = Some(m.id);
        }
    }
}

fn timeouts(udp_secs: u64) -> NaptTimeouts {
    NaptTimeouts {
        udp: SimDuration::from_secs(udp_secs),
        ..NaptTimeouts::rfc()
    }
}

/// Endpoint-independent, v6 plus (240 ports): a flow every 3.4 s, 600 s UDP timeout:
/// ~176 live mappings (~192 with refreshes) and at most ~227 ports busy or held down.
fn v6plus_200(refresh: bool) -> Churn {
    let config = NaptConfig {
        timeouts: timeouts(600),
        ..NaptConfig::default()
    };
    let ports = PortSet::new(4, 8, 212).unwrap_or(PortSet::all());
    Churn::new(config, ports, SimDuration::from_millis(3400), 1, refresh)
}

/// Port reuse, v6 plus, 4096 entries: a flow every 75 ms to 50 destinations, 300 s UDP
/// timeout: ~4000 live mappings.
fn reuse_4000(refresh: bool) -> Churn {
    let config = NaptConfig {
        mapping: MappingBehaviour::PortReuseAcrossDestinations,
        timeouts: timeouts(300),
        ..NaptConfig::default()
    };
    let ports = PortSet::new(4, 8, 212).unwrap_or(PortSet::all());
    Churn::new(config, ports, SimDuration::from_millis(75), 50, refresh)
}

#[divan::bench(args = [false, true], sample_count = 200, sample_size = 2000)]
fn eim_v6plus_200_entries(bencher: divan::Bencher, refresh: bool) {
    let mut churn = v6plus_200(refresh);
    let before = churn.napt.stats();
    bencher.bench_local(|| churn.flow());
    let after = churn.napt.stats();
    assert!((150..=240).contains(&churn.napt.len()), "{}", churn.napt.len());
    assert_eq!(after.drops, before.drops, "no drops at steady state");
}

#[divan::bench(args = [false, true], sample_count = 200, sample_size = 2000)]
fn port_reuse_4000_entries(bencher: divan::Bencher, refresh: bool) {
    let mut churn = reuse_4000(refresh);
    let before = churn.napt.stats();
    bencher.bench_local(|| churn.flow());
    let after = churn.napt.stats();
    assert!((3500..=4096).contains(&churn.napt.len()), "{}", churn.napt.len());
    assert_eq!(after.drops, before.drops, "no drops at steady state");
}
