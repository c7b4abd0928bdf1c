//! Compile phase: `Module::new` (validation and code generation) of every
//! benchmark module, as throughput in bytes of wasm per second.

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use kiln_benches::each_runtime;
use kiln_benches::runtime::{LazyModule, Runtime, Runtimes, name};
use kiln_benches::suite::load_for_bench;
use std::time::Duration;

fn compile(c: &mut Criterion) {
    let suite = load_for_bench();
    let runtimes = Runtimes::default();
    let mut group = c.benchmark_group("compile");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for bench in &suite {
        group.throughput(Throughput::Bytes(bench.wasm.len() as u64));
        each_runtime!(runtimes, |rt| {
            // Skips (with the reason) what the engine cannot compile.
            if LazyModule::new(rt, bench).is_some() {
                group.bench_function(BenchmarkId::new(&bench.name, name(rt)), |b| {
                    b.iter_with_large_drop(|| rt.compile(&bench.wasm).unwrap())
                });
            }
        });
    }
    group.finish();
}

criterion_group!(benches, compile);
criterion_main!(benches);
