//! Shared pieces of Kiln's benchmarks: finding the benchmark modules
//! ([`suite`]), the engines under test behind one interface ([`runtime`]:
//! Kiln, and wasmtime and wasmi with the `peers` feature), and the ratio
//! table of criterion's results ([`report`]).

pub mod callgrind;
pub mod report;
pub mod runtime;
pub mod suite;

use anyhow::{Context, Result, bail};
use kiln::{Engine, ExternType, Func, Linker, Module, Store};
use std::path::{Path, PathBuf};

/// The directory of real benchmark modules: `$KILN_BENCH_WASM`, else
/// `../shared/bench-wasm` beside the workspace. They are not in the
/// repository; the error says where to get them, in one line.
pub fn bench_wasm_dir() -> Result<PathBuf> {
    let (dir, from) = match std::env::var_os("KILN_BENCH_WASM") {
        Some(dir) => (PathBuf::from(dir), "from KILN_BENCH_WASM"),
        None => (
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench-wasm"),
            "the default, beside the repository",
        ),
    };
    if !dir.is_dir() {
        bail!(
            "benchmark modules not found at {} ({from}): they are not in the repository; set \
             KILN_BENCH_WASM to a directory of them (README.md, \"Test data outside the repository\")",
            dir.display()
        );
    }
    Ok(dir)
}

/// Every `.wasm` one level below `dir`, as `(name, bytes)`, sorted.
pub fn bench_modules(dir: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let sub = entry?.path();
        if !sub.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&sub)? {
            let path = file?.path();
            if path.extension().is_some_and(|e| e == "wasm") {
                let name = format!(
                    "{}/{}",
                    sub.file_name().unwrap().to_string_lossy(),
                    path.file_stem().unwrap().to_string_lossy()
                );
                out.push((name, std::fs::read(&path)?));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A linker that satisfies every function import of `module` with a stub
/// that fails when called: enough to instantiate, not to run.
pub fn stub_linker<T: 'static>(
    engine: &Engine,
    store: &mut Store<T>,
    module: &Module,
) -> Result<Linker<T>> {
    let mut linker = Linker::new(engine);
    for import in module.imports() {
        let ExternType::Func(ty) = import.ty() else {
            bail!(
                "cannot stub non-function import `{}::{}`",
                import.module(),
                import.name()
            );
        };
        let name = format!("{}::{}", import.module(), import.name());
        let f = Func::new(&mut *store, ty, move |_, _, _| {
            bail!("stub import `{name}` called")
        });
        linker.define(import.module(), import.name(), f)?;
    }
    Ok(linker)
}
