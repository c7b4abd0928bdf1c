//! Turning faults in JIT code into `Err` returns.
//!
//! One process-wide handler for SIGSEGV, SIGBUS, SIGILL and SIGFPE is
//! installed the first time an engine is created. Each host→wasm entry runs
//! through `catch_traps`, which publishes a jump buffer in thread-local
//! state (`helpers.c`). When a signal arrives on a thread with a jump
//! buffer and its PC is Kiln code (`registry.rs`), the handler records
//! where it happened and longjmps back to the entry; otherwise it chains to
//! whatever handler was installed before ours, so host crashes stay host
//! crashes.
//!
//! Unwinding only ever starts in JIT code: builtins and host functions
//! report failure by return value and the JIT code traps itself, so no Rust
//! frame is ever jumped over (`trap_codes::HOST_ERROR`).
//!
//! The handler runs on the thread's alternate signal stack when it has one
//! (Rust's runtime installs one for its threads), else in the reserve the
//! stack limit keeps above the thread's stack end; wasm stack overflow is
//! caught earlier, by the stack-limit check in every prologue.

use super::registry;
use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::sync::{Once, OnceLock};

/// Wasm frames a trace lists at most (the trapping one and its callers);
/// the frames of deeper stacks beyond these are counted, not kept.
pub const MAX_TRACE: usize = 64;

/// Where a trap happened: the faulting PC and the return addresses of the
/// Kiln frames above it, innermost first. One more return address than a
/// trace lists is kept: the PC of a host function's error is in the
/// trampoline that called it, which is no wasm frame. Collected in the
/// handler, before the longjmp: afterwards those frames are dead stack and
/// get overwritten.
/// So it is a fixed-size record: the handler must not allocate.
#[derive(Clone, Copy, Debug)]
pub struct TrapRecord {
    pub pc: usize,
    pub returns: [usize; MAX_TRACE],
    pub num_returns: usize,
    /// Kiln return addresses beyond `returns`: walked and counted only.
    pub num_omitted: usize,
    /// The outermost Kiln return address of the walk (kept or not), 0 if
    /// none; it can be the entry trampoline's, which is no wasm frame.
    pub outermost: usize,
}

impl TrapRecord {
    /// Walk the frame-pointer chain from `fp` while return addresses are
    /// Kiln code. Every Kiln frame keeps a frame pointer (Cranelift's
    /// `preserve_frame_pointers`), so each `fp` on the chain points at a
    /// saved (caller fp, return address) pair. Callers' frames lie at
    /// higher addresses; a chain that does not climb is not followed.
    fn capture(pc: usize, mut fp: usize) -> TrapRecord {
        let mut record = TrapRecord {
            pc,
            returns: [0; MAX_TRACE],
            num_returns: 0,
            num_omitted: 0,
            outermost: 0,
        };
        // The code region of the last return address: deep recursion
        // stays in one, and is walked without a registry lookup per frame.
        let mut region = 0..0;
        while fp != 0 && fp.is_multiple_of(std::mem::align_of::<usize>()) {
            // SAFETY: `fp` is the frame pointer of a live Kiln frame (the
            // faulting one, then each caller found to be Kiln code).
            let (next, ret) = unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) };
            if !region.contains(&ret) {
                match registry::region_nonblocking(ret) {
                    Some(r) => region = r,
                    None => break,
                }
            }
            match record.returns.get_mut(record.num_returns) {
                Some(slot) => {
                    *slot = ret;
                    record.num_returns += 1;
                }
                None => record.num_omitted += 1,
            }
            record.outermost = ret;
            if next <= fp {
                break;
            }
            fp = next;
        }
        record
    }
}

thread_local! {
    static JMP_BUF: Cell<*mut c_void> = const { Cell::new(std::ptr::null_mut()) };
    static LAST_TRAP: Cell<Option<TrapRecord>> = const { Cell::new(None) };
}

unsafe extern "C" {
    fn kiln_setjmp_call(
        slot: *mut *mut c_void,
        body: unsafe extern "C" fn(*mut c_void),
        data: *mut c_void,
    ) -> c_int;
    fn kiln_longjmp(buf: *mut c_void) -> !;
}

/// Runs `body(data)`, returning the trap if JIT code faulted inside it.
///
/// # Safety
/// `body` must own no values with destructors across its calls into JIT
/// code: a trap returns from `catch_traps` without returning from `body`.
pub unsafe fn catch_traps(
    body: unsafe extern "C" fn(*mut c_void),
    data: *mut c_void,
) -> Result<(), Box<TrapRecord>> {
    let slot = JMP_BUF.with(|c| c.as_ptr());
    // SAFETY: `slot` is this thread's jump-buffer cell; the C side restores
    // its previous value on both return paths, so nesting works.
    let trapped = unsafe { kiln_setjmp_call(slot, body, data) };
    if trapped == 0 {
        Ok(())
    } else {
        Err(Box::new(
            LAST_TRAP.with(|t| t.take()).expect("trap without a record"),
        ))
    }
}

const SIGNALS: [c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

static PREVIOUS: OnceLock<Vec<(c_int, libc::sigaction)>> = OnceLock::new();

/// Install the handler (once per process).
pub fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let mut previous = Vec::new();
        for signal in SIGNALS {
            // SAFETY: plain sigaction calls with a fully initialised struct;
            // the handler is async-signal-safe in the paths it takes before
            // deciding the signal is ours.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = handler as *const () as usize;
                // SA_NODEFER: we longjmp out of the handler without
                // restoring the signal mask; the signal must not stay blocked.
                action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(signal, &action, &mut old) == 0 {
                    previous.push((signal, old));
                }
            }
        }
        let _ = PREVIOUS.set(previous);
    });
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
unsafe fn pc_and_fp(ctx: *mut c_void) -> (usize, usize) {
    // SAFETY: the kernel passes a valid ucontext_t to SA_SIGINFO handlers.
    unsafe {
        let uc = &*(ctx as *const libc::ucontext_t);
        (
            uc.uc_mcontext.gregs[libc::REG_RIP as usize] as usize,
            uc.uc_mcontext.gregs[libc::REG_RBP as usize] as usize,
        )
    }
}

#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
unsafe fn pc_and_fp(ctx: *mut c_void) -> (usize, usize) {
    // SAFETY: the kernel passes a valid ucontext_t to SA_SIGINFO handlers.
    unsafe {
        let uc = &*(ctx as *const libc::ucontext_t);
        (uc.uc_mcontext.pc as usize, uc.uc_mcontext.regs[29] as usize)
    }
}

unsafe extern "C" fn handler(signal: c_int, info: *mut libc::siginfo_t, ctx: *mut c_void) {
    let buf = JMP_BUF.with(|c| c.get());
    if !buf.is_null() {
        // SAFETY: `ctx` comes from the kernel.
        let (pc, fp) = unsafe { pc_and_fp(ctx) };
        if registry::is_kiln_code_nonblocking(pc) {
            LAST_TRAP.with(|t| t.set(Some(TrapRecord::capture(pc, fp))));
            // SAFETY: `buf` is the live jump buffer of the innermost entry on
            // this thread; only JIT frames lie between here and there.
            unsafe { kiln_longjmp(buf) }
        }
    }
    // SAFETY: forwarding the kernel's arguments to the previous handler.
    unsafe { chain(signal, info, ctx) }
}

unsafe fn chain(signal: c_int, info: *mut libc::siginfo_t, ctx: *mut c_void) {
    let prev = PREVIOUS
        .get()
        .and_then(|p| p.iter().find(|(s, _)| *s == signal))
        .map(|(_, a)| *a);
    // SAFETY: calling the handler that was installed before ours, the way
    // the kernel would have; for the default action, restore it and return
    // so the faulting instruction re-executes under it.
    unsafe {
        match prev {
            Some(prev)
                if prev.sa_sigaction != libc::SIG_DFL && prev.sa_sigaction != libc::SIG_IGN =>
            {
                if prev.sa_flags & libc::SA_SIGINFO != 0 {
                    let f: unsafe extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) =
                        std::mem::transmute(prev.sa_sigaction);
                    f(signal, info, ctx);
                } else {
                    let f: unsafe extern "C" fn(c_int) = std::mem::transmute(prev.sa_sigaction);
                    f(signal);
                }
            }
            _ => {
                let mut dfl: libc::sigaction = std::mem::zeroed();
                dfl.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(signal, &dfl, std::ptr::null_mut());
            }
        }
    }
}
