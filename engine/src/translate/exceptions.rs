//! Exception handling: `try_table`, `throw`, `throw_ref` (see
//! `vm/exception.rs` for the run-time half).
//!
//! A `try_table` emits no code of its own. While one is open, every
//! (non-tail) call is a `try_call` whose only handler is a catch-all
//! landing pad that jumps to the `try_table`'s *dispatch* block with the
//! exception; the dispatch, emitted at the `try_table`'s `end` (where its
//! catch labels resolve), tests the catch clauses in order (`exn_is`),
//! branches to the first match with the payload (`exn_payload`) and/or the
//! exception, and rethrows when none matches: to the enclosing
//! `try_table`'s dispatch, or out of the function with the `throw`
//! builtin, which walks the callers' frames to their handler. A `throw`
//! inside a `try_table` jumps to the dispatch directly: no unwinding
//! within a function.
//!
//! An exception is an `exnref`, pointer-sized like every reference.

use super::{PTR, Translator};
use crate::abi::clif_type;
use crate::vm::builtins::Builtin;
use crate::vm::trap_codes;
use cranelift_codegen::ir::{
    Block, BlockArg, BlockCall, ExceptionTableData, ExceptionTableItem, Inst, InstBuilder,
    MemFlagsData, SigRef, StackSlotData, StackSlotKind, Value, types,
};
use wasmparser::{Catch, TryTable};

/// Size of one payload slot in the buffers the exception builtins read
/// and write (the trampolines' value slots).
const SLOT: u32 = 16;

/// An open `try_table`: its catch clauses and, once something in it can
/// throw, its dispatch block (one `exnref` parameter).
pub(super) struct TryHandler {
    catches: Vec<Catch>,
    dispatch: Option<Block>,
}

impl Translator<'_, '_> {
    operators! { t;
        visit_try_table(try_table: TryTable) => t.op_try_table(try_table)?;
        visit_throw(tag_index: u32) => t.op_throw(tag_index);
        visit_throw_ref => t.op_throw_ref();
    }

    fn op_try_table(&mut self, try_table: TryTable) -> anyhow::Result<()> {
        self.open_block(try_table.ty, true)?;
        self.handlers.push(TryHandler {
            catches: try_table.catches,
            dispatch: None,
        });
        Ok(())
    }

    /// The dispatch block of the innermost open `try_table`, created on
    /// first use; `None` outside every `try_table` of this function.
    pub(super) fn innermost_dispatch(&mut self) -> Option<Block> {
        let handler = self.handlers.last_mut()?;
        if let Some(block) = handler.dispatch {
            return Some(block);
        }
        let block = self.b.create_block();
        self.b.append_block_param(block, PTR);
        self.handlers.last_mut()?.dispatch = Some(block);
        Some(block)
    }

    /// Ends the `try_table` just closed (its frame is popped, so its catch
    /// labels resolve against the enclosing frames): emits its dispatch if
    /// anything in it could throw. Called where `end` has filled the
    /// current block; the dispatch leaves its own last block filled.
    pub(super) fn close_try_table(&mut self) {
        let handler = self.handlers.pop().expect("try_table without handler");
        let Some(dispatch) = handler.dispatch else {
            return;
        };
        self.b.seal_block(dispatch);
        self.b.switch_to_block(dispatch);
        let exn = self.b.block_params(dispatch)[0];
        let mut open = true;
        for catch in handler.catches {
            match catch {
                Catch::One { tag, label } | Catch::OneRef { tag, label } => {
                    let tag_v = self.i32_const(tag);
                    let is = self
                        .call_builtin(Builtin::ExnIs, &[exn, tag_v])
                        .expect("exn_is returns a value");
                    let (yes, no) = (self.b.create_block(), self.b.create_block());
                    self.b.ins().brif(is, yes, &[], no, &[]);
                    self.b.seal_block(yes);
                    self.b.seal_block(no);
                    self.b.switch_to_block(yes);
                    let mut args = self.load_payload(exn, tag);
                    if matches!(catch, Catch::OneRef { .. }) {
                        args.push(exn);
                    }
                    let (target, _) = self.target(label);
                    self.jump(target, &args);
                    self.b.switch_to_block(no);
                }
                Catch::All { label } | Catch::AllRef { label } => {
                    let args = match catch {
                        Catch::AllRef { .. } => vec![exn],
                        _ => vec![],
                    };
                    let (target, _) = self.target(label);
                    self.jump(target, &args);
                    open = false;
                    break;
                }
            }
        }
        if open {
            self.throw_exn(exn);
        }
    }

    /// The payload of `exn`, whose tag is the instance's tag `tag`.
    fn load_payload(&mut self, exn: Value, tag: u32) -> Vec<Value> {
        let tys: Vec<_> = self.env.info.tag_type(tag).params().to_vec();
        if tys.is_empty() {
            return Vec::new();
        }
        let buf = self.payload_buffer(tys.len());
        self.call_builtin(Builtin::ExnPayload, &[exn, buf]);
        tys.iter()
            .enumerate()
            .map(|(i, t)| {
                self.b.ins().load(
                    clif_type(t),
                    MemFlagsData::trusted(),
                    buf,
                    (i as u32 * SLOT) as i32,
                )
            })
            .collect()
    }

    /// The address of a fresh stack buffer of `n` payload slots.
    fn payload_buffer(&mut self, n: usize) -> Value {
        let slot = self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            n.max(1) as u32 * SLOT,
            4,
        ));
        self.b.ins().stack_addr(PTR, slot, 0)
    }

    fn op_throw(&mut self, tag: u32) {
        let n = self.env.info.tag_type(tag).params().len();
        let values = self.popn(n);
        let buf = self.payload_buffer(n);
        for (i, v) in values.into_iter().enumerate() {
            self.b
                .ins()
                .store(MemFlagsData::trusted(), v, buf, (i as u32 * SLOT) as i32);
        }
        let tag_v = self.i32_const(tag);
        let exn = self
            .call_builtin(Builtin::ExnNew, &[tag_v, buf])
            .expect("exn_new returns a value");
        self.throw_exn(exn);
    }

    fn op_throw_ref(&mut self) {
        let exn = self.pop();
        self.b.ins().trapz(exn, trap_codes::NULL_EXN_REFERENCE);
        self.throw_exn(exn);
    }

    /// Throws `exn` from here: to the innermost `try_table` of this
    /// function, else out of it. Ends the block.
    fn throw_exn(&mut self, exn: Value) {
        match self.innermost_dispatch() {
            Some(dispatch) => self.jump(dispatch, &[exn]),
            None => {
                let fp = self.b.ins().get_frame_pointer(types::I64);
                self.call_builtin(Builtin::Throw, &[exn, fp]);
                // Back from the builtin: no wasm frame of this entry
                // handles it; the exception is pending.
                self.b.ins().trap(trap_codes::HOST_ERROR);
            }
        }
        self.reachable = false;
    }

    /// Inside a `try_table`: the call `call(sig, normal, table)` as a
    /// `try_call` whose results land in a fresh block, and whose
    /// exceptions go to the dispatch; returns the results. `None` outside
    /// every `try_table` (the caller emits a plain call).
    pub(super) fn try_call(
        &mut self,
        sig: SigRef,
        call: impl FnOnce(&mut Self, cranelift_codegen::ir::ExceptionTable) -> Inst,
    ) -> Option<Vec<Value>> {
        let dispatch = self.innermost_dispatch()?;
        let returns: Vec<_> = self.b.func.dfg.signatures[sig]
            .returns
            .iter()
            .map(|r| r.value_type)
            .collect();
        let normal = self.block_with_params(&returns);
        let pad = self.block_with_params(&[PTR]);
        let pool = &mut self.b.func.dfg.value_lists;
        let normal_call = BlockCall::new(
            normal,
            (0..returns.len() as u32).map(BlockArg::TryCallRet),
            pool,
        );
        let pad_call = BlockCall::new(pad, [BlockArg::TryCallExn(0)], pool);
        let table = self
            .b
            .func
            .dfg
            .exception_tables
            .push(ExceptionTableData::new(
                sig,
                normal_call,
                [ExceptionTableItem::Default(pad_call)],
            ));
        call(self, table);
        self.b.seal_block(pad);
        self.b.seal_block(normal);
        self.b.switch_to_block(pad);
        let exn = self.b.block_params(pad)[0];
        self.jump(dispatch, &[exn]);
        self.b.switch_to_block(normal);
        Some(self.b.block_params(normal).to_vec())
    }
}
