//! Numeric operators: constants, comparisons, integer and float
//! arithmetic, conversions. Most are one CLIF instruction with exactly
//! wasm's semantics (Cranelift masks shift and rotate amounts by the bit
//! width, and its float operators follow IEEE 754 as wasm does); the free
//! functions below are the ones that need more.
//!
//! Division and remainder check their operands explicitly rather than rely
//! on the backend's implicit traps, so every ISA reports the trap codes wasm
//! needs. `rem_s(MIN, -1)` needs no check: Cranelift's `srem` defines it
//! as 0, as wasm does, whatever the hardware division would do.

use super::Translator;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, TrapCode, Type, Value, types};
use cranelift_frontend::FunctionBuilder;

impl Translator<'_, '_> {
    operators! { t;
        // ---- constants ----
        visit_i32_const(value: i32) => {
            let v = t.b.ins().iconst(types::I32, i64::from(value as u32));
            t.push(v)
        };
        visit_i64_const(value: i64) => {
            let v = t.b.ins().iconst(types::I64, value);
            t.push(v)
        };
        visit_f32_const(value: wasmparser::Ieee32) => {
            let v = t.b.ins().f32const(Ieee32::with_bits(value.bits()));
            t.push(v)
        };
        visit_f64_const(value: wasmparser::Ieee64) => {
            let v = t.b.ins().f64const(Ieee64::with_bits(value.bits()));
            t.push(v)
        };

        // ---- integer comparisons ----
        visit_i32_eqz | visit_i64_eqz => t.unop(|b, x| {
            let c = b.ins().icmp_imm_u(IntCC::Equal, x, 0);
            b.ins().uextend(types::I32, c)
        });
        visit_i32_eq | visit_i64_eq => t.icmp(IntCC::Equal);
        visit_i32_ne | visit_i64_ne => t.icmp(IntCC::NotEqual);
        visit_i32_lt_s | visit_i64_lt_s => t.icmp(IntCC::SignedLessThan);
        visit_i32_lt_u | visit_i64_lt_u => t.icmp(IntCC::UnsignedLessThan);
        visit_i32_gt_s | visit_i64_gt_s => t.icmp(IntCC::SignedGreaterThan);
        visit_i32_gt_u | visit_i64_gt_u => t.icmp(IntCC::UnsignedGreaterThan);
        visit_i32_le_s | visit_i64_le_s => t.icmp(IntCC::SignedLessThanOrEqual);
        visit_i32_le_u | visit_i64_le_u => t.icmp(IntCC::UnsignedLessThanOrEqual);
        visit_i32_ge_s | visit_i64_ge_s => t.icmp(IntCC::SignedGreaterThanOrEqual);
        visit_i32_ge_u | visit_i64_ge_u => t.icmp(IntCC::UnsignedGreaterThanOrEqual);

        // ---- float comparisons (ordered except `ne`, as wasm says) ----
        visit_f32_eq | visit_f64_eq => t.fcmp(FloatCC::Equal);
        visit_f32_ne | visit_f64_ne => t.fcmp(FloatCC::NotEqual);
        visit_f32_lt | visit_f64_lt => t.fcmp(FloatCC::LessThan);
        visit_f32_gt | visit_f64_gt => t.fcmp(FloatCC::GreaterThan);
        visit_f32_le | visit_f64_le => t.fcmp(FloatCC::LessThanOrEqual);
        visit_f32_ge | visit_f64_ge => t.fcmp(FloatCC::GreaterThanOrEqual);

        // ---- integer arithmetic ----
        visit_i32_clz | visit_i64_clz => t.unop(|b, x| b.ins().clz(x));
        visit_i32_ctz | visit_i64_ctz => t.unop(|b, x| b.ins().ctz(x));
        visit_i32_popcnt | visit_i64_popcnt => t.unop(|b, x| b.ins().popcnt(x));
        visit_i32_add | visit_i64_add => t.binop(|b, x, y| b.ins().iadd(x, y));
        visit_i32_sub | visit_i64_sub => t.binop(|b, x, y| b.ins().isub(x, y));
        visit_i32_mul | visit_i64_mul => t.binop(|b, x, y| b.ins().imul(x, y));
        visit_i32_div_s | visit_i64_div_s => t.binop(div_s);
        visit_i32_div_u | visit_i64_div_u => t.binop(div_u);
        visit_i32_rem_s | visit_i64_rem_s => t.binop(rem_s);
        visit_i32_rem_u | visit_i64_rem_u => t.binop(rem_u);
        visit_i32_and | visit_i64_and => t.binop(|b, x, y| b.ins().band(x, y));
        visit_i32_or | visit_i64_or => t.binop(|b, x, y| b.ins().bor(x, y));
        visit_i32_xor | visit_i64_xor => t.binop(|b, x, y| b.ins().bxor(x, y));
        visit_i32_shl | visit_i64_shl => t.binop(|b, x, y| b.ins().ishl(x, y));
        visit_i32_shr_s | visit_i64_shr_s => t.binop(|b, x, y| b.ins().sshr(x, y));
        visit_i32_shr_u | visit_i64_shr_u => t.binop(|b, x, y| b.ins().ushr(x, y));
        visit_i32_rotl | visit_i64_rotl => t.binop(|b, x, y| b.ins().rotl(x, y));
        visit_i32_rotr | visit_i64_rotr => t.binop(|b, x, y| b.ins().rotr(x, y));
        visit_i32_extend8_s | visit_i64_extend8_s => {
            t.unop(|b, x| sign_extend_low(b, x, types::I8))
        };
        visit_i32_extend16_s | visit_i64_extend16_s => {
            t.unop(|b, x| sign_extend_low(b, x, types::I16))
        };
        visit_i64_extend32_s => t.unop(|b, x| sign_extend_low(b, x, types::I32));

        // ---- float arithmetic ----
        visit_f32_abs | visit_f64_abs => t.unop(|b, x| b.ins().fabs(x));
        visit_f32_neg | visit_f64_neg => t.unop(|b, x| b.ins().fneg(x));
        visit_f32_ceil | visit_f64_ceil => t.unop(|b, x| b.ins().ceil(x));
        visit_f32_floor | visit_f64_floor => t.unop(|b, x| b.ins().floor(x));
        visit_f32_trunc | visit_f64_trunc => t.unop(|b, x| b.ins().trunc(x));
        visit_f32_nearest | visit_f64_nearest => t.unop(|b, x| b.ins().nearest(x));
        visit_f32_sqrt | visit_f64_sqrt => t.unop(|b, x| b.ins().sqrt(x));
        visit_f32_add | visit_f64_add => t.binop(|b, x, y| b.ins().fadd(x, y));
        visit_f32_sub | visit_f64_sub => t.binop(|b, x, y| b.ins().fsub(x, y));
        visit_f32_mul | visit_f64_mul => t.binop(|b, x, y| b.ins().fmul(x, y));
        visit_f32_div | visit_f64_div => t.binop(|b, x, y| b.ins().fdiv(x, y));
        visit_f32_min | visit_f64_min => t.binop(|b, x, y| b.ins().fmin(x, y));
        visit_f32_max | visit_f64_max => t.binop(|b, x, y| b.ins().fmax(x, y));
        visit_f32_copysign | visit_f64_copysign => t.binop(|b, x, y| b.ins().fcopysign(x, y));

        // ---- conversions ----
        visit_i32_wrap_i64 => t.unop(|b, x| b.ins().ireduce(types::I32, x));
        visit_i64_extend_i32_s => t.unop(|b, x| b.ins().sextend(types::I64, x));
        visit_i64_extend_i32_u => t.unop(|b, x| b.ins().uextend(types::I64, x));
        visit_i32_trunc_f32_s | visit_i32_trunc_f64_s => {
            t.unop(|b, x| b.ins().fcvt_to_sint(types::I32, x))
        };
        visit_i32_trunc_f32_u | visit_i32_trunc_f64_u => {
            t.unop(|b, x| b.ins().fcvt_to_uint(types::I32, x))
        };
        visit_i64_trunc_f32_s | visit_i64_trunc_f64_s => {
            t.unop(|b, x| b.ins().fcvt_to_sint(types::I64, x))
        };
        visit_i64_trunc_f32_u | visit_i64_trunc_f64_u => {
            t.unop(|b, x| b.ins().fcvt_to_uint(types::I64, x))
        };
        visit_i32_trunc_sat_f32_s | visit_i32_trunc_sat_f64_s => {
            t.unop(|b, x| b.ins().fcvt_to_sint_sat(types::I32, x))
        };
        visit_i32_trunc_sat_f32_u | visit_i32_trunc_sat_f64_u => {
            t.unop(|b, x| b.ins().fcvt_to_uint_sat(types::I32, x))
        };
        visit_i64_trunc_sat_f32_s | visit_i64_trunc_sat_f64_s => {
            t.unop(|b, x| b.ins().fcvt_to_sint_sat(types::I64, x))
        };
        visit_i64_trunc_sat_f32_u | visit_i64_trunc_sat_f64_u => {
            t.unop(|b, x| b.ins().fcvt_to_uint_sat(types::I64, x))
        };
        visit_f32_convert_i32_s | visit_f32_convert_i64_s => {
            t.unop(|b, x| b.ins().fcvt_from_sint(types::F32, x))
        };
        visit_f32_convert_i32_u | visit_f32_convert_i64_u => {
            t.unop(|b, x| b.ins().fcvt_from_uint(types::F32, x))
        };
        visit_f64_convert_i32_s | visit_f64_convert_i64_s => {
            t.unop(|b, x| b.ins().fcvt_from_sint(types::F64, x))
        };
        visit_f64_convert_i32_u | visit_f64_convert_i64_u => {
            t.unop(|b, x| b.ins().fcvt_from_uint(types::F64, x))
        };
        visit_f32_demote_f64 => t.unop(|b, x| b.ins().fdemote(types::F32, x));
        visit_f64_promote_f32 => t.unop(|b, x| b.ins().fpromote(types::F64, x));
        visit_i32_reinterpret_f32 => t.unop(|b, x| reinterpret(b, types::I32, x));
        visit_i64_reinterpret_f64 => t.unop(|b, x| reinterpret(b, types::I64, x));
        visit_f32_reinterpret_i32 => t.unop(|b, x| reinterpret(b, types::F32, x));
        visit_f64_reinterpret_i64 => t.unop(|b, x| reinterpret(b, types::F64, x));

        // ---- wide arithmetic (proposal): 128-bit values as (low, high) ----
        visit_i64_add128 => t.wide_add_sub(|b, x, y| b.ins().iadd(x, y));
        visit_i64_sub128 => t.wide_add_sub(|b, x, y| b.ins().isub(x, y));
        visit_i64_mul_wide_s => t.mul_wide(|b, x, y| b.ins().smulhi(x, y));
        visit_i64_mul_wide_u => t.mul_wide(|b, x, y| b.ins().umulhi(x, y));
    }

    /// `i64.add128`/`i64.sub128`: `[lo1 hi1 lo2 hi2] -> [lo hi]`, one `i128`
    /// operation (add/adc or sub/sbb on x86-64).
    fn wide_add_sub(&mut self, op: impl FnOnce(&mut FunctionBuilder<'_>, Value, Value) -> Value) {
        let (hi2, lo2) = (self.pop(), self.pop());
        let (hi1, lo1) = (self.pop(), self.pop());
        let x = self.b.ins().iconcat(lo1, hi1);
        let y = self.b.ins().iconcat(lo2, hi2);
        let r = op(&mut self.b, x, y);
        let (lo, hi) = self.b.ins().isplit(r);
        self.push(lo);
        self.push(hi);
    }

    /// `i64.mul_wide_s/u`: `[x y] -> [lo hi]` of the full 128-bit product;
    /// the low half is the same either way, `high` gives the high half.
    fn mul_wide(&mut self, high: impl FnOnce(&mut FunctionBuilder<'_>, Value, Value) -> Value) {
        let (x, y) = self.pop2();
        let lo = self.b.ins().imul(x, y);
        let hi = high(&mut self.b, x, y);
        self.push(lo);
        self.push(hi);
    }
}

fn int_min(ty: Type) -> i64 {
    match ty {
        types::I32 => i64::from(i32::MIN as u32),
        _ => i64::MIN,
    }
}

fn div_s(b: &mut FunctionBuilder<'_>, x: Value, y: Value) -> Value {
    let ty = b.func.dfg.value_type(x);
    b.ins().trapz(y, TrapCode::INTEGER_DIVISION_BY_ZERO);
    let x_min = b.ins().icmp_imm_u(IntCC::Equal, x, int_min(ty));
    let y_neg1 = b.ins().icmp_imm_s(IntCC::Equal, y, -1);
    let overflow = b.ins().band(x_min, y_neg1);
    b.ins().trapnz(overflow, TrapCode::INTEGER_OVERFLOW);
    b.ins().sdiv(x, y)
}

fn div_u(b: &mut FunctionBuilder<'_>, x: Value, y: Value) -> Value {
    b.ins().trapz(y, TrapCode::INTEGER_DIVISION_BY_ZERO);
    b.ins().udiv(x, y)
}

fn rem_s(b: &mut FunctionBuilder<'_>, x: Value, y: Value) -> Value {
    b.ins().trapz(y, TrapCode::INTEGER_DIVISION_BY_ZERO);
    b.ins().srem(x, y)
}

fn rem_u(b: &mut FunctionBuilder<'_>, x: Value, y: Value) -> Value {
    b.ins().trapz(y, TrapCode::INTEGER_DIVISION_BY_ZERO);
    b.ins().urem(x, y)
}

/// Bit-preserving int ↔ float reinterpretation.
fn reinterpret(b: &mut FunctionBuilder<'_>, to: Type, x: Value) -> Value {
    // Scalar bitcasts take no flags beyond endianness.
    b.ins().bitcast(to, MemFlagsData::new(), x)
}

/// Sign-extends the low `narrow` bits of `x` in place (the sign-extension
/// proposal's `extendN_s`).
fn sign_extend_low(b: &mut FunctionBuilder<'_>, x: Value, narrow: Type) -> Value {
    let ty = b.func.dfg.value_type(x);
    let low = b.ins().ireduce(narrow, x);
    b.ins().sextend(ty, low)
}
