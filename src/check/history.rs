//! `perf check --base REV`: entries are never edited or removed (SPEC §3, §5).
//!
//! The records of a progress file in the working tree must be those of its version at the merge
//! base, followed by new ones. Records are compared as maps from column name to text, where an
//! absent column equals an empty one (so line ends, quoting, a byte-order mark, column order or a
//! newly added `filed` column are not edits). New records of a file that has a `filed` column must
//! have a `filed` date.
//!
//! `compare` is the rule itself, on two lists of records; `judge` turns its verdict into
//! diagnostics for one file; `check` walks the workspace and asks git for the base versions.

use std::collections::BTreeSet;
use std::ops::Range;

use anyhow::Result;

use crate::diag::{Diagnostic, Diagnostics, Place, Text};
use crate::workspace::entries::{self, COLUMNS, DATE, FILED, Header, ITEM};
use crate::workspace::git::Base;
use crate::workspace::source::Source;
use crate::workspace::{self, Workspace};

/// A record's text by column (`""` for an absent column), with line ends inside fields as `\n`.
pub type Fields = [String; 7];

/// One record of a progress file: where it starts and its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub offset: usize,
    pub fields: Fields,
}

/// The records of one version of a progress file, as far as they can be read.
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub header: Option<Header>,
    /// The well-formed records before the first problem of the file's shape.
    pub list: Vec<Record>,
    /// Whether `list` is every record of the file: false when the file has a CSV-level problem
    /// (no usable header, a malformed record, a conflict marker, an unclosed quote).
    pub complete: bool,
}

impl Records {
    /// Reads `src` as `perf check` does, keeping the records that come before its first problem.
    pub fn read(src: &Source) -> Records {
        if src.text.trim().is_empty() {
            // An empty file holds no records yet: nothing to lose, everything after it is new.
            return Records {
                header: None,
                list: Vec::new(),
                complete: true,
            };
        }
        let mut diags = Diagnostics::new();
        let mut list = Vec::new();
        let header = entries::read(src, &mut diags, |_, rec, _| {
            list.push(Record {
                line: rec.line,
                offset: rec.offset,
                fields: rec.fields.map(|f| f.replace("\r\n", "\n")),
            });
        });
        // A problem of the whole file (line 0) leaves nothing that can be trusted.
        let first_problem = diags.iter().map(|d| d.line().unwrap_or(0)).min();
        if let Some(first) = first_problem {
            list.retain(|r| r.line < first);
        }
        Records {
            complete: first_problem.is_none() && header.is_some(),
            header,
            list,
        }
    }

    /// The records of a version that cannot be read at all (not UTF-8, say).
    pub fn unreadable() -> Records {
        Records::default()
    }

    fn fields(&self) -> Vec<&Fields> {
        self.list.iter().map(|r| &r.fields).collect()
    }
}

/// The first way in which the working tree's records are not the base's followed by new ones.
/// Indices are into the base's and the working tree's record lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The record at `head` stands where the base's record `base` stood, with other text.
    Edited { head: usize, base: usize },
    /// The base's record `base` is gone: it stood where the record `head` now stands, or, with
    /// `head` = `None`, after the last record (records were cut from the end).
    Removed { head: Option<usize>, base: usize },
    /// The record at `head` is the base's record `was`, out of its place: the base's record `base`
    /// should stand here.
    Moved {
        head: usize,
        was: usize,
        base: usize,
    },
    /// The record at `head` is new, but stands before the base's record `base`.
    Inserted { head: usize, base: usize },
}

/// What `compare` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub change: Option<Change>,
    /// The working tree's new records (indices), when they can be told: the base's records are
    /// all there, in order, and the base could be read completely.
    pub new: Option<Range<usize>>,
}

/// The rule: are `head`'s records `base`'s followed by new ones? Only what both lists hold is
/// compared: records missing from the end of an incomplete `head` are not called removed, and the
/// new records of `head` are known only when `base` is complete.
pub fn compare(
    base: &[&Fields],
    base_complete: bool,
    head: &[&Fields],
    head_complete: bool,
) -> Verdict {
    let common = base.len().min(head.len());
    let Some(i) = (0..common).find(|&i| base[i] != head[i]) else {
        if head.len() < base.len() {
            let change = head_complete.then_some(Change::Removed {
                head: None,
                base: head.len(),
            });
            return Verdict { change, new: None };
        }
        let new = base_complete.then_some(base.len()..head.len());
        return Verdict { change: None, new };
    };
    let expected_later = head[i + 1..].contains(&base[i]);
    let found_later = base[i + 1..].iter().position(|f| *f == head[i]);
    let change = match (expected_later, found_later) {
        (true, Some(j)) => Change::Moved {
            head: i,
            was: i + 1 + j,
            base: i,
        },
        (true, None) => Change::Inserted { head: i, base: i },
        (false, Some(_)) => Change::Removed {
            head: Some(i),
            base: i,
        },
        (false, None) => Change::Edited { head: i, base: i },
    };
    Verdict {
        change: Some(change),
        new: None,
    }
}

/// How the help of a diagnostic names the base version of a file.
pub struct BaseName<'a> {
    /// The merge base, abbreviated.
    pub commit: &'a str,
    /// The file's path inside the repository (for `git show commit:path`).
    pub repo_path: &'a str,
}

/// The diagnostics of one progress file present in the working tree: `head` is its text there,
/// `base` its records at the merge base (empty and complete for a file that is new).
pub fn judge(
    base: &Records,
    head_src: &Source,
    head: &Records,
    name: &BaseName<'_>,
) -> Vec<Diagnostic> {
    let verdict = compare(&base.fields(), base.complete, &head.fields(), head.complete);
    let path = head_src.path.as_str();
    let show = format!("git show {}:{}", name.commit, name.repo_path);
    let mut out = Vec::new();
    if let Some(change) = verdict.change {
        out.push(changed(base, head_src, head, change, &show));
    }
    if let (Some(new), Some(h)) = (verdict.new, &head.header)
        && h.has(FILED)
    {
        for rec in &head.list[new] {
            if !rec.fields[FILED].trim().is_empty() {
                continue;
            }
            out.push(
                Diagnostic::error(
                    "filed-required",
                    path,
                    Some(field_at(head_src, h, rec, FILED)),
                    Text::new(
                        "新增记录缺少 `filed` 录入日期：该文件有 `filed` 列",
                        "a new record needs a `filed` date: the file has a `filed` column",
                    ),
                )
                .with_help(Text::new(
                    "填写录入这条记录的日期（YYYY-MM-DD）；`perf report add` 会自动填写",
                    "write the day the entry is recorded, as YYYY-MM-DD; `perf report add` fills it in",
                )),
            );
        }
    }
    out
}

/// The diagnostic of a file that the merge base has and the working tree has not.
pub fn removed_file(rel: &str, base: &Records, name: &BaseName<'_>) -> Diagnostic {
    let n = base.list.len();
    let (zh, en) = if n == 0 {
        (
            "进度文件被删除".to_string(),
            "the progress file was removed".to_string(),
        )
    } else {
        (
            format!("进度文件被删除：合并基准中它有 {n} 条记录"),
            format!(
                "the progress file was removed: at the merge base it holds {n} record{}",
                if n == 1 { "" } else { "s" }
            ),
        )
    };
    Diagnostic::error("file-removed", rel, None, Text::new(zh, en)).with_help(Text::new(
        format!(
            "记录一经提交不得删除：在工作区根目录运行 `git checkout {} -- {rel}` 恢复该文件；更正请追加新记录",
            name.commit
        ),
        format!(
            "entries are never removed: restore the file with `git checkout {} -- {rel}` (in the workspace root); a correction is a new entry",
            name.commit
        ),
    ))
}

fn changed(base: &Records, src: &Source, head: &Records, change: Change, show: &str) -> Diagnostic {
    let path = src.path.as_str();
    let line_of = |i: usize| base.list[i].line;
    let what = |i: usize| {
        let f = &base.list[i].fields;
        format!("{}, {}", shorten(&f[DATE]), shorten(&f[ITEM]))
    };
    let at = |i: usize| src.line_place(head.list[i].line);
    match change {
        Change::Edited { head: h, base: b } => {
            let (old, new) = (&base.list[b].fields, &head.list[h].fields);
            let hdr = head.header.as_ref();
            // The first column that differs, in the order of the working tree's header.
            let col = (0..COLUMNS.len())
                .filter(|c| old[*c] != new[*c])
                .min_by_key(|c| hdr.and_then(|hd| hd.pos[*c]).unwrap_or(usize::MAX))
                .unwrap_or(0);
            let place = match hdr {
                Some(hd) => field_at(src, hd, &head.list[h], col),
                None => at(h),
            };
            let (name, was, is) = (COLUMNS[col], shorten(&old[col]), shorten(&new[col]));
            Diagnostic::error(
                "history-edited",
                path,
                Some(place),
                Text::new(
                    format!(
                        "记录被修改：合并基准中第 {} 行的记录，`{name}` 原为 `{was}`，现为 `{is}`",
                        line_of(b)
                    ),
                    format!(
                        "an entry was edited: in the record of line {} at the merge base, `{name}` was `{was}` and is `{is}`",
                        line_of(b)
                    ),
                ),
            )
            .with_help(Text::new(
                format!(
                    "记录一经提交不得修改：按原样恢复这条记录（`{show}`），更正请在文件末尾追加一条新记录"
                ),
                format!(
                    "entries are never edited: put the record back as it was (`{show}`); a correction is a new entry at the end of the file"
                ),
            ))
        }
        Change::Removed { head: h, base: b } => {
            let (place, zh, en) = match h {
                Some(h) => (
                    at(h),
                    format!(
                        "记录被删除：合并基准中第 {} 行的记录（{}）原在本行之前",
                        line_of(b),
                        what(b)
                    ),
                    format!(
                        "an entry was removed: the record of line {} at the merge base ({}) stood before this one",
                        line_of(b),
                        what(b)
                    ),
                ),
                None => {
                    let gone = base.list.len() - b;
                    let (zh, en) = if gone == 1 {
                        (
                            format!(
                                "记录被删除：文件末尾少了合并基准中第 {} 行的记录（{}）",
                                line_of(b),
                                what(b)
                            ),
                            format!(
                                "an entry was removed from the end of the file: the record of line {} at the merge base ({}) is missing",
                                line_of(b),
                                what(b)
                            ),
                        )
                    } else {
                        (
                            format!(
                                "记录被删除：文件末尾少了 {gone} 条记录，自合并基准中第 {} 行的记录（{}）起",
                                line_of(b),
                                what(b)
                            ),
                            format!(
                                "{gone} entries were removed from the end of the file: the records from line {} at the merge base ({}) on are missing",
                                line_of(b),
                                what(b)
                            ),
                        )
                    };
                    (after_last_record(src), zh, en)
                }
            };
            Diagnostic::error("history-removed", path, Some(place), Text::new(zh, en)).with_help(
                Text::new(
                    format!(
                        "记录一经提交不得删除：恢复被删除的记录（`{show}`），更正请在文件末尾追加一条新记录"
                    ),
                    format!(
                        "entries are never removed: put the record back (`{show}`); a correction is a new entry at the end of the file"
                    ),
                ),
            )
        }
        Change::Moved {
            head: h,
            was,
            base: b,
        } => Diagnostic::error(
            "history-reordered",
            path,
            Some(at(h)),
            Text::new(
                format!(
                    "记录顺序被改变：这是合并基准中第 {} 行的记录，本行应为第 {} 行的记录（{}）",
                    line_of(was),
                    line_of(b),
                    what(b)
                ),
                format!(
                    "entries were reordered: this is the record of line {} at the merge base; the record of line {} ({}) belongs here",
                    line_of(was),
                    line_of(b),
                    what(b)
                ),
            ),
        )
        .with_help(Text::new(
            format!(
                "记录按添加顺序保存，不得调整：恢复合并基准中的顺序（`{show}`），新记录追加在文件末尾；更正也是一条新记录"
            ),
            format!(
                "entries stay in the order they were added: restore the order of the merge base (`{show}`) and add new entries at the end; a correction is a new entry"
            ),
        )),
        Change::Inserted { head: h, base: b } => Diagnostic::error(
            "history-reordered",
            path,
            Some(at(h)),
            Text::new(
                format!(
                    "新记录插在了已有记录之前：本行应为合并基准中第 {} 行的记录（{}）",
                    line_of(b),
                    what(b)
                ),
                format!(
                    "a new entry stands before older ones: the record of line {} at the merge base ({}) belongs here",
                    line_of(b),
                    what(b)
                ),
            ),
        )
        .with_help(Text::new(
            "新记录（包括更正）一律追加在文件末尾：把这一行移到最后一条记录之后",
            "new entries, corrections included, go at the end of the file: move this line after the last record",
        )),
    }
}

/// The place of a column of a record of the working tree.
fn field_at(src: &Source, header: &Header, rec: &Record, col: usize) -> Place {
    match header.pos[col] {
        Some(i) => entries::field_place(src, rec.offset, i),
        None => src.line_place(rec.line),
    }
}

/// Where a record cut from the end should be: the line after the last one with text (the last
/// line of the file, when there is none after it).
fn after_last_record(src: &Source) -> Place {
    let text = src.text.as_str();
    let end = text.trim_end().len();
    let last_line = src.line_of(text.len()).max(1);
    let line = (src.line_of(end) + 1).min(last_line).max(1);
    src.line_place(line)
}

/// A field's text for a message: one line, at most 40 characters.
fn shorten(s: &str) -> String {
    let one_line = s.replace(['\r', '\n'], " ");
    if one_line.chars().count() <= 40 {
        one_line
    } else {
        let mut t: String = one_line.chars().take(39).collect();
        t.push('…');
        t
    }
}

/// Whether `rel` names a progress file of SPEC §1 (`reports/<year>/<name>.csv`, the name not
/// starting with `.`), and of `year` when one is given.
fn progress_file(rel: &str, year: Option<i32>) -> bool {
    let mut parts = rel.split('/');
    let (Some("reports"), Some(y), Some(name), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    y.len() == 4
        && y.bytes().all(|b| b.is_ascii_digit())
        && year.is_none_or(|only| y.parse() == Ok(only))
        && name.ends_with(".csv")
        && !name.starts_with('.')
}

/// `check --base`: every progress file of the working tree (of one year, or all) against its
/// version at the merge base, and every progress file of the merge base that is gone.
pub fn check(ws: &Workspace, year: Option<i32>, base: &Base) -> Result<Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut head_files = BTreeSet::new();
    for y in ws.report_years()? {
        if year.is_none_or(|only| only == y) {
            head_files.extend(ws.report_files(y)?.into_iter().map(|f| f.rel));
        }
    }
    let base_files: BTreeSet<String> = base
        .files_under("reports/")?
        .into_iter()
        .filter(|rel| progress_file(rel, year))
        .collect();
    let base_records = |rel: &str| -> Result<Records> {
        Ok(match Source::decode(rel, base.read(rel)?) {
            Ok(src) => Records::read(&src),
            Err(_) => Records::unreadable(),
        })
    };
    for rel in base_files.union(&head_files) {
        let repo_path = base.repo_path(rel);
        let name = BaseName {
            commit: base.short(),
            repo_path: &repo_path,
        };
        if !head_files.contains(rel) {
            diags.push(removed_file(rel, &base_records(rel)?, &name));
            continue;
        }
        // A file that is not UTF-8 in the working tree has its own diagnostic, and no records.
        let Ok(head_src) = workspace::read_source(&ws.root, rel)? else {
            continue;
        };
        let old = if base_files.contains(rel) {
            base_records(rel)?
        } else {
            Records {
                complete: true,
                ..Records::default()
            }
        };
        for d in judge(&old, &head_src, &Records::read(&head_src), &name) {
            diags.push(d);
        }
    }
    Ok(diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(s: &str) -> Fields {
        let mut f: Fields = Default::default();
        f[0] = s.to_string();
        f
    }

    fn run(base: &[&str], base_complete: bool, head: &[&str], head_complete: bool) -> Verdict {
        let b: Vec<Fields> = base.iter().map(|s| rec(s)).collect();
        let h: Vec<Fields> = head.iter().map(|s| rec(s)).collect();
        let br: Vec<&Fields> = b.iter().collect();
        let hr: Vec<&Fields> = h.iter().collect();
        compare(&br, base_complete, &hr, head_complete)
    }

    fn change(base: &[&str], head: &[&str]) -> Option<Change> {
        run(base, true, head, true).change
    }

    #[test]
    fn appending_is_the_only_change_allowed() {
        assert_eq!(
            run(&["a", "b"], true, &["a", "b", "c", "d"], true),
            Verdict {
                change: None,
                new: Some(2..4)
            }
        );
        assert_eq!(
            run(&["a", "b"], true, &["a", "b"], true),
            Verdict {
                change: None,
                new: Some(2..2)
            }
        );
        assert_eq!(run(&[], true, &["a"], true).new, Some(0..1));
    }

    #[test]
    fn an_edit_is_found_at_its_record() {
        assert_eq!(
            change(&["a", "b", "c"], &["a", "x", "c"]),
            Some(Change::Edited { head: 1, base: 1 })
        );
        // An edit of the last record, with records appended after it.
        assert_eq!(
            change(&["a", "b"], &["a", "x", "c"]),
            Some(Change::Edited { head: 1, base: 1 })
        );
    }

    #[test]
    fn a_removal_points_where_the_record_stood() {
        assert_eq!(
            change(&["a", "b", "c"], &["a", "c"]),
            Some(Change::Removed {
                head: Some(1),
                base: 1
            })
        );
        assert_eq!(
            change(&["a", "b", "c"], &["b", "c", "d"]),
            Some(Change::Removed {
                head: Some(0),
                base: 0
            })
        );
    }

    #[test]
    fn a_cut_end_is_a_removal_after_the_last_record() {
        assert_eq!(
            change(&["a", "b", "c"], &["a"]),
            Some(Change::Removed {
                head: None,
                base: 1
            })
        );
        assert_eq!(
            change(&["a"], &[]),
            Some(Change::Removed {
                head: None,
                base: 0
            })
        );
    }

    #[test]
    fn reordering_and_inserting_before_old_records() {
        assert_eq!(
            change(&["a", "b", "c"], &["a", "c", "b"]),
            Some(Change::Moved {
                head: 1,
                was: 2,
                base: 1
            })
        );
        assert_eq!(
            change(&["a", "b", "c"], &["a", "n", "b", "c"]),
            Some(Change::Inserted { head: 1, base: 1 })
        );
        assert_eq!(
            change(&["a", "b"], &["n", "a", "b"]),
            Some(Change::Inserted { head: 0, base: 0 })
        );
    }

    #[test]
    fn only_what_can_be_read_is_compared() {
        // The working tree breaks off early (a malformed record): nothing is called removed.
        assert_eq!(
            run(&["a", "b", "c"], true, &["a"], false),
            Verdict {
                change: None,
                new: None
            }
        );
        // An edit before the break is still an edit.
        assert_eq!(
            run(&["a", "b", "c"], true, &["x"], false).change,
            Some(Change::Edited { head: 0, base: 0 })
        );
        // The base breaks off early: its readable records must be there, but which of the working
        // tree's records are new cannot be told.
        assert_eq!(
            run(&["a"], false, &["a", "b", "c"], true),
            Verdict {
                change: None,
                new: None
            }
        );
        assert_eq!(
            run(&[], false, &[], false),
            Verdict {
                change: None,
                new: None
            }
        );
    }

    fn read(text: &str) -> Records {
        Records::read(&Source::new("reports/2014/x.csv", text.to_string()))
    }

    fn same(a: &str, b: &str) -> bool {
        let (a, b) = (read(a), read(b));
        assert!(a.complete && b.complete);
        a.fields() == b.fields()
    }

    #[test]
    fn records_compare_as_maps_from_column_to_text() {
        let lf = "date,item,value,note,reporter\n2014-01-31,E1,1,\"a\nb\",张敏\n";
        // CRLF everywhere, inside the quoted note too.
        assert!(same(lf, &lf.replace('\n', "\r\n")));
        // Quoting that changes nothing.
        assert!(same(
            lf,
            "date,item,value,note,reporter\n\"2014-01-31\",\"E1\",\"1\",\"a\nb\",\"张敏\"\n"
        ));
        // Another column order, blank lines.
        assert!(same(
            lf,
            "reporter,note,date,value,item\n\n\"张敏\",\"a\nb\",2014-01-31,1,E1\n\n"
        ));
        // A `filed` column added, empty for the old records; an empty column that is dropped.
        assert!(same(
            lf,
            "date,item,value,note,reporter,filed\n2014-01-31,E1,1,\"a\nb\",张敏,\n"
        ));
        assert!(same(
            "date,item,value,evidence,reporter\n2014-01-31,E1,1,,张敏\n",
            "date,item,value,reporter\n2014-01-31,E1,1,张敏\n"
        ));
        // A value's text is compared as text: `1.0` is not `1`.
        assert!(!same(lf, &lf.replace(",1,", ",1.0,")));
    }

    #[test]
    fn records_stop_at_the_first_problem() {
        let r = read(
            "date,item,value,reporter\n2014-01-31,E1,1,a\n2014-02-28,E1,2\n2014-03-31,E1,3,a\n",
        );
        assert!(!r.complete);
        assert_eq!(r.list.len(), 1);
        let r = read("date,item,value,reportr\n2014-01-31,E1,1,a\n");
        assert!(!r.complete && r.list.is_empty());
        let r =
            read("date,item,value,reporter\n2014-01-31,E1,1,a\n<<<<<<< HEAD\n2014-02-28,E1,2,a\n");
        assert!(!r.complete);
        assert_eq!(r.list.len(), 1);
        let r = read("");
        assert!(r.complete && r.list.is_empty());
    }

    fn diags(base: &str, head: &str) -> Vec<Diagnostic> {
        let src = Source::new("reports/2014/x.csv", head.to_string());
        let name = BaseName {
            commit: "0123456789ab",
            repo_path: "reports/2014/x.csv",
        };
        judge(&read(base), &src, &Records::read(&src), &name)
    }

    fn places(list: &[Diagnostic]) -> Vec<(&str, Option<usize>, Option<usize>)> {
        list.iter()
            .map(|d| (d.code, d.line(), d.column()))
            .collect()
    }

    const BASE: &str = "date,item,value,note,reporter,filed\n2014-01-31,E1,1,x,a,2014-02-03\n2014-02-28,E1,2,y,a,\n";

    #[test]
    fn diagnostics_name_the_line_and_the_field() {
        assert!(diags(BASE, BASE).is_empty());
        let edited = BASE.replace(",2,y,", ",3,y,");
        let list = diags(BASE, &edited);
        assert_eq!(places(&list), [("history-edited", Some(3), Some(15))]);
        assert!(list[0].message.en.contains("`value` was `2` and is `3`"));
        assert!(
            list[0]
                .help
                .as_ref()
                .unwrap()
                .en
                .contains("a correction is a new entry")
        );
        assert!(
            list[0]
                .help
                .as_ref()
                .unwrap()
                .en
                .contains("git show 0123456789ab:reports/2014/x.csv")
        );
        // The edited field is found in the working tree's column order.
        let moved = "filed,reporter,note,value,item,date\n2014-02-03,a,x,1,E1,2014-01-31\n,a,y,5,E1,2014-02-28\n";
        assert_eq!(
            places(&diags(BASE, moved)),
            [("history-edited", Some(3), Some(6))]
        );
        let removed = "date,item,value,note,reporter,filed\n\n2014-02-28,E1,2,y,a,\n";
        assert_eq!(
            places(&diags(BASE, removed)),
            [("history-removed", Some(3), Some(1))]
        );
        let swapped = "date,item,value,note,reporter,filed\n2014-02-28,E1,2,y,a,\n2014-01-31,E1,1,x,a,2014-02-03\n";
        assert_eq!(
            places(&diags(BASE, swapped)),
            [("history-reordered", Some(2), Some(1))]
        );
    }

    #[test]
    fn a_cut_end_points_after_the_last_record() {
        let cut = "date,item,value,note,reporter,filed\n2014-01-31,E1,1,x,a,2014-02-03\n";
        let list = diags(BASE, cut);
        assert_eq!(places(&list), [("history-removed", Some(3), Some(1))]);
        assert!(
            list[0]
                .message
                .en
                .contains("the record of line 3 at the merge base (2014-02-28, E1) is missing"),
            "{}",
            list[0].message.en
        );
        // Without a final line end, the last line of the file.
        let list = diags(BASE, cut.trim_end());
        assert_eq!(places(&list), [("history-removed", Some(2), Some(1))]);
        // Everything gone but the header.
        let list = diags(BASE, "date,item,value,note,reporter,filed\n\n\n");
        assert_eq!(places(&list), [("history-removed", Some(2), Some(1))]);
    }

    #[test]
    fn new_records_need_filed_where_the_file_has_the_column() {
        let head = format!(
            "{BASE}2014-03-31,E1,3,z,a,\n2014-04-30,E1,4,z,a,2014-05-05\n2014-05-31,E1,5,z,a, \n"
        );
        assert_eq!(
            places(&diags(BASE, &head)),
            [
                ("filed-required", Some(4), Some(21)),
                ("filed-required", Some(6), Some(21))
            ]
        );
        // The old record without `filed` (line 3) is history, not new.
        let no_filed = "date,item,value,reporter\n2014-01-31,E1,1,a\n";
        assert!(diags(no_filed, &format!("{no_filed}2014-02-28,E1,2,a\n")).is_empty());
        // A `filed` column added: the old records may leave it empty, the new ones may not.
        let added = "date,item,value,reporter,filed\n2014-01-31,E1,1,a,\n2014-02-28,E1,2,a,\n";
        assert_eq!(
            places(&diags(no_filed, added)),
            [("filed-required", Some(3), Some(19))]
        );
        // A new file: every record is new.
        assert_eq!(
            places(&diags(
                "",
                "date,item,value,reporter,filed\n2014-01-31,E1,1,a,\n"
            )),
            [("filed-required", Some(2), Some(19))]
        );
    }

    #[test]
    fn an_unreadable_base_is_compared_as_far_as_it_goes() {
        let broken =
            "date,item,value,note,reporter,filed\n2014-01-31,E1,1,x,a,2014-02-03\n2014-02-28,E1\n";
        // The broken record was fixed and a new one added without `filed`: only the readable
        // record is history, and which records are new cannot be told.
        assert!(diags(broken, &format!("{BASE}2014-03-31,E1,3,z,a,\n")).is_empty());
        let list = diags(broken, &BASE.replace(",1,x,", ",9,x,"));
        assert_eq!(places(&list), [("history-edited", Some(2), Some(15))]);
        let src = Source::new("reports/2014/x.csv", BASE.to_string());
        let name = BaseName {
            commit: "0",
            repo_path: "x",
        };
        assert!(judge(&Records::unreadable(), &src, &Records::read(&src), &name).is_empty());
    }

    #[test]
    fn a_removed_file_is_a_problem_of_the_whole_file() {
        let name = BaseName {
            commit: "0123456789ab",
            repo_path: "ws/reports/2014/x.csv",
        };
        let d = removed_file("reports/2014/x.csv", &read(BASE), &name);
        assert_eq!((d.code, d.line()), ("file-removed", None));
        assert!(d.message.en.contains("2 records"));
    }

    #[test]
    fn progress_files_are_those_of_spec_1() {
        assert!(progress_file("reports/2014/secretariat.csv", None));
        assert!(progress_file("reports/2014/secretariat.csv", Some(2014)));
        assert!(!progress_file("reports/2014/secretariat.csv", Some(2015)));
        assert!(!progress_file("reports/2014/.backup.csv", None));
        assert!(!progress_file("reports/2014/README.md", None));
        assert!(!progress_file("reports/2014/old/x.csv", None));
        assert!(!progress_file("reports/14/x.csv", None));
        assert!(!progress_file("reports/x.csv", None));
    }

    #[test]
    fn long_fields_are_shortened_in_messages() {
        assert_eq!(shorten("a\nb"), "a b");
        let s = shorten(&"说".repeat(100));
        assert_eq!(s.chars().count(), 40);
        assert!(s.ends_with('…'));
    }
}
