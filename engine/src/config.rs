//! `Config`: the settings an `Engine` is created with (the subset that
//! decides what code the translator emits is `tunables.rs`).

use crate::allocation::InstanceAllocationStrategy;
pub use crate::tunables::BoundsChecks;
use crate::tunables::Tunables;
use cranelift_codegen::settings::OptLevel;

/// Wasm proposals, one flag each: the single source of the feature set.
///
/// The engine validates against it ([`Features::wasmparser`]), compiled
/// artifacts record it, and the test harness generates and judges modules
/// with it (`kiln-differential`'s `features` module maps it to
/// wasm-smith). When Kiln gains a proposal, its flag goes on in
/// [`Features::ALL`], and every consumer follows. A flag Kiln does not
/// implement yet exists so the harness and the CLI can name it; an engine
/// asked for it refuses to be created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Features {
    pub mutable_global: bool,
    pub sign_extension: bool,
    pub saturating_float_to_int: bool,
    pub multi_value: bool,
    pub bulk_memory: bool,
    pub reference_types: bool,
    /// Fixed-width SIMD (`v128`).
    pub simd: bool,
    /// Any number of memories (Wasm 3.0).
    pub multi_memory: bool,
    /// 64-bit memories and tables (Wasm 3.0).
    pub memory64: bool,
    /// `return_call` and `return_call_indirect` (Wasm 3.0).
    pub tail_call: bool,
    /// `i32`/`i64` `add`, `sub`, `mul` in constant expressions (Wasm 3.0).
    pub extended_const: bool,
    /// Memory page sizes of 1 byte or 64 KiB (proposal).
    pub custom_page_sizes: bool,
    /// `i64.add128`, `i64.sub128`, `i64.mul_wide_s/u` (proposal).
    pub wide_arithmetic: bool,
    /// Typed function references (Wasm 3.0): `(ref $t)`, `(ref null
    /// func)`, non-nullable locals and tables, `call_ref`,
    /// `return_call_ref`, `ref.as_non_null`, `br_on_null`,
    /// `br_on_non_null`, table initialiser expressions.
    pub function_references: bool,
    /// Exception handling (Wasm 3.0): tags, `throw`, `throw_ref`,
    /// `try_table` and `exnref`.
    pub exceptions: bool,
    /// The GC proposal (Wasm 3.0), of which Kiln implements the type
    /// system of function types: rec groups, declared supertypes and
    /// finality (iso-recursive type equality, subtyping in `call_indirect`,
    /// `call_ref` and import matching), and `global.get` of any earlier
    /// immutable global in constant expressions. With it on, wasmparser
    /// validates all of GC; a module using more (struct and array types,
    /// the heap types `any`, `eq`, `i31`, `struct`, `array`, `none`,
    /// `nofunc`, `noextern`, GC operators) is refused by `Module::new`
    /// with an error naming what it uses. wasmtime's `Config::wasm_gc`.
    pub gc: bool,
}

/// One flag of [`Features`], as [`Features::NAMES`] lists it.
pub type FeatureFlag = fn(&mut Features) -> &mut bool;

impl Features {
    /// Exactly Wasm 2.0: what its spec suite is run with.
    pub const WASM2: Features = Features {
        mutable_global: true,
        sign_extension: true,
        saturating_float_to_int: true,
        multi_value: true,
        bulk_memory: true,
        reference_types: true,
        simd: true,
        multi_memory: false,
        memory64: false,
        tail_call: false,
        extended_const: false,
        custom_page_sizes: false,
        wide_arithmetic: false,
        function_references: false,
        exceptions: false,
        gc: false,
    };

    /// Everything Kiln implements: all of Wasm 2.0 (fixed-width SIMD
    /// included); of Wasm 3.0 tail calls, multi-memory, memory64 (64-bit
    /// memories and tables), extended constant expressions, typed
    /// function references, exception handling and of GC the type system
    /// of function types ([`Features::gc`]); the custom-page-sizes and
    /// wide-arithmetic proposals. The default.
    pub const ALL: Features = Features {
        tail_call: true,
        function_references: true,
        exceptions: true,
        gc: true,
        multi_memory: true,
        memory64: true,
        extended_const: true,
        custom_page_sizes: true,
        wide_arithmetic: true,
        ..Features::WASM2
    };

    /// Wasm 3.0 as far as Kiln implements it: [`Features::ALL`] without
    /// the proposals that are not part of 3.0.
    pub const WASM3: Features = Features {
        custom_page_sizes: false,
        wide_arithmetic: false,
        ..Features::ALL
    };

    /// Each flag by its proposal's name (as the spec repository and
    /// wasmtime's `-W` options spell it), with its field.
    pub const NAMES: [(&'static str, FeatureFlag); 16] = [
        ("mutable-global", |f| &mut f.mutable_global),
        ("sign-extension", |f| &mut f.sign_extension),
        ("saturating-float-to-int", |f| {
            &mut f.saturating_float_to_int
        }),
        ("multi-value", |f| &mut f.multi_value),
        ("bulk-memory", |f| &mut f.bulk_memory),
        ("reference-types", |f| &mut f.reference_types),
        ("simd", |f| &mut f.simd),
        ("multi-memory", |f| &mut f.multi_memory),
        ("memory64", |f| &mut f.memory64),
        ("tail-call", |f| &mut f.tail_call),
        ("extended-const", |f| &mut f.extended_const),
        ("custom-page-sizes", |f| &mut f.custom_page_sizes),
        ("wide-arithmetic", |f| &mut f.wide_arithmetic),
        ("function-references", |f| &mut f.function_references),
        ("exceptions", |f| &mut f.exceptions),
        ("gc", |f| &mut f.gc),
    ];

    /// A named level: `"2.0"` ([`Features::WASM2`]), `"3.0"`
    /// ([`Features::WASM3`]) or `"all"` ([`Features::ALL`]).
    pub fn level(name: &str) -> Option<Features> {
        match name {
            "2.0" => Some(Features::WASM2),
            "3.0" => Some(Features::WASM3),
            "all" => Some(Features::ALL),
            _ => None,
        }
    }

    /// `self` plus the proposal called `name` (a folder name of the spec
    /// repository's `proposals/`), if it is one of Kiln's flags (each is
    /// a proposal Kiln implements: [`Features::ALL`] has them all);
    /// otherwise `self` unchanged (the proposal's scripts then fail, as
    /// they must on an engine without it).
    pub fn with_proposal(self, name: &str) -> Features {
        let mut with = self;
        match with.set(name, true) {
            Ok(()) => with,
            Err(_) => self,
        }
    }

    /// Turn the flag called `name` (see [`Features::NAMES`]) on or off.
    pub fn set(&mut self, name: &str, enable: bool) -> Result<(), String> {
        let (_, field) = Features::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| {
                let known: Vec<_> = Features::NAMES.iter().map(|(n, _)| *n).collect();
                format!(
                    "unknown wasm feature `{name}` (known: {})",
                    known.join(", ")
                )
            })?;
        *field(self) = enable;
        Ok(())
    }

    /// The names of the flags on in `self` and off in `other`.
    pub fn beyond(&self, other: &Features) -> Vec<&'static str> {
        let (mut a, mut b) = (*self, *other);
        Features::NAMES
            .iter()
            .filter(|(_, field)| *field(&mut a) && !*field(&mut b))
            .map(|(name, _)| *name)
            .collect()
    }

    /// The same set in wasmparser's vocabulary, for its `Validator`.
    /// `FLOATS` is Wasm 1.0; `GC_TYPES` is how wasmparser spells
    /// "reference types may appear in signatures at all" (no GC
    /// instructions come with it). [`Features::WASM2`] is exactly
    /// `WasmFeatures::WASM2`.
    pub fn wasmparser(&self) -> wasmparser::WasmFeatures {
        use wasmparser::WasmFeatures as W;
        let mut w = W::FLOATS | W::GC_TYPES;
        w.set(W::MUTABLE_GLOBAL, self.mutable_global);
        w.set(W::SIGN_EXTENSION, self.sign_extension);
        w.set(W::SATURATING_FLOAT_TO_INT, self.saturating_float_to_int);
        w.set(W::MULTI_VALUE, self.multi_value);
        w.set(W::BULK_MEMORY, self.bulk_memory);
        w.set(W::REFERENCE_TYPES, self.reference_types);
        w.set(W::SIMD, self.simd);
        w.set(W::MULTI_MEMORY, self.multi_memory);
        w.set(W::MEMORY64, self.memory64);
        w.set(W::TAIL_CALL, self.tail_call);
        w.set(W::EXTENDED_CONST, self.extended_const);
        w.set(W::CUSTOM_PAGE_SIZES, self.custom_page_sizes);
        w.set(W::WIDE_ARITHMETIC, self.wide_arithmetic);
        w.set(W::FUNCTION_REFERENCES, self.function_references);
        // The legacy instructions (`try`, `catch`, `delegate`, `rethrow`)
        // come with exception handling: toolchains still emit them.
        w.set(W::EXCEPTIONS, self.exceptions);
        w.set(W::LEGACY_EXCEPTIONS, self.exceptions);
        w.set(W::GC, self.gc);
        w
    }
}

impl Default for Features {
    fn default() -> Self {
        Features::ALL
    }
}

/// Global settings for an `Engine`.
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) features: Features,
    pub(crate) tunables: Tunables,
    pub(crate) opt_level: OptLevel,
    pub(crate) max_wasm_stack: usize,
    pub(crate) parallel_compilation: bool,
    pub(crate) allocation: InstanceAllocationStrategy,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    pub fn new() -> Config {
        let bounds_checks = if cfg!(target_pointer_width = "64") {
            BoundsChecks::GuardPages
        } else {
            BoundsChecks::Explicit
        };
        Config {
            features: Features::default(),
            tunables: Tunables {
                bounds_checks,
                consume_fuel: false,
                epoch_interruption: false,
                nan_canonicalization: false,
                spectre_guards: true,
            },
            opt_level: OptLevel::Speed,
            max_wasm_stack: 512 * 1024,
            parallel_compilation: true,
            allocation: InstanceAllocationStrategy::OnDemand,
        }
    }

    /// Choose how memory accesses are bounds-checked.
    pub fn bounds_checks(&mut self, mode: BoundsChecks) -> &mut Self {
        self.tunables.bounds_checks = mode;
        self
    }

    /// Cranelift's optimisation level (`Speed` by default).
    pub fn cranelift_opt_level(&mut self, level: OptLevel) -> &mut Self {
        self.opt_level = level;
        self
    }

    /// Most stack (in bytes) wasm may use below a host→wasm entry before it
    /// traps with `StackOverflow`. On a thread with less stack than that
    /// left, wasm gets what the thread has, less a 64 KiB reserve for host
    /// frames: it traps, it never runs into the thread's guard page.
    pub fn max_wasm_stack(&mut self, bytes: usize) -> &mut Self {
        self.max_wasm_stack = bytes;
        self
    }

    /// Meter execution with fuel: compiled code charges about one unit per
    /// operator and traps with `TrapCode::OutOfFuel` when the store's fuel
    /// (`Store::set_fuel`, 0 at first) runs out. Bounds every execution
    /// that would not finish (runaway loops, endless recursion).
    ///
    /// Charges are made up front, at function entry and at each loop
    /// iteration. A *leaf* (a function with no `loop` and no call) charges
    /// nothing itself: a direct `call` of it is paid by its caller, while
    /// reaching it through `call_indirect`, an import or from the host costs
    /// nothing, so with no fuel at all the host can still call a leaf. Code
    /// that skips part of a function or loop body still pays for all of it.
    pub fn consume_fuel(&mut self, enable: bool) -> &mut Self {
        self.tunables.consume_fuel = enable;
        self
    }

    /// Interrupt wasm by epochs, wasmtime's model (off by default):
    /// compiled code compares the engine's epoch
    /// ([`Engine::increment_epoch`](crate::Engine::increment_epoch), from
    /// any thread) with its store's deadline
    /// ([`Store::set_epoch_deadline`](crate::Store::set_epoch_deadline)) at
    /// every loop header and at the entry of every function but leaves (no
    /// `loop`, no call), so every execution that would not finish reaches
    /// a check, and at the deadline traps with `TrapCode::Interrupt` or
    /// runs the store's callback
    /// ([`Store::epoch_deadline_callback`](crate::Store::epoch_deadline_callback)).
    /// A check is one load of the epoch and one compare; a store's
    /// deadline starts at 0, as in wasmtime, so a store that sets none is
    /// interrupted at its first check. Off, compiled code has no checks.
    pub fn epoch_interruption(&mut self, enable: bool) -> &mut Self {
        self.tunables.epoch_interruption = enable;
        self
    }

    /// Make float results deterministic (wasmtime's name; off by default):
    /// every float operation that can produce a NaN — `add`, `sub`, `mul`,
    /// `div`, `sqrt`, `min`, `max`, `ceil`, `floor`, `trunc`, `nearest`,
    /// `f32.demote_f64`, `f64.promote_f32`, and the same operations on
    /// every lane of `f32x4`/`f64x2`, `f32x4.demote_f64x2_zero` and
    /// `f64x2.promote_low_f32x4` included — yields the positive canonical
    /// NaN (`0x7fc00000`, `0x7ff8000000000000`) instead of whichever NaN
    /// the host's FPU propagates. The operations the spec defines on bits
    /// (`abs`, `neg`, `copysign`, `pmin`/`pmax`, loads, stores,
    /// `reinterpret`, constants) keep their operands' bits, as they must.
    /// With it, a module's results are bit-for-bit the same on every host
    /// and run. Costs a compare and a select per float operation.
    pub fn cranelift_nan_canonicalization(&mut self, enable: bool) -> &mut Self {
        self.tunables.nan_canonicalization = enable;
        self
    }

    /// Harden bounds checks against speculative execution (Spectre v1;
    /// on by default). With it, every linear-memory access that is checked
    /// explicitly (all of them in `BoundsChecks::Explicit` mode, and those
    /// of 64-bit memories and of memories with 1-byte pages in every mode),
    /// every `table.get`/`table.set` and the table lookup of every
    /// `call_indirect` compute their address with Cranelift's
    /// `select_spectre_guard`: out of bounds, the address is 0, so a
    /// mispredicted check runs ahead on the null page, not on memory
    /// outside the sandbox. Accesses to 32-bit memories in guard-page mode
    /// need no guard (they are not checked, and cannot reach past their
    /// reservation even speculatively). Turn it off only for trusted code
    /// or to measure its cost. It also sets Cranelift's
    /// `enable_heap_access_spectre_mitigation` and
    /// `enable_table_access_spectre_mitigation` (wasmtime's switches).
    pub fn cranelift_spectre_guards(&mut self, enable: bool) -> &mut Self {
        self.tunables.spectre_guards = enable;
        self
    }

    /// How the engine's stores get memory for instances (wasmtime's
    /// name): [`InstanceAllocationStrategy::OnDemand`] (the default) maps
    /// each memory and table when it is made and unmaps it when its store
    /// is dropped; [`InstanceAllocationStrategy::Pooling`] reserves slots
    /// for vmctx blocks, memories and tables once, when the engine is
    /// created, within the limits of its
    /// [`PoolingAllocationConfig`](crate::PoolingAllocationConfig), and resets and reuses them, so
    /// that instantiation makes no `mmap`/`munmap` call in steady state.
    /// Compiled code is the same under both.
    pub fn allocation_strategy(
        &mut self,
        strategy: impl Into<InstanceAllocationStrategy>,
    ) -> &mut Self {
        self.allocation = strategy.into();
        self
    }

    pub fn parallel_compilation(&mut self, enable: bool) -> &mut Self {
        self.parallel_compilation = enable;
        self
    }

    /// Enable exactly `features` (all of [`Features::ALL`] by default); the
    /// `wasm_*` methods below change one flag each.
    pub fn wasm_features(&mut self, features: Features) -> &mut Self {
        self.features = features;
        self
    }

    pub fn wasm_multi_value(&mut self, enable: bool) -> &mut Self {
        self.features.multi_value = enable;
        self
    }

    pub fn wasm_bulk_memory(&mut self, enable: bool) -> &mut Self {
        self.features.bulk_memory = enable;
        self
    }

    pub fn wasm_reference_types(&mut self, enable: bool) -> &mut Self {
        self.features.reference_types = enable;
        self
    }

    pub fn wasm_sign_extension(&mut self, enable: bool) -> &mut Self {
        self.features.sign_extension = enable;
        self
    }

    pub fn wasm_saturating_float_to_int(&mut self, enable: bool) -> &mut Self {
        self.features.saturating_float_to_int = enable;
        self
    }

    pub fn wasm_mutable_global(&mut self, enable: bool) -> &mut Self {
        self.features.mutable_global = enable;
        self
    }

    /// Fixed-width SIMD (`v128`), on by default.
    pub fn wasm_simd(&mut self, enable: bool) -> &mut Self {
        self.features.simd = enable;
        self
    }

    pub fn wasm_multi_memory(&mut self, enable: bool) -> &mut Self {
        self.features.multi_memory = enable;
        self
    }

    pub fn wasm_memory64(&mut self, enable: bool) -> &mut Self {
        self.features.memory64 = enable;
        self
    }

    pub fn wasm_tail_call(&mut self, enable: bool) -> &mut Self {
        self.features.tail_call = enable;
        self
    }

    pub fn wasm_extended_const(&mut self, enable: bool) -> &mut Self {
        self.features.extended_const = enable;
        self
    }

    pub fn wasm_custom_page_sizes(&mut self, enable: bool) -> &mut Self {
        self.features.custom_page_sizes = enable;
        self
    }

    pub fn wasm_wide_arithmetic(&mut self, enable: bool) -> &mut Self {
        self.features.wide_arithmetic = enable;
        self
    }

    /// Typed function references (Wasm 3.0), on by default.
    pub fn wasm_function_references(&mut self, enable: bool) -> &mut Self {
        self.features.function_references = enable;
        self
    }

    /// Exception handling (Wasm 3.0), on by default.
    pub fn wasm_exceptions(&mut self, enable: bool) -> &mut Self {
        self.features.exceptions = enable;
        self
    }

    /// The GC proposal (Wasm 3.0), on by default: as far as Kiln
    /// implements it, the type system of function types ([`Features::gc`]).
    pub fn wasm_gc(&mut self, enable: bool) -> &mut Self {
        self.features.gc = enable;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::Features;
    use wasmparser::WasmFeatures as W;

    /// Flag `name` maps to exactly `flag` of wasmparser's set: switching it
    /// off in `WASM2`, or on, changes that flag and nothing else.
    fn check(name: &str, flag: W) {
        let mut f = Features::WASM2;
        let on = W::WASM2.contains(flag);
        f.set(name, !on).unwrap();
        assert_eq!(f.wasmparser() ^ W::WASM2, flag, "{name}");
    }

    #[test]
    fn features_map_to_wasmparser() {
        assert_eq!(Features::WASM2.wasmparser(), W::WASM2);
        check("mutable-global", W::MUTABLE_GLOBAL);
        check("sign-extension", W::SIGN_EXTENSION);
        check("saturating-float-to-int", W::SATURATING_FLOAT_TO_INT);
        check("multi-value", W::MULTI_VALUE);
        check("bulk-memory", W::BULK_MEMORY);
        check("reference-types", W::REFERENCE_TYPES);
        check("simd", W::SIMD);
        check("multi-memory", W::MULTI_MEMORY);
        check("memory64", W::MEMORY64);
        check("tail-call", W::TAIL_CALL);
        check("extended-const", W::EXTENDED_CONST);
        check("custom-page-sizes", W::CUSTOM_PAGE_SIZES);
        check("wide-arithmetic", W::WIDE_ARITHMETIC);
        check("function-references", W::FUNCTION_REFERENCES);
        check("gc", W::GC);
    }

    /// An engine takes every feature Kiln implements, and refuses any
    /// other by name.
    #[test]
    fn engines_refuse_features_kiln_lacks() {
        for (name, field) in Features::NAMES {
            let mut features = Features::ALL;
            features.set(name, true).unwrap();
            let result = crate::Engine::new(super::Config::new().wasm_features(features));
            if *field(&mut Features::ALL.clone()) {
                assert!(result.is_ok(), "{name}");
            } else {
                let err = result.unwrap_err().to_string();
                assert!(
                    err.contains("does not implement") && err.contains(name),
                    "{err}"
                );
            }
        }
    }

    #[test]
    fn names_levels_and_differences() {
        assert_eq!(Features::NAMES.len(), 16);
        let mut f = Features::WASM2;
        assert!(
            f.set("no-such-feature", true)
                .unwrap_err()
                .contains("unknown wasm feature")
        );
        f.set("memory64", true).unwrap();
        assert_eq!(f.beyond(&Features::WASM2), ["memory64"]);
        assert_eq!(Features::WASM2.beyond(&f), Vec::<&str>::new());
        assert_eq!(Features::level("2.0"), Some(Features::WASM2));
        assert_eq!(Features::level("3.0"), Some(Features::WASM3));
        assert_eq!(Features::level("all"), Some(Features::ALL));
        assert_eq!(Features::level("1.0"), None);
        // A proposal Kiln lacks (or has no flag for) changes nothing.
        assert_eq!(Features::WASM2.with_proposal("threads"), Features::WASM2);
        assert_eq!(Features::WASM2.with_proposal("simd"), Features::WASM2);
        for (name, field) in Features::NAMES {
            assert!(*field(&mut Features::ALL.clone()), "ALL lacks {name}");
            let mut with = Features::WASM2.with_proposal(name);
            assert!(*field(&mut with), "{name}");
        }
        // 3.0 never holds a proposal outside it.
        const { assert!(!Features::WASM3.custom_page_sizes && !Features::WASM3.wide_arithmetic) };
    }
}
