//! Memories, tables and globals as embedders see them (store handles), and
//! the store-owned records behind them; plus `Extern`, the sum of
//! everything an instance can import or export.
//!
//! Every handle belongs to the store that made it. Used with another store,
//! a method returning `Result` returns `Err`, any other method panics;
//! both say "object used with the wrong store" (the accesses go through
//! `StoreOpaque::{try_get, get}`).

use crate::exception::Tag;
use crate::func::Func;
use crate::store::{AsContext, AsContextMut, StoreOpaque, opaque, opaque_and_limiter, opaque_mut};
use crate::types::{ExternType, GlobalType, MemoryType, Mutability, TableType, TagType};
use crate::values::Val;
use crate::vm::GlobalData;
use crate::vm::limits::{self, Creation};
use anyhow::{Result, bail};

/// Anything an instance can import or export; it belongs to the store of
/// the handle it holds.
#[derive(Clone, Copy, Debug)]
pub enum Extern {
    Func(Func),
    Global(Global),
    Table(Table),
    Memory(Memory),
    Tag(Tag),
}

impl Extern {
    pub fn into_func(self) -> Option<Func> {
        match self {
            Extern::Func(f) => Some(f),
            _ => None,
        }
    }
    pub fn into_global(self) -> Option<Global> {
        match self {
            Extern::Global(g) => Some(g),
            _ => None,
        }
    }
    pub fn into_table(self) -> Option<Table> {
        match self {
            Extern::Table(t) => Some(t),
            _ => None,
        }
    }
    pub fn into_tag(self) -> Option<Tag> {
        match self {
            Extern::Tag(t) => Some(t),
            _ => None,
        }
    }
    pub fn into_memory(self) -> Option<Memory> {
        match self {
            Extern::Memory(m) => Some(m),
            _ => None,
        }
    }

    /// The type of this extern, as a module importing it would see it
    /// (tables and memories report their current size as minimum).
    ///
    /// # Panics
    /// If `store` does not own this extern.
    pub fn ty(&self, store: impl AsContext) -> ExternType {
        self.ty_in(opaque(&store))
    }

    /// Panics if `s` does not own this extern.
    pub(crate) fn ty_in(&self, s: &StoreOpaque) -> ExternType {
        match self {
            Extern::Func(f) => ExternType::Func(f.ty_in(s)),
            Extern::Global(g) => ExternType::Global(s.get(*g).ty.clone()),
            Extern::Table(t) => ExternType::Table(t.current_ty(s)),
            Extern::Memory(m) => ExternType::Memory(m.current_ty(s)),
            Extern::Tag(t) => ExternType::Tag(TagType::new(s.get(*t).ty.clone())),
        }
    }
}

impl From<Tag> for Extern {
    fn from(t: Tag) -> Extern {
        Extern::Tag(t)
    }
}
impl From<Func> for Extern {
    fn from(f: Func) -> Extern {
        Extern::Func(f)
    }
}
impl From<Global> for Extern {
    fn from(g: Global) -> Extern {
        Extern::Global(g)
    }
}
impl From<Table> for Extern {
    fn from(t: Table) -> Extern {
        Extern::Table(t)
    }
}
impl From<Memory> for Extern {
    fn from(m: Memory) -> Extern {
        Extern::Memory(m)
    }
}

// ---------------------------------------------------------------- globals

/// A global variable in a store.
///
/// It belongs to the store that made it: with another store, `set` returns
/// `Err` and `ty` and `get` panic ("object used with the wrong store").
/// A reference value from another store (`new`'s `init`, `set`'s value) is
/// an `Err` too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Global {
    pub(crate) store_id: u64,
    pub(crate) index: usize,
}

impl Global {
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, init: Val) -> Result<Global> {
        let s = opaque_mut(&mut store);
        let bits = init.to_raw_checked(s, &ty.content)?;
        let index = s.objects.push_global(GlobalData::host(ty, bits));
        Ok(Global {
            store_id: s.id(),
            index,
        })
    }

    /// # Panics
    /// If `store` does not own this global.
    pub fn ty(&self, store: impl AsContext) -> GlobalType {
        opaque(&store).get(*self).ty.clone()
    }

    /// # Panics
    /// If `store` does not own this global.
    pub fn get(&self, mut store: impl AsContextMut) -> Val {
        let s = opaque_mut(&mut store);
        let g = s.get(*self);
        let (bits, ty) = (g.bits(), g.ty.content.clone());
        Val::from_raw(s, bits, &ty)
    }

    pub fn set(&self, mut store: impl AsContextMut, val: Val) -> Result<()> {
        let s = opaque_mut(&mut store);
        let ty = s.try_get(*self)?.ty.clone();
        if ty.mutability != Mutability::Var {
            bail!("cannot set an immutable global");
        }
        let bits = val.to_raw_checked(s, &ty.content)?;
        s.get_mut(*self).set_bits(bits);
        Ok(())
    }
}

// ----------------------------------------------------------------- tables

/// A table of references in a store.
///
/// It belongs to the store that made it: with another store, `set` and
/// `grow` return `Err` and `ty`, `size` and `get` panic ("object used with
/// the wrong store"). A reference value from another store (`new`'s and
/// `grow`'s `init`, `set`'s value) is an `Err` too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table {
    pub(crate) store_id: u64,
    pub(crate) index: usize,
}

impl Table {
    /// A table of type `ty`, every element `init`, once the store's
    /// resource limiter (if any) admits it (its count and initial size).
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Val) -> Result<Table> {
        let (s, limiter) = opaque_and_limiter(&mut store);
        let elem = crate::ValType::Ref(ty.element.clone());
        let init = init.to_raw_checked(s, &elem)? as usize;
        if let Some(limiter) = limiter {
            let new = Creation {
                instance: false,
                memories: &[],
                tables: std::slice::from_ref(&ty),
            };
            limits::admit(limiter, s.objects.counts(), new)?;
        }
        let table = s.objects.allocator.allocate_table(ty, init)?;
        Ok(Table {
            store_id: s.id(),
            index: s.objects.push_table(table),
        })
    }

    /// # Panics
    /// If `store` does not own this table.
    pub fn ty(&self, store: impl AsContext) -> TableType {
        opaque(&store).get(*self).ty.clone()
    }

    /// Panics if `s` does not own this table.
    fn current_ty(&self, s: &StoreOpaque) -> TableType {
        let t = s.get(*self);
        TableType {
            minimum: t.elements().len() as u64,
            ..t.ty.clone()
        }
    }

    /// Current size in elements.
    ///
    /// # Panics
    /// If `store` does not own this table.
    pub fn size(&self, store: impl AsContext) -> u64 {
        opaque(&store).get(*self).elements().len() as u64
    }

    /// The element at `index`, or `None` if out of bounds.
    ///
    /// # Panics
    /// If `store` does not own this table.
    pub fn get(&self, mut store: impl AsContextMut, index: u64) -> Option<Val> {
        let s = opaque_mut(&mut store);
        let t = s.get(*self);
        let raw = *t.elements().get(usize::try_from(index).ok()?)?;
        let ty = crate::ValType::Ref(t.ty.element.clone());
        Some(Val::from_raw(s, raw as u128, &ty))
    }

    pub fn set(&self, mut store: impl AsContextMut, index: u64, val: Val) -> Result<()> {
        let s = opaque_mut(&mut store);
        let elem = crate::ValType::Ref(s.try_get(*self)?.ty.element.clone());
        let raw = val.to_raw_checked(s, &elem)? as usize;
        let slot = usize::try_from(index).ok();
        match slot.and_then(|i| s.get_mut(*self).elements_mut().get_mut(i)) {
            Some(slot) => *slot = raw,
            None => bail!("table index {index} out of bounds"),
        }
        Ok(())
    }

    /// Grow by `delta` elements; returns the previous size. Growth the
    /// table's type or the store's resource limiter does not allow is an
    /// error.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64, init: Val) -> Result<u64> {
        let (s, limiter) = opaque_and_limiter(&mut store);
        let elem = crate::ValType::Ref(s.try_get(*self)?.ty.element.clone());
        let raw = init.to_raw_checked(s, &elem)? as usize;
        match s.get_mut(*self).grow(delta, raw, limiter)? {
            Some(old) => Ok(old),
            None => bail!("failed to grow table by {delta}"),
        }
    }
}

// --------------------------------------------------------------- memories

/// A linear memory in a store.
///
/// It belongs to the store that made it: with another store, `read`,
/// `write` and `grow` return `Err` and `ty`, `size`, `data_size`, `data`
/// and `data_mut` panic ("object used with the wrong store").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memory {
    pub(crate) store_id: u64,
    pub(crate) index: usize,
}

impl Memory {
    /// A memory of type `ty`, once the store's resource limiter (if any)
    /// admits it (its count and initial size).
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory> {
        let (s, limiter) = opaque_and_limiter(&mut store);
        if let Some(limiter) = limiter {
            let new = Creation {
                instance: false,
                memories: &[ty],
                tables: &[],
            };
            limits::admit(limiter, s.objects.counts(), new)?;
        }
        let memory =
            (s.objects.allocator).allocate_memory(ty, &s.engine.config().tunables, None)?;
        Ok(Memory {
            store_id: s.id(),
            index: s.objects.push_memory(memory),
        })
    }

    /// # Panics
    /// If `store` does not own this memory.
    pub fn ty(&self, store: impl AsContext) -> MemoryType {
        opaque(&store).get(*self).ty
    }

    /// Panics if `s` does not own this memory.
    fn current_ty(&self, s: &StoreOpaque) -> MemoryType {
        let m = s.get(*self);
        MemoryType {
            minimum: m.pages(),
            ..m.ty
        }
    }

    /// Current size in pages (of the type's page size).
    ///
    /// # Panics
    /// If `store` does not own this memory.
    pub fn size(&self, store: impl AsContext) -> u64 {
        opaque(&store).get(*self).pages()
    }

    /// Current size in bytes.
    ///
    /// # Panics
    /// If `store` does not own this memory.
    pub fn data_size(&self, store: impl AsContext) -> usize {
        opaque(&store).get(*self).data().len()
    }

    /// # Panics
    /// If `store` does not own this memory.
    pub fn data<'a, T: 'a>(&self, store: impl Into<crate::store::StoreContext<'a, T>>) -> &'a [u8] {
        let ctx = store.into();
        let s: &'a StoreOpaque = &ctx.0.opaque;
        s.get(*self).data()
    }

    /// # Panics
    /// If `store` does not own this memory.
    pub fn data_mut<'a, T: 'a>(
        &self,
        store: impl Into<crate::store::StoreContextMut<'a, T>>,
    ) -> &'a mut [u8] {
        let ctx = store.into();
        let s: &'a mut StoreOpaque = &mut ctx.0.opaque;
        s.get_mut(*self).data_mut()
    }

    /// Copy `buf.len()` bytes at `offset` into `buf`.
    pub fn read(&self, store: impl AsContext, offset: usize, buf: &mut [u8]) -> Result<()> {
        let data = opaque(&store).try_get(*self)?.data();
        match offset
            .checked_add(buf.len())
            .and_then(|end| data.get(offset..end))
        {
            Some(src) => buf.copy_from_slice(src),
            None => bail!("out of bounds memory access"),
        }
        Ok(())
    }

    /// Copy `buf` into memory at `offset`.
    pub fn write(&self, mut store: impl AsContextMut, offset: usize, buf: &[u8]) -> Result<()> {
        let data = opaque_mut(&mut store).try_get_mut(*self)?.data_mut();
        match offset
            .checked_add(buf.len())
            .and_then(|end| data.get_mut(offset..end))
        {
            Some(dst) => dst.copy_from_slice(buf),
            None => bail!("out of bounds memory access"),
        }
        Ok(())
    }

    /// Grow by `delta` pages; returns the previous size in pages. Growth
    /// the memory's type, the host or the store's resource limiter does
    /// not allow is an error.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64) -> Result<u64> {
        let (s, limiter) = opaque_and_limiter(&mut store);
        match s.try_get_mut(*self)?.grow(delta, limiter)? {
            Some(old) => Ok(old),
            None => bail!("failed to grow memory by {delta} pages"),
        }
    }
}

impl<'a, T> From<&'a crate::Store<T>> for crate::store::StoreContext<'a, T> {
    fn from(s: &'a crate::Store<T>) -> Self {
        crate::store::StoreContext(s.inner())
    }
}
impl<'a, T> From<&'a mut crate::Store<T>> for crate::store::StoreContext<'a, T> {
    fn from(s: &'a mut crate::Store<T>) -> Self {
        crate::store::StoreContext(s.inner())
    }
}
impl<'a, T> From<&'a mut crate::Store<T>> for crate::store::StoreContextMut<'a, T> {
    fn from(s: &'a mut crate::Store<T>) -> Self {
        crate::store::StoreContextMut(s.inner_mut())
    }
}
impl<'a, T> From<&'a crate::func::Caller<'_, T>> for crate::store::StoreContext<'a, T> {
    fn from(c: &'a crate::func::Caller<'_, T>) -> Self {
        crate::store::StoreContext(c.store)
    }
}
impl<'a, T> From<&'a mut crate::func::Caller<'_, T>> for crate::store::StoreContextMut<'a, T> {
    fn from(c: &'a mut crate::func::Caller<'_, T>) -> Self {
        crate::store::StoreContextMut(c.store)
    }
}
