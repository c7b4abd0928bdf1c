//! Epoch interruption (`Tunables::epoch_interruption`): checks of the
//! engine's epoch against the store's deadline.
//!
//! **Where the checks are.** Checks sit at the entry of functions and at
//! loop headers, as fuel's charges do (`fuel.rs`), minus those another
//! check makes redundant; [`EpochPlan`] places them for the whole module
//! before any function is translated:
//! - A *leaf* (no `loop`, no call of any kind) has none: it runs at most
//!   its body's length and returns.
//! - Nor does a function without loops whose calls are all direct calls of
//!   defined functions that run at most [`UNCHECKED_RUN`] operators before
//!   a check, its own included ([`unchecked_runs`]): calls of leaves, of
//!   functions like it, and of functions that check at entry (which count
//!   as nothing). A cycle of calls has a check somewhere on it.
//! - Any other function checks at entry, unless its body reaches a `loop`
//!   through straight-line code (no branch, no call): that loop's header
//!   comes next.
//! - A loop checks at its header, unless each iteration, through
//!   straight-line code from the header, directly calls a defined function
//!   that checks at entry (a recursive function written as a loop around
//!   its own call is the common case): that entry comes next. Whether a
//!   function checks at entry does not depend on any loop's check.
//! - Nor does a loop whose iterations reach an inner `loop` through
//!   straight-line code (`(loop (loop ...) ...)`, the usual shape of
//!   nested loops): the inner header comes next. Each rule defers to a
//!   check later in straight-line code or to a callee's entry, never
//!   back, so every chain of deferrals ends at a check that stays.
//! - A loop that checks, holds no inner loop and no exception handling,
//!   and has a short body, has its body translated several times
//!   (`unroll.rs`), and only the first copy checks: once per [`copies`]
//!   iterations, at most [`MAX_COPIES`].
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
//! function that may call more than a bounded tree of others checks
//! before it runs more than its straight-line prefix.
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
use std::collections::HashMap;
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
    /// (`Translator::op_index`), with how many copies of their body the
    /// translator makes (`unroll.rs`): 1 for most, more for tight loops.
    loops: HashMap<usize, u32>,
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
    /// The loops whose bodies may be copied, by operator index, with their
    /// number of operators.
    copyable: HashMap<usize, usize>,
    /// The number of operators.
    ops: u64,
    /// The defined functions it calls (`call`, `return_call`), once per
    /// call site.
    callees: Vec<u32>,
    /// It calls an import, or calls indirectly.
    calls_elsewhere: bool,
}

/// Operators a call of a function without an entry check may run before
/// the next check, counting its callees': past it, the function checks at
/// entry.
const UNCHECKED_RUN: u64 = 1000;

/// For each defined function, how many operators a call of it runs,
/// callees included, before it reaches a check, if it may go without an
/// entry check for that; `None` if it must check at entry, or checks soon
/// after (at a loop it starts with), so that its callers count it as 0.
///
/// A function that neither loops nor calls anything but defined functions
/// directly runs its own operators and, for each call, its callee's run:
/// if that adds up to at most [`UNCHECKED_RUN`], it needs no check of its
/// own (a leaf's run is its length, whatever that is). Recursion needs a
/// check somewhere on every cycle of calls: a call back to a function
/// whose run is still being added up makes the caller check. An import
/// or an indirect call may run anything, so its caller checks.
fn unchecked_runs(scans: &[BodyScan]) -> Vec<Option<u64>> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Open,
        Done(Option<u64>),
    }
    let mut state = vec![State::New; scans.len()];
    // Each open function with how many of its callees have been added.
    let mut stack: Vec<(usize, usize, u64)> = Vec::new();
    for root in 0..scans.len() {
        if state[root] != State::New {
            continue;
        }
        state[root] = State::Open;
        stack.push((root, 0, 0));
        while let Some(&mut (f, ref mut next, ref mut run)) = stack.last_mut() {
            let scan = &scans[f];
            let done = if scan.leaf {
                Some(Some(scan.ops))
            } else if !scan.loops.is_empty() || scan.calls_elsewhere {
                Some(None)
            } else if let Some(&callee) = scan.callees.get(*next) {
                match state[callee as usize] {
                    State::New => {
                        state[callee as usize] = State::Open;
                        stack.push((callee as usize, 0, 0));
                        continue;
                    }
                    State::Open => Some(None),
                    State::Done(callee_run) => {
                        *run = run.saturating_add(callee_run.unwrap_or(0));
                        *next += 1;
                        None
                    }
                }
            } else {
                let total = run.saturating_add(scan.ops);
                Some((total <= UNCHECKED_RUN).then_some(total))
            };
            if let Some(result) = done {
                state[f] = State::Done(result);
                stack.pop();
            }
        }
    }
    state
        .into_iter()
        .map(|s| match s {
            State::Done(run) => run,
            State::New | State::Open => unreachable!("every function is visited"),
        })
        .collect()
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
        let runs = unchecked_runs(&scans);
        let checks_at_entry: Vec<bool> = scans
            .iter()
            .zip(&runs)
            .map(|(s, run)| !s.leaf && !s.starts_with_loop && run.is_none())
            .collect();
        let funcs = scans
            .into_iter()
            .zip(&checks_at_entry)
            .map(|(scan, &entry)| EpochChecks {
                entry,
                loops: scan
                    .loops
                    .iter()
                    .filter(|(_, next)| match **next {
                        Next::Nothing => true,
                        Next::Call(f) => !checks_at_entry[f as usize],
                        Next::Loop => false,
                    })
                    .map(|(&i, _)| (i, scan.copyable.get(&i).map_or(1, |&ops| copies(ops))))
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

    /// How many copies of the body of the loop at operator `op_index` the
    /// translator makes, if the loop checks.
    fn loop_copies(&self, op_index: usize) -> Option<u32> {
        self.loops.get(&op_index).copied()
    }
}

/// The operators a tight loop's copies add up to at least, so that its one
/// check costs at most a few percent of them.
const COPIED_OPS: usize = 100;
/// The most copies of a loop's body: the latency of an interruption grows
/// with them, and so does code size.
const MAX_COPIES: usize = 4;

/// How many copies of a copyable loop body of `ops` operators to make.
fn copies(ops: usize) -> u32 {
    COPIED_OPS.div_ceil(ops.max(1)).clamp(1, MAX_COPIES) as u32
}

/// Whether a loop containing `op` cannot have its body copied: it holds
/// another loop (whose own check bounds its iterations, and which would be
/// copied with it), or takes part in exception handling (whose handlers
/// belong to one place in the code). Calls may be copied: a loop that
/// calls on its rare paths only (growing a buffer, say) still runs its
/// common path in a few operators.
fn bars_copying(op: &Operator<'_>) -> bool {
    matches!(op, Operator::Loop { .. }) || handles_exceptions_or_stacks(op)
}

/// Whether `op` is part of exception handling or stack switching: control
/// goes through handlers, or to other stacks.
fn handles_exceptions_or_stacks(op: &Operator<'_>) -> bool {
    use Operator::*;
    matches!(
        op,
        TryTable { .. }
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

/// Whether `op` may transfer control elsewhere than to the next operator
/// (branches, calls, throws, and every operator that opens or ends a
/// region other than `block`), so ends straight-line code.
fn ends_straight_line(op: &Operator<'_>) -> bool {
    use Operator::*;
    handles_exceptions_or_stacks(op)
        || matches!(
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
        // The innermost open loop, if its body may still be copied (an
        // outer one holds a loop, so may not).
        let mut copyable: Option<usize> = None;
        let mut copyable_ops: HashMap<usize, usize> = HashMap::new();
        let mut callees = Vec::new();
        let mut calls_elsewhere = false;
        let mut i = 0;
        while !reader.eof() {
            let op = reader.read()?;
            leaf &= !ends_leaf(&op);
            match op {
                Operator::Call { function_index } | Operator::ReturnCall { function_index } => {
                    match function_index.checked_sub(info.num_imported_funcs) {
                        Some(callee) => callees.push(callee),
                        None => calls_elsewhere = true,
                    }
                }
                Operator::CallIndirect { .. }
                | Operator::ReturnCallIndirect { .. }
                | Operator::CallRef { .. }
                | Operator::ReturnCallRef { .. } => calls_elsewhere = true,
                _ => {}
            }
            if bars_copying(&op) {
                copyable = None;
            }
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
                    copyable = Some(i);
                    straight = Some(Some(i));
                }
                Operator::Block { .. }
                | Operator::If { .. }
                | Operator::TryTable { .. }
                | Operator::Try { .. } => open.push(None),
                // `delegate` ends a legacy `try` in place of its `end`.
                Operator::End | Operator::Delegate { .. } => {
                    // A loop's iteration that reaches its `end` leaves it.
                    if let Some(l) = open.pop().flatten() {
                        straight = None;
                        if copyable == Some(l) {
                            copyable = None;
                            copyable_ops.insert(l, i - l - 1);
                        }
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
            copyable: copyable_ops,
            ops: i as u64,
            callees,
            calls_elsewhere,
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
    /// in a new block after it. Returns how many copies of the loop's body
    /// to translate (`unroll.rs`): 1 unless it checks and is copyable.
    pub(super) fn epoch_check(&mut self) -> u32 {
        let Some(state) = &self.epoch else {
            return 1;
        };
        let (counter, deadline_var) = (state.counter, state.deadline);
        let Some(copies) = state.checks.loop_copies(self.op_index) else {
            return 1;
        };
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
        copies
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
