//! `instantiate`: a wasm-smith module in the engine's feature set is
//! compiled, instantiated with dummy imports, and every exported function
//! is called with fuzzer-chosen arguments under a fuel bound; some modules
//! take a round trip through an artifact first.
//!
//! Checks: a valid module always compiles; instantiation and calls may
//! trap, but only with a `Trap`, an uncaught exception (or a resource
//! error), never a crash or a hang; a store that trapped or ran out of
//! fuel keeps working (the next call with fresh fuel behaves like a first
//! call would).

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
    let mut store = knobs.store(&engine, ());
    let mut imports = Vec::new();
    for import in module.imports() {
        imports.push(dummy_extern(&mut store, &import.ty()).expect("dummy import"));
    }
    store.set_fuel(CALL_FUEL).unwrap();
    let instance = match Instance::new(&mut store, &module, &imports) {
        Ok(i) => i,
        Err(e) => {
            say!("instantiation failed: {e:#}");
            check_error(&mut store, &e);
            return Ok(());
        }
    };

    let funcs: Vec<(String, kiln::Func)> = instance
        .exports(&mut store)
        .into_iter()
        .filter_map(|(name, ext)| match ext {
            Extern::Func(f) => Some((name, f)),
            _ => None,
        })
        .collect();
    // Call each export, then a few fuzzer-chosen ones again (a trapped or
    // exhausted store must stay usable).
    let rounds = funcs.len() + u.int_in_range(0..=4)?;
    for round in 0..rounds {
        if funcs.is_empty() || u.is_empty() {
            break;
        }
        let (name, func) = if round < funcs.len() {
            &funcs[round]
        } else {
            u.choose(&funcs)?
        };
        let ty = func.ty(&store);
        let args = ty
            .params()
            .iter()
            .map(|t| arbitrary_val(&mut u, t))
            .collect::<Result<Vec<Val>>>()?;
        let mut results: Vec<Val> = ty.results().iter().map(zero_val).collect();
        store.set_fuel(CALL_FUEL).unwrap();
        let outcome = func.call(&mut store, &args, &mut results);
        say!(
            "call {name:?}{args:?} -> {:?}",
            outcome.as_ref().map(|()| &results)
        );
        match outcome {
            Ok(()) => {
                for (r, t) in results.iter().zip(ty.results()) {
                    let ok = r.matches_ty(&store, t).expect("a result of this store");
                    assert!(ok, "result {r:?} of {name:?} is no {t}");
                }
            }
            Err(e) => check_error(&mut store, &e),
        }
        assert!(store.get_fuel().unwrap() <= CALL_FUEL);
    }
    Ok(())
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
