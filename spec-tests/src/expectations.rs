//! Which scripts a backend is known to fail, and the verdict on each run.
//!
//! An expectations file lists one script per line, with a reason:
//!
//! ```text
//! # Comments and blank lines are allowed.
//! current/proposals/threads/atomic.wast  # shared memory is not implemented
//! ```
//!
//! A listed script that fails is an expected failure and passes. A listed
//! script that passes fails the run, so the list only ever shrinks as the
//! backend improves; so does a listed script that does not exist, so a
//! renamed test cannot hide behind a stale line.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use crate::suites::{OWN_ID, SUITES};

/// A parsed expectations file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expectations {
    source: PathBuf,
    /// `<suite>/<relative path>` to the line's reason and line number.
    entries: BTreeMap<String, (String, usize)>,
}

/// What a script's run means, given whether it was expected to fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict<'a> {
    /// Not listed, and passed.
    Passed,
    /// Listed, and failed; the trial passes.
    ExpectedFailure { reason: &'a str },
    /// Not listed, and failed.
    Failed,
    /// Listed, but passed: the entry must be removed.
    UnexpectedlyPassed,
}

impl<'a> Verdict<'a> {
    /// `reason` is the script's entry, if it has one.
    pub fn new(reason: Option<&'a str>, passed: bool) -> Verdict<'a> {
        match (reason, passed) {
            (None, true) => Verdict::Passed,
            (None, false) => Verdict::Failed,
            (Some(reason), false) => Verdict::ExpectedFailure { reason },
            (Some(_), true) => Verdict::UnexpectedlyPassed,
        }
    }

    /// Whether the trial for the script passes.
    pub fn is_ok(&self) -> bool {
        matches!(self, Verdict::Passed | Verdict::ExpectedFailure { .. })
    }
}

impl Expectations {
    /// An empty list attributed to `source`, for when the real one cannot
    /// be read (the harness reports that separately).
    pub fn empty(source: &Path) -> Expectations {
        Expectations {
            source: source.to_path_buf(),
            entries: BTreeMap::new(),
        }
    }

    /// Read and parse the file at `path`. A missing file is an error:
    /// create an empty one if nothing is expected to fail.
    pub fn load(path: &Path) -> Result<Expectations, String> {
        let text = fs::read_to_string(path)
            .map_err(|e| format!("cannot read expectations file {}: {e}", path.display()))?;
        Expectations::parse(&text, path)
    }

    /// Parse expectations text; `source` names it in messages. All bad
    /// lines are reported at once.
    pub fn parse(text: &str, source: &Path) -> Result<Expectations, String> {
        let mut expectations = Expectations::empty(source);
        let mut errors = String::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let (entry, reason) = match line.split_once('#') {
                Some((entry, reason)) => (entry.trim(), reason.trim()),
                None => (line.trim(), ""),
            };
            if entry.is_empty() {
                continue;
            }
            let problem = if entry.contains(char::is_whitespace) {
                Some("expected one path per line".to_string())
            } else if !is_script_key(entry) {
                let suites: Vec<&str> = SUITES.iter().map(|s| s.id).collect();
                Some(format!(
                    "`{entry}` is not `<suite>/<path>.wast` with suite one of {suites:?}"
                ))
            } else if reason.is_empty() {
                Some(format!(
                    "`{entry}` needs a reason: `{entry}  # why it fails`"
                ))
            } else if let Some((_, first)) = expectations.entries.get(entry) {
                Some(format!("`{entry}` is already listed on line {first}"))
            } else {
                expectations
                    .entries
                    .insert(entry.to_string(), (reason.to_string(), number));
                None
            };
            if let Some(problem) = problem {
                // Writing into a `String` cannot fail.
                let _ = writeln!(errors, "{}:{number}: {problem}", source.display());
            }
        }
        if errors.is_empty() {
            Ok(expectations)
        } else {
            Err(errors.trim_end().to_string())
        }
    }

    /// The file these expectations came from.
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// Why `key` (`<suite>/<relative path>`) is expected to fail, if it is.
    pub fn reason(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(|(reason, _)| reason.as_str())
    }

    /// Entries naming scripts that do not exist. `scripts` maps each suite
    /// id to its scripts, or `None` when the suite is missing (its entries
    /// cannot be checked, and the missing suite is reported elsewhere).
    pub fn stale_entries(&self, scripts: &BTreeMap<&str, Option<BTreeSet<String>>>) -> Vec<String> {
        let mut stale = Vec::new();
        for (key, (_, line)) in &self.entries {
            let Some((suite, path)) = key.split_once('/') else {
                continue;
            };
            if let Some(Some(files)) = scripts.get(suite)
                && !files.contains(path)
            {
                stale.push(format!(
                    "{}:{line}: `{key}` is not a script of the {suite} suite; remove or fix the line",
                    self.source.display()
                ));
            }
        }
        stale
    }
}

fn is_script_key(entry: &str) -> bool {
    match entry.split_once('/') {
        Some((suite, path)) => {
            (SUITES.iter().any(|s| s.id == suite) || suite == OWN_ID)
                && path.ends_with(".wast")
                && !path.starts_with('/')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `expected` is the parsed entries as `key => reason` lines, or the
    /// error text when parsing fails.
    #[track_caller]
    fn check(input: &str, expected: &str) {
        let actual = match Expectations::parse(input, Path::new("x.txt")) {
            Ok(e) => e
                .entries
                .iter()
                .map(|(key, (reason, _))| format!("{key} => {reason}\n"))
                .collect(),
            Err(error) => error,
        };
        assert_eq!(actual.trim_end(), expected.trim_end(), "input:\n{input}");
    }

    #[test]
    fn parsing() {
        check("", "");
        check("# only a comment\n\n   \n", "");
        check("2.0/i32.wast  # why", "2.0/i32.wast => why");
        check(
            "current/proposals/threads/atomic.wast # no threads",
            "current/proposals/threads/atomic.wast => no threads",
        );
        check(
            "  2.0/a.wast\t#  spaced  # twice \n2.0/b.wast #b",
            "2.0/a.wast => spaced  # twice\n2.0/b.wast => b",
        );
        check(
            "2.0/i32.wast",
            "x.txt:1: `2.0/i32.wast` needs a reason: `2.0/i32.wast  # why it fails`",
        );
        check(
            "2.0/i32.wast #",
            "x.txt:1: `2.0/i32.wast` needs a reason: `2.0/i32.wast  # why it fails`",
        );
        check(
            "3.0/i32.wast # r",
            "x.txt:1: `3.0/i32.wast` is not `<suite>/<path>.wast` with suite one of [\"2.0\", \"current\"]",
        );
        check(
            "i32.wast # r",
            "x.txt:1: `i32.wast` is not `<suite>/<path>.wast` with suite one of [\"2.0\", \"current\"]",
        );
        check(
            "2.0/i32.txt # r",
            "x.txt:1: `2.0/i32.txt` is not `<suite>/<path>.wast` with suite one of [\"2.0\", \"current\"]",
        );
        check(
            "2.0/a.wast 2.0/b.wast # r",
            "x.txt:1: expected one path per line",
        );
        check(
            "2.0/a.wast # r\n\n2.0/a.wast # again",
            "x.txt:3: `2.0/a.wast` is already listed on line 1",
        );
        check(
            "bad\n2.0/ok.wast # r\nworse # r",
            "x.txt:1: `bad` is not `<suite>/<path>.wast` with suite one of [\"2.0\", \"current\"]\nx.txt:3: `worse` is not `<suite>/<path>.wast` with suite one of [\"2.0\", \"current\"]",
        );
    }

    #[test]
    fn verdicts() {
        assert_eq!(Verdict::new(None, true), Verdict::Passed);
        assert_eq!(Verdict::new(None, false), Verdict::Failed);
        assert_eq!(
            Verdict::new(Some("r"), false),
            Verdict::ExpectedFailure { reason: "r" }
        );
        assert_eq!(Verdict::new(Some("r"), true), Verdict::UnexpectedlyPassed);
        assert!(Verdict::new(Some("r"), false).is_ok());
        assert!(!Verdict::new(Some("r"), true).is_ok());
        assert!(!Verdict::new(None, false).is_ok());
    }

    /// The checked-in lists parse, and name only scripts that exist in
    /// whichever suites are present.
    #[test]
    fn checked_in_files() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("expectations");
        let scripts: BTreeMap<&str, Option<BTreeSet<String>>> = SUITES
            .iter()
            .map(|suite| {
                let files = crate::suites::locate(suite)
                    .ok()
                    .and_then(|root| suite.scripts(&root).ok())
                    .map(|files| files.into_iter().collect());
                (suite.id, files)
            })
            .collect();
        for entry in fs::read_dir(&dir).expect("expectations directory") {
            let path = entry.expect("directory entry").path();
            let expectations = Expectations::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(expectations.stale_entries(&scripts), Vec::<String>::new());
        }
    }

    #[test]
    fn stale_entries() {
        let e = Expectations::parse(
            "2.0/gone.wast # r\n2.0/here.wast # r\ncurrent/unknown.wast # r",
            Path::new("x.txt"),
        )
        .expect("parses");
        let scripts = BTreeMap::from([
            ("2.0", Some(BTreeSet::from(["here.wast".to_string()]))),
            ("current", None),
        ]);
        assert_eq!(
            e.stale_entries(&scripts),
            ["x.txt:1: `2.0/gone.wast` is not a script of the 2.0 suite; remove or fix the line"]
        );
    }
}
