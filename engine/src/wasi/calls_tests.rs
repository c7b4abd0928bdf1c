//! Call-level tests of the preview1 functions: each one called as the
//! linker would call it, on a sandbox directory preopened as descriptor 3,
//! with a guest memory of 4 KiB. A case is one line: the call, its
//! arguments, the errno it must return and what it must leave behind.
//!
//! They pin the decisions the CLI's C programs do not reach (renumbering,
//! rights, timestamps, positioned I/O past `off_t`, directory cookies,
//! `poll_oneoff`'s clocks, links). The `wasi_calls` fuzz target checks the
//! sandbox's safety; these check each call's answer.

use super::errno::{Errno, WasiResult};
use super::fd::*;
use super::mem::GuestMemory;
use super::path::*;
use super::time::*;
use super::{OutputBuffer, WasiCtx, WasiCtxBuilder};
use std::path::PathBuf;

/// A preview1 function as `add_to_linker` wraps it.
type Call = fn(&mut WasiCtx, &mut GuestMemory<'_>, &[u64]) -> WasiResult;

// Where the cases put things in guest memory.
const OUT: u64 = 0; // results (64 bytes)
const IOVS: u64 = 256; // iovec tables
const PATH: u64 = 1024; // a first path
const PATH2: u64 = 1536; // a second path
const BUF: u64 = 2048; // data

const PREOPEN: u64 = 3;
const RW: u64 = RIGHT_FD_READ | RIGHT_FD_WRITE | RIGHT_FD_SEEK | RIGHT_FD_TELL;

struct Sandbox {
    cx: WasiCtx,
    mem: Vec<u8>,
    dir: PathBuf,
    stdout: OutputBuffer,
}

impl Sandbox {
    /// A fresh directory (`tag` keeps concurrent tests' apart) holding
    /// the files `files` (name, contents).
    fn new(tag: &str, files: &[(&str, &str)]) -> Sandbox {
        let dir =
            std::env::temp_dir().join(format!("kiln-wasi-calls-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, contents) in files {
            std::fs::write(dir.join(name), contents).unwrap();
        }
        let stdout = OutputBuffer::new();
        let cx = WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .preopened_dir(&dir, ".")
            .build()
            .unwrap();
        Sandbox {
            cx,
            mem: vec![0; 4096],
            dir,
            stdout,
        }
    }

    fn call(&mut self, f: Call, args: &[u64]) -> WasiResult {
        f(&mut self.cx, &mut GuestMemory::new(&mut self.mem), args)
    }

    fn put(&mut self, at: u64, bytes: &[u8]) {
        self.mem[at as usize..at as usize + bytes.len()].copy_from_slice(bytes);
    }

    fn get(&self, at: u64, len: usize) -> &[u8] {
        &self.mem[at as usize..at as usize + len]
    }

    fn u32_at(&self, at: u64) -> u32 {
        u32::from_le_bytes(self.get(at, 4).try_into().unwrap())
    }

    fn u64_at(&self, at: u64) -> u64 {
        u64::from_le_bytes(self.get(at, 8).try_into().unwrap())
    }

    /// `path` at `PATH`: its pointer and length.
    fn path(&mut self, path: &str) -> [u64; 2] {
        self.put(PATH, path.as_bytes());
        [PATH, path.len() as u64]
    }

    /// `path` at `PATH2`.
    fn path2(&mut self, path: &str) -> [u64; 2] {
        self.put(PATH2, path.as_bytes());
        [PATH2, path.len() as u64]
    }

    /// `path_open` beneath the preopen: the new descriptor.
    fn open(&mut self, path: &str, oflags: u64, rights: u64) -> WasiResult<u64> {
        self.open_with(path, oflags, rights, RIGHTS_ALL, 0)
    }

    /// `path_open` with inheriting rights and `fdflags` too.
    fn open_with(
        &mut self,
        path: &str,
        oflags: u64,
        rights: u64,
        inheriting: u64,
        fdflags: u16,
    ) -> WasiResult<u64> {
        let [p, len] = self.path(path);
        let args = [
            PREOPEN,
            0,
            p,
            len,
            oflags,
            rights,
            inheriting,
            fdflags.into(),
            OUT,
        ];
        self.call(path_open, &args)?;
        Ok(self.u32_at(OUT).into())
    }

    /// `fd_fdstat_get`'s (flags, base rights, inheriting rights) of `fd`.
    fn fdstat(&mut self, fd: u64) -> (u16, u64, u64) {
        assert_eq!(self.call(fd_fdstat_get, &[fd, OUT]), Ok(()));
        let flags = u16::from_le_bytes(self.get(OUT + 2, 2).try_into().unwrap());
        (flags, self.u64_at(OUT + 8), self.u64_at(OUT + 16))
    }

    /// Write iovecs of `lens` over consecutive bytes from `BUF` at `IOVS`.
    fn iovecs(&mut self, lens: &[u32]) -> [u64; 2] {
        let mut at = BUF as u32;
        for (i, &len) in lens.iter().enumerate() {
            let iov = IOVS + 8 * i as u64;
            self.put(iov, &at.to_le_bytes());
            self.put(iov + 4, &len.to_le_bytes());
            at += len;
        }
        [IOVS, lens.len() as u64]
    }

    fn host(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `fd_filestat_get`'s (filetype, size, mtime) of `fd`.
    fn filestat(&mut self, fd: u64) -> (u8, u64, u64) {
        assert_eq!(self.call(fd_filestat_get, &[fd, OUT]), Ok(()));
        (self.get(16, 1)[0], self.u64_at(32), self.u64_at(48))
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn renumber_moves_a_descriptor_over_an_open_one() {
    let mut s = Sandbox::new("renumber", &[("a", "from a"), ("b", "from b")]);
    let (a, b) = (s.open("a", 0, RW).unwrap(), s.open("b", 0, RW).unwrap());
    assert_eq!((a, b), (4, 5), "the lowest free numbers");
    let mut check = |from: u64, to: u64, expected: WasiResult| {
        assert_eq!(s.call(fd_renumber, &[from, to]), expected, "{from} -> {to}");
    };
    check(a, 9, Err(Errno::BADF)); // nothing open at 9
    check(9, a, Err(Errno::BADF));
    check(a, b, Ok(()));
    check(a, b, Err(Errno::BADF)); // `a` is gone
    let [iovs, n] = s.iovecs(&[6]);
    assert_eq!(s.call(fd_read, &[b, iovs, n, OUT]), Ok(()));
    assert_eq!(s.get(BUF, 6), b"from a");
    // The freed number is the next one handed out.
    assert_eq!(s.open("a", 0, RW), Ok(a));
}

/// `path_open` with `rights` opens the host file for read, write or both:
/// reading only if a right reads, writing only if one writes.
#[test]
fn rights_choose_the_host_access_mode() {
    use rustix::fs::OFlags;
    let mut s = Sandbox::new("access", &[]);
    let mut check = |rights: u64, expected: OFlags| {
        let fd = s
            .open(&format!("f{rights:x}"), OFLAGS_CREAT, rights)
            .unwrap();
        let Kind::Host(host) = &s.cx.fds.get(fd).unwrap().kind else {
            panic!("not a host file");
        };
        let mode = rustix::fs::fcntl_getfl(host).unwrap() & OFlags::RWMODE;
        assert_eq!(mode, expected, "rights {rights:#x}");
    };
    check(RIGHT_FD_READ, OFlags::RDONLY);
    check(RIGHT_FD_READDIR, OFlags::RDONLY);
    check(RIGHT_FD_WRITE, OFlags::WRONLY);
    check(RIGHT_FD_ALLOCATE, OFlags::WRONLY);
    check(RIGHT_FD_FILESTAT_SET_SIZE, OFlags::WRONLY);
    check(RIGHT_FD_READ | RIGHT_FD_WRITE, OFlags::RDWR);
    check(RIGHT_FD_SEEK, OFlags::RDONLY);
}

/// `path_open` with `fdflags` creates a file whose `fd_fdstat_get`
/// reports them: each flag reaches the host as itself.
#[test]
fn fdflags_reach_the_host_unchanged() {
    let mut s = Sandbox::new("fdflags", &[]);
    let mut check = |fdflags: u16, expected: u16| {
        let rights = RIGHT_FD_READ | RIGHT_FD_WRITE;
        let name = format!("f{fdflags}");
        let fd = s
            .open_with(&name, OFLAGS_CREAT, rights, 0, fdflags)
            .unwrap();
        assert_eq!(s.fdstat(fd).0, expected, "fdflags {fdflags:#x}");
    };
    check(0, 0);
    check(FDFLAGS_APPEND, FDFLAGS_APPEND);
    check(FDFLAGS_NONBLOCK, FDFLAGS_NONBLOCK);
    // `dsync` alone stays data-only (rustix's `OFlags::DSYNC` is
    // `O_SYNC`); Linux has no separate `O_RSYNC`.
    check(FDFLAGS_DSYNC, FDFLAGS_DSYNC);
    check(FDFLAGS_SYNC, FDFLAGS_SYNC | FDFLAGS_RSYNC);
    check(FDFLAGS_RSYNC, FDFLAGS_SYNC | FDFLAGS_RSYNC);
}

/// `fd_fdstat_set_flags` changes `append` and `nonblock` on the host
/// descriptor, each to what the call asks, and refuses the rest.
#[test]
fn set_flags_reach_the_host() {
    let mut s = Sandbox::new("set-flags", &[("f", "")]);
    let fd = s.open("f", 0, RIGHT_FD_READ | RIGHT_FD_WRITE).unwrap();
    let mut check = |flags: u16, expected: WasiResult, after: u16| {
        let got = s.call(fd_fdstat_set_flags, &[fd, flags.into()]);
        assert_eq!(got, expected, "set {flags:#x}");
        assert_eq!(s.fdstat(fd).0, after, "after setting {flags:#x}");
    };
    let both = FDFLAGS_APPEND | FDFLAGS_NONBLOCK;
    check(FDFLAGS_APPEND, Ok(()), FDFLAGS_APPEND);
    check(FDFLAGS_NONBLOCK, Ok(()), FDFLAGS_NONBLOCK);
    check(both, Ok(()), both);
    check(FDFLAGS_SYNC, Err(Errno::NOTSUP), both);
    check(0, Ok(()), 0);
}

/// Only a directory passes rights on to what is opened beneath it: a
/// file opened with inheriting rights gets none.
#[test]
fn only_directories_keep_inheriting_rights() {
    let mut s = Sandbox::new("inheriting", &[("f", "")]);
    let (base, inheriting) = (RIGHT_FD_READDIR, RIGHT_FD_READ | RIGHT_FD_SEEK);
    let file = s.open_with("f", 0, RIGHT_FD_READ, inheriting, 0).unwrap();
    assert_eq!(s.fdstat(file).2, 0);
    let dir = s
        .open_with(".", OFLAGS_DIRECTORY, base, inheriting, 0)
        .unwrap();
    assert_eq!(s.fdstat(dir), (0, base, inheriting));
}

#[test]
fn rights_can_be_dropped_never_gained() {
    let mut s = Sandbox::new("rights", &[("f", "")]);
    let fd = s.open("f", 0, RW).unwrap();
    let mut check = |base: u64, inheriting: u64, expected: WasiResult| {
        let got = s.call(fd_fdstat_set_rights, &[fd, base, inheriting]);
        assert_eq!(got, expected, "{base:#x} {inheriting:#x}");
        if got.is_ok() {
            let (_, now_base, now_inheriting) = s.fdstat(fd);
            assert_eq!((now_base, now_inheriting), (base, inheriting));
        }
    };
    // A file opened with RW keeps no inheriting rights.
    check(RW, 0, Ok(()));
    check(RW, RIGHT_FD_READ, Err(Errno::NOTCAPABLE));
    check(RIGHT_FD_READ, 0, Ok(()));
    check(RIGHT_FD_READ | RIGHT_FD_WRITE, 0, Err(Errno::NOTCAPABLE));
    check(0, 0, Ok(()));
    // The preopen can drop inheriting rights while keeping its base.
    let mut check_dir = |base: u64, inheriting: u64, expected: WasiResult| {
        let got = s.call(fd_fdstat_set_rights, &[PREOPEN, base, inheriting]);
        assert_eq!(got, expected, "preopen {base:#x} {inheriting:#x}");
    };
    check_dir(RIGHTS_ALL, RIGHT_FD_READ, Ok(()));
    check_dir(RIGHTS_ALL, RW, Err(Errno::NOTCAPABLE));
    check_dir(RIGHTS_ALL, RIGHT_FD_READ, Ok(()));
    assert_eq!(s.call(fd_fdstat_set_rights, &[9, 0, 0]), Err(Errno::BADF));
}

#[test]
fn timestamps_follow_fst_flags() {
    use rustix::fs::{UTIME_NOW, UTIME_OMIT};
    let check = |flags: u64, expected: Result<[(i64, i64); 2], Errno>| {
        let got = timestamps(1_500_000_002, 7_000_000_009, flags).map(|t| {
            let pair = |t: rustix::fs::Timespec| (t.tv_sec, t.tv_nsec);
            [pair(t.last_access), pair(t.last_modification)]
        });
        assert_eq!(got, expected, "fst_flags {flags:#x}");
    };
    let (omit, now) = ((0, UTIME_OMIT), (0, UTIME_NOW));
    check(0, Ok([omit, omit]));
    check(1, Ok([(1, 500_000_002), omit]));
    check(2, Ok([now, omit]));
    check(4, Ok([omit, (7, 9)]));
    check(8, Ok([omit, now]));
    check(1 | 8, Ok([(1, 500_000_002), now]));
    check(1 | 2, Err(Errno::INVAL));
    check(4 | 8, Err(Errno::INVAL));
}

#[test]
fn set_times_reach_the_file() {
    let mut s = Sandbox::new("times", &[("f", "x")]);
    let fd = s.open("f", 0, RW).unwrap();
    let t = 1_234_567_890_123_456_789;
    assert_eq!(s.call(fd_filestat_set_times, &[fd, 0, t, 4]), Ok(()));
    assert_eq!(s.filestat(fd).2, t);
    // By path: the mtime only, the atime left alone.
    let [p, len] = s.path("f");
    let args = [PREOPEN, 0, p, len, 0, t + 1, 4];
    assert_eq!(s.call(path_filestat_set_times, &args), Ok(()));
    assert_eq!(s.filestat(fd).2, t + 1);
    let args = [PREOPEN, 0, p, len, 0, t, 4 | 8];
    assert_eq!(s.call(path_filestat_set_times, &args), Err(Errno::INVAL));
    // Through a symlink: the file's times only when the lookup follows it.
    std::os::unix::fs::symlink("f", s.host("link")).unwrap();
    let [p, len] = s.path("link");
    let args = [PREOPEN, 1, p, len, 0, t + 2, 4];
    assert_eq!(s.call(path_filestat_set_times, &args), Ok(()));
    assert_eq!(s.filestat(fd).2, t + 2);
    let args = [PREOPEN, 0, p, len, 0, t + 3, 4];
    assert_eq!(s.call(path_filestat_set_times, &args), Ok(()));
    assert_eq!(s.filestat(fd).2, t + 2);
    assert_eq!(
        s.call(fd_filestat_set_times, &[1, 0, t, 4]),
        Err(Errno::BADF)
    );
}

#[test]
fn calls_that_only_check_their_descriptor() {
    let mut s = Sandbox::new("checks", &[("f", "")]);
    let fd = s.open("f", 0, RW).unwrap();
    let check = |s: &mut Sandbox, f: Call, args: &[u64], expected: WasiResult| {
        assert_eq!(s.call(f, args), expected, "{args:?}");
    };
    check(&mut s, fd_advise, &[fd, 0, 10, 5], Ok(()));
    check(&mut s, fd_advise, &[fd, 0, 10, 6], Err(Errno::INVAL));
    check(&mut s, fd_advise, &[9, 0, 10, 0], Err(Errno::BADF));
    check(&mut s, fd_allocate, &[fd, 0, 10], Err(Errno::NOTSUP));
    check(&mut s, fd_allocate, &[9, 0, 10], Err(Errno::BADF));
    check(&mut s, fd_sync, &[fd], Ok(()));
    check(&mut s, fd_datasync, &[fd], Ok(()));
    check(&mut s, fd_sync, &[1], Ok(())); // captured stdout: nothing to flush
    check(&mut s, fd_sync, &[9], Err(Errno::BADF));
    check(&mut s, fd_datasync, &[9], Err(Errno::BADF));
    check(&mut s, fd_close, &[fd], Ok(()));
    check(&mut s, fd_close, &[fd], Err(Errno::BADF));
}

#[test]
fn sizes_and_offsets_past_off_t_are_invalid() {
    let mut s = Sandbox::new("sizes", &[("f", "abcdef")]);
    let fd = s.open("f", 0, RW).unwrap();
    assert_eq!(s.call(fd_filestat_set_size, &[fd, 3]), Ok(()));
    assert_eq!(s.filestat(fd).1, 3);
    assert_eq!(
        s.call(fd_filestat_set_size, &[fd, 1 << 63]),
        Err(Errno::INVAL)
    );
    assert_eq!(s.call(fd_filestat_set_size, &[1, 0]), Err(Errno::BADF));
    let [iovs, n] = s.iovecs(&[2]);
    assert_eq!(
        s.call(fd_pread, &[fd, iovs, n, 1 << 63, OUT]),
        Err(Errno::INVAL)
    );
    assert_eq!(
        s.call(fd_pwrite, &[fd, iovs, n, 1 << 63, OUT]),
        Err(Errno::INVAL)
    );
    assert_eq!(s.call(fd_pread, &[fd, iovs, n, 1 << 40, OUT]), Ok(()));
    assert_eq!(s.u32_at(OUT), 0);
    // Only host files have positions.
    assert_eq!(s.call(fd_pread, &[1, iovs, n, 0, OUT]), Err(Errno::SPIPE));
    assert_eq!(s.call(fd_pwrite, &[1, iovs, n, 0, OUT]), Err(Errno::SPIPE));
}

#[test]
fn vectored_io_goes_on_until_a_short_transfer() {
    let mut s = Sandbox::new("iovecs", &[("f", "0123456789")]);
    let fd = s.open("f", 0, RW).unwrap();
    // Positioned: each iovec continues where the last one ended.
    let [iovs, n] = s.iovecs(&[3, 4]);
    assert_eq!(s.call(fd_pread, &[fd, iovs, n, 2, OUT]), Ok(()));
    assert_eq!((s.u32_at(OUT), s.get(BUF, 7)), (7, &b"2345678"[..]));
    s.put(BUF, b"abcdefg");
    assert_eq!(s.call(fd_pwrite, &[fd, iovs, n, 5, OUT]), Ok(()));
    assert_eq!(s.u32_at(OUT), 7);
    assert_eq!(std::fs::read(s.host("f")).unwrap(), b"01234abcdefg");
    // A short read ends the call: the third iovec is left untouched.
    s.put(BUF, &[b'.'; 16]);
    let [iovs, n] = s.iovecs(&[10, 5, 1]);
    assert_eq!(s.call(fd_seek, &[fd, 0, 0, OUT]), Ok(()));
    assert_eq!(s.call(fd_read, &[fd, iovs, n, OUT]), Ok(()));
    assert_eq!(s.u32_at(OUT), 12);
    assert_eq!(s.get(BUF, 16), b"01234abcdefg....");
    // Writes to captured stdout arrive in order.
    s.put(BUF, b"hello, world");
    let [iovs, n] = s.iovecs(&[7, 5]);
    assert_eq!(s.call(fd_write, &[1, iovs, n, OUT]), Ok(()));
    assert_eq!(
        (s.u32_at(OUT), s.stdout.contents()),
        (12, b"hello, world".to_vec())
    );
    assert_eq!(s.call(fd_read, &[1, iovs, n, OUT]), Err(Errno::BADF));
}

#[test]
fn seek_and_tell() {
    let mut s = Sandbox::new("seek", &[("f", "0123456789")]);
    let fd = s.open("f", 0, RW).unwrap();
    let mut check = |offset: i64, whence: u64, expected: Result<u64, Errno>| {
        let got = s.call(fd_seek, &[fd, offset as u64, whence, OUT]);
        assert_eq!(got.map(|()| s.u64_at(OUT)), expected, "{offset} {whence}");
        if let Ok(pos) = expected {
            assert_eq!(s.call(fd_tell, &[fd, OUT]).map(|()| s.u64_at(OUT)), Ok(pos));
        }
    };
    check(4, 0, Ok(4));
    check(2, 1, Ok(6));
    check(-1, 1, Ok(5));
    check(-3, 2, Ok(7));
    check(0, 2, Ok(10));
    check(-1, 0, Err(Errno::INVAL));
    check(0, 3, Err(Errno::INVAL));
    assert_eq!(s.call(fd_seek, &[1, 0, 0, OUT]), Err(Errno::SPIPE));
    assert_eq!(s.call(fd_tell, &[1, OUT]), Err(Errno::SPIPE));
    assert_eq!(s.call(fd_tell, &[9, OUT]), Err(Errno::BADF));
}

#[test]
fn preopens_describe_themselves() {
    let mut s = Sandbox::new("prestat", &[("f", "")]);
    let fd = s.open("f", 0, RW).unwrap();
    assert_eq!(s.call(fd_prestat_get, &[PREOPEN, OUT]), Ok(()));
    assert_eq!((s.u32_at(OUT), s.u32_at(OUT + 4)), (0, 1));
    assert_eq!(s.call(fd_prestat_get, &[fd, OUT]), Err(Errno::BADF));
    assert_eq!(s.call(fd_prestat_get, &[9, OUT]), Err(Errno::BADF));
    assert_eq!(
        s.call(fd_prestat_dir_name, &[PREOPEN, BUF, 0]),
        Err(Errno::NAMETOOLONG)
    );
    assert_eq!(s.call(fd_prestat_dir_name, &[PREOPEN, BUF, 1]), Ok(()));
    assert_eq!(s.get(BUF, 1), b".");
    assert_eq!(s.call(fd_prestat_dir_name, &[fd, BUF, 8]), Err(Errno::BADF));
}

/// The `dirent`s `fd_readdir` wrote: (next cookie, name length, filetype,
/// name) each, with the name cut where the buffer ended.
fn dirents(bytes: &[u8]) -> Vec<(u64, u32, u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 24 <= bytes.len() {
        let head = &bytes[at..at + 24];
        let len = u32::from_le_bytes(head[16..20].try_into().unwrap());
        let end = (at + 24 + len as usize).min(bytes.len());
        let next = u64::from_le_bytes(head[0..8].try_into().unwrap());
        out.push((next, len, head[20], bytes[at + 24..end].to_vec()));
        at = end;
    }
    out
}

#[test]
fn readdir_pages_by_cookie() {
    let mut s = Sandbox::new("readdir", &[("file", "")]);
    std::fs::create_dir(s.host("sub")).unwrap();
    // The entries from `cookie` on that fit in `len` bytes, and whether
    // they filled the buffer.
    let mut read = |cookie: u64, len: u64| {
        assert_eq!(
            s.call(fd_readdir, &[PREOPEN, BUF, len, cookie, OUT]),
            Ok(())
        );
        let used = s.u32_at(OUT) as u64;
        assert!(used <= len);
        (dirents(s.get(BUF, used as usize)), used == len)
    };
    let (all, full) = read(0, 1024);
    assert!(!full);
    let mut names: Vec<_> = all.iter().map(|e| (e.3.clone(), e.2)).collect();
    names.sort();
    let expected = [
        (b".".to_vec(), FILETYPE_DIRECTORY),
        (b"..".to_vec(), FILETYPE_DIRECTORY),
        (b"file".to_vec(), FILETYPE_REGULAR_FILE),
        (b"sub".to_vec(), FILETYPE_DIRECTORY),
    ];
    assert_eq!(names, expected);
    let cookies: Vec<u64> = all.iter().map(|e| e.0).collect();
    assert_eq!(cookies, [1, 2, 3, 4]);
    // Each cookie resumes after its entry; the last one reads nothing.
    for (i, entry) in all.iter().enumerate() {
        assert_eq!(read(entry.0, 1024), (all[i + 1..].to_vec(), false));
    }
    // A buffer that ends inside an entry is filled exactly.
    let first = &all[0];
    let cut = vec![(first.0, first.1, first.2, first.3[..1].to_vec())];
    assert_eq!(read(0, 24 + 1), (cut, true));
    assert_eq!(read(0, 10), (vec![], true));
    // Only directories can be read.
    let fd = s.open("file", 0, RW).unwrap();
    assert_eq!(
        s.call(fd_readdir, &[fd, BUF, 64, 0, OUT]),
        Err(Errno::NOTDIR)
    );
    assert_eq!(
        s.call(fd_readdir, &[PREOPEN, 4090, 64, 0, OUT]),
        Err(Errno::FAULT)
    );
}

/// `path_filestat_get` of `path`: its filetype and link count.
fn stat(s: &mut Sandbox, path: &str, follow: u64) -> Result<(u8, u64), Errno> {
    let [p, len] = s.path(path);
    let got = s.call(path_filestat_get, &[PREOPEN, follow, p, len, OUT]);
    got.map(|()| (s.get(16, 1)[0], s.u64_at(24)))
}

#[test]
fn links_and_symlinks_stay_beneath_the_preopen() {
    let mut s = Sandbox::new("links", &[("f", "contents")]);
    // A hard link: two names, one file.
    let [p, len] = s.path("f");
    let [q, qlen] = s.path2("g");
    let link = [PREOPEN, 0, p, len, PREOPEN, q, qlen];
    assert_eq!(s.call(path_link, &link), Ok(()));
    assert_eq!(stat(&mut s, "g", 0), Ok((FILETYPE_REGULAR_FILE, 2)));
    assert_eq!(s.call(path_link, &link), Err(Errno::EXIST));
    // A symlink: what it is depends on following it; its target is read
    // back, cut short to the buffer.
    s.put(BUF, b"f");
    let [l, llen] = s.path2("link");
    assert_eq!(s.call(path_symlink, &[BUF, 1, PREOPEN, l, llen]), Ok(()));
    assert_eq!(
        stat(&mut s, "link", 0).map(|t| t.0),
        Ok(FILETYPE_SYMBOLIC_LINK)
    );
    assert_eq!(
        stat(&mut s, "link", 1).map(|t| t.0),
        Ok(FILETYPE_REGULAR_FILE)
    );
    // Linking the symlink itself, or what it names.
    let [p, len] = s.path("link");
    let [q, qlen] = s.path2("h");
    assert_eq!(
        s.call(path_link, &[PREOPEN, 1, p, len, PREOPEN, q, qlen]),
        Ok(())
    );
    assert_eq!(stat(&mut s, "h", 0), Ok((FILETYPE_REGULAR_FILE, 3)));
    s.put(BUF, b"sub/../f");
    let [l, llen] = s.path2("link2");
    assert_eq!(s.call(path_symlink, &[BUF, 8, PREOPEN, l, llen]), Ok(()));
    let [p, len] = s.path("link2");
    assert_eq!(
        s.call(path_readlink, &[PREOPEN, p, len, BUF + 100, 64, OUT]),
        Ok(())
    );
    assert_eq!((s.u32_at(OUT), s.get(BUF + 100, 8)), (8, &b"sub/../f"[..]));
    assert_eq!(
        s.call(path_readlink, &[PREOPEN, p, len, BUF + 200, 3, OUT]),
        Ok(())
    );
    assert_eq!((s.u32_at(OUT), s.get(BUF + 200, 4)), (3, &b"sub\0"[..]));
    let [p, len] = s.path("f");
    assert_eq!(
        s.call(path_readlink, &[PREOPEN, p, len, BUF, 64, OUT]),
        Err(Errno::INVAL)
    );
    // An absolute target is refused before anything is made.
    s.put(BUF, b"/etc/passwd");
    let [l, llen] = s.path2("abs");
    assert_eq!(
        s.call(path_symlink, &[BUF, 11, PREOPEN, l, llen]),
        Err(Errno::NOTCAPABLE)
    );
    assert!(std::fs::symlink_metadata(s.host("abs")).is_err());
    // Linking out of the sandbox is refused.
    let [p, len] = s.path("f");
    let [q, qlen] = s.path2("../out");
    let out = [PREOPEN, 0, p, len, PREOPEN, q, qlen];
    assert_eq!(s.call(path_link, &out), Err(Errno::NOTCAPABLE));
}

#[test]
fn directories_files_and_renames() {
    let mut s = Sandbox::new("dirs", &[("f", "x")]);
    let check = |s: &mut Sandbox, f: Call, path: &str, expected: WasiResult| {
        let [p, len] = s.path(path);
        assert_eq!(s.call(f, &[PREOPEN, p, len]), expected, "{path}");
    };
    let mut check = |f: Call, path: &str, expected: WasiResult| check(&mut s, f, path, expected);
    check(path_create_directory, "d", Ok(()));
    check(path_create_directory, "d", Err(Errno::EXIST));
    check(path_create_directory, "d/e", Ok(()));
    check(path_remove_directory, "d", Err(Errno::NOTEMPTY));
    check(path_remove_directory, "f", Err(Errno::NOTDIR));
    check(path_unlink_file, "d", Err(Errno::ISDIR));
    check(path_unlink_file, "missing", Err(Errno::NOENT));
    check(path_remove_directory, "d/e/", Ok(()));
    check(path_remove_directory, "d", Ok(()));
    check(path_remove_directory, "d", Err(Errno::NOENT));
    // A trailing slash names a directory (as the host's calls say).
    check(path_create_directory, "new/", Ok(()));
    check(path_unlink_file, "f/", Err(Errno::NOTDIR));
    check(path_remove_directory, "f/", Err(Errno::NOTDIR));
    assert!(s.host("f").exists() && s.host("new").is_dir());
    assert_eq!(s.open("f/", 0, RW), Err(Errno::NOTDIR));
    assert_eq!(s.open("new/", 0, RIGHT_FD_READDIR).map(|_| ()), Ok(()));
    // Renames beneath one preopen, and into a directory opened beneath it.
    std::fs::create_dir(s.host("sub")).unwrap();
    let sub = s.open("sub", OFLAGS_DIRECTORY, RIGHT_FD_READDIR).unwrap();
    let [p, len] = s.path("f");
    let [q, qlen] = s.path2("g");
    assert_eq!(
        s.call(path_rename, &[PREOPEN, p, len, PREOPEN, q, qlen]),
        Ok(())
    );
    assert_eq!(std::fs::read(s.host("g")).unwrap(), b"x");
    let [p, len] = s.path("g");
    assert_eq!(
        s.call(path_rename, &[PREOPEN, p, len, sub, q, qlen]),
        Ok(())
    );
    assert_eq!(std::fs::read(s.host("sub/g")).unwrap(), b"x");
    assert_eq!(
        s.call(path_rename, &[PREOPEN, p, len, sub, q, qlen]),
        Err(Errno::NOENT)
    );
    let [q, qlen] = s.path2("../g");
    assert_eq!(
        s.call(path_rename, &[sub, p, len, sub, q, qlen]),
        Err(Errno::NOTCAPABLE)
    );
    assert_eq!(std::fs::read(s.host("sub/g")).unwrap(), b"x");
    // A file is no directory to resolve paths beneath.
    let file = s.open("sub/g", 0, RW).unwrap();
    let [p, len] = s.path("x");
    assert_eq!(
        s.call(path_create_directory, &[file, p, len]),
        Err(Errno::NOTDIR)
    );
    assert_eq!(
        s.call(path_create_directory, &[1, p, len]),
        Err(Errno::NOTDIR)
    );
    assert_eq!(
        s.call(path_create_directory, &[9, p, len]),
        Err(Errno::BADF)
    );
}

/// A `poll_oneoff` subscription (48 bytes) for a clock or a descriptor.
fn subscription(userdata: u64, ty: u8, id_or_fd: u32, timeout: u64, flags: u16) -> [u8; 48] {
    let mut s = [0u8; 48];
    s[0..8].copy_from_slice(&userdata.to_le_bytes());
    s[8] = ty;
    s[16..20].copy_from_slice(&id_or_fd.to_le_bytes());
    s[24..32].copy_from_slice(&timeout.to_le_bytes());
    s[40..42].copy_from_slice(&flags.to_le_bytes());
    s
}

/// Poll `subs` (placed at `BUF`): the events, as (userdata, errno, type).
fn poll(s: &mut Sandbox, subs: &[[u8; 48]]) -> WasiResult<Vec<(u64, u16, u8)>> {
    for (i, sub) in subs.iter().enumerate() {
        s.put(BUF + 48 * i as u64, sub);
    }
    s.call(poll_oneoff, &[BUF, IOVS, subs.len() as u64, OUT])?;
    let events = (0..s.u32_at(OUT) as u64).map(|i| {
        let e = s.get(IOVS + 32 * i, 32);
        let userdata = u64::from_le_bytes(e[0..8].try_into().unwrap());
        (userdata, u16::from_le_bytes([e[8], e[9]]), e[10])
    });
    Ok(events.collect())
}

#[test]
fn poll_reports_what_is_due() {
    const CLOCK: u8 = 0;
    const READ: u8 = 1;
    const WRITE: u8 = 2;
    const MONOTONIC: u32 = 1;
    const ABSTIME: u16 = 1;
    let mut s = Sandbox::new("poll", &[]);
    let clock = |userdata, timeout, flags| subscription(userdata, CLOCK, MONOTONIC, timeout, flags);
    let mut check = |subs: &[[u8; 48]], expected: WasiResult<Vec<(u64, u16, u8)>>| {
        assert_eq!(poll(&mut s, subs), expected);
    };
    check(&[], Err(Errno::INVAL));
    // Clocks alone: the earliest due, and every other due by then.
    check(&[clock(1, 1_000, 0)], Ok(vec![(1, 0, CLOCK)]));
    check(
        &[clock(1, 2_000_000, 0), clock(2, 1_000, 0)],
        Ok(vec![(2, 0, CLOCK)]),
    );
    check(
        &[clock(1, 1_000, 0), clock(2, 1_000, 0)],
        Ok(vec![(1, 0, CLOCK), (2, 0, CLOCK)]),
    );
    check(&[clock(7, 0, ABSTIME)], Ok(vec![(7, 0, CLOCK)])); // long past
    // Descriptors are ready at once, and then only a clock due now is.
    let fd_sub = |userdata, ty, fd| subscription(userdata, ty, fd, 0, 0);
    let got = vec![(3, 0, READ), (4, 0, WRITE), (5, 0, CLOCK)];
    check(
        &[fd_sub(3, READ, 0), fd_sub(4, WRITE, 1), clock(5, 0, 0)],
        Ok(got),
    );
    let no_wait = vec![(3, 0, READ)];
    check(
        &[fd_sub(3, READ, 0), clock(5, 60_000_000_000, 0)],
        Ok(no_wait),
    );
    let bad = Errno::BADF.0;
    check(&[fd_sub(3, READ, 9)], Ok(vec![(3, bad, READ)]));
    // A bad clock or type is an event with an error, not a failed call.
    let inval = Errno::INVAL.0;
    let bad_clock = subscription(8, CLOCK, 99, 0, 0);
    check(
        &[bad_clock, clock(9, 0, 0)],
        Ok(vec![(8, inval, CLOCK), (9, 0, CLOCK)]),
    );
    check(&[subscription(6, 7, 0, 0, 0)], Ok(vec![(6, inval, 7)]));
    // Every subscription and event must fit in memory.
    assert_eq!(s.call(poll_oneoff, &[4090, 0, 1, OUT]), Err(Errno::FAULT));
    assert_eq!(s.call(poll_oneoff, &[BUF, 4090, 1, OUT]), Err(Errno::FAULT));
    assert_eq!(s.call(poll_oneoff, &[BUF, 0, 1, 4094]), Err(Errno::FAULT));
    assert_eq!(
        s.call(poll_oneoff, &[BUF, 0, u32::MAX.into(), OUT]),
        Err(Errno::FAULT)
    );
}

#[test]
fn clocks() {
    let mut s = Sandbox::new("clocks", &[]);
    for id in 0..4 {
        assert_eq!(s.call(clock_res_get, &[id, OUT]), Ok(()), "clock {id}");
        assert!(s.u64_at(OUT) >= 1);
        assert_eq!(s.call(clock_time_get, &[id, 1, OUT]), Ok(()), "clock {id}");
    }
    assert_eq!(s.call(clock_time_get, &[1, 1, OUT]), Ok(()));
    let before = s.u64_at(OUT);
    std::thread::sleep(std::time::Duration::from_millis(2));
    assert_eq!(s.call(clock_time_get, &[1, 1, OUT]), Ok(()));
    assert!(s.u64_at(OUT) >= before + 2_000_000);
    assert_eq!(s.call(clock_res_get, &[4, OUT]), Err(Errno::INVAL));
    assert_eq!(s.call(clock_time_get, &[4, 1, OUT]), Err(Errno::INVAL));
}

/// `fd_sync` of what cannot be synced: a FIFO the guest opened is its
/// error (`EINVAL`); inherited stdio (a terminal, a pipe, `/dev/null`) has
/// nothing to flush. Functions preview1 has but Kiln does not provide
/// answer `ENOSYS`.
#[test]
fn sync_refuses_only_what_the_guest_opened() {
    use rustix::fs::{CWD, FileType, Mode, mknodat};
    let mut s = Sandbox::new("sync", &[]);
    mknodat(
        CWD,
        s.host("fifo"),
        FileType::Fifo,
        Mode::RUSR | Mode::WUSR,
        0,
    )
    .unwrap();
    let fd = s.open_with("fifo", 0, RW, 0, FDFLAGS_NONBLOCK).unwrap();
    assert_eq!(s.call(fd_sync, &[fd]), Err(Errno::INVAL));
    assert_eq!(s.call(fd_datasync, &[fd]), Err(Errno::INVAL));
    s.cx = WasiCtxBuilder::new().inherit_stdin().build().unwrap();
    // A closed stdin (`EBADF`) is the one other answer.
    let r = s.call(fd_sync, &[0]);
    assert!(matches!(r, Ok(()) | Err(Errno::BADF)), "{r:?}");
    assert_eq!(s.call(super::nosys, &[0]), Err(Errno::NOSYS));
    assert_eq!(s.call(sched_yield, &[]), Ok(()));
}

/// Stdio the host supplies (bytes in, a buffer out, nothing) is of unknown
/// type, with read, write and poll rights whichever way it goes.
#[test]
fn supplied_stdio_describes_itself() {
    let mut s = Sandbox::new("stdio", &[]);
    let rights = RIGHT_FD_READ | RIGHT_FD_WRITE | RIGHT_POLL_FD_READWRITE;
    for fd in [0, 1, 2] {
        assert_eq!(s.fdstat(fd), (0, rights, 0), "fd {fd}");
        assert_eq!(s.get(OUT, 1), [FILETYPE_UNKNOWN], "fd {fd}");
    }
}
