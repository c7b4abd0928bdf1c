//! The legacy exception instructions (`try`, `catch`, `catch_all`,
//! `delegate`, `rethrow`) in the cases the official `legacy/` scripts do
//! not reach (dead code with clauses in it, a branch out of a `try` body,
//! ...): one binary module assembled with wasm-encoder, each export run on
//! the engine and on the interpreter, both held to the expected outcome.

use kiln_differential::{Error, ExternVal, Module as InterpModule, Store as InterpStore, Value};
use wasm_encoder::{
    BlockType, CodeSection, ExportKind, ExportSection, Function, FunctionSection, Module, TagKind,
    TagSection, TagType, TypeSection, ValType,
};

/// How an export must end: its `i32` result, or an uncaught exception
/// carrying this `i32`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Returns(i32),
    Throws(i32),
}

/// The exports: name and body (no parameters, one `i32` result), and what
/// calling it must give. Function 0 is `$thrower (param i32)`, throwing
/// tag 0 with its argument.
fn cases() -> Vec<(&'static str, Function, Expect)> {
    let body = |build: &dyn Fn(&mut Function)| {
        let mut f = Function::new([]);
        build(&mut f);
        f.instructions().end();
        f
    };
    let i32_block = BlockType::Result(ValType::I32);
    vec![
        (
            // A throw in the try body itself (no call).
            "local",
            body(&|f| {
                f.instructions()
                    .try_(i32_block)
                    .i32_const(8)
                    .throw(0)
                    .catch(0)
                    .end();
            }),
            Expect::Returns(8),
        ),
        (
            // A branch out of the try body continues after its `end`.
            "br_out",
            body(&|f| {
                f.instructions()
                    .try_(i32_block)
                    .i32_const(3)
                    .br(0)
                    .catch_all()
                    .i32_const(9)
                    .end()
                    .i32_const(1)
                    .i32_add();
            }),
            Expect::Returns(4),
        ),
        (
            // From a callee; the payload is the catch clause's value.
            "catch",
            body(&|f| {
                f.instructions()
                    .try_(i32_block)
                    .i32_const(7)
                    .call(0)
                    .i32_const(-1)
                    .catch(0)
                    .end();
            }),
            Expect::Returns(7),
        ),
        (
            "catch_all",
            body(&|f| {
                f.instructions()
                    .try_(i32_block)
                    .i32_const(1)
                    .call(0)
                    .i32_const(-1)
                    .catch_all()
                    .i32_const(5)
                    .end();
            }),
            Expect::Returns(5),
        ),
        (
            // A try without clauses lets everything through.
            "no_clauses",
            body(&|f| {
                f.instructions()
                    .try_(BlockType::Empty)
                    .i32_const(2)
                    .call(0)
                    .end()
                    .i32_const(-1);
            }),
            Expect::Throws(2),
        ),
        (
            // `rethrow 0` in the inner clause, caught by the outer try.
            "rethrow",
            body(&|f| {
                f.instructions()
                    .try_(i32_block)
                    .try_(i32_block)
                    .i32_const(9)
                    .call(0)
                    .i32_const(-1)
                    .catch(0)
                    .drop()
                    .rethrow(0)
                    .end()
                    .catch(0)
                    .i32_const(100)
                    .i32_add()
                    .end();
            }),
            Expect::Returns(109),
        ),
        (
            // `rethrow 1` from a block nested in a catch_all clause.
            "rethrow_nested",
            body(&|f| {
                f.instructions()
                    .try_(BlockType::Empty)
                    .i32_const(11)
                    .call(0)
                    .catch_all()
                    .block(BlockType::Empty)
                    .rethrow(1)
                    .end()
                    .end()
                    .i32_const(-1);
            }),
            Expect::Throws(11),
        ),
        (
            // `delegate 0`: to the enclosing try's clauses.
            "delegate",
            body(&|f| {
                f.instructions()
                    .try_(i32_block)
                    .try_(BlockType::Empty)
                    .i32_const(3)
                    .call(0)
                    .delegate(0)
                    .i32_const(-1)
                    .catch(0)
                    .end();
            }),
            Expect::Returns(3),
        ),
        (
            // `delegate 1`: past the enclosing try, out of the function.
            "delegate_out",
            body(&|f| {
                f.instructions()
                    .try_(i32_block)
                    .try_(BlockType::Empty)
                    .i32_const(4)
                    .call(0)
                    .delegate(1)
                    .i32_const(-1)
                    .catch(0)
                    .i32_const(1000)
                    .i32_add()
                    .end();
            }),
            Expect::Throws(4),
        ),
        (
            // A throw in a clause is not caught by that try's clauses.
            "throw_in_clause",
            body(&|f| {
                f.instructions()
                    .try_(BlockType::Empty)
                    .i32_const(6)
                    .call(0)
                    .catch(0)
                    .throw(0)
                    .end()
                    .i32_const(-1);
            }),
            Expect::Throws(6),
        ),
        (
            // The body ends in dead code (after `br`), so its clause is
            // met while the translator skips unreachable operators.
            "dead_body",
            body(&|f| {
                f.instructions()
                    .try_(i32_block)
                    .i32_const(13)
                    .br(0)
                    .catch(0)
                    .end();
            }),
            Expect::Returns(13),
        ),
        (
            // A `throw` ends the body: its `catch_all`, met in dead code,
            // is still the live try's clause.
            "dead_body_catch_all",
            body(&|f| {
                f.instructions()
                    .try_(i32_block)
                    .i32_const(14)
                    .throw(0)
                    .catch_all()
                    .i32_const(15)
                    .end();
            }),
            Expect::Returns(15),
        ),
        (
            // A try nested in dead code: its clauses are skipped, not
            // taken for the live try's, whose `catch` follows.
            "dead_nested_clauses",
            body(&|f| {
                f.instructions()
                    .try_(i32_block)
                    .i32_const(16)
                    .throw(0)
                    .try_(BlockType::Empty)
                    .catch(0)
                    .drop()
                    .catch_all()
                    .end()
                    .catch(0)
                    .end();
            }),
            Expect::Returns(16),
        ),
        (
            // A `delegate` met in dead code ends the live inner try.
            "dead_body_delegate",
            body(&|f| {
                f.instructions()
                    .try_(i32_block)
                    .try_(BlockType::Empty)
                    .i32_const(17)
                    .throw(0)
                    .delegate(0)
                    .i32_const(-1)
                    .catch(0)
                    .end();
            }),
            Expect::Returns(17),
        ),
        (
            // Nothing thrown: the body's value.
            "quiet",
            body(&|f| {
                f.instructions()
                    .try_(i32_block)
                    .i32_const(12)
                    .catch_all()
                    .i32_const(-1)
                    .end();
            }),
            Expect::Returns(12),
        ),
    ]
}

/// The module: type 0 `(i32) -> ()` (tag 0 and `$thrower`), type 1
/// `() -> i32` (every case), the cases exported by name.
fn module(cases: Vec<(&'static str, Function, Expect)>) -> Vec<u8> {
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], []);
    types.ty().function([], [ValType::I32]);
    let mut funcs = FunctionSection::new();
    let mut tags = TagSection::new();
    tags.tag(TagType {
        kind: TagKind::Exception,
        func_type_idx: 0,
    });
    let mut exports = ExportSection::new();
    let mut code = CodeSection::new();
    funcs.function(0);
    let mut thrower = Function::new([]);
    thrower.instructions().local_get(0).throw(0).end();
    code.function(&thrower);
    for (i, (name, f, _)) in cases.into_iter().enumerate() {
        funcs.function(1);
        code.function(&f);
        exports.export(name, ExportKind::Func, i as u32 + 1);
    }
    let mut m = Module::new();
    m.section(&types)
        .section(&funcs)
        .section(&tags)
        .section(&exports)
        .section(&code);
    m.finish()
}

fn run_engine(wasm: &[u8], name: &str) -> Expect {
    let engine = kiln::Engine::default();
    let module = kiln::Module::from_binary(&engine, wasm).unwrap();
    let mut store = kiln::Store::new(&engine, ());
    let instance = kiln::Instance::new(&mut store, &module, &[]).unwrap();
    let f = instance.get_func(&mut store, name).unwrap();
    let mut out = [kiln::Val::I32(0)];
    match f.call(&mut store, &[], &mut out) {
        Ok(()) => Expect::Returns(out[0].unwrap_i32()),
        Err(e) if e.is::<kiln::ThrownException>() => {
            let exn = store.take_pending_exception().unwrap();
            Expect::Throws(exn.fields(&mut store).unwrap()[0].unwrap_i32())
        }
        Err(e) => panic!("engine {name}: {e:#}"),
    }
}

fn run_interp(wasm: &[u8], name: &str) -> Expect {
    let module = InterpModule::new(wasm).unwrap();
    let mut store = InterpStore::new(Default::default());
    let instance = store.instantiate(&module, &[]).unwrap();
    let Ok(ExternVal::Func(f)) = store.export(instance, name) else {
        panic!("no export {name}");
    };
    match store.invoke(f, &[]) {
        Ok(v) => match v[..] {
            [Value::I32(x)] => Expect::Returns(x),
            _ => panic!("interp {name}: {v:?}"),
        },
        Err(Error::Exception(exn)) => match store.exns[exn].fields[..] {
            [Value::I32(x)] => Expect::Throws(x),
            _ => panic!("interp {name}: payload {:?}", store.exns[exn].fields),
        },
        Err(e) => panic!("interp {name}: {e}"),
    }
}

#[test]
fn legacy_instructions_on_both_backends() {
    let expected: Vec<_> = cases().into_iter().map(|(n, _, e)| (n, e)).collect();
    let wasm = module(cases());
    wasmparser::Validator::new_with_features(kiln::Features::ALL.wasmparser())
        .validate_all(&wasm)
        .unwrap();
    for (name, expect) in expected {
        assert_eq!(run_engine(&wasm, name), expect, "engine: {name}");
        assert_eq!(run_interp(&wasm, name), expect, "interp: {name}");
    }
}

/// Without the exceptions feature the legacy instructions are invalid.
#[test]
fn legacy_instructions_need_the_feature() {
    let wasm = module(cases());
    let mut config = kiln::Config::new();
    config.wasm_exceptions(false);
    let engine = kiln::Engine::new(&config).unwrap();
    let err = kiln::Module::from_binary(&engine, &wasm).unwrap_err();
    assert!(format!("{err:#}").contains("exceptions"), "{err:#}");
}
