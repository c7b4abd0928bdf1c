//! The engine's feature set, [`kiln::Features`], in wasm-smith's
//! vocabulary: the one place the harness maps it, read by the oracle's
//! generator ([`crate::generate`]) and by the fuzz targets. (wasmparser's
//! vocabulary comes from the engine itself: [`kiln::Features::wasmparser`].)

use kiln::Features;

/// Restrict a wasm-smith configuration to `features`, and to nothing
/// newer. Every proposal wasm-smith knows beyond Kiln's set is switched off
/// by name, so a new wasm-smith default cannot slip in unnoticed (the
/// engine would refuse the module and the oracle report it). Relaxed SIMD
/// is off even when SIMD is on: its results are nondeterministic by
/// design, so they cannot be compared.
///
/// Only resource limits that a feature implies are touched: one memory
/// without multi-memory, and one table without reference types.
pub fn restrict_smith(features: &Features, c: &mut wasm_smith::Config) {
    // A new field of `Features` must be mapped here: the destructuring is
    // exhaustive on purpose.
    let Features {
        // wasm-smith has no knob for it: mutable globals are Wasm 1.0
        // for its purposes, always on.
        mutable_global: _,
        sign_extension,
        saturating_float_to_int,
        multi_value,
        bulk_memory,
        reference_types,
        simd,
        multi_memory,
        memory64,
        tail_call,
        extended_const,
        custom_page_sizes,
        wide_arithmetic,
        // wasm-smith (0.263) has no knob for typed function references
        // alone: it generates them only with `gc_enabled`
        // (`Config::features` sets FUNCTION_REFERENCES from it), and GC
        // stays off, so generated modules never use them.
        function_references: _,
        exceptions,
        // Kiln implements of GC only the type system of function types,
        // and wasm-smith (0.263) has no knob to generate GC's types
        // without struct and array types and GC's heap types: with
        // `gc_enabled`, Kiln refused all of 1000 modules of each flavour
        // (seeds 0..1000; most for struct/array types, the rest for
        // `any`, `eq`, `i31`, `none`, ...). So it stays off (below), and
        // with it the typed function references wasm-smith ties to it.
        gc: _,
    } = *features;
    c.sign_extension_ops_enabled = sign_extension;
    c.saturating_float_to_int_enabled = saturating_float_to_int;
    c.multi_value_enabled = multi_value;
    c.bulk_memory_enabled = bulk_memory;
    c.reference_types_enabled = reference_types;
    c.simd_enabled = simd;
    c.memory64_enabled = memory64;
    c.tail_call_enabled = tail_call;
    c.extended_const_enabled = extended_const;
    c.custom_page_sizes_enabled = custom_page_sizes;
    c.wide_arithmetic_enabled = wide_arithmetic;

    c.relaxed_simd_enabled = false;
    c.exceptions_enabled = exceptions;
    c.gc_enabled = false;
    c.compact_imports_enabled = false;
    c.custom_descriptors_enabled = false;
    c.threads_enabled = false;
    c.shared_everything_threads_enabled = false;
    c.acquire_release_atomics_enabled = false;
    c.multibyte_array_access_enabled = false;
    if !multi_memory {
        c.max_memories = c.max_memories.min(1);
    }
    if !reference_types {
        c.max_tables = c.max_tables.min(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmparser::WasmFeatures;

    /// wasm-smith, restricted to `features`, never asks for more than them.
    fn check(features: Features) {
        let mut c = wasm_smith::Config::default();
        restrict_smith(&features, &mut c);
        // wasm-smith's `WASM1` includes FLOATS and MUTABLE_GLOBAL, which
        // it has no knobs for.
        let extra = c.features() - features.wasmparser() - WasmFeatures::WASM1;
        assert!(
            extra.is_empty(),
            "{features:?}: wasm-smith would generate {extra:?}"
        );
    }

    #[test]
    fn smith_features_are_within_the_set() {
        let all = Features::ALL;
        check(all);
        check(Features { simd: false, ..all });
        check(Features {
            reference_types: false,
            ..all
        });
        check(Features {
            bulk_memory: false,
            ..all
        });
        check(Features {
            multi_value: false,
            ..all
        });
        check(Features {
            sign_extension: false,
            ..all
        });
        check(Features {
            saturating_float_to_int: false,
            ..all
        });
        check(Features::WASM2);
        check(Features::WASM3);
        // Each flag alone on top of 2.0, whether Kiln implements it yet or
        // not: the mapping must already be exact.
        for (name, _) in Features::NAMES {
            let mut f = Features::WASM2;
            f.set(name, true).unwrap();
            check(f);
        }
    }
}
