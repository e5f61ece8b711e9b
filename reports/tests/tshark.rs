//! End to end: a pcap with one of each packet the simulator builds, read back
//! by tshark, which must dissect every packet without a malformed frame, an
//! expert note at warning or error level, or a checksum it did not verify good,
//! and must find what each packet carries (the RA's /64 and flags, DAD's target,
//! the DHCPv6 /56 and the lease's Renew and Rebind, the tunnelled IPv4 sources
//! and their SYNs' MSS).
//!
//! Without tshark the test says so on stderr and passes; with
//! `FLETSIM_REQUIRE_TSHARK=1` (CI) a missing tshark is a failure.

use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::process::Command;

use reports::pcap::write_capture;
use sim_core::fetch::{FetchResult, FetchSpec, PathConditions, ServerBehaviour, run_fetch};
use sim_core::mape::{Ipv6Prefix, vne_preset};
use sim_core::packet::{
    self, Dhcpv6Peer, FirstPacket, IPOE_TUNNEL_MSS, PrefixDelegation, RA_PREFERRED_LIFETIME_S,
    RA_ROUTER_LIFETIME_S, RA_VALID_LIFETIME_S, RaContent,
};
use sim_core::rng::{StreamId, Streams};
use sim_core::time::{Calendar, CivilDateTime, SimDuration, SimTime};

/// Checksum validation is off by default in Wireshark for these protocols; ICMPv6 always validates.
const CHECKSUM_PREFS: [&str; 6] = [
    "-o",
    "ip.check_checksum:TRUE",
    "-o",
    "tcp.check_checksum:TRUE",
    "-o",
    "udp.check_checksum:TRUE",
];

const CE_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
const NGN_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x20, 0x00, 0x02];
const DELEGATED: &str = "240b:10:3f6c:d400::/56";
const MAPE_PORT_UDP: u16 = 7493;
const MAPE_PORT_TCP: u16 = 11_590;

fn addr(text: &str) -> Ipv6Addr {
    text.parse().expect("a valid IPv6 address")
}

fn ms(n: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_millis(n)
}

/// One of each packet kind, at the times of a boot, plus a rule fetch's real TCP packets.
fn capture() -> Vec<(SimTime, Vec<u8>)> {
    let (ce, ngn) = (Dhcpv6Peer::from_mac(CE_MAC), Dhcpv6Peer::from_mac(NGN_MAC));
    let delegated = Ipv6Prefix::parse(DELEGATED).expect("valid");
    let wan_64 = Ipv6Prefix::parse("2409:10:2020:3000::/64").expect("valid");
    let lease = PrefixDelegation {
        iaid: 1,
        prefix: delegated,
        t1_s: 7200,
        t2_s: 12_600,
        preferred_lifetime_s: 14_400,
        valid_lifetime_s: 14_400,
    };
    let wan_address = addr("240b:10:3f6c:d400::1");
    let ntp_server = addr("2001:db8:ffff::123");
    let v6plus = vne_preset("v6plus").expect("preset");
    let mape = v6plus.compute(delegated).expect("covered by a v6 plus rule");
    let br = v6plus.rule_for(&delegated).expect("covered by a v6 plus rule").br;
    let t1 = packet::ntp_timestamp(1_546_300_801, 0); // the unset clock: 2019-01-01 00:00:01
    let (t2, t3) = (
        packet::ntp_timestamp(1_626_603_673, 4_000_000),
        packet::ntp_timestamp(1_626_603_673, 4_100_000),
    );
    let mut packets = vec![
        (ms(0), packet::dad_neighbor_solicitation(ce.link_local)),
        (ms(1000), packet::router_solicitation(ce.link_local)),
        (
            ms(1120),
            packet::router_advertisement(
                ngn.link_local,
                ce.link_local,
                RA_ROUTER_LIFETIME_S,
                RaContent::Slaac {
                    prefix: wan_64,
                    valid_lifetime_s: RA_VALID_LIFETIME_S,
                    preferred_lifetime_s: RA_PREFERRED_LIFETIME_S,
                },
            ),
        ),
        (
            ms(1130),
            packet::router_advertisement(
                ngn.link_local,
                ce.link_local,
                RA_ROUTER_LIFETIME_S,
                RaContent::Managed,
            ),
        ),
        (
            ms(200),
            packet::dhcpv6_solicit(&ce, 0x00c0_ffee, 1, SimDuration::ZERO),
        ),
        (ms(204), packet::dhcpv6_advertise(&ngn, &ce, 0x00c0_ffee, &lease)),
        (
            ms(210),
            packet::dhcpv6_request(&ce, &ngn, 0x0012_3456, &lease, SimDuration::from_millis(10)),
        ),
        (ms(214), packet::dhcpv6_reply(&ngn, &ce, 0x0012_3456, &lease)),
        (
            ms(300),
            packet::dhcpv6_renew(&ce, &ngn, 0x0000_0501, &lease, SimDuration::ZERO),
        ),
        (ms(304), packet::dhcpv6_reply(&ngn, &ce, 0x0000_0501, &lease)),
        (
            ms(400),
            packet::dhcpv6_rebind(&ce, 0x0000_0601, &lease, SimDuration::from_secs(10)),
        ),
        (ms(404), packet::dhcpv6_reply(&ngn, &ce, 0x0000_0601, &lease)),
        (
            ms(1000),
            packet::ntp_request(wan_address, ntp_server, 123, t1, false),
        ),
        (
            ms(1004),
            packet::ntp_reply(ntp_server, wan_address, 123, t1, t2, t3),
        ),
        (
            ms(9000),
            packet::mape_first_packet(
                mape.ce_address,
                br,
                SocketAddrV4::new(mape.ipv4_address(), MAPE_PORT_UDP),
                SocketAddrV4::new(Ipv4Addr::new(203, 0, 113, 53), 40_000),
                FirstPacket::Udp { payload_len: 40 },
            ),
        ),
        (
            ms(9100),
            packet::mape_first_packet(
                mape.ce_address,
                br,
                SocketAddrV4::new(mape.ipv4_address(), MAPE_PORT_TCP),
                SocketAddrV4::new(Ipv4Addr::new(198, 51, 100, 80), 443),
                FirstPacket::TcpSyn {
                    initial_seq: 0x1234_5678,
                    mss: IPOE_TUNNEL_MSS,
                },
            ),
        ),
        (
            ms(9200),
            packet::dslite_first_packet(
                addr("2409:10:2020:3000::1"),
                addr("2001:db8:aff7::1"),
                SocketAddrV4::new(Ipv4Addr::new(192, 168, 1, 23), 51_000),
                SocketAddrV4::new(Ipv4Addr::new(203, 0, 113, 10), 80),
                FirstPacket::TcpSyn {
                    initial_seq: 7,
                    mss: IPOE_TUNNEL_MSS,
                },
            ),
        ),
    ];

    // The MAP rule fetch: real TCP between two smoltcp stacks, starting at 2 s.
    let spec = FetchSpec {
        client_addr: wan_address,
        server_addr: addr("2001:db8:feed::80"),
        server_port: 80,
        host: "rule.example".into(),
        path: "/map-rule".into(),
        behaviour: ServerBehaviour::Respond {
            delay: SimDuration::ZERO,
            status: 200,
            content_type: "application/json".into(),
            body: br#"{"ipv6_prefix":"240b:10::/31","ipv4_prefix":"106.72.0.0/15"}"#.to_vec(),
        },
        timeout: SimDuration::from_secs(30),
    };
    let mut rng = Streams::new(42).rng(StreamId::named("test/tshark/fetch"));
    let report = run_fetch(
        &spec,
        &PathConditions::new(SimDuration::from_millis(5), 0.0),
        &mut rng,
        true,
    );
    assert!(matches!(report.result, FetchResult::Response { status: 200, .. }));
    assert!(report.packets.len() >= 4, "{} packets", report.packets.len());
    packets.extend(report.packets.into_iter().map(|p| (ms(2000) + p.offset, p.bytes)));
    packets
}

fn start() -> i64 {
    Calendar::new(CivilDateTime::new(2021, 7, 18, 19, 21, 11).expect("valid")).start_unix_seconds()
}

/// Whether tshark can run here; a missing tshark fails only when CI asks for it.
fn tshark_available() -> bool {
    let found = Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("FLETSIM_REQUIRE_TSHARK").as_deref() != Ok("1"),
            "FLETSIM_REQUIRE_TSHARK=1 but tshark cannot be run (apt-get install -y tshark)"
        );
        // Straight to the process's stderr: libtest captures eprintln! of passing tests.
        let _ = writeln!(
            std::io::stderr(),
            "NOTE: tshark not found: skipping the pcap dissection test \
             (install tshark, or set FLETSIM_REQUIRE_TSHARK=1 to make this a failure)"
        );
    }
    found
}

/// Runs tshark on `file` (no name resolution, checksums validated) and returns its stdout.
fn tshark(file: &Path, args: &[&str]) -> String {
    let out = Command::new("tshark")
        .arg("-n")
        .arg("-r")
        .arg(file)
        .args(CHECKSUM_PREFS)
        .args(args)
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark {args:?} exited with {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("tshark prints UTF-8")
}

/// One row per matching packet, one column per field.
fn fields(file: &Path, filter: &str, names: &[&str]) -> Vec<Vec<String>> {
    let mut args = vec!["-Y", filter, "-T", "fields"];
    for name in names {
        args.extend(["-e", name]);
    }
    tshark(file, &args)
        .lines()
        .map(|line| line.split('\t').map(str::to_string).collect())
        .collect()
}

fn write_file(packets: &[(SimTime, Vec<u8>)]) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fletsim-tshark-capture.pcap");
    let bytes = write_capture(
        Vec::new(),
        start(),
        packets.iter().map(|(t, b)| (*t, b.as_slice())),
    )
    .expect("in memory");
    std::fs::write(&path, bytes).expect("the target's tmp dir is writable");
    path
}

#[test]
fn tshark_dissects_every_packet_kind_cleanly() {
    let packets = capture();
    // The capture is a pure function of its inputs.
    assert_eq!(packets, capture());
    if !tshark_available() {
        return;
    }
    let file = write_file(&packets);

    // One summary line per packet, and the whole verbose dissection is clean.
    let summary = tshark(&file, &[]);
    assert_eq!(summary.lines().count(), packets.len(), "{summary}");
    let verbose = tshark(&file, &["-V"]);
    for marker in [
        "Malformed",
        "[Expert Info (Error",
        "Status: Bad]",
        "incorrect",
        "Unknown",
    ] {
        assert!(
            !verbose.contains(marker),
            "tshark -V shows {marker:?}:\n{}",
            verbose
                .lines()
                .filter(|l| l.contains(marker))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    // No malformed frame, nothing at expert level warning (0x00600000) or error, no bad checksum.
    let bad = fields(
        &file,
        "_ws.malformed || _ws.expert.severity >= 0x00600000 || ip.checksum.status == 0 \
         || tcp.checksum.status == 0 || udp.checksum.status == 0 || icmpv6.checksum.status == 0",
        &["frame.number"],
    );
    assert!(
        bad.is_empty(),
        "malformed, warned-about or bad-checksum frames: {bad:?}"
    );
    // Every checksum of every layer was verified good (status 1), none left unverified.
    let layers = ["ip", "udp", "tcp", "icmpv6"];
    let status_fields: Vec<String> = layers.iter().map(|l| format!("{l}.checksum.status")).collect();
    let mut names = vec!["frame.protocols"];
    names.extend(status_fields.iter().map(String::as_str));
    for row in fields(&file, "frame", &names) {
        let protocols: Vec<&str> = row[0].split(':').collect();
        for (layer, status) in layers.iter().zip(&row[1..]) {
            let expected = if protocols.contains(layer) { "1" } else { "" };
            assert_eq!(status, expected, "{layer} checksum of a {} frame", row[0]);
        }
    }

    // Timestamps are the scenario's calendar (local time written as UTC).
    let times = fields(&file, "frame.number == 1", &["frame.time_epoch"]);
    assert_eq!(times, [[format!("{}.000000000", start())]]);

    // DAD's Neighbor Solicitation (from ::), the RS, the RA of an RA line (O, the /64 with A) and
    // the RA of a DHCPv6-PD line (M and O, no prefix).
    let ndisc = fields(
        &file,
        "icmpv6",
        &[
            "icmpv6.type",
            "ipv6.src",
            "icmpv6.nd.ns.target_address",
            "icmpv6.nd.ra.flag.m",
            "icmpv6.nd.ra.flag.o",
            "icmpv6.opt.prefix",
            "icmpv6.opt.prefix.length",
            "icmpv6.opt.prefix.flag.a",
        ],
    );
    // tshark prints flags as 1/0 or True/False, depending on its version.
    let ndisc: Vec<Vec<String>> = ndisc
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|f| match f.as_str() {
                    "True" => "1".to_string(),
                    "False" => "0".to_string(),
                    _ => f,
                })
                .collect()
        })
        .collect();
    let ll = Dhcpv6Peer::from_mac(CE_MAC).link_local.to_string();
    let ngn_ll = Dhcpv6Peer::from_mac(NGN_MAC).link_local.to_string();
    assert_eq!(
        ndisc,
        [
            vec!["135", "::", ll.as_str(), "", "", "", "", ""],
            vec!["133", ll.as_str(), "", "", "", "", "", ""],
            vec![
                "134",
                ngn_ll.as_str(),
                "",
                "0",
                "1",
                "2409:10:2020:3000::",
                "64",
                "1"
            ],
            vec!["134", ngn_ll.as_str(), "", "1", "1", "", "", ""],
        ]
    );

    // The four DHCPv6 messages, the /56 in the IAPREFIX of all but the Solicit.
    let dhcpv6 = fields(
        &file,
        "dhcpv6",
        &[
            "dhcpv6.msgtype",
            "dhcpv6.xid",
            "dhcpv6.duidll.link_layer_addr",
            "dhcpv6.iaprefix.pref_addr",
            "dhcpv6.iaprefix.pref_len",
        ],
    );
    let msg: Vec<(&str, &str, &str, &str)> = dhcpv6
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[3].as_str(), r[4].as_str()))
        .collect();
    assert_eq!(
        msg,
        [
            ("1", "0xc0ffee", "", ""),
            ("2", "0xc0ffee", "240b:10:3f6c:d400::", "56"),
            ("3", "0x123456", "240b:10:3f6c:d400::", "56"),
            ("7", "0x123456", "240b:10:3f6c:d400::", "56"),
            ("5", "0x000501", "240b:10:3f6c:d400::", "56"),
            ("7", "0x000501", "240b:10:3f6c:d400::", "56"),
            ("6", "0x000601", "240b:10:3f6c:d400::", "56"),
            ("7", "0x000601", "240b:10:3f6c:d400::", "56"),
        ]
    );
    assert_eq!(dhcpv6[0][2], "02:00:5e:10:00:01");
    assert_eq!(dhcpv6[3][2], "02:00:5e:20:00:02,02:00:5e:10:00:01");

    // NTP: a client request (mode 3, leap alarm: the clock is not set) and the server's reply.
    let ntp = fields(&file, "ntp", &["ntp.flags.li", "ntp.flags.mode"]);
    assert_eq!(ntp, [["3", "3"], ["0", "4"]]);

    // IPv4 in IPv6: outer CE/BR (or B4/AFTR), inner source the MAP-E address and port
    // (or the LAN client's private address for DS-Lite).
    let tunnelled = fields(
        &file,
        "ipv6.nxt == 4",
        &[
            "ipv6.src",
            "ipv6.dst",
            "ip.src",
            "ip.dst",
            "udp.srcport",
            "tcp.srcport",
        ],
    );
    assert_eq!(
        tunnelled,
        [
            [
                "240b:10:3f6c:d400:6a:483f:6c00:d400",
                "2404:9200:225:100::64",
                "106.72.63.108",
                "203.0.113.53",
                "7493",
                ""
            ],
            [
                "240b:10:3f6c:d400:6a:483f:6c00:d400",
                "2404:9200:225:100::64",
                "106.72.63.108",
                "198.51.100.80",
                "",
                "11590"
            ],
            [
                "2409:10:2020:3000::1",
                "2001:db8:aff7::1",
                "192.168.1.23",
                "203.0.113.10",
                "",
                "51000"
            ],
        ]
    );

    // The tunnelled SYNs offer the IPoE tunnel's MSS: 1500 - 40 - 20 - 20.
    let mss = fields(
        &file,
        "ipv6.nxt == 4 && tcp.flags.syn == 1",
        &["tcp.options.mss_val"],
    );
    assert_eq!(mss, [["1420"], ["1420"]]);

    // The rule fetch: TCP over IPv6 with an HTTP request and a 200 response.
    let http = fields(&file, "http", &["http.request.method", "http.response.code"]);
    assert_eq!(http, [["GET", ""], ["", "200"]]);
}
