//! Deterministic inputs for running the targets under `cargo test`, and for
//! generating seed corpora: pseudo-random byte strings (SplitMix64) of
//! varied lengths, the same on every run.

/// `len` bytes from `seed`: the oracle's SplitMix64 generator, on a seed
/// of our own so streams differ from the oracle's campaigns.
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    kiln_differential::generate::random_bytes(seed ^ 0x6b69_6c6e_6675_7a7a, len)
}

/// The `i`-th input of a stream: lengths cycle through small and medium
/// sizes, since wasm-smith turns a few hundred bytes into a module.
pub fn input(seed: u64, i: u64) -> Vec<u8> {
    const LENGTHS: [usize; 8] = [0, 16, 64, 256, 512, 1024, 2048, 4096];
    bytes(
        seed.wrapping_mul(1_000_003).wrapping_add(i),
        LENGTHS[(i % 8) as usize],
    )
}
