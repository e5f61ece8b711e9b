//! One HTTP/1.1 exchange over a real TCP connection between two smoltcp
//! interfaces, across a simulated point-to-point IPv6 link, in simulated time.
//!
//! The gateways' control-plane fetches (the HGW's software bundle from the
//! Flets Joint distributor, a MAP-E CE's rule from the VNE's rule server) are
//! real TCP: handshake, retransmission timers, windows and delayed ACKs come
//! from smoltcp, so loss and latency on the link lengthen a fetch the way they
//! would on a wire. The engine calls [`run_fetch`] once, when a fetch starts,
//! and schedules the completion at start + [`FetchReport::elapsed`].
//!
//! Determinism: the exchange runs on its own clock from zero; every random
//! choice (both stacks' seeds, the client's ephemeral port, every loss
//! decision) is drawn from the caller's generator in a fixed order, and the
//! number of draws never depends on whether packets are captured.
//!
//! What the TCP model is: smoltcp 0.14 with congestion control `None` (the
//! sender fills the peer's window; Reno/Cubic would need extra smoltcp
//! features), RTO between 1 s and 60 s with doubling backoff, fast retransmit,
//! no SACK, so a loss in a large transfer costs a retransmission timeout or a
//! go-back from the hole. The link is 1500-byte MTU, FIFO per direction.
//! smoltcp's clock has microsecond resolution: arrivals are rounded up to the
//! next microsecond and server delays down to one.

use std::collections::VecDeque;

use rand::Rng;
use smoltcp::iface::{Config, Interface, PollResult, SocketHandle, SocketSet};
use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::socket::tcp;
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr, Ipv6Address};

use crate::rng::SimRng;
use crate::time::SimDuration;

/// IP MTU of the simulated link (Flets IPoE carries 1500-byte IPv6 packets).
const LINK_MTU: usize = 1500;
/// Client receive buffer: large enough for window scaling, so a bundle
/// download is not limited to 64 KiB per round trip.
const CLIENT_RX_BUFFER: usize = 256 * 1024;
/// Client send buffer: holds the request.
const CLIENT_TX_BUFFER: usize = 8 * 1024;
/// Server receive buffer: holds the request.
const SERVER_RX_BUFFER: usize = 16 * 1024;
/// Server send buffer: the response is fed into it as it drains.
const SERVER_TX_BUFFER: usize = 256 * 1024;
/// Delayed-ACK time, set explicitly so a smoltcp default change cannot move outcomes.
const ACK_DELAY: Duration = Duration::from_millis(10);
/// Longest request head the server reads before answering 400.
const MAX_REQUEST_HEAD: usize = 8 * 1024;
/// Longest response head the client accepts.
const MAX_RESPONSE_HEAD: usize = 16 * 1024;
/// Largest Content-Length the client accepts (guards memory against a broken server).
const MAX_RESPONSE_BODY: u64 = 64 * 1024 * 1024;
/// Hard cap on poll rounds: a bug in the loop ends as TimedOut, never as a hang.
const MAX_ROUNDS: u32 = 1_000_000;
/// First port of the dynamic range the client's ephemeral port is drawn from.
const EPHEMERAL_BASE: u16 = 49152;

/// Conditions of the simulated path for one exchange (both directions).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PathConditions {
    /// Propagation delay from sender to receiver, the same in each direction.
    pub one_way_latency: SimDuration,
    /// Chance each packet is lost, per packet and direction, 0.0..=1.0 (NaN counts as 0).
    pub loss: f64,
    /// Link rate in bits per second in each direction; `None` means unlimited.
    pub bandwidth_bps: Option<u64>,
}

impl PathConditions {
    /// A path with this latency and loss and no rate limit.
    pub fn new(one_way_latency: SimDuration, loss: f64) -> PathConditions {
        PathConditions {
            one_way_latency,
            loss,
            bandwidth_bps: None,
        }
    }

    /// The same path, limited to `bps` bits per second in each direction (0 means unlimited).
    pub fn with_bandwidth(self, bps: u64) -> PathConditions {
        PathConditions {
            bandwidth_bps: (bps > 0).then_some(bps),
            ..self
        }
    }
}

/// What the server side does with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerBehaviour {
    /// Answer `delay` after the whole request arrived, with an HTTP/1.1 status and body.
    Respond {
        delay: SimDuration,
        status: u16,
        content_type: String,
        body: Vec<u8>,
    },
    /// Answer `delay` after the request with exactly these bytes, then close (a broken server).
    Raw { delay: SimDuration, bytes: Vec<u8> },
    /// Accept the connection and read the request, but never answer (a stalled server).
    Silent,
    /// Nothing listens on the port: the server's stack answers the SYN with RST (a down server).
    Refuse,
}

/// One fetch: who talks to whom, what is asked, how the server behaves, how long the client waits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchSpec {
    /// The client's (gateway's) IPv6 address.
    pub client_addr: Ipv6Address,
    /// The server's IPv6 address.
    pub server_addr: Ipv6Address,
    /// The server's TCP port.
    pub server_port: u16,
    /// Value of the request's `Host` header.
    pub host: String,
    /// Request target, starting with `/`.
    pub path: String,
    /// What the server does with the request.
    pub behaviour: ServerBehaviour,
    /// The client gives up this long after the start (a response completing exactly then is too late).
    pub timeout: SimDuration,
}

/// How a fetch ended, as the client saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchResult {
    /// A complete, well-formed HTTP response (any status).
    Response { status: u16, body: Vec<u8> },
    /// The connection attempt was answered with RST (nothing listens).
    Refused,
    /// The connection was reset after it was established, before the response was complete.
    Reset,
    /// No complete response before the timeout.
    TimedOut,
    /// The server's bytes are not an acceptable HTTP response.
    BadResponse(ResponseError),
    /// The spec cannot be run (nothing was sent).
    InvalidSpec(SpecError),
}

/// Why received bytes are not an acceptable HTTP/1.1 response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// No blank line ending the head within the allowed length.
    #[error("response head too long")]
    HeadTooLong,
    /// The first line is not `HTTP/1.x NNN reason`.
    #[error("malformed status line")]
    BadStatusLine,
    /// A header line is not `name: value`.
    #[error("malformed header line")]
    BadHeader,
    /// No Content-Length header.
    #[error("no Content-Length")]
    MissingContentLength,
    /// Content-Length is not a number, or appears twice.
    #[error("malformed or repeated Content-Length")]
    BadContentLength,
    /// Content-Length beyond what the client accepts.
    #[error("body too large")]
    BodyTooLarge,
    /// Transfer-Encoding (chunked) is not supported by this client.
    #[error("Transfer-Encoding not supported")]
    UnsupportedTransferEncoding,
    /// The server closed before the head or the whole body arrived.
    #[error("connection closed before the response was complete")]
    Truncated,
    /// More bytes than Content-Length announced.
    #[error("bytes after the announced body")]
    TrailingBytes,
}

/// Why a spec cannot be run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// An address is unspecified, multicast, or both ends share one address.
    #[error("client and server need distinct unicast addresses")]
    Address,
    /// The server port is 0.
    #[error("server port 0")]
    Port,
    /// Host is empty or has characters that cannot go in a header.
    #[error("host is empty or not printable ASCII")]
    Host,
    /// Path does not start with `/` or has characters that cannot go in a request line.
    #[error("path must start with / and be printable ASCII")]
    Path,
    /// The configured status is outside 100..=599 or the content type is not printable.
    #[error("configured response is not valid HTTP")]
    Response,
}

/// One packet as it left its sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedPacket {
    /// When the sender handed it to the link, since the start of the fetch.
    pub offset: SimDuration,
    /// True if the client sent it.
    pub from_client: bool,
    /// The raw IPv6 packet, no link header (pcap LINKTYPE_RAW).
    pub bytes: Vec<u8>,
    /// True if the link lost it.
    pub dropped: bool,
}

/// Everything about one fetch the engine and reports need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchReport {
    /// How the fetch ended.
    pub result: FetchResult,
    /// From the start to the end (the timeout itself when timed out).
    pub elapsed: SimDuration,
    /// Packets sent by both sides.
    pub packets_sent: u32,
    /// Packets the link lost.
    pub packets_lost: u32,
    /// Every packet sent, in order, when capture was asked; empty otherwise.
    pub packets: Vec<CapturedPacket>,
}

/// Runs one fetch to its end and reports what happened.
///
/// Draws from `rng`, in this order: the client stack's seed, the server
/// stack's seed, the client's port, then one draw per packet sent. `capture`
/// only decides whether packets are kept; it changes nothing else.
pub fn run_fetch(spec: &FetchSpec, path: &PathConditions, rng: &mut SimRng, capture: bool) -> FetchReport {
    run_fetch_bounded(spec, path, rng, capture, MAX_ROUNDS)
}

/// [`run_fetch`] with the poll-round cap as a parameter (tests reach it cheaply).
fn run_fetch_bounded(
    spec: &FetchSpec,
    path: &PathConditions,
    rng: &mut SimRng,
    capture: bool,
    max_rounds: u32,
) -> FetchReport {
    if let Err(e) = validate(spec) {
        return FetchReport {
            result: FetchResult::InvalidSpec(e),
            elapsed: SimDuration::ZERO,
            packets_sent: 0,
            packets_lost: 0,
            packets: Vec::new(),
        };
    }
    // smoltcp's generator stays at 0 forever when seeded with 0.
    let client_seed = rng.next_u64().max(1);
    let server_seed = rng.next_u64().max(1);
    // 16384 ports: the top 14 bits of a draw are exactly uniform.
    let client_port = EPHEMERAL_BASE + (rng.next_u32() >> 18) as u16;

    let mut link = Link::new(path, rng, capture);
    let (result, end) = exchange(spec, &mut link, client_seed, server_seed, client_port, max_rounds);
    let elapsed = match (&result, end) {
        (FetchResult::TimedOut, _) => spec.timeout,
        (_, t) => SimDuration::from_micros(t.total_micros().unsigned_abs()),
    };
    FetchReport {
        result,
        elapsed,
        packets_sent: link.sent,
        packets_lost: link.lost,
        packets: link.capture.unwrap_or_default(),
    }
}

/// Checks what smoltcp would panic on or what would break the HTTP framing.
fn validate(spec: &FetchSpec) -> Result<(), SpecError> {
    let usable = |a: &Ipv6Address| !a.is_unspecified() && !a.is_multicast();
    if !usable(&spec.client_addr) || !usable(&spec.server_addr) || spec.client_addr == spec.server_addr {
        return Err(SpecError::Address);
    }
    if spec.server_port == 0 {
        return Err(SpecError::Port);
    }
    let printable = |s: &str| !s.is_empty() && s.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if !printable(&spec.host) {
        return Err(SpecError::Host);
    }
    if !spec.path.starts_with('/') || !printable(&spec.path) {
        return Err(SpecError::Path);
    }
    if let ServerBehaviour::Respond {
        status, content_type, ..
    } = &spec.behaviour
    {
        let ct_ok = content_type.bytes().all(|b| (0x20..=0x7e).contains(&b));
        if !(100..=599).contains(status) || !ct_ok {
            return Err(SpecError::Response);
        }
    }
    Ok(())
}

/// The four socket buffers of one exchange.
struct SocketBuffers {
    client_rx: Vec<u8>,
    client_tx: Vec<u8>,
    server_rx: Vec<u8>,
    server_tx: Vec<u8>,
}

impl SocketBuffers {
    fn new() -> SocketBuffers {
        SocketBuffers {
            client_rx: vec![0; CLIENT_RX_BUFFER],
            client_tx: vec![0; CLIENT_TX_BUFFER],
            server_rx: vec![0; SERVER_RX_BUFFER],
            server_tx: vec![0; SERVER_TX_BUFFER],
        }
    }
}

thread_local! {
    /// Socket buffers kept from one fetch to the next on this thread: zeroing half a
    /// megabyte for every fetch cost more than a small fetch itself. Reuse changes
    /// nothing: a socket's ring buffer reads only bytes written into it since it was
    /// made, never what an earlier fetch left there.
    static SPARE_BUFFERS: std::cell::RefCell<Option<SocketBuffers>> = const { std::cell::RefCell::new(None) };
}

/// Sets up both stacks and runs the event loop; returns the result and the instant it was decided.
fn exchange(
    spec: &FetchSpec,
    link: &mut Link<'_>,
    client_seed: u64,
    server_seed: u64,
    client_port: u16,
    max_rounds: u32,
) -> (FetchResult, Instant) {
    let mut buffers = SPARE_BUFFERS
        .with(|spare| spare.borrow_mut().take())
        .unwrap_or_else(SocketBuffers::new);
    let result = exchange_with(
        spec,
        link,
        client_seed,
        server_seed,
        client_port,
        max_rounds,
        &mut buffers,
    );
    SPARE_BUFFERS.with(|spare| *spare.borrow_mut() = Some(buffers));
    result
}

/// [`exchange`] over the given socket buffers.
fn exchange_with(
    spec: &FetchSpec,
    link: &mut Link<'_>,
    client_seed: u64,
    server_seed: u64,
    client_port: u16,
    max_rounds: u32,
    buffers: &mut SocketBuffers,
) -> (FetchResult, Instant) {
    let timeout_ns = spec.timeout.as_nanos();
    let Some(mut client_if) = interface(
        &mut link.end(true),
        spec.client_addr,
        spec.server_addr,
        client_seed,
    ) else {
        return (FetchResult::InvalidSpec(SpecError::Address), Instant::ZERO);
    };
    let Some(mut server_if) = interface(
        &mut link.end(false),
        spec.server_addr,
        spec.client_addr,
        server_seed,
    ) else {
        return (FetchResult::InvalidSpec(SpecError::Address), Instant::ZERO);
    };

    let mut client_set = SocketSet::new(vec![]);
    let client_handle = client_set.add(socket(&mut buffers.client_rx, &mut buffers.client_tx));
    let remote = (IpAddress::Ipv6(spec.server_addr), spec.server_port);
    if client_set
        .get_mut::<tcp::Socket>(client_handle)
        .connect(client_if.context(), remote, client_port)
        .is_err()
    {
        return (FetchResult::InvalidSpec(SpecError::Address), Instant::ZERO);
    }

    // Refuse: the server stack exists but has no socket, so smoltcp itself answers RST.
    let mut server_set = SocketSet::new(vec![]);
    let server_handle: Option<SocketHandle> = match spec.behaviour {
        ServerBehaviour::Refuse => None,
        _ => {
            let h = server_set.add(socket(&mut buffers.server_rx, &mut buffers.server_tx));
            if server_set
                .get_mut::<tcp::Socket>(h)
                .listen(spec.server_port)
                .is_err()
            {
                return (FetchResult::InvalidSpec(SpecError::Port), Instant::ZERO);
            }
            Some(h)
        }
    };

    let mut client = ClientApp::new(spec);
    let mut server = ServerApp::new(&spec.behaviour);
    let mut now = Instant::ZERO;
    let mut rounds: u32 = 0;
    loop {
        if micros_to_nanos(now) >= timeout_ns {
            return (FetchResult::TimedOut, now);
        }
        // Settle everything that happens at `now`: a poll can free buffer space
        // or deliver data the applications act on, and their writes need another
        // poll; `poll_at` alone does not show that work (crates.md pitfall).
        loop {
            rounds += 1;
            if rounds > max_rounds {
                return (FetchResult::TimedOut, now);
            }
            let before = link.activity();
            let mut busy =
                client_if.poll(now, &mut link.end(true), &mut client_set) == PollResult::SocketStateChanged;
            busy |=
                server_if.poll(now, &mut link.end(false), &mut server_set) == PollResult::SocketStateChanged;
            busy |= link.activity() != before;
            if let Some(h) = server_handle {
                busy |= server.step(now, server_set.get_mut::<tcp::Socket>(h));
            }
            match client.step(client_set.get_mut::<tcp::Socket>(client_handle)) {
                ClientStep::Idle => {}
                ClientStep::Progress => busy = true,
                ClientStep::Done(result) => return (result, now),
            }
            if !busy {
                break;
            }
        }
        // Quiescent at `now`: polling again at `now` would change nothing, so
        // only deadlines strictly later matter. None left means nothing can
        // ever happen again: the client waits out its timeout.
        let next = [
            link.next_arrival(),
            client_if.poll_at(now, &client_set),
            server_if.poll_at(now, &server_set),
            server.wake_at(),
        ]
        .into_iter()
        .flatten()
        .filter(|t| *t > now)
        .min();
        match next {
            Some(t) => now = t,
            None => return (FetchResult::TimedOut, now),
        }
    }
}

/// A stack with one address (a /128: the peer is reached through a default route via itself).
fn interface(dev: &mut End<'_, '_>, addr: Ipv6Address, peer: Ipv6Address, seed: u64) -> Option<Interface> {
    let mut config = Config::new(HardwareAddress::Ip);
    config.random_seed = seed;
    let mut iface = Interface::new(config, dev, Instant::ZERO);
    let mut pushed = false;
    iface.update_ip_addrs(|addrs| pushed = addrs.push(IpCidr::new(IpAddress::Ipv6(addr), 128)).is_ok());
    let routed = iface.routes_mut().add_default_ipv6_route(peer).is_ok();
    (pushed && routed).then_some(iface)
}

/// A TCP socket with every behaviour-shaping option set explicitly.
fn socket<'b>(rx: &'b mut [u8], tx: &'b mut [u8]) -> tcp::Socket<'b> {
    let mut s = tcp::Socket::new(tcp::SocketBuffer::new(rx), tcp::SocketBuffer::new(tx));
    // Cargo feature unification could switch smoltcp's default to Cubic; fix it.
    s.set_congestion_control(tcp::CongestionControl::None);
    s.set_ack_delay(Some(ACK_DELAY));
    s.set_nagle_enabled(true);
    s.set_keep_alive(None);
    s.set_timeout(None);
    s
}

fn micros_to_nanos(t: Instant) -> u64 {
    t.total_micros().unsigned_abs().saturating_mul(1_000)
}

/// The point-to-point link: one FIFO lane per direction, with latency, an
/// optional rate and independent per-packet loss.
struct Link<'r> {
    rng: &'r mut SimRng,
    latency_ns: u64,
    /// A packet is lost when the top 53 bits of its draw are below this.
    loss_threshold: u64,
    bandwidth_bps: Option<u64>,
    /// Index 0 carries client to server, 1 server to client.
    lanes: [Lane; 2],
    sent: u32,
    lost: u32,
    delivered: u32,
    capture: Option<Vec<CapturedPacket>>,
}

#[derive(Default)]
struct Lane {
    /// (arrival in ns, packet), in sending order.
    queue: VecDeque<(u64, Vec<u8>)>,
    /// When the sender finishes serializing what it already sent (rate-limited links).
    free_at_ns: u64,
}

impl<'r> Link<'r> {
    fn new(path: &PathConditions, rng: &'r mut SimRng, capture: bool) -> Link<'r> {
        const SCALE: f64 = (1u64 << 53) as f64;
        let loss = if path.loss.is_nan() {
            0.0
        } else {
            path.loss.clamp(0.0, 1.0)
        };
        Link {
            rng,
            latency_ns: path.one_way_latency.as_nanos(),
            loss_threshold: (loss * SCALE) as u64,
            bandwidth_bps: path.bandwidth_bps.filter(|b| *b > 0),
            lanes: [Lane::default(), Lane::default()],
            sent: 0,
            lost: 0,
            delivered: 0,
            capture: capture.then(Vec::new),
        }
    }

    /// One side's view of the link, as a smoltcp device.
    fn end<'l>(&'l mut self, client: bool) -> End<'l, 'r> {
        End { link: self, client }
    }

    /// Changes whenever a packet is sent or delivered.
    fn activity(&self) -> (u32, u32) {
        (self.sent, self.delivered)
    }

    /// The earliest arrival still in flight, rounded up to smoltcp's microseconds.
    fn next_arrival(&self) -> Option<Instant> {
        self.lanes
            .iter()
            .filter_map(|l| l.queue.front().map(|(t, _)| *t))
            .min()
            .map(|ns| Instant::from_micros(i64::try_from(ns.div_ceil(1_000)).unwrap_or(i64::MAX)))
    }

    fn transmit(&mut self, now: Instant, from_client: bool, bytes: Vec<u8>) {
        self.sent = self.sent.saturating_add(1);
        let now_ns = micros_to_nanos(now);
        let lane = &mut self.lanes[usize::from(!from_client)];
        let serialization_ns = self.bandwidth_bps.map_or(0, |bps| {
            let bits = bytes.len() as u128 * 8;
            u64::try_from((bits * 1_000_000_000).div_ceil(u128::from(bps))).unwrap_or(u64::MAX)
        });
        let done = now_ns.max(lane.free_at_ns).saturating_add(serialization_ns);
        lane.free_at_ns = done;
        let arrival = done.saturating_add(self.latency_ns);
        // One draw per packet whatever the loss, so the number of draws is a
        // function of the packets alone.
        let dropped = (self.rng.next_u64() >> 11) < self.loss_threshold;
        if let Some(capture) = &mut self.capture {
            capture.push(CapturedPacket {
                offset: SimDuration::from_nanos(now_ns),
                from_client,
                bytes: bytes.clone(),
                dropped,
            });
        }
        if dropped {
            self.lost = self.lost.saturating_add(1);
        } else {
            lane.queue.push_back((arrival, bytes));
        }
    }

    /// The next packet for this side, if it has arrived by `now`.
    fn receive(&mut self, now: Instant, client: bool) -> Option<Vec<u8>> {
        let lane = &mut self.lanes[usize::from(client)];
        let due = lane
            .queue
            .front()
            .is_some_and(|(t, _)| *t <= micros_to_nanos(now));
        let (_, bytes) = if due {
            lane.queue.pop_front()?
        } else {
            return None;
        };
        self.delivered = self.delivered.saturating_add(1);
        Some(bytes)
    }
}

/// One side of the link as a smoltcp device (Medium::Ip: raw IPv6 packets).
struct End<'l, 'r> {
    link: &'l mut Link<'r>,
    client: bool,
}

struct RxPacket(Vec<u8>);

struct TxSlot<'a, 'r> {
    link: &'a mut Link<'r>,
    client: bool,
    now: Instant,
}

impl phy::RxToken for RxPacket {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for TxSlot<'_, '_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut bytes = vec![0; len];
        let r = f(&mut bytes);
        self.link.transmit(self.now, self.client, bytes);
        r
    }
}

impl<'r> Device for End<'_, 'r> {
    type RxToken<'a>
        = RxPacket
    where
        Self: 'a;
    type TxToken<'a>
        = TxSlot<'a, 'r>
    where
        Self: 'a;

    fn receive(&mut self, now: Instant) -> Option<(RxPacket, TxSlot<'_, 'r>)> {
        let bytes = self.link.receive(now, self.client)?;
        Some((
            RxPacket(bytes),
            TxSlot {
                link: self.link,
                client: self.client,
                now,
            },
        ))
    }

    fn transmit(&mut self, now: Instant) -> Option<TxSlot<'_, 'r>> {
        Some(TxSlot {
            link: self.link,
            client: self.client,
            now,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ip;
        caps.max_transmission_unit = LINK_MTU;
        caps
    }
}

/// What one client step did.
enum ClientStep {
    Idle,
    Progress,
    Done(FetchResult),
}

/// The client application: sends the request, collects and parses the response.
struct ClientApp {
    request: Vec<u8>,
    sent: usize,
    response: Vec<u8>,
    head: Option<ResponseHead>,
    connected: bool,
}

impl ClientApp {
    fn new(spec: &FetchSpec) -> ClientApp {
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: fletsim\r\nAccept: */*\r\nConnection: close\r\n\r\n",
            spec.path, spec.host
        );
        ClientApp {
            request: request.into_bytes(),
            sent: 0,
            response: Vec::new(),
            head: None,
            connected: false,
        }
    }

    fn step(&mut self, sock: &mut tcp::Socket<'_>) -> ClientStep {
        use tcp::State;
        let mut progress = false;
        if !matches!(
            sock.state(),
            State::Closed | State::Listen | State::SynSent | State::SynReceived
        ) {
            self.connected = true;
        }
        while self.sent < self.request.len() && sock.can_send() {
            match sock.send_slice(&self.request[self.sent..]) {
                Ok(n) if n > 0 => {
                    self.sent += n;
                    progress = true;
                }
                _ => break,
            }
        }
        while sock.can_recv() {
            let response = &mut self.response;
            match sock.recv(|buf| {
                response.extend_from_slice(buf);
                (buf.len(), buf.len())
            }) {
                Ok(n) if n > 0 => progress = true,
                _ => break,
            }
        }
        if self.head.is_none() {
            match parse_response_head(&self.response) {
                Ok(Some(head)) => {
                    // Content-Length is bounded by MAX_RESPONSE_BODY, so this fits.
                    self.response
                        .reserve((head.head_len + head.content_length).saturating_sub(self.response.len()));
                    self.head = Some(head);
                }
                Ok(None) => {}
                Err(e) => return ClientStep::Done(FetchResult::BadResponse(e)),
            }
        }
        if let Some(head) = self.head {
            let body_len = self.response.len() - head.head_len;
            if body_len > head.content_length {
                return ClientStep::Done(FetchResult::BadResponse(ResponseError::TrailingBytes));
            }
            if body_len == head.content_length {
                let body = self.response.split_off(head.head_len);
                return ClientStep::Done(FetchResult::Response {
                    status: head.status,
                    body,
                });
            }
        }
        // Incomplete: did the connection end under us?
        match sock.state() {
            State::Closed if !self.connected => ClientStep::Done(FetchResult::Refused),
            State::Closed => ClientStep::Done(FetchResult::Reset),
            // Peer's FIN received and everything before it read.
            _ if self.connected && !sock.may_recv() => {
                ClientStep::Done(FetchResult::BadResponse(ResponseError::Truncated))
            }
            _ if progress => ClientStep::Progress,
            _ => ClientStep::Idle,
        }
    }
}

/// The server application: reads the request head, then acts out its behaviour.
struct ServerApp<'s> {
    behaviour: &'s ServerBehaviour,
    request: Vec<u8>,
    /// When the request head was complete, and whether it was acceptable.
    request_done: Option<(Instant, bool)>,
    /// The head part of the answer (built when the request is complete).
    out_head: Vec<u8>,
    out_body: &'s [u8],
    written: usize,
    started: bool,
    closed: bool,
}

impl<'s> ServerApp<'s> {
    fn new(behaviour: &'s ServerBehaviour) -> ServerApp<'s> {
        ServerApp {
            behaviour,
            request: Vec::new(),
            request_done: None,
            out_head: Vec::new(),
            out_body: &[],
            written: 0,
            started: false,
            closed: false,
        }
    }

    /// When the server wants to start answering, while that is still ahead.
    fn wake_at(&self) -> Option<Instant> {
        let (t, _) = self.request_done?;
        let delay = match self.behaviour {
            ServerBehaviour::Respond { delay, .. } | ServerBehaviour::Raw { delay, .. } => *delay,
            ServerBehaviour::Silent | ServerBehaviour::Refuse => return None,
        };
        (!self.started).then(|| t + to_smoltcp(delay))
    }

    fn step(&mut self, now: Instant, sock: &mut tcp::Socket<'_>) -> bool {
        let mut progress = false;
        // Read the request head; afterwards keep draining so the window stays open.
        while sock.can_recv() {
            let room = MAX_REQUEST_HEAD.saturating_sub(self.request.len());
            let collecting = self.request_done.is_none();
            let request = &mut self.request;
            match sock.recv(|buf| {
                if collecting {
                    request.extend_from_slice(&buf[..buf.len().min(room)]);
                }
                (buf.len(), buf.len())
            }) {
                Ok(n) if n > 0 => progress = true,
                _ => break,
            }
        }
        if self.request_done.is_none() {
            if let Some(end) = find(&self.request, b"\r\n\r\n") {
                self.request_done = Some((now, request_acceptable(&self.request[..end])));
                progress = true;
            } else if self.request.len() >= MAX_REQUEST_HEAD {
                self.request_done = Some((now, false));
                progress = true;
            }
        }
        if let Some(wake) = self.wake_at()
            && now >= wake
        {
            self.start_answer();
            progress = true;
        }
        if self.started && !self.closed {
            let total = self.out_head.len() + self.out_body.len();
            while self.written < total && sock.can_send() {
                let chunk = if self.written < self.out_head.len() {
                    &self.out_head[self.written..]
                } else {
                    &self.out_body[self.written - self.out_head.len()..]
                };
                match sock.send_slice(chunk) {
                    Ok(n) if n > 0 => {
                        self.written += n;
                        progress = true;
                    }
                    _ => break,
                }
            }
            if self.written == total {
                // Connection: close — FIN follows the last byte.
                sock.close();
                self.closed = true;
                progress = true;
            }
        }
        progress
    }

    fn start_answer(&mut self) {
        self.started = true;
        let acceptable = self.request_done.is_some_and(|(_, ok)| ok);
        match self.behaviour {
            ServerBehaviour::Raw { bytes, .. } => self.out_body = bytes,
            ServerBehaviour::Respond {
                status,
                content_type,
                body,
                ..
            } if acceptable => {
                self.out_head = response_head(*status, content_type, body.len());
                self.out_body = body;
            }
            ServerBehaviour::Respond { .. } => self.out_head = response_head(400, "", 0),
            ServerBehaviour::Silent | ServerBehaviour::Refuse => {}
        }
    }
}

/// A GET of an origin-form target over HTTP/1.1 with a Host header.
fn request_acceptable(head: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(head) else {
        return false;
    };
    let mut lines = text.split("\r\n");
    let request_line_ok = lines.next().is_some_and(|l| {
        let mut parts = l.split(' ');
        parts.next() == Some("GET")
            && parts.next().is_some_and(|p| p.starts_with('/'))
            && parts.next() == Some("HTTP/1.1")
            && parts.next().is_none()
    });
    request_line_ok
        && lines.any(|l| {
            l.split_once(':')
                .is_some_and(|(n, _)| n.eq_ignore_ascii_case("host"))
        })
}

fn response_head(status: u16, content_type: &str, len: usize) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Length: {len}\r\n",
        reason_phrase(status)
    );
    if !content_type.is_empty() {
        head.push_str("Content-Type: ");
        head.push_str(content_type);
        head.push_str("\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    head.into_bytes()
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

fn to_smoltcp(d: SimDuration) -> Duration {
    Duration::from_micros(d.as_micros())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What the client needs from a response head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ResponseHead {
    status: u16,
    /// Bytes of the head including the blank line.
    head_len: usize,
    content_length: usize,
}

/// Parses a response head from the bytes received so far: `Ok(None)` while
/// the blank line has not arrived. Strict: HTTP/1.0 or 1.1, a three-digit
/// status, `name: value` headers, exactly one decimal Content-Length, no
/// Transfer-Encoding, no obsolete line folding.
fn parse_response_head(buf: &[u8]) -> Result<Option<ResponseHead>, ResponseError> {
    let window = &buf[..buf.len().min(MAX_RESPONSE_HEAD)];
    let Some(end) = find(window, b"\r\n\r\n") else {
        return if buf.len() >= MAX_RESPONSE_HEAD {
            Err(ResponseError::HeadTooLong)
        } else {
            Ok(None)
        };
    };
    let mut lines = crlf_lines(&buf[..end]);
    let status_line = lines.next().ok_or(ResponseError::BadStatusLine)?;
    let status = parse_status_line(status_line).ok_or(ResponseError::BadStatusLine)?;
    let mut content_length: Option<u64> = None;
    for line in lines {
        if line.contains(&b'\r')
            || line.contains(&b'\n')
            || line.first().is_some_and(|b| *b == b' ' || *b == b'\t')
        {
            // A bare CR or LF, or obsolete folding.
            return Err(ResponseError::BadHeader);
        }
        let colon = line
            .iter()
            .position(|b| *b == b':')
            .ok_or(ResponseError::BadHeader)?;
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.is_empty() || !name.iter().all(|b| is_token_char(*b)) {
            return Err(ResponseError::BadHeader);
        }
        if !value
            .iter()
            .all(|b| *b == b'\t' || (0x20..=0x7e).contains(b) || *b >= 0x80)
        {
            return Err(ResponseError::BadHeader);
        }
        let value = value.trim_ascii();
        if name.eq_ignore_ascii_case(b"transfer-encoding") {
            return Err(ResponseError::UnsupportedTransferEncoding);
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            if content_length.is_some()
                || value.is_empty()
                || value.len() > 19
                || !value.iter().all(u8::is_ascii_digit)
            {
                return Err(ResponseError::BadContentLength);
            }
            let n = value.iter().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
            content_length = Some(n);
        }
    }
    let content_length = content_length.ok_or(ResponseError::MissingContentLength)?;
    if content_length > MAX_RESPONSE_BODY {
        return Err(ResponseError::BodyTooLarge);
    }
    let content_length = usize::try_from(content_length).map_err(|_| ResponseError::BodyTooLarge)?;
    Ok(Some(ResponseHead {
        status,
        head_len: end + 4,
        content_length,
    }))
}

/// The lines of a head, split at CRLF only (a bare CR or LF stays inside a line).
fn crlf_lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(head);
    std::iter::from_fn(move || {
        let r = rest?;
        match find(r, b"\r\n") {
            Some(i) => {
                rest = Some(&r[i + 2..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// `HTTP/1.x NNN[ reason]` to the status, 100..=599.
fn parse_status_line(line: &[u8]) -> Option<u16> {
    let rest = line
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| line.strip_prefix(b"HTTP/1.0 "))?;
    let (code, reason) = if rest.len() > 3 {
        rest.split_at(3)
    } else {
        (rest, &[][..])
    };
    if code.len() != 3 || !code.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if !reason.is_empty() && (reason[0] != b' ' || reason.iter().any(|b| b.is_ascii_control() && *b != b'\t'))
    {
        return None;
    }
    let status = code.iter().fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    (100..=599).contains(&status).then_some(status)
}

/// RFC 9110 token characters (header names).
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use smoltcp::wire::{IpProtocol, Ipv6Packet, TcpPacket};

    const CLIENT: Ipv6Address = Ipv6Address::new(0x2400, 0x4050, 0x1, 0x2, 0, 0, 0, 1);
    const SERVER: Ipv6Address = Ipv6Address::new(0x2001, 0xdb8, 0xf1e7, 0, 0, 0, 0, 0x80);

    fn rule_json() -> Vec<u8> {
        let json = r#"{"map_rules":[{"ipv6_prefix":"2400:4050::","ipv6_prefix_length":38,"ipv4_prefix":"153.240.0.0","ipv4_prefix_length":17,"ea_length":25,"psid_offset":4,"br":"2001:380:a120::9"}],"ttl":72000,"version":"2021-07-18T19:21:11+09:00","note":"fletsim rule server, rule-sized JSON body for tests"}"#;
        json.as_bytes().to_vec()
    }

    fn respond(body: Vec<u8>) -> ServerBehaviour {
        ServerBehaviour::Respond {
            delay: SimDuration::ZERO,
            status: 200,
            content_type: "application/json".into(),
            body,
        }
    }

    fn spec(behaviour: ServerBehaviour) -> FetchSpec {
        FetchSpec {
            client_addr: CLIENT,
            server_addr: SERVER,
            server_port: 80,
            host: "rule.example.jp".into(),
            path: "/map-e/rule?prefix=2400:4050:1:200::/56".into(),
            behaviour,
            timeout: SimDuration::from_mins(2),
        }
    }

    fn clean(ms: u64) -> PathConditions {
        PathConditions::new(SimDuration::from_millis(ms), 0.0)
    }

    fn run(spec: &FetchSpec, path: &PathConditions, seed: u64, capture: bool) -> FetchReport {
        run_fetch(spec, path, &mut SimRng::seed_from_u64(seed), capture)
    }

    fn body_of(report: &FetchReport) -> (u16, &[u8]) {
        match &report.result {
            FetchResult::Response { status, body } => (*status, body),
            other => panic!("expected a response, got {other:?}"),
        }
    }

    /// TCP payload, flags and ports of a captured packet (asserting it is IPv6/TCP).
    fn tcp_of(p: &CapturedPacket) -> (u16, u16, bool, bool, Vec<u8>) {
        let ip = Ipv6Packet::new_checked(&p.bytes[..]).expect("IPv6");
        assert_eq!(ip.next_header(), IpProtocol::Tcp);
        let tcp = TcpPacket::new_checked(ip.payload()).expect("TCP");
        assert!(tcp.verify_checksum(&ip.src_addr().into(), &ip.dst_addr().into()));
        (
            tcp.src_port(),
            tcp.dst_port(),
            tcp.syn(),
            tcp.rst(),
            tcp.payload().to_vec(),
        )
    }

    #[test]
    fn clean_exchange_returns_exact_body_in_two_round_trips() {
        let report = run(&spec(respond(rule_json())), &clean(5), 1, false);
        assert_eq!(body_of(&report), (200, &rule_json()[..]));
        // Handshake + request/response = 2 RTT = 4 one-way delays; nothing else should add much.
        assert!(
            report.elapsed >= SimDuration::from_millis(20),
            "{}",
            report.elapsed
        );
        assert!(
            report.elapsed < SimDuration::from_millis(40),
            "{}",
            report.elapsed
        );
        assert_eq!(report.packets_lost, 0);
        assert!(report.packets_sent >= 4);
        assert!(report.packets.is_empty(), "no capture asked");
    }

    #[test]
    fn captured_packets_are_real_ipv6_tcp_with_the_http_request() {
        let s = spec(respond(rule_json()));
        let report = run(&s, &clean(5), 2, true);
        assert_eq!(report.packets.len() as u32, report.packets_sent);
        let first = &report.packets[0];
        assert!(first.from_client && !first.dropped && first.offset == SimDuration::ZERO);
        let ip = Ipv6Packet::new_checked(&first.bytes[..]).expect("IPv6");
        assert_eq!((ip.src_addr(), ip.dst_addr()), (CLIENT, SERVER));
        let (src_port, dst_port, syn, _, _) = tcp_of(first);
        assert!(syn && dst_port == 80 && src_port >= 49152, "{src_port}");
        let request: Vec<u8> = report
            .packets
            .iter()
            .filter(|p| p.from_client)
            .flat_map(|p| tcp_of(p).4)
            .collect();
        let request = String::from_utf8(request).expect("ASCII request");
        assert!(
            request.starts_with(&format!("GET {} HTTP/1.1\r\nHost: {}\r\n", s.path, s.host)),
            "{request}"
        );
        assert!(request.ends_with("\r\n\r\n"));
        let response: Vec<u8> = report
            .packets
            .iter()
            .filter(|p| !p.from_client)
            .flat_map(|p| tcp_of(p).4)
            .collect();
        let response = String::from_utf8(response).expect("ASCII response");
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
            rule_json().len()
        );
        assert!(response.starts_with(&head), "{response}");
        assert!(response.ends_with(std::str::from_utf8(&rule_json()).expect("utf8")));
        // Offsets never go backwards.
        assert!(report.packets.windows(2).all(|w| w[0].offset <= w[1].offset));
    }

    #[test]
    fn same_rng_state_gives_identical_reports() {
        let s = spec(respond(vec![0x5a; 50_000]));
        let lossy = PathConditions::new(SimDuration::from_millis(7), 0.1);
        let a = run(&s, &lossy, 42, true);
        let b = run(&s, &lossy, 42, true);
        assert_eq!(a, b);
        assert!(a.packets_lost > 0, "10% loss over ~60 packets should lose some");
        let c = run(&s, &lossy, 43, true);
        assert_ne!(a, c);
        assert_ne!(a.packets, c.packets);
    }

    #[test]
    fn capture_changes_nothing_but_the_capture() {
        let s = spec(respond(rule_json()));
        let lossy = PathConditions::new(SimDuration::from_millis(3), 0.3);
        let (mut r1, mut r2) = (SimRng::seed_from_u64(9), SimRng::seed_from_u64(9));
        let with = run_fetch(&s, &lossy, &mut r1, true);
        let without = run_fetch(&s, &lossy, &mut r2, false);
        assert_eq!(
            FetchReport {
                packets: Vec::new(),
                ..with.clone()
            },
            without
        );
        assert_eq!(
            with.packets.iter().filter(|p| p.dropped).count() as u32,
            with.packets_lost
        );
        // The caller's stream is left in the same state either way.
        assert_eq!(r1.next_u64(), r2.next_u64());
    }

    #[test]
    fn loss_lengthens_a_rule_fetch_but_it_still_completes() {
        let s = spec(respond(rule_json()));
        let clean_elapsed = run(&s, &clean(5), 0, false).elapsed;
        let lossy = PathConditions::new(SimDuration::from_millis(5), 0.3);
        let mut total = SimDuration::ZERO;
        for seed in 0..20 {
            let report = run(&s, &lossy, seed, false);
            assert_eq!(body_of(&report), (200, &rule_json()[..]), "seed {seed}");
            assert!(report.elapsed >= clean_elapsed, "seed {seed}");
            total += report.elapsed;
        }
        let mean = SimDuration::from_nanos(total.as_nanos() / 20);
        // A lost segment costs at least one 1 s RTO; 30% loss loses one in most fetches.
        assert!(
            mean > clean_elapsed.saturating_mul(10),
            "mean {mean} vs clean {clean_elapsed}"
        );
    }

    #[test]
    fn latency_lengthens() {
        let s = spec(respond(rule_json()));
        let report = run(&s, &clean(50), 3, false);
        assert_eq!(body_of(&report), (200, &rule_json()[..]));
        assert!(
            report.elapsed >= SimDuration::from_millis(200),
            "{}",
            report.elapsed
        );
        assert!(
            report.elapsed < SimDuration::from_millis(300),
            "{}",
            report.elapsed
        );
    }

    #[test]
    fn server_delay_adds_to_elapsed() {
        let mut s = spec(respond(rule_json()));
        if let ServerBehaviour::Respond { delay, .. } = &mut s.behaviour {
            *delay = SimDuration::from_secs(3);
        }
        let report = run(&s, &clean(5), 4, false);
        assert_eq!(body_of(&report).0, 200);
        assert!(
            report.elapsed >= SimDuration::from_millis(3020),
            "{}",
            report.elapsed
        );
        assert!(
            report.elapsed < SimDuration::from_millis(3040),
            "{}",
            report.elapsed
        );
    }

    #[test]
    fn error_status_and_body_pass_through() {
        let mut s = spec(ServerBehaviour::Respond {
            delay: SimDuration::ZERO,
            status: 503,
            content_type: "text/plain".into(),
            body: b"maintenance".to_vec(),
        });
        let report = run(&s, &clean(5), 5, false);
        assert_eq!(body_of(&report), (503, &b"maintenance"[..]));
        // An empty body works too.
        s.behaviour = ServerBehaviour::Respond {
            delay: SimDuration::ZERO,
            status: 204,
            content_type: String::new(),
            body: Vec::new(),
        };
        assert_eq!(body_of(&run(&s, &clean(5), 5, false)), (204, &b""[..]));
    }

    #[test]
    fn refused_quickly() {
        let report = run(&spec(ServerBehaviour::Refuse), &clean(5), 6, true);
        assert_eq!(report.result, FetchResult::Refused);
        // SYN out, RST back: one round trip.
        assert_eq!(report.elapsed, SimDuration::from_millis(10));
        assert_eq!(report.packets.len(), 2);
        let (_, _, _, rst, _) = tcp_of(&report.packets[1]);
        assert!(rst && !report.packets[1].from_client);
    }

    #[test]
    fn silent_server_times_out_at_exactly_the_timeout() {
        let mut s = spec(ServerBehaviour::Silent);
        s.timeout = SimDuration::from_millis(30_001) + SimDuration::from_nanos(7);
        let report = run(&s, &clean(5), 7, true);
        assert_eq!(report.result, FetchResult::TimedOut);
        assert_eq!(report.elapsed, s.timeout);
        // The request did go out and was acknowledged: the server is alive but mute.
        assert!(
            report
                .packets
                .iter()
                .any(|p| p.from_client && !tcp_of(p).4.is_empty())
        );
        assert!(
            report
                .packets
                .iter()
                .all(|p| p.from_client || tcp_of(p).4.is_empty())
        );
    }

    #[test]
    fn total_loss_times_out() {
        for behaviour in [respond(rule_json()), ServerBehaviour::Refuse] {
            let report = run(
                &spec(behaviour),
                &PathConditions::new(SimDuration::from_millis(5), 1.0),
                8,
                false,
            );
            assert_eq!(report.result, FetchResult::TimedOut);
            assert_eq!(report.elapsed, SimDuration::from_mins(2));
            // Only SYN retransmissions, all lost, with exponential backoff (1+2+4+...+60 s).
            assert_eq!(report.packets_lost, report.packets_sent);
            assert!((5..=10).contains(&report.packets_sent), "{}", report.packets_sent);
        }
    }

    #[test]
    fn client_timeout_cuts_a_long_download() {
        let mut s = spec(respond(vec![1; 1 << 20]));
        s.timeout = SimDuration::from_millis(100);
        let report = run(&s, &clean(50), 9, false);
        assert_eq!(report.result, FetchResult::TimedOut);
        assert_eq!(report.elapsed, SimDuration::from_millis(100));
    }

    #[test]
    fn round_cap_ends_the_loop_as_a_timeout() {
        let s = spec(respond(vec![3; 1 << 20]));
        let capped = run_fetch_bounded(&s, &clean(5), &mut SimRng::seed_from_u64(15), false, 20);
        assert_eq!(capped.result, FetchResult::TimedOut);
        assert_eq!(capped.elapsed, s.timeout);
        assert!(capped.packets_sent > 0);
    }

    #[test]
    fn one_mib_body_arrives_intact() {
        let body: Vec<u8> = (0..(1u32 << 20))
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let s = spec(ServerBehaviour::Respond {
            delay: SimDuration::ZERO,
            status: 200,
            content_type: "application/octet-stream".into(),
            body: body.clone(),
        });
        let report = run(&s, &clean(5), 10, false);
        let (status, got) = body_of(&report);
        assert_eq!(status, 200);
        assert!(got == body, "body differs");
        // Window-limited (256 KiB) at 10 ms RTT: a few round trips, well under a second.
        assert!(
            report.elapsed < SimDuration::from_millis(500),
            "{}",
            report.elapsed
        );
        // ...and with 2% loss it still arrives intact.
        let lossy = PathConditions::new(SimDuration::from_millis(5), 0.02);
        assert!(body_of(&run(&s, &lossy, 10, false)).1 == body);
    }

    #[test]
    fn bandwidth_limits_a_download() {
        let s = spec(respond(vec![7; 1 << 20]));
        // 8 Mbit/s: 1 MiB of payload needs over one second on the wire.
        let report = run(&s, &clean(5).with_bandwidth(8_000_000), 11, false);
        assert_eq!(body_of(&report).1.len(), 1 << 20);
        assert!(
            report.elapsed > SimDuration::from_millis(1_048),
            "{}",
            report.elapsed
        );
        assert!(
            report.elapsed < SimDuration::from_millis(1_400),
            "{}",
            report.elapsed
        );
    }

    #[test]
    fn broken_servers_give_error_results() {
        let raw = |bytes: &[u8]| ServerBehaviour::Raw {
            delay: SimDuration::ZERO,
            bytes: bytes.to_vec(),
        };
        let cases: [(&[u8], FetchResult); 5] = [
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
                FetchResult::Response {
                    status: 200,
                    body: b"hello".to_vec(),
                },
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
                FetchResult::BadResponse(ResponseError::Truncated),
            ),
            (
                b"HTTP/1.1 200 OK\r\n\r\nhello",
                FetchResult::BadResponse(ResponseError::MissingContentLength),
            ),
            (
                b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
                FetchResult::BadResponse(ResponseError::BadStatusLine),
            ),
            (b"", FetchResult::BadResponse(ResponseError::Truncated)),
        ];
        for (bytes, expected) in cases {
            let report = run(&spec(raw(bytes)), &clean(5), 12, false);
            assert_eq!(report.result, expected, "{:?}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn invalid_specs_send_nothing() {
        let mut s = spec(respond(rule_json()));
        s.path = "/rule\r\nX-Injected: 1".into();
        let report = run(&s, &clean(5), 13, false);
        assert_eq!(report.result, FetchResult::InvalidSpec(SpecError::Path));
        assert_eq!((report.packets_sent, report.elapsed), (0, SimDuration::ZERO));
        let mut s = spec(respond(rule_json()));
        s.server_addr = Ipv6Address::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
        assert_eq!(
            run(&s, &clean(5), 13, false).result,
            FetchResult::InvalidSpec(SpecError::Address)
        );
        let mut s = spec(respond(rule_json()));
        s.server_addr = CLIENT;
        assert_eq!(
            run(&s, &clean(5), 13, false).result,
            FetchResult::InvalidSpec(SpecError::Address)
        );
    }

    #[test]
    fn parser_is_strict_and_never_panics() {
        let ok = |s: &str| parse_response_head(s.as_bytes());
        assert_eq!(
            ok("HTTP/1.1 200 OK\r\nContent-Type: x\r\ncontent-length:  12 \r\n\r\nbody"),
            Ok(Some(ResponseHead {
                status: 200,
                head_len: 58,
                content_length: 12
            }))
        );
        assert_eq!(
            ok("HTTP/1.0 404\r\nContent-Length: 0\r\n\r\n").map(|h| h.map(|h| h.status)),
            Ok(Some(404))
        );
        assert_eq!(ok("HTTP/1.1 200 OK\r\nContent-Len"), Ok(None));
        assert_eq!(ok(""), Ok(None));
        let err = |s: &str| parse_response_head(s.as_bytes()).err();
        use ResponseError::*;
        assert_eq!(
            err("HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n"),
            Some(BadStatusLine)
        );
        assert_eq!(
            err("HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n"),
            Some(BadStatusLine)
        );
        assert_eq!(
            err("HTTP/1.1 999 OK\r\nContent-Length: 0\r\n\r\n"),
            Some(BadStatusLine)
        );
        assert_eq!(
            err("HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n"),
            Some(BadStatusLine)
        );
        assert_eq!(
            err("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"),
            Some(BadContentLength)
        );
        assert_eq!(
            err("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n"),
            Some(BadContentLength)
        );
        assert_eq!(
            err("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"),
            Some(BadContentLength)
        );
        assert_eq!(
            err("HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n"),
            Some(BodyTooLarge)
        );
        assert_eq!(
            err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Some(UnsupportedTransferEncoding)
        );
        assert_eq!(
            err("HTTP/1.1 200 OK\r\nno colon\r\nContent-Length: 0\r\n\r\n"),
            Some(BadHeader)
        );
        assert_eq!(
            err("HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n"),
            Some(BadHeader)
        );
        assert_eq!(
            err("HTTP/1.1 200 OK\r\nX: a\r\n folded\r\nContent-Length: 0\r\n\r\n"),
            Some(BadHeader)
        );
        assert_eq!(
            err("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n"),
            Some(BadStatusLine)
        );
        assert_eq!(
            err("HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 0\r\n\r\n"),
            Some(BadHeader)
        );
        assert_eq!(err("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), None);
        assert_eq!(err(&"x".repeat(MAX_RESPONSE_HEAD)), Some(HeadTooLong));
        // Every prefix of a valid response and arbitrary bytes: an answer, never a panic.
        let full = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
        for n in 0..full.len() {
            let _ = parse_response_head(&full[..n]);
        }
        let mut rng = SimRng::seed_from_u64(14);
        for _ in 0..2_000 {
            let len = (rng.next_u32() % 64) as usize;
            let alphabet = b"HTP/1.0 2:\r\n\t Cl-\x80";
            let mut junk: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.next_u32() as usize % alphabet.len()])
                .collect();
            let _ = parse_response_head(&junk);
            junk.extend_from_slice(b"\r\n\r\n");
            let _ = parse_response_head(&junk);
        }
    }
}
