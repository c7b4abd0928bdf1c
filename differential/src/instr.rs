//! The interpreter's instruction set: the spec's abstract syntax of
//! instructions (§2.4), with structured control flow resolved at decode
//! time into positions inside the function body so that the step loop can
//! find the `else`/`end` of a block without rescanning.
//!
//! Numeric instructions are grouped the way the spec groups them
//! (`iN.unop`, `iN.binop`, `fN.relop`, `cvtop`, ...), so that the numeric
//! semantics in [`crate::numeric`] read like §4.3 "Numerics".

use crate::value::{RefKind, Value};

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

/// 128-bit arithmetic on pairs of `i64` (low half first): `add128` and
/// `sub128` take two pairs, `mul_wide_s/u` two `i64`s; each gives a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WideOp {
    Add128,
    Sub128,
    MulWideS,
    MulWideU,
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
    I32Narrow {
        bytes: u8,
        sign: Sign,
    },
    I64Narrow {
        bytes: u8,
        sign: Sign,
    },
    /// `v128.load`: 16 bytes.
    V128,
    /// `v128.load{bits}x{64/bits}_sx`: 8 bytes, each `bits`-bit lane
    /// extended to twice its width.
    V128Extend {
        bits: u8,
        sign: Sign,
    },
    /// `v128.load{8*bytes}_splat`: one lane, copied into every lane.
    V128Splat {
        bytes: u8,
    },
    /// `v128.load{8*bytes}_zero`: one lane into lane 0, the rest zero.
    V128Zero {
        bytes: u8,
    },
}

/// What a store writes: the full value, or its low `bytes` bytes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StoreKind {
    I32,
    I64,
    F32,
    F64,
    I32Narrow {
        bytes: u8,
    },
    I64Narrow {
        bytes: u8,
    },
    /// `v128.store`: 16 bytes.
    V128,
}

/// A block type reduced to what execution needs: its arities.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct BlockArity {
    pub params: usize,
    pub results: usize,
}

/// A catch clause of a `try_table`: the tag it catches (`None`: any),
/// the label it branches to (relative to the `try_table`'s enclosing
/// block), and whether the exception reference goes along.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Catch {
    pub tag: Option<u32>,
    pub label: u32,
    pub with_ref: bool,
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
    /// `try_table`: a block whose label also carries its catch clauses.
    TryTable {
        arity: BlockArity,
        end: usize,
        catches: Box<[Catch]>,
    },
    /// `throw x`: a new exception of tag `x` with the tag's payload.
    Throw(u32),
    /// `throw_ref`.
    ThrowRef,
    /// Legacy `try`: a block whose label carries a handler; `clauses`
    /// are the positions of its `catch`/`catch_all` instructions, and
    /// `delegate` the label of its `delegate`, if it ends with one.
    Try {
        arity: BlockArity,
        end: usize,
        clauses: Vec<usize>,
        delegate: Option<u32>,
    },
    /// Legacy `catch x` (`tag`) or `catch_all` (`None`): reached in
    /// order only at the end of the section before it, which goes to the
    /// `try`'s `end`.
    LegacyCatch {
        tag: Option<u32>,
        end: usize,
    },
    /// Legacy `delegate l`: in order, the `end` of its `try`.
    Delegate,
    /// Legacy `rethrow l`: throws what label `l`'s catch clause caught.
    Rethrow(u32),
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
    /// `return_call`: the callee replaces the running frame.
    ReturnCall(u32),
    /// `return_call_indirect`.
    ReturnCallIndirect {
        type_idx: u32,
        table: u32,
    },
    /// `call_ref $t` (typed function references): the type only matters
    /// to validation.
    CallRef(u32),
    /// `return_call_ref $t`.
    ReturnCallRef(u32),
    /// `br_on_null l`.
    BrOnNull(u32),
    /// `br_on_non_null l`.
    BrOnNonNull(u32),

    // Reference instructions (§4.4.2).
    RefNull(RefKind),
    RefIsNull,
    RefFunc(u32),
    /// `ref.as_non_null`.
    RefAsNonNull,

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

    // Memory instructions (§4.4.7), each naming its memory.
    Load {
        kind: LoadKind,
        mem: u32,
        offset: u64,
    },
    Store {
        kind: StoreKind,
        mem: u32,
        offset: u64,
    },
    MemorySize(u32),
    MemoryGrow(u32),
    MemoryFill(u32),
    MemoryCopy {
        dst: u32,
        src: u32,
    },
    MemoryInit {
        data: u32,
        mem: u32,
    },
    DataDrop(u32),
    /// `v128.load{8*bytes}_lane`: replace lane `lane` (of width `bytes`)
    /// of the vector operand with memory.
    LoadLane {
        bytes: u8,
        lane: u8,
        mem: u32,
        offset: u64,
    },
    /// `v128.store{8*bytes}_lane`: store lane `lane` of the vector operand.
    StoreLane {
        bytes: u8,
        lane: u8,
        mem: u32,
        offset: u64,
    },

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
    /// The wide-arithmetic proposal's 128-bit operators.
    Wide(WideOp),

    // Vector instructions (§4.4.3) other than memory accesses; `v128.const`
    // is `Const(Value::V128(..))`.
    Vector(VecInstr),
}

/// The interpretation of a `v128` as lanes (§2.4.3 "Vector Instructions").
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    I8x16,
    I16x8,
    I32x4,
    I64x2,
    F32x4,
    F64x2,
}

impl Shape {
    /// Width of one lane in bits.
    pub fn lane_bits(self) -> u32 {
        match self {
            Shape::I8x16 => 8,
            Shape::I16x8 => 16,
            Shape::I32x4 | Shape::F32x4 => 32,
            Shape::I64x2 | Shape::F64x2 => 64,
        }
    }

    /// Number of lanes: `128 / lane_bits`.
    pub fn lanes(self) -> usize {
        (128 / self.lane_bits()) as usize
    }
}

/// Which half of the source lanes a widening instruction reads.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Half {
    Low,
    High,
}

/// `v128.vvbinop`: bitwise operations on the whole vector.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum VvBinop {
    And,
    AndNot,
    Or,
    Xor,
}

/// Lane-wise integer unary operations (`ishape.vunop`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ViUnop {
    Abs,
    Neg,
    /// Only `i8x16`.
    Popcnt,
}

/// Lane-wise integer binary operations (`ishape.vbinop`, `viminmaxop`,
/// `visatbinop`, `avgr_u`, `q15mulr_sat_s`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ViBinop {
    Add,
    Sub,
    Mul,
    AddSat(Sign),
    SubSat(Sign),
    Min(Sign),
    Max(Sign),
    AvgrU,
    Q15MulrSatS,
}

/// Lane-wise shifts by a scalar `i32` count (`ishape.vishiftop`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ViShift {
    Shl,
    ShrS,
    ShrU,
}

/// Lane-wise float binary operations (`fshape.vbinop`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum VfBinop {
    Add,
    Sub,
    Mul,
    Div,
    Min,
    Max,
    /// Pseudo-minimum: `b < a ? b : a`, returning an operand unchanged.
    PMin,
    /// Pseudo-maximum: `a < b ? b : a`, returning an operand unchanged.
    PMax,
}

/// A vector instruction that only touches the value stack. Integer
/// shapes are named by the result (`to`) where source and result differ.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum VecInstr {
    /// `v128.not`.
    Not,
    Binop(VvBinop),
    /// `v128.bitselect`.
    Bitselect,
    /// `v128.any_true`.
    AnyTrue,
    /// `i8x16.swizzle`.
    Swizzle,
    /// `i8x16.shuffle` with its 16 lane indices (each `< 32`).
    Shuffle([u8; 16]),
    Splat(Shape),
    /// `shape.extract_lane[_sx]`; `sign` only for `i8x16`/`i16x8`.
    ExtractLane {
        shape: Shape,
        lane: u8,
        sign: Option<Sign>,
    },
    ReplaceLane {
        shape: Shape,
        lane: u8,
    },
    IUnop(Shape, ViUnop),
    IBinop(Shape, ViBinop),
    /// Lane-wise comparison; `i64x2` has only `eq ne lt_s gt_s le_s ge_s`.
    IRelop(Shape, IRelop),
    Shift(Shape, ViShift),
    AllTrue(Shape),
    Bitmask(Shape),
    /// `to.narrow_{2x}_sx`: two vectors of `2N`-bit signed lanes into one of
    /// `N`-bit lanes, saturating.
    Narrow {
        to: Shape,
        sign: Sign,
    },
    /// `to.extend_half_{N/2}_sx`.
    Extend {
        to: Shape,
        half: Half,
        sign: Sign,
    },
    /// `to.extmul_half_{N/2}_sx`.
    ExtMul {
        to: Shape,
        half: Half,
        sign: Sign,
    },
    /// `to.extadd_pairwise_{N/2}_sx`.
    ExtAddPairwise {
        to: Shape,
        sign: Sign,
    },
    /// `i32x4.dot_i16x8_s`.
    Dot,
    /// Lane-wise float unary op (`abs neg sqrt ceil floor trunc nearest`);
    /// shape is `F32x4` or `F64x2`.
    FUnop(Shape, FUnop),
    FBinop(Shape, VfBinop),
    FRelop(Shape, FRelop),
    /// `i32x4.trunc_sat_f32x4_sx` (`src` = `F32x4`) or
    /// `i32x4.trunc_sat_f64x2_sx_zero` (`src` = `F64x2`).
    TruncSat {
        src: Shape,
        sign: Sign,
    },
    /// `f32x4.convert_i32x4_sx` (`to` = `F32x4`) or
    /// `f64x2.convert_low_i32x4_sx` (`to` = `F64x2`).
    Convert {
        to: Shape,
        sign: Sign,
    },
    /// `f32x4.demote_f64x2_zero`.
    Demote,
    /// `f64x2.promote_low_f32x4`.
    Promote,
}
