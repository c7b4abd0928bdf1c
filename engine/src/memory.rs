//! Linear memories: the mapping behind a `VMMemoryDefinition`, and growth.
//!
//! In `GuardPages` mode a memory reserves 4 GiB of address space plus a
//! 4 GiB guard, all `PROT_NONE`, and makes pages accessible as it grows:
//! it never moves, and any `zext(i32) + u32 offset` address stays inside the
//! reservation, where an access past the length faults. In `Explicit` mode
//! it maps only its current size and may move when it grows; compiled code
//! checks every access.

use crate::config::BoundsChecks;
use crate::memory_image::MemoryImage;
use crate::types::MemoryType;
use crate::vmctx::VMMemoryDefinition;
use anyhow::{Result, bail};

pub const WASM_PAGE_SIZE: usize = 65536;
/// Pages a 32-bit memory can have at most (4 GiB).
pub const MAX_PAGES: u64 = 65536;
const GUARD_RESERVATION: usize = 8 << 30;

pub struct LinearMemory {
    /// Start of the mapping (null when nothing is mapped).
    ptr: *mut u8,
    /// Bytes mapped (accessible or not).
    mapped: usize,
    mode: BoundsChecks,
    pub ty: MemoryType,
    /// What compiled code reads; boxed so its address is stable.
    pub def: Box<VMMemoryDefinition>,
}

// SAFETY: the mapping is owned by this value; the store hands out access
// only through `&`/`&mut` of the store.
unsafe impl Send for LinearMemory {}

fn mmap(len: usize, prot: i32) -> Result<*mut u8> {
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
            "failed to map {len} bytes for linear memory: {}",
            std::io::Error::last_os_error()
        );
    }
    Ok(p.cast())
}

impl LinearMemory {
    pub fn new(ty: MemoryType, mode: BoundsChecks) -> Result<LinearMemory> {
        if ty.minimum > MAX_PAGES {
            bail!(
                "memory minimum of {} pages exceeds the 4 GiB limit",
                ty.minimum
            );
        }
        let len = ty.minimum as usize * WASM_PAGE_SIZE;
        let (ptr, mapped) = match mode {
            BoundsChecks::GuardPages => {
                let ptr = mmap(GUARD_RESERVATION, libc::PROT_NONE)?;
                let mem = LinearMemory {
                    ptr,
                    mapped: GUARD_RESERVATION,
                    mode,
                    ty,
                    def: Box::new(VMMemoryDefinition {
                        base: ptr,
                        length: 0,
                    }),
                };
                mem.make_accessible(0, len)?;
                let mut mem = mem;
                mem.def.length = len;
                return Ok(mem);
            }
            BoundsChecks::Explicit if len == 0 => (std::ptr::null_mut(), 0),
            BoundsChecks::Explicit => (mmap(len, libc::PROT_READ | libc::PROT_WRITE)?, len),
        };
        Ok(LinearMemory {
            ptr,
            mapped,
            mode,
            ty,
            def: Box::new(VMMemoryDefinition {
                base: if ptr.is_null() {
                    std::ptr::NonNull::dangling().as_ptr()
                } else {
                    ptr
                },
                length: len,
            }),
        })
    }

    fn make_accessible(&self, from: usize, to: usize) -> Result<()> {
        if to > from {
            // SAFETY: [from, to) lies inside our reservation.
            let r = unsafe {
                libc::mprotect(
                    self.ptr.add(from).cast(),
                    to - from,
                    libc::PROT_READ | libc::PROT_WRITE,
                )
            };
            if r != 0 {
                bail!(
                    "failed to commit linear memory: {}",
                    std::io::Error::last_os_error()
                );
            }
        }
        Ok(())
    }

    pub fn pages(&self) -> u64 {
        (self.def.length / WASM_PAGE_SIZE) as u64
    }

    /// The most pages this memory may ever have.
    pub fn max_pages(&self) -> u64 {
        self.ty.maximum.unwrap_or(MAX_PAGES).min(MAX_PAGES)
    }

    /// Grow by `delta` pages; the old size in pages, or `None` if the memory
    /// cannot grow that much (the memory is then unchanged).
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max_pages() {
            return None;
        }
        let (old_len, new_len) = (self.def.length, new as usize * WASM_PAGE_SIZE);
        match self.mode {
            BoundsChecks::GuardPages => self.make_accessible(old_len, new_len).ok()?,
            BoundsChecks::Explicit if new_len > self.mapped => {
                let ptr = if self.ptr.is_null() {
                    mmap(new_len, libc::PROT_READ | libc::PROT_WRITE).ok()?
                } else {
                    // SAFETY: remapping our own mapping; the old address is
                    // not used after this (compiled code reloads the base).
                    let p = unsafe {
                        libc::mremap(self.ptr.cast(), self.mapped, new_len, libc::MREMAP_MAYMOVE)
                    };
                    if p == libc::MAP_FAILED {
                        return None;
                    }
                    p.cast()
                };
                self.ptr = ptr;
                self.mapped = new_len;
                self.def.base = ptr;
            }
            BoundsChecks::Explicit => {}
        }
        self.def.length = new_len;
        Some(old)
    }

    /// Put `image` in place of the data segments' copy: only on a memory
    /// nothing has written yet, in guard-page mode (an image's mapping is
    /// part of the reservation, which never moves).
    pub fn map_image(&mut self, image: &MemoryImage) -> Result<()> {
        if self.mode != BoundsChecks::GuardPages || image.offset + image.len > self.def.length {
            bail!("memory image does not fit this memory");
        }
        // SAFETY: the range is inside our accessible reservation, and the
        // caller gives us a fresh memory whose bytes nothing refers to.
        unsafe { image.map_at(self.ptr) }
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
        if !self.ptr.is_null() {
            // SAFETY: unmapping exactly our own mapping.
            unsafe {
                libc::munmap(self.ptr.cast(), self.mapped);
            }
        }
    }
}
