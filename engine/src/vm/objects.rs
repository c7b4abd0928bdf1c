//! `StoreObjects`: the runtime objects one store owns — instances,
//! memories, tables, globals — and the state all its instances share
//! (`VMStoreContext`).
//!
//! Objects are kept by index and never freed before the store: vmctx
//! blocks and compiled code hold their addresses (hence the boxes), and
//! the API's handles hold their indices. Builtins reach this struct
//! through the vmctx header's `objects` pointer; it is the only part of a
//! store the VM layer sees.

use super::allocator::InstanceAllocator;
use super::global::GlobalData;
use super::instance::InstanceData;
use super::memory::LinearMemory;
use super::table::TableData;
use super::vmctx::VMStoreContext;
use std::sync::Arc;

pub struct StoreObjects {
    // Boxed: vmctx back pointers and compiled code hold their addresses.
    #[allow(clippy::vec_box)]
    pub instances: Vec<Box<InstanceData>>,
    pub memories: Vec<LinearMemory>,
    pub tables: Vec<TableData>,
    #[allow(clippy::vec_box)]
    pub globals: Vec<Box<GlobalData>>,
    /// Stack limit and fuel, shared by all instances. Inline: like the
    /// `objects` pointer, every vmctx points into this struct, which must
    /// not move once it has an instance (the API keeps it boxed).
    pub context: VMStoreContext,
    /// Where instances' memory came from, and goes back to.
    pub allocator: Arc<dyn InstanceAllocator>,
}

impl StoreObjects {
    pub fn new(allocator: Arc<dyn InstanceAllocator>) -> StoreObjects {
        StoreObjects {
            instances: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            context: VMStoreContext {
                stack_limit: usize::MAX,
                fuel: 0,
            },
            allocator,
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
        self.globals.push(Box::new(global));
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
