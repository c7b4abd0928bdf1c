//! What the oracle will do with a module: its exports (read with
//! wasmparser, independently of every side under test) and the sequence of
//! calls with their arguments, generated deterministically from a seed
//! before anything runs, so a reproducer only needs the module and the
//! seed.

use arbitrary::Unstructured;
use wasmparser::{ExternalKind, Parser, Payload, TypeRef, ValType};

use super::observe::Arg;

/// The parameter types the oracle can produce arguments for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    I32,
    I64,
    F32,
    F64,
    V128,
    FuncRef,
    ExternRef,
}

/// An exported function the oracle can call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncExport {
    pub name: String,
    pub params: Vec<ParamKind>,
}

/// The exports of a module, by kind, in export order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// Callable exported functions (functions with parameter or result
    /// types the oracle cannot handle are left out; today every Wasm 2.0
    /// value type is handled, `v128` included).
    pub funcs: Vec<FuncExport>,
    /// Every exported function, callable or not: the order in which sides
    /// number function references (see [`super::observe::RefIds`]).
    pub all_funcs: Vec<String>,
    pub globals: Vec<String>,
    pub memories: Vec<String>,
    pub tables: Vec<String>,
}

fn param_kind(t: ValType) -> Option<ParamKind> {
    Some(match t {
        ValType::I32 => ParamKind::I32,
        ValType::I64 => ParamKind::I64,
        ValType::F32 => ParamKind::F32,
        ValType::F64 => ParamKind::F64,
        ValType::V128 => ParamKind::V128,
        ValType::Ref(r) if r.is_func_ref() => ParamKind::FuncRef,
        ValType::Ref(r) if r.is_extern_ref() => ParamKind::ExternRef,
        _ => return None,
    })
}

impl Shape {
    /// Read the exports of `wasm`. Fails only on malformed input, which the
    /// sides will then report as a failure too.
    pub fn of(wasm: &[u8]) -> Result<Shape, String> {
        let mut types: Vec<Option<Vec<ParamKind>>> = Vec::new();
        let mut funcs: Vec<u32> = Vec::new(); // type index per function
        let mut shape = Shape::default();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(|e| e.to_string())? {
                Payload::TypeSection(r) => {
                    for ty in r.into_iter_err_on_gc_types() {
                        let ty = ty.map_err(|e| e.to_string())?;
                        // Callable only if every parameter can be produced and
                        // every result observed.
                        let results_ok = ty.results().iter().all(|&t| param_kind(t).is_some());
                        let params = ty.params().iter().map(|&t| param_kind(t)).collect();
                        types.push(if results_ok { params } else { None });
                    }
                }
                Payload::ImportSection(r) => {
                    for import in r.into_imports() {
                        if let TypeRef::Func(t) = import.map_err(|e| e.to_string())?.ty {
                            funcs.push(t);
                        }
                    }
                }
                Payload::FunctionSection(r) => {
                    for t in r {
                        funcs.push(t.map_err(|e| e.to_string())?);
                    }
                }
                Payload::ExportSection(r) => {
                    for e in r {
                        let e = e.map_err(|e| e.to_string())?;
                        let name = e.name.to_string();
                        match e.kind {
                            ExternalKind::Func | ExternalKind::FuncExact => {
                                shape.all_funcs.push(name.clone());
                                let params = funcs
                                    .get(e.index as usize)
                                    .and_then(|&t| types.get(t as usize).cloned().flatten());
                                if let Some(params) = params {
                                    shape.funcs.push(FuncExport { name, params });
                                }
                            }
                            ExternalKind::Global => shape.globals.push(name),
                            ExternalKind::Memory => shape.memories.push(name),
                            ExternalKind::Table => shape.tables.push(name),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(shape)
    }
}

/// One call of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub func: String,
    pub args: Vec<Arg>,
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}(", self.func)?;
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{a}")?;
        }
        f.write_str(")")
    }
}

/// At most this many calls per module: enough to chain state changes
/// through several functions, few enough to keep modules per second high.
pub const MAX_CALLS: usize = 40;

/// Integers that tend to sit on edges: zero, signs, widths, page and table
/// sizes, shift amounts.
const INTERESTING_I64: &[i64] = &[
    0,
    1,
    2,
    3,
    4,
    7,
    8,
    15,
    16,
    31,
    32,
    63,
    64,
    -1,
    -2,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0x8000,
    0xffff,
    0x1_0000,
    0x1_0001,
    0xfff8,
    0xfffc,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    i64::MAX,
    i64::MIN,
    0x1_0000_0000,
];

/// Float bit patterns worth trying: zeros, infinities, NaNs with odd
/// payloads, and the boundaries of float→int conversions.
const INTERESTING_F32: &[f32] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    1.5,
    2147483648.0,
    -2147483648.0,
    2147483520.0,
    4294967296.0,
    4294967040.0,
    9.223372e18,
    -9.223372e18,
    1.8446744e19,
    f32::MAX,
    f32::MIN,
    f32::MIN_POSITIVE,
    1e-45,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
    f32::EPSILON,
];
const INTERESTING_F64: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    1.5,
    2147483648.0,
    -2147483649.0,
    2147483647.5,
    4294967296.0,
    4294967295.5,
    9.223372036854776e18,
    -9.223372036854776e18,
    1.8446744073709552e19,
    f64::MAX,
    f64::MIN,
    f64::MIN_POSITIVE,
    5e-324,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    f64::EPSILON,
];

/// Lane values worth trying in narrow integer lanes: zero, signs, the
/// saturation and narrowing edges, and shuffle/swizzle indices on both
/// sides of 16 and 32.
const INTERESTING_I8: &[u8] = &[
    0, 1, 2, 7, 8, 15, 16, 17, 31, 32, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xfe, 0xff,
];
const INTERESTING_I16: &[u16] = &[
    0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x4000, 0x7ffe, 0x7fff, 0x8000, 0x8001, 0xff80, 0xfffe,
    0xffff,
];

fn f32_bits(u: &mut Unstructured) -> arbitrary::Result<u32> {
    Ok(match u.int_in_range(0..=3)? {
        0 | 1 => u.choose(INTERESTING_F32)?.to_bits(),
        // A NaN with an arbitrary payload: moved bitwise, never by arithmetic.
        2 => 0x7f80_0001 | u.arbitrary::<u32>()? & 0x803f_ffff,
        _ => u.arbitrary()?,
    })
}

fn f64_bits(u: &mut Unstructured) -> arbitrary::Result<u64> {
    Ok(match u.int_in_range(0..=3)? {
        0 | 1 => u.choose(INTERESTING_F64)?.to_bits(),
        2 => 0x7ff0_0000_0000_0001 | u.arbitrary::<u64>()? & 0x8007_ffff_ffff_ffff,
        _ => u.arbitrary()?,
    })
}

/// `lanes` values of `width` bits packed into a v128, lane 0 lowest.
fn pack(width: u32, lanes: impl IntoIterator<Item = u64>) -> u128 {
    let mask = if width == 64 {
        u64::MAX
    } else {
        (1 << width) - 1
    };
    lanes.into_iter().enumerate().fold(0, |acc, (i, l)| {
        acc | u128::from(l & mask) << (width * i as u32)
    })
}

/// A v128 argument: edge-case lanes of a random lane shape (each lane
/// drawn on its own, or one value splatted), or whole-vector patterns.
fn v128(u: &mut Unstructured) -> arbitrary::Result<u128> {
    let splat = u.ratio(1, 4)?;
    // The lane width and a generator of one lane's bits.
    let (width, lane): (u32, fn(&mut Unstructured) -> arbitrary::Result<u64>) =
        match u.int_in_range(0..=7)? {
            0 => (8, |u| Ok(u64::from(*u.choose(INTERESTING_I8)?))),
            1 => (16, |u| Ok(u64::from(*u.choose(INTERESTING_I16)?))),
            2 => (32, |u| Ok(int(u)? as u64)),
            3 => (64, |u| Ok(int(u)? as u64)),
            4 | 5 => (32, |u| Ok(u64::from(f32_bits(u)?))),
            6 => (64, f64_bits),
            _ => {
                return Ok(match u.int_in_range(0..=3)? {
                    0 => 0,
                    1 => u128::MAX,
                    2 => 1u128 << 127,
                    _ => u.arbitrary()?,
                });
            }
        };
    let n = 128 / width;
    if splat {
        let v = lane(u)?;
        return Ok(pack(width, (0..n).map(|_| v)));
    }
    let lanes = (0..n)
        .map(|_| lane(u))
        .collect::<arbitrary::Result<Vec<_>>>()?;
    Ok(pack(width, lanes))
}

fn int(u: &mut Unstructured) -> arbitrary::Result<i64> {
    Ok(match u.int_in_range(0..=3)? {
        0 => *u.choose(INTERESTING_I64)?,
        1 => u.int_in_range(0..=64)?,
        2 => u.int_in_range(-64..=64)?,
        _ => u.arbitrary()?,
    })
}

fn arg(u: &mut Unstructured, kind: ParamKind, shape: &Shape) -> arbitrary::Result<Arg> {
    Ok(match kind {
        ParamKind::I32 => Arg::I32(int(u)? as i32),
        ParamKind::I64 => Arg::I64(int(u)?),
        ParamKind::F32 => Arg::F32(f32_bits(u)?),
        ParamKind::F64 => Arg::F64(f64_bits(u)?),
        ParamKind::V128 => Arg::V128(v128(u)?),
        ParamKind::FuncRef => Arg::FuncRef(if shape.all_funcs.is_empty() || u.ratio(1, 3)? {
            None
        } else {
            Some(u.choose(&shape.all_funcs)?.clone())
        }),
        ParamKind::ExternRef => Arg::ExternRef(if u.ratio(1, 3)? {
            None
        } else {
            Some(u.int_in_range(0..=3)?)
        }),
    })
}

/// The calls to make on a module of this shape: every callable export
/// once, in export order, then randomly chosen ones, up to [`MAX_CALLS`].
/// Deterministic in `seed`.
pub fn plan_calls(shape: &Shape, seed: u64) -> Vec<Call> {
    let bytes = crate::generate::random_bytes(seed, 16 * 1024);
    let mut u = Unstructured::new(&bytes);
    let mut calls = Vec::new();
    if shape.funcs.is_empty() {
        return calls;
    }
    let extra = u.int_in_range(0..=shape.funcs.len().max(4)).unwrap_or(0);
    let n = (shape.funcs.len() + extra).min(MAX_CALLS);
    for i in 0..n {
        let f = if i < shape.funcs.len() {
            &shape.funcs[i]
        } else {
            // An exhausted `Unstructured` yields its first choice: still valid.
            u.choose(&shape.funcs).unwrap_or(&shape.funcs[0])
        };
        // Running out of random bytes yields minimal values: still valid.
        let args = f
            .params
            .iter()
            .map(|&k| arg(&mut u, k, shape).unwrap_or_else(|_| zero(k)))
            .collect();
        calls.push(Call {
            func: f.name.clone(),
            args,
        });
    }
    calls
}

fn zero(kind: ParamKind) -> Arg {
    match kind {
        ParamKind::I32 => Arg::I32(0),
        ParamKind::I64 => Arg::I64(0),
        ParamKind::F32 => Arg::F32(0),
        ParamKind::F64 => Arg::F64(0),
        ParamKind::V128 => Arg::V128(0),
        ParamKind::FuncRef => Arg::FuncRef(None),
        ParamKind::ExternRef => Arg::ExternRef(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// v128 arguments cover every lane shape's edges: NaN lanes, splats,
    /// and per-lane variety, deterministically.
    #[test]
    fn v128_arguments() {
        let shape = Shape {
            funcs: vec![FuncExport {
                name: "f".into(),
                params: vec![ParamKind::V128; 8],
            }],
            ..Shape::default()
        };
        let mut all = Vec::new();
        for seed in 0..200 {
            for call in plan_calls(&shape, seed) {
                for a in call.args {
                    let Arg::V128(v) = a else {
                        panic!("not a v128: {a}")
                    };
                    all.push(v);
                }
            }
        }
        assert_eq!(plan_calls(&shape, 3), plan_calls(&shape, 3));
        let f32_nan = |v: &u128| (0..4).any(|i| f32::from_bits((v >> (32 * i)) as u32).is_nan());
        let f64_nan = |v: &u128| (0..2).any(|i| f64::from_bits((v >> (64 * i)) as u64).is_nan());
        let splat8 = |v: &u128| *v == u128::from(*v as u8) * (u128::MAX / 0xff) && *v != 0;
        assert!(all.iter().any(f32_nan));
        assert!(all.iter().any(f64_nan));
        assert!(all.iter().any(splat8));
        assert!(all.contains(&0) && all.contains(&u128::MAX));
        // Mostly distinct values, not one pattern repeated.
        let distinct: std::collections::BTreeSet<_> = all.iter().collect();
        assert!(
            distinct.len() > all.len() / 2,
            "{} of {}",
            distinct.len(),
            all.len()
        );
    }
}
