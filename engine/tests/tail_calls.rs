//! Tail calls (`return_call`, `return_call_indirect`) are real tail calls:
//! a million mutually tail-calling functions run in constant stack in
//! every configuration the spec suite runs (guard pages, explicit bounds
//! checks at `opt_level=none`, artifacts), and calls between host and wasm
//! keep working when a tail call replaces a frame: wasm tail-calling host
//! functions (directly, through a table, with arguments on the stack, with
//! results in the return area, re-entering wasm, failing), wasm of another
//! instance, backtraces that skip the replaced frames, and stack overflow
//! still caught on small threads.

use kiln::*;

/// `$a` → `$b` → `$c` → `$a` ..., with 2, 16 (so some on the stack) and 3
/// parameters, directly and through the table. Each round adds `n + 86`
/// to the accumulator and counts `n` down; at 0, a negative accumulator
/// traps, any other ends in the host function `finish` (through the
/// table). `CALL` is `return_call` (or `call`, for the control that shows
/// the loop needs constant stack).
const LOOP: &str = r#"(module $loop
    (import "host" "finish" (func $finish (param i64 i32) (result i64)))
    (type $a (func (param i64 i32) (result i64)))
    (type $c (func (param i64 i32 i32) (result i64)))
    (table funcref (elem $a $c $finish))
    (func $a (export "run") (param $acc i64) (param $n i32) (result i64)
        (if (i32.eqz (local.get $n))
            (then (if (i64.lt_s (local.get $acc) (i64.const 0)) (then unreachable))))
        (if (result i64) (i32.eqz (local.get $n))
            (then (CALL_indirect (type $a) (local.get $acc) (local.get $n) (i32.const 2)))
            (else (CALL $b (local.get $acc) (local.get $n)
                (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4)
                (i64.const 5) (i64.const 6) (i64.const 7) (i64.const 8)
                (i64.const 9) (i64.const 10) (i64.const 11) (i64.const 12)
                (f64.const 0.5) (v128.const i64x2 3 4)))))
    (func $b (param $acc i64) (param $n i32)
            (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
            (param $f f64) (param $v v128) (result i64)
        (CALL_indirect (type $c)
            (i64.add (local.get $acc)
                (i64.add (i64.extend_i32_u (local.get $n))
                    (i64.add
                        (i64.add
                            (i64.add (i64.add (local.get 2) (local.get 3))
                                (i64.add (local.get 4) (local.get 5)))
                            (i64.add (i64.add (local.get 6) (local.get 7))
                                (i64.add (local.get 8) (local.get 9))))
                        (i64.add
                            (i64.add (i64.add (local.get 10) (local.get 11))
                                (i64.add (local.get 12) (local.get 13)))
                            (i64.add (i64.trunc_f64_s (f64.add (local.get $f) (local.get $f)))
                                (i64.add (i64x2.extract_lane 0 (local.get $v))
                                    (i64x2.extract_lane 1 (local.get $v))))))))
            (local.get $n) (i32.const 1)
            (i32.const 1)))
    (func $c (param $acc i64) (param $n i32) (param $k i32) (result i64)
        (CALL $a (local.get $acc) (i32.sub (local.get $n) (local.get $k)))))"#;

/// The rounds of the loop.
const ROUNDS: i32 = 1_000_000;

/// What `run(acc, ROUNDS)` returns: `finish` multiplies by 10.
const LOOP_RESULT: i64 = (ROUNDS as i64 * (ROUNDS as i64 + 1) / 2 + 86 * ROUNDS as i64) * 10;

/// The configurations of the spec run: name, config, through artifacts.
fn configurations() -> Vec<(&'static str, Config, bool)> {
    let mut explicit = Config::new();
    explicit
        .bounds_checks(BoundsChecks::Explicit)
        .cranelift_opt_level(OptLevel::None);
    vec![
        ("guard pages", Config::new(), false),
        ("explicit, opt none", explicit, false),
        ("artifact", Config::new(), true),
    ]
}

/// Compile `wat` under `engine`, through an artifact if asked.
fn compile(engine: &Engine, wat: &str, artifact: bool) -> Module {
    let module = Module::new(engine, wat).expect("module compiles");
    if !artifact {
        return module;
    }
    let bytes = module.serialize().unwrap();
    // SAFETY: the artifact was just produced by this engine.
    unsafe { Module::deserialize(engine, &bytes) }.expect("artifact loads")
}

/// The error of a call as its trap code (panics on any other error).
fn trap_code(e: anyhow::Error) -> TrapCode {
    e.downcast_ref::<Trap>()
        .unwrap_or_else(|| panic!("not a trap: {e:#}"))
        .code()
}

/// Run the loop with `call` spelled `call` in each configuration: `run(acc,
/// ROUNDS)` gives `expected`, or traps with the backtrace listing the
/// functions named in `frames` (innermost first).
#[track_caller]
fn check_loop(call: &str, acc: i64, expected: Result<i64, (TrapCode, &[&str])>) {
    let wat = LOOP.replace("CALL", call);
    for (name, config, artifact) in configurations() {
        let engine = Engine::new(&config).unwrap();
        let module = compile(&engine, &wat, artifact);
        let mut linker = Linker::<()>::new(&engine);
        linker
            .func_wrap("host", "finish", |acc: i64, n: i32| acc * 10 + i64::from(n))
            .unwrap();
        let mut store = Store::new(&engine, ());
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let run = instance
            .get_typed_func::<(i64, i32), i64>(&mut store, "run")
            .unwrap();
        let got = run.call(&mut store, (acc, ROUNDS)).map_err(|e| {
            let trap = e.downcast_ref::<Trap>().expect("a trap");
            let frames: Vec<_> = trap
                .trace()
                .iter()
                .map(|f| f.func_name.clone().unwrap_or_default())
                .collect();
            (trap.code(), frames)
        });
        let expected = expected.map_err(|(code, frames)| {
            let frames: Vec<String> = frames.iter().map(|f| f.to_string()).collect();
            (code, frames)
        });
        match (&got, &expected) {
            // A stack overflow's backtrace is 64 frames of whatever was
            // deepest: only the code is checked.
            (Err((TrapCode::StackOverflow, _)), Err((TrapCode::StackOverflow, _))) => {}
            _ => assert_eq!(got, expected, "{call} loop, {name}"),
        }
    }
}

#[test]
fn a_million_tail_calls_run_in_constant_stack() {
    check_loop("return_call", 0, Ok(LOOP_RESULT));
    // The trap at the end sees one frame: every round replaced the last.
    check_loop(
        "return_call",
        i64::MIN,
        Err((TrapCode::UnreachableCodeReached, &["a"])),
    );
    // The same loop with ordinary calls needs a frame per call.
    check_loop("call", 0, Err((TrapCode::StackOverflow, &[])));
}

/// Tail calls into host functions and into another instance.
const HOST: &str = r#"(module $host_calls
    (import "host" "add" (func $add (param i64 i64) (result i64)))
    (import "host" "sum14" (func $sum14 (param i64 i64 i64 i64 i64 i64 i64
        i64 i64 i64 i64 i64 i64 i64) (result i64)))
    (import "host" "ten" (func $ten_host (param i64)
        (result i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)))
    (import "host" "reenter" (func $reenter (param i32) (result i32)))
    (import "host" "fail" (func $fail (param i32) (result i32)))
    (import "other" "get" (func $other (param i32) (result i32)))
    (type $add (func (param i64 i64) (result i64)))
    (table funcref (elem $add))
    (func (export "tail_host") (param i64) (result i64)
        (return_call $add (local.get 0) (i64.const 1)))
    (func (export "tail_host_indirect") (param i64) (result i64)
        (return_call_indirect (type $add) (local.get 0) (i64.const 2) (i32.const 0)))
    (func (export "tail_host_stack_args") (param i64) (result i64)
        (return_call $sum14 (local.get 0) (i64.const 1) (i64.const 2) (i64.const 3)
            (i64.const 4) (i64.const 5) (i64.const 6) (i64.const 7) (i64.const 8)
            (i64.const 9) (i64.const 10) (i64.const 11) (i64.const 12) (i64.const 13)))
    (func (export "tail_host_ten") (param i64)
            (result i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
        (return_call $ten_host (local.get 0)))
    (func $ten (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
            (result i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
        (local.get 11) (local.get 10) (local.get 9) (local.get 8) (local.get 7)
        (local.get 6) (local.get 5) (local.get 4) (local.get 3) (local.get 2))
    (func (export "tail_wasm_ten") (param i64)
            (result i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
        (return_call $ten (i64.const -1) (i64.const -2) (local.get 0) (i64.const 1)
            (i64.const 2) (i64.const 3) (i64.const 4) (i64.const 5) (i64.const 6)
            (i64.const 7) (i64.const 8) (i64.const 9)))
    ;; count(n) = n, through host -> wasm re-entries of tail-called hosts.
    (func $count (export "count") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0))
            (then (i32.const 0))
            (else (return_call $reenter (local.get 0)))))
    (func (export "tail_fail") (param i32) (result i32)
        (return_call $fail (local.get 0)))
    (func (export "tail_other") (param i32) (result i32)
        (return_call $other (local.get 0))))"#;

/// Another instance: its function reads its own global, so it only works
/// with its own vmctx.
const OTHER: &str = r#"(module
    (global $g (mut i32) (i32.const 0))
    (func (export "set") (param i32) (global.set $g (local.get 0)))
    (func (export "get") (param i32) (result i32)
        (i32.add (global.get $g) (local.get 0))))"#;

/// Calls export `name` of the `HOST` module with `args`, in each
/// configuration, and compares its results or its error's text.
#[track_caller]
fn check_host(name: &str, args: &[Val], expected: Result<Vec<i64>, &str>) {
    for (config_name, config, artifact) in configurations() {
        let engine = Engine::new(&config).unwrap();
        let module = compile(&engine, HOST, artifact);
        let other = compile(&engine, OTHER, artifact);
        let mut store = Store::new(&engine, ());
        let other = Instance::new(&mut store, &other, &[]).unwrap();
        other
            .get_typed_func::<i32, ()>(&mut store, "set")
            .unwrap()
            .call(&mut store, 1000)
            .unwrap();
        let mut linker = Linker::<()>::new(&engine);
        linker.instance(&mut store, "other", other).unwrap();
        linker
            .func_wrap("host", "add", |a: i64, b: i64| a + b)
            .unwrap()
            .func_new(
                "host",
                "sum14",
                FuncType::new([const { ValType::I64 }; 14], [ValType::I64]),
                |_, params, results| {
                    let sum = params.iter().enumerate().map(|(i, p)| match p {
                        Val::I64(v) => (i as i64 + 1) * v,
                        _ => unreachable!("typed"),
                    });
                    results[0] = Val::I64(sum.sum());
                    Ok(())
                },
            )
            .unwrap()
            .func_new(
                "host",
                "ten",
                FuncType::new([ValType::I64], [const { ValType::I64 }; 10]),
                |_, params, results| {
                    let Val::I64(x) = params[0] else {
                        unreachable!("typed")
                    };
                    for (i, r) in results.iter_mut().enumerate() {
                        *r = Val::I64(x * 100 + i as i64);
                    }
                    Ok(())
                },
            )
            .unwrap()
            .func_wrap(
                "host",
                "reenter",
                |mut caller: Caller<'_, ()>, n: i32| -> anyhow::Result<i32> {
                    let Some(Extern::Func(count)) = caller.get_export("count") else {
                        anyhow::bail!("no count export");
                    };
                    let count = count.typed::<i32, i32>(&caller)?;
                    Ok(count.call(&mut caller, n - 1)? + 1)
                },
            )
            .unwrap()
            .func_wrap("host", "fail", |n: i32| -> anyhow::Result<i32> {
                anyhow::bail!("host says no to {n}")
            })
            .unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let f = instance.get_func(&mut store, name).unwrap();
        let mut results = vec![Val::I64(0); f.ty(&store).results().len()];
        let got = f
            .call(&mut store, args, &mut results)
            .map(|()| {
                results
                    .iter()
                    .map(|r| match *r {
                        Val::I32(v) => i64::from(v),
                        Val::I64(v) => v,
                        ref other => panic!("unexpected result {other:?}"),
                    })
                    .collect::<Vec<_>>()
            })
            .map_err(|e| format!("{e:#}"));
        match (&got, &expected) {
            (Err(got), Err(expected)) => {
                assert!(got.contains(expected), "{name}, {config_name}: {got}")
            }
            _ => assert_eq!(
                got,
                expected.clone().map_err(str::to_string),
                "{name}, {config_name}"
            ),
        }
    }
}

#[test]
fn host_functions_reached_by_tail_calls() {
    check_host("tail_host", &[Val::I64(41)], Ok(vec![42]));
    check_host("tail_host_indirect", &[Val::I64(40)], Ok(vec![42]));
    // 1*100 + 2*1 + 3*2 + ... + 14*13
    let sum14 = 100 + (1..14).map(|i| (i + 1) * i).sum::<i64>();
    check_host("tail_host_stack_args", &[Val::I64(100)], Ok(vec![sum14]));
    check_host(
        "tail_host_ten",
        &[Val::I64(7)],
        Ok((0..10).map(|i| 700 + i).collect()),
    );
    check_host("count", &[Val::I32(50)], Ok(vec![50]));
    check_host("tail_fail", &[Val::I32(3)], Err("host says no to 3"));
}

#[test]
fn wasm_reached_by_tail_calls() {
    check_host(
        "tail_wasm_ten",
        &[Val::I64(0)],
        Ok(vec![9, 8, 7, 6, 5, 4, 3, 2, 1, 0]),
    );
    // Another instance's function, with its own vmctx.
    check_host("tail_other", &[Val::I32(5)], Ok(vec![1005]));
}

/// A trap in a tail-called function: the frame it replaced is gone from
/// the backtrace, its caller is not. And recursion through tail calls
/// that grow the stack-argument area still overflows cleanly.
const TRAPS: &str = r#"(module $traps
    (func $inner (param i32) (result i32) unreachable)
    (func $middle (param i32) (result i32) (return_call $inner (local.get 0)))
    (func $outer (export "outer") (param i32) (result i32)
        (i32.add (call $middle (local.get 0)) (i32.const 1)))
    ;; $r tail-calls $s with more (stack) arguments than it has; $s recurses.
    (func $r (export "overflow") (param i32) (result i32)
        (return_call $s (local.get 0) (i64.const 1) (i64.const 2) (i64.const 3)
            (i64.const 4) (i64.const 5) (i64.const 6) (i64.const 7) (i64.const 8)
            (i64.const 9) (i64.const 10) (i64.const 11) (i64.const 12)))
    (func $s (param i32 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64) (result i32)
        (i32.add (call $r (local.get 0)) (i32.const 1))))"#;

#[test]
fn backtraces_skip_replaced_frames() {
    for (name, config, artifact) in configurations() {
        let engine = Engine::new(&config).unwrap();
        let module = compile(&engine, TRAPS, artifact);
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let outer = instance
            .get_typed_func::<i32, i32>(&mut store, "outer")
            .unwrap();
        let err = outer.call(&mut store, 0).unwrap_err();
        let trap = err.downcast_ref::<Trap>().expect("a trap");
        assert_eq!(trap.code(), TrapCode::UnreachableCodeReached, "{name}");
        let frames: Vec<_> = trap
            .trace()
            .iter()
            .map(|f| f.func_name.as_deref().unwrap_or("?"))
            .collect();
        assert_eq!(frames, ["inner", "outer"], "{name}");
    }
}

#[test]
fn tail_call_recursion_overflows_cleanly_on_small_threads() {
    for (name, config, artifact) in configurations() {
        let engine = Engine::new(&config).unwrap();
        let module = compile(&engine, TRAPS, artifact);
        for stack_size in [None, Some(128 * 1024), Some(2 * 1024 * 1024)] {
            let run = || {
                let mut store = Store::new(&engine, ());
                let instance = Instance::new(&mut store, &module, &[]).unwrap();
                let overflow = instance
                    .get_typed_func::<i32, i32>(&mut store, "overflow")
                    .unwrap();
                for _ in 0..2 {
                    let got = overflow.call(&mut store, 0).map_err(trap_code);
                    assert_eq!(
                        got,
                        Err(TrapCode::StackOverflow),
                        "{name}, {stack_size:?}-byte stack"
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
                        .unwrap()
                }),
            }
        }
    }
}

/// `wat` does not compile under `config`; the error says `expected`.
#[track_caller]
fn check_refused(config: &Config, wat: &str, expected: &str) {
    let engine = Engine::new(config).unwrap();
    let err = Module::new(&engine, wat).expect_err(wat);
    let text = format!("{err:#}");
    assert!(text.contains(expected), "{wat}: {text}");
}

#[test]
fn mismatched_tail_calls_are_refused() {
    let config = Config::new();
    // The callee's results must be the caller's.
    check_refused(
        &config,
        "(module (func $g (result i64) (i64.const 0)) (func (result i32) (return_call $g)))",
        "type mismatch",
    );
    check_refused(
        &config,
        "(module (type $t (func (result i64))) (table 1 funcref)
            (func (result i32) (return_call_indirect (type $t) (i32.const 0))))",
        "type mismatch",
    );
    check_refused(
        &config,
        "(module (func $g (result i32 i32) (i32.const 0) (i32.const 1))
            (func (result i32) (return_call $g)))",
        "type mismatch",
    );
    // Arguments missing or of the wrong type.
    check_refused(
        &config,
        "(module (func $f (param i32) (result i32) (return_call $f)))",
        "type mismatch",
    );
    check_refused(
        &config,
        "(module (func $f (param i32) (result i32) (return_call $f (i64.const 0))))",
        "type mismatch",
    );
    // Unknown callee, type or table.
    check_refused(
        &config,
        "(module (func (return_call 5)))",
        "unknown function",
    );
    check_refused(
        &config,
        "(module (table 1 funcref) (func (return_call_indirect (type 3) (i32.const 0))))",
        "unknown type",
    );
    check_refused(
        &config,
        "(module (type $t (func)) (func (return_call_indirect (type $t) (i32.const 0))))",
        "unknown table",
    );
    // With tail calls switched off, they are refused by name.
    let mut off = Config::new();
    off.wasm_tail_call(false);
    check_refused(
        &off,
        "(module (func $f (return_call $f)))",
        "tail calls support is not enabled",
    );
}
