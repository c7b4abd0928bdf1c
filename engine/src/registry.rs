//! The process-wide registry of JIT code: which address ranges hold Kiln
//! code, and for each, its trap table and function map.
//!
//! The signal handler asks "is this PC Kiln code?" before it unwinds, and
//! the trap path maps a PC to a `TrapCode` and a wasm frame. Entries are
//! added when code is published and removed when it is freed.

use crate::trap::FrameInfo;
use cranelift_codegen::ir;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// What is known about one published region of code.
#[derive(Debug, Default)]
pub struct CodeInfo {
    /// Sorted by offset: `(offset from the region start, trap code)`.
    pub traps: Vec<(u32, ir::TrapCode)>,
    /// Sorted by start: `(start..end offsets, wasm function index)` of the
    /// wasm functions in the region (trampolines are not listed).
    pub funcs: Vec<(std::ops::Range<u32>, u32)>,
    pub module_name: Option<String>,
    pub func_names: std::collections::BTreeMap<u32, String>,
}

impl CodeInfo {
    pub fn trap_at(&self, offset: u32) -> Option<ir::TrapCode> {
        let i = self.traps.binary_search_by_key(&offset, |&(o, _)| o).ok()?;
        Some(self.traps[i].1)
    }

    pub fn frame_at(&self, offset: u32) -> Option<FrameInfo> {
        let i = self.funcs.partition_point(|(r, _)| r.end <= offset);
        let (range, index) = self.funcs.get(i)?;
        if !range.contains(&offset) {
            return None;
        }
        Some(FrameInfo {
            module_name: self.module_name.clone(),
            func_index: *index,
            func_name: self.func_names.get(index).cloned(),
        })
    }
}

/// `end address → (start address, info)`.
type Map = BTreeMap<usize, (usize, Arc<CodeInfo>)>;

static REGISTRY: RwLock<Map> = RwLock::new(BTreeMap::new());

pub fn register(start: usize, len: usize, info: Arc<CodeInfo>) {
    REGISTRY
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(start + len, (start, info));
}

pub fn unregister(start: usize, len: usize) {
    REGISTRY
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&(start + len));
}

fn find(map: &Map, pc: usize) -> Option<(usize, Arc<CodeInfo>)> {
    let (_, (start, info)) = map.range(pc + 1..).next()?;
    (pc >= *start).then(|| (*start, info.clone()))
}

/// The region containing `pc` and `pc`'s offset in it.
pub fn lookup(pc: usize) -> Option<(Arc<CodeInfo>, u32)> {
    let map = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
    find(&map, pc).map(|(start, info)| (info, (pc - start) as u32))
}

/// For the signal handler: is `pc` Kiln code? Never blocks (see
/// [`region_nonblocking`]).
pub fn is_kiln_code_nonblocking(pc: usize) -> bool {
    region_nonblocking(pc).is_some()
}

/// For the signal handler: the code region containing `pc`, if it is Kiln
/// code, so that a stack walk through many frames of one region looks it
/// up once. Never blocks. If a writer holds the lock (another thread
/// publishing code) it retries a bounded number of times; a fault in host
/// code during registration on this very thread must not spin forever.
pub fn region_nonblocking(pc: usize) -> Option<std::ops::Range<usize>> {
    for _ in 0..10_000 {
        if let Ok(map) = REGISTRY.try_read() {
            let (&end, &(start, _)) = map.range(pc + 1..).next()?;
            return (pc >= start).then_some(start..end);
        }
        std::hint::spin_loop();
    }
    None
}
