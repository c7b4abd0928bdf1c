//! Tables: the element storage behind a `VMTableDefinition` pointer in a
//! vmctx, and growth. Elements live on the heap (the on-demand allocator)
//! or in a slot of the pooling allocator, which never moves and holds at
//! most its configured number of elements.

use super::limits::ResourceLimiter;
use super::vmctx::VMTableDefinition;
use crate::types::TableType;
use anyhow::{Result, anyhow, bail};

/// Tables never hold more elements than this, whatever their maximum says,
/// so a wasm `table.grow` cannot exhaust host memory.
pub const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

/// A table the store owns.
pub struct TableData {
    /// What compiled code reads; boxed so its address is stable. `base`
    /// points at the elements, `length` counts them.
    pub def: Box<VMTableDefinition>,
    storage: Storage,
    pub ty: TableType,
}

/// Where a table's elements live.
enum Storage {
    /// On the heap, reallocated as the table grows.
    Heap(Vec<usize>),
    /// In a pooling allocator's slot of `capacity` elements at `def.base`,
    /// owned by this table until the allocator takes it back.
    Pooled { slot: u32, capacity: usize },
}

// SAFETY: `def.base` points into `storage` (the vector, or the pool slot
// this table owns exclusively); nothing else refers to the elements.
unsafe impl Send for TableData {}

impl TableData {
    /// Why a table of type `ty` cannot be created, if it cannot.
    pub fn validate(ty: &TableType) -> Result<()> {
        if ty.maximum.is_some_and(|max| max < ty.minimum) {
            bail!(
                "table minimum of {} elements exceeds its maximum of {:?}",
                ty.minimum,
                ty.maximum
            );
        }
        if ty.minimum > MAX_TABLE_ELEMENTS {
            bail!(
                "table minimum of {} elements exceeds Kiln's limit of {MAX_TABLE_ELEMENTS}",
                ty.minimum
            );
        }
        Ok(())
    }

    pub fn new(ty: TableType, init: usize) -> Result<TableData> {
        TableData::validate(&ty)?;
        let mut elements = vec![init; ty.minimum as usize];
        let def = Box::new(VMTableDefinition {
            base: elements.as_mut_ptr(),
            length: elements.len(),
        });
        Ok(TableData {
            def,
            storage: Storage::Heap(elements),
            ty,
        })
    }

    /// A table of type `ty` in pool slot `slot`: `capacity` elements at
    /// `base`, of which the first `ty.minimum` are set to `init`. The
    /// caller has checked `ty` ([`TableData::validate`]) and that its
    /// minimum fits the capacity.
    ///
    /// # Safety
    /// `base` must point to `capacity` zeroed, writable elements that
    /// nothing else uses until the allocator takes this table back.
    pub unsafe fn pooled(
        ty: TableType,
        init: usize,
        slot: u32,
        base: *mut usize,
        capacity: usize,
    ) -> TableData {
        let length = ty.minimum as usize;
        debug_assert!(length <= capacity);
        let mut table = TableData {
            def: Box::new(VMTableDefinition { base, length }),
            storage: Storage::Pooled { slot, capacity },
            ty,
        };
        // A free slot is zeroed: only a non-null initial value is written.
        if init != 0 {
            table.elements_mut().fill(init);
        }
        table
    }

    /// The pool slot this table lives in, if a pooling allocator made it.
    pub fn pool_slot(&self) -> Option<u32> {
        match self.storage {
            Storage::Heap(_) => None,
            Storage::Pooled { slot, .. } => Some(slot),
        }
    }

    pub fn elements(&self) -> &[usize] {
        match &self.storage {
            Storage::Heap(elements) => elements.as_slice(),
            // SAFETY: the first `def.length` elements of the slot are this
            // table's, initialised (a free slot is zeroed; growth writes).
            Storage::Pooled { .. } => unsafe {
                std::slice::from_raw_parts(self.def.base, self.def.length)
            },
        }
    }

    pub fn elements_mut(&mut self) -> &mut [usize] {
        match &mut self.storage {
            Storage::Heap(elements) => elements.as_mut_slice(),
            // SAFETY: as in `elements`, uniquely borrowed.
            Storage::Pooled { .. } => unsafe {
                std::slice::from_raw_parts_mut(self.def.base, self.def.length)
            },
        }
    }

    /// The most elements the storage can hold (pool slots are fixed).
    fn capacity(&self) -> u64 {
        match self.storage {
            Storage::Heap(_) => u64::MAX,
            Storage::Pooled { capacity, .. } => capacity as u64,
        }
    }

    /// Grow by `delta` elements set to `init`, as `limiter` (if any)
    /// allows: the old size, or `None` if the table cannot grow that much
    /// (the limiter denies it; past its maximum, its index type's limit
    /// or `MAX_TABLE_ELEMENTS`). `Err` is the limiter's error.
    pub fn grow(
        &mut self,
        delta: u64,
        init: usize,
        limiter: Option<&mut dyn ResourceLimiter>,
    ) -> Result<Option<u64>> {
        let old = self.def.length as u64;
        let new = old.checked_add(delta);
        let max = (self.ty.maximum.unwrap_or(u64::MAX))
            .min(self.ty.index_limit())
            .min(MAX_TABLE_ELEMENTS)
            .min(self.capacity());
        let fits = new.filter(|&n| n <= max);
        if let Some(limiter) = limiter {
            let Some(new) = new else {
                limiter.table_grow_failed(anyhow!(
                    "table size overflows {delta} elements past {old}"
                ))?;
                return Ok(None);
            };
            let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
            let maximum = self.ty.maximum.map(size);
            if !limiter.table_growing(self.def.length, size(new), maximum)? {
                return Ok(None);
            }
            if fits.is_none() {
                limiter.table_grow_failed(anyhow!("table maximum size exceeded"))?;
                return Ok(None);
            }
        }
        let Some(new) = fits else {
            return Ok(None);
        };
        if let Storage::Heap(elements) = &mut self.storage {
            elements.resize(new as usize, init);
            self.def.base = elements.as_mut_ptr();
            self.def.length = new as usize;
        } else {
            // In place: the slot has room (`capacity`).
            self.def.length = new as usize;
            self.elements_mut()[old as usize..].fill(init);
        }
        Ok(Some(old))
    }
}
