//! Execute phase: the time between the guest's `bench.start` and
//! `bench.end` calls (recorded by the host functions), of a fresh instance
//! per run; instantiation and everything outside the two calls is not
//! measured. Every run's stdout (and stderr) must equal the benchmark's
//! expected files, or the bench panics: a fast wrong answer is not a result.

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use kiln_benches::each_runtime;
use kiln_benches::runtime::{LazyModule, Runtimes, execute_checked, name};
use kiln_benches::suite::load_for_bench;
use std::time::Duration;

fn execute(c: &mut Criterion) {
    let suite = load_for_bench();
    let runtimes = Runtimes::default();
    let mut group = c.benchmark_group("execute");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for bench in &suite {
        if bench.expected_stdout.is_none() {
            eprintln!(
                "note: {} has no expected stdout in the set: only its exit status is checked",
                bench.name
            );
        }
        each_runtime!(runtimes, |rt| {
            if let Some(mut module) = LazyModule::new(rt, bench) {
                group.bench_function(BenchmarkId::new(&bench.name, name(rt)), |b| {
                    let module = module.get();
                    b.iter_custom(|iters| {
                        (0..iters).map(|_| execute_checked(rt, module, bench)).sum()
                    })
                });
            }
        });
    }
    group.finish();
}

criterion_group!(benches, execute);
criterion_main!(benches);
