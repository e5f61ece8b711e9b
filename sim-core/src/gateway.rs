//! The home gateway's state: power, the bring-up flags, the Java VM of an
//! HGW, the MAP-E configuration, and the bookkeeping of each address family.
//!
//! The bring-up is driven by state, not by a script: [`Gateway::current_step`]
//! names the first thing still missing (link, IPv6, clock, software, Java
//! VM, rule, …), and the simulation starts whatever that step needs. So a
//! link that drops and returns resumes the bring-up where it stands, and an
//! HGW with its bundle in flash starts its Java VM while IPv6 comes up.

use crate::device_log::DeviceLog;
use crate::mape::MapeConfig;
use crate::scenario::{GatewayModel, GatewaySpec};
use crate::time::{SimDuration, SimTime};
use crate::trace::{BootCause, Step};

/// The HGW's Java VM and the VNE app inside it.
///
/// Not installed / downloading are told by `Gateway::bundle_cached` and the
/// pending distribution; once installed the VM goes Stopped → VmStarting →
/// AppStarting → Running, and a fault sends it to Crashed or Hung until the
/// fault's action restarts the app, the VM or the whole unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JavaState {
    /// Not running (installed or not).
    Stopped,
    /// Installing a just-delivered bundle.
    Installing,
    /// The Java VM is starting.
    VmStarting,
    /// The app is starting inside the running VM.
    AppStarting,
    Running,
    /// The app stopped answering: IPv4 is down until the watchdog acts.
    Hung,
    /// The VM or app died; its restart is pending.
    Crashed,
}

impl JavaState {
    pub fn name(self) -> &'static str {
        match self {
            JavaState::Stopped => "stopped",
            JavaState::Installing => "installing",
            JavaState::VmStarting => "starting",
            JavaState::AppStarting => "app-starting",
            JavaState::Running => "running",
            JavaState::Hung => "hung",
            JavaState::Crashed => "crashed",
        }
    }
}

/// A network action the gateway is waiting on (one at a time: the bring-up is sequential).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pending {
    Ipv6,
    Ntp,
    Distribution,
    RuleFetch,
    Aftr,
    MapeConfig,
    /// Waiting out a retry pause before doing `Step` again.
    RetryWait(Step),
}

/// The gateway's IPv4 configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ipv4Config {
    /// MAP-E from a rule: the shared address, the port set, the CE address.
    MapE(MapeConfig),
    /// DS-Lite: the B4 tunnels to the AFTR, which translates.
    DsLite,
}

impl Ipv4Config {
    /// The address outcomes show: the MAP-E IPv4 address (or prefix), or the B4's 192.0.0.2.
    pub fn address(&self) -> String {
        match self {
            Ipv4Config::MapE(c) if c.is_ipv4_prefix() => c.ipv4.to_string(),
            Ipv4Config::MapE(c) => c.ipv4_address().to_string(),
            Ipv4Config::DsLite => "192.0.0.2".to_string(),
        }
    }
}

/// Up/down bookkeeping of one address family.
#[derive(Clone, Debug, Default)]
pub struct FamilyTracker {
    up_since: Option<SimTime>,
    total_up: SimDuration,
    pub first_up: Option<SimTime>,
    pub last_up_at: Option<SimTime>,
    pub outages: u32,
}

impl FamilyTracker {
    pub fn is_up(&self) -> bool {
        self.up_since.is_some()
    }
    /// Returns true if this was a transition.
    pub fn up(&mut self, now: SimTime) -> bool {
        if self.up_since.is_some() {
            return false;
        }
        self.up_since = Some(now);
        self.first_up.get_or_insert(now);
        self.last_up_at = Some(now);
        true
    }
    /// Returns true if this was a transition.
    pub fn down(&mut self, now: SimTime) -> bool {
        match self.up_since.take() {
            Some(since) => {
                self.total_up += now.since(since);
                self.outages += 1;
                true
            }
            None => false,
        }
    }
    /// Time up until `now`.
    pub fn up_time(&self, now: SimTime) -> SimDuration {
        self.total_up + self.up_since.map_or(SimDuration::ZERO, |s| now.since(s))
    }
}

/// One boot and how long each family took to come up after it.
#[derive(Clone, Debug)]
pub struct BootRecord {
    pub at: SimTime,
    pub cause: BootCause,
    pub ipv6_up: Option<SimDuration>,
    pub ipv4_up: Option<SimDuration>,
    /// When the Java VM first came up in this boot (its `JavaVM起動(reboot)` line).
    pub java_vm_up: Option<SimDuration>,
}

/// The gateway's whole state.
#[derive(Clone, Debug)]
pub struct Gateway {
    pub spec: GatewaySpec,
    /// Bumped at every power loss: events of an earlier power cycle are stale.
    pub power_epoch: u64,
    /// Bumped at every power loss and WAN link loss: network events before it are stale.
    pub net_epoch: u64,
    pub powered: bool,
    pub booting: bool,
    pub clock_synced: bool,
    /// The Flets Joint bundle is in flash (HGW only; survives reboots, not a factory reset).
    pub bundle_cached: bool,
    pub java: JavaState,
    /// Bumped at every Java VM or app start: Java events of an earlier start are stale.
    pub java_epoch: u64,
    /// How IPv4 is configured (kept across link flaps, lost at power-off).
    pub ipv4_config: Option<Ipv4Config>,
    /// The MAP rule the gateway holds (kept across link flaps, lost at power-off).
    pub has_rule: bool,
    /// The last rule fetch was refused because the line still awaits software distribution.
    pub blocked_by_distribution: bool,
    pub pending: Option<Pending>,
    /// Consecutive failures of the current network action (for backoff).
    pub failures_in_row: u32,
    pub ipv6: FamilyTracker,
    pub ipv4: FamilyTracker,
    pub boots: Vec<BootRecord>,
    pub reboots_user: u32,
    pub reboots_spontaneous: u32,
    /// Java VM or app restarts without a reboot of the unit.
    pub java_restarts: u32,
    /// Units installed (1 + device swaps).
    pub units: u32,
    /// The unit's log ring buffer (a swapped-in unit starts a fresh one).
    pub log: DeviceLog,
    pub reboots_power: u32,
    pub bundle_downloads: u32,
    pub rule_fetches: u32,
    pub rule_fetch_failures: u32,
}

impl Gateway {
    pub fn new(spec: GatewaySpec) -> Gateway {
        let bundle_cached = match &spec.model {
            GatewayModel::Hgw(h) => h.bundle_cached,
            GatewayModel::RetailRouter(_) => false,
        };
        Gateway {
            spec,
            power_epoch: 0,
            net_epoch: 0,
            powered: false,
            booting: false,
            clock_synced: false,
            bundle_cached,
            java: JavaState::Stopped,
            java_epoch: 0,
            ipv4_config: None,
            has_rule: false,
            blocked_by_distribution: false,
            pending: None,
            failures_in_row: 0,
            ipv6: FamilyTracker::default(),
            ipv4: FamilyTracker::default(),
            boots: Vec::new(),
            reboots_user: 0,
            reboots_spontaneous: 0,
            java_restarts: 0,
            units: 1,
            log: DeviceLog::new(),
            reboots_power: 0,
            bundle_downloads: 0,
            rule_fetches: 0,
            rule_fetch_failures: 0,
        }
    }

    pub fn is_hgw(&self) -> bool {
        matches!(self.spec.model, GatewayModel::Hgw(_))
    }

    /// The first thing the gateway still lacks on its way to IPv4.
    pub fn current_step(&self, onu_signal: bool, ds_lite: bool) -> Step {
        if !self.powered {
            return Step::PowerOff;
        }
        if self.booting {
            return Step::Boot;
        }
        if self.ipv4.is_up() {
            return Step::None;
        }
        if !onu_signal {
            return Step::WanLink;
        }
        if !self.ipv6.is_up() {
            return Step::Ipv6;
        }
        if !self.clock_synced {
            return Step::Ntp;
        }
        if self.is_hgw() {
            if !self.bundle_cached {
                return Step::SoftwareDistribution;
            }
            match self.java {
                JavaState::Stopped | JavaState::Installing => return Step::Install,
                JavaState::VmStarting | JavaState::Crashed => return Step::JavaVm,
                JavaState::AppStarting | JavaState::Hung => return Step::AppStart,
                JavaState::Running => {}
            }
        }
        if ds_lite {
            return Step::Aftr;
        }
        if !self.has_rule {
            return if self.blocked_by_distribution {
                Step::SoftwareDistribution
            } else {
                Step::RuleFetch
            };
        }
        Step::MapeConfig
    }

    /// Everything that a power loss takes away.
    pub fn power_down(&mut self, now: SimTime) {
        self.powered = false;
        self.booting = false;
        self.power_epoch += 1;
        self.lose_network(now);
        self.clock_synced = false;
        self.java = JavaState::Stopped;
        self.has_rule = false;
        self.ipv4_config = None;
    }

    /// What a WAN link loss takes away: both families and every network action.
    /// Returns which families went down (IPv6, IPv4).
    pub fn lose_network(&mut self, now: SimTime) -> (bool, bool) {
        self.net_epoch += 1;
        self.pending = None;
        self.failures_in_row = 0;
        (self.ipv6.down(now), self.ipv4.down(now))
    }

    /// A boot starts.
    pub fn boot(&mut self, now: SimTime, cause: BootCause) -> u32 {
        self.powered = true;
        self.booting = true;
        self.boots.push(BootRecord {
            at: now,
            cause,
            ipv6_up: None,
            ipv4_up: None,
            java_vm_up: None,
        });
        self.boots.len() as u32
    }

    /// Notes the Java VM coming up in the current boot's record (the first time only).
    pub fn note_java_vm_up(&mut self, now: SimTime) {
        if let Some(boot) = self.boots.last_mut() {
            boot.java_vm_up.get_or_insert(now.since(boot.at));
        }
    }

    /// Notes a family coming up in the current boot's record.
    pub fn note_up(&mut self, now: SimTime, ipv4: bool) {
        if let Some(boot) = self.boots.last_mut() {
            let slot = if ipv4 {
                &mut boot.ipv4_up
            } else {
                &mut boot.ipv6_up
            };
            slot.get_or_insert(now.since(boot.at));
        }
    }
}
