//! Wasm types as the embedding API and the compiler both see them.
//!
//! These are Kiln's own value types, deliberately smaller than wasmparser's
//! (which also models GC heap types): everything the engine supports, and
//! nothing it does not. Conversion from wasmparser's types lives here too, so
//! an unsupported type is rejected in exactly one place.

mod rec;
mod serial;

pub(crate) use rec::{GroupValType, RecGroup, SubType, TypeRef};
use serde::{Deserialize, Serialize};
pub(crate) use serial::{SerialGroup, with_module_types};
use std::fmt;
use std::sync::{Arc, OnceLock};

/// What a reference points to (the heap types of typed function
/// references, without GC's).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HeapType {
    /// Any function (`func`).
    Func,
    /// Any host value (`extern`).
    Extern,
    /// A function of exactly this type (`$t` in `(ref $t)`).
    ConcreteFunc(FuncType),
    /// Any exception (`exn`, exception handling).
    Exn,
}

impl HeapType {
    /// Whether every reference to `self` is one to `other` (subtyping):
    /// a concrete type matches itself and its declared supertypes
    /// ([`FuncType::matches`]).
    pub fn matches(&self, other: &HeapType) -> bool {
        match (self, other) {
            (HeapType::Func | HeapType::ConcreteFunc(_), HeapType::Func) => true,
            (HeapType::Extern, HeapType::Extern) => true,
            (HeapType::Exn, HeapType::Exn) => true,
            (HeapType::ConcreteFunc(a), HeapType::ConcreteFunc(b)) => a.matches(b),
            _ => false,
        }
    }

    /// Whether references of this type are functions (`func` or below).
    pub fn is_func(&self) -> bool {
        matches!(self, HeapType::Func | HeapType::ConcreteFunc(_))
    }
}

/// The type of a reference value: a heap type, and whether null is one of
/// its values.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RefType {
    nullable: bool,
    heap_type: HeapType,
}

impl RefType {
    /// `funcref`: a nullable reference to any function.
    pub const FUNCREF: RefType = RefType::new(true, HeapType::Func);
    /// `externref`: a nullable reference to any host value.
    pub const EXTERNREF: RefType = RefType::new(true, HeapType::Extern);
    /// `exnref`: a nullable reference to any exception.
    pub const EXNREF: RefType = RefType::new(true, HeapType::Exn);

    pub const fn new(nullable: bool, heap_type: HeapType) -> RefType {
        RefType {
            nullable,
            heap_type,
        }
    }

    pub fn is_nullable(&self) -> bool {
        self.nullable
    }

    pub fn heap_type(&self) -> &HeapType {
        &self.heap_type
    }

    /// Whether every value of `self` is one of `other` (subtyping):
    /// `(ref $t) <: (ref null $t) <: (ref null func)`.
    pub fn matches(&self, other: &RefType) -> bool {
        (!self.nullable || other.nullable) && self.heap_type.matches(&other.heap_type)
    }
}

/// The type of a wasm value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    V128,
    Ref(RefType),
}

impl ValType {
    pub const FUNCREF: ValType = ValType::Ref(RefType::FUNCREF);
    pub const EXTERNREF: ValType = ValType::Ref(RefType::EXTERNREF);
    pub const EXNREF: ValType = ValType::Ref(RefType::EXNREF);

    pub fn is_ref(&self) -> bool {
        matches!(self, ValType::Ref(_))
    }

    /// Whether every value of `self` is one of `other` (subtyping; only
    /// reference types have proper subtypes).
    pub fn matches(&self, other: &ValType) -> bool {
        match (self, other) {
            (ValType::Ref(a), ValType::Ref(b)) => a.matches(b),
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for HeapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeapType::Func => f.write_str("func"),
            HeapType::Extern => f.write_str("extern"),
            HeapType::Exn => f.write_str("exn"),
            // A member of a recursive group would be written out without
            // end: it is named by its position instead.
            HeapType::ConcreteFunc(t) if t.group().is_recursive() => write!(
                f,
                "(func member {} of a rec group of {})",
                t.index_in_group(),
                t.group().len()
            ),
            HeapType::ConcreteFunc(t) => write!(f, "(func {t})"),
        }
    }
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.nullable, &self.heap_type) {
            (true, HeapType::Func) => f.write_str("funcref"),
            (true, HeapType::Extern) => f.write_str("externref"),
            (true, HeapType::Exn) => f.write_str("exnref"),
            (true, h) => write!(f, "(ref null {h})"),
            (false, h) => write!(f, "(ref {h})"),
        }
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

/// The type of a function: parameters and results, and its place in the
/// type hierarchy (GC's rec groups and declared supertypes). Shared, so
/// cloning one (every `Func::ty`, every store function entry) allocates
/// nothing.
///
/// Types are equal when their rec groups are and they sit at the same
/// position in them (iso-recursive equality, see `rec.rs`); groups are
/// canonical process-wide, so `==` is two pointer compares. A type made
/// with [`FuncType::new`] is final, has no supertype and is alone in its
/// group: it equals a module's `(type (func ...))` of the same structure.
#[derive(Clone)]
pub struct FuncType(Arc<FuncTypeInner>);

struct FuncTypeInner {
    group: Arc<RecGroup>,
    index: u32,
    /// Parameters and results with references to members of the group as
    /// their types, made on first use: a recursive type cannot be written
    /// out eagerly.
    unrolled: OnceLock<Unrolled>,
}

/// Parameters and results, written out.
type Unrolled = (Box<[ValType]>, Box<[ValType]>);

impl PartialEq for FuncType {
    fn eq(&self, other: &FuncType) -> bool {
        Arc::ptr_eq(&self.0.group, &other.0.group) && self.0.index == other.0.index
    }
}

impl Eq for FuncType {}

impl std::hash::Hash for FuncType {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Canonical groups: the address is the identity.
        (Arc::as_ptr(&self.0.group) as usize).hash(state);
        self.0.index.hash(state);
    }
}

impl fmt::Debug for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FuncType({self}")?;
        if self.0.group.len() > 1 {
            write!(
                f,
                ", member {} of a rec group of {}",
                self.0.index,
                self.0.group.len()
            )?;
        }
        if !self.is_final() {
            f.write_str(", not final")?;
        }
        if let Some(s) = self.supertype() {
            write!(f, ", subtype of {s}")?;
        }
        f.write_str(")")
    }
}

impl FuncType {
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> FuncType {
        let params: Box<[ValType]> = params.into_iter().collect();
        let results: Box<[ValType]> = results.into_iter().collect();
        FuncType(Arc::new(FuncTypeInner {
            group: RecGroup::single(&params, &results),
            index: 0,
            unrolled: OnceLock::from((params, results)),
        }))
    }

    /// Member `index` of canonical group `group`.
    pub(crate) fn member(group: &Arc<RecGroup>, index: u32) -> FuncType {
        debug_assert!(index < group.len());
        FuncType(Arc::new(FuncTypeInner {
            group: group.clone(),
            index,
            unrolled: OnceLock::new(),
        }))
    }

    pub(crate) fn group(&self) -> &Arc<RecGroup> {
        &self.0.group
    }

    /// This type's position in its rec group.
    pub(crate) fn index_in_group(&self) -> u32 {
        self.0.index
    }

    fn sub(&self) -> &SubType {
        self.0.group.member(self.0.index)
    }

    fn unrolled(&self) -> &Unrolled {
        self.0.unrolled.get_or_init(|| {
            let group = &self.0.group;
            let sub = self.sub();
            let unroll =
                |vs: &[GroupValType]| vs.iter().map(|v| RecGroup::unroll(group, v)).collect();
            (unroll(&sub.params), unroll(&sub.results))
        })
    }

    pub fn params(&self) -> &[ValType] {
        &self.unrolled().0
    }

    pub fn results(&self) -> &[ValType] {
        &self.unrolled().1
    }

    /// Whether no type may declare this one its supertype (every type
    /// declared without `sub`, and every type `FuncType::new` makes).
    pub fn is_final(&self) -> bool {
        self.sub().is_final
    }

    /// The declared supertype, if any.
    pub fn supertype(&self) -> Option<FuncType> {
        match self.sub().supertype.as_ref()? {
            TypeRef::Outer(t) => Some(t.clone()),
            &TypeRef::Rec(i) => Some(FuncType::member(&self.0.group, i)),
        }
    }

    /// Whether a function of type `self` can be used where one of type
    /// `other` is expected: `other` is `self` or one of its declared
    /// supertypes (validation checked that each declared supertype is
    /// matched structurally). The chain is finite: a supertype is always
    /// declared before its subtype.
    pub fn matches(&self, other: &FuncType) -> bool {
        if self == other {
            return true;
        }
        let mut t = self.supertype();
        while let Some(s) = t {
            if s == *other {
                return true;
            }
            t = s.supertype();
        }
        false
    }

    /// Whether a caller holding `params` and expecting `results` can call
    /// a function of type `self` directly: its arguments are subtypes of
    /// the parameters and the results subtypes of what it expects (how a
    /// typed view of a function is checked).
    pub fn accepts(&self, params: &[ValType], results: &[ValType]) -> bool {
        self.params().len() == params.len()
            && self.results().len() == results.len()
            && params
                .iter()
                .zip(self.params().iter())
                .all(|(a, p)| a.matches(p))
            && self
                .results()
                .iter()
                .zip(results)
                .all(|(r, e)| r.matches(e))
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
        list(f, self.params())?;
        f.write_str(" -> ")?;
        list(f, self.results())
    }
}

/// Whether a global can be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Mutability {
    Const,
    Var,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    pub fn content(&self) -> &ValType {
        &self.content
    }
    pub fn mutability(&self) -> Mutability {
        self.mutability
    }
}

/// A table type: element type, index type and limits in elements.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TableType {
    pub element: RefType,
    /// Indexed by `i64` (the memory64 proposal's table64) rather than `i32`.
    pub table64: bool,
    pub minimum: u64,
    pub maximum: Option<u64>,
}

impl TableType {
    /// A table indexed by `i32`.
    pub fn new(element: RefType, minimum: u32, maximum: Option<u32>) -> TableType {
        TableType {
            element,
            table64: false,
            minimum: minimum.into(),
            maximum: maximum.map(Into::into),
        }
    }
    /// A table indexed by `i64`.
    pub fn new64(element: RefType, minimum: u64, maximum: Option<u64>) -> TableType {
        TableType {
            element,
            table64: true,
            minimum,
            maximum,
        }
    }
    pub fn element(&self) -> &RefType {
        &self.element
    }
    /// Whether the table is indexed by `i64`.
    pub fn is_64(&self) -> bool {
        self.table64
    }
    pub fn minimum(&self) -> u64 {
        self.minimum
    }
    pub fn maximum(&self) -> Option<u64> {
        self.maximum
    }
    /// The most elements the index type allows.
    pub(crate) fn index_limit(&self) -> u64 {
        if self.table64 {
            u64::MAX
        } else {
            u32::MAX.into()
        }
    }
}

/// A memory type: index type, page size and limits in pages (of
/// `page_size()` bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MemoryType {
    pub minimum: u64,
    pub maximum: Option<u64>,
    /// Indexed by `i64` (memory64) rather than `i32`.
    pub memory64: bool,
    /// Log2 of the page size in bytes: 16 (64 KiB) unless the
    /// custom-page-sizes proposal says otherwise.
    pub page_size_log2: u8,
}

impl MemoryType {
    /// A memory indexed by `i32`, in 64 KiB pages.
    pub fn new(minimum: u32, maximum: Option<u32>) -> MemoryType {
        MemoryType {
            minimum: minimum.into(),
            maximum: maximum.map(Into::into),
            memory64: false,
            page_size_log2: 16,
        }
    }
    /// A memory indexed by `i64`, in 64 KiB pages.
    pub fn new64(minimum: u64, maximum: Option<u64>) -> MemoryType {
        MemoryType {
            minimum,
            maximum,
            memory64: true,
            page_size_log2: 16,
        }
    }
    pub fn minimum(&self) -> u64 {
        self.minimum
    }
    pub fn maximum(&self) -> Option<u64> {
        self.maximum
    }
    /// Whether the memory is indexed by `i64`.
    pub fn is_64(&self) -> bool {
        self.memory64
    }
    /// The page size in bytes.
    pub fn page_size(&self) -> u64 {
        1 << self.page_size_log2
    }
    pub fn page_size_log2(&self) -> u8 {
        self.page_size_log2
    }
    /// This type with pages of `2^page_size_log2` bytes: 0 (1-byte pages)
    /// or 16 (64 KiB, the default), the sizes of the custom-page-sizes
    /// proposal; a memory of any other size cannot be created.
    pub fn with_page_size_log2(self, page_size_log2: u8) -> MemoryType {
        MemoryType {
            page_size_log2,
            ..self
        }
    }
    /// The most pages the index type and page size allow, whatever the
    /// declared maximum: a 32-bit memory spans at most 4 GiB (less one
    /// byte with 1-byte pages, so that its size fits an `i32`), a 64-bit
    /// one 2^64 bytes (2^48 pages of 64 KiB).
    pub fn absolute_max_pages(&self) -> u64 {
        let (bytes, limit) = match self.memory64 {
            true => (1u128 << 64, u64::MAX),
            false => (1u128 << 32, u64::from(u32::MAX)),
        };
        let pages = bytes.checked_shr(self.page_size_log2.into()).unwrap_or(0);
        u64::try_from(pages).map_or(limit, |p| p.min(limit))
    }
}

/// The type of anything a module can import or export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExternType {
    Func(FuncType),
    Global(GlobalType),
    Table(TableType),
    Memory(MemoryType),
    Tag(TagType),
}

/// The type of an exception tag: the types of the values its exceptions
/// carry, as the parameters of a function type without results.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TagType {
    ty: FuncType,
}

impl TagType {
    /// A tag whose exceptions carry values of `ty`'s parameter types.
    /// Tags of Wasm 3.0 have function types without results; a type with
    /// results is refused where a tag is created.
    pub fn new(ty: FuncType) -> TagType {
        TagType { ty }
    }

    /// The function type of the tag (its parameters are the payload).
    pub fn ty(&self) -> &FuncType {
        &self.ty
    }

    /// The types of the values an exception of this tag carries.
    pub fn params(&self) -> &[ValType] {
        self.ty.params()
    }
}

/// In the text format's order: `func [i32] -> []`, `global (mut i64)`,
/// `table i64 1 10 funcref`, `memory 1 (pagesize 1)`, `tag [i32] -> []`.
impl fmt::Display for ExternType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let limits = |f: &mut fmt::Formatter<'_>, is_64: bool, min: u64, max: Option<u64>| {
            let index = if is_64 { "i64 " } else { "" };
            write!(f, "{index}{min}")?;
            max.map_or(Ok(()), |max| write!(f, " {max}"))
        };
        match self {
            ExternType::Func(t) => write!(f, "func {t}"),
            ExternType::Global(t) => match t.mutability {
                Mutability::Const => write!(f, "global {}", t.content),
                Mutability::Var => write!(f, "global (mut {})", t.content),
            },
            ExternType::Table(t) => {
                f.write_str("table ")?;
                limits(f, t.table64, t.minimum, t.maximum)?;
                write!(f, " {}", t.element)
            }
            ExternType::Memory(t) => {
                f.write_str("memory ")?;
                limits(f, t.memory64, t.minimum, t.maximum)?;
                if t.page_size_log2 != 16 {
                    write!(f, " (pagesize {})", t.page_size())?;
                }
                Ok(())
            }
            ExternType::Tag(t) => write!(f, "tag {}", t.ty),
        }
    }
}

// ---- conversion from wasmparser: the one place unsupported types are refused ----

/// Kiln's heap type of a wasmparser abstract heap type: `func`, `extern`
/// and `exn`; GC's others (and shared ones) are refused by name.
fn abstract_heap_type(shared: bool, ty: wasmparser::AbstractHeapType) -> anyhow::Result<HeapType> {
    use wasmparser::AbstractHeapType as A;
    Ok(match (shared, ty) {
        (false, A::Func) => HeapType::Func,
        (false, A::Extern) => HeapType::Extern,
        (false, A::Exn) => HeapType::Exn,
        (true, _) => anyhow::bail!(
            "shared reference types (shared-everything-threads proposal) are not supported"
        ),
        (false, ty) => {
            let name = match ty {
                A::Any => "any",
                A::None => "none",
                A::NoExtern => "noextern",
                A::NoFunc => "nofunc",
                A::Eq => "eq",
                A::Struct => "struct",
                A::Array => "array",
                A::I31 => "i31",
                A::NoExn => "noexn",
                A::Cont => "cont",
                A::NoCont => "nocont",
                A::Func | A::Extern | A::Exn => unreachable!("matched above"),
            };
            anyhow::bail!("GC heap type `{name}` is not supported")
        }
    })
}

/// Refuses a value type of a function body (a local, a block type, a typed
/// `select`, `ref.null`'s) that names a heap type Kiln does not support;
/// concrete types were checked with the type section.
pub(crate) fn check_body_type(t: wasmparser::ValType) -> anyhow::Result<()> {
    match t {
        wasmparser::ValType::Ref(r) => check_heap_type(r.heap_type()),
        _ => Ok(()),
    }
}

/// Like [`check_body_type`], for a heap type.
pub(crate) fn check_heap_type(h: wasmparser::HeapType) -> anyhow::Result<()> {
    match h {
        wasmparser::HeapType::Abstract { shared, ty } => abstract_heap_type(shared, ty).map(drop),
        wasmparser::HeapType::Concrete(_) => Ok(()),
        wasmparser::HeapType::Exact(_) => {
            anyhow::bail!("exact reference types (custom-descriptors proposal) are not supported")
        }
    }
}

/// Kiln's type of a wasmparser reference type. A concrete type index is
/// resolved in `types`, the module's types so far (a reference to a
/// member of the rec group being read is `rec_group_from`'s to resolve).
pub(crate) fn ref_type_from(t: wasmparser::RefType, types: &[FuncType]) -> anyhow::Result<RefType> {
    use wasmparser::HeapType as H;
    let heap = match t.heap_type() {
        H::Abstract { shared, ty } => abstract_heap_type(shared, ty)?,
        H::Concrete(index) => {
            let ty = index.as_module_index().and_then(|i| types.get(i as usize));
            let Some(ty) = ty else {
                anyhow::bail!("unsupported reference type {t:?} (type index out of reach)")
            };
            HeapType::ConcreteFunc(ty.clone())
        }
        H::Exact(_) => {
            anyhow::bail!("exact reference types (custom-descriptors proposal) are not supported")
        }
    };
    Ok(RefType::new(t.is_nullable(), heap))
}

pub(crate) fn val_type_from(t: wasmparser::ValType, types: &[FuncType]) -> anyhow::Result<ValType> {
    Ok(match t {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => ValType::V128,
        wasmparser::ValType::Ref(r) => ValType::Ref(ref_type_from(r, types)?),
    })
}

/// The types of rec group `group`, read after `types` (the module's types
/// so far): each a member of the group's canonical form, in which a
/// reference to a member is by position in the group and one to an
/// earlier type by that type. GC struct and array types are refused.
pub(crate) fn rec_group_from(
    group: &wasmparser::RecGroup,
    types: &[FuncType],
) -> anyhow::Result<Vec<FuncType>> {
    use wasmparser::UnpackedIndex as U;
    let start = types.len() as u32;
    let n = group.types().len() as u32;
    // A type index: a member of this group, or an earlier type. Read from
    // the binary, every index is a module index (rec-group-relative ones
    // only appear in the validator's canonical copies).
    let resolve = |index: U| -> anyhow::Result<TypeRef> {
        match index {
            U::Module(i) if i >= start && i - start < n => Ok(TypeRef::Rec(i - start)),
            U::Module(i) if i < start => Ok(TypeRef::Outer(types[i as usize].clone())),
            other => anyhow::bail!("type index {other:?} out of reach"),
        }
    };
    let val = |t: &wasmparser::ValType| -> anyhow::Result<GroupValType> {
        if let wasmparser::ValType::Ref(r) = *t
            && let wasmparser::HeapType::Concrete(index) = r.heap_type()
        {
            return Ok(match resolve(index)? {
                TypeRef::Rec(index) => GroupValType::Rec {
                    nullable: r.is_nullable(),
                    index,
                },
                TypeRef::Outer(ty) => GroupValType::Val(ValType::Ref(RefType::new(
                    r.is_nullable(),
                    HeapType::ConcreteFunc(ty),
                ))),
            });
        }
        Ok(GroupValType::Val(val_type_from(*t, types)?))
    };
    let mut members = Vec::with_capacity(n as usize);
    for sub in group.types() {
        let c = &sub.composite_type;
        if c.shared {
            anyhow::bail!("shared types (shared-everything-threads proposal) are not supported");
        }
        if c.descriptor_idx.is_some() || c.describes_idx.is_some() {
            anyhow::bail!("type descriptors (custom-descriptors proposal) are not supported");
        }
        let f = match &c.inner {
            wasmparser::CompositeInnerType::Func(f) => f,
            wasmparser::CompositeInnerType::Struct(_)
            | wasmparser::CompositeInnerType::Array(_) => {
                anyhow::bail!("GC struct/array types are not supported")
            }
            wasmparser::CompositeInnerType::Cont(_) => {
                anyhow::bail!("continuation types (stack-switching proposal) are not supported")
            }
        };
        let supertype = match sub.supertype_idxs.as_slice() {
            [] => None,
            [s] => Some(resolve(s.unpack())?),
            _ => anyhow::bail!("a type with more than one supertype"),
        };
        members.push(SubType {
            is_final: sub.is_final,
            supertype,
            params: f.params().iter().map(val).collect::<anyhow::Result<_>>()?,
            results: f.results().iter().map(val).collect::<anyhow::Result<_>>()?,
        });
    }
    let group = RecGroup::intern(members).map_err(|e| anyhow::anyhow!("invalid rec group: {e}"))?;
    Ok((0..n).map(|i| FuncType::member(&group, i)).collect())
}
