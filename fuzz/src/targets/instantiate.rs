//! `instantiate`: a wasm-smith module in the engine's feature set is
//! compiled, instantiated with dummy imports, and every exported function
//! is called with fuzzer-chosen arguments under a fuel bound; some modules
//! take a round trip through an artifact first.
//!
//! Checks: a valid module always compiles; instantiation and calls may
//! trap, but only with a `Trap`, an uncaught exception (or a resource
//! error), never a crash or a hang; a store that trapped or ran out of
//! fuel keeps working (the next call with fresh fuel behaves like a first
//! call would); and a second instance, made in a fresh store once the
//! first store is gone (in the slots it left, with the pooling
//! allocator), answers the same calls the same way.

use crate::generate::{
    CALL_FUEL, EngineKnobs, arbitrary_val, dummy_extern, smith_module, zero_val,
};
use crate::say;
use arbitrary::{Result, Unstructured};
use kiln::{Engine, Extern, Instance, Module, Store, ThrownException, Trap, Val};

pub fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let knobs = EngineKnobs::arbitrary(&mut u, true)?;
    let wasm = smith_module(&mut u)?;
    // Through an artifact: what `Module::serialize` writes must load back
    // as a module that behaves the same.
    let via_artifact = u.ratio(1, 4)?;
    say!("instantiate: {knobs:?}, via an artifact: {via_artifact}");
    crate::log::module("module", &wasm);

    let engine = Engine::new(&knobs.config()).expect("every generated config is supported");
    let mut module = match Module::from_binary(&engine, &wasm) {
        Ok(m) => m,
        Err(e) => panic!("a valid module in the engine's feature set failed to compile: {e:#}"),
    };
    if via_artifact {
        let bytes = module.serialize().expect("a compiled module serializes");
        // SAFETY: the bytes are an artifact this engine just wrote.
        module = unsafe { Module::deserialize(&engine, &bytes) }.expect("its artifact loads");
    }
    // A fresh store and instance, or why there is none.
    let instantiate = || {
        let mut store = knobs.store(&engine, ());
        let mut imports = Vec::new();
        for import in module.imports() {
            imports.push(dummy_extern(&mut store, &import.ty()).expect("dummy import"));
        }
        store.set_fuel(CALL_FUEL).unwrap();
        let instance = Instance::new(&mut store, &module, &imports);
        (store, instance)
    };
    let (mut store, instance) = instantiate();
    let instance = match instance {
        Ok(i) => i,
        Err(e) => {
            say!("instantiation failed: {e:#}");
            check_error(&mut store, &e);
            return Ok(());
        }
    };

    let funcs = exported_funcs(&mut store, instance);
    // Call each export, then a few fuzzer-chosen ones again (a trapped or
    // exhausted store must stay usable).
    let rounds = funcs.len() + u.int_in_range(0..=4)?;
    let mut calls = Vec::new();
    for round in 0..rounds {
        if funcs.is_empty() || u.is_empty() {
            break;
        }
        let index = if round < funcs.len() {
            round
        } else {
            u.choose_index(funcs.len())?
        };
        let args = funcs[index]
            .1
            .ty(&store)
            .params()
            .iter()
            .map(|t| arbitrary_val(&mut u, t))
            .collect::<Result<Vec<Val>>>()?;
        let outcome = call(&mut store, &funcs[index], &args);
        calls.push((index, args, outcome));
    }

    // The same calls on a second instance, made once the first store is
    // gone: with the pooling allocator in the slots the first left behind
    // (reset, but for the function references a slot keeps for the same
    // module), on demand in fresh memory. Each must do what it did on the
    // first instance.
    drop(store);
    let (mut store, instance) = instantiate();
    let instance = instance.expect("a module that instantiated once instantiates again");
    let funcs = exported_funcs(&mut store, instance);
    for (index, args, first) in &calls {
        let again = call(&mut store, &funcs[*index], args);
        assert_eq!(
            &again, first,
            "{:?}{args:?} on a second instance, in a fresh store",
            funcs[*index].0
        );
    }
    Ok(())
}

/// The exported functions of `instance`, by name, in export order.
fn exported_funcs(store: &mut Store<()>, instance: Instance) -> Vec<(String, kiln::Func)> {
    instance
        .exports(&mut *store)
        .into_iter()
        .filter_map(|(name, ext)| match ext {
            Extern::Func(f) => Some((name, f)),
            _ => None,
        })
        .collect()
}

/// Call `func` with `args` and fresh fuel, checking what comes back; what
/// it did, comparable across stores: each result (a reference as null or
/// not), or the error (a trap by its code).
fn call(store: &mut Store<()>, (name, func): &(String, kiln::Func), args: &[Val]) -> String {
    let ty = func.ty(&*store);
    let mut results: Vec<Val> = ty.results().iter().map(zero_val).collect();
    store.set_fuel(CALL_FUEL).unwrap();
    let outcome = func.call(&mut *store, args, &mut results);
    say!(
        "call {name:?}{args:?} -> {:?}",
        outcome.as_ref().map(|()| &results)
    );
    let summary = match outcome {
        Ok(()) => {
            let mut summary = Vec::new();
            for (r, t) in results.iter().zip(ty.results()) {
                let ok = r.matches_ty(&*store, t).expect("a result of this store");
                assert!(ok, "result {r:?} of {name:?} is no {t}");
                summary.push(match r {
                    Val::FuncRef(f) => format!("funcref (null: {})", f.is_none()),
                    Val::ExternRef(x) => format!("externref (null: {})", x.is_none()),
                    Val::ExnRef(x) => format!("exnref (null: {})", x.is_none()),
                    _ => format!("{r:?}"),
                });
            }
            format!("{summary:?}")
        }
        Err(e) => {
            check_error(store, &e);
            match e.downcast_ref::<Trap>() {
                Some(trap) => format!("trap {:?}", trap.code()),
                None => format!("error {e:#}"),
            }
        }
    };
    assert!(store.get_fuel().unwrap() <= CALL_FUEL);
    summary
}

/// A failed instantiation or call must be a trap, an exception that
/// escaped (which `store` must then hold; it is taken, as an embedder
/// would), or one of the engine's resource errors (growing a memory or
/// table at instantiation).
fn check_error(store: &mut Store<()>, e: &anyhow::Error) {
    // Any trap code is possible for arbitrary code, the limits
    // (`OutOfFuel`, `StackOverflow`) included.
    if e.downcast_ref::<Trap>().is_some() {
        return;
    }
    if e.downcast_ref::<ThrownException>().is_some() {
        let exn = store.take_pending_exception();
        assert!(
            exn.is_some(),
            "an uncaught exception the store does not hold"
        );
        return;
    }
    let text = format!("{e:#}");
    assert!(
        text.contains("out of bounds") || text.contains("resource") || text.contains("grow"),
        "instantiation or call failed with something other than a trap: {text}"
    );
}
