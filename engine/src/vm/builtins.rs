//! Builtins: runtime functions that compiled code calls through the table at
//! `vmctx + BUILTINS_OFFSET`, for operations too large to inline
//! (growing, bulk copies, segment drops).
//!
//! This file is the contract between the translator and the runtime: the
//! one list (`foreach_builtin!`, from which `libcalls.rs` generates the
//! table), each builtin's signature, and what a non-zero status means. Every
//! builtin takes the caller's vmctx first; its other parameters are `i32`
//! (`u32` on the Rust side) for indices of memories, tables and segments
//! and for offsets into segments, `i64` (`u64`) for addresses, lengths and
//! sizes in memories and tables (whatever their index type: compiled code
//! zero-extends an `i32` one), and pointer-sized for references.

use crate::vm::trap_codes;
use cranelift_codegen::ir::{self, AbiParam, types};
use cranelift_codegen::isa::CallConv;

/// The one list of builtins. Each line is `Variant name(params) -> ret;`:
/// the `Builtin` variant, the name of its implementation in `libcalls.rs`
/// (and of its `BuiltinTable` field), its parameters after the vmctx
/// (`i32`, `i64`, or `ptr` for a reference) and its result (`i64`, a
/// `status` whose non-zero value traps, or `none`).
///
/// `foreach_builtin!(m)` hands the list to macro `m`: this file generates
/// the enum and the CLIF signatures from it, `libcalls.rs` the function
/// table. Adding a builtin is one line here plus its implementation.
macro_rules! foreach_builtin {
    ($mac:ident) => {
        $mac! {
            /// `(memory, delta_pages) -> old_pages`, `-1` when the memory cannot
            /// grow, or `GROW_ERROR` when the store's limiter failed.
            MemoryGrow memory_grow(i32, i64) -> i64;
            /// `(memory, dst, value, len) -> status`.
            MemoryFill memory_fill(i32, i64, i32, i64) -> status;
            /// `(dst_memory, src_memory, dst, src, len) -> status`.
            MemoryCopy memory_copy(i32, i32, i64, i64, i64) -> status;
            /// `(memory, data_index, dst, src, len) -> status`.
            MemoryInit memory_init(i32, i32, i64, i32, i32) -> status;
            /// `(data_index)`.
            DataDrop data_drop(i32) -> none;
            /// `(table, init_ref, delta) -> old_size`, `-1` when the table cannot
            /// grow, or `GROW_ERROR` when the store's limiter failed.
            TableGrow table_grow(i32, ptr, i64) -> i64;
            /// `(table, dst, ref, len) -> status`.
            TableFill table_fill(i32, i64, ptr, i64) -> status;
            /// `(dst_table, src_table, dst, src, len) -> status`.
            TableCopy table_copy(i32, i32, i64, i64, i64) -> status;
            /// `(table, elem_index, dst, src, len) -> status`.
            TableInit table_init(i32, i32, i64, i32, i32) -> status;
            /// `(elem_index)`.
            ElemDrop elem_drop(i32) -> none;
            /// `() -> status`: the epoch deadline has passed; `0` to go on
            /// (the deadline moved), else `NEW_EPOCH_INTERRUPT` or
            /// `NEW_EPOCH_ERROR` (see `epoch_status_traps`).
            NewEpoch new_epoch() -> status;
            /// `(tag, values) -> exnref`: a new exception of the instance's
            /// tag `tag`, its payload read from `values` (16-byte slots).
            ExnNew exn_new(i32, i64) -> i64;
            /// `(exnref, tag) -> 1` if the exception's tag is the
            /// instance's tag `tag`, else `0`.
            ExnIs exn_is(ptr, i32) -> i64;
            /// `(exnref, values)`: writes the exception's payload to
            /// `values` (16-byte slots).
            ExnPayload exn_payload(ptr, i64) -> none;
            /// `(exnref, fp)`: throws the exception (`0`: the store's
            /// pending one) from the wasm frame whose frame pointer is
            /// `fp` to the innermost handler of its callers; returns only
            /// if no wasm frame of this entry has one, with the exception
            /// pending and `ThrownException` the pending error: compiled
            /// code then traps with `HOST_ERROR`.
            Throw throw(ptr, i64) -> none;
            /// `(actual, expected) -> 1` if function type id `actual` is
            /// `expected` or declares it a supertype (directly or not),
            /// else `0`: `call_indirect`'s check past an unequal id.
            IsSubtype is_subtype(i32, i32) -> i64;
        }
    };
}
pub(crate) use foreach_builtin;

/// What `memory_grow` and `table_grow` return when the store's resource
/// limiter failed with an error, which is then pending in the store:
/// compiled code traps with `trap_codes::HOST_ERROR`. Never an old size
/// (sizes stay below `isize::MAX`), nor `-1`.
pub const GROW_ERROR: i64 = -2;

/// `new_epoch`'s status when the store's policy is to trap.
pub const NEW_EPOCH_INTERRUPT: i64 = 1;
/// `new_epoch`'s status when the store's policy failed with an error, then
/// pending in the store.
pub const NEW_EPOCH_ERROR: i64 = 2;

macro_rules! declare_builtins {
    ($( $(#[$doc:meta])* $name:ident $field:ident ( $($param:ident),* ) -> $ret:ident; )*) => {
        /// One builtin; its discriminant is its slot in `BuiltinTable`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Builtin { $( $(#[$doc])* $name, )* }

        impl Builtin {
            /// The CLIF signature (after the leading vmctx pointer).
            fn params(self) -> &'static [ir::Type] {
                match self { $( Builtin::$name => &[$(declare_builtins!(@ty $param)),*], )* }
            }

            fn returns(self) -> &'static [ir::Type] {
                match self { $( Builtin::$name => declare_builtins!(@ret $ret), )* }
            }
        }
    };
    (@ty i32) => { types::I32 };
    (@ty i64) => { types::I64 };
    (@ty ptr) => { types::I64 };
    (@ret status) => { &[types::I32] };
    (@ret i64) => { &[types::I64] };
    (@ret none) => { &[] };
}

foreach_builtin!(declare_builtins);

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

    /// Byte offset of this builtin's pointer in the `BuiltinTable` (a
    /// `#[repr(C)]` array of function pointers in `Builtin` order, as
    /// `libcalls.rs` asserts at compile time).
    pub const fn table_offset(self) -> i32 {
        (self as usize * size_of::<usize>()) as i32
    }

    /// For builtins that return a status: the trap a non-zero status
    /// raises. Compiled code does `trapnz status, code`. (`NewEpoch`'s
    /// statuses raise two traps: `epoch_status_traps`.)
    pub fn status_trap(self) -> Option<ir::TrapCode> {
        match self {
            Builtin::MemoryFill | Builtin::MemoryCopy | Builtin::MemoryInit => {
                Some(ir::TrapCode::HEAP_OUT_OF_BOUNDS)
            }
            Builtin::TableFill | Builtin::TableCopy | Builtin::TableInit => {
                Some(trap_codes::TABLE_OUT_OF_BOUNDS)
            }
            _ => None,
        }
    }

    /// For builtins that return a value: the value that means the call
    /// failed with an error pending in the store. Compiled code traps with
    /// `trap_codes::HOST_ERROR` on it.
    pub fn error_value(self) -> Option<i64> {
        match self {
            Builtin::MemoryGrow | Builtin::TableGrow => Some(GROW_ERROR),
            _ => None,
        }
    }
}

/// `NewEpoch`'s non-zero statuses and the traps they raise.
pub fn epoch_status_traps() -> [(i64, ir::TrapCode); 2] {
    [
        (NEW_EPOCH_INTERRUPT, trap_codes::INTERRUPT),
        (NEW_EPOCH_ERROR, trap_codes::HOST_ERROR),
    ]
}
