//! The wire side of the chain: the ONU, the simulated links and the NGN
//! edge's small exchanges (RS/RA or DHCPv6-PD, NTP, the AFTR's DNS name).
//!
//! Small UDP/ICMPv6 exchanges are timed here from the link's latency and
//! loss with the RFC retransmission timers; the HTTP-style fetches are real
//! TCP (see [`crate::fetch`]).

use rand::Rng;

use crate::fetch::PathConditions;
use crate::rng::SimRng;
use crate::scenario::{Ipv6Delivery, LinkConditions, LinkId};
use crate::time::SimDuration;

/// The ONU: the WAN link is up while it has optical signal.
#[derive(Clone, Debug, Default)]
pub struct Onu {
    /// Loss-of-signal faults in force (they may overlap).
    los_active: u32,
}

impl Onu {
    pub fn has_signal(&self) -> bool {
        self.los_active == 0
    }
    /// Returns true when this made the signal go away.
    pub fn lose_signal(&mut self) -> bool {
        self.los_active += 1;
        self.los_active == 1
    }
    /// Returns true when this brought the signal back.
    pub fn regain_signal(&mut self) -> bool {
        self.los_active = self.los_active.saturating_sub(1);
        self.los_active == 0
    }
}

/// An impairment of a link in force: it overrides the baseline until it ends.
#[derive(Clone, Debug)]
struct Impairment {
    fault: u32,
    loss: Option<f64>,
    latency: Option<SimDuration>,
}

/// The links between the gateway and the servers, with their impairments.
#[derive(Clone, Debug)]
pub struct Links {
    baseline: [LinkConditions; 3],
    impairments: [Vec<Impairment>; 3],
}

fn index(link: LinkId) -> usize {
    match link {
        LinkId::Wan => 0,
        LinkId::Distributor => 1,
        LinkId::RuleServer => 2,
    }
}

impl Links {
    pub fn new(baseline: impl Fn(LinkId) -> LinkConditions) -> Links {
        Links {
            baseline: LinkId::ALL.map(baseline),
            impairments: Default::default(),
        }
    }

    /// The link's conditions now: the most recent impairment wins for each field.
    pub fn conditions(&self, link: LinkId) -> LinkConditions {
        let i = index(link);
        let mut c = self.baseline[i];
        for imp in &self.impairments[i] {
            if let Some(loss) = imp.loss {
                c.loss = loss;
            }
            if let Some(latency) = imp.latency {
                c.latency = latency;
            }
        }
        c
    }

    pub fn impair(&mut self, link: LinkId, fault: u32, loss: Option<f64>, latency: Option<SimDuration>) {
        self.impairments[index(link)].push(Impairment { fault, loss, latency });
    }

    pub fn repair(&mut self, link: LinkId, fault: u32) {
        self.impairments[index(link)].retain(|imp| imp.fault != fault);
    }

    /// The end-to-end path from the gateway through the WAN link to a server's link.
    pub fn path_to(&self, server: LinkId) -> PathConditions {
        let wan = self.conditions(LinkId::Wan);
        let far = self.conditions(server);
        PathConditions::new(
            wan.latency + far.latency,
            1.0 - (1.0 - wan.loss) * (1.0 - far.loss),
        )
    }
}

/// Whether one packet crosses a link with loss `p`.
fn survives(rng: &mut SimRng, p: f64) -> bool {
    if p <= 0.0 {
        return true;
    }
    if p >= 1.0 {
        return false;
    }
    // 53 random bits, exactly representable: portable across platforms.
    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    u >= p
}

/// A uniform draw in `[0, max)` nanoseconds.
fn jitter(rng: &mut SimRng, max: SimDuration) -> SimDuration {
    if max.is_zero() {
        SimDuration::ZERO
    } else {
        SimDuration::from_nanos(rng.next_u64() % max.as_nanos())
    }
}

/// The result of timing a small request/answer exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exchange {
    /// From the first transmission to the answer, or to giving up.
    pub elapsed: SimDuration,
    /// Whether an answer arrived (false: every attempt in the budget was lost).
    pub answered: bool,
    pub attempts: u32,
}

/// Times a request/answer exchange with retransmissions: attempt `n` is sent
/// `timeouts[..n]` after the first; the answer needs both packets to survive.
fn request_answer(
    rng: &mut SimRng,
    link: LinkConditions,
    server_delay: SimDuration,
    retransmit: impl Fn(u32) -> SimDuration,
    max_attempts: u32,
) -> Exchange {
    let rtt = link.latency.saturating_mul(2) + server_delay;
    let mut sent_at = SimDuration::ZERO;
    for attempt in 0..max_attempts {
        if survives(rng, link.loss) && survives(rng, link.loss) {
            return Exchange {
                elapsed: sent_at + rtt,
                answered: true,
                attempts: attempt + 1,
            };
        }
        sent_at += retransmit(attempt);
    }
    Exchange {
        elapsed: sent_at,
        answered: false,
        attempts: max_attempts,
    }
}

/// How long the gateway takes to get its IPv6 prefix over the WAN link.
///
/// RA: Router Solicitations every 4 s (RFC 4861 RTR_SOLICITATION_INTERVAL),
/// three of them, then the NGN's periodic unsolicited RAs (every 60 s here);
/// the router delays a solicited RA by up to 0.5 s (MAX_RA_DELAY_TIME).
/// DHCPv6-PD: Solicit/Advertise then Request/Reply, each retransmitted from
/// 1 s doubling (RFC 8415 SOL_TIMEOUT, REQ_TIMEOUT; caps SOL_MAX_RT 3600 s,
/// REQ_MAX_RT 30 s).
pub fn acquire_ipv6(rng: &mut SimRng, wan: LinkConditions, delivery: Ipv6Delivery) -> Exchange {
    match delivery {
        Ipv6Delivery::Ra => {
            let delay = jitter(rng, SimDuration::from_millis(500));
            request_answer(
                rng,
                wan,
                delay,
                |n| {
                    if n < 2 {
                        SimDuration::from_secs(4)
                    } else {
                        SimDuration::from_secs(60)
                    }
                },
                64,
            )
        }
        Ipv6Delivery::Pd => {
            let server = SimDuration::from_millis(2);
            let doubling = |cap: u64| move |n: u32| SimDuration::from_secs((1u64 << n.min(20)).min(cap));
            let solicit = request_answer(rng, wan, server, doubling(3600), 32);
            if !solicit.answered {
                return solicit;
            }
            let request = request_answer(rng, wan, server, doubling(30), 32);
            Exchange {
                elapsed: solicit.elapsed + request.elapsed,
                answered: request.answered,
                attempts: solicit.attempts + request.attempts,
            }
        }
    }
}

/// One NTP query to the NGN's server, polled again every 8 s while unanswered.
pub fn sync_clock(rng: &mut SimRng, wan: LinkConditions) -> Exchange {
    request_answer(
        rng,
        wan,
        SimDuration::from_millis(1),
        |_| SimDuration::from_secs(8),
        16,
    )
}

/// Resolving the AFTR's name (DS-Lite) with the NGN's DNS, retried every 2 s.
pub fn resolve_aftr(rng: &mut SimRng, wan: LinkConditions) -> Exchange {
    request_answer(
        rng,
        wan,
        SimDuration::from_millis(3),
        |_| SimDuration::from_secs(2),
        16,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{StreamId, Streams};

    fn rng(seed: u64) -> SimRng {
        Streams::new(seed).rng(StreamId::named("test"))
    }

    #[test]
    fn clean_link_answers_in_one_round_trip() {
        let wan = LinkConditions {
            latency: SimDuration::from_millis(5),
            loss: 0.0,
        };
        let e = sync_clock(&mut rng(1), wan);
        assert_eq!(
            e,
            Exchange {
                elapsed: SimDuration::from_millis(11),
                answered: true,
                attempts: 1
            }
        );
        let pd = acquire_ipv6(&mut rng(1), wan, Ipv6Delivery::Pd);
        assert_eq!(pd.elapsed, SimDuration::from_millis(24));
        assert_eq!(pd.attempts, 2);
    }

    #[test]
    fn loss_costs_retransmissions() {
        let lossy = LinkConditions {
            latency: SimDuration::from_millis(5),
            loss: 0.5,
        };
        let slower = (0..50)
            .map(|s| acquire_ipv6(&mut rng(s), lossy, Ipv6Delivery::Ra))
            .filter(|e| e.attempts > 1 && e.elapsed >= SimDuration::from_secs(4))
            .count();
        assert!(
            slower > 20,
            "half the packets lost should often need a second RS: {slower}/50"
        );
        let dead = LinkConditions {
            latency: SimDuration::from_millis(5),
            loss: 1.0,
        };
        assert!(!sync_clock(&mut rng(1), dead).answered);
    }

    #[test]
    fn impairments_override_and_repair() {
        let mut links = Links::new(LinkConditions::default_for);
        links.impair(LinkId::RuleServer, 7, Some(0.3), None);
        let p = links.path_to(LinkId::RuleServer);
        assert!((p.loss - 0.3).abs() < 1e-12);
        assert_eq!(p.one_way_latency, SimDuration::from_millis(7));
        links.repair(LinkId::RuleServer, 7);
        assert_eq!(links.path_to(LinkId::RuleServer).loss, 0.0);
    }
}
