//! A decoded and validated module (spec §2.5 "Modules").
//!
//! [`Module::new`] runs `wasmparser`'s validator configured for exactly
//! [`features`] (the engine's set), then decodes every section into the
//! plain data structures below. Function bodies are translated into [`Instr`] vectors
//! with block ends resolved (see [`crate::instr`]), by a wasmparser
//! `VisitOperator` that has a method for every operator: those of Wasm 2.0,
//! tail calls, typed function references and wide arithmetic decode, other
//! later proposals' are refused by name.

use std::sync::Arc;

use wasmparser as wp;

use crate::error::Error;
use crate::instr::*;
use crate::value::{
    FuncType, GlobalType, GroupRef, GroupValType, HeapType, Limits, MemoryType, RefKind, RefType,
    SubTypeDef, TableType, TypeId, ValType, Value,
};

/// The feature set the interpreter implements: the engine's, read from
/// [`kiln::Features::ALL`] (a plain set of flags; none of the engine's
/// execution code), today Wasm 2.0 (MVP, mutable globals, sign extension,
/// saturating truncation, multi-value, bulk memory, reference types,
/// fixed-width SIMD), tail calls, multi-memory, memory64, extended
/// constant expressions, typed function references, and of the proposals custom page sizes and wide
/// arithmetic. A proposal the engine gains before the interpreter does
/// validates here, then fails decoding (see `translate`) with a compile
/// error the oracle reports as a disagreement.
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
    /// A tag of the function type at this index.
    Tag(u32),
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
    Tag(u32),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Export {
    pub name: String,
    pub desc: ExternIdx,
}

/// A constant expression. Without the extended-const proposal it is always
/// exactly one instruction (followed by `end`); with it, a sequence of
/// constant instructions run on a stack, as the spec defines it.
#[derive(Clone, Debug, PartialEq)]
pub enum ConstExpr {
    Const(Value),
    RefNull(RefKind),
    RefFunc(u32),
    GlobalGet(u32),
    /// Several instructions (extended constant expressions), in order.
    Seq(Vec<ConstInstr>),
}

/// One instruction of a [`ConstExpr::Seq`].
#[derive(Clone, Debug, PartialEq)]
pub enum ConstInstr {
    /// One of the single-instruction forms.
    Leaf(ConstExpr),
    /// `i32.add`, `i32.sub`, `i32.mul`, `i64.add`, `i64.sub`, `i64.mul`.
    Arith(IntWidth, ArithOp),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntWidth {
    I32,
    I64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
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
    /// The identity of each type (iso-recursive: by rec group and
    /// position), by type index.
    pub type_ids: Vec<TypeId>,
    pub imports: Vec<Import>,
    /// Shared with every instance's function instances.
    pub funcs: Vec<Arc<Func>>,
    pub tables: Vec<TableType>,
    /// The initialiser of each defined table that has one (typed
    /// function references), by position in `tables`; a table without
    /// one starts out null.
    pub table_inits: Vec<Option<ConstExpr>>,
    pub memories: Vec<MemoryType>,
    pub globals: Vec<Global>,
    pub exports: Vec<Export>,
    pub start: Option<u32>,
    pub elems: Vec<ElemSegment>,
    pub datas: Vec<DataSegment>,
    /// The type index of each defined tag.
    pub tags: Vec<u32>,
}

fn compile_err(e: impl std::fmt::Display) -> Error {
    Error::Compile(e.to_string())
}

impl Module {
    /// Decode and validate a binary module. Malformed or invalid input, and
    /// any feature beyond [`features`], is an [`Error::Compile`].
    pub fn new(bytes: &[u8]) -> Result<Module, Error> {
        Module::with_features(bytes, &kiln::Features::ALL)
    }

    /// Decode and validate a binary module under `features` (a subset of
    /// what the interpreter implements, [`features`]).
    pub fn with_features(bytes: &[u8], features: &kiln::Features) -> Result<Module, Error> {
        wp::Validator::new_with_features(features.wasmparser() & self::features())
            .validate_all(bytes)
            .map_err(compile_err)?;
        decode(bytes).map_err(compile_err)
    }
}

/// Decoding proper. The module has been validated already, so anything
/// unexpected here is reported as an error rather than assumed away.
pub(crate) fn decode(bytes: &[u8]) -> Result<Module, String> {
    let mut m = Module::default();
    let mut func_types: Vec<u32> = Vec::new();
    let mut next_body = 0usize;
    for payload in wp::Parser::new(0).parse_all(bytes) {
        match payload.map_err(|e| e.to_string())? {
            wp::Payload::TypeSection(r) => {
                for group in r {
                    let ids = rec_group(&group.map_err(|e| e.to_string())?, &m.type_ids)?;
                    m.types.extend(ids.iter().map(|id| id.func_type()));
                    m.type_ids.extend(ids);
                }
            }
            wp::Payload::ImportSection(r) => {
                for imp in r.into_imports() {
                    let imp = imp.map_err(|e| e.to_string())?;
                    let desc = match imp.ty {
                        wp::TypeRef::Func(t) => ImportDesc::Func(t),
                        wp::TypeRef::Table(t) => ImportDesc::Table(table_type(&t, &m.type_ids)?),
                        wp::TypeRef::Memory(t) => ImportDesc::Memory(memory_type(&t)?),
                        wp::TypeRef::Global(t) => ImportDesc::Global(global_type(&t, &m.type_ids)?),
                        wp::TypeRef::Tag(t) => ImportDesc::Tag(t.func_type_idx),
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
                    m.table_inits.push(match &t.init {
                        wp::TableInit::RefNull => None,
                        wp::TableInit::Expr(e) => Some(const_expr(e)?),
                    });
                    m.tables.push(table_type(&t.ty, &m.type_ids)?);
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
                        ty: global_type(&g.ty, &m.type_ids)?,
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
                        wp::ExternalKind::Tag => ExternIdx::Tag(e.index),
                        other => return Err(format!("unsupported export kind {other:?}")),
                    };
                    m.exports.push(Export {
                        name: e.name.to_string(),
                        desc,
                    });
                }
            }
            wp::Payload::TagSection(r) => {
                for t in r {
                    m.tags.push(t.map_err(|e| e.to_string())?.func_type_idx);
                }
            }
            wp::Payload::StartSection { func, .. } => m.start = Some(func),
            wp::Payload::ElementSection(r) => {
                for e in r {
                    m.elems
                        .push(elem_segment(e.map_err(|e| e.to_string())?, &m.type_ids)?);
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
                let func = decode_func(&m.types, &m.type_ids, type_idx, &body)?;
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

/// The ids of the members of rec group `group`, read after the types
/// `ids` (GC: members name each other by position, earlier types by id).
/// GC struct and array types are refused.
fn rec_group(group: &wp::RecGroup, ids: &[TypeId]) -> Result<Vec<TypeId>, String> {
    let start = ids.len() as u32;
    let n = group.types().len() as u32;
    let resolve = |i: wp::UnpackedIndex| -> Result<GroupRef, String> {
        match i {
            wp::UnpackedIndex::Module(i) if i >= start && i - start < n => {
                Ok(GroupRef::Rec(i - start))
            }
            wp::UnpackedIndex::Module(i) if i < start => Ok(GroupRef::Id(ids[i as usize])),
            wp::UnpackedIndex::RecGroup(i) if i < n => Ok(GroupRef::Rec(i)),
            other => Err(format!("type index {other:?} out of reach")),
        }
    };
    let val = |t: &wp::ValType| -> Result<GroupValType, String> {
        if let wp::ValType::Ref(r) = *t
            && let wp::HeapType::Concrete(i) = r.heap_type()
            && let GroupRef::Rec(index) = resolve(i)?
        {
            return Ok(GroupValType::Rec {
                nullable: r.is_nullable(),
                index,
            });
        }
        Ok(GroupValType::Val(val_type(*t, ids)?))
    };
    let mut members = Vec::with_capacity(n as usize);
    for sub in group.types() {
        let f = match &sub.composite_type.inner {
            wp::CompositeInnerType::Func(f) if !sub.composite_type.shared => f,
            wp::CompositeInnerType::Struct(_) | wp::CompositeInnerType::Array(_) => {
                return Err("unsupported: GC struct/array types".into());
            }
            other => return Err(format!("unsupported type {other}")),
        };
        if sub.composite_type.descriptor_idx.is_some() || sub.composite_type.describes_idx.is_some()
        {
            return Err("unsupported: custom-descriptors type descriptors".into());
        }
        let supertype = match sub.supertype_idxs.as_slice() {
            [] => None,
            [s] => Some(resolve(s.unpack())?),
            _ => return Err("a type with more than one supertype".into()),
        };
        members.push(SubTypeDef {
            is_final: sub.is_final,
            supertype,
            params: f.params().iter().map(val).collect::<Result<_, _>>()?,
            results: f.results().iter().map(val).collect::<Result<_, _>>()?,
        });
    }
    Ok(TypeId::of_group(members))
}

/// A value type; `ids` are the module's types so far, which concrete
/// references name.
fn val_type(t: wp::ValType, ids: &[TypeId]) -> Result<ValType, String> {
    Ok(match t {
        wp::ValType::I32 => ValType::I32,
        wp::ValType::I64 => ValType::I64,
        wp::ValType::F32 => ValType::F32,
        wp::ValType::F64 => ValType::F64,
        wp::ValType::Ref(r) => ValType::Ref(ref_type(r, ids)?),
        wp::ValType::V128 => ValType::V128,
    })
}

fn ref_type(r: wp::RefType, ids: &[TypeId]) -> Result<RefType, String> {
    let heap = match r.heap_type() {
        wp::HeapType::FUNC => HeapType::Func,
        wp::HeapType::EXTERN => HeapType::Extern,
        wp::HeapType::Abstract {
            shared: false,
            ty: wp::AbstractHeapType::Exn,
        } => HeapType::Exn,
        wp::HeapType::Concrete(i) => {
            let id = i
                .as_module_index()
                .and_then(|i| ids.get(i as usize))
                // A member of the group being read is `rec_group`'s to
                // resolve, so this is a backstop.
                .ok_or_else(|| format!("unsupported reference type {r} (type out of reach)"))?;
            HeapType::Concrete(*id)
        }
        _ => return Err(format!("unsupported reference type {r}")),
    };
    Ok(RefType {
        nullable: r.is_nullable(),
        heap,
    })
}

/// Refuses a value type in a function body (a block type, a typed
/// `select`) whose heap type the interpreter does not implement.
fn body_type(t: wp::ValType) -> Result<(), String> {
    match t {
        wp::ValType::Ref(r) => heap_kind(r.heap_type()).map(drop),
        _ => Ok(()),
    }
}

/// What `ref.null h` is a null of.
fn heap_kind(h: wp::HeapType) -> Result<RefKind, String> {
    match h {
        wp::HeapType::FUNC | wp::HeapType::Concrete(_) => Ok(RefKind::Func),
        wp::HeapType::EXTERN => Ok(RefKind::Extern),
        wp::HeapType::Abstract {
            shared: false,
            ty: wp::AbstractHeapType::Exn,
        } => Ok(RefKind::Exn),
        other => Err(format!("unsupported heap type {other:?}")),
    }
}

fn table_type(t: &wp::TableType, ids: &[TypeId]) -> Result<TableType, String> {
    if t.shared {
        return Err("unsupported shared table".into());
    }
    Ok(TableType {
        limits: Limits {
            min: t.initial,
            max: t.maximum,
        },
        elem: ref_type(t.element_type, ids)?,
        is64: t.table64,
    })
}

fn memory_type(t: &wp::MemoryType) -> Result<MemoryType, String> {
    let page_size = match t.page_size_log2 {
        None | Some(16) => 65536,
        Some(0) => 1,
        Some(_) => return Err(format!("unsupported memory type {t:?}")),
    };
    if t.shared {
        return Err(format!("unsupported memory type {t:?}"));
    }
    Ok(MemoryType {
        limits: Limits {
            min: t.initial,
            max: t.maximum,
        },
        is64: t.memory64,
        page_size,
    })
}

fn global_type(t: &wp::GlobalType, ids: &[TypeId]) -> Result<GlobalType, String> {
    Ok(GlobalType {
        mutable: t.mutable,
        content: val_type(t.content_type, ids)?,
    })
}

fn const_expr(e: &wp::ConstExpr) -> Result<ConstExpr, String> {
    let mut r = e.get_operators_reader();
    let mut seq = Vec::new();
    loop {
        let op = r.read().map_err(|e| e.to_string())?;
        let instr = match op {
            wp::Operator::End => break,
            wp::Operator::I32Const { value } => {
                ConstInstr::Leaf(ConstExpr::Const(Value::I32(value)))
            }
            wp::Operator::I64Const { value } => {
                ConstInstr::Leaf(ConstExpr::Const(Value::I64(value)))
            }
            wp::Operator::F32Const { value } => {
                ConstInstr::Leaf(ConstExpr::Const(Value::F32(value.bits())))
            }
            wp::Operator::F64Const { value } => {
                ConstInstr::Leaf(ConstExpr::Const(Value::F64(value.bits())))
            }
            wp::Operator::V128Const { value } => {
                ConstInstr::Leaf(ConstExpr::Const(Value::V128(value.into())))
            }
            wp::Operator::RefNull { hty } => ConstInstr::Leaf(ConstExpr::RefNull(heap_kind(hty)?)),
            wp::Operator::RefFunc { function_index } => {
                ConstInstr::Leaf(ConstExpr::RefFunc(function_index))
            }
            wp::Operator::GlobalGet { global_index } => {
                ConstInstr::Leaf(ConstExpr::GlobalGet(global_index))
            }
            wp::Operator::I32Add => ConstInstr::Arith(IntWidth::I32, ArithOp::Add),
            wp::Operator::I32Sub => ConstInstr::Arith(IntWidth::I32, ArithOp::Sub),
            wp::Operator::I32Mul => ConstInstr::Arith(IntWidth::I32, ArithOp::Mul),
            wp::Operator::I64Add => ConstInstr::Arith(IntWidth::I64, ArithOp::Add),
            wp::Operator::I64Sub => ConstInstr::Arith(IntWidth::I64, ArithOp::Sub),
            wp::Operator::I64Mul => ConstInstr::Arith(IntWidth::I64, ArithOp::Mul),
            other => return Err(format!("unsupported constant instruction {other:?}")),
        };
        seq.push(instr);
    }
    match seq.len() {
        0 => Err("empty constant expression".to_string()),
        1 => match seq.pop() {
            Some(ConstInstr::Leaf(c)) => Ok(c),
            other => Err(format!("constant expression {other:?} needs operands")),
        },
        _ => Ok(ConstExpr::Seq(seq)),
    }
}

fn elem_segment(e: wp::Element, ids: &[TypeId]) -> Result<ElemSegment, String> {
    let (ty, init) = match e.items {
        wp::ElementItems::Functions(r) => {
            let mut init = Vec::new();
            for f in r {
                init.push(ConstExpr::RefFunc(f.map_err(|e| e.to_string())?));
            }
            // `(ref func)` since Wasm 3.0: no item is null.
            (
                RefType {
                    nullable: false,
                    heap: HeapType::Func,
                },
                init,
            )
        }
        wp::ElementItems::Expressions(ty, r) => {
            let mut init = Vec::new();
            for x in r {
                init.push(const_expr(&x.map_err(|e| e.to_string())?)?);
            }
            (ref_type(ty, ids)?, init)
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
        wp::BlockType::Type(t) => {
            body_type(t)?;
            BlockArity {
                params: 0,
                results: 1,
            }
        }
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

fn decode_func(
    types: &[FuncType],
    ids: &[TypeId],
    type_idx: u32,
    body: &wp::FunctionBody,
) -> Result<Func, String> {
    let mut locals = Vec::new();
    for l in body.get_locals_reader().map_err(|e| e.to_string())? {
        let (count, ty) = l.map_err(|e| e.to_string())?;
        let ty = val_type(ty, ids)?;
        locals.extend(std::iter::repeat_n(ty, count as usize));
    }
    let mut decoder = operators::BodyDecoder {
        types,
        code: Vec::new(),
        open: Vec::new(),
    };
    let mut reader = body.get_operators_reader().map_err(|e| e.to_string())?;
    while !reader.eof() {
        let instr = reader
            .visit_operator(&mut decoder)
            .map_err(|e| e.to_string())??;
        decoder.code.push(instr);
    }
    Ok(Func {
        type_idx,
        locals,
        body: decoder.code,
    })
}

/// The operator decoding, kept in its own namespace for the short names
/// of lane shapes, widths and signs it uses.
mod operators {
    use super::{block_arity, body_type, heap_kind};
    use crate::instr::*;
    use crate::value::{FuncType, Value};
    use Half::{High, Low};
    use Shape::*;
    use Sign::{S, U};
    use VecInstr as V;
    use Width::*;
    use wasmparser as wp;

    /// Decodes the operators of one function body, one [`Instr`] each.
    ///
    /// It implements wasmparser's `VisitOperator` and `VisitSimdOperator`,
    /// whose methods have no defaults: every operator of Wasm 2.0, tail
    /// calls and typed function references has its method below (a missing one does not compile), and the
    /// operators of every other later proposal are refused by name through
    /// `refuse_proposals!` (validation rejects them first; this is the
    /// backstop).
    pub(super) struct BodyDecoder<'t> {
        pub(super) types: &'t [FuncType],
        pub(super) code: Vec<Instr>,
        /// Positions of the currently open block/loop/if instructions; `end`
        /// patches them (and a pending `else`) with the position of the `end`.
        pub(super) open: Vec<(usize, Option<usize>)>,
    }

    /// Visit methods for the operators that decode to one instruction without
    /// looking at the decoder: `visit_x(arg: Ty, ...) => instr,` (`instr` may
    /// use `?`).
    macro_rules! decode {
        ($($visit:ident $(($($arg:ident: $ty:ty),*))? => $instr:expr,)*) => {
            $(
                fn $visit(&mut self $($(, $arg: $ty)*)?) -> Self::Output {
                    Ok($instr)
                }
            )*
        };
    }

    /// Visit methods refusing the operators of the proposals beyond Wasm 2.0
    /// (tail calls, typed function references and wide arithmetic aside), listed by name; those implemented are written out
    /// in the impls. No catch-all: a proposal wasmparser adds later is a
    /// compile error here.
    macro_rules! refuse_proposals {
        ($(@$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })?
            => $visit:ident ($($ann:tt)*))*) => {
            $(refuse_proposals!(proposal $proposal $visit [$($($arg: $argty),*)?]);)*
        };
        (proposal mvp $($op:tt)*) => {};
        (proposal sign_extension $($op:tt)*) => {};
        (proposal saturating_float_to_int $($op:tt)*) => {};
        (proposal bulk_memory $($op:tt)*) => {};
        (proposal reference_types $($op:tt)*) => {};
        (proposal simd $($op:tt)*) => {};
        (proposal tail_call $($op:tt)*) => {};
        (proposal memory_control $($op:tt)*) => {
            refuse_proposals!(refuse "memory-control" $($op)*);
        };
        (proposal threads $($op:tt)*) => { refuse_proposals!(refuse "threads" $($op)*); };
        (proposal gc $($op:tt)*) => { refuse_proposals!(refuse "GC" $($op)*); };
        (proposal custom_descriptors $($op:tt)*) => {
            refuse_proposals!(refuse "custom-descriptors" $($op)*);
        };
        (proposal relaxed_simd $($op:tt)*) => { refuse_proposals!(refuse "relaxed-SIMD" $($op)*); };
        (proposal exceptions $($op:tt)*) => {};
        (proposal legacy_exceptions $($op:tt)*) => {};
        (proposal shared_everything_threads $($op:tt)*) => {
            refuse_proposals!(refuse "shared-everything-threads" $($op)*);
        };
        (proposal function_references $($op:tt)*) => {};
        (proposal stack_switching $($op:tt)*) => {
            refuse_proposals!(refuse "stack-switching" $($op)*);
        };
        (proposal wide_arithmetic $($op:tt)*) => {};
        (proposal acquire_release_atomics $($op:tt)*) => {
            refuse_proposals!(refuse "acquire-release atomics" $($op)*);
        };
        (refuse $proposal:literal $visit:ident [$($arg:ident: $argty:ty),*]) => {
            fn $visit(&mut self, $($arg: $argty),*) -> Self::Output {
                let _ = ($($arg,)*);
                Err(unsupported($proposal, stringify!($visit)))
            }
        };
    }

    /// The error for an operator of a proposal the interpreter does not
    /// implement.
    fn unsupported(proposal: &str, visit: &str) -> String {
        let op = visit.strip_prefix("visit_").unwrap_or(visit);
        format!("unsupported: {proposal} operator `{op}`")
    }

    /// The memory a memory instruction accesses.
    fn memory(m: &wp::MemArg) -> Result<u32, String> {
        match m.target {
            wp::MemArgTarget::Memory(mem) => Ok(mem),
            wp::MemArgTarget::Array(_) => Err("unsupported: GC array access".into()),
        }
    }

    fn load(kind: LoadKind, m: wp::MemArg) -> Result<Instr, String> {
        Ok(Instr::Load {
            kind,
            mem: memory(&m)?,
            offset: m.offset,
        })
    }

    fn store(kind: StoreKind, m: wp::MemArg) -> Result<Instr, String> {
        Ok(Instr::Store {
            kind,
            mem: memory(&m)?,
            offset: m.offset,
        })
    }

    fn trunc(dst: Width, src: Width, sign: Sign, sat: bool) -> Instr {
        Instr::Cvt(Cvtop::Trunc {
            dst,
            src,
            sign,
            sat,
        })
    }

    fn convert(dst: Width, src: Width, sign: Sign) -> Instr {
        Instr::Cvt(Cvtop::Convert { dst, src, sign })
    }

    fn vector(v: VecInstr) -> Instr {
        Instr::Vector(v)
    }

    fn load_lane(bytes: u8, m: wp::MemArg, lane: u8) -> Result<Instr, String> {
        Ok(Instr::LoadLane {
            bytes,
            lane,
            mem: memory(&m)?,
            offset: m.offset,
        })
    }

    fn store_lane(bytes: u8, m: wp::MemArg, lane: u8) -> Result<Instr, String> {
        Ok(Instr::StoreLane {
            bytes,
            lane,
            mem: memory(&m)?,
            offset: m.offset,
        })
    }

    fn extend(bits: u8, sign: Sign) -> LoadKind {
        LoadKind::V128Extend { bits, sign }
    }

    fn extract(shape: Shape, lane: u8, sign: Option<Sign>) -> VecInstr {
        VecInstr::ExtractLane { shape, lane, sign }
    }

    fn replace(shape: Shape, lane: u8) -> VecInstr {
        VecInstr::ReplaceLane { shape, lane }
    }

    fn ext(to: Shape, half: Half, sign: Sign) -> VecInstr {
        VecInstr::Extend { to, half, sign }
    }

    fn extmul(to: Shape, half: Half, sign: Sign) -> VecInstr {
        VecInstr::ExtMul { to, half, sign }
    }

    impl BodyDecoder<'_> {
        /// A legacy `catch`/`catch_all`, recorded in its `try`.
        fn legacy_clause(&mut self, tag: Option<u32>) -> Result<Instr, String> {
            let here = self.code.len();
            let (start, _) = self.open.last().ok_or("catch outside try")?;
            match &mut self.code[*start] {
                Instr::Try { clauses, .. } => clauses.push(here),
                _ => return Err("catch outside try".into()),
            }
            Ok(Instr::LegacyCatch {
                tag,
                end: usize::MAX,
            })
        }
    }

    impl<'a> wp::VisitOperator<'a> for BodyDecoder<'_> {
        type Output = Result<Instr, String>;

        fn simd_visitor(
            &mut self,
        ) -> Option<&mut dyn wp::VisitSimdOperator<'a, Output = Self::Output>> {
            Some(self)
        }

        wp::for_each_visit_operator!(refuse_proposals);

        // ---- structured control: resolved to positions here ----

        fn visit_block(&mut self, blockty: wp::BlockType) -> Self::Output {
            self.open.push((self.code.len(), None));
            Ok(Instr::Block {
                arity: block_arity(self.types, blockty)?,
                end: usize::MAX,
            })
        }

        fn visit_try_table(&mut self, try_table: wp::TryTable) -> Self::Output {
            self.open.push((self.code.len(), None));
            let catches = try_table
                .catches
                .iter()
                .map(|c| match *c {
                    wp::Catch::One { tag, label } => Catch {
                        tag: Some(tag),
                        label,
                        with_ref: false,
                    },
                    wp::Catch::OneRef { tag, label } => Catch {
                        tag: Some(tag),
                        label,
                        with_ref: true,
                    },
                    wp::Catch::All { label } => Catch {
                        tag: None,
                        label,
                        with_ref: false,
                    },
                    wp::Catch::AllRef { label } => Catch {
                        tag: None,
                        label,
                        with_ref: true,
                    },
                })
                .collect();
            Ok(Instr::TryTable {
                arity: block_arity(self.types, try_table.ty)?,
                end: usize::MAX,
                catches,
            })
        }

        fn visit_try(&mut self, blockty: wp::BlockType) -> Self::Output {
            self.open.push((self.code.len(), None));
            Ok(Instr::Try {
                arity: block_arity(self.types, blockty)?,
                end: usize::MAX,
                clauses: Vec::new(),
                delegate: None,
            })
        }

        fn visit_catch(&mut self, tag_index: u32) -> Self::Output {
            self.legacy_clause(Some(tag_index))
        }

        fn visit_catch_all(&mut self) -> Self::Output {
            self.legacy_clause(None)
        }

        fn visit_delegate(&mut self, relative_depth: u32) -> Self::Output {
            let here = self.code.len();
            let (start, _) = self.open.pop().ok_or("delegate outside try")?;
            match &mut self.code[start] {
                Instr::Try { end, delegate, .. } => {
                    *end = here;
                    *delegate = Some(relative_depth);
                }
                _ => return Err("delegate outside try".into()),
            }
            Ok(Instr::Delegate)
        }

        fn visit_rethrow(&mut self, relative_depth: u32) -> Self::Output {
            Ok(Instr::Rethrow(relative_depth))
        }

        fn visit_throw(&mut self, tag_index: u32) -> Self::Output {
            Ok(Instr::Throw(tag_index))
        }

        fn visit_throw_ref(&mut self) -> Self::Output {
            Ok(Instr::ThrowRef)
        }

        fn visit_loop(&mut self, blockty: wp::BlockType) -> Self::Output {
            self.open.push((self.code.len(), None));
            Ok(Instr::Loop {
                arity: block_arity(self.types, blockty)?,
            })
        }

        fn visit_if(&mut self, blockty: wp::BlockType) -> Self::Output {
            self.open.push((self.code.len(), None));
            Ok(Instr::If {
                arity: block_arity(self.types, blockty)?,
                else_at: None,
                end: usize::MAX,
            })
        }

        fn visit_else(&mut self) -> Self::Output {
            let here = self.code.len();
            let top = self.open.last_mut().ok_or("else outside if")?;
            top.1 = Some(here);
            Ok(Instr::Else { end: usize::MAX })
        }

        fn visit_end(&mut self) -> Self::Output {
            let here = self.code.len();
            // The final `end` of the body has no open block.
            if let Some((start, else_pos)) = self.open.pop() {
                match &mut self.code[start] {
                    Instr::Block { end, .. } | Instr::TryTable { end, .. } => *end = here,
                    Instr::Try { end, clauses, .. } => {
                        *end = here;
                        for &c in clauses.clone().iter() {
                            if let Instr::LegacyCatch { end, .. } = &mut self.code[c] {
                                *end = here;
                            }
                        }
                    }
                    Instr::If { else_at, end, .. } => {
                        *else_at = else_pos;
                        *end = here;
                    }
                    Instr::Loop { .. } => {}
                    _ => return Err("mismatched end".into()),
                }
                if let Some(e) = else_pos {
                    self.code[e] = Instr::Else { end: here };
                }
            }
            Ok(Instr::End)
        }

        /// Multi-result `select` is parsed but invalid.
        fn visit_typed_select_multi(&mut self, tys: Vec<wp::ValType>) -> Self::Output {
            Err(format!(
                "unsupported `select` with {} result types",
                tys.len()
            ))
        }

        // ---- everything else: one instruction each ----

        decode! {
            visit_unreachable => Instr::Unreachable,
            visit_nop => Instr::Nop,
            visit_br(relative_depth: u32) => Instr::Br(relative_depth),
            visit_br_if(relative_depth: u32) => Instr::BrIf(relative_depth),
            visit_br_table(targets: wp::BrTable<'a>) => {
                let default = targets.default();
                let targets = targets
                    .targets()
                    .collect::<Result<Vec<u32>, _>>()
                    .map_err(|e| e.to_string())?;
                Instr::BrTable {
                    targets: targets.into_boxed_slice(),
                    default,
                }
            },
            visit_return => Instr::Return,
            visit_call(function_index: u32) => Instr::Call(function_index),
            visit_call_indirect(type_index: u32, table_index: u32) => Instr::CallIndirect {
                type_idx: type_index,
                table: table_index,
            },
            visit_return_call(function_index: u32) => Instr::ReturnCall(function_index),
            visit_return_call_indirect(type_index: u32, table_index: u32) => {
                Instr::ReturnCallIndirect {
                    type_idx: type_index,
                    table: table_index,
                }
            },
            visit_ref_null(hty: wp::HeapType) => Instr::RefNull(heap_kind(hty)?),
            visit_ref_as_non_null => Instr::RefAsNonNull,
            visit_br_on_null(relative_depth: u32) => Instr::BrOnNull(relative_depth),
            visit_br_on_non_null(relative_depth: u32) => Instr::BrOnNonNull(relative_depth),
            visit_call_ref(type_index: u32) => Instr::CallRef(type_index),
            visit_return_call_ref(type_index: u32) => Instr::ReturnCallRef(type_index),
            visit_ref_is_null => Instr::RefIsNull,
            visit_ref_func(function_index: u32) => Instr::RefFunc(function_index),
            visit_drop => Instr::Drop,
            visit_select => Instr::Select,
            // The type only matters to validation.
            visit_typed_select(ty: wp::ValType) => {
                body_type(ty)?;
                Instr::Select
            },
            visit_local_get(local_index: u32) => Instr::LocalGet(local_index),
            visit_local_set(local_index: u32) => Instr::LocalSet(local_index),
            visit_local_tee(local_index: u32) => Instr::LocalTee(local_index),
            visit_global_get(global_index: u32) => Instr::GlobalGet(global_index),
            visit_global_set(global_index: u32) => Instr::GlobalSet(global_index),
            visit_table_get(table: u32) => Instr::TableGet(table),
            visit_table_set(table: u32) => Instr::TableSet(table),
            visit_table_size(table: u32) => Instr::TableSize(table),
            visit_table_grow(table: u32) => Instr::TableGrow(table),
            visit_table_fill(table: u32) => Instr::TableFill(table),
            visit_table_copy(dst_table: u32, src_table: u32) => Instr::TableCopy {
                dst: dst_table,
                src: src_table,
            },
            visit_table_init(elem_index: u32, table: u32) => Instr::TableInit {
                elem: elem_index,
                table,
            },
            visit_elem_drop(elem_index: u32) => Instr::ElemDrop(elem_index),

            visit_i32_load(memarg: wp::MemArg) => load(LoadKind::I32, memarg)?,
            visit_i64_load(memarg: wp::MemArg) => load(LoadKind::I64, memarg)?,
            visit_f32_load(memarg: wp::MemArg) => load(LoadKind::F32, memarg)?,
            visit_f64_load(memarg: wp::MemArg) => load(LoadKind::F64, memarg)?,
            visit_i32_load8_s(memarg: wp::MemArg) => {
                load(LoadKind::I32Narrow { bytes: 1, sign: S }, memarg)?
            },
            visit_i32_load8_u(memarg: wp::MemArg) => {
                load(LoadKind::I32Narrow { bytes: 1, sign: U }, memarg)?
            },
            visit_i32_load16_s(memarg: wp::MemArg) => {
                load(LoadKind::I32Narrow { bytes: 2, sign: S }, memarg)?
            },
            visit_i32_load16_u(memarg: wp::MemArg) => {
                load(LoadKind::I32Narrow { bytes: 2, sign: U }, memarg)?
            },
            visit_i64_load8_s(memarg: wp::MemArg) => {
                load(LoadKind::I64Narrow { bytes: 1, sign: S }, memarg)?
            },
            visit_i64_load8_u(memarg: wp::MemArg) => {
                load(LoadKind::I64Narrow { bytes: 1, sign: U }, memarg)?
            },
            visit_i64_load16_s(memarg: wp::MemArg) => {
                load(LoadKind::I64Narrow { bytes: 2, sign: S }, memarg)?
            },
            visit_i64_load16_u(memarg: wp::MemArg) => {
                load(LoadKind::I64Narrow { bytes: 2, sign: U }, memarg)?
            },
            visit_i64_load32_s(memarg: wp::MemArg) => {
                load(LoadKind::I64Narrow { bytes: 4, sign: S }, memarg)?
            },
            visit_i64_load32_u(memarg: wp::MemArg) => {
                load(LoadKind::I64Narrow { bytes: 4, sign: U }, memarg)?
            },
            visit_i32_store(memarg: wp::MemArg) => store(StoreKind::I32, memarg)?,
            visit_i64_store(memarg: wp::MemArg) => store(StoreKind::I64, memarg)?,
            visit_f32_store(memarg: wp::MemArg) => store(StoreKind::F32, memarg)?,
            visit_f64_store(memarg: wp::MemArg) => store(StoreKind::F64, memarg)?,
            visit_i32_store8(memarg: wp::MemArg) => {
                store(StoreKind::I32Narrow { bytes: 1 }, memarg)?
            },
            visit_i32_store16(memarg: wp::MemArg) => {
                store(StoreKind::I32Narrow { bytes: 2 }, memarg)?
            },
            visit_i64_store8(memarg: wp::MemArg) => {
                store(StoreKind::I64Narrow { bytes: 1 }, memarg)?
            },
            visit_i64_store16(memarg: wp::MemArg) => {
                store(StoreKind::I64Narrow { bytes: 2 }, memarg)?
            },
            visit_i64_store32(memarg: wp::MemArg) => {
                store(StoreKind::I64Narrow { bytes: 4 }, memarg)?
            },
            visit_memory_size(mem: u32) => Instr::MemorySize(mem),
            visit_memory_grow(mem: u32) => Instr::MemoryGrow(mem),
            visit_memory_fill(mem: u32) => Instr::MemoryFill(mem),
            visit_memory_copy(dst_mem: u32, src_mem: u32) => Instr::MemoryCopy {
                dst: dst_mem,
                src: src_mem,
            },
            visit_memory_init(data_index: u32, mem: u32) => Instr::MemoryInit {
                data: data_index,
                mem,
            },
            visit_data_drop(data_index: u32) => Instr::DataDrop(data_index),

            visit_i32_const(value: i32) => Instr::Const(Value::I32(value)),
            visit_i64_const(value: i64) => Instr::Const(Value::I64(value)),
            visit_f32_const(value: wp::Ieee32) => Instr::Const(Value::F32(value.bits())),
            visit_f64_const(value: wp::Ieee64) => Instr::Const(Value::F64(value.bits())),

            visit_i32_eqz => Instr::IEqz(W32),
            visit_i64_eqz => Instr::IEqz(W64),
            visit_i32_eq => Instr::IRelop(W32, IRelop::Eq),
            visit_i32_ne => Instr::IRelop(W32, IRelop::Ne),
            visit_i32_lt_s => Instr::IRelop(W32, IRelop::LtS),
            visit_i32_lt_u => Instr::IRelop(W32, IRelop::LtU),
            visit_i32_gt_s => Instr::IRelop(W32, IRelop::GtS),
            visit_i32_gt_u => Instr::IRelop(W32, IRelop::GtU),
            visit_i32_le_s => Instr::IRelop(W32, IRelop::LeS),
            visit_i32_le_u => Instr::IRelop(W32, IRelop::LeU),
            visit_i32_ge_s => Instr::IRelop(W32, IRelop::GeS),
            visit_i32_ge_u => Instr::IRelop(W32, IRelop::GeU),
            visit_i64_eq => Instr::IRelop(W64, IRelop::Eq),
            visit_i64_ne => Instr::IRelop(W64, IRelop::Ne),
            visit_i64_lt_s => Instr::IRelop(W64, IRelop::LtS),
            visit_i64_lt_u => Instr::IRelop(W64, IRelop::LtU),
            visit_i64_gt_s => Instr::IRelop(W64, IRelop::GtS),
            visit_i64_gt_u => Instr::IRelop(W64, IRelop::GtU),
            visit_i64_le_s => Instr::IRelop(W64, IRelop::LeS),
            visit_i64_le_u => Instr::IRelop(W64, IRelop::LeU),
            visit_i64_ge_s => Instr::IRelop(W64, IRelop::GeS),
            visit_i64_ge_u => Instr::IRelop(W64, IRelop::GeU),
            visit_f32_eq => Instr::FRelop(W32, FRelop::Eq),
            visit_f32_ne => Instr::FRelop(W32, FRelop::Ne),
            visit_f32_lt => Instr::FRelop(W32, FRelop::Lt),
            visit_f32_gt => Instr::FRelop(W32, FRelop::Gt),
            visit_f32_le => Instr::FRelop(W32, FRelop::Le),
            visit_f32_ge => Instr::FRelop(W32, FRelop::Ge),
            visit_f64_eq => Instr::FRelop(W64, FRelop::Eq),
            visit_f64_ne => Instr::FRelop(W64, FRelop::Ne),
            visit_f64_lt => Instr::FRelop(W64, FRelop::Lt),
            visit_f64_gt => Instr::FRelop(W64, FRelop::Gt),
            visit_f64_le => Instr::FRelop(W64, FRelop::Le),
            visit_f64_ge => Instr::FRelop(W64, FRelop::Ge),

            visit_i32_clz => Instr::IUnop(W32, IUnop::Clz),
            visit_i32_ctz => Instr::IUnop(W32, IUnop::Ctz),
            visit_i32_popcnt => Instr::IUnop(W32, IUnop::Popcnt),
            visit_i32_extend8_s => Instr::IUnop(W32, IUnop::Extend8S),
            visit_i32_extend16_s => Instr::IUnop(W32, IUnop::Extend16S),
            visit_i64_clz => Instr::IUnop(W64, IUnop::Clz),
            visit_i64_ctz => Instr::IUnop(W64, IUnop::Ctz),
            visit_i64_popcnt => Instr::IUnop(W64, IUnop::Popcnt),
            visit_i64_extend8_s => Instr::IUnop(W64, IUnop::Extend8S),
            visit_i64_extend16_s => Instr::IUnop(W64, IUnop::Extend16S),
            visit_i64_extend32_s => Instr::IUnop(W64, IUnop::Extend32S),

            // The wide-arithmetic proposal.
            visit_i64_add128 => Instr::Wide(WideOp::Add128),
            visit_i64_sub128 => Instr::Wide(WideOp::Sub128),
            visit_i64_mul_wide_s => Instr::Wide(WideOp::MulWideS),
            visit_i64_mul_wide_u => Instr::Wide(WideOp::MulWideU),

            visit_i32_add => Instr::IBinop(W32, IBinop::Add),
            visit_i32_sub => Instr::IBinop(W32, IBinop::Sub),
            visit_i32_mul => Instr::IBinop(W32, IBinop::Mul),
            visit_i32_div_s => Instr::IBinop(W32, IBinop::DivS),
            visit_i32_div_u => Instr::IBinop(W32, IBinop::DivU),
            visit_i32_rem_s => Instr::IBinop(W32, IBinop::RemS),
            visit_i32_rem_u => Instr::IBinop(W32, IBinop::RemU),
            visit_i32_and => Instr::IBinop(W32, IBinop::And),
            visit_i32_or => Instr::IBinop(W32, IBinop::Or),
            visit_i32_xor => Instr::IBinop(W32, IBinop::Xor),
            visit_i32_shl => Instr::IBinop(W32, IBinop::Shl),
            visit_i32_shr_s => Instr::IBinop(W32, IBinop::ShrS),
            visit_i32_shr_u => Instr::IBinop(W32, IBinop::ShrU),
            visit_i32_rotl => Instr::IBinop(W32, IBinop::Rotl),
            visit_i32_rotr => Instr::IBinop(W32, IBinop::Rotr),
            visit_i64_add => Instr::IBinop(W64, IBinop::Add),
            visit_i64_sub => Instr::IBinop(W64, IBinop::Sub),
            visit_i64_mul => Instr::IBinop(W64, IBinop::Mul),
            visit_i64_div_s => Instr::IBinop(W64, IBinop::DivS),
            visit_i64_div_u => Instr::IBinop(W64, IBinop::DivU),
            visit_i64_rem_s => Instr::IBinop(W64, IBinop::RemS),
            visit_i64_rem_u => Instr::IBinop(W64, IBinop::RemU),
            visit_i64_and => Instr::IBinop(W64, IBinop::And),
            visit_i64_or => Instr::IBinop(W64, IBinop::Or),
            visit_i64_xor => Instr::IBinop(W64, IBinop::Xor),
            visit_i64_shl => Instr::IBinop(W64, IBinop::Shl),
            visit_i64_shr_s => Instr::IBinop(W64, IBinop::ShrS),
            visit_i64_shr_u => Instr::IBinop(W64, IBinop::ShrU),
            visit_i64_rotl => Instr::IBinop(W64, IBinop::Rotl),
            visit_i64_rotr => Instr::IBinop(W64, IBinop::Rotr),

            visit_f32_abs => Instr::FUnop(W32, FUnop::Abs),
            visit_f32_neg => Instr::FUnop(W32, FUnop::Neg),
            visit_f32_ceil => Instr::FUnop(W32, FUnop::Ceil),
            visit_f32_floor => Instr::FUnop(W32, FUnop::Floor),
            visit_f32_trunc => Instr::FUnop(W32, FUnop::Trunc),
            visit_f32_nearest => Instr::FUnop(W32, FUnop::Nearest),
            visit_f32_sqrt => Instr::FUnop(W32, FUnop::Sqrt),
            visit_f64_abs => Instr::FUnop(W64, FUnop::Abs),
            visit_f64_neg => Instr::FUnop(W64, FUnop::Neg),
            visit_f64_ceil => Instr::FUnop(W64, FUnop::Ceil),
            visit_f64_floor => Instr::FUnop(W64, FUnop::Floor),
            visit_f64_trunc => Instr::FUnop(W64, FUnop::Trunc),
            visit_f64_nearest => Instr::FUnop(W64, FUnop::Nearest),
            visit_f64_sqrt => Instr::FUnop(W64, FUnop::Sqrt),

            visit_f32_add => Instr::FBinop(W32, FBinop::Add),
            visit_f32_sub => Instr::FBinop(W32, FBinop::Sub),
            visit_f32_mul => Instr::FBinop(W32, FBinop::Mul),
            visit_f32_div => Instr::FBinop(W32, FBinop::Div),
            visit_f32_min => Instr::FBinop(W32, FBinop::Min),
            visit_f32_max => Instr::FBinop(W32, FBinop::Max),
            visit_f32_copysign => Instr::FBinop(W32, FBinop::Copysign),
            visit_f64_add => Instr::FBinop(W64, FBinop::Add),
            visit_f64_sub => Instr::FBinop(W64, FBinop::Sub),
            visit_f64_mul => Instr::FBinop(W64, FBinop::Mul),
            visit_f64_div => Instr::FBinop(W64, FBinop::Div),
            visit_f64_min => Instr::FBinop(W64, FBinop::Min),
            visit_f64_max => Instr::FBinop(W64, FBinop::Max),
            visit_f64_copysign => Instr::FBinop(W64, FBinop::Copysign),

            visit_i32_wrap_i64 => Instr::Cvt(Cvtop::I32WrapI64),
            visit_i64_extend_i32_s => Instr::Cvt(Cvtop::I64ExtendI32(Sign::S)),
            visit_i64_extend_i32_u => Instr::Cvt(Cvtop::I64ExtendI32(Sign::U)),
            visit_i32_trunc_f32_s => trunc(W32, W32, Sign::S, false),
            visit_i32_trunc_f32_u => trunc(W32, W32, Sign::U, false),
            visit_i32_trunc_f64_s => trunc(W32, W64, Sign::S, false),
            visit_i32_trunc_f64_u => trunc(W32, W64, Sign::U, false),
            visit_i64_trunc_f32_s => trunc(W64, W32, Sign::S, false),
            visit_i64_trunc_f32_u => trunc(W64, W32, Sign::U, false),
            visit_i64_trunc_f64_s => trunc(W64, W64, Sign::S, false),
            visit_i64_trunc_f64_u => trunc(W64, W64, Sign::U, false),
            visit_i32_trunc_sat_f32_s => trunc(W32, W32, Sign::S, true),
            visit_i32_trunc_sat_f32_u => trunc(W32, W32, Sign::U, true),
            visit_i32_trunc_sat_f64_s => trunc(W32, W64, Sign::S, true),
            visit_i32_trunc_sat_f64_u => trunc(W32, W64, Sign::U, true),
            visit_i64_trunc_sat_f32_s => trunc(W64, W32, Sign::S, true),
            visit_i64_trunc_sat_f32_u => trunc(W64, W32, Sign::U, true),
            visit_i64_trunc_sat_f64_s => trunc(W64, W64, Sign::S, true),
            visit_i64_trunc_sat_f64_u => trunc(W64, W64, Sign::U, true),
            visit_f32_convert_i32_s => convert(W32, W32, Sign::S),
            visit_f32_convert_i32_u => convert(W32, W32, Sign::U),
            visit_f32_convert_i64_s => convert(W32, W64, Sign::S),
            visit_f32_convert_i64_u => convert(W32, W64, Sign::U),
            visit_f64_convert_i32_s => convert(W64, W32, Sign::S),
            visit_f64_convert_i32_u => convert(W64, W32, Sign::U),
            visit_f64_convert_i64_s => convert(W64, W64, Sign::S),
            visit_f64_convert_i64_u => convert(W64, W64, Sign::U),
            visit_f32_demote_f64 => Instr::Cvt(Cvtop::F32DemoteF64),
            visit_f64_promote_f32 => Instr::Cvt(Cvtop::F64PromoteF32),
            visit_i32_reinterpret_f32 => Instr::Cvt(Cvtop::Reinterpret {
                to_int: true,
                width: W32,
            }),
            visit_i64_reinterpret_f64 => Instr::Cvt(Cvtop::Reinterpret {
                to_int: true,
                width: W64,
            }),
            visit_f32_reinterpret_i32 => Instr::Cvt(Cvtop::Reinterpret {
                to_int: false,
                width: W32,
            }),
            visit_f64_reinterpret_i64 => Instr::Cvt(Cvtop::Reinterpret {
                to_int: false,
                width: W64,
            }),
        }
    }

    impl wp::VisitSimdOperator<'_> for BodyDecoder<'_> {
        wp::for_each_visit_simd_operator!(refuse_proposals);

        decode! {
            // Memory.
            visit_v128_load(memarg: wp::MemArg) => load(LoadKind::V128, memarg)?,
            visit_v128_load8x8_s(memarg: wp::MemArg) => load(extend(8, S), memarg)?,
            visit_v128_load8x8_u(memarg: wp::MemArg) => load(extend(8, U), memarg)?,
            visit_v128_load16x4_s(memarg: wp::MemArg) => load(extend(16, S), memarg)?,
            visit_v128_load16x4_u(memarg: wp::MemArg) => load(extend(16, U), memarg)?,
            visit_v128_load32x2_s(memarg: wp::MemArg) => load(extend(32, S), memarg)?,
            visit_v128_load32x2_u(memarg: wp::MemArg) => load(extend(32, U), memarg)?,
            visit_v128_load8_splat(memarg: wp::MemArg) => {
                load(LoadKind::V128Splat { bytes: 1 }, memarg)?
            },
            visit_v128_load16_splat(memarg: wp::MemArg) => {
                load(LoadKind::V128Splat { bytes: 2 }, memarg)?
            },
            visit_v128_load32_splat(memarg: wp::MemArg) => {
                load(LoadKind::V128Splat { bytes: 4 }, memarg)?
            },
            visit_v128_load64_splat(memarg: wp::MemArg) => {
                load(LoadKind::V128Splat { bytes: 8 }, memarg)?
            },
            visit_v128_load32_zero(memarg: wp::MemArg) => {
                load(LoadKind::V128Zero { bytes: 4 }, memarg)?
            },
            visit_v128_load64_zero(memarg: wp::MemArg) => {
                load(LoadKind::V128Zero { bytes: 8 }, memarg)?
            },
            visit_v128_store(memarg: wp::MemArg) => store(StoreKind::V128, memarg)?,
            visit_v128_load8_lane(memarg: wp::MemArg, lane: u8) => load_lane(1, memarg, lane)?,
            visit_v128_load16_lane(memarg: wp::MemArg, lane: u8) => load_lane(2, memarg, lane)?,
            visit_v128_load32_lane(memarg: wp::MemArg, lane: u8) => load_lane(4, memarg, lane)?,
            visit_v128_load64_lane(memarg: wp::MemArg, lane: u8) => load_lane(8, memarg, lane)?,
            visit_v128_store8_lane(memarg: wp::MemArg, lane: u8) => store_lane(1, memarg, lane)?,
            visit_v128_store16_lane(memarg: wp::MemArg, lane: u8) => store_lane(2, memarg, lane)?,
            visit_v128_store32_lane(memarg: wp::MemArg, lane: u8) => store_lane(4, memarg, lane)?,
            visit_v128_store64_lane(memarg: wp::MemArg, lane: u8) => store_lane(8, memarg, lane)?,
            visit_v128_const(value: wp::V128) => Instr::Const(Value::V128(value.into())),

            // Bitwise.
            visit_v128_not => vector(V::Not),
            visit_v128_and => vector(V::Binop(VvBinop::And)),
            visit_v128_andnot => vector(V::Binop(VvBinop::AndNot)),
            visit_v128_or => vector(V::Binop(VvBinop::Or)),
            visit_v128_xor => vector(V::Binop(VvBinop::Xor)),
            visit_v128_bitselect => vector(V::Bitselect),
            visit_v128_any_true => vector(V::AnyTrue),

            // Lane moves.
            visit_i8x16_shuffle(lanes: [u8; 16]) => vector(V::Shuffle(lanes)),
            visit_i8x16_swizzle => vector(V::Swizzle),
            visit_i8x16_splat => vector(V::Splat(I8x16)),
            visit_i16x8_splat => vector(V::Splat(I16x8)),
            visit_i32x4_splat => vector(V::Splat(I32x4)),
            visit_i64x2_splat => vector(V::Splat(I64x2)),
            visit_f32x4_splat => vector(V::Splat(F32x4)),
            visit_f64x2_splat => vector(V::Splat(F64x2)),
            visit_i8x16_extract_lane_s(lane: u8) => vector(extract(I8x16, lane, Some(S))),
            visit_i8x16_extract_lane_u(lane: u8) => vector(extract(I8x16, lane, Some(U))),
            visit_i16x8_extract_lane_s(lane: u8) => vector(extract(I16x8, lane, Some(S))),
            visit_i16x8_extract_lane_u(lane: u8) => vector(extract(I16x8, lane, Some(U))),
            visit_i32x4_extract_lane(lane: u8) => vector(extract(I32x4, lane, None)),
            visit_i64x2_extract_lane(lane: u8) => vector(extract(I64x2, lane, None)),
            visit_f32x4_extract_lane(lane: u8) => vector(extract(F32x4, lane, None)),
            visit_f64x2_extract_lane(lane: u8) => vector(extract(F64x2, lane, None)),
            visit_i8x16_replace_lane(lane: u8) => vector(replace(I8x16, lane)),
            visit_i16x8_replace_lane(lane: u8) => vector(replace(I16x8, lane)),
            visit_i32x4_replace_lane(lane: u8) => vector(replace(I32x4, lane)),
            visit_i64x2_replace_lane(lane: u8) => vector(replace(I64x2, lane)),
            visit_f32x4_replace_lane(lane: u8) => vector(replace(F32x4, lane)),
            visit_f64x2_replace_lane(lane: u8) => vector(replace(F64x2, lane)),

            // Integer comparisons.
            visit_i8x16_eq => vector(V::IRelop(I8x16, IRelop::Eq)),
            visit_i8x16_ne => vector(V::IRelop(I8x16, IRelop::Ne)),
            visit_i8x16_lt_s => vector(V::IRelop(I8x16, IRelop::LtS)),
            visit_i8x16_lt_u => vector(V::IRelop(I8x16, IRelop::LtU)),
            visit_i8x16_gt_s => vector(V::IRelop(I8x16, IRelop::GtS)),
            visit_i8x16_gt_u => vector(V::IRelop(I8x16, IRelop::GtU)),
            visit_i8x16_le_s => vector(V::IRelop(I8x16, IRelop::LeS)),
            visit_i8x16_le_u => vector(V::IRelop(I8x16, IRelop::LeU)),
            visit_i8x16_ge_s => vector(V::IRelop(I8x16, IRelop::GeS)),
            visit_i8x16_ge_u => vector(V::IRelop(I8x16, IRelop::GeU)),
            visit_i16x8_eq => vector(V::IRelop(I16x8, IRelop::Eq)),
            visit_i16x8_ne => vector(V::IRelop(I16x8, IRelop::Ne)),
            visit_i16x8_lt_s => vector(V::IRelop(I16x8, IRelop::LtS)),
            visit_i16x8_lt_u => vector(V::IRelop(I16x8, IRelop::LtU)),
            visit_i16x8_gt_s => vector(V::IRelop(I16x8, IRelop::GtS)),
            visit_i16x8_gt_u => vector(V::IRelop(I16x8, IRelop::GtU)),
            visit_i16x8_le_s => vector(V::IRelop(I16x8, IRelop::LeS)),
            visit_i16x8_le_u => vector(V::IRelop(I16x8, IRelop::LeU)),
            visit_i16x8_ge_s => vector(V::IRelop(I16x8, IRelop::GeS)),
            visit_i16x8_ge_u => vector(V::IRelop(I16x8, IRelop::GeU)),
            visit_i32x4_eq => vector(V::IRelop(I32x4, IRelop::Eq)),
            visit_i32x4_ne => vector(V::IRelop(I32x4, IRelop::Ne)),
            visit_i32x4_lt_s => vector(V::IRelop(I32x4, IRelop::LtS)),
            visit_i32x4_lt_u => vector(V::IRelop(I32x4, IRelop::LtU)),
            visit_i32x4_gt_s => vector(V::IRelop(I32x4, IRelop::GtS)),
            visit_i32x4_gt_u => vector(V::IRelop(I32x4, IRelop::GtU)),
            visit_i32x4_le_s => vector(V::IRelop(I32x4, IRelop::LeS)),
            visit_i32x4_le_u => vector(V::IRelop(I32x4, IRelop::LeU)),
            visit_i32x4_ge_s => vector(V::IRelop(I32x4, IRelop::GeS)),
            visit_i32x4_ge_u => vector(V::IRelop(I32x4, IRelop::GeU)),
            visit_i64x2_eq => vector(V::IRelop(I64x2, IRelop::Eq)),
            visit_i64x2_ne => vector(V::IRelop(I64x2, IRelop::Ne)),
            visit_i64x2_lt_s => vector(V::IRelop(I64x2, IRelop::LtS)),
            visit_i64x2_gt_s => vector(V::IRelop(I64x2, IRelop::GtS)),
            visit_i64x2_le_s => vector(V::IRelop(I64x2, IRelop::LeS)),
            visit_i64x2_ge_s => vector(V::IRelop(I64x2, IRelop::GeS)),

            // Float comparisons.
            visit_f32x4_eq => vector(V::FRelop(F32x4, FRelop::Eq)),
            visit_f32x4_ne => vector(V::FRelop(F32x4, FRelop::Ne)),
            visit_f32x4_lt => vector(V::FRelop(F32x4, FRelop::Lt)),
            visit_f32x4_gt => vector(V::FRelop(F32x4, FRelop::Gt)),
            visit_f32x4_le => vector(V::FRelop(F32x4, FRelop::Le)),
            visit_f32x4_ge => vector(V::FRelop(F32x4, FRelop::Ge)),
            visit_f64x2_eq => vector(V::FRelop(F64x2, FRelop::Eq)),
            visit_f64x2_ne => vector(V::FRelop(F64x2, FRelop::Ne)),
            visit_f64x2_lt => vector(V::FRelop(F64x2, FRelop::Lt)),
            visit_f64x2_gt => vector(V::FRelop(F64x2, FRelop::Gt)),
            visit_f64x2_le => vector(V::FRelop(F64x2, FRelop::Le)),
            visit_f64x2_ge => vector(V::FRelop(F64x2, FRelop::Ge)),

            // Integer arithmetic, shape by shape.
            visit_i8x16_abs => vector(V::IUnop(I8x16, ViUnop::Abs)),
            visit_i8x16_neg => vector(V::IUnop(I8x16, ViUnop::Neg)),
            visit_i8x16_popcnt => vector(V::IUnop(I8x16, ViUnop::Popcnt)),
            visit_i8x16_all_true => vector(V::AllTrue(I8x16)),
            visit_i8x16_bitmask => vector(V::Bitmask(I8x16)),
            visit_i8x16_narrow_i16x8_s => vector(V::Narrow { to: I8x16, sign: S }),
            visit_i8x16_narrow_i16x8_u => vector(V::Narrow { to: I8x16, sign: U }),
            visit_i8x16_shl => vector(V::Shift(I8x16, ViShift::Shl)),
            visit_i8x16_shr_s => vector(V::Shift(I8x16, ViShift::ShrS)),
            visit_i8x16_shr_u => vector(V::Shift(I8x16, ViShift::ShrU)),
            visit_i8x16_add => vector(V::IBinop(I8x16, ViBinop::Add)),
            visit_i8x16_add_sat_s => vector(V::IBinop(I8x16, ViBinop::AddSat(S))),
            visit_i8x16_add_sat_u => vector(V::IBinop(I8x16, ViBinop::AddSat(U))),
            visit_i8x16_sub => vector(V::IBinop(I8x16, ViBinop::Sub)),
            visit_i8x16_sub_sat_s => vector(V::IBinop(I8x16, ViBinop::SubSat(S))),
            visit_i8x16_sub_sat_u => vector(V::IBinop(I8x16, ViBinop::SubSat(U))),
            visit_i8x16_min_s => vector(V::IBinop(I8x16, ViBinop::Min(S))),
            visit_i8x16_min_u => vector(V::IBinop(I8x16, ViBinop::Min(U))),
            visit_i8x16_max_s => vector(V::IBinop(I8x16, ViBinop::Max(S))),
            visit_i8x16_max_u => vector(V::IBinop(I8x16, ViBinop::Max(U))),
            visit_i8x16_avgr_u => vector(V::IBinop(I8x16, ViBinop::AvgrU)),

            visit_i16x8_extadd_pairwise_i8x16_s => vector(V::ExtAddPairwise { to: I16x8, sign: S }),
            visit_i16x8_extadd_pairwise_i8x16_u => vector(V::ExtAddPairwise { to: I16x8, sign: U }),
            visit_i16x8_abs => vector(V::IUnop(I16x8, ViUnop::Abs)),
            visit_i16x8_neg => vector(V::IUnop(I16x8, ViUnop::Neg)),
            visit_i16x8_q15mulr_sat_s => vector(V::IBinop(I16x8, ViBinop::Q15MulrSatS)),
            visit_i16x8_all_true => vector(V::AllTrue(I16x8)),
            visit_i16x8_bitmask => vector(V::Bitmask(I16x8)),
            visit_i16x8_narrow_i32x4_s => vector(V::Narrow { to: I16x8, sign: S }),
            visit_i16x8_narrow_i32x4_u => vector(V::Narrow { to: I16x8, sign: U }),
            visit_i16x8_extend_low_i8x16_s => vector(ext(I16x8, Low, S)),
            visit_i16x8_extend_high_i8x16_s => vector(ext(I16x8, High, S)),
            visit_i16x8_extend_low_i8x16_u => vector(ext(I16x8, Low, U)),
            visit_i16x8_extend_high_i8x16_u => vector(ext(I16x8, High, U)),
            visit_i16x8_shl => vector(V::Shift(I16x8, ViShift::Shl)),
            visit_i16x8_shr_s => vector(V::Shift(I16x8, ViShift::ShrS)),
            visit_i16x8_shr_u => vector(V::Shift(I16x8, ViShift::ShrU)),
            visit_i16x8_add => vector(V::IBinop(I16x8, ViBinop::Add)),
            visit_i16x8_add_sat_s => vector(V::IBinop(I16x8, ViBinop::AddSat(S))),
            visit_i16x8_add_sat_u => vector(V::IBinop(I16x8, ViBinop::AddSat(U))),
            visit_i16x8_sub => vector(V::IBinop(I16x8, ViBinop::Sub)),
            visit_i16x8_sub_sat_s => vector(V::IBinop(I16x8, ViBinop::SubSat(S))),
            visit_i16x8_sub_sat_u => vector(V::IBinop(I16x8, ViBinop::SubSat(U))),
            visit_i16x8_mul => vector(V::IBinop(I16x8, ViBinop::Mul)),
            visit_i16x8_min_s => vector(V::IBinop(I16x8, ViBinop::Min(S))),
            visit_i16x8_min_u => vector(V::IBinop(I16x8, ViBinop::Min(U))),
            visit_i16x8_max_s => vector(V::IBinop(I16x8, ViBinop::Max(S))),
            visit_i16x8_max_u => vector(V::IBinop(I16x8, ViBinop::Max(U))),
            visit_i16x8_avgr_u => vector(V::IBinop(I16x8, ViBinop::AvgrU)),
            visit_i16x8_extmul_low_i8x16_s => vector(extmul(I16x8, Low, S)),
            visit_i16x8_extmul_high_i8x16_s => vector(extmul(I16x8, High, S)),
            visit_i16x8_extmul_low_i8x16_u => vector(extmul(I16x8, Low, U)),
            visit_i16x8_extmul_high_i8x16_u => vector(extmul(I16x8, High, U)),

            visit_i32x4_extadd_pairwise_i16x8_s => vector(V::ExtAddPairwise { to: I32x4, sign: S }),
            visit_i32x4_extadd_pairwise_i16x8_u => vector(V::ExtAddPairwise { to: I32x4, sign: U }),
            visit_i32x4_abs => vector(V::IUnop(I32x4, ViUnop::Abs)),
            visit_i32x4_neg => vector(V::IUnop(I32x4, ViUnop::Neg)),
            visit_i32x4_all_true => vector(V::AllTrue(I32x4)),
            visit_i32x4_bitmask => vector(V::Bitmask(I32x4)),
            visit_i32x4_extend_low_i16x8_s => vector(ext(I32x4, Low, S)),
            visit_i32x4_extend_high_i16x8_s => vector(ext(I32x4, High, S)),
            visit_i32x4_extend_low_i16x8_u => vector(ext(I32x4, Low, U)),
            visit_i32x4_extend_high_i16x8_u => vector(ext(I32x4, High, U)),
            visit_i32x4_shl => vector(V::Shift(I32x4, ViShift::Shl)),
            visit_i32x4_shr_s => vector(V::Shift(I32x4, ViShift::ShrS)),
            visit_i32x4_shr_u => vector(V::Shift(I32x4, ViShift::ShrU)),
            visit_i32x4_add => vector(V::IBinop(I32x4, ViBinop::Add)),
            visit_i32x4_sub => vector(V::IBinop(I32x4, ViBinop::Sub)),
            visit_i32x4_mul => vector(V::IBinop(I32x4, ViBinop::Mul)),
            visit_i32x4_min_s => vector(V::IBinop(I32x4, ViBinop::Min(S))),
            visit_i32x4_min_u => vector(V::IBinop(I32x4, ViBinop::Min(U))),
            visit_i32x4_max_s => vector(V::IBinop(I32x4, ViBinop::Max(S))),
            visit_i32x4_max_u => vector(V::IBinop(I32x4, ViBinop::Max(U))),
            visit_i32x4_dot_i16x8_s => vector(V::Dot),
            visit_i32x4_extmul_low_i16x8_s => vector(extmul(I32x4, Low, S)),
            visit_i32x4_extmul_high_i16x8_s => vector(extmul(I32x4, High, S)),
            visit_i32x4_extmul_low_i16x8_u => vector(extmul(I32x4, Low, U)),
            visit_i32x4_extmul_high_i16x8_u => vector(extmul(I32x4, High, U)),

            visit_i64x2_abs => vector(V::IUnop(I64x2, ViUnop::Abs)),
            visit_i64x2_neg => vector(V::IUnop(I64x2, ViUnop::Neg)),
            visit_i64x2_all_true => vector(V::AllTrue(I64x2)),
            visit_i64x2_bitmask => vector(V::Bitmask(I64x2)),
            visit_i64x2_extend_low_i32x4_s => vector(ext(I64x2, Low, S)),
            visit_i64x2_extend_high_i32x4_s => vector(ext(I64x2, High, S)),
            visit_i64x2_extend_low_i32x4_u => vector(ext(I64x2, Low, U)),
            visit_i64x2_extend_high_i32x4_u => vector(ext(I64x2, High, U)),
            visit_i64x2_shl => vector(V::Shift(I64x2, ViShift::Shl)),
            visit_i64x2_shr_s => vector(V::Shift(I64x2, ViShift::ShrS)),
            visit_i64x2_shr_u => vector(V::Shift(I64x2, ViShift::ShrU)),
            visit_i64x2_add => vector(V::IBinop(I64x2, ViBinop::Add)),
            visit_i64x2_sub => vector(V::IBinop(I64x2, ViBinop::Sub)),
            visit_i64x2_mul => vector(V::IBinop(I64x2, ViBinop::Mul)),
            visit_i64x2_extmul_low_i32x4_s => vector(extmul(I64x2, Low, S)),
            visit_i64x2_extmul_high_i32x4_s => vector(extmul(I64x2, High, S)),
            visit_i64x2_extmul_low_i32x4_u => vector(extmul(I64x2, Low, U)),
            visit_i64x2_extmul_high_i32x4_u => vector(extmul(I64x2, High, U)),

            // Float arithmetic.
            visit_f32x4_ceil => vector(V::FUnop(F32x4, FUnop::Ceil)),
            visit_f32x4_floor => vector(V::FUnop(F32x4, FUnop::Floor)),
            visit_f32x4_trunc => vector(V::FUnop(F32x4, FUnop::Trunc)),
            visit_f32x4_nearest => vector(V::FUnop(F32x4, FUnop::Nearest)),
            visit_f32x4_abs => vector(V::FUnop(F32x4, FUnop::Abs)),
            visit_f32x4_neg => vector(V::FUnop(F32x4, FUnop::Neg)),
            visit_f32x4_sqrt => vector(V::FUnop(F32x4, FUnop::Sqrt)),
            visit_f32x4_add => vector(V::FBinop(F32x4, VfBinop::Add)),
            visit_f32x4_sub => vector(V::FBinop(F32x4, VfBinop::Sub)),
            visit_f32x4_mul => vector(V::FBinop(F32x4, VfBinop::Mul)),
            visit_f32x4_div => vector(V::FBinop(F32x4, VfBinop::Div)),
            visit_f32x4_min => vector(V::FBinop(F32x4, VfBinop::Min)),
            visit_f32x4_max => vector(V::FBinop(F32x4, VfBinop::Max)),
            visit_f32x4_pmin => vector(V::FBinop(F32x4, VfBinop::PMin)),
            visit_f32x4_pmax => vector(V::FBinop(F32x4, VfBinop::PMax)),
            visit_f64x2_ceil => vector(V::FUnop(F64x2, FUnop::Ceil)),
            visit_f64x2_floor => vector(V::FUnop(F64x2, FUnop::Floor)),
            visit_f64x2_trunc => vector(V::FUnop(F64x2, FUnop::Trunc)),
            visit_f64x2_nearest => vector(V::FUnop(F64x2, FUnop::Nearest)),
            visit_f64x2_abs => vector(V::FUnop(F64x2, FUnop::Abs)),
            visit_f64x2_neg => vector(V::FUnop(F64x2, FUnop::Neg)),
            visit_f64x2_sqrt => vector(V::FUnop(F64x2, FUnop::Sqrt)),
            visit_f64x2_add => vector(V::FBinop(F64x2, VfBinop::Add)),
            visit_f64x2_sub => vector(V::FBinop(F64x2, VfBinop::Sub)),
            visit_f64x2_mul => vector(V::FBinop(F64x2, VfBinop::Mul)),
            visit_f64x2_div => vector(V::FBinop(F64x2, VfBinop::Div)),
            visit_f64x2_min => vector(V::FBinop(F64x2, VfBinop::Min)),
            visit_f64x2_max => vector(V::FBinop(F64x2, VfBinop::Max)),
            visit_f64x2_pmin => vector(V::FBinop(F64x2, VfBinop::PMin)),
            visit_f64x2_pmax => vector(V::FBinop(F64x2, VfBinop::PMax)),

            // Conversions.
            visit_i32x4_trunc_sat_f32x4_s => vector(V::TruncSat {
                src: F32x4,
                sign: S,
            }),
            visit_i32x4_trunc_sat_f32x4_u => vector(V::TruncSat {
                src: F32x4,
                sign: U,
            }),
            visit_i32x4_trunc_sat_f64x2_s_zero => vector(V::TruncSat {
                src: F64x2,
                sign: S,
            }),
            visit_i32x4_trunc_sat_f64x2_u_zero => vector(V::TruncSat {
                src: F64x2,
                sign: U,
            }),
            visit_f32x4_convert_i32x4_s => vector(V::Convert { to: F32x4, sign: S }),
            visit_f32x4_convert_i32x4_u => vector(V::Convert { to: F32x4, sign: U }),
            visit_f64x2_convert_low_i32x4_s => vector(V::Convert { to: F64x2, sign: S }),
            visit_f64x2_convert_low_i32x4_u => vector(V::Convert { to: F64x2, sign: U }),
            visit_f32x4_demote_f64x2_zero => vector(V::Demote),
            visit_f64x2_promote_low_f32x4 => vector(V::Promote),
        }
    }
}
