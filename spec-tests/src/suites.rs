//! Where the official testsuites live, and which scripts they hold.
//!
//! The suites are not copied into the repository. Each is looked up, in
//! order, at:
//!
//! 1. the path in its environment variable (if set, it must be right: a
//!    wrong path is an error, not a reason to look elsewhere);
//! 2. its git submodule under `spec-tests/`, if that holds any `.wast`
//!    files (an uninitialised submodule is an empty directory);
//! 3. the shared checkout next to the workspace, `../shared/<dir>`.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

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
    /// The WebAssembly/testsuite commit the suite is pinned to.
    pub commit: &'static str,
}

/// The Wasm 2.0 suite: the testsuite's root at the last commit before the
/// 3.0 suite replaced it.
pub const WASM_2_0: SuiteSpec = SuiteSpec {
    id: "2.0",
    env_var: "KILN_TESTSUITE_2_0",
    submodule: "testsuite-2.0",
    shared: "../shared/wasm-testsuite-2.0",
    commit: "a8101597d3c3c660086c3cd1eedee608ff18d3c3",
};

/// The current suite (Wasm 3.0 plus proposals, custom and legacy tests).
pub const CURRENT: SuiteSpec = SuiteSpec {
    id: "current",
    env_var: "KILN_TESTSUITE",
    submodule: "testsuite",
    shared: "../shared/wasm-testsuite",
    commit: "193e551ff22663995b1ac95dc62344133669e14b",
};

/// Every suite, in the order trials are listed.
pub const SUITES: [SuiteSpec; 2] = [WASM_2_0, CURRENT];

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
    if has_wast_files(&submodule) {
        return Ok(submodule);
    }
    let shared = workspace.join(suite.shared);
    if shared.is_dir() {
        // Resolve the `..` so reported paths read as plain locations.
        return Ok(fs::canonicalize(&shared).unwrap_or(shared));
    }
    Err(format!(
        "the {} testsuite was not found (looked in ${}, {} and {}).\n{}",
        suite.id,
        suite.env_var,
        submodule.display(),
        shared.display(),
        how_to_get(suite)
    ))
}

fn how_to_get(suite: &SuiteSpec) -> String {
    format!(
        "To get it, either run `git submodule update --init spec-tests/{submodule}`, \
         or clone https://github.com/WebAssembly/testsuite, check out commit {commit} \
         and set {env_var} to the checkout's path.",
        submodule = suite.submodule,
        commit = suite.commit,
        env_var = suite.env_var,
    )
}

fn has_wast_files(dir: &Path) -> bool {
    wast_files(dir).is_ok_and(|files| !files.is_empty())
}

/// Every `.wast` file under `root`, as `/`-separated paths relative to
/// `root`, sorted.
pub fn wast_files(root: &Path) -> io::Result<Vec<String>> {
    let mut files = Vec::new();
    collect(root, "", &mut files)?;
    files.sort();
    Ok(files)
}

fn collect(dir: &Path, prefix: &str, files: &mut Vec<String>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        // Paths become trial names and expectation keys, which are text.
        let Some(name) = name.to_str() else { continue };
        let relative = format!("{prefix}{name}");
        // `metadata` follows symlinks, so a linked suite directory works.
        let metadata = fs::metadata(entry.path())?;
        if metadata.is_dir() {
            if !name.starts_with('.') {
                collect(&entry.path(), &format!("{relative}/"), files)?;
            }
        } else if name.ends_with(".wast") {
            files.push(relative);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn location_order() {
        let dir = Scratch::new("locate");
        let crate_dir = dir.0.join("ws/spec-tests");
        let workspace = dir.0.join("ws");
        fs::create_dir_all(crate_dir.join("testsuite")).expect("empty submodule");
        let locate = |env: Option<&Path>| {
            locate_in(&CURRENT, env.map(OsString::from), &crate_dir, &workspace)
        };

        let missing = locate(None).expect_err("nothing there yet");
        assert!(
            missing.contains("git submodule update --init spec-tests/testsuite"),
            "{missing}"
        );
        assert!(missing.contains(CURRENT.commit), "{missing}");
        assert!(missing.contains("KILN_TESTSUITE"), "{missing}");

        dir.touch("shared/wasm-testsuite/i32.wast");
        let shared = fs::canonicalize(dir.0.join("shared/wasm-testsuite")).expect("exists");
        assert_eq!(locate(None), Ok(shared));

        dir.touch("ws/spec-tests/testsuite/i32.wast");
        assert_eq!(locate(None), Ok(crate_dir.join("testsuite")));

        let elsewhere = dir.0.join("elsewhere");
        fs::create_dir_all(&elsewhere).expect("create");
        assert_eq!(locate(Some(&elsewhere)), Ok(elsewhere));
        let wrong = locate(Some(&dir.0.join("nope"))).expect_err("bad env path");
        assert!(wrong.contains("is not a directory"), "{wrong}");
    }
}
