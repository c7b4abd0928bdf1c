//! `InstancePre` and sharing across threads: what an embedder serving many
//! threads from one engine relies on — the shared types are `Send + Sync`,
//! imports resolve once, and instances made from many threads at once are
//! independent.

use kiln::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Compile-time: these cross threads (a function that is never called
/// still has to type-check).
#[allow(dead_code)]
fn shared_types_are_send_and_sync() {
    fn send_sync<X: Send + Sync>() {}
    send_sync::<Engine>();
    send_sync::<Module>();
    send_sync::<Linker<()>>();
    send_sync::<InstancePre<()>>();
    send_sync::<Config>();
    send_sync::<Func>();
    send_sync::<Memory>();
    send_sync::<Trap>();
    fn send<X: Send>() {}
    send::<Store<()>>();
}

/// A module importing a host counter and a host global type, with state
/// of its own (memory with data, a mutable global, a table).
const COUNTER: &str = r#"(module
    (import "host" "bump" (func $bump (param i32) (result i32)))
    (memory 1)
    (data (i32.const 8) "\2a")
    (global $g (mut i32) (i32.const 0))
    (table 2 funcref)
    (elem (i32.const 0) $step)
    (func $step (param i32) (result i32) local.get 0 i32.const 1 i32.add)
    (func (export "run") (param i32) (result i32)
        ;; memory[8] (42, from the data segment) + g + step(x) via the table,
        ;; then bump the host counter; g and memory change so a shared
        ;; instance would be seen.
        global.get $g
        i32.const 1 i32.add
        global.set $g
        i32.const 8
        i32.const 8 i32.load8_u i32.const 1 i32.add
        i32.store8
        i32.const 8 i32.load8_u
        global.get $g i32.add
        local.get 0 i32.const 0 call_indirect (param i32) (result i32)
        i32.add
        call $bump))"#;

fn counter_linker(engine: &Engine, calls: &Arc<AtomicU64>) -> Linker<()> {
    let mut linker = Linker::new(engine);
    let calls = calls.clone();
    linker
        .func_wrap("host", "bump", move |x: i32| {
            calls.fetch_add(1, Ordering::Relaxed);
            x
        })
        .unwrap();
    linker
}

#[test]
fn instances_from_many_threads_are_independent() {
    let engine = Engine::default();
    let module = Module::new(&engine, COUNTER).unwrap();
    let calls = Arc::new(AtomicU64::new(0));
    let pre = counter_linker(&engine, &calls)
        .instantiate_pre(&module)
        .unwrap();
    const THREADS: u64 = 8;
    const EACH: u64 = 200;
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let pre = pre.clone();
            scope.spawn(move || {
                for i in 0..EACH {
                    let mut store = Store::new(pre.module().engine(), ());
                    let instance = pre.instantiate(&mut store).unwrap();
                    let run = instance
                        .get_typed_func::<i32, i32>(&mut store, "run")
                        .unwrap();
                    let x = (t * EACH + i) as i32;
                    // A fresh instance: memory[8] = 43, g = 1, step(x) = x + 1.
                    assert_eq!(run.call(&mut store, x).unwrap(), 43 + 1 + x + 1);
                    assert_eq!(run.call(&mut store, x).unwrap(), 44 + 2 + x + 1);
                }
            });
        }
    });
    assert_eq!(calls.load(Ordering::Relaxed), THREADS * EACH * 2);
}

/// `instantiate_pre` on `wat` with `linker`'s definitions: `Ok(())` or the
/// error's text must contain `expected`.
#[track_caller]
fn check_pre(linker: &Linker<()>, wat: &str, expected: Result<(), &str>) {
    let module = Module::new(linker.engine(), wat).unwrap();
    match (linker.instantiate_pre(&module), expected) {
        (Ok(_), Ok(())) => {}
        (Err(e), Err(want)) => {
            let e = format!("{e:#}");
            assert!(e.contains(want), "error `{e}` does not mention `{want}`");
        }
        (Ok(_), Err(want)) => panic!("instantiate_pre succeeded; wanted an error with `{want}`"),
        (Err(e), Ok(())) => panic!("instantiate_pre failed: {e:#}"),
    }
}

#[test]
fn instantiate_pre_resolves_imports_up_front() {
    let engine = Engine::default();
    let linker = counter_linker(&engine, &Arc::new(AtomicU64::new(0)));
    let cases: &[(&str, Result<(), &str>)] = &[
        (COUNTER, Ok(())),
        (r#"(module)"#, Ok(())),
        (
            r#"(module (import "host" "nope" (func)))"#,
            Err("unknown import: `host::nope` has not been defined"),
        ),
        (
            r#"(module (import "other" "bump" (func (param i32) (result i32))))"#,
            Err("unknown import: `other::bump`"),
        ),
        (
            r#"(module (import "host" "bump" (func (param i64) (result i32))))"#,
            Err(
                "incompatible import type for `host::bump`: expected func [i64] -> [i32], found func [i32] -> [i32]",
            ),
        ),
    ];
    for (wat, expected) in cases {
        check_pre(&linker, wat, *expected);
    }
}

#[test]
fn instance_pre_with_store_objects_checks_the_store() {
    let engine = Engine::default();
    let mut owner = Store::new(&engine, ());
    let memory = Memory::new(&mut owner, MemoryType::new(1, None)).unwrap();
    let mut linker = Linker::new(&engine);
    linker.define("env", "memory", memory).unwrap();
    let module = Module::new(
        &engine,
        r#"(module (import "env" "memory" (memory 1))
            (func (export "peek") (result i32) i32.const 0 i32.load8_u))"#,
    )
    .unwrap();
    let pre = linker.instantiate_pre(&module).unwrap();
    memory.data_mut(&mut owner)[0] = 7;
    let instance = pre.instantiate(&mut owner).unwrap();
    let peek = instance
        .get_typed_func::<(), i32>(&mut owner, "peek")
        .unwrap();
    assert_eq!(peek.call(&mut owner, ()).unwrap(), 7);

    let mut other = Store::new(&engine, ());
    let e = pre.instantiate(&mut other).unwrap_err();
    assert!(format!("{e:#}").contains("store"), "{e:#}");

    let stranger = Engine::default();
    let e = pre.instantiate(Store::new(&stranger, ())).unwrap_err();
    assert!(format!("{e:#}").contains("different engines"), "{e:#}");
    let e = Linker::<()>::new(&stranger)
        .instantiate_pre(&module)
        .unwrap_err();
    assert!(format!("{e:#}").contains("different engines"), "{e:#}");
}
