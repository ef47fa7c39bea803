//! Reading a progress file `reports/<year>/<division>.csv` into raw records (SPEC §3).
//!
//! This layer knows CSV: the header, conflict markers, field counts and where each field starts.
//! What the fields mean is checked in `check::entries`. Records are handed to a callback one at a
//! time, so a file is never held as a list of entries.

use crate::diag::{Diagnostic, Diagnostics, Place, Text};
use crate::workspace::source::Source;

/// The columns of SPEC §3, in the order new files get them.
pub const COLUMNS: [&str; 7] = [
    "date", "item", "value", "note", "evidence", "reporter", "filed",
];
pub const DATE: usize = 0;
pub const ITEM: usize = 1;
pub const VALUE: usize = 2;
pub const NOTE: usize = 3;
pub const EVIDENCE: usize = 4;
pub const REPORTER: usize = 5;
pub const FILED: usize = 6;
const REQUIRED: [usize; 4] = [DATE, ITEM, VALUE, REPORTER];

/// Which physical field holds each column.
#[derive(Debug, Clone, Default)]
pub struct Header {
    pub pos: [Option<usize>; 7],
    pub len: usize,
}

impl Header {
    pub fn has(&self, col: usize) -> bool {
        self.pos[col].is_some()
    }

    /// Whether the header is SPEC's seven columns in their order, so that a record's fields are
    /// its columns as they stand.
    pub fn is_standard(&self) -> bool {
        self.len == COLUMNS.len() && self.pos.iter().enumerate().all(|(i, p)| *p == Some(i))
    }
}

/// One record: its fields by column (`""` for an absent column) and where it starts.
#[derive(Debug)]
pub struct RawRecord<'r> {
    pub line: usize,
    pub offset: usize,
    pub fields: [&'r str; 7],
    /// The record's fields, in the file's column order, as the shortest CSV that writes them: for
    /// a record without quotes, its text. Two records of a file are equal when these are.
    pub canonical: &'r str,
}

/// A git conflict marker line, if `line` is one.
pub fn is_conflict_marker(line: &str) -> bool {
    ["<<<<<<<", "=======", ">>>>>>>"]
        .iter()
        .any(|m| line.starts_with(m))
}

/// A `conflict-marker` diagnostic for every git conflict marker line of `src`, in line order.
pub fn conflict_markers(src: &Source) -> Vec<Diagnostic> {
    let text = src.text.as_str();
    // A quick look first, in one pass: is any of `<`, `=` or `>` repeated seven times?
    let bytes = text.as_bytes();
    let any = memchr::memchr3_iter(b'<', b'=', b'>', bytes).any(|i| {
        bytes
            .get(i..i + 7)
            .is_some_and(|run| run.iter().all(|b| *b == bytes[i]))
    });
    if !any {
        return Vec::new();
    }
    let csv = src.path.ends_with(".csv");
    text.split('\n')
        .enumerate()
        .filter(|(_, line)| is_conflict_marker(line))
        .map(|(i, _)| {
            Diagnostic::error(
                "conflict-marker",
                &src.path,
                Some(src.line_place(i + 1)),
                Text::new(
                    "git 合并冲突标记：该文件的合并没有完成",
                    "git conflict marker: a merge of this file was left unfinished",
                ),
            )
            .with_help(if csv {
                Text::new(
                    "保留双方新增的记录，删除 <<<<<<<、=======、>>>>>>> 三种标记行，再运行 `perf check`",
                    "keep the entries of both sides, delete the <<<<<<<, ======= and >>>>>>> lines, then run `perf check` again",
                )
            } else {
                Text::new(
                    "在两个版本之间取舍、合并内容，删除 <<<<<<<、=======、>>>>>>> 三种标记行，再运行 `perf check`",
                    "choose or combine the two versions, delete the <<<<<<<, ======= and >>>>>>> lines, then run `perf check` again",
                )
            })
        })
        .collect()
}

/// Reads `src`, reporting file-level and CSV-level problems, and calls `f` for every well-formed
/// record (read by `Records`). Returns the header when there is a usable one.
pub fn read(
    src: &Source,
    diags: &mut Diagnostics,
    f: impl FnMut(&Header, &RawRecord<'_>, &mut Diagnostics),
) -> Option<Header> {
    read_with(src, diags, true, f)
}

/// `read`, with records of seven plain fields under the standard header read by
/// `Records::next_seven` when `plain` is true (which gives the same records, faster).
fn read_with(
    src: &Source,
    diags: &mut Diagnostics,
    plain: bool,
    mut f: impl FnMut(&Header, &RawRecord<'_>, &mut Diagnostics),
) -> Option<Header> {
    let text = src.text.as_str();
    let bytes = text.as_bytes();
    if cr_line_ends(text) {
        let path = &src.path;
        diags.push(
            Diagnostic::error(
                "cr-line-ends",
                path,
                None,
                Text::new(
                    "文件的行以单独的 CR 结尾（Mac 版 Excel 的“CSV（Macintosh）”格式），行号无法对应",
                    "the file's lines end in a lone CR (\"CSV (Macintosh)\" from Excel for Mac), so no line can be named",
                ),
            )
            .with_help(Text::new(
                format!("运行 `perf fix-encoding {path}` 改为 LF 行尾，或在 Excel 中另存为“CSV UTF-8（逗号分隔）”"),
                format!("run `perf fix-encoding {path}` to end its lines in LF, or save from Excel as \"CSV UTF-8 (Comma delimited)\""),
            )),
        );
        return None;
    }
    // Conflict markers first: their lines are reported once and skipped as records.
    let mut markers = Vec::new();
    for d in conflict_markers(src) {
        markers.extend(d.line());
        diags.push(d);
    }
    let mut records = Records::new(text);
    let mut header: Option<Header> = None;
    let mut saw_header_line = false;
    // The column of each field, by its position in the header.
    let mut column_of: Vec<Option<usize>> = Vec::new();
    // Whether records of seven plain fields are read by `Records::next_seven`: under the standard
    // header, in a text without conflict markers (whose lines are skipped by number below).
    let mut seven = false;
    loop {
        if seven
            && let Some(h) = &header
            && let Some(rec) = records.next_seven()
        {
            f(h, rec, diags);
            continue;
        }
        let Some(rec) = records.next() else { break };
        let (offset, rec_line, count) = (rec.offset, rec.line, rec.count);
        if markers.binary_search(&rec_line).is_ok() {
            continue;
        }
        if let Some(q) = rec.unclosed {
            saw_header_line = true;
            diags.push(
                Diagnostic::error(
                    "csv-syntax",
                    &src.path,
                    Some(src.place(q..q + 1)),
                    Text::new(
                        "引号没有闭合：从这里开始的带引号字段一直延续到文件末尾",
                        "unclosed quote: the quoted field that starts here runs to the end of the file",
                    ),
                )
                .with_help(Text::new(
                    "在字段末尾补上英文双引号；字段内的双引号要写两次（\"\"）",
                    "close the field with a double quote; a quote inside a quoted field is written twice (\"\")",
                )),
            );
            continue;
        }
        // A line of nothing but spaces or tabs is a blank line too.
        if count == 1 && rec.field(0).trim().is_empty() && bytes.get(offset) != Some(&b'"') {
            continue;
        }
        if !saw_header_line {
            saw_header_line = true;
            let names: Vec<&str> = (0..count).map(|i| rec.field(i)).collect();
            header = read_header(src, rec_line, offset, &names, diags);
            let h = header.as_ref()?;
            seven = h.is_standard() && markers.is_empty() && plain;
            column_of = vec![None; h.len];
            for (col, p) in h.pos.iter().enumerate() {
                if let Some(p) = p {
                    column_of[*p] = Some(col);
                }
            }
            continue;
        }
        let h = header.as_ref()?;
        if count != h.len {
            diags.push(
                Diagnostic::error(
                    "field-count",
                    &src.path,
                    Some(src.line_place(rec_line)),
                    Text::new(
                        format!("该行有 {count} 个字段，表头有 {} 列", h.len),
                        format!(
                            "this record has {count} fields, the header has {} columns",
                            h.len
                        ),
                    ),
                )
                .with_help(Text::new(
                    "含逗号或换行的说明须用英文双引号括起，如 \"上半年办结22件,余18件在办\"",
                    "quote a note that holds a comma or a line break, like \"22 done, 18 open\"",
                )),
            );
            continue;
        }
        let mut by_col = [""; 7];
        for (i, col) in column_of.iter().enumerate() {
            if let Some(col) = col {
                by_col[*col] = rec.field(i);
            }
        }
        let canonical = rec.canonical;
        f(
            h,
            &RawRecord {
                line: rec_line,
                offset,
                fields: by_col,
                canonical,
            },
            diags,
        );
    }
    if !saw_header_line {
        diags.push(
            Diagnostic::error(
                "missing-header",
                &src.path,
                None,
                Text::new(
                    "文件为空，缺少表头",
                    "the file is empty: the header line is missing",
                ),
            )
            .with_help(Text::new(
                format!("第一行写表头：{}", COLUMNS.join(",")),
                format!("start the file with the header: {}", COLUMNS.join(",")),
            )),
        );
    }
    header
}

/// The records of a CSV text, one after the other, as the `csv` crate reads them (RFC 4180
/// quoting; `\n`, `\r\n` or a lone `\r` ends a record; blank lines are skipped). Nearly every
/// record is a line without quotes, which is split at its commas here, its fields sliced from the
/// text; a record with a quote (or any record of a text with a lone `\r`) is read by `csv_core`.
struct Records<'t> {
    text: &'t str,
    /// Whether a `\r` ends a record without a `\n` somewhere: `csv_core` reads every record then.
    lone_cr: bool,
    events: Events<'t>,
    /// Taken at the first quoted record.
    quoted: Option<Quoted>,
    /// The canonical text of the last quoted record.
    canonical: String,
    /// The fields of the record last read.
    spans: Vec<(usize, usize)>,
    /// The record last read by `next_seven`.
    seven: RawRecord<'t>,
    pos: usize,
    line: usize,
}

impl Drop for Records<'_> {
    fn drop(&mut self) {
        if let Some(quoted) = self.quoted.take() {
            quoted.give_back();
        }
    }
}

/// One record of `Records`.
struct Record<'r> {
    /// Where it starts: byte offset and 1-based line.
    offset: usize,
    line: usize,
    /// Its physical fields, as byte ranges of `base` (the text for a plain record, the unquoted
    /// copy for a quoted one), and how many there are.
    base: &'r str,
    spans: &'r [(usize, usize)],
    count: usize,
    /// The fields as the shortest CSV that writes them: a plain record's own text.
    canonical: &'r str,
    /// Where a quote opens that is never closed (the record then runs to the end of the text
    /// and has no fields).
    unclosed: Option<usize>,
}

impl<'r> Record<'r> {
    /// The `i`-th physical field (empty past the last).
    fn field(&self, i: usize) -> &'r str {
        self.spans
            .get(i)
            .and_then(|&(a, b)| self.base.get(a..b))
            .unwrap_or_default()
    }
}

/// Whether a file's lines end in a lone CR (classic Mac, Excel for Mac's "CSV (Macintosh)"): its
/// first line does. Looked for on the first line only, so an ordinary file costs nothing.
pub fn cr_line_ends(text: &str) -> bool {
    let bytes = text.as_bytes();
    let first = memchr::memchr(b'\n', bytes).unwrap_or(bytes.len());
    memchr::memchr(b'\r', &bytes[..first]).is_some_and(|i| bytes.get(i + 1) != Some(&b'\n'))
}

impl<'t> Records<'t> {
    fn new(text: &'t str) -> Self {
        let bytes = text.as_bytes();
        Records {
            text,
            lone_cr: memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n')),
            events: Events::new(bytes),
            quoted: None,
            canonical: String::new(),
            spans: Vec::with_capacity(COLUMNS.len()),
            seven: RawRecord {
                line: 0,
                offset: 0,
                fields: [""; 7],
                canonical: "",
            },
            pos: 0,
            line: 1,
        }
    }

    /// The next record when it has exactly seven fields and no quote (nearly every record of a
    /// file under the standard header), its fields sliced from the text; `None`, having read
    /// nothing, for any other record, which `next` then reads.
    fn next_seven(&mut self) -> Option<&RawRecord<'t>> {
        let text = self.text;
        let bytes = text.as_bytes();
        self.skip_line_ends();
        if self.lone_cr || self.pos >= bytes.len() {
            return None;
        }
        let (offset, line) = (self.pos, self.line);
        let (ends, end, next) = split_seven(bytes, offset)?;
        // Written in place: the record is lent to the caller, not copied out.
        let rec = &mut self.seven;
        let mut start = offset;
        for (field, &end) in rec.fields.iter_mut().zip(&ends) {
            *field = slice(text, start, end);
            start = end + 1;
        }
        (rec.line, rec.offset) = (line, offset);
        rec.canonical = slice(text, offset, end);
        self.pos = next;
        self.line += usize::from(next > end);
        Some(&self.seven)
    }

    /// Moves past the line ends between records (blank lines, the `\n` of a CRLF that ended a
    /// quoted record).
    fn skip_line_ends(&mut self) {
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.pos)
            && (b == b'\n' || b == b'\r')
        {
            self.line += usize::from(b == b'\n');
            self.pos += 1;
        }
    }

    fn next(&mut self) -> Option<Record<'_>> {
        let text = self.text;
        let bytes = text.as_bytes();
        self.skip_line_ends();
        if self.pos >= bytes.len() {
            return None;
        }
        let (offset, line) = (self.pos, self.line);
        let plain = if self.lone_cr {
            None
        } else {
            self.events.split(bytes, offset, &mut self.spans)
        };
        if let Some((count, end, next)) = plain {
            self.pos = next;
            self.line += usize::from(bytes.get(next.wrapping_sub(1)) == Some(&b'\n'));
            return Some(Record {
                offset,
                line,
                base: text,
                spans: &self.spans,
                count,
                canonical: text.get(offset..end).unwrap_or_default(),
                unclosed: None,
            });
        }
        let quoted = self.quoted.get_or_insert_with(Quoted::take);
        self.pos = offset + quoted.read(&bytes[offset..]);
        self.line += memchr::memchr_iter(b'\n', &bytes[offset..self.pos]).count();
        // A quoted field still open at the end of the text can only be in its last record;
        // every record starts outside quotes, so the scan starts at this record's first byte.
        let unclosed = if self.pos >= bytes.len() {
            text.get(offset..)
                .and_then(unclosed_quote)
                .map(|q| offset + q)
        } else {
            None
        };
        let count = if unclosed.is_some() { 0 } else { quoted.fields };
        self.spans.clear();
        let mut start = 0;
        for &end in &quoted.ends[..count] {
            self.spans.push((start, end));
            start = end;
        }
        // Unquoting removes only quotes from UTF-8 text, which leaves it UTF-8.
        let used = quoted.ends[..count].last().copied().unwrap_or(0);
        let base = std::str::from_utf8(&quoted.out[..used]).unwrap_or_default();
        let record = Record {
            offset,
            line,
            base,
            spans: &self.spans,
            count,
            canonical: "",
            unclosed,
        };
        self.canonical.clear();
        for i in 0..count {
            if i > 0 {
                self.canonical.push(',');
            }
            write_field(&mut self.canonical, record.field(i));
        }
        Some(Record {
            canonical: &self.canonical,
            ..record
        })
    }
}

/// The commas, line feeds and quotes of a text, found one after the other, eight bytes at a time.
/// The three are the only bytes below `-` (0x2D) that a progress file usually has (with the
/// occasional space or bracket), so each eight-byte word is first asked at once whether it has
/// any byte below `-`: most words (digits, dates, Chinese text) have none and are passed over.
struct Events<'t> {
    bytes: &'t [u8],
    /// Where the current word starts.
    word: usize,
    /// The current word's bytes below `-` not yet looked at: bit 7 of each such byte (and
    /// perhaps of a byte just above one, which the caller checks like the others).
    mask: u64,
}

const ONES: u64 = u64::from_le_bytes([0x01; 8]);
const HIGH: u64 = u64::from_le_bytes([0x80; 8]);

/// Bit 7 set in each byte of `word` below `-` (0x2D) — a byte of a multi-byte character never is
/// — and possibly in a byte right above such a byte (the subtraction's borrow), never missing one.
fn below_dash(word: u64) -> u64 {
    word.wrapping_sub(ONES * 0x2d) & !word & HIGH
}

impl<'t> Events<'t> {
    fn new(bytes: &'t [u8]) -> Self {
        let mut events = Events {
            bytes,
            word: 0,
            mask: 0,
        };
        events.load(0);
        events
    }

    /// Makes the word that starts at `at` the current one (the last one may be short).
    fn load(&mut self, at: usize) {
        self.word = at;
        self.mask = word_flags(self.bytes, at);
    }

    /// Splits the record that starts at `start` at its commas when it has no quote: the byte
    /// range of each field goes in `spans`, and the number of fields, where the record's text
    /// ends (before its line end) and where the next record starts are returned. The caller
    /// knows that every `\r` of the text ends a CRLF.
    ///
    /// The current word and its flags stay in locals while the record is read (they are written
    /// back at its end, for the next record, which mostly starts in the same word).
    fn split(
        &mut self,
        bytes: &[u8],
        start: usize,
        spans: &mut Vec<(usize, usize)>,
    ) -> Option<(usize, usize, usize)> {
        spans.clear();
        if start < self.word || start >= self.word + 8 {
            // After a record read by `csv_core`: start again at the word that holds `start`.
            self.load(start - start % 8);
        }
        let (mut word, mut mask) = (self.word, self.mask);
        // Flags before `start` were handed out already, or lie in a record read otherwise.
        mask &= !0u64 << ((start - word) * 8);
        let mut field = start;
        loop {
            while mask != 0 {
                let i = word + (mask.trailing_zeros() / 8) as usize;
                mask &= mask - 1;
                match bytes.get(i) {
                    Some(b',') => {
                        spans.push((field, i));
                        field = i + 1;
                    }
                    Some(b'\n') => {
                        let end = if i > field && bytes[i - 1] == b'\r' {
                            i - 1
                        } else {
                            i
                        };
                        spans.push((field, end));
                        (self.word, self.mask) = (word, mask);
                        return Some((spans.len(), end, i + 1));
                    }
                    Some(b'"') => {
                        (self.word, self.mask) = (word, mask);
                        return None;
                    }
                    _ => {}
                }
            }
            if word + 8 >= bytes.len() {
                break;
            }
            word += 8;
            mask = word_flags(bytes, word);
        }
        (self.word, self.mask) = (word, mask);
        spans.push((field, bytes.len()));
        Some((spans.len(), bytes.len(), bytes.len()))
    }
}

/// `text[start..end]`, for bounds that `split_seven` found: `start` is where a record starts (the
/// text's start, or just after a line end) or just after a comma, `end` is at a comma or a line
/// end or is the text's length, and `start <= end`. The bytes before and at those places are
/// ASCII, so each is a character boundary; the checks of `str::get` took a quarter of splitting.
#[allow(unsafe_code)]
fn slice(text: &str, start: usize, end: usize) -> &str {
    debug_assert!(start <= end && text.is_char_boundary(start) && text.is_char_boundary(end));
    // SAFETY: as above, `start..end` lies in `text` and both ends are character boundaries.
    unsafe { text.get_unchecked(start..end) }
}

/// `Events::split` for a record of exactly seven fields without a quote, from the record's first
/// byte: where each field ends (a comma, or the record's end before its line end), where the
/// record's text ends and where the next record starts. Any other record gives `None`, for
/// `split` to read it from the same place.
///
/// The text is looked at a block at a time (`marks`): the commas before the block's first line
/// feed are taken at once, and the record ends at that line feed.
fn split_seven(bytes: &[u8], start: usize) -> Option<([usize; 7], usize, usize)> {
    let mut ends = [0; 7];
    let mut commas = 0;
    let mut at = start;
    while at < bytes.len() {
        let m = marks(bytes, at);
        // The block's bytes before its first line feed (all of them when it has none).
        let before = (m.line_feeds & m.line_feeds.wrapping_neg()).wrapping_sub(1);
        let mut found = m.commas & before;
        if m.quotes & before != 0 {
            return None;
        }
        while found != 0 {
            // A seventh comma is kept in the last field's place, an eighth ends the search.
            *ends.get_mut(commas)? = at + found.trailing_zeros() as usize;
            commas += 1;
            found &= found - 1;
        }
        if m.line_feeds != 0 {
            if commas != 6 {
                return None;
            }
            let i = at + m.line_feeds.trailing_zeros() as usize;
            let end = if i > ends[5] + 1 && bytes[i - 1] == b'\r' {
                i - 1
            } else {
                i
            };
            ends[6] = end;
            return Some((ends, end, i + 1));
        }
        at += BLOCK;
    }
    if commas != 6 {
        return None;
    }
    ends[6] = bytes.len();
    Some((ends, bytes.len(), bytes.len()))
}

/// The commas, line feeds and quotes of a block of text: bit `k` for the block's byte `k`.
#[derive(Debug, PartialEq)]
struct Marks {
    commas: u64,
    line_feeds: u64,
    quotes: u64,
}

/// The bytes `marks` looks at in one go.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
const BLOCK: usize = 16;
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
const BLOCK: usize = 8;

/// The marks of the `BLOCK` bytes of `bytes` from `at` (none past its end).
fn marks(bytes: &[u8], at: usize) -> Marks {
    let rest = bytes.get(at..).unwrap_or_default();
    match rest.first_chunk::<BLOCK>() {
        Some(block) => marks_of(block),
        None => {
            let mut block = [0u8; BLOCK];
            block[..rest.len()].copy_from_slice(rest);
            marks_of(&block)
        }
    }
}

/// On x86-64, with SSE2 (part of every x86-64 processor): sixteen bytes compared at once.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[allow(unsafe_code)]
fn marks_of(block: &[u8; BLOCK]) -> Marks {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_set_epi64x, _mm_set1_epi8};
    let (low, high) = block.split_at(8);
    let word = |half: &[u8]| i64::from_le_bytes(half.try_into().unwrap_or_default());
    // SAFETY: these intrinsics need SSE2 alone, which this build enables (the function exists
    // only then; SSE2 is in the baseline of every x86-64 target that has SIMD); they take and give
    // values, no pointers.
    let [commas, line_feeds, quotes] = unsafe {
        let v = _mm_set_epi64x(word(high), word(low));
        [b',', b'\n', b'"'].map(|b| _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8))))
    };
    let bits = |m: i32| u64::from(m as u16);
    Marks {
        commas: bits(commas),
        line_feeds: bits(line_feeds),
        quotes: bits(quotes),
    }
}

/// Elsewhere: eight bytes at a time, in one word.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn marks_of(block: &[u8; BLOCK]) -> Marks {
    swar_marks(u64::from_le_bytes(*block))
}

/// The marks of the eight bytes of `word` (the first byte lowest), without SIMD.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
fn swar_marks(word: u64) -> Marks {
    // Bit 7 of each byte equal to `b` (exactly: no borrow crosses bytes), then those eight bits
    // gathered into the low byte in byte order.
    let equal = |b: u8| {
        let x = word ^ (ONES * u64::from(b));
        let zero = !(((x & !HIGH) + !HIGH) | x) & HIGH;
        (zero >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
    };
    Marks {
        commas: equal(b','),
        line_feeds: equal(b'\n'),
        quotes: equal(b'"'),
    }
}

/// `below_dash` of the eight bytes at `at` (zeros past the end of `bytes`, which are flagged too
/// but lie past the end, where no caller looks).
fn word_flags(bytes: &[u8], at: usize) -> u64 {
    let rest = bytes.get(at..).unwrap_or_default();
    match rest.first_chunk::<8>() {
        Some(word) => below_dash(u64::from_le_bytes(*word)),
        None => {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            below_dash(u64::from_le_bytes(word))
        }
    }
}

/// Writes one field as CSV: quoted only when it must be.
fn write_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

thread_local! {
    static SPARE: std::cell::RefCell<Option<Quoted>> = const { std::cell::RefCell::new(None) };
}

/// A record read by `csv_core`: the fields unquoted into one buffer, and where each ends.
struct Quoted {
    reader: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    fields: usize,
}

impl Quoted {
    /// The reader this thread used for an earlier text, or a new one: building one costs as much
    /// as splitting a few hundred plain records.
    fn take() -> Quoted {
        let mut quoted = SPARE
            .with_borrow_mut(Option::take)
            .unwrap_or_else(|| Quoted {
                // `Reader::default()` would not build the reader's state machine: `new` does.
                reader: csv_core::Reader::new(),
                out: Vec::new(),
                ends: Vec::new(),
                fields: 0,
            });
        // From the start (an earlier text may have ended inside quotes). The reader drops a
        // byte-order mark at the start of its first input, which here is a record in the middle
        // of the text (`Source` has dropped the file's own mark already): a blank line read first
        // makes the mark an ordinary character, as for a plain record.
        quoted.reader.reset();
        let _ = quoted.reader.read_record(b"\n", &mut [0; 1], &mut [0; 1]);
        quoted
    }

    /// Keeps the reader for this thread's next text.
    fn give_back(self) {
        SPARE.with_borrow_mut(|spare| *spare = Some(self));
    }

    /// Reads the record at the start of `input` (which starts outside quotes), returning how many
    /// bytes it took: the whole of `input` when a quote is never closed.
    fn read(&mut self, input: &[u8]) -> usize {
        use csv_core::ReadRecordResult as R;
        // No reset between records: after a record the reader is at the start of the next one,
        // and the first read is the only one that would strip a byte-order mark.
        if self.out.is_empty() {
            self.out = vec![0; 1024];
            self.ends = vec![0; COLUMNS.len() + 1];
        }
        let (mut nin, mut nout, mut nend) = (0, 0, 0);
        loop {
            // An empty input tells the reader that the text ends there.
            let (res, i, o, e) = self.reader.read_record(
                &input[nin..],
                &mut self.out[nout..],
                &mut self.ends[nend..],
            );
            (nin, nout, nend) = (nin + i, nout + o, nend + e);
            match res {
                R::InputEmpty => {}
                R::OutputFull => self.out.resize(self.out.len() * 2, 0),
                R::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                R::Record | R::End => break,
            }
        }
        self.fields = nend;
        // A record takes at least one byte (it starts at one that is not a line end); the
        // fallback keeps a reader that took none from looping.
        if nin == 0 { input.len() } else { nin }
    }
}

fn read_header(
    src: &Source,
    line: usize,
    offset: usize,
    fields: &[&str],
    diags: &mut Diagnostics,
) -> Option<Header> {
    let mut h = Header {
        len: fields.len(),
        ..Header::default()
    };
    let mut ok = true;
    for (i, name) in fields.iter().enumerate() {
        match COLUMNS.iter().position(|c| c == name) {
            Some(col) if h.pos[col].is_some() => {
                ok = false;
                let first = field_place(src, offset, h.pos[col].unwrap_or_default()).column;
                diags.push(
                    Diagnostic::error(
                        "duplicate-column",
                        &src.path,
                        Some(field_place(src, offset, i)),
                        Text::new(
                            format!("列 `{name}` 重复出现，首次出现在第 {first} 列"),
                            format!("column `{name}` appears twice, first at column {first}"),
                        ),
                    )
                    .with_help(Text::new(
                        "每列在表头中只出现一次；删去重复的一列",
                        "each column appears once in the header; remove the repeated one",
                    )),
                );
            }
            Some(col) => h.pos[col] = Some(i),
            None => {
                ok = false;
                let lower = name.trim().to_lowercase();
                let guess = COLUMNS.iter().find(|c| **c == lower).copied().or_else(|| {
                    crate::workspace::toml_reader::did_you_mean(name, COLUMNS.iter().copied())
                });
                let d = Diagnostic::error(
                    "unknown-column",
                    &src.path,
                    Some(field_place(src, offset, i)),
                    Text::new(
                        format!("未知的列 `{name}`"),
                        format!("unknown column `{name}`"),
                    ),
                );
                let list = COLUMNS.join(", ");
                diags.push(d.with_help(match guess {
                    Some(g) => Text::new(
                        format!("是否应为 `{g}`？列名须为小写：{list}"),
                        format!("did you mean `{g}`? columns are lowercase: {list}"),
                    ),
                    None => Text::new(
                        format!("允许的列：{list}"),
                        format!("allowed columns: {list}"),
                    ),
                }));
            }
        }
    }
    for col in REQUIRED {
        if h.pos[col].is_none() {
            ok = false;
            diags.push(
                Diagnostic::error(
                    "missing-column",
                    &src.path,
                    Some(src.line_place(line)),
                    Text::new(
                        format!("表头缺少必需的列 `{}`", COLUMNS[col]),
                        format!("the header lacks the required column `{}`", COLUMNS[col]),
                    ),
                )
                .with_help(Text::new(
                    format!("表头应为：{}", COLUMNS.join(",")),
                    format!("the header should be: {}", COLUMNS.join(",")),
                )),
            );
        }
    }
    ok.then_some(h)
}

/// Where a quoted field starts that is still open at the end of `text`, read as the `csv` reader
/// does (a quote opens a quoted field only at the start of a field; `""` inside one is a quote).
fn unclosed_quote(text: &str) -> Option<usize> {
    #[derive(PartialEq)]
    enum S {
        Start,
        Field,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = S::Start;
    let mut opened = 0;
    for (i, b) in text.bytes().enumerate() {
        state = match (state, b) {
            (S::Start, b'"') => {
                opened = i;
                S::Quoted
            }
            (S::Start | S::Field | S::QuoteInQuoted, b',' | b'\r' | b'\n') => S::Start,
            (S::Start | S::Field, _) => S::Field,
            (S::Quoted, b'"') => S::QuoteInQuoted,
            (S::Quoted, _) => S::Quoted,
            (S::QuoteInQuoted, b'"') => S::Quoted,
            (S::QuoteInQuoted, _) => S::Field,
        };
    }
    (state == S::Quoted).then_some(opened)
}

/// Where the `index`-th physical field of the record starting at byte `offset` starts, found by
/// scanning the record again (only done when a diagnostic needs it).
pub fn field_place(src: &Source, offset: usize, index: usize) -> Place {
    let bytes = src.text.as_bytes();
    let mut i = offset.min(bytes.len());
    let mut field = 0;
    while field < index && i < bytes.len() {
        if bytes[i] == b'"' {
            i += 1;
            while i < bytes.len() {
                if bytes[i] == b'"' {
                    if bytes.get(i + 1) == Some(&b'"') {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
        }
        while i < bytes.len() && bytes[i] != b',' && bytes[i] != b'\n' && bytes[i] != b'\r' {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b',' {
            i += 1;
            field += 1;
        } else {
            break;
        }
    }
    // Width: up to the closing quote, or to the next separator.
    let mut end = i;
    if bytes.get(end) == Some(&b'"') {
        end += 1;
        while end < bytes.len() {
            if bytes[end] == b'"' {
                if bytes.get(end + 1) == Some(&b'"') {
                    end += 2;
                    continue;
                }
                end += 1;
                break;
            }
            end += 1;
        }
    } else {
        while end < bytes.len() && !matches!(bytes[end], b',' | b'\n' | b'\r') {
            end += 1;
        }
    }
    src.place(i..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_places_follow_quotes_and_characters() {
        let src = Source::new(
            "r.csv",
            "date,item,value,note,evidence,reporter\n2014-01-31,E1,\"a,\"\"b\"\"\",注意,,张敏\n"
                .into(),
        );
        let off = src.text.find("2014").unwrap();
        let p = field_place(&src, off, 3);
        assert_eq!((p.line, p.column), (2, 25));
        let p = field_place(&src, off, 5);
        assert_eq!((p.line, p.column, p.width), (2, 29, 2));
    }

    #[test]
    fn records_are_placed_at_their_physical_lines() {
        // CRLF line ends, blank lines and a multi-line note.
        let src = Source::new(
            "r.csv",
            "date,item,value,reporter\r\n\r\n2014-01-31,E1,1,a\r\n  \n2014-02-28,E1,\"x\ny\",a\n2014-03-31,E1,3,a"
                .into(),
        );
        let mut d = Diagnostics::new();
        let mut seen = Vec::new();
        read(&src, &mut d, |_, rec, _| {
            let p = field_place(&src, rec.offset, 2);
            seen.push((rec.line, p.line, p.column));
        });
        assert!(d.is_empty(), "{:?}", d.sorted());
        assert_eq!(seen, [(3, 3, 15), (5, 5, 15), (7, 7, 15)]);
    }

    #[test]
    fn fields_are_the_same_whether_sliced_or_unquoted() {
        let src = Source::new(
            "r.csv",
            "date,item,value,note,reporter\n2014-01-31,E1,1,办结,张敏\n2014-02-28,E1,2,\"a,\"\"b\"\"\",张敏\r\n2014-03-31,E1,3,x\"y,张敏\n2014-04-30,E1,4,\"\",张敏"
                .into(),
        );
        let mut d = Diagnostics::new();
        let mut seen = Vec::new();
        read(&src, &mut d, |_, rec, _| {
            seen.push((
                rec.fields[NOTE].to_string(),
                rec.fields[REPORTER].to_string(),
            ))
        });
        assert!(d.is_empty(), "{:?}", d.sorted());
        let notes: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(notes, ["办结", "a,\"b\"", "x\"y", ""]);
        assert!(seen.iter().all(|(_, r)| r == "张敏"));
    }

    #[test]
    fn an_unclosed_quote_is_found_where_it_opens() {
        assert_eq!(unclosed_quote("a,b\n1,\"x\"\"y\"\n"), None);
        assert_eq!(unclosed_quote("a,b\n1,x\"y\n"), None);
        assert_eq!(unclosed_quote("a,b\n1,\"x\n2,3\n"), Some(6));
        let src = Source::new(
            "r.csv",
            "date,item,value,reporter\n2014-01-31,E1,\"1,a\n".into(),
        );
        let mut d = Diagnostics::new();
        read(&src, &mut d, |_, _, _| panic!("no record"));
        let list = d.sorted();
        assert_eq!(list.len(), 1);
        assert_eq!(
            (list[0].code, list[0].line(), list[0].column()),
            ("csv-syntax", Some(2), Some(15))
        );
    }

    /// The fields of each record of `text` as the `csv` crate reads them.
    fn csv_crate(text: &str) -> Vec<Vec<String>> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        rdr.byte_records()
            .map(|r| {
                let r = r.unwrap();
                r.iter()
                    .map(|f| String::from_utf8(f.to_vec()).unwrap())
                    .collect()
            })
            .collect()
    }

    fn ours(text: &str) -> Vec<Vec<String>> {
        let mut records = Records::new(text);
        let mut out = Vec::new();
        while let Some(rec) = records.next() {
            // An unclosed quote is reported instead of read; the `csv` crate reads it to the end.
            if rec.unclosed.is_some() {
                break;
            }
            out.push((0..rec.count).map(|i| rec.field(i).to_string()).collect());
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn records_are_read_as_the_csv_crate_reads_them(
            text in proptest::string::string_regex("[a,\"\n\r 中\u{feff}\\-+!0-9\u{0}-\u{1f}]{0,60}").unwrap()
        ) {
            // The `csv` crate drops a byte-order mark at the start; `Source` has done that.
            let text = text.trim_start_matches('\u{feff}');
            let theirs = csv_crate(text);
            let unclosed = {
                let mut records = Records::new(text);
                let mut open = false;
                while let Some(rec) = records.next() {
                    open |= rec.unclosed.is_some();
                }
                open
            };
            let mine = ours(text);
            if unclosed {
                proptest::prop_assert_eq!(&mine[..], &theirs[..mine.len()]);
            } else {
                proptest::prop_assert_eq!(mine, theirs);
            }
        }

        #[test]
        fn a_record_starts_on_the_line_the_text_puts_it(
            text in proptest::string::string_regex("[a,\"\n\r]{0,40}").unwrap()
        ) {
            let mut records = Records::new(&text);
            while let Some(rec) = records.next() {
                let before = &text[..rec.offset];
                proptest::prop_assert_eq!(rec.line, before.matches('\n').count() + 1);
                proptest::prop_assert!(!matches!(text.as_bytes()[rec.offset], b'\r' | b'\n'));
            }
        }
    }

    /// Every record `read_with` hands on (line, place, fields, canonical text) and its problems.
    fn handed_on(text: &str, plain: bool) -> (Vec<String>, Vec<String>) {
        let src = Source::new("r.csv", text.to_string());
        let mut diags = Diagnostics::new();
        let mut seen = Vec::new();
        read_with(&src, &mut diags, plain, |_, rec, _| {
            seen.push(format!(
                "{}:{} {:?} {:?}",
                rec.line, rec.offset, rec.fields, rec.canonical
            ));
        });
        let problems = diags.iter().map(|d| format!("{d:?}")).collect();
        (seen, problems)
    }

    proptest::proptest! {
        /// Records of seven plain fields are read apart (`Records::next_seven`); the records and
        /// problems are those of reading every record the general way. The text is a standard
        /// header and lines of fields that are mostly short, so that many lines have seven; some
        /// are long, so that a record spans several of `marks`' blocks.
        #[test]
        fn seven_plain_fields_are_read_as_any_record(
            lines in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::prop_oneof![
                        12 => proptest::string::string_regex("[a中 0-9]{0,3}").unwrap(),
                        2 => proptest::string::string_regex("[a中 0-9]{8,40}").unwrap(),
                        1 => proptest::string::string_regex("[\"\r\n,\u{feff}]").unwrap(),
                    ],
                    5..9,
                ),
                0..12,
            ),
            ends in proptest::collection::vec(
                proptest::sample::select(vec!["\n", "\n", "\n", "\r\n", "\n\n", "\r", ""]),
                12,
            ),
            marker in proptest::option::weighted(0.1, (0..12usize, proptest::bool::ANY)),
        ) {
            let mut text = String::from("date,item,value,note,evidence,reporter,filed\n");
            for (i, (fields, end)) in lines.iter().zip(&ends).enumerate() {
                match marker {
                    // A marker line is skipped, even one of seven fields.
                    Some((at, commas)) if at == i => {
                        text.push_str(if commas { "=======,,,,,,\n" } else { "<<<<<<< HEAD\n" });
                    }
                    _ => {}
                }
                text.push_str(&fields.join(","));
                text.push_str(end);
            }
            let plain = handed_on(&text, true);
            proptest::prop_assert_eq!(&plain, &handed_on(&text, false));
        }
    }

    /// What `marks` must find: every comma, line feed and quote of the block, nothing else.
    fn marks_by_byte(block: &[u8]) -> Marks {
        let bits = |b: u8| {
            block
                .iter()
                .enumerate()
                .filter(|(_, c)| **c == b)
                .fold(0u64, |m, (k, _)| m | 1 << k)
        };
        Marks {
            commas: bits(b','),
            line_feeds: bits(b'\n'),
            quotes: bits(b'"'),
        }
    }

    proptest::proptest! {
        /// The block at any place of a text, its end included, and the portable word reading.
        #[test]
        fn marks_are_the_commas_line_feeds_and_quotes(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    3 => proptest::num::u8::ANY,
                    1 => proptest::sample::select(b",\n\"\r\0".to_vec()),
                ],
                0..40,
            ),
            at in 0..40usize,
        ) {
            let at = at.min(bytes.len());
            let block = &bytes[at..(at + BLOCK).min(bytes.len())];
            proptest::prop_assert_eq!(marks(&bytes, at), marks_by_byte(block));
            let mut word = [0u8; 8];
            let eight = &bytes[at..(at + 8).min(bytes.len())];
            word[..eight.len()].copy_from_slice(eight);
            proptest::prop_assert_eq!(swar_marks(u64::from_le_bytes(word)), marks_by_byte(eight));
        }
    }

    #[test]
    fn seven_plain_fields_keep_their_lines_and_line_ends() {
        let text = "date,item,value,note,evidence,reporter,filed\r\n\r\na,b,c,d,e,f,g\r\na,b,,,,f,\n\"q\",b,c,d,e,f,g\na,b,c,d,e,f,g,h\na,b,c,d,e,f,\r";
        let (plain, problems) = handed_on(text, true);
        assert_eq!((plain.clone(), problems.clone()), handed_on(text, false));
        assert_eq!(plain.len(), 4, "{plain:?}");
        assert!(plain[0].starts_with("3:"), "{plain:?}");
        assert!(plain[1].starts_with("4:"), "{plain:?}");
        assert_eq!(problems.len(), 1, "the eight-field record: {problems:?}");
    }

    proptest::proptest! {
        #[test]
        fn every_byte_below_a_dash_is_flagged(word: u64) {
            let flags = below_dash(word);
            for (i, b) in word.to_le_bytes().into_iter().enumerate() {
                if b < 0x2d {
                    proptest::prop_assert!(flags & (0x80 << (8 * i)) != 0, "{word:#x}, byte {i}");
                }
            }
        }
    }

    #[test]
    fn plain_and_quoted_records_have_one_canonical_text() {
        let text = "a,b c,d\n\"a\",\"b c\",d\n\"a,1\",\"x\"\"y\",z\r\n";
        let mut records = Records::new(text);
        let mut seen = Vec::new();
        while let Some(rec) = records.next() {
            seen.push(rec.canonical.to_string());
        }
        assert_eq!(seen, ["a,b c,d", "a,b c,d", "\"a,1\",\"x\"\"y\",z"]);
    }

    #[test]
    fn a_header_of_many_fields_names_each_unknown_column() {
        // Found by comparing with the csv crate's reading on mutated files: fields past the
        // eighth were once read as empty.
        let src = Source::new(
            "r.csv",
            "date,item,value,note,evidence,reporter,filed,a,b,c,钟文静\n".into(),
        );
        let mut d = Diagnostics::new();
        assert!(read(&src, &mut d, |_, _, _| {}).is_none());
        let unknown: Vec<String> = d
            .sorted()
            .iter()
            .map(|d| format!("{}@{}", d.message.en, d.column().unwrap_or(0)))
            .collect();
        assert_eq!(
            unknown,
            [
                "unknown column `a`@46",
                "unknown column `b`@48",
                "unknown column `c`@50",
                "unknown column `钟文静`@52"
            ]
        );
    }

    #[test]
    fn empty_file_is_a_missing_header() {
        let src = Source::new("r.csv", String::new());
        let mut d = Diagnostics::new();
        assert!(read(&src, &mut d, |_, _, _| {}).is_none());
        assert_eq!(d.sorted()[0].code, "missing-header");
    }
}
