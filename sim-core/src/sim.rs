//! The run: the world's state, the event loop and the handlers that move
//! the access chain along, from the scenario's start to its end.
//!
//! Data flow: [`Simulation::new`] schedules the power-on, the faults and the
//! LAN sessions; [`Simulation::run_until`] pops events in `(time, seq)` order
//! and hands each to its handler; handlers change state, schedule follow-up
//! events and emit [`TraceEvent`]s to the digest and the observer;
//! [`Simulation::outcome`] reads the state into an [`Outcome`].

use std::collections::BTreeMap;
use std::net::Ipv6Addr;

use crate::engine::{EventQueue, Observer, TraceDigest};
use crate::fetch::{self, FetchResult, FetchSpec};
use crate::gateway::{Gateway, JavaState, Pending};
use crate::mape::{self, IidLayout, MapRule, Mechanism};
use crate::network::{self, Exchange, Links, Onu};
use crate::outcome::{
    BootOutcome, ClientOutcome, Dur, FamilyOutcome, GatewayOutcome, Outcome, RebootCounts, TraceSummary,
};
use crate::rng::{SimRng, StreamId, Streams};
use crate::scenario::{FaultKind, FaultTiming, GatewayModel, LinkId, Scenario, limits};
use crate::servers::{Distributor, RuleAnswer, RuleServer, STATUS_DISTRIBUTION_PENDING, ServerFault};
use crate::time::{SimDuration, SimTime};
use crate::trace::{BootCause, FetchEnd, FetchTarget, Step, TraceEvent};

/// Where the simulated servers live (documentation prefix, RFC 3849).
const DISTRIBUTOR_ADDR: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xf1e7, 0x5, 0, 0, 0, 0x10);
const RULE_SERVER_ADDR: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x7e, 0x1, 0, 0, 0, 0x80);
/// How long the gateway waits for a rule server's answer.
const RULE_FETCH_TIMEOUT: SimDuration = SimDuration::from_secs(30);
/// Configuring the MAP-E tunnel and NAPT once the rule is known.
const MAPE_CONFIG_TIME: SimDuration = SimDuration::from_secs(1);
/// Pause before trying a small exchange (RS, NTP, DNS) again after its whole budget was lost.
const EXCHANGE_RETRY: SimDuration = SimDuration::from_secs(60);

/// Why a run could not finish.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error("the run exceeded {limit} events at {at} (a fault or client setting makes it explode)")]
    TooManyEvents { limit: u64, at: SimTime },
}

/// Events that need a power cycle to still be the same.
#[derive(Clone, Debug)]
enum PowerEvent {
    BootDone,
    Installed,
    JavaVmUp,
    AppUp,
    /// The unit powers back on after a reboot request.
    RebootNow(BootCause),
}

/// How a fetch went on the wire.
#[derive(Clone, Copy, Debug)]
struct FetchStats {
    elapsed: SimDuration,
    packets: u32,
    lost: u32,
}

/// Events that need the network (power and WAN link) to be unchanged.
#[derive(Clone, Debug)]
enum NetEvent {
    Ipv6Done(Exchange),
    NtpDone(Exchange),
    AftrDone(Exchange),
    FetchDone {
        target: FetchTarget,
        end: FetchEnd,
        body: Vec<u8>,
        stats: FetchStats,
    },
    MapeConfigured,
    RetryDue,
}

#[derive(Clone, Debug)]
enum Event {
    FaultBegin(u32),
    FaultEnd(u32),
    Power { epoch: u64, what: PowerEvent },
    Net { epoch: u64, what: NetEvent },
    Session { group: u32 },
}

/// An observer that ignores everything.
#[derive(Debug, Default)]
pub struct NoObserver;

impl Observer<TraceEvent> for NoObserver {
    fn observe(&mut self, _at: SimTime, _event: &TraceEvent) {}
}

/// Per LAN client group: its stream and counters.
#[derive(Debug)]
struct ClientState {
    rng: SimRng,
    /// Mean time between two sessions of the whole group.
    mean_gap: Option<SimDuration>,
    outcome: ClientOutcome,
}

/// One scenario in motion.
#[derive(Debug)]
pub struct Simulation<'s> {
    scenario: &'s Scenario,
    queue: EventQueue<Event>,
    now: SimTime,
    end: SimTime,
    digest: TraceDigest,
    trace_buffer: Vec<TraceEvent>,
    links: Links,
    onu: Onu,
    distributor: Distributor,
    rule_server: RuleServer,
    hgw_rental: bool,
    gateway: Gateway,
    last_step: Option<Step>,
    /// Prefix the rule server's rule applies to, and the CE's WAN address.
    ce_addr: Ipv6Addr,
    rule_answer: Option<RuleAnswer>,
    ds_lite: bool,
    rng_gateway: SimRng,
    rng_distributor_fetch: SimRng,
    rng_rule_fetch: SimRng,
    clients: Vec<ClientState>,
    events: u64,
}

impl<'s> Simulation<'s> {
    /// Sets up the world at time zero: the gateway powers on, faults and LAN sessions are scheduled.
    pub fn new(scenario: &'s Scenario) -> Simulation<'s> {
        let streams = Streams::new(scenario.seed);
        let links = Links::new(|id| {
            scenario
                .links
                .get(&id)
                .copied()
                .unwrap_or_else(|| crate::scenario::LinkConditions::default_for(id))
        });
        let line = &scenario.line;
        let bundle_cached = matches!(&scenario.gateway.model, GatewayModel::Hgw(h) if h.bundle_cached);
        let ds_lite = matches!(line.vne.mechanism, Mechanism::DsLite { .. });
        let ce_addr = first_host(line.prefix.addr());
        let rule_answer = RuleAnswer::for_line(line.vne, &line.prefix);
        let clients = scenario
            .lan
            .iter()
            .map(|g| {
                let per_hour = g.count as f64 * g.sessions_per_hour;
                ClientState {
                    rng: streams.rng(StreamId::named("lan").child(g.profile as u64)),
                    mean_gap: (per_hour > 0.0).then(|| SimDuration::from_secs_f64(3600.0 / per_hour)),
                    outcome: ClientOutcome {
                        clients: g.count,
                        ..ClientOutcome::default()
                    },
                }
            })
            .collect();
        let mut sim = Simulation {
            scenario,
            queue: EventQueue::new(),
            now: SimTime::ZERO,
            end: SimTime::ZERO + scenario.duration,
            digest: TraceDigest::default(),
            trace_buffer: Vec::new(),
            links,
            onu: Onu::default(),
            distributor: Distributor::new(line.hgw_rental, bundle_cached),
            rule_server: RuleServer::default(),
            hgw_rental: line.hgw_rental,
            gateway: Gateway::new(scenario.gateway.clone()),
            last_step: None,
            ce_addr,
            rule_answer,
            ds_lite,
            rng_gateway: streams.rng(StreamId::named("gateway")),
            rng_distributor_fetch: streams.rng(StreamId::named("fetch/distributor")),
            rng_rule_fetch: streams.rng(StreamId::named("fetch/rule-server")),
            clients,
            events: 0,
        };
        for (i, fault) in scenario.faults.iter().enumerate() {
            let FaultTiming::At(at) = fault.when;
            sim.queue.push(at, Event::FaultBegin(i as u32));
            if let Some(d) = fault.kind.duration() {
                sim.queue.push(at + d, Event::FaultEnd(i as u32));
            }
        }
        for group in 0..sim.clients.len() {
            sim.schedule_next_session(group as u32);
        }
        // The power-on's trace events wait in the buffer for the first `run_until`.
        sim.boot(BootCause::PowerOn);
        sim
    }

    /// Runs the whole scenario and returns its outcome.
    pub fn run(scenario: &Scenario, observer: &mut dyn Observer<TraceEvent>) -> Result<Outcome, RunError> {
        let mut sim = Simulation::new(scenario);
        sim.run_until(sim.end, observer)?;
        Ok(sim.outcome())
    }

    pub fn now(&self) -> SimTime {
        self.now
    }

    /// When the scenario ends.
    pub fn end(&self) -> SimTime {
        self.end
    }

    /// The time of the next event, if it falls within the run.
    pub fn next_event_time(&self) -> Option<SimTime> {
        self.queue.peek_time().filter(|t| *t <= self.end)
    }

    /// Processes every event up to and including `until` (capped at the scenario's end), then sets the clock there.
    pub fn run_until(
        &mut self,
        until: SimTime,
        observer: &mut dyn Observer<TraceEvent>,
    ) -> Result<(), RunError> {
        let until = until.min(self.end);
        self.flush_trace(observer);
        while let Some(t) = self.queue.peek_time() {
            if t > until {
                break;
            }
            let Some((t, event)) = self.queue.pop() else { break };
            self.now = t;
            self.events += 1;
            if self.events > limits::MAX_EVENTS {
                return Err(RunError::TooManyEvents {
                    limit: limits::MAX_EVENTS,
                    at: t,
                });
            }
            self.handle(event);
            self.flush_trace(observer);
        }
        self.now = self.now.max(until);
        Ok(())
    }

    fn emit(&mut self, event: TraceEvent) {
        self.trace_buffer.push(event);
    }

    /// Sends buffered trace events to the digest and the observer, and notes step changes.
    fn flush_trace(&mut self, observer: &mut dyn Observer<TraceEvent>) {
        let step = self.gateway.current_step(self.onu.has_signal(), self.ds_lite);
        if self.last_step != Some(step) {
            self.last_step = Some(step);
            self.trace_buffer.push(TraceEvent::Step { step });
        }
        for event in self.trace_buffer.drain(..) {
            self.digest.observe(self.now, &event);
            observer.observe(self.now, &event);
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::FaultBegin(i) => self.fault_begin(i),
            Event::FaultEnd(i) => self.fault_end(i),
            Event::Power { epoch, what } => {
                if epoch == self.gateway.power_epoch {
                    self.on_power_event(what);
                }
            }
            Event::Net { epoch, what } => {
                if epoch == self.gateway.net_epoch {
                    self.on_net_event(what);
                }
            }
            Event::Session { group } => self.on_session(group),
        }
    }

    fn schedule_power(&mut self, after: SimDuration, what: PowerEvent) {
        let epoch = self.gateway.power_epoch;
        self.queue.push(self.now + after, Event::Power { epoch, what });
    }

    fn schedule_net(&mut self, after: SimDuration, what: NetEvent) {
        let epoch = self.gateway.net_epoch;
        self.queue.push(self.now + after, Event::Net { epoch, what });
    }

    // ---- faults -------------------------------------------------------------

    fn fault_begin(&mut self, index: u32) {
        let kind = self.scenario.faults[index as usize].kind.clone();
        self.emit(TraceEvent::FaultBegin {
            fault: index,
            kind: kind.name(),
        });
        match kind {
            FaultKind::OnuLossOfSignal { .. } => {
                if self.onu.lose_signal() {
                    self.emit(TraceEvent::OnuSignal { up: false });
                    self.link_lost();
                }
            }
            FaultKind::PowerCut { .. } => {
                if self.gateway.powered {
                    self.power_off();
                }
                // Power restored at the fault's end (a cut of 0 s is not accepted by validation).
            }
            FaultKind::UserReboot => self.reboot(BootCause::User, false),
            FaultKind::FactoryReset => self.reboot(BootCause::FactoryReset, true),
            FaultKind::DistributorStall { .. } => self.distributor.faults.begin(index, ServerFault::Stall),
            FaultKind::DistributorError { status, .. } => {
                self.distributor.faults.begin(index, ServerFault::Error(status))
            }
            FaultKind::DistributorSlow { delay, .. } => {
                self.distributor.faults.begin(index, ServerFault::Slow(delay))
            }
            FaultKind::RuleServerDown { .. } => self.rule_server.faults.begin(index, ServerFault::Down),
            FaultKind::RuleServerSlow { delay, .. } => {
                self.rule_server.faults.begin(index, ServerFault::Slow(delay))
            }
            FaultKind::LinkImpairment {
                link, loss, latency, ..
            } => {
                self.links.impair(link, index, loss, latency);
                self.emit_link(link);
            }
            FaultKind::ContractChange { hgw_rental } => {
                self.hgw_rental = hgw_rental;
                self.distributor.set_registration(hgw_rental);
                self.emit(TraceEvent::ContractChanged { hgw_rental });
            }
        }
    }

    fn fault_end(&mut self, index: u32) {
        let kind = self.scenario.faults[index as usize].kind.clone();
        self.emit(TraceEvent::FaultEnd {
            fault: index,
            kind: kind.name(),
        });
        match kind {
            FaultKind::OnuLossOfSignal { .. } => {
                if self.onu.regain_signal() {
                    self.emit(TraceEvent::OnuSignal { up: true });
                    self.advance();
                }
            }
            FaultKind::PowerCut { .. } => {
                // Overlapping cuts: power returns when no cut is in force.
                let still_cut = self.scenario.faults.iter().enumerate().any(|(i, f)| {
                    i as u32 != index
                        && matches!(f.kind, FaultKind::PowerCut { duration } if {
                            let FaultTiming::At(at) = f.when;
                            at <= self.now && self.now < at + duration
                        })
                });
                if !still_cut && !self.gateway.powered {
                    self.boot(BootCause::PowerRestored);
                }
            }
            FaultKind::DistributorStall { .. }
            | FaultKind::DistributorError { .. }
            | FaultKind::DistributorSlow { .. } => self.distributor.faults.end(index),
            FaultKind::RuleServerDown { .. } | FaultKind::RuleServerSlow { .. } => {
                self.rule_server.faults.end(index)
            }
            FaultKind::LinkImpairment { link, .. } => {
                self.links.repair(link, index);
                self.emit_link(link);
            }
            FaultKind::UserReboot | FaultKind::FactoryReset | FaultKind::ContractChange { .. } => {}
        }
    }

    fn emit_link(&mut self, link: LinkId) {
        let c = self.links.conditions(link);
        let loss_ppm = (c.loss * 1_000_000.0).round() as u32;
        self.emit(TraceEvent::LinkChanged {
            link,
            latency: c.latency,
            loss_ppm,
        });
    }

    // ---- power and link -----------------------------------------------------

    fn boot(&mut self, cause: BootCause) {
        let boot = self.gateway.boot(self.now, cause);
        self.emit(TraceEvent::Boot { boot, cause });
        if cause == BootCause::PowerRestored {
            self.gateway.reboots_power += 1;
        }
        // An HGW with its bundle in flash starts the Java VM as soon as the firmware is up.
        let boot_time = self.gateway.spec.boot_time;
        self.schedule_power(boot_time, PowerEvent::BootDone);
    }

    fn families_down(&mut self, ipv6: bool, ipv4: bool) {
        if ipv6 {
            self.emit(TraceEvent::Ipv6Down);
        }
        if ipv4 {
            self.emit(TraceEvent::Ipv4Down);
        }
    }

    fn power_off(&mut self) {
        let (v6, v4) = (self.gateway.ipv6.is_up(), self.gateway.ipv4.is_up());
        self.gateway.power_down(self.now);
        self.families_down(v6, v4);
        self.emit(TraceEvent::PowerOff);
    }

    fn reboot(&mut self, cause: BootCause, factory_reset: bool) {
        if !self.gateway.powered {
            return;
        }
        self.power_off();
        self.gateway.reboots_user += 1;
        if factory_reset && self.gateway.bundle_cached {
            self.gateway.bundle_cached = false;
            self.emit(TraceEvent::BundleDeleted);
        }
        let shutdown = self.gateway.spec.shutdown_time;
        self.schedule_power(shutdown, PowerEvent::RebootNow(cause));
    }

    fn link_lost(&mut self) {
        if !self.gateway.powered {
            return;
        }
        let (v6, v4) = self.gateway.lose_network(self.now);
        self.families_down(v6, v4);
    }

    // ---- the bring-up ---------------------------------------------------------

    fn on_power_event(&mut self, what: PowerEvent) {
        match what {
            PowerEvent::RebootNow(cause) => {
                if !self.gateway.powered {
                    self.boot(cause);
                }
            }
            PowerEvent::BootDone => {
                self.gateway.booting = false;
                self.start_java_if_ready();
                self.advance();
            }
            PowerEvent::Installed => {
                self.gateway.java = JavaState::VmStarting;
                let t = self.hgw_settings().map_or(SimDuration::ZERO, |h| h.java_vm_start);
                self.schedule_power(t, PowerEvent::JavaVmUp);
            }
            PowerEvent::JavaVmUp => {
                self.gateway.java = JavaState::AppStarting;
                let t = self.hgw_settings().map_or(SimDuration::ZERO, |h| h.app_start);
                self.schedule_power(t, PowerEvent::AppUp);
            }
            PowerEvent::AppUp => {
                self.gateway.java = JavaState::Running;
                self.advance();
            }
        }
    }

    fn hgw_settings(&self) -> Option<&crate::scenario::HgwSettings> {
        match &self.gateway.spec.model {
            GatewayModel::Hgw(h) => Some(h),
            GatewayModel::RetailRouter(_) => None,
        }
    }

    /// An HGW whose bundle is in flash starts its Java VM (no network needed).
    fn start_java_if_ready(&mut self) {
        if self.gateway.is_hgw() && self.gateway.bundle_cached && self.gateway.java == JavaState::Stopped {
            self.gateway.java = JavaState::VmStarting;
            let t = self.hgw_settings().map_or(SimDuration::ZERO, |h| h.java_vm_start);
            self.schedule_power(t, PowerEvent::JavaVmUp);
        }
    }

    /// Starts whatever the gateway's current step needs, unless it is already waiting on something.
    fn advance(&mut self) {
        let g = &self.gateway;
        if !g.powered || g.booting || g.pending.is_some() || !self.onu.has_signal() || g.ipv4.is_up() {
            return;
        }
        let step = g.current_step(true, self.ds_lite);
        let wan = self.links.conditions(LinkId::Wan);
        match step {
            Step::Ipv6 => {
                let e = network::acquire_ipv6(&mut self.rng_gateway, wan, self.scenario.line.ipv6_delivery);
                self.wait(Pending::Ipv6, e.elapsed, NetEvent::Ipv6Done(e));
            }
            Step::Ntp => {
                let e = network::sync_clock(&mut self.rng_gateway, wan);
                self.wait(Pending::Ntp, e.elapsed, NetEvent::NtpDone(e));
            }
            Step::SoftwareDistribution if self.gateway.is_hgw() => self.fetch_bundle(),
            Step::SoftwareDistribution | Step::RuleFetch => {
                if let Some(address) = self.static_ipv4() {
                    // A rule typed into the router: nothing to fetch.
                    self.gateway.has_rule = true;
                    self.gateway.ipv4_config = Some(address);
                    self.wait(Pending::MapeConfig, MAPE_CONFIG_TIME, NetEvent::MapeConfigured);
                } else {
                    self.fetch_rule();
                }
            }
            Step::Aftr => {
                let e = network::resolve_aftr(&mut self.rng_gateway, wan);
                self.wait(Pending::Aftr, e.elapsed, NetEvent::AftrDone(e));
            }
            Step::MapeConfig => self.wait(Pending::MapeConfig, MAPE_CONFIG_TIME, NetEvent::MapeConfigured),
            // Install, Java VM and app start run on power events; the rest waits for an event.
            _ => {}
        }
    }

    fn wait(&mut self, pending: Pending, after: SimDuration, what: NetEvent) {
        self.gateway.pending = Some(pending);
        self.schedule_net(after, what);
    }

    fn retry_later(&mut self, step: Step, delay: SimDuration) {
        self.gateway.failures_in_row += 1;
        self.wait(Pending::RetryWait(step), delay, NetEvent::RetryDue);
    }

    fn fetch_bundle(&mut self) {
        let Some(h) = self.hgw_settings().cloned() else {
            return;
        };
        let spec = FetchSpec {
            client_addr: self.ce_addr,
            server_addr: DISTRIBUTOR_ADDR,
            server_port: 80,
            host: "flets-joint.ngn.example".into(),
            path: "/v1/bundle/jpne-mape".into(),
            behaviour: self.distributor.answer(h.bundle_bytes),
            timeout: h.distribution_timeout,
        };
        let path = self.links.path_to(LinkId::Distributor);
        let report = fetch::run_fetch(&spec, &path, &mut self.rng_distributor_fetch, false);
        self.fetch_done_later(FetchTarget::Distributor, report);
    }

    fn fetch_rule(&mut self) {
        let timeout = RULE_FETCH_TIMEOUT;
        let spec = FetchSpec {
            client_addr: self.ce_addr,
            server_addr: RULE_SERVER_ADDR,
            server_port: 80,
            host: "rule.vne.example".into(),
            path: format!("/mape/rule?prefix={}", self.scenario.line.prefix),
            behaviour: self.rule_server.answer(
                self.hgw_rental,
                self.distributor.delivered_to_line,
                self.rule_answer.as_ref(),
            ),
            timeout,
        };
        let path = self.links.path_to(LinkId::RuleServer);
        self.gateway.rule_fetches += 1;
        let report = fetch::run_fetch(&spec, &path, &mut self.rng_rule_fetch, false);
        self.fetch_done_later(FetchTarget::RuleServer, report);
    }

    fn fetch_done_later(&mut self, target: FetchTarget, report: fetch::FetchReport) {
        let (end, body) = match report.result {
            FetchResult::Response { status, body } => (FetchEnd::Status(status), body),
            FetchResult::Refused => (FetchEnd::Refused, Vec::new()),
            FetchResult::TimedOut => (FetchEnd::TimedOut, Vec::new()),
            FetchResult::Reset | FetchResult::BadResponse(_) | FetchResult::InvalidSpec(_) => {
                (FetchEnd::Malformed, Vec::new())
            }
        };
        let pending = match target {
            FetchTarget::Distributor => Pending::Distribution,
            FetchTarget::RuleServer => Pending::RuleFetch,
        };
        let stats = FetchStats {
            elapsed: report.elapsed,
            packets: report.packets_sent,
            lost: report.packets_lost,
        };
        self.wait(
            pending,
            report.elapsed,
            NetEvent::FetchDone {
                target,
                end,
                body,
                stats,
            },
        );
    }

    fn on_net_event(&mut self, what: NetEvent) {
        self.gateway.pending = None;
        let wan_retry = EXCHANGE_RETRY;
        match what {
            NetEvent::RetryDue => {}
            NetEvent::Ipv6Done(e) => {
                if e.answered {
                    self.gateway.failures_in_row = 0;
                    if self.gateway.ipv6.up(self.now) {
                        self.gateway.note_up(self.now, false);
                        self.emit(TraceEvent::Ipv6Up);
                    }
                } else {
                    self.retry_later(Step::Ipv6, wan_retry);
                }
            }
            NetEvent::NtpDone(e) => {
                if e.answered {
                    self.gateway.failures_in_row = 0;
                    self.gateway.clock_synced = true;
                    self.emit(TraceEvent::ClockSynced);
                } else {
                    self.retry_later(Step::Ntp, wan_retry);
                }
            }
            NetEvent::AftrDone(e) => {
                if e.answered {
                    self.gateway.failures_in_row = 0;
                    self.gateway.has_rule = true;
                    // DS-Lite: the B4 address (RFC 6333); the AFTR does the NAT.
                    self.gateway.ipv4_config = Some("192.0.0.2".into());
                    self.ipv4_up();
                } else {
                    self.retry_later(Step::Aftr, wan_retry);
                }
            }
            NetEvent::FetchDone {
                target,
                end,
                body,
                stats,
            } => self.on_fetch_done(target, end, body, stats),
            NetEvent::MapeConfigured => {
                self.ipv4_up();
            }
        }
        self.advance();
    }

    fn ipv4_up(&mut self) {
        if self.gateway.ipv4.up(self.now) {
            self.gateway.note_up(self.now, true);
            self.emit(TraceEvent::Ipv4Up);
        }
    }

    fn on_fetch_done(&mut self, target: FetchTarget, end: FetchEnd, body: Vec<u8>, stats: FetchStats) {
        let FetchStats {
            elapsed,
            packets,
            lost,
        } = stats;
        self.emit(TraceEvent::Fetch {
            target,
            end,
            elapsed,
            packets,
            lost,
        });
        match target {
            FetchTarget::Distributor => {
                if end == FetchEnd::Status(200) {
                    self.gateway.failures_in_row = 0;
                    self.gateway.bundle_cached = true;
                    self.gateway.bundle_downloads += 1;
                    self.distributor.delivered_to_line = true;
                    self.emit(TraceEvent::BundleDelivered);
                    self.gateway.java = JavaState::Installing;
                    let t = self.hgw_settings().map_or(SimDuration::ZERO, |h| h.install_time);
                    self.schedule_power(t, PowerEvent::Installed);
                } else {
                    let retry = self
                        .hgw_settings()
                        .map_or(EXCHANGE_RETRY, |h| h.distribution_retry);
                    self.retry_later(Step::SoftwareDistribution, retry);
                }
            }
            FetchTarget::RuleServer => {
                let answer = match end {
                    FetchEnd::Status(200) => serde_json::from_slice::<RuleAnswer>(&body).ok(),
                    _ => None,
                };
                let configured = answer.and_then(|a| self.ipv4_from_rule(&a.rule));
                self.gateway.blocked_by_distribution = end == FetchEnd::Status(STATUS_DISTRIBUTION_PENDING);
                match configured {
                    Some(address) => {
                        self.gateway.failures_in_row = 0;
                        self.gateway.has_rule = true;
                        self.gateway.ipv4_config = Some(address);
                    }
                    None => {
                        self.gateway.rule_fetch_failures += 1;
                        let backoff = match &self.gateway.spec.model {
                            GatewayModel::Hgw(h) => h.rule_retry,
                            GatewayModel::RetailRouter(r) => r.rule_retry,
                        };
                        let delay = backoff.delay(self.gateway.failures_in_row);
                        self.retry_later(Step::RuleFetch, delay);
                    }
                }
            }
        }
    }

    /// The IPv4 address a retail router's static MAP rule gives, if it has one.
    fn static_ipv4(&self) -> Option<String> {
        let GatewayModel::RetailRouter(r) = &self.gateway.spec.model else {
            return None;
        };
        let rule = r.static_rule.as_ref()?;
        self.ipv4_from_rule(rule)
    }

    /// The IPv4 address MAP-E gives the line's prefix under `rule` (the VNE's interface-id layout).
    fn ipv4_from_rule(&self, rule: &MapRule) -> Option<String> {
        let line = &self.scenario.line;
        let iid = match line.vne.mechanism {
            Mechanism::MapE { iid, .. } => iid,
            Mechanism::DsLite { .. } => IidLayout::Rfc7597,
        };
        let config = mape::compute(line.prefix, rule, iid).ok()?;
        Some(if config.is_ipv4_prefix() {
            config.ipv4.to_string()
        } else {
            config.ipv4_address().to_string()
        })
    }

    // ---- LAN ------------------------------------------------------------------

    fn schedule_next_session(&mut self, group: u32) {
        let client = &mut self.clients[group as usize];
        let Some(mean) = client.mean_gap else { return };
        let gap = crate::rng::exponential(&mut client.rng, mean);
        let at = self.now + gap;
        if at <= self.end {
            self.queue.push(at, Event::Session { group });
        }
    }

    fn on_session(&mut self, group: u32) {
        let share = self.scenario.lan[group as usize].ipv4_share;
        let (v4_up, v6_up) = (self.gateway.ipv4.is_up(), self.gateway.ipv6.is_up());
        let client = &mut self.clients[group as usize];
        let over_ipv4 = crate::rng::unit(&mut client.rng) < share;
        client.outcome.attempted += 1;
        if over_ipv4 && !v4_up {
            client.outcome.failed.ipv4_down += 1;
        } else if !over_ipv4 && !v6_up {
            client.outcome.failed.ipv6_down += 1;
        }
        self.schedule_next_session(group);
    }

    // ---- the outcome ----------------------------------------------------------

    /// The outcome as of now (at the end of a finished run: the run's outcome).
    pub fn outcome(&self) -> Outcome {
        let g = &self.gateway;
        let run = self.now.since_start();
        let family = |t: &crate::gateway::FamilyTracker, address: Option<String>| {
            let up = t.up_time(self.now);
            FamilyOutcome {
                first_up: t.first_up.map(|at| Dur::of(at.since(SimTime::ZERO))),
                last_up_at: t.last_up_at.map(|at| Dur::of(at.since_start())),
                up_at_end: t.is_up(),
                availability: percent(up, run),
                downtime: Dur::of(run - up),
                outages: t.outages,
                address,
            }
        };
        let line = &self.scenario.line;
        let ipv6_address = g.ipv6.first_up.map(|_| line.prefix.to_string());
        let lan = self
            .scenario
            .lan
            .iter()
            .zip(&self.clients)
            .map(|(group, state)| (group.profile.name().to_string(), state.outcome.clone()))
            .collect::<BTreeMap<_, _>>();
        Outcome {
            gateway: GatewayOutcome {
                name: g.spec.name.clone(),
                model: g.spec.model.name().to_string(),
                boots: g.boots.len() as u32,
                reboots: RebootCounts {
                    spontaneous: 0,
                    user: g.reboots_user,
                    power: g.reboots_power,
                },
                stuck_at: g
                    .current_step(self.onu.has_signal(), self.ds_lite)
                    .name()
                    .to_string(),
                bundle_downloads: g.bundle_downloads,
                rule_fetches: g.rule_fetches,
                rule_fetch_failures: g.rule_fetch_failures,
            },
            ipv6: family(&g.ipv6, ipv6_address),
            ipv4: family(&g.ipv4, g.ipv4_config.clone()),
            boots: g
                .boots
                .iter()
                .map(|b| BootOutcome {
                    at: Dur::of(b.at.since_start()),
                    cause: b.cause.name().to_string(),
                    ipv6_up: b.ipv6_up.map(Dur::of),
                    ipv4_up: b.ipv4_up.map(Dur::of),
                })
                .collect(),
            lan,
            trace: TraceSummary {
                events: self.digest.events(),
                digest: self.digest.hex(),
            },
        }
    }
}

/// The first address of a prefix's first /64 with interface id ::1: the CE's WAN address.
fn first_host(prefix: Ipv6Addr) -> Ipv6Addr {
    let mut s = prefix.segments();
    s[4..].copy_from_slice(&[0, 0, 0, 1]);
    Ipv6Addr::from(s)
}

/// `part / whole` in percent, to three decimals, from integers (no float sums).
fn percent(part: SimDuration, whole: SimDuration) -> f64 {
    if whole.is_zero() {
        return 100.0;
    }
    let milli_percent = (part.as_nanos() as u128 * 100_000 / whole.as_nanos() as u128) as u64;
    milli_percent as f64 / 1000.0
}
