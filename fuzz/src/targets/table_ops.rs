//! `table_ops`: externrefs and funcrefs flowing between host and wasm —
//! through tables (set, get, grow, fill, copy, from wasm and from the
//! API), a global, and host functions that receive, create and return
//! references — checked against a model of every slot.
//!
//! Checks: every reference read (by wasm or by the host) is the one the
//! model says is there; `call_indirect` calls the function the model says;
//! out-of-bounds operations trap and change nothing; no host value is
//! dropped while its store lives, and all of them, and every host
//! closure, are dropped with the store (counted through `Drop`).

use crate::generate::EngineKnobs;
use crate::say;
use arbitrary::{Arbitrary, Result, Unstructured};
use kiln::{
    Caller, Engine, ExternRef, Func, FuncType, Instance, Linker, Module, Store, Table, Trap,
    TrapCode, Val, ValType,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const WAT: &str = r#"(module
  (type $r_i (func (result i32)))
  (import "host" "take" (func $take (param externref)))
  (import "host" "make" (func $make (param i32) (result externref)))
  (import "host" "pass" (func $pass (param externref) (result externref)))
  (table $r (export "refs") 4 32 externref)
  (table $f (export "funcs") 2 16 funcref)
  (global $g (export "g") (mut externref) (ref.null extern))
  (elem declare func $k1 $k2)
  (func $k1 (result i32) i32.const 1)
  (func $k2 (result i32) i32.const 2)
  (func (export "set") (param i32 externref) local.get 0 local.get 1 table.set $r)
  (func (export "get") (param i32) (result externref) local.get 0 table.get $r)
  (func (export "grow") (param externref i32) (result i32) local.get 0 local.get 1 table.grow $r)
  (func (export "fill") (param i32 externref i32)
    local.get 0 local.get 1 local.get 2 table.fill $r)
  (func (export "copy") (param i32 i32 i32)
    local.get 0 local.get 1 local.get 2 table.copy $r $r)
  (func (export "size") (result i32) table.size $r)
  (func (export "to_global") (param i32) local.get 0 table.get $r global.set $g)
  (func (export "from_global") (param i32) local.get 0 global.get $g table.set $r)
  (func (export "give_host") (param i32) local.get 0 table.get $r call $take)
  (func (export "make_at") (param i32 i32) local.get 0 local.get 1 call $make table.set $r)
  (func (export "through_host") (param i32)
    local.get 0 local.get 0 table.get $r call $pass table.set $r)
  (func (export "is_null") (param i32) (result i32) local.get 0 table.get $r ref.is_null)
  (func (export "fset") (param i32 funcref) local.get 0 local.get 1 table.set $f)
  (func (export "fget") (param i32) (result funcref) local.get 0 table.get $f)
  (func (export "fcall") (param i32) (result i32) local.get 0 call_indirect $f (type $r_i))
  (func (export "put_k") (param i32 i32)
    local.get 0
    (if (result funcref) (local.get 1) (then ref.func $k1) (else ref.func $k2))
    table.set $f)
  (func (export "fgrow") (param funcref i32) (result i32) local.get 0 local.get 1 table.grow $f)
  (func (export "ffill") (param i32 funcref i32)
    local.get 0 local.get 1 local.get 2 table.fill $f)
  (func (export "fcopy") (param i32 i32 i32)
    local.get 0 local.get 1 local.get 2 table.copy $f $f)
  (func (export "fsize") (result i32) table.size $f))"#;

/// A host value wasm holds as an externref: its id, and a shared counter
/// of drops.
struct Tracked {
    id: u32,
    drops: Arc<AtomicUsize>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// The store's host state.
struct Host {
    drops: Arc<AtomicUsize>,
    /// Host values created so far.
    created: usize,
    /// What `take` was given, in order (`None`: null).
    taken: Vec<Option<u32>>,
}

fn tracked(mut store: impl kiln::AsContextMut<Data = Host>, id: u32) -> ExternRef {
    let drops = store.as_context_mut().data().drops.clone();
    store.as_context_mut().data_mut().created += 1;
    ExternRef::new(store, Tracked { id, drops })
}

/// The id of an externref, checking that its host value is alive.
fn id_of(store: &impl kiln::AsContext, r: Option<ExternRef>) -> Option<u32> {
    r.map(|r| {
        r.data(store)
            .expect("externref of this store")
            .downcast_ref::<Tracked>()
            .expect("every payload is Tracked")
            .id
    })
}

/// What a funcref slot holds, as the model sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum F {
    Null,
    /// The module's `$k1` / `$k2`, returning 1 / 2.
    K(i32),
    /// Host function `n` of the pool, returning `100 + n`.
    Host(i32),
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// Host creates a value and stores it with `Table::set`.
    HostSet {
        index: u8,
        id: u8,
    },
    /// Wasm stores a host-created value (or null) with `table.set`.
    WasmSet {
        index: u8,
        id: Option<u8>,
    },
    Get {
        index: u8,
        via_api: bool,
    },
    Grow {
        delta: u8,
        id: Option<u8>,
        via_api: bool,
    },
    Fill {
        dst: u8,
        id: Option<u8>,
        len: u8,
    },
    Copy {
        dst: u8,
        src: u8,
        len: u8,
    },
    ToGlobal {
        index: u8,
    },
    FromGlobal {
        index: u8,
    },
    GlobalApi {
        id: Option<u8>,
    },
    GiveHost {
        index: u8,
    },
    MakeAt {
        index: u8,
        id: u8,
    },
    ThroughHost {
        index: u8,
    },
    PutK {
        index: u8,
        one: bool,
    },
    FSetHost {
        index: u8,
        host: u8,
        via_api: bool,
    },
    FCall {
        index: u8,
    },
    FGet {
        index: u8,
        via_api: bool,
    },
    FGrow {
        delta: u8,
        k: bool,
    },
    FFill {
        dst: u8,
        len: u8,
        k: bool,
    },
    FCopy {
        dst: u8,
        src: u8,
        len: u8,
    },
}

struct Run {
    store: Store<Host>,
    instance: Instance,
    refs: Table,
    funcs: Table,
    /// Host functions `n` returning `100 + n`.
    host_funcs: Vec<Func>,
    /// Model: the externref table, the global, the funcref table.
    m_refs: Vec<Option<u32>>,
    m_global: Option<u32>,
    m_funcs: Vec<F>,
    /// Model: what `take` has been given.
    m_taken: Vec<Option<u32>>,
    fuel: bool,
}

impl Run {
    fn call(&mut self, name: &str, args: &[Val], results: usize) -> anyhow::Result<Vec<Val>> {
        let f = self
            .instance
            .get_func(&mut self.store, name)
            .unwrap_or_else(|| panic!("export {name}"));
        let ty = f.ty(&self.store);
        let mut out: Vec<Val> = ty.results().iter().map(crate::generate::zero_val).collect();
        assert_eq!(out.len(), results);
        if self.fuel {
            self.store.set_fuel(1_000_000).unwrap();
        }
        f.call(&mut self.store, args, &mut out)?;
        Ok(out)
    }

    fn ext(&mut self, id: Option<u8>) -> Val {
        Val::ExternRef(id.map(|id| tracked(&mut self.store, u32::from(id))))
    }
}

fn expect_trap(r: anyhow::Result<Vec<Val>>, code: TrapCode, what: &str) {
    match r {
        Err(e) => match e.downcast_ref::<Trap>() {
            Some(t) => assert_eq!(t.code(), code, "{what}: wrong trap"),
            None => panic!("{what}: not a trap: {e:#}"),
        },
        Ok(v) => panic!("{what}: expected a trap ({code:?}), returned {v:?}"),
    }
}

fn in_bounds(start: u32, len: u32, size: usize) -> bool {
    (start as u64) + (len as u64) <= size as u64
}

pub fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let knobs = EngineKnobs::arbitrary(&mut u, false)?;
    say!("table_ops: {knobs:?}");
    let drops = Arc::new(AtomicUsize::new(0));
    let created;
    {
        let engine = Engine::new(&knobs.config()).expect("generated configs are supported");
        let module = Module::new(&engine, WAT).expect("table_ops module compiles");
        let mut store = knobs.store(
            &engine,
            Host {
                drops: drops.clone(),
                created: 0,
                taken: Vec::new(),
            },
        );
        // Host functions over `Val`s, since externrefs are not `WasmTy`.
        let mut linker = Linker::new(&engine);
        linker
            .func_new(
                "host",
                "take",
                FuncType::new([ValType::EXTERNREF], []),
                |mut caller: Caller<'_, Host>, args, _| {
                    let Val::ExternRef(r) = args[0] else {
                        anyhow::bail!("take: not an externref")
                    };
                    let id = id_of(&caller, r);
                    caller.data_mut().taken.push(id);
                    Ok(())
                },
            )
            .unwrap()
            .func_new(
                "host",
                "make",
                FuncType::new([ValType::I32], [ValType::EXTERNREF]),
                |mut caller: Caller<'_, Host>, args, results| {
                    let id = args[0].unwrap_i32() as u32;
                    results[0] = Val::ExternRef(Some(tracked(&mut caller, id)));
                    Ok(())
                },
            )
            .unwrap()
            .func_new(
                "host",
                "pass",
                FuncType::new([ValType::EXTERNREF], [ValType::EXTERNREF]),
                |_, args, results| {
                    results[0] = args[0];
                    Ok(())
                },
            )
            .unwrap();
        if knobs.consume_fuel {
            store.set_fuel(1_000_000).unwrap();
        }
        let instance = linker
            .instantiate(&mut store, &module)
            .expect("table_ops module instantiates");
        let refs = instance.get_table(&mut store, "refs").unwrap();
        let funcs = instance.get_table(&mut store, "funcs").unwrap();
        let host_funcs = (0..4)
            .map(|n| Func::wrap(&mut store, move || 100 + n))
            .collect();
        let mut run = Run {
            store,
            instance,
            refs,
            funcs,
            host_funcs,
            m_refs: vec![None; 4],
            m_global: None,
            m_funcs: vec![F::Null; 2],
            m_taken: Vec::new(),
            fuel: knobs.consume_fuel,
        };
        let mut steps = 0;
        while !u.is_empty() && steps < 100 {
            steps += 1;
            let op: Op = u.arbitrary()?;
            say!("op: {op:?}");
            apply(&mut run, op);
            assert_eq!(
                drops.load(Ordering::SeqCst),
                0,
                "a host value was dropped early"
            );
        }
        // Everything the model holds is still there.
        for i in 0..run.m_refs.len() {
            let got = run.refs.get(&mut run.store, i as u64).expect("in bounds");
            let Val::ExternRef(r) = got else {
                panic!("externref table")
            };
            assert_eq!(id_of(&run.store, r), run.m_refs[i], "slot {i} at the end");
        }
        assert_eq!(
            run.store.data().taken,
            run.m_taken,
            "what the host was given"
        );
        created = run.store.data().created;
        // Drop order varies: the store last or first.
        if u.arbitrary().unwrap_or(false) {
            drop(module);
            drop(engine);
            drop(run);
        } else {
            drop(run);
            drop(linker);
        }
    }
    assert_eq!(
        drops.load(Ordering::SeqCst),
        created,
        "host values leaked: {created} created"
    );
    // Every clone of `drops` (in host values and in the store's data)
    // is gone.
    assert_eq!(Arc::strong_count(&drops), 1, "host state leaked");
    Ok(())
}

fn apply(r: &mut Run, op: Op) {
    let idx = |i: u8| u32::from(i % 40);
    match op {
        Op::HostSet { index, id } => {
            let i = idx(index);
            let v = r.ext(Some(id));
            let set = r.refs.set(&mut r.store, i.into(), v);
            assert_eq!(set.is_ok(), (i as usize) < r.m_refs.len(), "{set:?}");
            if set.is_ok() {
                r.m_refs[i as usize] = Some(u32::from(id));
            }
        }
        Op::WasmSet { index, id } => {
            let i = idx(index);
            let v = r.ext(id);
            let res = r.call("set", &[Val::I32(i as i32), v], 0);
            if (i as usize) < r.m_refs.len() {
                res.expect("table.set in bounds");
                r.m_refs[i as usize] = id.map(u32::from);
            } else {
                expect_trap(res, TrapCode::TableOutOfBounds, "table.set");
            }
        }
        Op::Get { index, via_api } => {
            let i = idx(index);
            let ok = (i as usize) < r.m_refs.len();
            let got = if via_api {
                match r.refs.get(&mut r.store, i.into()) {
                    Some(v) => Some(v),
                    None => {
                        assert!(!ok, "Table::get in bounds returned None");
                        None
                    }
                }
            } else {
                let res = r.call("get", &[Val::I32(i as i32)], 1);
                if ok {
                    Some(res.expect("table.get in bounds")[0])
                } else {
                    expect_trap(res, TrapCode::TableOutOfBounds, "table.get");
                    None
                }
            };
            if let Some(v) = got {
                let Val::ExternRef(e) = v else {
                    panic!("not an externref: {v:?}")
                };
                assert_eq!(id_of(&r.store, e), r.m_refs[i as usize], "slot {i}");
                let null = r.call("is_null", &[Val::I32(i as i32)], 1).unwrap()[0];
                assert_eq!(null.unwrap_i32() == 1, e.is_none());
            }
        }
        Op::Grow { delta, id, via_api } => {
            let delta = u32::from(delta % 12);
            let v = r.ext(id);
            let old = r.m_refs.len();
            let fits = old + delta as usize <= 32;
            if via_api {
                let res = r.refs.grow(&mut r.store, delta.into(), v);
                assert_eq!(res.is_ok(), fits, "Table::grow: {res:?}");
                if let Ok(prev) = res {
                    assert_eq!(prev as usize, old);
                }
            } else {
                let res = r.call("grow", &[v, Val::I32(delta as i32)], 1).unwrap();
                let want = if fits { old as i32 } else { -1 };
                assert_eq!(res[0].unwrap_i32(), want, "table.grow");
            }
            if fits {
                r.m_refs
                    .extend(std::iter::repeat_n(id.map(u32::from), delta as usize));
            }
            assert_eq!(r.refs.size(&r.store) as usize, r.m_refs.len());
            let size = r.call("size", &[], 1).unwrap()[0].unwrap_i32();
            assert_eq!(size as usize, r.m_refs.len());
        }
        Op::Fill { dst, id, len } => {
            let (d, n) = (idx(dst), u32::from(len % 16));
            let v = r.ext(id);
            let res = r.call("fill", &[Val::I32(d as i32), v, Val::I32(n as i32)], 0);
            if in_bounds(d, n, r.m_refs.len()) {
                res.expect("table.fill in bounds");
                for s in &mut r.m_refs[d as usize..(d + n) as usize] {
                    *s = id.map(u32::from);
                }
            } else {
                expect_trap(res, TrapCode::TableOutOfBounds, "table.fill");
            }
        }
        Op::Copy { dst, src, len } => {
            let (d, s, n) = (idx(dst), idx(src), u32::from(len % 16));
            let args = [Val::I32(d as i32), Val::I32(s as i32), Val::I32(n as i32)];
            let res = r.call("copy", &args, 0);
            let len = r.m_refs.len();
            if in_bounds(d, n, len) && in_bounds(s, n, len) {
                res.expect("table.copy in bounds");
                let src: Vec<_> = r.m_refs[s as usize..(s + n) as usize].to_vec();
                r.m_refs[d as usize..(d + n) as usize].copy_from_slice(&src);
            } else {
                expect_trap(res, TrapCode::TableOutOfBounds, "table.copy");
            }
        }
        Op::ToGlobal { index } => {
            let i = idx(index);
            let res = r.call("to_global", &[Val::I32(i as i32)], 0);
            if (i as usize) < r.m_refs.len() {
                res.expect("to_global in bounds");
                r.m_global = r.m_refs[i as usize];
            } else {
                expect_trap(res, TrapCode::TableOutOfBounds, "to_global");
            }
            let g = r.instance.get_global(&mut r.store, "g").unwrap();
            let Val::ExternRef(e) = g.get(&mut r.store) else {
                panic!("externref global")
            };
            assert_eq!(id_of(&r.store, e), r.m_global, "global");
        }
        Op::FromGlobal { index } => {
            let i = idx(index);
            let res = r.call("from_global", &[Val::I32(i as i32)], 0);
            if (i as usize) < r.m_refs.len() {
                res.expect("from_global in bounds");
                r.m_refs[i as usize] = r.m_global;
            } else {
                expect_trap(res, TrapCode::TableOutOfBounds, "from_global");
            }
        }
        Op::GlobalApi { id } => {
            let v = r.ext(id);
            let g = r.instance.get_global(&mut r.store, "g").unwrap();
            g.set(&mut r.store, v).expect("set externref global");
            r.m_global = id.map(u32::from);
            let Val::ExternRef(e) = g.get(&mut r.store) else {
                panic!("externref global")
            };
            assert_eq!(id_of(&r.store, e), r.m_global);
        }
        Op::GiveHost { index } => {
            let i = idx(index);
            let res = r.call("give_host", &[Val::I32(i as i32)], 0);
            if (i as usize) < r.m_refs.len() {
                res.expect("give_host in bounds");
                r.m_taken.push(r.m_refs[i as usize]);
            } else {
                expect_trap(res, TrapCode::TableOutOfBounds, "give_host");
            }
        }
        Op::MakeAt { index, id } => {
            let i = idx(index);
            let res = r.call("make_at", &[Val::I32(i as i32), Val::I32(i32::from(id))], 0);
            if (i as usize) < r.m_refs.len() {
                res.expect("make_at in bounds");
                r.m_refs[i as usize] = Some(u32::from(id));
            } else {
                expect_trap(res, TrapCode::TableOutOfBounds, "make_at");
            }
        }
        Op::ThroughHost { index } => {
            let i = idx(index);
            let res = r.call("through_host", &[Val::I32(i as i32)], 0);
            if (i as usize) < r.m_refs.len() {
                res.expect("through_host in bounds");
            } else {
                expect_trap(res, TrapCode::TableOutOfBounds, "through_host");
            }
        }
        Op::PutK { index, one } => {
            let i = idx(index) % 20;
            let res = r.call("put_k", &[Val::I32(i as i32), Val::I32(one as i32)], 0);
            if (i as usize) < r.m_funcs.len() {
                res.expect("put_k in bounds");
                r.m_funcs[i as usize] = F::K(if one { 1 } else { 2 });
            } else {
                expect_trap(res, TrapCode::TableOutOfBounds, "put_k");
            }
        }
        Op::FSetHost {
            index,
            host,
            via_api,
        } => {
            let i = idx(index) % 20;
            let n = host as usize % r.host_funcs.len();
            let f = Val::FuncRef(Some(r.host_funcs[n]));
            let ok = (i as usize) < r.m_funcs.len();
            if via_api {
                let res = r.funcs.set(&mut r.store, i.into(), f);
                assert_eq!(res.is_ok(), ok, "{res:?}");
            } else {
                let res = r.call("fset", &[Val::I32(i as i32), f], 0);
                if ok {
                    res.expect("fset in bounds");
                } else {
                    expect_trap(res, TrapCode::TableOutOfBounds, "fset");
                }
            }
            if ok {
                r.m_funcs[i as usize] = F::Host(n as i32);
            }
        }
        Op::FCall { index } => {
            let i = idx(index) % 20;
            let res = r.call("fcall", &[Val::I32(i as i32)], 1);
            match r.m_funcs.get(i as usize) {
                None => expect_trap(res, TrapCode::TableOutOfBounds, "call_indirect"),
                Some(F::Null) => expect_trap(res, TrapCode::IndirectCallToNull, "call_indirect"),
                Some(&F::K(k)) => assert_eq!(res.expect("call k")[0].unwrap_i32(), k),
                Some(&F::Host(n)) => {
                    assert_eq!(res.expect("call host")[0].unwrap_i32(), 100 + n)
                }
            }
        }
        Op::FGet { index, via_api } => {
            let i = idx(index) % 20;
            let ok = (i as usize) < r.m_funcs.len();
            let got = if via_api {
                r.funcs.get(&mut r.store, i.into())
            } else {
                let res = r.call("fget", &[Val::I32(i as i32)], 1);
                if ok {
                    Some(res.expect("fget in bounds")[0])
                } else {
                    expect_trap(res, TrapCode::TableOutOfBounds, "fget");
                    None
                }
            };
            assert_eq!(got.is_some(), ok);
            if let Some(Val::FuncRef(f)) = got {
                let want = r.m_funcs[i as usize];
                match (f, want) {
                    (None, F::Null) => {}
                    (Some(f), F::Host(n)) => assert_eq!(f, r.host_funcs[n as usize]),
                    (Some(f), F::K(k)) => {
                        // Calling the handle from the host gives `k`.
                        let mut out = [Val::I32(0)];
                        if r.fuel {
                            r.store.set_fuel(1_000_000).unwrap();
                        }
                        f.call(&mut r.store, &[], &mut out)
                            .expect("call k from host");
                        assert_eq!(out[0].unwrap_i32(), k);
                    }
                    (f, want) => panic!("funcref slot {i}: got {f:?}, model {want:?}"),
                }
            }
        }
        Op::FGrow { delta, k } => {
            let delta = u32::from(delta % 6);
            let old = r.m_funcs.len();
            let fits = old + delta as usize <= 16;
            let (init, m) = if k {
                (Val::FuncRef(Some(r.host_funcs[0])), F::Host(0))
            } else {
                (Val::FuncRef(None), F::Null)
            };
            let res = r.call("fgrow", &[init, Val::I32(delta as i32)], 1).unwrap();
            assert_eq!(res[0].unwrap_i32(), if fits { old as i32 } else { -1 });
            if fits {
                r.m_funcs.extend(std::iter::repeat_n(m, delta as usize));
            }
            assert_eq!(r.funcs.size(&r.store) as usize, r.m_funcs.len());
        }
        Op::FFill { dst, len, k } => {
            let (d, n) = (idx(dst) % 20, u32::from(len % 8));
            let (v, m) = if k {
                (Val::FuncRef(Some(r.host_funcs[1])), F::Host(1))
            } else {
                (Val::FuncRef(None), F::Null)
            };
            let res = r.call("ffill", &[Val::I32(d as i32), v, Val::I32(n as i32)], 0);
            if in_bounds(d, n, r.m_funcs.len()) {
                res.expect("ffill in bounds");
                for s in &mut r.m_funcs[d as usize..(d + n) as usize] {
                    *s = m;
                }
            } else {
                expect_trap(res, TrapCode::TableOutOfBounds, "ffill");
            }
        }
        Op::FCopy { dst, src, len } => {
            let (d, s, n) = (idx(dst) % 20, idx(src) % 20, u32::from(len % 8));
            let args = [Val::I32(d as i32), Val::I32(s as i32), Val::I32(n as i32)];
            let res = r.call("fcopy", &args, 0);
            let len = r.m_funcs.len();
            if in_bounds(d, n, len) && in_bounds(s, n, len) {
                res.expect("fcopy in bounds");
                let src: Vec<_> = r.m_funcs[s as usize..(s + n) as usize].to_vec();
                r.m_funcs[d as usize..(d + n) as usize].copy_from_slice(&src);
            } else {
                expect_trap(res, TrapCode::TableOutOfBounds, "fcopy");
            }
        }
    }
}
