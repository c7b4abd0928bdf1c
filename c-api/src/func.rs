//! Functions: host functions from C callbacks (`wasm_func_new`,
//! `wasm_func_new_with_env`), calls (`wasm_func_call`), and reflection.
//!
//! A callback gets its arguments as a vector it borrows (references in
//! it are deleted after the callback returns) and fills in a results
//! vector whose slots start as zero values of the result types; result
//! references it writes are owned by the library, which deletes them once
//! converted. A trap it returns unwinds the wasm frames and is what
//! `wasm_func_call` returns.

use crate::refs::{Obj, wasm_func_t, wasm_ref_t};
use crate::store::{StoreData, StoreRef, wasm_store_t};
use crate::trap::{CallbackTrap, TrapObj};
use crate::types::{wasm_externtype_t, wasm_functype_t};
use crate::val::wasm_val_t;
use crate::vec::{Vector, wasm_val_vec_t};
use anyhow::{Result, anyhow};
use kiln::{Caller, Extern, Func, Val};
use std::ffi::c_void;
use std::rc::{Rc, Weak};

pub type wasm_func_callback_t = unsafe extern "C" fn(
    args: &wasm_val_vec_t,
    results: &mut wasm_val_vec_t,
) -> Option<Box<wasm_ref_t>>;
pub type wasm_func_callback_with_env_t = unsafe extern "C" fn(
    env: *mut c_void,
    args: &wasm_val_vec_t,
    results: &mut wasm_val_vec_t,
) -> Option<Box<wasm_ref_t>>;

enum Callback {
    Plain(wasm_func_callback_t),
    Env(wasm_func_callback_with_env_t, *mut c_void),
}

/// The env's finalizer, run when the function goes (with its store).
struct EnvFinalizer {
    env: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
}

impl Drop for EnvFinalizer {
    fn drop(&mut self) {
        if let Some(f) = self.finalizer {
            // SAFETY: the C caller gave this finalizer for this env.
            unsafe { f(self.env) }
        }
    }
}

/// Everything the host closure holds. The store is held weakly: the
/// closure lives in the store, which must not own itself.
struct HostCallback {
    store: Weak<crate::store::StoreCell>,
    callback: Callback,
    _finalizer: EnvFinalizer,
}

impl HostCallback {
    fn call(
        &self,
        caller: Caller<'_, StoreData>,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let store = self
            .store
            .upgrade()
            .ok_or_else(|| anyhow!("the function's store is gone"))?;
        // The callback may use the store: the `Caller` is gone before it runs.
        let (args, mut out_vec) = c_vectors(caller, &store, params, results);
        // SAFETY: the callback and env are what C registered for this
        // function, called with vectors of the function's arity.
        let trap = unsafe {
            match self.callback {
                Callback::Plain(f) => f(&args, &mut out_vec),
                Callback::Env(f, env) => f(env, &args, &mut out_vec),
            }
        };
        drop(args);
        if let Some(trap) = trap {
            return Err(match CallbackTrap::new(&trap) {
                Some(t) => t.into(),
                None => anyhow!("a host callback returned a reference that is not a trap"),
            });
        }
        store.with(|s| -> Result<()> {
            for (r, v) in results.iter_mut().zip(out_vec.as_slice()) {
                *r = v.to_kiln(&store, &mut *s)?;
            }
            Ok(())
        })
    }
}

/// The callback's argument vector and zeroed result vector, made with
/// the `Caller`, which is consumed here (dropped before C runs).
fn c_vectors(
    caller: Caller<'_, StoreData>,
    store: &StoreRef,
    params: &[Val],
    results: &[Val],
) -> (wasm_val_vec_t, wasm_val_vec_t) {
    let args = params
        .iter()
        .map(|v| wasm_val_t::from_kiln(v, store, &caller))
        .collect();
    let out = results.iter().map(|v| wasm_val_t::zero(v.ty())).collect();
    (Vector::from_vec(args), Vector::from_vec(out))
}

// SAFETY: the callback runs only on its store's thread, which wasm.h
// confines the store and its functions to; the env pointer and the weak
// store reference are never touched from another thread.
unsafe impl Send for HostCallback {}
// SAFETY: as above.
unsafe impl Sync for HostCallback {}

fn new_func(
    store: &StoreRef,
    ty: &wasm_functype_t,
    callback: HostCallback,
) -> Option<Box<wasm_func_t>> {
    let ty = ty.func_type()?;
    let f = store.with(|s| {
        Func::new(&mut *s, ty, move |caller, params, results| {
            callback.call(caller, params, results)
        })
    });
    Some(Box::new(wasm_ref_t::new(
        store,
        Obj::Extern(Extern::Func(f)),
    )))
}

/// NULL if `ty` is not a function type (or holds a NULL value type) or
/// `callback` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_func_new(
    store: &wasm_store_t,
    ty: &wasm_functype_t,
    callback: Option<wasm_func_callback_t>,
) -> Option<Box<wasm_func_t>> {
    let callback = HostCallback {
        store: Rc::downgrade(&store.store),
        callback: Callback::Plain(callback?),
        _finalizer: EnvFinalizer {
            env: std::ptr::null_mut(),
            finalizer: None,
        },
    };
    new_func(&store.store, ty, callback)
}

/// As `wasm_func_new`; `finalizer(env)` runs when the function is freed
/// (with its store), or at once if the function cannot be made.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_func_new_with_env(
    store: &wasm_store_t,
    ty: &wasm_functype_t,
    callback: Option<wasm_func_callback_with_env_t>,
    env: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) -> Option<Box<wasm_func_t>> {
    let finalizer = EnvFinalizer { env, finalizer };
    let callback = HostCallback {
        store: Rc::downgrade(&store.store),
        callback: Callback::Env(callback?, env),
        _finalizer: finalizer,
    };
    new_func(&store.store, ty, callback)
}

fn func_of(f: &wasm_func_t) -> Option<(&StoreRef, Func)> {
    match f.as_extern()? {
        (s, Extern::Func(f)) => Some((s, f)),
        _ => None,
    }
}

fn func_type(f: &wasm_func_t) -> Option<kiln::FuncType> {
    let (store, f) = func_of(f)?;
    Some(store.with(|s| f.ty(&*s)))
}

/// NULL if `f` is not a function.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_func_type(f: &wasm_func_t) -> Option<Box<wasm_functype_t>> {
    Some(Box::new(wasm_externtype_t::from_func(&func_type(f)?)))
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_func_param_arity(f: &wasm_func_t) -> usize {
    func_type(f).map_or(0, |t| t.params().len())
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_func_result_arity(f: &wasm_func_t) -> usize {
    func_type(f).map_or(0, |t| t.results().len())
}

/// Calls `f`. The results are written to the first elements of
/// `results`, overwritten (not deleted first: they may be uninitialised);
/// those that do not fit are dropped (the upstream `trap.c` example
/// passes an empty vector to functions with a result). Returns NULL on
/// success, else the trap, which is also how a wrong argument count or
/// type is reported.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_func_call(
    f: &wasm_func_t,
    args: &wasm_val_vec_t,
    results: &mut wasm_val_vec_t,
) -> Option<Box<wasm_ref_t>> {
    let Some((store, func)) = func_of(f) else {
        return Some(TrapObj::from_error(anyhow!("not a function")).into_ref());
    };
    let outcome = store.with(|s| -> Result<Vec<Val>> {
        let ty = func.ty(&*s);
        let params = args
            .as_slice()
            .iter()
            .map(|v| v.to_kiln(store, &mut *s))
            .collect::<Result<Vec<Val>>>()?;
        let mut out: Vec<Val> = ty.results().iter().map(|_| Val::I32(0)).collect();
        func.call(&mut *s, &params, &mut out)?;
        Ok(out)
    });
    match outcome {
        Ok(vals) => {
            store.with(|s| {
                for (slot, v) in results.as_mut_slice().iter_mut().zip(&vals) {
                    // `wasm_val_t` has no destructor: the old value, maybe
                    // uninitialised, is overwritten, never read.
                    *slot = wasm_val_t::from_kiln(v, store, &*s);
                }
            });
            None
        }
        Err(e) => Some(TrapObj::from_error(e).into_ref()),
    }
}
