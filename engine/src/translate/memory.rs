//! Linear memory: effective addresses, bounds checks, loads and stores,
//! `memory.size`, and the builtin-backed `memory.grow`/`fill`/`copy`/
//! `init` and `data.drop`.
//!
//! The address of an access is `base + index + offset`, the index
//! zero-extended if the memory is 32-bit, with the memory's
//! `VMMemoryDefinition` reached through the vmctx. How it is kept in bounds
//! depends on the memory (`vm::memory::uses_guard_pages`, which decides by
//! `Tunables::bounds_checks` and the memory's type):
//!
//! - guarded (32-bit, 64 KiB pages, `GuardPages` mode): no check. Every
//!   byte of an access, from `zext(index) + offset` (at most `2 *
//!   u32::MAX`) to `size - 1` (at most 15) past it, lies inside the
//!   memory's reservation (4 GiB + 4 GiB + one wasm page:
//!   `GUARD_RESERVATION` in `vm/memory.rs`, which asserts it), so an
//!   out-of-bounds access faults wholly inside it and never touches other
//!   mappings; the access carries `HEAP_OUT_OF_BOUNDS` so Cranelift records
//!   the trap site. The base never moves, so its load is readonly.
//! - otherwise: trap unless `index + offset + size <= length`. For a 32-bit
//!   memory that is computed in 64 bits and cannot overflow; for a 64-bit
//!   one the addition traps on overflow (an `index + offset` past 2^64 is
//!   out of bounds, never wrapped round). Base and length are reloaded at
//!   each access because growing may move the memory. With
//!   `Tunables::spectre_guards` the address, offset included, is then
//!   `select_spectre_guard(out_of_bounds, 0, address)` instead of a
//!   branch: a branch can be mispredicted, the conditional move cannot, so
//!   no access, speculative or not, reads memory past the sandbox; an
//!   out-of-bounds one faults on the null page and traps there, as a
//!   guard-page access does (for a 64-bit memory the overflow of `index +
//!   offset` is part of that condition, as a wrapped sum would look in
//!   bounds).
//!   Guarded memories need no such guard: nothing is checked, and no
//!   address they can form leaves their reservation.
//!
//! Bulk operations and `memory.grow` take their addresses, lengths and
//! sizes as `i64` whatever the memory's index type; `memory.size`,
//! `memory.grow` and the operands are of the index type in wasm.

use super::{PTR, Translator, vmctx_readonly};
use crate::types::MemoryType;
use crate::vm::builtins::Builtin;
use crate::vm::memory::{MAX_ACCESS_SIZE, uses_guard_pages};
use crate::vm::vmctx::{MEMORY_BASE, MEMORY_LENGTH};
use anyhow::{Result, bail};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{Endianness, InstBuilder, MemFlagsData, TrapCode, Type, Value, types};
use wasmparser::{MemArg, MemArgTarget};

/// What a wasm load reads, and how it widens to the result type.
#[derive(Clone, Copy)]
pub(super) enum LoadKind {
    Plain(Type),
    S8(Type),
    U8(Type),
    S16(Type),
    U16(Type),
    /// `i64.load32_s`
    S32,
    /// `i64.load32_u`
    U32,
}

impl LoadKind {
    fn size(self) -> u64 {
        match self {
            LoadKind::Plain(ty) => u64::from(ty.bytes()),
            LoadKind::S8(_) | LoadKind::U8(_) => 1,
            LoadKind::S16(_) | LoadKind::U16(_) => 2,
            LoadKind::S32 | LoadKind::U32 => 4,
        }
    }
}

/// How many bytes a wasm store writes (narrow stores truncate).
#[derive(Clone, Copy)]
pub(super) enum StoreKind {
    Plain(u64),
    Narrow8,
    Narrow16,
    Narrow32,
}

impl StoreKind {
    fn size(self) -> u64 {
        match self {
            StoreKind::Plain(n) => n,
            StoreKind::Narrow8 => 1,
            StoreKind::Narrow16 => 2,
            StoreKind::Narrow32 => 4,
        }
    }
}

pub(super) fn memory_index(memarg: &MemArg) -> Result<u32> {
    match memarg.target {
        MemArgTarget::Memory(m) => Ok(m),
        MemArgTarget::Array(_) => bail!("GC array accesses are not supported"),
    }
}

impl Translator<'_, '_> {
    operators! { t;
        visit_i32_load(memarg: MemArg) => t.op_load(&memarg, LoadKind::Plain(types::I32))?;
        visit_i64_load(memarg: MemArg) => t.op_load(&memarg, LoadKind::Plain(types::I64))?;
        visit_f32_load(memarg: MemArg) => t.op_load(&memarg, LoadKind::Plain(types::F32))?;
        visit_f64_load(memarg: MemArg) => t.op_load(&memarg, LoadKind::Plain(types::F64))?;
        visit_i32_load8_s(memarg: MemArg) => t.op_load(&memarg, LoadKind::S8(types::I32))?;
        visit_i32_load8_u(memarg: MemArg) => t.op_load(&memarg, LoadKind::U8(types::I32))?;
        visit_i32_load16_s(memarg: MemArg) => t.op_load(&memarg, LoadKind::S16(types::I32))?;
        visit_i32_load16_u(memarg: MemArg) => t.op_load(&memarg, LoadKind::U16(types::I32))?;
        visit_i64_load8_s(memarg: MemArg) => t.op_load(&memarg, LoadKind::S8(types::I64))?;
        visit_i64_load8_u(memarg: MemArg) => t.op_load(&memarg, LoadKind::U8(types::I64))?;
        visit_i64_load16_s(memarg: MemArg) => t.op_load(&memarg, LoadKind::S16(types::I64))?;
        visit_i64_load16_u(memarg: MemArg) => t.op_load(&memarg, LoadKind::U16(types::I64))?;
        visit_i64_load32_s(memarg: MemArg) => t.op_load(&memarg, LoadKind::S32)?;
        visit_i64_load32_u(memarg: MemArg) => t.op_load(&memarg, LoadKind::U32)?;
        visit_i32_store | visit_f32_store(memarg: MemArg) => {
            t.op_store(&memarg, StoreKind::Plain(4))?
        };
        visit_i64_store | visit_f64_store(memarg: MemArg) => {
            t.op_store(&memarg, StoreKind::Plain(8))?
        };
        visit_i32_store8 | visit_i64_store8(memarg: MemArg) => {
            t.op_store(&memarg, StoreKind::Narrow8)?
        };
        visit_i32_store16 | visit_i64_store16(memarg: MemArg) => {
            t.op_store(&memarg, StoreKind::Narrow16)?
        };
        visit_i64_store32(memarg: MemArg) => t.op_store(&memarg, StoreKind::Narrow32)?;
        visit_memory_size(mem: u32) => t.op_memory_size(mem);
        visit_memory_grow(mem: u32) => t.op_memory_grow(mem);
        visit_memory_fill(mem: u32) => t.op_memory_fill(mem);
        visit_memory_copy(dst_mem: u32, src_mem: u32) => t.op_memory_copy(dst_mem, src_mem);
        visit_memory_init(data_index: u32, mem: u32) => t.op_memory_init(mem, data_index);
        visit_data_drop(data_index: u32) => t.op_data_drop(data_index);
    }

    /// The `*mut VMMemoryDefinition` of memory `mem` (fixed at
    /// instantiation).
    fn memory_def(&mut self, mem: u32) -> Value {
        self.vmctx_ptr(self.env.offsets.memory_ptr(mem))
    }

    /// The memory's current length in bytes (changes on grow, so never
    /// readonly).
    fn memory_length(&mut self, def: Value) -> Value {
        self.b
            .ins()
            .load(PTR, MemFlagsData::trusted(), def, MEMORY_LENGTH as i32)
    }

    fn memory_type(&self, mem: u32) -> MemoryType {
        self.env.info.memories[mem as usize]
    }

    /// Computes the address of a `size`-byte access at `index + offset`,
    /// emitting the bounds check the memory needs. Returns the address,
    /// the immediate offset to put on the access, and its flags.
    pub(super) fn memory_address(
        &mut self,
        mem: u32,
        index: Value,
        offset: u64,
        size: u64,
    ) -> (Value, i32, MemFlagsData) {
        // What the guard reservation is sized for.
        debug_assert!(size <= MAX_ACCESS_SIZE);
        let ty = self.memory_type(mem);
        let def = self.memory_def(mem);
        let index = self.widen_index(index);
        let (base, flags) = if uses_guard_pages(&ty, self.env.tunables.bounds_checks) {
            let base = self
                .b
                .ins()
                .load(PTR, vmctx_readonly(), def, MEMORY_BASE as i32);
            let flags = MemFlagsData::new()
                .with_endianness(Endianness::Little)
                .with_trap_code(Some(TrapCode::HEAP_OUT_OF_BOUNDS));
            (base, flags)
        } else {
            let length = self.memory_length(def);
            let oob = if ty.memory64 {
                // An end past 2^64 is out of bounds, never wrapped round.
                // (An offset so large that `offset + size` itself
                // overflows saturates, and is out of bounds for every
                // index.)
                let reach = self
                    .b
                    .ins()
                    .iconst(types::I64, offset.saturating_add(size) as i64);
                if self.env.tunables.spectre_guards {
                    // The overflow must be part of the guarded condition:
                    // past a mispredicted overflow trap, a wrapped end
                    // would look in bounds.
                    let (end, overflow) = self.b.ins().uadd_overflow(index, reach);
                    let past = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, length);
                    self.b.ins().bor(overflow, past)
                } else {
                    let end =
                        self.b
                            .ins()
                            .uadd_overflow_trap(index, reach, TrapCode::HEAP_OUT_OF_BOUNDS);
                    self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, length)
                }
            } else {
                // index < 2^32 and offset + size < 2^32 + 16: no overflow.
                let end = self.b.ins().iadd_imm_u(index, (offset + size) as i64);
                self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, length)
            };
            let guarded = self.env.tunables.spectre_guards;
            if !guarded {
                self.b.ins().trapnz(oob, TrapCode::HEAP_OUT_OF_BOUNDS);
            }
            let base = self
                .b
                .ins()
                .load(PTR, MemFlagsData::trusted(), def, MEMORY_BASE as i32);
            if guarded {
                // No branch at all: the guard sends an out-of-bounds
                // access, speculative or not, to the null page, where it
                // faults, and the access carries the trap code, so the
                // fault is this trap (as in guard-page mode). Linux never
                // maps the page at 0 (`vm.mmap_min_addr`), and an access,
                // at most 16 bytes from it, stays inside it. The whole
                // address, offset included, goes through the guard, so
                // nothing lands `offset` past the null page.
                let flags = MemFlagsData::new()
                    .with_endianness(Endianness::Little)
                    .with_trap_code(Some(TrapCode::HEAP_OUT_OF_BOUNDS));
                // (Cranelift folds the add of a zero offset.)
                let addr = self.b.ins().iadd(base, index);
                let addr = self.b.ins().iadd_imm_u(addr, offset as i64);
                let null = self.b.ins().iconst(PTR, 0);
                let addr = self.b.ins().select_spectre_guard(oob, null, addr);
                return (addr, 0, flags);
            }
            // Checked above, so the access itself cannot fault.
            let flags = MemFlagsData::new()
                .with_endianness(Endianness::Little)
                .with_notrap();
            (base, flags)
        };
        let addr = self.b.ins().iadd(base, index);
        match i32::try_from(offset) {
            Ok(imm) => (addr, imm, flags),
            // Offsets past the immediate's range are added explicitly
            // (checked above, or at most u32::MAX past a guarded base).
            Err(_) => (self.b.ins().iadd_imm_u(addr, offset as i64), 0, flags),
        }
    }

    /// `v` as an `i64`, zero-extended if it is an `i32` (an index, length
    /// or size of a 32-bit memory or table).
    pub(super) fn widen_index(&mut self, v: Value) -> Value {
        match self.b.func.dfg.value_type(v) {
            types::I32 => self.b.ins().uextend(types::I64, v),
            _ => v,
        }
    }

    /// An `i64` size (or -1) returned by a builtin, as the index type of a
    /// memory or table (`is64`).
    pub(super) fn narrow_index(&mut self, v: Value, is64: bool) -> Value {
        match is64 {
            true => v,
            false => self.b.ins().ireduce(types::I32, v),
        }
    }

    pub(super) fn op_load(&mut self, memarg: &MemArg, kind: LoadKind) -> Result<()> {
        let mem = memory_index(memarg)?;
        let index = self.pop();
        let (addr, off, flags) = self.memory_address(mem, index, memarg.offset, kind.size());
        let ins = self.b.ins();
        let v = match kind {
            LoadKind::Plain(ty) => ins.load(ty, flags, addr, off),
            LoadKind::S8(ty) => ins.sload8(ty, flags, addr, off),
            LoadKind::U8(ty) => ins.uload8(ty, flags, addr, off),
            LoadKind::S16(ty) => ins.sload16(ty, flags, addr, off),
            LoadKind::U16(ty) => ins.uload16(ty, flags, addr, off),
            LoadKind::S32 => ins.sload32(flags, addr, off),
            LoadKind::U32 => ins.uload32(flags, addr, off),
        };
        self.push(v);
        Ok(())
    }

    pub(super) fn op_store(&mut self, memarg: &MemArg, kind: StoreKind) -> Result<()> {
        let mem = memory_index(memarg)?;
        let (index, value) = self.pop2();
        let (addr, off, flags) = self.memory_address(mem, index, memarg.offset, kind.size());
        let ins = self.b.ins();
        match kind {
            StoreKind::Plain(_) => ins.store(flags, value, addr, off),
            StoreKind::Narrow8 => ins.istore8(flags, value, addr, off),
            StoreKind::Narrow16 => ins.istore16(flags, value, addr, off),
            StoreKind::Narrow32 => ins.istore32(flags, value, addr, off),
        };
        Ok(())
    }

    fn op_memory_size(&mut self, mem: u32) {
        let ty = self.memory_type(mem);
        let def = self.memory_def(mem);
        let length = self.memory_length(def);
        let pages = match ty.page_size_log2 {
            0 => length,
            log2 => self.b.ins().ushr_imm_u(length, i64::from(log2)),
        };
        let pages = self.narrow_index(pages, ty.memory64);
        self.push(pages);
    }

    fn op_memory_grow(&mut self, mem: u32) {
        let is64 = self.memory_type(mem).memory64;
        let delta = self.pop();
        let delta = self.widen_index(delta);
        let mem = self.i32_const(mem);
        let old = self.call_builtin(Builtin::MemoryGrow, &[mem, delta]);
        let old = self.narrow_index(old.expect("memory.grow returns the old size"), is64);
        self.push(old);
    }

    fn op_memory_fill(&mut self, mem: u32) {
        let (dst, val, len) = self.pop3();
        let (dst, len) = (self.widen_index(dst), self.widen_index(len));
        let mem = self.i32_const(mem);
        self.call_builtin(Builtin::MemoryFill, &[mem, dst, val, len]);
    }

    fn op_memory_copy(&mut self, dst_mem: u32, src_mem: u32) {
        let (dst, src, len) = self.pop3();
        let (dst, src, len) = (
            self.widen_index(dst),
            self.widen_index(src),
            self.widen_index(len),
        );
        let dst_mem = self.i32_const(dst_mem);
        let src_mem = self.i32_const(src_mem);
        self.call_builtin(Builtin::MemoryCopy, &[dst_mem, src_mem, dst, src, len]);
    }

    fn op_memory_init(&mut self, mem: u32, data_index: u32) {
        let (dst, src, len) = self.pop3();
        let dst = self.widen_index(dst);
        let mem = self.i32_const(mem);
        let data = self.i32_const(data_index);
        self.call_builtin(Builtin::MemoryInit, &[mem, data, dst, src, len]);
    }

    fn op_data_drop(&mut self, data_index: u32) {
        let data = self.i32_const(data_index);
        self.call_builtin(Builtin::DataDrop, &[data]);
    }
}
