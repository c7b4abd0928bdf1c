//! `Val`, a wasm value as the host holds it, and `ExternRef`, a host value
//! wasm can hold; plus their raw forms (16-byte slots, see `abi.rs`).

use crate::exception::ExnRef;
use crate::func::Func;
use crate::store::{AsContext, AsContextMut, StoreOpaque, opaque, opaque_mut};
use crate::types::{HeapType, RefType, ValType};
use anyhow::{Result, bail};
use std::any::Any;

/// A wasm value. Floats are kept as raw bits so NaN payloads survive.
///
/// A non-null reference belongs to one store: handed to another store (as
/// an argument, a result of a host function, a table element or a global
/// value) it makes the method return `Err`.
#[derive(Clone, Copy, Debug)]
pub enum Val {
    I32(i32),
    I64(i64),
    /// Raw IEEE bits.
    F32(u32),
    /// Raw IEEE bits.
    F64(u64),
    V128(u128),
    FuncRef(Option<Func>),
    ExternRef(Option<ExternRef>),
    ExnRef(Option<ExnRef>),
}

impl Val {
    /// The most general type of this value: `funcref` for any function
    /// reference (a function's own type, a subtype, is `Func::ty`'s).
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FUNCREF,
            Val::ExternRef(_) => ValType::EXTERNREF,
            Val::ExnRef(_) => ValType::EXNREF,
        }
    }

    /// The null value of reference type `ty`'s heap type (even for a
    /// non-nullable `ty`, which null is no value of).
    pub fn null_ref(ty: &RefType) -> Val {
        match ty.heap_type() {
            HeapType::Func | HeapType::ConcreteFunc(_) => Val::FuncRef(None),
            HeapType::Extern => Val::ExternRef(None),
            HeapType::Exn => Val::ExnRef(None),
        }
    }

    /// Whether this value, of `store`, is one of type `ty`: a function
    /// reference matches a concrete function type only if the function
    /// has that type or declares it a supertype (directly or not), and
    /// null only a nullable type.
    pub fn matches_ty(&self, store: impl AsContext, ty: &ValType) -> Result<bool> {
        self.matches_in(opaque(&store), ty)
    }

    pub(crate) fn matches_in(&self, store: &StoreOpaque, ty: &ValType) -> Result<bool> {
        let ValType::Ref(r) = ty else {
            return Ok(self.ty() == *ty);
        };
        Ok(match (self, r.heap_type()) {
            (Val::FuncRef(None), HeapType::Func | HeapType::ConcreteFunc(_))
            | (Val::ExternRef(None), HeapType::Extern)
            | (Val::ExnRef(None), HeapType::Exn) => r.is_nullable(),
            (Val::ExnRef(Some(e)), HeapType::Exn) => {
                store.try_get(*e)?;
                true
            }
            (Val::FuncRef(Some(f)), HeapType::Func) => {
                store.try_get(*f)?;
                true
            }
            (Val::FuncRef(Some(f)), HeapType::ConcreteFunc(t)) => store.try_get(*f)?.ty.matches(t),
            (Val::ExternRef(Some(e)), HeapType::Extern) => {
                store.check(e)?;
                true
            }
            _ => false,
        })
    }

    pub fn i32(&self) -> Option<i32> {
        if let Val::I32(v) = self {
            Some(*v)
        } else {
            None
        }
    }
    pub fn i64(&self) -> Option<i64> {
        if let Val::I64(v) = self {
            Some(*v)
        } else {
            None
        }
    }
    pub fn f32(&self) -> Option<f32> {
        if let Val::F32(v) = self {
            Some(f32::from_bits(*v))
        } else {
            None
        }
    }
    pub fn f64(&self) -> Option<f64> {
        if let Val::F64(v) = self {
            Some(f64::from_bits(*v))
        } else {
            None
        }
    }
    pub fn unwrap_i32(&self) -> i32 {
        self.i32().expect("expected i32")
    }
    pub fn unwrap_i64(&self) -> i64 {
        self.i64().expect("expected i64")
    }
    pub fn unwrap_f32(&self) -> f32 {
        self.f32().expect("expected f32")
    }
    pub fn unwrap_f64(&self) -> f64 {
        self.f64().expect("expected f64")
    }

    /// The raw slot for this value, checking that it has type `ty` (or a
    /// subtype) and that any reference belongs to `store`.
    pub(crate) fn to_raw_checked(self, store: &StoreOpaque, ty: &ValType) -> Result<u128> {
        if !self.matches_in(store, ty)? {
            let found = match (self, ty) {
                (Val::FuncRef(Some(f)), ValType::Ref(r))
                    if matches!(r.heap_type(), HeapType::ConcreteFunc(_)) =>
                {
                    format!("a function of type {}", store.try_get(f)?.ty)
                }
                (
                    Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None),
                    ValType::Ref(r),
                ) if !r.is_nullable() => "null".to_string(),
                _ => self.ty().to_string(),
            };
            bail!("type mismatch: expected {ty}, found {found}");
        }
        self.to_raw(store)
    }

    pub(crate) fn to_raw(self, store: &StoreOpaque) -> Result<u128> {
        Ok(match self {
            Val::I32(v) => u128::from(v as u32),
            Val::I64(v) => u128::from(v as u64),
            Val::F32(v) => u128::from(v),
            Val::F64(v) => u128::from(v),
            Val::V128(v) => v,
            Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) => 0,
            Val::ExnRef(Some(e)) => {
                store.check(&e)?;
                crate::vm::exception::exn_to_raw(e.index) as u128
            }
            Val::FuncRef(Some(f)) => store.try_get(f)?.funcref as usize as u128,
            Val::ExternRef(Some(r)) => {
                store.check(&r)?;
                r.index as u128 + 1
            }
        })
    }

    /// The value of type `ty` in a raw slot produced by wasm of `store`.
    pub(crate) fn from_raw(store: &mut StoreOpaque, raw: u128, ty: &ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(raw as u32 as i32),
            ValType::I64 => Val::I64(raw as u64 as i64),
            ValType::F32 => Val::F32(raw as u32),
            ValType::F64 => Val::F64(raw as u64),
            ValType::V128 => Val::V128(raw),
            ValType::Ref(r) if r.heap_type().is_func() => {
                let ptr = raw as usize as *const crate::vm::vmctx::VMFuncRef;
                Val::FuncRef(if ptr.is_null() {
                    None
                } else {
                    // A funcref from this store's wasm always maps to a
                    // function of a type the engine interned.
                    let index = store
                        .func_for_ref(ptr)
                        .expect("funcref from wasm has an interned type");
                    Some(Func {
                        store_id: store.id(),
                        index,
                    })
                })
            }
            ValType::Ref(r) if matches!(r.heap_type(), HeapType::Exn) => Val::ExnRef(
                crate::vm::exception::exn_from_raw(raw as usize).map(|index| ExnRef {
                    store_id: store.id(),
                    index,
                }),
            ),
            ValType::Ref(_) => Val::ExternRef(match raw as usize {
                0 => None,
                n => Some(ExternRef {
                    store_id: store.id(),
                    index: n - 1,
                }),
            }),
        }
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}
impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::F32(v.to_bits())
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::F64(v.to_bits())
    }
}
impl From<Func> for Val {
    fn from(f: Func) -> Val {
        Val::FuncRef(Some(f))
    }
}

/// A reference to a host value, owned by a store; wasm can pass it around
/// as an `externref` but not look inside. Freed when the store is dropped.
///
/// With another store, `data` returns `Err`, and so does every method
/// that would hand the reference to that store's wasm ("object used with
/// the wrong store").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExternRef {
    pub(crate) store_id: u64,
    pub(crate) index: usize,
}

impl ExternRef {
    pub fn new<T: Any + Send + Sync>(mut store: impl AsContextMut, value: T) -> ExternRef {
        let s = opaque_mut(&mut store);
        s.externrefs.push(Box::new(value));
        ExternRef {
            store_id: s.id(),
            index: s.externrefs.len() - 1,
        }
    }

    /// The host value, if this reference belongs to `store`.
    pub fn data<'a, S: AsContext + 'a>(&self, store: &'a S) -> Result<&'a (dyn Any + Send + Sync)> {
        Ok(&**opaque(store).try_get(*self)?)
    }
}
