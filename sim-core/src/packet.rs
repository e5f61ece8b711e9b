//! Real packet bytes: pure builders of the control-plane packets and of the
//! first packet of a LAN IPv4 flow, for captures and tests.
//!
//! Every builder is a function of plain values (addresses, ports, ids,
//! lifetimes, sizes) that returns one raw IP packet with no link header
//! (pcap LINKTYPE_RAW) and valid checksums. IPv6, ICMPv6 neighbor discovery,
//! IPv4, UDP and TCP come from `smoltcp::wire`; smoltcp has no DHCPv6 and no
//! NTP, so those payloads are encoded here by hand (a DHCPv6 option is a code,
//! a length and the data; an NTP packet is 48 fixed bytes), which is smaller
//! than taking on dhcproto for four messages.
//!
//! - Neighbor discovery (RFC 4861): [`router_solicitation`], [`router_advertisement`] (an
//!   [`RaContent`]: the /64 with the A flag on RA lines, M and O and no prefix on DHCPv6-PD
//!   lines), and [`dad_neighbor_solicitation`] (RFC 4862 duplicate address detection).
//! - DHCPv6 prefix delegation (RFC 8415): [`dhcpv6_solicit`], [`dhcpv6_advertise`],
//!   [`dhcpv6_request`], [`dhcpv6_reply`], and the lease's [`dhcpv6_renew`] and
//!   [`dhcpv6_rebind`], between two [`Dhcpv6Peer`]s over a [`PrefixDelegation`].
//! - NTP (RFC 5905): [`ntp_request`], [`ntp_reply`] and [`ntp_timestamp`].
//! - A LAN flow's first IPv4 packet ([`FirstPacket`]) as it leaves the gateway:
//!   [`mape_first_packet`] (RFC 7597: NAPT-rewritten source, CE to BR) and
//!   [`dslite_first_packet`] (RFC 6333: the private source, B4 to AFTR), both
//!   IPv4-in-IPv6 ([`ipv4_in_ipv6`], RFC 2473, next header 4).
//!
//! Policy stays with the caller: nothing here checks that a port lies in a
//! MAP-E port set or that a prefix is a /64; the bytes say what they are given.

use std::net::{Ipv6Addr, SocketAddrV4};

use smoltcp::phy::ChecksumCapabilities;
use smoltcp::time::Duration;
use smoltcp::wire::{
    Icmpv6Packet, Icmpv6Repr, IpAddress, IpProtocol, Ipv4Packet, Ipv4Repr, Ipv6Packet, Ipv6Repr,
    NdiscPrefixInfoFlags, NdiscPrefixInformation, NdiscRepr, NdiscRouterFlags, TcpControl, TcpPacket,
    TcpRepr, TcpSeqNumber, UdpPacket, UdpRepr,
};

use crate::mape::Ipv6Prefix;
use crate::time::SimDuration;

/// All-routers link-local multicast (RFC 4291), where Router Solicitations go.
pub const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);
/// All_DHCP_Relay_Agents_and_Servers (RFC 8415), where a client's Solicit and Request go.
pub const ALL_DHCP_SERVERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2);
/// The UDP port DHCPv6 clients listen on.
pub const DHCPV6_CLIENT_PORT: u16 = 546;
/// The UDP port DHCPv6 servers and relays listen on.
pub const DHCPV6_SERVER_PORT: u16 = 547;
/// The NTP server's UDP port.
pub const NTP_PORT: u16 = 123;
/// Router lifetime of an RA, RFC 4861's default AdvDefaultLifetime (3 x MaxRtrAdvInterval).
pub const RA_ROUTER_LIFETIME_S: u16 = 1800;
/// Valid lifetime of an RA's prefix, RFC 4861's default AdvValidLifetime (30 days).
pub const RA_VALID_LIFETIME_S: u32 = 2_592_000;
/// Preferred lifetime of an RA's prefix, RFC 4861's default AdvPreferredLifetime (7 days).
pub const RA_PREFERRED_LIFETIME_S: u32 = 604_800;
/// The MSS of a TCP SYN leaving through MAP-E or DS-Lite on an IPoE line: the gateway clamps
/// it to the tunnel's MTU, 1500 less the outer IPv6 header (40), the IPv4 header (20) and the
/// TCP header (20). (PPPoE's 1414 would be 1500 - 8 - 40 - 20 - 20 less a safety margin.)
pub const IPOE_TUNNEL_MSS: u16 = 1500 - 40 - 20 - 20;
/// TTL of a LAN host's IPv4 packet once the gateway has forwarded it (64, less one hop).
pub const FORWARDED_TTL: u8 = 63;
/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
pub const NTP_UNIX_OFFSET_S: i64 = 2_208_988_800;

/// Hop limit of neighbor-discovery messages (RFC 4861 requires 255, receivers check it).
const NDISC_HOP_LIMIT: u8 = 255;
/// Hop limit of link-scoped multicast (a client's DHCPv6 messages).
const LINK_SCOPE_HOP_LIMIT: u8 = 1;
/// Hop limit of unicast packets and of the tunnels' outer header (RFC 2473 suggests the default).
const UNICAST_HOP_LIMIT: u8 = 64;
/// Largest IPv6 payload without a jumbogram.
const MAX_IPV6_PAYLOAD: usize = u16::MAX as usize;
/// Largest UDP payload in one IPv4 packet (65535 - 20 - 8).
const MAX_UDP_OVER_IPV4_PAYLOAD: u16 = 65_507;
/// Receive window of a LAN host's SYN (Linux's initial window for a 1460-byte MSS).
const SYN_WINDOW: u16 = 64_240;
/// Window scale a LAN host offers in its SYN.
const SYN_WINDOW_SCALE: u8 = 7;

/// DHCPv6 message types (RFC 8415 §7.3).
const DHCPV6_SOLICIT: u8 = 1;
const DHCPV6_ADVERTISE: u8 = 2;
const DHCPV6_REQUEST: u8 = 3;
const DHCPV6_RENEW: u8 = 5;
const DHCPV6_REBIND: u8 = 6;
const DHCPV6_REPLY: u8 = 7;
/// DHCPv6 option codes (RFC 8415 §21).
const OPTION_CLIENTID: u16 = 1;
const OPTION_SERVERID: u16 = 2;
const OPTION_ELAPSED_TIME: u16 = 8;
const OPTION_IA_PD: u16 = 25;
const OPTION_IAPREFIX: u16 = 26;
/// DUID-LL (RFC 8415 §11.4) and the Ethernet hardware type it names (IANA ARP hardware type 1).
const DUID_LL: u16 = 3;
const HARDWARE_TYPE_ETHERNET: u16 = 1;

/// The modified EUI-64 link-local address of an interface with this MAC (RFC 4291 App. A).
pub const fn link_local(mac: [u8; 6]) -> Ipv6Addr {
    Ipv6Addr::new(
        0xfe80,
        0,
        0,
        0,
        u16::from_be_bytes([mac[0] ^ 0x02, mac[1]]),
        u16::from_be_bytes([mac[2], 0xff]),
        u16::from_be_bytes([0xfe, mac[3]]),
        u16::from_be_bytes([mac[4], mac[5]]),
    )
}

/// An IPv6 header and `payload_len` bytes that `emit_payload` fills.
fn ipv6(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    next_header: IpProtocol,
    hop_limit: u8,
    payload_len: usize,
    emit_payload: impl FnOnce(&mut [u8]),
) -> Vec<u8> {
    let header = Ipv6Repr {
        src_addr: src,
        dst_addr: dst,
        next_header,
        payload_len,
        hop_limit,
    };
    let mut bytes = vec![0; header.buffer_len() + payload_len];
    let mut packet = Ipv6Packet::new_unchecked(&mut bytes[..]);
    header.emit(&mut packet);
    emit_payload(packet.payload_mut());
    bytes
}

/// An ICMPv6 message in IPv6, checksum filled.
fn icmpv6(src: Ipv6Addr, dst: Ipv6Addr, hop_limit: u8, message: &Icmpv6Repr<'_>) -> Vec<u8> {
    ipv6(
        src,
        dst,
        IpProtocol::Icmpv6,
        hop_limit,
        message.buffer_len(),
        |buf| {
            message.emit(
                &src,
                &dst,
                &mut Icmpv6Packet::new_unchecked(buf),
                &ChecksumCapabilities::default(),
            );
        },
    )
}

/// A UDP datagram in IPv6, checksum filled (it is mandatory over IPv6).
fn udp_over_ipv6(src: Ipv6Addr, dst: Ipv6Addr, hop_limit: u8, ports: (u16, u16), payload: &[u8]) -> Vec<u8> {
    let udp = UdpRepr {
        src_port: ports.0,
        dst_port: ports.1,
    };
    ipv6(
        src,
        dst,
        IpProtocol::Udp,
        hop_limit,
        udp.header_len() + payload.len(),
        |buf| {
            udp.emit(
                &mut UdpPacket::new_unchecked(buf),
                &IpAddress::Ipv6(src),
                &IpAddress::Ipv6(dst),
                payload.len(),
                |p| p.copy_from_slice(payload),
                &ChecksumCapabilities::default(),
            );
        },
    )
}

/// A Router Solicitation from a host's link-local address to all routers (no link-layer option).
pub fn router_solicitation(host: Ipv6Addr) -> Vec<u8> {
    let message = Icmpv6Repr::Ndisc(NdiscRepr::RouterSolicit { lladdr: None });
    icmpv6(host, ALL_ROUTERS, NDISC_HOP_LIMIT, &message)
}

/// What an RA carries besides the router lifetime (which gives the default route).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RaContent {
    /// A line without DHCPv6-PD: O set (DNS by stateless DHCPv6), one Prefix Information option
    /// with the on-link and autonomous (A, SLAAC) flags for the line's /64.
    Slaac {
        prefix: Ipv6Prefix,
        valid_lifetime_s: u32,
        preferred_lifetime_s: u32,
    },
    /// A DHCPv6-PD line: M and O set, no prefix for the CE's own addresses (it numbers itself
    /// from the delegated /56).
    Managed,
}

/// A Router Advertisement from the router's link-local address to `host` (or ff02::1), with
/// the router lifetime in seconds and the flags and options of `content`.
pub fn router_advertisement(
    router: Ipv6Addr,
    host: Ipv6Addr,
    router_lifetime_s: u16,
    content: RaContent,
) -> Vec<u8> {
    let (flags, prefix_info) = match content {
        RaContent::Slaac {
            prefix,
            valid_lifetime_s,
            preferred_lifetime_s,
        } => (
            NdiscRouterFlags::OTHER,
            Some(NdiscPrefixInformation {
                prefix_len: prefix.prefix_len(),
                flags: NdiscPrefixInfoFlags::ON_LINK | NdiscPrefixInfoFlags::ADDRCONF,
                valid_lifetime: Duration::from_secs(valid_lifetime_s.into()),
                preferred_lifetime: Duration::from_secs(preferred_lifetime_s.into()),
                prefix: prefix.addr(),
            }),
        ),
        RaContent::Managed => (NdiscRouterFlags::MANAGED | NdiscRouterFlags::OTHER, None),
    };
    let message = Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
        hop_limit: UNICAST_HOP_LIMIT,
        flags,
        router_lifetime: Duration::from_secs(router_lifetime_s.into()),
        reachable_time: Duration::ZERO,
        retrans_time: Duration::ZERO,
        lladdr: None,
        mtu: None,
        prefix_info,
    });
    icmpv6(router, host, NDISC_HOP_LIMIT, &message)
}

/// The solicited-node multicast address of `addr` (RFC 4291 §2.7.1): ff02::1:ffXX:XXXX.
pub fn solicited_node(addr: Ipv6Addr) -> Ipv6Addr {
    let o = addr.octets();
    Ipv6Addr::new(
        0xff02,
        0,
        0,
        0,
        0,
        1,
        0xff00 | u16::from(o[13]),
        u16::from_be_bytes([o[14], o[15]]),
    )
}

/// The Neighbor Solicitation of duplicate address detection (RFC 4862 §5.4.2): from the
/// unspecified address to the tentative address's solicited-node group, no link-layer option.
pub fn dad_neighbor_solicitation(tentative: Ipv6Addr) -> Vec<u8> {
    let message = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
        target_addr: tentative,
        lladdr: None,
    });
    icmpv6(
        Ipv6Addr::UNSPECIFIED,
        solicited_node(tentative),
        NDISC_HOP_LIMIT,
        &message,
    )
}

/// One end of a DHCPv6 exchange: its link-local address and the MAC its DUID-LL carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dhcpv6Peer {
    pub link_local: Ipv6Addr,
    pub mac: [u8; 6],
}

impl Dhcpv6Peer {
    /// The peer with this MAC and its EUI-64 link-local address.
    pub const fn from_mac(mac: [u8; 6]) -> Dhcpv6Peer {
        Dhcpv6Peer {
            link_local: link_local(mac),
            mac,
        }
    }

    /// The DUID-LL that identifies this peer (type 3, hardware type Ethernet, the MAC).
    fn duid(&self) -> [u8; 10] {
        let mut duid = [0; 10];
        duid[..2].copy_from_slice(&DUID_LL.to_be_bytes());
        duid[2..4].copy_from_slice(&HARDWARE_TYPE_ETHERNET.to_be_bytes());
        duid[4..].copy_from_slice(&self.mac);
        duid
    }
}

/// A prefix the server delegates in an IA_PD: the IA's id, the prefix and its timers in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrefixDelegation {
    /// The client's identifier of the IA_PD.
    pub iaid: u32,
    /// The delegated prefix (a /56 on Flets Cross).
    pub prefix: Ipv6Prefix,
    /// When the client should renew (T1) and rebind (T2).
    pub t1_s: u32,
    pub t2_s: u32,
    pub preferred_lifetime_s: u32,
    pub valid_lifetime_s: u32,
}

/// Appends one DHCPv6 option (code, length, data).
fn put_option(out: &mut Vec<u8>, code: u16, data: &[u8]) {
    // Options here are a few dozen bytes; the length field cannot overflow.
    let len = u16::try_from(data.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(data);
}

/// A DHCPv6 message head: type and the low 24 bits of the transaction id.
fn dhcpv6_head(msg_type: u8, transaction_id: u32) -> Vec<u8> {
    let [_, a, b, c] = transaction_id.to_be_bytes();
    vec![msg_type, a, b, c]
}

/// The Elapsed Time option's value: hundredths of a second, saturating at 0xffff.
fn elapsed_centiseconds(elapsed: SimDuration) -> u16 {
    u16::try_from(elapsed.as_nanos() / 10_000_000).unwrap_or(u16::MAX)
}

/// An IA_PD option; with `lease`, its IAPREFIX (`timers` false: T1, T2 and lifetimes 0, as a client asks).
fn put_ia_pd(out: &mut Vec<u8>, iaid: u32, lease: Option<&PrefixDelegation>, timers: bool) {
    let mut ia = Vec::with_capacity(12 + 29);
    ia.extend_from_slice(&iaid.to_be_bytes());
    let (t1, t2) = match lease {
        Some(l) if timers => (l.t1_s, l.t2_s),
        _ => (0, 0),
    };
    ia.extend_from_slice(&t1.to_be_bytes());
    ia.extend_from_slice(&t2.to_be_bytes());
    if let Some(lease) = lease {
        let (preferred, valid) = if timers {
            (lease.preferred_lifetime_s, lease.valid_lifetime_s)
        } else {
            (0, 0)
        };
        let mut iaprefix = Vec::with_capacity(25);
        iaprefix.extend_from_slice(&preferred.to_be_bytes());
        iaprefix.extend_from_slice(&valid.to_be_bytes());
        iaprefix.push(lease.prefix.prefix_len());
        iaprefix.extend_from_slice(&lease.prefix.addr().octets());
        put_option(&mut ia, OPTION_IAPREFIX, &iaprefix);
    }
    put_option(out, OPTION_IA_PD, &ia);
}

/// A client's message to all DHCPv6 servers (UDP 546 to 547).
fn from_client(client: &Dhcpv6Peer, message: &[u8]) -> Vec<u8> {
    udp_over_ipv6(
        client.link_local,
        ALL_DHCP_SERVERS,
        LINK_SCOPE_HOP_LIMIT,
        (DHCPV6_CLIENT_PORT, DHCPV6_SERVER_PORT),
        message,
    )
}

/// A server's message to a client's link-local address (UDP 547 to 546).
fn from_server(server: &Dhcpv6Peer, client: &Dhcpv6Peer, message: &[u8]) -> Vec<u8> {
    udp_over_ipv6(
        server.link_local,
        client.link_local,
        UNICAST_HOP_LIMIT,
        (DHCPV6_SERVER_PORT, DHCPV6_CLIENT_PORT),
        message,
    )
}

/// A DHCPv6 Solicit for a prefix: Client ID, Elapsed Time, an empty IA_PD (transaction id's low 24 bits).
pub fn dhcpv6_solicit(client: &Dhcpv6Peer, transaction_id: u32, iaid: u32, elapsed: SimDuration) -> Vec<u8> {
    let mut m = dhcpv6_head(DHCPV6_SOLICIT, transaction_id);
    put_option(&mut m, OPTION_CLIENTID, &client.duid());
    put_option(
        &mut m,
        OPTION_ELAPSED_TIME,
        &elapsed_centiseconds(elapsed).to_be_bytes(),
    );
    put_ia_pd(&mut m, iaid, None, false);
    from_client(client, &m)
}

/// A DHCPv6 Advertise offering `lease`: Server ID, Client ID, IA_PD with the IAPREFIX.
pub fn dhcpv6_advertise(
    server: &Dhcpv6Peer,
    client: &Dhcpv6Peer,
    transaction_id: u32,
    lease: &PrefixDelegation,
) -> Vec<u8> {
    let mut m = dhcpv6_head(DHCPV6_ADVERTISE, transaction_id);
    put_option(&mut m, OPTION_SERVERID, &server.duid());
    put_option(&mut m, OPTION_CLIENTID, &client.duid());
    put_ia_pd(&mut m, lease.iaid, Some(lease), true);
    from_server(server, client, &m)
}

/// A DHCPv6 Request for the advertised prefix: Client ID, Server ID, Elapsed Time, IA_PD naming it.
pub fn dhcpv6_request(
    client: &Dhcpv6Peer,
    server: &Dhcpv6Peer,
    transaction_id: u32,
    lease: &PrefixDelegation,
    elapsed: SimDuration,
) -> Vec<u8> {
    let mut m = dhcpv6_head(DHCPV6_REQUEST, transaction_id);
    put_option(&mut m, OPTION_CLIENTID, &client.duid());
    put_option(&mut m, OPTION_SERVERID, &server.duid());
    put_option(
        &mut m,
        OPTION_ELAPSED_TIME,
        &elapsed_centiseconds(elapsed).to_be_bytes(),
    );
    put_ia_pd(&mut m, lease.iaid, Some(lease), false);
    from_client(client, &m)
}

/// A DHCPv6 Renew of `lease` to the server that delegated it (RFC 8415 §18.2.4): Client ID,
/// Server ID, Elapsed Time, the IA_PD with the prefix (lifetimes 0: the client asks to keep it).
pub fn dhcpv6_renew(
    client: &Dhcpv6Peer,
    server: &Dhcpv6Peer,
    transaction_id: u32,
    lease: &PrefixDelegation,
    elapsed: SimDuration,
) -> Vec<u8> {
    let mut m = dhcpv6_head(DHCPV6_RENEW, transaction_id);
    put_option(&mut m, OPTION_CLIENTID, &client.duid());
    put_option(&mut m, OPTION_SERVERID, &server.duid());
    put_option(
        &mut m,
        OPTION_ELAPSED_TIME,
        &elapsed_centiseconds(elapsed).to_be_bytes(),
    );
    put_ia_pd(&mut m, lease.iaid, Some(lease), false);
    from_client(client, &m)
}

/// A DHCPv6 Rebind of `lease` to any server (RFC 8415 §18.2.5): as a Renew without Server ID.
pub fn dhcpv6_rebind(
    client: &Dhcpv6Peer,
    transaction_id: u32,
    lease: &PrefixDelegation,
    elapsed: SimDuration,
) -> Vec<u8> {
    let mut m = dhcpv6_head(DHCPV6_REBIND, transaction_id);
    put_option(&mut m, OPTION_CLIENTID, &client.duid());
    put_option(
        &mut m,
        OPTION_ELAPSED_TIME,
        &elapsed_centiseconds(elapsed).to_be_bytes(),
    );
    put_ia_pd(&mut m, lease.iaid, Some(lease), false);
    from_client(client, &m)
}

/// A DHCPv6 Reply delegating `lease`: Server ID, Client ID, IA_PD with the IAPREFIX and its timers.
pub fn dhcpv6_reply(
    server: &Dhcpv6Peer,
    client: &Dhcpv6Peer,
    transaction_id: u32,
    lease: &PrefixDelegation,
) -> Vec<u8> {
    let mut m = dhcpv6_head(DHCPV6_REPLY, transaction_id);
    put_option(&mut m, OPTION_SERVERID, &server.duid());
    put_option(&mut m, OPTION_CLIENTID, &client.duid());
    put_ia_pd(&mut m, lease.iaid, Some(lease), true);
    from_server(server, client, &m)
}

/// The 64-bit NTP timestamp (seconds since 1900 in the current era, 32-bit fraction) of a Unix time.
pub fn ntp_timestamp(unix_seconds: i64, nanos: u32) -> u64 {
    let seconds = unix_seconds.wrapping_add(NTP_UNIX_OFFSET_S).rem_euclid(1 << 32) as u64;
    let fraction = (u64::from(nanos.min(999_999_999)) << 32) / 1_000_000_000;
    (seconds << 32) | fraction
}

/// The fields of a 48-byte NTPv4 packet that vary between a request and a reply.
struct NtpFields {
    leap: u8,
    mode: u8,
    stratum: u8,
    root_delay: u32,
    root_dispersion: u32,
    reference_id: [u8; 4],
    reference: u64,
    origin: u64,
    receive: u64,
    transmit: u64,
}

/// NTP version written in every packet.
const NTP_VERSION: u8 = 4;
/// Poll interval exponent (64 s) of both ends.
const NTP_POLL: u8 = 6;
/// Clock precision exponent (about 1 microsecond), as a two's-complement byte (-20).
const NTP_PRECISION: u8 = 0xec;

/// Encodes a 48-byte NTPv4 packet.
fn ntp_packet(f: &NtpFields) -> [u8; 48] {
    let mut p = [0u8; 48];
    p[0] = (f.leap << 6) | (NTP_VERSION << 3) | f.mode;
    p[1] = f.stratum;
    p[2] = NTP_POLL;
    p[3] = NTP_PRECISION;
    p[4..8].copy_from_slice(&f.root_delay.to_be_bytes());
    p[8..12].copy_from_slice(&f.root_dispersion.to_be_bytes());
    p[12..16].copy_from_slice(&f.reference_id);
    p[16..24].copy_from_slice(&f.reference.to_be_bytes());
    p[24..32].copy_from_slice(&f.origin.to_be_bytes());
    p[32..40].copy_from_slice(&f.receive.to_be_bytes());
    p[40..48].copy_from_slice(&f.transmit.to_be_bytes());
    p
}

/// An NTP client request (mode 3) carrying the client's clock reading `transmit`; leap indicator
/// 3 (alarm) while `clock_set` is false, as a gateway sends it right after boot.
pub fn ntp_request(
    client: Ipv6Addr,
    server: Ipv6Addr,
    client_port: u16,
    transmit: u64,
    clock_set: bool,
) -> Vec<u8> {
    let payload = ntp_packet(&NtpFields {
        leap: if clock_set { 0 } else { 3 },
        mode: 3,
        stratum: 0,
        root_delay: 0,
        root_dispersion: 0,
        reference_id: [0; 4],
        reference: 0,
        origin: 0,
        receive: 0,
        transmit,
    });
    udp_over_ipv6(
        client,
        server,
        UNICAST_HOP_LIMIT,
        (client_port, NTP_PORT),
        &payload,
    )
}

/// An NTP server reply (mode 4, stratum 2): `origin` echoes the request's transmit timestamp,
/// `receive` and `transmit` are the server's clock; its own clock was last set 16 s before `receive`.
pub fn ntp_reply(
    server: Ipv6Addr,
    client: Ipv6Addr,
    client_port: u16,
    origin: u64,
    receive: u64,
    transmit: u64,
) -> Vec<u8> {
    let payload = ntp_packet(&NtpFields {
        leap: 0,
        mode: 4,
        stratum: 2,
        // 1/256 s and 1/128 s in NTP short format (16.16).
        root_delay: 0x0000_0100,
        root_dispersion: 0x0000_0200,
        // A stratum-2 server names its upstream by IPv4 address; a documentation address here.
        reference_id: [192, 0, 2, 123],
        reference: receive.wrapping_sub(16 << 32),
        origin,
        receive,
        transmit,
    });
    udp_over_ipv6(
        server,
        client,
        UNICAST_HOP_LIMIT,
        (NTP_PORT, client_port),
        &payload,
    )
}

/// What the first packet of a LAN IPv4 flow is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstPacket {
    /// A UDP datagram with this many payload bytes, all zero (at most 65507; more is cut).
    Udp { payload_len: u16 },
    /// A TCP SYN with this initial sequence number, offering this MSS, SACK and window scaling.
    TcpSyn { initial_seq: u32, mss: u16 },
}

/// The IPv4 packet `src` sends to `dst`, after one forwarding hop (TTL 63, DF set, ident 0).
pub fn ipv4_first_packet(src: SocketAddrV4, dst: SocketAddrV4, first: FirstPacket) -> Vec<u8> {
    let caps = ChecksumCapabilities::default();
    let (src_ip, dst_ip) = (IpAddress::Ipv4(*src.ip()), IpAddress::Ipv4(*dst.ip()));
    let ipv4 = |next_header: IpProtocol, payload_len: usize| Ipv4Repr {
        src_addr: *src.ip(),
        dst_addr: *dst.ip(),
        next_header,
        payload_len,
        hop_limit: FORWARDED_TTL,
    };
    match first {
        FirstPacket::Udp { payload_len } => {
            let payload_len = usize::from(payload_len.min(MAX_UDP_OVER_IPV4_PAYLOAD));
            let udp = UdpRepr {
                src_port: src.port(),
                dst_port: dst.port(),
            };
            let header = ipv4(IpProtocol::Udp, udp.header_len() + payload_len);
            let mut bytes = vec![0; header.buffer_len() + header.payload_len];
            let mut packet = Ipv4Packet::new_unchecked(&mut bytes[..]);
            header.emit(&mut packet, &caps);
            udp.emit(
                &mut UdpPacket::new_unchecked(packet.payload_mut()),
                &src_ip,
                &dst_ip,
                payload_len,
                |_| {},
                &caps,
            );
            bytes
        }
        FirstPacket::TcpSyn { initial_seq, mss } => {
            let tcp = TcpRepr {
                src_port: src.port(),
                dst_port: dst.port(),
                control: TcpControl::Syn,
                seq_number: TcpSeqNumber(initial_seq as i32),
                ack_number: None,
                window_len: SYN_WINDOW,
                window_scale: Some(SYN_WINDOW_SCALE),
                max_seg_size: Some(mss),
                sack_permitted: true,
                sack_ranges: [None; 3],
                timestamp: None,
                payload: &[],
            };
            let header = ipv4(IpProtocol::Tcp, tcp.buffer_len());
            let mut bytes = vec![0; header.buffer_len() + header.payload_len];
            let mut packet = Ipv4Packet::new_unchecked(&mut bytes[..]);
            header.emit(&mut packet, &caps);
            tcp.emit(
                &mut TcpPacket::new_unchecked(packet.payload_mut()),
                &src_ip,
                &dst_ip,
                &caps,
            );
            bytes
        }
    }
}

/// An IPv4 packet tunnelled in IPv6 (RFC 2473: next header 4, hop limit 64); an inner packet
/// longer than an IPv6 payload can be (65535 bytes) is cut to that length.
pub fn ipv4_in_ipv6(tunnel_src: Ipv6Addr, tunnel_dst: Ipv6Addr, ipv4_packet: &[u8]) -> Vec<u8> {
    let inner = &ipv4_packet[..ipv4_packet.len().min(MAX_IPV6_PAYLOAD)];
    ipv6(
        tunnel_src,
        tunnel_dst,
        IpProtocol::Unknown(4),
        UNICAST_HOP_LIMIT,
        inner.len(),
        |buf| buf.copy_from_slice(inner),
    )
}

/// A LAN flow's first packet under MAP-E: from the MAP-E IPv4 address and the external port the
/// NAPT chose (`external_src`) to `dst`, tunnelled from the CE address to the BR.
pub fn mape_first_packet(
    ce: Ipv6Addr,
    br: Ipv6Addr,
    external_src: SocketAddrV4,
    dst: SocketAddrV4,
    first: FirstPacket,
) -> Vec<u8> {
    ipv4_in_ipv6(ce, br, &ipv4_first_packet(external_src, dst, first))
}

/// A LAN flow's first packet under DS-Lite: the B4 does no NAPT, so the LAN client's private
/// address and port (`lan_src`) go unchanged through the tunnel from the B4's WAN address to the AFTR.
pub fn dslite_first_packet(
    b4: Ipv6Addr,
    aftr: Ipv6Addr,
    lan_src: SocketAddrV4,
    dst: SocketAddrV4,
    first: FirstPacket,
) -> Vec<u8> {
    ipv4_in_ipv6(b4, aftr, &ipv4_first_packet(lan_src, dst, first))
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use smoltcp::wire::{NdiscPrefixInformation, TcpPacket};

    use super::*;
    use crate::mape::vne_preset;

    const CE_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
    const NGN_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x20, 0x00, 0x02];

    fn caps() -> ChecksumCapabilities {
        ChecksumCapabilities::default()
    }

    /// Parses the IPv6 header (length checked) and returns it with the payload.
    fn ipv6_of(bytes: &[u8]) -> (Ipv6Repr, &[u8]) {
        let packet = Ipv6Packet::new_checked(bytes).expect("a whole IPv6 packet");
        let repr = Ipv6Repr::parse(&packet).expect("a valid IPv6 header");
        assert_eq!(bytes.len(), 40 + repr.payload_len, "no bytes beyond the payload");
        (repr, packet.payload())
    }

    /// Parses an ICMPv6 message in IPv6, verifying its checksum.
    fn icmpv6_of(bytes: &[u8]) -> (Ipv6Repr, Icmpv6Repr<'_>) {
        let (ip, payload) = ipv6_of(bytes);
        assert_eq!(ip.next_header, IpProtocol::Icmpv6);
        let packet = Icmpv6Packet::new_checked(payload).expect("a whole ICMPv6 message");
        assert!(packet.verify_checksum(&ip.src_addr, &ip.dst_addr));
        let repr = Icmpv6Repr::parse(&ip.src_addr, &ip.dst_addr, &packet, &caps()).expect("valid ICMPv6");
        (ip, repr)
    }

    /// Parses a UDP datagram in IPv6, verifying its checksum; returns the ports and payload.
    fn udp_of(bytes: &[u8]) -> (Ipv6Repr, UdpRepr, &[u8]) {
        let (ip, payload) = ipv6_of(bytes);
        assert_eq!(ip.next_header, IpProtocol::Udp);
        let packet = UdpPacket::new_checked(payload).expect("a whole UDP datagram");
        let (src, dst) = (IpAddress::Ipv6(ip.src_addr), IpAddress::Ipv6(ip.dst_addr));
        assert!(packet.verify_checksum(&src, &dst));
        assert_ne!(packet.checksum(), 0, "the UDP checksum is mandatory over IPv6");
        let repr = UdpRepr::parse(&packet, &src, &dst, &caps()).expect("valid UDP");
        (ip, repr, packet.payload())
    }

    /// A DHCPv6 message's type, transaction id and top-level options; panics on a bad length.
    fn dhcpv6_of(message: &[u8]) -> (u8, u32, Vec<(u16, &[u8])>) {
        let xid = u32::from_be_bytes([0, message[1], message[2], message[3]]);
        (message[0], xid, options_of(&message[4..]))
    }

    fn options_of(mut bytes: &[u8]) -> Vec<(u16, &[u8])> {
        let mut options = Vec::new();
        while !bytes.is_empty() {
            let code = u16::from_be_bytes([bytes[0], bytes[1]]);
            let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
            options.push((code, &bytes[4..4 + len]));
            bytes = &bytes[4 + len..];
        }
        options
    }

    fn option<'a>(options: &[(u16, &'a [u8])], code: u16) -> &'a [u8] {
        options
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, data)| *data)
            .unwrap_or_else(|| panic!("option {code} missing"))
    }

    fn lease() -> PrefixDelegation {
        PrefixDelegation {
            iaid: 1,
            prefix: Ipv6Prefix::parse("240b:10:3f6c:d400::/56").expect("valid"),
            t1_s: 7200,
            t2_s: 12_600,
            preferred_lifetime_s: 14_400,
            valid_lifetime_s: 14_400,
        }
    }

    #[test]
    fn link_local_is_modified_eui64() {
        assert_eq!(
            link_local([0x00, 0x1b, 0x21, 0x3a, 0x4b, 0x5c]),
            "fe80::21b:21ff:fe3a:4b5c".parse::<Ipv6Addr>().expect("valid")
        );
        assert_eq!(Dhcpv6Peer::from_mac(CE_MAC).link_local, link_local(CE_MAC));
    }

    #[test]
    fn router_solicitation_bytes_are_exact() {
        let host: Ipv6Addr = "fe80::1".parse().expect("valid");
        let mut expected = vec![0x60, 0, 0, 0, 0, 8, 58, 255];
        expected.extend_from_slice(&host.octets());
        expected.extend_from_slice(&ALL_ROUTERS.octets());
        // Type 133, code 0, checksum computed independently, reserved.
        expected.extend_from_slice(&[0x85, 0, 0x7d, 0x36, 0, 0, 0, 0]);
        assert_eq!(router_solicitation(host), expected);
        let (ip, repr) = icmpv6_of(&expected);
        assert_eq!((ip.src_addr, ip.dst_addr, ip.hop_limit), (host, ALL_ROUTERS, 255));
        assert_eq!(repr, Icmpv6Repr::Ndisc(NdiscRepr::RouterSolicit { lladdr: None }));
    }

    #[test]
    fn router_advertisement_carries_the_64() {
        let (router, host) = (link_local(NGN_MAC), link_local(CE_MAC));
        let prefix = Ipv6Prefix::parse("2001:db8:12:3400::/64").expect("valid");
        let bytes = router_advertisement(
            router,
            host,
            RA_ROUTER_LIFETIME_S,
            RaContent::Slaac {
                prefix,
                valid_lifetime_s: RA_VALID_LIFETIME_S,
                preferred_lifetime_s: RA_PREFERRED_LIFETIME_S,
            },
        );
        let (ip, repr) = icmpv6_of(&bytes);
        assert_eq!((ip.src_addr, ip.dst_addr, ip.hop_limit), (router, host, 255));
        let Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
            router_lifetime,
            flags,
            prefix_info: Some(info),
            ..
        }) = repr
        else {
            panic!("not an RA with a prefix: {repr:?}");
        };
        assert_eq!(router_lifetime, Duration::from_secs(1800));
        assert_eq!(
            flags,
            NdiscRouterFlags::OTHER,
            "O set, M clear: SLAAC plus stateless DHCPv6"
        );
        assert_eq!(
            info,
            NdiscPrefixInformation {
                prefix_len: 64,
                flags: NdiscPrefixInfoFlags::ON_LINK | NdiscPrefixInfoFlags::ADDRCONF,
                valid_lifetime: Duration::from_secs(2_592_000),
                preferred_lifetime: Duration::from_secs(604_800),
                prefix: prefix.addr(),
            }
        );
        // 16 bytes of RA, 32 of Prefix Information.
        assert_eq!(bytes.len(), 40 + 16 + 32);
        // The byte that carries M (0x80) and O (0x40).
        assert_eq!(bytes[40 + 5], 0x40);
    }

    #[test]
    fn a_pd_lines_ra_sets_m_and_o_and_carries_no_prefix() {
        let (router, host) = (link_local(NGN_MAC), link_local(CE_MAC));
        let bytes = router_advertisement(router, host, RA_ROUTER_LIFETIME_S, RaContent::Managed);
        let (_, repr) = icmpv6_of(&bytes);
        let Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
            router_lifetime,
            flags,
            prefix_info,
            ..
        }) = repr
        else {
            panic!("not an RA: {repr:?}");
        };
        assert_eq!(flags, NdiscRouterFlags::MANAGED | NdiscRouterFlags::OTHER);
        assert_eq!(router_lifetime, Duration::from_secs(1800), "the default route");
        assert_eq!(prefix_info, None);
        assert_eq!(bytes.len(), 40 + 16);
        assert_eq!(bytes[40 + 5], 0xc0);
    }

    #[test]
    fn dad_solicits_the_tentative_address_from_nowhere() {
        let tentative = link_local(CE_MAC);
        let bytes = dad_neighbor_solicitation(tentative);
        let (ip, repr) = icmpv6_of(&bytes);
        assert_eq!(ip.src_addr, Ipv6Addr::UNSPECIFIED);
        assert_eq!(
            ip.dst_addr,
            "ff02::1:ff10:1".parse::<Ipv6Addr>().expect("valid"),
            "the solicited-node group of ...:fe10:1"
        );
        assert_eq!(ip.hop_limit, 255);
        assert_eq!(
            repr,
            Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
                target_addr: tentative,
                lladdr: None
            })
        );
    }

    #[test]
    fn dhcpv6_exchange_delegates_the_56() {
        let (client, server) = (Dhcpv6Peer::from_mac(CE_MAC), Dhcpv6Peer::from_mac(NGN_MAC));
        let lease = lease();
        let client_duid = [0, 3, 0, 1, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
        let server_duid = [0, 3, 0, 1, 0x02, 0x00, 0x5e, 0x20, 0x00, 0x02];
        let messages = [
            (
                dhcpv6_solicit(&client, 0xab_cdef, 1, SimDuration::ZERO),
                1,
                0xab_cdef,
            ),
            (
                dhcpv6_advertise(&server, &client, 0xab_cdef, &lease),
                2,
                0xab_cdef,
            ),
            (
                dhcpv6_request(
                    &client,
                    &server,
                    0x12_3456,
                    &lease,
                    SimDuration::from_millis(1234),
                ),
                3,
                0x12_3456,
            ),
            (dhcpv6_reply(&server, &client, 0x12_3456, &lease), 7, 0x12_3456),
        ];
        for (bytes, msg_type, xid) in &messages {
            let (ip, udp, payload) = udp_of(bytes);
            let from_client = matches!(msg_type, 1 | 3);
            if from_client {
                assert_eq!((ip.src_addr, ip.dst_addr), (client.link_local, ALL_DHCP_SERVERS));
                assert_eq!((udp.src_port, udp.dst_port), (546, 547));
            } else {
                assert_eq!((ip.src_addr, ip.dst_addr), (server.link_local, client.link_local));
                assert_eq!((udp.src_port, udp.dst_port), (547, 546));
            }
            let (t, x, options) = dhcpv6_of(payload);
            assert_eq!((t, x), (*msg_type, *xid));
            assert_eq!(option(&options, 1), client_duid);
            if *msg_type != 1 {
                assert_eq!(option(&options, 2), server_duid);
            }
            if from_client {
                assert_eq!(option(&options, 8).len(), 2);
            }
            let ia_pd = option(&options, 25);
            assert_eq!(ia_pd[..4], 1u32.to_be_bytes());
        }
        // The Request's elapsed time is in hundredths of a second.
        let (_, _, payload) = udp_of(&messages[2].0);
        assert_eq!(option(&dhcpv6_of(payload).2, 8), 123u16.to_be_bytes());
        // The Reply's IA_PD: T1, T2, then IAPREFIX with lifetimes, /56 and the prefix.
        let (_, _, payload) = udp_of(&messages[3].0);
        let (_, _, options) = dhcpv6_of(payload);
        let ia_pd = option(&options, 25);
        assert_eq!(ia_pd[4..8], 7200u32.to_be_bytes());
        assert_eq!(ia_pd[8..12], 12_600u32.to_be_bytes());
        let iaprefix = option(&options_of(&ia_pd[12..]), 26);
        assert_eq!(iaprefix.len(), 25);
        assert_eq!(iaprefix[..4], 14_400u32.to_be_bytes());
        assert_eq!(iaprefix[4..8], 14_400u32.to_be_bytes());
        assert_eq!(iaprefix[8], 56);
        assert_eq!(iaprefix[9..], lease.prefix.addr().octets());
        // The Solicit's IA_PD holds no prefix; the transaction id keeps only 24 bits.
        let solicit = dhcpv6_solicit(&client, 0xff12_3456, 9, SimDuration::from_secs(3600));
        let (_, _, payload) = udp_of(&solicit);
        let (_, xid, options) = dhcpv6_of(payload);
        assert_eq!(xid, 0x12_3456);
        assert_eq!(option(&options, 25), [0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(option(&options, 8), [0xff, 0xff]);
        // Renew names the server; Rebind goes to any; both carry the prefix they want kept.
        let renew = dhcpv6_renew(&client, &server, 0x55, &lease, SimDuration::from_secs(30));
        let (ip, udp, payload) = udp_of(&renew);
        assert_eq!((ip.dst_addr, udp.dst_port), (ALL_DHCP_SERVERS, 547));
        let (t, _, options) = dhcpv6_of(payload);
        assert_eq!(t, 5);
        assert_eq!(option(&options, 2), server_duid);
        assert_eq!(option(&options, 8), 3000u16.to_be_bytes());
        let iaprefix = option(&options_of(&option(&options, 25)[12..]), 26);
        assert_eq!(iaprefix[9..], lease.prefix.addr().octets());
        let rebind = dhcpv6_rebind(&client, 0x56, &lease, SimDuration::ZERO);
        let (_, _, payload) = udp_of(&rebind);
        let (t, _, options) = dhcpv6_of(payload);
        assert_eq!(t, 6);
        assert!(
            options.iter().all(|(code, _)| *code != 2),
            "no Server ID in a Rebind"
        );
    }

    #[test]
    fn ntp_timestamps_count_from_1900_and_wrap_in_2036() {
        assert_eq!(ntp_timestamp(0, 0), 2_208_988_800u64 << 32);
        assert_eq!(
            ntp_timestamp(0, 500_000_000),
            (2_208_988_800u64 << 32) | 0x8000_0000
        );
        // 2036-02-07 06:28:16 UTC starts NTP era 1.
        assert_eq!(ntp_timestamp(2_085_978_496, 0), 0);
        assert_eq!(ntp_timestamp(2_085_978_495, 999_999_999) >> 32, 0xffff_ffff);
        assert_eq!(ntp_timestamp(i64::MAX, u32::MAX) & 0xffff_ffff, 0xffff_fffb);
    }

    #[test]
    fn ntp_request_and_reply() {
        let client: Ipv6Addr = "240b:10:3f6c:d400::1".parse().expect("valid");
        let server: Ipv6Addr = "2001:db8:ffff::123".parse().expect("valid");
        // 2019-01-01 00:00:05: the gateway's clock before its first sync.
        let t1 = ntp_timestamp(1_546_300_805, 0);
        let request = ntp_request(client, server, 123, t1, false);
        let (ip, udp, payload) = udp_of(&request);
        assert_eq!((ip.src_addr, ip.dst_addr), (client, server));
        assert_eq!((udp.src_port, udp.dst_port), (123, 123));
        let mut expected = [0u8; 48];
        expected[..4].copy_from_slice(&[0xe3, 0, 6, 0xec]);
        expected[40..].copy_from_slice(&t1.to_be_bytes());
        assert_eq!(payload, expected);
        assert_eq!(udp_of(&ntp_request(client, server, 40000, t1, true)).2[0], 0x23);

        let (t2, t3) = (
            ntp_timestamp(1_634_000_000, 1_000),
            ntp_timestamp(1_634_000_000, 51_000),
        );
        let reply = ntp_reply(server, client, 40000, t1, t2, t3);
        let (ip, udp, payload) = udp_of(&reply);
        assert_eq!((ip.src_addr, ip.dst_addr), (server, client));
        assert_eq!((udp.src_port, udp.dst_port), (123, 40000));
        assert_eq!(payload.len(), 48);
        assert_eq!(payload[0], 0x24, "LI 0, version 4, mode 4");
        assert_eq!(payload[1], 2);
        assert_eq!(payload[24..32], t1.to_be_bytes());
        assert_eq!(payload[32..40], t2.to_be_bytes());
        assert_eq!(payload[40..48], t3.to_be_bytes());
    }

    /// The inner IPv4 packet of a tunnelled packet: outer header checked, IPv4 checksum verified.
    fn tunnelled(bytes: &[u8], outer_src: Ipv6Addr, outer_dst: Ipv6Addr) -> (Ipv4Repr, Vec<u8>) {
        let (ip, payload) = ipv6_of(bytes);
        assert_eq!((ip.src_addr, ip.dst_addr), (outer_src, outer_dst));
        assert_eq!((ip.next_header, ip.hop_limit), (IpProtocol::Unknown(4), 64));
        let inner = Ipv4Packet::new_checked(payload).expect("a whole IPv4 packet");
        assert!(inner.verify_checksum());
        assert!(inner.dont_frag());
        assert_eq!(usize::from(inner.total_len()), payload.len());
        let repr = Ipv4Repr::parse(&inner, &caps()).expect("valid IPv4");
        assert_eq!(repr.hop_limit, 63);
        (repr, inner.payload().to_vec())
    }

    #[test]
    fn mape_udp_leaves_from_the_mape_address_to_the_br() {
        let v6plus = vne_preset("v6plus").expect("preset");
        let prefix = Ipv6Prefix::parse("240b:10:3f6c:d400::/56").expect("valid");
        let br = v6plus.rule_for(&prefix).expect("covered").br;
        let config = v6plus.compute(prefix).expect("covered");
        let port = config.ports.iter().nth(5).expect("240 ports");
        assert_eq!(port, 7493);
        let src = SocketAddrV4::new(config.ipv4_address(), port);
        let dst = SocketAddrV4::new(Ipv4Addr::new(203, 0, 113, 53), 53);
        let bytes = mape_first_packet(
            config.ce_address,
            br,
            src,
            dst,
            FirstPacket::Udp { payload_len: 33 },
        );
        let (inner, payload) = tunnelled(&bytes, config.ce_address, br);
        assert_eq!(
            (inner.src_addr, inner.dst_addr, inner.next_header),
            (Ipv4Addr::new(106, 72, 63, 108), *dst.ip(), IpProtocol::Udp)
        );
        let udp = UdpPacket::new_checked(&payload[..]).expect("whole UDP");
        let (s, d) = (IpAddress::Ipv4(inner.src_addr), IpAddress::Ipv4(inner.dst_addr));
        assert!(udp.verify_checksum(&s, &d));
        let repr = UdpRepr::parse(&udp, &s, &d, &caps()).expect("valid UDP");
        assert_eq!((repr.src_port, repr.dst_port), (7493, 53));
        assert_eq!(udp.payload(), [0; 33]);
        assert_eq!(bytes.len(), 40 + 20 + 8 + 33);
    }

    #[test]
    fn mape_tcp_syn_offers_the_mss() {
        let ce: Ipv6Addr = "240b:10:3f6c:d400:6a:483f:6c00:d400".parse().expect("valid");
        let br: Ipv6Addr = "2404:9200:225:100::64".parse().expect("valid");
        let src = SocketAddrV4::new(Ipv4Addr::new(106, 72, 63, 108), 11_584);
        let dst = SocketAddrV4::new(Ipv4Addr::new(198, 51, 100, 80), 443);
        assert_eq!(IPOE_TUNNEL_MSS, 1420);
        let first = FirstPacket::TcpSyn {
            initial_seq: 0xdead_beef,
            mss: IPOE_TUNNEL_MSS,
        };
        let (inner, payload) = tunnelled(&mape_first_packet(ce, br, src, dst, first), ce, br);
        assert_eq!(inner.next_header, IpProtocol::Tcp);
        let tcp = TcpPacket::new_checked(&payload[..]).expect("whole TCP");
        let (s, d) = (IpAddress::Ipv4(inner.src_addr), IpAddress::Ipv4(inner.dst_addr));
        assert!(tcp.verify_checksum(&s, &d));
        let repr = TcpRepr::parse(&tcp, &s, &d, &caps()).expect("valid TCP");
        assert_eq!((repr.src_port, repr.dst_port), (11_584, 443));
        assert_eq!(repr.control, TcpControl::Syn);
        assert_eq!(repr.seq_number, TcpSeqNumber(0xdead_beef_u32 as i32));
        assert_eq!((repr.max_seg_size, repr.window_scale), (Some(1420), Some(7)));
        assert!(repr.sack_permitted && repr.ack_number.is_none() && repr.payload.is_empty());
    }

    #[test]
    fn dslite_keeps_the_private_source() {
        let b4: Ipv6Addr = "2409:10:2020:3000::1".parse().expect("valid");
        let aftr: Ipv6Addr = "2001:db8:aff7::1".parse().expect("valid");
        let src = SocketAddrV4::new(Ipv4Addr::new(192, 168, 1, 23), 51_000);
        let dst = SocketAddrV4::new(Ipv4Addr::new(203, 0, 113, 10), 123);
        let bytes = dslite_first_packet(b4, aftr, src, dst, FirstPacket::Udp { payload_len: 48 });
        let (inner, payload) = tunnelled(&bytes, b4, aftr);
        assert_eq!((inner.src_addr, inner.dst_addr), (*src.ip(), *dst.ip()));
        let udp = UdpPacket::new_checked(&payload[..]).expect("whole UDP");
        assert_eq!((udp.src_port(), udp.dst_port()), (51_000, 123));
    }

    #[test]
    fn oversized_inputs_are_cut_not_panicked_on() {
        let src = SocketAddrV4::new(Ipv4Addr::new(192, 168, 1, 2), 1);
        let dst = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 2);
        let big = ipv4_first_packet(
            src,
            dst,
            FirstPacket::Udp {
                payload_len: u16::MAX,
            },
        );
        assert_eq!(big.len(), 65_535);
        assert!(
            Ipv4Packet::new_checked(&big[..])
                .expect("whole")
                .verify_checksum()
        );
        let tunnelled = ipv4_in_ipv6(Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST, &big);
        assert_eq!(ipv6_of(&tunnelled).0.payload_len, 65_535);
        let cut = ipv4_in_ipv6(Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST, &vec![0x45; 70_000]);
        assert_eq!(cut.len(), 40 + 65_535);
    }
}
