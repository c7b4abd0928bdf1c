//! Decoding and validation: module bytes → `ModuleInfo`.
//!
//! wasmparser's `Validator` sees every payload, so anything this module
//! accepts is valid under the `Config`'s features; function bodies are
//! validated in parallel at the end. Decoding does not interpret code: the
//! translator reads bodies later, straight from the module's bytes.

use crate::config::Features;
use crate::info::*;
use crate::types::{
    FuncType, GlobalType, HeapType, MemoryType, Mutability, RefType, TableType, rec_group_from,
    ref_type_from, val_type_from,
};
use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use wasmparser::{
    ExternalKind, FuncToValidate, FunctionBody, KnownCustom, Name, Operator, Parser, Payload,
    TypeRef, ValidPayload, Validator, ValidatorResources,
};

/// Decode and fully validate `wasm`.
pub fn parse(wasm: &[u8], features: &Features, parallel: bool) -> Result<ModuleInfo> {
    let mut validator = Validator::new_with_features(features.wasmparser());
    let mut info = ModuleInfo {
        wasm: wasm.to_vec(),
        ..ModuleInfo::default()
    };
    let mut to_validate: Vec<(FuncToValidate<ValidatorResources>, FunctionBody<'_>)> = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload?;
        match validator.payload(&payload)? {
            ValidPayload::Func(func, body) => to_validate.push((func, body)),
            ValidPayload::Parser(_) => bail!("nested modules and components are not supported"),
            ValidPayload::Ok | ValidPayload::End(_) => {}
        }
        read_payload(&mut info, payload)?;
    }
    let validate = |(func, body): (FuncToValidate<ValidatorResources>, FunctionBody<'_>)| {
        func.into_validator(Default::default()).validate(&body)
    };
    if parallel {
        to_validate.into_par_iter().try_for_each(validate)?;
    } else {
        to_validate.into_iter().try_for_each(validate)?;
    }
    Ok(info)
}

fn read_payload(info: &mut ModuleInfo, payload: Payload<'_>) -> Result<()> {
    match payload {
        Payload::TypeSection(s) => {
            for group in s {
                let types = rec_group_from(&group?, &info.types)?;
                info.types.extend(types);
            }
        }
        Payload::ImportSection(s) => {
            check_limit_encodings(s.range(), &info.wasm, Section::Import)?;
            for import in s.into_imports() {
                let import = import?;
                let index = match import.ty {
                    TypeRef::Func(ty) => {
                        info.funcs.push(ty);
                        info.num_imported_funcs += 1;
                        EntityIndex::Func(info.funcs.len() as u32 - 1)
                    }
                    TypeRef::Table(t) => {
                        info.tables.push(table_type(t, &info.types)?);
                        info.num_imported_tables += 1;
                        EntityIndex::Table(info.tables.len() as u32 - 1)
                    }
                    TypeRef::Memory(m) => {
                        info.memories.push(memory_type(m)?);
                        info.num_imported_memories += 1;
                        EntityIndex::Memory(info.memories.len() as u32 - 1)
                    }
                    TypeRef::Global(g) => {
                        info.globals.push(Global {
                            ty: global_type(g, &info.types)?,
                            init: None,
                        });
                        info.num_imported_globals += 1;
                        EntityIndex::Global(info.globals.len() as u32 - 1)
                    }
                    TypeRef::Tag(t) => {
                        info.tags.push(t.func_type_idx);
                        info.num_imported_tags += 1;
                        EntityIndex::Tag(info.tags.len() as u32 - 1)
                    }
                    other => bail!("unsupported import kind {other:?}"),
                };
                info.imports.push(Import {
                    module: import.module.to_string(),
                    name: import.name.to_string(),
                    index,
                });
            }
        }
        Payload::FunctionSection(s) => {
            for ty in s {
                info.funcs.push(ty?);
            }
        }
        Payload::TableSection(s) => {
            check_limit_encodings(s.range(), &info.wasm, Section::Table)?;
            for table in s {
                let table = table?;
                let init = match table.init {
                    wasmparser::TableInit::RefNull => None,
                    wasmparser::TableInit::Expr(e) => Some(const_expr(&e, &info.types)?),
                };
                info.tables.push(table_type(table.ty, &info.types)?);
                let defined = info.tables.len() - 1 - info.num_imported_tables as usize;
                if let Some(init) = init {
                    info.table_inits.resize(defined + 1, None);
                    info.table_inits[defined] = Some(init);
                }
            }
        }
        Payload::MemorySection(s) => {
            check_limit_encodings(s.range(), &info.wasm, Section::Memory)?;
            for m in s {
                info.memories.push(memory_type(m?)?);
            }
        }
        Payload::GlobalSection(s) => {
            for g in s {
                let g = g?;
                info.globals.push(Global {
                    ty: global_type(g.ty, &info.types)?,
                    init: Some(const_expr(&g.init_expr, &info.types)?),
                });
            }
        }
        Payload::ExportSection(s) => {
            for e in s {
                let e = e?;
                let index = match e.kind {
                    ExternalKind::Func => EntityIndex::Func(e.index),
                    ExternalKind::Table => EntityIndex::Table(e.index),
                    ExternalKind::Memory => EntityIndex::Memory(e.index),
                    ExternalKind::Global => EntityIndex::Global(e.index),
                    ExternalKind::Tag => EntityIndex::Tag(e.index),
                    other => bail!("unsupported export kind {other:?}"),
                };
                info.exports.push(Export {
                    name: e.name.to_string(),
                    index,
                });
            }
        }
        Payload::TagSection(s) => {
            for tag in s {
                info.tags.push(tag?.func_type_idx);
            }
        }
        Payload::StartSection { func, .. } => info.start = Some(func),
        Payload::ElementSection(s) => {
            for elem in s {
                let elem = elem?;
                let mode = match elem.kind {
                    wasmparser::ElementKind::Passive => ElemMode::Passive,
                    wasmparser::ElementKind::Declared => ElemMode::Declared,
                    wasmparser::ElementKind::Active {
                        table_index,
                        offset_expr,
                    } => ElemMode::Active {
                        table: table_index.unwrap_or(0),
                        offset: const_expr(&offset_expr, &info.types)?,
                    },
                };
                let (ty, items) = match elem.items {
                    // Function indices: `(ref func)` since Wasm 3.0 (no
                    // item is null), so they fit a non-nullable table too.
                    wasmparser::ElementItems::Functions(r) => (
                        RefType::new(false, HeapType::Func),
                        r.into_iter()
                            .map(|f| Ok(ConstExpr::RefFunc(f?)))
                            .collect::<Result<_>>()?,
                    ),
                    wasmparser::ElementItems::Expressions(ty, r) => (
                        ref_type_from(ty, &info.types)?,
                        r.into_iter()
                            .map(|e| const_expr(&e?, &info.types))
                            .collect::<Result<_>>()?,
                    ),
                };
                info.elems.push(ElemSegment { mode, ty, items });
            }
        }
        Payload::DataSection(s) => {
            for data in s {
                let data = data?;
                let mode = match data.kind {
                    wasmparser::DataKind::Passive => DataMode::Passive,
                    wasmparser::DataKind::Active {
                        memory_index,
                        offset_expr,
                    } => DataMode::Active {
                        memory: memory_index,
                        offset: const_expr(&offset_expr, &info.types)?,
                    },
                };
                let end = data.range.end as usize;
                let start = end - data.data.len();
                info.datas.push(DataSegment {
                    mode,
                    range: start..end,
                });
            }
        }
        Payload::CodeSectionEntry(body) => {
            let r = body.range();
            info.bodies.push(r.start as usize..r.end as usize);
        }
        Payload::CustomSection(c) => {
            if let KnownCustom::Name(names) = c.as_known() {
                // The name section is advisory: a malformed one must not make
                // a valid module fail, so errors here only stop reading names.
                for name in names {
                    let Ok(name) = name else { break };
                    match name {
                        Name::Module { name, .. } => info.name = Some(name.to_string()),
                        Name::Function(map) => {
                            for naming in map {
                                let Ok(naming) = naming else { break };
                                info.func_names
                                    .insert(naming.index, naming.name.to_string());
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Wasm 2.0 encodes memory and table limits as `u32` LEB128s (at most
/// five bytes); wasmparser follows Wasm 3.0, where they are `u64` and may
/// take ten. Kiln holds 32-bit memories and tables to the 2.0 encoding and
/// reads 64-bit ones (flag `0x04`) as `u64`: re-read the (already
/// validated) import, memory or table section with strict reads.
fn check_limit_encodings(range: std::ops::Range<u64>, wasm: &[u8], section: Section) -> Result<()> {
    let mut r =
        wasmparser::BinaryReader::new(&wasm[range.start as usize..range.end as usize], range.start);
    let limits = |r: &mut wasmparser::BinaryReader<'_>| -> Result<()> {
        let flags = r.read_u8()?;
        let read = |r: &mut wasmparser::BinaryReader<'_>| -> Result<()> {
            match flags & 0x04 {
                0 => drop(r.read_var_u32()?),
                _ => drop(r.read_var_u64()?),
            }
            Ok(())
        };
        read(r)?;
        if flags & 1 != 0 {
            read(r)?;
        }
        if flags & 0x08 != 0 {
            r.read_var_u32()?; // the custom page size's log2
        }
        Ok(())
    };
    for _ in 0..r.read_var_u32()? {
        match section {
            Section::Import => {}
            Section::Memory => {
                limits(&mut r)?;
                continue;
            }
            Section::Table => {
                // Typed function references: `0x40 0x00`, then the table
                // type, then its initialiser expression.
                let init = r.clone().read_u8()? == 0x40;
                if init {
                    r.read_u8()?;
                    r.read_u8()?;
                }
                r.read::<wasmparser::RefType>()?;
                limits(&mut r)?;
                if init {
                    r.read::<wasmparser::ConstExpr<'_>>()?;
                }
                continue;
            }
        }
        r.skip_string()?;
        r.skip_string()?;
        match r.read_u8()? {
            0x00 => drop(r.read_var_u32()?),
            0x01 => {
                r.read::<wasmparser::RefType>()?;
                limits(&mut r)?;
            }
            0x02 => limits(&mut r)?,
            0x03 => {
                r.read::<wasmparser::ValType>()?;
                r.read_u8()?;
            }
            // Anything else was already rejected by validation.
            _ => return Ok(()),
        }
    }
    Ok(())
}

/// The sections holding limits.
#[derive(Clone, Copy)]
enum Section {
    Import,
    Memory,
    Table,
}

fn table_type(t: wasmparser::TableType, types: &[FuncType]) -> Result<TableType> {
    if t.shared {
        bail!("shared tables are not supported");
    }
    Ok(TableType {
        element: ref_type_from(t.element_type, types)?,
        table64: t.table64,
        minimum: t.initial,
        maximum: t.maximum,
    })
}

fn memory_type(m: wasmparser::MemoryType) -> Result<MemoryType> {
    if m.shared {
        bail!("shared memories are not supported");
    }
    // Validation admits 1 and 64 KiB (custom-page-sizes); 64 KiB without.
    let page_size_log2 = match m.page_size_log2.unwrap_or(16) {
        log2 @ (0 | 16) => log2 as u8,
        log2 => bail!("unsupported page size 2^{log2}"),
    };
    Ok(MemoryType {
        minimum: m.initial,
        maximum: m.maximum,
        memory64: m.memory64,
        page_size_log2,
    })
}

fn global_type(g: wasmparser::GlobalType, types: &[FuncType]) -> Result<GlobalType> {
    if g.shared {
        bail!("shared globals are not supported");
    }
    let mutability = if g.mutable {
        Mutability::Var
    } else {
        Mutability::Const
    };
    Ok(GlobalType::new(
        val_type_from(g.content_type, types)?,
        mutability,
    ))
}

/// A constant expression: one instruction (Wasm 2.0), or an extended one;
/// `types` resolves the concrete type of a `ref.null`.
fn const_expr(expr: &wasmparser::ConstExpr<'_>, types: &[FuncType]) -> Result<ConstExpr> {
    let mut reader = expr.get_operators_reader();
    let mut ops = Vec::new();
    loop {
        match reader.read()? {
            Operator::End => break,
            op => ops.push(op),
        }
    }
    if let [op] = &ops[..] {
        return Ok(match *op {
            Operator::I32Const { value } => ConstExpr::I32(value),
            Operator::I64Const { value } => ConstExpr::I64(value),
            Operator::F32Const { value } => ConstExpr::F32(value.bits()),
            Operator::F64Const { value } => ConstExpr::F64(value.bits()),
            Operator::V128Const { value } => ConstExpr::V128(u128::from_le_bytes(*value.bytes())),
            Operator::RefNull { hty } => ConstExpr::RefNull(ref_type_from(
                wasmparser::RefType::new(true, hty).context("bad heap type")?,
                types,
            )?),
            Operator::RefFunc { function_index } => ConstExpr::RefFunc(function_index),
            Operator::GlobalGet { global_index } => ConstExpr::GlobalGet(global_index),
            ref other => bail!("unsupported constant expression operator {other:?}"),
        });
    }
    // Extended constant expressions (validated already).
    let ops = ops
        .iter()
        .map(|op| {
            Ok(match *op {
                Operator::I32Const { value } => ConstOp::I32Const(value),
                Operator::I64Const { value } => ConstOp::I64Const(value),
                Operator::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
                Operator::I32Add => ConstOp::I32Add,
                Operator::I32Sub => ConstOp::I32Sub,
                Operator::I32Mul => ConstOp::I32Mul,
                Operator::I64Add => ConstOp::I64Add,
                Operator::I64Sub => ConstOp::I64Sub,
                Operator::I64Mul => ConstOp::I64Mul,
                ref other => bail!("unsupported constant expression operator {other:?}"),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if ops.iter().any(|op| matches!(op, ConstOp::GlobalGet(_))) {
        return Ok(ConstExpr::Extended(ops));
    }
    // No globals: the value is known now. Its type is the last operator's.
    let bits = ConstOp::eval(&ops, |_| 0);
    Ok(match ops.last() {
        Some(ConstOp::I32Const(_) | ConstOp::I32Add | ConstOp::I32Sub | ConstOp::I32Mul) => {
            ConstExpr::I32(bits as u32 as i32)
        }
        _ => ConstExpr::I64(bits as u64 as i64),
    })
}
