//! Where an instance's memory comes from: its vmctx block, and the linear
//! memories and tables it defines (and those the host creates on their
//! own). Instantiation asks the engine's `InstanceAllocator`; a store gives
//! everything back to it when it is dropped.
//!
//! `OnDemandAllocator` maps and frees on every request (but for a few
//! guard reservations it reuses), the default; `PoolingAllocator`
//! (`pooling.rs`) hands out slots it reserved once and resets them when
//! they come back.

use super::memory::{LinearMemory, Reservation, uses_guard_pages};
use super::memory_image::MemoryImage;
use super::table::TableData;
use super::vmctx::VMOffsets;
use crate::info::ModuleInfo;
use crate::tunables::Tunables;
use crate::types::{MemoryType, TableType};
use anyhow::Result;
use std::sync::atomic::{AtomicPtr, Ordering};

/// A vmctx block: `VMOffsets::size` bytes, 16-byte aligned (its records
/// need at most that; see `vmctx.rs`). Its contents are unspecified until
/// `init_vmctx` writes every field, which it does before anything reads
/// one: a heap block is zeroed, a pooled one holds what the slot's last
/// instance left (a poison pattern in debug builds). The one exception is
/// a pooled slot whose last instance was of the same module
/// ([`VmctxBlock::func_refs_kept`]): its defined functions' `VMFuncRef`s
/// are already what `init_vmctx` would write (the same code, type ids and
/// block address), so they are kept, not poisoned, and not written again.
pub struct VmctxBlock(Block);

enum Block {
    Heap(Box<[u128]>),
    /// A pooling allocator's slot `slot` at `ptr`, of which this block
    /// uses `len` bytes; `refs` is the module whose defined `VMFuncRef`s
    /// the block holds, if any.
    Pooled {
        ptr: *mut u8,
        len: usize,
        slot: u32,
        refs: Option<FuncRefs>,
    },
}

/// Whose defined functions' `VMFuncRef`s a pooled block holds: the id of
/// the module (`ModuleRuntime::id`, never reused) and where in the block
/// its `VMFuncRef`s start (`VMOffsets::func_refs_start`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuncRefs {
    pub module: u64,
    pub start: u32,
}

// SAFETY: a pooled block is a slot the pool gave to this value alone, like
// the heap block it stands for; `&VmctxBlock` yields only a raw pointer.
unsafe impl Send for VmctxBlock {}
// SAFETY: as for `Send`.
unsafe impl Sync for VmctxBlock {}

impl VmctxBlock {
    /// A block in pool slot `slot`, `len` bytes at `ptr`, already holding
    /// `refs`' function references if given.
    ///
    /// # Safety
    /// `ptr` must be 16-byte aligned and point to `len` writable bytes
    /// that nothing else uses until the pool takes the block back; with
    /// `refs`, the bytes from `refs.start` on must be the `VMFuncRef`s an
    /// instance of that module wrote in this same block.
    pub unsafe fn pooled(
        ptr: *mut u8,
        len: usize,
        slot: u32,
        refs: Option<FuncRefs>,
    ) -> VmctxBlock {
        VmctxBlock(Block::Pooled {
            ptr,
            len,
            slot,
            refs,
        })
    }

    /// The pool slot, the bytes used of it, and whose function references
    /// it holds, for a pooled block.
    pub fn pool_slot(&self) -> Option<(u32, usize, Option<FuncRefs>)> {
        match self.0 {
            Block::Heap(_) => None,
            Block::Pooled {
                len, slot, refs, ..
            } => Some((slot, len, refs)),
        }
    }

    /// Whether the block holds the `VMFuncRef`s of `module`'s defined
    /// functions already (see [`VmctxBlock`]).
    pub fn func_refs_kept(&self, module: u64) -> bool {
        matches!(self.0, Block::Pooled { refs: Some(r), .. } if r.module == module)
    }

    /// Record that `init_vmctx` wrote `refs.module`'s function references,
    /// from `refs.start` on, so that the slot can keep them for that
    /// module's next instance.
    pub fn set_func_refs(&mut self, refs: FuncRefs) {
        if let Block::Pooled { refs: r, .. } = &mut self.0 {
            *r = Some(refs);
        }
    }

    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        match &mut self.0 {
            Block::Heap(words) => words.as_mut_ptr().cast(),
            Block::Pooled { ptr, .. } => *ptr,
        }
    }

    pub fn as_ptr(&self) -> *mut u8 {
        match &self.0 {
            Block::Heap(words) => words.as_ptr() as *mut u8,
            Block::Pooled { ptr, .. } => *ptr,
        }
    }
}

/// A source of instance memory. Implementations are shared by every store
/// of an engine, from any thread.
///
/// What an `allocate_` method returns must come back through the matching
/// `deallocate_` method; a pooled object dropped otherwise keeps its slot
/// out of use (it never unmaps the pool). The store gives back everything
/// it holds, and instantiation allocates the vmctx block last, so that a
/// failure leaves nothing outside the store.
pub trait InstanceAllocator: Send + Sync {
    /// Why an instance of `info` (whose vmctx is laid out by `offsets`)
    /// cannot be allocated here whatever is in use, if it cannot: checked
    /// before anything is allocated for it.
    fn validate_module(&self, info: &ModuleInfo, offsets: &VMOffsets) -> Result<()> {
        let _ = (info, offsets);
        Ok(())
    }
    /// A vmctx block for an instance of module `module` (its
    /// `ModuleRuntime::id`), laid out by `offsets` (see [`VmctxBlock`]).
    fn allocate_vmctx(&self, offsets: &VMOffsets, module: u64) -> Result<VmctxBlock>;
    /// A linear memory of type `ty`, at its minimum size, laid out for
    /// `tunables.bounds_checks`. `image`, if given, is the memory image of
    /// the module's memory 0 being allocated here, which the allocator
    /// may put in place now (`LinearMemory::map_image` then leaves it);
    /// it is given only when nothing can see the memory before the data
    /// segments' turn (`MemoryImage::early`).
    fn allocate_memory(
        &self,
        ty: MemoryType,
        tunables: &Tunables,
        image: Option<&MemoryImage>,
    ) -> Result<LinearMemory>;
    /// A table of type `ty` at its minimum size, every element `init`.
    fn allocate_table(&self, ty: TableType, init: usize) -> Result<TableData>;
    /// Take back what the `allocate_` methods gave out, once nothing can
    /// reach it any more (its store is being dropped).
    fn deallocate_vmctx(&self, block: VmctxBlock);
    fn deallocate_memory(&self, memory: LinearMemory);
    fn deallocate_table(&self, table: TableData);
}

/// Maps each memory and table when asked and frees it when given back. The
/// default.
///
/// The one thing it keeps between instances is a few guard reservations
/// of dropped memories, their pages dropped (`Reservation`): reusing one
/// costs no `mmap` and, at the same initial size, no `mprotect` either, so
/// a store's life is one `madvise` instead of three calls that each take
/// the process's address-space lock for writing, which instantiating
/// threads contend for. It holds address space only (at most
/// `CACHED_RESERVATIONS` × 8 GiB), never memory: the cache is lock-free,
/// a fixed array of slots.
#[derive(Default)]
pub struct OnDemandAllocator {
    reservations: [AtomicPtr<Reservation>; CACHED_RESERVATIONS],
}

/// Reservations an [`OnDemandAllocator`] keeps: more than the threads that
/// typically instantiate at once.
const CACHED_RESERVATIONS: usize = 16;

impl OnDemandAllocator {
    fn take_reservation(&self) -> Option<Reservation> {
        for slot in &self.reservations {
            if slot.load(Ordering::Relaxed).is_null() {
                continue;
            }
            let p = slot.swap(std::ptr::null_mut(), Ordering::Acquire);
            if !p.is_null() {
                // SAFETY: slots hold only pointers from `Box::into_raw` in
                // `keep_reservation`, each taken out by one swap.
                return Some(*unsafe { Box::from_raw(p) });
            }
        }
        None
    }

    /// Keeps `reservation` if a slot is free; unmaps it otherwise.
    fn keep_reservation(&self, reservation: Reservation) {
        let p = Box::into_raw(Box::new(reservation));
        for slot in &self.reservations {
            if slot.load(Ordering::Relaxed).is_null()
                && slot
                    .compare_exchange(
                        std::ptr::null_mut(),
                        p,
                        Ordering::Release,
                        Ordering::Relaxed,
                    )
                    .is_ok()
            {
                return;
            }
        }
        // SAFETY: `p` came from `Box::into_raw` above and no slot took it.
        drop(unsafe { Box::from_raw(p) });
    }
}

impl Drop for OnDemandAllocator {
    fn drop(&mut self) {
        while self.take_reservation().is_some() {}
    }
}

impl InstanceAllocator for OnDemandAllocator {
    fn allocate_vmctx(&self, offsets: &VMOffsets, _module: u64) -> Result<VmctxBlock> {
        let words = (offsets.size() as usize).div_ceil(size_of::<u128>());
        Ok(VmctxBlock(Block::Heap(
            vec![0u128; words].into_boxed_slice(),
        )))
    }

    fn allocate_memory(
        &self,
        ty: MemoryType,
        tunables: &Tunables,
        _image: Option<&MemoryImage>,
    ) -> Result<LinearMemory> {
        let mode = tunables.bounds_checks;
        if uses_guard_pages(&ty, mode)
            && let Some(reservation) = self.take_reservation()
        {
            return LinearMemory::in_reservation(ty, reservation);
        }
        LinearMemory::new(ty, mode)
    }

    fn allocate_table(&self, ty: TableType, init: usize) -> Result<TableData> {
        TableData::new(ty, init)
    }

    fn deallocate_vmctx(&self, block: VmctxBlock) {
        drop(block);
    }

    fn deallocate_memory(&self, memory: LinearMemory) {
        if let Some(reservation) = memory.into_reservation() {
            self.keep_reservation(reservation);
        }
    }

    fn deallocate_table(&self, table: TableData) {
        drop(table);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A guarded memory given back keeps its reservation for the next
    /// one: the same address, no new mapping.
    #[test]
    fn reservations_are_reused() {
        let allocator = OnDemandAllocator::default();
        let tunables = crate::Config::new().tunables;
        let memory = |pages| {
            allocator
                .allocate_memory(MemoryType::new(pages, None), &tunables, None)
                .unwrap()
        };
        let first = memory(1);
        let base = first.def.base;
        allocator.deallocate_memory(first);
        // Kept, not unmapped: the address alone would not show it (the
        // kernel may give a new mapping the address just freed).
        let kept = allocator
            .take_reservation()
            .expect("the reservation is kept");
        allocator.keep_reservation(kept);
        let second = memory(2);
        assert_eq!(second.def.base, base, "a new reservation");
        assert_eq!(second.def.length, 2 << 16);
        allocator.deallocate_memory(second);
    }
}
