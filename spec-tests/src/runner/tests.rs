//! Directive counting against a fake backend whose behaviour is spelled out
//! in the scripts themselves (see [`Fake`]).

use super::*;
use crate::backend::Outcome;

/// A backend that runs nothing. Its behaviour is keyed on strings that the
/// text format copies verbatim into the binary (export names):
///
/// * a module containing `compile-error`, `link-error` or `start-trap`
///   fails to compile, link or instantiate respectively, one containing
///   `other-error` fails to compile with [`Failure::Other`], and one
///   containing `start-spin` does not finish instantiating within the bound;
/// * `invoke "id"` returns its arguments; `"trap:<msg>"` traps with
///   `<msg>`; `"nan"` returns a canonical f32 NaN; `"panic"` panics;
///   `"spin"` does not finish within the bound; `"throw"` ends in an
///   uncaught exception;
/// * `get` of any global returns `i32 42`.
#[derive(Default)]
struct Fake {
    instances: usize,
}

fn contains(wasm: &[u8], marker: &str) -> bool {
    wasm.windows(marker.len()).any(|w| w == marker.as_bytes())
}

impl Backend for Fake {
    type Module = Vec<u8>;
    type Instance = usize;

    fn compile(&mut self, wasm: &[u8]) -> Outcome<Vec<u8>> {
        if contains(wasm, "compile-error") {
            return Err(Failure::Compile("bad module".into()));
        }
        if contains(wasm, "other-error") {
            return Err(Failure::Other("host trouble".into()));
        }
        Ok(wasm.to_vec())
    }

    fn instantiate(&mut self, module: &Vec<u8>) -> Outcome<usize> {
        if contains(module, "link-error") {
            return Err(Failure::Link("unknown import".into()));
        }
        if contains(module, "start-trap") {
            return Err(Failure::Trap("unreachable".into()));
        }
        if contains(module, "start-spin") {
            return Err(Failure::Unfinished("start used all 9 fuel".into()));
        }
        self.instances += 1;
        Ok(self.instances)
    }

    fn register(&mut self, _name: &str, _instance: &usize) {}

    fn invoke(&mut self, _instance: &usize, func: &str, args: &[Value]) -> Outcome<Vec<Value>> {
        match func {
            "id" => Ok(args.to_vec()),
            "nan" => Ok(vec![Value::F32(0x7fc0_0000)]),
            "panic" => panic!("fake backend panic"),
            "spin" => Err(Failure::Unfinished("spin used all 9 fuel".into())),
            "throw" => Err(Failure::Exception("tag 0 payload []".into())),
            _ => match func.strip_prefix("trap:") {
                Some(message) => Err(Failure::Trap(message.into())),
                None => Err(Failure::Other(format!("no export {func}"))),
            },
        }
    }

    fn get(&mut self, _instance: &usize, _global: &str) -> Outcome<Value> {
        Ok(Value::I32(42))
    }
}

/// A module exporting every function the fake knows by name.
const M: &str = r#"(module
  (func (export "id"))
  (func (export "nan"))
  (func (export "panic"))
  (func (export "trap:integer divide by zero"))
  (func (export "trap:call stack exhausted")))"#;

/// Run `script` (after module [`M`], which is line 1 to 6) and compare the
/// report, rendered as `passed/total` then one line per failure, with
/// `expected`.
#[track_caller]
fn check(script: &str, expected: &str) {
    let text = format!("{M}\n{script}");
    let report = WastRunner::new(Fake::default()).run("t.wast", &text);
    assert_eq!(report.total, report.passed + report.failures.len());
    let mut actual = format!("{}/{}\n", report.passed, report.total);
    for failure in &report.failures {
        actual.push_str(&format!("{failure}\n"));
    }
    assert_eq!(actual.trim_end(), expected.trim_end(), "script:\n{script}");
}

#[test]
fn assert_return() {
    check(
        r#"(assert_return (invoke "id" (i32.const 1)) (i32.const 1))"#,
        "2/2",
    );
    check(
        r#"(assert_return (invoke "id" (i32.const 1)) (i32.const 2))"#,
        "1/2\n7:2: assert_return: expected [i32:2], got [i32:1]",
    );
    check(
        r#"(assert_return (invoke "id" (i32.const 1)))"#,
        "1/2\n7:2: assert_return: expected [], got [i32:1]",
    );
    check(
        r#"(assert_return (invoke "id" (i64.const -1) (f64.const -0)) (i64.const -1) (f64.const -0))"#,
        "2/2",
    );
    check(
        r#"(assert_return (invoke "nan") (f32.const nan:canonical))"#,
        "2/2",
    );
    check(r#"(assert_return (invoke "nan") (f32.const nan))"#, "2/2");
    check(
        r#"(assert_return (invoke "nan") (f32.const -nan))"#,
        "1/2\n7:2: assert_return: expected [f32:NaN (0xffc00000)], got [f32:NaN (0x7fc00000)]",
    );
    check(
        r#"(assert_return (invoke "id" (ref.null func)) (ref.null func))"#,
        "2/2",
    );
    check(
        r#"(assert_return (invoke "id" (ref.extern 7)) (ref.extern 7))"#,
        "2/2",
    );
    check(
        r#"(assert_return (invoke "id" (i32.const 3)) (either (i32.const 1) (i32.const 3)))"#,
        "2/2",
    );
    check(
        r#"(assert_return (invoke "trap:integer divide by zero") (i32.const 1))"#,
        "1/2\n7:2: assert_return: expected 1 result(s), got trap: integer divide by zero",
    );
    check(
        r#"(assert_return (invoke "id" (ref.host 1)) (ref.host 1))"#,
        "1/2\n7:2: assert_return: unsupported: argument `ref.host 1`",
    );
    check(
        r#"(assert_return (invoke "id" (i32.const 1)) (ref.i31))"#,
        "1/2\n7:2: assert_return: unsupported: result pattern `ref.i31`",
    );
    check(r#"(assert_return (get "g") (i32.const 42))"#, "2/2");
}

#[test]
fn traps() {
    check(
        r#"(assert_trap (invoke "trap:integer divide by zero") "integer divide by zero")"#,
        "2/2",
    );
    check(
        r#"(assert_trap (invoke "trap:integer divide by zero") "integer overflow")"#,
        "1/2\n7:2: assert_trap: expected trap \"integer overflow\", got trap: integer divide by zero",
    );
    check(
        r#"(assert_trap (invoke "id" (i32.const 5)) "unreachable")"#,
        "1/2\n7:2: assert_trap: expected trap \"unreachable\", got result [i32:5]",
    );
    check(
        r#"(assert_trap (invoke "nope") "unreachable")"#,
        "1/2\n7:2: assert_trap: expected trap \"unreachable\", got error: no export nope",
    );
    check(
        r#"(assert_exhaustion (invoke "trap:call stack exhausted") "call stack exhausted")"#,
        "2/2",
    );
    check(
        r#"(assert_exhaustion (invoke "trap:integer divide by zero") "call stack exhausted")"#,
        "1/2\n7:2: assert_exhaustion: expected trap \"call stack exhausted\", got trap: integer divide by zero",
    );
    // Module form: instantiation must trap, after compiling.
    check(
        r#"(assert_trap (module (func (export "start-trap"))) "unreachable")"#,
        "2/2",
    );
    check(
        r#"(assert_trap (module (func)) "unreachable")"#,
        "1/2\n7:2: assert_trap: expected trap \"unreachable\", got result []",
    );
    check(
        r#"(assert_trap (module (func (export "link-error"))) "unreachable")"#,
        "1/2\n7:2: assert_trap: expected trap \"unreachable\", got link error: unknown import",
    );
}

/// An action cut short by the backend's bound fails its directive with one
/// message, whatever the directive expected; above all it never passes for
/// a trap (`assert_exhaustion` expects a stack overflow, not a timeout).
#[test]
fn unfinished_actions_fail_with_the_bound() {
    let spin = "did not finish within the bound: spin used all 9 fuel";
    let start = "did not finish within the bound: start used all 9 fuel";
    check(r#"(invoke "spin")"#, &format!("1/2\n7:2: invoke: {spin}"));
    check(
        r#"(assert_return (invoke "spin") (i32.const 1))"#,
        &format!("1/2\n7:2: assert_return: {spin}"),
    );
    check(
        r#"(assert_trap (invoke "spin") "unreachable")"#,
        &format!("1/2\n7:2: assert_trap: {spin}"),
    );
    check(
        r#"(assert_exhaustion (invoke "spin") "call stack exhausted")"#,
        &format!("1/2\n7:2: assert_exhaustion: {spin}"),
    );
    check(
        r#"(module (func (export "start-spin"))) (invoke "id")"#,
        &format!(
            "1/3\n7:2: module: {start}\n7:40: invoke: no current module instance (none was instantiated, or the last one failed)"
        ),
    );
    check(
        r#"(assert_trap (module (func (export "start-spin"))) "unreachable")"#,
        &format!("1/2\n7:2: assert_trap: {start}"),
    );
    check(
        r#"(assert_unlinkable (module (func (export "start-spin"))) "unknown import")"#,
        &format!("1/2\n7:2: assert_unlinkable: {start}"),
    );
    // The next directive runs as usual.
    check(
        r#"(invoke "spin") (invoke "id")"#,
        &format!("2/3\n7:2: invoke: {spin}"),
    );
}

#[test]
fn rejected_modules() {
    check(
        r#"(assert_invalid (module (func (export "compile-error"))) "type mismatch")"#,
        "2/2",
    );
    check(
        r#"(assert_invalid (module (func)) "type mismatch")"#,
        "1/2\n7:2: assert_invalid: expected compile error \"type mismatch\", but the module compiled",
    );
    check(
        r#"(assert_invalid (module (func (export "other-error"))) "type mismatch")"#,
        "1/2\n7:2: assert_invalid: expected compile error \"type mismatch\", got error: host trouble",
    );
    check(
        r#"(assert_malformed (module binary "\00asm") "unexpected end")"#,
        "1/2\n7:2: assert_malformed: expected compile error \"unexpected end\", but the module compiled",
    );
    check(
        r#"(assert_malformed (module binary "compile-error") "magic header")"#,
        "2/2",
    );
    // Text the parser rejects is malformed.
    check(
        r#"(assert_malformed (module quote "(func (i32.const 0x))") "unknown operator")"#,
        "2/2",
    );
    // Text the parser accepts must still be rejected by the backend.
    check(
        r#"(assert_malformed (module quote "(func (export \"compile-error\"))") "x")"#,
        "2/2",
    );
    check(
        r#"(assert_malformed (module quote "(func)") "x")"#,
        "1/2\n7:2: assert_malformed: expected compile error \"x\", but the module compiled",
    );
    check(
        r#"(assert_unlinkable (module (func (export "link-error"))) "unknown import")"#,
        "2/2",
    );
    check(
        r#"(assert_unlinkable (module (func)) "unknown import")"#,
        "1/2\n7:2: assert_unlinkable: expected link error \"unknown import\", but instantiation succeeded",
    );
    check(
        r#"(assert_unlinkable (module (func (export "start-trap"))) "unknown import")"#,
        "1/2\n7:2: assert_unlinkable: expected link error \"unknown import\", got trap: unreachable",
    );
}

#[test]
fn modules_and_names() {
    check(
        r#"(module $A (func)) (module $B (func)) (invoke $A "id") (register "a" $A) (register "b")"#,
        "6/6",
    );
    check(
        r#"(invoke $Z "id") (register "z" $Z) (assert_return (get $Z "g") (i32.const 42))"#,
        "1/4\n7:2: invoke: no module instance $Z\n7:19: register: no module instance $Z\n7:37: assert_return: no module instance $Z",
    );
    check(
        r#"(module definition $D (func)) (module instance $I $D) (module instance $J $D) (invoke $I "id") (module instance $K $E)"#,
        "5/6\n7:97: module instance: no module definition $E",
    );
    // A failed module leaves no current module behind, so actions after
    // it fail rather than run against the module before.
    check(
        r#"(module (func (export "compile-error"))) (invoke "id")"#,
        "1/3\n7:2: module: unexpected compile error: bad module\n7:43: invoke: no current module instance (none was instantiated, or the last one failed)",
    );
    check(
        r#"(module $A (func)) (module $A (func (export "link-error"))) (invoke $A "id")"#,
        "2/4\n7:21: module: unexpected link error: unknown import\n7:62: invoke: no module instance $A",
    );
    check(
        r#"(module quote "(func (export \"id\"))") (invoke "id")"#,
        "3/3",
    );
    check(
        r#"(module quote "(func (i32.const 0x))")"#,
        "1/2\n7:9: module: quoted module does not parse: expected a i32",
    );
}

/// `assert_exception` passes on an uncaught exception only: not on a
/// result, a trap, or running out of the bound; and an exception fails
/// every other assertion.
#[test]
fn assert_exception() {
    check(r#"(assert_exception (invoke "throw"))"#, "2/2");
    check(
        r#"(assert_exception (invoke "id"))"#,
        "1/2\n7:2: assert_exception: expected an exception, got result []",
    );
    check(
        r#"(assert_exception (invoke "trap:unreachable"))"#,
        "1/2\n7:2: assert_exception: expected an exception, got trap: unreachable",
    );
    check(
        r#"(assert_exception (invoke "spin"))"#,
        "1/2\n7:2: assert_exception: did not finish within the bound: spin used all 9 fuel",
    );
    check(
        r#"(assert_trap (invoke "throw") "unreachable")"#,
        "1/2\n7:2: assert_trap: expected trap \"unreachable\", got uncaught exception: tag 0 payload []",
    );
}

#[test]
fn unsupported_and_broken() {
    check(
        r#"(thread $T (invoke "id")) (wait $T)"#,
        "1/3\n7:2: thread: unsupported directive: the runner cannot check `thread`\n7:28: wait: unsupported directive: the runner cannot check `wait`",
    );
    check(
        r#"(invoke "panic") (invoke "id")"#,
        "2/3\n7:2: invoke: backend panicked: fake backend panic",
    );
    check(
        r#"(invoke "trap:unreachable")"#,
        "1/2\n7:2: invoke: unexpected trap: unreachable",
    );
    check(
        r#"(component)"#,
        "1/2\n7:2: module: unsupported: component-model module",
    );
}

#[test]
fn unparseable_script_is_one_failure() {
    let report = WastRunner::new(Fake::default()).run("t.wast", "(assert_return (invoke \"f\")");
    assert_eq!((report.passed, report.total), (0, 1));
    assert_eq!(report.failures[0].kind, "wast");
    assert!(!report.is_success());
}
