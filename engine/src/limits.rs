//! `StoreLimits`, the ready-made [`ResourceLimiter`]: fixed caps on memory
//! size, table size and the number of instances, memories and tables of a
//! store (wasmtime's type and defaults). The trait itself is the VM's
//! (`vm/limits.rs`), re-exported.

use crate::vm::ResourceLimiter;
use crate::vm::limits::{DEFAULT_INSTANCE_LIMIT, DEFAULT_MEMORY_LIMIT, DEFAULT_TABLE_LIMIT};
use anyhow::{Result, bail};

/// Caps on what a store's wasm may allocate, built with
/// [`StoreLimitsBuilder`] and set with `Store::limiter`:
///
/// ```
/// use kiln::{Engine, Store, StoreLimits, StoreLimitsBuilder};
/// let engine = Engine::default();
/// let limits = StoreLimitsBuilder::new().memory_size(1 << 20).instances(2).build();
/// let mut store = Store::new(&engine, limits);
/// store.limiter(|limits: &mut StoreLimits| limits);
/// ```
///
/// Growth past a cap (or past the memory's or table's own maximum) is
/// denied, so `memory.grow` returns `-1`; with
/// [`StoreLimitsBuilder::trap_on_grow_failure`] it is an error instead,
/// which from wasm is a trap.
#[derive(Clone, Debug)]
pub struct StoreLimits {
    memory_size: Option<usize>,
    table_elements: Option<usize>,
    instances: usize,
    tables: usize,
    memories: usize,
    trap_on_grow_failure: bool,
}

impl Default for StoreLimits {
    /// No cap on sizes; 10,000 instances, memories and tables.
    fn default() -> StoreLimits {
        StoreLimits {
            memory_size: None,
            table_elements: None,
            instances: DEFAULT_INSTANCE_LIMIT,
            tables: DEFAULT_TABLE_LIMIT,
            memories: DEFAULT_MEMORY_LIMIT,
            trap_on_grow_failure: false,
        }
    }
}

/// Builds a [`StoreLimits`]; each method sets one cap.
#[derive(Clone, Debug, Default)]
pub struct StoreLimitsBuilder(StoreLimits);

impl StoreLimitsBuilder {
    /// Every cap at its default (see [`StoreLimits::default`]).
    pub fn new() -> StoreLimitsBuilder {
        StoreLimitsBuilder::default()
    }

    /// The most bytes any one linear memory may have (none by default).
    pub fn memory_size(mut self, bytes: usize) -> StoreLimitsBuilder {
        self.0.memory_size = Some(bytes);
        self
    }

    /// The most elements any one table may have (none by default).
    pub fn table_elements(mut self, elements: usize) -> StoreLimitsBuilder {
        self.0.table_elements = Some(elements);
        self
    }

    /// The most instances the store may hold (10,000 by default).
    pub fn instances(mut self, limit: usize) -> StoreLimitsBuilder {
        self.0.instances = limit;
        self
    }

    /// The most tables the store may hold (10,000 by default).
    pub fn tables(mut self, limit: usize) -> StoreLimitsBuilder {
        self.0.tables = limit;
        self
    }

    /// The most linear memories the store may hold (10,000 by default).
    pub fn memories(mut self, limit: usize) -> StoreLimitsBuilder {
        self.0.memories = limit;
        self
    }

    /// Make growth that is denied or fails an error (from wasm: a trap)
    /// rather than `-1` (off by default).
    pub fn trap_on_grow_failure(mut self, trap: bool) -> StoreLimitsBuilder {
        self.0.trap_on_grow_failure = trap;
        self
    }

    pub fn build(self) -> StoreLimits {
        self.0
    }
}

impl StoreLimits {
    /// Whether growth of a `what` to `desired` is allowed under `cap` and
    /// the type's `maximum`: `Ok(false)` if not, or an error when
    /// trapping on grow failure.
    fn allow(
        &self,
        what: &str,
        desired: usize,
        cap: Option<usize>,
        maximum: Option<usize>,
    ) -> Result<bool> {
        let over = |limit: Option<usize>| limit.is_some_and(|l| desired > l);
        let allowed = !over(cap) && !over(maximum);
        if !allowed && self.trap_on_grow_failure {
            bail!("forcing a trap when growing {what} to {desired}");
        }
        Ok(allowed)
    }

    fn failed(&self, error: anyhow::Error) -> Result<()> {
        match self.trap_on_grow_failure {
            true => Err(error),
            false => Ok(()),
        }
    }
}

impl ResourceLimiter for StoreLimits {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool> {
        let what = "a memory (bytes)";
        self.allow(what, desired, self.memory_size, maximum)
    }

    fn memory_grow_failed(&mut self, error: anyhow::Error) -> Result<()> {
        self.failed(error)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool> {
        let what = "a table (elements)";
        self.allow(what, desired, self.table_elements, maximum)
    }

    fn table_grow_failed(&mut self, error: anyhow::Error) -> Result<()> {
        self.failed(error)
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.tables
    }

    fn memories(&self) -> usize {
        self.memories
    }
}
