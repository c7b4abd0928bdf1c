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
//! | `.kiln.module` | `ModuleSection`: the module's `ModuleInfo` (types aside) and the code layout, trap table, source-location map (the wasm offset of each trap site and call) and libcall slots |
//! | `.kiln.types` | `TypesSection`: the type section, as its rec groups (members name each other by position in the group, earlier types by index; every other function type in the metadata is written as an index of this section) |
//! | `.kiln.checksum` | `FORMAT_VERSION` (`u32`, little-endian), then the SHA-256 of the whole file with these 32 bytes read as zeros |
//!
//! Loading refuses a damaged file before it decodes anything: the
//! checksum covers every byte of the file (headers, code, metadata), so a
//! changed byte anywhere is "damaged artifact". Then it checks the engine
//! metadata and names the setting that differs. Behind the checksum, the
//! decoded metadata is still checked like untrusted input (every index,
//! range and count, see `validate`), so a crafted file whose checksum fits
//! is refused too rather than making the loader index out of bounds. What
//! cannot be checked is the code itself: deserialising trusts the machine
//! code, which is why `Module::deserialize` is `unsafe`.

use crate::compile::CodeImage;
use crate::config::Features;
use crate::engine::Engine;
use crate::info::ModuleInfo;
use crate::tunables::Tunables;
use crate::types::{SerialGroup, with_module_types};
use anyhow::{Context, Result, anyhow, bail};
use object::{Object as _, ObjectSection as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::ops::Range;

/// Bumped whenever any section's encoding, the vmctx layout compiled
/// code reads or the convention it calls in changes (3: the checksum; 4:
/// the vmctx header's `objects`; 5: wasm functions in Cranelift's `tail`
/// convention; 64-bit memories and tables, `i64` builtin operands; 6: NaN
/// canonicalisation and Spectre guards in the tunables; 7:
/// `Tunables::epoch_interruption`, the store context's epoch fields, the
/// `new_epoch` builtin, `GROW_ERROR`; 8: typed function references: heap
/// types with concrete function types, element segment types, table
/// initialisers; 9: the wasm offsets of trap sites and calls,
/// `CodeImage::srclocs`; exception handling: tags, `exnref`, the
/// exception handler table of the code, the `exceptions` feature and
/// builtins; 10: rec groups, finality and supertypes in the types section,
/// function types elsewhere as indices of it, the `gc` feature, the
/// `is_subtype` builtin; 11: defined globals inline in the vmctx, and
/// `VMFuncRef`s only for functions whose reference can be taken).
pub const FORMAT_VERSION: u32 = 11;

const ENGINE_SECTION: &str = ".kiln.engine";
const MODULE_SECTION: &str = ".kiln.module";
const TYPES_SECTION: &str = ".kiln.types";
const CHECKSUM_SECTION: &str = ".kiln.checksum";
/// The checksum section: the format version, then the SHA-256.
const CHECKSUM_LEN: usize = 4 + 32;

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
        if self.tunables.epoch_interruption != engine.tunables.epoch_interruption {
            return Err(differ(
                "epoch interruption",
                &self.tunables.epoch_interruption,
                &engine.tunables.epoch_interruption,
            ));
        }
        if self.tunables.nan_canonicalization != engine.tunables.nan_canonicalization {
            return Err(differ(
                "NaN canonicalization",
                &self.tunables.nan_canonicalization,
                &engine.tunables.nan_canonicalization,
            ));
        }
        if self.tunables.spectre_guards != engine.tunables.spectre_guards {
            return Err(differ(
                "Spectre-guard setting",
                &self.tunables.spectre_guards,
                &engine.tunables.spectre_guards,
            ));
        }
        if self.features != engine.features {
            // Name the flags: compiled code relies on every feature it was
            // validated with, and an engine with more would accept modules
            // the artifact's metadata was never checked against.
            let only = |a: &Features, b: &Features| match a.beyond(b).join(", ") {
                names if names.is_empty() => "none".to_string(),
                names => names,
            };
            return Err(anyhow!(
                "incompatible artifact: wasm features differ (only the artifact has: {}; \
                 only the engine has: {})",
                only(&self.features, &engine.features),
                only(&engine.features, &self.features),
            ));
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
    /// The type section, as its rec groups.
    groups: Vec<SerialGroup>,
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
        groups: SerialGroup::of_module(&info.types).map_err(|e| anyhow!("{e}"))?,
    };
    add(ENGINE_SECTION, postcard::to_allocvec(metadata)?);
    // Function types in the module section are written as indices of
    // the type section.
    let module = with_module_types(&info.types, || postcard::to_allocvec(&module))?;
    add(MODULE_SECTION, module);
    add(TYPES_SECTION, postcard::to_allocvec(&types)?);
    let mut checksum = vec![0; CHECKSUM_LEN];
    checksum[..4].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    add(CHECKSUM_SECTION, checksum);
    let mut bytes = obj.write()?;
    // The file is laid out now; its hash goes into the zeros left for it.
    let at = hash_range(&bytes)?;
    let hash = checksum_of(&bytes, at.clone());
    bytes[at].copy_from_slice(&hash);
    Ok(bytes)
}

/// The SHA-256 of `bytes` with the 32 bytes at `hash` read as zeros.
fn checksum_of(bytes: &[u8], hash: Range<usize>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(&bytes[..hash.start]);
    h.update([0u8; 32]);
    h.update(&bytes[hash.end..]);
    h.finalize().into()
}

/// Where in `bytes` (a parsed ELF file) the checksum's hash lies.
fn hash_range(bytes: &[u8]) -> Result<Range<usize>> {
    let file = object::File::parse(bytes)?;
    let section = file
        .section_by_name(CHECKSUM_SECTION)
        .ok_or_else(|| anyhow!("no `{CHECKSUM_SECTION}` section"))?;
    let (offset, size) = section
        .file_range()
        .ok_or_else(|| anyhow!("`{CHECKSUM_SECTION}` has no contents"))?;
    let start = usize::try_from(offset)?;
    match start.checked_add(CHECKSUM_LEN) {
        Some(end) if size == CHECKSUM_LEN as u64 && end <= bytes.len() => Ok(start + 4..end),
        _ => bail!("`{CHECKSUM_SECTION}` is not {CHECKSUM_LEN} bytes inside the file"),
    }
}

/// Does `bytes` look like a Kiln artifact, i.e. an ELF file? Three of the
/// four bytes of the ELF magic number suffice, so an artifact whose first
/// bytes were damaged is still reported as a damaged artifact rather than
/// parsed as a wasm module. (Neither a wasm binary, which starts `\0asm`,
/// nor wasm text, which starts with `(`, whitespace or a comment, comes
/// close.)
pub fn is_artifact(bytes: &[u8]) -> bool {
    bytes.len() >= 4
        && bytes[..4]
            .iter()
            .zip(b"\x7fELF")
            .filter(|(a, b)| a == b)
            .count()
            >= 3
}

/// Read an artifact, refusing it unless it is intact and may run under
/// `engine`.
pub fn read(engine: &EngineMetadata, bytes: &[u8]) -> Result<Artifact> {
    if !is_artifact(bytes) {
        bail!("not a Kiln artifact: not an ELF file");
    }
    let file =
        object::File::parse(bytes).map_err(|e| anyhow!("damaged artifact: bad ELF file ({e})"))?;
    verify_checksum(&file, bytes)?;

    // The file is as Kiln wrote it. Decoding and `validate` still treat
    // the metadata as untrusted: a checksum is no signature.
    let section = |name: &str| -> Result<&[u8]> {
        let s = file
            .section_by_name(name)
            .ok_or_else(|| anyhow!("damaged artifact: no `{name}` section"))?;
        s.data()
            .map_err(|e| anyhow!("damaged artifact: `{name}` section ({e})"))
    };
    let engine_data = section(ENGINE_SECTION)?;
    check_version(engine_data, ENGINE_SECTION)?;
    let metadata: EngineMetadata =
        postcard::from_bytes(engine_data).context("damaged artifact: engine metadata")?;
    metadata.check(engine)?;

    let types_data = section(TYPES_SECTION)?;
    check_version(types_data, TYPES_SECTION)?;
    let types: TypesSection =
        postcard::from_bytes(types_data).context("damaged artifact: types section")?;
    let types = SerialGroup::build(types.groups)
        .map_err(|e| anyhow!("damaged artifact: types section ({e})"))?;
    let module_data = section(MODULE_SECTION)?;
    check_version(module_data, MODULE_SECTION)?;
    let module: ModuleSection = with_module_types(&types, || postcard::from_bytes(module_data))
        .context("damaged artifact: module section")?;
    let text = section(".text")?;
    let info = ModuleInfo {
        types,
        ..module.info
    };
    let code = CodeImage {
        text: text.to_vec(),
        ..module.code
    };
    validate(&info, &code).map_err(|e| anyhow!("damaged artifact: {e}"))?;
    Ok(Artifact {
        metadata,
        info,
        code,
    })
}

/// Refuse `bytes` unless its checksum matches: before anything in it is
/// decoded.
fn verify_checksum(file: &object::File<'_>, bytes: &[u8]) -> Result<()> {
    if file.section_by_name(CHECKSUM_SECTION).is_none() {
        // Another ELF file, an artifact of an older format, or damage.
        match file.section_by_name(ENGINE_SECTION) {
            Some(engine) => {
                if let Ok(data) = engine.data() {
                    check_version(data, ENGINE_SECTION)?;
                }
                bail!("damaged artifact: no `{CHECKSUM_SECTION}` section");
            }
            // The section name is still in the file: its headers are damaged.
            None if contains(bytes, ENGINE_SECTION.as_bytes()) => {
                bail!("damaged artifact: no `{ENGINE_SECTION}` section")
            }
            None => bail!("not a Kiln artifact: no `{ENGINE_SECTION}` section"),
        }
    }
    let at = hash_range(bytes).map_err(|e| anyhow!("damaged artifact: {e}"))?;
    let version = u32::from_le_bytes(bytes[at.start - 4..at.start].try_into()?);
    if checksum_of(bytes, at.clone())[..] != bytes[at] {
        if version != FORMAT_VERSION {
            bail!(
                "damaged artifact, or one of another format: checksum mismatch, format version \
                 {version} (this Kiln reads version {FORMAT_VERSION})"
            );
        }
        bail!("damaged artifact: checksum mismatch (the file changed after Kiln wrote it)");
    }
    Ok(())
}

/// The version is the first field of every section: read it alone first,
/// so a future format gets "wrong version", not a decode error.
fn check_version(data: &[u8], name: &str) -> Result<()> {
    let (v, _): (u32, _) =
        postcard::take_from_bytes(data).with_context(|| format!("damaged artifact: `{name}`"))?;
    if v != FORMAT_VERSION {
        bail!(
            "incompatible artifact: format version {v}, this Kiln reads version {FORMAT_VERSION}"
        );
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Check decoded metadata as untrusted input: the module info holds what
/// the parser guarantees of a valid module (`ModuleInfo::validate`), and
/// the code layout fits `.text` and the module. After this, nothing the
/// loader or the runtime reads from `info` or `code` is out of bounds.
/// (It cannot make foreign machine code safe to run.)
fn validate(info: &ModuleInfo, code: &CodeImage) -> Result<(), String> {
    info.validate()?;
    let len = code.text.len();
    let defined = info.num_defined_funcs() as usize;
    if code.ranges.len() != defined {
        return Err(format!(
            "{} function ranges for {defined} defined functions",
            code.ranges.len()
        ));
    }
    let mut end = 0;
    for r in &code.ranges {
        if r.start < end || r.end < r.start {
            return Err(format!("function range {r:?} out of order"));
        }
        end = r.end;
    }
    if end as usize != len {
        return Err(format!("functions end at {end}, `.text` at {len}"));
    }
    // The function map is the ranges in order, named by function index.
    let expected = code
        .ranges
        .iter()
        .enumerate()
        .map(|(i, r)| (r.clone(), info.num_imported_funcs + i as u32));
    if !code.funcs.iter().cloned().eq(expected) {
        return Err("function map does not match the function ranges".into());
    }
    // Each source location lies in one function's code and names an
    // offset inside that function's body, so `FrameInfo::func_offset`
    // never underflows.
    let mut funcs = code.funcs.iter();
    let mut func = funcs.next();
    let mut last = None;
    for &(offset, wasm) in &code.srclocs {
        while func.is_some_and(|(f, _)| f.end <= offset) {
            func = funcs.next();
        }
        let bad = || format!("bad source location entry ({offset}, {wasm})");
        let (f, index) = func.ok_or_else(bad)?;
        let body = &info.bodies[(index - info.num_imported_funcs) as usize];
        if last.is_some_and(|l| offset <= l)
            || !f.contains(&offset)
            || !body.contains(&(wasm as usize))
        {
            return Err(bad());
        }
        last = Some(offset);
    }
    let mut last = 0;
    for &(offset, trap) in &code.traps {
        if offset < last || offset as usize >= len || trap == 0 {
            return Err(format!("bad trap table entry ({offset}, {trap})"));
        }
        last = offset;
    }
    let mut last = 0;
    for &(ret, handler, _) in &code.handlers {
        if ret < last || ret as usize > len || handler as usize >= len {
            return Err(format!("bad exception handler entry ({ret}, {handler})"));
        }
        last = ret;
    }
    for slot in &code.libcalls {
        if (slot.offset as usize).saturating_add(8) > len {
            return Err(format!("libcall slot at {} outside `.text`", slot.offset));
        }
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

    /// An artifact's exception-handler table is checked like its trap
    /// table: return offsets in order, everything inside `.text`.
    #[test]
    fn damaged_handler_tables_are_refused() {
        let wat = r#"(module (tag $e) (func $f)
            (func (export "g") (block $h (try_table (catch_all $h) (call $f) (call $f)))))"#;
        let (info, code) = compiled(wat);
        assert_eq!(code.handlers.len(), 2, "{:?}", code.handlers);
        let len = code.text.len() as u32;
        type Handlers = Vec<(u32, u32, u32)>;
        let check = |edit: &dyn Fn(&mut Handlers)| {
            let what = "bad exception handler entry";
            refused(&info, &code, |c| edit(&mut c.handlers), what);
        };
        check(&|h| h.swap(0, 1));
        check(&|h| h[1].0 = len + 1);
        check(&|h| h[0].1 = len);
    }

    /// The parts of an artifact of `wat` that `validate` checks.
    fn compiled(wat: &str) -> (ModuleInfo, CodeImage) {
        let engine = Engine::default();
        let bytes = engine.precompile_module(wat.as_bytes()).unwrap();
        let Artifact { info, code, .. } = read(&EngineMetadata::of(&engine), &bytes).unwrap();
        (info, code)
    }

    /// `validate` refuses `code` after `edit`, with an error naming `what`.
    fn refused(info: &ModuleInfo, code: &CodeImage, edit: impl FnOnce(&mut CodeImage), what: &str) {
        let mut damaged = code.clone();
        edit(&mut damaged);
        let err = validate(info, &damaged).unwrap_err();
        assert!(err.contains(what), "{err}");
    }

    /// Each source location must lie in its function's code and name an
    /// offset in that function's body, in order: a backtrace subtracts
    /// one from the other.
    #[test]
    fn damaged_source_location_tables_are_refused() {
        let wat = r#"(module (memory 1)
            (func (export "f") (param i32) (result i32)
                (i32.div_u (i32.load (local.get 0)) (local.get 0))))"#;
        let (info, code) = compiled(wat);
        assert!(code.srclocs.len() >= 2, "{:?}", code.srclocs);
        let body_end = info.bodies[0].end as u32;
        let text_end = code.text.len() as u32;
        type Srclocs = Vec<(u32, u32)>;
        let check = |edit: &dyn Fn(&mut Srclocs)| {
            let what = "bad source location entry";
            refused(&info, &code, |c| edit(&mut c.srclocs), what);
        };
        check(&|s| s.swap(0, 1));
        check(&|s| s[1].0 = s[0].0);
        check(&|s| s[0].0 = text_end);
        check(&|s| s[0].1 = body_end);
        check(&|s| s[1].1 = 0);
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
            Config::new().epoch_interruption(true),
            "epoch interruption",
        );
        // And the other way round: code with checks needs an engine with
        // epochs, whose stores have a deadline and a counter to read.
        let with_epochs = artifact(Config::new().epoch_interruption(true));
        check(&with_epochs, &Config::new(), "epoch interruption");
        check(
            &bytes,
            Config::new().cranelift_nan_canonicalization(true),
            "incompatible artifact: NaN canonicalization differs (artifact: false, engine: true)",
        );
        check(
            &bytes,
            Config::new().cranelift_spectre_guards(false),
            "incompatible artifact: Spectre-guard setting differs (artifact: true, engine: false)",
        );
        let deterministic = artifact(Config::new().cranelift_nan_canonicalization(true));
        check(
            &deterministic,
            &Config::new(),
            "incompatible artifact: NaN canonicalization differs (artifact: true, engine: false)",
        );
        let same = Engine::new(Config::new().cranelift_nan_canonicalization(true)).unwrap();
        // SAFETY: our own artifact, for an engine with the same settings.
        unsafe { Module::deserialize(&same, &deterministic) }.unwrap();
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

    /// An artifact runs only under the features it was compiled with: one
    /// compiled with a feature is refused by an engine without it (whose
    /// code would not expect such modules), and one compiled without by an
    /// engine with it, each naming the feature.
    #[test]
    fn artifacts_record_their_features() {
        let memory64 = Engine::default()
            .precompile_module(b"(module (memory i64 1) (func (drop (i64.load (i64.const 8)))))")
            .unwrap();
        check(
            &memory64,
            Config::new().wasm_memory64(false),
            "wasm features differ (only the artifact has: memory64; only the engine has: none)",
        );
        let without = Engine::new(Config::new().wasm_multi_memory(false).wasm_memory64(false))
            .unwrap()
            .precompile_module(WAT.as_bytes())
            .unwrap();
        check(
            &without,
            &Config::new(),
            "only the artifact has: none; only the engine has: multi-memory, memory64",
        );
        // The same features load, and run.
        let engine = Engine::default();
        // SAFETY: made above by this Kiln.
        let module = unsafe { Module::deserialize(&engine, &memory64) }.unwrap();
        let mut store = crate::Store::new(&engine, ());
        crate::Instance::new(&mut store, &module, &[]).unwrap();
    }

    /// The code and the types are written once each, in `.text` and
    /// `.kiln.types`: the module section holds neither again.
    #[test]
    fn code_and_types_are_written_once() {
        let wat = r#"(module (func (export "f") (param i32) (result i32) (local.get 0)))"#;
        let bytes = Engine::default().precompile_module(wat.as_bytes()).unwrap();
        let file = object::File::parse(&*bytes).unwrap();
        let data = |name| file.section_by_name(name).unwrap().data().unwrap();
        let types: TypesSection = postcard::from_bytes(data(TYPES_SECTION)).unwrap();
        let types = SerialGroup::build(types.groups).unwrap();
        assert_eq!(types.len(), 1);
        let module: ModuleSection =
            with_module_types(&types, || postcard::from_bytes(data(MODULE_SECTION))).unwrap();
        assert_eq!(module.info.types, []);
        assert_eq!(module.code.text, []);
        assert!(!data(".text").is_empty());
    }

    /// `validate`'s bounds include what a layout can produce: functions
    /// that touch, and a libcall slot ending where `.text` ends.
    #[test]
    fn validation_accepts_layouts_up_to_their_bounds() {
        let wat =
            r#"(module (func $a (result i32) (i32.const 1)) (func $b (result i32) (call $a)))"#;
        let (info, code) = compiled(wat);
        let mut touching = code.clone();
        let end = touching.ranges[1].start;
        touching.ranges[0].end = end;
        touching.funcs[0].0.end = end;
        validate(&info, &touching).unwrap();
        let len = code.text.len() as u32;
        let slot = |offset| {
            let mut with_slot = code.clone();
            with_slot.libcalls.push(crate::compile::LibcallSlot {
                offset,
                libcall: "FloorF64".into(),
                addend: 0,
            });
            validate(&info, &with_slot)
        };
        slot(len - 8).unwrap();
        let err = slot(len - 7).unwrap_err();
        assert!(err.contains("outside `.text`"), "{err}");
    }

    /// The ELF header names the target the code is for (as `objdump`
    /// reads it), in its byte order; a target ELF has no machine for is
    /// refused.
    #[test]
    fn the_elf_header_names_the_target() {
        use object::{Architecture as A, Object};
        let engine = Engine::default();
        let bytes = engine.precompile_module(b"(module (func))").unwrap();
        let ours = EngineMetadata::of(&engine);
        let Artifact { info, code, .. } = read(&ours, &bytes).unwrap();
        let check = |target: &str, expected: Option<(A, bool)>| {
            let metadata = EngineMetadata {
                target: target.into(),
                ..ours.clone()
            };
            match write(&metadata, &info, &code) {
                Ok(bytes) => {
                    let file = object::File::parse(&*bytes).unwrap();
                    let got = (file.architecture(), file.is_little_endian());
                    assert_eq!(Some(got), expected, "{target}");
                }
                Err(err) => {
                    assert_eq!(None, expected, "{target}: {err}");
                    assert!(err.to_string().contains("cannot write artifacts for"));
                }
            }
        };
        check("x86_64-unknown-linux-gnu", Some((A::X86_64, true)));
        check("aarch64-apple-darwin", Some((A::Aarch64, true)));
        check("riscv64gc-unknown-linux-gnu", Some((A::Riscv64, true)));
        check("riscv64-linux", Some((A::Riscv64, true)));
        check("s390x-unknown-linux-gnu", Some((A::S390x, false)));
        check("wasm32-wasip1", None);
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
            let loaded = unsafe { Module::deserialize(&engine, &bytes[..len]) };
            assert!(loaded.is_err(), "truncated to {len}");
        }
        for (at, name) in [
            (1, "magic"),
            (4, "ELF class"),
            (0x28, "section table offset"),
        ] {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0xff;
            let engine = Engine::default();
            // SAFETY: refused before any code could run.
            let err = unsafe { Module::deserialize(&engine, &flipped) }.unwrap_err();
            assert!(
                format!("{err:#}").starts_with("damaged artifact"),
                "{name}: {err:#}"
            );
        }
        // One byte of `.text`: only the checksum can tell.
        let text = object::File::parse(&*bytes)
            .unwrap()
            .section_by_name(".text")
            .unwrap()
            .file_range()
            .unwrap()
            .0 as usize;
        let mut flipped = bytes.clone();
        flipped[text] ^= 1;
        check(&flipped, &config, "damaged artifact: checksum mismatch");
        // A plain ELF file without Kiln's sections.
        let plain = object::write::Object::new(
            object::BinaryFormat::Elf,
            object::Architecture::X86_64,
            object::Endianness::Little,
        )
        .write()
        .unwrap();
        check(
            &plain,
            &config,
            "not a Kiln artifact: no `.kiln.engine` section",
        );
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
        // An artifact of format 2, which had no checksum section.
        let mut old = object::write::Object::new(
            object::BinaryFormat::Elf,
            object::Architecture::X86_64,
            object::Endianness::Little,
        );
        let id = old.add_section(
            Vec::new(),
            ENGINE_SECTION.as_bytes().to_vec(),
            object::SectionKind::Metadata,
        );
        old.set_section_data(id, postcard::to_allocvec(&2u32).unwrap(), 8);
        check(
            &old.write().unwrap(),
            &Config::new(),
            &format!(
                "incompatible artifact: format version 2, this Kiln reads version {FORMAT_VERSION}"
            ),
        );
    }

    /// A module with a bit of every kind of metadata (indices noted).
    const RICH: &str = r#"(module
        (import "host" "log" (func $log (param i32)))             ;; func 0
        (import "host" "base" (global $base i32))                 ;; global 0
        (type $binop (func (param i32 i32) (result i32)))
        (memory (export "memory") 1 2)
        (table $t (export "table") 4 funcref)
        (global $counter (export "counter") (mut i32) (global.get $base)) ;; global 1
        (global $fref funcref (ref.func $add))                    ;; global 2
        (func $add (export "add") (type $binop) local.get 0 local.get 1 i32.add) ;; func 1
        (func $mul (type $binop) local.get 0 local.get 1 i32.mul) ;; func 2
        (func $init (global.set $counter (i32.const 1)))          ;; func 3
        (func (export "run") (param i32) (result i32)             ;; func 4
          (call $log (local.get 0))
          (table.init $t 1 (i32.const 2) (i32.const 0) (i32.const 1))
          (call_indirect (type $binop) (local.get 0) (i32.const 3) (i32.const 1)))
        (elem (i32.const 0) $add $mul)                            ;; active
        (elem funcref (ref.func $add))                            ;; passive
        (elem declare func $init)
        (data (i32.const 0) "\01\02\03")                           ;; active
        (data "passive")
        (start $init))"#;

    /// `RICH` as an artifact whose module info and code layout `craft`
    /// changed, written with a checksum that fits, is refused as damaged,
    /// with a message containing `expected`.
    fn check_crafted(craft: fn(&mut ModuleInfo, &mut CodeImage), expected: &str) {
        let engine = Engine::default();
        let module = Module::new(&engine, RICH).unwrap();
        let inner = module.inner();
        let (mut info, mut code) = (inner.info.clone(), inner.code.image());
        craft(&mut info, &mut code);
        let bytes = write(&inner.metadata, &info, &code).unwrap();
        check(&bytes, &Config::new(), "damaged artifact: ");
        check(&bytes, &Config::new(), expected);
    }

    #[test]
    fn crafted_metadata_with_a_valid_checksum_is_refused() {
        use crate::info::{ConstExpr as C, ConstOp as O, DataMode, ElemMode, EntityIndex as E};
        // The uncrafted artifact loads: every case below is refused for
        // its one change.
        check_crafted_loads();
        // Types and functions.
        check_crafted(|i, _| i.funcs[1] = 99, "function of type 99");
        check_crafted(
            |i, _| i.types[0] = crate::FuncType::new(vec![crate::ValType::I32; 1001], []),
            "too large",
        );
        check_crafted(|i, _| i.num_imported_funcs = 9, "9 imported functions of 5");
        check_crafted(|i, _| i.bodies.truncate(3), "3 function bodies for 4");
        check_crafted(|i, _| i.bodies[0] = 5..1 << 20, "outside the module");
        // Imports.
        check_crafted(
            |i, _| i.imports[0].index = E::Func(3),
            "Func(3) does not match",
        );
        check_crafted(|i, _| drop(i.imports.pop()), "do not match");
        check_crafted(
            |i, _| i.num_imported_globals = 0,
            "Global(0) does not match",
        );
        // Exports and the start function.
        check_crafted(
            |i, _| i.exports[0].index = E::Memory(1),
            "Memory(1) out of range",
        );
        check_crafted(
            |i, _| i.exports[3].index = E::Func(5),
            "Func(5) out of range",
        );
        check_crafted(
            |i, _| i.exports[1].name = "memory".into(),
            "duplicate export",
        );
        check_crafted(|i, _| i.start = Some(7), "Func(7) out of range");
        check_crafted(|i, _| i.start = Some(1), "start function of type");
        // Memories, tables, globals.
        check_crafted(|i, _| i.memories[0].minimum = 3, "memory limits");
        check_crafted(
            |i, _| i.memories[0].maximum = Some(1 << 17),
            "memory limits",
        );
        check_crafted(
            |i, _| i.memories.resize(101, i.memories[0]),
            "101 memories (at most 100)",
        );
        check_crafted(|i, _| i.tables[0].maximum = Some(1), "table limits");
        check_crafted(|i, _| i.memories[0].page_size_log2 = 3, "memory limits");
        check_crafted(|i, _| i.memories[0].page_size_log2 = 200, "memory limits");
        check_crafted(|i, _| i.tables[0].minimum = 1 << 33, "table limits");
        // Table initialisers: one per defined table at most, of its type;
        // a non-nullable table must have one.
        check_crafted(
            |i, _| i.table_inits = vec![None, None],
            "2 table initialisers for 1 defined tables",
        );
        check_crafted(
            |i, _| i.table_inits = vec![Some(C::I32(0))],
            "of type i32 where funcref",
        );
        check_crafted(
            |i, _| i.tables[0].element = crate::RefType::new(false, crate::HeapType::Func),
            "without an initialiser",
        );
        // An element segment's type must fit its table's.
        check_crafted(
            |i, _| i.elems[0].ty = crate::RefType::EXTERNREF,
            "element segment 0 of type externref",
        );
        // A 64-bit memory or table takes `i64` segment offsets.
        check_crafted(|i, _| i.memories[0].memory64 = true, "where i64 is needed");
        check_crafted(|i, _| i.tables[0].table64 = true, "where i64 is needed");
        check_crafted(
            |i, _| i.globals[1].init = Some(C::GlobalGet(1)),
            "global.get 1",
        );
        check_crafted(
            |i, _| i.globals[1].init = Some(C::GlobalGet(9)),
            "global.get 9",
        );
        // An immutable global of the right type, but itself: not yet set.
        check_crafted(
            |i, _| i.globals[2].init = Some(C::GlobalGet(2)),
            "global.get 2",
        );
        check_crafted(
            |i, _| i.globals[1].init = Some(C::I64(1)),
            "of type i64 where i32",
        );
        check_crafted(|i, _| i.globals[2].init = Some(C::RefFunc(5)), "Func(5)");
        check_crafted(|i, _| i.globals[2].init = Some(C::I32(0)), "where funcref");
        check_crafted(|i, _| i.globals[1].init = None, "global 1: initialiser");
        check_crafted(
            |i, _| i.globals[0].init = Some(C::I32(0)),
            "global 0: initialiser",
        );
        // Extended constant expressions must type-check as a stack.
        fn ext(ops: &[O]) -> Option<C> {
            Some(C::Extended(ops.to_vec()))
        }
        check_crafted(
            |i, _| i.globals[1].init = ext(&[O::I32Add]),
            "I32Add without two i32",
        );
        check_crafted(
            |i, _| i.globals[1].init = ext(&[O::GlobalGet(0), O::I64Const(1), O::I32Add]),
            "I32Add without two i32",
        );
        check_crafted(
            |i, _| i.globals[1].init = ext(&[O::GlobalGet(0), O::I32Const(1)]),
            "leaves [I32, I32]",
        );
        check_crafted(
            |i, _| i.globals[1].init = ext(&[O::GlobalGet(1), O::I32Const(1), O::I32Add]),
            "global.get 1",
        );
        check_crafted(
            |i, _| i.globals[1].init = ext(&[O::I64Const(1), O::I64Const(2), O::I64Mul]),
            "of type i64 where i32",
        );
        check_crafted(|i, _| i.globals[1].init = ext(&[]), "leaves []");
        // Element and data segments.
        check_crafted(
            |i, _| {
                i.elems[0].mode = ElemMode::Active {
                    table: 1,
                    offset: C::I32(0),
                }
            },
            "table 1",
        );
        check_crafted(
            |i, _| {
                i.elems[0].mode = ElemMode::Active {
                    table: 0,
                    offset: C::I64(0),
                }
            },
            "where i32",
        );
        check_crafted(|i, _| i.elems[0].items[1] = C::RefFunc(5), "Func(5)");
        check_crafted(
            |i, _| i.elems[0].items[0] = C::RefNull(crate::RefType::EXTERNREF),
            "where (ref func)",
        );
        check_crafted(|i, _| i.elems[1].items.push(C::I32(0)), "where funcref");
        check_crafted(|i, _| i.elems[2].items[0] = C::I32(0), "of type i32");
        check_crafted(
            |i, _| {
                i.datas[0].mode = DataMode::Active {
                    memory: 1,
                    offset: C::I32(0),
                }
            },
            "memory 1",
        );
        check_crafted(
            |i, _| {
                i.datas[0].mode = DataMode::Active {
                    memory: 0,
                    offset: C::F32(0),
                }
            },
            "where i32",
        );
        check_crafted(|i, _| i.datas[1].range.end = 1 << 20, "outside the module");
        check_crafted(
            |i, _| i.datas[1].range.start = 1 << 20,
            "outside the module",
        );
        // The code layout.
        check_crafted(|_, c| c.ranges.truncate(3), "3 function ranges");
        check_crafted(|_, c| c.ranges[0].end = 1 << 20, "out of order");
        check_crafted(|_, c| c.ranges[3].end -= 1, "functions end at");
        check_crafted(|_, c| c.ranges.swap(0, 1), "out of order");
        check_crafted(|_, c| c.funcs[0].1 = 9, "function map");
        check_crafted(|_, c| c.funcs.truncate(3), "function map");
        check_crafted(|_, c| c.traps.push((1 << 20, 1)), "bad trap table entry");
        check_crafted(|_, c| c.traps[0].1 = 0, "bad trap table entry");
        check_crafted(|_, c| c.traps.reverse(), "bad trap table entry");
        check_crafted(
            |_, c| {
                c.libcalls.push(crate::compile::LibcallSlot {
                    offset: c.text.len() as u32 - 4,
                    libcall: "CeilF32".into(),
                    addend: 0,
                })
            },
            "libcall slot",
        );
    }

    fn check_crafted_loads() {
        let engine = Engine::default();
        let bytes = Engine::default()
            .precompile_module(RICH.as_bytes())
            .unwrap();
        // SAFETY: our own artifact.
        unsafe { Module::deserialize(&engine, &bytes) }.unwrap();
    }
}
