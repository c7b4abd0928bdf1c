//! Embedding-API behaviour the spec suite cannot see: host functions,
//! traps with backtraces, misuse errors, memory limits.

use kiln::*;

/// Instantiate `wat` (no imports), call `func` with `args`, and compare the
/// results or the trap code.
fn check(wat: &str, func: &str, args: &[Val], expected: Result<Vec<i64>, TrapCode>) {
    check_in(&Config::new(), wat, func, args, expected)
}

/// `check` under `config`.
#[track_caller]
fn check_in(
    config: &Config,
    wat: &str,
    func: &str,
    args: &[Val],
    expected: Result<Vec<i64>, TrapCode>,
) {
    let engine = Engine::new(config).unwrap();
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
        (Ok(got), Ok(want)) => assert_eq!(got, want, "{func}{args:?}"),
        (Err(e), Err(code)) => {
            let trap = e
                .downcast_ref::<Trap>()
                .unwrap_or_else(|| panic!("not a trap: {e:#}"));
            assert_eq!(trap.code(), code, "{func}{args:?}");
        }
        (got, want) => panic!("{func}{args:?}: got {got:?}, want {want:?}"),
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

#[test]
fn backtraces_name_functions() {
    let engine = Engine::default();
    let wat = r#"(module $m
        (func $inner (export "inner") unreachable)
        (func $outer (export "outer") call $inner))"#;
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let outer = instance
        .get_typed_func::<(), ()>(&mut store, "outer")
        .unwrap();
    let err = outer.call(&mut store, ()).unwrap_err();
    let trap = err.downcast_ref::<Trap>().unwrap();
    let names: Vec<_> = trap
        .trace()
        .iter()
        .map(|f| (f.func_index, f.func_name.clone()))
        .collect();
    assert_eq!(
        names,
        [
            (0, Some("inner".to_string())),
            (1, Some("outer".to_string()))
        ]
    );
    assert_eq!(trap.trace()[0].module_name.as_deref(), Some("m"));
}

#[derive(Debug)]
struct HostFailure(u32);
impl std::fmt::Display for HostFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "host failure {}", self.0)
    }
}
impl std::error::Error for HostFailure {}

#[test]
fn host_functions_and_errors() {
    let engine = Engine::default();
    let wat = r#"(module
        (import "host" "add" (func $add (param i32 i32) (result i32)))
        (import "host" "fail" (func $fail (param i32)))
        (import "host" "count" (func $count))
        (memory (export "memory") 1)
        (func (export "sum3") (param i32 i32 i32) (result i32)
            local.get 0 local.get 1 call $add local.get 2 call $add)
        (func (export "fail") (param i32) local.get 0 call $fail)
        (func (export "count") call $count call $count))"#;
    let module = Module::new(&engine, wat).unwrap();
    let mut linker = Linker::<u32>::new(&engine);
    linker
        .func_wrap("host", "add", |a: i32, b: i32| a + b)
        .unwrap();
    linker
        .func_wrap("host", "fail", |code: i32| -> Result<()> {
            Err(HostFailure(code as u32).into())
        })
        .unwrap();
    linker
        .func_wrap("host", "count", |mut caller: Caller<'_, u32>| {
            *caller.data_mut() += 1;
            let memory = caller
                .get_export("memory")
                .and_then(Extern::into_memory)
                .unwrap();
            memory.data_mut(&mut caller)[0] += 1;
        })
        .unwrap();
    let mut store = Store::new(&engine, 0u32);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let sum3 = instance
        .get_typed_func::<(i32, i32, i32), i32>(&mut store, "sum3")
        .unwrap();
    assert_eq!(sum3.call(&mut store, (1, 2, 3)).unwrap(), 6);

    // A host error comes back unchanged, and the store stays usable.
    let fail = instance
        .get_typed_func::<i32, ()>(&mut store, "fail")
        .unwrap();
    let err = fail.call(&mut store, 7).unwrap_err();
    assert_eq!(err.downcast_ref::<HostFailure>().map(|e| e.0), Some(7));
    assert_eq!(sum3.call(&mut store, (4, 5, 6)).unwrap(), 15);

    let count = instance
        .get_typed_func::<(), ()>(&mut store, "count")
        .unwrap();
    count.call(&mut store, ()).unwrap();
    assert_eq!(*store.data(), 2);
    let memory = instance.get_memory(&mut store, "memory").unwrap();
    assert_eq!(memory.data(&store)[0], 2);
}

#[test]
fn misuse_is_an_error() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (func (export "f") (param i32) (result i32) local.get 0))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let mut other = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let f = instance.get_func(&mut store, "f").unwrap();
    let mut out = [Val::I32(0)];
    // Wrong store, wrong argument type, wrong arity, wrong typed signature.
    assert!(f.call(&mut other, &[Val::I32(1)], &mut out).is_err());
    assert!(f.call(&mut store, &[Val::I64(1)], &mut out).is_err());
    assert!(f.call(&mut store, &[], &mut out).is_err());
    let typed_err = |r: Result<_>| r.err().map(|e: anyhow::Error| e.to_string());
    let mismatch = "type mismatch: function has type";
    assert_eq!(
        typed_err(f.typed::<i64, i32>(&store).map(drop)).as_deref(),
        Some(&*format!(
            "{mismatch} [i32] -> [i32], requested [i64] -> [i32]"
        ))
    );
    assert!(typed_err(f.typed::<i32, ()>(&store).map(drop)).is_some());
    assert!(typed_err(f.typed::<(i32, i32), i32>(&store).map(drop)).is_some());
    assert!(typed_err(f.typed::<i32, i32>(&store).map(drop)).is_none());
    // Missing imports and imports of the wrong type.
    let importer = Module::new(&engine, r#"(module (import "m" "g" (global i32)))"#).unwrap();
    assert!(Instance::new(&mut store, &importer, &[]).is_err());
    assert!(Instance::new(&mut store, &importer, &[f.into()]).is_err());
    assert!(
        Linker::new(&engine)
            .instantiate(&mut store, &importer)
            .is_err()
    );
    // Malformed and invalid modules.
    assert!(Module::new(&engine, b"\0asm\x01\0\0\0\x01").is_err());
    assert!(Module::new(&engine, "(module (func (result i32)))").is_err());
    assert!(Module::validate(&engine, "(module (func (result i32) i32.const 0))").is_ok());
}

#[test]
fn thread_safety() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Engine>();
    send_sync::<Module>();
    send::<Store<()>>();
}

/// Each feature switch of `Config`: a module using the feature compiles
/// by default and is refused with the switch off (typed references need
/// GC off too: GC brings them).
#[test]
fn disabled_features_are_rejected() {
    type Switch = fn(&mut Config, bool) -> &mut Config;
    let check = |switches: &[Switch], wat: &str, message: &str| {
        assert!(Module::new(&Engine::default(), wat).is_ok(), "{wat}");
        let mut config = Config::new();
        for switch in switches {
            switch(&mut config, false);
        }
        let engine = Engine::new(&config).unwrap();
        let err = Module::new(&engine, wat).expect_err(wat);
        assert!(format!("{err:#}").contains(message), "{wat}: {err:#}");
    };
    let simd = "(module (func (result v128) v128.const i64x2 1 2))";
    check(&[Config::wasm_simd], simd, "SIMD");
    let wat = "(module (func (result i32 i32) i32.const 0 i32.const 1))";
    check(&[Config::wasm_multi_value], wat, "multi-value");
    let wat = "(module (memory 1) (func (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))))";
    check(&[Config::wasm_bulk_memory], wat, "bulk memory");
    let wat = "(module (table 2 externref))";
    check(&[Config::wasm_reference_types], wat, "reference types");
    let wat = "(module (func (result i32) i32.const 0 i32.extend8_s))";
    check(&[Config::wasm_sign_extension], wat, "sign extension");
    let wat = "(module (func (result i32) f32.const 0 i32.trunc_sat_f32_s))";
    check(
        &[Config::wasm_saturating_float_to_int],
        wat,
        "saturating float",
    );
    let wat = r#"(module (global (export "g") (mut i32) (i32.const 0)))"#;
    check(&[Config::wasm_mutable_global], wat, "mutable global");
    check(
        &[Config::wasm_memory64],
        "(module (memory i64 1))",
        "memory64",
    );
    let wat = "(module (memory 1) (memory 1))";
    check(&[Config::wasm_multi_memory], wat, "multiple memories");
    let wat = "(module (func return_call 0))";
    check(&[Config::wasm_tail_call], wat, "tail calls");
    let wat = "(module (global i32 (i32.add (i32.const 1) (i32.const 2))))";
    check(&[Config::wasm_extended_const], wat, "constant expression");
    let wat = "(module (memory 1 (pagesize 1)))";
    check(&[Config::wasm_custom_page_sizes], wat, "custom page sizes");
    let wat = "(module (func (param i64) (result i64 i64)
        (i64.add128 (local.get 0) (local.get 0) (local.get 0) (local.get 0))))";
    check(&[Config::wasm_wide_arithmetic], wat, "wide arithmetic");
    let wat = "(module (type $t (func)) (func (param (ref $t))))";
    let typed = [Config::wasm_function_references, Config::wasm_gc];
    check(&typed, wat, "function references");
    let wat = "(module (type $t (sub (func))) (type (sub $t (func))))";
    check(&[Config::wasm_gc], wat, "gc");
    let wat = "(module (tag) (func throw 0))";
    check(&[Config::wasm_exceptions], wat, "exceptions");
}

#[test]
fn v128_crosses_the_host_boundary() {
    let engine = Engine::default();
    let wat = r#"(module
        (import "host" "swap" (func $swap (param v128) (result v128)))
        (func (export "add") (param v128 v128) (result v128)
            local.get 0 local.get 1 i32x4.add)
        (func (export "via_host") (param v128) (result v128 i32)
            local.get 0 call $swap
            local.get 0 i32x4.extract_lane 3))"#;
    let module = Module::new(&engine, wat).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .func_wrap("host", "swap", |x: u128| x.rotate_left(64))
        .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();

    let lanes = |l: [u32; 4]| {
        l.iter()
            .rev()
            .fold(0u128, |acc, &x| (acc << 32) | u128::from(x))
    };
    let add = instance
        .get_typed_func::<(u128, u128), u128>(&mut store, "add")
        .unwrap();
    let sum = add
        .call(
            &mut store,
            (lanes([1, 2, 3, u32::MAX]), lanes([10, 20, 30, 2])),
        )
        .unwrap();
    assert_eq!(sum, lanes([11, 22, 33, 1]));

    let via_host = instance.get_func(&mut store, "via_host").unwrap();
    let mut results = [Val::I32(0), Val::I32(0)];
    let x = lanes([1, 2, 3, 4]);
    via_host
        .call(&mut store, &[Val::V128(x)], &mut results)
        .unwrap();
    match results {
        [Val::V128(v), Val::I32(4)] => assert_eq!(v, lanes([3, 4, 1, 2])),
        other => panic!("unexpected results {other:?}"),
    }
}

#[test]
fn explicit_bounds_checks() {
    let mut config = Config::new();
    config.bounds_checks(BoundsChecks::Explicit);
    let engine = Engine::new(&config).unwrap();
    let wat = r#"(module (memory 1 3)
        (func (export "load") (param i32) (result i32) local.get 0 i32.load)
        (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))"#;
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let load = instance
        .get_typed_func::<i32, i32>(&mut store, "load")
        .unwrap();
    let grow = instance
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .unwrap();
    assert_eq!(load.call(&mut store, 65532).unwrap(), 0);
    let trap = load.call(&mut store, 65533).unwrap_err();
    assert_eq!(
        trap.downcast_ref::<Trap>().unwrap().code(),
        TrapCode::MemoryOutOfBounds
    );
    assert_eq!(grow.call(&mut store, 2).unwrap(), 1);
    assert_eq!(load.call(&mut store, 3 * 65536 - 4).unwrap(), 0);
    assert_eq!(grow.call(&mut store, 1).unwrap(), -1);
}

/// 8- and 16-byte loads and stores at the largest index plus the largest
/// offset, whose last bytes reach past the 8 GiB mark, trap cleanly in both
/// bounds-check modes and write nothing: neither into their own memory nor
/// into a neighbour's (created first, so likely mapped right above). In
/// guard-page mode no check is emitted, so every byte such an access can
/// reach must lie in the memory's own inaccessible reservation: a store
/// that straddles its end is not guaranteed to fault before writing its
/// tail on every architecture (aarch64).
#[test]
fn accesses_straddling_the_reservation_end_trap() {
    let wat = r#"(module (memory (export "mem") 1)
        (func (export "i64.store") (param i32)
            (i64.store offset=0xffffffff (local.get 0) (i64.const -1)))
        (func (export "v128.store") (param i32)
            (v128.store offset=0xffffffff (local.get 0) (v128.const i64x2 -1 -1)))
        (func (export "i64.load") (param i32)
            (drop (i64.load offset=0xffffffff (local.get 0))))
        (func (export "v128.load") (param i32)
            (drop (v128.load offset=0xffffffff (local.get 0)))))"#;
    for mode in [BoundsChecks::GuardPages, BoundsChecks::Explicit] {
        let mut config = Config::new();
        config.bounds_checks(mode);
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let neighbour = Instance::new(&mut store, &module, &[]).unwrap();
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let memories = [neighbour, instance].map(|i| i.get_memory(&mut store, "mem").unwrap());
        if mode == BoundsChecks::GuardPages {
            let base = memories[1].data(&store).as_ptr() as usize;
            // The last byte of a 16-byte access at index + offset
            // 2 * u32::MAX, 14 bytes past the 8 GiB mark.
            let last = base + 2 * u32::MAX as usize + 15;
            assert_eq!(
                mapping_permissions(last).as_deref(),
                Some("---p"),
                "the last byte a wasm access can reach is not in an inaccessible reservation"
            );
        }
        for func in ["i64.store", "v128.store", "i64.load", "v128.load"] {
            let f = instance
                .get_typed_func::<i32, ()>(&mut store, func)
                .unwrap();
            // From wholly below the 8 GiB mark to 14 bytes past it.
            for index in u32::MAX - 16..=u32::MAX {
                let err = f.call(&mut store, index as i32).unwrap_err();
                let code = err.downcast_ref::<Trap>().map(Trap::code);
                assert_eq!(
                    code,
                    Some(TrapCode::MemoryOutOfBounds),
                    "{mode:?} {func} at {index:#x}: {err:#}"
                );
            }
        }
        for memory in memories {
            assert!(memory.data(&store).iter().all(|&b| b == 0), "{mode:?}");
        }
    }
}

/// The permissions (`rwxp`) of the mapping holding `addr`, or `None` if
/// nothing is mapped there.
fn mapping_permissions(addr: usize) -> Option<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    maps.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        let (start, end) = fields.next()?.split_once('-')?;
        let start = usize::from_str_radix(start, 16).ok()?;
        let end = usize::from_str_radix(end, 16).ok()?;
        (start..end)
            .contains(&addr)
            .then(|| fields.next().unwrap_or_default().to_string())
    })
}

#[test]
fn fuel_stops_runaway_loops() {
    let mut config = Config::new();
    config.consume_fuel(true);
    let engine = Engine::new(&config).unwrap();
    let wat = r#"(module
        (func (export "spin") (loop (br 0)))
        (func (export "count") (param i32) (result i32)
            (loop (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br_if 0 (local.get 0)))
            (local.get 0)))"#;
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let spin = instance
        .get_typed_func::<(), ()>(&mut store, "spin")
        .unwrap();
    let count = instance
        .get_typed_func::<i32, i32>(&mut store, "count")
        .unwrap();
    // No fuel yet: even entering a function that loops traps.
    let err = count.call(&mut store, 1).unwrap_err();
    assert_eq!(
        err.downcast_ref::<Trap>().unwrap().code(),
        TrapCode::OutOfFuel
    );
    store.set_fuel(10_000).unwrap();
    let err = spin.call(&mut store, ()).unwrap_err();
    assert_eq!(
        err.downcast_ref::<Trap>().unwrap().code(),
        TrapCode::OutOfFuel
    );
    assert_eq!(store.get_fuel().unwrap(), 0);
    // The store stays usable once refuelled, and fuel is really consumed.
    store.set_fuel(10_000).unwrap();
    assert_eq!(count.call(&mut store, 100).unwrap(), 0);
    let left = store.get_fuel().unwrap();
    assert!(left < 10_000 - 100, "{left}");
    // Without Config::consume_fuel there is no fuel to set.
    assert!(Store::new(&Engine::default(), ()).set_fuel(1).is_err());
}

/// One linker's host functions serve many stores and instances: each call
/// sees its own store's data and its own calling instance's memory.
#[test]
fn linker_definitions_serve_many_stores() {
    let engine = Engine::default();
    let wat = r#"(module
        (import "host" "bump" (func $bump (param i32) (result i32)))
        (import "host" "twice" (func $twice (param i64) (result i64)))
        (memory (export "memory") 1)
        (func (export "run") (param i32) (result i32) local.get 0 call $bump)
        (func (export "twice") (param i64) (result i64) local.get 0 call $twice))"#;
    let module = Module::new(&engine, wat).unwrap();
    let mut linker = Linker::<u32>::new(&engine);
    linker
        .func_wrap("host", "bump", |mut caller: Caller<'_, u32>, by: i32| {
            *caller.data_mut() += by as u32;
            let memory = caller
                .get_export("memory")
                .and_then(Extern::into_memory)
                .unwrap();
            memory.data_mut(&mut caller)[0] += 1;
            memory.data(&caller)[0] as i32
        })
        .unwrap();
    let ty = FuncType::new([ValType::I64], [ValType::I64]);
    linker
        .func_new("host", "twice", ty, |_, args, results| {
            results[0] = Val::I64(args[0].unwrap_i64() * 2);
            Ok(())
        })
        .unwrap();
    let mut stores = [Store::new(&engine, 0u32), Store::new(&engine, 100u32)];
    for (n, store) in stores.iter_mut().enumerate() {
        // Two instances per store: the second's memory is its own.
        let a = linker.instantiate(&mut *store, &module).unwrap();
        let b = linker.instantiate(&mut *store, &module).unwrap();
        let run_a = a.get_typed_func::<i32, i32>(&mut *store, "run").unwrap();
        let run_b = b.get_typed_func::<i32, i32>(&mut *store, "run").unwrap();
        assert_eq!(run_a.call(&mut *store, 1).unwrap(), 1);
        assert_eq!(run_a.call(&mut *store, 2).unwrap(), 2);
        assert_eq!(run_b.call(&mut *store, 3).unwrap(), 1);
        assert_eq!(*store.data(), 100 * n as u32 + 6);
        let twice = b.get_typed_func::<i64, i64>(&mut *store, "twice").unwrap();
        assert_eq!(twice.call(&mut *store, -21).unwrap(), -42);
        // A host definition is one function per store, however often it
        // is imported or looked up.
        let bump = |store: &mut Store<u32>| linker.get(store, "host", "bump").unwrap();
        assert_eq!(bump(store).into_func(), bump(store).into_func());
    }

    // A store of another engine is refused, not run with foreign code.
    let other = Engine::default();
    let err = linker
        .instantiate(&mut Store::new(&other, 0u32), &module)
        .unwrap_err();
    assert!(format!("{err:#}").contains("engine"), "{err:#}");
    assert!(
        linker
            .get(&mut Store::new(&other, 0u32), "host", "bump")
            .is_none()
    );

    // A definition of the wrong type is named in the error.
    let wrong = Module::new(
        &engine,
        r#"(module (import "host" "bump" (func (param i64))))"#,
    )
    .unwrap();
    let err = linker
        .instantiate(&mut Store::new(&engine, 0u32), &wrong)
        .unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("host") && msg.contains("bump") && msg.contains("i64"),
        "{msg}"
    );
}

/// A defined global's store record is made when it is first exported, and
/// is the same global each time after; initialisers read imported globals
/// and earlier defined ones.
#[test]
fn exported_globals_are_the_instance_globals() {
    let engine = Engine::default();
    let wat = r#"(module
        (import "m" "base" (global $base i32))
        (global $g (export "g") (mut i32) (i32.const 7))
        (global $c i32 (i32.const 3))
        (global (export "sum") i32 (i32.add (global.get $base) (global.get $c)))
        (func (export "get") (result i32) global.get $g))"#;
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let ty = GlobalType::new(ValType::I32, Mutability::Const);
    let base = Global::new(&mut store, ty, Val::I32(40)).unwrap();
    let instance = Instance::new(&mut store, &module, &[base.into()]).unwrap();
    let sum = instance.get_global(&mut store, "sum").unwrap();
    assert_eq!(sum.get(&mut store).unwrap_i32(), 43);
    let g = instance.get_global(&mut store, "g").unwrap();
    assert_eq!(instance.get_global(&mut store, "g"), Some(g));
    g.set(&mut store, Val::I32(9)).unwrap();
    let get = instance
        .get_typed_func::<(), i32>(&mut store, "get")
        .unwrap();
    assert_eq!(get.call(&mut store, ()).unwrap(), 9);
}

/// Several memories, defined and imported: every access names its memory,
/// `memory.copy` crosses between them, data segments fill any of them, and
/// each keeps its own size and bounds.
#[test]
fn multiple_memories() {
    let wat = r#"(module
        (memory $a 1 1)
        (memory $b 2 3)
        (memory $c 0)
        (data (memory $b) (i32.const 65536) "\2a\2b")
        (func (export "load_b") (param i32) (result i32) (i32.load8_u $b (local.get 0)))
        (func (export "load_c") (param i32) (result i32) (i32.load8_u $c (local.get 0)))
        (func (export "copy_b_to_a") (param i32 i32 i32) (result i32)
            (memory.copy $a $b (local.get 0) (local.get 1) (local.get 2))
            (i32.load16_u $a (local.get 0)))
        (func (export "fill_b") (param i32) (result i32)
            (memory.fill $b (local.get 0) (i32.const 7) (i32.const 2))
            (i32.load16_u $b (local.get 0)))
        (func (export "sizes") (result i32 i32 i32) (memory.size $a) (memory.size $b) (memory.size $c))
        (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0))))"#;
    check(wat, "load_b", &[Val::I32(65537)], Ok(vec![0x2b]));
    check(
        wat,
        "load_c",
        &[Val::I32(0)],
        Err(TrapCode::MemoryOutOfBounds),
    );
    let copy = |dst: i32, src: i32, len: i32| [Val::I32(dst), Val::I32(src), Val::I32(len)];
    check(wat, "copy_b_to_a", &copy(10, 65536, 2), Ok(vec![0x2b2a]));
    // Out of bounds in the source only (memory $b is larger than $a, and
    // the other way round).
    check(
        wat,
        "copy_b_to_a",
        &copy(0, 2 * 65536 - 1, 2),
        Err(TrapCode::MemoryOutOfBounds),
    );
    check(
        wat,
        "copy_b_to_a",
        &copy(65535, 0, 2),
        Err(TrapCode::MemoryOutOfBounds),
    );
    check(wat, "fill_b", &[Val::I32(100_000)], Ok(vec![0x0707]));
    check(wat, "sizes", &[], Ok(vec![1, 2, 0]));
    check(wat, "grow_b", &[Val::I32(1)], Ok(vec![2]));
    check(wat, "grow_b", &[Val::I32(2)], Ok(vec![-1]));

    // Imported memories come first in the index space, and the host sees
    // every exported memory.
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let host = Memory::new(&mut store, MemoryType::new(1, None)).unwrap();
    let module = Module::new(
        &engine,
        r#"(module (import "" "m" (memory 1)) (memory (export "own") 1)
            (data (memory 0) (i32.const 0) "imp") (data (memory 1) (i32.const 0) "own")
            (func (export "swap")
                (memory.copy 1 0 (i32.const 8) (i32.const 0) (i32.const 3))))"#,
    )
    .unwrap();
    let instance = Instance::new(&mut store, &module, &[host.into()]).unwrap();
    let own = instance.get_memory(&mut store, "own").unwrap();
    assert_eq!(&host.data(&store)[..3], b"imp");
    assert_eq!(&own.data(&store)[..3], b"own");
    let swap = instance
        .get_typed_func::<(), ()>(&mut store, "swap")
        .unwrap();
    swap.call(&mut store, ()).unwrap();
    assert_eq!(&own.data(&store)[8..11], b"imp");
}

/// Modules that use a feature the engine has switched off, or that are
/// invalid in a way new features make possible, are refused with an error
/// that says why.
#[test]
fn invalid_modules_get_a_clear_error() {
    #[track_caller]
    fn refused(config: &Config, wat: &str, expected: &str) {
        let engine = Engine::new(config).unwrap();
        let err = Module::new(&engine, wat).map(drop).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains(expected), "{wat}: {msg}");
    }
    let all = Config::new();
    let mut no_multi_memory = Config::new();
    no_multi_memory.wasm_multi_memory(false);
    refused(
        &all,
        "(module (func (drop (i32.load 1 (i32.const 0)))))",
        "unknown memory 1",
    );
    refused(
        &all,
        "(module (memory 1) (func (drop (memory.size 1))))",
        "unknown memory 1",
    );
    refused(
        &all,
        "(module (memory 1) (func (memory.copy 0 2 (i32.const 0) (i32.const 0) (i32.const 0))))",
        "unknown memory 2",
    );
    refused(
        &all,
        r#"(module (memory 1) (data (memory 1) (i32.const 0) ""))"#,
        "unknown memory 1",
    );
    refused(
        &all,
        r#"(module (memory 1) (export "m" (memory 1)))"#,
        "unknown memory",
    );
    refused(
        &no_multi_memory,
        "(module (memory 1) (memory 1))",
        "multiple memories",
    );
    refused(
        &no_multi_memory,
        r#"(module (import "" "m" (memory 1)) (memory 1))"#,
        "multiple memories",
    );
}

/// 64-bit memories and tables, in both bounds-check modes (64-bit memories
/// are checked explicitly in both): `i64` addresses, offsets up to 2^64-1
/// whose sum with the index must not wrap round, growth bounded by the
/// maximum and by 2^48 pages, huge declared maxima that reserve nothing,
/// and `call_indirect` through a table64 with an index past 2^32.
#[test]
fn memory64_and_table64() {
    let wat = r#"(module
        (memory $m i64 1 4)
        (memory $huge i64 1 0x1_0000_0000_0000)
        (memory $small 1)
        (table $t i64 2 10 funcref)
        (func $seven (result i32) (i32.const 7))
        (elem (table $t) (i64.const 1) func $seven)
        (data (memory $m) (i64.const 0xffff) "\2a")
        (func (export "load") (param i64) (result i32) (i32.load8_u (local.get 0)))
        (func (export "load_far") (param i64) (result i32)
            (i32.load8_u offset=0xffff_ffff_ffff_fff0 (local.get 0)))
        (func (export "load32_far") (param i64) (result i32)
            (i32.load offset=0xffff_ffff_ffff_fffd (local.get 0)))
        (func (export "store_huge") (param i64) (i64.store $huge (local.get 0) (i64.const -1)))
        (func (export "size") (result i64) (memory.size $m))
        (func (export "grow") (param i64) (result i64) (memory.grow $m (local.get 0)))
        (func (export "grow_huge") (param i64) (result i64) (memory.grow $huge (local.get 0)))
        (func (export "fill") (param i64 i64) (memory.fill $m (local.get 0) (i32.const 1) (local.get 1)))
        (func (export "copy32") (param i32) (result i32)
            (memory.copy $small $m (local.get 0) (i64.const 0xffff) (i32.const 1))
            (i32.load8_u $small (local.get 0)))
        (func (export "call") (param i64) (result i32) (call_indirect $t (result i32) (local.get 0)))
        (func (export "table_size") (result i64) (table.size $t))
        (func (export "table_grow") (param i64) (result i64)
            (table.grow $t (ref.null func) (local.get 0))))"#;
    let explicit = Config::new().bounds_checks(BoundsChecks::Explicit).clone();
    for config in [Config::new(), explicit] {
        let check = |func: &str, args: &[i64], expected: Result<Vec<i64>, TrapCode>| {
            let args: Vec<Val> = args.iter().map(|&a| Val::I64(a)).collect();
            check_in(&config, wat, func, &args, expected)
        };
        let oob = || Err(TrapCode::MemoryOutOfBounds);
        check("load", &[0xffff], Ok(vec![42]));
        check("load", &[0x1_0000], oob());
        check("load", &[-1], oob());
        check("load", &[1 << 32], oob());
        // index + offset past 2^64 traps; it does not wrap round to 0.
        check("load_far", &[0x10], oob());
        check("load_far", &[0], oob());
        check("load32_far", &[2], oob());
        check("load_far", &[-0x10], oob());
        check("store_huge", &[0xfff8], Ok(vec![]));
        check("store_huge", &[0xfff9], oob());
        check("size", &[], Ok(vec![1]));
        check("grow", &[3], Ok(vec![1]));
        check("grow", &[4], Ok(vec![-1]));
        check("grow", &[-1], Ok(vec![-1]));
        // Past 2^48 pages (the type's limit) and at it (2^64 bytes).
        check("grow_huge", &[1 << 48], Ok(vec![-1]));
        check("grow_huge", &[(1 << 48) - 1], Ok(vec![-1]));
        check("grow_huge", &[i64::MAX], Ok(vec![-1]));
        check("grow_huge", &[1], Ok(vec![1]));
        check("fill", &[0xffff, 1], Ok(vec![]));
        check("fill", &[0xffff, 2], oob());
        check("fill", &[-1, 2], oob());
        check("call", &[1], Ok(vec![7]));
        check("call", &[0], Err(TrapCode::IndirectCallToNull));
        // An index that would truncate to 1 is out of bounds.
        check("call", &[(1 << 32) + 1], Err(TrapCode::TableOutOfBounds));
        check("table_size", &[], Ok(vec![2]));
        check("table_grow", &[8], Ok(vec![2]));
        check("table_grow", &[9], Ok(vec![-1]));
        check("table_grow", &[1 << 40], Ok(vec![-1]));
        // Between a 64-bit and a 32-bit memory, the length is an i32.
        check_in(&config, wat, "copy32", &[Val::I32(9)], Ok(vec![42]));
        check_in(&config, wat, "copy32", &[Val::I32(-1)], oob());
    }

    // The API sees 64-bit types and sizes; a 64-bit memory or table only
    // matches a 64-bit import.
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let memory = Memory::new(&mut store, MemoryType::new64(2, Some(1 << 40))).unwrap();
    assert!(memory.ty(&store).is_64());
    assert_eq!(memory.size(&store), 2);
    assert_eq!(memory.grow(&mut store, 1).unwrap(), 2);
    assert!(memory.grow(&mut store, 1 << 48).is_err());
    let table = Table::new(
        &mut store,
        TableType::new64(RefType::FUNCREF, 3, None),
        Val::FuncRef(None),
    )
    .unwrap();
    assert!(table.ty(&store).is_64());
    assert_eq!(table.size(&store), 3);
    assert!(table.get(&mut store, 1 << 32).is_none());
    assert!(table.set(&mut store, u64::MAX, Val::FuncRef(None)).is_err());
    assert_eq!(table.grow(&mut store, 2, Val::FuncRef(None)).unwrap(), 3);
    let importer =
        |ty: &str| Module::new(&engine, format!(r#"(module (import "" "x" {ty}))"#)).unwrap();
    let import = |store: &mut Store<()>, ty: &str, ext: Extern| {
        Instance::new(store, &importer(ty), &[ext]).map(drop)
    };
    import(&mut store, "(memory i64 1)", memory.into()).unwrap();
    import(&mut store, "(table i64 1 funcref)", table.into()).unwrap();
    let err = import(&mut store, "(memory 1)", memory.into()).unwrap_err();
    assert!(
        format!("{err:#}").contains("incompatible import type"),
        "{err:#}"
    );
    let err = import(&mut store, "(table 1 funcref)", table.into()).unwrap_err();
    assert!(
        format!("{err:#}").contains("incompatible import type"),
        "{err:#}"
    );
    let memory32 = Memory::new(&mut store, MemoryType::new(1, None)).unwrap();
    assert!(!memory32.ty(&store).is_64());
    assert!(import(&mut store, "(memory i64 1)", memory32.into()).is_err());
}

/// Memories of 1-byte pages (custom-page-sizes), in both bounds-check
/// modes: sizes and growth count bytes, and an access one byte past the
/// length traps even though the host page holding it is mapped (such a
/// memory is checked explicitly, never left to guard pages).
#[test]
fn one_byte_pages() {
    let wat = r#"(module
        (memory $b 3 10 (pagesize 1))
        (memory $b64 i64 5 (pagesize 1))
        (data (memory $b) (i32.const 0) "xyz")
        (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
        (func (export "load16") (param i32) (result i32) (i32.load16_u (local.get 0)))
        (func (export "store64") (param i64) (i32.store8 $b64 (local.get 0) (i32.const 1)))
        (func (export "size") (result i32) (memory.size))
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;
    let explicit = Config::new().bounds_checks(BoundsChecks::Explicit).clone();
    for config in [Config::new(), explicit] {
        let check = |func: &str, args: &[Val], expected: Result<Vec<i64>, TrapCode>| {
            check_in(&config, wat, func, args, expected)
        };
        let oob = || Err(TrapCode::MemoryOutOfBounds);
        check("load", &[Val::I32(2)], Ok(vec![i64::from(b'z')]));
        check("load", &[Val::I32(3)], oob());
        check("load16", &[Val::I32(2)], oob());
        check("store64", &[Val::I64(4)], Ok(vec![]));
        check("store64", &[Val::I64(5)], oob());
        check("size", &[], Ok(vec![3]));
        check("grow", &[Val::I32(7)], Ok(vec![3]));
        check("grow", &[Val::I32(8)], Ok(vec![-1]));
    }

    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let ty = MemoryType::new(5, None).with_page_size_log2(0);
    let memory = Memory::new(&mut store, ty).unwrap();
    assert_eq!(memory.ty(&store).page_size(), 1);
    assert_eq!(memory.ty(&store).page_size_log2(), 0);
    assert_eq!(MemoryType::new(5, None).page_size_log2(), 16);
    assert_eq!(memory.data_size(&store), 5);
    assert_eq!(memory.grow(&mut store, 2).unwrap(), 5);
    assert_eq!(memory.size(&store), 7);
    let err = Memory::new(&mut store, ty.with_page_size_log2(3)).unwrap_err();
    assert!(format!("{err:#}").contains("page size"), "{err:#}");
    // Types the host makes up are checked like a module's: a 32-bit
    // memory may span 4 GiB, no more.
    let max = Memory::new(&mut store, MemoryType::new(65536, None)).unwrap();
    assert_eq!(max.size(&store), 65536);
    let err = Memory::new(&mut store, MemoryType::new(65537, None)).map(drop);
    let err = err.map_err(|e| format!("{e:#}")).unwrap_err();
    assert!(err.contains("exceeds the limit of 65536 pages"), "{err}");
    // And a table may start with ten million elements, no more.
    let table = |store: &mut Store<()>, min| {
        Table::new(
            store,
            TableType::new(RefType::FUNCREF, min, None),
            Val::FuncRef(None),
        )
    };
    let max = table(&mut store, 10_000_000).unwrap();
    assert_eq!(max.size(&store), 10_000_000);
    let err = format!("{:#}", table(&mut store, 10_000_001).map(drop).unwrap_err());
    assert!(err.contains("exceeds Kiln's limit of 10000000"), "{err}");
    let bad = [
        MemoryType::new64(3, Some(2)),
        MemoryType::new64(1 << 48, None).with_page_size_log2(16),
        MemoryType::new64(u64::MAX, None).with_page_size_log2(0),
    ];
    for ty in bad {
        let err = Memory::new(&mut store, ty).map(drop);
        let err = err.map_err(|e| format!("{e:#}")).unwrap_err();
        assert!(
            err.contains("memory minimum") || err.contains("failed to map"),
            "{ty:?}: {err}"
        );
    }
    let ty = TableType::new64(RefType::FUNCREF, 3, Some(2));
    let err = Table::new(&mut store, ty, Val::FuncRef(None))
        .map(drop)
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("exceeds its maximum"),
        "{err:#}"
    );
    // Page sizes must match exactly to link.
    let importer = |ty: &str| {
        Module::new(
            &engine,
            format!(r#"(module (import "" "m" (memory {ty})))"#),
        )
        .unwrap()
    };
    Instance::new(&mut store, &importer("1 (pagesize 1)"), &[memory.into()]).unwrap();
    let err = Instance::new(&mut store, &importer("0"), &[memory.into()]).unwrap_err();
    assert!(
        format!("{err:#}").contains("incompatible import type"),
        "{err:#}"
    );
}

/// Every getter of the types a module exports reads back what the module
/// declared.
#[test]
fn exported_types_read_back_as_declared() {
    let wat = r#"(module
        (memory (export "m") 2 5) (memory (export "m64") i64 1)
        (memory (export "bytes") 7 (pagesize 1))
        (table (export "t") 3 7 funcref) (table (export "t64") i64 1 externref)
        (global (export "g") (mut i64) (i64.const 0)) (global (export "c") f32 (f32.const 0))
        (tag (export "e") (param i32 f64)))"#;
    let module = Module::new(&Engine::default(), wat).unwrap();
    let ty = |name: &str| module.exports().find(|e| e.name() == name).unwrap().ty();
    let memory = |name: &str| match ty(name) {
        ExternType::Memory(m) => (
            m.minimum(),
            m.maximum(),
            m.is_64(),
            m.page_size_log2(),
            m.absolute_max_pages(),
        ),
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(memory("m"), (2, Some(5), false, 16, 65536));
    assert_eq!(memory("m64"), (1, None, true, 16, 1 << 48));
    assert_eq!(memory("bytes"), (7, None, false, 0, u64::from(u32::MAX)));
    let table = |name: &str| match ty(name) {
        ExternType::Table(t) => (t.element().clone(), t.minimum(), t.maximum(), t.is_64()),
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(table("t"), (RefType::FUNCREF, 3, Some(7), false));
    assert_eq!(table("t64"), (RefType::EXTERNREF, 1, None, true));
    let global = |name: &str| match ty(name) {
        ExternType::Global(g) => (g.content().clone(), g.mutability()),
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(global("g"), (ValType::I64, Mutability::Var));
    assert_eq!(global("c"), (ValType::F32, Mutability::Const));
    match ty("e") {
        ExternType::Tag(t) => assert_eq!(t.params(), [ValType::I32, ValType::F64]),
        other => panic!("e: {other:?}"),
    }
}

/// `Extern::into_*` give the handle only of their own kind; `Val`'s
/// accessors the value only of their own type; `Store::into_data` the
/// data as the host last left it.
#[test]
fn accessors_answer_only_for_their_own_kind() {
    let wat = r#"(module
        (func (export "f")) (global (export "g") i32 (i32.const 1))
        (table (export "t") 1 funcref) (memory (export "m") 1) (tag (export "e")))"#;
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, 41);
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    for (name, kind) in [("f", 0), ("g", 1), ("t", 2), ("m", 3), ("e", 4)] {
        let e = instance.get_export(&mut store, name).unwrap();
        let some = [
            e.into_func().is_some(),
            e.into_global().is_some(),
            e.into_table().is_some(),
            e.into_memory().is_some(),
            e.into_tag().is_some(),
        ];
        let expected: Vec<bool> = (0..5).map(|k| k == kind).collect();
        assert_eq!(some.to_vec(), expected, "{name}");
    }
    let vals = [
        Val::I32(-7),
        Val::I64(1 << 40),
        Val::F32(1.5f32.to_bits()),
        Val::F64((-2.25f64).to_bits()),
    ];
    for (i, v) in vals.iter().enumerate() {
        let got = (v.i32(), v.i64(), v.f32(), v.f64());
        let expected = (
            (i == 0).then_some(-7),
            (i == 1).then_some(1 << 40),
            (i == 2).then_some(1.5),
            (i == 3).then_some(-2.25),
        );
        assert_eq!(got, expected, "{v:?}");
    }
    let unwrapped = (
        vals[0].unwrap_i32(),
        vals[1].unwrap_i64(),
        vals[2].unwrap_f32(),
        vals[3].unwrap_f64(),
    );
    assert_eq!(unwrapped, (-7, 1 << 40, 1.5, -2.25));
    *store.data_mut() += 1;
    assert_eq!(store.into_data(), 42);
}

/// `FuncType` hashes as it compares: the same signature hashes the same
/// wherever it was built, and different ones (a `HashMap` of types would
/// degrade to a list otherwise) differently.
#[test]
fn func_types_hash_as_they_compare() {
    use std::hash::{BuildHasher, RandomState};
    let state = RandomState::new();
    let hash = |t: &FuncType| state.hash_one(t);
    let a = FuncType::new([ValType::I64], [ValType::I64]);
    let again = FuncType::new([ValType::I64], [ValType::I64]);
    assert_eq!(a, again);
    assert_eq!(hash(&a), hash(&again));
    for other in [
        FuncType::new([ValType::I32], [ValType::I64]),
        FuncType::new([ValType::I64], []),
        FuncType::new([], [ValType::I64]),
    ] {
        assert_ne!(a, other);
        assert_ne!(hash(&a), hash(&other), "{a} and {other}");
    }
}

/// The small conversions and views of the API hand back what they were
/// made from: a module's name, `Linker::module`'s instance, a `TypedFunc`'s
/// copies, store contexts and their engine, `Extern`s and `Val`s from
/// their parts, and the `Debug` forms that name them.
#[test]
fn conversions_and_views_keep_their_source() {
    let engine = Engine::default();
    let lib = r#"(module $lib (tag (export "e"))
        (func (export "inc") (param i64) (result i64) (i64.add (local.get 0) (i64.const 1))))"#;
    let lib = Module::new(&engine, lib).unwrap();
    assert_eq!(lib.name(), Some("lib"));
    assert_eq!(Module::new(&engine, "(module)").unwrap().name(), None);
    assert_eq!(format!("{lib:?}"), r#"Module { name: Some("lib"), .. }"#);
    assert!(
        format!("{engine:?}").starts_with("Engine { config: Config {"),
        "{engine:?}"
    );

    let mut store = Store::new(&engine, 7u32);
    let mut linker = Linker::new(&engine);
    let ours = engine.clone();
    linker
        .func_wrap("host", "check_engine", move |caller: Caller<'_, u32>| {
            assert!(Engine::same(caller.engine(), &ours));
        })
        .unwrap();
    linker.module(&mut store, "lib", &lib).unwrap();
    let user = r#"(module $user (import "lib" "inc" (func $inc (param i64) (result i64)))
        (import "host" "check_engine" (func $check))
        (func (export "twice") (param i64) (result i64)
            (call $check) (call $inc (call $inc (local.get 0)))))"#;
    let pre = linker
        .instantiate_pre(&Module::new(&engine, user).unwrap())
        .unwrap();
    assert_eq!(
        format!("{pre:?}"),
        r#"InstancePre { module: Some("user"), imports: 2 }"#
    );
    let user = pre.instantiate(&mut store).unwrap();
    let twice = user
        .get_typed_func::<i64, i64>(&mut store, "twice")
        .unwrap();
    #[allow(clippy::clone_on_copy)] // `Clone` is written by hand: check it
    let copy = twice.clone();
    assert_eq!(copy.call(&mut store, 40).unwrap(), 42);
    let ty = copy.func().ty(&store);
    assert_eq!(ty, FuncType::new([ValType::I64], [ValType::I64]));

    let lib = linker.get(&mut store, "lib", "e").unwrap();
    let tag = lib.into_tag().unwrap();
    assert!(matches!(Extern::from(tag), Extern::Tag(t) if t == tag));

    let cx = StoreContext::from(&mut store);
    assert_eq!(*cx.data(), 7);
    assert_eq!(*cx.as_context().data(), 7);
    assert!(Engine::same(cx.engine(), &engine));
    let mut cx = store.as_context_mut();
    assert!(Engine::same(cx.engine(), &engine));
    assert_eq!(*cx.as_context().data(), 7);
    *cx.as_context_mut().data_mut() += 1;
    assert_eq!(*store.data(), 8);

    assert!(matches!(Val::from(-3i32), Val::I32(-3)));
    assert!(matches!(Val::from(1i64 << 40), Val::I64(v) if v == 1 << 40));
    assert!(ValType::EXNREF.is_ref() && ValType::FUNCREF.is_ref());
    assert!(!ValType::I32.is_ref() && !ValType::V128.is_ref());
    assert!(HeapType::Exn.matches(&HeapType::Exn));
    assert!(!HeapType::Exn.matches(&HeapType::Extern) && !HeapType::Func.matches(&HeapType::Exn));
}

/// `Instance::new` with an import of the wrong type or kind names both,
/// in the text format's order.
#[test]
fn import_mismatches_name_both_types() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let exporter = r#"(module (func (export "f") (param i32)) (global (export "g") i32 (i32.const 0))
        (table (export "t") 1 funcref) (memory (export "m") 1) (tag (export "e") (param i32)))"#;
    let exporter = Module::new(&engine, exporter).unwrap();
    let exporter = Instance::new(&mut store, &exporter, &[]).unwrap();
    let mut check = |import: &str, export: &str, expected: &str| {
        let wat = format!(r#"(module (import "" "x" {import}))"#);
        let module = Module::new(&engine, wat).unwrap();
        let ext = exporter.get_export(&mut store, export).unwrap();
        let err = Instance::new(&mut store, &module, &[ext]).unwrap_err();
        let err = format!("{err:#}");
        let prefix = "incompatible import type for `::x`: ";
        assert_eq!(err.strip_prefix(prefix), Some(expected), "{err}");
    };
    check(
        "(func (param i64))",
        "f",
        "expected func [i64] -> [], found func [i32] -> []",
    );
    check("(global i64)", "g", "expected global i64, found global i32");
    check(
        "(global (mut i32))",
        "g",
        "expected global (mut i32), found global i32",
    );
    check(
        "(table 2 funcref)",
        "t",
        "expected table 2 funcref, found table 1 funcref",
    );
    check(
        "(table 1 5 funcref)",
        "t",
        "expected table 1 5 funcref, found table 1 funcref",
    );
    check("(memory 2)", "m", "expected memory 2, found memory 1");
    check(
        "(memory i64 1 3)",
        "m",
        "expected memory i64 1 3, found memory 1",
    );
    check(
        "(tag (param i64))",
        "e",
        "expected tag [i64] -> [], found tag [i32] -> []",
    );
    check(
        "(memory 1)",
        "f",
        "expected memory 1, found func [i32] -> []",
    );
}

/// Types print as the text format writes them; a member of a recursive
/// group by its position (written out, it would not end), and `Debug`
/// adds what `Display` leaves out (group, finality, supertype).
#[test]
fn types_print_as_written() {
    let wat = r#"(module
        (rec (type $a (func (param (ref null $b) i64)))
             (type $b (func (result (ref $a) v128))))
        (type $s (sub (func (param funcref externref exnref))))
        (type $t (sub final $s (func (param funcref externref exnref))))
        (type $n (func (param (ref null func) (ref extern) (ref $s)) (result f32 f64)))
        (func (export "a") (type $a) unreachable)
        (func (export "b") (type $b) unreachable)
        (func (export "s") (type $s) unreachable)
        (func (export "t") (type $t) unreachable)
        (func (export "n") (type $n) unreachable))"#;
    let module = Module::new(&Engine::default(), wat).unwrap();
    let ty = |name: &str| match module.exports().find(|e| e.name() == name).unwrap().ty() {
        ExternType::Func(f) => f,
        other => panic!("{name}: {other:?}"),
    };
    let check = |name: &str, display: &str, debug: &str| {
        let t = ty(name);
        assert_eq!(t.to_string(), display, "{name}");
        assert_eq!(
            format!("{t:?}"),
            format!("FuncType({display}{debug})"),
            "{name}"
        );
    };
    let member = |i| format!("(func member {i} of a rec group of 2)");
    let a = format!("[(ref null {}) i64] -> []", member(1));
    check("a", &a, ", member 0 of a rec group of 2");
    let b = format!("[] -> [(ref {}) v128]", member(0));
    check("b", &b, ", member 1 of a rec group of 2");
    let s = "[funcref externref exnref] -> []";
    check("s", s, ", not final");
    check("t", s, &format!(", subtype of {s}"));
    let n = format!("[funcref (ref extern) (ref (func {s}))] -> [f32 f64]");
    check("n", &n, "");
}
