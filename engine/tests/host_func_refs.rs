//! Host functions reached through copies of their refs: as a module's
//! start function, as a re-exported import, from a table and from a
//! global. Each copy is the host function itself: called from the host it
//! sees its own store (and store data), and its error comes back as it
//! was made.

use kiln::*;

const WAT: &str = r#"(module
    (import "host" "f" (func $f (param i32) (result i32)))
    (export "f" (func $f))
    (table (export "t") 1 funcref)
    (elem (i32.const 0) $f)
    (global (export "g") funcref (ref.func $f)))"#;

/// The host function: adds its argument to the store's data and returns
/// the sum; fails on a negative argument.
fn host(store: &mut Store<i32>) -> Func {
    Func::wrap(store, |mut caller: Caller<'_, i32>, x: i32| {
        if x < 0 {
            anyhow::bail!("host failure");
        }
        *caller.data_mut() += x;
        Ok(*caller.data())
    })
}

/// `get` the host function back from an instance of `WAT` and call it
/// twice: once to add 5 to the store's 100, once to fail.
fn check(how: &str, get: fn(&mut Store<i32>, &Instance) -> Func) {
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).unwrap();
    let mut store = Store::new(&engine, 100);
    let f = host(&mut store);
    let instance = Instance::new(&mut store, &module, &[f.into()]).unwrap();
    let copy = get(&mut store, &instance);
    let typed = copy.typed::<i32, i32>(&store).unwrap();
    assert_eq!(typed.call(&mut store, 5).unwrap(), 105, "{how}");
    assert_eq!(*store.data(), 105, "{how}");
    let err = typed.call(&mut store, -1).unwrap_err();
    assert_eq!(format!("{err:#}"), "host failure", "{how}");
}

#[test]
fn copies_of_host_refs_are_the_host_function() {
    check("export", |s, i| i.get_func(s, "f").unwrap());
    check("table", |s, i| {
        let t = i.get_table(&mut *s, "t").unwrap();
        match t.get(s, 0) {
            Some(Val::FuncRef(Some(f))) => f,
            other => panic!("table element: {other:?}"),
        }
    });
    check("global", |s, i| {
        let g = i.get_global(&mut *s, "g").unwrap();
        match g.get(s) {
            Val::FuncRef(Some(f)) => f,
            other => panic!("global: {other:?}"),
        }
    });
}

/// A host function as start function runs with its own store, and its
/// error fails the instantiation as it was made.
#[test]
fn host_start_functions_see_their_store() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, 0);
    let bump = Func::wrap(&mut store, |mut caller: Caller<'_, i32>| {
        *caller.data_mut() += 1;
        if *caller.data() > 1 {
            anyhow::bail!("started twice");
        }
        Ok(())
    });
    let start = r#"(module (import "host" "f" (func $f)) (start $f))"#;
    let module = Module::new(&engine, start).unwrap();
    Instance::new(&mut store, &module, &[bump.into()]).unwrap();
    assert_eq!(*store.data(), 1);
    let err = Instance::new(&mut store, &module, &[bump.into()]).unwrap_err();
    assert_eq!(format!("{err:#}"), "started twice");
}
