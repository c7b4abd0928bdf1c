//! The native calling conventions of compiled code.
//!
//! Every wasm function, defined or imported, host or wasm, is called as
//! `fn(callee_vmctx: i64, caller_vmctx: i64, params...) -> results` in the
//! ISA's default calling convention. Results beyond what fits in registers
//! go through Cranelift's implicit return area.
//!
//! Values cross the host boundary as 16-byte `ValRaw` slots (see
//! `trampoline.rs`).

use crate::types::{FuncType, ValType};
use cranelift_codegen::ir::{self, AbiParam, ArgumentPurpose, types};
use cranelift_codegen::isa::CallConv;

/// The CLIF type that carries a wasm value. References are pointers.
pub fn clif_type(ty: ValType) -> ir::Type {
    match ty {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        ValType::V128 => types::I8X16,
        ValType::Ref(_) => types::I64,
    }
}

/// The signature of a wasm function of type `ty`.
pub fn wasm_signature(call_conv: CallConv, ty: &FuncType) -> ir::Signature {
    let mut sig = ir::Signature::new(call_conv);
    sig.params
        .push(AbiParam::special(types::I64, ArgumentPurpose::VMContext));
    sig.params.push(AbiParam::new(types::I64));
    sig.params
        .extend(ty.params().iter().map(|&t| AbiParam::new(clif_type(t))));
    sig.returns
        .extend(ty.results().iter().map(|&t| AbiParam::new(clif_type(t))));
    sig
}
