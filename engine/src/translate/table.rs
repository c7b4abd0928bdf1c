//! Tables and references: inline `table.get`/`set`/`size` with bounds
//! checks (Spectre-guarded, see `table_element_addr`), builtin-backed `table.grow`/`fill`/`copy`/`init`/`elem.drop`,
//! and `ref.null`/`ref.is_null`/`ref.func`/`ref.as_non_null`. Elements are pointer-sized
//! (see `VMTableDefinition`); reference values are I64, 0 being null.
//! Indices, sizes and lengths are of the table's index type (`i64` for a
//! table64) in wasm, and `i64` at the builtins.

use super::{PTR, Translator};
use crate::vm::builtins::Builtin;
use crate::vm::trap_codes;
use crate::vm::vmctx::{TABLE_BASE, TABLE_LENGTH};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Value, types};
use wasmparser::HeapType;

impl Translator<'_, '_> {
    operators! { t;
        visit_table_get(table: u32) => t.op_table_get(table);
        visit_table_set(table: u32) => t.op_table_set(table);
        visit_table_size(table: u32) => t.op_table_size(table);
        visit_table_grow(table: u32) => t.op_table_grow(table);
        visit_table_fill(table: u32) => t.op_table_fill(table);
        visit_table_copy(dst_table: u32, src_table: u32) => t.op_table_copy(dst_table, src_table);
        visit_table_init(elem_index: u32, table: u32) => t.op_table_init(table, elem_index);
        visit_elem_drop(elem_index: u32) => t.op_elem_drop(elem_index);
        // Every reference is a pointer, null being 0, whatever its type.
        visit_ref_null(hty: HeapType) => {
            crate::types::check_heap_type(hty)?;
            let v = t.b.ins().iconst(PTR, 0);
            t.push(v)
        };
        visit_ref_is_null => t.unop(|b, x| {
            let c = b.ins().icmp_imm_u(IntCC::Equal, x, 0);
            b.ins().uextend(types::I32, c)
        });
        visit_ref_func(function_index: u32) => t.op_ref_func(function_index);
        visit_ref_as_non_null => {
            let r = t.peek();
            t.b.ins().trapz(r, trap_codes::NULL_REFERENCE)
        };
    }

    /// The `*mut VMTableDefinition` of table `table` (fixed at
    /// instantiation; its contents change on grow).
    fn table_def(&mut self, table: u32) -> Value {
        self.vmctx_ptr(self.env.offsets.table_ptr(table))
    }

    fn table_length(&mut self, def: Value) -> Value {
        self.b
            .ins()
            .load(PTR, MemFlagsData::trusted(), def, TABLE_LENGTH as i32)
    }

    fn table64(&self, table: u32) -> bool {
        self.env.info.tables[table as usize].table64
    }

    /// Address of element `index` (of the table's index type) of `table`,
    /// trapping with TABLE_OUT_OF_BOUNDS if it is past the current length.
    /// With Spectre guards, an out-of-bounds index gives address 0 through
    /// `select_spectre_guard`, so `table.get`, `table.set` and
    /// `call_indirect` running ahead of a mispredicted check read the null
    /// page rather than past the table.
    pub(super) fn table_element_addr(&mut self, table: u32, index: Value) -> Value {
        let def = self.table_def(table);
        let length = self.table_length(def);
        let index = self.widen_index(index);
        let oob = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, index, length);
        self.b.ins().trapnz(oob, trap_codes::TABLE_OUT_OF_BOUNDS);
        let base = self
            .b
            .ins()
            .load(PTR, MemFlagsData::trusted(), def, TABLE_BASE as i32);
        let scaled = self.b.ins().ishl_imm_u(index, 3);
        let addr = self.b.ins().iadd(base, scaled);
        if !self.env.tunables.spectre_guards {
            return addr;
        }
        let null = self.b.ins().iconst(PTR, 0);
        self.b.ins().select_spectre_guard(oob, null, addr)
    }

    fn op_table_get(&mut self, table: u32) {
        let index = self.pop();
        let addr = self.table_element_addr(table, index);
        let v = self.b.ins().load(PTR, MemFlagsData::trusted(), addr, 0);
        self.push(v);
    }

    fn op_table_set(&mut self, table: u32) {
        let (index, value) = self.pop2();
        let addr = self.table_element_addr(table, index);
        self.b.ins().store(MemFlagsData::trusted(), value, addr, 0);
    }

    fn op_table_size(&mut self, table: u32) {
        let is64 = self.table64(table);
        let def = self.table_def(table);
        let length = self.table_length(def);
        let v = self.narrow_index(length, is64);
        self.push(v);
    }

    fn op_table_grow(&mut self, table: u32) {
        let is64 = self.table64(table);
        let (init, delta) = self.pop2();
        let delta = self.widen_index(delta);
        let table = self.i32_const(table);
        let old = self.call_builtin(Builtin::TableGrow, &[table, init, delta]);
        let old = self.narrow_index(old.expect("table.grow returns the old size"), is64);
        self.push(old);
    }

    fn op_table_fill(&mut self, table: u32) {
        let (dst, value, len) = self.pop3();
        let (dst, len) = (self.widen_index(dst), self.widen_index(len));
        let table = self.i32_const(table);
        self.call_builtin(Builtin::TableFill, &[table, dst, value, len]);
    }

    fn op_table_copy(&mut self, dst_table: u32, src_table: u32) {
        let (dst, src, len) = self.pop3();
        let (dst, src, len) = (
            self.widen_index(dst),
            self.widen_index(src),
            self.widen_index(len),
        );
        let dst_table = self.i32_const(dst_table);
        let src_table = self.i32_const(src_table);
        self.call_builtin(Builtin::TableCopy, &[dst_table, src_table, dst, src, len]);
    }

    fn op_table_init(&mut self, table: u32, elem_index: u32) {
        let (dst, src, len) = self.pop3();
        let dst = self.widen_index(dst);
        let table = self.i32_const(table);
        let elem = self.i32_const(elem_index);
        self.call_builtin(Builtin::TableInit, &[table, elem, dst, src, len]);
    }

    fn op_elem_drop(&mut self, elem_index: u32) {
        let elem = self.i32_const(elem_index);
        self.call_builtin(Builtin::ElemDrop, &[elem]);
    }

    /// `ref.func f`: the address of f's `VMFuncRef` inside this vmctx.
    fn op_ref_func(&mut self, func_index: u32) {
        let offset = self.env.offsets.func_ref(func_index);
        let v = self.b.ins().iadd_imm_u(self.vmctx, i64::from(offset));
        self.push(v);
    }
}
