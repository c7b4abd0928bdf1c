//! Where the official testsuites live, and which scripts they hold.
//!
//! The suites are not copied into the repository. Each is looked up, in
//! order, at:
//!
//! 1. the path in its environment variable (if set, it must be right: a
//!    wrong path is an error, not a reason to look elsewhere);
//! 2. its git submodule under `spec-tests/`, if that holds any of the
//!    suite's `.wast` files (an uninitialised submodule is an empty
//!    directory);
//! 3. the shared checkout next to the workspace, `../shared/<dir>`.
//!
//! Each submodule's gitlink is the suite's pinned [`SuiteSpec::commit`]; a
//! test compares the two, so they cannot drift apart.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The repository both suites are checkouts of.
pub const UPSTREAM: &str = "https://github.com/WebAssembly/testsuite";

/// One testsuite the harness knows how to find.
#[derive(Clone, Copy, Debug)]
pub struct SuiteSpec {
    /// The suite's name in trial names and expectation files.
    pub id: &'static str,
    /// Overrides every other location.
    pub env_var: &'static str,
    /// The git submodule, relative to the `spec-tests` crate.
    pub submodule: &'static str,
    /// The shared checkout, relative to the workspace root.
    pub shared: &'static str,
    /// The [`UPSTREAM`] commit the suite is pinned to.
    pub commit: &'static str,
    /// Which of the checkout's `.wast` files are the suite.
    pub scope: Scope,
    /// The Wasm level its scripts are written for (`"2.0"`, `"3.0"`).
    pub level: &'static str,
}

/// What one script is written for: its suite's Wasm level and, for a
/// script of a proposal's suite (`proposals/<name>/`), that proposal.
/// Backends turn it into their feature set, so a 2.0 script never runs
/// with 3.0 features (which make some 2.0-invalid modules valid), and a
/// proposal's feature is on only for that proposal's scripts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptFeatures {
    pub level: &'static str,
    pub proposal: Option<String>,
}

/// Which `.wast` files of a checkout belong to its suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Only those at the checkout's root: at the 2.0 commit the repository
    /// also holds proposal suites (`proposals/<name>/`), which are not
    /// Wasm 2.0 and which the shared copy leaves out.
    Root,
    /// Every one below the root (hidden directories aside).
    Tree,
}

/// The Wasm 2.0 suite: the testsuite's root at the last commit before the
/// 3.0 suite replaced it.
pub const WASM_2_0: SuiteSpec = SuiteSpec {
    id: "2.0",
    env_var: "KILN_TESTSUITE_2_0",
    submodule: "testsuite-2.0",
    shared: "../shared/wasm-testsuite-2.0",
    commit: "a8101597d3c3c660086c3cd1eedee608ff18d3c3",
    scope: Scope::Root,
    level: "2.0",
};

/// The current suite (Wasm 3.0 plus proposals, custom and legacy tests).
pub const CURRENT: SuiteSpec = SuiteSpec {
    id: "current",
    env_var: "KILN_TESTSUITE",
    submodule: "testsuite",
    shared: "../shared/wasm-testsuite",
    commit: "193e551ff22663995b1ac95dc62344133669e14b",
    scope: Scope::Tree,
    level: "3.0",
};

/// Every suite, in the order trials are listed.
pub const SUITES: [SuiteSpec; 2] = [WASM_2_0, CURRENT];

/// The suite id of Kiln's own scripts, in trial names and expectations.
pub const OWN_ID: &str = "kiln";

/// Kiln's own scripts: cases the official suites do not isolate (a feature
/// whose spec scripts also need one Kiln lacks, say). They live in the
/// repository (`spec-tests/wast/`), laid out like the current suite: Wasm
/// 3.0 at the root, a proposal's scripts under `proposals/<name>/`, so
/// [`CURRENT`]'s [`SuiteSpec::features_of`] says what each is written for.
pub fn own_scripts() -> io::Result<(PathBuf, Vec<String>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("wast");
    let files = wast_files(&root)?;
    Ok((root, files))
}

impl SuiteSpec {
    /// The suite's scripts in a checkout at `root`, as `/`-separated paths
    /// relative to `root`, sorted.
    pub fn scripts(&self, root: &Path) -> io::Result<Vec<String>> {
        list(root, self.scope)
    }

    /// What the script at `file` (relative to the suite's root, as
    /// [`SuiteSpec::scripts`] lists it) is written for.
    pub fn features_of(&self, file: &str) -> ScriptFeatures {
        let parts: Vec<&str> = file.split('/').collect();
        let proposal = match (self.scope, &parts[..]) {
            (Scope::Tree, ["proposals", name, _, ..]) => Some(name.to_string()),
            _ => None,
        };
        ScriptFeatures {
            level: self.level,
            proposal,
        }
    }

    /// The submodule's path relative to the workspace root, as
    /// `.gitmodules` and the git index name it.
    pub fn submodule_path(&self) -> String {
        format!("spec-tests/{}", self.submodule)
    }
}

/// Find `suite` using the real environment and this crate's location.
pub fn locate(suite: &SuiteSpec) -> Result<PathBuf, String> {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = crate_dir.parent().unwrap_or(crate_dir);
    locate_in(suite, std::env::var_os(suite.env_var), crate_dir, workspace)
}

/// [`locate`] with its inputs spelled out, for tests.
pub fn locate_in(
    suite: &SuiteSpec,
    env_value: Option<OsString>,
    crate_dir: &Path,
    workspace: &Path,
) -> Result<PathBuf, String> {
    if let Some(value) = env_value.filter(|v| !v.is_empty()) {
        let path = PathBuf::from(value);
        return if path.is_dir() {
            Ok(path)
        } else {
            Err(format!(
                "{} is set to {}, which is not a directory.\n{}",
                suite.env_var,
                path.display(),
                how_to_get(suite)
            ))
        };
    }
    let submodule = crate_dir.join(suite.submodule);
    if suite
        .scripts(&submodule)
        .is_ok_and(|files| !files.is_empty())
    {
        return Ok(submodule);
    }
    let shared = workspace.join(suite.shared);
    if shared.is_dir() {
        // Resolve the `..` so reported paths read as plain locations.
        return Ok(fs::canonicalize(&shared).unwrap_or(shared));
    }
    let submodule_state = if submodule.is_dir() {
        "holds none of its .wast files (an uninitialised submodule is empty)"
    } else {
        "does not exist"
    };
    Err(format!(
        "the {} testsuite was not found: ${} is unset, {} {submodule_state}, \
         and {} does not exist.\n{}",
        suite.id,
        suite.env_var,
        submodule.display(),
        shared.display(),
        how_to_get(suite)
    ))
}

fn how_to_get(suite: &SuiteSpec) -> String {
    format!(
        "To get it, run `git submodule update --init {path}` in the repository \
         (a `git clone --recursive` does it for you); outside a git checkout, clone \
         {UPSTREAM}, check out commit {commit} and set {env_var} to the checkout's path \
         (README.md, \"Where the testsuites come from\").",
        path = suite.submodule_path(),
        commit = suite.commit,
        env_var = suite.env_var,
    )
}

/// Every `.wast` file under `root`, as `/`-separated paths relative to
/// `root`, sorted.
pub fn wast_files(root: &Path) -> io::Result<Vec<String>> {
    list(root, Scope::Tree)
}

fn list(root: &Path, scope: Scope) -> io::Result<Vec<String>> {
    let mut files = Vec::new();
    collect(root, "", scope == Scope::Tree, &mut files)?;
    files.sort();
    Ok(files)
}

fn collect(dir: &Path, prefix: &str, recurse: bool, files: &mut Vec<String>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        // Paths become trial names and expectation keys, which are text.
        let Some(name) = name.to_str() else { continue };
        let relative = format!("{prefix}{name}");
        // `metadata` follows symlinks, so a linked suite directory works.
        let metadata = fs::metadata(entry.path())?;
        if metadata.is_dir() {
            if recurse && !name.starts_with('.') {
                collect(&entry.path(), &format!("{relative}/"), true, files)?;
            }
        } else if name.ends_with(".wast") {
            files.push(relative);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
