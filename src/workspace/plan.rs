//! Reading `indicators/<year>/*.toml` into one `Plan` (SPEC §2).
//!
//! Files are read in byte order of their names; tables may be defined in one file only and arrays
//! concatenate (§2.6). Everything a single value can get wrong is reported here, with its place;
//! rules across values and files live in `check::plan`.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::diag::{Diagnostic, Diagnostics, Place, Text};
use crate::model::*;
use crate::workspace::settings::bad_value;
use crate::workspace::source::Source;
use crate::workspace::toml_reader::{self, Table, value_date};

const TOP: &[&str] = &[
    "organization",
    "division",
    "category",
    "indicator",
    "calendar",
];
const ORGANIZATION: &[&str] = &["leading_group", "performance_office"];
const LEADING_GROUP: &[&str] = &["leader", "deputy_leaders", "members"];
const PERF_OFFICE: &[&str] = &["host", "director", "executive_deputy", "deputies", "owners"];
const DIVISION: &[&str] = &[
    "id",
    "name",
    "leader",
    "liaisons",
    "former_liaisons",
    "owners",
];
const CATEGORY: &[&str] = &["id", "name", "points"];
const INDICATOR: &[&str] = &["id", "category", "name", "points", "item"];
const ITEM: &[&str] = &[
    "id",
    "name",
    "lead",
    "support",
    "former_leads",
    "owner",
    "binding",
    "kind",
    "target",
    "unit",
    "direction",
    "measure",
    "start",
    "due",
    "schedule",
    "cadence",
    "weight",
    "min",
    "max",
    "milestones",
    "description",
];
const MILESTONE: &[&str] = &["due", "value", "note"];
const CALENDAR: &[&str] = &["holidays", "workdays"];

/// Reads and merges the plan files of one year; the flag tells whether every file could be parsed
/// (without it, the plan is partial and rules that look ids up in it would report false problems).
///
/// Each file is parsed and read on its own (`read_file`), a long one in pieces (`pieces`), by a
/// few worker threads, which take the largest first so that they finish together, and drop each
/// syntax tree (several times the size of its text) before taking the next. The parts are then
/// merged in name order, so the plan and its problems are those of reading the files one after the
/// other.
pub fn read(
    year: i32,
    files: &[Arc<Source>],
    settings: &Settings,
    diags: &mut Diagnostics,
) -> (Plan, bool) {
    read_in_pieces(year, files, settings, diags, PIECE)
}

/// The length from which a plan file is read in pieces (`pieces`).
const PIECE: usize = 16 * 1024;

/// `read`, with pieces of at least `piece` bytes.
fn read_in_pieces(
    year: i32,
    files: &[Arc<Source>],
    settings: &Settings,
    diags: &mut Diagnostics,
    piece: usize,
) -> (Plan, bool) {
    // (file, its piece, that piece's span)
    let mut tasks: Vec<(usize, usize, Range<usize>)> = Vec::new();
    for (i, src) in files.iter().enumerate() {
        tasks.extend(
            pieces(&src.text, piece)
                .into_iter()
                .enumerate()
                .map(|(k, span)| (i, k, span)),
        );
    }
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    order.sort_by_key(|&t| std::cmp::Reverse(tasks[t].2.len()));
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        while let Some(&t) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            let (i, k, span) = &tasks[t];
            let part = if span.len() == files[*i].text.len() {
                Some(read_file(&files[*i], year, settings))
            } else {
                read_piece(&files[*i], span.clone(), *k == 0, year, settings)
            };
            done.push((t, part));
        }
        done
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(tasks.len());
    let mut done = if workers <= 1 {
        work()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (1..workers).map(|_| s.spawn(work)).collect();
            let mut done = work();
            for h in handles {
                done.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
            }
            done
        })
    };
    done.sort_unstable_by_key(|(t, _)| *t);
    // Each file's parts: its pieces, or, when a piece could not be read alone, the whole file read
    // again, so that its problems are those of the whole file. Pieces are merged like files.
    let mut parts: Vec<Vec<FilePlan>> = files.iter().map(|_| Vec::new()).collect();
    let mut whole = vec![false; files.len()];
    for (t, piece) in done {
        let i = tasks[t].0;
        match piece {
            Some(piece) if !whole[i] => parts[i].push(piece),
            _ => whole[i] = true,
        }
    }
    for (i, src) in files.iter().enumerate() {
        if whole[i] {
            parts[i] = vec![read_file(src, year, settings)];
        }
    }
    let parts: Vec<(&Arc<Source>, FilePlan)> = files
        .iter()
        .zip(parts)
        .flat_map(|(src, pieces)| pieces.into_iter().map(move |p| (src, p)))
        .collect();

    let mut complete = true;
    let mut plan = Plan::default();
    plan.year = year;
    // Sized once: an item is large, and 10,000 of them are not copied over and over.
    plan.items
        .reserve_exact(parts.iter().map(|(_, p)| p.items.len()).sum());
    plan.indicators
        .reserve_exact(parts.iter().map(|(_, p)| p.indicators.len()).sum());
    // Where each single-definition table was first defined: its file and line.
    let mut defined: HashMap<&'static str, (&str, usize)> = HashMap::new();
    for (src, part) in parts {
        complete &= part.parsed;
        for once in part.once {
            diags.extend(once.before);
            if let Some(&(file, line)) = defined.get(once.name) {
                diags.push(duplicate_table(src, once.name, once.header, file, line));
                continue;
            }
            defined.insert(once.name, (&src.path, once.header.line));
            diags.extend(once.diags);
            match once.table {
                OnceTable::LeadingGroup(t) => plan.leading_group = Some(t),
                OnceTable::PerformanceOffice(t) => plan.performance_office = Some(t),
                OnceTable::Calendar(t) => plan.calendar = Some(t),
            }
        }
        diags.extend(part.diags);
        plan.divisions.extend(part.divisions);
        plan.categories.extend(part.categories);
        let first = plan.indicators.len();
        plan.indicators.extend(part.indicators);
        plan.items.extend(part.items.into_iter().map(|mut item| {
            item.indicator += first;
            item
        }));
    }
    plan.index();
    (plan, complete)
}

/// The calendar of a year's plan, the first `[calendar]` in name order as `read` takes it, without
/// reading anything else: deadlines of December fall in January, and the next year's plan is
/// read for its calendar alone. Its problems are reported when that year is checked.
pub fn read_calendar(year: i32, files: &[Arc<Source>]) -> Option<Calendar> {
    let mut ignored = Diagnostics::new();
    // A file can define the table only with its key in the text, or with the key spelled with an
    // escape (`"\u0063alendar" = …`), which takes a backslash: others need not be parsed.
    let may_define = |src: &Source| src.text.contains("calendar") || src.text.contains('\\');
    for src in files.iter().filter(|src| may_define(src)) {
        let Ok(doc) = toml_reader::parse(src) else {
            continue;
        };
        let top = Table::new(src, doc.get_ref(), 0..0, &src.path);
        if let Some(cal) = top.table("calendar", &mut ignored) {
            return Some(calendar(&cal, year, &mut ignored));
        }
    }
    None
}

/// The spans of the pieces of a plan file that can be parsed on their own: the whole file, or,
/// when it is longer than `piece` bytes, runs of `[[indicator]]` tables of about that length.
/// The syntax tree of a whole file takes several times its size, made anew for each file; a
/// piece's is smaller, and mostly takes the memory the previous piece's gave back; and the pieces
/// of one file are shared between the threads.
///
/// A piece ends before a line that is exactly `[[indicator]]`. Such a line could be inside a
/// multi-line string (anywhere else it is a header or a syntax error): then the piece before it
/// does not parse, and `read_piece` says so.
fn pieces(text: &str, piece: usize) -> Vec<Range<usize>> {
    const HEADER: &str = "\n[[indicator]]";
    let mut out = Vec::new();
    let mut start = 0;
    // Where the search for the next header begins.
    let mut from = piece.min(text.len());
    loop {
        // At a character's first byte (`str::ceil_char_boundary` is newer than our MSRV).
        let mut begin = from.min(text.len());
        while !text.is_char_boundary(begin) {
            begin += 1;
        }
        let Some(found) = text.get(begin..).and_then(|rest| rest.find(HEADER)) else {
            break;
        };
        // The line's first byte: the header begins with the line break before it.
        let at = begin + found + 1;
        let after = &text.as_bytes()[at + HEADER.len() - 1..];
        let ends_line = after.iter().find(|b| !matches!(b, b' ' | b'\t'));
        if matches!(ends_line, None | Some(b'\n' | b'\r')) {
            out.push(start..at);
            start = at;
        }
        from = if start == at {
            at.saturating_add(piece)
        } else {
            at
        };
    }
    out.push(start..text.len());
    out
}

/// Reads one piece of a long plan file (`pieces`), or says that it cannot be read on its own:
/// when it does not parse, or when its `[[indicator]]` tables might not be those of the whole
/// file. The first piece may hold anything, but an `indicator` array only as `[[indicator]]`
/// tables (not `indicator = [ … ]`, which the next piece's tables could not extend); each later
/// piece begins with `[[indicator]]` and must hold nothing else at its top.
fn read_piece(
    src: &Arc<Source>,
    span: Range<usize>,
    first: bool,
    year: i32,
    settings: &Settings,
) -> Option<FilePlan> {
    let doc = toml::de::DeTable::parse(src.text.get(span.clone())?).ok()?;
    let root = doc.get_ref();
    let tables = root.get("indicator");
    let tables_ok = tables.is_none_or(|v| {
        let at = v.span().start + span.start..v.span().end + span.start;
        src.text.get(at) == Some("[[indicator]]")
    });
    if !tables_ok || (!first && (root.len() != 1 || tables.is_none())) {
        return None;
    }
    let mut part = walk(
        &Table::piece(src, root, span.start, &src.path),
        year,
        settings,
    );
    part.parsed = true;
    Some(part)
}

/// What one plan file adds to the plan, in the file's order, and its problems.
#[derive(Default)]
struct FilePlan {
    /// Whether the file could be parsed.
    parsed: bool,
    /// The tables that may be defined in one file only, in the order met.
    once: Vec<Once>,
    /// The problems found after the last of `once`.
    diags: Diagnostics,
    divisions: Vec<Division>,
    categories: Vec<Category>,
    indicators: Vec<Indicator>,
    /// Their `indicator` counts this file's indicators only.
    items: Vec<Item>,
}

/// A table that may be defined in one file only (§2.6), read as if no earlier file defined it:
/// when one did, the merge reports a `duplicate-table` instead of the table's own problems.
struct Once {
    name: &'static str,
    header: Place,
    /// The file's problems found before the table.
    before: Diagnostics,
    table: OnceTable,
    /// The table's own problems.
    diags: Diagnostics,
}

enum OnceTable {
    LeadingGroup(LeadingGroup),
    PerformanceOffice(PerformanceOffice),
    Calendar(Calendar),
}

impl FilePlan {
    /// Adds a single-definition table, whose problems `read` reports apart from the others.
    fn once(
        &mut self,
        name: &'static str,
        t: &Table<'_, '_>,
        diags: &mut Diagnostics,
        read: impl FnOnce(&mut Diagnostics) -> OnceTable,
    ) {
        let mut own = Diagnostics::new();
        let table = read(&mut own);
        self.once.push(Once {
            name,
            header: t.header(),
            before: std::mem::take(diags),
            table,
            diags: own,
        });
    }
}

/// Parses one plan file and reads it: everything but the rules across files.
fn read_file(src: &Arc<Source>, year: i32, settings: &Settings) -> FilePlan {
    match toml_reader::parse(src) {
        Ok(doc) => {
            let mut part = walk(
                &Table::new(src, doc.get_ref(), 0..0, &src.path),
                year,
                settings,
            );
            part.parsed = true;
            part
        }
        Err(ds) => {
            let mut part = FilePlan::default();
            for d in ds {
                part.diags.push(d);
            }
            part
        }
    }
}

/// Reads a parsed plan file, or a piece of one: everything but the rules across files.
fn walk(top: &Table<'_, '_>, year: i32, settings: &Settings) -> FilePlan {
    let mut part = FilePlan::default();
    let diags = &mut Diagnostics::new();
    top.deny_unknown(TOP, diags);
    if let Some(org) = top.table("organization", diags) {
        org.deny_unknown(ORGANIZATION, diags);
        if let Some(lg) = org.table("leading_group", diags) {
            part.once("organization.leading_group", &lg, diags, |d| {
                OnceTable::LeadingGroup(leading_group(&lg, d))
            });
        }
        if let Some(po) = org.table("performance_office", diags) {
            part.once("organization.performance_office", &po, diags, |d| {
                OnceTable::PerformanceOffice(performance_office(&po, d))
            });
        }
    }
    if let Some(cal) = top.table("calendar", diags) {
        part.once("calendar", &cal, diags, |d| {
            OnceTable::Calendar(calendar(&cal, year, d))
        });
    }
    for t in top.tables("division", "[[division]]", diags) {
        part.divisions.push(division(&t, diags));
    }
    for t in top.tables("category", "[[category]]", diags) {
        part.categories.push(category(&t, diags));
    }
    for t in top.tables("indicator", "[[indicator]]", diags) {
        let ind = indicator(&t, diags);
        let index = part.indicators.len();
        part.indicators.push(ind);
        for it in t.tables("item", "[[indicator.item]]", diags) {
            part.items.push(item(&it, index, year, settings, diags));
        }
    }
    part.diags = std::mem::take(diags);
    part
}

/// The error for a table defined again in `src`, first defined at `file:line`.
fn duplicate_table(src: &Source, name: &str, here: Place, file: &str, line: usize) -> Diagnostic {
    Diagnostic::error(
        "duplicate-table",
        &src.path,
        Some(here),
        Text::new(
            format!("表 [{name}] 已在 {file}:{line} 定义过"),
            format!("table [{name}] is already defined at {file}:{line}"),
        ),
    )
    .with_help(Text::new(
        "每个表只能在一个文件中定义；请合并两处内容",
        "a table may be defined in one file only; merge the two",
    ))
}

/// The error for a name (of a person, a division, …) that is empty or only white space.
fn empty_name(t: &Table<'_, '_>, key: &str, place: &Place) -> Diagnostic {
    Diagnostic::error(
        "invalid-value",
        &t.src.path,
        Some(place.clone()),
        Text::new(
            format!("{} 的 `{key}` 不能为空", t.name),
            format!("`{key}` in {} must not be empty", t.name),
        ),
    )
    .with_help(Text::new("写上名称或姓名", "write the name"))
}

/// Code-host handles (`@user`, `@org/team`, an e-mail address): one word each, since `perf
/// codeowners` writes them into CODEOWNERS lines, where a space, a line break or a `#` would let
/// a handle add a line of its own (`"@a\n/indicators/** @mallory"`).
fn owners(t: &Table<'_, '_>, locs: &mut Locs, diags: &mut Diagnostics) -> Vec<String> {
    let mut out = Vec::new();
    for (owner, v) in t.strings("owners", locs, diags) {
        if owner.is_empty()
            || owner
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '#')
        {
            diags.push(
                Diagnostic::error(
                    "invalid-value",
                    &t.src.path,
                    Some(t.place(v)),
                    Text::new(
                        format!("{} 的 `owners` 中有无效的账号", t.name),
                        format!("an invalid handle in `owners` of {}", t.name),
                    ),
                )
                .with_help(Text::new(
                    "每项写一个代码托管平台账号，如 \"@user\"、\"@org/team\" 或电子邮件地址，不含空格、换行或 #",
                    "one code-host handle per entry, like \"@user\", \"@org/team\" or an e-mail address, without spaces, line breaks or #",
                )),
            );
        } else {
            out.push(owner);
        }
    }
    out
}

fn person(
    t: &Table<'_, '_>,
    key: &'static str,
    locs: &mut Locs,
    diags: &mut Diagnostics,
) -> Option<Person> {
    let name = t.string(key, locs, diags)?;
    let p = Person::new(&name, locs.at(key));
    if p.key.is_empty() {
        diags.push(empty_name(t, key, &p.place));
        return None;
    }
    Some(p)
}

fn people(
    t: &Table<'_, '_>,
    key: &'static str,
    locs: &mut Locs,
    diags: &mut Diagnostics,
) -> Vec<Person> {
    t.strings(key, locs, diags)
        .into_iter()
        .map(|(n, v)| Person::new(&n, t.place(v)))
        .filter(|p| {
            if p.key.is_empty() {
                diags.push(empty_name(t, key, &p.place));
            }
            !p.key.is_empty()
        })
        .collect()
}

fn leading_group(t: &Table<'_, '_>, diags: &mut Diagnostics) -> LeadingGroup {
    t.deny_unknown(LEADING_GROUP, diags);
    let mut locs = t.locs();
    LeadingGroup {
        leader: person(t, "leader", &mut locs, diags),
        deputy_leaders: people(t, "deputy_leaders", &mut locs, diags),
        members: people(t, "members", &mut locs, diags),
        locs,
    }
}

fn performance_office(t: &Table<'_, '_>, diags: &mut Diagnostics) -> PerformanceOffice {
    t.deny_unknown(PERF_OFFICE, diags);
    let mut locs = t.locs();
    PerformanceOffice {
        host: t.string("host", &mut locs, diags),
        director: person(t, "director", &mut locs, diags),
        executive_deputy: person(t, "executive_deputy", &mut locs, diags),
        deputies: people(t, "deputies", &mut locs, diags),
        owners: owners(t, &mut locs, diags),
        locs,
    }
}

fn calendar(t: &Table<'_, '_>, year: i32, diags: &mut Diagnostics) -> Calendar {
    t.deny_unknown(CALENDAR, diags);
    let mut cal = Calendar::default();
    for key in CALENDAR {
        let Some(v) = t.get(key) else { continue };
        let Some(arr) = v.get_ref().as_array() else {
            diags.push(bad_value(t.src, t, v, key, "日期数组", "an array of dates"));
            continue;
        };
        for el in arr.iter() {
            let Some(d) = value_date(el) else {
                diags.push(bad_value(
                    t.src,
                    t,
                    el,
                    key,
                    "日期（如 2014-10-01）",
                    "a date like 2014-10-01",
                ));
                continue;
            };
            use chrono::Datelike;
            if d.year() != year {
                diags.push(
                    Diagnostic::error(
                        "calendar-year",
                        &t.src.path,
                        Some(t.place(el)),
                        Text::new(
                            format!("日历日期 {d} 不在计划年度 {year} 内"),
                            format!("calendar date {d} is outside the plan's year {year}"),
                        ),
                    )
                    .with_help(Text::new(
                        format!("把它移到 indicators/{}/ 的日历中", d.year()),
                        format!("move it to the calendar of indicators/{}/", d.year()),
                    )),
                );
                continue;
            }
            let other = if *key == "holidays" {
                &cal.workdays
            } else {
                &cal.holidays
            };
            if other.contains(&d) {
                diags.push(
                    Diagnostic::error(
                        "calendar-conflict",
                        &t.src.path,
                        Some(t.place(el)),
                        Text::new(
                            format!("{d} 同时出现在 holidays 和 workdays 中"),
                            format!("{d} is in both holidays and workdays"),
                        ),
                    )
                    .with_help(Text::new(
                        "一天只能是节假日或调休工作日之一",
                        "a day is either a holiday or a make-up working day",
                    )),
                );
            }
            if *key == "holidays" {
                cal.holidays.insert(d);
            } else {
                cal.workdays.insert(d);
            }
        }
    }
    cal
}

fn id(t: &Table<'_, '_>, locs: &mut Locs, diags: &mut Diagnostics) -> String {
    let Some(id) = t.required_string("id", locs, diags) else {
        return String::new();
    };
    if !valid_id(&id) {
        diags.push(
            Diagnostic::error(
                "invalid-id",
                &t.src.path,
                Some(locs.at("id")),
                Text::new(format!("标识 `{id}` 不合规"), format!("invalid id `{id}`")),
            )
            .with_help(Text::new(
                "标识以字母或数字开头，只含字母、数字、`.`、`_`、`-`，最长 64 个字符",
                "ids start with a letter or digit and use only letters, digits, `.`, `_` and `-`, at most 64 characters",
            )),
        );
    }
    id
}

/// `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`
pub fn valid_id(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(c))
}

fn name(t: &Table<'_, '_>, locs: &mut Locs, diags: &mut Diagnostics) -> String {
    let name = t.required_string("name", locs, diags).unwrap_or_default();
    if locs.has("name") && name.trim().is_empty() {
        diags.push(empty_name(t, "name", &locs.at("name")));
    }
    name
}

fn division(t: &Table<'_, '_>, diags: &mut Diagnostics) -> Division {
    t.deny_unknown(DIVISION, diags);
    let mut locs = t.locs();
    let id = id(t, &mut locs, diags);
    let name = name(t, &mut locs, diags);
    if t.get("leader").is_none() {
        t.missing("leader", diags);
    }
    let leader = person(t, "leader", &mut locs, diags);
    if t.get("liaisons").is_none() {
        t.missing("liaisons", diags);
    }
    Division {
        id,
        name,
        leader,
        liaisons: people(t, "liaisons", &mut locs, diags),
        former_liaisons: people(t, "former_liaisons", &mut locs, diags),
        owners: owners(t, &mut locs, diags),
        locs,
    }
}

fn points(t: &Table<'_, '_>, locs: &mut Locs, diags: &mut Diagnostics) -> Option<Decimal> {
    let p = t.decimal("points", locs, diags)?;
    if p < Decimal::ZERO {
        diags.push(bad_value(
            t.src,
            t,
            t.get("points").unwrap(),
            "points",
            "不小于 0 的分值",
            "points of at least 0",
        ));
    }
    Some(p)
}

fn category(t: &Table<'_, '_>, diags: &mut Diagnostics) -> Category {
    t.deny_unknown(CATEGORY, diags);
    let mut locs = t.locs();
    Category {
        id: id(t, &mut locs, diags),
        name: name(t, &mut locs, diags),
        points: points(t, &mut locs, diags),
        locs,
    }
}

fn indicator(t: &Table<'_, '_>, diags: &mut Diagnostics) -> Indicator {
    t.deny_unknown(INDICATOR, diags);
    let mut locs = t.locs();
    let id = id(t, &mut locs, diags);
    let category = t
        .required_string("category", &mut locs, diags)
        .unwrap_or_default();
    Indicator {
        id,
        category,
        name: name(t, &mut locs, diags),
        points: points(t, &mut locs, diags),
        locs,
    }
}

fn item_error(
    t: &Table<'_, '_>,
    place: Place,
    code: &'static str,
    zh: String,
    en: String,
    help: Option<Text>,
) -> Diagnostic {
    let d = Diagnostic::error(code, &t.src.path, Some(place), Text::new(zh, en));
    match help {
        Some(h) => d.with_help(h),
        None => d,
    }
}

fn item(
    t: &Table<'_, '_>,
    indicator: usize,
    year: i32,
    settings: &Settings,
    diags: &mut Diagnostics,
) -> Item {
    t.deny_unknown(ITEM, diags);
    let mut locs = t.locs();
    let id = id(t, &mut locs, diags);
    let name = name(t, &mut locs, diags);
    let lead = t
        .required_string("lead", &mut locs, diags)
        .unwrap_or_default();
    let support = t
        .strings("support", &mut locs, diags)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let former_leads = t
        .strings("former_leads", &mut locs, diags)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let owner = t.string("owner", &mut locs, diags);
    let binding = t.bool("binding", &mut locs, diags).unwrap_or(false);

    let kind = match t.string("kind", &mut locs, diags).as_deref() {
        None | Some("task") => Kind::Task,
        Some("number") => Kind::Number,
        Some(_) => {
            diags.push(bad_value(
                t.src,
                t,
                t.get("kind").unwrap(),
                "kind",
                "\"task\" 或 \"number\"",
                "\"task\" or \"number\"",
            ));
            Kind::Task
        }
    };
    let target = t.decimal("target", &mut locs, diags);
    let unit = t.string("unit", &mut locs, diags);
    let direction = match t.string("direction", &mut locs, diags).as_deref() {
        None | Some(">=") => Direction::AtLeast,
        Some("<=") => Direction::AtMost,
        Some(_) => {
            diags.push(bad_value(
                t.src,
                t,
                t.get("direction").unwrap(),
                "direction",
                "\">=\" 或 \"<=\"",
                "\">=\" or \"<=\"",
            ));
            Direction::AtLeast
        }
    };
    let measure = match t.string("measure", &mut locs, diags).as_deref() {
        None | Some("latest") => Measure::Latest,
        Some("sum") => Measure::Sum,
        Some(_) => {
            diags.push(bad_value(
                t.src,
                t,
                t.get("measure").unwrap(),
                "measure",
                "\"latest\" 或 \"sum\"",
                "\"latest\" or \"sum\"",
            ));
            Measure::Latest
        }
    };
    let min = t.decimal("min", &mut locs, diags);
    let max = t.decimal("max", &mut locs, diags);

    let (target, unit) = match kind {
        Kind::Task => {
            for key in ["target", "unit", "direction", "measure", "min", "max"] {
                if t.get(key).is_some() {
                    diags.push(item_error(
                        t,
                        locs.at(key),
                        "task-field",
                        format!("任务类细项不能设置 `{key}`"),
                        format!("`{key}` must not be set on a task"),
                        Some(Text::new(
                            "任务以完成百分比（0–100 %）计；若要设目标值，请加 `kind = \"number\"`",
                            "a task is measured in percent done (0–100 %); for a target value add `kind = \"number\"`",
                        )),
                    ));
                }
            }
            (Decimal::from(100), "%".to_string())
        }
        Kind::Number => {
            if t.get("target").is_none() {
                t.missing("target", diags);
            }
            if t.get("unit").is_none() {
                t.missing("unit", diags);
            }
            if let Some(target) = target {
                let bad = match direction {
                    Direction::AtLeast => target <= Decimal::ZERO,
                    Direction::AtMost => target < Decimal::ZERO,
                };
                if bad {
                    diags.push(item_error(
                        t,
                        locs.at("target"),
                        "invalid-target",
                        format!("目标值 {target} 无效：`>=` 目标须大于 0，`<=` 目标须不小于 0"),
                        format!("target {target} is invalid: a `>=` target must be above 0, a `<=` target at least 0"),
                        None,
                    ));
                }
            }
            (target.unwrap_or(Decimal::ONE), unit.unwrap_or_default())
        }
    };
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        diags.push(item_error(
            t,
            locs.at("max"),
            "invalid-bounds",
            format!("max = {hi} 小于 min = {lo}"),
            format!("max = {hi} is below min = {lo}"),
            None,
        ));
    }

    let year_start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    let year_end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    let mut date_in_year =
        |key: &'static str, default: NaiveDate, diags: &mut Diagnostics| -> NaiveDate {
            match t.date(key, &mut locs, diags) {
                Some(d) if d < year_start || d > year_end => {
                    diags.push(item_error(
                        t,
                        locs.at(key),
                        "date-outside-year",
                        format!("`{key}` = {d} 不在计划年度 {year} 内"),
                        format!("`{key}` = {d} is outside the plan's year {year}"),
                        None,
                    ));
                    default
                }
                Some(d) => d,
                None => default,
            }
        };
    let start = date_in_year("start", year_start, diags);
    let due = date_in_year("due", year_end, diags);
    if start >= due {
        diags.push(item_error(
            t,
            locs.at("due"),
            "start-after-due",
            format!("开始日期 {start} 不早于截止日期 {due}"),
            format!("start {start} is not before due {due}"),
            Some(Text::new(
                "`start` 须早于 `due`",
                "`start` must be before `due`",
            )),
        ));
    }

    let schedule = match t.string("schedule", &mut locs, diags).as_deref() {
        None | Some("linear") => Schedule::Linear,
        Some("at-due") => Schedule::AtDue,
        Some(_) => {
            diags.push(bad_value(
                t.src,
                t,
                t.get("schedule").unwrap(),
                "schedule",
                "\"linear\" 或 \"at-due\"",
                "\"linear\" or \"at-due\"",
            ));
            Schedule::Linear
        }
    };
    let cadence = match t.string("cadence", &mut locs, diags) {
        None => settings.cadence,
        Some(c) => Cadence::parse(&c).unwrap_or_else(|| {
            diags.push(bad_value(
                t.src,
                t,
                t.get("cadence").unwrap(),
                "cadence",
                "monthly、quarterly、half-yearly 或 yearly",
                "monthly, quarterly, half-yearly or yearly",
            ));
            settings.cadence
        }),
    };
    let weight = match t.decimal("weight", &mut locs, diags) {
        Some(w) if w <= Decimal::ZERO => {
            diags.push(item_error(
                t,
                locs.at("weight"),
                "invalid-weight",
                format!("权重 {w} 须大于 0"),
                format!("weight {w} must be above 0"),
                None,
            ));
            Decimal::ONE
        }
        Some(w) => w,
        None => Decimal::ONE,
    };

    let milestones = milestones(t, &mut locs, start, due, target, diags);
    if direction == Direction::AtMost {
        for key in ["milestones", "schedule"] {
            if t.get(key).is_some() {
                diags.push(item_error(
                    t,
                    locs.at(key),
                    "not-for-at-most",
                    format!("`<=` 细项不能设置 `{key}`"),
                    format!("`{key}` is not allowed on a `<=` item"),
                    Some(Text::new(
                        "`<=` 细项只判断是否守住目标值，没有进度",
                        "a `<=` item only stays within its target; it has no progress",
                    )),
                ));
            }
        }
    } else if t.get("schedule").is_some() && t.get("milestones").is_some() {
        diags.push(item_error(
            t,
            locs.at("schedule"),
            "schedule-with-milestones",
            "`schedule` 与 `milestones` 不能同时设置".to_string(),
            "`schedule` and `milestones` cannot both be set".to_string(),
            Some(Text::new(
                "有阶段性目标时按阶段性目标考核；删去其中之一",
                "milestones already set the schedule; remove one of them",
            )),
        ));
    }

    Item {
        id,
        name,
        indicator,
        lead,
        support,
        former_leads,
        owner,
        binding,
        kind,
        target,
        unit,
        direction,
        measure,
        start,
        due,
        schedule,
        cadence,
        weight,
        min,
        max,
        milestones,
        description: t.string("description", &mut locs, diags),
        locs,
    }
}

fn milestones(
    t: &Table<'_, '_>,
    locs: &mut Locs,
    start: NaiveDate,
    due: NaiveDate,
    target: Decimal,
    diags: &mut Diagnostics,
) -> Vec<Milestone> {
    let Some(v) = t.get("milestones") else {
        return Vec::new();
    };
    locs.set("milestones", t.source_span(v));
    let Some(arr) = v.get_ref().as_array() else {
        diags.push(bad_value(
            t.src,
            t,
            v,
            "milestones",
            "由 { due = …, value = … } 组成的数组",
            "an array of { due = …, value = … }",
        ));
        return Vec::new();
    };
    let mut out: Vec<Milestone> = Vec::new();
    for el in arr.iter() {
        let Some(mt) = el.get_ref().as_table() else {
            diags.push(bad_value(
                t.src,
                t,
                el,
                "milestones",
                "{ due = …, value = … }",
                "{ due = …, value = … }",
            ));
            continue;
        };
        let m = t.child(mt, el.span(), "milestone");
        m.deny_unknown(MILESTONE, diags);
        let mut ml = m.locs();
        let (due_value, value_value) = (m.get("due"), m.get("value"));
        let d = match due_value {
            None => {
                m.missing("due", diags);
                None
            }
            Some(dv) => value_date(dv).or_else(|| {
                diags.push(bad_value(t.src, &m, dv, "due", "日期", "a date"));
                None
            }),
        };
        let val = match value_value {
            None => {
                m.missing("value", diags);
                None
            }
            Some(vv) => m.decimal_of(vv).or_else(|| {
                diags.push(bad_value(t.src, &m, vv, "value", "数字", "a number"));
                None
            }),
        };
        let note = m.string("note", &mut ml, diags);
        let (Some(d), Some(val), Some(dv), Some(vv)) = (d, val, due_value, value_value) else {
            continue;
        };
        // Places are made for an error only: most milestones have none.
        let dplace = || m.place(dv);
        let vplace = || m.place(vv);
        if d < start || d > due {
            diags.push(item_error(
                t,
                dplace(),
                "milestone-outside",
                format!("阶段性目标日期 {d} 不在 [{start}, {due}] 内"),
                format!("milestone date {d} is outside [{start}, {due}]"),
                None,
            ));
        }
        if let Some(prev) = out.last() {
            if d <= prev.due {
                diags.push(item_error(
                    t,
                    dplace(),
                    "milestone-order",
                    format!("阶段性目标日期 {d} 不晚于前一个 {}", prev.due),
                    format!(
                        "milestone date {d} is not after the previous one, {}",
                        prev.due
                    ),
                    Some(Text::new(
                        "阶段性目标按日期严格递增排列",
                        "list milestones in strictly increasing date order",
                    )),
                ));
            }
            if val < prev.value {
                diags.push(item_error(
                    t,
                    vplace(),
                    "milestone-value",
                    format!("阶段性目标值 {val} 小于前一个 {}", prev.value),
                    format!(
                        "milestone value {val} is below the previous one, {}",
                        prev.value
                    ),
                    None,
                ));
            }
        }
        if val > target {
            diags.push(item_error(
                t,
                vplace(),
                "milestone-value",
                format!("阶段性目标值 {val} 超过目标值 {target}"),
                format!("milestone value {val} exceeds the target {target}"),
                None,
            ));
        }
        out.push(Milestone {
            due: d,
            value: val,
            note,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_file(name: &str, text: String) -> Arc<Source> {
        Arc::new(Source::new(&format!("indicators/2014/{name}"), text))
    }

    /// `n` indicators `<prefix><i>`, each with two items `<prefix><i>.1` and `<prefix><i>.2`.
    fn indicators(prefix: &str, n: usize) -> String {
        let mut text = String::new();
        for i in 0..n {
            text +=
                &format!("[[indicator]]\nid = \"{prefix}{i}\"\ncategory = \"c\"\nname = \"n\"\n");
            for j in 1..=2 {
                text += &format!(
                    "  [[indicator.item]]\n  id = \"{prefix}{i}.{j}\"\n  name = \"n\"\n  lead = \"d\"\n"
                );
            }
        }
        text
    }

    /// The plan and the problems (with their places) of `files` read in pieces of `piece` bytes.
    fn read_with(files: &[Arc<Source>], piece: usize) -> (String, Vec<String>) {
        let mut diags = Diagnostics::new();
        let (plan, complete) = read_in_pieces(2014, files, &Settings::default(), &mut diags, piece);
        let problems = diags
            .iter()
            .map(|d| format!("{} {}:{:?} {}", d.code, d.file, d.place, d.message.en))
            .collect();
        (format!("{complete} {plan:?}"), problems)
    }

    #[test]
    fn long_files_are_read_in_pieces_as_if_whole() {
        // Problems in several pieces, so that their places must count from the file's start.
        let mut text =
            String::from("# 计划\n[[category]]\nid = \"c\"\nname = \"类\"\npoints = 100\n\n");
        for i in 0..40 {
            text += &indicators(&format!("X{i}-"), 1);
            text += match i % 10 {
                3 => "  colour = \"红\"\n",
                7 => "  weight = \"two\"\n",
                9 => "  milestones = [{ due = 2014-03-31, value = 1.5, when = 1 }]\n",
                _ => "",
            };
        }
        let files = [plan_file("10-x.toml", text.clone())];
        let spans = pieces(&text, 256);
        assert!(spans.len() > 10, "{spans:?}");
        assert_eq!(spans.first().map(|s| s.start), Some(0));
        assert_eq!(spans.last().map(|s| s.end), Some(text.len()));
        for (a, b) in spans.iter().zip(&spans[1..]) {
            assert_eq!(a.end, b.start);
            assert!(text[b.clone()].starts_with("[[indicator]]\n"));
        }
        let whole = read_with(&files, usize::MAX);
        assert_eq!(whole.1.len(), 12, "{:#?}", whole.1);
        assert_eq!(read_with(&files, 256), whole);
        assert_eq!(read_with(&files, 1), whole);
    }

    #[test]
    fn a_piece_that_cannot_stand_alone_leaves_the_file_whole() {
        let many = indicators("A", 20);
        // Pieces of at least 64 bytes: the first ends before the first `[[indicator]]`.
        let long = format!("# {}\n", "-".repeat(64));
        let cases = [
            // An inline array that a later `[[indicator]]` may not extend (a TOML error).
            format!("indicator = [{{ id = \"Z\", category = \"c\", name = \"n\" }}]\n{long}{many}"),
            // A table of `indicator` that is not an array of tables (a TOML error).
            format!("[indicator.x]\n{long}{many}"),
            // A table defined twice, in different pieces (a TOML error).
            format!("[calendar]\n{long}{many}[calendar]\nholidays = [2014-05-01]\n"),
            // A multi-line string holding what looks like a header.
            format!("{many}  description = \"\"\"\n[[indicator]]\nid = 1\n\"\"\"\n{many}"),
        ];
        for text in cases {
            let files = [plan_file("10-x.toml", text.clone())];
            let spans = pieces(&text, 64);
            assert!(spans.len() > 2);
            assert!(text[spans[1].clone()].starts_with("[[indicator]]\n"));
            let whole = read_with(&files, usize::MAX);
            assert_eq!(read_with(&files, 64), whole, "{text}");
        }
    }

    proptest::proptest! {
        /// Plan files made of tables, with lines that could fool the cutting (headers inside
        /// strings and comments; `indicator` written other ways; a table defined twice; a syntax
        /// error; a byte-order mark), read the same in pieces as whole: the same plan, the same
        /// problems at the same places.
        #[test]
        fn pieces_read_as_the_whole_file(
            tables in proptest::collection::vec((0usize..8, 0u16..1024), 1..30),
            troubled in 0u8..4,
            start in 0usize..4,
            bom: bool,
        ) {
            const HEADERS: [&str; 8] = [
                "[[indicator]]\nid = \"I\"\ncategory = \"c\"\nname = \"指标\"\n",
                "  [[indicator.item]]\n  id = \"I.1\"\n  name = \"细项\"\n  lead = \"d\"\n",
                "  [[indicator.item]]\n  id = \"I.2\"\n  name = \"细项\"\n  lead = \"d\"\n",
                "[[indicator]] # 注释\nid = \"J\"\n",
                "[[indicator]]\r\nid = \"K\"\r\n",
                "[[ indicator ]]\nid = \"L\"\n",
                "[[indicator]]\nid = \"M\"\n",
                "[indicator.x]\n",
            ];
            const EXTRAS: [&str; 10] = [
                "colour = \"红\"\n",
                "weight = \"two\"\n",
                "description = \"\"\"\n[[indicator]]\nid = 1\n\"\"\"\n",
                "indicator = [{ id = \"Z\" }]\n",
                "x = [\n  1,\n]\n",
                "# 一行注释，足够长，使每一片都越过切分的长度\n# [[indicator]]\n",
                "y = { a = 1, b = \"[[indicator]]\" }\n",
                "[calendar]\nholidays = [2014-05-01]\n",
                "= oops\n",
                "\n\n",
            ];
            // What makes a piece unreadable alone (a header in a string, a second calendar, a
            // syntax error, a sub-table of `indicator`) in one file of four, so that the others
            // are read in pieces.
            let rare = |extras: u16, k: usize| {
                !matches!(k, 2 | 7 | 8) || (troubled == 0 && extras.is_multiple_of(5))
            };
            // The file's top: a category, or an `indicator` that no `[[indicator]]` may extend.
            let mut text = String::from(
                [
                    "[[category]]\nid = \"c\"\nname = \"类\"\n",
                    "indicator = [{ id = \"Z\" }]\n",
                    "[indicator.x]\n",
                    "[[indicator.item]]\nid = \"Z.1\"\n",
                ][start],
            );
            text += HEADERS[0];
            for (header, extras) in tables {
                text += HEADERS[if header == 7 && !rare(extras, 8) { 0 } else { header }];
                for (k, extra) in EXTRAS.iter().enumerate() {
                    if extras & (1 << k) != 0 && rare(extras, k) {
                        text += extra;
                    }
                }
            }
            if bom {
                text.insert(0, '\u{feff}');
            }
            // Two files, so that what one defines meets what the other does.
            let files = [plan_file("10-x.toml", text.clone()), plan_file("20-y.toml", text)];
            let whole = read_with(&files, usize::MAX);
            proptest::prop_assert_eq!(read_with(&files, 1), whole.clone());
            proptest::prop_assert_eq!(read_with(&files, 40), whole);
        }
    }

    #[test]
    fn files_read_apart_merge_in_name_order() {
        // The largest file is read first, yet everything comes out in the order of the names.
        let files = [
            plan_file(
                "a.toml",
                format!(
                    "[calendar]\nholidays = [2014-05-01]\n{}",
                    indicators("A", 1)
                ),
            ),
            plan_file(
                "b.toml",
                format!("{}\n[calendar]\nwrong = 1\n", indicators("B", 200)),
            ),
            plan_file(
                "c.toml",
                "[calendar]\nholidays = [2014-10-01]\n".to_string(),
            ),
            plan_file("d.toml", indicators("D", 2)),
        ];
        let mut diags = Diagnostics::new();
        let (plan, complete) = read(2014, &files, &Settings::default(), &mut diags);
        assert!(complete);
        let ids: Vec<&str> = plan.indicators.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids.len(), 203);
        assert_eq!(
            (ids[0], ids[1], ids[200], ids[201]),
            ("A0", "B0", "B199", "D0")
        );
        for item in &plan.items {
            let ind = &plan.indicators[item.indicator].id;
            assert!(
                item.id.starts_with(&format!("{ind}.")),
                "{} in {ind}",
                item.id
            );
        }
        // The first definition wins; each later one is reported, not read (so `wrong` is not).
        let holidays = plan.calendar.unwrap().holidays;
        assert_eq!(
            holidays.into_iter().collect::<Vec<_>>(),
            [NaiveDate::from_ymd_opt(2014, 5, 1).unwrap()]
        );
        let list: Vec<(&str, String, Option<usize>)> = diags
            .iter()
            .map(|d| (d.code, d.file.clone(), d.line()))
            .collect();
        assert_eq!(
            list,
            [
                (
                    "duplicate-table",
                    "indicators/2014/b.toml".to_string(),
                    Some(2402)
                ),
                (
                    "duplicate-table",
                    "indicators/2014/c.toml".to_string(),
                    Some(1)
                ),
            ]
        );
        assert!(
            diags
                .iter()
                .all(|d| d.message.en.contains("indicators/2014/a.toml:1"))
        );
    }

    #[test]
    fn the_calendar_alone_is_the_plans_calendar() {
        let holidays =
            |cal: Option<Calendar>| cal.map(|c| c.holidays.into_iter().collect::<Vec<_>>());
        let cases = [
            // The first definition in name order, as `read` takes it.
            vec![
                ("a.toml", indicators("A", 1)),
                (
                    "b.toml",
                    "[calendar]\nholidays = [2014-05-01]\n".to_string(),
                ),
                (
                    "c.toml",
                    "[calendar]\nholidays = [2014-10-01]\n".to_string(),
                ),
            ],
            // A key spelled with an escape, after a file that does not parse and one whose
            // `calendar` is no table.
            vec![
                ("a.toml", "[calendar\n".to_string()),
                ("b.toml", "calendar = 5\n".to_string()),
                (
                    "c.toml",
                    "[\"\\u0063alendar\"]\nholidays = [2014-10-01]\n".to_string(),
                ),
            ],
            vec![("a.toml", indicators("A", 1))],
        ];
        let day = |m, d| NaiveDate::from_ymd_opt(2014, m, d).unwrap();
        let expected = [Some(vec![day(5, 1)]), Some(vec![day(10, 1)]), None];
        for (case, expected) in cases.into_iter().zip(expected) {
            let files: Vec<_> = case.into_iter().map(|(n, t)| plan_file(n, t)).collect();
            let (plan, _) = read(2014, &files, &Settings::default(), &mut Diagnostics::new());
            assert_eq!(holidays(plan.calendar), expected);
            assert_eq!(holidays(read_calendar(2014, &files)), expected);
        }
    }

    #[test]
    fn a_file_that_does_not_parse_leaves_the_plan_incomplete() {
        let files = [
            plan_file("a.toml", indicators("A", 1)),
            plan_file("b.toml", "[[indicator]\n".to_string()),
        ];
        let mut diags = Diagnostics::new();
        let (plan, complete) = read(2014, &files, &Settings::default(), &mut diags);
        assert!(!complete);
        assert_eq!(plan.items.len(), 2);
        assert_eq!(
            diags.iter().map(|d| d.code).collect::<Vec<_>>(),
            ["toml-syntax"]
        );
    }
}
