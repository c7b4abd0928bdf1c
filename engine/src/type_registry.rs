//! The engine's function types: each distinct `FuncType` gets an id (so a
//! signature check is one integer compare, across modules), and its
//! trampolines are compiled once, on first use.
//!
//! Interning (when a module or host function is created) takes a lock;
//! reading an id's type or trampolines does not. Those reads are on the
//! instantiate-and-call path of every thread of an embedder (each export a
//! store first touches looks them up), so they are atomic loads only: ids
//! index an append-only table of chunks, each chunk and each entry a
//! `OnceLock` set once under the interning lock and never changed. Chunk
//! `k` holds `FIRST_CHUNK << k` entries, so ids never move and 32 chunks
//! hold more types than a process could create.

use crate::trampoline::{self, Trampolines};
use crate::types::FuncType;
use anyhow::Result;
use cranelift_codegen::isa::TargetIsa;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

const FIRST_CHUNK: usize = 64;
const CHUNKS: usize = 32;

struct Entry {
    ty: FuncType,
    trampolines: OnceLock<Arc<Trampolines>>,
}

pub(crate) struct TypeRegistry {
    /// Taken to intern only.
    ids: Mutex<HashMap<FuncType, u32>>,
    chunks: [OnceLock<Box<[OnceLock<Entry>]>>; CHUNKS],
}

/// The chunk holding `id`, and its place in it.
fn locate(id: u32) -> (usize, usize) {
    // Chunk k starts at FIRST_CHUNK * (2^k - 1).
    let n = id as usize / FIRST_CHUNK + 1;
    let k = (usize::BITS - 1 - n.leading_zeros()) as usize;
    (k, id as usize - FIRST_CHUNK * ((1 << k) - 1))
}

impl Default for TypeRegistry {
    fn default() -> Self {
        TypeRegistry {
            ids: Mutex::default(),
            chunks: std::array::from_fn(|_| OnceLock::new()),
        }
    }
}

impl TypeRegistry {
    /// The id of `ty`, new if no equal type was interned before. Ids are
    /// dense and never reused (types are small and few).
    pub fn intern(&self, ty: &FuncType) -> u32 {
        let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&id) = ids.get(ty) {
            return id;
        }
        let id = ids.len() as u32;
        let (k, i) = locate(id);
        let chunk = self.chunks[k].get_or_init(|| {
            (0..FIRST_CHUNK << k)
                .map(|_| OnceLock::new())
                .collect::<Box<[_]>>()
        });
        let entry = Entry {
            ty: ty.clone(),
            trampolines: OnceLock::new(),
        };
        assert!(chunk[i].set(entry).is_ok(), "type id {id} interned twice");
        // Published only now, so a reader given `id` finds its entry.
        ids.insert(ty.clone(), id);
        id
    }

    fn entry(&self, id: u32) -> &Entry {
        let (k, i) = locate(id);
        self.chunks[k]
            .get()
            .and_then(|chunk| chunk[i].get())
            .unwrap_or_else(|| panic!("function type id {id} was never interned"))
    }

    /// The type behind an interned id.
    pub fn ty(&self, id: u32) -> &FuncType {
        &self.entry(id).ty
    }

    /// The trampolines of interned type `id`, compiled on first use. Two
    /// threads asking first may both compile; one result is kept.
    pub fn trampolines(&self, isa: &dyn TargetIsa, id: u32) -> Result<Arc<Trampolines>> {
        let entry = self.entry(id);
        if let Some(t) = entry.trampolines.get() {
            return Ok(t.clone());
        }
        let compiled = Arc::new(trampoline::compile(isa, &entry.ty)?);
        Ok(entry.trampolines.get_or_init(|| compiled).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_map_to_chunks_without_gaps_or_overlaps() {
        let mut expected = (0, 0);
        for id in 0..(FIRST_CHUNK as u32 * 40) {
            assert_eq!(locate(id), expected, "id {id}");
            expected.1 += 1;
            if expected.1 == FIRST_CHUNK << expected.0 {
                expected = (expected.0 + 1, 0);
            }
        }
        let (k, i) = locate(u32::MAX);
        assert!(k < CHUNKS && i < FIRST_CHUNK << k);
    }

    #[test]
    fn interning_is_idempotent_and_dense() {
        use crate::types::ValType;
        let reg = TypeRegistry::default();
        let types: Vec<FuncType> = (0..300)
            .map(|n| FuncType::new(vec![ValType::I32; n % 20], vec![ValType::I64; n / 20]))
            .collect();
        for (n, ty) in types.iter().enumerate() {
            assert_eq!(reg.intern(ty), n as u32);
        }
        for (n, ty) in types.iter().enumerate() {
            assert_eq!(reg.intern(ty), n as u32);
            assert_eq!(reg.ty(n as u32), ty);
        }
    }
}
