//! Instantiate phase: a fresh store and an instance of an already
//! compiled module in it, through a WASI linker built once. As in
//! sightglass, the store's WASI context (its directory opened) is made
//! before the clock starts, and dropping the store is not measured.

use criterion::{BatchSize, BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use kiln_benches::each_runtime;
use kiln_benches::runtime::{LazyModule, Runtime, Runtimes, name};
use kiln_benches::suite::load_for_bench;
use std::time::Duration;

/// Stores alive at once: each batch's, dropped together after it.
const LIVE_STORES: u64 = 100;

fn instantiate(c: &mut Criterion) {
    let suite = load_for_bench();
    let runtimes = Runtimes::default();
    let mut group = c.benchmark_group("instantiate");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    for bench in &suite {
        each_runtime!(runtimes, |rt| {
            if let Some(mut module) = LazyModule::new(rt, bench) {
                group.bench_function(BenchmarkId::new(&bench.name, name(rt)), |b| {
                    let module = module.get();
                    b.iter_batched(
                        || rt.host(bench).unwrap(),
                        |host| rt.instantiate(module, host).unwrap(),
                        // Stores are dropped after each batch, outside the
                        // measurement; a pooling allocator (`kiln-pooling`,
                        // 1000 slots by default) must hold a whole batch.
                        BatchSize::NumIterations(LIVE_STORES),
                    )
                });
            }
        });
    }
    group.finish();
}

criterion_group!(benches, instantiate);
criterion_main!(benches);
