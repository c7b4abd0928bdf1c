//! `ModuleInfo`: everything known about a module after decoding, before
//! compilation. The translator, the linker and the runtime all read it; it is
//! the single description of a module's index spaces.
//!
//! Index spaces follow the spec: imports come first, so
//! `funcs[..num_imported_funcs]` are imported functions, and likewise for
//! tables, memories and globals.

use crate::types::{
    FuncType, GlobalType, HeapType, MemoryType, Mutability, RefType, TableType, ValType,
};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// A constant expression. One instruction is one of the leaf variants;
/// an extended constant expression (Wasm 3.0: `add`, `sub`, `mul` of
/// `i32`/`i64`) without `global.get` is folded by the parser into its
/// value, so only those reading globals stay `Extended`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// The instructions, in order (the final `end` left out).
    Extended(Vec<ConstOp>),
}

impl ConstExpr {
    /// The raw value (an `i32` zero-extended, as globals hold it), if the
    /// expression needs no instance to evaluate: no global read, no
    /// function reference.
    pub fn constant_bits(&self) -> Option<u128> {
        Some(match *self {
            ConstExpr::I32(v) => u128::from(v as u32),
            ConstExpr::I64(v) => u128::from(v as u64),
            ConstExpr::F32(v) => u128::from(v),
            ConstExpr::F64(v) => u128::from(v),
            ConstExpr::V128(v) => v,
            ConstExpr::RefNull(_) => 0,
            ConstExpr::RefFunc(_) | ConstExpr::GlobalGet(_) | ConstExpr::Extended(_) => {
                return None;
            }
        })
    }
}

/// An instruction of an extended constant expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConstOp {
    I32Const(i32),
    I64Const(i64),
    GlobalGet(u32),
    I32Add,
    I32Sub,
    I32Mul,
    I64Add,
    I64Sub,
    I64Mul,
}

impl ConstOp {
    /// `(operand type, result type)` of a binary operator, or `None`.
    fn binary(self) -> Option<ValType> {
        match self {
            ConstOp::I32Add | ConstOp::I32Sub | ConstOp::I32Mul => Some(ValType::I32),
            ConstOp::I64Add | ConstOp::I64Sub | ConstOp::I64Mul => Some(ValType::I64),
            _ => None,
        }
    }

    /// The raw value of `ops` (an `i32` zero-extended, as globals hold
    /// it), reading globals' raw values through `global`. Arithmetic
    /// wraps. `ops` must type-check (the validator's or
    /// `ModuleInfo::validate`'s job); a short stack reads as zeros rather
    /// than panicking.
    pub fn eval(ops: &[ConstOp], global: impl Fn(u32) -> u128) -> u128 {
        let mut stack: Vec<u64> = Vec::with_capacity(ops.len());
        for &op in ops {
            let value = match op {
                ConstOp::I32Const(v) => u64::from(v as u32),
                ConstOp::I64Const(v) => v as u64,
                ConstOp::GlobalGet(g) => global(g) as u64,
                _ => {
                    let b = stack.pop().unwrap_or(0);
                    let a = stack.pop().unwrap_or(0);
                    let (a32, b32) = (a as u32, b as u32);
                    match op {
                        ConstOp::I32Add => u64::from(a32.wrapping_add(b32)),
                        ConstOp::I32Sub => u64::from(a32.wrapping_sub(b32)),
                        ConstOp::I32Mul => u64::from(a32.wrapping_mul(b32)),
                        ConstOp::I64Add => a.wrapping_add(b),
                        ConstOp::I64Sub => a.wrapping_sub(b),
                        _ => a.wrapping_mul(b),
                    }
                }
            };
            stack.push(value);
        }
        u128::from(stack.pop().unwrap_or(0))
    }
}

/// Which kind of entity an import or export names, and its index in that
/// kind's index space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntityIndex {
    Func(u32),
    Table(u32),
    Memory(u32),
    Global(u32),
    Tag(u32),
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
    /// The segment's element type.
    pub ty: RefType,
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
    /// The initialiser expression of each defined table that has one
    /// (typed function references), by defined-table index; missing
    /// entries, past the end or `None`, are null-initialised tables.
    pub table_inits: Vec<Option<ConstExpr>>,
    pub memories: Vec<MemoryType>,
    pub num_imported_memories: u32,
    pub globals: Vec<Global>,
    pub num_imported_globals: u32,
    /// Type index (a function type without results) of every tag,
    /// imported ones first (exception handling).
    pub tags: Vec<u32>,
    pub num_imported_tags: u32,
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

    /// Every function whose reference can be taken, ascending: the
    /// spec's `C.refs` (each function index outside function bodies:
    /// exports, element segments, global and table initialisers), which is
    /// all a valid body's `ref.func` may name, plus the start function.
    /// Only these need a `VMFuncRef` in the vmctx.
    pub fn referenced_funcs(&self) -> Vec<u32> {
        let mut refs = Vec::new();
        let mut expr = |e: &ConstExpr| {
            if let ConstExpr::RefFunc(f) = *e {
                refs.push(f);
            }
        };
        for seg in &self.elems {
            seg.items.iter().for_each(&mut expr);
        }
        for g in &self.globals {
            g.init.iter().for_each(&mut expr);
        }
        self.table_inits.iter().flatten().for_each(&mut expr);
        for export in &self.exports {
            if let EntityIndex::Func(f) = export.index {
                refs.push(f);
            }
        }
        refs.extend(self.start);
        refs.sort_unstable();
        refs.dedup();
        refs
    }

    /// The initialiser of defined table `defined_index`, if it has one.
    pub fn table_init(&self, defined_index: usize) -> Option<&ConstExpr> {
        self.table_inits.get(defined_index)?.as_ref()
    }

    /// The type of `ref.func func_index`: a non-null reference to a
    /// function of exactly its type.
    pub fn ref_func_type(&self, func_index: u32) -> RefType {
        RefType::new(
            false,
            HeapType::ConcreteFunc(self.func_type(func_index).clone()),
        )
    }

    /// The type of tag `tag_index`.
    pub fn tag_type(&self, tag_index: u32) -> &FuncType {
        &self.types[self.tags[tag_index as usize] as usize]
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

/// Limits the parser's validator (wasmparser) puts on a module, so a
/// decoded `ModuleInfo` is held to the same bounds.
const MAX_TYPES: usize = 1_000_000;
const MAX_PARAMS_OR_RESULTS: usize = 1000;
const MAX_FUNCS: usize = 1_000_000;
const MAX_IMPORTS: usize = 1_000_000;
const MAX_EXPORTS: usize = 1_000_000;
const MAX_GLOBALS: usize = 1_000_000;
const MAX_TAGS: usize = 1_000_000;
const MAX_TABLES: usize = 100_000;
const MAX_MEMORIES: usize = 100;
const MAX_ELEMS: usize = 100_000;
const MAX_DATAS: usize = 100_000;

/// The type of an index (and segment offset) into a memory or table.
pub fn index_type(is64: bool) -> ValType {
    if is64 { ValType::I64 } else { ValType::I32 }
}

impl ModuleInfo {
    /// Check what the parser guarantees for every module it accepts: each
    /// index in range, the import section consistent with the index
    /// spaces, constant expressions of the right type, ranges inside the
    /// module bytes, counts within the parser's limits. Used on metadata
    /// decoded from an artifact, which no parser has seen; after it, no
    /// index the loader or the runtime takes from `self` is out of bounds.
    pub fn validate(&self) -> Result<(), String> {
        let counts = [
            ("types", self.types.len(), MAX_TYPES),
            ("functions", self.funcs.len(), MAX_FUNCS),
            ("imports", self.imports.len(), MAX_IMPORTS),
            ("exports", self.exports.len(), MAX_EXPORTS),
            ("globals", self.globals.len(), MAX_GLOBALS),
            ("tables", self.tables.len(), MAX_TABLES),
            ("memories", self.memories.len(), MAX_MEMORIES),
            ("element segments", self.elems.len(), MAX_ELEMS),
            ("data segments", self.datas.len(), MAX_DATAS),
        ];
        for (what, n, max) in counts {
            if n > max {
                return Err(format!("{n} {what} (at most {max})"));
            }
        }
        for ty in &self.types {
            if ty.params().len() > MAX_PARAMS_OR_RESULTS
                || ty.results().len() > MAX_PARAMS_OR_RESULTS
            {
                return Err(format!(
                    "function type with {} params and {} results, too large",
                    ty.params().len(),
                    ty.results().len()
                ));
            }
        }
        let imported = [
            ("functions", self.num_imported_funcs, self.funcs.len()),
            ("tables", self.num_imported_tables, self.tables.len()),
            ("memories", self.num_imported_memories, self.memories.len()),
            ("globals", self.num_imported_globals, self.globals.len()),
            ("tags", self.num_imported_tags, self.tags.len()),
        ];
        for (what, n, len) in imported {
            if n as usize > len {
                return Err(format!("{n} imported {what} of {len}"));
            }
        }
        if let Some(&t) = self.funcs.iter().find(|&&t| t as usize >= self.types.len()) {
            return Err(format!("function of type {t} (of {})", self.types.len()));
        }
        if self.tags.len() > MAX_TAGS {
            return Err(format!("{} tags (at most {MAX_TAGS})", self.tags.len()));
        }
        for &t in &self.tags {
            match self.types.get(t as usize) {
                Some(ty) if ty.results().is_empty() => {}
                _ => return Err(format!("tag of type {t}")),
            }
        }

        // Imports name the imported entities, each once, in index order.
        let mut next = [0u32; 5];
        for import in &self.imports {
            let (kind, index, n) = match import.index {
                EntityIndex::Func(i) => (0, i, self.num_imported_funcs),
                EntityIndex::Table(i) => (1, i, self.num_imported_tables),
                EntityIndex::Memory(i) => (2, i, self.num_imported_memories),
                EntityIndex::Global(i) => (3, i, self.num_imported_globals),
                EntityIndex::Tag(i) => (4, i, self.num_imported_tags),
            };
            if index != next[kind] || index >= n {
                return Err(format!(
                    "import {:?} does not match the imported index spaces",
                    import.index
                ));
            }
            next[kind] += 1;
        }
        let expected = [
            self.num_imported_funcs,
            self.num_imported_tables,
            self.num_imported_memories,
            self.num_imported_globals,
            self.num_imported_tags,
        ];
        if next != expected {
            return Err("imports do not match the imported index spaces".into());
        }

        for table in &self.tables {
            let max = table.maximum.unwrap_or(table.index_limit());
            if table.minimum > max || max > table.index_limit() {
                return Err(format!("table limits {table:?}"));
            }
        }
        let defined_tables = &self.tables[self.num_imported_tables as usize..];
        if self.table_inits.len() > defined_tables.len() {
            return Err(format!(
                "{} table initialisers for {} defined tables",
                self.table_inits.len(),
                defined_tables.len()
            ));
        }
        for (i, table) in defined_tables.iter().enumerate() {
            let ty = ValType::Ref(table.element.clone());
            match self.table_init(i) {
                Some(init) => self.check_const(init, &ty)?,
                None if !table.element.is_nullable() => {
                    return Err(format!("table {i} of type {ty} without an initialiser"));
                }
                None => {}
            }
        }
        for memory in &self.memories {
            let max = memory.maximum.unwrap_or(memory.absolute_max_pages());
            if !matches!(memory.page_size_log2, 0 | 16)
                || memory.minimum > max
                || max > memory.absolute_max_pages()
            {
                return Err(format!("memory limits {memory:?}"));
            }
        }
        for (i, global) in self.globals.iter().enumerate() {
            let imported = i < self.num_imported_globals as usize;
            match (&global.init, imported) {
                (None, true) => {}
                (Some(init), false) => self.check_const_reading(init, &global.ty.content, i)?,
                _ => return Err(format!("global {i}: initialiser does not match import")),
            }
        }

        for export in &self.exports {
            self.check_entity(export.index)?;
        }
        let mut names: Vec<&str> = self.exports.iter().map(|e| e.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("duplicate export `{}`", w[0]));
        }
        if let Some(start) = self.start {
            self.check_entity(EntityIndex::Func(start))?;
            let ty = self.func_type(start);
            if !ty.params().is_empty() || !ty.results().is_empty() {
                return Err(format!("start function of type {ty}"));
            }
        }

        for (i, elem) in self.elems.iter().enumerate() {
            // Every item has the segment's type; an active segment's
            // matches its table's.
            if let ElemMode::Active { table, offset } = &elem.mode {
                let ty = self.tables.get(*table as usize);
                let ty = ty.ok_or_else(|| format!("element segment {i}: table {table}"))?;
                self.check_const(offset, &index_type(ty.table64))?;
                if !elem.ty.matches(&ty.element) {
                    return Err(format!(
                        "element segment {i} of type {} for a table of {}",
                        elem.ty, ty.element
                    ));
                }
            }
            let ty = ValType::Ref(elem.ty.clone());
            for item in &elem.items {
                self.check_const(item, &ty)?;
            }
        }
        for (i, data) in self.datas.iter().enumerate() {
            if let DataMode::Active { memory, offset } = &data.mode {
                let Some(ty) = self.memories.get(*memory as usize) else {
                    return Err(format!("data segment {i}: memory {memory}"));
                };
                self.check_const(offset, &index_type(ty.memory64))?;
            }
            self.check_range(&data.range)?;
        }
        if self.bodies.len() != self.funcs.len() - self.num_imported_funcs as usize {
            return Err(format!(
                "{} function bodies for {} defined functions",
                self.bodies.len(),
                self.num_defined_funcs()
            ));
        }
        self.bodies.iter().try_for_each(|r| self.check_range(r))
    }

    fn check_entity(&self, index: EntityIndex) -> Result<(), String> {
        let (i, len) = match index {
            EntityIndex::Func(i) => (i, self.funcs.len()),
            EntityIndex::Table(i) => (i, self.tables.len()),
            EntityIndex::Memory(i) => (i, self.memories.len()),
            EntityIndex::Global(i) => (i, self.globals.len()),
            EntityIndex::Tag(i) => (i, self.tags.len()),
        };
        if i as usize >= len {
            return Err(format!("{index:?} out of range"));
        }
        Ok(())
    }

    fn check_range(&self, range: &Range<usize>) -> Result<(), String> {
        if range.start > range.end || range.end > self.wasm.len() {
            return Err(format!(
                "range {range:?} outside the module's {} bytes",
                self.wasm.len()
            ));
        }
        Ok(())
    }

    /// `global.get g` in a constant expression that may read the first
    /// `readable` globals: an immutable one among them (GC lets a global's
    /// initialiser read any earlier immutable global, defined ones
    /// included; instantiation initialises defined globals in order, before
    /// tables and segments).
    fn const_global(&self, g: u32, readable: usize) -> Result<ValType, String> {
        match self.globals.get(g as usize) {
            Some(global)
                if (g as usize) < readable && global.ty.mutability == Mutability::Const =>
            {
                Ok(global.ty.content.clone())
            }
            _ => Err(format!("`global.get {g}` in a constant expression")),
        }
    }

    /// The type of a constant expression, checking its indices and, for an
    /// extended one, its operand stack.
    fn const_type(&self, expr: &ConstExpr, readable: usize) -> Result<ValType, String> {
        Ok(match *expr {
            ConstExpr::I32(_) => ValType::I32,
            ConstExpr::I64(_) => ValType::I64,
            ConstExpr::F32(_) => ValType::F32,
            ConstExpr::F64(_) => ValType::F64,
            ConstExpr::V128(_) => ValType::V128,
            ConstExpr::RefNull(ref r) => ValType::Ref(r.clone()),
            ConstExpr::RefFunc(f) => {
                self.check_entity(EntityIndex::Func(f))?;
                ValType::Ref(self.ref_func_type(f))
            }
            ConstExpr::GlobalGet(g) => self.const_global(g, readable)?,
            ConstExpr::Extended(ref ops) => {
                let mut stack = Vec::new();
                for &op in ops {
                    let ty = match op {
                        ConstOp::I32Const(_) => ValType::I32,
                        ConstOp::I64Const(_) => ValType::I64,
                        ConstOp::GlobalGet(g) => self.const_global(g, readable)?,
                        _ => {
                            let ty = op.binary().expect("the other ops are binary");
                            for _ in 0..2 {
                                if stack.pop().as_ref() != Some(&ty) {
                                    return Err(format!("{op:?} without two {ty} operands"));
                                }
                            }
                            ty
                        }
                    };
                    stack.push(ty);
                }
                match <[ValType; 1]>::try_from(stack) {
                    Ok([ty]) => ty,
                    Err(stack) => {
                        return Err(format!("constant expression {ops:?} leaves {stack:?}"));
                    }
                }
            }
        })
    }

    /// `expr` has type `ty` or a subtype of it (outside a global's
    /// initialiser: every global is initialised before it is evaluated).
    fn check_const(&self, expr: &ConstExpr, ty: &ValType) -> Result<(), String> {
        self.check_const_reading(expr, ty, self.globals.len())
    }

    /// `expr` has type `ty` or a subtype of it, reading only the first
    /// `readable` globals.
    fn check_const_reading(
        &self,
        expr: &ConstExpr,
        ty: &ValType,
        readable: usize,
    ) -> Result<(), String> {
        let actual = self.const_type(expr, readable)?;
        if !actual.matches(ty) {
            return Err(format!(
                "constant {expr:?} of type {actual} where {ty} is needed"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::ConstOp::{self, *};

    /// `eval` keeps its contract that an `i32` result is zero-extended,
    /// even where the wasm-visible 32 bits would not show the difference
    /// (everything downstream reads only those).
    #[test]
    fn eval_wraps_and_zero_extends() {
        let check = |ops: &[ConstOp], expected: u128| {
            assert_eq!(
                ConstOp::eval(ops, |g| u128::from(g) + 10),
                expected,
                "{ops:?}"
            );
        };
        check(&[I32Const(3), I32Const(0x5555_5556), I32Mul], 2);
        check(&[I32Const(-1), I32Const(2), I32Add], 1);
        check(&[I32Const(0), I32Const(1), I32Sub], 0xffff_ffff);
        check(&[I32Const(-1), I32Const(-1), I32Mul], 1);
        check(&[I64Const(-1), I64Const(-1), I64Mul], 1);
        check(&[I64Const(0), I64Const(1), I64Sub], u128::from(u64::MAX));
        check(&[GlobalGet(2), I32Const(4), I32Mul], 48);
    }
}
