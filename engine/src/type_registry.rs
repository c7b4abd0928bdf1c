//! The engine's function types: each distinct `FuncType` gets an id (so a
//! signature check is one integer compare, across modules), and its
//! trampolines are compiled once, on first use.
//!
//! What is interned is a type's whole rec group (`types/rec.rs`): its
//! members get consecutive ids, so two modules declaring structurally equal
//! groups get the same ids and different groups never do (equal types are
//! exactly those of equal canonical groups at the same position). Each
//! entry records the id of its declared supertype, interned first, so a
//! subtype check (`call_indirect` on a mismatch, import matching) walks a
//! chain of ids without a lock.
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
use crate::types::{FuncType, RecGroup};
use anyhow::Result;
use cranelift_codegen::isa::TargetIsa;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

const FIRST_CHUNK: usize = 64;
const CHUNKS: usize = 32;

struct Entry {
    ty: FuncType,
    /// The id of the declared supertype.
    supertype: Option<u32>,
    trampolines: OnceLock<Arc<Trampolines>>,
}

/// A canonical group, by identity (canonical groups are equal only if they
/// are the same).
struct GroupKey(Arc<RecGroup>);

impl PartialEq for GroupKey {
    fn eq(&self, other: &GroupKey) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for GroupKey {}

impl std::hash::Hash for GroupKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.0) as usize).hash(state);
    }
}

pub(crate) struct TypeRegistry {
    /// The first id of each interned group, and the next free id. Taken
    /// to intern only.
    ids: Mutex<(HashMap<GroupKey, u32>, u32)>,
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
    /// dense and never reused (types are small and few); a group's members
    /// have consecutive ids.
    pub fn intern(&self, ty: &FuncType) -> u32 {
        let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        self.intern_group(&mut ids, ty.group()) + ty.index_in_group()
    }

    /// The first id of `group`'s members, interning it (and the groups of
    /// its members' supertypes, first) if it is new.
    fn intern_group(&self, ids: &mut (HashMap<GroupKey, u32>, u32), group: &Arc<RecGroup>) -> u32 {
        if let Some(&first) = ids.0.get(&GroupKey(group.clone())) {
            return first;
        }
        let n = group.len();
        let members: Vec<FuncType> = (0..n).map(|i| FuncType::member(group, i)).collect();
        // Supertypes outside the group are in earlier groups: interned
        // before this one's ids are taken, so the recursion ends.
        let outer: Vec<Option<u32>> = members
            .iter()
            .map(|t| match t.supertype() {
                Some(s) if !Arc::ptr_eq(s.group(), group) => {
                    Some(self.intern_group(ids, s.group()) + s.index_in_group())
                }
                _ => None,
            })
            .collect();
        let first = ids.1;
        for (i, ty) in members.into_iter().enumerate() {
            let supertype = match ty.supertype() {
                Some(s) if Arc::ptr_eq(s.group(), group) => Some(first + s.index_in_group()),
                _ => outer[i],
            };
            let id = first + i as u32;
            let (k, i) = locate(id);
            let chunk = self.chunks[k].get_or_init(|| {
                (0..FIRST_CHUNK << k)
                    .map(|_| OnceLock::new())
                    .collect::<Box<[_]>>()
            });
            let entry = Entry {
                ty,
                supertype,
                trampolines: OnceLock::new(),
            };
            assert!(chunk[i].set(entry).is_ok(), "type id {id} interned twice");
        }
        // Published only now, so a reader given an id finds its entry.
        ids.1 += n;
        ids.0.insert(GroupKey(group.clone()), first);
        first
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

    /// Whether interned type `sub` is interned type `sup` or declares it
    /// as a supertype, directly or not. Lock-free: a chain of loads.
    pub fn is_subtype(&self, sub: u32, sup: u32) -> bool {
        let mut id = sub;
        loop {
            if id == sup {
                return true;
            }
            match self.entry(id).supertype {
                Some(s) => id = s,
                None => return false,
            }
        }
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

    /// The ids `reg` gives the types of module `wat`'s type section.
    fn ids(reg: &TypeRegistry, wat: &str) -> Vec<u32> {
        let wasm = wat::parse_str(format!("(module {wat})")).unwrap();
        let info = crate::parse::parse(&wasm, &crate::Features::ALL, false).unwrap();
        info.types.iter().map(|t| reg.intern(t)).collect()
    }

    /// The type sections `a` and `b`, of two modules, get the same ids
    /// (`same`), or their last types get different ids.
    fn check(a: &str, b: &str, same: bool) {
        let reg = TypeRegistry::default();
        let (ia, ib) = (ids(&reg, a), ids(&reg, b));
        if same {
            assert_eq!(ia, ib, "{a} / {b}");
        } else {
            assert_ne!(ia.last(), ib.last(), "{a} / {b}");
        }
    }

    #[test]
    fn rec_groups_are_canonical_across_modules() {
        let pair = "(rec (type (func)) (type (func (param i32))))";
        let cycle = "(rec (type $a (func (param (ref $b)))) (type $b (func (param (ref $a)))))";
        check(pair, pair, true);
        check(cycle, cycle, true);
        check(
            "(type (func (param i32)))",
            "(type (func (param i32)))",
            true,
        );
        // Names do not matter, positions and structure do.
        check(
            "(rec (type $x (func (result (ref null $x)))))",
            "(rec (type $y (func (result (ref null $y)))))",
            true,
        );
        // A type naming an earlier group names it by identity: equal
        // groups make equal types.
        let outer = "(rec (type $a (func)) (type $b (func))) (type (func (param (ref $b))))";
        check(outer, outer, true);
        // Permuted, or another grouping, or other finality: other types.
        check(pair, "(rec (type (func (param i32))) (type (func)))", false);
        check(pair, "(type (func)) (type (func (param i32)))", false);
        check("(type (sub (func)))", "(type (func))", false);
        check(
            "(rec (type $a (func)) (type $b (func))) (type (func (param (ref $a))))",
            "(rec (type $a (func)) (type $b (func))) (type (func (param (ref $b))))",
            false,
        );
        check(
            cycle,
            "(rec (type $a (func (param (ref $a)))) (type $b (func (param (ref $a)))))",
            false,
        );
    }

    #[test]
    fn supertypes_are_walked_by_id() {
        let reg = TypeRegistry::default();
        let i = ids(
            &reg,
            "(type $a (sub (func))) (type $b (sub $a (func))) (type $c (sub $b (func))) \
             (type $d (sub (func (param i32))))",
        );
        let (a, b, c, d) = (i[0], i[1], i[2], i[3]);
        assert_eq!(i, [0, 1, 2, 3]);
        for (sub, sup, is) in [
            (c, a, true),
            (c, b, true),
            (b, a, true),
            (a, a, true),
            (a, b, false),
            (d, a, false),
            (a, d, false),
        ] {
            assert_eq!(reg.is_subtype(sub, sup), is, "{sub} <: {sup}");
        }
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
