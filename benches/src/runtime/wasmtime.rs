//! wasmtime with `wasmtime-wasi`'s preview1, default configuration.

use super::{Calls, Runtime, Timer};
use crate::suite::{Benchmark, Outcome};
use anyhow::{Result, anyhow, bail};
use wasmtime::{Caller, Engine, Func, Linker, Module, Store, TypedFunc, Val};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

/// wasmtime's errors are its own type: carry them over with their chain.
fn err(e: wasmtime::Error) -> anyhow::Error {
    anyhow!("{e:?}")
}

pub struct Host {
    pub wasi: WasiP1Ctx,
    pub timer: Timer,
}

pub struct Wasmtime {
    pub engine: Engine,
    linker: Linker<Host>,
    id: &'static str,
    /// Epoch interruption is on: every store gets a far deadline.
    epochs: bool,
}

/// A wasmtime configuration's runtime id, and how it changes the default.
pub type Variant = (&'static str, fn(&mut wasmtime::Config));

/// wasmtime configurations benchmarked beside its default one, as Kiln's
/// (`super::kiln::VARIANTS`), picked by `$KILN_BENCH_VARIANTS` too.
pub const VARIANTS: [Variant; 1] = [
    // The pooling allocator with its default limits, the peer of
    // `kiln-pooling`.
    ("wasmtime-pooling", |c| {
        c.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(
            Default::default(),
        ));
    }),
];

/// Room for a benchmark's output (the largest expected file is ~1.2 MB).
const OUTPUT_CAPACITY: usize = 64 << 20;

impl Default for Wasmtime {
    fn default() -> Wasmtime {
        Wasmtime::new(Engine::default())
    }
}

impl Wasmtime {
    pub fn new(engine: Engine) -> Wasmtime {
        let mut linker = Linker::new(&engine);
        p1::add_to_linker_sync(&mut linker, |h: &mut Host| &mut h.wasi).expect("WASI definitions");
        linker
            .func_wrap("bench", "start", |mut c: Caller<'_, Host>| {
                c.data_mut().timer.start()
            })
            .expect("bench.start")
            .func_wrap("bench", "end", |mut c: Caller<'_, Host>| {
                c.data_mut().timer.end()
            })
            .expect("bench.end");
        Wasmtime {
            engine,
            linker,
            id: <Wasmtime as Runtime>::NAME,
            epochs: false,
        }
    }

    /// The configuration of [`VARIANTS`] called `id`.
    pub fn variant(id: &str) -> Result<Wasmtime> {
        let Some((id, configure)) = VARIANTS.iter().find(|(n, _)| *n == id) else {
            let known: Vec<_> = VARIANTS.iter().map(|(n, _)| *n).collect();
            bail!("no wasmtime variant `{id}` (known: {})", known.join(", "));
        };
        let mut config = wasmtime::Config::new();
        configure(&mut config);
        let mut w = Wasmtime::new(Engine::new(&config).map_err(err)?);
        w.id = id;
        Ok(w)
    }

    /// The default configuration with `epoch_interruption` on.
    pub fn with_epochs() -> Wasmtime {
        Wasmtime::with_epochs_from(wasmtime::Config::new())
    }

    /// `config` with `epoch_interruption` on.
    pub fn with_epochs_from(mut config: wasmtime::Config) -> Wasmtime {
        config.epoch_interruption(true);
        let mut w = Wasmtime::new(Engine::new(&config).expect("epochs are supported"));
        w.epochs = true;
        w.id = "wasmtime-epochs";
        w
    }

    /// The store data for `bench`, its output going to `stdout` and
    /// `stderr`.
    fn make_host(
        &self,
        bench: &Benchmark,
        stdout: &MemoryOutputPipe,
        stderr: &MemoryOutputPipe,
    ) -> Result<Host> {
        let wasi = WasiCtxBuilder::new()
            .arg(&bench.file)
            .stdin(MemoryInputPipe::new(bytes::Bytes::from_owner(
                bench.stdin.clone(),
            )))
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_blocking_current_thread(true)
            .preopened_dir(&bench.dir, ".", FsPerms::ReadWrite)
            .map_err(err)?
            .build_p1();
        Ok(Host {
            wasi,
            timer: Timer::default(),
        })
    }

    fn store(&self, host: Host) -> Store<Host> {
        let mut store = Store::new(&self.engine, host);
        if self.epochs {
            store.set_epoch_deadline(super::FAR_DEADLINE);
        }
        store
    }
}

impl Runtime for Wasmtime {
    const NAME: &'static str = "wasmtime";

    fn id(&self) -> &'static str {
        self.id
    }
    type Module = Module;
    type Store = Store<Host>;

    fn compile(&self, wasm: &[u8]) -> Result<Module> {
        Module::from_binary(&self.engine, wasm).map_err(err)
    }

    type Host = Host;

    fn host(&self, bench: &Benchmark) -> Result<Host> {
        let pipe = || MemoryOutputPipe::new(OUTPUT_CAPACITY);
        self.make_host(bench, &pipe(), &pipe())
    }

    fn instantiate(&self, module: &Module, host: Host) -> Result<Store<Host>> {
        let mut store = self.store(host);
        self.linker.instantiate(&mut store, module).map_err(err)?;
        Ok(store)
    }

    fn execute(&self, module: &Module, bench: &Benchmark) -> Result<Outcome> {
        let stdout = MemoryOutputPipe::new(OUTPUT_CAPACITY);
        let stderr = MemoryOutputPipe::new(OUTPUT_CAPACITY);
        let mut store = self.store(self.make_host(bench, &stdout, &stderr)?);
        let instance = self.linker.instantiate(&mut store, module).map_err(err)?;
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .map_err(err)?;
        if let Err(e) = start.call(&mut store, ()) {
            match e.downcast_ref::<I32Exit>() {
                Some(I32Exit(0)) => {}
                Some(I32Exit(status)) => bail!(
                    "exit status {status}; stderr: {}",
                    String::from_utf8_lossy(&stderr.contents())
                ),
                None => return Err(err(e)),
            }
        }
        let elapsed = store.data().timer.elapsed()?;
        drop(store);
        Ok(Outcome {
            elapsed,
            stdout: stdout.contents().to_vec(),
            stderr: stderr.contents().to_vec(),
        })
    }
}

pub struct WasmtimeCalls {
    store: Store<()>,
    typed: TypedFunc<(i32, i32), i32>,
    add: Func,
    call_host: TypedFunc<i32, i32>,
    tail_loop: TypedFunc<i32, i32>,
}

impl WasmtimeCalls {
    pub fn new(engine: &Engine, wasm: &[u8]) -> Result<WasmtimeCalls> {
        let module = Module::from_binary(engine, wasm).map_err(err)?;
        let mut store = Store::new(engine, ());
        let mut linker = Linker::new(engine);
        linker
            .func_wrap("host", "inc", |x: i32| x.wrapping_add(1))
            .map_err(err)?;
        let instance = linker.instantiate(&mut store, &module).map_err(err)?;
        Ok(WasmtimeCalls {
            typed: instance.get_typed_func(&mut store, "add").map_err(err)?,
            add: instance
                .get_func(&mut store, "add")
                .ok_or_else(|| anyhow!("add"))?,
            call_host: instance
                .get_typed_func(&mut store, "call_host")
                .map_err(err)?,
            tail_loop: instance
                .get_typed_func(&mut store, "tail_loop")
                .map_err(err)?,
            store,
        })
    }
}

impl Calls for WasmtimeCalls {
    fn typed(&mut self, a: i32, b: i32) -> i32 {
        self.typed.call(&mut self.store, (a, b)).unwrap()
    }

    fn untyped(&mut self, a: i32, b: i32) -> i32 {
        let mut results = [Val::I32(0)];
        self.add
            .call(&mut self.store, &[Val::I32(a), Val::I32(b)], &mut results)
            .unwrap();
        results[0].unwrap_i32()
    }

    fn host(&mut self, n: i32) -> i32 {
        self.call_host.call(&mut self.store, n).unwrap()
    }

    fn tail(&mut self, n: i32) -> i32 {
        self.tail_loop.call(&mut self.store, n).unwrap()
    }
}

/// wasmtime's side of the `scaling` bench: `bump` adds 1.
pub struct WasmtimeInstantiations {
    engine: Engine,
    pre: wasmtime::InstancePre<()>,
}

impl WasmtimeInstantiations {
    pub fn new(config: wasmtime::Config, wasm: &[u8]) -> Result<WasmtimeInstantiations> {
        let engine = Engine::new(&config).map_err(err)?;
        let module = Module::from_binary(&engine, wasm).map_err(err)?;
        let mut linker = Linker::new(&engine);
        linker
            .func_wrap("host", "bump", |x: i32| x.wrapping_add(1))
            .map_err(err)?;
        let pre = linker.instantiate_pre(&module).map_err(err)?;
        Ok(WasmtimeInstantiations { engine, pre })
    }

    /// wasmtime's pooling allocator with `slots` instances, memories and
    /// tables (the rest of its configuration is wasmtime's default).
    pub fn pooling_config(slots: u32) -> wasmtime::Config {
        let mut pool = wasmtime::PoolingAllocationConfig::default();
        pool.total_core_instances(slots)
            .total_memories(slots)
            .total_tables(slots);
        let mut config = wasmtime::Config::new();
        config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
        config
    }
}

impl super::Instantiations for WasmtimeInstantiations {
    fn once(&self, x: i32) -> i32 {
        let mut store = Store::new(&self.engine, ());
        let instance = self.pre.instantiate(&mut store).unwrap();
        let run = instance
            .get_typed_func::<i32, i32>(&mut store, "run")
            .unwrap();
        run.call(&mut store, x).unwrap()
    }
}

/// wasmtime's `export` (an `i32 -> i32` function) of a fresh instance of
/// `wasm` with wasmtime's default features (multi-memory, exceptions and
/// typed function references on), as a closure.
pub fn unary_export(wasm: &[u8], export: &str) -> impl FnMut(i32) -> i32 + use<> {
    let engine = Engine::default();
    let module = Module::from_binary(&engine, wasm).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
    let f = instance
        .get_typed_func::<i32, i32>(&mut store, export)
        .unwrap();
    move |n| f.call(&mut store, n).unwrap()
}
