//! A walker over a spanned TOML tree that reports every problem instead of stopping at the first.
//!
//! `serde`'s `deny_unknown_fields` stops at the first unknown key and loses the literal text of
//! numbers; walking `toml::de::DeTable` keeps spans for every value, lets us list every unknown key
//! with the allowed ones, and read numbers from their source text into exact decimals.

use std::borrow::Cow;
use std::ops::Range;
use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diag::{Diagnostic, Diagnostics, Place, Text};
use crate::model::Locs;
use crate::workspace::source::Source;

pub type Value<'i> = Spanned<DeValue<'i>>;

/// Parses a TOML document; a syntax error becomes a `toml-syntax` diagnostic, or, when the file
/// holds git conflict markers, a `conflict-marker` diagnostic for each marker line.
pub fn parse<'i>(src: &'i Source) -> Result<Spanned<DeTable<'i>>, Vec<Diagnostic>> {
    DeTable::parse(&src.text).map_err(|e| -> Vec<Diagnostic> {
        let markers = crate::workspace::entries::conflict_markers(src);
        if !markers.is_empty() {
            return markers;
        }
        let place = e.span().map(|s| src.place(s));
        let msg = e.message().trim().to_string();
        // A key written twice in one table: named with the line of its first occurrence
        // (SPEC §5.2), with a help of its own.
        if msg == "duplicate key"
            && let Some(span) = e.span()
            && let Some(key) = src.text.get(span.clone())
            && let Some(before) = src.text.get(..span.start)
            && let Some(first) = first_occurrence(before, key)
        {
            return vec![
                Diagnostic::error(
                    "toml-syntax",
                    &src.path,
                    place,
                    Text::new(
                        format!("TOML 语法错误：键 `{key}` 在同一个表中重复，首次出现在第 {first} 行"),
                        format!("TOML syntax error: the key `{key}` appears twice in one table, first on line {first}"),
                    ),
                )
                .with_help(Text::new(
                    "每个键在一个表中只能写一次：保留正确的一行，删去另一行",
                    "a key is written once per table: keep the right line and delete the other",
                )),
            ];
        }
        vec![
            Diagnostic::error(
                "toml-syntax",
                &src.path,
                place,
                Text::new(
                    format!("TOML 语法错误：{msg}"),
                    format!("TOML syntax error: {msg}"),
                ),
            )
            .with_help(Text::new(
                "检查引号、括号和逗号是否成对；日期写作 2014-06-30（不加引号）",
                "check quotes, brackets and commas; dates are written bare, like 2014-06-30",
            )),
        ]
    })
}

/// The line (1-based) of the first `key = …` of the table that `before` ends in: the nearest line
/// above that starts with the key and an `=`, not looking past the table's header.
fn first_occurrence(before: &str, key: &str) -> Option<usize> {
    let lines: Vec<&str> = before.split('\n').collect();
    // The last line is the duplicate's own, up to the key: the first may be on it, in an inline
    // table (`{ a = 1, a = 2 }`).
    let own = lines.last().copied().unwrap_or("");
    if own.match_indices(key).any(|(at, _)| {
        own[at + key.len()..].trim_start().starts_with('=')
            && own[..at].trim_end().ends_with(['{', ','])
    }) {
        return Some(lines.len());
    }
    for (i, line) in lines.iter().enumerate().rev().skip(1) {
        let line = line.trim_start();
        if line.starts_with('[') {
            return None;
        }
        if let Some(rest) = line.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            return Some(i + 1);
        }
    }
    None
}

/// One table being read: its source, span of its header and a human name such as `[[division]]`.
///
/// The source is shared (`Arc`) so that the `Locs` of what is read can point into it.
pub struct Table<'a, 'i> {
    pub src: &'a Arc<Source>,
    pub table: &'a DeTable<'i>,
    pub span: Range<usize>,
    /// Borrowed where it is fixed, as for each of 10,000 `[[indicator.item]]`s.
    pub name: Cow<'a, str>,
    /// Where the parsed text begins in the source: a piece of a long file is parsed on its own
    /// (`plan::pieces`), and the spans of its values count from the piece's start.
    base: usize,
}

impl<'a, 'i> Table<'a, 'i> {
    pub fn new(
        src: &'a Arc<Source>,
        table: &'a DeTable<'i>,
        span: Range<usize>,
        name: impl Into<Cow<'a, str>>,
    ) -> Self {
        Table {
            src,
            table,
            span,
            name: name.into(),
            base: 0,
        }
    }

    /// The root table of the piece of `src` that begins at byte `base`.
    pub fn piece(
        src: &'a Arc<Source>,
        table: &'a DeTable<'i>,
        base: usize,
        name: impl Into<Cow<'a, str>>,
    ) -> Self {
        Table {
            base,
            ..Table::new(src, table, 0..0, name)
        }
    }

    /// A table within this one, at `span` of the parsed text.
    pub fn child(
        &self,
        table: &'a DeTable<'i>,
        span: Range<usize>,
        name: impl Into<Cow<'a, str>>,
    ) -> Self {
        Table {
            base: self.base,
            ..Table::new(self.src, table, self.shift(span), name)
        }
    }

    /// A span of the parsed text as a span of the source.
    fn shift(&self, span: Range<usize>) -> Range<usize> {
        span.start + self.base..span.end + self.base
    }

    /// Where value `v` is in the source.
    pub fn source_span(&self, v: &Value<'_>) -> Range<usize> {
        self.shift(v.span())
    }

    pub fn header(&self) -> Place {
        crate::model::header_place(self.src, self.span.clone())
    }

    pub fn locs(&self) -> Locs {
        let mut locs = Locs::new(self.src, self.span.clone());
        // At most one place a key: sized once, not grown key by key.
        locs.reserve(self.table.len());
        locs
    }

    pub fn get(&self, key: &str) -> Option<&'a Value<'i>> {
        self.table.get(key)
    }

    pub fn place(&self, v: &Value<'_>) -> Place {
        self.src.place(self.source_span(v))
    }

    /// Reports every key not in `allowed`, naming the allowed ones.
    pub fn deny_unknown(&self, allowed: &[&str], diags: &mut Diagnostics) {
        for (k, _) in self.table.iter() {
            if !allowed.contains(&k.get_ref().as_ref()) {
                let key = k.get_ref();
                let mut d = Diagnostic::error(
                    "unknown-key",
                    &self.src.path,
                    Some(self.src.place(self.shift(k.span()))),
                    Text::new(
                        format!("{} 中有未知的键 `{key}`", self.name),
                        format!("unknown key `{key}` in {}", self.name),
                    ),
                );
                let list = allowed.join(", ");
                let guess = did_you_mean(key, allowed.iter().copied());
                d = d.with_help(match guess {
                    Some(g) => Text::new(
                        format!("是否应为 `{g}`？允许的键：{list}"),
                        format!("did you mean `{g}`? allowed keys: {list}"),
                    ),
                    None => Text::new(format!("允许的键：{list}"), format!("allowed keys: {list}")),
                });
                diags.push(d);
            }
        }
    }

    fn type_error(&self, key: &str, v: &Value<'_>, want_zh: &str, want_en: &str) -> Diagnostic {
        Diagnostic::error(
            "wrong-type",
            &self.src.path,
            Some(self.place(v)),
            Text::new(
                format!(
                    "{} 的 `{key}` 应为{want_zh}，实际是 {}",
                    self.name,
                    v.get_ref().type_str()
                ),
                format!(
                    "`{key}` in {} must be {want_en}, found {}",
                    self.name,
                    v.get_ref().type_str()
                ),
            ),
        )
    }

    /// A value of the right type that is out of range: `wrong-type` still (the value cannot be
    /// read as what the key needs), but saying what is wrong with it.
    fn range_error(&self, key: &str, v: &Value<'_>, zh: &str, en: &str) -> Diagnostic {
        let text = self.src.text.get(self.source_span(v)).unwrap_or("");
        Diagnostic::error(
            "wrong-type",
            &self.src.path,
            Some(self.place(v)),
            Text::new(
                format!("{} 的 `{key}` 的值 {text} {zh}", self.name),
                format!("`{key}` in {}: {text} {en}", self.name),
            ),
        )
    }

    /// A required key's absence, reported at the table's header.
    pub fn missing(&self, key: &str, diags: &mut Diagnostics) {
        diags.push(
            Diagnostic::error(
                "missing-key",
                &self.src.path,
                Some(self.header()),
                Text::new(
                    format!("{} 缺少必填的键 `{key}`", self.name),
                    format!("{} is missing the required key `{key}`", self.name),
                ),
            )
            .with_help(Text::new(
                format!("在该表中加上 `{key} = …`"),
                format!("add `{key} = …` to this table"),
            )),
        );
    }

    pub fn string(
        &self,
        key: &'static str,
        locs: &mut Locs,
        diags: &mut Diagnostics,
    ) -> Option<String> {
        let v = self.get(key)?;
        match v.get_ref().as_str() {
            Some(s) => {
                locs.set(key, self.source_span(v));
                Some(s.to_string())
            }
            None => {
                diags.push(self.type_error(key, v, "字符串", "a string"));
                None
            }
        }
    }

    pub fn required_string(
        &self,
        key: &'static str,
        locs: &mut Locs,
        diags: &mut Diagnostics,
    ) -> Option<String> {
        if self.get(key).is_none() {
            self.missing(key, diags);
            return None;
        }
        self.string(key, locs, diags)
    }

    pub fn bool(
        &self,
        key: &'static str,
        locs: &mut Locs,
        diags: &mut Diagnostics,
    ) -> Option<bool> {
        let v = self.get(key)?;
        locs.set(key, self.source_span(v));
        let b = v.get_ref().as_bool();
        if b.is_none() {
            diags.push(self.type_error(key, v, "true 或 false", "true or false"));
        }
        b
    }

    pub fn date(
        &self,
        key: &'static str,
        locs: &mut Locs,
        diags: &mut Diagnostics,
    ) -> Option<NaiveDate> {
        let v = self.get(key)?;
        locs.set(key, self.source_span(v));
        match value_date(v) {
            Some(d) => Some(d),
            None => {
                diags.push(self.type_error(
                    key,
                    v,
                    "日期（如 2014-06-30，不加引号）",
                    "a date like 2014-06-30 (unquoted)",
                ));
                None
            }
        }
    }

    pub fn decimal(
        &self,
        key: &'static str,
        locs: &mut Locs,
        diags: &mut Diagnostics,
    ) -> Option<Decimal> {
        let v = self.get(key)?;
        locs.set(key, self.source_span(v));
        match self.decimal_of(v) {
            Some(d) => Some(d),
            None if matches!(v.get_ref(), DeValue::Integer(_) | DeValue::Float(_)) => {
                diags.push(self.range_error(
                    key,
                    v,
                    "超出可表示的范围（至多 28 位有效数字，不能是 inf 或 nan）",
                    "is beyond what a decimal holds (at most 28 significant digits, not inf or nan)",
                ));
                None
            }
            None => {
                diags.push(self.type_error(key, v, "数字", "a number"));
                None
            }
        }
    }

    pub fn u32(&self, key: &'static str, locs: &mut Locs, diags: &mut Diagnostics) -> Option<u32> {
        let v = self.get(key)?;
        locs.set(key, self.source_span(v));
        match v
            .get_ref()
            .as_integer()
            .and_then(|i| u32::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok())
        {
            Some(n) => Some(n),
            None if v.get_ref().as_integer().is_some() => {
                diags.push(self.range_error(
                    key,
                    v,
                    "应为 0 到 4294967295 之间的整数",
                    "must be an integer from 0 to 4294967295",
                ));
                None
            }
            None => {
                diags.push(self.type_error(key, v, "非负整数", "a non-negative integer"));
                None
            }
        }
    }

    /// An array of strings, each with its value (for its place, should it be wrong).
    pub fn strings(
        &self,
        key: &'static str,
        locs: &mut Locs,
        diags: &mut Diagnostics,
    ) -> Vec<(String, &'a Value<'i>)> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        locs.set(key, self.source_span(v));
        let Some(arr) = v.get_ref().as_array() else {
            diags.push(self.type_error(key, v, "字符串数组", "an array of strings"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for el in arr.iter() {
            match el.get_ref().as_str() {
                Some(s) => out.push((s.to_string(), el)),
                None => diags.push(self.type_error(key, el, "字符串", "a string")),
            }
        }
        out
    }

    /// A sub-table (`[a.b]`), if present and a table.
    pub fn table(&self, key: &str, diags: &mut Diagnostics) -> Option<Table<'a, 'i>> {
        let v = self.get(key)?;
        match v.get_ref().as_table() {
            Some(t) => Some(self.child(
                t,
                v.span(),
                if self.name.starts_with('[') {
                    format!("[{}.{key}]", self.name.trim_matches(['[', ']']))
                } else {
                    // The root table is named by its file; its sub-tables by their key alone.
                    format!("[{key}]")
                },
            )),
            None => {
                diags.push(self.type_error(key, v, "表", "a table"));
                None
            }
        }
    }

    /// An array of tables (`[[key]]`), each as a `Table`.
    pub fn tables(&self, key: &str, name: &'a str, diags: &mut Diagnostics) -> Vec<Table<'a, 'i>> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        let Some(arr) = v.get_ref().as_array() else {
            diags.push(self.type_error(key, v, "表数组", "an array of tables"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for el in arr.iter() {
            match el.get_ref().as_table() {
                Some(t) => out.push(self.child(t, el.span(), name)),
                None => diags.push(self.type_error(key, el, "表", "a table")),
            }
        }
        out
    }
}

/// A bare TOML date (no time, no offset).
pub fn value_date(v: &Value<'_>) -> Option<NaiveDate> {
    let dt = v.get_ref().as_datetime()?;
    if dt.time.is_some() || dt.offset.is_some() {
        return None;
    }
    let d = dt.date?;
    NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
}

impl Table<'_, '_> {
    /// A TOML integer or float read from its literal text, so `174.9` is exactly 174.9.
    pub fn decimal_of(&self, v: &Value<'_>) -> Option<Decimal> {
        match v.get_ref() {
            DeValue::Integer(i) if i.radix() == 10 => decimal_literal(i.as_str()),
            DeValue::Float(_) => decimal_literal(self.src.text.get(self.source_span(v))?),
            _ => None,
        }
    }
}

fn decimal_literal(text: &str) -> Option<Decimal> {
    // Copied only when there is something to drop: most numbers have no `_` and no `+`.
    let clean: Cow<'_, str> = if text.contains(['_', '+']) {
        text.chars().filter(|c| *c != '_' && *c != '+').collect()
    } else {
        text.into()
    };
    if clean.contains(['e', 'E', 'n', 'i']) {
        Decimal::from_scientific(&clean).ok()
    } else {
        // Rounded past what `Decimal` holds is not the value written (SPEC §2.2: exact).
        Decimal::from_str(&clean)
            .ok()
            .filter(|d| crate::model::decimal_is_exact(&clean, *d))
    }
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&word.to_lowercase(), &c.to_lowercase());
        if score > 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_come_from_the_literal_text() {
        let src = Arc::new(Source::new(
            "a.toml",
            "a = 174.9\nb = 1_000\nc = 0.1\n".into(),
        ));
        let doc = parse(&src).unwrap();
        let t = Table::new(&src, doc.get_ref(), 0..0, "a.toml");
        let get = |k: &str| t.decimal_of(t.get(k).unwrap()).unwrap();
        assert_eq!(get("a").to_string(), "174.9");
        assert_eq!(get("b"), Decimal::from(1000));
        assert_eq!(
            get("c") + get("c") + get("c"),
            Decimal::from_str("0.3").unwrap()
        );
    }

    #[test]
    fn a_number_out_of_range_says_so_not_that_it_is_no_number() {
        let src = Arc::new(Source::new(
            "a.toml",
            "a = 1e30\nb = 99999999999999999999\nc = \"x\"\nd = -1\ne = 5.00000000000000000000000000001\n".into(),
        ));
        let doc = parse(&src).unwrap();
        let t = Table::new(&src, doc.get_ref(), 0..0, "a.toml");
        let mut diags = Diagnostics::new();
        let mut locs = Locs::default();
        assert_eq!(t.decimal("a", &mut locs, &mut diags), None);
        assert_eq!(t.u32("b", &mut locs, &mut diags), None);
        assert_eq!(t.decimal("c", &mut locs, &mut diags), None);
        assert_eq!(t.u32("d", &mut locs, &mut diags), None);
        assert_eq!(t.decimal("e", &mut locs, &mut diags), None);
        let messages: Vec<String> = diags
            .sorted()
            .into_iter()
            .map(|d| format!("{} {}", d.code, d.message.en))
            .collect();
        assert_eq!(
            messages,
            [
                "wrong-type `a` in a.toml: 1e30 is beyond what a decimal holds (at most 28 significant digits, not inf or nan)",
                "wrong-type `b` in a.toml: 99999999999999999999 must be an integer from 0 to 4294967295",
                "wrong-type `c` in a.toml must be a number, found string",
                "wrong-type `d` in a.toml: -1 must be an integer from 0 to 4294967295",
                "wrong-type `e` in a.toml: 5.00000000000000000000000000001 is beyond what a decimal holds (at most 28 significant digits, not inf or nan)",
            ]
        );
    }

    #[test]
    fn a_duplicate_key_names_the_line_of_the_first() {
        let first = |text: &str| {
            let src = Source::new("a.toml", text.to_string());
            let d = parse(&src).expect_err("a duplicate");
            d[0].message.en.clone()
        };
        let plain = first("[t]\nyellow = 10\nx = 1\nyellow = 2\n");
        assert!(plain.ends_with("first on line 2"), "{plain}");
        // In an inline table, on the same line, not the same key of the table around it.
        let inline = first("yellow = 10\nx = { yellow = 1, yellow = 2 }\n");
        assert!(inline.ends_with("first on line 2"), "{inline}");
    }

    #[test]
    fn did_you_mean_finds_typos_only() {
        let c = ["secretariat", "planning", "coordination"];
        assert_eq!(
            did_you_mean("secretariet", c.iter().copied()),
            Some("secretariat")
        );
        assert_eq!(did_you_mean("zzz", c.iter().copied()), None);
    }
}
