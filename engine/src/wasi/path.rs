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
//! - `.` and empty components are skipped, but a slash after the last
//!   name asks for a directory: a symlink there is followed, and an
//!   existing non-directory is `ENOTDIR` (the host's rule for `file/`,
//!   checked here because the host call gets the name without the slash);
//! - `..` goes back one directory on the way walked so far; going back
//!   past the starting directory is refused (`ENOTCAPABLE`). The host's
//!   `..` is only a shortcut: the directory it opens is taken only if it is
//!   the very one the walk came through (same device and inode), else the
//!   walk is redone from the starting directory by name. So `..` cannot
//!   climb out of the tree, and only the current directory is held open:
//!   resolution holds at most two host descriptors at any time, however
//!   deep the path;
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

use super::errno::{Errno, WasiResult};
use super::fd::{
    Entry, FDFLAGS_APPEND, FDFLAGS_DSYNC, FDFLAGS_NONBLOCK, FDFLAGS_RSYNC, FDFLAGS_SYNC,
    FILETYPE_DIRECTORY, FdTable, HostFd, Kind, O_DSYNC, RIGHT_FD_ALLOCATE,
    RIGHT_FD_FILESTAT_SET_SIZE, RIGHT_FD_READ, RIGHT_FD_READDIR, RIGHT_FD_WRITE, filetype_of,
    timestamps, write_filestat,
};
use super::{WasiCtx, mem::GuestMemory};
use rustix::fs::{AtFlags, Mode, OFlags};
use std::collections::VecDeque;
use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// Symlink expansions allowed in one resolution.
const MAX_SYMLINKS: u32 = 40;

pub(super) const LOOKUP_SYMLINK_FOLLOW: u64 = 1;

pub(super) const OFLAGS_CREAT: u64 = 1;
pub(super) const OFLAGS_DIRECTORY: u64 = 2;
const OFLAGS_EXCL: u64 = 4;
const OFLAGS_TRUNC: u64 = 8;

/// A resolved path: the directory that holds the final component, and its
/// name (a single component, possibly `.`).
pub struct Resolved<'a> {
    base: BorrowedFd<'a>,
    /// The directory holding `name`, if not `base` itself.
    held: Option<OwnedFd>,
    pub name: CString,
}

impl Resolved<'_> {
    /// The directory that holds `name`.
    pub fn dir(&self) -> BorrowedFd<'_> {
        self.held.as_ref().map_or(self.base, AsFd::as_fd)
    }
}

/// Open the directory `name` in `dir`, never through a symlink.
fn open_dir(dir: BorrowedFd<'_>, name: &CStr) -> WasiResult<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(rustix::fs::openat(dir, name, flags, Mode::empty())?)
}

/// What makes a directory the same one: its device and inode.
fn identity(dir: &OwnedFd) -> WasiResult<(u64, u64)> {
    let st = rustix::fs::fstat(dir)?;
    Ok((st.st_dev, st.st_ino))
}

/// Where a resolution stands: a directory beneath the base, reached
/// through the directories in `path`. Only the current one is held open.
struct Walk<'a> {
    base: BorrowedFd<'a>,
    /// The directories entered beneath `base`, outermost first: each one's
    /// name in its parent, and its identity.
    path: Vec<(CString, (u64, u64))>,
    /// The innermost of them, open (`None`: the base itself).
    cur: Option<OwnedFd>,
}

impl Walk<'_> {
    fn dir(&self) -> BorrowedFd<'_> {
        self.cur.as_ref().map_or(self.base, AsFd::as_fd)
    }

    /// Go into the subdirectory `name` of the current directory.
    fn enter(&mut self, name: CString) -> WasiResult {
        let fd = open_dir(self.dir(), &name)?;
        self.path.push((name, identity(&fd)?));
        self.cur = Some(fd);
        Ok(())
    }

    /// Go back to the directory the walk came from (`..`).
    fn leave(&mut self) -> WasiResult {
        if self.path.pop().is_none() {
            return Err(Errno::NOTCAPABLE);
        }
        let Some(&(_, id)) = self.path.last() else {
            self.cur = None;
            return Ok(());
        };
        let parent = open_dir(self.dir(), c"..")
            .ok()
            .filter(|p| identity(p) == Ok(id));
        if let Some(parent) = parent {
            self.cur = Some(parent);
            return Ok(());
        }
        // The current directory moved while we walked (or cannot be
        // searched): reach its old parent from the base by name instead.
        let names: Vec<CString> = self.path.drain(..).map(|(name, _)| name).collect();
        self.cur = None;
        names.into_iter().try_for_each(|name| self.enter(name))
    }
}

/// The target of the symlink `name` in `dir`, or `None` if it is not one.
fn read_link(dir: BorrowedFd<'_>, name: &CStr) -> WasiResult<Option<Vec<u8>>> {
    match rustix::fs::readlinkat(dir, name, Vec::new()) {
        Ok(target) => Ok(Some(target.into_bytes())),
        Err(e) => match Errno::from(e) {
            // Not a symlink, or nothing there: the caller's operation
            // will report what is wrong.
            Errno::INVAL | Errno::NOENT | Errno::NOTDIR => Ok(None),
            e => Err(e),
        },
    }
}

fn cstring(bytes: &[u8]) -> WasiResult<CString> {
    CString::new(bytes).map_err(|_| Errno::ILSEQ)
}

/// Resolve `path` beneath the directory `base` (see the module docs).
pub fn resolve<'a>(
    base: BorrowedFd<'a>,
    path: &[u8],
    follow_last: bool,
) -> WasiResult<Resolved<'a>> {
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
    let mut walk = Walk {
        base,
        path: Vec::new(),
        cur: None,
    };
    let mut links = 0;
    let (name, trailing_slash) = loop {
        let Some(comp) = todo.pop_front() else {
            break (b".".to_vec(), false);
        };
        // `.` and empty components are skipped; a path of only those
        // names the current directory itself (the `break` above).
        if comp.is_empty() || comp == b"." {
            continue;
        }
        if comp == b".." {
            walk.leave()?;
            continue;
        }
        let last = todo.iter().all(|c| c.is_empty());
        // A slash after the last name asks for a directory, and follows a
        // symlink there whatever the lookup flags say (POSIX's rule).
        let trailing_slash = last && !todo.is_empty();
        let c = cstring(&comp)?;
        if (!last || follow_last || trailing_slash)
            && let Some(target) = read_link(walk.dir(), &c)?
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
            break (comp, trailing_slash);
        }
        walk.enter(c)?;
    };
    let name = cstring(&name)?;
    // The host call gets the name without its slash (with it, the host
    // would follow a symlink put there since), so a name that must be a
    // directory is checked here: an existing non-directory is `ENOTDIR`,
    // as the host says for `file/`. A missing one is left to the call
    // (`path_create_directory` of `new/` makes it).
    if trailing_slash
        && let Ok(st) = rustix::fs::statat(walk.dir(), &name, AtFlags::SYMLINK_NOFOLLOW)
        && filetype_of(&st) != FILETYPE_DIRECTORY
    {
        return Err(Errno::NOTDIR);
    }
    Ok(Resolved {
        base,
        held: walk.cur,
        name,
    })
}

/// Resolve the guest path (`ptr`, `len`) beneath the directory `fd`.
fn guest_path<'a>(
    fds: &'a FdTable,
    mem: &GuestMemory<'_>,
    fd: u64,
    ptr: u64,
    len: u64,
    follow: bool,
) -> WasiResult<Resolved<'a>> {
    let dir = fds.get_ref(fd)?.dir()?;
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
        &cx.fds,
        mem,
        dirfd,
        path,
        path_len,
        dirflags & LOOKUP_SYMLINK_FOLLOW != 0,
    )?;
    let read = rights_base & (RIGHT_FD_READ | RIGHT_FD_READDIR) != 0;
    let write =
        rights_base & (RIGHT_FD_WRITE | RIGHT_FD_ALLOCATE | RIGHT_FD_FILESTAT_SET_SIZE) != 0;
    let mut flags = OFlags::CLOEXEC | OFlags::NOFOLLOW;
    flags |= if oflags & OFLAGS_DIRECTORY != 0 {
        OFlags::RDONLY | OFlags::DIRECTORY
    } else if write && read {
        OFlags::RDWR
    } else if write {
        OFlags::WRONLY
    } else {
        OFlags::RDONLY
    };
    for (bit, host) in [
        (OFLAGS_CREAT, OFlags::CREATE),
        (OFLAGS_EXCL, OFlags::EXCL),
        (OFLAGS_TRUNC, OFlags::TRUNC),
    ] {
        if oflags & bit != 0 {
            flags |= host;
        }
    }
    for (bit, host) in [
        (FDFLAGS_APPEND, OFlags::APPEND),
        (FDFLAGS_DSYNC, O_DSYNC),
        (FDFLAGS_NONBLOCK, OFlags::NONBLOCK),
        (FDFLAGS_RSYNC, OFlags::RSYNC),
        (FDFLAGS_SYNC, OFlags::SYNC),
    ] {
        if fdflags & bit != 0 {
            flags |= host;
        }
    }
    // The mode is only used with O_CREAT.
    let fd = rustix::fs::openat(r.dir(), &r.name, flags, Mode::from_bits_retain(0o666))?;
    drop(r);
    let filetype = filetype_of(&rustix::fs::fstat(&fd)?);
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
    let r = guest_path(
        &cx.fds,
        mem,
        a[0],
        a[2],
        a[3],
        a[1] & LOOKUP_SYMLINK_FOLLOW != 0,
    )?;
    let st = rustix::fs::statat(r.dir(), &r.name, AtFlags::SYMLINK_NOFOLLOW)?;
    write_filestat(mem, a[4] as u32, &st)
}

pub fn path_filestat_set_times(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &[u64],
) -> WasiResult {
    let ts = timestamps(a[4], a[5], a[6])?;
    let r = guest_path(
        &cx.fds,
        mem,
        a[0],
        a[2],
        a[3],
        a[1] & LOOKUP_SYMLINK_FOLLOW != 0,
    )?;
    Ok(rustix::fs::utimensat(
        r.dir(),
        &r.name,
        &ts,
        AtFlags::SYMLINK_NOFOLLOW,
    )?)
}

pub fn path_create_directory(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let r = guest_path(&cx.fds, mem, a[0], a[1], a[2], false)?;
    Ok(rustix::fs::mkdirat(
        r.dir(),
        &r.name,
        Mode::from_bits_retain(0o777),
    )?)
}

pub fn path_remove_directory(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let r = guest_path(&cx.fds, mem, a[0], a[1], a[2], false)?;
    Ok(rustix::fs::unlinkat(r.dir(), &r.name, AtFlags::REMOVEDIR)?)
}

pub fn path_unlink_file(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let r = guest_path(&cx.fds, mem, a[0], a[1], a[2], false)?;
    Ok(rustix::fs::unlinkat(r.dir(), &r.name, AtFlags::empty())?)
}

pub fn path_rename(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let from = guest_path(&cx.fds, mem, a[0], a[1], a[2], false)?;
    let to = guest_path(&cx.fds, mem, a[3], a[4], a[5], false)?;
    Ok(rustix::fs::renameat(
        from.dir(),
        &from.name,
        to.dir(),
        &to.name,
    )?)
}

pub fn path_link(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let from = guest_path(
        &cx.fds,
        mem,
        a[0],
        a[2],
        a[3],
        a[1] & LOOKUP_SYMLINK_FOLLOW != 0,
    )?;
    let to = guest_path(&cx.fds, mem, a[4], a[5], a[6], false)?;
    Ok(rustix::fs::linkat(
        from.dir(),
        &from.name,
        to.dir(),
        &to.name,
        AtFlags::empty(),
    )?)
}

/// Symlinks may only point to relative targets: an absolute one could
/// never be followed beneath a preopen anyway.
pub fn path_symlink(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let target = cstring(mem.slice(a[0] as u32, a[1] as u32)?)?;
    if target.as_bytes().first() == Some(&b'/') {
        return Err(Errno::NOTCAPABLE);
    }
    let at = guest_path(&cx.fds, mem, a[2], a[3], a[4], false)?;
    Ok(rustix::fs::symlinkat(&target, at.dir(), &at.name)?)
}

pub fn path_readlink(cx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &[u64]) -> WasiResult {
    let r = guest_path(&cx.fds, mem, a[0], a[1], a[2], false)?;
    let (buf, buf_len, used) = (a[3] as u32, a[4] as u32, a[5] as u32);
    // Cut short to the guest's buffer, as the host call does.
    let n = rustix::fs::readlinkat_raw(r.dir(), &r.name, mem.slice_mut(buf, buf_len)?)?;
    mem.write_u32(used, n as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;
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

    fn open_host_dir(p: &Path) -> OwnedFd {
        rustix::fs::open(p, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty()).unwrap()
    }

    fn read_file(base: BorrowedFd<'_>, path: &str, follow: bool) -> WasiResult<String> {
        let r = resolve(base, path.as_bytes(), follow)?;
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW;
        let fd = rustix::fs::openat(r.dir(), &r.name, flags, Mode::empty())?;
        let mut f = std::fs::File::from(fd);
        let mut s = String::new();
        std::io::Read::read_to_string(&mut f, &mut s).map_err(Errno::from)?;
        Ok(s)
    }

    #[test]
    fn resolution_stays_beneath_the_base() {
        let root = tree();
        let base = open_host_dir(&root.join("pre"));
        let b = base.as_fd();
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
        let here = |r: Resolved<'_>| (r.dir().as_raw_fd(), r.name.into_bytes());
        let r = resolve(b, b"sub/", false).unwrap();
        assert_eq!(here(r), (b.as_raw_fd(), b"sub".to_vec()));
        let r = resolve(b, b"new//", false).unwrap();
        assert_eq!(here(r), (b.as_raw_fd(), b"new".to_vec()));
        // ... so a file or a symlink to one named with a trailing slash is
        // not a directory, and a symlink to a directory is followed.
        assert_eq!(ok("sub/file/", false), Err(Errno::NOTDIR));
        assert_eq!(ok("good/", false), Err(Errno::NOTDIR));
        let r = resolve(b, b"parent/", false);
        assert_eq!(r.err(), Some(Errno::NOTCAPABLE));
        let r = resolve(b, b"sub/deeper/up/", false);
        assert_eq!(r.err(), Some(Errno::NOTDIR));
        let r = resolve(b, b"sub/..", false).unwrap();
        assert_eq!(here(r), (b.as_raw_fd(), b".".to_vec()));
        std::fs::remove_dir_all(&root).unwrap();
    }

    /// Resolution holds a few host descriptors however deep the path
    /// (none of them counted by `max_open_files`): it runs here in a child
    /// of this test binary whose descriptor limit is far below the depth.
    #[test]
    fn deep_paths_hold_few_host_descriptors() {
        const DEPTH: usize = 200;
        const NAME: &str = "wasi::path::tests::deep_paths_hold_few_host_descriptors";
        const TREE: &str = "KILN_WASI_DEEP_TREE";
        let deep = "d/".repeat(DEPTH);
        let Some(root) = std::env::var_os(TREE) else {
            let root = std::env::temp_dir().join(format!("kiln-wasi-deep-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&root);
            std::fs::create_dir_all(root.join(&deep)).unwrap();
            std::fs::write(root.join(&deep).join("file"), "deep").unwrap();
            let out = std::process::Command::new("sh")
                .args(["-c", "ulimit -n 64 && exec \"$0\" \"$@\""])
                .arg(std::env::current_exe().unwrap())
                .args(["--exact", NAME, "--test-threads=1"])
                .env(TREE, &root)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && stdout.contains("1 passed"),
                "{stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::fs::remove_dir_all(&root).unwrap();
            return;
        };
        let base = open_host_dir(Path::new(&root));
        let ok = |p: &str| read_file(base.as_fd(), p, false);
        assert_eq!(ok(&format!("{deep}file")).as_deref(), Ok("deep"));
        let back = format!("{deep}{}{deep}file", "../".repeat(DEPTH));
        assert_eq!(ok(&back).as_deref(), Ok("deep"));
        let out = format!("{deep}{}secret", "../".repeat(DEPTH + 1));
        assert_eq!(ok(&out), Err(Errno::NOTCAPABLE));
    }

    /// `..` leads back to the directory the walk came through even when the
    /// current one has meanwhile been moved out of the tree, where the
    /// host's `..` would lead.
    #[test]
    fn dotdot_after_a_move_stays_beneath_the_base() {
        let root = std::env::temp_dir().join(format!("kiln-wasi-moved-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("pre/a/b")).unwrap();
        std::fs::write(root.join("pre/a/inside"), "").unwrap();
        std::fs::write(root.join("outside"), "").unwrap();
        let base = open_host_dir(&root.join("pre"));
        let mut walk = Walk {
            base: base.as_fd(),
            path: Vec::new(),
            cur: None,
        };
        walk.enter(c"a".into()).unwrap();
        walk.enter(c"b".into()).unwrap();
        std::fs::rename(root.join("pre/a/b"), root.join("b")).unwrap();
        fn sees(dir: BorrowedFd<'_>, name: &CStr) -> bool {
            rustix::fs::statat(dir, name, AtFlags::empty()).is_ok()
        }
        assert!(sees(walk.dir(), c"../outside"), "the host's `..` leads out");
        assert_eq!(walk.leave(), Ok(()));
        assert!(sees(walk.dir(), c"inside"));
        assert!(!sees(walk.dir(), c"outside"));
        assert_eq!(walk.leave(), Ok(()));
        assert_eq!(walk.dir().as_raw_fd(), base.as_raw_fd());
        assert_eq!(walk.leave(), Err(Errno::NOTCAPABLE));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
