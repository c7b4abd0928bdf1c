//! The benchmark set: every module of `../shared/bench-wasm` with what it
//! needs to run the sightglass way (its directory preopened as `.`, its
//! inputs read by relative path, `default.input` on stdin) and the output
//! a correct run prints. Modules that cannot run here are kept with the
//! reason, so every bench can say what it skipped.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// One runnable benchmark module.
#[derive(Clone, Debug)]
pub struct Benchmark {
    /// The sightglass name: the directory for `benchmark.wasm`, the file
    /// stem otherwise, `kernel-<stem>` for the local kernels.
    pub name: String,
    /// The directory preopened as `.` (inputs are read relative to it).
    pub dir: PathBuf,
    /// The module's file name: `argv[0]`.
    pub file: String,
    pub wasm: Vec<u8>,
    /// The guest's stdin: `default.input` when the directory has one.
    pub stdin: Arc<[u8]>,
    /// What a correct run prints, when the set has an expected file.
    pub expected_stdout: Option<Vec<u8>>,
    pub expected_stderr: Option<Vec<u8>>,
}

/// A module of the set that is not run, and why.
#[derive(Clone, Debug)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

/// What one execution of a benchmark produced.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The time between the guest's `bench.start` and `bench.end`.
    pub elapsed: Duration,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Input files each sightglass benchmark reads (from BENCHMARKS.md): a
/// benchmark whose input is absent from the snapshot is skipped.
const INPUTS: &[(&str, &[&str])] = &[
    ("blake3-scalar", &["default.input"]),
    ("blake3-simd", &["default.input"]),
    ("blind-sig", &["secret.der"]),
    ("bz2", &["default.input"]),
    ("hex-simd", &["default.input"]),
    ("intgemm-simd", &["default.input"]),
    ("meshoptimizer", &["default.input"]),
    ("pulldown-cmark", &["default.input.md"]),
    ("quicksort", &["default.input"]),
    ("regex", &["default.input"]),
    ("richards", &["default.input"]),
    ("rust-compression", &["default.input"]),
    ("rust-html-rewriter", &["default.input"]),
    ("rust-json", &["default.input"]),
    ("rust-protobuf", &["default.input"]),
    (
        "shootout-ackermann",
        &["shootout-ackermann.m.input", "shootout-ackermann.n.input"],
    ),
    ("splay", &["default.input"]),
    ("sqlite3", &["default.input"]),
    ("tinygo-json", &["tinygo-json.input"]),
    ("tinygo-regex", &["tinygo-regex.input"]),
];

/// Benchmarks that need a proposal beyond Wasm 2.0: an engine that
/// cannot compile one of these skips it, saying so. Any other compile
/// failure fails the bench.
const NEEDS: &[(&str, &str)] = &[("splay", "Wasm GC (struct and array types)")];

/// The import modules a benchmark may use: WASI preview1 and the
/// sightglass timing hooks. Anything else (wasi-nn) is not provided.
pub const PROVIDED_IMPORT_MODULES: &[&str] = &["wasi_snapshot_preview1", "bench"];

/// Every module of the set under `dir`, sorted by name: those that can run
/// here, and the others with the reason.
pub fn load(dir: &Path) -> Result<(Vec<Benchmark>, Vec<Skipped>)> {
    let mut run = Vec::new();
    let mut skipped = Vec::new();
    let mut subdirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    subdirs.retain(|p| p.is_dir());
    subdirs.sort();
    for sub in subdirs {
        let dir_name = sub.file_name().unwrap().to_string_lossy().into_owned();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&sub)?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()?;
        files.retain(|p| p.extension().is_some_and(|e| e == "wasm"));
        files.sort();
        for path in files {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let name = if stem == "benchmark" {
                dir_name.clone()
            } else if dir_name == "kernels" {
                format!("kernel-{stem}")
            } else {
                stem.clone()
            };
            let wasm = std::fs::read(&path)?;
            if let Some(reason) = unrunnable(&name, &sub, &wasm) {
                skipped.push(Skipped { name, reason });
                continue;
            }
            let read_opt = |file: &str| std::fs::read(sub.join(file)).ok();
            let expected = |kind: &str| {
                read_opt(&format!("{stem}.{kind}.expected"))
                    .or_else(|| read_opt(&format!("default.{kind}.expected")))
            };
            run.push(Benchmark {
                name,
                file: path.file_name().unwrap().to_string_lossy().into_owned(),
                stdin: read_opt("default.input").unwrap_or_default().into(),
                expected_stdout: expected("stdout"),
                expected_stderr: expected("stderr"),
                dir: sub.clone(),
                wasm,
            });
        }
    }
    run.sort_by(|a, b| a.name.cmp(&b.name));
    skipped.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((run, skipped))
}

/// Why a module cannot run here, if it cannot: a component, an import
/// nobody here provides, or an input file missing from the snapshot.
fn unrunnable(name: &str, dir: &Path, wasm: &[u8]) -> Option<String> {
    if wasm.len() >= 8 && wasm[..4] == *b"\0asm" && wasm[4..8] != [1, 0, 0, 0] {
        return Some("a component-model binary, not a core module".into());
    }
    if let Some(module) = foreign_import(wasm) {
        return Some(format!(
            "imports `{module}`, which no runtime here provides"
        ));
    }
    let inputs = INPUTS.iter().find(|(n, _)| *n == name).map(|(_, i)| *i);
    for input in inputs.unwrap_or_default() {
        if !dir.join(input).is_file() {
            return Some(format!("input `{input}` is absent from the snapshot"));
        }
    }
    None
}

/// The first import module outside [`PROVIDED_IMPORT_MODULES`], read from
/// the import section without validating anything else.
fn foreign_import(wasm: &[u8]) -> Option<String> {
    let mut pos = 8;
    let leb = |pos: &mut usize| -> Option<u32> {
        let mut result = 0u32;
        for shift in (0..35).step_by(7) {
            let byte = *wasm.get(*pos)?;
            *pos += 1;
            result |= u32::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(result);
            }
        }
        None
    };
    while pos < wasm.len() {
        let id = wasm[pos];
        pos += 1;
        let size = leb(&mut pos)? as usize;
        if id != 2 {
            pos += size;
            continue;
        }
        let count = leb(&mut pos)?;
        for _ in 0..count {
            let len = leb(&mut pos)? as usize;
            let module = String::from_utf8_lossy(wasm.get(pos..pos + len)?).into_owned();
            if !PROVIDED_IMPORT_MODULES.contains(&module.as_str()) {
                return Some(module);
            }
            pos += len;
            let len = leb(&mut pos)? as usize;
            pos += len;
            // The import kind and its description.
            match *wasm.get(pos)? {
                0 => {
                    pos += 1;
                    leb(&mut pos)?;
                }
                // Anything else: stop looking (benchmarks import functions).
                _ => return None,
            }
        }
        return None;
    }
    None
}

/// The set for a bench binary: `$KILN_BENCH_WASM` or the default
/// directory, with every skipped module printed (with its reason) to
/// stderr. Panics if the set is missing.
pub fn load_for_bench() -> Vec<Benchmark> {
    let dir = crate::bench_wasm_dir().unwrap_or_else(|e| panic!("{e:#}"));
    let (run, skipped) = load(&dir).unwrap_or_else(|e| panic!("{e:#}"));
    for s in skipped {
        eprintln!("skipping {}: {}", s.name, s.reason);
    }
    run
}

impl Benchmark {
    /// The proposal beyond Wasm 2.0 this benchmark needs, if any.
    pub fn needs(&self) -> Option<&'static str> {
        NEEDS.iter().find(|(n, _)| *n == self.name).map(|(_, f)| *f)
    }

    /// Panic unless `outcome` printed what a correct run prints (trailing
    /// whitespace ignored, as sightglass does): a fast wrong answer is not
    /// a result.
    pub fn check(&self, runtime: &str, outcome: &Outcome) {
        for (stream, expected, actual) in [
            ("stdout", &self.expected_stdout, &outcome.stdout),
            ("stderr", &self.expected_stderr, &outcome.stderr),
        ] {
            let Some(expected) = expected else { continue };
            if trim_end(expected) != trim_end(actual) {
                panic!(
                    "{}: {runtime}'s {stream} differs from the expected file in {} \
                     ({} bytes expected, {} printed; first difference at byte {}):\n{}",
                    self.name,
                    self.dir.display(),
                    expected.len(),
                    actual.len(),
                    first_difference(expected, actual),
                    String::from_utf8_lossy(&actual[..actual.len().min(2000)]),
                );
            }
        }
    }
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &bytes[..end]
}

fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_whitespace_is_ignored() {
        let bench = Benchmark {
            name: "t".into(),
            dir: PathBuf::new(),
            file: "t.wasm".into(),
            wasm: Vec::new(),
            stdin: Arc::default(),
            expected_stdout: Some(b"ok\n".to_vec()),
            expected_stderr: None,
        };
        let outcome = |s: &[u8]| Outcome {
            stdout: s.to_vec(),
            ..Outcome::default()
        };
        bench.check("x", &outcome(b"ok"));
        bench.check("x", &outcome(b"ok \n\n"));
        let wrong = std::panic::catch_unwind(|| bench.check("x", &outcome(b"ko\n")));
        assert!(wrong.is_err());
    }

    #[test]
    fn foreign_imports_are_found() {
        let wasm = wat::parse_str(
            r#"(module
                 (import "bench" "start" (func))
                 (import "wasi_ephemeral_nn" "load" (func)))"#,
        )
        .unwrap();
        assert_eq!(foreign_import(&wasm).as_deref(), Some("wasi_ephemeral_nn"));
        let wasm =
            wat::parse_str(r#"(module (import "bench" "start" (func)) (memory 1))"#).unwrap();
        assert_eq!(foreign_import(&wasm), None);
    }
}
