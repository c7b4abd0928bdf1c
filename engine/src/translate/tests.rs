//! Unit tests: translate small modules, verify the CLIF with the host ISA
//! and compile it, under every combination of bounds-check mode and fuel
//! (epoch checks on with fuel, off without).
//!
//! `check(wat)` covers all defined functions of a module; `run(wat, args,
//! expected)` additionally executes the first defined function (no calls,
//! no traps, integer arguments and result) against a hand-built vmctx, so
//! the value semantics of each family are exercised, not only its types.

use super::{FuncEnv, translate_function};
use crate::config::Features;
use crate::info::ModuleInfo;
use crate::tunables::{BoundsChecks, Tunables};
use crate::vm::vmctx::{
    STORE_CONTEXT_OFFSET, VMGlobal, VMMemoryDefinition, VMOffsets, VMStoreContext,
    VMTableDefinition,
};
use cranelift_codegen::ir::Function;
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{Context, control::ControlPlane, verify_function};
use std::sync::atomic::AtomicU64;

fn isa() -> OwnedTargetIsa {
    // As the engine sets them: Cranelift's tail calls need frame pointers.
    let mut flags = settings::builder();
    flags.set("enable_multi_ret_implicit_sret", "true").unwrap();
    flags.enable("preserve_frame_pointers").unwrap();
    cranelift_native::builder()
        .unwrap()
        .finish(settings::Flags::new(flags))
        .unwrap()
}

fn parse(wat: &str) -> ModuleInfo {
    let wasm = wat::parse_str(wat).unwrap_or_else(|e| panic!("bad test wat: {e}"));
    crate::parse::parse(&wasm, &Features::default(), false).unwrap()
}

/// The tunables every test translates under: both bounds-check modes,
/// with and without fuel and epochs (on together), Spectre guards on (the
/// default), and explicit checks without guards last.
const ALL_TUNABLES: [Tunables; 5] = [
    tunables(BoundsChecks::GuardPages, false, true),
    tunables(BoundsChecks::Explicit, false, true),
    tunables(BoundsChecks::GuardPages, true, true),
    tunables(BoundsChecks::Explicit, true, true),
    tunables(BoundsChecks::Explicit, false, false),
];

/// Fuel on, epochs off: with epochs on, tight loops' bodies are copied
/// (`unroll.rs`), and each copy charges fuel.
const FUEL_ONLY: Tunables = Tunables {
    epoch_interruption: false,
    ..ALL_TUNABLES[2]
};

const fn tunables(bounds_checks: BoundsChecks, metered: bool, spectre_guards: bool) -> Tunables {
    Tunables {
        bounds_checks,
        consume_fuel: metered,
        epoch_interruption: metered,
        // Cranelift's pass, not the translator: nothing to vary here.
        nan_canonicalization: false,
        spectre_guards,
    }
}

/// Translates, verifies and compiles every defined function; returns the
/// compiled machine code of each, for the last tunables.
fn translate_all(info: &ModuleInfo, tunables: &Tunables) -> Vec<(Function, Vec<u8>)> {
    let isa = isa();
    let offsets = VMOffsets::new(info);
    let env = FuncEnv::new(info, &offsets, tunables, isa.default_call_conv()).unwrap();
    (0..info.num_defined_funcs())
        .map(|i| {
            let func =
                translate_function(&env, i).unwrap_or_else(|e| panic!("translate func {i}: {e:#}"));
            if let Err(errors) = verify_function(&func, &*isa) {
                panic!("verifier errors in func {i}:\n{errors}\n{}", func.display());
            }
            let mut ctx = Context::for_function(func.clone());
            let code = ctx
                .compile(&*isa, &mut ControlPlane::default())
                .unwrap_or_else(|e| panic!("compile func {i}: {:?}\n{}", e.inner, func.display()))
                .code_buffer()
                .to_vec();
            (func, code)
        })
        .collect()
}

#[track_caller]
fn check(wat: &str) {
    let info = parse(wat);
    for tunables in &ALL_TUNABLES {
        translate_all(&info, tunables);
    }
}

/// The CLIF text of defined function 0 (for structural assertions).
fn clif(wat: &str, tunables: &Tunables) -> String {
    let info = parse(wat);
    translate_all(&info, tunables)
        .remove(0)
        .0
        .display()
        .to_string()
}

// ---- execution harness ----

/// Executable copy of some machine code.
struct Code {
    ptr: *mut libc::c_void,
    len: usize,
}

impl Code {
    fn new(bytes: &[u8]) -> Code {
        let len = bytes.len().next_multiple_of(4096).max(4096);
        // SAFETY: a fresh anonymous mapping, written before it is made
        // executable and unmapped on drop.
        unsafe {
            let ptr = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(ptr, libc::MAP_FAILED);
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr.cast::<u8>(), bytes.len());
            assert_eq!(
                libc::mprotect(ptr, len, libc::PROT_READ | libc::PROT_EXEC),
                0
            );
            Code { ptr, len }
        }
    }
}

impl Drop for Code {
    fn drop(&mut self) {
        // SAFETY: mapped in `new`.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}

/// A vmctx with one 1-page memory (filled with bytes 0, 1, 2, ...), one
/// 4-element table (holding 0, 1, 2, 3), the module's globals (all zero)
/// plenty of fuel and an epoch deadline never reached.
struct TestInstance {
    /// 16-byte words: defined globals in the block are 16-byte aligned.
    vmctx: Vec<u128>,
    _memory: Box<[u8]>,
    _memory_def: Box<VMMemoryDefinition>,
    _table: Box<[usize]>,
    _table_def: Box<VMTableDefinition>,
    _globals: Vec<VMGlobal>,
    _store_context: Box<VMStoreContext>,
}

impl TestInstance {
    fn new(info: &ModuleInfo) -> TestInstance {
        let offsets = VMOffsets::new(info);
        let mut vmctx = vec![0u128; offsets.size() as usize / 16 + 1];
        let mut memory: Box<[u8]> = (0..65536u32).map(|i| i as u8).collect();
        let memory_def = Box::new(VMMemoryDefinition {
            base: memory.as_mut_ptr(),
            length: memory.len(),
        });
        let mut table: Box<[usize]> = (0..4).collect();
        let table_def = Box::new(VMTableDefinition {
            base: table.as_mut_ptr(),
            length: table.len(),
        });
        // Defined globals are zero in the block; imported ones point here.
        let mut globals = vec![VMGlobal::default(); info.num_imported_globals as usize];
        static EPOCH: AtomicU64 = AtomicU64::new(0);
        let store_context = Box::new(VMStoreContext {
            stack_limit: 0,
            fuel: 1 << 40,
            epoch_deadline: u64::MAX,
            epoch_counter: &EPOCH,
            epoch_stub: std::ptr::null(),
        });
        // A pointer-sized field: the low or the high half of a word.
        let mut set = |offset: u32, value: u64| {
            let (word, shift) = (offset as usize / 16, (offset % 16) * 8);
            let w = &mut vmctx[word];
            *w = (*w & !(u128::from(u64::MAX) << shift)) | u128::from(value) << shift;
        };
        set(
            STORE_CONTEXT_OFFSET,
            &*store_context as *const VMStoreContext as u64,
        );
        if !info.memories.is_empty() {
            set(
                offsets.memory_ptr(0),
                &*memory_def as *const VMMemoryDefinition as u64,
            );
        }
        if !info.tables.is_empty() {
            set(
                offsets.table_ptr(0),
                &*table_def as *const VMTableDefinition as u64,
            );
        }
        for (i, g) in globals.iter_mut().enumerate() {
            set(offsets.imported_global(i as u32), g as *mut VMGlobal as u64);
        }
        TestInstance {
            vmctx,
            _memory: memory,
            _memory_def: memory_def,
            _table: table,
            _table_def: table_def,
            _globals: globals,
            _store_context: store_context,
        }
    }
}

/// Runs defined function 0 with up to three integer arguments and returns
/// its (integer) result, zero-extended; results narrower than 64 bits are
/// masked by the caller via `expected`'s width.
#[track_caller]
fn run(wat: &str, args: &[u64], expected: u64) {
    let info = parse(wat);
    let ty = info.func_type(info.num_imported_funcs);
    let result_is_i32 = ty.results() == [crate::types::ValType::I32];
    // Wasm code is called in its own convention: through the runtime's
    // array-call trampoline for its type.
    let trampolines = crate::trampoline::compile(&*isa(), ty).unwrap();
    for tunables in &ALL_TUNABLES {
        let (_, bytes) = translate_all(&info, tunables).remove(0);
        let code = Code::new(&bytes);
        let mut instance = TestInstance::new(&info);
        let vmctx = instance.vmctx.as_mut_ptr().cast::<u8>();
        // One slot per argument, the integer in its low bytes; the result
        // comes back in slot 0.
        let mut values = [0u128; 3];
        for (slot, &arg) in values.iter_mut().zip(args) {
            *slot = u128::from(arg);
        }
        // SAFETY: the trampoline was compiled for the function's type, the
        // code is that function, `vmctx` is laid out for its module, and
        // `values` has a slot for each parameter and result.
        unsafe {
            trampolines.array_call()(code.ptr.cast(), vmctx, vmctx, values.as_mut_ptr());
        }
        let raw = values[0] as u64;
        let got = if result_is_i32 {
            raw & 0xffff_ffff
        } else {
            raw
        };
        assert_eq!(got, expected, "{tunables:?}: {wat}");
    }
}

/// `run` for a body of type `[] -> [i32]` written inline.
#[track_caller]
fn run_i32(body: &str, expected: i32) {
    run(
        &format!("(module (memory 1) (func (result i32) {body}))"),
        &[],
        u64::from(expected as u32),
    );
}

#[track_caller]
fn run_i64(body: &str, expected: i64) {
    run(
        &format!("(module (memory 1) (func (result i64) {body}))"),
        &[],
        expected as u64,
    );
}

// ---- numeric ----

#[test]
fn numeric_values() {
    run_i32("(i32.add (i32.const 2) (i32.const 40))", 42);
    run_i32("(i32.sub (i32.const 2) (i32.const 40))", -38);
    run_i32("(i32.mul (i32.const -3) (i32.const 7))", -21);
    run_i32("(i32.div_s (i32.const -7) (i32.const 2))", -3);
    run_i32("(i32.div_u (i32.const -7) (i32.const 2))", 0x7fff_fffc);
    run_i32("(i32.rem_s (i32.const -7) (i32.const 2))", -1);
    run_i32("(i32.rem_s (i32.const 0x80000000) (i32.const -1))", 0);
    run_i64(
        "(i64.rem_s (i64.const 0x8000000000000000) (i64.const -1))",
        0,
    );
    run_i32("(i32.rem_u (i32.const -7) (i32.const 2))", 1);
    run_i64("(i64.div_s (i64.const -9) (i64.const 4))", -2);
    run_i32("(i32.shl (i32.const 1) (i32.const 33))", 2);
    run_i32("(i32.shr_s (i32.const -8) (i32.const 1))", -4);
    run_i32("(i32.shr_u (i32.const -8) (i32.const 1))", 0x7fff_fffc);
    run_i32("(i32.rotl (i32.const 0x80000001) (i32.const 1))", 3);
    run_i32(
        "(i32.rotr (i32.const 3) (i32.const 1))",
        0x8000_0001u32 as i32,
    );
    run_i32("(i32.clz (i32.const 1))", 31);
    run_i32("(i32.ctz (i32.const 8))", 3);
    run_i32("(i32.popcnt (i32.const 0xff))", 8);
    run_i64("(i64.clz (i64.const 0))", 64);
    run_i32("(i32.and (i32.const 12) (i32.const 10))", 8);
    run_i32("(i32.or (i32.const 12) (i32.const 10))", 14);
    run_i32("(i32.xor (i32.const 12) (i32.const 10))", 6);
    run_i32("(i32.eqz (i32.const 0))", 1);
    run_i32("(i64.eqz (i64.const 5))", 0);
    run_i32("(i32.lt_s (i32.const -1) (i32.const 0))", 1);
    run_i32("(i32.lt_u (i32.const -1) (i32.const 0))", 0);
    run_i32("(i64.ge_u (i64.const -1) (i64.const 0))", 1);
    run_i32("(i32.extend8_s (i32.const 0x80))", -128);
    run_i32("(i32.extend16_s (i32.const 0x8000))", -32768);
    run_i64("(i64.extend32_s (i64.const 0x80000000))", -0x8000_0000);
    run_i64("(i64.extend_i32_u (i32.const -1))", 0xffff_ffff);
    run_i64("(i64.extend_i32_s (i32.const -1))", -1);
    run_i32("(i32.wrap_i64 (i64.const 0x100000005))", 5);
}

#[test]
fn float_values() {
    run_i32(
        "(i32.reinterpret_f32 (f32.add (f32.const 1.5) (f32.const 2.25)))",
        3.75f32.to_bits() as i32,
    );
    run_i64(
        "(i64.reinterpret_f64 (f64.div (f64.const 1) (f64.const 4)))",
        0.25f64.to_bits() as i64,
    );
    run_i32(
        "(i32.reinterpret_f32 (f32.min (f32.const -0) (f32.const 0)))",
        (-0.0f32).to_bits() as i32,
    );
    run_i32(
        "(i32.reinterpret_f32 (f32.nearest (f32.const 2.5)))",
        2.0f32.to_bits() as i32,
    );
    run_i32(
        "(i32.reinterpret_f32 (f32.copysign (f32.const 2) (f32.const -1)))",
        (-2.0f32).to_bits() as i32,
    );
    run_i64(
        "(i64.reinterpret_f64 (f64.sqrt (f64.const 16)))",
        4.0f64.to_bits() as i64,
    );
    run_i32("(f32.lt (f32.const 1) (f32.const 2))", 1);
    run_i32("(f64.ne (f64.const nan) (f64.const nan))", 1);
    run_i32("(f64.eq (f64.const nan) (f64.const nan))", 0);
    run_i32("(i32.trunc_f32_s (f32.const -3.9))", -3);
    run_i64("(i64.trunc_f64_u (f64.const 1e10))", 10_000_000_000);
    run_i32("(i32.trunc_sat_f32_s (f32.const nan))", 0);
    run_i32("(i32.trunc_sat_f64_u (f64.const -5))", 0);
    run_i32("(i32.trunc_sat_f64_s (f64.const 1e20))", i32::MAX);
    run_i64("(i64.trunc_sat_f32_s (f32.const -1e30))", i64::MIN);
    run_i32(
        "(i32.reinterpret_f32 (f32.convert_i32_u (i32.const -1)))",
        4294967296.0f32.to_bits() as i32,
    );
    run_i64(
        "(i64.reinterpret_f64 (f64.convert_i64_s (i64.const -3)))",
        (-3.0f64).to_bits() as i64,
    );
    run_i32(
        "(i32.reinterpret_f32 (f32.demote_f64 (f64.const 0.5)))",
        0.5f32.to_bits() as i32,
    );
    run_i64(
        "(i64.reinterpret_f64 (f64.promote_f32 (f32.const 0.5)))",
        0.5f64.to_bits() as i64,
    );
    run_i32(
        "(i32.reinterpret_f32 (f32.reinterpret_i32 (i32.const 7)))",
        7,
    );
    run_i64(
        "(i64.reinterpret_f64 (f64.neg (f64.abs (f64.const -2))))",
        (-2.0f64).to_bits() as i64,
    );
    run_i32(
        "(i32.reinterpret_f32 (f32.ceil (f32.const 1.1)))",
        2.0f32.to_bits() as i32,
    );
    run_i32(
        "(i32.reinterpret_f32 (f32.floor (f32.const -1.1)))",
        (-2.0f32).to_bits() as i32,
    );
    run_i32(
        "(i32.reinterpret_f32 (f32.trunc (f32.const -1.9)))",
        (-1.0f32).to_bits() as i32,
    );
}

#[test]
fn numeric_traps_are_emitted() {
    let t = &ALL_TUNABLES[0];
    let div = clif(
        "(module (func (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1))))",
        t,
    );
    assert!(div.contains("int_divz") && div.contains("int_ovf"), "{div}");
    let rem = clif(
        "(module (func (param i64 i64) (result i64) (i64.rem_u (local.get 0) (local.get 1))))",
        t,
    );
    assert!(rem.contains("int_divz"), "{rem}");
    let cvt = clif(
        "(module (func (param f64) (result i32) (i32.trunc_f64_s (local.get 0))))",
        t,
    );
    assert!(cvt.contains("fcvt_to_sint"), "{cvt}");
}

// ---- control ----

#[test]
fn control_values() {
    // Block results and branches out of nested blocks.
    run_i32("(block (result i32) (i32.const 1) (br 0))", 1);
    run_i32(
        "(block (result i32) (block (result i32) (i32.const 5) (br 1)) (drop) (i32.const 9))",
        5,
    );
    run_i32(
        "(block (result i32) (i32.const 3) (i32.const 1) (br_if 0) (drop) (i32.const 4))",
        3,
    );
    run_i32(
        "(block (result i32) (i32.const 3) (i32.const 0) (br_if 0) (drop) (i32.const 4))",
        4,
    );
    // if/else with and without else, with params.
    run_i32(
        "(if (result i32) (i32.const 1) (then (i32.const 10)) (else (i32.const 20)))",
        10,
    );
    run_i32(
        "(if (result i32) (i32.const 0) (then (i32.const 10)) (else (i32.const 20)))",
        20,
    );
    run_i32(
        "(i32.const 7) (if (param i32) (result i32) (i32.const 0) (then (i32.const 1) (i32.add)))",
        7,
    );
    run_i32(
        "(i32.const 7) (if (param i32) (result i32) (i32.const 1) (then (i32.const 1) (i32.add)))",
        8,
    );
    // Loops: sum 1..=10, and a loop with a parameter.
    run_i32(
        "(local i32 i32) (loop $l (local.set 1 (i32.add (local.get 1) (local.get 0)))
           (local.set 0 (i32.add (local.get 0) (i32.const 1)))
           (br_if $l (i32.le_s (local.get 0) (i32.const 10)))) (local.get 1)",
        55,
    );
    run_i32(
        "(local i32) (i32.const 0) (loop $l (param i32) (result i32) (i32.const 1) (i32.add)
           (local.tee 0) (local.get 0) (i32.const 100) (i32.lt_u) (br_if $l))",
        100,
    );
    // br_table with and without carried values, default included.
    for (i, want) in [(0, 100), (1, 101), (2, 102), (7, 102)] {
        run_i32(
            &format!(
                "(block (block (block (br_table 0 1 2 (i32.const {i})) (return (i32.const 0)))
                   (return (i32.const 100))) (return (i32.const 101))) (i32.const 102)"
            ),
            want,
        );
        run_i32(
            &format!(
                "(i32.add (i32.const 100) (block (result i32) (block (result i32)
                   (i32.const 0) (i32.const {i}) (br_table 0 1 1)) (i32.const 1) (i32.add)))"
            ),
            if i == 0 { 101 } else { 100 },
        );
    }
    // Multi-value block and select.
    run_i32(
        "(block (result i32 i32) (i32.const 40) (i32.const 2)) (i32.add)",
        42,
    );
    run_i32("(select (i32.const 1) (i32.const 2) (i32.const 0))", 2);
    run_i64(
        "(select (result i64) (i64.const 1) (i64.const 2) (i32.const 5))",
        1,
    );
    // Branches out of if arms and nested loops.
    run_i32(
        "(block (result i32) (if (i32.const 1) (then (br 1 (i32.const 4)))) (i32.const 5))",
        4,
    );
    run_i32(
        "(local i32 i32)
         (block $done (loop $outer
           (local.set 1 (i32.const 0))
           (loop $inner
             (local.set 0 (i32.add (local.get 0) (i32.const 1)))
             (br_if $done (i32.ge_u (local.get 0) (i32.const 50)))
             (local.set 1 (i32.add (local.get 1) (i32.const 1)))
             (br_if $outer (i32.eq (local.get 1) (i32.const 7)))
             (br $inner))))
         (local.get 0)",
        50,
    );
    run_i32(
        "(local i32) (loop $l (result i32)
           (local.set 0 (i32.add (local.get 0) (i32.const 1)))
           (block (br_table 0 $l (i32.lt_u (local.get 0) (i32.const 10))))
           (local.get 0))",
        10,
    );
    // Early return, and dead code after it.
    run_i32("(return (i32.const 6)) (i32.const 7)", 6);
}

#[test]
fn unreachable_code_is_skipped() {
    // Dead code after br/return/unreachable, including nested dead blocks
    // and an `else` that becomes live again.
    check(
        "(module (func (result i32)
           (block (result i32) (i32.const 1) (br 0) (block (loop (if (i32.const 0) (then) (else)))) (i32.add))))",
    );
    check("(module (func (result i32) (unreachable) (i32.add) (if (then (br 0)))))");
    check(
        "(module (func (param i32) (result i32) (if (result i32) (local.get 0) (then (return (i32.const 1)) (drop)) (else (i32.const 2)))))",
    );
    check("(module (func (param i32) (if (local.get 0) (then (unreachable)))))");
    check("(module (func (param i32) (result i32) (loop (result i32) (br 0))))");
    check(
        "(module (func (param i32) (result i32) (block (result i32) (i32.const 1) (local.get 0) (br_table 0 0) (i32.const 2))))",
    );
    check("(module (func (result i32) (block (br 0)) (i32.const 3)))");
    check(
        "(module (func (result i32) (block (result i32) (unreachable)) (i32.const 3) (i32.add)))",
    );
    run_i32(
        "(block (result i32) (i32.const 1) (if (i32.const 0) (then (unreachable))))",
        1,
    );
    run_i32(
        "(if (result i32) (i32.const 0) (then (unreachable)) (else (i32.const 5)))",
        5,
    );
    run_i32(
        "(block (result i32) (loop (br 1 (i32.const 9))) (i32.const 8))",
        9,
    );
}

/// Translating a body that starts with `op` (raw bytes) fails with
/// `expected`. The operator is written over the `nop`s of a valid module,
/// standing for one that validation would have rejected.
#[track_caller]
fn check_refused(op: &[u8], expected: &str) {
    let mut info = parse("(module (func nop nop nop nop nop nop nop nop))");
    // The body is its local count (0), eight `nop`s and `end`.
    let body = info.bodies[0].clone();
    info.wasm[body.start + 1..body.start + 1 + op.len()].copy_from_slice(op);
    let isa = isa();
    let offsets = VMOffsets::new(&info);
    for tunables in &ALL_TUNABLES {
        let translated = FuncEnv::new(&info, &offsets, tunables, isa.default_call_conv())
            .and_then(|env| translate_function(&env, 0));
        match translated {
            Ok(_) => panic!("{op:02x?} translated"),
            Err(e) => assert_eq!(e.to_string(), expected, "{op:02x?}"),
        }
    }
}

#[test]
fn unimplemented_proposals_are_refused_by_name() {
    check_refused(&[0xfb, 0x1c], "unsupported: GC operator `ref_i31`");
    check_refused(
        &[0xfe, 0x03, 0x00],
        "unsupported: threads operator `atomic_fence`",
    );
    check_refused(
        &[0xfd, 0x80, 0x02],
        "unsupported: relaxed-SIMD operator `i8x16_relaxed_swizzle`",
    );
}

#[test]
fn tail_calls_are_cranelift_tail_calls() {
    let wat = r#"(module
        (import "m" "f" (func $imp (param i32) (result i32)))
        (type $t (func (param i32) (result i32)))
        (table 1 funcref)
        (func (param i32) (result i32)
            (if (i32.eqz (local.get 0)) (then (return_call $imp (local.get 0))))
            (if (i32.eq (local.get 0) (i32.const 1))
                (then (return_call_indirect (type $t) (local.get 0) (i32.const 0))))
            (block (result i32) (return_call 1 (local.get 0)))
            (i32.const 1) (i32.add))
        (func $many (param i32 i64 i64 i64 i64 i64 i64 i64 i64 f64 v128) (result i32)
            (return_call 0 (local.get 0))))"#;
    check(wat);
    for tunables in &ALL_TUNABLES {
        let text = clif(wat, tunables);
        // The import and the table element are reached indirectly, the
        // defined function directly; none of them with an ordinary call.
        assert_eq!(text.matches("return_call_indirect").count(), 2, "{text}");
        assert_eq!(text.matches("return_call fn").count(), 1, "{text}");
        // The only ordinary calls are epoch checks' calls of the stub.
        let epoch_calls = epoch_stub_calls(&text);
        assert_eq!(text.matches(" call").count(), epoch_calls, "{text}");
        assert_eq!(epoch_calls > 0, tunables.epoch_interruption, "{text}");
    }
}

#[test]
fn multi_value_functions_and_blocks() {
    check(
        "(module
           (type $t (func (param i32 i64) (result i64 i32)))
           (func $swap (type $t) (local.get 1) (local.get 0))
           (func (result i32) (i32.const 1) (i64.const 2) (call $swap) (drop) (i32.wrap_i64))
           (func (param i32) (result i32 i32 i32 i32 i32 i32 i32 i32 f64)
             (local.get 0) (local.get 0) (local.get 0) (local.get 0)
             (local.get 0) (local.get 0) (local.get 0) (local.get 0) (f64.const 1))
           (func (result f64) (call 2 (i32.const 1)) (return))
           (func (param i32) (result i32 i64)
             (i32.const 1) (i64.const 2)
             (if (param i32 i64) (result i32 i64) (local.get 0)
               (then (drop) (drop) (i32.const 3) (i64.const 4))
               (else (i64.const 1) (i64.add)))
             (block $b (param i32 i64) (result i32 i64)
               (loop $l (param i32 i64) (result i32 i64)
                 (local.get 0) (br_table $l $b $l))))
           (func (local i32 i64) (i32.const 1) (i64.const 2) (block (type $t) (local.set 1) (local.set 0)
             (i64.const 3) (i32.const 4)) (drop) (drop)))",
    );
}

// ---- locals and globals ----

#[test]
fn locals_and_globals() {
    run(
        "(module (func (param i64 i64) (result i64) (local i64 f32) (local.set 2 (i64.add (local.get 0) (local.get 1))) (local.get 2)))",
        &[40, 2],
        42,
    );
    run_i32("(local i32 f64 i64 externref) (local.get 0)", 0);
    run(
        "(module (global $g (mut i32) (i32.const 0)) (global $c i64 (i64.const 3))
           (func (result i32) (global.set $g (i32.const 41))
             (i32.add (global.get $g) (i32.wrap_i64 (i64.sub (global.get $c) (i64.const 2))))))",
        &[],
        // The harness zero-fills globals (no initialisers), so $c reads 0.
        41u32.wrapping_sub(2) as u64,
    );
    check(
        "(module (global (mut f64) (f64.const 0)) (global (mut funcref) (ref.null func)) (func (result f64) (global.set 1 (global.get 1)) (global.get 0)))",
    );
}

// ---- memory ----

#[test]
fn memory_values() {
    // Memory is prefilled with bytes 0, 1, 2, ...
    run_i32("(i32.load (i32.const 4))", 0x0706_0504);
    run_i32("(i32.load offset=4 (i32.const 0))", 0x0706_0504);
    run_i64("(i64.load (i32.const 8))", 0x0f0e_0d0c_0b0a_0908);
    run_i32("(i32.load8_s (i32.const 200))", 200u8 as i8 as i32);
    run_i32("(i32.load8_u (i32.const 200))", 200);
    run_i32("(i32.load16_s (i32.const 0xfe))", -2);
    run_i64("(i64.load32_u (i32.const 0xfc))", 0xfffe_fdfc);
    run_i64(
        "(i64.load32_s (i32.const 0xfc))",
        0xfffe_fdfcu32 as i32 as i64,
    );
    run_i64("(i64.load8_s (i32.const 0xff))", -1);
    run_i64("(i64.load16_u (i32.const 0xfe))", 0xfffe);
    run_i32(
        "(i32.store (i32.const 16) (i32.const 0x11223344)) (i32.load (i32.const 16))",
        0x1122_3344,
    );
    run_i32(
        "(i32.store8 (i32.const 16) (i32.const 0x1ff)) (i32.load8_u (i32.const 16))",
        0xff,
    );
    run_i32(
        "(i32.store16 offset=2 (i32.const 16) (i32.const 0x12345)) (i32.load16_u (i32.const 18))",
        0x2345,
    );
    run_i64(
        "(i64.store32 (i32.const 16) (i64.const -1)) (i64.load (i32.const 16))",
        0x1716_1514_ffff_ffff,
    );
    run_i64(
        "(f64.store (i32.const 32) (f64.const 1.5)) (i64.load (i32.const 32))",
        1.5f64.to_bits() as i64,
    );
    run_i32(
        "(f32.store (i32.const 32) (f32.const 1.5)) (i32.load (i32.const 32))",
        1.5f32.to_bits() as i32,
    );
    run_i32("(memory.size)", 1);
}

/// Whether `clif` checks a memory access explicitly, as its tunables ask:
/// with Spectre guards, by sending the address through
/// `select_spectre_guard` to a trapping access, without any branch (a
/// branch could be mispredicted); without them, by a `trapnz` before an
/// access that cannot trap.
fn explicit_check(clif: &str) -> bool {
    let guarded = clif.contains("select_spectre_guard");
    let branch = clif.contains("trapnz") && clif.contains("heap_oob");
    guarded != branch && guarded != clif.contains("notrap little")
}

#[test]
fn memory_bounds_modes() {
    let wat = "(module (memory 1) (func (param i32) (result i32) (i32.load offset=0xfffffff0 (local.get 0))))";
    let explicit = clif(wat, &ALL_TUNABLES[1]);
    assert!(
        explicit_check(&explicit),
        "explicit mode checks bounds:\n{explicit}"
    );
    let guard = clif(wat, &ALL_TUNABLES[0]);
    assert!(
        !guard.contains("trapnz"),
        "guard-page mode emits no check:\n{guard}"
    );
    // HEAP_OUT_OF_BOUNDS is the default trap code, so it is not printed;
    // `notrap` would be.
    assert!(
        guard.contains("load.i32 little v"),
        "guard-page access carries the trap code:\n{guard}"
    );
    let unguarded = clif(wat, &ALL_TUNABLES[4]);
    assert!(
        explicit_check(&unguarded) && !unguarded.contains("select_spectre_guard"),
        "explicit mode without Spectre guards branches:\n{unguarded}"
    );
    check(
        "(module (memory 2) (func (param i32) (i64.store16 offset=0x7fffffff (local.get 0) (i64.const 1))))",
    );
}

/// Every memory instruction names its memory; memory 0 costs the same
/// whether or not the module has others (its access reads the same vmctx
/// slot, with the same number of instructions).
#[test]
fn multiple_memories() {
    check(
        "(module (memory 1) (memory $b 2) (data (memory $b) (i32.const 0) \"abc\")
           (func (param i32) (result i32)
             (i32.store $b (local.get 0) (i32.load8_u $b offset=3 (local.get 0)))
             (v128.store $b (local.get 0) (v128.load 0 (local.get 0)))
             (v128.store8_lane $b 1 (local.get 0) (v128.load32_splat $b (local.get 0)))
             (memory.fill $b (local.get 0) (i32.const 0) (i32.const 10))
             (memory.copy 0 $b (local.get 0) (i32.const 5) (i32.const 3))
             (memory.copy $b 0 (local.get 0) (i32.const 5) (i32.const 3))
             (memory.init $b 0 (local.get 0) (i32.const 0) (i32.const 3))
             (drop (memory.size $b))
             (memory.grow $b (i32.const 1))))",
    );
    let access = |memories: &str, mem: u32| {
        let wat = format!(
            "(module {memories} (func (param i32) (result i32) (i32.load {mem} offset=8 (local.get 0))))"
        );
        ALL_TUNABLES[..2]
            .iter()
            .map(|t| clif(&wat, t))
            .collect::<Vec<_>>()
    };
    let alone = access("(memory 1)", 0);
    let first = access("(memory 1) (memory 1) (memory 1)", 0);
    let third = access("(memory 1) (memory 1) (memory 1)", 2);
    for ((alone, first), third) in alone.iter().zip(&first).zip(&third) {
        let lines = |clif: &str| clif.lines().count();
        assert_eq!(lines(alone), lines(first), "{alone}\n{first}");
        assert_eq!(lines(first), lines(third), "{first}\n{third}");
        assert_ne!(first, third, "memory 2 is not memory 0");
    }
}

/// 64-bit memories are checked explicitly whatever the bounds-check mode
/// (no reservation covers an `i64` index), with an addition that traps on
/// overflow; their values are those of 32-bit memories.
#[test]
fn memory64_accesses() {
    let wat = "(module (memory i64 1) (func (param i64) (result i32) (i32.load offset=0xffffffffff (local.get 0))))";
    for tunables in &ALL_TUNABLES[..2] {
        let clif = clif(wat, tunables);
        // With Spectre guards the overflow is part of the guarded
        // condition rather than a trap of its own.
        assert!(
            clif.contains("uadd_overflow v") && clif.contains("bor") && explicit_check(&clif),
            "{tunables:?}: 64-bit accesses are checked:\n{clif}"
        );
    }
    let unguarded = clif(wat, &ALL_TUNABLES[4]);
    assert!(
        unguarded.contains("uadd_overflow_trap") && unguarded.contains("trapnz"),
        "64-bit accesses are checked without guards too:\n{unguarded}"
    );
    run(
        "(module (memory i64 1) (func (result i32) (i32.load offset=4 (i64.const 0))))",
        &[],
        0x0706_0504,
    );
    run(
        "(module (memory i64 1) (func (param i64) (result i64)
           (i64.store offset=8 (local.get 0) (i64.const -2)) (i64.load (i64.add (local.get 0) (i64.const 8)))))",
        &[16],
        -2i64 as u64,
    );
    run(
        "(module (memory i64 1) (func (result i64) (memory.size)))",
        &[],
        1,
    );
    check(
        "(module (memory i64 1) (memory 1) (data \"abc\")
           (func (param i64) (result i64)
             (v128.store (local.get 0) (v128.load offset=0xffffffffffff (local.get 0)))
             (memory.fill (local.get 0) (i32.const 0) (i64.const 10))
             (memory.copy 0 1 (local.get 0) (i32.const 5) (i32.const 3))
             (memory.copy 1 0 (i32.const 5) (local.get 0) (i32.const 3))
             (memory.init 0 0 (local.get 0) (i32.const 0) (i32.const 3))
             (memory.grow (i64.const 1))))",
    );
}

/// Memories of 1-byte pages are checked explicitly in every mode (their
/// length need not end on a host page), and their size is their length.
#[test]
fn one_byte_pages() {
    let wat = "(module (memory 1 (pagesize 1)) (func (param i32) (result i32) (i32.load8_u (local.get 0))))";
    for tunables in &ALL_TUNABLES[..2] {
        let clif = clif(wat, tunables);
        assert!(explicit_check(&clif), "{tunables:?}: checked:\n{clif}");
    }
    let size = clif(
        "(module (memory 1 (pagesize 1)) (func (result i32) (memory.size)))",
        &ALL_TUNABLES[0],
    );
    assert!(!size.contains("ushr"), "no shift for 1-byte pages:\n{size}");
    // The harness's memory is 65536 bytes: 65536 pages of one byte.
    run(
        "(module (memory 1 (pagesize 1)) (func (result i32) (memory.size)))",
        &[],
        65536,
    );
}

/// Table64: every table instruction and `call_indirect` with `i64`
/// indices, beside a 32-bit table.
#[test]
fn table64_instructions() {
    check(
        "(module (table $t i64 2 funcref) (table $u 1 funcref) (elem $seg func $f)
           (type $v (func))
           (func $f (param i64) (result i64)
             (table.set $t (local.get 0) (table.get $t (i64.const 1)))
             (table.fill $t (local.get 0) (ref.null func) (table.size $t))
             (table.copy $t $t (i64.const 0) (i64.const 1) (i64.const 1))
             (table.copy $u $t (i32.const 0) (i64.const 1) (i32.const 1))
             (table.copy $t $u (i64.const 0) (i32.const 0) (i32.const 1))
             (table.init $t $seg (local.get 0) (i32.const 0) (i32.const 1))
             (call_indirect $t (type $v) (local.get 0))
             (table.grow $t (ref.null func) (i64.const 3))))",
    );
    run(
        "(module (table i64 4 funcref) (func (result i64) (table.size 0)))",
        &[],
        4,
    );
}

#[test]
fn bulk_memory_and_grow() {
    check(
        "(module (memory 1) (data \"abc\")
           (func (param i32) (result i32)
             (memory.fill (local.get 0) (i32.const 0) (i32.const 10))
             (memory.copy (local.get 0) (i32.const 5) (i32.const 3))
             (memory.init 0 (local.get 0) (i32.const 0) (i32.const 3))
             (data.drop 0)
             (memory.grow (i32.const 1))))",
    );
}

// ---- tables, references, calls ----

#[test]
fn tables_and_references() {
    check(
        "(module (table $t 2 funcref) (table $e 1 externref) (elem declare func $f) (elem $seg func $f)
           (func $f (param i32) (result funcref)
             (table.set $t (local.get 0) (table.get $t (i32.const 1)))
             (drop (table.grow $e (ref.null extern) (i32.const 3)))
             (table.fill $e (i32.const 0) (ref.null extern) (table.size $e))
             (table.copy $t $t (i32.const 0) (i32.const 1) (i32.const 1))
             (table.init $t $seg (i32.const 0) (i32.const 0) (i32.const 1))
             (elem.drop $seg)
             (drop (ref.is_null (ref.func $f)))
             (ref.func $f)))",
    );
    // The harness table holds 0, 1, 2, 3 (as raw references).
    let table = |body: &str| format!("(module (table 4 externref) (func (result i64) {body}))");
    run(&table("(table.size 0) (i64.extend_i32_u)"), &[], 4);
    run(
        &table("(ref.is_null (table.get 0 (i32.const 0))) (i64.extend_i32_u)"),
        &[],
        1,
    );
    run(
        &table("(ref.is_null (table.get 0 (i32.const 3))) (i64.extend_i32_u)"),
        &[],
        0,
    );
    run(
        &table(
            "(table.set 0 (i32.const 3) (ref.null extern)) (ref.is_null (table.get 0 (i32.const 3))) (i64.extend_i32_u)",
        ),
        &[],
        1,
    );
    let text = clif(
        "(module (table 1 funcref) (func (param i32) (result funcref) (table.get 0 (local.get 0))))",
        &ALL_TUNABLES[0],
    );
    assert!(text.contains("user1"), "table.get checks bounds:\n{text}");
}

#[test]
fn calls() {
    check(
        "(module
           (import \"m\" \"f\" (func $imp (param i32) (result i32)))
           (type $t (func (param i32) (result i32)))
           (table 1 funcref)
           (func $def (param i32) (result i32) (local.get 0))
           (func (param i32) (result i32)
             (call $imp (local.get 0))
             (call $def)
             (call_indirect (type $t) (i32.const 0))))",
    );
    let text = clif(
        "(module (type $t (func)) (table 1 funcref) (func (call_indirect (type $t) (i32.const 0))))",
        &ALL_TUNABLES[0],
    );
    for code in ["user1", "user2", "user3"] {
        assert!(text.contains(code), "call_indirect emits {code}:\n{text}");
    }
}

/// A `try_table` costs nothing where nothing can throw (the same machine
/// code as a `block`), and inside one a call is a `try_call` and a `throw`
/// a jump to the dispatch, never an unwinder call.
#[test]
fn try_table_costs_nothing_without_throws() {
    let body = |open: &str| {
        format!(
            "(module (tag $e (param i32))
               (func (param i32) (result i32)
                 (block $h (result i32)
                   ({open} (i32.add (local.get 0) (i32.const 1)) (drop))
                   (i32.const 2))))"
        )
    };
    let tunables = &ALL_TUNABLES[0];
    let plain = translate_all(&parse(&body("block")), tunables);
    let tried = translate_all(&parse(&body("try_table (catch $e $h)")), tunables);
    assert_eq!(
        plain[0].1, tried[0].1,
        "a try_table without calls changes the code"
    );

    let wat = "(module (tag $e (param i32))
        (func $f (param i32))
        (func (result i32)
          (block $h (result i32)
            (try_table (catch $e $h)
              (call $f (i32.const 1))
              (throw $e (i32.const 2)))
            (i32.const 3))))";
    check(wat);
    let text = translate_all(&parse(wat), tunables)[1]
        .0
        .display()
        .to_string();
    assert_eq!(text.matches("try_call").count(), 1, "{text}");
    // Builtins: exn_new for the throw, exn_is and exn_payload in the
    // dispatch, throw only for the rethrow out of the function.
    assert_eq!(text.matches("call_indirect").count(), 4, "{text}");
}

/// A payload crosses a `throw` and a `catch` in a stack buffer of one
/// 16-byte slot per value (a `v128` fits in each): every buffer of a
/// function that throws four values holds 64 bytes.
#[test]
fn payload_buffers_hold_every_value() {
    let wat = "(module (tag $e (param i32 i64 v128 f64))
        (func (result i32 i64 v128 f64)
          (block $h (result i32 i64 v128 f64)
            (try_table (catch $e $h)
              (throw $e (i32.const 1) (i64.const 2) (v128.const i64x2 3 4) (f64.const 5)))
            (unreachable))))";
    check(wat);
    let text = clif(wat, &ALL_TUNABLES[0]);
    let sizes: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split("explicit_slot ").nth(1))
        .map(|rest| rest.split(',').next().unwrap_or(rest))
        .collect();
    assert!(!sizes.is_empty(), "{text}");
    assert!(sizes.iter().all(|&size| size == "64"), "{sizes:?}\n{text}");
}

/// `call_ref` is `call_indirect` without the table and the signature
/// check: a null check (`NULL_FUNC_REFERENCE`, `user9`), two loads from
/// the `VMFuncRef` and the call; `return_call_ref` the same as a tail
/// call. Neither loads a type id or traps with another code.
#[test]
fn call_ref_checks_only_null() {
    let wat = "(module
        (type $t (func (param i32) (result i32)))
        (func (param (ref null $t)) (result i32)
          (call_ref $t (i32.const 1) (local.get 0)))
        (func (param (ref null $t)) (result i32)
          (return_call_ref $t (i32.const 1) (local.get 0))))";
    check(wat);
    let info = parse(wat);
    let tunables = &ALL_TUNABLES[0];
    let funcs = translate_all(&info, tunables);
    for (i, (func, _)) in funcs.iter().enumerate() {
        let text = func.display().to_string();
        assert_eq!(text.matches("trapz").count(), 1, "{text}");
        assert!(text.contains("user9"), "{text}");
        for code in ["user1", "user2", "user3"] {
            assert!(!text.contains(code), "call_ref emits {code}:\n{text}");
        }
        assert!(!text.contains("icmp"), "no signature compare:\n{text}");
        let call = if i == 0 {
            "call_indirect"
        } else {
            "return_call_indirect"
        };
        assert_eq!(text.matches(call).count(), 1, "{text}");
    }
}

#[test]
fn stack_limit_and_fuel() {
    let wat = "(module (func (loop (br 0))))";
    let plain = clif(wat, &ALL_TUNABLES[0]);
    assert!(plain.contains("stack_limit"), "{plain}");
    assert!(!plain.contains("user6"), "{plain}");
    let fuel = clif(wat, &FUEL_ONLY);
    assert_eq!(
        fuel.matches("user6").count(),
        2,
        "fuel at entry and loop header:\n{fuel}"
    );
}

/// The number of calls of the epoch stub (one per epoch check) in `clif`:
/// `call_indirect`s of the `preserve_all` signature.
fn epoch_stub_calls(clif: &str) -> usize {
    let sigs: Vec<String> = clif
        .lines()
        .filter(|l| l.contains("preserve_all"))
        .filter_map(|l| {
            l.split_whitespace()
                .next()
                .map(|s| format!("call_indirect {s},"))
        })
        .collect();
    clif.lines()
        .filter(|l| sigs.iter().any(|s| l.contains(s.as_str())))
        .count()
}

/// The number of fuel checks (`OUT_OF_FUEL` traps, `user6`) with fuel on,
/// and of epoch checks with epochs on (and fuel off), in each defined
/// function of `wat`. Epochs are checked where fuel is charged, minus the
/// checks `epoch.rs`'s plan finds redundant.
#[track_caller]
fn check_metering(wat: &str, fuel: &[usize], epochs: &[usize]) {
    let info = parse(wat);
    let charges: Vec<usize> = translate_all(&info, &FUEL_ONLY)
        .iter()
        .map(|(f, _)| f.display().to_string().matches("user6").count())
        .collect();
    assert_eq!(charges, fuel, "fuel: {wat}");
    let tunables = Tunables {
        consume_fuel: false,
        epoch_interruption: true,
        ..ALL_TUNABLES[0]
    };
    let with_epochs = translate_all(&info, &tunables);
    let checks: Vec<usize> = with_epochs
        .iter()
        .map(|(f, _)| epoch_stub_calls(&f.display().to_string()))
        .collect();
    assert_eq!(checks, epochs, "epochs: {wat}");
    // A function that checks nowhere reads nothing of the epochs either:
    // it is translated as with epoch interruption off.
    let plain = Tunables {
        epoch_interruption: false,
        ..tunables
    };
    for (i, ((with, _), (without, _))) in with_epochs
        .iter()
        .zip(&translate_all(&info, &plain))
        .enumerate()
    {
        if epochs[i] == 0 {
            assert_eq!(
                with.display().to_string(),
                without.display().to_string(),
                "function {i} has no check but differs with epochs: {wat}"
            );
        }
    }
}

#[test]
fn only_functions_that_can_run_on_check_fuel_and_epochs() {
    // Leaves: nothing, whatever they do short of looping or calling.
    check_metering("(module (func))", &[0], &[0]);
    check_metering(
        "(module (memory 1) (func (result i32) (block (br 0)) (memory.grow (i32.const 1))))",
        &[0],
        &[0],
    );
    // A caller checks once at entry, a loop once per iteration.
    check_metering("(module (func $f (call $f)))", &[1], &[1]);
    // Unless, for epochs, the calls it makes run a bounded number of
    // operators before a check: calls of leaves and of such functions, up
    // to `UNCHECKED_RUN` operators in all, or of functions that check.
    check_metering("(module (func $f) (func (call $f)))", &[0, 1], &[0, 0]);
    check_metering(
        "(module (func $f) (func $g (call $f) (call $f)) (func (call $g) (call $g)))",
        &[0, 1, 1],
        &[0, 0, 0],
    );
    check_metering(
        "(module (func $f (call $f)) (func (call $f) (call $f)))",
        &[1, 1],
        &[1, 0],
    );
    // Past the bound (a leaf of 600 operators called twice), the caller
    // checks, and its caller need not.
    let nops = "(nop)".repeat(600);
    check_metering(
        &format!("(module (func $f {nops}) (func $g (call $f) (call $f)) (func (call $g)))"),
        &[0, 1, 1],
        &[0, 1, 0],
    );
    // Every cycle of calls checks somewhere: mutual recursion, tail calls.
    check_metering(
        "(module (func $f (call $g)) (func $g (call $f)))",
        &[1, 1],
        &[0, 1],
    );
    check_metering(
        "(module (func $f (call $g)) (func $g (call $h)) (func $h (return_call $f)))",
        &[1, 1, 1],
        &[0, 0, 1],
    );
    check_metering("(module (func $f (call $f)))", &[1], &[1]);
    check_metering("(module (func $f (return_call $f)))", &[1], &[1]);
    check_metering(
        "(module (type $t (func)) (table 1 funcref) (func (call_indirect (type $t) (i32.const 0))))",
        &[1],
        &[1],
    );
    check_metering(
        "(module (import \"m\" \"f\" (func)) (func (call 0)))",
        &[1],
        &[1],
    );
    // A body that starts with a loop leaves the check to its header.
    check_metering(
        "(module (func $f) (func (loop (call $f))))",
        &[0, 2],
        &[0, 1],
    );
    check_metering("(module (func (loop (br 0))))", &[2], &[1]);
    // An outer loop whose iterations reach an inner loop through
    // straight-line code leaves the check to the inner header; not past a
    // branch.
    check_metering("(module (func (loop (loop (br 0)) (br 0))))", &[3], &[1]);
    check_metering(
        "(module (func (loop (drop (i32.const 1)) (block (loop (br 0))) (br 0))))",
        &[3],
        &[1],
    );
    check_metering(
        "(module (func (param i32) (loop (br_if 1 (local.get 0)) (loop (br 0)) (br 0))))",
        &[3],
        &[2],
    );
    check_metering(
        "(module (func (param i32) (drop (i32.const 1)) (block (loop (br 0)))))",
        &[2],
        &[1],
    );
    // A loop whose iterations first call a function checking at entry
    // leaves the check to it; not past a branch, nor a callee without one.
    let g = "(func $g (call $g))";
    check_metering(
        &format!("(module {g} (func (loop (call $g) (br 0))))"),
        &[1, 2],
        &[1, 0],
    );
    check_metering(
        &format!("(module {g} (func (param i32) (loop (br_if 1 (local.get 0)) (call $g) (br 0))))"),
        &[1, 2],
        &[1, 1],
    );
    check_metering("(module (func $f (loop (call $f) (br 0))))", &[2], &[1]);
    // A recursive function as a loop around its own call: one check per call.
    check_metering(
        "(module (func $f (param i32) \
           (block (br_if 0 (local.get 0)) (loop (call $f (local.get 0)) (br_if 0 (local.get 0))))))",
        &[2],
        &[1],
    );
    // Off, nothing at all: no check, no call of the stub.
    for tunables in &ALL_TUNABLES[..2] {
        let text = clif("(module (func (loop (call 0))))", tunables);
        assert!(!text.contains("preserve_all"), "{text}");
    }
}

// ---- SIMD ----

/// `run_i32` of an `f32` result's bits.
#[track_caller]
fn run_f32(body: &str, expected: f32) {
    run_i32(
        &format!("(i32.reinterpret_f32 {body})"),
        expected.to_bits() as i32,
    );
}

#[track_caller]
fn run_f64(body: &str, expected: f64) {
    run_i64(
        &format!("(i64.reinterpret_f64 {body})"),
        expected.to_bits() as i64,
    );
}

#[test]
fn simd_lanes_splats_shuffles() {
    run_i32("(i32x4.extract_lane 2 (v128.const i32x4 1 2 3 4))", 3);
    let bytes = "(v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 -2)";
    run_i32(&format!("(i8x16.extract_lane_s 15 {bytes})"), -2);
    run_i32(&format!("(i8x16.extract_lane_u 15 {bytes})"), 254);
    let halves = "(v128.const i16x8 0 -3 0 0 0 0 0 0)";
    run_i32(&format!("(i16x8.extract_lane_s 1 {halves})"), -3);
    run_i32(&format!("(i16x8.extract_lane_u 1 {halves})"), 65533);
    run_i64("(i64x2.extract_lane 1 (v128.const i64x2 1 -5))", -5);
    run_i32(
        "(i32x4.extract_lane 0 (i32x4.replace_lane 0 (v128.const i32x4 1 2 3 4) (i32.const 9)))",
        9,
    );
    run_i32(
        "(i8x16.extract_lane_u 3 (i8x16.replace_lane 3 (v128.const i64x2 0 0) (i32.const 0x1ff)))",
        255,
    );
    run_i32(
        "(i16x8.extract_lane_u 6 (i16x8.replace_lane 6 (v128.const i64x2 0 0) (i32.const 0x12345)))",
        0x2345,
    );
    run_i64(
        "(i64x2.extract_lane 0 (i64x2.replace_lane 0 (v128.const i64x2 1 2) (i64.const -9)))",
        -9,
    );
    run_f64(
        "(f64x2.extract_lane 0 (f64x2.replace_lane 0 (f64x2.splat (f64.const 1)) (f64.const 0.75)))",
        0.75,
    );
    run_i32(
        "(i8x16.extract_lane_u 7 (i8x16.splat (i32.const 0x1ab)))",
        0xab,
    );
    run_i32(
        "(i16x8.extract_lane_s 5 (i16x8.splat (i32.const 0x18000)))",
        -32768,
    );
    run_i32("(i32x4.extract_lane 3 (i32x4.splat (i32.const -7)))", -7);
    run_i64("(i64x2.extract_lane 1 (i64x2.splat (i64.const -8)))", -8);
    run_f64("(f64x2.extract_lane 1 (f64x2.splat (f64.const 2.5)))", 2.5);
    run_f32(
        "(f32x4.extract_lane 3 (f32x4.replace_lane 3 (f32x4.splat (f32.const 1)) (f32.const -0.5)))",
        -0.5,
    );
    run_f32(
        "(f32x4.extract_lane 1 (f32x4.splat (f32.const 1.25)))",
        1.25,
    );
    let lo = "(v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)";
    let hi = "(v128.const i8x16 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31)";
    run_i64(
        &format!(
            "(i64x2.extract_lane 0 (i8x16.shuffle 31 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 {lo} {hi}))"
        ),
        0x0605_0403_0201_001f,
    );
    run_i64(
        &format!(
            "(i64x2.extract_lane 1 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 {lo} {hi}))"
        ),
        0x1716_1514_1312_1110,
    );
    // Indices past 15 select 0.
    run_i32(
        &format!(
            "(i32x4.extract_lane 0 (i8x16.swizzle {hi} (v128.const i8x16 15 16 0 255 0 0 0 0 0 0 0 0 0 0 0 0)))"
        ),
        0x0010_001f,
    );
}

#[test]
fn simd_integer_arithmetic() {
    run_i32(
        "(i32x4.extract_lane 1 (i32x4.add (v128.const i32x4 1 2 3 4) (v128.const i32x4 10 20 30 40)))",
        22,
    );
    run_i32(
        "(i8x16.extract_lane_s 9 (i8x16.sub (i8x16.splat (i32.const 1)) (i8x16.splat (i32.const 3))))",
        -2,
    );
    run_i64(
        "(i64x2.extract_lane 1 (i64x2.sub (i64x2.splat (i64.const 1)) (i64x2.splat (i64.const 3))))",
        -2,
    );
    run_i32(
        "(i8x16.extract_lane_s 0 (i8x16.add_sat_s (i8x16.splat (i32.const 100)) (i8x16.splat (i32.const 100))))",
        127,
    );
    run_i32(
        "(i8x16.extract_lane_u 0 (i8x16.add_sat_u (i8x16.splat (i32.const 200)) (i8x16.splat (i32.const 100))))",
        255,
    );
    run_i32(
        "(i8x16.extract_lane_u 0 (i8x16.sub_sat_u (i8x16.splat (i32.const 1)) (i8x16.splat (i32.const 2))))",
        0,
    );
    run_i32(
        "(i16x8.extract_lane_s 0 (i16x8.sub_sat_s (i16x8.splat (i32.const -30000)) (i16x8.splat (i32.const 30000))))",
        -32768,
    );
    run_i32(
        "(i16x8.extract_lane_s 0 (i16x8.mul (i16x8.splat (i32.const 300)) (i16x8.splat (i32.const 300))))",
        24464,
    );
    run_i32(
        "(i32x4.extract_lane 2 (i32x4.mul (i32x4.splat (i32.const 0x10001)) (i32x4.splat (i32.const 0x10001))))",
        0x20001,
    );
    run_i64(
        "(i64x2.extract_lane 0 (i64x2.mul (i64x2.splat (i64.const 0x100000001)) (i64x2.splat (i64.const 3))))",
        0x3_0000_0003,
    );
    run_i32(
        "(i32x4.extract_lane 0 (i32x4.neg (i32x4.splat (i32.const 5))))",
        -5,
    );
    run_i64(
        "(i64x2.extract_lane 0 (i64x2.neg (i64x2.splat (i64.const 5))))",
        -5,
    );
    run_i32(
        "(i8x16.extract_lane_u 0 (i8x16.abs (i8x16.splat (i32.const -128))))",
        128,
    );
    run_i64(
        "(i64x2.extract_lane 1 (i64x2.abs (v128.const i64x2 0 -7)))",
        7,
    );
    run_i32(
        "(i32x4.extract_lane 0 (i32x4.min_u (i32x4.splat (i32.const -1)) (i32x4.splat (i32.const 1))))",
        1,
    );
    run_i32(
        "(i32x4.extract_lane 0 (i32x4.min_s (i32x4.splat (i32.const -1)) (i32x4.splat (i32.const 1))))",
        -1,
    );
    run_i32(
        "(i8x16.extract_lane_s 0 (i8x16.max_u (i8x16.splat (i32.const -1)) (i8x16.splat (i32.const 1))))",
        -1,
    );
    run_i32(
        "(i16x8.extract_lane_s 0 (i16x8.max_s (i16x8.splat (i32.const -1)) (i16x8.splat (i32.const 1))))",
        1,
    );
    run_i32(
        "(i8x16.extract_lane_u 0 (i8x16.avgr_u (i8x16.splat (i32.const 1)) (i8x16.splat (i32.const 2))))",
        2,
    );
    run_i32(
        "(i16x8.extract_lane_u 0 (i16x8.avgr_u (i16x8.splat (i32.const 65535)) (i16x8.splat (i32.const 65534))))",
        65535,
    );
    run_i32(
        "(i8x16.extract_lane_u 0 (i8x16.popcnt (i8x16.splat (i32.const 0xf7))))",
        7,
    );
}

#[test]
fn simd_shifts_mask_the_amount() {
    run_i32(
        "(i32x4.extract_lane 0 (i32x4.shl (i32x4.splat (i32.const 1)) (i32.const 33)))",
        2,
    );
    run_i32(
        "(i8x16.extract_lane_s 0 (i8x16.shr_s (i8x16.splat (i32.const -128)) (i32.const 9)))",
        -64,
    );
    run_i32(
        "(i8x16.extract_lane_u 0 (i8x16.shr_u (i8x16.splat (i32.const 0x80)) (i32.const 7)))",
        1,
    );
    run_i64(
        "(i64x2.extract_lane 0 (i64x2.shr_s (i64x2.splat (i64.const -256)) (i32.const 68)))",
        -16,
    );
    run_i32(
        "(i16x8.extract_lane_u 0 (i16x8.shl (i16x8.splat (i32.const 1)) (i32.const 15)))",
        32768,
    );
    // Amounts only known at run time.
    let shift = |op: &str, lane_op: &str, x: &str| {
        format!(
            "(module (memory 1) (func (param i32) (result i32) ({lane_op} 0 ({op} ({x}) (local.get 0)))))"
        )
    };
    let i8_splat = "i8x16.splat (i32.const 0x81)";
    run(
        &shift("i8x16.shl", "i8x16.extract_lane_u", i8_splat),
        &[9],
        0x02,
    );
    run(
        &shift("i8x16.shr_s", "i8x16.extract_lane_u", i8_splat),
        &[1],
        0xc0,
    );
    run(
        &shift("i8x16.shr_u", "i8x16.extract_lane_u", i8_splat),
        &[15],
        0x01,
    );
    let i32_splat = "i32x4.splat (i32.const -16)";
    run(
        &shift("i32x4.shr_s", "i32x4.extract_lane", i32_splat),
        &[34],
        -4i32 as u32 as u64,
    );
    run(
        &shift("i32x4.shr_u", "i32x4.extract_lane", i32_splat),
        &[28],
        0xf,
    );
    let i64_splat = "i64x2.splat (i64.const -16)";
    let wat = shift("i64x2.shr_s", "i64x2.extract_lane", i64_splat)
        .replace("(result i32)", "(result i64)");
    run(&wat, &[66], -4i64 as u64);
}

#[test]
fn simd_comparisons_bitwise_reductions() {
    run_i32(
        "(i32x4.extract_lane 0 (i32x4.lt_s (i32x4.splat (i32.const -1)) (i32x4.splat (i32.const 0))))",
        -1,
    );
    run_i32(
        "(i32x4.extract_lane 0 (i32x4.lt_u (i32x4.splat (i32.const -1)) (i32x4.splat (i32.const 0))))",
        0,
    );
    run_i64(
        "(i64x2.extract_lane 1 (i64x2.ge_s (v128.const i64x2 0 -1) (v128.const i64x2 0 0)))",
        0,
    );
    run_i32(
        "(i64x2.bitmask (i64x2.ne (v128.const i64x2 0 -1) (v128.const i64x2 0 0)))",
        2,
    );
    run_i32(
        "(i8x16.bitmask (i8x16.gt_u (v128.const i8x16 0 200 0 200 0 0 0 0 0 0 0 0 0 0 0 255) (i8x16.splat (i32.const 100))))",
        0x800a,
    );
    run_i32(
        "(i16x8.bitmask (i16x8.le_s (v128.const i16x8 -1 0 -1 0 0 0 0 -1) (i16x8.splat (i32.const -1))))",
        0x85,
    );
    let (a, b) = (
        "(v128.const f32x4 nan 1 2 3)",
        "(v128.const f32x4 nan 1 0 3)",
    );
    run_i32(&format!("(i32x4.bitmask (f32x4.eq {a} {b}))"), 0b1010);
    run_i32(&format!("(i32x4.bitmask (f32x4.ne {a} {b}))"), 0b0101);
    run_i32(&format!("(i32x4.bitmask (f32x4.gt {a} {b}))"), 0b0100);
    run_i32(&format!("(i32x4.bitmask (f32x4.le {a} {b}))"), 0b1010);
    run_i32(
        "(i64x2.bitmask (f64x2.lt (v128.const f64x2 1 nan) (v128.const f64x2 2 2)))",
        1,
    );
    run_i32(
        "(i64x2.bitmask (f64x2.ge (v128.const f64x2 1 2) (v128.const f64x2 2 2)))",
        2,
    );
    run_i32("(v128.any_true (v128.const i64x2 0 0))", 0);
    run_i32("(v128.any_true (v128.const i64x2 0 0x100))", 1);
    run_i32(
        "(i8x16.all_true (v128.const i16x8 0x101 0x101 0x101 0x101 0x101 0x101 0x101 0x100))",
        0,
    );
    run_i32("(i16x8.all_true (v128.const i16x8 1 1 1 1 1 1 1 0))", 0);
    run_i32("(i32x4.all_true (i32x4.splat (i32.const 3)))", 1);
    run_i32("(i64x2.all_true (v128.const i64x2 1 0x100000000))", 1);
    run_i32("(i32x4.bitmask (v128.const i32x4 -1 0 0 -5))", 0b1001);
    let op = |op: &str| {
        format!(
            "(i32x4.extract_lane 0 ({op} (i32x4.splat (i32.const 12)) (i32x4.splat (i32.const 10))))"
        )
    };
    run_i32(&op("v128.and"), 8);
    run_i32(&op("v128.or"), 14);
    run_i32(&op("v128.xor"), 6);
    run_i32(&op("v128.andnot"), 4);
    run_i32(
        "(i32x4.extract_lane 3 (v128.not (v128.const i64x2 0 0)))",
        -1,
    );
    run_i32(
        "(i32x4.extract_lane 0 (v128.bitselect (i32x4.splat (i32.const 0xff00ff00)) (i32x4.splat (i32.const 0x12345678)) (i32x4.splat (i32.const 0x0000ffff))))",
        0x1234_ff00,
    );
}

#[test]
fn simd_narrow_widen_extmul_dot() {
    let narrow = |op: &str, lane: &str, x: &str, y: &str| format!("({lane} ({op} ({x}) ({y})))");
    let (p, n) = (
        "i16x8.splat (i32.const 300)",
        "i16x8.splat (i32.const -300)",
    );
    run_i32(
        &narrow("i8x16.narrow_i16x8_s", "i8x16.extract_lane_s 0", p, n),
        127,
    );
    run_i32(
        &narrow("i8x16.narrow_i16x8_s", "i8x16.extract_lane_s 8", p, n),
        -128,
    );
    run_i32(
        &narrow("i8x16.narrow_i16x8_u", "i8x16.extract_lane_u 0", p, n),
        255,
    );
    run_i32(
        &narrow("i8x16.narrow_i16x8_u", "i8x16.extract_lane_u 8", p, n),
        0,
    );
    let (p, n) = ("i32x4.splat (i32.const 1)", "i32x4.splat (i32.const 70000)");
    run_i32(
        &narrow("i16x8.narrow_i32x4_s", "i16x8.extract_lane_s 4", p, n),
        32767,
    );
    run_i32(
        &narrow("i16x8.narrow_i32x4_u", "i16x8.extract_lane_u 4", p, n),
        65535,
    );
    run_i32(
        &narrow("i16x8.narrow_i32x4_u", "i16x8.extract_lane_u 3", p, n),
        1,
    );
    let bytes = "(v128.const i8x16 0 0 0 0 0 0 0 0 -5 0 0 0 0 0 0 0)";
    run_i32(
        &format!("(i16x8.extract_lane_s 0 (i16x8.extend_high_i8x16_s {bytes}))"),
        -5,
    );
    run_i32(
        &format!("(i16x8.extract_lane_s 0 (i16x8.extend_high_i8x16_u {bytes}))"),
        251,
    );
    run_i32(
        &format!("(i16x8.extract_lane_s 0 (i16x8.extend_low_i8x16_u {bytes}))"),
        0,
    );
    run_i64(
        "(i64x2.extract_lane 1 (i64x2.extend_low_i32x4_u (v128.const i32x4 0 -1 0 0)))",
        0xffff_ffff,
    );
    run_i64(
        "(i64x2.extract_lane 0 (i64x2.extend_high_i32x4_s (v128.const i32x4 0 0 -1 0)))",
        -1,
    );
    run_i32(
        "(i32x4.extract_lane 0 (i32x4.extend_low_i16x8_s (i16x8.splat (i32.const -2))))",
        -2,
    );
    run_i32(
        "(i32x4.extract_lane 3 (i32x4.extend_high_i16x8_u (i16x8.splat (i32.const -2))))",
        0xfffe,
    );
    run_i32(
        "(i16x8.extract_lane_s 0 (i16x8.extmul_low_i8x16_s (i8x16.splat (i32.const -128)) (i8x16.splat (i32.const 127))))",
        -16256,
    );
    run_i32(
        "(i16x8.extract_lane_u 7 (i16x8.extmul_high_i8x16_u (i8x16.splat (i32.const 255)) (i8x16.splat (i32.const 255))))",
        65025,
    );
    run_i32(
        "(i32x4.extract_lane 3 (i32x4.extmul_high_i16x8_u (i16x8.splat (i32.const -1)) (i16x8.splat (i32.const 2))))",
        131070,
    );
    run_i32(
        "(i32x4.extract_lane 0 (i32x4.extmul_low_i16x8_s (i16x8.splat (i32.const -1)) (i16x8.splat (i32.const 2))))",
        -2,
    );
    run_i64(
        "(i64x2.extract_lane 0 (i64x2.extmul_low_i32x4_s (i32x4.splat (i32.const -2)) (i32x4.splat (i32.const 0x40000000))))",
        -0x8000_0000,
    );
    run_i64(
        "(i64x2.extract_lane 1 (i64x2.extmul_high_i32x4_u (i32x4.splat (i32.const -1)) (i32x4.splat (i32.const -1))))",
        0xffff_fffe_0000_0001u64 as i64,
    );
    run_i32(
        "(i16x8.extract_lane_s 0 (i16x8.extadd_pairwise_i8x16_s (i8x16.splat (i32.const -100))))",
        -200,
    );
    run_i32(
        "(i16x8.extract_lane_s 7 (i16x8.extadd_pairwise_i8x16_u (i8x16.splat (i32.const 200))))",
        400,
    );
    run_i32(
        "(i32x4.extract_lane 0 (i32x4.extadd_pairwise_i16x8_u (i16x8.splat (i32.const -1))))",
        131070,
    );
    run_i32(
        "(i32x4.extract_lane 3 (i32x4.extadd_pairwise_i16x8_s (i16x8.splat (i32.const -1))))",
        -2,
    );
    let (a, b) = (
        "(v128.const i16x8 -32768 -32768 1 2 0 0 0 0)",
        "(v128.const i16x8 -32768 -32768 3 4 0 0 0 0)",
    );
    run_i32(
        &format!("(i32x4.extract_lane 0 (i32x4.dot_i16x8_s {a} {b}))"),
        i32::MIN,
    );
    run_i32(
        &format!("(i32x4.extract_lane 1 (i32x4.dot_i16x8_s {a} {b}))"),
        11,
    );
    run_i32(
        "(i16x8.extract_lane_s 0 (i16x8.q15mulr_sat_s (i16x8.splat (i32.const -32768)) (i16x8.splat (i32.const -32768))))",
        32767,
    );
    run_i32(
        "(i16x8.extract_lane_s 0 (i16x8.q15mulr_sat_s (i16x8.splat (i32.const 16384)) (i16x8.splat (i32.const -3))))",
        -1,
    );
}

#[test]
fn simd_float_arithmetic_and_conversions() {
    let f32_op = |op: &str, x: &str, y: &str| {
        format!(
            "(f32x4.extract_lane 0 ({op} (f32x4.splat (f32.const {x})) (f32x4.splat (f32.const {y}))))"
        )
    };
    let f64_op = |op: &str, x: &str, y: &str| {
        format!(
            "(f64x2.extract_lane 1 ({op} (f64x2.splat (f64.const {x})) (f64x2.splat (f64.const {y}))))"
        )
    };
    run_f32(&f32_op("f32x4.add", "1.5", "2.25"), 3.75);
    run_f32(&f32_op("f32x4.sub", "1.5", "2.25"), -0.75);
    run_f32(&f32_op("f32x4.div", "1", "4"), 0.25);
    run_f64(&f64_op("f64x2.mul", "1.5", "-2"), -3.0);
    run_f64(&f64_op("f64x2.div", "1", "8"), 0.125);
    run_f32(&f32_op("f32x4.min", "0", "-0"), -0.0);
    run_f32(&f32_op("f32x4.max", "-0", "0"), 0.0);
    run_f64(&f64_op("f64x2.min", "-0", "0"), -0.0);
    run_f64(&f64_op("f64x2.max", "3", "-7"), 3.0);
    // NaN in, quiet NaN out.
    run_i32(
        &format!(
            "(i32.and (i32.reinterpret_f32 {}) (i32.const 0x7fc00000))",
            f32_op("f32x4.min", "nan", "1")
        ),
        0x7fc0_0000,
    );
    run_i32(
        &format!(
            "(i32.and (i32.reinterpret_f32 {}) (i32.const 0x7fc00000))",
            f32_op("f32x4.max", "1", "nan:0x200000")
        ),
        0x7fc0_0000,
    );
    // pmin/pmax are `b < a ? b : a` and `a < b ? b : a`.
    run_f32(&f32_op("f32x4.pmin", "1", "nan"), 1.0);
    run_f32(&f32_op("f32x4.pmin", "2", "1"), 1.0);
    run_f32(&f32_op("f32x4.pmin", "0", "-0"), 0.0);
    run_f32(&f32_op("f32x4.pmax", "-0", "0"), -0.0);
    run_f64(&f64_op("f64x2.pmax", "1", "3"), 3.0);
    run_f64(&f64_op("f64x2.pmax", "-0", "0"), -0.0);
    run_f64(&f64_op("f64x2.pmin", "1", "nan"), 1.0);
    let f32_un =
        |op: &str, x: &str| format!("(f32x4.extract_lane 2 ({op} (f32x4.splat (f32.const {x}))))");
    let f64_un =
        |op: &str, x: &str| format!("(f64x2.extract_lane 0 ({op} (f64x2.splat (f64.const {x}))))");
    run_f32(&f32_un("f32x4.nearest", "2.5"), 2.0);
    run_f32(&f32_un("f32x4.nearest", "-1.5"), -2.0);
    run_f32(&f32_un("f32x4.ceil", "1.1"), 2.0);
    run_f32(&f32_un("f32x4.floor", "-1.1"), -2.0);
    run_f32(&f32_un("f32x4.trunc", "-1.9"), -1.0);
    run_f32(&f32_un("f32x4.sqrt", "2.25"), 1.5);
    run_f32(&f32_un("f32x4.neg", "1"), -1.0);
    run_f32(&f32_un("f32x4.abs", "-3"), 3.0);
    run_f64(&f64_un("f64x2.nearest", "3.5"), 4.0);
    run_f64(&f64_un("f64x2.ceil", "-0.5"), -0.0);
    run_f64(&f64_un("f64x2.floor", "0.5"), 0.0);
    run_f64(&f64_un("f64x2.trunc", "2.7"), 2.0);
    run_f64(&f64_un("f64x2.sqrt", "16"), 4.0);
    run_f64(&f64_un("f64x2.abs", "-2"), 2.0);
    run_f64(&f64_un("f64x2.neg", "2"), -2.0);

    let trunc =
        |op: &str, x: &str| format!("(i32x4.extract_lane 1 ({op} (f32x4.splat (f32.const {x}))))");
    run_i32(&trunc("i32x4.trunc_sat_f32x4_s", "-3e9"), i32::MIN);
    run_i32(&trunc("i32x4.trunc_sat_f32x4_s", "nan"), 0);
    run_i32(&trunc("i32x4.trunc_sat_f32x4_s", "-2.5"), -2);
    run_i32(&trunc("i32x4.trunc_sat_f32x4_u", "-1"), 0);
    run_i32(&trunc("i32x4.trunc_sat_f32x4_u", "5e9"), -1);
    run_i32(
        &trunc("i32x4.trunc_sat_f32x4_u", "3e9"),
        3_000_000_000u32 as i32,
    );
    let trunc64 = |op: &str, lane: u8, x: &str| {
        format!("(i32x4.extract_lane {lane} ({op} (f64x2.splat (f64.const {x}))))")
    };
    run_i32(
        &trunc64("i32x4.trunc_sat_f64x2_s_zero", 0, "-1e10"),
        i32::MIN,
    );
    run_i32(&trunc64("i32x4.trunc_sat_f64x2_s_zero", 1, "-7.9"), -7);
    run_i32(&trunc64("i32x4.trunc_sat_f64x2_s_zero", 2, "-7.9"), 0);
    run_i32(
        &trunc64("i32x4.trunc_sat_f64x2_u_zero", 1, "4e9"),
        4_000_000_000u32 as i32,
    );
    run_i32(&trunc64("i32x4.trunc_sat_f64x2_u_zero", 0, "-5"), 0);
    run_i32(&trunc64("i32x4.trunc_sat_f64x2_u_zero", 3, "4e9"), 0);
    run_f32(
        "(f32x4.extract_lane 0 (f32x4.convert_i32x4_u (i32x4.splat (i32.const -1))))",
        4_294_967_296.0,
    );
    run_f32(
        "(f32x4.extract_lane 0 (f32x4.convert_i32x4_s (i32x4.splat (i32.const -3))))",
        -3.0,
    );
    run_f64(
        "(f64x2.extract_lane 1 (f64x2.convert_low_i32x4_s (v128.const i32x4 1 -2 3 4)))",
        -2.0,
    );
    run_f64(
        "(f64x2.extract_lane 1 (f64x2.convert_low_i32x4_u (v128.const i32x4 1 -2 3 4)))",
        4_294_967_294.0,
    );
    run_f32(
        "(f32x4.extract_lane 0 (f32x4.demote_f64x2_zero (f64x2.splat (f64.const 1.5))))",
        1.5,
    );
    run_f32(
        "(f32x4.extract_lane 2 (f32x4.demote_f64x2_zero (f64x2.splat (f64.const 1.5))))",
        0.0,
    );
    run_f64(
        "(f64x2.extract_lane 1 (f64x2.promote_low_f32x4 (v128.const f32x4 1 2.5 3 4)))",
        2.5,
    );
}

#[test]
fn simd_memory() {
    // Memory is prefilled with bytes 0, 1, 2, ...
    run_i64(
        "(i64x2.extract_lane 1 (v128.load (i32.const 0)))",
        0x0f0e_0d0c_0b0a_0908,
    );
    run_i32(
        "(i32x4.extract_lane 0 (v128.load offset=4 (i32.const 0)))",
        0x0706_0504,
    );
    run_i32(
        "(i16x8.extract_lane_s 4 (v128.load8x8_s (i32.const 0x7c)))",
        -128,
    );
    run_i32(
        "(i16x8.extract_lane_s 4 (v128.load8x8_u (i32.const 0x7c)))",
        128,
    );
    run_i32(
        "(i32x4.extract_lane 0 (v128.load16x4_s (i32.const 0xfe)))",
        -2,
    );
    run_i32(
        "(i32x4.extract_lane 0 (v128.load16x4_u (i32.const 0xfe)))",
        0xfffe,
    );
    run_i64(
        "(i64x2.extract_lane 0 (v128.load32x2_u (i32.const 0xfc)))",
        0xfffe_fdfc,
    );
    run_i64(
        "(i64x2.extract_lane 0 (v128.load32x2_s (i32.const 0xfc)))",
        0xfffe_fdfcu32 as i32 as i64,
    );
    run_i32(
        "(i8x16.extract_lane_u 15 (v128.load8_splat (i32.const 7)))",
        7,
    );
    run_i32(
        "(i16x8.extract_lane_u 6 (v128.load16_splat (i32.const 2)))",
        0x0302,
    );
    run_i32(
        "(i32x4.extract_lane 3 (v128.load32_splat (i32.const 4)))",
        0x0706_0504,
    );
    run_i64(
        "(i64x2.extract_lane 1 (v128.load64_splat (i32.const 8)))",
        0x0f0e_0d0c_0b0a_0908,
    );
    run_i32(
        "(i32x4.extract_lane 0 (v128.load32_zero (i32.const 4)))",
        0x0706_0504,
    );
    run_i32("(i32x4.extract_lane 1 (v128.load32_zero (i32.const 4)))", 0);
    run_i64(
        "(i64x2.extract_lane 0 (v128.load64_zero (i32.const 8)))",
        0x0f0e_0d0c_0b0a_0908,
    );
    run_i64("(i64x2.extract_lane 1 (v128.load64_zero (i32.const 8)))", 0);
    run_i32(
        "(i8x16.extract_lane_u 5 (v128.load8_lane 5 (i32.const 200) (v128.const i64x2 0 0)))",
        200,
    );
    run_i32(
        "(i8x16.extract_lane_u 4 (v128.load8_lane 5 (i32.const 200) (v128.const i64x2 0 0)))",
        0,
    );
    run_i32(
        "(i16x8.extract_lane_u 7 (v128.load16_lane 7 (i32.const 0x10) (v128.const i64x2 0 0)))",
        0x1110,
    );
    run_i32(
        "(i32x4.extract_lane 2 (v128.load32_lane offset=1 2 (i32.const 0x10) (v128.const i64x2 0 0)))",
        0x1413_1211,
    );
    run_i64(
        "(i64x2.extract_lane 1 (v128.load64_lane 1 (i32.const 8) (i64x2.splat (i64.const -1))))",
        0x0f0e_0d0c_0b0a_0908,
    );
    run_i64(
        "(i64x2.extract_lane 0 (v128.load64_lane 1 (i32.const 8) (i64x2.splat (i64.const -1))))",
        -1,
    );
    run_i32(
        "(v128.store (i32.const 16) (v128.const i32x4 1 2 3 4)) (i32.load (i32.const 28))",
        4,
    );
    run_i32(
        "(v128.store offset=3 (i32.const 16) (v128.const i32x4 1 2 3 4)) (i32.load (i32.const 23))",
        2,
    );
    run_i32(
        "(v128.store8_lane 3 (i32.const 16) (v128.const i8x16 0 0 0 0xaa 0 0 0 0 0 0 0 0 0 0 0 0)) (i32.load (i32.const 16))",
        0x1312_11aa,
    );
    run_i32(
        "(v128.store16_lane 7 (i32.const 16) (v128.const i16x8 0 0 0 0 0 0 0 0x7bcd)) (i32.load (i32.const 16))",
        0x1312_7bcd,
    );
    run_i32(
        "(v128.store32_lane 2 (i32.const 16) (v128.const i32x4 0 0 -7 0)) (i32.load (i32.const 16))",
        -7,
    );
    run_i64(
        "(v128.store64_lane 1 (i32.const 16) (v128.const i64x2 0 -9)) (i64.load (i32.const 16))",
        -9,
    );

    // Same bounds checks as scalar accesses, for the full 16 bytes.
    let wat = "(module (memory 1) (func (param i32) (result v128) (v128.load offset=0xfffffff0 (local.get 0))))";
    let explicit = clif(wat, &ALL_TUNABLES[1]);
    assert!(
        explicit_check(&explicit) && explicit.contains("0x0001_0000_0000"),
        "explicit mode checks index + offset + 16:\n{explicit}"
    );
    let guard = clif(wat, &ALL_TUNABLES[0]);
    assert!(!guard.contains("trapnz"), "{guard}");
    assert!(guard.contains("load.i8x16 little v"), "{guard}");
    check(
        "(module (memory 1)
           (func (param i32 v128)
             (v128.store offset=0x7fffffff (local.get 0) (local.get 1))
             (v128.store64_lane offset=0xffffffff 1 (local.get 0) (local.get 1))
             (drop (v128.load8_splat offset=0x80000000 (local.get 0)))
             (drop (v128.load32x2_s offset=0xfffffff8 (local.get 0)))))",
    );
}

#[test]
fn simd_values_in_locals_blocks_globals_and_calls() {
    // Declared v128 locals start at zero.
    run_i64("(local v128) (i64x2.extract_lane 1 (local.get 0))", 0);
    // A loop carrying a v128 in a local and one as a block parameter.
    run_i32(
        "(local $acc v128) (local $i i32)
         (loop $l
           (local.set $acc (i32x4.add (local.get $acc) (i32x4.splat (i32.const 3))))
           (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 10))))
         (i32x4.extract_lane 2 (local.get $acc))",
        30,
    );
    run_i32(
        "(i32x4.extract_lane 0
           (block (result v128)
             (v128.const i32x4 5 0 0 0)
             (f32x4.splat (f32.const 1))
             (br_if 0 (i32.const 0))
             (drop)))",
        5,
    );
    run_i32(
        "(i32x4.extract_lane 0 (select (v128.const i32x4 1 0 0 0) (f32x4.splat (f32.const 1)) (i32.const 1)))",
        1,
    );
    run_i32(
        "(i32x4.extract_lane 0 (select (result v128) (v128.const i32x4 1 0 0 0) (v128.const i32x4 2 0 0 0) (i32.const 0)))",
        2,
    );
    run(
        "(module (global $g (mut v128) (v128.const i64x2 0 0))
           (func (result i64)
             (global.set $g (i64x2.splat (i64.const 42)))
             (i64x2.extract_lane 1 (global.get $g))))",
        &[],
        42,
    );
    check(
        "(module
           (import \"m\" \"f\" (func $imp (param v128) (result v128)))
           (type $t (func (param v128 i32) (result v128 v128)))
           (table 1 funcref)
           (global (mut v128) (v128.const f32x4 1 2 3 4))
           (func $def (param v128 i32) (result v128 v128) (local.get 0) (local.get 0))
           (func (param v128) (result v128)
             (call $imp (local.get 0))
             (i32.const 1)
             (call $def)
             (drop)
             (i32.const 0)
             (call_indirect (type $t) (i32.const 0))
             (i8x16.add)
             (if (param v128) (result v128) (i32.const 1)
               (then (f64x2.neg))
               (else (block (param v128) (result v128) (br_table 0 1 (i32.const 2)))))))",
    );
}

/// The host's vcode (disassembly) of defined function 0, compiled at
/// `opt_level=speed`.
fn vcode(wat: &str) -> String {
    let info = parse(wat);
    let mut flags = settings::builder();
    flags.set("opt_level", "speed").unwrap();
    let isa = cranelift_native::builder()
        .unwrap()
        .finish(settings::Flags::new(flags))
        .unwrap();
    let offsets = VMOffsets::new(&info);
    let env = FuncEnv::new(&info, &offsets, &ALL_TUNABLES[0], isa.default_call_conv()).unwrap();
    let mut ctx = Context::for_function(translate_function(&env, 0).unwrap());
    ctx.set_disasm(true);
    ctx.compile(&*isa, &mut ControlPlane::default())
        .unwrap_or_else(|e| panic!("compile: {:?}", e.inner));
    ctx.compiled_code().unwrap().vcode.clone().unwrap()
}

#[test]
fn simd_hot_ops_are_vectorised() {
    // Two loops over memory: `a[i] += b[i]` on i32x4 and `a[i] *= b[i]`
    // on f32x4, 16 bytes per iteration.
    let body = |op: &str| {
        format!(
            "(module (memory 1)
               (func (param i32 i32)
                 (loop $l
                   (v128.store (local.get 0)
                     ({op} (v128.load (local.get 0)) (v128.load offset=1024 (local.get 0))))
                   (local.set 0 (i32.add (local.get 0) (i32.const 16)))
                   (br_if $l (local.tee 1 (i32.sub (local.get 1) (i32.const 1)))))))"
        )
    };
    let add = vcode(&body("i32x4.add"));
    let mul = vcode(&body("f32x4.mul"));
    let dot = vcode(&body("i32x4.dot_i16x8_s"));
    if std::env::var_os("KILN_PRINT_VCODE").is_some() {
        println!("i32x4.add loop:\n{add}\nf32x4.mul loop:\n{mul}\ndot loop:\n{dot}");
    }
    // One packed instruction per operator (VEX-encoded when AVX is on),
    // no lane-by-lane scalar code.
    assert!(add.contains("paddd"), "{add}");
    assert!(mul.contains("mulps"), "{mul}");
    // The dot product's widen-multiply-add pattern survives the bitcasts
    // from and to the operand stack's `I8X16`.
    assert!(dot.contains("pmaddwd"), "{dot}");
    for code in [&add, &mul, &dot] {
        assert!(!code.contains("pextr") && !code.contains("pinsr"), "{code}");
    }
}

/// How many `select_spectre_guard`s the CLIF of function 0 of a module
/// with `decls` and a function `(param i32 i64)` running `body` has, under
/// guard pages with guards, explicit checks with guards, and explicit
/// checks without: `expected`. Every guarded wasm access takes its whole
/// address from the guard (no immediate offset after it).
#[track_caller]
fn check_guards(decls: &str, body: &str, expected: [usize; 3]) {
    let wat = format!("(module {decls} (type $v (func)) (func (param i32 i64) {body}))");
    let got = [&ALL_TUNABLES[0], &ALL_TUNABLES[1], &ALL_TUNABLES[4]].map(|t| {
        let text = clif(&wat, t);
        if text.contains("select_spectre_guard") {
            let offsets = text
                .lines()
                .filter(|l| l.contains(" little v") && l.contains('+'))
                .collect::<Vec<_>>();
            assert!(
                offsets.is_empty(),
                "offset after the guard: {offsets:?}\n{text}"
            );
        }
        text.matches("select_spectre_guard").count()
    });
    assert_eq!(got, expected, "{wat}");
}

/// Spectre guards sit on every explicitly checked memory access, table
/// element access and `call_indirect`, not on guarded 32-bit memories, and
/// nowhere with the switch off.
#[test]
fn spectre_guards() {
    let mem = "(memory 1)";
    check_guards(
        mem,
        "(drop (i32.load offset=0x1000 (local.get 0)))",
        [0, 1, 0],
    );
    check_guards(
        mem,
        "(i64.store8 offset=0xfffffff0 (local.get 0) (i64.const 1))",
        [0, 1, 0],
    );
    check_guards(
        mem,
        "(drop (f64.load (local.get 0))) (f32.store (local.get 0) (f32.const 1))",
        [0, 2, 0],
    );
    check_guards(
        mem,
        "(drop (v128.load32_lane offset=4 1 (local.get 0) (v128.const i64x2 0 0)))",
        [0, 1, 0],
    );
    check_guards(
        mem,
        "(v128.store64_lane 1 (local.get 0) (v128.const i64x2 0 0))",
        [0, 1, 0],
    );
    check_guards(
        mem,
        "(drop (v128.load8x8_s offset=16 (local.get 0)))",
        [0, 1, 0],
    );
    // 64-bit memories and 1-byte pages are checked in every mode.
    let mem64 = "(memory i64 1)";
    check_guards(
        mem64,
        "(drop (i32.load offset=0xffffffffff (local.get 1)))",
        [1, 1, 0],
    );
    check_guards(mem64, "(drop (v128.load64_splat (local.get 1)))", [1, 1, 0]);
    let bytes = "(memory 1 (pagesize 1))";
    check_guards(
        bytes,
        "(drop (i32.load16_u offset=2 (local.get 0)))",
        [1, 1, 0],
    );
    // Bulk operations check in their builtins.
    check_guards(
        mem,
        "(memory.fill (local.get 0) (i32.const 0) (i32.const 1))",
        [0, 0, 0],
    );
    // Tables are always checked.
    let table = "(table 2 funcref) (table $t64 i64 2 funcref)";
    check_guards(table, "(drop (table.get (local.get 0)))", [1, 1, 0]);
    check_guards(
        table,
        "(table.set $t64 (local.get 1) (ref.null func))",
        [1, 1, 0],
    );
    check_guards(table, "(call_indirect (type $v) (local.get 0))", [1, 1, 0]);
    check_guards(
        table,
        "(return_call_indirect $t64 (type $v) (local.get 1))",
        [1, 1, 0],
    );
    check_guards(
        table,
        "(table.fill (local.get 0) (ref.null func) (i32.const 1))",
        [0, 0, 0],
    );
}
