//! `args_*` and `environ_*`: the command line and the environment.

use super::WasiCtx;
use super::errno::{Errno, WasiResult};
use super::mem::GuestMemory;

fn sizes(
    items: &[Vec<u8>],
    mem: &mut GuestMemory<'_>,
    count_ptr: u32,
    size_ptr: u32,
) -> WasiResult {
    let count = u32::try_from(items.len()).map_err(|_| Errno::OVERFLOW)?;
    let size: usize = items.iter().map(|i| i.len() + 1).sum();
    let size = u32::try_from(size).map_err(|_| Errno::OVERFLOW)?;
    mem.write_u32(count_ptr, count)?;
    mem.write_u32(size_ptr, size)
}

pub fn args_get(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    mem.write_string_table(&cx.args, a[0] as u32, a[1] as u32)
}

pub fn args_sizes_get(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    sizes(&cx.args, mem, a[0] as u32, a[1] as u32)
}

pub fn environ_get(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    mem.write_string_table(&cx.env, a[0] as u32, a[1] as u32)
}

pub fn environ_sizes_get(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    sizes(&cx.env, mem, a[0] as u32, a[1] as u32)
}
