//! Tests of the suite locator, and of the pins it shares with the
//! repository's submodules and README.

use super::*;
use std::collections::BTreeMap;
use std::process::Command;

/// A scratch directory unique to one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let path =
            std::env::temp_dir().join(format!("kiln-spec-tests-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create scratch dir");
        Scratch(path)
    }

    fn touch(&self, relative: &str) {
        let path = self.0.join(relative);
        fs::create_dir_all(path.parent().expect("has parent")).expect("create dirs");
        fs::write(path, "").expect("write file");
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn workspace() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir.parent().unwrap_or(crate_dir).to_path_buf()
}

#[test]
fn lists_wast_files_recursively_and_sorted() {
    let dir = Scratch::new("list");
    for file in [
        "b.wast",
        "a.wast",
        "proposals/x/c.wast",
        "README.md",
        ".git/d.wast",
    ] {
        dir.touch(file);
    }
    let files = wast_files(&dir.0).expect("lists");
    assert_eq!(files, ["a.wast", "b.wast", "proposals/x/c.wast"]);
}

/// A checkout holding `files` lists as `expected` for `suite`.
fn check_scripts(suite: &SuiteSpec, files: &[&str], expected: &[&str]) {
    let dir = Scratch::new(&format!("scripts-{}", suite.id));
    for file in files {
        dir.touch(file);
    }
    let listed = suite.scripts(&dir.0).expect("lists");
    assert_eq!(
        listed, expected,
        "{} suite in a checkout of {files:?}",
        suite.id
    );
}

#[test]
fn each_suite_lists_its_scope() {
    let checkout = ["i32.wast", "proposals/gc/array.wast", ".git", "README.md"];
    check_scripts(&WASM_2_0, &checkout, &["i32.wast"]);
    check_scripts(
        &CURRENT,
        &checkout,
        &["i32.wast", "proposals/gc/array.wast"],
    );
}

/// What the suite's environment variable holds.
#[derive(Clone, Copy, Debug)]
enum Env {
    Unset,
    Empty,
    /// An existing directory elsewhere.
    Dir,
    /// A path that does not exist.
    NotADir,
}

/// The state of the suite's submodule directory.
#[derive(Clone, Copy, Debug)]
enum Submodule {
    Absent,
    /// What `git clone` without `--recursive` leaves: an empty directory.
    Uninitialised,
    /// A checkout: `.git` file, root scripts, proposal scripts.
    CheckedOut,
    /// A checkout without a single `.wast` file.
    NoScripts,
    /// A checkout whose only scripts are under `proposals/`.
    ProposalsOnly,
}

/// Where the locator found the suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Found {
    FromEnv,
    FromSubmodule,
    FromShared,
    /// An error saying how to get the suite.
    Nowhere,
    /// An error saying the variable is wrong (no fallthrough).
    BadEnv,
}

/// Lay out a workspace with `env`, `submodule` and (if `shared`) the
/// shared checkout for `suite`, and check where the locator finds it.
fn check_locate(suite: &SuiteSpec, env: Env, submodule: Submodule, shared: bool, expected: Found) {
    let case = format!(
        "{} suite, {env:?}, {submodule:?}, shared: {shared}",
        suite.id
    );
    let dir = Scratch::new(&format!(
        "locate-{}-{env:?}-{submodule:?}-{shared}",
        suite.id
    ));
    let workspace = dir.0.join("ws");
    let crate_dir = workspace.join("spec-tests");
    fs::create_dir_all(&crate_dir).expect("create crate dir");

    let module_dir = format!("ws/spec-tests/{}", suite.submodule);
    let module_files: &[&str] = match submodule {
        Submodule::Absent => &[],
        Submodule::Uninitialised => {
            fs::create_dir_all(dir.0.join(&module_dir)).expect("empty submodule");
            &[]
        }
        Submodule::CheckedOut => &[".git", "i32.wast", "proposals/gc/array.wast"],
        Submodule::NoScripts => &[".git", "README.md"],
        Submodule::ProposalsOnly => &[".git", "proposals/gc/array.wast"],
    };
    for file in module_files {
        dir.touch(&format!("{module_dir}/{file}"));
    }
    let shared_dir = workspace.join(suite.shared);
    if shared {
        fs::create_dir_all(&shared_dir).expect("create shared checkout");
        fs::write(shared_dir.join("i32.wast"), "").expect("write file");
    }
    let elsewhere = dir.0.join("elsewhere");
    fs::create_dir_all(&elsewhere).expect("create env dir");
    let env_value = match env {
        Env::Unset => None,
        Env::Empty => Some(OsString::new()),
        Env::Dir => Some(elsewhere.clone().into_os_string()),
        Env::NotADir => Some(dir.0.join("nope").into_os_string()),
    };

    let found = match locate_in(suite, env_value, &crate_dir, &workspace) {
        Ok(path) if path == elsewhere => Found::FromEnv,
        Ok(path) if path == crate_dir.join(suite.submodule) => Found::FromSubmodule,
        Ok(path) if shared && path == fs::canonicalize(&shared_dir).expect("exists") => {
            Found::FromShared
        }
        Ok(path) => panic!("{case}: found at unexpected {}", path.display()),
        Err(message) => {
            // Every failure says how to get the suite.
            for needle in [
                &format!("git submodule update --init spec-tests/{}", suite.submodule),
                UPSTREAM,
                suite.commit,
                suite.env_var,
            ] {
                assert!(
                    message.contains(needle),
                    "{case}: {needle:?} not in {message}"
                );
            }
            if message.contains("which is not a directory") {
                Found::BadEnv
            } else {
                Found::Nowhere
            }
        }
    };
    assert_eq!(found, expected, "{case}");
}

#[test]
fn location_order() {
    use Env::*;
    use Found::*;
    use Submodule::*;
    // The same order for every suite: variable, submodule, `../shared`.
    let order = [
        (Unset, Absent, false, Nowhere),
        (Unset, Uninitialised, false, Nowhere),
        (Unset, Absent, true, FromShared),
        (Unset, Uninitialised, true, FromShared),
        (Unset, NoScripts, true, FromShared),
        (Unset, CheckedOut, false, FromSubmodule),
        (Unset, CheckedOut, true, FromSubmodule),
        (Empty, CheckedOut, true, FromSubmodule),
        (Empty, Uninitialised, true, FromShared),
        (Dir, Absent, false, FromEnv),
        (Dir, CheckedOut, true, FromEnv),
        (NotADir, Absent, false, BadEnv),
        (NotADir, CheckedOut, true, BadEnv),
    ];
    for suite in &SUITES {
        for (env, submodule, shared, expected) in order {
            check_locate(suite, env, submodule, shared, expected);
        }
    }
    // A checkout counts only if it holds the suite's own scripts.
    check_locate(&WASM_2_0, Unset, ProposalsOnly, true, FromShared);
    check_locate(&CURRENT, Unset, ProposalsOnly, true, FromSubmodule);
}

/// Run git in `workspace`, which is a git checkout, so git must work.
fn git(workspace: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(workspace)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{} is a git checkout but `git` cannot run ({e}): install git so the \
                 submodule gitlinks can be compared with suites.rs",
                workspace.display()
            )
        });
    assert!(
        output.status.success(),
        "git {args:?} in {} failed: {}",
        workspace.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("git prints UTF-8 here")
}

/// The submodules in the git index and `.gitmodules` are exactly the
/// suites, at the commits `SUITES` pins: a new pin needs a new gitlink
/// (`git -C spec-tests/<dir> checkout <commit> && git add spec-tests/<dir>`)
/// and the other way round.
#[test]
fn submodule_gitlinks_are_the_pinned_commits() {
    let workspace = workspace();
    if !workspace.join(".git").exists() {
        // Outside a checkout (a source tarball) there is no index to read.
        eprintln!(
            "NOT CHECKED: {} is not a git checkout, so the submodule gitlinks cannot be \
             compared with the commits suites.rs pins",
            workspace.display()
        );
        return;
    }
    let expected: BTreeMap<String, String> = SUITES
        .iter()
        .map(|suite| (suite.submodule_path(), suite.commit.to_string()))
        .collect();

    // `<mode> <object> <stage>\t<path>`; mode 160000 is a gitlink.
    let index = git(&workspace, &["ls-files", "--stage"]);
    let gitlinks: BTreeMap<String, String> = index
        .lines()
        .filter_map(|line| {
            let (meta, path) = line.split_once('\t')?;
            let mut meta = meta.split(' ');
            let (mode, object) = (meta.next()?, meta.next()?);
            (mode == "160000").then(|| (path.to_string(), object.to_string()))
        })
        .collect();
    assert_eq!(gitlinks, expected, "gitlinks in the index vs suites.rs");

    // `submodule.<name>.<key> <value>`, one per line.
    let modules = git(
        &workspace,
        &[
            "config",
            "--file",
            ".gitmodules",
            "--get-regexp",
            "^submodule\\.",
        ],
    );
    let mut sections: BTreeMap<&str, BTreeMap<&str, &str>> = BTreeMap::new();
    for line in modules.lines() {
        let (key, value) = line.split_once(' ').expect("`key value`");
        let key = key.strip_prefix("submodule.").expect("submodule key");
        let (name, field) = key.rsplit_once('.').expect("`<name>.<field>`");
        sections.entry(name).or_default().insert(field, value);
    }
    let declared: BTreeMap<String, String> = sections
        .values()
        .map(|fields| {
            let path = fields.get("path").expect("every submodule has a path");
            let url = fields.get("url").expect("every submodule has a url");
            (path.to_string(), url.to_string())
        })
        .collect();
    let wanted: BTreeMap<String, String> = expected
        .keys()
        .map(|path| (path.clone(), UPSTREAM.to_string()))
        .collect();
    assert_eq!(declared, wanted, ".gitmodules (path -> url) vs suites.rs");
}

/// README.md tells users which commits the suites are at.
#[test]
fn readme_names_the_pinned_commits() {
    let path = workspace().join("README.md");
    let readme = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for suite in &SUITES {
        assert!(
            readme.contains(suite.commit) && readme.contains(&suite.submodule_path()),
            "README.md does not name the {} suite's submodule {} at {}",
            suite.id,
            suite.submodule_path(),
            suite.commit
        );
    }
}

/// The script at `file` of `suite` is written for `level` and `proposal`.
fn check_features(suite: &SuiteSpec, file: &str, level: &str, proposal: Option<&str>) {
    let f = suite.features_of(file);
    assert_eq!(
        (f.level, f.proposal.as_deref()),
        (level, proposal),
        "{} {file}",
        suite.id
    );
}

#[test]
fn scripts_get_their_suites_level_and_folders_proposal() {
    check_features(&WASM_2_0, "i32.wast", "2.0", None);
    check_features(&WASM_2_0, "memory.wast", "2.0", None);
    check_features(&CURRENT, "i32.wast", "3.0", None);
    check_features(&CURRENT, "legacy/throw.wast", "3.0", None);
    check_features(&CURRENT, "custom/custom_annot.wast", "3.0", None);
    check_features(
        &CURRENT,
        "proposals/wide-arithmetic/wide-arithmetic.wast",
        "3.0",
        Some("wide-arithmetic"),
    );
    check_features(
        &CURRENT,
        "proposals/custom-page-sizes/memory_max.wast",
        "3.0",
        Some("custom-page-sizes"),
    );
    // A file named `proposals` at the root is not a proposal's script.
    check_features(&CURRENT, "proposals.wast", "3.0", None);
}
