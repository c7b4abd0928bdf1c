//! `Tunables`: the settings that decide what code the translator emits and
//! how the runtime lays out memory for it. They are recorded with compiled
//! code (an artifact runs only under the tunables it was compiled with),
//! and they are the only part of the configuration the `vm/` layer reads.

/// How linear memory accesses are kept in bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum BoundsChecks {
    /// Reserve 4 GiB plus a guard region of 4 GiB and one wasm page per
    /// 32-bit memory with 64 KiB pages, so every byte of any `index +
    /// offset` access lands in the reservation and no check is emitted; an
    /// access beyond the current length faults and the signal handler
    /// turns it into a trap. Such memories never move. Needs a 64-bit host.
    /// Other memories (64-bit ones, 1-byte pages) are checked as in
    /// `Explicit` mode.
    GuardPages,
    /// Compare every access against the current length. Memories reserve
    /// only what they use and may move when they grow.
    Explicit,
}

/// Settings that shape generated code; recorded with compiled code.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Tunables {
    pub bounds_checks: BoundsChecks,
    /// Charge fuel at function entries (leaves excepted) and loop headers
    /// (see `Config::consume_fuel`).
    pub consume_fuel: bool,
    /// Check the engine's epoch against the store's deadline at function
    /// entries (leaves excepted) and loop headers (see
    /// `Config::epoch_interruption`).
    pub epoch_interruption: bool,
    /// Every NaN that float arithmetic, `demote` or `promote` produces,
    /// scalar or in a vector lane, is the canonical NaN (see
    /// `Config::cranelift_nan_canonicalization`). Cranelift does it (its
    /// `enable_nan_canonicalization` setting, which the engine sets from
    /// this); recorded here so an artifact names it when refused.
    pub nan_canonicalization: bool,
    /// Explicitly checked linear-memory and table accesses compute their
    /// address with `select_spectre_guard`, so a mispredicted bounds
    /// check speculates on address 0, never out of bounds (see
    /// `Config::cranelift_spectre_guards`).
    pub spectre_guards: bool,
}
