//! A script whose loops never end (`tests/wast/runaway.wast`) fails
//! directive by directive, within seconds, under every configuration the
//! spec harness runs, instead of hanging the run.

use kiln_spec_tests::engine_backend::{FUEL_BOUND, SPEC_CONFIGURATIONS};
use kiln_spec_tests::suites::{CURRENT, WASM_2_0};
use std::time::Duration;

/// Far beyond what the script needs when bounded (well under a second per
/// configuration), so only an unbounded loop reaches it.
const WATCHDOG: Duration = Duration::from_secs(120);

#[test]
fn runaway_directives_fail_with_the_bound() {
    // With each suite's features, as the spec harness would run it.
    for suite in [WASM_2_0, CURRENT] {
        let features = suite.features_of("runaway.wast");
        for (name, make) in SPEC_CONFIGURATIONS {
            let features = features.clone();
            let make = move || make(&features);
            kiln_spec_tests::runaway::check(name, make, FUEL_BOUND, WATCHDOG);
        }
    }
}
