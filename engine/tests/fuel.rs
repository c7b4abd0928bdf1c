//! Fuel metering seen from the embedder: how much fuel a call consumes,
//! and that whatever could run forever runs out (see
//! `engine/src/translate/fuel.rs` for where charges go: one unit per
//! operator, counting each function's final `end`; leaves charge nothing
//! themselves, their direct callers pay for them).

use kiln::*;

/// Leaves and their callers. `$leaf` is 4 operators (`i32.const`,
/// `i32.const`, `i32.add`, `end`) and returns 3.
const CALLS: &str = r#"(module
    (type $t (func (result i32)))
    (table funcref (elem $leaf))
    (memory 1)
    (func $leaf (export "leaf") (result i32) (i32.add (i32.const 1) (i32.const 2)))
    (func (export "direct") (result i32) (call $leaf))
    (func (export "indirect") (result i32) (call_indirect (type $t) (i32.const 0)))
    (func (export "in_loop") (local i32)
        (loop
            (local.set 0 (i32.add (local.get 0) (call $leaf)))
            (br_if 0 (i32.lt_u (local.get 0) (i32.const 9)))))
    (func $maybe (param i32) (if (local.get 0) (then (drop (call $leaf)))))
    (func (export "taken") (call $maybe (i32.const 1)))
    (func (export "untaken") (call $maybe (i32.const 0)))
    (func $grow (result i32) (memory.grow (i32.const 0)))
    (func (export "grow") (result i32) (call $grow))
    (func (export "tail_direct") (result i32) (return_call $leaf))
    (func (export "tail_indirect") (result i32)
        (return_call_indirect (type $t) (i32.const 0))))"#;

/// Calls and loops that never finish.
const RUNAWAY: &str = r#"(module
    (type $v (func))
    (table 2 funcref)
    (elem (i32.const 0) $ping)
    (func (export "spin") (loop (br 0)))
    (func $rec (export "recurse") (call $rec))
    (func $even (export "mutual") (call $odd))
    (func $odd (call $even))
    (func $ping (export "ping") (call_indirect (type $v) (i32.const 0)))
    (func $tail (export "tail") (return_call $tail))
    (func $tail_even (export "tail_mutual") (return_call $tail_odd))
    (func $tail_odd (return_call $tail_even))
    (func (export "tail_ping") (return_call_indirect (type $v) (i32.const 1)))
    (elem (i32.const 1) $tail_pong)
    (func $tail_pong (return_call_indirect (type $v) (i32.const 1))))"#;

/// Instantiate `wat` in a store with `fuel`, call `export` (no parameters)
/// and compare the fuel it consumed, or its trap.
#[track_caller]
fn check(wat: &str, export: &str, fuel: u64, expected: Result<u64, TrapCode>) {
    let mut config = Config::new();
    config.consume_fuel(true);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, wat).expect("module compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let f = instance
        .get_func(&mut store, export)
        .expect("export exists");
    let mut results = vec![Val::I32(0); f.ty(&store).results().len()];
    store.set_fuel(fuel).unwrap();
    let got = f.call(&mut store, &[], &mut results).map_err(|e| {
        e.downcast_ref::<Trap>()
            .unwrap_or_else(|| panic!("{export}: not a trap: {e:#}"))
            .code()
    });
    let got = got.map(|()| fuel - store.get_fuel().unwrap());
    assert_eq!(got, expected, "{export} with {fuel} fuel");
}

#[test]
fn leaves_are_paid_for_by_direct_callers() {
    // A direct call costs what it did when leaves charged themselves:
    // 2 (`call`, `end`) + 4.
    check(CALLS, "direct", 1000, Ok(6));
    // 2 outside the loop, 9 + 4 per iteration, 3 iterations.
    check(CALLS, "in_loop", 1000, Ok(41));
    // `$maybe` pays for the call in its `if` whether the arm runs or not.
    check(CALLS, "taken", 1000, Ok(3 + 6 + 4));
    check(CALLS, "untaken", 1000, Ok(3 + 6 + 4));
    // A tail call of a leaf is paid like a call: `return_call`, `end`, + 4.
    check(CALLS, "tail_direct", 1000, Ok(6));
    check(CALLS, "tail_direct", 5, Err(TrapCode::OutOfFuel));
    // Builtins are not calls: `$grow` (3 operators) is a leaf too.
    check(CALLS, "grow", 1000, Ok(2 + 3));
    // The charge covers the leaf, so the caller traps before calling it.
    check(CALLS, "direct", 5, Err(TrapCode::OutOfFuel));
    check(CALLS, "direct", 6, Ok(6));
}

#[test]
fn leaves_reached_otherwise_are_free() {
    // Through a table only the caller's 3 operators are paid.
    check(CALLS, "indirect", 1000, Ok(3));
    check(CALLS, "tail_indirect", 1000, Ok(3));
    // From the host, nothing at all, even with an empty tank.
    check(CALLS, "leaf", 1000, Ok(0));
    check(CALLS, "leaf", 0, Ok(0));
    check(CALLS, "direct", 0, Err(TrapCode::OutOfFuel));
}

#[test]
fn what_could_run_forever_runs_out() {
    check(RUNAWAY, "spin", 10_000, Err(TrapCode::OutOfFuel));
    check(RUNAWAY, "recurse", 10_000, Err(TrapCode::OutOfFuel));
    check(RUNAWAY, "mutual", 10_000, Err(TrapCode::OutOfFuel));
    check(RUNAWAY, "ping", 10_000, Err(TrapCode::OutOfFuel));
    // Tail calls are calls: a function making one is no leaf. Loops of
    // them never overflow the stack, so fuel is what ends them.
    check(RUNAWAY, "tail", 10_000, Err(TrapCode::OutOfFuel));
    check(RUNAWAY, "tail_mutual", 10_000, Err(TrapCode::OutOfFuel));
    check(RUNAWAY, "tail_ping", 10_000, Err(TrapCode::OutOfFuel));
    // With fuel to spare, recursion hits the stack limit first: also a
    // clean trap.
    check(RUNAWAY, "recurse", 1 << 40, Err(TrapCode::StackOverflow));
    check(RUNAWAY, "ping", 1 << 40, Err(TrapCode::StackOverflow));
}
