//! Resource limits: the `ResourceLimiter` an embedder sets on a store
//! (wasmtime's trait), and the one place the runtime asks it, so that
//! `memory.grow` / `table.grow` from wasm, `Memory::grow` / `Table::grow`
//! from the host and the creation of instances, memories and tables all
//! answer to the same limiter in the same way.
//!
//! Sizes are in bytes for memories and in elements for tables. A limiter
//! that answers `Ok(false)` denies the request: growth returns `-1` (an
//! `Err` for the host's `grow`), creation fails with an error naming what
//! was denied. One that answers `Err` fails the operation with that error:
//! from wasm, a trap that returns the error unchanged.

use crate::types::{MemoryType, TableType};
use anyhow::{Result, anyhow, bail};

/// What [`ResourceLimiter::instances`] returns unless overridden
/// (wasmtime's default).
pub const DEFAULT_INSTANCE_LIMIT: usize = 10_000;
/// What [`ResourceLimiter::tables`] returns unless overridden.
pub const DEFAULT_TABLE_LIMIT: usize = 10_000;
/// What [`ResourceLimiter::memories`] returns unless overridden.
pub const DEFAULT_MEMORY_LIMIT: usize = 10_000;

/// Decides how much a store's wasm may allocate: set with
/// `Store::limiter`, asked before any linear memory or table of the store
/// is created or grown, and before any instance is created.
///
/// It limits what wasm allocates (linear memories, tables, instances), not
/// the memory the runtime uses for its own records.
pub trait ResourceLimiter {
    /// A linear memory of `current` bytes is to grow to `desired` bytes;
    /// `maximum` is its type's maximum in bytes (`None`: unbounded, or
    /// beyond what the host can address). On creation `current` is 0 and
    /// `desired` the memory's minimum size.
    ///
    /// `Ok(true)` allows it (it may still fail, past the maximum or for
    /// lack of memory: then [`ResourceLimiter::memory_grow_failed`] is
    /// told), `Ok(false)` denies it, `Err` fails the operation with that
    /// error (a trap, from wasm).
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool>;

    /// Growth that [`ResourceLimiter::memory_growing`] allowed failed
    /// with `error`. `Ok(())` (the default) lets `memory.grow` return
    /// `-1`; `Err` fails the operation with that error instead.
    fn memory_grow_failed(&mut self, error: anyhow::Error) -> Result<()> {
        let _ = error;
        Ok(())
    }

    /// A table of `current` elements is to grow to `desired` elements;
    /// `maximum` is its type's maximum. On creation `current` is 0 and
    /// `desired` the table's minimum. Answers as
    /// [`ResourceLimiter::memory_growing`] does.
    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool>;

    /// Growth that [`ResourceLimiter::table_growing`] allowed failed with
    /// `error`; as [`ResourceLimiter::memory_grow_failed`].
    fn table_grow_failed(&mut self, error: anyhow::Error) -> Result<()> {
        let _ = error;
        Ok(())
    }

    /// How many instances the store may hold.
    fn instances(&self) -> usize {
        DEFAULT_INSTANCE_LIMIT
    }

    /// How many tables the store may hold (defined by its instances or
    /// made by the host).
    fn tables(&self) -> usize {
        DEFAULT_TABLE_LIMIT
    }

    /// How many linear memories the store may hold (defined by its
    /// instances or made by the host).
    fn memories(&self) -> usize {
        DEFAULT_MEMORY_LIMIT
    }
}

/// `n` as a `usize`, saturating (a size no host can hold is as good as
/// the largest one to a limiter).
fn size(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The byte size of `pages` pages of `ty`, saturating.
pub fn memory_bytes(ty: &MemoryType, pages: u64) -> usize {
    size(pages.saturating_mul(ty.page_size()))
}

/// What a store is about to create: one instance (or none, for a memory
/// or table the host makes) with these memories and tables.
pub struct Creation<'a> {
    pub instance: bool,
    pub memories: &'a [MemoryType],
    pub tables: &'a [TableType],
}

/// How many of each a store already holds.
pub struct Counts {
    pub instances: usize,
    pub memories: usize,
    pub tables: usize,
}

/// Asks `limiter` whether a store holding `counts` may create `new`: the
/// counts first, then each memory's and table's initial size. Called
/// before anything is allocated, so a refusal leaves the store as it was.
pub fn admit(limiter: &mut dyn ResourceLimiter, counts: Counts, new: Creation<'_>) -> Result<()> {
    let over = |what: &str, count: usize, added: usize, limit: usize| {
        let total = count.saturating_add(added);
        match total > limit {
            true => Err(anyhow!(
                "resource limit exceeded: {what} count of {total} is over the limit of {limit}"
            )),
            false => Ok(()),
        }
    };
    over(
        "instance",
        counts.instances,
        usize::from(new.instance),
        limiter.instances(),
    )?;
    over(
        "memory",
        counts.memories,
        new.memories.len(),
        limiter.memories(),
    )?;
    over("table", counts.tables, new.tables.len(), limiter.tables())?;
    for ty in new.memories {
        let desired = memory_bytes(ty, ty.minimum);
        let maximum = ty.maximum.map(|max| memory_bytes(ty, max));
        if !limiter.memory_growing(0, desired, maximum)? {
            bail!(
                "memory minimum size of {} pages ({desired} bytes) exceeds memory limits",
                ty.minimum
            );
        }
    }
    for ty in new.tables {
        let maximum = ty.maximum.map(size);
        if !limiter.table_growing(0, size(ty.minimum), maximum)? {
            bail!(
                "table minimum size of {} elements exceeds table limits",
                ty.minimum
            );
        }
    }
    Ok(())
}
