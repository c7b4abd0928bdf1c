//! Deterministic inputs for running the targets under `cargo test`, and for
//! generating seed corpora: pseudo-random byte strings (SplitMix64) of
//! varied lengths, the same on every run.

/// `len` bytes from `seed`.
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed ^ 0x6b69_6c6e_6675_7a7a;
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

/// The `i`-th input of a stream: lengths cycle through small and medium
/// sizes, since wasm-smith turns a few hundred bytes into a module.
pub fn input(seed: u64, i: u64) -> Vec<u8> {
    const LENGTHS: [usize; 8] = [0, 16, 64, 256, 512, 1024, 2048, 4096];
    bytes(
        seed.wrapping_mul(1_000_003).wrapping_add(i),
        LENGTHS[(i % 8) as usize],
    )
}
