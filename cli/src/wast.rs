//! `kiln wast`: run WAST scripts on the engine and report the directives
//! passed per script, stopping at the first failing script with
//! `--fail-fast`.

use crate::options::{EngineOptions, parse_fuel};
use anyhow::Result;
use clap::Args;
use kiln_spec_tests::engine_backend::{EngineBackend, FUEL_BOUND};
use kiln_spec_tests::run_wast_paths;
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

    let all_passed = run_wast_paths(make, &o.paths, MAX_FAILURES, o.fail_fast);
    Ok(if all_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
