//! `wasm_val_t` and its conversion to and from `kiln::Val`.
//!
//! A `funcref` is a `wasm_func_t`. An `externref` may be any reference
//! (a foreign object, a function, a module, ...): it enters wasm as a
//! Kiln `ExternRef` holding the object (not its store, which would make
//! the store own itself) and comes back out as a reference to the same
//! object, so `wasm_ref_same` and its host info still hold.

use crate::refs::{Obj, wasm_ref_t};
use crate::store::{StoreData, StoreRef};
use crate::types::{
    KILN_V128, WASM_EXTERNREF, WASM_F32, WASM_F64, WASM_FUNCREF, WASM_I32, WASM_I64, wasm_valkind_t,
};
use crate::vec::VecElem;
use anyhow::{Result, anyhow, bail};
use kiln::{AsContext, AsContextMut, Extern, ExternRef, RefType, Val, ValType};
use std::mem::MaybeUninit;

#[repr(C)]
#[derive(Clone, Copy)]
pub union wasm_val_union {
    pub i32: i32,
    pub i64: i64,
    pub f32: f32,
    pub f64: f64,
    pub ref_: *mut wasm_ref_t,
}

/// `{ wasm_valkind_t kind; union { ... } of; }`. A reference value owns
/// its `wasm_ref_t` (wasm.h: `own wasm_val_t`).
#[repr(C)]
pub struct wasm_val_t {
    pub kind: wasm_valkind_t,
    pub of: wasm_val_union,
}

/// The object an externref holds. Objects are used on their store's
/// thread only (wasm.h's rule), so the store's `Send` bound on host
/// values costs nothing here.
struct Held(Obj);
// SAFETY: a `Held` lives in one store, which wasm.h confines to one
// thread; it is never reached from another.
unsafe impl Send for Held {}
// SAFETY: as above: no two threads see it.
unsafe impl Sync for Held {}

impl wasm_val_t {
    pub fn null_ref() -> wasm_val_t {
        wasm_val_t {
            kind: WASM_EXTERNREF,
            of: wasm_val_union {
                ref_: std::ptr::null_mut(),
            },
        }
    }

    fn is_ref(&self) -> bool {
        self.kind == WASM_EXTERNREF || self.kind == WASM_FUNCREF
    }

    /// The reference this value holds, borrowed (`None` for null).
    pub fn ref_(&self) -> Option<&wasm_ref_t> {
        if !self.is_ref() {
            return None;
        }
        // SAFETY: a reference value holds NULL or a live `wasm_ref_t`
        // (wasm.h's ownership: the value owns it, and we borrow the value).
        unsafe { self.of.ref_.as_ref() }
    }

    /// Deletes the reference a reference value owns.
    pub fn release(&mut self) {
        if self.is_ref() {
            // SAFETY: as in `ref_`; this value owns it and forgets it here.
            let r = unsafe { self.of.ref_ };
            self.of.ref_ = std::ptr::null_mut();
            if !r.is_null() {
                // SAFETY: owned references are `Box`es made by this library.
                drop(unsafe { Box::from_raw(r) });
            }
        }
    }

    fn copy(&self) -> wasm_val_t {
        match self.ref_() {
            Some(r) => wasm_val_t {
                kind: self.kind,
                of: wasm_val_union {
                    ref_: Box::into_raw(Box::new(r.clone())),
                },
            },
            None if self.is_ref() => wasm_val_t {
                kind: self.kind,
                of: wasm_val_union {
                    ref_: std::ptr::null_mut(),
                },
            },
            None => wasm_val_t {
                kind: self.kind,
                of: self.of,
            },
        }
    }

    /// The Kiln value, for a store whose handle is `store`.
    pub(crate) fn to_kiln(
        &self,
        store: &StoreRef,
        cx: impl AsContextMut<Data = StoreData>,
    ) -> Result<Val> {
        // SAFETY: `kind` names the field C wrote; each arm reads only it.
        let num = unsafe {
            match self.kind {
                WASM_I32 => Some(Val::I32(self.of.i32)),
                WASM_I64 => Some(Val::I64(self.of.i64)),
                WASM_F32 => Some(Val::F32(self.of.f32.to_bits())),
                WASM_F64 => Some(Val::F64(self.of.f64.to_bits())),
                _ => None,
            }
        };
        if let Some(v) = num {
            return Ok(v);
        }
        match self.kind {
            WASM_FUNCREF => ref_to_kiln(self.ref_(), RefType::FUNCREF, store, cx),
            WASM_EXTERNREF => ref_to_kiln(self.ref_(), RefType::EXTERNREF, store, cx),
            KILN_V128 => bail!("v128 values cannot be passed as wasm_val_t"),
            k => bail!("invalid wasm_valkind_t {k}"),
        }
    }

    /// The C value of `v`; references are new, owned by the result.
    pub(crate) fn from_kiln(
        v: &Val,
        store: &StoreRef,
        cx: impl AsContext<Data = StoreData>,
    ) -> wasm_val_t {
        let (kind, of) = match *v {
            Val::I32(i) => (WASM_I32, wasm_val_union { i32: i }),
            Val::I64(i) => (WASM_I64, wasm_val_union { i64: i }),
            Val::F32(b) => (
                WASM_F32,
                wasm_val_union {
                    f32: f32::from_bits(b),
                },
            ),
            Val::F64(b) => (
                WASM_F64,
                wasm_val_union {
                    f64: f64::from_bits(b),
                },
            ),
            // wasm.h has no 128-bit value: the low 64 bits (kiln.h).
            Val::V128(b) => (
                KILN_V128,
                wasm_val_union {
                    i64: b as u64 as i64,
                },
            ),
            Val::FuncRef(f) => (
                WASM_FUNCREF,
                wasm_val_union {
                    ref_: f.map_or(std::ptr::null_mut(), |f| {
                        Box::into_raw(Box::new(wasm_ref_t::new(store, Obj::Extern(f.into()))))
                    }),
                },
            ),
            // C API engines have exception handling off (`store.rs`): no
            // exnref ever reaches C.
            Val::ExnRef(_) => unreachable!("exnref with exception handling off"),
            Val::ExternRef(r) => (
                WASM_EXTERNREF,
                wasm_val_union {
                    ref_: r
                        .and_then(|r| externref_obj(&r, &cx))
                        .map_or(std::ptr::null_mut(), |obj| {
                            Box::into_raw(Box::new(wasm_ref_t::new(store, obj)))
                        }),
                },
            ),
        };
        wasm_val_t { kind, of }
    }

    /// A zero value of type `t`, as result slots start.
    pub(crate) fn zero(t: ValType) -> wasm_val_t {
        let mut v = wasm_val_t::null_ref();
        let is_ref = t.is_ref();
        v.kind = crate::types::wasm_valtype_t::from_kiln(t).kind;
        if !is_ref {
            v.of = wasm_val_union { i64: 0 };
        }
        v
    }
}

/// The object inside an externref made by this library.
pub(crate) fn externref_obj(r: &ExternRef, cx: &impl AsContext) -> Option<Obj> {
    let data = r.data(cx).ok()?;
    data.downcast_ref::<Held>().map(|h| h.0.clone())
}

/// The Kiln reference of type `ty` for the C reference `r` (NULL: null).
pub(crate) fn ref_to_kiln(
    r: Option<&wasm_ref_t>,
    ty: RefType,
    store: &StoreRef,
    cx: impl AsContextMut<Data = StoreData>,
) -> Result<Val> {
    let Some(r) = r else {
        return Ok(Val::null_ref(&ty));
    };
    if let Some(s) = &r.store
        && !std::rc::Rc::ptr_eq(s, store)
    {
        bail!("object used with the wrong store");
    }
    if ty.heap_type().is_func() {
        match r.obj {
            Obj::Extern(Extern::Func(f)) => Ok(Val::FuncRef(Some(f))),
            _ => Err(anyhow!("a funcref must be a function")),
        }
    } else {
        Ok(Val::ExternRef(Some(ExternRef::new(
            cx,
            Held(r.obj.clone()),
        ))))
    }
}

impl VecElem for wasm_val_t {
    fn blank() -> wasm_val_t {
        wasm_val_t::null_ref()
    }
    fn deep_copy(&self) -> wasm_val_t {
        self.copy()
    }
    fn release(&mut self) {
        wasm_val_t::release(self)
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_val_delete(v: Option<&mut wasm_val_t>) {
    if let Some(v) = v {
        v.release();
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_val_copy(out: &mut MaybeUninit<wasm_val_t>, v: &wasm_val_t) {
    out.write(v.copy());
}
