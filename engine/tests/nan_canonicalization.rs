//! `Config::cranelift_nan_canonicalization`: with it, every float operation
//! that can produce a NaN yields the canonical NaN, scalar and per vector
//! lane, `demote`/`promote` included; the operations the spec defines on
//! bits keep their operands' bits; results that are not NaN are unchanged.
//!
//! Each case is a function body over the parameters of [`PARAMS`] (NaNs
//! with payloads and signs, ordinary numbers, vectors mixing both), passed
//! at run time so that the host's instructions compute them, not
//! Cranelift's constant folding.

use kiln::*;

const C32: u32 = 0x7fc0_0000;
const C64: u64 = 0x7ff8_0000_0000_0000;
/// A negative quiet NaN with a payload, and a signalling one.
const NAN32: u32 = 0xffc0_0123;
const SNAN32: u32 = 0x7fa0_0001;
const NAN64: u64 = 0xfff8_0000_0001_2345;
const ONE32: u32 = 0x3f80_0000;
const TWO32: u32 = 0x4000_0000;
const FOUR32: u32 = 0x4080_0000;
const FIVE32: u32 = 0x40a0_0000;
const ONE64: u64 = 0x3ff0_0000_0000_0000;
const TWO64: u64 = 0x4000_0000_0000_0000;
const THREE64: u64 = 0x4008_0000_0000_0000;

fn f32x4(l: [u32; 4]) -> u128 {
    l.iter()
        .enumerate()
        .fold(0, |acc, (i, &x)| acc | u128::from(x) << (32 * i))
}

fn f64x2(l: [u64; 2]) -> u128 {
    u128::from(l[0]) | u128::from(l[1]) << 64
}

/// `$x` NaN with payload, `$y` 1.0, `$z` 0.0 (f32); `$X`, `$Y`, `$Z` the
/// same in f64; `$v` f32x4 [NaN, 1, sNaN, 4]; `$w` f64x2 [NaN, 2].
const PARAMS: &str = "(param $x f32) (param $y f32) (param $z f32)
    (param $X f64) (param $Y f64) (param $Z f64) (param $v v128) (param $w v128)";

fn args() -> Vec<Val> {
    vec![
        Val::F32(NAN32),
        Val::F32(ONE32),
        Val::F32(0),
        Val::F64(NAN64),
        Val::F64(ONE64),
        Val::F64(0),
        Val::V128(f32x4([NAN32, ONE32, SNAN32, FOUR32])),
        Val::V128(f64x2([NAN64, TWO64])),
    ]
}

/// `body`'s result, with NaN canonicalisation on or off, at `opt`.
fn eval_at(body: &str, result: &Val, canonicalize: bool, opt: OptLevel) -> Val {
    let ty = match result {
        Val::F32(_) => "f32",
        Val::F64(_) => "f64",
        Val::V128(_) => "v128",
        other => panic!("no case returns {other:?}"),
    };
    let wat = format!("(module (func (export \"f\") {PARAMS} (result {ty}) {body}))");
    let mut config = Config::new();
    config
        .cranelift_nan_canonicalization(canonicalize)
        .cranelift_opt_level(opt);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, &wat).unwrap_or_else(|e| panic!("{body}: {e:#}"));
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let f = instance.get_func(&mut store, "f").unwrap();
    let mut results = [Val::I32(0)];
    f.call(&mut store, &args(), &mut results).unwrap();
    results[0]
}

fn eval(body: &str, result: &Val, canonicalize: bool) -> Val {
    eval_at(body, result, canonicalize, OptLevel::Speed)
}

fn bits(v: &Val) -> u128 {
    match v {
        Val::F32(b) => u128::from(*b),
        Val::F64(b) => u128::from(*b),
        Val::V128(b) => *b,
        other => panic!("not a float: {other:?}"),
    }
}

/// With canonicalisation on, `body` returns exactly `expected`, optimised
/// or not.
#[track_caller]
fn check(body: &str, expected: Val) {
    for opt in [OptLevel::Speed, OptLevel::None] {
        let got = eval_at(body, &expected, true, opt);
        assert_eq!(
            bits(&got),
            bits(&expected),
            "{body} ({opt:?}): got {:#x}, want {:#x}",
            bits(&got),
            bits(&expected)
        );
    }
}

/// Cases whose result is a NaN the FPU may choose: canonical with the
/// option on.
const ARITHMETIC: &[(&str, Val)] = &[
    ("(f32.add (local.get $x) (local.get $y))", Val::F32(C32)),
    ("(f32.sub (local.get $y) (local.get $x))", Val::F32(C32)),
    ("(f32.mul (local.get $x) (local.get $y))", Val::F32(C32)),
    ("(f32.div (local.get $z) (local.get $z))", Val::F32(C32)),
    ("(f32.sqrt (f32.neg (local.get $y)))", Val::F32(C32)),
    ("(f32.sqrt (local.get $x))", Val::F32(C32)),
    ("(f32.min (local.get $y) (local.get $x))", Val::F32(C32)),
    ("(f32.max (local.get $x) (local.get $y))", Val::F32(C32)),
    ("(f32.ceil (local.get $x))", Val::F32(C32)),
    ("(f32.floor (local.get $x))", Val::F32(C32)),
    ("(f32.trunc (local.get $x))", Val::F32(C32)),
    ("(f32.nearest (local.get $x))", Val::F32(C32)),
    ("(f32.demote_f64 (local.get $X))", Val::F32(C32)),
    ("(f64.add (local.get $X) (local.get $Y))", Val::F64(C64)),
    ("(f64.sub (local.get $Y) (local.get $X))", Val::F64(C64)),
    ("(f64.mul (local.get $X) (local.get $Y))", Val::F64(C64)),
    ("(f64.div (local.get $Z) (local.get $Z))", Val::F64(C64)),
    ("(f64.sqrt (f64.neg (local.get $Y)))", Val::F64(C64)),
    ("(f64.min (local.get $Y) (local.get $X))", Val::F64(C64)),
    ("(f64.max (local.get $X) (local.get $Y))", Val::F64(C64)),
    ("(f64.ceil (local.get $X))", Val::F64(C64)),
    ("(f64.floor (local.get $X))", Val::F64(C64)),
    ("(f64.trunc (local.get $X))", Val::F64(C64)),
    ("(f64.nearest (local.get $X))", Val::F64(C64)),
    ("(f64.promote_f32 (local.get $x))", Val::F64(C64)),
    (
        "(f64.promote_f32 (f32.reinterpret_i32 (i32.const 0x7fa00001)))",
        Val::F64(C64),
    ),
];

/// The same per lane: NaN lanes canonical, the others computed.
fn lane_cases() -> Vec<(&'static str, Val)> {
    let v = |l| Val::V128(f32x4(l));
    let w = |l| Val::V128(f64x2(l));
    vec![
        (
            "(f32x4.add (local.get $v) (f32x4.splat (local.get $y)))",
            v([C32, TWO32, C32, FIVE32]),
        ),
        (
            "(f32x4.sub (local.get $v) (f32x4.splat (local.get $z)))",
            v([C32, ONE32, C32, FOUR32]),
        ),
        (
            "(f32x4.mul (local.get $v) (f32x4.splat (local.get $y)))",
            v([C32, ONE32, C32, FOUR32]),
        ),
        (
            "(f32x4.div (local.get $v) (f32x4.splat (local.get $y)))",
            v([C32, ONE32, C32, FOUR32]),
        ),
        ("(f32x4.sqrt (local.get $v))", v([C32, ONE32, C32, TWO32])),
        (
            "(f32x4.min (local.get $v) (f32x4.splat (local.get $y)))",
            v([C32, ONE32, C32, ONE32]),
        ),
        (
            "(f32x4.max (local.get $v) (f32x4.splat (local.get $y)))",
            v([C32, ONE32, C32, FOUR32]),
        ),
        ("(f32x4.ceil (local.get $v))", v([C32, ONE32, C32, FOUR32])),
        ("(f32x4.floor (local.get $v))", v([C32, ONE32, C32, FOUR32])),
        ("(f32x4.trunc (local.get $v))", v([C32, ONE32, C32, FOUR32])),
        (
            "(f32x4.nearest (local.get $v))",
            v([C32, ONE32, C32, FOUR32]),
        ),
        (
            "(f32x4.demote_f64x2_zero (local.get $w))",
            v([C32, TWO32, 0, 0]),
        ),
        (
            "(f64x2.add (local.get $w) (f64x2.splat (local.get $Y)))",
            w([C64, THREE64]),
        ),
        (
            "(f64x2.sub (local.get $w) (f64x2.splat (local.get $Z)))",
            w([C64, TWO64]),
        ),
        (
            "(f64x2.mul (local.get $w) (f64x2.splat (local.get $Y)))",
            w([C64, TWO64]),
        ),
        (
            "(f64x2.div (local.get $w) (f64x2.splat (local.get $Y)))",
            w([C64, TWO64]),
        ),
        ("(f64x2.sqrt (f64x2.neg (local.get $w)))", w([C64, C64])),
        (
            "(f64x2.min (local.get $w) (f64x2.splat (local.get $Y)))",
            w([C64, ONE64]),
        ),
        (
            "(f64x2.max (local.get $w) (f64x2.splat (local.get $Y)))",
            w([C64, TWO64]),
        ),
        ("(f64x2.ceil (local.get $w))", w([C64, TWO64])),
        ("(f64x2.floor (local.get $w))", w([C64, TWO64])),
        ("(f64x2.trunc (local.get $w))", w([C64, TWO64])),
        ("(f64x2.nearest (local.get $w))", w([C64, TWO64])),
        ("(f64x2.promote_low_f32x4 (local.get $v))", w([C64, ONE64])),
    ]
}

#[test]
fn nan_producing_operations_give_the_canonical_nan() {
    for (body, expected) in ARITHMETIC.iter().copied().chain(lane_cases()) {
        check(body, expected);
    }
}

/// Operations the spec defines on bits, and results that are not NaN,
/// are untouched.
#[test]
fn bit_operations_and_numbers_keep_their_bits() {
    check("(local.get $x)", Val::F32(NAN32));
    check("(f32.neg (local.get $x))", Val::F32(NAN32 & !(1 << 31)));
    check("(f32.abs (local.get $x))", Val::F32(NAN32 & !(1 << 31)));
    check(
        "(f32.copysign (local.get $x) (local.get $y))",
        Val::F32(NAN32 & !(1 << 31)),
    );
    check(
        "(f32.reinterpret_i32 (i32.const 0x7fa00001))",
        Val::F32(SNAN32),
    );
    check("(f64.neg (local.get $X))", Val::F64(NAN64 & !(1 << 63)));
    check("(f32.add (local.get $y) (local.get $y))", Val::F32(TWO32));
    check("(f64.promote_f32 (local.get $y))", Val::F64(ONE64));
    check("(f32.demote_f64 (local.get $Y))", Val::F32(ONE32));
    check("(f32.convert_i32_s (i32.const 2))", Val::F32(TWO32));
    let neg = |x: u32| x ^ (1 << 31);
    check(
        "(f32x4.neg (local.get $v))",
        Val::V128(f32x4([neg(NAN32), neg(ONE32), neg(SNAN32), neg(FOUR32)])),
    );
    // pmin/pmax return an operand: its NaN, payload and all.
    check(
        "(f32x4.pmin (local.get $v) (f32x4.splat (local.get $y)))",
        Val::V128(f32x4([NAN32, ONE32, SNAN32, ONE32])),
    );
    check(
        "(f64x2.pmax (local.get $w) (f64x2.splat (local.get $Y)))",
        Val::V128(f64x2([NAN64, TWO64])),
    );
}

/// Without the option the host's NaNs come through: on x86-64 and
/// aarch64 (which propagate payloads), most of the cases above differ,
/// so the test above checks something.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[test]
fn without_the_option_the_hosts_nans_show() {
    let cases: Vec<_> = ARITHMETIC.iter().copied().chain(lane_cases()).collect();
    let differing: Vec<&str> = cases
        .iter()
        .filter(|(body, expected)| bits(&eval(body, expected, false)) != bits(expected))
        .map(|(body, _)| *body)
        .collect();
    assert!(
        differing.len() * 2 > cases.len(),
        "only {} of {} cases differ: {differing:?}",
        differing.len(),
        cases.len()
    );
    // Every NaN source of the issue among them: payloads through demote
    // and promote, scalar and vector.
    for op in [
        "f32.demote_f64",
        "f64.promote_f32",
        "f32x4.demote",
        "f64x2.promote",
    ] {
        assert!(
            differing.iter().any(|b| b.contains(op)),
            "{op}: {differing:?}"
        );
    }
}
