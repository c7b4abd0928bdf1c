//! The Rust side of the builtins declared in `builtins.rs`: the table
//! compiled code calls through (generated from `foreach_builtin!`'s list),
//! and each builtin's implementation.
//!
//! Builtins never unwind: a failure is a non-zero status (or
//! `GROW_ERROR`), and the calling compiled code raises the trap (see
//! `signals.rs`). The embedder's code they run (the limiter, the epoch
//! policy) is kept from unwinding through them: a panic there becomes the
//! call's error.

use super::builtins::{self, Builtin, foreach_builtin};
use super::exception::{self, ExnData};
use super::instance::InstanceData;
use super::limits::ResourceLimiter;
use super::objects::{EpochAction, StoreObjects};
use super::vmctx;
use anyhow::{Result, anyhow};
use std::mem::{offset_of, size_of};

macro_rules! builtin_table {
    ($( $(#[$doc:meta])* $name:ident $field:ident ( $($param:ident),* ) -> $ret:ident; )*) => {
        /// Function pointers in `Builtin` order, one per line of
        /// `foreach_builtin!`, each this file's function of that name.
        #[repr(C)]
        pub struct BuiltinTable {
            $(
                $(#[$doc])*
                $field: unsafe extern "C" fn(*mut u8 $(, builtin_table!(@ty $param))*)
                    -> builtin_table!(@ret $ret),
            )*
        }

        pub static BUILTINS: BuiltinTable = BuiltinTable { $( $field, )* };

        // Compiled code finds each builtin at `Builtin::table_offset`.
        const _: () = {
            $( assert!(offset_of!(BuiltinTable, $field) == Builtin::$name.table_offset() as usize); )*
            assert!(size_of::<BuiltinTable>() == [$( Builtin::$name, )*].len() * size_of::<usize>());
        };
    };
    // The Rust types of `builtins.rs`'s CLIF types.
    (@ty i32) => { u32 };
    (@ty i64) => { u64 };
    (@ty ptr) => { usize };
    (@ret status) => { u32 };
    (@ret i64) => { u64 };
    (@ret none) => { () };
}

foreach_builtin!(builtin_table);

const OK: u32 = 0;
const TRAP: u32 = 1;

/// The objects of the store a vmctx belongs to, and its instance's index
/// there. One exclusive borrow of the whole: the instance is reached
/// through it (`objects.instances[i]`), never beside it, so a builtin
/// borrows the instance and the memories or tables it names as disjoint
/// fields of one struct.
///
/// # Safety
/// `vmctx` must be a live instance's vmctx, called from its compiled code.
unsafe fn context<'a>(vmctx: *mut u8) -> (&'a mut StoreObjects, usize) {
    // SAFETY: instantiation wrote the back pointer; compiled code holds no
    // Rust borrow of the store while it runs (the host→wasm entry keeps
    // only a raw pointer), so this is the only one.
    unsafe {
        let objects = *(vmctx.add(vmctx::OBJECTS_OFFSET as usize) as *const *mut StoreObjects);
        (&mut *objects, InstanceData::index_of(vmctx))
    }
}

/// The vmctx header's opaque store pointer, for the store's hooks.
///
/// # Safety
/// `vmctx` must be a live instance's vmctx.
unsafe fn store_ptr(vmctx: *mut u8) -> *mut u8 {
    // SAFETY: instantiation wrote it; only the field is read.
    unsafe { *(vmctx.add(vmctx::STORE_OFFSET as usize) as *const *mut u8) }
}

/// `f`'s result, or its panic as an error: the embedder's code must not
/// unwind through a builtin's frame into compiled code.
fn catch<R>(what: &str, f: impl FnOnce() -> Result<R>) -> Result<R> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let msg = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(anyhow!("{what} panicked: {msg}"))
    })
}

/// Runs a growth `grow` under the store's limiter: the old size, `-1`
/// (`u64::MAX`) when denied or impossible, or `GROW_ERROR` with the
/// limiter's error left pending in `objects`.
///
/// # Safety
/// `vmctx` must be a live instance's vmctx, called from its compiled code.
unsafe fn limited_grow(
    vmctx: *mut u8,
    grow: impl FnOnce(&mut StoreObjects, usize, Option<&mut dyn ResourceLimiter>) -> Result<Option<u64>>,
) -> u64 {
    // SAFETY: called by compiled code with its own vmctx.
    let (objects, i) = unsafe { context(vmctx) };
    // SAFETY: as above.
    let store = unsafe { store_ptr(vmctx) };
    let with_limiter = objects.hooks.with_limiter;
    let mut grow = Some(grow);
    let mut result = Ok(None);
    let run = || {
        // SAFETY: `store` is this vmctx's store; of it, only its
        // `StoreObjects` are borrowed here, which the hook leaves alone.
        unsafe {
            with_limiter(store, &mut |limiter| {
                if let Some(grow) = grow.take() {
                    result = grow(&mut *objects, i, limiter);
                }
            })
        };
        Ok(())
    };
    let caught = catch("the resource limiter", run);
    match caught.and(result) {
        Ok(Some(old)) => old,
        Ok(None) => u64::MAX,
        Err(e) => {
            objects.pending_error = Some(e);
            builtins::GROW_ERROR as u64
        }
    }
}

/// `start..start+len` if it lies within `0..bound`.
fn range(start: u64, len: u64, bound: usize) -> Option<std::ops::Range<usize>> {
    let end = start.checked_add(len)?;
    (end <= bound as u64).then_some(start as usize..end as usize)
}

unsafe extern "C" fn memory_grow(vmctx: *mut u8, mem: u32, delta: u64) -> u64 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        limited_grow(vmctx, |objects, i, limiter| {
            let m = objects.instances[i].memories[mem as usize];
            objects.memories[m].grow(delta, limiter)
        })
    }
}

unsafe extern "C" fn memory_fill(vmctx: *mut u8, mem: u32, dst: u64, val: u32, len: u64) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    let (objects, i) = unsafe { context(vmctx) };
    let inst = &objects.instances[i];
    let data = objects.memories[inst.memories[mem as usize]].data_mut();
    match range(dst, len, data.len()) {
        Some(r) => {
            data[r].fill(val as u8);
            OK
        }
        None => TRAP,
    }
}

unsafe extern "C" fn memory_copy(
    vmctx: *mut u8,
    dst_mem: u32,
    src_mem: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    let (objects, i) = unsafe { context(vmctx) };
    let inst = &objects.instances[i];
    let src_def = &objects.memories[inst.memories[src_mem as usize]].def;
    let (src_base, src_len) = (src_def.base, src_def.length);
    let dst_def = &objects.memories[inst.memories[dst_mem as usize]].def;
    let (dst_base, dst_len) = (dst_def.base, dst_def.length);
    match (range(src, len, src_len), range(dst, len, dst_len)) {
        (Some(s), Some(d)) => {
            // SAFETY: both ranges were checked against their memories'
            // lengths; `copy` allows overlap (same memory).
            unsafe { std::ptr::copy(src_base.add(s.start), dst_base.add(d.start), len as usize) };
            OK
        }
        _ => TRAP,
    }
}

unsafe extern "C" fn memory_init(
    vmctx: *mut u8,
    mem: u32,
    data: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    let (objects, i) = unsafe { context(vmctx) };
    let inst = &objects.instances[i];
    let bytes = if inst.data_dropped(data) {
        &[][..]
    } else {
        inst.module().info().data(data)
    };
    let memory = objects.memories[inst.memories[mem as usize]].data_mut();
    let (src, len) = (u64::from(src), u64::from(len));
    match (range(src, len, bytes.len()), range(dst, len, memory.len())) {
        (Some(s), Some(d)) => {
            memory[d].copy_from_slice(&bytes[s]);
            OK
        }
        _ => TRAP,
    }
}

unsafe extern "C" fn data_drop(vmctx: *mut u8, data: u32) {
    // SAFETY: called by compiled code with its own vmctx.
    let (objects, i) = unsafe { context(vmctx) };
    let inst = &mut objects.instances[i];
    inst.drop_data(data);
}

unsafe extern "C" fn table_grow(vmctx: *mut u8, table: u32, init: usize, delta: u64) -> u64 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        limited_grow(vmctx, |objects, i, limiter| {
            let t = objects.instances[i].tables[table as usize];
            objects.tables[t].grow(delta, init, limiter)
        })
    }
}

unsafe extern "C" fn table_fill(vmctx: *mut u8, table: u32, dst: u64, val: usize, len: u64) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    let (objects, i) = unsafe { context(vmctx) };
    let inst = &objects.instances[i];
    let elements = objects.tables[inst.tables[table as usize]].elements_mut();
    match range(dst, len, elements.len()) {
        Some(r) => {
            elements[r].fill(val);
            OK
        }
        None => TRAP,
    }
}

unsafe extern "C" fn table_copy(
    vmctx: *mut u8,
    dst_table: u32,
    src_table: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    let (objects, i) = unsafe { context(vmctx) };
    let inst = &objects.instances[i];
    let (d, s) = (
        inst.tables[dst_table as usize],
        inst.tables[src_table as usize],
    );
    let (src_len, dst_len) = (
        objects.tables[s].elements().len(),
        objects.tables[d].elements().len(),
    );
    let (Some(sr), Some(dr)) = (range(src, len, src_len), range(dst, len, dst_len)) else {
        return TRAP;
    };
    if d == s {
        objects.tables[d].elements_mut().copy_within(sr, dr.start);
    } else {
        let items = objects.tables[s].elements()[sr].to_vec();
        objects.tables[d].elements_mut()[dr].copy_from_slice(&items);
    }
    OK
}

unsafe extern "C" fn table_init(
    vmctx: *mut u8,
    table: u32,
    elem: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    let (objects, i) = unsafe { context(vmctx) };
    let inst = &objects.instances[i];
    let items = if inst.elem_dropped(elem) {
        &[][..]
    } else {
        &inst.module().info().elems[elem as usize].items[..]
    };
    let t = inst.tables[table as usize];
    let (src, len) = (u64::from(src), u64::from(len));
    let (Some(sr), Some(dr)) = (
        range(src, len, items.len()),
        range(dst, len, objects.tables[t].elements().len()),
    ) else {
        return TRAP;
    };
    let values: Vec<usize> = items[sr].iter().map(|x| inst.eval(x) as usize).collect();
    objects.tables[t].elements_mut()[dr].copy_from_slice(&values);
    OK
}

unsafe extern "C" fn elem_drop(vmctx: *mut u8, elem: u32) {
    // SAFETY: called by compiled code with its own vmctx.
    let (objects, i) = unsafe { context(vmctx) };
    let inst = &mut objects.instances[i];
    inst.drop_elem(elem);
}

unsafe extern "C" fn new_epoch(vmctx: *mut u8) -> u32 {
    // SAFETY: called by compiled code with its own vmctx; the hooks are
    // copied out, so no borrow of the store is held while the policy runs.
    let (store, new_epoch) = unsafe { (store_ptr(vmctx), context(vmctx).0.hooks.new_epoch) };
    // SAFETY: compiled code holds no borrow of its store.
    let action = catch("the epoch deadline callback", || unsafe {
        new_epoch(store)
    });
    match action {
        Ok(EpochAction::Continue) => OK,
        Ok(EpochAction::Interrupt) => builtins::NEW_EPOCH_INTERRUPT as u32,
        Err(e) => {
            // SAFETY: as above; the policy has returned.
            unsafe { context(vmctx).0.pending_error = Some(e) };
            builtins::NEW_EPOCH_ERROR as u32
        }
    }
}

unsafe extern "C" fn exn_new(vmctx: *mut u8, tag: u32, values: u64) -> u64 {
    // SAFETY: called by compiled code with its own vmctx.
    let (objects, i) = unsafe { context(vmctx) };
    let tag = objects.instances[i].tags[tag as usize];
    let n = objects.tags[tag].ty.params().len();
    // SAFETY: compiled code passes a buffer of one 16-byte slot per
    // payload value of the tag (validation checked the operands).
    let payload = unsafe { std::slice::from_raw_parts(values as usize as *const u128, n) };
    objects.exceptions.push(ExnData {
        tag,
        payload: payload.into(),
    });
    exception::exn_to_raw(objects.exceptions.len() - 1) as u64
}

/// The exception object of a raw, non-null `exnref` of this store.
fn exn(objects: &StoreObjects, raw: usize) -> &ExnData {
    // Compiled code only ever holds exnrefs its store made, never null
    // here (`throw_ref` traps on null before).
    let index = exception::exn_from_raw(raw).expect("non-null exnref");
    &objects.exceptions[index]
}

unsafe extern "C" fn exn_is(vmctx: *mut u8, raw: usize, tag: u32) -> u64 {
    // SAFETY: called by compiled code with its own vmctx.
    let (objects, i) = unsafe { context(vmctx) };
    u64::from(exn(objects, raw).tag == objects.instances[i].tags[tag as usize])
}

unsafe extern "C" fn is_subtype(vmctx: *mut u8, actual: u32, expected: u32) -> u64 {
    // SAFETY: called by compiled code with its own vmctx.
    let (objects, i) = unsafe { context(vmctx) };
    u64::from(objects.instances[i].module().is_subtype(actual, expected))
}

unsafe extern "C" fn exn_payload(vmctx: *mut u8, raw: usize, values: u64) {
    // SAFETY: called by compiled code with its own vmctx.
    let (objects, _) = unsafe { context(vmctx) };
    let payload = &exn(objects, raw).payload;
    // SAFETY: compiled code passes a buffer of one 16-byte slot per
    // payload value of the tag it matched.
    let out =
        unsafe { std::slice::from_raw_parts_mut(values as usize as *mut u128, payload.len()) };
    out.copy_from_slice(payload);
}

unsafe extern "C" fn throw(vmctx: *mut u8, raw: usize, fp: u64) {
    let raw = match raw {
        0 => {
            // SAFETY: called by compiled code with its own vmctx.
            let (objects, _) = unsafe { context(vmctx) };
            let Some(index) = objects.pending_exception.take() else {
                objects.pending_error = Some(anyhow!("no pending exception to throw"));
                return;
            };
            exception::exn_to_raw(index)
        }
        raw => raw,
    };
    // SAFETY: `fp` is the frame pointer of the calling wasm frame.
    match unsafe { exception::find_handler(fp as usize) } {
        // SAFETY: nothing in this frame needs dropping; the landing is on
        // this thread's stack, above the calling wasm frame.
        Some(landing) => unsafe { exception::resume(landing, raw) },
        None => {
            // SAFETY: called by compiled code with its own vmctx.
            let (objects, _) = unsafe { context(vmctx) };
            objects.pending_exception = exception::exn_from_raw(raw);
            objects.pending_error = Some(anyhow::Error::new(exception::ThrownException));
        }
    }
}
