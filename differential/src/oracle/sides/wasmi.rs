//! The third opinion: wasmi, an independent interpreter, so a bug that the
//! engine and our interpreter share (e.g. a shared misreading of the spec)
//! still shows as a mismatch.
//!
//! **SIMD modules are left to the engine and the interpreter.** wasmi 2.0
//! implements fixed-width SIMD (its `simd` feature, enabled in
//! `Cargo.toml`), but on some generated SIMD modules it jumps through a
//! null handler in its dispatch loop (`execute_until_done`, with the
//! `portable-dispatch` the workspace selects) and the process dies with
//! SIGSEGV, taking the whole campaign with it; see
//! `tests/regressions/wasmi-simd-segv.wat`. So by default this side
//! [declines](Side::declines) every module that needs SIMD
//! ([`super::needs_simd`]), and the campaign tallies them as sat out.
//! Setting `KILN_ORACLE_WASMI_SIMD=1` (or [`WasmiSide::with_simd`]) lets
//! wasmi run them anyway, e.g. to check a newer wasmi.
//!
//! **Nor does it run proposals wasmi 2.0 lacks**: typed function
//! references and exception handling. Modules needing either are declined
//! too ([`SHARED`]).
//!
//! **Nor modules wasmi 2.0 cannot translate.** Its translator panics
//! (`unreachable!` in `encode_store`) on some valid modules
//! (`tests/regressions/wasmi-store-panic.wat`, found by a three-way
//! campaign). wasmi here compiles eagerly, so that panic happens in
//! `Module::new`, which [`Side::declines`] runs under `catch_unwind`: a
//! module that panics is sat out (and the engine, which may have been
//! left mid-update, replaced), instead of ending the campaign.

use wasmi::errors::{ErrorKind, InstantiationError};
use wasmi::{
    CompilationMode, Config, Engine, Error, ExternRef, F32, F64, Func, Instance, Linker, Module,
    Nullable, Ref, Store, TrapCode, V128, Val,
};

use super::{Limits, Side};
use crate::oracle::observe::{Arg, Limit, MemoryObs, Obs, Outcome, RefIds, Snapshot, TrapKind};
use crate::oracle::plan::{Call, Shape};

struct State {
    store: Store<()>,
    instance: Instance,
    /// wasmi's `Func` has no `PartialEq`; its `Debug` form names the store
    /// slot, which is the identity we need.
    ids: RefIds<String>,
}

/// The features of Kiln's that wasmi 2.0 runs (as configured in
/// [`WasmiSide::with_simd`]): all but typed function references and
/// exception handling.
#[allow(
    clippy::needless_update,
    reason = "a field Kiln adds later must default to off here, not fail to compile"
)]
pub const SHARED: kiln::Features = kiln::Features {
    mutable_global: true,
    sign_extension: true,
    saturating_float_to_int: true,
    multi_value: true,
    bulk_memory: true,
    reference_types: true,
    simd: true,
    multi_memory: true,
    memory64: true,
    tail_call: true,
    extended_const: true,
    custom_page_sizes: true,
    wide_arithmetic: true,
    ..kiln::Features::WASM2
};

/// wasmi with fuel metering and the oracle's call-depth limit.
pub struct WasmiSide {
    config: Config,
    engine: Engine,
    /// The bytes `declines` compiled and what that gave, for
    /// `instantiate` of the same bytes.
    compiled: Option<(Vec<u8>, Result<Module, Error>)>,
    fuel: u64,
    /// Whether SIMD modules run here too (see the module docs).
    simd: bool,
    state: Option<State>,
}

/// The environment variable that lets wasmi run SIMD modules.
pub const WASMI_SIMD_ENV: &str = "KILN_ORACLE_WASMI_SIMD";

impl WasmiSide {
    /// wasmi, sitting out SIMD modules unless `KILN_ORACLE_WASMI_SIMD=1`.
    pub fn new(limits: Limits) -> WasmiSide {
        let simd = std::env::var(WASMI_SIMD_ENV).is_ok_and(|v| v == "1");
        WasmiSide::with_simd(limits, simd)
    }

    /// wasmi, running SIMD modules too if `simd`.
    pub fn with_simd(limits: Limits, simd: bool) -> WasmiSide {
        let mut config = Config::default();
        config
            .consume_fuel(true)
            .set_max_recursion_depth(limits.max_call_depth)
            // Kiln's proposals that wasmi's defaults leave off (multi-memory,
            // tail calls and extended constants are on by default).
            .wasm_memory64(true)
            .wasm_custom_page_sizes(true)
            .wasm_wide_arithmetic(true)
            // Translation panics surface in `Module::new` (module docs).
            .compilation_mode(CompilationMode::Eager);
        WasmiSide {
            engine: Engine::new(&config),
            config,
            compiled: None,
            fuel: limits.fuel,
            simd,
            state: None,
        }
    }
}

fn outcome_of(e: &Error) -> Outcome {
    // An active element segment out of bounds traps in Wasm 2.0, but wasmi
    // reports it as an instantiation error without a trap code.
    if let ErrorKind::Instantiation(InstantiationError::ElementSegmentDoesNotFit { .. }) = e.kind()
    {
        return Outcome::Trapped(TrapKind::TableOutOfBounds);
    }
    let Some(code) = e.as_trap_code() else {
        return Outcome::Failed(e.to_string());
    };
    Outcome::Trapped(match code {
        TrapCode::StackOverflow => return Outcome::Exhausted(Limit::Stack),
        TrapCode::OutOfFuel => return Outcome::Exhausted(Limit::Fuel),
        TrapCode::UnreachableCodeReached => TrapKind::Unreachable,
        TrapCode::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds => TrapKind::TableOutOfBounds,
        TrapCode::IndirectCallToNull => TrapKind::IndirectCallToNull,
        TrapCode::IntegerDivisionByZero => TrapKind::IntegerDivideByZero,
        TrapCode::IntegerOverflow => TrapKind::IntegerOverflow,
        TrapCode::BadConversionToInteger => TrapKind::InvalidConversionToInteger,
        TrapCode::BadSignature => TrapKind::IndirectCallTypeMismatch,
        other => return Outcome::Failed(format!("trap {other:?}")),
    })
}

fn func_id(ids: &mut RefIds<String>, f: &Func) -> u32 {
    ids.id(format!("{f:?}"))
}

fn obs(state: &mut State, v: &Val) -> Result<Obs, String> {
    Ok(match v {
        Val::I32(x) => Obs::I32(*x),
        Val::I64(x) => Obs::I64(*x),
        Val::F32(x) => Obs::F32(x.to_bits()),
        Val::F64(x) => Obs::F64(x.to_bits()),
        Val::FuncRef(f) => ref_obs(state, &Ref::Func(*f))?,
        Val::ExternRef(r) => ref_obs(state, &Ref::Extern(*r))?,
        Val::V128(x) => Obs::V128(x.as_u128()),
    })
}

fn ref_obs(state: &mut State, r: &Ref) -> Result<Obs, String> {
    Ok(match r {
        Ref::Func(Nullable::Null) => Obs::FuncRef(None),
        Ref::Func(Nullable::Val(f)) => Obs::FuncRef(Some(func_id(&mut state.ids, f))),
        Ref::Extern(Nullable::Null) => Obs::ExternRef(None),
        Ref::Extern(Nullable::Val(r)) => match r.data(&state.store).downcast_ref::<u32>() {
            Some(n) => Obs::ExternRef(Some(*n)),
            None => return Err("externref with a foreign payload".into()),
        },
    })
}

fn val(state: &mut State, a: &Arg) -> Result<Val, String> {
    Ok(match a {
        Arg::I32(x) => Val::I32(*x),
        Arg::I64(x) => Val::I64(*x),
        Arg::F32(x) => Val::F32(F32::from_bits(*x)),
        Arg::F64(x) => Val::F64(F64::from_bits(*x)),
        Arg::V128(x) => Val::V128(V128::from(*x)),
        Arg::FuncRef(None) => Val::FuncRef(Nullable::Null),
        Arg::FuncRef(Some(name)) => Val::FuncRef(Nullable::Val(
            state
                .instance
                .get_func(&state.store, name)
                .ok_or_else(|| format!("no function export {name:?}"))?,
        )),
        Arg::ExternRef(None) => Val::ExternRef(Nullable::Null),
        Arg::ExternRef(Some(n)) => {
            Val::ExternRef(Nullable::Val(ExternRef::new(&mut state.store, *n)))
        }
    })
}

impl Side for WasmiSide {
    fn name(&self) -> String {
        "wasmi".into()
    }

    fn declines(&mut self, wasm: &[u8]) -> Option<String> {
        self.compiled = None;
        if super::needs_beyond(wasm, &SHARED) {
            return Some("needs a feature wasmi 2.0 lacks (see sides::wasmi::SHARED)".into());
        }
        if !self.simd && super::needs_simd(wasm) {
            return Some(format!(
                "SIMD module; wasmi 2.0 can crash on them, {WASMI_SIMD_ENV}=1 to run anyway"
            ));
        }
        let engine = &self.engine;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Module::new(engine, wasm))) {
            Ok(compiled) => {
                self.compiled = Some((wasm.to_vec(), compiled));
                None
            }
            Err(_) => {
                self.engine = Engine::new(&self.config);
                Some("wasmi 2.0 panics translating it (a wasmi bug; see sides::wasmi)".into())
            }
        }
    }

    fn instantiate(&mut self, wasm: &[u8], shape: &Shape) -> Outcome {
        self.state = None;
        let compiled = match self.compiled.take() {
            Some((bytes, compiled)) if bytes == wasm => compiled,
            _ => Module::new(&self.engine, wasm),
        };
        let module = match compiled {
            Ok(m) => m,
            Err(e) => return Outcome::Failed(format!("compile: {e}")),
        };
        let mut store = Store::new(&self.engine, ());
        if let Err(e) = store.set_fuel(self.fuel) {
            return Outcome::Failed(e.to_string());
        }
        let instance = match Linker::new(&self.engine).instantiate_and_start(&mut store, &module) {
            Ok(i) => i,
            Err(e) => return outcome_of(&e),
        };
        let mut state = State {
            store,
            instance,
            ids: RefIds::default(),
        };
        for name in &shape.all_funcs {
            if let Some(f) = state.instance.get_func(&state.store, name) {
                func_id(&mut state.ids, &f);
            }
        }
        self.state = Some(state);
        Outcome::Returned(Vec::new())
    }

    fn call(&mut self, call: &Call) -> Outcome {
        let Some(state) = self.state.as_mut() else {
            return Outcome::Failed("not instantiated".into());
        };
        let Some(func) = state.instance.get_func(&state.store, &call.func) else {
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
            return Outcome::Failed(e.to_string());
        }
        if let Err(e) = func.call(&mut state.store, &args, &mut results) {
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
            .get_global(&state.store, name)
            .ok_or_else(|| format!("no global export {name:?}"))?;
        g.set(&mut state.store, Val::I32(value))
            .map_err(|e| e.to_string())
    }

    fn snapshot(&mut self, shape: &Shape) -> Result<Snapshot, String> {
        let state = self.state.as_mut().ok_or("not instantiated")?;
        let mut snap = Snapshot::default();
        for name in &shape.globals {
            let g = state
                .instance
                .get_global(&state.store, name)
                .ok_or_else(|| format!("no global export {name:?}"))?;
            let v = g.get(&state.store);
            snap.globals.insert(name.clone(), obs(state, &v)?);
        }
        for name in &shape.memories {
            let m = state
                .instance
                .get_memory(&state.store, name)
                .ok_or_else(|| format!("no memory export {name:?}"))?;
            let data = m.data(&state.store);
            snap.memories.insert(name.clone(), MemoryObs::of(data));
        }
        for name in &shape.tables {
            let t = state
                .instance
                .get_table(&state.store, name)
                .ok_or_else(|| format!("no table export {name:?}"))?;
            let mut slots = Vec::new();
            for i in 0..t.size(&state.store) {
                let r = t
                    .get(&state.store, i)
                    .ok_or_else(|| format!("table {name:?}[{i}] unreadable"))?;
                slots.push(ref_obs(state, &r)?);
            }
            snap.tables.insert(name.clone(), slots);
        }
        Ok(snap)
    }
}
