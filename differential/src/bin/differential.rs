//! The `differential` command: replay a reproducer, or run a campaign.
//!
//! ```text
//! differential replay DIR_OR_WASM [--call-seed N] [--variant 0-7]
//! differential campaign --seed N (--iterations N | --time SECS) [--out DIR] [--trace 1]
//!                       [--features SET] [--nans raw]
//! differential generate --seed N [--campaign-iteration I] [--features SET] [--nans raw]
//!                       --out FILE.wasm
//! ```
//!
//! `SET` is a level with proposals added, e.g. `2.0+memory64` (see
//! [`features`]); the default is everything Kiln implements. `--nans raw`
//! generates modules whose NaNs are not rewritten, and runs them on the
//! deterministic oracle (interpreter and engine with NaN canonicalisation,
//! bit for bit); variants 4-7 are its engine variants.
//!
//! Exit status: 0 when everything agreed, 1 on a mismatch, 2 on bad usage.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use kiln_differential::generate::Nans;
use kiln_differential::oracle::campaign::{self, CampaignConfig};
use kiln_differential::oracle::repro::{self, Recipe};
use kiln_differential::oracle::sides::Limits;
use kiln_differential::oracle::sides::engine::EngineVariant;
use kiln_differential::oracle::{End, Oracle};

const USAGE: &str = "usage:
  differential replay DIR_OR_WASM [--call-seed N] [--variant 0-7]
  differential campaign --seed N (--iterations N | --time SECS) [--out DIR] [--trace 1]
                        [--features SET] [--nans raw]
  differential generate --seed N [--campaign-iteration I] [--features SET] [--nans raw]
                        --out FILE.wasm
SET: a level (2.0, 3.0, all) with `+NAME` proposals added, e.g. 2.0+memory64
--nans raw: NaNs not rewritten in the modules; the deterministic oracle runs them
  (variants 4-7: the engine with NaN canonicalisation, bit for bit with the interpreter)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("replay") => replay(&args[1..]),
        Some("campaign") => run_campaign(&args[1..]),
        Some("generate") => generate(&args[1..]),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

/// The feature set `spec` names: a level (`2.0`, `3.0`, `all`) followed by
/// `+NAME` for each proposal added, e.g. `2.0+memory64+multi-memory`; none
/// is everything Kiln implements. Generated modules use only what it has.
fn features(spec: Option<String>) -> Result<kiln::Features, String> {
    let Some(spec) = spec else {
        return Ok(kiln::Features::ALL);
    };
    let mut parts = spec.split('+');
    let level = parts.next().unwrap_or_default();
    let mut features = kiln::Features::level(level)
        .ok_or_else(|| format!("--features: unknown level `{level}` (2.0, 3.0, all)"))?;
    for name in parts {
        features
            .set(name, true)
            .map_err(|e| format!("--features: {e}"))?;
    }
    let missing = features.beyond(&kiln::Features::ALL);
    if !missing.is_empty() {
        return Err(format!(
            "--features: Kiln does not implement {}",
            missing.join(", ")
        ));
    }
    Ok(features)
}

/// `--nans`: `rewritten` (the default) or `raw`.
fn nans(spec: Option<String>) -> Result<Nans, String> {
    match spec.as_deref() {
        None | Some("rewritten") => Ok(Nans::Rewritten),
        Some("raw") => Ok(Nans::Raw),
        Some(other) => Err(format!(
            "--nans: `{other}` is neither `raw` nor `rewritten`"
        )),
    }
}

/// `--name value` pairs and positional arguments.
struct Args {
    positional: Vec<String>,
    options: Vec<(String, String)>,
}

impl Args {
    fn parse(args: &[String], known: &[&str]) -> Result<Args, String> {
        let mut out = Args {
            positional: Vec::new(),
            options: Vec::new(),
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if let Some(name) = a.strip_prefix("--") {
                if !known.contains(&name) {
                    return Err(format!("unknown option --{name}\n{USAGE}"));
                }
                let value = it.next().ok_or(format!("--{name} needs a value"))?;
                out.options.push((name.to_string(), value.clone()));
            } else {
                out.positional.push(a.clone());
            }
        }
        Ok(out)
    }

    fn get<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, String> {
        match self.options.iter().rev().find(|(n, _)| n == name) {
            None => Ok(None),
            Some((_, v)) => v
                .parse()
                .map(Some)
                .map_err(|_| format!("--{name}: cannot parse {v:?}")),
        }
    }
}

fn replay(args: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(args, &["call-seed", "variant"])?;
    let [path] = args.positional.as_slice() else {
        return Err(USAGE.to_string());
    };
    let variant = match args.get::<usize>("variant")? {
        Some(i) => EngineVariant::numbered()
            .nth(i)
            .ok_or("--variant must be 0 to 7")?,
        None => EngineVariant::ALL[0],
    };
    let default = Recipe {
        call_seed: args.get("call-seed")?.unwrap_or(0),
        variant,
    };
    let (wasm, recipe) = repro::load(&PathBuf::from(path), default)?;
    let mut oracle = Oracle::for_variant(recipe.variant, Limits::default())?;
    let run = oracle.run(&wasm, recipe.call_seed);
    print!("{}", repro::full_report(&run));
    Ok(match run.end {
        End::Mismatch { .. } => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}

fn run_campaign(args: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(
        args,
        &[
            "seed",
            "iterations",
            "time",
            "out",
            "trace",
            "features",
            "nans",
        ],
    )?;
    if !args.positional.is_empty() {
        return Err(USAGE.to_string());
    }
    let mut config = CampaignConfig::new(args.get("seed")?.ok_or("campaign needs --seed N")?);
    config.iterations = args.get("iterations")?;
    config.time = args.get::<f64>("time")?.map(Duration::from_secs_f64);
    config.out = args.get::<String>("out")?.map(PathBuf::from);
    config.features = features(args.get("features")?)?;
    config.nans = nans(args.get("nans")?)?;
    config.progress = Some(Duration::from_secs(30));
    // `--trace 1`: name every module before running it (for crashes that
    // kill the process, e.g. a signal).
    config.trace = args.get::<u8>("trace")?.is_some_and(|t| t != 0);
    // A side that panics where it cannot unwind aborts the process before
    // any report is written: at least name the module.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let seed = campaign::CURRENT_MODULE_SEED.load(std::sync::atomic::Ordering::Relaxed);
        eprintln!("panic while running module seed {seed} (`differential generate --seed {seed}`)");
        default_hook(info);
    }));
    let result = campaign::run(&config)?;
    for f in &result.found {
        println!("module seed {}:\n{}", f.module_seed, f.summary);
        if let Some(dir) = &f.dir {
            println!(
                "  reproducer: {} (replay with `differential replay {0}`)\n",
                dir.display()
            );
        }
    }
    println!("{result}");
    Ok(if result.found.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Write the module of a module seed (or of iteration I of the campaign
/// with seed N), plus its `.wat` beside it, for inspection.
fn generate(args: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(
        args,
        &["seed", "campaign-iteration", "out", "features", "nans"],
    )?;
    let seed: u64 = args.get("seed")?.ok_or("generate needs --seed N")?;
    let out: String = args.get("out")?.ok_or("generate needs --out FILE.wasm")?;
    let module_seed = match args.get::<u64>("campaign-iteration")? {
        Some(i) => campaign::seeds(seed, i).0,
        None => seed,
    };
    let features = features(args.get("features")?)?;
    let nans = nans(args.get("nans")?)?;
    let wasm = kiln_differential::generate::generate_nans(module_seed, &features, nans)?;
    let out = PathBuf::from(out);
    std::fs::write(&out, &wasm).map_err(|e| format!("{}: {e}", out.display()))?;
    let wat = wasmprinter::print_bytes(&wasm).map_err(|e| e.to_string())?;
    let wat_path = out.with_extension("wat");
    std::fs::write(&wat_path, wat).map_err(|e| format!("{}: {e}", wat_path.display()))?;
    println!("module seed {module_seed}: {} bytes", wasm.len());
    Ok(ExitCode::SUCCESS)
}
