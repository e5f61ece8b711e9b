//! Classic pcap files of a simulated link, for Wireshark and tshark.
//!
//! One file holds one link's packets as raw IP (LINKTYPE_RAW: IPv4 or IPv6
//! by the version nibble, no link header), which is what the simulator
//! builds (`sim_core::packet`, `sim_core::fetch::CapturedPacket`). The file
//! is little-endian whatever the machine, with microsecond timestamps, so
//! the same run gives the same bytes everywhere.
//!
//! Timestamps are the scenario's calendar: the caller passes the start as
//! seconds since 1970 (`sim_core::time::Calendar::start_unix_seconds`) and
//! each packet's `SimTime`. That calendar is the local clock (JST) read as if
//! it were UTC, so Wireshark set to show UTC prints the scenario's own
//! local times (`2021-07-18 19:21:11`); shown in a viewer's local zone they
//! are shifted by that zone's offset.
//!
//! The 24-byte file header and 16-byte record header are written by hand:
//! they are a few fixed fields, and the `pcap-file` crate would add a
//! dependency, default to native byte order and refuse (rather than cut)
//! a packet longer than the snapshot length.

use std::io::{self, Write};

use sim_core::time::SimTime;

/// Magic number of a pcap file with microsecond timestamps (written little-endian).
pub const MAGIC_MICROSECONDS: u32 = 0xa1b2_c3d4;
/// Format version 2.4.
pub const VERSION: (u16, u16) = (2, 4);
/// Longest packet kept whole; longer ones are cut, their original length recorded.
pub const SNAPLEN: u32 = 65_535;
/// Raw IPv4 or IPv6, no link-layer header.
pub const LINKTYPE_RAW: u32 = 101;

/// The 24-byte file header: magic, version 2.4, thiszone 0, sigfigs 0, snaplen, link type.
pub fn file_header() -> [u8; 24] {
    let mut h = [0u8; 24];
    h[0..4].copy_from_slice(&MAGIC_MICROSECONDS.to_le_bytes());
    h[4..6].copy_from_slice(&VERSION.0.to_le_bytes());
    h[6..8].copy_from_slice(&VERSION.1.to_le_bytes());
    // thiszone (8..12) and sigfigs (12..16) stay 0.
    h[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
    h[20..24].copy_from_slice(&LINKTYPE_RAW.to_le_bytes());
    h
}

/// Writes one link's packets as a pcap file to any `io::Write` (wrap a file in a `BufWriter`).
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    out: W,
    unix_seconds_at_start: i64,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header; packet times count from `unix_seconds_at_start` (the scenario's
    /// calendar start). A start before 1970 or after 2106 (outside pcap's u32 seconds) is refused.
    pub fn new(mut out: W, unix_seconds_at_start: i64) -> io::Result<PcapWriter<W>> {
        if u32::try_from(unix_seconds_at_start).is_err() {
            return Err(out_of_range(unix_seconds_at_start));
        }
        out.write_all(&file_header())?;
        Ok(PcapWriter {
            out,
            unix_seconds_at_start,
        })
    }

    /// Appends one packet seen at `at`; bytes beyond [`SNAPLEN`] are cut, the original length kept.
    /// Records go out in call order: feed a link's packets in time order.
    pub fn write_packet(&mut self, at: SimTime, bytes: &[u8]) -> io::Result<()> {
        let record = record_header(self.unix_seconds_at_start, at, bytes.len())?;
        let kept = bytes.len().min(SNAPLEN as usize);
        self.out.write_all(&record)?;
        self.out.write_all(&bytes[..kept])
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The underlying writer (not flushed).
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// The 16-byte record header of a packet of `len` bytes seen at `at`.
fn record_header(unix_seconds_at_start: i64, at: SimTime, len: usize) -> io::Result<[u8; 16]> {
    let nanos = at.as_nanos();
    // Both terms are far from i64's limits: the start fits in u32 and u64 ns are < 2^35 s.
    let seconds = unix_seconds_at_start + (nanos / 1_000_000_000) as i64;
    let ts_sec = u32::try_from(seconds).map_err(|_| out_of_range(seconds))?;
    let ts_usec = ((nanos % 1_000_000_000) / 1_000) as u32;
    let orig_len = u32::try_from(len).unwrap_or(u32::MAX);
    let incl_len = orig_len.min(SNAPLEN);
    let mut h = [0u8; 16];
    h[0..4].copy_from_slice(&ts_sec.to_le_bytes());
    h[4..8].copy_from_slice(&ts_usec.to_le_bytes());
    h[8..12].copy_from_slice(&incl_len.to_le_bytes());
    h[12..16].copy_from_slice(&orig_len.to_le_bytes());
    Ok(h)
}

fn out_of_range(seconds: i64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("time {seconds} s since 1970 is outside what a pcap file can hold (1970 to 2106)"),
    )
}

/// Writes a whole link's capture: the header, then the packets sorted by time (packets at the
/// same instant keep their given order). Returns the writer.
pub fn write_capture<W: Write, B: AsRef<[u8]>>(
    out: W,
    unix_seconds_at_start: i64,
    packets: impl IntoIterator<Item = (SimTime, B)>,
) -> io::Result<W> {
    let mut packets: Vec<(SimTime, B)> = packets.into_iter().collect();
    packets.sort_by_key(|(at, _)| *at);
    let mut writer = PcapWriter::new(out, unix_seconds_at_start)?;
    for (at, bytes) in &packets {
        writer.write_packet(*at, bytes.as_ref())?;
    }
    Ok(writer.into_inner())
}

#[cfg(test)]
mod tests {
    use sim_core::time::{Calendar, CivilDateTime, SimDuration};

    use super::*;

    fn calendar() -> Calendar {
        Calendar::new(CivilDateTime::new(2021, 7, 18, 19, 21, 11).expect("valid"))
    }

    #[test]
    fn file_header_bytes_are_exact() {
        let out = PcapWriter::new(Vec::new(), 0).expect("in range").into_inner();
        assert_eq!(
            out,
            [
                0xd4, 0xc3, 0xb2, 0xa1, // magic, little-endian
                2, 0, 4, 0, // version 2.4
                0, 0, 0, 0, // thiszone
                0, 0, 0, 0, // sigfigs
                0xff, 0xff, 0, 0, // snaplen 65535
                101, 0, 0, 0, // LINKTYPE_RAW
            ]
        );
    }

    #[test]
    fn record_bytes_are_exact() {
        let mut w = PcapWriter::new(Vec::new(), 0x0102_0304).expect("in range");
        let at = SimTime::from_nanos(5_000_000_000 + 123_456_789);
        w.write_packet(at, &[0x60, 1, 2]).expect("in memory");
        let out = w.into_inner();
        assert_eq!(
            out[24..],
            [
                0x09, 0x03, 0x02, 0x01, // seconds: start + 5
                0x40, 0xe2, 0x01, 0x00, // 123456 microseconds (nanoseconds truncated)
                3, 0, 0, 0, // included length
                3, 0, 0, 0, // original length
                0x60, 1, 2,
            ]
        );
    }

    #[test]
    fn timestamps_come_from_the_calendar() {
        let cal = calendar();
        let at = SimTime::ZERO + SimDuration::from_hours(8) + SimDuration::from_micros(250);
        let mut w = PcapWriter::new(Vec::new(), cal.start_unix_seconds()).expect("in range");
        w.write_packet(at, &[0x45]).expect("in memory");
        let out = w.into_inner();
        let ts_sec = u32::from_le_bytes([out[24], out[25], out[26], out[27]]);
        let ts_usec = u32::from_le_bytes([out[28], out[29], out[30], out[31]]);
        let shown = CivilDateTime::from_unix_seconds(ts_sec.into());
        assert_eq!(shown, cal.at(at));
        assert_eq!(shown.to_string(), "2021-07-19 03:21:11");
        assert_eq!(ts_usec, 250);
    }

    #[test]
    fn long_packets_are_cut_with_their_length_kept() {
        let mut w = PcapWriter::new(Vec::new(), 0).expect("in range");
        w.write_packet(SimTime::ZERO, &vec![0xab; 70_000])
            .expect("in memory");
        let out = w.into_inner();
        assert_eq!(out[32..36], 65_535u32.to_le_bytes());
        assert_eq!(out[36..40], 70_000u32.to_le_bytes());
        assert_eq!(out.len(), 24 + 16 + 65_535);
    }

    #[test]
    fn times_outside_pcap_range_are_errors_not_panics() {
        assert!(PcapWriter::new(Vec::new(), -1).is_err());
        assert!(PcapWriter::new(Vec::new(), 1 << 32).is_err());
        let mut w = PcapWriter::new(Vec::new(), i64::from(u32::MAX) - 1).expect("in range");
        w.write_packet(SimTime::from_nanos(1_999_999_999), &[1])
            .expect("2106");
        let err = w
            .write_packet(SimTime::from_nanos(2_000_000_000), &[1])
            .expect_err("past 2106");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let mut w = PcapWriter::new(Vec::new(), 0).expect("in range");
        assert!(w.write_packet(SimTime::MAX, &[1]).is_err());
    }

    #[test]
    fn same_packets_give_the_same_bytes() {
        let packets =
            |n: u64| (0..n).map(|i| (SimTime::from_nanos(i * 1_234_567), vec![0x60, i as u8, 0, 0]));
        let start = calendar().start_unix_seconds();
        let a = write_capture(Vec::new(), start, packets(50)).expect("in memory");
        let b = write_capture(Vec::new(), start, packets(50)).expect("in memory");
        assert_eq!(a, b);
        assert_eq!(a.len(), 24 + 50 * (16 + 4));
    }

    #[test]
    fn a_capture_is_sorted_by_time_and_stable() {
        let t = |ms: u64| SimTime::from_nanos(ms * 1_000_000);
        let packets = [(t(5), [3u8]), (t(1), [1]), (t(5), [4]), (t(2), [2])];
        let out = write_capture(Vec::new(), 0, packets).expect("in memory");
        let order: Vec<u8> = (0..4).map(|i| out[24 + i * 17 + 16]).collect();
        assert_eq!(order, [1, 2, 3, 4]);
    }
}
