//! Backtrace frames say which wasm instruction they were at
//! (`FrameInfo::module_offset`, `FrameInfo::func_offset`), for modules
//! compiled in place and loaded from artifacts, and a host function's
//! error carries the wasm frames under the call (`WasmBacktrace`).
//!
//! Expected offsets are not numbers observed once: they are read from the
//! module's own bytes with wasmparser, as the offset of the one operator
//! of the named kind in the named function.

use kiln::*;
use wasmparser::{Parser, Payload};

const WAT: &str = r#"(module $m
    (import "host" "fail" (func $fail))                         ;; 0
    (import "host" "reenter" (func $reenter))                   ;; 1
    (type $v (func))
    (memory 1)
    (table 1 funcref)
    (func $inner (export "inner") (local i32 i64)               ;; 2
        i32.const 1 drop unreachable)
    (func $middle (export "middle") nop call $inner)            ;; 3
    (func $outer (export "outer") (local f32) call $middle)     ;; 4
    (func $div (export "div") (param i32) (result i32)          ;; 5
        i32.const 7 local.get 0 i32.div_u)
    (func $load (export "load") (param i32) (result i32)        ;; 6
        local.get 0 i32.load offset=4)
    (func $null (export "null")                                 ;; 7
        i32.const 0 call_indirect (type $v))
    (func $calls_host (export "calls_host") nop nop call $fail) ;; 8
    (func $via_host (export "via_host") call $reenter)          ;; 9
    (func $deep (export "deep") (param i32)                     ;; 10
        local.get 0 call $deep)
    (func $empty)                                               ;; 11
    ;; A trap site right after a call: the call's return address.
    (func $call_then_trap (export "call_then_trap")             ;; 12
        call $empty unreachable)
    (func $trap_after_call (export "trap_after_call")           ;; 13
        call $inner unreachable))"#;

/// Functions the module imports: defined function `i` is index `i + 2`.
const IMPORTED: u32 = 2;

/// The host function `fail`'s error, to find again under the backtrace.
#[derive(Debug)]
struct Boom;

impl std::fmt::Display for Boom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("boom from the host")
    }
}

impl std::error::Error for Boom {}

#[derive(Clone, Copy, Debug)]
enum Mode {
    Compiled,
    Artifact,
}

/// What a call ends with: a trap of that code, or a host error.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ends {
    Trap(TrapCode),
    HostError,
}

/// The module offset and function offset of the one operator of `function`
/// whose name (wasmparser's, e.g. `I32DivU`, `Call`) is `op`.
fn expected_offsets(wasm: &[u8], function: u32, op: &str) -> (usize, usize) {
    let mut defined = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        let Payload::CodeSectionEntry(body) = payload.unwrap() else {
            continue;
        };
        if defined + IMPORTED == function {
            let start = body.range().start as usize;
            let found: Vec<usize> = body
                .get_operators_reader()
                .unwrap()
                .into_iter_with_offsets()
                .map(Result::unwrap)
                .filter(|(o, _)| {
                    let name = format!("{o:?}");
                    name.strip_prefix(op)
                        .is_some_and(|rest| !rest.starts_with(char::is_alphanumeric))
                })
                .map(|(_, offset)| offset as usize)
                .collect();
            assert_eq!(found.len(), 1, "one `{op}` in function {function}");
            return (found[0], found[0] - start);
        }
        defined += 1;
    }
    panic!("no function {function}")
}

fn instantiate(mode: Mode) -> (Store<()>, Instance) {
    let engine = Engine::default();
    let compiled = Module::new(&engine, WAT).unwrap();
    let module = match mode {
        Mode::Compiled => compiled,
        // SAFETY: the bytes are an artifact this engine just wrote.
        Mode::Artifact => unsafe { Module::deserialize(&engine, compiled.serialize().unwrap()) }
            .expect("the artifact loads"),
    };
    let mut store = Store::new(&engine, ());
    let fail = Func::wrap(&mut store, || -> anyhow::Result<()> { Err(Boom.into()) });
    let reenter = Func::wrap(
        &mut store,
        |mut caller: Caller<'_, ()>| -> anyhow::Result<()> {
            let outer = caller.get_export("outer").unwrap().into_func().unwrap();
            outer.call(&mut caller, &[], &mut [])
        },
    );
    let instance = Instance::new(&mut store, &module, &[fail.into(), reenter.into()]).unwrap();
    (store, instance)
}

/// Call `export(args)` in `mode`; it must end as `ends`, with exactly the
/// frames `(function index, operator)`, innermost first.
#[track_caller]
fn check(mode: Mode, export: &str, args: &[Val], ends: Ends, frames: &[(u32, &str)]) {
    let wasm = wat::parse_str(WAT).unwrap();
    let (mut store, instance) = instantiate(mode);
    let f = instance.get_func(&mut store, export).unwrap();
    let mut results = vec![Val::I32(0); f.ty(&store).results().len()];
    let err = f.call(&mut store, args, &mut results).unwrap_err();
    let (trace, text) = match ends {
        Ends::Trap(code) => {
            let trap = err.downcast_ref::<Trap>().expect("a trap");
            assert_eq!(trap.code(), code, "{mode:?} {export}");
            (trap.trace(), trap.to_string())
        }
        Ends::HostError => {
            assert!(err.downcast_ref::<Boom>().is_some(), "{err:?}");
            assert!(format!("{err:#}").contains("boom from the host"), "{err:#}");
            let bt = err.downcast_ref::<WasmBacktrace>().expect("a backtrace");
            (bt.frames(), bt.to_string())
        }
    };
    let got: Vec<_> = trace
        .iter()
        .map(|f| (f.func_index, f.module_offset(), f.func_offset()))
        .collect();
    let want: Vec<_> = frames
        .iter()
        .map(|&(func, op)| {
            let (module, func_offset) = expected_offsets(&wasm, func, op);
            (func, Some(module), Some(func_offset))
        })
        .collect();
    assert_eq!(got, want, "{mode:?} {export}: {text}");
    // Each frame's line shows its module offset before its name.
    for (i, frame) in trace.iter().enumerate() {
        let name = frame.func_name.as_deref().unwrap();
        let line = format!("  {i}: {:#x} - m!{name}", frame.module_offset().unwrap());
        assert!(text.lines().any(|l| l == line), "{line:?} in {text}");
    }
}

fn check_all(mode: Mode) {
    use Ends::*;
    let unreachable = Trap(TrapCode::UnreachableCodeReached);
    check(
        mode,
        "outer",
        &[],
        unreachable,
        &[(2, "Unreachable"), (3, "Call"), (4, "Call")],
    );
    check(
        mode,
        "div",
        &[Val::I32(0)],
        Trap(TrapCode::IntegerDivisionByZero),
        &[(5, "I32DivU")],
    );
    check(
        mode,
        "load",
        &[Val::I32(65533)],
        Trap(TrapCode::MemoryOutOfBounds),
        &[(6, "I32Load")],
    );
    check(
        mode,
        "null",
        &[],
        Trap(TrapCode::IndirectCallToNull),
        &[(7, "CallIndirect")],
    );
    // A call followed by a trapping instruction: each frame names its own.
    check(
        mode,
        "call_then_trap",
        &[],
        unreachable,
        &[(12, "Unreachable")],
    );
    check(
        mode,
        "trap_after_call",
        &[],
        unreachable,
        &[(2, "Unreachable"), (13, "Call")],
    );
    // A host error: the frame that called the host function.
    check(mode, "calls_host", &[], HostError, &[(8, "Call")]);
    // A trap in a nested call, returned by the host function: the frames
    // of both wasm activations.
    check(
        mode,
        "via_host",
        &[],
        unreachable,
        &[(2, "Unreachable"), (3, "Call"), (4, "Call"), (9, "Call")],
    );
}

#[test]
fn frames_name_their_instruction() {
    check_all(Mode::Compiled);
}

#[test]
fn frames_name_their_instruction_after_deserialize() {
    check_all(Mode::Artifact);
}

/// The stack-limit check is in the prologue, which belongs to no
/// instruction: the innermost frame has no offset, its callers the call's.
#[test]
fn stack_overflow_frame_has_no_instruction() {
    let wasm = wat::parse_str(WAT).unwrap();
    let (call, call_in_func) = expected_offsets(&wasm, 10, "Call");
    for mode in [Mode::Compiled, Mode::Artifact] {
        let (mut store, instance) = instantiate(mode);
        let deep = instance.get_func(&mut store, "deep").unwrap();
        let err = deep.call(&mut store, &[Val::I32(0)], &mut []).unwrap_err();
        let trap = err.downcast_ref::<Trap>().unwrap();
        assert_eq!(trap.code(), TrapCode::StackOverflow);
        let (first, rest) = trap.trace().split_first().unwrap();
        assert_eq!((first.module_offset(), first.func_offset()), (None, None));
        assert!(!rest.is_empty());
        for frame in rest {
            assert_eq!(frame.module_offset(), Some(call), "{mode:?}");
            assert_eq!(frame.func_offset(), Some(call_in_func), "{mode:?}");
        }
    }
}
