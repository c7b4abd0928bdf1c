//! Exceptions at run time: tags and exception objects of a store, and the
//! unwinder that carries a thrown exception to its handler.
//!
//! A `try_table` compiles to no code of its own: each call inside it is a
//! Cranelift `try_call` whose exceptional edge is one catch-all handler
//! block (its dispatch, which tests the catch clauses and rethrows when
//! none matches), and Cranelift records per call site the handler's
//! offset and the frame size (`compile.rs` keeps them in the code
//! registry). A `throw` inside a `try_table` of its own function jumps to
//! that dispatch directly; otherwise compiled code calls the `throw`
//! builtin with its own frame pointer, and [`throw`] walks the callers'
//! frames (frame pointers are always on) to the innermost call site with
//! a handler. There it restores the frame's SP and FP (Cranelift's
//! exception ABI: every register is clobbered across a `try_call`, so
//! nothing else needs restoring) and jumps to the handler with the
//! exception in the first payload register ([`resume`], a few
//! instructions of assembly). Nothing is paid for a `try_table` that
//! throws nothing.
//!
//! The walk stops at the first frame that is not a wasm function: the
//! host→wasm entry trampoline. An exception that reaches it is uncaught
//! for this entry: it becomes the pending exception, and the compiled code
//! raises `HOST_ERROR` with [`ThrownException`] as the pending error, so
//! the entry returns that error (the trap machinery, never a Rust frame
//! skipped). A host function that calls wasm sees it as the error of its
//! call; if it returns it, the host-call trampoline throws the pending
//! exception on into its wasm caller.
//!
//! Exception objects live as long as their store (there is no GC), like
//! every other store object; an `exnref` is the object's index plus one
//! (0 is null).

use super::registry::{self, CodeInfo};
use crate::types::FuncType;
use std::fmt;
use std::sync::Arc;

/// A tag of a store: its type (the parameters are the payload).
#[derive(Debug)]
pub struct TagData {
    pub ty: FuncType,
}

/// An exception object: its tag (a store tag index) and payload values,
/// raw, one 16-byte slot each as the trampolines pass values.
#[derive(Debug)]
pub struct ExnData {
    pub tag: usize,
    pub payload: Box<[u128]>,
}

/// The error a call returns when an exception escaped it: the exception
/// itself is the store's pending exception (wasmtime's shape: take it
/// with `Store::take_pending_exception`). A host function returns this
/// error (from `Store::throw`) to throw the pending exception into its
/// wasm caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrownException;

impl fmt::Display for ThrownException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("uncaught wasm exception")
    }
}

impl std::error::Error for ThrownException {}

/// The raw `exnref` of exception object `index`.
pub fn exn_to_raw(index: usize) -> usize {
    index + 1
}

/// The exception object index of a non-null raw `exnref`.
pub fn exn_from_raw(raw: usize) -> Option<usize> {
    raw.checked_sub(1)
}

/// Where an exception resumes: a handler's code address, and the stack
/// and frame pointers of its frame.
#[derive(Clone, Copy, Debug)]
pub struct Landing {
    pub pc: usize,
    pub sp: usize,
    pub fp: usize,
}

/// The innermost handler above the wasm frame whose frame pointer is `fp`
/// (that frame's own handlers excluded: its code dispatched locally
/// before calling the unwinder). `None` when the walk reaches a frame that
/// is not a wasm function (the entry trampoline) first.
///
/// # Safety
/// `fp` must be the frame pointer of a live wasm frame on this thread's
/// stack, inside a host→wasm entry.
pub unsafe fn find_handler(mut fp: usize) -> Option<Landing> {
    // Deep recursion stays in one region: looked up once.
    let mut region: Option<(usize, usize, Arc<CodeInfo>)> = None;
    while fp != 0 && fp.is_multiple_of(std::mem::align_of::<usize>()) {
        // SAFETY: `fp` is a live Kiln frame's frame pointer (the
        // caller's promise, then each caller found to be a wasm
        // function): it points at the saved (caller fp, return address).
        let (next, ret) = unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) };
        let known = matches!(&region, Some((start, end, _)) if (*start..*end).contains(&ret));
        if !known {
            region = Some(registry::lookup_region(ret)?);
        }
        let (start, _, info) = region.as_ref()?;
        let offset = (ret - start) as u32;
        info.func_at(offset)?;
        if let Some((handler, frame_offset)) = info.handler_at(offset) {
            return Some(Landing {
                pc: start + handler as usize,
                sp: next - frame_offset as usize,
                fp: next,
            });
        }
        if next <= fp {
            return None;
        }
        fp = next;
    }
    None
}

unsafe extern "C" {
    /// Sets SP and FP to the landing's, the first exception payload
    /// register to `payload`, and jumps to `pc`.
    fn kiln_resume_to_handler(pc: usize, sp: usize, fp: usize, payload: usize) -> !;
}

#[cfg(target_arch = "x86_64")]
core::arch::global_asm!(
    ".globl kiln_resume_to_handler",
    ".type kiln_resume_to_handler, @function",
    "kiln_resume_to_handler:",
    "mov rsp, rsi",
    "mov rbp, rdx",
    "mov rax, rcx",
    "xor edx, edx",
    "jmp rdi",
    ".size kiln_resume_to_handler, . - kiln_resume_to_handler",
);

#[cfg(target_arch = "aarch64")]
core::arch::global_asm!(
    ".globl kiln_resume_to_handler",
    ".type kiln_resume_to_handler, %function",
    "kiln_resume_to_handler:",
    "mov x16, x0",
    "mov sp, x1",
    "mov x29, x2",
    "mov x0, x3",
    "mov x1, xzr",
    "br x16",
    ".size kiln_resume_to_handler, . - kiln_resume_to_handler",
);

/// Resumes at `landing` with exception `raw_exn`, abandoning every frame
/// below it: the builtin's own (which calls this last, holding nothing
/// with a destructor) and the wasm frames the exception unwinds.
///
/// # Safety
/// `landing` must come from [`find_handler`] on this thread's current
/// stack, and the caller's frames up to the landing frame must own nothing
/// that needs dropping.
pub unsafe fn resume(landing: Landing, raw_exn: usize) -> ! {
    // SAFETY: the caller's promise; the handler expects exactly this state
    // (Cranelift's exception ABI for `try_call` sites of the tail
    // convention: SP and FP of its frame, payload in the first register).
    unsafe { kiln_resume_to_handler(landing.pc, landing.sp, landing.fp, raw_exn) }
}
