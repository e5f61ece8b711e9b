//! Faults: what each kind does when it begins and when it ends.

use super::*;

impl Simulation<'_> {
    pub(super) fn fault_begin(&mut self, index: u32) {
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

    pub(super) fn fault_end(&mut self, index: u32) {
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
