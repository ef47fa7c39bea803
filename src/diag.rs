//! Diagnostics as plain data: what is wrong, where, and how to fix it.
//!
//! Loading and checking never print; they push `Diagnostic`s into a `Diagnostics` list, which one
//! renderer (`render::diagnostics`) prints in every format. A message carries both languages so the
//! same data can be shown in Chinese or English.

use std::fmt;

/// How bad a problem is. Errors fail `perf check`; warnings fail only with `--strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// The language of messages, tables and documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

/// A text in both languages of the tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// A place in a file: 1-based line and column, columns counting Unicode characters.
///
/// `snippet` is the physical source line (without its line end) and `width` the number of characters
/// to mark from `column`, so a diagnostic can be rendered without reading the file again.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Place {
    pub line: usize,
    pub column: usize,
    pub width: usize,
    pub snippet: String,
}

/// One problem found in the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable kebab-case rule code, documented in `docs/checks.md`.
    pub code: &'static str,
    pub message: Text,
    /// Path relative to the workspace root, with `/` separators.
    pub file: String,
    /// `None` for a problem of a whole file.
    pub place: Option<Place>,
    pub help: Option<Text>,
}

impl Diagnostic {
    pub fn error(
        code: &'static str,
        file: &str,
        place: Option<Place>,
        message: Text,
    ) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message,
            file: file.to_string(),
            place,
            help: None,
        }
    }

    pub fn warning(
        code: &'static str,
        file: &str,
        place: Option<Place>,
        message: Text,
    ) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, file, place, message)
        }
    }

    pub fn with_help(mut self, help: Text) -> Diagnostic {
        self.help = Some(help);
        self
    }

    pub fn line(&self) -> Option<usize> {
        self.place.as_ref().map(|p| p.line)
    }

    pub fn column(&self) -> Option<usize> {
        self.place.as_ref().map(|p| p.column)
    }

    fn sort_key(&self) -> (&str, usize, usize) {
        (
            &self.file,
            self.line().unwrap_or(0),
            self.column().unwrap_or(0),
        )
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.place {
            Some(p) => write!(f, "{}:{}:{}: ", self.file, p.line, p.column)?,
            None => write!(f, "{}: ", self.file)?,
        }
        write!(
            f,
            "{}[{}]: {}",
            self.severity.as_str(),
            self.code,
            self.message.en
        )
    }
}

/// An ordered collection of diagnostics.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.list.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.list.extend(other.list);
    }

    pub fn has_errors(&self) -> bool {
        self.list.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn errors(&self) -> usize {
        self.list
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.list.len() - self.errors()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Problems in order of file, line and column (stable for equal places).
    pub fn sorted(mut self) -> Vec<Diagnostic> {
        self.list.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.list
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.list.iter()
    }
}
