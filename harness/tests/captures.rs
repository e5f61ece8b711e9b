//! `fletsim run --pcap DIR` on a shipped MAP-E scenario: every file is a
//! pcap tshark reads without errors, and every encapsulated packet carries
//! the computed MAP-E address and a port of the computed port set.

mod common;

use std::net::Ipv6Addr;
use std::path::Path;

use sim_core::mape::{self, IidLayout, Ipv6Prefix, MapeConfig};
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
    let prefix = Ipv6Prefix::parse("240b:10:3f6c:d400::/56").expect("prefix");
    let rule = mape::vne_preset("v6plus")
        .and_then(|p| p.rule_for(&prefix))
        .expect("the v6plus table covers the prefix");
    let config = mape::compute(prefix, &rule.rule, IidLayout::Draft03).expect("v6 plus configuration");
    let tunnelled = check_tunnelled(&dir, &config, rule.br);
    assert!(
        tunnelled > 100,
        "a working day's IPv4 flows are in the capture: {tunnelled}"
    );
    for link in ["distributor", "rule-server"] {
        assert!(dir.join(format!("{link}.pcap")).exists());
    }
    tshark_reads_cleanly(&dir);
}

/// Every MAP-E packet in `dir/wan.pcap` goes from the CE address to `br`, from the MAP-E
/// address and a port of the set; returns how many there are.
fn check_tunnelled(dir: &Path, config: &MapeConfig, br: Ipv6Addr) -> usize {
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
    tunnelled
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
    assert!(check_tunnelled(&dir, &config, br) > 0, "IPv4 flows were captured");

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
    assert!(check_tunnelled(&dir, &config, br) > 0, "IPv4 flows were captured");
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
    assert!(check_tunnelled(&dir, &config, br) > 0, "IPv4 flows were captured");

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
    assert!(check_tunnelled(&dir, &config, br) > 0, "IPv4 flows were captured");
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
