//! Clocks, randomness, `poll_oneoff` and `sched_yield`.

use super::WasiCtx;
use super::errno::{Errno, WasiResult};
use super::mem::GuestMemory;
use rustix::time::{ClockId, DynamicClockId, Timespec};

const EVENTTYPE_CLOCK: u8 = 0;
const EVENTTYPE_FD_READ: u8 = 1;
const EVENTTYPE_FD_WRITE: u8 = 2;
const SUBCLOCKFLAGS_ABSTIME: u16 = 1;

fn host_clock(id: u64) -> WasiResult<ClockId> {
    Ok(match id {
        0 => ClockId::Realtime,
        1 => ClockId::Monotonic,
        2 => ClockId::ProcessCPUTime,
        3 => ClockId::ThreadCPUTime,
        _ => return Err(Errno::INVAL),
    })
}

fn nanos(ts: &Timespec) -> u64 {
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// The current time of WASI clock `id`, in nanoseconds.
fn now(id: u64) -> WasiResult<u64> {
    // The dynamic form returns the host's error where the plain one would
    // panic.
    let ts = rustix::time::clock_gettime_dynamic(DynamicClockId::Known(host_clock(id)?))?;
    Ok(nanos(&ts))
}

pub fn clock_res_get(_: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    // Every clock `host_clock` names has a resolution on Linux.
    let ts = rustix::time::clock_getres(host_clock(a[0])?);
    mem.write_u64(a[1] as u32, nanos(&ts).max(1))
}

pub fn clock_time_get(_: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let t = now(a[0])?;
    mem.write_u64(a[2] as u32, t)
}

/// Fill `buf` from the kernel's random source.
fn fill_random(buf: &mut [u8]) -> WasiResult {
    let mut done = 0;
    while done < buf.len() {
        let rest = &mut buf[done..];
        match rustix::rand::getrandom(&mut *rest, rustix::rand::GetRandomFlags::empty()) {
            Ok(n) => done += n,
            Err(rustix::io::Errno::INTR) => continue,
            Err(rustix::io::Errno::NOSYS) => {
                use std::io::Read;
                return std::fs::File::open("/dev/urandom")
                    .and_then(|mut f| f.read_exact(rest))
                    .map_err(Errno::from);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

pub fn random_get(_: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    fill_random(mem.slice_mut(a[0] as u32, a[1] as u32)?)
}

pub fn sched_yield(_: &mut WasiCtx, _: &mut GuestMemory<'_>, _: &[u64]) -> WasiResult {
    std::thread::yield_now();
    Ok(())
}

/// One event (32 bytes) as `poll_oneoff` reports it.
fn event(userdata: u64, error: Errno, ty: u8) -> [u8; 32] {
    let mut e = [0u8; 32];
    e[0..8].copy_from_slice(&userdata.to_le_bytes());
    e[8..10].copy_from_slice(&error.0.to_le_bytes());
    e[10] = ty;
    e
}

/// Clock subscriptions sleep until the earliest deadline and report every
/// clock due by then; descriptor subscriptions are reported ready at once
/// (reads and writes here never block for long), without sleeping.
pub fn poll_oneoff(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let (subs_ptr, events_ptr, count, nevents_ptr) =
        (a[0] as u32, a[1] as u32, a[2] as u32, a[3] as u32);
    if count == 0 {
        return Err(Errno::INVAL);
    }
    let subs = mem.bytes(subs_ptr, count.checked_mul(48).ok_or(Errno::FAULT)?)?;
    mem.slice(events_ptr, count.checked_mul(32).ok_or(Errno::FAULT)?)?;
    mem.slice(nevents_ptr, 4)?;
    let u64_at = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap());
    let mut ready = Vec::new();
    // (userdata, delay in ns from now) of each valid clock subscription.
    let mut clocks = Vec::new();
    for s in subs.chunks_exact(48) {
        let userdata = u64_at(s, 0);
        match s[8] {
            EVENTTYPE_CLOCK => {
                let id = u64::from(u32::from_le_bytes(s[16..20].try_into().unwrap()));
                let timeout = u64_at(s, 24);
                let flags = u16::from_le_bytes(s[40..42].try_into().unwrap());
                match now(id) {
                    Ok(t) => {
                        let delay = if flags & SUBCLOCKFLAGS_ABSTIME != 0 {
                            timeout.saturating_sub(t)
                        } else {
                            timeout
                        };
                        clocks.push((userdata, delay));
                    }
                    Err(e) => ready.push(event(userdata, e, EVENTTYPE_CLOCK)),
                }
            }
            ty @ (EVENTTYPE_FD_READ | EVENTTYPE_FD_WRITE) => {
                let fd = u64::from(u32::from_le_bytes(s[16..20].try_into().unwrap()));
                let error = match cx.fds.get(fd) {
                    Ok(_) => Errno::SUCCESS,
                    Err(e) => e,
                };
                ready.push(event(userdata, error, ty));
            }
            _ => ready.push(event(userdata, Errno::INVAL, s[8])),
        }
    }
    if ready.is_empty()
        && let Some(&min) = clocks.iter().map(|(_, d)| d).min()
    {
        std::thread::sleep(std::time::Duration::from_nanos(min));
        for &(userdata, delay) in &clocks {
            if delay <= min {
                ready.push(event(userdata, Errno::SUCCESS, EVENTTYPE_CLOCK));
            }
        }
    } else {
        for &(userdata, delay) in &clocks {
            if delay == 0 {
                ready.push(event(userdata, Errno::SUCCESS, EVENTTYPE_CLOCK));
            }
        }
    }
    for (i, e) in ready.iter().enumerate() {
        mem.write(events_ptr + 32 * i as u32, e)?;
    }
    mem.write_u32(nevents_ptr, ready.len() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// preview1's `event` layout: userdata (u64) at 0, errno (u16) at 8,
    /// the event type (u8) at 10, then an fd_readwrite part left zero here.
    #[test]
    fn events_are_laid_out_as_preview1_says() {
        let e = event(0x0102_0304_0506_0708, Errno::BADF, 2);
        let mut want = [0u8; 32];
        want[..8].copy_from_slice(&[8, 7, 6, 5, 4, 3, 2, 1]);
        want[8] = 8;
        want[10] = 2;
        assert_eq!(e, want);
    }
}
