//! Numeric operators that are more than one CLIF instruction.
//!
//! Division and remainder check their operands explicitly rather than rely
//! on the backend's implicit traps, so every ISA reports the trap codes wasm
//! needs, and `rem_s(MIN, -1)` yields 0 as wasm requires instead of
//! trapping like the hardware division would.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, TrapCode, Type, Value, types};
use cranelift_frontend::FunctionBuilder;

fn int_min(ty: Type) -> i64 {
    match ty {
        types::I32 => i64::from(i32::MIN as u32),
        _ => i64::MIN,
    }
}

pub(super) fn div_s(b: &mut FunctionBuilder<'_>, x: Value, y: Value) -> Value {
    let ty = b.func.dfg.value_type(x);
    b.ins().trapz(y, TrapCode::INTEGER_DIVISION_BY_ZERO);
    let x_min = b.ins().icmp_imm_u(IntCC::Equal, x, int_min(ty));
    let y_neg1 = b.ins().icmp_imm_s(IntCC::Equal, y, -1);
    let overflow = b.ins().band(x_min, y_neg1);
    b.ins().trapnz(overflow, TrapCode::INTEGER_OVERFLOW);
    b.ins().sdiv(x, y)
}

pub(super) fn div_u(b: &mut FunctionBuilder<'_>, x: Value, y: Value) -> Value {
    b.ins().trapz(y, TrapCode::INTEGER_DIVISION_BY_ZERO);
    b.ins().udiv(x, y)
}

pub(super) fn rem_s(b: &mut FunctionBuilder<'_>, x: Value, y: Value) -> Value {
    let ty = b.func.dfg.value_type(x);
    b.ins().trapz(y, TrapCode::INTEGER_DIVISION_BY_ZERO);
    // `x rem -1` is 0 for every x, and so is `x rem 1`; dividing by 1
    // avoids the MIN / -1 overflow the machine division would fault on.
    let y_neg1 = b.ins().icmp_imm_s(IntCC::Equal, y, -1);
    let one = b.ins().iconst(ty, 1);
    let divisor = b.ins().select(y_neg1, one, y);
    b.ins().srem(x, divisor)
}

pub(super) fn rem_u(b: &mut FunctionBuilder<'_>, x: Value, y: Value) -> Value {
    b.ins().trapz(y, TrapCode::INTEGER_DIVISION_BY_ZERO);
    b.ins().urem(x, y)
}

/// Bit-preserving int ↔ float reinterpretation.
pub(super) fn reinterpret(b: &mut FunctionBuilder<'_>, to: Type, x: Value) -> Value {
    // Scalar bitcasts take no flags beyond endianness.
    b.ins().bitcast(to, MemFlagsData::new(), x)
}

/// Sign-extends the low `narrow` bits of `x` in place (the sign-extension
/// proposal's `extendN_s`).
pub(super) fn sign_extend_low(b: &mut FunctionBuilder<'_>, x: Value, narrow: Type) -> Value {
    let ty = b.func.dfg.value_type(x);
    let low = b.ins().ireduce(narrow, x);
    b.ins().sextend(ty, low)
}
