//! Traps and frames.
//!
//! A trap is a message, the wasm frames Kiln's backtrace recorded
//! (innermost first: the origin is the first), and, for `proc_exit`, the
//! exit status (`kiln_trap_exit_status`). A trap a host callback returns
//! travels through wasm unchanged (Kiln returns host errors as they are),
//! so the caller gets the very same trap back.
//!
//! A trap a callback returns gains, on its way out, the wasm frames under
//! the callback (Kiln attaches them to a host error as a `WasmBacktrace`):
//! its trace is the frames it had (none for one made by `wasm_trap_new`,
//! those of an inner call for one a nested call returned) followed by those.
//!
//! Frames carry their function index and code offsets
//! (`usize::MAX` for a frame without one, as wasmtime's C API); not their
//! instance: `wasm_frame_instance` is NULL (documented in kiln.h).

use crate::refs::{HostInfo, Obj, wasm_ref_t, wasm_trap_t};
use crate::store::wasm_store_t;
use crate::vec::{Vector, wasm_frame_vec_t, wasm_message_t};
use kiln::{FrameInfo, Trap, WasmBacktrace};
use std::cell::RefCell;
use std::mem::MaybeUninit;
use std::rc::Rc;

pub struct TrapObj {
    pub(crate) message: String,
    /// Grows when the trap, returned by a callback, passes through wasm.
    pub(crate) trace: RefCell<Vec<FrameInfo>>,
    pub(crate) exit_status: Option<i32>,
    pub(crate) host_info: RefCell<Option<HostInfo>>,
}

/// The error a host callback's trap becomes while it unwinds through wasm.
#[derive(Debug)]
pub(crate) struct CallbackTrap(Unshared<Rc<TrapObj>>);

/// A value confined to its store's thread, where wasm.h keeps it.
pub(crate) struct Unshared<T>(pub T);
// SAFETY: a host callback's trap is made, carried through wasm and
// received on the thread of the call it returns from (one store, one
// thread): no other thread ever sees it.
unsafe impl<T> Send for Unshared<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Unshared<T> {}

impl<T> std::fmt::Debug for Unshared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Unshared")
    }
}

impl std::fmt::Display for CallbackTrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.0.message)
    }
}

impl std::error::Error for CallbackTrap {}

impl CallbackTrap {
    pub(crate) fn new(trap: &wasm_trap_t) -> Option<CallbackTrap> {
        match &trap.obj {
            Obj::Trap(t) => Some(CallbackTrap(Unshared(t.clone()))),
            _ => None,
        }
    }
}

impl TrapObj {
    fn new(message: String, trace: Vec<FrameInfo>) -> TrapObj {
        TrapObj {
            message,
            trace: RefCell::new(trace),
            exit_status: None,
            host_info: RefCell::new(None),
        }
    }

    /// The trap for an error of a call or instantiation: a callback's own
    /// trap (with the wasm frames it passed through added to its trace), a
    /// wasm trap with its backtrace, or any other error (a type mismatch, a
    /// link error, `proc_exit`, a host error) as a trap with its message
    /// and the wasm frames under the host call that failed.
    pub(crate) fn from_error(e: anyhow::Error) -> Rc<TrapObj> {
        let backtrace = e.downcast_ref::<WasmBacktrace>();
        let frames = backtrace.map_or(&[][..], |b| b.frames());
        if let Some(t) = e.downcast_ref::<CallbackTrap>() {
            let trap = t.0.0.clone();
            trap.trace.borrow_mut().extend_from_slice(frames);
            return trap;
        }
        if let Some(t) = e.downcast_ref::<Trap>() {
            return Rc::new(TrapObj::new(
                format!("wasm trap: {}", t.code()),
                t.trace().to_vec(),
            ));
        }
        // The message is the error's own chain; the backtrace, one link of
        // it, goes into the trace instead.
        let skip = backtrace.map(|b| b.to_string());
        let message = e
            .chain()
            .map(|c| c.to_string())
            .filter(|m| Some(m) != skip.as_ref())
            .collect::<Vec<_>>()
            .join(": ");
        let mut t = TrapObj::new(message, frames.to_vec());
        t.exit_status = e.downcast_ref::<kiln::wasi::I32Exit>().map(|x| x.0);
        Rc::new(t)
    }

    pub(crate) fn into_ref(self: Rc<TrapObj>) -> Box<wasm_trap_t> {
        Box::new(wasm_ref_t {
            store: None,
            obj: Obj::Trap(self),
        })
    }
}

pub(crate) fn trap_of(t: &wasm_trap_t) -> Option<&TrapObj> {
    match &t.obj {
        Obj::Trap(t) => Some(t),
        _ => None,
    }
}

/// A trap with `message` (a NUL-terminated name; the NUL is not part of
/// the message). The store is not needed: traps belong to no store.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_trap_new(
    _store: Option<&wasm_store_t>,
    message: &wasm_message_t,
) -> Box<wasm_trap_t> {
    let bytes = message.as_slice();
    let bytes = bytes.strip_suffix(&[0]).unwrap_or(bytes);
    Rc::new(TrapObj::new(
        String::from_utf8_lossy(bytes).into_owned(),
        Vec::new(),
    ))
    .into_ref()
}

/// The message, NUL-terminated (the NUL counted in `out->size`).
#[unsafe(no_mangle)]
pub extern "C" fn wasm_trap_message(t: &wasm_trap_t, out: &mut MaybeUninit<wasm_message_t>) {
    let message = trap_of(t).map_or("", |t| t.message.as_str());
    out.write(wasm_message_t::nul_terminated(message));
}

/// The innermost wasm frame, or NULL if the trap has none (one made by
/// `wasm_trap_new`, or raised outside wasm code).
#[unsafe(no_mangle)]
pub extern "C" fn wasm_trap_origin(t: &wasm_trap_t) -> Option<Box<wasm_frame_t>> {
    let frame = trap_of(t)?.trace.borrow().first()?.clone();
    Some(Box::new(wasm_frame_t { info: frame }))
}

/// The wasm frames, innermost first.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_trap_trace(t: &wasm_trap_t, out: &mut MaybeUninit<wasm_frame_vec_t>) {
    let frames = trap_of(t).map(|t| t.trace.borrow().clone());
    out.write(Vector::from_vec(
        frames
            .unwrap_or_default()
            .into_iter()
            .map(|info| Some(Box::new(wasm_frame_t { info })))
            .collect(),
    ));
}

#[derive(Clone)]
pub struct wasm_frame_t {
    info: FrameInfo,
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_frame_delete(_: Option<Box<wasm_frame_t>>) {}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_frame_copy(f: &wasm_frame_t) -> Box<wasm_frame_t> {
    Box::new(f.clone())
}

/// NULL: Kiln's stack walk records return addresses only, and a frame's
/// vmctx (which names its instance) is in whatever register or stack slot
/// Cranelift chose, not at a place a walk can read (kiln.h).
#[unsafe(no_mangle)]
pub extern "C" fn wasm_frame_instance(_: &wasm_frame_t) -> *mut wasm_ref_t {
    std::ptr::null_mut()
}

/// The function's index in its module's function index space.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_frame_func_index(f: &wasm_frame_t) -> u32 {
    f.info.func_index
}

/// The frame's instruction, as an offset from the start of its function's
/// body (`FrameInfo::func_offset`); `SIZE_MAX` if the frame has none.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_frame_func_offset(f: &wasm_frame_t) -> usize {
    f.info.func_offset().unwrap_or(usize::MAX)
}

/// The frame's instruction, as an offset in the module's bytes
/// (`FrameInfo::module_offset`); `SIZE_MAX` if the frame has none.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_frame_module_offset(f: &wasm_frame_t) -> usize {
    f.info.module_offset().unwrap_or(usize::MAX)
}
