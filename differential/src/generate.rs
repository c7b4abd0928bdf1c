//! Test-module generation: wasm-smith configured to exactly the feature set
//! the engine and the interpreter implement ([`kiln::Features::ALL`]), with
//! termination ensured, NaNs canonicalised (scalar and
//! vector lanes, see [`crate::canon`]) and resources bounded, driven by a
//! 64-bit seed so every module can be regenerated. [`generate_raw`] leaves
//! the NaNs alone, for the deterministic oracle, where the engine has to
//! canonicalise them itself.
//!
//! Most seeds generate SIMD modules; a quarter ([`Flavor::for_seed`])
//! generate without SIMD, because with SIMD on, wasm-smith spends much of
//! each function's instruction budget on vector code and the scalar
//! instructions' interactions get fewer chances.

use crate::features::restrict_smith;
use arbitrary::Unstructured;
use kiln::Features;

/// Iterations (loop headers plus function entries) a generated module may
/// run in total, across all calls, before its own fuel check traps with
/// `unreachable` (wasm-smith's `ensure_termination`). Deterministic on
/// every side, unlike the embedders' fuel, so runaway code ends in a
/// comparable trap rather than a divergence. Also bounds recursion depth
/// below every side's stack limit (see `oracle::sides::Limits`), so
/// runaway recursion traps alike everywhere instead of diverging.
pub const MODULE_FUEL: u32 = 3_000;

/// Largest linear memory a generated module may declare or grow to: small,
/// so the interpreter's `Vec`-backed memory and hashing stay cheap.
pub const MAX_MEMORY_PAGES: u64 = 4;

/// Largest table a generated module may declare or grow to.
pub const MAX_TABLE_ELEMENTS: u64 = 64;

/// `len` pseudo-random bytes from `seed` (SplitMix64): the entropy that
/// wasm-smith and the call planner turn into structure.
pub fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        out.extend_from_slice(&z.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Mix two numbers into a well-spread seed (e.g. campaign seed and
/// iteration), so consecutive iterations get unrelated modules.
pub fn mix(a: u64, b: u64) -> u64 {
    let bytes = random_bytes(a ^ b.rotate_left(32) ^ 0x5851_f42d_4c95_7f2d, 8);
    u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8]))
}

/// Which kind of module a seed generates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// Every feature of [`Features::ALL`], fixed-width SIMD included ([`config`]).
    Simd,
    /// The same without SIMD or exception handling ([`scalar_config`]):
    /// the quarter of modules wasmi, the third opinion, runs (it lacks
    /// exceptions, and sits out SIMD by default).
    Scalar,
}

impl Flavor {
    /// The flavour of a module seed: [`Flavor::Scalar`] for a quarter of
    /// the seeds (independent of the engine variant, which uses the low
    /// two bits), [`Flavor::Simd`] for the rest.
    pub fn for_seed(seed: u64) -> Flavor {
        if (seed >> 2).is_multiple_of(4) {
            Flavor::Scalar
        } else {
            Flavor::Simd
        }
    }

    /// The wasm-smith configuration of this flavour of [`Features::ALL`].
    pub fn config(self) -> wasm_smith::Config {
        self.config_of(&Features::ALL)
    }

    /// The wasm-smith configuration of this flavour of `features` (the
    /// scalar flavour turns SIMD and exceptions off; neither turns
    /// anything on).
    pub fn config_of(self, features: &Features) -> wasm_smith::Config {
        match self {
            Flavor::Simd => config_for(features),
            Flavor::Scalar => config_for(&Features {
                simd: false,
                exceptions: false,
                ..*features
            }),
        }
    }
}

/// What happens to the NaNs of a generated module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Nans {
    /// Every NaN arithmetic or a conversion produces is rewritten to the
    /// canonical NaN inside the module (wasm-smith's `canonicalize_nans`,
    /// then [`crate::canon`]): any engine then agrees bit for bit.
    Rewritten,
    /// Left as the operations produce them: only an engine that
    /// canonicalises NaNs itself agrees bit for bit with the interpreter.
    Raw,
}

/// [`config`] without SIMD or exceptions.
pub fn scalar_config() -> wasm_smith::Config {
    Flavor::Scalar.config()
}

/// The wasm-smith configuration for the engine's feature set,
/// [`Features::ALL`] (everything Kiln implements).
pub fn config() -> wasm_smith::Config {
    config_for(&Features::ALL)
}

/// The oracle's wasm-smith configuration, restricted to `features` (by
/// [`restrict_smith`], which also switches off everything newer).
fn config_for(features: &Features) -> wasm_smith::Config {
    let mut c = wasm_smith::Config {
        // No imports: every side instantiates the module alone, so there is
        // no host behaviour to keep identical.
        max_imports: 0,
        min_imports: 0,
        // Bounded resources; declared maxima make `memory.grow` and
        // `table.grow` fail at the same size on every side.
        // (One without multi-memory: `restrict_smith`.)
        max_memories: 4,
        max_memory32_bytes: MAX_MEMORY_PAGES * 65536,
        max_memory64_bytes: u128::from(MAX_MEMORY_PAGES * 65536),
        memory_max_size_required: true,
        max_tables: 4,
        max_table_elements: MAX_TABLE_ELEMENTS,
        table_max_size_required: true,
        // Something to call (functions need a type to exist).
        min_types: 1,
        min_funcs: 3,
        // Every function, global, memory and table exported: all of them
        // are called or compared after each call.
        export_everything: true,
        max_funcs: 30,
        min_exports: 1,
        // Results comparable bit for bit (see `oracle::compare`); also
        // canonicalises every lane of SIMD float arithmetic. `crate::canon`
        // completes it for the conversions it misses. (Off for
        // `Nans::Raw`.)
        canonicalize_nans: true,
        // Smaller than the defaults: more modules per second, and the
        // interesting interactions appear in small modules too.
        max_instructions: 200,
        max_data_segments: 10,
        max_element_segments: 10,
        max_elements: 20,
        max_globals: 20,
        max_types: 30,
        ..wasm_smith::Config::default()
    };
    restrict_smith(features, &mut c);
    c
}

/// Generate the module for `seed` (of the seed's [`Flavor`]).
pub fn generate(seed: u64) -> Result<Vec<u8>, String> {
    generate_with(seed, &Features::ALL)
}

/// Generate the module for `seed` (of the seed's [`Flavor`]) using only
/// `features` (a subset of [`Features::ALL`]), so a campaign can aim at
/// one feature group.
pub fn generate_with(seed: u64, features: &Features) -> Result<Vec<u8>, String> {
    generate_nans(seed, features, Nans::Rewritten)
}

/// The module [`generate`] makes for `seed`, without its NaNs rewritten
/// (same wasm-smith configuration otherwise, so not the same module).
pub fn generate_raw(seed: u64) -> Result<Vec<u8>, String> {
    generate_nans(seed, &Features::ALL, Nans::Raw)
}

/// Generate the module for `seed` (of the seed's [`Flavor`]) using only
/// `features`, its NaNs treated as `nans` says.
pub fn generate_nans(seed: u64, features: &Features, nans: Nans) -> Result<Vec<u8>, String> {
    let mut config = Flavor::for_seed(seed).config_of(features);
    config.canonicalize_nans = nans == Nans::Rewritten;
    generate_config(seed, config, nans)
}

/// Generate the module for `seed` with the given flavour.
pub fn generate_flavor(seed: u64, flavor: Flavor) -> Result<Vec<u8>, String> {
    generate_config(seed, flavor.config(), Nans::Rewritten)
}

fn generate_config(seed: u64, config: wasm_smith::Config, nans: Nans) -> Result<Vec<u8>, String> {
    let bytes = random_bytes(seed, 12 * 1024);
    let mut u = Unstructured::new(&bytes);
    let mut module = wasm_smith::Module::new(config, &mut u).map_err(|e| e.to_string())?;
    let fuel = module
        .ensure_termination(MODULE_FUEL)
        .map_err(|e| e.to_string())?;
    let wasm = match nans {
        Nans::Rewritten => crate::canon::canonicalize_conversions(&module.to_bytes())
            .ok_or("cannot canonicalise promote/demote NaNs")?,
        Nans::Raw => module.to_bytes(),
    };
    Ok(export_global(&wasm, fuel, FUEL_EXPORT).unwrap_or(wasm))
}

/// The export name under which generated modules expose their
/// termination fuel global, so the oracle can refill it before every call
/// (otherwise one runaway call would leave every later call trapping at
/// its first fuel check).
pub const FUEL_EXPORT: &str = "__oracle_fuel";

fn leb(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// `wasm` with one more export, of global `index` as `name`, spliced into
/// its export section. `None` if the module has no export section or the
/// result does not validate (then the caller keeps the original).
fn export_global(wasm: &[u8], index: u32, name: &str) -> Option<Vec<u8>> {
    use wasmparser::{Parser, Payload};
    let reader = Parser::new(0).parse_all(wasm).find_map(|p| match p {
        Ok(Payload::ExportSection(r)) => Some(r),
        _ => None,
    })?;
    let range = reader.range();
    let range = usize::try_from(range.start).ok()?..usize::try_from(range.end).ok()?;
    let count = reader.count();
    let mut old_count = Vec::new();
    leb(u64::from(count), &mut old_count);
    let mut old_size = Vec::new();
    leb(range.len() as u64, &mut old_size);
    // Section header (id 7, size) before the contents, assuming minimal
    // LEBs; validation below catches a wrong assumption.
    let header_start = range.start.checked_sub(1 + old_size.len())?;
    let entries = wasm.get(range.start + old_count.len()..range.end)?;

    let mut contents = Vec::new();
    leb(u64::from(count) + 1, &mut contents);
    contents.extend_from_slice(entries);
    leb(name.len() as u64, &mut contents);
    contents.extend_from_slice(name.as_bytes());
    contents.push(0x03); // export kind: global
    leb(u64::from(index), &mut contents);

    let mut out = wasm[..header_start].to_vec();
    out.push(7);
    leb(contents.len() as u64, &mut out);
    out.extend_from_slice(&contents);
    out.extend_from_slice(&wasm[range.end..]);
    let mut validator = wasmparser::Validator::new_with_features(Features::ALL.wasmparser());
    validator.validate_all(&out).ok()?;
    Some(out)
}
