//! Trace events: what happened during a run, as data.
//!
//! The simulation sends each event to an [`Observer`](crate::engine::Observer);
//! the digest folds them, `-v` and bisection print them. Text is made only
//! by `Display`, when somebody asks.

use std::fmt;

use crate::engine::{DigestWriter, Digestible};
use crate::scenario::LinkId;
use crate::time::SimDuration;

/// The bring-up step a gateway is at (or waiting at).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// Unpowered.
    PowerOff,
    /// Firmware booting.
    Boot,
    /// Waiting for the ONU's link.
    WanLink,
    /// Soliciting the IPv6 prefix (RS/RA or DHCPv6-PD).
    Ipv6,
    /// Setting the clock over NTP.
    Ntp,
    /// Waiting for Flets Joint to deliver the VNE's software (or for the line's distribution to finish).
    SoftwareDistribution,
    /// Installing the delivered bundle.
    Install,
    /// The Java VM is starting.
    JavaVm,
    /// The VNE app is starting inside the Java VM.
    AppStart,
    /// Fetching the MAP rule from the VNE's rule server.
    RuleFetch,
    /// Resolving the DS-Lite AFTR and bringing the tunnel up.
    Aftr,
    /// Configuring MAP-E from the rule.
    MapeConfig,
    /// IPv4 is up: nothing is pending.
    None,
}

impl Step {
    /// Every step, in bring-up order (expectations on `gateway.stuck_at` are checked against them).
    pub const ALL: [Step; 13] = [
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
        Step::None,
    ];

    /// The name outcomes and expectations use.
    pub fn name(self) -> &'static str {
        match self {
            Step::PowerOff => "power-off",
            Step::Boot => "boot",
            Step::WanLink => "wan-link",
            Step::Ipv6 => "ipv6",
            Step::Ntp => "ntp",
            Step::SoftwareDistribution => "software-distribution",
            Step::Install => "install",
            Step::JavaVm => "java-vm",
            Step::AppStart => "app-start",
            Step::RuleFetch => "rule-fetch",
            Step::Aftr => "aftr",
            Step::MapeConfig => "mape-config",
            Step::None => "none",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a gateway booted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BootCause {
    /// Powered on at the start of the run.
    PowerOn,
    /// Power came back after a cut.
    PowerRestored,
    /// The user asked for a reboot.
    User,
    /// After a factory reset.
    FactoryReset,
    /// The unit rebooted by itself (firmware, or a Java VM fault whose action is a reboot).
    Spontaneous,
    /// A new unit replaced the old one.
    DeviceSwap,
}

impl BootCause {
    /// Every cause (expectations on `boots[N].cause` are checked against them).
    pub const ALL: [BootCause; 6] = [
        BootCause::PowerOn,
        BootCause::PowerRestored,
        BootCause::User,
        BootCause::FactoryReset,
        BootCause::Spontaneous,
        BootCause::DeviceSwap,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BootCause::PowerOn => "power-on",
            BootCause::PowerRestored => "power-restored",
            BootCause::User => "user",
            BootCause::FactoryReset => "factory-reset",
            BootCause::Spontaneous => "spontaneous",
            BootCause::DeviceSwap => "device-swap",
        }
    }
}

/// Which server a fetch went to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FetchTarget {
    Distributor,
    RuleServer,
}

impl FetchTarget {
    pub fn name(self) -> &'static str {
        match self {
            FetchTarget::Distributor => "distributor",
            FetchTarget::RuleServer => "rule-server",
        }
    }
}

/// How a fetch ended, as the gateway saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FetchEnd {
    /// An HTTP answer with this status.
    Status(u16),
    /// The connection was refused (RST).
    Refused,
    /// No answer before the client's timeout.
    TimedOut,
    /// An answer the client could not use.
    Malformed,
}

impl fmt::Display for FetchEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchEnd::Status(s) => write!(f, "HTTP {s}"),
            FetchEnd::Refused => f.write_str("refused"),
            FetchEnd::TimedOut => f.write_str("timed out"),
            FetchEnd::Malformed => f.write_str("malformed answer"),
        }
    }
}

/// One thing that happened.
#[derive(Clone, Debug, PartialEq)]
pub enum TraceEvent {
    FaultBegin {
        fault: u32,
        kind: &'static str,
    },
    FaultEnd {
        fault: u32,
        kind: &'static str,
    },
    LinkChanged {
        link: LinkId,
        latency: SimDuration,
        loss_ppm: u32,
    },
    OnuSignal {
        up: bool,
    },
    /// The ONU lost or regained power (a power cut reaches it too).
    OnuPower {
        on: bool,
    },
    /// The ONU finished ranging: the WAN link carries traffic again.
    OnuRanged,
    PowerOff,
    Boot {
        boot: u32,
        cause: BootCause,
    },
    Step {
        step: Step,
    },
    Ipv6Up,
    Ipv6Down,
    ClockSynced,
    Fetch {
        target: FetchTarget,
        end: FetchEnd,
        elapsed: SimDuration,
        packets: u32,
        lost: u32,
    },
    BundleDelivered,
    BundleDeleted,
    Ipv4Up,
    Ipv4Down,
    ContractChanged {
        hgw_rental: bool,
    },
    /// The Java VM or app changed state (see [`crate::gateway::JavaState`]).
    Java {
        state: &'static str,
    },
    /// A new unit replaced the gateway.
    DeviceSwapped {
        unit: u32,
    },
    /// A Renew (or a Rebind) of the delegated prefix ended: answered, or given up at its deadline.
    Lease {
        rebind: bool,
        answered: bool,
    },
    /// The delegated prefix's valid lifetime ended without an answer: IPv6 is gone.
    LeaseExpired,
    /// A LAN session began (or failed to): its client group, family and result
    /// (0 started, 1 family down, 2 NAPT full, 3 port set exhausted, 4 AFTR quota,
    /// 5 refused by an area's BR or AFTR).
    /// Folded into the digest; `-v` leaves these out of its text.
    Session {
        group: u32,
        ipv4: bool,
        result: u8,
    },
}

impl Digestible for TraceEvent {
    fn digest(&self, w: &mut DigestWriter) {
        match self {
            TraceEvent::FaultBegin { fault, kind } => {
                w.u8(1);
                w.u64(*fault as u64);
                w.str(kind);
            }
            TraceEvent::FaultEnd { fault, kind } => {
                w.u8(2);
                w.u64(*fault as u64);
                w.str(kind);
            }
            TraceEvent::LinkChanged {
                link,
                latency,
                loss_ppm,
            } => {
                w.u8(3);
                w.str(link.name());
                w.u64(latency.as_nanos());
                w.u64(*loss_ppm as u64);
            }
            TraceEvent::OnuSignal { up } => {
                w.u8(4);
                w.u8(*up as u8);
            }
            TraceEvent::PowerOff => w.u8(5),
            TraceEvent::Boot { boot, cause } => {
                w.u8(6);
                w.u64(*boot as u64);
                w.str(cause.name());
            }
            TraceEvent::Step { step } => {
                w.u8(7);
                w.str(step.name());
            }
            TraceEvent::Ipv6Up => w.u8(8),
            TraceEvent::Ipv6Down => w.u8(9),
            TraceEvent::ClockSynced => w.u8(10),
            TraceEvent::Fetch {
                target,
                end,
                elapsed,
                packets,
                lost,
            } => {
                w.u8(11);
                w.str(target.name());
                match end {
                    FetchEnd::Status(s) => {
                        w.u8(0);
                        w.u64(*s as u64);
                    }
                    FetchEnd::Refused => w.u8(1),
                    FetchEnd::TimedOut => w.u8(2),
                    FetchEnd::Malformed => w.u8(3),
                }
                w.u64(elapsed.as_nanos());
                w.u64(*packets as u64);
                w.u64(*lost as u64);
            }
            TraceEvent::BundleDelivered => w.u8(12),
            TraceEvent::BundleDeleted => w.u8(13),
            TraceEvent::Ipv4Up => w.u8(14),
            TraceEvent::Ipv4Down => w.u8(15),
            TraceEvent::ContractChanged { hgw_rental } => {
                w.u8(16);
                w.u8(*hgw_rental as u8);
            }
            TraceEvent::Java { state } => {
                w.u8(17);
                w.str(state);
            }
            TraceEvent::DeviceSwapped { unit } => {
                w.u8(18);
                w.u64(*unit as u64);
            }
            TraceEvent::Session { group, ipv4, result } => {
                // The bytes of u8(19), u64(group), u8(ipv4), u8(result) in one write: a
                // session is most of a long run's trace.
                let mut bytes = [0u8; 11];
                bytes[0] = 19;
                bytes[1..9].copy_from_slice(&u64::from(*group).to_le_bytes());
                bytes[9] = u8::from(*ipv4);
                bytes[10] = *result;
                w.raw(&bytes);
            }
            TraceEvent::OnuPower { on } => {
                w.u8(20);
                w.u8(*on as u8);
            }
            TraceEvent::OnuRanged => w.u8(21),
            TraceEvent::Lease { rebind, answered } => {
                w.u8(22);
                w.u8(*rebind as u8);
                w.u8(*answered as u8);
            }
            TraceEvent::LeaseExpired => w.u8(23),
        }
    }
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // `faults[N]` counts from 1 for a user (the stored index is 0-based).
            TraceEvent::FaultBegin { fault, kind } => {
                write!(f, "fault #{} {kind} begins", u64::from(*fault) + 1)
            }
            TraceEvent::FaultEnd { fault, kind } => write!(f, "fault #{} {kind} ends", u64::from(*fault) + 1),
            TraceEvent::LinkChanged {
                link,
                latency,
                loss_ppm,
            } => write!(
                f,
                "link {link}: latency {latency}, loss {}%",
                *loss_ppm as f64 / 10_000.0
            ),
            TraceEvent::OnuSignal { up: true } => f.write_str("ONU: optical signal back"),
            TraceEvent::OnuSignal { up: false } => f.write_str("ONU: loss of signal"),
            TraceEvent::OnuPower { on: true } => f.write_str("ONU: power back, booting"),
            TraceEvent::OnuPower { on: false } => f.write_str("ONU: power off"),
            TraceEvent::OnuRanged => f.write_str("ONU: ranged, WAN link up"),
            TraceEvent::PowerOff => f.write_str("gateway: power off"),
            TraceEvent::Boot { boot, cause } => write!(f, "gateway: boot #{boot} ({})", cause.name()),
            TraceEvent::Step { step } => write!(f, "gateway: step {step}"),
            TraceEvent::Ipv6Up => f.write_str("gateway: IPv6 up"),
            TraceEvent::Ipv6Down => f.write_str("gateway: IPv6 down"),
            TraceEvent::ClockSynced => f.write_str("gateway: clock synced (NTP)"),
            TraceEvent::Fetch {
                target,
                end,
                elapsed,
                packets,
                lost,
            } => write!(
                f,
                "gateway: fetch from {}: {end} after {elapsed} ({packets} packets, {lost} lost)",
                target.name()
            ),
            TraceEvent::BundleDelivered => f.write_str("gateway: Flets Joint bundle delivered"),
            TraceEvent::BundleDeleted => f.write_str("gateway: Flets Joint bundle deleted"),
            TraceEvent::Ipv4Up => f.write_str("gateway: IPv4 up"),
            TraceEvent::Ipv4Down => f.write_str("gateway: IPv4 down"),
            TraceEvent::ContractChanged { hgw_rental } => {
                write!(
                    f,
                    "line: HGW rental registration {}",
                    if *hgw_rental { "on" } else { "off" }
                )
            }
            TraceEvent::Java { state } => write!(f, "gateway: Java VM/app {state}"),
            TraceEvent::DeviceSwapped { unit } => {
                write!(f, "gateway: unit #{unit} installed in place of the old one")
            }
            TraceEvent::Lease { rebind, answered } => write!(
                f,
                "gateway: DHCPv6 {} of the prefix {}",
                if *rebind { "Rebind" } else { "Renew" },
                if *answered { "answered" } else { "unanswered" }
            ),
            TraceEvent::LeaseExpired => f.write_str("gateway: delegated prefix expired"),
            TraceEvent::Session { group, ipv4, result } => write!(
                f,
                "lan: session of group {group} over {}: {}",
                if *ipv4 { "IPv4" } else { "IPv6" },
                [
                    "started",
                    "family down",
                    "NAPT full",
                    "port set exhausted",
                    "AFTR quota",
                    "BR refused"
                ]
                .get(*result as usize)
                .unwrap_or(&"?")
            ),
        }
    }
}
