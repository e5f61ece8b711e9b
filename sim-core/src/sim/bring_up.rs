//! The bring-up: power, boots, link loss, and the steps from IPv6 to IPv4
//! (NTP, Flets Joint distribution, Java VM, rule fetch or AFTR, MAP-E).

use super::*;

impl Simulation<'_> {
    pub(super) fn boot(&mut self, cause: BootCause) {
        let boot = self.gateway.boot(self.now, cause);
        self.emit(TraceEvent::Boot { boot, cause });
        if cause == BootCause::PowerRestored {
            self.gateway.reboots_power += 1;
        }
        // An HGW with its bundle in flash starts the Java VM as soon as the firmware is up.
        let boot_time = self.gateway.spec.boot_time;
        self.schedule_power(boot_time, PowerEvent::BootDone);
    }

    pub(super) fn families_down(&mut self, ipv6: bool, ipv4: bool) {
        if ipv6 {
            self.emit(TraceEvent::Ipv6Down);
        }
        if ipv4 {
            self.emit(TraceEvent::Ipv4Down);
        }
    }

    pub(super) fn power_off(&mut self) {
        let (v6, v4) = (self.gateway.ipv6.is_up(), self.gateway.ipv4.is_up());
        self.gateway.power_down(self.now);
        self.families_down(v6, v4);
        self.emit(TraceEvent::PowerOff);
    }

    pub(super) fn reboot(&mut self, cause: BootCause, factory_reset: bool) {
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

    pub(super) fn link_lost(&mut self) {
        if !self.gateway.powered {
            return;
        }
        let (v6, v4) = self.gateway.lose_network(self.now);
        self.families_down(v6, v4);
    }

    pub(super) fn on_power_event(&mut self, what: PowerEvent) {
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

    pub(super) fn hgw_settings(&self) -> Option<&crate::scenario::HgwSettings> {
        match &self.gateway.spec.model {
            GatewayModel::Hgw(h) => Some(h),
            GatewayModel::RetailRouter(_) => None,
        }
    }

    /// An HGW whose bundle is in flash starts its Java VM (no network needed).
    pub(super) fn start_java_if_ready(&mut self) {
        if self.gateway.is_hgw() && self.gateway.bundle_cached && self.gateway.java == JavaState::Stopped {
            self.gateway.java = JavaState::VmStarting;
            let t = self.hgw_settings().map_or(SimDuration::ZERO, |h| h.java_vm_start);
            self.schedule_power(t, PowerEvent::JavaVmUp);
        }
    }

    /// Starts whatever the gateway's current step needs, unless it is already waiting on something.
    pub(super) fn advance(&mut self) {
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

    pub(super) fn wait(&mut self, pending: Pending, after: SimDuration, what: NetEvent) {
        self.gateway.pending = Some(pending);
        self.schedule_net(after, what);
    }

    pub(super) fn retry_later(&mut self, step: Step, delay: SimDuration) {
        self.gateway.failures_in_row += 1;
        self.wait(Pending::RetryWait(step), delay, NetEvent::RetryDue);
    }

    pub(super) fn fetch_bundle(&mut self) {
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

    pub(super) fn fetch_rule(&mut self) {
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

    pub(super) fn fetch_done_later(&mut self, target: FetchTarget, report: fetch::FetchReport) {
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

    pub(super) fn on_net_event(&mut self, what: NetEvent) {
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

    pub(super) fn ipv4_up(&mut self) {
        if self.gateway.ipv4.up(self.now) {
            self.gateway.note_up(self.now, true);
            self.emit(TraceEvent::Ipv4Up);
        }
    }

    pub(super) fn on_fetch_done(
        &mut self,
        target: FetchTarget,
        end: FetchEnd,
        body: Vec<u8>,
        stats: FetchStats,
    ) {
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
    pub(super) fn static_ipv4(&self) -> Option<String> {
        let GatewayModel::RetailRouter(r) = &self.gateway.spec.model else {
            return None;
        };
        let rule = r.static_rule.as_ref()?;
        self.ipv4_from_rule(rule)
    }

    /// The IPv4 address MAP-E gives the line's prefix under `rule` (the VNE's interface-id layout).
    pub(super) fn ipv4_from_rule(&self, rule: &MapRule) -> Option<String> {
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
}
