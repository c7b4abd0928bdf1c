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

use super::control::FrameKind;
use super::{PTR, Translator};
use crate::abi::clif_type;
use crate::vm::builtins::Builtin;
use crate::vm::trap_codes;
use cranelift_codegen::ir::{
    Block, BlockArg, BlockCall, ExceptionTableData, ExceptionTableItem, Inst, InstBuilder,
    MemFlagsData, SigRef, StackSlotData, StackSlotKind, Value, types,
};
use wasmparser::{BlockType, Catch, TryTable};

/// Size of one payload slot in the buffers the exception builtins read
/// and write (the trampolines' value slots).
const SLOT: u32 = 16;

/// An open `try_table`: its catch clauses and, once something in it can
/// throw, its dispatch block (one `exnref` parameter).
pub(super) struct TryHandler {
    catches: Vec<Catch>,
    dispatch: Option<Block>,
    /// The control-stack index of its frame (for `delegate`).
    frame: usize,
}

/// What a legacy `try` frame keeps (`FrameKind::LegacyTry`).
#[derive(Default)]
pub(super) struct LegacyTry {
    /// Past the body: its handler has left the handler stack.
    in_catches: bool,
    /// The body's dispatch, once past the body, if anything in the body
    /// could throw.
    dispatch: Option<Block>,
    /// Each catch clause so far: its tag (`None`: `catch_all`) and the
    /// block of its body, whose parameters are the payload and the
    /// exception.
    clauses: Vec<(Option<u32>, Block)>,
    /// The exception the current catch clause caught (for `rethrow`).
    caught: Option<Value>,
    /// `delegate l`: where the body's exceptions go instead of clauses.
    delegate: Option<u32>,
}

impl Translator<'_, '_> {
    operators! { t;
        visit_try_table(try_table: TryTable) => t.op_try_table(try_table)?;
        visit_throw(tag_index: u32) => t.op_throw(tag_index);
        visit_throw_ref => t.op_throw_ref();
        visit_try(blockty: BlockType) => t.op_try(blockty)?;
        visit_catch(tag_index: u32) => t.op_legacy_catch(Some(tag_index));
        visit_catch_all => t.op_legacy_catch(None);
        visit_delegate(relative_depth: u32) => t.op_delegate(relative_depth);
        visit_rethrow(relative_depth: u32) => t.op_rethrow(relative_depth);
    }

    /// Legacy `try`: a block whose body has a handler, like a `try_table`
    /// whose clauses come later.
    fn op_try(&mut self, bt: BlockType) -> anyhow::Result<()> {
        self.open_block(bt, FrameKind::LegacyTry(Box::default()))?;
        self.handlers.push(TryHandler {
            catches: Vec::new(),
            dispatch: None,
            frame: self.control.len() - 1,
        });
        Ok(())
    }

    /// The innermost frame's legacy `try` state.
    fn legacy_frame(&mut self) -> &mut LegacyTry {
        match &mut self.control.last_mut().expect("catch without frame").kind {
            FrameKind::LegacyTry(legacy) => legacy,
            _ => unreachable!("catch outside try (module not validated?)"),
        }
    }

    /// Ends the current section of the innermost legacy `try` (its body
    /// or a catch clause): falls through to `next`, and after the body
    /// takes its handler off the handler stack.
    fn end_legacy_section(&mut self) {
        let frame = self.control.last_mut().expect("catch without frame");
        let (next, num_results, height) = (frame.next, frame.num_results, frame.height);
        if self.reachable {
            frame.next_reached = true;
            let results = self.popn(num_results);
            self.jump(next, &results);
        }
        self.stack.truncate(height);
        if !self.legacy_frame().in_catches {
            let handler = self.handlers.pop().expect("try without handler");
            let legacy = self.legacy_frame();
            legacy.in_catches = true;
            legacy.dispatch = handler.dispatch;
        }
    }

    /// `catch x` (`tag`) or `catch_all`: a new clause, whose body is
    /// reached only from the dispatch (dead if nothing in the body could
    /// throw).
    pub(super) fn op_legacy_catch(&mut self, tag: Option<u32>) {
        self.end_legacy_section();
        if self.legacy_frame().dispatch.is_none() {
            self.reachable = false;
            return;
        }
        let mut params: Vec<_> = match tag {
            Some(t) => self
                .env
                .info
                .tag_type(t)
                .params()
                .iter()
                .map(clif_type)
                .collect(),
            None => Vec::new(),
        };
        params.push(PTR);
        let block = self.block_with_params(&params);
        self.b.switch_to_block(block);
        let values = self.b.block_params(block).to_vec();
        let (payload, exn) = values.split_at(values.len() - 1);
        self.stack.extend_from_slice(payload);
        let legacy = self.legacy_frame();
        legacy.clauses.push((tag, block));
        legacy.caught = Some(exn[0]);
        self.reachable = true;
    }

    /// `delegate l`: ends the `try`, whose body's exceptions go to the
    /// handlers around label `l` (outside the `try`).
    pub(super) fn op_delegate(&mut self, depth: u32) {
        self.legacy_frame().delegate = Some(depth);
        self.op_end();
    }

    /// `rethrow l`: throws again what the catch clause of label `l` caught.
    fn op_rethrow(&mut self, depth: u32) {
        let i = self.control.len() - 1 - depth as usize;
        let exn = match &self.control[i].kind {
            FrameKind::LegacyTry(legacy) => legacy.caught,
            _ => None,
        };
        let exn = exn.expect("rethrow outside a catch clause (module not validated?)");
        self.throw_exn(exn);
    }

    /// Ends a legacy `try` just closed (by `end` or `delegate`, its frame
    /// popped): emits its dispatch, which enters the first matching
    /// clause with the payload, or passes the exception on (to the
    /// `delegate` target, or outward).
    pub(super) fn close_legacy_try(&mut self, legacy: LegacyTry) {
        let dispatch = match legacy.in_catches {
            true => legacy.dispatch,
            false => self.handlers.pop().expect("try without handler").dispatch,
        };
        let Some(dispatch) = dispatch else {
            return;
        };
        self.b.seal_block(dispatch);
        self.b.switch_to_block(dispatch);
        let exn = self.b.block_params(dispatch)[0];
        let mut open = true;
        for (tag, block) in legacy.clauses {
            match tag {
                Some(tag) => {
                    let (mut args, no) = self.on_tag(exn, tag);
                    args.push(exn);
                    self.jump(block, &args);
                    self.b.seal_block(block);
                    self.b.switch_to_block(no);
                }
                None => {
                    self.jump(block, &[exn]);
                    self.b.seal_block(block);
                    open = false;
                }
            }
        }
        if open {
            match legacy.delegate {
                Some(depth) => {
                    // The frame is popped: depth counts from its parent.
                    let target = (self.control.len() - 1).saturating_sub(depth as usize);
                    let limit = self
                        .handlers
                        .iter()
                        .take_while(|h| h.frame <= target)
                        .count();
                    self.throw_to(exn, limit);
                }
                None => self.throw_exn(exn),
            }
        }
    }

    fn op_try_table(&mut self, try_table: TryTable) -> anyhow::Result<()> {
        self.open_block(try_table.ty, FrameKind::TryTable)?;
        self.handlers.push(TryHandler {
            catches: try_table.catches,
            dispatch: None,
            frame: self.control.len() - 1,
        });
        Ok(())
    }

    /// The dispatch block of the innermost open `try_table`, created on
    /// first use; `None` outside every `try_table` of this function.
    pub(super) fn innermost_dispatch(&mut self) -> Option<Block> {
        let i = self.handlers.len().checked_sub(1)?;
        Some(self.dispatch_of(i))
    }

    /// The dispatch block of open handler `i`, created on first use.
    fn dispatch_of(&mut self, i: usize) -> Block {
        if let Some(block) = self.handlers[i].dispatch {
            return block;
        }
        let block = self.b.create_block();
        self.b.append_block_param(block, PTR);
        self.handlers[i].dispatch = Some(block);
        block
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
                    let (mut args, no) = self.on_tag(exn, tag);
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

    /// Branches on whether `exn`'s tag is the instance's tag `tag`: code
    /// continues where it is, loading the payload (returned); the other
    /// block (returned too) is where a mismatch goes on.
    fn on_tag(&mut self, exn: Value, tag: u32) -> (Vec<Value>, Block) {
        let tag_v = self.i32_const(tag);
        let is = self
            .call_builtin(Builtin::ExnIs, &[exn, tag_v])
            .expect("exn_is returns a value");
        let (yes, no) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(is, yes, &[], no, &[]);
        self.b.seal_block(yes);
        self.b.seal_block(no);
        self.b.switch_to_block(yes);
        (self.load_payload(exn, tag), no)
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
        self.throw_to(exn, self.handlers.len());
    }

    /// Throws `exn` to the innermost of the first `limit` open handlers,
    /// else out of the function. Ends the block.
    fn throw_to(&mut self, exn: Value, limit: usize) {
        match limit.checked_sub(1) {
            Some(i) => {
                let dispatch = self.dispatch_of(i);
                self.jump(dispatch, &[exn]);
            }
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
