//! The engines under test behind one interface, so every criterion group
//! runs Kiln and (with the `peers` feature) wasmtime and wasmi the same way.

use crate::suite::{Benchmark, Outcome};
use anyhow::{Result, bail};
use std::time::{Duration, Instant};

pub mod kiln;
#[cfg(feature = "peers")]
pub mod wasmi;
#[cfg(feature = "peers")]
pub mod wasmtime;

/// One engine, set up once (engine and WASI linker), used for every phase.
pub trait Runtime {
    /// The engine's name.
    const NAME: &'static str;

    /// The name that ends each bench id (`execute/<bench>/<id>`): the
    /// engine's, or that of a configuration of it (Kiln's
    /// [`kiln::VARIANTS`], `-epochs` with epoch interruption on).
    fn id(&self) -> &'static str {
        Self::NAME
    }
    type Module;
    /// A store holding one instance.
    type Store;

    /// Compile (and validate) a binary module.
    fn compile(&self, wasm: &[u8]) -> Result<Self::Module>;

    /// What a store holds for the guest: its WASI context and timer.
    type Host;

    /// The store data for `bench`: a WASI context with its arguments, stdin,
    /// stdout and stderr in memory and its directory preopened. Made before
    /// instantiation is timed, as sightglass's harness does: it is host
    /// I/O (opening the directory), the same for every engine.
    fn host(&self, bench: &Benchmark) -> Result<Self::Host>;

    /// A fresh store holding `host`, and an instance of `module` in it
    /// (returned, so that dropping it can be left out of the measurement).
    fn instantiate(&self, module: &Self::Module, host: Self::Host) -> Result<Self::Store>;

    /// A fresh instance, whose `_start` runs to completion: a `proc_exit`
    /// with a status other than 0, a trap, or a missing `bench.start` /
    /// `bench.end` is an error.
    fn execute(&self, module: &Self::Module, bench: &Benchmark) -> Result<Outcome>;
}

/// Every engine under test, each set up once: Kiln, the Kiln
/// configurations `$KILN_BENCH_VARIANTS` names (comma-separated ids of
/// [`kiln::VARIANTS`], e.g. `kiln-explicit,kiln-explicit-nospectre`; none
/// by default), and with the `peers` feature wasmtime, the wasmtime
/// configurations it names (`wasmtime::VARIANTS`: `wasmtime-pooling`) and
/// wasmi. See [`crate::each_runtime`].
pub struct Runtimes {
    pub kiln: kiln::Kiln,
    pub kiln_variants: Vec<kiln::Kiln>,
    #[cfg(feature = "peers")]
    pub wasmtime: wasmtime::Wasmtime,
    #[cfg(feature = "peers")]
    pub wasmtime_variants: Vec<wasmtime::Wasmtime>,
    #[cfg(feature = "peers")]
    pub wasmi: wasmi::Wasmi,
}

/// The engines again with epoch interruption on (each store's deadline
/// far ahead, so nothing stops): what the checks cost, in the execute
/// group as `…/kiln-epochs` and (`peers`) `…/wasmtime-epochs`.
pub struct EpochRuntimes {
    pub kiln: kiln::Kiln,
    #[cfg(feature = "peers")]
    pub wasmtime: wasmtime::Wasmtime,
}

impl Default for EpochRuntimes {
    fn default() -> EpochRuntimes {
        EpochRuntimes {
            kiln: kiln::Kiln::with_epochs(),
            #[cfg(feature = "peers")]
            wasmtime: wasmtime::Wasmtime::with_epochs(),
        }
    }
}

impl Default for Runtimes {
    /// Panics if `$KILN_BENCH_VARIANTS` names an unknown variant.
    fn default() -> Runtimes {
        let names = std::env::var("KILN_BENCH_VARIANTS").unwrap_or_default();
        let names: Vec<&str> = names.split(',').filter(|n| !n.is_empty()).collect();
        let (peer_names, kiln_names): (Vec<&str>, Vec<&str>) =
            names.iter().partition(|n| n.starts_with("wasmtime-"));
        let kiln_variants = kiln_names
            .iter()
            .map(|n| kiln::Kiln::variant(n).unwrap_or_else(|e| panic!("KILN_BENCH_VARIANTS: {e}")))
            .collect();
        #[cfg(not(feature = "peers"))]
        if let Some(n) = peer_names.first() {
            panic!("KILN_BENCH_VARIANTS: `{n}` needs the `peers` feature");
        }
        Runtimes {
            kiln: kiln::Kiln::default(),
            kiln_variants,
            #[cfg(feature = "peers")]
            wasmtime: Default::default(),
            #[cfg(feature = "peers")]
            wasmtime_variants: peer_names
                .iter()
                .map(|n| {
                    wasmtime::Wasmtime::variant(n)
                        .unwrap_or_else(|e| panic!("KILN_BENCH_VARIANTS: {e}"))
                })
                .collect(),
            #[cfg(feature = "peers")]
            wasmi: Default::default(),
        }
    }
}

/// A deadline no run reaches (no one increments the epoch), for
/// [`EpochRuntimes`].
pub const FAR_DEADLINE: u64 = 1 << 62;

/// Run `$body` with `$rt` bound to each engine of a [`Runtimes`] in turn
/// (Kiln first, then its variants), so a bench is written once, generic
/// over [`Runtime`].
#[macro_export]
macro_rules! each_runtime {
    ($runtimes:expr, |$rt:ident| $body:expr) => {{
        let runtimes: &$crate::runtime::Runtimes = &$runtimes;
        {
            let $rt = &runtimes.kiln;
            $body;
        }
        for $rt in &runtimes.kiln_variants {
            $body;
        }
        #[cfg(feature = "peers")]
        {
            let $rt = &runtimes.wasmtime;
            $body;
        }
        #[cfg(feature = "peers")]
        for $rt in &runtimes.wasmtime_variants {
            $body;
        }
        #[cfg(feature = "peers")]
        {
            let $rt = &runtimes.wasmi;
            $body;
        }
    }};
}

/// The id of `runtime` (for bench ids inside generic code).
pub fn name<R: Runtime>(runtime: &R) -> &'static str {
    runtime.id()
}

/// A benchmark's module on one engine, compiled on first use, so benches
/// a criterion filter leaves out cost nothing.
pub struct LazyModule<'a, R: Runtime> {
    runtime: &'a R,
    bench: &'a Benchmark,
    module: Option<R::Module>,
}

impl<'a, R: Runtime> LazyModule<'a, R> {
    /// `None` (with the reason printed) when `bench` needs a proposal the
    /// engine lacks: those are compiled now to find out.
    pub fn new(runtime: &'a R, bench: &'a Benchmark) -> Option<LazyModule<'a, R>> {
        let mut module = None;
        if let Some(needs) = bench.needs() {
            match runtime.compile(&bench.wasm) {
                Ok(m) => module = Some(m),
                Err(e) => {
                    eprintln!(
                        "skipping {}/{}: needs {needs} ({e:#})",
                        bench.name,
                        runtime.id()
                    );
                    return None;
                }
            }
        }
        Some(LazyModule {
            runtime,
            bench,
            module,
        })
    }

    /// The compiled module; a compile failure panics.
    pub fn get(&mut self) -> &R::Module {
        let (runtime, bench) = (self.runtime, self.bench);
        self.module.get_or_insert_with(|| {
            runtime.compile(&bench.wasm).unwrap_or_else(|e| {
                panic!(
                    "{}: {} failed to compile it: {e:#}",
                    bench.name,
                    runtime.id()
                )
            })
        })
    }
}

/// Run `bench` once on `runtime` and check its output: panics with the
/// reason on any failure or wrong output. Returns the measured interval.
pub fn execute_checked<R: Runtime>(runtime: &R, module: &R::Module, bench: &Benchmark) -> Duration {
    let outcome = runtime
        .execute(module, bench)
        .unwrap_or_else(|e| panic!("{}: {} failed to run it: {e:#}", bench.name, runtime.id()));
    bench.check(runtime.id(), &outcome);
    outcome.elapsed
}

/// The host side of the sightglass `bench.start` / `bench.end` imports.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timer {
    start: Option<Instant>,
    end: Option<Instant>,
}

impl Timer {
    /// `bench.start`; under callgrind (`benches/icount.sh`) it also
    /// starts counting instructions.
    pub fn start(&mut self) {
        self.start = Some(Instant::now());
        crate::callgrind::toggle_collect();
    }

    /// `bench.end`; under callgrind it also stops counting.
    pub fn end(&mut self) {
        crate::callgrind::toggle_collect();
        self.end = Some(Instant::now());
    }

    /// The measured interval, if the guest called both hooks in order.
    pub fn elapsed(&self) -> Result<Duration> {
        match (self.start, self.end) {
            (Some(s), Some(e)) if e >= s => Ok(e - s),
            (None, _) => bail!("the guest never called `bench.start`"),
            (_, None) => bail!("the guest never called `bench.end`"),
            _ => bail!("the guest called `bench.end` before `bench.start`"),
        }
    }
}

/// The WebAssembly text of the call-overhead module: `add` for host→wasm
/// calls, and `call_host n`, which calls the imported `host.inc` `n` times
/// (threading a counter through it) for wasm→host calls.
pub const CALLS_WAT: &str = r#"
(module
  (import "host" "inc" (func $inc (param i32) (result i32)))
  (func (export "add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.add)
  (func (export "call_host") (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $again
        local.get $n
        i32.eqz
        br_if $done
        local.get $acc
        call $inc
        local.set $acc
        local.get $n
        i32.const 1
        i32.sub
        local.set $n
        br $again))
    local.get $acc)
  ;; `tail_loop n`: n tail calls, alternately direct and through the table,
  ;; between functions of 2 and 3 parameters; returns n.
  (type $pong (func (param i32 i32 i32) (result i32)))
  (table funcref (elem $pong))
  (func (export "tail_loop") (param $n i32) (result i32)
    (return_call $ping (local.get $n) (i32.const 0)))
  (func $ping (param $n i32) (param $acc i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call_indirect (type $pong)
        (i32.sub (local.get $n) (i32.const 1))
        (i32.add (local.get $acc) (i32.const 1))
        (i32.const 1)
        (i32.const 0)))))
  (func $pong (param $n i32) (param $acc i32) (param $k i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call $ping
        (i32.sub (local.get $n) (i32.const 1))
        (i32.add (local.get $acc) (local.get $k)))))))
"#;

/// Call overhead of one engine, on an instance of [`CALLS_WAT`].
pub trait Calls {
    /// `add` through the engine's statically typed function handle.
    fn typed(&mut self, a: i32, b: i32) -> i32;
    /// `add` through the dynamically typed `Func::call` with values.
    fn untyped(&mut self, a: i32, b: i32) -> i32;
    /// `call_host n`: `n` calls from wasm into the host; returns `n`.
    fn host(&mut self, n: i32) -> i32;
    /// `tail_loop n`: `n` wasm tail calls; returns `n`.
    fn tail(&mut self, n: i32) -> i32;
}

/// The module of the `scaling` bench: a little of everything an instance
/// owns (a memory with a data segment, a mutable global, a table with an
/// element segment, an imported host function), so instantiating it does
/// the work a real module's does, without WASI. `run x` writes `x` into
/// memory, adds the data segment's byte and the global, calls through the
/// table and then the host's `bump`.
pub const SCALING_WAT: &str = r#"
(module
  (import "host" "bump" (func $bump (param i32) (result i32)))
  (memory 1)
  (data (i32.const 256) "\07 kiln scaling benchmark: a data segment of some length")
  (global $g (mut i32) (i32.const 100))
  (type $unary (func (param i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $double $square $negate $identity)
  (func $double (param i32) (result i32) (i32.shl (local.get 0) (i32.const 1)))
  (func $square (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func $negate (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0)))
  (func $identity (param i32) (result i32) (local.get 0))
  (func (export "run") (param $x i32) (result i32)
    (i32.store (i32.const 0) (local.get $x))
    (global.set $g (i32.add (global.get $g) (i32.load8_u (i32.const 256))))
    (call $bump
      (i32.add
        (global.get $g)
        (call_indirect (type $unary)
          (i32.load (i32.const 0))
          (i32.and (local.get $x) (i32.const 3)))))))
"#;

/// What `run x` returns on a fresh instance whose `bump` adds 1.
pub fn scaling_expected(x: i32) -> i32 {
    let through_table = match x & 3 {
        0 => x.wrapping_shl(1),
        1 => x.wrapping_mul(x),
        2 => x.wrapping_neg(),
        _ => x,
    };
    (100 + 7 + through_table).wrapping_add(1)
}

/// An engine set up to make instances of one module over and over from
/// many threads (the `scaling` bench): engine, module and pre-resolved
/// imports are shared, each instance gets its own store.
pub trait Instantiations: Sync {
    /// A fresh store, an instance of the module in it, one call of
    /// `run x`, whose result is returned; the store is dropped.
    fn once(&self, x: i32) -> i32;
}

/// Pool slots (instances, memories, tables) of the pooling configurations
/// in the `scaling` bench: more than its threads ever hold at once.
pub const SCALING_SLOTS: u32 = 64;
