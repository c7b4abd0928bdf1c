//! Generators shared by the targets: engine configurations, wasm-smith
//! modules in the engine's feature set ([`Features::ALL`], mapped to
//! wasm-smith by `kiln_differential::features`), argument values and dummy
//! imports.

use arbitrary::{Result, Unstructured};
use kiln::{
    BoundsChecks, Config, Engine, Extern, ExternType, Features, Func, Global,
    InstanceAllocationStrategy, Memory, Mutability, OptLevel, PoolingAllocationConfig, RefType,
    Store, Table, Val, ValType,
};
use kiln_differential::features::restrict_smith;

/// Linear memories of generated modules stay below this many bytes, so a
/// `memory.fill` or `memory.copy` over all of it stays fast and RSS stays
/// far below libFuzzer's default limit (2 GiB).
pub const MAX_MEMORY_BYTES: u64 = 16 << 20;
/// Upper bound on table sizes of generated modules.
pub const MAX_TABLE_ELEMENTS: u64 = 10_000;
/// Fuel given before each call: enough for real work, few enough that a
/// runaway loop ends in a few milliseconds.
pub const CALL_FUEL: u64 = 20_000;

/// The knobs of an engine configuration a target may vary, so that a
/// reproducer can say which one it ran with. Each is a `Config` setting
/// that must not change what a module computes (NaN canonicalisation
/// changes only NaN bits, which no target compares), so every target can
/// take any of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineKnobs {
    pub bounds_checks: BoundsChecks,
    pub opt_level: OptLevel,
    pub consume_fuel: bool,
    pub max_wasm_stack: usize,
    pub parallel_compilation: bool,
    /// Epoch checks compiled in; stores made by [`EngineKnobs::store`]
    /// get a deadline no run reaches, so the checks run but never fire.
    pub epoch_interruption: bool,
    pub spectre_guards: bool,
    pub nan_canonicalization: bool,
    /// The pooling allocator (with `pool`'s limits) instead of
    /// on-demand allocation.
    pub pooling: bool,
}

/// The pools of [`EngineKnobs::pooling`]: room for everything one input
/// of any target makes (`api_calls`, the most, runs at most 64
/// operations, each instantiating once or making one memory or table), so
/// exhausting a pool, an error the targets do not expect, cannot happen;
/// slots as large as generated modules need ([`MAX_TABLE_ELEMENTS`];
/// memories keep the default 4 GiB, so growth fails where it would
/// without pooling).
fn pool() -> PoolingAllocationConfig {
    let mut pool = PoolingAllocationConfig::new();
    pool.total_core_instances(128)
        .total_memories(72)
        .total_tables(256)
        .max_memories_per_module(4)
        .max_tables_per_module(4)
        .table_elements(2 * MAX_TABLE_ELEMENTS as usize);
    pool
}

impl EngineKnobs {
    /// Fuzzer-chosen knobs. `fuel` forces fuel on (targets that run
    /// generated code need it to bound loops).
    pub fn arbitrary(u: &mut Unstructured<'_>, fuel: bool) -> Result<EngineKnobs> {
        Ok(EngineKnobs {
            bounds_checks: *u.choose(&[BoundsChecks::GuardPages, BoundsChecks::Explicit])?,
            opt_level: *u.choose(&[OptLevel::Speed, OptLevel::None, OptLevel::SpeedAndSize])?,
            consume_fuel: fuel || u.arbitrary()?,
            max_wasm_stack: *u.choose(&[512 << 10, 64 << 10, 1 << 20])?,
            // Parallel compilation spawns rayon workers; keep it rare so
            // most executions stay single-threaded and fast.
            parallel_compilation: u.ratio(1, 16)?,
            epoch_interruption: u.arbitrary()?,
            // On by default: the rarer setting is off.
            spectre_guards: !u.ratio(1, 4)?,
            nan_canonicalization: u.ratio(1, 4)?,
            pooling: u.ratio(1, 4)?,
        })
    }

    pub fn config(&self) -> Config {
        let mut config = Config::new();
        config
            .wasm_features(Features::ALL)
            .bounds_checks(self.bounds_checks)
            .cranelift_opt_level(self.opt_level)
            .consume_fuel(self.consume_fuel)
            .max_wasm_stack(self.max_wasm_stack)
            .parallel_compilation(self.parallel_compilation)
            .epoch_interruption(self.epoch_interruption)
            .cranelift_spectre_guards(self.spectre_guards)
            .cranelift_nan_canonicalization(self.nan_canonicalization);
        if self.pooling {
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool()));
        }
        config
    }

    /// A store of `engine` (made from these knobs) holding `data`, with a
    /// far epoch deadline when epochs are on (a store's deadline starts
    /// at 0, which would interrupt every call at its first check).
    pub fn store<T: 'static>(&self, engine: &Engine, data: T) -> Store<T> {
        let mut store = Store::new(engine, data);
        if self.epoch_interruption {
            store.set_epoch_deadline(1 << 40);
        }
        store
    }
}

/// A wasm-smith configuration in the engine's feature set, with sizes
/// that keep one execution in the millisecond range.
pub fn smith_config(u: &mut Unstructured<'_>) -> Result<wasm_smith::Config> {
    let mut c = wasm_smith::Config {
        max_funcs: 20,
        max_instructions: 200,
        max_types: 20,
        max_imports: 10,
        max_exports: 20,
        max_globals: 10,
        max_tables: 3,
        max_data_segments: 10,
        max_element_segments: 10,
        max_elements: 50,
        max_nesting_depth: 10,
        max_memory32_bytes: MAX_MEMORY_BYTES,
        max_memory64_bytes: MAX_MEMORY_BYTES.into(),
        memory_max_size_required: true,
        max_table_elements: MAX_TABLE_ELEMENTS,
        table_max_size_required: true,
        export_everything: u.ratio(3, 4)?,
        allow_start_export: true,
        canonicalize_nans: false,
        ..wasm_smith::Config::default()
    };
    restrict_smith(&Features::ALL, &mut c);
    Ok(c)
}

/// A valid module in the engine's feature set.
pub fn smith_module(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let config = smith_config(u)?;
    Ok(wasm_smith::Module::new(config, u)?.to_bytes())
}

/// An argument of type `ty`. References are null: a host has no
/// function of the module's store to pass before instantiation, and
/// externrefs get their own target (`table_ops`).
pub fn arbitrary_val(u: &mut Unstructured<'_>, ty: &ValType) -> Result<Val> {
    Ok(match ty {
        ValType::I32 => Val::I32(interesting_u64(u)? as i32),
        ValType::I64 => Val::I64(interesting_u64(u)? as i64),
        ValType::F32 => Val::F32(interesting_u64(u)? as u32),
        ValType::F64 => Val::F64(interesting_u64(u)?),
        ValType::V128 => Val::V128(u.arbitrary()?),
        ValType::Ref(r) => Val::null_ref(r),
    })
}

/// Mostly boundary values (0, ±1, extremes, NaN patterns), else raw bits.
fn interesting_u64(u: &mut Unstructured<'_>) -> Result<u64> {
    const SPECIAL: &[u64] = &[
        0,
        1,
        u64::MAX,
        0x8000_0000,
        0x7fff_ffff,
        0xffff_ffff,
        0x8000_0000_0000_0000,
        0x7fff_ffff_ffff_ffff,
        0x7fc0_0000,
        0x7ff8_0000_0000_0000,
        0xffff,
        0x1_0000,
    ];
    if u.ratio(1, 2)? {
        Ok(*u.choose(SPECIAL)?)
    } else {
        u.arbitrary()
    }
}

/// The zero value of `ty`.
pub fn zero_val(ty: &ValType) -> Val {
    match ty {
        ValType::I32 => Val::I32(0),
        ValType::I64 => Val::I64(0),
        ValType::F32 => Val::F32(0),
        ValType::F64 => Val::F64(0),
        ValType::V128 => Val::V128(0),
        ValType::Ref(r) => Val::null_ref(r),
    }
}

/// A store object (or host function) matching `ty`, for satisfying an
/// import. Host functions return zeros; memories and tables have exactly
/// the import's limits.
///
/// A host function also checks that its `Caller`'s store belongs to its
/// own engine, and aborts the process if not: a host function reached with
/// a store pointer that is not a store (as a copy of its ref once was)
/// fails this, and must crash the fuzzer; a panic would only become the
/// call's error. (Another store of the same engine would pass: a cheap
/// check, not a complete one.)
pub fn dummy_extern<T: 'static>(store: &mut Store<T>, ty: &ExternType) -> anyhow::Result<Extern> {
    Ok(match ty {
        ExternType::Func(ft) => {
            let results: Vec<ValType> = ft.results().to_vec();
            let engine = store.engine().clone();
            Extern::Func(Func::new(&mut *store, ft.clone(), move |caller, _, out| {
                if !Engine::same(caller.engine(), &engine) {
                    eprintln!("a host function was called with a store of another engine");
                    std::process::abort();
                }
                for (slot, t) in out.iter_mut().zip(&results) {
                    *slot = zero_val(t);
                }
                Ok(())
            }))
        }
        ExternType::Global(gt) => Extern::Global(Global::new(
            &mut *store,
            gt.clone(),
            zero_val(gt.content()),
        )?),
        ExternType::Table(tt) => Extern::Table(Table::new(
            &mut *store,
            tt.clone(),
            Val::null_ref(tt.element()),
        )?),
        ExternType::Memory(mt) => Extern::Memory(Memory::new(&mut *store, *mt)?),
        ExternType::Tag(tt) => Extern::Tag(kiln::Tag::new(&mut *store, tt)?),
    })
}

/// Whether `ty` is a mutable global (for targets that set them).
pub fn is_mutable_global(ty: &ExternType) -> bool {
    matches!(ty, ExternType::Global(g) if g.mutability() == Mutability::Var)
}

/// Whether a reference type is `funcref`.
pub fn is_funcref(ty: &RefType) -> bool {
    *ty == RefType::FUNCREF
}
