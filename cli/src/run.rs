//! `kiln run`: instantiate a module (wasm, text, or a precompiled artifact)
//! with WASI preview1 and the sightglass timers, then call `_start` or the
//! export `--invoke` names.

use crate::options::{EngineOptions, parse_fuel};
use anyhow::{Context, Result, bail};
use clap::Args;
use clap::builder::{OsStringValueParser, TypedValueParser};
use kiln::wasi::{self, I32Exit, WasiCtx, WasiCtxBuilder};
use kiln::{Caller, Engine, Linker, Module, Store, StoreLimits, StoreLimitsBuilder, Val, ValType};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Run a WebAssembly module: a WASI command, or one export
///
/// Instantiate FILE (binary, text, or an artifact of `kiln compile`) and
/// call `_start` if it exports one (otherwise only its start function
/// runs), or the export `--invoke` names. Imports of
/// `wasi_snapshot_preview1` get WASI preview1 with stdio inherited, argv[0]
/// = FILE, and the status of `proc_exit` as kiln's own exit status (a
/// status outside 0..=125 is an error, as in wasmtime); the sightglass
/// imports `bench.start`/`bench.end` are no-op timers.
///
/// Options may also follow FILE: the first argument after FILE that is
/// not an option begins ARGS, and everything from there on is ARGS. ARGS
/// are the program's arguments, or with `--invoke` the function's
/// parameters (arguments after `--` are then the program's). Arguments are
/// passed to the program as they are, bytes that are not UTF-8 included.
#[derive(Args, Debug)]
pub struct RunCommand {
    #[command(flatten)]
    engine: EngineOptions,

    /// Grant the program access to host directory HOST, preopened as GUEST
    /// (default: HOST)
    #[arg(
        long = "dir",
        value_name = "HOST[::GUEST]",
        value_parser = OsStringValueParser::new().try_map(parse_dir)
    )]
    dirs: Vec<Preopen>,

    /// Set an environment variable of the program to VAL; without `=VAL`,
    /// pass on the host's value (none if the host has none)
    #[arg(
        long = "env",
        value_name = "NAME[=VAL]",
        value_parser = OsStringValueParser::new().try_map(parse_env)
    )]
    env: Vec<EnvVar>,

    /// Call the export NAME instead of `_start`, with ARGS as parameters
    ///
    /// Call the export NAME instead of `_start`: ARGS are its parameters
    /// (integers in decimal or 0x hex, floats as Rust parses them) and its
    /// results are printed one per line
    #[arg(long, value_name = "NAME")]
    invoke: Option<String>,

    /// Meter execution: the program may use N units of fuel (about one per
    /// operator), then traps with "all fuel consumed"
    #[arg(long, value_name = "N", value_parser = parse_fuel)]
    fuel: Option<u64>,

    /// Interrupt the program after DURATION (e.g. 1s, 500ms, 2m)
    ///
    /// Interrupt the program after DURATION of wall-clock time (a number
    /// with a unit: ms, s, m or h): a ticker thread advances the engine's
    /// epoch once it has passed, and the program traps with "interrupt" at
    /// its next loop iteration or call. Turns epoch interruption on, so an
    /// artifact must have been compiled with it
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<Duration>,

    /// Let each linear memory grow to at most BYTES
    ///
    /// Let each linear memory be or grow to at most BYTES: a larger one is
    /// not instantiated, and `memory.grow` past it returns -1
    #[arg(long, value_name = "BYTES")]
    max_memory_size: Option<usize>,

    /// Print the time between `bench.start` and `bench.end` to stderr
    #[arg(long)]
    bench_timing: bool,

    /// Run FILE even if it is a precompiled artifact (native code)
    ///
    /// Run FILE even if it is a precompiled artifact of `kiln compile`,
    /// which runs as native code outside the wasm sandbox: only for
    /// artifacts you made yourself. Without it, artifacts are refused
    #[arg(long)]
    allow_precompiled: bool,

    /// The module: FILE.wasm, FILE.wat or FILE.kwasm
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// The program's arguments, or with `--invoke` the function's
    #[arg(value_name = "ARGS", allow_hyphen_values = true)]
    args: Vec<OsString>,

    /// Arguments after `--`: always the program's
    #[arg(value_name = "PROGRAM-ARGS", last = true)]
    program_args: Vec<OsString>,
}

/// A `--dir`: the host directory and the name the guest sees it by.
#[derive(Clone, Debug)]
struct Preopen {
    host: PathBuf,
    guest: String,
}

/// An `--env`: a name, and its value or `None` for the host's.
#[derive(Clone, Debug)]
struct EnvVar {
    name: OsString,
    value: Option<OsString>,
}

fn parse_dir(spec: OsString) -> Result<Preopen, String> {
    let bytes = spec.as_bytes();
    let (host, guest) = match bytes.windows(2).position(|w| w == b"::") {
        Some(at) => (&bytes[..at], &bytes[at + 2..]),
        None => (bytes, bytes),
    };
    let guest = std::str::from_utf8(guest).map_err(|_| {
        "the guest's name for a directory must be UTF-8: give one with HOST::GUEST".to_string()
    })?;
    if host.is_empty() || guest.is_empty() {
        return Err("needs a directory: HOST or HOST::GUEST".to_string());
    }
    Ok(Preopen {
        host: PathBuf::from(OsStr::from_bytes(host)),
        guest: guest.to_string(),
    })
}

fn parse_env(spec: OsString) -> Result<EnvVar, String> {
    let bytes = spec.as_bytes();
    let (name, value) = match bytes.iter().position(|&b| b == b'=') {
        Some(at) => (&bytes[..at], Some(&bytes[at + 1..])),
        None => (bytes, None),
    };
    if name.is_empty() {
        return Err("needs a variable name: NAME or NAME=VAL".to_string());
    }
    Ok(EnvVar {
        name: OsStr::from_bytes(name).to_owned(),
        value: value.map(|v| OsStr::from_bytes(v).to_owned()),
    })
}

impl RunCommand {
    /// Arguments clap accepts but `kiln run` refuses: ARGS cannot begin
    /// with an unknown `--flag` (a mistyped option would otherwise become
    /// the program's argument); after `--` it can.
    pub fn misplaced_flag(&self) -> Option<&OsStr> {
        let first = self.args.first()?;
        (first.as_bytes().starts_with(b"--") && first.len() > 2).then_some(first.as_os_str())
    }

    /// ARGS up to the first `--`, and the arguments after it. clap keeps a
    /// `--` that follows an argument among ARGS (once ARGS begin, all is
    /// theirs), and takes one before any as the start of PROGRAM-ARGS.
    fn args_and_after_dashes(&mut self) -> (Vec<OsString>, Vec<OsString>) {
        let mut args = std::mem::take(&mut self.args);
        match args.iter().position(|a| a == "--") {
            Some(at) => {
                let after = args.split_off(at + 1);
                args.pop();
                (args, after)
            }
            None => (args, std::mem::take(&mut self.program_args)),
        }
    }
}

/// The store data of `kiln run`: WASI state and the sightglass timers.
struct Host {
    wasi: WasiCtx,
    bench_timing: bool,
    bench_start: Option<Instant>,
    limits: StoreLimits,
}

/// A duration as `--timeout` takes it: a number and a unit (ms, s, m, h).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .ok_or_else(|| format!("`{text}` needs a unit: ms, s, m or h"))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` does not start with a number"))?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return Err(format!("unknown unit `{unit}` in `{text}` (ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("`{text}`: {e}"))
}

pub fn run(mut o: RunCommand) -> Result<ExitCode> {
    let (args, after_dashes) = o.args_and_after_dashes();
    let file = o.file.display();
    let bytes = std::fs::read(&o.file).with_context(|| format!("cannot read `{file}`"))?;
    let mut config = o.engine.config()?;
    config.consume_fuel(o.fuel.is_some());
    config.epoch_interruption(o.timeout.is_some());
    let engine = Engine::new(&config)?;
    let module = if Module::is_artifact(&bytes) {
        // Decided by content, whatever the file is called: an artifact is
        // native code, so running one takes the user's explicit consent.
        if !o.allow_precompiled {
            bail!(
                "`{file}` is a precompiled Kiln artifact, which runs as native code outside \
                 the wasm sandbox: pass `--allow-precompiled` to run it, and only for \
                 artifacts you made yourself with `kiln compile`"
            );
        }
        // SAFETY: the user asked for this artifact to run, trusting its
        // machine code as they would any binary of theirs.
        unsafe { Module::deserialize(&engine, &bytes) }
            .with_context(|| format!("cannot load artifact `{file}`"))?
    } else {
        Module::new(&engine, &bytes).with_context(|| format!("`{file}` is not a valid module"))?
    };
    let mut uses_wasi = false;
    for import in module.imports() {
        match (import.module(), import.name()) {
            (wasi::MODULE, _) => uses_wasi = true,
            ("bench", "start" | "end") => {}
            (m, n) => bail!("`{file}` imports `{m}::{n}`, which `kiln run` does not provide"),
        }
    }
    let mut linker = Linker::<Host>::new(&engine);
    wasi::add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi)?;
    linker.func_wrap("bench", "start", |mut caller: Caller<'_, Host>| {
        caller.data_mut().bench_start = Some(Instant::now());
    })?;
    linker.func_wrap("bench", "end", |mut caller: Caller<'_, Host>| {
        let host = caller.data_mut();
        if let Some(start) = host.bench_start.take()
            && host.bench_timing
        {
            let t = start.elapsed();
            eprintln!(
                "bench: {} ns ({:.3} ms)",
                t.as_nanos(),
                t.as_secs_f64() * 1e3
            );
        }
    })?;

    let (params, program_args) = match &o.invoke {
        Some(_) => (args, after_dashes),
        None => (Vec::new(), [args, after_dashes].concat()),
    };
    let mut cx = WasiCtxBuilder::new()
        .inherit_stdio()
        .arg(o.file.as_os_str().as_bytes())
        .args(program_args.iter().map(|a| a.as_bytes()));
    for EnvVar { name, value } in &o.env {
        let value = match value {
            Some(value) => Some(value.clone()),
            // As in wasmtime: a variable the host does not have stays unset.
            None => std::env::var_os(name),
        };
        if let Some(value) = value {
            cx = cx.env(name.as_bytes(), value.as_bytes());
        }
    }
    for Preopen { host, guest } in &o.dirs {
        cx = cx.preopened_dir(host, guest.clone());
    }
    let host = Host {
        wasi: cx.build()?,
        bench_timing: o.bench_timing,
        bench_start: None,
        limits: match o.max_memory_size {
            Some(bytes) => StoreLimitsBuilder::new().memory_size(bytes).build(),
            None => StoreLimits::default(),
        },
    };
    let mut store = Store::new(&engine, host);
    // Only with a limit: without one, growth need not ask anybody.
    if o.max_memory_size.is_some() {
        store.limiter(|host| &mut host.limits);
    }
    if let Some(fuel) = o.fuel {
        store.set_fuel(fuel)?;
    }
    if let Some(timeout) = o.timeout {
        // One tick ends the run; the ticker is not joined (the process
        // exits when the program does).
        store.set_epoch_deadline(1);
        let engine = engine.clone();
        std::thread::spawn(move || {
            std::thread::sleep(timeout);
            engine.increment_epoch();
        });
    }
    let instance = match linker.instantiate(&mut store, &module) {
        Ok(instance) => instance,
        Err(e) => return exit_status(e),
    };
    let name = match &o.invoke {
        Some(name) => name.clone(),
        None if instance.get_func(&mut store, "_start").is_some() => "_start".to_string(),
        None if uses_wasi => bail!("`{file}` imports WASI but exports no `_start`"),
        None => return Ok(ExitCode::SUCCESS),
    };
    let Some(func) = instance.get_func(&mut store, &name) else {
        bail!("`{file}` exports no function named `{name}`");
    };
    let ty = func.ty(&store);
    if params.len() != ty.params().len() {
        bail!(
            "`{name}` takes {} arguments ({ty}), {} given",
            ty.params().len(),
            params.len()
        );
    }
    let params = ty
        .params()
        .iter()
        .zip(&params)
        .map(|(t, s)| {
            parse_arg(t, s).with_context(|| {
                format!(
                    "bad argument `{}` for a parameter of type {t}",
                    s.to_string_lossy()
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut results = vec![Val::I32(0); ty.results().len()];
    if let Err(e) = func.call(&mut store, &params, &mut results) {
        return exit_status(e);
    }
    for r in &results {
        println!("{}", show(r));
    }
    Ok(ExitCode::SUCCESS)
}

/// A guest's `proc_exit(status)` becomes the process's exit status when
/// WASI allows it (below 126); every other error stays an error.
fn exit_status(e: anyhow::Error) -> Result<ExitCode> {
    match e.downcast_ref::<I32Exit>() {
        Some(&I32Exit(status)) => Ok(ExitCode::from(wasi_exit_status(status)?)),
        None => Err(e),
    }
}

/// WASI's `proc_exit` says a status of 126 or more (as unsigned, so any
/// negative one too) behaves like `unreachable`; and a Unix exit status
/// keeps only 8 bits, so passing one on would make `proc_exit(256)` read
/// as success. So, as in wasmtime, such a status is an error.
fn wasi_exit_status(status: i32) -> Result<u8> {
    match u8::try_from(status) {
        Ok(s) if s < 126 => Ok(s),
        _ => bail!("the program exited with invalid status {status} (WASI allows 0 to 125)"),
    }
}

fn parse_int(s: &str) -> Result<i128> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let v = match digits.strip_prefix("0x") {
        Some(hex) => i128::from_str_radix(hex, 16)?,
        None => digits.parse::<i128>()?,
    };
    Ok(if neg { -v } else { v })
}

/// A parameter of type `ty` from the command line.
fn parse_arg(ty: &ValType, s: &OsStr) -> Result<Val> {
    let Some(s) = s.to_str() else {
        bail!("not UTF-8");
    };
    Ok(match ty {
        ValType::I32 => {
            let v = parse_int(s)?;
            if !(i128::from(i32::MIN)..=i128::from(u32::MAX)).contains(&v) {
                bail!("out of range for i32");
            }
            Val::I32(v as i32)
        }
        ValType::I64 => {
            let v = parse_int(s)?;
            if !(i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&v) {
                bail!("out of range for i64");
            }
            Val::I64(v as i64)
        }
        ValType::F32 => Val::from(s.parse::<f32>()?),
        ValType::F64 => Val::from(s.parse::<f64>()?),
        other => bail!("parameters of type {other} cannot be given on the command line"),
    })
}

fn show(v: &Val) -> String {
    match v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(b) => f32::from_bits(*b).to_string(),
        Val::F64(b) => f64::from_bits(*b).to_string(),
        Val::V128(x) => format!("{x:#034x}"),
        Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) => "null".to_string(),
        Val::FuncRef(Some(_)) => "<funcref>".to_string(),
        Val::ExternRef(Some(_)) => "<externref>".to_string(),
        Val::ExnRef(Some(_)) => "<exnref>".to_string(),
    }
}
