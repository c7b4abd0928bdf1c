//! Globals, tables, memories, externs and instances.
//!
//! Failures wasm.h can express are NULL or false (a type the store cannot
//! create, a table index out of range, growth beyond the maximum, an
//! import of the wrong type); `wasm_global_set` has no result and leaves
//! the global unchanged on a wrong value.

use crate::module::module_of;
use crate::refs::{
    Obj, wasm_extern_t, wasm_global_t, wasm_instance_t, wasm_memory_t, wasm_ref_t, wasm_table_t,
};
use crate::store::{StoreRef, wasm_store_t};
use crate::trap::TrapObj;
use crate::types::{
    WASM_EXTERN_FUNC, WASM_EXTERN_GLOBAL, WASM_EXTERN_MEMORY, WASM_EXTERN_TABLE, wasm_externkind_t,
    wasm_externtype_t, wasm_globaltype_t, wasm_memorytype_t, wasm_tabletype_t,
};
use crate::val::{externref_obj, ref_to_kiln, wasm_val_t};
use crate::vec::{Vector, wasm_extern_vec_t};
use anyhow::{Result, anyhow};
use kiln::{Extern, Global, Instance, Memory, RefType, Table, Val};
use std::mem::MaybeUninit;

fn extern_ref(store: &StoreRef, e: Extern) -> Box<wasm_ref_t> {
    Box::new(wasm_ref_t::new(store, Obj::Extern(e)))
}

// ---------------------------------------------------------------- globals

fn global_of(g: &wasm_global_t) -> Option<(&StoreRef, Global)> {
    match g.as_extern()? {
        (s, Extern::Global(g)) => Some((s, g)),
        _ => None,
    }
}

/// NULL if the value does not have the global's type.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_global_new(
    store: &wasm_store_t,
    ty: &wasm_globaltype_t,
    val: &wasm_val_t,
) -> Option<Box<wasm_global_t>> {
    let ty = ty.global_type()?;
    let store = &store.store;
    let g = store.with(|s| -> Result<Global> {
        let v = val.to_kiln(store, &mut *s)?;
        Global::new(&mut *s, ty, v)
    });
    Some(extern_ref(store, g.ok()?.into()))
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_global_type(g: &wasm_global_t) -> Option<Box<wasm_globaltype_t>> {
    let (store, g) = global_of(g)?;
    let ty = store.with(|s| Extern::Global(g).ty(&*s));
    Some(Box::new(wasm_externtype_t::from_kiln(&ty)))
}

/// The value (a reference in it is new, owned by `out`); a null
/// externref if `g` is not a global.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_global_get(g: &wasm_global_t, out: &mut MaybeUninit<wasm_val_t>) {
    let v = match global_of(g) {
        Some((store, g)) => store.with(|s| {
            let v = g.get(&mut *s);
            wasm_val_t::from_kiln(&v, store, &*s)
        }),
        None => wasm_val_t::null_ref(),
    };
    out.write(v);
}

/// Leaves the global unchanged if it is immutable or `val` has another
/// type (wasm.h gives this function no result).
#[unsafe(no_mangle)]
pub extern "C" fn wasm_global_set(g: &wasm_global_t, val: &wasm_val_t) {
    if let Some((store, g)) = global_of(g) {
        let _ = store.with(|s| -> Result<()> {
            let v = val.to_kiln(store, &mut *s)?;
            g.set(&mut *s, v)
        });
    }
}

// ----------------------------------------------------------------- tables

fn table_of(t: &wasm_table_t) -> Option<(&StoreRef, Table)> {
    match t.as_extern()? {
        (s, Extern::Table(t)) => Some((s, t)),
        _ => None,
    }
}

fn table_element(store: &StoreRef, t: Table) -> RefType {
    store.with(|s| t.ty(&*s).element().clone())
}

/// The element `r` (NULL: null) for a table of `t`'s element type.
fn table_val(store: &StoreRef, t: Table, r: Option<&wasm_ref_t>) -> Result<Val> {
    let elem = table_element(store, t);
    store.with(|s| ref_to_kiln(r, elem, store, &mut *s))
}

/// NULL if the type is invalid, `init` does not fit the element type, or
/// the store refuses the table.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_table_new(
    store: &wasm_store_t,
    ty: &wasm_tabletype_t,
    init: Option<&wasm_ref_t>,
) -> Option<Box<wasm_table_t>> {
    let ty = ty.table_type()?;
    let store = &store.store;
    let t = store.with(|s| -> Result<Table> {
        let init = ref_to_kiln(init, ty.element().clone(), store, &mut *s)?;
        Table::new(&mut *s, ty, init)
    });
    Some(extern_ref(store, t.ok()?.into()))
}

/// The current type: the minimum is the current size.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_table_type(t: &wasm_table_t) -> Option<Box<wasm_tabletype_t>> {
    let (store, t) = table_of(t)?;
    let ty = store.with(|s| Extern::Table(t).ty(&*s));
    Some(Box::new(wasm_externtype_t::from_kiln(&ty)))
}

/// The element (a new reference), or NULL if it is null or `index` is
/// out of range.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_table_get(t: &wasm_table_t, index: u32) -> Option<Box<wasm_ref_t>> {
    let (store, t) = table_of(t)?;
    store.with(|s| -> Option<Box<wasm_ref_t>> {
        let obj = match t.get(&mut *s, u64::from(index))? {
            Val::FuncRef(f) => Obj::Extern(Extern::Func(f?)),
            Val::ExternRef(r) => externref_obj(&r?, &*s)?,
            _ => return None,
        };
        Some(Box::new(wasm_ref_t::new(store, obj)))
    })
}

/// False if `index` is out of range or `r` does not fit the element type.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_table_set(t: &wasm_table_t, index: u32, r: Option<&wasm_ref_t>) -> bool {
    let Some((store, t)) = table_of(t) else {
        return false;
    };
    let Ok(v) = table_val(store, t, r) else {
        return false;
    };
    store.with(|s| t.set(&mut *s, u64::from(index), v).is_ok())
}

/// The size, saturated at `u32::MAX` for a 64-bit table.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_table_size(t: &wasm_table_t) -> u32 {
    table_of(t).map_or(0, |(store, t)| {
        store.with(|s| u32::try_from(t.size(&*s)).unwrap_or(u32::MAX))
    })
}

/// False if the table cannot grow by `delta` (its maximum, the store's
/// limits) or `init` does not fit the element type.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_table_grow(t: &wasm_table_t, delta: u32, init: Option<&wasm_ref_t>) -> bool {
    let Some((store, t)) = table_of(t) else {
        return false;
    };
    let Ok(v) = table_val(store, t, init) else {
        return false;
    };
    store.with(|s| t.grow(&mut *s, u64::from(delta), v).is_ok())
}

// --------------------------------------------------------------- memories

fn memory_of(m: &wasm_memory_t) -> Option<(&StoreRef, Memory)> {
    match m.as_extern()? {
        (s, Extern::Memory(m)) => Some((s, m)),
        _ => None,
    }
}

/// NULL if the limits are invalid or the store refuses the memory.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_memory_new(
    store: &wasm_store_t,
    ty: &wasm_memorytype_t,
) -> Option<Box<wasm_memory_t>> {
    let ty = ty.memory_type()?;
    let store = &store.store;
    let m = store.with(|s| Memory::new(&mut *s, ty)).ok()?;
    Some(extern_ref(store, m.into()))
}

/// The current type: the minimum is the current size.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_memory_type(m: &wasm_memory_t) -> Option<Box<wasm_memorytype_t>> {
    let (store, m) = memory_of(m)?;
    let ty = store.with(|s| Extern::Memory(m).ty(&*s));
    Some(Box::new(wasm_externtype_t::from_kiln(&ty)))
}

/// The memory's bytes, valid until it grows (which may move them).
#[unsafe(no_mangle)]
pub extern "C" fn wasm_memory_data(m: &wasm_memory_t) -> *mut u8 {
    memory_of(m).map_or(std::ptr::null_mut(), |(store, m)| {
        store.with(|s| m.data_mut(&mut *s).as_mut_ptr())
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_memory_data_size(m: &wasm_memory_t) -> usize {
    memory_of(m).map_or(0, |(store, m)| store.with(|s| m.data_size(&*s)))
}

/// The size in pages, saturated at `u32::MAX`.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_memory_size(m: &wasm_memory_t) -> u32 {
    memory_of(m).map_or(0, |(store, m)| {
        store.with(|s| u32::try_from(m.size(&*s)).unwrap_or(u32::MAX))
    })
}

/// False if the memory cannot grow by `delta` pages.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_memory_grow(m: &wasm_memory_t, delta: u32) -> bool {
    memory_of(m).is_some_and(|(store, m)| store.with(|s| m.grow(&mut *s, u64::from(delta)).is_ok()))
}

// ---------------------------------------------------------------- externs

/// The kind of an extern (`WASM_EXTERN_FUNC` for anything else, which
/// is no extern: a C type error).
#[unsafe(no_mangle)]
pub extern "C" fn wasm_extern_kind(e: &wasm_extern_t) -> wasm_externkind_t {
    match e.obj {
        Obj::Extern(Extern::Global(_)) => WASM_EXTERN_GLOBAL,
        Obj::Extern(Extern::Table(_)) => WASM_EXTERN_TABLE,
        Obj::Extern(Extern::Memory(_)) => WASM_EXTERN_MEMORY,
        _ => WASM_EXTERN_FUNC,
    }
}

/// The current type (tables and memories report their current size as
/// minimum); NULL if `e` is not an extern.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_extern_type(e: &wasm_extern_t) -> Option<Box<wasm_externtype_t>> {
    let (store, e) = e.as_extern()?;
    let ty = store.with(|s| e.ty(&*s));
    Some(Box::new(wasm_externtype_t::from_kiln(&ty)))
}

// -------------------------------------------------------------- instances

/// Instantiates `module` with `imports` (in the order of its imports).
/// On failure returns NULL and, if `trap` is not NULL, sets `*trap`: to
/// the start function's trap, or to a trap whose message says why
/// instantiation failed (a missing or mistyped import, an import of
/// another store, the store's limits).
#[unsafe(no_mangle)]
pub extern "C" fn wasm_instance_new(
    store: &wasm_store_t,
    module: &wasm_ref_t,
    imports: Option<&wasm_extern_vec_t>,
    trap: Option<&mut *mut wasm_ref_t>,
) -> Option<Box<wasm_instance_t>> {
    let store = &store.store;
    match instantiate(store, module, imports) {
        Ok(i) => Some(Box::new(wasm_ref_t::new(store, Obj::Instance(i)))),
        Err(e) => {
            if let Some(trap) = trap {
                *trap = Box::into_raw(TrapObj::from_error(e).into_ref());
            }
            None
        }
    }
}

/// The Kiln externs of `imports`, all of `store`.
pub(crate) fn import_externs(
    store: &StoreRef,
    imports: Option<&wasm_extern_vec_t>,
) -> Result<Vec<Extern>> {
    let imports = imports.map_or(&[][..], Vector::as_slice);
    imports
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let (s, e) = e
                .as_deref()
                .and_then(wasm_ref_t::as_extern)
                .ok_or_else(|| anyhow!("import {i} is not an extern"))?;
            if !std::rc::Rc::ptr_eq(s, store) {
                return Err(anyhow!("import {i}: object used with the wrong store"));
            }
            Ok(e)
        })
        .collect()
}

fn instantiate(
    store: &StoreRef,
    module: &wasm_ref_t,
    imports: Option<&wasm_extern_vec_t>,
) -> Result<Instance> {
    let module = module_of(module).ok_or_else(|| anyhow!("not a module"))?;
    let externs = import_externs(store, imports)?;
    store.with(|s| Instance::new(&mut *s, module, &externs))
}

pub(crate) fn instance_of(i: &wasm_instance_t) -> Option<(&StoreRef, Instance)> {
    match (&i.store, &i.obj) {
        (Some(s), Obj::Instance(i)) => Some((s, *i)),
        _ => None,
    }
}

/// The exports, in order, as new references.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_instance_exports(
    i: &wasm_instance_t,
    out: &mut MaybeUninit<wasm_extern_vec_t>,
) {
    let v = match instance_of(i) {
        Some((store, i)) => store
            .with(|s| i.exports(&mut *s))
            .into_iter()
            .map(|(_, e)| Some(extern_ref(store, e)))
            .collect(),
        None => Vec::new(),
    };
    out.write(Vector::from_vec(v));
}
