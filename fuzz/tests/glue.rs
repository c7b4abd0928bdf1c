//! The libFuzzer glue is complete: every target body in `TARGETS` has its
//! `fuzz_targets/<name>.rs`, declared as a `[[bin]]` of that name (which is
//! how `cargo fuzz` finds it), calling that body and no other; and no glue
//! file or `[[bin]]` is left without a body. CI type-checks the glue with
//! clippy instead of `cargo fuzz check`, so this is what keeps the two
//! lists together.

use kiln_fuzz::TARGETS;
use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn every_target_has_its_glue() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bodies: BTreeSet<&str> = TARGETS.iter().map(|(name, _)| *name).collect();

    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut bins = BTreeSet::new();
    for section in manifest.split("[[bin]]").skip(1) {
        let field = |key: &str| {
            section
                .lines()
                .find_map(|l| {
                    l.strip_prefix(key)?
                        .trim()
                        .strip_prefix('=')?
                        .trim()
                        .strip_prefix('"')?
                        .strip_suffix('"')
                })
                .unwrap_or_else(|| panic!("a [[bin]] without `{key}`"))
                .to_string()
        };
        let (name, path) = (field("name"), field("path"));
        assert_eq!(path, format!("fuzz_targets/{name}.rs"), "[[bin]] {name}");
        bins.insert(name);
    }

    let mut files = BTreeSet::new();
    for entry in std::fs::read_dir(root.join("fuzz_targets")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let code: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect();
        let glue = code.join("\n");
        let call = format!("kiln_fuzz::targets::{name}::run");
        assert!(
            glue.contains(&call),
            "{}: does not call {call}",
            path.display()
        );
        assert_eq!(
            glue.matches("kiln_fuzz::targets::").count(),
            1,
            "{}",
            path.display()
        );
        files.insert(name);
    }

    let bins: BTreeSet<&str> = bins.iter().map(String::as_str).collect();
    let files: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    assert_eq!(bins, bodies, "[[bin]]s in fuzz/Cargo.toml against TARGETS");
    assert_eq!(files, bodies, "fuzz/fuzz_targets/ against TARGETS");
}
