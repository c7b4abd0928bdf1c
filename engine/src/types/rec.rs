//! Recursion groups (the GC proposal's `rec`): the unit of type identity.
//!
//! Wasm 3.0's type equality is iso-recursive: two function types are equal
//! when their whole rec groups are equal, member by member, with references
//! to members of the same group compared by position in it (`Rec`), and
//! they sit at the same position. A type outside the group is named by its
//! canonical `FuncType` (`Outer`); a group may name only earlier groups, so
//! the structure of groups is a finite DAG.
//!
//! Groups are hash-consed process-wide (`RecGroup::intern`): two groups with
//! equal members are the same `Arc`. Members name outer types by their
//! canonical `FuncType`, whose equality is then pointer equality, so
//! comparing or hashing a group is shallow (never a walk of the DAG, which
//! could be exponential in the number of groups) and `FuncType`'s `==` is
//! type equality at the cost of a pointer compare. The table holds groups
//! weakly: a group lives as long as a type of it (or of a group naming it)
//! is held.

use super::{FuncType, HeapType, RefType, ValType};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, LazyLock, Mutex, Weak};

/// A type named from inside a group: a member of the same group by
/// position, or a type of an earlier group.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum TypeRef {
    Outer(FuncType),
    Rec(u32),
}

/// A value type as a group member holds it: one naming no member of its
/// own group, or a reference to the member at `index`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum GroupValType {
    Val(ValType),
    Rec { nullable: bool, index: u32 },
}

/// A member of a group: a function type, its finality and its declared
/// supertype.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SubType {
    pub is_final: bool,
    pub supertype: Option<TypeRef>,
    pub params: Box<[GroupValType]>,
    pub results: Box<[GroupValType]>,
}

/// A canonical rec group: see the module doc.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct RecGroup {
    types: Box<[SubType]>,
}

/// The canonical groups, by the hash of their members.
struct Table {
    groups: HashMap<u64, Vec<Weak<RecGroup>>>,
    /// Inserts since the last sweep of dead entries.
    inserts: usize,
    /// The buckets the last sweep left.
    swept: usize,
    /// Sweeps so far (for the test that they stay rare).
    sweeps: u64,
}

static TABLE: LazyLock<Mutex<Table>> = LazyLock::new(|| {
    Mutex::new(Table {
        groups: HashMap::new(),
        inserts: 0,
        swept: 0,
        sweeps: 0,
    })
});

impl RecGroup {
    /// The canonical group of `types`, after checking what validation
    /// guarantees of a group (so that a group decoded from an artifact
    /// cannot make a type its own supertype, or a subtype of a type it
    /// does not match): every `Rec` index names a member, a supertype
    /// in the group comes before its subtype, a supertype is not final,
    /// and a subtype's parameters are supertypes of its supertype's and
    /// its results subtypes of its supertype's.
    pub fn intern(types: Vec<SubType>) -> Result<Arc<RecGroup>, String> {
        let n = types.len() as u32;
        for (i, t) in types.iter().enumerate() {
            for v in t.params.iter().chain(t.results.iter()) {
                if let GroupValType::Rec { index, .. } = v
                    && *index >= n
                {
                    return Err(format!("type {i} names member {index} of a group of {n}"));
                }
            }
            if let Some(TypeRef::Rec(s)) = t.supertype
                && s as usize >= i
            {
                return Err(format!("type {i} has supertype {s}, not an earlier member"));
            }
        }
        let group = RecGroup::canonical(types);
        for index in 0..n {
            let ty = FuncType::member(&group, index);
            if let Some(sup) = ty.supertype() {
                let ok = !sup.is_final()
                    && sup.params().len() == ty.params().len()
                    && sup.results().len() == ty.results().len()
                    && ty
                        .params()
                        .iter()
                        .zip(sup.params())
                        .all(|(a, b)| b.matches(a))
                    && ty
                        .results()
                        .iter()
                        .zip(sup.results())
                        .all(|(a, b)| a.matches(b));
                if !ok {
                    return Err(format!("type {ty} does not match its supertype {sup}"));
                }
            }
        }
        Ok(group)
    }

    /// The group of one final function type without supertype, naming no
    /// other member: what `FuncType::new` makes (and any type declared
    /// outside an explicit `rec` and `sub`).
    pub fn single(params: &[ValType], results: &[ValType]) -> Arc<RecGroup> {
        let val = |v: &ValType| GroupValType::Val(v.clone());
        RecGroup::canonical(vec![SubType {
            is_final: true,
            supertype: None,
            params: params.iter().map(val).collect(),
            results: results.iter().map(val).collect(),
        }])
    }

    fn canonical(types: Vec<SubType>) -> Arc<RecGroup> {
        let group = RecGroup {
            types: types.into(),
        };
        let mut hasher = DefaultHasher::new();
        group.hash(&mut hasher);
        let hash = hasher.finish();
        let mut table = TABLE.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = table.groups.entry(hash).or_default();
        bucket.retain(|w| w.strong_count() > 0);
        if let Some(found) = bucket
            .iter()
            .filter_map(Weak::upgrade)
            .find(|g| **g == group)
        {
            return found;
        }
        let group = Arc::new(group);
        bucket.push(Arc::downgrade(&group));
        table.inserts += 1;
        // Sweep the buckets of groups no longer held now and then, so the
        // table stays in proportion to the live groups: once the inserts
        // since the last sweep outnumber what it left, which keeps the
        // sweeps' cost a constant per insert.
        if table.inserts > table.swept.max(1024) {
            table.groups.retain(|_, b| {
                b.retain(|w| w.strong_count() > 0);
                !b.is_empty()
            });
            table.inserts = 0;
            table.swept = table.groups.len();
            table.sweeps += 1;
        }
        group
    }

    pub fn len(&self) -> u32 {
        self.types.len() as u32
    }

    pub fn member(&self, index: u32) -> &SubType {
        &self.types[index as usize]
    }

    /// Whether a member names a member of the group (so that writing a
    /// type out in full would not end).
    pub fn is_recursive(&self) -> bool {
        self.types.iter().any(|t| {
            t.params
                .iter()
                .chain(t.results.iter())
                .any(|v| matches!(v, GroupValType::Rec { .. }))
        })
    }

    /// `v` with a reference to a member of `group` as that member's type.
    pub fn unroll(group: &Arc<RecGroup>, v: &GroupValType) -> ValType {
        match v {
            GroupValType::Val(v) => v.clone(),
            &GroupValType::Rec { nullable, index } => ValType::Ref(RefType::new(
                nullable,
                HeapType::ConcreteFunc(FuncType::member(group, index)),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{RecGroup, TABLE};
    use crate::ValType;
    use std::sync::Arc;

    /// Groups created and dropped one after another, each different (a
    /// process compiling module after module), leave the table bounded:
    /// dead entries are swept, not kept forever, and not on every insert
    /// either (a sweep visits the whole table).
    #[test]
    fn dead_groups_are_swept() {
        let sweeps = || TABLE.lock().unwrap().sweeps;
        let before = sweeps();
        // A group held throughout stays the canonical one: sweeps drop
        // only the entries of dropped groups.
        let held = RecGroup::single(&vec![ValType::V128; 13], &[]);
        let kinds = [ValType::I32, ValType::I64, ValType::F32, ValType::F64];
        for i in 0..6000usize {
            // Twelve parameters, `i` in base 4: all different.
            let params: Vec<ValType> = (0..12).map(|d| kinds[(i >> (2 * d)) & 3].clone()).collect();
            drop(RecGroup::single(&params, &[ValType::I32, ValType::I64]));
        }
        let buckets = TABLE.lock().unwrap().groups.len();
        // Other tests' groups are live meanwhile, but far fewer than this.
        assert!(
            buckets < 3000,
            "{buckets} buckets for at most a few hundred live groups"
        );
        // One sweep per 1,025 inserts or so (other tests insert too).
        let swept = sweeps() - before;
        assert!(
            (4..=10).contains(&swept),
            "{swept} sweeps for 6,000 inserts"
        );
        let again = RecGroup::single(&vec![ValType::V128; 13], &[]);
        assert!(Arc::ptr_eq(&held, &again), "a live group was swept");
    }
}
