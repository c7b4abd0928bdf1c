//! Several memories in one module (`MEMORIES_WAT`): copying 64 KiB from
//! memory 1 into memory 0, once with `memory.copy` between the two
//! (`memories/copy-between/<runtime>`), once with a loop of 8-byte loads
//! from memory 1 and stores to memory 0 (`memories/copy-loop/<runtime>`),
//! which is compiled accesses to a memory other than memory 0.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const MEMORIES_WAT: &str = r#"
(module
  (memory $dst (export "dst") 1)
  (memory $src 1)
  (data (memory $src) (i32.const 0) "multi-memory")
  (func (export "copy-between") (param $len i32) (result i32)
    (memory.copy $dst $src (i32.const 0) (i32.const 0) (local.get $len))
    (i32.load8_u $dst (i32.const 6)))
  (func (export "copy-loop") (param $len i32) (result i32)
    (local $i i32)
    (block $done
      (loop $again
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (i64.store $dst (local.get $i) (i64.load $src (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $again)))
    (i32.load8_u $dst (i32.const 6))))
"#;

/// Bytes each iteration copies: all of memory 1.
const LEN: i32 = 65536;

fn memories(c: &mut Criterion) {
    let wasm = wat::parse_str(MEMORIES_WAT).unwrap();
    let mut group = c.benchmark_group("memories");
    for export in ["copy-between", "copy-loop"] {
        let mut run = kiln_benches::runtime::kiln::unary_export(&wasm, export);
        assert_eq!(run(LEN), i32::from(b'm'), "{export}");
        group.bench_function(BenchmarkId::new(export, "kiln"), |b| {
            b.iter(|| run(black_box(LEN)))
        });
        #[cfg(feature = "peers")]
        {
            let mut run = kiln_benches::runtime::wasmtime::unary_export(&wasm, export);
            assert_eq!(run(LEN), i32::from(b'm'), "{export}");
            group.bench_function(BenchmarkId::new(export, "wasmtime"), |b| {
                b.iter(|| run(black_box(LEN)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, memories);
criterion_main!(benches);
