//! Reproducers: the directory a mismatch leaves behind (`module.wasm`,
//! `module.wat`, `seed.txt`, `report.txt`), reading one back for replay,
//! and the text reports themselves.

use std::fmt::Write as _;
use std::path::Path;

use super::observe::Snapshot;
use super::{End, Run};
use crate::oracle::sides::engine::EngineVariant;

/// What, besides the module, a replay needs to repeat a run exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recipe {
    /// Seed of the call plan ([`super::plan::plan_calls`]).
    pub call_seed: u64,
    /// Engine configuration the run used; one with
    /// [`EngineVariant::canonical_nans`] replays on the deterministic oracle
    /// ([`super::Oracle::for_variant`]).
    pub variant: EngineVariant,
}

impl Recipe {
    fn to_text(self, module_seed: Option<u64>) -> String {
        let index = EngineVariant::numbered()
            .position(|v| v == self.variant)
            .unwrap_or(0);
        let mut s = format!(
            "call_seed {}\nengine_variant {index}\n# engine_variant: {}\n",
            self.call_seed, self.variant
        );
        if let Some(m) = module_seed {
            let how = if self.variant.canonical_nans {
                "generate::generate_raw, NaNs not rewritten"
            } else {
                "generate::generate"
            };
            let _ = writeln!(s, "# module generated from seed {m} ({how})");
        }
        s
    }

    fn parse(text: &str) -> Result<Recipe, String> {
        let mut call_seed = None;
        let mut variant = None;
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let mut words = line.split_whitespace();
            match (words.next(), words.next().map(str::parse::<u64>)) {
                (Some("call_seed"), Some(Ok(n))) => call_seed = Some(n),
                (Some("engine_variant"), Some(Ok(n))) => {
                    variant = EngineVariant::numbered().nth(n as usize)
                }
                (None, _) => {}
                _ => return Err(format!("seed.txt: cannot read line {line:?}")),
            }
        }
        Ok(Recipe {
            call_seed: call_seed.ok_or("seed.txt: no call_seed")?,
            variant: variant.ok_or("seed.txt: no valid engine_variant")?,
        })
    }
}

/// Load a module and its recipe: a reproducer directory, or a `.wasm` or
/// `.wat` file (which then runs with `default`).
pub fn load(path: &Path, default: Recipe) -> Result<(Vec<u8>, Recipe), String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    if path.is_dir() {
        let wasm = read(&path.join("module.wasm"))?;
        let text = String::from_utf8_lossy(&read(&path.join("seed.txt"))?).into_owned();
        return Ok((wasm, Recipe::parse(&text)?));
    }
    let bytes = read(path)?;
    let wasm = if bytes.starts_with(b"\0asm") {
        bytes
    } else {
        wat::parse_bytes(&bytes)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .into_owned()
    };
    Ok((wasm, default))
}

/// Write a reproducer directory for `run` of `wasm`.
pub fn write(
    dir: &Path,
    wasm: &[u8],
    recipe: Recipe,
    module_seed: Option<u64>,
    run: &Run,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("module.wasm"), wasm)?;
    let wat = wasmprinter::print_bytes(wasm)
        .unwrap_or_else(|e| format!(";; wasmprinter could not print the module: {e}\n"));
    std::fs::write(dir.join("module.wat"), wat)?;
    std::fs::write(dir.join("seed.txt"), recipe.to_text(module_seed))?;
    std::fs::write(dir.join("report.txt"), full_report(run))
}

fn step_title(run: &Run, i: usize) -> String {
    match run.steps.get(i).map(|s| s.call.as_ref()) {
        Some(Some(call)) => format!("step {i}: call {call}"),
        Some(None) => format!("step {i}: instantiate"),
        None => format!("step {i}: preparing the next call"),
    }
}

fn write_step(out: &mut String, run: &Run, i: usize, with_state: bool) {
    let _ = writeln!(out, "{}", step_title(run, i));
    let Some(step) = run.steps.get(i) else {
        return;
    };
    for (name, outcome) in run.side_names.iter().zip(&step.outcomes) {
        let _ = writeln!(out, "  {name:<22} {outcome}");
    }
    if with_state {
        for (name, snap) in run.side_names.iter().zip(&step.snapshots) {
            match snap {
                Ok(s) => write_snapshot(out, name, s),
                Err(e) => {
                    let _ = writeln!(out, "  {name} state unreadable: {e}");
                }
            }
        }
    }
}

fn write_snapshot(out: &mut String, name: &str, s: &Snapshot) {
    let _ = writeln!(out, "  {name} state:");
    for (g, v) in &s.globals {
        let _ = writeln!(out, "    global {g:?} = {v}");
    }
    for (m, v) in &s.memories {
        let _ = writeln!(
            out,
            "    memory {m:?}: {} bytes, hash {:016x}",
            v.bytes, v.hash
        );
    }
    for (t, slots) in &s.tables {
        let slots: Vec<String> = slots.iter().map(|o| o.to_string()).collect();
        let _ = writeln!(out, "    table {t:?} = [{}]", slots.join(", "));
    }
}

/// The one-paragraph report of a mismatch (or `None` if there is none):
/// what disagreed, at which step, and every side's outcome there.
pub fn summary(run: &Run) -> Option<String> {
    let End::Mismatch { step, what } = &run.end else {
        return None;
    };
    let mut out = format!("MISMATCH at {}\n  {what}\n", step_title(run, *step));
    let state_differs = what.contains("global")
        || what.contains("memory")
        || what.contains("table")
        || what.contains("state")
        || what.contains("exports");
    let mut detail = String::new();
    write_step(&mut detail, run, *step, state_differs);
    // The title is already in the first line.
    out.extend(detail.lines().skip(1).map(|l| format!("{l}\n")));
    Some(out)
}

/// Every step of the run, for `report.txt`.
pub fn full_report(run: &Run) -> String {
    let mut out = String::new();
    if let Some(s) = summary(run) {
        out.push_str(&s);
        out.push('\n');
    }
    let _ = writeln!(out, "sides: {}", run.side_names.join(", "));
    for (name, why) in &run.skipped {
        let _ = writeln!(out, "skipped: {name} ({why})");
    }
    let _ = writeln!(out, "call seed: {}", run.call_seed);
    let _ = writeln!(out, "end: {:?}\n", run.end);
    for i in 0..run.steps.len() {
        let last = i + 1 == run.steps.len();
        write_step(&mut out, run, i, last);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every numbered variant, the deterministic ones included, survives
    /// `seed.txt`; numbers outside the list are refused.
    #[test]
    fn recipes_round_trip() {
        for (i, variant) in EngineVariant::numbered().enumerate() {
            let recipe = Recipe {
                call_seed: 40 + i as u64,
                variant,
            };
            let text = recipe.to_text(Some(7));
            assert!(text.contains(&format!("engine_variant {i}\n")), "{text}");
            assert_eq!(Recipe::parse(&text), Ok(recipe));
        }
        assert_eq!(EngineVariant::numbered().count(), 8);
        assert!(Recipe::parse("call_seed 1\nengine_variant 8\n").is_err());
    }
}
