//! The runtime under the embedding API: what compiled code reads and calls
//! while it runs, and the memory it runs in.
//!
//! - `vmctx.rs` — the per-instance VM context block and the `#[repr(C)]`
//!   records it holds or points to; the layout compiled code is built for.
//! - `builtins.rs`, `libcalls.rs` — the functions compiled code calls for
//!   what it does not inline (`memory.grow`, bulk memory, tables), declared
//!   once and implemented here.
//! - `memory.rs`, `memory_image.rs` — linear memories and their
//!   copy-on-write initial images; `table.rs`, `global.rs` — tables and
//!   globals.
//! - `instance.rs` — an instance's vmctx and the steps that build it;
//!   `allocator.rs` — where instances' memories, tables and vmctx blocks
//!   come from (`InstanceAllocator`), and `pooling.rs`, the allocator
//!   that reserves them once and reuses them; `objects.rs` — the runtime objects
//!   one store owns, and the hooks back to the embedder's policies;
//!   `limits.rs` — the `ResourceLimiter` every creation and growth asks.
//! - `exception.rs` — tags and exception objects, and the unwinder that
//!   carries a thrown exception to its handler.
//! - `signals.rs`, `trap_codes.rs`, `thread_stack.rs` — turning faults in
//!   compiled code into returns, the codes compiled code traps with, and the
//!   thread's real stack bounds.
//! - `registry.rs`, `code_memory.rs` — executable memory and the
//!   process-wide map from code addresses to modules.
//!
//! The layer knows wasm's types (`types.rs`), a module's description
//! (`info.rs`) and the `Tunables`; it never names the embedding API (the
//! store, `Module`, `Engine`, the handles, values or the linker). The API
//! reaches down; nothing here reaches up. `tests/layering.rs` checks it.

pub mod allocator;
pub mod builtins;
pub mod code_memory;
pub mod exception;
pub mod global;
pub mod instance;
pub mod libcalls;
pub mod limits;
pub mod memory;
pub mod memory_image;
pub mod objects;
pub mod pooling;
pub mod registry;
pub mod signals;
pub mod table;
pub mod thread_stack;
pub mod trap_codes;
pub mod vmctx;

pub use allocator::{InstanceAllocator, OnDemandAllocator};
pub use global::GlobalData;
pub use instance::{Import, InstanceData, ModuleRuntime, SegmentError};
pub use limits::ResourceLimiter;
pub use memory::LinearMemory;
pub use objects::{EpochAction, LimiterUser, StoreHooks, StoreObjects};
pub use pooling::{PoolLimits, PoolingAllocator};
pub use table::TableData;
