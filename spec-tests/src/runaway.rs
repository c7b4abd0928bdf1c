//! The check that a backend bounds runaway directives: `tests/wast/runaway.wast`
//! (loops that never end, in an invoke, under `assert_exhaustion`, as a
//! start function and under `assert_trap` on a module) must fail directive
//! by directive with "did not finish within the bound", within a watchdog,
//! instead of hanging. Shared by the engine's and the interpreter's tests.

use crate::{Backend, FileReport, run_wast_file};
use std::path::Path;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// `report` as `passed/total`, then one line per failure.
fn render(report: &FileReport) -> String {
    let mut out = format!("{}/{}\n", report.passed, report.total);
    for failure in &report.failures {
        out.push_str(&format!("{failure}\n"));
    }
    out
}

/// Runs the runaway script on backends made by `make` (named `name` in
/// messages) and asserts each never-ending directive failed with `bound`
/// units of fuel. Panics if the script still runs after `watchdog`.
pub fn check<B, F>(name: &str, make: F, bound: u64, watchdog: Duration)
where
    B: Backend,
    F: Fn() -> B + Sync + Send + 'static,
{
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wast/runaway.wast");
    let exhausted =
        |action: &str| format!("did not finish within the bound: {action} used all {bound} fuel");
    let (spin, start) = (
        exhausted("invoke \"spin\""),
        exhausted("the start function"),
    );
    let expected = format!(
        "3/7\n\
         22:2: invoke: {spin}\n\
         24:2: assert_exhaustion: {spin}\n\
         28:2: module: {start}\n\
         29:2: assert_trap: {start}\n"
    );
    let started = Instant::now();
    let (tx, rx) = mpsc::channel();
    // The runner thread is left behind if the watchdog fires; the failing
    // test ends the process anyway.
    thread::spawn(move || tx.send(run_wast_file(&make, &script)));
    let report = rx.recv_timeout(watchdog).unwrap_or_else(|_| {
        panic!("{name}: the script still runs after {watchdog:?}: directives are not bounded")
    });
    assert_eq!(render(&report), expected, "{name}");
    eprintln!("{name}: {:.2?}", started.elapsed());
}
