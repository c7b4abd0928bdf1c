//! The real end of the calling thread's stack, which the wasm stack limit
//! must never lie below.
//!
//! `Config::max_wasm_stack` is measured down from the outermost host→wasm
//! entry, but the thread running it may have less stack than that left (a
//! 256 KiB worker thread under the 512 KiB default). Wasm that recursed
//! until the configured limit would then run into the thread's guard page
//! first, and host frames between nested entries would take Rust's stack
//! overflow abort. So the limit is raised to [`floor`]: the lowest usable
//! address of this thread's stack plus [`HOST_STACK_RESERVE`] (when the
//! entry is on that stack at all).
//!
//! The bounds are asked of the C library once per thread (on glibc,
//! `pthread_getattr_np` reads `/proc/self/maps` for the main thread) and
//! cached in a thread-local, so an outermost entry pays one thread-local
//! read.

use std::cell::Cell;

/// Stack kept free below the wasm stack limit for what runs there when
/// wasm has used all it may: host functions called from wasm (down to the
/// nested entry that refuses to go deeper), the host→wasm trampolines,
/// and the signal handler on threads without an alternate signal stack.
pub const HOST_STACK_RESERVE: usize = 64 * 1024;

/// Not computed yet on this thread.
const UNKNOWN: (usize, usize) = (usize::MAX, usize::MAX);

thread_local! {
    /// This thread's stack, `(lowest usable address, top)`; `(0, 0)` if
    /// the C library cannot tell.
    static BOUNDS: Cell<(usize, usize)> = const { Cell::new(UNKNOWN) };
}

/// The lowest address wasm entered at `sp` may grow this thread's stack
/// to: the stack's end plus [`HOST_STACK_RESERVE`]. 0 (no bound) where the
/// thread's stack bounds are unknown, or when `sp` is not on that stack
/// (an embedder running wasm on a stack of its own, e.g. a coroutine's).
#[inline]
pub fn floor(sp: usize) -> usize {
    // The hot path is one thread-local read: every outermost host→wasm
    // entry comes here, and a `with` closure holding the lookup was ~45
    // instructions of a ~230-instruction call.
    let mut bounds = BOUNDS.get();
    if bounds == UNKNOWN {
        bounds = look_up_bounds();
    }
    let (end, top) = bounds;
    if end < sp && sp <= top {
        end.saturating_add(HOST_STACK_RESERVE)
    } else {
        0
    }
}

/// Ask the C library for this thread's stack bounds, once per thread.
#[cold]
#[inline(never)]
fn look_up_bounds() -> (usize, usize) {
    let bounds = stack_bounds().unwrap_or((0, 0));
    BOUNDS.set(bounds);
    bounds
}

/// An address in the caller's frame: a stack pointer accurate to a few
/// words, which is all a limit measured in KiB needs.
#[inline(never)]
pub fn approximate_sp() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// This thread's stack: its lowest address that is not guard (the stack
/// grows down towards it) and its top.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn stack_bounds() -> Option<(usize, usize)> {
    // SAFETY: `attr` is initialised by `pthread_getattr_np` before it is
    // read and destroyed once after; the out-pointers are valid locals.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let got = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        // glibc and musl report the usable stack: the guard lies below
        // `addr`, outside `size`.
        let end = addr as usize;
        (got == 0 && end != 0).then(|| (end, end.saturating_add(size)))
    }
}

/// Other targets: unknown, so only `max_wasm_stack` bounds wasm there (the
/// signal handling in `signals.rs` is Linux-only for now anyway).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn stack_bounds() -> Option<(usize, usize)> {
    None
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn this_threads_stack_contains_the_stack_pointer() {
        let (end, top) = stack_bounds().expect("Linux reports thread stacks");
        let sp = approximate_sp();
        assert!(
            end < sp && sp <= top,
            "sp {sp:#x} outside {end:#x}..{top:#x}"
        );
        assert_eq!(floor(sp), end + HOST_STACK_RESERVE);
    }

    #[test]
    fn a_stack_pointer_elsewhere_is_not_bounded() {
        let (end, top) = stack_bounds().unwrap();
        assert_eq!(floor(end), 0);
        assert_eq!(floor(top + 4096), 0);
        assert_eq!(floor(0), 0);
    }

    #[test]
    fn a_spawned_thread_knows_its_size() {
        let size = 256 * 1024;
        std::thread::Builder::new()
            .stack_size(size)
            .spawn(move || {
                let (end, top) = stack_bounds().unwrap();
                let sp = approximate_sp();
                // The thread started near the top of a stack of about `size`.
                assert!(top - end >= size, "{:#x} bytes", top - end);
                assert!(sp - end <= size, "{:#x} bytes left", sp - end);
                assert!(sp - end > size / 2, "{:#x} bytes left", sp - end);
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
