//! Wasm types as the embedding API and the compiler both see them.
//!
//! These are Kiln's own value types, deliberately smaller than wasmparser's
//! (which also models GC heap types): everything the engine supports, and
//! nothing it does not. Conversion from wasmparser's types lives here too, so
//! an unsupported type is rejected in exactly one place.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// The type of a reference value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RefType {
    /// A nullable reference to a function.
    FuncRef,
    /// A nullable reference to an opaque host value.
    ExternRef,
}

/// The type of a wasm value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    V128,
    Ref(RefType),
}

impl ValType {
    pub const FUNCREF: ValType = ValType::Ref(RefType::FuncRef);
    pub const EXTERNREF: ValType = ValType::Ref(RefType::ExternRef);

    pub fn is_ref(self) -> bool {
        matches!(self, ValType::Ref(_))
    }
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefType::FuncRef => "funcref",
            RefType::ExternRef => "externref",
        })
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValType::I32 => f.write_str("i32"),
            ValType::I64 => f.write_str("i64"),
            ValType::F32 => f.write_str("f32"),
            ValType::F64 => f.write_str("f64"),
            ValType::V128 => f.write_str("v128"),
            ValType::Ref(r) => r.fmt(f),
        }
    }
}

/// The type of a function: parameters and results. Shared, so cloning one
/// (every `Func::ty`, every store function entry) allocates nothing.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FuncType {
    params: Arc<[ValType]>,
    results: Arc<[ValType]>,
}

impl FuncType {
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> FuncType {
        FuncType {
            params: params.into_iter().collect(),
            results: results.into_iter().collect(),
        }
    }

    pub fn params(&self) -> &[ValType] {
        &self.params
    }

    pub fn results(&self) -> &[ValType] {
        &self.results
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, tys: &[ValType]| -> fmt::Result {
            f.write_str("[")?;
            for (i, t) in tys.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{t}")?;
            }
            f.write_str("]")
        };
        list(f, &self.params)?;
        f.write_str(" -> ")?;
        list(f, &self.results)
    }
}

/// Whether a global can be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Mutability {
    Const,
    Var,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GlobalType {
    pub content: ValType,
    pub mutability: Mutability,
}

impl GlobalType {
    pub fn new(content: ValType, mutability: Mutability) -> GlobalType {
        GlobalType {
            content,
            mutability,
        }
    }
    pub fn content(&self) -> ValType {
        self.content
    }
    pub fn mutability(&self) -> Mutability {
        self.mutability
    }
}

/// A table type: element type and limits in elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TableType {
    pub element: RefType,
    pub minimum: u32,
    pub maximum: Option<u32>,
}

impl TableType {
    pub fn new(element: RefType, minimum: u32, maximum: Option<u32>) -> TableType {
        TableType {
            element,
            minimum,
            maximum,
        }
    }
    pub fn element(&self) -> RefType {
        self.element
    }
    pub fn minimum(&self) -> u32 {
        self.minimum
    }
    pub fn maximum(&self) -> Option<u32> {
        self.maximum
    }
}

/// A memory type: limits in 64 KiB pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MemoryType {
    pub minimum: u64,
    pub maximum: Option<u64>,
}

impl MemoryType {
    pub fn new(minimum: u32, maximum: Option<u32>) -> MemoryType {
        MemoryType {
            minimum: minimum.into(),
            maximum: maximum.map(Into::into),
        }
    }
    pub fn minimum(&self) -> u64 {
        self.minimum
    }
    pub fn maximum(&self) -> Option<u64> {
        self.maximum
    }
}

/// The type of anything a module can import or export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExternType {
    Func(FuncType),
    Global(GlobalType),
    Table(TableType),
    Memory(MemoryType),
}

impl fmt::Display for ExternType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExternType::Func(t) => write!(f, "func {t}"),
            ExternType::Global(t) => write!(f, "global {:?} {}", t.mutability, t.content),
            ExternType::Table(t) => write!(f, "table {} {:?} {}", t.minimum, t.maximum, t.element),
            ExternType::Memory(t) => write!(f, "memory {} {:?}", t.minimum, t.maximum),
        }
    }
}

// ---- conversion from wasmparser: the one place unsupported types are refused ----

pub(crate) fn ref_type_from(t: wasmparser::RefType) -> anyhow::Result<RefType> {
    if t == wasmparser::RefType::FUNCREF {
        Ok(RefType::FuncRef)
    } else if t == wasmparser::RefType::EXTERNREF {
        Ok(RefType::ExternRef)
    } else {
        anyhow::bail!(
            "unsupported reference type {t:?} (typed references and GC are not supported)"
        )
    }
}

pub(crate) fn val_type_from(t: wasmparser::ValType) -> anyhow::Result<ValType> {
    Ok(match t {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => ValType::V128,
        wasmparser::ValType::Ref(r) => ValType::Ref(ref_type_from(r)?),
    })
}

pub(crate) fn func_type_from(t: &wasmparser::FuncType) -> anyhow::Result<FuncType> {
    let params = t
        .params()
        .iter()
        .map(|&p| val_type_from(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let results = t
        .results()
        .iter()
        .map(|&p| val_type_from(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(FuncType::new(params, results))
}
