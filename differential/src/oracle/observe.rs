//! What the oracle observes of an execution, in a form that does not depend
//! on which implementation produced it: argument values, result values,
//! outcomes of a call, and snapshots of the exported state.
//!
//! Every side (engine, interpreter, wasmi) translates its own values into
//! these types; [`super::compare`] then judges them without knowing where
//! they came from.

use std::collections::BTreeMap;
use std::fmt;

/// A value as observed at the boundary. Floats are raw bits, so the
/// comparison rules (not the representation) decide how NaNs compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Obs {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    /// A 128-bit vector, raw bits, lane `i` of width `N` in bits
    /// `N*i..N*(i+1)` (memory order). Its lane interpretation is unknown
    /// at the boundary, so it compares bit-exactly (see
    /// [`super::compare`]).
    V128(u128),
    /// A function reference: `None` is null, `Some(id)` names the function
    /// by its [`RefIds`] number (exported functions first, in export
    /// order, then others in order of first sighting).
    FuncRef(Option<u32>),
    /// An external reference: `None` is null, `Some(n)` is the payload the
    /// oracle gave it when passing it in as an argument.
    ExternRef(Option<u32>),
    /// An exception reference; only null-ness is compared (an exception
    /// that escapes is compared in full: [`Outcome::Thrown`]).
    ExnRef {
        is_null: bool,
    },
}

impl fmt::Display for Obs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Obs::I32(v) => write!(f, "i32:{v}"),
            Obs::I64(v) => write!(f, "i64:{v}"),
            Obs::F32(b) => write!(f, "f32:{:?}(0x{b:08x})", f32::from_bits(*b)),
            Obs::F64(b) => write!(f, "f64:{:?}(0x{b:016x})", f64::from_bits(*b)),
            Obs::V128(b) => write!(f, "v128:{}", v128_text(*b)),
            Obs::FuncRef(None) => f.write_str("funcref:null"),
            Obs::FuncRef(Some(id)) => write!(f, "funcref:#{id}"),
            Obs::ExternRef(None) => f.write_str("externref:null"),
            Obs::ExternRef(Some(n)) => write!(f, "externref:{n}"),
            Obs::ExnRef { is_null: true } => f.write_str("exnref:null"),
            Obs::ExnRef { is_null: false } => f.write_str("exnref"),
        }
    }
}

/// A v128 as text: its 32-bit lanes in lane order (as `v128.const i32x4`
/// writes them), which reads more easily than one 128-bit number.
pub fn v128_text(bits: u128) -> String {
    let lanes: Vec<String> = (0..4)
        .map(|i| format!("0x{:08x}", (bits >> (32 * i)) as u32))
        .collect();
    format!("i32x4[{}]", lanes.join(" "))
}

/// An argument the oracle passes to an exported function. Function
/// references name an export, so every side can resolve them to its own
/// handle for the same function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    FuncRef(Option<String>),
    ExternRef(Option<u32>),
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::I32(v) => write!(f, "{}", Obs::I32(*v)),
            Arg::I64(v) => write!(f, "{}", Obs::I64(*v)),
            Arg::F32(v) => write!(f, "{}", Obs::F32(*v)),
            Arg::F64(v) => write!(f, "{}", Obs::F64(*v)),
            Arg::V128(v) => write!(f, "{}", Obs::V128(*v)),
            Arg::FuncRef(None) => f.write_str("funcref:null"),
            Arg::FuncRef(Some(name)) => write!(f, "funcref:{name:?}"),
            Arg::ExternRef(r) => write!(f, "{}", Obs::ExternRef(*r)),
        }
    }
}

/// Why a call trapped, unified across implementations. Each side maps its
/// own trap codes here; the spec's distinctions that some implementations
/// do not make ("undefined element" vs "out of bounds table access") are
/// merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrapKind {
    Unreachable,
    MemoryOutOfBounds,
    /// Table access out of bounds, including `call_indirect`'s index.
    TableOutOfBounds,
    IndirectCallToNull,
    IndirectCallTypeMismatch,
    IntegerOverflow,
    IntegerDivideByZero,
    InvalidConversionToInteger,
    NullReference,
    NullFunctionReference,
    NullExceptionReference,
}

/// A resource limit of one implementation: hitting it is not a Wasm
/// behaviour, so the sides may legitimately disagree about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Limit {
    /// The embedder's fuel (engine, wasmi) or step budget (interpreter).
    Fuel,
    /// The call stack: native stack bytes in the engine, frame depth in
    /// the interpreter and wasmi.
    Stack,
}

/// How an instantiation or a call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Returned normally with these results (none for instantiation).
    Returned(Vec<Obs>),
    Trapped(TrapKind),
    /// An exception escaped: its tag (the name the instance exports it
    /// under, if any, else `#` and its payload arity: tags of the
    /// instance are compared by export, the only identity both sides'
    /// APIs show) and its payload.
    Thrown {
        tag: String,
        payload: Vec<Obs>,
    },
    Exhausted(Limit),
    /// Anything else: a compile or link error, an embedding error. Always
    /// suspicious for generated modules.
    Failed(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Returned(vals) => {
                f.write_str("returned [")?;
                for (i, v) in vals.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Outcome::Trapped(k) => write!(f, "trapped: {k:?}"),
            Outcome::Thrown { tag, payload } => {
                write!(f, "threw {tag} [")?;
                for (i, v) in payload.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Outcome::Exhausted(l) => write!(f, "exhausted: {l:?}"),
            Outcome::Failed(m) => write!(f, "failed: {m}"),
        }
    }
}

/// One exported memory as observed: its size and a hash of its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryObs {
    pub bytes: usize,
    pub hash: u64,
}

impl MemoryObs {
    /// The observation of a memory whose bytes are `data`.
    pub fn of(data: &[u8]) -> MemoryObs {
        MemoryObs {
            bytes: data.len(),
            hash: hash_bytes(data),
        }
    }
}

/// The exported state after a call, keyed by export name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub globals: BTreeMap<String, Obs>,
    pub memories: BTreeMap<String, MemoryObs>,
    /// Every slot of each exported table, as a reference value.
    pub tables: BTreeMap<String, Vec<Obs>>,
}

/// Hash of a memory's bytes. `DefaultHasher::new()` is deterministic
/// within a build, which is all a comparison inside one process needs.
fn hash_bytes(bytes: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = std::hash::DefaultHasher::new();
    h.write(bytes);
    h.finish()
}

/// Numbers function references by identity, in order of first sighting.
/// Each side keeps one per instance and registers the exported functions
/// first, in export order; since all sides observe values in the same
/// order, equal numbers mean "the same function" on every side, without
/// comparing handles across implementations.
#[derive(Debug)]
pub struct RefIds<T> {
    known: Vec<T>,
}

impl<T> Default for RefIds<T> {
    fn default() -> Self {
        RefIds { known: Vec::new() }
    }
}

impl<T: PartialEq> RefIds<T> {
    /// The number of `handle`, assigning the next one if it is new.
    pub fn id(&mut self, handle: T) -> u32 {
        if let Some(i) = self.known.iter().position(|k| *k == handle) {
            return i as u32;
        }
        self.known.push(handle);
        (self.known.len() - 1) as u32
    }
}
