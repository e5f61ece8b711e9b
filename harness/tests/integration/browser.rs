//! The HTML report as a person sees it: every page kind opened in headless Chromium
//! (Debian's `chromium`), its DOM read back after the scripts ran (`--dump-dom`), a
//! screenshot taken, and Chromium's console log checked: a script error, a script the
//! Content-Security-Policy blocked or an attempted fetch would all show there.
//!
//! Skipped (with a note) when Chromium is not installed, unless `FLETSIM_REQUIRE_CHROMIUM=1`
//! (`.ci/run` sets it when it installed chromium): then a missing browser fails.
//! `FLETSIM_CHROMIUM` names another binary. Screenshots land in
//! `target/tmp/browser-screenshots/`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{arg, fletsim, scenario, stderr, stdout, temp_dir};

/// The browser, if there is one; panics when it must be there and is not.
fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("FLETSIM_CHROMIUM").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/chromium")),
        Some(PathBuf::from("/usr/bin/chromium-browser")),
    ];
    let found = candidates.into_iter().flatten().find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var("FLETSIM_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
            "FLETSIM_REQUIRE_CHROMIUM=1 but no chromium at /usr/bin/chromium (or FLETSIM_CHROMIUM)"
        );
        eprintln!(
            "note: chromium is not installed; the browser tests are skipped (apt-get install chromium)"
        );
    }
    found
}

/// What the browser made of a page.
struct Seen {
    dom: String,
    console: Vec<String>,
}

/// Runs Chromium headless on `url` with a fresh profile; `mode` is `--dump-dom` or
/// `--screenshot=…`. Returns stdout and the console lines of its log.
fn browse(browser: &Path, url: &str, mode: &str, profile: &Path, dark: bool) -> Seen {
    let _ = std::fs::remove_dir_all(profile);
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        "--window-size=1280,2400",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!(
        "--blink-settings=preferredColorScheme={}",
        if dark { 0 } else { 1 }
    ))
    .arg(mode)
    .arg(url)
    // Files, not pipes: a DOM of a megabyte would fill a pipe nobody reads while we wait.
    .stdin(Stdio::null())
    .stdout(std::fs::File::create(profile.with_extension("out")).expect("stdout file"))
    .stderr(std::fs::File::create(profile.with_extension("log")).expect("stderr file"));
    let mut child = cmd.spawn().expect("chromium starts");
    // A hung browser fails the test after about two minutes (counted in naps: no clock).
    let mut naps = 0;
    while child.try_wait().expect("wait").is_none() {
        naps += 1;
        if naps > 2400 {
            let _ = child.kill();
            panic!("chromium did not finish {url} within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let dom = std::fs::read(profile.with_extension("out")).expect("stdout");
    let log = std::fs::read(profile.with_extension("log")).expect("stderr");
    let log = String::from_utf8_lossy(&log);
    Seen {
        dom: String::from_utf8_lossy(&dom).into_owned(),
        console: log
            .lines()
            .filter(|l| l.contains(":CONSOLE"))
            .map(str::to_string)
            .collect(),
    }
}

/// Opens a report page: its DOM after scripts, with no console message, and a screenshot.
/// Opens a page and returns its DOM after its scripts ran, failing on any console message.
/// With `shot`, also screenshots it in light and dark mode (kept for a person to look at,
/// and checked to be real images). Each Chromium start costs seconds, so only one page of
/// each kind is photographed.
fn open(browser: &Path, work: &Path, page: &Path, fragment: &str, shot: Option<&str>) -> String {
    let url = format!("file://{}{fragment}", page.display());
    let profile = work.join("profile");
    let seen = browse(browser, &url, "--dump-dom", &profile, false);
    assert!(
        seen.console.is_empty(),
        "{url}: console:\n{}",
        seen.console.join("\n")
    );
    assert!(
        seen.dom.contains("<html lang=\"en\" class=\"js\">"),
        "{url}: the zoom script did not run"
    );
    let Some(shot) = shot else { return seen.dom };
    let dir = screenshots();
    for (suffix, dark) in [("", false), ("-dark", true)] {
        let png = dir.join(format!("{shot}{suffix}.png"));
        let _ = std::fs::remove_file(&png);
        let seen = browse(
            browser,
            &url,
            &format!("--screenshot={}", png.display()),
            &profile,
            dark,
        );
        assert!(
            seen.console.is_empty(),
            "{url}: console:\n{}",
            seen.console.join("\n")
        );
        let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("{}: {e}", png.display()));
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
            "{}: no real screenshot",
            png.display()
        );
    }
    seen.dom
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

fn reboots(record: &serde_json::Value) -> usize {
    let r = &record["outcome"]["gateway"]["reboots"];
    ["spontaneous", "user", "power"]
        .iter()
        .map(|k| r[*k].as_u64().expect("count") as usize)
        .sum()
}

/// The `viewBox` of the first zoomable plot in a DOM.
fn first_zoom_viewbox(dom: &str) -> String {
    let at = dom.find("<svg class=\"zoom\"").expect("a zoomable plot");
    let rest = &dom[at..];
    let v = rest.find("viewBox=\"").expect("a viewBox") + 9;
    rest[v..v + rest[v..].find('"').expect("end")].to_string()
}

#[test]
fn run_and_suite_pages_render_with_every_reboot_and_zoom() {
    let Some(browser) = chromium() else { return };
    let work = temp_dir("browser-run");
    let out = work.join("report");
    let file = scenario("reboots-180d-constant-hazard.yaml");
    let o = fletsim(&["run", arg(&file), "--report", arg(&out), "--json", "-", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let record: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("record");
    let page = out.join("reboots-180d-constant-hazard@seed1.html");

    let dom = open(&browser, &work, &page, "", Some("run-page"));
    assert_eq!(dom.matches("<line class=\"reboot c-").count(), reboots(&record));
    assert!(
        dom.contains("<path class=\"napt\" data-series=\"napt\""),
        "the NAPT plot"
    );
    assert!(dom.contains("d=\"M0,"), "the NAPT envelope is drawn");
    assert!(dom.contains("<svg class=\"chart hours\""), "the hour histogram");
    assert!(dom.contains("showing the whole run"));
    assert!(
        first_zoom_viewbox(&dom).starts_with("0 0 15552000 "),
        "the whole run"
    );

    // A URL fragment zooms every time chart to its window: 17:50 to 18:05 on the first day.
    let dom = open(
        &browser,
        &work,
        &page,
        "#t=2021-04-19T17:50:00/2021-04-19T18:05:00",
        None,
    );
    assert!(
        first_zoom_viewbox(&dom).starts_with("64200 0 900 "),
        "{}",
        first_zoom_viewbox(&dom)
    );
    assert!(dom.contains("showing 2021-04-19 17:50:00 to 2021-04-19 18:05:00"));
    assert!(dom.contains(">17:56</text>"), "axis ticks redrawn for the window");

    let dom = open(&browser, &work, &out.join("index.html"), "", Some("suite-page"));
    assert!(dom.contains("href=\"reboots-180d-constant-hazard@seed1.html\""));
}

#[test]
fn a_script_in_a_description_does_not_run() {
    let Some(browser) = chromium() else { return };
    let work = temp_dir("browser-hostile");
    let text = std::fs::read_to_string(scenario("onu-loss-of-signal.yaml")).expect("read");
    let (_, rest) = text.split_once("seed: 1").expect("seed");
    let file = work.join("hostile.yaml");
    std::fs::write(
        &file,
        format!(
            "description: |\n  <script>document.body.setAttribute('data-pwned', 'yes')</script><img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">\nseed: 1{rest}"
        ),
    )
    .expect("write");
    let out = work.join("report");
    let o = fletsim(&["run", arg(&file), "--report", arg(&out), "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dom = open(&browser, &work, &out.join("hostile@seed1.html"), "", None);
    assert!(!dom.contains("data-pwned=\""), "the injected script ran");
    assert!(
        dom.contains("&lt;script&gt;document.body.setAttribute('data-pwned', 'yes')&lt;/script&gt;"),
        "the script is not shown as text"
    );
}

#[test]
fn hypotheses_diff_and_bisect_pages_render() {
    let Some(browser) = chromium() else { return };
    let work = temp_dir("browser-others");
    let root = common::root().join("scenarios/hypotheses");
    let out = work.join("hypotheses");
    let mut args: Vec<String> = vec![
        "hypotheses".into(),
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
    for h in ["constant-firmware-hazard.yaml", "napt-overflow-reboot.yaml"] {
        args.push(arg(&root.join(h)).into());
    }
    let o = fletsim(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dom = open(
        &browser,
        &work,
        &out.join("index.html"),
        "",
        Some("hypotheses-page"),
    );
    assert_eq!(dom.matches("<path class=\"ev\"").count(), 2);
    assert_eq!(dom.matches("<path class=\"sim\"").count(), 2);
    assert_eq!(dom.matches("hour of day · evidence").count(), 2);

    let (a, b) = (work.join("a.jsonl"), work.join("b.jsonl"));
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
    let out = work.join("diff");
    let o = fletsim(&["diff", arg(&a), arg(&b), "--report", arg(&out)]);
    assert_eq!(o.status.code(), Some(100), "{}", stderr(&o));
    let dom = open(&browser, &work, &out.join("index.html"), "", Some("diff-page"));
    assert_eq!(dom.matches("<svg class=\"chart timeline\"").count(), 2);

    let out = work.join("bisect");
    let o = fletsim(&[
        "bisect",
        arg(&scenario("bisect/five-faults.yaml")),
        "--faults",
        "--until",
        "ipv4.up_at_end == false",
        "--report",
        arg(&out),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dom = open(&browser, &work, &out.join("index.html"), "", Some("bisect-page"));
    assert!(dom.contains("kept 2 of 5 faults: [2] [4]"));
    let dom = open(&browser, &work, &out.join("minimal-faults@seed1.html"), "", None);
    assert!(
        dom.contains("distributor_stall</text>"),
        "a lane for each kept fault"
    );
}
