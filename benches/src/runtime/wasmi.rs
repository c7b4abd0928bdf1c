//! wasmi (the interpreter) with `wasmi_wasi`'s preview1 (wasi-common),
//! default configuration (lazy translation: `compile` validates, each
//! function is translated on its first call).

use super::{Calls, Runtime, Timer};
use crate::suite::{Benchmark, Outcome};
use anyhow::{Result, anyhow, bail};
use std::sync::{Arc, RwLock};
use wasmi_peer::{Caller, Engine, Func, Linker, Module, Store, TypedFunc, Val};
use wasmi_wasi::wasi_common::pipe::{ReadPipe, WritePipe};
use wasmi_wasi::{Dir, WasiCtx, WasiCtxBuilder, ambient_authority};

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("{e}")
}

pub struct Host {
    pub wasi: WasiCtx,
    pub timer: Timer,
}

pub struct Wasmi {
    pub engine: Engine,
    linker: Linker<Host>,
}

impl Default for Wasmi {
    fn default() -> Wasmi {
        // wasmi's default call-depth and value-stack limits are lower than
        // the native stacks Kiln and wasmtime run on; shootout-ackermann
        // exhausts them. Give it room to run the same programs.
        let mut config = wasmi_peer::Config::default();
        config
            .set_max_recursion_depth(1 << 20)
            .set_max_stack_height(1 << 30);
        let engine = Engine::new(&config);
        let mut linker = Linker::new(&engine);
        wasmi_wasi::add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi)
            .expect("WASI definitions");
        linker
            .func_wrap("bench", "start", |mut c: Caller<'_, Host>| {
                c.data_mut().timer.start()
            })
            .expect("bench.start")
            .func_wrap("bench", "end", |mut c: Caller<'_, Host>| {
                c.data_mut().timer.end()
            })
            .expect("bench.end");
        Wasmi { engine, linker }
    }
}

type Buffer = Arc<RwLock<Vec<u8>>>;

impl Wasmi {
    /// The store data for `bench`, its output going to `stdout` and
    /// `stderr`.
    fn make_host(&self, bench: &Benchmark, stdout: &Buffer, stderr: &Buffer) -> Result<Host> {
        let dir = Dir::open_ambient_dir(&bench.dir, ambient_authority())?;
        let wasi = WasiCtxBuilder::new()
            .arg(&bench.file)
            .map_err(err)?
            .stdin(Box::new(ReadPipe::new(std::io::Cursor::new(
                bench.stdin.clone(),
            ))))
            .stdout(Box::new(WritePipe::from_shared(stdout.clone())))
            .stderr(Box::new(WritePipe::from_shared(stderr.clone())))
            .preopened_dir(dir, ".")
            .map_err(err)?
            .build();
        Ok(Host {
            wasi,
            timer: Timer::default(),
        })
    }
}

fn take(buffer: &Buffer) -> Vec<u8> {
    std::mem::take(&mut *buffer.write().unwrap_or_else(|e| e.into_inner()))
}

impl Runtime for Wasmi {
    const NAME: &'static str = "wasmi";
    type Module = Module;
    type Store = Store<Host>;

    fn compile(&self, wasm: &[u8]) -> Result<Module> {
        Module::new(&self.engine, wasm).map_err(err)
    }

    type Host = Host;

    fn host(&self, bench: &Benchmark) -> Result<Host> {
        self.make_host(bench, &Buffer::default(), &Buffer::default())
    }

    fn instantiate(&self, module: &Module, host: Host) -> Result<Store<Host>> {
        let mut store = Store::new(&self.engine, host);
        self.linker
            .instantiate_and_start(&mut store, module)
            .map_err(err)?;
        Ok(store)
    }

    fn execute(&self, module: &Module, bench: &Benchmark) -> Result<Outcome> {
        let (stdout, stderr) = (Buffer::default(), Buffer::default());
        let mut store = Store::new(&self.engine, self.make_host(bench, &stdout, &stderr)?);
        let instance = self
            .linker
            .instantiate_and_start(&mut store, module)
            .map_err(err)?;
        let start = instance
            .get_typed_func::<(), ()>(&store, "_start")
            .map_err(err)?;
        if let Err(e) = start.call(&mut store, ()) {
            match e.i32_exit_status() {
                Some(0) => {}
                Some(status) => bail!(
                    "exit status {status}; stderr: {}",
                    String::from_utf8_lossy(&take(&stderr))
                ),
                None => return Err(err(e)),
            }
        }
        let elapsed = store.data().timer.elapsed()?;
        drop(store);
        Ok(Outcome {
            elapsed,
            stdout: take(&stdout),
            stderr: take(&stderr),
        })
    }
}

pub struct WasmiCalls {
    store: Store<()>,
    typed: TypedFunc<(i32, i32), i32>,
    add: Func,
    call_host: TypedFunc<i32, i32>,
    tail_loop: TypedFunc<i32, i32>,
}

impl WasmiCalls {
    pub fn new(engine: &Engine, wasm: &[u8]) -> Result<WasmiCalls> {
        let module = Module::new(engine, wasm).map_err(err)?;
        let mut store = Store::new(engine, ());
        let mut linker = Linker::new(engine);
        linker
            .func_wrap("host", "inc", |x: i32| x.wrapping_add(1))
            .map_err(err)?;
        let instance = linker
            .instantiate_and_start(&mut store, &module)
            .map_err(err)?;
        Ok(WasmiCalls {
            typed: instance.get_typed_func(&store, "add").map_err(err)?,
            add: instance
                .get_func(&store, "add")
                .ok_or_else(|| anyhow!("add"))?,
            call_host: instance.get_typed_func(&store, "call_host").map_err(err)?,
            tail_loop: instance.get_typed_func(&store, "tail_loop").map_err(err)?,
            store,
        })
    }
}

impl Calls for WasmiCalls {
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
