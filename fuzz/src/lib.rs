//! Kiln's fuzz targets, as a library: generators, oracles and the body of
//! every target, independent of libFuzzer. Each `fuzz_targets/X.rs` is a
//! few lines of glue calling [`targets`]`::X::run`; `cargo test` runs every
//! body on a deterministic stream of inputs ([`stream`]).
//!
//! A target body takes the fuzzer's bytes and returns `Err` only when they
//! ran out before a test case was complete (the input is then skipped); a
//! bug is a panic (or a crash).

pub mod generate;
pub mod log;
pub mod stream;

pub mod targets {
    pub mod api_calls;
    pub mod compile;
    pub mod differential;
    pub mod instantiate;
    pub mod table_ops;
    pub mod wasi_calls;
    pub mod wast;
}

/// A target body: the fuzzer's bytes in, `Err` only if they ran out.
pub type Body = fn(&[u8]) -> arbitrary::Result<()>;

/// Every target by name: `(name, body)`.
pub const TARGETS: &[(&str, Body)] = &[
    ("instantiate", targets::instantiate::run),
    ("compile", targets::compile::run),
    ("differential", targets::differential::run),
    ("api_calls", targets::api_calls::run),
    ("table_ops", targets::table_ops::run),
    ("wasi_calls", targets::wasi_calls::run),
    ("wast", targets::wast::run),
];

/// The files directly in `dir` (a corpus or regression folder), sorted so
/// that runs go in the same order everywhere.
pub fn inputs(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    Ok(paths)
}

/// Run `body` on `data` the way the fuzz targets do: running out of bytes
/// is not a failure.
pub fn fuzz(body: Body, data: &[u8]) {
    let _ = body(data);
}

#[cfg(test)]
mod tests;
