//! Documents from minijinja templates (SPEC §6): the built-in ones compiled in, a workspace's own
//! `templates/<lang>/<name>.md` overriding them.
//!
//! The context a template receives is built here, once, from the computed statuses. Every text that
//! comes from users is already Markdown-escaped (`render::markdown::escape`) and every number
//! already formatted, so a template only arranges values and cannot break a table by accident. The
//! values are documented in `docs/templates.md`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use anyhow::Result;
use minijinja::Environment;
use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::cmd::{Context, free_at_exit};
use crate::diag::{Lang, Text};
use crate::model::{Cadence, Plan};
use crate::render::markdown::{escape, escape_cow, percent, score};
use crate::render::status::{expected_text, light_word, status_word, target_text, value_text};
use crate::status::{
    Dates, ItemStatus, Light, PeriodCard, Status, indicator_points, indicator_scores,
    indicator_weights, share_points, share_points_with, totals,
};
use crate::workspace::EnvError;

/// The built-in templates: every document in both languages, compiled in.
macro_rules! built_in {
    ($($name:literal),*) => {
        &[$(
            ("zh", $name, include_str!(concat!("../../templates/zh/", $name, ".md"))),
            ("en", $name, include_str!(concat!("../../templates/en/", $name, ".md"))),
        )*]
    };
}

/// The names of the documents; each has `templates/zh/<name>.md` and `templates/en/<name>.md`.
pub const DOCUMENTS: [&str; 3] = ["summary", "matrix", "monthly"];
const BUILT_IN: &[(&str, &str, &str)] = built_in!("summary", "matrix", "monthly");

/// The most instructions one rendering may run: a workspace's own template is code, and
/// `{% for a in range(100000) %}{% for b in range(100000) %}…` would otherwise run for hours. The
/// built-in summary of 10,000 items needs less than a tenth of it; running out takes ~2 s.
pub const TEMPLATE_FUEL: u64 = 100_000_000;

/// A template problem: names the template, the line and what is wrong (exit code 1), in both
/// languages (minijinja's own words for the problem stay as it writes them).
#[derive(Debug)]
pub struct TemplateError(pub Text);

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.en)
    }
}

impl std::error::Error for TemplateError {}

/// Renders template `name` in the context's language with `data`: the document's text (UTF-8).
pub fn render<S: Serialize>(ctx: &Context, name: &str, data: &S) -> Result<Vec<u8>> {
    render_sized(ctx, name, data, 0)
}

/// The template environment of every document: its syntax, formatter, filter and fuel.
fn environment() -> Result<Environment<'static>> {
    let mut env = Environment::new();
    env.set_fuel(Some(TEMPLATE_FUEL));
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    // Strings, most of what a document prints, are written as the default formatter writes them
    // when nothing is escaped, without going through `fmt` (an eighth of rendering a long report).
    env.set_formatter(|out, state, value| match value.as_str() {
        Some(s) if *state.auto_escape() == minijinja::AutoEscape::None => {
            out.write_str(s).map_err(minijinja::Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    });
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| TemplateError(Text::new(e.to_string(), e.to_string())))?,
    );
    env.add_filter("cn_date", cn_date);
    Ok(env)
}

/// Compiles a template (without rendering it) as every document's would be: `perf check`'s look
/// at the workspace's own templates (`check::templates`).
pub fn compile(text: &str) -> Result<std::result::Result<(), minijinja::Error>> {
    let mut env = environment()?;
    Ok(env.add_template_owned("template", text.to_string()))
}

/// [`render`] into a buffer of `size_hint` bytes to begin with, so that a long document is not
/// copied over and over as it grows.
pub fn render_sized<S: Serialize>(
    ctx: &Context,
    name: &str,
    data: &S,
    size_hint: usize,
) -> Result<Vec<u8>> {
    let lang = ctx.lang.code();
    let rel = format!("templates/{lang}/{name}.md");
    let path = ctx.ws.root.join(&rel);
    let (origin, source) = if std::fs::symlink_metadata(&path).is_ok() {
        crate::workspace::guard_file_and_folders(&ctx.ws.root, &rel)?;
        let bytes = std::fs::read(&path).map_err(|e| {
            EnvError::new(
                format!("无法读取 {rel}：{e}"),
                format!("cannot read {rel}: {e}"),
            )
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            // A problem of the workspace's text, as a template's syntax is (exit 1), told as
            // `check` tells it (`not-utf8`).
            let d = crate::workspace::source::not_utf8(&rel, e.as_bytes(), e.utf8_error());
            let help = d.help.unwrap_or_else(|| Text::new("", ""));
            TemplateError(Text::new(
                format!("模板 {rel}：{}；{}", d.message.zh, help.zh),
                format!("template {rel}: {}; {}", d.message.en, help.en),
            ))
        })?;
        (rel.clone(), text)
    } else {
        let text = BUILT_IN
            .iter()
            .find(|(l, n, _)| *l == lang && *n == name)
            .map(|(_, _, t)| t.to_string())
            .ok_or_else(|| {
                EnvError::new(
                    format!("没有内置模板 {rel}"),
                    format!("no built-in template {rel}"),
                )
            })?;
        (format!("{rel} (built-in)"), text)
    };
    let mut env = environment()?;
    let explain = |e: minijinja::Error| {
        let (mut zh, mut en) = (format!("模板 {origin}"), format!("template {origin}"));
        if let Some(line) = e.line() {
            zh.push_str(&format!(" 第 {line} 行"));
            en.push_str(&format!(", line {line}"));
        }
        let mut what = format!("{}", e.kind());
        if let Some(detail) = e.detail() {
            what.push_str(&format!(": {detail}"));
        }
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            what.push_str(&format!(": {s}"));
            source = s.source();
        }
        zh.push_str(&format!("有误：{what}"));
        en.push_str(&format!(": {what}"));
        anyhow::Error::new(TemplateError(Text::new(zh, en)))
    };
    env.add_template_owned(name.to_string(), source)
        .map_err(explain)?;
    let tmpl = env.get_template(name).map_err(explain)?;
    let mut out = Vec::with_capacity(size_hint);
    tmpl.render_captured_to(minijinja::value::Serde(data), &mut out)
        .map_err(explain)?;
    Ok(out)
}

#[derive(Debug, Serialize)]
pub(crate) struct Office {
    name: String,
    short: String,
}

#[derive(Debug, Serialize)]
struct TotalsView {
    items: usize,
    done: usize,
    on_track: usize,
    behind: usize,
    missed: usize,
    not_reported: usize,
    not_started: usize,
    completion_rate: String,
    score: String,
    binding_items: usize,
    binding_done: usize,
    entries: u32,
    cards_yellow: u32,
    cards_red: u32,
    /// The listed items' shares of the 100 points, and what they earned (SPEC §4).
    points: String,
    earned: String,
    /// `earned / points` as a percentage.
    earned_rate: String,
}

/// The reporting rules of `perf.toml`, for the text of the discipline section.
#[derive(Debug, Serialize)]
struct ReportingRules {
    monthly: u32,
    quarterly: u32,
    half_yearly: u32,
    yearly: u32,
    red_after: u32,
}

/// A status or a light with its name and how many items have it, for the documents' tallies.
#[derive(Debug, Serialize)]
pub(crate) struct Count {
    pub(crate) key: &'static str,
    pub(crate) label: &'static str,
    pub(crate) count: usize,
}

/// How many items have each status, in the order of `Status::ALL`.
pub(crate) fn status_counts(t: &crate::status::Totals, lang: Lang) -> Vec<Count> {
    Status::ALL
        .iter()
        .map(|st| Count {
            key: st.as_str(),
            label: status_word(*st, lang),
            count: t.count(*st),
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct GroupRow {
    id: String,
    name: String,
    items: usize,
    done: usize,
    behind: usize,
    missed: usize,
    rate: String,
    points: String,
    score: String,
    entries: u32,
    cards_yellow: u32,
    cards_red: u32,
}

/// The fields of a card row of the summary and of the monthly report (`docs/templates.md`), in
/// the order a template enumerates them.
const SUMMARY_CARD: [&str; 8] = [
    "division",
    "item",
    "item_name",
    "period",
    "deadline",
    "filed",
    "light",
    "light_label",
];
pub(crate) const MONTHLY_CARD: [&str; 6] =
    ["division", "item", "period", "deadline", "filed", "card"];

/// A period holding a card, as a template reads it: the division's and the item's names are
/// shared with the item's other cards, and the rest is written when the template asks for it.
/// (A large office's report early in the year holds a card for most items and periods: 84,000
/// in the 10,000-entry benchmark.)
#[derive(Debug)]
pub(crate) struct CardRow {
    /// The fields it has: `SUMMARY_CARD` or `MONTHLY_CARD`.
    pub(crate) fields: &'static [&'static str],
    pub(crate) division: Value,
    pub(crate) item: Value,
    pub(crate) item_name: Value,
    pub(crate) card: PeriodCard,
    pub(crate) lang: Lang,
}

impl Object for CardRow {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str().filter(|k| self.fields.contains(k))?;
        let c = &self.card;
        Some(match key {
            "division" => self.division.clone(),
            "item" => self.item.clone(),
            "item_name" => self.item_name.clone(),
            "period" => Value::from(c.period.label()),
            "deadline" => Value::from(c.deadline.to_string()),
            "filed" => Value::from(c.filed.map_or("—".into(), |f| f.to_string())),
            "light" => Value::from(c.light.as_str()),
            _ => Value::from(card_word(c.light, self.lang)),
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(self.fields)
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.fields.len())
    }
}

/// The statuses by their item's lead, in the order given.
pub(crate) fn by_lead<'a>(
    plan: &'a Plan,
    statuses: impl IntoIterator<Item = &'a ItemStatus>,
) -> HashMap<&'a str, Vec<&'a ItemStatus>> {
    let mut by_lead: HashMap<&str, Vec<&ItemStatus>> = HashMap::new();
    for s in statuses {
        by_lead
            .entry(plan.items[s.index].lead.as_str())
            .or_default()
            .push(s);
    }
    by_lead
}

#[derive(Debug, Serialize)]
struct DisciplineRow {
    division: String,
    yellow: u32,
    red: u32,
}

#[derive(Debug, Serialize)]
struct DivisionView {
    id: String,
    name: String,
    leader: String,
    liaisons: String,
}

/// Everything `summary.md` receives.
#[derive(Debug, Serialize)]
pub struct SummaryData {
    office: Office,
    year: i32,
    as_of: String,
    known: String,
    /// True before the year has ended (a preview).
    preview: bool,
    division: Option<DivisionView>,
    totals: TotalsView,
    rules: ReportingRules,
    statuses: Vec<Count>,
    categories: Vec<GroupRow>,
    divisions: Vec<GroupRow>,
    /// Item rows (`ItemRow`), as lists of values.
    not_done: Value,
    /// With `--division`: the items it supports (协办), led by other divisions.
    supported: Value,
    binding: Value,
    discipline: Vec<DisciplineRow>,
    /// Card rows (`CardRow`).
    cards: Value,
    items: Value,
}

pub(crate) fn division_name(plan: &Plan, id: &str) -> String {
    plan.division(id).map_or(id.to_string(), |d| d.name.clone())
}

/// The fields of an item row (`docs/templates.md`), in the order a template enumerates them.
const ITEM_FIELDS: [&str; 21] = [
    "id",
    "name",
    "category",
    "indicator",
    "lead",
    "support",
    "owner",
    "binding",
    "target",
    "value",
    "expected",
    "status",
    "status_label",
    "light",
    "light_label",
    "score",
    "entries",
    "cards_yellow",
    "cards_red",
    "last_date",
    "last_note",
];

/// An item's row: the values of [`ITEM_FIELDS`], ready to print. A template reads a field when it
/// uses it; a row is made once and shared by every list it is in (not done, binding, the
/// appendix).
#[derive(Debug)]
pub(crate) struct ItemRow([Value; ITEM_FIELDS.len()]);

impl Object for ItemRow {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        let i = match key {
            "id" => 0,
            "name" => 1,
            "category" => 2,
            "indicator" => 3,
            "lead" => 4,
            "support" => 5,
            "owner" => 6,
            "binding" => 7,
            "target" => 8,
            "value" => 9,
            "expected" => 10,
            "status" => 11,
            "status_label" => 12,
            "light" => 13,
            "light_label" => 14,
            "score" => 15,
            "entries" => 16,
            "cards_yellow" => 17,
            "cards_red" => 18,
            "last_date" => 19,
            "last_note" => 20,
            _ => return None,
        };
        Some(self.0[i].clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&ITEM_FIELDS)
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(ITEM_FIELDS.len())
    }
}

/// User text as a template value, Markdown-escaped.
fn text(s: &str) -> Value {
    Value::from(escape_cow(s))
}

/// Makes item rows, with the names many items share (categories, indicators, divisions) escaped
/// once.
pub(crate) struct ItemRows<'a> {
    plan: &'a Plan,
    lang: Lang,
    /// Per indicator: its category's name and its own.
    indicators: Vec<(Value, Value)>,
    /// Per division id: its name, and the name escaped.
    divisions: HashMap<&'a str, (&'a str, Value)>,
}

impl<'a> ItemRows<'a> {
    pub(crate) fn new(plan: &'a Plan, lang: Lang) -> Self {
        let indicators = plan
            .indicators
            .iter()
            .map(|ind| {
                let category = plan
                    .category(&ind.category)
                    .map_or(ind.category.as_str(), |c| c.name.as_str());
                (text(category), text(&ind.name))
            })
            .collect();
        let divisions = plan
            .divisions
            .iter()
            .map(|d| (d.id.as_str(), (d.name.as_str(), text(&d.name))))
            .collect();
        ItemRows {
            plan,
            lang,
            indicators,
            divisions,
        }
    }

    /// A division's name (its id when the plan has no such division), and the name escaped.
    fn division<'b>(&'b self, id: &'b str) -> (&'b str, Value) {
        match self.divisions.get(id) {
            Some((name, v)) => (name, v.clone()),
            None => (id, text(id)),
        }
    }

    /// Item `s`'s row.
    pub(crate) fn row(&self, s: &ItemStatus) -> Value {
        let (plan, lang) = (self.plan, self.lang);
        let item = &plan.items[s.index];
        let (category, indicator) = self.indicators[item.indicator].clone();
        let support = match item.support.as_slice() {
            [] => Value::from(""),
            [one] => self.division(one).1,
            many => {
                let sep = match lang {
                    Lang::Zh => "、",
                    Lang::En => ", ",
                };
                let names: Vec<&str> = many.iter().map(|d| self.division(d).0).collect();
                text(&names.join(sep))
            }
        };
        Value::from_object(ItemRow([
            text(&item.id),
            text(&item.name),
            category,
            indicator,
            self.division(&item.lead).1,
            support,
            text(item.owner.as_deref().unwrap_or("")),
            Value::from(item.binding),
            text(&target_text(plan, s.index)),
            text(&value_text(plan, s)),
            text(&expected_text(plan, s)),
            Value::from(s.status.as_str()),
            Value::from(status_word(s.status, lang)),
            Value::from(s.light.as_str()),
            Value::from(light_word(s.light, lang)),
            Value::from(score(s.score * Decimal::from(100))),
            Value::from(s.entries),
            Value::from(s.cards.yellow),
            Value::from(s.cards.red),
            Value::from(s.last_date.map_or(String::new(), |d| d.to_string())),
            text(s.last_note.as_deref().unwrap_or("")),
        ]))
    }
}

fn group_row(
    id: &str,
    name: &str,
    list: &[&ItemStatus],
    points: Decimal,
    earned: Decimal,
) -> GroupRow {
    let count = |st: Status| list.iter().filter(|s| s.status == st).count();
    let done = count(Status::Done);
    GroupRow {
        id: escape(id),
        name: escape(name),
        items: list.len(),
        done,
        behind: count(Status::Behind),
        missed: count(Status::Missed),
        rate: if list.is_empty() {
            "—".into()
        } else {
            percent(Decimal::from(done) / Decimal::from(list.len()))
        },
        points: score(points),
        score: score(earned),
        entries: list.iter().map(|s| s.entries).sum(),
        cards_yellow: list.iter().map(|s| s.cards.yellow).sum(),
        cards_red: list.iter().map(|s| s.cards.red).sum(),
    }
}

/// Rows of items made by other threads while a template is rendered: the template reads them in
/// order, and waits for a row only if it catches up with the threads that make them. A thread
/// that fails fills the rows it leaves with `undefined`, so that no reader waits for ever.
#[derive(Debug)]
struct Feed {
    rows: Box<[OnceLock<Value>]>,
}

impl Feed {
    fn new(len: usize) -> Feed {
        Feed {
            rows: (0..len).map(|_| OnceLock::new()).collect(),
        }
    }

    /// Makes rows, a chunk at a time from the next one no thread has taken, until none is left.
    fn fill(&self, next: &AtomicUsize, make: impl Fn(usize) -> Value) {
        const CHUNK: usize = 64;
        loop {
            let start = next.fetch_add(1, Ordering::Relaxed) * CHUNK;
            let Some(chunk) = self.rows.get(start..) else {
                break;
            };
            for (i, slot) in chunk.iter().enumerate().take(CHUNK) {
                // A row another thread made already is kept.
                let _ = slot.get_or_init(|| make(start + i));
            }
        }
    }

    /// Marks every row not made as `undefined` (after a thread failed).
    fn abandon(&self) {
        for slot in &self.rows {
            let _ = slot.set(Value::UNDEFINED);
        }
    }
}

/// A list of a feed's rows, for a template: all of them, or those at `picks`.
#[derive(Debug)]
struct FedRows {
    feed: Arc<Feed>,
    picks: Option<Vec<u32>>,
}

impl FedRows {
    fn value(feed: &Arc<Feed>, picks: Option<Vec<u32>>) -> Value {
        Value::from_object(FedRows {
            feed: Arc::clone(feed),
            picks,
        })
    }

    fn len(&self) -> usize {
        self.picks.as_ref().map_or(self.feed.rows.len(), Vec::len)
    }
}

impl Object for FedRows {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let i = key.as_usize()?;
        let at = match &self.picks {
            Some(picks) => *picks.get(i)? as usize,
            None => i,
        };
        Some(self.feed.rows.get(at)?.wait().clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.len())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.len())
    }
}

/// The year-end report, for the whole office or one division. The listed items' rows are made on
/// the other cores while this one works out the rest and renders the template.
fn summary_document(
    ctx: &Context,
    plan: &Plan,
    all: &[ItemStatus],
    dates: Dates,
    division: Option<&str>,
) -> Result<Vec<u8>> {
    let listed: Vec<&ItemStatus> = all
        .iter()
        .filter(|s| division.is_none_or(|d| plan.items[s.index].lead == d))
        .collect();
    let maker = ItemRows::new(plan, ctx.lang);
    let feed = Arc::new(Feed::new(listed.len()));
    let next = AtomicUsize::new(0);
    let fill = || {
        let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            feed.fill(&next, |i| maker.row(listed[i]));
        }));
        if made.is_err() {
            feed.abandon();
        }
        made
    };
    std::thread::scope(|scope| {
        // Other threads only for a long list: a short one is made first, on this thread.
        let others = std::thread::available_parallelism().map_or(1, |n| n.get()) - 1;
        let others = others.min(listed.len() / 256);
        let workers: Vec<_> = (0..others).map(|_| scope.spawn(fill)).collect();
        if workers.is_empty() {
            fill().unwrap_or_else(|e| std::panic::resume_unwind(e));
        }
        let rest = summary_rest(ctx, plan, all, dates, division, &listed, &maker);
        let picks = |keep: &dyn Fn(&ItemStatus) -> bool| -> Option<Vec<u32>> {
            Some(
                (0..listed.len() as u32)
                    .filter(|&i| keep(listed[i as usize]))
                    .collect(),
            )
        };
        let data = SummaryData {
            not_done: FedRows::value(&feed, picks(&|s| s.status != Status::Done)),
            binding: FedRows::value(&feed, picks(&|s| plan.items[s.index].binding)),
            items: FedRows::value(&feed, None),
            ..rest
        };
        // The built-in template writes a line of some 150 bytes per row.
        let rows = [&data.items, &data.not_done, &data.binding, &data.supported]
            .iter()
            .filter_map(|v| v.len())
            .sum::<usize>()
            + data.cards.len().unwrap_or(0);
        let text = render_sized(ctx, "summary", &data, 4096 + 256 * rows);
        for w in workers {
            if let Err(e) = w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)) {
                std::panic::resume_unwind(e);
            }
        }
        // The rows (some 20 strings each) are left to the exit: freeing 10,000 of them took a
        // millisecond after the document was done. A clone of the feed is forgotten, so that
        // dropping this function's own handle does not free the rows.
        free_at_exit((data, Arc::clone(&feed)));
        text
    })
}

/// The rows of the divisions' table and of the discipline table (the report's division only,
/// with `--division`).
fn division_rows(
    plan: &Plan,
    division: Option<&str>,
    listed: &[&ItemStatus],
) -> (Vec<GroupRow>, Vec<DisciplineRow>) {
    let mut divisions = Vec::new();
    let mut discipline = Vec::new();
    // The listed items by lead, in plan order: every division's items are all of its items
    // (`division_points`) whether or not the report is one division's.
    let mut by_lead = by_lead(plan, listed.iter().copied());
    let weights = indicator_weights(plan);
    for d in &plan.divisions {
        if division.is_some_and(|only| only != d.id) {
            continue;
        }
        let list = by_lead.remove(d.id.as_str()).unwrap_or_default();
        let (points, earned) = share_points_with(plan, &weights, list.iter().copied());
        let row = group_row(&d.id, &d.name, &list, points, earned);
        discipline.push(DisciplineRow {
            division: escape(&d.name),
            yellow: row.cards_yellow,
            red: row.cards_red,
        });
        divisions.push(row);
    }

    (divisions, discipline)
}

/// Everything of the summary's data but the listed items' rows.
fn summary_rest(
    ctx: &Context,
    plan: &Plan,
    all: &[ItemStatus],
    dates: Dates,
    division: Option<&str>,
    listed: &[&ItemStatus],
    maker: &ItemRows,
) -> SummaryData {
    std::thread::scope(|scope| {
        // The divisions' rows take a third of the rest: for a long list they are worked out on
        // another core.
        let divisions =
            (listed.len() >= 256).then(|| scope.spawn(|| division_rows(plan, division, listed)));
        let lang = ctx.lang;
        let t = totals(plan, listed);
        let share = share_points(plan, listed.iter().copied());
        let binding: Vec<&ItemStatus> = listed
            .iter()
            .copied()
            .filter(|s| plan.items[s.index].binding)
            .collect();

        // Categories: counts over the listed items; points and score from indicator scores.
        let scores = indicator_scores(plan, listed);
        let mut categories = Vec::new();
        for c in &plan.categories {
            let list: Vec<&ItemStatus> = listed
                .iter()
                .copied()
                .filter(|s| plan.indicators[plan.items[s.index].indicator].category == c.id)
                .collect();
            if list.is_empty() {
                continue;
            }
            // The office's report shows the category's points; a division's report the division's
            // share of them (its items' shares, SPEC §4).
            let (mut points, mut earned) = (Decimal::ZERO, Decimal::ZERO);
            if division.is_some() {
                (points, earned) = share_points(plan, list.iter().copied());
            } else {
                for (i, ind) in plan.indicators.iter().enumerate() {
                    if ind.category == c.id
                        && let Some(sc) = scores[i]
                    {
                        let p = indicator_points(plan, i);
                        points += p;
                        earned += p * sc;
                    }
                }
            }
            categories.push(group_row(&c.id, &c.name, &list, points, earned));
        }

        let mut cards = Vec::new();
        for s in listed.iter().filter(|s| !s.card_periods.is_empty()) {
            let item = &plan.items[s.index];
            let (division, id, name) = (
                text(&division_name(plan, &item.lead)),
                text(&item.id),
                text(&item.name),
            );
            for c in &s.card_periods {
                cards.push(Value::from_object(CardRow {
                    fields: &SUMMARY_CARD,
                    division: division.clone(),
                    item: id.clone(),
                    item_name: name.clone(),
                    card: c.clone(),
                    lang,
                }));
            }
        }

        let statuses = status_counts(&t, lang);
        let dec31 = chrono::NaiveDate::from_ymd_opt(plan.year, 12, 31).unwrap_or(dates.as_of);
        let mut cards_by_light: BTreeMap<Light, u32> = BTreeMap::new();
        for s in listed {
            *cards_by_light.entry(Light::Yellow).or_default() += s.cards.yellow;
            *cards_by_light.entry(Light::Red).or_default() += s.cards.red;
        }
        let (divisions, discipline) = match divisions {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            None => division_rows(plan, division, listed),
        };
        SummaryData {
            office: office(ctx),
            year: plan.year,
            as_of: dates.as_of.to_string(),
            known: dates.known.to_string(),
            preview: dates.as_of < dec31,
            division: division
                .and_then(|id| plan.division(id))
                .map(|d| DivisionView {
                    id: escape(&d.id),
                    name: escape(&d.name),
                    leader: escape(d.leader.as_ref().map_or("", |p| p.name.as_str())),
                    liaisons: escape(
                        &d.liaisons
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(match lang {
                                Lang::Zh => "、",
                                Lang::En => ", ",
                            }),
                    ),
                }),
            totals: TotalsView {
                items: t.items,
                done: t.done,
                on_track: t.on_track,
                behind: t.behind,
                missed: t.missed,
                not_reported: t.not_reported,
                not_started: t.not_started,
                completion_rate: percent(t.completion_rate),
                score: score(t.score),
                binding_items: binding.len(),
                binding_done: binding.iter().filter(|s| s.status == Status::Done).count(),
                entries: listed.iter().map(|s| s.entries).sum(),
                cards_yellow: cards_by_light.get(&Light::Yellow).copied().unwrap_or(0),
                cards_red: cards_by_light.get(&Light::Red).copied().unwrap_or(0),
                points: score(share.0),
                earned: score(share.1),
                earned_rate: if share.0 > Decimal::ZERO {
                    percent(share.1 / share.0)
                } else {
                    "—".into()
                },
            },
            rules: ReportingRules {
                monthly: ctx.ws.settings.deadline_days(Cadence::Monthly),
                quarterly: ctx.ws.settings.deadline_days(Cadence::Quarterly),
                half_yearly: ctx.ws.settings.deadline_days(Cadence::HalfYearly),
                yearly: ctx.ws.settings.deadline_days(Cadence::Yearly),
                red_after: ctx.ws.settings.red_after,
            },
            statuses,
            categories,
            divisions,
            supported: match division {
                Some(d) => all
                    .iter()
                    .filter(|s| plan.items[s.index].support.iter().any(|x| x == d))
                    .map(|s| maker.row(s))
                    .collect(),
                None => Value::from(Vec::<Value>::new()),
            },
            not_done: Value::UNDEFINED,
            binding: Value::UNDEFINED,
            discipline,
            cards: Value::from(cards),
            items: Value::UNDEFINED,
        }
    })
}

/// `perf summary`.
pub fn summary(
    ctx: &Context,
    plan: &Plan,
    all: &[ItemStatus],
    dates: Dates,
    division: Option<&str>,
) -> Result<Vec<u8>> {
    summary_document(ctx, plan, all, dates, division)
}

/// `2014-12-31` → `2014年12月31日`, the date form of Chinese official documents.
pub(crate) fn cn_date(s: String) -> String {
    match chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
        Ok(d) => {
            use chrono::Datelike;
            format!("{}年{}月{}日", d.year(), d.month(), d.day())
        }
        Err(_) => s,
    }
}

/// A card's name: 黄牌 / 红牌.
pub(crate) fn card_word(l: Light, lang: Lang) -> &'static str {
    match (l, lang) {
        (Light::Red, Lang::Zh) => "红牌",
        (_, Lang::Zh) => "黄牌",
        (Light::Red, Lang::En) => "red card",
        (_, Lang::En) => "yellow card",
    }
}

/// The office's names, escaped.
pub(crate) fn office(ctx: &Context) -> Office {
    Office {
        name: escape(&ctx.ws.settings.office),
        short: escape(ctx.ws.settings.short()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str, rows: Value) -> String {
        let mut env = Environment::new();
        env.add_template("t", template).unwrap();
        env.get_template("t")
            .unwrap()
            .render(minijinja::context! { rows })
            .unwrap()
    }

    #[test]
    fn fed_rows_read_like_a_list_while_a_thread_makes_them() {
        let feed = Arc::new(Feed::new(300));
        let next = AtomicUsize::new(0);
        let (all, picked) = std::thread::scope(|s| {
            s.spawn(|| feed.fill(&next, |i| Value::from(i * 10)));
            let all = render(
                "{{ rows|length }}:{% for r in rows %}{{ r }},{% endfor %}{{ rows[299] }}",
                FedRows::value(&feed, None),
            );
            let picked = render(
                "{{ rows|length }} {{ rows|first }} {{ rows|last }} {{ rows[1] }} {{ rows|join('+') }}",
                FedRows::value(&feed, Some(vec![2, 0, 299])),
            );
            (all, picked)
        });
        let list: String = (0..300).map(|i| format!("{},", i * 10)).collect();
        assert_eq!(all, format!("300:{list}2990"));
        assert_eq!(picked, "3 20 2990 0 20+0+2990");
    }

    #[test]
    fn rows_a_failed_thread_left_read_as_undefined() {
        let feed = Arc::new(Feed::new(3));
        let _ = feed.rows[1].set(Value::from("made"));
        feed.abandon();
        let text = render(
            "{% for r in rows %}[{{ r }}]{% endfor %}",
            FedRows::value(&feed, None),
        );
        assert_eq!(text, "[][made][]");
    }
}
