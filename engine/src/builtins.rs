//! Builtins: runtime functions that compiled code calls through the table at
//! `vmctx + BUILTINS_OFFSET`, for operations too large to inline
//! (growing, bulk copies, segment drops).
//!
//! This file is the contract between the translator and the runtime: the
//! list, each builtin's signature, and what a non-zero status means. Every
//! builtin takes the caller's vmctx first; all other parameters are `i32`
//! (`u32` on the Rust side) except references, which are pointer-sized.

use crate::trap::ir_codes;
use cranelift_codegen::ir::{self, AbiParam, types};
use cranelift_codegen::isa::CallConv;

macro_rules! builtins {
    ($( $(#[$doc:meta])* $name:ident ( $($param:ident),* ) -> $ret:ident; )*) => {
        /// One builtin; its discriminant is its slot in `BuiltinTable`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Builtin { $( $(#[$doc])* $name, )* }

        impl Builtin {
            /// The CLIF signature (after the leading vmctx pointer).
            fn params(self) -> &'static [ir::Type] {
                match self { $( Builtin::$name => &[$(builtins!(@ty $param)),*], )* }
            }

            fn returns(self) -> &'static [ir::Type] {
                match self { $( Builtin::$name => builtins!(@ret $ret), )* }
            }
        }
    };
    (@ty i32) => { types::I32 };
    (@ty ptr) => { types::I64 };
    (@ret status) => { &[types::I32] };
    (@ret i32) => { &[types::I32] };
    (@ret none) => { &[] };
}

builtins! {
    /// `(memory, delta_pages) -> old_pages`, or `-1` when the memory cannot grow.
    MemoryGrow(i32, i32) -> i32;
    /// `(memory, dst, value, len) -> status`.
    MemoryFill(i32, i32, i32, i32) -> status;
    /// `(dst_memory, src_memory, dst, src, len) -> status`.
    MemoryCopy(i32, i32, i32, i32, i32) -> status;
    /// `(memory, data_index, dst, src, len) -> status`.
    MemoryInit(i32, i32, i32, i32, i32) -> status;
    /// `(data_index)`.
    DataDrop(i32) -> none;
    /// `(table, init_ref, delta) -> old_size`, or `-1` when the table cannot grow.
    TableGrow(i32, ptr, i32) -> i32;
    /// `(table, dst, ref, len) -> status`.
    TableFill(i32, i32, ptr, i32) -> status;
    /// `(dst_table, src_table, dst, src, len) -> status`.
    TableCopy(i32, i32, i32, i32, i32) -> status;
    /// `(table, elem_index, dst, src, len) -> status`.
    TableInit(i32, i32, i32, i32, i32) -> status;
    /// `(elem_index)`.
    ElemDrop(i32) -> none;
}

impl Builtin {
    /// The native signature: `(vmctx, params...) -> returns`.
    pub fn signature(self, call_conv: CallConv) -> ir::Signature {
        let mut sig = ir::Signature::new(call_conv);
        sig.params.push(AbiParam::new(types::I64));
        sig.params
            .extend(self.params().iter().map(|&t| AbiParam::new(t)));
        sig.returns
            .extend(self.returns().iter().map(|&t| AbiParam::new(t)));
        sig
    }

    /// Byte offset of this builtin's pointer in the `BuiltinTable`.
    pub fn table_offset(self) -> i32 {
        8 * self as i32
    }

    /// For builtins that return a status: the trap a non-zero status
    /// raises. Compiled code does `trapnz status, code`.
    pub fn status_trap(self) -> Option<ir::TrapCode> {
        match self {
            Builtin::MemoryFill | Builtin::MemoryCopy | Builtin::MemoryInit => {
                Some(ir::TrapCode::HEAP_OUT_OF_BOUNDS)
            }
            Builtin::TableFill | Builtin::TableCopy | Builtin::TableInit => {
                Some(ir_codes::TABLE_OUT_OF_BOUNDS)
            }
            _ => None,
        }
    }
}
