//! Fuel metering (`Tunables::consume_fuel`).
//!
//! Fuel is charged up front: at function entry for the operators of the
//! body outside any loop, and at every loop header (each iteration) for the
//! operators directly inside that loop (nested loops charge their own).
//! Every charge is at least 1, so any infinite loop runs out. A charge
//! subtracts from the store's `VMStoreContext::fuel` and traps `OUT_OF_FUEL`
//! if the result is negative. Branches that leave a loop early still pay
//! for the whole body: this counts work, approximately, not exactly.

use super::Translator;
use crate::trap::ir_codes;
use crate::vmctx::{STORE_CONTEXT_FUEL, STORE_CONTEXT_OFFSET};
use anyhow::Result;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, types};
use std::collections::HashMap;
use wasmparser::{Operator, OperatorsReader};

pub(super) struct FuelCosts {
    /// Charged at function entry.
    pub entry: u64,
    /// Charged at the header of the loop whose `loop` is operator `i`.
    pub loops: HashMap<usize, u64>,
}

impl FuelCosts {
    /// Reads the whole body from `reader` (a copy of the translator's).
    pub fn new(mut reader: OperatorsReader<'_>) -> Result<FuelCosts> {
        // One entry per open construct: `Some(i)` for a loop at operator
        // `i`, `None` for other blocks (whose operators count towards the
        // enclosing loop or the entry).
        let mut open: Vec<Option<usize>> = Vec::new();
        let mut entry = 0u64;
        let mut loops: HashMap<usize, u64> = HashMap::new();
        let mut i = 0;
        while !reader.eof() {
            let op = reader.read()?;
            let owner = open.iter().rev().find_map(|o| *o);
            match owner {
                Some(l) => *loops.entry(l).or_insert(0) += 1,
                None => entry += 1,
            }
            match op {
                Operator::Loop { .. } => {
                    open.push(Some(i));
                    loops.insert(i, 0);
                }
                Operator::Block { .. } | Operator::If { .. } => open.push(None),
                Operator::End => {
                    open.pop();
                }
                _ => {}
            }
            i += 1;
        }
        for cost in loops.values_mut() {
            *cost = (*cost).max(1);
        }
        Ok(FuelCosts {
            entry: entry.max(1),
            loops,
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
        self.b.ins().trapnz(exhausted, ir_codes::OUT_OF_FUEL);
    }
}
