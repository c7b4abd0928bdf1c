//! The comparison rules: when two observations of the same execution count
//! as equal, when a disagreement is legitimate (a divergence), and when it
//! is a mismatch, i.e. a bug in one of the implementations.
//!
//! Rules:
//! * Integers and references compare exactly (references by their
//!   [`super::observe::RefIds`] number or extern payload).
//! * Floats compare bit-exactly, except that **any NaN equals any NaN of
//!   the same width**. The spec lets arithmetic produce any NaN (of the
//!   right kind); the engine keeps Cranelift's payloads while the
//!   interpreter canonicalises, so payloads of returned values and
//!   exported globals carry no signal. Memory bytes are hashed exactly:
//!   generated modules are built with wasm-smith's `canonicalize_nans`,
//!   which makes every NaN that arithmetic produces canonical before it can
//!   be stored, so bytes in memory are deterministic. (Replaying a module
//!   that stores non-canonical arithmetic NaNs can therefore report a
//!   memory mismatch that is not a bug; the report says which bytes.)
//! * `v128` values compare **bit-exactly** when their lane interpretation
//!   is unknown, which is always the case at the boundary (arguments,
//!   results, globals are just 128 bits). Generated modules make this
//!   sound the same way as for memory: wasm-smith's `canonicalize_nans`
//!   canonicalises every lane of SIMD float arithmetic, and
//!   [`crate::canon`] adds the conversions it misses, so no
//!   nondeterministic NaN can reach a v128. When the lane type is known
//!   ([`v128_eq`] with a [`LaneShape`]), float lanes follow the NaN rule
//!   lane by lane: any NaN lane equals any NaN lane of the same width. A
//!   v128 mismatch report says whether the values would agree read as
//!   `f32x4` or `f64x2` (then the likely cause is an uncanonicalised NaN
//!   in a replayed module, not a bug).
//! * Under [`NanRule::Exact`] (the deterministic oracle, see
//!   [`super::Oracle::deterministic`]) floats compare bit for bit too, NaNs
//!   included: modules are generated *without* canonicalising their NaNs,
//!   and both sides canonicalise every NaN arithmetic produces (the
//!   interpreter always, the engine with
//!   `Config::cranelift_nan_canonicalization`), so any payload difference
//!   is a bug.
//! * Two traps agree iff their [`TrapKind`]s are equal.
//! * If either side hit a resource limit ([`Outcome::Exhausted`]) the
//!   sides legitimately diverge: limits differ between implementations,
//!   and what the other side did afterwards cannot be compared. The oracle
//!   stops comparing that module there.
//! * Two failures (e.g. both reject a replayed invalid module) agree;
//!   a failure on one side only is a mismatch.

use super::observe::{Obs, Outcome, Snapshot};

/// The judgement on one pair of observations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Agree,
    /// A legitimate disagreement (resource limits): stop comparing.
    Diverged(String),
    /// A disagreement that one of the implementations must be wrong about.
    Mismatch(String),
}

/// How scalar NaNs compare.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NanRule {
    /// Any NaN equals any NaN of its width (the standard oracle).
    #[default]
    AnyNan,
    /// Bit for bit, like every other value (the deterministic oracle).
    Exact,
}

/// Whether two observed values are equal under the NaN rule above.
pub fn obs_eq(a: &Obs, b: &Obs) -> bool {
    obs_eq_with(a, b, NanRule::AnyNan)
}

/// Whether two observed values are equal under `rule`.
pub fn obs_eq_with(a: &Obs, b: &Obs, rule: NanRule) -> bool {
    match (a, b) {
        _ if rule == NanRule::Exact => a == b,
        (Obs::F32(x), Obs::F32(y)) => {
            x == y || (f32::from_bits(*x).is_nan() && f32::from_bits(*y).is_nan())
        }
        (Obs::F64(x), Obs::F64(y)) => {
            x == y || (f64::from_bits(*x).is_nan() && f64::from_bits(*y).is_nan())
        }
        _ => a == b,
    }
}

fn vals_eq(a: &[Obs], b: &[Obs], rule: NanRule) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| obs_eq_with(x, y, rule))
}

/// How the 128 bits of a `v128` are read as lanes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LaneShape {
    I8x16,
    I16x8,
    I32x4,
    I64x2,
    F32x4,
    F64x2,
}

impl LaneShape {
    pub const ALL: [LaneShape; 6] = [
        LaneShape::I8x16,
        LaneShape::I16x8,
        LaneShape::I32x4,
        LaneShape::I64x2,
        LaneShape::F32x4,
        LaneShape::F64x2,
    ];

    /// Bits per lane.
    pub fn lane_bits(self) -> u32 {
        match self {
            LaneShape::I8x16 => 8,
            LaneShape::I16x8 => 16,
            LaneShape::I32x4 | LaneShape::F32x4 => 32,
            LaneShape::I64x2 | LaneShape::F64x2 => 64,
        }
    }

    /// The lanes of `bits`, lane 0 first, each zero-extended.
    pub fn lanes(self, bits: u128) -> impl Iterator<Item = u64> {
        let w = self.lane_bits();
        let mask = if w == 64 { u64::MAX } else { (1u64 << w) - 1 };
        (0..128 / w).map(move |i| (bits >> (w * i)) as u64 & mask)
    }

    /// Whether one lane of this shape holds a NaN (never for integers).
    pub fn is_nan_lane(self, lane: u64) -> bool {
        match self {
            LaneShape::F32x4 => f32::from_bits(lane as u32).is_nan(),
            LaneShape::F64x2 => f64::from_bits(lane).is_nan(),
            _ => false,
        }
    }
}

/// Whether two `v128` values are equal. With `shape` unknown (`None`),
/// bit-exactly; read as `shape`, lane by lane, float lanes under the NaN
/// rule (any NaN equals any NaN of the same width), integer lanes exactly.
pub fn v128_eq(a: u128, b: u128, shape: Option<LaneShape>) -> bool {
    match shape {
        None => a == b,
        Some(s) => s
            .lanes(a)
            .zip(s.lanes(b))
            .all(|(x, y)| x == y || (s.is_nan_lane(x) && s.is_nan_lane(y))),
    }
}

/// What differs between two `v128` values: the differing 32-bit lanes,
/// and whether the values would agree read as float lanes (the NaN rule),
/// which points at an uncanonicalised NaN rather than a wrong result.
pub fn v128_difference(a: u128, b: u128) -> String {
    let differing: Vec<String> = LaneShape::I32x4
        .lanes(a)
        .zip(LaneShape::I32x4.lanes(b))
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, _)| i.to_string())
        .collect();
    let mut out = format!("i32x4 lanes {} differ", differing.join(","));
    for shape in [LaneShape::F32x4, LaneShape::F64x2] {
        if v128_eq(a, b, Some(shape)) {
            out.push_str(&format!(
                "; equal as {shape:?} up to NaN payloads (an uncanonicalised NaN?)"
            ));
        }
    }
    out
}

/// A hint for the first differing pair of `v128`s in two value lists.
fn v128_hint(a: &[Obs], b: &[Obs]) -> String {
    a.iter()
        .zip(b)
        .enumerate()
        .find_map(|(i, pair)| match pair {
            (Obs::V128(x), Obs::V128(y)) if x != y => {
                Some(format!(" (result {i}: {})", v128_difference(*x, *y)))
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// Compare the outcomes of the same call (or instantiation) on two sides.
pub fn compare_outcomes(a: &Outcome, b: &Outcome) -> Verdict {
    compare_outcomes_with(a, b, NanRule::AnyNan)
}

/// [`compare_outcomes`] with scalar NaNs compared under `rule`.
pub fn compare_outcomes_with(a: &Outcome, b: &Outcome, rule: NanRule) -> Verdict {
    match (a, b) {
        (Outcome::Exhausted(l), _) | (_, Outcome::Exhausted(l)) => {
            Verdict::Diverged(format!("{l:?} limit reached ({a} vs {b})"))
        }
        (Outcome::Returned(x), Outcome::Returned(y)) if vals_eq(x, y, rule) => Verdict::Agree,
        (Outcome::Trapped(x), Outcome::Trapped(y)) if x == y => Verdict::Agree,
        (
            Outcome::Thrown {
                tag: t1,
                payload: p1,
            },
            Outcome::Thrown {
                tag: t2,
                payload: p2,
            },
        ) if t1 == t2 && vals_eq(p1, p2, rule) => Verdict::Agree,
        (Outcome::Failed(_), Outcome::Failed(_)) => Verdict::Agree,
        (Outcome::Returned(x), Outcome::Returned(y)) => {
            Verdict::Mismatch(format!("{a}  vs  {b}{}", v128_hint(x, y)))
        }
        _ => Verdict::Mismatch(format!("{a}  vs  {b}")),
    }
}

/// Compare the exported state of two sides after the same call.
pub fn compare_snapshots(a: &Snapshot, b: &Snapshot) -> Verdict {
    compare_snapshots_with(a, b, NanRule::AnyNan)
}

/// [`compare_snapshots`] with scalar NaNs compared under `rule`.
pub fn compare_snapshots_with(a: &Snapshot, b: &Snapshot, rule: NanRule) -> Verdict {
    let names = |x: &Snapshot| {
        (
            x.globals.keys().cloned().collect::<Vec<_>>(),
            x.memories.keys().cloned().collect::<Vec<_>>(),
            x.tables.keys().cloned().collect::<Vec<_>>(),
        )
    };
    if names(a) != names(b) {
        return Verdict::Mismatch(format!(
            "different exports observed: {:?} vs {:?}",
            names(a),
            names(b)
        ));
    }
    for (name, x) in &a.globals {
        let y = &b.globals[name];
        if !obs_eq_with(x, y, rule) {
            let hint = v128_hint(std::slice::from_ref(x), std::slice::from_ref(y));
            return Verdict::Mismatch(format!("global {name:?}: {x} vs {y}{hint}"));
        }
    }
    for (name, x) in &a.memories {
        let y = &b.memories[name];
        if x != y {
            return Verdict::Mismatch(format!(
                "memory {name:?}: {} bytes (hash {:016x}) vs {} bytes (hash {:016x})",
                x.bytes, x.hash, y.bytes, y.hash
            ));
        }
    }
    for (name, x) in &a.tables {
        let y = &b.tables[name];
        if x.len() != y.len() {
            return Verdict::Mismatch(format!("table {name:?}: size {} vs {}", x.len(), y.len()));
        }
        if let Some(i) = (0..x.len()).find(|&i| !obs_eq_with(&x[i], &y[i], rule)) {
            return Verdict::Mismatch(format!("table {name:?}[{i}]: {} vs {}", x[i], y[i]));
        }
    }
    Verdict::Agree
}

#[cfg(test)]
mod tests {
    use super::super::observe::{Limit, MemoryObs, Obs::*, TrapKind};
    use super::*;

    /// Which verdict a case expects, without the message.
    #[derive(Debug, PartialEq)]
    enum V {
        Agree,
        Diverged,
        Mismatch,
    }

    fn kind(v: Verdict) -> V {
        match v {
            Verdict::Agree => V::Agree,
            Verdict::Diverged(_) => V::Diverged,
            Verdict::Mismatch(_) => V::Mismatch,
        }
    }

    fn ret(v: &[Obs]) -> Outcome {
        Outcome::Returned(v.to_vec())
    }

    /// One case: two outcomes and the expected verdict.
    fn check(a: Outcome, b: Outcome, want: V) {
        let got = compare_outcomes(&a, &b);
        assert_eq!(kind(got.clone()), want, "{a}  vs  {b}: {got:?}");
        // The rules are symmetric.
        assert_eq!(
            kind(compare_outcomes(&b, &a)),
            want,
            "{b}  vs  {a} (swapped)"
        );
    }

    const QNAN32: u32 = 0x7fc0_0000;
    const QNAN64: u64 = 0x7ff8_0000_0000_0000;

    #[test]
    fn outcome_rules() {
        use Outcome::*;
        check(ret(&[I32(1)]), ret(&[I32(1)]), V::Agree);
        check(ret(&[I32(1)]), ret(&[I32(2)]), V::Mismatch);
        check(ret(&[I32(1)]), ret(&[I64(1)]), V::Mismatch);
        check(ret(&[I32(1)]), ret(&[I32(1), I32(1)]), V::Mismatch);
        check(ret(&[]), ret(&[]), V::Agree);
        check(ret(&[I64(i64::MIN)]), ret(&[I64(i64::MIN)]), V::Agree);
        // Floats: bit-exact, so signed zeros differ...
        check(ret(&[F32(0)]), ret(&[F32(0x8000_0000)]), V::Mismatch);
        check(ret(&[F64(0)]), ret(&[F64(1 << 63)]), V::Mismatch);
        check(
            ret(&[F32(0x3f80_0000)]),
            ret(&[F32(0x3f80_0001)]),
            V::Mismatch,
        );
        // ...but any NaN equals any NaN of its width, sign and payload included.
        check(ret(&[F32(QNAN32)]), ret(&[F32(0xffc0_0001)]), V::Agree);
        check(
            ret(&[F64(QNAN64)]),
            ret(&[F64(0x7ff0_0000_0000_0001)]),
            V::Agree,
        );
        // A NaN is not infinity, nor a value of the other width.
        check(ret(&[F32(QNAN32)]), ret(&[F32(0x7f80_0000)]), V::Mismatch);
        check(ret(&[F32(QNAN32)]), ret(&[F64(QNAN64)]), V::Mismatch);
        // References.
        check(ret(&[FuncRef(Some(0))]), ret(&[FuncRef(Some(0))]), V::Agree);
        check(
            ret(&[FuncRef(Some(0))]),
            ret(&[FuncRef(Some(1))]),
            V::Mismatch,
        );
        check(ret(&[FuncRef(None)]), ret(&[FuncRef(Some(0))]), V::Mismatch);
        check(ret(&[FuncRef(None)]), ret(&[ExternRef(None)]), V::Mismatch);
        check(
            ret(&[ExternRef(Some(3))]),
            ret(&[ExternRef(Some(4))]),
            V::Mismatch,
        );
        // Traps.
        check(
            Trapped(TrapKind::Unreachable),
            Trapped(TrapKind::Unreachable),
            V::Agree,
        );
        check(
            Trapped(TrapKind::Unreachable),
            Trapped(TrapKind::MemoryOutOfBounds),
            V::Mismatch,
        );
        check(
            Trapped(TrapKind::IntegerOverflow),
            ret(&[I32(0)]),
            V::Mismatch,
        );
        // Limits: always a divergence, whatever the other side did.
        check(Exhausted(Limit::Fuel), ret(&[I32(0)]), V::Diverged);
        check(
            Exhausted(Limit::Stack),
            Trapped(TrapKind::Unreachable),
            V::Diverged,
        );
        check(
            Exhausted(Limit::Stack),
            Exhausted(Limit::Stack),
            V::Diverged,
        );
        check(Exhausted(Limit::Fuel), Failed("x".into()), V::Diverged);
        // v128: bit-exact at the boundary, even where lanes would be NaNs.
        let nan_lanes = u128::from(QNAN32) | u128::from(QNAN32) << 96;
        check(ret(&[V128(nan_lanes)]), ret(&[V128(nan_lanes)]), V::Agree);
        check(
            ret(&[V128(nan_lanes)]),
            ret(&[V128(nan_lanes | 1)]),
            V::Mismatch,
        );
        check(ret(&[V128(0)]), ret(&[V128(1 << 127)]), V::Mismatch);
        check(ret(&[V128(0)]), ret(&[I64(0)]), V::Mismatch);
        // Failures.
        check(Failed("a".into()), Failed("b".into()), V::Agree);
        check(Failed("a".into()), ret(&[]), V::Mismatch);
    }

    /// Under the exact rule a NaN's payload and sign count, in results and
    /// in globals; nothing else changes.
    #[test]
    fn exact_nan_rule() {
        let exact = |a: &[Obs], b: &[Obs]| {
            let v = kind(compare_outcomes_with(&ret(a), &ret(b), NanRule::Exact));
            let swapped = kind(compare_outcomes_with(&ret(b), &ret(a), NanRule::Exact));
            assert_eq!(v, swapped, "{a:?} vs {b:?}");
            v
        };
        assert_eq!(exact(&[F32(QNAN32)], &[F32(QNAN32)]), V::Agree);
        assert_eq!(exact(&[F32(QNAN32)], &[F32(0xffc0_0000)]), V::Mismatch);
        assert_eq!(exact(&[F64(QNAN64)], &[F64(QNAN64 | 1)]), V::Mismatch);
        assert_eq!(exact(&[F32(0x3f80_0000)], &[F32(0x3f80_0000)]), V::Agree);
        assert_eq!(exact(&[I32(1)], &[I32(2)]), V::Mismatch);
        let mut a = Snapshot::default();
        a.globals.insert("g".into(), F64(QNAN64));
        let mut b = a.clone();
        assert_eq!(
            kind(compare_snapshots_with(&a, &b, NanRule::Exact)),
            V::Agree
        );
        b.globals.insert("g".into(), F64(QNAN64 | 1 << 63));
        assert_eq!(
            kind(compare_snapshots_with(&a, &b, NanRule::Exact)),
            V::Mismatch
        );
        assert_eq!(kind(compare_snapshots(&a, &b)), V::Agree);
    }

    /// Lane-typed v128 comparison: the NaN rule lane by lane, per width.
    #[test]
    fn v128_lane_rules() {
        let f32x4 = |l: [u32; 4]| {
            l.iter()
                .enumerate()
                .fold(0u128, |acc, (i, &x)| acc | u128::from(x) << (32 * i))
        };
        let f64x2 = |l: [u64; 2]| u128::from(l[0]) | u128::from(l[1]) << 64;
        let one = 0x3f80_0000;
        let a = f32x4([QNAN32, one, 0, 0x8000_0000]);
        let b = f32x4([0xffc0_0001, one, 0, 0x8000_0000]);
        assert!(!v128_eq(a, b, None));
        assert!(v128_eq(a, b, Some(LaneShape::F32x4)));
        assert!(!v128_eq(a, b, Some(LaneShape::I32x4)));
        // Signed zeros and NaN vs infinity still differ.
        assert!(!v128_eq(
            f32x4([0, 0, 0, 0]),
            f32x4([0, 0, 0, 0x8000_0000]),
            Some(LaneShape::F32x4)
        ));
        assert!(!v128_eq(
            f32x4([QNAN32, 0, 0, 0]),
            f32x4([0x7f80_0000, 0, 0, 0]),
            Some(LaneShape::F32x4)
        ));
        // A NaN lane of one width is not a NaN lane of the other.
        let c = f64x2([QNAN64, 5]);
        let d = f64x2([0x7ff0_0000_0000_0001, 5]);
        assert!(v128_eq(c, d, Some(LaneShape::F64x2)));
        assert!(!v128_eq(c, d, Some(LaneShape::F32x4)));
        assert!(v128_difference(a, b).contains("F32x4"));
        assert!(!v128_difference(0, 1).contains("NaN"));
        assert_eq!(
            LaneShape::I8x16.lanes(0xff01).take(3).collect::<Vec<_>>(),
            [1, 0xff, 0]
        );
        for s in LaneShape::ALL {
            assert_eq!(s.lanes(u128::MAX).count() as u32 * s.lane_bits(), 128);
        }
    }

    /// One snapshot case: a mutation of a base snapshot and the verdict.
    fn check_snap(change: impl Fn(&mut Snapshot), want: V) {
        let mut base = Snapshot::default();
        base.globals.insert("g".into(), F64(QNAN64));
        base.globals.insert("h".into(), I32(7));
        base.globals.insert("v".into(), V128(u128::MAX - 1));
        base.memories.insert(
            "m".into(),
            MemoryObs {
                bytes: 65536,
                hash: 42,
            },
        );
        base.tables
            .insert("t".into(), vec![FuncRef(None), FuncRef(Some(1))]);
        let mut other = base.clone();
        change(&mut other);
        assert_eq!(kind(compare_snapshots(&base, &other)), want, "{other:?}");
        assert_eq!(
            kind(compare_snapshots(&other, &base)),
            want,
            "{other:?} (swapped)"
        );
    }

    fn set_global(s: &mut Snapshot, name: &str, v: Obs) {
        s.globals.insert(name.into(), v);
    }

    #[test]
    fn snapshot_rules() {
        check_snap(|_| {}, V::Agree);
        check_snap(|s| set_global(s, "g", F64(0xfff8_0000_0000_0001)), V::Agree);
        check_snap(|s| set_global(s, "h", I32(8)), V::Mismatch);
        check_snap(|s| set_global(s, "v", V128(1)), V::Mismatch);
        check_snap(|s| s.globals.retain(|k, _| k != "h"), V::Mismatch);
        check_snap(|s| s.memories.get_mut("m").unwrap().hash = 43, V::Mismatch);
        check_snap(
            |s| s.memories.get_mut("m").unwrap().bytes = 131072,
            V::Mismatch,
        );
        check_snap(
            |s| s.tables.get_mut("t").unwrap()[0] = FuncRef(Some(0)),
            V::Mismatch,
        );
        check_snap(
            |s| s.tables.get_mut("t").unwrap().push(FuncRef(None)),
            V::Mismatch,
        );
    }
}
