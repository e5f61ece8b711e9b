//! The bring-up model against faults, with scenarios built in code.

use std::collections::BTreeMap;

use sim_core::engine::Observer;
use sim_core::mape::vne_preset;
use sim_core::scenario::{
    FaultKind, FaultSpec, FaultTiming, GatewayModel, GatewaySpec, HgwSettings, Ipv6Delivery, LineContract,
    OnuTimings, RouterSettings, Scenario, default_prefix,
};
use sim_core::time::{CivilDateTime, SimDuration, SimTime};
use sim_core::timing::Spread;
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
            map_rule: None,
            onu: OnuTimings::default(),
        },
        links: BTreeMap::new(),
        gateway: GatewaySpec {
            name: "gw".into(),
            boot_time: Spread::secs(19, 23),
            shutdown_time: Spread::secs(25, 29),
            ntp_delay: sim_core::scenario::DEFAULT_NTP_DELAY,
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
        area: None,
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
    // Ten speakers at 02:00 hold about 19 sessions at any instant (Poisson): never none.
    let calm = run(&with_clients(
        scenario(true, "v6plus", vec![]),
        ClientProfile::SmartSpeaker,
        10,
    ));
    let cut = run(&with_clients(
        scenario(
            true,
            "v6plus",
            vec![(120, FaultKind::OnuLossOfSignal { duration: mins(30) })],
        ),
        ClientProfile::SmartSpeaker,
        10,
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

#[test]
fn java_faults_do_what_their_action_says() {
    use sim_core::scenario::FaultAction;
    let crash = |action| {
        run(&scenario(
            true,
            "v6plus",
            vec![(60, FaultKind::AppCrash { action })],
        ))
    };
    let app = crash(FaultAction::RestartApp);
    assert_eq!((app.gateway.boots, app.gateway.java_restarts), (1, 1));
    assert_eq!(
        (app.ipv6.outages, app.ipv4.outages),
        (0, 1),
        "only IPv4 runs in the app"
    );
    let vm = crash(FaultAction::RestartJavaVm);
    assert_eq!((vm.gateway.boots, vm.gateway.java_restarts), (1, 1));
    assert!(
        vm.ipv4.downtime > app.ipv4.downtime,
        "a VM restart takes longer than an app restart"
    );
    let reboot = crash(FaultAction::Reboot);
    assert_eq!((reboot.gateway.boots, reboot.gateway.reboots.spontaneous), (2, 1));
    assert_eq!((reboot.ipv6.outages, reboot.ipv4.outages), (1, 1), "all LEDs off");
    assert_eq!(reboot.boots[1].cause, "spontaneous");
}

#[test]
fn a_hung_app_waits_for_the_watchdog() {
    use sim_core::scenario::FaultAction;
    let hang = run(&scenario(
        true,
        "v6plus",
        vec![(
            60,
            FaultKind::AppHang {
                watchdog: mins(5),
                action: FaultAction::RestartApp,
            },
        )],
    ));
    assert_eq!(hang.gateway.boots, 1);
    assert_eq!(hang.ipv4.outages, 1);
    let clean = run(&scenario(true, "v6plus", vec![]));
    assert!(
        hang.ipv4.downtime.0 >= clean.ipv4.downtime.0 + mins(5),
        "IPv4 is down until the watchdog acts"
    );
    // A crash of an app that is not running (before the bundle arrives) does nothing.
    let early = run(&scenario(
        true,
        "v6plus",
        vec![(
            0,
            FaultKind::AppCrash {
                action: FaultAction::Reboot,
            },
        )],
    ));
    assert_eq!(early.gateway.boots, 1);
}

#[test]
fn a_hazard_process_fires_again_and_again_from_its_own_stream() {
    use sim_core::hazard::Hazard;
    use sim_core::scenario::LoadSource;
    let mut s = scenario(true, "v6plus", vec![]);
    s.duration = SimDuration::from_days(60);
    s.faults.push(FaultSpec {
        when: FaultTiming::Every {
            hazard: Hazard::Constant {
                mean_interval: SimDuration::from_days(3),
            },
            load: LoadSource::NaptEntries,
        },
        kind: FaultKind::SpontaneousReboot,
    });
    let a = run(&s);
    assert!(
        (10..=35).contains(&a.gateway.reboots.spontaneous),
        "{}",
        a.gateway.reboots.spontaneous
    );
    assert_eq!(
        a.gateway.reboots.times.len() as u32,
        a.gateway.reboots.spontaneous
    );
    assert_eq!(a, run(&s), "same seed, same reboots");
    s.seed = 2;
    assert_ne!(a.gateway.reboots.times, run(&s).gateway.reboots.times);
}

#[test]
fn a_device_swap_starts_a_fresh_log_and_downloads_the_bundle_again() {
    let o = run(&scenario(true, "v6plus", vec![(120, FaultKind::DeviceSwap)]));
    assert_eq!(o.gateway.units, 2);
    assert_eq!(o.gateway.bundle_downloads, 2, "the first unit downloaded it too");
    assert_eq!(o.boots[1].cause, "device-swap");
    assert_eq!(o.phases.len(), 2);
    let swapped = scenario(true, "v6plus", vec![(120, FaultKind::DeviceSwap)]);
    let mut sim = Simulation::new(&swapped);
    sim.run_until(sim.end(), &mut sim_core::sim::NoObserver)
        .expect("runs");
    let log = sim.device_log_text();
    assert!(
        !log.contains("2021-04-19 00:0"),
        "the old unit's first boot is not in the new log:\n{log}"
    );
}
