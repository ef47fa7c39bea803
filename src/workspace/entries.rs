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
}

/// One record: its fields by column (`""` for an absent column) and where it starts.
#[derive(Debug)]
pub struct RawRecord<'r> {
    pub line: usize,
    pub offset: usize,
    pub fields: [&'r str; 7],
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
/// record. Returns the header when there is a usable one.
pub fn read(
    src: &Source,
    diags: &mut Diagnostics,
    mut f: impl FnMut(&Header, &RawRecord<'_>, &mut Diagnostics),
) -> Option<Header> {
    let text = src.text.as_str();
    // Conflict markers first: their lines are reported once and skipped as records.
    let mut markers = Vec::new();
    for d in conflict_markers(src) {
        markers.extend(d.line());
        diags.push(d);
    }

    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rec = csv::ByteRecord::new();
    let mut header: Option<Header> = None;
    let mut saw_header_line = false;
    // The column of each field, by its position in the header.
    let mut column_of: Vec<Option<usize>> = Vec::new();
    let mut line = 1;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(1, |p| p.line() as usize);
                diags.push(Diagnostic::error(
                    "csv-syntax",
                    &src.path,
                    Some(src.line_place(line.min(src.line_of(text.len())).max(1))),
                    Text::new(format!("CSV 格式错误：{e}"), format!("malformed CSV: {e}")),
                ));
                break;
            }
        }
        // The reader's position of a record starts at the end of the previous one: after the `\r`
        // of a CRLF, before any blank lines. The record itself starts after those line ends, and
        // its line is counted here, from the text, so blank lines and CRLF count as they should.
        let mut offset = rec.position().map_or(0, |p| p.byte() as usize);
        while matches!(text.as_bytes().get(offset), Some(b'\r' | b'\n')) {
            offset += 1;
        }
        line = src.line_from(line, offset.min(text.len()));
        if markers.binary_search(&line).is_ok() {
            continue;
        }
        let end = (rdr.position().byte() as usize).min(text.len());
        // A quoted field still open at the end of the file can only be in its last record; every
        // record starts outside quotes, so the scan starts at this record's first byte.
        if end >= text.len()
            && let Some(q) = text.get(offset..).and_then(unclosed_quote)
        {
            let q = offset + q;
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
        let fields = Fields::new(text, offset, end, &rec);
        // A line of nothing but spaces or tabs is a blank line too.
        if fields.len() == 1
            && fields.get(0).trim().is_empty()
            && text.as_bytes().get(offset) != Some(&b'"')
        {
            continue;
        }
        if !saw_header_line {
            saw_header_line = true;
            let names: Vec<&str> = (0..fields.len()).map(|i| fields.get(i)).collect();
            header = read_header(src, line, offset, &names, diags);
            let h = header.as_ref()?;
            column_of = vec![None; h.len];
            for (col, p) in h.pos.iter().enumerate() {
                if let Some(p) = p {
                    column_of[*p] = Some(col);
                }
            }
            continue;
        }
        let h = header.as_ref()?;
        if fields.len() != h.len {
            diags.push(
                Diagnostic::error(
                    "field-count",
                    &src.path,
                    Some(src.line_place(line)),
                    Text::new(
                        format!("该行有 {} 个字段，表头有 {} 列", fields.len(), h.len),
                        format!(
                            "this record has {} fields, the header has {} columns",
                            fields.len(),
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
        fields.each(|i, field| {
            if let Some(col) = column_of.get(i).copied().flatten() {
                by_col[col] = field;
            }
        });
        f(
            h,
            &RawRecord {
                line,
                offset,
                fields: by_col,
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

/// The fields of one record as text. Where no field was quoted (the usual case) the record's
/// bytes are its fields and commas, so each field is a slice of the already validated text;
/// otherwise the reader's unquoted copy is checked as UTF-8 (it always is: quotes and commas are
/// ASCII).
struct Fields<'t, 'r> {
    text: &'t str,
    /// Where the record starts in `text`, when its fields are verbatim there.
    verbatim: Option<usize>,
    rec: &'r csv::ByteRecord,
}

impl<'t, 'r> Fields<'t, 'r> {
    fn new(text: &'t str, offset: usize, end: usize, rec: &'r csv::ByteRecord) -> Self {
        let mut raw = end.max(offset);
        while raw > offset && matches!(text.as_bytes()[raw - 1], b'\r' | b'\n') {
            raw -= 1;
        }
        // Unquoting only ever removes bytes, so equal lengths mean nothing was unquoted.
        let verbatim =
            (rec.as_slice().len() + rec.len().saturating_sub(1) == raw - offset).then_some(offset);
        Fields {
            text,
            verbatim,
            rec,
        }
    }

    fn len(&self) -> usize {
        self.rec.len()
    }

    /// Every field in order, without looking each one up.
    fn each(&self, mut f: impl FnMut(usize, &'r str))
    where
        't: 'r,
    {
        let mut at = self.verbatim;
        for (i, bytes) in self.rec.iter().enumerate() {
            let sliced = at.and_then(|start| self.text.get(start..start + bytes.len()));
            f(
                i,
                sliced.unwrap_or_else(|| std::str::from_utf8(bytes).unwrap_or_default()),
            );
            at = at.map(|start| start + bytes.len() + 1);
        }
    }

    fn get(&self, i: usize) -> &'r str
    where
        't: 'r,
    {
        let range = self.rec.range(i).unwrap_or_default();
        if let Some(at) = self.verbatim
            && let Some(s) = self.text.get(at + range.start + i..at + range.end + i)
        {
            return s;
        }
        std::str::from_utf8(&self.rec.as_slice()[range]).unwrap_or_default()
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

    #[test]
    fn empty_file_is_a_missing_header() {
        let src = Source::new("r.csv", String::new());
        let mut d = Diagnostics::new();
        assert!(read(&src, &mut d, |_, _, _| {}).is_none());
        assert_eq!(d.sorted()[0].code, "missing-header");
    }
}
