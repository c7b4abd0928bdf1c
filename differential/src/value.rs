//! Runtime values and value types (spec §2.3 "Types", §4.2 "Runtime Structure" / Values).
//!
//! Floats are stored as their raw IEEE-754 bit patterns so that NaN payloads
//! survive every instruction that the spec defines bitwise (`local.get`,
//! loads/stores, `select`, `reinterpret`, `neg`, `abs`, `copysign`, ...).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, OnceLock};

/// A value type.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    V128,
    Ref(RefType),
}

impl ValType {
    /// `funcref`, `(ref null func)`.
    pub const FUNCREF: ValType = ValType::Ref(RefType {
        nullable: true,
        heap: HeapType::Func,
    });
    /// `externref`, `(ref null extern)`.
    pub const EXTERNREF: ValType = ValType::Ref(RefType {
        nullable: true,
        heap: HeapType::Extern,
    });
    /// `exnref`, `(ref null exn)`.
    pub const EXNREF: ValType = ValType::Ref(RefType {
        nullable: true,
        heap: HeapType::Exn,
    });

    /// Subtyping (§3.3 "Matching"): only reference types have proper
    /// subtypes.
    pub fn matches(self, other: ValType) -> bool {
        match (self, other) {
            (ValType::Ref(a), ValType::Ref(b)) => a.matches(b),
            (a, b) => a == b,
        }
    }
}

/// The kinds of reference (function, extern, exception): what a null is
/// a null of, whatever its static type.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum RefKind {
    Func,
    Extern,
    Exn,
}

/// A reference type: a heap type, nullable or not (typed function
/// references; without GC's heap types).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct RefType {
    pub nullable: bool,
    pub heap: HeapType,
}

impl RefType {
    /// Subtyping: `(ref $t) <: (ref null $t) <: (ref null func)`.
    pub fn matches(self, other: RefType) -> bool {
        (!self.nullable || other.nullable) && self.heap.matches(other.heap)
    }
}

/// A heap type: any function, any host value, or functions of one type.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum HeapType {
    Func,
    Extern,
    Concrete(TypeId),
    /// Any exception (exception handling).
    Exn,
}

impl HeapType {
    /// Subtyping: a concrete type is below `func` and matches itself and
    /// its declared supertypes ([`TypeId::matches`]).
    pub fn matches(self, other: HeapType) -> bool {
        match (self, other) {
            (HeapType::Func | HeapType::Concrete(_), HeapType::Func) => true,
            (HeapType::Concrete(a), HeapType::Concrete(b)) => a.matches(b),
            (a, b) => a == b,
        }
    }

    pub fn kind(self) -> RefKind {
        match self {
            HeapType::Func | HeapType::Concrete(_) => RefKind::Func,
            HeapType::Extern => RefKind::Extern,
            HeapType::Exn => RefKind::Exn,
        }
    }
}

/// A defined function type's identity (GC's iso-recursive type equality,
/// §3.3): what is hash-consed process-wide is a whole rec group, whose
/// members name each other by position (`Rec`) and earlier types by their
/// ids, so equal groups get equal ids and a member's id is its group's
/// first id plus its position; type equality across modules is id
/// equality. Types are never freed: the interpreter is a test oracle, and
/// the types of its modules are few.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct TypeId(u32);

/// A type named from inside a rec group.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum GroupRef {
    /// The member at this position.
    Rec(u32),
    /// A type of an earlier group.
    Id(TypeId),
}

/// A value type as a rec group member holds it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum GroupValType {
    Val(ValType),
    /// `(ref null? $t)` of the member at `index`.
    Rec {
        nullable: bool,
        index: u32,
    },
}

/// A member of a rec group: a function type, its finality and declared
/// supertype.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SubTypeDef {
    pub is_final: bool,
    pub supertype: Option<GroupRef>,
    pub params: Vec<GroupValType>,
    pub results: Vec<GroupValType>,
}

struct TypeInfo {
    ty: FuncType,
    supertype: Option<TypeId>,
}

#[derive(Default)]
struct TypeTable {
    groups: HashMap<Vec<SubTypeDef>, u32>,
    types: Vec<TypeInfo>,
}

static TYPES: OnceLock<Mutex<TypeTable>> = OnceLock::new();

fn table() -> std::sync::MutexGuard<'static, TypeTable> {
    // A poisoned lock only means another thread panicked while holding
    // it; the table itself is always consistent.
    TYPES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

impl TypeId {
    /// The id of `ty` as a type of its own: final, without supertype,
    /// alone in its rec group (a host function's type, or a module's
    /// `(type (func ...))`).
    pub fn of(ty: &FuncType) -> TypeId {
        let val = |v: &ValType| GroupValType::Val(*v);
        TypeId::of_group(vec![SubTypeDef {
            is_final: true,
            supertype: None,
            params: ty.params.iter().map(val).collect(),
            results: ty.results.iter().map(val).collect(),
        }])[0]
    }

    /// The ids of the members of rec group `group`. The group is as
    /// validation leaves it (`Rec` positions in range, a supertype before
    /// its subtype).
    pub fn of_group(group: Vec<SubTypeDef>) -> Vec<TypeId> {
        let mut table = table();
        let n = group.len() as u32;
        if let Some(&first) = table.groups.get(&group) {
            return (first..first + n).map(TypeId).collect();
        }
        let first = table.types.len() as u32;
        let resolve = |v: &GroupValType| match *v {
            GroupValType::Val(v) => v,
            GroupValType::Rec { nullable, index } => ValType::Ref(RefType {
                nullable,
                heap: HeapType::Concrete(TypeId(first + index)),
            }),
        };
        for sub in &group {
            table.types.push(TypeInfo {
                ty: FuncType {
                    params: sub.params.iter().map(resolve).collect(),
                    results: sub.results.iter().map(resolve).collect(),
                },
                supertype: sub.supertype.map(|s| match s {
                    GroupRef::Rec(i) => TypeId(first + i),
                    GroupRef::Id(id) => id,
                }),
            });
        }
        table.groups.insert(group, first);
        (first..first + n).map(TypeId).collect()
    }

    /// The type with this id.
    pub fn func_type(self) -> FuncType {
        table().types[self.0 as usize].ty.clone()
    }

    /// Whether a function of this type may be used where one of type
    /// `other` is expected: `other` is this type or one of its declared
    /// supertypes (each a structural match, as validation checked; a
    /// supertype always has a smaller id, so the walk ends).
    pub fn matches(self, other: TypeId) -> bool {
        if self == other {
            return true;
        }
        let table = table();
        let mut t = self;
        while let Some(s) = table.types[t.0 as usize].supertype {
            if s == other {
                return true;
            }
            t = s;
        }
        false
    }
}

/// Index of a function instance in [`crate::Store`]'s function list.
pub type FuncAddr = usize;

/// Index of an exception instance in [`crate::Store`]'s exception list.
pub type ExnAddr = usize;

/// A reference value: `ref.null t`, `ref funcaddr` or `ref.extern hostaddr`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ref {
    Null(RefKind),
    Func(FuncAddr),
    /// An opaque host reference; the number is chosen by the embedder.
    Extern(u32),
    /// An exception object of the store.
    Exn(ExnAddr),
}

impl Ref {
    pub fn is_null(self) -> bool {
        matches!(self, Ref::Null(_))
    }
}

/// A Wasm value. Floats are raw bits (see module docs).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    I32(i32),
    I64(i64),
    /// IEEE-754 single precision, raw bits.
    F32(u32),
    /// IEEE-754 double precision, raw bits.
    F64(u64),
    /// A 128-bit vector, raw bits; byte `i` (as memory stores it) is bits
    /// `8i..8i+8`, so lane `i` of width `N` is bits `N*i..N*(i+1)`.
    V128(u128),
    Ref(Ref),
}

impl Value {
    /// The spec's `default_t`: zero for numbers, null for references.
    pub fn default_for(ty: ValType) -> Value {
        match ty {
            ValType::I32 => Value::I32(0),
            ValType::I64 => Value::I64(0),
            ValType::F32 => Value::F32(0),
            ValType::F64 => Value::F64(0),
            ValType::V128 => Value::V128(0),
            // A non-nullable local starts as null too: validation ensures
            // it is set before it is read.
            ValType::Ref(r) => Value::Ref(Ref::Null(r.heap.kind())),
        }
    }

    /// The most general type of this value: a reference is typed
    /// `funcref` or `externref` whether null or not (a function's own
    /// type needs the store: `Store::value_has_type`).
    pub fn ty(self) -> ValType {
        match self {
            Value::I32(_) => ValType::I32,
            Value::I64(_) => ValType::I64,
            Value::F32(_) => ValType::F32,
            Value::F64(_) => ValType::F64,
            Value::V128(_) => ValType::V128,
            Value::Ref(Ref::Null(RefKind::Func) | Ref::Func(_)) => ValType::FUNCREF,
            Value::Ref(Ref::Null(RefKind::Extern) | Ref::Extern(_)) => ValType::EXTERNREF,
            Value::Ref(Ref::Null(RefKind::Exn) | Ref::Exn(_)) => ValType::EXNREF,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::I32(v) => write!(f, "i32:{v}"),
            Value::I64(v) => write!(f, "i64:{v}"),
            Value::F32(b) => write!(f, "f32:{}(0x{b:08x})", f32::from_bits(*b)),
            Value::F64(b) => write!(f, "f64:{}(0x{b:016x})", f64::from_bits(*b)),
            Value::V128(b) => write!(f, "v128:0x{b:032x}"),
            Value::Ref(Ref::Null(t)) => write!(f, "ref.null {t:?}"),
            Value::Ref(Ref::Func(a)) => write!(f, "ref.func@{a}"),
            Value::Ref(Ref::Extern(n)) => write!(f, "ref.extern {n}"),
            Value::Ref(Ref::Exn(a)) => write!(f, "ref.exn@{a}"),
        }
    }
}

/// A function type `[params] -> [results]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct FuncType {
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

/// Size bounds of a table or memory (in elements or pages).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    pub min: u64,
    pub max: Option<u64>,
}

impl Limits {
    /// Import matching of limits (spec §4.5.2 "Limits"): `self` (the
    /// provided external) matches `expected` (the import's declaration) iff
    /// it is at least as large and at most as unbounded.
    pub fn matches(&self, expected: &Limits) -> bool {
        if self.min < expected.min {
            return false;
        }
        match (self.max, expected.max) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(have), Some(want)) => have <= want,
        }
    }
}

/// A table type; `i64` indexes it if `is64` (table64), else `i32`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TableType {
    pub limits: Limits,
    pub elem: RefType,
    pub is64: bool,
}

/// A memory type; `i64` indexes it if `is64` (memory64), else `i32`. Its
/// pages are `page_size` bytes: 65536, or 1 (custom-page-sizes).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct MemoryType {
    pub limits: Limits,
    pub is64: bool,
    pub page_size: u64,
}

impl MemoryType {
    /// The most pages its index type allows (§3.2.9 "Memory Types"): 4 GiB
    /// for 32-bit memories (less one byte with 1-byte pages, so the size
    /// fits an `i32`), 2^64 bytes for 64-bit ones (2^48 pages of 64 KiB,
    /// less one byte with 1-byte pages).
    pub fn max_pages(&self) -> u64 {
        let (bytes, limit) = match self.is64 {
            true => (1u128 << 64, u64::MAX),
            false => (1u128 << 32, u32::MAX as u64),
        };
        let pages = bytes / u128::from(self.page_size.max(1));
        u64::try_from(pages).unwrap_or(limit).min(limit)
    }
}

impl TableType {
    /// The most elements its index type allows.
    pub fn max_elems(&self) -> u64 {
        if self.is64 { u64::MAX } else { u32::MAX as u64 }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct GlobalType {
    pub mutable: bool,
    pub content: ValType,
}
