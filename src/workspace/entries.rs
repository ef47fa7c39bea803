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
    if text.contains("<<<<<<<") || text.contains("=======") || text.contains(">>>>>>>") {
        for (i, line) in text.split('\n').enumerate() {
            if is_conflict_marker(line) {
                markers.push(i + 1);
                diags.push(
                    Diagnostic::error(
                        "conflict-marker",
                        &src.path,
                        Some(src.line_place(i + 1)),
                        Text::new("git 合并冲突标记：该文件的合并没有完成", "git conflict marker: a merge of this file was left unfinished"),
                    )
                    .with_help(Text::new(
                        "保留双方新增的记录，删除 <<<<<<<、=======、>>>>>>> 三种标记行，再运行 `perf check`",
                        "keep the entries of both sides, delete the <<<<<<<, ======= and >>>>>>> lines, then run `perf check` again",
                    )),
                );
            }
        }
    }

    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rec = csv::ByteRecord::new();
    let mut header: Option<Header> = None;
    let mut saw_header_line = false;
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
        let pos = rec.position().cloned().unwrap_or_else(csv::Position::new);
        let line = pos.line() as usize;
        let offset = pos.byte() as usize;
        if markers.binary_search(&line).is_ok() {
            continue;
        }
        let fields: Vec<&str> = rec
            .iter()
            .map(|b| std::str::from_utf8(b).unwrap_or_default())
            .collect();
        if !saw_header_line {
            saw_header_line = true;
            header = read_header(src, line, offset, &fields, diags);
            header.as_ref()?;
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
        for (col, p) in h.pos.iter().enumerate() {
            if let Some(p) = p {
                by_col[col] = fields[*p];
            }
        }
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
                diags.push(Diagnostic::error(
                    "duplicate-column",
                    &src.path,
                    Some(field_place(src, offset, i)),
                    Text::new(
                        format!("列 `{name}` 重复出现"),
                        format!("column `{name}` appears twice"),
                    ),
                ));
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
    fn empty_file_is_a_missing_header() {
        let src = Source::new("r.csv", String::new());
        let mut d = Diagnostics::new();
        assert!(read(&src, &mut d, |_, _, _| {}).is_none());
        assert_eq!(d.sorted()[0].code, "missing-header");
    }
}
