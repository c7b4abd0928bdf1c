//! The differential oracle's own tests: a deterministic smoke campaign,
//! the same on modules whose NaNs are left raw (the deterministic oracle),
//! proof that generated modules exercise every enabled feature, proof that
//! the oracle can fail, and the regression reproducers.

use std::path::Path;

use kiln_differential::coverage::{self, Feature};
use kiln_differential::generate::{self, Nans};
use kiln_differential::oracle::campaign::{self, CampaignConfig};
use kiln_differential::oracle::compare::NanRule;
use kiln_differential::oracle::observe::{Arg, Obs, Outcome, Snapshot};
use kiln_differential::oracle::plan::{Call, Shape};
use kiln_differential::oracle::repro::{self, Recipe};
use kiln_differential::oracle::sides::engine::{EngineSide, EngineVariant};
use kiln_differential::oracle::sides::interp::InterpSide;
use kiln_differential::oracle::sides::{Limits, Side};
use kiln_differential::oracle::{End, Oracle};

/// Run a campaign, print it, and fail on any mismatch; its tally.
fn run_without_mismatches(config: &CampaignConfig) -> campaign::Tally {
    let result = campaign::run(config).expect("engines configure");
    println!("{result}");
    let reports: Vec<String> = result.found.iter().map(|f| f.summary.clone()).collect();
    assert!(reports.is_empty(), "mismatches:\n{}", reports.join("\n"));
    result.tally
}

/// Fixed seeds, a few hundred modules: every engine variant, every side,
/// SIMD and scalar modules, no unexplained mismatch.
#[test]
fn smoke_campaign() {
    let mut config = CampaignConfig::new(0x6b69_6c6e);
    config.iterations = Some(400);
    config.out = Some(Path::new(env!("CARGO_TARGET_TMPDIR")).join("oracle-smoke"));
    let t = &run_without_mismatches(&config);
    assert_eq!(t.generation_failures, 0);
    // Both flavours ran: most modules use SIMD, some do not.
    assert!(t.simd_modules > t.modules / 2, "{t}");
    assert!(t.simd_modules < t.modules, "{t}");
    // The campaign must have done real work: most modules called something,
    // and both returns and traps happened.
    assert!(t.calls > 3 * t.modules, "{t}");
    assert!(t.returns > 0 && !t.traps.is_empty(), "{t}");
    // The memory features were called into, not only generated.
    for f in [
        Feature::MultipleMemories,
        Feature::OtherMemoryAccess,
        Feature::Memory64,
        Feature::Table64,
        Feature::OneBytePages,
    ] {
        let by = t.by_feature.get(&f).copied().unwrap_or_default();
        assert!(by.modules > 0 && by.calls > by.modules, "{f:?}: {t}");
    }
}

/// The deterministic smoke campaign's seed and module count.
const RAW_SEED: u64 = 0x6e61_6e73;
const RAW_MODULES: u64 = 150;

/// Modules generated without NaN rewriting, on the deterministic oracle:
/// the engine with NaN canonicalisation agrees with the interpreter bit
/// for bit, NaNs included, in every variant.
#[test]
fn deterministic_smoke_campaign() {
    let mut config = CampaignConfig::new(RAW_SEED);
    config.iterations = Some(RAW_MODULES);
    config.nans = Nans::Raw;
    config.out = Some(Path::new(env!("CARGO_TARGET_TMPDIR")).join("oracle-deterministic"));
    let t = &run_without_mismatches(&config);
    assert_eq!(t.generation_failures, 0);
    assert!(t.simd_modules > 0 && t.calls > 3 * t.modules, "{t}");
    assert!(t.returns > 0 && !t.traps.is_empty(), "{t}");
    // Only the interpreter and the engine run: wasmi keeps host NaNs.
    assert!(t.skipped.is_empty(), "{t}");
}

/// The raw modules do produce NaNs only canonicalisation makes agree:
/// compared bit for bit, the engine *without* the option disagrees with
/// the interpreter on some of the smoke campaign's modules (5 of 150 at
/// the time of writing), so that campaign tests the option.
#[test]
fn raw_modules_need_the_engines_canonicalisation() {
    let limits = Limits::default();
    let mut without = Oracle::with_nan_rule(
        vec![Box::new(InterpSide::new(limits)), engine()],
        NanRule::Exact,
    );
    let mismatches = (0..RAW_MODULES)
        .filter(|&i| {
            let (module_seed, call_seed) = campaign::seeds(RAW_SEED, i);
            let wasm = generate::generate_nans(module_seed, &kiln::Features::ALL, Nans::Raw)
                .expect("generation succeeds");
            without.run(&wasm, call_seed).is_mismatch()
        })
        .count();
    println!("{mismatches} of {RAW_MODULES} raw modules show a host NaN");
    assert!(mismatches > 0, "no raw module shows a host NaN");
}

/// The NaN sources the deterministic oracle exists for, fed NaNs with
/// payloads and signs from mutable globals (so nothing is folded at
/// compile time): demote and promote, scalar and per lane, and arithmetic.
/// A module of the scalar functions, and (`vectors`) the vector ones.
fn nan_sources(vectors: bool) -> Vec<u8> {
    let scalar = r#"
      (func (export "demote") (result f32) (f32.demote_f64 (global.get $d)))
      (func (export "promote") (result f64) (f64.promote_f32 (global.get $f)))
      (func (export "add") (result f32) (f32.add (global.get $f) (f32.const 1)))"#;
    let vector = r#"
      (func (export "vdemote") (result v128) (f32x4.demote_f64x2_zero (f64x2.splat (global.get $d))))
      (func (export "vpromote") (result v128) (f64x2.promote_low_f32x4 (f32x4.splat (global.get $f))))
      (func (export "lanes") (result v128)
        (f32x4.mul (f32x4.splat (global.get $f)) (f32x4.splat (f32.const 2))))"#;
    let wat = format!(
        r#"(module
          (global $d (mut f64) (f64.const -nan:0x8000000012345))
          (global $f (mut f32) (f32.const -nan:0x400123))
          {scalar} {})"#,
        if vectors { vector } else { "" }
    );
    wat::parse_str(wat).expect("test module parses")
}

/// On the deterministic oracle those agree in every variant; the same
/// engine without canonicalisation is a mismatch there, and passes the
/// standard oracle's any-NaN rule (on scalar results; v128 results are
/// always compared bit for bit).
#[test]
fn deterministic_oracle_holds_the_engine_to_canonical_nans() {
    let wasm = nan_sources(true);
    let limits = Limits::default();
    for variant in EngineVariant::DETERMINISTIC {
        let mut oracle = Oracle::deterministic(variant, limits).unwrap();
        assert_eq!(
            oracle.side_names(),
            ["interp", &format!("engine[{variant}]")]
        );
        let run = oracle.run(&wasm, 0);
        assert_eq!(run.end, End::Completed, "{}", repro::full_report(&run));
        let called: std::collections::BTreeSet<_> = run
            .steps
            .iter()
            .filter_map(|s| s.call.as_ref())
            .map(|c| c.func.clone())
            .collect();
        assert_eq!(called.len(), 6, "{called:?}");
    }
    let sides = || -> Vec<Box<dyn Side>> { vec![Box::new(InterpSide::new(limits)), engine()] };
    for vectors in [false, true] {
        let run = Oracle::with_nan_rule(sides(), NanRule::Exact).run(&nan_sources(vectors), 0);
        assert!(run.is_mismatch(), "{}", repro::full_report(&run));
    }
    let scalar = Oracle::new(sides()).run(&nan_sources(false), 0);
    assert_eq!(
        scalar.end,
        End::Completed,
        "{}",
        repro::full_report(&scalar)
    );
}

/// wasm-smith really generates modules that use each enabled feature,
/// SIMD included (instructions of every family, v128 across the
/// boundary), and the scalar flavour really has no SIMD nor exceptions.
#[test]
fn generated_modules_use_every_feature() {
    let mut seen = std::collections::BTreeMap::<Feature, u32>::new();
    let modules = 200;
    let mut scalar = 0;
    for i in 0..modules {
        let seed = generate::mix(7, i);
        let wasm = generate::generate(seed).expect("generation succeeds");
        let found = coverage::scan(&wasm).expect("generated modules parse");
        if generate::Flavor::for_seed(seed) == generate::Flavor::Scalar {
            scalar += 1;
            let simd: Vec<_> = found.iter().filter(|f| f.is_simd()).collect();
            assert!(simd.is_empty(), "scalar module {seed} uses {simd:?}");
            let exn = [Feature::Throw, Feature::TryTable];
            let exn: Vec<_> = found.iter().filter(|f| exn.contains(f)).collect();
            assert!(exn.is_empty(), "scalar module {seed} uses {exn:?}");
        }
        for f in found {
            *seen.entry(f).or_default() += 1;
        }
    }
    println!("feature -> modules using it (of {modules}, {scalar} scalar): {seen:?}");
    let missing: Vec<_> = Feature::ALL
        .iter()
        .filter(|f| !seen.contains_key(f))
        .collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
    assert!(
        scalar > 0 && scalar < modules / 2,
        "{scalar} scalar modules"
    );
    // SIMD is not a rarity: most modules use it.
    assert!(seen[&Feature::SimdOps] > modules as u32 / 2, "{seen:?}");
}

/// A side that lies: wraps another and corrupts what it reports.
struct Tamper {
    inner: Box<dyn Side>,
    corrupt_result: bool,
    corrupt_memory: bool,
}

impl Side for Tamper {
    fn name(&self) -> String {
        "tamper".into()
    }
    fn instantiate(&mut self, wasm: &[u8], shape: &Shape) -> Outcome {
        self.inner.instantiate(wasm, shape)
    }
    fn call(&mut self, call: &Call) -> Outcome {
        match self.inner.call(call) {
            Outcome::Returned(mut v) if self.corrupt_result => {
                match v.first_mut() {
                    Some(Obs::I32(x)) => *x = x.wrapping_add(1),
                    // One bit of the last lane.
                    Some(Obs::V128(x)) => *x ^= 1 << 100,
                    _ => {}
                }
                Outcome::Returned(v)
            }
            other => other,
        }
    }
    fn set_global_i32(&mut self, name: &str, value: i32) -> Result<(), String> {
        self.inner.set_global_i32(name, value)
    }
    fn snapshot(&mut self, shape: &Shape) -> Result<Snapshot, String> {
        let mut s = self.inner.snapshot(shape)?;
        if self.corrupt_memory {
            for m in s.memories.values_mut() {
                m.hash ^= 1;
            }
        }
        Ok(s)
    }
}

const ADD: &str = r#"(module
  (memory (export "mem") 1 1)
  (func (export "add") (param i32 i32) (result i32)
    (i32.store (i32.const 0) (local.get 0))
    (i32.add (local.get 0) (local.get 1))))"#;

fn run_against(other: Box<dyn Side>, wat: &str) -> End {
    let wasm = wat::parse_str(wat).expect("test module parses");
    let limits = Limits::default();
    let mut oracle = Oracle::new(vec![Box::new(InterpSide::new(limits)), other]);
    oracle.run(&wasm, 1).end
}

fn engine() -> Box<dyn Side> {
    Box::new(EngineSide::new(EngineVariant::ALL[0], Limits::default()).expect("engine"))
}

/// v128 across the boundary: parameters, results, an exported global, a
/// memory written by vector stores, and float lanes whose NaNs are
/// canonicalised in the module (as generated modules do).
const SIMD: &str = r#"(module
  (memory (export "mem") 1 1)
  (global $g (export "g") (mut v128) (v128.const i64x2 -1 7))
  (func (export "mix") (param v128 v128) (result v128 i32)
    (v128.store (i32.const 16) (i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31
      (local.get 0) (local.get 1)))
    (global.set $g (i16x8.add_sat_s (global.get $g) (local.get 1)))
    (i32x4.dot_i16x8_s (local.get 0) (local.get 1))
    (i8x16.bitmask (local.get 0)))
  (func (export "fsqrt") (param v128) (result v128) (local v128)
    (local.tee 1 (f32x4.sqrt (local.get 0)))
    (v128.const i32x4 0x7fc00000 0x7fc00000 0x7fc00000 0x7fc00000)
    (f32x4.eq (local.get 1) (local.get 1))
    (v128.bitselect)))"#;

#[test]
fn honest_sides_agree() {
    assert_eq!(run_against(engine(), ADD), End::Completed);
}

#[test]
fn honest_sides_agree_on_simd() {
    let wasm = wat::parse_str(SIMD).expect("test module parses");
    let limits = Limits::default();
    for seed in 0..8 {
        let mut oracle = Oracle::new(vec![Box::new(InterpSide::new(limits)), engine()]);
        let run = oracle.run(&wasm, seed);
        assert_eq!(run.end, End::Completed, "{}", repro::full_report(&run));
        // v128 values were really passed, returned and compared.
        let call = run.steps[1].call.as_ref().expect("a call");
        assert!(matches!(call.args[0], Arg::V128(_)), "{call}");
        assert!(
            matches!(&run.steps[1].outcomes[0], Outcome::Returned(v) if matches!(v[0], Obs::V128(_))),
            "{}",
            repro::full_report(&run)
        );
        let snap = run.steps[1].snapshots[0].as_ref().expect("state");
        assert!(matches!(snap.globals["g"], Obs::V128(_)), "{snap:?}");
    }
}

/// wasmi sits SIMD modules out (it can crash on them), and only those.
#[cfg(feature = "wasmi")]
#[test]
fn wasmi_sits_out_simd_modules() {
    let mut oracle = Oracle::standard(EngineVariant::ALL[0], Limits::default()).unwrap();
    let all = oracle.side_names().len();
    let simd = oracle.run(&wat::parse_str(SIMD).unwrap(), 0);
    assert_eq!(simd.end, End::Completed);
    assert_eq!(simd.side_names.len(), all - 1, "{:?}", simd.side_names);
    assert!(
        simd.skipped.iter().any(|(n, _)| n == "wasmi"),
        "{:?}",
        simd.skipped
    );
    let scalar = oracle.run(&wat::parse_str(ADD).unwrap(), 0);
    assert_eq!(scalar.side_names.len(), all, "{:?}", scalar.side_names);
    assert!(scalar.skipped.is_empty());
    // The parked side is back in its place for the next module.
    assert_eq!(oracle.side_names().len(), all);
}

/// Whether a kept reproducer is to run without wasmi (its header says so).
fn without_wasmi(file: &Path) -> bool {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with(";;"))
        .any(|l| l.trim() == ";; oracle: without wasmi")
}

/// The reproducers kept for wasmi's own bugs still catch wasmi, and only
/// it: the first mismatch is the interpreter's against wasmi's, so the
/// engine and wasmtime agree with the interpreter. When a wasmi upgrade
/// fixes one, this fails: drop the file's `without wasmi` line.
#[cfg(feature = "wasmi")]
#[test]
fn wasmi_known_divergence() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut found = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let file = entry.unwrap().path();
        if file.extension().is_none_or(|e| e != "wat") || !without_wasmi(&file) {
            continue;
        }
        found += 1;
        let wasm = wat::parse_file(&file).unwrap();
        let mut oracle = Oracle::standard(EngineVariant::ALL[3], Limits::default()).unwrap();
        let run = oracle.run(&wasm, 4553210978195094472);
        match &run.end {
            End::Mismatch { what, .. } => assert!(
                what.starts_with("interp vs wasmi"),
                "{}: {what}",
                file.display()
            ),
            other => panic!("{}: wasmi agrees now ({other:?})", file.display()),
        }
    }
    assert_ne!(found, 0);
}

/// A module wasmi 2.0 panics translating is sat out by wasmi alone, and
/// the run goes on (a campaign used to end there).
#[cfg(feature = "wasmi")]
#[test]
fn wasmi_sits_out_what_it_cannot_translate() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions/wasmi-store-panic.wat");
    let wasm = wat::parse_file(path).unwrap();
    let mut oracle = Oracle::standard(EngineVariant::ALL[0], Limits::default()).unwrap();
    let all = oracle.side_names().len();
    for _ in 0..2 {
        let run = oracle.run(&wasm, 0);
        assert_eq!(run.end, End::Completed);
        assert_eq!(run.skipped.len(), 1, "{:?}", run.skipped);
        assert!(run.skipped[0].1.contains("panics"), "{:?}", run.skipped);
        assert_eq!(run.side_names.len(), all - 1, "{:?}", run.side_names);
        // wasmi, on a fresh engine, still runs the next module.
        let scalar = oracle.run(&wat::parse_str(ADD).unwrap(), 0);
        assert_eq!(scalar.side_names.len(), all, "{:?}", scalar.side_names);
        assert_eq!(scalar.end, End::Completed);
    }
}

/// wasmtime runs SIMD and scalar modules alike, after the interpreter and
/// the engine (and wasmi).
#[cfg(feature = "wasmtime")]
#[test]
fn wasmtime_runs_simd_and_scalar_modules() {
    let mut oracle = Oracle::standard(EngineVariant::ALL[0], Limits::default()).unwrap();
    for module in [SIMD, ADD] {
        let run = oracle.run(&wat::parse_str(module).unwrap(), 0);
        assert_eq!(run.end, End::Completed, "{}", repro::full_report(&run));
        assert_eq!(run.side_names.last().map(String::as_str), Some("wasmtime"));
        assert!(run.skipped.iter().all(|(n, _)| n != "wasmtime"));
    }
}

/// wasmtime charges fuel for bulk operations by their size by default, so
/// a failing `table.grow` of 2^32 - 65 elements ran it out of any fuel
/// while the other sides returned -1 (found by a campaign, seed 17); the
/// side charges bulk operations flat, like Kiln and the interpreter.
#[cfg(feature = "wasmtime")]
#[test]
fn wasmtime_charges_bulk_operations_flat() {
    let wat = r#"(module
      (table $t (export "t") 1 10 externref)
      (memory (export "m") 1)
      (func (export "grow") (result i32) (table.grow $t (ref.null extern) (i32.const -65)))
      (func (export "fill") (memory.fill (i32.const 0) (i32.const 0) (i32.const 65536))))"#;
    let mut oracle = Oracle::standard(EngineVariant::ALL[0], Limits::default()).unwrap();
    for seed in 0..4 {
        let run = oracle.run(&wat::parse_str(wat).unwrap(), seed);
        assert_eq!(run.end, End::Completed, "{}", repro::full_report(&run));
        assert!(run.side_names.iter().any(|n| n == "wasmtime"));
    }
}

/// wasmtime reports one trap for a null `ref.as_non_null` and a null
/// `call_ref`/`return_call_ref`; the side tells them apart by the trapping
/// instruction, so each matches the interpreter's and the engine's kind.
#[cfg(feature = "wasmtime")]
#[test]
fn wasmtime_null_traps_match() {
    use kiln_differential::oracle::observe::TrapKind;
    use kiln_differential::oracle::sides::wasmtime::WasmtimeSide;
    let wat = r#"(module
      (type $f (func (result i32)))
      (func (export "as_non_null") (drop (ref.as_non_null (ref.null func))))
      (func (export "call_ref") (result i32) (call_ref $f (ref.null $f)))
      (func (export "return_call_ref") (result i32) (return_call_ref $f (ref.null $f))))"#;
    let wasm = wat::parse_str(wat).expect("test module parses");
    let shape = Shape::of(&wasm).expect("shape");
    let mut side = WasmtimeSide::new(Limits::default()).unwrap();
    assert_eq!(side.instantiate(&wasm, &shape), Outcome::Returned(vec![]));
    for (func, kind) in [
        ("as_non_null", TrapKind::NullReference),
        ("call_ref", TrapKind::NullFunctionReference),
        ("return_call_ref", TrapKind::NullFunctionReference),
    ] {
        let call = Call {
            func: func.into(),
            args: vec![],
        };
        assert_eq!(side.call(&call), Outcome::Trapped(kind), "{func}");
    }
    // Not the standard line-up: wasmi has no typed function references.
    let mut oracle = Oracle::new(vec![
        Box::new(InterpSide::new(Limits::default())),
        engine(),
        Box::new(WasmtimeSide::new(Limits::default()).unwrap()),
    ]);
    for seed in 0..4 {
        let run = oracle.run(&wasm, seed);
        assert_eq!(run.end, End::Completed, "{}", repro::full_report(&run));
    }
}

#[test]
fn a_wrong_v128_is_a_mismatch() {
    let tamper = Tamper {
        inner: engine(),
        corrupt_result: true,
        corrupt_memory: false,
    };
    let end = run_against(Box::new(tamper), SIMD);
    assert!(
        matches!(&end, End::Mismatch { step: 1, what } if what.contains("i32x4 lanes 3 differ")),
        "{end:?}"
    );
}

#[test]
fn a_wrong_result_is_a_mismatch() {
    let tamper = Tamper {
        inner: engine(),
        corrupt_result: true,
        corrupt_memory: false,
    };
    let end = run_against(Box::new(tamper), ADD);
    assert!(
        matches!(&end, End::Mismatch { step: 1, what } if what.contains("interp vs tamper")),
        "{end:?}"
    );
}

#[test]
fn a_wrong_memory_is_a_mismatch() {
    let tamper = Tamper {
        inner: engine(),
        corrupt_result: false,
        corrupt_memory: true,
    };
    // Caught right after instantiation, before any call.
    let end = run_against(Box::new(tamper), ADD);
    assert!(
        matches!(&end, End::Mismatch { step: 0, what } if what.contains("memory")),
        "{end:?}"
    );
}

/// One side running out of fuel is a divergence, not a mismatch, and
/// comparison stops there (later calls are not made).
#[test]
fn a_fuel_limit_is_a_divergence() {
    let wat = r#"(module
      (global $g (export "g") (mut i32) (i32.const 0))
      (func (export "spin") (loop $l (global.set $g (i32.add (global.get $g) (i32.const 1)))
        (br_if $l (i32.lt_u (global.get $g) (i32.const 100000))))))"#;
    let starved = InterpSide::new(Limits {
        fuel: 1000,
        ..Limits::default()
    });
    let end = run_against(Box::new(starved), wat);
    assert!(
        matches!(&end, End::Diverged { step: 1, key, .. } if key == "interp:Fuel"),
        "{end:?}"
    );
}

/// Every reproducer kept under `tests/regressions/` (`.wat`) runs clean on
/// every engine variant with several call plans; one whose header says
/// `;; oracle: without wasmi` runs without that side (a known wasmi bug,
/// see `wasmi_known_divergence`).
#[test]
fn regressions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/regressions exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wat"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    for file in &files {
        for variant in EngineVariant::ALL {
            for call_seed in 0..4 {
                let default = Recipe { call_seed, variant };
                let (wasm, recipe) = repro::load(file, default).expect("regression loads");
                let mut oracle = Oracle::for_variant(recipe.variant, Limits::default()).unwrap();
                if without_wasmi(file) {
                    oracle = oracle.without_side("wasmi");
                }
                let run = oracle.run(&wasm, recipe.call_seed);
                if let Some(s) = repro::summary(&run) {
                    failures.push(format!(
                        "{} [{variant}, seed {call_seed}]\n{s}",
                        file.display()
                    ));
                }
                assert_ne!(run.steps.len(), 0);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
