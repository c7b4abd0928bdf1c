//! Tables: the element storage behind a `VMTableDefinition` pointer in a
//! vmctx, and growth.

use super::limits::ResourceLimiter;
use super::vmctx::VMTableDefinition;
use crate::types::TableType;
use anyhow::{Result, anyhow, bail};

/// Tables never hold more elements than this, whatever their maximum says,
/// so a wasm `table.grow` cannot exhaust host memory.
pub const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

/// A table the store owns.
pub struct TableData {
    /// What compiled code reads; boxed so its address is stable.
    pub def: Box<VMTableDefinition>,
    pub elements: Vec<usize>,
    pub ty: TableType,
}

// SAFETY: `def.base` points into `elements`, owned by this value.
unsafe impl Send for TableData {}

impl TableData {
    pub fn new(ty: TableType, init: usize) -> Result<TableData> {
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
        let mut elements = vec![init; ty.minimum as usize];
        let def = Box::new(VMTableDefinition {
            base: elements.as_mut_ptr(),
            length: elements.len(),
        });
        Ok(TableData { def, elements, ty })
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
        let old = self.elements.len() as u64;
        let new = old.checked_add(delta);
        let max = self.ty.maximum.unwrap_or(u64::MAX);
        let fits = new.filter(|&n| n <= max.min(self.ty.index_limit()).min(MAX_TABLE_ELEMENTS));
        if let Some(limiter) = limiter {
            let Some(new) = new else {
                limiter.table_grow_failed(anyhow!(
                    "table size overflows {delta} elements past {old}"
                ))?;
                return Ok(None);
            };
            let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
            let maximum = self.ty.maximum.map(size);
            if !limiter.table_growing(self.elements.len(), size(new), maximum)? {
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
        self.elements.resize(new as usize, init);
        self.def.base = self.elements.as_mut_ptr();
        self.def.length = self.elements.len();
        Ok(Some(old))
    }
}
