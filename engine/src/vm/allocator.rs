//! Where an instance's memory comes from: its vmctx block, and the linear
//! memories and tables it defines (and those the host creates on their
//! own). Instantiation asks the engine's `InstanceAllocator`; a store gives
//! everything back to it when it is dropped.
//!
//! `OnDemandAllocator` maps and frees on every request; it is the first
//! implementation. A pooling allocator (slots reserved once, reset and
//! reused) fits behind the same trait.

use super::memory::LinearMemory;
use super::table::TableData;
use super::vmctx::VMOffsets;
use crate::tunables::Tunables;
use crate::types::{MemoryType, TableType};
use anyhow::Result;

/// A vmctx block: `VMOffsets::size` bytes, zeroed, 16-byte aligned (its
/// records need at most that; see `vmctx.rs`).
pub struct VmctxBlock(Box<[u128]>);

impl VmctxBlock {
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.0.as_mut_ptr().cast()
    }

    pub fn as_ptr(&self) -> *mut u8 {
        self.0.as_ptr() as *mut u8
    }
}

/// A source of instance memory. Implementations are shared by every store
/// of an engine, from any thread.
pub trait InstanceAllocator: Send + Sync {
    /// A zeroed vmctx block for a module with `offsets`.
    fn allocate_vmctx(&self, offsets: &VMOffsets) -> Result<VmctxBlock>;
    /// A linear memory of type `ty`, at its minimum size, laid out for
    /// `tunables.bounds_checks`.
    fn allocate_memory(&self, ty: MemoryType, tunables: &Tunables) -> Result<LinearMemory>;
    /// A table of type `ty` at its minimum size, every element `init`.
    fn allocate_table(&self, ty: TableType, init: usize) -> Result<TableData>;
    /// Take back what the `allocate_` methods gave out, once nothing can
    /// reach it any more (its store is being dropped).
    fn deallocate_vmctx(&self, block: VmctxBlock);
    fn deallocate_memory(&self, memory: LinearMemory);
    fn deallocate_table(&self, table: TableData);
}

/// Maps each memory and table when asked and frees it when given back: no
/// memory is held between instances. The default.
#[derive(Debug, Default)]
pub struct OnDemandAllocator;

impl InstanceAllocator for OnDemandAllocator {
    fn allocate_vmctx(&self, offsets: &VMOffsets) -> Result<VmctxBlock> {
        let words = (offsets.size() as usize).div_ceil(size_of::<u128>());
        Ok(VmctxBlock(vec![0u128; words].into_boxed_slice()))
    }

    fn allocate_memory(&self, ty: MemoryType, tunables: &Tunables) -> Result<LinearMemory> {
        LinearMemory::new(ty, tunables.bounds_checks)
    }

    fn allocate_table(&self, ty: TableType, init: usize) -> Result<TableData> {
        TableData::new(ty, init)
    }

    fn deallocate_vmctx(&self, block: VmctxBlock) {
        drop(block);
    }

    fn deallocate_memory(&self, memory: LinearMemory) {
        drop(memory);
    }

    fn deallocate_table(&self, table: TableData) {
        drop(table);
    }
}
