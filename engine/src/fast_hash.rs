//! A fast, non-cryptographic hasher for the runtime's own lookup tables
//! (function addresses in a store, import names in a linker), which sit on
//! the instantiation path where SipHash's cost shows.
//!
//! It does not resist collision attacks. Keys are either addresses the
//! runtime made itself or import names, whose count a module bounds; a
//! crafted set of colliding names costs lookups proportional to the number
//! of definitions, not more.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` keyed through [`FastHasher`].
pub(crate) type FastHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// The multiplicative step of the Fx hash (rustc's), a word at a time.
#[derive(Default)]
pub(crate) struct FastHasher(u64);

const K: u64 = 0xf135_7aea_2e62_a9c5;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8-byte chunk")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(n.into());
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        // hashbrown indexes buckets by the low bits; the product's mixed
        // bits are the high ones (and aligned addresses end in zeros).
        self.0 ^ (self.0 >> 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    fn hash<T: std::hash::Hash>(x: T) -> u64 {
        BuildHasherDefault::<FastHasher>::default().hash_one(x)
    }

    /// Aligned addresses spread over the low bits, where buckets are chosen.
    #[test]
    fn aligned_addresses_use_every_low_bucket() {
        let buckets: std::collections::HashSet<u64> = (0..256usize)
            .map(|i| hash(0x7f00_0000_0000 + i * 64) & 63)
            .collect();
        assert!(buckets.len() > 48, "only {} of 64 buckets", buckets.len());
    }

    /// Strings differing only in the tail, or only in length, differ.
    #[test]
    fn strings_hash_by_every_byte() {
        let names = ["fd_write", "fd_writf", "fd_read", "fd_write\0", "", "a"];
        let hashes: std::collections::HashSet<u64> = names.iter().map(hash).collect();
        assert_eq!(hashes.len(), names.len());
    }
}
