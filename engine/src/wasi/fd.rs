//! The descriptor table and the `fd_*` functions.

use super::WasiCtx;
use super::ctx::OutputBuffer;
use super::errno::{Errno, WasiResult};
use super::mem::GuestMemory;
use rustix::fs::{FileType, OFlags, SeekFrom, Stat, Timespec, Timestamps, UTIME_NOW, UTIME_OMIT};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;

// File types (`filetype`).
pub const FILETYPE_UNKNOWN: u8 = 0;
pub const FILETYPE_BLOCK_DEVICE: u8 = 1;
pub const FILETYPE_CHARACTER_DEVICE: u8 = 2;
pub const FILETYPE_DIRECTORY: u8 = 3;
pub const FILETYPE_REGULAR_FILE: u8 = 4;
pub const FILETYPE_SOCKET_STREAM: u8 = 6;
pub const FILETYPE_SYMBOLIC_LINK: u8 = 7;

// Descriptor flags (`fdflags`).
pub const FDFLAGS_APPEND: u16 = 1;
pub const FDFLAGS_DSYNC: u16 = 2;
pub const FDFLAGS_NONBLOCK: u16 = 4;
pub const FDFLAGS_RSYNC: u16 = 8;
pub const FDFLAGS_SYNC: u16 = 16;

// Rights used here (`rights`); the rest are passed through untouched.
pub const RIGHT_FD_READ: u64 = 1 << 1;
pub const RIGHT_FD_SEEK: u64 = 1 << 2;
pub const RIGHT_FD_TELL: u64 = 1 << 5;
pub const RIGHT_FD_WRITE: u64 = 1 << 6;
pub const RIGHT_FD_ALLOCATE: u64 = 1 << 8;
pub const RIGHT_FD_READDIR: u64 = 1 << 14;
pub const RIGHT_FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
pub const RIGHT_POLL_FD_READWRITE: u64 = 1 << 27;
/// Every right preview1 defines.
pub const RIGHTS_ALL: u64 = (1 << 30) - 1;

/// `O_DSYNC`. rustix 1.1's `OFlags::DSYNC` is `O_SYNC` on Linux, which
/// would turn a guest's `fdflags.dsync` into a full `sync`.
pub const O_DSYNC: OFlags = OFlags::from_bits_retain(libc::O_DSYNC as u32);

/// A host descriptor: owned, or one of the process's stdio descriptors.
pub enum HostFd {
    Owned(OwnedFd),
    Stdio(BorrowedFd<'static>),
}

impl AsFd for HostFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            HostFd::Owned(fd) => fd.as_fd(),
            HostFd::Stdio(fd) => *fd,
        }
    }
}

/// What a guest descriptor refers to.
pub enum Kind {
    /// A host file, directory, or inherited stdio stream.
    Host(HostFd),
    /// In-memory input (stdin for tests).
    Input { data: Arc<[u8]>, pos: usize },
    /// In-memory output (captured stdout/stderr).
    Output(OutputBuffer),
    /// Output that is discarded.
    Sink,
}

pub struct Entry {
    pub kind: Kind,
    pub filetype: u8,
    /// The guest name of a preopened directory.
    pub preopen: Option<String>,
    pub rights_base: u64,
    pub rights_inheriting: u64,
}

impl Entry {
    pub fn stdio(kind: Kind) -> Entry {
        let (filetype, rights) = match &kind {
            Kind::Host(fd) => {
                if fd.as_fd().is_terminal() {
                    // wasi-libc's isatty(): a character device that cannot seek.
                    (
                        FILETYPE_CHARACTER_DEVICE,
                        RIGHTS_ALL & !(RIGHT_FD_SEEK | RIGHT_FD_TELL),
                    )
                } else {
                    (
                        rustix::fs::fstat(fd).map_or(FILETYPE_UNKNOWN, |s| filetype_of(&s)),
                        RIGHTS_ALL,
                    )
                }
            }
            _ => (
                FILETYPE_UNKNOWN,
                RIGHT_FD_READ | RIGHT_FD_WRITE | RIGHT_POLL_FD_READWRITE,
            ),
        };
        Entry {
            kind,
            filetype,
            preopen: None,
            rights_base: rights,
            rights_inheriting: 0,
        }
    }

    pub fn preopen(fd: OwnedFd, guest: String) -> Entry {
        Entry {
            kind: Kind::Host(HostFd::Owned(fd)),
            filetype: FILETYPE_DIRECTORY,
            preopen: Some(guest),
            rights_base: RIGHTS_ALL,
            rights_inheriting: RIGHTS_ALL,
        }
    }

    /// The host descriptor, if this is a host object.
    pub fn host(&self) -> WasiResult<BorrowedFd<'_>> {
        match &self.kind {
            Kind::Host(fd) => Ok(fd.as_fd()),
            _ => Err(Errno::BADF),
        }
    }

    /// The host descriptor of a directory (for `path_*` functions).
    pub fn dir(&self) -> WasiResult<BorrowedFd<'_>> {
        if self.filetype != FILETYPE_DIRECTORY {
            return Err(Errno::NOTDIR);
        }
        self.host()
    }

    fn write(&mut self, buf: &[u8]) -> WasiResult<usize> {
        match &mut self.kind {
            Kind::Host(fd) => retry_on_intr(|| rustix::io::write(&*fd, buf)),
            Kind::Output(out) => {
                out.0
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(buf);
                Ok(buf.len())
            }
            Kind::Sink => Ok(buf.len()),
            Kind::Input { .. } => Err(Errno::BADF),
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> WasiResult<usize> {
        match &mut self.kind {
            Kind::Host(fd) => retry_on_intr(|| rustix::io::read(&*fd, &mut *buf)),
            Kind::Input { data, pos } => {
                let rest = &data[(*pos).min(data.len())..];
                let n = rest.len().min(buf.len());
                buf[..n].copy_from_slice(&rest[..n]);
                *pos += n;
                Ok(n)
            }
            Kind::Output(_) | Kind::Sink => Err(Errno::BADF),
        }
    }
}

/// Run a host read or write again for as long as a signal interrupts it.
fn retry_on_intr(mut io: impl FnMut() -> rustix::io::Result<usize>) -> WasiResult<usize> {
    loop {
        match io() {
            Err(rustix::io::Errno::INTR) => continue,
            r => return r.map_err(Errno::from),
        }
    }
}

/// Guest descriptor numbers → entries, at most `max` of them: each may
/// hold a host descriptor, and a guest must not use up the host's.
pub struct FdTable {
    entries: BTreeMap<u32, Entry>,
    max: usize,
}

impl FdTable {
    /// An empty table that will hold at most `max` entries.
    pub fn new(max: usize) -> FdTable {
        FdTable {
            entries: BTreeMap::new(),
            max,
        }
    }

    pub fn insert_at(&mut self, fd: u32, entry: Entry) {
        self.entries.insert(fd, entry);
    }

    /// `Ok` if one more entry fits; check before opening anything for it.
    pub fn has_room(&self) -> WasiResult {
        if self.entries.len() >= self.max {
            return Err(Errno::MFILE);
        }
        Ok(())
    }

    /// Insert at the lowest free number (`EMFILE` if the table is full).
    pub fn push(&mut self, entry: Entry) -> WasiResult<u32> {
        self.has_room()?;
        let mut fd = 0;
        for &used in self.entries.keys() {
            if used != fd {
                break;
            }
            fd += 1;
        }
        self.entries.insert(fd, entry);
        Ok(fd)
    }

    pub fn get(&mut self, fd: u64) -> WasiResult<&mut Entry> {
        self.entries.get_mut(&(fd as u32)).ok_or(Errno::BADF)
    }

    /// Like `get`, shared: two paths may be resolved side by side.
    pub fn get_ref(&self, fd: u64) -> WasiResult<&Entry> {
        self.entries.get(&(fd as u32)).ok_or(Errno::BADF)
    }

    fn remove(&mut self, fd: u64) -> WasiResult<Entry> {
        self.entries.remove(&(fd as u32)).ok_or(Errno::BADF)
    }
}

/// The WASI `filetype` of a host file type (FIFOs have none).
pub fn filetype(ty: FileType) -> u8 {
    match ty {
        FileType::Directory => FILETYPE_DIRECTORY,
        FileType::RegularFile => FILETYPE_REGULAR_FILE,
        FileType::Symlink => FILETYPE_SYMBOLIC_LINK,
        FileType::CharacterDevice => FILETYPE_CHARACTER_DEVICE,
        FileType::BlockDevice => FILETYPE_BLOCK_DEVICE,
        FileType::Socket => FILETYPE_SOCKET_STREAM,
        _ => FILETYPE_UNKNOWN,
    }
}

pub fn filetype_of(st: &Stat) -> u8 {
    filetype(FileType::from_raw_mode(st.st_mode))
}

/// Write a `filestat` (64 bytes) for `st` at `ptr`.
// The `stat` field types differ between targets; the casts are not no-ops
// everywhere.
#[allow(clippy::unnecessary_cast)]
pub fn write_filestat(mem: &mut GuestMemory<'_>, ptr: u32, st: &Stat) -> WasiResult {
    let ns = |s: i64, n: u64| {
        (s as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(n as u64)
    };
    let mut b = [0u8; 64];
    b[0..8].copy_from_slice(&(st.st_dev as u64).to_le_bytes());
    b[8..16].copy_from_slice(&(st.st_ino as u64).to_le_bytes());
    b[16] = filetype_of(st);
    b[24..32].copy_from_slice(&(st.st_nlink as u64).to_le_bytes());
    b[32..40].copy_from_slice(&(st.st_size as u64).to_le_bytes());
    b[40..48].copy_from_slice(&ns(st.st_atime as i64, st.st_atime_nsec as u64).to_le_bytes());
    b[48..56].copy_from_slice(&ns(st.st_mtime as i64, st.st_mtime_nsec as u64).to_le_bytes());
    b[56..64].copy_from_slice(&ns(st.st_ctime as i64, st.st_ctime_nsec as u64).to_le_bytes());
    mem.write(ptr, &b)
}

/// The times `utimensat`/`futimens` set for `fst_flags` (`atim` 1,
/// `atim_now` 2, `mtim` 4, `mtim_now` 8).
pub fn timestamps(atim: u64, mtim: u64, flags: u64) -> WasiResult<Timestamps> {
    let one = |t: u64, set: bool, now: bool| -> WasiResult<Timespec> {
        Ok(match (set, now) {
            (true, true) => return Err(Errno::INVAL),
            (true, false) => Timespec {
                tv_sec: (t / 1_000_000_000) as i64,
                tv_nsec: (t % 1_000_000_000) as _,
            },
            (false, true) => Timespec {
                tv_sec: 0,
                tv_nsec: UTIME_NOW,
            },
            (false, false) => Timespec {
                tv_sec: 0,
                tv_nsec: UTIME_OMIT,
            },
        })
    };
    Ok(Timestamps {
        last_access: one(atim, flags & 1 != 0, flags & 2 != 0)?,
        last_modification: one(mtim, flags & 4 != 0, flags & 8 != 0)?,
    })
}

pub fn fd_advise(cx: &mut WasiCtx, _: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    cx.fds.get(a[0])?;
    if a[3] > 5 {
        return Err(Errno::INVAL);
    }
    Ok(())
}

pub fn fd_allocate(cx: &mut WasiCtx, _: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    cx.fds.get(a[0])?;
    Err(Errno::NOTSUP)
}

pub fn fd_close(cx: &mut WasiCtx, _: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    cx.fds.remove(a[0]).map(drop)
}

fn sync(cx: &mut WasiCtx, fd: u64, data_only: bool) -> WasiResult {
    let entry = cx.fds.get(fd)?;
    let Kind::Host(host) = &entry.kind else {
        return Ok(());
    };
    let r = if data_only {
        rustix::fs::fdatasync(host)
    } else {
        rustix::fs::fsync(host)
    };
    match r.map_err(Errno::from) {
        // Terminals and pipes cannot be synced; there is nothing to flush.
        Err(Errno::INVAL) if matches!(host, HostFd::Stdio(_)) => Ok(()),
        r => r,
    }
}

pub fn fd_datasync(cx: &mut WasiCtx, _: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    sync(cx, a[0], true)
}

pub fn fd_sync(cx: &mut WasiCtx, _: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    sync(cx, a[0], false)
}

pub fn fd_fdstat_get(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let entry = cx.fds.get(a[0])?;
    let mut flags = 0u16;
    if let Kind::Host(fd) = &entry.kind {
        let fl = rustix::fs::fcntl_getfl(fd)?;
        for (host, wasi) in [
            (OFlags::APPEND, FDFLAGS_APPEND),
            (OFlags::NONBLOCK, FDFLAGS_NONBLOCK),
        ] {
            if fl.contains(host) {
                flags |= wasi;
            }
        }
        // `O_SYNC` includes the `O_DSYNC` bit.
        if fl.contains(OFlags::SYNC) {
            flags |= FDFLAGS_SYNC | FDFLAGS_RSYNC;
        } else if fl.contains(O_DSYNC) {
            flags |= FDFLAGS_DSYNC;
        }
    }
    let mut b = [0u8; 24];
    b[0] = entry.filetype;
    b[2..4].copy_from_slice(&flags.to_le_bytes());
    b[8..16].copy_from_slice(&entry.rights_base.to_le_bytes());
    b[16..24].copy_from_slice(&entry.rights_inheriting.to_le_bytes());
    mem.write(a[1] as u32, &b)
}

pub fn fd_fdstat_set_flags(cx: &mut WasiCtx, _: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let fd = cx.fds.get(a[0])?.host()?;
    let flags = a[1] as u16;
    if flags & !(FDFLAGS_APPEND | FDFLAGS_NONBLOCK) != 0 {
        return Err(Errno::NOTSUP);
    }
    let mut fl = rustix::fs::fcntl_getfl(fd)?;
    fl.set(OFlags::APPEND, flags & FDFLAGS_APPEND != 0);
    fl.set(OFlags::NONBLOCK, flags & FDFLAGS_NONBLOCK != 0);
    Ok(rustix::fs::fcntl_setfl(fd, fl)?)
}

pub fn fd_fdstat_set_rights(cx: &mut WasiCtx, _: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let entry = cx.fds.get(a[0])?;
    let (base, inheriting) = (a[1], a[2]);
    // Rights can only be dropped, never gained.
    if base & !entry.rights_base != 0 || inheriting & !entry.rights_inheriting != 0 {
        return Err(Errno::NOTCAPABLE);
    }
    entry.rights_base = base;
    entry.rights_inheriting = inheriting;
    Ok(())
}

pub fn fd_filestat_get(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let entry = cx.fds.get(a[0])?;
    match &entry.kind {
        Kind::Host(fd) => write_filestat(mem, a[1] as u32, &rustix::fs::fstat(fd)?),
        _ => {
            let mut b = [0u8; 64];
            b[16] = entry.filetype;
            mem.write(a[1] as u32, &b)
        }
    }
}

pub fn fd_filestat_set_size(cx: &mut WasiCtx, _: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let fd = cx.fds.get(a[0])?.host()?;
    // Sizes the host's signed `off_t` cannot hold are invalid.
    let size = i64::try_from(a[1]).map_err(|_| Errno::INVAL)?;
    Ok(rustix::fs::ftruncate(fd, size as u64)?)
}

pub fn fd_filestat_set_times(cx: &mut WasiCtx, _: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let fd = cx.fds.get(a[0])?.host()?;
    let ts = timestamps(a[1], a[2], a[3])?;
    Ok(rustix::fs::futimens(fd, &ts)?)
}

/// Transfer each iovec at `iovs_ptr`/`iovs_len` in turn through `io`
/// (given the buffer's pointer and length and the bytes done so far),
/// stopping at a short transfer; writes the total to `total_ptr`.
fn each_iovec(
    mem: &mut GuestMemory<'_>,
    iovs_ptr: u64,
    iovs_len: u64,
    total_ptr: u64,
    mut io: impl FnMut(&mut GuestMemory<'_>, u32, u32, usize) -> WasiResult<usize>,
) -> WasiResult {
    let iovs = mem.iovecs(iovs_ptr as u32, iovs_len as u32)?;
    let mut total = 0usize;
    for (ptr, len) in iovs {
        let n = io(mem, ptr, len, total)?;
        total += n;
        if n < len as usize {
            break;
        }
    }
    mem.write_u32(total_ptr as u32, total as u32)
}

/// The file offset of a positioned read or write, `done` bytes on (one
/// the host's signed `off_t` cannot hold is invalid).
fn offset_at(start: u64, done: usize) -> WasiResult<u64> {
    i64::try_from(start)
        .ok()
        .and_then(|o| o.checked_add(done as i64))
        .map(|o| o as u64)
        .ok_or(Errno::INVAL)
}

pub fn fd_read(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let entry = cx.fds.get(a[0])?;
    each_iovec(mem, a[1], a[2], a[3], |mem, ptr, len, _| {
        entry.read(mem.slice_mut(ptr, len)?)
    })
}

pub fn fd_write(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let entry = cx.fds.get(a[0])?;
    each_iovec(mem, a[1], a[2], a[3], |mem, ptr, len, _| {
        entry.write(mem.slice(ptr, len)?)
    })
}

pub fn fd_pread(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let fd = cx.fds.get(a[0])?.host().map_err(|_| Errno::SPIPE)?;
    each_iovec(mem, a[1], a[2], a[4], |mem, ptr, len, done| {
        let offset = offset_at(a[3], done)?;
        Ok(rustix::io::pread(fd, mem.slice_mut(ptr, len)?, offset)?)
    })
}

pub fn fd_pwrite(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let fd = cx.fds.get(a[0])?.host().map_err(|_| Errno::SPIPE)?;
    each_iovec(mem, a[1], a[2], a[4], |mem, ptr, len, done| {
        let offset = offset_at(a[3], done)?;
        Ok(rustix::io::pwrite(fd, mem.slice(ptr, len)?, offset)?)
    })
}

pub fn fd_prestat_get(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let entry = cx.fds.get(a[0])?;
    let name = entry.preopen.as_ref().ok_or(Errno::BADF)?;
    let mut b = [0u8; 8];
    b[4..8].copy_from_slice(&(name.len() as u32).to_le_bytes());
    mem.write(a[1] as u32, &b)
}

pub fn fd_prestat_dir_name(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let entry = cx.fds.get(a[0])?;
    let name = entry.preopen.as_ref().ok_or(Errno::BADF)?;
    if (a[2] as usize) < name.len() {
        return Err(Errno::NAMETOOLONG);
    }
    mem.write(a[1] as u32, name.as_bytes())
}

/// One directory entry as `fd_readdir` reports it.
struct DirEntry {
    ino: u64,
    filetype: u8,
    name: Vec<u8>,
}

/// Every entry of the directory `fd` (including `.` and `..`), read from a
/// fresh descriptor so the guest's descriptor position does not matter.
fn list_dir(fd: BorrowedFd<'_>) -> WasiResult<Vec<DirEntry>> {
    let fresh = rustix::fs::openat(
        fd,
        c".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    let mut out = Vec::new();
    for e in rustix::fs::Dir::new(fresh)? {
        let e = e?;
        out.push(DirEntry {
            ino: e.ino(),
            filetype: filetype(e.file_type()),
            name: e.file_name().to_bytes().to_vec(),
        });
    }
    Ok(out)
}

/// Fill the buffer with `dirent` headers and names from entry `cookie` on;
/// the last entry may be cut short (the guest then knows the buffer was
/// full because `bufused == buf_len`).
pub fn fd_readdir(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let fd = cx.fds.get(a[0])?.dir()?;
    let (buf, buf_len, cookie, used_ptr) = (a[1] as u32, a[2] as u32, a[3], a[4] as u32);
    mem.slice(buf, buf_len)?;
    let entries = list_dir(fd)?;
    let mut bytes = Vec::new();
    for (i, e) in entries
        .iter()
        .enumerate()
        .skip(cookie.min(usize::MAX as u64) as usize)
    {
        let mut head = [0u8; 24];
        head[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        head[8..16].copy_from_slice(&e.ino.to_le_bytes());
        head[16..20].copy_from_slice(&(e.name.len() as u32).to_le_bytes());
        head[20] = e.filetype;
        bytes.extend_from_slice(&head);
        bytes.extend_from_slice(&e.name);
        if bytes.len() >= buf_len as usize {
            break;
        }
    }
    bytes.truncate(buf_len as usize);
    mem.write(buf, &bytes)?;
    mem.write_u32(used_ptr, bytes.len() as u32)
}

pub fn fd_renumber(cx: &mut WasiCtx, _: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    cx.fds.get(a[1])?;
    let from = cx.fds.remove(a[0])?;
    cx.fds.insert_at(a[1] as u32, from);
    Ok(())
}

fn seek(cx: &mut WasiCtx, fd: u64, offset: i64, whence: u64) -> WasiResult<u64> {
    let fd = match &cx.fds.get(fd)?.kind {
        Kind::Host(fd) => fd.as_fd(),
        _ => return Err(Errno::SPIPE),
    };
    let pos = match whence {
        // A negative start is the host's `EINVAL`, as with `lseek`.
        0 => SeekFrom::Start(offset as u64),
        1 => SeekFrom::Current(offset),
        2 => SeekFrom::End(offset),
        _ => return Err(Errno::INVAL),
    };
    Ok(rustix::fs::seek(fd, pos)?)
}

pub fn fd_seek(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let pos = seek(cx, a[0], a[1] as i64, a[2])?;
    mem.write_u64(a[3] as u32, pos)
}

pub fn fd_tell(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let pos = seek(cx, a[0], 0, 1)?;
    mem.write_u64(a[1] as u32, pos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::OpenOptionsExt;

    /// The rights and file type a host stream gets as stdio.
    fn stdio(file: std::fs::File) -> (u8, u64) {
        let entry = Entry::stdio(Kind::Host(HostFd::Owned(file.into())));
        (entry.filetype, entry.rights_base)
    }

    /// Every host file type gets preview1's number for it (wasi-libc's
    /// `wasi/api.h`); a FIFO has none.
    #[test]
    fn host_file_types_have_preview1_numbers() {
        let check = |ty: FileType, expected: u8| assert_eq!(filetype(ty), expected, "{ty:?}");
        check(FileType::BlockDevice, 1);
        check(FileType::CharacterDevice, 2);
        check(FileType::Directory, 3);
        check(FileType::RegularFile, 4);
        check(FileType::Socket, 6);
        check(FileType::Symlink, 7);
        check(FileType::Fifo, 0);
        check(FileType::Unknown, 0);
    }

    /// A terminal is a character device that cannot seek (what wasi-libc's
    /// `isatty` asks); a redirected stream keeps every right.
    #[test]
    fn a_terminal_cannot_seek() {
        let tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open("/dev/ptmx")
            .expect("a pseudo-terminal to test with");
        let (filetype, rights) = stdio(tty);
        assert_eq!(filetype, FILETYPE_CHARACTER_DEVICE);
        assert_eq!(rights, RIGHTS_ALL & !(RIGHT_FD_SEEK | RIGHT_FD_TELL));
        let file = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(stdio(file).1, RIGHTS_ALL);
    }
}
