//! The native calling conventions of compiled code.
//!
//! Every wasm function, defined or imported, host or wasm, is called as
//! `fn(callee_vmctx: i64, caller_vmctx: i64, params...) -> results` in
//! Cranelift's `tail` calling convention, so that any wasm function can
//! `return_call` any other (Cranelift only tail-calls between `tail`
//! functions): the callee pops its own stack arguments, so a tail call
//! with more stack arguments than its caller received still reuses the
//! caller's frame. Results beyond what fits in registers go through
//! Cranelift's implicit return area, which a tail call passes on.
//!
//! Only wasm-to-wasm calls use it: the host enters wasm through the
//! array-call trampoline and wasm reaches the host and the builtins in the
//! host's own convention (`trampoline.rs`, `vm/builtins.rs`), except at an
//! epoch deadline, where it calls the engine's epoch stub in Cranelift's
//! `preserve_all` convention (`epoch_stub_signature`), which clobbers no
//! register of its caller.
//!
//! Values cross the host boundary as 16-byte `ValRaw` slots (see
//! `trampoline.rs`).

use crate::types::{FuncType, ValType};
use cranelift_codegen::ir::{self, AbiParam, ArgumentPurpose, types};
use cranelift_codegen::isa::CallConv;

/// The CLIF type that carries a wasm value. References are pointers.
pub fn clif_type(ty: &ValType) -> ir::Type {
    match ty {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        ValType::V128 => types::I8X16,
        ValType::Ref(_) => types::I64,
    }
}

/// The calling convention of every wasm function.
pub const WASM_CALL_CONV: CallConv = CallConv::Tail;

/// The signature of a wasm function of type `ty`.
pub fn wasm_signature(ty: &FuncType) -> ir::Signature {
    let mut sig = ir::Signature::new(WASM_CALL_CONV);
    sig.params
        .push(AbiParam::special(types::I64, ArgumentPurpose::VMContext));
    sig.params.push(AbiParam::new(types::I64));
    sig.params
        .extend(ty.params().iter().map(|t| AbiParam::new(clif_type(t))));
    sig.returns
        .extend(ty.results().iter().map(|t| AbiParam::new(clif_type(t))));
    sig
}

/// `fn(vmctx)` in `preserve_all`: how compiled code calls the engine's
/// epoch stub (`trampoline::epoch_stub`).
pub fn epoch_stub_signature() -> ir::Signature {
    let mut sig = ir::Signature::new(CallConv::PreserveAll);
    sig.params.push(AbiParam::new(types::I64));
    sig
}
