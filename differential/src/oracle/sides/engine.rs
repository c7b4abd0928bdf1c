//! The side under test: Kiln's JIT engine, through its embedding API only.

use anyhow::Error;
use kiln::{
    BoundsChecks, Config, Engine, ExternRef, Func, Instance, Linker, Module, OptLevel, Store,
    TrapCode, Val,
};

use super::{Limits, Side};
use crate::oracle::observe::{Arg, Limit, MemoryObs, Obs, Outcome, RefIds, Snapshot, TrapKind};
use crate::oracle::plan::{Call, Shape};

/// Which code the engine generates: campaigns rotate through these, so
/// both bounds-check strategies and both optimisation paths get checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineVariant {
    /// Explicit bounds checks instead of guard pages; these variants also
    /// run with epoch interruption on (a deadline never reached), so the
    /// code the checks change (copied loop bodies) is checked too.
    pub explicit_bounds: bool,
    /// Cranelift `OptLevel::None` instead of `Speed`.
    pub no_opt: bool,
    /// `Config::cranelift_nan_canonicalization`: the deterministic oracle's
    /// engine ([`crate::oracle::Oracle::deterministic`]).
    pub canonical_nans: bool,
}

impl EngineVariant {
    /// The standard oracle's variants, in the order seeds select them.
    pub const ALL: [EngineVariant; 4] = [
        EngineVariant::new(false, false),
        EngineVariant::new(true, false),
        EngineVariant::new(false, true),
        EngineVariant::new(true, true),
    ];

    /// The deterministic oracle's: the same with NaN canonicalisation.
    pub const DETERMINISTIC: [EngineVariant; 4] = [
        EngineVariant::ALL[0].with_canonical_nans(),
        EngineVariant::ALL[1].with_canonical_nans(),
        EngineVariant::ALL[2].with_canonical_nans(),
        EngineVariant::ALL[3].with_canonical_nans(),
    ];

    const fn new(explicit_bounds: bool, no_opt: bool) -> EngineVariant {
        EngineVariant {
            explicit_bounds,
            no_opt,
            canonical_nans: false,
        }
    }

    const fn with_canonical_nans(self) -> EngineVariant {
        EngineVariant {
            canonical_nans: true,
            ..self
        }
    }

    /// The variant a seed selects.
    pub fn for_seed(seed: u64) -> EngineVariant {
        EngineVariant::ALL[(seed % 4) as usize]
    }

    /// Every variant by its number in reproducers and `replay --variant`:
    /// [`EngineVariant::ALL`] (0-3), then [`EngineVariant::DETERMINISTIC`]
    /// (4-7).
    pub fn numbered() -> impl Iterator<Item = EngineVariant> {
        EngineVariant::ALL
            .into_iter()
            .chain(EngineVariant::DETERMINISTIC)
    }
}

impl std::fmt::Display for EngineVariant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bounds = if self.explicit_bounds {
            "explicit,epochs"
        } else {
            "guard"
        };
        let opt = if self.no_opt { "none" } else { "speed" };
        write!(f, "{bounds},{opt}")?;
        if self.canonical_nans {
            write!(f, ",canonical-nans")?;
        }
        Ok(())
    }
}

struct State {
    store: Store<()>,
    instance: Instance,
    ids: RefIds<Func>,
}

/// Kiln with fuel metering on and the oracle's stack limit.
pub struct EngineSide {
    engine: Engine,
    variant: EngineVariant,
    fuel: u64,
    state: Option<State>,
}

impl EngineSide {
    pub fn new(variant: EngineVariant, limits: Limits) -> Result<EngineSide, String> {
        let mut config = Config::new();
        config
            .consume_fuel(true)
            .max_wasm_stack(limits.max_wasm_stack)
            // The oracle compiles many tiny modules; threads only add overhead
            // on a machine shared with other jobs.
            .parallel_compilation(false)
            .bounds_checks(if variant.explicit_bounds {
                BoundsChecks::Explicit
            } else {
                BoundsChecks::GuardPages
            })
            .cranelift_opt_level(if variant.no_opt {
                OptLevel::None
            } else {
                OptLevel::Speed
            })
            .cranelift_nan_canonicalization(variant.canonical_nans)
            .epoch_interruption(variant.explicit_bounds);
        let engine = Engine::new(&config).map_err(|e| format!("{e:#}"))?;
        Ok(EngineSide {
            engine,
            variant,
            fuel: limits.fuel,
            state: None,
        })
    }
}

/// The engine's error as an outcome: traps by code, fuel and stack as
/// limits, anything else as a failure.
fn outcome_of(e: &Error) -> Outcome {
    let Some(trap) = e.downcast_ref::<kiln::Trap>() else {
        return Outcome::Failed(format!("{e:#}"));
    };
    Outcome::Trapped(match trap.code() {
        TrapCode::StackOverflow => return Outcome::Exhausted(Limit::Stack),
        TrapCode::OutOfFuel => return Outcome::Exhausted(Limit::Fuel),
        TrapCode::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds => TrapKind::TableOutOfBounds,
        TrapCode::IndirectCallToNull => TrapKind::IndirectCallToNull,
        TrapCode::BadSignature => TrapKind::IndirectCallTypeMismatch,
        TrapCode::IntegerOverflow => TrapKind::IntegerOverflow,
        TrapCode::IntegerDivisionByZero => TrapKind::IntegerDivideByZero,
        TrapCode::BadConversionToInteger => TrapKind::InvalidConversionToInteger,
        TrapCode::UnreachableCodeReached => TrapKind::Unreachable,
        TrapCode::NullReference => TrapKind::NullReference,
        TrapCode::NullFunctionReference => TrapKind::NullFunctionReference,
        TrapCode::NullExceptionReference => TrapKind::NullExceptionReference,
        other => return Outcome::Failed(format!("unknown trap code {other:?}")),
    })
}

fn obs(state: &mut State, v: &Val) -> Result<Obs, String> {
    Ok(match v {
        Val::I32(x) => Obs::I32(*x),
        Val::I64(x) => Obs::I64(*x),
        Val::F32(x) => Obs::F32(*x),
        Val::F64(x) => Obs::F64(*x),
        Val::FuncRef(f) => Obs::FuncRef(f.map(|f| state.ids.id(f))),
        Val::ExternRef(None) => Obs::ExternRef(None),
        Val::ExternRef(Some(r)) => {
            let data = r.data(&state.store).map_err(|e| format!("{e:#}"))?;
            match data.downcast_ref::<u32>() {
                Some(n) => Obs::ExternRef(Some(*n)),
                None => return Err("externref with a foreign payload".into()),
            }
        }
        Val::V128(x) => Obs::V128(*x),
        Val::ExnRef(e) => Obs::ExnRef {
            is_null: e.is_none(),
        },
    })
}

/// An escaped exception as an outcome (see [`Outcome::Thrown`]).
fn thrown(state: &mut State) -> Outcome {
    let Some(exn) = state.store.take_pending_exception() else {
        return Outcome::Failed("exception without a pending exception".into());
    };
    let (tag, fields) = match (exn.tag(&state.store), exn.fields(&mut state.store)) {
        (Ok(t), Ok(f)) => (t, f),
        (Err(e), _) | (_, Err(e)) => return Outcome::Failed(format!("{e:#}")),
    };
    let export = state
        .instance
        .exports(&mut state.store)
        .into_iter()
        .find(|(_, e)| matches!(e, kiln::Extern::Tag(t) if *t == tag))
        .map(|(name, _)| name);
    match fields.iter().map(|v| obs(state, v)).collect() {
        Ok(payload) => Outcome::Thrown {
            tag: export.unwrap_or_else(|| format!("#{}", fields.len())),
            payload,
        },
        Err(e) => Outcome::Failed(e),
    }
}

fn val(state: &mut State, a: &Arg) -> Result<Val, String> {
    Ok(match a {
        Arg::I32(x) => Val::I32(*x),
        Arg::I64(x) => Val::I64(*x),
        Arg::F32(x) => Val::F32(*x),
        Arg::F64(x) => Val::F64(*x),
        Arg::V128(x) => Val::V128(*x),
        Arg::FuncRef(None) => Val::FuncRef(None),
        Arg::FuncRef(Some(name)) => Val::FuncRef(Some(
            state
                .instance
                .get_func(&mut state.store, name)
                .ok_or_else(|| format!("no function export {name:?}"))?,
        )),
        Arg::ExternRef(None) => Val::ExternRef(None),
        Arg::ExternRef(Some(n)) => Val::ExternRef(Some(ExternRef::new(&mut state.store, *n))),
    })
}

impl Side for EngineSide {
    fn name(&self) -> String {
        format!("engine[{}]", self.variant)
    }

    fn instantiate(&mut self, wasm: &[u8], shape: &Shape) -> Outcome {
        self.state = None;
        let module = match Module::from_binary(&self.engine, wasm) {
            Ok(m) => m,
            Err(e) => return Outcome::Failed(format!("compile: {e:#}")),
        };
        let mut store = Store::new(&self.engine, ());
        // Nothing increments the epoch: with epochs on, never reached.
        store.set_epoch_deadline(1 << 40);
        if let Err(e) = store.set_fuel(self.fuel) {
            return Outcome::Failed(format!("{e:#}"));
        }
        let instance = match Linker::new(&self.engine).instantiate(&mut store, &module) {
            Ok(i) => i,
            Err(e) => return outcome_of(&e),
        };
        let mut state = State {
            store,
            instance,
            ids: RefIds::default(),
        };
        for name in &shape.all_funcs {
            if let Some(f) = state.instance.get_func(&mut state.store, name) {
                state.ids.id(f);
            }
        }
        self.state = Some(state);
        Outcome::Returned(Vec::new())
    }

    fn call(&mut self, call: &Call) -> Outcome {
        let Some(state) = self.state.as_mut() else {
            return Outcome::Failed("not instantiated".into());
        };
        let Some(func) = state.instance.get_func(&mut state.store, &call.func) else {
            return Outcome::Failed(format!("no function export {:?}", call.func));
        };
        let args = match call
            .args
            .iter()
            .map(|a| val(state, a))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(a) => a,
            Err(e) => return Outcome::Failed(e),
        };
        let mut results = vec![Val::I32(0); func.ty(&state.store).results().len()];
        if let Err(e) = state.store.set_fuel(self.fuel) {
            return Outcome::Failed(format!("{e:#}"));
        }
        if let Err(e) = func.call(&mut state.store, &args, &mut results) {
            if e.is::<kiln::ThrownException>() {
                return thrown(state);
            }
            return outcome_of(&e);
        }
        match results.iter().map(|v| obs(state, v)).collect() {
            Ok(vals) => Outcome::Returned(vals),
            Err(e) => Outcome::Failed(e),
        }
    }

    fn set_global_i32(&mut self, name: &str, value: i32) -> Result<(), String> {
        let state = self.state.as_mut().ok_or("not instantiated")?;
        let g = state
            .instance
            .get_global(&mut state.store, name)
            .ok_or_else(|| format!("no global export {name:?}"))?;
        g.set(&mut state.store, Val::I32(value))
            .map_err(|e| format!("{e:#}"))
    }

    fn snapshot(&mut self, shape: &Shape) -> Result<Snapshot, String> {
        let state = self.state.as_mut().ok_or("not instantiated")?;
        let mut snap = Snapshot::default();
        for name in &shape.globals {
            let g = state
                .instance
                .get_global(&mut state.store, name)
                .ok_or_else(|| format!("no global export {name:?}"))?;
            let v = g.get(&mut state.store);
            snap.globals.insert(name.clone(), obs(state, &v)?);
        }
        for name in &shape.memories {
            let m = state
                .instance
                .get_memory(&mut state.store, name)
                .ok_or_else(|| format!("no memory export {name:?}"))?;
            let data = m.data(&state.store);
            snap.memories.insert(name.clone(), MemoryObs::of(data));
        }
        for name in &shape.tables {
            let t = state
                .instance
                .get_table(&mut state.store, name)
                .ok_or_else(|| format!("no table export {name:?}"))?;
            let mut slots = Vec::new();
            for i in 0..t.size(&state.store) {
                let v = t
                    .get(&mut state.store, i)
                    .ok_or_else(|| format!("table {name:?}[{i}] unreadable"))?;
                slots.push(obs(state, &v)?);
            }
            snap.tables.insert(name.clone(), slots);
        }
        Ok(snap)
    }
}
