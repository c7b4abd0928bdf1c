//! The `kiln` command end to end: exit codes and what it prints.

use std::process::Command;

const PROGRAM: &str = r#"(module
  (memory 1 2)
  (func $deep (export "deep") (param i32) (result i32)
    local.get 0 i32.const 1 i32.add call $deep)
  (func (export "store") (param i32) local.get 0 i32.const 7 i32.store)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "add") (param i64 i64) (result i64) local.get 0 local.get 1 i64.add))"#;

/// Run `kiln` with `args` (`{}` is replaced by a file holding `contents`)
/// and check the exit status and that stdout/stderr contain `out`.
fn check(contents: &[u8], args: &[&str], success: bool, out: &str) {
    let dir = std::env::temp_dir().join(format!("kiln-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Named by arguments and contents: tests run in parallel, and two of
    // them may pass the same arguments with different scripts.
    let digest = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        contents.hash(&mut h);
        h.finish()
    };
    let file = dir.join(format!(
        "m{}-{digest:016x}.wat",
        args.join("_").replace(['/', '{', '}'], "")
    ));
    std::fs::write(&file, contents).unwrap();
    let args: Vec<String> = args
        .iter()
        .map(|a| a.replace("{}", file.to_str().unwrap()))
        .collect();
    let output = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(&args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.success(),
        success,
        "{args:?}: stdout {stdout:?} stderr {stderr:?}"
    );
    assert!(
        output.status.code().is_some(),
        "{args:?} died from a signal: {stderr}"
    );
    assert!(
        stdout.contains(out) || stderr.contains(out),
        "{args:?}: expected {out:?} in stdout {stdout:?} / stderr {stderr:?}"
    );
}

#[test]
fn run() {
    let p = PROGRAM.as_bytes();
    check(p, &["run", "{}", "--invoke", "add", "2", "40"], true, "42");
    check(p, &["run", "{}", "--invoke", "grow", "1"], true, "1");
    check(p, &["run", "{}", "--invoke", "grow", "2"], true, "-1");
    check(
        p,
        &["run", "{}", "--invoke", "store", "65533"],
        false,
        "out of bounds memory access",
    );
    check(
        p,
        &["run", "{}", "--invoke", "deep", "0"],
        false,
        "call stack exhausted",
    );
    check(
        p,
        &["run", "{}", "--invoke", "deep", "0"],
        false,
        "wasm backtrace",
    );
    check(
        p,
        &["run", "{}", "--invoke", "add", "1"],
        false,
        "takes 2 arguments",
    );
    check(
        p,
        &["run", "{}", "--invoke", "add", "x", "1"],
        false,
        "bad argument",
    );
    check(
        p,
        &["run", "{}", "--invoke", "nope"],
        false,
        "no function named `nope`",
    );
}

#[test]
fn bad_files_give_one_line() {
    for contents in [
        &b"\0asm\x01\0\0\0\x01\x05"[..],
        b"\0asm\x02\0\0\0",
        b"garbage",
        b"",
    ] {
        let dir = std::env::temp_dir().join(format!("kiln-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("bad.wasm");
        std::fs::write(&file, contents).unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .args(["run", file.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{contents:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{contents:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{contents:?}: {stderr}");
    }
    check(b"", &["run", "/nonexistent/x.wasm"], false, "cannot read");
}

#[test]
fn compile_then_run_artifact() {
    let dir = std::env::temp_dir().join(format!("kiln-aot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (wat, out) = (dir.join("p.wat"), dir.join("p.kwasm"));
    std::fs::write(&wat, PROGRAM).unwrap();
    let kiln = || Command::new(env!("CARGO_BIN_EXE_kiln"));
    let status = kiln()
        .args([
            "compile",
            wat.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let artifact = std::fs::read(&out).unwrap();
    assert_eq!(&artifact[..4], b"\x7fELF");
    let output = kiln()
        .args(["run", "--allow-precompiled", out.to_str().unwrap()])
        .args(["--invoke", "add", "40", "2"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "42");
    let output = kiln()
        .args(["run", "--allow-precompiled", out.to_str().unwrap()])
        .args(["--invoke", "deep", "0"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("call stack exhausted"));
}

/// `kiln wast` on a loop that never ends: the directive fails with the
/// bound and the command exits 1 within seconds (about 3 s of CPU at the
/// default fuel for this tightest of loops) instead of hanging.
#[test]
fn wast_runaway_loop_fails_fast() {
    let dir = std::env::temp_dir().join(format!("kiln-runaway-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("spin.wast");
    std::fs::write(
        &script,
        "(module (func (export \"spin\") (loop $l (br $l))))\n(assert_return (invoke \"spin\"))\n",
    )
    .unwrap();
    let watchdog = std::time::Duration::from_secs(120);
    let started = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["wast", script.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > watchdog {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("`kiln wast` still runs after {watchdog:?}: the loop is not bounded");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let expected = format!(
        "spin.wast:2:2: assert_return: did not finish within the bound: \
         invoke \"spin\" used all {} fuel",
        kiln_spec_tests::engine_backend::FUEL_BOUND
    );
    assert!(stdout.contains(&expected), "{stdout}");
    eprintln!("kiln wast on a runaway loop: {:.2?}", started.elapsed());
}

/// `--wasm LEVEL` and `-W NAME[=y|n]` choose the features a script runs
/// with; a bad level or name is an error naming what is known.
#[test]
fn wast_feature_options() {
    let simd = br#"(module (func (export "f") (result i32)
  (i32x4.extract_lane 0 (v128.const i32x4 7 0 0 0))))
(assert_return (invoke "f") (i32.const 7))"#;
    check(simd, &["wast", "{}"], true, "2/2 directives");
    check(
        simd,
        &["wast", "--wasm", "2.0", "{}"],
        true,
        "2/2 directives",
    );
    check(
        simd,
        &["wast", "-W", "simd=n", "{}"],
        false,
        "SIMD support is not enabled",
    );
    check(
        simd,
        &["wast", "-W", "simd=n", "-W", "simd", "{}"],
        true,
        "2/2 directives",
    );
    check(
        simd,
        &["wast", "--wasm", "1.0", "{}"],
        false,
        "unknown wasm level `1.0`",
    );
    check(
        simd,
        &["wast", "-W", "simd=maybe", "{}"],
        false,
        "not y or n",
    );
    check(
        simd,
        &["wast", "-W", "threads", "{}"],
        false,
        "unknown wasm feature `threads`",
    );
    let rec = b"(module (rec (type (func)) (type (func))))";
    check(rec, &["wast", "{}"], true, "1/1 directives");
    check(
        rec,
        &["wast", "-W", "gc=n", "{}"],
        false,
        "requires `gc` proposal",
    );
    let tail = br#"(module (func $f (export "f") (param i32) (result i32)
  (if (result i32) (local.get 0) (then (return_call $f (i32.sub (local.get 0) (i32.const 1))))
    (else (i32.const 7)))))
(assert_return (invoke "f" (i32.const 1000000)) (i32.const 7))"#;
    check(tail, &["wast", "{}"], true, "2/2 directives");
    check(
        tail,
        &["wast", "--wasm", "2.0", "{}"],
        false,
        "tail calls support is not enabled",
    );
    let module = br#"(module (func (export "f") (result i32)
  (i32x4.extract_lane 0 (v128.const i32x4 7 0 0 0))))"#;
    check(module, &["run", "--invoke", "f", "{}"], true, "7");
    check(
        module,
        &["run", "-W", "simd=n", "--invoke", "f", "{}"],
        false,
        "SIMD support is not enabled",
    );
}

/// `--fuel N` sets the bound per action: too little fails a directive
/// that the default lets finish; a bad value is an error.
#[test]
fn wast_fuel_option() {
    let count = br#"(module (func (export "count") (param i32) (result i32)
  (loop $l (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br_if $l (local.get 0)))
  (local.get 0)))
(assert_return (invoke "count" (i32.const 1000)) (i32.const 0))"#;
    check(count, &["wast", "{}"], true, "2/2 directives");
    check(
        count,
        &["wast", "--fuel", "100000", "{}"],
        true,
        "2/2 directives",
    );
    check(
        count,
        &["wast", "--fuel", "1000", "{}"],
        false,
        "did not finish within the bound: invoke \"count\" used all 1000 fuel",
    );
    check(
        count,
        &["wast", "--fuel", "0", "{}"],
        false,
        "positive integer",
    );
    check(
        count,
        &["wast", "--fuel", "lots", "{}"],
        false,
        "positive integer",
    );
    check(
        count,
        &["wast", "{}", "--fuel"],
        false,
        "a value is required for '--fuel <N>'",
    );
    check(
        count,
        &["wast", "--fast", "{}"],
        false,
        "unexpected argument '--fast' found",
    );
    let default = kiln_spec_tests::engine_backend::FUEL_BOUND.to_string();
    check(
        b"",
        &["wast", "--help"],
        true,
        &format!("[default: {default}]"),
    );
}

#[test]
fn artifacts_run_only_when_allowed() {
    let artifact = kiln::Engine::default()
        .precompile_module(PROGRAM.as_bytes())
        .unwrap();
    let add = ["--invoke", "add", "40", "2"];
    let allowed = |rest: &[&'static str]| [&["run", "--allow-precompiled", "{}"], rest].concat();
    // Whatever the file is called (`check` names it `.wat`), an artifact is
    // native code: refused unless allowed.
    check(
        &artifact,
        &[&["run", "{}"], &add[..]].concat(),
        false,
        "precompiled Kiln artifact, which runs as native code outside the wasm sandbox: \
         pass `--allow-precompiled`",
    );
    check(&artifact, &allowed(&add), true, "42");
    // The flag does nothing to a wasm module.
    check(PROGRAM.as_bytes(), &allowed(&add), true, "42");
    // A damaged artifact is refused as one (not parsed as wasm text),
    // wherever the damage is: the ELF magic, class, section table offset,
    // the middle, the end.
    for at in [0, 1, 4, 0x28, artifact.len() / 2, artifact.len() - 1] {
        let mut damaged = artifact.clone();
        damaged[at] ^= 0xff;
        check(&damaged, &allowed(&add), false, "damaged artifact");
    }
}

/// `kiln run` of a WASI command whose `_start` calls `proc_exit(status)`
/// exits with `code` and prints `stderr` (all of it).
fn check_exit(status: i64, code: i32, stderr: &str) {
    let dir = std::env::temp_dir().join(format!("kiln-exit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("exit{status}.wat"));
    let wat = format!(
        r#"(module
             (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
             (func (export "_start") (call $exit (i32.const {status}))))"#
    );
    std::fs::write(&file, wat).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["run", file.to_str().unwrap()])
        .output()
        .unwrap();
    let actual = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        (output.status.code(), actual.as_ref()),
        (Some(code), stderr),
        "proc_exit({status})"
    );
}

#[test]
fn proc_exit_statuses() {
    // WASI allows 0..=125; anything else is an error, never truncated to 8
    // bits (256 would read as success).
    let invalid = |s: i64| {
        format!("error: the program exited with invalid status {s} (WASI allows 0 to 125)\n")
    };
    check_exit(0, 0, "");
    check_exit(1, 1, "");
    check_exit(125, 125, "");
    for status in [126, 255, 256, 512, -1, i64::from(i32::MIN)] {
        check_exit(status, 1, &invalid(status));
    }
}
