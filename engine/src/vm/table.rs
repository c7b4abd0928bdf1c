//! Tables: the element storage behind a `VMTableDefinition` pointer in a
//! vmctx, and growth.

use super::vmctx::VMTableDefinition;
use crate::types::TableType;
use anyhow::{Result, bail};

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

    /// Grow by `delta` elements set to `init`; the old size, or `None`.
    pub fn grow(&mut self, delta: u64, init: usize) -> Option<u64> {
        let old = self.elements.len() as u64;
        let new = old.checked_add(delta)?;
        let max = self.ty.maximum.unwrap_or(u64::MAX);
        if new > max.min(self.ty.index_limit()).min(MAX_TABLE_ELEMENTS) {
            return None;
        }
        self.elements.resize(new as usize, init);
        self.def.base = self.elements.as_mut_ptr();
        self.def.length = self.elements.len();
        Some(old)
    }
}
