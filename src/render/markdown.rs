//! Markdown safety and number formatting (SPEC §6).
//!
//! User text renders literally: Markdown punctuation is backslash-escaped, `<`, `>` and `&` become
//! entities, leading spaces `&#32;`, and line breaks `<br>`, so it can never break a table, open a
//! code block, make a link or inject HTML.

use std::borrow::Cow;

use rust_decimal::Decimal;

use crate::status::round;

/// Escapes user text for Markdown (inline and inside table cells).
///
/// Inline markers (`` ` * _ [ ] | ~ \ ``) are escaped everywhere; block markers (`# + - = >`, and
/// `1.` / `1)`) only where they would start a block, at the very beginning of the text.
pub fn escape(s: &str) -> String {
    escape_cow(s).into_owned()
}

/// [`escape`] without a copy when the text needs no escaping, as most names and values do.
pub fn escape_cow(s: &str) -> Cow<'_, str> {
    if plain(s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(escape_slow(s))
    }
}

/// True when [`escape`] would return `s` unchanged; false as well for some texts it would not
/// change (the byte 0xC2, which begins both the C1 controls and ordinary characters; a digit
/// followed by `.` or `)`; `+ - =` first even when no space follows).
fn plain(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if matches!(b.first(), Some(b' ' | b'#' | b'+' | b'-' | b'='))
        || (digits > 0 && matches!(b.get(digits), Some(b'.' | b')')))
    {
        return false;
    }
    !b.iter().any(|&c| {
        c < 0x20
            || matches!(
                c,
                0x7f | 0xc2
                    | b'<'
                    | b'>'
                    | b'&'
                    | b'\\'
                    | b'`'
                    | b'*'
                    | b'_'
                    | b'['
                    | b']'
                    | b'|'
                    | b'~'
            )
    })
}

fn escape_slow(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut at_line_start = true;
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    // A block marker only counts when a space (or the end) follows it.
    let spaced = |i: usize| s[i..].chars().nth(1).is_none_or(char::is_whitespace);
    let mut chars = s.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\r' if chars.peek().is_some_and(|(_, n)| *n == '\n') => {}
            '\n' | '\r' => {
                out.push_str("<br>");
                at_line_start = true;
                continue;
            }
            ' ' if at_line_start => {
                out.push_str("&#32;");
                continue;
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            '+' | '-' | '=' if i == 0 && spaced(0) => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if digits > 0 && i == digits && spaced(digits) => {
                out.push('\\');
                out.push(c);
            }
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
        at_line_start = false;
    }
    out
}

/// A ratio 0–1 as a percentage with one decimal: `0.5` → `50.0%`.
pub fn percent(ratio: Decimal) -> String {
    format!("{:.1}%", round(ratio * Decimal::from(100), 1))
}

/// A score with two decimals.
pub fn score(d: Decimal) -> String {
    format!("{:.2}", round(d, 2))
}

/// A value as written: no trailing zeros, no exponent.
pub fn number(d: Decimal) -> String {
    d.normalize().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn hostile_text_stays_literal() {
        let s = escape("a|b\n<script>`x` # y\r\n  z");
        assert!(!s.contains('\n'));
        assert_eq!(s, "a\\|b<br>&lt;script&gt;\\`x\\` # y<br>&#32;&#32;z");
        assert_eq!(escape("# 标题"), "\\# 标题");
        assert_eq!(escape("1. 第一"), "1\\. 第一");
        assert_eq!(escape("E1.1 完成 11.8%"), "E1.1 完成 11.8%");
        assert_eq!(escape("25.8 分钟"), "25.8 分钟");
        assert_eq!(escape("-1.3%"), "-1.3%");
        assert_eq!(escape("- 列表"), "\\- 列表");
        assert_eq!(escape("[链接](http://x)"), "\\[链接\\](http://x)");
    }

    proptest::proptest! {
        #[test]
        fn plain_text_is_kept_as_it_is(
            s in "[ #+=.)0-9a<>&\\\\`*_\\[\\]|~\n\r\t\u{85}\u{a0}é中-]{0,8}",
            t in proptest::prelude::any::<String>(),
        ) {
            proptest::prop_assert_eq!(escape_cow(&s), escape_slow(&s));
            proptest::prop_assert_eq!(escape_cow(&t), escape_slow(&t));
        }
    }

    #[test]
    fn numbers_round_half_away_from_zero() {
        assert_eq!(percent(Decimal::from_str("0.12345").unwrap()), "12.3%");
        assert_eq!(percent(Decimal::from_str("0.12350").unwrap()), "12.4%");
        assert_eq!(score(Decimal::from_str("98.125").unwrap()), "98.13");
        assert_eq!(score(Decimal::from_str("-0.005").unwrap()), "-0.01");
        assert_eq!(number(Decimal::from_str("55.500").unwrap()), "55.5");
    }
}
