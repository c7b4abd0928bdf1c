//! The reference side: Kiln's own interpreter (this crate), through its
//! public embedding functions.

use super::{Limits, Side};
use crate::oracle::observe::{Arg, Limit, MemoryObs, Obs, Outcome, RefIds, Snapshot, TrapKind};
use crate::oracle::plan::{Call, Shape};
use crate::value::FuncAddr;
use crate::{Config, Error, ExternVal, Module, ModuleAddr, Ref, RefKind, Store, Trap, Value};

struct State {
    store: Store,
    instance: ModuleAddr,
    ids: RefIds<FuncAddr>,
}

/// The interpreter with the oracle's fuel and call-depth limits.
pub struct InterpSide {
    config: Config,
    state: Option<State>,
}

impl InterpSide {
    pub fn new(limits: Limits) -> InterpSide {
        InterpSide {
            config: Config {
                fuel: Some(limits.fuel),
                max_call_depth: limits.max_call_depth,
                ..Config::default()
            },
            state: None,
        }
    }
}

/// The interpreter's error as an outcome. Its two table traps
/// ("undefined element", "out of bounds table access") are one kind here:
/// the engine does not distinguish them either.
fn outcome_of(e: Error) -> Outcome {
    Outcome::Trapped(match e {
        Error::FuelExhausted => return Outcome::Exhausted(Limit::Fuel),
        Error::Trap(t) => match t {
            Trap::CallStackExhausted => return Outcome::Exhausted(Limit::Stack),
            Trap::Unreachable => TrapKind::Unreachable,
            Trap::IntegerDivideByZero => TrapKind::IntegerDivideByZero,
            Trap::IntegerOverflow => TrapKind::IntegerOverflow,
            Trap::InvalidConversionToInteger => TrapKind::InvalidConversionToInteger,
            Trap::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
            Trap::TableOutOfBounds | Trap::UndefinedElement => TrapKind::TableOutOfBounds,
            Trap::UninitializedElement => TrapKind::IndirectCallToNull,
            Trap::IndirectCallTypeMismatch => TrapKind::IndirectCallTypeMismatch,
            Trap::NullReference => TrapKind::NullReference,
            Trap::NullFunctionReference => TrapKind::NullFunctionReference,
            Trap::NullExceptionReference => TrapKind::NullExceptionReference,
        },
        other => return Outcome::Failed(other.to_string()),
    })
}

fn obs(ids: &mut RefIds<FuncAddr>, v: Value) -> Result<Obs, String> {
    Ok(match v {
        Value::I32(x) => Obs::I32(x),
        Value::I64(x) => Obs::I64(x),
        Value::F32(x) => Obs::F32(x),
        Value::F64(x) => Obs::F64(x),
        Value::V128(x) => Obs::V128(x),
        Value::Ref(Ref::Null(RefKind::Func)) => Obs::FuncRef(None),
        Value::Ref(Ref::Null(RefKind::Extern)) => Obs::ExternRef(None),
        Value::Ref(Ref::Func(a)) => Obs::FuncRef(Some(ids.id(a))),
        Value::Ref(Ref::Extern(n)) => Obs::ExternRef(Some(n)),
        Value::Ref(Ref::Null(RefKind::Exn)) => Obs::ExnRef { is_null: true },
        Value::Ref(Ref::Exn(_)) => Obs::ExnRef { is_null: false },
    })
}

/// An escaped exception as an outcome (see [`Outcome::Thrown`]).
fn thrown(state: &mut State, exn: crate::value::ExnAddr) -> Outcome {
    let Ok(e) = state.store.exn(exn).cloned() else {
        return Outcome::Failed(format!("no exception {exn}"));
    };
    let export = state.store.module(state.instance).ok().and_then(|m| {
        m.exports
            .iter()
            .find(|(_, v)| *v == ExternVal::Tag(e.tag))
            .map(|(n, _)| n.clone())
    });
    let payload = e.fields.iter().map(|&v| obs(&mut state.ids, v)).collect();
    match payload {
        Ok(payload) => Outcome::Thrown {
            tag: export.unwrap_or_else(|| format!("#{}", e.fields.len())),
            payload,
        },
        Err(e) => Outcome::Failed(e),
    }
}

fn func_export(state: &State, name: &str) -> Result<FuncAddr, String> {
    match state.store.export(state.instance, name) {
        Ok(ExternVal::Func(f)) => Ok(f),
        _ => Err(format!("no function export {name:?}")),
    }
}

fn value(state: &State, a: &Arg) -> Result<Value, String> {
    Ok(match a {
        Arg::I32(x) => Value::I32(*x),
        Arg::I64(x) => Value::I64(*x),
        Arg::F32(x) => Value::F32(*x),
        Arg::F64(x) => Value::F64(*x),
        Arg::V128(x) => Value::V128(*x),
        Arg::FuncRef(None) => Value::Ref(Ref::Null(RefKind::Func)),
        Arg::FuncRef(Some(name)) => Value::Ref(Ref::Func(func_export(state, name)?)),
        Arg::ExternRef(None) => Value::Ref(Ref::Null(RefKind::Extern)),
        Arg::ExternRef(Some(n)) => Value::Ref(Ref::Extern(*n)),
    })
}

impl Side for InterpSide {
    fn name(&self) -> String {
        "interp".into()
    }

    fn instantiate(&mut self, wasm: &[u8], shape: &Shape) -> Outcome {
        self.state = None;
        let module = match Module::new(wasm) {
            Ok(m) => m,
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        let mut store = Store::new(self.config.clone());
        let instance = match store.instantiate(&module, &[]) {
            Ok(i) => i,
            Err(e) => return outcome_of(e),
        };
        let mut state = State {
            store,
            instance,
            ids: RefIds::default(),
        };
        for name in &shape.all_funcs {
            if let Ok(f) = func_export(&state, name) {
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
        let prepared = func_export(state, &call.func).and_then(|f| {
            let args = call
                .args
                .iter()
                .map(|a| value(state, a))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((f, args))
        });
        let (f, args) = match prepared {
            Ok(p) => p,
            Err(e) => return Outcome::Failed(e),
        };
        match state.store.invoke(f, &args) {
            Ok(vals) => match vals.into_iter().map(|v| obs(&mut state.ids, v)).collect() {
                Ok(vals) => Outcome::Returned(vals),
                Err(e) => Outcome::Failed(e),
            },
            Err(Error::Exception(exn)) => thrown(state, exn),
            Err(e) => outcome_of(e),
        }
    }

    fn set_global_i32(&mut self, name: &str, value: i32) -> Result<(), String> {
        let state = self.state.as_mut().ok_or("not instantiated")?;
        let Ok(ExternVal::Global(g)) = state.store.export(state.instance, name) else {
            return Err(format!("no global export {name:?}"));
        };
        let global = state.store.global_mut(g).map_err(|e| e.to_string())?;
        if !global.ty.mutable || !matches!(global.value, Value::I32(_)) {
            return Err(format!("global {name:?} is not a mutable i32"));
        }
        global.value = Value::I32(value);
        Ok(())
    }

    fn snapshot(&mut self, shape: &Shape) -> Result<Snapshot, String> {
        let state = self.state.as_mut().ok_or("not instantiated")?;
        let mut snap = Snapshot::default();
        for name in &shape.globals {
            let Ok(ExternVal::Global(g)) = state.store.export(state.instance, name) else {
                return Err(format!("no global export {name:?}"));
            };
            let v = state.store.global_value(g).map_err(|e| e.to_string())?;
            snap.globals.insert(name.clone(), obs(&mut state.ids, v)?);
        }
        for name in &shape.memories {
            let Ok(ExternVal::Memory(m)) = state.store.export(state.instance, name) else {
                return Err(format!("no memory export {name:?}"));
            };
            let data = state.store.memory_data(m).map_err(|e| e.to_string())?;
            snap.memories.insert(name.clone(), MemoryObs::of(data));
        }
        for name in &shape.tables {
            let Ok(ExternVal::Table(t)) = state.store.export(state.instance, name) else {
                return Err(format!("no table export {name:?}"));
            };
            let elems = state
                .store
                .table(t)
                .map_err(|e| e.to_string())?
                .elem
                .clone();
            let slots = elems
                .into_iter()
                .map(|r| obs(&mut state.ids, Value::Ref(r)))
                .collect::<Result<Vec<_>, _>>()?;
            snap.tables.insert(name.clone(), slots);
        }
        Ok(snap)
    }
}
