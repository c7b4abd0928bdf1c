//! WASI preview1 (`wasi_snapshot_preview1`) for a [`Linker`].
//!
//! ```no_run
//! use kiln::wasi::{self, WasiCtx, WasiCtxBuilder};
//! use kiln::{Engine, Linker, Module, Store};
//!
//! let engine = Engine::default();
//! let module = Module::new(&engine, std::fs::read("prog.wasm")?)?;
//! let mut linker = Linker::<WasiCtx>::new(&engine);
//! wasi::add_to_linker(&mut linker, |cx| cx)?;
//! let cx = WasiCtxBuilder::new()
//!     .arg("prog.wasm")
//!     .inherit_stdio()
//!     .preopened_dir("/tmp/data", ".")
//!     .build()?;
//! let mut store = Store::new(&engine, cx);
//! let instance = linker.instantiate(&mut store, &module)?;
//! let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
//! match start.call(&mut store, ()) {
//!     Ok(()) => {}
//!     Err(e) => match e.downcast_ref::<wasi::I32Exit>() {
//!         Some(exit) => println!("exit status {}", exit.0),
//!         None => return Err(e),
//!     },
//! }
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! The parts, one concept per file:
//!
//! - `ctx.rs` — [`WasiCtx`] and [`WasiCtxBuilder`]: arguments, environment,
//!   stdio (inherited, or in-memory buffers for tests) and preopens.
//! - `fd.rs` — the descriptor table and the `fd_*` functions.
//! - `path.rs` — path resolution beneath a preopen (the capability check)
//!   and the `path_*` functions.
//! - `time.rs` — clocks, `random_get`, `poll_oneoff`, `sched_yield`.
//! - `args.rs` — `args_*` and `environ_*`.
//! - `mem.rs` — bounds-checked guest memory access (`EFAULT`).
//! - `errno.rs` — error numbers.
//!
//! Every function returns an errno to the guest; none traps the host,
//! except `proc_exit`, which unwinds the guest with an [`I32Exit`] error
//! that `Func::call` returns unchanged. Functions outside this
//! implementation (sockets, `proc_raise`, `fd_allocate`) return `ENOTSUP`
//! or `ENOSYS`.

mod args;
#[cfg(test)]
mod calls_tests;
mod ctx;
mod errno;
mod fd;
mod mem;
mod path;
mod time;

pub use ctx::{OutputBuffer, WasiCtx, WasiCtxBuilder};
pub use errno::Errno;

use crate::{Caller, Extern, FuncType, Linker, Result, Val, ValType};
use errno::WasiResult;
use mem::GuestMemory;
use std::sync::Arc;

/// The module name of WASI preview1 imports.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// The error `proc_exit` raises: the guest asked to exit with this status.
/// It propagates out of `Func::call` unchanged; find it with
/// `error.downcast_ref::<I32Exit>()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct I32Exit(pub i32);

impl std::fmt::Display for I32Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exited with i32 exit status {}", self.0)
    }
}

impl std::error::Error for I32Exit {}

/// The body of one WASI function: the context, the guest memory, and the
/// arguments (each `i32` zero-extended, each `i64` as its bits).
type Body = fn(&mut WasiCtx, &mut GuestMemory<'_>, &[u64]) -> WasiResult;

/// Every errno-returning function of preview1: name, parameter types
/// (`i` = i32, `I` = i64) and body.
const FUNCTIONS: &[(&str, &str, Body)] = &[
    ("args_get", "ii", args::args_get),
    ("args_sizes_get", "ii", args::args_sizes_get),
    ("environ_get", "ii", args::environ_get),
    ("environ_sizes_get", "ii", args::environ_sizes_get),
    ("clock_res_get", "ii", time::clock_res_get),
    ("clock_time_get", "iIi", time::clock_time_get),
    ("random_get", "ii", time::random_get),
    ("poll_oneoff", "iiii", time::poll_oneoff),
    ("sched_yield", "", time::sched_yield),
    ("fd_advise", "iIIi", fd::fd_advise),
    ("fd_allocate", "iII", fd::fd_allocate),
    ("fd_close", "i", fd::fd_close),
    ("fd_datasync", "i", fd::fd_datasync),
    ("fd_sync", "i", fd::fd_sync),
    ("fd_fdstat_get", "ii", fd::fd_fdstat_get),
    ("fd_fdstat_set_flags", "ii", fd::fd_fdstat_set_flags),
    ("fd_fdstat_set_rights", "iII", fd::fd_fdstat_set_rights),
    ("fd_filestat_get", "ii", fd::fd_filestat_get),
    ("fd_filestat_set_size", "iI", fd::fd_filestat_set_size),
    ("fd_filestat_set_times", "iIIi", fd::fd_filestat_set_times),
    ("fd_pread", "iiiIi", fd::fd_pread),
    ("fd_pwrite", "iiiIi", fd::fd_pwrite),
    ("fd_read", "iiii", fd::fd_read),
    ("fd_write", "iiii", fd::fd_write),
    ("fd_prestat_get", "ii", fd::fd_prestat_get),
    ("fd_prestat_dir_name", "iii", fd::fd_prestat_dir_name),
    ("fd_readdir", "iiiIi", fd::fd_readdir),
    ("fd_renumber", "ii", fd::fd_renumber),
    ("fd_seek", "iIii", fd::fd_seek),
    ("fd_tell", "ii", fd::fd_tell),
    ("path_open", "iiiiiIIii", path::path_open),
    ("path_filestat_get", "iiiii", path::path_filestat_get),
    (
        "path_filestat_set_times",
        "iiiiIIi",
        path::path_filestat_set_times,
    ),
    ("path_create_directory", "iii", path::path_create_directory),
    ("path_remove_directory", "iii", path::path_remove_directory),
    ("path_unlink_file", "iii", path::path_unlink_file),
    ("path_rename", "iiiiii", path::path_rename),
    ("path_link", "iiiiiii", path::path_link),
    ("path_symlink", "iiiii", path::path_symlink),
    ("path_readlink", "iiiiii", path::path_readlink),
    ("proc_raise", "i", nosys),
    ("sock_accept", "iii", notsup),
    ("sock_recv", "iiiiii", notsup),
    ("sock_send", "iiiii", notsup),
    ("sock_shutdown", "ii", notsup),
];

fn nosys(_: &mut WasiCtx, _: &mut GuestMemory<'_>, _: &[u64]) -> WasiResult {
    Err(Errno::NOSYS)
}

fn notsup(_: &mut WasiCtx, _: &mut GuestMemory<'_>, _: &[u64]) -> WasiResult {
    Err(Errno::NOTSUP)
}

/// Define every `wasi_snapshot_preview1` function in `linker`, finding the
/// [`WasiCtx`] in the store's data with `get_ctx`.
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get_ctx: impl Fn(&mut T) -> &mut WasiCtx + Send + Sync + 'static,
) -> Result<()> {
    let get_ctx: Arc<dyn Fn(&mut T) -> &mut WasiCtx + Send + Sync> = Arc::new(get_ctx);
    for &(name, params, body) in FUNCTIONS {
        let ty = FuncType::new(
            params.bytes().map(|c| match c {
                b'I' => ValType::I64,
                _ => ValType::I32,
            }),
            [ValType::I32],
        );
        let get_ctx = get_ctx.clone();
        linker.func_new(MODULE, name, ty, move |mut caller, params, results| {
            let mut args = [0u64; 9];
            for (slot, v) in args.iter_mut().zip(params) {
                *slot = match *v {
                    Val::I32(x) => u64::from(x as u32),
                    Val::I64(x) => x as u64,
                    _ => 0,
                };
            }
            let errno = call(&mut caller, &*get_ctx, body, &args[..params.len()]);
            results[0] = Val::I32(i32::from(errno.0));
            Ok(())
        })?;
    }
    linker.func_wrap(MODULE, "proc_exit", |code: i32| -> Result<()> {
        Err(I32Exit(code).into())
    })?;
    Ok(())
}

/// Run `body` with the context and the calling instance's `memory`.
fn call<T>(
    caller: &mut Caller<'_, T>,
    get_ctx: &(dyn Fn(&mut T) -> &mut WasiCtx + Send + Sync),
    body: Body,
    args: &[u64],
) -> Errno {
    let memory = caller.get_export("memory").and_then(Extern::into_memory);
    // Borrow the memory's bytes and the host data side by side: they are
    // disjoint fields of the store.
    let inner = &mut *caller.store;
    let bytes: &mut [u8] = match memory.map(|m| inner.opaque.try_get_mut(m)) {
        Some(Ok(linear)) => linear.data_mut(),
        _ => &mut [],
    };
    let mut mem = GuestMemory::new(bytes);
    match body(get_ctx(&mut inner.data), &mut mem, args) {
        Ok(()) => Errno::SUCCESS,
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, Module, Store};

    #[test]
    fn captured_stdio_efault_and_exit() {
        let wat = r#"(module
          (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (func (export "_start")
            ;; read up to 16 bytes of stdin to 100, echo them to stdout
            (i32.store (i32.const 0) (i32.const 100))
            (i32.store (i32.const 4) (i32.const 16))
            (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
            (i32.store (i32.const 4) (i32.load (i32.const 8)))
            (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
            ;; an iovec table past the end: the errno goes to stderr as a byte
            (i32.store8 (i32.const 200)
              (call $write (i32.const 1) (i32.const 65532) (i32.const 1) (i32.const 8)))
            (i32.store (i32.const 16) (i32.const 200))
            (i32.store (i32.const 20) (i32.const 1))
            (drop (call $write (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 8)))
            (call $exit (i32.const 9))))"#;
        let engine = Engine::default();
        let module = Module::new(&engine, wat).unwrap();
        let mut linker = Linker::<WasiCtx>::new(&engine);
        add_to_linker(&mut linker, |cx| cx).unwrap();
        let (out, err) = (OutputBuffer::new(), OutputBuffer::new());
        let cx = WasiCtxBuilder::new()
            .stdin_bytes(&b"echo me"[..])
            .stdout(out.clone())
            .stderr(err.clone())
            .build()
            .unwrap();
        let mut store = Store::new(&engine, cx);
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .unwrap();
        let e = start.call(&mut store, ()).unwrap_err();
        assert_eq!(e.downcast_ref::<I32Exit>(), Some(&I32Exit(9)));
        assert_eq!(e.root_cause().to_string(), "exited with i32 exit status 9");
        assert_eq!(out.contents(), b"echo me");
        assert_eq!(err.contents(), [Errno::FAULT.0 as u8]);
    }
}
