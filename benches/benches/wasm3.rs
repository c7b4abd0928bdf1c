//! Two Wasm 3.0 control transfers, Kiln beside wasmtime (with `peers`):
//!
//! - `wasm3/throw-catch-10-frames/<runtime>`: one call that throws an
//!   exception 10 wasm frames below a `try_table` and catches it there
//!   (the unwinder's walk and the landing, plus `exn_new` and the
//!   dispatch);
//! - `wasm3/call-ref-1000/<runtime>`: one call that makes 1000 `call_ref`s
//!   of a small function in a loop (the cost of a typed-reference call
//!   against wasmtime's).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const WASM3_WAT: &str = r#"
(module
  (tag $e (param i32))
  (type $ii (func (param i32) (result i32)))
  (func $deep (param $n i32)
    (if (i32.eqz (local.get $n)) (then (throw $e (i32.const 42))))
    (call $deep (i32.sub (local.get $n) (i32.const 1))))
  ;; $deep 9 is 10 frames deep when it throws.
  (func (export "throw-catch-10-frames") (param $n i32) (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (call $deep (local.get $n)))
      (i32.const -1)))
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (elem declare func $inc)
  (func (export "call-ref-1000") (param $n i32) (result i32)
    (local $i i32) (local $acc i32) (local $f (ref null $ii))
    (local.set $f (ref.func $inc))
    (block $done
      (loop $again
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (call_ref $ii (local.get $acc) (local.get $f)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
    (local.get $acc)))
"#;

/// Each case: export, argument, expected result.
const CASES: [(&str, i32, i32); 2] = [
    ("throw-catch-10-frames", 9, 42),
    ("call-ref-1000", 1000, 1000),
];

fn wasm3(c: &mut Criterion) {
    let wasm = wat::parse_str(WASM3_WAT).unwrap();
    let mut group = c.benchmark_group("wasm3");
    for (export, arg, expected) in CASES {
        let mut run = kiln_benches::runtime::kiln::unary_export(&wasm, export);
        assert_eq!(run(arg), expected, "{export}");
        group.bench_function(BenchmarkId::new(export, "kiln"), |b| {
            b.iter(|| run(black_box(arg)))
        });
        #[cfg(feature = "peers")]
        {
            let mut run = kiln_benches::runtime::wasmtime::unary_export(&wasm, export);
            assert_eq!(run(arg), expected, "{export}");
            group.bench_function(BenchmarkId::new(export, "wasmtime"), |b| {
                b.iter(|| run(black_box(arg)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, wasm3);
criterion_main!(benches);
