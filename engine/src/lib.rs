//! Kiln: a small WebAssembly engine that compiles with Cranelift.

mod abi;
mod builtins;
mod config;
mod info;
mod parse;
mod translate;
mod trap;
mod types;
mod vmctx;

pub use config::{BoundsChecks, Config};
pub use trap::{FrameInfo, Trap, TrapCode};
pub use types::{ExternType, FuncType, GlobalType, MemoryType, Mutability, RefType, TableType, ValType};
