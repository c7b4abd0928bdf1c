//! Which Wasm features a module actually uses, read with wasmparser. The
//! oracle is only as good as the modules it runs: this lets tests assert
//! that generation really exercises every enabled feature instead of
//! silently producing trivial modules.

use std::collections::BTreeSet;

use wasmparser::{
    BlockType, DataKind, ElementKind, ExternalKind, MemArg, MemArgTarget, Operator, Parser,
    Payload, TypeRef,
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
    /// More than one memory.
    MultipleMemories,
    /// An instruction naming a memory other than memory 0.
    OtherMemoryAccess,
    /// A 64-bit memory (memory64).
    Memory64,
    /// A 64-bit table (memory64's table64).
    Table64,
    /// A memory of 1-byte pages (custom-page-sizes).
    OneBytePages,
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
    /// `return_call`.
    TailCall,
    /// `return_call_indirect`.
    TailCallIndirect,
    MemoryGrow,
    /// Float arithmetic (where NaN canonicalisation matters).
    FloatArith,
    StartFunction,
    /// Any SIMD (`0xfd`-prefixed) instruction.
    SimdOps,
    /// f32x4/f64x2 arithmetic, sqrt, min/max, rounding (whose NaN lanes
    /// wasm-smith canonicalises).
    SimdFloatArith,
    /// Lane-type conversions: float↔int, narrow, extend, demote/promote.
    SimdConversion,
    /// `f32x4.demote_f64x2_zero`, `f64x2.promote_low_f32x4` (whose NaN
    /// lanes [`crate::canon`] canonicalises).
    SimdPromoteDemote,
    /// `v128` loads and stores of every form (plain, splat, zero,
    /// extending, lane).
    SimdMemory,
    /// `i8x16.shuffle`, `i8x16.swizzle`.
    SimdShuffle,
    /// `*.extract_lane`, `*.replace_lane`.
    SimdLaneAccess,
    /// An exported function taking a `v128` (the oracle passes v128s).
    V128Param,
    /// An exported function returning a `v128` (the oracle compares them).
    V128Result,
    /// An exported `v128` global (compared after every call).
    ExportedV128Global,
    /// A constant expression of more than one instruction (global
    /// initialiser or segment offset).
    ExtendedConst,
    /// `i64.add128`, `i64.sub128`, `i64.mul_wide_s/u`.
    WideArithmetic,
    /// `throw` or `throw_ref` (exception handling).
    Throw,
    /// `try_table` (exception handling).
    TryTable,
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
        Feature::MultipleMemories,
        Feature::OtherMemoryAccess,
        Feature::Memory64,
        Feature::Table64,
        Feature::OneBytePages,
        Feature::MultiValueBlock,
        Feature::MultiValueFunc,
        Feature::SignExtension,
        Feature::SaturatingConversion,
        Feature::ExportedMutableGlobal,
        Feature::CallIndirect,
        Feature::TailCall,
        Feature::TailCallIndirect,
        Feature::MemoryGrow,
        Feature::FloatArith,
        Feature::StartFunction,
        Feature::SimdOps,
        Feature::SimdFloatArith,
        Feature::SimdConversion,
        Feature::SimdPromoteDemote,
        Feature::SimdMemory,
        Feature::SimdShuffle,
        Feature::SimdLaneAccess,
        Feature::V128Param,
        Feature::V128Result,
        Feature::ExportedV128Global,
        Feature::ExtendedConst,
        Feature::WideArithmetic,
        Feature::Throw,
        Feature::TryTable,
    ];

    /// Whether this is one of the SIMD features.
    pub fn is_simd(self) -> bool {
        matches!(
            self,
            Feature::SimdOps
                | Feature::SimdFloatArith
                | Feature::SimdConversion
                | Feature::SimdPromoteDemote
                | Feature::SimdMemory
                | Feature::SimdShuffle
                | Feature::SimdLaneAccess
                | Feature::V128Param
                | Feature::V128Result
                | Feature::ExportedV128Global
        )
    }
}

/// The specific SIMD feature of a SIMD operator, if it has one (every
/// SIMD operator counts as [`Feature::SimdOps`] anyway).
fn simd_feature(op: &Operator) -> Option<Feature> {
    use Operator as O;
    Some(match op {
        O::F32x4Add
        | O::F32x4Sub
        | O::F32x4Mul
        | O::F32x4Div
        | O::F32x4Sqrt
        | O::F32x4Min
        | O::F32x4Max
        | O::F32x4Ceil
        | O::F32x4Floor
        | O::F32x4Trunc
        | O::F32x4Nearest
        | O::F64x2Add
        | O::F64x2Sub
        | O::F64x2Mul
        | O::F64x2Div
        | O::F64x2Sqrt
        | O::F64x2Min
        | O::F64x2Max
        | O::F64x2Ceil
        | O::F64x2Floor
        | O::F64x2Trunc
        | O::F64x2Nearest => Feature::SimdFloatArith,
        O::F32x4DemoteF64x2Zero | O::F64x2PromoteLowF32x4 => Feature::SimdPromoteDemote,
        O::F32x4ConvertI32x4S
        | O::F32x4ConvertI32x4U
        | O::F64x2ConvertLowI32x4S
        | O::F64x2ConvertLowI32x4U
        | O::I32x4TruncSatF32x4S
        | O::I32x4TruncSatF32x4U
        | O::I32x4TruncSatF64x2SZero
        | O::I32x4TruncSatF64x2UZero
        | O::I8x16NarrowI16x8S
        | O::I8x16NarrowI16x8U
        | O::I16x8NarrowI32x4S
        | O::I16x8NarrowI32x4U
        | O::I16x8ExtendLowI8x16S
        | O::I16x8ExtendHighI8x16S
        | O::I16x8ExtendLowI8x16U
        | O::I16x8ExtendHighI8x16U
        | O::I32x4ExtendLowI16x8S
        | O::I32x4ExtendHighI16x8S
        | O::I32x4ExtendLowI16x8U
        | O::I32x4ExtendHighI16x8U
        | O::I64x2ExtendLowI32x4S
        | O::I64x2ExtendHighI32x4S
        | O::I64x2ExtendLowI32x4U
        | O::I64x2ExtendHighI32x4U => Feature::SimdConversion,
        O::V128Load { .. }
        | O::V128Load8x8S { .. }
        | O::V128Load8x8U { .. }
        | O::V128Load16x4S { .. }
        | O::V128Load16x4U { .. }
        | O::V128Load32x2S { .. }
        | O::V128Load32x2U { .. }
        | O::V128Load8Splat { .. }
        | O::V128Load16Splat { .. }
        | O::V128Load32Splat { .. }
        | O::V128Load64Splat { .. }
        | O::V128Load32Zero { .. }
        | O::V128Load64Zero { .. }
        | O::V128Store { .. }
        | O::V128Load8Lane { .. }
        | O::V128Load16Lane { .. }
        | O::V128Load32Lane { .. }
        | O::V128Load64Lane { .. }
        | O::V128Store8Lane { .. }
        | O::V128Store16Lane { .. }
        | O::V128Store32Lane { .. }
        | O::V128Store64Lane { .. } => Feature::SimdMemory,
        O::I8x16Shuffle { .. } | O::I8x16Swizzle => Feature::SimdShuffle,
        O::I8x16ExtractLaneS { .. }
        | O::I8x16ExtractLaneU { .. }
        | O::I8x16ReplaceLane { .. }
        | O::I16x8ExtractLaneS { .. }
        | O::I16x8ExtractLaneU { .. }
        | O::I16x8ReplaceLane { .. }
        | O::I32x4ExtractLane { .. }
        | O::I32x4ReplaceLane { .. }
        | O::I64x2ExtractLane { .. }
        | O::I64x2ReplaceLane { .. }
        | O::F32x4ExtractLane { .. }
        | O::F32x4ReplaceLane { .. }
        | O::F64x2ExtractLane { .. }
        | O::F64x2ReplaceLane { .. } => Feature::SimdLaneAccess,
        _ => return None,
    })
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
        O::I64Add128 | O::I64Sub128 | O::I64MulWideS | O::I64MulWideU => Feature::WideArithmetic,
        O::CallIndirect { .. } => Feature::CallIndirect,
        O::Throw { .. } | O::ThrowRef => Feature::Throw,
        O::TryTable { .. } => Feature::TryTable,
        O::ReturnCall { .. } => Feature::TailCall,
        O::ReturnCallIndirect { .. } => Feature::TailCallIndirect,
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

/// Whether `op` names a memory other than memory 0 (in its memarg, or as
/// `memory.*`'s immediate).
fn other_memory(op: &Operator) -> bool {
    use Operator as O;
    match op {
        O::MemorySize { mem }
        | O::MemoryGrow { mem }
        | O::MemoryFill { mem }
        | O::MemoryInit { mem, .. } => *mem != 0,
        O::MemoryCopy { dst_mem, src_mem } => *dst_mem != 0 || *src_mem != 0,
        _ => memarg(op).is_some_and(|m| m.target != MemArgTarget::Memory(0)),
    }
}

/// The memory immediate of a load or store.
fn memarg<'a>(op: &'a Operator) -> Option<&'a MemArg> {
    use Operator as O;
    match op {
        O::I32Load { memarg }
        | O::I64Load { memarg }
        | O::F32Load { memarg }
        | O::F64Load { memarg }
        | O::I32Load8S { memarg }
        | O::I32Load8U { memarg }
        | O::I32Load16S { memarg }
        | O::I32Load16U { memarg }
        | O::I64Load8S { memarg }
        | O::I64Load8U { memarg }
        | O::I64Load16S { memarg }
        | O::I64Load16U { memarg }
        | O::I64Load32S { memarg }
        | O::I64Load32U { memarg }
        | O::I32Store { memarg }
        | O::I64Store { memarg }
        | O::F32Store { memarg }
        | O::F64Store { memarg }
        | O::I32Store8 { memarg }
        | O::I32Store16 { memarg }
        | O::I64Store8 { memarg }
        | O::I64Store16 { memarg }
        | O::I64Store32 { memarg }
        | O::V128Load { memarg }
        | O::V128Load8x8S { memarg }
        | O::V128Load8x8U { memarg }
        | O::V128Load16x4S { memarg }
        | O::V128Load16x4U { memarg }
        | O::V128Load32x2S { memarg }
        | O::V128Load32x2U { memarg }
        | O::V128Load8Splat { memarg }
        | O::V128Load16Splat { memarg }
        | O::V128Load32Splat { memarg }
        | O::V128Load64Splat { memarg }
        | O::V128Load32Zero { memarg }
        | O::V128Load64Zero { memarg }
        | O::V128Store { memarg }
        | O::V128Load8Lane { memarg, .. }
        | O::V128Load16Lane { memarg, .. }
        | O::V128Load32Lane { memarg, .. }
        | O::V128Load64Lane { memarg, .. }
        | O::V128Store8Lane { memarg, .. }
        | O::V128Store16Lane { memarg, .. }
        | O::V128Store32Lane { memarg, .. }
        | O::V128Store64Lane { memarg, .. } => Some(memarg),
        _ => None,
    }
}

/// The features a memory's type uses.
fn memory_features(m: &wasmparser::MemoryType, found: &mut BTreeSet<Feature>) {
    if m.memory64 {
        found.insert(Feature::Memory64);
    }
    if m.page_size_log2 == Some(0) {
        found.insert(Feature::OneBytePages);
    }
}

/// The features `wasm` uses.
pub fn scan(wasm: &[u8]) -> Result<BTreeSet<Feature>, String> {
    let err = |e: wasmparser::BinaryReaderError| e.to_string();
    let mut found = BTreeSet::new();
    let mut results_per_type: Vec<usize> = Vec::new();
    // Per type: (a v128 parameter, a v128 result).
    let mut v128_per_type: Vec<(bool, bool)> = Vec::new();
    // Per function: its type index.
    let mut func_types: Vec<u32> = Vec::new();
    let mut mutable_globals: Vec<bool> = Vec::new();
    let mut v128_globals: Vec<bool> = Vec::new();
    let mut tables = 0;
    let mut memories = 0;
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
                    let v128 = |ts: &[wasmparser::ValType]| ts.contains(&wasmparser::ValType::V128);
                    v128_per_type.push((v128(ty.params()), v128(ty.results())));
                }
            }
            Payload::ImportSection(r) => {
                for import in r.into_imports() {
                    match import.map_err(err)?.ty {
                        TypeRef::Global(g) => {
                            mutable_globals.push(g.mutable);
                            v128_globals.push(g.content_type == wasmparser::ValType::V128);
                        }
                        TypeRef::Func(t) => func_types.push(t),
                        TypeRef::Table(t) => {
                            tables += 1;
                            if t.table64 {
                                found.insert(Feature::Table64);
                            }
                        }
                        TypeRef::Memory(m) => {
                            memories += 1;
                            memory_features(&m, &mut found);
                        }
                        _ => {}
                    }
                }
            }
            Payload::FunctionSection(r) => {
                for t in r {
                    let t = t.map_err(err)?;
                    func_types.push(t);
                    if results_per_type.get(t as usize) > Some(&1) {
                        found.insert(Feature::MultiValueFunc);
                    }
                }
            }
            Payload::TableSection(r) => {
                for t in r {
                    tables += 1;
                    if t.map_err(err)?.ty.table64 {
                        found.insert(Feature::Table64);
                    }
                }
            }
            Payload::MemorySection(r) => {
                for m in r {
                    memories += 1;
                    memory_features(&m.map_err(err)?, &mut found);
                }
            }
            Payload::GlobalSection(r) => {
                for g in r {
                    let g = g.map_err(err)?;
                    if is_extended(&g.init_expr).map_err(err)? {
                        found.insert(Feature::ExtendedConst);
                    }
                    let ty = g.ty;
                    mutable_globals.push(ty.mutable);
                    v128_globals.push(ty.content_type == wasmparser::ValType::V128);
                }
            }
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e.map_err(err)?;
                    let i = e.index as usize;
                    match e.kind {
                        ExternalKind::Global => {
                            if mutable_globals.get(i) == Some(&true) {
                                found.insert(Feature::ExportedMutableGlobal);
                            }
                            if v128_globals.get(i) == Some(&true) {
                                found.insert(Feature::ExportedV128Global);
                            }
                        }
                        ExternalKind::Func => {
                            let v128 = func_types
                                .get(i)
                                .and_then(|&t| v128_per_type.get(t as usize));
                            if let Some(&(param, result)) = v128 {
                                if param {
                                    found.insert(Feature::V128Param);
                                }
                                if result {
                                    found.insert(Feature::V128Result);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            Payload::StartSection { .. } => {
                found.insert(Feature::StartFunction);
            }
            Payload::DataSection(r) => {
                for d in r {
                    match d.map_err(err)?.kind {
                        DataKind::Passive => {
                            found.insert(Feature::PassiveData);
                        }
                        DataKind::Active { offset_expr, .. } => {
                            if is_extended(&offset_expr).map_err(err)? {
                                found.insert(Feature::ExtendedConst);
                            }
                        }
                    }
                }
            }
            Payload::ElementSection(r) => {
                for e in r {
                    match e.map_err(err)?.kind {
                        ElementKind::Active { offset_expr, .. } => {
                            if is_extended(&offset_expr).map_err(err)? {
                                found.insert(Feature::ExtendedConst);
                            }
                        }
                        _ => {
                            found.insert(Feature::NonActiveElements);
                        }
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut ops = body.get_operators_reader().map_err(err)?;
                while !ops.eof() {
                    // Positions are offsets into `wasm`: every SIMD
                    // instruction starts with the 0xfd prefix byte.
                    let pos = usize::try_from(ops.original_position()).unwrap_or(usize::MAX);
                    let simd = wasm.get(pos) == Some(&0xfd);
                    let op = ops.read().map_err(err)?;
                    if simd {
                        found.insert(Feature::SimdOps);
                    }
                    if let Some(f) = operator_feature(&op).or_else(|| simd_feature(&op)) {
                        found.insert(f);
                    }
                    if other_memory(&op) {
                        found.insert(Feature::OtherMemoryAccess);
                    }
                }
            }
            _ => {}
        }
    }
    if tables > 1 {
        found.insert(Feature::MultipleTables);
    }
    if memories > 1 {
        found.insert(Feature::MultipleMemories);
    }
    Ok(found)
}

/// Whether a constant expression has more than one instruction before its
/// `end`.
fn is_extended(expr: &wasmparser::ConstExpr) -> Result<bool, wasmparser::BinaryReaderError> {
    let mut ops = expr.get_operators_reader();
    let mut n = 0;
    while !matches!(ops.read()?, Operator::End) {
        n += 1;
    }
    Ok(n > 1)
}

/// Whether `wasm` uses SIMD anywhere (instructions, or `v128` at an
/// export): the campaign tallies these modules. `false` if it does not
/// parse.
pub fn uses_simd(wasm: &[u8]) -> bool {
    scan(wasm).is_ok_and(|f| f.iter().any(|f| f.is_simd()))
}
