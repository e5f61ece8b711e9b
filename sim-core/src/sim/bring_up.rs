//! The bring-up: power, boots, link loss, the ONU's boot and ranging, and
//! the steps from IPv6 to IPv4 (NTP, Flets Joint distribution, Java VM,
//! rule fetch or AFTR, MAP-E); the delegated prefix's lease (Renew at T1,
//! Rebind at T2, expiry). Every step's duration is drawn from its own
//! stream ([`TimingStreams`]).

use super::*;
use crate::area::Admission;
use crate::device_log::LogMessage;
use crate::fetch::ServerBehaviour;
use crate::packet;

impl Simulation<'_> {
    pub(super) fn boot(&mut self, cause: BootCause) {
        let boot = self.gateway.boot(self.now, cause);
        self.emit(TraceEvent::Boot { boot, cause });
        match cause {
            BootCause::PowerRestored => self.gateway.reboots_power += 1,
            BootCause::Spontaneous => self.gateway.reboots_spontaneous += 1,
            BootCause::User | BootCause::FactoryReset => self.gateway.reboots_user += 1,
            BootCause::PowerOn | BootCause::DeviceSwap => {}
        }
        self.restart_hazards();
        // An HGW with its bundle in flash starts the Java VM as soon as the firmware is up.
        let boot_time = self.gateway.spec.boot_time.draw(&mut self.timing.boot);
        self.schedule_power(boot_time, PowerEvent::BootDone);
    }

    pub(super) fn families_down(&mut self, ipv6: bool, ipv4: bool) {
        // An unpowered gateway logs nothing (`log` checks); a link loss is logged.
        if ipv4 {
            self.log(if self.ds_lite {
                LogMessage::DsLiteDown
            } else {
                LogMessage::MapEDown
            });
        }
        if ipv6 {
            self.log(LogMessage::Ipv6Down);
        }
        if ipv6 {
            self.emit(TraceEvent::Ipv6Down);
            self.cut_sessions(Family::Ipv6);
        }
        if ipv4 {
            self.emit(TraceEvent::Ipv4Down);
            self.cut_sessions(Family::Ipv4);
        }
    }

    pub(super) fn power_off(&mut self) {
        let (v6, v4) = (self.gateway.ipv6.is_up(), self.gateway.ipv4.is_up());
        self.gateway.power_down(self.now);
        // The lease lives in RAM too: a new one is solicited after the boot.
        self.lease_epoch += 1;
        self.families_down(v6, v4);
        // The NAPT table lives in RAM.
        if let Some(napt) = &mut self.napt {
            napt.clear(self.now);
        }
        self.emit(TraceEvent::PowerOff);
    }

    pub(super) fn reboot(&mut self, cause: BootCause, factory_reset: bool) {
        if !self.gateway.powered {
            return;
        }
        self.power_off();
        if factory_reset && self.gateway.bundle_cached {
            self.gateway.bundle_cached = false;
            self.emit(TraceEvent::BundleDeleted);
        }
        let shutdown = self.gateway.spec.shutdown_time.draw(&mut self.timing.shutdown);
        self.schedule_power(shutdown, PowerEvent::RebootNow(cause));
    }

    pub(super) fn link_lost(&mut self) {
        if !self.gateway.powered {
            return;
        }
        let (v6, v4) = self.gateway.lose_network(self.now);
        self.lease_epoch += 1;
        self.log(LogMessage::WanLinkDown);
        self.families_down(v6, v4);
    }

    // ---- the ONU ----------------------------------------------------------------

    /// The ONU ranges if it can (powered and booted, lit, not ranged yet); the WAN link comes
    /// up when it is done.
    pub(super) fn start_onu_ranging(&mut self) {
        if let Some(epoch) = self.onu.ranging_can_start() {
            let d = self.scenario.line.onu.ranging_time.draw(&mut self.timing.onu);
            self.queue.push(
                self.now + d,
                Event::Onu {
                    epoch,
                    what: OnuEvent::Ranged,
                },
            );
        }
    }

    /// A power cut reaches the ONU.
    pub(super) fn onu_power_off(&mut self) {
        if self.onu.power_off() {
            self.emit(TraceEvent::OnuPower { on: false });
        }
    }

    /// Power returns to the ONU: it boots, then ranges.
    pub(super) fn onu_power_on(&mut self) {
        if self.onu.has_power() {
            return;
        }
        let epoch = self.onu.power_on();
        self.emit(TraceEvent::OnuPower { on: true });
        let d = self.scenario.line.onu.boot_time.draw(&mut self.timing.onu);
        self.queue.push(
            self.now + d,
            Event::Onu {
                epoch,
                what: OnuEvent::Booted,
            },
        );
    }

    pub(super) fn on_onu_event(&mut self, epoch: u64, what: OnuEvent) {
        match what {
            OnuEvent::Booted => {
                if self.onu.booted(epoch) {
                    self.start_onu_ranging();
                }
            }
            OnuEvent::Ranged => {
                if self.onu.ranged(epoch) {
                    self.emit(TraceEvent::OnuRanged);
                    if !self.gateway.booting {
                        self.log(LogMessage::WanLinkUp);
                    }
                    self.advance();
                }
            }
        }
    }

    pub(super) fn on_power_event(&mut self, what: PowerEvent) {
        match what {
            PowerEvent::RebootNow(cause) => {
                // A power cut that began during the shutdown holds the boot until power returns.
                if !self.gateway.powered && self.power_cuts == 0 {
                    self.boot(cause);
                }
            }
            PowerEvent::BootDone => {
                self.gateway.booting = false;
                if self.onu.link_up() {
                    self.log(LogMessage::WanLinkUp);
                }
                if self.gateway.is_hgw() {
                    self.schedule_power(FLETS_JOINT_CHECK, PowerEvent::FletsJointCheck);
                }
                self.start_java_if_ready();
                self.advance();
            }
            PowerEvent::Installed => self.start_java_vm(),
            PowerEvent::JavaVmUp(epoch) if epoch == self.gateway.java_epoch => {
                // The device writes its "boot" line when the Java VM is up (with a 2019-01-01
                // time if NTP has not set the clock yet).
                self.log(LogMessage::Boot);
                self.gateway.note_java_vm_up(self.now);
                self.start_app();
            }
            PowerEvent::AppUp(epoch) if epoch == self.gateway.java_epoch => {
                self.set_java(JavaState::Running);
                self.log(self.software.app_started);
                self.advance();
            }
            PowerEvent::Watchdog { epoch, action } if epoch == self.gateway.java_epoch => {
                self.apply_java_action(action);
            }
            PowerEvent::RuleRefresh(epoch) if epoch == self.gateway.java_epoch => self.refresh_rule(),
            PowerEvent::NtpResync => {
                if self.gateway.clock_synced && self.gateway.ipv6.is_up() {
                    self.log(LogMessage::NtpSynced);
                }
                self.schedule_power(NTP_RESYNC, PowerEvent::NtpResync);
            }
            PowerEvent::FletsJointCheck => {
                if self.gateway.bundle_cached && self.gateway.ipv6.is_up() {
                    self.log(LogMessage::FletsJointChecked);
                }
                self.schedule_power(FLETS_JOINT_CHECK, PowerEvent::FletsJointCheck);
            }
            // A Java event of an earlier VM or app start.
            PowerEvent::JavaVmUp(_)
            | PowerEvent::AppUp(_)
            | PowerEvent::Watchdog { .. }
            | PowerEvent::RuleRefresh(_) => {}
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
            self.start_java_vm();
        }
    }

    /// Starts whatever the gateway's current step needs, unless it is already waiting on something.
    pub(super) fn advance(&mut self) {
        let g = &self.gateway;
        if !g.powered || g.booting || g.pending.is_some() || !self.onu.link_up() || g.ipv4.is_up() {
            return;
        }
        let step = g.current_step(true, self.ds_lite);
        let wan = self.links.conditions(LinkId::Wan);
        match step {
            Step::Ipv6 => {
                let a = network::acquire_ipv6(
                    &mut self.rng_gateway,
                    &mut self.timing.ipv6_host,
                    wan,
                    self.scenario.line.ipv6_delivery,
                );
                self.wait(Pending::Ipv6, a.exchange.elapsed, NetEvent::Ipv6Done(a));
            }
            Step::Ntp => {
                let mut e = network::sync_clock(&mut self.rng_gateway, wan);
                // The client's first query goes out a few seconds after IPv6 is up. Now and
                // then it goes unanswered and the client polls again a minute later: entries
                // until then carry the unset clock.
                let first_query = self.gateway.failures_in_row == 0;
                if first_query {
                    e.elapsed += self.gateway.spec.ntp_delay.draw(&mut self.timing.ntp_delay);
                    if crate::rng::unit(&mut self.rng_ntp) < self.scenario.line.ntp_first_query_loss {
                        e.elapsed += NTP_POLL_AFTER_MISS;
                    }
                }
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
        let mut behaviour = self.distributor.answer(h.bundle_bytes, self.software);
        // In an area, a request the home's own distributor would serve goes through the
        // shared distributor's queue and bandwidth.
        let admission = match (&mut self.shared, &behaviour) {
            (Some(shared), ServerBehaviour::Respond { status: 200, .. }) => {
                Some(shared.distributor().admit(self.now, h.bundle_bytes))
            }
            _ => None,
        };
        let mut floor = SimDuration::ZERO;
        match admission {
            Some(Admission::Refuse { status }) => behaviour = crate::servers::refusal(status),
            Some(Admission::Serve { wait, transfer }) if wait + transfer >= h.distribution_timeout => {
                // Not served (or not done) before the HGW gives up.
                behaviour = ServerBehaviour::Silent;
            }
            Some(Admission::Serve { wait, transfer }) => {
                if let ServerBehaviour::Respond { delay, .. } = &mut behaviour {
                    *delay += wait;
                }
                floor = wait + transfer;
            }
            None => {}
        }
        let spec = FetchSpec {
            client_addr: self.ce_addr,
            server_addr: DISTRIBUTOR_ADDR,
            server_port: 80,
            host: "flets-joint.ngn.example".into(),
            path: self.software.bundle_path.into(),
            behaviour,
            timeout: h.distribution_timeout,
        };
        let path = self.links.path_to(LinkId::Distributor);
        let mut report = fetch::run_fetch(
            &spec,
            &path,
            &mut self.rng_distributor_fetch,
            self.capture.is_some(),
        );
        if !matches!(report.result, FetchResult::TimedOut) {
            // The bytes take at least their share of the distributor's bandwidth.
            report.elapsed = report.elapsed.max(floor);
        }
        if let Some(shared) = &mut self.shared {
            shared.distributor().finish(self.now, self.now + report.elapsed);
        }
        self.capture_fetch(LinkId::Distributor, &report, path.one_way_latency);
        self.fetch_done_later(FetchTarget::Distributor, report);
    }

    /// One real TCP rule fetch, as the server treats it now (captured when asked).
    fn run_rule_fetch(&mut self) -> fetch::FetchReport {
        let spec = FetchSpec {
            client_addr: self.ce_addr,
            server_addr: RULE_SERVER_ADDR,
            server_port: 80,
            host: "rule.vne.example".into(),
            path: format!("/mape/rule?prefix={}", self.scenario.line.prefix),
            behaviour: self.rule_server_behaviour(),
            timeout: RULE_FETCH_TIMEOUT,
        };
        let path = self.links.path_to(LinkId::RuleServer);
        self.gateway.rule_fetches += 1;
        let report = fetch::run_fetch(&spec, &path, &mut self.rng_rule_fetch, self.capture.is_some());
        self.capture_fetch(LinkId::RuleServer, &report, path.one_way_latency);
        report
    }

    /// How the rule server treats a request now: the home's own server, and in an area the
    /// VNE's shared rate limit (`429` beyond it).
    fn rule_server_behaviour(&mut self) -> ServerBehaviour {
        let behaviour = self.rule_server.answer(
            self.hgw_rental,
            self.distributor.delivered_to_line,
            self.rule_answer.as_ref(),
        );
        let vne = self.scenario.line.vne.name;
        let limited = matches!(behaviour, ServerBehaviour::Respond { .. })
            && self
                .shared
                .as_mut()
                .and_then(|s| s.rule_server(vne))
                .is_some_and(|limiter| !limiter.admit(self.now));
        if limited {
            crate::servers::refusal(crate::servers::STATUS_TOO_MANY_REQUESTS)
        } else {
            behaviour
        }
    }

    pub(super) fn fetch_rule(&mut self) {
        let report = self.run_rule_fetch();
        self.fetch_done_later(FetchTarget::RuleServer, report);
    }

    pub(super) fn fetch_done_later(&mut self, target: FetchTarget, report: fetch::FetchReport) {
        let (end, body) = fetch_end(report.result);
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
            NetEvent::Ipv6Done(a) => {
                if a.exchange.answered {
                    self.capture_ipv6_bring_up(&a);
                    if let Some([.., reply]) = a.timeline.dhcpv6 {
                        // The lease runs from the Reply (DAD of the address came after it).
                        let since_reply = a.exchange.elapsed.saturating_sub(reply);
                        self.start_lease(since_reply);
                    }
                    self.gateway.failures_in_row = 0;
                    if self.gateway.ipv6.up(self.now) {
                        self.gateway.note_up(self.now, false);
                        self.emit(TraceEvent::Ipv6Up);
                        self.log(match self.scenario.line.ipv6_delivery {
                            crate::scenario::Ipv6Delivery::Pd => LogMessage::PrefixDelegated,
                            crate::scenario::Ipv6Delivery::Ra => LogMessage::PrefixFromRa,
                        });
                        self.log(LogMessage::Ipv6Up);
                    }
                } else {
                    self.retry_later(Step::Ipv6, wan_retry);
                }
            }
            NetEvent::NtpDone(e) => {
                if e.answered {
                    self.capture_ntp();
                    self.gateway.failures_in_row = 0;
                    self.gateway.clock_synced = true;
                    self.emit(TraceEvent::ClockSynced);
                    self.log(LogMessage::NtpSynced);
                    self.schedule_power(NTP_RESYNC, PowerEvent::NtpResync);
                } else {
                    self.retry_later(Step::Ntp, wan_retry);
                }
            }
            NetEvent::AftrDone(e) => {
                if e.answered {
                    self.gateway.failures_in_row = 0;
                    self.gateway.has_rule = true;
                    // DS-Lite: the B4 address (RFC 6333); the AFTR does the NAT.
                    self.gateway.ipv4_config = Some(Ipv4Config::DsLite);
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
        if let Some(Ipv4Config::MapE(config)) = &self.gateway.ipv4_config {
            // The NAPT hands out ports of this configuration's port set; a table of the same
            // set (a link flap, the same prefix) keeps its mappings.
            let ports = config.ports;
            match &mut self.napt {
                Some(napt) if napt.port_set() == ports => {}
                Some(napt) => napt.set_port_set(self.now, ports),
                None => {
                    let config = self.scenario.gateway.napt;
                    self.napt = Some(if self.napt_occupancy {
                        NaptTable::new(config, ports)
                    } else {
                        NaptTable::new_without_occupancy(config, ports)
                    });
                }
            }
        }
        if self.gateway.ipv4.up(self.now) {
            self.gateway.note_up(self.now, true);
            self.emit(TraceEvent::Ipv4Up);
            self.log(if self.ds_lite {
                LogMessage::DsLiteUp
            } else {
                LogMessage::MapEUp
            });
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
                    self.log(LogMessage::FletsJointDelivered);
                    self.set_java(JavaState::Installing);
                    let install = self.hgw_settings().map(|h| h.install_time);
                    let t = install.map_or(SimDuration::ZERO, |s| s.draw(&mut self.timing.install));
                    self.schedule_power(t, PowerEvent::Installed);
                } else {
                    self.log(LogMessage::FletsJointFailed);
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
                        self.log(LogMessage::MapRuleReceived);
                        self.schedule_rule_refresh(self.rule_ttl());
                    }
                    None => {
                        self.log(LogMessage::MapRuleFetchFailed);
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

    /// How long a fetched rule may be kept before the app fetches it again.
    fn rule_ttl(&self) -> SimDuration {
        SimDuration::from_secs(self.rule_answer.as_ref().map_or(20 * 3600, |a| a.ttl))
    }

    fn schedule_rule_refresh(&mut self, after: SimDuration) {
        let epoch = self.gateway.java_epoch;
        self.schedule_power(after, PowerEvent::RuleRefresh(epoch));
    }

    /// The rule's lifetime is over: fetch it again (real TCP, so rule-server faults and link
    /// loss apply). A failed refresh keeps the old rule and IPv4 up, and retries in 20 minutes.
    pub(super) fn refresh_rule(&mut self) {
        if !self.gateway.ipv4.is_up() || !self.gateway.has_rule || self.gateway.pending.is_some() {
            // IPv4 is being rebuilt; its own rule fetch schedules the next refresh.
            return;
        }
        let report = self.run_rule_fetch();
        let ok = matches!(&report.result, FetchResult::Response { status: 200, .. });
        let (end, _) = fetch_end(report.result);
        self.emit(TraceEvent::Fetch {
            target: FetchTarget::RuleServer,
            end,
            elapsed: report.elapsed,
            packets: report.packets_sent,
            lost: report.packets_lost,
        });
        if ok {
            self.log(LogMessage::MapRuleRefreshed);
            let ttl = self.rule_ttl();
            self.schedule_rule_refresh(ttl);
        } else {
            self.gateway.rule_fetch_failures += 1;
            self.log(LogMessage::MapRuleFetchFailed);
            self.schedule_rule_refresh(RULE_REFRESH_RETRY);
        }
    }

    // ---- the lease of the delegated prefix ------------------------------------

    /// A prefix was delegated `since_reply` ago: its lease starts, with a Renew due at T1.
    fn start_lease(&mut self, since_reply: SimDuration) {
        self.lease_epoch += 1;
        self.lease_start = SimTime::from_nanos(self.now.as_nanos().saturating_sub(since_reply.as_nanos()));
        let t1 = network::NGN_PD_LEASE.t1().saturating_sub(since_reply);
        self.schedule_lease(t1, LeaseEvent::RenewDue);
    }

    fn schedule_lease(&mut self, after: SimDuration, what: LeaseEvent) {
        let epoch = self.lease_epoch;
        self.queue.push(self.now + after, Event::Lease { epoch, what });
    }

    /// Sends a Renew (until T2) or a Rebind (until the valid lifetime ends) and schedules its
    /// answer, or the moment the client gives up on it.
    fn send_lease_renewal(&mut self, rebind: bool) {
        let lease = network::NGN_PD_LEASE;
        let until = self.lease_start + if rebind { lease.valid() } else { lease.t2() };
        let deadline = until.since(self.now);
        let wan = self.links.conditions(LinkId::Wan);
        let e = network::renew_lease(
            &mut self.rng_gateway,
            &mut self.timing.ipv6_host,
            wan,
            rebind,
            deadline,
        );
        if e.answered {
            self.schedule_lease(e.elapsed, LeaseEvent::Answered { rebind });
        } else {
            self.schedule_lease(deadline, LeaseEvent::GaveUp { rebind });
        }
    }

    pub(super) fn on_lease_event(&mut self, what: LeaseEvent) {
        match what {
            LeaseEvent::RenewDue => self.send_lease_renewal(false),
            LeaseEvent::Answered { rebind } => {
                self.emit(TraceEvent::Lease {
                    rebind,
                    answered: true,
                });
                self.capture_lease_renewal(rebind);
                self.lease_start = self.now;
                self.schedule_lease(network::NGN_PD_LEASE.t1(), LeaseEvent::RenewDue);
            }
            LeaseEvent::GaveUp { rebind: false } => {
                self.emit(TraceEvent::Lease {
                    rebind: false,
                    answered: false,
                });
                self.send_lease_renewal(true);
            }
            LeaseEvent::GaveUp { rebind: true } => {
                // The valid lifetime is over: the prefix (and MAP-E on top of it) is gone; the
                // bring-up starts again with a Solicit.
                self.emit(TraceEvent::LeaseExpired);
                self.log(LogMessage::PrefixExpired);
                let (v6, v4) = self.gateway.lose_network(self.now);
                self.lease_epoch += 1;
                self.families_down(v6, v4);
                self.advance();
            }
        }
    }

    /// The MAP-E configuration a retail router's static MAP rule gives, if it has one.
    pub(super) fn static_ipv4(&self) -> Option<Ipv4Config> {
        let GatewayModel::RetailRouter(r) = &self.gateway.spec.model else {
            return None;
        };
        let rule = &r.static_rule.as_ref()?.rule;
        self.ipv4_from_rule(rule)
    }

    /// The MAP-E configuration of the line's prefix under `rule` (the VNE's interface-id layout).
    pub(super) fn ipv4_from_rule(&self, rule: &MapRule) -> Option<Ipv4Config> {
        let line = &self.scenario.line;
        let iid = match line.vne.mechanism {
            Mechanism::MapE { iid, .. } => iid,
            Mechanism::DsLite { .. } => IidLayout::Rfc7597,
        };
        mape::compute(line.prefix, rule, iid).ok().map(Ipv4Config::MapE)
    }

    // ---- captures -------------------------------------------------------------

    /// A fetch's packets as seen at the gateway (on the WAN link) and at the server (on its link):
    /// each side sees its own packets when sent and the other's on arrival.
    fn capture_fetch(&mut self, server_link: LinkId, report: &fetch::FetchReport, latency: SimDuration) {
        let Some(capture) = &mut self.capture else { return };
        let start = self.now;
        for p in &report.packets {
            let sent = start + p.offset;
            let arrived = (!p.dropped).then_some(sent + latency);
            let (gateway_side, server_side) = if p.from_client {
                (Some(sent), arrived)
            } else {
                (arrived, Some(sent))
            };
            if let Some(at) = gateway_side {
                capture.add(LinkId::Wan, at, p.bytes.clone());
            }
            if let Some(at) = server_side {
                capture.add(server_link, at, p.bytes.clone());
            }
        }
    }

    /// The successful IPv6 bring-up that just ended, on the WAN link: DAD of the link-local
    /// address, the RS and the RA (the /64 with the A flag on an RA line; M and O without a
    /// prefix on a DHCPv6-PD line), the DHCPv6-PD exchange, DAD of the global address.
    fn capture_ipv6_bring_up(&mut self, a: &network::Ipv6Acquisition) {
        let Some(capture) = &mut self.capture else { return };
        let start = SimTime::from_nanos(self.now.as_nanos().saturating_sub(a.exchange.elapsed.as_nanos()));
        let t = a.timeline;
        let ce = packet::Dhcpv6Peer::from_mac(GATEWAY_MAC);
        let edge = packet::Dhcpv6Peer::from_mac(NGN_EDGE_MAC);
        let prefix = self.scenario.line.prefix;
        capture.add(
            LinkId::Wan,
            start + t.dad_link_local,
            packet::dad_neighbor_solicitation(ce.link_local),
        );
        capture.add(
            LinkId::Wan,
            start + t.rs,
            packet::router_solicitation(ce.link_local),
        );
        let content = match self.scenario.line.ipv6_delivery {
            crate::scenario::Ipv6Delivery::Ra => packet::RaContent::Slaac {
                prefix,
                valid_lifetime_s: packet::RA_VALID_LIFETIME_S,
                preferred_lifetime_s: packet::RA_PREFERRED_LIFETIME_S,
            },
            crate::scenario::Ipv6Delivery::Pd => packet::RaContent::Managed,
        };
        capture.add(
            LinkId::Wan,
            start + t.ra,
            packet::router_advertisement(
                edge.link_local,
                ce.link_local,
                packet::RA_ROUTER_LIFETIME_S,
                content,
            ),
        );
        if let Some([solicit, advertise, request, reply]) = t.dhcpv6 {
            let lease = pd_lease(prefix);
            let xid = (self.gateway.boots.len() as u32) << 8 | self.gateway.net_epoch as u32 & 0xff;
            let zero = SimDuration::ZERO;
            capture.add(
                LinkId::Wan,
                start + solicit,
                packet::dhcpv6_solicit(&ce, xid, 1, zero),
            );
            capture.add(
                LinkId::Wan,
                start + advertise,
                packet::dhcpv6_advertise(&edge, &ce, xid, &lease),
            );
            capture.add(
                LinkId::Wan,
                start + request,
                packet::dhcpv6_request(&ce, &edge, xid.wrapping_add(1), &lease, zero),
            );
            capture.add(
                LinkId::Wan,
                start + reply,
                packet::dhcpv6_reply(&edge, &ce, xid.wrapping_add(1), &lease),
            );
        }
        capture.add(
            LinkId::Wan,
            start + t.dad_address,
            packet::dad_neighbor_solicitation(self.ce_addr),
        );
    }

    /// A Renew (or Rebind) answered just now, and the Reply, on the WAN link.
    fn capture_lease_renewal(&mut self, rebind: bool) {
        let Some(capture) = &mut self.capture else { return };
        let rtt = self.links.conditions(LinkId::Wan).latency.saturating_mul(2) + SimDuration::from_millis(2);
        let sent = SimTime::from_nanos(self.now.as_nanos().saturating_sub(rtt.as_nanos()));
        let ce = packet::Dhcpv6Peer::from_mac(GATEWAY_MAC);
        let edge = packet::Dhcpv6Peer::from_mac(NGN_EDGE_MAC);
        let lease = pd_lease(self.scenario.line.prefix);
        // A transaction id of its own per renewal: the seconds since the start, 24 bits.
        let xid = (sent.as_nanos() / 1_000_000_000) as u32 & 0x00ff_ffff;
        let lease_times = network::NGN_PD_LEASE;
        let began = self.lease_start
            + if rebind {
                lease_times.t2()
            } else {
                lease_times.t1()
            };
        let elapsed = sent.since(began);
        let request = if rebind {
            packet::dhcpv6_rebind(&ce, xid, &lease, elapsed)
        } else {
            packet::dhcpv6_renew(&ce, &edge, xid, &lease, elapsed)
        };
        capture.add(LinkId::Wan, sent, request);
        capture.add(
            LinkId::Wan,
            self.now,
            packet::dhcpv6_reply(&edge, &ce, xid, &lease),
        );
    }

    /// The NTP query and answer that set the clock, on the WAN link.
    fn capture_ntp(&mut self) {
        let Some(capture) = &mut self.capture else { return };
        let latency = self.links.conditions(LinkId::Wan).latency;
        let now = self.now;
        let sent = SimTime::from_nanos(now.as_nanos().saturating_sub(latency.as_nanos() * 2));
        let unix = |t: SimTime| {
            let ns = t.as_nanos();
            packet::ntp_timestamp(
                self.calendar.start_unix_seconds() + (ns / 1_000_000_000) as i64,
                (ns % 1_000_000_000) as u32,
            )
        };
        // Before the answer the gateway's clock is unset: it reads 2019-01-01 plus its uptime.
        let uptime = self
            .gateway
            .boots
            .last()
            .map_or(SimDuration::ZERO, |b| sent.since(b.at));
        let unset = packet::ntp_timestamp(1_546_300_800 + uptime.as_secs() as i64, 0);
        let ce = self.ce_addr;
        capture.add(
            LinkId::Wan,
            sent,
            packet::ntp_request(ce, NTP_SERVER_ADDR, 123, unset, false),
        );
        capture.add(
            LinkId::Wan,
            now,
            packet::ntp_reply(NTP_SERVER_ADDR, ce, 123, unset, unix(sent), unix(now)),
        );
    }
}

/// The delegation of `prefix` with the NGN's timers, as the DHCPv6 messages carry it.
fn pd_lease(prefix: crate::mape::Ipv6Prefix) -> packet::PrefixDelegation {
    let t = network::NGN_PD_LEASE;
    packet::PrefixDelegation {
        iaid: 1,
        prefix,
        t1_s: t.t1_s,
        t2_s: t.t2_s,
        preferred_lifetime_s: t.preferred_lifetime_s,
        valid_lifetime_s: t.valid_lifetime_s,
    }
}

/// How a fetch ended as the gateway sees it, and the body of an answer.
fn fetch_end(result: FetchResult) -> (FetchEnd, Vec<u8>) {
    match result {
        FetchResult::Response { status, body } => (FetchEnd::Status(status), body),
        FetchResult::Refused => (FetchEnd::Refused, Vec::new()),
        FetchResult::TimedOut => (FetchEnd::TimedOut, Vec::new()),
        FetchResult::Reset | FetchResult::BadResponse(_) | FetchResult::InvalidSpec(_) => {
            (FetchEnd::Malformed, Vec::new())
        }
    }
}
