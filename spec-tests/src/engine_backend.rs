//! The Kiln engine as a spec-test backend: one `Store` per script, a
//! `Linker` holding the `spectest` module and every registered instance.
//!
//! Every action runs under fuel ([`FUEL_BOUND`] unless the caller picks
//! another bound), so a miscompiled loop fails its directive with
//! [`Failure::Unfinished`] instead of hanging the run.

use crate::backend::{Backend, Failure, Outcome, Value};
use crate::suites::ScriptFeatures;
use kiln::{
    BoundsChecks, Config, Engine, ExternRef, Features, Func, FuncType, Global, GlobalType,
    Instance, Linker, Memory, MemoryType, Module, Mutability, OptLevel, PoolingAllocationConfig,
    RefType, Store, Table, TableType, ThrownException, Trap, TrapCode, Val, ValType,
};
use std::sync::{Mutex, MutexGuard};

/// The fuel one action may use: an `invoke` with everything it calls, or
/// an instantiation with its start function (engine fuel units: roughly one
/// per operator, see `engine/src/translate/fuel.rs`).
///
/// Measured on every directive of both suites under the three
/// [`SPEC_CONFIGURATIONS`], the most any one uses is 103_664_340 in the Wasm
/// 2.0 suite and 103_664_340 in the current one: both are the
/// `assert_exhaustion` of `skip-stack-guard-page.wast`, which recurses until
/// the default 512 KiB wasm stack overflows (it scales with
/// `Config::max_wasm_stack`). Nothing else needs more than 1_310_727
/// (`memory_grow.wast`). (Re-measured, unchanged, once leaf functions
/// stopped charging for themselves.) The bound is about 100× the largest:
/// no correct script comes near it, and the tightest runaway loop
/// (`loop br 0`, 2 fuel per iteration) exhausts it in about 3 s of CPU.
///
/// Metering costs little: compiling the fuel checks was most of it, and
/// leaf functions (no loop, no call: most of the suites' tiny functions)
/// have none. Callgrind's count of the instructions spent translating and
/// compiling the `engine/2.0/` scripts: 1.874 G without fuel, 1.993 G with
/// it (+6%; +41% when every function had a check). The whole runs are
/// too noisy on a shared machine to show the difference reliably
/// (user+sys of six runs each, no fuel → fuel: 2.0 suite 7.1 → 6.4 s
/// mean, current suite 9.2 → 7.9 s).
pub const FUEL_BOUND: u64 = 10_000_000_000;

pub struct EngineBackend {
    engine: Engine,
    store: Store<()>,
    linker: Linker<()>,
    /// Send every module through `serialize` → `deserialize` before use,
    /// so the suite exercises precompiled artifacts.
    artifacts: bool,
    /// Fuel given to each action.
    fuel: u64,
    /// This backend's turn on a shared engine (see
    /// [`POOLING_CONFIGURATION`]), held until the store above is dropped
    /// (fields drop in order).
    _turn: Option<MutexGuard<'static, ()>>,
}

impl EngineBackend {
    /// A backend with the default configuration.
    pub fn new() -> EngineBackend {
        EngineBackend::with_config(&Config::new())
            .expect("the default configuration works on this host")
    }

    /// A backend with the default configuration and the features `script`
    /// is written for.
    pub fn for_script(script: &ScriptFeatures) -> EngineBackend {
        let mut config = Config::new();
        config.wasm_features(features_for(script));
        EngineBackend::with_config(&config).expect("the default configuration works on this host")
    }

    /// A backend with `config`, plus fuel metering (turned on whatever
    /// `config` says) with [`FUEL_BOUND`] per action.
    pub fn with_config(config: &Config) -> anyhow::Result<EngineBackend> {
        let mut config = config.clone();
        config.consume_fuel(true);
        EngineBackend::on_engine(Engine::new(&config)?)
    }

    /// A backend with a store of `engine`.
    fn on_engine(engine: Engine) -> anyhow::Result<EngineBackend> {
        let mut store = Store::new(&engine, ());
        // Far beyond any script's run, for the configurations with epochs
        // on (nothing increments the epoch here); without them, unused.
        store.set_epoch_deadline(1 << 40);
        let mut linker = Linker::new(&engine);
        linker.allow_shadowing(true);
        define_spectest(&mut linker, &mut store)?;
        Ok(EngineBackend {
            engine,
            store,
            linker,
            artifacts: false,
            fuel: FUEL_BOUND,
            _turn: None,
        })
    }

    /// A backend on the pooling engine for `features`, shared by every
    /// backend this makes, one at a time (it waits for its turn).
    fn pooling(features: Features) -> anyhow::Result<EngineBackend> {
        // Poisoned by a script that panicked: its store is gone, and with
        // it every slot it held.
        let turn = POOLING_TURN.lock().unwrap_or_else(|e| e.into_inner());
        let engine = {
            let mut engines = POOLING_ENGINES.lock().unwrap_or_else(|e| e.into_inner());
            match engines.iter().find(|(f, _)| *f == features) {
                Some((_, engine)) => engine.clone(),
                None => {
                    let mut pool = PoolingAllocationConfig::new();
                    pool.total_core_instances(1000)
                        .total_memories(1000)
                        .total_tables(1000)
                        .max_tables_per_module(100)
                        .table_elements(100_000);
                    let mut config = Config::new();
                    config
                        .wasm_features(features)
                        .allocation_strategy(pool)
                        .consume_fuel(true);
                    let engine = Engine::new(&config)?;
                    engines.push((features, engine.clone()));
                    engine
                }
            }
        };
        Ok(EngineBackend {
            _turn: Some(turn),
            ..EngineBackend::on_engine(engine)?
        })
    }

    /// The same backend with `fuel` per action instead of [`FUEL_BOUND`].
    pub fn with_fuel(self, fuel: u64) -> EngineBackend {
        EngineBackend { fuel, ..self }
    }

    /// A backend whose modules all go through a precompiled artifact.
    pub fn with_artifacts(config: &Config) -> anyhow::Result<EngineBackend> {
        Ok(EngineBackend {
            artifacts: true,
            ..EngineBackend::with_config(config)?
        })
    }
}

/// Builds a fresh backend for one script, with the features it is
/// written for.
pub type MakeBackend = fn(&ScriptFeatures) -> EngineBackend;

/// The engine's features for a script: its level, plus its proposal if
/// Kiln implements it.
pub fn features_for(script: &ScriptFeatures) -> Features {
    let level = Features::level(script.level)
        .unwrap_or_else(|| panic!("the suites name known levels, not {:?}", script.level));
    match &script.proposal {
        Some(name) => level.with_proposal(name),
        None => level,
    }
}

/// The configurations `tests/spec.rs` runs every script under, by the name
/// that prefixes its trials:
///
/// - `engine`: the default configuration (guard-page bounds checks);
/// - `engine-explicit`: explicit bounds checks (Spectre-guarded, the
///   default), unoptimised code and NaN canonicalisation, so the other
///   memory strategy, Cranelift's `opt_level=none` path and deterministic
///   NaNs (which every `nan:canonical`/`nan:arithmetic` result admits, while
///   `neg`, `abs`, `copysign` must keep payloads) are held to the same suite;
/// - `engine-artifact`: every module goes through `Module::serialize` →
///   `Module::deserialize` before it is instantiated; with epoch
///   interruption on (and a deadline no script reaches), so that the code
///   the checks change (tight loops' bodies are copied, `unroll.rs`) is held
///   to the suite, and the artifact records the setting.
///
/// All three meter fuel ([`EngineBackend::with_config`]).
pub const SPEC_CONFIGURATIONS: [(&str, MakeBackend); 3] = [
    ("engine", EngineBackend::for_script),
    ("engine-explicit", |script| {
        let mut explicit = Config::new();
        explicit
            .wasm_features(features_for(script))
            .bounds_checks(BoundsChecks::Explicit)
            .cranelift_opt_level(OptLevel::None)
            .cranelift_nan_canonicalization(true);
        EngineBackend::with_config(&explicit).expect("explicit bounds checks work on every host")
    }),
    ("engine-artifact", |script| {
        let mut config = Config::new();
        config
            .wasm_features(features_for(script))
            .epoch_interruption(true);
        EngineBackend::with_artifacts(&config).expect("the default configuration works")
    }),
];

/// `engine-pooling`: the default configuration with the pooling instance
/// allocator. Its scripts share one engine (per feature set), one script
/// at a time, so every instance, memory and table of a script takes a slot
/// earlier scripts used and left dirty: the suite checks the pool's reset
/// as well as its allocation. Run on the 2.0 suite only (`tests/spec.rs`),
/// whose scripts all fit its limits: at most a few hundred instances per
/// script (its store holds them all), one memory of up to 4 GiB each,
/// tables of up to 100,000 elements.
pub const POOLING_CONFIGURATION: (&str, MakeBackend) = ("engine-pooling", |script| {
    EngineBackend::pooling(features_for(script)).expect("the pooling allocator works on this host")
});

/// The engines of [`POOLING_CONFIGURATION`], by feature set.
static POOLING_ENGINES: Mutex<Vec<(Features, Engine)>> = Mutex::new(Vec::new());
/// Held by the one backend using a pooling engine.
static POOLING_TURN: Mutex<()> = Mutex::new(());

impl Default for EngineBackend {
    fn default() -> Self {
        EngineBackend::new()
    }
}

/// The host module the testsuite imports from: no-op `print*` functions,
/// globals of value 666, funcref tables of 10..20 (`table`, and
/// `table64` indexed by `i64`) and a memory of 1..2 pages.
fn define_spectest(linker: &mut Linker<()>, store: &mut Store<()>) -> anyhow::Result<()> {
    let prints: [(&str, &[ValType]); 7] = [
        ("print", &[]),
        ("print_i32", &[ValType::I32]),
        ("print_i64", &[ValType::I64]),
        ("print_f32", &[ValType::F32]),
        ("print_f64", &[ValType::F64]),
        ("print_i32_f32", &[ValType::I32, ValType::F32]),
        ("print_f64_f64", &[ValType::F64, ValType::F64]),
    ];
    for (name, params) in prints {
        let f = Func::new(
            &mut *store,
            FuncType::new(params.iter().cloned(), []),
            |_, _, _| Ok(()),
        );
        linker.define("spectest", name, f)?;
    }
    let globals = [
        ("global_i32", ValType::I32, Val::I32(666)),
        ("global_i64", ValType::I64, Val::I64(666)),
        ("global_f32", ValType::F32, Val::from(666.6f32)),
        ("global_f64", ValType::F64, Val::from(666.6f64)),
    ];
    for (name, ty, val) in globals {
        let g = Global::new(&mut *store, GlobalType::new(ty, Mutability::Const), val)?;
        linker.define("spectest", name, g)?;
    }
    let table = Table::new(
        &mut *store,
        TableType::new(RefType::FUNCREF, 10, Some(20)),
        Val::FuncRef(None),
    )?;
    linker.define("spectest", "table", table)?;
    let table64 = Table::new(
        &mut *store,
        TableType::new64(RefType::FUNCREF, 10, Some(20)),
        Val::FuncRef(None),
    )?;
    linker.define("spectest", "table64", table64)?;
    let memory = Memory::new(&mut *store, MemoryType::new(1, Some(2)))?;
    linker.define("spectest", "memory", memory)?;
    Ok(())
}

impl EngineBackend {
    /// Fill the tank for one action.
    fn refuel(&mut self) -> Outcome<()> {
        self.store
            .set_fuel(self.fuel)
            .map_err(|e| Failure::Other(format!("cannot set fuel: {e:#}")))
    }

    /// Why `action` failed with `e`: running out of fuel is the runner's
    /// bound, never a spec trap; other traps keep the spec's wording;
    /// `other` wraps anything else.
    fn failure(
        &mut self,
        e: anyhow::Error,
        action: impl FnOnce() -> String,
        other: impl FnOnce(String) -> Failure,
    ) -> Failure {
        if e.is::<ThrownException>() {
            return Failure::Exception(self.describe_pending_exception());
        }
        match e.downcast_ref::<Trap>().map(Trap::code) {
            Some(TrapCode::OutOfFuel) => {
                Failure::Unfinished(format!("{} used all {} fuel", action(), self.fuel))
            }
            Some(code) => Failure::Trap(code.message().to_string()),
            None => other(format!("{e:#}")),
        }
    }

    /// The pending exception's tag (its type) and payload, taken out of
    /// the store.
    fn describe_pending_exception(&mut self) -> String {
        let Some(exn) = self.store.take_pending_exception() else {
            return "no pending exception".to_string();
        };
        let tag = exn.tag(&self.store).map(|t| t.ty(&self.store));
        let fields = exn.fields(&mut self.store);
        match (tag, fields) {
            (Ok(tag), Ok(fields)) => format!("tag {} payload {fields:?}", tag.ty()),
            (Err(e), _) | (_, Err(e)) => format!("{e:#}"),
        }
    }

    fn val_of(&mut self, v: &Value) -> Outcome<Val> {
        Ok(match *v {
            Value::I32(x) => Val::I32(x),
            Value::I64(x) => Val::I64(x),
            Value::F32(x) => Val::F32(x),
            Value::F64(x) => Val::F64(x),
            Value::V128(x) => Val::V128(x),
            Value::FuncRef { is_null: true } => Val::FuncRef(None),
            Value::FuncRef { is_null: false } => {
                return Err(Failure::Other(
                    "a non-null funcref cannot be written in a script".into(),
                ));
            }
            Value::ExternRef(None) => Val::ExternRef(None),
            Value::ExternRef(Some(n)) => Val::ExternRef(Some(ExternRef::new(&mut self.store, n))),
            Value::ExnRef { is_null: true } => Val::ExnRef(None),
            Value::ExnRef { is_null: false } => {
                return Err(Failure::Other(
                    "a non-null exnref cannot be written in a script".into(),
                ));
            }
        })
    }

    fn value_of(&self, v: &Val) -> Outcome<Value> {
        Ok(match v {
            Val::I32(x) => Value::I32(*x),
            Val::I64(x) => Value::I64(*x),
            Val::F32(x) => Value::F32(*x),
            Val::F64(x) => Value::F64(*x),
            Val::V128(x) => Value::V128(*x),
            Val::FuncRef(f) => Value::FuncRef {
                is_null: f.is_none(),
            },
            Val::ExnRef(e) => Value::ExnRef {
                is_null: e.is_none(),
            },
            Val::ExternRef(None) => Value::ExternRef(None),
            Val::ExternRef(Some(r)) => {
                let data = r
                    .data(&self.store)
                    .map_err(|e| Failure::Other(format!("{e:#}")))?;
                match data.downcast_ref::<u32>() {
                    Some(n) => Value::ExternRef(Some(*n)),
                    None => {
                        return Err(Failure::Other("externref not created by the script".into()));
                    }
                }
            }
        })
    }
}

impl Backend for EngineBackend {
    type Module = Module;
    type Instance = Instance;

    fn compile(&mut self, wasm: &[u8]) -> Outcome<Module> {
        let module = Module::from_binary(&self.engine, wasm)
            .map_err(|e| Failure::Compile(format!("{e:#}")))?;
        if !self.artifacts {
            return Ok(module);
        }
        let round_trip = || -> anyhow::Result<Module> {
            let bytes = module.serialize()?;
            // SAFETY: the artifact was made a moment ago by this process.
            unsafe { Module::deserialize(&self.engine, bytes) }
        };
        round_trip().map_err(|e| Failure::Other(format!("artifact round trip failed: {e:#}")))
    }

    fn instantiate(&mut self, module: &Module) -> Outcome<Instance> {
        self.refuel()?;
        self.linker
            .instantiate(&mut self.store, module)
            .map_err(|e| {
                // Compilation already succeeded, so what is not a trap is
                // linking (missing or mismatched imports).
                self.failure(e, || "the start function".to_string(), Failure::Link)
            })
    }

    fn register(&mut self, name: &str, instance: &Instance) {
        // Shadowing is allowed, so only store mismatches could fail, and
        // every instance comes from this backend's store.
        let _ = self.linker.instance(&mut self.store, name, *instance);
    }

    fn invoke(&mut self, instance: &Instance, func: &str, args: &[Value]) -> Outcome<Vec<Value>> {
        let f = instance
            .get_func(&mut self.store, func)
            .ok_or_else(|| Failure::Other(format!("no exported function `{func}`")))?;
        let args = args
            .iter()
            .map(|a| self.val_of(a))
            .collect::<Outcome<Vec<_>>>()?;
        let mut results = vec![Val::I32(0); f.ty(&self.store).results().len()];
        self.refuel()?;
        f.call(&mut self.store, &args, &mut results)
            .map_err(|e| self.failure(e, || format!("invoke \"{func}\""), Failure::Other))?;
        results.iter().map(|v| self.value_of(v)).collect()
    }

    fn get(&mut self, instance: &Instance, global: &str) -> Outcome<Value> {
        let g = instance
            .get_global(&mut self.store, global)
            .ok_or_else(|| Failure::Other(format!("no exported global `{global}`")))?;
        let v = g.get(&mut self.store);
        self.value_of(&v)
    }
}
