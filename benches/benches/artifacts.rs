//! Precompiled artifacts against compilation: for every benchmark module,
//! `Module::from_binary` vs `Module::deserialize` + instantiation (with
//! stub imports), so the ratio is what an embedder saves at start-up.

use criterion::{Criterion, criterion_group, criterion_main};
use kiln::{Engine, Module, Store};
use kiln_benches::{bench_modules, bench_wasm_dir, stub_linker};

fn artifacts(c: &mut Criterion) {
    let dir = bench_wasm_dir().unwrap_or_else(|e| panic!("{e:#}"));
    let engine = Engine::default();
    let mut group = c.benchmark_group("artifacts");
    group.sample_size(10);
    for (name, wasm) in bench_modules(&dir).unwrap() {
        let Ok(module) = Module::from_binary(&engine, &wasm) else {
            continue; // a feature Kiln lacks (e.g. SIMD before it lands)
        };
        let artifact = module.serialize().unwrap();
        group.bench_function(format!("{name}/compile"), |b| {
            b.iter(|| Module::from_binary(&engine, &wasm).unwrap())
        });
        group.bench_function(format!("{name}/deserialize+instantiate"), |b| {
            b.iter(|| {
                // SAFETY: made above by this process.
                let module = unsafe { Module::deserialize(&engine, &artifact) }.unwrap();
                let mut store = Store::new(&engine, ());
                let linker = stub_linker(&engine, &mut store, &module).unwrap();
                linker.instantiate(&mut store, &module).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, artifacts);
criterion_main!(benches);
