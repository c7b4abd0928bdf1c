//! Fixed-width SIMD: every `v128` operator of the 128-bit SIMD proposal.
//!
//! A `v128` is carried as `I8X16` wherever it can escape an instruction:
//! on the operand stack, in locals, block parameters, call arguments and
//! globals. Each operator views its operands as the lane type it works on
//! (`I32X4`, `F64X2`, ...) through a little-endian `bitcast`, which is
//! free on every backend, and its result goes back to `I8X16` the same
//! way. `Translator::as_vec` looks through such a bitcast (and through
//! `vconst`) so that chains of operators on one shape see each other's
//! values directly; that keeps Cranelift's instruction-selection patterns
//! (e.g. `pmaddwd` for the dot product) and load sinking working across
//! operators.
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
use anyhow::{Result, bail};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{F32X4, F64X2, I8X16, I16X8, I32X4, I64X2};
use cranelift_codegen::ir::{
    ConstantData, Endianness, InstBuilder, InstructionData, MemFlagsData, Opcode, Type, Value,
    ValueDef, types,
};
use cranelift_frontend::FunctionBuilder;
use wasmparser::{MemArg, Operator};

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
    /// `v` (any 128-bit vector) viewed as `ty`, looking through the
    /// bitcast or constant that produced it when possible.
    fn as_vec(&mut self, v: Value, ty: Type) -> Value {
        let dfg = &self.b.func.dfg;
        if dfg.value_type(v) == ty {
            return v;
        }
        if let ValueDef::Result(inst, _) = dfg.value_def(v) {
            match dfg.insts[inst] {
                InstructionData::LoadNoOffset {
                    opcode: Opcode::Bitcast,
                    arg,
                    ..
                } if dfg.value_type(arg) == ty => return arg,
                InstructionData::UnaryConst {
                    opcode: Opcode::Vconst,
                    constant_handle,
                } => return self.b.ins().vconst(ty, constant_handle),
                _ => {}
            }
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

    /// Translates one SIMD operator; anything else is unsupported.
    pub(super) fn op_simd(&mut self, op: Operator<'_>) -> Result<()> {
        use Operator as O;
        match op {
            // ---- constants and memory ----
            O::V128Const { value } => {
                let v = self.vconst_bytes(I8X16, value.bytes());
                self.push(v);
            }
            O::V128Load { memarg } => self.op_load(&memarg, LoadKind::Plain(I8X16))?,
            O::V128Store { memarg } => {
                // Stores write the vector's bytes whatever its shape.
                self.op_store(&memarg, StoreKind::Plain(16))?
            }
            O::V128Load8x8S { memarg } => self.op_load_extend(&memarg, ExtendLoad::S8x8)?,
            O::V128Load8x8U { memarg } => self.op_load_extend(&memarg, ExtendLoad::U8x8)?,
            O::V128Load16x4S { memarg } => self.op_load_extend(&memarg, ExtendLoad::S16x4)?,
            O::V128Load16x4U { memarg } => self.op_load_extend(&memarg, ExtendLoad::U16x4)?,
            O::V128Load32x2S { memarg } => self.op_load_extend(&memarg, ExtendLoad::S32x2)?,
            O::V128Load32x2U { memarg } => self.op_load_extend(&memarg, ExtendLoad::U32x2)?,
            O::V128Load8Splat { memarg } => self.op_load_splat(&memarg, types::I8)?,
            O::V128Load16Splat { memarg } => self.op_load_splat(&memarg, types::I16)?,
            O::V128Load32Splat { memarg } => self.op_load_splat(&memarg, types::I32)?,
            O::V128Load64Splat { memarg } => self.op_load_splat(&memarg, types::I64)?,
            O::V128Load32Zero { memarg } => self.op_load_zero(&memarg, types::I32)?,
            O::V128Load64Zero { memarg } => self.op_load_zero(&memarg, types::I64)?,
            O::V128Load8Lane { memarg, lane } => self.op_load_lane(&memarg, types::I8, lane)?,
            O::V128Load16Lane { memarg, lane } => self.op_load_lane(&memarg, types::I16, lane)?,
            O::V128Load32Lane { memarg, lane } => self.op_load_lane(&memarg, types::I32, lane)?,
            O::V128Load64Lane { memarg, lane } => self.op_load_lane(&memarg, types::I64, lane)?,
            O::V128Store8Lane { memarg, lane } => self.op_store_lane(&memarg, types::I8, lane)?,
            O::V128Store16Lane { memarg, lane } => self.op_store_lane(&memarg, types::I16, lane)?,
            O::V128Store32Lane { memarg, lane } => self.op_store_lane(&memarg, types::I32, lane)?,
            O::V128Store64Lane { memarg, lane } => self.op_store_lane(&memarg, types::I64, lane)?,

            // ---- lanes, splats, shuffles ----
            O::I8x16ExtractLaneS { lane } => self.op_extract_narrow(I8X16, lane, true),
            O::I8x16ExtractLaneU { lane } => self.op_extract_narrow(I8X16, lane, false),
            O::I16x8ExtractLaneS { lane } => self.op_extract_narrow(I16X8, lane, true),
            O::I16x8ExtractLaneU { lane } => self.op_extract_narrow(I16X8, lane, false),
            O::I32x4ExtractLane { lane } => self.op_extract(I32X4, lane),
            O::I64x2ExtractLane { lane } => self.op_extract(I64X2, lane),
            O::F32x4ExtractLane { lane } => self.op_extract(F32X4, lane),
            O::F64x2ExtractLane { lane } => self.op_extract(F64X2, lane),
            O::I8x16ReplaceLane { lane } => self.op_replace(I8X16, lane),
            O::I16x8ReplaceLane { lane } => self.op_replace(I16X8, lane),
            O::I32x4ReplaceLane { lane } => self.op_replace(I32X4, lane),
            O::I64x2ReplaceLane { lane } => self.op_replace(I64X2, lane),
            O::F32x4ReplaceLane { lane } => self.op_replace(F32X4, lane),
            O::F64x2ReplaceLane { lane } => self.op_replace(F64X2, lane),
            O::I8x16Splat => self.op_splat(I8X16),
            O::I16x8Splat => self.op_splat(I16X8),
            O::I32x4Splat => self.op_splat(I32X4),
            O::I64x2Splat => self.op_splat(I64X2),
            O::F32x4Splat => self.op_splat(F32X4),
            O::F64x2Splat => self.op_splat(F64X2),
            O::I8x16Shuffle { lanes } => {
                let mask = self
                    .b
                    .func
                    .dfg
                    .immediates
                    .push(ConstantData::from(&lanes[..]));
                self.vbinop(I8X16, |b, x, y| b.ins().shuffle(x, y, mask));
            }
            O::I8x16Swizzle => self.vbinop(I8X16, |b, x, s| b.ins().swizzle(x, s)),

            // ---- integer comparisons ----
            O::I8x16Eq => self.vicmp(I8X16, IntCC::Equal),
            O::I8x16Ne => self.vicmp(I8X16, IntCC::NotEqual),
            O::I8x16LtS => self.vicmp(I8X16, IntCC::SignedLessThan),
            O::I8x16LtU => self.vicmp(I8X16, IntCC::UnsignedLessThan),
            O::I8x16GtS => self.vicmp(I8X16, IntCC::SignedGreaterThan),
            O::I8x16GtU => self.vicmp(I8X16, IntCC::UnsignedGreaterThan),
            O::I8x16LeS => self.vicmp(I8X16, IntCC::SignedLessThanOrEqual),
            O::I8x16LeU => self.vicmp(I8X16, IntCC::UnsignedLessThanOrEqual),
            O::I8x16GeS => self.vicmp(I8X16, IntCC::SignedGreaterThanOrEqual),
            O::I8x16GeU => self.vicmp(I8X16, IntCC::UnsignedGreaterThanOrEqual),
            O::I16x8Eq => self.vicmp(I16X8, IntCC::Equal),
            O::I16x8Ne => self.vicmp(I16X8, IntCC::NotEqual),
            O::I16x8LtS => self.vicmp(I16X8, IntCC::SignedLessThan),
            O::I16x8LtU => self.vicmp(I16X8, IntCC::UnsignedLessThan),
            O::I16x8GtS => self.vicmp(I16X8, IntCC::SignedGreaterThan),
            O::I16x8GtU => self.vicmp(I16X8, IntCC::UnsignedGreaterThan),
            O::I16x8LeS => self.vicmp(I16X8, IntCC::SignedLessThanOrEqual),
            O::I16x8LeU => self.vicmp(I16X8, IntCC::UnsignedLessThanOrEqual),
            O::I16x8GeS => self.vicmp(I16X8, IntCC::SignedGreaterThanOrEqual),
            O::I16x8GeU => self.vicmp(I16X8, IntCC::UnsignedGreaterThanOrEqual),
            O::I32x4Eq => self.vicmp(I32X4, IntCC::Equal),
            O::I32x4Ne => self.vicmp(I32X4, IntCC::NotEqual),
            O::I32x4LtS => self.vicmp(I32X4, IntCC::SignedLessThan),
            O::I32x4LtU => self.vicmp(I32X4, IntCC::UnsignedLessThan),
            O::I32x4GtS => self.vicmp(I32X4, IntCC::SignedGreaterThan),
            O::I32x4GtU => self.vicmp(I32X4, IntCC::UnsignedGreaterThan),
            O::I32x4LeS => self.vicmp(I32X4, IntCC::SignedLessThanOrEqual),
            O::I32x4LeU => self.vicmp(I32X4, IntCC::UnsignedLessThanOrEqual),
            O::I32x4GeS => self.vicmp(I32X4, IntCC::SignedGreaterThanOrEqual),
            O::I32x4GeU => self.vicmp(I32X4, IntCC::UnsignedGreaterThanOrEqual),
            O::I64x2Eq => self.vicmp(I64X2, IntCC::Equal),
            O::I64x2Ne => self.vicmp(I64X2, IntCC::NotEqual),
            O::I64x2LtS => self.vicmp(I64X2, IntCC::SignedLessThan),
            O::I64x2GtS => self.vicmp(I64X2, IntCC::SignedGreaterThan),
            O::I64x2LeS => self.vicmp(I64X2, IntCC::SignedLessThanOrEqual),
            O::I64x2GeS => self.vicmp(I64X2, IntCC::SignedGreaterThanOrEqual),

            // ---- float comparisons (ordered except `ne`) ----
            O::F32x4Eq => self.vfcmp(F32X4, FloatCC::Equal),
            O::F32x4Ne => self.vfcmp(F32X4, FloatCC::NotEqual),
            O::F32x4Lt => self.vfcmp(F32X4, FloatCC::LessThan),
            O::F32x4Gt => self.vfcmp(F32X4, FloatCC::GreaterThan),
            O::F32x4Le => self.vfcmp(F32X4, FloatCC::LessThanOrEqual),
            O::F32x4Ge => self.vfcmp(F32X4, FloatCC::GreaterThanOrEqual),
            O::F64x2Eq => self.vfcmp(F64X2, FloatCC::Equal),
            O::F64x2Ne => self.vfcmp(F64X2, FloatCC::NotEqual),
            O::F64x2Lt => self.vfcmp(F64X2, FloatCC::LessThan),
            O::F64x2Gt => self.vfcmp(F64X2, FloatCC::GreaterThan),
            O::F64x2Le => self.vfcmp(F64X2, FloatCC::LessThanOrEqual),
            O::F64x2Ge => self.vfcmp(F64X2, FloatCC::GreaterThanOrEqual),

            // ---- bitwise ----
            O::V128Not => self.vunop(I8X16, |b, x| b.ins().bnot(x)),
            O::V128And => self.vbinop(I8X16, |b, x, y| b.ins().band(x, y)),
            O::V128AndNot => self.vbinop(I8X16, |b, x, y| b.ins().band_not(x, y)),
            O::V128Or => self.vbinop(I8X16, |b, x, y| b.ins().bor(x, y)),
            O::V128Xor => self.vbinop(I8X16, |b, x, y| b.ins().bxor(x, y)),
            O::V128Bitselect => {
                // `[v1 v2 c]`: bits of `v1` where `c` is set, else of `v2`.
                let c = self.vpop(I8X16);
                let v2 = self.vpop(I8X16);
                let v1 = self.vpop(I8X16);
                let v = self.b.ins().bitselect(c, v1, v2);
                self.vpush(v);
            }
            O::V128AnyTrue => self.vreduce(I8X16, |b, x| {
                let t = b.ins().vany_true(x);
                b.ins().uextend(types::I32, t)
            }),

            // ---- reductions ----
            O::I8x16AllTrue => self.all_true(I8X16),
            O::I16x8AllTrue => self.all_true(I16X8),
            O::I32x4AllTrue => self.all_true(I32X4),
            O::I64x2AllTrue => self.all_true(I64X2),
            O::I8x16Bitmask => self.bitmask(I8X16),
            O::I16x8Bitmask => self.bitmask(I16X8),
            O::I32x4Bitmask => self.bitmask(I32X4),
            O::I64x2Bitmask => self.bitmask(I64X2),

            // ---- integer arithmetic ----
            O::I8x16Abs => self.vunop(I8X16, |b, x| b.ins().iabs(x)),
            O::I16x8Abs => self.vunop(I16X8, |b, x| b.ins().iabs(x)),
            O::I32x4Abs => self.vunop(I32X4, |b, x| b.ins().iabs(x)),
            O::I64x2Abs => self.vunop(I64X2, |b, x| b.ins().iabs(x)),
            O::I8x16Neg => self.vunop(I8X16, |b, x| b.ins().ineg(x)),
            O::I16x8Neg => self.vunop(I16X8, |b, x| b.ins().ineg(x)),
            O::I32x4Neg => self.vunop(I32X4, |b, x| b.ins().ineg(x)),
            O::I64x2Neg => self.vunop(I64X2, |b, x| b.ins().ineg(x)),
            O::I8x16Popcnt => self.vunop(I8X16, |b, x| b.ins().popcnt(x)),
            O::I8x16Add => self.vbinop(I8X16, |b, x, y| b.ins().iadd(x, y)),
            O::I16x8Add => self.vbinop(I16X8, |b, x, y| b.ins().iadd(x, y)),
            O::I32x4Add => self.vbinop(I32X4, |b, x, y| b.ins().iadd(x, y)),
            O::I64x2Add => self.vbinop(I64X2, |b, x, y| b.ins().iadd(x, y)),
            O::I8x16Sub => self.vbinop(I8X16, |b, x, y| b.ins().isub(x, y)),
            O::I16x8Sub => self.vbinop(I16X8, |b, x, y| b.ins().isub(x, y)),
            O::I32x4Sub => self.vbinop(I32X4, |b, x, y| b.ins().isub(x, y)),
            O::I64x2Sub => self.vbinop(I64X2, |b, x, y| b.ins().isub(x, y)),
            O::I16x8Mul => self.vbinop(I16X8, |b, x, y| b.ins().imul(x, y)),
            O::I32x4Mul => self.vbinop(I32X4, |b, x, y| b.ins().imul(x, y)),
            O::I64x2Mul => self.vbinop(I64X2, |b, x, y| b.ins().imul(x, y)),
            O::I8x16AddSatS => self.vbinop(I8X16, |b, x, y| b.ins().sadd_sat(x, y)),
            O::I8x16AddSatU => self.vbinop(I8X16, |b, x, y| b.ins().uadd_sat(x, y)),
            O::I8x16SubSatS => self.vbinop(I8X16, |b, x, y| b.ins().ssub_sat(x, y)),
            O::I8x16SubSatU => self.vbinop(I8X16, |b, x, y| b.ins().usub_sat(x, y)),
            O::I16x8AddSatS => self.vbinop(I16X8, |b, x, y| b.ins().sadd_sat(x, y)),
            O::I16x8AddSatU => self.vbinop(I16X8, |b, x, y| b.ins().uadd_sat(x, y)),
            O::I16x8SubSatS => self.vbinop(I16X8, |b, x, y| b.ins().ssub_sat(x, y)),
            O::I16x8SubSatU => self.vbinop(I16X8, |b, x, y| b.ins().usub_sat(x, y)),
            O::I8x16MinS => self.vbinop(I8X16, |b, x, y| b.ins().smin(x, y)),
            O::I8x16MinU => self.vbinop(I8X16, |b, x, y| b.ins().umin(x, y)),
            O::I8x16MaxS => self.vbinop(I8X16, |b, x, y| b.ins().smax(x, y)),
            O::I8x16MaxU => self.vbinop(I8X16, |b, x, y| b.ins().umax(x, y)),
            O::I16x8MinS => self.vbinop(I16X8, |b, x, y| b.ins().smin(x, y)),
            O::I16x8MinU => self.vbinop(I16X8, |b, x, y| b.ins().umin(x, y)),
            O::I16x8MaxS => self.vbinop(I16X8, |b, x, y| b.ins().smax(x, y)),
            O::I16x8MaxU => self.vbinop(I16X8, |b, x, y| b.ins().umax(x, y)),
            O::I32x4MinS => self.vbinop(I32X4, |b, x, y| b.ins().smin(x, y)),
            O::I32x4MinU => self.vbinop(I32X4, |b, x, y| b.ins().umin(x, y)),
            O::I32x4MaxS => self.vbinop(I32X4, |b, x, y| b.ins().smax(x, y)),
            O::I32x4MaxU => self.vbinop(I32X4, |b, x, y| b.ins().umax(x, y)),
            O::I8x16AvgrU => self.vbinop(I8X16, |b, x, y| b.ins().avg_round(x, y)),
            O::I16x8AvgrU => self.vbinop(I16X8, |b, x, y| b.ins().avg_round(x, y)),
            O::I16x8Q15MulrSatS => self.vbinop(I16X8, |b, x, y| b.ins().sqmul_round_sat(x, y)),

            // ---- shifts ----
            O::I8x16Shl => self.vshift(I8X16, |b, x, n| b.ins().ishl(x, n)),
            O::I16x8Shl => self.vshift(I16X8, |b, x, n| b.ins().ishl(x, n)),
            O::I32x4Shl => self.vshift(I32X4, |b, x, n| b.ins().ishl(x, n)),
            O::I64x2Shl => self.vshift(I64X2, |b, x, n| b.ins().ishl(x, n)),
            O::I8x16ShrS => self.vshift(I8X16, |b, x, n| b.ins().sshr(x, n)),
            O::I16x8ShrS => self.vshift(I16X8, |b, x, n| b.ins().sshr(x, n)),
            O::I32x4ShrS => self.vshift(I32X4, |b, x, n| b.ins().sshr(x, n)),
            O::I64x2ShrS => self.vshift(I64X2, |b, x, n| b.ins().sshr(x, n)),
            O::I8x16ShrU => self.vshift(I8X16, |b, x, n| b.ins().ushr(x, n)),
            O::I16x8ShrU => self.vshift(I16X8, |b, x, n| b.ins().ushr(x, n)),
            O::I32x4ShrU => self.vshift(I32X4, |b, x, n| b.ins().ushr(x, n)),
            O::I64x2ShrU => self.vshift(I64X2, |b, x, n| b.ins().ushr(x, n)),

            // ---- narrowing, widening, extended multiplies and adds ----
            O::I8x16NarrowI16x8S => self.vbinop(I16X8, |b, x, y| b.ins().snarrow(x, y)),
            O::I8x16NarrowI16x8U => self.vbinop(I16X8, |b, x, y| b.ins().unarrow(x, y)),
            O::I16x8NarrowI32x4S => self.vbinop(I32X4, |b, x, y| b.ins().snarrow(x, y)),
            O::I16x8NarrowI32x4U => self.vbinop(I32X4, |b, x, y| b.ins().unarrow(x, y)),
            O::I16x8ExtendLowI8x16S => self.vunop(I8X16, |b, x| b.ins().swiden_low(x)),
            O::I16x8ExtendHighI8x16S => self.vunop(I8X16, |b, x| b.ins().swiden_high(x)),
            O::I16x8ExtendLowI8x16U => self.vunop(I8X16, |b, x| b.ins().uwiden_low(x)),
            O::I16x8ExtendHighI8x16U => self.vunop(I8X16, |b, x| b.ins().uwiden_high(x)),
            O::I32x4ExtendLowI16x8S => self.vunop(I16X8, |b, x| b.ins().swiden_low(x)),
            O::I32x4ExtendHighI16x8S => self.vunop(I16X8, |b, x| b.ins().swiden_high(x)),
            O::I32x4ExtendLowI16x8U => self.vunop(I16X8, |b, x| b.ins().uwiden_low(x)),
            O::I32x4ExtendHighI16x8U => self.vunop(I16X8, |b, x| b.ins().uwiden_high(x)),
            O::I64x2ExtendLowI32x4S => self.vunop(I32X4, |b, x| b.ins().swiden_low(x)),
            O::I64x2ExtendHighI32x4S => self.vunop(I32X4, |b, x| b.ins().swiden_high(x)),
            O::I64x2ExtendLowI32x4U => self.vunop(I32X4, |b, x| b.ins().uwiden_low(x)),
            O::I64x2ExtendHighI32x4U => self.vunop(I32X4, |b, x| b.ins().uwiden_high(x)),
            O::I16x8ExtMulLowI8x16S => self.op_extmul(I8X16, false, true),
            O::I16x8ExtMulHighI8x16S => self.op_extmul(I8X16, true, true),
            O::I16x8ExtMulLowI8x16U => self.op_extmul(I8X16, false, false),
            O::I16x8ExtMulHighI8x16U => self.op_extmul(I8X16, true, false),
            O::I32x4ExtMulLowI16x8S => self.op_extmul(I16X8, false, true),
            O::I32x4ExtMulHighI16x8S => self.op_extmul(I16X8, true, true),
            O::I32x4ExtMulLowI16x8U => self.op_extmul(I16X8, false, false),
            O::I32x4ExtMulHighI16x8U => self.op_extmul(I16X8, true, false),
            O::I64x2ExtMulLowI32x4S => self.op_extmul(I32X4, false, true),
            O::I64x2ExtMulHighI32x4S => self.op_extmul(I32X4, true, true),
            O::I64x2ExtMulLowI32x4U => self.op_extmul(I32X4, false, false),
            O::I64x2ExtMulHighI32x4U => self.op_extmul(I32X4, true, false),
            O::I16x8ExtAddPairwiseI8x16S => self.op_extadd_pairwise(I8X16, true),
            O::I16x8ExtAddPairwiseI8x16U => self.op_extadd_pairwise(I8X16, false),
            O::I32x4ExtAddPairwiseI16x8S => self.op_extadd_pairwise(I16X8, true),
            O::I32x4ExtAddPairwiseI16x8U => self.op_extadd_pairwise(I16X8, false),
            O::I32x4DotI16x8S => self.vbinop(I16X8, |b, x, y| {
                let (xl, yl) = (b.ins().swiden_low(x), b.ins().swiden_low(y));
                let lo = b.ins().imul(xl, yl);
                let (xh, yh) = (b.ins().swiden_high(x), b.ins().swiden_high(y));
                let hi = b.ins().imul(xh, yh);
                b.ins().iadd_pairwise(lo, hi)
            }),

            // ---- float arithmetic ----
            O::F32x4Abs => self.vunop(F32X4, |b, x| b.ins().fabs(x)),
            O::F64x2Abs => self.vunop(F64X2, |b, x| b.ins().fabs(x)),
            O::F32x4Neg => self.vunop(F32X4, |b, x| b.ins().fneg(x)),
            O::F64x2Neg => self.vunop(F64X2, |b, x| b.ins().fneg(x)),
            O::F32x4Sqrt => self.vunop(F32X4, |b, x| b.ins().sqrt(x)),
            O::F64x2Sqrt => self.vunop(F64X2, |b, x| b.ins().sqrt(x)),
            O::F32x4Ceil => self.vunop(F32X4, |b, x| b.ins().ceil(x)),
            O::F64x2Ceil => self.vunop(F64X2, |b, x| b.ins().ceil(x)),
            O::F32x4Floor => self.vunop(F32X4, |b, x| b.ins().floor(x)),
            O::F64x2Floor => self.vunop(F64X2, |b, x| b.ins().floor(x)),
            O::F32x4Trunc => self.vunop(F32X4, |b, x| b.ins().trunc(x)),
            O::F64x2Trunc => self.vunop(F64X2, |b, x| b.ins().trunc(x)),
            O::F32x4Nearest => self.vunop(F32X4, |b, x| b.ins().nearest(x)),
            O::F64x2Nearest => self.vunop(F64X2, |b, x| b.ins().nearest(x)),
            O::F32x4Add => self.vbinop(F32X4, |b, x, y| b.ins().fadd(x, y)),
            O::F64x2Add => self.vbinop(F64X2, |b, x, y| b.ins().fadd(x, y)),
            O::F32x4Sub => self.vbinop(F32X4, |b, x, y| b.ins().fsub(x, y)),
            O::F64x2Sub => self.vbinop(F64X2, |b, x, y| b.ins().fsub(x, y)),
            O::F32x4Mul => self.vbinop(F32X4, |b, x, y| b.ins().fmul(x, y)),
            O::F64x2Mul => self.vbinop(F64X2, |b, x, y| b.ins().fmul(x, y)),
            O::F32x4Div => self.vbinop(F32X4, |b, x, y| b.ins().fdiv(x, y)),
            O::F64x2Div => self.vbinop(F64X2, |b, x, y| b.ins().fdiv(x, y)),
            O::F32x4Min => self.vbinop(F32X4, |b, x, y| b.ins().fmin(x, y)),
            O::F64x2Min => self.vbinop(F64X2, |b, x, y| b.ins().fmin(x, y)),
            O::F32x4Max => self.vbinop(F32X4, |b, x, y| b.ins().fmax(x, y)),
            O::F64x2Max => self.vbinop(F64X2, |b, x, y| b.ins().fmax(x, y)),
            O::F32x4PMin => self.op_pminmax(F32X4, false),
            O::F64x2PMin => self.op_pminmax(F64X2, false),
            O::F32x4PMax => self.op_pminmax(F32X4, true),
            O::F64x2PMax => self.op_pminmax(F64X2, true),

            // ---- conversions ----
            O::I32x4TruncSatF32x4S => self.vunop(F32X4, |b, x| b.ins().fcvt_to_sint_sat(I32X4, x)),
            O::I32x4TruncSatF32x4U => self.vunop(F32X4, |b, x| b.ins().fcvt_to_uint_sat(I32X4, x)),
            O::I32x4TruncSatF64x2SZero => self.op_trunc_sat_zero(true),
            O::I32x4TruncSatF64x2UZero => self.op_trunc_sat_zero(false),
            O::F32x4ConvertI32x4S => self.vunop(I32X4, |b, x| b.ins().fcvt_from_sint(F32X4, x)),
            O::F32x4ConvertI32x4U => self.vunop(I32X4, |b, x| b.ins().fcvt_from_uint(F32X4, x)),
            O::F64x2ConvertLowI32x4S => self.vunop(I32X4, |b, x| {
                let wide = b.ins().swiden_low(x);
                b.ins().fcvt_from_sint(F64X2, wide)
            }),
            O::F64x2ConvertLowI32x4U => self.vunop(I32X4, |b, x| {
                let wide = b.ins().uwiden_low(x);
                b.ins().fcvt_from_uint(F64X2, wide)
            }),
            O::F32x4DemoteF64x2Zero => self.vunop(F64X2, |b, x| b.ins().fvdemote(x)),
            O::F64x2PromoteLowF32x4 => self.vunop(F32X4, |b, x| b.ins().fvpromote_low(x)),

            other => bail!("unsupported operator {other:?}"),
        }
        Ok(())
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
