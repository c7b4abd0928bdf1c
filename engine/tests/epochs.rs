//! Epoch interruption seen from the embedder (`Config::epoch_interruption`):
//! where wasm stops (function entries but leaves', loop headers), what
//! happens there (the interrupt trap, or the store's callback), and that
//! another thread's `Engine::increment_epoch` stops a loop that calls
//! nothing. See `engine/src/translate/epoch.rs`.

use kiln::*;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Every export takes an `i32` and returns one.
const MODULE: &str = r#"(module
    (import "host" "count" (func $host (param i32) (result i32)))
    ;; Never returns; calls nothing.
    (func (export "spin") (param i32) (result i32)
        (loop (br 0))
        (i32.const 0))
    ;; Loops `n` times; returns `n`.
    (func $count (export "count") (param $n i32) (result i32) (local $i i32)
        (block (loop
            (br_if 1 (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br 0)))
        (local.get $i))
    ;; Recurses `n` levels deep, looping nowhere; returns `n`.
    (func $rec (export "recurse") (param $n i32) (result i32)
        (if (result i32) (i32.eqz (local.get $n))
            (then (i32.const 0))
            (else (i32.add (i32.const 1)
                (call $rec (i32.sub (local.get $n) (i32.const 1)))))))
    ;; A leaf: no loop, no call.
    (func (export "leaf") (param i32) (result i32)
        (i32.add (local.get 0) (i32.const 1)))
    ;; Loops `n` times with values of every kind live in registers across
    ;; each check: (1 + n) + (4 + n) + 3n + n/2.
    (func (export "registers") (param $n i32) (result i32)
        (local $v v128) (local $i i32) (local $a i64) (local $f f64)
        (local.set $v (v128.const i32x4 1 2 3 4))
        (block (loop
            (br_if 1 (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $v (i32x4.add (local.get $v) (v128.const i32x4 1 1 1 1)))
            (local.set $a (i64.add (local.get $a) (i64.const 3)))
            (local.set $f (f64.add (local.get $f) (f64.const 0.5)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br 0)))
        (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))
            (i32.add (i32.wrap_i64 (local.get $a)) (i32.trunc_f64_s (local.get $f)))))
    ;; Never returns; each iteration first calls `recurse`, whose entry
    ;; check stands in for the loop's.
    (func (export "spin-calling") (param i32) (result i32)
        (loop (drop (call $rec (i32.const 0))) (br 0))
        (i32.const 0))
    ;; fib(n), naively, as C compilers write it: a loop around one of the
    ;; two recursive calls, which checks once per call.
    (func $fib (export "fib") (param $n i32) (result i32) (local $acc i32)
        (block (br_if 0 (i32.lt_u (local.get $n) (i32.const 2)))
            (loop
                (local.set $acc (i32.add (local.get $acc)
                    (call $fib (i32.sub (local.get $n) (i32.const 1)))))
                (local.set $n (i32.sub (local.get $n) (i32.const 2)))
                (br_if 0 (i32.gt_u (local.get $n) (i32.const 1)))))
        (i32.add (local.get $acc) (local.get $n)))
    ;; wasm -> host -> wasm: the host calls `count` with `n`.
    (func (export "nested") (param i32) (result i32)
        (call $host (local.get 0))))"#;

/// What the store does at the deadline.
#[derive(Clone, Copy, Debug)]
enum AtDeadline {
    /// The default: trap.
    Trap,
    /// The callback answers `Continue(0)` (the deadline is the current
    /// epoch again, so the next check calls it again) this many times,
    /// then fails with the error "enough".
    ContinueThenFail(u32),
    /// As `ContinueThenFail`, then answers `Interrupt`.
    ContinueThenInterrupt(u32),
    /// The callback panics.
    Panic,
}

/// A store's setup: epochs on; fuel (`None`: off); the deadline in ticks
/// (`None`: never set); the policy.
#[derive(Clone, Copy, Debug)]
struct Setup {
    fuel: Option<u64>,
    deadline: Option<u64>,
    at: AtDeadline,
}

/// Plenty of time: no test increments the epoch this often.
const FAR: u64 = 1 << 40;

const fn deadline(ticks: u64) -> Setup {
    Setup {
        fuel: None,
        deadline: Some(ticks),
        at: AtDeadline::Trap,
    }
}

const fn callback(at: AtDeadline) -> Setup {
    Setup {
        fuel: None,
        deadline: Some(0),
        at,
    }
}

/// A store of `engine` set up as `setup`, counting the callback's calls
/// in its data, and an instance of `MODULE` in it.
fn instantiate(engine: &Engine, setup: Setup) -> (Store<u32>, Instance) {
    let mut store = Store::new(engine, 0u32);
    if let Some(fuel) = setup.fuel {
        store.set_fuel(fuel).unwrap();
    }
    if let Some(ticks) = setup.deadline {
        store.set_epoch_deadline(ticks);
    }
    match setup.at {
        AtDeadline::Trap => {}
        AtDeadline::ContinueThenFail(n) | AtDeadline::ContinueThenInterrupt(n) => {
            let fail = matches!(setup.at, AtDeadline::ContinueThenFail(_));
            store.epoch_deadline_callback(move |mut cx| {
                *cx.data_mut() += 1;
                // Work that uses vector registers, which the code the
                // callback interrupts must get back intact.
                let v = std::hint::black_box([1.5f64; 8]);
                std::hint::black_box(v.iter().map(|x| x * 2.0).sum::<f64>());
                match *cx.data() <= n {
                    true => Ok(UpdateDeadline::Continue(0)),
                    false if fail => Err(anyhow::anyhow!("enough")),
                    false => Ok(UpdateDeadline::Interrupt),
                }
            })
        }
        AtDeadline::Panic => store.epoch_deadline_callback(|_| panic!("callback panics")),
    }
    let mut linker = Linker::new(engine);
    linker
        .func_wrap(
            "host",
            "count",
            |mut caller: Caller<'_, u32>, n: i32| -> Result<i32> {
                let f = caller
                    .get_export("count")
                    .and_then(Extern::into_func)
                    .unwrap();
                f.typed::<i32, i32>(&caller)?.call(&mut caller, n)
            },
        )
        .unwrap();
    let module = Module::new(engine, MODULE).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    (store, instance)
}

fn engine(fuel: bool) -> Engine {
    let mut config = Config::new();
    config.epoch_interruption(true).consume_fuel(fuel);
    Engine::new(&config).unwrap()
}

/// What a call came to: `= value`, `trap: message`, or `error: message`,
/// then how many times the callback ran, if at all.
fn outcome(store: &Store<u32>, result: Result<i32>) -> String {
    let what = match result {
        Ok(v) => format!("= {v}"),
        Err(e) => match e.downcast_ref::<Trap>() {
            Some(t) => format!("trap: {}", t.code()),
            None => format!("error: {e}"),
        },
    };
    match *store.data() {
        0 => what,
        n => format!("{what} ({n} callbacks)"),
    }
}

/// Calls `export(arg)` in a fresh store set up as `setup` and compares the
/// outcome (see [`outcome`]).
#[track_caller]
fn check(setup: Setup, export: &str, arg: i32, expected: &str) {
    let engine = engine(setup.fuel.is_some());
    let (mut store, instance) = instantiate(&engine, setup);
    let f = instance
        .get_typed_func::<i32, i32>(&mut store, export)
        .unwrap();
    let result = f.call(&mut store, arg);
    assert_eq!(
        outcome(&store, result),
        expected,
        "{export}({arg}) with {setup:?}"
    );
}

#[test]
fn a_deadline_ahead_lets_wasm_finish() {
    check(deadline(FAR), "count", 1_000_000, "= 1000000");
    check(deadline(1), "recurse", 1000, "= 1000");
    check(deadline(1), "nested", 10, "= 10");
}

/// wasmtime's default: the deadline starts at 0, so with epochs on and no
/// deadline set wasm stops at its first check. A leaf has none.
#[test]
fn no_deadline_set_stops_at_the_first_check() {
    let unset = Setup {
        deadline: None,
        ..deadline(0)
    };
    check(unset, "count", 3, "trap: interrupt");
    check(unset, "recurse", 3, "trap: interrupt");
    check(unset, "leaf", 3, "= 4");
}

#[test]
fn the_callback_decides_at_each_check() {
    // `count(n)` checks at its loop's header, not at entry, since its body
    // starts with the loop; and once per 4 iterations, since its body of 9
    // operators is translated 4 times, only the first copy checking
    // (`translate/unroll.rs`): of its n + 1 headers, the 1st, 5th, 9th...
    // check, each past the deadline.
    check(
        callback(AtDeadline::ContinueThenFail(100)),
        "count",
        10,
        "= 10 (3 callbacks)",
    );
    check(
        callback(AtDeadline::ContinueThenFail(100)),
        "count",
        12,
        "= 12 (4 callbacks)",
    );
    // One check per call of `fib`: fib(10) makes 89 calls (fib(n) makes
    // fib(n + 1) calls).
    check(
        callback(AtDeadline::ContinueThenFail(1000)),
        "fib",
        10,
        "= 55 (89 callbacks)",
    );
    // `spin-calling`'s loop leaves its check to `recurse`'s entry.
    check(
        callback(AtDeadline::ContinueThenFail(5)),
        "spin-calling",
        0,
        "error: enough (6 callbacks)",
    );
    // Its error is the call's error, unchanged.
    check(
        callback(AtDeadline::ContinueThenFail(5)),
        "spin",
        0,
        "error: enough (6 callbacks)",
    );
    check(
        callback(AtDeadline::ContinueThenInterrupt(5)),
        "spin",
        0,
        "trap: interrupt (6 callbacks)",
    );
    // What the interrupted code held in registers survives the callback
    // (checked once per 4 iterations, as in `count`).
    check(
        callback(AtDeadline::ContinueThenFail(100)),
        "registers",
        10,
        "= 60 (3 callbacks)",
    );
    check(deadline(FAR), "registers", 10, "= 60");
    check(
        callback(AtDeadline::Panic),
        "spin",
        0,
        "error: the epoch deadline callback panicked: callback panics",
    );
}

#[test]
fn recursion_is_checked_at_function_entries() {
    // `recurse` has no loop: each level's entry checks. Level 1 enters
    // with `n` = 10, the callback lets 4 checks pass, the 5th traps.
    check(
        callback(AtDeadline::ContinueThenInterrupt(4)),
        "recurse",
        10,
        "trap: interrupt (5 callbacks)",
    );
    check(
        callback(AtDeadline::ContinueThenInterrupt(100)),
        "recurse",
        10,
        "= 10 (11 callbacks)",
    );
    // The trap's backtrace holds the five levels.
    let engine = engine(false);
    let (mut store, instance) =
        instantiate(&engine, callback(AtDeadline::ContinueThenInterrupt(4)));
    let f = instance
        .get_typed_func::<i32, i32>(&mut store, "recurse")
        .unwrap();
    let err = f.call(&mut store, 10).unwrap_err();
    let trap = err.downcast_ref::<Trap>().unwrap();
    assert_eq!(trap.trace().len(), 5, "{trap}");
}

#[test]
fn epochs_and_fuel_together() {
    let both = |fuel, ticks| Setup {
        fuel: Some(fuel),
        deadline: Some(ticks),
        at: AtDeadline::Trap,
    };
    check(both(1 << 40, FAR), "count", 1000, "= 1000");
    check(
        both(1000, FAR),
        "count",
        1_000_000,
        "trap: all fuel consumed",
    );
    check(both(1 << 40, 0), "count", 1000, "trap: interrupt");
    // The callback runs beside fuel, which keeps counting.
    let fuel_and_callback = Setup {
        fuel: Some(1 << 40),
        ..callback(AtDeadline::ContinueThenFail(100))
    };
    check(fuel_and_callback, "count", 10, "= 10 (3 callbacks)");
}

/// Runs `f` on a thread of its own and waits at most `secs` for it: a
/// check that never stops fails the test instead of hanging it.
fn within<R: Send + 'static>(secs: u64, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || tx.send(f()).unwrap());
    rx.recv_timeout(Duration::from_secs(secs))
        .expect("wasm was not interrupted in time")
}

#[test]
fn another_thread_interrupts_a_loop_that_calls_nothing() {
    let engine = engine(false);
    let ticker = engine.clone();
    let outcome = within(60, move || {
        let (mut store, instance) = instantiate(&engine, deadline(1));
        let spin = instance
            .get_typed_func::<i32, i32>(&mut store, "spin")
            .unwrap();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            ticker.increment_epoch();
        });
        let result = spin.call(&mut store, 0);
        outcome(&store, result)
    });
    assert_eq!(outcome, "trap: interrupt");
}

#[test]
fn every_store_of_the_engine_sees_the_epoch() {
    // Two stores, two threads, one increment.
    let engine = engine(false);
    let (tx, rx) = mpsc::channel();
    for _ in 0..2 {
        let (engine, tx) = (engine.clone(), tx.clone());
        thread::spawn(move || {
            let (mut store, instance) = instantiate(&engine, deadline(1));
            let spin = instance
                .get_typed_func::<i32, i32>(&mut store, "spin")
                .unwrap();
            tx.send(()).unwrap();
            let result = spin.call(&mut store, 0);
            tx.send(()).unwrap();
            outcome(&store, result)
        });
    }
    // Both are about to spin; then one tick stops both.
    for _ in 0..2 {
        rx.recv_timeout(Duration::from_secs(60)).unwrap();
    }
    thread::sleep(Duration::from_millis(20));
    engine.increment_epoch();
    for _ in 0..2 {
        rx.recv_timeout(Duration::from_secs(60))
            .expect("a store was not interrupted in time");
    }
}

#[test]
fn the_store_is_usable_after_an_interrupt() {
    let engine = engine(false);
    // `nested`'s entry check lets it go on; the inner `count`'s (host ->
    // wasm -> host -> wasm) traps, and the trap comes out of the outer call
    // through the host function.
    let (mut store, instance) =
        instantiate(&engine, callback(AtDeadline::ContinueThenInterrupt(1)));
    let nested = instance
        .get_typed_func::<i32, i32>(&mut store, "nested")
        .unwrap();
    let result = nested.call(&mut store, 5);
    assert_eq!(outcome(&store, result), "trap: interrupt (2 callbacks)");
    // host -> wasm -> host -> wasm works again once the deadline is ahead.
    store.epoch_deadline_trap();
    store.set_epoch_deadline(FAR);
    assert_eq!(nested.call(&mut store, 5).unwrap(), 5);
    // And the deadline can be set from inside, by a host function.
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("host", "count", |mut caller: Caller<'_, u32>, n: i32| {
            caller.as_context_mut().set_epoch_deadline(0);
            n
        })
        .unwrap();
    let module = Module::new(&engine, MODULE).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let nested = instance
        .get_typed_func::<i32, i32>(&mut store, "nested")
        .unwrap();
    assert_eq!(nested.call(&mut store, 7).unwrap(), 7);
    // The lowered deadline holds from the next function entry on.
    *store.data_mut() = 0;
    let count = instance
        .get_typed_func::<i32, i32>(&mut store, "count")
        .unwrap();
    let result = count.call(&mut store, 7);
    assert_eq!(outcome(&store, result), "trap: interrupt");
}

#[test]
fn without_epochs_nothing_is_checked() {
    let engine = Engine::default();
    let (mut store, instance) = instantiate(&engine, deadline(0));
    let count = instance
        .get_typed_func::<i32, i32>(&mut store, "count")
        .unwrap();
    assert_eq!(count.call(&mut store, 1000).unwrap(), 1000);
}
