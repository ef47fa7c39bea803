//! The plain data of a workspace: settings, the year's plan and progress entries. No I/O here.
//!
//! Values that a rule can point at keep their source place in `Locs`, so checks that run after
//! loading (references, completeness, points) still report `file:line:column`.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::sync::Arc;

use chrono::NaiveDate;
use foldhash::fast::FixedState;
use rust_decimal::Decimal;

use crate::diag::{Lang, Place};
use crate::workspace::source::Source;

/// Reporting cadence of an item: the length of its reporting periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cadence {
    Monthly,
    Quarterly,
    HalfYearly,
    Yearly,
}

impl Cadence {
    pub const ALL: [Cadence; 4] = [
        Cadence::Monthly,
        Cadence::Quarterly,
        Cadence::HalfYearly,
        Cadence::Yearly,
    ];

    pub fn parse(s: &str) -> Option<Cadence> {
        Cadence::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Monthly => "monthly",
            Cadence::Quarterly => "quarterly",
            Cadence::HalfYearly => "half-yearly",
            Cadence::Yearly => "yearly",
        }
    }

    /// Months in one period.
    pub fn months(self) -> u32 {
        match self {
            Cadence::Monthly => 1,
            Cadence::Quarterly => 3,
            Cadence::HalfYearly => 6,
            Cadence::Yearly => 12,
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Cadence::Monthly, Lang::Zh) => "月报",
            (Cadence::Quarterly, Lang::Zh) => "季报",
            (Cadence::HalfYearly, Lang::Zh) => "半年报",
            (Cadence::Yearly, Lang::Zh) => "年报",
            (c, Lang::En) => c.as_str(),
        }
    }
}

/// Settings of the office, from `perf.toml`.
#[derive(Debug, Clone)]
pub struct Settings {
    pub office: String,
    pub short_name: Option<String>,
    pub year: Option<i32>,
    pub lang: Lang,
    pub timezone: String,
    /// Traffic-light thresholds in percentage points of the target.
    pub yellow: Decimal,
    pub red: Decimal,
    pub cadence: Cadence,
    pub red_after: u32,
    /// Working days after a period's end by which it must be reported, by cadence.
    pub deadline: [u32; 4],
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            office: String::new(),
            short_name: None,
            year: None,
            lang: Lang::Zh,
            timezone: "Asia/Shanghai".to_string(),
            yellow: Decimal::from(10),
            red: Decimal::from(30),
            cadence: Cadence::Monthly,
            red_after: 2,
            deadline: [5, 10, 15, 20],
        }
    }
}

impl Settings {
    pub fn deadline_days(&self, cadence: Cadence) -> u32 {
        self.deadline[cadence as usize]
    }

    /// The name used where space is short.
    pub fn short(&self) -> &str {
        self.short_name.as_deref().unwrap_or(&self.office)
    }
}

/// A byte range of a plan file in the 8 bytes of two `u32`s: `Locs` keeps one for every value of
/// every table (offsets past 4 GiB, in a file no office writes, are clamped to its end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Span {
        let clamp = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        Span {
            start: clamp(r.start),
            end: clamp(r.end),
        }
    }
}

/// Where the values of one TOML table came from: byte spans into its file, which is shared, not
/// copied. A `Place` (line, column and a copy of the line) is made only when a diagnostic asks for
/// one: made for every value up front, places took some 1 KB an item, nearly all never shown.
#[derive(Clone, Default)]
pub struct Locs {
    src: Option<Arc<Source>>,
    /// The table's header (or the inline table's opening brace, or its whole text).
    header: Span,
    fields: Vec<(&'static str, Span)>,
}

impl Locs {
    /// The places of a table of `src` whose header (or whole text) is `header`.
    pub fn new(src: &Arc<Source>, header: Range<usize>) -> Locs {
        Locs {
            src: Some(Arc::clone(src)),
            header: header.into(),
            fields: Vec::new(),
        }
    }

    /// Makes room for the places of `keys` more keys.
    pub fn reserve(&mut self, keys: usize) {
        self.fields.reserve_exact(keys);
    }

    /// Records where the value of `key` is.
    pub fn set(&mut self, key: &'static str, span: Range<usize>) {
        self.fields.push((key, span.into()));
    }

    /// The file, relative to the workspace root (empty once the places are forgotten).
    pub fn file(&self) -> &str {
        self.src.as_ref().map_or("", |s| s.path.as_str())
    }

    /// The place of a key's value, or of the table's header when the key is absent.
    pub fn at(&self, key: &str) -> Place {
        match self.fields.iter().find(|(k, _)| *k == key) {
            Some((_, span)) => self
                .src
                .as_ref()
                .map_or_else(Place::default, |s| s.place(span.range())),
            None => self.header(),
        }
    }

    /// The place of the table's header.
    pub fn header(&self) -> Place {
        self.src
            .as_ref()
            .map_or_else(Place::default, |s| header_place(s, self.header.range()))
    }

    pub fn has(&self, key: &str) -> bool {
        self.fields.iter().any(|(k, _)| *k == key)
    }
}

impl std::fmt::Debug for Locs {
    /// The file and the spans: not the file's text.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Locs")
            .field("file", &self.file())
            .field("header", &self.header)
            .field("fields", &self.fields)
            .finish()
    }
}

/// The place of a table's header from the table's span, which may cover its whole body: the first
/// line only is marked.
pub fn header_place(src: &Source, span: Range<usize>) -> Place {
    let p = src.place(span);
    Place {
        width: p
            .width
            .min(p.snippet.chars().count().saturating_sub(p.column - 1))
            .max(1),
        ..p
    }
}

/// A person's name as written, and the key it is compared by (NFC, no white space).
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub key: String,
    pub place: Place,
}

impl Person {
    pub fn new(name: &str, place: Place) -> Person {
        Person {
            name: name.to_string(),
            key: person_key(name),
            place,
        }
    }
}

/// Whether `v`, read from the plain decimal text `raw` (`-?digits[.digits]`), holds it exactly:
/// `Decimal` keeps 28 digits or so and rounds what is beyond, where SPEC §2.2 asks for exact
/// values. Up to 28 digits always fit; a longer text is compared with `v` written back.
pub fn decimal_is_exact(raw: &str, v: Decimal) -> bool {
    // A text of at most 28 bytes has at most 28 digits: the one test of nearly every value.
    if raw.len() <= 28 || raw.bytes().filter(u8::is_ascii_digit).count() <= 28 {
        return true;
    }
    // Both without sign noise, leading zeros or trailing zeros after the point.
    let tidy = |s: &str| -> String {
        let (neg, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        let body = match (int.is_empty(), frac.is_empty()) {
            (true, true) => return "0".to_string(),
            (_, true) => int.to_string(),
            (true, false) => format!("0.{frac}"),
            (false, false) => format!("{int}.{frac}"),
        };
        if neg { format!("-{body}") } else { body }
    };
    tidy(raw) == tidy(&v.to_string())
}

/// The comparison key of a person's name: Unicode NFC with all white space removed.
pub fn person_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfc().filter(|c| !c.is_whitespace()).collect()
}

/// 领导小组.
#[derive(Debug, Clone)]
pub struct LeadingGroup {
    pub leader: Option<Person>,
    pub deputy_leaders: Vec<Person>,
    pub members: Vec<Person>,
    pub locs: Locs,
}

/// 办绩效办: the performance office, hosted by a division.
#[derive(Debug, Clone)]
pub struct PerformanceOffice {
    pub host: Option<String>,
    pub director: Option<Person>,
    pub executive_deputy: Option<Person>,
    pub deputies: Vec<Person>,
    pub owners: Vec<String>,
    pub locs: Locs,
}

impl PerformanceOffice {
    /// The staff who may report for any division.
    pub fn staff(&self) -> impl Iterator<Item = &Person> {
        self.director
            .iter()
            .chain(self.executive_deputy.iter())
            .chain(self.deputies.iter())
    }
}

/// 责任处.
#[derive(Debug, Clone)]
pub struct Division {
    pub id: String,
    pub name: String,
    pub leader: Option<Person>,
    pub liaisons: Vec<Person>,
    pub former_liaisons: Vec<Person>,
    pub owners: Vec<String>,
    pub locs: Locs,
}

/// 评估内容.
#[derive(Debug, Clone)]
pub struct Category {
    pub id: String,
    pub name: String,
    pub points: Option<Decimal>,
    pub locs: Locs,
}

/// A city indicator, e.g. 政府督查事项落实.
#[derive(Debug, Clone)]
pub struct Indicator {
    pub id: String,
    pub category: String,
    pub name: String,
    pub points: Option<Decimal>,
    pub locs: Locs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Task,
    Number,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Task => "task",
            Kind::Number => "number",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `>=`: reach at least the target.
    AtLeast,
    /// `<=`: stay within the target.
    AtMost,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::AtLeast => ">=",
            Direction::AtMost => "<=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// Each entry states the current value.
    Latest,
    /// Each entry adds an amount.
    Sum,
}

impl Measure {
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Latest => "latest",
            Measure::Sum => "sum",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// 序时进度: expected value grows in proportion to elapsed time.
    Linear,
    /// Nothing is expected before the due date.
    AtDue,
}

/// 阶段性目标.
#[derive(Debug, Clone)]
pub struct Milestone {
    pub due: NaiveDate,
    pub value: Decimal,
    pub note: Option<String>,
}

/// 评估细项 with its 责任目标.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    pub name: String,
    /// Index into `Plan::indicators`.
    pub indicator: usize,
    pub lead: String,
    pub support: Vec<String>,
    pub former_leads: Vec<String>,
    pub owner: Option<String>,
    pub binding: bool,
    pub kind: Kind,
    pub target: Decimal,
    pub unit: String,
    pub direction: Direction,
    pub measure: Measure,
    pub start: NaiveDate,
    pub due: NaiveDate,
    pub schedule: Schedule,
    pub cadence: Cadence,
    pub weight: Decimal,
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
    pub milestones: Vec<Milestone>,
    pub description: Option<String>,
    pub locs: Locs,
}

impl Item {
    /// Whether `division` may hold this item's entries: its lead or a former lead.
    pub fn is_led_by(&self, division: &str) -> bool {
        self.lead == division || self.former_leads.iter().any(|d| d == division)
    }
}

/// Official holidays and make-up working days (调休) of one year.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    pub holidays: BTreeSet<NaiveDate>,
    pub workdays: BTreeSet<NaiveDate>,
}

/// One year's plan, merged from every `indicators/<year>/*.toml`.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub year: i32,
    pub leading_group: Option<LeadingGroup>,
    pub performance_office: Option<PerformanceOffice>,
    pub divisions: Vec<Division>,
    pub categories: Vec<Category>,
    pub indicators: Vec<Indicator>,
    /// Every item, in plan order.
    pub items: Vec<Item>,
    pub calendar: Option<Calendar>,
    /// Ids to positions, hashed with foldhash: every progress record looks its item up here.
    item_index: HashMap<String, usize, FixedState>,
    division_index: HashMap<String, usize, FixedState>,
}

impl Plan {
    /// Builds the id indexes; call after the lists are complete (first occurrence wins).
    pub fn index(&mut self) {
        self.item_index.clear();
        self.division_index.clear();
        // Sized once: grown an entry at a time, the map of 10,000 ids was rebuilt a dozen times.
        self.item_index.reserve(self.items.len());
        self.division_index.reserve(self.divisions.len());
        for (i, item) in self.items.iter().enumerate() {
            self.item_index.entry(item.id.clone()).or_insert(i);
        }
        for (i, d) in self.divisions.iter().enumerate() {
            self.division_index.entry(d.id.clone()).or_insert(i);
        }
    }

    pub fn item(&self, id: &str) -> Option<usize> {
        self.item_index.get(id).copied()
    }

    pub fn division(&self, id: &str) -> Option<&Division> {
        self.division_index.get(id).map(|&i| &self.divisions[i])
    }

    pub fn division_pos(&self, id: &str) -> Option<usize> {
        self.division_index.get(id).copied()
    }

    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// Items of one indicator, in plan order.
    pub fn items_of(&self, indicator: usize) -> impl Iterator<Item = (usize, &Item)> {
        self.items
            .iter()
            .enumerate()
            .filter(move |(_, it)| it.indicator == indicator)
    }

    /// Takes where each value was written out of the plan (every `Locs`, with its share of the
    /// plan files' text) and drops a person's `place`: only the plan's own checks report them, and
    /// once they have run, a command that goes on to compute has better use for the memory. The
    /// caller frees what is returned (10,000 items' worth: a millisecond), where it costs least.
    pub fn take_places(&mut self) -> Vec<Locs> {
        let mut taken = Vec::with_capacity(
            self.divisions.len()
                + self.categories.len()
                + self.indicators.len()
                + self.items.len()
                + 2,
        );
        fn people<'a>(list: impl IntoIterator<Item = &'a mut Person>) {
            for p in list {
                p.place = Place::default();
            }
        }
        if let Some(g) = &mut self.leading_group {
            taken.push(std::mem::take(&mut g.locs));
            people(g.leader.iter_mut());
            people(&mut g.deputy_leaders);
            people(&mut g.members);
        }
        if let Some(o) = &mut self.performance_office {
            taken.push(std::mem::take(&mut o.locs));
            people(o.director.iter_mut());
            people(o.executive_deputy.iter_mut());
            people(&mut o.deputies);
        }
        for d in &mut self.divisions {
            taken.push(std::mem::take(&mut d.locs));
            people(d.leader.iter_mut());
            people(&mut d.liaisons);
            people(&mut d.former_liaisons);
        }
        for c in &mut self.categories {
            taken.push(std::mem::take(&mut c.locs));
        }
        for i in &mut self.indicators {
            taken.push(std::mem::take(&mut i.locs));
        }
        for i in &mut self.items {
            taken.push(std::mem::take(&mut i.locs));
        }
        taken
    }

    /// Whether `person` may report for `division`: a current liaison or the leader of the division,
    /// or the performance office's staff.
    pub fn may_add(&self, division: &Division, person: &str) -> bool {
        let key = person_key(person);
        division.liaisons.iter().any(|p| p.key == key)
            || division.leader.as_ref().is_some_and(|p| p.key == key)
            || self
                .performance_office
                .as_ref()
                .is_some_and(|o| o.staff().any(|p| p.key == key))
    }

    /// Whether an existing entry's `reporter` is valid: as `may_add`, or a former liaison.
    pub fn may_have_reported(&self, division: &Division, person: &str) -> bool {
        let key = person_key(person);
        self.may_add(division, person) || division.former_liaisons.iter().any(|p| p.key == key)
    }
}

/// One progress entry (one CSV record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub date: NaiveDate,
    pub item: String,
    /// `None` is a nil return (零报告).
    pub value: Option<Decimal>,
    pub note: String,
    pub evidence: String,
    pub reporter: String,
    pub filed: Option<NaiveDate>,
    /// Physical line where the record starts.
    pub line: usize,
}

impl Entry {
    /// The day the entry was recorded: `filed`, or `date` without one.
    pub fn known_on(&self) -> NaiveDate {
        self.filed.unwrap_or(self.date)
    }

    pub fn view(&self) -> EntryRef<'_> {
        EntryRef {
            date: self.date,
            item: &self.item,
            value: self.value,
            note: &self.note,
            evidence: &self.evidence,
            reporter: &self.reporter,
            filed: self.filed,
            line: self.line,
        }
    }
}

/// An entry whose text is borrowed from the file being read: what the rules hand to the status
/// fold, a million times for a large workspace, without copying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryRef<'a> {
    pub date: NaiveDate,
    pub item: &'a str,
    pub value: Option<Decimal>,
    pub note: &'a str,
    pub evidence: &'a str,
    pub reporter: &'a str,
    pub filed: Option<NaiveDate>,
    pub line: usize,
}

impl EntryRef<'_> {
    /// The day the entry was recorded: `filed`, or `date` without one.
    pub fn known_on(&self) -> NaiveDate {
        self.filed.unwrap_or(self.date)
    }

    pub fn to_entry(&self) -> Entry {
        Entry {
            date: self.date,
            item: self.item.to_string(),
            value: self.value,
            note: self.note.to_string(),
            evidence: self.evidence.to_string(),
            reporter: self.reporter.to_string(),
            filed: self.filed,
            line: self.line,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locs_make_places_when_asked() {
        let text = "[[division]]\nid = \"秘书处\"\nname = \"x\"\n".to_string();
        let src = Arc::new(Source::new("indicators/2014/a.toml", text));
        let id = src.text.find("\"秘").unwrap();
        // A table's span covers its body; only the header line is marked.
        let mut locs = Locs::new(&src, 0..src.text.len());
        locs.set("id", id..id + "\"秘书处\"".len());
        assert_eq!(locs.file(), "indicators/2014/a.toml");
        assert_eq!(locs.at("id"), src.place(id..id + "\"秘书处\"".len()));
        assert_eq!((locs.at("id").line, locs.at("id").column), (2, 6));
        assert_eq!(locs.at("id").width, 5);
        let header = locs.header();
        assert_eq!((header.line, header.column, header.width), (1, 1, 12));
        assert_eq!(locs.at("name"), header);
        assert!(locs.has("id") && !locs.has("name"));
        assert_eq!(Locs::default().at("id"), Place::default());
    }

    #[test]
    fn a_decimal_is_exact_when_nothing_was_rounded_away() {
        use std::str::FromStr;
        let exact = |raw: &str| decimal_is_exact(raw, Decimal::from_str(raw).unwrap());
        assert!(exact("0.1") && exact("-3.5") && exact("55"));
        // 29 digits that fit, and trailing zeros past the 28th place (the same value).
        assert!(exact("12345678901234567890123456789"));
        assert!(exact("1.000000000000000000000000000000"));
        assert!(exact("-0012.500000000000000000000000000"));
        // Rounded: a 1 in the 29th place after the point, and a tiny value that becomes 0.
        assert!(!exact("5.00000000000000000000000000001"));
        assert!(!exact("-0.00000000000000000000000000001"));
    }
}
