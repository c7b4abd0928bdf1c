//! The official testsuites on the Kiln engine: one test per `.wast` file
//! and configuration, named `<config>/<suite>/<path>`, for each of
//! [`SPEC_CONFIGURATIONS`] (`engine`, `engine-explicit`, `engine-artifact`),
//! and for the 2.0 suite under [`POOLING_CONFIGURATION`]
//! (`engine-pooling`).

use kiln_spec_tests::engine_backend::{POOLING_CONFIGURATION, SPEC_CONFIGURATIONS};
use libtest_mimic::Arguments;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let expectations = Path::new(env!("CARGO_MANIFEST_DIR")).join("expectations/engine.txt");
    let mut trials: Vec<_> = SPEC_CONFIGURATIONS
        .into_iter()
        .flat_map(|(name, make)| kiln_spec_tests::spec_trials(name, make, &expectations))
        .collect();
    // The pooling allocator on the 2.0 suite's scripts only (its
    // `expectations` trial would repeat the others': same file).
    let (name, make) = POOLING_CONFIGURATION;
    let prefix = format!("{name}/2.0/");
    trials.extend(
        kiln_spec_tests::spec_trials(name, make, &expectations)
            .into_iter()
            .filter(|trial| trial.name().starts_with(&prefix)),
    );
    libtest_mimic::run(&Arguments::from_args(), trials).exit_code()
}
