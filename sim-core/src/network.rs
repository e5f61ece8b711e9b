//! The wire side of the chain: the ONU, the simulated links and the NGN
//! edge's small exchanges (RS/RA and DHCPv6-PD with the host's RFC delays,
//! the lease's Renew and Rebind, NTP, the AFTR's DNS name).
//!
//! Small UDP/ICMPv6 exchanges are timed here from the link's latency and
//! loss with the RFC retransmission timers; the HTTP-style fetches are real
//! TCP (see [`crate::fetch`]). The host's own random delays (RFC 4861
//! §6.3.7, RFC 4862 §5.4.2, RFC 8415 §18.2.1 and the ±10 % of RFC 8415 §15)
//! come from a stream of their own, so they never shift the loss draws.

use rand::Rng;

use crate::fetch::PathConditions;
use crate::rng::SimRng;
use crate::scenario::{Ipv6Delivery, LinkConditions, LinkId};
use crate::time::SimDuration;
use crate::timing::Spread;

/// RFC 4861 §10: the most a host waits before its first Router Solicitation (and, RFC 4862
/// §5.4.2, before the first Neighbor Solicitation of DAD; one wait serves both).
pub const MAX_RTR_SOLICITATION_DELAY: SimDuration = SimDuration::from_secs(1);
/// RFC 4861 §10: between Router Solicitations.
pub const RTR_SOLICITATION_INTERVAL: SimDuration = SimDuration::from_secs(4);
/// RFC 4861 §10: Router Solicitations before the host waits for unsolicited RAs.
pub const MAX_RTR_SOLICITATIONS: u32 = 3;
/// RFC 4861 §10: the most a router delays a solicited RA.
pub const MAX_RA_DELAY_TIME: SimDuration = SimDuration::from_millis(500);
/// ASSUMPTION: the NGN edge sends an unsolicited RA every 60 s.
pub const NGN_RA_INTERVAL: SimDuration = SimDuration::from_secs(60);
/// RFC 4861 §10 RETRANS_TIMER: DAD waits this long after each Neighbor Solicitation (the RA's
/// Retrans Timer field would override it; the NGN's leaves it unspecified).
pub const RETRANS_TIMER: SimDuration = SimDuration::from_secs(1);
/// RFC 4862 §5.1: Neighbor Solicitations DAD sends per address.
pub const DUP_ADDR_DETECT_TRANSMITS: u64 = 1;
/// RFC 8415 §7.6: the most a client waits before its first Solicit.
pub const SOL_MAX_DELAY: SimDuration = SimDuration::from_secs(1);

/// RFC 8415 §7.6 retransmission parameters: initial timeout and cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dhcpv6Timers {
    pub initial: SimDuration,
    pub max: SimDuration,
}

/// SOL_TIMEOUT, SOL_MAX_RT.
pub const SOLICIT_TIMERS: Dhcpv6Timers = Dhcpv6Timers {
    initial: SimDuration::from_secs(1),
    max: SimDuration::from_secs(3600),
};
/// REQ_TIMEOUT, REQ_MAX_RT.
pub const REQUEST_TIMERS: Dhcpv6Timers = Dhcpv6Timers {
    initial: SimDuration::from_secs(1),
    max: SimDuration::from_secs(30),
};
/// REN_TIMEOUT, REN_MAX_RT.
pub const RENEW_TIMERS: Dhcpv6Timers = Dhcpv6Timers {
    initial: SimDuration::from_secs(10),
    max: SimDuration::from_secs(600),
};
/// REB_TIMEOUT, REB_MAX_RT.
pub const REBIND_TIMERS: Dhcpv6Timers = Dhcpv6Timers {
    initial: SimDuration::from_secs(10),
    max: SimDuration::from_secs(600),
};

/// The timers of a delegated prefix, in seconds (what the Reply's IA_PD carries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseTimes {
    /// When the client renews with the server that delegated the prefix.
    pub t1_s: u32,
    /// When it rebinds with any server.
    pub t2_s: u32,
    pub preferred_lifetime_s: u32,
    /// When the prefix is gone if no server answered.
    pub valid_lifetime_s: u32,
}

impl LeaseTimes {
    pub fn t1(self) -> SimDuration {
        SimDuration::from_secs(self.t1_s.into())
    }
    pub fn t2(self) -> SimDuration {
        SimDuration::from_secs(self.t2_s.into())
    }
    pub fn valid(self) -> SimDuration {
        SimDuration::from_secs(self.valid_lifetime_s.into())
    }
}

/// ASSUMPTION (NTT publishes no figure): the NGN delegates with a 4-hour lifetime, T1 at half of
/// it and T2 at 7/8 (RFC 8415 §21.21 leaves the choice to the server).
pub const NGN_PD_LEASE: LeaseTimes = LeaseTimes {
    t1_s: 7200,
    t2_s: 12_600,
    preferred_lifetime_s: 14_400,
    valid_lifetime_s: 14_400,
};

/// Whether the ONU has power, and where it is in its boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OnuPower {
    Off,
    Booting,
    On,
}

/// The ONU: the WAN link carries traffic while it has power, optical signal and a completed
/// ranging (registration with the OLT) since the last time it lost either.
#[derive(Clone, Debug)]
pub struct Onu {
    /// Loss-of-signal faults in force (they may overlap).
    los_active: u32,
    power: OnuPower,
    ranged: bool,
    /// Bumped at every power loss: a boot of an earlier power cycle is stale.
    power_epoch: u64,
    /// Bumped whenever ranging must start over: a ranging of an earlier epoch is stale.
    ranging_epoch: u64,
}

impl Default for Onu {
    /// Powered, lit and ranged: the run starts with the ONU in service.
    fn default() -> Self {
        Onu {
            los_active: 0,
            power: OnuPower::On,
            ranged: true,
            power_epoch: 0,
            ranging_epoch: 0,
        }
    }
}

impl Onu {
    /// Whether the WAN link carries traffic.
    pub fn link_up(&self) -> bool {
        self.power == OnuPower::On && self.los_active == 0 && self.ranged
    }

    /// Whether the ONU has power (booting or on).
    pub fn has_power(&self) -> bool {
        self.power != OnuPower::Off
    }

    /// Whether the optical signal is there (no loss of signal in force).
    pub fn has_light(&self) -> bool {
        self.los_active == 0
    }

    /// A loss of signal begins; returns true when it put the light out (the first one in force).
    pub fn lose_signal(&mut self) -> bool {
        self.los_active += 1;
        self.ranged = false;
        self.ranging_epoch += 1;
        self.los_active == 1
    }

    /// A loss of signal ends; returns true when the light is back.
    pub fn regain_signal(&mut self) -> bool {
        self.los_active = self.los_active.saturating_sub(1);
        self.los_active == 0
    }

    /// The ONU may range now: powered and booted, lit, not ranged yet. Returns the epoch its
    /// ranging belongs to.
    pub fn ranging_can_start(&self) -> Option<u64> {
        (self.power == OnuPower::On && self.los_active == 0 && !self.ranged).then_some(self.ranging_epoch)
    }

    /// Ranging of `epoch` completed; returns true when that brought the link up.
    pub fn ranged(&mut self, epoch: u64) -> bool {
        if epoch != self.ranging_epoch || self.power != OnuPower::On || self.los_active > 0 {
            return false;
        }
        let was_up = self.link_up();
        self.ranged = true;
        !was_up
    }

    /// Power goes; returns true when the ONU had power.
    pub fn power_off(&mut self) -> bool {
        let had = self.power != OnuPower::Off;
        self.power = OnuPower::Off;
        self.ranged = false;
        self.power_epoch += 1;
        self.ranging_epoch += 1;
        had
    }

    /// Power returns: the ONU boots. Returns the epoch its boot belongs to.
    pub fn power_on(&mut self) -> u64 {
        self.power = OnuPower::Booting;
        self.power_epoch
    }

    /// The boot of `epoch` completed; returns true when the ONU is now on.
    pub fn booted(&mut self, epoch: u64) -> bool {
        if epoch != self.power_epoch || self.power != OnuPower::Booting {
            return false;
        }
        self.power = OnuPower::On;
        true
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

impl Exchange {
    /// When the answered attempt was sent (offset from the first transmission).
    fn answered_attempt_sent(&self, rtt: SimDuration) -> SimDuration {
        self.elapsed.saturating_sub(rtt)
    }
}

/// Times a request/answer exchange with retransmissions: attempt `n + 1` is sent
/// `retransmit(n)` after attempt `n`; the answer needs both packets to survive. Gives up after
/// `max_attempts`, or when the next attempt would be sent at or after `deadline`.
fn request_answer(
    rng: &mut SimRng,
    link: LinkConditions,
    server_delay: SimDuration,
    mut retransmit: impl FnMut(u32) -> SimDuration,
    max_attempts: u32,
    deadline: SimDuration,
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
        let next = sent_at + retransmit(attempt);
        if next >= deadline {
            return Exchange {
                elapsed: deadline.max(sent_at),
                answered: false,
                attempts: attempt + 1,
            };
        }
        sent_at = next;
    }
    Exchange {
        elapsed: sent_at,
        answered: false,
        attempts: max_attempts,
    }
}

/// RFC 8415 §15 retransmission timeouts: RT starts at IRT and doubles, each time times
/// 1 + RAND with RAND uniform in -0.1..0.1 (above zero for a Solicit's first, §18.2.1), capped
/// at MRT (again times 1 + RAND). The jitter comes from the host's stream, drawn only when a
/// retransmission is due.
fn dhcpv6_retransmission(
    host: &mut SimRng,
    timers: Dhcpv6Timers,
    first_above: bool,
) -> impl FnMut(u32) -> SimDuration + '_ {
    let mut rt = SimDuration::ZERO;
    move |n| {
        let tenth = |d: SimDuration| SimDuration::from_nanos(d.as_nanos() / 10);
        let jittered = |host: &mut SimRng, d: SimDuration, above: bool| {
            let low = if above { d } else { d - tenth(d) };
            Spread::uniform(low, d + tenth(d)).map_or(d, |s| s.draw(host))
        };
        rt = if n == 0 {
            jittered(host, timers.initial, first_above)
        } else {
            jittered(host, rt.saturating_mul(2), false)
        };
        if rt > timers.max {
            rt = jittered(host, timers.max, false);
        }
        rt
    }
}

/// Where the packets of a successful IPv6 bring-up fall, as offsets from its start (the moment
/// the link came up), for captures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Timeline {
    /// The Neighbor Solicitation of DAD for the link-local address.
    pub dad_link_local: SimDuration,
    /// The Router Solicitation that was answered, and the RA's arrival.
    pub rs: SimDuration,
    pub ra: SimDuration,
    /// DHCPv6-PD: Solicit sent, Advertise received, Request sent, Reply received.
    pub dhcpv6: Option<[SimDuration; 4]>,
    /// The Neighbor Solicitation of DAD for the global address.
    pub dad_address: SimDuration,
}

/// How the gateway got its IPv6 prefix over the WAN link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Acquisition {
    /// From link up to the address being usable (or to giving up).
    pub exchange: Exchange,
    pub timeline: Ipv6Timeline,
}

/// How long the gateway takes from link up to a usable IPv6 address.
///
/// 1. A random wait of 0 to MAX_RTR_SOLICITATION_DELAY (RFC 4862 §5.4.2, RFC 4861 §6.3.7: one
///    wait serves DAD and the first RS), then DAD of the link-local address: one Neighbor
///    Solicitation and RETRANS_TIMER without an answer (RFC 4862 §5.4).
/// 2. Router Solicitations every RTR_SOLICITATION_INTERVAL, three of them, then the NGN's
///    unsolicited RAs; the router delays a solicited RA by up to MAX_RA_DELAY_TIME. The RA is
///    needed in both modes: it carries the default route (and, with DHCPv6-PD, the M and O flags).
/// 3. DHCPv6-PD only: a random wait of 0 to SOL_MAX_DELAY, Solicit/Advertise, then
///    Request/Reply, retransmitted as RFC 8415 §15 says (SOL_TIMEOUT, REQ_TIMEOUT and their caps).
/// 4. DAD of the global address (the CE's address in the /64 or the delegated /56).
///
/// `rng` draws the losses and the router's delay, `host` the host's own random delays.
pub fn acquire_ipv6(
    rng: &mut SimRng,
    host: &mut SimRng,
    wan: LinkConditions,
    delivery: Ipv6Delivery,
) -> Ipv6Acquisition {
    let dad = RETRANS_TIMER.saturating_mul(DUP_ADDR_DETECT_TRANSMITS);
    let wait = Spread::uniform(SimDuration::ZERO, MAX_RTR_SOLICITATION_DELAY)
        .map_or(SimDuration::ZERO, |s| s.draw(host));
    let mut timeline = Ipv6Timeline {
        dad_link_local: wait,
        rs: SimDuration::ZERO,
        ra: SimDuration::ZERO,
        dhcpv6: None,
        dad_address: SimDuration::ZERO,
    };
    let mut t = wait + dad;
    let mut attempts = 0;
    let gave_up = |elapsed, attempts, timeline| Ipv6Acquisition {
        exchange: Exchange {
            elapsed,
            answered: false,
            attempts,
        },
        timeline,
    };

    let ra_delay = jitter(rng, MAX_RA_DELAY_TIME);
    let ra = request_answer(
        rng,
        wan,
        ra_delay,
        |n| {
            if n + 1 < MAX_RTR_SOLICITATIONS {
                RTR_SOLICITATION_INTERVAL
            } else {
                NGN_RA_INTERVAL
            }
        },
        64,
        SimDuration::MAX,
    );
    attempts += ra.attempts;
    if !ra.answered {
        return gave_up(t + ra.elapsed, attempts, timeline);
    }
    timeline.rs = t + ra.answered_attempt_sent(wan.latency.saturating_mul(2) + ra_delay);
    timeline.ra = t + ra.elapsed;
    t = timeline.ra;

    if delivery == Ipv6Delivery::Pd {
        let server = SimDuration::from_millis(2);
        let rtt = wan.latency.saturating_mul(2) + server;
        t += Spread::uniform(SimDuration::ZERO, SOL_MAX_DELAY).map_or(SimDuration::ZERO, |s| s.draw(host));
        let solicit = request_answer(
            rng,
            wan,
            server,
            dhcpv6_retransmission(host, SOLICIT_TIMERS, true),
            64,
            SimDuration::MAX,
        );
        attempts += solicit.attempts;
        if !solicit.answered {
            return gave_up(t + solicit.elapsed, attempts, timeline);
        }
        let solicit_sent = t + solicit.answered_attempt_sent(rtt);
        let advertised = t + solicit.elapsed;
        t = advertised;
        let request = request_answer(
            rng,
            wan,
            server,
            dhcpv6_retransmission(host, REQUEST_TIMERS, false),
            10,
            SimDuration::MAX,
        );
        attempts += request.attempts;
        if !request.answered {
            return gave_up(t + request.elapsed, attempts, timeline);
        }
        let request_sent = t + request.answered_attempt_sent(rtt);
        t += request.elapsed;
        timeline.dhcpv6 = Some([solicit_sent, advertised, request_sent, t]);
    }
    timeline.dad_address = t;
    Ipv6Acquisition {
        exchange: Exchange {
            elapsed: t + dad,
            answered: true,
            attempts,
        },
        timeline,
    }
}

/// A Renew (or, `rebind`, a Rebind) of the delegated prefix, retransmitted as RFC 8415 §18.2.4
/// and §18.2.5 say until `deadline` (T2 for a Renew, the end of the valid lifetime for a Rebind).
pub fn renew_lease(
    rng: &mut SimRng,
    host: &mut SimRng,
    wan: LinkConditions,
    rebind: bool,
    deadline: SimDuration,
) -> Exchange {
    let timers = if rebind { REBIND_TIMERS } else { RENEW_TIMERS };
    request_answer(
        rng,
        wan,
        SimDuration::from_millis(2),
        dhcpv6_retransmission(host, timers, false),
        u32::MAX,
        deadline,
    )
}

/// One NTP query to the NGN's server, polled again every 8 s while unanswered.
pub fn sync_clock(rng: &mut SimRng, wan: LinkConditions) -> Exchange {
    request_answer(
        rng,
        wan,
        SimDuration::from_millis(1),
        |_| SimDuration::from_secs(8),
        16,
        SimDuration::MAX,
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
        SimDuration::MAX,
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
    }

    #[test]
    fn ipv6_bring_up_waits_the_rfc_delays() {
        let wan = LinkConditions {
            latency: SimDuration::from_millis(5),
            loss: 0.0,
        };
        let ms = SimDuration::from_millis;
        let mut elapsed = Vec::new();
        for seed in 0..200 {
            let pd = acquire_ipv6(&mut rng(seed), &mut rng(seed + 1000), wan, Ipv6Delivery::Pd);
            let t = pd.timeline;
            assert!(pd.exchange.answered);
            // Random wait (< 1 s), DAD (1 s), RS, the RA within 10 ms + MAX_RA_DELAY_TIME.
            assert!(t.dad_link_local <= MAX_RTR_SOLICITATION_DELAY);
            assert_eq!(t.rs, t.dad_link_local + RETRANS_TIMER);
            assert!(t.ra >= t.rs + ms(10) && t.ra <= t.rs + ms(510), "{t:?}");
            // The Solicit waits up to SOL_MAX_DELAY after the RA; each DHCPv6 round trip is 12 ms.
            let [solicit, advertise, request, reply] = t.dhcpv6.expect("PD");
            assert!(solicit >= t.ra && solicit <= t.ra + SOL_MAX_DELAY);
            assert_eq!((advertise - solicit, reply - request), (ms(12), ms(12)));
            assert_eq!(request, advertise);
            // DAD of the global address, then the address is usable.
            assert_eq!(t.dad_address, reply);
            assert_eq!(pd.exchange.elapsed, reply + RETRANS_TIMER);
            elapsed.push(pd.exchange.elapsed);
            let ra = acquire_ipv6(&mut rng(seed), &mut rng(seed + 1000), wan, Ipv6Delivery::Ra);
            assert_eq!(ra.timeline.dhcpv6, None);
            assert_eq!(ra.exchange.elapsed, ra.timeline.ra + RETRANS_TIMER);
        }
        let (min, max) = (
            elapsed.iter().min().copied().unwrap_or_default(),
            elapsed.iter().max().copied().unwrap_or_default(),
        );
        // 2 s of DAD plus up to 2.5 s of random delays: spread over most of that range.
        assert!(
            min < ms(2400) && max > ms(4000) && max < ms(4600),
            "{min} .. {max}"
        );
        elapsed.sort();
        elapsed.dedup();
        assert_eq!(elapsed.len(), 200);
    }

    #[test]
    fn loss_costs_retransmissions() {
        let lossy = LinkConditions {
            latency: SimDuration::from_millis(5),
            loss: 0.5,
        };
        let slower = (0..50)
            .map(|s| acquire_ipv6(&mut rng(s), &mut rng(s + 99), lossy, Ipv6Delivery::Ra))
            .filter(|a| a.exchange.attempts > 1 && a.timeline.ra >= SimDuration::from_secs(5))
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
    fn dhcpv6_retransmissions_double_with_jitter_up_to_the_cap() {
        let mut host = rng(3);
        let mut rt = dhcpv6_retransmission(&mut host, SOLICIT_TIMERS, true);
        let first = rt(0);
        assert!(first >= SimDuration::from_secs(1) && first <= SimDuration::from_millis(1100));
        let mut previous = first;
        for n in 1..20 {
            let next = rt(n);
            let cap = SimDuration::from_secs(3960);
            assert!(next <= cap, "attempt {n}: {next}");
            if next < SimDuration::from_secs(3240) {
                let (n, p) = (next.as_nanos(), previous.as_nanos());
                assert!(
                    n >= p / 10 * 18 && n <= p / 10 * 22 + 22,
                    "attempt {n}: {next} after {previous}"
                );
            }
            previous = next;
        }
        assert!(
            previous >= SimDuration::from_secs(3240),
            "capped near SOL_MAX_RT: {previous}"
        );
    }

    #[test]
    fn a_renew_gives_up_at_its_deadline() {
        let dead = LinkConditions {
            latency: SimDuration::from_millis(1),
            loss: 1.0,
        };
        let deadline = NGN_PD_LEASE.t2() - NGN_PD_LEASE.t1();
        let e = renew_lease(&mut rng(1), &mut rng(2), dead, false, deadline);
        assert!(!e.answered);
        assert_eq!(e.elapsed, deadline);
        // 10 s doubling to 600 s within 5400 s: 10 + 20 + ... + 640-capped: about 14 attempts.
        assert!((10..=16).contains(&e.attempts), "{}", e.attempts);
        let clean = LinkConditions {
            latency: SimDuration::from_millis(1),
            loss: 0.0,
        };
        let ok = renew_lease(&mut rng(1), &mut rng(2), clean, true, deadline);
        assert!(ok.answered && ok.attempts == 1);
    }

    #[test]
    fn the_onu_needs_power_light_and_ranging() {
        let mut onu = Onu::default();
        assert!(onu.link_up());
        assert!(onu.lose_signal());
        assert!(!onu.lose_signal(), "a second overlapping loss");
        assert!(!onu.link_up() && onu.ranging_can_start().is_none());
        assert!(!onu.regain_signal());
        assert!(onu.regain_signal());
        let epoch = onu.ranging_can_start().expect("lit and powered");
        assert!(!onu.link_up(), "the light alone does not carry traffic");
        assert!(onu.ranged(epoch) && onu.link_up());
        // A power cut: the boot, then ranging; a stale boot or ranging does nothing.
        assert!(onu.power_off());
        let boot = onu.power_on();
        assert!(onu.ranging_can_start().is_none(), "still booting");
        assert!(!onu.booted(boot + 1));
        assert!(onu.booted(boot));
        let epoch = onu.ranging_can_start().expect("booted");
        assert!(!onu.ranged(epoch + 1));
        onu.lose_signal();
        assert!(!onu.ranged(epoch), "the light went while ranging");
        onu.regain_signal();
        let epoch = onu.ranging_can_start().expect("lit again");
        assert!(onu.ranged(epoch) && onu.link_up());
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
