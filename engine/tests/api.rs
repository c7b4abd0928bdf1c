//! Embedding-API behaviour the spec suite cannot see: host functions,
//! traps with backtraces, misuse errors, memory limits.

use kiln::*;

/// Instantiate `wat` (no imports), call `func` with `args`, and compare the
/// results or the trap code.
fn check(wat: &str, func: &str, args: &[Val], expected: Result<Vec<i64>, TrapCode>) {
    let engine = Engine::default();
    let module = Module::new(&engine, wat).expect("module compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let f = instance.get_func(&mut store, func).expect("export exists");
    let mut results = vec![Val::I32(0); f.ty(&store).results().len()];
    let got = f.call(&mut store, args, &mut results).map(|()| {
        results
            .iter()
            .map(|v| match v {
                Val::I32(x) => i64::from(*x),
                Val::I64(x) => *x,
                other => panic!("unexpected result {other:?}"),
            })
            .collect::<Vec<_>>()
    });
    match (got, expected) {
        (Ok(got), Ok(want)) => assert_eq!(got, want, "{func}"),
        (Err(e), Err(code)) => {
            let trap = e
                .downcast_ref::<Trap>()
                .unwrap_or_else(|| panic!("not a trap: {e:#}"));
            assert_eq!(trap.code(), code, "{func}");
        }
        (got, want) => panic!("{func}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn calls_and_traps() {
    let wat = r#"(module
        (memory 1 2)
        (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
        (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
        (func $rec (export "recurse") (param i32) (result i32) local.get 0 i32.const 1 i32.add call $rec)
        (func (export "oob") (result i32) i32.const 65536 i32.load)
        (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
        (func (export "unreachable") unreachable)
        (func (export "multi") (result i32 i64 i32) i32.const 1 i64.const 2 i32.const 3))"#;
    check(wat, "add", &[Val::I32(2), Val::I32(3)], Ok(vec![5]));
    check(
        wat,
        "div",
        &[Val::I32(7), Val::I32(0)],
        Err(TrapCode::IntegerDivisionByZero),
    );
    check(
        wat,
        "div",
        &[Val::I32(i32::MIN), Val::I32(-1)],
        Err(TrapCode::IntegerOverflow),
    );
    check(wat, "recurse", &[Val::I32(0)], Err(TrapCode::StackOverflow));
    check(wat, "oob", &[], Err(TrapCode::MemoryOutOfBounds));
    check(wat, "grow", &[Val::I32(1)], Ok(vec![1]));
    check(wat, "grow", &[Val::I32(2)], Ok(vec![-1]));
    check(
        wat,
        "unreachable",
        &[],
        Err(TrapCode::UnreachableCodeReached),
    );
    check(wat, "multi", &[], Ok(vec![1, 2, 3]));
}
