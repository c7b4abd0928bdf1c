//! The folded form of the legacy exception-handling `try`, which the `wast`
//! crate does not parse, rewritten into the flat form, which it does.
//!
//! The legacy text format (the exception-handling proposal's first
//! version, kept in the current suite's `legacy/` scripts) folds a `try` as
//!
//! ```text
//! (try label? blocktype (do instr*) (catch x instr*)* (catch_all instr*)?)
//! (try label? blocktype (do instr*) (delegate l))
//! ```
//!
//! which abbreviate, by the format's own definition,
//!
//! ```text
//! try label? blocktype instr* (catch x instr*)* (catch_all instr*)? end
//! try label? blocktype instr* delegate l
//! ```
//!
//! `wast` knows `try`, `catch`, `catch_all` and `delegate` as plain
//! instructions only, so [`unfold`] rewrites the first form into the second
//! before the script is parsed. It changes only the parentheses and `do`
//! keywords of folded `try`s (each to spaces, and a `try`'s closing one to
//! `end` unless it delegates), so every line keeps its number: reports
//! still point into the file. Strings are left alone: a quoted module is
//! text the assertion is about, and a malformed one must stay malformed.

/// What an open parenthesis started.
#[derive(Clone, Copy, PartialEq)]
enum Open {
    /// A folded `try`; `delegates` once its `delegate` clause was seen.
    Try { delegates: bool },
    /// A `do`, `catch`, `catch_all` or `delegate` clause of a folded `try`.
    Clause,
    /// Anything else.
    Other,
}

/// `text` with every folded legacy `try` written flat (see the module
/// docs); `text` itself when it has none.
pub fn unfold(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("(try") {
        return text.into();
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 64);
    let mut stack: Vec<Open> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // A string, copied as it is: up to its unescaped end.
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                out.push_str(&text[start..i]);
                continue;
            }
            b';' if bytes.get(i + 1) == Some(&b';') => {
                let end = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                out.push_str(&text[i..end]);
                i = end;
                continue;
            }
            b'(' if bytes.get(i + 1) == Some(&b';') => {
                let end = block_comment_end(bytes, i);
                out.push_str(&text[i..end]);
                i = end;
                continue;
            }
            b'(' => {
                let word = keyword(&text[i + 1..]);
                let in_try = matches!(stack.last(), Some(Open::Try { .. }));
                let open = match word {
                    "try" => Open::Try { delegates: false },
                    "do" | "catch" | "catch_all" | "delegate" if in_try => Open::Clause,
                    _ => Open::Other,
                };
                if word == "delegate"
                    && let Some(Open::Try { delegates }) = stack.last_mut()
                {
                    *delegates = true;
                }
                stack.push(open);
                match open {
                    Open::Other => out.push('('),
                    // `(do` becomes three spaces, the others their keyword.
                    _ if word == "do" => {
                        out.push_str("   ");
                        i += 2;
                    }
                    _ => out.push(' '),
                }
            }
            b')' => match stack.pop() {
                Some(Open::Try { delegates: false }) => out.push_str(" end"),
                Some(Open::Try { delegates: true } | Open::Clause) => out.push(' '),
                Some(Open::Other) | None => out.push(')'),
            },
            _ => {
                // Copy the run of bytes up to the next one that matters
                // (whole UTF-8 sequences: none of those bytes is ASCII).
                let end = text[i..]
                    .find(['"', ';', '(', ')'])
                    .map_or(bytes.len(), |n| i + n.max(1));
                out.push_str(&text[i..end]);
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out.into()
}

/// The keyword right after an open parenthesis: up to white space or a
/// parenthesis.
fn keyword(rest: &str) -> &str {
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The index just past the block comment opening at `start` (they nest).
fn block_comment_end(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'(', b';') => {
                depth += 1;
                i += 2;
            }
            (b';', b')') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::unfold;

    #[track_caller]
    fn check(folded: &str, flat: &str) {
        let got = unfold(folded);
        let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(squash(&got), squash(flat), "{got:?}");
        assert_eq!(got.lines().count(), folded.lines().count(), "{got:?}");
    }

    #[test]
    fn folded_trys_become_flat() {
        check(
            "(try (result i32) (do (i32.const 1)) (catch $e (i32.const 2)))",
            "try (result i32) (i32.const 1) catch $e (i32.const 2) end",
        );
        check(
            "(try $t (do (call $f)) (catch $e) (catch_all (nop)))",
            "try $t (call $f) catch $e catch_all (nop) end",
        );
        check(
            "(try (do (throw $e)) (delegate $t))",
            "try (throw $e) delegate $t",
        );
        // Nested, and as an operand.
        check(
            "(drop (try (result i32) (do (try (result i32) (do (i32.const 1)) (delegate 0)))\n  (catch_all (i32.const 2))))",
            "(drop try (result i32) try (result i32) (i32.const 1) delegate 0 catch_all (i32.const 2) end)",
        );
        // Only a `try`'s own clauses: a `do` elsewhere, `try_table` and
        // flat code are left alone.
        check("(block (do 1))", "(block (do 1))");
        check(
            "(try_table (catch $e 0) (nop))",
            "(try_table (catch $e 0) (nop))",
        );
        check("try (nop) catch_all end", "try (nop) catch_all end");
        // Strings (quoted modules) and comments too.
        check(
            r#"(module quote "(func (try (do) (catch_all)))" "\"(try")"#,
            r#"(module quote "(func (try (do) (catch_all)))" "\"(try")"#,
        );
        check(
            ";; (try (do))\n(; (try (; (do) ;) ;)\n(nop)",
            ";; (try (do))\n(; (try (; (do) ;) ;)\n(nop)",
        );
        check(
            "(try\n  (do\n    (nop))\n  (catch_all))",
            "try (nop) catch_all end",
        );
    }
}
