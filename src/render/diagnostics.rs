//! Printing diagnostics in the four formats of SPEC §5.2: human, json, github, gitlab.

use std::fmt::Write as _;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::diag::{Diagnostic, Lang, Severity};
use crate::render::terminal::visible;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
    Gitlab,
}

/// Renders `diags` (already sorted) in `format`.
pub fn render(diags: &[Diagnostic], format: Format, lang: Lang, color: bool) -> String {
    match format {
        Format::Human => human(diags, lang, color),
        Format::Json => json(diags, lang),
        Format::Github => github(diags, lang),
        Format::Gitlab => gitlab(diags, lang),
    }
}

fn human(diags: &[Diagnostic], lang: Lang, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diags {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        // Every text may hold user text (a note, a name, a file name): no escape sequence of it
        // may reach the terminal. `visible` keeps one character for one, so columns stay right.
        let message = visible(d.message.get(lang));
        let file = visible(&d.file);
        let source = d.place.as_ref().map(|p| visible(&p.snippet));
        let help = d.help.as_ref().map(|h| visible(h.get(lang)));
        let title = level.primary_title(message.as_str()).id(d.code);
        let mut group = match (&d.place, &source) {
            (Some(p), Some(source)) => {
                // Byte range of the marked characters within the snippet line.
                let start = byte_at(source, p.column - 1);
                let end = byte_at(source, p.column - 1 + p.width).max(start);
                let snippet = Snippet::source(source.as_str())
                    .line_start(p.line)
                    .path(file.as_str())
                    .annotation(AnnotationKind::Primary.span(start..end));
                title.element(snippet)
            }
            _ => title.element(annotate_snippets::Origin::path(file.as_str())),
        };
        if let Some(h) = &help {
            group = group.element(Level::HELP.message(h.as_str()));
        }
        let _ = writeln!(out, "{}\n", renderer.render(&[group]));
    }
    let (e, w) = (
        diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count(),
        diags
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count(),
    );
    let _ = match lang {
        Lang::Zh => writeln!(out, "检查完成：{e} 个错误，{w} 个警告"),
        Lang::En => writeln!(
            out,
            "check finished: {e} error{}, {w} warning{}",
            if e == 1 { "" } else { "s" },
            if w == 1 { "" } else { "s" }
        ),
    };
    out
}

/// The byte offset of the `chars`-th character of `s` (or its end).
fn byte_at(s: &str, chars: usize) -> usize {
    s.char_indices().nth(chars).map_or(s.len(), |(i, _)| i)
}

fn json(diags: &[Diagnostic], lang: Lang) -> String {
    let list: Vec<_> = diags
        .iter()
        .map(|d| {
            json!({
                "severity": d.severity.as_str(),
                "code": d.code,
                "message": d.message.get(lang),
                "file": d.file,
                "line": d.line(),
                "column": d.column(),
                "help": d.help.as_ref().map(|h| h.get(lang)),
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&list).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

/// Escapes a workflow command's message as the Actions toolkit does.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value as the Actions toolkit does.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn github(diags: &[Diagnostic], lang: Lang) -> String {
    let mut out = String::new();
    for d in diags {
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = format!("file={}", escape_property(&visible(&d.file)));
        if let Some(p) = &d.place {
            let _ = write!(props, ",line={},col={}", p.line, p.column);
        }
        let _ = write!(props, ",title={}", escape_property(d.code));
        let mut msg = visible(d.message.get(lang));
        if let Some(h) = &d.help {
            msg.push('\n');
            msg.push_str(&visible(h.get(lang)));
        }
        let _ = writeln!(out, "::{kind} {props}::{}", escape_data(&msg));
    }
    out
}

fn gitlab(diags: &[Diagnostic], lang: Lang) -> String {
    let list: Vec<_> = diags
        .iter()
        .map(|d| {
            let line = d.line().unwrap_or(1);
            let message = d.message.get(lang);
            let mut h = Sha256::new();
            h.update(d.code.as_bytes());
            h.update(d.file.as_bytes());
            h.update(line.to_string().as_bytes());
            h.update(message.as_bytes());
            let fingerprint: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
            json!({
                "description": message,
                "check_name": d.code,
                "fingerprint": fingerprint,
                "severity": match d.severity { Severity::Error => "major", Severity::Warning => "minor" },
                "location": { "path": d.file, "lines": { "begin": line } },
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&list).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escapes_like_the_toolkit() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("x:y,z"), "x%3Ay%2Cz");
    }
}
