//! The outcome of one run: plain serializable data.
//!
//! Outcomes are what expectations judge, what `--json` prints and what
//! snapshots pin, so every field is deterministic (no wall clock, no
//! addresses, fixed key order) and durations print with units (`2m14s`),
//! `null` meaning never.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::napt::NaptStats;
use crate::time::SimDuration;

/// A duration in an outcome, kept to the millisecond; serialized as `"2m14.302s"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dur(pub SimDuration);

impl Dur {
    /// Rounds to the millisecond, the precision outcomes keep.
    pub fn of(d: SimDuration) -> Dur {
        Dur(SimDuration::from_millis((d.as_nanos() + 500_000) / 1_000_000))
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Dur, D::Error> {
        let text = String::deserialize(d)?;
        SimDuration::parse(&text)
            .map(Dur)
            .map_err(serde::de::Error::custom)
    }
}

/// Everything a run produced that a user may judge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub gateway: GatewayOutcome,
    pub ipv6: FamilyOutcome,
    pub ipv4: FamilyOutcome,
    /// One entry per boot, in order.
    pub boots: Vec<BootOutcome>,
    /// The run split at each user change of the setup (device swap, NAPT timers, contract):
    /// one phase when there is none.
    pub phases: Vec<PhaseOutcome>,
    /// The gateway's NAPT table (MAP-E; all zero on DS-Lite, where the gateway does no NAPT).
    pub napt: NaptStats,
    /// The DS-Lite AFTR's carrier-grade NAT for this subscriber (all zero on MAP-E).
    pub aftr: AftrOutcome,
    /// Per LAN client profile.
    pub lan: BTreeMap<String, ClientOutcome>,
    pub trace: TraceSummary,
    /// An area run's homes (the fields above are its home 0's); absent for one home.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<crate::area::AreaOutcome>,
}

/// The gateway as a whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GatewayOutcome {
    pub name: String,
    pub model: String,
    /// How many times it booted (the first power-on included).
    pub boots: u32,
    pub reboots: RebootCounts,
    /// The bring-up step it was waiting at when the run ended (`none` when IPv4 was up).
    pub stuck_at: String,
    /// Complete bundle downloads from Flets Joint.
    pub bundle_downloads: u32,
    /// Java VM or app restarts that did not reboot the unit.
    pub java_restarts: u32,
    /// Units installed: 1 plus the device swaps.
    pub units: u32,
    /// Entries the (last) unit's log holds at the end (its ring keeps the last 1000).
    pub log_entries: u32,
    /// Rule fetches (attempts) and how many failed.
    pub rule_fetches: u32,
    pub rule_fetch_failures: u32,
}

/// Reboots by cause.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RebootCounts {
    /// Reboots the unit did by itself.
    pub spontaneous: u32,
    /// Reboots the user asked for (factory resets included).
    pub user: u32,
    /// Boots after a power cut.
    pub power: u32,
    /// Spontaneous reboots by the local hour of day they happened in (0..24).
    pub hours: Vec<u32>,
    /// Spontaneous reboots between 00:00 and 06:00 (when the home is asleep).
    pub night: u32,
    /// Spontaneous reboots between 09:00 and 18:00.
    pub daytime: u32,
    /// When each spontaneous reboot happened (local calendar time).
    pub times: Vec<String>,
}

/// A stretch of the run between two user changes of the setup.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseOutcome {
    pub from: Dur,
    pub to: Dur,
    pub spontaneous_reboots: u32,
    pub reboots_per_day: f64,
    pub napt_drops: u64,
    pub napt_drops_per_day: f64,
    /// LAN sessions that failed to start, whatever the cause.
    pub failed_sessions: u64,
}

/// One address family (IPv6 or IPv4) over the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FamilyOutcome {
    /// From the first boot's start to the family's first moment up; `null` = never.
    pub first_up: Option<Dur>,
    /// The run time of the last transition to up; `null` = never up.
    pub last_up_at: Option<Dur>,
    pub up_at_end: bool,
    /// Share of the run it was up, in percent.
    pub availability: f64,
    /// Total time it was down (the bring-up at the start included).
    pub downtime: Dur,
    /// Times it went down after having been up.
    pub outages: u32,
    /// The address (IPv4: the MAP-E address; IPv6: the delegated prefix), when known.
    pub address: Option<String>,
}

/// One boot of the gateway.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BootOutcome {
    /// When the boot started, as time since the run's start.
    pub at: Dur,
    pub cause: String,
    /// The local calendar time of the boot's start.
    pub date: String,
    /// From this boot's start to IPv6 up; `null` = not before the next boot or the end.
    pub ipv6_up: Option<Dur>,
    /// From this boot's start to IPv4 up; `null` = not before the next boot or the end.
    pub ipv4_up: Option<Dur>,
    /// HGW: from this boot's start to the Java VM being up, when the device writes
    /// `JavaVM起動(reboot)`; `null` for a retail router, or if it did not come up.
    pub java_vm_up: Option<Dur>,
}

/// One LAN client profile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientOutcome {
    pub clients: u32,
    /// Sessions the clients tried to open.
    pub attempted: u64,
    /// Sessions that could not start, by cause.
    pub failed: FailedSessions,
    /// Sessions in progress when their family went down (an outage or reboot cut them).
    pub cut: u64,
}

/// Failed sessions by cause.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FailedSessions {
    pub ipv4_down: u64,
    pub ipv6_down: u64,
    /// The gateway's NAPT table was full.
    pub napt_full: u64,
    /// No port of the MAP-E port set was free.
    pub port_set_exhausted: u64,
    /// The AFTR's per-subscriber port quota was used up (DS-Lite).
    pub aftr_quota: u64,
    /// The area's BR or AFTR refused it: its session table full, or beyond its setup rate.
    pub br_refused: u64,
}

impl FailedSessions {
    /// All failed sessions, whatever the cause.
    pub fn total(&self) -> u64 {
        self.ipv4_down
            + self.ipv6_down
            + self.napt_full
            + self.port_set_exhausted
            + self.aftr_quota
            + self.br_refused
    }
}

/// The AFTR's carrier-grade NAT, as one subscriber sees it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AftrOutcome {
    /// Most mappings held at once for this subscriber.
    pub peak: u32,
    /// New flows dropped because the subscriber's port quota was used up.
    pub drops: u64,
}

/// The trace in two numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceSummary {
    pub events: u64,
    /// The xxHash64 of every trace event, 16 hex digits.
    pub digest: String,
}

/// What a text or `null` outcome field holds, so expectations can be checked before a run
/// (numbers and booleans show what they are in the outcome's JSON form; text and `null` do not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextField {
    /// A duration (`2m14.302s`); `null` is never.
    Duration,
    /// One of these names.
    Name(Vec<&'static str>),
    /// A local calendar time (`2021-07-14 03:00:00`), ordered in time.
    DateTime,
    /// Any text: an address, a digest, a name from the scenario.
    Free,
}

/// The kind of a text or nullable field, by its path with list items written `[]`
/// (`boots[].cause`, `gateway.reboots.times[]`); `None` for a path that is not one.
pub fn text_field(pattern: &str) -> Option<TextField> {
    use crate::trace::{BootCause, Step};
    // An area's groups of homes (`area.templates.NAME.…`) hold the same distributions as
    // the whole area: read them as `area.…`.
    let grouped;
    let pattern = match pattern
        .strip_prefix("area.templates.")
        .and_then(|rest| rest.split_once('.'))
    {
        Some((_, field)) => {
            grouped = format!("area.{field}");
            grouped.as_str()
        }
        None => pattern,
    };
    let field = match pattern {
        "area.digest" => TextField::Free,
        "area.ipv4_restored.max"
        | "area.ipv4_restored.p50"
        | "area.ipv4_restored.p90"
        | "area.ipv4_restored.p99"
        | "area.ipv6_restored.max"
        | "area.ipv6_restored.p50"
        | "area.ipv6_restored.p90"
        | "area.ipv6_restored.p99"
        | "area.recovery.ipv4[]"
        | "area.recovery.ipv6[]" => TextField::Duration,
        "gateway.name" | "ipv4.address" | "ipv6.address" | "trace.digest" => TextField::Free,
        "gateway.reboots.times[]" | "boots[].date" => TextField::DateTime,
        "gateway.model" => TextField::Name(vec!["hgw", "retail-router"]),
        "gateway.stuck_at" => TextField::Name(Step::ALL.iter().map(|s| s.name()).collect()),
        "boots[].cause" => TextField::Name(BootCause::ALL.iter().map(|c| c.name()).collect()),
        "ipv4.first_up" | "ipv6.first_up" | "ipv4.last_up_at" | "ipv6.last_up_at" | "ipv4.downtime"
        | "ipv6.downtime" | "boots[].at" | "boots[].ipv6_up" | "boots[].ipv4_up" | "boots[].java_vm_up"
        | "phases[].from" | "phases[].to" => TextField::Duration,
        _ => return None,
    };
    Some(field)
}

/// Lists of a fixed length, by path: their length and how their items are counted (for messages).
pub fn fixed_list(path: &str) -> Option<(usize, &'static str)> {
    match path {
        "gateway.reboots.hours" => Some((24, "hours[1] is 00:00-01:00, hours[24] is 23:00-24:00")),
        _ => None,
    }
}
