//! `fletsim run --pcap DIR` on a shipped MAP-E scenario: every file is a
//! pcap tshark reads without errors, every encapsulated packet carries the
//! computed MAP-E address and a port of the computed port set, every inner
//! SYN offers the IPoE tunnel's MSS of 1420; the WAN link shows the NGN's RA
//! on a DHCPv6-PD line and the lease's Renew after T1.

use crate::common;

use std::net::Ipv6Addr;
use std::path::Path;

use sim_core::mape::{self, IidLayout, Ipv6Prefix, MapeConfig};
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    Icmpv6Packet, Icmpv6Repr, IpAddress, IpProtocol, Ipv4Packet, Ipv6Packet, NdiscRepr, NdiscRouterFlags,
    TcpPacket, TcpRepr, UdpPacket,
};

/// The records of a classic little-endian pcap (as fletsim writes it).
fn records(bytes: &[u8]) -> Vec<&[u8]> {
    assert!(bytes.len() >= 24, "no pcap header");
    assert_eq!(
        &bytes[..4],
        &0xa1b2_c3d4_u32.to_le_bytes(),
        "little-endian, microseconds"
    );
    assert_eq!(
        u32::from_le_bytes(bytes[20..24].try_into().expect("4 bytes")),
        101,
        "LINKTYPE_RAW"
    );
    let mut out = Vec::new();
    let mut at = 24;
    while at < bytes.len() {
        let incl = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().expect("4 bytes")) as usize;
        out.push(&bytes[at + 16..at + 16 + incl]);
        at += 16 + incl;
    }
    out
}

#[test]
fn mape_capture_carries_the_computed_address_and_ports() {
    let dir = common::temp_dir("pcap-mape");
    let out = common::fletsim(&[
        "run",
        "scenarios/telework-home-workday.yaml",
        "--pcap",
        dir.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let prefix = Ipv6Prefix::parse("240b:10:3f6c:d400::/56").expect("prefix");
    let rule = mape::vne_preset("v6plus")
        .and_then(|p| p.rule_for(&prefix))
        .expect("the v6plus table covers the prefix");
    let config = mape::compute(prefix, &rule.rule, IidLayout::Draft03).expect("v6 plus configuration");
    let (tunnelled, syns) = check_tunnelled(&dir, &config, rule.br);
    assert!(
        tunnelled > 100,
        "a working day's IPv4 flows are in the capture: {tunnelled}"
    );
    assert!(syns > 10, "TCP flows among them: {syns}");
    let wan = std::fs::read(dir.join("wan.pcap")).expect("wan.pcap");
    pd_line_shows_the_ra_and_renews_the_lease(&wan);
    for link in ["distributor", "rule-server"] {
        assert!(dir.join(format!("{link}.pcap")).exists());
    }
    tshark_reads_cleanly(&dir);
}

/// Every MAP-E packet in `dir/wan.pcap` goes from the CE address to `br`, from the MAP-E
/// address and a port of the set, and every TCP flow starts with a SYN offering the IPoE
/// tunnel's MSS; returns how many tunnelled packets there are, and how many of them are SYNs.
fn check_tunnelled(dir: &Path, config: &MapeConfig, br: Ipv6Addr) -> (usize, usize) {
    let wan = std::fs::read(dir.join("wan.pcap")).expect("wan.pcap");
    let mut tunnelled = 0;
    let mut syns = 0;
    for packet in records(&wan) {
        let ip6 = Ipv6Packet::new_checked(packet).expect("every WAN packet is IPv6");
        if ip6.next_header() != IpProtocol::Unknown(4) {
            continue;
        }
        tunnelled += 1;
        assert_eq!(
            ip6.src_addr(),
            config.ce_address,
            "tunnel source is the CE address"
        );
        assert_eq!(ip6.dst_addr(), br, "tunnel destination is the BR");
        let ip4 = Ipv4Packet::new_checked(ip6.payload()).expect("inner IPv4");
        assert!(ip4.verify_checksum());
        assert_eq!(
            ip4.src_addr(),
            config.ipv4_address(),
            "inner source is the MAP-E address"
        );
        let port = match ip4.next_header() {
            IpProtocol::Udp => UdpPacket::new_checked(ip4.payload()).expect("UDP").src_port(),
            IpProtocol::Tcp => {
                let tcp = TcpPacket::new_checked(ip4.payload()).expect("TCP");
                let (src, dst) = (IpAddress::Ipv4(ip4.src_addr()), IpAddress::Ipv4(ip4.dst_addr()));
                let repr =
                    TcpRepr::parse(&tcp, &src, &dst, &ChecksumCapabilities::default()).expect("valid TCP");
                assert!(tcp.syn() && !tcp.ack(), "a flow's first TCP packet is a SYN");
                // 1500 - 40 (outer IPv6) - 20 (IPv4) - 20 (TCP): not PPPoE's 1414.
                assert_eq!(repr.max_seg_size, Some(1420), "the SYN's MSS");
                syns += 1;
                tcp.src_port()
            }
            other => panic!("unexpected inner protocol {other}"),
        };
        assert!(
            config.ports.contains(port),
            "port {port} is outside the PSID's set"
        );
    }
    (tunnelled, syns)
}

/// A scenario of an HGW on `vne` with `line` (YAML lines under `line:`) and a busy LAN for an hour.
fn busy_hour(vne: &str, line: &str) -> String {
    format!(
        "duration: 1h\nstart: 2021-04-19 10:00:00\nline:\n  vne: {vne}\n  hgw_rental: true\n{line}\
         gateway:\n  model: hgw\n  hgw: {{ bundle_cached: true }}\nlan:\n  telework-pc: {{ count: 3 }}\n"
    )
}

/// Runs `text` with `--pcap` and returns the capture directory.
fn capture(name: &str, text: &str) -> std::path::PathBuf {
    let dir = common::temp_dir(name);
    let file = dir.join("scenario.yaml");
    std::fs::write(&file, text).expect("write");
    let pcap = dir.join("pcap");
    let out = common::fletsim(&[
        "run",
        file.to_str().expect("utf-8"),
        "--pcap",
        pcap.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    pcap
}

#[test]
fn tunnels_go_to_the_br_of_the_rule_that_covers_the_prefix() {
    // BIGLOBE's West block (v6 plus system): BR 2001:260:700:1::1:276, not JPNE's.
    let dir = capture(
        "pcap-biglobe-west",
        &busy_hour("v6plus", "  prefix: 2404:7a86:1234:5600::/56\n"),
    );
    let prefix = Ipv6Prefix::parse("2404:7a86:1234:5600::/56").expect("prefix");
    let config = mape::vne_preset("v6plus")
        .expect("preset")
        .compute(prefix)
        .expect("covered");
    assert_eq!(config.ipv4_address().to_string(), "133.204.146.52");
    let br: Ipv6Addr = "2001:260:700:1::1:276".parse().expect("BR");
    assert!(
        check_tunnelled(&dir, &config, br).0 > 0,
        "IPv4 flows were captured"
    );

    // An OCN rule of the table other than domain.md's.
    let dir = capture(
        "pcap-ocn-d000",
        &busy_hour("ocn", "  prefix: 2400:4052:d123:4500::/56\n"),
    );
    let config = mape::vne_preset("ocn")
        .expect("preset")
        .compute(Ipv6Prefix::parse("2400:4052:d123:4500::/56").expect("prefix"))
        .expect("covered");
    let br: Ipv6Addr = "2001:380:a120::9".parse().expect("BR");
    assert!(
        check_tunnelled(&dir, &config, br).0 > 0,
        "IPv4 flows were captured"
    );
}

#[test]
fn a_line_rule_of_the_scenario_is_served_with_its_br() {
    let line = "  prefix: 2001:db8:12:3400::/56\n  map_rule:\n    rule6: 2001:db8::/40\n    \
                rule4: 192.0.2.0/24\n    ea_len: 16\n    psid_offset: 6\n    br: 2001:db8:ffff::64\n";
    let dir = capture("pcap-line-rule", &busy_hour("v6plus", line));
    let rule = sim_core::mape::MapRule {
        ipv6_prefix: Ipv6Prefix::parse("2001:db8::/40").expect("rule6"),
        ipv4_prefix: mape::Ipv4Prefix::parse("192.0.2.0/24").expect("rule4"),
        ea_len: 16,
        psid_offset: 6,
        psid_len: None,
        psid: None,
    };
    let config = mape::compute(
        Ipv6Prefix::parse("2001:db8:12:3400::/56").expect("prefix"),
        &rule,
        IidLayout::Draft03,
    )
    .expect("computes");
    assert_eq!(config.ipv4_address().to_string(), "192.0.2.18");
    let br: Ipv6Addr = "2001:db8:ffff::64".parse().expect("BR");
    assert!(
        check_tunnelled(&dir, &config, br).0 > 0,
        "IPv4 flows were captured"
    );

    // A retail router's static rule with a BR of its own: its tunnels go there.
    let text = busy_hour("v6plus", "")
        .replace("hgw_rental: true", "hgw_rental: false")
        .replace(
            "  model: hgw\n  hgw: { bundle_cached: true }\n",
            "  model: retail-router\n  router:\n    static_rule: { vne: v6plus, br: \"2001:db8::1\" }\n",
        );
    let dir = capture("pcap-static-rule-br", &text);
    let config = mape::vne_preset("v6plus")
        .expect("preset")
        .compute(Ipv6Prefix::parse("240b:10:3f6c:d400::/56").expect("prefix"))
        .expect("covered");
    let br: Ipv6Addr = "2001:db8::1".parse().expect("BR");
    assert!(
        check_tunnelled(&dir, &config, br).0 > 0,
        "IPv4 flows were captured"
    );
}

/// What a WAN capture's control plane shows, in time order.
#[derive(Debug, PartialEq, Eq)]
enum Control {
    RouterSolicitation,
    /// M and O flags, and whether a Prefix Information option came with it.
    RouterAdvertisement {
        managed: bool,
        other: bool,
        prefix: bool,
    },
    NeighborSolicitation,
    Dhcpv6(u8),
}

/// The RS/RA, DAD and DHCPv6 packets of a WAN capture, with their timestamps in seconds.
fn control_plane(wan: &[u8]) -> Vec<(f64, Control)> {
    let mut out = Vec::new();
    let mut at = 24;
    for packet in records(wan) {
        let secs = u32::from_le_bytes(wan[at..at + 4].try_into().expect("4 bytes")) as f64
            + u32::from_le_bytes(wan[at + 4..at + 8].try_into().expect("4 bytes")) as f64 / 1e6;
        at += 16 + packet.len();
        let ip6 = Ipv6Packet::new_checked(packet).expect("IPv6");
        let (src, dst) = (ip6.src_addr(), ip6.dst_addr());
        match ip6.next_header() {
            IpProtocol::Icmpv6 => {
                let icmp = Icmpv6Packet::new_checked(ip6.payload()).expect("ICMPv6");
                assert!(icmp.verify_checksum(&src, &dst));
                let repr = Icmpv6Repr::parse(&src, &dst, &icmp, &ChecksumCapabilities::default())
                    .expect("valid ICMPv6");
                let c = match repr {
                    Icmpv6Repr::Ndisc(NdiscRepr::RouterSolicit { .. }) => Control::RouterSolicitation,
                    Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
                        flags,
                        prefix_info,
                        router_lifetime,
                        ..
                    }) => {
                        assert!(router_lifetime.secs() > 0, "the RA gives the default route");
                        Control::RouterAdvertisement {
                            managed: flags.contains(NdiscRouterFlags::MANAGED),
                            other: flags.contains(NdiscRouterFlags::OTHER),
                            prefix: prefix_info.is_some(),
                        }
                    }
                    Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit { .. }) => Control::NeighborSolicitation,
                    other => panic!("unexpected ICMPv6 {other:?}"),
                };
                out.push((secs, c));
            }
            IpProtocol::Udp => {
                let udp = UdpPacket::new_checked(ip6.payload()).expect("UDP");
                if [546, 547].contains(&udp.dst_port()) {
                    out.push((secs, Control::Dhcpv6(udp.payload()[0])));
                }
            }
            _ => {}
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

/// A DHCPv6-PD line (the default): the NGN's RA (M and O, no prefix for SLAAC) comes before the
/// Solicit; DAD precedes the RS; after T1 (2 h) the gateway renews and the server replies.
fn pd_line_shows_the_ra_and_renews_the_lease(wan: &[u8]) {
    let control = control_plane(wan);
    let kinds: Vec<&Control> = control.iter().map(|(_, c)| c).collect();
    assert_eq!(
        kinds[..8],
        [
            &Control::NeighborSolicitation,
            &Control::RouterSolicitation,
            &Control::RouterAdvertisement {
                managed: true,
                other: true,
                prefix: false
            },
            &Control::Dhcpv6(1),
            &Control::Dhcpv6(2),
            &Control::Dhcpv6(3),
            &Control::Dhcpv6(7),
            &Control::NeighborSolicitation,
        ],
        "DAD, RS, RA, Solicit, Advertise, Request, Reply, DAD"
    );
    let renewals: Vec<f64> = control
        .iter()
        .filter(|(_, c)| *c == Control::Dhcpv6(5))
        .map(|(t, _)| *t)
        .collect();
    // A 24-hour run, T1 = 2 h: a Renew every two hours, each answered by a Reply.
    assert!(renewals.len() >= 10, "Renews: {renewals:?}");
    let reply_at = control
        .iter()
        .find(|(_, c)| *c == Control::Dhcpv6(7))
        .map(|(t, _)| *t)
        .expect("a Reply");
    assert!(
        (renewals[0] - reply_at - 7200.0).abs() < 1.0,
        "the first Renew at T1 after the Reply: {} vs {reply_at}",
        renewals[0]
    );
    let replies = control.iter().filter(|(_, c)| *c == Control::Dhcpv6(7)).count();
    assert_eq!(replies, renewals.len() + 1, "every Renew answered");
}

#[test]
fn an_ra_line_advertises_its_64_for_slaac() {
    let dir = common::temp_dir("pcap-ra");
    let scenario = dir.join("ra.yaml");
    std::fs::write(
        &scenario,
        "duration: 10m\nline: { vne: v6plus, hgw_rental: false, ipv6: ra }\ngateway: { model: retail-router }\n\
         expect:\n  - \"ipv6.address == '240b:10:3f6c:d400::/64'\"\n",
    )
    .expect("write");
    let pcaps = dir.join("pcap");
    let out = common::fletsim(&[
        "run",
        scenario.to_str().expect("utf-8"),
        "--pcap",
        pcaps.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        common::stdout(&out),
        common::stderr(&out)
    );
    let wan = std::fs::read(pcaps.join("wan.pcap")).expect("wan.pcap");
    let control = control_plane(&wan);
    let kinds: Vec<&Control> = control.iter().map(|(_, c)| c).collect();
    assert_eq!(
        kinds,
        [
            &Control::NeighborSolicitation,
            &Control::RouterSolicitation,
            &Control::RouterAdvertisement {
                managed: false,
                other: true,
                prefix: true
            },
            &Control::NeighborSolicitation,
        ],
        "no DHCPv6-PD on an RA line"
    );
    tshark_reads_cleanly(&pcaps);
}

/// tshark, where installed (CI sets FLETSIM_REQUIRE_TSHARK=1 and installs it), reads every file without errors.
fn tshark_reads_cleanly(dir: &Path) {
    let have = std::process::Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        assert!(
            std::env::var_os("FLETSIM_REQUIRE_TSHARK").is_none(),
            "tshark is required but not installed"
        );
        eprintln!("NOTE: tshark is not installed; the pcap files were checked by parsing only");
        return;
    }
    for link in ["wan", "distributor", "rule-server"] {
        let file = dir.join(format!("{link}.pcap"));
        let out = std::process::Command::new("tshark")
            .args(["-n", "-r"])
            .arg(&file)
            .args([
                "-o",
                "ip.check_checksum:TRUE",
                "-o",
                "tcp.check_checksum:TRUE",
                "-o",
                "udp.check_checksum:TRUE",
            ])
            .args(["-Y", "_ws.malformed || _ws.expert.severity == error"])
            .output()
            .expect("tshark runs");
        assert!(
            out.status.success(),
            "{link}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bad = String::from_utf8_lossy(&out.stdout);
        assert!(
            bad.trim().is_empty(),
            "{link}: malformed or erroneous packets:\n{bad}"
        );
    }
}

#[test]
fn captures_are_never_overwritten_without_force() {
    let dir = common::temp_dir("pcap-force");
    let scenario = "scenarios/hgw-v6plus-bring-up.yaml";
    let d = dir.to_str().expect("utf-8");
    assert_eq!(
        common::fletsim(&["run", scenario, "--pcap", d]).status.code(),
        Some(0)
    );
    let again = common::fletsim(&["run", scenario, "--pcap", d]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        common::stderr(&again).contains("exists (pass --force to overwrite)"),
        "{}",
        common::stderr(&again)
    );
    assert_eq!(
        common::fletsim(&["run", scenario, "--pcap", d, "--force"])
            .status
            .code(),
        Some(0)
    );
    // And the same scenario and seed give the same bytes.
    let first = std::fs::read(dir.join("wan.pcap")).expect("pcap");
    let other = common::temp_dir("pcap-force-2");
    assert_eq!(
        common::fletsim(&["run", scenario, "--pcap", other.to_str().expect("utf-8")])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(first, std::fs::read(other.join("wan.pcap")).expect("pcap"));
}
