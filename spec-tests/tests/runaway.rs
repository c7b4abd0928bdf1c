//! A script whose loops never end (`tests/wast/runaway.wast`) fails
//! directive by directive, within seconds, under every configuration the
//! spec harness runs, instead of hanging the run.

use kiln_spec_tests::engine_backend::{FUEL_BOUND, SPEC_CONFIGURATIONS};
use kiln_spec_tests::{FileReport, run_wast_file};
use std::path::Path;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Far beyond what the script needs when bounded (well under a second per
/// configuration), so only an unbounded loop reaches it.
const WATCHDOG: Duration = Duration::from_secs(120);

/// `report` as `passed/total`, then one line per failure.
fn render(report: &FileReport) -> String {
    let mut out = format!("{}/{}\n", report.passed, report.total);
    for failure in &report.failures {
        out.push_str(&format!("{failure}\n"));
    }
    out
}

#[test]
fn runaway_directives_fail_with_the_bound() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wast/runaway.wast");
    let bound = |action: &str| {
        format!("did not finish within the bound: {action} used all {FUEL_BOUND} fuel")
    };
    let (spin, start) = (bound("invoke \"spin\""), bound("the start function"));
    let expected = format!(
        "3/7\n\
         22:2: invoke: {spin}\n\
         24:2: assert_exhaustion: {spin}\n\
         28:2: module: {start}\n\
         29:2: assert_trap: {start}\n"
    );
    for (name, make) in SPEC_CONFIGURATIONS {
        let started = Instant::now();
        let (tx, rx) = mpsc::channel();
        let path = script.clone();
        // The runner thread is left behind if the watchdog fires; the
        // failing test ends the process anyway.
        thread::spawn(move || tx.send(run_wast_file(&make, &path)));
        let report = rx.recv_timeout(WATCHDOG).unwrap_or_else(|_| {
            panic!("{name}: the script still runs after {WATCHDOG:?}: directives are not bounded")
        });
        assert_eq!(render(&report), expected, "{name}");
        eprintln!("{name}: {:.2?}", started.elapsed());
    }
}
