//! `fletsim log analyze`: the shipped evidence log (and its generator), the
//! parser's tolerance, the errors, and a round trip from the simulated
//! device log.
//!
//! Regenerate the evidence log after changing the generator with
//! `FLETSIM_BLESS=1 cargo test -p fletsim --test integration log_analyze::`.

use std::path::{Path, PathBuf};

use harness::log_analyze::{
    LogAnalyzeArgs, LogAnalyzeError, LogParseError, analyze, parse_log, parse_log_bytes, run,
};
use sim_core::device_log::{DeviceLog, LogMessage, unsynced_timestamp};
use sim_core::time::{CivilDateTime, SimDuration};

/// The seed report's 38 `JavaVM起動(reboot)` lines: index and timestamp.
const REPORT_BOOTS: [(usize, &str); 38] = [
    (17, "2021-10-14 17:35:28"),
    (27, "2021-10-14 08:03:32"),
    (51, "2021-10-10 21:27:11"),
    (73, "2021-10-07 16:21:40"),
    (96, "2019-01-01 00:00:41"),
    (107, "2021-10-05 08:56:03"),
    (124, "2021-10-04 08:49:59"),
    (158, "2021-09-28 17:12:07"),
    (171, "2021-09-27 14:57:28"),
    (181, "2021-09-26 09:55:04"),
    (213, "2021-09-20 07:03:26"),
    (224, "2021-09-18 20:55:43"),
    (236, "2021-09-16 09:49:01"),
    (252, "2021-09-13 00:34:16"),
    (295, "2021-08-31 06:00:25"),
    (323, "2021-08-22 18:27:34"),
    (357, "2021-08-15 09:02:57"),
    (370, "2021-08-13 12:38:50"),
    (384, "2021-08-11 12:15:18"),
    (414, "2021-07-31 05:09:34"),
    (425, "2021-07-30 00:46:32"),
    (458, "2021-07-21 02:58:44"),
    (469, "2021-07-18 19:22:19"),
    (490, "2021-07-15 10:47:09"),
    (500, "2021-07-14 07:33:58"),
    (519, "2021-07-09 22:10:14"),
    (531, "2021-07-07 16:34:27"),
    (572, "2021-06-25 02:15:56"),
    (634, "2021-06-07 10:52:56"),
    (674, "2021-05-28 10:01:01"),
    (762, "2021-05-18 15:23:13"),
    (770, "2021-05-16 22:34:03"),
    (801, "2021-05-05 21:30:34"),
    (886, "2021-04-24 21:17:01"),
    (896, "2021-04-24 01:02:10"),
    (908, "2021-04-22 02:56:28"),
    (916, "2021-04-21 01:32:46"),
    (998, "2021-04-19 18:02:00"),
];

/// The user reboot of the report: request at 474, clean stop at 473, same second.
const USER_REBOOT: (usize, usize, &str) = (474, 473, "2021-07-18 19:21:11");
/// The boot that followed it (listed by the report as if spontaneous).
const USER_REBOOT_BOOT: usize = 469;
/// The report's boot with an unsynced clock.
const UNSYNCED_BOOT: usize = 96;

fn at(text: &str) -> CivilDateTime {
    CivilDateTime::parse(text).expect("valid timestamp")
}

fn plus(t: CivilDateTime, secs: i64) -> CivilDateTime {
    CivilDateTime::from_unix_seconds(t.to_unix_seconds() + secs)
}

fn evidence_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/hypotheses/evidence-report-2021.log")
}

/// The 1000-entry evidence log: the report's lines at their indices, every
/// other index a neutral invented entry with a consistent timestamp.
///
/// Around each boot: before it (larger indices) WAN link up, IPv6 up and NTP
/// sync; after it the Flets Joint check, the app start, the MAP rule and
/// MAP-E up. The boot at 96 came up with an unsynced clock: the lines of that
/// boot until NTP sync carry 2019-01-01 00:00:xx. The pair 473/474 is preceded
/// by an admin login. Remaining indices hold routine lines (NTP, MAP rule
/// refresh, Flets Joint check, prefix renewal) spread evenly in time between
/// their fixed neighbours; none of them suggests a cause (no NAPT overflow,
/// no crash), so the log is no evidence beyond what the report shows.
fn generate_evidence_log() -> String {
    const N: usize = 1000;
    let newest = at("2021-10-15 08:47:13");
    let mut slots: Vec<Option<(CivilDateTime, LogMessage)>> = vec![None; N + 1];
    let set = |slots: &mut Vec<Option<(CivilDateTime, LogMessage)>>, index: usize, t, m| {
        if (1..=N).contains(&index) && slots[index].is_none() {
            slots[index] = Some((t, m));
        }
    };

    for &(index, time) in &REPORT_BOOTS {
        set(&mut slots, index, at(time), LogMessage::Boot);
    }
    let (request, stop, time) = USER_REBOOT;
    set(&mut slots, request, at(time), LogMessage::UserReboot);
    set(&mut slots, stop, at(time), LogMessage::JavaVmStopped);
    set(
        &mut slots,
        request + 1,
        plus(at(time), -31),
        LogMessage::AdminLogin,
    );

    // The unsynced boot: the boot's own lines by the 2019 clock, then NTP sync.
    let ntp_at = at("2021-10-06 03:14:27");
    let unsynced = |s: u64| unsynced_timestamp(SimDuration::from_secs(s));
    set(&mut slots, UNSYNCED_BOOT + 3, unsynced(14), LogMessage::WanLinkUp);
    set(
        &mut slots,
        UNSYNCED_BOOT + 2,
        unsynced(33),
        LogMessage::PrefixDelegated,
    );
    set(&mut slots, UNSYNCED_BOOT + 1, unsynced(34), LogMessage::Ipv6Up);
    set(
        &mut slots,
        UNSYNCED_BOOT - 1,
        unsynced(50),
        LogMessage::JpneAppStarted,
    );
    set(&mut slots, UNSYNCED_BOOT - 2, ntp_at, LogMessage::NtpSynced);
    set(
        &mut slots,
        UNSYNCED_BOOT - 3,
        plus(ntp_at, 4),
        LogMessage::FletsJointChecked,
    );
    set(
        &mut slots,
        UNSYNCED_BOOT - 4,
        plus(ntp_at, 9),
        LogMessage::MapRuleReceived,
    );
    set(
        &mut slots,
        UNSYNCED_BOOT - 5,
        plus(ntp_at, 10),
        LogMessage::MapEUp,
    );

    // Every other boot kept its clock (warm reboot): its boot lines around it.
    for &(index, time) in &REPORT_BOOTS {
        if index == UNSYNCED_BOOT {
            continue;
        }
        let t = at(time);
        set(&mut slots, index + 3, plus(t, -52), LogMessage::WanLinkUp);
        set(&mut slots, index + 2, plus(t, -30), LogMessage::Ipv6Up);
        set(&mut slots, index + 1, plus(t, -12), LogMessage::NtpSynced);
        set(&mut slots, index - 1, plus(t, 6), LogMessage::FletsJointChecked);
        set(&mut slots, index - 2, plus(t, 9), LogMessage::JpneAppStarted);
        set(&mut slots, index - 3, plus(t, 14), LogMessage::MapRuleReceived);
        set(&mut slots, index - 4, plus(t, 15), LogMessage::MapEUp);
    }

    // Routine lines in the remaining runs of free indices, evenly in time
    // between the nearest fixed entries with a synced clock on either side.
    const ROUTINE: [LogMessage; 4] = [
        LogMessage::NtpSynced,
        LogMessage::MapRuleReceived,
        LogMessage::FletsJointChecked,
        LogMessage::PrefixDelegated,
    ];
    let synced_time = |slot: &Option<(CivilDateTime, LogMessage)>| {
        slot.filter(|(t, _)| t.year != 2019)
            .map(|(t, _)| t.to_unix_seconds())
    };
    let mut index = N;
    while index >= 1 {
        if slots[index].is_some() {
            index -= 1;
            continue;
        }
        let oldest = index;
        let mut newest_free = index;
        while newest_free > 1 && slots[newest_free - 1].is_none() {
            newest_free -= 1;
        }
        let lower = (oldest + 1..=N).find_map(|i| synced_time(&slots[i]));
        let upper = (1..newest_free).rev().find_map(|i| synced_time(&slots[i]));
        let upper = upper.unwrap_or(newest.to_unix_seconds() + 1);
        let lower = lower.expect("the oldest entries are fixed");
        let k = (oldest - newest_free + 1) as i64;
        let step = (upper - lower) / (k + 1);
        for (j, i) in (newest_free..=oldest).rev().enumerate() {
            let j = j as i64 + 1;
            // A deterministic jitter of less than a quarter step keeps the order.
            let jitter = ((i as i64 * 7919) % 101 - 50) * (step / 4) / 50;
            let t = CivilDateTime::from_unix_seconds(lower + step * j + jitter);
            slots[i] = Some((t, ROUTINE[(i * 7) % ROUTINE.len()]));
        }
        index = newest_free - 1;
    }

    let mut log = DeviceLog::new();
    for slot in slots[1..].iter().rev() {
        let (t, m) = slot.expect("every index filled");
        log.push(t, m);
    }
    assert_eq!(log.len(), N);
    log.to_string()
}

#[test]
fn evidence_log_is_the_generators_output() {
    let generated = generate_evidence_log();
    let path = evidence_path();
    if std::env::var_os("FLETSIM_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write the evidence log");
    }
    let committed = std::fs::read_to_string(&path).expect("evidence log present");
    assert!(
        committed == generated,
        "{} differs from the generator; rerun with FLETSIM_BLESS=1",
        path.display()
    );
}

#[test]
fn evidence_log_holds_the_reports_lines_and_consistent_times() {
    let text = generate_evidence_log();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1000);
    for &(index, time) in &REPORT_BOOTS {
        assert_eq!(lines[index - 1], format!("{index}. {time} JavaVM起動(reboot)"));
    }
    assert_eq!(lines[472], "473. 2021-07-18 19:21:11 JavaVM正常停止(reboot)");
    assert_eq!(lines[473], "474. 2021-07-18 19:21:11 ユーザ操作による再起動");
    assert_eq!(text.matches("JavaVM起動(reboot)").count(), 38);
    assert_eq!(text.matches("ユーザ操作による再起動").count(), 1);
    assert_eq!(text.matches("JavaVM正常停止(reboot)").count(), 1);
    // Newest first: synced timestamps never increase going down the list.
    let log = parse_log(&text).expect("parses");
    let synced: Vec<_> = log
        .entries
        .iter()
        .filter(|e| e.clock_synced())
        .map(|e| e.at)
        .collect();
    assert!(synced.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(
        log.entries.len() - synced.len(),
        5,
        "the boot at 96 and its lines before NTP"
    );
}

fn run_text(path: &Path, json: bool) -> Result<String, LogAnalyzeError> {
    let args = LogAnalyzeArgs {
        log: path.to_path_buf(),
        json: json.then_some(harness::outputs::Destination::Stdout),
        force: false,
        output: harness::options::OutputOptions::default(),
    };
    let mut out = Vec::new();
    // A pipe, not a terminal: no colour.
    run(&args, &harness::console::Environment::default(), &mut out)?;
    Ok(String::from_utf8(out).expect("UTF-8 output"))
}

#[test]
fn evidence_log_lists_the_37_spontaneous_reboots_as_the_report_did() {
    let out = run_text(&evidence_path(), false).expect("analysis");
    let expected: Vec<String> = REPORT_BOOTS
        .iter()
        .filter(|(index, _)| *index != USER_REBOOT_BOOT)
        .map(|(index, time)| format!("{index:>5}. {time} JavaVM起動(reboot)"))
        .collect();
    assert_eq!(expected.len(), 37);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "There are 1000 entries.");
    assert_eq!(lines[1], "   17. 2021-10-14 17:35:28 JavaVM起動(reboot)");
    assert_eq!(lines[1..38], expected[..]);
    assert_eq!(lines[38], "");
    // Byte for byte the report's block, less entry 469.
    let report_block = "There are 1000 entries.\n   17. 2021-10-14 17:35:28 JavaVM起動(reboot)\n   27. 2021-10-14 08:03:32 JavaVM起動(reboot)\n   51. 2021-10-10 21:27:11 JavaVM起動(reboot)\n";
    assert!(out.starts_with(report_block));
    assert!(out.contains(
        "  458. 2021-07-21 02:58:44 JavaVM起動(reboot)\n  490. 2021-07-15 10:47:09 JavaVM起動(reboot)\n"
    ));

    let log = parse_log(&std::fs::read_to_string(evidence_path()).expect("read")).expect("parse");
    let a = analyze(&log);
    assert_eq!(a.entries, 1000);
    assert_eq!(a.boots, 38);
    assert_eq!(a.spontaneous_reboots.len(), 37);
    assert_eq!(a.statistics.spontaneous_unsynced, 1);
    assert_eq!(a.user_reboots.len(), 1);
    let user = &a.user_reboots[0];
    assert_eq!(user.request.index, 474);
    assert_eq!(user.stop.as_ref().map(|e| e.index), Some(473));
    assert_eq!(user.boot.as_ref().map(|e| e.index), Some(469));
    let unsynced_boot: Vec<u64> = a
        .unsynced
        .iter()
        .filter(|e| e.message.known() == Some(LogMessage::Boot))
        .map(|e| e.index)
        .collect();
    assert_eq!(unsynced_boot, [96]);
    assert!(out.contains("\nUnsynced clock"));
    assert!(out.contains("\n   96. 2019-01-01 00:00:41 JavaVM起動(reboot)\n"));
    assert_eq!(a.statistics.first.as_ref().map(|e| e.index), Some(998));
    assert_eq!(a.statistics.last.as_ref().map(|e| e.index), Some(17));
    // 37 reboots, 36 intervals, less the two on either side of the unsynced boot.
    assert_eq!(a.statistics.intervals_secs.len(), 34);
    assert_eq!(a.statistics.hour_of_day.iter().sum::<usize>(), 36);
    assert!(a.skipped.is_empty());
}

#[test]
fn json_output_is_one_object_with_the_same_analysis() {
    let out = run_text(&evidence_path(), true).expect("analysis");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(v["entries"], 1000);
    assert_eq!(v["spontaneous_reboots"].as_array().map(Vec::len), Some(37));
    assert_eq!(v["spontaneous_reboots"][0]["index"], 17);
    assert_eq!(v["spontaneous_reboots"][0]["at"], "2021-10-14 17:35:28");
    assert_eq!(v["spontaneous_reboots"][0]["message"], "JavaVM起動(reboot)");
    assert_eq!(v["spontaneous_reboots"][0]["kind"], "boot");
    assert_eq!(v["user_reboots"][0]["boot"]["index"], 469);
    assert_eq!(v["statistics"]["spontaneous"], 37);
    assert_eq!(v["statistics"]["hour_of_day"].as_array().map(Vec::len), Some(24));
    assert!(
        v["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("evidence-report-2021.log"))
    );
}

#[test]
fn tolerates_crlf_bom_blank_lines_headers_and_unknown_messages() {
    let text = "\u{feff}ログ情報\r\n\r\nThere are 5 entries.\r\n\
        1. 2021-10-14 17:40:00 何か知らないメッセージ\r\n\
        2. 2021-10-14 17:35:28 JavaVM起動(reboot)\r\n\
        \r\n\
        3. 2021-10-14 17:35:00 WANリンクアップ\r\n\
        4. 2021-10-14 08:03:32 JavaVM起動(reboot)\r\n\
        5. 2021-10-13 23:00:00 時刻同期完了(NTP)\r\n\
        戻る\r\n";
    let log = parse_log(text).expect("parses");
    assert_eq!(log.entries.len(), 5);
    assert!(log.skipped.is_empty());
    assert_eq!(log.other_lines, 3);
    assert_eq!(log.entries[0].message.text(), "何か知らないメッセージ");
    assert_eq!(log.entries[0].message.known(), None);
    assert_eq!(log.entries[0].line, 4);
    assert_eq!(log.declared_entries, Some(5));
    let a = analyze(&log);
    // Five entries of a ring that keeps 1000: the log has not wrapped, so its oldest boot (4)
    // is the unit's first power-on and only the boot at 2 is spontaneous.
    assert_eq!(a.first_power_on.as_ref().map(|e| e.index), Some(4));
    assert_eq!(a.spontaneous_reboots.len(), 1);
    assert_eq!(a.spontaneous_reboots[0].index, 2);
    assert!(a.statistics.intervals_secs.is_empty());
    // The same through bytes.
    let again = parse_log_bytes(text.as_bytes()).expect("parses");
    assert_eq!(again.entries, log.entries);
}

#[test]
fn malformed_entry_lines_are_reported_with_line_numbers_and_skipped() {
    let text = "There are 5 entries.\n\
        1. 2021-10-14 17:40:00 時刻同期完了(NTP)\n\
        2. 2021-02-30 17:35:28 JavaVM起動(reboot)\n\
        3. 2021/10/14 17:35:00 JavaVM起動(reboot)\n\
        4. 2021-10-14 08:03:32\n\
        5. 2021-10-14 08:03:00 JavaVM起動(reboot)\n";
    let log = parse_log(text).expect("parses");
    assert_eq!(log.entries.len(), 2);
    let skipped: Vec<String> = log.skipped.iter().map(ToString::to_string).collect();
    assert_eq!(
        skipped,
        [
            "skipped line 3: impossible date or time `2021-02-30 17:35:28`",
            "skipped line 4: bad timestamp `2021/10/14 17:35:00` (expected YYYY-MM-DD HH:MM:SS)",
            "skipped line 5: no message after the timestamp",
        ]
    );
    let path = write_temp("malformed.log", text.as_bytes());
    let out = run_text(&path, false).expect("analysis");
    assert!(out.contains("\nSkipped lines (3)\n  skipped line 3: impossible date"));
    // Five entries counted: not wrapped, so the one boot left (5, the oldest) is the first power-on.
    assert!(out.starts_with("There are 2 entries.\n\nStatistics\n  spontaneous reboots  0\n"));
    assert!(out.contains(
        "\n  first power-on       2021-10-14 08:03:00 (entry 5; the log has not wrapped, so its oldest boot is the unit's first)\n"
    ));
}

fn write_temp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("log_analyze");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write temp file");
    path
}

#[test]
fn what_is_not_a_log_is_an_error_naming_the_file() {
    let cases: [(&str, &[u8], LogParseError); 5] = [
        ("empty.log", b"", LogParseError::Empty),
        ("blank.log", b"\n\r\n  \n", LogParseError::Empty),
        (
            "binary.log",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
            LogParseError::NotUtf8 { line: 1 },
        ),
        (
            "prose.log",
            "設定を保存しました。\nThere are 0 entries.\n".as_bytes(),
            LogParseError::NoEntries,
        ),
        (
            "sjis.log",
            b"1. 2021-10-14 17:35:28 JavaVM\x8bN\x93\xae(reboot)\n",
            LogParseError::NotUtf8 { line: 1 },
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = write_temp(name, bytes);
        let err = run_text(&path, false).expect_err(name);
        assert_eq!(err.exit_code(), 2, "{name}");
        let message = err.to_string();
        assert!(message.contains(name) && !message.contains('\n'), "{message}");
        match err {
            LogAnalyzeError::NotALog { source, .. } => assert_eq!(source, expected, "{name}"),
            other => panic!("{name}: {other}"),
        }
    }
    let all_bad = write_temp("all-bad.log", b"1. yesterday JavaVM\n2. 2021-13-01 00:00:00 x\n");
    let err = run_text(&all_bad, false).expect_err("all malformed");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: not an HGW log: none of its 2 entry lines is valid (line 1: bad timestamp `yesterday JavaVM` (expected YYYY-MM-DD HH:MM:SS))",
            all_bad.display()
        )
    );
    let missing = Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-such.log");
    let err = run_text(&missing, false).expect_err("missing file");
    assert!(matches!(err, LogAnalyzeError::Unreadable { .. }));
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string()
            .starts_with(&format!("{}: cannot read: ", missing.display()))
    );
}

/// Writes a simulated device log with a clock that moves forward.
struct Device {
    log: DeviceLog,
    now: CivilDateTime,
}

impl Device {
    fn after(&mut self, secs: i64, m: LogMessage) {
        self.now = plus(self.now, secs);
        self.log.push(self.now, m);
    }
    fn at(&mut self, t: &str, m: LogMessage) {
        self.now = at(t);
        self.log.push(self.now, m);
    }
    fn unsynced(&mut self, since_boot: u64, m: LogMessage) {
        self.log
            .push(unsynced_timestamp(SimDuration::from_secs(since_boot)), m);
    }
}

#[test]
fn a_simulated_device_log_round_trips_through_the_analysis() {
    // The device's 1000 entries: the oldest of what follows falls out of the ring.
    let mut d = Device {
        log: DeviceLog::new(),
        now: at("2021-01-01 00:00:00"),
    };
    // An old boot that the ring will lose, and enough routine lines after it to fill the ring.
    d.after(0, LogMessage::Boot);
    for _ in 0..960 {
        d.after(3600, LogMessage::NtpSynced);
    }
    // A cold boot before NTP: unsynced lines, then sync.
    d.unsynced(14, LogMessage::WanLinkUp);
    d.unsynced(41, LogMessage::Boot);
    d.unsynced(50, LogMessage::JpneAppStarted);
    d.at("2021-04-02 10:00:00", LogMessage::NtpSynced);
    // Three spontaneous boots on consecutive nights at 03:00, routine lines between.
    for night in ["2021-04-03", "2021-04-04", "2021-04-05"] {
        for _ in 0..5 {
            d.after(3600, LogMessage::MapRuleReceived);
        }
        d.at(&format!("{night} 03:00:00"), LogMessage::Boot);
        d.after(15, LogMessage::MapEUp);
    }
    // A user reboot: request and stop in the same second, boot 68 s later.
    d.after(3600, LogMessage::AdminLogin);
    d.after(31, LogMessage::UserReboot);
    d.after(0, LogMessage::JavaVmStopped);
    d.after(30, LogMessage::WanLinkUp);
    d.after(38, LogMessage::Boot);
    // A user reboot whose boot came up with an unsynced clock.
    d.after(7200, LogMessage::UserReboot);
    d.after(0, LogMessage::JavaVmStopped);
    d.unsynced(40, LogMessage::Boot);
    d.after(600, LogMessage::NtpSynced);
    // A user reboot followed by a boot only 20 minutes later: outside the
    // window, so that boot counts as spontaneous.
    d.after(3600, LogMessage::UserReboot);
    d.after(0, LogMessage::JavaVmStopped);
    d.after(1200, LogMessage::Boot);
    for _ in 0..20 {
        d.after(1800, LogMessage::NtpSynced);
    }
    let log = d.log;
    assert!(log.written() > 1000 && log.len() == 1000);

    let mut text = String::new();
    log.render(&mut text);
    let parsed = parse_log(&text).expect("the device's own text parses");
    assert_eq!(parsed.entries.len(), 1000);
    assert!(parsed.skipped.is_empty() && parsed.other_lines == 0);
    assert!(!parsed.has_not_wrapped());
    let a = analyze(&parsed);
    assert_eq!(a.boots, 7, "the ring lost the oldest boot");
    assert_eq!(
        a.first_power_on, None,
        "a wrapped log no longer holds the first power-on"
    );
    assert_eq!(a.user_reboots.len(), 3);
    let booted: Vec<bool> = a.user_reboots.iter().map(|r| r.boot.is_some()).collect();
    assert_eq!(booted, [false, true, true], "newest first");
    assert!(a.user_reboots.iter().all(|r| r.stop.is_some()));
    // The cold boot, the three at 03:00 and the one 20 minutes after a request.
    assert_eq!(a.spontaneous_reboots.len(), 5);
    assert_eq!(a.statistics.spontaneous_unsynced, 1);
    assert_eq!(a.statistics.hour_of_day[3], 3);
    assert_eq!(
        a.statistics.intervals_secs.len(),
        3,
        "two nights apart, then to the late boot"
    );
    // The 1-based indices match the device's own numbering.
    for e in &a.spontaneous_reboots {
        let shown = log.get(e.index as usize).expect("index in range");
        assert_eq!((shown.at, Some(shown.message)), (e.at, e.message.known()));
    }
}

#[test]
fn the_first_power_on_of_a_log_that_has_not_wrapped_is_not_a_spontaneous_reboot() {
    // A fresh unit: power-on, a day of routine, a spontaneous reboot, a user reboot.
    let mut d = Device {
        log: DeviceLog::new(),
        now: at("2021-07-18 18:00:00"),
    };
    d.unsynced(20, LogMessage::WanLinkUp);
    d.at("2021-07-18 18:00:28", LogMessage::NtpSynced);
    d.after(14, LogMessage::Boot);
    d.after(11, LogMessage::JpneAppStarted);
    for _ in 0..20 {
        d.after(3600, LogMessage::NtpSynced);
    }
    d.after(600, LogMessage::Boot);
    d.after(3600, LogMessage::UserReboot);
    d.after(0, LogMessage::JavaVmStopped);
    d.after(68, LogMessage::Boot);
    let text = d.log.to_string();
    let parsed = parse_log(&text).expect("parses");
    assert!(parsed.has_not_wrapped());
    let a = analyze(&parsed);
    assert_eq!(a.boots, 3);
    let first = a.first_power_on.as_ref().expect("the first power-on");
    assert_eq!(first.at, at("2021-07-18 18:00:42"));
    assert_eq!(a.spontaneous_reboots.len(), 1, "only the boot in the middle");
    assert_eq!(a.statistics.spontaneous, 1);
    assert_eq!(a.user_reboots.len(), 1);
    // The same lines under the report's header counting 1000 entries: a wrapped log's
    // extraction, whose oldest boot may be any reboot, so it counts as spontaneous.
    let extraction = format!("There are 1000 entries.\n{text}");
    let wrapped = analyze(&parse_log(&extraction).expect("parses"));
    assert_eq!(
        (wrapped.first_power_on, wrapped.spontaneous_reboots.len()),
        (None, 2)
    );
}

#[test]
fn the_reports_own_extraction_still_lists_37() {
    // The report's block: the header and the 38 boot lines only, no other entry.
    let mut text = String::from("There are 1000 entries.\n");
    for (index, time) in REPORT_BOOTS {
        text.push_str(&format!("{index:>5}. {time} JavaVM起動(reboot)\n"));
    }
    text.push_str(&format!(
        "{:>5}. {} JavaVM正常停止(reboot)\n",
        USER_REBOOT.1, USER_REBOOT.2
    ));
    text.push_str(&format!(
        "{:>5}. {} ユーザ操作による再起動\n",
        USER_REBOOT.0, USER_REBOOT.2
    ));
    let log = parse_log(&text).expect("parses");
    assert_eq!(log.declared_entries, Some(1000));
    assert!(!log.has_not_wrapped(), "1000 entries: the ring is full");
    let a = analyze(&log);
    assert_eq!(a.first_power_on, None);
    assert_eq!(a.spontaneous_reboots.len(), 37);
    // Without the header, indices up to 998 with gaps: an extraction, never a whole log.
    let headless = text.replacen("There are 1000 entries.\n", "", 1);
    let a = analyze(&parse_log(&headless).expect("parses"));
    assert_eq!((a.first_power_on, a.spontaneous_reboots.len()), (None, 37));
}

#[test]
fn large_logs_parse_in_linear_time() {
    let mut text = String::with_capacity(200_000 * 48);
    let start = at("2021-01-01 00:00:00").to_unix_seconds();
    let n = 200_000;
    for i in 1..=n {
        let t = CivilDateTime::from_unix_seconds(start + (n - i) as i64 * 60);
        let m = if i % 97 == 0 {
            LogMessage::Boot
        } else {
            LogMessage::NtpSynced
        };
        text.push_str(&format!("{i}. {t} {m}\n"));
    }
    let log = parse_log(&text).expect("parses");
    assert_eq!(log.entries.len(), n);
    let a = analyze(&log);
    assert_eq!(a.spontaneous_reboots.len(), n / 97);
}
