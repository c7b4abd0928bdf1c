//! C programs against the library, as C users build them.
//!
//! Each program is compiled with the system C compiler (`$CC`, else `cc`)
//! against the shared library this same `cargo test` built (the crate's
//! cdylib, found beside this test's executable, so any target directory
//! works) and run; it must exit 0 and print exactly what is expected:
//!
//! - `example::*`: the upstream examples of WebAssembly/wasm-c-api, run
//!   in their folder (they read their `.wasm` from the current directory);
//!   each checks some values itself, and the expected output checks the
//!   rest (callback arguments, results, trap messages and frames, reflected
//!   types).
//! - `own::*`: `tests/c/*.c`, what the examples do not reach.
//! - `symbols`: every function wasm.h and kiln.h declare is exported.
//!
//! wasm.h is not in this repository: it is found at `$KILN_WASM_C_API`
//! (a wasm-c-api checkout), else `../shared/wasm-c-api` beside the
//! workspace.

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Upstream examples and the exact output of a correct run on Kiln
/// (frames print a NULL instance, kiln.h, and their offsets, which are those
/// of the trapping instruction or call in the example's `.wasm`: in
/// `start.wasm` the `unreachable` at 0x2e, one byte into the body of
/// function 0; in `trap.wasm` the `call` at 0x5c of function 1 and the
/// `unreachable` at 0x65 of function 2, each one byte into its body).
const EXAMPLES: &[(&str, &str)] = &[
    (
        "hello",
        "Initializing...\nLoading binary...\nValidating module...\nCompiling module...\n\
         Creating callback...\nInstantiating module...\nExtracting export...\nCalling export...\n\
         Calling back...\n> Hello World!\nShutting down...\nDone.\n",
    ),
    (
        "callback",
        "Initializing...\nLoading binary...\nCompiling module...\nCreating callback...\n\
         Instantiating module...\nExtracting export...\nCalling export...\nCalling back...\n> 7\n\
         Calling back closure...\n> 42\nPrinting result...\n> 49\nShutting down...\nDone.\n",
    ),
    (
        "global",
        "Initializing...\nLoading binary...\nCompiling module...\nCreating globals...\n\
         Instantiating module...\nExtracting exports...\nAccessing globals...\nShutting down...\n\
         Done.\n",
    ),
    (
        "memory",
        "Initializing...\nLoading binary...\nCompiling module...\nInstantiating module...\n\
         Extracting exports...\nChecking memory...\nMutating memory...\nGrowing memory...\n\
         Creating stand-alone memory...\nShutting down...\nDone.\n",
    ),
    (
        "multi",
        "Initializing...\nLoading binary...\nCompiling module...\nCreating callback...\n\
         Instantiating module...\nExtracting export...\nCalling export...\nCalling back...\n\
         > > 1 3 2 4\n\nPrinting result...\n> 4 3 2 1\nShutting down...\nDone.\n",
    ),
    (
        "reflect",
        "Initializing...\nLoading binary...\nCompiling module...\nInstantiating module...\n\
         Extracting export...\n\
         > export 0 \"func\"\n>> initial: func i32 f64 f32 -> i32\n\
         >> current: func i32 f64 f32 -> i32\n>> in-arity: 3, out-arity: 1\n\
         > export 1 \"global\"\n>> initial: global const f64\n>> current: global const f64\n\
         > export 2 \"table\"\n>> initial: table 0d 50d funcref\n\
         >> current: table 0d 50d funcref\n\
         > export 3 \"memory\"\n>> initial: memory 1d\n>> current: memory 1d\n\
         Shutting down...\nDone.\n",
    ),
    (
        "serialize",
        "Initializing...\nLoading binary...\nCompiling module...\nSerializing module...\n\
         Deserializing module...\nCreating callback...\nInstantiating deserialized module...\n\
         Extracting export...\nCalling export...\nCalling back...\n> Hello World!\n\
         Shutting down...\nDone.\n",
    ),
    (
        "start",
        "Initializing...\nLoading binary...\nCompiling module...\nInstantiating module...\n\
         Printing message...\n> wasm trap: unreachable\nPrinting origin...\n\
         > (nil) @ 0x2e = 0.0x1\nPrinting trace...\n> (nil) @ 0x2e = 0.0x1\nShutting down...\n\
         Done.\n",
    ),
    (
        "table",
        "Initializing...\nLoading binary...\nCompiling module...\nInstantiating module...\n\
         Extracting exports...\nCreating callback...\nChecking table...\nMutating table...\n\
         Growing table...\nCalling back...\nCreating stand-alone table...\nShutting down...\n\
         Done.\n",
    ),
    (
        "trap",
        "Initializing...\nLoading binary...\nCompiling module...\nCreating callback...\n\
         Instantiating module...\nExtracting exports...\nCalling export 0...\nCalling back...\n\
         Printing message...\n> callback abort\nPrinting origin...\n> (nil) @ 0x5c = 1.0x1\n\
         Printing trace...\n> (nil) @ 0x5c = 1.0x1\nCalling export 1...\nPrinting message...\n\
         > wasm trap: unreachable\nPrinting origin...\n> (nil) @ 0x65 = 2.0x1\n\
         Printing trace...\n> (nil) @ 0x65 = 2.0x1\nShutting down...\nDone.\n",
    ),
];

/// Our own C tests (`tests/c/NAME.c`) and their exact output.
const OWN: &[(&str, &str)] = &[
    (
        "types",
        "params: 0 1 2 3 128 129\nresults: 4 3\nimport and export types: ok\nvectors: ok\n",
    ),
    (
        "host_info",
        "foreign: ok\nreferences: ok\nmodule and trap: ok\nstore objects: ok\n",
    ),
    ("share", "thread 0: 40\nthread 1: 40\nother engine: NULL\n"),
    (
        "frames",
        "origin: 2\ntrace: 2 3 4\ntrap: wasm trap: integer divide by zero\n\
         origin: 5\ntrace: 5\ntrap: from the host\n\
         origin: 2\ntrace: 2 3 4 6\ntrap: wasm trap: integer divide by zero\n",
    ),
    (
        "externref",
        "call: same object\nnull: ok\nglobal and table: ok\nfrom C: ok\n",
    ),
    (
        "funcref_table",
        "host: 15\nwasm: 6\ntrap: wasm trap: uninitialized element\n\
         trap: wasm trap: undefined element\ngrown: 6\nlimits: ok\n",
    ),
    (
        "import_memory",
        "import env.mem: memory 1 4\nwasm reads: 42\nC reads: 7\n\
         grow from wasm: 1 -> 3 pages, 196608 bytes\n",
    ),
    (
        "failures",
        "invalid modules: NULL\ndamaged artifact: NULL\n\
         trap: expected 2 imports, found 1\n\
         trap: incompatible import type for `::f`: expected func [i32] -> [], found global i32\n\
         trap: incompatible import type for `::f`: expected func [i32] -> [], found func [] -> []\n\
         trap: incompatible import type for `::g`: expected global i32, found global i64\n\
         trap: import 1 is not an extern\ntrap: import 1: object used with the wrong store\n\
         right imports: instance\n\
         trap: expected 1 arguments, got 0\ntrap: expected 1 arguments, got 2\n\
         trap: argument type mismatch: type mismatch: expected i32, found f32\n\
         trap: host function returned a bad result: type mismatch: expected i32, found f64\n\
         calls: traps\nglobals: unchanged\ntypes: NULL\ncasts: NULL\n",
    ),
    (
        "kiln_ext",
        "wat2wasm: 8 bytes\nerror: extra tokens remaining after parse\n\
         trap: wasm trap: all fuel consumed\n\
         error: fuel is not enabled: use `Config::consume_fuel(true)`\n\
         error: fuel is not enabled: use `Config::consume_fuel(true)`\n\
         error: no import given for `env::report`\n\
         prog\nhello\nGREETING=hi there\npath_open errno: 0\nexit status: 3\n",
    ),
];

struct Env {
    /// The wasm-c-api checkout (`include/wasm.h`, `example/`).
    wasm_c_api: PathBuf,
    /// This crate (`include/kiln.h`, `tests/c/`).
    crate_dir: PathBuf,
    /// The shared library under test.
    library: PathBuf,
    /// Where compiled programs go.
    out: PathBuf,
}

impl Env {
    fn find() -> Result<Env, String> {
        let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let wasm_c_api = match std::env::var_os("KILN_WASM_C_API") {
            Some(p) => PathBuf::from(p),
            None => crate_dir.join("../../shared/wasm-c-api"),
        };
        if !wasm_c_api.join("include/wasm.h").is_file() {
            return Err(format!(
                "wasm.h not found: {} has no include/wasm.h. Set KILN_WASM_C_API to a checkout \
                 of https://github.com/WebAssembly/wasm-c-api.",
                wasm_c_api.display()
            ));
        }
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("c-api");
        std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        Ok(Env {
            wasm_c_api: wasm_c_api.canonicalize().unwrap_or(wasm_c_api),
            crate_dir,
            library: find_library()?,
            out,
        })
    }

    /// Compiles `source` to an executable named `name`.
    fn compile(&self, source: &Path, name: &str) -> Result<PathBuf, Failed> {
        let exe = self.out.join(name);
        let dir = self
            .library
            .parent()
            .expect("a library file has a directory");
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
        let output = Command::new(&cc)
            .arg("-std=gnu11")
            .arg("-g")
            .arg("-I")
            .arg(self.wasm_c_api.join("include"))
            .arg("-I")
            .arg(self.crate_dir.join("include"))
            .arg(source)
            .arg(&self.library)
            .arg(format!("-Wl,-rpath,{}", dir.display()))
            .args(["-lpthread", "-ldl", "-lm", "-o"])
            .arg(&exe)
            .output()
            .map_err(|e| format!("cannot run `{cc}`: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "compiling {} failed:\n{}",
                source.display(),
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
        Ok(exe)
    }
}

/// The cdylib cargo built with this test: next to the test executable
/// (`deps/`) or one level up, the newest if there are several.
fn find_library() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let deps = exe.parent().ok_or("the test executable has no directory")?;
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
    for dir in [deps, deps.parent().unwrap_or(deps)] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with("libkiln_c_api") && name.ends_with(".so") {
                let modified = e.metadata().and_then(|m| m.modified());
                if let Ok(t) = modified {
                    found.push((t, e.path()));
                }
            }
        }
    }
    found.sort();
    found.pop().map(|(_, p)| p).ok_or_else(|| {
        format!(
            "libkiln_c_api.so not found beside {}: run this test through `cargo test`, which \
             builds it",
            exe.display()
        )
    })
}

/// Runs `exe` in `cwd` and checks its exit status and exact output.
fn check(exe: &Path, cwd: &Path, expected: &str) -> Result<(), Failed> {
    let output = Command::new(exe)
        .current_dir(cwd)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || stdout != expected {
        return Err(format!(
            "{} exited with {}\n--- stdout\n{stdout}--- expected\n{expected}--- stderr\n{}",
            exe.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(())
}

/// The function names the headers declare (`WASM_API_EXTERN`), read from
/// the preprocessed headers so wasm.h's declaration macros are expanded.
fn declared_functions(env: &Env) -> Result<Vec<String>, Failed> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let source = env.out.join("declarations.c");
    std::fs::write(&source, "#include \"wasm.h\"\n#include \"kiln.h\"\n")
        .map_err(|e| e.to_string())?;
    let output = Command::new(&cc)
        .args(["-E", "-P", "-DWASM_API_EXTERN=KILN_DECLARED"])
        .arg("-I")
        .arg(env.wasm_c_api.join("include"))
        .arg("-I")
        .arg(env.crate_dir.join("include"))
        .arg(&source)
        .output()
        .map_err(|e| format!("cannot run `{cc} -E`: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned().into());
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut names: Vec<String> = text
        .split("KILN_DECLARED")
        .skip(1)
        .filter_map(|decl| {
            let head = &decl[..decl.find('(')?];
            let name = head
                .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()?;
            (!name.is_empty()).then(|| name.to_string())
        })
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// The functions the library exports (`nm -D --defined-only`).
fn exported_functions(library: &Path) -> Result<Vec<String>, Failed> {
    let output = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(library)
        .output()
        .map_err(|e| format!("cannot run `nm`: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned().into());
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
            [_, "T", name] => Some(name.to_string()),
            _ => None,
        })
        .collect())
}

fn check_symbols(env: &Env) -> Result<(), Failed> {
    let declared = declared_functions(env)?;
    let exported = exported_functions(&env.library)?;
    let missing: Vec<&String> = declared.iter().filter(|n| !exported.contains(n)).collect();
    let wasm_declared = declared.iter().filter(|n| n.starts_with("wasm_")).count();
    println!(
        "{} functions declared ({wasm_declared} in wasm.h, {} in kiln.h), {} exported, {} missing",
        declared.len(),
        declared.len() - wasm_declared,
        exported
            .iter()
            .filter(|n| n.starts_with("wasm_") || n.starts_with("kiln_"))
            .count(),
        missing.len()
    );
    if wasm_declared < 200 {
        return Err(
            format!("only {wasm_declared} wasm.h functions parsed: the parser broke").into(),
        );
    }
    if !missing.is_empty() {
        return Err(format!("declared but not exported: {missing:?}").into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let env = match Env::find() {
        Ok(env) => std::sync::Arc::new(env),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let mut trials = Vec::new();
    for &(name, expected) in EXAMPLES {
        let env = env.clone();
        trials.push(Trial::test(format!("example::{name}"), move || {
            let folder = env.wasm_c_api.join("example");
            let exe = env.compile(
                &folder.join(format!("{name}.c")),
                &format!("example-{name}"),
            )?;
            check(&exe, &folder, expected)
        }));
    }
    for &(name, expected) in OWN {
        let env = env.clone();
        trials.push(Trial::test(format!("own::{name}"), move || {
            let source = env.crate_dir.join("tests/c").join(format!("{name}.c"));
            let exe = env.compile(&source, &format!("own-{name}"))?;
            check(&exe, &env.out, expected)
        }));
    }
    {
        let env = env.clone();
        trials.push(Trial::test("symbols", move || check_symbols(&env)));
    }
    libtest_mimic::run(&args, trials).exit();
}
