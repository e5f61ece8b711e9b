//! LAN traffic: session arrivals and ends, NAPT and the AFTR's CGN.

use super::*;

impl Simulation<'_> {
    pub(super) fn schedule_next_session(&mut self, group: u32) {
        let client = &mut self.clients[group as usize];
        let Some(mean) = client.mean_gap else { return };
        let gap = crate::rng::exponential(&mut client.rng, mean);
        let at = self.now + gap;
        if at <= self.end {
            self.queue.push(at, Event::Session { group });
        }
    }

    pub(super) fn on_session(&mut self, group: u32) {
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
}
