//! Kiln's reference interpreter: a WebAssembly 2.0 interpreter written
//! for clarity and fidelity to the specification's execution chapter,
//! used as the oracle for differential testing of the engine. It shares
//! no execution code with the engine; decoding and validation are
//! `wasmparser`'s.
//!
//! Structure, one spec concept per module:
//! * [`value`] — values and types; [`error`] — traps and failures;
//! * [`module`] — decoding + validation into a [`Module`]; [`instr`] — the
//!   instruction set the interpreter executes;
//! * [`store`] — runtime structures; [`instance`] — instantiation;
//! * [`exec`] — the step loop; [`numeric`], [`memory`], [`table`] — the
//!   instruction families' semantics; [`simd`] — the vector instructions,
//!   lane by lane;
//! * [`host`] — the `spectest` module; [`backend`] — the spec runner seam.
//!
//! And the differential oracle built on it (the only modules that use the
//! engine): [`features`] — the engine's feature set for wasm-smith;
//! [`generate`] — test modules from wasm-smith; [`coverage`] — which
//! features they use; [`canon`] — completes their NaN canonicalisation;
//! [`oracle`] — runs
//! them on the engine, the interpreter (and wasmi) and compares.
//!
//! ```
//! use kiln_differential::{Module, Store, Config, Value, ExternVal};
//! // (module (func (export "add") (param i32 i32) (result i32)
//! //   local.get 0 local.get 1 i32.add))
//! let wasm = [
//!     0, 97, 115, 109, 1, 0, 0, 0, 1, 7, 1, 96, 2, 127, 127, 1, 127, 3, 2, 1, 0, 7, 7, 1, 3,
//!     97, 100, 100, 0, 0, 10, 9, 1, 7, 0, 32, 0, 32, 1, 106, 11,
//! ];
//! let module = Module::new(&wasm).unwrap();
//! let mut store = Store::new(Config::default());
//! let inst = store.instantiate(&module, &[]).unwrap();
//! let ExternVal::Func(add) = store.export(inst, "add").unwrap() else { panic!() };
//! assert_eq!(store.invoke(add, &[Value::I32(2), Value::I32(3)]).unwrap(), vec![Value::I32(5)]);
//! ```

pub mod backend;
pub mod canon;
pub mod coverage;
pub mod error;
pub mod exec;
pub mod features;
pub mod generate;
pub mod host;
pub mod instance;
pub mod instr;
pub mod memory;
pub mod module;
pub mod numeric;
pub mod oracle;
pub mod store;
pub mod table;
pub mod value;

pub use backend::InterpBackend;
pub use error::{Error, Trap};
pub use module::Module;
pub use store::{Config, ExternVal, ModuleAddr, Store};
pub use value::{FuncType, HeapType, Ref, RefKind, RefType, TypeId, ValType, Value};

impl Store {
    /// Invoke function `f` with `args`; see [`exec::invoke`].
    pub fn invoke(&mut self, f: value::FuncAddr, args: &[Value]) -> Result<Vec<Value>, Error> {
        exec::invoke(self, f, args)
    }
}

#[cfg(test)]
mod tests;

/// Vector (`v128`) instructions.
pub mod simd;
