//! The texts are complete: every code the API can send, found by scanning the sources, has its
//! Vietnamese and English texts in [`super::PROBLEMS`] or [`super::FIELD_ISSUES`].
//!
//! Where codes come from (what the scan follows):
//! - `code: "…"` in an `ApiError::Rule`/`Conflict`/`BadRequest`/`Refused` literal → problem code;
//!   `code: "…"` in a `FieldIssue` literal → field-issue code;
//! - string literals in the second argument of `FieldIssue::new(…)` and `ApiError::field(…)`
//!   (`if empty { "empty" } else { "too_long" }` gives both) → field-issue codes;
//! - string literals of a `let` binding `code` (`let code = match e { … => "move_cycle", … };`)
//!   → problem codes, or field-issue codes when the pattern also binds `field`
//!   (`let (field, code) = …`);
//! - string literals of `fn code` in `impl ApiError` (the fixed codes) and in every
//!   `impl …Error` of `services/api/src` and `crates/*/src` (the domain errors whose `e.code()`
//!   the handlers pass on) → problem codes, or field-issue codes for [`FIELD_ERROR_TYPES`].
//!
//! A code given by any other expression (not a literal, not `….code()`, not a forwarded `code`)
//! fails the test: the scan could not tell which codes it sends.
//! `#[cfg(test)]` items are skipped; only snake_case literals count as codes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::{FIELD_ISSUES, PROBLEMS};
use crate::error::{ApiError, FieldIssue, Lang};

/// Domain error types whose codes the API sends as field-issue codes (`errors[].code`); the
/// codes of every other `…Error` type with a `fn code` are problem codes.
const FIELD_ERROR_TYPES: &[&str] = &["FieldError", "AdmissionError", "PreferencesError"];

// ------------------------------------------------------------------------------------- lexer

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Str(String),
    Ident(String),
    Punct(char),
}

fn string_start(chars: &[char], i: usize) -> Option<(usize, Option<usize>)> {
    let mut j = i;
    if matches!(chars.get(j), Some('b' | 'c')) {
        j += 1;
    }
    if chars.get(j) == Some(&'r') {
        let mut k = j + 1;
        while chars.get(k) == Some(&'#') {
            k += 1;
        }
        return (chars.get(k) == Some(&'"')).then_some((k + 1, Some(k - j - 1)));
    }
    (chars.get(j) == Some(&'"')).then_some((j + 1, None))
}

/// Rust tokens, enough for the scan: comments dropped, string literals kept whole (escapes
/// left as written), char literals and lifetimes skipped.
fn lex(src: &str) -> Vec<Tok> {
    lex_lines(src).0
}

/// The tokens and the 1-based line of each.
fn lex_lines(src: &str) -> (Vec<Tok>, Vec<usize>) {
    let chars: Vec<char> = src.chars().collect();
    let line_at: Vec<usize> = chars
        .iter()
        .scan(1, |line, c| {
            let here = *line;
            *line += usize::from(*c == '\n');
            Some(here)
        })
        .collect();
    let mut toks = Vec::new();
    let mut lines = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if let Some((start, raw)) = string_start(&chars, i) {
            let mut j = start;
            let mut text = String::new();
            while let Some(&ch) = chars.get(j) {
                match raw {
                    None if ch == '\\' => {
                        text.push(ch);
                        text.extend(chars.get(j + 1));
                        j += 2;
                        continue;
                    }
                    None if ch == '"' => {
                        j += 1;
                        break;
                    }
                    Some(hashes) if ch == '"' && (1..=hashes).all(|h| chars.get(j + h) == Some(&'#')) => {
                        j += 1 + hashes;
                        break;
                    }
                    _ => text.push(ch),
                }
                j += 1;
            }
            toks.push(Tok::Str(text));
            lines.push(line_at[i]);
            i = j;
        } else if c == '\'' {
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1; // a lifetime: its name lexes as an identifier
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            toks.push(Tok::Ident(chars[start..i].iter().collect()));
            lines.push(line_at[start]);
        } else {
            toks.push(Tok::Punct(c));
            lines.push(line_at[i]);
            i += 1;
        }
    }
    (toks, lines)
}

fn is(t: Option<&Tok>, punct: char) -> bool {
    t == Some(&Tok::Punct(punct))
}

fn ident(t: Option<&Tok>) -> Option<&str> {
    match t {
        Some(Tok::Ident(s)) => Some(s),
        _ => None,
    }
}

fn depth_change(t: &Tok) -> i32 {
    match t {
        Tok::Punct('(' | '[' | '{') => 1,
        Tok::Punct(')' | ']' | '}') => -1,
        _ => 0,
    }
}

/// Index just past the group opened at `open` (a bracket of any kind).
fn group_end(toks: &[Tok], open: usize) -> usize {
    let mut depth = 0;
    for (k, t) in toks.iter().enumerate().skip(open) {
        depth += depth_change(t);
        if depth == 0 {
            return k + 1;
        }
    }
    toks.len()
}

/// Drops every `#[cfg(test)]` item (and the lines of its tokens).
fn strip_tests(toks: Vec<Tok>, lines: Vec<usize>) -> (Vec<Tok>, Vec<usize>) {
    let marker: Vec<Tok> = lex("#[cfg(test)]");
    let mut out = Vec::with_capacity(toks.len());
    let mut out_lines = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        if toks[i..].starts_with(&marker) {
            let mut k = i + marker.len();
            while k < toks.len() && !is(toks.get(k), ';') && !is(toks.get(k), '{') {
                k += 1;
            }
            i = if is(toks.get(k), '{') { group_end(&toks, k) } else { k + 1 };
        } else {
            out.push(toks[i].clone());
            out_lines.push(lines.get(i).copied().unwrap_or_default());
            i += 1;
        }
    }
    (out, out_lines)
}

/// Tokens from `from` up to (not including) the first `stop` at depth 0 or the close of the
/// enclosing group.
fn until<'a>(toks: &'a [Tok], from: usize, stop: &[char]) -> &'a [Tok] {
    let mut depth = 0;
    for (k, t) in toks.iter().enumerate().skip(from) {
        if depth == 0 && (stop.iter().any(|s| is(Some(t), *s)) || depth_change(t) < 0) {
            return &toks[from..k];
        }
        depth += depth_change(t);
    }
    &toks[from..]
}

fn is_code(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase()) && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn literals(toks: &[Tok]) -> Vec<String> {
    toks.iter()
        .filter_map(|t| match t {
            Tok::Str(s) if is_code(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// `….code()` or a forwarded `code`: codes the `fn code` / `let code` scans account for.
fn is_followed(expr: &[Tok]) -> bool {
    let n = expr.len();
    (n == 1 && ident(expr.first()) == Some("code"))
        || (n >= 4
            && is(expr.get(n - 4), '.')
            && ident(expr.get(n - 3)) == Some("code")
            && is(expr.get(n - 2), '(')
            && is(expr.get(n - 1), ')'))
}

// ------------------------------------------------------------------------------------- scan

#[derive(Debug, Default)]
struct Found {
    /// Problem code → where it was seen.
    problems: BTreeMap<String, String>,
    /// Field-issue code → where it was seen.
    fields: BTreeMap<String, String>,
    /// Codes given by expressions the scan cannot follow.
    unknown: Vec<String>,
    /// Types whose `fn code` was read.
    types: BTreeSet<String>,
    files: usize,
}

impl Found {
    fn add(&mut self, field: bool, codes: Vec<String>, at: &str) {
        let map = if field { &mut self.fields } else { &mut self.problems };
        for code in codes {
            map.entry(code).or_insert_with(|| at.to_string());
        }
    }

    fn expr(&mut self, field: bool, expr: &[Tok], at: &str) {
        let codes = literals(expr);
        if codes.is_empty() && !is_followed(expr) {
            self.unknown.push(format!("{at}: {expr:?}"));
        }
        self.add(field, codes, at);
    }

    fn scan_file(&mut self, root: &Path, path: &Path) {
        let Ok(src) = std::fs::read_to_string(path) else { panic!("cannot read {}", path.display()) };
        self.files += 1;
        let (all, all_lines) = lex_lines(&src);
        let (toks, lines) = strip_tests(all, all_lines);
        let file = path.strip_prefix(root).unwrap_or(path).display().to_string();
        for i in 0..toks.len() {
            let at = format!("{file}:{}", lines.get(i).copied().unwrap_or_default());
            let t = |k: usize| toks.get(k);
            // `code: …` in an error literal.
            if ident(t(i)) == Some("code")
                && is(t(i + 1), ':')
                && !is(t(i + 2), ':')
                && let Some((name, path)) = enclosing_literal(&toks, i)
            {
                let value = until(&toks, i + 2, &[',']);
                match name.as_str() {
                    "Rule" | "Conflict" | "BadRequest" | "Refused" if path => self.expr(false, value, &at),
                    "FieldIssue" => self.expr(true, value, &at),
                    _ => {}
                }
            }
            // `FieldIssue::new(field, code, message)` and `ApiError::field(field, code, message)`.
            let call = matches!((ident(t(i)), ident(t(i + 3))), (Some("FieldIssue"), Some("new")) | (Some("ApiError"), Some("field")));
            if call && is(t(i + 1), ':') && is(t(i + 2), ':') && is(t(i + 4), '(') {
                let first = until(&toks, i + 5, &[',']);
                let second = until(&toks, i + 5 + first.len() + 1, &[',']);
                self.expr(true, second, &at);
            }
            // `let code = …;`, `let (field, code) = …;`.
            if ident(t(i)) == Some("let") {
                let pattern = until(&toks, i + 1, &['=', ';']);
                let binds = |name: &str| pattern.iter().any(|p| ident(Some(p)) == Some(name));
                if binds("code") {
                    let value = until(&toks, i + 1 + pattern.len() + 1, &[';']);
                    self.add(binds("field"), literals(value), &at);
                }
            }
            // `impl …Error { … fn code(…) { … } … }`.
            if ident(t(i)) == Some("impl") && is(t(i + 2), '{') {
                let Some(name) = ident(t(i + 1)) else { continue };
                if !name.ends_with("Error") {
                    continue;
                }
                let end = group_end(&toks, i + 2);
                let body = &toks[i + 3..end.saturating_sub(1)];
                for k in 0..body.len() {
                    if ident(body.get(k)) == Some("fn") && ident(body.get(k + 1)) == Some("code") {
                        let Some(open) = (k..body.len()).find(|&b| is(body.get(b), '{')) else { continue };
                        let codes = literals(&body[open..group_end(body, open)]);
                        self.types.insert(name.to_string());
                        self.add(FIELD_ERROR_TYPES.contains(&name), codes, &format!("{at}, fn code of {name}"));
                    }
                }
            }
        }
    }
}

/// The name of the struct literal or pattern whose braces enclose token `at`, and whether it is
/// written as a path (`ApiError::Rule { code: … }` → `("Rule", true)`); `None` for a type
/// definition (`struct FieldIssue { code: String }`).
fn enclosing_literal(toks: &[Tok], at: usize) -> Option<(String, bool)> {
    let mut depth = 0;
    for k in (0..at).rev() {
        match &toks[k] {
            Tok::Punct(')' | ']' | '}') => depth += 1,
            Tok::Punct('(' | '[') if depth == 0 => return None,
            Tok::Punct('{') if depth == 0 => {
                let name = ident(toks.get(k.checked_sub(1)?))?;
                let before = k.checked_sub(2).and_then(|b| toks.get(b));
                if matches!(ident(before), Some("struct" | "enum" | "union")) {
                    return None;
                }
                return Some((name.to_string(), is(before, ':')));
            }
            Tok::Punct('(' | '[' | '{') => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The `.rs` files under `dir`, without test-module files (`…/tests.rs`, like this one).
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { panic!("cannot list {}", dir.display()) };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("tests.rs") {
            out.push(path);
        }
    }
}

/// Scans `services/api/src` and `crates/*/src`.
fn scan() -> Found {
    let api = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(root) = api.parent().and_then(Path::parent) else { panic!("no workspace above {}", api.display()) };
    let mut files = Vec::new();
    rust_files(&api.join("src"), &mut files);
    let crates = root.join("crates");
    let Ok(entries) = std::fs::read_dir(&crates) else { panic!("cannot list {}", crates.display()) };
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path().join("src"))).filter(|p| p.is_dir()).collect();
    dirs.sort();
    for dir in dirs {
        rust_files(&dir, &mut files);
    }
    let mut found = Found::default();
    for file in &files {
        found.scan_file(root, file);
    }
    found
}

fn vietnamese(text: &str) -> bool {
    !text.is_ascii()
}

/// Every problem code the API can send has a Vietnamese and an English title and detail.
#[test]
fn every_problem_code_has_both_texts() {
    let found = scan();
    let missing: Vec<String> = found
        .problems
        .iter()
        .filter(|(code, _)| {
            super::problem(code).is_none_or(|t| [t.title_vi, t.title_en, t.detail_vi, t.detail_en].iter().any(|s| s.trim().is_empty()))
        })
        .map(|(code, at)| format!("{code} (from {at})"))
        .collect();
    assert!(missing.is_empty(), "problem codes without Vietnamese and English title and detail in i18n::PROBLEMS:\n{}", missing.join("\n"));
}

/// Every field-issue code the API can send has a Vietnamese and an English message.
#[test]
fn every_field_issue_code_has_both_texts() {
    let found = scan();
    let missing: Vec<String> = found
        .fields
        .iter()
        .filter(|(code, _)| super::field(code).is_none_or(|t| t.vi.trim().is_empty() || t.en.trim().is_empty()))
        .map(|(code, at)| format!("{code} (from {at})"))
        .collect();
    assert!(missing.is_empty(), "field-issue codes without Vietnamese and English message in i18n::FIELD_ISSUES:\n{}", missing.join("\n"));
}

/// The scan follows every code: a code given by an expression it cannot read fails here.
#[test]
fn every_code_source_is_followed() {
    let found = scan();
    assert!(
        found.unknown.is_empty(),
        "codes the scan cannot follow (use a literal or a domain error's `fn code`):\n{}",
        found.unknown.join("\n")
    );
}

/// The scan still sees the sources: the files, the domain errors, the codes of every kind.
#[test]
fn the_scan_reads_the_sources() {
    let found = scan();
    assert!(found.files > 50, "only {} source files found", found.files);
    for ty in [
        "ApiError",
        "FieldError",
        "AdmissionError",
        "LifecycleError",
        "PositionError",
        "CheckInError",
        "VoteError",
        "CommentError",
        "StartError",
    ] {
        assert!(found.types.contains(ty), "no `fn code` found for {ty}");
    }
    for ty in FIELD_ERROR_TYPES {
        assert!(found.types.contains(*ty), "{ty} in FIELD_ERROR_TYPES has no `fn code`");
    }
    // One of each way a code is given.
    for code in ["not_found", "minutes_missing", "move_cycle", "member_not_active", "quiz_closed", "invalid_query", "concurrent_change"] {
        assert!(found.problems.contains_key(code), "problem code {code} not found by the scan");
    }
    for code in ["empty", "too_long", "unknown_field", "too_young", "not_attending", "outside_issuer"] {
        assert!(found.fields.contains_key(code), "field-issue code {code} not found by the scan");
    }
}

/// The tables hold no text for a code the API never sends, and no code twice.
#[test]
fn no_stale_or_duplicate_entries() {
    let found = scan();
    let stale: Vec<&str> = PROBLEMS.iter().map(|t| t.code).filter(|c| !found.problems.contains_key(*c)).collect();
    assert!(stale.is_empty(), "i18n::PROBLEMS has codes the API never sends: {stale:?}");
    let stale: Vec<&str> = FIELD_ISSUES.iter().map(|t| t.code).filter(|c| !found.fields.contains_key(*c)).collect();
    assert!(stale.is_empty(), "i18n::FIELD_ISSUES has codes the API never sends: {stale:?}");
    let mut seen = BTreeSet::new();
    for code in PROBLEMS.iter().map(|t| t.code) {
        assert!(seen.insert(code), "{code} twice in i18n::PROBLEMS");
    }
    let mut seen = BTreeSet::new();
    for code in FIELD_ISSUES.iter().map(|t| t.code) {
        assert!(seen.insert(code), "{code} twice in i18n::FIELD_ISSUES");
    }
}

/// Vietnamese texts are Vietnamese (not English pasted in the wrong column: every Vietnamese
/// sentence has a diacritic), and differ from the English ones.
#[test]
fn vietnamese_texts_are_vietnamese() {
    for t in PROBLEMS {
        for (vi, en) in [(t.title_vi, t.title_en), (t.detail_vi, t.detail_en)] {
            assert!(vietnamese(vi) && vi != en, "{}: {vi:?} is not Vietnamese", t.code);
        }
    }
    for t in FIELD_ISSUES {
        assert!(vietnamese(t.vi) && t.vi != t.en, "{}: {:?} is not Vietnamese", t.code, t.vi);
    }
}

/// A sample of every `ApiError` variant renders a non-empty title and detail in both languages.
#[test]
fn every_variant_renders_title_and_detail_in_both_languages() {
    let samples = [
        ApiError::BadRequest { code: "invalid_query", detail: "unknown kind xyz".into() },
        ApiError::Validation(vec![FieldIssue::new("full_name", "empty", "must not be empty")]),
        ApiError::Rule { code: "minutes_missing", detail: "write the minutes before approving them".into() },
        ApiError::Unauthenticated,
        ApiError::InvalidCredentials,
        ApiError::PasswordChangeRequired,
        ApiError::Forbidden,
        ApiError::NotFound,
        ApiError::Conflict { code: "position_taken", detail: "the unit already has an active holder of this role".into() },
        ApiError::PreconditionFailed,
        ApiError::PreconditionRequired,
        ApiError::PayloadTooLarge,
        ApiError::UnsupportedMediaType,
        ApiError::TooManyAttempts { retry_after: 30 },
        ApiError::Busy { retry_after: 1 },
        ApiError::Unavailable,
        ApiError::Internal("disk on fire at /var/lib/secret".into()),
    ];
    for err in &samples {
        let vi = err.problem(Lang::Vi);
        let en = err.problem(Lang::En);
        for (lang, p) in [("vi", &vi), ("en", &en)] {
            assert!(!p.title.trim().is_empty(), "{} ({lang}): empty title", err.code());
            assert!(p.detail.as_deref().is_some_and(|d| !d.trim().is_empty()), "{} ({lang}): no detail", err.code());
            assert_eq!(p.code, err.code());
            assert_eq!(p.status, err.status().as_u16());
        }
        assert!(vietnamese(&vi.title) && vietnamese(vi.detail.as_deref().unwrap_or_default()), "{}: Vietnamese texts {vi:?}", err.code());
        assert_ne!(vi.title, en.title, "{}", err.code());
        assert!(!en.detail.as_deref().unwrap_or_default().contains("secret"), "internals never sent");
        assert!(!vi.detail.as_deref().unwrap_or_default().contains("secret"), "internals never sent");
    }
}

/// Vietnamese details come from the table; English details keep the call site's specifics.
#[test]
fn rule_details_vietnamese_from_table_english_from_call_site() {
    let err = ApiError::Rule { code: "minutes_missing", detail: "write the minutes before approving them".into() };
    assert_eq!(err.problem(Lang::Vi).detail.as_deref(), Some("Cần lập biên bản buổi sinh hoạt trước khi duyệt biên bản."));
    assert_eq!(err.problem(Lang::Vi).title, "Chưa có biên bản");
    assert_eq!(err.problem(Lang::En).detail.as_deref(), Some("write the minutes before approving them"));
    assert_eq!(err.problem(Lang::En).title, "Minutes missing");
    let err = ApiError::BadRequest { code: "invalid_query", detail: "unknown kind xyz".into() };
    assert_eq!(err.problem(Lang::En).detail.as_deref(), Some("unknown kind xyz"));
    assert_eq!(err.problem(Lang::Vi).detail.as_deref(), super::problem("invalid_query").map(|t| t.detail_vi));
    // No call-site detail: the table's English.
    let err = ApiError::Conflict { code: "already_voted", detail: String::new() };
    assert_eq!(err.problem(Lang::En).detail.as_deref(), Some("The member has already voted on this motion."));
    // Fixed codes keep their titles.
    assert_eq!(ApiError::NotFound.problem(Lang::Vi).title, "Không tìm thấy");
    assert_eq!(ApiError::NotFound.problem(Lang::En).title, "Not found");
}

/// Field issues: the Vietnamese message from the table, the English one as written.
#[test]
fn field_issue_messages_in_both_languages() {
    let err = ApiError::Validation(vec![
        FieldIssue::new("citizen_id", "invalid_format", "has an invalid format: 12 digits"),
        FieldIssue::new("date_of_birth", "too_young", ""),
    ]);
    let vi = err.problem(Lang::Vi);
    assert_eq!(vi.errors[0].message, "sai định dạng");
    assert_eq!(vi.errors[1].message, "đảng viên phải đủ 18 tuổi vào ngày kết nạp");
    assert_eq!(vi.detail.as_deref(), Some("Trường không hợp lệ: citizen_id, date_of_birth"));
    let en = err.problem(Lang::En);
    assert_eq!(en.errors[0].message, "has an invalid format: 12 digits");
    assert_eq!(en.errors[1].message, "the member must be at least 18 years old on the admission date");
    assert_eq!(en.errors[0].code, "invalid_format");
    assert_eq!(en.errors[1].field, "date_of_birth");
}

/// The lexer keeps what the scan relies on.
#[test]
fn lexer_handles_comments_raw_strings_and_chars() {
    let toks = lex(r##"a /* "x" /* nested */ */ // "y"
        r#"raw "q" "# '"' 'a b"c\"d" #[cfg(test)] mod t { x("z") } e"##);
    let strs: Vec<&Tok> = toks.iter().filter(|t| matches!(t, Tok::Str(_))).collect();
    assert_eq!(strs, [&Tok::Str("raw \"q\" ".into()), &Tok::Str("c\\\"d".into()), &Tok::Str("z".into())]);
    let lines = lex_lines(
        r#"a
 "b"
  c"#,
    )
    .1;
    assert_eq!(lines, [1, 2, 3]);
    let n = toks.len();
    let (kept, _) = strip_tests(toks, vec![0; n]);
    assert_eq!(ident(kept.last()), Some("e"));
    assert!(!kept.contains(&Tok::Str("z".into())));
}
