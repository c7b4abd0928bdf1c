//! `kiln wast`: run WAST scripts on the engine and report the directives
//! passed per script, stopping at the first failing script with
//! `--fail-fast`.

use crate::options::{EngineOptions, parse_fuel};
use anyhow::Result;
use clap::Args;
use kiln_spec_tests::engine_backend::{EngineBackend, FUEL_BOUND};
use kiln_spec_tests::{run_wast_file, suites};
use std::path::PathBuf;
use std::process::ExitCode;

/// How many failures of one script are printed.
const MAX_FAILURES: usize = 20;

/// Run WAST scripts
///
/// Run each script (every `.wast` file below a DIR) on a fresh engine with
/// every feature Kiln supports, or those chosen with `--wasm` and `-W`;
/// print the directives passed per script, its first failures, and a
/// total. Exits 0 only if every directive passed.
#[derive(Args, Debug)]
pub struct WastCommand {
    #[command(flatten)]
    engine: EngineOptions,

    /// Fuel each action may use, about one unit per operator
    ///
    /// Fuel each action (an invoke, or an instantiation with its start
    /// function) may use, about one unit per operator; the default is ~100x
    /// what any directive of the spec testsuites needs. An action that needs
    /// more fails with "did not finish within the bound", so a runaway loop
    /// cannot hang the run
    #[arg(long, value_name = "N", default_value_t = FUEL_BOUND, value_parser = parse_fuel)]
    fuel: u64,

    /// Stop after the first script that fails, running no more
    #[arg(long)]
    fail_fast: bool,

    /// The scripts: FILE.wast, or a DIR searched recursively
    #[arg(value_name = "FILE|DIR", required = true)]
    paths: Vec<PathBuf>,
}

pub fn wast(o: WastCommand) -> Result<ExitCode> {
    let config = o.engine.config()?;
    // Fail here, once, if the engine cannot have these features.
    EngineBackend::with_config(&config)?;
    let make = || {
        EngineBackend::with_config(&config)
            .expect("the configuration worked above")
            .with_fuel(o.fuel)
    };

    let mut all_passed = true;
    let mut scripts = Vec::new();
    for path in &o.paths {
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
    if !all_passed && o.fail_fast {
        println!("stopped (--fail-fast): {} scripts not run", scripts.len());
        return Ok(ExitCode::FAILURE);
    }

    let (mut passed, mut total, mut failed_files, mut run) = (0, 0, 0, 0);
    for script in &scripts {
        let report = run_wast_file(&make, script);
        let mut out = format!(
            "{}: {}/{} directives\n",
            report.path, report.passed, report.total
        );
        let _ = report.write_failures(&mut out, "  ", MAX_FAILURES);
        print!("{out}");
        run += 1;
        passed += report.passed;
        total += report.total;
        if !report.is_success() {
            failed_files += 1;
            all_passed = false;
            if o.fail_fast {
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
    Ok(if all_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
