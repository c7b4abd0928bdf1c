//! Type representations: value types, the four extern types (one struct,
//! so the `_as_externtype` casts are pointer identities), import and
//! export types, and their conversion to and from Kiln's types.
//!
//! Limits are 32-bit in wasm.h: larger ones (64-bit tables and memories)
//! are reported saturated at `u32::MAX - 1` for the minimum and as "no
//! maximum" (`wasm_limits_max_default`) beyond `u32::MAX - 1`.

use crate::vec::{Vector, wasm_name_t, wasm_valtype_vec_t};
use kiln::{
    ExportType, ExternType, FuncType, GlobalType, ImportType, MemoryType, Mutability, TableType,
    ValType,
};

pub type wasm_valkind_t = u8;
pub const WASM_I32: wasm_valkind_t = 0;
pub const WASM_I64: wasm_valkind_t = 1;
pub const WASM_F32: wasm_valkind_t = 2;
pub const WASM_F64: wasm_valkind_t = 3;
/// `KILN_V128` in kiln.h: wasm.h has no kind for SIMD vectors.
pub const KILN_V128: wasm_valkind_t = 4;
pub const WASM_EXTERNREF: wasm_valkind_t = 128;
pub const WASM_FUNCREF: wasm_valkind_t = 129;

pub type wasm_mutability_t = u8;
pub const WASM_CONST: wasm_mutability_t = 0;
pub const WASM_VAR: wasm_mutability_t = 1;

pub type wasm_externkind_t = u8;
pub const WASM_EXTERN_FUNC: wasm_externkind_t = 0;
pub const WASM_EXTERN_GLOBAL: wasm_externkind_t = 1;
pub const WASM_EXTERN_TABLE: wasm_externkind_t = 2;
pub const WASM_EXTERN_MEMORY: wasm_externkind_t = 3;

const LIMITS_MAX_DEFAULT: u32 = u32::MAX;

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct wasm_limits_t {
    pub min: u32,
    pub max: u32,
}

impl wasm_limits_t {
    fn from_kiln(min: u64, max: Option<u64>) -> wasm_limits_t {
        let clamp = |v: u64| u32::try_from(v).unwrap_or(LIMITS_MAX_DEFAULT - 1);
        wasm_limits_t {
            min: clamp(min),
            max: match max {
                Some(m) if m < u64::from(LIMITS_MAX_DEFAULT) => m as u32,
                _ => LIMITS_MAX_DEFAULT,
            },
        }
    }

    fn max(&self) -> Option<u32> {
        (self.max != LIMITS_MAX_DEFAULT).then_some(self.max)
    }
}

#[derive(Clone, Debug)]
pub struct wasm_valtype_t {
    pub(crate) kind: wasm_valkind_t,
}

impl wasm_valtype_t {
    pub fn from_kiln(t: ValType) -> wasm_valtype_t {
        let kind = match t {
            ValType::I32 => WASM_I32,
            ValType::I64 => WASM_I64,
            ValType::F32 => WASM_F32,
            ValType::F64 => WASM_F64,
            ValType::V128 => KILN_V128,
            // wasm.h has two reference kinds: a typed function reference
            // (typed function references) is a funcref to C.
            ValType::Ref(r) if r.heap_type().is_func() => WASM_FUNCREF,
            ValType::Ref(_) => WASM_EXTERNREF,
        };
        wasm_valtype_t { kind }
    }

    pub fn to_kiln(&self) -> ValType {
        kind_to_kiln(self.kind).unwrap_or(ValType::I32)
    }
}

/// The Kiln type of a valid kind (`wasm_valtype_new` refuses the others).
pub fn kind_to_kiln(kind: wasm_valkind_t) -> Option<ValType> {
    Some(match kind {
        WASM_I32 => ValType::I32,
        WASM_I64 => ValType::I64,
        WASM_F32 => ValType::F32,
        WASM_F64 => ValType::F64,
        KILN_V128 => ValType::V128,
        WASM_EXTERNREF => ValType::EXTERNREF,
        WASM_FUNCREF => ValType::FUNCREF,
        _ => return None,
    })
}

/// A function, global, table or memory type. `wasm_functype_t` and the
/// other three are this struct, so the casts to and from
/// `wasm_externtype_t` return the same pointer or NULL.
#[derive(Clone)]
pub struct wasm_externtype_t {
    pub(crate) which: TypeKind,
}

#[derive(Clone)]
pub(crate) enum TypeKind {
    Func {
        params: wasm_valtype_vec_t,
        results: wasm_valtype_vec_t,
    },
    Global {
        content: Box<wasm_valtype_t>,
        mutability: wasm_mutability_t,
    },
    Table {
        element: Box<wasm_valtype_t>,
        limits: wasm_limits_t,
    },
    Memory {
        limits: wasm_limits_t,
    },
}

pub type wasm_functype_t = wasm_externtype_t;
pub type wasm_globaltype_t = wasm_externtype_t;
pub type wasm_tabletype_t = wasm_externtype_t;
pub type wasm_memorytype_t = wasm_externtype_t;

fn valtypes(types: &[ValType]) -> wasm_valtype_vec_t {
    Vector::from_vec(
        types
            .iter()
            .map(|t| Some(Box::new(wasm_valtype_t::from_kiln(t.clone()))))
            .collect(),
    )
}

fn kiln_valtypes(v: &wasm_valtype_vec_t) -> Option<Vec<ValType>> {
    v.as_slice()
        .iter()
        .map(|t| t.as_deref().map(wasm_valtype_t::to_kiln))
        .collect()
}

impl wasm_externtype_t {
    pub fn from_kiln(t: &ExternType) -> wasm_externtype_t {
        let which = match t {
            ExternType::Func(f) => TypeKind::Func {
                params: valtypes(f.params()),
                results: valtypes(f.results()),
            },
            ExternType::Global(g) => TypeKind::Global {
                content: Box::new(wasm_valtype_t::from_kiln(g.content().clone())),
                mutability: match g.mutability() {
                    Mutability::Const => WASM_CONST,
                    Mutability::Var => WASM_VAR,
                },
            },
            ExternType::Table(t) => TypeKind::Table {
                element: Box::new(wasm_valtype_t::from_kiln(ValType::Ref(t.element().clone()))),
                limits: wasm_limits_t::from_kiln(t.minimum(), t.maximum()),
            },
            ExternType::Memory(m) => TypeKind::Memory {
                limits: wasm_limits_t::from_kiln(m.minimum(), m.maximum()),
            },
            // C API engines have exception handling off (`store.rs`), so
            // no module or instance of theirs has tags.
            ExternType::Tag(_) => unreachable!("tags with exception handling off"),
        };
        wasm_externtype_t { which }
    }

    pub fn from_func(f: &FuncType) -> wasm_externtype_t {
        wasm_externtype_t::from_kiln(&ExternType::Func(f.clone()))
    }

    /// The Kiln function type; `None` if this is not a function type or
    /// holds a NULL value type (a vector from `new_uninitialized`).
    pub fn func_type(&self) -> Option<FuncType> {
        match &self.which {
            TypeKind::Func { params, results } => Some(FuncType::new(
                kiln_valtypes(params)?,
                kiln_valtypes(results)?,
            )),
            _ => None,
        }
    }

    pub fn global_type(&self) -> Option<GlobalType> {
        match &self.which {
            TypeKind::Global {
                content,
                mutability,
            } => Some(GlobalType::new(
                content.to_kiln(),
                match *mutability {
                    WASM_CONST => Mutability::Const,
                    WASM_VAR => Mutability::Var,
                    _ => return None,
                },
            )),
            _ => None,
        }
    }

    pub fn table_type(&self) -> Option<TableType> {
        match &self.which {
            TypeKind::Table { element, limits } => {
                let element = match element.to_kiln() {
                    ValType::Ref(r) => r,
                    _ => return None,
                };
                Some(TableType::new(element, limits.min, limits.max()))
            }
            _ => None,
        }
    }

    pub fn memory_type(&self) -> Option<MemoryType> {
        match &self.which {
            TypeKind::Memory { limits } => Some(MemoryType::new(limits.min, limits.max())),
            _ => None,
        }
    }

    fn kind(&self) -> wasm_externkind_t {
        match self.which {
            TypeKind::Func { .. } => WASM_EXTERN_FUNC,
            TypeKind::Global { .. } => WASM_EXTERN_GLOBAL,
            TypeKind::Table { .. } => WASM_EXTERN_TABLE,
            TypeKind::Memory { .. } => WASM_EXTERN_MEMORY,
        }
    }
}

#[derive(Clone)]
pub struct wasm_importtype_t {
    module: wasm_name_t,
    name: wasm_name_t,
    ty: Box<wasm_externtype_t>,
}

impl wasm_importtype_t {
    pub fn from_kiln(i: &ImportType) -> wasm_importtype_t {
        wasm_importtype_t {
            module: wasm_name_t::from_bytes(i.module().as_bytes()),
            name: wasm_name_t::from_bytes(i.name().as_bytes()),
            ty: Box::new(wasm_externtype_t::from_kiln(&i.ty())),
        }
    }
}

#[derive(Clone)]
pub struct wasm_exporttype_t {
    name: wasm_name_t,
    ty: Box<wasm_externtype_t>,
}

impl wasm_exporttype_t {
    pub fn from_kiln(e: &ExportType) -> wasm_exporttype_t {
        wasm_exporttype_t {
            name: wasm_name_t::from_bytes(e.name().as_bytes()),
            ty: Box::new(wasm_externtype_t::from_kiln(&e.ty())),
        }
    }
}

// ------------------------------------------------------------ own/copy

macro_rules! own_and_copy {
    ($t:ty, $delete:ident, $copy:ident) => {
        #[unsafe(no_mangle)]
        pub extern "C" fn $delete(_: Option<Box<$t>>) {}

        #[unsafe(no_mangle)]
        pub extern "C" fn $copy(t: &$t) -> Box<$t> {
            Box::new(t.clone())
        }
    };
}

own_and_copy!(wasm_valtype_t, wasm_valtype_delete, wasm_valtype_copy);
own_and_copy!(wasm_externtype_t, wasm_functype_delete, wasm_functype_copy);
own_and_copy!(
    wasm_externtype_t,
    wasm_globaltype_delete,
    wasm_globaltype_copy
);
own_and_copy!(
    wasm_externtype_t,
    wasm_tabletype_delete,
    wasm_tabletype_copy
);
own_and_copy!(
    wasm_externtype_t,
    wasm_memorytype_delete,
    wasm_memorytype_copy
);
own_and_copy!(
    wasm_externtype_t,
    wasm_externtype_delete,
    wasm_externtype_copy
);
own_and_copy!(
    wasm_importtype_t,
    wasm_importtype_delete,
    wasm_importtype_copy
);
own_and_copy!(
    wasm_exporttype_t,
    wasm_exporttype_delete,
    wasm_exporttype_copy
);

// ---------------------------------------------------------- value types

/// NULL for a kind that is neither wasm.h's nor `KILN_V128`.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_valtype_new(kind: wasm_valkind_t) -> Option<Box<wasm_valtype_t>> {
    kind_to_kiln(kind)?;
    Some(Box::new(wasm_valtype_t { kind }))
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_valtype_kind(t: &wasm_valtype_t) -> wasm_valkind_t {
    t.kind
}

// ------------------------------------------------------- function types

/// Takes the elements of both vectors (left empty).
#[unsafe(no_mangle)]
pub extern "C" fn wasm_functype_new(
    params: &mut wasm_valtype_vec_t,
    results: &mut wasm_valtype_vec_t,
) -> Box<wasm_functype_t> {
    Box::new(wasm_externtype_t {
        which: TypeKind::Func {
            params: Vector::from_vec(params.take()),
            results: Vector::from_vec(results.take()),
        },
    })
}

/// The parameters of a function type. Called on another extern type
/// (a C type error), it returns an empty vector rather than crashing.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_functype_params(t: &wasm_functype_t) -> *const wasm_valtype_vec_t {
    match &t.which {
        TypeKind::Func { params, .. } => params,
        _ => &EMPTY_VALTYPES.0,
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_functype_results(t: &wasm_functype_t) -> *const wasm_valtype_vec_t {
    match &t.which {
        TypeKind::Func { results, .. } => results,
        _ => &EMPTY_VALTYPES.0,
    }
}

/// An empty vector with a static address, for the accessors above.
struct EmptyValtypes(wasm_valtype_vec_t);
// SAFETY: an empty vector (null data) is never written through.
unsafe impl Sync for EmptyValtypes {}
static EMPTY_VALTYPES: EmptyValtypes = EmptyValtypes(Vector {
    size: 0,
    data: std::ptr::null_mut(),
});

// --------------------------------------------------------- global types

/// NULL for a mutability other than `WASM_CONST` or `WASM_VAR`.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_globaltype_new(
    content: Box<wasm_valtype_t>,
    mutability: wasm_mutability_t,
) -> Option<Box<wasm_globaltype_t>> {
    if mutability != WASM_CONST && mutability != WASM_VAR {
        return None;
    }
    Some(Box::new(wasm_externtype_t {
        which: TypeKind::Global {
            content,
            mutability,
        },
    }))
}

/// NULL if `t` is not a global type.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_globaltype_content(t: &wasm_globaltype_t) -> Option<&wasm_valtype_t> {
    match &t.which {
        TypeKind::Global { content, .. } => Some(&**content),
        _ => None,
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_globaltype_mutability(t: &wasm_globaltype_t) -> wasm_mutability_t {
    match &t.which {
        TypeKind::Global { mutability, .. } => *mutability,
        _ => WASM_CONST,
    }
}

// ---------------------------------------------------------- table types

/// NULL unless the element type is a reference type.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_tabletype_new(
    element: Box<wasm_valtype_t>,
    limits: &wasm_limits_t,
) -> Option<Box<wasm_tabletype_t>> {
    if !element.to_kiln().is_ref() {
        return None;
    }
    Some(Box::new(wasm_externtype_t {
        which: TypeKind::Table {
            element,
            limits: *limits,
        },
    }))
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_tabletype_element(t: &wasm_tabletype_t) -> Option<&wasm_valtype_t> {
    match &t.which {
        TypeKind::Table { element, .. } => Some(&**element),
        _ => None,
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_tabletype_limits(t: &wasm_tabletype_t) -> Option<&wasm_limits_t> {
    match &t.which {
        TypeKind::Table { limits, .. } => Some(limits),
        _ => None,
    }
}

// --------------------------------------------------------- memory types

#[unsafe(no_mangle)]
pub extern "C" fn wasm_memorytype_new(limits: &wasm_limits_t) -> Box<wasm_memorytype_t> {
    Box::new(wasm_externtype_t {
        which: TypeKind::Memory { limits: *limits },
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_memorytype_limits(t: &wasm_memorytype_t) -> Option<&wasm_limits_t> {
    match &t.which {
        TypeKind::Memory { limits } => Some(limits),
        _ => None,
    }
}

// ---------------------------------------------------------- extern types

#[unsafe(no_mangle)]
pub extern "C" fn wasm_externtype_kind(t: &wasm_externtype_t) -> wasm_externkind_t {
    t.kind()
}

/// The casts between the four types and `wasm_externtype_t`: the same
/// pointer, or NULL when the kind differs.
macro_rules! type_casts {
    ($kind:pat, $to_ext:ident, $to_ext_const:ident, $from_ext:ident, $from_ext_const:ident) => {
        #[unsafe(no_mangle)]
        pub extern "C" fn $to_ext(
            t: Option<&mut wasm_externtype_t>,
        ) -> Option<&mut wasm_externtype_t> {
            t
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $to_ext_const(
            t: Option<&wasm_externtype_t>,
        ) -> Option<&wasm_externtype_t> {
            t
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $from_ext(
            t: Option<&mut wasm_externtype_t>,
        ) -> Option<&mut wasm_externtype_t> {
            t.filter(|t| matches!(t.which, $kind))
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $from_ext_const(
            t: Option<&wasm_externtype_t>,
        ) -> Option<&wasm_externtype_t> {
            t.filter(|t| matches!(t.which, $kind))
        }
    };
}

type_casts!(
    TypeKind::Func { .. },
    wasm_functype_as_externtype,
    wasm_functype_as_externtype_const,
    wasm_externtype_as_functype,
    wasm_externtype_as_functype_const
);
type_casts!(
    TypeKind::Global { .. },
    wasm_globaltype_as_externtype,
    wasm_globaltype_as_externtype_const,
    wasm_externtype_as_globaltype,
    wasm_externtype_as_globaltype_const
);
type_casts!(
    TypeKind::Table { .. },
    wasm_tabletype_as_externtype,
    wasm_tabletype_as_externtype_const,
    wasm_externtype_as_tabletype,
    wasm_externtype_as_tabletype_const
);
type_casts!(
    TypeKind::Memory { .. },
    wasm_memorytype_as_externtype,
    wasm_memorytype_as_externtype_const,
    wasm_externtype_as_memorytype,
    wasm_externtype_as_memorytype_const
);

// ------------------------------------------------- import and export types

/// Takes both names (left empty) and the type.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_importtype_new(
    module: &mut wasm_name_t,
    name: &mut wasm_name_t,
    ty: Box<wasm_externtype_t>,
) -> Box<wasm_importtype_t> {
    Box::new(wasm_importtype_t {
        module: Vector::from_vec(module.take()),
        name: Vector::from_vec(name.take()),
        ty,
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_importtype_module(t: &wasm_importtype_t) -> &wasm_name_t {
    &t.module
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_importtype_name(t: &wasm_importtype_t) -> &wasm_name_t {
    &t.name
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_importtype_type(t: &wasm_importtype_t) -> &wasm_externtype_t {
    &t.ty
}

/// Takes the name (left empty) and the type.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_exporttype_new(
    name: &mut wasm_name_t,
    ty: Box<wasm_externtype_t>,
) -> Box<wasm_exporttype_t> {
    Box::new(wasm_exporttype_t {
        name: Vector::from_vec(name.take()),
        ty,
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_exporttype_name(t: &wasm_exporttype_t) -> &wasm_name_t {
    &t.name
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_exporttype_type(t: &wasm_exporttype_t) -> &wasm_externtype_t {
    &t.ty
}
