//! `Engine`: the compiler (a Cranelift ISA for the host), the settings it
//! was built with, the engine-wide registry of function types and their
//! trampolines (`type_registry.rs`), the instance allocator every store of the
//! engine draws memory from, and the epoch counter (see
//! `Config::epoch_interruption`). Cheap to clone; shared across threads.

use crate::compile::LinkedCode;
use crate::config::Config;
use crate::trampoline::{self, Trampolines};
use crate::type_registry::TypeRegistry;
use crate::types::FuncType;
use crate::vm::InstanceAllocator;
use anyhow::{Result, anyhow, bail};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable, OptLevel};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    config: Config,
    isa: OwnedTargetIsa,
    types: TypeRegistry,
    allocator: Arc<dyn InstanceAllocator>,
    /// The current epoch. Stores point their `VMStoreContext` at it, and
    /// hold the engine, so it outlives every reader.
    epoch: AtomicU64,
    /// What compiled code calls at an epoch deadline (see
    /// `trampoline::epoch_stub`), when epochs are on.
    epoch_stub: Option<LinkedCode>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(&Config::new()).expect("the default configuration is supported on this host")
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub fn new(config: &Config) -> Result<Engine> {
        if cfg!(not(target_pointer_width = "64"))
            && config.tunables.bounds_checks == crate::BoundsChecks::GuardPages
        {
            bail!("guard-page bounds checks need a 64-bit host");
        }
        let missing = config.features.beyond(&crate::Features::ALL);
        if !missing.is_empty() {
            bail!(
                "this build of Kiln does not implement the wasm feature(s) {}",
                missing.join(", ")
            );
        }
        crate::vm::signals::init();
        let mut flags = settings::builder();
        let opt = match config.opt_level {
            OptLevel::None => "none",
            OptLevel::Speed => "speed",
            OptLevel::SpeedAndSize => "speed_and_size",
        };
        flags.set("opt_level", opt)?;
        // Backtraces walk the frame-pointer chain; Cranelift's tail calls
        // need frame pointers too.
        flags.enable("preserve_frame_pointers")?;
        flags.enable("enable_multi_ret_implicit_sret")?;
        let on_off = |b: bool| if b { "true" } else { "false" };
        let tunables = &config.tunables;
        flags.set(
            "enable_nan_canonicalization",
            on_off(tunables.nan_canonicalization),
        )?;
        // Kiln's translator emits the guards itself; these say so to
        // Cranelift (aarch64 also hardens `br_table` with the table one).
        for flag in [
            "enable_heap_access_spectre_mitigation",
            "enable_table_access_spectre_mitigation",
        ] {
            flags.set(flag, on_off(tunables.spectre_guards))?;
        }
        flags.set(
            "enable_verifier",
            if cfg!(debug_assertions) {
                "true"
            } else {
                "false"
            },
        )?;
        let isa = cranelift_native::builder()
            .map_err(|e| anyhow!("unsupported host: {e}"))?
            .finish(settings::Flags::new(flags))?;
        let epoch_stub = match config.tunables.epoch_interruption {
            true => Some(trampoline::epoch_stub(&*isa)?),
            false => None,
        };
        Ok(Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                isa,
                types: TypeRegistry::default(),
                allocator: crate::allocation::allocator(config)?,
                epoch: AtomicU64::new(0),
                epoch_stub,
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Where this engine's stores get instance memory.
    pub(crate) fn allocator(&self) -> &Arc<dyn InstanceAllocator> {
        &self.inner.allocator
    }

    pub(crate) fn isa(&self) -> &dyn cranelift_codegen::isa::TargetIsa {
        &*self.inner.isa
    }

    /// The engine-wide id of `ty`.
    pub(crate) fn intern(&self, ty: &FuncType) -> u32 {
        self.inner.types.intern(ty)
    }

    /// The type behind an interned id.
    pub(crate) fn lookup_type(&self, id: u32) -> FuncType {
        self.inner.types.ty(id).clone()
    }

    /// Whether interned type `sub` is interned type `sup` or a declared
    /// subtype of it (lock-free).
    pub(crate) fn is_subtype(&self, sub: u32, sup: u32) -> bool {
        self.inner.types.is_subtype(sub, sup)
    }

    /// The trampolines of interned type `id`, compiled on first use.
    pub(crate) fn trampolines(&self, id: u32) -> Result<Arc<Trampolines>> {
        self.inner.types.trampolines(self.isa(), id)
    }

    /// Compile `bytes` (binary or text) into an artifact for this engine,
    /// as `Module::new(..)?.serialize()` does.
    pub fn precompile_module(&self, bytes: &[u8]) -> Result<Vec<u8>> {
        crate::Module::new(self, bytes)?.serialize()
    }

    /// Advance the epoch by one: wasm running in any store of this engine
    /// whose deadline is now reached stops at its next check (with
    /// `Config::epoch_interruption`). Lock-free, from any thread (a
    /// ticker thread, a signal handler).
    pub fn increment_epoch(&self) {
        self.inner.epoch.fetch_add(1, Ordering::Relaxed);
    }

    /// The current epoch (0 when the engine is created).
    pub(crate) fn current_epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::Relaxed)
    }

    /// The counter compiled code reads, valid as long as the engine.
    pub(crate) fn epoch_counter(&self) -> *const AtomicU64 {
        &self.inner.epoch
    }

    /// The stub compiled code calls at an epoch deadline, valid as long
    /// as the engine; null when epochs are off (no code calls it then).
    pub(crate) fn epoch_stub(&self) -> *const u8 {
        match &self.inner.epoch_stub {
            Some(code) => code.func_ptr(0),
            None => std::ptr::null(),
        }
    }

    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }
}
