//! `wasm_ref_t`: the one struct behind every wasm.h reference type.
//! `wasm_func_t`, `wasm_global_t`, `wasm_table_t`, `wasm_memory_t`,
//! `wasm_extern_t`, `wasm_instance_t`, `wasm_module_t`, `wasm_trap_t` and
//! `wasm_foreign_t` are all this struct, so every `_as_ref`/`_as_extern`
//! cast returns the same pointer (or NULL when the kind differs), and a
//! `wasm_ref_t*` read out of a table or a value casts back to what it is.
//!
//! A `wasm_ref_t` is one owner's reference to an object: `copy` makes
//! another reference, `same` compares the objects. Host info belongs to
//! the object, not the reference: for store objects it is kept in the
//! store (they live as long as it, so their finalizers run when the store
//! goes), for modules, traps and foreign objects beside the object
//! (finalized when its last reference is deleted). Setting new host info
//! finalizes the old one.

use crate::module::ModuleObj;
use crate::store::StoreRef;
use crate::trap::TrapObj;
use kiln::{Extern, Instance};
use std::cell::RefCell;
use std::ffi::c_void;
use std::rc::Rc;

/// A host info pointer with its finalizer, called when this is dropped.
pub struct HostInfo {
    data: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
}

impl Drop for HostInfo {
    fn drop(&mut self) {
        if let Some(f) = self.finalizer {
            // SAFETY: the C caller gave this finalizer for this pointer.
            unsafe { f(self.data) }
        }
    }
}

/// A foreign object: nothing but its identity and host info.
#[derive(Default)]
pub struct Foreign {
    host_info: RefCell<Option<HostInfo>>,
}

/// What a reference refers to, without its store.
#[derive(Clone)]
pub enum Obj {
    Extern(Extern),
    Instance(Instance),
    Module(Rc<ModuleObj>),
    Trap(Rc<TrapObj>),
    Foreign(Rc<Foreign>),
}

impl Obj {
    /// Whether both are the same object.
    pub fn same(&self, other: &Obj) -> bool {
        match (self, other) {
            (Obj::Extern(a), Obj::Extern(b)) => match (a, b) {
                (Extern::Func(a), Extern::Func(b)) => a == b,
                (Extern::Global(a), Extern::Global(b)) => a == b,
                (Extern::Table(a), Extern::Table(b)) => a == b,
                (Extern::Memory(a), Extern::Memory(b)) => a == b,
                _ => false,
            },
            (Obj::Instance(a), Obj::Instance(b)) => a == b,
            (Obj::Module(a), Obj::Module(b)) => Rc::ptr_eq(a, b),
            (Obj::Trap(a), Obj::Trap(b)) => Rc::ptr_eq(a, b),
            (Obj::Foreign(a), Obj::Foreign(b)) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Where the host info of an object outside any store lives.
    fn own_host_info(&self) -> Option<&RefCell<Option<HostInfo>>> {
        match self {
            Obj::Module(m) => Some(&m.host_info),
            Obj::Trap(t) => Some(&t.host_info),
            Obj::Foreign(f) => Some(&f.host_info),
            Obj::Extern(_) | Obj::Instance(_) => None,
        }
    }
}

/// Every wasm.h reference. `store` is set for the objects of a store
/// (functions, globals, tables, memories, instances, foreign objects).
#[derive(Clone)]
pub struct wasm_ref_t {
    pub(crate) store: Option<StoreRef>,
    pub(crate) obj: Obj,
}

pub type wasm_func_t = wasm_ref_t;
pub type wasm_global_t = wasm_ref_t;
pub type wasm_table_t = wasm_ref_t;
pub type wasm_memory_t = wasm_ref_t;
pub type wasm_extern_t = wasm_ref_t;
pub type wasm_instance_t = wasm_ref_t;
pub type wasm_module_t = wasm_ref_t;
pub type wasm_trap_t = wasm_ref_t;
pub type wasm_foreign_t = wasm_ref_t;

impl wasm_ref_t {
    pub(crate) fn new(store: &StoreRef, obj: Obj) -> wasm_ref_t {
        wasm_ref_t {
            store: Some(store.clone()),
            obj,
        }
    }

    /// The store and the extern, for a function, global, table or memory.
    pub(crate) fn as_extern(&self) -> Option<(&StoreRef, Extern)> {
        match (&self.store, &self.obj) {
            (Some(s), Obj::Extern(e)) => Some((s, *e)),
            _ => None,
        }
    }

    fn get_host_info(&self) -> *mut c_void {
        if let Some(cell) = self.obj.own_host_info() {
            return cell
                .borrow()
                .as_ref()
                .map_or(std::ptr::null_mut(), |h| h.data);
        }
        let Some(store) = &self.store else {
            return std::ptr::null_mut();
        };
        store.with(|s| {
            s.data()
                .host_info
                .iter()
                .find(|(o, _)| o.same(&self.obj))
                .map_or(std::ptr::null_mut(), |(_, h)| h.data)
        })
    }

    fn set_host_info(&self, info: HostInfo) {
        // The replaced info is dropped (finalized) only after the store is
        // released, since its finalizer may call back into the API.
        let old = if let Some(cell) = self.obj.own_host_info() {
            cell.borrow_mut().replace(info)
        } else if let Some(store) = &self.store {
            store.with(|s| {
                let infos = &mut s.data_mut().host_info;
                match infos.iter_mut().find(|(o, _)| o.same(&self.obj)) {
                    Some((_, h)) => Some(std::mem::replace(h, info)),
                    None => {
                        infos.push((self.obj.clone(), info));
                        None
                    }
                }
            })
        } else {
            Some(info)
        };
        drop(old);
    }
}

/// Is `r` one of the kind the cast names?
fn is_func(r: &wasm_ref_t) -> bool {
    matches!(r.obj, Obj::Extern(Extern::Func(_)))
}
fn is_global(r: &wasm_ref_t) -> bool {
    matches!(r.obj, Obj::Extern(Extern::Global(_)))
}
fn is_table(r: &wasm_ref_t) -> bool {
    matches!(r.obj, Obj::Extern(Extern::Table(_)))
}
fn is_memory(r: &wasm_ref_t) -> bool {
    matches!(r.obj, Obj::Extern(Extern::Memory(_)))
}
fn is_extern(r: &wasm_ref_t) -> bool {
    matches!(r.obj, Obj::Extern(_))
}
fn is_instance(r: &wasm_ref_t) -> bool {
    matches!(r.obj, Obj::Instance(_))
}
fn is_module(r: &wasm_ref_t) -> bool {
    matches!(r.obj, Obj::Module(_))
}
fn is_trap(r: &wasm_ref_t) -> bool {
    matches!(r.obj, Obj::Trap(_))
}
fn is_foreign(r: &wasm_ref_t) -> bool {
    matches!(r.obj, Obj::Foreign(_))
}

/// `WASM_DECLARE_REF_BASE`: delete, copy, same and host info.
macro_rules! ref_base {
    ($delete:ident, $copy:ident, $same:ident, $get:ident, $set:ident, $set_fin:ident) => {
        #[unsafe(no_mangle)]
        pub extern "C" fn $delete(_: Option<Box<wasm_ref_t>>) {}

        #[unsafe(no_mangle)]
        pub extern "C" fn $copy(r: &wasm_ref_t) -> Box<wasm_ref_t> {
            Box::new(r.clone())
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $same(a: &wasm_ref_t, b: &wasm_ref_t) -> bool {
            a.obj.same(&b.obj)
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $get(r: &wasm_ref_t) -> *mut c_void {
            r.get_host_info()
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $set(r: &wasm_ref_t, info: *mut c_void) {
            r.set_host_info(HostInfo {
                data: info,
                finalizer: None,
            })
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $set_fin(
            r: &wasm_ref_t,
            info: *mut c_void,
            finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
        ) {
            r.set_host_info(HostInfo {
                data: info,
                finalizer,
            })
        }
    };
}

/// `WASM_DECLARE_REF`: the base plus the four casts to and from
/// `wasm_ref_t` (same pointer, or NULL when the kind differs).
macro_rules! reference {
    ($is:ident, $delete:ident, $copy:ident, $same:ident, $get:ident, $set:ident, $set_fin:ident,
     $as_ref:ident, $ref_as:ident, $as_ref_const:ident, $ref_as_const:ident) => {
        ref_base!($delete, $copy, $same, $get, $set, $set_fin);

        #[unsafe(no_mangle)]
        pub extern "C" fn $as_ref(r: Option<&mut wasm_ref_t>) -> Option<&mut wasm_ref_t> {
            r
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $ref_as(r: Option<&mut wasm_ref_t>) -> Option<&mut wasm_ref_t> {
            r.filter(|r| $is(r))
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $as_ref_const(r: Option<&wasm_ref_t>) -> Option<&wasm_ref_t> {
            r
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $ref_as_const(r: Option<&wasm_ref_t>) -> Option<&wasm_ref_t> {
            r.filter(|r| $is(r))
        }
    };
}

ref_base!(
    wasm_ref_delete,
    wasm_ref_copy,
    wasm_ref_same,
    wasm_ref_get_host_info,
    wasm_ref_set_host_info,
    wasm_ref_set_host_info_with_finalizer
);

reference!(
    is_trap,
    wasm_trap_delete,
    wasm_trap_copy,
    wasm_trap_same,
    wasm_trap_get_host_info,
    wasm_trap_set_host_info,
    wasm_trap_set_host_info_with_finalizer,
    wasm_trap_as_ref,
    wasm_ref_as_trap,
    wasm_trap_as_ref_const,
    wasm_ref_as_trap_const
);
reference!(
    is_foreign,
    wasm_foreign_delete,
    wasm_foreign_copy,
    wasm_foreign_same,
    wasm_foreign_get_host_info,
    wasm_foreign_set_host_info,
    wasm_foreign_set_host_info_with_finalizer,
    wasm_foreign_as_ref,
    wasm_ref_as_foreign,
    wasm_foreign_as_ref_const,
    wasm_ref_as_foreign_const
);
reference!(
    is_module,
    wasm_module_delete,
    wasm_module_copy,
    wasm_module_same,
    wasm_module_get_host_info,
    wasm_module_set_host_info,
    wasm_module_set_host_info_with_finalizer,
    wasm_module_as_ref,
    wasm_ref_as_module,
    wasm_module_as_ref_const,
    wasm_ref_as_module_const
);
reference!(
    is_func,
    wasm_func_delete,
    wasm_func_copy,
    wasm_func_same,
    wasm_func_get_host_info,
    wasm_func_set_host_info,
    wasm_func_set_host_info_with_finalizer,
    wasm_func_as_ref,
    wasm_ref_as_func,
    wasm_func_as_ref_const,
    wasm_ref_as_func_const
);
reference!(
    is_global,
    wasm_global_delete,
    wasm_global_copy,
    wasm_global_same,
    wasm_global_get_host_info,
    wasm_global_set_host_info,
    wasm_global_set_host_info_with_finalizer,
    wasm_global_as_ref,
    wasm_ref_as_global,
    wasm_global_as_ref_const,
    wasm_ref_as_global_const
);
reference!(
    is_table,
    wasm_table_delete,
    wasm_table_copy,
    wasm_table_same,
    wasm_table_get_host_info,
    wasm_table_set_host_info,
    wasm_table_set_host_info_with_finalizer,
    wasm_table_as_ref,
    wasm_ref_as_table,
    wasm_table_as_ref_const,
    wasm_ref_as_table_const
);
reference!(
    is_memory,
    wasm_memory_delete,
    wasm_memory_copy,
    wasm_memory_same,
    wasm_memory_get_host_info,
    wasm_memory_set_host_info,
    wasm_memory_set_host_info_with_finalizer,
    wasm_memory_as_ref,
    wasm_ref_as_memory,
    wasm_memory_as_ref_const,
    wasm_ref_as_memory_const
);
reference!(
    is_extern,
    wasm_extern_delete,
    wasm_extern_copy,
    wasm_extern_same,
    wasm_extern_get_host_info,
    wasm_extern_set_host_info,
    wasm_extern_set_host_info_with_finalizer,
    wasm_extern_as_ref,
    wasm_ref_as_extern,
    wasm_extern_as_ref_const,
    wasm_ref_as_extern_const
);
reference!(
    is_instance,
    wasm_instance_delete,
    wasm_instance_copy,
    wasm_instance_same,
    wasm_instance_get_host_info,
    wasm_instance_set_host_info,
    wasm_instance_set_host_info_with_finalizer,
    wasm_instance_as_ref,
    wasm_ref_as_instance,
    wasm_instance_as_ref_const,
    wasm_ref_as_instance_const
);

/// `wasm_X_as_extern` and back: the same pointer, or NULL.
macro_rules! extern_casts {
    ($is:ident, $as_ext:ident, $as_ext_const:ident, $ext_as:ident, $ext_as_const:ident) => {
        #[unsafe(no_mangle)]
        pub extern "C" fn $as_ext(r: Option<&mut wasm_ref_t>) -> Option<&mut wasm_ref_t> {
            r
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $as_ext_const(r: Option<&wasm_ref_t>) -> Option<&wasm_ref_t> {
            r
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $ext_as(r: Option<&mut wasm_ref_t>) -> Option<&mut wasm_ref_t> {
            r.filter(|r| $is(r))
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $ext_as_const(r: Option<&wasm_ref_t>) -> Option<&wasm_ref_t> {
            r.filter(|r| $is(r))
        }
    };
}

extern_casts!(
    is_func,
    wasm_func_as_extern,
    wasm_func_as_extern_const,
    wasm_extern_as_func,
    wasm_extern_as_func_const
);
extern_casts!(
    is_global,
    wasm_global_as_extern,
    wasm_global_as_extern_const,
    wasm_extern_as_global,
    wasm_extern_as_global_const
);
extern_casts!(
    is_table,
    wasm_table_as_extern,
    wasm_table_as_extern_const,
    wasm_extern_as_table,
    wasm_extern_as_table_const
);
extern_casts!(
    is_memory,
    wasm_memory_as_extern,
    wasm_memory_as_extern_const,
    wasm_extern_as_memory,
    wasm_extern_as_memory_const
);

#[unsafe(no_mangle)]
pub extern "C" fn wasm_foreign_new(store: &wasm_store_t) -> Box<wasm_foreign_t> {
    Box::new(wasm_ref_t::new(
        &store.store,
        Obj::Foreign(Rc::new(Foreign::default())),
    ))
}

use crate::store::wasm_store_t;
