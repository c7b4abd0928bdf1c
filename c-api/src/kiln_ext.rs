//! The `kiln.h` extensions: error objects, `kiln_wat2wasm`, fuel and the
//! Cranelift opt level on a `wasm_config_t`, a store's fuel, and WASI
//! preview1 (a configuration made into the store's WASI state, and
//! instantiation with the WASI imports linked in).

use crate::externals::import_externs;
use crate::module::module_of;
use crate::refs::{Obj, wasm_instance_t, wasm_ref_t, wasm_trap_t};
use crate::store::{StoreData, wasm_config_t, wasm_store_t};
use crate::trap::{TrapObj, trap_of};
use crate::vec::{Vector, wasm_byte_vec_t, wasm_extern_vec_t, wasm_name_t};
use anyhow::{Result, anyhow, bail};
use kiln::wasi::{self, WasiCtx, WasiCtxBuilder};
use kiln::{Instance, Linker, OptLevel};
use std::ffi::{CStr, c_char};
use std::mem::MaybeUninit;

/// An error with a message (`kiln_error_message`).
pub struct kiln_error_t {
    message: String,
}

fn error(e: anyhow::Error) -> Box<kiln_error_t> {
    Box::new(kiln_error_t {
        message: format!("{e:#}"),
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn kiln_error_delete(_: Option<Box<kiln_error_t>>) {}

/// The message, NUL-terminated (the NUL counted in `out->size`).
#[unsafe(no_mangle)]
pub extern "C" fn kiln_error_message(e: &kiln_error_t, out: &mut MaybeUninit<wasm_name_t>) {
    out.write(wasm_name_t::nul_terminated(&e.message));
}

/// The binary of the text module `wat` (`wat_len` bytes), or an error.
///
/// # Safety
/// `wat` points to `wat_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kiln_wat2wasm(
    wat: *const u8,
    wat_len: usize,
    out: &mut MaybeUninit<wasm_byte_vec_t>,
) -> Option<Box<kiln_error_t>> {
    let text = if wat.is_null() || wat_len == 0 {
        &[][..]
    } else {
        // SAFETY: the caller passes `wat_len` bytes at `wat`.
        unsafe { std::slice::from_raw_parts(wat, wat_len) }
    };
    let result = std::str::from_utf8(text)
        .map_err(|e| anyhow!("the text is not UTF-8: {e}"))
        .and_then(|t| wat::parse_str(t).map_err(|e| anyhow!("{e}")));
    match result {
        Ok(bytes) => {
            out.write(Vector::from_vec(bytes));
            None
        }
        Err(e) => {
            out.write(Vector::empty());
            Some(error(e))
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn kiln_config_consume_fuel_set(c: &mut wasm_config_t, enable: bool) {
    c.config.consume_fuel(enable);
}

pub type kiln_opt_level_t = u8;
pub const KILN_OPT_LEVEL_NONE: kiln_opt_level_t = 0;
pub const KILN_OPT_LEVEL_SPEED: kiln_opt_level_t = 1;
pub const KILN_OPT_LEVEL_SPEED_AND_SIZE: kiln_opt_level_t = 2;

/// False (and no change) for an unknown level.
#[unsafe(no_mangle)]
pub extern "C" fn kiln_config_cranelift_opt_level_set(
    c: &mut wasm_config_t,
    level: kiln_opt_level_t,
) -> bool {
    let level = match level {
        KILN_OPT_LEVEL_NONE => OptLevel::None,
        KILN_OPT_LEVEL_SPEED => OptLevel::Speed,
        KILN_OPT_LEVEL_SPEED_AND_SIZE => OptLevel::SpeedAndSize,
        _ => return false,
    };
    c.config.cranelift_opt_level(level);
    true
}

/// An error unless the engine was configured to consume fuel.
#[unsafe(no_mangle)]
pub extern "C" fn kiln_store_set_fuel(
    store: &wasm_store_t,
    fuel: u64,
) -> Option<Box<kiln_error_t>> {
    store.store.with(|s| s.set_fuel(fuel)).err().map(error)
}

/// An error unless the engine was configured to consume fuel.
#[unsafe(no_mangle)]
pub extern "C" fn kiln_store_get_fuel(
    store: &wasm_store_t,
    fuel: &mut u64,
) -> Option<Box<kiln_error_t>> {
    match store.store.with(|s| s.get_fuel()) {
        Ok(f) => {
            *fuel = f;
            None
        }
        Err(e) => Some(error(e)),
    }
}

/// Whether `trap` is a WASI `proc_exit`, and its status.
#[unsafe(no_mangle)]
pub extern "C" fn kiln_trap_exit_status(trap: &wasm_trap_t, status: &mut i32) -> bool {
    match trap_of(trap).and_then(|t| t.exit_status) {
        Some(s) => {
            *status = s;
            true
        }
        None => false,
    }
}

// ------------------------------------------------------------------ WASI

/// What a WASI context will be made of.
#[derive(Default)]
pub struct kiln_wasi_config_t {
    args: Vec<Vec<u8>>,
    env: Vec<(Vec<u8>, Vec<u8>)>,
    stdin: bool,
    stdout: bool,
    stderr: bool,
    preopens: Vec<(String, String)>,
}

#[unsafe(no_mangle)]
pub extern "C" fn kiln_wasi_config_new() -> Box<kiln_wasi_config_t> {
    Box::default()
}

#[unsafe(no_mangle)]
pub extern "C" fn kiln_wasi_config_delete(_: Option<Box<kiln_wasi_config_t>>) {}

/// The C string at `p`, or `None` for NULL.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string.
unsafe fn c_bytes<'a>(p: *const c_char) -> Option<&'a [u8]> {
    // SAFETY: as the caller guarantees.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// The `n` strings at `p` (NULL entries skipped).
///
/// # Safety
/// `p` points to `n` pointers, each NULL or a NUL-terminated string.
unsafe fn c_strings(n: usize, p: *const *const c_char) -> Vec<Vec<u8>> {
    if p.is_null() {
        return Vec::new();
    }
    // SAFETY: as the caller guarantees.
    let ptrs = unsafe { std::slice::from_raw_parts(p, n) };
    ptrs.iter()
        // SAFETY: each entry is NULL or a string (the caller's promise).
        .filter_map(|&s| unsafe { c_bytes(s) }.map(<[u8]>::to_vec))
        .collect()
}

/// The guest's arguments (replacing earlier ones; `argv[0]` is the
/// program name by convention).
///
/// # Safety
/// `argv` points to `argc` NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kiln_wasi_config_set_argv(
    c: &mut kiln_wasi_config_t,
    argc: usize,
    argv: *const *const c_char,
) {
    // SAFETY: the caller's promise, passed on.
    c.args = unsafe { c_strings(argc, argv) };
}

/// The guest's environment (replacing an earlier one): `names[i]=values[i]`.
///
/// # Safety
/// `names` and `values` each point to `envc` NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kiln_wasi_config_set_env(
    c: &mut kiln_wasi_config_t,
    envc: usize,
    names: *const *const c_char,
    values: *const *const c_char,
) {
    // SAFETY: the caller's promise, passed on.
    let (names, values) = unsafe { (c_strings(envc, names), c_strings(envc, values)) };
    c.env = names.into_iter().zip(values).collect();
}

#[unsafe(no_mangle)]
pub extern "C" fn kiln_wasi_config_inherit_stdin(c: &mut kiln_wasi_config_t) {
    c.stdin = true;
}

#[unsafe(no_mangle)]
pub extern "C" fn kiln_wasi_config_inherit_stdout(c: &mut kiln_wasi_config_t) {
    c.stdout = true;
}

#[unsafe(no_mangle)]
pub extern "C" fn kiln_wasi_config_inherit_stderr(c: &mut kiln_wasi_config_t) {
    c.stderr = true;
}

/// Makes the host directory `host_path` visible to the guest as
/// `guest_path`. False if either is NULL or not UTF-8, or `host_path` is
/// not a directory.
///
/// # Safety
/// Both are NULL or NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kiln_wasi_config_preopen_dir(
    c: &mut kiln_wasi_config_t,
    host_path: *const c_char,
    guest_path: *const c_char,
) -> bool {
    // SAFETY: the caller's promise, passed on.
    let (host, guest) = unsafe { (c_bytes(host_path), c_bytes(guest_path)) };
    let (Some(host), Some(guest)) = (host, guest) else {
        return false;
    };
    let (Ok(host), Ok(guest)) = (std::str::from_utf8(host), std::str::from_utf8(guest)) else {
        return false;
    };
    if !std::path::Path::new(host).is_dir() {
        return false;
    }
    c.preopens.push((host.to_string(), guest.to_string()));
    true
}

fn build(c: &kiln_wasi_config_t) -> Result<WasiCtx> {
    let mut b = WasiCtxBuilder::new().args(&c.args);
    for (k, v) in &c.env {
        b = b.env(k, v);
    }
    if c.stdin {
        b = b.inherit_stdin();
    }
    if c.stdout {
        b = b.inherit_stdout();
    }
    if c.stderr {
        b = b.inherit_stderr();
    }
    for (host, guest) in &c.preopens {
        b = b.preopened_dir(host, guest.clone());
    }
    b.build()
}

/// Makes `config` the store's WASI state (taking it); an error if a
/// preopened directory cannot be opened.
#[unsafe(no_mangle)]
pub extern "C" fn kiln_store_set_wasi(
    store: &wasm_store_t,
    config: Box<kiln_wasi_config_t>,
) -> Option<Box<kiln_error_t>> {
    match build(&config) {
        Ok(cx) => {
            store.store.with(|s| s.data_mut().wasi = Some(cx));
            None
        }
        Err(e) => Some(error(e)),
    }
}

fn wasi_ctx(d: &mut StoreData) -> &mut WasiCtx {
    d.wasi.get_or_insert_with(WasiCtx::new)
}

/// Instantiates `module` with its `wasi_snapshot_preview1` imports
/// provided by the store's WASI state (`kiln_store_set_wasi`; without
/// one, no arguments, environment or preopens, and discarded output),
/// and its other imports taken in order from `imports`.
///
/// On success `*instance` is set. A trap of the start function sets
/// `*trap` (a `proc_exit` there is a trap `kiln_trap_exit_status`
/// reads); any other failure returns an error. Both pointers are left
/// NULL otherwise.
#[unsafe(no_mangle)]
pub extern "C" fn kiln_instance_new_with_wasi(
    store: &wasm_store_t,
    module: &wasm_ref_t,
    imports: Option<&wasm_extern_vec_t>,
    instance: &mut *mut wasm_instance_t,
    trap: &mut *mut wasm_trap_t,
) -> Option<Box<kiln_error_t>> {
    *instance = std::ptr::null_mut();
    *trap = std::ptr::null_mut();
    let store = &store.store;
    let result = (|| -> Result<Result<Instance>> {
        let module = module_of(module).ok_or_else(|| anyhow!("not a module"))?;
        let mut externs = import_externs(store, imports)?.into_iter();
        let mut linker = Linker::<StoreData>::new(&store.engine());
        wasi::add_to_linker(&mut linker, wasi_ctx)?;
        for import in module.imports() {
            if import.module() == wasi::MODULE {
                continue;
            }
            let Some(e) = externs.next() else {
                bail!(
                    "no import given for `{}::{}`",
                    import.module(),
                    import.name()
                );
            };
            linker.define(import.module(), import.name(), e)?;
        }
        if externs.next().is_some() {
            bail!("more imports given than the module's non-WASI imports");
        }
        Ok(store.with(|s| linker.instantiate(&mut *s, module)))
    })();
    match result {
        Ok(Ok(i)) => {
            *instance = Box::into_raw(Box::new(wasm_ref_t::new(store, Obj::Instance(i))));
            None
        }
        Ok(Err(e)) if is_trap(&e) => {
            *trap = Box::into_raw(TrapObj::from_error(e).into_ref());
            None
        }
        Ok(Err(e)) | Err(e) => Some(error(e)),
    }
}

fn is_trap(e: &anyhow::Error) -> bool {
    e.downcast_ref::<kiln::Trap>().is_some()
        || e.downcast_ref::<wasi::I32Exit>().is_some()
        || e.downcast_ref::<crate::trap::CallbackTrap>().is_some()
}
