//! Traps: the codes compiled code raises, and the `Trap` error the
//! embedding API returns with a wasm backtrace.
//!
//! Compiled code raises a trap only by executing a faulting instruction
//! (Cranelift's `trap`/`trapz`/`trapnz`, a guarded memory access, an integer
//! division); `vm/signals.rs` turns the signal into a return to the innermost
//! host→wasm entry, and this module maps the faulting PC's Cranelift code
//! back to a `TrapCode`.

use crate::vm::trap_codes;
use cranelift_codegen::ir;
use std::fmt;

/// Why wasm execution stopped abnormally.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrapCode {
    /// Call stack exhausted (`assert_exhaustion`).
    StackOverflow,
    /// Out-of-bounds linear memory access.
    MemoryOutOfBounds,
    /// Out-of-bounds table access (including `call_indirect`'s index).
    TableOutOfBounds,
    /// `call_indirect` found a null element.
    IndirectCallToNull,
    /// `call_indirect` found a function of another type.
    BadSignature,
    /// Signed division overflow or float-to-int conversion out of range.
    IntegerOverflow,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero,
    /// Float-to-int conversion of NaN.
    BadConversionToInteger,
    /// The `unreachable` instruction.
    UnreachableCodeReached,
    /// A null reference was dereferenced (`ref.as_non_null`).
    NullReference,
    /// `call_ref` or `return_call_ref` of a null reference.
    NullFunctionReference,
    /// The store ran out of fuel.
    OutOfFuel,
    /// The store's epoch deadline passed (`Config::epoch_interruption`).
    Interrupt,
    /// `throw_ref` of a null exception reference.
    NullExceptionReference,
}

impl TrapCode {
    /// The spec test suite's wording for this trap.
    pub fn message(self) -> &'static str {
        match self {
            TrapCode::StackOverflow => "call stack exhausted",
            TrapCode::MemoryOutOfBounds => "out of bounds memory access",
            TrapCode::TableOutOfBounds => "undefined element",
            TrapCode::IndirectCallToNull => "uninitialized element",
            TrapCode::BadSignature => "indirect call type mismatch",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::IntegerDivisionByZero => "integer divide by zero",
            TrapCode::BadConversionToInteger => "invalid conversion to integer",
            TrapCode::UnreachableCodeReached => "unreachable",
            TrapCode::NullReference => "null reference",
            TrapCode::NullFunctionReference => "null function reference",
            TrapCode::OutOfFuel => "all fuel consumed",
            TrapCode::Interrupt => "interrupt",
            TrapCode::NullExceptionReference => "null exception reference",
        }
    }

    /// Maps a Cranelift trap code from a trap table. `HOST_ERROR` has no
    /// `TrapCode`: the caller takes the pending error instead.
    pub(crate) fn from_ir(code: ir::TrapCode) -> Option<TrapCode> {
        Some(match code {
            ir::TrapCode::STACK_OVERFLOW => TrapCode::StackOverflow,
            ir::TrapCode::HEAP_OUT_OF_BOUNDS => TrapCode::MemoryOutOfBounds,
            ir::TrapCode::INTEGER_OVERFLOW => TrapCode::IntegerOverflow,
            ir::TrapCode::INTEGER_DIVISION_BY_ZERO => TrapCode::IntegerDivisionByZero,
            ir::TrapCode::BAD_CONVERSION_TO_INTEGER => TrapCode::BadConversionToInteger,
            trap_codes::TABLE_OUT_OF_BOUNDS => TrapCode::TableOutOfBounds,
            trap_codes::INDIRECT_CALL_TO_NULL => TrapCode::IndirectCallToNull,
            trap_codes::BAD_SIGNATURE => TrapCode::BadSignature,
            trap_codes::UNREACHABLE => TrapCode::UnreachableCodeReached,
            trap_codes::OUT_OF_FUEL => TrapCode::OutOfFuel,
            trap_codes::NULL_REFERENCE => TrapCode::NullReference,
            trap_codes::NULL_FUNC_REFERENCE => TrapCode::NullFunctionReference,
            trap_codes::INTERRUPT => TrapCode::Interrupt,
            trap_codes::NULL_EXN_REFERENCE => TrapCode::NullExceptionReference,
            _ => return None,
        })
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// One wasm frame of a trap's backtrace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameInfo {
    /// Name of the module (from its name section), if it has one.
    pub module_name: Option<String>,
    /// Index of the function in its module's function index space.
    pub func_index: u32,
    /// Name of the function (from the name section), if it has one.
    pub func_name: Option<String>,
}

impl fmt::Display for FrameInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(m) = &self.module_name {
            write!(f, "{m}!")?;
        }
        match &self.func_name {
            Some(n) => write!(f, "{n}"),
            None => write!(f, "<wasm function {}>", self.func_index),
        }
    }
}

/// A wasm trap: a code and the wasm frames active when it happened,
/// innermost first (the innermost 64; `Display` ends with "... N more
/// frames" when there were more). Returned inside `anyhow::Error`; get it back with
/// `err.downcast_ref::<Trap>()`.
#[derive(Clone, Debug)]
pub struct Trap {
    code: TrapCode,
    backtrace: Vec<FrameInfo>,
    omitted: usize,
}

impl Trap {
    pub(crate) fn new(code: TrapCode, backtrace: Vec<FrameInfo>) -> Trap {
        Trap {
            code,
            backtrace,
            omitted: 0,
        }
    }

    /// The same trap, whose stack had `n` wasm frames beyond its trace.
    pub(crate) fn with_omitted_frames(mut self, n: usize) -> Trap {
        self.omitted = n;
        self
    }

    pub fn code(&self) -> TrapCode {
        self.code
    }

    /// Wasm frames at the trap, innermost first: at most 64, the
    /// innermost ones of a deeper stack (see [`Trap::omitted_frames`]).
    pub fn trace(&self) -> &[FrameInfo] {
        &self.backtrace
    }

    /// How many wasm frames, outside those in [`Trap::trace`], the stack
    /// had when the trap happened.
    pub fn omitted_frames(&self) -> usize {
        self.omitted
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wasm trap: {}", self.code)?;
        if !self.backtrace.is_empty() {
            f.write_str("\nwasm backtrace:")?;
            for (i, frame) in self.backtrace.iter().enumerate() {
                write!(f, "\n  {i}: {frame}")?;
            }
            match self.omitted {
                0 => {}
                1 => f.write_str("\n  ... 1 more frame")?,
                n => write!(f, "\n  ... {n} more frames")?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for Trap {}
