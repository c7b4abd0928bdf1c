//! Turning scripts into test results: one libtest-mimic trial per script of
//! every suite, and a plain per-file report for the command line.
//!
//! Each script runs on a fresh backend in its own thread, with a large stack
//! (backends may recurse deeply compiling or running a module) and with
//! panics caught, so one broken script cannot take the others down.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;

use libtest_mimic::{Arguments, Failed, Trial};

use crate::backend::Backend;
use crate::expectations::{Expectations, Verdict};
use crate::runner::{FileReport, WastRunner, panic_message};
use crate::suites::{self, CURRENT, OWN_ID, SUITES, ScriptFeatures};

/// Stack size of the thread that runs one script.
pub const STACK_SIZE: usize = 64 << 20;

/// How many failures a failing trial shows.
const SHOWN_FAILURES: usize = 10;

/// Run both suites against the backend `make` builds (a fresh one per
/// script, for what the script is written for: [`ScriptFeatures`]), as a
/// libtest-mimic test binary: parses the process arguments, so
/// `cargo test -p kiln-spec-tests -- i32` runs only matching scripts.
///
/// `backend_name` prefixes every trial name; `expectations` is the
/// backend's list of scripts expected to fail (see [`Expectations`]).
pub fn run_spec_tests<B, F>(backend_name: &str, make: F, expectations: &Path) -> ExitCode
where
    B: Backend,
    F: Fn(&ScriptFeatures) -> B + Send + Sync + 'static,
{
    let args = Arguments::from_args();
    let trials = spec_trials(backend_name, make, expectations);
    libtest_mimic::run(&args, trials).exit_code()
}

/// The trials [`run_spec_tests`] runs, for callers that drive libtest-mimic
/// themselves.
///
/// One trial per script, named `<backend>/<suite>/<relative path>`; one
/// failing trial `<backend>/<suite>` per suite that cannot be found; and
/// `<backend>/expectations`, which fails if the expectations file cannot
/// be read or names scripts that do not exist.
pub fn spec_trials<B, F>(backend_name: &str, make: F, expectations: &Path) -> Vec<Trial>
where
    B: Backend,
    F: Fn(&ScriptFeatures) -> B + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let mut problems = Vec::new();
    let expectations = Arc::new(Expectations::load(expectations).unwrap_or_else(|error| {
        problems.push(error);
        Expectations::empty(expectations)
    }));

    let mut trials = Vec::new();
    let mut scripts = BTreeMap::new();
    // The official suites, found where `suites::locate` looks, then Kiln's
    // own scripts, which are always in the repository.
    let mut sources: Vec<_> = SUITES
        .iter()
        .map(|suite| {
            let found = suites::locate(suite).and_then(|root| {
                let files = suite.scripts(&root).map_err(|e| {
                    format!(
                        "cannot list the {} testsuite at {}: {e}",
                        suite.id,
                        root.display()
                    )
                })?;
                if files.is_empty() {
                    return Err(format!(
                        "the {} testsuite at {} holds no .wast files",
                        suite.id,
                        root.display()
                    ));
                }
                Ok((root, files))
            });
            (suite.id, *suite, found)
        })
        .collect();
    let own = suites::own_scripts().map_err(|e| format!("cannot list Kiln's own scripts: {e}"));
    sources.push((OWN_ID, CURRENT, own));
    for (id, suite, found) in sources {
        let (root, files) = match found {
            Ok(found) => found,
            Err(message) => {
                // A filter may hide the failing trial; this line cannot be
                // hidden, so a missing suite is never silently zero tests.
                eprintln!("warning: {message}");
                trials.push(Trial::test(format!("{backend_name}/{id}"), move || {
                    Err(Failed::from(message))
                }));
                scripts.insert(id, None);
                continue;
            }
        };
        for file in &files {
            let name = format!("{backend_name}/{id}/{file}");
            let key = format!("{id}/{file}");
            let path = root.join(file);
            let features = suite.features_of(file);
            let make = Arc::clone(&make);
            let expectations = Arc::clone(&expectations);
            trials.push(Trial::test(name.clone(), move || {
                let report = run_wast_file(&|| make(&features), &path);
                judge(&name, &report, &key, &expectations)
            }));
        }
        scripts.insert(id, Some(files.into_iter().collect::<BTreeSet<_>>()));
    }

    problems.extend(expectations.stale_entries(&scripts));
    trials.push(Trial::test(
        format!("{backend_name}/expectations"),
        move || {
            if problems.is_empty() {
                Ok(())
            } else {
                Err(Failed::from(problems.join("\n")))
            }
        },
    ));
    trials
}

/// Print a script's counts and turn its report into the trial's result.
fn judge(
    name: &str,
    report: &FileReport,
    key: &str,
    expectations: &Expectations,
) -> Result<(), Failed> {
    let counts = format!("{}/{} directives", report.passed, report.total);
    match Verdict::new(expectations.reason(key), report.is_success()) {
        Verdict::Passed => {
            println!("{name}: {counts}");
            Ok(())
        }
        Verdict::ExpectedFailure { reason } => {
            println!("{name}: {counts} (expected failure: {reason})");
            Ok(())
        }
        Verdict::Failed => {
            println!("{name}: {counts}");
            let mut message = format!("{counts} passed; failures:\n");
            // Writing into a `String` cannot fail.
            let _ = report.write_failures(&mut message, "  ", SHOWN_FAILURES);
            Err(Failed::from(message.trim_end()))
        }
        Verdict::UnexpectedlyPassed => {
            println!("{name}: {counts}");
            Err(Failed::from(format!(
                "{key} unexpectedly passed — remove it from {}",
                expectations.source().display()
            )))
        }
    }
}

/// Run the script at `path` on a fresh backend from `make`, in its own
/// thread with a [`STACK_SIZE`] stack. Never panics: an unreadable file or
/// a backend panic outside any directive becomes a failed report.
pub fn run_wast_file<B, F>(make: &F, path: &Path) -> FileReport
where
    B: Backend,
    F: Fn() -> B + Sync,
{
    let display = path.display().to_string();
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => {
            return FileReport::aborted(&display, format!("cannot read {display}: {error}"));
        }
    };
    thread::scope(|scope| {
        let spawned = thread::Builder::new()
            .name(display.clone())
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, || WastRunner::new(make()).run(&display, &text));
        match spawned {
            Ok(handle) => handle.join().unwrap_or_else(|payload| {
                FileReport::aborted(
                    &display,
                    format!("backend panicked: {}", panic_message(&*payload)),
                )
            }),
            Err(error) => FileReport::aborted(
                &display,
                format!("cannot spawn a thread to run it: {error}"),
            ),
        }
    })
}

/// For the command line: run each of `paths` (a `.wast` file, or a
/// directory searched recursively for them) on a fresh backend, printing
/// `<path>: <passed>/<total> directives` per script followed by up to
/// `max_failures` of its failures, then a total. With `fail_fast`, stops
/// after the first script that fails. Returns whether every script passed.
pub fn run_wast_paths<B, F>(
    make: F,
    paths: &[PathBuf],
    max_failures: usize,
    fail_fast: bool,
) -> bool
where
    B: Backend,
    F: Fn() -> B + Sync,
{
    let mut scripts = Vec::new();
    let mut all_passed = true;
    for path in paths {
        if path.is_dir() {
            match suites::wast_files(path) {
                Ok(files) => scripts.extend(files.iter().map(|file| path.join(file))),
                Err(error) => {
                    println!("{}: cannot list directory: {error}", path.display());
                    all_passed = false;
                }
            }
        } else {
            scripts.push(path.clone());
        }
    }
    if !all_passed && fail_fast {
        println!("stopped (--fail-fast): {} scripts not run", scripts.len());
        return false;
    }

    let (mut passed, mut total, mut failed_files, mut run) = (0, 0, 0, 0);
    for script in &scripts {
        let report = run_wast_file(&make, script);
        let mut out = format!(
            "{}: {}/{} directives\n",
            report.path, report.passed, report.total
        );
        let _ = report.write_failures(&mut out, "  ", max_failures);
        print!("{out}");
        run += 1;
        passed += report.passed;
        total += report.total;
        if !report.is_success() {
            failed_files += 1;
            all_passed = false;
            if fail_fast {
                break;
            }
        }
    }
    println!("{run} scripts, {failed_files} failed; {passed}/{total} directives passed");
    if run < scripts.len() {
        println!(
            "stopped at the first failing script (--fail-fast): {} scripts not run",
            scripts.len() - run
        );
    }
    all_passed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{Failure, Outcome, Value};

    /// A backend whose construction panics, like one that hits a bug
    /// before the first directive.
    struct Unbuildable;

    impl Backend for Unbuildable {
        type Module = ();
        type Instance = ();
        fn compile(&mut self, _: &[u8]) -> Outcome<()> {
            Err(Failure::Other("unreachable".into()))
        }
        fn instantiate(&mut self, _: &()) -> Outcome<()> {
            Err(Failure::Other("unreachable".into()))
        }
        fn register(&mut self, _: &str, _: &()) {}
        fn invoke(&mut self, _: &(), _: &str, _: &[Value]) -> Outcome<Vec<Value>> {
            Err(Failure::Other("unreachable".into()))
        }
        fn get(&mut self, _: &(), _: &str) -> Outcome<Value> {
            Err(Failure::Other("unreachable".into()))
        }
    }

    #[test]
    fn a_script_that_cannot_run_fails_alone() {
        let make = || -> Unbuildable { panic!("cannot build backend") };
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("expectations/engine.txt");
        let report = run_wast_file(&make, &script);
        assert_eq!((report.passed, report.total), (0, 1));
        assert!(
            report.failures[0].message.contains("cannot build backend"),
            "{report:?}"
        );

        let report = run_wast_file(&|| Unbuildable, Path::new("/nonexistent/x.wast"));
        assert_eq!((report.passed, report.total), (0, 1));
        assert!(
            report.failures[0].message.starts_with("cannot read"),
            "{report:?}"
        );
    }
}
