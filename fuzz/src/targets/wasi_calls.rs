//! `wasi_calls`: sequences of WASI preview1 calls from a guest whose only
//! capability is a preopened directory, looking for sandbox escapes and
//! panics in `kiln::wasi`.
//!
//! Each input gets a fresh host tree: `<tmp>/outside.txt` holds a secret
//! marker, `<tmp>/sandbox/` is preopened as `.` and holds files, a
//! subdirectory and symlinks that lead out of it (`escape ->
//! ../outside.txt`, `up -> ..`, `sub/esc2 -> ../../outside.txt`, and `abs`,
//! an absolute link to `outside.txt`). A fixed module forwards to every
//! errno-returning preview1 function (WASI finds the guest memory through
//! the calling instance, so the calls must come from wasm). Operations
//! either lay out well-formed arguments — paths built from `..`, `.`,
//! empty, the link names, absolute host paths, over-long and NUL-holding
//! names; iovecs; descriptors biased to the ones `path_open` returned — or
//! call any function with arbitrary integers (bad pointers, huge lengths).
//!
//! Checks: no call traps (a panicking host function traps); every errno
//! is one preview1 defines; the guest memory never holds the marker after
//! any call (so nothing outside the sandbox was read, by a read, a
//! readlink, a readdir or anything else); no `filestat` the guest gets is
//! of `outside.txt` or `<tmp>` (by device and inode), and no `dirent` it
//! reads has `outside.txt`'s inode (the preopen's `..` entry, as the host
//! lists it, has `<tmp>`'s); at the end `outside.txt` is unchanged
//! (contents, mode, mtime, link count) and `<tmp>` holds exactly
//! `outside.txt` and `sandbox/`, with its mtime unchanged. A model of the
//! descriptor table checks `EBADF` for closed descriptors, `EMFILE` at the
//! table's limit, fresh numbers from `path_open`, `fd_close` and
//! `fd_renumber`, the preopen's `prestat`, and the events `poll_oneoff`
//! reports for descriptor subscriptions; at the end, `fd_fdstat_get`
//! agrees with the model on every number.

use crate::say;
use arbitrary::{Result, Unstructured};
use kiln::wasi::{OutputBuffer, WasiCtx, WasiCtxBuilder};
use kiln::{Engine, Func, Linker, Memory, Module, Store, Val};
use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// What `outside.txt` holds. Nothing the guest writes can spell it: data
/// and names it writes are lowercase, so the marker in guest memory means
/// the file was read.
const MARKER: &[u8] = b"KILN-SECRET-OUTSIDE";

/// The preview1 functions the module imports and forwards: name and
/// parameter types (`i` = i32, `I` = i64), as `kiln::wasi` defines them
/// (instantiation fails if a name is missing there). `proc_exit` is left
/// out: its trap is the one a guest may cause on purpose.
const FUNCS: &[(&str, &str)] = &[
    ("args_get", "ii"),
    ("args_sizes_get", "ii"),
    ("environ_get", "ii"),
    ("environ_sizes_get", "ii"),
    ("clock_res_get", "ii"),
    ("clock_time_get", "iIi"),
    ("random_get", "ii"),
    ("poll_oneoff", "iiii"),
    ("sched_yield", ""),
    ("fd_advise", "iIIi"),
    ("fd_allocate", "iII"),
    ("fd_close", "i"),
    ("fd_datasync", "i"),
    ("fd_sync", "i"),
    ("fd_fdstat_get", "ii"),
    ("fd_fdstat_set_flags", "ii"),
    ("fd_fdstat_set_rights", "iII"),
    ("fd_filestat_get", "ii"),
    ("fd_filestat_set_size", "iI"),
    ("fd_filestat_set_times", "iIIi"),
    ("fd_pread", "iiiIi"),
    ("fd_pwrite", "iiiIi"),
    ("fd_read", "iiii"),
    ("fd_write", "iiii"),
    ("fd_prestat_get", "ii"),
    ("fd_prestat_dir_name", "iii"),
    ("fd_readdir", "iiiIi"),
    ("fd_renumber", "ii"),
    ("fd_seek", "iIii"),
    ("fd_tell", "ii"),
    ("path_open", "iiiiiIIii"),
    ("path_filestat_get", "iiiii"),
    ("path_filestat_set_times", "iiiiIIi"),
    ("path_create_directory", "iii"),
    ("path_remove_directory", "iii"),
    ("path_unlink_file", "iii"),
    ("path_rename", "iiiiii"),
    ("path_link", "iiiiiii"),
    ("path_symlink", "iiiii"),
    ("path_readlink", "iiiiii"),
    ("proc_raise", "i"),
    ("sock_accept", "iii"),
    ("sock_recv", "iiiiii"),
    ("sock_send", "iiiii"),
    ("sock_shutdown", "ii"),
];

/// Raw calls skip `poll_oneoff`: subscriptions read from leftover memory
/// could ask for a sleep of centuries.
const NOT_RAW: &[&str] = &["poll_oneoff"];

/// The largest errno preview1 defines (`notcapable`).
const MAX_ERRNO: i32 = 76;
const BADF: u16 = 8;
const MFILE: u16 = 33;
const NAMETOOLONG: u16 = 37;

/// The guest's descriptor table holds at most this many (stdio and the
/// preopen included), so `EMFILE` is reached within an input.
const MAX_FDS: usize = 16;
/// Operations per input: each runs in microseconds to a millisecond.
const MAX_OPS: usize = 64;

// Guest memory layout (one 64 KiB page).
const OUT: u32 = 0; // u32 results: new fd, sizes
const POS: u32 = 8; // u64 results: offsets
const STAT: u32 = 64; // filestat (64 bytes)
const FDSTAT: u32 = 128; // fdstat (24 bytes)
const PRESTAT: u32 = 160; // prestat (8 bytes)
const NAME: u32 = 176; // a preopen's name (16 bytes)
const IOVS: u32 = 256; // up to 4 iovecs
const SUBS: u32 = 512; // up to 4 subscriptions (48 bytes each)
const EVENTS: u32 = 768; // up to 4 events (32 bytes each)
const PATH_A: u32 = 1024;
const PATH_B: u32 = 5120;
const PATH_MAX: usize = 4096;
const DATA: u32 = 16384; // read and write buffers, to the end of memory
const MEMORY: u32 = 65536;

const RIGHTS_ALL: u64 = (1 << 30) - 1;
const RIGHT_FD_READ: u64 = 1 << 1;
const RIGHT_FD_WRITE: u64 = 1 << 6;

fn wat() -> String {
    let params = |p: &str| -> Vec<&str> {
        p.bytes()
            .map(|c| if c == b'I' { "i64" } else { "i32" })
            .collect()
    };
    let mut wat = String::from("(module\n");
    for (name, p) in FUNCS {
        wat += &format!(
            "  (import \"wasi_snapshot_preview1\" \"{name}\" (func ${name} (param {}) (result i32)))\n",
            params(p).join(" ")
        );
    }
    wat += "  (memory (export \"memory\") 1 1)\n";
    for (name, p) in FUNCS {
        let gets: String = (0..p.len()).map(|i| format!("local.get {i} ")).collect();
        wat += &format!(
            "  (func (export \"{name}\") (param {}) (result i32) {gets}call ${name})\n",
            params(p).join(" ")
        );
    }
    wat + ")"
}

/// One engine, module and linker for every input: compiling per input
/// would cost more than the calls, and no engine setting changes what a
/// WASI host function does.
fn shared() -> &'static (Engine, Module, Linker<WasiCtx>) {
    static SHARED: OnceLock<(Engine, Module, Linker<WasiCtx>)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let engine = Engine::default();
        let module = Module::new(&engine, wat()).expect("wasi_calls module compiles");
        let mut linker = Linker::new(&engine);
        kiln::wasi::add_to_linker(&mut linker, |cx| cx).expect("add WASI to the linker");
        (engine, module, linker)
    })
}

/// The host tree of one input, removed when dropped (so also when a check
/// fails under `cargo test`; libFuzzer aborts on a failure instead).
struct Tree {
    root: PathBuf,
}

impl Tree {
    fn new() -> Tree {
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("kiln-fuzz-wasi-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let tree = Tree { root };
        let (root, sandbox) = (&tree.root, tree.sandbox());
        fs::create_dir_all(sandbox.join("sub/deeper")).expect("make the sandbox");
        let mut secret = MARKER.to_vec();
        secret.extend_from_slice(b"\n");
        fs::write(root.join("outside.txt"), &secret).expect("write outside.txt");
        fs::write(sandbox.join("a"), "alpha\n").unwrap();
        fs::write(sandbox.join("b.txt"), "bravo bravo bravo\n").unwrap();
        fs::write(sandbox.join("sub/c"), "charlie\n").unwrap();
        let link = |target: &Path, at: &str| {
            std::os::unix::fs::symlink(target, sandbox.join(at)).expect("make a symlink")
        };
        link(Path::new("../outside.txt"), "escape");
        link(Path::new(".."), "up");
        link(&root.join("outside.txt"), "abs");
        link(Path::new("../../outside.txt"), "sub/esc2");
        link(Path::new("sub/c"), "good");
        link(Path::new("loop"), "loop");
        tree
    }

    fn sandbox(&self) -> PathBuf {
        self.root.join("sandbox")
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// What must not change outside the sandbox.
#[derive(Debug, PartialEq, Eq)]
struct Outside {
    contents: Vec<u8>,
    mode: u32,
    nlink: u64,
    mtime: (i64, i64),
    root_entries: Vec<String>,
    root_mtime: (i64, i64),
}

impl Outside {
    fn of(tree: &Tree) -> Outside {
        let file = tree.root.join("outside.txt");
        let meta = fs::symlink_metadata(&file).expect("outside.txt is still there");
        let root = fs::symlink_metadata(&tree.root).expect("<tmp> is still there");
        let mut root_entries: Vec<String> = fs::read_dir(&tree.root)
            .expect("list <tmp>")
            .map(|e| {
                let e = e.expect("entry of <tmp>");
                let dir = e.file_type().is_ok_and(|t| t.is_dir());
                format!(
                    "{}{}",
                    e.file_name().to_string_lossy(),
                    if dir { "/" } else { "" }
                )
            })
            .collect();
        root_entries.sort();
        Outside {
            contents: fs::read(&file).unwrap_or_default(),
            mode: meta.mode(),
            nlink: meta.nlink(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            root_entries,
            root_mtime: (root.mtime(), root.mtime_nsec()),
        }
    }
}

/// Path components the guest's paths are made of: the tree's names and
/// links, the ways of going up or nowhere, and names that do not exist.
const COMPONENTS: &[&str] = &[
    "..",
    "..",
    ".",
    "",
    "a",
    "b.txt",
    "sub",
    "c",
    "deeper",
    "escape",
    "esc2",
    "up",
    "abs",
    "good",
    "loop",
    "outside.txt",
    "sandbox",
    "new",
    "x",
];

struct Run {
    store: Store<WasiCtx>,
    funcs: Vec<Func>,
    memory: Memory,
    /// Absolute host paths a guest might try: `<tmp>` and outside.txt.
    host_paths: [Vec<u8>; 2],
    /// (device, inode) of outside.txt and of `<tmp>`.
    forbidden: [(u64, u64); 2],
    /// Model: the open descriptors, the preopen's number (if still open),
    /// and the ones `path_open` returned that are still open.
    open: BTreeSet<u32>,
    preopen: Option<u32>,
    opened: Vec<u32>,
}

/// Whether `m` holds [`MARKER`]. It runs after every call, over all of
/// memory: `contains` on bytes is a fast `memchr`, so only the chunks that
/// hold the marker's first byte are searched the slow way.
fn holds_marker(m: &[u8]) -> bool {
    const CHUNK: usize = 4096;
    m.chunks(CHUNK).enumerate().any(|(k, chunk)| {
        chunk.contains(&MARKER[0]) && {
            let end = ((k + 1) * CHUNK + MARKER.len() - 1).min(m.len());
            m[k * CHUNK..end].windows(MARKER.len()).any(|w| w == MARKER)
        }
    })
}

fn i(x: u32) -> Val {
    Val::I32(x as i32)
}

fn l(x: u64) -> Val {
    Val::I64(x as i64)
}

impl Run {
    /// Call the forwarder of `name`: it must return an errno, not trap.
    fn call(&mut self, name: &str, args: &[Val]) -> u16 {
        let k = FUNCS
            .iter()
            .position(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no function {name}"));
        let mut out = [Val::I32(0)];
        if let Err(e) = self.funcs[k].call(&mut self.store, args, &mut out) {
            panic!("{name}{args:?} trapped: {e:#}");
        }
        let errno = out[0].unwrap_i32();
        say!("  {name}{args:?} = {errno}");
        assert!(
            (0..=MAX_ERRNO).contains(&errno),
            "{name}{args:?} returned {errno}, not a preview1 errno"
        );
        self.check_memory(name);
        errno as u16
    }

    fn mem(&self) -> &[u8] {
        self.memory.data(&self.store)
    }

    fn put(&mut self, at: u32, bytes: &[u8]) {
        self.memory
            .write(&mut self.store, at as usize, bytes)
            .expect("in memory");
    }

    fn u32_at(&self, at: u32) -> u32 {
        let m = self.mem();
        u32::from_le_bytes(m[at as usize..at as usize + 4].try_into().unwrap())
    }

    fn u64_at(&self, at: u32) -> u64 {
        let m = self.mem();
        u64::from_le_bytes(m[at as usize..at as usize + 8].try_into().unwrap())
    }

    fn check_memory(&self, after: &str) {
        assert!(
            !holds_marker(self.mem()),
            "{after}: the guest read outside.txt's secret"
        );
    }

    /// The filestat at `STAT` (just written) is of nothing outside.
    fn check_filestat(&self, what: &str) {
        let id = (self.u64_at(STAT), self.u64_at(STAT + 8));
        assert!(
            !self.forbidden.contains(&id),
            "{what}: the guest got the filestat of a file outside the sandbox: {id:?}"
        );
    }

    fn closed(&self, fd: u32) -> bool {
        !self.open.contains(&fd)
    }

    /// What a read or write of at most `limit` bytes on `fd` must have
    /// answered: `EBADF` on a closed descriptor, and never more bytes.
    fn check_transfer(&self, name: &str, fd: u32, errno: u16, limit: u32) {
        if self.closed(fd) {
            assert_eq!(errno, BADF, "{name} on closed fd {fd}");
        }
        if errno == 0 {
            assert!(self.u32_at(OUT) <= limit, "{name}: more bytes than {limit}");
        }
    }

    fn close_model(&mut self, fd: u32) {
        self.open.remove(&fd);
        self.opened.retain(|&o| o != fd);
        if self.preopen == Some(fd) {
            self.preopen = None;
        }
    }

    /// `from` took `to`'s number, closing what `to` was.
    fn renumber_model(&mut self, from: u32, to: u32) {
        if from == to {
            return;
        }
        let (was_preopen, was_opened) = (self.preopen == Some(from), self.opened.contains(&from));
        self.close_model(to);
        self.close_model(from);
        self.open.insert(to);
        if was_preopen {
            self.preopen = Some(to);
        }
        if was_opened {
            self.opened.push(to);
        }
    }

    /// A descriptor for `fd_*` calls: mostly one `path_open` returned,
    /// else the preopen, or any small number.
    fn fd(&self, u: &mut Unstructured<'_>) -> Result<u32> {
        self.pick(u, [4, 2, 2])
    }

    /// A directory descriptor for `path_*` calls: mostly the preopen.
    fn dir(&self, u: &mut Unstructured<'_>) -> Result<u32> {
        self.pick(u, [2, 5, 1])
    }

    /// A descriptor to close or renumber: rarely the preopen, which the
    /// rest of the input would otherwise go without.
    fn victim(&self, u: &mut Unstructured<'_>) -> Result<u32> {
        self.pick(u, [14, 0, 2])
    }

    /// One of the descriptors `path_open` returned, the preopen, or any
    /// number up to 12, in proportion to `weights`. Without the first,
    /// the preopen if it has a weight, else any number.
    fn pick(&self, u: &mut Unstructured<'_>, weights: [u32; 3]) -> Result<u32> {
        let [opened, preopen, any] = weights;
        let roll = u.int_in_range(0..=opened + preopen + any - 1)?;
        if roll < opened && !self.opened.is_empty() {
            return Ok(*u.choose(&self.opened)?);
        }
        if roll < opened + preopen
            && preopen > 0
            && let Some(fd) = self.preopen
        {
            return Ok(fd);
        }
        u.int_in_range(0..=12)
    }

    /// A guest path: mostly one to three components (lowercase), now
    /// and then an absolute host path, `/`, a NUL, an over-long name or a
    /// longer walk.
    fn path(&self, u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
        let n = match u.int_in_range(0..=31)? {
            0 => return Ok(self.host_paths[0].clone()),
            1 => return Ok(self.host_paths[1].clone()),
            2 => return Ok(b"/".to_vec()),
            3 => return Ok(b"a\0b".to_vec()),
            4 => return Ok(vec![b'x'; 300]),
            5..=15 => 1,
            16..=23 => 2,
            24..=27 => 3,
            _ => u.int_in_range(4..=6)?,
        };
        let mut parts = Vec::new();
        for _ in 0..n {
            parts.push(*u.choose(COMPONENTS)?);
        }
        let mut p = parts.join("/").into_bytes();
        if u.ratio(1, 16)? {
            p.insert(0, b'/');
        }
        Ok(p)
    }

    /// Lay `path` out at `at`: (pointer, length) arguments.
    fn put_path(&mut self, at: u32, path: &[u8]) -> [Val; 2] {
        let path = &path[..path.len().min(PATH_MAX)];
        self.put(at, path);
        [i(at), i(path.len() as u32)]
    }

    /// Up to 4 iovecs over `DATA` with room for `total` bytes in all
    /// (their lengths split it); returns the count.
    fn iovecs(&mut self, u: &mut Unstructured<'_>, total: u32) -> Result<u32> {
        let n = u.int_in_range(1..=4)?;
        let mut at = DATA;
        let mut left = total;
        for k in 0..n {
            let len = if k == n - 1 {
                left
            } else {
                u.int_in_range(0..=left)?
            };
            left -= len;
            let mut iov = [0u8; 8];
            iov[..4].copy_from_slice(&at.to_le_bytes());
            iov[4..].copy_from_slice(&len.to_le_bytes());
            self.put(IOVS + 8 * k, &iov);
            at += len;
        }
        Ok(n)
    }

    /// The fd model agrees with the table: `fd_fdstat_get` succeeds on
    /// exactly the open numbers.
    fn check_table(&mut self) {
        let top = self.open.last().copied().unwrap_or(0) + 4;
        for fd in 0..=top {
            let errno = self.call("fd_fdstat_get", &[i(fd), i(FDSTAT)]);
            assert_eq!(
                errno == 0,
                !self.closed(fd),
                "fd {fd}: fd_fdstat_get says {errno}, model {:?}",
                self.open
            );
        }
    }
}

pub fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let tree = Tree::new();
    say!("wasi_calls: tree at {}", tree.root.display());
    let before = Outside::of(&tree);
    let (engine, module, linker) = shared();
    // Lowercase, like everything else the guest gets to read or write.
    let stdin: Vec<u8> = (0..u.int_in_range(0..=64)?)
        .map(|k| b'a' + (k % 26) as u8)
        .collect();
    let cx = WasiCtxBuilder::new()
        .arg("wasi_calls")
        .env("k", "v")
        .stdin_bytes(stdin)
        .stdout(OutputBuffer::new())
        .stderr(OutputBuffer::new())
        .preopened_dir(tree.sandbox(), ".")
        .max_open_files(MAX_FDS)
        .build()
        .expect("the WASI context builds");
    let mut store = Store::new(engine, cx);
    let instance = linker
        .instantiate(&mut store, module)
        .expect("wasi_calls module instantiates");
    let funcs = FUNCS
        .iter()
        .map(|(name, _)| instance.get_func(&mut store, name).expect("forwarder"))
        .collect();
    let memory = instance.get_memory(&mut store, "memory").unwrap();
    let id = |p: &Path| {
        let m = fs::metadata(p).expect("stat");
        (m.dev(), m.ino())
    };
    let outside = tree.root.join("outside.txt");
    let mut run = Run {
        store,
        funcs,
        memory,
        host_paths: [
            tree.root.as_os_str().as_encoded_bytes().to_vec(),
            outside.as_os_str().as_encoded_bytes().to_vec(),
        ],
        forbidden: [id(&outside), id(&tree.root)],
        open: (0..=3).collect(),
        preopen: Some(3),
        opened: Vec::new(),
    };
    let mut ops = 0;
    while !u.is_empty() && ops < MAX_OPS {
        ops += 1;
        step(&mut run, &mut u)?;
    }
    run.check_table();
    drop(run);
    let after = Outside::of(&tree);
    assert_eq!(before, after, "something outside the sandbox changed");
    Ok(())
}

/// Decode one operation and run it.
fn step(r: &mut Run, u: &mut Unstructured<'_>) -> Result<()> {
    match u.int_in_range(0..=27)? {
        0..=3 => {
            let dir = r.dir(u)?;
            let follow = u.int_in_range(0..=2)?.min(1);
            let path = r.path(u)?;
            let oflags: u32 = *u.choose(&[0, 0, 1, 2, 1 | 4, 1 | 8, 8, 15])?;
            let rights = *u.choose(&[
                RIGHTS_ALL,
                RIGHT_FD_READ,
                RIGHT_FD_WRITE,
                RIGHT_FD_READ | RIGHT_FD_WRITE,
                0,
                u64::MAX,
            ])?;
            let inheriting = *u.choose(&[RIGHTS_ALL, 0])?;
            let fdflags: u32 = *u.choose(&[0, 0, 1, 4, 5, 1 << 5])?;
            say!("path_open {dir} {:?}", String::from_utf8_lossy(&path));
            let [p, n] = r.put_path(PATH_A, &path);
            let args = [
                i(dir),
                i(follow),
                p,
                n,
                i(oflags),
                l(rights),
                l(inheriting),
                i(fdflags),
                i(OUT),
            ];
            let errno = r.call("path_open", &args);
            if r.closed(dir) {
                assert_eq!(errno, BADF, "path_open in a closed fd {dir}");
            } else if r.open.len() >= MAX_FDS {
                assert_eq!(errno, MFILE, "path_open with {} fds open", r.open.len());
            }
            if errno == 0 {
                let new = r.u32_at(OUT);
                assert!(r.closed(new), "path_open returned fd {new}, already open");
                r.open.insert(new);
                r.opened.push(new);
            }
        }
        4 | 5 => {
            let fd = r.fd(u)?;
            let total = u.int_in_range(0..=4096)?;
            let n = r.iovecs(u, total)?;
            let pread = u.arbitrary::<bool>()?;
            let (name, errno) = if pread {
                let offset = u.int_in_range(0..=64)?;
                let args = [i(fd), i(IOVS), i(n), l(offset), i(OUT)];
                ("fd_pread", r.call("fd_pread", &args))
            } else {
                (
                    "fd_read",
                    r.call("fd_read", &[i(fd), i(IOVS), i(n), i(OUT)]),
                )
            };
            r.check_transfer(name, fd, errno, total);
        }
        6 | 7 => {
            let fd = r.fd(u)?;
            let len = u.int_in_range(0..=512)?;
            let bytes: Vec<u8> = (0..len)
                .map(|_| u.arbitrary::<u8>().map(|b| b'a' + b % 26))
                .collect::<Result<_>>()?;
            r.put(DATA, &bytes);
            let n = r.iovecs(u, len)?;
            let (name, errno) = if u.arbitrary::<bool>()? {
                let offset = *u.choose(&[0, 1, 7, 4096, 1 << 20])?;
                let args = [i(fd), i(IOVS), i(n), l(offset), i(OUT)];
                ("fd_pwrite", r.call("fd_pwrite", &args))
            } else {
                (
                    "fd_write",
                    r.call("fd_write", &[i(fd), i(IOVS), i(n), i(OUT)]),
                )
            };
            r.check_transfer(name, fd, errno, len);
        }
        8 => {
            let fd = r.fd(u)?;
            let (errno, name) = if u.ratio(1, 4)? {
                (r.call("fd_tell", &[i(fd), i(POS)]), "fd_tell")
            } else {
                let offset = *u.choose(&[0i64, 1, 5, -1, -100, 1 << 20])?;
                let whence = u.int_in_range(0..=3)?;
                let args = [i(fd), l(offset as u64), i(whence), i(POS)];
                (r.call("fd_seek", &args), "fd_seek")
            };
            if r.closed(fd) {
                assert_eq!(errno, BADF, "{name} of closed fd {fd}");
            }
        }
        9 => {
            let fd = r.victim(u)?;
            let errno = r.call("fd_close", &[i(fd)]);
            if r.closed(fd) {
                assert_eq!(errno, BADF, "fd_close of closed fd {fd}");
            } else {
                assert_eq!(errno, 0, "fd_close of open fd {fd}");
                r.close_model(fd);
            }
        }
        10 => {
            let fd = r.fd(u)?;
            let len = *u.choose(&[0, 1, 23, 24, 25, 64, 200, 4096])?;
            let cookie = *u.choose(&[0, 0, 1, 2, 3, 100, u64::MAX])?;
            let errno = r.call("fd_readdir", &[i(fd), i(DATA), i(len), l(cookie), i(OUT)]);
            if r.closed(fd) {
                assert_eq!(errno, BADF, "fd_readdir of closed fd {fd}");
            }
            if errno == 0 {
                check_dirents(r, len, cookie);
            }
        }
        11 => {
            let fd = r.fd(u)?;
            let errno = r.call("fd_filestat_get", &[i(fd), i(STAT)]);
            if r.closed(fd) {
                assert_eq!(errno, BADF, "fd_filestat_get of closed fd {fd}");
            }
            if errno == 0 {
                r.check_filestat("fd_filestat_get");
            }
        }
        12 => {
            let dir = r.dir(u)?;
            let follow = u.int_in_range(0..=1)?;
            let path = r.path(u)?;
            let [p, n] = r.put_path(PATH_A, &path);
            let errno = r.call("path_filestat_get", &[i(dir), i(follow), p, n, i(STAT)]);
            if r.closed(dir) {
                assert_eq!(errno, BADF, "path_filestat_get in closed fd {dir}");
            }
            if errno == 0 {
                r.check_filestat("path_filestat_get");
            }
        }
        13 => {
            let name = *u.choose(&[
                "path_create_directory",
                "path_remove_directory",
                "path_unlink_file",
            ])?;
            let dir = r.dir(u)?;
            let path = r.path(u)?;
            let [p, n] = r.put_path(PATH_A, &path);
            let errno = r.call(name, &[i(dir), p, n]);
            if r.closed(dir) {
                assert_eq!(errno, BADF, "{name} in closed fd {dir}");
            }
        }
        14 | 15 => {
            let link = u.arbitrary::<bool>()?;
            let (d1, d2) = (r.dir(u)?, r.dir(u)?);
            let follow = u.int_in_range(0..=1)?;
            let (p1, p2) = (r.path(u)?, r.path(u)?);
            let [a, an] = r.put_path(PATH_A, &p1);
            let [b, bn] = r.put_path(PATH_B, &p2);
            let name = if link { "path_link" } else { "path_rename" };
            let errno = if link {
                r.call(name, &[i(d1), i(follow), a, an, i(d2), b, bn])
            } else {
                r.call(name, &[i(d1), a, an, i(d2), b, bn])
            };
            if r.closed(d1) {
                assert_eq!(errno, BADF, "{name} from closed fd {d1}");
            } else if r.closed(d2) {
                assert_ne!(errno, 0, "{name} into closed fd {d2}");
            }
        }
        16 => {
            let target = r.path(u)?;
            let dir = r.dir(u)?;
            let path = r.path(u)?;
            let [t, tn] = r.put_path(PATH_A, &target);
            let [p, n] = r.put_path(PATH_B, &path);
            let errno = r.call("path_symlink", &[t, tn, i(dir), p, n]);
            let valid_target = !target.contains(&0) && target.first() != Some(&b'/');
            if r.closed(dir) && valid_target {
                assert_eq!(errno, BADF, "path_symlink in closed fd {dir}");
            }
        }
        17 => {
            let dir = r.dir(u)?;
            let path = r.path(u)?;
            let len = *u.choose(&[0, 1, 4, 13, 256])?;
            let [p, n] = r.put_path(PATH_A, &path);
            let errno = r.call("path_readlink", &[i(dir), p, n, i(DATA), i(len), i(OUT)]);
            if r.closed(dir) {
                assert_eq!(errno, BADF, "path_readlink in closed fd {dir}");
            }
            if errno == 0 {
                assert!(r.u32_at(OUT) <= len, "path_readlink: more than the buffer");
            }
        }
        18 => {
            let (from, to) = (r.victim(u)?, r.victim(u)?);
            let errno = r.call("fd_renumber", &[i(from), i(to)]);
            let ok = !r.closed(from) && !r.closed(to);
            assert_eq!(errno == 0, ok, "fd_renumber {from} {to}: {errno}");
            if !ok {
                assert_eq!(errno, BADF, "fd_renumber {from} {to} with a closed fd");
            } else {
                r.renumber_model(from, to);
            }
        }
        19 => {
            let fd = r.fd(u)?;
            let len = u.int_in_range(0..=3)?;
            let errno = r.call("fd_prestat_get", &[i(fd), i(PRESTAT)]);
            if r.preopen == Some(fd) {
                assert_eq!(errno, 0, "fd_prestat_get of the preopen {fd}");
                assert_eq!(r.u32_at(PRESTAT) & 0xff, 0, "prestat tag: not a directory");
                assert_eq!(r.u32_at(PRESTAT + 4), 1, "prestat: the length of `.`");
            } else {
                assert_eq!(errno, BADF, "fd_prestat_get of {fd}, not a preopen");
            }
            let errno = r.call("fd_prestat_dir_name", &[i(fd), i(NAME), i(len)]);
            match (r.preopen == Some(fd), len) {
                (true, 0) => assert_eq!(errno, NAMETOOLONG, "fd_prestat_dir_name, no room"),
                (true, _) => {
                    assert_eq!(errno, 0, "fd_prestat_dir_name of the preopen");
                    assert_eq!(r.mem()[NAME as usize], b'.', "the preopen's name");
                }
                (false, _) => assert_eq!(errno, BADF, "fd_prestat_dir_name of {fd}"),
            }
        }
        20 => {
            let fd = r.fd(u)?;
            let errno = r.call("fd_fdstat_get", &[i(fd), i(FDSTAT)]);
            assert_eq!(errno == 0, !r.closed(fd), "fd_fdstat_get {fd}: {errno}");
            if errno == 0 && r.preopen == Some(fd) {
                assert_eq!(r.mem()[FDSTAT as usize], 3, "the preopen is a directory");
            }
            let (name, errno) = match u.int_in_range(0..=2)? {
                0 => {
                    let flags = *u.choose(&[0, 1, 4, 5, 2, 16])?;
                    let errno = r.call("fd_fdstat_set_flags", &[i(fd), i(flags)]);
                    ("fd_fdstat_set_flags", errno)
                }
                1 => {
                    let base = *u.choose(&[0, RIGHTS_ALL, RIGHT_FD_READ, u64::MAX])?;
                    let inheriting = *u.choose(&[0, RIGHTS_ALL, u64::MAX])?;
                    let args = [i(fd), l(base), l(inheriting)];
                    (
                        "fd_fdstat_set_rights",
                        r.call("fd_fdstat_set_rights", &args),
                    )
                }
                _ => {
                    let size = *u.choose(&[0, 1, 10, 5000, 1 << 20, 1 << 63])?;
                    let args = [i(fd), l(size)];
                    (
                        "fd_filestat_set_size",
                        r.call("fd_filestat_set_size", &args),
                    )
                }
            };
            if r.closed(fd) {
                assert_eq!(errno, BADF, "{name} of closed fd {fd}");
            }
        }
        21 => {
            let time = *u.choose(&[0, 1, 1_000_000_000, u64::MAX])?;
            let flags = u.int_in_range(0..=15)?;
            let fd = r.fd(u)?;
            let (name, errno) = if u.arbitrary::<bool>()? {
                let args = [i(fd), l(time), l(time), i(flags)];
                (
                    "fd_filestat_set_times",
                    r.call("fd_filestat_set_times", &args),
                )
            } else {
                let follow = u.int_in_range(0..=1)?;
                let path = r.path(u)?;
                let [p, n] = r.put_path(PATH_A, &path);
                let args = [i(fd), i(follow), p, n, l(time), l(time), i(flags)];
                let errno = r.call("path_filestat_set_times", &args);
                // Invalid flags are refused before the descriptor is looked at.
                if flags & 3 == 3 || flags & 12 == 12 {
                    return Ok(());
                }
                ("path_filestat_set_times", errno)
            };
            if r.closed(fd) {
                assert_eq!(errno, BADF, "{name} of closed fd {fd}");
            }
        }
        22 => {
            let fd = r.fd(u)?;
            let name = *u.choose(&["fd_sync", "fd_datasync", "fd_allocate", "fd_advise"])?;
            let errno = match name {
                "fd_allocate" => r.call(name, &[i(fd), l(0), l(16)]),
                "fd_advise" => {
                    let advice = u.int_in_range(0..=6)?;
                    r.call(name, &[i(fd), l(0), l(16), i(advice)])
                }
                // Syncing hits the disk: keep it rare.
                _ if u.ratio(1, 4)? => r.call(name, &[i(fd)]),
                _ => return Ok(()),
            };
            if r.closed(fd) {
                assert_eq!(errno, BADF, "{name} of closed fd {fd}");
            }
        }
        23 => poll(r, u)?,
        _ => raw(r, u)?,
    }
    Ok(())
}

/// `fd_readdir` filled `DATA` with `len` bytes at most: whole entries
/// (the last may be cut only if the buffer is full), cookies past the
/// one asked for, no inode from outside.
fn check_dirents(r: &Run, len: u32, cookie: u64) {
    let used = r.u32_at(OUT);
    assert!(used <= len, "fd_readdir: {used} bytes in a buffer of {len}");
    let buf = &r.mem()[DATA as usize..(DATA + used) as usize];
    let mut at = 0;
    let mut last = cookie;
    while at + 24 <= buf.len() {
        let next = u64::from_le_bytes(buf[at..at + 8].try_into().unwrap());
        let ino = u64::from_le_bytes(buf[at + 8..at + 16].try_into().unwrap());
        let namlen = u32::from_le_bytes(buf[at + 16..at + 20].try_into().unwrap());
        assert!(next > last, "fd_readdir: cookie {next} after {last}");
        last = next;
        assert_ne!(
            ino, r.forbidden[0].1,
            "fd_readdir: an entry is outside.txt's inode"
        );
        at += 24 + namlen as usize;
    }
    if used < len {
        assert_eq!(
            at,
            buf.len(),
            "fd_readdir: a cut entry in a buffer not full"
        );
    }
}

/// `poll_oneoff` with descriptor subscriptions (always ready) and clocks
/// of at most a microsecond.
fn poll(r: &mut Run, u: &mut Unstructured<'_>) -> Result<()> {
    let n = u.int_in_range(1..=4)?;
    let mut fds = Vec::new();
    for k in 0..n {
        let mut sub = [0u8; 48];
        sub[0..8].copy_from_slice(&u64::from(k).to_le_bytes());
        let ty = u.int_in_range(0..=2)?;
        sub[8] = ty;
        if ty == 0 {
            let clock = u.int_in_range(0..=4u32)?;
            sub[16..20].copy_from_slice(&clock.to_le_bytes());
            let timeout = u.int_in_range(0..=1000u64)?;
            sub[24..32].copy_from_slice(&timeout.to_le_bytes());
            // An absolute deadline this small is long past.
            sub[40] = u.int_in_range(0..=1)?;
        } else {
            let fd = r.fd(u)?;
            sub[16..20].copy_from_slice(&fd.to_le_bytes());
            fds.push((u64::from(k), ty, fd));
        }
        r.put(SUBS + 48 * k, &sub);
    }
    let errno = r.call("poll_oneoff", &[i(SUBS), i(EVENTS), i(n), i(OUT)]);
    assert_eq!(errno, 0, "poll_oneoff with valid subscriptions");
    let count = r.u32_at(OUT);
    assert!(
        count <= n,
        "poll_oneoff: {count} events for {n} subscriptions"
    );
    let events: Vec<(u64, u16, u8)> = (0..count)
        .map(|k| {
            let at = EVENTS + 32 * k;
            let m = r.mem();
            let errno = u16::from_le_bytes([m[at as usize + 8], m[at as usize + 9]]);
            (r.u64_at(at), errno, m[at as usize + 10])
        })
        .collect();
    for (userdata, ty, fd) in fds {
        let e = events.iter().find(|e| e.0 == userdata);
        let e = e.unwrap_or_else(|| panic!("poll_oneoff: no event for fd {fd}: {events:?}"));
        assert_eq!(e.2, ty, "poll_oneoff: event type of fd {fd}");
        let want = if r.closed(fd) { BADF } else { 0 };
        assert_eq!(e.1, want, "poll_oneoff: event error of fd {fd}");
    }
    Ok(())
}

/// Any function but `NOT_RAW`'s, with arbitrary arguments: pointers
/// anywhere (in and past memory), huge lengths, any descriptor.
fn raw(r: &mut Run, u: &mut Unstructured<'_>) -> Result<()> {
    let candidates: Vec<usize> = (0..FUNCS.len())
        .filter(|&k| !NOT_RAW.contains(&FUNCS[k].0))
        .collect();
    let (name, params) = FUNCS[*u.choose(&candidates)?];
    let mut args = Vec::new();
    for p in params.bytes() {
        args.push(if p == b'I' {
            l(match u.int_in_range(0..=7)? {
                0 => 0,
                1 => u.int_in_range(0..=16)?,
                2 => u64::MAX,
                3 => i64::MAX as u64,
                4 => 1 << 63,
                5 => u64::from(u.arbitrary::<u32>()?),
                _ => u.arbitrary()?,
            })
        } else {
            i(match u.int_in_range(0..=9)? {
                0 => 0,
                1 | 2 => r.fd(u)?,
                3 | 4 => u.int_in_range(0..=MEMORY)?,
                5 => *u.choose(&[PATH_A, PATH_B, DATA, IOVS, MEMORY - 4, MEMORY - 1])?,
                6 => u.int_in_range(0..=64)?,
                7 => *u.choose(&[u32::MAX, i32::MAX as u32, 1 << 31, MEMORY + 1])?,
                _ => u.arbitrary()?,
            })
        });
    }
    let errno = r.call(name, &args);
    if errno != 0 {
        return Ok(());
    }
    let arg = |k: usize| args[k].unwrap_i32() as u32;
    match name {
        "fd_close" => r.close_model(arg(0)),
        "fd_renumber" => r.renumber_model(arg(0), arg(1)),
        "path_open" => {
            let new = r.u32_at(arg(8));
            assert!(r.closed(new), "path_open returned fd {new}, already open");
            r.open.insert(new);
            r.opened.push(new);
        }
        _ => {}
    }
    Ok(())
}
