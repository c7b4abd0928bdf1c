//! Translating script values to [`Value`]s and checking results against
//! `assert_return` patterns.
//!
//! Floats are compared bit for bit (the scripts spell out NaN payloads
//! when they matter), except for the two NaN patterns:
//!
//! * `nan:canonical`: a NaN whose payload is exactly the quiet bit, with
//!   either sign.
//! * `nan:arithmetic`: a NaN with the quiet bit set and any other payload.
//!
//! `v128` patterns are checked lane by lane in the lane shape the script
//! uses, so an `f32x4` pattern can mix NaN patterns and exact lanes.

use std::fmt::Write as _;

use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::token::{F32, F64};
use wast::{WastArg, WastRet};

use crate::backend::Value;

/// Convert an `invoke` argument. `Err` names what this runner cannot pass.
pub(crate) fn arg_value(arg: &WastArg<'_>) -> Result<Value, String> {
    let WastArg::Core(arg) = arg else {
        return Err("component-model argument".to_string());
    };
    Ok(match arg {
        WastArgCore::I32(x) => Value::I32(*x),
        WastArgCore::I64(x) => Value::I64(*x),
        WastArgCore::F32(x) => Value::F32(x.bits),
        WastArgCore::F64(x) => Value::F64(x.bits),
        WastArgCore::V128(x) => Value::V128(u128::from_le_bytes(x.to_le_bytes())),
        WastArgCore::RefNull(heap) => match null_kind(heap) {
            Some(NullKind::Func) => Value::FuncRef { is_null: true },
            Some(NullKind::Extern) => Value::ExternRef(None),
            Some(NullKind::Exn) => Value::ExnRef { is_null: true },
            None => return Err(format!("argument `ref.null {}`", heap_name(heap))),
        },
        WastArgCore::RefExtern(n) => Value::ExternRef(Some(*n)),
        WastArgCore::RefHost(n) => return Err(format!("argument `ref.host {n}`")),
    })
}

/// Check `actual` against the expected results of an `assert_return`.
///
/// `Err` explains the mismatch (or the unsupported pattern) in a form ready
/// for a failure report.
pub(crate) fn check_results(expected: &[WastRet<'_>], actual: &[Value]) -> Result<(), String> {
    let mismatch = || {
        format!(
            "expected {}, got {}",
            list(expected.iter().map(ret_to_string)),
            list(actual.iter().map(value_to_string))
        )
    };
    if expected.len() != actual.len() {
        return Err(mismatch());
    }
    for (expected, actual) in expected.iter().zip(actual) {
        let WastRet::Core(expected) = expected else {
            return Err("unsupported: component-model result pattern".to_string());
        };
        match ret_matches(expected, actual) {
            Ok(true) => {}
            Ok(false) => return Err(mismatch()),
            Err(unsupported) => return Err(format!("unsupported: {unsupported}")),
        }
    }
    Ok(())
}

/// Whether `actual` matches one expected result. `Err` names a pattern the
/// [`Value`] model cannot express (GC references, host references, ...).
pub(crate) fn ret_matches(expected: &WastRetCore<'_>, actual: &Value) -> Result<bool, String> {
    Ok(match (expected, actual) {
        (WastRetCore::I32(e), Value::I32(a)) => e == a,
        (WastRetCore::I64(e), Value::I64(a)) => e == a,
        (WastRetCore::F32(e), Value::F32(a)) => f32_matches(e, *a),
        (WastRetCore::F64(e), Value::F64(a)) => f64_matches(e, *a),
        (WastRetCore::V128(e), Value::V128(a)) => v128_matches(e, *a),
        (WastRetCore::RefNull(None), v) => {
            matches!(
                v,
                Value::FuncRef { is_null: true }
                    | Value::ExternRef(None)
                    | Value::ExnRef { is_null: true }
            )
        }
        (WastRetCore::RefNull(Some(heap)), v) => match null_kind(heap) {
            Some(NullKind::Func) => *v == Value::FuncRef { is_null: true },
            Some(NullKind::Extern) => *v == Value::ExternRef(None),
            Some(NullKind::Exn) => *v == Value::ExnRef { is_null: true },
            None => return Err(format!("result pattern `ref.null {}`", heap_name(heap))),
        },
        (WastRetCore::RefExtern(None), v) => matches!(v, Value::ExternRef(Some(_))),
        (WastRetCore::RefExtern(Some(e)), v) => *v == Value::ExternRef(Some(*e)),
        // The backend reports only null-ness of function references, so a
        // `ref.func $f` pattern can check that much and no more.
        (WastRetCore::RefFunc(_), v) => *v == Value::FuncRef { is_null: false },
        (WastRetCore::Either(alternatives), v) => {
            for alternative in alternatives {
                if ret_matches(alternative, v)? {
                    return Ok(true);
                }
            }
            false
        }
        (
            WastRetCore::RefHost(_)
            | WastRetCore::RefAny
            | WastRetCore::RefEq
            | WastRetCore::RefArray
            | WastRetCore::RefStruct
            | WastRetCore::RefI31
            | WastRetCore::RefI31Shared,
            _,
        ) => return Err(format!("result pattern `{}`", ret_core_to_string(expected))),
        // A numeric pattern against a value of another type.
        _ => false,
    })
}

pub(crate) fn f32_matches(expected: &NanPattern<F32>, bits: u32) -> bool {
    const QUIET_NAN: u32 = 0x7fc0_0000;
    match expected {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == QUIET_NAN,
        // The quiet bit lies inside the mask, and exponent all-ones plus a
        // set quiet bit is always a NaN, so no separate NaN test is needed.
        NanPattern::ArithmeticNan => bits & QUIET_NAN == QUIET_NAN,
        NanPattern::Value(x) => x.bits == bits,
    }
}

pub(crate) fn f64_matches(expected: &NanPattern<F64>, bits: u64) -> bool {
    const QUIET_NAN: u64 = 0x7ff8_0000_0000_0000;
    match expected {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == QUIET_NAN,
        NanPattern::ArithmeticNan => bits & QUIET_NAN == QUIET_NAN,
        NanPattern::Value(x) => x.bits == bits,
    }
}

fn v128_matches(expected: &V128Pattern, actual: u128) -> bool {
    let bytes = actual.to_le_bytes();
    // Lane `i` of width `N` bytes, little-endian like wasm memory.
    fn lane<const N: usize>(bytes: &[u8; 16], i: usize) -> [u8; N] {
        let mut out = [0; N];
        out.copy_from_slice(&bytes[i * N..(i + 1) * N]);
        out
    }
    match expected {
        V128Pattern::I8x16(e) => (0..16).all(|i| e[i] == i8::from_le_bytes(lane(&bytes, i))),
        V128Pattern::I16x8(e) => (0..8).all(|i| e[i] == i16::from_le_bytes(lane(&bytes, i))),
        V128Pattern::I32x4(e) => (0..4).all(|i| e[i] == i32::from_le_bytes(lane(&bytes, i))),
        V128Pattern::I64x2(e) => (0..2).all(|i| e[i] == i64::from_le_bytes(lane(&bytes, i))),
        V128Pattern::F32x4(e) => {
            (0..4).all(|i| f32_matches(&e[i], u32::from_le_bytes(lane(&bytes, i))))
        }
        V128Pattern::F64x2(e) => {
            (0..2).all(|i| f64_matches(&e[i], u64::from_le_bytes(lane(&bytes, i))))
        }
    }
}

/// The null references a [`Value`] can represent.
enum NullKind {
    Func,
    Extern,
    Exn,
}

fn null_kind(heap: &HeapType<'_>) -> Option<NullKind> {
    match heap {
        HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::Func | AbstractHeapType::NoFunc,
        } => Some(NullKind::Func),
        HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::Extern | AbstractHeapType::NoExtern,
        } => Some(NullKind::Extern),
        HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::Exn | AbstractHeapType::NoExn,
        } => Some(NullKind::Exn),
        _ => None,
    }
}

fn heap_name(heap: &HeapType<'_>) -> String {
    match heap {
        HeapType::Abstract { shared, ty } => {
            let ty = format!("{ty:?}").to_lowercase();
            if *shared {
                format!("(shared {ty})")
            } else {
                ty
            }
        }
        HeapType::Concrete(_) | HeapType::Exact(_) => "<concrete type>".to_string(),
    }
}

fn list(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    format!("[{}]", items.join(", "))
}

/// Render a result the way the scripts write it, plus raw float bits.
pub(crate) fn value_to_string(value: &Value) -> String {
    match value {
        Value::I32(x) => format!("i32:{x}"),
        Value::I64(x) => format!("i64:{x}"),
        Value::F32(bits) => format!("f32:{} (0x{bits:08x})", f32::from_bits(*bits)),
        Value::F64(bits) => format!("f64:{} (0x{bits:016x})", f64::from_bits(*bits)),
        Value::V128(x) => format!("v128:0x{x:032x}"),
        Value::FuncRef { is_null: true } => "ref.null func".to_string(),
        Value::FuncRef { is_null: false } => "ref.func".to_string(),
        Value::ExternRef(None) => "ref.null extern".to_string(),
        Value::ExternRef(Some(n)) => format!("ref.extern {n}"),
        Value::ExnRef { is_null: true } => "ref.null exn".to_string(),
        Value::ExnRef { is_null: false } => "ref.exn".to_string(),
    }
}

fn ret_to_string(ret: &WastRet<'_>) -> String {
    match ret {
        WastRet::Core(core) => ret_core_to_string(core),
        _ => "<component value>".to_string(),
    }
}

fn ret_core_to_string(ret: &WastRetCore<'_>) -> String {
    fn nan_or<T>(pattern: &NanPattern<T>, bits: impl Fn(&T) -> String) -> String {
        match pattern {
            NanPattern::CanonicalNan => "nan:canonical".to_string(),
            NanPattern::ArithmeticNan => "nan:arithmetic".to_string(),
            NanPattern::Value(x) => bits(x),
        }
    }
    let f32_text = |x: &F32| format!("{} (0x{:08x})", f32::from_bits(x.bits), x.bits);
    let f64_text = |x: &F64| format!("{} (0x{:016x})", f64::from_bits(x.bits), x.bits);
    match ret {
        WastRetCore::I32(x) => format!("i32:{x}"),
        WastRetCore::I64(x) => format!("i64:{x}"),
        WastRetCore::F32(p) => format!("f32:{}", nan_or(p, f32_text)),
        WastRetCore::F64(p) => format!("f64:{}", nan_or(p, f64_text)),
        WastRetCore::V128(p) => {
            let mut s = String::from("v128:");
            // Writing into a `String` cannot fail.
            let _ = match p {
                V128Pattern::I8x16(l) => write!(s, "i8x16 {l:?}"),
                V128Pattern::I16x8(l) => write!(s, "i16x8 {l:?}"),
                V128Pattern::I32x4(l) => write!(s, "i32x4 {l:?}"),
                V128Pattern::I64x2(l) => write!(s, "i64x2 {l:?}"),
                V128Pattern::F32x4(l) => {
                    write!(s, "f32x4 {:?}", l.each_ref().map(|p| nan_or(p, f32_text)))
                }
                V128Pattern::F64x2(l) => {
                    write!(s, "f64x2 {:?}", l.each_ref().map(|p| nan_or(p, f64_text)))
                }
            };
            s
        }
        WastRetCore::RefNull(None) => "ref.null".to_string(),
        WastRetCore::RefNull(Some(heap)) => format!("ref.null {}", heap_name(heap)),
        WastRetCore::RefExtern(None) => "ref.extern".to_string(),
        WastRetCore::RefExtern(Some(n)) => format!("ref.extern {n}"),
        WastRetCore::RefHost(n) => format!("ref.host {n}"),
        WastRetCore::RefFunc(_) => "ref.func".to_string(),
        WastRetCore::RefAny => "ref.any".to_string(),
        WastRetCore::RefEq => "ref.eq".to_string(),
        WastRetCore::RefArray => "ref.array".to_string(),
        WastRetCore::RefStruct => "ref.struct".to_string(),
        WastRetCore::RefI31 => "ref.i31".to_string(),
        WastRetCore::RefI31Shared => "ref.i31_shared".to_string(),
        WastRetCore::Either(alternatives) => {
            let alternatives: Vec<String> = alternatives.iter().map(ret_core_to_string).collect();
            format!("either({})", alternatives.join(" | "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wast::parser::{self, ParseBuffer};

    /// `pattern` is an `assert_return` result without its parentheses, e.g.
    /// `f32.const nan:canonical`; `Ok(bool)` is whether `actual` matches it,
    /// `Err(())` that the pattern is unsupported.
    #[track_caller]
    fn check(pattern: &str, actual: Value, expected: Result<bool, ()>) {
        let buf = ParseBuffer::new(pattern).expect("lexes");
        let ret: WastRetCore<'_> = parser::parse(&buf).expect("parses");
        let got = ret_matches(&ret, &actual).map_err(|_| ());
        assert_eq!(got, expected, "{pattern} vs {actual:?}");
    }

    #[test]
    fn float_patterns() {
        let yes = Ok(true);
        let no = Ok(false);
        check("f32.const nan:canonical", Value::F32(0x7fc0_0000), yes);
        check("f32.const nan:canonical", Value::F32(0xffc0_0000), yes);
        check("f32.const nan:canonical", Value::F32(0x7fc0_0001), no);
        check("f32.const nan:canonical", Value::F32(0x7fa0_0000), no);
        check("f32.const nan:canonical", Value::F32(0x7f80_0000), no);
        check("f32.const nan:arithmetic", Value::F32(0x7fc0_0000), yes);
        check("f32.const nan:arithmetic", Value::F32(0xffc0_1234), yes);
        check("f32.const nan:arithmetic", Value::F32(0x7fa0_0000), no);
        check("f32.const nan:arithmetic", Value::F32(0x7f80_0000), no);
        check("f32.const nan:arithmetic", Value::F32(0x3fc0_0000), no);
        check("f32.const nan:0x200000", Value::F32(0x7fa0_0000), yes);
        check("f32.const -nan", Value::F32(0x7fc0_0000), no);
        check("f32.const 0", Value::F32(0x8000_0000), no);
        check("f32.const -0", Value::F32(0x8000_0000), yes);
        check("f32.const 1.5", Value::F64(1.5f64.to_bits()), no);
        check(
            "f64.const nan:canonical",
            Value::F64(0x7ff8_0000_0000_0000),
            yes,
        );
        check(
            "f64.const nan:canonical",
            Value::F64(0xfff8_0000_0000_0000),
            yes,
        );
        check(
            "f64.const nan:canonical",
            Value::F64(0x7ff8_0000_0000_0001),
            no,
        );
        check(
            "f64.const nan:arithmetic",
            Value::F64(0x7ff8_0000_dead_beef),
            yes,
        );
        check(
            "f64.const nan:arithmetic",
            Value::F64(0x7ff4_0000_0000_0000),
            no,
        );
        check("f64.const 0x1p-1074", Value::F64(1), yes);
    }

    #[test]
    fn v128_patterns() {
        let yes = Ok(true);
        let no = Ok(false);
        let lanes32 = |l: [u32; 4]| {
            Value::V128(
                l.iter()
                    .rev()
                    .fold(0u128, |acc, &x| (acc << 32) | u128::from(x)),
            )
        };
        check(
            "v128.const i32x4 1 2 3 -1",
            lanes32([1, 2, 3, u32::MAX]),
            yes,
        );
        check("v128.const i32x4 1 2 3 4", lanes32([4, 3, 2, 1]), no);
        check(
            "v128.const i8x16 1 0 0 0 2 0 0 0 3 0 0 0 4 0 0 0",
            lanes32([1, 2, 3, 4]),
            yes,
        );
        check(
            "v128.const i16x8 1 0 2 0 3 0 4 0",
            lanes32([1, 2, 3, 4]),
            yes,
        );
        check(
            "v128.const i64x2 1 -1",
            Value::V128(u128::MAX << 64 | 1),
            yes,
        );
        let nan = 0x7fc0_0000;
        let f32x4 = "v128.const f32x4 nan:canonical 1.0 nan:arithmetic -0";
        check(
            f32x4,
            lanes32([nan, 0x3f80_0000, 0x7fc0_0001, 0x8000_0000]),
            yes,
        );
        check(f32x4, lanes32([nan | 1, 0x3f80_0000, nan, 0x8000_0000]), no);
        check(
            f32x4,
            lanes32([nan, 0x3f80_0000, 0x7fa0_0000, 0x8000_0000]),
            no,
        );
        check(
            "v128.const f64x2 nan:canonical 1",
            Value::V128(0x3ff0_0000_0000_0000_7ff8_0000_0000_0000),
            yes,
        );
        check("v128.const i32x4 0 0 0 0", Value::I32(0), no);
    }

    #[test]
    fn reference_patterns() {
        let yes = Ok(true);
        let no = Ok(false);
        check("ref.null func", Value::FuncRef { is_null: true }, yes);
        check("ref.null func", Value::ExternRef(None), no);
        check("ref.null extern", Value::ExternRef(None), yes);
        check("ref.null extern", Value::FuncRef { is_null: true }, no);
        check("ref.null", Value::ExternRef(None), yes);
        check("ref.null", Value::FuncRef { is_null: false }, no);
        check("ref.extern 3", Value::ExternRef(Some(3)), yes);
        check("ref.extern 3", Value::ExternRef(Some(4)), no);
        check("ref.extern", Value::ExternRef(Some(4)), yes);
        check("ref.extern", Value::ExternRef(None), no);
        check("ref.func", Value::FuncRef { is_null: false }, yes);
        check("ref.func 0", Value::FuncRef { is_null: true }, no);
        check("ref.null any", Value::ExternRef(None), Err(()));
        check("ref.i31", Value::I32(1), Err(()));
    }

    #[test]
    fn either_and_integers() {
        check("i32.const -1", Value::I32(-1), Ok(true));
        check("i32.const 0xffffffff", Value::I32(-1), Ok(true));
        check("i64.const 1", Value::I32(1), Ok(false));
        check(
            "either (i32.const 1) (i32.const 2)",
            Value::I32(2),
            Ok(true),
        );
        check(
            "either (i32.const 1) (i32.const 2)",
            Value::I32(3),
            Ok(false),
        );
        check(
            "either (v128.const i32x4 0 0 0 0) (v128.const f32x4 nan:canonical 0 0 0)",
            Value::V128(0x7fc0_0000),
            Ok(true),
        );
    }
}
