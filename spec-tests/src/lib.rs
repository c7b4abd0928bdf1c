//! Kiln's WebAssembly spec-test runner.
//!
//! * [`WastRunner`] runs one `.wast` script against any [`Backend`] and
//!   reports each directive as passed or failed ([`FileReport`]).
//! * [`run_spec_tests`] makes one libtest-mimic trial per script of both
//!   official suites (found by [`suites`]), judged against the backend's
//!   checked-in [`expectations`] file.
//! * [`run_wast_paths`] runs arbitrary scripts, for the command line.
//!
//! Wiring a backend is a test target with `harness = false`:
//!
//! ```ignore
//! // spec-tests/tests/spec.rs
//! use std::path::Path;
//! use std::process::ExitCode;
//!
//! fn main() -> ExitCode {
//!     let expectations = Path::new(env!("CARGO_MANIFEST_DIR")).join("expectations/engine.txt");
//!     kiln_spec_tests::run_spec_tests("engine", EngineBackend::for_script, &expectations)
//! }
//! ```

pub mod backend;
#[cfg(feature = "engine")]
pub mod engine_backend;
pub mod expectations;
mod harness;
mod legacy_try;
pub mod runaway;
mod runner;
pub mod suites;
mod traps;
mod values;

pub use backend::{Backend, Failure, Outcome, Value};
pub use harness::{STACK_SIZE, run_spec_tests, run_wast_file, run_wast_paths, spec_trials};
pub use runner::{DirectiveFailure, FileReport, Location, WastRunner};
pub use traps::trap_message_matches;
