//! Instantiation from many threads: one engine, one module, its imports
//! resolved once (`InstancePre`), and 1, 2, 4 or 8 threads each making a
//! fresh store, instantiating `runtime::SCALING_WAT` in it, calling `run`
//! once and dropping the store, as a server handling one request per
//! instance does. Each iteration is one instance; criterion's throughput
//! is instances per second over all threads, so perfect scaling doubles
//! it with each doubling of threads (up to the machine's cores).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kiln_benches::runtime::{Instantiations, SCALING_SLOTS, SCALING_WAT, scaling_expected};
use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

const THREADS: [u64; 4] = [1, 2, 4, 8];

fn scaling(c: &mut Criterion) {
    let wasm = wat::parse_str(SCALING_WAT).unwrap();
    let mut group = c.benchmark_group("scaling");
    group
        .throughput(Throughput::Elements(1))
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    let mut engines: Vec<(&str, Box<dyn Instantiations>)> = Vec::new();
    {
        use kiln_benches::runtime::kiln::KilnInstantiations;
        engines.push((
            "kiln",
            Box::new(KilnInstantiations::new(kiln::Config::new(), &wasm).unwrap()),
        ));
        let pooling = KilnInstantiations::pooling_config(SCALING_SLOTS);
        engines.push((
            "kiln-pooling",
            Box::new(KilnInstantiations::new(pooling, &wasm).unwrap()),
        ));
    }
    #[cfg(feature = "peers")]
    {
        use kiln_benches::runtime::wasmtime::WasmtimeInstantiations;
        let on_demand = wasmtime::Config::new();
        engines.push((
            "wasmtime",
            Box::new(WasmtimeInstantiations::new(on_demand, &wasm).unwrap()),
        ));
        let pooling = WasmtimeInstantiations::pooling_config(SCALING_SLOTS);
        engines.push((
            "wasmtime-pooling",
            Box::new(WasmtimeInstantiations::new(pooling, &wasm).unwrap()),
        ));
    }
    for (id, engine) in &engines {
        assert_eq!(engine.once(5), scaling_expected(5), "{id}");
        for threads in THREADS {
            group.bench_function(BenchmarkId::new(format!("threads-{threads}"), id), |b| {
                b.iter_custom(|iters| on_threads(&**engine, threads, iters))
            });
        }
    }
    group.finish();
}

/// `iters` instances over `threads` threads started together; the time
/// from the start signal until the last thread is done, scaled to exactly
/// `iters` instances (each thread makes `iters / threads` rounded up).
fn on_threads(engine: &dyn Instantiations, threads: u64, iters: u64) -> Duration {
    let each = iters.div_ceil(threads);
    let start = Barrier::new(threads as usize + 1);
    let began = std::thread::scope(|scope| {
        for t in 0..threads {
            let start = &start;
            scope.spawn(move || {
                start.wait();
                for i in 0..each {
                    black_box(engine.once(black_box((t + i) as i32)));
                }
            });
        }
        start.wait();
        Instant::now()
    });
    let elapsed = began.elapsed();
    elapsed.mul_f64(iters as f64 / (each * threads) as f64)
}

criterion_group!(benches, scaling);
criterion_main!(benches);
