//! Stack exhaustion on host threads of any size: deep recursion, in wasm
//! alone or through host functions that call back into wasm, ends in a
//! `StackOverflow` trap even when the thread's stack is smaller than
//! `Config::max_wasm_stack` (512 KiB by default), and the thread can call
//! wasm again afterwards.

use kiln::*;

const WAT: &str = r#"(module
    (import "host" "reenter" (func $reenter (param i32) (result i32)))
    (import "host" "reenter_heavy" (func $reenter_heavy (param i32) (result i32)))
    ;; Pure wasm recursion, unbounded.
    (func $recurse (export "recurse") (param i32) (result i32)
        local.get 0 i32.const 1 i32.add call $recurse)
    ;; wasm -> host -> wasm -> host ..., unbounded.
    (func (export "ping_pong") (param i32) (result i32)
        local.get 0 i32.const 1 i32.add call $reenter)
    ;; The same through a host function with a 16 KiB frame, so that it is
    ;; mostly the nested host->wasm entry that finds the stack used up.
    (func (export "heavy_ping_pong") (param i32) (result i32)
        local.get 0 i32.const 1 i32.add call $reenter_heavy)
    ;; Bounded recursion: returns its argument after that many calls.
    (func $count (export "count") (param i32) (result i32)
        local.get 0 i32.eqz
        if (result i32)
            i32.const 0
        else
            local.get 0 i32.const 1 i32.sub call $count i32.const 1 i32.add
        end))"#;

/// On a thread with `stack_size` bytes of stack (`None`: the test's own
/// thread), make each call of `calls` in turn on one store and compare its
/// result or trap code. (Module and host function are compiled here:
/// Cranelift needs more stack than the smallest threads have.)
fn check(stack_size: Option<usize>, calls: &[(&str, i32, Result<i32, TrapCode>)]) {
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).expect("module compiles");
    let mut linker = Linker::<()>::new(&engine);
    linker
        .func_wrap("host", "reenter", |caller: Caller<'_, ()>, depth: i32| {
            call_export(caller, "ping_pong", depth)
        })
        .unwrap();
    linker
        .func_wrap(
            "host",
            "reenter_heavy",
            |caller: Caller<'_, ()>, depth: i32| {
                let mut frame = [0u8; 16 * 1024];
                std::hint::black_box(&mut frame);
                call_export(caller, "heavy_ping_pong", depth)
            },
        )
        .unwrap();
    let run = || {
        let mut store = Store::new(&engine, ());
        let instance = linker.instantiate(&mut store, &module).unwrap();
        for &(name, arg, expected) in calls {
            let f = instance
                .get_typed_func::<i32, i32>(&mut store, name)
                .unwrap();
            let got = f
                .call(&mut store, arg)
                .map_err(|e| match e.downcast_ref::<Trap>() {
                    Some(trap) => trap.code(),
                    None => panic!("{name}: not a trap: {e:#}"),
                });
            assert_eq!(
                got, expected,
                "{name}({arg}) on a {stack_size:?}-byte stack"
            );
        }
    };
    match stack_size {
        None => run(),
        Some(size) => std::thread::scope(|scope| {
            std::thread::Builder::new()
                .stack_size(size)
                .spawn_scoped(scope, run)
                .unwrap()
                .join()
                .expect("the thread finishes without a panic")
        }),
    }
}

/// A host function's way back into wasm.
fn call_export(mut caller: Caller<'_, ()>, name: &str, arg: i32) -> Result<i32> {
    let f = caller
        .get_export(name)
        .and_then(Extern::into_func)
        .expect("the export exists");
    f.typed::<i32, i32>(&caller)?.call(&mut caller, arg)
}

const EXHAUST_THEN_RECOVER: &[(&str, i32, Result<i32, TrapCode>)] = &[
    ("count", 100, Ok(100)),
    ("recurse", 0, Err(TrapCode::StackOverflow)),
    ("count", 1000, Ok(1000)),
    ("ping_pong", 0, Err(TrapCode::StackOverflow)),
    ("count", 1000, Ok(1000)),
    ("heavy_ping_pong", 0, Err(TrapCode::StackOverflow)),
    ("count", 1000, Ok(1000)),
    ("recurse", 0, Err(TrapCode::StackOverflow)),
    ("ping_pong", 0, Err(TrapCode::StackOverflow)),
    ("heavy_ping_pong", 0, Err(TrapCode::StackOverflow)),
];

#[test]
fn small_thread_stack_traps_instead_of_crashing() {
    check(Some(256 * 1024), EXHAUST_THEN_RECOVER);
}

#[test]
fn tiny_thread_stack_traps_instead_of_crashing() {
    // Smaller than the host's own reserve: wasm cannot run at all there,
    // and says so with a trap.
    check(
        Some(64 * 1024),
        &[("recurse", 0, Err(TrapCode::StackOverflow))],
    );
}

#[test]
fn default_thread_stack_still_traps() {
    check(None, EXHAUST_THEN_RECOVER);
}

#[test]
fn large_thread_stack_still_traps() {
    check(Some(8 * 1024 * 1024), EXHAUST_THEN_RECOVER);
}
