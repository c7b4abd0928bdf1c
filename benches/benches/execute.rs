//! Execute phase: the time between the guest's `bench.start` and
//! `bench.end` calls (recorded by the host functions), of a fresh instance
//! per run; instantiation and everything outside the two calls is not
//! measured. Every run's stdout (and stderr) must equal the benchmark's
//! expected files, or the bench panics: a fast wrong answer is not a result.
//!
//! Besides each engine (`…/kiln`, `…/wasmtime`, `…/wasmi`), Kiln and
//! wasmtime run again with epoch interruption on (`…/kiln-epochs`,
//! `…/wasmtime-epochs`), a deadline far ahead: the cost of the checks.

use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main,
};
use kiln_benches::each_runtime;
use kiln_benches::runtime::{EpochRuntimes, LazyModule, Runtime, Runtimes, execute_checked, name};
use kiln_benches::suite::{Benchmark, load_for_bench};
use std::time::Duration;

/// `execute/<bench>/<runtime id>`.
fn bench_one<R: Runtime>(group: &mut BenchmarkGroup<'_, WallTime>, rt: &R, bench: &Benchmark) {
    if let Some(mut module) = LazyModule::new(rt, bench) {
        group.bench_function(BenchmarkId::new(&bench.name, name(rt)), |b| {
            let module = module.get();
            b.iter_custom(|iters| (0..iters).map(|_| execute_checked(rt, module, bench)).sum())
        });
    }
}

fn execute(c: &mut Criterion) {
    let suite = load_for_bench();
    let runtimes = Runtimes::default();
    let epochs = EpochRuntimes::default();
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
        each_runtime!(runtimes, |rt| bench_one(&mut group, rt, bench));
        bench_one(&mut group, &epochs.kiln, bench);
        #[cfg(feature = "peers")]
        bench_one(&mut group, &epochs.wasmtime, bench);
    }
    group.finish();
}

criterion_group!(benches, execute);
criterion_main!(benches);
