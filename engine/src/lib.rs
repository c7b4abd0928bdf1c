//! Kiln: a small WebAssembly engine that compiles with Cranelift.
//!
//! ```
//! use kiln::{Engine, Linker, Module, Store};
//!
//! let engine = Engine::default();
//! let module = Module::new(&engine, r#"
//!     (module
//!       (import "host" "double" (func $double (param i32) (result i32)))
//!       (func (export "quadruple") (param i32) (result i32)
//!         local.get 0
//!         call $double
//!         call $double))
//! "#)?;
//! let mut linker = Linker::new(&engine);
//! linker.func_wrap("host", "double", |x: i32| x * 2)?;
//! let mut store = Store::new(&engine, ());
//! let instance = linker.instantiate(&mut store, &module)?;
//! let quadruple = instance.get_typed_func::<i32, i32>(&mut store, "quadruple")?;
//! assert_eq!(quadruple.call(&mut store, 5)?, 20);
//! # Ok::<(), anyhow::Error>(())
//! ```

mod abi;
mod allocation;
mod artifact;
mod compile;
mod config;
mod engine;
mod exception;
mod externals;
mod func;
mod info;
mod instance;
mod limits;
mod linker;
mod module;
mod parse;
mod store;
mod trampoline;
mod translate;
mod trap;
mod tunables;
mod type_registry;
mod types;
mod values;
mod vm;
pub mod wasi;

pub use allocation::{InstanceAllocationStrategy, PoolingAllocationConfig};
pub use config::{BoundsChecks, Config, Features};
pub use cranelift_codegen::settings::OptLevel;
pub use engine::Engine;
pub use exception::{ExnRef, Tag, ThrownException};
pub use externals::{Extern, Global, Memory, Table};
pub use func::{Caller, Func, IntoFunc, TypedFunc, WasmParams, WasmResults, WasmTy};
pub use instance::Instance;
pub use limits::{StoreLimits, StoreLimitsBuilder};
pub use linker::{InstancePre, Linker};
pub use module::{ExportType, ImportType, Module};
pub use store::{AsContext, AsContextMut, Store, StoreContext, StoreContextMut, UpdateDeadline};
pub use trap::{FrameInfo, Trap, TrapCode, WasmBacktrace};
pub use types::{
    ExternType, FuncType, GlobalType, HeapType, MemoryType, Mutability, RefType, TableType,
    TagType, ValType,
};
pub use values::{ExternRef, Val};
pub use vm::ResourceLimiter;
pub use vm::limits::{DEFAULT_INSTANCE_LIMIT, DEFAULT_MEMORY_LIMIT, DEFAULT_TABLE_LIMIT};

pub use anyhow::{Error, Result};
