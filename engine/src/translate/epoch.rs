//! Epoch interruption (`Tunables::epoch_interruption`): checks of the
//! engine's epoch against the store's deadline.
//!
//! A check sits where fuel is charged (`fuel.rs`): at the entry of every
//! function that is not a *leaf* (no `loop`, no call of any kind) and at
//! every loop header, so it runs once per iteration. By `fuel.rs`'s
//! argument ("every infinite execution still runs out", which only uses
//! where the charges are, not their amounts), every execution that does
//! not finish passes infinitely many checks, so it stops at the first one
//! after the epoch reaches the deadline: another thread's
//! `Engine::increment_epoch` interrupts even a `(loop (br 0))`. Leaves
//! run at most their body's length and return.
//!
//! The fast path is one load of the epoch, one compare with the deadline
//! and a branch: the counter's address (fixed for a store) is loaded once
//! at function entry, and the deadline lives in a variable, loaded at
//! entry. Past it, a cold path reloads the deadline from the store context
//! (a callee or a host function may have moved it) and, if it is still
//! reached, calls the engine's epoch stub (`trampoline::epoch_stub`),
//! which runs the `new_epoch` builtin and traps (`INTERRUPT`, or
//! `HOST_ERROR` for the policy's error) or returns with the deadline
//! moved, reloaded afterwards. A deadline the host lowers while a function
//! runs is seen at the function's next entry.
//!
//! The stub is called in Cranelift's `preserve_all` convention: the call
//! clobbers no register, so a loop that checks keeps its values in
//! whatever registers it had (with the host's convention, every value
//! live across the loop would need a callee-saved register, and tight
//! loops spilled). Its address is loaded in the cold block itself, so
//! Cranelift does not hoist it into a register for the whole loop.
//!
//! Loads of the epoch are plain loads, not `readonly`: a check must read
//! it anew every time. Every check's cold path calls out, which Cranelift
//! treats as a store, so no check's load is ever forwarded from an
//! earlier one.

use super::fuel::ends_leaf;
use super::{PTR, Translator};
use crate::abi::epoch_stub_signature;
use crate::vm::vmctx::{
    STORE_CONTEXT_EPOCH_COUNTER, STORE_CONTEXT_EPOCH_DEADLINE, STORE_CONTEXT_EPOCH_STUB,
    STORE_CONTEXT_OFFSET,
};
use anyhow::Result;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Value, types};
use cranelift_frontend::Variable;
use wasmparser::FunctionBody;

/// What the checks of one function share.
pub(super) struct EpochState {
    /// The address of the engine's epoch counter.
    counter: Value,
    /// The deadline as last loaded from the store context.
    deadline: Variable,
}

/// Whether `body` is a leaf (see the module doc): such a function needs
/// no check.
pub(super) fn is_leaf(body: &FunctionBody<'_>) -> Result<bool> {
    let mut reader = body.get_operators_reader()?;
    while !reader.eof() {
        if ends_leaf(&reader.read()?) {
            return Ok(false);
        }
    }
    Ok(true)
}

impl Translator<'_, '_> {
    /// At function entry (of a non-leaf): loads what the checks need and
    /// checks once.
    pub(super) fn epoch_function_entry(&mut self) {
        let fixed = MemFlagsData::trusted().with_readonly().with_can_move();
        let ctx = self
            .b
            .ins()
            .load(PTR, fixed, self.vmctx, STORE_CONTEXT_OFFSET as i32);
        let counter = self
            .b
            .ins()
            .load(PTR, fixed, ctx, STORE_CONTEXT_EPOCH_COUNTER as i32);
        let deadline = self.load_deadline();
        let var = self.b.declare_var(types::I64);
        self.b.def_var(var, deadline);
        self.epoch = Some(EpochState {
            counter,
            deadline: var,
        });
        self.epoch_check();
    }

    /// The store's deadline as it is now.
    fn load_deadline(&mut self) -> Value {
        let ctx = self.b.ins().load(
            PTR,
            MemFlagsData::trusted().with_readonly().with_can_move(),
            self.vmctx,
            STORE_CONTEXT_OFFSET as i32,
        );
        self.b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            ctx,
            STORE_CONTEXT_EPOCH_DEADLINE as i32,
        )
    }

    /// A check at the current position (function entry or loop header);
    /// code continues in a new block after it. Nothing when epochs are
    /// off or the function is a leaf.
    pub(super) fn epoch_check(&mut self) {
        let Some(state) = &self.epoch else {
            return;
        };
        let (counter, var) = (state.counter, state.deadline);
        let epoch = self
            .b
            .ins()
            .load(types::I64, MemFlagsData::trusted(), counter, 0);
        let deadline = self.b.use_var(var);
        let reached = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, epoch, deadline);
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
        let fresh = self.load_deadline();
        self.b.def_var(var, fresh);
        let reached = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, epoch, fresh);
        self.b.ins().brif(reached, call, &[], cont, &[]);

        self.b.switch_to_block(call);
        self.b.seal_block(call);
        self.call_epoch_stub();
        let moved = self.load_deadline();
        self.b.def_var(var, moved);
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
        let in_place = MemFlagsData::trusted();
        let ctx = self
            .b
            .ins()
            .load(PTR, in_place, self.vmctx, STORE_CONTEXT_OFFSET as i32);
        let stub = self
            .b
            .ins()
            .load(PTR, in_place, ctx, STORE_CONTEXT_EPOCH_STUB as i32);
        self.b.ins().call_indirect(sig, stub, &[self.vmctx]);
    }
}
