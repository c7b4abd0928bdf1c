//! Wasm → Cranelift IR translation of one function body.
//!
//! `translate_function` is the entry point. This file owns the translator
//! state (operand stack, locals, caches of imported signatures and
//! functions), the one operator dispatch (`Translator::translate_op`), and
//! the helpers every family shares (vmctx loads, operand-stack access).
//! Per-family code lives in the submodules:
//!
//! - `control`: structured control flow, branches and reachability
//! - `numeric`: arithmetic that needs more than one CLIF instruction
//! - `memory`: linear-memory addressing, bounds checks, bulk memory
//! - `table`: tables and references
//! - `calls`: direct, imported and indirect calls, builtin calls
//! - `fuel`: fuel metering
//! - `simd`: fixed-width SIMD (`v128`)

mod calls;
mod control;
mod fuel;
mod memory;
mod numeric;
mod simd;
mod table;
#[cfg(test)]
mod tests;

use crate::abi::{clif_type, wasm_signature};
use crate::builtins::Builtin;
use crate::config::Tunables;
use crate::info::ModuleInfo;
use crate::trap::ir_codes;
use crate::types::{Mutability, val_type_from};
use crate::vmctx::{STORE_CONTEXT_OFFSET, STORE_CONTEXT_STACK_LIMIT, VMOffsets};
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
use wasmparser::Operator;

use control::Frame;
use memory::{LoadKind, StoreKind};

/// What the translator needs to know about the module and the engine.
pub struct FuncEnv<'a> {
    pub info: &'a ModuleInfo,
    pub offsets: &'a VMOffsets,
    pub tunables: &'a Tunables,
    pub call_conv: CallConv,
}

/// Translate defined function `defined_index` of `env.info` to CLIF.
///
/// The module must already have been validated; anything unsupported
/// (proposals beyond Wasm 2.0) is reported as an error.
pub fn translate_function(env: &FuncEnv<'_>, defined_index: u32) -> Result<ir::Function> {
    let func_index = env.info.num_imported_funcs + defined_index;
    let ty = env.info.func_type(func_index);
    let mut func = ir::Function::with_name_signature(
        UserFuncName::user(0, func_index),
        wasm_signature(env.call_conv, ty),
    );

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
    t.translate_body(func_index, &body)?;
    t.b.finalize(frontend_config(env.call_conv)?);
    Ok(func)
}

/// The host's frontend config, for `FunctionBuilder::finalize` (which only
/// needs it for stack maps, which Kiln does not use). Built from the host
/// triple because the pointer-width type is not re-exported by Cranelift.
fn frontend_config(call_conv: CallConv) -> Result<TargetFrontendConfig> {
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
        Some(config) => Ok(TargetFrontendConfig {
            default_call_conv: call_conv,
            ..*config
        }),
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

/// The clif type of a wasmparser value type (`v128` is `I8X16`).
fn wasm_clif_type(ty: wasmparser::ValType) -> Result<Type> {
    Ok(clif_type(val_type_from(ty)?))
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
            reachable: true,
            skipped_depth: 0,
            locals: Vec::new(),
            sig_refs: HashMap::new(),
            func_refs: HashMap::new(),
            builtin_sigs: HashMap::new(),
        }
    }

    fn translate_body(
        &mut self,
        func_index: u32,
        body: &wasmparser::FunctionBody<'_>,
    ) -> Result<()> {
        let info = self.env.info;
        let ty = info.func_type(func_index);

        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        self.b.seal_block(entry);
        let params = self.b.block_params(entry).to_vec();
        self.vmctx = params[0];

        // Parameters, then declared locals zero-initialised.
        for (&val, &wty) in params[2..].iter().zip(ty.params()) {
            let var = self.b.declare_var(clif_type(wty));
            self.b.def_var(var, val);
            self.locals.push(var);
        }
        let mut locals = body.get_locals_reader()?;
        for _ in 0..locals.get_count() {
            let (count, wty) = locals.read()?;
            let cty = wasm_clif_type(wty)?;
            for _ in 0..count {
                let var = self.b.declare_var(cty);
                let zero = self.zero(cty);
                self.b.def_var(var, zero);
                self.locals.push(var);
            }
        }

        // The whole body is read up front so fuel costs of loops can be
        // computed before their headers are emitted.
        let mut reader = body.get_operators_reader()?;
        let mut ops = Vec::new();
        while !reader.eof() {
            ops.push(reader.read_with_offset()?);
        }
        let costs = if self.env.tunables.consume_fuel {
            let costs = fuel::FuelCosts::new(ops.iter().map(|(op, _)| op));
            self.consume_fuel(costs.entry);
            Some(costs)
        } else {
            None
        };

        let results: Vec<Type> = ty.results().iter().map(|&t| clif_type(t)).collect();
        self.push_function_frame(results);

        for (i, (op, offset)) in ops.into_iter().enumerate() {
            self.b.set_srcloc(SourceLoc::new(offset as u32));
            let loop_cost = costs.as_ref().and_then(|c| c.loops.get(&i).copied());
            self.translate_op(op, loop_cost)?;
        }
        if !self.control.is_empty() {
            bail!("function body ended with open blocks");
        }
        Ok(())
    }

    /// The single operator dispatch. `loop_cost` is the fuel to charge if
    /// `op` is a loop and fuel is on.
    fn translate_op(&mut self, op: Operator<'_>, loop_cost: Option<u64>) -> Result<()> {
        use Operator as O;
        if !self.reachable {
            match op {
                O::Block { .. } | O::Loop { .. } | O::If { .. } => {
                    self.skipped_depth += 1;
                    return Ok(());
                }
                O::End if self.skipped_depth > 0 => {
                    self.skipped_depth -= 1;
                    return Ok(());
                }
                // `else`/`end` of an open frame: handled below.
                O::Else | O::End if self.skipped_depth == 0 => {}
                _ => return Ok(()),
            }
        }

        match op {
            // ---- control ----
            O::Unreachable => {
                self.b.ins().trap(ir_codes::UNREACHABLE);
                self.reachable = false;
            }
            O::Nop => {}
            O::Block { blockty } => self.op_block(blockty)?,
            O::Loop { blockty } => self.op_loop(blockty, loop_cost)?,
            O::If { blockty } => self.op_if(blockty)?,
            O::Else => self.op_else(),
            O::End => self.op_end(),
            O::Br { relative_depth } => self.op_br(relative_depth),
            O::BrIf { relative_depth } => self.op_br_if(relative_depth),
            O::BrTable { targets } => self.op_br_table(&targets)?,
            O::Return => self.op_return(),
            O::Call { function_index } => self.op_call(function_index),
            O::CallIndirect {
                type_index,
                table_index,
            } => self.op_call_indirect(type_index, table_index),
            O::Drop => {
                self.pop();
            }
            O::Select | O::TypedSelect { .. } => {
                let (x, y, c) = self.pop3();
                let v = self.b.ins().select(c, x, y);
                self.push(v);
            }
            O::TypedSelectMulti { ref tys } if tys.len() == 1 => {
                let (x, y, c) = self.pop3();
                let v = self.b.ins().select(c, x, y);
                self.push(v);
            }

            // ---- locals and globals ----
            O::LocalGet { local_index } => {
                let v = self.b.use_var(self.locals[local_index as usize]);
                self.push(v);
            }
            O::LocalSet { local_index } => {
                let v = self.pop();
                self.b.def_var(self.locals[local_index as usize], v);
            }
            O::LocalTee { local_index } => {
                let v = self.peek();
                self.b.def_var(self.locals[local_index as usize], v);
            }
            O::GlobalGet { global_index } => self.op_global_get(global_index),
            O::GlobalSet { global_index } => self.op_global_set(global_index),

            // ---- memory ----
            O::I32Load { memarg } => self.op_load(&memarg, LoadKind::Plain(types::I32))?,
            O::I64Load { memarg } => self.op_load(&memarg, LoadKind::Plain(types::I64))?,
            O::F32Load { memarg } => self.op_load(&memarg, LoadKind::Plain(types::F32))?,
            O::F64Load { memarg } => self.op_load(&memarg, LoadKind::Plain(types::F64))?,
            O::I32Load8S { memarg } => self.op_load(&memarg, LoadKind::S8(types::I32))?,
            O::I32Load8U { memarg } => self.op_load(&memarg, LoadKind::U8(types::I32))?,
            O::I32Load16S { memarg } => self.op_load(&memarg, LoadKind::S16(types::I32))?,
            O::I32Load16U { memarg } => self.op_load(&memarg, LoadKind::U16(types::I32))?,
            O::I64Load8S { memarg } => self.op_load(&memarg, LoadKind::S8(types::I64))?,
            O::I64Load8U { memarg } => self.op_load(&memarg, LoadKind::U8(types::I64))?,
            O::I64Load16S { memarg } => self.op_load(&memarg, LoadKind::S16(types::I64))?,
            O::I64Load16U { memarg } => self.op_load(&memarg, LoadKind::U16(types::I64))?,
            O::I64Load32S { memarg } => self.op_load(&memarg, LoadKind::S32)?,
            O::I64Load32U { memarg } => self.op_load(&memarg, LoadKind::U32)?,
            O::I32Store { memarg } => self.op_store(&memarg, StoreKind::Plain(4))?,
            O::I64Store { memarg } => self.op_store(&memarg, StoreKind::Plain(8))?,
            O::F32Store { memarg } => self.op_store(&memarg, StoreKind::Plain(4))?,
            O::F64Store { memarg } => self.op_store(&memarg, StoreKind::Plain(8))?,
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => {
                self.op_store(&memarg, StoreKind::Narrow8)?
            }
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => {
                self.op_store(&memarg, StoreKind::Narrow16)?
            }
            O::I64Store32 { memarg } => self.op_store(&memarg, StoreKind::Narrow32)?,
            O::MemorySize { mem } => self.op_memory_size(mem),
            O::MemoryGrow { mem } => self.op_memory_grow(mem),
            O::MemoryFill { mem } => self.op_memory_fill(mem),
            O::MemoryCopy { dst_mem, src_mem } => self.op_memory_copy(dst_mem, src_mem),
            O::MemoryInit { data_index, mem } => self.op_memory_init(mem, data_index),
            O::DataDrop { data_index } => self.op_data_drop(data_index),

            // ---- tables and references ----
            O::TableGet { table } => self.op_table_get(table),
            O::TableSet { table } => self.op_table_set(table),
            O::TableSize { table } => self.op_table_size(table),
            O::TableGrow { table } => self.op_table_grow(table),
            O::TableFill { table } => self.op_table_fill(table),
            O::TableCopy {
                dst_table,
                src_table,
            } => self.op_table_copy(dst_table, src_table),
            O::TableInit { elem_index, table } => self.op_table_init(table, elem_index),
            O::ElemDrop { elem_index } => self.op_elem_drop(elem_index),
            O::RefNull { .. } => {
                let v = self.b.ins().iconst(PTR, 0);
                self.push(v);
            }
            O::RefIsNull => self.unop(|b, x| {
                let c = b.ins().icmp_imm_u(IntCC::Equal, x, 0);
                b.ins().uextend(types::I32, c)
            }),
            O::RefFunc { function_index } => self.op_ref_func(function_index),

            // ---- constants ----
            O::I32Const { value } => {
                let v = self.b.ins().iconst(types::I32, i64::from(value as u32));
                self.push(v);
            }
            O::I64Const { value } => {
                let v = self.b.ins().iconst(types::I64, value);
                self.push(v);
            }
            O::F32Const { value } => {
                let v = self.b.ins().f32const(Ieee32::with_bits(value.bits()));
                self.push(v);
            }
            O::F64Const { value } => {
                let v = self.b.ins().f64const(Ieee64::with_bits(value.bits()));
                self.push(v);
            }

            // ---- integer comparisons ----
            O::I32Eqz | O::I64Eqz => self.unop(|b, x| {
                let c = b.ins().icmp_imm_u(IntCC::Equal, x, 0);
                b.ins().uextend(types::I32, c)
            }),
            O::I32Eq | O::I64Eq => self.icmp(IntCC::Equal),
            O::I32Ne | O::I64Ne => self.icmp(IntCC::NotEqual),
            O::I32LtS | O::I64LtS => self.icmp(IntCC::SignedLessThan),
            O::I32LtU | O::I64LtU => self.icmp(IntCC::UnsignedLessThan),
            O::I32GtS | O::I64GtS => self.icmp(IntCC::SignedGreaterThan),
            O::I32GtU | O::I64GtU => self.icmp(IntCC::UnsignedGreaterThan),
            O::I32LeS | O::I64LeS => self.icmp(IntCC::SignedLessThanOrEqual),
            O::I32LeU | O::I64LeU => self.icmp(IntCC::UnsignedLessThanOrEqual),
            O::I32GeS | O::I64GeS => self.icmp(IntCC::SignedGreaterThanOrEqual),
            O::I32GeU | O::I64GeU => self.icmp(IntCC::UnsignedGreaterThanOrEqual),

            // ---- float comparisons (ordered except `ne`, as wasm says) ----
            O::F32Eq | O::F64Eq => self.fcmp(FloatCC::Equal),
            O::F32Ne | O::F64Ne => self.fcmp(FloatCC::NotEqual),
            O::F32Lt | O::F64Lt => self.fcmp(FloatCC::LessThan),
            O::F32Gt | O::F64Gt => self.fcmp(FloatCC::GreaterThan),
            O::F32Le | O::F64Le => self.fcmp(FloatCC::LessThanOrEqual),
            O::F32Ge | O::F64Ge => self.fcmp(FloatCC::GreaterThanOrEqual),

            // ---- integer arithmetic ----
            O::I32Clz | O::I64Clz => self.unop(|b, x| b.ins().clz(x)),
            O::I32Ctz | O::I64Ctz => self.unop(|b, x| b.ins().ctz(x)),
            O::I32Popcnt | O::I64Popcnt => self.unop(|b, x| b.ins().popcnt(x)),
            O::I32Add | O::I64Add => self.binop(|b, x, y| b.ins().iadd(x, y)),
            O::I32Sub | O::I64Sub => self.binop(|b, x, y| b.ins().isub(x, y)),
            O::I32Mul | O::I64Mul => self.binop(|b, x, y| b.ins().imul(x, y)),
            O::I32DivS | O::I64DivS => self.binop(numeric::div_s),
            O::I32DivU | O::I64DivU => self.binop(numeric::div_u),
            O::I32RemS | O::I64RemS => self.binop(numeric::rem_s),
            O::I32RemU | O::I64RemU => self.binop(numeric::rem_u),
            O::I32And | O::I64And => self.binop(|b, x, y| b.ins().band(x, y)),
            O::I32Or | O::I64Or => self.binop(|b, x, y| b.ins().bor(x, y)),
            O::I32Xor | O::I64Xor => self.binop(|b, x, y| b.ins().bxor(x, y)),
            // Cranelift masks shift and rotate amounts by the bit width,
            // exactly as wasm does.
            O::I32Shl | O::I64Shl => self.binop(|b, x, y| b.ins().ishl(x, y)),
            O::I32ShrS | O::I64ShrS => self.binop(|b, x, y| b.ins().sshr(x, y)),
            O::I32ShrU | O::I64ShrU => self.binop(|b, x, y| b.ins().ushr(x, y)),
            O::I32Rotl | O::I64Rotl => self.binop(|b, x, y| b.ins().rotl(x, y)),
            O::I32Rotr | O::I64Rotr => self.binop(|b, x, y| b.ins().rotr(x, y)),

            // ---- float arithmetic (Cranelift's ops have wasm semantics) ----
            O::F32Abs | O::F64Abs => self.unop(|b, x| b.ins().fabs(x)),
            O::F32Neg | O::F64Neg => self.unop(|b, x| b.ins().fneg(x)),
            O::F32Ceil | O::F64Ceil => self.unop(|b, x| b.ins().ceil(x)),
            O::F32Floor | O::F64Floor => self.unop(|b, x| b.ins().floor(x)),
            O::F32Trunc | O::F64Trunc => self.unop(|b, x| b.ins().trunc(x)),
            O::F32Nearest | O::F64Nearest => self.unop(|b, x| b.ins().nearest(x)),
            O::F32Sqrt | O::F64Sqrt => self.unop(|b, x| b.ins().sqrt(x)),
            O::F32Add | O::F64Add => self.binop(|b, x, y| b.ins().fadd(x, y)),
            O::F32Sub | O::F64Sub => self.binop(|b, x, y| b.ins().fsub(x, y)),
            O::F32Mul | O::F64Mul => self.binop(|b, x, y| b.ins().fmul(x, y)),
            O::F32Div | O::F64Div => self.binop(|b, x, y| b.ins().fdiv(x, y)),
            O::F32Min | O::F64Min => self.binop(|b, x, y| b.ins().fmin(x, y)),
            O::F32Max | O::F64Max => self.binop(|b, x, y| b.ins().fmax(x, y)),
            O::F32Copysign | O::F64Copysign => self.binop(|b, x, y| b.ins().fcopysign(x, y)),

            // ---- conversions ----
            O::I32WrapI64 => self.unop(|b, x| b.ins().ireduce(types::I32, x)),
            O::I64ExtendI32S => self.unop(|b, x| b.ins().sextend(types::I64, x)),
            O::I64ExtendI32U => self.unop(|b, x| b.ins().uextend(types::I64, x)),
            O::I32TruncF32S | O::I32TruncF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint(types::I32, x))
            }
            O::I32TruncF32U | O::I32TruncF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint(types::I32, x))
            }
            O::I64TruncF32S | O::I64TruncF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint(types::I64, x))
            }
            O::I64TruncF32U | O::I64TruncF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint(types::I64, x))
            }
            O::I32TruncSatF32S | O::I32TruncSatF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint_sat(types::I32, x))
            }
            O::I32TruncSatF32U | O::I32TruncSatF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint_sat(types::I32, x))
            }
            O::I64TruncSatF32S | O::I64TruncSatF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint_sat(types::I64, x))
            }
            O::I64TruncSatF32U | O::I64TruncSatF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint_sat(types::I64, x))
            }
            O::F32ConvertI32S | O::F32ConvertI64S => {
                self.unop(|b, x| b.ins().fcvt_from_sint(types::F32, x))
            }
            O::F32ConvertI32U | O::F32ConvertI64U => {
                self.unop(|b, x| b.ins().fcvt_from_uint(types::F32, x))
            }
            O::F64ConvertI32S | O::F64ConvertI64S => {
                self.unop(|b, x| b.ins().fcvt_from_sint(types::F64, x))
            }
            O::F64ConvertI32U | O::F64ConvertI64U => {
                self.unop(|b, x| b.ins().fcvt_from_uint(types::F64, x))
            }
            O::F32DemoteF64 => self.unop(|b, x| b.ins().fdemote(types::F32, x)),
            O::F64PromoteF32 => self.unop(|b, x| b.ins().fpromote(types::F64, x)),
            O::I32ReinterpretF32 => self.unop(|b, x| numeric::reinterpret(b, types::I32, x)),
            O::I64ReinterpretF64 => self.unop(|b, x| numeric::reinterpret(b, types::I64, x)),
            O::F32ReinterpretI32 => self.unop(|b, x| numeric::reinterpret(b, types::F32, x)),
            O::F64ReinterpretI64 => self.unop(|b, x| numeric::reinterpret(b, types::F64, x)),
            O::I32Extend8S => self.unop(|b, x| numeric::sign_extend_low(b, x, types::I8)),
            O::I32Extend16S => self.unop(|b, x| numeric::sign_extend_low(b, x, types::I16)),
            O::I64Extend8S => self.unop(|b, x| numeric::sign_extend_low(b, x, types::I8)),
            O::I64Extend16S => self.unop(|b, x| numeric::sign_extend_low(b, x, types::I16)),
            O::I64Extend32S => self.unop(|b, x| numeric::sign_extend_low(b, x, types::I32)),

            // ---- fixed-width SIMD, or unsupported ----
            other => self.op_simd(other)?,
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

    fn op_global_get(&mut self, index: u32) {
        let global = &self.env.info.globals[index as usize];
        let ty = clif_type(global.ty.content);
        // Immutable globals never change once initialised.
        let flags = match global.ty.mutability {
            Mutability::Const => vmctx_readonly(),
            Mutability::Var => MemFlagsData::trusted(),
        };
        let ptr = self.vmctx_ptr(self.env.offsets.global_ptr(index));
        let v = self.b.ins().load(ty, flags, ptr, 0);
        self.push(v);
    }

    fn op_global_set(&mut self, index: u32) {
        let v = self.pop();
        let ptr = self.vmctx_ptr(self.env.offsets.global_ptr(index));
        self.b.ins().store(MemFlagsData::trusted(), v, ptr, 0);
    }
}
