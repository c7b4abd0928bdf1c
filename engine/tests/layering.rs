//! The layering of `engine/src`: the `vm/` runtime sits under the embedding
//! API and never reaches up into it (ARCHITECTURE.md, "Architecture
//! invariants"). Checked on the source: every path a `vm/` file names
//! outside `vm/` itself must start in one of the description modules it
//! may use.
//!
//! Test modules are exempt (they drive the VM through the API); by the
//! crate's convention they are the last item of their file, so the scan
//! stops at the first `#[cfg(test)]` / `#[cfg(all(test, ...))]`.

use std::path::{Path, PathBuf};

/// What `vm/` may name outside itself: wasm types, module descriptions,
/// and the tunables. The rest of the crate (the store, `Module`, `Engine`,
/// the handles, values, the linker, WASI, the compiler) is above it.
const ALLOWED: &[&str] = &["vm", "info", "types", "tunables"];

/// The violations in one file's source: each path into the crate that
/// leaves `vm/` for a module outside `ALLOWED`. `is_root` is true for
/// `vm/mod.rs`, where `super::` is the crate root.
fn violations(source: &str, is_root: bool) -> Vec<String> {
    let code = strip(source);
    let tokens = tokenize(&code);
    let mut found = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let next = |k: usize| tokens.get(i + k).map(String::as_str);
        let first_segments = |start: usize| -> Vec<String> {
            // `crate::name` or `crate::{a, b::c, ...}`.
            match tokens.get(start).map(String::as_str) {
                Some("{") => {
                    let mut names = Vec::new();
                    let mut depth = 0;
                    let mut at_start = true;
                    for t in &tokens[start..] {
                        match t.as_str() {
                            "{" => {
                                depth += 1;
                                at_start = depth == 1;
                            }
                            "}" => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            "," if depth == 1 => at_start = true,
                            other if at_start && depth == 1 => {
                                names.push(other.to_string());
                                at_start = false;
                            }
                            _ => {}
                        }
                    }
                    names
                }
                Some(name) => vec![name.to_string()],
                None => vec![],
            }
        };
        match (t.as_str(), next(1)) {
            ("crate", Some("::")) => {
                for name in first_segments(i + 2) {
                    if !ALLOWED.contains(&name.as_str()) {
                        found.push(format!("crate::{name}"));
                    }
                }
            }
            ("super", Some("::")) if is_root => found.push("super:: (the crate root)".into()),
            ("super", Some("::")) if next(2) == Some("super") => found.push("super::super".into()),
            ("kiln", Some("::")) => found.push("kiln::".into()),
            _ => {}
        }
    }
    found
}

/// The source up to its test module, without comments, strings and
/// character literals (which may mention anything).
fn strip(source: &str) -> String {
    let end = source
        .lines()
        .scan(0, |offset, line| {
            let start = *offset;
            *offset += line.len() + 1;
            Some((start, line))
        })
        .find(|(_, line)| {
            let l = line.trim_start();
            l.starts_with("#[cfg(test)]") || l.starts_with("#[cfg(all(test")
        })
        .map_or(source.len(), |(start, _)| start);
    let bytes = &source.as_bytes()[..end];
    let mut out = String::with_capacity(end);
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'/', Some(b'/')) => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            (b'/', Some(b'*')) => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            (b'"', _) => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            // A character literal ('x', '\n'), not a lifetime ('a).
            (b'\'', Some(_)) if bytes.get(i + 2) == Some(&b'\'') => i += 3,
            (b'\'', Some(b'\\')) => {
                i += 2;
                while i < bytes.len() && bytes[i] != b'\'' {
                    i += 1;
                }
                i += 1;
            }
            (c, _) => {
                out.push(c as char);
                i += 1;
            }
        }
    }
    out
}

/// Identifiers, `::`, and single punctuation characters.
fn tokenize(code: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' {
            let mut ident = c.to_string();
            while let Some(&n) = chars.peek().filter(|n| n.is_alphanumeric() || **n == '_') {
                ident.push(n);
                chars.next();
            }
            tokens.push(ident);
        } else if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            tokens.push("::".into());
        } else if !c.is_whitespace() {
            tokens.push(c.to_string());
        }
    }
    tokens
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn vm_never_names_the_api() {
    let vm = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/vm");
    let mut files = Vec::new();
    rust_files(&vm, &mut files);
    files.sort();
    // Every module `vm/mod.rs` declares is a file that gets scanned.
    let root = std::fs::read_to_string(vm.join("mod.rs")).unwrap();
    let declared: Vec<&str> = root
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod ")?.strip_suffix(';'))
        .collect();
    assert!(declared.len() >= 10, "vm/mod.rs declares {declared:?}");
    for m in &declared {
        assert!(
            files.contains(&vm.join(format!("{m}.rs"))),
            "vm::{m} is not a file of vm/"
        );
    }
    let mut bad = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        let is_root = file.file_name().unwrap() == "mod.rs" && file.parent() == Some(&*vm);
        for v in violations(&source, is_root) {
            bad.push(format!(
                "{}: {v}",
                file.strip_prefix(&vm).unwrap().display()
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "vm/ names the layer above it:\n{}",
        bad.join("\n")
    );
}

/// `source` (a `vm/` file that is not `mod.rs`) has exactly `expected`.
fn check(source: &str, expected: &[&str]) {
    assert_eq!(violations(source, false), expected, "{source}");
}

#[test]
fn the_scan_sees_what_it_must() {
    check("use crate::info::ModuleInfo;", &[]);
    check("use super::vmctx::VMFuncRef;", &[]);
    check("use crate::vm::trap_codes;", &[]);
    check("use crate::store::StoreOpaque;", &["crate::store"]);
    check("fn f(s: &crate::Store<()>) {}", &["crate::Store"]);
    check("use crate::{info::ConstExpr, Func};", &["crate::Func"]);
    check(
        "use crate::{types::{MemoryType, TableType}, engine::Engine};",
        &["crate::engine"],
    );
    check("use crate::*;", &["crate::*"]);
    check("use super::super::func;", &["super::super"]);
    check("let x = kiln::Engine::default();", &["kiln::"]);
    check("// crate::store::StoreOpaque in a comment", &[]);
    check("/* crate::func */ fn f() {}", &[]);
    check(r#"const S: &str = "crate::linker";"#, &[]);
    check(
        "fn f<'a>(x: &'a u8) -> char { let _ = crate::info::MAX_PAGES; 'c' }",
        &[],
    );
    check(
        "use crate::info::X;\n#[cfg(test)]\nmod tests { use crate::Store; }",
        &[],
    );
    check(
        "use crate::info::X;\n#[cfg(all(test, unix))]\nmod tests { use crate::Engine; }",
        &[],
    );
    assert_eq!(
        violations("use super::instance::InstanceData;", true),
        ["super:: (the crate root)"]
    );
}
