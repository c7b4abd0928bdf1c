//! Exception handling in the embedding API (wasmtime's shape): `Tag`
//! handles, `ExnRef` exception objects, and the store's pending
//! exception.
//!
//! An exception that no wasm handler catches comes out of `Func::call` as
//! a [`ThrownException`] error; the exception itself waits in the store
//! (`Store::take_pending_exception`). A host function throws by making an
//! exception (`ExnRef::new`) and returning `Store::throw`'s error (or
//! `Caller::throw`'s): a wasm `try_table` up the stack can catch it.

use crate::store::{AsContext, AsContextMut, StoreOpaque, opaque, opaque_mut};
use crate::types::TagType;
use crate::values::Val;
use crate::vm::exception::{ExnData, TagData};
use anyhow::{Result, bail};

pub use crate::vm::exception::ThrownException;

/// An exception tag of a store: defined by an instance, or made by the
/// host. Two tags are the same tag only if they are the same handle, even
/// with equal types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tag {
    pub(crate) store_id: u64,
    pub(crate) index: usize,
}

impl Tag {
    /// A new tag of type `ty`, whose function type must have no results.
    pub fn new(mut store: impl AsContextMut, ty: &TagType) -> Result<Tag> {
        if !ty.ty().results().is_empty() {
            bail!("a tag's type has no results, found {}", ty.ty());
        }
        let s = opaque_mut(&mut store);
        s.objects.tags.push(TagData {
            ty: ty.ty().clone(),
        });
        Ok(Tag {
            store_id: s.id(),
            index: s.objects.tags.len() - 1,
        })
    }

    /// The tag's type.
    ///
    /// # Panics
    /// If `store` does not own this tag.
    pub fn ty(&self, store: impl AsContext) -> TagType {
        TagType::new(opaque(&store).get(*self).ty.clone())
    }
}

/// An exception object of a store: its tag and payload. It lives as long
/// as its store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExnRef {
    pub(crate) store_id: u64,
    pub(crate) index: usize,
}

impl ExnRef {
    /// A new exception of `tag` carrying `fields`, which must match the
    /// tag's parameter types (and belong to `store`).
    pub fn new(mut store: impl AsContextMut, tag: &Tag, fields: &[Val]) -> Result<ExnRef> {
        let s = opaque_mut(&mut store);
        let ty = s.try_get(*tag)?.ty.clone();
        if ty.params().len() != fields.len() {
            bail!(
                "exception of tag type {ty} needs {} fields, got {}",
                ty.params().len(),
                fields.len()
            );
        }
        let payload = fields
            .iter()
            .zip(ty.params())
            .map(|(v, t)| (*v).to_raw_checked(s, t))
            .collect::<Result<Vec<_>>>()?;
        Ok(s.push_exn(tag.index, payload))
    }

    /// The exception's tag.
    pub fn tag(&self, store: impl AsContext) -> Result<Tag> {
        let s = opaque(&store);
        Ok(Tag {
            store_id: s.id(),
            index: s.try_get(*self)?.tag,
        })
    }

    /// The exception's payload values, in order.
    pub fn fields(&self, mut store: impl AsContextMut) -> Result<Vec<Val>> {
        let s = opaque_mut(&mut store);
        let exn = s.try_get(*self)?;
        let ty = s.objects.tags[exn.tag].ty.clone();
        let payload = exn.payload.clone();
        Ok(payload
            .iter()
            .zip(ty.params())
            .map(|(&raw, t)| Val::from_raw(s, raw, t))
            .collect())
    }
}

impl StoreOpaque {
    pub(crate) fn push_exn(&mut self, tag: usize, payload: Vec<u128>) -> ExnRef {
        self.objects.exceptions.push(ExnData {
            tag,
            payload: payload.into(),
        });
        ExnRef {
            store_id: self.id(),
            index: self.objects.exceptions.len() - 1,
        }
    }

    /// Make `exn` the pending exception: the error to return from a host
    /// function to throw it.
    pub(crate) fn throw(&mut self, exn: ExnRef) -> Result<ThrownException> {
        self.check(&exn)?;
        self.objects.pending_exception = Some(exn.index);
        Ok(ThrownException)
    }

    pub(crate) fn take_pending_exception(&mut self) -> Option<ExnRef> {
        let index = self.objects.pending_exception.take()?;
        Some(ExnRef {
            store_id: self.id(),
            index,
        })
    }
}
