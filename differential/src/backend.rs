//! The interpreter as a [`kiln_spec_tests::backend::Backend`], so the WAST
//! runner can drive it: compile = decode + validate, instantiate = resolve
//! imports by (module name, export name) against registered instances and
//! `spectest`, then [`Store::instantiate`]. Every action runs under
//! [`FUEL_BOUND`] (unless the caller configures another), and running out
//! of it is [`Failure::Unfinished`], so a runaway loop fails its directive.

use std::collections::HashMap;
use std::sync::Arc;

use kiln_spec_tests::backend::{self as sb, Backend, Failure, Outcome};
use kiln_spec_tests::suites::ScriptFeatures;

use crate::error::Error;
use crate::module::Module;
use crate::store::{Config, ExternVal, ModuleAddr, Store};
use crate::value::{Ref, RefKind, Value};

/// The instructions one action may execute: an `invoke` with everything it
/// calls, or an instantiation with its start function.
///
/// Measured on every directive of both suites (the files this backend
/// runs), the most any one executes is 1_245_182 instructions in the Wasm
/// 2.0 suite (`memory_grow.wast`) and 917_511 in the current one
/// (`memory_fill.wast`). The bound is about 100× the larger: no correct
/// script comes near it, and a runaway loop still exhausts it in seconds.
pub const FUEL_BOUND: u64 = 125_000_000;

/// One interpreter store plus the runner's registry of named instances.
pub struct InterpBackend {
    store: Store,
    registry: HashMap<String, ModuleAddr>,
    /// What modules are validated against.
    features: kiln::Features,
}

impl InterpBackend {
    /// A backend with the default [`Config`] limits, except for fuel:
    /// [`FUEL_BOUND`] per action.
    pub fn new() -> InterpBackend {
        InterpBackend::with_config(Config {
            fuel: Some(FUEL_BOUND),
            ..Config::default()
        })
    }

    /// A backend for one spec script: the default limits and
    /// [`FUEL_BOUND`], validating with the features the script is written
    /// for (its level, plus its proposal if the interpreter implements it).
    pub fn for_script(script: &ScriptFeatures) -> InterpBackend {
        let level = kiln::Features::level(script.level)
            .unwrap_or_else(|| panic!("the suites name known levels, not {:?}", script.level));
        let features = match &script.proposal {
            Some(name) => level.with_proposal(name),
            None => level,
        };
        InterpBackend {
            features,
            ..InterpBackend::new()
        }
    }

    /// A backend with explicit limits; `spectest` is registered already.
    pub fn with_config(config: Config) -> InterpBackend {
        let mut store = Store::new(config);
        let mut registry = HashMap::new();
        // Allocating `spectest` only fails if the host is out of memory
        // (1 page, 10 table slots); the runner then sees missing imports.
        if let Ok(st) = crate::host::spectest(&mut store) {
            registry.insert("spectest".to_string(), st);
        }
        InterpBackend {
            store,
            registry,
            features: kiln::Features::ALL,
        }
    }

    /// Why `action` failed with `e`; running out of fuel names the action
    /// and the bound.
    fn run_failure(&self, e: Error, action: impl FnOnce() -> String) -> Failure {
        match (e, self.store.config.fuel) {
            (Error::FuelExhausted, Some(fuel)) => {
                Failure::Unfinished(format!("{} used all {fuel} fuel", action()))
            }
            (Error::Exception(a), _) => Failure::Exception(match self.store.exn(a) {
                Ok(e) => format!("tag {} payload {:?}", e.tag, e.fields),
                Err(e) => e.to_string(),
            }),
            (e, _) => failure(e),
        }
    }

    /// The store, for inspection (e.g. memory contents in differential tests).
    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl Default for InterpBackend {
    fn default() -> Self {
        InterpBackend::new()
    }
}

fn failure(e: Error) -> Failure {
    match e {
        Error::Compile(m) => Failure::Compile(m),
        Error::Link(m) => Failure::Link(m),
        Error::Trap(t) => Failure::Trap(t.message().to_string()),
        // Callers that run code say which action ran out (see
        // `InterpBackend::run_failure`); elsewhere it cannot happen.
        Error::FuelExhausted => Failure::Unfinished("fuel exhausted".to_string()),
        Error::Invalid(m) => Failure::Other(m),
        Error::Exception(a) => Failure::Exception(format!("exception {a}")),
    }
}

fn to_value(v: &sb::Value) -> Outcome<Value> {
    Ok(match v {
        sb::Value::I32(x) => Value::I32(*x),
        sb::Value::I64(x) => Value::I64(*x),
        sb::Value::F32(b) => Value::F32(*b),
        sb::Value::F64(b) => Value::F64(*b),
        sb::Value::V128(b) => Value::V128(*b),
        sb::Value::FuncRef { is_null: true } => Value::Ref(Ref::Null(RefKind::Func)),
        sb::Value::ExternRef(None) => Value::Ref(Ref::Null(RefKind::Extern)),
        sb::Value::ExternRef(Some(n)) => Value::Ref(Ref::Extern(*n)),
        sb::Value::ExnRef { is_null: true } => Value::Ref(Ref::Null(RefKind::Exn)),
        other => return Err(Failure::Other(format!("unsupported argument {other:?}"))),
    })
}

fn from_value(v: Value) -> sb::Value {
    match v {
        Value::I32(x) => sb::Value::I32(x),
        Value::I64(x) => sb::Value::I64(x),
        Value::F32(b) => sb::Value::F32(b),
        Value::F64(b) => sb::Value::F64(b),
        Value::V128(b) => sb::Value::V128(b),
        Value::Ref(Ref::Null(RefKind::Func)) => sb::Value::FuncRef { is_null: true },
        Value::Ref(Ref::Func(_)) => sb::Value::FuncRef { is_null: false },
        Value::Ref(Ref::Null(RefKind::Extern)) => sb::Value::ExternRef(None),
        Value::Ref(Ref::Extern(n)) => sb::Value::ExternRef(Some(n)),
        Value::Ref(Ref::Null(RefKind::Exn)) => sb::Value::ExnRef { is_null: true },
        Value::Ref(Ref::Exn(_)) => sb::Value::ExnRef { is_null: false },
    }
}

impl Backend for InterpBackend {
    type Module = Arc<Module>;
    type Instance = ModuleAddr;

    fn compile(&mut self, wasm: &[u8]) -> Outcome<Self::Module> {
        Module::with_features(wasm, &self.features)
            .map(Arc::new)
            .map_err(failure)
    }

    fn instantiate(&mut self, module: &Self::Module) -> Outcome<Self::Instance> {
        let mut imports = Vec::with_capacity(module.imports.len());
        for imp in &module.imports {
            let ext = self
                .registry
                .get(&imp.module)
                .and_then(|m| self.store.module(*m).ok())
                .and_then(|m| m.export(&imp.name))
                .ok_or_else(|| {
                    Failure::Link(format!("unknown import {}.{}", imp.module, imp.name))
                })?;
            imports.push(ext);
        }
        self.store
            .instantiate(module, &imports)
            .map_err(|e| self.run_failure(e, || "the start function".to_string()))
    }

    fn register(&mut self, name: &str, instance: &Self::Instance) {
        self.registry.insert(name.to_string(), *instance);
    }

    fn invoke(
        &mut self,
        instance: &Self::Instance,
        func: &str,
        args: &[sb::Value],
    ) -> Outcome<Vec<sb::Value>> {
        let f = match self.store.export(*instance, func).map_err(failure)? {
            ExternVal::Func(f) => f,
            other => {
                return Err(Failure::Other(format!(
                    "export {func:?} is not a function: {other:?}"
                )));
            }
        };
        let args = args.iter().map(to_value).collect::<Outcome<Vec<_>>>()?;
        let results = self
            .store
            .invoke(f, &args)
            .map_err(|e| self.run_failure(e, || format!("invoke \"{func}\"")))?;
        Ok(results.into_iter().map(from_value).collect())
    }

    fn get(&mut self, instance: &Self::Instance, global: &str) -> Outcome<sb::Value> {
        match self.store.export(*instance, global).map_err(failure)? {
            ExternVal::Global(g) => self.store.global_value(g).map(from_value).map_err(failure),
            other => Err(Failure::Other(format!(
                "export {global:?} is not a global: {other:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Far beyond what the script needs when bounded (seconds), so only an
    /// unbounded loop reaches it.
    const WATCHDOG: Duration = Duration::from_secs(300);

    /// The engine's runaway script (see `spec-tests/tests/runaway.rs`) on
    /// the interpreter: each directive that never ends fails with the
    /// bound, within seconds, instead of hanging the run.
    #[test]
    fn runaway_directives_fail_with_the_bound() {
        kiln_spec_tests::runaway::check("interp", InterpBackend::new, FUEL_BOUND, WATCHDOG);
    }
}
