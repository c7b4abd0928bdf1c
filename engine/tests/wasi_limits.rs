//! WASI resource limits: a guest cannot hold more descriptors than its
//! context allows (1024 by default), so it cannot use up the host's.

use kiln::wasi::{self, WasiCtx, WasiCtxBuilder};
use kiln::*;
use std::path::PathBuf;

const WAT: &str = r#"(module
    (import "wasi_snapshot_preview1" "path_open"
        (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 0) "fg")
    ;; path_open(preopen 3, the one-byte name at `path`, `oflags`, fd_read);
    ;; the new descriptor lands at address 16.
    (func $open (param $path i32) (param $oflags i32) (result i32)
        (call $path_open (i32.const 3) (i32.const 0) (local.get $path) (i32.const 1)
            (local.get $oflags) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 16)))
    ;; Open "f" until an error or `tries` successes: (opened, errno, last fd).
    (func (export "open_until_error") (param $tries i32) (result i32 i32 i32)
        (local $count i32) (local $errno i32)
        (block $done
            (loop $next
                (br_if $done (i32.eq (local.get $count) (local.get $tries)))
                (local.set $errno (call $open (i32.const 0) (i32.const 0)))
                (br_if $done (local.get $errno))
                (local.set $count (i32.add (local.get $count) (i32.const 1)))
                (br $next)))
        (local.get $count) (local.get $errno) (i32.load (i32.const 16)))
    (func (export "close") (param i32) (result i32) (call $fd_close (local.get 0)))
    ;; path_open("g", O_CREAT): errno.
    (func (export "create") (result i32) (call $open (i32.const 1) (i32.const 1))))"#;

const MFILE: i32 = wasi::Errno::MFILE.0 as i32;

/// A fresh directory holding the file `f`.
fn fresh_dir() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("kiln-wasi-limits-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("f"), "f").unwrap();
    dir
}

/// Let this process open enough files that the host's own limit is not
/// what stops a guest with the default limit (some hosts start at 1024).
fn raise_host_fd_limit() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: plain getrlimit/setrlimit on a local struct.
        let hard = unsafe {
            let mut lim: libc::rlimit = std::mem::zeroed();
            assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            lim.rlim_max
        };
        assert!(
            hard >= 2048,
            "this test needs a hard descriptor limit of at least 2048 (ulimit -Hn is {hard})"
        );
    });
}

/// With the context's limit `max` (`None`: the default), a guest opening
/// a file up to `tries` times opens `opened` of them and then gets `errno`.
/// At the limit, closing one lets exactly one more open, and a create
/// fails without creating the file on the host.
fn check(max: Option<usize>, tries: i32, opened: i32, errno: i32) {
    raise_host_fd_limit();
    let dir = fresh_dir();
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).unwrap();
    let mut linker = Linker::<WasiCtx>::new(&engine);
    wasi::add_to_linker(&mut linker, |cx| cx).unwrap();
    let mut builder = WasiCtxBuilder::new().preopened_dir(&dir, ".");
    if let Some(max) = max {
        builder = builder.max_open_files(max);
    }
    let mut store = Store::new(&engine, builder.build().unwrap());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let open = instance
        .get_typed_func::<i32, (i32, i32, i32)>(&mut store, "open_until_error")
        .unwrap();
    let close = instance
        .get_typed_func::<i32, i32>(&mut store, "close")
        .unwrap();
    let create = instance
        .get_typed_func::<(), i32>(&mut store, "create")
        .unwrap();

    let (n, e, last) = open.call(&mut store, tries).unwrap();
    assert_eq!((n, e), (opened, errno), "limit {max:?}: opened, errno");
    if errno == MFILE {
        assert_eq!(
            create.call(&mut store, ()).unwrap(),
            MFILE,
            "create at the limit"
        );
        assert!(!dir.join("g").exists(), "a refused create made the file");
        if n > 0 {
            assert_eq!(close.call(&mut store, last).unwrap(), 0, "close");
            let (n, e, _) = open.call(&mut store, tries).unwrap();
            assert_eq!((n, e), (1, MFILE), "limit {max:?}: after one close");
        }
    }
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn guests_cannot_hold_more_descriptors_than_allowed() {
    // stdio (3) and the preopen count against the limit.
    check(None, 5000, 1020, MFILE);
    check(Some(16), 100, 12, MFILE);
    check(Some(5), 100, 1, MFILE);
    check(Some(4), 100, 0, MFILE);
    check(Some(2000), 1500, 1500, 0);
}

#[test]
fn a_limit_below_the_builders_own_descriptors_is_an_error() {
    let err = WasiCtxBuilder::new()
        .preopened_dir(std::env::temp_dir(), ".")
        .max_open_files(3)
        .build()
        .err()
        .expect("build fails");
    assert!(err.to_string().contains("max_open_files(3)"), "{err:#}");
}
