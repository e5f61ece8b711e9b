//! The validated scenario: what a run simulates, in sim-core's own types.
//!
//! The harness parses YAML into raw structs and validates them into these
//! (units resolved, names turned into presets and ids); sim-core never sees
//! text. Every field here is already known to be sane: a run cannot fail on
//! its input.

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv6Addr;

use crate::hazard::Hazard;
use crate::lan::ProfileModel;
use crate::mape::{Ipv6Prefix, RuleAndBr, VnePreset};
use crate::napt::{NaptConfig, NaptTimeouts};
use crate::time::{CivilDateTime, SimDuration, SimTime};
use crate::timing::Spread;

/// Hard limits that keep runaway input from hanging a run.
pub mod limits {
    use crate::time::SimDuration;
    /// Longest simulated run.
    pub const MAX_DURATION: SimDuration = SimDuration::from_days(3 * 366);
    /// Most faults one scenario may list.
    pub const MAX_FAULTS: usize = 10_000;
    /// Most LAN clients, all groups together.
    pub const MAX_CLIENTS: u32 = 10_000;
    /// Most sessions per hour one client may open.
    pub const MAX_SESSIONS_PER_HOUR: f64 = 100_000.0;
    /// Most events any run may process before it stops with an error (about ten
    /// minutes of one core). A run's own limit is usually lower: it scales with
    /// what the scenario's models can produce ([`crate::cost::event_limit`]).
    pub const MAX_EVENTS: u64 = 4_000_000_000;
    /// Shortest pause between two attempts to get the software from Flets Joint
    /// (`gateway.hgw.distribution_retry`, default 5m). Each attempt is a simulated TCP
    /// download: at this floor a day of failed attempts costs about 0.25 s of run time.
    pub const MIN_DISTRIBUTION_RETRY: SimDuration = SimDuration::from_secs(30);
    /// Shortest pause between two MAP rule fetches (`rule_retry.initial` and `.max`; defaults
    /// 1m on the HGW, 30s on a router): at this floor a day of refused fetches costs about 0.25 s.
    pub const MIN_RULE_RETRY: SimDuration = SimDuration::from_secs(10);
}

/// One scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// A short name, by default the file's stem.
    pub name: String,
    pub seed: u64,
    /// The local (JST) calendar moment the run starts at.
    pub start: CivilDateTime,
    pub duration: SimDuration,
    pub line: LineContract,
    pub links: BTreeMap<LinkId, LinkConditions>,
    pub gateway: GatewaySpec,
    pub lan: Vec<ClientGroup>,
    pub faults: Vec<FaultSpec>,
    /// The DS-Lite AFTR's carrier-grade NAT (used on DS-Lite lines only).
    pub aftr: AftrSpec,
    /// Many homes like this one sharing the NGN's servers ([`crate::area`]); `None`: one home.
    pub area: Option<Box<crate::area::AreaSpec>>,
}

/// The AFTR's carrier-grade NAT as one subscriber sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AftrSpec {
    /// External ports (so concurrent mappings) one subscriber may hold.
    pub port_quota: u32,
    pub timeouts: NaptTimeouts,
}

impl Default for AftrSpec {
    /// ASSUMPTION: transix publishes no quota; 2048 ports per subscriber and RFC timers.
    fn default() -> Self {
        AftrSpec {
            port_quota: 2048,
            timeouts: NaptTimeouts::rfc(),
        }
    }
}

/// The subscriber's line: which VNE, whether it is registered for HGW rental, how IPv6 arrives.
#[derive(Clone, Debug)]
pub struct LineContract {
    pub vne: &'static VnePreset,
    /// Registered with Flets Joint for a rented NTT HGW: the network runs software distribution first.
    pub hgw_rental: bool,
    pub ipv6_delivery: Ipv6Delivery,
    /// The End-user IPv6 prefix the NGN hands out.
    pub prefix: Ipv6Prefix,
    /// Share of boots whose first NTP query goes unanswered (the next poll comes 64 s later).
    pub ntp_first_query_loss: f64,
    /// The rule (and BR) the VNE's rule server hands out for this line, when the scenario
    /// gives one of its own; `None`: the rule of the VNE's table that covers `prefix`.
    pub map_rule: Option<RuleAndBr>,
    /// The ONU's own timings (it belongs to the line: NTT's equipment).
    pub onu: OnuTimings,
}

impl LineContract {
    /// What the VNE's rule server answers for this line: the scenario's own rule, else the
    /// VNE's table rule covering the prefix; `None` for DS-Lite or a prefix outside the table.
    pub fn served_rule(&self) -> Option<RuleAndBr> {
        match &self.map_rule {
            Some(own) => Some(own.clone()),
            None => self.vne.rule_for(&self.prefix).map(|r| r.rule_and_br()),
        }
    }
}

/// How long the ONU takes to carry traffic again: after its power returns it boots, then ranges;
/// after a loss of signal it only ranges (PON discovery and registration with the OLT).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OnuTimings {
    pub boot_time: Spread,
    pub ranging_time: Spread,
}

impl Default for OnuTimings {
    /// ASSUMPTION (no published figure for NTT's ONUs): boot 30-50 s; ranging 5-15 s, of which the
    /// EPON MPCP discovery and registration itself takes under a second (IEEE 802.3 clause 64), the
    /// rest the OLT's periodic discovery windows, OAM discovery and the line's authentication.
    fn default() -> Self {
        OnuTimings {
            boot_time: Spread::secs(30, 50),
            ranging_time: Spread::secs(5, 15),
        }
    }
}

/// The default share of boots whose first NTP query goes unanswered. ASSUMPTION: one of the
/// report's 38 boot lines carries the unset clock, so about 3 %.
pub const DEFAULT_NTP_FIRST_QUERY_LOSS: f64 = 0.03;

/// The End-user prefix a line of this VNE gets when a scenario names none:
/// the domain reference's examples, inside each preset's table.
pub fn default_prefix(vne: &VnePreset) -> Ipv6Prefix {
    let addr = match (vne.name, vne.rules().first()) {
        ("v6plus", _) => Ipv6Addr::new(0x240b, 0x10, 0x3f6c, 0xd400, 0, 0, 0, 0),
        ("ocn", _) => Ipv6Addr::new(0x2400, 0x4050, 0x123, 0x4500, 0, 0, 0, 0),
        (_, Some(first)) => first.rule.ipv6_prefix.addr(),
        // An NGN prefix of NTT East's block, for DS-Lite lines.
        _ => Ipv6Addr::new(0x2409, 0x10, 0x2520, 0xf100, 0, 0, 0, 0),
    };
    Ipv6Prefix::new(addr, 56).expect("a /56 is a valid prefix length")
}

/// The End-user prefix of a line with this delivery when a scenario names none: the /56 of
/// [`default_prefix`] for DHCPv6-PD, its first /64 for a Router Advertisement line.
pub fn default_line_prefix(vne: &VnePreset, delivery: Ipv6Delivery) -> Ipv6Prefix {
    let prefix = default_prefix(vne);
    Ipv6Prefix::new(prefix.addr(), delivery.prefix_len()).unwrap_or(prefix)
}

/// How the NGN delivers the IPv6 prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ipv6Delivery {
    /// Router Advertisement of a /64 (lines without Hikari Denwa).
    Ra,
    /// DHCPv6 prefix delegation of a /56 (lines with Hikari Denwa, Flets Cross).
    Pd,
}

impl Ipv6Delivery {
    pub fn name(self) -> &'static str {
        match self {
            Ipv6Delivery::Ra => "ra",
            Ipv6Delivery::Pd => "pd",
        }
    }

    /// The length of the prefix the NGN hands out this way (/64 by RA, /56 by DHCPv6-PD).
    pub fn prefix_len(self) -> u8 {
        match self {
            Ipv6Delivery::Ra => 64,
            Ipv6Delivery::Pd => 56,
        }
    }
}

/// The simulated links a fault can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LinkId {
    /// Gateway WAN port, ONU and the NGN edge.
    Wan,
    /// NGN to the Flets Joint distributor.
    Distributor,
    /// NGN to the VNE's MAP rule server.
    RuleServer,
}

impl LinkId {
    pub const ALL: [LinkId; 3] = [LinkId::Wan, LinkId::Distributor, LinkId::RuleServer];
    pub fn name(self) -> &'static str {
        match self {
            LinkId::Wan => "wan",
            LinkId::Distributor => "distributor",
            LinkId::RuleServer => "rule-server",
        }
    }
    pub fn from_name(name: &str) -> Option<LinkId> {
        LinkId::ALL.into_iter().find(|l| l.name() == name)
    }
}

impl fmt::Display for LinkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A link's one-way latency and per-packet loss.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkConditions {
    pub latency: SimDuration,
    /// Per-packet loss probability in each direction, 0.0..=1.0.
    pub loss: f64,
}

impl LinkConditions {
    /// Defaults of a healthy NGN path.
    pub fn default_for(link: LinkId) -> LinkConditions {
        let latency = match link {
            LinkId::Wan => SimDuration::from_millis(1),
            LinkId::Distributor => SimDuration::from_millis(4),
            LinkId::RuleServer => SimDuration::from_millis(6),
        };
        LinkConditions { latency, loss: 0.0 }
    }
}

/// The home gateway: its name, model and settings.
#[derive(Clone, Debug)]
pub struct GatewaySpec {
    pub name: String,
    /// From power-on (when the unset clock starts at 2019-01-01 00:00:00) until the firmware is
    /// up: the WAN port comes up and an HGW with its bundle in flash starts the Java VM.
    pub boot_time: Spread,
    /// From a reboot request until the unit starts booting again (the clean stop, the reset and
    /// the boot loader).
    pub shutdown_time: Spread,
    /// From IPv6 up until the first NTP query goes out.
    pub ntp_delay: Spread,
    pub model: GatewayModel,
    /// The NAPT table MAP-E traffic goes through (unused on DS-Lite, where the AFTR translates).
    pub napt: NaptConfig,
}

/// What kind of gateway sits behind the ONU.
#[derive(Clone, Debug)]
pub enum GatewayModel {
    /// NTT's rented home gateway: IPv4 (MAP-E or DS-Lite) is a Java app pushed by Flets Joint.
    Hgw(HgwSettings),
    /// A retail MAP-E / DS-Lite router: its IPv4 is firmware.
    RetailRouter(RouterSettings),
}

impl GatewayModel {
    pub fn name(&self) -> &'static str {
        match self {
            GatewayModel::Hgw(_) => "hgw",
            GatewayModel::RetailRouter(_) => "retail-router",
        }
    }

    /// The default boot time of this kind of gateway.
    pub fn default_boot_time(&self) -> Spread {
        match self {
            GatewayModel::Hgw(_) => HGW_BOOT_TIME,
            GatewayModel::RetailRouter(_) => ROUTER_BOOT_TIME,
        }
    }

    /// The default shutdown time of this kind of gateway.
    pub fn default_shutdown_time(&self) -> Spread {
        match self {
            GatewayModel::Hgw(_) => HGW_SHUTDOWN_TIME,
            GatewayModel::RetailRouter(_) => ROUTER_SHUTDOWN_TIME,
        }
    }
}

// Defaults calibrated to the report's log (docs/scenarios.md has the table with sources).
// Power-on to `JavaVM起動(reboot)` is boot + Java VM start: 19-23 s + 18-22 s = 41 s on average,
// the `2019-01-01 00:00:41` of the report's entry 96 (a boot whose clock NTP had not yet set).
// A user reboot to `JavaVM起動(reboot)` adds the shutdown: 25-29 s + 41 s = 68 s on average, the
// report's entries 474 (19:21:11) and 469 (19:22:19).

/// HGW power-on to firmware up (19-23 s; with the Java VM start, calibrated to the report's 41 s).
pub const HGW_BOOT_TIME: Spread = Spread::secs(19, 23);
/// HGW reboot request to the next boot (25-29 s; calibrated to the report's 68 s less 41 s).
pub const HGW_SHUTDOWN_TIME: Spread = Spread::secs(25, 29);
/// ASSUMPTION: a retail router boots in 20-30 s.
pub const ROUTER_BOOT_TIME: Spread = Spread::secs(20, 30);
/// ASSUMPTION: a retail router restarts in 4-6 s.
pub const ROUTER_SHUTDOWN_TIME: Spread = Spread::secs(4, 6);
/// ASSUMPTION: the NTP client's first query goes out 1-5 s after IPv6 is up.
pub const DEFAULT_NTP_DELAY: Spread = Spread::secs(1, 5);

/// The HGW's bring-up timings (model parameters with observed-plausible defaults).
#[derive(Clone, Debug)]
pub struct HgwSettings {
    /// The VNE's bundle (JPNE's, OCN's or transix's software) is already in flash at the start.
    pub bundle_cached: bool,
    /// Size of the bundle Flets Joint delivers.
    pub bundle_bytes: u32,
    /// How long the HGW waits for the distributor before giving up on one attempt.
    pub distribution_timeout: SimDuration,
    /// Pause between distribution attempts.
    pub distribution_retry: SimDuration,
    /// Unpacking and installing a delivered bundle.
    pub install_time: Spread,
    /// Java VM start-up, until it writes `JavaVM起動(reboot)`.
    pub java_vm_start: Spread,
    /// The app's own start-up inside the Java VM.
    pub app_start: Spread,
    /// The app's rule fetch retries.
    pub rule_retry: Backoff,
}

impl Default for HgwSettings {
    fn default() -> Self {
        HgwSettings {
            bundle_cached: false,
            bundle_bytes: 512 * 1024,
            distribution_timeout: SimDuration::from_secs(60),
            distribution_retry: SimDuration::from_mins(5),
            // ASSUMPTION: unpacking and installing a 512 KiB bundle, 20-40 s.
            install_time: Spread::secs(20, 40),
            // 18-22 s: with the boot time, the report's 41 s from power-on to `JavaVM起動`.
            java_vm_start: Spread::secs(18, 22),
            // ASSUMPTION: 8-12 s for the app inside the running VM.
            app_start: Spread::secs(8, 12),
            rule_retry: Backoff {
                initial: SimDuration::from_secs(60),
                max: SimDuration::from_mins(20),
            },
        }
    }
}

/// A retail router's IPv4 settings.
#[derive(Clone, Debug)]
pub struct RouterSettings {
    /// A MAP rule (and BR) typed in by the user: no rule fetch at all.
    pub static_rule: Option<RuleAndBr>,
    pub rule_retry: Backoff,
}

impl Default for RouterSettings {
    fn default() -> Self {
        RouterSettings {
            static_rule: None,
            rule_retry: Backoff {
                initial: SimDuration::from_secs(30),
                max: SimDuration::from_mins(20),
            },
        }
    }
}

/// Retry pauses that double from `initial` up to `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub initial: SimDuration,
    pub max: SimDuration,
}

impl Backoff {
    /// The pause before retry number `attempt` (0 = the first retry).
    pub fn delay(&self, attempt: u32) -> SimDuration {
        let factor = 1u64.checked_shl(attempt.min(40)).unwrap_or(u64::MAX);
        self.initial
            .saturating_mul(factor)
            .min(self.max)
            .max(self.initial.min(self.max))
    }
}

/// LAN client profiles the simulator knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClientProfile {
    TeleworkPc,
    SmartSpeaker,
    Phone,
    GameConsole,
    BrowserPc,
}

impl ClientProfile {
    pub const ALL: [ClientProfile; 5] = [
        ClientProfile::TeleworkPc,
        ClientProfile::SmartSpeaker,
        ClientProfile::Phone,
        ClientProfile::GameConsole,
        ClientProfile::BrowserPc,
    ];
    pub fn name(self) -> &'static str {
        match self {
            ClientProfile::TeleworkPc => "telework-pc",
            ClientProfile::SmartSpeaker => "smart-speaker",
            ClientProfile::Phone => "phone",
            ClientProfile::GameConsole => "game-console",
            ClientProfile::BrowserPc => "browser-pc",
        }
    }
    pub fn from_name(name: &str) -> Option<ClientProfile> {
        ClientProfile::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// A group of identical LAN clients.
#[derive(Clone, Debug)]
pub struct ClientGroup {
    pub profile: ClientProfile,
    pub count: u32,
    /// The profile's behaviour with the scenario's overrides applied.
    pub model: ProfileModel,
}

/// One fault: when it strikes and what it does.
#[derive(Clone, Debug)]
pub struct FaultSpec {
    pub when: FaultTiming,
    pub kind: FaultKind,
}

/// When a fault strikes: once at a time, or again and again as a random process.
#[derive(Clone, Debug, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "a scenario holds a handful of faults; boxing buys nothing"
)]
pub enum FaultTiming {
    At(SimTime),
    /// A hazard process from its own seeded stream (constant, Weibull ageing, time of day,
    /// load-coupled, heap leak); `load` says what a load-coupled hazard follows.
    Every {
        hazard: Hazard,
        load: LoadSource,
    },
}

/// What a load-coupled hazard reads as its load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadSource {
    /// Entries in the gateway's NAPT table (zero on DS-Lite, where the gateway does no NAPT).
    NaptEntries,
    /// LAN sessions in progress over either family.
    Sessions,
}

impl LoadSource {
    pub fn name(self) -> &'static str {
        match self {
            LoadSource::NaptEntries => "napt-entries",
            LoadSource::Sessions => "sessions",
        }
    }
}

/// What the HGW does about a fault in its Java VM or app (a model parameter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// Restart only the app inside the running Java VM.
    RestartApp,
    /// Restart the Java VM (and the app in it).
    RestartJavaVm,
    /// Reboot the whole unit: all LEDs off, both families drop, the NAPT table is lost.
    Reboot,
}

impl FaultAction {
    pub fn name(self) -> &'static str {
        match self {
            FaultAction::RestartApp => "restart-app",
            FaultAction::RestartJavaVm => "restart-java-vm",
            FaultAction::Reboot => "reboot",
        }
    }
    pub fn from_name(name: &str) -> Option<FaultAction> {
        [
            FaultAction::RestartApp,
            FaultAction::RestartJavaVm,
            FaultAction::Reboot,
        ]
        .into_iter()
        .find(|a| a.name() == name)
    }
}

/// What can be injected.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// The ONU loses the optical signal: the WAN link is down for `duration`.
    OnuLossOfSignal { duration: SimDuration },
    /// The gateway loses power for `duration`, then boots.
    PowerCut { duration: SimDuration },
    /// The user reboots the gateway from its admin page.
    UserReboot,
    /// The user resets the gateway to factory settings: the Flets Joint bundle is deleted, then it reboots.
    FactoryReset,
    /// The distributor accepts connections but never answers.
    DistributorStall { duration: Option<SimDuration> },
    /// The distributor answers with an HTTP error status.
    DistributorError {
        status: u16,
        duration: Option<SimDuration>,
    },
    /// The distributor answers only after `delay`.
    DistributorSlow {
        delay: SimDuration,
        duration: Option<SimDuration>,
    },
    /// Nothing listens at the rule server: connections are refused.
    RuleServerDown { duration: Option<SimDuration> },
    /// The rule server answers only after `delay`.
    RuleServerSlow {
        delay: SimDuration,
        duration: Option<SimDuration>,
    },
    /// A link's loss and/or latency change for `duration` (or for the rest of the run).
    LinkImpairment {
        link: LinkId,
        loss: Option<f64>,
        latency: Option<SimDuration>,
        duration: Option<SimDuration>,
    },
    /// The line's HGW-rental registration is switched on or off.
    ContractChange { hgw_rental: bool },
    /// The unit reboots by itself (firmware): nothing is logged before the next boot.
    SpontaneousReboot,
    /// The app inside the Java VM crashes.
    AppCrash { action: FaultAction },
    /// The app stops responding (IPv4 stops) until the watchdog notices after `watchdog`.
    AppHang {
        watchdog: SimDuration,
        action: FaultAction,
    },
    /// The Java VM itself dies (e.g. out of heap).
    JavaVmCrash { action: FaultAction },
    /// The user swaps the unit for a new one of the same model: a fresh log, the bundle downloaded again.
    DeviceSwap,
    /// The user changes the NAPT idle timers in the gateway's advanced settings.
    NaptTimeouts { timeouts: NaptTimeouts },
    /// Flets Joint releases a new version of the VNE's bundle to this line: an HGW with the
    /// old one in flash stops its Java VM, downloads the new bundle, installs it and starts
    /// the VM again (an area's `bundle_rollout` gives each home one).
    BundleUpdate,
}

impl FaultKind {
    /// The fault's name as scenario files spell it.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::OnuLossOfSignal { .. } => "onu_loss_of_signal",
            FaultKind::PowerCut { .. } => "power_cut",
            FaultKind::UserReboot => "user_reboot",
            FaultKind::FactoryReset => "factory_reset",
            FaultKind::DistributorStall { .. } => "distributor_stall",
            FaultKind::DistributorError { .. } => "distributor_error",
            FaultKind::DistributorSlow { .. } => "distributor_slow",
            FaultKind::RuleServerDown { .. } => "rule_server_down",
            FaultKind::RuleServerSlow { .. } => "rule_server_slow",
            FaultKind::LinkImpairment { .. } => "link",
            FaultKind::ContractChange { .. } => "contract_change",
            FaultKind::SpontaneousReboot => "spontaneous_reboot",
            FaultKind::AppCrash { .. } => "app_crash",
            FaultKind::AppHang { .. } => "app_hang",
            FaultKind::JavaVmCrash { .. } => "java_vm_crash",
            FaultKind::DeviceSwap => "device_swap",
            FaultKind::NaptTimeouts { .. } => "napt_timeouts",
            FaultKind::BundleUpdate => "bundle_update",
        }
    }

    /// How long the fault lasts, if it has an end.
    pub fn duration(&self) -> Option<SimDuration> {
        match self {
            FaultKind::OnuLossOfSignal { duration } | FaultKind::PowerCut { duration } => Some(*duration),
            FaultKind::DistributorStall { duration }
            | FaultKind::DistributorError { duration, .. }
            | FaultKind::DistributorSlow { duration, .. }
            | FaultKind::RuleServerDown { duration }
            | FaultKind::RuleServerSlow { duration, .. }
            | FaultKind::LinkImpairment { duration, .. } => *duration,
            FaultKind::UserReboot
            | FaultKind::FactoryReset
            | FaultKind::ContractChange { .. }
            | FaultKind::SpontaneousReboot
            | FaultKind::AppCrash { .. }
            | FaultKind::AppHang { .. }
            | FaultKind::JavaVmCrash { .. }
            | FaultKind::DeviceSwap
            | FaultKind::NaptTimeouts { .. }
            | FaultKind::BundleUpdate => None,
        }
    }

    /// A user's change of the setup: the outcome's `phases` split the run at each.
    pub fn starts_phase(&self) -> bool {
        matches!(
            self,
            FaultKind::DeviceSwap | FaultKind::NaptTimeouts { .. } | FaultKind::ContractChange { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let b = Backoff {
            initial: SimDuration::from_secs(30),
            max: SimDuration::from_mins(20),
        };
        let delays: Vec<u64> = (0..8).map(|i| b.delay(i).as_secs()).collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 960, 1200, 1200]);
        assert_eq!(b.delay(u32::MAX).as_secs(), 1200);
    }
}
