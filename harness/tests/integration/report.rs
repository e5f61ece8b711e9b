//! The HTML report (`--report DIR`, `fletsim report`): sampling a run changes nothing,
//! pages show what the outcome says, the same input gives the same bytes, strings from
//! scenarios are escaped, existing folders are not overwritten without `--force`.
//! (`browser.rs` opens the pages in headless Chromium.)

use crate::common;

use std::path::Path;

use common::{arg, fletsim, scenario, stderr, stdout, temp_dir};

/// The reboots `gateway.reboots` counts, from a JSON Lines record.
fn reboots(record: &serde_json::Value) -> u64 {
    let r = &record["outcome"]["gateway"]["reboots"];
    ["spontaneous", "user", "power"]
        .iter()
        .map(|k| r[*k].as_u64().expect("a count"))
        .sum()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file of a folder, sorted, with its bytes.
fn folder(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("folder")
        .map(|e| {
            let p = e.expect("entry").path();
            (
                p.file_name().expect("name").to_string_lossy().into_owned(),
                std::fs::read(&p).expect("file"),
            )
        })
        .collect();
    files.sort();
    files
}

/// Scenarios that exercise every part the sampling touches: reboots, a NAPT filling its
/// port set, per-destination pools, changed NAPT timers, DS-Lite's AFTR, link loss, a
/// stalled distributor and a device swap.
// One 180-day home (every series at its coarsest sampling), the rest a day or less.
const VARIED: [&str; 7] = [
    "reboots-180d-constant-hazard.yaml",
    "napt-overflow-port-set.yaml",
    "napt-overflow-port-reuse.yaml",
    "napt-timeout-tuning.yaml",
    "ds-lite-heavy-home.yaml",
    "onu-loss-of-signal.yaml",
    "hgw-factory-reset-distributor-stalled.yaml",
];

#[test]
fn a_report_leaves_every_outcome_and_digest_byte_identical() {
    let dir = temp_dir("report-identical");
    let files: Vec<String> = VARIED.iter().map(|f| arg(&scenario(f)).to_string()).collect();
    let mut plain: Vec<&str> = vec!["run"];
    plain.extend(files.iter().map(String::as_str));
    plain.extend(["--json", "-", "-q"]);
    let mut sampled = plain.clone();
    let report = dir.join("report");
    sampled.extend(["--report", arg(&report)]);
    let a = fletsim(&plain);
    let b = fletsim(&sampled);
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
    assert_eq!(stdout(&a).lines().count(), VARIED.len());
    // The whole records: outcomes (NAPT occupancy quantiles included) and digests.
    assert_eq!(stdout(&a), stdout(&b));
    assert_eq!(folder(&report).len(), VARIED.len() + 1);
}

#[test]
fn the_180_day_run_page_shows_every_reboot_the_napt_plot_and_the_hours() {
    let dir = temp_dir("report-180d");
    let out = dir.join("out");
    let file = scenario("reboots-180d-constant-hazard.yaml");
    let o = fletsim(&["run", arg(&file), "--report", arg(&out), "--json", "-"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let record: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("one record");
    let index = read(&out.join("index.html"));
    let page_name = "reboots-180d-constant-hazard@seed1.html";
    assert!(index.contains(&format!("href=\"{page_name}\"")), "{index}");
    let page = read(&out.join(page_name));
    let expected = reboots(&record);
    assert!(expected >= 30, "{expected}");
    // One marker per reboot on the timeline, by cause; the first power-on is a boot, not a reboot.
    assert_eq!(page.matches("<line class=\"reboot c-").count() as u64, expected);
    assert_eq!(page.matches("<line class=\"boot c-power-on\"").count(), 1);
    let spontaneous = record["outcome"]["gateway"]["reboots"]["spontaneous"]
        .as_u64()
        .expect("count");
    assert_eq!(
        page.matches("<line class=\"reboot c-spontaneous\"").count() as u64,
        spontaneous
    );
    // The NAPT plot (a non-empty envelope), the sessions plot and the hour histogram with every reboot.
    assert!(
        page.contains("<path class=\"napt\" data-series=\"napt\""),
        "no NAPT plot"
    );
    assert!(!page.contains(
        "class=\"napt\" data-series=\"napt\" data-w=\"940\" data-h=\"170\" data-ymax=\"1\" d=\"\""
    ));
    assert!(page.contains("class=\"started\""));
    assert!(
        page.contains(&format!("{expected} reboots</text>")),
        "hour histogram"
    );
    // Offline: nothing to fetch.
    for needle in ["http://", "https://", "src=\"", "@import", "url("] {
        let hits: Vec<_> = page
            .match_indices(needle)
            .map(|(i, _)| &page[i.saturating_sub(40)..i + 40])
            .collect();
        // The SVG namespace in the zoom script is a name, not a fetch.
        assert!(
            hits.iter().all(|h| h.contains("www.w3.org/2000/svg")),
            "{needle}: {hits:?}"
        );
    }
    let size = page.len() + index.len();
    assert!(size <= 2_000_000, "{size} bytes");
}

#[test]
fn the_same_input_gives_a_byte_identical_report() {
    let dir = temp_dir("report-deterministic");
    let files = [
        scenario("napt-overflow-port-set.yaml"),
        scenario("onu-loss-of-signal.yaml"),
        scenario("user-reboot.yaml"),
    ];
    let mut args: Vec<&str> = vec!["run"];
    args.extend(files.iter().map(|f| arg(f)));
    let (a, b) = (dir.join("a"), dir.join("b"));
    for (out, jobs) in [(&a, "1"), (&b, "3")] {
        let mut with = args.clone();
        with.extend(["--report", arg(out), "-q", "--jobs", jobs]);
        let o = fletsim(&with);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let (fa, fb) = (folder(&a), folder(&b));
    assert_eq!(fa.len(), 4);
    assert!(fa == fb, "the two reports differ");
}

/// A scenario whose free text tries to inject markup.
fn hostile_scenario(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(scenario("onu-loss-of-signal.yaml")).expect("read");
    let (_, rest) = text.split_once("seed: 1").expect("the scenario has `seed: 1`");
    let hostile = format!(
        "description: |\n  <script>document.title = 'pwned'; document.body.setAttribute('data-pwned', 'yes')</script>\n  </pre><img src=x onerror=\"document.title='pwned'\"> & \"quotes\"\nseed: 1{rest}"
    );
    let file = dir.join("evil<b>.yaml");
    std::fs::write(&file, hostile).expect("write");
    file
}

#[test]
fn markup_in_a_description_is_shown_as_text() {
    let dir = temp_dir("report-escape");
    let file = hostile_scenario(&dir);
    let out = dir.join("out");
    let o = fletsim(&["run", arg(&file), "--set", "name=evil", "--report", arg(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    for page in ["index.html", "evil@seed1.html"] {
        let html = read(&out.join(page));
        assert!(!html.contains("<script>document"), "{page}: script not escaped");
        assert!(!html.contains("<img"), "{page}: img not escaped");
        assert!(
            !html.contains("evil<b>"),
            "{page}: the file name's markup not escaped"
        );
        assert!(html.contains("evil&lt;b&gt;.yaml"), "{page}: file name missing");
        // The only scripts: the zoom script and its JSON data.
        assert_eq!(
            html.matches("<script").count(),
            if page == "index.html" { 1 } else { 2 }
        );
    }
    let run = read(&out.join("evil@seed1.html"));
    assert!(
        run.contains("&lt;script&gt;document.title = 'pwned'; document.body.setAttribute('data-pwned', 'yes')&lt;/script&gt;"),
        "the description is not shown as text"
    );
    assert!(run.contains(
        "&lt;/pre&gt;&lt;img src=x onerror=&quot;document.title='pwned'&quot;&gt; &amp; &quot;quotes&quot;"
    ));
}

#[test]
fn an_existing_report_folder_is_not_overwritten_without_force() {
    let dir = temp_dir("report-force");
    let out = dir.join("out");
    let file = scenario("user-reboot.yaml");
    let first = fletsim(&["run", arg(&file), "--report", arg(&out), "-q"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let page = out.join("user-reboot@seed1.html");
    std::fs::write(&page, "mine").expect("write");
    let again = fletsim(&["run", arg(&file), "--report", arg(&out), "-q"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("exists and is not empty (pass --force to overwrite its report files)"),
        "{}",
        stderr(&again)
    );
    assert_eq!(read(&page), "mine", "a refused report wrote anyway");
    let forced = fletsim(&["run", arg(&file), "--report", arg(&out), "-q", "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    assert!(read(&page).starts_with("<!DOCTYPE html>"));
    // The other commands refuse the same way, before they run anything.
    let o = fletsim(&[
        "diff",
        arg(&dir.join("none.jsonl")),
        arg(&dir.join("none.jsonl")),
        "--report",
        arg(&out),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("exists and is not empty"), "{}", stderr(&o));
    let o = fletsim(&["report", arg(&dir.join("none.jsonl")), "--out", arg(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("exists and is not empty"), "{}", stderr(&o));
    // A link where the folder should be: never written through.
    #[cfg(unix)]
    {
        let link = dir.join("link");
        std::os::unix::fs::symlink(dir.join("elsewhere"), &link).expect("symlink");
        let o = fletsim(&["run", arg(&file), "--report", arg(&link), "--force"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("is a symbolic link"), "{}", stderr(&o));
        assert!(!dir.join("elsewhere").exists());
    }
    // A file where the folder should be.
    let plain = dir.join("plain");
    std::fs::write(&plain, "x").expect("write");
    let o = fletsim(&["run", arg(&file), "--report", arg(&plain), "--force"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("exists and is not a folder"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn saved_results_are_rendered_again_with_their_timelines_when_the_files_match() {
    let dir = temp_dir("report-from-json");
    // A copy of a scenario we can change afterwards, and one we delete.
    let kept = dir.join("kept.yaml");
    let changed = dir.join("changed.yaml");
    let gone = dir.join("gone.yaml");
    let source = std::fs::read_to_string(scenario("user-reboot.yaml")).expect("read");
    for f in [&kept, &changed, &gone] {
        std::fs::write(f, &source).expect("write");
    }
    let results = dir.join("results.jsonl");
    let o = fletsim(&[
        "run",
        arg(&kept),
        arg(&changed),
        arg(&gone),
        "--json",
        arg(&results),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::write(&changed, source.replace("duration:", "duration: 7h\n#")).expect("edit");
    std::fs::remove_file(&gone).expect("delete");
    let out = dir.join("out");
    let o = fletsim(&["report", arg(&results), "--out", arg(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("(4 files; 2 of 3 runs drawn from their outcome only)"),
        "{}",
        stderr(&o)
    );
    let page = |name: &str| read(&out.join(format!("{name}@seed1.html")));
    let full = page("kept");
    assert!(!full.contains("Drawn from the saved outcome only"));
    assert!(full.contains("class=\"napt\""));
    let edited = page("changed");
    assert!(edited.contains("Drawn from the saved outcome only"));
    assert!(
        edited.contains("gives trace digest"),
        "the reason names the digest"
    );
    let missing = page("gone");
    assert!(missing.contains("is not at hand"));
    // Outcome-only pages still mark every reboot.
    let record: serde_json::Value = serde_json::from_str(
        read(&results)
            .lines()
            .find(|l| l.contains("\"scenario\":\"gone\""))
            .expect("record"),
    )
    .expect("json");
    assert_eq!(
        missing.matches("<line class=\"reboot c-").count() as u64,
        reboots(&record)
    );
    // Bad input: no such file; a file that is not JSON Lines.
    let o = fletsim(&[
        "report",
        arg(&dir.join("missing.jsonl")),
        "--out",
        arg(&dir.join("out2")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("missing.jsonl: cannot read"),
        "{}",
        stderr(&o)
    );
    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, "{not json}\n").expect("write");
    let o = fletsim(&["report", arg(&bad), "--out", arg(&dir.join("out2"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bad.jsonl: line 1: not a fletsim run record"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn hypotheses_get_ecdfs_and_hour_charts() {
    let dir = temp_dir("report-hypotheses");
    let out = dir.join("out");
    let root = common::root().join("scenarios/hypotheses");
    let mut args = vec![
        "hypotheses".to_string(),
        "--evidence".into(),
        arg(&root.join("evidence-report-2021.log")).into(),
        "--seeds".into(),
        "2".into(),
        // 45 days a run: the pages' shape, not the statistics.
        "--set".into(),
        "duration=45d".into(),
        "--report".into(),
        arg(&out).into(),
    ];
    let mut hypotheses: Vec<_> = std::fs::read_dir(&root)
        .expect("folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    hypotheses.sort();
    args.extend(hypotheses.iter().map(|p| arg(p).to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = fletsim(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let index = read(&out.join("index.html"));
    let n = hypotheses.len();
    assert_eq!(index.matches("<section class=\"hypothesis\"").count(), n);
    assert_eq!(
        index.matches("<path class=\"ev\"").count(),
        n,
        "an evidence ECDF each"
    );
    assert_eq!(
        index.matches("<path class=\"sim\"").count(),
        n,
        "a simulated ECDF each"
    );
    assert_eq!(index.matches("hour of day · evidence").count(), n);
    assert_eq!(index.matches("hour of day · simulated").count(), n);
    assert!(index.contains("KS distance D"));
    // A page per simulated run, linked.
    assert_eq!(folder(&out).len(), 1 + 2 * n);
    assert!(index.contains("href=\"constant-firmware-hazard@seed2.html\""));
}

#[test]
fn bisect_and_diff_reports_link_their_runs() {
    let dir = temp_dir("report-bisect-diff");
    let out = dir.join("when");
    let o = fletsim(&[
        "bisect",
        arg(&scenario("napt-overflow-port-set.yaml")),
        "--when",
        "napt.drops.port_set_exhausted > 0",
        "--report",
        arg(&out),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The page says what the command printed, and links the run zoomed to an hour around it.
    let printed = stdout(&o);
    let holds = printed
        .lines()
        .find(|l| l.starts_with("first holds at +"))
        .expect("a first-holds line");
    let index = read(&out.join("index.html"));
    assert!(index.contains(holds.split("  ").next().expect("text")), "{holds}");
    let when = holds
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(date, _)| date)
        .expect("the calendar date");
    let (day, time) = when.split_once(' ').expect("date and time");
    let seconds = |t: &str| -> i64 {
        t.split(':')
            .fold(0, |acc, part| acc * 60 + part.parse::<i64>().expect("hh:mm:ss"))
    };
    let clock = |s: i64| format!("{day}T{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    let at = seconds(time);
    assert!(
        (1800..86_400 - 1800).contains(&at),
        "the window stays on {day}: {when}"
    );
    let zoom = format!(
        "href=\"napt-overflow-port-set@seed1.html#t={}/{}\"",
        clock(at - 1800),
        clock(at + 1800)
    );
    assert!(
        index.contains(&zoom),
        "the run page, zoomed to the moment: {zoom}"
    );
    assert!(out.join("napt-overflow-port-set@seed1.html").is_file());

    let out = dir.join("threshold");
    let o = fletsim(&[
        "bisect",
        arg(&scenario("bisect/busy-clients-v6plus.yaml")),
        "--param",
        "lan.telework-pc.count",
        "--range",
        "1..20",
        "--until",
        "napt.drops.port_set_exhausted > 0",
        "--report",
        arg(&out),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let printed = stdout(&o);
    let smallest = printed
        .lines()
        .find(|l| l.starts_with("smallest: lan.telework-pc.count = "))
        .expect("a smallest line");
    let index = read(&out.join("index.html"));
    assert!(index.contains(smallest), "{smallest}");
    // `smallest: lan.telework-pc.count = N (holds; M does not)`: both sides have pages.
    let numbers: Vec<&str> = smallest
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .collect();
    assert_eq!(numbers.len(), 2, "{smallest}");
    for side in numbers
        .iter()
        .map(|n| format!("lan.telework-pc.count_{n}@seed1.html"))
    {
        assert!(index.contains(&format!("href=\"{side}\"")), "{side}");
        assert!(out.join(&side).is_file(), "{side}");
    }

    // The minimal fault set's page reproduces that run: the file with `--set faults=[…]`.
    let out = dir.join("faults");
    let five = scenario("bisect/five-faults.yaml");
    let o = fletsim(&[
        "bisect",
        arg(&five),
        "--faults",
        "--until",
        "ipv4.up_at_end == false",
        "--report",
        arg(&out),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = read(&out.join("minimal-faults@seed1.html"));
    let set = r#"faults=[{"at":"30m","distributor_stall":null},{"at":"1h","factory_reset":null}]"#;
    assert!(
        page.contains(&format!("--set '{}'", set.replace('"', "&quot;"))),
        "the reproduce command lacks the kept faults"
    );
    let again = fletsim(&["run", arg(&five), "--seed", "1", "--set", set, "--json", "-"]);
    let record: serde_json::Value = serde_json::from_str(stdout(&again).trim()).expect("record");
    let digest = record["digest"].as_str().expect("digest");
    assert!(
        page.contains(&format!("<b class=\"mono\">{digest}</b>")),
        "the page shows another run"
    );

    let (a, b) = (dir.join("a.jsonl"), dir.join("b.jsonl"));
    let file = scenario("user-reboot.yaml");
    fletsim(&["run", arg(&file), "--json", arg(&a), "-q"]);
    fletsim(&[
        "run",
        arg(&file),
        "--json",
        arg(&b),
        "-q",
        "--set",
        "faults[1].at=2h",
    ]);
    let out = dir.join("diff");
    let o = fletsim(&["diff", arg(&a), arg(&b), "--report", arg(&out)]);
    assert_eq!(o.status.code(), Some(100), "{}", stderr(&o));
    let page = read(&out.join("index.html"));
    assert!(page.contains("boots[2].at"), "the changed paths");
    // Both timelines, one above the other, each with its reboot.
    assert_eq!(page.matches("<svg class=\"chart timeline\"").count(), 2);
    assert_eq!(page.matches("<line class=\"reboot c-user\"").count(), 2);
}

#[test]
fn an_area_run_page_draws_the_recovery_curve_from_the_outcome() {
    let dir = temp_dir("report-area");
    let out = dir.join("report");
    let file = scenario("area/distributor-saturated-after-rollout.yaml");
    let o = fletsim(&["run", arg(&file), "--report", arg(&out), "--json", "-", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let record: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("record");
    let curve = &record["outcome"]["area"]["recovery"];
    // 20 points, one every 5 % of the hit homes, never decreasing; the last is the max.
    let ipv4: Vec<&str> = curve["ipv4"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().expect("every home came back"))
        .collect();
    assert_eq!(ipv4.len(), 20, "{curve}");
    assert_eq!(
        Some(ipv4[19]),
        record["outcome"]["area"]["ipv4_restored"]["max"].as_str()
    );
    assert_eq!(
        Some(ipv4[9]),
        record["outcome"]["area"]["ipv4_restored"]["p50"].as_str()
    );
    let page = read(&out.join("distributor-saturated-after-rollout@seed1.html"));
    assert!(
        page.contains("<svg class=\"chart recovery\""),
        "the recovery chart"
    );
    assert_eq!(page.matches("<path class=\"rec4\"").count(), 1, "the IPv4 curve");
    assert_eq!(page.matches("<path class=\"rec6\"").count(), 1, "the IPv6 curve");
    assert!(
        page.contains("Share of the 2000 homes"),
        "the caption counts the hit homes"
    );
    assert!(page.contains(ipv4[9]), "the p50 in the table");
    let index = read(&out.join("index.html"));
    assert!(
        index.contains("href=\"distributor-saturated-after-rollout@seed1.html\""),
        "the suite page links the area's run"
    );
}
