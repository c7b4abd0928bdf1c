//! Vector instructions (spec §4.4.3 "Vector Instructions", with the lane
//! operations of §4.3 "Numerics").
//!
//! A `v128` is kept as a `u128` whose little-endian bytes are the vector's
//! bytes in memory order, so lane `i` of a shape with `N`-bit lanes is bits
//! `N*i .. N*(i+1)`. Every instruction is written the way the spec defines
//! it: split the operands into lanes ([`lane`]), apply the scalar operation
//! to each lane (or lane pair), and join the results ([`from_lanes`]).
//! Integer lanes are handled as raw `N`-bit patterns in a `u64`; where the
//! spec reads a lane as `signed_N` or saturates (`sat_s_N`, `sat_u_N`), the
//! arithmetic is done exactly in `i128` first.
//!
//! Float lanes reuse the scalar float semantics of [`crate::numeric`], so
//! the NaN rule is the scalar one applied per lane: a lane whose arithmetic
//! result is NaN holds the positive canonical NaN; `abs`, `neg`, `pmin`,
//! `pmax` and all bitwise and lane-moving instructions preserve bits.
//!
//! Memory accesses (`v128.load*`, `v128.store*`) live in
//! [`crate::memory`]; they use [`lane`] and [`from_lanes`] from here.

use crate::error::Error;
use crate::instr::*;
use crate::numeric::{f32s, f64s};
use crate::value::Value;

fn confusion(what: &str) -> Error {
    Error::Invalid(format!(
        "operand type mismatch in {what} (unvalidated code?)"
    ))
}

/// All ones in the low `bits` bits (`1 <= bits <= 64`).
fn mask(bits: u32) -> u64 {
    u64::MAX >> (64 - bits)
}

/// Lane `i` of `v`, for lanes of `bits` bits, as an unsigned integer.
/// The caller keeps `i` below `128 / bits`.
pub fn lane(v: u128, bits: u32, i: usize) -> u64 {
    (v >> (bits * i as u32)) as u64 & mask(bits)
}

/// The vector of `shape` whose lane `i` is `f(i)`, truncated to the lane
/// width (so wrapping results need no masking by the caller).
pub fn from_lanes(shape: Shape, mut f: impl FnMut(usize) -> u64) -> u128 {
    let bits = shape.lane_bits();
    (0..shape.lanes()).fold(0u128, |acc, i| {
        acc | ((f(i) & mask(bits)) as u128) << (bits * i as u32)
    })
}

/// The integer shape whose lanes are `bits` wide.
pub fn int_shape(bits: u32) -> Shape {
    match bits {
        8 => Shape::I8x16,
        16 => Shape::I16x8,
        32 => Shape::I32x4,
        _ => Shape::I64x2,
    }
}

/// The `bits`-bit pattern `x` read as `signed_N` or unsigned, exactly.
fn int(x: u64, bits: u32, sign: Sign) -> i128 {
    let x = x & mask(bits);
    match sign {
        Sign::U => x as i128,
        Sign::S => (((x << (64 - bits)) as i64) >> (64 - bits)) as i128,
    }
}

/// `sat_s_N` / `sat_u_N`: clamp `x` into the signed or unsigned range of
/// `bits` bits and return its bit pattern.
fn sat(x: i128, bits: u32, sign: Sign) -> u64 {
    let (lo, hi) = match sign {
        Sign::S => (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1),
        Sign::U => (0, (1i128 << bits) - 1),
    };
    x.clamp(lo, hi) as u64 & mask(bits)
}

/// All ones (true) or zero (false), as a lane result.
fn lane_bool(b: bool) -> u64 {
    if b { u64::MAX } else { 0 }
}

// ---- Lane operations ----

fn iunop(op: ViUnop, bits: u32, a: u64) -> u64 {
    let s = int(a, bits, Sign::S);
    match op {
        // |signed(a)| modulo 2^N: the most negative value stays itself.
        ViUnop::Abs => s.unsigned_abs() as u64,
        ViUnop::Neg => (-s) as u64,
        ViUnop::Popcnt => a.count_ones() as u64,
    }
}

fn ibinop(op: ViBinop, bits: u32, a: u64, b: u64) -> u64 {
    let (sa, sb) = (int(a, bits, Sign::S), int(b, bits, Sign::S));
    let (ua, ub) = (int(a, bits, Sign::U), int(b, bits, Sign::U));
    let pick = |sign| match sign {
        Sign::S => (sa, sb),
        Sign::U => (ua, ub),
    };
    match op {
        ViBinop::Add => a.wrapping_add(b),
        ViBinop::Sub => a.wrapping_sub(b),
        ViBinop::Mul => a.wrapping_mul(b),
        ViBinop::AddSat(sign) => {
            let (x, y) = pick(sign);
            sat(x + y, bits, sign)
        }
        ViBinop::SubSat(sign) => {
            let (x, y) = pick(sign);
            sat(x - y, bits, sign)
        }
        ViBinop::Min(sign) => {
            let (x, y) = pick(sign);
            if x <= y { a } else { b }
        }
        ViBinop::Max(sign) => {
            let (x, y) = pick(sign);
            if x >= y { a } else { b }
        }
        // Rounding average: (a + b + 1) / 2, unsigned, without overflow.
        ViBinop::AvgrU => ((ua + ub + 1) >> 1) as u64,
        // (a * b + 2^14) >> 15, saturated to signed 16 bits.
        ViBinop::Q15MulrSatS => sat((sa * sb + (1 << 14)) >> 15, bits, Sign::S),
    }
}

fn irelop(op: IRelop, bits: u32, a: u64, b: u64) -> u64 {
    let (sa, sb) = (int(a, bits, Sign::S), int(b, bits, Sign::S));
    lane_bool(match op {
        IRelop::Eq => a == b,
        IRelop::Ne => a != b,
        IRelop::LtS => sa < sb,
        IRelop::LtU => a < b,
        IRelop::GtS => sa > sb,
        IRelop::GtU => a > b,
        IRelop::LeS => sa <= sb,
        IRelop::LeU => a <= b,
        IRelop::GeS => sa >= sb,
        IRelop::GeU => a >= b,
    })
}

/// Shift lane `a` by `count` modulo the lane width.
fn shift(op: ViShift, bits: u32, a: u64, count: u32) -> u64 {
    let k = count % bits;
    match op {
        ViShift::Shl => a << k,
        ViShift::ShrU => a >> k,
        ViShift::ShrS => (int(a, bits, Sign::S) >> k) as u64,
    }
}

fn funop(shape: Shape, op: FUnop, a: u64) -> Result<u64, Error> {
    match shape {
        Shape::F32x4 => Ok(f32s::unop(op, a as u32) as u64),
        Shape::F64x2 => Ok(f64s::unop(op, a)),
        _ => Err(confusion("vector float unop")),
    }
}

/// `flt(a, b)`, on lanes of a float shape.
fn flt(shape: Shape, a: u64, b: u64) -> bool {
    match shape {
        Shape::F32x4 => f32s::relop(FRelop::Lt, a as u32, b as u32),
        _ => f64s::relop(FRelop::Lt, a, b),
    }
}

fn fbinop(shape: Shape, op: VfBinop, a: u64, b: u64) -> Result<u64, Error> {
    let scalar = match op {
        VfBinop::Add => FBinop::Add,
        VfBinop::Sub => FBinop::Sub,
        VfBinop::Mul => FBinop::Mul,
        VfBinop::Div => FBinop::Div,
        VfBinop::Min => FBinop::Min,
        VfBinop::Max => FBinop::Max,
        // fpmin(z1, z2) = z2 if flt(z2, z1) else z1; fpmax symmetrically.
        // Either operand is returned unchanged, NaN payload included.
        VfBinop::PMin => return Ok(if flt(shape, b, a) { b } else { a }),
        VfBinop::PMax => return Ok(if flt(shape, a, b) { b } else { a }),
    };
    match shape {
        Shape::F32x4 => Ok(f32s::binop(scalar, a as u32, b as u32) as u64),
        Shape::F64x2 => Ok(f64s::binop(scalar, a, b)),
        _ => Err(confusion("vector float binop")),
    }
}

fn frelop(shape: Shape, op: FRelop, a: u64, b: u64) -> Result<u64, Error> {
    match shape {
        Shape::F32x4 => Ok(lane_bool(f32s::relop(op, a as u32, b as u32))),
        Shape::F64x2 => Ok(lane_bool(f64s::relop(op, a, b))),
        _ => Err(confusion("vector float relop")),
    }
}

// ---- Operands ----

fn v128(v: Value) -> Result<u128, Error> {
    match v {
        Value::V128(x) => Ok(x),
        _ => Err(confusion("expected v128")),
    }
}

fn i32_operand(v: Value) -> Result<i32, Error> {
    match v {
        Value::I32(x) => Ok(x),
        _ => Err(confusion("expected i32")),
    }
}

/// The scalar a lane of `shape` is made from (`splat`, `replace_lane`),
/// as raw bits: `i32` for the three narrow integer shapes (wrapped to the
/// lane), `i64`, `f32` or `f64` for the others.
fn scalar_bits(shape: Shape, v: Value) -> Result<u64, Error> {
    match (shape, v) {
        (Shape::I8x16 | Shape::I16x8 | Shape::I32x4, Value::I32(x)) => Ok(x as u32 as u64),
        (Shape::I64x2, Value::I64(x)) => Ok(x as u64),
        (Shape::F32x4, Value::F32(b)) => Ok(b as u64),
        (Shape::F64x2, Value::F64(b)) => Ok(b),
        _ => Err(confusion("lane operand")),
    }
}

/// A lane index, checked against the shape (validation guarantees it).
fn lane_index(shape: Shape, lane: u8) -> Result<usize, Error> {
    let i = lane as usize;
    if i < shape.lanes() {
        Ok(i)
    } else {
        Err(confusion("lane index out of range"))
    }
}

/// How many operands `op` takes off the stack.
pub fn arity(op: &VecInstr) -> usize {
    match op {
        VecInstr::Bitselect => 3,
        VecInstr::Not
        | VecInstr::AnyTrue
        | VecInstr::Splat(_)
        | VecInstr::ExtractLane { .. }
        | VecInstr::IUnop(..)
        | VecInstr::AllTrue(_)
        | VecInstr::Bitmask(_)
        | VecInstr::Extend { .. }
        | VecInstr::ExtAddPairwise { .. }
        | VecInstr::FUnop(..)
        | VecInstr::TruncSat { .. }
        | VecInstr::Convert { .. }
        | VecInstr::Demote
        | VecInstr::Promote => 1,
        VecInstr::Binop(_)
        | VecInstr::Swizzle
        | VecInstr::Shuffle(_)
        | VecInstr::ReplaceLane { .. }
        | VecInstr::IBinop(..)
        | VecInstr::IRelop(..)
        | VecInstr::Shift(..)
        | VecInstr::Narrow { .. }
        | VecInstr::ExtMul { .. }
        | VecInstr::Dot
        | VecInstr::FBinop(..)
        | VecInstr::FRelop(..) => 2,
    }
}

/// Execute `op` on `args` (its [`arity`] operands, bottom of the stack
/// first) and return its single result.
pub fn eval(op: &VecInstr, args: &[Value]) -> Result<Value, Error> {
    if args.len() != arity(op) {
        return Err(confusion("vector instruction arity"));
    }
    let a = || v128(args[0]);
    let b = || v128(args[1]);
    let v = |x: u128| Ok(Value::V128(x));
    match *op {
        VecInstr::Not => v(!a()?),
        VecInstr::Binop(bop) => {
            let (x, y) = (a()?, b()?);
            v(match bop {
                VvBinop::And => x & y,
                VvBinop::AndNot => x & !y,
                VvBinop::Or => x | y,
                VvBinop::Xor => x ^ y,
            })
        }
        VecInstr::Bitselect => {
            let (x, y, c) = (a()?, b()?, v128(args[2])?);
            v((x & c) | (y & !c))
        }
        VecInstr::AnyTrue => Ok(Value::I32((a()? != 0) as i32)),
        VecInstr::Swizzle => {
            let (x, s) = (a()?, b()?);
            // Out-of-range selectors (>= 16) give 0.
            v(from_lanes(Shape::I8x16, |i| {
                let j = lane(s, 8, i) as usize;
                if j < 16 { lane(x, 8, j) } else { 0 }
            }))
        }
        VecInstr::Shuffle(lanes) => {
            let (x, y) = (a()?, b()?);
            if lanes.iter().any(|&j| j >= 32) {
                return Err(confusion("shuffle lane index"));
            }
            // Indices 0..16 pick from the first operand, 16..32 the second.
            v(from_lanes(Shape::I8x16, |i| {
                let j = lanes[i] as usize;
                if j < 16 {
                    lane(x, 8, j)
                } else {
                    lane(y, 8, j - 16)
                }
            }))
        }
        VecInstr::Splat(shape) => {
            let s = scalar_bits(shape, args[0])?;
            v(from_lanes(shape, |_| s))
        }
        VecInstr::ExtractLane {
            shape,
            lane: l,
            sign,
        } => {
            let i = lane_index(shape, l)?;
            let bits = shape.lane_bits();
            let x = lane(a()?, bits, i);
            Ok(match shape {
                Shape::I8x16 | Shape::I16x8 => {
                    Value::I32(int(x, bits, sign.unwrap_or(Sign::U)) as i32)
                }
                Shape::I32x4 => Value::I32(x as u32 as i32),
                Shape::I64x2 => Value::I64(x as i64),
                Shape::F32x4 => Value::F32(x as u32),
                Shape::F64x2 => Value::F64(x),
            })
        }
        VecInstr::ReplaceLane { shape, lane: l } => {
            let i = lane_index(shape, l)?;
            let x = a()?;
            let s = scalar_bits(shape, args[1])?;
            let bits = shape.lane_bits();
            v(from_lanes(
                shape,
                |j| if j == i { s } else { lane(x, bits, j) },
            ))
        }
        VecInstr::IUnop(shape, uop) => {
            let (x, bits) = (a()?, shape.lane_bits());
            v(from_lanes(shape, |i| iunop(uop, bits, lane(x, bits, i))))
        }
        VecInstr::IBinop(shape, bop) => {
            let (x, y, bits) = (a()?, b()?, shape.lane_bits());
            v(from_lanes(shape, |i| {
                ibinop(bop, bits, lane(x, bits, i), lane(y, bits, i))
            }))
        }
        VecInstr::IRelop(shape, rop) => {
            let (x, y, bits) = (a()?, b()?, shape.lane_bits());
            v(from_lanes(shape, |i| {
                irelop(rop, bits, lane(x, bits, i), lane(y, bits, i))
            }))
        }
        VecInstr::Shift(shape, sop) => {
            let (x, bits) = (a()?, shape.lane_bits());
            let count = i32_operand(args[1])? as u32;
            v(from_lanes(shape, |i| {
                shift(sop, bits, lane(x, bits, i), count)
            }))
        }
        VecInstr::AllTrue(shape) => {
            let (x, bits) = (a()?, shape.lane_bits());
            let all = (0..shape.lanes()).all(|i| lane(x, bits, i) != 0);
            Ok(Value::I32(all as i32))
        }
        VecInstr::Bitmask(shape) => {
            // Bit i of the result is the sign bit of lane i.
            let (x, bits) = (a()?, shape.lane_bits());
            let m = (0..shape.lanes()).fold(0u32, |m, i| {
                m | (((lane(x, bits, i) >> (bits - 1)) as u32) << i)
            });
            Ok(Value::I32(m as i32))
        }
        VecInstr::Narrow { to, sign } => {
            // Lanes of the first operand, then of the second, each read as
            // signed 2N-bit and saturated to (un)signed N-bit.
            let (x, y) = (a()?, b()?);
            let bits = to.lane_bits();
            let half = to.lanes() / 2;
            v(from_lanes(to, |i| {
                let src = if i < half {
                    lane(x, 2 * bits, i)
                } else {
                    lane(y, 2 * bits, i - half)
                };
                sat(int(src, 2 * bits, Sign::S), bits, sign)
            }))
        }
        VecInstr::Extend { to, half, sign } => {
            let (x, bits) = (a()?, to.lane_bits() / 2);
            let base = half_base(to, half);
            v(from_lanes(to, |i| {
                int(lane(x, bits, base + i), bits, sign) as u64
            }))
        }
        VecInstr::ExtMul { to, half, sign } => {
            let (x, y, bits) = (a()?, b()?, to.lane_bits() / 2);
            let base = half_base(to, half);
            v(from_lanes(to, |i| {
                let p = int(lane(x, bits, base + i), bits, sign)
                    * int(lane(y, bits, base + i), bits, sign);
                p as u64
            }))
        }
        VecInstr::ExtAddPairwise { to, sign } => {
            let (x, bits) = (a()?, to.lane_bits() / 2);
            v(from_lanes(to, |i| {
                let s = int(lane(x, bits, 2 * i), bits, sign)
                    + int(lane(x, bits, 2 * i + 1), bits, sign);
                s as u64
            }))
        }
        VecInstr::Dot => {
            let (x, y) = (a()?, b()?);
            let prod = |j| int(lane(x, 16, j), 16, Sign::S) * int(lane(y, 16, j), 16, Sign::S);
            // The sum wraps (only for all four inputs = -32768).
            v(from_lanes(Shape::I32x4, |i| {
                (prod(2 * i) + prod(2 * i + 1)) as u64
            }))
        }
        VecInstr::FUnop(shape, uop) => {
            let (x, bits) = (a()?, shape.lane_bits());
            let mut out = [0u64; 4];
            for (i, o) in out.iter_mut().enumerate().take(shape.lanes()) {
                *o = funop(shape, uop, lane(x, bits, i))?;
            }
            v(from_lanes(shape, |i| out[i]))
        }
        VecInstr::FBinop(shape, bop) => {
            let (x, y, bits) = (a()?, b()?, shape.lane_bits());
            let mut out = [0u64; 4];
            for (i, o) in out.iter_mut().enumerate().take(shape.lanes()) {
                *o = fbinop(shape, bop, lane(x, bits, i), lane(y, bits, i))?;
            }
            v(from_lanes(shape, |i| out[i]))
        }
        VecInstr::FRelop(shape, rop) => {
            let (x, y, bits) = (a()?, b()?, shape.lane_bits());
            let mut out = [0u64; 4];
            for (i, o) in out.iter_mut().enumerate().take(shape.lanes()) {
                *o = frelop(shape, rop, lane(x, bits, i), lane(y, bits, i))?;
            }
            v(from_lanes(shape, |i| out[i]))
        }
        VecInstr::TruncSat { src, sign } => {
            // Rust's float-to-int `as` is exactly `trunc_sat`: toward zero,
            // saturating, NaN to 0. f64x2 fills lanes 0 and 1; 2 and 3 are 0.
            let x = a()?;
            let sat_lane = |f: f64| match sign {
                Sign::S => f as i32 as u32 as u64,
                Sign::U => f as u32 as u64,
            };
            match src {
                Shape::F32x4 => v(from_lanes(Shape::I32x4, |i| {
                    sat_lane(f32::from_bits(lane(x, 32, i) as u32) as f64)
                })),
                Shape::F64x2 => v(from_lanes(Shape::I32x4, |i| {
                    if i < 2 {
                        sat_lane(f64::from_bits(lane(x, 64, i)))
                    } else {
                        0
                    }
                })),
                _ => Err(confusion("trunc_sat source shape")),
            }
        }
        VecInstr::Convert { to, sign } => {
            // Rust's int-to-float `as` rounds to nearest, ties to even;
            // i32 to f64 is exact. f64x2 converts lanes 0 and 1.
            let x = a()?;
            let src = |i| int(lane(x, 32, i), 32, sign) as i64;
            match to {
                Shape::F32x4 => v(from_lanes(to, |i| (src(i) as f32).to_bits() as u64)),
                Shape::F64x2 => v(from_lanes(to, |i| (src(i) as f64).to_bits())),
                _ => Err(confusion("convert result shape")),
            }
        }
        VecInstr::Demote => {
            let x = a()?;
            v(from_lanes(Shape::F32x4, |i| {
                if i < 2 {
                    f32s::arith(f64::from_bits(lane(x, 64, i)) as f32) as u64
                } else {
                    0
                }
            }))
        }
        VecInstr::Promote => {
            let x = a()?;
            v(from_lanes(Shape::F64x2, |i| {
                f64s::arith(f32::from_bits(lane(x, 32, i) as u32) as f64)
            }))
        }
    }
}

/// Index of the first source lane a widening instruction producing `to`
/// reads: 0 for the low half, `to.lanes()` for the high half.
fn half_base(to: Shape, half: Half) -> usize {
    match half {
        Half::Low => 0,
        Half::High => to.lanes(),
    }
}
