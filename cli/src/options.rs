//! The engine options every subcommand shares, in wasmtime's spelling: the
//! wasm features (`--wasm LEVEL`, `-W KEY[=VAL]`) and code generation
//! (`-O KEY=VAL`). Together they make the `kiln::Config` of a run, a WAST
//! script or an artifact.
//!
//! `-W` and `-O` take `KEY[=VAL]` lists (repeated, or comma-separated as
//! wasmtime allows), parsed into one enum variant per key: a new setting is
//! a variant, an arm in its parser and one in [`EngineOptions::config`].
//! One spelling differs from wasmtime's: there `--wasm` is `-W`'s long
//! form; here it names a feature level, as it did before clap.

use anyhow::Result;
use clap::Args;
use kiln::{BoundsChecks, Config, Features, InstanceAllocationStrategy, OptLevel};

#[derive(Args, Clone, Debug)]
pub struct EngineOptions {
    /// Start from a named set of wasm features: 2.0, 3.0 (as far as Kiln
    /// implements it) or all; `-W` switches apply after it
    #[arg(
        long = "wasm",
        value_name = "LEVEL",
        default_value = "all",
        value_parser = parse_level
    )]
    level: Features,

    #[arg(
        short = 'W',
        value_name = "FEATURE[=y|n]",
        value_delimiter = ',',
        value_parser = parse_wasm_option,
        help = "Turn a wasm feature on (y, the default) or off (n), after --wasm, in order",
        long_help = wasm_long_help()
    )]
    wasm: Vec<WasmOption>,

    #[arg(
        short = 'O',
        value_name = "KEY=VAL",
        value_delimiter = ',',
        value_parser = parse_optimize_option,
        help = "Code generation: opt-level=0|1|2|s, bounds-checks=guard-pages|explicit, spectre=y|n, \
                pooling-allocator=y|n",
        long_help = "Code generation, as KEY=VAL (several may be given at once, separated \
                     by commas): opt-level=0|1|2|s is Cranelift's optimisation (0 is none; 1 \
                     and 2 are both speed, the default; s is speed and size); \
                     bounds-checks=guard-pages|explicit is how memory accesses are kept in \
                     bounds (guard pages by default on 64-bit hosts); spectre=y|n turns the \
                     Spectre guards on explicitly checked accesses on (the default) or off. \
                     Artifacts record all three; running one needs the settings it was \
                     compiled with. pooling-allocator=y|n takes instances' memories and \
                     tables from pools reserved up front (wasmtime's default limits) \
                     instead of mapping each one (the default); compiled code is the same"
    )]
    optimize: Vec<OptimizeOption>,
}

/// One `-W` setting.
#[derive(Clone, Copy, Debug)]
enum WasmOption {
    /// A proposal's flag of [`Features::NAMES`], on or off.
    Feature(&'static str, bool),
    /// `nan-canonicalization`: every NaN a float operation makes is the
    /// canonical one (`Config::cranelift_nan_canonicalization`).
    NanCanonicalization(bool),
}

/// One `-O` setting.
#[derive(Clone, Copy, Debug)]
enum OptimizeOption {
    OptLevel(OptLevel),
    BoundsChecks(BoundsChecks),
    SpectreGuards(bool),
    PoolingAllocator(bool),
}

impl EngineOptions {
    /// The engine configuration these options describe.
    pub fn config(&self) -> Result<Config> {
        let mut features = self.level;
        let mut config = Config::new();
        for option in &self.wasm {
            match *option {
                WasmOption::Feature(name, on) => {
                    features.set(name, on).map_err(anyhow::Error::msg)?;
                }
                WasmOption::NanCanonicalization(on) => {
                    config.cranelift_nan_canonicalization(on);
                }
            }
        }
        config.wasm_features(features);
        for option in &self.optimize {
            match *option {
                OptimizeOption::OptLevel(level) => config.cranelift_opt_level(level),
                OptimizeOption::BoundsChecks(mode) => config.bounds_checks(mode),
                OptimizeOption::SpectreGuards(on) => config.cranelift_spectre_guards(on),
                OptimizeOption::PoolingAllocator(on) => config.allocation_strategy(match on {
                    true => InstanceAllocationStrategy::pooling(),
                    false => InstanceAllocationStrategy::OnDemand,
                }),
            };
        }
        Ok(config)
    }
}

fn wasm_long_help() -> String {
    let names: Vec<_> = Features::NAMES.iter().map(|(name, _)| *name).collect();
    format!(
        "Turn a wasm feature on (y, the default; also yes, true) or off (n; \
         also no, false), by its proposal's name: {}. Applied after --wasm, \
         in order; several may be given at once, separated by commas. \
         nan-canonicalization[=y|n] makes every NaN a float operation \
         produces the canonical one, for bit-for-bit reproducible results \
         (off by default; artifacts record it)",
        names.join(", ")
    )
}

fn parse_level(level: &str) -> Result<Features, String> {
    Features::level(level)
        .ok_or_else(|| format!("unknown wasm level `{level}` (known: 2.0, 3.0, all)"))
}

/// `KEY` or `KEY=VAL`.
fn split(option: &str) -> (&str, Option<&str>) {
    match option.split_once('=') {
        Some((key, value)) => (key, Some(value)),
        None => (option, None),
    }
}

/// A switch's value: absent means on, as in wasmtime.
fn parse_switch(option: &str, value: Option<&str>) -> Result<bool, String> {
    match value {
        None | Some("y" | "yes" | "true") => Ok(true),
        Some("n" | "no" | "false") => Ok(false),
        Some(v) => Err(format!("`{option}`: `{v}` is not y or n")),
    }
}

fn parse_wasm_option(option: &str) -> Result<WasmOption, String> {
    let (key, value) = split(option);
    if key == "nan-canonicalization" {
        return Ok(WasmOption::NanCanonicalization(parse_switch(
            option, value,
        )?));
    }
    let names = || Features::NAMES.iter().map(|(name, _)| *name);
    let name = names().find(|name| *name == key).ok_or_else(|| {
        let known: Vec<_> = names().collect();
        format!("unknown wasm feature `{key}` (known: {})", known.join(", "))
    })?;
    Ok(WasmOption::Feature(name, parse_switch(option, value)?))
}

fn parse_optimize_option(option: &str) -> Result<OptimizeOption, String> {
    let (key, raw) = split(option);
    let value = |known: &str| raw.ok_or_else(|| format!("`-O {key}` needs a value: {key}={known}"));
    match key {
        "opt-level" => match value("0|1|2|s")? {
            "0" => Ok(OptimizeOption::OptLevel(OptLevel::None)),
            "1" | "2" => Ok(OptimizeOption::OptLevel(OptLevel::Speed)),
            "s" => Ok(OptimizeOption::OptLevel(OptLevel::SpeedAndSize)),
            v => Err(format!("unknown opt-level `{v}` (known: 0, 1, 2, s)")),
        },
        "bounds-checks" => match value("guard-pages|explicit")? {
            "guard-pages" => Ok(OptimizeOption::BoundsChecks(BoundsChecks::GuardPages)),
            "explicit" => Ok(OptimizeOption::BoundsChecks(BoundsChecks::Explicit)),
            v => Err(format!(
                "unknown bounds-checks `{v}` (known: guard-pages, explicit)"
            )),
        },
        "spectre" => Ok(OptimizeOption::SpectreGuards(parse_switch(option, raw)?)),
        "pooling-allocator" => Ok(OptimizeOption::PoolingAllocator(parse_switch(option, raw)?)),
        _ => Err(format!(
            "unknown -O option `{key}` (known: opt-level, bounds-checks, spectre, \
             pooling-allocator)"
        )),
    }
}

/// Fuel, as `--fuel` takes it: a positive integer.
pub fn parse_fuel(n: &str) -> Result<u64, String> {
    match n.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("fuel is a positive integer".to_string()),
    }
}
