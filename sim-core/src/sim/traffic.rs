//! LAN traffic: session arrivals and ends, the gateway's NAPT (MAP-E) and
//! the AFTR's carrier-grade NAT (DS-Lite), and the sessions an outage cuts.
//!
//! A session costs two events: its arrival (which also schedules the group's
//! next arrival) and its end. NAPT expiry costs no event at all: the table
//! expires lazily on each call.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4};

use super::*;
use crate::lan::{HourCursor, Protocol, SessionDraws, WeeklyRates};
use crate::napt::{Endpoint, MappingId, NaptDrop};
use crate::packet::{self, FirstPacket};
use crate::scenario::{ClientGroup, ClientProfile};
use rand::Rng;

/// An address family, for session bookkeeping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Family {
    Ipv6,
    Ipv4,
}

/// How a session's IPv4 flow was translated, so its end can be told to the right table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Translation {
    None,
    Napt(MappingId),
    Aftr(MappingId),
}

/// A session in progress, carried by its end event.
#[derive(Clone, Copy, Debug)]
pub(super) struct SessionEnd {
    pub group: u32,
    pub family: Family,
    /// The family's outage count when the session began (wrapping): a later outage has cut
    /// it already. 32 bits keep the event small; a session outliving 2^32 outages cannot be.
    pub epoch: u32,
    pub translation: Translation,
    pub protocol: Protocol,
}

/// Per LAN client group: its stream, its clients' next source ports and its counters.
#[derive(Debug)]
pub(super) struct ClientState {
    pub rng: LanRng,
    /// The group's profile and its session model's draws, prepared from the scenario
    /// once: an area steps thousands of homes in turn, and a session's draws should not
    /// reach into the home's scenario (one more cache miss a session).
    pub profile: ClientProfile,
    pub draws: SessionDraws,
    /// The group's session arrival rate in each hour of the week.
    pub rates: WeeklyRates,
    /// The calendar hour of the group's last arrival (where the next one's walk starts).
    pub hour: HourCursor,
    /// Index of the group's first client among all LAN clients (for addresses).
    pub first_client: u32,
    pub next_port: Vec<u16>,
    /// Sessions in progress per family (IPv6, IPv4).
    pub active: [u64; 2],
    pub outcome: ClientOutcome,
}

/// The AFTR's address (transix's AFTR is found by the name gw.transix.jp; this is the simulated answer).
pub(super) const AFTR_ADDR: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xaf7, 0, 0, 0, 0, 1);

/// The source port of a device's long-lived UDP socket (below the ephemeral range it cycles through).
const SHARED_SOCKET_PORT: u16 = 3074;

/// The private address of LAN client `i` (192.168.1.2 onwards, 250 a /24).
fn lan_address(i: u32) -> Ipv4Addr {
    Ipv4Addr::new(192, 168, (1 + i / 250) as u8, (2 + i % 250) as u8)
}

/// A destination of a profile: addresses from 198.18.0.0/15 (RFC 2544, benchmarking).
fn destination(profile: ClientProfile, index: u32, protocol: Protocol) -> Endpoint {
    // 4096 destinations per profile: profile in the high bits of the third octet.
    let third = (profile as u8) << 4 | ((index >> 8) & 0xf) as u8;
    let addr = Ipv4Addr::new(198, 18 + (profile as u8 >> 4), third, index as u8);
    let port = match protocol {
        Protocol::Icmp => 0,
        _ => 443,
    };
    Endpoint::new(addr, port)
}

impl ClientState {
    pub(super) fn new(rng: LanRng, group: &ClientGroup, first_client: u32) -> ClientState {
        let count = group.count;
        ClientState {
            rng,
            profile: group.profile,
            draws: SessionDraws::of(&group.model),
            rates: group.model.weekly_rates(count),
            hour: HourCursor::default(),
            first_client,
            // Spread the clients' ephemeral ports so they do not march in step.
            next_port: (0..count)
                .map(|i| 49152 + ((first_client + i) * 997 % 16384) as u16)
                .collect(),
            active: [0, 0],
            outcome: ClientOutcome {
                clients: count,
                ..ClientOutcome::default()
            },
        }
    }
}

impl Family {
    fn index(self) -> usize {
        match self {
            Family::Ipv6 => 0,
            Family::Ipv4 => 1,
        }
    }
}

impl Simulation<'_> {
    /// Schedules the group's next session arrival, if one falls within the run.
    pub(super) fn schedule_next_session(&mut self, group: u32) {
        let client = &mut self.clients[group as usize];
        if client.outcome.clients == 0 {
            return;
        }
        let next = crate::lan::next_arrival(
            self.now,
            self.end,
            &self.calendar,
            &mut client.rng,
            &client.rates,
            &mut client.hour,
        );
        if let Some(at) = next {
            self.queue.push(at, Event::SessionStart { group });
        }
    }

    fn br_is_down(&self) -> bool {
        self.shared.as_ref().is_some_and(|s| s.br_is_down(self.vne))
    }

    /// A LAN client starts a session: over IPv6 or IPv4 (through NAPT or the AFTR), or fails.
    pub(super) fn on_session_start(&mut self, group: u32) {
        self.schedule_next_session(group);
        let br_down = self.br_is_down();
        let client = &mut self.clients[group as usize];
        let profile = client.profile;
        let draws = &client.draws;
        let who = (client.rng.next_u64() % u64::from(client.outcome.clients)) as u32;
        let family = if draws.ipv4(&mut client.rng) {
            Family::Ipv4
        } else {
            Family::Ipv6
        };
        let protocol = draws.protocol(&mut client.rng);
        let length = draws.length(&mut client.rng);
        let dest_index = draws.destination(&mut client.rng);
        let shared = protocol == Protocol::Udp && draws.shared_socket(&mut client.rng);
        let source_port = if shared {
            // The device's long-lived UDP socket.
            SHARED_SOCKET_PORT
        } else {
            let port = &mut client.next_port[who as usize];
            let p = *port;
            *port = if *port == u16::MAX { 49152 } else { *port + 1 };
            p
        };
        client.outcome.attempted += 1;

        let up = match family {
            Family::Ipv6 => self.gateway.ipv6.is_up(),
            // An area's BR (or AFTR) outage: the tunnel is up, nothing comes back through it.
            Family::Ipv4 => self.gateway.ipv4.is_up() && !br_down,
        };
        let ipv4 = family == Family::Ipv4;
        if !up {
            self.emit(TraceEvent::Session {
                group,
                ipv4,
                result: 1,
            });
            let failed = &mut self.clients[group as usize].outcome.failed;
            match family {
                Family::Ipv6 => failed.ipv6_down += 1,
                Family::Ipv4 => failed.ipv4_down += 1,
            }
            return;
        }
        // An area's BR or AFTR carries the session, or refuses it (its table full, its
        // setup rate spent); it holds the session's state until the session ends.
        let vne = self.vne;
        let now = self.now;
        if ipv4
            && let Some(shared) = &mut self.shared
            && !shared.br_open(vne, now)
        {
            self.emit(TraceEvent::Session {
                group,
                ipv4,
                result: 5,
            });
            self.clients[group as usize].outcome.failed.br_refused += 1;
            return;
        }
        let translation = match family {
            Family::Ipv6 => Translation::None,
            Family::Ipv4 => {
                let internal = Endpoint::new(lan_address(client.first_client + who), source_port);
                let dest = destination(profile, dest_index, protocol);
                match self.translate(protocol, internal, dest) {
                    Ok(t) => t,
                    Err(cause) => {
                        if let Some(shared) = &mut self.shared {
                            shared.br_close(vne, now);
                        }
                        let result = match cause {
                            TranslationDrop::Napt(NaptDrop::TableFull) => 2,
                            TranslationDrop::Napt(NaptDrop::PortSetExhausted) => 3,
                            TranslationDrop::AftrQuota => 4,
                        };
                        self.emit(TraceEvent::Session { group, ipv4, result });
                        let failed = &mut self.clients[group as usize].outcome.failed;
                        match cause {
                            TranslationDrop::Napt(NaptDrop::TableFull) => failed.napt_full += 1,
                            TranslationDrop::Napt(NaptDrop::PortSetExhausted) => {
                                failed.port_set_exhausted += 1
                            }
                            TranslationDrop::AftrQuota => failed.aftr_quota += 1,
                        }
                        return;
                    }
                }
            }
        };
        self.emit(TraceEvent::Session {
            group,
            ipv4,
            result: 0,
        });
        let client = &mut self.clients[group as usize];
        client.active[family.index()] += 1;
        let epoch = self.family_epochs[family.index()];
        let end = SessionEnd {
            group,
            family,
            epoch,
            translation,
            protocol,
        };
        self.queue.push(self.now + length, Event::SessionEnd(end));
    }

    /// The BR the gateway's MAP-E tunnel goes to: its static rule's, else the one the rule
    /// server sent with the rule (the BR of the rule that covers the line's prefix).
    fn tunnel_br(&self) -> Option<Ipv6Addr> {
        match &self.gateway.spec.model {
            GatewayModel::RetailRouter(r) if r.static_rule.is_some() => r.static_rule.as_ref().map(|s| s.br),
            _ => self.rule_answer.as_ref().map(|a| a.br),
        }
    }

    /// Gives an IPv4 flow its translation: the gateway's NAPT under MAP-E, the AFTR under DS-Lite.
    fn translate(
        &mut self,
        protocol: Protocol,
        internal: Endpoint,
        dest: Endpoint,
    ) -> Result<Translation, TranslationDrop> {
        let now = self.now;
        let first = match protocol {
            Protocol::Tcp => Some(FirstPacket::TcpSyn {
                initial_seq: internal.port as u32 * 7919,
                mss: packet::IPOE_TUNNEL_MSS,
            }),
            Protocol::Udp => Some(FirstPacket::Udp { payload_len: 64 }),
            // No ICMP echo builder: ICMP flows are translated but not captured.
            Protocol::Icmp => None,
        };
        let dst = SocketAddrV4::new(dest.addr, dest.port);
        match &self.gateway.ipv4_config {
            Some(Ipv4Config::MapE(config)) => {
                let napt = self
                    .napt
                    .as_mut()
                    .ok_or(TranslationDrop::Napt(NaptDrop::TableFull))?;
                let mapping = napt
                    .open(now, protocol, internal, dest)
                    .map_err(TranslationDrop::Napt)?;
                if let (Some(br), Some(first)) = (self.tunnel_br(), first)
                    && let Some(capture) = &mut self.capture
                {
                    let src = SocketAddrV4::new(config.ipv4_address(), mapping.external_port);
                    capture.add(
                        LinkId::Wan,
                        now,
                        packet::mape_first_packet(config.ce_address, br, src, dst, first),
                    );
                }
                Ok(Translation::Napt(mapping.id))
            }
            Some(Ipv4Config::DsLite) => {
                let mapping = self
                    .aftr
                    .open(now, protocol, internal, dest)
                    .map_err(|_| TranslationDrop::AftrQuota)?;
                if let (Some(capture), Some(first)) = (&mut self.capture, first) {
                    let src = SocketAddrV4::new(internal.addr, internal.port);
                    capture.add(
                        LinkId::Wan,
                        now,
                        packet::dslite_first_packet(self.ce_addr, AFTR_ADDR, src, dst, first),
                    );
                }
                Ok(Translation::Aftr(mapping.id))
            }
            // IPv4 is up only once it is configured.
            None => Err(TranslationDrop::Napt(NaptDrop::TableFull)),
        }
    }

    /// A session ends: its mapping starts its idle timer (TCP closes with a FIN).
    pub(super) fn on_session_end(&mut self, end: SessionEnd) {
        let now = self.now;
        let release = |table: &mut NaptTable, id: MappingId| {
            if end.protocol == Protocol::Tcp {
                table.close(now, id);
            } else {
                table.end_session(now, id);
            }
        };
        match end.translation {
            Translation::None => {}
            Translation::Napt(id) => {
                if let Some(napt) = &mut self.napt {
                    release(napt, id);
                }
            }
            Translation::Aftr(id) => release(&mut self.aftr, id),
        }
        // Whether a home shares an area's BR is fixed for the run, so it is asked first: a
        // single home's session end then takes no second branch on its family.
        if let Some(shared) = &mut self.shared
            && end.family == Family::Ipv4
        {
            shared.br_close(self.vne, now);
        }
        if end.epoch == self.family_epochs[end.family.index()] {
            let active = &mut self.clients[end.group as usize].active[end.family.index()];
            *active = active.saturating_sub(1);
        }
    }

    /// A family went down: every session over it is cut.
    pub(super) fn cut_sessions(&mut self, family: Family) {
        let epoch = &mut self.family_epochs[family.index()];
        *epoch = epoch.wrapping_add(1);
        for client in &mut self.clients {
            let active = std::mem::take(&mut client.active[family.index()]);
            client.outcome.cut += active;
        }
    }
}

/// Why an IPv4 flow got no translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TranslationDrop {
    Napt(NaptDrop),
    AftrQuota,
}
