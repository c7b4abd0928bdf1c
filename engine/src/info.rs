//! `ModuleInfo`: everything known about a module after decoding, before
//! compilation. The translator, the linker and the runtime all read it; it is
//! the single description of a module's index spaces.
//!
//! Index spaces follow the spec: imports come first, so
//! `funcs[..num_imported_funcs]` are imported functions, and likewise for
//! tables, memories and globals.

use crate::types::{FuncType, GlobalType, MemoryType, RefType, TableType};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// A constant expression as Wasm 2.0 allows them (one instruction).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum ConstExpr {
    I32(i32),
    I64(i64),
    /// Raw IEEE bits.
    F32(u32),
    /// Raw IEEE bits.
    F64(u64),
    V128(u128),
    RefNull(RefType),
    RefFunc(u32),
    GlobalGet(u32),
}

/// Which kind of entity an import or export names, and its index in that
/// kind's index space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntityIndex {
    Func(u32),
    Table(u32),
    Memory(u32),
    Global(u32),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Import {
    pub module: String,
    pub name: String,
    pub index: EntityIndex,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Export {
    pub name: String,
    pub index: EntityIndex,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Global {
    pub ty: GlobalType,
    /// `None` for imported globals.
    pub init: Option<ConstExpr>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum ElemMode {
    Passive,
    Active { table: u32, offset: ConstExpr },
    Declared,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ElemSegment {
    pub mode: ElemMode,
    /// Each item is `RefFunc`, `RefNull` or `GlobalGet`.
    pub items: Vec<ConstExpr>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum DataMode {
    Passive,
    Active { memory: u32, offset: ConstExpr },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DataSegment {
    pub mode: DataMode,
    /// Byte range of the segment's contents in `ModuleInfo::wasm`.
    pub range: Range<usize>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ModuleInfo {
    /// The module's binary: function bodies and data segments are ranges
    /// into it.
    pub wasm: Vec<u8>,
    /// The type section (Wasm 2.0: function types only).
    pub types: Vec<FuncType>,
    /// Type index of every function, imported ones first.
    pub funcs: Vec<u32>,
    pub num_imported_funcs: u32,
    pub tables: Vec<TableType>,
    pub num_imported_tables: u32,
    pub memories: Vec<MemoryType>,
    pub num_imported_memories: u32,
    pub globals: Vec<Global>,
    pub num_imported_globals: u32,
    pub imports: Vec<Import>,
    pub exports: Vec<Export>,
    pub start: Option<u32>,
    pub elems: Vec<ElemSegment>,
    pub datas: Vec<DataSegment>,
    /// Byte range in `wasm` of each defined function's body (the whole
    /// body, locals included), indexed by defined-function index.
    pub bodies: Vec<Range<usize>>,
    /// Function names from the name section, by function index.
    pub func_names: std::collections::BTreeMap<u32, String>,
    /// The module's name from the name section.
    pub name: Option<String>,
}

impl ModuleInfo {
    pub fn func_type(&self, func_index: u32) -> &FuncType {
        &self.types[self.funcs[func_index as usize] as usize]
    }

    pub fn is_imported_func(&self, func_index: u32) -> bool {
        func_index < self.num_imported_funcs
    }

    pub fn num_defined_funcs(&self) -> u32 {
        self.funcs.len() as u32 - self.num_imported_funcs
    }

    /// The wasmparser view of defined function `defined_index`'s body.
    pub fn body(&self, defined_index: u32) -> wasmparser::FunctionBody<'_> {
        let range = self.bodies[defined_index as usize].clone();
        let reader = wasmparser::BinaryReader::new(&self.wasm[range.clone()], range.start as u64);
        wasmparser::FunctionBody::new(reader)
    }

    pub fn data(&self, index: u32) -> &[u8] {
        &self.wasm[self.datas[index as usize].range.clone()]
    }
}
