//! `differential`: a wasm-smith module runs on the engine and on the
//! reference interpreter (and wasmi, when kiln-differential's `wasmi`
//! feature is on) through the `kiln_differential::oracle`, which makes the
//! same calls on every side and compares results, traps and the exported
//! state after each. Any mismatch is a bug in one side; resource limits
//! hit by only one side are legitimate divergences.
//!
//! The module comes from the oracle's own wasm-smith configuration
//! (no imports, canonical NaNs, small memories, `ensure_termination`),
//! restricted to the engine's features (`kiln::Features::ALL`), and driven
//! by the fuzzer's bytes instead of a seed.

use crate::say;
use arbitrary::{Result, Unstructured};
use kiln_differential::generate::{MODULE_FUEL, config};
use kiln_differential::oracle::Oracle;
use kiln_differential::oracle::repro::full_report;
use kiln_differential::oracle::sides::Limits;
use kiln_differential::oracle::sides::engine::EngineVariant;

/// Per-call limits: lower fuel than the oracle's campaigns, so one input
/// stays in the millisecond range (a side running out is a divergence,
/// not a failure).
fn limits() -> Limits {
    Limits {
        fuel: 200_000,
        ..Limits::default()
    }
}

pub fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let variant = *u.choose(&EngineVariant::ALL)?;
    let call_seed: u64 = u.arbitrary()?;
    let mut c = config();
    c.export_everything = u.arbitrary()?;
    let mut module = wasm_smith::Module::new(c, &mut u)?;
    if module.ensure_termination(MODULE_FUEL).is_err() {
        return Ok(());
    }
    check(&module.to_bytes(), variant, call_seed);
    Ok(())
}

/// Run a generated module through the oracle; a mismatch panics with the
/// full report and the module as WAT.
pub fn check(generated: &[u8], variant: EngineVariant, call_seed: u64) {
    // The same NaN canonicalisation the oracle's own generator applies:
    // wasm-smith leaves promote/demote results alone, and their NaN
    // payloads may legitimately differ between sides.
    let Some(wasm) = kiln_differential::canon::canonicalize_conversions(generated) else {
        return;
    };
    say!("differential: engine variant {variant}, call seed {call_seed}");
    crate::log::module("module", &wasm);
    let mut oracle = Oracle::standard(variant, limits()).expect("the oracle's sides start");
    let run = oracle.run(&wasm, call_seed);
    say!("{}", full_report(&run));
    if run.is_mismatch() {
        panic!(
            "differential mismatch (engine variant {variant}, call seed {call_seed}):\n{}\nmodule:\n{}",
            full_report(&run),
            crate::log::wat(&wasm)
        );
    }
}
