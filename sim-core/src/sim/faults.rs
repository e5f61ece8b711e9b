//! Faults: what each kind does when it begins and when it ends.

use super::*;
use crate::device_log::LogMessage;

impl Simulation<'_> {
    pub(super) fn fault_begin(&mut self, index: u32) {
        let kind = self.scenario.faults[index as usize].kind.clone();
        self.emit(TraceEvent::FaultBegin {
            fault: index,
            kind: kind.name(),
        });
        match kind {
            FaultKind::OnuLossOfSignal { .. } => {
                let was_up = self.onu.link_up();
                if self.onu.lose_signal() {
                    self.emit(TraceEvent::OnuSignal { up: false });
                }
                if was_up {
                    self.link_lost();
                }
            }
            FaultKind::PowerCut { .. } => {
                self.power_cuts += 1;
                if self.gateway.powered {
                    self.power_off();
                }
                // The ONU is on the same mains.
                self.onu_power_off();
                // Power returns at the fault's end (a cut of 0 s is not accepted by validation).
            }
            FaultKind::UserReboot => {
                if self.gateway.powered {
                    self.log(LogMessage::UserReboot);
                    self.log(LogMessage::JavaVmStopped);
                }
                self.reboot(BootCause::User, false);
            }
            FaultKind::FactoryReset => {
                if self.gateway.powered {
                    self.log(LogMessage::FactoryReset);
                }
                self.reboot(BootCause::FactoryReset, true);
            }
            FaultKind::SpontaneousReboot => self.reboot(BootCause::Spontaneous, false),
            FaultKind::AppCrash { action } => self.java_fault(self.software.app_crashed, action),
            FaultKind::JavaVmCrash { action } => self.java_fault(LogMessage::JavaVmCrashed, action),
            FaultKind::AppHang { watchdog, action } => self.app_hang(watchdog, action),
            FaultKind::DeviceSwap => {
                self.start_phase();
                self.swap_device();
            }
            FaultKind::NaptTimeouts { timeouts } => {
                self.start_phase();
                self.napt_config.timeouts = timeouts;
                if let Some(napt) = &mut self.napt {
                    napt.set_timeouts(self.now, timeouts);
                }
                self.log(LogMessage::NaptSettingsChanged);
            }
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
                self.start_phase();
                self.hgw_rental = hgw_rental;
                self.distributor.set_registration(hgw_rental);
                self.emit(TraceEvent::ContractChanged { hgw_rental });
            }
            FaultKind::BundleUpdate => self.bundle_update(),
        }
    }

    pub(super) fn fault_end(&mut self, index: u32) {
        let kind = self.scenario.faults[index as usize].kind.clone();
        self.emit(TraceEvent::FaultEnd {
            fault: index,
            kind: kind.name(),
        });
        match kind {
            FaultKind::OnuLossOfSignal { .. } => {
                if self.onu.regain_signal() {
                    // The light is back; the link carries traffic once the ONU has ranged again.
                    self.emit(TraceEvent::OnuSignal { up: true });
                    self.start_onu_ranging();
                }
            }
            FaultKind::PowerCut { .. } => {
                // Overlapping cuts: power returns when no cut is in force.
                self.power_cuts = self.power_cuts.saturating_sub(1);
                if self.power_cuts == 0 {
                    if !self.gateway.powered {
                        self.boot(BootCause::PowerRestored);
                    }
                    self.onu_power_on();
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
            FaultKind::UserReboot
            | FaultKind::FactoryReset
            | FaultKind::ContractChange { .. }
            | FaultKind::SpontaneousReboot
            | FaultKind::AppCrash { .. }
            | FaultKind::AppHang { .. }
            | FaultKind::JavaVmCrash { .. }
            | FaultKind::DeviceSwap
            | FaultKind::NaptTimeouts { .. }
            | FaultKind::BundleUpdate => {}
        }
    }

    pub(super) fn emit_link(&mut self, link: LinkId) {
        let c = self.links.conditions(link);
        let loss_ppm = (c.loss * 1_000_000.0).round() as u32;
        self.emit(TraceEvent::LinkChanged {
            link,
            latency: c.latency,
            loss_ppm,
        });
    }
}
