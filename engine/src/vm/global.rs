//! Globals: where a global's value lives, and the store's record of it.
//!
//! A global an instance defines lives inline in that instance's vmctx
//! block (`VMOffsets::defined_global`), as in wasmtime: instantiating
//! allocates nothing per global, and compiled code reads it one load from
//! the vmctx. Its store record (`GlobalData`) is made only when the API
//! first hands it out (`StoreObjects::instance_global`); constant
//! expressions read globals from the vmctx, as compiled code does. A
//! global the host makes has a slot of its own. Either way the slot never
//! moves and lives as long as the store, so importers hold its address
//! (`VMOffsets::imported_global`).

use super::vmctx::VMGlobal;
use crate::types::GlobalType;
use std::ptr::NonNull;

/// A global the store holds: its type and the address of its slot.
pub struct GlobalData {
    slot: NonNull<VMGlobal>,
    /// Whether `slot` came from `Box::into_raw` (a host global), to be
    /// freed with this record; otherwise it is inside a vmctx block the
    /// store frees itself.
    owned: bool,
    pub ty: GlobalType,
}

// SAFETY: the slot is owned by this record or by a vmctx block of the same
// store, and is only read or written through the store, which `&`/`&mut`
// rules already serialise.
unsafe impl Send for GlobalData {}
// SAFETY: as for `Send`: shared access reads the slot only.
unsafe impl Sync for GlobalData {}

impl GlobalData {
    /// A host global with its own slot holding `bits`.
    pub fn host(ty: GlobalType, bits: u128) -> GlobalData {
        let slot = NonNull::from(Box::leak(Box::new(VMGlobal { bits })));
        GlobalData {
            slot,
            owned: true,
            ty,
        }
    }

    /// A global defined by an instance, whose slot is in its vmctx block.
    ///
    /// # Safety
    /// `slot` must be valid, aligned and initialised, and stay so as long
    /// as the store this record joins (vmctx blocks are freed with it).
    pub unsafe fn in_vmctx(ty: GlobalType, slot: *mut VMGlobal) -> GlobalData {
        GlobalData {
            // SAFETY: valid (the caller's promise), so not null.
            slot: unsafe { NonNull::new_unchecked(slot) },
            owned: false,
            ty,
        }
    }

    /// The slot's address, for a vmctx that imports this global.
    pub fn slot(&self) -> *mut VMGlobal {
        self.slot.as_ptr()
    }

    pub fn bits(&self) -> u128 {
        // SAFETY: the slot is valid while this record is (see the
        // constructors), and no compiled code runs during a host read.
        unsafe { self.slot.as_ptr().read().bits }
    }

    pub fn set_bits(&mut self, bits: u128) {
        // SAFETY: as in `bits`; `&mut self` is the store's exclusive access.
        unsafe { self.slot.as_ptr().write(VMGlobal { bits }) }
    }
}

impl Drop for GlobalData {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: `host` made the slot with `Box::leak`, and only this
            // record frees it.
            drop(unsafe { Box::from_raw(self.slot.as_ptr()) });
        }
    }
}
