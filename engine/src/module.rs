//! `Module`: a validated, compiled module, immutable and shareable across
//! stores and threads.

use crate::artifact::{self, EngineMetadata};
use crate::compile::{self, CodeImage, LinkedCode};
use crate::engine::Engine;
use crate::info::{ConstExpr, ElemMode, EntityIndex, ModuleInfo};
use crate::translate::{FuncEnv, translate_function};
use crate::tunables::BoundsChecks;
use crate::types::ExternType;
use crate::vm::ModuleRuntime;
use crate::vm::memory_image::MemoryImage;
use crate::vm::registry::CodeInfo;
use crate::vm::vmctx::{FuncRefTemplate, VMGlobal, VMOffsets};
use anyhow::Result;
use rayon::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Clone)]
pub struct Module {
    inner: Arc<ModuleInner>,
}

/// The next `ModuleInner::id`.
static NEXT_MODULE_ID: AtomicU64 = AtomicU64::new(1);

pub(crate) struct ModuleInner {
    /// Unique in the process, never reused (see `ModuleRuntime::id`).
    pub id: u64,
    pub engine: Engine,
    pub info: ModuleInfo,
    pub offsets: VMOffsets,
    /// Engine-wide id of each entry of the type section.
    pub type_ids: Vec<u32>,
    /// Defined functions, in defined-index order.
    pub code: LinkedCode,
    /// The entry point, type id and vmctx offset of each defined function
    /// whose reference can be taken, for its `VMFuncRef` in each instance.
    pub func_refs: Box<[FuncRefTemplate]>,
    /// Defined globals' initial values where their initialisers are
    /// constants (zero where they need the instance), and which ones need
    /// it, by defined index (see `ModuleRuntime::global_image`).
    pub global_image: Box<[VMGlobal]>,
    pub instance_globals: Box<[u32]>,
    /// By element segment: for an active one of `ref.func` items only,
    /// the vmctx offset of each item's `VMFuncRef`.
    pub elem_func_refs: Box<[Option<Box<[u32]>>]>,
    /// The engine the code was compiled for (an artifact keeps its own, so
    /// re-serialising reproduces it byte for byte).
    pub metadata: EngineMetadata,
    /// Memory 0's initial contents as a copy-on-write image, mapped at
    /// instantiation instead of copying the data segments (guard-page
    /// memories only: explicit-mode memories move when they grow).
    pub memory_image: Option<MemoryImage>,
}

impl ModuleRuntime for ModuleInner {
    fn id(&self) -> u64 {
        self.id
    }
    fn info(&self) -> &ModuleInfo {
        &self.info
    }
    fn offsets(&self) -> &VMOffsets {
        &self.offsets
    }
    fn type_ids(&self) -> &[u32] {
        &self.type_ids
    }
    fn defined_func_refs(&self) -> &[FuncRefTemplate] {
        &self.func_refs
    }
    fn global_image(&self) -> &[VMGlobal] {
        &self.global_image
    }
    fn instance_globals(&self) -> &[u32] {
        &self.instance_globals
    }
    fn elem_func_refs(&self, elem: usize) -> Option<&[u32]> {
        self.elem_func_refs[elem].as_deref()
    }
    fn is_subtype(&self, sub: u32, sup: u32) -> bool {
        self.engine.is_subtype(sub, sup)
    }
    fn memory_image(&self) -> Option<&MemoryImage> {
        self.memory_image.as_ref()
    }
}

/// An import a module declares.
#[derive(Clone, Debug)]
pub struct ImportType {
    pub module: String,
    pub name: String,
    pub ty: ExternType,
}

impl ImportType {
    pub fn module(&self) -> &str {
        &self.module
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn ty(&self) -> ExternType {
        self.ty.clone()
    }
}

/// An export a module declares.
#[derive(Clone, Debug)]
pub struct ExportType {
    pub name: String,
    pub ty: ExternType,
}

impl ExportType {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn ty(&self) -> ExternType {
        self.ty.clone()
    }
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

/// The binary form of `bytes` (binary or text). Text errors are folded
/// into one line (`message at file:line:col`): the snippet wat prints is
/// for terminals, not for error chains.
fn to_binary(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>> {
    wat::parse_bytes(bytes).map_err(|e| {
        let text = e.to_string();
        let mut lines = text.lines();
        let message = lines.next().unwrap_or("invalid text");
        match lines.find_map(|l| l.trim().strip_prefix("--> ")) {
            Some(at) => anyhow::anyhow!("failed to parse WebAssembly text: {message} at {at}"),
            None => anyhow::anyhow!("failed to parse WebAssembly text: {message}"),
        }
    })
}

impl Module {
    /// Compile a module from its binary or text format.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        Module::from_binary(engine, &to_binary(bytes.as_ref())?)
    }

    /// Compile a module from its binary format.
    pub fn from_binary(engine: &Engine, wasm: &[u8]) -> Result<Module> {
        let config = engine.config();
        let parallel = config.parallel_compilation;
        let info = crate::parse::parse(wasm, &config.features, parallel)?;
        let offsets = VMOffsets::new(&info);
        let env = FuncEnv::new(
            &info,
            &offsets,
            &config.tunables,
            engine.isa().default_call_conv(),
        )?;
        let imported = info.num_imported_funcs;
        let compile_one = |defined: u32| {
            let func = translate_function(&env, defined)?;
            compile::compile_function(engine.isa(), func, |index| index.checked_sub(imported))
        };
        let n = info.num_defined_funcs();
        let funcs = if parallel {
            (0..n)
                .into_par_iter()
                .map(compile_one)
                .collect::<Result<Vec<_>>>()?
        } else {
            (0..n).map(compile_one).collect::<Result<Vec<_>>>()?
        };
        let image = compile::layout(&funcs, |i| Some(imported + i as u32))?;
        Module::assemble(engine, info, offsets, &image, EngineMetadata::of(engine))
    }

    /// Publish `image` and wrap everything up (`offsets` is `info`'s
    /// layout, which compiling already needed).
    fn assemble(
        engine: &Engine,
        info: ModuleInfo,
        offsets: VMOffsets,
        image: &CodeImage,
        metadata: EngineMetadata,
    ) -> Result<Module> {
        let code_info = CodeInfo {
            module_name: info.name.clone(),
            func_names: info.func_names.clone(),
            body_starts: info.bodies.iter().map(|r| r.start as u32).collect(),
            num_imported_funcs: info.num_imported_funcs,
            ..CodeInfo::default()
        };
        let code = compile::publish(image, code_info)?;
        let type_ids: Vec<u32> = info.types.iter().map(|t| engine.intern(t)).collect();
        let imported = info.num_imported_funcs;
        let func_refs = (imported..info.funcs.len() as u32)
            .filter(|&f| offsets.has_func_ref(f))
            .map(|f| FuncRefTemplate {
                code: code.func_ptr((f - imported) as usize) as usize,
                type_id: type_ids[info.funcs[f as usize] as usize],
                offset: offsets.func_ref(f),
            })
            .collect();
        let elem_func_refs = info
            .elems
            .iter()
            .map(|seg| {
                let ElemMode::Active { .. } = seg.mode else {
                    return None;
                };
                seg.items
                    .iter()
                    .map(|item| match *item {
                        ConstExpr::RefFunc(f) => Some(offsets.func_ref(f)),
                        _ => None,
                    })
                    .collect()
            })
            .collect();
        let defined_globals = &info.globals[info.num_imported_globals as usize..];
        let mut global_image = Vec::with_capacity(defined_globals.len());
        let mut instance_globals = Vec::new();
        for (i, g) in defined_globals.iter().enumerate() {
            let init = g.init.as_ref().expect("defined globals have initialisers");
            let bits = init.constant_bits().unwrap_or_else(|| {
                instance_globals.push(i as u32);
                0
            });
            global_image.push(VMGlobal { bits });
        }
        let memory_image = match engine.config().tunables.bounds_checks {
            BoundsChecks::GuardPages => MemoryImage::for_module(&info),
            BoundsChecks::Explicit => None,
        };
        Ok(Module {
            inner: Arc::new(ModuleInner {
                id: NEXT_MODULE_ID.fetch_add(1, Ordering::Relaxed),
                engine: engine.clone(),
                memory_image,
                offsets,
                info,
                type_ids,
                code,
                func_refs,
                global_image: global_image.into(),
                instance_globals: instance_globals.into(),
                elem_func_refs,
                metadata,
            }),
        })
    }

    /// This module as a precompiled artifact: an ELF object of native code
    /// with a checksum, which `Module::deserialize` loads without compiling
    /// (and whose safety contract says who may be trusted with it).
    pub fn serialize(&self) -> Result<Vec<u8>> {
        let inner = &self.inner;
        artifact::write(&inner.metadata, &inner.info, &inner.code.image())
    }

    /// Load an artifact made by `Module::serialize` or
    /// `Engine::precompile_module`, without compiling.
    ///
    /// An artifact is refused, with an error, if it is not a Kiln artifact
    /// ("not a Kiln artifact"); if any byte of it changed since Kiln wrote
    /// it, or its metadata is inconsistent ("damaged artifact": it carries
    /// a SHA-256 checksum over the whole file, checked before anything is
    /// decoded, and the metadata is then checked index by index); or if
    /// it was compiled for another Kiln version, target, Cranelift flags,
    /// wasm features or memory/fuel settings, or is of another format
    /// version ("incompatible artifact", naming the difference).
    ///
    /// # Safety
    ///
    /// An artifact is native code. Its machine code is run as it is,
    /// outside the wasm sandbox, with the rights of this process: nothing
    /// can check that it is what Kiln would have compiled from the module.
    /// The checksum catches accidental damage, not forgery: anyone who can
    /// write the file can make it run anything.
    ///
    /// The caller must ensure that `bytes` is an artifact produced by
    /// `Module::serialize` or `Engine::precompile_module` (of this or
    /// another Kiln; incompatible ones are refused) and not changed by
    /// anyone it does not trust as much as its own binary. Never call this
    /// on bytes from an untrusted source — for those, use `Module::new`,
    /// which validates and compiles them. `Module::is_artifact` tells the
    /// two kinds of input apart, but says nothing about trust.
    pub unsafe fn deserialize(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let artifact = artifact::read(&EngineMetadata::of(engine), bytes.as_ref())?;
        let offsets = VMOffsets::new(&artifact.info);
        Module::assemble(
            engine,
            artifact.info,
            offsets,
            &artifact.code,
            artifact.metadata,
        )
    }

    /// `Module::deserialize` of a file's contents.
    ///
    /// # Safety
    ///
    /// As for `Module::deserialize`: the file must be an artifact you
    /// produced yourself (or trust as much as your own binary), since its
    /// machine code runs as native code.
    pub unsafe fn deserialize_file(
        engine: &Engine,
        path: impl AsRef<std::path::Path>,
    ) -> Result<Module> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", path.display()))?;
        // SAFETY: the caller vouches for the file.
        unsafe { Module::deserialize(engine, bytes) }
    }

    /// Whether `bytes` look like a Kiln artifact (an ELF file) rather than
    /// a wasm module, binary or text. Damaged artifacts count too (three of
    /// the four magic bytes suffice), so they are refused as damaged
    /// artifacts rather than parsed as wasm.
    ///
    /// This tells the kinds of input apart; it does not make an artifact
    /// safe to load (see `Module::deserialize`). A program that runs
    /// modules from others should refuse artifacts unless its user asked
    /// for them, as `kiln run` does without `--allow-precompiled`.
    pub fn is_artifact(bytes: &[u8]) -> bool {
        artifact::is_artifact(bytes)
    }

    /// Check that `bytes` (binary or text) is a valid module under
    /// `engine`'s configuration, without compiling it.
    pub fn validate(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<()> {
        let wasm = to_binary(bytes.as_ref())?;
        let config = engine.config();
        crate::parse::parse(&wasm, &config.features, config.parallel_compilation).map(drop)
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The module's name from its name section.
    pub fn name(&self) -> Option<&str> {
        self.inner.info.name.as_deref()
    }

    pub fn imports(&self) -> impl ExactSizeIterator<Item = ImportType> + '_ {
        let info = &self.inner.info;
        info.imports.iter().map(|i| ImportType {
            module: i.module.clone(),
            name: i.name.clone(),
            ty: entity_type(info, i.index),
        })
    }

    pub fn exports(&self) -> impl ExactSizeIterator<Item = ExportType> + '_ {
        let info = &self.inner.info;
        info.exports.iter().map(|e| ExportType {
            name: e.name.clone(),
            ty: entity_type(info, e.index),
        })
    }

    pub(crate) fn inner(&self) -> &Arc<ModuleInner> {
        &self.inner
    }
}

pub(crate) fn entity_type(info: &ModuleInfo, index: EntityIndex) -> ExternType {
    match index {
        EntityIndex::Func(f) => ExternType::Func(info.func_type(f).clone()),
        EntityIndex::Table(t) => ExternType::Table(info.tables[t as usize].clone()),
        EntityIndex::Memory(m) => ExternType::Memory(info.memories[m as usize]),
        EntityIndex::Global(g) => ExternType::Global(info.globals[g as usize].ty.clone()),
        EntityIndex::Tag(t) => {
            ExternType::Tag(crate::types::TagType::new(info.tag_type(t).clone()))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Engine, Module};

    /// Which element segments of `elems` (in a module with a table and
    /// two functions) get their items' vmctx offsets at compile time, so
    /// instantiation writes them without evaluating each item: the active
    /// ones made only of `ref.func`.
    fn check(elems: &str, expected: &[bool]) {
        let wat = format!("(module (table 8 funcref) (func $f) (func $g) {elems})");
        let module = Module::new(&Engine::default(), &wat).unwrap();
        let precomputed: Vec<bool> = module
            .inner()
            .elem_func_refs
            .iter()
            .map(Option::is_some)
            .collect();
        assert_eq!(precomputed, expected, "{elems}");
    }

    #[test]
    fn ref_func_segments_are_laid_out_at_compile_time() {
        check("(elem (i32.const 0) $f $g)", &[true]);
        check(
            "(elem (i32.const 0) funcref (ref.func $g) (ref.null func))",
            &[false],
        );
        check(
            "(elem funcref (ref.func $f)) (elem declare func $g)",
            &[false, false],
        );
        check(
            "(elem (i32.const 1) $g) (elem (i32.const 2) funcref (ref.null func))",
            &[true, false],
        );
    }
}
