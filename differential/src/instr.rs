//! The interpreter's instruction set: the spec's abstract syntax of
//! instructions (§2.4), with structured control flow resolved at decode
//! time into positions inside the function body so that the step loop can
//! find the `else`/`end` of a block without rescanning.
//!
//! Numeric instructions are grouped the way the spec groups them
//! (`iN.unop`, `iN.binop`, `fN.relop`, `cvtop`, ...), so that the numeric
//! semantics in [`crate::numeric`] read like §4.3 "Numerics".

use crate::value::{RefType, Value};

/// Operand width of an integer or float instruction.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Width {
    W32,
    W64,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IUnop {
    Clz,
    Ctz,
    Popcnt,
    Extend8S,
    Extend16S,
    /// Only valid at width 64.
    Extend32S,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IBinop {
    Add,
    Sub,
    Mul,
    DivS,
    DivU,
    RemS,
    RemU,
    And,
    Or,
    Xor,
    Shl,
    ShrS,
    ShrU,
    Rotl,
    Rotr,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IRelop {
    Eq,
    Ne,
    LtS,
    LtU,
    GtS,
    GtU,
    LeS,
    LeU,
    GeS,
    GeU,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FUnop {
    Abs,
    Neg,
    Sqrt,
    Ceil,
    Floor,
    Trunc,
    Nearest,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FBinop {
    Add,
    Sub,
    Mul,
    Div,
    Min,
    Max,
    Copysign,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FRelop {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

/// Signedness of a conversion or a narrow load.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Sign {
    S,
    U,
}

/// The conversion instructions (`t2.cvtop_t1`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Cvtop {
    I32WrapI64,
    I64ExtendI32(Sign),
    /// `iN.trunc_fM_sx` (trapping) when `sat` is false, `trunc_sat` otherwise.
    Trunc {
        dst: Width,
        src: Width,
        sign: Sign,
        sat: bool,
    },
    /// `fN.convert_iM_sx`.
    Convert {
        dst: Width,
        src: Width,
        sign: Sign,
    },
    F32DemoteF64,
    F64PromoteF32,
    /// `iN.reinterpret_fN` (int result) or `fN.reinterpret_iN`.
    Reinterpret {
        to_int: bool,
        width: Width,
    },
}

/// What a load reads: the value type and, for narrow loads, how many bytes
/// and how to extend them.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LoadKind {
    I32,
    I64,
    F32,
    F64,
    I32Narrow { bytes: u8, sign: Sign },
    I64Narrow { bytes: u8, sign: Sign },
}

/// What a store writes: the full value, or its low `bytes` bytes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StoreKind {
    I32,
    I64,
    F32,
    F64,
    I32Narrow { bytes: u8 },
    I64Narrow { bytes: u8 },
}

/// A block type reduced to what execution needs: its arities.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct BlockArity {
    pub params: usize,
    pub results: usize,
}

/// One instruction. Positions (`end`, `else_at`) index the enclosing
/// function body's instruction vector.
#[derive(Clone, Debug, PartialEq)]
pub enum Instr {
    // Control instructions (§4.4.8).
    Unreachable,
    Nop,
    Block {
        arity: BlockArity,
        end: usize,
    },
    Loop {
        arity: BlockArity,
    },
    If {
        arity: BlockArity,
        else_at: Option<usize>,
        end: usize,
    },
    /// Reached only by falling off the end of a `then` arm.
    Else {
        end: usize,
    },
    End,
    Br(u32),
    BrIf(u32),
    BrTable {
        targets: Box<[u32]>,
        default: u32,
    },
    Return,
    Call(u32),
    CallIndirect {
        type_idx: u32,
        table: u32,
    },

    // Reference instructions (§4.4.2).
    RefNull(RefType),
    RefIsNull,
    RefFunc(u32),

    // Parametric instructions (§4.4.4); typed `select` behaves identically.
    Drop,
    Select,

    // Variable instructions (§4.4.5).
    LocalGet(u32),
    LocalSet(u32),
    LocalTee(u32),
    GlobalGet(u32),
    GlobalSet(u32),

    // Table instructions (§4.4.6).
    TableGet(u32),
    TableSet(u32),
    TableSize(u32),
    TableGrow(u32),
    TableFill(u32),
    TableCopy {
        dst: u32,
        src: u32,
    },
    TableInit {
        elem: u32,
        table: u32,
    },
    ElemDrop(u32),

    // Memory instructions (§4.4.7). Wasm 2.0 has one memory, index 0.
    Load {
        kind: LoadKind,
        offset: u64,
    },
    Store {
        kind: StoreKind,
        offset: u64,
    },
    MemorySize,
    MemoryGrow,
    MemoryFill,
    MemoryCopy,
    MemoryInit(u32),
    DataDrop(u32),

    // Numeric instructions (§4.4.1).
    Const(Value),
    IUnop(Width, IUnop),
    IBinop(Width, IBinop),
    IEqz(Width),
    IRelop(Width, IRelop),
    FUnop(Width, FUnop),
    FBinop(Width, FBinop),
    FRelop(Width, FRelop),
    Cvt(Cvtop),
}
