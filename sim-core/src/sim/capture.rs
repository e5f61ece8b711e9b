//! Packet captures of a run: real packet bytes per simulated link, to be
//! written as pcap by the harness (`fletsim run --pcap DIR`).
//!
//! What is captured: the IPv6 bring-up (RS/RA or the DHCPv6-PD exchange),
//! NTP, every packet of the TCP fetches (bundle download, rule fetch) as seen
//! at each end, and the first packet of each LAN IPv4 flow as it leaves the
//! gateway (NAPT-rewritten and MAP-E encapsulated, or DS-Lite encapsulated).
//! Only the successful attempt of a retransmitted RS, DHCPv6 or NTP exchange
//! is captured.

use std::collections::BTreeMap;

use crate::scenario::LinkId;
use crate::time::SimTime;

/// The packets of each simulated link, in the order they were added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capture {
    links: BTreeMap<LinkId, Vec<(SimTime, Vec<u8>)>>,
}

impl Capture {
    /// Adds one raw IP packet seen on `link` at `at`.
    pub fn add(&mut self, link: LinkId, at: SimTime, bytes: Vec<u8>) {
        self.links.entry(link).or_default().push((at, bytes));
    }

    /// Each link's packets (not sorted by time: fetch packets are added when the fetch starts).
    pub fn links(&self) -> &BTreeMap<LinkId, Vec<(SimTime, Vec<u8>)>> {
        &self.links
    }

    /// How many packets in all.
    pub fn len(&self) -> usize {
        self.links.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
