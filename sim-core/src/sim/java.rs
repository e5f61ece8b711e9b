//! The HGW's Java VM and app: starting them, their faults (crash, hang,
//! VM death) and what the model says a fault does (restart the app, the VM
//! or the whole unit); the device log; a device swap; phases of the run.

use super::*;
use crate::device_log::{self, LogMessage};
use crate::scenario::FaultAction;

impl Simulation<'_> {
    /// Writes a log entry with the gateway's clock: calendar time once NTP has set it,
    /// 2019-01-01 plus uptime before. An unpowered gateway writes nothing.
    pub(super) fn log(&mut self, message: LogMessage) {
        if !self.gateway.powered {
            return;
        }
        let at = if self.gateway.clock_synced {
            self.calendar.at(self.now)
        } else {
            let boot = self.gateway.boots.last().map_or(SimTime::ZERO, |b| b.at);
            device_log::unsynced_timestamp(self.now.since(boot))
        };
        self.gateway.log.push(at, message);
    }

    pub(super) fn set_java(&mut self, state: JavaState) {
        if self.gateway.java != state {
            self.gateway.java = state;
            self.emit(TraceEvent::Java { state: state.name() });
        }
    }

    /// Starts the Java VM (a new start invalidates the Java events of any earlier one).
    pub(super) fn start_java_vm(&mut self) {
        self.gateway.java_epoch += 1;
        self.set_java(JavaState::VmStarting);
        let spread = self.hgw_settings().map(|h| h.java_vm_start);
        let t = spread.map_or(SimDuration::ZERO, |s| s.draw(&mut self.timing.java_vm));
        let epoch = self.gateway.java_epoch;
        self.schedule_power(t, PowerEvent::JavaVmUp(epoch));
    }

    /// Starts the app inside the running VM.
    pub(super) fn start_app(&mut self) {
        self.gateway.java_epoch += 1;
        self.set_java(JavaState::AppStarting);
        let spread = self.hgw_settings().map(|h| h.app_start);
        let t = spread.map_or(SimDuration::ZERO, |s| s.draw(&mut self.timing.app));
        let epoch = self.gateway.java_epoch;
        self.schedule_power(t, PowerEvent::AppUp(epoch));
    }

    /// IPv4 runs in the app: when it stops, MAP-E or DS-Lite stops with it and the rule is forgotten.
    fn app_stops_ipv4(&mut self) {
        let was_up = self.gateway.ipv4.down(self.now);
        self.gateway.has_rule = false;
        self.gateway.ipv4_config = None;
        if matches!(
            self.gateway.pending,
            Some(Pending::RuleFetch | Pending::Aftr | Pending::MapeConfig)
        ) {
            // Its rule fetch or tunnel set-up dies with it.
            self.gateway.pending = None;
            self.gateway.net_epoch += 1;
        }
        if was_up {
            self.log(if self.ds_lite {
                LogMessage::DsLiteDown
            } else {
                LogMessage::MapEDown
            });
            self.families_down(false, true);
        }
    }

    /// The app or the Java VM failed: log it and act as the model says.
    pub(super) fn java_fault(&mut self, message: LogMessage, action: FaultAction) {
        if !self.gateway.powered || !self.gateway.is_hgw() || !self.java_is_up() {
            return;
        }
        self.log(message);
        self.set_java(JavaState::Crashed);
        self.apply_java_action(action);
    }

    /// The app stops answering; the watchdog acts after `watchdog`.
    pub(super) fn app_hang(&mut self, watchdog: SimDuration, action: FaultAction) {
        if !self.gateway.powered || !self.gateway.is_hgw() || self.gateway.java != JavaState::Running {
            return;
        }
        self.log(self.software.app_hung);
        self.set_java(JavaState::Hung);
        self.app_stops_ipv4();
        self.gateway.java_epoch += 1;
        let epoch = self.gateway.java_epoch;
        self.schedule_power(watchdog, PowerEvent::Watchdog { epoch, action });
    }

    fn java_is_up(&self) -> bool {
        matches!(
            self.gateway.java,
            JavaState::AppStarting | JavaState::Running | JavaState::Hung
        )
    }

    pub(super) fn apply_java_action(&mut self, action: FaultAction) {
        match action {
            FaultAction::RestartApp => {
                self.app_stops_ipv4();
                self.gateway.java_restarts += 1;
                self.start_app();
            }
            FaultAction::RestartJavaVm => {
                self.app_stops_ipv4();
                self.gateway.java_restarts += 1;
                self.start_java_vm();
            }
            FaultAction::Reboot => {
                if self.gateway.java == JavaState::Hung {
                    self.log(LogMessage::WatchdogReset);
                }
                self.reboot(BootCause::Spontaneous, false);
            }
        }
    }

    /// A new bundle version is released to this line. ASSUMPTION (no HGW's log of an update is
    /// public): the HGW stops its app and Java VM (IPv4 goes down), downloads the new bundle
    /// from Flets Joint, installs it and starts the VM again, through the same steps as a first
    /// distribution; a unit still without a bundle, or installing one, gets the new version
    /// anyway. An unpowered unit fetches it at its next boot.
    pub(super) fn bundle_update(&mut self) {
        if !self.gateway.is_hgw() || !self.gateway.bundle_cached || self.gateway.java == JavaState::Installing
        {
            return;
        }
        if self.gateway.powered {
            self.log(LogMessage::JavaVmStopped);
            if self.java_is_up() {
                self.app_stops_ipv4();
            }
            // Java events of the running VM are stale now.
            self.gateway.java_epoch += 1;
            self.set_java(JavaState::Stopped);
            self.gateway.java_restarts += 1;
        }
        self.gateway.bundle_cached = false;
        self.advance();
    }

    /// A new unit of the same model replaces the gateway: a fresh log, no bundle in flash
    /// (Flets Joint delivers it again), the same firmware (and so the same hazards).
    pub(super) fn swap_device(&mut self) {
        if self.gateway.powered {
            self.power_off();
        }
        self.gateway.units += 1;
        self.gateway.log = device_log::DeviceLog::new();
        if self.gateway.bundle_cached {
            self.gateway.bundle_cached = false;
        }
        if let Some(napt) = &mut self.napt {
            napt.clear(self.now);
        }
        self.emit(TraceEvent::DeviceSwapped {
            unit: self.gateway.units,
        });
        self.boot(BootCause::DeviceSwap);
    }

    /// Closes the current phase of the run at a user's change of the setup.
    pub(super) fn start_phase(&mut self) {
        self.phase_marks.push(self.phase_mark());
    }

    /// The counters a phase boundary records.
    pub(super) fn phase_mark(&self) -> PhaseMark {
        let napt = self.napt.as_ref().map(NaptTable::drops).unwrap_or_default();
        PhaseMark {
            at: self.now,
            spontaneous_reboots: self.gateway.reboots_spontaneous,
            napt_drops: napt.table_full + napt.port_set_exhausted,
            failed_sessions: self.clients.iter().map(|c| c.outcome.failed.total()).sum(),
        }
    }

    // ---- hazard processes ---------------------------------------------------

    /// Schedules process `i`'s next firing (its generation tags the event).
    pub(super) fn schedule_hazard(&mut self, i: usize) {
        let process = &self.hazards[i].process;
        if let Some(at) = process.next_firing() {
            let generation = process.generation();
            if at <= self.end {
                self.queue.push(
                    at.max(self.now),
                    Event::HazardFires {
                        process: i as u32,
                        generation,
                    },
                );
            }
        }
    }

    pub(super) fn on_hazard_fires(&mut self, i: u32, generation: u64) {
        let state = &mut self.hazards[i as usize];
        if state.process.generation() != generation {
            return;
        }
        state.process.fired(self.now);
        let fault = state.fault;
        self.schedule_hazard(i as usize);
        self.fault_begin(fault);
        if let Some(d) = self.scenario.faults[fault as usize].kind.duration() {
            self.queue.push(self.now + d, Event::FaultEnd(fault));
        }
    }

    /// A boot restarts the processes that age with uptime (Weibull, heap leak).
    pub(super) fn restart_hazards(&mut self) {
        for i in 0..self.hazards.len() {
            let before = self.hazards[i].process.generation();
            self.hazards[i].process.restart(self.now);
            if self.hazards[i].process.generation() != before {
                self.schedule_hazard(i);
            }
        }
    }

    /// Tells load-coupled processes the current load, once a minute.
    pub(super) fn on_load_sample(&mut self) {
        // The table expires lazily, on its next call: bring it to now first, or a quiet hour
        // (whose last session may be minutes old) reads mappings whose idle timers have run out.
        let now = self.now;
        let napt = self.napt.as_mut().map_or(0, |n| {
            n.advance(now);
            n.len()
        }) as f64;
        let sessions = self
            .clients
            .iter()
            .map(|c| c.active[0] + c.active[1])
            .sum::<u64>() as f64;
        for i in 0..self.hazards.len() {
            let load = match self.hazards[i].load {
                LoadSource::NaptEntries => napt,
                LoadSource::Sessions => sessions,
            };
            let before = self.hazards[i].process.generation();
            self.hazards[i].process.set_load(self.now, load);
            if self.hazards[i].process.generation() != before {
                self.schedule_hazard(i);
            }
        }
        if self.now + LOAD_SAMPLE <= self.end {
            self.queue.push(self.now + LOAD_SAMPLE, Event::LoadSample);
        }
    }
}
