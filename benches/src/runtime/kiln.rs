//! Kiln, with its own WASI preview1 (`kiln::wasi`).

use super::{Calls, Runtime, Timer};
use crate::suite::{Benchmark, Outcome};
use anyhow::{Context, Result, bail};
use kiln::wasi::{self, I32Exit, OutputBuffer, WasiCtx, WasiCtxBuilder};
use kiln::{
    BoundsChecks, Caller, Config, Engine, Func, Instance, InstanceAllocationStrategy, InstancePre,
    Linker, Module, PoolingAllocationConfig, Store, TypedFunc, Val,
};

/// A store's data: the WASI context and the timing hooks' record.
pub struct Host {
    pub wasi: WasiCtx,
    pub timer: Timer,
}

pub struct Kiln {
    pub engine: Engine,
    linker: Linker<Host>,
    id: &'static str,
    /// Epoch interruption is on: every store gets a far deadline.
    epochs: bool,
}

/// A Kiln configuration's runtime id, and how it changes the default one.
pub type Variant = (&'static str, fn(&mut Config));

/// Kiln configurations benchmarked beside the default one (`kiln`), by the
/// id that ends their bench ids; `$KILN_BENCH_VARIANTS` picks them (see
/// [`super::Runtimes`]).
pub const VARIANTS: [Variant; 3] = [
    // Explicit bounds checks, with Spectre guards (the default)...
    ("kiln-explicit", |c| {
        c.bounds_checks(BoundsChecks::Explicit);
    }),
    // ...and without: the pair gives the guards' cost.
    ("kiln-explicit-nospectre", |c| {
        c.bounds_checks(BoundsChecks::Explicit)
            .cranelift_spectre_guards(false);
    }),
    // The pooling allocator with its default limits (instantiation speed).
    ("kiln-pooling", |c| {
        c.allocation_strategy(InstanceAllocationStrategy::pooling());
    }),
];

impl Default for Kiln {
    fn default() -> Kiln {
        Kiln::new(Engine::default())
    }
}

impl Kiln {
    pub fn new(engine: Engine) -> Kiln {
        Kiln::with_id(engine, <Kiln as Runtime>::NAME)
    }

    /// The configuration of [`VARIANTS`] called `id`.
    pub fn variant(id: &str) -> Result<Kiln> {
        let Some((id, configure)) = VARIANTS.iter().find(|(n, _)| *n == id) else {
            let known: Vec<_> = VARIANTS.iter().map(|(n, _)| *n).collect();
            bail!("no Kiln variant `{id}` (known: {})", known.join(", "));
        };
        let mut config = Config::new();
        configure(&mut config);
        Ok(Kiln::with_id(Engine::new(&config)?, id))
    }

    fn with_id(engine: Engine, id: &'static str) -> Kiln {
        let mut linker = Linker::new(&engine);
        wasi::add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi).expect("WASI definitions");
        linker
            .func_wrap("bench", "start", |mut c: Caller<'_, Host>| {
                c.data_mut().timer.start()
            })
            .expect("bench.start")
            .func_wrap("bench", "end", |mut c: Caller<'_, Host>| {
                c.data_mut().timer.end()
            })
            .expect("bench.end");
        Kiln {
            engine,
            linker,
            id,
            epochs: false,
        }
    }

    /// The default configuration with epoch interruption on.
    pub fn with_epochs() -> Kiln {
        Kiln::with_epochs_from(Config::new())
    }

    /// `config` with epoch interruption on (`kiln-epochs`).
    pub fn with_epochs_from(mut config: Config) -> Kiln {
        config.epoch_interruption(true);
        let engine = Engine::new(&config).expect("epochs are supported");
        let mut kiln = Kiln::with_id(engine, "kiln-epochs");
        kiln.epochs = true;
        kiln
    }

    /// The store data for `bench`, its output going to `stdout` and
    /// `stderr`.
    fn make_host(
        &self,
        bench: &Benchmark,
        stdout: &OutputBuffer,
        stderr: &OutputBuffer,
    ) -> Result<Host> {
        let wasi = WasiCtxBuilder::new()
            .arg(&bench.file)
            .stdin_bytes(bench.stdin.clone())
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .preopened_dir(&bench.dir, ".")
            .build()?;
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

impl Runtime for Kiln {
    const NAME: &'static str = "kiln";

    type Module = Module;
    type Store = Store<Host>;

    fn id(&self) -> &'static str {
        self.id
    }

    fn compile(&self, wasm: &[u8]) -> Result<Module> {
        Module::from_binary(&self.engine, wasm)
    }

    type Host = Host;

    fn host(&self, bench: &Benchmark) -> Result<Host> {
        self.make_host(bench, &OutputBuffer::new(), &OutputBuffer::new())
    }

    fn instantiate(&self, module: &Module, host: Host) -> Result<Store<Host>> {
        let mut store = self.store(host);
        self.linker.instantiate(&mut store, module)?;
        Ok(store)
    }

    fn execute(&self, module: &Module, bench: &Benchmark) -> Result<Outcome> {
        let (stdout, stderr) = (OutputBuffer::new(), OutputBuffer::new());
        let mut store = self.store(self.make_host(bench, &stdout, &stderr)?);
        let instance = self.linker.instantiate(&mut store, module)?;
        let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
        match start.call(&mut store, ()) {
            Ok(()) => {}
            Err(e) => match e.downcast_ref::<I32Exit>() {
                Some(I32Exit(0)) => {}
                Some(I32Exit(status)) => bail!(
                    "exit status {status}; stderr: {}",
                    String::from_utf8_lossy(&stderr.contents())
                ),
                None => return Err(e).context("_start"),
            },
        }
        Ok(Outcome {
            elapsed: store.data().timer.elapsed()?,
            stdout: stdout.contents(),
            stderr: stderr.contents(),
        })
    }
}

/// Kiln's call-overhead instance.
pub struct KilnCalls {
    store: Store<()>,
    typed: TypedFunc<(i32, i32), i32>,
    add: Func,
    call_host: TypedFunc<i32, i32>,
    tail_loop: TypedFunc<i32, i32>,
}

impl KilnCalls {
    pub fn new(engine: &Engine, wasm: &[u8]) -> Result<KilnCalls> {
        let module = Module::from_binary(engine, wasm)?;
        let mut store = Store::new(engine, ());
        let mut linker = Linker::new(engine);
        linker.func_wrap("host", "inc", |x: i32| x.wrapping_add(1))?;
        let instance: Instance = linker.instantiate(&mut store, &module)?;
        Ok(KilnCalls {
            typed: instance.get_typed_func(&mut store, "add")?,
            add: instance.get_func(&mut store, "add").context("add")?,
            call_host: instance.get_typed_func(&mut store, "call_host")?,
            tail_loop: instance.get_typed_func(&mut store, "tail_loop")?,
            store,
        })
    }
}

impl Calls for KilnCalls {
    fn typed(&mut self, a: i32, b: i32) -> i32 {
        self.typed.call(&mut self.store, (a, b)).unwrap()
    }

    fn untyped(&mut self, a: i32, b: i32) -> i32 {
        let mut results = [Val::I32(0)];
        self.add
            .call(&mut self.store, &[Val::I32(a), Val::I32(b)], &mut results)
            .unwrap();
        match results[0] {
            Val::I32(x) => x,
            ref v => panic!("add returned {v:?}"),
        }
    }

    fn host(&mut self, n: i32) -> i32 {
        self.call_host.call(&mut self.store, n).unwrap()
    }

    fn tail(&mut self, n: i32) -> i32 {
        self.tail_loop.call(&mut self.store, n).unwrap()
    }
}

/// Kiln's side of the `scaling` bench: `bump` adds 1.
pub struct KilnInstantiations {
    engine: Engine,
    pre: InstancePre<()>,
}

impl KilnInstantiations {
    pub fn new(config: Config, wasm: &[u8]) -> Result<KilnInstantiations> {
        let engine = Engine::new(&config)?;
        let module = Module::from_binary(&engine, wasm)?;
        let mut linker = Linker::new(&engine);
        linker.func_wrap("host", "bump", |x: i32| x.wrapping_add(1))?;
        let pre = linker.instantiate_pre(&module)?;
        Ok(KilnInstantiations { engine, pre })
    }

    /// The pooling allocator with `slots` instances, memories and tables
    /// (the rest of its configuration is the default, as for wasmtime's).
    pub fn pooling_config(slots: u32) -> Config {
        let mut pool = PoolingAllocationConfig::new();
        pool.total_core_instances(slots)
            .total_memories(slots)
            .total_tables(slots);
        let mut config = Config::new();
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        config
    }
}

impl super::Instantiations for KilnInstantiations {
    fn once(&self, x: i32) -> i32 {
        let mut store = Store::new(&self.engine, ());
        let instance = self.pre.instantiate(&mut store).unwrap();
        let run = instance
            .get_typed_func::<i32, i32>(&mut store, "run")
            .unwrap();
        run.call(&mut store, x).unwrap()
    }
}

/// Kiln's `export` (an `i32 -> i32` function) of a fresh instance of
/// `wasm`, in a store of its own, as a closure (the small cases of the
/// `memories` and `wasm3` benches).
pub fn unary_export(wasm: &[u8], export: &str) -> impl FnMut(i32) -> i32 + use<> {
    let engine = Engine::default();
    let module = Module::from_binary(&engine, wasm).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let f = instance
        .get_typed_func::<i32, i32>(&mut store, export)
        .unwrap();
    move |n| f.call(&mut store, n).unwrap()
}
