//! The implementations under comparison, behind one interface: each side
//! instantiates a module alone (no imports), runs calls, and reports what
//! it observed in the shared vocabulary of [`super::observe`].

use super::observe::{Outcome, Snapshot};
use super::plan::{Call, Shape};

pub mod engine;
pub mod interp;
#[cfg(feature = "wasmi")]
pub mod wasmi;
#[cfg(feature = "wasmtime")]
pub mod wasmtime;

/// Whether `wasm` needs the SIMD feature: it validates with the engine's
/// features but not without SIMD (v128 anywhere, or any SIMD instruction).
pub fn needs_simd(wasm: &[u8]) -> bool {
    let scalar = kiln::Features {
        simd: false,
        ..kiln::Features::ALL
    };
    needs_beyond(wasm, &scalar)
}

/// Whether `wasm` is valid with every feature Kiln implements but not
/// with only `features`: a side limited to `features` sits it out.
pub fn needs_beyond(wasm: &[u8], features: &kiln::Features) -> bool {
    use wasmparser::Validator;
    Validator::new_with_features(features.wasmparser())
        .validate_all(wasm)
        .is_err()
        && Validator::new_with_features(kiln::Features::ALL.wasmparser())
            .validate_all(wasm)
            .is_ok()
}

/// Resource limits every side is configured with. They are *not* made
/// equivalent across sides (their units differ); hitting one is reported
/// as [`Outcome::Exhausted`], a legitimate divergence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Fuel per call (and per instantiation, for the start function):
    /// engine and wasmi fuel units, interpreter instructions.
    pub fuel: u64,
    /// The engine's `max_wasm_stack`, in bytes.
    pub max_wasm_stack: usize,
    /// The interpreter's and wasmi's call-depth limit.
    pub max_call_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: 20_000_000,
            // Room for `generate::MODULE_FUEL` nested calls of generated
            // functions, and still well inside a 2 MiB test thread.
            max_wasm_stack: 1024 * 1024,
            max_call_depth: 10_000,
        }
    }
}

/// One implementation under comparison.
pub trait Side {
    /// A short label for reports (`engine[guard,speed]`, `interp`, ...).
    fn name(&self) -> String;
    /// Compile and instantiate `wasm` in a fresh store, dropping any
    /// previous instance. `Returned(vec![])` on success.
    fn instantiate(&mut self, wasm: &[u8], shape: &Shape) -> Outcome;
    /// Call an export of the current instance.
    fn call(&mut self, call: &Call) -> Outcome;
    /// The exported globals, memories and tables of the current instance.
    fn snapshot(&mut self, shape: &Shape) -> Result<Snapshot, String>;
    /// Set an exported mutable `i32` global (the module's termination
    /// fuel, see [`crate::generate::FUEL_EXPORT`]).
    fn set_global_i32(&mut self, name: &str, value: i32) -> Result<(), String>;
    /// Why this side sits out `wasm`, if it does: a side that cannot be
    /// trusted with some modules (e.g. wasmi with SIMD, see
    /// [`wasmi`]) is left out of their runs, and named in the report,
    /// instead of failing or crashing the process. The reference side
    /// (the first) never declines. A side may prepare `wasm` here (compile
    /// it) to find out; `instantiate` then uses what it prepared.
    fn declines(&mut self, _wasm: &[u8]) -> Option<String> {
        None
    }
}
