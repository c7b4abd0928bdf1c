//! The one place that says which Wasm features the engine supports, in
//! each vocabulary the fuzzers need: Kiln's `Config`, wasmparser's
//! `WasmFeatures` (the `compile` oracle) and wasm-smith's `Config` (module
//! generation).
//!
//! When the engine gains a feature, flip it in
//! [`engine_features`]; every target follows.

use wasmparser::WasmFeatures;

/// The Wasm proposals the fuzzers generate and expect the engine to accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeatureSet {
    pub mutable_global: bool,
    pub sign_extension: bool,
    pub saturating_float_to_int: bool,
    pub multi_value: bool,
    pub bulk_memory: bool,
    pub reference_types: bool,
    pub simd: bool,
}

/// What the engine implements today: all of Wasm 2.0.
pub fn engine_features() -> FeatureSet {
    FeatureSet {
        mutable_global: true,
        sign_extension: true,
        saturating_float_to_int: true,
        multi_value: true,
        bulk_memory: true,
        reference_types: true,
        simd: true,
    }
}

impl FeatureSet {
    /// Enable exactly these features on an engine configuration.
    pub fn apply_to_kiln(&self, config: &mut kiln::Config) {
        config
            .wasm_mutable_global(self.mutable_global)
            .wasm_sign_extension(self.sign_extension)
            .wasm_saturating_float_to_int(self.saturating_float_to_int)
            .wasm_multi_value(self.multi_value)
            .wasm_bulk_memory(self.bulk_memory)
            .wasm_reference_types(self.reference_types)
            .wasm_simd(self.simd);
    }

    /// The same set for wasmparser's validator. `FLOATS` is Wasm 1.0;
    /// `GC_TYPES` is how wasmparser spells "reference types may appear in
    /// signatures at all" (no GC instructions come with it).
    pub fn wasmparser(&self) -> WasmFeatures {
        let mut w = WasmFeatures::FLOATS | WasmFeatures::GC_TYPES;
        w.set(WasmFeatures::MUTABLE_GLOBAL, self.mutable_global);
        w.set(WasmFeatures::SIGN_EXTENSION, self.sign_extension);
        w.set(
            WasmFeatures::SATURATING_FLOAT_TO_INT,
            self.saturating_float_to_int,
        );
        w.set(WasmFeatures::MULTI_VALUE, self.multi_value);
        w.set(WasmFeatures::BULK_MEMORY, self.bulk_memory);
        w.set(WasmFeatures::REFERENCE_TYPES, self.reference_types);
        w.set(WasmFeatures::SIMD, self.simd);
        w
    }

    /// Restrict a wasm-smith configuration to these features (and nothing
    /// newer: no GC, exceptions, threads, memory64, tail calls, ...).
    pub fn apply_to_smith(&self, c: &mut wasm_smith::Config) {
        c.sign_extension_ops_enabled = self.sign_extension;
        c.saturating_float_to_int_enabled = self.saturating_float_to_int;
        c.multi_value_enabled = self.multi_value;
        c.bulk_memory_enabled = self.bulk_memory;
        c.reference_types_enabled = self.reference_types;
        c.simd_enabled = self.simd;
        c.relaxed_simd_enabled = false;
        c.exceptions_enabled = false;
        c.gc_enabled = false;
        c.compact_imports_enabled = false;
        c.custom_descriptors_enabled = false;
        c.custom_page_sizes_enabled = false;
        c.memory64_enabled = false;
        c.tail_call_enabled = false;
        c.threads_enabled = false;
        c.shared_everything_threads_enabled = false;
        c.wide_arithmetic_enabled = false;
        c.extended_const_enabled = false;
        c.acquire_release_atomics_enabled = false;
        c.multibyte_array_access_enabled = false;
        c.max_memories = 1;
        // Without reference types, Wasm 2.0 allows one table.
        c.max_tables = if self.reference_types {
            c.max_tables
        } else {
            1
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// wasm-smith, restricted to the set, never asks for more than the set.
    #[test]
    fn smith_features_are_within_the_set() {
        let mut c = wasm_smith::Config::default();
        engine_features().apply_to_smith(&mut c);
        let smith = c.features();
        let ours = engine_features().wasmparser();
        // wasm-smith's `WASM1` includes FLOATS and MUTABLE_GLOBAL.
        let extra = smith - ours - WasmFeatures::WASM1;
        assert!(extra.is_empty(), "wasm-smith would generate {extra:?}");
    }
}
