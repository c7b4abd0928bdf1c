//! The pooling instance allocator: vmctx blocks, linear memories and
//! tables carved out of three reservations made once, when the engine is
//! created, handed out by slot index and reset when they come back, so
//! that instantiating and dropping instances in steady state makes no
//! `mmap` or `munmap` call.
//!
//! **Layout.** Each kind has one reservation of `total × stride` bytes:
//!
//! - vmctx blocks: `max_core_instance_size` rounded up to 64 bytes (so
//!   blocks are 16-byte aligned and two threads' blocks share no cache
//!   line), read/write;
//! - memories: in `GuardPages` mode a whole guard reservation per slot
//!   (`memory::GUARD_RESERVATION`: 4 GiB, then a 4 GiB + 64 KiB guard;
//!   more if `max_memory_size` is larger), in `Explicit` mode
//!   `max_memory_size` rounded up to a wasm page; `PROT_NONE` but for each
//!   slot's accessible prefix. A guarded memory thus has its full guard
//!   whatever the pool's limits (compiled code does not depend on the
//!   allocator); every other memory (explicitly checked: 64-bit memories,
//!   1-byte pages, `Explicit` mode) sits at the slot's start and never
//!   moves. Every memory is limited to `max_memory_size` bytes, initial
//!   size included: a larger minimum is an instantiation error, growth
//!   past it fails (`memory.grow` returns -1).
//! - tables: `table_elements` pointer-sized elements rounded up to the
//!   host page, read/write. A larger minimum is an instantiation error,
//!   growth past it fails.
//!
//! **Reset.** A free slot is always in its initial state, so handing it
//! out costs at most one `mprotect`: vmctx blocks are left as they are
//! (the next instance writes every field; it keeps the defined functions'
//! `VMFuncRef`s if it is of the same module, see `VmctxBlock`); tables have their first `table_keep_resident`
//! bytes zeroed in place and the rest of what was used given back with
//! `madvise(MADV_DONTNEED)` (zero on next touch); memories likewise with
//! `linear_memory_keep_resident`, and keep their accessible size until the
//! next instance sets its own. A memory image (`memory_image.rs`) mapped
//! in a slot stays there: `MADV_DONTNEED` returns its pages to the image's
//! bytes, and the slot goes preferably to the next instance of the same
//! module, which then needs no mapping at all. Only a slot holding
//! another module's image is re-mapped (fresh anonymous memory over it) —
//! the one `mmap` on the instantiate path, absent in steady state.
//!
//! **Free lists.** One `Mutex<Vec<_>>` per kind, used as a stack (the
//! most recently freed slot is reused first: its pages are warm, and for
//! memories its image likely matches). A lock is held only to push or pop
//! (for memories, to look at the top `AFFINITY_SCAN` entries for the
//! right image; for vmctx blocks, for the module's function references),
//! never across a system call: uncontended it costs two
//! atomic operations, what a lock-free stack's compare-and-swap costs,
//! without the ABA problem a lock-free stack of reusable indices must
//! solve with tagged words or deferred reclamation.

use super::allocator::{FuncRefs, InstanceAllocator, VmctxBlock};
use super::memory::{
    GUARD_RESERVATION, LinearMemory, MappedImage, PoolSlot, WASM_PAGE_SIZE, uses_guard_pages,
};
use super::memory_image::{MemoryImage, host_page_size};
use super::table::TableData;
use super::vmctx::VMOffsets;
use crate::info::ModuleInfo;
use crate::tunables::{BoundsChecks, Tunables};
use crate::types::{MemoryType, TableType};
use anyhow::{Context, Result, anyhow, bail};
use std::sync::{Mutex, MutexGuard};

/// How many of the most recently freed slots an allocation looks at for
/// one holding what it wants (a memory image or none, a module's function
/// references) before it takes the top.
const AFFINITY_SCAN: usize = 32;

/// The pool's sizes and limits, as the API's `PoolingAllocationConfig`
/// sets them (the meaning of each is documented there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolLimits {
    pub total_core_instances: u32,
    pub total_memories: u32,
    pub total_tables: u32,
    pub max_core_instance_size: usize,
    pub max_memory_size: usize,
    pub table_elements: usize,
    pub max_memories_per_module: u32,
    pub max_tables_per_module: u32,
    pub linear_memory_keep_resident: usize,
    pub table_keep_resident: usize,
}

impl Default for PoolLimits {
    /// wasmtime's defaults, but for `table_keep_resident`: 16 KiB, 2048
    /// elements (wasmtime: 0), so a table of up to that size has its slot
    /// zeroed in place (the bytes it used) instead of costing an `madvise`
    /// and, on its next use, a page fault per page: for sqlite3's
    /// 620-element table, two pages, about a sixth of a pooled
    /// instantiation. At most 16 MiB stay resident for the 1000 slots.
    fn default() -> Self {
        PoolLimits {
            total_core_instances: 1000,
            total_memories: 1000,
            total_tables: 1000,
            max_core_instance_size: 1 << 20,
            max_memory_size: usize::try_from(1u64 << 32).unwrap_or(usize::MAX),
            table_elements: 20_000,
            max_memories_per_module: 1,
            max_tables_per_module: 1,
            linear_memory_keep_resident: 0,
            table_keep_resident: 16 << 10,
        }
    }
}

/// One anonymous mapping, made when the allocator is created and unmapped
/// with it.
struct Reservation {
    base: *mut u8,
    len: usize,
}

// SAFETY: a reservation is an address range; what lives in it is handed
// out slot by slot, each slot to one owner at a time (the free lists).
unsafe impl Send for Reservation {}
// SAFETY: as for `Send`.
unsafe impl Sync for Reservation {}

impl Reservation {
    fn new(len: usize, prot: i32, what: &str) -> Result<Reservation> {
        if len == 0 {
            return Ok(Reservation {
                base: std::ptr::null_mut(),
                len,
            });
        }
        let what = format!("the pooling allocator's {what}");
        let p = super::memory::mmap_for(len, prot, &what)?;
        Ok(Reservation { base: p, len })
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.len != 0 {
            // SAFETY: our own mapping. Its allocator is being dropped, and
            // every store that drew from it holds it: no slot is in use.
            unsafe {
                libc::munmap(self.base.cast(), self.len);
            }
        }
    }
}

/// The slots of one kind: a reservation of `stride`-byte slots and the
/// free ones.
struct Pool<T> {
    reservation: Reservation,
    stride: usize,
    free: Mutex<Vec<T>>,
}

impl<T> Pool<T> {
    /// `count` slots of `stride` bytes, all free (slot 0 on top).
    fn new(
        count: u32,
        stride: usize,
        prot: i32,
        what: &str,
        entry: impl Fn(u32) -> T,
    ) -> Result<Pool<T>> {
        let len = (count as usize).checked_mul(stride).ok_or_else(|| {
            anyhow!("the pooling allocator's {what} need more address space than the host has")
        })?;
        Ok(Pool {
            reservation: Reservation::new(len, prot, what)?,
            stride,
            free: Mutex::new((0..count).rev().map(entry).collect()),
        })
    }

    /// The start of slot `index`.
    fn slot(&self, index: u32) -> *mut u8 {
        debug_assert!((index as usize + 1) * self.stride <= self.reservation.len);
        self.reservation
            .base
            .wrapping_add(index as usize * self.stride)
    }

    /// A free slot off the list: the most recently freed of the top
    /// `AFFINITY_SCAN` that `prefer` accepts, else the most recently
    /// freed; `None` if every slot is in use.
    fn take(&self, prefer: impl Fn(&T) -> bool) -> Option<T> {
        let mut list = self.free();
        let top = list.len();
        match list.iter().rev().take(AFFINITY_SCAN).position(prefer) {
            Some(k) => Some(list.remove(top - 1 - k)),
            None => list.pop(),
        }
    }

    fn free(&self) -> MutexGuard<'_, Vec<T>> {
        // A panic while the lock is held leaves the list consistent (every
        // critical section is one push, pop or remove).
        self.free.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A free vmctx slot, and whose function references it holds (see
/// `VmctxBlock`).
struct FreeVmctx {
    index: u32,
    refs: Option<FuncRefs>,
}

/// A free memory slot and the state its last user left it in.
struct FreeMemory {
    index: u32,
    /// Read/write bytes from the slot's start.
    accessible: usize,
    /// The image mapped in the slot, if any.
    image: Option<MappedImage>,
    /// A reset failed: the contents are unknown, the whole slot is
    /// re-mapped before use.
    dirty: bool,
}

/// What [`apply`] does to a range of a slot.
#[derive(Clone, Copy)]
enum Op {
    /// Write zeros (the pages stay resident).
    Zero,
    /// `madvise(MADV_DONTNEED)`: anonymous pages read zero again, pages of
    /// a private image mapping read the image again.
    Decommit,
    /// `mprotect`.
    Protect(i32),
    /// Fresh anonymous `PROT_NONE` memory in place of whatever is mapped
    /// (an image).
    Remap,
}

/// Apply `op` to the `len` bytes at `at`.
///
/// # Safety
/// The range must lie inside a slot of one of the allocator's
/// reservations that the caller holds (off its free list), page-aligned
/// unless `op` is `Zero`, read/write if `op` is `Zero`, and nothing may
/// refer to its bytes (the memory, table or block using it is gone, or
/// not made yet).
unsafe fn apply(op: Op, at: *mut u8, len: usize) -> std::io::Result<()> {
    if len == 0 {
        return Ok(());
    }
    #[cfg(test)]
    if tests::fault(op) {
        return Err(std::io::Error::from_raw_os_error(libc::ENOMEM));
    }
    // SAFETY: per the contract, the range is ours to change, and each call
    // changes exactly it.
    let status = unsafe {
        match op {
            Op::Zero => {
                at.write_bytes(0, len);
                0
            }
            Op::Decommit => libc::madvise(at.cast(), len, libc::MADV_DONTNEED),
            Op::Protect(prot) => libc::mprotect(at.cast(), len, prot),
            Op::Remap => {
                let p = libc::mmap(
                    at.cast(),
                    len,
                    libc::PROT_NONE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED,
                    -1,
                    0,
                );
                if p == libc::MAP_FAILED { -1 } else { 0 }
            }
        }
    };
    match status {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}

/// Hands out vmctx blocks, memories and tables from slots reserved once
/// (see the module docs).
pub struct PoolingAllocator {
    limits: PoolLimits,
    page: usize,
    vmctx: Pool<FreeVmctx>,
    memories: Pool<FreeMemory>,
    tables: Pool<u32>,
}

impl PoolingAllocator {
    /// Reserve the pools for `limits`, memory slots laid out for `mode`.
    pub fn new(limits: PoolLimits, mode: BoundsChecks) -> Result<PoolingAllocator> {
        let page = host_page_size();
        let too_large = |what: &str| anyhow!("the pooling allocator's {what} is too large");
        let vmctx_stride = limits
            .max_core_instance_size
            .max(1)
            .checked_next_multiple_of(64)
            .ok_or_else(|| too_large("max_core_instance_size"))?;
        let memory_bytes = limits
            .max_memory_size
            .checked_next_multiple_of(WASM_PAGE_SIZE)
            .ok_or_else(|| too_large("max_memory_size"))?
            .max(WASM_PAGE_SIZE);
        let memory_stride = match mode {
            BoundsChecks::GuardPages => memory_bytes.max(GUARD_RESERVATION),
            BoundsChecks::Explicit => memory_bytes,
        };
        let table_stride = limits
            .table_elements
            .checked_mul(size_of::<usize>())
            .and_then(|bytes| bytes.checked_next_multiple_of(page))
            .ok_or_else(|| too_large("table_elements"))?
            .max(page);
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        Ok(PoolingAllocator {
            vmctx: Pool::new(
                limits.total_core_instances,
                vmctx_stride,
                rw,
                "instances",
                |index| FreeVmctx { index, refs: None },
            )?,
            memories: Pool::new(
                limits.total_memories,
                memory_stride,
                libc::PROT_NONE,
                "memories",
                |index| FreeMemory {
                    index,
                    accessible: 0,
                    image: None,
                    dirty: false,
                },
            )?,
            tables: Pool::new(limits.total_tables, table_stride, rw, "tables", |i| i)?,
            limits,
            page,
        })
    }

    /// Why a vmctx block of `len` bytes does not fit a slot.
    fn check_vmctx(&self, len: usize) -> Result<()> {
        if len > self.limits.max_core_instance_size {
            bail!(
                "an instance of this module needs {len} bytes of VM context, more than \
                 the pooling allocator's max_core_instance_size of {}",
                self.limits.max_core_instance_size
            );
        }
        Ok(())
    }

    fn check_memory(&self, len: usize) -> Result<()> {
        if len > self.limits.max_memory_size {
            bail!(
                "memory minimum of {len} bytes exceeds the pooling allocator's \
                 max_memory_size of {} bytes",
                self.limits.max_memory_size
            );
        }
        Ok(())
    }

    /// Why a table of type `ty` does not fit a slot.
    fn check_table(&self, ty: &TableType) -> Result<()> {
        if ty.minimum > self.limits.table_elements as u64 {
            bail!(
                "table minimum of {} elements exceeds the pooling allocator's \
                 table_elements of {}",
                ty.minimum,
                self.limits.table_elements
            );
        }
        Ok(())
    }

    /// Bring free memory slot `free` to the initial state of a memory of
    /// `len` bytes: `len` rounded up to the host page accessible, the rest
    /// not; holding `image` (mapped now if the slot does not hold it yet),
    /// or no image at all.
    fn prepare_memory(
        &self,
        free: &FreeMemory,
        len: usize,
        image: Option<&MemoryImage>,
    ) -> Result<PoolSlot> {
        let base = self.memories.slot(free.index);
        let wanted = len.next_multiple_of(self.page);
        let (mut accessible, mut held) = (free.accessible, free.image);
        if free.dirty {
            accessible = self.memories.stride;
        }
        let wrong_image = held.is_some_and(|h| image.is_none_or(|i| i.id != h.id));
        if free.dirty || wrong_image {
            // SAFETY: the slot is off the free list and nothing refers to
            // its bytes; `accessible` is at most its stride.
            unsafe { apply(Op::Remap, base, accessible) }
                .context("failed to reset a pooled memory slot")?;
            (accessible, held) = (0, None);
        }
        // SAFETY: as above; both ranges lie in the slot, since `wanted` is
        // at most `max_memory_size` rounded up, which the stride holds.
        let protected = unsafe {
            if accessible > wanted {
                apply(
                    Op::Protect(libc::PROT_NONE),
                    base.wrapping_add(wanted),
                    accessible - wanted,
                )
            } else {
                apply(
                    Op::Protect(libc::PROT_READ | libc::PROT_WRITE),
                    base.wrapping_add(accessible),
                    wanted - accessible,
                )
            }
        };
        protected.context("failed to commit a pooled memory")?;
        if let Some(image) = image
            && held.is_none()
        {
            if image.offset + image.len > len {
                bail!("memory image does not fit this memory");
            }
            // SAFETY: the image's range is inside the slot's accessible
            // part, whose bytes nothing refers to.
            unsafe { image.map_at(base) }?;
            held = Some(image.mapped());
        }
        Ok(PoolSlot {
            index: free.index,
            accessible: wanted,
            image: held,
            limit: self.limits.max_memory_size,
        })
    }

    /// Return memory slot `slot`'s bytes to their initial state (zeros,
    /// and the image over them if one is mapped): the first
    /// `linear_memory_keep_resident` bytes but the image's are zeroed in
    /// place, the rest is given back to the kernel.
    fn reset_memory(&self, slot: &PoolSlot) -> std::io::Result<()> {
        let base = self.memories.slot(slot.index);
        let accessible = slot.accessible;
        let keep =
            (self.limits.linear_memory_keep_resident / self.page * self.page).min(accessible);
        let (image_start, image_end) = match slot.image {
            Some(image) => (image.offset, image.offset + image.len),
            None => (accessible, accessible),
        };
        let ranges = [
            (Op::Zero, 0, keep.min(image_start)),
            (Op::Decommit, image_start.min(keep), image_end.min(keep)),
            (Op::Zero, image_end.min(keep), keep),
            (Op::Decommit, keep, accessible),
        ];
        for (op, from, to) in ranges {
            // SAFETY: the memory that used the slot is gone; each range is
            // page-aligned (as are `keep`, `accessible` and images) and
            // inside its accessible part.
            unsafe { apply(op, base.wrapping_add(from), to - from) }?;
        }
        Ok(())
    }
}

impl InstanceAllocator for PoolingAllocator {
    fn validate_module(&self, info: &ModuleInfo, offsets: &VMOffsets) -> Result<()> {
        let memories = &info.memories[info.num_imported_memories as usize..];
        let tables = &info.tables[info.num_imported_tables as usize..];
        let counts = [
            (
                "memories",
                memories.len(),
                self.limits.max_memories_per_module,
                "max_memories_per_module",
            ),
            (
                "tables",
                tables.len(),
                self.limits.max_tables_per_module,
                "max_tables_per_module",
            ),
        ];
        for (what, count, max, limit) in counts {
            if count > max as usize {
                bail!(
                    "module defines {count} {what}, more than the pooling allocator's \
                     {limit} of {max}"
                );
            }
        }
        for ty in memories {
            self.check_memory(LinearMemory::validate(ty)?)?;
        }
        for ty in tables {
            TableData::validate(ty)?;
            self.check_table(ty)?;
        }
        self.check_vmctx(offsets.size() as usize)
    }

    fn allocate_vmctx(&self, offsets: &VMOffsets, module: u64) -> Result<VmctxBlock> {
        // Checked again here: a block longer than a slot would run into
        // the next one.
        let len = offsets.size() as usize;
        self.check_vmctx(len)?;
        // A slot holding this module's function references saves writing
        // them (a record per function whose reference can be taken: 620
        // for sqlite3).
        let free = self
            .vmctx
            .take(|f| f.refs.is_some_and(|r| r.module == module))
            .ok_or_else(|| {
                anyhow!(
                    "all {} instance slots of the pooling allocator are in use \
                     (total_core_instances)",
                    self.limits.total_core_instances
                )
            })?;
        let refs = free.refs.filter(|r| r.module == module);
        if cfg!(debug_assertions)
            && let (None, Some(stale)) = (refs, free.refs)
        {
            // Another module's records, spared by `deallocate_vmctx`: this
            // block's fields there get the poison the rest has.
            let start = (stale.start as usize).min(len);
            // SAFETY: the slot is ours (off the free list), read/write, and
            // `len` fits it.
            unsafe {
                let at = self.vmctx.slot(free.index).add(start);
                at.write_bytes(0xa5, len - start);
            }
        }
        // SAFETY: the slot is off the free list, hence ours; slots are
        // 64-byte aligned (a page-aligned reservation, a stride of a
        // multiple of 64) and `len` fits the stride; `refs`, kept only for
        // the module that wrote them, are that module's records in this
        // slot (`deallocate_vmctx` spared them).
        Ok(unsafe { VmctxBlock::pooled(self.vmctx.slot(free.index), len, free.index, refs) })
    }

    fn allocate_memory(
        &self,
        ty: MemoryType,
        tunables: &Tunables,
        image: Option<&MemoryImage>,
    ) -> Result<LinearMemory> {
        let len = LinearMemory::validate(&ty)?;
        self.check_memory(len)?;
        let mode = tunables.bounds_checks;
        if uses_guard_pages(&ty, mode) && self.memories.stride < GUARD_RESERVATION {
            bail!("the pooling allocator's memory slots have no guard region for this memory");
        }
        let wanted = image.map(|image| image.id);
        let free = self
            .memories
            .take(|f| !f.dirty && f.image.map(|i| i.id) == wanted)
            .ok_or_else(|| {
                anyhow!(
                    "all {} memory slots of the pooling allocator are in use \
                     (total_memories)",
                    self.limits.total_memories
                )
            })?;
        match self.prepare_memory(&free, len, image) {
            // SAFETY: `prepare_memory` left the slot, ours since it is off
            // the free list, as `pooled` requires: `accessible` read/write
            // and initial, the rest `PROT_NONE`; the stride holds
            // `max_memory_size` bytes and, for a guarded memory, a whole
            // guard reservation (checked above).
            Ok(slot) => Ok(unsafe {
                LinearMemory::pooled(ty, mode, len, self.memories.slot(free.index), slot)
            }),
            Err(e) => {
                self.memories.free().push(FreeMemory {
                    dirty: true,
                    ..free
                });
                Err(e)
            }
        }
    }

    fn allocate_table(&self, ty: TableType, init: usize) -> Result<TableData> {
        TableData::validate(&ty)?;
        self.check_table(&ty)?;
        let index = self.tables.free().pop().ok_or_else(|| {
            anyhow!(
                "all {} table slots of the pooling allocator are in use (total_tables)",
                self.limits.total_tables
            )
        })?;
        let base = self.tables.slot(index).cast::<usize>();
        // SAFETY: the slot is off the free list, hence ours, zeroed while
        // free, read/write, and `table_elements` elements long (the stride).
        Ok(unsafe { TableData::pooled(ty, init, index, base, self.limits.table_elements) })
    }

    fn deallocate_vmctx(&self, block: VmctxBlock) {
        let Some((index, len, refs)) = block.pool_slot() else {
            drop(block);
            return;
        };
        debug_assert_eq!(block.as_ptr(), self.vmctx.slot(index));
        drop(block);
        // No reset: the next instance's `init_vmctx` writes every field
        // before anything reads one (but the function references it may
        // keep), and a free slot's stale bytes are unreachable. Zeroing
        // them cost a fifth of a pooled instantiation of a module with a
        // thousand functions. Debug builds poison them instead, so a field
        // `init_vmctx` missed holds garbage, which the pooling spec runs
        // would trip over, not a plausible stale pointer.
        if cfg!(debug_assertions) {
            let poisoned = refs.map_or(len, |r| r.start as usize);
            // SAFETY: the block was slot `index`'s and is gone (its
            // instance with it); `len` bytes of it were used, read/write.
            unsafe { self.vmctx.slot(index).write_bytes(0xa5, poisoned) };
        }
        self.vmctx.free().push(FreeVmctx { index, refs });
    }

    fn deallocate_memory(&self, memory: LinearMemory) {
        let Some(&slot) = memory.pool_slot() else {
            drop(memory);
            return;
        };
        drop(memory);
        let reset = self.reset_memory(&slot);
        self.memories.free().push(FreeMemory {
            index: slot.index,
            accessible: slot.accessible,
            image: slot.image,
            dirty: reset.is_err(),
        });
    }

    fn deallocate_table(&self, table: TableData) {
        let Some(index) = table.pool_slot() else {
            drop(table);
            return;
        };
        let written = size_of_val(table.elements());
        let used = written.next_multiple_of(self.page);
        drop(table);
        let base = self.tables.slot(index);
        let keep = (self.limits.table_keep_resident / self.page * self.page).min(used);
        // Only the bytes of the table's final size can be non-zero: tables
        // never shrink, so nothing past it was ever written.
        // SAFETY: the table that used the slot is gone; both ranges are
        // read/write, inside the slot (`used` is at most the stride), and
        // the decommitted one page-aligned.
        let reset = unsafe {
            apply(Op::Zero, base, keep.min(written))
                .and_then(|()| apply(Op::Decommit, base.wrapping_add(keep), used - keep))
        };
        if reset.is_err() {
            // SAFETY: as above.
            let zeroed = unsafe { apply(Op::Zero, base, used) };
            debug_assert!(zeroed.is_ok(), "zeroing cannot fail");
        }
        self.tables.free().push(index);
    }
}

#[cfg(test)]
mod tests {
    //! The paths where the kernel refuses a call: they cannot be provoked
    //! from outside, so [`apply`] fails on request here.

    use super::Op;
    use crate::*;
    use anyhow::Result;
    use std::cell::Cell;

    thread_local! {
        /// Fail the next `mprotect` [`apply`] makes on this thread.
        static FAIL_PROTECT: Cell<bool> = const { Cell::new(false) };
    }

    pub(super) fn fault(op: Op) -> bool {
        matches!(op, Op::Protect(_)) && FAIL_PROTECT.replace(false)
    }

    fn load(engine: &Engine, module: &Module) -> Result<i32> {
        let mut store = Store::new(engine, ());
        let instance = Instance::new(&mut store, module, &[])?;
        let f = instance.get_typed_func::<(), i32>(&mut store, "load")?;
        f.call(&mut store, ())
    }

    /// A freed table slot keeps its first `table_keep_resident` bytes
    /// resident (zeroed in place, so the next table does not fault them
    /// in) and gives the rest of what the table used back to the kernel.
    #[test]
    fn table_slots_keep_only_the_resident_bytes() {
        use super::{InstanceAllocator, PoolLimits, PoolingAllocator};
        use crate::tunables::BoundsChecks;
        use crate::types::{RefType, TableType};
        let page = super::host_page_size();
        let limits = PoolLimits {
            total_tables: 1,
            table_elements: 4 * page / 8,
            table_keep_resident: page + page / 2,
            ..PoolLimits::default()
        };
        let pool = PoolingAllocator::new(limits, BoundsChecks::GuardPages).unwrap();
        let ty = TableType::new(RefType::FUNCREF, (4 * page / 8) as u32, None);
        // Every element non-null: all four pages written.
        let table = pool.allocate_table(ty, 1).unwrap();
        let base = pool.tables.slot(0);
        pool.deallocate_table(table);
        let mut resident = [0u8; 4];
        // SAFETY: the slot is a page-aligned mapping of at least four pages.
        let r = unsafe { libc::mincore(base.cast(), 4 * page, resident.as_mut_ptr()) };
        assert_eq!(r, 0);
        let resident = resident.map(|b| b & 1);
        assert_eq!(
            resident,
            [1, 0, 0, 0],
            "keep-resident rounds down to whole pages"
        );
    }

    /// A vmctx slot keeps the function references its last instance's
    /// `init_vmctx` wrote for that module's next instance, preferring such
    /// a slot among the free ones, and for no other module.
    #[test]
    fn vmctx_slots_keep_function_references_for_their_module() {
        use super::{FuncRefs, InstanceAllocator, PoolLimits, PoolingAllocator};
        use crate::tunables::BoundsChecks;
        use crate::vm::vmctx::VMOffsets;
        let limits = PoolLimits {
            total_core_instances: 2,
            ..PoolLimits::default()
        };
        let pool = PoolingAllocator::new(limits, BoundsChecks::GuardPages).unwrap();
        let wasm = wat::parse_str("(module (func) (elem declare func 0))").unwrap();
        let info = crate::parse::parse(&wasm, &crate::Features::default(), false).unwrap();
        let offsets = VMOffsets::new(&info);
        let refs = |module| FuncRefs {
            module,
            start: offsets.func_refs_start(),
        };
        // Module 7's block, with its references written, and a block that
        // never got them.
        let (mut a, b) = (
            pool.allocate_vmctx(&offsets, 7).unwrap(),
            pool.allocate_vmctx(&offsets, 7).unwrap(),
        );
        assert!(!a.func_refs_kept(7));
        a.set_func_refs(refs(7));
        let a_slot = a.as_ptr();
        // Freed last, `b`'s slot is on top; module 7 still gets `a`'s.
        pool.deallocate_vmctx(a);
        pool.deallocate_vmctx(b);
        let again = pool.allocate_vmctx(&offsets, 7).unwrap();
        assert_eq!(again.as_ptr(), a_slot);
        assert!(again.func_refs_kept(7));
        pool.deallocate_vmctx(again);
        let other = pool.allocate_vmctx(&offsets, 8).unwrap();
        let other2 = pool.allocate_vmctx(&offsets, 8).unwrap();
        assert!(!other.func_refs_kept(8) && !other2.func_refs_kept(8));
        assert!(!other.func_refs_kept(7) && !other2.func_refs_kept(7));
        pool.deallocate_vmctx(other);
        pool.deallocate_vmctx(other2);
    }

    /// A slot whose preparation failed half-way (its image unmapped, then
    /// no `mprotect`) goes back to the pool marked for a full reset: the
    /// next instance of the image's module finds its data, not a slot
    /// whose bookkeeping says mapped and accessible when it is neither.
    #[test]
    fn a_half_prepared_slot_is_reset_before_reuse() {
        let mut pool = PoolingAllocationConfig::new();
        pool.total_core_instances(1)
            .total_memories(1)
            .total_tables(1);
        let mut config = Config::new();
        config.allocation_strategy(pool);
        let engine = Engine::new(&config).unwrap();
        let data = r#"(module (memory 1) (data (i32.const 0) "\2a")
            (func (export "load") (result i32) (i32.load8_u (i32.const 0))))"#;
        let data = Module::new(&engine, data).unwrap();
        let other = r#"(module (memory 1)
            (func (export "load") (result i32) (i32.load8_u (i32.const 0))))"#;
        let other = Module::new(&engine, other).unwrap();
        assert_eq!(load(&engine, &data).unwrap(), 42);
        // The slot holds `data`'s image; `other` unmaps it, then its
        // `mprotect` fails.
        FAIL_PROTECT.set(true);
        let err = load(&engine, &other).unwrap_err();
        assert!(format!("{err:#}").contains("failed to commit"), "{err:#}");
        assert_eq!(load(&engine, &data).unwrap(), 42);
        assert_eq!(load(&engine, &other).unwrap(), 0);
    }
}
