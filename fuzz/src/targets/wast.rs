//! `wast`: a fuzzer-chosen script of the spec testsuites runs under a
//! fuzzer-chosen engine configuration (bounds-check strategy, optimisation
//! level, stack size, parallel compilation, Spectre guards, NaN
//! canonicalisation: canonical NaNs are arithmetic ones, so every script
//! must still pass), always with the spec harness's fuel bound per action
//! (`EngineBackend` turns metering on), so a runaway loop fails the input
//! instead of hanging it. A script the engine is expected to pass
//! (`spec-tests/expectations/engine.txt` does not list it) must pass under
//! every configuration.

use crate::say;
use arbitrary::{Result, Unstructured};
use kiln::{BoundsChecks, Config, OptLevel};
use kiln_spec_tests::engine_backend::{EngineBackend, features_for};
use kiln_spec_tests::expectations::Expectations;
use kiln_spec_tests::suites::{self, SUITES, ScriptFeatures};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A spec script: its key (`<suite>/<relative path>`), where it is, and
/// what it is written for.
pub struct Script {
    pub key: String,
    pub path: PathBuf,
    pub features: ScriptFeatures,
}

/// The scripts the engine is expected to pass. Empty if no suite is found
/// (the spec test harness reports that; fuzzing then has nothing to run).
pub fn scripts() -> &'static [Script] {
    static SCRIPTS: OnceLock<Vec<Script>> = OnceLock::new();
    SCRIPTS.get_or_init(|| {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec-tests/expectations/engine.txt");
        let expectations = Expectations::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        for suite in SUITES {
            let Ok(root) = suites::locate(&suite) else {
                continue;
            };
            for file in suite.scripts(&root).unwrap_or_default() {
                let key = format!("{}/{file}", suite.id);
                if expectations.reason(&key).is_none() {
                    out.push(Script {
                        features: suite.features_of(&file),
                        path: root.join(&file),
                        key,
                    });
                }
            }
        }
        out
    })
}

/// The configuration a script runs under.
#[derive(Clone, Copy, Debug)]
pub struct WastConfig {
    pub bounds_checks: BoundsChecks,
    pub opt_level: OptLevel,
    pub max_wasm_stack: usize,
    pub parallel_compilation: bool,
    pub spectre_guards: bool,
    pub nan_canonicalization: bool,
}

impl WastConfig {
    pub fn arbitrary(u: &mut Unstructured<'_>) -> Result<WastConfig> {
        Ok(WastConfig {
            bounds_checks: *u.choose(&[BoundsChecks::GuardPages, BoundsChecks::Explicit])?,
            opt_level: *u.choose(&[OptLevel::Speed, OptLevel::None, OptLevel::SpeedAndSize])?,
            // The suite's deepest non-exhausting recursion fits in 512 KiB.
            max_wasm_stack: *u.choose(&[512 << 10, 1 << 20, 4 << 20])?,
            parallel_compilation: u.arbitrary()?,
            spectre_guards: !u.ratio(1, 4)?,
            nan_canonicalization: u.ratio(1, 4)?,
        })
    }

    /// The engine configuration for a script written for `features`: the
    /// features the spec harness (and its expectations file) runs it with.
    pub fn config(&self, features: &ScriptFeatures) -> Config {
        let mut c = Config::new();
        c.wasm_features(features_for(features))
            .bounds_checks(self.bounds_checks)
            .cranelift_opt_level(self.opt_level)
            .max_wasm_stack(self.max_wasm_stack)
            .parallel_compilation(self.parallel_compilation)
            .cranelift_spectre_guards(self.spectre_guards)
            .cranelift_nan_canonicalization(self.nan_canonicalization);
        c
    }
}

pub fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let scripts = scripts();
    if scripts.is_empty() {
        return Ok(());
    }
    let script = u.choose(scripts)?;
    let config = WastConfig::arbitrary(&mut u)?;
    run_script(script, &config);
    Ok(())
}

/// Run one script under `config`; panics with the failures if it fails.
pub fn run_script(script: &Script, config: &WastConfig) {
    let Script {
        key,
        path,
        features,
    } = script;
    say!("wast: {key} under {config:?}");
    let c = config.config(features);
    let make = || EngineBackend::with_config(&c).expect("generated configs are supported");
    let report = kiln_spec_tests::run_wast_file(&make, path);
    say!("{}/{} directives", report.passed, report.total);
    if !report.is_success() {
        let mut out = String::new();
        let _ = report.write_failures(&mut out, "  ", 20);
        panic!(
            "{key} fails under {config:?}: {}/{} directives\n{out}",
            report.passed, report.total
        );
    }
}
