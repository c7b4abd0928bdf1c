//! The official WebAssembly C API (`wasm.h`, WebAssembly/wasm-c-api) over
//! Kiln's public Rust API, plus `kiln.h` for what wasm.h lacks.
//!
//! Built as a shared and a static library (`libkiln_c_api.{so,a}`); the
//! headers are `wasm.h` from wasm-c-api and `c-api/include/kiln.h`.
//!
//! Layout, one concept per module:
//!
//! - `vec.rs` — the `wasm_*_vec_t` vectors and their five functions each.
//! - `types.rs` — value, function, global, table, memory, extern, import
//!   and export types.
//! - `store.rs` — config, engine, store, and the store every runtime
//!   object points back to.
//! - `refs.rs` — `wasm_ref_t`, the one representation of every reference
//!   (functions, globals, tables, memories, externs, instances, modules,
//!   traps, foreign objects), its casts, and host info.
//! - `val.rs` — `wasm_val_t` and its conversion to and from `kiln::Val`.
//! - `trap.rs` — traps and frames.
//! - `module.rs` — modules, serialisation, sharing across threads.
//! - `func.rs` — host functions and calls.
//! - `externals.rs` — globals, tables, memories, externs and instances.
//! - `kiln_ext.rs` — the `kiln.h` extensions: errors, `wat2wasm`, fuel, opt
//!   level, WASI.
//!
//! Ownership follows wasm.h: an `own` argument is taken (`Box<T>` or a
//! vector moved out), an `own` result is a fresh allocation the caller
//! deletes, anything else is borrowed. Functions never panic across the
//! boundary: what wasm.h cannot express as a failure is documented in
//! `kiln.h`, and everything else fails with NULL or false.

// The C API's names are C names (`wasm_func_t`, `wasm_func_new`).
#![allow(non_camel_case_types)]

mod externals;
mod func;
mod kiln_ext;
mod module;
mod refs;
mod store;
mod trap;
mod types;
mod val;
mod vec;

pub use externals::*;
pub use func::*;
pub use kiln_ext::*;
pub use module::*;
pub use refs::*;
pub use store::*;
pub use trap::*;
pub use types::*;
pub use val::*;
pub use vec::*;
