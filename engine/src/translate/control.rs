//! Structured control flow: the control stack, branches and reachability.
//!
//! Each wasm `block`/`if` gets a Cranelift "next" block whose parameters are
//! the construct's results; every branch to the construct (and the
//! fallthrough at `end`) jumps there with the result values. A `loop` gets
//! a header block whose parameters are the loop's parameters; branches to
//! a loop jump to the header, and falling off the loop's `end` continues in
//! the current block (nothing else can reach the code after a loop).
//!
//! `br_if`, `br_on_null` and `br_on_non_null` branch with `brif` (a
//! reference is a pointer, null 0) and go on in a fresh block.
//!
//! After `br`, `br_table`, `return` and `unreachable`, the following code
//! is dead: `reachable` goes false and operators are skipped. Blocks opened
//! in dead code get no frame and only bump `skipped_depth`. Code becomes
//! live again at the `else` of an `if` (its condition was live, since the
//! frame exists) or at an `end` whose next block some live branch targeted.
//! Dead operators are not dispatched at all: `skip_unreachable` only
//! follows their nesting.

use super::{Translator, wasm_clif_type};
use crate::abi::clif_type;
use crate::vm::trap_codes;
use anyhow::Result;
use cranelift_codegen::ir::{Block, BlockArg, InstBuilder, JumpTableData, Type, Value};
use std::collections::HashMap;
use wasmparser::{BlockType, BrTable, Operator};

pub(crate) enum FrameKind {
    /// A `block`, or the function body (the bottom frame, whose next block
    /// returns).
    Block,
    /// A `try_table`: a block whose handler is open (`exceptions.rs`).
    TryTable,
    /// A legacy `try` (`exceptions.rs`): in its body while `handler` is
    /// `None` (the handler is on the handler stack), then in its catch
    /// clauses, whose blocks the dispatch enters at `end`.
    LegacyTry(Box<super::exceptions::LegacyTry>),
    Loop {
        header: Block,
    },
    If {
        else_block: Block,
        /// The `if`'s parameters, re-pushed for the else branch. They are
        /// defined before the `if`, so they dominate both arms.
        params: Vec<Value>,
        seen_else: bool,
    },
}

pub(super) struct Frame {
    pub(super) kind: FrameKind,
    /// Where execution continues after `end`; its params are the results.
    /// Unused for loops.
    pub(super) next: Block,
    /// Operand stack height below this frame's parameters.
    pub(super) height: usize,
    num_params: usize,
    pub(super) num_results: usize,
    /// Whether a live branch or fallthrough targets `next` (for a loop:
    /// whether a live branch goes back to its header).
    pub(super) next_reached: bool,
}

impl Frame {
    /// The frame of a loop whose back edges go to `header`.
    pub(super) fn looping(
        header: Block,
        height: usize,
        num_params: usize,
        num_results: usize,
    ) -> Frame {
        Frame {
            kind: FrameKind::Loop { header },
            next: header,
            height,
            num_params,
            num_results,
            next_reached: false,
        }
    }

    /// The block a branch to this frame jumps to, and how many values it
    /// carries.
    fn branch_target(&self) -> (Block, usize) {
        match self.kind {
            FrameKind::Loop { header } => (header, self.num_params),
            _ => (self.next, self.num_results),
        }
    }
}

fn block_args(vals: &[Value]) -> Vec<BlockArg> {
    vals.iter().map(|&v| BlockArg::Value(v)).collect()
}

impl Translator<'_, '_> {
    operators! { t;
        visit_unreachable => {
            t.b.ins().trap(trap_codes::UNREACHABLE);
            t.reachable = false
        };
        // Nothing to emit.
        visit_nop => {
            let _ = t;
        };
        visit_block(blockty: BlockType) => t.op_block(blockty)?;
        visit_loop(blockty: BlockType) => {
            let cost = t.fuel.as_ref().and_then(|c| c.loops.get(&t.op_index).copied());
            t.op_loop(blockty, cost)?
        };
        visit_if(blockty: BlockType) => t.op_if(blockty)?;
        visit_else => t.op_else();
        visit_end => t.op_end();
        visit_br(relative_depth: u32) => t.op_br(relative_depth);
        visit_br_if(relative_depth: u32) => t.op_br_if(relative_depth);
        visit_br_table(targets: BrTable<'_>) => t.op_br_table(&targets)?;
        visit_br_on_null(relative_depth: u32) => t.op_br_on_null(relative_depth);
        visit_br_on_non_null(relative_depth: u32) => t.op_br_on_non_null(relative_depth)?;
        visit_return => t.op_return();
    }

    /// Follows operator `op` in dead code: blocks opened there get no
    /// frame, only a depth to match their `end`; the `else` or `end` of a
    /// live frame is translated (it may make code reachable again).
    pub(super) fn skip_unreachable(&mut self, op: &Operator<'_>) {
        match op {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. }
            | Operator::Try { .. } => {
                self.skipped_depth += 1;
            }
            Operator::End | Operator::Delegate { .. } if self.skipped_depth > 0 => {
                self.skipped_depth -= 1
            }
            Operator::Catch { tag_index } if self.skipped_depth == 0 => {
                self.op_legacy_catch(Some(*tag_index))
            }
            Operator::CatchAll if self.skipped_depth == 0 => self.op_legacy_catch(None),
            Operator::Delegate { relative_depth } => self.op_delegate(*relative_depth),
            Operator::Else if self.skipped_depth == 0 => self.op_else(),
            Operator::End => self.op_end(),
            // Everything else in dead code is dropped untranslated.
            _ => {}
        }
    }

    fn block_signature(&self, bt: BlockType) -> Result<(Vec<Type>, Vec<Type>)> {
        Ok(match bt {
            BlockType::Empty => (vec![], vec![]),
            BlockType::Type(t) => {
                crate::types::check_body_type(t)?;
                (vec![], vec![wasm_clif_type(t)])
            }
            BlockType::FuncType(idx) => {
                let ty = &self.env.info.types[idx as usize];
                let conv =
                    |ts: &[crate::types::ValType]| ts.iter().map(clif_type).collect::<Vec<_>>();
                (conv(ty.params()), conv(ty.results()))
            }
        })
    }

    pub(super) fn block_with_params(&mut self, tys: &[Type]) -> Block {
        let block = self.b.create_block();
        for &ty in tys {
            self.b.append_block_param(block, ty);
        }
        block
    }

    pub(super) fn jump(&mut self, target: Block, args: &[Value]) {
        self.b.ins().jump(target, &block_args(args));
    }

    pub(super) fn push_function_frame(&mut self, results: Vec<Type>) {
        let next = self.block_with_params(&results);
        self.control.push(Frame {
            kind: FrameKind::Block,
            next,
            height: 0,
            num_params: 0,
            num_results: results.len(),
            next_reached: false,
        });
    }

    fn op_block(&mut self, bt: BlockType) -> Result<()> {
        self.open_block(bt, FrameKind::Block)
    }

    /// Opens a `block`, or (`kind`) the block of a `try_table` or `try`.
    pub(super) fn open_block(&mut self, bt: BlockType, kind: FrameKind) -> Result<()> {
        let (params, results) = self.block_signature(bt)?;
        let next = self.block_with_params(&results);
        self.control.push(Frame {
            kind,
            next,
            height: self.stack.len() - params.len(),
            num_params: params.len(),
            num_results: results.len(),
            next_reached: false,
        });
        Ok(())
    }

    fn op_loop(&mut self, bt: BlockType, fuel_cost: Option<u64>) -> Result<()> {
        let (params, results) = self.block_signature(bt)?;
        let header = self.block_with_params(&params);
        let args = self.popn(params.len());
        self.jump(header, &args);
        // Sealed at `end`, once the back edges are known.
        self.b.switch_to_block(header);
        self.stack.extend_from_slice(self.b.block_params(header));
        if let Some(cost) = fuel_cost {
            self.consume_fuel(cost);
        }
        let copies = self.epoch_check();
        let back = self.start_copies(header, copies, &params, &results, fuel_cost);
        let height = self.stack.len() - params.len();
        self.control
            .push(Frame::looping(back, height, params.len(), results.len()));
        Ok(())
    }

    fn op_if(&mut self, bt: BlockType) -> Result<()> {
        let (params, results) = self.block_signature(bt)?;
        let cond = self.pop();
        let then_block = self.b.create_block();
        let else_block = self.b.create_block();
        let next = self.block_with_params(&results);
        self.b.ins().brif(cond, then_block, &[], else_block, &[]);
        self.b.seal_block(then_block);
        self.b.seal_block(else_block);
        self.b.switch_to_block(then_block);
        self.control.push(Frame {
            kind: FrameKind::If {
                else_block,
                params: self.peekn(params.len()).to_vec(),
                seen_else: false,
            },
            next,
            height: self.stack.len() - params.len(),
            num_params: params.len(),
            num_results: results.len(),
            next_reached: false,
        });
        Ok(())
    }

    fn op_else(&mut self) {
        let reachable = self.reachable;
        let frame = self.control.last_mut().expect("else without frame");
        let FrameKind::If {
            else_block,
            ref params,
            ref mut seen_else,
        } = frame.kind
        else {
            unreachable!("else outside if (module not validated?)");
        };
        *seen_else = true;
        let params = params.clone();
        let (next, num_results, height) = (frame.next, frame.num_results, frame.height);
        if reachable {
            frame.next_reached = true;
            let results = self.popn(num_results);
            self.jump(next, &results);
        }
        self.stack.truncate(height);
        self.stack.extend_from_slice(&params);
        self.b.switch_to_block(else_block);
        // The `if` itself was live (it has a frame), so its else arm is.
        self.reachable = true;
    }

    pub(super) fn op_end(&mut self) {
        let mut frame = self.control.pop().expect("end without frame");
        match frame.kind {
            FrameKind::Loop { header } => {
                self.b.seal_block(header);
                // Falling off a loop continues in place with the results
                // on the stack; if dead, it stays dead.
                if !self.reachable {
                    self.stack.truncate(frame.height);
                }
                self.end_copy(frame.next_reached);
                return;
            }
            FrameKind::Block | FrameKind::TryTable | FrameKind::LegacyTry(_) => {}
            FrameKind::If {
                else_block,
                ref params,
                seen_else,
            } => {
                if !seen_else {
                    // No else arm: wasm's implicit else passes the params
                    // through as results (validation ensures they match).
                    if self.reachable {
                        let results = self.popn(frame.num_results);
                        self.jump(frame.next, &results);
                    }
                    self.b.switch_to_block(else_block);
                    let params = params.clone();
                    self.jump(frame.next, &params);
                    frame.next_reached = true;
                    self.reachable = false;
                }
            }
        }
        if self.reachable {
            let results = self.popn(frame.num_results);
            self.jump(frame.next, &results);
            frame.next_reached = true;
        }
        self.stack.truncate(frame.height);
        match frame.kind {
            // The frame is popped, so catch labels resolve against the
            // enclosing frames, whose blocks are not sealed yet.
            FrameKind::TryTable => self.close_try_table(),
            FrameKind::LegacyTry(ref mut legacy) => {
                let legacy = std::mem::take(&mut **legacy);
                self.close_legacy_try(legacy);
            }
            _ => {}
        }
        if frame.next_reached {
            self.b.switch_to_block(frame.next);
            // Every branch to `next` comes from inside the frame, so all
            // predecessors are known now.
            self.b.seal_block(frame.next);
            self.stack
                .extend_from_slice(self.b.block_params(frame.next));
            self.reachable = true;
        } else {
            self.reachable = false;
        }
        if self.control.is_empty() {
            // End of the function body: `next` is the return block.
            if self.reachable {
                let results = self.popn(frame.num_results);
                self.b.ins().return_(&results);
            }
            self.reachable = false;
        }
    }

    /// Marks frame `depth` (0 = innermost) as targeted and returns its
    /// branch target and arity.
    pub(super) fn target(&mut self, depth: u32) -> (Block, usize) {
        let i = self.control.len() - 1 - depth as usize;
        let frame = &mut self.control[i];
        frame.next_reached = true;
        frame.branch_target()
    }

    fn op_br(&mut self, depth: u32) {
        let (block, arity) = self.target(depth);
        let args = self.peekn(arity).to_vec();
        self.jump(block, &args);
        self.reachable = false;
    }

    fn op_br_if(&mut self, depth: u32) {
        let cond = self.pop();
        let (block, arity) = self.target(depth);
        let args = block_args(self.peekn(arity));
        let cont = self.b.create_block();
        self.b.ins().brif(cond, block, &args, cont, &[]);
        self.b.seal_block(cont);
        self.b.switch_to_block(cont);
    }

    /// `br_on_null`: branches with the values under the reference if it
    /// is null, else leaves the (now non-null) reference on the stack.
    fn op_br_on_null(&mut self, depth: u32) {
        let r = self.pop();
        let (block, arity) = self.target(depth);
        let args = block_args(self.peekn(arity));
        let cont = self.b.create_block();
        self.b.ins().brif(r, cont, &[], block, &args);
        self.b.seal_block(cont);
        self.b.switch_to_block(cont);
        self.push(r);
    }

    /// `br_on_non_null`: branches with the values under the reference and
    /// the reference itself (the label's last value) if it is not null,
    /// else drops it and goes on.
    fn op_br_on_non_null(&mut self, depth: u32) -> Result<()> {
        let r = self.pop();
        let (block, arity) = self.target(depth);
        let Some(below) = arity.checked_sub(1) else {
            anyhow::bail!("br_on_non_null to a label without values (module not validated?)");
        };
        let mut args = block_args(self.peekn(below));
        args.push(BlockArg::Value(r));
        let cont = self.b.create_block();
        self.b.ins().brif(r, block, &args, cont, &[]);
        self.b.seal_block(cont);
        self.b.switch_to_block(cont);
        Ok(())
    }

    fn op_br_table(&mut self, table: &wasmparser::BrTable<'_>) -> Result<()> {
        let index = self.pop();
        let depths = table.targets().collect::<Result<Vec<u32>, _>>()?;
        let default = table.default();
        let (_, arity) = self.target(default);
        if depths.iter().all(|&d| d == default) {
            // Degenerate table: a plain branch.
            let (block, _) = self.target(default);
            let args = self.peekn(arity).to_vec();
            self.jump(block, &args);
            self.reachable = false;
            return Ok(());
        }

        // Cranelift jump tables cannot pass block arguments, so when the
        // targets take values, each distinct target gets a trampoline block
        // that forwards them.
        let args = self.peekn(arity).to_vec();
        let mut trampolines: HashMap<u32, Block> = HashMap::new();
        let mut dest = |t: &mut Self, depth: u32| -> Block {
            let (block, _) = t.target(depth);
            if arity == 0 {
                block
            } else {
                *trampolines
                    .entry(depth)
                    .or_insert_with(|| t.b.create_block())
            }
        };
        let default_block = dest(self, default);
        let mut entries = Vec::with_capacity(depths.len());
        for &d in &depths {
            let block = dest(self, d);
            entries.push(self.b.func.dfg.block_call(block, &[]));
        }
        let default_call = self.b.func.dfg.block_call(default_block, &[]);
        let jt = self
            .b
            .create_jump_table(JumpTableData::new(default_call, &entries));
        self.b.ins().br_table(index, jt);

        let mut trampolines: Vec<(u32, Block)> = trampolines.into_iter().collect();
        trampolines.sort_by_key(|&(_, b)| b);
        for (depth, tramp) in trampolines {
            self.b.seal_block(tramp);
            self.b.switch_to_block(tramp);
            let (block, _) = self.target(depth);
            self.jump(block, &args);
        }
        self.reachable = false;
        Ok(())
    }

    fn op_return(&mut self) {
        let n = self.control[0].num_results;
        let results = self.peekn(n).to_vec();
        self.b.ins().return_(&results);
        self.reachable = false;
    }
}
