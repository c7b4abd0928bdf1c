//! Epoch interruption (`Tunables::epoch_interruption`): checks of the
//! engine's epoch against the store's deadline.
//!
//! **Where the checks are.** Checks sit at the entry of functions and at
//! loop headers, as fuel's charges do (`fuel.rs`), minus those another
//! check makes redundant; [`EpochPlan`] places them for the whole module
//! before any function is translated:
//! - A *leaf* (no `loop`, no call of any kind) has none: it runs at most
//!   its body's length and returns.
//! - Any other function checks at entry, unless its body reaches a `loop`
//!   through straight-line code (no branch, no call): that loop's header
//!   comes next.
//! - A loop checks at its header, unless each iteration, through
//!   straight-line code from the header, directly calls a defined function
//!   that checks at entry (a recursive function written as a loop around
//!   its own call is the common case): that entry comes next. Whether a
//!   function checks at entry depends on its own body only.
//! - Nor does a loop whose iterations reach an inner `loop` through
//!   straight-line code (`(loop (loop ...) ...)`, the usual shape of
//!   nested loops): the inner header comes next. Each rule defers to a
//!   check later in straight-line code or to a callee's entry, never
//!   back, so every chain of deferrals ends at a check that stays.
//!
//! Every execution therefore passes a check within a bounded number of
//! operators after any function entry or loop iteration, and by
//! `fuel.rs`'s argument (every infinite execution enters non-leaf
//! functions or iterates loops infinitely often) an execution that does
//! not finish passes infinitely many checks: it stops at the first one
//! after the epoch reaches the deadline, and another thread's
//! `Engine::increment_epoch` interrupts even a `(loop (br 0))`. Nor can a
//! finite but huge execution (a deep tree of calls, each of a function
//! calling the next twice) slip between checks: every activation of a
//! non-leaf checks before it runs more than its straight-line prefix.
//!
//! The fast path is one load of the epoch, a compare with the deadline,
//! and a branch: the counter's address (fixed for a store) and the
//! deadline are loaded once at function entry into variables. Past the
//! deadline, a cold path reloads the deadline from the store context (a
//! callee or a host function may have moved it) and, if it is still
//! reached, calls the engine's epoch stub (`trampoline::epoch_stub`),
//! which runs the `new_epoch` builtin and traps (`INTERRUPT`, or
//! `HOST_ERROR` for the policy's error) or returns with the deadline
//! moved, reloaded afterwards. A deadline the host lowers while a function
//! runs is seen at the function's next entry. (Loading them afresh at
//! each loop instead, so that nothing stays alive across calls, measured
//! worse overall: loops entered often paid the loads every time.)
//!
//! The stub is called in Cranelift's `preserve_all` convention: the call
//! clobbers no register, so a loop that checks keeps its values in
//! whatever registers it had (with the host's convention, every value
//! live across the loop would need a callee-saved register, and tight
//! loops spilled). Its address is loaded in the cold block itself, so
//! Cranelift does not hoist it into a register for the whole loop. For the
//! same reason a function with loop checks stores its vmctx in a stack
//! slot at entry, and the cold paths (the stub's argument, the deadline's
//! reload) read it from there: passed directly, the vmctx stayed live in
//! a register through every loop that checks, which the loop's own code
//! may not need at all (quicksort's partition loops reloaded it on every
//! iteration; its execute ran 9% fewer instructions without that).
//!
//! Loads of the epoch are plain loads, not `readonly`: a check must read
//! it anew every time. Every check's cold path calls out, which Cranelift
//! treats as a store, so no check's load is ever forwarded from an
//! earlier one.

use super::fuel::ends_leaf;
use super::{PTR, Translator};
use crate::abi::epoch_stub_signature;
use crate::info::ModuleInfo;
use crate::vm::vmctx::{
    STORE_CONTEXT_EPOCH_COUNTER, STORE_CONTEXT_EPOCH_DEADLINE, STORE_CONTEXT_EPOCH_STUB,
    STORE_CONTEXT_OFFSET,
};
use anyhow::Result;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    Block, InstBuilder, MemFlagsData, StackSlot, StackSlotData, StackSlotKind, Value, types,
};
use cranelift_frontend::Variable;
use std::collections::{HashMap, HashSet};
use wasmparser::{Operator, OperatorsReader};

/// What the checks of one function share, set at its entry.
pub(super) struct EpochState<'e> {
    /// The address of the engine's epoch counter: a value of the entry
    /// block, never redefined, so no loop header takes it as a parameter.
    counter: Value,
    /// The deadline as last loaded from the store context.
    deadline: Variable,
    /// Where the vmctx is kept for the cold paths of loop checks, so that
    /// it need not stay live in a register through the loops.
    vmctx_slot: Option<StackSlot>,
    checks: &'e EpochChecks,
}

/// Where the checks of every defined function go, by defined index.
pub struct EpochPlan {
    funcs: Vec<EpochChecks>,
}

/// The checks of one function.
pub(super) struct EpochChecks {
    /// Whether it checks at entry.
    entry: bool,
    /// The loops that check at their header, by operator index
    /// (`Translator::op_index`).
    loops: HashSet<usize>,
}

/// What one pass over a body finds, before the plan of its callees is
/// known.
struct BodyScan {
    /// No loop and no call of any kind.
    leaf: bool,
    /// The body reaches a `loop` through straight-line code.
    starts_with_loop: bool,
    /// Every loop by operator index, with what its iterations reach first
    /// through straight-line code.
    loops: HashMap<usize, Next>,
}

/// What straight-line code from a loop's header reaches first, as far as
/// its check is concerned.
#[derive(Clone, Copy)]
enum Next {
    /// Nothing that checks for it.
    Nothing,
    /// A call of defined function `.0`, which may check at entry.
    Call(u32),
    /// An inner loop's header.
    Loop,
}

impl EpochPlan {
    /// Reads every defined function's body once.
    pub fn new(info: &ModuleInfo) -> Result<EpochPlan> {
        let scans = (0..info.num_defined_funcs())
            .map(|i| BodyScan::new(info, info.body(i).get_operators_reader()?))
            .collect::<Result<Vec<_>>>()?;
        let checks_at_entry: Vec<bool> = scans
            .iter()
            .map(|s| !s.leaf && !s.starts_with_loop)
            .collect();
        let funcs = scans
            .into_iter()
            .zip(&checks_at_entry)
            .map(|(scan, &entry)| EpochChecks {
                entry,
                loops: scan
                    .loops
                    .into_iter()
                    .filter(|(_, next)| match *next {
                        Next::Nothing => true,
                        Next::Call(f) => !checks_at_entry[f as usize],
                        Next::Loop => false,
                    })
                    .map(|(i, _)| i)
                    .collect(),
            })
            .collect();
        Ok(EpochPlan { funcs })
    }

    pub(super) fn checks(&self, defined_index: u32) -> &EpochChecks {
        &self.funcs[defined_index as usize]
    }
}

impl EpochChecks {
    /// Whether the function checks anywhere.
    pub(super) fn any(&self) -> bool {
        self.entry || !self.loops.is_empty()
    }
}

/// Whether `op` may transfer control elsewhere than to the next operator
/// (branches, calls, throws, and every operator that opens or ends a
/// region other than `block`), so ends straight-line code.
fn ends_straight_line(op: &Operator<'_>) -> bool {
    use Operator::*;
    matches!(
        op,
        Unreachable
            | Loop { .. }
            | If { .. }
            | Else
            | Br { .. }
            | BrIf { .. }
            | BrTable { .. }
            | BrOnNull { .. }
            | BrOnNonNull { .. }
            | BrOnCast { .. }
            | BrOnCastFail { .. }
            | Return
            | Call { .. }
            | CallIndirect { .. }
            | CallRef { .. }
            | ReturnCall { .. }
            | ReturnCallIndirect { .. }
            | ReturnCallRef { .. }
            | TryTable { .. }
            | Throw { .. }
            | ThrowRef
            | Try { .. }
            | Catch { .. }
            | CatchAll
            | Rethrow { .. }
            | Delegate { .. }
            | Suspend { .. }
            | Resume { .. }
            | ResumeThrow { .. }
            | ResumeThrowRef { .. }
            | Switch { .. }
    )
}

impl BodyScan {
    fn new(info: &ModuleInfo, mut reader: OperatorsReader<'_>) -> Result<BodyScan> {
        let mut leaf = true;
        // One entry per open construct: `Some(i)` for a loop at operator `i`.
        let mut open: Vec<Option<usize>> = Vec::new();
        // Where straight-line code from the entry or from a loop's header
        // still runs: `None` for the entry, `Some(i)` for loop `i`.
        let mut straight: Option<Option<usize>> = Some(None);
        let mut starts_with_loop = false;
        let mut loops: HashMap<usize, Next> = HashMap::new();
        let mut i = 0;
        while !reader.eof() {
            let op = reader.read()?;
            leaf &= !ends_leaf(&op);
            if let Some(from) = straight.filter(|_| ends_straight_line(&op)) {
                straight = None;
                match (from, &op) {
                    (None, Operator::Loop { .. }) => starts_with_loop = true,
                    (Some(l), Operator::Call { function_index }) => {
                        if let Some(callee) = function_index.checked_sub(info.num_imported_funcs) {
                            loops.insert(l, Next::Call(callee));
                        }
                    }
                    (Some(l), Operator::Loop { .. }) => {
                        loops.insert(l, Next::Loop);
                    }
                    _ => {}
                }
            }
            match op {
                Operator::Loop { .. } => {
                    open.push(Some(i));
                    loops.insert(i, Next::Nothing);
                    straight = Some(Some(i));
                }
                Operator::Block { .. }
                | Operator::If { .. }
                | Operator::TryTable { .. }
                | Operator::Try { .. } => open.push(None),
                // `delegate` ends a legacy `try` in place of its `end`.
                Operator::End | Operator::Delegate { .. } => {
                    // A loop's iteration that reaches its `end` leaves it.
                    let closes_loop = open.pop().flatten().is_some();
                    if closes_loop {
                        straight = None;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        Ok(BodyScan {
            leaf,
            starts_with_loop,
            loops,
        })
    }
}

impl<'e> Translator<'e, '_> {
    /// At function entry: loads what the function's checks compare and, if
    /// it checks at entry, checks once.
    pub(super) fn epoch_function_entry(&mut self, checks: &'e EpochChecks) {
        if !checks.any() {
            return;
        }
        let deadline_var = self.b.declare_var(types::I64);
        let ctx = self.load_store_context(self.vmctx);
        let counter = self.b.ins().load(
            PTR,
            MemFlagsData::trusted(),
            ctx,
            STORE_CONTEXT_EPOCH_COUNTER as i32,
        );
        let deadline = self.load_deadline(ctx);
        let vmctx_slot = (!checks.loops.is_empty()).then(|| {
            let slot = self.b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                PTR.bytes(),
                PTR.bytes().trailing_zeros() as u8,
            ));
            self.b.ins().stack_store(PTR, self.vmctx, slot, 0);
            slot
        });
        self.epoch = Some(EpochState {
            counter,
            deadline: deadline_var,
            vmctx_slot,
            checks,
        });
        self.b.def_var(deadline_var, deadline);
        if !checks.entry {
            return;
        }
        let reached = self.epoch_reached(counter, deadline);
        let (call, cont) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(call);
        self.b.ins().brif(reached, call, &[], cont, &[]);

        self.epoch_call_then(call, cont, deadline_var);
    }

    fn load_store_context(&mut self, vmctx: Value) -> Value {
        self.b.ins().load(
            PTR,
            MemFlagsData::trusted(),
            vmctx,
            STORE_CONTEXT_OFFSET as i32,
        )
    }

    /// The vmctx for a cold path: from its slot if the function keeps it
    /// there.
    fn cold_vmctx(&mut self) -> Value {
        match self.epoch.as_ref().and_then(|s| s.vmctx_slot) {
            Some(slot) => self.b.ins().stack_load(PTR, PTR, slot, 0),
            None => self.vmctx,
        }
    }

    /// The store's deadline as it is now.
    fn load_deadline(&mut self, ctx: Value) -> Value {
        self.b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            ctx,
            STORE_CONTEXT_EPOCH_DEADLINE as i32,
        )
    }

    /// Whether the epoch has reached `deadline`.
    fn epoch_reached(&mut self, counter: Value, deadline: Value) -> Value {
        let epoch = self
            .b
            .ins()
            .load(types::I64, MemFlagsData::trusted(), counter, 0);
        self.b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, epoch, deadline)
    }

    /// A check at a loop header, if the plan has one there; code continues
    /// in a new block after it.
    pub(super) fn epoch_check(&mut self) {
        let Some(state) = &self.epoch else {
            return;
        };
        let (counter, deadline_var) = (state.counter, state.deadline);
        if !state.checks.loops.contains(&self.op_index) {
            return;
        }
        let deadline = self.b.use_var(deadline_var);
        let reached = self.epoch_reached(counter, deadline);
        let (reload, call, cont) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        self.b.set_cold_block(reload);
        self.b.set_cold_block(call);
        self.b.ins().brif(reached, reload, &[], cont, &[]);

        self.b.switch_to_block(reload);
        self.b.seal_block(reload);
        let vmctx = self.cold_vmctx();
        let ctx = self.load_store_context(vmctx);
        let fresh = self.load_deadline(ctx);
        self.b.def_var(deadline_var, fresh);
        let reached = self.epoch_reached(counter, fresh);
        self.b.ins().brif(reached, call, &[], cont, &[]);

        self.epoch_call_then(call, cont, deadline_var);
    }

    /// Fills the cold block `call`: the stub's call, the deadline it moved
    /// reloaded into `deadline_var`, on to `cont`, where code continues.
    fn epoch_call_then(&mut self, call: Block, cont: Block, deadline_var: Variable) {
        self.b.switch_to_block(call);
        self.b.seal_block(call);
        self.call_epoch_stub();
        let vmctx = self.cold_vmctx();
        let ctx = self.load_store_context(vmctx);
        let moved = self.load_deadline(ctx);
        self.b.def_var(deadline_var, moved);
        self.b.ins().jump(cont, &[]);

        self.b.switch_to_block(cont);
        self.b.seal_block(cont);
    }

    /// Calls the engine's epoch stub, which runs `new_epoch` and traps on
    /// its answer or returns with the deadline moved. Its address is
    /// loaded here, in the cold block, not where Cranelift would hoist it.
    fn call_epoch_stub(&mut self) {
        let sig = match self.epoch_stub_sig {
            Some(sig) => sig,
            None => {
                let sig = self.b.import_signature(epoch_stub_signature());
                self.epoch_stub_sig = Some(sig);
                sig
            }
        };
        let vmctx = self.cold_vmctx();
        let ctx = self.load_store_context(vmctx);
        let stub = self.b.ins().load(
            PTR,
            MemFlagsData::trusted(),
            ctx,
            STORE_CONTEXT_EPOCH_STUB as i32,
        );
        self.b.ins().call_indirect(sig, stub, &[vmctx]);
    }
}
