//! `Module`: a validated, compiled module, immutable and shareable across
//! stores and threads.

use crate::compile::{self, LinkedCode};
use crate::engine::Engine;
use crate::info::{EntityIndex, ModuleInfo};
use crate::registry::CodeInfo;
use crate::translate::{FuncEnv, translate_function};
use crate::types::ExternType;
use crate::vmctx::VMOffsets;
use anyhow::Result;
use rayon::prelude::*;
use std::sync::Arc;

#[derive(Clone)]
pub struct Module {
    inner: Arc<ModuleInner>,
}

pub(crate) struct ModuleInner {
    pub engine: Engine,
    pub info: ModuleInfo,
    pub offsets: VMOffsets,
    /// Engine-wide id of each entry of the type section.
    pub type_ids: Vec<u32>,
    /// Defined functions, in defined-index order.
    pub code: LinkedCode,
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
        let env = FuncEnv {
            info: &info,
            offsets: &offsets,
            tunables: &config.tunables,
            call_conv: engine.isa().default_call_conv(),
        };
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
        let code_info = CodeInfo {
            module_name: info.name.clone(),
            func_names: info.func_names.clone(),
            ..CodeInfo::default()
        };
        let code = compile::link(&funcs, code_info, |i| Some(imported + i as u32))?;
        let type_ids = info.types.iter().map(|t| engine.intern(t)).collect();
        Ok(Module {
            inner: Arc::new(ModuleInner {
                engine: engine.clone(),
                info,
                offsets,
                type_ids,
                code,
            }),
        })
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
        EntityIndex::Table(t) => ExternType::Table(info.tables[t as usize]),
        EntityIndex::Memory(m) => ExternType::Memory(info.memories[m as usize]),
        EntityIndex::Global(g) => ExternType::Global(info.globals[g as usize].ty),
    }
}
