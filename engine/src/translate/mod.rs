//! Wasm → Cranelift IR translation (in progress).
