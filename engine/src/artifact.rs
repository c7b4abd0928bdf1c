//! Precompiled artifacts: a compiled module as one ELF object file.
//!
//! `.text` holds the machine code (position-independent: calls between
//! functions are PC-relative, libcall addresses are filled in at load), with
//! one symbol per wasm function, so `objdump -d` and `readelf -S` work on
//! it. Kiln's metadata lives in sections of its own, each a postcard
//! encoding that starts with `FORMAT_VERSION`:
//!
//! | section | contents |
//! |---|---|
//! | `.kiln.engine` | `EngineMetadata`: what decides whether the code may run under an engine |
//! | `.kiln.module` | `ModuleSection`: the module's `ModuleInfo` (types aside) and the code layout, trap table and libcall slots |
//! | `.kiln.types` | `TypesSection`: the type section |
//!
//! Loading checks the engine metadata first and names the setting that
//! differs. It cannot check the code itself: deserialising trusts the
//! file, which is why `Module::deserialize` is `unsafe`.

use crate::compile::CodeImage;
use crate::config::{Features, Tunables};
use crate::engine::Engine;
use crate::info::ModuleInfo;
use crate::types::FuncType;
use anyhow::{Context, Result, anyhow, bail};
use object::{Object as _, ObjectSection as _};
use serde::{Deserialize, Serialize};

/// Bumped whenever any section's encoding changes.
pub const FORMAT_VERSION: u32 = 2;

const ENGINE_SECTION: &str = ".kiln.engine";
const MODULE_SECTION: &str = ".kiln.module";
const TYPES_SECTION: &str = ".kiln.types";

/// Everything about the compiling engine that decides whether an
/// artifact's code may run under another engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EngineMetadata {
    pub format_version: u32,
    pub kiln_version: String,
    pub target: String,
    /// Cranelift's shared and ISA flags that shape code, as `name=value`.
    pub flags: Vec<(String, String)>,
    /// The optimisation level the code was compiled at. Recorded, not
    /// checked: code of any level runs under any engine.
    pub opt_level: String,
    pub features: Features,
    pub tunables: Tunables,
}

/// Cranelift settings that do not affect whether code may run elsewhere.
const FLAGS_NOT_CHECKED: &[&str] = &[
    "opt_level",
    "enable_verifier",
    "regalloc_checker",
    "regalloc_verbose_logs",
];

impl EngineMetadata {
    pub fn of(engine: &Engine) -> EngineMetadata {
        let isa = engine.isa();
        let mut flags: Vec<(String, String)> = isa
            .flags()
            .iter()
            .chain(isa.isa_flags())
            .filter(|v| !FLAGS_NOT_CHECKED.contains(&v.name))
            .map(|v| (v.name.to_string(), v.value_string()))
            .collect();
        flags.sort();
        let opt_level = isa
            .flags()
            .iter()
            .find(|v| v.name == "opt_level")
            .map(|v| v.value_string())
            .unwrap_or_default();
        let config = engine.config();
        EngineMetadata {
            format_version: FORMAT_VERSION,
            kiln_version: env!("CARGO_PKG_VERSION").to_string(),
            target: isa.triple().to_string(),
            flags,
            opt_level,
            features: config.features,
            tunables: config.tunables.clone(),
        }
    }

    /// Why code compiled under `self` may not run under `engine`, if so.
    fn check(&self, engine: &EngineMetadata) -> Result<()> {
        let differ = |what: &str, artifact: &dyn std::fmt::Debug, ours: &dyn std::fmt::Debug| {
            anyhow!(
                "incompatible artifact: {what} differs (artifact: {artifact:?}, engine: {ours:?})"
            )
        };
        if self.kiln_version != engine.kiln_version {
            return Err(differ(
                "Kiln version",
                &self.kiln_version,
                &engine.kiln_version,
            ));
        }
        if self.target != engine.target {
            return Err(differ("target", &self.target, &engine.target));
        }
        if self.tunables.bounds_checks != engine.tunables.bounds_checks {
            return Err(differ(
                "bounds checks",
                &self.tunables.bounds_checks,
                &engine.tunables.bounds_checks,
            ));
        }
        if self.tunables.consume_fuel != engine.tunables.consume_fuel {
            return Err(differ(
                "fuel metering",
                &self.tunables.consume_fuel,
                &engine.tunables.consume_fuel,
            ));
        }
        if self.features != engine.features {
            return Err(differ("wasm features", &self.features, &engine.features));
        }
        for (name, value) in &self.flags {
            let ours = engine.flags.iter().find(|(n, _)| n == name).map(|(_, v)| v);
            if ours != Some(value) {
                return Err(differ(&format!("Cranelift flag `{name}`"), value, &ours));
            }
        }
        if let Some((name, value)) = engine
            .flags
            .iter()
            .find(|(n, _)| !self.flags.iter().any(|(m, _)| m == n))
        {
            return Err(differ(
                &format!("Cranelift flag `{name}`"),
                &None::<String>,
                value,
            ));
        }
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct ModuleSection {
    format_version: u32,
    /// `types` is empty here: the type section is stored on its own.
    info: ModuleInfo,
    code: CodeImage,
}

#[derive(Serialize, Deserialize)]
struct TypesSection {
    format_version: u32,
    types: Vec<FuncType>,
}

/// What an artifact holds.
pub struct Artifact {
    pub metadata: EngineMetadata,
    pub info: ModuleInfo,
    pub code: CodeImage,
}

/// Write an artifact for a module compiled under `metadata`.
pub fn write(metadata: &EngineMetadata, info: &ModuleInfo, code: &CodeImage) -> Result<Vec<u8>> {
    use object::write::{Object, Symbol, SymbolSection};
    use object::{
        Architecture, BinaryFormat, Endianness, SectionKind, SymbolFlags, SymbolKind, SymbolScope,
    };
    let arch = match metadata.target.split('-').next() {
        Some("x86_64") => Architecture::X86_64,
        Some("aarch64") => Architecture::Aarch64,
        Some("riscv64gc" | "riscv64") => Architecture::Riscv64,
        Some("s390x") => Architecture::S390x,
        _ => bail!("cannot write artifacts for target `{}`", metadata.target),
    };
    let endian = if arch == Architecture::S390x {
        Endianness::Big
    } else {
        Endianness::Little
    };
    let mut obj = Object::new(BinaryFormat::Elf, arch, endian);
    let text = obj.section_id(object::write::StandardSection::Text);
    obj.set_section_data(text, code.text.clone(), 16);
    for (range, index) in &code.funcs {
        let name = match info.func_names.get(index) {
            Some(n) => format!("wasm[{index}]::{n}"),
            None => format!("wasm[{index}]"),
        };
        obj.add_symbol(Symbol {
            name: name.into_bytes(),
            value: range.start.into(),
            size: (range.end - range.start).into(),
            kind: SymbolKind::Text,
            scope: SymbolScope::Compilation,
            weak: false,
            section: SymbolSection::Section(text),
            flags: SymbolFlags::None,
        });
    }
    let mut add = |name: &str, data: Vec<u8>| {
        let id = obj.add_section(Vec::new(), name.as_bytes().to_vec(), SectionKind::Metadata);
        obj.set_section_data(id, data, 8);
    };
    let module = ModuleSection {
        format_version: FORMAT_VERSION,
        info: ModuleInfo {
            types: Vec::new(),
            ..info.clone()
        },
        code: CodeImage {
            text: Vec::new(),
            ..code.clone()
        },
    };
    let types = TypesSection {
        format_version: FORMAT_VERSION,
        types: info.types.clone(),
    };
    add(ENGINE_SECTION, postcard::to_allocvec(metadata)?);
    add(MODULE_SECTION, postcard::to_allocvec(&module)?);
    add(TYPES_SECTION, postcard::to_allocvec(&types)?);
    Ok(obj.write()?)
}

/// Does `bytes` look like a Kiln artifact (an ELF file with Kiln's
/// engine section)?
pub fn is_artifact(bytes: &[u8]) -> bool {
    object::File::parse(bytes).is_ok_and(|f| f.section_by_name(ENGINE_SECTION).is_some())
}

/// Read an artifact, refusing it unless it may run under `engine`.
pub fn read(engine: &EngineMetadata, bytes: &[u8]) -> Result<Artifact> {
    let file = object::File::parse(bytes).context("not a Kiln artifact: not an ELF object file")?;
    let section = |name: &str| -> Result<&[u8]> {
        let s = file
            .section_by_name(name)
            .ok_or_else(|| anyhow!("not a Kiln artifact: no `{name}` section"))?;
        s.data()
            .with_context(|| format!("corrupt artifact: `{name}` section"))
    };
    // The version is the first field of every section: read it alone
    // first, so a future format gets "wrong version", not a decode error.
    let version = |data: &[u8], name: &str| -> Result<()> {
        let (v, _): (u32, _) = postcard::take_from_bytes(data)
            .with_context(|| format!("corrupt artifact: `{name}`"))?;
        if v != FORMAT_VERSION {
            bail!(
                "incompatible artifact: format version {v}, this Kiln reads version {FORMAT_VERSION}"
            );
        }
        Ok(())
    };
    let engine_data = section(ENGINE_SECTION)?;
    version(engine_data, ENGINE_SECTION)?;
    let metadata: EngineMetadata =
        postcard::from_bytes(engine_data).context("corrupt artifact: engine metadata")?;
    metadata.check(engine)?;

    let module_data = section(MODULE_SECTION)?;
    version(module_data, MODULE_SECTION)?;
    let module: ModuleSection =
        postcard::from_bytes(module_data).context("corrupt artifact: module section")?;
    let types_data = section(TYPES_SECTION)?;
    version(types_data, TYPES_SECTION)?;
    let types: TypesSection =
        postcard::from_bytes(types_data).context("corrupt artifact: types section")?;
    let text = file
        .section_by_name(".text")
        .ok_or_else(|| anyhow!("corrupt artifact: no `.text` section"))?
        .data()
        .context("corrupt artifact: `.text`")?;
    let info = ModuleInfo {
        types: types.types,
        ..module.info
    };
    let code = CodeImage {
        text: text.to_vec(),
        ..module.code
    };
    check_consistent(&info, &code)?;
    Ok(Artifact {
        metadata,
        info,
        code,
    })
}

/// Structural checks that keep a damaged artifact from making the loader
/// index out of bounds. (They cannot make untrusted code safe to run.)
fn check_consistent(info: &ModuleInfo, code: &CodeImage) -> Result<()> {
    let len = code.text.len() as u32;
    let bad = |what: &str| Err(anyhow!("corrupt artifact: {what}"));
    if code.ranges.len() != info.num_defined_funcs() as usize
        || info.bodies.len() != code.ranges.len()
    {
        return bad("function count does not match the module");
    }
    if code
        .ranges
        .iter()
        .chain(code.funcs.iter().map(|(r, _)| r))
        .any(|r| r.start > r.end || r.end > len)
    {
        return bad("function outside `.text`");
    }
    if code.traps.iter().any(|&(off, _)| off >= len)
        || code
            .libcalls
            .iter()
            .any(|s| s.offset.saturating_add(8) > len)
    {
        return bad("trap or relocation outside `.text`");
    }
    if info.funcs.iter().any(|&t| t as usize >= info.types.len()) {
        return bad("function of unknown type");
    }
    if info.wasm.len()
        < info
            .bodies
            .iter()
            .chain(info.datas.iter().map(|d| &d.range))
            .map(|r| r.end)
            .max()
            .unwrap_or(0)
    {
        return bad("segment outside the module bytes");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BoundsChecks, Config, Module};

    const WAT: &str = r#"(module $m (memory 1) (data (i32.const 0) "hi")
        (func $sq (export "sq") (param f64) (result f64) local.get 0 local.get 0 f64.mul)
        (func (export "round") (param f32) (result f32) local.get 0 f32.nearest))"#;

    fn artifact(config: &Config) -> Vec<u8> {
        Engine::new(config)
            .unwrap()
            .precompile_module(WAT.as_bytes())
            .unwrap()
    }

    /// Loading `bytes` under `config` fails with a message containing `expected`.
    fn check(bytes: &[u8], config: &Config, expected: &str) {
        let engine = Engine::new(config).unwrap();
        // SAFETY: the artifacts are our own (or refused before any code runs).
        let err = unsafe { Module::deserialize(&engine, bytes) }.unwrap_err();
        assert!(
            format!("{err:#}").contains(expected),
            "{err:#} does not mention {expected:?}"
        );
    }

    #[test]
    fn round_trip_is_byte_identical_and_runs() {
        let bytes = artifact(&Config::new());
        let engine = Engine::default();
        // SAFETY: made just above by the same Kiln.
        let module = unsafe { Module::deserialize(&engine, &bytes) }.unwrap();
        assert_eq!(module.serialize().unwrap(), bytes);
        let mut store = crate::Store::new(&engine, ());
        let instance = crate::Instance::new(&mut store, &module, &[]).unwrap();
        let sq = instance
            .get_typed_func::<f64, f64>(&mut store, "sq")
            .unwrap();
        assert_eq!(sq.call(&mut store, 3.0).unwrap(), 9.0);
        assert!(Module::is_artifact(&bytes));
        assert!(!Module::is_artifact(b"\0asm\x01\0\0\0"));
    }

    #[test]
    fn metadata_recorded_is_the_artifacts() {
        // An engine that differs only in settings that do not decide
        // compatibility (the opt level) loads the artifact; the metadata
        // it keeps, and re-serialises byte for byte, is the artifact's.
        let mut unoptimised = Config::new();
        unoptimised.cranelift_opt_level(crate::OptLevel::None);
        let bytes = artifact(&unoptimised);
        let default = Engine::default();
        let loaded = read(&EngineMetadata::of(&default), &bytes).unwrap();
        assert_eq!(loaded.metadata.opt_level, "none");
        assert_eq!(EngineMetadata::of(&default).opt_level, "speed");
        // SAFETY: our own artifact.
        let module = unsafe { Module::deserialize(&default, &bytes) }.unwrap();
        assert_eq!(module.serialize().unwrap(), bytes);
    }

    #[test]
    fn incompatible_engines_are_refused() {
        let bytes = artifact(&Config::new());
        check(
            &bytes,
            Config::new().bounds_checks(BoundsChecks::Explicit),
            "bounds checks",
        );
        check(&bytes, Config::new().consume_fuel(true), "fuel metering");
        check(
            &bytes,
            Config::new().wasm_bulk_memory(false),
            "wasm features",
        );
        let ours = EngineMetadata::of(&Engine::default());
        let refuse = |change: fn(&mut EngineMetadata), expected: &str| {
            let mut theirs = ours.clone();
            change(&mut theirs);
            let err = theirs.check(&ours).unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
        };
        refuse(|m| m.kiln_version = "0.0.0".into(), "Kiln version");
        refuse(
            |m| m.target = "riscv64gc-unknown-linux-gnu".into(),
            "target",
        );
        refuse(|m| m.flags[0].1 = "bogus".into(), "Cranelift flag");
        refuse(|m| drop(m.flags.pop()), "Cranelift flag");
    }

    #[test]
    fn damaged_files_are_refused() {
        let bytes = artifact(&Config::new());
        let config = Config::new();
        check(b"\0asm\x01\0\0\0", &config, "not an ELF");
        check(b"", &config, "not an ELF");
        for len in [4, 64, bytes.len() / 2, bytes.len() - 1] {
            let engine = Engine::default();
            // SAFETY: refused before any code could run.
            assert!(
                unsafe { Module::deserialize(&engine, &bytes[..len]) }.is_err(),
                "truncated to {len}"
            );
        }
        let mut flipped = bytes.clone();
        flipped[1] ^= 0xff;
        check(&flipped, &config, "not an ELF");
        // A plain ELF file without Kiln's sections.
        let plain = object::write::Object::new(
            object::BinaryFormat::Elf,
            object::Architecture::X86_64,
            object::Endianness::Little,
        )
        .write()
        .unwrap();
        check(&plain, &config, "no `.kiln.engine` section");
    }

    #[test]
    fn other_format_versions_are_refused() {
        let engine = Engine::default();
        let module = Module::new(&engine, WAT).unwrap();
        let inner = module.inner();
        let mut metadata = inner.metadata.clone();
        metadata.format_version = FORMAT_VERSION + 1;
        let bytes = write(&metadata, &inner.info, &inner.code.image()).unwrap();
        check(&bytes, &Config::new(), "format version");
    }
}
