//! Which Wasm features a module actually uses, read with wasmparser. The
//! oracle is only as good as the modules it runs: this lets tests assert
//! that generation really exercises every enabled feature instead of
//! silently producing trivial modules.

use std::collections::BTreeSet;

use wasmparser::{
    BlockType, DataKind, ElementKind, ExternalKind, Operator, Parser, Payload, TypeRef,
};

/// A feature (or feature-relevant construct) a module can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Feature {
    /// `memory.copy`, `memory.fill`, `memory.init`, `data.drop`.
    BulkMemoryOps,
    /// `table.copy`, `table.init`, `elem.drop`.
    BulkTableOps,
    /// A passive data segment.
    PassiveData,
    /// A passive or declarative element segment.
    NonActiveElements,
    /// `table.get/set/size/grow/fill`.
    TableOps,
    /// `ref.null`, `ref.is_null`, `ref.func`, typed `select`.
    RefOps,
    /// An `externref` anywhere in a function type.
    ExternRefType,
    /// More than one table.
    MultipleTables,
    /// A block, loop or if with a type index (params or several results).
    MultiValueBlock,
    /// A function returning more than one value.
    MultiValueFunc,
    /// `i32.extend8_s` and friends.
    SignExtension,
    /// `i32.trunc_sat_f32_s` and friends.
    SaturatingConversion,
    /// An exported mutable global.
    ExportedMutableGlobal,
    CallIndirect,
    MemoryGrow,
    /// Float arithmetic (where NaN canonicalisation matters).
    FloatArith,
    StartFunction,
}

impl Feature {
    /// Every feature, for "each one was seen" assertions.
    pub const ALL: &[Feature] = &[
        Feature::BulkMemoryOps,
        Feature::BulkTableOps,
        Feature::PassiveData,
        Feature::NonActiveElements,
        Feature::TableOps,
        Feature::RefOps,
        Feature::ExternRefType,
        Feature::MultipleTables,
        Feature::MultiValueBlock,
        Feature::MultiValueFunc,
        Feature::SignExtension,
        Feature::SaturatingConversion,
        Feature::ExportedMutableGlobal,
        Feature::CallIndirect,
        Feature::MemoryGrow,
        Feature::FloatArith,
        Feature::StartFunction,
    ];
}

fn operator_feature(op: &Operator) -> Option<Feature> {
    use Operator as O;
    Some(match op {
        O::MemoryCopy { .. } | O::MemoryFill { .. } | O::MemoryInit { .. } | O::DataDrop { .. } => {
            Feature::BulkMemoryOps
        }
        O::TableCopy { .. } | O::TableInit { .. } | O::ElemDrop { .. } => Feature::BulkTableOps,
        O::TableGet { .. }
        | O::TableSet { .. }
        | O::TableSize { .. }
        | O::TableGrow { .. }
        | O::TableFill { .. } => Feature::TableOps,
        O::RefNull { .. } | O::RefIsNull | O::RefFunc { .. } | O::TypedSelect { .. } => {
            Feature::RefOps
        }
        O::Block {
            blockty: BlockType::FuncType(_),
        }
        | O::Loop {
            blockty: BlockType::FuncType(_),
        }
        | O::If {
            blockty: BlockType::FuncType(_),
        } => Feature::MultiValueBlock,
        O::I32Extend8S | O::I32Extend16S | O::I64Extend8S | O::I64Extend16S | O::I64Extend32S => {
            Feature::SignExtension
        }
        O::I32TruncSatF32S
        | O::I32TruncSatF32U
        | O::I32TruncSatF64S
        | O::I32TruncSatF64U
        | O::I64TruncSatF32S
        | O::I64TruncSatF32U
        | O::I64TruncSatF64S
        | O::I64TruncSatF64U => Feature::SaturatingConversion,
        O::CallIndirect { .. } => Feature::CallIndirect,
        O::MemoryGrow { .. } => Feature::MemoryGrow,
        O::F32Add
        | O::F32Sub
        | O::F32Mul
        | O::F32Div
        | O::F32Sqrt
        | O::F64Add
        | O::F64Sub
        | O::F64Mul
        | O::F64Div
        | O::F64Sqrt => Feature::FloatArith,
        _ => return None,
    })
}

/// The features `wasm` uses.
pub fn scan(wasm: &[u8]) -> Result<BTreeSet<Feature>, String> {
    let err = |e: wasmparser::BinaryReaderError| e.to_string();
    let mut found = BTreeSet::new();
    let mut results_per_type: Vec<usize> = Vec::new();
    let mut mutable_globals: Vec<bool> = Vec::new();
    let mut tables = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(err)? {
            Payload::TypeSection(r) => {
                for ty in r.into_iter_err_on_gc_types() {
                    let ty = ty.map_err(err)?;
                    let extern_ref = |t: &wasmparser::ValType| matches!(t, wasmparser::ValType::Ref(r) if r.is_extern_ref());
                    if ty.params().iter().chain(ty.results()).any(extern_ref) {
                        found.insert(Feature::ExternRefType);
                    }
                    results_per_type.push(ty.results().len());
                }
            }
            Payload::ImportSection(r) => {
                for import in r.into_imports() {
                    match import.map_err(err)?.ty {
                        TypeRef::Global(g) => mutable_globals.push(g.mutable),
                        TypeRef::Table(_) => tables += 1,
                        _ => {}
                    }
                }
            }
            Payload::FunctionSection(r) => {
                for t in r {
                    if results_per_type.get(t.map_err(err)? as usize) > Some(&1) {
                        found.insert(Feature::MultiValueFunc);
                    }
                }
            }
            Payload::TableSection(r) => tables += r.count(),
            Payload::GlobalSection(r) => {
                for g in r {
                    mutable_globals.push(g.map_err(err)?.ty.mutable);
                }
            }
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e.map_err(err)?;
                    if e.kind == ExternalKind::Global
                        && mutable_globals.get(e.index as usize) == Some(&true)
                    {
                        found.insert(Feature::ExportedMutableGlobal);
                    }
                }
            }
            Payload::StartSection { .. } => {
                found.insert(Feature::StartFunction);
            }
            Payload::DataSection(r) => {
                for d in r {
                    if matches!(d.map_err(err)?.kind, DataKind::Passive) {
                        found.insert(Feature::PassiveData);
                    }
                }
            }
            Payload::ElementSection(r) => {
                for e in r {
                    if !matches!(e.map_err(err)?.kind, ElementKind::Active { .. }) {
                        found.insert(Feature::NonActiveElements);
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut ops = body.get_operators_reader().map_err(err)?;
                while !ops.eof() {
                    if let Some(f) = operator_feature(&ops.read().map_err(err)?) {
                        found.insert(f);
                    }
                }
            }
            _ => {}
        }
    }
    if tables > 1 {
        found.insert(Feature::MultipleTables);
    }
    Ok(found)
}
