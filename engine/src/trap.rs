//! Traps: the codes compiled code raises, and the `Trap` error the
//! embedding API returns with a wasm backtrace.
//!
//! Compiled code raises a trap only by executing a faulting instruction
//! (Cranelift's `trap`/`trapz`/`trapnz`, a guarded memory access, an integer
//! division); `vm/signals.rs` turns the signal into a return to the innermost
//! host→wasm entry, and this module maps the faulting PC's Cranelift code
//! back to a `TrapCode`.

use crate::vm::signals::MAX_TRACE;
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
    /// Module offset of the frame's instruction, if its code has one.
    module_offset: Option<u32>,
    /// Module offset of the function's body.
    func_start: u32,
}

impl FrameInfo {
    pub(crate) fn new(
        module_name: Option<String>,
        func_index: u32,
        func_name: Option<String>,
        module_offset: Option<u32>,
        func_start: u32,
    ) -> FrameInfo {
        FrameInfo {
            module_name,
            func_index,
            func_name,
            module_offset,
            func_start,
        }
    }

    /// The offset, in the module's bytes, of the wasm instruction this
    /// frame was at: the trapping instruction in the innermost frame, the
    /// call in the others. `None` for code that belongs to no
    /// instruction: a trap in the function's prologue (the stack-limit
    /// check of a `StackOverflow`, or the fuel or epoch check on entry).
    /// wasmtime's `FrameInfo::module_offset`.
    pub fn module_offset(&self) -> Option<usize> {
        self.module_offset.map(|o| o as usize)
    }

    /// [`FrameInfo::module_offset`] relative to the start of the
    /// function's body in the module (the byte after the body's size, where
    /// its locals are declared), as wasmtime's `FrameInfo::func_offset`.
    pub fn func_offset(&self) -> Option<usize> {
        let offset = self.module_offset?.checked_sub(self.func_start)?;
        Some(offset as usize)
    }
}

/// `0x1a - module!function`, as wasmtime prints a frame: the module
/// offset when the frame has one, then the names.
impl fmt::Display for FrameInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(offset) = self.module_offset {
            write!(f, "{offset:#x} - ")?;
        }
        if let Some(m) = &self.module_name {
            write!(f, "{m}!")?;
        }
        match &self.func_name {
            Some(n) => write!(f, "{n}"),
            None => write!(f, "<wasm function {}>", self.func_index),
        }
    }
}

/// Wasm frames, innermost first, at most [`MAX_TRACE`] of them, and a
/// count of those left out: what `Trap` and `WasmBacktrace` hold.
#[derive(Clone, Debug, Default)]
struct Frames {
    frames: Vec<FrameInfo>,
    omitted: usize,
}

impl Frames {
    /// Add `outer`, the frames of an outer activation (wasm that called
    /// the host function whose call these frames are under), keeping the
    /// innermost [`MAX_TRACE`].
    fn extend(&mut self, outer: Frames) {
        let room = MAX_TRACE.saturating_sub(self.frames.len());
        let kept = outer.frames.len().min(room);
        self.omitted += outer.frames.len() - kept + outer.omitted;
        self.frames.extend(outer.frames.into_iter().take(kept));
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, frame) in self.frames.iter().enumerate() {
            write!(f, "\n  {i}: {frame}")?;
        }
        match self.omitted {
            0 => Ok(()),
            1 => f.write_str("\n  ... 1 more frame"),
            n => write!(f, "\n  ... {n} more frames"),
        }
    }
}

/// The wasm frames under a host function whose error stopped wasm:
/// attached to that error as `anyhow` context, wasmtime's way, so the
/// error itself is still there (`err.downcast_ref::<MyError>()` finds it,
/// and `err.root_cause()` is it) and `err.downcast_ref::<WasmBacktrace>()`
/// finds the frames. Its `Display` is the first line of the error
/// (`{err}`); `{err:#}` and `{err:?}` go on to the host's own message.
/// Unlike wasmtime, the errors of a resource limiter or an epoch callback
/// get none: they are returned unchanged.
#[derive(Clone, Debug)]
pub struct WasmBacktrace {
    frames: Frames,
}

impl WasmBacktrace {
    /// Wasm frames, innermost first (the caller of the host function
    /// first): at most 64, of every wasm activation on the stack.
    pub fn frames(&self) -> &[FrameInfo] {
        &self.frames.frames
    }

    /// How many wasm frames, beyond [`WasmBacktrace::frames`], the stack had.
    pub fn omitted_frames(&self) -> usize {
        self.frames.omitted
    }
}

impl fmt::Display for WasmBacktrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("error while executing at wasm backtrace:")?;
        self.frames.write(f)
    }
}

/// `error`, which a host function returned to wasm, with the
/// wasm frames under that call: its `Trap` or `WasmBacktrace`, if it
/// already has one (it came out of a nested call into wasm: these frames
/// are outside it), is extended, else a `WasmBacktrace` is attached.
pub(crate) fn with_backtrace(
    mut error: anyhow::Error,
    frames: Vec<FrameInfo>,
    omitted: usize,
) -> anyhow::Error {
    let outer = Frames { frames, omitted };
    if outer.frames.is_empty() && outer.omitted == 0 {
        return error;
    }
    if let Some(trap) = error.downcast_mut::<Trap>() {
        trap.frames.extend(outer);
    } else if let Some(bt) = error.downcast_mut::<WasmBacktrace>() {
        bt.frames.extend(outer);
    } else {
        error = error.context(WasmBacktrace { frames: outer });
    }
    error
}

/// A wasm trap: a code and the wasm frames active when it happened,
/// innermost first (the innermost 64; `Display` ends with "... N more
/// frames" when there were more). Returned inside `anyhow::Error`; get it back with
/// `err.downcast_ref::<Trap>()`.
#[derive(Clone, Debug)]
pub struct Trap {
    code: TrapCode,
    frames: Frames,
}

impl Trap {
    pub(crate) fn new(code: TrapCode, backtrace: Vec<FrameInfo>) -> Trap {
        Trap {
            code,
            frames: Frames {
                frames: backtrace,
                omitted: 0,
            },
        }
    }

    /// The same trap, whose stack had `n` wasm frames beyond its trace.
    pub(crate) fn with_omitted_frames(mut self, n: usize) -> Trap {
        self.frames.omitted = n;
        self
    }

    pub fn code(&self) -> TrapCode {
        self.code
    }

    /// Wasm frames at the trap, innermost first: at most 64, the
    /// innermost ones of a deeper stack (see [`Trap::omitted_frames`]).
    pub fn trace(&self) -> &[FrameInfo] {
        &self.frames.frames
    }

    /// How many wasm frames, outside those in [`Trap::trace`], the stack
    /// had when the trap happened.
    pub fn omitted_frames(&self) -> usize {
        self.frames.omitted
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wasm trap: {}", self.code)?;
        if !self.frames.frames.is_empty() {
            f.write_str("\nwasm backtrace:")?;
            self.frames.write(f)?;
        }
        Ok(())
    }
}

impl std::error::Error for Trap {}

impl std::error::Error for WasmBacktrace {}
