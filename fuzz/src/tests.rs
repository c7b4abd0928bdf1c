//! Every target body on a deterministic stream of inputs (a few thousand
//! in total), plus the checked-in regression inputs under
//! `fuzz/regressions/<target>/`.

use crate::{TARGETS, fuzz, stream};
use std::path::Path;
use std::time::Instant;

fn body(name: &str) -> crate::Body {
    TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| *b)
        .unwrap_or_else(|| panic!("no target {name}"))
}

/// Run target `name` on `count` stream inputs and on its regressions.
fn run_stream(name: &str, count: u64) {
    let body = body(name);
    let start = Instant::now();
    let seed = name
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let mut complete = 0;
    for i in 0..count {
        let input = stream::input(seed, i);
        complete += u64::from(body(&input).is_ok());
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("regressions")
        .join(name);
    let mut regressions = 0;
    if let Ok(paths) = crate::inputs(&dir) {
        // `.wat` files are whole modules, for `differential_modules`.
        let inputs = paths
            .iter()
            .filter(|p| p.extension().is_none_or(|e| e != "wat"));
        for path in inputs {
            let data = std::fs::read(path).expect("read regression input");
            fuzz(body, &data);
            regressions += 1;
        }
    }
    println!(
        "{name}: {count} stream inputs ({complete} complete test cases) and {regressions} \
         regressions in {:.1?}",
        start.elapsed()
    );
    // Most inputs must make a whole test case, or the stream tests little.
    assert!(
        complete * 2 >= count,
        "{name}: only {complete} of {count} inputs made a complete test case"
    );
}

#[test]
fn instantiate() {
    run_stream("instantiate", 400);
}

#[test]
fn compile() {
    run_stream("compile", 1500);
}

#[test]
fn differential() {
    run_stream("differential", 200);
}

/// Modules that once made the oracle report a mismatch, under every engine
/// variant, with the call seed their first line gives (`;; call seed N`).
#[test]
fn differential_modules() {
    use kiln_differential::oracle::sides::engine::EngineVariant;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions/differential");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/regressions/differential") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_none_or(|e| e != "wat") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read regression module");
        let seed: u64 = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix(";; call seed "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("{path:?}: first line must be `;; call seed N`"));
        let wasm = wat::parse_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        for variant in EngineVariant::ALL {
            crate::targets::differential::check(&wasm, variant, seed);
        }
        checked += 1;
    }
    assert!(checked > 0, "no regression modules in {dir:?}");
}

#[test]
fn api_calls() {
    run_stream("api_calls", 600);
}

#[test]
fn table_ops() {
    run_stream("table_ops", 600);
}

#[test]
fn wasi_calls() {
    run_stream("wasi_calls", 300);
}

#[test]
fn wast() {
    // Without a suite the target would pass on nothing: say why instead.
    if crate::targets::wast::scripts().is_empty() {
        let why: Vec<String> = kiln_spec_tests::suites::SUITES
            .iter()
            .filter_map(|suite| kiln_spec_tests::suites::locate(suite).err())
            .map(|error| error.replace('\n', " "))
            .collect();
        panic!(
            "the wast target has no spec script to run: {}",
            why.join(" | ")
        );
    }
    run_stream("wast", 8);
}

/// The glue files and the README table name exactly the targets.
#[test]
fn targets_are_listed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("fuzz/README.md");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    for (name, _) in TARGETS {
        let glue = root.join("fuzz_targets").join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&glue).unwrap_or_else(|_| panic!("{glue:?}"));
        assert!(text.contains(&format!("targets::{name}::run")), "{glue:?}");
        assert!(
            readme.contains(&format!("| `{name}` |")),
            "README table lacks {name}"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "Cargo.toml lacks {name}"
        );
    }
}
