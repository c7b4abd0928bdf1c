//! Running one WAST script against a [`Backend`], directive by directive.
//!
//! Every directive counts once towards the total. A directive passes only if
//! the runner checked what it asserts; anything it cannot check (threads,
//! exceptions, custom-section assertions, component modules, GC result
//! patterns) is recorded as a failure that says so, never skipped. After a
//! failure the runner carries on, so a report's counts say how much of a
//! file works, not just where it first broke.

use std::collections::HashMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::token::{Id, Span};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, WastInvoke, Wat};

use crate::backend::{Backend, Failure, Value};
use crate::traps::trap_message_matches;
use crate::values::{arg_value, check_results, value_to_string};

/// The outcome of running one script.
#[derive(Clone, Debug, PartialEq)]
pub struct FileReport {
    /// The display path given to [`WastRunner::run`].
    pub path: String,
    /// Directives run, including failed ones; always
    /// `passed + failures.len()`.
    pub total: usize,
    /// Directives whose assertion held.
    pub passed: usize,
    /// One entry per failed directive, in file order.
    pub failures: Vec<DirectiveFailure>,
}

impl FileReport {
    fn new(path: &str) -> FileReport {
        FileReport {
            path: path.to_string(),
            total: 0,
            passed: 0,
            failures: Vec::new(),
        }
    }

    /// A report for a file that could not be run at all (unreadable, or the
    /// runner itself died). It counts as one failed directive so that it can
    /// never look like an empty, passing file.
    pub fn aborted(path: &str, message: impl Into<String>) -> FileReport {
        let mut report = FileReport::new(path);
        report.push_failure(None, "file", message.into());
        report
    }

    /// Whether every directive passed.
    pub fn is_success(&self) -> bool {
        self.failures.is_empty() && self.passed == self.total
    }

    fn push_failure(&mut self, location: Option<Location>, kind: &'static str, message: String) {
        self.total += 1;
        self.failures.push(DirectiveFailure {
            location,
            kind,
            message,
        });
    }

    /// Tally one directive. Line and column are only worked out for
    /// failures: it costs a scan of the text, and passing directives vastly
    /// outnumber failing ones.
    fn record(&mut self, text: &str, span: Span, kind: &'static str, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => {
                self.total += 1;
                self.passed += 1;
            }
            Err(message) => self.push_failure(Some(Location::of(span, text)), kind, message),
        }
    }

    /// Write the first `limit` failures, one per line, each prefixed by
    /// `indent` and the file's path.
    pub fn write_failures(
        &self,
        out: &mut impl fmt::Write,
        indent: &str,
        limit: usize,
    ) -> fmt::Result {
        for failure in self.failures.iter().take(limit) {
            writeln!(out, "{indent}{}:{failure}", self.path)?;
        }
        if self.failures.len() > limit {
            writeln!(out, "{indent}... and {} more", self.failures.len() - limit)?;
        }
        Ok(())
    }
}

/// A 1-based position in a script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    /// In bytes from the start of the line.
    pub column: usize,
}

impl Location {
    fn of(span: Span, text: &str) -> Location {
        let (line, column) = span.linecol_in(text);
        Location {
            line: line + 1,
            column: column + 1,
        }
    }
}

/// Why one directive failed.
#[derive(Clone, Debug, PartialEq)]
pub struct DirectiveFailure {
    /// Where the directive starts; `None` for failures of the file as a whole.
    pub location: Option<Location>,
    /// The directive's keyword (`"assert_return"`, `"module"`, ...), or
    /// `"wast"` when the script does not parse and `"file"` when it could
    /// not be run.
    pub kind: &'static str,
    /// What was expected and what happened instead.
    pub message: String,
}

impl fmt::Display for DirectiveFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(Location { line, column }) = self.location {
            write!(f, "{line}:{column}: ")?;
        } else {
            write!(f, " ")?;
        }
        write!(f, "{}: {}", self.kind, self.message)
    }
}

/// Runs one script against one backend.
///
/// A backend value serves exactly one script, so [`WastRunner::run`]
/// consumes the runner: module names and registrations never leak from one
/// file into the next.
pub struct WastRunner<B: Backend> {
    backend: B,
    /// Modules by `$id`, for `module instance`.
    modules: HashMap<String, B::Module>,
    /// The most recently defined module, for `module instance` without a
    /// module name.
    last_module: Option<B::Module>,
    /// Instances by `$id`, for `invoke $id`, `get $id` and `register`.
    instances: HashMap<String, B::Instance>,
    /// The most recent instance: the target of actions that name none.
    current: Option<B::Instance>,
}

/// Why an action (`invoke`, `get`, or a module in `assert_trap`) produced
/// no values.
enum ActionError {
    /// The runner could not perform it (unknown module, unsupported
    /// argument, text that does not encode). Never satisfies an assertion.
    Runner(String),
    /// The backend reported a failure; assertions inspect it.
    Backend(Failure),
}

impl fmt::Display for ActionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActionError::Runner(message) => f.write_str(message),
            ActionError::Backend(failure) => write!(f, "{failure}"),
        }
    }
}

impl<B: Backend> WastRunner<B> {
    /// A runner for one script; `backend` must be fresh (only `spectest`
    /// registered).
    pub fn new(backend: B) -> WastRunner<B> {
        WastRunner {
            backend,
            modules: HashMap::new(),
            last_module: None,
            instances: HashMap::new(),
            current: None,
        }
    }

    /// Run the script `text`; `path` is only used for display.
    ///
    /// A panic in the backend fails the directive that caused it and the
    /// run continues with the next one.
    pub fn run(mut self, path: &str, text: &str) -> FileReport {
        let mut report = FileReport::new(path);
        let text = &*crate::legacy_try::unfold(text);
        match ParseBuffer::new_with_lexer(configured_lexer(text)) {
            Err(error) => report_parse_error(&mut report, text, &error),
            Ok(buf) => match parser::parse::<Wast<'_>>(&buf) {
                Err(error) => report_parse_error(&mut report, text, &error),
                Ok(wast) => {
                    for directive in wast.directives {
                        let span = directive.span();
                        let kind = directive_kind(&directive);
                        let outcome = catch_unwind(AssertUnwindSafe(|| self.directive(directive)))
                            .unwrap_or_else(|payload| {
                                Err(format!("backend panicked: {}", panic_message(&*payload)))
                            });
                        report.record(text, span, kind, outcome);
                    }
                }
            },
        }
        // Tearing down instances runs backend code too; a panic there must
        // not throw away the counts gathered so far.
        if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(self))) {
            let message = format!(
                "backend panicked while being dropped: {}",
                panic_message(&*payload)
            );
            report.push_failure(None, "file", message);
        }
        report
    }

    fn directive(&mut self, directive: WastDirective<'_>) -> Result<(), String> {
        match directive {
            WastDirective::Module(mut module) => {
                let name = module.name().map(|id| id.name());
                // If this module fails, later actions must not silently run
                // against an earlier module that happens to share its name
                // or to have been current before it.
                self.current = None;
                if let Some(name) = name {
                    self.modules.remove(name);
                    self.instances.remove(name);
                }
                let compiled = self.define(&mut module)?;
                let instance = self.backend.instantiate(&compiled).map_err(unexpected)?;
                if let Some(name) = name {
                    self.instances.insert(name.to_string(), instance.clone());
                }
                self.current = Some(instance);
                Ok(())
            }
            WastDirective::ModuleDefinition(mut module) => self.define(&mut module).map(drop),
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                let compiled = match module {
                    Some(id) => self.modules.get(id.name()),
                    None => self.last_module.as_ref(),
                };
                let compiled = compiled.cloned().ok_or_else(|| match module {
                    Some(id) => format!("no module definition ${}", id.name()),
                    None => "no module has been defined yet".to_string(),
                })?;
                self.current = None;
                let instance_value = self.backend.instantiate(&compiled).map_err(unexpected)?;
                if let Some(id) = instance {
                    self.instances
                        .insert(id.name().to_string(), instance_value.clone());
                }
                self.current = Some(instance_value);
                Ok(())
            }
            WastDirective::Register { name, module, .. } => {
                let instance = self.instance(module)?;
                self.backend.register(name, &instance);
                Ok(())
            }
            WastDirective::Invoke(invoke) => self.invoke(&invoke).map(drop).map_err(|e| match e {
                ActionError::Backend(failure) => unexpected(failure),
                runner => runner.to_string(),
            }),
            WastDirective::AssertReturn { exec, results, .. } => match self.execute(exec) {
                Ok(actual) => check_results(&results, &actual),
                Err(ActionError::Backend(failure)) => Err(mismatch(
                    format_args!("expected {} result(s)", results.len()),
                    &failure,
                )),
                Err(runner) => Err(runner.to_string()),
            },
            WastDirective::AssertTrap { exec, message, .. } => {
                let outcome = self.execute(exec);
                expect_trap(message, outcome)
            }
            WastDirective::AssertExhaustion { call, message, .. } => {
                let outcome = self.invoke(&call);
                expect_trap(message, outcome)
            }
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            }
            | WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => self.expect_rejected(&mut module, message),
            WastDirective::AssertUnlinkable {
                mut module,
                message,
                ..
            } => {
                let bytes = encode_wat(&mut module)?;
                let compiled = self.backend.compile(&bytes).map_err(|failure| {
                    format!("expected link error \"{message}\", got {failure}")
                })?;
                match self.backend.instantiate(&compiled) {
                    Err(Failure::Link(_)) => Ok(()),
                    Err(failure) => Err(mismatch(
                        format_args!("expected link error \"{message}\""),
                        &failure,
                    )),
                    Ok(_) => Err(format!(
                        "expected link error \"{message}\", but instantiation succeeded"
                    )),
                }
            }
            WastDirective::AssertException { exec, .. } => match self.execute(exec) {
                Err(ActionError::Backend(Failure::Exception(_))) => Ok(()),
                Err(ActionError::Backend(failure)) => {
                    Err(mismatch(format_args!("expected an exception"), &failure))
                }
                Err(runner) => Err(runner.to_string()),
                Ok(values) => {
                    let values: Vec<String> = values.iter().map(value_to_string).collect();
                    Err(format!(
                        "expected an exception, got result [{}]",
                        values.join(", ")
                    ))
                }
            },
            directive @ (WastDirective::AssertSuspension { .. }
            | WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. }
            | WastDirective::Thread(_)
            | WastDirective::Wait { .. }) => Err(format!(
                "unsupported directive: the runner cannot check `{}`",
                directive_kind(&directive)
            )),
        }
    }

    /// Encode and compile a module, making it the latest definition (and the
    /// definition named by its `$id`, if any).
    fn define(&mut self, module: &mut QuoteWat<'_>) -> Result<B::Module, String> {
        let name = module.name().map(|id| id.name());
        let bytes = encode(module).map_err(|e| e.to_string())?;
        let compiled = self.backend.compile(&bytes).map_err(unexpected)?;
        if let Some(name) = name {
            self.modules.insert(name.to_string(), compiled.clone());
        }
        self.last_module = Some(compiled.clone());
        Ok(compiled)
    }

    fn instance(&self, id: Option<Id<'_>>) -> Result<B::Instance, String> {
        let instance = match id {
            Some(id) => self.instances.get(id.name()),
            None => self.current.as_ref(),
        };
        instance.cloned().ok_or_else(|| match id {
            Some(id) => format!("no module instance ${}", id.name()),
            None => "no current module instance (none was instantiated, or the last one failed)"
                .to_string(),
        })
    }

    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Vec<Value>, ActionError> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Get { module, global, .. } => {
                let instance = self.instance(module).map_err(ActionError::Runner)?;
                let value = self
                    .backend
                    .get(&instance, global)
                    .map_err(ActionError::Backend)?;
                Ok(vec![value])
            }
            // A module as an action (`assert_trap (module ...)`): it must
            // compile, and its instantiation is what the assertion inspects.
            // The instance is not bound to anything, as in the reference
            // interpreter.
            WastExecute::Wat(mut module) => {
                let bytes = encode_wat(&mut module).map_err(ActionError::Runner)?;
                let compiled = self.backend.compile(&bytes).map_err(ActionError::Backend)?;
                self.backend
                    .instantiate(&compiled)
                    .map_err(ActionError::Backend)?;
                Ok(Vec::new())
            }
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Vec<Value>, ActionError> {
        let instance = self.instance(invoke.module).map_err(ActionError::Runner)?;
        let args = invoke
            .args
            .iter()
            .map(arg_value)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|what| ActionError::Runner(format!("unsupported: {what}")))?;
        self.backend
            .invoke(&instance, invoke.name, &args)
            .map_err(ActionError::Backend)
    }

    /// `assert_invalid` and `assert_malformed`: any compile error passes.
    ///
    /// Decoders and validators do not reliably agree with the reference
    /// interpreter on which of the two a bad module is, so the distinction
    /// is not checked. For the same reason a quoted module that the text
    /// parser already rejects passes both.
    fn expect_rejected(&mut self, module: &mut QuoteWat<'_>, message: &str) -> Result<(), String> {
        let bytes = match encode(module) {
            Ok(bytes) => bytes,
            Err(EncodeError::QuotedText(_)) => return Ok(()),
            Err(error) => return Err(error.to_string()),
        };
        match self.backend.compile(&bytes) {
            Err(Failure::Compile(_)) => Ok(()),
            Err(failure) => Err(format!(
                "expected compile error \"{message}\", got {failure}"
            )),
            Ok(_) => Err(format!(
                "expected compile error \"{message}\", but the module compiled"
            )),
        }
    }
}

/// The lexer for scripts and quoted modules.
///
/// Its "confusing unicode" check guards human readers against bidi tricks;
/// it is not part of the text format, and the spec's own `names.wast`
/// relies on such characters.
fn configured_lexer(text: &str) -> Lexer<'_> {
    let mut lexer = Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    lexer
}

/// `assert_trap` and `assert_exhaustion`: the action must trap with a
/// message of the same kind (see [`trap_message_matches`]). Only a trap
/// will do: running out of the backend's bound is no `"call stack
/// exhausted"`, even though both end a runaway computation.
fn expect_trap(expected: &str, outcome: Result<Vec<Value>, ActionError>) -> Result<(), String> {
    match outcome {
        Err(ActionError::Backend(Failure::Trap(actual)))
            if trap_message_matches(expected, &actual) =>
        {
            Ok(())
        }
        Err(ActionError::Backend(failure)) => Err(mismatch(
            format_args!("expected trap \"{expected}\""),
            &failure,
        )),
        Err(runner) => Err(runner.to_string()),
        Ok(values) => {
            let values: Vec<String> = values.iter().map(value_to_string).collect();
            Err(format!(
                "expected trap \"{expected}\", got result [{}]",
                values.join(", ")
            ))
        }
    }
}

/// A backend failure where the script expects success.
fn unexpected(failure: Failure) -> String {
    match failure {
        Failure::Unfinished(_) => failure.to_string(),
        _ => format!("unexpected {failure}"),
    }
}

/// A backend failure where the script expects `expected`. A run cut short
/// by the bound says just that, so every such directive reads the same
/// ("did not finish within the bound: ..."): what it should have produced
/// is moot when it never finished.
fn mismatch(expected: fmt::Arguments<'_>, failure: &Failure) -> String {
    match failure {
        Failure::Unfinished(_) => failure.to_string(),
        _ => format!("{expected}, got {failure}"),
    }
}

/// Why a module in a script produced no binary.
#[derive(Debug)]
enum EncodeError {
    /// The text of a `module quote` does not parse or encode. For
    /// `assert_malformed` (and `assert_invalid`) that is the expected
    /// outcome; anywhere else it is a failure.
    QuotedText(String),
    /// A module written directly in the script does not encode. The script
    /// parsed, so this is a runner (or `wast` crate) problem, never a pass.
    Wat(String),
    /// Component-model modules are outside what a core backend can run.
    Component,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::QuotedText(message) => {
                write!(f, "quoted module does not parse: {message}")
            }
            EncodeError::Wat(message) => write!(f, "runner error: cannot encode module: {message}"),
            EncodeError::Component => f.write_str("unsupported: component-model module"),
        }
    }
}

fn encode(module: &mut QuoteWat<'_>) -> Result<Vec<u8>, EncodeError> {
    match module {
        QuoteWat::Wat(wat) => encode_wat_inner(wat),
        QuoteWat::QuoteModule(_, pieces) => {
            // The pieces are the string literals after `quote`; the module
            // is their concatenation, each followed by a space as in the
            // reference interpreter.
            let mut source = Vec::new();
            for (_, piece) in pieces.iter() {
                source.extend_from_slice(piece);
                source.push(b' ');
            }
            encode_quoted(&source).map_err(EncodeError::QuotedText)
        }
        QuoteWat::QuoteComponent(..) => Err(EncodeError::Component),
    }
}

fn encode_quoted(source: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(source).map_err(|_| "malformed UTF-8 encoding".to_string())?;
    let buf = ParseBuffer::new_with_lexer(configured_lexer(text)).map_err(|e| e.message())?;
    match parser::parse::<Wat<'_>>(&buf).map_err(|e| e.message())? {
        Wat::Module(mut module) => module.encode().map_err(|e| e.message()),
        Wat::Component(_) => Err("a quoted module holds a component".to_string()),
    }
}

/// Encode a module written directly in the script; any error is a runner
/// error, formatted for a failure report.
fn encode_wat(wat: &mut Wat<'_>) -> Result<Vec<u8>, String> {
    encode_wat_inner(wat).map_err(|e| e.to_string())
}

fn encode_wat_inner(wat: &mut Wat<'_>) -> Result<Vec<u8>, EncodeError> {
    match wat {
        Wat::Module(module) => module.encode().map_err(|e| EncodeError::Wat(e.message())),
        Wat::Component(_) => Err(EncodeError::Component),
    }
}

fn report_parse_error(report: &mut FileReport, text: &str, error: &wast::Error) {
    let location = Location::of(error.span(), text);
    report.push_failure(
        Some(location),
        "wast",
        format!("cannot parse script: {}", error.message()),
    );
}

/// The keyword a directive is written with, for reports.
fn directive_kind(directive: &WastDirective<'_>) -> &'static str {
    match directive {
        WastDirective::Module(_) => "module",
        WastDirective::ModuleDefinition(_) => "module definition",
        WastDirective::ModuleInstance { .. } => "module instance",
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
    }
}

/// The message of a caught panic, when it carries one.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        message.to_string()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "(non-string panic payload)".to_string()
    }
}

#[cfg(test)]
mod tests;
