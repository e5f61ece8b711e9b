//! The bring-up model against faults, with scenarios built in code.

use std::collections::BTreeMap;

use sim_core::engine::Observer;
use sim_core::mape::vne_preset;
use sim_core::scenario::{
    FaultKind, FaultSpec, FaultTiming, GatewayModel, GatewaySpec, HgwSettings, Ipv6Delivery, LineContract,
    RouterSettings, Scenario, default_prefix,
};
use sim_core::time::{CivilDateTime, SimDuration, SimTime};
use sim_core::trace::TraceEvent;
use sim_core::{Outcome, Simulation};

fn mins(m: u64) -> SimDuration {
    SimDuration::from_mins(m)
}

fn scenario(hgw: bool, vne: &str, faults: Vec<(u64, FaultKind)>) -> Scenario {
    let vne = vne_preset(vne).expect("preset");
    let model = if hgw {
        GatewayModel::Hgw(HgwSettings::default())
    } else {
        GatewayModel::RetailRouter(RouterSettings::default())
    };
    Scenario {
        name: "test".into(),
        seed: 1,
        start: CivilDateTime::date(2021, 4, 19).expect("date"),
        duration: SimDuration::from_hours(6),
        line: LineContract {
            vne,
            hgw_rental: hgw,
            ipv6_delivery: Ipv6Delivery::Pd,
            prefix: default_prefix(vne),
            ntp_first_query_loss: 0.0,
        },
        links: BTreeMap::new(),
        gateway: GatewaySpec {
            name: "gw".into(),
            boot_time: SimDuration::from_secs(40),
            shutdown_time: SimDuration::from_secs(10),
            model,
            napt: sim_core::napt::NaptConfig::hgw(),
        },
        lan: Vec::new(),
        faults: faults
            .into_iter()
            .map(|(at, kind)| FaultSpec {
                when: FaultTiming::At(SimTime::ZERO + mins(at)),
                kind,
            })
            .collect(),
        aftr: sim_core::scenario::AftrSpec::default(),
    }
}

fn run(s: &Scenario) -> Outcome {
    sim_core::run(s).expect("runs")
}

#[test]
fn power_cut_reboots_and_counts_as_power() {
    let o = run(&scenario(
        true,
        "v6plus",
        vec![(60, FaultKind::PowerCut { duration: mins(10) })],
    ));
    assert_eq!(o.gateway.boots, 2);
    assert_eq!(o.gateway.reboots.power, 1);
    assert_eq!(o.gateway.reboots.user, 0);
    assert_eq!(o.boots[1].at.0, mins(70));
    // The bundle survives in flash: no second download, the Java VM starts from flash.
    assert_eq!(o.gateway.bundle_downloads, 1);
    assert!(o.boots[1].ipv4_up.expect("IPv4 back").0 < mins(3));
}

#[test]
fn overlapping_power_cuts_restore_power_once_both_end() {
    let o = run(&scenario(
        true,
        "v6plus",
        vec![
            (60, FaultKind::PowerCut { duration: mins(30) }),
            (70, FaultKind::PowerCut { duration: mins(5) }),
        ],
    ));
    assert_eq!(o.gateway.boots, 2);
    assert_eq!(o.boots[1].at.0, mins(90));
}

#[test]
fn user_reboot_counts_as_user_and_brings_both_families_back() {
    let o = run(&scenario(true, "v6plus", vec![(60, FaultKind::UserReboot)]));
    assert_eq!(o.gateway.reboots.user, 1);
    assert_eq!(o.boots[1].cause, "user");
    assert_eq!((o.ipv6.outages, o.ipv4.outages), (1, 1));
    assert!(o.boots[1].ipv6_up < o.boots[1].ipv4_up);
}

#[test]
fn rule_server_down_leaves_the_hgw_stuck_at_rule_fetch() {
    let o = run(&scenario(
        true,
        "v6plus",
        vec![(0, FaultKind::RuleServerDown { duration: None })],
    ));
    assert_eq!(o.ipv4.first_up, None);
    assert_eq!(o.gateway.stuck_at, "rule-fetch");
    assert!(o.gateway.rule_fetch_failures > 3);
}

#[test]
fn rule_server_back_up_ends_the_wait() {
    let o = run(&scenario(
        true,
        "v6plus",
        vec![(
            0,
            FaultKind::RuleServerDown {
                duration: Some(mins(90)),
            },
        )],
    ));
    let up = o.ipv4.first_up.expect("IPv4 after the server returns").0;
    assert!(up > mins(90) && up <= mins(90) + mins(21), "{up}");
}

#[test]
fn distributor_error_and_slowness_delay_distribution() {
    let error = run(&scenario(
        true,
        "v6plus",
        vec![(
            0,
            FaultKind::DistributorError {
                status: 503,
                duration: Some(mins(20)),
            },
        )],
    ));
    let up = error.ipv4.first_up.expect("up after the errors stop").0;
    assert!(up > mins(20), "{up}");
    let slow = run(&scenario(
        true,
        "v6plus",
        vec![(
            0,
            FaultKind::DistributorSlow {
                delay: SimDuration::from_secs(30),
                duration: None,
            },
        )],
    ));
    let clean = run(&scenario(true, "v6plus", vec![]));
    let (s, c) = (
        slow.ipv4.first_up.expect("up").0,
        clean.ipv4.first_up.expect("up").0,
    );
    assert!(
        s >= c + SimDuration::from_secs(30) && s < c + SimDuration::from_secs(31),
        "{s} vs {c}"
    );
}

#[test]
fn an_hgw_on_a_line_not_registered_for_rental_gets_no_software() {
    let mut s = scenario(true, "v6plus", vec![]);
    s.line.hgw_rental = false;
    let o = run(&s);
    assert_eq!(o.ipv4.first_up, None);
    assert_eq!(o.gateway.stuck_at, "software-distribution");
}

#[test]
fn ds_lite_comes_up_through_the_aftr_without_a_rule() {
    let o = run(&scenario(true, "transix", vec![]));
    assert!(o.ipv4.first_up.is_some());
    assert_eq!(o.gateway.rule_fetches, 0);
    assert_eq!(o.ipv4.address.as_deref(), Some("192.0.0.2"));
}

#[test]
fn a_dead_wan_link_keeps_the_gateway_at_ipv6() {
    let o = run(&scenario(
        false,
        "v6plus",
        vec![(
            0,
            FaultKind::LinkImpairment {
                link: sim_core::scenario::LinkId::Wan,
                loss: Some(1.0),
                latency: None,
                duration: None,
            },
        )],
    ));
    assert_eq!(o.ipv6.first_up, None);
    assert_eq!(o.gateway.stuck_at, "ipv6");
}

/// Collects the trace.
#[derive(Default)]
struct Collect(Vec<(SimTime, TraceEvent)>);

impl Observer<TraceEvent> for Collect {
    fn observe(&mut self, at: SimTime, event: &TraceEvent) {
        self.0.push((at, event.clone()));
    }
}

#[test]
fn the_observer_sees_every_event_the_digest_counts_in_time_order() {
    let s = scenario(
        true,
        "v6plus",
        vec![(60, FaultKind::OnuLossOfSignal { duration: mins(5) })],
    );
    let mut seen = Collect::default();
    let o = Simulation::run(&s, &mut seen).expect("runs");
    assert_eq!(seen.0.len() as u64, o.trace.events);
    assert!(seen.0.windows(2).all(|w| w[0].0 <= w[1].0));
    assert!(matches!(seen.0[0].1, TraceEvent::Boot { boot: 1, .. }));
    assert!(
        seen.0
            .iter()
            .any(|(_, e)| *e == TraceEvent::OnuSignal { up: false })
    );
}

#[test]
fn run_until_in_steps_gives_the_same_outcome_as_one_run() {
    let s = scenario(true, "v6plus", vec![(60, FaultKind::UserReboot)]);
    let whole = run(&s);
    let mut sim = Simulation::new(&s);
    let mut t = SimTime::ZERO;
    while t < sim.end() {
        t = t + mins(7);
        sim.run_until(t, &mut sim_core::sim::NoObserver).expect("runs");
    }
    assert_eq!(sim.outcome(), whole);
}

fn with_clients(mut s: Scenario, profile: sim_core::scenario::ClientProfile, count: u32) -> Scenario {
    s.lan.push(sim_core::scenario::ClientGroup {
        profile,
        count,
        model: sim_core::lan::ProfileModel::of(profile),
    });
    s
}

#[test]
fn an_outage_cuts_sessions_in_progress_and_fails_new_ones() {
    use sim_core::scenario::ClientProfile;
    let calm = run(&with_clients(
        scenario(true, "v6plus", vec![]),
        ClientProfile::SmartSpeaker,
        3,
    ));
    let cut = run(&with_clients(
        scenario(
            true,
            "v6plus",
            vec![(120, FaultKind::OnuLossOfSignal { duration: mins(30) })],
        ),
        ClientProfile::SmartSpeaker,
        3,
    ));
    let (c, k) = (&calm.lan["smart-speaker"], &cut.lan["smart-speaker"]);
    assert_eq!(c.cut, 0);
    assert!(k.cut > 0, "sessions in progress at the loss of signal are cut");
    assert!(
        k.failed.ipv4_down > c.failed.ipv4_down + 10,
        "30 minutes without IPv4: {k:?}"
    );
    assert_eq!(
        c.attempted, k.attempted,
        "the clients' behaviour does not depend on the gateway"
    );
}

#[test]
fn a_reboot_empties_the_napt_table() {
    use sim_core::scenario::ClientProfile;
    let o = run(&with_clients(
        scenario(true, "v6plus", vec![(180, FaultKind::UserReboot)]),
        ClientProfile::SmartSpeaker,
        4,
    ));
    assert!(
        o.napt.cleared > 0,
        "mappings held at the reboot are lost: {:?}",
        o.napt
    );
    assert_eq!(o.napt.drops.table_full + o.napt.drops.port_set_exhausted, 0);
}
