//! Fuel metering (`Tunables::consume_fuel`).
//!
//! Fuel is charged up front, one unit per operator, at two kinds of
//! places: at function entry for the operators of the body outside any
//! loop, and at every loop header (each iteration) for the operators
//! directly inside that loop (nested loops charge their own). A charge
//! subtracts from the store's `VMStoreContext::fuel` and traps
//! `OUT_OF_FUEL` if the result is negative. Branches that leave a loop or
//! skip an `if` arm still pay for the whole region: this counts work,
//! approximately, not exactly.
//!
//! **Leaves are paid for by their callers.** A defined function with no
//! `loop` and no call instruction (`call`, `call_indirect`, and the tail
//! calls `return_call`, `return_call_indirect`; builtins such as
//! `memory.grow` are not calls, they always return) runs each of its
//! operators at most once and returns: it is a *leaf*, and gets no charge
//! of its own, because a charge in every one of a module's many small
//! functions is most of what metering costs to compile. Instead each
//! direct `call` or `return_call` of a leaf adds the leaf's operator count
//! to the charge of the region holding the call (the caller's entry or the
//! enclosing loop header), so a direct call costs the same fuel as if the
//! leaf charged itself. A leaf reached through `call_indirect`, an import, or from the
//! host is not charged for its body. [`FuelPlan`] works all this out for
//! the whole module before any function is translated.
//!
//! **Every infinite execution still runs out.** Wasm that never finishes
//! executes infinitely many operators (builtins and host calls aside,
//! which are not wasm). Every function that is not a leaf charges at least
//! 1 at entry, and every loop at least 1 per iteration. Suppose some
//! execution made only finitely many charges. Then it entered finitely
//! many non-leaf functions, and each of those activations ran each loop
//! finitely often, so ran finitely many operators, hence made finitely
//! many calls (tail calls included: a tail call ends its caller's
//! activation, it does not make it a leaf). A leaf activation makes no calls and runs at most its body's
//! length. So every call made in wasm comes from one of finitely many
//! non-leaf activations, each making finitely many: there are finitely
//! many activations in all, each running finitely many operators, and the
//! execution finishes. (A host function called from wasm that itself
//! loops forever, calling wasm leaves or not, is host code, which fuel
//! never bounds.)

use super::Translator;
use crate::info::ModuleInfo;
use crate::vm::trap_codes;
use crate::vm::vmctx::{STORE_CONTEXT_FUEL, STORE_CONTEXT_OFFSET};
use anyhow::Result;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, types};
use std::collections::HashMap;
use wasmparser::{Operator, OperatorsReader};

/// The charges of every defined function of a module, by defined index.
pub struct FuelPlan {
    funcs: Vec<FuelCosts>,
}

/// The charges of one function.
pub(super) struct FuelCosts {
    /// Charged at function entry; 0 (no charge at all) for a leaf.
    pub entry: u64,
    /// Charged at the header of the loop whose `loop` is operator `i`.
    pub loops: HashMap<usize, u64>,
}

/// What one pass over a body finds, before leaves are known.
struct BodyScan {
    /// Operators outside any loop (at least 1).
    entry: u64,
    /// Operators directly inside each loop (at least 1), by the position
    /// of its `loop`.
    loops: HashMap<usize, u64>,
    /// Direct calls and tail calls of defined functions: the loop holding
    /// the call (`None`: the entry region) and the callee's defined index.
    calls: Vec<(Option<usize>, u32)>,
    /// No loop and no call of any kind.
    leaf: bool,
}

impl FuelPlan {
    /// Reads every defined function's body once.
    pub fn new(info: &ModuleInfo) -> Result<FuelPlan> {
        let scans = (0..info.num_defined_funcs())
            .map(|i| BodyScan::new(info, info.body(i).get_operators_reader()?))
            .collect::<Result<Vec<_>>>()?;
        // A leaf's cost, paid by its direct callers.
        let leaf_cost: Vec<Option<u64>> = scans.iter().map(|s| s.leaf.then_some(s.entry)).collect();
        let funcs = scans
            .into_iter()
            .map(|scan| {
                let mut costs = FuelCosts {
                    entry: if scan.leaf { 0 } else { scan.entry },
                    loops: scan.loops,
                };
                for (region, callee) in scan.calls {
                    let Some(cost) = leaf_cost[callee as usize] else {
                        continue;
                    };
                    let charge = match region {
                        Some(l) => costs.loops.get_mut(&l).expect("scanned loop"),
                        None => &mut costs.entry,
                    };
                    *charge = charge.saturating_add(cost);
                }
                costs
            })
            .collect();
        Ok(FuelPlan { funcs })
    }

    /// The charges of defined function `defined_index`.
    pub(super) fn costs(&self, defined_index: u32) -> &FuelCosts {
        &self.funcs[defined_index as usize]
    }
}

/// Whether a function with operator `op` is no leaf: `op` is a `loop` or
/// a call of any kind. A tail call is a call (else a loop of tail calls
/// would never be charged), `call_ref` and `return_call_ref` included.
pub(super) fn ends_leaf(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::Loop { .. }
            | Operator::Call { .. }
            | Operator::ReturnCall { .. }
            | Operator::CallIndirect { .. }
            | Operator::ReturnCallIndirect { .. }
            | Operator::CallRef { .. }
            | Operator::ReturnCallRef { .. }
    )
}

impl BodyScan {
    fn new(info: &ModuleInfo, mut reader: OperatorsReader<'_>) -> Result<BodyScan> {
        // One entry per open construct: `Some(i)` for a loop at operator
        // `i`, `None` for other blocks (whose operators count towards the
        // enclosing loop or the entry).
        let mut open: Vec<Option<usize>> = Vec::new();
        let mut entry = 0u64;
        let mut loops: HashMap<usize, u64> = HashMap::new();
        let mut calls = Vec::new();
        let mut leaf = true;
        let mut i = 0;
        while !reader.eof() {
            let op = reader.read()?;
            let owner = open.iter().rev().find_map(|o| *o);
            match owner {
                Some(l) => *loops.entry(l).or_insert(0) += 1,
                None => entry += 1,
            }
            leaf &= !ends_leaf(&op);
            match op {
                Operator::Loop { .. } => {
                    open.push(Some(i));
                    loops.insert(i, 0);
                }
                Operator::Block { .. } | Operator::If { .. } => open.push(None),
                Operator::End => {
                    open.pop();
                }
                Operator::Call { function_index } | Operator::ReturnCall { function_index } => {
                    if let Some(callee) = function_index.checked_sub(info.num_imported_funcs) {
                        calls.push((owner, callee));
                    }
                }
                _ => {}
            }
            i += 1;
        }
        for cost in loops.values_mut() {
            *cost = (*cost).max(1);
        }
        Ok(BodyScan {
            entry: entry.max(1),
            loops,
            calls,
            leaf,
        })
    }
}

impl Translator<'_, '_> {
    pub(super) fn consume_fuel(&mut self, cost: u64) {
        // The context pointer never changes; the fuel in it is changed by
        // callees and the host, so its loads are not readonly.
        let ptr_flags = MemFlagsData::trusted().with_readonly();
        let ctx = self.b.ins().load(
            types::I64,
            ptr_flags,
            self.vmctx,
            STORE_CONTEXT_OFFSET as i32,
        );
        let flags = MemFlagsData::trusted();
        let fuel = self
            .b
            .ins()
            .load(types::I64, flags, ctx, STORE_CONTEXT_FUEL as i32);
        let cost = i64::try_from(cost).unwrap_or(i64::MAX);
        let fuel = self.b.ins().iadd_imm_s(fuel, cost.wrapping_neg());
        self.b
            .ins()
            .store(flags, fuel, ctx, STORE_CONTEXT_FUEL as i32);
        let exhausted = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, fuel, 0);
        self.b.ins().trapnz(exhausted, trap_codes::OUT_OF_FUEL);
    }
}
