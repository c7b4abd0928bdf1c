//! Calls: direct calls to defined functions, calls through an imported
//! function's `VMFunctionImport`, `call_indirect` through a table's
//! `VMFuncRef`s, `call_ref` through a function reference, their tail-call
//! forms (`return_call`, `return_call_indirect`, `return_call_ref`:
//! Cranelift's `return_call*`, real tail calls that reuse the caller's
//! frame), and calls of runtime builtins.
//!
//! Every wasm callee takes `(callee_vmctx, caller_vmctx, params...)` (see
//! `abi.rs`), in a tail call too (`caller_vmctx` is then the instance of
//! the function whose frame is replaced); builtins take
//! `(vmctx, args...)`.

use super::{PTR, Translator, vmctx_readonly};
use crate::abi::wasm_signature;
use crate::vm::builtins::Builtin;
use crate::vm::trap_codes;
use crate::vm::vmctx::{
    BUILTINS_OFFSET, FUNC_REF_CODE, FUNC_REF_TYPE_ID, FUNC_REF_VMCTX, FUNCTION_IMPORT_CODE,
    FUNCTION_IMPORT_VMCTX,
};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    ExtFuncData, ExternalName, FuncRef, Inst, InstBuilder, MemFlagsData, SigRef, UserExternalName,
    Value, types,
};

/// What a call instruction calls.
#[derive(Clone, Copy)]
enum Callee {
    /// A defined function of this module, by a colocated reference.
    Direct(FuncRef),
    /// The code at a pointer (an import's, or a table element's), with
    /// the signature of its type.
    Indirect(SigRef, Value),
}

impl Translator<'_, '_> {
    operators! { t;
        visit_call(function_index: u32) => t.op_call(function_index, false);
        visit_call_indirect(type_index: u32, table_index: u32) => {
            t.op_call_indirect(type_index, table_index, false)
        };
        visit_return_call(function_index: u32) => t.op_call(function_index, true);
        visit_return_call_indirect(type_index: u32, table_index: u32) => {
            t.op_call_indirect(type_index, table_index, true)
        };
        visit_call_ref(type_index: u32) => t.op_call_ref(type_index, false);
        visit_return_call_ref(type_index: u32) => t.op_call_ref(type_index, true);
    }

    /// The imported signature of wasm type `type_index`.
    fn wasm_sig_ref(&mut self, type_index: u32) -> SigRef {
        if let Some(&sig) = self.sig_refs.get(&type_index) {
            return sig;
        }
        let sig = wasm_signature(&self.env.info.types[type_index as usize]);
        let sig = self.b.import_signature(sig);
        self.sig_refs.insert(type_index, sig);
        sig
    }

    /// A colocated direct reference to defined function `func_index`, named
    /// `UserExternalName { namespace: 0, index: func_index }` for the linker.
    fn direct_func_ref(&mut self, func_index: u32) -> FuncRef {
        if let Some(&f) = self.func_refs.get(&func_index) {
            return f;
        }
        let signature = self.wasm_sig_ref(self.env.info.funcs[func_index as usize]);
        let name = self
            .b
            .func
            .declare_imported_user_function(UserExternalName::new(0, func_index));
        let f = self.b.import_function(ExtFuncData {
            name: ExternalName::User(name),
            signature,
            colocated: true,
            patchable: false,
        });
        self.func_refs.insert(func_index, f);
        f
    }

    /// Pops the callee's arguments and prepends the two vmctx arguments.
    fn call_args(&mut self, type_index: u32, callee_vmctx: Value) -> Vec<Value> {
        let n = self.env.info.types[type_index as usize].params().len();
        let mut args = Vec::with_capacity(n + 2);
        args.push(callee_vmctx);
        args.push(self.vmctx);
        args.extend(self.popn(n));
        args
    }

    /// Emits the call of `callee` with `args`: an ordinary call whose
    /// results go on the operand stack, or (`tail`) a tail call, which
    /// ends the function: the callee's frame replaces this one and its
    /// results are this function's (validation checks they match).
    fn emit_call(&mut self, callee: Callee, args: &[Value], tail: bool) {
        if !tail {
            // Inside a try_table, exceptions from the callee land in its
            // dispatch.
            let sig = match callee {
                Callee::Direct(f) => self.b.func.dfg.ext_funcs[f].signature,
                Callee::Indirect(sig, _) => sig,
            };
            let results = self.try_call(sig, |t, table| match callee {
                Callee::Direct(f) => t.b.ins().try_call(f, args, table),
                Callee::Indirect(_, code) => t.b.ins().try_call_indirect(code, args, table),
            });
            if let Some(results) = results {
                self.stack.extend(results);
                return;
            }
        }
        let call = match (callee, tail) {
            (Callee::Direct(f), false) => self.b.ins().call(f, args),
            (Callee::Indirect(sig, code), false) => self.b.ins().call_indirect(sig, code, args),
            (Callee::Direct(f), true) => self.b.ins().return_call(f, args),
            (Callee::Indirect(sig, code), true) => {
                self.b.ins().return_call_indirect(sig, code, args)
            }
        };
        if tail {
            self.reachable = false;
        } else {
            self.push_results(call);
        }
    }

    fn push_results(&mut self, call: Inst) {
        let results = self.b.inst_results(call).to_vec();
        self.stack.extend(results);
    }

    /// `call` or (`tail`) `return_call` of function `func_index`.
    fn op_call(&mut self, func_index: u32, tail: bool) {
        let info = self.env.info;
        let type_index = info.funcs[func_index as usize];
        let (callee, args) = if info.is_imported_func(func_index) {
            // The VMFunctionImport, fixed at instantiation.
            let import = self.env.offsets.imported_func(func_index) as i32;
            let code = self.b.ins().load(
                PTR,
                vmctx_readonly(),
                self.vmctx,
                import + FUNCTION_IMPORT_CODE as i32,
            );
            let callee_vmctx = self.b.ins().load(
                PTR,
                vmctx_readonly(),
                self.vmctx,
                import + FUNCTION_IMPORT_VMCTX as i32,
            );
            let args = self.call_args(type_index, callee_vmctx);
            let sig = self.wasm_sig_ref(type_index);
            (Callee::Indirect(sig, code), args)
        } else {
            let f = self.direct_func_ref(func_index);
            // A module's functions share its vmctx.
            let args = self.call_args(type_index, self.vmctx);
            (Callee::Direct(f), args)
        };
        self.emit_call(callee, &args, tail);
    }

    /// `call_indirect` or (`tail`) `return_call_indirect`.
    fn op_call_indirect(&mut self, type_index: u32, table: u32, tail: bool) {
        let index = self.pop();
        let addr = self.table_element_addr(table, index);
        let funcref = self.b.ins().load(PTR, MemFlagsData::trusted(), addr, 0);
        self.b
            .ins()
            .trapz(funcref, trap_codes::INDIRECT_CALL_TO_NULL);

        // VMFuncRefs never change once created, hence readonly; not
        // `can_move`, as they are only valid past the null check.
        let funcref_flags = MemFlagsData::trusted().with_readonly();
        let expected = self.b.ins().load(
            types::I32,
            vmctx_readonly(),
            self.vmctx,
            self.env.offsets.type_id(type_index) as i32,
        );
        let actual = self
            .b
            .ins()
            .load(types::I32, funcref_flags, funcref, FUNC_REF_TYPE_ID as i32);
        let mismatch = self.b.ins().icmp(IntCC::NotEqual, expected, actual);
        if self.env.info.types[type_index as usize].is_final() {
            // No other type can match a final one: equal ids or a trap.
            self.b.ins().trapnz(mismatch, trap_codes::BAD_SIGNATURE);
        } else {
            // A subtype of the expected type passes too: past the equal
            // ids the builtin walks the callee type's supertypes (the
            // equal case stays one compare and a branch).
            let slow = self.b.create_block();
            let cont = self.b.create_block();
            self.b.set_cold_block(slow);
            self.b.ins().brif(mismatch, slow, &[], cont, &[]);
            self.b.switch_to_block(slow);
            self.b.seal_block(slow);
            let ok = self
                .call_builtin(Builtin::IsSubtype, &[actual, expected])
                .expect("is_subtype returns a value");
            self.b.ins().trapz(ok, trap_codes::BAD_SIGNATURE);
            self.b.ins().jump(cont, &[]);
            self.b.switch_to_block(cont);
            self.b.seal_block(cont);
        }
        self.call_funcref(funcref, type_index, tail);
    }

    /// `call_ref` or (`tail`) `return_call_ref`: `call_indirect` without
    /// the table and the signature check, since validation proved the
    /// reference's type; only null is left to trap on.
    fn op_call_ref(&mut self, type_index: u32, tail: bool) {
        let funcref = self.pop();
        self.b.ins().trapz(funcref, trap_codes::NULL_FUNC_REFERENCE);
        self.call_funcref(funcref, type_index, tail);
    }

    /// Call (or `tail`-call) the non-null `VMFuncRef` at `funcref`, whose
    /// function has type `type_index`: its code with its vmctx.
    fn call_funcref(&mut self, funcref: Value, type_index: u32, tail: bool) {
        // VMFuncRefs never change once created, hence readonly; not
        // `can_move`, as they are only valid past the caller's null check.
        let funcref_flags = MemFlagsData::trusted().with_readonly();
        let code = self
            .b
            .ins()
            .load(PTR, funcref_flags, funcref, FUNC_REF_CODE as i32);
        let callee_vmctx = self
            .b
            .ins()
            .load(PTR, funcref_flags, funcref, FUNC_REF_VMCTX as i32);
        let args = self.call_args(type_index, callee_vmctx);
        let sig = self.wasm_sig_ref(type_index);
        self.emit_call(Callee::Indirect(sig, code), &args, tail);
    }

    /// Calls `builtin` with `(vmctx, args...)`. A status result is checked
    /// here (non-zero traps with the builtin's code) and not returned; any
    /// other result is returned.
    pub(super) fn call_builtin(&mut self, builtin: Builtin, args: &[Value]) -> Option<Value> {
        let sig = match self.builtin_sigs.get(&builtin) {
            Some(&sig) => sig,
            None => {
                let sig = self
                    .b
                    .import_signature(builtin.signature(self.env.call_conv));
                self.builtin_sigs.insert(builtin, sig);
                sig
            }
        };
        // The builtin table is static for the engine's lifetime.
        let table = self.vmctx_ptr(BUILTINS_OFFSET);
        let fn_ptr = self
            .b
            .ins()
            .load(PTR, vmctx_readonly(), table, builtin.table_offset());
        let mut all_args = Vec::with_capacity(args.len() + 1);
        all_args.push(self.vmctx);
        all_args.extend_from_slice(args);
        let call = self.b.ins().call_indirect(sig, fn_ptr, &all_args);
        let result = self.b.inst_results(call).first().copied();
        match (builtin.status_trap(), builtin.error_value(), result) {
            (Some(code), _, Some(status)) => {
                self.b.ins().trapnz(status, code);
                None
            }
            (None, Some(error), Some(value)) => {
                let failed = self.b.ins().icmp_imm_s(IntCC::Equal, value, error);
                self.b.ins().trapnz(failed, trap_codes::HOST_ERROR);
                result
            }
            _ => result,
        }
    }
}
