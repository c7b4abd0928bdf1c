//! The process-wide registry of JIT code: which address ranges hold Kiln
//! code, and for each, its trap table and function map.
//!
//! The signal handler asks "is this PC Kiln code?" before it unwinds, and
//! the trap path maps a PC to a `TrapCode` and a wasm frame. Entries are
//! added when code is published and removed when it is freed.

use cranelift_codegen::ir;
use std::cell::Cell;
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
    /// Sorted `(offset, wasm module offset)`: the operator of each trap
    /// site and of each call's last byte (a return address minus one).
    pub srclocs: Vec<(u32, u32)>,
    /// Module offset of each defined function's body (its locals
    /// declaration, after the size), by defined index.
    pub body_starts: Vec<u32>,
    pub num_imported_funcs: u32,
    /// Sorted by return address: `(return offset, handler offset, frame
    /// offset)` of each call site with an exception handler (a `try_call`
    /// inside a `try_table`); the frame offset is FP − SP at the call.
    pub handlers: Vec<(u32, u32, u32)>,
    pub module_name: Option<String>,
    pub func_names: std::collections::BTreeMap<u32, String>,
}

impl CodeInfo {
    pub fn trap_at(&self, offset: u32) -> Option<ir::TrapCode> {
        let i = self.traps.binary_search_by_key(&offset, |&(o, _)| o).ok()?;
        Some(self.traps[i].1)
    }

    /// The handler of the call site returning to `offset`, and its frame
    /// offset, if it has one.
    pub fn handler_at(&self, offset: u32) -> Option<(u32, u32)> {
        let i = self.handlers.binary_search_by_key(&offset, |h| h.0).ok()?;
        Some((self.handlers[i].1, self.handlers[i].2))
    }

    /// The index of the wasm function whose code holds `offset`.
    pub fn func_at(&self, offset: u32) -> Option<u32> {
        let i = self.funcs.partition_point(|(r, _)| r.end <= offset);
        let (range, index) = self.funcs.get(i)?;
        range.contains(&offset).then_some(*index)
    }

    /// The module offset of the wasm operator of the trap site or call
    /// byte at `offset`, if it has one.
    pub fn wasm_offset_at(&self, offset: u32) -> Option<u32> {
        let i = self
            .srclocs
            .binary_search_by_key(&offset, |&(o, _)| o)
            .ok()?;
        Some(self.srclocs[i].1)
    }

    /// The module offset of function `func_index`'s body, if it is one
    /// of this region's defined functions.
    pub fn body_start(&self, func_index: u32) -> Option<u32> {
        let defined = func_index.checked_sub(self.num_imported_funcs)?;
        self.body_starts.get(defined as usize).copied()
    }
}

/// `end address → (start address, info)`.
type Map = BTreeMap<usize, (usize, Arc<CodeInfo>)>;

static REGISTRY: RwLock<Map> = RwLock::new(BTreeMap::new());

thread_local! {
    /// Set while this thread holds the registry lock. A fault taken then is
    /// in registry code, never in JIT code, and the signal handler must not
    /// wait for a lock its own thread holds.
    static IN_REGISTRY: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with `IN_REGISTRY` set (cleared even if `f` unwinds).
fn holding<R>(f: impl FnOnce() -> R) -> R {
    struct Clear;
    impl Drop for Clear {
        fn drop(&mut self) {
            IN_REGISTRY.with(|c| c.set(false));
        }
    }
    IN_REGISTRY.with(|c| c.set(true));
    let _clear = Clear;
    f()
}

pub fn register(start: usize, len: usize, info: Arc<CodeInfo>) {
    holding(|| {
        REGISTRY
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(start + len, (start, info));
    })
}

pub fn unregister(start: usize, len: usize) {
    holding(|| {
        REGISTRY
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(start + len));
    })
}

fn find(map: &Map, pc: usize) -> Option<(usize, Arc<CodeInfo>)> {
    let (_, (start, info)) = map.range(pc + 1..).next()?;
    (pc >= *start).then(|| (*start, info.clone()))
}

/// The region containing `pc` and `pc`'s offset in it.
pub fn lookup(pc: usize) -> Option<(Arc<CodeInfo>, u32)> {
    holding(|| {
        let map = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
        find(&map, pc).map(|(start, info)| (info, (pc - start) as u32))
    })
}

/// The region containing `pc`: its start and end addresses and its info.
pub fn lookup_region(pc: usize) -> Option<(usize, usize, Arc<CodeInfo>)> {
    holding(|| {
        let map = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
        let (&end, (start, info)) = map.range(pc + 1..).next()?;
        (pc >= *start).then(|| (*start, end, info.clone()))
    })
}

/// For the signal handler: is `pc` Kiln code? Never blocks (see
/// [`region_nonblocking`]).
pub fn is_kiln_code_nonblocking(pc: usize) -> bool {
    region_nonblocking(pc).is_some()
}

/// For the signal handler: the code region containing `pc`, if it is Kiln
/// code, so that a stack walk through many frames of one region looks it
/// up once. Never takes the lock blocking: if another thread holds it
/// (publishing or freeing code) it spins and yields the CPU until the
/// writer is done — giving up early would make a real wasm trap look like
/// a foreign fault and kill the process, which is what happened on a
/// loaded machine, where a writer can be preempted while holding the lock
/// for a whole time slice. A fault while this very thread holds the lock
/// is in registry code, not JIT code: that answers `None` at once.
pub fn region_nonblocking(pc: usize) -> Option<std::ops::Range<usize>> {
    if IN_REGISTRY.with(Cell::get) {
        return None;
    }
    // Writers hold the lock for one B-tree insert or remove; a million
    // yields is minutes of a starved machine, a bound only against a
    // writer that never finishes.
    for _ in 0..1_000_000 {
        for _ in 0..64 {
            if let Ok(map) = REGISTRY.try_read() {
                let (&end, &(start, _)) = map.range(pc + 1..).next()?;
                return (pc >= start).then_some(start..end);
            }
            std::hint::spin_loop();
        }
        // sched_yield is async-signal-safe: it lets a preempted writer run.
        std::thread::yield_now();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{CodeInfo, REGISTRY, lookup, register, unregister};
    use std::sync::Arc;

    /// A region holds its start and not its end: of two regions end to
    /// end, the address where one ends is the other's. (The addresses
    /// are below the lowest that Linux maps, so no real code is there.)
    #[test]
    fn regions_end_where_the_next_begins() {
        let (a, b, len) = (0x1000, 0x1100, 0x100);
        let info = |name: &str| {
            Arc::new(CodeInfo {
                module_name: Some(name.to_string()),
                ..CodeInfo::default()
            })
        };
        register(a, len, info("a"));
        register(b, len, info("b"));
        let at = |pc| lookup(pc).map(|(info, offset)| (info.module_name.clone().unwrap(), offset));
        assert_eq!(at(a - 1), None);
        assert_eq!(at(a), Some(("a".into(), 0)));
        assert_eq!(at(b - 1), Some(("a".into(), 0xff)));
        assert_eq!(at(b), Some(("b".into(), 0)));
        assert_eq!(at(b + len - 1), Some(("b".into(), 0xff)));
        assert_eq!(at(b + len), None);
        unregister(a, len);
        unregister(b, len);
        assert_eq!(at(a), None);
    }
    use crate::{Engine, Instance, Module, Store};
    use std::sync::mpsc;
    use std::time::Duration;

    /// A trap taken while another thread holds the registry lock (as when
    /// it publishes code and is preempted) waits for the lock and is
    /// reported as a trap; giving up after a bounded spin took the process
    /// down with SIGILL on loaded machines.
    #[test]
    fn trap_while_another_thread_holds_the_registry() {
        let engine = Engine::default();
        let wat = r#"(module (func (export "boom") unreachable))"#;
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let boom = instance.get_func(&mut store, "boom").unwrap();
        let (locked, wait) = mpsc::channel();
        let writer = std::thread::spawn(move || {
            let _map = REGISTRY.write().unwrap();
            locked.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(300));
        });
        wait.recv().unwrap();
        let err = boom.call(&mut store, &[], &mut []).unwrap_err();
        writer.join().unwrap();
        let trap = err.downcast_ref::<crate::Trap>().expect("a trap");
        assert_eq!(trap.code(), crate::TrapCode::UnreachableCodeReached);
    }
}
