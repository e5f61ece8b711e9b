//! The `area` block of an area run's outcome: distributions over homes of
//! the time to IPv6 and IPv4 after the area fault that reached them, homes
//! stuck by step, the shared servers' peaks, and the same per template.
//!
//! Percentiles are nearest-rank over the homes' integer times (no float
//! sums), `never` (null) for a home whose family did not come back; every
//! step name is listed (zero included) so expectations can name any.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::servers::{AreaServers, BrStats, DistributorStats, RuleServerStats};
use super::{AreaSpec, Recovery};
use crate::outcome::{Dur, Outcome};
use crate::time::SimTime;
use crate::trace::Step;

/// Every bring-up step a home can be stuck at, as outcome keys.
const STEPS: [Step; 12] = [
    Step::PowerOff,
    Step::Boot,
    Step::WanLink,
    Step::Ipv6,
    Step::Ntp,
    Step::SoftwareDistribution,
    Step::Install,
    Step::JavaVm,
    Step::AppStart,
    Step::RuleFetch,
    Step::Aftr,
    Step::MapeConfig,
];

fn step_key(step: Step) -> String {
    step.name().replace('-', "_")
}

/// A distribution over homes of a time (`null`: never).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Homes measured.
    pub homes: u32,
    pub p50: Option<Dur>,
    pub p90: Option<Dur>,
    pub p99: Option<Dur>,
    pub max: Option<Dur>,
    /// Homes whose family never came back by the end of the run.
    pub never: u32,
}

/// Homes' times sorted with `None` (never) after every time.
fn sorted(mut times: Vec<Option<u64>>) -> Vec<Option<u64>> {
    times.sort_by_key(|t| t.map_or((1, 0), |ns| (0, ns)));
    times
}

/// The nearest-rank `p`th percentile (in hundredths of a percent) of sorted times.
fn nearest_rank(times: &[Option<u64>], p: usize) -> Option<Dur> {
    let n = times.len();
    if n == 0 {
        return None;
    }
    let rank = (p * n).div_ceil(10_000).clamp(1, n);
    times[rank - 1].map(|ns| Dur::of(crate::time::SimDuration::from_nanos(ns)))
}

impl Distribution {
    /// From the homes' times (`None`: never), nearest-rank percentiles.
    fn of(times: Vec<Option<u64>>) -> Distribution {
        Distribution::of_sorted(&sorted(times))
    }

    fn of_sorted(times: &[Option<u64>]) -> Distribution {
        let n = times.len();
        let at = |p: usize| nearest_rank(times, p * 100);
        Distribution {
            homes: n as u32,
            p50: at(50),
            p90: at(90),
            p99: at(99),
            max: at(100),
            never: times.iter().filter(|t| t.is_none()).count() as u32,
        }
    }
}

/// How many points a recovery curve has: one every 5 % of the homes.
pub const RECOVERY_POINTS: usize = 20;

/// The recovery curve of the homes an area fault reached, for each family: element `k`
/// (counted from 1 in expectation paths: `area.recovery.ipv4[20]`) is the time by which
/// k × 5 % of them had the family back (nearest rank; `null`: that many never did).
/// `fletsim run --report` draws it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecoveryCurve {
    pub ipv6: Vec<Option<Dur>>,
    pub ipv4: Vec<Option<Dur>>,
}

impl RecoveryCurve {
    fn of_sorted(v6: &[Option<u64>], v4: &[Option<u64>]) -> RecoveryCurve {
        // Empty when no home was hit: there is nothing to draw.
        let curve = |times: &[Option<u64>]| -> Vec<Option<Dur>> {
            if times.is_empty() {
                return Vec::new();
            }
            (1..=RECOVERY_POINTS)
                .map(|k| nearest_rank(times, k * 10_000 / RECOVERY_POINTS))
                .collect()
        };
        RecoveryCurve {
            ipv6: curve(v6),
            ipv4: curve(v4),
        }
    }
}

/// One group of homes (the whole area, or one template's).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupOutcome {
    pub homes: u32,
    /// Homes an area fault reached (a power cut, a bundle update).
    pub hit: u32,
    /// From the moment the fault let go of a home (power back, the update begun) to IPv6 up again.
    pub ipv6_restored: Distribution,
    /// The same for IPv4.
    pub ipv4_restored: Distribution,
    pub ipv6_up_at_end: u32,
    pub ipv4_up_at_end: u32,
    /// Homes waiting at each bring-up step when the run ended.
    pub stuck: BTreeMap<String, u32>,
    /// Complete bundle downloads, rule fetches (failed ones included), Java VM restarts.
    pub bundle_downloads: u64,
    pub rule_fetches: u64,
    pub java_restarts: u64,
    /// LAN sessions opened, and those that failed over IPv4 (the gateway's or the BR's IPv4 down).
    pub sessions: u64,
    pub sessions_failed_ipv4: u64,
}

/// The `area` block.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AreaOutcome {
    #[serde(flatten)]
    pub all: GroupOutcome,
    pub distributor: DistributorStats,
    /// By VNE preset name.
    pub rule_servers: BTreeMap<String, RuleServerStats>,
    /// Each VNE's BR (MAP-E) or AFTR (DS-Lite), by preset name.
    pub brs: BTreeMap<String, BrStats>,
    /// By template name.
    pub templates: BTreeMap<String, GroupOutcome>,
    /// The whole area's recovery after the area fault, every 5 % of the homes it reached.
    pub recovery: RecoveryCurve,
    /// Engine events over all homes.
    pub events: u64,
    /// The homes' trace digests folded in home order: the area's fingerprint.
    pub digest: String,
}

impl AreaOutcome {
    /// The block's shape before a run (every key present), for checking expectation paths.
    pub fn shape(area: &AreaSpec) -> AreaOutcome {
        let group = || GroupOutcome {
            stuck: STEPS.iter().map(|s| (step_key(*s), 0)).collect(),
            ..GroupOutcome::default()
        };
        AreaOutcome {
            all: group(),
            rule_servers: crate::mape::vne_presets()
                .iter()
                .map(|p| (p.name.to_string(), RuleServerStats::default()))
                .collect(),
            brs: crate::mape::vne_presets()
                .iter()
                .map(|p| (p.name.to_string(), BrStats::default()))
                .collect(),
            templates: area.templates.iter().map(|t| (t.name.clone(), group())).collect(),
            ..AreaOutcome::default()
        }
    }
}

/// Gathers the homes' results as they are read at the end of a run.
#[derive(Debug)]
pub(super) struct Collector {
    shape: AreaOutcome,
    times: Vec<[Vec<Option<u64>>; 2]>,
    names: Vec<String>,
}

impl Collector {
    pub(super) fn new(area: &AreaSpec) -> Collector {
        Collector {
            shape: AreaOutcome::shape(area),
            times: vec![[Vec::new(), Vec::new()]; area.templates.len() + 1],
            names: area.templates.iter().map(|t| t.name.clone()).collect(),
        }
    }

    /// One home's results: its template, when the area fault reached it, how it recovered,
    /// its own outcome.
    pub(super) fn add(
        &mut self,
        template: u32,
        hit: Option<(SimTime, SimTime)>,
        recovery: Recovery,
        o: &Outcome,
    ) {
        let t = template as usize;
        let name = &self.names[t];
        let lan_attempted: u64 = o.lan.values().map(|c| c.attempted).sum();
        let lan_failed: u64 = o.lan.values().map(|c| c.failed.ipv4_down).sum();
        for group in [
            &mut self.shape.all,
            self.shape.templates.get_mut(name).expect("a template"),
        ] {
            group.homes += 1;
            group.hit += u32::from(hit.is_some());
            group.ipv6_up_at_end += u32::from(o.ipv6.up_at_end);
            group.ipv4_up_at_end += u32::from(o.ipv4.up_at_end);
            if o.gateway.stuck_at != Step::None.name() {
                *group
                    .stuck
                    .entry(o.gateway.stuck_at.replace('-', "_"))
                    .or_default() += 1;
            }
            group.bundle_downloads += u64::from(o.gateway.bundle_downloads);
            group.rule_fetches += u64::from(o.gateway.rule_fetches);
            group.java_restarts += u64::from(o.gateway.java_restarts);
            group.sessions += lan_attempted;
            group.sessions_failed_ipv4 += lan_failed;
        }
        if let Some((_, from)) = hit {
            let up_at_end = [o.ipv6.up_at_end, o.ipv4.up_at_end];
            for (f, up) in up_at_end.into_iter().enumerate() {
                let time = match recovery.restored[f] {
                    Some(at) => Some(at.since(from.min(at)).as_nanos()),
                    // Never seen down after the hit: it did not need to recover.
                    None if !recovery.down[f] && up => Some(0),
                    None => None,
                };
                self.times[0][f].push(time);
                self.times[t + 1][f].push(time);
            }
        }
    }

    pub(super) fn finish(mut self, servers: &AreaServers, events: u64, digest: String) -> AreaOutcome {
        let mut times = std::mem::take(&mut self.times).into_iter();
        let [v6, v4] = times.next().expect("the area's own");
        let (v6, v4) = (sorted(v6), sorted(v4));
        self.shape.all.ipv6_restored = Distribution::of_sorted(&v6);
        self.shape.all.ipv4_restored = Distribution::of_sorted(&v4);
        self.shape.recovery = RecoveryCurve::of_sorted(&v6, &v4);
        for (name, [v6, v4]) in self.names.iter().zip(times) {
            let group = self.shape.templates.get_mut(name).expect("a template");
            group.ipv6_restored = Distribution::of(v6);
            group.ipv4_restored = Distribution::of(v4);
        }
        self.shape.distributor = servers.distributor.stats.clone();
        self.shape.rule_servers = servers
            .rule_servers
            .iter()
            .map(|(name, r)| (name.to_string(), r.stats.clone()))
            .collect();
        self.shape.brs = servers
            .brs
            .iter()
            .map(|(name, b)| (name.to_string(), b.stats.clone()))
            .collect();
        self.shape.events = events;
        self.shape.digest = digest;
        self.shape
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_with_never_last() {
        let s = |n: u64| Some(n * 1_000_000_000);
        let d = Distribution::of((1..=100).map(s).collect());
        assert_eq!(d.p50.map(|d| d.0.as_secs()), Some(50));
        assert_eq!(d.p99.map(|d| d.0.as_secs()), Some(99));
        assert_eq!(d.max.map(|d| d.0.as_secs()), Some(100));
        let mut with_never: Vec<_> = (1..=98).map(s).collect();
        with_never.extend([None, None]);
        let d = Distribution::of(with_never);
        assert_eq!(d.never, 2);
        assert_eq!(d.p90.map(|d| d.0.as_secs()), Some(90));
        assert_eq!(d.p99, None, "the 99th of 100 is a home that never came back");
        assert_eq!(Distribution::of(Vec::new()).p50, None);
    }

    #[test]
    fn the_recovery_curve_has_a_point_every_5_percent() {
        let s = |n: u64| Some(n * 1_000_000_000);
        let v4 = sorted((1..=100).rev().map(s).chain([None, None]).collect());
        let curve = RecoveryCurve::of_sorted(&[], &v4);
        assert!(curve.ipv6.is_empty(), "no home hit, no curve");
        assert_eq!(curve.ipv4.len(), RECOVERY_POINTS);
        let secs: Vec<Option<u64>> = curve.ipv4.iter().map(|d| d.map(|d| d.0.as_secs())).collect();
        // 102 homes: 5 % is rank 6, 50 % rank 51, 95 % rank 97, 100 % a home never back.
        assert_eq!(secs[0], Some(6));
        assert_eq!(secs[9], Some(51));
        assert_eq!(secs[18], Some(97));
        assert_eq!(secs[19], None);
        assert!(
            secs.windows(2).all(|w| w[1].is_none() || w[0] <= w[1]),
            "{secs:?}"
        );
    }
}
