//! The official testsuites on the Kiln engine: one test per `.wast` file
//! and configuration, named `<config>/<suite>/<path>`:
//!
//! - `engine/…`: the default configuration (guard-page bounds checks);
//! - `engine-explicit/…`: explicit bounds checks and unoptimised code, so
//!   the other memory strategy and Cranelift's `opt_level=none` path are
//!   held to the same suite;
//! - `engine-artifact/…`: every module goes through `Module::serialize` →
//!   `Module::deserialize` before it is instantiated.

use kiln::{BoundsChecks, Config, OptLevel};
use kiln_spec_tests::engine_backend::EngineBackend;
use libtest_mimic::Arguments;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let expectations = Path::new(env!("CARGO_MANIFEST_DIR")).join("expectations/engine.txt");
    let mut explicit = Config::new();
    explicit
        .bounds_checks(BoundsChecks::Explicit)
        .cranelift_opt_level(OptLevel::None);
    let mut trials = kiln_spec_tests::spec_trials("engine", EngineBackend::new, &expectations);
    trials.extend(kiln_spec_tests::spec_trials(
        "engine-explicit",
        move || {
            EngineBackend::with_config(&explicit)
                .expect("explicit bounds checks work on every host")
        },
        &expectations,
    ));
    trials.extend(kiln_spec_tests::spec_trials(
        "engine-artifact",
        || EngineBackend::with_artifacts(&Config::new()).expect("the default configuration works"),
        &expectations,
    ));
    libtest_mimic::run(&Arguments::from_args(), trials).exit_code()
}
