//! How an engine allocates instances (`Config::allocation_strategy`), under
//! wasmtime's names: on demand (the default), or from pools reserved when
//! the engine is created (`PoolingAllocationConfig`; the allocator itself
//! is `vm/pooling.rs`).

use crate::config::Config;
use crate::vm::{InstanceAllocator, OnDemandAllocator, PoolLimits, PoolingAllocator};
use anyhow::Result;
use std::sync::Arc;

/// Where the memory of instances (their VM context, linear memories and
/// tables), and of memories and tables the host creates, comes from.
#[derive(Clone, Debug, Default)]
pub enum InstanceAllocationStrategy {
    /// Map each memory and table when it is made, unmap it when its store
    /// is dropped (but for a few guard reservations of 32-bit memories,
    /// kept with their pages dropped for the next memories: address space
    /// only). No limits beyond the store's limiter.
    #[default]
    OnDemand,
    /// Take vmctx blocks, memories and tables from slots reserved once,
    /// when the engine is created, and reset them for reuse when their
    /// store is dropped: instantiation then makes no `mmap`/`munmap` call
    /// in steady state. Every store of the engine shares the pools; a
    /// module beyond their limits fails to instantiate, and so does any
    /// instantiation (or `Memory::new`/`Table::new`) while all slots of a
    /// kind are in use.
    Pooling(PoolingAllocationConfig),
}

impl InstanceAllocationStrategy {
    /// Pooling with the default [`PoolingAllocationConfig`].
    pub fn pooling() -> InstanceAllocationStrategy {
        InstanceAllocationStrategy::Pooling(PoolingAllocationConfig::default())
    }
}

impl From<PoolingAllocationConfig> for InstanceAllocationStrategy {
    fn from(config: PoolingAllocationConfig) -> Self {
        InstanceAllocationStrategy::Pooling(config)
    }
}

/// The sizes and limits of the pooling allocator
/// ([`InstanceAllocationStrategy::Pooling`]), builder-style; the names,
/// meanings and defaults are wasmtime's (but for
/// [`table_keep_resident`](Self::table_keep_resident)).
///
/// Address space is reserved for every slot when the engine is created:
/// with guard-page bounds checks (the default on 64-bit hosts) each memory
/// slot is a whole guard reservation of 8 GiB + 64 KiB (4 GiB of memory,
/// then its guard), so the default 1000 memories reserve about 8 TiB of
/// address space — reserved only, `PROT_NONE`, costing no memory. With
/// explicit bounds checks a memory slot is `max_memory_size` bytes.
///
/// Every memory, 64-bit ones and those with 1-byte pages included, may
/// have at most `max_memory_size` bytes; those accessed without checks
/// (32-bit, 64 KiB pages, guard-page mode) keep their full guard region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolingAllocationConfig {
    limits: PoolLimits,
}

impl PoolingAllocationConfig {
    pub fn new() -> PoolingAllocationConfig {
        PoolingAllocationConfig::default()
    }

    /// Most instances alive at once across all stores of the engine
    /// (default 1000): one vmctx slot each.
    pub fn total_core_instances(&mut self, count: u32) -> &mut Self {
        self.limits.total_core_instances = count;
        self
    }

    /// Most linear memories alive at once across all stores (default
    /// 1000), those instances define and those the host creates.
    pub fn total_memories(&mut self, count: u32) -> &mut Self {
        self.limits.total_memories = count;
        self
    }

    /// Most tables alive at once across all stores (default 1000), those
    /// instances define and those the host creates.
    pub fn total_tables(&mut self, count: u32) -> &mut Self {
        self.limits.total_tables = count;
        self
    }

    /// Most bytes of VM context an instance may need (default 1 MiB); a
    /// module whose instances need more fails to instantiate.
    pub fn max_core_instance_size(&mut self, bytes: usize) -> &mut Self {
        self.limits.max_core_instance_size = bytes;
        self
    }

    /// Most bytes any linear memory may have (default 4 GiB): a memory
    /// whose minimum is larger fails to be created (its module to
    /// instantiate), and growth past it fails (`memory.grow` returns -1).
    pub fn max_memory_size(&mut self, bytes: usize) -> &mut Self {
        self.limits.max_memory_size = bytes;
        self
    }

    /// Most elements any table may have (default 20,000): a table whose
    /// minimum is larger fails to be created, growth past it fails
    /// (`table.grow` returns -1).
    pub fn table_elements(&mut self, elements: usize) -> &mut Self {
        self.limits.table_elements = elements;
        self
    }

    /// Most memories a module may define (default 1); more fails
    /// instantiation.
    pub fn max_memories_per_module(&mut self, count: u32) -> &mut Self {
        self.limits.max_memories_per_module = count;
        self
    }

    /// Most tables a module may define (default 1); more fails
    /// instantiation.
    pub fn max_tables_per_module(&mut self, count: u32) -> &mut Self {
        self.limits.max_tables_per_module = count;
        self
    }

    /// Bytes at the start of each linear memory slot that are zeroed in
    /// place, staying resident, when the memory is freed (default 0);
    /// the rest is given back to the kernel (`madvise(MADV_DONTNEED)`).
    /// Zeroing costs time per byte, giving back costs page faults on the
    /// next use. Pages of a memory image are always given back (they then
    /// read the image again). Rounded down to the host page.
    pub fn linear_memory_keep_resident(&mut self, bytes: usize) -> &mut Self {
        self.limits.linear_memory_keep_resident = bytes;
        self
    }

    /// As [`linear_memory_keep_resident`](Self::linear_memory_keep_resident),
    /// for table slots (default 16 KiB, 2048 elements, where wasmtime's is
    /// 0: the slot of a table that used no more is then reset by zeroing
    /// the bytes it used, with no system call and no page faults on its
    /// next use).
    pub fn table_keep_resident(&mut self, bytes: usize) -> &mut Self {
        self.limits.table_keep_resident = bytes;
        self
    }
}

/// The allocator `config` asks for, for its engine.
pub(crate) fn allocator(config: &Config) -> Result<Arc<dyn InstanceAllocator>> {
    Ok(match &config.allocation {
        InstanceAllocationStrategy::OnDemand => Arc::new(OnDemandAllocator::default()),
        InstanceAllocationStrategy::Pooling(pooling) => Arc::new(PoolingAllocator::new(
            pooling.limits.clone(),
            config.tunables.bounds_checks,
        )?),
    })
}
