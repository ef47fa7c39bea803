//! Reading a text file of the workspace: UTF-8 with an optional byte-order mark, LF or CRLF.
//!
//! A file that is not UTF-8 becomes a diagnostic (with a GB18030 hint when the bytes decode as such,
//! which is what Excel writes on Chinese Windows). Byte offsets are turned into 1-based lines and
//! character columns here, the only place that knows how.

use std::sync::OnceLock;

use crate::diag::{Diagnostic, Place, Text};

const BOM: &str = "\u{feff}";

/// A file's text, without its byte-order mark, and where its lines start (worked out the first
/// time a place is asked for: a file without problems never needs it).
#[derive(Debug, Clone)]
pub struct Source {
    /// Path relative to the workspace root, `/`-separated.
    pub path: String,
    pub text: String,
    line_starts: OnceLock<Vec<usize>>,
}

impl Source {
    /// Decodes `bytes`; a file that is not UTF-8 gives the diagnostic that explains it.
    pub fn decode(path: &str, bytes: Vec<u8>) -> Result<Source, Box<Diagnostic>> {
        match utf8_string(bytes) {
            Ok(mut text) => {
                if text.starts_with(BOM) {
                    text.drain(..BOM.len());
                }
                Ok(Source::new(path, text))
            }
            Err(e) => Err(Box::new(not_utf8(path, e.as_bytes(), e.utf8_error()))),
        }
    }

    pub fn new(path: &str, text: String) -> Source {
        Source {
            path: path.to_string(),
            text,
            line_starts: OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(memchr::memchr_iter(b'\n', self.text.as_bytes()).map(|i| i + 1));
            starts
        })
    }

    /// The text's bytes, to be reused as a buffer.
    pub fn into_bytes(self) -> Vec<u8> {
        self.text.into_bytes()
    }

    /// The number of lines (a final line end starts an empty last line).
    pub fn lines(&self) -> usize {
        self.line_starts().len()
    }

    /// `line_of(offset)` for an offset at or after the start of line `from`, found by walking
    /// forward from there: quicker than a search when offsets come in order.
    pub fn line_from(&self, from: usize, offset: usize) -> usize {
        let starts = self.line_starts();
        let mut line = from.max(1);
        if starts.get(line - 1).is_none_or(|&s| s > offset) {
            return self.line_of(offset);
        }
        while starts.get(line).is_some_and(|&next| next <= offset) {
            line += 1;
        }
        line
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts().binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// The text of a 1-based line, without its line end (`\n` or `\r\n`: any other `\r` is part
    /// of the line, and counts in its columns).
    pub fn line_text(&self, line: usize) -> &str {
        let starts = self.line_starts();
        let start = starts[line - 1];
        match starts.get(line) {
            Some(&next) => {
                let text = &self.text[start..(next - 1).max(start)];
                text.strip_suffix('\r').unwrap_or(text)
            }
            None => &self.text[start..],
        }
    }

    /// The place of a byte range: line, character column, and the characters to mark (at least one,
    /// and not past the end of the line).
    pub fn place(&self, range: std::ops::Range<usize>) -> Place {
        let start = floor_char_boundary(&self.text, range.start.min(self.text.len()));
        let line = self.line_of(start);
        let line_start = self.line_starts()[line - 1];
        let snippet = self.line_text(line).to_string();
        // A place in the line end (the `\n` of a CRLF, say) is just after the line's last character.
        let column =
            (self.text[line_start..start].chars().count() + 1).min(snippet.chars().count() + 1);
        let end = floor_char_boundary(&self.text, range.end.min(self.text.len())).max(start);
        let line_end = line_start + snippet.len();
        let width = self.text[start..end.min(line_end).max(start)]
            .chars()
            .count();
        Place {
            line,
            column,
            width: width.max(1),
            snippet,
        }
    }

    /// The place of a whole line, marked from its first character.
    pub fn line_place(&self, line: usize) -> Place {
        let snippet = self.line_text(line).to_string();
        Place {
            line,
            column: 1,
            width: snippet.chars().count().max(1),
            snippet,
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `String::from_utf8`, with the check done by `simdutf8`: several times quicker on Chinese text,
/// which is most of a progress file's bytes.
#[allow(unsafe_code)]
fn utf8_string(bytes: Vec<u8>) -> Result<String, std::string::FromUtf8Error> {
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        // SAFETY: `simdutf8` has just checked that `bytes` is UTF-8.
        Ok(unsafe { String::from_utf8_unchecked(bytes) })
    } else {
        // The standard check tells where the first invalid byte is.
        String::from_utf8(bytes)
    }
}

/// Whether bytes that are not UTF-8 read as GB18030/GBK Chinese text (what Excel and Notepad
/// write on Chinese Windows).
fn looks_gb18030(bytes: &[u8]) -> bool {
    let (decoded, _, had_errors) = encoding_rs::GB18030.decode(bytes);
    !had_errors
        && decoded
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The diagnostic for a file that is not UTF-8.
pub fn not_utf8(path: &str, bytes: &[u8], err: std::str::Utf8Error) -> Diagnostic {
    let offset = err.valid_up_to();
    let line = bytes[..offset].iter().filter(|b| **b == b'\n').count() + 1;
    let looks_gb = looks_gb18030(bytes);
    let d = Diagnostic::error(
        "not-utf8",
        path,
        None,
        Text::new(
            format!("文件不是 UTF-8 编码（第 {line} 行第一个无效字节）"),
            format!("the file is not UTF-8 (first invalid byte on line {line})"),
        ),
    );
    if looks_gb && !path.ends_with(".csv") {
        d.with_help(Text::new(
            format!("{path} 看起来是 GB18030/GBK 编码；请运行 `perf fix-encoding {path}` 转为 UTF-8（或 `iconv -f GB18030 -t UTF-8`）"),
            format!("the bytes decode as GB18030/GBK; convert with `perf fix-encoding {path}` (or `iconv -f GB18030 -t UTF-8`)"),
        ))
    } else if looks_gb {
        d.with_help(Text::new(
            format!(
                "{path} 看起来是 GB18030/GBK 编码（中文 Windows 版 Excel 的默认编码）；请运行 `perf fix-encoding {path}` 转为 UTF-8（或 `iconv -f GB18030 -t UTF-8`），或在 Excel 中另存为“CSV UTF-8（逗号分隔）”"
            ),
            format!("the bytes decode as GB18030/GBK, which Excel writes on Chinese Windows; convert with `perf fix-encoding {path}` (or `iconv -f GB18030 -t UTF-8`), or save from Excel as \"CSV UTF-8 (Comma delimited)\""),
        ))
    } else {
        d.with_help(Text::new(
            "请将文件另存为 UTF-8 编码",
            "save the file as UTF-8",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_count_characters_not_bytes() {
        let s = Source::new("a.toml", "x = 1\nname = \"秘书处\" # c\r\nz\n".to_string());
        let off = s.text.find("秘书处").unwrap();
        let p = s.place(off..off + "秘书处".len());
        assert_eq!((p.line, p.column, p.width), (2, 9, 3));
        assert_eq!(p.snippet, "name = \"秘书处\" # c");
        let z = s.text.find('z').unwrap();
        assert_eq!(s.place(z..z + 1).line, 3);
    }

    #[test]
    fn stray_carriage_returns_stay_in_the_line() {
        // Found by fuzzing (fuzz/fuzz_targets/plan.rs): a line ending in many lone `\r` had them
        // all trimmed from its snippet, and the place of an error after them lay past its end.
        let s = Source::new(
            "a.toml",
            "a = 1\nowners = [\"@x\r\r\r\r\r\r\r\n".to_string(),
        );
        assert_eq!(s.line_text(2), "owners = [\"@x\r\r\r\r\r\r");
        let end = s.text.len() - 2;
        let p = s.place(end..end + 1);
        assert_eq!((p.line, p.column), (2, 20));
        assert!(p.column <= p.snippet.chars().count() + 1);
        let crlf = Source::new("a.csv", "a\r\nb\r".to_string());
        assert_eq!((crlf.line_text(1), crlf.line_text(2)), ("a", "b\r"));
        // The `\n` of a CRLF is where the line ends: just after its last character.
        let p = crlf.place(2..3);
        assert_eq!((p.line, p.column, p.snippet.as_str()), (1, 2, "a"));
    }

    #[test]
    fn bom_is_dropped() {
        let s = Source::decode("a.csv", b"\xef\xbb\xbfdate\n".to_vec()).unwrap();
        assert_eq!(s.text, "date\n");
    }

    #[test]
    fn gbk_bytes_get_a_gb18030_hint() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("日期,事项\n秘书处\n");
        let d = Source::decode("r.csv", bytes.into_owned()).unwrap_err();
        assert_eq!(d.code, "not-utf8");
        assert!(d.help.unwrap().en.contains("GB18030"));
    }

    #[test]
    fn random_invalid_bytes_get_a_plain_hint() {
        let d = Source::decode("r.csv", vec![b'a', 0xff, 0xfe, 0x00]).unwrap_err();
        assert!(!d.help.unwrap().en.contains("GB18030"));
    }
}
