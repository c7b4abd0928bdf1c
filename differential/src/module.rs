//! A decoded and validated module (spec §2.5 "Modules").
//!
//! [`Module::new`] runs `wasmparser`'s validator configured for exactly
//! [`features`] (Wasm 2.0), then decodes every section into the plain data
//! structures below. Function bodies are translated into [`Instr`] vectors
//! with block ends resolved (see [`crate::instr`]).

use std::sync::Arc;

use wasmparser as wp;

use crate::error::Error;
use crate::instr::*;
use crate::value::{FuncType, GlobalType, Limits, MemoryType, RefType, TableType, ValType, Value};

/// The feature set the interpreter implements: the engine's, read from
/// [`kiln::Features::ALL`] (a plain set of flags; none of the engine's
/// execution code), today Wasm 2.0 (MVP, mutable globals, sign extension,
/// saturating truncation, multi-value, bulk memory, reference types,
/// fixed-width SIMD). A proposal the engine gains before the interpreter
/// does validates here, then fails decoding (see `translate`) with a
/// compile error the oracle reports as a disagreement.
pub fn features() -> wp::WasmFeatures {
    kiln::Features::ALL.wasmparser()
}

/// What an import asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum ImportDesc {
    Func(u32),
    Table(TableType),
    Memory(MemoryType),
    Global(GlobalType),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    pub module: String,
    pub name: String,
    pub desc: ImportDesc,
}

/// An index into one of the module's index spaces, as exports use it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ExternIdx {
    Func(u32),
    Table(u32),
    Memory(u32),
    Global(u32),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Export {
    pub name: String,
    pub desc: ExternIdx,
}

/// A constant expression. Without the extended-const proposal it is always
/// exactly one instruction (followed by `end`).
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum ConstExpr {
    Const(Value),
    RefNull(RefType),
    RefFunc(u32),
    GlobalGet(u32),
}

/// A function defined by the module (not imported).
#[derive(Clone, Debug, PartialEq)]
pub struct Func {
    pub type_idx: u32,
    /// Declared locals only; parameters come first at run time.
    pub locals: Vec<ValType>,
    pub body: Vec<Instr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Global {
    pub ty: GlobalType,
    pub init: ConstExpr,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ElemMode {
    Passive,
    Active { table: u32, offset: ConstExpr },
    Declarative,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ElemSegment {
    pub ty: RefType,
    pub init: Vec<ConstExpr>,
    pub mode: ElemMode,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DataMode {
    Passive,
    Active { memory: u32, offset: ConstExpr },
}

#[derive(Clone, Debug, PartialEq)]
pub struct DataSegment {
    pub init: Vec<u8>,
    pub mode: DataMode,
}

/// A validated module, ready to be instantiated any number of times.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Module {
    pub types: Vec<FuncType>,
    pub imports: Vec<Import>,
    /// Shared with every instance's function instances.
    pub funcs: Vec<Arc<Func>>,
    pub tables: Vec<TableType>,
    pub memories: Vec<MemoryType>,
    pub globals: Vec<Global>,
    pub exports: Vec<Export>,
    pub start: Option<u32>,
    pub elems: Vec<ElemSegment>,
    pub datas: Vec<DataSegment>,
}

fn compile_err(e: impl std::fmt::Display) -> Error {
    Error::Compile(e.to_string())
}

impl Module {
    /// Decode and validate a binary module. Malformed or invalid input, and
    /// any feature beyond [`features`], is an [`Error::Compile`].
    pub fn new(bytes: &[u8]) -> Result<Module, Error> {
        wp::Validator::new_with_features(features())
            .validate_all(bytes)
            .map_err(compile_err)?;
        decode(bytes).map_err(compile_err)
    }
}

/// Decoding proper. The module has been validated already, so anything
/// unexpected here is reported as an error rather than assumed away.
fn decode(bytes: &[u8]) -> Result<Module, String> {
    let mut m = Module::default();
    let mut func_types: Vec<u32> = Vec::new();
    let mut next_body = 0usize;
    for payload in wp::Parser::new(0).parse_all(bytes) {
        match payload.map_err(|e| e.to_string())? {
            wp::Payload::TypeSection(r) => {
                for group in r {
                    for sub in group.map_err(|e| e.to_string())?.into_types() {
                        match &sub.composite_type.inner {
                            wp::CompositeInnerType::Func(f) => m.types.push(FuncType {
                                params: val_types(f.params())?,
                                results: val_types(f.results())?,
                            }),
                            other => return Err(format!("unsupported type {other}")),
                        }
                    }
                }
            }
            wp::Payload::ImportSection(r) => {
                for imp in r.into_imports() {
                    let imp = imp.map_err(|e| e.to_string())?;
                    let desc = match imp.ty {
                        wp::TypeRef::Func(t) => ImportDesc::Func(t),
                        wp::TypeRef::Table(t) => ImportDesc::Table(table_type(&t)?),
                        wp::TypeRef::Memory(t) => ImportDesc::Memory(memory_type(&t)?),
                        wp::TypeRef::Global(t) => ImportDesc::Global(global_type(&t)?),
                        other => return Err(format!("unsupported import {other:?}")),
                    };
                    m.imports.push(Import {
                        module: imp.module.to_string(),
                        name: imp.name.to_string(),
                        desc,
                    });
                }
            }
            wp::Payload::FunctionSection(r) => {
                for t in r {
                    func_types.push(t.map_err(|e| e.to_string())?);
                }
            }
            wp::Payload::TableSection(r) => {
                for t in r {
                    let t = t.map_err(|e| e.to_string())?;
                    if !matches!(t.init, wp::TableInit::RefNull) {
                        return Err("table initializer expressions are not in Wasm 2.0".into());
                    }
                    m.tables.push(table_type(&t.ty)?);
                }
            }
            wp::Payload::MemorySection(r) => {
                for t in r {
                    m.memories
                        .push(memory_type(&t.map_err(|e| e.to_string())?)?);
                }
            }
            wp::Payload::GlobalSection(r) => {
                for g in r {
                    let g = g.map_err(|e| e.to_string())?;
                    m.globals.push(Global {
                        ty: global_type(&g.ty)?,
                        init: const_expr(&g.init_expr)?,
                    });
                }
            }
            wp::Payload::ExportSection(r) => {
                for e in r {
                    let e = e.map_err(|e| e.to_string())?;
                    let desc = match e.kind {
                        wp::ExternalKind::Func => ExternIdx::Func(e.index),
                        wp::ExternalKind::Table => ExternIdx::Table(e.index),
                        wp::ExternalKind::Memory => ExternIdx::Memory(e.index),
                        wp::ExternalKind::Global => ExternIdx::Global(e.index),
                        other => return Err(format!("unsupported export kind {other:?}")),
                    };
                    m.exports.push(Export {
                        name: e.name.to_string(),
                        desc,
                    });
                }
            }
            wp::Payload::StartSection { func, .. } => m.start = Some(func),
            wp::Payload::ElementSection(r) => {
                for e in r {
                    m.elems.push(elem_segment(e.map_err(|e| e.to_string())?)?);
                }
            }
            wp::Payload::DataSection(r) => {
                for d in r {
                    let d = d.map_err(|e| e.to_string())?;
                    let mode = match &d.kind {
                        wp::DataKind::Passive => DataMode::Passive,
                        wp::DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => DataMode::Active {
                            memory: *memory_index,
                            offset: const_expr(offset_expr)?,
                        },
                    };
                    m.datas.push(DataSegment {
                        init: d.data.to_vec(),
                        mode,
                    });
                }
            }
            wp::Payload::CodeSectionEntry(body) => {
                let type_idx = *func_types
                    .get(next_body)
                    .ok_or("more function bodies than declarations")?;
                next_body += 1;
                let func = decode_func(&m.types, type_idx, &body)?;
                m.funcs.push(Arc::new(func));
            }
            _ => {}
        }
    }
    if m.funcs.len() != func_types.len() {
        return Err("function and code section lengths differ".into());
    }
    Ok(m)
}

fn val_type(t: wp::ValType) -> Result<ValType, String> {
    Ok(match t {
        wp::ValType::I32 => ValType::I32,
        wp::ValType::I64 => ValType::I64,
        wp::ValType::F32 => ValType::F32,
        wp::ValType::F64 => ValType::F64,
        wp::ValType::Ref(r) => ref_type(r)?.val_type(),
        wp::ValType::V128 => ValType::V128,
    })
}

fn val_types(ts: &[wp::ValType]) -> Result<Vec<ValType>, String> {
    ts.iter().map(|t| val_type(*t)).collect()
}

fn ref_type(r: wp::RefType) -> Result<RefType, String> {
    if r == wp::RefType::FUNCREF {
        Ok(RefType::Func)
    } else if r == wp::RefType::EXTERNREF {
        Ok(RefType::Extern)
    } else {
        Err(format!("unsupported reference type {r}"))
    }
}

fn heap_ref_type(h: wp::HeapType) -> Result<RefType, String> {
    match h {
        wp::HeapType::FUNC => Ok(RefType::Func),
        wp::HeapType::EXTERN => Ok(RefType::Extern),
        other => Err(format!("unsupported heap type {other:?}")),
    }
}

/// Limits as `u32`: 64-bit tables/memories are rejected by validation, so
/// any value that does not fit is an error, not a truncation.
fn limits(initial: u64, maximum: Option<u64>) -> Result<Limits, String> {
    let conv = |v: u64| u32::try_from(v).map_err(|_| format!("limit {v} out of range"));
    Ok(Limits {
        min: conv(initial)?,
        max: maximum.map(conv).transpose()?,
    })
}

fn table_type(t: &wp::TableType) -> Result<TableType, String> {
    Ok(TableType {
        limits: limits(t.initial, t.maximum)?,
        elem: ref_type(t.element_type)?,
    })
}

fn memory_type(t: &wp::MemoryType) -> Result<MemoryType, String> {
    Ok(MemoryType {
        limits: limits(t.initial, t.maximum)?,
    })
}

fn global_type(t: &wp::GlobalType) -> Result<GlobalType, String> {
    Ok(GlobalType {
        mutable: t.mutable,
        content: val_type(t.content_type)?,
    })
}

fn const_expr(e: &wp::ConstExpr) -> Result<ConstExpr, String> {
    let mut r = e.get_operators_reader();
    let op = r.read().map_err(|e| e.to_string())?;
    let c = match op {
        wp::Operator::I32Const { value } => ConstExpr::Const(Value::I32(value)),
        wp::Operator::I64Const { value } => ConstExpr::Const(Value::I64(value)),
        wp::Operator::F32Const { value } => ConstExpr::Const(Value::F32(value.bits())),
        wp::Operator::F64Const { value } => ConstExpr::Const(Value::F64(value.bits())),
        wp::Operator::V128Const { value } => ConstExpr::Const(Value::V128(value.into())),
        wp::Operator::RefNull { hty } => ConstExpr::RefNull(heap_ref_type(hty)?),
        wp::Operator::RefFunc { function_index } => ConstExpr::RefFunc(function_index),
        wp::Operator::GlobalGet { global_index } => ConstExpr::GlobalGet(global_index),
        other => return Err(format!("unsupported constant instruction {other:?}")),
    };
    match r.read().map_err(|e| e.to_string())? {
        wp::Operator::End => Ok(c),
        other => Err(format!("constant expression too long at {other:?}")),
    }
}

fn elem_segment(e: wp::Element) -> Result<ElemSegment, String> {
    let (ty, init) = match e.items {
        wp::ElementItems::Functions(r) => {
            let mut init = Vec::new();
            for f in r {
                init.push(ConstExpr::RefFunc(f.map_err(|e| e.to_string())?));
            }
            (RefType::Func, init)
        }
        wp::ElementItems::Expressions(ty, r) => {
            let mut init = Vec::new();
            for x in r {
                init.push(const_expr(&x.map_err(|e| e.to_string())?)?);
            }
            (ref_type(ty)?, init)
        }
    };
    let mode = match e.kind {
        wp::ElementKind::Passive => ElemMode::Passive,
        wp::ElementKind::Declared => ElemMode::Declarative,
        wp::ElementKind::Active {
            table_index,
            offset_expr,
        } => ElemMode::Active {
            table: table_index.unwrap_or(0),
            offset: const_expr(&offset_expr)?,
        },
    };
    Ok(ElemSegment { ty, init, mode })
}

fn block_arity(types: &[FuncType], bt: wp::BlockType) -> Result<BlockArity, String> {
    Ok(match bt {
        wp::BlockType::Empty => BlockArity {
            params: 0,
            results: 0,
        },
        wp::BlockType::Type(_) => BlockArity {
            params: 0,
            results: 1,
        },
        wp::BlockType::FuncType(i) => {
            let t = types
                .get(i as usize)
                .ok_or("block type index out of range")?;
            BlockArity {
                params: t.params.len(),
                results: t.results.len(),
            }
        }
    })
}

fn decode_func(types: &[FuncType], type_idx: u32, body: &wp::FunctionBody) -> Result<Func, String> {
    let mut locals = Vec::new();
    for l in body.get_locals_reader().map_err(|e| e.to_string())? {
        let (count, ty) = l.map_err(|e| e.to_string())?;
        let ty = val_type(ty)?;
        locals.extend(std::iter::repeat_n(ty, count as usize));
    }
    let mut code: Vec<Instr> = Vec::new();
    // Positions of the currently open block/loop/if instructions; `end`
    // patches them (and a pending `else`) with the position of the `end`.
    let mut open: Vec<(usize, Option<usize>)> = Vec::new();
    let mut reader = body.get_operators_reader().map_err(|e| e.to_string())?;
    while !reader.eof() {
        let op = reader.read().map_err(|e| e.to_string())?;
        let here = code.len();
        let instr = match op {
            wp::Operator::Block { blockty } => {
                open.push((here, None));
                Instr::Block {
                    arity: block_arity(types, blockty)?,
                    end: usize::MAX,
                }
            }
            wp::Operator::Loop { blockty } => {
                open.push((here, None));
                Instr::Loop {
                    arity: block_arity(types, blockty)?,
                }
            }
            wp::Operator::If { blockty } => {
                open.push((here, None));
                Instr::If {
                    arity: block_arity(types, blockty)?,
                    else_at: None,
                    end: usize::MAX,
                }
            }
            wp::Operator::Else => {
                let top = open.last_mut().ok_or("else outside if")?;
                top.1 = Some(here);
                Instr::Else { end: usize::MAX }
            }
            wp::Operator::End => {
                // The final `end` of the body has no open block.
                if let Some((start, else_pos)) = open.pop() {
                    match &mut code[start] {
                        Instr::Block { end, .. } => *end = here,
                        Instr::If { else_at, end, .. } => {
                            *else_at = else_pos;
                            *end = here;
                        }
                        Instr::Loop { .. } => {}
                        _ => return Err("mismatched end".into()),
                    }
                    if let Some(e) = else_pos {
                        code[e] = Instr::Else { end: here };
                    }
                }
                Instr::End
            }
            other => translate(other)?,
        };
        code.push(instr);
    }
    Ok(Func {
        type_idx,
        locals,
        body: code,
    })
}

/// Translate a non-block operator. Operators outside the feature set
/// cannot reach here (validation rejects them) but are still reported.
fn translate(op: wp::Operator) -> Result<Instr, String> {
    use Width::*;
    use wp::Operator as O;
    let load = |kind, m: wp::MemArg| Instr::Load {
        kind,
        offset: m.offset,
    };
    let store = |kind, m: wp::MemArg| Instr::Store {
        kind,
        offset: m.offset,
    };
    let trunc = |dst, src, sign, sat| {
        Instr::Cvt(Cvtop::Trunc {
            dst,
            src,
            sign,
            sat,
        })
    };
    let convert = |dst, src, sign| Instr::Cvt(Cvtop::Convert { dst, src, sign });
    Ok(match op {
        O::Unreachable => Instr::Unreachable,
        O::Nop => Instr::Nop,
        O::Br { relative_depth } => Instr::Br(relative_depth),
        O::BrIf { relative_depth } => Instr::BrIf(relative_depth),
        O::BrTable { targets } => {
            let default = targets.default();
            let targets = targets
                .targets()
                .collect::<Result<Vec<u32>, _>>()
                .map_err(|e| e.to_string())?;
            Instr::BrTable {
                targets: targets.into_boxed_slice(),
                default,
            }
        }
        O::Return => Instr::Return,
        O::Call { function_index } => Instr::Call(function_index),
        O::CallIndirect {
            type_index,
            table_index,
        } => Instr::CallIndirect {
            type_idx: type_index,
            table: table_index,
        },
        O::RefNull { hty } => Instr::RefNull(heap_ref_type(hty)?),
        O::RefIsNull => Instr::RefIsNull,
        O::RefFunc { function_index } => Instr::RefFunc(function_index),
        O::Drop => Instr::Drop,
        O::Select | O::TypedSelect { .. } => Instr::Select,
        O::LocalGet { local_index } => Instr::LocalGet(local_index),
        O::LocalSet { local_index } => Instr::LocalSet(local_index),
        O::LocalTee { local_index } => Instr::LocalTee(local_index),
        O::GlobalGet { global_index } => Instr::GlobalGet(global_index),
        O::GlobalSet { global_index } => Instr::GlobalSet(global_index),
        O::TableGet { table } => Instr::TableGet(table),
        O::TableSet { table } => Instr::TableSet(table),
        O::TableSize { table } => Instr::TableSize(table),
        O::TableGrow { table } => Instr::TableGrow(table),
        O::TableFill { table } => Instr::TableFill(table),
        O::TableCopy {
            dst_table,
            src_table,
        } => Instr::TableCopy {
            dst: dst_table,
            src: src_table,
        },
        O::TableInit { elem_index, table } => Instr::TableInit {
            elem: elem_index,
            table,
        },
        O::ElemDrop { elem_index } => Instr::ElemDrop(elem_index),

        O::I32Load { memarg } => load(LoadKind::I32, memarg),
        O::I64Load { memarg } => load(LoadKind::I64, memarg),
        O::F32Load { memarg } => load(LoadKind::F32, memarg),
        O::F64Load { memarg } => load(LoadKind::F64, memarg),
        O::I32Load8S { memarg } => load(
            LoadKind::I32Narrow {
                bytes: 1,
                sign: Sign::S,
            },
            memarg,
        ),
        O::I32Load8U { memarg } => load(
            LoadKind::I32Narrow {
                bytes: 1,
                sign: Sign::U,
            },
            memarg,
        ),
        O::I32Load16S { memarg } => load(
            LoadKind::I32Narrow {
                bytes: 2,
                sign: Sign::S,
            },
            memarg,
        ),
        O::I32Load16U { memarg } => load(
            LoadKind::I32Narrow {
                bytes: 2,
                sign: Sign::U,
            },
            memarg,
        ),
        O::I64Load8S { memarg } => load(
            LoadKind::I64Narrow {
                bytes: 1,
                sign: Sign::S,
            },
            memarg,
        ),
        O::I64Load8U { memarg } => load(
            LoadKind::I64Narrow {
                bytes: 1,
                sign: Sign::U,
            },
            memarg,
        ),
        O::I64Load16S { memarg } => load(
            LoadKind::I64Narrow {
                bytes: 2,
                sign: Sign::S,
            },
            memarg,
        ),
        O::I64Load16U { memarg } => load(
            LoadKind::I64Narrow {
                bytes: 2,
                sign: Sign::U,
            },
            memarg,
        ),
        O::I64Load32S { memarg } => load(
            LoadKind::I64Narrow {
                bytes: 4,
                sign: Sign::S,
            },
            memarg,
        ),
        O::I64Load32U { memarg } => load(
            LoadKind::I64Narrow {
                bytes: 4,
                sign: Sign::U,
            },
            memarg,
        ),
        O::I32Store { memarg } => store(StoreKind::I32, memarg),
        O::I64Store { memarg } => store(StoreKind::I64, memarg),
        O::F32Store { memarg } => store(StoreKind::F32, memarg),
        O::F64Store { memarg } => store(StoreKind::F64, memarg),
        O::I32Store8 { memarg } => store(StoreKind::I32Narrow { bytes: 1 }, memarg),
        O::I32Store16 { memarg } => store(StoreKind::I32Narrow { bytes: 2 }, memarg),
        O::I64Store8 { memarg } => store(StoreKind::I64Narrow { bytes: 1 }, memarg),
        O::I64Store16 { memarg } => store(StoreKind::I64Narrow { bytes: 2 }, memarg),
        O::I64Store32 { memarg } => store(StoreKind::I64Narrow { bytes: 4 }, memarg),
        O::MemorySize { .. } => Instr::MemorySize,
        O::MemoryGrow { .. } => Instr::MemoryGrow,
        O::MemoryFill { .. } => Instr::MemoryFill,
        O::MemoryCopy { .. } => Instr::MemoryCopy,
        O::MemoryInit { data_index, .. } => Instr::MemoryInit(data_index),
        O::DataDrop { data_index } => Instr::DataDrop(data_index),

        O::I32Const { value } => Instr::Const(Value::I32(value)),
        O::I64Const { value } => Instr::Const(Value::I64(value)),
        O::F32Const { value } => Instr::Const(Value::F32(value.bits())),
        O::F64Const { value } => Instr::Const(Value::F64(value.bits())),

        O::I32Eqz => Instr::IEqz(W32),
        O::I64Eqz => Instr::IEqz(W64),
        O::I32Eq => Instr::IRelop(W32, IRelop::Eq),
        O::I32Ne => Instr::IRelop(W32, IRelop::Ne),
        O::I32LtS => Instr::IRelop(W32, IRelop::LtS),
        O::I32LtU => Instr::IRelop(W32, IRelop::LtU),
        O::I32GtS => Instr::IRelop(W32, IRelop::GtS),
        O::I32GtU => Instr::IRelop(W32, IRelop::GtU),
        O::I32LeS => Instr::IRelop(W32, IRelop::LeS),
        O::I32LeU => Instr::IRelop(W32, IRelop::LeU),
        O::I32GeS => Instr::IRelop(W32, IRelop::GeS),
        O::I32GeU => Instr::IRelop(W32, IRelop::GeU),
        O::I64Eq => Instr::IRelop(W64, IRelop::Eq),
        O::I64Ne => Instr::IRelop(W64, IRelop::Ne),
        O::I64LtS => Instr::IRelop(W64, IRelop::LtS),
        O::I64LtU => Instr::IRelop(W64, IRelop::LtU),
        O::I64GtS => Instr::IRelop(W64, IRelop::GtS),
        O::I64GtU => Instr::IRelop(W64, IRelop::GtU),
        O::I64LeS => Instr::IRelop(W64, IRelop::LeS),
        O::I64LeU => Instr::IRelop(W64, IRelop::LeU),
        O::I64GeS => Instr::IRelop(W64, IRelop::GeS),
        O::I64GeU => Instr::IRelop(W64, IRelop::GeU),
        O::F32Eq => Instr::FRelop(W32, FRelop::Eq),
        O::F32Ne => Instr::FRelop(W32, FRelop::Ne),
        O::F32Lt => Instr::FRelop(W32, FRelop::Lt),
        O::F32Gt => Instr::FRelop(W32, FRelop::Gt),
        O::F32Le => Instr::FRelop(W32, FRelop::Le),
        O::F32Ge => Instr::FRelop(W32, FRelop::Ge),
        O::F64Eq => Instr::FRelop(W64, FRelop::Eq),
        O::F64Ne => Instr::FRelop(W64, FRelop::Ne),
        O::F64Lt => Instr::FRelop(W64, FRelop::Lt),
        O::F64Gt => Instr::FRelop(W64, FRelop::Gt),
        O::F64Le => Instr::FRelop(W64, FRelop::Le),
        O::F64Ge => Instr::FRelop(W64, FRelop::Ge),

        O::I32Clz => Instr::IUnop(W32, IUnop::Clz),
        O::I32Ctz => Instr::IUnop(W32, IUnop::Ctz),
        O::I32Popcnt => Instr::IUnop(W32, IUnop::Popcnt),
        O::I32Extend8S => Instr::IUnop(W32, IUnop::Extend8S),
        O::I32Extend16S => Instr::IUnop(W32, IUnop::Extend16S),
        O::I64Clz => Instr::IUnop(W64, IUnop::Clz),
        O::I64Ctz => Instr::IUnop(W64, IUnop::Ctz),
        O::I64Popcnt => Instr::IUnop(W64, IUnop::Popcnt),
        O::I64Extend8S => Instr::IUnop(W64, IUnop::Extend8S),
        O::I64Extend16S => Instr::IUnop(W64, IUnop::Extend16S),
        O::I64Extend32S => Instr::IUnop(W64, IUnop::Extend32S),

        O::I32Add => Instr::IBinop(W32, IBinop::Add),
        O::I32Sub => Instr::IBinop(W32, IBinop::Sub),
        O::I32Mul => Instr::IBinop(W32, IBinop::Mul),
        O::I32DivS => Instr::IBinop(W32, IBinop::DivS),
        O::I32DivU => Instr::IBinop(W32, IBinop::DivU),
        O::I32RemS => Instr::IBinop(W32, IBinop::RemS),
        O::I32RemU => Instr::IBinop(W32, IBinop::RemU),
        O::I32And => Instr::IBinop(W32, IBinop::And),
        O::I32Or => Instr::IBinop(W32, IBinop::Or),
        O::I32Xor => Instr::IBinop(W32, IBinop::Xor),
        O::I32Shl => Instr::IBinop(W32, IBinop::Shl),
        O::I32ShrS => Instr::IBinop(W32, IBinop::ShrS),
        O::I32ShrU => Instr::IBinop(W32, IBinop::ShrU),
        O::I32Rotl => Instr::IBinop(W32, IBinop::Rotl),
        O::I32Rotr => Instr::IBinop(W32, IBinop::Rotr),
        O::I64Add => Instr::IBinop(W64, IBinop::Add),
        O::I64Sub => Instr::IBinop(W64, IBinop::Sub),
        O::I64Mul => Instr::IBinop(W64, IBinop::Mul),
        O::I64DivS => Instr::IBinop(W64, IBinop::DivS),
        O::I64DivU => Instr::IBinop(W64, IBinop::DivU),
        O::I64RemS => Instr::IBinop(W64, IBinop::RemS),
        O::I64RemU => Instr::IBinop(W64, IBinop::RemU),
        O::I64And => Instr::IBinop(W64, IBinop::And),
        O::I64Or => Instr::IBinop(W64, IBinop::Or),
        O::I64Xor => Instr::IBinop(W64, IBinop::Xor),
        O::I64Shl => Instr::IBinop(W64, IBinop::Shl),
        O::I64ShrS => Instr::IBinop(W64, IBinop::ShrS),
        O::I64ShrU => Instr::IBinop(W64, IBinop::ShrU),
        O::I64Rotl => Instr::IBinop(W64, IBinop::Rotl),
        O::I64Rotr => Instr::IBinop(W64, IBinop::Rotr),

        O::F32Abs => Instr::FUnop(W32, FUnop::Abs),
        O::F32Neg => Instr::FUnop(W32, FUnop::Neg),
        O::F32Ceil => Instr::FUnop(W32, FUnop::Ceil),
        O::F32Floor => Instr::FUnop(W32, FUnop::Floor),
        O::F32Trunc => Instr::FUnop(W32, FUnop::Trunc),
        O::F32Nearest => Instr::FUnop(W32, FUnop::Nearest),
        O::F32Sqrt => Instr::FUnop(W32, FUnop::Sqrt),
        O::F64Abs => Instr::FUnop(W64, FUnop::Abs),
        O::F64Neg => Instr::FUnop(W64, FUnop::Neg),
        O::F64Ceil => Instr::FUnop(W64, FUnop::Ceil),
        O::F64Floor => Instr::FUnop(W64, FUnop::Floor),
        O::F64Trunc => Instr::FUnop(W64, FUnop::Trunc),
        O::F64Nearest => Instr::FUnop(W64, FUnop::Nearest),
        O::F64Sqrt => Instr::FUnop(W64, FUnop::Sqrt),

        O::F32Add => Instr::FBinop(W32, FBinop::Add),
        O::F32Sub => Instr::FBinop(W32, FBinop::Sub),
        O::F32Mul => Instr::FBinop(W32, FBinop::Mul),
        O::F32Div => Instr::FBinop(W32, FBinop::Div),
        O::F32Min => Instr::FBinop(W32, FBinop::Min),
        O::F32Max => Instr::FBinop(W32, FBinop::Max),
        O::F32Copysign => Instr::FBinop(W32, FBinop::Copysign),
        O::F64Add => Instr::FBinop(W64, FBinop::Add),
        O::F64Sub => Instr::FBinop(W64, FBinop::Sub),
        O::F64Mul => Instr::FBinop(W64, FBinop::Mul),
        O::F64Div => Instr::FBinop(W64, FBinop::Div),
        O::F64Min => Instr::FBinop(W64, FBinop::Min),
        O::F64Max => Instr::FBinop(W64, FBinop::Max),
        O::F64Copysign => Instr::FBinop(W64, FBinop::Copysign),

        O::I32WrapI64 => Instr::Cvt(Cvtop::I32WrapI64),
        O::I64ExtendI32S => Instr::Cvt(Cvtop::I64ExtendI32(Sign::S)),
        O::I64ExtendI32U => Instr::Cvt(Cvtop::I64ExtendI32(Sign::U)),
        O::I32TruncF32S => trunc(W32, W32, Sign::S, false),
        O::I32TruncF32U => trunc(W32, W32, Sign::U, false),
        O::I32TruncF64S => trunc(W32, W64, Sign::S, false),
        O::I32TruncF64U => trunc(W32, W64, Sign::U, false),
        O::I64TruncF32S => trunc(W64, W32, Sign::S, false),
        O::I64TruncF32U => trunc(W64, W32, Sign::U, false),
        O::I64TruncF64S => trunc(W64, W64, Sign::S, false),
        O::I64TruncF64U => trunc(W64, W64, Sign::U, false),
        O::I32TruncSatF32S => trunc(W32, W32, Sign::S, true),
        O::I32TruncSatF32U => trunc(W32, W32, Sign::U, true),
        O::I32TruncSatF64S => trunc(W32, W64, Sign::S, true),
        O::I32TruncSatF64U => trunc(W32, W64, Sign::U, true),
        O::I64TruncSatF32S => trunc(W64, W32, Sign::S, true),
        O::I64TruncSatF32U => trunc(W64, W32, Sign::U, true),
        O::I64TruncSatF64S => trunc(W64, W64, Sign::S, true),
        O::I64TruncSatF64U => trunc(W64, W64, Sign::U, true),
        O::F32ConvertI32S => convert(W32, W32, Sign::S),
        O::F32ConvertI32U => convert(W32, W32, Sign::U),
        O::F32ConvertI64S => convert(W32, W64, Sign::S),
        O::F32ConvertI64U => convert(W32, W64, Sign::U),
        O::F64ConvertI32S => convert(W64, W32, Sign::S),
        O::F64ConvertI32U => convert(W64, W32, Sign::U),
        O::F64ConvertI64S => convert(W64, W64, Sign::S),
        O::F64ConvertI64U => convert(W64, W64, Sign::U),
        O::F32DemoteF64 => Instr::Cvt(Cvtop::F32DemoteF64),
        O::F64PromoteF32 => Instr::Cvt(Cvtop::F64PromoteF32),
        O::I32ReinterpretF32 => Instr::Cvt(Cvtop::Reinterpret {
            to_int: true,
            width: W32,
        }),
        O::I64ReinterpretF64 => Instr::Cvt(Cvtop::Reinterpret {
            to_int: true,
            width: W64,
        }),
        O::F32ReinterpretI32 => Instr::Cvt(Cvtop::Reinterpret {
            to_int: false,
            width: W32,
        }),
        O::F64ReinterpretI64 => Instr::Cvt(Cvtop::Reinterpret {
            to_int: false,
            width: W64,
        }),
        other => {
            return translate_vector(&other)
                .ok_or_else(|| format!("unsupported operator {other:?}"));
        }
    })
}

/// Translate a vector operator (the `0xFD` prefix of Wasm 2.0), or `None`
/// if `op` is not one.
fn translate_vector(op: &wp::Operator) -> Option<Instr> {
    use Half::{High, Low};
    use Shape::*;
    use Sign::{S, U};
    use VecInstr as V;
    use wp::Operator as O;
    let load = |kind, m: &wp::MemArg| Instr::Load {
        kind,
        offset: m.offset,
    };
    let load_lane = |bytes, m: &wp::MemArg, lane: u8| Instr::LoadLane {
        bytes,
        lane,
        offset: m.offset,
    };
    let store_lane = |bytes, m: &wp::MemArg, lane: u8| Instr::StoreLane {
        bytes,
        lane,
        offset: m.offset,
    };
    let extend = |bits, sign| LoadKind::V128Extend { bits, sign };
    let extract = |shape, lane, sign| V::ExtractLane { shape, lane, sign };
    let replace = |shape, lane| V::ReplaceLane { shape, lane };
    let ext = |to, half, sign| V::Extend { to, half, sign };
    let extmul = |to, half, sign| V::ExtMul { to, half, sign };
    let v = match *op {
        // Memory.
        O::V128Load { ref memarg } => return Some(load(LoadKind::V128, memarg)),
        O::V128Load8x8S { ref memarg } => return Some(load(extend(8, S), memarg)),
        O::V128Load8x8U { ref memarg } => return Some(load(extend(8, U), memarg)),
        O::V128Load16x4S { ref memarg } => return Some(load(extend(16, S), memarg)),
        O::V128Load16x4U { ref memarg } => return Some(load(extend(16, U), memarg)),
        O::V128Load32x2S { ref memarg } => return Some(load(extend(32, S), memarg)),
        O::V128Load32x2U { ref memarg } => return Some(load(extend(32, U), memarg)),
        O::V128Load8Splat { ref memarg } => {
            return Some(load(LoadKind::V128Splat { bytes: 1 }, memarg));
        }
        O::V128Load16Splat { ref memarg } => {
            return Some(load(LoadKind::V128Splat { bytes: 2 }, memarg));
        }
        O::V128Load32Splat { ref memarg } => {
            return Some(load(LoadKind::V128Splat { bytes: 4 }, memarg));
        }
        O::V128Load64Splat { ref memarg } => {
            return Some(load(LoadKind::V128Splat { bytes: 8 }, memarg));
        }
        O::V128Load32Zero { ref memarg } => {
            return Some(load(LoadKind::V128Zero { bytes: 4 }, memarg));
        }
        O::V128Load64Zero { ref memarg } => {
            return Some(load(LoadKind::V128Zero { bytes: 8 }, memarg));
        }
        O::V128Store { ref memarg } => {
            return Some(Instr::Store {
                kind: StoreKind::V128,
                offset: memarg.offset,
            });
        }
        O::V128Load8Lane { ref memarg, lane } => return Some(load_lane(1, memarg, lane)),
        O::V128Load16Lane { ref memarg, lane } => return Some(load_lane(2, memarg, lane)),
        O::V128Load32Lane { ref memarg, lane } => return Some(load_lane(4, memarg, lane)),
        O::V128Load64Lane { ref memarg, lane } => return Some(load_lane(8, memarg, lane)),
        O::V128Store8Lane { ref memarg, lane } => return Some(store_lane(1, memarg, lane)),
        O::V128Store16Lane { ref memarg, lane } => return Some(store_lane(2, memarg, lane)),
        O::V128Store32Lane { ref memarg, lane } => return Some(store_lane(4, memarg, lane)),
        O::V128Store64Lane { ref memarg, lane } => return Some(store_lane(8, memarg, lane)),
        O::V128Const { value } => return Some(Instr::Const(Value::V128(value.into()))),

        // Bitwise.
        O::V128Not => V::Not,
        O::V128And => V::Binop(VvBinop::And),
        O::V128AndNot => V::Binop(VvBinop::AndNot),
        O::V128Or => V::Binop(VvBinop::Or),
        O::V128Xor => V::Binop(VvBinop::Xor),
        O::V128Bitselect => V::Bitselect,
        O::V128AnyTrue => V::AnyTrue,

        // Lane moves.
        O::I8x16Shuffle { lanes } => V::Shuffle(lanes),
        O::I8x16Swizzle => V::Swizzle,
        O::I8x16Splat => V::Splat(I8x16),
        O::I16x8Splat => V::Splat(I16x8),
        O::I32x4Splat => V::Splat(I32x4),
        O::I64x2Splat => V::Splat(I64x2),
        O::F32x4Splat => V::Splat(F32x4),
        O::F64x2Splat => V::Splat(F64x2),
        O::I8x16ExtractLaneS { lane } => extract(I8x16, lane, Some(S)),
        O::I8x16ExtractLaneU { lane } => extract(I8x16, lane, Some(U)),
        O::I16x8ExtractLaneS { lane } => extract(I16x8, lane, Some(S)),
        O::I16x8ExtractLaneU { lane } => extract(I16x8, lane, Some(U)),
        O::I32x4ExtractLane { lane } => extract(I32x4, lane, None),
        O::I64x2ExtractLane { lane } => extract(I64x2, lane, None),
        O::F32x4ExtractLane { lane } => extract(F32x4, lane, None),
        O::F64x2ExtractLane { lane } => extract(F64x2, lane, None),
        O::I8x16ReplaceLane { lane } => replace(I8x16, lane),
        O::I16x8ReplaceLane { lane } => replace(I16x8, lane),
        O::I32x4ReplaceLane { lane } => replace(I32x4, lane),
        O::I64x2ReplaceLane { lane } => replace(I64x2, lane),
        O::F32x4ReplaceLane { lane } => replace(F32x4, lane),
        O::F64x2ReplaceLane { lane } => replace(F64x2, lane),

        // Integer comparisons.
        O::I8x16Eq => V::IRelop(I8x16, IRelop::Eq),
        O::I8x16Ne => V::IRelop(I8x16, IRelop::Ne),
        O::I8x16LtS => V::IRelop(I8x16, IRelop::LtS),
        O::I8x16LtU => V::IRelop(I8x16, IRelop::LtU),
        O::I8x16GtS => V::IRelop(I8x16, IRelop::GtS),
        O::I8x16GtU => V::IRelop(I8x16, IRelop::GtU),
        O::I8x16LeS => V::IRelop(I8x16, IRelop::LeS),
        O::I8x16LeU => V::IRelop(I8x16, IRelop::LeU),
        O::I8x16GeS => V::IRelop(I8x16, IRelop::GeS),
        O::I8x16GeU => V::IRelop(I8x16, IRelop::GeU),
        O::I16x8Eq => V::IRelop(I16x8, IRelop::Eq),
        O::I16x8Ne => V::IRelop(I16x8, IRelop::Ne),
        O::I16x8LtS => V::IRelop(I16x8, IRelop::LtS),
        O::I16x8LtU => V::IRelop(I16x8, IRelop::LtU),
        O::I16x8GtS => V::IRelop(I16x8, IRelop::GtS),
        O::I16x8GtU => V::IRelop(I16x8, IRelop::GtU),
        O::I16x8LeS => V::IRelop(I16x8, IRelop::LeS),
        O::I16x8LeU => V::IRelop(I16x8, IRelop::LeU),
        O::I16x8GeS => V::IRelop(I16x8, IRelop::GeS),
        O::I16x8GeU => V::IRelop(I16x8, IRelop::GeU),
        O::I32x4Eq => V::IRelop(I32x4, IRelop::Eq),
        O::I32x4Ne => V::IRelop(I32x4, IRelop::Ne),
        O::I32x4LtS => V::IRelop(I32x4, IRelop::LtS),
        O::I32x4LtU => V::IRelop(I32x4, IRelop::LtU),
        O::I32x4GtS => V::IRelop(I32x4, IRelop::GtS),
        O::I32x4GtU => V::IRelop(I32x4, IRelop::GtU),
        O::I32x4LeS => V::IRelop(I32x4, IRelop::LeS),
        O::I32x4LeU => V::IRelop(I32x4, IRelop::LeU),
        O::I32x4GeS => V::IRelop(I32x4, IRelop::GeS),
        O::I32x4GeU => V::IRelop(I32x4, IRelop::GeU),
        O::I64x2Eq => V::IRelop(I64x2, IRelop::Eq),
        O::I64x2Ne => V::IRelop(I64x2, IRelop::Ne),
        O::I64x2LtS => V::IRelop(I64x2, IRelop::LtS),
        O::I64x2GtS => V::IRelop(I64x2, IRelop::GtS),
        O::I64x2LeS => V::IRelop(I64x2, IRelop::LeS),
        O::I64x2GeS => V::IRelop(I64x2, IRelop::GeS),

        // Float comparisons.
        O::F32x4Eq => V::FRelop(F32x4, FRelop::Eq),
        O::F32x4Ne => V::FRelop(F32x4, FRelop::Ne),
        O::F32x4Lt => V::FRelop(F32x4, FRelop::Lt),
        O::F32x4Gt => V::FRelop(F32x4, FRelop::Gt),
        O::F32x4Le => V::FRelop(F32x4, FRelop::Le),
        O::F32x4Ge => V::FRelop(F32x4, FRelop::Ge),
        O::F64x2Eq => V::FRelop(F64x2, FRelop::Eq),
        O::F64x2Ne => V::FRelop(F64x2, FRelop::Ne),
        O::F64x2Lt => V::FRelop(F64x2, FRelop::Lt),
        O::F64x2Gt => V::FRelop(F64x2, FRelop::Gt),
        O::F64x2Le => V::FRelop(F64x2, FRelop::Le),
        O::F64x2Ge => V::FRelop(F64x2, FRelop::Ge),

        // Integer arithmetic, shape by shape.
        O::I8x16Abs => V::IUnop(I8x16, ViUnop::Abs),
        O::I8x16Neg => V::IUnop(I8x16, ViUnop::Neg),
        O::I8x16Popcnt => V::IUnop(I8x16, ViUnop::Popcnt),
        O::I8x16AllTrue => V::AllTrue(I8x16),
        O::I8x16Bitmask => V::Bitmask(I8x16),
        O::I8x16NarrowI16x8S => V::Narrow { to: I8x16, sign: S },
        O::I8x16NarrowI16x8U => V::Narrow { to: I8x16, sign: U },
        O::I8x16Shl => V::Shift(I8x16, ViShift::Shl),
        O::I8x16ShrS => V::Shift(I8x16, ViShift::ShrS),
        O::I8x16ShrU => V::Shift(I8x16, ViShift::ShrU),
        O::I8x16Add => V::IBinop(I8x16, ViBinop::Add),
        O::I8x16AddSatS => V::IBinop(I8x16, ViBinop::AddSat(S)),
        O::I8x16AddSatU => V::IBinop(I8x16, ViBinop::AddSat(U)),
        O::I8x16Sub => V::IBinop(I8x16, ViBinop::Sub),
        O::I8x16SubSatS => V::IBinop(I8x16, ViBinop::SubSat(S)),
        O::I8x16SubSatU => V::IBinop(I8x16, ViBinop::SubSat(U)),
        O::I8x16MinS => V::IBinop(I8x16, ViBinop::Min(S)),
        O::I8x16MinU => V::IBinop(I8x16, ViBinop::Min(U)),
        O::I8x16MaxS => V::IBinop(I8x16, ViBinop::Max(S)),
        O::I8x16MaxU => V::IBinop(I8x16, ViBinop::Max(U)),
        O::I8x16AvgrU => V::IBinop(I8x16, ViBinop::AvgrU),

        O::I16x8ExtAddPairwiseI8x16S => V::ExtAddPairwise { to: I16x8, sign: S },
        O::I16x8ExtAddPairwiseI8x16U => V::ExtAddPairwise { to: I16x8, sign: U },
        O::I16x8Abs => V::IUnop(I16x8, ViUnop::Abs),
        O::I16x8Neg => V::IUnop(I16x8, ViUnop::Neg),
        O::I16x8Q15MulrSatS => V::IBinop(I16x8, ViBinop::Q15MulrSatS),
        O::I16x8AllTrue => V::AllTrue(I16x8),
        O::I16x8Bitmask => V::Bitmask(I16x8),
        O::I16x8NarrowI32x4S => V::Narrow { to: I16x8, sign: S },
        O::I16x8NarrowI32x4U => V::Narrow { to: I16x8, sign: U },
        O::I16x8ExtendLowI8x16S => ext(I16x8, Low, S),
        O::I16x8ExtendHighI8x16S => ext(I16x8, High, S),
        O::I16x8ExtendLowI8x16U => ext(I16x8, Low, U),
        O::I16x8ExtendHighI8x16U => ext(I16x8, High, U),
        O::I16x8Shl => V::Shift(I16x8, ViShift::Shl),
        O::I16x8ShrS => V::Shift(I16x8, ViShift::ShrS),
        O::I16x8ShrU => V::Shift(I16x8, ViShift::ShrU),
        O::I16x8Add => V::IBinop(I16x8, ViBinop::Add),
        O::I16x8AddSatS => V::IBinop(I16x8, ViBinop::AddSat(S)),
        O::I16x8AddSatU => V::IBinop(I16x8, ViBinop::AddSat(U)),
        O::I16x8Sub => V::IBinop(I16x8, ViBinop::Sub),
        O::I16x8SubSatS => V::IBinop(I16x8, ViBinop::SubSat(S)),
        O::I16x8SubSatU => V::IBinop(I16x8, ViBinop::SubSat(U)),
        O::I16x8Mul => V::IBinop(I16x8, ViBinop::Mul),
        O::I16x8MinS => V::IBinop(I16x8, ViBinop::Min(S)),
        O::I16x8MinU => V::IBinop(I16x8, ViBinop::Min(U)),
        O::I16x8MaxS => V::IBinop(I16x8, ViBinop::Max(S)),
        O::I16x8MaxU => V::IBinop(I16x8, ViBinop::Max(U)),
        O::I16x8AvgrU => V::IBinop(I16x8, ViBinop::AvgrU),
        O::I16x8ExtMulLowI8x16S => extmul(I16x8, Low, S),
        O::I16x8ExtMulHighI8x16S => extmul(I16x8, High, S),
        O::I16x8ExtMulLowI8x16U => extmul(I16x8, Low, U),
        O::I16x8ExtMulHighI8x16U => extmul(I16x8, High, U),

        O::I32x4ExtAddPairwiseI16x8S => V::ExtAddPairwise { to: I32x4, sign: S },
        O::I32x4ExtAddPairwiseI16x8U => V::ExtAddPairwise { to: I32x4, sign: U },
        O::I32x4Abs => V::IUnop(I32x4, ViUnop::Abs),
        O::I32x4Neg => V::IUnop(I32x4, ViUnop::Neg),
        O::I32x4AllTrue => V::AllTrue(I32x4),
        O::I32x4Bitmask => V::Bitmask(I32x4),
        O::I32x4ExtendLowI16x8S => ext(I32x4, Low, S),
        O::I32x4ExtendHighI16x8S => ext(I32x4, High, S),
        O::I32x4ExtendLowI16x8U => ext(I32x4, Low, U),
        O::I32x4ExtendHighI16x8U => ext(I32x4, High, U),
        O::I32x4Shl => V::Shift(I32x4, ViShift::Shl),
        O::I32x4ShrS => V::Shift(I32x4, ViShift::ShrS),
        O::I32x4ShrU => V::Shift(I32x4, ViShift::ShrU),
        O::I32x4Add => V::IBinop(I32x4, ViBinop::Add),
        O::I32x4Sub => V::IBinop(I32x4, ViBinop::Sub),
        O::I32x4Mul => V::IBinop(I32x4, ViBinop::Mul),
        O::I32x4MinS => V::IBinop(I32x4, ViBinop::Min(S)),
        O::I32x4MinU => V::IBinop(I32x4, ViBinop::Min(U)),
        O::I32x4MaxS => V::IBinop(I32x4, ViBinop::Max(S)),
        O::I32x4MaxU => V::IBinop(I32x4, ViBinop::Max(U)),
        O::I32x4DotI16x8S => V::Dot,
        O::I32x4ExtMulLowI16x8S => extmul(I32x4, Low, S),
        O::I32x4ExtMulHighI16x8S => extmul(I32x4, High, S),
        O::I32x4ExtMulLowI16x8U => extmul(I32x4, Low, U),
        O::I32x4ExtMulHighI16x8U => extmul(I32x4, High, U),

        O::I64x2Abs => V::IUnop(I64x2, ViUnop::Abs),
        O::I64x2Neg => V::IUnop(I64x2, ViUnop::Neg),
        O::I64x2AllTrue => V::AllTrue(I64x2),
        O::I64x2Bitmask => V::Bitmask(I64x2),
        O::I64x2ExtendLowI32x4S => ext(I64x2, Low, S),
        O::I64x2ExtendHighI32x4S => ext(I64x2, High, S),
        O::I64x2ExtendLowI32x4U => ext(I64x2, Low, U),
        O::I64x2ExtendHighI32x4U => ext(I64x2, High, U),
        O::I64x2Shl => V::Shift(I64x2, ViShift::Shl),
        O::I64x2ShrS => V::Shift(I64x2, ViShift::ShrS),
        O::I64x2ShrU => V::Shift(I64x2, ViShift::ShrU),
        O::I64x2Add => V::IBinop(I64x2, ViBinop::Add),
        O::I64x2Sub => V::IBinop(I64x2, ViBinop::Sub),
        O::I64x2Mul => V::IBinop(I64x2, ViBinop::Mul),
        O::I64x2ExtMulLowI32x4S => extmul(I64x2, Low, S),
        O::I64x2ExtMulHighI32x4S => extmul(I64x2, High, S),
        O::I64x2ExtMulLowI32x4U => extmul(I64x2, Low, U),
        O::I64x2ExtMulHighI32x4U => extmul(I64x2, High, U),

        // Float arithmetic.
        O::F32x4Ceil => V::FUnop(F32x4, FUnop::Ceil),
        O::F32x4Floor => V::FUnop(F32x4, FUnop::Floor),
        O::F32x4Trunc => V::FUnop(F32x4, FUnop::Trunc),
        O::F32x4Nearest => V::FUnop(F32x4, FUnop::Nearest),
        O::F32x4Abs => V::FUnop(F32x4, FUnop::Abs),
        O::F32x4Neg => V::FUnop(F32x4, FUnop::Neg),
        O::F32x4Sqrt => V::FUnop(F32x4, FUnop::Sqrt),
        O::F32x4Add => V::FBinop(F32x4, VfBinop::Add),
        O::F32x4Sub => V::FBinop(F32x4, VfBinop::Sub),
        O::F32x4Mul => V::FBinop(F32x4, VfBinop::Mul),
        O::F32x4Div => V::FBinop(F32x4, VfBinop::Div),
        O::F32x4Min => V::FBinop(F32x4, VfBinop::Min),
        O::F32x4Max => V::FBinop(F32x4, VfBinop::Max),
        O::F32x4PMin => V::FBinop(F32x4, VfBinop::PMin),
        O::F32x4PMax => V::FBinop(F32x4, VfBinop::PMax),
        O::F64x2Ceil => V::FUnop(F64x2, FUnop::Ceil),
        O::F64x2Floor => V::FUnop(F64x2, FUnop::Floor),
        O::F64x2Trunc => V::FUnop(F64x2, FUnop::Trunc),
        O::F64x2Nearest => V::FUnop(F64x2, FUnop::Nearest),
        O::F64x2Abs => V::FUnop(F64x2, FUnop::Abs),
        O::F64x2Neg => V::FUnop(F64x2, FUnop::Neg),
        O::F64x2Sqrt => V::FUnop(F64x2, FUnop::Sqrt),
        O::F64x2Add => V::FBinop(F64x2, VfBinop::Add),
        O::F64x2Sub => V::FBinop(F64x2, VfBinop::Sub),
        O::F64x2Mul => V::FBinop(F64x2, VfBinop::Mul),
        O::F64x2Div => V::FBinop(F64x2, VfBinop::Div),
        O::F64x2Min => V::FBinop(F64x2, VfBinop::Min),
        O::F64x2Max => V::FBinop(F64x2, VfBinop::Max),
        O::F64x2PMin => V::FBinop(F64x2, VfBinop::PMin),
        O::F64x2PMax => V::FBinop(F64x2, VfBinop::PMax),

        // Conversions.
        O::I32x4TruncSatF32x4S => V::TruncSat {
            src: F32x4,
            sign: S,
        },
        O::I32x4TruncSatF32x4U => V::TruncSat {
            src: F32x4,
            sign: U,
        },
        O::I32x4TruncSatF64x2SZero => V::TruncSat {
            src: F64x2,
            sign: S,
        },
        O::I32x4TruncSatF64x2UZero => V::TruncSat {
            src: F64x2,
            sign: U,
        },
        O::F32x4ConvertI32x4S => V::Convert { to: F32x4, sign: S },
        O::F32x4ConvertI32x4U => V::Convert { to: F32x4, sign: U },
        O::F64x2ConvertLowI32x4S => V::Convert { to: F64x2, sign: S },
        O::F64x2ConvertLowI32x4U => V::Convert { to: F64x2, sign: U },
        O::F32x4DemoteF64x2Zero => V::Demote,
        O::F64x2PromoteLowF32x4 => V::Promote,
        _ => return None,
    };
    Some(Instr::Vector(v))
}
