//! Rules of progress entries (SPEC §3), applied record by record as a file is read.
//!
//! Each record is validated on its own; rules that compare records of one item (decreasing task
//! progress, the running sum within bounds) collect a small history per item and are judged after
//! every file has been read. Valid entries are handed to the caller (the status fold).

use std::collections::HashMap;
use std::collections::hash_map::Entry::{Occupied, Vacant};
use std::hash::BuildHasher;
use std::path::{Component, Path};
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use foldhash::fast::FixedState;
use rust_decimal::Decimal;

use crate::diag::{Diagnostic, Diagnostics, Place, Text};
use crate::model::{Division, EntryRef, Kind, Measure, Plan};
use crate::workspace::entries::{self, FILED, Header, RawRecord};
use crate::workspace::source::Source;
use crate::workspace::toml_reader::did_you_mean;

/// What the rules of one year need to know.
pub struct Rules<'a> {
    pub plan: &'a Plan,
    pub root: &'a Path,
    pub today: NaiveDate,
    /// `check` and `report add` refuse dates after today; status commands treat them as unknown.
    pub refuse_future: bool,
    /// Whether every plan file could be read; when not, records are not checked against the plan
    /// (its ids are partial), only the file's shape is.
    pub plan_complete: bool,
    /// Whether valid entries are handed on (to a status fold, to `report add`); `check` alone
    /// needs only the verdicts.
    pub hand_on: bool,
    /// Whether the rules that only warn are applied. `check` and `report add` show warnings; the
    /// status commands show only errors (which stop them), so they skip the work of warnings.
    pub warnings: bool,
}

/// A record kept for the rules that compare records of one item.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    pub date: NaiveDate,
    pub file: u32,
    pub line: u32,
    pub offset: u32,
    pub field: u8,
    pub value: Decimal,
}

/// Per-item histories for cross-record rules, by item index.
#[derive(Debug, Default)]
pub struct History {
    pub marks: HashMap<usize, Vec<Mark>, FixedState>,
}

impl History {
    pub fn merge(&mut self, other: History) {
        for (k, v) in other.marks {
            self.marks.entry(k).or_default().extend(v);
        }
    }

    /// Splits off the histories of the items for which `keep` is false.
    pub fn split(&mut self, keep: impl Fn(usize) -> bool) -> History {
        let (kept, other) = std::mem::take(&mut self.marks)
            .into_iter()
            .partition(|(index, _)| keep(*index));
        self.marks = kept;
        History { marks: other }
    }
}

/// What one file's records repeat, worked out once per file: whether a reporter may report for
/// the division (names are compared after NFC normalisation), and whether an evidence path exists.
#[derive(Default)]
struct Memo {
    /// By `short_key` of the name (a longer name is looked up every time).
    reporters: HashMap<u128, bool, FixedState>,
    evidence: HashMap<String, bool, FixedState>,
    /// Item ids seen in the file (by `short_key`) and their index: a file names few items, and
    /// this small map stays in the cache where the plan's 10,000 ids do not.
    items: HashMap<u128, Option<usize>, FixedState>,
    /// By item index: 0 not asked yet, 1 led by the file's division (or a former lead), 2 not.
    led: Vec<u8>,
    /// The last day a year's entries may be filed (31 March of the next year).
    filed_limit: Option<Option<NaiveDate>>,
    /// The dates of one year made so far, by `month * 32 + day`: reading the digits is quick,
    /// making a `NaiveDate` (which checks the calendar) is not.
    days: Vec<Option<NaiveDate>>,
    /// The year of `days`.
    days_year: i32,
    /// The last text of ten bytes read as a date in each column, and its date: neighbouring
    /// records mostly have the same dates.
    last_date: [([u8; 10], Option<NaiveDate>); 7],
}

impl Memo {
    /// Remembered answers are capped, so a file of ever new names costs no more than without.
    const CAP: usize = 64;

    fn item(&mut self, plan: &Plan, id: &str) -> Option<usize> {
        let Some(key) = short_key(id) else {
            return plan.item(id);
        };
        if let Some(index) = self.items.get(&key) {
            return *index;
        }
        let index = plan.item(id);
        if self.items.len() < Self::CAP * 64 {
            self.items.insert(key, index);
        }
        index
    }

    fn is_led_by(&mut self, plan: &Plan, index: usize, division: &str) -> bool {
        if self.led.len() != plan.items.len() {
            self.led = vec![0; plan.items.len()];
        }
        if self.led[index] == 0 {
            self.led[index] = if plan.items[index].is_led_by(division) {
                1
            } else {
                2
            };
        }
        self.led[index] == 1
    }

    /// `parse_date` of a value of column `col`, remembering the dates of the year last asked for.
    fn date(&mut self, s: &str, col: usize) -> Option<NaiveDate> {
        // A date is ten bytes, compared at once. An unused slot holds ten zero bytes, whose date
        // is `None` as it should be.
        let (Ok(bytes), true) = (
            <&[u8; 10]>::try_from(s.as_bytes()),
            col < self.last_date.len(),
        ) else {
            return self.day(s);
        };
        if self.last_date[col].0 != *bytes {
            self.last_date[col] = (*bytes, self.day(s));
        }
        self.last_date[col].1
    }

    fn day(&mut self, s: &str) -> Option<NaiveDate> {
        let (y, m, d) = date_digits(s)?;
        let Some(slot) = (m < 13 && d < 32).then_some((m * 32 + d) as usize) else {
            return NaiveDate::from_ymd_opt(y, m, d);
        };
        if self.days.is_empty() || self.days_year != y {
            self.days.clear();
            self.days.resize(13 * 32, None);
            self.days_year = y;
        }
        if let Some(date) = self.days[slot] {
            return Some(date);
        }
        let date = NaiveDate::from_ymd_opt(y, m, d);
        self.days[slot] = date;
        date
    }

    fn may_have_reported(&mut self, plan: &Plan, div: &Division, reporter: &str) -> bool {
        let Some(key) = short_key(reporter) else {
            return plan.may_have_reported(div, reporter);
        };
        if let Some(ok) = self.reporters.get(&key) {
            return *ok;
        }
        let ok = plan.may_have_reported(div, reporter);
        if self.reporters.len() < Self::CAP {
            self.reporters.insert(key, ok);
        }
        ok
    }

    fn evidence_exists(&mut self, root: &Path, evidence: &str) -> bool {
        if let Some(ok) = self.evidence.get(evidence) {
            return *ok;
        }
        let ok = root.join(evidence).exists();
        if self.evidence.len() < Self::CAP * 64 {
            self.evidence.insert(evidence.to_string(), ok);
        }
        ok
    }
}

/// A text of at most 15 bytes as one number (its bytes, then its length), which the memo's maps
/// hash and compare without following a pointer; a longer text has none.
///
/// The bytes are read as two overlapping words (the first eight and the last eight, or four and
/// four): a copy of a text's own length would be a call to `memcpy` per field.
fn short_key(s: &str) -> Option<u128> {
    let b = s.as_bytes();
    let n = b.len();
    // The bytes of `b` past the first `k`, from a word of its last `k` (a shift of the whole
    // word, when `n == k`, leaves nothing).
    let rest = |last: u64, k: usize| last.checked_shr(((2 * k - n) * 8) as u32).unwrap_or(0);
    let bytes: u128 = match n {
        16.. => return None,
        8.. => {
            let first = u64::from_le_bytes(*b.first_chunk::<8>()?);
            let last = u64::from_le_bytes(*b.last_chunk::<8>()?);
            u128::from(first) | u128::from(rest(last, 8)) << 64
        }
        4.. => {
            let first = u32::from_le_bytes(*b.first_chunk::<4>()?);
            let last = u32::from_le_bytes(*b.last_chunk::<4>()?);
            u128::from(first) | u128::from(rest(u64::from(last), 4)) << 32
        }
        _ => b
            .iter()
            .rev()
            .fold(0u128, |key, &byte| key << 8 | u128::from(byte)),
    };
    Some(bytes | (n as u128) << 120)
}

/// Validates every record of one progress file and calls `accept` with each valid entry.
pub fn scan_file(
    rules: &Rules<'_>,
    src: &Source,
    file: u32,
    division: &str,
    diags: &mut Diagnostics,
    history: &mut History,
    mut accept: impl FnMut(usize, &EntryRef<'_>),
) -> Option<Header> {
    let plan = rules.plan;
    let div = plan.division(division).filter(|_| rules.plan_complete);
    if div.is_none() && rules.plan_complete {
        let ids: Vec<&str> = plan.divisions.iter().map(|d| d.id.as_str()).collect();
        let guess = did_you_mean(division, ids.iter().copied());
        // `a.csv.csv`: saved as `a.csv` where Windows hides the extension it adds.
        let doubled = division
            .strip_suffix(".csv")
            .filter(|stem| ids.contains(stem));
        diags.push(
            Diagnostic::error(
                "unknown-division-file",
                &src.path,
                None,
                Text::new(
                    format!("文件名 `{division}` 不是 {} 年度的责任处", plan.year),
                    format!("`{division}` is not a division of {}", plan.year),
                ),
            )
            .with_help(match (doubled, guess) {
                (Some(stem), _) => Text::new(
                    format!(
                        "文件名以 .csv 结尾两次（Windows 可能隐藏了扩展名）；这些记录应写入 {stem}.csv"
                    ),
                    format!(
                        "the name ends in .csv twice (Windows may hide file extensions); these entries belong in {stem}.csv"
                    ),
                ),
                (None, Some(g)) => Text::new(
                    format!("是否应为 {g}.csv？"),
                    format!("did you mean {g}.csv?"),
                ),
                (None, None) if ids.is_empty() => Text::new(
                    format!(
                        "{} 年度的计划中还没有 [[division]]；先在 indicators/{}/ 中定义责任处",
                        plan.year, plan.year
                    ),
                    format!(
                        "the {} plan defines no [[division]] yet; define the divisions in indicators/{}/ first",
                        plan.year, plan.year
                    ),
                ),
                (None, None) => Text::new(
                    format!(
                        "进度文件以责任处标识命名：{}",
                        ids.iter()
                            .map(|i| format!("{i}.csv"))
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                    format!(
                        "progress files are named after divisions: {}",
                        ids.iter()
                            .map(|i| format!("{i}.csv"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            }),
        );
    }
    // Duplicates: a record whose fields equal an earlier record's, found by a hash of its fields.
    let capacity = if rules.warnings {
        src.text.len() / 64
    } else {
        0
    };
    let mut seen: HashMap<u64, usize, FixedState> =
        HashMap::with_capacity_and_hasher(capacity, FixedState::default());
    let mut memo = Memo::default();
    let header = entries::read(src, diags, |header, rec, diags| {
        let Some(div) = div else { return };
        let mut problems = Diagnostics::new();
        let valid = record(rules, src, div, header, rec, &mut memo, &mut problems);
        if !problems.is_empty() {
            diags.extend(problems);
        }
        let Some(Valid {
            index,
            date,
            value,
            filed,
        }) = valid
        else {
            return;
        };
        // Duplicates are warned of; one probe of the map, whether the record is new or not.
        let first = if rules.warnings {
            match seen.entry(FixedState::default().hash_one(rec.canonical.as_bytes())) {
                Occupied(first) => Some(*first.get()),
                Vacant(slot) => {
                    slot.insert(rec.line);
                    None
                }
            }
        } else {
            None
        };
        if let Some(first) = first {
            diags.push(
                Diagnostic::warning(
                    "duplicate-entry",
                    &src.path,
                    Some(src.line_place(rec.line)),
                    Text::new(
                        format!("与第 {first} 行的记录完全相同"),
                        format!("this record repeats line {first} exactly"),
                    ),
                )
                .with_help(Text::new(
                    "多半是 union 合并留下的重复行。记录不可删除：取最新值的细项不受影响；累计（sum）类细项会重复计入，请追加一条负数更正记录",
                    "most likely left by a union merge. Entries are never removed: a `latest` item is not affected; a `sum` item counts it twice, so add a correcting entry with the negative amount",
                )),
            );
        }
        let item = &plan.items[index];
        let bounded_sum =
            item.measure == Measure::Sum && (item.min.is_some() || item.max.is_some());
        // A task's history is for a warning (progress going down); a bounded sum's for an error.
        if let Some(value) = value
            && ((item.kind == Kind::Task && rules.warnings) || bounded_sum)
        {
            history.marks.entry(index).or_default().push(Mark {
                date,
                file,
                line: rec.line as u32,
                offset: rec.offset as u32,
                field: header.pos[entries::VALUE].unwrap_or(2) as u8,
                value,
            });
        }
        if rules.hand_on {
            use crate::workspace::entries::{EVIDENCE, ITEM, NOTE, REPORTER};
            let f = &rec.fields;
            let entry = EntryRef {
                date,
                item: f[ITEM],
                value,
                note: f[NOTE],
                evidence: f[EVIDENCE],
                reporter: f[REPORTER],
                filed,
                line: rec.line,
            };
            accept(index, &entry);
        }
    });
    if let Some(h) = &header
        && !h.has(FILED)
        && rules.warnings
    {
        diags.push(
            Diagnostic::warning(
                "no-filed-column",
                &src.path,
                Some(src.line_place(1)),
                Text::new(
                    "没有 filed 列：迟报无法与按时报送区分",
                    "no `filed` column: late reports cannot be told from timely ones",
                ),
            )
            .with_help(Text::new(
                "在表头末尾加上 `,filed`，今后每条记录填写录入日期",
                "add `,filed` to the header and record the filing date of every new entry",
            )),
        );
    }
    header
}

/// The place of one column of a record.
fn at(src: &Source, header: &Header, rec: &RawRecord<'_>, col: usize) -> Place {
    match header.pos[col] {
        Some(i) => entries::field_place(src, rec.offset, i),
        None => src.line_place(rec.line),
    }
}

/// Parses a strict `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let (y, m, d) = date_digits(s)?;
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Year, month and day of a text of the shape `YYYY-MM-DD`, not yet checked against the calendar.
fn date_digits(s: &str) -> Option<(i32, u32, u32)> {
    let b: &[u8; 10] = s.as_bytes().try_into().ok()?;
    // Each digit's value; a byte that is not a digit gives 10 or more.
    let d = |i: usize| u32::from(b[i].wrapping_sub(b'0'));
    let digits = [d(0), d(1), d(2), d(3), d(5), d(6), d(8), d(9)];
    if b[4] != b'-' || b[7] != b'-' || digits.iter().fold(0, |max, &v| max.max(v)) > 9 {
        return None;
    }
    let [y0, y1, y2, y3, m0, m1, d0, d1] = digits;
    Some((
        (y0 * 1000 + y1 * 100 + y2 * 10 + y3) as i32,
        m0 * 10 + m1,
        d0 * 10 + d1,
    ))
}

/// Help for a date that is not `YYYY-MM-DD`, showing the ISO form of an Excel-style date, or
/// saying that a date of the right shape is not a day of the calendar (`2014-02-30`).
pub fn date_help(s: &str) -> Text {
    if date_digits(s).is_some() {
        return Text::new(
            format!("{s} 不是日历上的日期，请检查月份和日数"),
            format!("{s} is not a day of the calendar: check the month and the day"),
        );
    }
    if let Some(date) = excel_date(s) {
        let iso = date.format("%Y-%m-%d");
        return Text::new(
            format!("日期须写作 YYYY-MM-DD，如 {iso}（Excel 请将单元格格式设为文本或 yyyy-mm-dd）"),
            format!(
                "write dates as YYYY-MM-DD: {iso} (in Excel, format the cells as text or yyyy-mm-dd)"
            ),
        );
    }
    Text::new(
        "日期须写作 YYYY-MM-DD，如 2014-06-30",
        "write dates as YYYY-MM-DD, like 2014-06-30",
    )
}

/// The day an Excel-style date stands for: `2014/7/1`, `2014.7.1`, `2014年7月1日`.
pub fn excel_date(s: &str) -> Option<NaiveDate> {
    let parts: Vec<&str> = s
        .trim()
        .split(['/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    match parts[..] {
        [y, m, d] => NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?),
        _ => None,
    }
}

/// Whether `s` is a value of the accepted shape `^-?[0-9]+(\.[0-9]+)?$`.
pub fn valid_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s).as_bytes();
    let int = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    match &digits[int..] {
        [] => int > 0,
        [b'.', frac @ ..] => int > 0 && !frac.is_empty() && frac.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// Help for a value of the wrong shape: the accepted form of what was meant.
fn value_help(s: &str) -> Text {
    let fixed: String = s
        .chars()
        .filter_map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
            '．' => Some('.'),
            '－' => Some('-'),
            ',' | '，' | ' ' | '\u{3000}' | '%' | '％' => None,
            c => Some(c),
        })
        .collect();
    // A comma is a thousands separator only between groups of three digits: `1,200` means 1200,
    // but `3,5` is more likely a decimal comma, and guessing 35 would be dangerous.
    let int_part = s.split(['.', '．']).next().unwrap_or("");
    let groups: Vec<&str> = int_part.split([',', '，']).collect();
    let separators_ok = groups.len() == 1 || groups[1..].iter().all(|g| g.chars().count() == 3);
    if !separators_ok {
        return Text::new(
            "数值只能是数字；小数点用英文句点（如 3.5），不用逗号",
            "a value is a plain number; the decimal mark is a point (3.5), not a comma",
        );
    }
    if valid_number(&fixed) && fixed != s {
        Text::new(
            format!("只写数字，不带空格、%、千位分隔符或全角数字：{fixed}"),
            format!(
                "write the plain number, without spaces, %, thousands separators or full-width digits: {fixed}"
            ),
        )
    } else {
        Text::new(
            "数值只能是数字，如 55、-3.5；没有新进展请留空并在 note 中说明（零报告）",
            "a value is a plain number such as 55 or -3.5; leave it empty with a note for a nil return",
        )
    }
}

fn err(code: &'static str, src: &Source, place: Place, zh: String, en: String) -> Diagnostic {
    Diagnostic::error(code, &src.path, Some(place), Text::new(zh, en))
}

/// What a valid record gives the rules that compare records.
struct Valid {
    index: usize,
    date: NaiveDate,
    value: Option<Decimal>,
    filed: Option<NaiveDate>,
}

/// Validates one record into `diags` (which starts empty); when it has no error, returns what the
/// fold and the rules across records need (the entry's text is the record's).
#[allow(clippy::too_many_arguments)]
fn record(
    rules: &Rules<'_>,
    src: &Source,
    div: &Division,
    header: &Header,
    rec: &RawRecord<'_>,
    memo: &mut Memo,
    diags: &mut Diagnostics,
) -> Option<Valid> {
    use crate::workspace::entries::{DATE, EVIDENCE, ITEM, NOTE, REPORTER, VALUE};
    let plan = rules.plan;
    let year = plan.year;
    let f = &rec.fields;

    // date
    let date = match memo.date(f[DATE], DATE) {
        Some(d) => {
            if d.year() != year {
                diags.push(
                    err(
                        "date-outside-year",
                        src,
                        at(src, header, rec, DATE),
                        format!("日期 {d} 不在 {year} 年内"),
                        format!("date {d} is outside {year}"),
                    )
                    .with_help(Text::new(
                        format!("{} 年的记录写入 reports/{}/", d.year(), d.year()),
                        format!("entries of {} go in reports/{}/", d.year(), d.year()),
                    )),
                );
            } else if rules.refuse_future && d > rules.today {
                diags.push(
                    err(
                        "date-in-future",
                        src,
                        at(src, header, rec, DATE),
                        format!("日期 {d} 晚于今天（{}）", rules.today),
                        format!("date {d} is after today ({})", rules.today),
                    )
                    .with_help(Text::new(
                        "记录只能报告已经发生的进展",
                        "an entry reports what has already happened",
                    )),
                );
            }
            Some(d)
        }
        None => {
            let (zh, en) = if f[DATE].is_empty() {
                ("缺少日期".to_string(), "the date is missing".to_string())
            } else {
                (
                    format!("日期 `{}` 不是 YYYY-MM-DD 格式的有效日期", f[DATE]),
                    format!("`{}` is not a valid YYYY-MM-DD date", f[DATE]),
                )
            };
            diags.push(
                err("invalid-date", src, at(src, header, rec, DATE), zh, en)
                    .with_help(date_help(f[DATE])),
            );
            None
        }
    };

    // item
    let item_index = memo.item(plan, f[ITEM]);
    match item_index {
        None => {
            let led: Vec<&str> = plan
                .items
                .iter()
                .filter(|i| i.is_led_by(&div.id))
                .map(|i| i.id.as_str())
                .collect();
            let guess = did_you_mean(f[ITEM], led.iter().copied())
                .or_else(|| did_you_mean(f[ITEM], plan.items.iter().map(|i| i.id.as_str())));
            let (zh, en) = if f[ITEM].is_empty() {
                (
                    "缺少细项标识".to_string(),
                    "the item is missing".to_string(),
                )
            } else {
                (
                    format!("{year} 年度没有细项 `{}`", f[ITEM]),
                    format!("no item `{}` in the {year} plan", f[ITEM]),
                )
            };
            let d = err("unknown-item", src, at(src, header, rec, ITEM), zh, en);
            diags.push(match guess {
                Some(g) => d.with_help(Text::new(
                    format!("是否应为 `{g}`？"),
                    format!("did you mean `{g}`?"),
                )),
                None => d.with_help(Text::new(
                    format!("本处牵头的细项：{}", led.join("、")),
                    format!("items led by {}: {}", div.id, led.join(", ")),
                )),
            });
        }
        // An item whose lead is not a division is reported once, in the plan; its entries are
        // not blamed for it.
        Some(i)
            if !memo.is_led_by(plan, i, &div.id)
                && plan.division(&plan.items[i].lead).is_some() =>
        {
            let lead = &plan.items[i].lead;
            diags.push(
                err(
                    "item-not-led",
                    src,
                    at(src, header, rec, ITEM),
                    format!("细项 `{}` 的责任处是 {lead}，不是 {}", f[ITEM], div.id),
                    format!("item `{}` is led by {lead}, not {}", f[ITEM], div.id),
                )
                .with_help(Text::new(
                    format!("该细项的进度写入 reports/{year}/{lead}.csv"),
                    format!("its entries go in reports/{year}/{lead}.csv"),
                )),
            );
        }
        Some(_) => {}
    }
    let item = item_index.map(|i| &plan.items[i]);

    // note
    let note = f[NOTE];
    if note.len() > 2000 && note.chars().count() > 2000 {
        diags.push(
            err(
                "note-too-long",
                src,
                at(src, header, rec, NOTE),
                format!("说明有 {} 个字符，超过 2000", note.chars().count()),
                format!(
                    "the note has {} characters, more than 2000",
                    note.chars().count()
                ),
            )
            .with_help(Text::new(
                "详细材料放在 evidence 所指的文件中",
                "put long material in the file that `evidence` points to",
            )),
        );
    }
    if let Some(c) = control_char(note) {
        diags.push(
            err(
                "note-control-char",
                src,
                at(src, header, rec, NOTE),
                format!("说明含控制字符 U+{:04X}", c as u32),
                format!("the note holds the control character U+{:04X}", c as u32),
            )
            .with_help(Text::new(
                "删去该字符（常见于从其他系统复制的文字）",
                "remove it (it often comes with text copied from other systems)",
            )),
        );
    }

    // value
    let raw = f[VALUE];
    let value = if raw.is_empty() {
        if note.trim().is_empty() {
            diags.push(
                err(
                    "nil-without-note",
                    src,
                    at(src, header, rec, VALUE),
                    "零报告（数值为空）须在 note 中说明".into(),
                    "a nil return (empty value) needs a note".into(),
                )
                .with_help(Text::new(
                    "在 note 中写明，如“本月无新增事项（零报告）”",
                    "say why in the note, e.g. \"nothing new this month (nil return)\"",
                )),
            );
        }
        None
    } else if !valid_number(raw) {
        diags.push(
            err(
                "invalid-number",
                src,
                at(src, header, rec, VALUE),
                format!("数值 `{raw}` 格式不对"),
                format!("`{raw}` is not a number of the accepted form"),
            )
            .with_help(value_help(raw)),
        );
        None
    } else {
        match Decimal::from_str(raw) {
            // Rounded past what `Decimal` holds is not the value written (SPEC §2.2: exact).
            Ok(v) if crate::model::decimal_is_exact(raw, v) => Some(v),
            _ => {
                diags.push(err(
                    "invalid-number",
                    src,
                    at(src, header, rec, VALUE),
                    format!("数值 `{raw}` 超出可表示的范围"),
                    format!("`{raw}` is too large or too precise"),
                ));
                None
            }
        }
    };
    if let (Some(v), Some(item)) = (value, item) {
        let place = || at(src, header, rec, VALUE);
        if item.kind == Kind::Task && outside_percent(raw, v) {
            diags.push(
                err(
                    "value-out-of-range",
                    src,
                    place(),
                    format!("任务进度 {v} 不在 0–100 之间"),
                    format!("task progress {v} is not within 0–100"),
                )
                .with_help(Text::new(
                    "任务填写完成百分比，不带 %：0 到 100",
                    "a task's value is its percent done, without %: 0 to 100",
                )),
            );
        } else if item.measure == Measure::Latest {
            if let Some(min) = item.min.filter(|m| v < *m) {
                diags.push(err(
                    "value-out-of-range",
                    src,
                    place(),
                    format!("数值 {v} 小于下限 min = {min}"),
                    format!("value {v} is below min = {min}"),
                ));
            }
            if let Some(max) = item.max.filter(|m| v > *m) {
                diags.push(err(
                    "value-out-of-range",
                    src,
                    place(),
                    format!("数值 {v} 大于上限 max = {max}"),
                    format!("value {v} is above max = {max}"),
                ));
            }
        }
    }

    // evidence
    let evidence = f[EVIDENCE];
    if !evidence.is_empty() {
        check_evidence(rules, src, header, rec, evidence, memo, diags);
    }

    // reporter
    let reporter = f[REPORTER];
    if reporter.chars().all(char::is_whitespace) {
        diags.push(
            err(
                "missing-reporter",
                src,
                at(src, header, rec, REPORTER),
                "缺少报送人".into(),
                "the reporter is missing".into(),
            )
            .with_help(Text::new(
                "填写本处联络员或处级领导的姓名",
                "name the division's liaison or leader",
            )),
        );
    } else if !memo.may_have_reported(plan, div, reporter) {
        let mut names: Vec<&str> = div.liaisons.iter().map(|p| p.name.as_str()).collect();
        names.extend(div.leader.iter().map(|p| p.name.as_str()));
        diags.push(err("unknown-reporter", src, at(src, header, rec, REPORTER), format!("{reporter} 不是{}的联络员、处级领导或办绩效办人员", div.name), format!("{reporter} is not a liaison or the leader of {}, nor performance office staff", div.id)).with_help(Text::new(
            format!("本处可报送的人员：{}；人员变动请先在计划中更新 liaisons / former_liaisons", names.join("、")),
            format!("who may report for {}: {}; record staff changes in the plan's liaisons / former_liaisons first", div.id, names.join(", ")),
        )));
    }

    // filed
    let filed = if !header.has(FILED) || f[FILED].is_empty() {
        None
    } else {
        match memo.date(f[FILED], FILED) {
            None => {
                diags.push(
                    err(
                        "invalid-date",
                        src,
                        at(src, header, rec, FILED),
                        format!("录入日期 `{}` 不是 YYYY-MM-DD 格式的有效日期", f[FILED]),
                        format!("filed `{}` is not a valid YYYY-MM-DD date", f[FILED]),
                    )
                    .with_help(date_help(f[FILED])),
                );
                None
            }
            Some(fd) => {
                let limit = *memo
                    .filed_limit
                    .get_or_insert_with(|| NaiveDate::from_ymd_opt(year + 1, 3, 31))
                    .as_ref()
                    .unwrap_or(&fd);
                let place = || at(src, header, rec, FILED);
                // A date after today is reported already; `filed` before it follows from that.
                let future = rules.refuse_future && date.is_some_and(|d| d > rules.today);
                if date.is_some_and(|d| fd < d) && !future {
                    diags.push(
                        err(
                            "invalid-filed",
                            src,
                            place(),
                            format!("录入日期 {fd} 早于数据日期 {}", date.unwrap_or(fd)),
                            format!(
                                "filed {fd} is before the entry's date {}",
                                date.unwrap_or(fd)
                            ),
                        )
                        .with_help(Text::new(
                            "filed 是记录录入的日期，不能早于 date",
                            "`filed` is the day the entry was recorded, not before `date`",
                        )),
                    );
                } else if rules.refuse_future && fd > rules.today {
                    diags.push(err(
                        "invalid-filed",
                        src,
                        place(),
                        format!("录入日期 {fd} 晚于今天（{}）", rules.today),
                        format!("filed {fd} is after today ({})", rules.today),
                    ));
                } else if fd > limit {
                    diags.push(err("invalid-filed", src, place(), format!("录入日期 {fd} 晚于次年 3 月 31 日"), format!("filed {fd} is after 31 March of the next year")).with_help(Text::new("年度数据须在次年 3 月底前录入", "a year's entries must be recorded by the end of March of the next year")));
                }
                Some(fd)
            }
        }
    };

    // Warnings about the entry's place in the item's span (a date outside the year is an error
    // already).
    if let (Some(d), Some(item)) = (date.filter(|d| d.year() == year), item)
        && rules.warnings
    {
        if d > item.due {
            diags.push(Diagnostic::warning(
                "after-due",
                &src.path,
                Some(at(src, header, rec, DATE)),
                Text::new(
                    format!(
                        "日期 {d} 晚于细项 {} 的截止日期 {}，不计入完成情况",
                        item.id, item.due
                    ),
                    format!(
                        "date {d} is after item {}'s due date {}: it does not count",
                        item.id, item.due
                    ),
                ),
            ));
        } else if d < item.start {
            diags.push(Diagnostic::warning(
                "before-start",
                &src.path,
                Some(at(src, header, rec, DATE)),
                Text::new(
                    format!(
                        "日期 {d} 早于细项 {} 的开始日期 {}（仍计入）",
                        item.id, item.start
                    ),
                    format!(
                        "date {d} is before item {}'s start {} (it still counts)",
                        item.id, item.start
                    ),
                ),
            ));
        }
    }

    if diags.has_errors() {
        return None;
    }
    Some(Valid {
        index: item_index?,
        date: date?,
        value,
        filed,
    })
}

/// Whether value `v`, written `raw`, is outside 0–100. Decimals are compared only when the text
/// may be: most values are neither negative nor of three digits or more before the point.
fn outside_percent(raw: &str, v: Decimal) -> bool {
    // The digits before the point (a value is one to a few bytes: a search for '.' costs more).
    let int_digits = raw.bytes().position(|b| b == b'.').unwrap_or(raw.len());
    (raw.starts_with('-') && v < Decimal::ZERO) || (int_digits >= 3 && v > Decimal::ONE_HUNDRED)
}

/// The first control character of a note: newline and tab are allowed, a carriage return only as
/// part of a CRLF line end.
fn control_char(note: &str) -> Option<char> {
    // Control characters are below U+0020, U+007F, or U+0080–U+009F (UTF-8 lead byte 0xC2).
    // Folded sixteen bytes at a time without stopping early, so that the compiler checks them
    // together; then the last sixteen, which overlap the block before them (or are that block,
    // looked at twice, when the length is a multiple of sixteen). A note is a few dozen bytes.
    let bytes = note.as_bytes();
    let suspect = |any: bool, b: &u8| any | (*b < 0x20) | (*b == 0x7f) | (*b == 0xc2);
    let block = |b: &[u8; 16]| b.iter().fold(false, suspect);
    let any = match bytes.last_chunk::<16>() {
        Some(last) => bytes.as_chunks::<16>().0.iter().any(block) || block(last),
        None => bytes.iter().fold(false, suspect),
    };
    if !any {
        return None;
    }
    first_control(note)
}

/// The first control character of `note`, by looking at every character (what `control_char`
/// gives, without its quick look at the bytes first).
fn first_control(note: &str) -> Option<char> {
    let mut chars = note.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        if c.is_control() && !matches!(c, '\n' | '\t') {
            return Some(c);
        }
    }
    None
}

/// Whether evidence is a URL: a scheme (letters, digits, `+`, `-`, `.`) and `://`. The first
/// `:` is looked for, not `://` (whose search is set up anew for each call: a tenth of a million
/// records have evidence); a scheme cannot hold a `:`, so it is the one before `//`.
fn is_url(evidence: &str) -> bool {
    evidence.find(':').is_some_and(|at| {
        let scheme = &evidence[..at];
        evidence[at..].starts_with("://")
            && !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    })
}

fn check_evidence(
    rules: &Rules<'_>,
    src: &Source,
    header: &Header,
    rec: &RawRecord<'_>,
    evidence: &str,
    memo: &mut Memo,
    diags: &mut Diagnostics,
) {
    use crate::workspace::entries::EVIDENCE;
    if is_url(evidence) {
        return;
    }
    // A backslash separates folders on Windows, where the workspace is also used: `..\x` climbs.
    let slashed = if evidence.contains('\\') {
        std::borrow::Cow::Owned(evidence.replace('\\', "/"))
    } else {
        std::borrow::Cow::Borrowed(evidence)
    };
    let path = Path::new(slashed.as_ref());
    let mut depth: i32 = 0;
    let mut escapes =
        evidence.starts_with('/') || evidence.starts_with('\\') || evidence.contains(':');
    for c in path.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::ParentDir => depth -= 1,
            Component::CurDir => {}
            _ => escapes = true,
        }
        if depth < 0 {
            escapes = true;
        }
    }
    if escapes {
        diags.push(err("evidence-outside", src, at(src, header, rec, EVIDENCE), format!("佐证材料路径 `{evidence}` 指向工作区之外"), format!("evidence path `{evidence}` leads outside the workspace")).with_help(Text::new(
            "写工作区内的相对路径（如 docs/2014/E1.1-h1.pdf），或完整网址（https://…）",
            "use a path relative to the workspace root (like docs/2014/E1.1-h1.pdf) or a URL (https://…)",
        )));
    } else if rules.warnings && !memo.evidence_exists(rules.root, evidence) {
        diags.push(
            Diagnostic::warning(
                "evidence-missing",
                &src.path,
                Some(at(src, header, rec, EVIDENCE)),
                Text::new(
                    format!("佐证材料 `{evidence}` 不存在"),
                    format!("evidence file `{evidence}` does not exist"),
                ),
            )
            .with_help(Text::new(
                "把文件加入仓库，或改正路径",
                "add the file to the repository, or correct the path",
            )),
        );
    }
}

/// Judges the rules that compare records of one item, once every file has been read: a task's
/// progress going down, and a `sum` item's running sum leaving its bounds. `files` are the files
/// the marks were read from, by their index.
pub fn judge_history(plan: &Plan, history: History, files: &[Source]) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for (m, d) in judge(plan, history) {
        diags.push(placed(d, &files[m.file as usize], &m));
    }
    diags
}

/// Gives a problem found by `judge` the file and place of its mark.
pub fn placed(mut d: Diagnostic, src: &Source, m: &Mark) -> Diagnostic {
    d.file = src.path.clone();
    d.place = Some(entries::field_place(
        src,
        m.offset as usize,
        m.field as usize,
    ));
    d
}

/// Sorts `v` by `key`, which is unique (a record gives at most one mark, so its file and line
/// are; the standard unstable sort then gives the same order). Entries are appended as they are
/// filed, so an item's marks are nearly in date order: an entry filed late sits a few places after
/// its date. Each one out of place is moved back to its place, which costs little for such a
/// list; a list far from its order (past a budget of moves) is sorted by the standard sort.
fn sort_nearly_sorted<K: Ord>(v: &mut [Mark], key: impl Fn(&Mark) -> K) {
    let mut budget = 8 * v.len();
    for i in 1..v.len() {
        let k = key(&v[i]);
        if key(&v[i - 1]) <= k {
            continue;
        }
        let at = v[..i]
            .iter()
            .rposition(|m| key(m) <= k)
            .map_or(0, |p| p + 1);
        budget = budget.saturating_sub(i - at);
        if budget == 0 {
            v.sort_unstable_by_key(key);
            return;
        }
        v[at..=i].rotate_right(1);
    }
}

/// The problems of `judge_history`, each with the mark it is about, without a file or place yet:
/// so that only the files that have such a problem need to be read again.
pub fn judge(plan: &Plan, history: History) -> Vec<(Mark, Diagnostic)> {
    let mut diags = Vec::new();
    let mut items: Vec<_> = history.marks.into_iter().collect();
    // Keys are unique (an item once; a file's line once), so an unstable sort gives one order.
    items.sort_unstable_by_key(|(i, _)| *i);
    for (index, mut marks) in items {
        let item = &plan.items[index];
        sort_nearly_sorted(&mut marks, |m| (m.date, m.file, m.line));
        if item.kind == Kind::Task {
            // The last line of each date, in date order: a mark whose next has another date.
            let mut last: Option<Mark> = None;
            let ends = marks
                .windows(2)
                .filter(|w| w[0].date != w[1].date)
                .map(|w| w[0]);
            for m in ends.chain(marks.last().copied()) {
                if let Some(prev) = last
                    && m.value < prev.value
                {
                    diags.push((m, Diagnostic::warning("progress-decrease", "", None, Text::new(
                            format!("细项 {} 的进度从 {}（{}）降到 {}（{}）", item.id, prev.value, prev.date, m.value, m.date),
                            format!("item {}'s progress goes down from {} ({}) to {} ({})", item.id, prev.value, prev.date, m.value, m.date),
                        )).with_help(Text::new("进度一般不会倒退；若是更正，请以同一日期再报一条", "progress rarely goes back; to correct a figure, add an entry with the same date"))));
                }
                last = Some(m);
            }
        } else {
            let mut sum = Decimal::ZERO;
            for m in marks {
                sum = sum.saturating_add(m.value);
                let out = item
                    .min
                    .filter(|lo| sum < *lo)
                    .map(|lo| ("下限 min", "min", lo))
                    .or_else(|| {
                        item.max
                            .filter(|hi| sum > *hi)
                            .map(|hi| ("上限 max", "max", hi))
                    });
                if let Some((zh, en, bound)) = out {
                    diags.push((
                        m,
                        Diagnostic::error(
                        "value-out-of-range",
                        "",
                        None,
                        Text::new(
                            format!(
                                "细项 {} 的累计值到 {} 为 {sum}，超出{zh} = {bound}",
                                item.id, m.date
                            ),
                            format!(
                                "item {}'s running sum reaches {sum} on {}, beyond {en} = {bound}",
                                item.id, m.date
                            ),
                        ),
                    ),
                    ));
                }
            }
        }
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The key is the text's bytes, then zeros, with its length in the last byte.
        #[test]
        fn a_short_key_is_the_bytes_and_the_length(s in "[a中0-9-]{0,9}") {
            let b = s.as_bytes();
            let mut wide = [0u8; 16];
            let expected = (b.len() < 16).then(|| {
                wide[..b.len()].copy_from_slice(b);
                wide[15] = b.len() as u8;
                u128::from_le_bytes(wide)
            });
            prop_assert_eq!(short_key(&s), expected);
        }
    }

    proptest! {
        /// The shortcut agrees with comparing the decimals, for every value of the accepted form.
        #[test]
        fn outside_percent_is_the_comparison(raw in "-?0{0,3}[0-9]{1,4}(\\.[0-9]{1,3})?") {
            let v = Decimal::from_str(&raw).unwrap();
            prop_assert_eq!(
                outside_percent(&raw, v),
                v < Decimal::ZERO || v > Decimal::ONE_HUNDRED
            );
        }
    }

    proptest! {
        /// `is_url` is the search for `://` after a scheme, as it was written first.
        #[test]
        fn a_url_is_a_scheme_and_two_slashes(evidence in "[a-z:/+.\\-中 ]{0,12}") {
            let first = evidence.split_once("://").is_some_and(|(scheme, _)| {
                !scheme.is_empty()
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            });
            prop_assert_eq!(is_url(&evidence), first, "{}", evidence);
        }
    }

    proptest! {
        /// `sort_nearly_sorted` gives the standard sort's order, whether the marks are a few
        /// places out of order (each moved back) or far from it (past the budget of moves).
        #[test]
        fn nearly_sorted_marks_sort_like_the_standard_sort(
            days in proptest::collection::vec(0u32..60, 0..200),
            shuffled in any::<bool>(),
        ) {
            let start = NaiveDate::from_ymd_opt(2014, 1, 1).unwrap();
            let mut days = days;
            if !shuffled {
                // Filed in order, except that some entries come a few places late.
                days.sort_unstable();
                for i in (3..days.len()).step_by(5) {
                    days.swap(i, i - 3);
                }
            }
            let mut marks: Vec<Mark> = days
                .iter()
                .enumerate()
                .map(|(line, &d)| Mark {
                    date: start + chrono::Days::new(u64::from(d)),
                    file: (line % 2) as u32,
                    line: line as u32,
                    offset: 0,
                    field: 2,
                    value: Decimal::from(line),
                })
                .collect();
            let key = |m: &Mark| (m.date, m.file, m.line);
            let mut expected = marks.clone();
            expected.sort_unstable_by_key(key);
            sort_nearly_sorted(&mut marks, key);
            let lines = |v: &[Mark]| v.iter().map(|m| m.line).collect::<Vec<_>>();
            prop_assert_eq!(lines(&marks), lines(&expected));
        }
    }

    proptest! {
        /// The quick look for control bytes misses no control character, at any length and
        /// place. The rest of the note has no byte the quick look stops at, so that a character
        /// it misses is not found anyway by the look at every character that follows.
        #[test]
        fn control_chars_are_found_wherever_they_are(
            text in "[a中，é]{0,40}",
            at in any::<prop::sample::Index>(),
            control in proptest::option::of("[\u{1}\u{1f}\u{7f}\u{85}\u{9f}]"),
        ) {
            let mut note = text.clone();
            if let Some(c) = &control {
                let places: Vec<usize> =
                    (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
                note.insert_str(places[at.index(places.len())], c);
            }
            prop_assert_eq!(control_char(&note), first_control(&note));
            prop_assert_eq!(control_char(&note).is_some(), control.is_some());
        }
    }

    #[test]
    fn control_chars_are_found_at_every_length_and_place() {
        for base in ["a", "中"] {
            for n in 0..=48 {
                let text = base.repeat(n);
                for at in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
                    for c in ['\u{1}', '\u{1f}', '\u{7f}', '\u{85}', '\u{9f}'] {
                        let mut note = text.clone();
                        note.insert(at, c);
                        assert_eq!(control_char(&note), Some(c), "{note:?}");
                    }
                    // Bytes the quick look stops at, in characters that are allowed.
                    for allowed in ["\r\n", "\n", "\t", "\u{a0}"] {
                        let mut note = text.clone();
                        note.insert_str(at, allowed);
                        assert_eq!(control_char(&note), None, "{note:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn outside_percent_at_the_edges() {
        for (raw, outside) in [
            ("0", false),
            ("-0", false),
            ("-0.00", false),
            ("-0.01", true),
            ("100", false),
            ("100.000", false),
            ("0100", false),
            ("100.001", true),
            ("99.999", false),
            ("101", true),
        ] {
            let v = Decimal::from_str(raw).unwrap();
            assert_eq!(outside_percent(raw, v), outside, "{raw}");
        }
    }
}
