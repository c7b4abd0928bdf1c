//! What a target prints. Fuzzing runs millions of inputs, so targets are
//! silent; replaying one input (`cargo fuzz run TARGET crash-file`, or
//! `KILN_FUZZ_VERBOSE=1`) prints what it generated, modules as WAT, before
//! running it, so the log of a crash shows the module that caused it.

use std::sync::OnceLock;

/// Whether targets should describe what they do: `KILN_FUZZ_VERBOSE` is
/// set to anything but `0`, or the process was given an input file (how
/// libFuzzer replays), rather than only corpus directories and flags.
pub fn verbose() -> bool {
    static VERBOSE: OnceLock<bool> = OnceLock::new();
    *VERBOSE.get_or_init(|| match std::env::var("KILN_FUZZ_VERBOSE") {
        Ok(v) => v != "0",
        Err(_) => std::env::args_os()
            .skip(1)
            .any(|a| !a.to_string_lossy().starts_with('-') && std::path::Path::new(&a).is_file()),
    })
}

/// Print a line when [`verbose`].
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        if $crate::log::verbose() {
            eprintln!($($arg)*);
        }
    };
}

/// `wasm` as WAT, or why it cannot be printed.
pub fn wat(wasm: &[u8]) -> String {
    let mut config = wasmprinter::Config::new();
    config.fold_instructions(false);
    let mut out = String::new();
    match config.print(wasm, &mut wasmprinter::PrintFmtWrite(&mut out)) {
        Ok(()) => out,
        Err(e) => format!("{out}\n;; (wasmprinter stopped: {e:#})"),
    }
}

/// Print `wasm` as WAT under a heading, when [`verbose`].
pub fn module(what: &str, wasm: &[u8]) {
    if verbose() {
        eprintln!("---- {what} ({} bytes) ----\n{}", wasm.len(), wat(wasm));
        eprintln!("---- end of {what} ----");
    }
}
