//! The official testsuites on the Kiln engine: one test per `.wast` file,
//! named `engine/<suite>/<path>`.

use kiln_spec_tests::engine_backend::EngineBackend;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let expectations = Path::new(env!("CARGO_MANIFEST_DIR")).join("expectations/engine.txt");
    kiln_spec_tests::run_spec_tests("engine", EngineBackend::new, &expectations)
}
