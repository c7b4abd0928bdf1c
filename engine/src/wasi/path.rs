//! Path resolution beneath a directory descriptor, and the `path_*`
//! functions.
//!
//! # How the capability check works
//!
//! A guest path is resolved relative to a directory descriptor the guest
//! holds (a preopen, or a directory opened beneath one), never as a host
//! path string. [`resolve`] walks it one component at a time:
//!
//! - absolute paths are refused (`ENOTCAPABLE`);
//! - `.` and empty components are skipped;
//! - `..` pops the stack of directories opened so far; popping past the
//!   starting directory is refused (`ENOTCAPABLE`). `..` is never passed to
//!   the host, so it cannot climb out of the tree;
//! - every other intermediate component is opened with
//!   `openat(dir, name, O_DIRECTORY | O_NOFOLLOW)`, so the host never
//!   follows a symlink for us. A component that is a symlink (seen with
//!   `readlinkat`) is expanded by splicing its target in front of the
//!   remaining components, and resolution carries on under the same rules:
//!   an absolute target is refused, a relative one can use `..` only as far
//!   as the starting directory. More than 40 expansions is `ELOOP`.
//! - the last component is followed the same way only when the guest asks
//!   (`lookupflags.symlink_follow`); the operation then runs as a `*at`
//!   call on (parent descriptor, final name) with `O_NOFOLLOW` /
//!   `AT_SYMLINK_NOFOLLOW`.
//!
//! If the tree changes while we walk it, a component that turns into a
//! symlink makes `openat(... O_NOFOLLOW)` fail; it cannot lead outside.

use super::WasiCtx;
use super::errno::{Errno, WasiResult, cvt, cvt_isize};
use super::fd::{
    Entry, FDFLAGS_APPEND, FDFLAGS_DSYNC, FDFLAGS_NONBLOCK, FDFLAGS_RSYNC, FDFLAGS_SYNC,
    FILETYPE_DIRECTORY, HostFd, Kind, RIGHT_FD_ALLOCATE, RIGHT_FD_FILESTAT_SET_SIZE, RIGHT_FD_READ,
    RIGHT_FD_READDIR, RIGHT_FD_WRITE, filetype_of, host_stat, timespecs, write_filestat,
};
use super::mem::GuestMemory;
use std::collections::VecDeque;
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Symlink expansions allowed in one resolution.
const MAX_SYMLINKS: u32 = 40;

const LOOKUP_SYMLINK_FOLLOW: u64 = 1;

const OFLAGS_CREAT: u64 = 1;
const OFLAGS_DIRECTORY: u64 = 2;
const OFLAGS_EXCL: u64 = 4;
const OFLAGS_TRUNC: u64 = 8;

/// A resolved path: the directory that holds the final component, and its
/// name (a single component, possibly `.`).
pub struct Resolved {
    /// Directories opened while walking; the last one is `dir`.
    _opened: Vec<OwnedFd>,
    pub dir: RawFd,
    pub name: CString,
}

/// The target of the symlink `name` in `dir`, or `None` if it is not one.
fn read_link(dir: RawFd, name: &CString) -> WasiResult<Option<Vec<u8>>> {
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: `buf` is writable for `buf.len()` bytes.
        let n = unsafe { libc::readlinkat(dir, name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            return match Errno::last() {
                // Not a symlink, or nothing there: the caller's operation
                // will report what is wrong.
                Errno::INVAL | Errno::NOENT | Errno::NOTDIR => Ok(None),
                e => Err(e),
            };
        }
        let n = n as usize;
        if n < buf.len() {
            buf.truncate(n);
            return Ok(Some(buf));
        }
        buf.resize(buf.len() * 2, 0);
    }
}

fn cstring(bytes: &[u8]) -> WasiResult<CString> {
    CString::new(bytes).map_err(|_| Errno::ILSEQ)
}

/// Resolve `path` beneath the directory `base` (see the module docs).
pub fn resolve(base: RawFd, path: &[u8], follow_last: bool) -> WasiResult<Resolved> {
    if path.is_empty() {
        return Err(Errno::NOENT);
    }
    if path.contains(&0) {
        return Err(Errno::ILSEQ);
    }
    if path[0] == b'/' {
        return Err(Errno::NOTCAPABLE);
    }
    let mut todo: VecDeque<Vec<u8>> = path.split(|&b| b == b'/').map(<[u8]>::to_vec).collect();
    let mut opened: Vec<OwnedFd> = Vec::new();
    let mut links = 0;
    let name = loop {
        let cur = opened.last().map_or(base, AsRawFd::as_raw_fd);
        let Some(comp) = todo.pop_front() else {
            break b".".to_vec();
        };
        // `.` and empty components are skipped; a path of only those
        // names the current directory itself.
        if comp.is_empty() || comp == b"." {
            if todo.iter().all(|c| c.is_empty() || c == b".") {
                break b".".to_vec();
            }
            continue;
        }
        if comp == b".." {
            if opened.pop().is_none() {
                return Err(Errno::NOTCAPABLE);
            }
            continue;
        }
        let last = todo.iter().all(|c| c.is_empty());
        let c = cstring(&comp)?;
        if (!last || follow_last)
            && let Some(target) = read_link(cur, &c)?
        {
            links += 1;
            if links > MAX_SYMLINKS {
                return Err(Errno::LOOP);
            }
            if target.first() == Some(&b'/') || target.is_empty() {
                return Err(Errno::NOTCAPABLE);
            }
            for part in target.split(|&b| b == b'/').rev() {
                todo.push_front(part.to_vec());
            }
            continue;
        }
        if last {
            break comp;
        }
        // SAFETY: `c` is a NUL-terminated single component.
        let raw = unsafe {
            libc::openat(
                cur,
                c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        let raw = cvt(raw)?;
        // SAFETY: `raw` was just opened and is owned here.
        opened.push(unsafe { OwnedFd::from_raw_fd(raw) });
    };
    let dir = opened.last().map_or(base, AsRawFd::as_raw_fd);
    Ok(Resolved {
        _opened: opened,
        dir,
        name: cstring(&name)?,
    })
}

/// Resolve the guest path (`ptr`, `len`) beneath the directory `fd`.
fn guest_path(
    cx: &mut WasiCtx,
    mem: &GuestMemory<'_>,
    fd: u64,
    ptr: u64,
    len: u64,
    follow: bool,
) -> WasiResult<Resolved> {
    let dir = cx.fds.get(fd)?.dir()?;
    let path = mem.slice(ptr as u32, len as u32)?;
    resolve(dir, path, follow)
}

pub fn path_open(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let (dirfd, dirflags, path, path_len, oflags) = (a[0], a[1], a[2], a[3], a[4]);
    let (rights_base, rights_inheriting, fdflags, out) = (a[5], a[6], a[7] as u16, a[8] as u32);
    mem.slice(out, 4)?;
    let parent = cx.fds.get(dirfd)?;
    // A new descriptor gets at most what its directory lets it inherit.
    let inheritable = parent.rights_inheriting;
    // Before anything is opened (or created) on the host.
    cx.fds.has_room()?;
    let r = guest_path(
        cx,
        mem,
        dirfd,
        path,
        path_len,
        dirflags & LOOKUP_SYMLINK_FOLLOW != 0,
    )?;
    let read = rights_base & (RIGHT_FD_READ | RIGHT_FD_READDIR) != 0;
    let write =
        rights_base & (RIGHT_FD_WRITE | RIGHT_FD_ALLOCATE | RIGHT_FD_FILESTAT_SET_SIZE) != 0;
    let mut flags = libc::O_CLOEXEC | libc::O_NOFOLLOW;
    flags |= if oflags & OFLAGS_DIRECTORY != 0 {
        libc::O_RDONLY | libc::O_DIRECTORY
    } else if write && read {
        libc::O_RDWR
    } else if write {
        libc::O_WRONLY
    } else {
        libc::O_RDONLY
    };
    for (bit, host) in [
        (OFLAGS_CREAT, libc::O_CREAT),
        (OFLAGS_EXCL, libc::O_EXCL),
        (OFLAGS_TRUNC, libc::O_TRUNC),
    ] {
        if oflags & bit != 0 {
            flags |= host;
        }
    }
    for (bit, host) in [
        (FDFLAGS_APPEND, libc::O_APPEND),
        (FDFLAGS_DSYNC, libc::O_DSYNC),
        (FDFLAGS_NONBLOCK, libc::O_NONBLOCK),
        (FDFLAGS_RSYNC, libc::O_RSYNC),
        (FDFLAGS_SYNC, libc::O_SYNC),
    ] {
        if fdflags & bit != 0 {
            flags |= host;
        }
    }
    // SAFETY: `r.name` is one NUL-terminated component of the directory
    // `r.dir`; the mode is only used with O_CREAT.
    let raw = cvt(unsafe { libc::openat(r.dir, r.name.as_ptr(), flags, 0o666 as libc::c_uint) })?;
    // SAFETY: just opened, owned here.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let filetype = filetype_of(host_stat(fd.as_raw_fd())?.st_mode);
    let new = cx.fds.push(Entry {
        kind: Kind::Host(HostFd::Owned(fd)),
        filetype,
        preopen: None,
        rights_base: rights_base & inheritable,
        rights_inheriting: if filetype == FILETYPE_DIRECTORY {
            rights_inheriting & inheritable
        } else {
            0
        },
    })?;
    mem.write_u32(out, new)
}

pub fn path_filestat_get(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let r = guest_path(cx, mem, a[0], a[2], a[3], a[1] & LOOKUP_SYMLINK_FOLLOW != 0)?;
    // SAFETY: an all-zero `stat` is valid, and `st` is a valid out-pointer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    cvt(unsafe { libc::fstatat(r.dir, r.name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) })?;
    write_filestat(mem, a[4] as u32, &st)
}

pub fn path_filestat_set_times(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &[u64],
) -> WasiResult {
    let ts = timespecs(a[4], a[5], a[6])?;
    let r = guest_path(cx, mem, a[0], a[2], a[3], a[1] & LOOKUP_SYMLINK_FOLLOW != 0)?;
    // SAFETY: `ts` points to two timespecs.
    cvt(unsafe {
        libc::utimensat(
            r.dir,
            r.name.as_ptr(),
            ts.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    })
    .map(drop)
}

pub fn path_create_directory(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let r = guest_path(cx, mem, a[0], a[1], a[2], false)?;
    // SAFETY: plain syscall on a resolved (dir, name).
    cvt(unsafe { libc::mkdirat(r.dir, r.name.as_ptr(), 0o777) }).map(drop)
}

pub fn path_remove_directory(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let r = guest_path(cx, mem, a[0], a[1], a[2], false)?;
    // SAFETY: plain syscall on a resolved (dir, name).
    cvt(unsafe { libc::unlinkat(r.dir, r.name.as_ptr(), libc::AT_REMOVEDIR) }).map(drop)
}

pub fn path_unlink_file(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let r = guest_path(cx, mem, a[0], a[1], a[2], false)?;
    // SAFETY: plain syscall on a resolved (dir, name).
    cvt(unsafe { libc::unlinkat(r.dir, r.name.as_ptr(), 0) }).map(drop)
}

pub fn path_rename(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let from = guest_path(cx, mem, a[0], a[1], a[2], false)?;
    let to = guest_path(cx, mem, a[3], a[4], a[5], false)?;
    // SAFETY: plain syscall on two resolved (dir, name) pairs.
    cvt(unsafe { libc::renameat(from.dir, from.name.as_ptr(), to.dir, to.name.as_ptr()) }).map(drop)
}

pub fn path_link(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let from = guest_path(cx, mem, a[0], a[2], a[3], a[1] & LOOKUP_SYMLINK_FOLLOW != 0)?;
    let to = guest_path(cx, mem, a[4], a[5], a[6], false)?;
    // SAFETY: plain syscall on two resolved (dir, name) pairs.
    cvt(unsafe { libc::linkat(from.dir, from.name.as_ptr(), to.dir, to.name.as_ptr(), 0) })
        .map(drop)
}

/// Symlinks may only point to relative targets: an absolute one could
/// never be followed beneath a preopen anyway.
pub fn path_symlink(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let target = cstring(mem.slice(a[0] as u32, a[1] as u32)?)?;
    if target.as_bytes().first() == Some(&b'/') {
        return Err(Errno::NOTCAPABLE);
    }
    let at = guest_path(cx, mem, a[2], a[3], a[4], false)?;
    // SAFETY: plain syscall on a resolved (dir, name).
    cvt(unsafe { libc::symlinkat(target.as_ptr(), at.dir, at.name.as_ptr()) }).map(drop)
}

pub fn path_readlink(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let r = guest_path(cx, mem, a[0], a[1], a[2], false)?;
    let (buf, buf_len, used) = (a[3] as u32, a[4] as u32, a[5] as u32);
    let out = mem.slice_mut(buf, buf_len)?;
    // SAFETY: `out` is writable for `out.len()` bytes.
    let n = cvt_isize(unsafe {
        libc::readlinkat(r.dir, r.name.as_ptr(), out.as_mut_ptr().cast(), out.len())
    })?;
    mem.write_u32(used, n as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn tree() -> PathBuf {
        let root = std::env::temp_dir().join(format!("kiln-wasi-resolve-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("pre/sub/deeper")).unwrap();
        std::fs::write(root.join("secret"), "outside").unwrap();
        std::fs::write(root.join("pre/sub/file"), "inside").unwrap();
        let link =
            |target: &str, at: &str| std::os::unix::fs::symlink(target, root.join(at)).unwrap();
        link("../secret", "pre/escape");
        link("../../secret", "pre/sub/escape2");
        link("/etc", "pre/abs");
        link("sub/file", "pre/good");
        link("../file", "pre/sub/deeper/up");
        link("loop", "pre/loop");
        link("..", "pre/parent");
        root
    }

    fn open_dir(p: &Path) -> OwnedFd {
        let c = CString::new(p.to_str().unwrap()).unwrap();
        let raw = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY) };
        assert!(raw >= 0);
        unsafe { OwnedFd::from_raw_fd(raw) }
    }

    fn read_file(base: RawFd, path: &str, follow: bool) -> WasiResult<String> {
        let r = resolve(base, path.as_bytes(), follow)?;
        let raw = cvt(unsafe {
            libc::openat(r.dir, r.name.as_ptr(), libc::O_RDONLY | libc::O_NOFOLLOW)
        })?;
        let mut f = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(raw) });
        let mut s = String::new();
        std::io::Read::read_to_string(&mut f, &mut s).map_err(Errno::from)?;
        Ok(s)
    }

    #[test]
    fn resolution_stays_beneath_the_base() {
        let root = tree();
        let base = open_dir(&root.join("pre"));
        let b = base.as_raw_fd();
        let ok = |p: &str, follow| read_file(b, p, follow);
        assert_eq!(ok("sub/file", false).as_deref(), Ok("inside"));
        assert_eq!(ok("./sub//deeper/../file", false).as_deref(), Ok("inside"));
        assert_eq!(ok("sub/../sub/file", false).as_deref(), Ok("inside"));
        assert_eq!(ok("good", true).as_deref(), Ok("inside"));
        assert_eq!(ok("sub/deeper/up", true).as_deref(), Ok("inside"));
        // Not following the last symlink: opening it fails with ELOOP.
        assert_eq!(ok("good", false), Err(Errno::LOOP));
        // Escapes.
        assert_eq!(ok("../secret", false), Err(Errno::NOTCAPABLE));
        assert_eq!(ok("sub/../../secret", false), Err(Errno::NOTCAPABLE));
        assert_eq!(ok("escape", true), Err(Errno::NOTCAPABLE));
        assert_eq!(ok("sub/escape2", true), Err(Errno::NOTCAPABLE));
        assert_eq!(ok("abs/passwd", false), Err(Errno::NOTCAPABLE));
        assert_eq!(ok("parent/secret", false), Err(Errno::NOTCAPABLE));
        assert_eq!(
            ok(root.join("secret").to_str().unwrap(), false),
            Err(Errno::NOTCAPABLE)
        );
        assert_eq!(ok("/etc/passwd", false), Err(Errno::NOTCAPABLE));
        assert_eq!(ok("..", false).err(), Some(Errno::NOTCAPABLE));
        assert_eq!(ok("loop", true), Err(Errno::LOOP));
        assert_eq!(ok("", false), Err(Errno::NOENT));
        assert_eq!(ok("a\0b", false), Err(Errno::ILSEQ));
        // A trailing slash names the directory in its parent; `x/..` is
        // the base itself.
        let r = resolve(b, b"sub/", false).unwrap();
        assert_eq!((r.dir, r.name.as_bytes()), (b, &b"sub"[..]));
        let r = resolve(b, b"sub/..", false).unwrap();
        assert_eq!((r.dir, r.name.as_bytes()), (b, &b"."[..]));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
