//! Copy-on-write memory images: a module's initial memory contents, laid
//! out once in a sealed memfd and mapped privately over each new instance's
//! memory instead of copying the data segments into it. An untouched page
//! costs nothing at instantiation; the first write to a page copies it.
//!
//! An image is built only when instantiation's effect on memory is known
//! ahead of time and cannot trap: memory 0 defined (not imported) and
//! guarded (32-bit, 64 KiB pages: see `memory.rs`), every
//! active data segment writing to it at an `i32.const` offset and inside
//! its initial size. Anything else (a segment for another memory too)
//! keeps the segment-by-segment copy, whose order and traps the spec
//! defines.
//!
//! The pooling allocator keeps an image mapped in a memory slot between
//! instances of its module (`pooling.rs`), and may hand out a memory with
//! the image already in place when nothing can observe memory before the
//! data segments' turn (`MemoryImage::early`).

use super::memory::{MappedImage, WASM_PAGE_SIZE, uses_guard_pages};
use crate::info::{ConstExpr, DataMode, ElemMode, ModuleInfo};
use crate::tunables::BoundsChecks;
use anyhow::{Result, bail};
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};

pub struct MemoryImage {
    fd: OwnedFd,
    /// Where the image starts in linear memory (host-page aligned).
    pub offset: usize,
    /// Its length in bytes (host-page aligned).
    pub len: usize,
    /// Unique in the process, never reused: how a pooling allocator knows
    /// that a slot still holds this image (an address could be reused by
    /// another module's image once this one is dropped).
    pub id: u64,
    /// No active element segment can trap, so nothing can observe memory
    /// 0 between its allocation and its data segments' turn: a pooling
    /// allocator may hand out the memory with the image already in place
    /// (and keep it mapped in the slot for the next instance).
    pub early: bool,
    /// The contents themselves, for an image of at most `COPY_AT_MOST`
    /// bytes: a memory that will not keep the image (not a pool slot's)
    /// copies them instead of mapping the file.
    pub bytes: Option<Box<[u8]>>,
}

/// The largest image a fresh memory copies rather than maps. A mapping
/// is a system call that takes the process's address-space lock for
/// writing (so instantiations on other threads wait), splits the
/// memory's reservation (which its unmapping then pays for) and faults
/// on each page's first touch; copying a few pages costs less than that
/// on one thread, and from many threads the lock is what limits
/// instantiation. A pool slot keeps its image mapped between instances,
/// so it always maps.
const COPY_AT_MOST: usize = 16 * 1024;

/// The next `MemoryImage::id`.
static NEXT_IMAGE_ID: AtomicU64 = AtomicU64::new(1);

impl MemoryImage {
    /// The image of `info`'s memory 0 after its active data segments, if
    /// one can stand in for them (see the module docs). `None` also when
    /// the host cannot make one (no memfd): the copy then does the work.
    pub fn for_module(info: &ModuleInfo) -> Option<MemoryImage> {
        let memory = info.memories.first()?;
        // Only a guarded memory can take an image (`LinearMemory::map_image`).
        if info.num_imported_memories != 0 || !uses_guard_pages(memory, BoundsChecks::GuardPages) {
            return None;
        }
        let memory_len = usize::try_from(memory.minimum)
            .ok()?
            .checked_mul(WASM_PAGE_SIZE)?;
        let mut segments = Vec::new();
        for (index, segment) in info.datas.iter().enumerate() {
            match &segment.mode {
                DataMode::Passive => {}
                DataMode::Active {
                    memory: 0,
                    offset: ConstExpr::I32(offset),
                } => {
                    let start = *offset as u32 as usize;
                    let bytes = info.data(index as u32);
                    if start.checked_add(bytes.len())? > memory_len {
                        // Instantiation traps here, after the earlier
                        // segments: leave that to the copy.
                        return None;
                    }
                    if !bytes.is_empty() {
                        segments.push((start, bytes));
                    }
                }
                DataMode::Active { .. } => return None,
            }
        }
        let page = host_page_size();
        let first = segments.iter().map(|&(start, _)| start).min()?;
        let end = segments.iter().map(|&(s, b)| s + b.len()).max()?;
        let offset = first / page * page;
        // A wasm page is a whole number of host pages, so rounding up stays
        // inside the memory.
        let len = end.div_ceil(page) * page - offset;
        debug_assert!(offset + len <= memory_len);
        let mut contents = vec![0u8; len];
        // In order: a later segment overwrites an earlier one, as copying
        // them would.
        for (start, bytes) in segments {
            contents[start - offset..start - offset + bytes.len()].copy_from_slice(bytes);
        }
        let fd = sealed_memfd(&contents).ok()?;
        Some(MemoryImage {
            fd,
            offset,
            len,
            id: NEXT_IMAGE_ID.fetch_add(1, Ordering::Relaxed),
            early: elements_cannot_trap(info),
            bytes: (len <= COPY_AT_MOST).then(|| contents.into_boxed_slice()),
        })
    }

    /// What a pool slot records of this image once it is mapped there.
    pub fn mapped(&self) -> MappedImage {
        MappedImage {
            id: self.id,
            offset: self.offset,
            len: self.len,
        }
    }

    /// Map the image privately over `[base + offset, base + offset + len)`.
    ///
    /// # Safety
    /// That range must be accessible memory that this caller owns and that
    /// nothing else refers to as anything but linear-memory bytes; the old
    /// contents there are replaced.
    pub unsafe fn map_at(&self, base: *mut u8) -> Result<()> {
        // SAFETY: per the contract, the range is ours to replace;
        // MAP_FIXED replaces exactly it and nothing else.
        let p = unsafe {
            libc::mmap(
                base.add(self.offset).cast(),
                self.len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_FIXED,
                self.fd.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            bail!(
                "failed to map the memory image: {}",
                std::io::Error::last_os_error()
            );
        }
        Ok(())
    }
}

/// Whether every active element segment of `info` surely fits its table:
/// a constant offset, and an end within the table's declared minimum
/// (an imported table is at least that long).
fn elements_cannot_trap(info: &ModuleInfo) -> bool {
    info.elems.iter().all(|segment| match &segment.mode {
        ElemMode::Passive | ElemMode::Declared => true,
        ElemMode::Active { table, offset } => {
            let start = match *offset {
                ConstExpr::I32(c) => u64::from(c as u32),
                ConstExpr::I64(c) => c as u64,
                _ => return false,
            };
            let minimum = info.tables.get(*table as usize).map_or(0, |t| t.minimum);
            start
                .checked_add(segment.items.len() as u64)
                .is_some_and(|end| end <= minimum)
        }
    })
}

/// The host's page size (a divisor of the wasm page size).
pub fn host_page_size() -> usize {
    // SAFETY: plain query.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n)
        .ok()
        .filter(|&n| n > 0 && WASM_PAGE_SIZE.is_multiple_of(n))
        .unwrap_or(WASM_PAGE_SIZE)
}

/// A memfd holding `contents`, sealed against any change, so that every
/// private mapping of it starts from exactly these bytes.
fn sealed_memfd(contents: &[u8]) -> std::io::Result<OwnedFd> {
    // SAFETY: a NUL-terminated name; the result is checked.
    let raw = unsafe {
        libc::memfd_create(
            c"kiln-memory-image".as_ptr(),
            libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
        )
    };
    if raw < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `raw` is a new descriptor nobody else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let mut file = std::fs::File::from(fd);
    file.write_all(contents)?;
    let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
    // SAFETY: fcntl on our own descriptor.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(file.into())
}

#[cfg(test)]
mod tests {
    use super::MemoryImage;
    use crate::{BoundsChecks, Config, Engine, Instance, Module, Store};

    /// An image's memfd carries all four seals: nobody can change the
    /// bytes every instance maps, nor lift the seals.
    #[test]
    fn images_are_sealed() {
        use rustix::fs::{SealFlags, fcntl_get_seals};
        let fd = super::sealed_memfd(b"image").unwrap();
        let all = SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE | SealFlags::SEAL;
        assert_eq!(fcntl_get_seals(&fd).unwrap(), all);
    }

    /// Expected memory bytes at offsets, or the instantiation error.
    type Expected<'a> = Result<&'a [(usize, &'a [u8])], &'a str>;

    /// Instantiate `wat` twice under `config` (writing over the first
    /// instance's bytes in between: images are private) and compare memory
    /// `m` at each offset; `imaged` says whether an image stands in for
    /// the segments.
    fn check(config: &Config, wat: &str, imaged: bool, expected: Expected<'_>) {
        let engine = Engine::new(config).unwrap();
        let module = Module::new(&engine, wat).unwrap();
        let info = &module.inner().info;
        assert_eq!(MemoryImage::for_module(info).is_some(), imaged, "{wat}");
        let mut store = Store::new(&engine, ());
        for _ in 0..2 {
            match (Instance::new(&mut store, &module, &[]), expected) {
                (Ok(instance), Ok(spans)) => {
                    let memory = instance.get_memory(&mut store, "m").unwrap();
                    for &(at, bytes) in spans {
                        let data = memory.data_mut(&mut store);
                        assert_eq!(&data[at..at + bytes.len()], bytes, "{wat} at {at}");
                        data[at..at + bytes.len()].fill(0xee);
                    }
                }
                (Err(e), Err(msg)) => assert!(format!("{e:#}").contains(msg), "{e:#}"),
                (got, want) => panic!("{wat}: got {:?}, want {want:?}", got.map(|_| ())),
            }
        }
    }

    /// Whether the image of a module with `elements` (and one data
    /// segment) may be mapped before the element segments' turn: only if
    /// none of them can trap.
    fn check_early(elements: &str, expected: bool) {
        let wat = format!(
            r#"(module (import "" "g" (global i32)) (memory 1) (data (i32.const 0) "x")
                (table $t 4 funcref) (table $t64 i64 4 funcref) (func $f) {elements})"#
        );
        let module = Module::new(&Engine::default(), &wat).unwrap();
        let image = MemoryImage::for_module(&module.inner().info).unwrap();
        assert_eq!(image.early, expected, "{elements}");
    }

    #[test]
    fn images_go_early_only_when_no_element_can_trap() {
        check_early("", true);
        check_early("(elem (table $t) (i32.const 2) func $f $f)", true);
        check_early("(elem (table $t64) (i64.const 2) func $f $f)", true);
        check_early("(elem func $f) (elem declare func $f)", true);
        check_early("(elem (table $t) (i32.const 3) func $f $f)", false);
        check_early("(elem (table $t64) (i64.const 3) func $f $f)", false);
        check_early("(elem (table $t64) (i64.const -1) func $f)", false);
        check_early("(elem (table $t) (i32.const -1) func $f)", false);
        check_early("(elem (table $t) (global.get 0) func $f)", false);
    }

    #[test]
    fn images_equal_the_segment_copy() {
        let explicit = Config::new().bounds_checks(BoundsChecks::Explicit).clone();
        for config in [Config::new(), explicit] {
            let c = &config;
            // Overlapping segments: the later one wins.
            check(
                c,
                r#"(module (memory (export "m") 1)
                    (data (i32.const 2) "abcdef") (data (i32.const 4) "XY"))"#,
                true,
                Ok(&[(0, b"\0\0abXYef\0")]),
            );
            // Ending exactly at the end of memory, across a host page
            // boundary, empty at the very end, and a passive segment.
            check(
                c,
                r#"(module (memory (export "m") 2)
                    (data (i32.const 131070) "zz") (data (i32.const 4094) "pqrs")
                    (data (i32.const 131072) "") (data "passive"))"#,
                true,
                Ok(&[(131068, b"\0\0zz"), (4092, b"\0\0pqrs\0")]),
            );
            // An image that starts pages into memory.
            check(
                c,
                r#"(module (memory (export "m") 2) (data (i32.const 70000) "far"))"#,
                true,
                Ok(&[(0, b"\0\0\0\0"), (69999, b"\0far\0")]),
            );
            // Out of bounds: no image; instantiation traps.
            check(
                c,
                r#"(module (memory (export "m") 1)
                    (data (i32.const 0) "ok") (data (i32.const 65535) "no"))"#,
                false,
                Err("out of bounds memory access"),
            );
            // Memory 0 among several: imaged when the segments write only
            // to it; with one for another memory too, they are all copied.
            check(
                c,
                r#"(module (memory (export "m") 1) (memory 1)
                    (data (i32.const 3) "zero"))"#,
                true,
                Ok(&[(0, b"\0\0\0zero\0")]),
            );
            check(
                c,
                r#"(module (memory 1) (memory $one (export "m") 1)
                    (data (i32.const 3) "zero") (data (memory $one) (i32.const 1) "one"))"#,
                false,
                Ok(&[(0, b"\0one\0")]),
            );
            // A memory that grows past its image keeps working.
            check(
                c,
                r#"(module (memory (export "m") 1 3)
                    (data (i32.const 1) "\01\02")
                    (func (export "g") (result i32) (memory.grow (i32.const 1)))
                    (start $grow) (func $grow (drop (memory.grow (i32.const 1)))))"#,
                true,
                Ok(&[(0, b"\0\x01\x02\0"), (65536, b"\0\0")]),
            );
        }
        // A small image is kept to be copied by fresh memories; a large
        // one only mapped (both paths are taken by the cases above).
        let engine = Engine::default();
        for (wat, copied) in [
            (
                r#"(module (memory 2) (data (i32.const 70000) "far"))"#,
                true,
            ),
            (
                r#"(module (memory 1) (data (i32.const 0) "a") (data (i32.const 16383) "x"))"#,
                true,
            ),
            (
                r#"(module (memory 1) (data (i32.const 0) "a") (data (i32.const 16384) "x"))"#,
                false,
            ),
            (
                r#"(module (memory 2) (data (i32.const 131070) "zz") (data (i32.const 4094) "pq"))"#,
                false,
            ),
        ] {
            let module = Module::new(&engine, wat).unwrap();
            let image = MemoryImage::for_module(&module.inner().info).unwrap();
            assert_eq!(image.bytes.is_some(), copied, "{wat}");
        }
        // Offsets from imported globals, and imported memories, are known
        // only at instantiation.
        let engine = Engine::default();
        for wat in [
            r#"(module (import "" "g" (global i32)) (memory 1) (data (global.get 0) "g"))"#,
            r#"(module (import "" "m" (memory 1)) (data (i32.const 0) "m"))"#,
        ] {
            let module = Module::new(&engine, wat).unwrap();
            assert!(
                MemoryImage::for_module(&module.inner().info).is_none(),
                "{wat}"
            );
        }
    }
}
