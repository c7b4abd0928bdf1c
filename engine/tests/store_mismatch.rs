//! Every public method that takes a store and a handle (as receiver, as an
//! import, or inside a `Val`) with a handle of another store follows the one
//! rule of ARCHITECTURE.md: a method returning `Result` returns `Err`, any
//! other method panics; both say "object used with the wrong store". Never
//! a silent answer about another object, never an index panic.
//!
//! Each case runs twice: with the handles' own store (it must succeed, so
//! the case really exercises the method) and with a second store of the
//! same engine holding the same objects (it must follow the rule and leave
//! both stores as they were).

use kiln::*;
use std::panic::{AssertUnwindSafe, catch_unwind};

const WRONG_STORE: &str = "object used with the wrong store";

const WAT: &str = r#"(module
  (memory (export "mem") 1 4)
  (table (export "tab") 2 8 funcref)
  (global (export "g") (mut i32) (i32.const 7))
  (global (export "gf") (mut funcref) (ref.null func))
  (elem (i32.const 0) $add)
  (func $add (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "echo") (param funcref) (result funcref) local.get 0)
  (func (export "echo_ext") (param externref) (result externref) local.get 0))"#;

const IMPORTER: &str = r#"(module
  (import "env" "f" (func (param i32 i32) (result i32)))
  (import "env" "mem" (memory 1))
  (import "env" "tab" (table 1 funcref))
  (import "env" "g" (global (mut i32))))"#;

/// The objects of one store.
struct Handles {
    instance: Instance,
    add: Func,
    add_typed: TypedFunc<(i32, i32), i32>,
    echo: Func,
    echo_ext: Func,
    memory: Memory,
    table: Table,
    global: Global,
    fglobal: Global,
    externref: ExternRef,
    importer: Module,
}

fn setup(engine: &Engine, module: &Module, importer: &Module) -> (Store<()>, Handles) {
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, module, &[]).expect("instantiates");
    let func = |store: &mut Store<()>, name| instance.get_func(store, name).expect(name);
    let (add, echo, echo_ext) = (
        func(&mut store, "add"),
        func(&mut store, "echo"),
        func(&mut store, "echo_ext"),
    );
    let h = Handles {
        instance,
        add,
        add_typed: add.typed(&store).expect("add is (i32, i32) -> i32"),
        echo,
        echo_ext,
        memory: instance.get_memory(&mut store, "mem").expect("mem"),
        table: instance.get_table(&mut store, "tab").expect("tab"),
        global: instance.get_global(&mut store, "g").expect("g"),
        fglobal: instance.get_global(&mut store, "gf").expect("gf"),
        externref: ExternRef::new(&mut store, 42u32),
        importer: importer.clone(),
    };
    (store, h)
}

/// What the rule says about a method: by its signature.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Rule {
    /// It returns `Result`: a mismatch is an `Err`.
    Err,
    /// It cannot return an error: a mismatch panics.
    Panic,
}

/// The observable state of a store's objects, to see that a refused call
/// changed nothing.
fn fingerprint(s: &mut Store<()>, h: &Handles) -> String {
    let mut bytes = [0u8; 4];
    h.memory.read(&*s, 0, &mut bytes).expect("read");
    let elems: Vec<bool> = (0..h.table.size(&*s))
        .map(|i| matches!(h.table.get(&mut *s, i), Some(Val::FuncRef(Some(_)))))
        .collect();
    format!(
        "mem {} pages {bytes:?}, table {elems:?}, g {:?}, gf null {}",
        h.memory.size(&*s),
        h.global.get(&mut *s).i32(),
        matches!(h.fglobal.get(&mut *s), Val::FuncRef(None)),
    )
}

/// The message of a caught panic.
fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<non-string panic>".to_string())
}

/// The call under test: `(store, handles of store, handles used as the
/// receiver or value)`.
type Case<'a> = dyn Fn(&mut Store<()>, &Handles, &Handles) -> Result<()> + 'a;

struct Checker {
    engine: Engine,
    module: Module,
    importer: Module,
    failures: Vec<String>,
    cases: usize,
}

impl Checker {
    /// Run `case` with its own store (must succeed), then with another
    /// store (must follow `rule` and change neither store).
    fn check(&mut self, name: &str, rule: Rule, case: &Case<'_>) {
        self.cases += 1;
        let (mut a, ha) = setup(&self.engine, &self.module, &self.importer);
        let (mut b, hb) = setup(&self.engine, &self.module, &self.importer);
        match catch_unwind(AssertUnwindSafe(|| case(&mut a, &ha, &ha))) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => self.failures.push(format!("{name}: own store: Err({e:#})")),
            Err(p) => self
                .failures
                .push(format!("{name}: own store: panic: {}", panic_message(&*p))),
        }
        let before = (fingerprint(&mut a, &ha), fingerprint(&mut b, &hb));
        let got = catch_unwind(AssertUnwindSafe(|| case(&mut b, &hb, &ha)));
        let verdict = match (rule, got) {
            (Rule::Err, Ok(Err(e))) if format!("{e:#}").contains(WRONG_STORE) => None,
            (Rule::Panic, Err(p)) if panic_message(&*p).contains(WRONG_STORE) => None,
            (_, Ok(Ok(()))) => Some("answered silently".to_string()),
            (_, Ok(Err(e))) => Some(format!("Err({e:#})")),
            (_, Err(p)) => Some(format!("panic: {}", panic_message(&*p))),
        };
        if let Some(v) = verdict {
            self.failures
                .push(format!("{name}: wrong store: expected {rule:?}, got {v}"));
        }
        let after = (fingerprint(&mut a, &ha), fingerprint(&mut b, &hb));
        if before != after {
            self.failures.push(format!(
                "{name}: wrong store changed state: {before:?} -> {after:?}"
            ));
        }
    }
}

/// Imports for `IMPORTER` from `own`, except import `k` from `theirs`.
fn imports(own: &Handles, theirs: &Handles, k: usize) -> Vec<Extern> {
    let pick = |i: usize| if i == k { theirs } else { own };
    vec![
        pick(0).add.into(),
        pick(1).memory.into(),
        pick(2).table.into(),
        pick(3).global.into(),
    ]
}

/// A linker defining `IMPORTER`'s imports from `own`, except import `k`
/// from `theirs`.
fn linker(engine: &Engine, own: &Handles, theirs: &Handles, k: usize) -> Linker<()> {
    let mut linker = Linker::new(engine);
    for (name, ext) in ["f", "mem", "tab", "g"]
        .into_iter()
        .zip(imports(own, theirs, k))
    {
        linker.define("env", name, ext).expect("fresh name");
    }
    linker
}

#[test]
fn every_method_follows_the_store_mismatch_rule() {
    // The expected panics are part of the test: keep them off stderr, but
    // let any other panic (a failing assertion) report as usual.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !panic_message(info.payload()).contains(WRONG_STORE) {
            default_hook(info);
        }
    }));

    let engine = Engine::default();
    let mut c = Checker {
        module: Module::new(&engine, WAT).expect("module compiles"),
        importer: Module::new(&engine, IMPORTER).expect("importer compiles"),
        engine,
        failures: Vec::new(),
        cases: 0,
    };
    use Rule::{Err, Panic};
    let null = || Val::FuncRef(None);

    // Extern
    c.check("Extern::ty (func)", Panic, &|s, _, t| {
        Extern::from(t.add).ty(&*s);
        Ok(())
    });
    c.check("Extern::ty (memory)", Panic, &|s, _, t| {
        Extern::from(t.memory).ty(&*s);
        Ok(())
    });
    c.check("Extern::ty (table)", Panic, &|s, _, t| {
        Extern::from(t.table).ty(&*s);
        Ok(())
    });
    c.check("Extern::ty (global)", Panic, &|s, _, t| {
        Extern::from(t.global).ty(&*s);
        Ok(())
    });

    // Func, TypedFunc
    c.check("Func::ty", Panic, &|s, _, t| {
        t.add.ty(&*s);
        Ok(())
    });
    c.check("Func::typed", Err, &|s, _, t| {
        t.add.typed::<(i32, i32), i32>(&*s).map(drop)
    });
    c.check("Func::call", Err, &|s, _, t| {
        t.add
            .call(s, &[Val::I32(1), Val::I32(2)], &mut [Val::I32(0)])
    });
    c.check("Func::call (funcref argument)", Err, &|s, o, t| {
        o.echo.call(s, &[t.add.into()], &mut [null()])
    });
    c.check("Func::call (externref argument)", Err, &|s, o, t| {
        let arg = Val::ExternRef(Some(t.externref));
        o.echo_ext.call(s, &[arg], &mut [Val::ExternRef(None)])
    });
    c.check("Func::new (funcref result)", Err, &|s, _, t| {
        let theirs = t.add;
        let ty = FuncType::new([], [ValType::FUNCREF]);
        let host = Func::new(&mut *s, ty, move |_, _, results| {
            results[0] = theirs.into();
            Ok(())
        });
        host.call(s, &[], &mut [null()])
    });
    c.check("TypedFunc::call", Err, &|s, _, t| {
        t.add_typed.call(s, (1, 2)).map(drop)
    });

    // Global
    c.check("Global::new (init)", Err, &|s, _, t| {
        let ty = GlobalType::new(ValType::FUNCREF, Mutability::Var);
        Global::new(s, ty, t.add.into()).map(drop)
    });
    c.check("Global::ty", Panic, &|s, _, t| {
        t.global.ty(&*s);
        Ok(())
    });
    c.check("Global::get", Panic, &|s, _, t| {
        t.global.get(s);
        Ok(())
    });
    c.check("Global::set", Err, &|s, _, t| t.global.set(s, Val::I32(1)));
    c.check("Global::set (value)", Err, &|s, o, t| {
        o.fglobal.set(s, t.add.into())
    });

    // Table
    c.check("Table::new (init)", Err, &|s, _, t| {
        let ty = TableType::new(RefType::FUNCREF, 1, None);
        Table::new(s, ty, t.add.into()).map(drop)
    });
    c.check("Table::ty", Panic, &|s, _, t| {
        t.table.ty(&*s);
        Ok(())
    });
    c.check("Table::size", Panic, &|s, _, t| {
        t.table.size(&*s);
        Ok(())
    });
    c.check("Table::get", Panic, &|s, _, t| {
        t.table.get(s, 0);
        Ok(())
    });
    c.check("Table::set", Err, &|s, _, t| t.table.set(s, 1, null()));
    c.check("Table::set (value)", Err, &|s, o, t| {
        o.table.set(s, 1, t.add.into())
    });
    c.check("Table::grow", Err, &|s, _, t| {
        t.table.grow(s, 1, null()).map(drop)
    });
    c.check("Table::grow (init)", Err, &|s, o, t| {
        o.table.grow(s, 1, t.add.into()).map(drop)
    });

    // Memory
    c.check("Memory::ty", Panic, &|s, _, t| {
        t.memory.ty(&*s);
        Ok(())
    });
    c.check("Memory::size", Panic, &|s, _, t| {
        t.memory.size(&*s);
        Ok(())
    });
    c.check("Memory::data_size", Panic, &|s, _, t| {
        t.memory.data_size(&*s);
        Ok(())
    });
    c.check("Memory::data", Panic, &|s, _, t| {
        t.memory.data(&*s);
        Ok(())
    });
    c.check("Memory::data_mut", Panic, &|s, _, t| {
        t.memory.data_mut(s);
        Ok(())
    });
    c.check("Memory::read", Err, &|s, _, t| {
        t.memory.read(&*s, 0, &mut [0; 4])
    });
    c.check("Memory::write", Err, &|s, _, t| {
        t.memory.write(s, 0, &[1; 4])
    });
    c.check("Memory::grow", Err, &|s, _, t| {
        t.memory.grow(s, 1).map(drop)
    });

    // Instance
    for (k, what) in ["func", "memory", "table", "global"].iter().enumerate() {
        let name = format!("Instance::new ({what} import)");
        c.check(&name, Err, &|s, o, t| {
            Instance::new(s, &o.importer, &imports(o, t, k)).map(drop)
        });
    }
    c.check("Instance::get_export", Panic, &|s, _, t| {
        t.instance.get_export(s, "mem");
        Ok(())
    });
    c.check("Instance::exports", Panic, &|s, _, t| {
        t.instance.exports(s);
        Ok(())
    });
    c.check("Instance::get_func", Panic, &|s, _, t| {
        t.instance.get_func(s, "add");
        Ok(())
    });
    c.check("Instance::get_typed_func", Err, &|s, _, t| {
        t.instance
            .get_typed_func::<(i32, i32), i32>(s, "add")
            .map(drop)
    });
    c.check("Instance::get_memory", Panic, &|s, _, t| {
        t.instance.get_memory(s, "mem");
        Ok(())
    });
    c.check("Instance::get_table", Panic, &|s, _, t| {
        t.instance.get_table(s, "tab");
        Ok(())
    });
    c.check("Instance::get_global", Panic, &|s, _, t| {
        t.instance.get_global(s, "g");
        Ok(())
    });
    c.check("Instance::module", Panic, &|s, _, t| {
        t.instance.module(&*s);
        Ok(())
    });

    // Linker
    c.check("Linker::instance", Err, &|s, _, t| {
        let mut linker = Linker::new(s.engine());
        linker.instance(s, "m", t.instance).map(drop)
    });
    c.check("Linker::get", Panic, &|s, _, t| {
        let mut linker = Linker::new(s.engine());
        linker.define("env", "mem", t.memory)?;
        linker.get(s, "env", "mem");
        Ok(())
    });
    for (k, what) in ["func", "memory", "table", "global"].iter().enumerate() {
        let name = format!("Linker::instantiate ({what} definition)");
        c.check(&name, Err, &|s, o, t| {
            let engine = s.engine().clone();
            linker(&engine, o, t, k)
                .instantiate(s, &o.importer)
                .map(drop)
        });
    }

    // ExternRef
    c.check("ExternRef::data", Err, &|s, _, t| {
        t.externref.data(&*s).map(drop)
    });

    let _ = std::panic::take_hook();
    assert!(
        c.failures.is_empty(),
        "{} of {} cases break the rule:\n{}",
        c.failures.len(),
        c.cases,
        c.failures.join("\n")
    );
}
