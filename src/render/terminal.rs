//! Text shown in a terminal: user text must not carry escape sequences or control characters that
//! would move the cursor, change colours or rewrite the screen.

/// Replaces control characters (escape sequences included) by visible placeholders; a newline or
/// tab becomes a space so a table row stays one row.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\t' | '\r' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn escape_sequences_are_defused() {
        assert_eq!(super::clean("a\u{1b}[31mb\nc"), "a\u{fffd}[31mb c");
    }
}
