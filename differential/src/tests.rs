//! Unit tests, data-driven: each area has one `check` helper, so a new case
//! is one line. Modules are written in the text format (via `wat`).

use crate::value::{Ref, RefKind, Value};
use crate::{Config, Error, ExternVal, Module, Store, Trap};

use Value::{F32, F64, I32, I64};

/// Instantiate `wat` (no imports) in a fresh store with `config`.
fn instance(wat: &str, config: Config) -> Result<(Store, crate::ModuleAddr), Error> {
    let bytes = wat::parse_str(wat).map_err(|e| Error::Invalid(format!("bad test wat: {e}")))?;
    let module = Module::new(&bytes)?;
    let mut store = Store::new(config);
    let inst = store.instantiate(&module, &[])?;
    Ok((store, inst))
}

/// Call export `func` of a fresh instance of `wat`.
fn run_with(wat: &str, config: Config, func: &str, args: &[Value]) -> Result<Vec<Value>, Error> {
    let (mut store, inst) = instance(wat, config)?;
    match store.export(inst, func)? {
        ExternVal::Func(f) => store.invoke(f, args),
        other => Err(Error::Invalid(format!("{func} is {other:?}"))),
    }
}

fn run(wat: &str, func: &str, args: &[Value]) -> Result<Vec<Value>, Error> {
    run_with(wat, Config::default(), func, args)
}

fn type_name(v: &Value) -> &'static str {
    match v {
        I32(_) => "i32",
        I64(_) => "i64",
        F32(_) => "f32",
        F64(_) => "f64",
        Value::V128(_) => "v128",
        Value::Ref(Ref::Null(RefKind::Extern) | Ref::Extern(_)) => "externref",
        Value::Ref(_) => "funcref",
    }
}

fn f32(x: f32) -> Value {
    F32(x.to_bits())
}
fn f64(x: f64) -> Value {
    F64(x.to_bits())
}

mod numeric {
    use super::*;

    /// Apply instruction `op` to `args`; the result type is the expected
    /// value's, or for a trap the type named by `op`'s prefix.
    fn check(op: &str, args: &[Value], expected: Result<Value, Trap>) {
        let params: Vec<&str> = args.iter().map(type_name).collect();
        let result = match &expected {
            Ok(v) => type_name(v),
            Err(_) => op.split('.').next().unwrap_or("i32"),
        };
        let gets: String = (0..args.len()).map(|i| format!("local.get {i} ")).collect();
        let wat = format!(
            "(module (func (export \"f\") (param {}) (result {result}) {gets} {op}))",
            params.join(" ")
        );
        let got = run(&wat, "f", args);
        let want = expected.map(|v| vec![v]).map_err(Error::Trap);
        assert_eq!(got, want, "{op} {args:?}");
    }

    #[test]
    fn integer() {
        check("i32.add", &[I32(i32::MAX), I32(1)], Ok(I32(i32::MIN)));
        check(
            "i32.div_s",
            &[I32(7), I32(0)],
            Err(Trap::IntegerDivideByZero),
        );
        check(
            "i32.div_s",
            &[I32(i32::MIN), I32(-1)],
            Err(Trap::IntegerOverflow),
        );
        check("i32.div_u", &[I32(-1), I32(2)], Ok(I32(i32::MAX)));
        check("i32.rem_s", &[I32(i32::MIN), I32(-1)], Ok(I32(0)));
        check(
            "i64.rem_u",
            &[I64(5), I64(0)],
            Err(Trap::IntegerDivideByZero),
        );
        check("i32.shl", &[I32(1), I32(33)], Ok(I32(2)));
        check("i32.shr_s", &[I32(-8), I32(1)], Ok(I32(-4)));
        check("i64.shr_u", &[I64(-1), I64(63)], Ok(I64(1)));
        check(
            "i64.rotl",
            &[I64(0x8000_0000_0000_0001u64 as i64), I64(65)],
            Ok(I64(3)),
        );
        check("i32.rotr", &[I32(1), I32(1)], Ok(I32(i32::MIN)));
        check("i32.clz", &[I32(0)], Ok(I32(32)));
        check("i64.ctz", &[I64(0)], Ok(I64(64)));
        check("i32.popcnt", &[I32(-1)], Ok(I32(32)));
        check("i32.extend8_s", &[I32(0x80)], Ok(I32(-128)));
        check("i64.extend32_s", &[I64(0xffff_ffff)], Ok(I64(-1)));
        check("i32.eqz", &[I32(0)], Ok(I32(1)));
        check("i64.lt_s", &[I64(-1), I64(0)], Ok(I32(1)));
        check("i64.lt_u", &[I64(-1), I64(0)], Ok(I32(0)));
    }

    #[test]
    fn float_arithmetic_and_nan_rule() {
        // Arithmetic NaN results are the positive canonical NaN.
        check(
            "f32.add",
            &[F32(0x7fa0_0000), f32(1.0)],
            Ok(F32(0x7fc0_0000)),
        );
        check("f64.sqrt", &[f64(-1.0)], Ok(F64(0x7ff8_0000_0000_0000)));
        check(
            "f32.mul",
            &[F32(0xffc0_0001), f32(2.0)],
            Ok(F32(0x7fc0_0000)),
        );
        check(
            "f32.min",
            &[F32(0x7fa0_0000), f32(1.0)],
            Ok(F32(0x7fc0_0000)),
        );
        check(
            "f64.ceil",
            &[F64(0xfff0_0000_0000_0001)],
            Ok(F64(0x7ff8_0000_0000_0000)),
        );
        // Sign-bit operations keep payloads.
        check("f32.neg", &[F32(0x7fa0_0000)], Ok(F32(0xffa0_0000)));
        check(
            "f64.abs",
            &[F64(0xfff0_0000_0000_0001)],
            Ok(F64(0x7ff0_0000_0000_0001)),
        );
        check(
            "f32.copysign",
            &[F32(0x7fa0_0000), f32(-1.0)],
            Ok(F32(0xffa0_0000)),
        );
        // Signed zeros.
        check("f32.min", &[f32(0.0), f32(-0.0)], Ok(f32(-0.0)));
        check("f32.max", &[f32(-0.0), f32(0.0)], Ok(f32(0.0)));
        check("f64.nearest", &[f64(2.5)], Ok(f64(2.0)));
        check("f64.nearest", &[f64(-0.5)], Ok(f64(-0.0)));
        check("f32.trunc", &[f32(-1.5)], Ok(f32(-1.0)));
        check("f64.div", &[f64(1.0), f64(0.0)], Ok(f64(f64::INFINITY)));
        check("f32.eq", &[F32(0x7fc0_0000), F32(0x7fc0_0000)], Ok(I32(0)));
        check("f32.ne", &[F32(0x7fc0_0000), F32(0x7fc0_0000)], Ok(I32(1)));
        check("f64.le", &[f64(-0.0), f64(0.0)], Ok(I32(1)));
    }

    #[test]
    fn conversions() {
        check(
            "i32.trunc_f32_s",
            &[F32(0x7fc0_0000)],
            Err(Trap::InvalidConversionToInteger),
        );
        check(
            "i32.trunc_f32_s",
            &[f32(2147483648.0)],
            Err(Trap::IntegerOverflow),
        );
        check("i32.trunc_f32_s", &[f32(-2147483648.0)], Ok(I32(i32::MIN)));
        check("i32.trunc_f64_s", &[f64(-2147483648.9)], Ok(I32(i32::MIN)));
        check(
            "i32.trunc_f64_s",
            &[f64(-2147483649.0)],
            Err(Trap::IntegerOverflow),
        );
        check("i32.trunc_f64_u", &[f64(-0.9)], Ok(I32(0)));
        check("i32.trunc_f64_u", &[f64(4294967295.9)], Ok(I32(-1)));
        check(
            "i64.trunc_f64_s",
            &[f64(-9223372036854775808.0)],
            Ok(I64(i64::MIN)),
        );
        check(
            "i64.trunc_f64_s",
            &[f64(9223372036854775808.0)],
            Err(Trap::IntegerOverflow),
        );
        check("i64.trunc_f32_u", &[f32(-1.0)], Err(Trap::IntegerOverflow));
        check("i32.trunc_sat_f32_u", &[f32(-1.0)], Ok(I32(0)));
        check("i32.trunc_sat_f32_s", &[F32(0x7fc0_0000)], Ok(I32(0)));
        check("i64.trunc_sat_f64_u", &[f64(1e30)], Ok(I64(-1)));
        check(
            "f32.convert_i64_u",
            &[I64(-1)],
            Ok(f32(18446744073709551615u64 as f32)),
        );
        check("f32.convert_i32_s", &[I32(16777217)], Ok(f32(16777216.0)));
        check(
            "f64.convert_i64_s",
            &[I64(i64::MIN)],
            Ok(f64(-9223372036854775808.0)),
        );
        check(
            "f32.demote_f64",
            &[F64(0x7ff4_0000_0000_0000)],
            Ok(F32(0x7fc0_0000)),
        );
        check("f64.promote_f32", &[f32(1.5)], Ok(f64(1.5)));
        check(
            "i32.reinterpret_f32",
            &[F32(0x7fa0_0001)],
            Ok(I32(0x7fa0_0001)),
        );
        check("f64.reinterpret_i64", &[I64(1)], Ok(F64(1)));
        check("i64.extend_i32_u", &[I32(-1)], Ok(I64(0xffff_ffff)));
        check("i32.wrap_i64", &[I64(0x1_0000_0005)], Ok(I32(5)));
    }
}

mod control {
    use super::*;

    /// Call `(func (export "f") (param i32) (result i32) BODY)` with `arg`.
    fn check(body: &str, arg: i32, expected: Result<i32, Trap>) {
        let wat = format!("(module (func (export \"f\") (param i32) (result i32) {body}))");
        let got = run(&wat, "f", &[I32(arg)]);
        assert_eq!(
            got,
            expected.map(|v| vec![I32(v)]).map_err(Error::Trap),
            "{body}"
        );
    }

    const SUM_TO_N: &str = "(local i32) (block (loop (br_if 1 (i32.eqz (local.get 0))) \
        (local.set 1 (i32.add (local.get 1) (local.get 0))) \
        (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0))) (local.get 1)";
    const SWITCH: &str = "(block (block (block (br_table 0 1 2 (local.get 0))) \
        (return (i32.const 10))) (return (i32.const 11))) (i32.const 12)";

    #[test]
    fn structured_control() {
        check("(block (result i32) (i32.const 1) (br 0)) ", 0, Ok(1));
        check(
            "(if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2)))",
            0,
            Ok(2),
        );
        check(
            "(if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2)))",
            5,
            Ok(1),
        );
        check(
            "(if (local.get 0) (then (return (i32.const 7)))) (i32.const 8)",
            0,
            Ok(8),
        );
        check(SUM_TO_N, 10, Ok(55));
        check(SWITCH, 0, Ok(10));
        check(SWITCH, 1, Ok(11));
        check(SWITCH, 99, Ok(12));
        // Multi-value block with parameters; loop label arity is its params.
        check(
            "(local.get 0) (i32.const 2) (block (param i32 i32) (result i32) (i32.mul))",
            21,
            Ok(42),
        );
        check(
            "(i32.const 0) (loop (param i32) (result i32) (i32.const 1) (i32.add) (local.tee 0) \
             (br_if 0 (i32.lt_u (local.get 0) (i32.const 5))))",
            0,
            Ok(5),
        );
        check("(br 0 (i32.const 3)) (i32.const 4)", 0, Ok(3));
        check(
            "(block (br_if 0 (local.get 0)) (unreachable)) (i32.const 1)",
            1,
            Ok(1),
        );
        check(
            "(block (br_if 0 (local.get 0)) (unreachable)) (i32.const 1)",
            0,
            Err(Trap::Unreachable),
        );
        check(
            "(select (i32.const 1) (i32.const 2) (local.get 0))",
            0,
            Ok(2),
        );
    }

    #[test]
    fn calls() {
        let fac = r#"(module
            (func $fac (export "fac") (param i64) (result i64)
              (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
                (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
            (func (export "swap") (param i32 i32) (result i32 i32) (local.get 1) (local.get 0)))"#;
        assert_eq!(
            run(fac, "fac", &[I64(20)]),
            Ok(vec![I64(2432902008176640000)])
        );
        assert_eq!(
            run(fac, "swap", &[I32(1), I32(2)]),
            Ok(vec![I32(2), I32(1)])
        );
        // Argument types are checked at the embedding boundary.
        assert!(matches!(run(fac, "fac", &[I32(1)]), Err(Error::Invalid(_))));
    }
}

mod memory {
    use super::*;

    const MEM: &str = r#"(module (memory 1 2)
        (data (i32.const 0) "\01\02\03\04\80")
        (data $p "hello")
        (func (export "load8_s") (param i32) (result i32) (i32.load8_s (local.get 0)))
        (func (export "load") (param i32) (result i32) (i32.load offset=1 (local.get 0)))
        (func (export "store_load") (param i32) (result i64)
          (i64.store (local.get 0) (i64.const 0x0102030405060708)) (i64.load (local.get 0)))
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
        (func (export "size") (param i32) (result i32) (memory.size))
        (func (export "fill") (param i32) (result i32)
          (memory.fill (local.get 0) (i32.const 0x1ff) (i32.const 3)) (i32.load (local.get 0)))
        (func (export "copy") (param i32) (result i32)
          (memory.copy (i32.const 1) (i32.const 0) (local.get 0)) (i32.load (i32.const 0)))
        (func (export "init") (param i32) (result i32)
          (memory.init $p (i32.const 100) (local.get 0) (i32.const 2)) (i32.load16_u (i32.const 100)))
        (func (export "drop_then_init") (param i32) (result i32)
          (data.drop $p) (memory.init $p (i32.const 0) (i32.const 0) (local.get 0)) (i32.const 0)))"#;

    fn check(func: &str, arg: i32, expected: Result<Value, Trap>) {
        let got = run(MEM, func, &[I32(arg)]);
        assert_eq!(
            got,
            expected.map(|v| vec![v]).map_err(Error::Trap),
            "{func}({arg})"
        );
    }

    #[test]
    fn loads_stores_and_bounds() {
        check("load8_s", 4, Ok(I32(-128)));
        check("load", 0, Ok(I32(0x8004_0302_u32 as i32)));
        check("load", 65531, Ok(I32(0)));
        check("load", 65532, Err(Trap::MemoryOutOfBounds));
        check("load", -1, Err(Trap::MemoryOutOfBounds));
        check("store_load", 65528, Ok(I64(0x0102030405060708)));
        check("store_load", 65529, Err(Trap::MemoryOutOfBounds));
    }

    #[test]
    fn growth_and_bulk() {
        check("grow", 1, Ok(I32(1)));
        check("grow", 2, Ok(I32(-1)));
        check("size", 0, Ok(I32(1)));
        check("fill", 8, Ok(I32(0x00ff_ffff)));
        check("fill", 65534, Err(Trap::MemoryOutOfBounds));
        check("copy", 4, Ok(I32(0x0302_0101)));
        check("copy", 65536, Err(Trap::MemoryOutOfBounds));
        check("init", 3, Ok(I32(0x6f6c)));
        check("init", 4, Err(Trap::MemoryOutOfBounds));
        check("drop_then_init", 0, Ok(I32(0)));
        check("drop_then_init", 1, Err(Trap::MemoryOutOfBounds));
    }
}

/// 64-bit memories and tables: `i64` operands, an `index + offset` past
/// 2^64 out of bounds (not wrapped round), growth bounded by 2^48 pages,
/// an `i32` length between a 64-bit and a 32-bit memory, and a table64
/// index past 2^32 out of bounds (not truncated).
mod memory64 {
    use super::*;

    const MEM: &str = r#"(module
        (memory $m i64 1 4)
        (memory $huge i64 1 0x1_0000_0000_0000)
        (memory $small 1)
        (table $t i64 2 10 funcref)
        (elem (table $t) (i64.const 1) func $seven)
        (func $seven (result i32) (i32.const 7))
        (data (memory $m) (i64.const 0xffff) "\2a")
        (func (export "load") (param i64) (result i64) (i64.load8_u (local.get 0)))
        (func (export "load_far") (param i64) (result i64)
          (i64.load8_u offset=0xffff_ffff_ffff_fff0 (local.get 0)))
        (func (export "load32_far") (param i64) (result i64)
          (i64.load32_u offset=0xffff_ffff_ffff_fffd (local.get 0)))
        (func (export "size") (param i64) (result i64) (memory.size))
        (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
        (func (export "grow_huge") (param i64) (result i64) (memory.grow $huge (local.get 0)))
        (func (export "fill") (param i64) (result i64)
          (memory.fill (local.get 0) (i32.const 1) (i64.const 2)) (i64.const 0))
        (func (export "copy32") (param i64) (result i64)
          (memory.copy $small $m (i32.const 3) (local.get 0) (i32.const 1))
          (i64.load8_u $small (i32.const 3)))
        (func (export "call") (param i64) (result i64)
          (i64.extend_i32_u (call_indirect $t (result i32) (local.get 0))))
        (func (export "table_size") (param i64) (result i64) (table.size $t))
        (func (export "table_grow") (param i64) (result i64)
          (table.grow $t (ref.null func) (local.get 0))))"#;

    fn check(func: &str, arg: i64, expected: Result<i64, Trap>) {
        let got = run(MEM, func, &[I64(arg)]);
        assert_eq!(
            got,
            expected.map(|v| vec![I64(v)]).map_err(Error::Trap),
            "{func}({arg})"
        );
    }

    #[test]
    fn addresses_and_offsets() {
        check("load", 0xffff, Ok(42));
        check("load", 0x1_0000, Err(Trap::MemoryOutOfBounds));
        check("load", -1, Err(Trap::MemoryOutOfBounds));
        check("load", 1 << 32, Err(Trap::MemoryOutOfBounds));
        check("load_far", 0x10, Err(Trap::MemoryOutOfBounds));
        check("load_far", 0, Err(Trap::MemoryOutOfBounds));
        check("load32_far", 2, Err(Trap::MemoryOutOfBounds));
        check("fill", 0xfffe, Ok(0));
        check("fill", 0xffff, Err(Trap::MemoryOutOfBounds));
        check("fill", -1, Err(Trap::MemoryOutOfBounds));
        check("copy32", 0xffff, Ok(42));
        check("copy32", 0x1_0000, Err(Trap::MemoryOutOfBounds));
    }

    #[test]
    fn growth() {
        check("size", 0, Ok(1));
        check("grow", 3, Ok(1));
        check("grow", 4, Ok(-1));
        check("grow", -1, Ok(-1));
        check("grow_huge", 1 << 48, Ok(-1));
        check("grow_huge", (1 << 48) - 1, Ok(-1));
        check("grow_huge", 1, Ok(1));
    }

    /// Memories of 1-byte pages: sizes, growth and bounds in bytes.
    #[test]
    fn one_byte_pages() {
        const SMALL: &str = r#"(module
            (memory $b 3 10 (pagesize 1))
            (memory $b64 i64 5 (pagesize 1))
            (data (memory $b) (i32.const 0) "xyz")
            (func (export "load") (param i64) (result i64)
              (i64.load8_u (i32.wrap_i64 (local.get 0))))
            (func (export "load64") (param i64) (result i64) (i64.load8_u $b64 (local.get 0)))
            (func (export "size") (param i64) (result i64) (i64.extend_i32_u (memory.size)))
            (func (export "grow") (param i64) (result i64)
              (i64.extend_i32_s (memory.grow (i32.wrap_i64 (local.get 0))))))"#;
        let check = |func: &str, arg: i64, expected: Result<i64, Trap>| {
            let got = run(SMALL, func, &[I64(arg)]);
            let want = expected.map(|v| vec![I64(v)]).map_err(Error::Trap);
            assert_eq!(got, want, "{func}({arg})");
        };
        check("load", 2, Ok(i64::from(b'z')));
        check("load", 3, Err(Trap::MemoryOutOfBounds));
        check("load64", 4, Ok(0));
        check("load64", 5, Err(Trap::MemoryOutOfBounds));
        check("size", 0, Ok(3));
        check("grow", 7, Ok(3));
        check("grow", 8, Ok(-1));
    }

    #[test]
    fn table64() {
        check("call", 1, Ok(7));
        check("call", 0, Err(Trap::UninitializedElement));
        check("call", (1 << 32) + 1, Err(Trap::UndefinedElement));
        check("table_size", 0, Ok(2));
        check("table_grow", 8, Ok(2));
        check("table_grow", 9, Ok(-1));
        check("table_grow", 1 << 40, Ok(-1));
    }
}

mod table {
    use super::*;

    const TABLE: &str = r#"(module
        (type $i (func (result i32)))
        (table $t 3 10 funcref)
        (table $x 2 externref)
        (elem (table $t) (i32.const 0) func $one $two)
        (elem $e func $two)
        (elem declare func $bad)
        (func $one (result i32) (i32.const 1))
        (func $two (result i32) (i32.const 2))
        (func $bad (param i32))
        (func (export "call") (param i32) (result i32) (call_indirect $t (type $i) (local.get 0)))
        (func (export "grow") (param i32) (result i32) (table.grow $t (ref.func $bad) (local.get 0)))
        (func (export "call_after_grow") (param i32) (result i32)
          (drop (table.grow $t (ref.func $bad) (i32.const 1))) (call_indirect $t (type $i) (local.get 0)))
        (func (export "size") (param i32) (result i32) (table.size $x))
        (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
        (func (export "copy") (param i32) (result i32)
          (table.copy $t $t (i32.const 1) (i32.const 0) (local.get 0)) (call_indirect $t (type $i) (i32.const 1)))
        (func (export "init") (param i32) (result i32)
          (table.init $t $e (i32.const 2) (local.get 0) (i32.const 1)) (call_indirect $t (type $i) (i32.const 2)))
        (func (export "fill") (param i32) (result i32)
          (table.fill $x (local.get 0) (ref.null extern) (i32.const 1)) (i32.const 0)))"#;

    fn check(func: &str, arg: i32, expected: Result<i32, Trap>) {
        let got = run(TABLE, func, &[I32(arg)]);
        assert_eq!(
            got,
            expected.map(|v| vec![I32(v)]).map_err(Error::Trap),
            "{func}({arg})"
        );
    }

    #[test]
    fn call_indirect() {
        check("call", 0, Ok(1));
        check("call", 1, Ok(2));
        check("call", 2, Err(Trap::UninitializedElement));
        check("call", 3, Err(Trap::UndefinedElement));
        check("call_after_grow", 3, Err(Trap::IndirectCallTypeMismatch));
    }

    #[test]
    fn table_instructions() {
        check("grow", 7, Ok(3));
        check("grow", 8, Ok(-1));
        check("size", 0, Ok(2));
        check("is_null", 2, Ok(1));
        check("is_null", 0, Ok(0));
        check("is_null", 3, Err(Trap::TableOutOfBounds));
        check("copy", 1, Ok(1));
        check("copy", 3, Err(Trap::TableOutOfBounds));
        check("init", 0, Ok(2));
        check("init", 1, Err(Trap::TableOutOfBounds));
        check("fill", 1, Ok(0));
        check("fill", 2, Err(Trap::TableOutOfBounds));
    }
}

/// Tail calls: real ones (the frame is replaced, so depth stays constant),
/// into wasm and host functions, directly and through a table.
mod tail_calls {
    use super::*;
    use crate::value::ValType;
    use std::sync::Arc;

    /// `$a` → `$b` → `$c` → `$a` ..., with 2, 16 and 3 parameters,
    /// directly and through the table; each round adds `n + 86` and counts
    /// `n` down; at 0 the host's `finish` (through the table) multiplies
    /// by 10. `CALL` is `return_call`, or `call` for the control.
    const LOOP: &str = r#"(module
        (import "host" "finish" (func $finish (param i64 i32) (result i64)))
        (type $a (func (param i64 i32) (result i64)))
        (type $c (func (param i64 i32 i32) (result i64)))
        (table funcref (elem $a $c $finish))
        (func $a (export "run") (param $acc i64) (param $n i32) (result i64)
            (if (result i64) (i32.eqz (local.get $n))
                (then (CALL_indirect (type $a) (local.get $acc) (local.get $n) (i32.const 2)))
                (else (CALL $b (local.get $acc) (local.get $n)
                    (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4)
                    (i64.const 5) (i64.const 6) (i64.const 7) (i64.const 8)
                    (i64.const 9) (i64.const 10) (i64.const 11) (i64.const 12)
                    (f64.const 0.5) (v128.const i64x2 3 4)))))
        (func $b (param $acc i64) (param $n i32)
                (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
                (param $f f64) (param $v v128) (result i64)
            (local $sum i64) (local $i i32)
            (local.set $i (i32.const 2))
            (local.set $sum (i64.add (local.get $acc) (i64.extend_i32_u (local.get $n))))
            (local.set $sum (i64.add (local.get $sum) (i64.add
                (i64.add (i64.add (local.get 2) (local.get 3)) (i64.add (local.get 4) (local.get 5)))
                (i64.add (i64.add (local.get 6) (local.get 7)) (i64.add (local.get 8) (local.get 9))))))
            (local.set $sum (i64.add (local.get $sum) (i64.add
                (i64.add (i64.add (local.get 10) (local.get 11)) (i64.add (local.get 12) (local.get 13)))
                (i64.add (i64.trunc_f64_s (f64.add (local.get $f) (local.get $f)))
                    (i64.add (i64x2.extract_lane 0 (local.get $v))
                        (i64x2.extract_lane 1 (local.get $v)))))))
            ;; Values and labels of the replaced frame are dropped (`EXTRA`:
            ;; a value below the arguments, where the tail call allows it).
            (block (result i64)
                EXTRA
                (CALL_indirect (type $c) (local.get $sum) (local.get $n) (i32.const 1)
                    (i32.const 1))))
        (func $c (param $acc i64) (param $n i32) (param $k i32) (result i64)
            (CALL $a (local.get $acc) (i32.sub (local.get $n) (local.get $k)))))"#;

    const ROUNDS: i32 = 1_000_000;

    /// Run the loop with `call` for `CALL` under `config`.
    fn check_loop(call: &str, config: Config, expected: Result<i64, Error>) {
        let extra = if call == "call" { "" } else { "(i32.const 99)" };
        let wat = LOOP.replace("CALL", call).replace("EXTRA", extra);
        let bytes = wat::parse_str(&wat).expect("test wat");
        let module = Module::new(&bytes).expect("valid");
        let mut store = Store::new(config);
        let finish = store.alloc_host_func(
            crate::FuncType {
                params: vec![ValType::I64, ValType::I32],
                results: vec![ValType::I64],
            },
            Arc::new(|args| match args {
                [I64(acc), I32(n)] => Ok(vec![I64(acc * 10 + i64::from(*n))]),
                _ => unreachable!("typed"),
            }),
        );
        let inst = store
            .instantiate(&module, &[ExternVal::Func(finish)])
            .unwrap();
        let ExternVal::Func(run) = store.export(inst, "run").unwrap() else {
            panic!("run is a function")
        };
        let got = store.invoke(run, &[I64(0), I32(ROUNDS)]);
        assert_eq!(got, expected.map(|v| vec![I64(v)]), "{call}");
    }

    #[test]
    fn a_million_tail_calls_run_in_constant_depth() {
        let rounds = i64::from(ROUNDS);
        let result = (rounds * (rounds + 1) / 2 + 86 * rounds) * 10;
        check_loop("return_call", Config::default(), Ok(result));
        // Two activations at most: the host's call, and the tail calls'.
        let shallow = Config {
            max_call_depth: 1,
            ..Config::default()
        };
        check_loop("return_call", shallow, Ok(result));
        check_loop(
            "call",
            Config::default(),
            Err(Error::Trap(Trap::CallStackExhausted)),
        );
    }

    const CALLS: &str = r#"(module
        (import "host" "add" (func $add (param i32 i32) (result i32)))
        (import "host" "fail" (func $fail (param i32) (result i32)))
        (type $ii (func (param i32 i32) (result i32)))
        (type $i (func (param i32) (result i32)))
        (table 4 funcref)
        (elem (i32.const 0) $add $double)
        (func $double (param i32) (result i32) (i32.add (local.get 0) (local.get 0)))
        (func (export "host") (param i32) (result i32)
            (return_call $add (local.get 0) (i32.const 1)))
        (func (export "host_indirect") (param i32) (result i32)
            (return_call_indirect (type $ii) (local.get 0) (i32.const 2) (i32.const 0)))
        (func (export "host_nested") (param i32) (result i32)
            (i32.add (call $tail_host (local.get 0)) (i32.const 100)))
        (func $tail_host (param i32) (result i32)
            (i32.const 7) (drop) (return_call $add (local.get 0) (i32.const 3)))
        (func (export "fail") (param i32) (result i32) (return_call $fail (local.get 0)))
        ;; Table index `0`: `$add`, `1`: `$double`, `2`, `3`: null, `4`: out.
        (func (export "indirect") (param i32) (result i32)
            (return_call_indirect (type $i) (i32.const 21) (local.get 0))))"#;

    /// Call `func(arg)` of `CALLS`.
    fn check(func: &str, arg: i32, expected: Result<i32, Trap>) {
        let bytes = wat::parse_str(CALLS).expect("test wat");
        let module = Module::new(&bytes).expect("valid");
        let mut store = Store::new(Config::default());
        let ty = |params: &[ValType]| crate::FuncType {
            params: params.to_vec(),
            results: vec![ValType::I32],
        };
        let add = store.alloc_host_func(
            ty(&[ValType::I32, ValType::I32]),
            Arc::new(|args| match args {
                [I32(a), I32(b)] => Ok(vec![I32(a + b)]),
                _ => unreachable!("typed"),
            }),
        );
        let fail = store.alloc_host_func(ty(&[ValType::I32]), Arc::new(|_| Err(Trap::Unreachable)));
        let inst = store
            .instantiate(&module, &[ExternVal::Func(add), ExternVal::Func(fail)])
            .unwrap();
        let ExternVal::Func(f) = store.export(inst, func).unwrap() else {
            panic!("{func} is a function")
        };
        let got = store.invoke(f, &[I32(arg)]);
        assert_eq!(
            got,
            expected.map(|v| vec![I32(v)]).map_err(Error::Trap),
            "{func}({arg})"
        );
    }

    #[test]
    fn into_host_functions_and_through_tables() {
        check("host", 41, Ok(42));
        check("host_indirect", 40, Ok(42));
        // The host's results return to the replaced frame's caller.
        check("host_nested", 1, Ok(104));
        check("fail", 0, Err(Trap::Unreachable));
        check("indirect", 1, Ok(42));
        check("indirect", 0, Err(Trap::IndirectCallTypeMismatch));
        check("indirect", 2, Err(Trap::UninitializedElement));
        check("indirect", 4, Err(Trap::UndefinedElement));
    }
}

mod host_results {
    //! A host function's results must match its type: a wrong count or
    //! type is the embedder's bug, reported rather than pushed.
    use super::*;
    use crate::value::ValType;
    use std::sync::Arc;

    /// Call a wasm function that calls a host `(result i32)` returning
    /// `results`.
    fn check(results: Vec<Value>, expected: Result<Vec<Value>, &str>) {
        let wat = r#"(module
            (import "host" "f" (func $f (result i32)))
            (func (export "run") (result i32) (call $f)))"#;
        let module = Module::new(&wat::parse_str(wat).expect("test wat")).expect("valid");
        let mut store = Store::new(Config::default());
        let ty = crate::FuncType {
            params: vec![],
            results: vec![ValType::I32],
        };
        let given = results.clone();
        let f = store.alloc_host_func(ty, Arc::new(move |_| Ok(given.clone())));
        let inst = store.instantiate(&module, &[ExternVal::Func(f)]).unwrap();
        let ExternVal::Func(run) = store.export(inst, "run").unwrap() else {
            panic!("run is a function")
        };
        let got = store.invoke(run, &[]);
        let expected = expected.map_err(|e| Error::Invalid(e.to_string()));
        assert_eq!(got, expected, "host returning {results:?}");
    }

    #[test]
    fn must_match_the_type() {
        const WRONG: &str = "host function returned wrong types";
        check(vec![I32(7)], Ok(vec![I32(7)]));
        check(vec![], Err(WRONG));
        check(vec![I32(1), I32(2)], Err(WRONG));
        check(vec![I64(7)], Err(WRONG));
    }
}

mod limits {
    use super::*;

    const RUNAWAY: &str = r#"(module
        (func $r (export "recurse") (param i32) (result i32) (call $r (local.get 0)))
        (func (export "spin") (param i32) (result i32) (loop (br 0)) (i32.const 0))
        (func (export "count") (param i32) (result i32)
          (loop (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))) (local.get 0)))"#;

    fn check(config: Config, func: &str, arg: i32, expected: Result<i32, Error>) {
        let got = run_with(RUNAWAY, config, func, &[I32(arg)]);
        assert_eq!(got, expected.map(|v| vec![I32(v)]), "{func}({arg})");
    }

    fn fuel(n: u64) -> Config {
        Config {
            fuel: Some(n),
            ..Config::default()
        }
    }

    #[test]
    fn exhaustion_is_reported_not_hung() {
        let exhausted = Err(Error::Trap(Trap::CallStackExhausted));
        check(Config::default(), "recurse", 0, exhausted.clone());
        check(fuel(u64::MAX), "recurse", 0, exhausted.clone());
        let shallow = Config {
            max_call_depth: 10,
            ..Config::default()
        };
        check(shallow, "recurse", 0, exhausted);
        check(fuel(10_000), "spin", 0, Err(Error::FuelExhausted));
        check(fuel(10_000), "count", 100, Ok(0));
        check(fuel(100), "count", 100, Err(Error::FuelExhausted));
        check(
            Config {
                fuel: None,
                ..Config::default()
            },
            "count",
            100_000,
            Ok(0),
        );
    }
}

mod linking {
    use crate::InterpBackend;
    use kiln_spec_tests::backend::{Backend, Failure, Value as SV};

    /// Compile and instantiate each of `wats` in order on one backend,
    /// registering each successful instance as `m0`, `m1`, ...; the last
    /// module's outcome (after invoking `call` on it, if given) is compared
    /// with `expected`.
    fn check(wats: &[&str], call: Option<&str>, expected: Result<Vec<SV>, Failure>) {
        let mut b = InterpBackend::new();
        let mut last = Err(Failure::Other("no modules".into()));
        for (i, wat) in wats.iter().enumerate() {
            let bytes = wat::parse_str(wat).map_err(|e| Failure::Other(e.to_string()));
            last = bytes
                .and_then(|bytes| b.compile(&bytes))
                .and_then(|m| b.instantiate(&m));
            if let Ok(inst) = &last {
                b.register(&format!("m{i}"), inst);
            }
        }
        let got = last.and_then(|inst| match call {
            Some(f) => b.invoke(&inst, f, &[]),
            None => Ok(vec![]),
        });
        match (&got, &expected) {
            // Only the kind of a link error matters, not its wording.
            (Err(Failure::Link(_)), Err(Failure::Link(_))) => {}
            _ => assert_eq!(got, expected, "{wats:?}"),
        }
    }

    fn unlinkable() -> Result<Vec<SV>, Failure> {
        Err(Failure::Link(String::new()))
    }

    const EXPORTER: &str = r#"(module (memory (export "mem") 1 3) (table (export "tab") 2 funcref)
        (global (export "g") (mut i32) (i32.const 7)) (func (export "f") (param i32)))"#;

    #[test]
    fn import_matching() {
        let ok = || Ok(vec![]);
        check(
            &[EXPORTER, r#"(module (import "m0" "mem" (memory 1 3)))"#],
            None,
            ok(),
        );
        check(
            &[EXPORTER, r#"(module (import "m0" "mem" (memory 0)))"#],
            None,
            ok(),
        );
        check(
            &[
                EXPORTER,
                r#"(module (import "m0" "tab" (table 1 funcref)))"#,
            ],
            None,
            ok(),
        );
        check(
            &[r#"(module (import "spectest" "table" (table 10 20 funcref)))"#],
            None,
            ok(),
        );
        check(
            &[r#"(module (import "spectest" "global_i32" (global i32)))"#],
            None,
            ok(),
        );
        check(
            &[EXPORTER, r#"(module (import "m0" "mem" (memory 2)))"#],
            None,
            unlinkable(),
        );
        check(
            &[EXPORTER, r#"(module (import "m0" "mem" (memory 1 2)))"#],
            None,
            unlinkable(),
        );
        check(
            &[
                EXPORTER,
                r#"(module (import "m0" "tab" (table 2 externref)))"#,
            ],
            None,
            unlinkable(),
        );
        check(
            &[EXPORTER, r#"(module (import "m0" "g" (global i32)))"#],
            None,
            unlinkable(),
        );
        check(
            &[EXPORTER, r#"(module (import "m0" "g" (global (mut i64))))"#],
            None,
            unlinkable(),
        );
        check(
            &[EXPORTER, r#"(module (import "m0" "f" (func (param i64))))"#],
            None,
            unlinkable(),
        );
        check(
            &[EXPORTER, r#"(module (import "m0" "f" (global i32)))"#],
            None,
            unlinkable(),
        );
        check(
            &[EXPORTER, r#"(module (import "m0" "nope" (func)))"#],
            None,
            unlinkable(),
        );
        check(
            &[r#"(module (import "nobody" "f" (func)))"#],
            None,
            unlinkable(),
        );
    }

    #[test]
    fn instantiation_traps_keep_earlier_writes() {
        let importer = r#"(module (import "m0" "mem" (memory 1))
            (data (i32.const 0) "\2a") (data (i32.const 65536) "x"))"#;
        let reader = r#"(module (import "m0" "mem" (memory 1))
            (func (export "peek") (result i32) (i32.load8_u (i32.const 0))))"#;
        let oob = Err(Failure::Trap("out of bounds memory access".into()));
        check(&[EXPORTER, importer], None, oob);
        // `importer` trapped, but its first segment's write to m0's memory stays.
        check(
            &[EXPORTER, importer, reader],
            Some("peek"),
            Ok(vec![SV::I32(42)]),
        );
        let start_trap = r#"(module (func $s unreachable) (start $s))"#;
        check(
            &[start_trap],
            None,
            Err(Failure::Trap("unreachable".into())),
        );
    }

    #[test]
    fn features_beyond_wasm2_are_rejected() {
        let rejected = |wat: &str| {
            let mut b = InterpBackend::new();
            let bytes = wat::parse_str(wat).map_err(|e| Failure::Other(e.to_string()));
            matches!(
                bytes.and_then(|bytes| b.compile(&bytes)),
                Err(Failure::Compile(_))
            )
        };
        assert!(!rejected(
            "(module (func (result v128) (v128.const i64x2 0 0)))"
        ));
        assert!(rejected(
            "(module (func (result v128) (i8x16.relaxed_swizzle (v128.const i64x2 0 0) (v128.const i64x2 0 0))))"
        ));
        assert!(!rejected("(module (memory 1) (memory 1))"));
        assert!(!rejected("(module (memory i64 1))"));
        assert!(!rejected("(module (func $f (return_call $f)))"));
        // Tail calls whose callee's results are not the caller's, or
        // whose arguments are missing.
        assert!(rejected(
            "(module (func $g (result i64) (i64.const 0)) (func (result i32) (return_call $g)))"
        ));
        assert!(rejected(
            "(module (type $t (func (result i64))) (table 1 funcref) \
             (func (result i32) (return_call_indirect (type $t) (i32.const 0))))"
        ));
        assert!(rejected(
            "(module (func $f (param i32) (result i32) (return_call $f)))"
        ));
        // Extended constant expressions are in; a 2.0 script's backend
        // still refuses them.
        let extended = "(module (global i32 (i32.add (i32.const 1) (i32.const 2))))";
        assert!(!rejected(extended));
        let wasm2 = kiln_spec_tests::suites::ScriptFeatures {
            level: "2.0",
            proposal: None,
        };
        let bytes = wat::parse_str(extended).unwrap();
        assert!(matches!(
            InterpBackend::for_script(&wasm2).compile(&bytes),
            Err(Failure::Compile(_))
        ));
        assert!(rejected("(module (memory 1 1 shared))"));
        assert!(rejected(
            "(module (func (result i32) (i32.const 1) (i32.const 2)))"
        ));
        assert!(!rejected(
            "(module (table 2 externref) (func (result i32 i64) (i32.const 1) (i64.const 2)))"
        ));
    }
}

/// Vector instructions: the families whose corner cases are easy to get
/// wrong. Lanes are written in the instruction's shape, lane 0 first.
mod simd {
    use super::*;

    /// A `v128` from lanes of `bits` bits each (given as raw patterns).
    fn pack(bits: u32, lanes: &[u64]) -> Value {
        let mask = u64::MAX >> (64 - bits);
        let v = lanes.iter().enumerate().fold(0u128, |acc, (i, &l)| {
            acc | ((l & mask) as u128) << (bits * i as u32)
        });
        Value::V128(v)
    }
    fn i8x16(l: [i8; 16]) -> Value {
        pack(8, &l.map(|x| x as u8 as u64))
    }
    fn u8x16(l: [u8; 16]) -> Value {
        pack(8, &l.map(|x| x as u64))
    }
    fn i16x8(l: [i16; 8]) -> Value {
        pack(16, &l.map(|x| x as u16 as u64))
    }
    fn i32x4(l: [i32; 4]) -> Value {
        pack(32, &l.map(|x| x as u32 as u64))
    }
    fn i64x2(l: [i64; 2]) -> Value {
        pack(64, &l.map(|x| x as u64))
    }
    /// `f32x4` from raw bits, so NaN payloads can be spelled out.
    fn f32x4_bits(l: [u32; 4]) -> Value {
        pack(32, &l.map(|x| x as u64))
    }
    fn f32x4(l: [f32; 4]) -> Value {
        f32x4_bits(l.map(f32::to_bits))
    }
    fn f64x2_bits(l: [u64; 2]) -> Value {
        pack(64, &l)
    }
    fn f64x2(l: [f64; 2]) -> Value {
        f64x2_bits(l.map(f64::to_bits))
    }

    const NAN32: u32 = 0x7fc0_0000;
    const NAN64: u64 = 0x7ff8_0000_0000_0000;

    /// Apply `op` (with any immediates spelled after it) to `args`.
    fn check(op: &str, args: &[Value], expected: Value) {
        let params: Vec<&str> = args.iter().map(type_name).collect();
        let gets: String = (0..args.len()).map(|i| format!("local.get {i} ")).collect();
        let wat = format!(
            "(module (func (export \"f\") (param {}) (result {}) {gets} {op}))",
            params.join(" "),
            type_name(&expected)
        );
        assert_eq!(run(&wat, "f", args), Ok(vec![expected]), "{op} {args:?}");
    }

    #[test]
    fn narrowing_saturates() {
        let a = i16x8([0, 127, 128, -128, -129, 32767, -32768, 1]);
        let b = i16x8([300, -300, 255, 256, -1, 0, 2, 3]);
        check(
            "i8x16.narrow_i16x8_s",
            &[a, b],
            i8x16([
                0, 127, 127, -128, -128, 127, -128, 1, 127, -128, 127, 127, -1, 0, 2, 3,
            ]),
        );
        // Signed inputs, unsigned saturation: negatives become 0.
        check(
            "i8x16.narrow_i16x8_u",
            &[a, b],
            u8x16([0, 127, 128, 0, 0, 255, 0, 1, 255, 0, 255, 255, 0, 0, 2, 3]),
        );
        check(
            "i16x8.narrow_i32x4_s",
            &[
                i32x4([32768, -32769, 32767, -32768]),
                i32x4([i32::MAX, i32::MIN, 0, -1]),
            ],
            i16x8([32767, -32768, 32767, -32768, 32767, -32768, 0, -1]),
        );
        check(
            "i16x8.narrow_i32x4_u",
            &[
                i32x4([65536, -1, 65535, 32768]),
                i32x4([0, 1, -70000, 70000]),
            ],
            i16x8([-1, 0, -1, -32768, 0, 1, 0, -1]),
        );
    }

    #[test]
    fn q15mulr_rounds_and_saturates() {
        // (a * b + 2^14) >> 15 with an arithmetic (flooring) shift.
        check(
            "i16x8.q15mulr_sat_s",
            &[
                i16x8([-32768, 32767, 16384, 1, -1, -1, -32768, 100]),
                i16x8([-32768, 32767, 16384, 16384, 16384, 16385, 32767, -200]),
            ],
            i16x8([32767, 32766, 8192, 1, 0, -1, -32767, -1]),
        );
    }

    #[test]
    fn pmin_pmax_return_an_operand() {
        // pmin(a, b) = b < a ? b : a; pmax(a, b) = a < b ? b : a. NaN
        // operands come back bit for bit; signed zeros are "equal".
        let snan = 0x7fa0_0001;
        check(
            "f32x4.pmin",
            &[
                f32x4_bits([snan, 1f32.to_bits(), (-0f32).to_bits(), 0]),
                f32x4_bits([1f32.to_bits(), snan, 0, (-0f32).to_bits()]),
            ],
            f32x4_bits([snan, 1f32.to_bits(), (-0f32).to_bits(), 0]),
        );
        check(
            "f32x4.pmax",
            &[
                f32x4([-0.0, 0.0, 1.0, f32::NEG_INFINITY]),
                f32x4([0.0, -0.0, 2.0, -1.0]),
            ],
            f32x4([-0.0, 0.0, 2.0, -1.0]),
        );
        let nan = 0xfff0_0000_0000_0001;
        check(
            "f64x2.pmin",
            &[f64x2_bits([nan, 5f64.to_bits()]), f64x2([1.0, -5.0])],
            f64x2_bits([nan, (-5f64).to_bits()]),
        );
        check(
            "f64x2.pmax",
            &[f64x2([1.0, 3.0]), f64x2_bits([nan, 2f64.to_bits()])],
            f64x2([1.0, 3.0]),
        );
        // Unlike pmin, min is arithmetic: NaN in, canonical NaN out.
        check(
            "f32x4.min",
            &[f32x4_bits([snan, 0, 0, 0]), f32x4([1.0, -0.0, 0.0, 0.0])],
            f32x4_bits([NAN32, (-0f32).to_bits(), 0, 0]),
        );
    }

    #[test]
    fn rounding_and_the_nan_rule() {
        check(
            "f32x4.nearest",
            &[f32x4([2.5, -2.5, 0.5, -0.4])],
            f32x4([2.0, -2.0, 0.0, -0.0]),
        );
        check("f64x2.nearest", &[f64x2([3.5, 4.5])], f64x2([4.0, 4.0]));
        check(
            "f32x4.nearest",
            &[f32x4_bits([0x7fa0_0000, 0xffc0_0001, 0, 0])],
            f32x4_bits([NAN32, NAN32, 0, 0]),
        );
        check(
            "f64x2.ceil",
            &[f64x2_bits([0xfff0_0000_0000_0001, (-0.5f64).to_bits()])],
            f64x2_bits([NAN64, (-0f64).to_bits()]),
        );
        // neg and abs are bit operations, payload kept.
        check(
            "f32x4.neg",
            &[f32x4_bits([0x7fa0_0000, 0, 0, 0])],
            f32x4_bits([0xffa0_0000, 0x8000_0000, 0x8000_0000, 0x8000_0000]),
        );
        check(
            "f64x2.abs",
            &[f64x2_bits([0xfff0_0000_0000_0001, 0x8000_0000_0000_0000])],
            f64x2_bits([0x7ff0_0000_0000_0001, 0]),
        );
        check(
            "f32x4.demote_f64x2_zero",
            &[f64x2_bits([0x7ff0_0000_0000_0001, 1e300f64.to_bits()])],
            f32x4_bits([NAN32, f32::INFINITY.to_bits(), 0, 0]),
        );
    }

    #[test]
    fn trunc_sat() {
        check(
            "i32x4.trunc_sat_f32x4_s",
            &[f32x4([f32::NAN, 3e9, -3e9, -1.9])],
            i32x4([0, i32::MAX, i32::MIN, -1]),
        );
        check(
            "i32x4.trunc_sat_f32x4_u",
            &[f32x4([f32::NAN, -1.0, 5e9, 4294967040.0])],
            i32x4([0, 0, -1, 4294967040u32 as i32]),
        );
        check(
            "i32x4.trunc_sat_f64x2_s_zero",
            &[f64x2([2147483647.9, -2147483648.9])],
            i32x4([i32::MAX, i32::MIN, 0, 0]),
        );
        check(
            "i32x4.trunc_sat_f64x2_u_zero",
            &[f64x2([-0.9, 4294967295.9])],
            i32x4([0, -1, 0, 0]),
        );
        check(
            "f32x4.convert_i32x4_u",
            &[i32x4([-1, 16777217, 0, 1])],
            f32x4([4294967296.0, 16777216.0, 0.0, 1.0]),
        );
    }

    #[test]
    fn shuffle_and_swizzle_lanes() {
        let a = u8x16(std::array::from_fn(|i| 100 + i as u8));
        let b = u8x16(std::array::from_fn(|i| 200 + i as u8));
        // Selectors of 16 and above (including "negative" bytes) give 0.
        check(
            "i8x16.swizzle",
            &[
                a,
                i8x16([15, 16, -1, -128, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 17]),
            ],
            u8x16([
                115, 0, 0, 0, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 0,
            ]),
        );
        // Indices 16..32 select from the second operand.
        check(
            "i8x16.shuffle 31 0 16 15 1 17 2 18 30 14 3 19 4 20 5 21",
            &[a, b],
            u8x16([
                215, 100, 200, 115, 101, 201, 102, 202, 214, 114, 103, 203, 104, 204, 105, 205,
            ]),
        );
        check(
            "i8x16.extract_lane_s 15",
            &[i8x16([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -2])],
            I32(-2),
        );
        check(
            "i16x8.extract_lane_u 7",
            &[i16x8([0, 0, 0, 0, 0, 0, 0, -2])],
            I32(0xfffe),
        );
        check(
            "i8x16.replace_lane 3",
            &[i8x16([0; 16]), I32(0x1ff)],
            i8x16([0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        );
        check("i8x16.splat", &[I32(0x181)], u8x16([0x81; 16]));
    }

    #[test]
    fn shifts_count_modulo_lane_width() {
        check(
            "i8x16.shl",
            &[
                i8x16([1, -1, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                I32(9),
            ],
            i8x16([2, -2, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        );
        // -1 is 7 modulo 8.
        check(
            "i8x16.shr_s",
            &[
                i8x16([-128, 127, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                I32(-1),
            ],
            i8x16([-1, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        );
        check(
            "i16x8.shr_s",
            &[i16x8([-4, 4, 0, 0, 0, 0, 0, 0]), I32(17)],
            i16x8([-2, 2, 0, 0, 0, 0, 0, 0]),
        );
        check(
            "i32x4.shr_u",
            &[i32x4([-1, 1, 2, 3]), I32(32)],
            i32x4([-1, 1, 2, 3]),
        );
        check("i64x2.shl", &[i64x2([1, i64::MIN]), I32(65)], i64x2([2, 0]));
        check(
            "i64x2.shr_u",
            &[i64x2([-1, i64::MIN]), I32(127)],
            i64x2([1, 1]),
        );
    }

    #[test]
    fn integer_corner_cases() {
        check(
            "i8x16.abs",
            &[i8x16([-128, -1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])],
            i8x16([-128, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        );
        check(
            "i8x16.add_sat_u",
            &[u8x16([250; 16]), u8x16([10; 16])],
            u8x16([255; 16]),
        );
        check(
            "i16x8.sub_sat_s",
            &[
                i16x8([-32768, 32767, 0, 0, 0, 0, 0, 0]),
                i16x8([1, -1, 0, 0, 0, 0, 0, 0]),
            ],
            i16x8([-32768, 32767, 0, 0, 0, 0, 0, 0]),
        );
        check(
            "i8x16.avgr_u",
            &[u8x16([255; 16]), u8x16([254; 16])],
            u8x16([255; 16]),
        );
        // The one overflowing dot product wraps.
        check(
            "i32x4.dot_i16x8_s",
            &[
                i16x8([-32768; 8]),
                i16x8([-32768, -32768, 1, 2, 3, 4, 5, 6]),
            ],
            i32x4([i32::MIN, -32768 * 3, -32768 * 7, -32768 * 11]),
        );
        check(
            "i32x4.extadd_pairwise_i16x8_u",
            &[i16x8([-1, -1, 1, 2, 0, 0, -32768, 0])],
            i32x4([131070, 3, 0, 32768]),
        );
        check(
            "i64x2.extmul_high_i32x4_s",
            &[i32x4([0, 0, i32::MIN, -1]), i32x4([0, 0, i32::MIN, 5])],
            i64x2([1 << 62, -5]),
        );
        check(
            "i16x8.extend_high_i8x16_u",
            &[i8x16([0, 0, 0, 0, 0, 0, 0, 0, -1, 1, 0, 0, 0, 0, 0, -128])],
            i16x8([255, 1, 0, 0, 0, 0, 0, 128]),
        );
        check(
            "i16x8.bitmask",
            &[i16x8([-1, 0, -32768, 32767, 0, 0, 0, -2])],
            I32(0b1000_0101),
        );
        check("i64x2.all_true", &[i64x2([1, 0])], I32(0));
        check("v128.any_true", &[i64x2([0, 1 << 40])], I32(1));
        check(
            "i64x2.lt_s",
            &[i64x2([-1, 1]), i64x2([0, 0])],
            i64x2([-1, 0]),
        );
        check(
            "v128.bitselect",
            &[i64x2([-1, 0]), i64x2([0, -1]), i64x2([0x00ff_00ff, 0x0f0f])],
            i64x2([0x00ff_00ff, !0x0f0f]),
        );
    }
}

mod decode {
    /// Decoding a body that starts with `op` (raw bytes) fails with
    /// `expected`. The operator is written over the `nop`s of a valid module,
    /// standing for one that validation would have rejected.
    #[track_caller]
    fn check_refused(op: &[u8], expected: &str) {
        let mut bytes = wat::parse_str("(module (func nop nop nop nop nop nop nop nop))").unwrap();
        // The body: its local count (0), eight `nop`s and `end`.
        let body = [0, 1, 1, 1, 1, 1, 1, 1, 1, 0x0b];
        let at = bytes.windows(body.len()).position(|w| w == body).unwrap() + 1;
        bytes[at..at + op.len()].copy_from_slice(op);
        match crate::module::decode(&bytes) {
            Ok(_) => panic!("{op:02x?} decoded"),
            Err(e) => assert_eq!(e, expected, "{op:02x?}"),
        }
    }

    #[test]
    fn unimplemented_proposals_are_refused_by_name() {
        check_refused(&[0xfb, 0x1c], "unsupported: GC operator `ref_i31`");
        check_refused(
            &[0xfe, 0x03, 0x00],
            "unsupported: threads operator `atomic_fence`",
        );
        check_refused(
            &[0xfd, 0x80, 0x02],
            "unsupported: relaxed-SIMD operator `i8x16_relaxed_swizzle`",
        );
    }
}

/// Typed function references: the instructions, null traps, non-nullable
/// tables with initialisers, and typed values at the embedding interface.
mod typed_refs {
    use super::*;

    const WAT: &str = r#"(module
        (type $ii (func (param i32) (result i32)))
        (func $inc (export "inc") (type $ii) (i32.add (local.get 0) (i32.const 1)))
        (func $nop (export "nop"))
        (elem declare func $inc)
        (table $t 2 (ref $ii) (ref.func $inc))
        (func (export "apply") (param (ref null $ii) i32) (result i32)
          (call_ref $ii (local.get 1) (local.get 0)))
        (func (export "apply-tail") (param (ref null $ii) i32) (result i32)
          (return_call_ref $ii (local.get 1) (local.get 0)))
        (func (export "apply-null") (param i32) (result i32)
          (call_ref $ii (local.get 0) (ref.null $ii)))
        (func (export "from-table") (param i32) (result i32)
          (call_ref $ii (i32.const 5) (table.get $t (local.get 0))))
        (func (export "non-null") (result i32)
          (ref.is_null (ref.as_non_null (ref.null func))))
        (func (export "on-null") (param i32) (result i32)
          (block $l
            (br_on_null $l (select (result (ref null $ii))
              (ref.func $inc) (ref.null $ii) (local.get 0)))
            (drop)
            (return (i32.const 7)))
          (i32.const 0))
        (func (export "on-non-null") (param i32) (result i32) (local $f (ref null $ii))
          (local.set $f
            (block $l (result (ref $ii))
              (br_on_non_null $l (select (result (ref null $ii))
                (ref.func $inc) (ref.null $ii) (local.get 0)))
              (return (i32.const 0))))
          (call_ref $ii (i32.const 10) (local.get $f)))
    )"#;

    /// `func(args)` of a fresh instance of `WAT` gives `expected`.
    #[track_caller]
    fn check(func: &str, args: &[Value], expected: Result<i32, Trap>) {
        let want = expected.map(|v| vec![I32(v)]).map_err(Error::Trap);
        assert_eq!(run(WAT, func, args), want, "{func}{args:?}");
    }

    #[test]
    fn instructions_and_traps() {
        let (store, inst) = instance(WAT, Config::default()).unwrap();
        let Ok(ExternVal::Func(inc)) = store.export(inst, "inc") else {
            panic!("inc")
        };
        // Function addresses are the same in every fresh store.
        let inc = Value::Ref(Ref::Func(inc));
        let null = Value::Ref(Ref::Null(RefKind::Func));
        check("apply", &[inc, I32(41)], Ok(42));
        check("apply-tail", &[inc, I32(1)], Ok(2));
        check("apply", &[null, I32(1)], Err(Trap::NullFunctionReference));
        check(
            "apply-tail",
            &[null, I32(1)],
            Err(Trap::NullFunctionReference),
        );
        check("apply-null", &[I32(1)], Err(Trap::NullFunctionReference));
        check("from-table", &[I32(1)], Ok(6));
        check("from-table", &[I32(2)], Err(Trap::TableOutOfBounds));
        check("non-null", &[], Err(Trap::NullReference));
        check("on-null", &[I32(0)], Ok(0));
        check("on-null", &[I32(1)], Ok(7));
        check("on-non-null", &[I32(0)], Ok(0));
        check("on-non-null", &[I32(1)], Ok(11));
    }

    /// Arguments are checked against concrete types: a function of another
    /// type, or null for a non-nullable parameter, is refused.
    #[test]
    fn typed_arguments() {
        let (mut store, inst) = instance(WAT, Config::default()).unwrap();
        let export = |store: &Store, name| match store.export(inst, name) {
            Ok(ExternVal::Func(f)) => f,
            other => panic!("{name}: {other:?}"),
        };
        let (apply, nop) = (export(&store, "apply"), export(&store, "nop"));
        let got = store.invoke(apply, &[Value::Ref(Ref::Func(nop)), I32(1)]);
        assert!(matches!(got, Err(Error::Invalid(_))), "{got:?}");
        let extern_null = Value::Ref(Ref::Null(RefKind::Extern));
        let got = store.invoke(apply, &[extern_null, I32(1)]);
        assert!(matches!(got, Err(Error::Invalid(_))), "{got:?}");
    }

    /// An immutable global of a subtype satisfies an import; a mutable one
    /// must match exactly.
    #[test]
    fn global_imports_match_by_subtyping() {
        let exporter = r#"(module
            (type $ii (func (param i32) (result i32)))
            (func $f (type $ii) (local.get 0))
            (global (export "g") (ref $ii) (ref.func $f))
            (global (export "m") (mut (ref null $ii)) (ref.func $f)))"#;
        let bytes = wat::parse_str(exporter).unwrap();
        let mut store = Store::new(Config::default());
        let inst = store
            .instantiate(&Module::new(&bytes).unwrap(), &[])
            .unwrap();
        for (name, ty, ok) in [
            ("g", "funcref", true),
            ("g", "(ref null $ii)", true),
            ("g", "(ref $ii)", true),
            ("g", "(ref extern)", false),
            ("m", "(mut (ref null $ii))", true),
            ("m", "(mut funcref)", false),
        ] {
            let wat = format!(
                r#"(module (type $ii (func (param i32) (result i32)))
                    (import "m" "x" (global {ty})))"#
            );
            let module = Module::new(&wat::parse_str(&wat).unwrap()).unwrap();
            let ext = store.export(inst, name).unwrap();
            let got = store.instantiate(&module, &[ext]);
            assert_eq!(got.is_ok(), ok, "{name} as {ty}: {got:?}");
        }
    }
}
