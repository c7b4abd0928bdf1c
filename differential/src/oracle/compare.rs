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

/// Whether two observed values are equal under the NaN rule above.
pub fn obs_eq(a: &Obs, b: &Obs) -> bool {
    match (a, b) {
        (Obs::F32(x), Obs::F32(y)) => {
            x == y || (f32::from_bits(*x).is_nan() && f32::from_bits(*y).is_nan())
        }
        (Obs::F64(x), Obs::F64(y)) => {
            x == y || (f64::from_bits(*x).is_nan() && f64::from_bits(*y).is_nan())
        }
        _ => a == b,
    }
}

fn vals_eq(a: &[Obs], b: &[Obs]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| obs_eq(x, y))
}

/// Compare the outcomes of the same call (or instantiation) on two sides.
pub fn compare_outcomes(a: &Outcome, b: &Outcome) -> Verdict {
    match (a, b) {
        (Outcome::Exhausted(l), _) | (_, Outcome::Exhausted(l)) => {
            Verdict::Diverged(format!("{l:?} limit reached ({a} vs {b})"))
        }
        (Outcome::Returned(x), Outcome::Returned(y)) if vals_eq(x, y) => Verdict::Agree,
        (Outcome::Trapped(x), Outcome::Trapped(y)) if x == y => Verdict::Agree,
        (Outcome::Failed(_), Outcome::Failed(_)) => Verdict::Agree,
        _ => Verdict::Mismatch(format!("{a}  vs  {b}")),
    }
}

/// Compare the exported state of two sides after the same call.
pub fn compare_snapshots(a: &Snapshot, b: &Snapshot) -> Verdict {
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
        if !obs_eq(x, y) {
            return Verdict::Mismatch(format!("global {name:?}: {x} vs {y}"));
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
        if let Some(i) = (0..x.len()).find(|&i| !obs_eq(&x[i], &y[i])) {
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
        // Failures.
        check(Failed("a".into()), Failed("b".into()), V::Agree);
        check(Failed("a".into()), ret(&[]), V::Mismatch);
    }

    /// One snapshot case: a mutation of a base snapshot and the verdict.
    fn check_snap(change: impl Fn(&mut Snapshot), want: V) {
        let mut base = Snapshot::default();
        base.globals.insert("g".into(), F64(QNAN64));
        base.globals.insert("h".into(), I32(7));
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
