//! `fletsim run --pcap DIR` on a shipped MAP-E scenario: every file is a
//! pcap tshark reads without errors, and every encapsulated packet carries
//! the computed MAP-E address and a port of the computed port set.

mod common;

use std::path::Path;

use sim_core::mape::{self, IidLayout, Ipv6Prefix};
use smoltcp::wire::{IpProtocol, Ipv4Packet, Ipv6Packet, TcpPacket, UdpPacket};

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
    let config = mape::compute(
        Ipv6Prefix::parse("240b:10:3f6c:d400::/56").expect("prefix"),
        mape::vne_preset("v6plus")
            .expect("preset")
            .rules()
            .first()
            .expect("rule"),
        IidLayout::Draft03,
    )
    .expect("v6 plus configuration");
    let br = mape::vne_preset("v6plus").and_then(|p| p.br()).expect("BR");
    let wan = std::fs::read(dir.join("wan.pcap")).expect("wan.pcap");
    let mut tunnelled = 0;
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
            IpProtocol::Tcp => TcpPacket::new_checked(ip4.payload()).expect("TCP").src_port(),
            other => panic!("unexpected inner protocol {other}"),
        };
        assert!(
            config.ports.contains(port),
            "port {port} is outside the PSID's set"
        );
    }
    assert!(
        tunnelled > 100,
        "a working day's IPv4 flows are in the capture: {tunnelled}"
    );
    for link in ["distributor", "rule-server"] {
        assert!(dir.join(format!("{link}.pcap")).exists());
    }
    tshark_reads_cleanly(&dir);
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
