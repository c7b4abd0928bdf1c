//! The fourth opinion: wasmtime, the most-deployed Cranelift engine. Kiln
//! and wasmtime share a code generator, so this side is best at checking
//! what Kiln does *around* Cranelift (translation, bounds checks, tables,
//! traps, calls) against a mature implementation of the same; the
//! interpreter and wasmi stay the independent opinions on Cranelift itself.
//!
//! wasmtime runs exactly the proposals it and Kiln share ([`SHARED`]),
//! each switched on or off explicitly in its `Config` ([`config_for`]), so
//! a wasmtime default that changes between versions cannot silently widen
//! or narrow what it accepts. A module needing anything beyond [`SHARED`]
//! is [declined](Side::declines). NaN bits are compared like wasmi's (the
//! standard oracle's [`NanRule::AnyNan`](crate::oracle::compare::NanRule)):
//! this side only joins the standard line-up, never the deterministic one.

use std::num::NonZeroUsize;

use wasmtime::{
    Config, Engine, Error, Extern, ExternRef, Func, Instance, Linker, Module, OperatorCost,
    OptLevel, Ref, Store, Tag, ThrownException, Trap, V128, Val, WasmBacktrace, WasmFeatures,
};

use super::{Limits, Side};
use crate::oracle::observe::{Arg, Limit, MemoryObs, Obs, Outcome, RefIds, Snapshot, TrapKind};
use crate::oracle::plan::{Call, Shape};

/// The features wasmtime runs here: every one Kiln implements today. A
/// feature Kiln gains later stays off (it is not listed, so it takes
/// [`kiln::Features::WASM2`]'s `false`) until it is mapped in
/// [`config_for`] and added here, and modules using it are declined.
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
    function_references: true,
    exceptions: true,
    ..kiln::Features::WASM2
};

/// wasmtime's `Config` for `features`: each Kiln feature set explicitly,
/// and every proposal Kiln lacks explicitly off. Fuel, the stack limit
/// and the optimisation level as the oracle's engine side has them.
pub fn config_for(features: &kiln::Features, limits: Limits) -> Config {
    let mut config = Config::new();
    config
        .consume_fuel(true)
        .max_wasm_stack(limits.max_wasm_stack)
        .cranelift_opt_level(OptLevel::Speed)
        // Compilation is single-threaded: the `parallel-compilation` cargo
        // feature is off. Null-reference traps are placed by the innermost
        // frame of their backtrace.
        .wasm_backtrace_max_frames(NonZeroUsize::new(1))
        .operator_cost(flat_operator_cost())
        .wasm_features(WasmFeatures::MUTABLE_GLOBAL, features.mutable_global)
        .wasm_features(WasmFeatures::SIGN_EXTENSION, features.sign_extension)
        .wasm_features(
            WasmFeatures::SATURATING_FLOAT_TO_INT,
            features.saturating_float_to_int,
        )
        .wasm_multi_value(features.multi_value)
        .wasm_bulk_memory(features.bulk_memory)
        .wasm_reference_types(features.reference_types)
        .wasm_simd(features.simd)
        .wasm_multi_memory(features.multi_memory)
        .wasm_memory64(features.memory64)
        .wasm_tail_call(features.tail_call)
        .wasm_extended_const(features.extended_const)
        .wasm_custom_page_sizes(features.custom_page_sizes)
        .wasm_wide_arithmetic(features.wide_arithmetic)
        .wasm_function_references(features.function_references)
        .wasm_exceptions(features.exceptions)
        // Kiln accepts the legacy exception instructions wherever it
        // accepts exceptions; wasmtime's Cranelift backend never does
        // (modules using them are declined).
        .wasm_features(WasmFeatures::LEGACY_EXCEPTIONS, false)
        // Proposals Kiln does not implement: wasmtime must reject what
        // Kiln rejects.
        .wasm_relaxed_simd(false)
        .wasm_gc(false)
        .wasm_stack_switching(false)
        .wasm_features(WasmFeatures::THREADS, false)
        .wasm_features(WasmFeatures::SHARED_EVERYTHING_THREADS, false)
        .wasm_features(WasmFeatures::COMPONENT_MODEL, false);
    config
}

/// wasmtime's default fuel costs, but none proportional to a bulk
/// operation's size. wasmtime charges `table.grow`, `memory.fill` and the
/// like per element or byte *before* trying them, so a `table.grow` of
/// 2^32 - 65 elements, which fails and returns -1 everywhere, exhausted any
/// fuel on wasmtime alone: a divergence that ended the comparison of the
/// module (11 of 6,167 modules in a campaign). Kiln and the interpreter
/// charge one unit per operator, whatever its size; so does this side.
fn flat_operator_cost() -> OperatorCost {
    let mut cost = OperatorCost::new();
    let v = &mut cost.variable;
    for per_unit in [
        &mut v.memory_copy_per_byte,
        &mut v.memory_fill_per_byte,
        &mut v.memory_init_per_byte,
        &mut v.memory_grow_per_page,
        &mut v.table_copy_per_element,
        &mut v.table_fill_per_element,
        &mut v.table_init_per_element,
        &mut v.table_grow_per_element,
        &mut v.array_copy_per_element,
        &mut v.array_fill_per_element,
        &mut v.array_new_data_per_element,
        &mut v.array_init_data_per_element,
        &mut v.array_new_elem_per_element,
        &mut v.array_init_elem_per_element,
        &mut v.array_new_default_per_element,
        &mut v.array_new_per_element,
    ] {
        *per_unit = 0;
    }
    cost
}

struct State {
    /// The module, to place traps by their offset in it.
    wasm: Vec<u8>,
    store: Store<()>,
    instance: Instance,
    /// wasmtime's `Func` has no `PartialEq`; its `Debug` form names the
    /// store and the function's `VMFuncRef`, which is the identity we need.
    ids: RefIds<String>,
}

/// wasmtime with fuel metering and the oracle's stack limit.
pub struct WasmtimeSide {
    engine: Engine,
    fuel: u64,
    state: Option<State>,
}

impl WasmtimeSide {
    pub fn new(limits: Limits) -> Result<WasmtimeSide, String> {
        let engine =
            Engine::new(&config_for(&SHARED, limits)).map_err(|e| format!("wasmtime: {e:#}"))?;
        Ok(WasmtimeSide {
            engine,
            fuel: limits.fuel,
            state: None,
        })
    }
}

/// wasmtime's error as an outcome; `wasm` is the module it ran, to place
/// a null-reference trap ([`null_trap_kind`]). (An escaped exception is
/// [`thrown`]'s, where the store is at hand.)
fn outcome_of(e: &Error, wasm: &[u8]) -> Outcome {
    let Some(trap) = e.downcast_ref::<Trap>() else {
        return Outcome::Failed(format!("{e:#}"));
    };
    Outcome::Trapped(match trap {
        Trap::StackOverflow => return Outcome::Exhausted(Limit::Stack),
        Trap::OutOfFuel => return Outcome::Exhausted(Limit::Fuel),
        Trap::UnreachableCodeReached => TrapKind::Unreachable,
        Trap::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        Trap::TableOutOfBounds => TrapKind::TableOutOfBounds,
        Trap::IndirectCallToNull => TrapKind::IndirectCallToNull,
        Trap::BadSignature => TrapKind::IndirectCallTypeMismatch,
        Trap::IntegerOverflow => TrapKind::IntegerOverflow,
        Trap::IntegerDivisionByZero => TrapKind::IntegerDivideByZero,
        Trap::BadConversionToInteger => TrapKind::InvalidConversionToInteger,
        Trap::NullReference => null_trap_kind(e, wasm),
        other => return Outcome::Failed(format!("trap {other:?}")),
    })
}

/// wasmtime has one trap code for a null `ref.as_non_null`, for
/// `call_ref`/`return_call_ref` on null and for `throw_ref` on null, where
/// the spec (and Kiln) report "null reference", "null function reference"
/// and "null exception reference". The trap's backtrace names the module
/// offset of the trapping instruction: its opcode tells them apart.
fn null_trap_kind(e: &Error, wasm: &[u8]) -> TrapKind {
    const THROW_REF: u8 = 0x0a;
    const CALL_REF: u8 = 0x14;
    const RETURN_CALL_REF: u8 = 0x15;
    let opcode = e
        .downcast_ref::<WasmBacktrace>()
        .and_then(|bt| bt.frames().first())
        .and_then(|frame| frame.module_offset())
        .and_then(|offset| wasm.get(offset));
    match opcode {
        Some(&(CALL_REF | RETURN_CALL_REF)) => TrapKind::NullFunctionReference,
        Some(&THROW_REF) => TrapKind::NullExceptionReference,
        _ => TrapKind::NullReference,
    }
}

/// An escaped exception as an outcome (see [`Outcome::Thrown`]): its tag
/// by the name the instance exports it under, else `#` and its payload
/// arity, as the engine side names it.
fn thrown(state: &mut State) -> Outcome {
    let Some(exn) = state.store.take_pending_exception() else {
        return Outcome::Failed("exception without a pending exception".into());
    };
    let tag = match exn.tag(&mut state.store) {
        Ok(t) => t,
        Err(e) => return Outcome::Failed(format!("{e:#}")),
    };
    let fields: Vec<Val> = match exn.fields(&mut state.store) {
        Ok(f) => f.collect(),
        Err(e) => return Outcome::Failed(format!("{e:#}")),
    };
    let exports: Vec<(String, Extern)> = state
        .instance
        .exports(&mut state.store)
        .map(|e| (e.name().to_string(), e.into_extern()))
        .collect();
    let export = exports.into_iter().find_map(|(name, e)| match e {
        Extern::Tag(t) if Tag::eq(&t, &tag, &state.store) => Some(name),
        _ => None,
    });
    match fields.iter().map(|v| obs(state, v)).collect() {
        Ok(payload) => Outcome::Thrown {
            tag: export.unwrap_or_else(|| format!("#{}", fields.len())),
            payload,
        },
        Err(e) => Outcome::Failed(e),
    }
}

fn func_id(ids: &mut RefIds<String>, f: &Func) -> u32 {
    ids.id(format!("{f:?}"))
}

fn obs(state: &mut State, v: &Val) -> Result<Obs, String> {
    Ok(match v {
        Val::I32(x) => Obs::I32(*x),
        Val::I64(x) => Obs::I64(*x),
        Val::F32(x) => Obs::F32(*x),
        Val::F64(x) => Obs::F64(*x),
        Val::V128(x) => Obs::V128(x.as_u128()),
        Val::FuncRef(f) => ref_obs(state, &Ref::Func(*f))?,
        Val::ExternRef(r) => ref_obs(state, &Ref::Extern(*r))?,
        Val::ExnRef(e) => Obs::ExnRef {
            is_null: e.is_none(),
        },
        other => return Err(format!("value {other:?} outside the shared features")),
    })
}

fn ref_obs(state: &mut State, r: &Ref) -> Result<Obs, String> {
    Ok(match r {
        Ref::Func(None) => Obs::FuncRef(None),
        Ref::Func(Some(f)) => Obs::FuncRef(Some(func_id(&mut state.ids, f))),
        Ref::Extern(None) => Obs::ExternRef(None),
        Ref::Extern(Some(r)) => {
            let data = r.data(&state.store).map_err(|e| format!("{e:#}"))?;
            match data.and_then(|d| d.downcast_ref::<u32>()) {
                Some(n) => Obs::ExternRef(Some(*n)),
                None => return Err("externref with a foreign payload".into()),
            }
        }
        Ref::Exn(e) => Obs::ExnRef {
            is_null: e.is_none(),
        },
        other => return Err(format!("reference {other:?} outside the shared features")),
    })
}

fn val(state: &mut State, a: &Arg) -> Result<Val, String> {
    Ok(match a {
        Arg::I32(x) => Val::I32(*x),
        Arg::I64(x) => Val::I64(*x),
        Arg::F32(x) => Val::F32(*x),
        Arg::F64(x) => Val::F64(*x),
        Arg::V128(x) => Val::V128(V128::from(*x)),
        Arg::FuncRef(None) => Val::FuncRef(None),
        Arg::FuncRef(Some(name)) => Val::FuncRef(Some(
            state
                .instance
                .get_func(&mut state.store, name)
                .ok_or_else(|| format!("no function export {name:?}"))?,
        )),
        Arg::ExternRef(None) => Val::ExternRef(None),
        Arg::ExternRef(Some(n)) => Val::ExternRef(Some(
            ExternRef::new(&mut state.store, *n).map_err(|e| format!("{e:#}"))?,
        )),
    })
}

impl Side for WasmtimeSide {
    fn name(&self) -> String {
        "wasmtime".into()
    }

    fn declines(&mut self, wasm: &[u8]) -> Option<String> {
        if super::needs_beyond(wasm, &SHARED) {
            return Some(
                "needs a feature this side does not run (see sides::wasmtime::SHARED)".into(),
            );
        }
        let mut no_legacy = SHARED.wasmparser();
        no_legacy.set(wasmparser::WasmFeatures::LEGACY_EXCEPTIONS, false);
        wasmparser::Validator::new_with_features(no_legacy)
            .validate_all(wasm)
            .is_err()
            .then(|| {
                "uses the legacy exception instructions, which wasmtime does not compile".into()
            })
    }

    fn instantiate(&mut self, wasm: &[u8], shape: &Shape) -> Outcome {
        self.state = None;
        let module = match Module::from_binary(&self.engine, wasm) {
            Ok(m) => m,
            Err(e) => return Outcome::Failed(format!("compile: {e:#}")),
        };
        let mut store = Store::new(&self.engine, ());
        if let Err(e) = store.set_fuel(self.fuel) {
            return Outcome::Failed(format!("{e:#}"));
        }
        let instance = match Linker::new(&self.engine).instantiate(&mut store, &module) {
            Ok(i) => i,
            Err(e) if e.is::<ThrownException>() => {
                return Outcome::Failed("exception escaping instantiation".into());
            }
            Err(e) => return outcome_of(&e, wasm),
        };
        let mut state = State {
            wasm: wasm.to_vec(),
            store,
            instance,
            ids: RefIds::default(),
        };
        for name in &shape.all_funcs {
            if let Some(f) = state.instance.get_func(&mut state.store, name) {
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
            if e.is::<ThrownException>() {
                return thrown(state);
            }
            return outcome_of(&e, &state.wasm);
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
                let r = t
                    .get(&mut state.store, i)
                    .ok_or_else(|| format!("table {name:?}[{i}] unreadable"))?;
                slots.push(ref_obs(state, &r)?);
            }
            snap.tables.insert(name.clone(), slots);
        }
        Ok(snap)
    }
}
