//! Fixed-width SIMD: every `v128` operator of the 128-bit SIMD proposal.
//!
//! A `v128` is carried as `I8X16` wherever it can escape an instruction:
//! on the operand stack, in locals, block parameters, call arguments and
//! globals. Each operator views its operands as the lane type it works on
//! (`I32X4`, `F64X2`, ...) through a little-endian `bitcast`, which is
//! free on every backend, and its result goes back to `I8X16` the same
//! way. Cranelift's mid-end folds a bitcast of a bitcast, so chains of
//! operators on one shape still see each other's values directly, and its
//! instruction-selection patterns (e.g. `pmaddwd` for the dot product) and
//! load sinking work across operators; the translator need not look
//! through the bitcasts itself.
//!
//! Most operators are one Cranelift instruction with exactly wasm's
//! semantics (shift amounts masked by lane width, saturating narrowing,
//! NaN-propagating `fmin`/`fmax`, out-of-range swizzle indices giving 0).
//! The rest are written in the shapes the backends recognise:
//!
//! - `extmul`: `imul` of two `swiden`/`uwiden` halves;
//! - `extadd_pairwise`: `iadd_pairwise` of the two widened halves;
//! - `dot`: `iadd_pairwise` of the low and high `extmul`s;
//! - `pmin`/`pmax`: `bitselect` on an `fcmp lt`, as the spec defines them;
//! - `trunc_sat_f64x2_*_zero`: a saturating conversion to 64-bit lanes
//!   narrowed together with a zero vector;
//! - `convert_low_i32x4_*`: a conversion of the widened low half.
//!
//! Memory accesses go through `Translator::memory_address`, so they get the
//! same bounds checks as scalar accesses in both `BoundsChecks` modes.

use super::Translator;
use super::memory::{LoadKind, StoreKind, memory_index};
use anyhow::Result;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{F32X4, F64X2, I8X16, I16X8, I32X4, I64X2};
use cranelift_codegen::ir::{
    ConstantData, Endianness, InstBuilder, MemFlagsData, Type, Value, types,
};
use cranelift_frontend::FunctionBuilder;
use wasmparser::MemArg;

/// Flags for `bitcast`s between vector shapes: wasm numbers lanes in
/// little-endian byte order.
fn lane_order() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

/// The 128-bit vector type with lanes of scalar type `lane`.
fn lane_vector(lane: Type) -> Type {
    match lane {
        types::I8 => I8X16,
        types::I16 => I16X8,
        types::I32 => I32X4,
        types::I64 => I64X2,
        _ => unreachable!("lane type {lane}"),
    }
}

/// How a `load8x8`-style extending load widens.
#[derive(Clone, Copy)]
enum ExtendLoad {
    S8x8,
    U8x8,
    S16x4,
    U16x4,
    S32x2,
    U32x2,
}

impl<'f> Translator<'_, 'f> {
    /// `v` (any 128-bit vector) viewed as `ty`.
    fn as_vec(&mut self, v: Value, ty: Type) -> Value {
        if self.b.func.dfg.value_type(v) == ty {
            return v;
        }
        self.b.ins().bitcast(ty, lane_order(), v)
    }

    /// Pops a `v128` viewed as `ty`.
    fn vpop(&mut self, ty: Type) -> Value {
        let v = self.pop();
        self.as_vec(v, ty)
    }

    /// Pushes a vector of any shape as a `v128`.
    fn vpush(&mut self, v: Value) {
        let v = self.as_vec(v, I8X16);
        self.push(v);
    }

    fn vunop(&mut self, ty: Type, f: impl FnOnce(&mut FunctionBuilder<'f>, Value) -> Value) {
        let x = self.vpop(ty);
        let v = f(&mut self.b, x);
        self.vpush(v);
    }

    fn vbinop(
        &mut self,
        ty: Type,
        f: impl FnOnce(&mut FunctionBuilder<'f>, Value, Value) -> Value,
    ) {
        let y = self.vpop(ty);
        let x = self.vpop(ty);
        let v = f(&mut self.b, x, y);
        self.vpush(v);
    }

    /// A vector-to-`i32` reduction (`any_true`, `all_true`, `bitmask`).
    fn vreduce(&mut self, ty: Type, f: impl FnOnce(&mut FunctionBuilder<'f>, Value) -> Value) {
        let x = self.vpop(ty);
        let v = f(&mut self.b, x);
        self.push(v);
    }

    fn vicmp(&mut self, ty: Type, cc: IntCC) {
        self.vbinop(ty, |b, x, y| b.ins().icmp(cc, x, y));
    }

    fn vfcmp(&mut self, ty: Type, cc: FloatCC) {
        self.vbinop(ty, |b, x, y| b.ins().fcmp(cc, x, y));
    }

    /// `ishl`/`sshr`/`ushr` by an `i32` amount (masked by the lane width,
    /// as Cranelift defines vector shifts and wasm requires).
    fn vshift(
        &mut self,
        ty: Type,
        f: impl FnOnce(&mut FunctionBuilder<'f>, Value, Value) -> Value,
    ) {
        let amount = self.pop();
        let x = self.vpop(ty);
        let v = f(&mut self.b, x, amount);
        self.vpush(v);
    }

    fn vconst_bytes(&mut self, ty: Type, bytes: &[u8]) -> Value {
        let handle = self.b.func.dfg.constants.insert(ConstantData::from(bytes));
        self.b.ins().vconst(ty, handle)
    }

    /// Pops the address of an `size`-byte access and computes it, with
    /// the bounds check the tunables ask for.
    fn vaddress(&mut self, memarg: &MemArg, size: u64) -> Result<(Value, i32, MemFlagsData)> {
        let mem = memory_index(memarg)?;
        let index = self.pop();
        Ok(self.memory_address(mem, index, memarg.offset, size))
    }

    fn op_load_extend(&mut self, memarg: &MemArg, kind: ExtendLoad) -> Result<()> {
        let (addr, off, flags) = self.vaddress(memarg, 8)?;
        let ins = self.b.ins();
        let v = match kind {
            ExtendLoad::S8x8 => ins.sload8x8(flags, addr, off),
            ExtendLoad::U8x8 => ins.uload8x8(flags, addr, off),
            ExtendLoad::S16x4 => ins.sload16x4(flags, addr, off),
            ExtendLoad::U16x4 => ins.uload16x4(flags, addr, off),
            ExtendLoad::S32x2 => ins.sload32x2(flags, addr, off),
            ExtendLoad::U32x2 => ins.uload32x2(flags, addr, off),
        };
        self.vpush(v);
        Ok(())
    }

    /// `v128.loadN_splat`: one lane loaded and copied to every lane.
    fn op_load_splat(&mut self, memarg: &MemArg, lane: Type) -> Result<()> {
        let (addr, off, flags) = self.vaddress(memarg, u64::from(lane.bytes()))?;
        let x = self.b.ins().load(lane, flags, addr, off);
        let v = self.b.ins().splat(lane_vector(lane), x);
        self.vpush(v);
        Ok(())
    }

    /// `v128.loadN_zero`: lane 0 loaded, the others zero.
    fn op_load_zero(&mut self, memarg: &MemArg, lane: Type) -> Result<()> {
        let (addr, off, flags) = self.vaddress(memarg, u64::from(lane.bytes()))?;
        let x = self.b.ins().load(lane, flags, addr, off);
        let v = self.b.ins().scalar_to_vector(lane_vector(lane), x);
        self.vpush(v);
        Ok(())
    }

    /// `v128.loadN_lane`: `[i32 v128] -> [v128]`, one lane replaced.
    fn op_load_lane(&mut self, memarg: &MemArg, lane: Type, index: u8) -> Result<()> {
        let vec = self.vpop(lane_vector(lane));
        let (addr, off, flags) = self.vaddress(memarg, u64::from(lane.bytes()))?;
        let x = self.b.ins().load(lane, flags, addr, off);
        let v = self.b.ins().insertlane(vec, x, index);
        self.vpush(v);
        Ok(())
    }

    /// `v128.storeN_lane`: `[i32 v128] -> []`, one lane stored.
    fn op_store_lane(&mut self, memarg: &MemArg, lane: Type, index: u8) -> Result<()> {
        let vec = self.vpop(lane_vector(lane));
        let (addr, off, flags) = self.vaddress(memarg, u64::from(lane.bytes()))?;
        let x = self.b.ins().extractlane(vec, index);
        self.b.ins().store(flags, x, addr, off);
        Ok(())
    }

    /// `extract_lane` of an integer lane narrower than `i32`, extended.
    fn op_extract_narrow(&mut self, ty: Type, lane: u8, signed: bool) {
        let x = self.vpop(ty);
        let e = self.b.ins().extractlane(x, lane);
        let v = if signed {
            self.b.ins().sextend(types::I32, e)
        } else {
            self.b.ins().uextend(types::I32, e)
        };
        self.push(v);
    }

    fn op_extract(&mut self, ty: Type, lane: u8) {
        let x = self.vpop(ty);
        let v = self.b.ins().extractlane(x, lane);
        self.push(v);
    }

    fn op_replace(&mut self, ty: Type, lane: u8) {
        let mut x = self.pop();
        let vec = self.vpop(ty);
        if ty.lane_type().bits() < 32 {
            x = self.b.ins().ireduce(ty.lane_type(), x);
        }
        let v = self.b.ins().insertlane(vec, x, lane);
        self.vpush(v);
    }

    fn op_splat(&mut self, ty: Type) {
        let mut x = self.pop();
        if ty.lane_type().bits() < 32 {
            x = self.b.ins().ireduce(ty.lane_type(), x);
        }
        let v = self.b.ins().splat(ty, x);
        self.vpush(v);
    }

    /// `pmin` (`y < x ? y : x`) or `pmax` (`x < y ? y : x`), lane-wise.
    fn op_pminmax(&mut self, ty: Type, max: bool) {
        self.vbinop(ty, |b, x, y| {
            let lt = if max {
                b.ins().fcmp(FloatCC::LessThan, x, y)
            } else {
                b.ins().fcmp(FloatCC::LessThan, y, x)
            };
            // `fcmp` yields an integer mask of the same shape.
            let mask = b.ins().bitcast(ty, lane_order(), lt);
            b.ins().bitselect(mask, y, x)
        });
    }

    /// `extmul_{low,high}`: the widened halves multiplied.
    fn op_extmul(&mut self, from: Type, high: bool, signed: bool) {
        self.vbinop(from, |b, x, y| {
            let (x, y) = match (high, signed) {
                (false, true) => (b.ins().swiden_low(x), b.ins().swiden_low(y)),
                (true, true) => (b.ins().swiden_high(x), b.ins().swiden_high(y)),
                (false, false) => (b.ins().uwiden_low(x), b.ins().uwiden_low(y)),
                (true, false) => (b.ins().uwiden_high(x), b.ins().uwiden_high(y)),
            };
            b.ins().imul(x, y)
        });
    }

    fn op_extadd_pairwise(&mut self, from: Type, signed: bool) {
        self.vunop(from, |b, x| {
            let (lo, hi) = if signed {
                (b.ins().swiden_low(x), b.ins().swiden_high(x))
            } else {
                (b.ins().uwiden_low(x), b.ins().uwiden_high(x))
            };
            b.ins().iadd_pairwise(lo, hi)
        });
    }

    /// `i32x4.trunc_sat_f64x2_{s,u}_zero`.
    fn op_trunc_sat_zero(&mut self, signed: bool) {
        let x = self.vpop(F64X2);
        let zero = self.vconst_bytes(I64X2, &[0; 16]);
        let v = if signed {
            let wide = self.b.ins().fcvt_to_sint_sat(I64X2, x);
            self.b.ins().snarrow(wide, zero)
        } else {
            let wide = self.b.ins().fcvt_to_uint_sat(I64X2, x);
            self.b.ins().uunarrow(wide, zero)
        };
        self.vpush(v);
    }

    operators! { t;
        // ---- constants and memory ----
        visit_v128_const(value: wasmparser::V128) => {
            let v = t.vconst_bytes(I8X16, value.bytes());
            t.push(v);
        };
        visit_v128_load(memarg: MemArg) => t.op_load(&memarg, LoadKind::Plain(I8X16))?;
        visit_v128_store(memarg: MemArg) => {
            // Stores write the vector's bytes whatever its shape.
            t.op_store(&memarg, StoreKind::Plain(16))?
        };
        visit_v128_load8x8_s(memarg: MemArg) => t.op_load_extend(&memarg, ExtendLoad::S8x8)?;
        visit_v128_load8x8_u(memarg: MemArg) => t.op_load_extend(&memarg, ExtendLoad::U8x8)?;
        visit_v128_load16x4_s(memarg: MemArg) => t.op_load_extend(&memarg, ExtendLoad::S16x4)?;
        visit_v128_load16x4_u(memarg: MemArg) => t.op_load_extend(&memarg, ExtendLoad::U16x4)?;
        visit_v128_load32x2_s(memarg: MemArg) => t.op_load_extend(&memarg, ExtendLoad::S32x2)?;
        visit_v128_load32x2_u(memarg: MemArg) => t.op_load_extend(&memarg, ExtendLoad::U32x2)?;
        visit_v128_load8_splat(memarg: MemArg) => t.op_load_splat(&memarg, types::I8)?;
        visit_v128_load16_splat(memarg: MemArg) => t.op_load_splat(&memarg, types::I16)?;
        visit_v128_load32_splat(memarg: MemArg) => t.op_load_splat(&memarg, types::I32)?;
        visit_v128_load64_splat(memarg: MemArg) => t.op_load_splat(&memarg, types::I64)?;
        visit_v128_load32_zero(memarg: MemArg) => t.op_load_zero(&memarg, types::I32)?;
        visit_v128_load64_zero(memarg: MemArg) => t.op_load_zero(&memarg, types::I64)?;
        visit_v128_load8_lane(memarg: MemArg, lane: u8) => {
            t.op_load_lane(&memarg, types::I8, lane)?
        };
        visit_v128_load16_lane(memarg: MemArg, lane: u8) => {
            t.op_load_lane(&memarg, types::I16, lane)?
        };
        visit_v128_load32_lane(memarg: MemArg, lane: u8) => {
            t.op_load_lane(&memarg, types::I32, lane)?
        };
        visit_v128_load64_lane(memarg: MemArg, lane: u8) => {
            t.op_load_lane(&memarg, types::I64, lane)?
        };
        visit_v128_store8_lane(memarg: MemArg, lane: u8) => {
            t.op_store_lane(&memarg, types::I8, lane)?
        };
        visit_v128_store16_lane(memarg: MemArg, lane: u8) => {
            t.op_store_lane(&memarg, types::I16, lane)?
        };
        visit_v128_store32_lane(memarg: MemArg, lane: u8) => {
            t.op_store_lane(&memarg, types::I32, lane)?
        };
        visit_v128_store64_lane(memarg: MemArg, lane: u8) => {
            t.op_store_lane(&memarg, types::I64, lane)?
        };

        // ---- lanes, splats, shuffles ----
        visit_i8x16_extract_lane_s(lane: u8) => t.op_extract_narrow(I8X16, lane, true);
        visit_i8x16_extract_lane_u(lane: u8) => t.op_extract_narrow(I8X16, lane, false);
        visit_i16x8_extract_lane_s(lane: u8) => t.op_extract_narrow(I16X8, lane, true);
        visit_i16x8_extract_lane_u(lane: u8) => t.op_extract_narrow(I16X8, lane, false);
        visit_i32x4_extract_lane(lane: u8) => t.op_extract(I32X4, lane);
        visit_i64x2_extract_lane(lane: u8) => t.op_extract(I64X2, lane);
        visit_f32x4_extract_lane(lane: u8) => t.op_extract(F32X4, lane);
        visit_f64x2_extract_lane(lane: u8) => t.op_extract(F64X2, lane);
        visit_i8x16_replace_lane(lane: u8) => t.op_replace(I8X16, lane);
        visit_i16x8_replace_lane(lane: u8) => t.op_replace(I16X8, lane);
        visit_i32x4_replace_lane(lane: u8) => t.op_replace(I32X4, lane);
        visit_i64x2_replace_lane(lane: u8) => t.op_replace(I64X2, lane);
        visit_f32x4_replace_lane(lane: u8) => t.op_replace(F32X4, lane);
        visit_f64x2_replace_lane(lane: u8) => t.op_replace(F64X2, lane);
        visit_i8x16_splat => t.op_splat(I8X16);
        visit_i16x8_splat => t.op_splat(I16X8);
        visit_i32x4_splat => t.op_splat(I32X4);
        visit_i64x2_splat => t.op_splat(I64X2);
        visit_f32x4_splat => t.op_splat(F32X4);
        visit_f64x2_splat => t.op_splat(F64X2);
        visit_i8x16_shuffle(lanes: [u8; 16]) => {
            let mask = t.b.func.dfg.immediates.push(ConstantData::from(&lanes[..]));
            t.vbinop(I8X16, |b, x, y| b.ins().shuffle(x, y, mask));
        };
        visit_i8x16_swizzle => t.vbinop(I8X16, |b, x, s| b.ins().swizzle(x, s));

        // ---- integer comparisons ----
        visit_i8x16_eq => t.vicmp(I8X16, IntCC::Equal);
        visit_i8x16_ne => t.vicmp(I8X16, IntCC::NotEqual);
        visit_i8x16_lt_s => t.vicmp(I8X16, IntCC::SignedLessThan);
        visit_i8x16_lt_u => t.vicmp(I8X16, IntCC::UnsignedLessThan);
        visit_i8x16_gt_s => t.vicmp(I8X16, IntCC::SignedGreaterThan);
        visit_i8x16_gt_u => t.vicmp(I8X16, IntCC::UnsignedGreaterThan);
        visit_i8x16_le_s => t.vicmp(I8X16, IntCC::SignedLessThanOrEqual);
        visit_i8x16_le_u => t.vicmp(I8X16, IntCC::UnsignedLessThanOrEqual);
        visit_i8x16_ge_s => t.vicmp(I8X16, IntCC::SignedGreaterThanOrEqual);
        visit_i8x16_ge_u => t.vicmp(I8X16, IntCC::UnsignedGreaterThanOrEqual);
        visit_i16x8_eq => t.vicmp(I16X8, IntCC::Equal);
        visit_i16x8_ne => t.vicmp(I16X8, IntCC::NotEqual);
        visit_i16x8_lt_s => t.vicmp(I16X8, IntCC::SignedLessThan);
        visit_i16x8_lt_u => t.vicmp(I16X8, IntCC::UnsignedLessThan);
        visit_i16x8_gt_s => t.vicmp(I16X8, IntCC::SignedGreaterThan);
        visit_i16x8_gt_u => t.vicmp(I16X8, IntCC::UnsignedGreaterThan);
        visit_i16x8_le_s => t.vicmp(I16X8, IntCC::SignedLessThanOrEqual);
        visit_i16x8_le_u => t.vicmp(I16X8, IntCC::UnsignedLessThanOrEqual);
        visit_i16x8_ge_s => t.vicmp(I16X8, IntCC::SignedGreaterThanOrEqual);
        visit_i16x8_ge_u => t.vicmp(I16X8, IntCC::UnsignedGreaterThanOrEqual);
        visit_i32x4_eq => t.vicmp(I32X4, IntCC::Equal);
        visit_i32x4_ne => t.vicmp(I32X4, IntCC::NotEqual);
        visit_i32x4_lt_s => t.vicmp(I32X4, IntCC::SignedLessThan);
        visit_i32x4_lt_u => t.vicmp(I32X4, IntCC::UnsignedLessThan);
        visit_i32x4_gt_s => t.vicmp(I32X4, IntCC::SignedGreaterThan);
        visit_i32x4_gt_u => t.vicmp(I32X4, IntCC::UnsignedGreaterThan);
        visit_i32x4_le_s => t.vicmp(I32X4, IntCC::SignedLessThanOrEqual);
        visit_i32x4_le_u => t.vicmp(I32X4, IntCC::UnsignedLessThanOrEqual);
        visit_i32x4_ge_s => t.vicmp(I32X4, IntCC::SignedGreaterThanOrEqual);
        visit_i32x4_ge_u => t.vicmp(I32X4, IntCC::UnsignedGreaterThanOrEqual);
        visit_i64x2_eq => t.vicmp(I64X2, IntCC::Equal);
        visit_i64x2_ne => t.vicmp(I64X2, IntCC::NotEqual);
        visit_i64x2_lt_s => t.vicmp(I64X2, IntCC::SignedLessThan);
        visit_i64x2_gt_s => t.vicmp(I64X2, IntCC::SignedGreaterThan);
        visit_i64x2_le_s => t.vicmp(I64X2, IntCC::SignedLessThanOrEqual);
        visit_i64x2_ge_s => t.vicmp(I64X2, IntCC::SignedGreaterThanOrEqual);

        // ---- float comparisons (ordered except `ne`) ----
        visit_f32x4_eq => t.vfcmp(F32X4, FloatCC::Equal);
        visit_f32x4_ne => t.vfcmp(F32X4, FloatCC::NotEqual);
        visit_f32x4_lt => t.vfcmp(F32X4, FloatCC::LessThan);
        visit_f32x4_gt => t.vfcmp(F32X4, FloatCC::GreaterThan);
        visit_f32x4_le => t.vfcmp(F32X4, FloatCC::LessThanOrEqual);
        visit_f32x4_ge => t.vfcmp(F32X4, FloatCC::GreaterThanOrEqual);
        visit_f64x2_eq => t.vfcmp(F64X2, FloatCC::Equal);
        visit_f64x2_ne => t.vfcmp(F64X2, FloatCC::NotEqual);
        visit_f64x2_lt => t.vfcmp(F64X2, FloatCC::LessThan);
        visit_f64x2_gt => t.vfcmp(F64X2, FloatCC::GreaterThan);
        visit_f64x2_le => t.vfcmp(F64X2, FloatCC::LessThanOrEqual);
        visit_f64x2_ge => t.vfcmp(F64X2, FloatCC::GreaterThanOrEqual);

        // ---- bitwise ----
        visit_v128_not => t.vunop(I8X16, |b, x| b.ins().bnot(x));
        visit_v128_and => t.vbinop(I8X16, |b, x, y| b.ins().band(x, y));
        visit_v128_andnot => t.vbinop(I8X16, |b, x, y| b.ins().band_not(x, y));
        visit_v128_or => t.vbinop(I8X16, |b, x, y| b.ins().bor(x, y));
        visit_v128_xor => t.vbinop(I8X16, |b, x, y| b.ins().bxor(x, y));
        visit_v128_bitselect => {
            // `[v1 v2 c]`: bits of `v1` where `c` is set, else of `v2`.
            let c = t.vpop(I8X16);
            let v2 = t.vpop(I8X16);
            let v1 = t.vpop(I8X16);
            let v = t.b.ins().bitselect(c, v1, v2);
            t.vpush(v);
        };
        visit_v128_any_true => t.vreduce(I8X16, |b, x| {
            let any = b.ins().vany_true(x);
            b.ins().uextend(types::I32, any)
        });

        // ---- reductions ----
        visit_i8x16_all_true => t.all_true(I8X16);
        visit_i16x8_all_true => t.all_true(I16X8);
        visit_i32x4_all_true => t.all_true(I32X4);
        visit_i64x2_all_true => t.all_true(I64X2);
        visit_i8x16_bitmask => t.bitmask(I8X16);
        visit_i16x8_bitmask => t.bitmask(I16X8);
        visit_i32x4_bitmask => t.bitmask(I32X4);
        visit_i64x2_bitmask => t.bitmask(I64X2);

        // ---- integer arithmetic ----
        visit_i8x16_abs => t.vunop(I8X16, |b, x| b.ins().iabs(x));
        visit_i16x8_abs => t.vunop(I16X8, |b, x| b.ins().iabs(x));
        visit_i32x4_abs => t.vunop(I32X4, |b, x| b.ins().iabs(x));
        visit_i64x2_abs => t.vunop(I64X2, |b, x| b.ins().iabs(x));
        visit_i8x16_neg => t.vunop(I8X16, |b, x| b.ins().ineg(x));
        visit_i16x8_neg => t.vunop(I16X8, |b, x| b.ins().ineg(x));
        visit_i32x4_neg => t.vunop(I32X4, |b, x| b.ins().ineg(x));
        visit_i64x2_neg => t.vunop(I64X2, |b, x| b.ins().ineg(x));
        visit_i8x16_popcnt => t.vunop(I8X16, |b, x| b.ins().popcnt(x));
        visit_i8x16_add => t.vbinop(I8X16, |b, x, y| b.ins().iadd(x, y));
        visit_i16x8_add => t.vbinop(I16X8, |b, x, y| b.ins().iadd(x, y));
        visit_i32x4_add => t.vbinop(I32X4, |b, x, y| b.ins().iadd(x, y));
        visit_i64x2_add => t.vbinop(I64X2, |b, x, y| b.ins().iadd(x, y));
        visit_i8x16_sub => t.vbinop(I8X16, |b, x, y| b.ins().isub(x, y));
        visit_i16x8_sub => t.vbinop(I16X8, |b, x, y| b.ins().isub(x, y));
        visit_i32x4_sub => t.vbinop(I32X4, |b, x, y| b.ins().isub(x, y));
        visit_i64x2_sub => t.vbinop(I64X2, |b, x, y| b.ins().isub(x, y));
        visit_i16x8_mul => t.vbinop(I16X8, |b, x, y| b.ins().imul(x, y));
        visit_i32x4_mul => t.vbinop(I32X4, |b, x, y| b.ins().imul(x, y));
        visit_i64x2_mul => t.vbinop(I64X2, |b, x, y| b.ins().imul(x, y));
        visit_i8x16_add_sat_s => t.vbinop(I8X16, |b, x, y| b.ins().sadd_sat(x, y));
        visit_i8x16_add_sat_u => t.vbinop(I8X16, |b, x, y| b.ins().uadd_sat(x, y));
        visit_i8x16_sub_sat_s => t.vbinop(I8X16, |b, x, y| b.ins().ssub_sat(x, y));
        visit_i8x16_sub_sat_u => t.vbinop(I8X16, |b, x, y| b.ins().usub_sat(x, y));
        visit_i16x8_add_sat_s => t.vbinop(I16X8, |b, x, y| b.ins().sadd_sat(x, y));
        visit_i16x8_add_sat_u => t.vbinop(I16X8, |b, x, y| b.ins().uadd_sat(x, y));
        visit_i16x8_sub_sat_s => t.vbinop(I16X8, |b, x, y| b.ins().ssub_sat(x, y));
        visit_i16x8_sub_sat_u => t.vbinop(I16X8, |b, x, y| b.ins().usub_sat(x, y));
        visit_i8x16_min_s => t.vbinop(I8X16, |b, x, y| b.ins().smin(x, y));
        visit_i8x16_min_u => t.vbinop(I8X16, |b, x, y| b.ins().umin(x, y));
        visit_i8x16_max_s => t.vbinop(I8X16, |b, x, y| b.ins().smax(x, y));
        visit_i8x16_max_u => t.vbinop(I8X16, |b, x, y| b.ins().umax(x, y));
        visit_i16x8_min_s => t.vbinop(I16X8, |b, x, y| b.ins().smin(x, y));
        visit_i16x8_min_u => t.vbinop(I16X8, |b, x, y| b.ins().umin(x, y));
        visit_i16x8_max_s => t.vbinop(I16X8, |b, x, y| b.ins().smax(x, y));
        visit_i16x8_max_u => t.vbinop(I16X8, |b, x, y| b.ins().umax(x, y));
        visit_i32x4_min_s => t.vbinop(I32X4, |b, x, y| b.ins().smin(x, y));
        visit_i32x4_min_u => t.vbinop(I32X4, |b, x, y| b.ins().umin(x, y));
        visit_i32x4_max_s => t.vbinop(I32X4, |b, x, y| b.ins().smax(x, y));
        visit_i32x4_max_u => t.vbinop(I32X4, |b, x, y| b.ins().umax(x, y));
        visit_i8x16_avgr_u => t.vbinop(I8X16, |b, x, y| b.ins().avg_round(x, y));
        visit_i16x8_avgr_u => t.vbinop(I16X8, |b, x, y| b.ins().avg_round(x, y));
        visit_i16x8_q15mulr_sat_s => t.vbinop(I16X8, |b, x, y| b.ins().sqmul_round_sat(x, y));

        // ---- shifts ----
        visit_i8x16_shl => t.vshift(I8X16, |b, x, n| b.ins().ishl(x, n));
        visit_i16x8_shl => t.vshift(I16X8, |b, x, n| b.ins().ishl(x, n));
        visit_i32x4_shl => t.vshift(I32X4, |b, x, n| b.ins().ishl(x, n));
        visit_i64x2_shl => t.vshift(I64X2, |b, x, n| b.ins().ishl(x, n));
        visit_i8x16_shr_s => t.vshift(I8X16, |b, x, n| b.ins().sshr(x, n));
        visit_i16x8_shr_s => t.vshift(I16X8, |b, x, n| b.ins().sshr(x, n));
        visit_i32x4_shr_s => t.vshift(I32X4, |b, x, n| b.ins().sshr(x, n));
        visit_i64x2_shr_s => t.vshift(I64X2, |b, x, n| b.ins().sshr(x, n));
        visit_i8x16_shr_u => t.vshift(I8X16, |b, x, n| b.ins().ushr(x, n));
        visit_i16x8_shr_u => t.vshift(I16X8, |b, x, n| b.ins().ushr(x, n));
        visit_i32x4_shr_u => t.vshift(I32X4, |b, x, n| b.ins().ushr(x, n));
        visit_i64x2_shr_u => t.vshift(I64X2, |b, x, n| b.ins().ushr(x, n));

        // ---- narrowing, widening, extended multiplies and adds ----
        visit_i8x16_narrow_i16x8_s => t.vbinop(I16X8, |b, x, y| b.ins().snarrow(x, y));
        visit_i8x16_narrow_i16x8_u => t.vbinop(I16X8, |b, x, y| b.ins().unarrow(x, y));
        visit_i16x8_narrow_i32x4_s => t.vbinop(I32X4, |b, x, y| b.ins().snarrow(x, y));
        visit_i16x8_narrow_i32x4_u => t.vbinop(I32X4, |b, x, y| b.ins().unarrow(x, y));
        visit_i16x8_extend_low_i8x16_s => t.vunop(I8X16, |b, x| b.ins().swiden_low(x));
        visit_i16x8_extend_high_i8x16_s => t.vunop(I8X16, |b, x| b.ins().swiden_high(x));
        visit_i16x8_extend_low_i8x16_u => t.vunop(I8X16, |b, x| b.ins().uwiden_low(x));
        visit_i16x8_extend_high_i8x16_u => t.vunop(I8X16, |b, x| b.ins().uwiden_high(x));
        visit_i32x4_extend_low_i16x8_s => t.vunop(I16X8, |b, x| b.ins().swiden_low(x));
        visit_i32x4_extend_high_i16x8_s => t.vunop(I16X8, |b, x| b.ins().swiden_high(x));
        visit_i32x4_extend_low_i16x8_u => t.vunop(I16X8, |b, x| b.ins().uwiden_low(x));
        visit_i32x4_extend_high_i16x8_u => t.vunop(I16X8, |b, x| b.ins().uwiden_high(x));
        visit_i64x2_extend_low_i32x4_s => t.vunop(I32X4, |b, x| b.ins().swiden_low(x));
        visit_i64x2_extend_high_i32x4_s => t.vunop(I32X4, |b, x| b.ins().swiden_high(x));
        visit_i64x2_extend_low_i32x4_u => t.vunop(I32X4, |b, x| b.ins().uwiden_low(x));
        visit_i64x2_extend_high_i32x4_u => t.vunop(I32X4, |b, x| b.ins().uwiden_high(x));
        visit_i16x8_extmul_low_i8x16_s => t.op_extmul(I8X16, false, true);
        visit_i16x8_extmul_high_i8x16_s => t.op_extmul(I8X16, true, true);
        visit_i16x8_extmul_low_i8x16_u => t.op_extmul(I8X16, false, false);
        visit_i16x8_extmul_high_i8x16_u => t.op_extmul(I8X16, true, false);
        visit_i32x4_extmul_low_i16x8_s => t.op_extmul(I16X8, false, true);
        visit_i32x4_extmul_high_i16x8_s => t.op_extmul(I16X8, true, true);
        visit_i32x4_extmul_low_i16x8_u => t.op_extmul(I16X8, false, false);
        visit_i32x4_extmul_high_i16x8_u => t.op_extmul(I16X8, true, false);
        visit_i64x2_extmul_low_i32x4_s => t.op_extmul(I32X4, false, true);
        visit_i64x2_extmul_high_i32x4_s => t.op_extmul(I32X4, true, true);
        visit_i64x2_extmul_low_i32x4_u => t.op_extmul(I32X4, false, false);
        visit_i64x2_extmul_high_i32x4_u => t.op_extmul(I32X4, true, false);
        visit_i16x8_extadd_pairwise_i8x16_s => t.op_extadd_pairwise(I8X16, true);
        visit_i16x8_extadd_pairwise_i8x16_u => t.op_extadd_pairwise(I8X16, false);
        visit_i32x4_extadd_pairwise_i16x8_s => t.op_extadd_pairwise(I16X8, true);
        visit_i32x4_extadd_pairwise_i16x8_u => t.op_extadd_pairwise(I16X8, false);
        visit_i32x4_dot_i16x8_s => t.vbinop(I16X8, |b, x, y| {
            let (xl, yl) = (b.ins().swiden_low(x), b.ins().swiden_low(y));
            let lo = b.ins().imul(xl, yl);
            let (xh, yh) = (b.ins().swiden_high(x), b.ins().swiden_high(y));
            let hi = b.ins().imul(xh, yh);
            b.ins().iadd_pairwise(lo, hi)
        });

        // ---- float arithmetic ----
        visit_f32x4_abs => t.vunop(F32X4, |b, x| b.ins().fabs(x));
        visit_f64x2_abs => t.vunop(F64X2, |b, x| b.ins().fabs(x));
        visit_f32x4_neg => t.vunop(F32X4, |b, x| b.ins().fneg(x));
        visit_f64x2_neg => t.vunop(F64X2, |b, x| b.ins().fneg(x));
        visit_f32x4_sqrt => t.vunop(F32X4, |b, x| b.ins().sqrt(x));
        visit_f64x2_sqrt => t.vunop(F64X2, |b, x| b.ins().sqrt(x));
        visit_f32x4_ceil => t.vunop(F32X4, |b, x| b.ins().ceil(x));
        visit_f64x2_ceil => t.vunop(F64X2, |b, x| b.ins().ceil(x));
        visit_f32x4_floor => t.vunop(F32X4, |b, x| b.ins().floor(x));
        visit_f64x2_floor => t.vunop(F64X2, |b, x| b.ins().floor(x));
        visit_f32x4_trunc => t.vunop(F32X4, |b, x| b.ins().trunc(x));
        visit_f64x2_trunc => t.vunop(F64X2, |b, x| b.ins().trunc(x));
        visit_f32x4_nearest => t.vunop(F32X4, |b, x| b.ins().nearest(x));
        visit_f64x2_nearest => t.vunop(F64X2, |b, x| b.ins().nearest(x));
        visit_f32x4_add => t.vbinop(F32X4, |b, x, y| b.ins().fadd(x, y));
        visit_f64x2_add => t.vbinop(F64X2, |b, x, y| b.ins().fadd(x, y));
        visit_f32x4_sub => t.vbinop(F32X4, |b, x, y| b.ins().fsub(x, y));
        visit_f64x2_sub => t.vbinop(F64X2, |b, x, y| b.ins().fsub(x, y));
        visit_f32x4_mul => t.vbinop(F32X4, |b, x, y| b.ins().fmul(x, y));
        visit_f64x2_mul => t.vbinop(F64X2, |b, x, y| b.ins().fmul(x, y));
        visit_f32x4_div => t.vbinop(F32X4, |b, x, y| b.ins().fdiv(x, y));
        visit_f64x2_div => t.vbinop(F64X2, |b, x, y| b.ins().fdiv(x, y));
        visit_f32x4_min => t.vbinop(F32X4, |b, x, y| b.ins().fmin(x, y));
        visit_f64x2_min => t.vbinop(F64X2, |b, x, y| b.ins().fmin(x, y));
        visit_f32x4_max => t.vbinop(F32X4, |b, x, y| b.ins().fmax(x, y));
        visit_f64x2_max => t.vbinop(F64X2, |b, x, y| b.ins().fmax(x, y));
        visit_f32x4_pmin => t.op_pminmax(F32X4, false);
        visit_f64x2_pmin => t.op_pminmax(F64X2, false);
        visit_f32x4_pmax => t.op_pminmax(F32X4, true);
        visit_f64x2_pmax => t.op_pminmax(F64X2, true);

        // ---- conversions ----
        visit_i32x4_trunc_sat_f32x4_s => t.vunop(F32X4, |b, x| b.ins().fcvt_to_sint_sat(I32X4, x));
        visit_i32x4_trunc_sat_f32x4_u => t.vunop(F32X4, |b, x| b.ins().fcvt_to_uint_sat(I32X4, x));
        visit_i32x4_trunc_sat_f64x2_s_zero => t.op_trunc_sat_zero(true);
        visit_i32x4_trunc_sat_f64x2_u_zero => t.op_trunc_sat_zero(false);
        visit_f32x4_convert_i32x4_s => t.vunop(I32X4, |b, x| b.ins().fcvt_from_sint(F32X4, x));
        visit_f32x4_convert_i32x4_u => t.vunop(I32X4, |b, x| b.ins().fcvt_from_uint(F32X4, x));
        visit_f64x2_convert_low_i32x4_s => t.vunop(I32X4, |b, x| {
            let wide = b.ins().swiden_low(x);
            b.ins().fcvt_from_sint(F64X2, wide)
        });
        visit_f64x2_convert_low_i32x4_u => t.vunop(I32X4, |b, x| {
            let wide = b.ins().uwiden_low(x);
            b.ins().fcvt_from_uint(F64X2, wide)
        });
        visit_f32x4_demote_f64x2_zero => t.vunop(F64X2, |b, x| b.ins().fvdemote(x));
        visit_f64x2_promote_low_f32x4 => t.vunop(F32X4, |b, x| b.ins().fvpromote_low(x));
    }

    fn all_true(&mut self, ty: Type) {
        self.vreduce(ty, |b, x| {
            let t = b.ins().vall_true(x);
            b.ins().uextend(types::I32, t)
        });
    }

    fn bitmask(&mut self, ty: Type) {
        self.vreduce(ty, |b, x| b.ins().vhigh_bits(types::I32, x));
    }
}
