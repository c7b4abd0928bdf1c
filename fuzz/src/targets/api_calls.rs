//! `api_calls`: arbitrary sequences of embedding-API operations — engines,
//! modules and stores created and dropped in any order, instantiation with
//! imports from anywhere (including the wrong store), calls that re-enter
//! wasm from the host, memories, tables and globals read, written and
//! grown — to catch lifetime and ownership bugs.
//!
//! Checks, besides "never crash": a handle used with a store that does not
//! own it is an `Err` from every method that returns `Result`, never a
//! success or a crash (the methods that panic on a mismatch, by the rule
//! in ARCHITECTURE.md, are only called with their own store here, since
//! libFuzzer aborts on any panic; `engine/tests/store_mismatch.rs` covers
//! them); what the host writes
//! (memory bytes, table slots, globals) reads back unchanged; sizes follow
//! grows; a store keeps working after traps and fuel exhaustion.

use crate::generate::{CALL_FUEL, EngineKnobs, zero_val};
use crate::say;
use arbitrary::{Arbitrary, Result, Unstructured};
use kiln::{
    Caller, Engine, Extern, ExternRef, ExternType, Func, FuncType, Global, GlobalType, Instance,
    Linker, Memory, MemoryType, Module, Mutability, RefType, Store, Table, TableType, Trap, Val,
    ValType,
};

/// The modules operations choose from. Together they export and import
/// every kind of extern, call the host, re-enter wasm from it, trap, loop
/// and recurse.
pub const MODULES: &[&str] = &[
    // 0: exports everything; imports two host functions.
    r#"(module
      (type $ii_i (func (param i32 i32) (result i32)))
      (import "host" "inc" (func $inc (param i32) (result i32)))
      (import "host" "reenter" (func $reenter (param i32) (result i32)))
      (memory (export "mem") 1 4)
      (table (export "funcs") 4 16 funcref)
      (table (export "refs") 2 8 externref)
      (global (export "g") (mut i32) (i32.const 7))
      (global $gx (export "gx") (mut externref) (ref.null extern))
      (global (export "const") i64 (i64.const -1))
      (elem (table 0) (i32.const 0) func $add $mul $add $mul)
      (func $add (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
      (func $mul (param i32 i32) (result i32) local.get 0 local.get 1 i32.mul)
      (func (export "load") (param i32) (result i32) local.get 0 i32.load)
      (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
      (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
      (func (export "indirect") (param i32 i32 i32) (result i32)
        local.get 0 local.get 1 local.get 2 call_indirect (type $ii_i))
      (func (export "bump") (result i32)
        global.get 0 i32.const 1 i32.add global.set 0 global.get 0)
      (func (export "spin") (loop br 0))
      (func $deep (export "deep") (param i32) (result i32)
        local.get 0 i32.const 1 i32.add call $deep)
      (func (export "boom") unreachable)
      (func (export "call_host") (param i32) (result i32) local.get 0 call $inc)
      (func (export "reenter") (param i32) (result i32) local.get 0 call $reenter)
      (func (export "set_ref") (param i32 externref) local.get 0 local.get 1 table.set 1)
      (func (export "get_ref") (param i32) (result externref) local.get 0 table.get 1)
      (func (export "grow_refs") (param externref i32) (result i32)
        local.get 0 local.get 1 table.grow 1)
      (func (export "swap_gx") (param externref) (result externref)
        global.get $gx local.get 0 global.set $gx)
      (func (export "func_of") (param i32) (result funcref) local.get 0 table.get 0)
      (func (export "echo_func") (param funcref) (result funcref) local.get 0))"#,
    // 1: imports one of each kind from "env".
    r#"(module
      (import "env" "mem" (memory 1))
      (import "env" "funcs" (table 1 funcref))
      (import "env" "g" (global (mut i32)))
      (import "env" "f" (func $f (param i32 i32) (result i32)))
      (func (export "call_imported") (param i32 i32) (result i32)
        local.get 0 local.get 1 call $f)
      (func (export "peek") (param i32) (result i32) local.get 0 i32.load8_u)
      (func (export "poke") (param i32 i32) local.get 0 local.get 1 i32.store8)
      (func (export "bump") global.get 0 i32.const 1 i32.add global.set 0)
      (func (export "indirect0") (param i32 i32) (result i32)
        local.get 0 local.get 1 i32.const 0 call_indirect (param i32 i32) (result i32))
      (func (export "size") (result i32) memory.size)
      (func (export "fill") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.fill))"#,
    // 2: nothing at all.
    "(module)",
    // 3: writes its own function into an imported table, then traps in
    // its start function: the function must stay callable from the table.
    r#"(module
      (import "env" "funcs" (table 1 funcref))
      (elem (i32.const 0) $f)
      (func $f (param i32 i32) (result i32) i32.const 42)
      (func $boom unreachable)
      (start $boom))"#,
    // 4: a start function that succeeds and touches everything it imports.
    r#"(module
      (import "env" "mem" (memory 1))
      (import "env" "g" (global (mut i32)))
      (func $start
        i32.const 0 global.get 0 i32.store
        global.get 0 i32.const 100 i32.add global.set 0)
      (start $start)
      (func (export "read0") (result i32) i32.const 0 i32.load))"#,
];

/// The host state of every store: how many host calls it has seen.
#[derive(Default)]
pub struct HostState {
    pub host_calls: u64,
}

/// One operation. Indices are taken modulo the length of the list they
/// index (an operation on an empty list does nothing).
#[derive(Arbitrary, Debug)]
enum Op {
    NewEngine {
        knobs_seed: u8,
    },
    DropEngine {
        engine: u8,
    },
    Compile {
        engine: u8,
        module: u8,
    },
    DropModule {
        module: u8,
    },
    NewStore {
        engine: u8,
    },
    DropStore {
        store: u8,
    },
    SetFuel {
        store: u8,
        fuel: u16,
    },
    Instantiate {
        module: u8,
        store: u8,
        picks: Vec<u8>,
        linker: bool,
    },
    Call {
        func: u8,
        store: u8,
        args: Vec<u8>,
    },
    NewMemory {
        store: u8,
        min: u8,
        max: Option<u8>,
    },
    MemoryGrow {
        memory: u8,
        store: u8,
        delta: u8,
    },
    MemoryWrite {
        memory: u8,
        store: u8,
        offset: u32,
        bytes: Vec<u8>,
    },
    NewTable {
        store: u8,
        funcref: bool,
        min: u8,
        max: Option<u8>,
    },
    TableGrow {
        table: u8,
        store: u8,
        delta: u8,
        init: u8,
    },
    TableSet {
        table: u8,
        store: u8,
        index: u8,
        value: u8,
    },
    NewGlobal {
        store: u8,
        mutable: bool,
        value: i32,
    },
    GlobalSet {
        global: u8,
        store: u8,
        value: i32,
    },
    NewExternRef {
        store: u8,
        payload: u32,
    },
    ExternRefData {
        externref: u8,
        store: u8,
    },
    NewHostFunc {
        store: u8,
    },
}

/// A handle and the store slot it was made in.
type Owned<T> = (usize, T);

#[derive(Default)]
struct World {
    engines: Vec<Engine>,
    /// The knobs each of `engines` was made with (for its stores).
    knobs: Vec<EngineKnobs>,
    /// Compiled modules, with the index into [`MODULES`].
    modules: Vec<(usize, Module)>,
    /// Store slots; `None` once dropped. Slots are never reused, so a
    /// handle's slot says which store made it.
    stores: Vec<Option<Store<HostState>>>,
    funcs: Vec<Owned<Func>>,
    memories: Vec<Owned<Memory>>,
    tables: Vec<Owned<Table>>,
    globals: Vec<Owned<Global>>,
    externrefs: Vec<Owned<(ExternRef, u32)>>,
}

fn pick<T>(list: &[T], i: u8) -> Option<usize> {
    (!list.is_empty()).then(|| i as usize % list.len())
}

/// Host functions every store may import as `host::inc` and
/// `host::reenter`.
fn host_inc(store: impl kiln::AsContextMut<Data = HostState>) -> Func {
    Func::wrap(store, |mut caller: Caller<'_, HostState>, x: i32| {
        caller.data_mut().host_calls += 1;
        x.wrapping_add(1)
    })
}

/// Calls back into the calling instance: `add(x, 1)`, then, while `x > 0`,
/// its own `reenter(x - 1)` — alternating host and wasm frames.
fn host_reenter(store: impl kiln::AsContextMut<Data = HostState>) -> Func {
    let ty = FuncType::new([ValType::I32], [ValType::I32]);
    Func::new(store, ty, |mut caller, args, results| {
        caller.data_mut().host_calls += 1;
        let x = args[0].unwrap_i32();
        let add = caller
            .get_export("add")
            .and_then(Extern::into_func)
            .ok_or_else(|| anyhow::anyhow!("caller exports no `add`"))?;
        let mut out = [Val::I32(0)];
        add.call(&mut caller, &[Val::I32(x), Val::I32(1)], &mut out)?;
        if x > 0
            && x < 8
            && let Some(again) = caller.get_export("reenter").and_then(Extern::into_func)
        {
            again.call(&mut caller, &[Val::I32(x - 1)], &mut out)?;
        }
        results[0] = out[0];
        Ok(())
    })
}

pub fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let mut w = World::default();
    // Always start with one engine and one store.
    let knobs = EngineKnobs::arbitrary(&mut u, true)?;
    say!("api_calls: first engine {knobs:?}");
    w.engines
        .push(Engine::new(&knobs.config()).expect("generated configs are supported"));
    w.knobs.push(knobs);
    w.stores
        .push(Some(knobs.store(&w.engines[0], HostState::default())));
    let mut steps = 0;
    while !u.is_empty() && steps < 64 {
        steps += 1;
        let op: Op = u.arbitrary()?;
        say!("op: {op:?}");
        apply(&mut w, op)?;
    }
    // Tear down in a fuzzer-chosen order.
    let order: u8 = u.arbitrary().unwrap_or(0);
    say!("teardown order {order}");
    match order % 4 {
        0 => drop(w),
        1 => {
            drop(w.engines);
            drop(w.modules);
            drop(w.stores);
        }
        2 => {
            while let Some(s) = w.stores.pop() {
                drop(s);
            }
            drop(w.modules);
        }
        _ => {
            drop(w.modules);
            for s in w.stores.iter_mut().step_by(2) {
                drop(s.take());
            }
            drop(w.engines);
            drop(w.stores);
        }
    }
    Ok(())
}

/// A live store slot chosen by `i`.
fn live_store(w: &World, i: u8) -> Option<usize> {
    let live: Vec<usize> = (0..w.stores.len())
        .filter(|&s| w.stores[s].is_some())
        .collect();
    pick(&live, i).map(|k| live[k])
}

/// Require `r` to be an error: `what` used a handle from another store.
fn must_fail<T: std::fmt::Debug>(what: &str, r: anyhow::Result<T>) {
    if let Ok(v) = r {
        panic!("{what} with a handle from another store succeeded: {v:?}");
    }
}

fn apply(w: &mut World, op: Op) -> Result<()> {
    match op {
        Op::NewEngine { knobs_seed } => {
            if w.engines.len() < 3 {
                let bytes = [knobs_seed; 8];
                let knobs = EngineKnobs::arbitrary(&mut Unstructured::new(&bytes), true)?;
                w.engines
                    .push(Engine::new(&knobs.config()).expect("generated configs are supported"));
                w.knobs.push(knobs);
            }
        }
        Op::DropEngine { engine } => {
            if let Some(i) = pick(&w.engines, engine) {
                w.engines.remove(i);
                w.knobs.remove(i);
            }
        }
        Op::Compile { engine, module } => {
            if let Some(e) = pick(&w.engines, engine) {
                let which = module as usize % MODULES.len();
                let m = Module::new(&w.engines[e], MODULES[which])
                    .unwrap_or_else(|err| panic!("module {which} compiles: {err:#}"));
                w.modules.push((which, m));
            }
        }
        Op::DropModule { module } => {
            if let Some(i) = pick(&w.modules, module) {
                w.modules.remove(i);
            }
        }
        Op::NewStore { engine } => {
            if let Some(e) = pick(&w.engines, engine)
                && w.stores.len() < 6
            {
                w.stores
                    .push(Some(w.knobs[e].store(&w.engines[e], HostState::default())));
            }
        }
        Op::DropStore { store } => {
            if let Some(s) = live_store(w, store) {
                w.stores[s] = None;
            }
        }
        Op::SetFuel { store: s, fuel } => {
            if let Some(slot) = live_store(w, s) {
                let st = w.stores[slot].as_mut().unwrap();
                if st.set_fuel(u64::from(fuel)).is_ok() {
                    assert_eq!(st.get_fuel().unwrap(), u64::from(fuel));
                }
            }
        }
        Op::Instantiate {
            module,
            store: s,
            picks,
            linker,
        } => instantiate(w, module, s, &picks, linker),
        Op::Call {
            func,
            store: s,
            args,
        } => call(w, func, s, &args),
        Op::NewMemory { store: s, min, max } => {
            if let Some(slot) = live_store(w, s) {
                let (min, max) = (u32::from(min % 3), max.map(|m| u32::from(m % 5)));
                let st = w.stores[slot].as_mut().unwrap();
                match Memory::new(&mut *st, MemoryType::new(min, max)) {
                    Ok(m) => {
                        assert_eq!(m.size(&*st), u64::from(min));
                        w.memories.push((slot, m));
                    }
                    Err(e) => assert!(max.is_some_and(|max| max < min), "{e:#}"),
                }
            }
        }
        Op::MemoryGrow {
            memory,
            store: s,
            delta,
        } => {
            let (Some(m), Some(slot)) = (pick(&w.memories, memory), live_store(w, s)) else {
                return Ok(());
            };
            let (owner, mem) = w.memories[m];
            let delta = u64::from(delta % 4);
            let st = w.stores[slot].as_mut().unwrap();
            if owner != slot {
                must_fail("Memory::grow", mem.grow(&mut *st, delta));
                return Ok(());
            }
            let before = mem.size(&*st);
            match mem.grow(&mut *st, delta) {
                Ok(old) => {
                    assert_eq!(old, before);
                    assert_eq!(mem.size(&*st), before + delta);
                    assert_eq!(mem.data(&*st).len() as u64, (before + delta) << 16);
                }
                Err(_) => assert_eq!(mem.size(&*st), before, "failed grow changed the size"),
            }
        }
        Op::MemoryWrite {
            memory,
            store: s,
            offset,
            bytes,
        } => {
            let (Some(m), Some(slot)) = (pick(&w.memories, memory), live_store(w, s)) else {
                return Ok(());
            };
            let (owner, mem) = w.memories[m];
            let offset = (offset % (3 << 16)) as usize;
            let bytes = &bytes[..bytes.len().min(32)];
            let st = w.stores[slot].as_mut().unwrap();
            if owner != slot {
                must_fail("Memory::write", mem.write(&mut *st, offset, bytes));
                let mut buf = vec![0; bytes.len()];
                must_fail("Memory::read", mem.read(&*st, offset, &mut buf));
                return Ok(());
            }
            let fits = offset + bytes.len() <= mem.data(&*st).len();
            let wrote = mem.write(&mut *st, offset, bytes);
            assert_eq!(wrote.is_ok(), fits, "Memory::write bounds: {wrote:?}");
            let mut buf = vec![0; bytes.len()];
            let read = mem.read(&*st, offset, &mut buf);
            assert_eq!(read.is_ok(), fits);
            if fits {
                assert_eq!(buf, bytes, "memory reads back what was written");
                assert_eq!(&mem.data(&*st)[offset..offset + bytes.len()], bytes);
            }
        }
        Op::NewTable {
            store: s,
            funcref,
            min,
            max,
        } => {
            if let Some(slot) = live_store(w, s) {
                let elem = if funcref {
                    RefType::FUNCREF
                } else {
                    RefType::EXTERNREF
                };
                let (min, max) = (u32::from(min % 8), max.map(|m| u32::from(m % 16)));
                let st = w.stores[slot].as_mut().unwrap();
                match Table::new(
                    &mut *st,
                    TableType::new(elem.clone(), min, max),
                    Val::null_ref(&elem),
                ) {
                    Ok(t) => {
                        assert_eq!(t.size(&*st), u64::from(min));
                        w.tables.push((slot, t));
                    }
                    Err(e) => assert!(max.is_some_and(|max| max < min), "{e:#}"),
                }
            }
        }
        Op::TableGrow {
            table,
            store: s,
            delta,
            init,
        } => {
            let (Some(t), Some(slot)) = (pick(&w.tables, table), live_store(w, s)) else {
                return Ok(());
            };
            let (owner, tab) = w.tables[t];
            let (value, foreign) = ref_value(w, tab, owner, init);
            let st = w.stores[slot].as_mut().unwrap();
            let delta = u64::from(delta % 8);
            if owner != slot {
                must_fail("Table::grow", tab.grow(&mut *st, delta, value));
                return Ok(());
            }
            let before = tab.size(&*st);
            let grown = tab.grow(&mut *st, delta, value);
            if foreign {
                must_fail("Table::grow (init)", grown);
                assert_eq!(tab.size(&*st), before);
                return Ok(());
            }
            match grown {
                Ok(old) => {
                    assert_eq!(old, before);
                    assert_eq!(tab.size(&*st), before + delta);
                    for i in before..before + delta {
                        check_ref_eq(&tab.get(&mut *st, i).expect("in bounds"), &value);
                    }
                }
                Err(_) => assert_eq!(tab.size(&*st), before),
            }
        }
        Op::TableSet {
            table,
            store: s,
            index,
            value,
        } => {
            let (Some(t), Some(slot)) = (pick(&w.tables, table), live_store(w, s)) else {
                return Ok(());
            };
            let (owner, tab) = w.tables[t];
            let (value, foreign) = ref_value(w, tab, owner, value);
            let st = w.stores[slot].as_mut().unwrap();
            let index = u64::from(index % 16);
            if owner != slot {
                must_fail("Table::set", tab.set(&mut *st, index, value));
                return Ok(());
            }
            let set = tab.set(&mut *st, index, value);
            if foreign {
                must_fail("Table::set (value)", set);
                return Ok(());
            }
            let in_bounds = index < tab.size(&*st);
            assert_eq!(set.is_ok(), in_bounds, "Table::set bounds: {set:?}");
            match tab.get(&mut *st, index) {
                Some(got) => check_ref_eq(&got, &value),
                None => assert!(!in_bounds),
            }
        }
        Op::NewGlobal {
            store: s,
            mutable,
            value,
        } => {
            if let Some(slot) = live_store(w, s) {
                let m = if mutable {
                    Mutability::Var
                } else {
                    Mutability::Const
                };
                let st = w.stores[slot].as_mut().unwrap();
                let g = Global::new(&mut *st, GlobalType::new(ValType::I32, m), Val::I32(value))
                    .expect("i32 global");
                assert_eq!(g.get(&mut *st).unwrap_i32(), value);
                w.globals.push((slot, g));
            }
        }
        Op::GlobalSet {
            global,
            store: s,
            value,
        } => {
            let (Some(g), Some(slot)) = (pick(&w.globals, global), live_store(w, s)) else {
                return Ok(());
            };
            let (owner, glob) = w.globals[g];
            let st = w.stores[slot].as_mut().unwrap();
            if owner != slot {
                must_fail("Global::set", glob.set(&mut *st, Val::I32(value)));
                return Ok(());
            }
            let ty = glob.ty(&*st);
            let before = glob.get(&mut *st);
            let val = match ty.content() {
                ValType::I32 => Val::I32(value),
                ValType::I64 => Val::I64(i64::from(value)),
                other => zero_val(other),
            };
            let set = glob.set(&mut *st, val);
            if ty.mutability() == Mutability::Var {
                set.expect("setting a mutable global to a value of its type");
                check_val_eq(&glob.get(&mut *st), &val);
            } else {
                assert!(set.is_err(), "set an immutable global");
                check_val_eq(&glob.get(&mut *st), &before);
            }
        }
        Op::NewExternRef { store: s, payload } => {
            if let Some(slot) = live_store(w, s) {
                let st = w.stores[slot].as_mut().unwrap();
                let r = ExternRef::new(&mut *st, payload);
                w.externrefs.push((slot, (r, payload)));
            }
        }
        Op::ExternRefData {
            externref,
            store: s,
        } => {
            let (Some(e), Some(slot)) = (pick(&w.externrefs, externref), live_store(w, s)) else {
                return Ok(());
            };
            let (owner, (r, payload)) = w.externrefs[e];
            let st = w.stores[slot].as_mut().unwrap();
            let data = r.data(&*st).map(|d| d.downcast_ref::<u32>().copied());
            if owner == slot {
                assert_eq!(data.unwrap(), Some(payload), "externref payload");
            } else {
                must_fail("ExternRef::data", data);
            }
        }
        Op::NewHostFunc { store: s } => {
            if let Some(slot) = live_store(w, s) {
                let st = w.stores[slot].as_mut().unwrap();
                let f = Func::wrap(&mut *st, |a: i32, b: i32| a.wrapping_sub(b));
                w.funcs.push((slot, f));
            }
        }
    }
    Ok(())
}

/// A reference value for `table` (owned by `owner`) chosen by `i`: null,
/// or a function or externref from the pools. Also says whether the
/// value belongs to another store than `owner`.
fn ref_value(w: &World, table: Table, owner: usize, i: u8) -> (Val, bool) {
    // The element type needs the owner's store, which may be gone; the
    // choice then does not matter (the operation must fail anyway).
    let elem = w.stores[owner]
        .as_ref()
        .map(|s| table.ty(s).element().clone())
        .unwrap_or(RefType::FUNCREF);
    if i.is_multiple_of(4) {
        return (Val::null_ref(&elem), false);
    }
    // wasm-smith generates no typed references: `funcref` or `externref`.
    match elem.heap_type().is_func() {
        true => match pick(&w.funcs, i / 4) {
            Some(f) => (Val::FuncRef(Some(w.funcs[f].1)), w.funcs[f].0 != owner),
            None => (Val::FuncRef(None), false),
        },
        false => match pick(&w.externrefs, i / 4) {
            Some(e) => (
                Val::ExternRef(Some(w.externrefs[e].1.0)),
                w.externrefs[e].0 != owner,
            ),
            None => (Val::ExternRef(None), false),
        },
    }
}

fn check_ref_eq(got: &Val, want: &Val) {
    match (got, want) {
        (Val::FuncRef(a), Val::FuncRef(b)) => assert_eq!(a, b, "funcref reads back"),
        (Val::ExternRef(a), Val::ExternRef(b)) => assert_eq!(a, b, "externref reads back"),
        _ => panic!("reference of the wrong type: {got:?}, wanted {want:?}"),
    }
}

fn check_val_eq(got: &Val, want: &Val) {
    match (got, want) {
        (Val::I32(a), Val::I32(b)) => assert_eq!(a, b),
        (Val::I64(a), Val::I64(b)) => assert_eq!(a, b),
        (Val::F32(a), Val::F32(b)) => assert_eq!(a, b),
        (Val::F64(a), Val::F64(b)) => assert_eq!(a, b),
        _ => check_ref_eq(got, want),
    }
}

/// Instantiate a compiled module in a live store. Each import is chosen by
/// the next byte of `picks`: a pooled handle of the right kind (from any
/// store), a fresh host object, or (by name) the host functions.
fn instantiate(w: &mut World, module: u8, s: u8, picks: &[u8], use_linker: bool) {
    let (Some(m), Some(slot)) = (pick(&w.modules, module), live_store(w, s)) else {
        return;
    };
    let (which, module) = w.modules[m].clone();
    let mut foreign = false;
    let mut imports = Vec::new();
    for (k, import) in module.imports().enumerate() {
        let choice = picks.get(k).copied().unwrap_or(0);
        let pooled: Option<Owned<Extern>> = match import.ty() {
            ExternType::Func(_) => pick(&w.funcs, choice / 2).map(|i| {
                let (o, f) = w.funcs[i];
                (o, Extern::Func(f))
            }),
            ExternType::Memory(_) => pick(&w.memories, choice / 2).map(|i| {
                let (o, x) = w.memories[i];
                (o, Extern::Memory(x))
            }),
            ExternType::Table(_) => pick(&w.tables, choice / 2).map(|i| {
                let (o, x) = w.tables[i];
                (o, Extern::Table(x))
            }),
            ExternType::Global(_) => pick(&w.globals, choice / 2).map(|i| {
                let (o, x) = w.globals[i];
                (o, Extern::Global(x))
            }),
            // Tags are not pooled: a fresh one each time.
            ExternType::Tag(_) => None,
        };
        let st = w.stores[slot].as_mut().unwrap();
        let ext = match pooled {
            Some((owner, ext)) if choice % 2 == 1 => {
                foreign |= owner != slot;
                ext
            }
            _ => match (import.module(), import.name()) {
                ("host", "inc") => Extern::Func(host_inc(&mut *st)),
                ("host", "reenter") => Extern::Func(host_reenter(&mut *st)),
                _ => crate::generate::dummy_extern(st, &import.ty()).expect("dummy import"),
            },
        };
        imports.push((import.module().to_string(), import.name().to_string(), ext));
    }
    let st = w.stores[slot].as_mut().unwrap();
    let cross_engine = !Engine::same(st.engine(), module.engine());
    st.set_fuel(CALL_FUEL).ok();
    let result = if use_linker {
        let mut linker = Linker::new(st.engine());
        for (module_name, name, ext) in &imports {
            linker
                .define(module_name, name, *ext)
                .expect("import names are unique");
        }
        linker.instantiate(&mut *st, &module)
    } else {
        let exts: Vec<Extern> = imports.iter().map(|(_, _, e)| *e).collect();
        Instance::new(&mut *st, &module, &exts)
    };
    say!(
        "instantiate module {which} in store {slot} (foreign imports: {foreign}, \
         cross-engine: {cross_engine}): {:?}",
        result.as_ref().map(drop).map_err(|e| format!("{e:#}"))
    );
    match result {
        Ok(instance) => {
            assert!(!foreign, "instantiated with an import from another store");
            assert!(!cross_engine, "instantiated a module of another engine");
            for (_, ext) in instance.exports(&mut *st) {
                match ext {
                    Extern::Func(f) => w.funcs.push((slot, f)),
                    Extern::Memory(m) => w.memories.push((slot, m)),
                    Extern::Table(t) => w.tables.push((slot, t)),
                    Extern::Global(g) => w.globals.push((slot, g)),
                    Extern::Tag(_) => {}
                }
            }
        }
        Err(e) => {
            // Module 3 always traps in its start function; with imports from
            // this store and engine, nothing else may fail but a type
            // mismatch.
            if which == 3 && !foreign && !cross_engine {
                assert!(
                    e.downcast_ref::<Trap>().is_some()
                        || format!("{e:#}").contains("incompatible import type"),
                    "{e:#}"
                );
            }
        }
    }
}

/// Call a pooled function through a live store with arguments chosen from
/// `args`: numbers, or references from the pools (maybe foreign).
fn call(w: &mut World, func: u8, s: u8, args: &[u8]) {
    let (Some(f), Some(slot)) = (pick(&w.funcs, func), live_store(w, s)) else {
        return;
    };
    let (owner, func) = w.funcs[f];
    let Some(owner_store) = w.stores[owner].as_ref() else {
        // The owner is gone: any store must refuse the handle.
        let st = w.stores[slot].as_mut().unwrap();
        must_fail("Func::call", func.call(&mut *st, &[], &mut []));
        return;
    };
    let ty = func.ty(owner_store);
    let mut foreign = owner != slot;
    let mut params = Vec::new();
    for (k, t) in ty.params().iter().enumerate() {
        let b = args.get(k).copied().unwrap_or(0);
        params.push(match t {
            ValType::I32 => Val::I32(i32::from(b as i8) * 1000),
            ValType::I64 => Val::I64(i64::from(b)),
            ValType::F32 => Val::F32(u32::from(b)),
            ValType::F64 => Val::F64(u64::from(b)),
            ValType::V128 => Val::V128(u128::from(b)),
            ValType::Ref(r) if r.heap_type().is_func() => {
                match pick(&w.funcs, b).filter(|_| b % 3 != 0) {
                    Some(i) => {
                        foreign |= w.funcs[i].0 != slot;
                        Val::FuncRef(Some(w.funcs[i].1))
                    }
                    None => Val::FuncRef(None),
                }
            }
            ValType::Ref(_) => match pick(&w.externrefs, b).filter(|_| b % 3 != 0) {
                Some(i) => {
                    foreign |= w.externrefs[i].0 != slot;
                    Val::ExternRef(Some(w.externrefs[i].1.0))
                }
                None => Val::ExternRef(None),
            },
        });
    }
    let mut results: Vec<Val> = ty.results().iter().map(zero_val).collect();
    let st = w.stores[slot].as_mut().unwrap();
    st.set_fuel(CALL_FUEL).ok();
    let r = func.call(&mut *st, &params, &mut results);
    say!(
        "call in store {slot} (foreign: {foreign}) {params:?} -> {:?}",
        r.as_ref().map(|()| &results).map_err(|e| format!("{e:#}"))
    );
    if foreign {
        must_fail("Func::call", r);
        return;
    }
    if let Ok(()) = r {
        // Results are valid in this store: references among them can be
        // used again.
        for v in results {
            match v {
                Val::FuncRef(Some(f)) => {
                    assert_eq!(f.ty(&*st).params().len(), f.ty(&*st).params().len());
                    w.funcs.push((slot, f));
                }
                Val::ExternRef(Some(r)) => {
                    let payload = *r
                        .data(&*st)
                        .expect("externref result belongs to the store")
                        .downcast_ref::<u32>()
                        .expect("every externref payload here is a u32");
                    w.externrefs.push((slot, (r, payload)));
                }
                _ => {}
            }
        }
    }
}
