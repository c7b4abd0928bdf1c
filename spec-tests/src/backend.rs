//! The seam between the WAST runner and the thing it tests.
//!
//! The runner knows the testsuite's directives; a backend knows how to
//! compile, link and run modules. Kiln's engine is one backend
//! (`engine_backend.rs`), the reference interpreter in `differential/` is
//! another. A backend must provide the `spectest` host module itself
//! (already registered under that name when the backend is created).

/// A wasm value as the testsuite writes it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    I32(i32),
    I64(i64),
    /// Raw IEEE bits, so NaN payloads survive.
    F32(u32),
    /// Raw IEEE bits, so NaN payloads survive.
    F64(u64),
    V128(u128),
    /// A function reference; the testsuite can only observe null-ness.
    FuncRef {
        is_null: bool,
    },
    /// `ref.extern N` is `Some(N)`; `ref.null extern` is `None`.
    ExternRef(Option<u32>),
    /// An exception reference; the testsuite can only observe null-ness.
    ExnRef {
        is_null: bool,
    },
}

/// Why an operation failed, as far as the runner needs to know.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// Decoding or validation rejected the module (malformed or invalid).
    Compile(String),
    /// Imports could not be resolved or did not match (unlinkable).
    Link(String),
    /// Execution trapped. The string is the trap's message in the spec's
    /// wording (`"integer divide by zero"`, `"call stack exhausted"`, ...).
    Trap(String),
    /// Execution ended in an exception no wasm handler caught (not a
    /// trap). The string describes it (tag and payload), for reports.
    Exception(String),
    /// Execution did not finish within the backend's bound (fuel, an
    /// instruction budget): the guard that stops a runaway loop, not a trap
    /// of the spec, so it satisfies no assertion (`assert_exhaustion`
    /// included). The string says what ran out of which bound.
    Unfinished(String),
    /// Anything else (a host error, an unsupported feature, a bug).
    Other(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Compile(m) => write!(f, "compile error: {m}"),
            Failure::Link(m) => write!(f, "link error: {m}"),
            Failure::Trap(m) => write!(f, "trap: {m}"),
            Failure::Exception(m) => write!(f, "uncaught exception: {m}"),
            Failure::Unfinished(m) => write!(f, "did not finish within the bound: {m}"),
            Failure::Other(m) => write!(f, "error: {m}"),
        }
    }
}

pub type Outcome<T> = Result<T, Failure>;

/// What the runner drives. One backend value lives for one `.wast` file.
pub trait Backend {
    /// A compiled (validated) module.
    type Module: Clone;
    /// An instantiated module.
    type Instance: Clone;

    /// Decode, validate and compile a binary module.
    fn compile(&mut self, wasm: &[u8]) -> Outcome<Self::Module>;

    /// Instantiate, resolving imports against registered instances (and
    /// `spectest`). Runs the start function.
    fn instantiate(&mut self, module: &Self::Module) -> Outcome<Self::Instance>;

    /// Make `instance`'s exports importable under module name `name`.
    fn register(&mut self, name: &str, instance: &Self::Instance);

    /// Call exported function `func`.
    fn invoke(
        &mut self,
        instance: &Self::Instance,
        func: &str,
        args: &[Value],
    ) -> Outcome<Vec<Value>>;

    /// Read exported global `global`.
    fn get(&mut self, instance: &Self::Instance, global: &str) -> Outcome<Value>;
}
