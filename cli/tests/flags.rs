//! The command line itself: help and version, each flag's parsing, usage
//! errors (clap's, exit status 2), and arguments that are not UTF-8.
//!
//! Every case is one `check(module, args, status, expected)` call. In
//! `args`, `{}` is a file holding `module` whose name is not UTF-8 (so every
//! case also runs a non-UTF-8 path), `{ff}` is the byte 0xff, and `{out}` a
//! fresh path for `kiln compile` to write.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::process::Command;

/// Exports to `--invoke`, and a memory to go out of.
const MODULE: &str = r#"(module
  (memory 1)
  (func (export "add") (param i64 i64) (result i64) local.get 0 local.get 1 i64.add)
  (func (export "swap") (param f32 f64) (result f64 f32 i32) local.get 1 local.get 0 i32.const -1)
  (func (export "neg") (param i32) (result i32) i32.const 0 local.get 0 i32.sub)
  (func (export "count") (param i32) (result i32)
    (loop $l (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br_if $l (local.get 0)))
    (local.get 0))
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func (export "v128") (result v128) v128.const i32x4 1 2 3 4))"#;

/// A WASI command printing its arguments after argv[0], each followed by
/// a NUL.
const ARGS: &str = r#"(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    ;; argc at 0, the strings' size at 4, argv at 64, the strings at 4096
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (drop (call $get (i32.const 64) (i32.const 4096)))
    (if (i32.ge_u (i32.load (i32.const 0)) (i32.const 2)) (then
      ;; one iovec at 8: from argv[1] to the end of the strings
      (i32.store (i32.const 8) (i32.load (i32.const 68)))
      (i32.store (i32.const 12)
        (i32.sub (i32.add (i32.const 4096) (i32.load (i32.const 4))) (i32.load (i32.const 68))))
      (drop (call $write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 16)))))))"#;

/// A WASI command printing its environment, each `NAME=VAL` followed by a
/// NUL.
const ENV: &str = r#"(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (drop (call $get (i32.const 64) (i32.const 4096)))
    (i32.store (i32.const 8) (i32.const 4096))
    (i32.store (i32.const 12) (i32.load (i32.const 4)))
    (drop (call $write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 16)))))"#;

/// A WAST script whose second directive fails.
const FAILING: &str = r#"(module (func (export "f") (result i32) (i32.const 1)))
(assert_return (invoke "f") (i32.const 2))"#;

/// A WAST script that passes.
const PASSING: &str = r#"(module (func (export "f") (result i32) (i32.const 1)))
(assert_return (invoke "f") (i32.const 1))"#;

/// What a case expects to see.
enum Out<'a> {
    /// Exactly this on stdout.
    Stdout(&'a str),
    /// This somewhere in stdout or stderr.
    Says(&'a str),
}
use Out::{Says, Stdout};

/// `s` with each `{ff}` replaced by the byte 0xff.
fn bytes(s: &str) -> Vec<u8> {
    s.split("{ff}")
        .map(str::as_bytes)
        .collect::<Vec<_>>()
        .join(&0xff)
}

/// Run `kiln ARGS` (see the module docs) and check its exit status and
/// output. The host environment has `KILN_FROM_HOST=host value` and no
/// `KILN_UNSET`.
fn check(module: &str, args: &[&str], status: i32, expected: Out<'_>) {
    use std::hash::{Hash, Hasher};
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!("kiln-flags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (module, args).hash(&mut h);
    let stem = format!("m{:016x}-{}", h.finish(), N.fetch_add(1, Ordering::Relaxed));
    let mut file = dir.join(&stem).into_os_string().into_vec();
    file.extend_from_slice(b"-\xff.wat");
    std::fs::write(OsString::from_vec(file.clone()), module).unwrap();
    let out = dir.join(format!("{stem}.kwasm"));
    let args: Vec<OsString> = args
        .iter()
        .map(|a| {
            let a = a.replace("{out}", out.to_str().unwrap());
            let parts: Vec<Vec<u8>> = a.split("{}").map(bytes).collect();
            OsString::from_vec(parts.join(&file[..]))
        })
        .collect();
    let output = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(&args)
        .env("KILN_FROM_HOST", "host value")
        .env_remove("KILN_UNSET")
        .output()
        .unwrap();
    let (stdout, stderr) = (&output.stdout, &output.stderr);
    let shown = format!(
        "kiln {args:?}\nstdout: {:?}\nstderr: {}",
        String::from_utf8_lossy(stdout),
        String::from_utf8_lossy(stderr)
    );
    assert_eq!(output.status.code(), Some(status), "{shown}");
    match expected {
        Stdout(text) => assert_eq!(*stdout, bytes(text), "{shown}"),
        Says(text) => {
            let needle = bytes(text);
            let found = |s: &[u8]| s.windows(needle.len()).any(|w| w == needle);
            assert!(found(stdout) || found(stderr), "expected {text:?}: {shown}");
        }
    }
}

#[test]
fn help_and_version() {
    for name in ["run", "compile", "wast", "--version"] {
        check("", &["--help"], 0, Says(name));
    }
    check("", &["-h"], 0, Says("Usage: kiln <COMMAND>"));
    check(
        "",
        &["help", "run"],
        0,
        Says("Usage: kiln run [OPTIONS] <FILE>"),
    );
    let version = format!("kiln {}\n", env!("CARGO_PKG_VERSION"));
    check("", &["--version"], 0, Stdout(&version));
    check("", &["-V"], 0, Stdout(&version));
    // No subcommand: the help, as a usage error.
    check("", &[], 2, Says("Usage: kiln <COMMAND>"));
    for flag in [
        "--dir <HOST[::GUEST]>",
        "--env <NAME[=VAL]>",
        "--invoke <NAME>",
        "--fuel <N>",
        "-W <FEATURE[=y|n]>",
        "--wasm <LEVEL>",
        "-O <KEY=VAL>",
        "opt-level=0|1|2|s",
        "bounds-checks=guard-pages|explicit",
        "--allow-precompiled",
        "--bench-timing",
        "[-- <PROGRAM-ARGS>...]",
    ] {
        check("", &["run", "--help"], 0, Says(flag));
    }
    for flag in [
        "--fail-fast",
        "--fuel <N>",
        "-W <FEATURE[=y|n]>",
        "--wasm <LEVEL>",
        "-O <KEY=VAL>",
    ] {
        check("", &["wast", "--help"], 0, Says(flag));
    }
    for flag in [
        "-o, --output <OUT.kwasm>",
        "-O <KEY=VAL>",
        "-W <FEATURE[=y|n]>",
    ] {
        check("", &["compile", "--help"], 0, Says(flag));
    }
    // The long help names every feature `-W` knows.
    for feature in kiln::Features::NAMES.map(|(name, _)| name) {
        check("", &["run", "--help"], 0, Says(feature));
    }
}

#[test]
fn usage_errors_exit_2() {
    let m = MODULE;
    let unexpected = "error: unexpected argument '--nope' found";
    check(
        m,
        &["frobnicate"],
        2,
        Says("unrecognized subcommand 'frobnicate'"),
    );
    check(m, &["run", "--nope", "{}"], 2, Says(unexpected));
    check(m, &["wast", "--nope", "{}"], 2, Says(unexpected));
    check(
        m,
        &["compile", "{}", "-o", "{out}", "--nope"],
        2,
        Says(unexpected),
    );
    check(m, &["compile", "{}"], 2, Says("--output <OUT.kwasm>"));
    check(m, &["run"], 2, Says("<FILE>"));
    check(m, &["wast"], 2, Says("<FILE|DIR>"));
    // After FILE, an unknown `--flag` is an error, not the program's
    // first argument; after `--` it is the program's (see `guest_args`).
    check(m, &["run", "{}", "--nope"], 2, Says(unexpected));
    check(m, &["run", "{}", "--nope"], 2, Says("put it after '--'"));
    // Values clap checks.
    check(
        m,
        &["run", "-O", "opt-level=3", "{}"],
        2,
        Says("unknown opt-level `3` (known: 0, 1, 2, s)"),
    );
    check(
        m,
        &["run", "-O", "opt-level", "{}"],
        2,
        Says("`-O opt-level` needs a value"),
    );
    check(
        m,
        &["run", "-O", "fast", "{}"],
        2,
        Says("unknown -O option `fast`"),
    );
    check(
        m,
        &["run", "-O", "bounds-checks=none", "{}"],
        2,
        Says("unknown bounds-checks `none`"),
    );
    check(
        m,
        &["run", "-W", "simd=maybe", "{}"],
        2,
        Says("`simd=maybe`: `maybe` is not y or n"),
    );
    check(
        m,
        &["run", "-W", "simd,threads", "{}"],
        2,
        Says("unknown wasm feature `threads`"),
    );
    check(
        m,
        &["run", "--wasm", "1.0", "{}"],
        2,
        Says("unknown wasm level `1.0`"),
    );
    check(
        m,
        &["run", "--fuel", "0", "{}"],
        2,
        Says("fuel is a positive integer"),
    );
    check(
        m,
        &["run", "--fuel=-5", "{}"],
        2,
        Says("fuel is a positive integer"),
    );
    check(
        m,
        &["run", "--env", "=x", "{}"],
        2,
        Says("needs a variable name"),
    );
    check(
        m,
        &["run", "--dir", "::x", "{}"],
        2,
        Says("needs a directory"),
    );
    // Not UTF-8 where text is needed: an error, never a panic.
    check(
        m,
        &["run", "--dir", "/tmp/{ff}", "{}"],
        2,
        Says("must be UTF-8: give one with HOST::GUEST"),
    );
    check(
        m,
        &["run", "{}", "--invoke", "{ff}"],
        2,
        Says("invalid UTF-8"),
    );
    check(
        m,
        &["run", "-O", "opt-level={ff}", "{}"],
        2,
        Says("invalid UTF-8"),
    );
    check(m, &["{ff}"], 2, Says("unrecognized subcommand"));
}

#[test]
fn invoke() {
    let m = MODULE;
    check(
        m,
        &["run", "{}", "--invoke", "add", "-1", "0x10"],
        0,
        Stdout("15\n"),
    );
    check(
        m,
        &["run", "--invoke", "add", "{}", "-0x10", "1"],
        0,
        Stdout("-15\n"),
    );
    check(
        m,
        &["run", "{}", "--invoke", "swap", "1.5", "-inf"],
        0,
        Stdout("-inf\n1.5\n-1\n"),
    );
    check(
        m,
        &["run", "{}", "--invoke", "neg", "4294967295"],
        0,
        Stdout("1\n"),
    );
    check(
        m,
        &["run", "{}", "--invoke", "v128"],
        0,
        Stdout("0x00000004000000030000000200000001\n"),
    );
    // Arguments after `--` are the program's, not parameters.
    check(
        m,
        &["run", "{}", "--invoke", "add", "1", "2", "--", "x"],
        0,
        Stdout("3\n"),
    );
    check(
        m,
        &["run", "{}", "--invoke", "add", "--", "1", "2"],
        1,
        Says("takes 2 arguments"),
    );
    check(
        m,
        &["run", "{}", "--invoke", "neg", "4294967296"],
        1,
        Says("out of range for i32"),
    );
    check(
        m,
        &["run", "{}", "--invoke", "add", "1", "1.5"],
        1,
        Says("bad argument `1.5` for a parameter of type i64"),
    );
    // A parameter that is not UTF-8 cannot be a number.
    check(
        m,
        &["run", "{}", "--invoke", "neg", "{ff}"],
        1,
        Says("bad argument `\u{fffd}` for a parameter of type i32: not UTF-8"),
    );
}

#[test]
fn guest_args() {
    let a = ARGS;
    check(a, &["run", "{}"], 0, Stdout(""));
    check(
        a,
        &["run", "{}", "x", "--y", "--", "-z"],
        0,
        Stdout("x\0--y\0-z\0"),
    );
    // The first `--` ends ARGS; later ones are arguments.
    check(
        a,
        &["run", "{}", "--", "a", "--", "b"],
        0,
        Stdout("a\0--\0b\0"),
    );
    check(
        a,
        &["run", "{}", "a", "--", "--", "b"],
        0,
        Stdout("a\0--\0b\0"),
    );
    check(a, &["run", "{}", "--", "--nope"], 0, Stdout("--nope\0"));
    // A short flag kiln does not know begins the program's arguments.
    check(
        a,
        &["run", "{}", "-l", "--invoke"],
        0,
        Stdout("-l\0--invoke\0"),
    );
    // Options may follow FILE, until the first argument.
    check(a, &["run", "{}", "--fuel", "100000", "x"], 0, Stdout("x\0"));
    // Bytes that are not UTF-8 reach the program as they are.
    check(
        a,
        &["run", "{}", "a{ff}b", "{ff}"],
        0,
        Stdout("a{ff}b\0{ff}\0"),
    );
}

#[test]
fn env() {
    let e = ENV;
    check(e, &["run", "{}"], 0, Stdout(""));
    check(
        e,
        &["run", "--env", "A=1", "{}", "--env", "B=x=y"],
        0,
        Stdout("A=1\0B=x=y\0"),
    );
    check(e, &["run", "--env", "EMPTY=", "{}"], 0, Stdout("EMPTY=\0"));
    // Without a value, the host's; a variable the host does not have stays
    // unset, as in wasmtime.
    check(
        e,
        &["run", "--env", "KILN_FROM_HOST", "{}"],
        0,
        Stdout("KILN_FROM_HOST=host value\0"),
    );
    check(
        e,
        &["run", "--env", "KILN_UNSET", "--env", "A=1", "{}"],
        0,
        Stdout("A=1\0"),
    );
    check(e, &["run", "--env", "A={ff}", "{}"], 0, Stdout("A={ff}\0"));
}

#[test]
fn fuel() {
    let m = MODULE;
    check(
        m,
        &["run", "--fuel", "100000", "{}", "--invoke", "count", "1000"],
        0,
        Stdout("0\n"),
    );
    check(
        m,
        &["run", "--fuel", "1000", "{}", "--invoke", "count", "1000"],
        1,
        Says("all fuel consumed"),
    );
}

#[test]
fn optimize_and_features() {
    let m = MODULE;
    for o in [
        "opt-level=0",
        "opt-level=1",
        "opt-level=2",
        "opt-level=s",
        "bounds-checks=explicit",
        "opt-level=0,bounds-checks=guard-pages",
        "bounds-checks=explicit,spectre=n",
        "spectre=y",
        "pooling-allocator=y",
        "pooling-allocator,bounds-checks=explicit",
        "pooling-allocator=n",
    ] {
        check(
            m,
            &["run", "-O", o, "{}", "--invoke", "add", "40", "2"],
            0,
            Stdout("42\n"),
        );
        check(
            m,
            &["run", "-O", o, "{}", "--invoke", "load", "65533"],
            1,
            Says("out of bounds memory access"),
        );
    }
    check(
        m,
        &["run", "-W", "simd=n", "{}"],
        1,
        Says("SIMD support is not enabled"),
    );
    check(
        m,
        &["run", "-W", "tail-call=n,simd=no", "-W", "simd", "{}"],
        0,
        Stdout(""),
    );
    check(
        m,
        &["run", "--wasm", "2.0", "-W", "simd=false", "{}"],
        1,
        Says("SIMD support is not enabled"),
    );
}

/// `-W function-references`: on by default; off, a module that uses them
/// is refused by validation.
#[test]
fn function_references_switch() {
    let m = r#"(module
        (type $ii (func (param i32) (result i32)))
        (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
        (elem declare func $inc)
        (func (export "apply") (param i32) (result i32)
          (call_ref $ii (local.get 0) (ref.func $inc))))"#;
    check(
        m,
        &["run", "{}", "--invoke", "apply", "41"],
        0,
        Stdout("42\n"),
    );
    check(
        m,
        &[
            "run",
            "-W",
            "function-references=n",
            "{}",
            "--invoke",
            "apply",
            "41",
        ],
        1,
        Says("function references support is not enabled"),
    );
    check(
        m,
        &["run", "--wasm", "2.0", "{}", "--invoke", "apply", "41"],
        1,
        Says("function references support is not enabled"),
    );
}

/// `-W exceptions`: on by default (a caught exception's payload comes
/// back; an uncaught one is an error); off, a module that uses them is
/// refused by validation.
#[test]
fn exceptions_switch() {
    let m = r#"(module
        (tag $e (param i32))
        (func $throw (param i32) (throw $e (local.get 0)))
        (func (export "catch") (param i32) (result i32)
          (block $h (result i32)
            (try_table (catch $e $h) (call $throw (local.get 0)))
            (i32.const -1)))
        (func (export "escape") (param i32) (call $throw (local.get 0))))"#;
    check(
        m,
        &["run", "{}", "--invoke", "catch", "41"],
        0,
        Stdout("41\n"),
    );
    check(
        m,
        &["run", "{}", "--invoke", "escape", "41"],
        1,
        Says("uncaught wasm exception"),
    );
    check(
        m,
        &["run", "-W", "exceptions=n", "{}", "--invoke", "catch", "41"],
        1,
        Says("exceptions proposal not enabled"),
    );
}

/// `-W nan-canonicalization`: a NaN with a payload in, the canonical NaN
/// out (0x7fc00000); without it x86-64 keeps the payload.
#[test]
fn nan_canonicalization() {
    let m = r#"(module (func (export "nan") (result i32)
        (i32.reinterpret_f32
          (f32.add (f32.reinterpret_i32 (i32.const 0x7fc00123)) (f32.const 1)))))"#;
    let run = ["run", "{}", "--invoke", "nan"];
    let with = |w: &'static str| [&["run", "-W", w], &run[1..]].concat();
    check(m, &with("nan-canonicalization"), 0, Stdout("2143289344\n"));
    check(
        m,
        &with("nan-canonicalization=y"),
        0,
        Stdout("2143289344\n"),
    );
    if cfg!(target_arch = "x86_64") {
        check(m, &run, 0, Stdout("2143289635\n"));
        check(
            m,
            &with("nan-canonicalization=n"),
            0,
            Stdout("2143289635\n"),
        );
    }
    check(
        m,
        &with("nan-canonicalization=maybe"),
        2,
        Says("is not y or n"),
    );
}

/// `--timeout` stops a loop that never calls anything, after about the
/// time given; `--max-memory-size` bounds every memory, at instantiation
/// and when it grows.
#[test]
fn timeout_and_memory_limit() {
    let spin = r#"(module (func (export "spin") (loop (br 0))))"#;
    let started = std::time::Instant::now();
    check(
        spin,
        &["run", "--timeout", "1s", "{}", "--invoke", "spin"],
        1,
        Says("interrupt"),
    );
    let took = started.elapsed();
    assert!(took >= std::time::Duration::from_secs(1), "{took:?}");
    assert!(took < std::time::Duration::from_secs(60), "{took:?}");
    check(
        spin,
        &["run", "--timeout", "1", "{}"],
        2,
        Says("needs a unit"),
    );
    check(
        spin,
        &["run", "--timeout", "2x", "{}"],
        2,
        Says("unknown unit"),
    );

    let grow = r#"(module (memory 1)
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;
    let run = |limit: &'static str| {
        [
            "run",
            "--max-memory-size",
            limit,
            "{}",
            "--invoke",
            "grow",
            "1",
        ]
    };
    check(grow, &run("131072"), 0, Stdout("1\n"));
    check(grow, &run("65536"), 0, Stdout("-1\n"));
    check(grow, &run("1000"), 1, Says("exceeds memory limits"));
}

/// `kiln compile` takes the engine options, and an artifact runs only
/// under those it records.
#[test]
fn compile_options() {
    let dir = std::env::temp_dir().join(format!("kiln-flags-aot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wat = dir.join("m.wat");
    std::fs::write(&wat, MODULE).unwrap();
    let kiln = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &stderr,
        )
    };
    let compiled = |name: &str, options: &[&str]| {
        let out = dir.join(name);
        let (wat, path) = (wat.to_str().unwrap(), out.to_str().unwrap());
        let (status, said) = kiln(&[&["compile"], options, &[wat, "-o", path]].concat());
        assert_eq!(status, Some(0), "{said}");
        (
            std::fs::read(&out).unwrap(),
            out.to_str().unwrap().to_string(),
        )
    };
    let (default, default_path) = compiled("default.kwasm", &[]);
    let (unoptimised, unoptimised_path) = compiled("o0.kwasm", &["-O", "opt-level=0"]);
    assert_ne!(default, unoptimised, "-O opt-level=0 changed nothing");
    let (_, explicit) = compiled("explicit.kwasm", &["-O", "bounds-checks=explicit"]);
    let (_, no_memory64) = compiled("nomemory64.kwasm", &["-W", "memory64=n"]);
    let run = |options: &[&str], artifact: &str| {
        kiln(
            &[
                &["run", "--allow-precompiled"],
                options,
                &[artifact, "--invoke", "add", "40", "2"],
            ]
            .concat(),
        )
    };
    for (options, artifact, status, says) in [
        (&[][..], &default_path, 0, "42"),
        (&[][..], &unoptimised_path, 0, "42"),
        (&["-O", "opt-level=0"][..], &default_path, 0, "42"),
        (
            &[][..],
            &explicit,
            1,
            "incompatible artifact: bounds checks differs",
        ),
        (&["-O", "bounds-checks=explicit"][..], &explicit, 0, "42"),
        (
            &["-W", "memory64=n"][..],
            &default_path,
            1,
            "wasm features differ",
        ),
        (
            &[][..],
            &no_memory64,
            1,
            "wasm features differ (only the artifact has: none; only the engine has: memory64)",
        ),
        (&["-W", "memory64=n"][..], &no_memory64, 0, "42"),
        (
            &["--fuel", "1000"][..],
            &default_path,
            1,
            "fuel metering differs",
        ),
    ] {
        let (got, said) = run(options, artifact);
        assert_eq!(got, Some(status), "{options:?} {artifact}: {said}");
        assert!(
            said.contains(says),
            "{options:?} {artifact}: expected {says:?} in {said}"
        );
    }
}

#[test]
fn wast_fail_fast() {
    let (f, p) = (FAILING, PASSING);
    check(
        f,
        &["wast", "{}", "{}"],
        1,
        Says("2 scripts, 2 failed; 2/4 directives passed"),
    );
    check(
        f,
        &["wast", "--fail-fast", "{}", "{}"],
        1,
        Says("1 scripts, 1 failed; 1/2 directives passed"),
    );
    check(
        f,
        &["wast", "{}", "--fail-fast", "{}"],
        1,
        Says("stopped at the first failing script (--fail-fast): 1 scripts not run"),
    );
    check(
        p,
        &["wast", "--fail-fast", "{}", "{}"],
        0,
        Says("2 scripts, 0 failed; 4/4 directives passed"),
    );
}
