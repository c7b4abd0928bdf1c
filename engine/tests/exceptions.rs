//! Exception handling through the embedding API: what `try_table` catches
//! across wasm frames, what escapes `Func::call` (a `ThrownException`
//! whose exception the store holds), host functions that throw, and
//! traps, which no handler catches.

use kiln::{
    Engine, ExnRef, Extern, FuncType, Instance, Linker, Module, Store, Tag, TagType,
    ThrownException, Trap, TrapCode, Val, ValType,
};

const MODULE: &str = r#"
(module
  (tag $e (export "e") (param i32))
  (tag $f (param i64 f64))
  (import "host" "throw" (func $host_throw (param i32)))
  (import "host" "call" (func $host_call (param i32) (result i32)))
  (func $thrower (export "thrower") (param i32)
    (throw $e (local.get 0)))
  (func $deep (param i32)
    (if (i32.eqz (local.get 0)) (then (throw $e (i32.const 42))))
    (call $deep (i32.sub (local.get 0) (i32.const 1))))
  (func (export "local") (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (throw $e (i32.const 7)))
      (i32.const -1)))
  (func (export "deep") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (call $deep (local.get 0)))
      (i32.const -1)))
  (func (export "catch_all") (result i32)
    (block $h
      (try_table (catch_all $h) (call $thrower (i32.const 1)))
      (return (i32.const -1)))
    (i32.const 5))
  (func (export "other_tag") (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (throw $f (i64.const 1) (f64.const 2)))
      (i32.const -1)))
  (func (export "rethrow") (result i32)
    (block $h (result i32)
      (try_table (catch $e $h)
        (block $r (result exnref)
          (try_table (catch_all_ref $r) (call $thrower (i32.const 9)))
          (unreachable))
        (throw_ref))
      (i32.const -1)))
  (func (export "uncaught") (param i32) (call $deep (local.get 0)))
  (func (export "trap") (result i32)
    (block $h
      (try_table (catch_all $h) (unreachable)))
    (i32.const 1))
  (func (export "null") (throw_ref (ref.null exn)))
  (func (export "from_host") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (call $host_throw (local.get 0)))
      (i32.const -1)))
  (func (export "through_host") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (drop (call $host_call (local.get 0))))
      (i32.const -1)))
  (func (export "host_uncaught") (param i32) (drop (call $host_call (local.get 0))))
  (func (export "host_throw_uncaught") (param i32) (call $host_throw (local.get 0)))
  (func (export "nested") (result i32)
    (block $outer (result i32)
      (try_table (catch $e $outer)
        (block $inner (result i64 f64)
          (try_table (catch $f $inner) (call $thrower (i32.const 3)))
          (unreachable))
        (drop)
        (drop))
      (i32.const -2)))
)
"#;

struct Setup {
    store: Store<()>,
    instance: Instance,
}

fn setup() -> Setup {
    let engine = Engine::default();
    let module = Module::new(&engine, MODULE).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    // Throws the module's tag `e` (found through the caller's export).
    linker
        .func_new(
            "host",
            "throw",
            FuncType::new([ValType::I32], []),
            |mut caller, args, _| {
                let tag = caller.get_export("e").and_then(Extern::into_tag).unwrap();
                let exn = ExnRef::new(&mut caller, &tag, &[args[0]])?;
                caller.throw(exn)
            },
        )
        .unwrap();
    // Calls back into `thrower`, whose exception passes through this host
    // frame as its call's error.
    linker
        .func_new(
            "host",
            "call",
            FuncType::new([ValType::I32], [ValType::I32]),
            |mut caller, args, _| {
                let f = caller
                    .get_export("thrower")
                    .and_then(Extern::into_func)
                    .unwrap();
                f.call(&mut caller, &[args[0]], &mut [])?;
                Ok(())
            },
        )
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    Setup { store, instance }
}

/// Calls export `name` with `args`: its results, or the error.
fn call(s: &mut Setup, name: &str, args: &[Val]) -> anyhow::Result<Vec<Val>> {
    let f = s.instance.get_func(&mut s.store, name).unwrap();
    let n = f.ty(&s.store).results().len();
    let mut results = vec![Val::I32(0); n];
    f.call(&mut s.store, args, &mut results)?;
    Ok(results)
}

/// `name(args)` returns the one `i32` `expected`.
fn check(name: &str, args: &[Val], expected: i32) {
    let mut s = setup();
    let results = call(&mut s, name, args).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    assert_eq!(results[0].unwrap_i32(), expected, "{name}");
}

#[test]
fn caught() {
    check("local", &[], 7);
    check("deep", &[Val::I32(0)], 42);
    check("deep", &[Val::I32(10)], 42);
    check("deep", &[Val::I32(1000)], 42);
    check("catch_all", &[], 5);
    check("rethrow", &[], 9);
    check("nested", &[], 3);
    check("from_host", &[Val::I32(11)], 11);
    check("through_host", &[Val::I32(12)], 12);
}

/// An exception no handler catches: `ThrownException`, with the tag and
/// payload in the store.
#[test]
fn uncaught() {
    let mut s = setup();
    let e = s
        .instance
        .get_export(&mut s.store, "e")
        .and_then(Extern::into_tag)
        .unwrap();
    for (name, args, tag_is_e) in [
        ("uncaught", vec![Val::I32(20)], true),
        ("thrower", vec![Val::I32(8)], true),
        ("other_tag", vec![], false),
        ("host_uncaught", vec![Val::I32(13)], true),
        ("host_throw_uncaught", vec![Val::I32(14)], true),
    ] {
        let err = call(&mut s, name, &args).unwrap_err();
        assert!(err.is::<ThrownException>(), "{name}: {err:?}");
        let exn = s.store.take_pending_exception().expect("pending exception");
        assert!(s.store.take_pending_exception().is_none());
        assert_eq!(exn.tag(&s.store).unwrap() == e, tag_is_e, "{name}");
        let fields = exn.fields(&mut s.store).unwrap();
        match tag_is_e {
            true => {
                let expected = match name {
                    "uncaught" => 42,
                    "thrower" => 8,
                    "host_uncaught" => 13,
                    _ => 14,
                };
                assert_eq!(fields[0].unwrap_i32(), expected, "{name}");
            }
            false => {
                assert_eq!(fields[0].unwrap_i64(), 1);
                assert_eq!(fields[1].unwrap_f64(), 2.0);
            }
        }
    }
    // The instance still works afterwards.
    let results = call(&mut s, "deep", &[Val::I32(3)]).unwrap();
    assert_eq!(results[0].unwrap_i32(), 42);
}

/// Traps are not exceptions: `catch_all` lets them through.
#[test]
fn traps_are_not_caught() {
    let mut s = setup();
    for (name, code) in [
        ("trap", TrapCode::UnreachableCodeReached),
        ("null", TrapCode::NullExceptionReference),
    ] {
        let err = call(&mut s, name, &[]).unwrap_err();
        let trap = err
            .downcast_ref::<Trap>()
            .unwrap_or_else(|| panic!("{name}: {err:?}"));
        assert_eq!(trap.code(), code, "{name}");
    }
}

/// Host-made tags and exceptions; another store's exception is refused.
#[test]
fn host_tags() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let ty = TagType::new(FuncType::new([ValType::I32], []));
    let tag = Tag::new(&mut store, &ty).unwrap();
    assert_eq!(tag.ty(&store), ty);
    assert!(Tag::new(&mut store, &TagType::new(FuncType::new([], [ValType::I32]))).is_err());
    let exn = ExnRef::new(&mut store, &tag, &[Val::I32(1)]).unwrap();
    assert!(ExnRef::new(&mut store, &tag, &[]).is_err());
    assert!(ExnRef::new(&mut store, &tag, &[Val::I64(1)]).is_err());
    let mut other = Store::new(&engine, ());
    assert!(exn.tag(&other).is_err());
    // Another store's tag makes no exception.
    assert!(ExnRef::new(&mut other, &tag, &[Val::I32(1)]).is_err());
    let err = other.throw::<()>(exn).unwrap_err();
    assert!(!err.is::<ThrownException>());
    assert!(!other.has_pending_exception());
}

/// An exception escaping the start function fails instantiation with it.
#[test]
fn start_function_exception() {
    let engine = Engine::default();
    let wat = r#"(module (tag $e (export "e") (param i64))
        (func $start (throw $e (i64.const 77))) (start $start))"#;
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let err = Instance::new(&mut store, &module, &[]).unwrap_err();
    assert!(err.is::<ThrownException>(), "{err:?}");
    let exn = store.take_pending_exception().unwrap();
    assert_eq!(exn.fields(&mut store).unwrap()[0].unwrap_i64(), 77);
}

/// `exnref` values cross the API both ways, and only into their store.
#[test]
fn exnref_values() {
    let engine = Engine::default();
    let wat = r#"(module (tag $e (export "e") (param i32))
        (func (export "make") (param i32) (result exnref)
          (block $h (result exnref)
            (try_table (catch_all_ref $h) (throw $e (local.get 0)))
            (unreachable)))
        (func (export "rethrow") (param exnref) (throw_ref (local.get 0))))"#;
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let make = instance.get_func(&mut store, "make").unwrap();
    let rethrow = instance.get_func(&mut store, "rethrow").unwrap();
    let mut out = [Val::I32(0)];
    make.call(&mut store, &[Val::I32(5)], &mut out).unwrap();
    let Val::ExnRef(Some(exn)) = out[0] else {
        panic!("expected an exnref, got {:?}", out[0]);
    };
    assert_eq!(exn.fields(&mut store).unwrap()[0].unwrap_i32(), 5);
    // Thrown again by wasm, it is the same exception.
    let err = rethrow.call(&mut store, &[out[0]], &mut []).unwrap_err();
    assert!(err.is::<ThrownException>());
    assert_eq!(store.take_pending_exception(), Some(exn));
    // Another store's exnref is refused, never used.
    let mut other = Store::new(&engine, ());
    let other_instance = Instance::new(&mut other, &module, &[]).unwrap();
    let other_rethrow = other_instance.get_func(&mut other, "rethrow").unwrap();
    let err = other_rethrow
        .call(&mut other, &[out[0]], &mut [])
        .unwrap_err();
    assert!(!err.is::<ThrownException>(), "{err:?}");
    assert!(format!("{err:#}").contains("wrong store"), "{err:#}");
}

/// After a handler ran, the stack is as the compiled code expects: a
/// trap still gets its full backtrace, and unbounded recursion still
/// stops at the stack limit.
#[test]
fn traps_and_stack_limit_after_a_catch() {
    let engine = Engine::default();
    let wat = r#"(module (tag $e)
        (func $deep (param i32)
          (if (i32.eqz (local.get 0)) (then (throw $e)))
          (call $deep (i32.sub (local.get 0) (i32.const 1))))
        (func $trap_deep (param i32)
          (if (i32.eqz (local.get 0)) (then (unreachable)))
          (call $trap_deep (i32.sub (local.get 0) (i32.const 1))))
        (func $forever (call $forever))
        (func $caught (param i32)
          (block $h (try_table (catch_all $h) (call $deep (i32.const 50)))))
        (func (export "trap") (call $caught (i32.const 0)) (call $trap_deep (i32.const 5)))
        (func (export "overflow") (call $caught (i32.const 0)) (call $forever)))"#;
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let trap = instance.get_func(&mut store, "trap").unwrap();
    let err = trap.call(&mut store, &[], &mut []).unwrap_err();
    let t = err.downcast_ref::<Trap>().expect("a trap");
    assert_eq!(t.code(), TrapCode::UnreachableCodeReached);
    // Six frames of $trap_deep, then the export.
    assert_eq!(t.trace().len(), 7, "{t:?}");
    let overflow = instance.get_func(&mut store, "overflow").unwrap();
    let err = overflow.call(&mut store, &[], &mut []).unwrap_err();
    let t = err.downcast_ref::<Trap>().expect("a trap");
    assert_eq!(t.code(), TrapCode::StackOverflow);
}

/// A host function that calls wasm catches what its callee threw: the call
/// fails with `ThrownException` and `Caller::take_pending_exception` hands
/// the exception over, once.
#[test]
fn host_functions_catch_through_their_caller() {
    let engine = Engine::default();
    let wat = r#"(module
        (import "host" "catch" (func $catch (param i32) (result i32)))
        (tag $e (param i32))
        (func (export "thrower") (param i32) (throw $e (local.get 0)))
        (func (export "run") (param i32) (result i32) (call $catch (local.get 0))))"#;
    let module = Module::new(&engine, wat).unwrap();
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(
            "host",
            "catch",
            |mut caller: kiln::Caller<'_, ()>, x: i32| -> anyhow::Result<i32> {
                let thrower = caller.get_export("thrower").and_then(Extern::into_func);
                let err = thrower.unwrap().call(&mut caller, &[Val::I32(x)], &mut []);
                assert!(err.unwrap_err().is::<ThrownException>());
                let exn = caller.take_pending_exception().expect("pending exception");
                assert!(caller.take_pending_exception().is_none());
                Ok(exn.fields(&mut caller)?[0].unwrap_i32() + 1)
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance.get_typed_func::<i32, i32>(&mut store, "run");
    assert_eq!(run.unwrap().call(&mut store, 41).unwrap(), 42);
    assert!(!store.has_pending_exception());
}
