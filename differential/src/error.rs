//! Why an operation of the interpreter did not produce a result: traps
//! (with the spec's messages) and the other, non-trapping failures.

use std::fmt;

/// A trap, i.e. the spec's `trap` administrative instruction, tagged with
/// its cause. [`Trap::message`] is the wording the reference testsuite uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Trap {
    Unreachable,
    IntegerDivideByZero,
    IntegerOverflow,
    InvalidConversionToInteger,
    MemoryOutOfBounds,
    TableOutOfBounds,
    /// `call_indirect` with an index beyond the table's size.
    UndefinedElement,
    /// `call_indirect` through a null table entry.
    UninitializedElement,
    IndirectCallTypeMismatch,
    /// `ref.as_non_null` of a null reference.
    NullReference,
    /// `call_ref` or `return_call_ref` of a null reference.
    NullFunctionReference,
    /// `throw_ref` of a null reference.
    NullExceptionReference,
    /// The call-depth (or value-stack) limit was reached: the spec's
    /// "resource exhaustion" for the call stack.
    CallStackExhausted,
}

impl Trap {
    /// The message the spec testsuite expects for this trap.
    pub fn message(self) -> &'static str {
        match self {
            Trap::Unreachable => "unreachable",
            Trap::IntegerDivideByZero => "integer divide by zero",
            Trap::IntegerOverflow => "integer overflow",
            Trap::InvalidConversionToInteger => "invalid conversion to integer",
            Trap::MemoryOutOfBounds => "out of bounds memory access",
            Trap::TableOutOfBounds => "out of bounds table access",
            Trap::UndefinedElement => "undefined element",
            Trap::UninitializedElement => "uninitialized element",
            Trap::IndirectCallTypeMismatch => "indirect call type mismatch",
            Trap::NullReference => "null reference",
            Trap::NullFunctionReference => "null function reference",
            Trap::NullExceptionReference => "null exception reference",
            Trap::CallStackExhausted => "call stack exhausted",
        }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// Every way an interpreter operation can fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Decoding or validation rejected the module.
    Compile(String),
    /// Import resolution failed (missing import or type mismatch).
    Link(String),
    /// Execution trapped.
    Trap(Trap),
    /// The step budget ran out before execution finished. Distinct from
    /// [`Trap::CallStackExhausted`]: this is the embedder's limit, not Wasm's.
    FuelExhausted,
    /// An exception no handler caught (not a trap): the exception
    /// instance, in the store.
    Exception(crate::value::ExnAddr),
    /// Misuse of the embedding API (wrong argument types, unknown export,
    /// unsupported value, ...).
    Invalid(String),
}

impl From<Trap> for Error {
    fn from(t: Trap) -> Self {
        Error::Trap(t)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Compile(m) => write!(f, "compile error: {m}"),
            Error::Link(m) => write!(f, "link error: {m}"),
            Error::Trap(t) => write!(f, "trap: {t}"),
            Error::FuelExhausted => f.write_str("fuel exhausted"),
            Error::Exception(a) => write!(f, "uncaught exception {a}"),
            Error::Invalid(m) => write!(f, "invalid use: {m}"),
        }
    }
}

impl std::error::Error for Error {}
