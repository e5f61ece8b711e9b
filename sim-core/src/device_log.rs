//! The HGW's own log, as the device keeps it: a ring buffer of the last N
//! entries (1000 on the XG-100NE), shown newest first and numbered from 1:
//!
//! ```text
//! 473. 2021-07-18 19:21:11 JavaVM正常停止(reboot)
//! 474. 2021-07-18 19:21:11 ユーザ操作による再起動
//! ```
//!
//! Entries are stored as data ([`LogMessage`] is a small `Copy` enum); text is
//! made only when the log is rendered. Every message text lives in the one
//! table of `log_messages!` below. Only three of them have been observed on a
//! real device (see [`LogMessage::is_observed`]); the others are invented in
//! the same style so the simulated log can tell the whole boot story.
//!
//! Before NTP has set the clock, the device stamps entries with a clock that
//! started at [`UNSYNCED_EPOCH`] (2019-01-01 00:00:00) when it booted.

use std::collections::VecDeque;
use std::fmt;

use crate::time::{CivilDateTime, SimDuration};

/// Declares [`LogMessage`] and its text table in one place.
macro_rules! log_messages {
    ($( $(#[$doc:meta])* $variant:ident => $text:literal, $observed:literal; )+) => {
        /// A message the simulated HGW writes to its log.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum LogMessage {
            $( $(#[$doc])* $variant, )+
        }

        impl LogMessage {
            /// Every message, in table order.
            pub const ALL: &'static [LogMessage] = &[ $( LogMessage::$variant, )+ ];

            /// The text the device writes for this message.
            pub const fn text(self) -> &'static str {
                match self {
                    $( LogMessage::$variant => $text, )+
                }
            }

            /// Whether this text has been seen in a real XG-100NE log (the
            /// others are invented in the same style).
            pub const fn is_observed(self) -> bool {
                match self {
                    $( LogMessage::$variant => $observed, )+
                }
            }

            /// The message whose text is exactly `text`, if there is one.
            pub fn from_text(text: &str) -> Option<LogMessage> {
                match text {
                    $( $text => Some(LogMessage::$variant), )+
                    _ => None,
                }
            }
        }
    };
}

log_messages! {
    // Observed on a real XG-100NE (the seed report, entries 17..998, 473, 474).
    /// The Java VM (and with it the MAP-E/DS-Lite app runtime) started: a boot.
    Boot => "JavaVM起動(reboot)", true;
    /// The Java VM stopped cleanly before a requested reboot.
    JavaVmStopped => "JavaVM正常停止(reboot)", true;
    /// The user asked for a reboot (admin page or button).
    UserReboot => "ユーザ操作による再起動", true;

    // Invented, in the same style.
    /// The Java VM died without a clean stop.
    JavaVmCrashed => "JavaVM異常停止", false;
    /// The hardware watchdog reset the unit.
    WatchdogReset => "ウォッチドッグによる再起動", false;
    /// The unit was reset to factory settings (installed apps deleted).
    FactoryReset => "初期化による再起動", false;
    /// The WAN (ONU side) link came up.
    WanLinkUp => "WANリンクアップ", false;
    /// The WAN (ONU side) link went down.
    WanLinkDown => "WANリンクダウン", false;
    /// A /56 prefix was delegated by DHCPv6-PD.
    PrefixDelegated => "IPv6プレフィックス取得(DHCPv6-PD)", false;
    /// A /64 prefix was learnt from a router advertisement.
    PrefixFromRa => "IPv6プレフィックス取得(RA)", false;
    /// No server renewed or rebound the delegated prefix before its valid lifetime ended.
    PrefixExpired => "IPv6プレフィックス失効(DHCPv6-PD)", false;
    /// IPv6 connectivity established.
    Ipv6Up => "IPv6接続確立", false;
    /// IPv6 connectivity lost.
    Ipv6Down => "IPv6接続切断", false;
    /// The clock was set by NTP.
    NtpSynced => "時刻同期完了(NTP)", false;
    /// NTP did not answer.
    NtpFailed => "時刻同期失敗(NTP)", false;
    /// Flets Joint: the installed software was checked against the distributor.
    FletsJointChecked => "フレッツ・ジョイント ソフトウェア確認", false;
    /// Flets Joint: a software download started.
    FletsJointDownloadStarted => "フレッツ・ジョイント ソフトウェア配信開始", false;
    /// Flets Joint: the VNE's bundle was delivered and installed.
    FletsJointDelivered => "フレッツ・ジョイント ソフトウェア配信完了", false;
    /// Flets Joint: the download failed.
    FletsJointFailed => "フレッツ・ジョイント ソフトウェア配信失敗", false;
    // The VNE's app on the Java VM, one set of lines per VNE (see `servers::VneSoftware`).
    /// v6 plus: JPNE's MAP-E app started on the Java VM.
    JpneAppStarted => "JPNEアプリ起動", false;
    /// v6 plus: the app stopped.
    JpneAppStopped => "JPNEアプリ停止", false;
    /// v6 plus: the app ended abnormally.
    JpneAppCrashed => "JPNEアプリ異常終了", false;
    /// v6 plus: the app stopped answering (the watchdog will act).
    JpneAppHung => "JPNEアプリ応答なし", false;
    /// OCN Virtual Connect: NTT Communications' MAP-E app started.
    OcnAppStarted => "OCNバーチャルコネクトアプリ起動", false;
    /// OCN Virtual Connect: the app stopped.
    OcnAppStopped => "OCNバーチャルコネクトアプリ停止", false;
    /// OCN Virtual Connect: the app ended abnormally.
    OcnAppCrashed => "OCNバーチャルコネクトアプリ異常終了", false;
    /// OCN Virtual Connect: the app stopped answering.
    OcnAppHung => "OCNバーチャルコネクトアプリ応答なし", false;
    /// transix: Internet Multifeed's DS-Lite app started.
    TransixAppStarted => "transixアプリ起動", false;
    /// transix: the app stopped.
    TransixAppStopped => "transixアプリ停止", false;
    /// transix: the app ended abnormally.
    TransixAppCrashed => "transixアプリ異常終了", false;
    /// transix: the app stopped answering.
    TransixAppHung => "transixアプリ応答なし", false;
    /// The MAP rule was received from the VNE's rule server.
    MapRuleReceived => "MAPルール取得完了", false;
    /// The MAP rule fetch failed (will retry).
    MapRuleFetchFailed => "MAPルール取得失敗", false;
    /// MAP-E configured: IPv4 is up.
    MapEUp => "MAP-E接続確立", false;
    /// MAP-E torn down: IPv4 is down.
    MapEDown => "MAP-E接続切断", false;
    /// DS-Lite tunnel to the AFTR up: IPv4 is up.
    DsLiteUp => "DS-Lite接続確立", false;
    /// DS-Lite tunnel down.
    DsLiteDown => "DS-Lite接続切断", false;
    /// The MAP rule was fetched again at the end of its lifetime.
    MapRuleRefreshed => "MAPルール更新", false;
    /// The user changed the NAPT settings (idle timers) in the advanced settings.
    NaptSettingsChanged => "NAPT設定変更", false;
    /// The NAPT table (or the MAP-E port set) had no room for a new session.
    NaptTableFull => "NAPTテーブル溢れ", false;
    /// Someone logged in to the admin page.
    AdminLogin => "管理画面ログイン", false;
}

impl fmt::Display for LogMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// The XG-100NE keeps its last 1000 entries.
pub const XG100NE_LOG_CAPACITY: usize = 1000;

/// The clock an HGW shows before NTP has set it: it starts here at boot.
pub const UNSYNCED_EPOCH: CivilDateTime = CivilDateTime {
    year: 2019,
    month: 1,
    day: 1,
    hour: 0,
    minute: 0,
    second: 0,
};

/// How far past [`UNSYNCED_EPOCH`] a timestamp still counts as an unsynced clock.
pub const UNSYNCED_WINDOW: SimDuration = SimDuration::from_days(7);

/// The timestamp of an entry written `since_boot` after boot, before NTP sync:
/// `2019-01-01 00:00:41` for 41 s.
pub fn unsynced_timestamp(since_boot: SimDuration) -> CivilDateTime {
    let secs = i64::try_from(since_boot.as_secs()).unwrap_or(i64::MAX / 2);
    CivilDateTime::from_unix_seconds(UNSYNCED_EPOCH.to_unix_seconds().saturating_add(secs))
}

/// Whether a timestamp comes from a clock NTP has not set yet (within
/// [`UNSYNCED_WINDOW`] after [`UNSYNCED_EPOCH`]): its time of day means nothing.
pub fn is_unsynced(at: CivilDateTime) -> bool {
    let since = at.to_unix_seconds() - UNSYNCED_EPOCH.to_unix_seconds();
    (0..UNSYNCED_WINDOW.as_secs() as i64).contains(&since)
}

/// One line of the log: when (by the device's clock) and what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub at: CivilDateTime,
    pub message: LogMessage,
}

impl fmt::Display for LogEntry {
    /// `2021-07-18 19:21:11 JavaVM正常停止(reboot)` (without the index).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.at, self.message.text())
    }
}

/// The device's log: a ring buffer of the last `capacity` entries.
#[derive(Clone, Debug)]
pub struct DeviceLog {
    /// Oldest at the front, newest at the back.
    entries: VecDeque<LogEntry>,
    capacity: usize,
    written: u64,
}

impl Default for DeviceLog {
    fn default() -> Self {
        DeviceLog::new()
    }
}

impl DeviceLog {
    /// A log that keeps the last 1000 entries, like the XG-100NE's.
    pub fn new() -> DeviceLog {
        DeviceLog::with_capacity(XG100NE_LOG_CAPACITY)
    }

    /// A log that keeps the last `capacity` entries (0 keeps none).
    pub fn with_capacity(capacity: usize) -> DeviceLog {
        // Nothing reserved up front: the ring grows as written, so an area of many homes
        // whose logs hold a few dozen entries each does not pay for a thousand each.
        DeviceLog {
            entries: VecDeque::new(),
            capacity,
            written: 0,
        }
    }

    /// How many entries the ring keeps.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Writes an entry; once full, the oldest entry is dropped.
    pub fn push(&mut self, at: CivilDateTime, message: LogMessage) {
        self.written += 1;
        if self.capacity == 0 {
            return;
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(LogEntry { at, message });
    }

    /// Entries currently kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries ever written, including those the ring has dropped.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The entries, newest first (the order the device shows, index 1 first).
    pub fn newest_first(&self) -> impl ExactSizeIterator<Item = &LogEntry> + DoubleEndedIterator {
        self.entries.iter().rev()
    }

    /// The entry the device shows as number `index` (1 = newest).
    pub fn get(&self, index: usize) -> Option<&LogEntry> {
        let from_back = index.checked_sub(1)?;
        let position = self.entries.len().checked_sub(from_back + 1)?;
        self.entries.get(position)
    }

    /// Appends the log as the device shows it: newest first, numbered from 1,
    /// `473. 2021-07-18 19:21:11 JavaVM正常停止(reboot)\n`.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write as _;
        // Writing into a String cannot fail.
        let _ = write!(out, "{self}");
    }
}

impl fmt::Display for DeviceLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, entry) in self.newest_first().enumerate() {
            writeln!(f, "{}. {} {}", i + 1, entry.at, entry.message.text())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> CivilDateTime {
        CivilDateTime::parse(text).expect("valid timestamp")
    }

    #[test]
    fn message_table_is_consistent() {
        for &m in LogMessage::ALL {
            assert_eq!(LogMessage::from_text(m.text()), Some(m), "{m:?}");
        }
        let observed: Vec<_> = LogMessage::ALL.iter().filter(|m| m.is_observed()).collect();
        assert_eq!(
            observed,
            [
                &LogMessage::Boot,
                &LogMessage::JavaVmStopped,
                &LogMessage::UserReboot
            ]
        );
        assert_eq!(LogMessage::Boot.text(), "JavaVM起動(reboot)");
        assert_eq!(LogMessage::JavaVmStopped.text(), "JavaVM正常停止(reboot)");
        assert_eq!(LogMessage::UserReboot.text(), "ユーザ操作による再起動");
        assert_eq!(LogMessage::from_text("JavaVM起動"), None);
    }

    #[test]
    fn renders_exactly_as_the_device_shows_it() {
        let mut log = DeviceLog::new();
        log.push(at("2021-07-18 19:20:40"), LogMessage::AdminLogin);
        log.push(at("2021-07-18 19:22:19"), LogMessage::Boot);
        let mut text = String::new();
        log.render(&mut text);
        assert_eq!(
            text,
            "1. 2021-07-18 19:22:19 JavaVM起動(reboot)\n2. 2021-07-18 19:20:40 管理画面ログイン\n"
        );
        assert_eq!(log.to_string(), text);
        assert_eq!(DeviceLog::new().to_string(), "");
    }

    #[test]
    fn user_reboot_pair_shows_stop_above_request() {
        // The device writes the request first, then the clean stop in the same second.
        let mut log = DeviceLog::new();
        let t = at("2021-07-18 19:21:11");
        log.push(t, LogMessage::UserReboot);
        log.push(t, LogMessage::JavaVmStopped);
        assert_eq!(
            log.to_string(),
            "1. 2021-07-18 19:21:11 JavaVM正常停止(reboot)\n2. 2021-07-18 19:21:11 ユーザ操作による再起動\n"
        );
        // Pushed at the report's position, the pair reads as 473/474 there.
        let mut log = DeviceLog::new();
        log.push(t, LogMessage::UserReboot);
        log.push(t, LogMessage::JavaVmStopped);
        for _ in 0..472 {
            log.push(at("2021-07-18 19:22:19"), LogMessage::NtpSynced);
        }
        let text = log.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[472], "473. 2021-07-18 19:21:11 JavaVM正常停止(reboot)");
        assert_eq!(lines[473], "474. 2021-07-18 19:21:11 ユーザ操作による再起動");
    }

    #[test]
    fn ring_keeps_the_last_capacity_entries() {
        let mut log = DeviceLog::new();
        let start = at("2021-04-19 00:00:00").to_unix_seconds();
        for i in 0..1005 {
            log.push(
                CivilDateTime::from_unix_seconds(start + i * 60),
                LogMessage::NtpSynced,
            );
        }
        assert_eq!(log.len(), 1000);
        assert_eq!(log.written(), 1005);
        // Newest is number 1; the oldest five (minutes 0..4) are gone.
        assert_eq!(
            log.get(1).map(|e| e.at),
            Some(CivilDateTime::from_unix_seconds(start + 1004 * 60))
        );
        assert_eq!(
            log.get(1000).map(|e| e.at),
            Some(CivilDateTime::from_unix_seconds(start + 5 * 60))
        );
        assert!(log.get(0).is_none() && log.get(1001).is_none());
        let text = log.to_string();
        assert_eq!(text.lines().count(), 1000);
        assert!(text.starts_with("1. 2021-04-19 16:44:00 時刻同期完了(NTP)\n"));
        assert!(text.ends_with("1000. 2021-04-19 00:05:00 時刻同期完了(NTP)\n"));
        assert!(!text.contains(" 00:04:00 "));
        let newest_first: Vec<_> = log.newest_first().map(|e| e.at).collect();
        assert!(newest_first.windows(2).all(|w| w[0] > w[1]));
    }

    #[test]
    fn zero_capacity_keeps_nothing() {
        let mut log = DeviceLog::with_capacity(0);
        log.push(UNSYNCED_EPOCH, LogMessage::Boot);
        assert!(log.is_empty());
        assert_eq!(log.written(), 1);
    }

    #[test]
    fn unsynced_clock_counts_from_2019() {
        assert_eq!(
            unsynced_timestamp(SimDuration::from_secs(41)).to_string(),
            "2019-01-01 00:00:41"
        );
        assert_eq!(unsynced_timestamp(SimDuration::ZERO), UNSYNCED_EPOCH);
        assert!(is_unsynced(at("2019-01-01 00:00:41")));
        assert!(is_unsynced(unsynced_timestamp(SimDuration::from_hours(30))));
        assert!(!is_unsynced(at("2021-10-14 17:35:28")));
        assert!(!is_unsynced(at("2018-12-31 23:59:59")));
    }
}
