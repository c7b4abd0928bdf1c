//! Config, engine and store, and `StoreRef`: the shared handle to a store
//! that every runtime object (function, global, table, memory, instance,
//! foreign object) carries, since wasm.h's functions on them take no store.
//!
//! `wasm_store_delete` drops one owner: the Kiln store, and with it every
//! object and host info finalizer of it, goes when its last object has
//! been deleted too, so deleting in any order is sound.

use crate::refs::{HostInfo, Obj};
use kiln::wasi::WasiCtx;
use kiln::{Config, Engine, Store};
use std::cell::UnsafeCell;
use std::rc::Rc;

pub struct wasm_config_t {
    pub(crate) config: Config,
}

pub struct wasm_engine_t {
    pub(crate) engine: Engine,
}

pub struct wasm_store_t {
    pub(crate) store: StoreRef,
}

/// What the C API keeps in a Kiln store beside its objects.
#[derive(Default)]
pub struct StoreData {
    /// Host info of functions, globals, tables, memories and instances:
    /// it belongs to the object, which lives as long as the store.
    pub(crate) host_info: Vec<(Obj, HostInfo)>,
    /// The WASI state, made on first use or by `kiln_store_set_wasi`.
    pub(crate) wasi: Option<WasiCtx>,
}

/// The store, shared by `wasm_store_t` and every object of it.
pub(crate) struct StoreCell {
    store: UnsafeCell<Store<StoreData>>,
}

pub(crate) type StoreRef = Rc<StoreCell>;

impl StoreCell {
    /// Runs `f` on the store. wasm.h lets host callbacks use any object of
    /// the store while a call into wasm is running, so this is re-entered
    /// from inside `Func::call` (through the callback): `f` must not keep
    /// a borrow of the store across a call into C.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Store<StoreData>) -> R) -> R {
        // SAFETY: stores are single-threaded (`Rc`). A nested `with` runs
        // only while an outer one is inside `Func::call`, suspended in a
        // host callback: the engine itself reaches the store from a raw
        // pointer there (its host-call shim), and the outer frame touches
        // the store again only after the callback has returned. No
        // reference made here outlives `f`.
        f(unsafe { &mut *self.store.get() })
    }

    pub(crate) fn engine(&self) -> Engine {
        self.with(|s| s.engine().clone())
    }
}

impl wasm_store_t {
    pub(crate) fn new(engine: &Engine) -> wasm_store_t {
        wasm_store_t {
            store: Rc::new(StoreCell {
                store: UnsafeCell::new(Store::new(engine, StoreData::default())),
            }),
        }
    }
}

/// The configuration of C API engines: Kiln's default without exception
/// handling, which wasm.h cannot express (it has no tags and no exnref):
/// modules using it are refused when compiled.
fn c_config() -> Config {
    let mut config = Config::new();
    config.wasm_exceptions(false);
    config
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_config_new() -> Box<wasm_config_t> {
    Box::new(wasm_config_t { config: c_config() })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_config_delete(_: Option<Box<wasm_config_t>>) {}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_engine_new() -> Option<Box<wasm_engine_t>> {
    Engine::new(&c_config())
        .ok()
        .map(|engine| Box::new(wasm_engine_t { engine }))
}

/// NULL if the configuration cannot make an engine (e.g. for this host).
#[unsafe(no_mangle)]
pub extern "C" fn wasm_engine_new_with_config(
    config: Box<wasm_config_t>,
) -> Option<Box<wasm_engine_t>> {
    Engine::new(&config.config)
        .ok()
        .map(|engine| Box::new(wasm_engine_t { engine }))
}

/// Stores and modules keep their engine alive, so this never invalidates
/// them.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_engine_delete(_: Option<Box<wasm_engine_t>>) {}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_store_new(engine: &wasm_engine_t) -> Box<wasm_store_t> {
    Box::new(wasm_store_t::new(&engine.engine))
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_store_delete(_: Option<Box<wasm_store_t>>) {}
