//! Unit tests: translate small modules, verify the CLIF with the host ISA
//! and compile it, under every combination of bounds-check mode and fuel.
//!
//! `check(wat)` covers all defined functions of a module; `run(wat, args,
//! expected)` additionally executes the first defined function (no calls,
//! no traps, integer arguments and result) against a hand-built vmctx, so
//! the value semantics of each family are exercised, not only its types.

use super::{FuncEnv, translate_function};
use crate::config::{BoundsChecks, Features, Tunables};
use crate::info::ModuleInfo;
use crate::vmctx::{
    STORE_CONTEXT_OFFSET, VMGlobal, VMMemoryDefinition, VMOffsets, VMStoreContext,
    VMTableDefinition,
};
use cranelift_codegen::ir::Function;
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{Context, control::ControlPlane, verify_function};

fn isa() -> OwnedTargetIsa {
    let mut flags = settings::builder();
    flags.set("enable_multi_ret_implicit_sret", "true").unwrap();
    cranelift_native::builder()
        .unwrap()
        .finish(settings::Flags::new(flags))
        .unwrap()
}

fn parse(wat: &str) -> ModuleInfo {
    let wasm = wat::parse_str(wat).unwrap_or_else(|e| panic!("bad test wat: {e}"));
    crate::parse::parse(&wasm, &Features::default(), false).unwrap()
}

const ALL_TUNABLES: [Tunables; 4] = [
    Tunables {
        bounds_checks: BoundsChecks::GuardPages,
        consume_fuel: false,
    },
    Tunables {
        bounds_checks: BoundsChecks::Explicit,
        consume_fuel: false,
    },
    Tunables {
        bounds_checks: BoundsChecks::GuardPages,
        consume_fuel: true,
    },
    Tunables {
        bounds_checks: BoundsChecks::Explicit,
        consume_fuel: true,
    },
];

/// Translates, verifies and compiles every defined function; returns the
/// compiled machine code of each, for the last tunables.
fn translate_all(info: &ModuleInfo, tunables: &Tunables) -> Vec<(Function, Vec<u8>)> {
    let isa = isa();
    let offsets = VMOffsets::new(info);
    let env = FuncEnv {
        info,
        offsets: &offsets,
        tunables,
        call_conv: isa.default_call_conv(),
    };
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

fn translate_err(wat: &str, features: Features) -> String {
    let wasm = wat::parse_str(wat).unwrap();
    let info = crate::parse::parse(&wasm, &features, false).unwrap();
    let offsets = VMOffsets::new(&info);
    let tunables = &ALL_TUNABLES[0];
    let env = FuncEnv {
        info: &info,
        offsets: &offsets,
        tunables,
        call_conv: CallConv::SystemV,
    };
    format!("{:#}", translate_function(&env, 0).unwrap_err())
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
/// and plenty of fuel.
struct TestInstance {
    vmctx: Vec<u64>,
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
        let mut vmctx = vec![0u64; offsets.size() as usize / 8 + 1];
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
        let mut globals = vec![VMGlobal::default(); info.globals.len()];
        let store_context = Box::new(VMStoreContext {
            stack_limit: 0,
            fuel: 1 << 40,
        });
        let mut set = |offset: u32, value: u64| vmctx[offset as usize / 8] = value;
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
            set(offsets.global_ptr(i as u32), g as *mut VMGlobal as u64);
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
    let result_is_i32 =
        info.func_type(info.num_imported_funcs).results() == [crate::types::ValType::I32];
    for tunables in &ALL_TUNABLES {
        let (_, bytes) = translate_all(&info, tunables).remove(0);
        let code = Code::new(&bytes);
        let mut instance = TestInstance::new(&info);
        let vmctx = instance.vmctx.as_mut_ptr().cast::<u8>();
        // SAFETY: the code was compiled for the host's default (SystemV)
        // convention from a function taking (vmctx, vmctx, ints...) and
        // returning one int; extra integer registers are ignored.
        let raw = unsafe {
            let f: extern "C" fn(*mut u8, *mut u8, u64, u64, u64) -> u64 =
                std::mem::transmute(code.ptr);
            let a = |i: usize| args.get(i).copied().unwrap_or(0);
            f(vmctx, vmctx, a(0), a(1), a(2))
        };
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

#[test]
fn memory_bounds_modes() {
    let wat = "(module (memory 1) (func (param i32) (result i32) (i32.load offset=0xfffffff0 (local.get 0))))";
    let explicit = clif(wat, &ALL_TUNABLES[1]);
    assert!(
        explicit.contains("heap_oob"),
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
    check(
        "(module (memory 2) (func (param i32) (i64.store16 offset=0x7fffffff (local.get 0) (i64.const 1))))",
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

#[test]
fn stack_limit_and_fuel() {
    let wat = "(module (func (loop (br 0))))";
    let plain = clif(wat, &ALL_TUNABLES[0]);
    assert!(plain.contains("stack_limit"), "{plain}");
    assert!(!plain.contains("user6"), "{plain}");
    let fuel = clif(wat, &ALL_TUNABLES[2]);
    assert_eq!(
        fuel.matches("user6").count(),
        2,
        "fuel at entry and loop header:\n{fuel}"
    );
}

#[test]
fn unsupported_is_an_error() {
    let simd = Features {
        simd: true,
        ..Features::default()
    };
    let err = translate_err("(module (func (drop (v128.const i64x2 0 0))))", simd);
    assert!(err.contains("unsupported"), "{err}");
    let err = translate_err("(module (func (local v128)))", simd);
    assert!(err.contains("SIMD"), "{err}");
}
