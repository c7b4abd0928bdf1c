//! Typed function references through the embedding API: concrete
//! reference types in `RefType`/`HeapType`, subtyping where values and
//! imports are matched, typed function values crossing the host boundary,
//! non-nullable tables and globals, and the traps of null references.

use kiln::*;

/// `(func (param i32) (result i32))`, the type most cases use.
fn ii() -> FuncType {
    FuncType::new([ValType::I32], [ValType::I32])
}

fn typed(nullable: bool, ty: FuncType) -> ValType {
    ValType::Ref(RefType::new(nullable, HeapType::ConcreteFunc(ty)))
}

/// A module with functions of type `ii` and `[] -> []`, and exports that
/// take, return and call typed references.
const WAT: &str = r#"(module
    (type $ii (func (param i32) (result i32)))
    (type $v (func))
    (func $inc (export "inc") (type $ii) (i32.add (local.get 0) (i32.const 1)))
    (func $nop (export "nop") (type $v))
    (elem declare func $inc $nop)
    (func (export "get-inc") (result (ref $ii)) (ref.func $inc))
    (func (export "get-null") (result (ref null $ii)) (ref.null $ii))
    (func (export "apply") (param (ref null $ii) i32) (result i32)
      (call_ref $ii (local.get 1) (local.get 0)))
    (func (export "apply-tail") (param (ref null $ii) i32) (result i32)
      (return_call_ref $ii (local.get 1) (local.get 0)))
    (func (export "non-null") (param (ref null func)) (result (ref func))
      (ref.as_non_null (local.get 0)))
    (func (export "is-null") (param (ref null $ii)) (result i32)
      (block $null
        (br_on_null $null (local.get 0))
        (drop)
        (return (i32.const 0)))
      (i32.const 1))
    (func (export "or-inc") (param (ref null $ii)) (result (ref $ii))
      (block $some (result (ref $ii))
        (br_on_non_null $some (local.get 0))
        (ref.func $inc)))
    (table $t (export "table") 2 (ref $ii) (ref.func $inc))
    (global (export "g") (ref $ii) (ref.func $inc))
    (global (export "g-null") (mut (ref null $ii)) (ref.null $ii))
)"#;

struct Setup {
    store: Store<()>,
    instance: Instance,
}

fn setup() -> Setup {
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).expect("module compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    Setup { store, instance }
}

impl Setup {
    fn func(&mut self, name: &str) -> Func {
        self.instance.get_func(&mut self.store, name).unwrap()
    }

    /// Calls `name` with `args`; its one result, or the error's text.
    fn call(&mut self, name: &str, args: &[Val]) -> Result<Val, String> {
        let f = self.func(name);
        let mut results = [Val::I32(0)];
        match f.call(&mut self.store, args, &mut results) {
            Ok(()) => Ok(results[0]),
            Err(e) => Err(match e.downcast_ref::<Trap>() {
                Some(trap) => format!("trap: {}", trap.code().message()),
                None => format!("{e:#}"),
            }),
        }
    }
}

/// `name(args)` returns `i32` `expected`, or fails with a message
/// containing `expected`'s error.
#[track_caller]
fn check(s: &mut Setup, name: &str, args: &[Val], expected: Result<i32, &str>) {
    match (s.call(name, args), expected) {
        (Ok(Val::I32(got)), Ok(want)) => assert_eq!(got, want, "{name}"),
        (Err(got), Err(want)) => assert!(got.contains(want), "{name}: {got}"),
        (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn typed_calls_and_null_traps() {
    let mut s = setup();
    let inc = Val::FuncRef(Some(s.func("inc")));
    let nop = Val::FuncRef(Some(s.func("nop")));
    let null = Val::FuncRef(None);
    check(&mut s, "apply", &[inc, Val::I32(41)], Ok(42));
    check(&mut s, "apply-tail", &[inc, Val::I32(1)], Ok(2));
    check(
        &mut s,
        "apply",
        &[null, Val::I32(1)],
        Err("trap: null function reference"),
    );
    check(
        &mut s,
        "apply-tail",
        &[null, Val::I32(1)],
        Err("trap: null function reference"),
    );
    check(&mut s, "is-null", &[null], Ok(1));
    check(&mut s, "is-null", &[inc], Ok(0));
    // A function of another type is no `(ref null $ii)`.
    check(&mut s, "apply", &[nop, Val::I32(1)], Err("type mismatch"));
    check(
        &mut s,
        "apply",
        &[Val::ExternRef(None), Val::I32(1)],
        Err("type mismatch"),
    );
    // `ref.as_non_null` takes any function.
    assert!(matches!(
        s.call("non-null", &[nop]),
        Ok(Val::FuncRef(Some(_)))
    ));
    assert_eq!(
        s.call("non-null", &[null]).unwrap_err(),
        "trap: null reference"
    );
}

/// A typed function reference wasm returns is the function itself, and
/// goes back in where its type is expected.
#[test]
fn typed_funcrefs_round_trip() {
    let mut s = setup();
    let inc = s.func("inc");
    let Ok(Val::FuncRef(Some(got))) = s.call("get-inc", &[]) else {
        panic!("get-inc returns a function")
    };
    assert_eq!(got.ty(&s.store), ii());
    check(
        &mut s,
        "apply",
        &[Val::FuncRef(Some(got)), Val::I32(9)],
        Ok(10),
    );
    assert!(matches!(s.call("get-null", &[]), Ok(Val::FuncRef(None))));
    let Ok(Val::FuncRef(Some(same))) = s.call("or-inc", &[Val::FuncRef(Some(inc))]) else {
        panic!("or-inc returns a function")
    };
    check(
        &mut s,
        "apply",
        &[Val::FuncRef(Some(same)), Val::I32(0)],
        Ok(1),
    );
    assert!(matches!(
        s.call("or-inc", &[Val::FuncRef(None)]),
        Ok(Val::FuncRef(Some(_)))
    ));
}

/// Export types name the concrete types; `Func::matches_ty` and the
/// `matches` of value types follow subtyping.
#[test]
fn concrete_types_and_subtyping() {
    let mut s = setup();
    let get_inc = s.func("get-inc");
    assert_eq!(get_inc.ty(&s.store).results(), [typed(false, ii())]);
    let apply = s.func("apply").ty(&s.store);
    assert_eq!(apply.params(), [typed(true, ii()), ValType::I32]);
    assert!(s.func("inc").matches_ty(&s.store, &ii()));
    assert!(!s.func("nop").matches_ty(&s.store, &ii()));

    let table = s.instance.get_table(&mut s.store, "table").unwrap();
    let tt = table.ty(&s.store);
    assert_eq!(
        tt.element(),
        &RefType::new(false, HeapType::ConcreteFunc(ii()))
    );
    let g = s.instance.get_global(&mut s.store, "g").unwrap();
    assert_eq!(g.ty(&s.store).content(), &typed(false, ii()));

    let (non_null, nullable) = (typed(false, ii()), typed(true, ii()));
    let other = typed(false, FuncType::new([], []));
    for (sub, sup, expected) in [
        (&non_null, &nullable, true),
        (&nullable, &non_null, false),
        (&non_null, &ValType::FUNCREF, true),
        (&nullable, &ValType::FUNCREF, true),
        (&ValType::FUNCREF, &nullable, false),
        (&non_null, &other, false),
        (&non_null, &ValType::EXTERNREF, false),
        (&ValType::I32, &ValType::I32, true),
        (&ValType::I32, &ValType::I64, false),
    ] {
        assert_eq!(sub.matches(sup), expected, "{sub} <: {sup}");
    }
    assert_eq!(non_null.to_string(), "(ref (func [i32] -> [i32]))");
    assert_eq!(nullable.to_string(), "(ref null (func [i32] -> [i32]))");
    assert_eq!(ValType::FUNCREF.to_string(), "funcref");
}

/// A table with a non-nullable element type starts with its initialiser's
/// value and takes no null; neither does such a global.
#[test]
fn non_nullable_tables_and_globals() {
    let mut s = setup();
    let table = s.instance.get_table(&mut s.store, "table").unwrap();
    for i in 0..2 {
        let Some(Val::FuncRef(Some(f))) = table.get(&mut s.store, i) else {
            panic!("element {i} is the initialiser's function")
        };
        check(
            &mut s,
            "apply",
            &[Val::FuncRef(Some(f)), Val::I32(i as i32)],
            Ok(i as i32 + 1),
        );
    }
    let err = table.set(&mut s.store, 0, Val::FuncRef(None)).unwrap_err();
    assert!(err.to_string().contains("found null"), "{err:#}");
    let nop = s.func("nop");
    let err = table
        .grow(&mut s.store, 1, Val::FuncRef(Some(nop)))
        .unwrap_err();
    assert!(err.to_string().contains("type mismatch"), "{err:#}");
    let inc = s.func("inc");
    assert_eq!(
        table
            .grow(&mut s.store, 1, Val::FuncRef(Some(inc)))
            .unwrap(),
        2
    );

    let g = s.instance.get_global(&mut s.store, "g-null").unwrap();
    g.set(&mut s.store, Val::FuncRef(Some(inc))).unwrap();
    assert!(g.set(&mut s.store, Val::FuncRef(Some(nop))).is_err());
    let ty = GlobalType::new(typed(false, ii()), Mutability::Const);
    let err = Global::new(&mut s.store, ty.clone(), Val::FuncRef(None)).unwrap_err();
    assert!(err.to_string().contains("found null"), "{err:#}");
    Global::new(&mut s.store, ty, Val::FuncRef(Some(inc))).unwrap();
    let tt = TableType::new(RefType::new(false, HeapType::ConcreteFunc(ii())), 1, None);
    assert!(Table::new(&mut s.store, tt.clone(), Val::FuncRef(None)).is_err());
    Table::new(&mut s.store, tt, Val::FuncRef(Some(inc))).unwrap();
}

/// An immutable global of a subtype satisfies an import; a mutable one
/// must have exactly the import's type, and a table's element type too.
#[test]
fn imports_match_by_subtyping() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inc = Func::wrap(&mut store, |x: i32| x + 1);
    let val = Val::FuncRef(Some(inc));
    let global = |store: &mut Store<()>, ty: ValType, m| {
        Extern::from(Global::new(&mut *store, GlobalType::new(ty, m), val).unwrap())
    };
    let import = |ty: &str| {
        let wat =
            format!(r#"(module (type $ii (func (param i32) (result i32))) (import "m" "x" {ty}))"#);
        Module::new(&engine, wat).unwrap()
    };
    let cases = [
        (
            "(global funcref)",
            global(&mut store, typed(false, ii()), Mutability::Const),
            true,
        ),
        (
            "(global (ref $ii))",
            global(&mut store, typed(false, ii()), Mutability::Const),
            true,
        ),
        (
            "(global (ref $ii))",
            global(&mut store, ValType::FUNCREF, Mutability::Const),
            false,
        ),
        (
            "(global (mut funcref))",
            global(&mut store, typed(false, ii()), Mutability::Var),
            false,
        ),
        (
            "(global (mut (ref $ii)))",
            global(&mut store, typed(false, ii()), Mutability::Var),
            true,
        ),
        ("(func (type $ii))", Extern::from(inc), true),
        ("(func (param i64) (result i32))", Extern::from(inc), false),
    ];
    for (ty, ext, ok) in cases {
        let result = Instance::new(&mut store, &import(ty), &[ext]);
        assert_eq!(result.is_ok(), ok, "{ty}: {:?}", result.err());
    }
    let tt = TableType::new(RefType::new(false, HeapType::ConcreteFunc(ii())), 1, None);
    let table = Table::new(&mut store, tt, val).unwrap();
    for (ty, ok) in [("(table 1 (ref $ii))", true), ("(table 1 funcref)", false)] {
        let result = Instance::new(&mut store, &import(ty), &[table.into()]);
        assert_eq!(result.is_ok(), ok, "{ty}: {:?}", result.err());
    }
}

/// What Kiln cannot represent or run is a clear error, never a panic: a
/// type that refers to itself without GC (recursive types come with it;
/// `gc_types.rs` tests them), and the feature switched off.
#[test]
fn refused_modules_say_why() {
    let recursive = "(module (type $t (func (param (ref null $t)))))";
    Module::new(&Engine::default(), recursive).unwrap();
    let mut config = Config::new();
    config.wasm_gc(false);
    let engine = Engine::new(&config).unwrap();
    let err = Module::new(&engine, recursive).unwrap_err();
    assert!(format!("{err:#}").contains("unknown type 0"), "{err:#}");

    let mut config = Config::new();
    config.wasm_function_references(false);
    let engine = Engine::new(&config).unwrap();
    let err = Module::new(&engine, WAT).unwrap_err();
    assert!(!format!("{err:#}").is_empty());
    Module::new(&engine, "(module (func (param funcref)))").unwrap();
}

/// GC's declared supertypes in the API: a function of a subtype matches
/// its supertypes (`Func::matches_ty`, `Val::matches_ty`, a table of the
/// supertype takes it), not the reverse; `FuncType` tells finality and the
/// supertype, and a recursive type prints without end.
#[test]
fn declared_supertypes_in_the_api() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
          (type $top (sub (func)))
          (type $leaf (sub final $top (func)))
          (rec (type $r (func (param (ref null $r)))))
          (func (export "top") (type $top))
          (func (export "leaf") (type $leaf))
          (func (export "r") (type $r))
          (table (export "tops") 2 (ref null $top))
          (table (export "leaves") 2 (ref null $leaf)))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let func = |store: &mut Store<()>, name| instance.get_func(store, name).unwrap();
    let (top, leaf) = (func(&mut store, "top"), func(&mut store, "leaf"));
    let (top_ty, leaf_ty) = (top.ty(&store), leaf.ty(&store));
    assert!(!top_ty.is_final() && top_ty.supertype().is_none());
    assert!(leaf_ty.is_final() && leaf_ty.supertype() == Some(top_ty.clone()));
    // A final type of the same structure, alone in its group, is another
    // type.
    assert_ne!(top_ty, FuncType::new([], []));

    let tops = instance.get_table(&mut store, "tops").unwrap();
    let leaves = instance.get_table(&mut store, "leaves").unwrap();
    for (f, ty, table, matches) in [
        (leaf, &top_ty, tops, true),
        (leaf, &leaf_ty, leaves, true),
        (top, &top_ty, tops, true),
        (top, &leaf_ty, leaves, false),
    ] {
        assert_eq!(f.matches_ty(&store, ty), matches, "{ty}");
        let val = Val::FuncRef(Some(f));
        let vt = typed(true, ty.clone());
        assert_eq!(val.matches_ty(&store, &vt).unwrap(), matches, "{vt}");
        assert_eq!(table.set(&mut store, 0, val).is_ok(), matches, "{vt}");
    }

    let r = func(&mut store, "r").ty(&store);
    assert_eq!(r.params(), [typed(true, r.clone())]);
    assert_eq!(
        r.to_string(),
        "[(ref null (func member 0 of a rec group of 1))] -> []"
    );
}

/// A function type's `{:?}` says where it sits when its rec group holds
/// more than it, and whether it is final or has a supertype.
#[test]
fn function_types_debug_print_their_group() {
    let wat = r#"(module
        (rec (type $a (sub (func))) (type $b (sub final $a (func))))
        (type $c (func (param i32)))
        (func (export "a") (type $a)) (func (export "b") (type $b))
        (func (export "c") (type $c) nop))"#;
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let mut debug = |name: &str| {
        let ty = instance.get_func(&mut store, name).unwrap().ty(&store);
        (format!("{ty:?}"), ty.to_string())
    };
    let (c, shown) = debug("c");
    assert_eq!(c, format!("FuncType({shown})"));
    let (a, _) = debug("a");
    assert!(
        a.ends_with(", member 0 of a rec group of 2, not final)"),
        "{a}"
    );
    let (b, _) = debug("b");
    assert!(
        b.contains(", member 1 of a rec group of 2, subtype of "),
        "{b}"
    );
    assert!(!b.contains("not final"), "{b}");
}
