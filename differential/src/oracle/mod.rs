//! The differential oracle: run one module on several implementations
//! (Kiln's engine, this crate's interpreter, and with the `wasmi` feature
//! wasmi), make the same calls on each, and compare everything observable
//! after every step (results, traps, exported globals, memories, tables).
//!
//! * [`observe`] — the implementation-neutral vocabulary of observations;
//! * [`compare`] — the comparison rules (NaNs, traps, limits);
//! * [`plan`] — which calls to make, from a seed;
//! * [`sides`] — the implementations behind one trait;
//! * [`repro`] — reproducer directories and reports;
//! * [`campaign`] — many generated modules, with a tally.
//!
//! The engine is used here and nowhere else in this crate: the interpreter
//! proper shares no code with the engine it checks.

pub mod campaign;
pub mod compare;
pub mod observe;
pub mod plan;
pub mod repro;
pub mod sides;

use crate::generate::{FUEL_EXPORT, MODULE_FUEL};
use compare::{Verdict, compare_outcomes, compare_snapshots};
use observe::{Outcome, Snapshot};
use plan::{Call, Shape, plan_calls};
use sides::engine::{EngineSide, EngineVariant};
use sides::interp::InterpSide;
use sides::{Limits, Side};

/// One step of a run: the instantiation (`call: None`) or a call, with
/// what every side observed, in side order.
#[derive(Clone, Debug)]
pub struct Step {
    pub call: Option<Call>,
    pub outcomes: Vec<Outcome>,
    /// The exported state after the step, per side (`Err` if a side could
    /// not read it); empty if the step was not followed by a comparison
    /// of state.
    pub snapshots: Vec<Result<Snapshot, String>>,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// Every step agreed on every side.
    Completed,
    /// A side hit a resource limit at step `step`; comparison stopped
    /// there. `key` summarises who hit what (for tallies).
    Diverged {
        step: usize,
        key: String,
        reason: String,
    },
    /// Two sides disagreed at step `step`: a bug in one of them.
    Mismatch { step: usize, what: String },
}

/// Everything about running one module: enough to write a reproducer.
#[derive(Clone, Debug)]
pub struct Run {
    pub call_seed: u64,
    pub side_names: Vec<String>,
    pub shape: Shape,
    pub steps: Vec<Step>,
    pub end: End,
}

impl Run {
    pub fn is_mismatch(&self) -> bool {
        matches!(self.end, End::Mismatch { .. })
    }
}

/// The oracle: a reference side (the first) and the sides compared to it.
pub struct Oracle {
    sides: Vec<Box<dyn Side>>,
}

impl Oracle {
    /// An oracle over arbitrary sides; `sides[0]` is the reference every
    /// other side is compared with. Needs at least two sides to compare.
    pub fn new(sides: Vec<Box<dyn Side>>) -> Oracle {
        Oracle { sides }
    }

    /// The standard line-up: interpreter (reference), engine in `variant`,
    /// and wasmi when the `wasmi` feature is on.
    pub fn standard(variant: EngineVariant, limits: Limits) -> Result<Oracle, String> {
        #[cfg_attr(not(feature = "wasmi"), allow(unused_mut))]
        let mut sides: Vec<Box<dyn Side>> = vec![
            Box::new(InterpSide::new(limits)),
            Box::new(EngineSide::new(variant, limits)?),
        ];
        #[cfg(feature = "wasmi")]
        sides.push(Box::new(sides::wasmi::WasmiSide::new(limits)));
        Ok(Oracle::new(sides))
    }

    pub fn side_names(&self) -> Vec<String> {
        self.sides.iter().map(|s| s.name()).collect()
    }

    /// Run `wasm` on every side with the calls planned from `call_seed`.
    pub fn run(&mut self, wasm: &[u8], call_seed: u64) -> Run {
        // A malformed module has no shape; every side then reports its own
        // failure to compile, which the comparison judges.
        let shape = Shape::of(wasm).unwrap_or_default();
        let mut run = Run {
            call_seed,
            side_names: self.side_names(),
            shape: shape.clone(),
            steps: Vec::new(),
            end: End::Completed,
        };
        let outcomes: Vec<Outcome> = self
            .sides
            .iter_mut()
            .map(|s| s.instantiate(wasm, &shape))
            .collect();
        let instantiated = matches!(outcomes[0], Outcome::Returned(_));
        if self.step(&mut run, None, outcomes, instantiated) || !instantiated {
            return run;
        }
        let refuel = shape.globals.iter().any(|g| g == FUEL_EXPORT);
        for call in plan_calls(&shape, call_seed) {
            if refuel {
                // Every call starts with a full tank of the module's own
                // termination fuel; a side that cannot refill is broken.
                let mut failed = None;
                for s in &mut self.sides {
                    if let Err(e) = s.set_global_i32(FUEL_EXPORT, MODULE_FUEL as i32) {
                        failed = Some(format!("{}: cannot refill fuel: {e}", s.name()));
                    }
                }
                if let Some(what) = failed {
                    run.end = End::Mismatch {
                        step: run.steps.len(),
                        what,
                    };
                    break;
                }
            }
            let outcomes = self.sides.iter_mut().map(|s| s.call(&call)).collect();
            if self.step(&mut run, Some(call), outcomes, true) {
                break;
            }
        }
        run
    }

    /// Record a step, compare its outcomes (and then, if `with_state`, the
    /// exported state) and return whether the run must stop.
    fn step(
        &mut self,
        run: &mut Run,
        call: Option<Call>,
        outcomes: Vec<Outcome>,
        with_state: bool,
    ) -> bool {
        let index = run.steps.len();
        let names = &run.side_names;
        let mut verdict = first_disagreement(names, &outcomes, compare_outcomes);
        let mut snapshots = Vec::new();
        if verdict.is_none() && with_state {
            let shape = &run.shape;
            snapshots = self.sides.iter_mut().map(|s| s.snapshot(shape)).collect();
            verdict = first_disagreement(names, &snapshots, |a, b| match (a, b) {
                (Ok(a), Ok(b)) => compare_snapshots(a, b),
                (Err(e), _) | (_, Err(e)) => Verdict::Mismatch(format!("state unreadable: {e}")),
            });
        }
        run.end = match verdict {
            None => End::Completed,
            Some(Verdict::Mismatch(what)) => End::Mismatch { step: index, what },
            Some(Verdict::Diverged(reason)) => End::Diverged {
                step: index,
                key: divergence_key(names, &outcomes),
                reason,
            },
            Some(Verdict::Agree) => End::Completed,
        };
        run.steps.push(Step {
            call,
            outcomes,
            snapshots,
        });
        run.end != End::Completed
    }
}

/// Compare every side with the reference (`items[0]`); the first verdict
/// that is not agreement, with the sides named. Mismatches win over
/// divergences: a wrong answer elsewhere is still wrong.
fn first_disagreement<T>(
    names: &[String],
    items: &[T],
    cmp: impl Fn(&T, &T) -> Verdict,
) -> Option<Verdict> {
    let mut found = None;
    for (i, item) in items.iter().enumerate().skip(1) {
        match cmp(&items[0], item) {
            Verdict::Agree => {}
            Verdict::Mismatch(m) => {
                return Some(Verdict::Mismatch(format!(
                    "{} vs {}: {m}",
                    names[0], names[i]
                )));
            }
            Verdict::Diverged(d) => {
                found.get_or_insert(Verdict::Diverged(format!(
                    "{} vs {}: {d}",
                    names[0], names[i]
                )));
            }
        }
    }
    found
}

/// "who hit which limit", e.g. `engine:Stack`, for tallying divergences.
fn divergence_key(names: &[String], outcomes: &[Outcome]) -> String {
    let parts: Vec<String> = names
        .iter()
        .zip(outcomes)
        .filter_map(|(n, o)| match o {
            Outcome::Exhausted(l) => {
                let side = n.split('[').next().unwrap_or(n);
                Some(format!("{side}:{l:?}"))
            }
            _ => None,
        })
        .collect();
    parts.join(" ")
}
