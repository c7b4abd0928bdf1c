//! One phase of one benchmark on one engine, for counting its instructions
//! under callgrind (`benches/icount.sh` runs it with `--collect-atstart=no`):
//!
//! ```sh
//! icount [--runtime kiln|wasmtime] compile NAME   # counts compiling, single-threaded
//! icount [--runtime kiln|wasmtime] instantiate NAME # counts 100 instantiations (store + instance; not WASI or drop)
//! icount [--runtime kiln|wasmtime] execute NAME   # counts bench.start..bench.end; output checked
//! icount [--runtime kiln[-pooling]|wasmtime[-pooling]] scaling # counts 100 rounds of the scaling bench
//! ```
//!
//! Kiln is the default; wasmtime needs the `peers` feature. Both compile on
//! one thread, so counts do not depend on scheduling. `kiln-epochs` and
//! `wasmtime-epochs` are the same engines with epoch interruption on (a
//! deadline never reached): what the checks cost. The `scaling` phase
//! counts what one thread of the `scaling` bench does (a store, an
//! instance of `SCALING_WAT` from an `InstancePre`, a call, the drop),
//! with `-pooling` on the pooling allocator.

use anyhow::{Context, Result, bail};
use kiln_benches::callgrind::toggle_collect;
use kiln_benches::runtime::Runtime;
use kiln_benches::suite::Benchmark;
use kiln_benches::{bench_wasm_dir, suite};

/// Instantiations counted by the `instantiate` phase (its count ÷ this is
/// the cost of one, store creation included; as in the criterion bench,
/// not the WASI context nor the drop).
const INSTANTIATIONS: u32 = 100;

fn main() -> Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut runtime = "kiln".to_string();
    if args.first().map(String::as_str) == Some("--runtime") && args.len() > 1 {
        runtime = args.remove(1);
        args.remove(0);
    }
    if args.first().map(String::as_str) == Some("scaling") {
        return scaling(&runtime);
    }
    let [phase, name] = args.as_slice() else {
        bail!(
            "usage: icount [--runtime kiln[-epochs|-pooling|-VARIANT]|wasmtime[-epochs|-pooling]] \
             compile|instantiate|execute BENCHMARK"
        );
    };
    let (benches, skipped) = suite::load(&bench_wasm_dir()?)?;
    let Some(bench) = benches.iter().find(|b| &b.name == name) else {
        match skipped.iter().find(|s| &s.name == name) {
            Some(s) => bail!("{name} is skipped: {}", s.reason),
            None => bail!("no benchmark `{name}`"),
        }
    };
    use kiln_benches::runtime::kiln::Kiln;
    let mut kiln_config = kiln::Config::new();
    kiln_config.parallel_compilation(false);
    #[cfg(feature = "peers")]
    use kiln_benches::runtime::wasmtime::Wasmtime;
    #[cfg(feature = "peers")]
    let mut wasmtime_config = wasmtime::Config::new();
    #[cfg(feature = "peers")]
    wasmtime_config.parallel_compilation(false);
    match runtime.as_str() {
        "kiln" => count(&Kiln::new(kiln::Engine::new(&kiln_config)?), phase, bench),
        "kiln-epochs" => count(&Kiln::with_epochs_from(kiln_config), phase, bench),
        "kiln-pooling" => {
            use kiln_benches::runtime::kiln::KilnInstantiations;
            let mut config = KilnInstantiations::pooling_config(ICOUNT_SLOTS);
            config.parallel_compilation(false);
            count(&Kiln::new(kiln::Engine::new(&config)?), phase, bench)
        }
        // The criterion benches' Kiln variants (`KILN_BENCH_VARIANTS`), e.g.
        // `kiln-explicit` beside `kiln-explicit-nospectre`: what Spectre
        // guards cost, in instructions.
        other if other.starts_with("kiln-") => count(&Kiln::variant(other)?, phase, bench),
        #[cfg(feature = "peers")]
        "wasmtime" => {
            let engine =
                wasmtime::Engine::new(&wasmtime_config).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            count(&Wasmtime::new(engine), phase, bench)
        }
        #[cfg(feature = "peers")]
        "wasmtime-epochs" => count(&Wasmtime::with_epochs_from(wasmtime_config), phase, bench),
        #[cfg(feature = "peers")]
        "wasmtime-pooling" => {
            use kiln_benches::runtime::wasmtime::WasmtimeInstantiations;
            let mut config = WasmtimeInstantiations::pooling_config(ICOUNT_SLOTS);
            config.parallel_compilation(false);
            let engine = wasmtime::Engine::new(&config).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            count(&Wasmtime::new(engine), phase, bench)
        }
        other => bail!(
            "unknown runtime `{other}`: kiln, kiln-epochs, kiln-pooling, a Kiln bench variant{}",
            if cfg!(feature = "peers") {
                ", wasmtime, wasmtime-epochs or wasmtime-pooling"
            } else {
                " (wasmtime needs the `peers` feature)"
            }
        ),
    }
}

/// Pool slots of the `scaling` phase and of `-pooling` runtimes: one round
/// (or instantiation) holds one, and valgrind
/// cannot reserve the address space of the bench's `SCALING_SLOTS`.
const ICOUNT_SLOTS: u32 = 2;

/// Counts `INSTANTIATIONS` rounds of the `scaling` bench on `runtime`,
/// after one uncounted round.
fn scaling(runtime: &str) -> Result<()> {
    use kiln_benches::runtime::kiln::KilnInstantiations;
    use kiln_benches::runtime::{Instantiations, SCALING_WAT, scaling_expected};
    let wasm = wat::parse_str(SCALING_WAT)?;
    let rounds: Box<dyn Instantiations> = match runtime {
        "kiln" => Box::new(KilnInstantiations::new(kiln::Config::new(), &wasm)?),
        "kiln-pooling" => Box::new(KilnInstantiations::new(
            KilnInstantiations::pooling_config(ICOUNT_SLOTS),
            &wasm,
        )?),
        #[cfg(feature = "peers")]
        "wasmtime" | "wasmtime-pooling" => {
            use kiln_benches::runtime::wasmtime::WasmtimeInstantiations;
            let config = match runtime {
                "wasmtime" => wasmtime::Config::new(),
                _ => WasmtimeInstantiations::pooling_config(ICOUNT_SLOTS),
            };
            Box::new(WasmtimeInstantiations::new(config, &wasm)?)
        }
        other => {
            bail!("no scaling runtime `{other}`: kiln, kiln-pooling, wasmtime, wasmtime-pooling")
        }
    };
    assert_eq!(rounds.once(7), scaling_expected(7));
    toggle_collect();
    for x in 0..INSTANTIATIONS as i32 {
        std::hint::black_box(rounds.once(x));
    }
    toggle_collect();
    Ok(())
}

/// Run `phase` of `bench` on `rt` with callgrind collecting only the
/// measured part.
fn count<R: Runtime>(rt: &R, phase: &str, bench: &Benchmark) -> Result<()> {
    let name = &bench.name;
    match phase {
        "compile" => {
            toggle_collect();
            let module = rt.compile(&bench.wasm);
            toggle_collect();
            module.with_context(|| format!("compiling {name}"))?;
        }
        "instantiate" => {
            let module = rt.compile(&bench.wasm)?;
            // One uncounted round first: lazily initialised state (signal
            // handlers, trampolines) is not part of the steady state.
            drop(rt.instantiate(&module, rt.host(bench)?)?);
            // What the criterion bench times: not the WASI context (made
            // before) nor the drop (after; one store at a time, as
            // valgrind cannot reserve pools of many slots).
            for _ in 0..INSTANTIATIONS {
                let host = rt.host(bench)?;
                toggle_collect();
                let store = rt.instantiate(&module, host);
                toggle_collect();
                drop(store?);
            }
        }
        "execute" => {
            // The timing hooks switch collection on and off.
            let module = rt.compile(&bench.wasm)?;
            let outcome = rt.execute(&module, bench)?;
            bench.check(R::NAME, &outcome);
        }
        _ => bail!("unknown phase `{phase}`: compile, instantiate or execute"),
    }
    Ok(())
}
