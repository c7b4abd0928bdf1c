//! `StoreObjects`: the runtime objects one store owns — instances,
//! memories, tables, globals — the state all its instances share
//! (`VMStoreContext`), and `StoreHooks`, the embedder's policies the VM
//! calls back into while wasm runs (the resource limiter, what happens at
//! the epoch deadline).
//!
//! Objects are kept by index and never freed before the store: vmctx
//! blocks and compiled code hold their addresses (hence the boxes), and
//! the API's handles hold their indices. Builtins reach this struct
//! through the vmctx header's `objects` pointer; it is the only part of a
//! store the VM layer sees, and the hooks are the only way back up.

use super::allocator::InstanceAllocator;
use super::exception::{ExnData, TagData};
use super::global::GlobalData;
use super::instance::InstanceData;
use super::limits::{Counts, ResourceLimiter};
use super::memory::LinearMemory;
use super::table::TableData;
use super::vmctx::VMStoreContext;
use anyhow::Result;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// The store's answer when the epoch deadline has passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpochAction {
    /// Go on: the deadline was moved (`VMStoreContext::epoch_deadline`).
    Continue,
    /// Stop with the interrupt trap.
    Interrupt,
}

/// What `StoreHooks::with_limiter` runs with the limiter.
pub type LimiterUser<'a> = dyn FnMut(Option<&mut dyn ResourceLimiter>) + 'a;

/// The embedder's policies, which live above the VM with the store's data
/// (whose type the VM does not know): one function per policy,
/// instantiated by the store for its data type, each taking the vmctx
/// header's opaque `store` pointer.
///
/// The hooks are called from builtins, so they must not unwind (the store
/// catches panics of the embedder's code in them and returns them as
/// errors).
#[derive(Clone, Copy)]
pub struct StoreHooks {
    /// Runs the closure with the store's resource limiter, `None` if it
    /// has none. Borrows nothing of the store but the limiter (and the
    /// data it lives in): the caller may hold the store's `StoreObjects`.
    ///
    /// # Safety
    /// `store` must be the live store these hooks belong to, with no
    /// borrow of its data or limiter held.
    pub with_limiter: unsafe fn(store: *mut u8, f: &mut LimiterUser<'_>),
    /// The epoch deadline has passed: the store's policy decides (and
    /// moves the deadline to go on). `Err` fails the running call with
    /// that error.
    ///
    /// # Safety
    /// `store` must be the live store these hooks belong to, not borrowed
    /// at all: the policy may use the whole store.
    pub new_epoch: unsafe fn(store: *mut u8) -> Result<EpochAction>,
}

pub struct StoreObjects {
    // Boxed: vmctx back pointers and compiled code hold their addresses.
    #[allow(clippy::vec_box)]
    pub instances: Vec<Box<InstanceData>>,
    pub memories: Vec<LinearMemory>,
    pub tables: Vec<TableData>,
    pub globals: Vec<GlobalData>,
    /// Stack limit, fuel and epoch deadline, shared by all instances.
    /// Inline: like the `objects` pointer, every vmctx points into this
    /// struct, which must not move once it has an instance (the API keeps
    /// it boxed).
    pub context: VMStoreContext,
    /// Where instances' memory came from, and goes back to.
    pub allocator: Arc<dyn InstanceAllocator>,
    /// The embedder's policies.
    pub hooks: StoreHooks,
    /// The error of a failed host call, builtin or policy, waiting for
    /// the trap it caused (`trap_codes::HOST_ERROR`) to reach the
    /// host→wasm entry, which returns it unchanged.
    pub pending_error: Option<anyhow::Error>,
    /// Tags made by instantiation (defined tags) or by the host.
    pub tags: Vec<TagData>,
    /// Every exception object thrown or made in this store (see
    /// `exception.rs`: they live as long as the store).
    pub exceptions: Vec<ExnData>,
    /// The exception of the last `ThrownException` error, until taken.
    pub pending_exception: Option<usize>,
}

impl StoreObjects {
    /// `epoch_counter` and `epoch_stub` are the engine's (see
    /// `VMStoreContext`), which must outlive the store; the epoch deadline
    /// starts at 0.
    pub fn new(
        allocator: Arc<dyn InstanceAllocator>,
        hooks: StoreHooks,
        epoch_counter: *const AtomicU64,
        epoch_stub: *const u8,
    ) -> StoreObjects {
        StoreObjects {
            instances: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            context: VMStoreContext {
                stack_limit: usize::MAX,
                fuel: 0,
                epoch_deadline: 0,
                epoch_counter,
                epoch_stub,
            },
            allocator,
            hooks,
            pending_error: None,
            tags: Vec::new(),
            exceptions: Vec::new(),
            pending_exception: None,
        }
    }

    /// How many instances, memories and tables the store holds, for the
    /// limiter (`limits::admit`).
    pub fn counts(&self) -> Counts {
        Counts {
            instances: self.instances.len(),
            memories: self.memories.len(),
            tables: self.tables.len(),
        }
    }

    /// Add a memory made by the allocator; its index.
    pub fn push_memory(&mut self, memory: LinearMemory) -> usize {
        self.memories.push(memory);
        self.memories.len() - 1
    }

    /// Add a table made by the allocator; its index.
    pub fn push_table(&mut self, table: TableData) -> usize {
        self.tables.push(table);
        self.tables.len() - 1
    }

    /// Add a global; its index.
    pub fn push_global(&mut self, global: GlobalData) -> usize {
        self.globals.push(global);
        self.globals.len() - 1
    }
}

impl Drop for StoreObjects {
    fn drop(&mut self) {
        // Instances first: their vmctx blocks point at the rest.
        for instance in self.instances.drain(..) {
            self.allocator.deallocate_vmctx((*instance).into_vmctx());
        }
        for memory in self.memories.drain(..) {
            self.allocator.deallocate_memory(memory);
        }
        for table in self.tables.drain(..) {
            self.allocator.deallocate_table(table);
        }
    }
}
