//! `Config`: the settings an `Engine` is created with (the subset that
//! decides what code the translator emits is `tunables.rs`).

pub use crate::tunables::BoundsChecks;
use crate::tunables::Tunables;
use cranelift_codegen::settings::OptLevel;

/// Wasm proposals, one flag each: the single source of the feature set.
///
/// The engine validates against it ([`Features::wasmparser`]), compiled
/// artifacts record it, and the test harness generates and judges modules
/// with it (`kiln-differential`'s `features` module maps it to
/// wasm-smith). When Kiln gains a proposal, it gains a flag here, on in
/// [`Features::ALL`], and every consumer follows.
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
}

impl Features {
    /// Everything Kiln implements: all of Wasm 2.0, fixed-width SIMD
    /// included. The default.
    pub const ALL: Features = Features {
        mutable_global: true,
        sign_extension: true,
        saturating_float_to_int: true,
        multi_value: true,
        bulk_memory: true,
        reference_types: true,
        simd: true,
    };

    /// The same set in wasmparser's vocabulary, for its `Validator`.
    /// `FLOATS` is Wasm 1.0; `GC_TYPES` is how wasmparser spells
    /// "reference types may appear in signatures at all" (no GC
    /// instructions come with it). [`Features::ALL`] is exactly
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
            },
            opt_level: OptLevel::Speed,
            max_wasm_stack: 512 * 1024,
            parallel_compilation: true,
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
}

#[cfg(test)]
mod tests {
    use super::Features;
    use wasmparser::WasmFeatures as W;

    fn check(features: Features, expected: W) {
        assert_eq!(features.wasmparser(), expected, "{features:?}");
    }

    /// Each flag maps to its wasmparser feature and nothing else.
    #[test]
    fn features_map_to_wasmparser() {
        let all = Features::ALL;
        check(all, W::WASM2);
        check(Features::default(), W::WASM2);
        check(
            Features {
                mutable_global: false,
                ..all
            },
            W::WASM2 - W::MUTABLE_GLOBAL,
        );
        check(
            Features {
                sign_extension: false,
                ..all
            },
            W::WASM2 - W::SIGN_EXTENSION,
        );
        check(
            Features {
                saturating_float_to_int: false,
                ..all
            },
            W::WASM2 - W::SATURATING_FLOAT_TO_INT,
        );
        check(
            Features {
                multi_value: false,
                ..all
            },
            W::WASM2 - W::MULTI_VALUE,
        );
        check(
            Features {
                bulk_memory: false,
                ..all
            },
            W::WASM2 - W::BULK_MEMORY,
        );
        check(
            Features {
                reference_types: false,
                ..all
            },
            W::WASM2 - W::REFERENCE_TYPES,
        );
        check(Features { simd: false, ..all }, W::WASM2 - W::SIMD);
    }
}
