//! The Cranelift trap codes compiled code raises for the traps Cranelift
//! has no reserved code for. The translator and the trampolines emit them,
//! the builtins' callers raise them, and the trap path (`trap.rs` above the
//! VM) maps them back to `TrapCode`s.

use cranelift_codegen::ir::TrapCode;

pub const TABLE_OUT_OF_BOUNDS: TrapCode = TrapCode::unwrap_user(1);
pub const INDIRECT_CALL_TO_NULL: TrapCode = TrapCode::unwrap_user(2);
pub const BAD_SIGNATURE: TrapCode = TrapCode::unwrap_user(3);
pub const UNREACHABLE: TrapCode = TrapCode::unwrap_user(4);
/// A host function (or builtin) failed; the error is pending in the store.
pub const HOST_ERROR: TrapCode = TrapCode::unwrap_user(5);
pub const OUT_OF_FUEL: TrapCode = TrapCode::unwrap_user(6);
pub const NULL_REFERENCE: TrapCode = TrapCode::unwrap_user(7);
/// The store's epoch deadline passed and its policy is to trap.
pub const INTERRUPT: TrapCode = TrapCode::unwrap_user(8);
/// `call_ref` or `return_call_ref` of a null reference.
pub const NULL_FUNC_REFERENCE: TrapCode = TrapCode::unwrap_user(9);
/// `throw_ref` of a null exception reference.
pub const NULL_EXN_REFERENCE: TrapCode = TrapCode::unwrap_user(10);
