//! Trap backtraces of deep stacks: at most 64 frames are listed, and the
//! trap says how many more there were instead of dropping them silently.

use kiln::*;

const WAT: &str = r#"(module $m
    ;; Traps after `n` more calls of itself: n + 1 frames deep.
    (func $down (export "down") (param i32)
        local.get 0 i32.eqz
        if unreachable end
        local.get 0 i32.const 1 i32.sub call $down)
    (func $forever (export "forever") (param i32)
        local.get 0 call $forever))"#;

/// Call `func(arg)`, expect a trap of `code` whose backtrace lists `shown`
/// frames and counts `omitted` more (`None`: some, how many not checked).
fn check(func: &str, arg: i32, code: TrapCode, shown: usize, omitted: Option<usize>) {
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let f = instance
        .get_typed_func::<i32, ()>(&mut store, func)
        .unwrap();
    let err = f.call(&mut store, arg).unwrap_err();
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
