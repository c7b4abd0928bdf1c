//! GC's type system of function types (rec groups, declared supertypes,
//! finality) on both backends, each held to the expected outcome: which
//! functions `call_indirect` accepts, which imports link (type identity is
//! iso-recursive and survives crossing modules), and which modules are
//! refused because they use more of GC than function types.

use kiln_differential::{Error, ExternVal, Module as InterpModule, Store as InterpStore, Value};

/// How calling an export without arguments ends.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    Returns(i32),
    Traps(&'static str),
}

fn engine_call(wat: &str, export: &str) -> Outcome {
    let engine = kiln::Engine::default();
    let module = kiln::Module::new(&engine, wat).unwrap();
    let mut store = kiln::Store::new(&engine, ());
    let instance = kiln::Instance::new(&mut store, &module, &[]).unwrap();
    let f = instance.get_func(&mut store, export).unwrap();
    let mut out = [kiln::Val::I32(0)];
    match f.call(&mut store, &[], &mut out) {
        Ok(()) => Outcome::Returns(out[0].unwrap_i32()),
        Err(e) => match e.downcast_ref::<kiln::Trap>() {
            Some(t) if t.to_string().contains("indirect call type mismatch") => {
                Outcome::Traps("indirect call type mismatch")
            }
            _ => panic!("engine {export}: {e:#}"),
        },
    }
}

fn interp_call(wat: &str, export: &str) -> Outcome {
    let module = InterpModule::new(&wat::parse_str(wat).unwrap()).unwrap();
    let mut store = InterpStore::new(Default::default());
    let instance = store.instantiate(&module, &[]).unwrap();
    let Ok(ExternVal::Func(f)) = store.export(instance, export) else {
        panic!("no export {export}");
    };
    match store.invoke(f, &[]) {
        Ok(v) => match v[..] {
            [Value::I32(x)] => Outcome::Returns(x),
            _ => panic!("interp {export}: {v:?}"),
        },
        Err(Error::Trap(t)) if t.to_string() == "indirect call type mismatch" => {
            Outcome::Traps("indirect call type mismatch")
        }
        Err(e) => panic!("interp {export}: {e}"),
    }
}

/// Export `export` of module `wat` ends with `expected` on both backends.
fn check_call(wat: &str, export: &str, expected: Outcome) {
    assert_eq!(engine_call(wat, export), expected, "engine: {export}");
    assert_eq!(interp_call(wat, export), expected, "interp: {export}");
}

/// A hierarchy `$top :> $mid :> $leaf`, `$other` beside it (of the same
/// structure as `$top`, but final: another type), and a table
/// holding a function of each; `call_<type>_<slot>` calls slot `slot`
/// through `call_indirect` of type `<type>`.
const HIERARCHY: &str = r#"(module
  (type $top (sub (func (result i32))))
  (type $mid (sub $top (func (result i32))))
  (type $leaf (sub final $mid (func (result i32))))
  (type $other (sub final (func (result i32))))
  (func $f_top (type $top) (i32.const 1))
  (func $f_mid (type $mid) (i32.const 2))
  (func $f_leaf (type $leaf) (i32.const 3))
  (func $f_other (type $other) (i32.const 4))
  (table funcref (elem $f_top $f_mid $f_leaf $f_other))
  (func (export "call_top_0") (result i32) (call_indirect (type $top) (i32.const 0)))
  (func (export "call_top_1") (result i32) (call_indirect (type $top) (i32.const 1)))
  (func (export "call_top_2") (result i32) (call_indirect (type $top) (i32.const 2)))
  (func (export "call_top_3") (result i32) (call_indirect (type $top) (i32.const 3)))
  (func (export "call_mid_0") (result i32) (call_indirect (type $mid) (i32.const 0)))
  (func (export "call_mid_2") (result i32) (call_indirect (type $mid) (i32.const 2)))
  (func (export "call_leaf_1") (result i32) (call_indirect (type $leaf) (i32.const 1)))
  (func (export "call_leaf_2") (result i32) (call_indirect (type $leaf) (i32.const 2)))
  (func (export "call_other_0") (result i32) (call_indirect (type $other) (i32.const 0)))
)"#;

#[test]
fn call_indirect_accepts_declared_subtypes() {
    use Outcome::*;
    const MISMATCH: Outcome = Traps("indirect call type mismatch");
    for (export, expected) in [
        ("call_top_0", Returns(1)),
        ("call_top_1", Returns(2)),
        ("call_top_2", Returns(3)),
        ("call_top_3", MISMATCH),
        ("call_mid_0", MISMATCH),
        ("call_mid_2", Returns(3)),
        ("call_leaf_1", MISMATCH),
        ("call_leaf_2", Returns(3)),
        ("call_other_0", MISMATCH),
    ] {
        check_call(HIERARCHY, export, expected);
    }
}

/// Whether module `consumer`, importing `m.f`, links against export `f`
/// of module `provider`, on the engine and on the interpreter.
fn check_link(provider: &str, consumer: &str, links: bool) {
    let engine = kiln::Engine::default();
    let mut store = kiln::Store::new(&engine, ());
    let p = kiln::Module::new(&engine, provider).unwrap();
    let p = kiln::Instance::new(&mut store, &p, &[]).unwrap();
    let f = p.get_func(&mut store, "f").unwrap();
    let c = kiln::Module::new(&engine, consumer).unwrap();
    let result = kiln::Instance::new(&mut store, &c, &[f.into()]);
    assert_eq!(
        result.is_ok(),
        links,
        "engine: {consumer}: {:?}",
        result.err()
    );

    let mut store = InterpStore::new(Default::default());
    let p = InterpModule::new(&wat::parse_str(provider).unwrap()).unwrap();
    let p = store.instantiate(&p, &[]).unwrap();
    let f = store.export(p, "f").unwrap();
    let c = InterpModule::new(&wat::parse_str(consumer).unwrap()).unwrap();
    let result = store.instantiate(&c, &[f]);
    assert_eq!(
        result.is_ok(),
        links,
        "interp: {consumer}: {:?}",
        result.err()
    );
}

/// A provider exporting `f` of type `$t` after the type definitions
/// `types`.
fn provider(types: &str) -> String {
    format!(r#"(module {types} (func (export "f") (type $t)))"#)
}

/// A consumer importing `f` as a function of type `$t` after `types`.
fn consumer(types: &str) -> String {
    format!(r#"(module {types} (import "m" "f" (func (type $t))))"#)
}

#[test]
fn imports_match_iso_recursively_and_by_declared_supertypes() {
    let group = "(rec (type $t (func)) (type $u (func (param i32))))";
    let permuted = "(rec (type $u (func (param i32))) (type $t (func)))";
    let cycle =
        "(rec (type $t (func (param (ref null $u)))) (type $u (func (param (ref null $t)))))";
    for (p, c, links) in [
        // The same group in two modules: the same types.
        (group, group, true),
        (cycle, cycle, true),
        // The same structure at another position, or outside a group.
        (group, permuted, false),
        (group, "(type $t (func))", false),
        ("(type $t (func))", "(type $t (func))", true),
        // Finality is part of the type.
        ("(type $t (sub (func)))", "(type $t (func))", false),
        // A subtype where its supertype is expected, not the reverse.
        (
            "(type $s (sub (func))) (type $t (sub $s (func)))",
            "(type $t (sub (func)))",
            true,
        ),
        (
            "(type $t (sub (func)))",
            "(type $s (sub (func))) (type $t (sub $s (func)))",
            false,
        ),
    ] {
        // The supertype case imports `$t` of the consumer: `(sub (func))`
        // there is `$s` of the provider, `f`'s supertype.
        check_link(&provider(p), &consumer(c), links);
    }
}

/// Module `wat` is refused by both backends, with errors containing
/// `engine` and `interp`.
fn check_refused(wat: &str, engine: &str, interp: &str) {
    let err = kiln::Module::new(&kiln::Engine::default(), wat).unwrap_err();
    assert!(
        format!("{err:#}").contains(engine),
        "engine: {wat}: {err:#}"
    );
    let err = InterpModule::new(&wat::parse_str(wat).unwrap()).unwrap_err();
    assert!(err.to_string().contains(interp), "interp: {wat}: {err}");
}

#[test]
fn more_of_gc_than_function_types_is_refused() {
    let struct_msg = (
        "GC struct/array types are not supported",
        "GC struct/array types",
    );
    for (wat, (engine, interp)) in [
        ("(module (type (struct)))", struct_msg),
        ("(module (type (array i8)))", struct_msg),
        (
            "(module (rec (type (func)) (type (struct (field i32)))))",
            struct_msg,
        ),
        (
            "(module (global anyref (ref.null any)))",
            (
                "GC heap type `any` is not supported",
                "unsupported reference type",
            ),
        ),
        (
            "(module (func (param i31ref)))",
            (
                "GC heap type `i31` is not supported",
                "unsupported reference type",
            ),
        ),
        (
            "(module (func (result i32) (ref.test (ref func) (ref.null func))))",
            (
                "GC operator `ref_test_non_null`",
                "GC operator `ref_test_non_null`",
            ),
        ),
        (
            "(module (func (drop (ref.i31 (i32.const 0)))))",
            ("GC operator `ref_i31`", "GC operator `ref_i31`"),
        ),
        // In unreachable code too: whether a module compiles does not
        // depend on what runs.
        (
            "(module (func unreachable (drop (ref.i31 (i32.const 0)))))",
            ("GC operator `ref_i31`", "GC operator `ref_i31`"),
        ),
        (
            "(module (func unreachable (drop (ref.null none))))",
            (
                "GC heap type `none` is not supported",
                "unsupported heap type",
            ),
        ),
        (
            "(module (func unreachable (block (result eqref) unreachable) drop))",
            ("GC heap type `eq` is not supported", "unsupported"),
        ),
    ] {
        check_refused(wat, engine, interp);
    }
}
