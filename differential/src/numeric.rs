//! Numeric instructions (spec §4.3 "Numerics", §4.4.1).
//!
//! # NaN rule (deterministic)
//!
//! The spec lets an arithmetic result that is NaN be any NaN from the set
//! `nans{...}` of its operands. This interpreter always picks the
//! **positive canonical NaN** (`0x7fc0_0000` / `0x7ff8_0000_0000_0000`) for
//! every such operation: `add sub mul div sqrt min max ceil floor trunc
//! nearest` and `f32.demote_f64` / `f64.promote_f32`. The canonical NaN is
//! a member of every `nans{...}` set, so this is conforming and it makes the
//! interpreter deterministic regardless of host FPU payload propagation.
//! `neg`, `abs` and `copysign` are bit operations (they only touch the sign
//! bit) and therefore preserve payloads, as do `reinterpret`, constants,
//! loads, stores, locals, globals and `select`.
//!
//! The vector instructions ([`crate::simd`]) follow the same rule per lane:
//! every lane whose arithmetic result is NaN holds the canonical NaN, and
//! the bitwise vector operations (`v128.and` ..., `bitselect`, float `neg`,
//! `abs`, `pmin`/`pmax`, lane moves) preserve bits.
//!
//! Each function takes the operand values off the stack already popped;
//! a type mismatch can only happen for unvalidated code and is reported as
//! [`Error::Invalid`] instead of panicking.

use crate::error::{Error, Trap};
use crate::instr::*;
use crate::value::Value;

const F32_CANONICAL_NAN: u32 = 0x7fc0_0000;
const F64_CANONICAL_NAN: u64 = 0x7ff8_0000_0000_0000;

fn confusion(what: &str) -> Error {
    Error::Invalid(format!(
        "operand type mismatch in {what} (unvalidated code?)"
    ))
}

/// Integer semantics for one width, generated for 32 and 64 bits so both
/// read identically. `$u`/`$s` are the unsigned/signed Rust types.
macro_rules! int_semantics {
    ($modname:ident, $u:ty, $s:ty) => {
        mod $modname {
            use super::*;

            pub fn unop(op: IUnop, a: $u) -> $u {
                match op {
                    IUnop::Clz => a.leading_zeros() as $u,
                    IUnop::Ctz => a.trailing_zeros() as $u,
                    IUnop::Popcnt => a.count_ones() as $u,
                    IUnop::Extend8S => a as i8 as $s as $u,
                    IUnop::Extend16S => a as i16 as $s as $u,
                    IUnop::Extend32S => a as i32 as $s as $u,
                }
            }

            pub fn binop(op: IBinop, a: $u, b: $u) -> Result<$u, Trap> {
                let (sa, sb) = (a as $s, b as $s);
                Ok(match op {
                    IBinop::Add => a.wrapping_add(b),
                    IBinop::Sub => a.wrapping_sub(b),
                    IBinop::Mul => a.wrapping_mul(b),
                    IBinop::DivU => a.checked_div(b).ok_or(Trap::IntegerDivideByZero)?,
                    IBinop::RemU => a.checked_rem(b).ok_or(Trap::IntegerDivideByZero)?,
                    IBinop::DivS => {
                        if b == 0 {
                            return Err(Trap::IntegerDivideByZero);
                        }
                        // The only unrepresentable quotient: MIN / -1.
                        sa.checked_div(sb).ok_or(Trap::IntegerOverflow)? as $u
                    }
                    IBinop::RemS => {
                        if b == 0 {
                            return Err(Trap::IntegerDivideByZero);
                        }
                        // MIN rem -1 is 0 in Wasm, not an overflow.
                        sa.wrapping_rem(sb) as $u
                    }
                    IBinop::And => a & b,
                    IBinop::Or => a | b,
                    IBinop::Xor => a ^ b,
                    // Shift counts are taken modulo the bit width.
                    IBinop::Shl => a.wrapping_shl(b as u32),
                    IBinop::ShrS => sa.wrapping_shr(b as u32) as $u,
                    IBinop::ShrU => a.wrapping_shr(b as u32),
                    IBinop::Rotl => a.rotate_left((b % <$u>::BITS as $u) as u32),
                    IBinop::Rotr => a.rotate_right((b % <$u>::BITS as $u) as u32),
                })
            }

            pub fn relop(op: IRelop, a: $u, b: $u) -> bool {
                let (sa, sb) = (a as $s, b as $s);
                match op {
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
                }
            }
        }
    };
}

int_semantics!(i32s, u32, i32);
int_semantics!(i64s, u64, i64);

/// Float semantics for one width. `$f` is the Rust float, `$bits` its bit
/// type, `$nan` the canonical NaN pattern.
macro_rules! float_semantics {
    ($modname:ident, $f:ty, $bits:ty, $nan:expr) => {
        /// Also the lane semantics of the vector float instructions.
        pub(crate) mod $modname {
            use super::*;

            const SIGN: $bits = 1 << (<$bits>::BITS - 1);

            /// Apply the NaN rule of this module's docs to an arithmetic result.
            pub fn arith(r: $f) -> $bits {
                if r.is_nan() { $nan } else { r.to_bits() }
            }

            pub fn unop(op: FUnop, bits: $bits) -> $bits {
                let a = <$f>::from_bits(bits);
                match op {
                    FUnop::Abs => bits & !SIGN,
                    FUnop::Neg => bits ^ SIGN,
                    FUnop::Sqrt => arith(a.sqrt()),
                    FUnop::Ceil => arith(a.ceil()),
                    FUnop::Floor => arith(a.floor()),
                    FUnop::Trunc => arith(a.trunc()),
                    FUnop::Nearest => arith(a.round_ties_even()),
                }
            }

            pub fn binop(op: FBinop, xb: $bits, yb: $bits) -> $bits {
                let (x, y) = (<$f>::from_bits(xb), <$f>::from_bits(yb));
                match op {
                    FBinop::Add => arith(x + y),
                    FBinop::Sub => arith(x - y),
                    FBinop::Mul => arith(x * y),
                    FBinop::Div => arith(x / y),
                    // fmin/fmax: NaN if either is NaN; -0 < +0.
                    FBinop::Min => {
                        if x.is_nan() || y.is_nan() {
                            $nan
                        } else if x == y {
                            // Equal values (incl. ±0): the negative one wins.
                            xb | yb
                        } else if x < y {
                            xb
                        } else {
                            yb
                        }
                    }
                    FBinop::Max => {
                        if x.is_nan() || y.is_nan() {
                            $nan
                        } else if x == y {
                            // Equal values (incl. ±0): the positive one wins.
                            xb & yb
                        } else if x > y {
                            xb
                        } else {
                            yb
                        }
                    }
                    FBinop::Copysign => (xb & !SIGN) | (yb & SIGN),
                }
            }

            pub fn relop(op: FRelop, xb: $bits, yb: $bits) -> bool {
                let (x, y) = (<$f>::from_bits(xb), <$f>::from_bits(yb));
                // IEEE comparisons: every relation with a NaN is false
                // except `ne`, which Rust's operators already implement.
                match op {
                    FRelop::Eq => x == y,
                    FRelop::Ne => x != y,
                    FRelop::Lt => x < y,
                    FRelop::Gt => x > y,
                    FRelop::Le => x <= y,
                    FRelop::Ge => x >= y,
                }
            }
        }
    };
}

float_semantics!(f32s, f32, u32, F32_CANONICAL_NAN);
float_semantics!(f64s, f64, u64, F64_CANONICAL_NAN);

fn bool_value(b: bool) -> Value {
    Value::I32(b as i32)
}

pub fn iunop(op: IUnop, a: Value) -> Result<Value, Error> {
    match a {
        Value::I32(a) => Ok(Value::I32(i32s::unop(op, a as u32) as i32)),
        Value::I64(a) => Ok(Value::I64(i64s::unop(op, a as u64) as i64)),
        _ => Err(confusion("iunop")),
    }
}

pub fn ibinop(op: IBinop, a: Value, b: Value) -> Result<Value, Error> {
    match (a, b) {
        (Value::I32(a), Value::I32(b)) => {
            Ok(Value::I32(i32s::binop(op, a as u32, b as u32)? as i32))
        }
        (Value::I64(a), Value::I64(b)) => {
            Ok(Value::I64(i64s::binop(op, a as u64, b as u64)? as i64))
        }
        _ => Err(confusion("ibinop")),
    }
}

pub fn ieqz(a: Value) -> Result<Value, Error> {
    match a {
        Value::I32(a) => Ok(bool_value(a == 0)),
        Value::I64(a) => Ok(bool_value(a == 0)),
        _ => Err(confusion("eqz")),
    }
}

pub fn irelop(op: IRelop, a: Value, b: Value) -> Result<Value, Error> {
    match (a, b) {
        (Value::I32(a), Value::I32(b)) => Ok(bool_value(i32s::relop(op, a as u32, b as u32))),
        (Value::I64(a), Value::I64(b)) => Ok(bool_value(i64s::relop(op, a as u64, b as u64))),
        _ => Err(confusion("irelop")),
    }
}

pub fn funop(op: FUnop, a: Value) -> Result<Value, Error> {
    match a {
        Value::F32(a) => Ok(Value::F32(f32s::unop(op, a))),
        Value::F64(a) => Ok(Value::F64(f64s::unop(op, a))),
        _ => Err(confusion("funop")),
    }
}

pub fn fbinop(op: FBinop, a: Value, b: Value) -> Result<Value, Error> {
    match (a, b) {
        (Value::F32(a), Value::F32(b)) => Ok(Value::F32(f32s::binop(op, a, b))),
        (Value::F64(a), Value::F64(b)) => Ok(Value::F64(f64s::binop(op, a, b))),
        _ => Err(confusion("fbinop")),
    }
}

pub fn frelop(op: FRelop, a: Value, b: Value) -> Result<Value, Error> {
    match (a, b) {
        (Value::F32(a), Value::F32(b)) => Ok(bool_value(f32s::relop(op, a, b))),
        (Value::F64(a), Value::F64(b)) => Ok(bool_value(f64s::relop(op, a, b))),
        _ => Err(confusion("frelop")),
    }
}

/// A float operand of a conversion, widened exactly to `f64` (every `f32`
/// is representable as an `f64`).
fn float_operand(v: Value, src: Width) -> Result<f64, Error> {
    match (v, src) {
        (Value::F32(b), Width::W32) => Ok(f32::from_bits(b) as f64),
        (Value::F64(b), Width::W64) => Ok(f64::from_bits(b)),
        _ => Err(confusion("float conversion")),
    }
}

/// An integer operand of a conversion, as a signed or unsigned `i128` so
/// that both interpretations of every width fit.
fn int_operand(v: Value, src: Width, sign: Sign) -> Result<i128, Error> {
    match (v, src, sign) {
        (Value::I32(a), Width::W32, Sign::S) => Ok(a as i128),
        (Value::I32(a), Width::W32, Sign::U) => Ok(a as u32 as i128),
        (Value::I64(a), Width::W64, Sign::S) => Ok(a as i128),
        (Value::I64(a), Width::W64, Sign::U) => Ok(a as u64 as i128),
        _ => Err(confusion("int conversion")),
    }
}

/// `trunc`: the exclusive range of source values whose truncation fits the
/// destination. All bounds are exactly representable as `f64`.
fn trunc_range(dst: Width, sign: Sign) -> (f64, f64) {
    match (dst, sign) {
        (Width::W32, Sign::S) => (-2147483649.0, 2147483648.0),
        (Width::W32, Sign::U) => (-1.0, 4294967296.0),
        // -2^63 - 1 rounds to -2^63 in f64; -2^63 itself is in range, so
        // the lower bound is the next f64 below -2^63.
        (Width::W64, Sign::S) => (-9223372036854777856.0, 9223372036854775808.0),
        (Width::W64, Sign::U) => (-1.0, 18446744073709551616.0),
    }
}

pub fn cvt(op: Cvtop, v: Value) -> Result<Value, Error> {
    Ok(match op {
        Cvtop::I32WrapI64 => match v {
            Value::I64(a) => Value::I32(a as i32),
            _ => return Err(confusion("wrap")),
        },
        Cvtop::I64ExtendI32(sign) => Value::I64(int_operand(v, Width::W32, sign)? as i64),
        Cvtop::Trunc {
            dst,
            src,
            sign,
            sat,
        } => {
            let x = float_operand(v, src)?;
            let (lo, hi) = trunc_range(dst, sign);
            if !sat {
                if x.is_nan() {
                    return Err(Trap::InvalidConversionToInteger.into());
                }
                if !(x > lo && x < hi) {
                    return Err(Trap::IntegerOverflow.into());
                }
            }
            // Rust's float-to-int `as` truncates toward zero, saturates out
            // of range values and maps NaN to 0: exactly `trunc_sat`, and
            // the identity of `trunc` on the in-range values checked above.
            match (dst, sign) {
                (Width::W32, Sign::S) => Value::I32(x as i32),
                (Width::W32, Sign::U) => Value::I32(x as u32 as i32),
                (Width::W64, Sign::S) => Value::I64(x as i64),
                (Width::W64, Sign::U) => Value::I64(x as u64 as i64),
            }
        }
        Cvtop::Convert { dst, src, sign } => {
            // Rust's int-to-float `as` rounds to nearest, ties to even, as
            // the spec requires. Go through the exact integer type so
            // there is a single rounding.
            let i = int_operand(v, src, sign)?;
            match (dst, src, sign) {
                (Width::W32, Width::W64, Sign::U) => Value::F32((i as u64 as f32).to_bits()),
                (Width::W32, _, _) => Value::F32((i as i64 as f32).to_bits()),
                (Width::W64, Width::W64, Sign::U) => Value::F64((i as u64 as f64).to_bits()),
                (Width::W64, _, _) => Value::F64((i as i64 as f64).to_bits()),
            }
        }
        Cvtop::F32DemoteF64 => match v {
            Value::F64(b) => Value::F32(f32s::arith(f64::from_bits(b) as f32)),
            _ => return Err(confusion("demote")),
        },
        Cvtop::F64PromoteF32 => match v {
            Value::F32(b) => Value::F64(f64s::arith(f32::from_bits(b) as f64)),
            _ => return Err(confusion("promote")),
        },
        Cvtop::Reinterpret { to_int, width } => match (v, to_int, width) {
            (Value::F32(b), true, Width::W32) => Value::I32(b as i32),
            (Value::F64(b), true, Width::W64) => Value::I64(b as i64),
            (Value::I32(a), false, Width::W32) => Value::F32(a as u32),
            (Value::I64(a), false, Width::W64) => Value::F64(a as u64),
            _ => return Err(confusion("reinterpret")),
        },
    })
}
