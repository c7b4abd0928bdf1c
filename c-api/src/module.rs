//! Modules: compile, validate, reflect, serialise to a Kiln artifact and
//! back, and share with another thread (`wasm_shared_module_t` holds the
//! compiled `kiln::Module`, which is `Send + Sync`; `obtain` makes a new
//! module reference of it for a store of the same engine).
//!
//! `wasm_module_new` and `wasm_module_validate` take the binary format
//! only, as wasm.h says (`kiln_wat2wasm` converts text).
//! `wasm_module_deserialize` loads native code: like wasmtime's, it
//! trusts its input, which must come from `wasm_module_serialize`.

use crate::refs::{HostInfo, Obj, wasm_module_t, wasm_ref_t};
use crate::store::wasm_store_t;
use crate::types::{wasm_exporttype_t, wasm_importtype_t};
use crate::vec::{Vector, wasm_byte_vec_t, wasm_exporttype_vec_t, wasm_importtype_vec_t};
use kiln::{Engine, Module};
use std::cell::RefCell;
use std::mem::MaybeUninit;
use std::rc::Rc;

pub struct ModuleObj {
    pub(crate) module: Module,
    pub(crate) host_info: RefCell<Option<HostInfo>>,
}

pub struct wasm_shared_module_t {
    module: Module,
}

fn module_ref(module: Module) -> Box<wasm_module_t> {
    Box::new(wasm_ref_t {
        store: None,
        obj: Obj::Module(Rc::new(ModuleObj {
            module,
            host_info: RefCell::new(None),
        })),
    })
}

pub(crate) fn module_of(m: &wasm_module_t) -> Option<&Module> {
    match &m.obj {
        Obj::Module(m) => Some(&m.module),
        _ => None,
    }
}

const WASM_MAGIC: &[u8] = b"\0asm";

/// NULL if `binary` is not a valid module for the store's engine.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_module_new(
    store: &wasm_store_t,
    binary: &wasm_byte_vec_t,
) -> Option<Box<wasm_module_t>> {
    let engine = store.store.engine();
    Module::from_binary(&engine, binary.as_slice())
        .ok()
        .map(module_ref)
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_module_validate(store: &wasm_store_t, binary: &wasm_byte_vec_t) -> bool {
    let bytes = binary.as_slice();
    bytes.starts_with(WASM_MAGIC) && Module::validate(&store.store.engine(), bytes).is_ok()
}

/// The imports, in order; empty if `m` is not a module.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_module_imports(
    m: &wasm_module_t,
    out: &mut MaybeUninit<wasm_importtype_vec_t>,
) {
    let v = module_of(m).map_or_else(Vec::new, |m| {
        m.imports()
            .map(|i| Some(Box::new(wasm_importtype_t::from_kiln(&i))))
            .collect()
    });
    out.write(Vector::from_vec(v));
}

/// The exports, in order; empty if `m` is not a module.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_module_exports(
    m: &wasm_module_t,
    out: &mut MaybeUninit<wasm_exporttype_vec_t>,
) {
    let v = module_of(m).map_or_else(Vec::new, |m| {
        m.exports()
            .map(|e| Some(Box::new(wasm_exporttype_t::from_kiln(&e))))
            .collect()
    });
    out.write(Vector::from_vec(v));
}

/// The module as a Kiln artifact (native code); an empty vector if it
/// cannot be written.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_module_serialize(m: &wasm_module_t, out: &mut MaybeUninit<wasm_byte_vec_t>) {
    let bytes = module_of(m)
        .and_then(|m| m.serialize().ok())
        .unwrap_or_default();
    out.write(Vector::from_vec(bytes));
}

/// NULL unless `bytes` is an artifact of `wasm_module_serialize` that
/// this engine can load (damaged or incompatible ones are refused).
/// Trusted input only: an artifact is native code.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_module_deserialize(
    store: &wasm_store_t,
    bytes: &wasm_byte_vec_t,
) -> Option<Box<wasm_module_t>> {
    let engine = store.store.engine();
    // SAFETY: wasm.h's contract for this function, as wasmtime's C API
    // documents it: the bytes are a module serialised by this library,
    // trusted like the program's own code (kiln.h says so).
    unsafe { Module::deserialize(&engine, bytes.as_slice()) }
        .ok()
        .map(module_ref)
}

/// NULL if `m` is not a module.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_module_share(m: &wasm_module_t) -> Option<Box<wasm_shared_module_t>> {
    let module = module_of(m)?.clone();
    Some(Box::new(wasm_shared_module_t { module }))
}

/// A module reference for `store`; NULL if the store belongs to another
/// engine than the module.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_module_obtain(
    store: &wasm_store_t,
    shared: &wasm_shared_module_t,
) -> Option<Box<wasm_module_t>> {
    if !Engine::same(&store.store.engine(), shared.module.engine()) {
        return None;
    }
    Some(module_ref(shared.module.clone()))
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_shared_module_delete(_: Option<Box<wasm_shared_module_t>>) {}
