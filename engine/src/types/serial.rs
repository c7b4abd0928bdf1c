//! How types are written into artifacts: the module's type section as its
//! rec groups (`SerialGroup`, members naming each other by position in the
//! group and earlier types by module index), and every other function type
//! (in value, table, global and tag types) as the index of a module type
//! equal to it. Writing a type out in full would not end for a recursive
//! one, and could repeat a shared one exponentially often.
//!
//! A `FuncType` is serialized only inside `with_module_types`, which says
//! which module's index space it is written in or read from; outside it,
//! serializing one is an error.

use super::{FuncType, GroupValType, HeapType, RecGroup, RefType, SubType, TypeRef, ValType};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de, ser};
use std::cell::RefCell;
use std::collections::HashMap;

struct Context {
    types: Vec<FuncType>,
    /// The first module index of each type.
    index: HashMap<FuncType, u32>,
}

thread_local! {
    static CONTEXT: RefCell<Option<Context>> = const { RefCell::new(None) };
}

/// Runs `f` with function types serialized as indices of `types`.
pub(crate) fn with_module_types<R>(types: &[FuncType], f: impl FnOnce() -> R) -> R {
    let mut index = HashMap::new();
    for (i, t) in types.iter().enumerate() {
        index.entry(t.clone()).or_insert(i as u32);
    }
    let context = Context {
        types: types.to_vec(),
        index,
    };
    let outer = CONTEXT.with(|c| c.replace(Some(context)));
    // Restores the outer context however `f` ends.
    struct Restore(Option<Context>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0.take();
            CONTEXT.with(|c| *c.borrow_mut() = outer);
        }
    }
    let _restore = Restore(outer);
    f()
}

impl Serialize for FuncType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let index = CONTEXT.with(|c| {
            let c = c.borrow();
            let c = c.as_ref().ok_or_else(|| {
                ser::Error::custom("a function type is serialized only with its module's types")
            })?;
            c.index
                .get(self)
                .copied()
                .ok_or_else(|| ser::Error::custom(format!("type {self} is not a module type")))
        })?;
        s.serialize_u32(index)
    }
}

impl<'de> Deserialize<'de> for FuncType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FuncType, D::Error> {
        let index = u32::deserialize(d)?;
        CONTEXT.with(|c| {
            let c = c.borrow();
            let c = c.as_ref().ok_or_else(|| {
                de::Error::custom("a function type is deserialized only with its module's types")
            })?;
            c.types
                .get(index as usize)
                .cloned()
                .ok_or_else(|| de::Error::custom(format!("type index {index} out of range")))
        })
    }
}

/// A rec group of a module's type section, as written.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SerialGroup {
    types: Vec<SerialSubType>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SerialSubType {
    is_final: bool,
    supertype: Option<SerialRef>,
    params: Vec<SerialVal>,
    results: Vec<SerialVal>,
}

#[derive(Debug, Serialize, Deserialize)]
enum SerialRef {
    /// A member of the same group, by position.
    Rec(u32),
    /// An earlier type of the module, by index.
    Module(u32),
}

#[derive(Debug, Serialize, Deserialize)]
enum SerialVal {
    I32,
    I64,
    F32,
    F64,
    V128,
    Func(bool),
    Extern(bool),
    Exn(bool),
    Concrete(bool, SerialRef),
}

impl SerialGroup {
    /// The rec groups of a module whose type section is `types`.
    pub fn of_module(types: &[FuncType]) -> Result<Vec<SerialGroup>, String> {
        let mut index = HashMap::new();
        for (i, t) in types.iter().enumerate() {
            index.entry(t.clone()).or_insert(i as u32);
        }
        let outer = |t: &FuncType| -> Result<SerialRef, String> {
            index
                .get(t)
                .map(|&i| SerialRef::Module(i))
                .ok_or_else(|| format!("type {t} names a type outside the module"))
        };
        let val = |v: &GroupValType| -> Result<SerialVal, String> {
            Ok(match v {
                GroupValType::Rec { nullable, index } => {
                    SerialVal::Concrete(*nullable, SerialRef::Rec(*index))
                }
                GroupValType::Val(v) => match v {
                    ValType::I32 => SerialVal::I32,
                    ValType::I64 => SerialVal::I64,
                    ValType::F32 => SerialVal::F32,
                    ValType::F64 => SerialVal::F64,
                    ValType::V128 => SerialVal::V128,
                    ValType::Ref(r) => match r.heap_type() {
                        HeapType::Func => SerialVal::Func(r.is_nullable()),
                        HeapType::Extern => SerialVal::Extern(r.is_nullable()),
                        HeapType::Exn => SerialVal::Exn(r.is_nullable()),
                        HeapType::ConcreteFunc(t) => {
                            SerialVal::Concrete(r.is_nullable(), outer(t)?)
                        }
                    },
                },
            })
        };
        let mut groups = Vec::new();
        let mut i = 0;
        while i < types.len() {
            let group = types[i].group();
            let n = group.len() as usize;
            let whole = types.len() - i >= n
                && (0..n).all(|j| {
                    let t = &types[i + j];
                    std::sync::Arc::ptr_eq(t.group(), group) && t.index_in_group() as usize == j
                });
            if !whole {
                return Err(format!("type {i} does not start a whole rec group"));
            }
            let mut members = Vec::with_capacity(n);
            for j in 0..n as u32 {
                let sub = group.member(j);
                members.push(SerialSubType {
                    is_final: sub.is_final,
                    supertype: match &sub.supertype {
                        None => None,
                        Some(TypeRef::Rec(s)) => Some(SerialRef::Rec(*s)),
                        Some(TypeRef::Outer(t)) => Some(outer(t)?),
                    },
                    params: sub.params.iter().map(val).collect::<Result<_, _>>()?,
                    results: sub.results.iter().map(val).collect::<Result<_, _>>()?,
                });
            }
            groups.push(SerialGroup { types: members });
            i += n;
        }
        Ok(groups)
    }

    /// The type section `groups` describe, each group checked as the
    /// parser's are (`RecGroup::intern`).
    pub fn build(groups: Vec<SerialGroup>) -> Result<Vec<FuncType>, String> {
        let mut types: Vec<FuncType> = Vec::new();
        for group in groups {
            let start = types.len();
            let outer = |i: u32| -> Result<FuncType, String> {
                types
                    .get(i as usize)
                    .cloned()
                    .ok_or_else(|| format!("type {start} names type {i}, not an earlier one"))
            };
            let r = |r: SerialRef| -> Result<TypeRef, String> {
                Ok(match r {
                    SerialRef::Rec(i) => TypeRef::Rec(i),
                    SerialRef::Module(i) => TypeRef::Outer(outer(i)?),
                })
            };
            let val = |v: SerialVal| -> Result<GroupValType, String> {
                let reference = |nullable, heap| ValType::Ref(RefType::new(nullable, heap));
                Ok(GroupValType::Val(match v {
                    SerialVal::I32 => ValType::I32,
                    SerialVal::I64 => ValType::I64,
                    SerialVal::F32 => ValType::F32,
                    SerialVal::F64 => ValType::F64,
                    SerialVal::V128 => ValType::V128,
                    SerialVal::Func(n) => reference(n, HeapType::Func),
                    SerialVal::Extern(n) => reference(n, HeapType::Extern),
                    SerialVal::Exn(n) => reference(n, HeapType::Exn),
                    SerialVal::Concrete(nullable, t) => match r(t)? {
                        TypeRef::Rec(index) => return Ok(GroupValType::Rec { nullable, index }),
                        TypeRef::Outer(t) => reference(nullable, HeapType::ConcreteFunc(t)),
                    },
                }))
            };
            let mut members = Vec::with_capacity(group.types.len());
            for sub in group.types {
                members.push(SubType {
                    is_final: sub.is_final,
                    supertype: sub.supertype.map(r).transpose()?,
                    params: sub.params.into_iter().map(val).collect::<Result<_, _>>()?,
                    results: sub.results.into_iter().map(val).collect::<Result<_, _>>()?,
                });
            }
            if members.is_empty() {
                // An empty `(rec)` declares no type.
                continue;
            }
            let n = members.len() as u32;
            let group = RecGroup::intern(members)?;
            types.extend((0..n).map(|i| FuncType::member(&group, i)));
        }
        Ok(types)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(supertype: Option<SerialRef>, params: Vec<SerialVal>) -> SerialSubType {
        SerialSubType {
            is_final: false,
            supertype,
            params,
            results: vec![],
        }
    }

    /// `groups` build into a type section, or fail with an error
    /// containing `expected`.
    fn check(groups: Vec<Vec<SerialSubType>>, expected: Result<usize, &str>) {
        let groups = groups
            .into_iter()
            .map(|types| SerialGroup { types })
            .collect();
        match (SerialGroup::build(groups), expected) {
            (Ok(types), Ok(n)) => {
                assert_eq!(types.len(), n);
                // Written back out and read again: the same types.
                let again = SerialGroup::build(SerialGroup::of_module(&types).unwrap()).unwrap();
                assert_eq!(again, types);
            }
            (Err(e), Err(m)) => assert!(e.contains(m), "{e}"),
            (got, want) => panic!("{got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn groups_from_artifacts_are_checked() {
        use SerialRef::{Module, Rec};
        use SerialVal::{Concrete, Func, I32};
        let recursive = || sub(None, vec![Concrete(true, Rec(1))]);
        check(vec![vec![recursive(), recursive()]], Ok(2));
        check(
            vec![vec![sub(None, vec![])], vec![sub(Some(Module(0)), vec![])]],
            Ok(2),
        );
        // A parameter may be a supertype of the supertype's.
        check(
            vec![vec![
                sub(None, vec![Concrete(false, Rec(0))]),
                sub(Some(Rec(0)), vec![Func(true)]),
            ]],
            Ok(2),
        );
        check(
            vec![vec![recursive()]],
            Err("names member 1 of a group of 1"),
        );
        check(
            vec![vec![sub(Some(Rec(0)), vec![])]],
            Err("not an earlier member"),
        );
        check(
            vec![vec![sub(Some(Module(0)), vec![])]],
            Err("names type 0"),
        );
        check(
            vec![vec![sub(None, vec![]), sub(Some(Rec(0)), vec![I32])]],
            Err("does not match its supertype"),
        );
        let mut final_super = sub(None, vec![]);
        final_super.is_final = true;
        check(
            vec![vec![final_super, sub(Some(Rec(0)), vec![])]],
            Err("does not match its supertype"),
        );
    }
}
