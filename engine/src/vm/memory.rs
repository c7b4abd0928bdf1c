//! Linear memories: the mapping behind a `VMMemoryDefinition`, and growth.
//!
//! A memory is *guarded* ([`uses_guard_pages`]) when the engine runs in
//! `GuardPages` mode and the memory is 32-bit with 64 KiB pages: it
//! reserves 4 GiB of address space plus a guard of 4 GiB and one wasm
//! page, all `PROT_NONE`, and makes pages accessible as it grows: it never
//! moves, and every byte of any access at `zext(i32) + u32 offset` lies
//! inside the reservation, where an access past the length faults (see
//! `GUARD_RESERVATION`). Every other memory (`Explicit` mode; 64-bit
//! memories, whose indices no reservation can cover; 1-byte pages, whose
//! length need not end on a host page) maps only its current size and may
//! move when it grows; compiled code checks every access.
//!
//! A memory from the pooling allocator (`pooling.rs`) lives in a slot of
//! the pool's reservation instead: the same layout (a guarded memory's
//! slot is a whole guard reservation), but grown with `mprotect` only,
//! never moved, at most the pool's `max_memory_size`, and never unmapped:
//! the allocator resets the slot and hands it out again.

use super::limits::{ResourceLimiter, memory_bytes};
use super::memory_image::MemoryImage;
use super::vmctx::VMMemoryDefinition;
use crate::tunables::BoundsChecks;
use crate::types::MemoryType;
use anyhow::{Result, anyhow, bail};

pub const WASM_PAGE_SIZE: usize = 65536;
/// The widest access compiled code makes (`v128`).
pub const MAX_ACCESS_SIZE: u64 = 16;

/// The largest guarded memory: 4 GiB.
const MAX_GUARDED_BYTES: usize = 1 << 32;

/// Address space a guarded memory reserves: the largest memory (4 GiB),
/// then a guard for the largest static offset (4 GiB) and for the bytes of
/// the widest access past its first (one wasm page, a multiple of any host
/// page size). An access at `zext(index) + offset` has its first byte at
/// most `2 * u32::MAX` and its last at most 15 further, so all its bytes
/// lie in the reservation. All of them must, not only the first: a store
/// straddling the end of the reservation is not guaranteed to fault before
/// writing its tail into whatever is mapped next (aarch64 may write the
/// accessible part), which can be another memory.
pub const GUARD_RESERVATION: usize = MAX_GUARDED_BYTES // the memory
    + (u32::MAX as usize + 1) // the largest offset
    + WASM_PAGE_SIZE; // the rest of the widest access

const _: () = assert!(
    2 * u32::MAX as u64 + MAX_ACCESS_SIZE <= GUARD_RESERVATION as u64,
    "the guard reservation must hold every byte of any access"
);

/// Whether a memory of type `ty` lives in a guard reservation under
/// `mode`, so that compiled code accesses it without checks. The
/// translator and the runtime both decide by this one function.
pub fn uses_guard_pages(ty: &MemoryType, mode: BoundsChecks) -> bool {
    mode == BoundsChecks::GuardPages && !ty.memory64 && ty.page_size_log2 == 16
}

pub struct LinearMemory {
    /// Start of the mapping (null when nothing is mapped).
    ptr: *mut u8,
    /// Bytes mapped (accessible or not).
    mapped: usize,
    /// In a guard reservation (see [`uses_guard_pages`]).
    guarded: bool,
    pub ty: MemoryType,
    /// What compiled code reads; boxed so its address is stable.
    pub def: Box<VMMemoryDefinition>,
    /// The pool slot this memory lives in, if a pooling allocator made it
    /// (it then owns no mapping of its own).
    pool: Option<PoolSlot>,
    /// A memory image file is mapped over part of the reservation, so
    /// dropping its pages would not zero them: it cannot be reused.
    image_mapped: bool,
}

/// The guard reservation of a dropped on-demand memory, kept for the next
/// one (`OnDemandAllocator`): `accessible` bytes from `ptr` read/write and
/// zero (their pages were dropped), the rest `PROT_NONE`. Unmapped when
/// dropped.
pub struct Reservation {
    ptr: *mut u8,
    accessible: usize,
}

// SAFETY: the mapping is owned by this value alone.
unsafe impl Send for Reservation {}

impl Drop for Reservation {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the reservation this value owns.
        unsafe { libc::munmap(self.ptr.cast(), GUARD_RESERVATION) };
    }
}

/// A pooled memory's slot, and the state of it the pool needs to reset
/// and reuse the slot.
#[derive(Clone, Copy, Debug)]
pub struct PoolSlot {
    pub index: u32,
    /// Bytes from the slot's start that are read/write: `def.length`
    /// rounded up to the host page. The rest of the slot is `PROT_NONE`.
    pub accessible: usize,
    /// The memory image mapped privately over part of the slot, if any.
    pub image: Option<MappedImage>,
    /// Most bytes the memory may grow to in this slot (the pool's
    /// `max_memory_size`; the slot has room for it).
    pub limit: usize,
}

/// Which memory image a pool slot holds, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MappedImage {
    /// `MemoryImage::id`.
    pub id: u64,
    /// `MemoryImage::offset` and `len`: host-page aligned.
    pub offset: usize,
    pub len: usize,
}

// SAFETY: the mapping (or pool slot) is owned by this value; the store
// hands out access only through `&`/`&mut` of the store.
unsafe impl Send for LinearMemory {}

/// A fresh anonymous private mapping of `len` bytes (`what` it is for
/// goes in the error).
pub(super) fn mmap_for(len: usize, prot: i32, what: &str) -> Result<*mut u8> {
    // SAFETY: anonymous private mapping; result checked.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            prot,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        bail!(
            "failed to map {len} bytes for {what}: {}",
            std::io::Error::last_os_error()
        );
    }
    Ok(p.cast())
}

fn mmap(len: usize, prot: i32) -> Result<*mut u8> {
    mmap_for(len, prot, "linear memory")
}

/// `pages` of `ty` in bytes, if a host slice can be that long.
fn byte_len(ty: &MemoryType, pages: u64) -> Option<usize> {
    let bytes = pages.checked_mul(ty.page_size())?;
    usize::try_from(bytes)
        .ok()
        .filter(|&b| b <= isize::MAX as usize)
}

impl LinearMemory {
    /// The byte length of a memory of type `ty` at its minimum, or why
    /// such a memory cannot be created.
    pub fn validate(ty: &MemoryType) -> Result<usize> {
        if !matches!(ty.page_size_log2, 0 | 16) {
            bail!(
                "unsupported memory page size 2^{} (1 or 65536 bytes)",
                ty.page_size_log2
            );
        }
        if ty.maximum.is_some_and(|max| max < ty.minimum) {
            bail!(
                "memory minimum of {} pages exceeds its maximum of {:?}",
                ty.minimum,
                ty.maximum
            );
        }
        let max = ty.absolute_max_pages();
        if ty.minimum > max {
            bail!(
                "memory minimum of {} pages exceeds the limit of {max} pages",
                ty.minimum
            );
        }
        match byte_len(ty, ty.minimum) {
            Some(len) => Ok(len),
            None => bail!("memory minimum of {} pages is too large", ty.minimum),
        }
    }

    pub fn new(ty: MemoryType, mode: BoundsChecks) -> Result<LinearMemory> {
        let len = LinearMemory::validate(&ty)?;
        let guarded = uses_guard_pages(&ty, mode);
        let (ptr, mapped) = match (guarded, len) {
            (true, _) => {
                let ptr = mmap(GUARD_RESERVATION, libc::PROT_NONE)?;
                let mut mem = LinearMemory::in_guard_reservation(ty, ptr);
                mem.make_accessible(0, len)?;
                mem.def.length = len;
                return Ok(mem);
            }
            (false, 0) => (std::ptr::null_mut(), 0),
            (false, _) => (mmap(len, libc::PROT_READ | libc::PROT_WRITE)?, len),
        };
        Ok(LinearMemory {
            ptr,
            mapped,
            guarded,
            ty,
            def: Box::new(VMMemoryDefinition {
                base: if ptr.is_null() {
                    std::ptr::NonNull::dangling().as_ptr()
                } else {
                    ptr
                },
                length: len,
            }),
            pool: None,
            image_mapped: false,
        })
    }

    /// A memory of type `ty` like [`LinearMemory::new`]'s, in a reused
    /// guard reservation instead of a new one: the few pages that differ
    /// from the old memory's size change protection, nothing is mapped.
    /// Only for a memory guarded under the engine's mode (the caller
    /// checks [`uses_guard_pages`]).
    pub fn in_reservation(ty: MemoryType, reservation: Reservation) -> Result<LinearMemory> {
        let len = LinearMemory::validate(&ty)?;
        let reservation = std::mem::ManuallyDrop::new(reservation);
        let (ptr, accessible) = (reservation.ptr, reservation.accessible);
        // From here `mem` owns the mapping (and unmaps it on failure).
        let mut mem = LinearMemory::in_guard_reservation(ty, ptr);
        if len > accessible {
            mem.make_accessible(accessible, len)?;
        } else if len < accessible {
            mem.protect(len, accessible, libc::PROT_NONE)?;
        }
        mem.def.length = len;
        Ok(mem)
    }

    /// This memory's guard reservation with its pages dropped, to be
    /// reused: only for an on-demand guarded memory without a mapped image
    /// file; the memory is dropped either way.
    pub fn into_reservation(mut self) -> Option<Reservation> {
        if !self.guarded || self.pool.is_some() || self.image_mapped || self.ptr.is_null() {
            return None;
        }
        let accessible = self.def.length;
        // SAFETY: the accessible part of our own private anonymous
        // mapping; nothing refers to its bytes any more (the store is
        // being dropped). Its pages read as zeros afterwards.
        let r = unsafe { libc::madvise(self.ptr.cast(), accessible, libc::MADV_DONTNEED) };
        if r != 0 {
            return None;
        }
        let ptr = std::mem::replace(&mut self.ptr, std::ptr::null_mut());
        Some(Reservation { ptr, accessible })
    }

    /// A memory of type `ty` (checked by [`LinearMemory::validate`]) of
    /// `len` bytes in pool slot `slot`, which starts at `base`.
    ///
    /// # Safety
    /// The slot must be this memory's alone until the allocator takes it
    /// back; `slot.accessible` bytes from `base` must be read/write and
    /// hold the memory's initial contents (zeros, or the image
    /// `slot.image` over zeros), the rest of the slot `PROT_NONE`; the
    /// slot must have room for `slot.limit` bytes and, if the memory is
    /// guarded under `mode`, be a whole `GUARD_RESERVATION`.
    pub unsafe fn pooled(
        ty: MemoryType,
        mode: BoundsChecks,
        len: usize,
        base: *mut u8,
        slot: PoolSlot,
    ) -> LinearMemory {
        LinearMemory {
            ptr: base,
            mapped: 0,
            guarded: uses_guard_pages(&ty, mode),
            ty,
            def: Box::new(VMMemoryDefinition { base, length: len }),
            pool: Some(slot),
            image_mapped: false,
        }
    }

    /// The pool slot this memory lives in, if a pooling allocator made it.
    pub fn pool_slot(&self) -> Option<&PoolSlot> {
        self.pool.as_ref()
    }

    /// A guarded memory of length 0 owning the guard reservation at `ptr`.
    fn in_guard_reservation(ty: MemoryType, ptr: *mut u8) -> LinearMemory {
        LinearMemory {
            ptr,
            mapped: GUARD_RESERVATION,
            guarded: true,
            ty,
            def: Box::new(VMMemoryDefinition {
                base: ptr,
                length: 0,
            }),
            pool: None,
            image_mapped: false,
        }
    }

    fn make_accessible(&self, from: usize, to: usize) -> Result<()> {
        self.protect(from, to, libc::PROT_READ | libc::PROT_WRITE)
    }

    /// Sets the protection of bytes [from, to) of the mapping.
    fn protect(&self, from: usize, to: usize, prot: i32) -> Result<()> {
        if to > from {
            // SAFETY: [from, to) lies inside our mapping (callers pass
            // sizes within it), and nothing refers to bytes whose access
            // it takes away (past the memory's length).
            let r = unsafe { libc::mprotect(self.ptr.add(from).cast(), to - from, prot) };
            if r != 0 {
                bail!(
                    "failed to change the protection of linear memory: {}",
                    std::io::Error::last_os_error()
                );
            }
        }
        Ok(())
    }

    pub fn pages(&self) -> u64 {
        (self.def.length >> self.ty.page_size_log2) as u64
    }

    /// The most pages this memory may ever have.
    pub fn max_pages(&self) -> u64 {
        let max = self.ty.absolute_max_pages();
        self.ty.maximum.unwrap_or(max).min(max)
    }

    /// Grow by `delta` pages, as `limiter` (if any) allows: the old size
    /// in pages, or `None` if the memory cannot grow that much (the
    /// limiter denies it; past its maximum, its index type's limit, or
    /// what the host can map): the memory is then unchanged. `Err` is the
    /// limiter's error (see `limits.rs`).
    pub fn grow(
        &mut self,
        delta: u64,
        limiter: Option<&mut dyn ResourceLimiter>,
    ) -> Result<Option<u64>> {
        let Some(limiter) = limiter else {
            return Ok(self.try_grow(delta).ok());
        };
        let old = self.pages();
        let maximum = self.ty.maximum.map(|max| memory_bytes(&self.ty, max));
        let Some(new) = old.checked_add(delta) else {
            limiter
                .memory_grow_failed(anyhow!("memory size overflows {delta} pages past {old}"))?;
            return Ok(None);
        };
        let desired = memory_bytes(&self.ty, new);
        if !limiter.memory_growing(self.def.length, desired, maximum)? {
            return Ok(None);
        }
        match self.try_grow(delta) {
            Ok(old) => Ok(Some(old)),
            Err(e) => {
                limiter.memory_grow_failed(e)?;
                Ok(None)
            }
        }
    }

    /// Grow by `delta` pages; the old size in pages, or why the memory
    /// cannot grow that much (it is then unchanged).
    fn try_grow(&mut self, delta: u64) -> Result<u64> {
        let old = self.pages();
        let new = old
            .checked_add(delta)
            .filter(|&new| new <= self.max_pages())
            .ok_or_else(|| anyhow!("memory maximum size exceeded"))?;
        let (old_len, new_len) = (
            self.def.length,
            byte_len(&self.ty, new).ok_or_else(|| anyhow!("memory size overflows the host"))?,
        );
        if let Some(slot) = self.pool {
            if new_len > slot.limit {
                bail!(
                    "memory growth past the pooling allocator's max_memory_size of {} bytes",
                    slot.limit
                );
            }
            // In place: the slot has room for `limit` bytes, and a guarded
            // slot keeps its guard after them.
            let accessible = new_len.next_multiple_of(super::memory_image::host_page_size());
            if accessible > slot.accessible {
                self.make_accessible(slot.accessible, accessible)?;
                self.pool = Some(PoolSlot { accessible, ..slot });
            }
            self.def.length = new_len;
            return Ok(old);
        }
        match self.guarded {
            true => self.make_accessible(old_len, new_len)?,
            false if new_len > self.mapped => {
                let ptr = if self.ptr.is_null() {
                    mmap(new_len, libc::PROT_READ | libc::PROT_WRITE)?
                } else {
                    // SAFETY: remapping our own mapping; the old address is
                    // not used after this (compiled code reloads the base).
                    let p = unsafe {
                        libc::mremap(self.ptr.cast(), self.mapped, new_len, libc::MREMAP_MAYMOVE)
                    };
                    if p == libc::MAP_FAILED {
                        bail!(
                            "failed to grow linear memory to {new_len} bytes: {}",
                            std::io::Error::last_os_error()
                        );
                    }
                    p.cast()
                };
                self.ptr = ptr;
                self.mapped = new_len;
                self.def.base = ptr;
            }
            false => {}
        }
        self.def.length = new_len;
        Ok(old)
    }

    /// Put `image` in place of the data segments' copy: only on a memory
    /// nothing has written yet, and guarded (an image's mapping is part of
    /// the reservation, which never moves).
    ///
    /// A pooled memory whose slot already holds `image` (the allocator
    /// put it there, see `InstanceAllocator::allocate_memory`) is left as
    /// it is.
    pub fn map_image(&mut self, image: &MemoryImage) -> Result<()> {
        if !self.guarded || image.offset + image.len > self.def.length {
            bail!("memory image does not fit this memory");
        }
        match self.pool.as_ref().and_then(|slot| slot.image) {
            Some(held) if held.id == image.id => return Ok(()),
            // The pool hands out a slot holding an image only to that
            // image's module, and only to put it in place at once.
            Some(_) => bail!("memory slot holds another memory image"),
            None => {}
        }
        if let (None, Some(bytes)) = (&self.pool, &image.bytes) {
            // A small image a fresh memory copies (`COPY_AT_MOST`).
            self.data_mut()[image.offset..image.offset + image.len].copy_from_slice(bytes);
            return Ok(());
        }
        // SAFETY: the range is inside our accessible reservation, and the
        // caller gives us a fresh memory whose bytes nothing refers to.
        unsafe { image.map_at(self.ptr) }?;
        match &mut self.pool {
            Some(slot) => slot.image = Some(image.mapped()),
            None => self.image_mapped = true,
        }
        Ok(())
    }

    pub fn data(&self) -> &[u8] {
        // SAFETY: [base, base + length) is mapped read/write (or length is 0).
        unsafe { std::slice::from_raw_parts(self.def.base, self.def.length) }
    }

    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `data`, uniquely borrowed.
        unsafe { std::slice::from_raw_parts_mut(self.def.base, self.def.length) }
    }
}

impl Drop for LinearMemory {
    fn drop(&mut self) {
        // A pooled memory's slot belongs to the pool, which resets it when
        // the store gives the memory back.
        if !self.ptr.is_null() && self.pool.is_none() {
            // SAFETY: unmapping exactly our own mapping.
            unsafe {
                libc::munmap(self.ptr.cast(), self.mapped);
            }
        }
    }
}
