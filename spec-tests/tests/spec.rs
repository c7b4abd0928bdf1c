//! The official testsuites on the Kiln engine: one test per `.wast` file
//! and configuration, named `<config>/<suite>/<path>`, for each of
//! [`SPEC_CONFIGURATIONS`] (`engine`, `engine-explicit`, `engine-artifact`).

use kiln_spec_tests::engine_backend::SPEC_CONFIGURATIONS;
use libtest_mimic::Arguments;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let expectations = Path::new(env!("CARGO_MANIFEST_DIR")).join("expectations/engine.txt");
    let trials = SPEC_CONFIGURATIONS
        .into_iter()
        .flat_map(|(name, make)| kiln_spec_tests::spec_trials(name, make, &expectations))
        .collect();
    libtest_mimic::run(&Arguments::from_args(), trials).exit_code()
}
