//! The `kiln` command: run a module (a WASI command or an export), compile
//! it ahead of time, or run WAST scripts.

use anyhow::{Context, Result, bail};
use kiln::wasi::{self, I32Exit, WasiCtx, WasiCtxBuilder};
use kiln::{Caller, Config, Engine, Features, Linker, Module, Store, Val, ValType};
use kiln_spec_tests::engine_backend::{EngineBackend, FUEL_BOUND};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "\
usage:
  kiln run [OPTIONS] FILE.wasm|FILE.wat|FILE.kwasm [OPTIONS] [ARGS...] [-- PROGRAM-ARGS...]
      Instantiate FILE and call NAME (default: `_start` if exported, else
      only the start function runs). With `--invoke NAME`, ARGS are NAME's
      parameters and its results are printed one per line; otherwise ARGS
      are the program's arguments. Imports of `wasi_snapshot_preview1` get
      WASI preview1 with stdio inherited, argv[0] = FILE, and the status of
      `proc_exit` as kiln's own exit status (a status outside 0..=125 is
      an error, as in wasmtime); the sightglass imports
      `bench.start`/`bench.end` are no-op timers.
      Options (anywhere before ARGS):
        --dir HOST[::GUEST]  preopen directory HOST as GUEST (default HOST)
        --env KEY[=VALUE]    set an environment variable (no value: host's)
        --invoke NAME        call export NAME instead of `_start`
        --bench-timing       print the time between bench.start and
                             bench.end to stderr
        --allow-precompiled  run FILE even if it is a precompiled artifact
                             (see `kiln compile`); without it, kiln run
                             refuses artifacts
        --wasm LEVEL, -W NAME[=y|n]
                             the wasm features, as for `kiln wast`
  kiln compile FILE.wasm|FILE.wat -o OUT.kwasm
      Compile FILE ahead of time into a Kiln artifact (an ELF object) that
      `kiln run --allow-precompiled` loads without compiling. An artifact
      is trusted native code: its machine code runs as it is, outside the
      wasm sandbox, and nothing can check it. Run only artifacts you made
      yourself; a damaged one is refused (it carries a checksum), a forged
      one is not.
  kiln wast [OPTIONS] FILE.wast|DIR...
      Run WAST scripts (every .wast below a DIR) with every feature the
      engine supports (or those chosen below); print the directives passed
      per file. Exits 0 only if every directive passed.
      Options:
        --wasm LEVEL   start from a named feature level: 2.0, 3.0 (as far
                       as Kiln implements it) or all (the default)
        -W NAME[=y|n]  turn one feature on (y, the default) or off, by its
                       proposal's name: mutable-global, sign-extension,
                       saturating-float-to-int, multi-value, bulk-memory,
                       reference-types, simd, multi-memory, memory64,
                       tail-call, extended-const, custom-page-sizes,
                       wide-arithmetic (applied after --wasm)
        --fuel N   fuel each action (an invoke, or an instantiation with
                   its start function) may use, about one unit per
                   operator (default 10000000000, ~100x what any
                   directive of the spec testsuites needs); an action
                   that needs more fails with \"did not finish within
                   the bound\", so a runaway loop cannot hang the run";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("wast") => wast(&args[1..]),
        Some("compile") => compile(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line for plain errors; a trap adds its backtrace lines.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The wasm features `--wasm LEVEL` and `-W NAME[=y|n]` choose: the level
/// first (all by default), then each `-W` in order.
#[derive(Default)]
struct FeatureOptions {
    level: Option<String>,
    switches: Vec<String>,
}

impl FeatureOptions {
    /// Take `arg` (and its value from `rest`) if it is a feature option.
    fn take<'a>(&mut self, arg: &str, rest: &mut impl Iterator<Item = &'a String>) -> Result<bool> {
        match arg {
            "--wasm" => self.level = Some(rest.next().context("`--wasm` needs a level")?.clone()),
            "-W" => self
                .switches
                .push(rest.next().context("`-W` needs a feature name")?.clone()),
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn features(&self) -> Result<Features> {
        let mut f = match &self.level {
            None => Features::ALL,
            Some(level) => Features::level(level)
                .with_context(|| format!("unknown wasm level `{level}` (known: 2.0, 3.0, all)"))?,
        };
        for switch in &self.switches {
            let (name, on) = match switch.split_once('=') {
                None => (switch.as_str(), true),
                Some((name, "y" | "yes" | "true")) => (name, true),
                Some((name, "n" | "no" | "false")) => (name, false),
                Some((_, v)) => bail!("`-W {switch}`: `{v}` is not y or n"),
            };
            f.set(name, on).map_err(anyhow::Error::msg)?;
        }
        Ok(f)
    }

    /// An engine configuration with these features.
    fn config(&self) -> Result<Config> {
        let mut config = Config::new();
        config.wasm_features(self.features()?);
        Ok(config)
    }
}

fn wast(args: &[String]) -> Result<ExitCode> {
    let mut fuel = FUEL_BOUND;
    let mut paths = Vec::new();
    let mut features = FeatureOptions::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if features.take(arg, &mut it)? {
            continue;
        }
        match arg.as_str() {
            "--fuel" => {
                let n = it.next().context("`--fuel` needs a value")?;
                fuel = match n.parse::<u64>() {
                    Ok(n) if n > 0 => n,
                    _ => bail!("`--fuel` needs a positive integer, not `{n}`"),
                };
            }
            flag if flag.starts_with("--") => bail!("unknown option `{flag}` for `kiln wast`"),
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    if paths.is_empty() {
        bail!("`kiln wast` needs at least one file");
    }
    let config = features.config()?;
    // Fail here, once, if the engine cannot have these features.
    EngineBackend::with_config(&config)?;
    let make = || {
        EngineBackend::with_config(&config)
            .expect("the configuration worked above")
            .with_fuel(fuel)
    };
    let ok = kiln_spec_tests::run_wast_paths(make, &paths, 20);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn compile(args: &[String]) -> Result<ExitCode> {
    let [input, flag, output] = args else {
        bail!("usage: kiln compile FILE -o OUT");
    };
    if flag != "-o" {
        bail!("usage: kiln compile FILE -o OUT");
    }
    let bytes = std::fs::read(input).with_context(|| format!("cannot read `{input}`"))?;
    let artifact = Engine::default()
        .precompile_module(&bytes)
        .with_context(|| format!("`{input}` is not a valid module"))?;
    std::fs::write(output, artifact).with_context(|| format!("cannot write `{output}`"))?;
    Ok(ExitCode::SUCCESS)
}

/// The options of `kiln run`.
struct RunOptions {
    file: String,
    invoke: Option<String>,
    dirs: Vec<(String, String)>,
    env: Vec<(String, String)>,
    bench_timing: bool,
    /// Load FILE even if it is a precompiled artifact (native code).
    allow_precompiled: bool,
    features: FeatureOptions,
    /// Arguments before `--`: the invoked function's parameters with
    /// `--invoke`, else the program's arguments.
    positional: Vec<String>,
    /// Arguments after `--`: always the program's arguments.
    after_dashes: Vec<String>,
}

fn parse_run_options(args: &[String]) -> Result<RunOptions> {
    let mut o = RunOptions {
        file: String::new(),
        invoke: None,
        dirs: Vec::new(),
        env: Vec::new(),
        bench_timing: false,
        allow_precompiled: false,
        features: FeatureOptions::default(),
        positional: Vec::new(),
        after_dashes: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if o.features.take(arg, &mut it)? {
            continue;
        }
        let mut value = |flag: &str| {
            it.next()
                .cloned()
                .with_context(|| format!("`{flag}` needs a value"))
        };
        match arg.as_str() {
            "--" => {
                o.after_dashes = it.by_ref().cloned().collect();
            }
            "--invoke" => o.invoke = Some(value("--invoke")?),
            "--bench-timing" => o.bench_timing = true,
            "--allow-precompiled" => o.allow_precompiled = true,
            "--dir" => {
                let spec = value("--dir")?;
                let (host, guest) = match spec.split_once("::") {
                    Some((h, g)) => (h.to_string(), g.to_string()),
                    None => (spec.clone(), spec.clone()),
                };
                o.dirs.push((host, guest));
            }
            "--env" => {
                let spec = value("--env")?;
                let (k, v) = match spec.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    // `--env NAME` passes the host's value through.
                    None => (spec.clone(), std::env::var(&spec).unwrap_or_default()),
                };
                o.env.push((k, v));
            }
            flag if flag.starts_with("--") => bail!("unknown option `{flag}` for `kiln run`"),
            _ if o.file.is_empty() => o.file = arg.clone(),
            _ => {
                // The first argument after the file ends the options.
                o.positional.push(arg.clone());
                for rest in it.by_ref() {
                    if rest == "--" {
                        o.after_dashes = it.by_ref().cloned().collect();
                        break;
                    }
                    o.positional.push(rest.clone());
                }
            }
        }
    }
    if o.file.is_empty() {
        bail!("`kiln run` needs a file");
    }
    Ok(o)
}

/// The store data of `kiln run`: WASI state and the sightglass timers.
struct Host {
    wasi: WasiCtx,
    bench_timing: bool,
    bench_start: Option<Instant>,
}

fn run(args: &[String]) -> Result<ExitCode> {
    let o = parse_run_options(args)?;
    let file = &o.file;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read `{file}`"))?;
    let engine = Engine::new(&o.features.config()?)?;
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
        Some(_) => (o.positional.clone(), o.after_dashes.clone()),
        None => {
            let mut all = o.positional.clone();
            all.extend(o.after_dashes.iter().cloned());
            (Vec::new(), all)
        }
    };
    let mut cx = WasiCtxBuilder::new()
        .inherit_stdio()
        .arg(file)
        .args(&program_args);
    for (k, v) in &o.env {
        cx = cx.env(k, v);
    }
    for (host, guest) in &o.dirs {
        cx = cx.preopened_dir(host, guest.clone());
    }
    let host = Host {
        wasi: cx.build()?,
        bench_timing: o.bench_timing,
        bench_start: None,
    };
    let mut store = Store::new(&engine, host);
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
        .map(|(&t, s)| {
            parse_arg(t, s)
                .with_context(|| format!("bad argument `{s}` for a parameter of type {t}"))
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

fn parse_arg(ty: ValType, s: &str) -> Result<Val> {
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
        Val::FuncRef(None) | Val::ExternRef(None) => "null".to_string(),
        Val::FuncRef(Some(_)) => "<funcref>".to_string(),
        Val::ExternRef(Some(_)) => "<externref>".to_string(),
    }
}
