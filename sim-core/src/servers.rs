//! The network's servers: the Flets Joint software distributor and the
//! VNE's MAP rule server. Each decides, from its state and its faults, how
//! it treats the next request; the exchange itself is real TCP
//! ([`crate::fetch`]).

use std::net::Ipv6Addr;

use serde::{Deserialize, Serialize};

use crate::fetch::ServerBehaviour;
use crate::mape::MapRule;
use crate::scenario::LineContract;
use crate::time::SimDuration;

/// A fault in force at a server.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ServerFault {
    /// Accepts, never answers.
    Stall,
    /// Answers with this HTTP status.
    Error(u16),
    /// Answers only after this delay.
    Slow(SimDuration),
    /// Nothing listens: connections are refused.
    Down,
}

/// Faults in force at one server; the latest to start wins while it lasts.
#[derive(Clone, Debug, Default)]
pub struct ServerFaults {
    active: Vec<(u32, ServerFault)>,
}

impl ServerFaults {
    pub fn begin(&mut self, fault: u32, what: ServerFault) {
        self.active.push((fault, what));
    }
    pub fn end(&mut self, fault: u32) {
        self.active.retain(|(f, _)| *f != fault);
    }
    pub fn current(&self) -> Option<ServerFault> {
        self.active.last().map(|(_, f)| *f)
    }
}

fn text_answer(delay: SimDuration, status: u16, text: &str) -> ServerBehaviour {
    ServerBehaviour::Respond {
        delay,
        status,
        content_type: "application/json".into(),
        body: text.as_bytes().to_vec(),
    }
}

/// How a fault shapes an otherwise normal answer: `None` when the fault replaces it.
fn faulted(faults: &ServerFaults) -> Result<SimDuration, ServerBehaviour> {
    match faults.current() {
        None => Ok(SimDuration::ZERO),
        Some(ServerFault::Slow(delay)) => Ok(delay),
        Some(ServerFault::Stall) => Err(ServerBehaviour::Silent),
        Some(ServerFault::Down) => Err(ServerBehaviour::Refuse),
        Some(ServerFault::Error(status)) => Err(text_answer(
            SimDuration::ZERO,
            status,
            "{\"error\":\"server error\"}",
        )),
    }
}

/// NTT's Flets Joint distributor: delivers the VNE's bundle to a rental HGW on a registered line.
#[derive(Clone, Debug)]
pub struct Distributor {
    /// The line is registered for HGW rental (the VNE's software is to be distributed to it).
    pub line_registered: bool,
    /// Distribution to this line has completed at least once.
    pub delivered_to_line: bool,
    pub faults: ServerFaults,
}

impl Distributor {
    pub fn new(line_registered: bool, already_delivered: bool) -> Distributor {
        Distributor {
            line_registered,
            delivered_to_line: already_delivered && line_registered,
            faults: ServerFaults::default(),
        }
    }

    /// How the distributor answers an HGW's request for its bundle now.
    pub fn answer(&self, bundle_bytes: u32) -> ServerBehaviour {
        let delay = match faulted(&self.faults) {
            Ok(delay) => delay,
            Err(behaviour) => return behaviour,
        };
        if !self.line_registered {
            return text_answer(delay, 404, "{\"error\":\"line not registered for Flets Joint\"}");
        }
        // The bundle's bytes are filler of the right size: what matters is what
        // it costs to move them over the link.
        let body = b"JPNE-MAPE-BUNDLE"
            .iter()
            .copied()
            .cycle()
            .take(bundle_bytes as usize)
            .collect();
        ServerBehaviour::Respond {
            delay,
            status: 200,
            content_type: "application/octet-stream".into(),
            body,
        }
    }

    /// The line's registration was switched (a contract change).
    pub fn set_registration(&mut self, registered: bool) {
        if registered && !self.line_registered {
            // A newly registered line needs distribution again.
            self.delivered_to_line = false;
        }
        self.line_registered = registered;
    }
}

/// What the rule server sends: the VNE's JSON answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleAnswer {
    /// The Basic Mapping Rule for the CE's prefix.
    pub rule: MapRule,
    /// The IPv6 address of the rule's border relay.
    pub br: Ipv6Addr,
    /// How long the CE may keep the rule, in seconds.
    pub ttl: u64,
}

impl RuleAnswer {
    /// The answer the VNE's server gives this line: the rule that covers its prefix (the
    /// scenario's own rule for the line, else the VNE's table rule) and that rule's BR;
    /// `None` for DS-Lite or a prefix outside every rule.
    pub fn for_line(line: &LineContract) -> Option<RuleAnswer> {
        let served = line.served_rule()?;
        Some(RuleAnswer {
            rule: served.rule,
            br: served.br,
            // Japanese VNEs ask for a refetch after about 20 hours.
            ttl: 20 * 3600,
        })
    }
}

/// Status the rule server answers a retail router with on a line still waiting for distribution.
pub const STATUS_DISTRIBUTION_PENDING: u16 = 403;

/// The VNE's MAP rule server.
#[derive(Clone, Debug, Default)]
pub struct RuleServer {
    pub faults: ServerFaults,
}

impl RuleServer {
    /// How the server answers a CE's rule request now.
    ///
    /// On a line registered for HGW rental the server does not hand the rule
    /// out until distribution to that line has completed: the HGW's app gets
    /// it, a retail router plugged in instead never does.
    pub fn answer(
        &self,
        line_registered: bool,
        distribution_done: bool,
        rule: Option<&RuleAnswer>,
    ) -> ServerBehaviour {
        let delay = match faulted(&self.faults) {
            Ok(delay) => delay,
            Err(behaviour) => return behaviour,
        };
        if line_registered && !distribution_done {
            return text_answer(
                delay,
                STATUS_DISTRIBUTION_PENDING,
                "{\"error\":\"software distribution pending for this line\"}",
            );
        }
        match rule.map(serde_json::to_vec) {
            Some(Ok(body)) => ServerBehaviour::Respond {
                delay,
                status: 200,
                content_type: "application/json".into(),
                body,
            },
            _ => text_answer(delay, 404, "{\"error\":\"no rule for this prefix\"}"),
        }
    }
}
