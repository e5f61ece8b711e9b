//! The network's servers: the Flets Joint software distributor and the
//! VNE's MAP rule server. Each decides, from its state and its faults, how
//! it treats the next request; the exchange itself is real TCP
//! ([`crate::fetch`]).

use std::net::Ipv6Addr;

use serde::{Deserialize, Serialize};

use crate::device_log::LogMessage;
use crate::fetch::ServerBehaviour;
use crate::mape::{MapRule, Mechanism, VnePreset};
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

/// A server's immediate error answer (an area's distributor with a full queue, `503`; a
/// rate-limited rule server, `429`).
pub fn refusal(status: u16) -> ServerBehaviour {
    text_answer(SimDuration::ZERO, status, "{\"error\":\"busy, try again later\"}")
}

/// Status a rate-limited rule server answers with.
pub const STATUS_TOO_MANY_REQUESTS: u16 = 429;

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

    /// How the distributor answers an HGW's request for the VNE's bundle now.
    pub fn answer(&self, bundle_bytes: u32, software: &VneSoftware) -> ServerBehaviour {
        let delay = match faulted(&self.faults) {
            Ok(delay) => delay,
            Err(behaviour) => return behaviour,
        };
        if !self.line_registered {
            return text_answer(delay, 404, "{\"error\":\"line not registered for Flets Joint\"}");
        }
        // The bundle's bytes are filler of the right size: what matters is what
        // it costs to move them over the link. Whole copies of the filler, then cut
        // (a byte-at-a-time `cycle().take()` cost an area run 70 % of its time).
        let len = bundle_bytes as usize;
        let mut body = software.filler.repeat(len.div_ceil(software.filler.len().max(1)));
        body.truncate(len);
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

/// The software Flets Joint delivers to a rental HGW for one VNE, and the lines its app writes
/// to the device log (their texts are in the one table of [`crate::device_log`]).
///
/// Public: v6 plus's MAP-E software is JPNE's and Flets Joint delivers it (JPNE's "徹底解説 v6
/// プラス", quoted in the seed report); transix's operator Internet Multifeed delivers an app
/// to HGWs too (ISP terms for transix name "ホームゲートウェイへの対応アプリ配信"); OCN Virtual
/// Connect is NTT Communications' MAP-E. ASSUMED: the bundle paths and the app names in the
/// log lines (no HGW's log of them is public).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VneSoftware {
    /// The VNE preset it belongs to ([`VnePreset::name`]).
    pub vne: &'static str,
    /// Who makes it, for people.
    pub publisher: &'static str,
    /// Where the distributor serves the bundle.
    pub bundle_path: &'static str,
    /// What the simulated bundle's bytes repeat (only their number matters: transfer time).
    pub filler: &'static [u8],
    pub app_started: LogMessage,
    pub app_stopped: LogMessage,
    pub app_crashed: LogMessage,
    pub app_hung: LogMessage,
}

/// The software of each VNE fletsim knows.
pub const VNE_SOFTWARE: [VneSoftware; 3] = [
    VneSoftware {
        vne: "v6plus",
        publisher: "JPNE (v6 plus)",
        bundle_path: "/v1/bundle/jpne-mape",
        filler: b"JPNE-MAPE-BUNDLE",
        app_started: LogMessage::JpneAppStarted,
        app_stopped: LogMessage::JpneAppStopped,
        app_crashed: LogMessage::JpneAppCrashed,
        app_hung: LogMessage::JpneAppHung,
    },
    VneSoftware {
        vne: "ocn",
        publisher: "NTT Communications (OCN Virtual Connect)",
        bundle_path: "/v1/bundle/ocn-virtual-connect-mape",
        filler: b"OCN-VC-MAPE-BUNDLE",
        app_started: LogMessage::OcnAppStarted,
        app_stopped: LogMessage::OcnAppStopped,
        app_crashed: LogMessage::OcnAppCrashed,
        app_hung: LogMessage::OcnAppHung,
    },
    VneSoftware {
        vne: "transix",
        publisher: "Internet Multifeed (transix DS-Lite)",
        bundle_path: "/v1/bundle/mfeed-transix-dslite",
        filler: b"TRANSIX-DSLITE-BUNDLE",
        app_started: LogMessage::TransixAppStarted,
        app_stopped: LogMessage::TransixAppStopped,
        app_crashed: LogMessage::TransixAppCrashed,
        app_hung: LogMessage::TransixAppHung,
    },
];

impl VneSoftware {
    /// The software of this VNE; a VNE without an entry of its own gets the first entry of its
    /// mechanism (v6 plus's for MAP-E, transix's for DS-Lite).
    pub fn of(vne: &VnePreset) -> &'static VneSoftware {
        let ds_lite = matches!(vne.mechanism, Mechanism::DsLite { .. });
        VNE_SOFTWARE
            .iter()
            .find(|s| s.vne == vne.name)
            .or_else(|| VNE_SOFTWARE.iter().find(|s| (s.vne == "transix") == ds_lite))
            .unwrap_or(&VNE_SOFTWARE[0])
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
