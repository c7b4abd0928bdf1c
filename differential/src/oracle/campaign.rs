//! Campaigns: generate modules from a seed, run each through the oracle
//! (rotating through the engine variants; three quarters of the modules
//! with SIMD, see [`generate::Flavor`]), tally what happened, and leave a
//! reproducer directory for every mismatch. A campaign on modules whose
//! NaNs are left raw ([`generate::Nans::Raw`]) runs the deterministic
//! oracle instead ([`Oracle::deterministic`]): interpreter and engine with
//! NaN canonicalisation only, compared bit for bit.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::observe::{Outcome, TrapKind};
use super::repro::{self, Recipe};
use super::sides::Limits;
use super::sides::engine::EngineVariant;
use super::{End, Oracle, Run};
use crate::coverage::Feature;
use crate::generate;

/// What a campaign runs.
#[derive(Clone, Debug)]
pub struct CampaignConfig {
    pub seed: u64,
    /// Stop after this many modules...
    pub iterations: Option<u64>,
    /// ...or after this long, whichever comes first (neither: 1000 modules).
    pub time: Option<Duration>,
    /// Where reproducer directories go (none: not written).
    pub out: Option<PathBuf>,
    pub limits: Limits,
    /// Print a progress line to stderr every this often.
    pub progress: Option<Duration>,
    /// Print every module seed to stderr before running it, so a crash
    /// that takes the whole process down (a signal no side catches) still
    /// names its module.
    pub trace: bool,
    /// What generated modules may use (default [`kiln::Features::ALL`]); a
    /// smaller set aims a campaign at one feature group.
    pub features: kiln::Features,
    /// Whether generated modules have their NaNs rewritten (the default,
    /// for the standard oracle) or left raw (for the deterministic one).
    pub nans: generate::Nans,
}

impl CampaignConfig {
    pub fn new(seed: u64) -> CampaignConfig {
        CampaignConfig {
            seed,
            iterations: None,
            time: None,
            out: None,
            limits: Limits::default(),
            progress: None,
            trace: false,
            features: kiln::Features::ALL,
            nans: generate::Nans::Rewritten,
        }
    }
}

/// Counts of everything that happened, from the reference side's view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub modules: u64,
    /// Modules using SIMD (instructions or v128 exports, see
    /// [`crate::coverage::uses_simd`]); the rest are scalar.
    pub simd_modules: u64,
    /// Per feature a module uses ([`crate::coverage::scan`]): the modules
    /// using it, their calls and their mismatches, so a campaign says how
    /// much each feature was exercised.
    pub by_feature: BTreeMap<Feature, FeatureTally>,
    /// wasm-smith could not build a module from the seed's bytes.
    pub generation_failures: u64,
    /// Modules whose instantiation trapped (start function, segments).
    pub instantiation_traps: u64,
    pub calls: u64,
    pub returns: u64,
    pub traps: BTreeMap<TrapKind, u64>,
    /// Modules a side sat out ([`super::sides::Side::declines`]), by side.
    pub skipped: BTreeMap<String, u64>,
    /// Runs stopped at a resource limit, by who hit which limit.
    pub divergences: BTreeMap<String, u64>,
    pub mismatches: u64,
}

/// What a campaign did with the modules using one feature.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeatureTally {
    pub modules: u64,
    pub calls: u64,
    pub mismatches: u64,
}

impl Tally {
    /// Add one run of a module using `features`.
    pub fn add_features(&mut self, run: &Run, features: &BTreeSet<Feature>) {
        let calls = run.steps.iter().filter(|s| s.call.is_some()).count() as u64;
        let mismatch = matches!(run.end, End::Mismatch { .. });
        for f in features {
            let t = self.by_feature.entry(*f).or_default();
            t.modules += 1;
            t.calls += calls;
            t.mismatches += u64::from(mismatch);
        }
    }

    /// Add one run.
    pub fn add(&mut self, run: &Run) {
        self.modules += 1;
        for (name, _) in &run.skipped {
            *self.skipped.entry(name.clone()).or_default() += 1;
        }
        for (i, step) in run.steps.iter().enumerate() {
            let diverged_here = matches!(run.end, End::Diverged { step, .. } if step == i);
            let reference = step.outcomes.first();
            if step.call.is_none() {
                if let Some(Outcome::Trapped(_)) = reference {
                    self.instantiation_traps += 1;
                }
                continue;
            }
            self.calls += 1;
            if diverged_here {
                continue;
            }
            match reference {
                Some(Outcome::Returned(_)) => self.returns += 1,
                Some(Outcome::Trapped(k)) => *self.traps.entry(*k).or_default() += 1,
                _ => {}
            }
        }
        match &run.end {
            End::Completed => {}
            End::Diverged { key, .. } => *self.divergences.entry(key.clone()).or_default() += 1,
            End::Mismatch { .. } => self.mismatches += 1,
        }
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "modules {} (SIMD {}, generation failures {}, instantiation traps {})",
            self.modules, self.simd_modules, self.generation_failures, self.instantiation_traps
        )?;
        writeln!(f, "calls {} (returned {})", self.calls, self.returns)?;
        if !self.by_feature.is_empty() {
            let by: Vec<String> = self
                .by_feature
                .iter()
                .map(|(k, t)| format!("{k:?} {}/{}/{}", t.modules, t.calls, t.mismatches))
                .collect();
            writeln!(
                f,
                "by feature (modules/calls/mismatches): {}",
                by.join(", ")
            )?;
        }
        if !self.skipped.is_empty() {
            let skipped: Vec<String> = self
                .skipped
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            writeln!(f, "modules sat out: {}", skipped.join(", "))?;
        }
        let traps: Vec<String> = self
            .traps
            .iter()
            .map(|(k, n)| format!("{k:?} {n}"))
            .collect();
        writeln!(
            f,
            "traps: {}",
            if traps.is_empty() {
                "none".into()
            } else {
                traps.join(", ")
            }
        )?;
        let divs: Vec<String> = self
            .divergences
            .iter()
            .map(|(k, n)| format!("[{k}] {n}"))
            .collect();
        writeln!(
            f,
            "divergences skipped: {}",
            if divs.is_empty() {
                "none".into()
            } else {
                divs.join(", ")
            }
        )?;
        write!(f, "mismatches {}", self.mismatches)
    }
}

/// One mismatch a campaign found.
#[derive(Clone, Debug)]
pub struct Found {
    pub module_seed: u64,
    pub summary: String,
    /// The reproducer directory, if one was written.
    pub dir: Option<PathBuf>,
}

/// The result of a campaign.
#[derive(Clone, Debug)]
pub struct CampaignResult {
    pub tally: Tally,
    pub elapsed: Duration,
    pub found: Vec<Found>,
}

impl CampaignResult {
    /// Calls per second (the "execs" of this oracle).
    pub fn execs_per_sec(&self) -> f64 {
        self.tally.calls as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for CampaignResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        writeln!(
            f,
            "{:.1}s, {:.0} execs/s (calls), {:.1} modules/s",
            secs,
            self.execs_per_sec(),
            self.tally.modules as f64 / secs
        )?;
        write!(f, "{}", self.tally)
    }
}

/// The module seed a campaign is running right now, for a panic hook to
/// name when one side aborts the process (no report could be written).
pub static CURRENT_MODULE_SEED: AtomicU64 = AtomicU64::new(0);

/// Seeds of iteration `i` of a campaign: the module's, and its calls'.
pub fn seeds(campaign_seed: u64, i: u64) -> (u64, u64) {
    let module_seed = generate::mix(campaign_seed, i);
    (module_seed, generate::mix(module_seed, 0xca11))
}

/// Run a campaign. Fails only if an engine cannot be configured.
pub fn run(config: &CampaignConfig) -> Result<CampaignResult, String> {
    let variants = match config.nans {
        generate::Nans::Rewritten => EngineVariant::ALL,
        generate::Nans::Raw => EngineVariant::DETERMINISTIC,
    };
    let mut oracles = variants
        .iter()
        .map(|v| Oracle::for_variant(*v, config.limits))
        .collect::<Result<Vec<_>, _>>()?;
    let iterations = match (config.iterations, config.time) {
        (None, None) => Some(1000),
        (n, _) => n,
    };
    let start = Instant::now();
    let mut last_progress = start;
    let mut tally = Tally::default();
    let mut found = Vec::new();
    let mut i = 0u64;
    loop {
        if iterations.is_some_and(|n| i >= n) || config.time.is_some_and(|t| start.elapsed() >= t) {
            break;
        }
        let (module_seed, call_seed) = seeds(config.seed, i);
        CURRENT_MODULE_SEED.store(module_seed, Ordering::Relaxed);
        if config.trace {
            eprintln!("module seed {module_seed} (iteration {i})");
        }
        i += 1;
        let wasm = match generate::generate_nans(module_seed, &config.features, config.nans) {
            Ok(w) => w,
            Err(_) => {
                tally.generation_failures += 1;
                continue;
            }
        };
        let variant = variants[(module_seed % 4) as usize];
        let oracle = &mut oracles[(module_seed % 4) as usize];
        let run = oracle.run(&wasm, call_seed);
        tally.add(&run);
        // Divergences are legitimate (a resource limit hit), but name their
        // modules so one can be replayed and checked.
        if let (Some(_), End::Diverged { key, .. }) = (config.progress, &run.end) {
            eprintln!(
                "divergence [{key}]: module seed {module_seed}, call seed {call_seed}, \
                 variant {}",
                (module_seed % 4)
            );
        }
        let features = crate::coverage::scan(&wasm).unwrap_or_default();
        if features.iter().any(|f| f.is_simd()) {
            tally.simd_modules += 1;
        }
        tally.add_features(&run, &features);
        if let Some(summary) = repro::summary(&run) {
            let dir = config
                .out
                .as_ref()
                .map(|out| out.join(format!("mismatch-{module_seed:016x}")));
            if let Some(dir) = &dir {
                let recipe = Recipe { call_seed, variant };
                if let Err(e) = repro::write(dir, &wasm, recipe, Some(module_seed), &run) {
                    eprintln!("cannot write reproducer {}: {e}", dir.display());
                }
            }
            found.push(Found {
                module_seed,
                summary,
                dir,
            });
        }
        if let Some(every) = config.progress
            && last_progress.elapsed() >= every
        {
            last_progress = Instant::now();
            eprintln!(
                "[{:.0}s] modules {} (SIMD {}) calls {} mismatches {}",
                start.elapsed().as_secs_f64(),
                tally.modules,
                tally.simd_modules,
                tally.calls,
                tally.mismatches
            );
        }
    }
    Ok(CampaignResult {
        tally,
        elapsed: start.elapsed(),
        found,
    })
}
