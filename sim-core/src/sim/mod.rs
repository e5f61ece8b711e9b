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

use crate::area::AreaServers;
use crate::engine::{EventQueue, Observer, TraceDigest};
use crate::fetch::{self, FetchResult, FetchSpec};
use crate::gateway::{Gateway, Ipv4Config, JavaState, Pending};
use crate::hazard::HazardProcess;
use crate::mape::{self, IidLayout, MapRule, Mechanism, PortSet};
use crate::napt::{NaptConfig, NaptTable};
use crate::network::{self, Exchange, Links, Onu};
use crate::outcome::{
    AftrOutcome, BootOutcome, ClientOutcome, Dur, FamilyOutcome, GatewayOutcome, Outcome, PhaseOutcome,
    RebootCounts, TraceSummary,
};
use crate::rng::{LanRng, SimRng, StreamId, Streams};
use crate::scenario::{FaultKind, FaultTiming, GatewayModel, LinkId, LoadSource, Scenario};
use crate::servers::{
    Distributor, RuleAnswer, RuleServer, STATUS_DISTRIBUTION_PENDING, ServerFault, VneSoftware,
};
use crate::time::{Calendar, SimDuration, SimTime};
use crate::trace::{BootCause, FetchEnd, FetchTarget, Step, TraceEvent};

mod bring_up;
mod capture;
mod faults;
mod java;
mod traffic;

pub use capture::Capture;
use traffic::{ClientState, Family, SessionEnd};

/// Where the simulated servers live (documentation prefix, RFC 3849).
const DISTRIBUTOR_ADDR: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xf1e7, 0x5, 0, 0, 0, 0x10);
const RULE_SERVER_ADDR: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x7e, 0x1, 0, 0, 0, 0x80);
/// The NGN's NTP server.
const NTP_SERVER_ADDR: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x123, 0, 0, 0, 0, 0x123);
/// MAC addresses behind the link-local addresses of the captured bring-up (locally administered).
const GATEWAY_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
const NGN_EDGE_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x20, 0x00, 0x02];
/// How long the gateway waits for a rule server's answer.
const RULE_FETCH_TIMEOUT: SimDuration = SimDuration::from_secs(30);
/// Configuring the MAP-E tunnel and NAPT once the rule is known.
const MAPE_CONFIG_TIME: SimDuration = SimDuration::from_secs(1);
/// Pause before trying a small exchange (RS, NTP, DNS) again after its whole budget was lost.
const EXCHANGE_RETRY: SimDuration = SimDuration::from_secs(60);
/// How often load-coupled hazards read the load.
const LOAD_SAMPLE: SimDuration = SimDuration::from_secs(60);
/// The gateway's periodic NTP sync.
const NTP_RESYNC: SimDuration = SimDuration::from_hours(12);
/// Flets Joint's periodic software check.
const FLETS_JOINT_CHECK: SimDuration = SimDuration::from_hours(24);
/// NTP's poll interval when the first query after a boot goes unanswered.
const NTP_POLL_AFTER_MISS: SimDuration = SimDuration::from_secs(64);
/// Retry after a failed rule refresh (the VNE's API asks for about 20 minutes).
const RULE_REFRESH_RETRY: SimDuration = SimDuration::from_mins(20);

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
    /// The Java VM (or the app) started; the number is the Java start it belongs to.
    JavaVmUp(u64),
    AppUp(u64),
    /// The watchdog notices a hung app.
    Watchdog {
        epoch: u64,
        action: crate::scenario::FaultAction,
    },
    /// The unit powers back on after a reboot request.
    RebootNow(BootCause),
    /// The app fetches its MAP rule again at the end of its lifetime (tagged with the Java start).
    RuleRefresh(u64),
    /// The periodic NTP sync.
    NtpResync,
    /// Flets Joint's periodic check of the installed software.
    FletsJointCheck,
}

/// How a fetch went on the wire.
#[derive(Clone, Copy, Debug)]
struct FetchStats {
    elapsed: SimDuration,
    packets: u32,
    lost: u32,
}

/// The ONU's own progress after power or light returns (tagged with its epochs).
#[derive(Clone, Copy, Debug)]
enum OnuEvent {
    Booted,
    Ranged,
}

/// The delegated prefix's lease: its Renew at T1, Rebind at T2, expiry at the valid lifetime.
#[derive(Clone, Copy, Debug)]
enum LeaseEvent {
    /// T1 has come: send a Renew.
    RenewDue,
    /// A Renew (or Rebind) was answered: the lease starts again.
    Answered { rebind: bool },
    /// No answer before the deadline (T2 for a Renew, the valid lifetime for a Rebind).
    GaveUp { rebind: bool },
}

/// Events that need the network (power and WAN link) to be unchanged.
#[derive(Clone, Debug)]
enum NetEvent {
    Ipv6Done(network::Ipv6Acquisition),
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
    Power {
        epoch: u64,
        what: PowerEvent,
    },
    /// Boxed: a network event is rare (the bring-up's) and large (88 bytes), and an
    /// unboxed one would make every event that size, sessions' included (32 bytes).
    Net {
        epoch: u64,
        what: Box<NetEvent>,
    },
    /// The ONU's boot or ranging; `epoch` is the ONU's power or ranging epoch.
    Onu {
        epoch: u64,
        what: OnuEvent,
    },
    /// The lease of the delegated prefix; stale when `epoch` is not the current lease's.
    Lease {
        epoch: u64,
        what: LeaseEvent,
    },
    SessionStart {
        group: u32,
    },
    SessionEnd(SessionEnd),
    /// A hazard process fires (stale when its generation moved on).
    HazardFires {
        process: u32,
        generation: u64,
    },
    /// Load-coupled hazards read the load.
    LoadSample,
}

impl Event {
    /// A session's start or end, or a load sample: the home's LAN's own events. They ask
    /// no shared server but the BR and move no step of the bring-up.
    fn is_lan_own(&self) -> bool {
        matches!(
            self,
            Event::SessionStart { .. } | Event::SessionEnd(_) | Event::LoadSample
        )
    }
}

/// A hazard process and the fault it fires.
#[derive(Debug)]
struct HazardState {
    fault: u32,
    process: HazardProcess,
    load: LoadSource,
}

/// The counters at a phase boundary (a user's change of the setup).
#[derive(Clone, Copy, Debug)]
struct PhaseMark {
    at: SimTime,
    spontaneous_reboots: u32,
    napt_drops: u64,
    failed_sessions: u64,
}

/// The streams each timed component draws its durations from (one per component, so a spread
/// given to one never moves another's numbers).
#[derive(Debug)]
struct TimingStreams {
    boot: SimRng,
    shutdown: SimRng,
    install: SimRng,
    java_vm: SimRng,
    app: SimRng,
    ntp_delay: SimRng,
    /// The ONU's boot and ranging.
    onu: SimRng,
    /// The host-side random delays of the IPv6 bring-up and the lease (RFC 4861, 4862, 8415).
    ipv6_host: SimRng,
}

impl TimingStreams {
    fn new(streams: &Streams) -> TimingStreams {
        let rng = |name: &str| streams.rng(StreamId::named(name));
        TimingStreams {
            boot: rng("timing/boot"),
            shutdown: rng("timing/shutdown"),
            install: rng("timing/install"),
            java_vm: rng("timing/java-vm"),
            app: rng("timing/app"),
            ntp_delay: rng("timing/ntp-delay"),
            onu: rng("onu"),
            ipv6_host: rng("ipv6/host-delays"),
        }
    }
}

/// How full the NAPT tables are at one instant ([`Simulation::napt_occupancy`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NaptOccupancy {
    /// The gateway's table (`None` until MAP-E is first configured, and on DS-Lite lines).
    pub gateway: Option<TableOccupancy>,
    /// The AFTR's carrier-grade NAT for this subscriber (DS-Lite lines only).
    pub aftr: Option<TableOccupancy>,
}

/// One table's entries and limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableOccupancy {
    /// Mappings held.
    pub entries: u32,
    /// The table's capacity (the AFTR's: the subscriber's port quota).
    pub capacity: u32,
    /// External ports each port pool can hand out (the MAP-E port set less ports below 1024).
    pub ports: u32,
}

/// An observer that ignores everything.
#[derive(Debug, Default)]
pub struct NoObserver;

impl Observer<TraceEvent> for NoObserver {
    fn observe(&mut self, _at: SimTime, _event: &TraceEvent) {}
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
    // The bring-up's streams (some 330 bytes each) are boxed: an area holds thousands of
    // homes, and the state a LAN session touches packs into fewer pages without them.
    rng_gateway: Box<SimRng>,
    rng_distributor_fetch: Box<SimRng>,
    rng_rule_fetch: Box<SimRng>,
    clients: Vec<ClientState>,
    /// Outages so far per family (IPv6, IPv4): a session from an earlier count was cut.
    family_epochs: [u32; 2],
    /// The gateway's NAPT, created when MAP-E is first configured.
    napt: Option<NaptTable>,
    /// The AFTR's CGN for this subscriber (DS-Lite lines).
    aftr: NaptTable,
    calendar: Calendar,
    capture: Option<Capture>,
    /// The scenario's NAPT settings as the user last left them.
    napt_config: NaptConfig,
    hazards: Vec<HazardState>,
    /// Power cuts in force (they may overlap).
    power_cuts: u32,
    phase_marks: Vec<PhaseMark>,
    rng_ntp: Box<SimRng>,
    events: u64,
    timing: Box<TimingStreams>,
    /// The VNE's software (bundle path, the app's log lines).
    software: &'static VneSoftware,
    /// Bumped at every new or lost lease of the delegated prefix: lease events of another are stale.
    lease_epoch: u64,
    /// When the current lease was last granted or renewed.
    lease_start: SimTime,
    /// The most events this run may process ([`crate::cost::event_limit`]).
    event_limit: u64,
    /// The line's VNE (the key of its area's rule server and BR), kept beside the state a
    /// session touches rather than read from the scenario at every session.
    vne: &'static str,
    /// The servers of the area this home belongs to, lent while the area steps it
    /// ([`Simulation::lend_servers`]); `None` for a one-home run.
    shared: Option<Box<AreaServers>>,
    /// Whether NAPT tables keep their occupancy histogram ([`Simulation::skip_napt_occupancy`]).
    napt_occupancy: bool,
}

/// What a run cost the engine so far: never part of an outcome or a digest.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EngineStats {
    /// Events processed.
    pub events: u64,
    /// The most events that were pending at once.
    pub peak_pending: u64,
    /// The mean number of pending events an event saw when it was popped.
    pub mean_pending: f64,
    /// LAN sessions attempted.
    pub sessions: u64,
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
        let rule_answer = RuleAnswer::for_line(line);
        let mut first_client = 0;
        let clients = scenario
            .lan
            .iter()
            .map(|g| {
                let state = ClientState::new(
                    streams.lan_rng(StreamId::named("lan").child(g.profile as u64)),
                    g,
                    first_client,
                );
                first_client += g.count;
                state
            })
            .collect();
        let aftr_config = NaptConfig {
            capacity: scenario.aftr.port_quota,
            timeouts: scenario.aftr.timeouts,
            ..NaptConfig::default()
        };
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
            rng_gateway: Box::new(streams.rng(StreamId::named("gateway"))),
            rng_distributor_fetch: Box::new(streams.rng(StreamId::named("fetch/distributor"))),
            rng_rule_fetch: Box::new(streams.rng(StreamId::named("fetch/rule-server"))),
            clients,
            family_epochs: [0, 0],
            napt: None,
            // On a MAP-E line the AFTR's table is never used: a table without ports (the full
            // one lists 64,512) or statistics keeps the line's memory small.
            aftr: if ds_lite {
                NaptTable::new(aftr_config, PortSet::all())
            } else {
                NaptTable::new_without_occupancy(aftr_config, PortSet::new(0, 8, 0).unwrap_or(PortSet::all()))
            },
            calendar: Calendar::new(scenario.start),
            capture: None,
            napt_config: scenario.gateway.napt,
            hazards: Vec::new(),
            power_cuts: 0,
            phase_marks: Vec::new(),
            rng_ntp: Box::new(streams.rng(StreamId::named("ntp"))),
            events: 0,
            event_limit: crate::cost::event_limit(scenario),
            timing: Box::new(TimingStreams::new(&streams)),
            software: VneSoftware::of(line.vne),
            lease_epoch: 0,
            lease_start: SimTime::ZERO,
            vne: line.vne.name,
            shared: None,
            napt_occupancy: true,
        };
        let mut uses_load = false;
        for (i, fault) in scenario.faults.iter().enumerate() {
            match &fault.when {
                FaultTiming::At(at) => {
                    sim.queue.push(*at, Event::FaultBegin(i as u32));
                    if let Some(d) = fault.kind.duration() {
                        sim.queue.push(*at + d, Event::FaultEnd(i as u32));
                    }
                }
                FaultTiming::Every { hazard, load } => {
                    let rng = streams.rng(StreamId::named("hazard").child(i as u64));
                    // Validation already checked the parameters; a process that cannot start never fires.
                    if let Ok(process) = HazardProcess::new(hazard.clone(), rng, sim.calendar, SimTime::ZERO)
                    {
                        uses_load |= hazard.uses_load();
                        sim.hazards.push(HazardState {
                            fault: i as u32,
                            process,
                            load: *load,
                        });
                        sim.schedule_hazard(sim.hazards.len() - 1);
                    }
                }
            }
        }
        if uses_load {
            sim.queue.push(SimTime::ZERO + LOAD_SAMPLE, Event::LoadSample);
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

    /// Keeps the packets of the run for [`Simulation::take_capture`] (costs memory and time: only when asked).
    pub fn capture_packets(&mut self) {
        self.capture.get_or_insert_with(Capture::default);
    }

    /// The packets captured so far, if capture was asked for.
    pub fn take_capture(&mut self) -> Option<Capture> {
        self.capture.take()
    }

    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The gateway's NAPT table as of now (`None` until MAP-E is first configured, and on DS-Lite).
    pub fn napt(&self) -> Option<&NaptTable> {
        self.napt.as_ref()
    }

    /// When the scenario ends.
    pub fn end(&self) -> SimTime {
        self.end
    }

    /// The engine's counters so far (events, pending events, sessions).
    pub fn engine_stats(&self) -> EngineStats {
        EngineStats {
            events: self.events,
            peak_pending: self.queue.peak_len() as u64,
            mean_pending: self.queue.mean_len(),
            sessions: self.clients.iter().map(|c| c.outcome.attempted).sum(),
        }
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
        self.run_events_until(until, observer)?;
        // Bring the tables' statistics (time-weighted occupancy) up to now.
        if let Some(napt) = &mut self.napt {
            napt.advance(self.now);
        }
        self.aftr.advance(self.now);
        Ok(())
    }

    /// As [`Simulation::run_until`], but the NAPT tables are left as the last event left them
    /// (their lazy expiry and occupancy statistics only move when the model calls them). For
    /// observers that step a run to sample it between events (a report's time series): a run
    /// stepped with this and finished with `run_until(end)` has the same outcome and digest
    /// as one `run_until(end)`, whereas `advance` at every step would start a table's
    /// statistics earlier and split its occupancy records differently.
    pub fn run_events_until(
        &mut self,
        until: SimTime,
        observer: &mut dyn Observer<TraceEvent>,
    ) -> Result<(), RunError> {
        let until = until.min(self.end);
        self.flush_trace(observer);
        while let Some((t, event)) = self.queue.pop_until(until) {
            self.run_event(t, event, observer)?;
        }
        self.now = self.now.max(until);
        Ok(())
    }

    /// Runs the earliest pending event (there is one): the clock moves to it, it counts
    /// against the event limit, and its trace goes to the digest and `observer`.
    #[inline]
    fn run_next_event(&mut self, observer: &mut dyn Observer<TraceEvent>) -> Result<(), RunError> {
        let (t, event) = self.queue.pop().expect("an event is pending");
        self.run_event(t, event, observer)
    }

    /// Runs `event`, just taken from the queue at `t`. Inlined into the run loop: LLVM's
    /// own choice flipped with unrelated changes.
    #[inline(always)]
    fn run_event(
        &mut self,
        t: SimTime,
        event: Event,
        observer: &mut dyn Observer<TraceEvent>,
    ) -> Result<(), RunError> {
        self.now = t;
        self.events += 1;
        if self.events > self.event_limit {
            return Err(RunError::TooManyEvents {
                limit: self.event_limit,
                at: t,
            });
        }
        // A session's start or end is nearly every event of a long run: they are called
        // straight from here, not through `handle`'s match of every kind (whose frame,
        // with everything inlined into it, cost more than a session's end).
        let lan_own = match event {
            Event::SessionStart { group } => {
                self.on_session_start(group);
                true
            }
            Event::SessionEnd(end) => {
                self.on_session_end(end);
                true
            }
            other => {
                let lan_own = other.is_lan_own();
                self.handle(other);
                lan_own
            }
        };
        if lan_own {
            // A LAN event moves no step of the bring-up: only its trace events need sending.
            debug_assert_eq!(
                self.last_step,
                Some(self.current_step()),
                "a LAN event moved the bring-up's step"
            );
            self.send_trace(observer);
        } else {
            self.flush_trace(observer);
        }
        Ok(())
    }

    /// The time of this home's next event within its run, and whether that event is its
    /// LAN's own: a session's start or end, or a load sample. Those ask no shared server
    /// but the BR, so an area may run them ahead of other homes' events
    /// ([`crate::area`]). Takes `&mut self` to look at the event ([`EventQueue::peek`]).
    pub fn next_event(&mut self) -> Option<(SimTime, bool)> {
        let end = self.end;
        let (at, event) = self.queue.peek().filter(|&(t, _)| t <= end)?;
        Some((at, event.is_lan_own()))
    }

    /// Processes this home's events at `at`, its next event's time, in order; with
    /// `lan_only`, stops before the first that is not its LAN's own. Whether every event
    /// at `at` is done (the clock is then at `at`, as [`Simulation::run_events_until`]
    /// would leave it).
    pub fn run_events_at(
        &mut self,
        at: SimTime,
        observer: &mut dyn Observer<TraceEvent>,
        lan_only: bool,
    ) -> Result<bool, RunError> {
        debug_assert!(
            self.queue.peek_time().is_none_or(|t| t >= at),
            "events before {at:?} are pending"
        );
        self.flush_trace(observer);
        loop {
            match self.next_event() {
                Some((t, lan_own)) if t == at => {
                    if lan_only && !lan_own {
                        return Ok(false);
                    }
                }
                _ => break,
            }
            self.run_next_event(observer)?;
        }
        self.now = self.now.max(at.min(self.end));
        Ok(true)
    }

    /// Starts loading into the cache the fields of this home nearly every event reads:
    /// the first of the two prefetch stages an area gives the homes it runs next
    /// ([`crate::prefetch`]). It reads nothing itself.
    pub fn prefetch_fields(&self) {
        use crate::prefetch::prefetch_line;
        self.queue.prefetch_fields();
        prefetch_line(&self.now);
        prefetch_line(&self.events);
        prefetch_line(&self.event_limit);
        prefetch_line(&self.family_epochs);
        prefetch_line(&self.clients);
        prefetch_line(&self.digest);
        prefetch_line(&self.trace_buffer);
        prefetch_line(&self.last_step);
        prefetch_line(&self.shared);
        prefetch_line(&self.calendar);
        prefetch_line(&self.vne);
        prefetch_line(&self.gateway.ipv4);
        prefetch_line(&self.gateway.ipv6);
        prefetch_line(&self.gateway.powered);
        prefetch_line(&self.onu);
        // The whole option, not `if let`: that would read the field this is to prefetch.
        crate::prefetch::prefetch_all(&self.napt);
    }

    /// The second stage, a home or two later: reads the fields the first stage loaded and
    /// starts loading what they point to (the queue's next key, the LAN clients' streams
    /// and counters, the NAPT timers, the end of the digest's buffer).
    pub fn prefetch_next(&self) {
        use crate::prefetch::{prefetch_all, prefetch_line};
        self.queue.prefetch_next();
        for client in &self.clients {
            prefetch_all(&client.rng);
            prefetch_all(&client.draws);
            prefetch_line(&client.active);
            prefetch_line(&client.outcome);
            prefetch_line(&client.next_port[..]);
        }
        self.digest.prefetch_next();
        if let Some(napt) = &self.napt {
            napt.prefetch_next();
        }
    }

    /// Lends the area's shared servers to this home for its next steps (the home's
    /// distribution and rule fetches go through their capacity models, its IPv4 through
    /// the area's BR); [`Simulation::return_servers`] gives them back.
    pub fn lend_servers(&mut self, servers: Box<AreaServers>) {
        self.shared = Some(servers);
    }

    /// The shared servers lent by [`Simulation::lend_servers`].
    pub fn return_servers(&mut self) -> Option<Box<AreaServers>> {
        self.shared.take()
    }

    /// Leaves out the gateway's NAPT occupancy histogram (its `napt.occupancy` quantiles stay
    /// zero): an area's homes other than home 0, whose outcomes are only summed.
    pub fn skip_napt_occupancy(&mut self) {
        self.napt_occupancy = false;
    }

    /// Whether IPv6 and IPv4 are up now (as the gateway sees them).
    pub fn families_up(&self) -> (bool, bool) {
        (self.gateway.ipv6.is_up(), self.gateway.ipv4.is_up())
    }

    /// The bring-up step the gateway waits at now (`Step::None` when IPv4 is up).
    pub fn current_step(&self) -> Step {
        self.gateway.current_step(self.onu.link_up(), self.ds_lite)
    }

    /// The digest of this run's trace so far, as a number (an area folds its homes' together).
    pub fn digest_value(&self) -> u64 {
        self.digest.value()
    }

    /// The NAPT tables' occupancy now, read without changing anything (see
    /// [`NaptTable::live_at`]): the gateway's table once MAP-E has been configured, and
    /// the AFTR's per-subscriber table on DS-Lite lines.
    pub fn napt_occupancy(&self) -> NaptOccupancy {
        NaptOccupancy {
            gateway: self.napt.as_ref().map(|t| TableOccupancy {
                entries: t.live_at(self.now),
                capacity: t.config().capacity,
                ports: t.usable_ports(),
            }),
            aftr: self.ds_lite.then(|| TableOccupancy {
                entries: self.aftr.live_at(self.now),
                capacity: self.aftr.config().capacity,
                ports: self.aftr.usable_ports(),
            }),
        }
    }

    fn emit(&mut self, event: TraceEvent) {
        self.trace_buffer.push(event);
    }

    /// Sends buffered trace events to the digest and the observer, and notes step changes.
    fn flush_trace(&mut self, observer: &mut dyn Observer<TraceEvent>) {
        let step = self.current_step();
        if self.last_step != Some(step) {
            self.last_step = Some(step);
            self.trace_buffer.push(TraceEvent::Step { step });
        }
        self.send_trace(observer);
    }

    /// Sends buffered trace events to the digest and the observer.
    fn send_trace(&mut self, observer: &mut dyn Observer<TraceEvent>) {
        for event in &self.trace_buffer {
            self.digest.observe(self.now, event);
            observer.observe(self.now, event);
        }
        self.trace_buffer.clear();
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
                    self.on_net_event(*what);
                }
            }
            Event::Onu { epoch, what } => self.on_onu_event(epoch, what),
            Event::Lease { epoch, what } => {
                if epoch == self.lease_epoch {
                    self.on_lease_event(what);
                }
            }
            Event::SessionStart { group } => self.on_session_start(group),
            Event::SessionEnd(end) => self.on_session_end(end),
            Event::HazardFires { process, generation } => self.on_hazard_fires(process, generation),
            Event::LoadSample => self.on_load_sample(),
        }
    }

    fn schedule_power(&mut self, after: SimDuration, what: PowerEvent) {
        let epoch = self.gateway.power_epoch;
        self.queue.push(self.now + after, Event::Power { epoch, what });
    }

    fn schedule_net(&mut self, after: SimDuration, what: NetEvent) {
        let epoch = self.gateway.net_epoch;
        let what = Box::new(what);
        self.queue.push(self.now + after, Event::Net { epoch, what });
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
                reboots: self.reboot_counts(),
                java_restarts: g.java_restarts,
                units: g.units,
                log_entries: g.log.len() as u32,
                stuck_at: self.current_step().name().to_string(),
                bundle_downloads: g.bundle_downloads,
                rule_fetches: g.rule_fetches,
                rule_fetch_failures: g.rule_fetch_failures,
            },
            ipv6: family(&g.ipv6, ipv6_address),
            ipv4: family(&g.ipv4, g.ipv4_config.as_ref().map(Ipv4Config::address)),
            boots: g
                .boots
                .iter()
                .map(|b| BootOutcome {
                    at: Dur::of(b.at.since_start()),
                    cause: b.cause.name().to_string(),
                    date: self.calendar.at(b.at).to_string(),
                    ipv6_up: b.ipv6_up.map(Dur::of),
                    ipv4_up: b.ipv4_up.map(Dur::of),
                    java_vm_up: b.java_vm_up.map(Dur::of),
                })
                .collect(),
            phases: self.phases(),
            napt: self.napt.as_ref().map(NaptTable::stats).unwrap_or_default(),
            aftr: {
                let stats = self.aftr.stats();
                AftrOutcome {
                    peak: stats.peak,
                    drops: stats.drops.table_full + stats.drops.port_set_exhausted,
                }
            },
            lan,
            trace: TraceSummary {
                events: self.digest.events(),
                digest: self.digest.hex(),
            },
            area: None,
        }
    }
}

impl Simulation<'_> {
    /// Reboots by cause, and when the spontaneous ones happened.
    fn reboot_counts(&self) -> RebootCounts {
        let g = &self.gateway;
        let mut hours = vec![0u32; 24];
        let mut times = Vec::new();
        for boot in g.boots.iter().filter(|b| b.cause == BootCause::Spontaneous) {
            let at = self.calendar.at(boot.at);
            hours[at.hour as usize] += 1;
            times.push(at.to_string());
        }
        RebootCounts {
            spontaneous: g.reboots_spontaneous,
            user: g.reboots_user,
            power: g.reboots_power,
            night: hours[0..6].iter().sum(),
            daytime: hours[9..18].iter().sum(),
            hours,
            times,
        }
    }

    /// The run split at the phase marks, each phase with its own counts and rates.
    fn phases(&self) -> Vec<PhaseOutcome> {
        let mut marks = vec![PhaseMark {
            at: SimTime::ZERO,
            spontaneous_reboots: 0,
            napt_drops: 0,
            failed_sessions: 0,
        }];
        marks.extend(self.phase_marks.iter().copied());
        marks.push(self.phase_mark());
        marks
            .windows(2)
            .map(|w| {
                let (a, b) = (w[0], w[1]);
                let days = b.at.since(a.at).as_secs_f64() / 86_400.0;
                let per_day = |n: f64| if days > 0.0 { round4(n / days) } else { 0.0 };
                PhaseOutcome {
                    from: Dur::of(a.at.since_start()),
                    to: Dur::of(b.at.since_start()),
                    spontaneous_reboots: b.spontaneous_reboots - a.spontaneous_reboots,
                    reboots_per_day: per_day((b.spontaneous_reboots - a.spontaneous_reboots) as f64),
                    napt_drops: b.napt_drops - a.napt_drops,
                    napt_drops_per_day: per_day((b.napt_drops - a.napt_drops) as f64),
                    failed_sessions: b.failed_sessions - a.failed_sessions,
                }
            })
            .collect()
    }

    /// The gateway's current log in the device's own text format.
    pub fn device_log_text(&self) -> String {
        let mut out = String::new();
        self.gateway.log.render(&mut out);
        out
    }

    /// The gateway's name (device logs are written as `<name>.log`).
    pub fn gateway_name(&self) -> &str {
        &self.gateway.spec.name
    }
}

/// Rounds to four decimals, so rates print readably (the same bits everywhere: one division, one round).
fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
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

#[cfg(test)]
mod tests {
    /// The queue moves each event in and out of its slab, and the benchmarks
    /// (`benches/support/hold.rs`) measure it carrying a payload of this size: a
    /// variant that grows the event (a large one belongs in a `Box`, as `NetEvent`)
    /// should be a choice, not an accident.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn an_event_is_32_bytes() {
        assert_eq!(std::mem::size_of::<super::Event>(), 32);
    }
}
