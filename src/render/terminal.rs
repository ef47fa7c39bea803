//! Text shown in a terminal: user text must not carry escape sequences or control characters that
//! would move the cursor, change colours or rewrite the screen, nor bidirectional overrides that
//! would make it read differently from what it is.

/// Whether `c` must never reach a terminal as it is: a control character (C0 with ESC, DEL, C1
/// with the one-character CSI U+009B) or a bidirectional embedding, override or isolate.
fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Replaces control characters (escape sequences included) and bidirectional controls by
/// visible placeholders; a newline or tab becomes a space so a table row stays one row.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\t' | '\r' => ' ',
            c if unsafe_char(c) => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// Like `clean`, but shows a C0 control character as its Unicode control picture (`␛` for ESC,
/// `␊` for a newline), as `rustc` does in its diagnostics; a tab stays a tab. One character for one,
/// so character columns into the text stay right.
pub fn visible(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' => c,
            '\0'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
            '\u{7f}' => '\u{2421}',
            c if unsafe_char(c) => '\u{fffd}',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_defused() {
        assert_eq!(clean("a\u{1b}[31mb\nc"), "a\u{fffd}[31mb c");
        assert_eq!(clean("x\u{9b}31my\u{202e}z"), "x\u{fffd}31my\u{fffd}z");
    }

    #[test]
    fn visible_keeps_one_character_for_one() {
        let s = "a\u{1b}]0;t\u{7}\u{9b}2J\u{7f}\u{2066}\tb\r\n";
        let v = visible(s);
        assert_eq!(
            v,
            "a\u{241b}]0;t\u{2407}\u{fffd}2J\u{2421}\u{fffd}\tb\u{240d}\u{240a}"
        );
        assert_eq!(v.chars().count(), s.chars().count());
        assert!(!v.chars().any(|c| c.is_control() && c != '\t'));
    }
}
