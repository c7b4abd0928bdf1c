//! The `kiln` command: run a module's export, or run WAST scripts.

use anyhow::{Context, Result, bail};
use kiln::{Engine, Instance, Module, Store, Val, ValType};
use kiln_spec_tests::engine_backend::EngineBackend;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage:
  kiln run FILE.wasm|FILE.wat [--invoke NAME] [ARGS...]
      Instantiate FILE (it must have no imports) and call NAME (default:
      `_start` if exported, else only the start function runs) with ARGS,
      printing each result on its own line.
  kiln compile FILE.wasm|FILE.wat -o OUT.kwasm
      Compile FILE ahead of time into a Kiln artifact (an ELF object) that
      `kiln run` loads without compiling.
  kiln wast FILE.wast...
      Run WAST scripts with every feature the engine supports; print the
      directives passed per file. Exits 0 only if every directive passed.";

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

fn wast(files: &[String]) -> Result<ExitCode> {
    if files.is_empty() {
        bail!("`kiln wast` needs at least one file");
    }
    let paths: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
    let ok = kiln_spec_tests::run_wast_paths(EngineBackend::new, &paths, 20);
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

fn run(args: &[String]) -> Result<ExitCode> {
    let Some(file) = args.first() else {
        bail!("`kiln run` needs a file");
    };
    let mut invoke = None;
    let mut rest = &args[1..];
    if let [flag, name, tail @ ..] = rest
        && flag == "--invoke"
    {
        invoke = Some(name.clone());
        rest = tail;
    }
    let bytes = std::fs::read(file).with_context(|| format!("cannot read `{file}`"))?;
    let engine = Engine::default();
    let module = if Module::is_artifact(&bytes) {
        // SAFETY: running an artifact means trusting its machine code, as
        // running any binary does; the user chose this file.
        unsafe { Module::deserialize(&engine, &bytes) }
            .with_context(|| format!("cannot load artifact `{file}`"))?
    } else {
        Module::new(&engine, &bytes).with_context(|| format!("`{file}` is not a valid module"))?
    };
    if let Some(import) = module.imports().next() {
        bail!(
            "`{file}` imports `{}::{}`; `kiln run` provides no imports yet",
            import.module(),
            import.name()
        );
    }
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[])?;
    let name = match invoke {
        Some(name) => name,
        None if instance.get_func(&mut store, "_start").is_some() => "_start".to_string(),
        None => return Ok(ExitCode::SUCCESS),
    };
    let Some(func) = instance.get_func(&mut store, &name) else {
        bail!("`{file}` exports no function named `{name}`");
    };
    let ty = func.ty(&store);
    if rest.len() != ty.params().len() {
        bail!(
            "`{name}` takes {} arguments ({ty}), {} given",
            ty.params().len(),
            rest.len()
        );
    }
    let params = ty
        .params()
        .iter()
        .zip(rest)
        .map(|(&t, s)| {
            parse_arg(t, s)
                .with_context(|| format!("bad argument `{s}` for a parameter of type {t}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut results = vec![Val::I32(0); ty.results().len()];
    func.call(&mut store, &params, &mut results)?;
    for r in &results {
        println!("{}", show(r));
    }
    Ok(ExitCode::SUCCESS)
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
