//! Backtraces of deep stacks, a trap's and a failing host function's: at
//! most 64 frames are listed, and the error says how many more there were
//! instead of dropping them silently.

use kiln::*;

const WAT: &str = r#"(module $m
    (import "host" "fail" (func $fail))
    ;; Traps after `n` more calls of itself: n + 1 frames deep.
    (func $down (export "down") (param i32)
        local.get 0 i32.eqz
        if unreachable end
        local.get 0 i32.const 1 i32.sub call $down)
    (func $forever (export "forever") (param i32)
        local.get 0 call $forever)
    ;; Calls the failing host function `n` more calls down.
    (func $host-down (export "host-down") (param i32)
        local.get 0 i32.eqz
        if call $fail return end
        local.get 0 i32.const 1 i32.sub call $host-down))"#;

/// Call `func(arg)`, expecting it to fail; the error.
fn fail(func: &str, arg: i32) -> anyhow::Error {
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).unwrap();
    let mut store = Store::new(&engine, ());
    let host = Func::wrap(&mut store, || -> anyhow::Result<()> {
        anyhow::bail!("host failure")
    });
    let instance = Instance::new(&mut store, &module, &[host.into()]).unwrap();
    let f = instance
        .get_typed_func::<i32, ()>(&mut store, func)
        .unwrap();
    f.call(&mut store, arg).unwrap_err()
}

/// Call `func(arg)`, expect a trap of `code` whose backtrace lists `shown`
/// frames and counts `omitted` more (`None`: some, how many not checked).
fn check(func: &str, arg: i32, code: TrapCode, shown: usize, omitted: Option<usize>) {
    let err = fail(func, arg);
    let trap = err.downcast_ref::<Trap>().expect("a trap");
    assert_eq!(trap.code(), code, "{func}({arg})");
    assert_eq!(trap.trace().len(), shown, "{func}({arg}): frames listed");
    let text = trap.to_string();
    let last = text.lines().last().unwrap();
    match omitted {
        Some(0) => {
            assert_eq!(trap.omitted_frames(), 0, "{func}({arg})");
            assert!(!text.contains("more frame"), "{func}({arg}): {text}");
        }
        Some(n) => {
            assert_eq!(trap.omitted_frames(), n, "{func}({arg}): frames left out");
            let s = if n == 1 { "" } else { "s" };
            assert_eq!(last, format!("  ... {n} more frame{s}"), "{func}({arg})");
        }
        None => {
            assert!(trap.omitted_frames() > 0, "{func}({arg})");
            assert!(last.ends_with("more frames"), "{func}({arg}): {last}");
        }
    }
    assert!(trap.trace().iter().all(|f| f.func_name.is_some()), "{text}");
}

#[test]
fn deep_backtraces_count_what_they_leave_out() {
    let unreachable = TrapCode::UnreachableCodeReached;
    check("down", 0, unreachable, 1, Some(0));
    check("down", 62, unreachable, 63, Some(0));
    check("down", 63, unreachable, 64, Some(0));
    check("down", 64, unreachable, 64, Some(1));
    check("down", 199, unreachable, 64, Some(136));
    check("down", 5000, unreachable, 64, Some(4937));
    check("forever", 0, TrapCode::StackOverflow, 64, None);
}

/// A host function's error under `n + 1` wasm frames: its backtrace
/// lists `shown` of them and counts `omitted` more, as a trap's does.
#[track_caller]
fn check_host(n: i32, shown: usize, omitted: usize) {
    let err = fail("host-down", n);
    assert_eq!(err.root_cause().to_string(), "host failure");
    let bt = err.downcast_ref::<WasmBacktrace>().expect("a backtrace");
    assert_eq!(bt.frames().len(), shown, "host-down({n}): frames listed");
    assert_eq!(
        bt.omitted_frames(),
        omitted,
        "host-down({n}): frames left out"
    );
    let text = bt.to_string();
    assert_eq!(text.contains("more frame"), omitted > 0, "{text}");
}

#[test]
fn host_errors_count_what_they_leave_out() {
    check_host(0, 1, 0);
    check_host(63, 64, 0);
    check_host(64, 64, 1);
    check_host(199, 64, 136);
}

/// A host function that fails with no wasm frame under it (the host calls
/// it, it is a module's start function, or the only wasm frame tail-called
/// it) fails with its own error alone: no empty backtrace is attached.
#[test]
fn host_errors_without_wasm_frames_are_unchanged() {
    let check = |err: anyhow::Error| {
        assert!(err.downcast_ref::<WasmBacktrace>().is_none(), "{err:?}");
        assert_eq!(format!("{err:#}"), "host failure");
    };
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let f = Func::wrap(&mut store, || -> anyhow::Result<()> {
        anyhow::bail!("host failure")
    });
    check(f.call(&mut store, &[], &mut []).unwrap_err());
    let start = r#"(module (import "host" "f" (func $f)) (start $f))"#;
    let module = Module::new(&engine, start).unwrap();
    check(Instance::new(&mut store, &module, &[f.into()]).unwrap_err());
    let tail = r#"(module (import "host" "f" (func $f))
        (func (export "tail") (return_call $f)))"#;
    let module = Module::new(&engine, tail).unwrap();
    let instance = Instance::new(&mut store, &module, &[f.into()]).unwrap();
    let tail = instance.get_func(&mut store, "tail").unwrap();
    check(tail.call(&mut store, &[], &mut []).unwrap_err());
}

/// A host function's error that crossed another host call: wasm calls
/// the host, which calls back into wasm, which calls the failing host
/// function. The backtrace lists the inner activation's frames, then the
/// outer's, 64 at most in all, and counts the rest of both.
#[test]
fn nested_activations_count_what_they_leave_out() {
    let wat = r#"(module
        (import "host" "fail" (func $fail))
        (import "host" "reenter" (func $reenter (param i32)))
        (func $host-down (export "host-down") (param i32)
            local.get 0 i32.eqz
            if call $fail return end
            local.get 0 i32.const 1 i32.sub call $host-down)
        ;; `n` calls down, the host calls `host-down(m)`.
        (func $outer (export "outer") (param i32 i32)
            local.get 0 i32.eqz
            if local.get 1 call $reenter return end
            local.get 0 i32.const 1 i32.sub local.get 1 call $outer))"#;
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let fail = Func::wrap(&mut store, || -> anyhow::Result<()> {
        anyhow::bail!("host failure")
    });
    let reenter = Func::wrap(
        &mut store,
        |mut caller: Caller<'_, ()>, m: i32| -> anyhow::Result<()> {
            let down = caller.get_export("host-down").unwrap().into_func().unwrap();
            down.call(&mut caller, &[Val::I32(m)], &mut [])
        },
    );
    let instance = Instance::new(&mut store, &module, &[fail.into(), reenter.into()]).unwrap();
    let outer = instance
        .get_typed_func::<(i32, i32), ()>(&mut store, "outer")
        .unwrap();
    // `n + 1` outer frames, `m + 1` inner ones.
    let mut check = |n: i32, m: i32, shown: usize, omitted: usize| {
        let err = outer.call(&mut store, (n, m)).unwrap_err();
        assert_eq!(err.root_cause().to_string(), "host failure");
        let bt = err.downcast_ref::<WasmBacktrace>().expect("a backtrace");
        let names: Vec<_> = bt.frames().iter().map(|f| f.func_name.clone()).collect();
        let inner = (m as usize + 1).min(shown);
        assert!(
            names[..inner]
                .iter()
                .all(|n| n.as_deref() == Some("host-down"))
        );
        assert!(names[inner..].iter().all(|n| n.as_deref() == Some("outer")));
        assert_eq!(
            (bt.frames().len(), bt.omitted_frames()),
            (shown, omitted),
            "{n} {m}"
        );
    };
    check(2, 3, 7, 0);
    check(99, 9, 64, 46); // the outer activation is cut
    check(4, 99, 64, 41); // the inner one is, and the outer is left out whole
    check(99, 99, 64, 136);
}
