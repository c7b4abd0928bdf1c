//! Call overhead on a tiny module (`runtime::CALLS_WAT`): host→wasm through
//! the typed function handle and through the dynamically typed
//! `Func::call`, wasm→host through an imported host function (a wasm
//! loop calling it `iters` times, so each iteration is one call), and wasm
//! tail calls (a loop of `iters` of them, direct and indirect, so each
//! iteration is one tail call).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use kiln_benches::runtime::kiln::KilnCalls;
use kiln_benches::runtime::{CALLS_WAT, Calls, Runtime};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn calls(c: &mut Criterion) {
    let wasm = wat::parse_str(CALLS_WAT).unwrap();
    let mut group = c.benchmark_group("calls");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    let kiln = kiln::Engine::default();
    one::<kiln_benches::runtime::kiln::Kiln>(&mut group, KilnCalls::new(&kiln, &wasm).unwrap());
    #[cfg(feature = "peers")]
    {
        use kiln_benches::runtime::wasmi::{Wasmi, WasmiCalls};
        use kiln_benches::runtime::wasmtime::{Wasmtime, WasmtimeCalls};
        let engine = wasmtime::Engine::default();
        one::<Wasmtime>(&mut group, WasmtimeCalls::new(&engine, &wasm).unwrap());
        let engine = wasmi_peer::Engine::default();
        one::<Wasmi>(&mut group, WasmiCalls::new(&engine, &wasm).unwrap());
    }
    group.finish();
}

fn one<R: Runtime>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    mut calls: impl Calls,
) {
    assert_eq!(calls.typed(2, 3), 5);
    assert_eq!(calls.untyped(2, 3), 5);
    assert_eq!(calls.host(7), 7);
    assert_eq!(calls.tail(7), 7);
    group.bench_function(BenchmarkId::new("host-to-wasm-typed", R::NAME), |b| {
        b.iter(|| calls.typed(black_box(2), black_box(3)))
    });
    group.bench_function(BenchmarkId::new("host-to-wasm-untyped", R::NAME), |b| {
        b.iter(|| calls.untyped(black_box(2), black_box(3)))
    });
    group.bench_function(BenchmarkId::new("wasm-to-host", R::NAME), |b| {
        b.iter_custom(|iters| repeat(iters, |n| calls.host(n)))
    });
    group.bench_function(BenchmarkId::new("wasm-tail-call", R::NAME), |b| {
        b.iter_custom(|iters| repeat(iters, |n| calls.tail(n)))
    });
}

/// Time `run(n)` calls covering `iters` iterations in all (`run(n)` does
/// `n` and returns `n`).
fn repeat(iters: u64, mut run: impl FnMut(i32) -> i32) -> Duration {
    let mut left = iters;
    let start = Instant::now();
    while left > 0 {
        let n = left.min(i32::MAX as u64) as i32;
        assert_eq!(run(black_box(n)), n);
        left -= n as u64;
    }
    start.elapsed()
}

criterion_group!(benches, calls);
criterion_main!(benches);
