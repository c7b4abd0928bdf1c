//! The VM context: the per-instance block of memory that compiled code reads
//! through its `vmctx` parameter.
//!
//! `VMOffsets` is the single source of truth for its layout: the translator
//! computes addresses with it and the runtime fills the block with it. The
//! `#[repr(C)]` records that the block holds or points to are defined here
//! too, and every offset and size is derived from them (`offset_of!`,
//! `size_of`), never written out, so the compiled code's view and the
//! runtime's cannot drift apart. The `const` assertions below pin what the
//! translator additionally assumes about them (which loads it emits).
//!
//! Layout (all offsets in bytes from the start of the block):
//!
//! | what | type | where |
//! |---|---|---|
//! | header | `VMContextHeader` | `MAGIC_OFFSET`, `STORE_CONTEXT_OFFSET`, ... |
//! | defined globals | `[VMGlobal; defined globals]` | `defined_global(i)` |
//! | interned type ids | `[u32; types]` | `type_id(i)` |
//! | imported functions | `[VMFunctionImport; imported funcs]` | `imported_func(i)` |
//! | memories | `[*mut VMMemoryDefinition; memories]` | `memory_ptr(i)` |
//! | tables | `[*mut VMTableDefinition; tables]` | `table_ptr(i)` |
//! | imported globals | `[*mut VMGlobal; imported globals]` | `imported_global(i)` |
//! | function references | `[VMFuncRef; referenced funcs]` | `func_ref(i)` |
//!
//! Memories and tables are reached through a pointer even when the
//! instance defines them, so imported and defined ones look the same to
//! compiled code; their records are owned by the store. A defined global
//! lives in the block itself (`global.rs`). Only functions whose reference
//! can be taken have a `VMFuncRef` (`ModuleInfo::referenced_funcs`), in
//! function index order: sqlite3 has 2,562 functions of which a few
//! hundred escape, and instantiation writes each record.

use crate::info::ModuleInfo;
use std::mem::{align_of, offset_of, size_of};
use std::sync::atomic::AtomicU64;

/// Marks a block as a Kiln VM context (checked in debug builds).
pub const VMCTX_MAGIC: u32 = u32::from_le_bytes(*b"kiln");

/// The fixed start of every vmctx block; the per-module arrays follow.
#[repr(C)]
pub struct VMContextHeader {
    /// `VMCTX_MAGIC`.
    pub magic: u32,
    /// The store's `VMStoreContext`, shared by all its instances.
    pub store_context: *mut VMStoreContext,
    /// The builtin function table (`libcalls::BUILTINS`).
    pub builtins: *const super::libcalls::BuiltinTable,
    /// The embedding's store, opaque to the VM: host functions called from
    /// this instance get it back.
    pub store: *mut u8,
    /// The owning store's runtime objects, for builtins.
    pub objects: *mut super::objects::StoreObjects,
    /// The owning instance (an `InstanceData`), for builtins.
    pub instance: *mut u8,
}

pub const MAGIC_OFFSET: u32 = offset_of!(VMContextHeader, magic) as u32;
pub const STORE_CONTEXT_OFFSET: u32 = offset_of!(VMContextHeader, store_context) as u32;
pub const BUILTINS_OFFSET: u32 = offset_of!(VMContextHeader, builtins) as u32;
pub const STORE_OFFSET: u32 = offset_of!(VMContextHeader, store) as u32;
pub const OBJECTS_OFFSET: u32 = offset_of!(VMContextHeader, objects) as u32;
pub const INSTANCE_OFFSET: u32 = offset_of!(VMContextHeader, instance) as u32;
const HEADER_SIZE: u32 = size_of::<VMContextHeader>() as u32;

/// State shared by every instance of a store, reached through
/// `STORE_CONTEXT_OFFSET`: a call from one instance into another must see
/// the same stack limit, draw on the same fuel and answer to the same
/// epoch deadline.
#[repr(C)]
#[derive(Debug)]
pub struct VMStoreContext {
    /// Lowest stack pointer wasm may use; checked in every prologue.
    pub stack_limit: usize,
    /// Fuel left; compiled code traps when it drops below zero.
    pub fuel: i64,
    /// The epoch at which compiled code stops (calls the `new_epoch`
    /// builtin) when epoch interruption is on.
    pub epoch_deadline: u64,
    /// The engine's epoch counter, which any thread may increment; it
    /// outlives the store (the store holds its engine). Compiled code
    /// reads it with a plain 64-bit load, atomic on every host Kiln runs
    /// on.
    pub epoch_counter: *const AtomicU64,
    /// What compiled code calls at the deadline: the engine's stub in
    /// Cranelift's `preserve_all` convention, `fn(vmctx)`, which calls the
    /// `new_epoch` builtin and traps on its status (null when epochs are
    /// off). Calling through it keeps the call from clobbering registers
    /// in the loops that check.
    pub epoch_stub: *const u8,
}

// SAFETY: the only pointers are to the engine's atomic epoch counter and
// epoch stub (immutable code), which outlive every store of the engine and
// are safe to use from any thread.
unsafe impl Send for VMStoreContext {}

pub const STORE_CONTEXT_STACK_LIMIT: u32 = offset_of!(VMStoreContext, stack_limit) as u32;
pub const STORE_CONTEXT_FUEL: u32 = offset_of!(VMStoreContext, fuel) as u32;
pub const STORE_CONTEXT_EPOCH_DEADLINE: u32 = offset_of!(VMStoreContext, epoch_deadline) as u32;
pub const STORE_CONTEXT_EPOCH_COUNTER: u32 = offset_of!(VMStoreContext, epoch_counter) as u32;
pub const STORE_CONTEXT_EPOCH_STUB: u32 = offset_of!(VMStoreContext, epoch_stub) as u32;

/// An imported function as compiled code calls it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct VMFunctionImport {
    /// Entry point with the wasm calling convention (see `abi.rs`).
    pub code: *const u8,
    /// The callee's vmctx argument.
    pub vmctx: *mut u8,
}

pub const FUNCTION_IMPORT_CODE: u32 = offset_of!(VMFunctionImport, code) as u32;
pub const FUNCTION_IMPORT_VMCTX: u32 = offset_of!(VMFunctionImport, vmctx) as u32;
const FUNCTION_IMPORT_SIZE: u32 = size_of::<VMFunctionImport>() as u32;

/// A function reference: what `funcref` values point to.
///
/// A null `funcref` is the null pointer; a non-null one points to one of
/// these, which lives in some instance's vmctx (or a host function's
/// context) and so stays valid as long as the store.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct VMFuncRef {
    /// Entry point with the wasm calling convention.
    pub code: *const u8,
    /// Engine-wide interned signature id, compared by `call_indirect`.
    pub type_id: u32,
    pub _pad: u32,
    /// The callee's vmctx argument.
    pub vmctx: *mut u8,
}

/// What a defined function's [`VMFuncRef`] holds in every instance of its
/// module, all but the instance's vmctx, and where it goes in the block.
/// A module keeps one per defined function whose reference can be taken
/// (the others have no record), so instantiation writes them from one
/// place instead of looking up code and types. `code` is an address, not a
/// pointer, so modules stay `Send + Sync` without an `unsafe impl`.
#[derive(Clone, Copy, Debug)]
pub struct FuncRefTemplate {
    pub code: usize,
    pub type_id: u32,
    /// The record's offset in the vmctx (`VMOffsets::func_ref`).
    pub offset: u32,
}

pub const FUNC_REF_CODE: u32 = offset_of!(VMFuncRef, code) as u32;
pub const FUNC_REF_TYPE_ID: u32 = offset_of!(VMFuncRef, type_id) as u32;
pub const FUNC_REF_VMCTX: u32 = offset_of!(VMFuncRef, vmctx) as u32;
pub const FUNC_REF_SIZE: u32 = size_of::<VMFuncRef>() as u32;

/// A linear memory as compiled code sees it.
#[repr(C)]
#[derive(Debug)]
pub struct VMMemoryDefinition {
    pub base: *mut u8,
    /// Current length in bytes.
    pub length: usize,
}

pub const MEMORY_BASE: u32 = offset_of!(VMMemoryDefinition, base) as u32;
pub const MEMORY_LENGTH: u32 = offset_of!(VMMemoryDefinition, length) as u32;

/// A table as compiled code sees it: `length` pointer-sized elements at
/// `base`. A `funcref` element is a `*const VMFuncRef` (0 = null); an
/// `externref` element is a store-slab handle (0 = null).
#[repr(C)]
#[derive(Debug)]
pub struct VMTableDefinition {
    pub base: *mut usize,
    /// Current length in elements.
    pub length: usize,
}

pub const TABLE_BASE: u32 = offset_of!(VMTableDefinition, base) as u32;
pub const TABLE_LENGTH: u32 = offset_of!(VMTableDefinition, length) as u32;

/// A global's storage: a 16-byte slot holding the value's bits
/// little-endian from offset 0 (i32/f32 in the low 4 bytes, i64/f64 and
/// references in the low 8 bytes, v128 in all 16).
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, Default)]
pub struct VMGlobal {
    pub bits: u128,
}

/// A type id slot, a pointer slot (memories, tables, imported globals), a
/// defined global.
const TYPE_ID_SIZE: u32 = size_of::<u32>() as u32;
const GLOBAL_SIZE: u32 = size_of::<VMGlobal>() as u32;
const PTR_SIZE: u32 = size_of::<usize>() as u32;

// Checked at compile time, beyond the derived offsets: each record is its
// fields and no hidden padding (compiled code loads pointers and lengths
// pointer-sized, a type id as `i32`, a global as up to one 16-byte slot),
// and the arrays `VMOffsets` lays out stay aligned for those loads.
const _: () = {
    const PTR: usize = size_of::<usize>();
    assert!(size_of::<VMContextHeader>() == 6 * PTR);
    // Compiled code loads the epoch counter as a plain aligned `i64`.
    assert!(size_of::<AtomicU64>() == 8 && align_of::<AtomicU64>() == 8);
    assert!(size_of::<VMFunctionImport>() == 2 * PTR);
    // `code` and `vmctx` around a `u32` type id and its padding.
    assert!(size_of::<VMFuncRef>() == 2 * PTR + 8);
    assert!(size_of::<VMMemoryDefinition>() == 2 * PTR);
    assert!(size_of::<VMTableDefinition>() == 2 * PTR);
    assert!(size_of::<VMGlobal>() == 16 && align_of::<VMGlobal>() == 16);
    // The arrays after the header: defined globals need 16-byte alignment
    // (the header keeps it: the block itself is 16-byte aligned, see
    // `allocator::VmctxBlock`), type ids 4-byte alignment, the rest
    // pointer alignment (restored after the type ids).
    assert!((HEADER_SIZE as usize).is_multiple_of(align_of::<VMGlobal>()));
    assert!(
        align_of::<VMFunctionImport>() == PTR
            && (FUNCTION_IMPORT_SIZE as usize).is_multiple_of(PTR)
    );
    assert!(align_of::<VMFuncRef>() == PTR && (FUNC_REF_SIZE as usize).is_multiple_of(PTR));
    assert!(align_of::<VMContextHeader>() <= 16);
};

/// Offsets of one module's vmctx layout: the header, then the defined
/// globals (16-byte slots, aligned since the header is), type ids,
/// imported functions, then pointers to every memory and table and to
/// each imported global, then the `VMFuncRef` of each function whose
/// reference can be taken.
#[derive(Clone, Debug)]
pub struct VMOffsets {
    num_types: u32,
    num_imported_funcs: u32,
    num_memories: u32,
    num_tables: u32,
    num_imported_globals: u32,
    num_defined_globals: u32,
    /// By function index, its record's index among the `VMFuncRef`s, or
    /// `u32::MAX` for a function whose reference cannot be taken.
    func_ref_slots: Box<[u32]>,
    defined_globals: u32,
    type_ids: u32,
    imported_funcs: u32,
    memories: u32,
    tables: u32,
    imported_globals: u32,
    func_refs: u32,
    size: u32,
}

fn align_up(n: u32, align: usize) -> u32 {
    n.next_multiple_of(align as u32)
}

impl VMOffsets {
    pub fn new(info: &ModuleInfo) -> VMOffsets {
        let num_types = info.types.len() as u32;
        let num_imported_funcs = info.num_imported_funcs;
        let num_memories = info.memories.len() as u32;
        let num_tables = info.tables.len() as u32;
        let num_imported_globals = info.num_imported_globals;
        let num_defined_globals = info.globals.len() as u32 - num_imported_globals;
        let mut func_ref_slots = vec![u32::MAX; info.funcs.len()].into_boxed_slice();
        let referenced = info.referenced_funcs();
        for (slot, &f) in referenced.iter().enumerate() {
            func_ref_slots[f as usize] = slot as u32;
        }
        let num_func_refs = referenced.len() as u32;
        let defined_globals = HEADER_SIZE;
        let type_ids = defined_globals + GLOBAL_SIZE * num_defined_globals;
        let imported_funcs = align_up(
            type_ids + TYPE_ID_SIZE * num_types,
            align_of::<VMFunctionImport>(),
        );
        let memories = imported_funcs + FUNCTION_IMPORT_SIZE * num_imported_funcs;
        let tables = memories + PTR_SIZE * num_memories;
        let imported_globals = tables + PTR_SIZE * num_tables;
        let func_refs = imported_globals + PTR_SIZE * num_imported_globals;
        let size = func_refs + FUNC_REF_SIZE * num_func_refs;
        VMOffsets {
            num_types,
            num_imported_funcs,
            num_memories,
            num_tables,
            num_imported_globals,
            num_defined_globals,
            func_ref_slots,
            defined_globals,
            type_ids,
            imported_funcs,
            memories,
            tables,
            imported_globals,
            func_refs,
            size,
        }
    }

    /// Total size of the block in bytes.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// `u32`: engine-wide id of the module's type `index`.
    pub fn type_id(&self, index: u32) -> u32 {
        assert!(index < self.num_types);
        self.type_ids + TYPE_ID_SIZE * index
    }

    /// `VMFunctionImport` of imported function `index`.
    pub fn imported_func(&self, index: u32) -> u32 {
        assert!(index < self.num_imported_funcs);
        self.imported_funcs + FUNCTION_IMPORT_SIZE * index
    }

    /// `*mut VMMemoryDefinition` of memory `index`.
    pub fn memory_ptr(&self, index: u32) -> u32 {
        assert!(index < self.num_memories);
        self.memories + PTR_SIZE * index
    }

    /// `*mut VMTableDefinition` of table `index`.
    pub fn table_ptr(&self, index: u32) -> u32 {
        assert!(index < self.num_tables);
        self.tables + PTR_SIZE * index
    }

    /// `*mut VMGlobal` of imported global `index`.
    pub fn imported_global(&self, index: u32) -> u32 {
        assert!(index < self.num_imported_globals);
        self.imported_globals + PTR_SIZE * index
    }

    /// The `VMGlobal` of defined global `index` (counted from the first
    /// defined one), inline in the block.
    pub fn defined_global(&self, index: u32) -> u32 {
        assert!(index < self.num_defined_globals);
        self.defined_globals + GLOBAL_SIZE * index
    }

    /// Where the `VMFuncRef`s start; they run to the end of the block.
    pub fn func_refs_start(&self) -> u32 {
        self.func_refs
    }

    /// Whether function `index` has a `VMFuncRef`: whether its reference
    /// can be taken (`ModuleInfo::referenced_funcs`).
    pub fn has_func_ref(&self, index: u32) -> bool {
        self.func_ref_slots[index as usize] != u32::MAX
    }

    /// `VMFuncRef` of function `index` (imported or defined), which must
    /// have one ([`VMOffsets::has_func_ref`]; validation lets no other be
    /// named).
    pub fn func_ref(&self, index: u32) -> u32 {
        let slot = self.func_ref_slots[index as usize];
        assert!(slot != u32::MAX, "function {index} has no VMFuncRef");
        self.func_refs + FUNC_REF_SIZE * slot
    }
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    use super::*;

    fn check(what: &str, derived: u32, expected: u32) {
        assert_eq!(derived, expected, "{what}");
    }

    /// The derived layout on 64-bit hosts is the one precompiled artifacts
    /// (`artifact.rs`, `FORMAT_VERSION`) were compiled against: a change
    /// here changes compiled code, so it needs a format version bump.
    #[test]
    fn layout_matches_artifact_format() {
        check("magic", MAGIC_OFFSET, 0);
        check("store context", STORE_CONTEXT_OFFSET, 8);
        check("builtins", BUILTINS_OFFSET, 16);
        check("store", STORE_OFFSET, 24);
        check("objects", OBJECTS_OFFSET, 32);
        check("instance", INSTANCE_OFFSET, 40);
        check("header size", HEADER_SIZE, 48);
        check("stack limit", STORE_CONTEXT_STACK_LIMIT, 0);
        check("fuel", STORE_CONTEXT_FUEL, 8);
        check("epoch deadline", STORE_CONTEXT_EPOCH_DEADLINE, 16);
        check("epoch counter", STORE_CONTEXT_EPOCH_COUNTER, 24);
        check("epoch stub", STORE_CONTEXT_EPOCH_STUB, 32);
        check("import code", FUNCTION_IMPORT_CODE, 0);
        check("import vmctx", FUNCTION_IMPORT_VMCTX, 8);
        check("import size", FUNCTION_IMPORT_SIZE, 16);
        check("funcref code", FUNC_REF_CODE, 0);
        check("funcref type id", FUNC_REF_TYPE_ID, 8);
        check("funcref vmctx", FUNC_REF_VMCTX, 16);
        check("funcref size", FUNC_REF_SIZE, 24);
        check("memory base", MEMORY_BASE, 0);
        check("memory length", MEMORY_LENGTH, 8);
        check("table base", TABLE_BASE, 0);
        check("table length", TABLE_LENGTH, 8);
    }
}
