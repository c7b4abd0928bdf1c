//! The VM context: the per-instance block of memory that compiled code reads
//! through its `vmctx` parameter.
//!
//! `VMOffsets` is the single source of truth for its layout: the translator
//! computes addresses with it and the runtime fills the block with it. The
//! `#[repr(C)]` records that the block points to are defined here too.
//!
//! Layout (all offsets in bytes from the start of the block):
//!
//! | what | type | where |
//! |---|---|---|
//! | magic | `u32` | `MAGIC_OFFSET` |
//! | store context | `*mut VMStoreContext` | `STORE_CONTEXT_OFFSET` |
//! | builtin function table | `*const BuiltinTable` | `BUILTINS_OFFSET` |
//! | owning store | `*mut StoreInner` | `STORE_OFFSET` |
//! | owning instance | `*mut InstanceData` | `INSTANCE_OFFSET` |
//! | interned type ids | `[u32; types]` | `type_id(i)` |
//! | imported functions | `[VMFunctionImport; imported funcs]` | `imported_func(i)` |
//! | memories | `[*mut VMMemoryDefinition; memories]` | `memory_ptr(i)` |
//! | tables | `[*mut VMTableDefinition; tables]` | `table_ptr(i)` |
//! | globals | `[*mut VMGlobal; globals]` | `global_ptr(i)` |
//! | function references | `[VMFuncRef; funcs]` | `func_ref(i)` |
//!
//! Memories, tables and globals are reached through a pointer even when the
//! instance defines them, so imported and defined entities look the same to
//! compiled code; the records themselves are owned by the store.

use crate::info::ModuleInfo;

/// Marks a block as a Kiln VM context (checked in debug builds).
pub const VMCTX_MAGIC: u32 = u32::from_le_bytes(*b"kiln");

pub const MAGIC_OFFSET: u32 = 0;
pub const STORE_CONTEXT_OFFSET: u32 = 8;
pub const BUILTINS_OFFSET: u32 = 16;
pub const STORE_OFFSET: u32 = 24;
pub const INSTANCE_OFFSET: u32 = 32;
const HEADER_SIZE: u32 = 40;

/// State shared by every instance of a store, reached through
/// `STORE_CONTEXT_OFFSET`: a call from one instance into another must see
/// the same stack limit and draw on the same fuel.
#[repr(C)]
#[derive(Debug)]
pub struct VMStoreContext {
    /// Lowest stack pointer wasm may use; checked in every prologue.
    pub stack_limit: usize,
    /// Fuel left; compiled code traps when it drops below zero.
    pub fuel: i64,
}

pub const STORE_CONTEXT_STACK_LIMIT: u32 = 0;
pub const STORE_CONTEXT_FUEL: u32 = 8;

/// An imported function as compiled code calls it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct VMFunctionImport {
    /// Entry point with the wasm calling convention (see `abi.rs`).
    pub code: *const u8,
    /// The callee's vmctx argument.
    pub vmctx: *mut u8,
}

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

pub const FUNC_REF_CODE: u32 = 0;
pub const FUNC_REF_TYPE_ID: u32 = 8;
pub const FUNC_REF_VMCTX: u32 = 16;
pub const FUNC_REF_SIZE: u32 = 24;

/// A linear memory as compiled code sees it.
#[repr(C)]
#[derive(Debug)]
pub struct VMMemoryDefinition {
    pub base: *mut u8,
    /// Current length in bytes.
    pub length: usize,
}

pub const MEMORY_BASE: u32 = 0;
pub const MEMORY_LENGTH: u32 = 8;

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

pub const TABLE_BASE: u32 = 0;
pub const TABLE_LENGTH: u32 = 8;

/// A global's storage: a 16-byte slot holding the value's bits
/// little-endian from offset 0 (i32/f32 in the low 4 bytes, i64/f64 and
/// references in the low 8 bytes, v128 in all 16).
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, Default)]
pub struct VMGlobal {
    pub bits: u128,
}

/// Offsets of one module's vmctx layout.
#[derive(Clone, Debug)]
pub struct VMOffsets {
    num_types: u32,
    num_imported_funcs: u32,
    num_memories: u32,
    num_tables: u32,
    num_globals: u32,
    num_funcs: u32,
    type_ids: u32,
    imported_funcs: u32,
    memories: u32,
    tables: u32,
    globals: u32,
    func_refs: u32,
    size: u32,
}

fn align8(n: u32) -> u32 {
    (n + 7) & !7
}

impl VMOffsets {
    pub fn new(info: &ModuleInfo) -> VMOffsets {
        let num_types = info.types.len() as u32;
        let num_imported_funcs = info.num_imported_funcs;
        let num_memories = info.memories.len() as u32;
        let num_tables = info.tables.len() as u32;
        let num_globals = info.globals.len() as u32;
        let num_funcs = info.funcs.len() as u32;
        let type_ids = HEADER_SIZE;
        let imported_funcs = align8(type_ids + 4 * num_types);
        let memories = imported_funcs + 16 * num_imported_funcs;
        let tables = memories + 8 * num_memories;
        let globals = tables + 8 * num_tables;
        let func_refs = globals + 8 * num_globals;
        let size = func_refs + FUNC_REF_SIZE * num_funcs;
        VMOffsets {
            num_types,
            num_imported_funcs,
            num_memories,
            num_tables,
            num_globals,
            num_funcs,
            type_ids,
            imported_funcs,
            memories,
            tables,
            globals,
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
        self.type_ids + 4 * index
    }

    /// `VMFunctionImport` of imported function `index`.
    pub fn imported_func(&self, index: u32) -> u32 {
        assert!(index < self.num_imported_funcs);
        self.imported_funcs + 16 * index
    }

    /// `*mut VMMemoryDefinition` of memory `index`.
    pub fn memory_ptr(&self, index: u32) -> u32 {
        assert!(index < self.num_memories);
        self.memories + 8 * index
    }

    /// `*mut VMTableDefinition` of table `index`.
    pub fn table_ptr(&self, index: u32) -> u32 {
        assert!(index < self.num_tables);
        self.tables + 8 * index
    }

    /// `*mut VMGlobal` of global `index`.
    pub fn global_ptr(&self, index: u32) -> u32 {
        assert!(index < self.num_globals);
        self.globals + 8 * index
    }

    /// `VMFuncRef` of function `index` (imported or defined).
    pub fn func_ref(&self, index: u32) -> u32 {
        assert!(index < self.num_funcs);
        self.func_refs + FUNC_REF_SIZE * index
    }
}
