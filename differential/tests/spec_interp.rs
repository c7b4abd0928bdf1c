//! The official spec testsuites on the reference interpreter: one trial per
//! script, named `interp/<suite>/<file>`, judged against
//! `expectations/interp.txt`.

use std::path::Path;
use std::process::ExitCode;

use kiln_differential::InterpBackend;

fn main() -> ExitCode {
    let expectations = Path::new(env!("CARGO_MANIFEST_DIR")).join("expectations/interp.txt");
    kiln_spec_tests::run_spec_tests("interp", InterpBackend::for_script, &expectations)
}
