//! Callgrind's `CALLGRIND_TOGGLE_COLLECT` client request, so instruction
//! counts cover only a measured region (run under
//! `valgrind --tool=callgrind --collect-atstart=no`). Outside valgrind the
//! request is a few register rotations that change nothing.

/// Flip whether callgrind counts (no effect outside valgrind).
#[inline(never)]
pub fn toggle_collect() {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    {
        // VG_USERREQ_TOOL_BASE('C', 'T') + 2, from valgrind's callgrind.h.
        const TOGGLE_COLLECT: u64 = (((b'C' as u64) << 24) | ((b'T' as u64) << 16)) + 2;
        let request: [u64; 6] = [TOGGLE_COLLECT, 0, 0, 0, 0, 0];
        // SAFETY: valgrind's x86-64 client-request sequence: rdi is rotated
        // by 128 bits in all (unchanged), `xchg rbx, rbx` is a no-op; under
        // valgrind it reads the request block at rax and writes rdx.
        unsafe {
            std::arch::asm!(
                "rol rdi, 3",
                "rol rdi, 13",
                "rol rdi, 61",
                "rol rdi, 51",
                "xchg rbx, rbx",
                in("rax") request.as_ptr(),
                inout("rdx") 0u64 => _,
                inout("rdi") 0u64 => _,
                options(nostack),
            );
        }
    }
}
