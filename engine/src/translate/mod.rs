//! Wasm → Cranelift IR translation of one function body.
//!
//! `translate_function` is the entry point. This file owns the translator
//! state (operand stack, locals, caches of imported signatures and
//! functions), the operator dispatch, the parametric and variable operators
//! (`drop`, `select`, `local.*`, `global.*`: they only move values between
//! the operand stack, locals and globals), and the helpers every family
//! shares (vmctx loads, operand-stack access). Per-family code lives in the
//! submodules, each defining the `visit_*` method of every operator of its
//! family:
//!
//! - `control`: structured control flow, branches and reachability
//! - `numeric`: constants, comparisons, arithmetic and conversions
//! - `memory`: linear-memory addressing, bounds checks, bulk memory
//! - `table`: tables and references
//! - `calls`: direct, imported and indirect calls and their tail-call
//!   forms, builtin calls
//! - `exceptions`: `try_table`, `throw`, `throw_ref`
//! - `fuel`: fuel metering (no operators of its own)
//! - `epoch`: epoch interruption checks (no operators of their own)
//! - `simd`: fixed-width SIMD (`v128`)
//!
//! The dispatch is exhaustive: `Dispatch` implements wasmparser's
//! `VisitOperator` and `VisitSimdOperator`, whose methods have no defaults,
//! from wasmparser's own operator list (`for_each_visit_operator!`). An
//! operator of a proposal Kiln implements is forwarded to the `Translator`
//! method of the same name, so a missing translation does not compile; an
//! operator of a proposal listed as not implemented is refused with an
//! error naming it and its proposal; a proposal wasmparser adds later
//! matches neither list and does not compile either.

/// Defines `Translator` methods named like wasmparser's `visit_*` methods,
/// one per operator, for `Dispatch` to forward to. Each entry is
/// `visit_a | visit_b(arg: Ty, ...) => body;`, where `body` is a `()`
/// expression using `t` for the translator (errors return through `?`).
macro_rules! operators {
    ($t:ident; $($($visit:ident)|+ $(($($arg:ident: $ty:ty),*))? => $body:expr;)*) => {
        $(operators!(@each $t [$($visit)+] [$($($arg: $ty),*)?] $body);)*
    };
    (@each $t:ident [$($visit:ident)+] $args:tt $body:expr) => {
        $(operators!(@one $t $visit $args $body);)+
    };
    (@one $t:ident $visit:ident [$($arg:ident: $ty:ty),*] $body:expr) => {
        pub(super) fn $visit(&mut self, $($arg: $ty),*) -> anyhow::Result<()> {
            let $t = self;
            $body;
            Ok(())
        }
    };
}

mod calls;
mod control;
mod epoch;
mod exceptions;
mod fuel;
mod memory;
mod numeric;
mod simd;
mod table;
#[cfg(test)]
mod tests;
mod unroll;

use crate::abi::{clif_type, wasm_signature};
use crate::info::ModuleInfo;
use crate::tunables::Tunables;
use crate::types::Mutability;
use crate::vm::builtins::Builtin;
use crate::vm::vmctx::{STORE_CONTEXT_OFFSET, STORE_CONTEXT_STACK_LIMIT, VMOffsets};
use anyhow::{Result, bail};
use cranelift_codegen::entity::packed_option::ReservedValue;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64, Offset32};
use cranelift_codegen::ir::{
    self, FuncRef, GlobalValueData, InstBuilder, MemFlagsData, SigRef, SourceLoc, Type,
    UserFuncName, Value, types,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use std::collections::HashMap;
use std::sync::OnceLock;
use wasmparser::{VisitOperator, VisitSimdOperator};

use control::Frame;
use epoch::EpochPlan;
use fuel::FuelPlan;

/// What the translator needs to know about the module and the engine.
pub struct FuncEnv<'a> {
    pub info: &'a ModuleInfo,
    pub offsets: &'a VMOffsets,
    pub tunables: &'a Tunables,
    /// The host's calling convention, which builtins are called in (wasm
    /// functions use `abi::WASM_CALL_CONV`).
    pub call_conv: CallConv,
    /// The fuel charges of every function, when fuel is on.
    fuel: Option<FuelPlan>,
    /// Where every function checks the epoch, when epochs are on.
    epoch: Option<EpochPlan>,
}

impl<'a> FuncEnv<'a> {
    /// With fuel or epochs on, this reads every function body once (the
    /// charges and checks of one function depend on its callees').
    pub fn new(
        info: &'a ModuleInfo,
        offsets: &'a VMOffsets,
        tunables: &'a Tunables,
        call_conv: CallConv,
    ) -> Result<FuncEnv<'a>> {
        let fuel = match tunables.consume_fuel {
            true => Some(FuelPlan::new(info)?),
            false => None,
        };
        let epoch = match tunables.epoch_interruption {
            true => Some(EpochPlan::new(info)?),
            false => None,
        };
        Ok(FuncEnv {
            info,
            offsets,
            tunables,
            call_conv,
            fuel,
            epoch,
        })
    }
}

/// Translate defined function `defined_index` of `env.info` to CLIF.
///
/// The module must already have been validated; anything unsupported
/// (proposals beyond Wasm 2.0) is reported as an error.
pub fn translate_function(env: &FuncEnv<'_>, defined_index: u32) -> Result<ir::Function> {
    let func_index = env.info.num_imported_funcs + defined_index;
    let ty = env.info.func_type(func_index);
    let mut func =
        ir::Function::with_name_signature(UserFuncName::user(0, func_index), wasm_signature(ty));

    // Cranelift checks the stack pointer against this in every prologue
    // and raises STACK_OVERFLOW itself. The limit is set by the runtime on
    // entry from the host and does not change while wasm runs.
    let vmctx_gv = func.create_global_value(GlobalValueData::VMContext);
    let limit_flags = func
        .dfg
        .mem_flags
        .insert_unchecked(MemFlagsData::trusted().with_readonly());
    let store_context = func.create_global_value(GlobalValueData::Load {
        base: vmctx_gv,
        offset: Offset32::new(STORE_CONTEXT_OFFSET as i32),
        global_type: types::I64,
        flags: limit_flags,
    });
    let limit = func.create_global_value(GlobalValueData::Load {
        base: store_context,
        offset: Offset32::new(STORE_CONTEXT_STACK_LIMIT as i32),
        global_type: types::I64,
        flags: limit_flags,
    });
    func.stack_limit = Some(limit);

    let body = env.info.body(defined_index);
    let mut ctx = FunctionBuilderContext::new();
    let builder = FunctionBuilder::new(&mut func, &mut ctx);
    let mut t = Translator::new(env, builder);
    t.translate_body(defined_index, &body)?;
    t.b.finalize(frontend_config()?);
    Ok(func)
}

/// The host's frontend config, for `FunctionBuilder::finalize` (which only
/// needs it for stack maps, which Kiln does not use: so its calling
/// convention is the host's default, whatever the function's; cargo-mutants
/// showed no test can tell). Built from the host triple because the
/// pointer-width type is not re-exported by Cranelift.
fn frontend_config() -> Result<TargetFrontendConfig> {
    static HOST: OnceLock<Option<TargetFrontendConfig>> = OnceLock::new();
    let host = HOST.get_or_init(|| {
        let builder = cranelift_native::builder().ok()?;
        let triple = builder.triple();
        Some(TargetFrontendConfig {
            default_call_conv: CallConv::triple_default(triple),
            pointer_width: triple.pointer_width().ok()?,
            page_size_align_log2: 12,
        })
    });
    match host {
        Some(config) => Ok(*config),
        None => bail!("the host architecture is not supported by Cranelift"),
    }
}

/// Pointer-sized CLIF type (the engine only targets 64-bit hosts).
const PTR: Type = types::I64;

/// Flags for loads of vmctx fields that are written once at instantiation
/// and never change: they can be freely moved and deduplicated.
fn vmctx_readonly() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}

/// The clif type of a wasmparser value type (`v128` is `I8X16`; every
/// reference, whatever its heap type, is a pointer, 0 being null), as
/// `abi::clif_type` gives it for Kiln's types. Validation admitted only
/// the heap types `types.rs` converts.
fn wasm_clif_type(ty: wasmparser::ValType) -> Type {
    match ty {
        wasmparser::ValType::I32 => types::I32,
        wasmparser::ValType::I64 => types::I64,
        wasmparser::ValType::F32 => types::F32,
        wasmparser::ValType::F64 => types::F64,
        wasmparser::ValType::V128 => types::I8X16,
        wasmparser::ValType::Ref(_) => PTR,
    }
}

/// The operator dispatch: wasmparser calls the `visit_*` method of each
/// operator it decodes. A newtype, so that the `Translator` methods it
/// forwards to can have the same names without a missing one resolving to
/// the trait method (an endless recursion) instead of failing to compile.
struct Dispatch<'t, 'e, 'f>(&'t mut Translator<'e, 'f>);

/// Implements the visit methods of wasmparser's operator list by proposal,
/// in one of two modes. `live` (for `Dispatch`): forwarded to the
/// translator for the proposals Kiln implements, refused for the others
/// (validation rejects most of them first; GC's are valid with
/// `Features::gc`, whose operators Kiln does not implement). `dead` (for
/// `DeadCheck`, run on unreachable code, which is not translated): the same
/// refusals, plus the heap types Kiln refuses in `ref.null`, a typed
/// `select` and block types; nothing else. No catch-all: a proposal that is
/// in neither list is a compile error.
macro_rules! dispatch {
    ($mode:ident $(@$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })?
        => $visit:ident ($($ann:tt)*))*) => {
        $(dispatch!(proposal $proposal $mode $visit [$($($arg: $argty),*)?]);)*
    };
    (proposal mvp $($op:tt)*) => { dispatch!(translate $($op)*); };
    (proposal sign_extension $($op:tt)*) => { dispatch!(translate $($op)*); };
    (proposal saturating_float_to_int $($op:tt)*) => { dispatch!(translate $($op)*); };
    (proposal bulk_memory $($op:tt)*) => { dispatch!(translate $($op)*); };
    (proposal reference_types $($op:tt)*) => { dispatch!(translate $($op)*); };
    (proposal simd $($op:tt)*) => { dispatch!(translate $($op)*); };
    (proposal tail_call $($op:tt)*) => { dispatch!(translate $($op)*); };
    (proposal memory_control $($op:tt)*) => { dispatch!(refuse "memory-control" $($op)*); };
    (proposal threads $($op:tt)*) => { dispatch!(refuse "threads" $($op)*); };
    (proposal gc $($op:tt)*) => { dispatch!(refuse "GC" $($op)*); };
    (proposal custom_descriptors $($op:tt)*) => { dispatch!(refuse "custom-descriptors" $($op)*); };
    (proposal relaxed_simd $($op:tt)*) => { dispatch!(refuse "relaxed-SIMD" $($op)*); };
    (proposal exceptions $($op:tt)*) => { dispatch!(translate $($op)*); };
    (proposal legacy_exceptions $($op:tt)*) => { dispatch!(translate $($op)*); };
    (proposal shared_everything_threads $($op:tt)*) => {
        dispatch!(refuse "shared-everything-threads" $($op)*);
    };
    (proposal function_references $($op:tt)*) => { dispatch!(translate $($op)*); };
    (proposal stack_switching $($op:tt)*) => { dispatch!(refuse "stack-switching" $($op)*); };
    (proposal wide_arithmetic $($op:tt)*) => { dispatch!(translate $($op)*); };
    (proposal acquire_release_atomics $($op:tt)*) => {
        dispatch!(refuse "acquire-release atomics" $($op)*);
    };
    (translate live $visit:ident [$($arg:ident: $argty:ty),*]) => {
        fn $visit(&mut self, $($arg: $argty),*) -> Result<()> {
            self.0.$visit($($arg),*)
        }
    };
    (translate dead visit_ref_null [$arg:ident: $argty:ty]) => {
        fn visit_ref_null(&mut self, $arg: $argty) -> Result<()> {
            crate::types::check_heap_type($arg)
        }
    };
    (translate dead visit_typed_select [$arg:ident: $argty:ty]) => {
        fn visit_typed_select(&mut self, $arg: $argty) -> Result<()> {
            crate::types::check_body_type($arg)
        }
    };
    (translate dead $visit:ident [blockty: $argty:ty]) => {
        fn $visit(&mut self, blockty: $argty) -> Result<()> {
            match blockty {
                wasmparser::BlockType::Type(t) => crate::types::check_body_type(t),
                wasmparser::BlockType::Empty | wasmparser::BlockType::FuncType(_) => Ok(()),
            }
        }
    };
    (translate dead $visit:ident [$($arg:ident: $argty:ty),*]) => {
        fn $visit(&mut self, $($arg: $argty),*) -> Result<()> {
            let _ = ($($arg,)*);
            Ok(())
        }
    };
    (refuse $proposal:literal $mode:ident $visit:ident [$($arg:ident: $argty:ty),*]) => {
        fn $visit(&mut self, $($arg: $argty),*) -> Result<()> {
            let _ = ($($arg,)*);
            unsupported($proposal, stringify!($visit))
        }
    };
}

macro_rules! dispatch_live {
    ($($op:tt)*) => { dispatch!(live $($op)*); };
}

macro_rules! dispatch_dead {
    ($($op:tt)*) => { dispatch!(dead $($op)*); };
}

impl<'a> VisitOperator<'a> for Dispatch<'_, '_, '_> {
    type Output = Result<()>;

    fn simd_visitor(&mut self) -> Option<&mut dyn VisitSimdOperator<'a, Output = Result<()>>> {
        Some(self)
    }

    wasmparser::for_each_visit_operator!(dispatch_live);
}

impl<'a> VisitSimdOperator<'a> for Dispatch<'_, '_, '_> {
    wasmparser::for_each_visit_simd_operator!(dispatch_live);
}

/// The check of an operator in unreachable code, which is followed only for
/// its nesting: what `Dispatch` would refuse is refused there too, so that
/// whether a module compiles does not depend on reachability.
struct DeadCheck;

impl<'a> VisitOperator<'a> for DeadCheck {
    type Output = Result<()>;

    fn simd_visitor(&mut self) -> Option<&mut dyn VisitSimdOperator<'a, Output = Result<()>>> {
        Some(self)
    }

    wasmparser::for_each_visit_operator!(dispatch_dead);
}

impl<'a> VisitSimdOperator<'a> for DeadCheck {
    wasmparser::for_each_visit_simd_operator!(dispatch_dead);
}

/// The error for an operator of a proposal Kiln does not implement.
#[cold]
fn unsupported(proposal: &str, visit: &str) -> Result<()> {
    let op = visit.strip_prefix("visit_").unwrap_or(visit);
    bail!("unsupported: {proposal} operator `{op}`")
}

struct Translator<'e, 'f> {
    env: &'e FuncEnv<'e>,
    b: FunctionBuilder<'f>,
    /// The function's own vmctx (first parameter); defined in the entry
    /// block, so usable everywhere.
    vmctx: Value,
    /// The wasm operand stack.
    stack: Vec<Value>,
    /// Open blocks, the function body itself at the bottom.
    control: Vec<Frame>,
    /// Open `try_table`s, innermost last.
    handlers: Vec<exceptions::TryHandler>,
    /// Whether the current position can be executed. When false, the
    /// builder's current block is already terminated and operators are
    /// skipped until the `else`/`end` that makes code reachable again.
    reachable: bool,
    /// Number of blocks opened while unreachable whose `end` is pending;
    /// they produce no frames.
    skipped_depth: u32,
    locals: Vec<Variable>,
    /// Imported signatures of wasm types, by type index.
    sig_refs: HashMap<u32, SigRef>,
    /// Direct-call references to defined functions, by function index.
    func_refs: HashMap<u32, FuncRef>,
    builtin_sigs: HashMap<Builtin, SigRef>,
    /// The epoch stub's signature, once imported.
    epoch_stub_sig: Option<SigRef>,
    /// This function's fuel charges, when fuel is on.
    fuel: Option<&'e fuel::FuelCosts>,
    /// What this function's epoch checks share, when it has any.
    epoch: Option<epoch::EpochState<'e>>,
    /// The loop whose body is being copied, if any (`unroll.rs`).
    unroll: Option<unroll::Unroll>,
    /// Position of the operator being translated in the body (what
    /// `FuelCosts::loops` is keyed by).
    op_index: usize,
}

impl<'e, 'f> Translator<'e, 'f> {
    fn new(env: &'e FuncEnv<'e>, b: FunctionBuilder<'f>) -> Self {
        Translator {
            env,
            b,
            // Set from the entry block's first parameter in `translate_body`.
            vmctx: Value::reserved_value(),
            stack: Vec::new(),
            control: Vec::new(),
            handlers: Vec::new(),
            reachable: true,
            skipped_depth: 0,
            locals: Vec::new(),
            sig_refs: HashMap::new(),
            func_refs: HashMap::new(),
            builtin_sigs: HashMap::new(),
            epoch_stub_sig: None,
            fuel: None,
            epoch: None,
            unroll: None,
            op_index: 0,
        }
    }

    fn translate_body(
        &mut self,
        defined_index: u32,
        body: &wasmparser::FunctionBody<'_>,
    ) -> Result<()> {
        let info = self.env.info;
        let ty = info.func_type(info.num_imported_funcs + defined_index);

        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        self.b.seal_block(entry);
        let params = self.b.block_params(entry).to_vec();
        self.vmctx = params[0];

        // Parameters, then declared locals zero-initialised.
        for (&val, wty) in params[2..].iter().zip(ty.params()) {
            let var = self.b.declare_var(clif_type(wty));
            self.b.def_var(var, val);
            self.locals.push(var);
        }
        let mut locals = body.get_locals_reader()?;
        for _ in 0..locals.get_count() {
            let (count, wty) = locals.read()?;
            // Non-nullable reference locals start as null too: validation
            // ensures none is read before it is set.
            crate::types::check_body_type(wty)?;
            let cty = wasm_clif_type(wty);
            for _ in 0..count {
                let var = self.b.declare_var(cty);
                let zero = self.zero(cty);
                self.b.def_var(var, zero);
                self.locals.push(var);
            }
        }

        let mut reader = body.get_operators_reader()?;
        let env = self.env;
        if let Some(plan) = &env.fuel {
            let costs = plan.costs(defined_index);
            // Leaves charge nothing: their direct callers pay.
            if costs.entry > 0 {
                self.consume_fuel(costs.entry);
            }
            self.fuel = Some(costs);
        }
        if let Some(plan) = &env.epoch {
            self.epoch_function_entry(plan.checks(defined_index));
        }

        let results: Vec<Type> = ty.results().iter().map(clif_type).collect();
        self.push_function_frame(results);

        // Where the body of the loop being copied starts, once it has.
        let mut copied_body = None;
        while !reader.eof() {
            self.b
                .set_srcloc(SourceLoc::new(reader.original_position() as u32));
            if self.reachable {
                reader.visit_operator(&mut Dispatch(self))??;
            } else {
                reader.clone().visit_operator(&mut DeadCheck)??;
                let op = reader.read()?;
                self.skip_unreachable(&op);
            }
            self.op_index += 1;
            match &mut self.unroll {
                None => copied_body = None,
                Some(_) if copied_body.is_none() => {
                    copied_body = Some((reader.clone(), self.op_index));
                }
                Some(u) if u.rewind => {
                    u.rewind = false;
                    let (body, index) = copied_body.clone().expect("set at the loop");
                    reader = body;
                    self.op_index = index;
                }
                Some(_) => {}
            }
        }
        if !self.control.is_empty() {
            bail!("function body ended with open blocks");
        }
        Ok(())
    }

    // ---- operand stack ----

    fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    fn pop(&mut self) -> Value {
        self.stack
            .pop()
            .expect("operand stack underflow (module not validated?)")
    }

    fn pop2(&mut self) -> (Value, Value) {
        let y = self.pop();
        let x = self.pop();
        (x, y)
    }

    fn pop3(&mut self) -> (Value, Value, Value) {
        let z = self.pop();
        let (x, y) = self.pop2();
        (x, y, z)
    }

    /// Pops the top `n` values, in stack order.
    fn popn(&mut self, n: usize) -> Vec<Value> {
        let at = self.stack.len() - n;
        self.stack.split_off(at)
    }

    /// The top `n` values, in stack order, left on the stack.
    fn peekn(&self, n: usize) -> &[Value] {
        &self.stack[self.stack.len() - n..]
    }

    fn peek(&self) -> Value {
        *self.stack.last().expect("operand stack underflow")
    }

    fn unop(&mut self, f: impl FnOnce(&mut FunctionBuilder<'f>, Value) -> Value) {
        let x = self.pop();
        let v = f(&mut self.b, x);
        self.push(v);
    }

    fn binop(&mut self, f: impl FnOnce(&mut FunctionBuilder<'f>, Value, Value) -> Value) {
        let (x, y) = self.pop2();
        let v = f(&mut self.b, x, y);
        self.push(v);
    }

    fn icmp(&mut self, cc: IntCC) {
        self.binop(|b, x, y| {
            let c = b.ins().icmp(cc, x, y);
            b.ins().uextend(types::I32, c)
        });
    }

    fn fcmp(&mut self, cc: FloatCC) {
        self.binop(|b, x, y| {
            let c = b.ins().fcmp(cc, x, y);
            b.ins().uextend(types::I32, c)
        });
    }

    // ---- shared helpers ----

    fn zero(&mut self, ty: Type) -> Value {
        match ty {
            types::F32 => self.b.ins().f32const(Ieee32::with_bits(0)),
            types::F64 => self.b.ins().f64const(Ieee64::with_bits(0)),
            ty if ty.is_vector() => {
                let zero = self.b.func.dfg.constants.insert(vec![0; 16].into());
                self.b.ins().vconst(ty, zero)
            }
            _ => self.b.ins().iconst(ty, 0),
        }
    }

    fn i32_const(&mut self, v: u32) -> Value {
        self.b.ins().iconst(types::I32, i64::from(v))
    }

    /// Loads a pointer stored in the vmctx at `offset` that never changes
    /// after instantiation.
    fn vmctx_ptr(&mut self, offset: u32) -> Value {
        self.b
            .ins()
            .load(PTR, vmctx_readonly(), self.vmctx, offset as i32)
    }

    fn op_select(&mut self) {
        let (x, y, c) = self.pop3();
        let v = self.b.ins().select(c, x, y);
        self.push(v);
    }

    /// Where global `index` lives: an address and an offset from it. A
    /// defined global is inline in the vmctx; an imported one is behind
    /// the pointer the vmctx holds for it.
    fn global_addr(&mut self, index: u32) -> (Value, i32) {
        let imported = self.env.info.num_imported_globals;
        if index < imported {
            let ptr = self.vmctx_ptr(self.env.offsets.imported_global(index));
            (ptr, 0)
        } else {
            let offset = self.env.offsets.defined_global(index - imported);
            (self.vmctx, offset as i32)
        }
    }

    fn op_global_get(&mut self, index: u32) {
        let global = &self.env.info.globals[index as usize];
        let ty = clif_type(&global.ty.content);
        // Immutable globals never change once initialised.
        let flags = match global.ty.mutability {
            Mutability::Const => vmctx_readonly(),
            Mutability::Var => MemFlagsData::trusted(),
        };
        let (base, offset) = self.global_addr(index);
        let v = self.b.ins().load(ty, flags, base, offset);
        self.push(v);
    }

    fn op_global_set(&mut self, index: u32) {
        let v = self.pop();
        let (base, offset) = self.global_addr(index);
        self.b.ins().store(MemFlagsData::trusted(), v, base, offset);
    }

    // ---- parametric and variable operators ----

    operators! { t;
        visit_drop => {
            t.pop();
        };
        visit_select => t.op_select();
        // The type only matters to validation.
        visit_typed_select(ty: wasmparser::ValType) => {
            crate::types::check_body_type(ty)?;
            t.op_select()
        };
        visit_typed_select_multi(tys: Vec<wasmparser::ValType>) => {
            // Multi-result `select` is parsed but invalid.
            if tys.len() != 1 {
                bail!("unsupported: `select` with {} result types", tys.len());
            }
            t.op_select()
        };
        visit_local_get(local_index: u32) => {
            let v = t.b.use_var(t.locals[local_index as usize]);
            t.push(v)
        };
        visit_local_set(local_index: u32) => {
            let v = t.pop();
            t.b.def_var(t.locals[local_index as usize], v)
        };
        visit_local_tee(local_index: u32) => {
            let v = t.peek();
            t.b.def_var(t.locals[local_index as usize], v)
        };
        visit_global_get(global_index: u32) => t.op_global_get(global_index);
        visit_global_set(global_index: u32) => t.op_global_set(global_index);
    }
}
