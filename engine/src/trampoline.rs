//! Trampolines between the host's calling convention and wasm's, one pair
//! per function type, compiled once per engine and cached.
//!
//! - *array call* (host → wasm): `extern "C" fn(code, callee_vmctx,
//!   caller_vmctx, values: *mut ValRaw)` loads the arguments from `values`,
//!   calls `code` with the wasm signature (an ordinary call from the host's
//!   convention into the `tail` one), and stores the results back.
//! - *host call* (wasm → host): has the wasm signature, so it can sit in a
//!   `VMFuncRef` like any wasm function, and be reached by a wasm tail call
//!   too (its frame then replaces the caller's, and it returns to the
//!   caller's caller). It spills the arguments to a stack array and calls
//!   the shim at offset 0 of its callee vmctx (a `HostFuncCtx`) in the
//!   host's convention; a non-zero status means the host function failed
//!   and the trampoline traps with `HOST_ERROR` (the error waits in the
//!   store), or threw an exception, which it throws on to its caller.
//!
//! And one stub per engine with epochs on, `epoch_stub`: what compiled code
//! calls when the epoch deadline has passed.

use crate::abi::{clif_type, epoch_stub_signature, wasm_signature};
use crate::compile::{self, CompiledFunc, LinkedCode};
use crate::types::FuncType;
use crate::vm::builtins::{Builtin, epoch_status_traps};
use crate::vm::registry::CodeInfo;
use crate::vm::trap_codes;
use crate::vm::vmctx::BUILTINS_OFFSET;
use anyhow::Result;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    self, AbiParam, InstBuilder, MemFlagsData, StackSlotData, StackSlotKind, types,
};
use cranelift_codegen::isa::TargetIsa;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

/// Size of one value slot in the arrays trampolines use.
pub const VAL_RAW_SIZE: u32 = 16;

/// Signature of the array-call trampoline, as Rust calls it.
pub type ArrayCallFn = unsafe extern "C" fn(
    code: *const u8,
    callee_vmctx: *mut u8,
    caller_vmctx: *mut u8,
    values: *mut u128,
);

/// Signature of the shim a host-call trampoline calls.
pub type HostShimFn =
    unsafe extern "C" fn(ctx: *mut u8, caller_vmctx: *mut u8, values: *mut u128, len: usize) -> u32;

/// Both trampolines of one function type.
pub struct Trampolines {
    code: LinkedCode,
}

impl Trampolines {
    pub fn array_call(&self) -> ArrayCallFn {
        // SAFETY: function 0 was compiled with exactly this signature.
        unsafe { std::mem::transmute::<*const u8, ArrayCallFn>(self.code.func_ptr(0)) }
    }

    /// Entry point, with the wasm signature, that calls a host function.
    pub fn host_call(&self) -> *const u8 {
        self.code.func_ptr(1)
    }
}

pub fn compile(isa: &dyn TargetIsa, ty: &FuncType) -> Result<Trampolines> {
    let funcs = [array_call(isa, ty)?, host_call(isa, ty)?];
    let code = compile::publish(&compile::layout(&funcs, |_| None)?, CodeInfo::default())?;
    Ok(Trampolines { code })
}

/// `fn(vmctx)` in Cranelift's `preserve_all` convention: calls the
/// `new_epoch` builtin (in the host's convention) and traps on its status
/// (`INTERRUPT`, or `HOST_ERROR` with the policy's error pending), else
/// returns, the deadline moved. It saves every register the builtin may
/// clobber, so a call of it costs the calling loop nothing while the
/// deadline is ahead: values stay in caller-saved registers across it.
pub fn epoch_stub(isa: &dyn TargetIsa) -> Result<LinkedCode> {
    let mut func =
        ir::Function::with_name_signature(ir::UserFuncName::default(), epoch_stub_signature());
    let mut fctx = FunctionBuilderContext::new();
    let (mut b, params) = start(&mut func, &mut fctx);
    let vmctx = params[0];
    let flags = MemFlagsData::trusted();
    let table = b
        .ins()
        .load(isa.pointer_type(), flags, vmctx, BUILTINS_OFFSET as i32);
    let new_epoch = b.ins().load(
        isa.pointer_type(),
        flags,
        table,
        Builtin::NewEpoch.table_offset(),
    );
    let sig = b.import_signature(Builtin::NewEpoch.signature(isa.default_call_conv()));
    let call = b.ins().call_indirect(sig, new_epoch, &[vmctx]);
    let status = b.inst_results(call)[0];
    for (value, code) in epoch_status_traps() {
        let hit = b.ins().icmp_imm_s(IntCC::Equal, status, value);
        b.ins().trapnz(hit, code);
    }
    b.ins().return_(&[]);
    b.finalize(isa.frontend_config());
    let stub = compile::compile_function(isa, func, |_| None)?;
    compile::publish(&compile::layout(&[stub], |_| None)?, CodeInfo::default())
}

/// A builder positioned in `func`'s (only) block, and the parameters.
fn start<'a>(
    func: &'a mut ir::Function,
    fctx: &'a mut FunctionBuilderContext,
) -> (FunctionBuilder<'a>, Vec<ir::Value>) {
    let mut b = FunctionBuilder::new(func, fctx);
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    b.seal_block(block);
    let params = b.block_params(block).to_vec();
    (b, params)
}

fn array_call(isa: &dyn TargetIsa, ty: &FuncType) -> Result<CompiledFunc> {
    let call_conv = isa.default_call_conv();
    let ptr = isa.pointer_type();
    let mut sig = ir::Signature::new(call_conv);
    sig.params.extend([AbiParam::new(ptr); 4]);
    let mut func = ir::Function::with_name_signature(ir::UserFuncName::default(), sig);
    let mut fctx = FunctionBuilderContext::new();
    let (mut b, params) = start(&mut func, &mut fctx);
    let [code, callee_vmctx, caller_vmctx, values] = params[..].try_into().unwrap();
    let flags = MemFlagsData::trusted();
    let mut args = vec![callee_vmctx, caller_vmctx];
    for (i, p) in ty.params().iter().enumerate() {
        args.push(b.ins().load(
            clif_type(p),
            flags,
            values,
            (i as u32 * VAL_RAW_SIZE) as i32,
        ));
    }
    let callee_sig = b.import_signature(wasm_signature(ty));
    let call = b.ins().call_indirect(callee_sig, code, &args);
    let results = b.inst_results(call).to_vec();
    for (i, r) in results.into_iter().enumerate() {
        b.ins()
            .store(flags, r, values, (i as u32 * VAL_RAW_SIZE) as i32);
    }
    b.ins().return_(&[]);
    b.finalize(isa.frontend_config());
    compile::compile_function(isa, func, |_| None)
}

fn host_call(isa: &dyn TargetIsa, ty: &FuncType) -> Result<CompiledFunc> {
    let call_conv = isa.default_call_conv();
    let ptr = isa.pointer_type();
    let mut func =
        ir::Function::with_name_signature(ir::UserFuncName::default(), wasm_signature(ty));
    let mut fctx = FunctionBuilderContext::new();
    let (mut b, params) = start(&mut func, &mut fctx);
    let (ctx, caller_vmctx, args) = (params[0], params[1], &params[2..]);
    let len = ty.params().len().max(ty.results().len()).max(1) as u32;
    let slot = b.create_sized_stack_slot(StackSlotData::new(
        StackSlotKind::ExplicitSlot,
        len * VAL_RAW_SIZE,
        4,
    ));
    let values = b.ins().stack_addr(ptr, slot, 0);
    let flags = MemFlagsData::trusted();
    for (i, &a) in args.iter().enumerate() {
        b.ins()
            .store(flags, a, values, (i as u32 * VAL_RAW_SIZE) as i32);
    }
    let mut shim_sig = ir::Signature::new(call_conv);
    shim_sig.params.extend([AbiParam::new(ptr); 4]);
    shim_sig.returns.push(AbiParam::new(types::I32));
    let shim_sig = b.import_signature(shim_sig);
    let shim = b.ins().load(ptr, flags, ctx, 0);
    let n = b.ins().iconst(ptr, i64::from(len));
    let call = b
        .ins()
        .call_indirect(shim_sig, shim, &[ctx, caller_vmctx, values, n]);
    let status = b.inst_results(call)[0];
    // Status 0: results in `values`; `HOST_THROW`: the host threw the
    // store's pending exception, thrown on from this frame to the
    // caller's handlers (the `throw` builtin returns only if there are
    // none, the exception then pending); else: the error is pending.
    let (failed, done) = (b.create_block(), b.create_block());
    b.ins().brif(status, failed, &[], done, &[]);
    b.switch_to_block(failed);
    let is_throw = b
        .ins()
        .icmp_imm_u(IntCC::Equal, status, i64::from(crate::func::HOST_THROW));
    let (throw, trap) = (b.create_block(), b.create_block());
    b.ins().brif(is_throw, throw, &[], trap, &[]);
    b.switch_to_block(throw);
    let throw_sig = b.import_signature(Builtin::Throw.signature(call_conv));
    let builtins = b
        .ins()
        .load(ptr, flags, caller_vmctx, BUILTINS_OFFSET as i32);
    let throw_fn = b
        .ins()
        .load(ptr, flags, builtins, Builtin::Throw.table_offset());
    let pending = b.ins().iconst(ptr, 0);
    let fp = b.ins().get_frame_pointer(ptr);
    b.ins()
        .call_indirect(throw_sig, throw_fn, &[caller_vmctx, pending, fp]);
    b.ins().jump(trap, &[]);
    b.switch_to_block(trap);
    b.ins().trap(trap_codes::HOST_ERROR);
    b.switch_to_block(done);
    let results: Vec<_> = ty
        .results()
        .iter()
        .enumerate()
        .map(|(i, r)| {
            b.ins().load(
                clif_type(r),
                flags,
                values,
                (i as u32 * VAL_RAW_SIZE) as i32,
            )
        })
        .collect();
    b.ins().return_(&results);
    b.seal_all_blocks();
    b.finalize(isa.frontend_config());
    compile::compile_function(isa, func, |_| None)
}
