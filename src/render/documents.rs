//! Documents from minijinja templates (SPEC §6): the built-in ones compiled in, a workspace's own
//! `templates/<lang>/<name>.md` overriding them.
//!
//! The context a template receives is built here, once, from the computed statuses. Every text that
//! comes from users is already Markdown-escaped (`render::markdown::escape`) and every number
//! already formatted, so a template only arranges values and cannot break a table by accident. The
//! values are documented in `docs/templates.md`.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use minijinja::Environment;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::cmd::Context;
use crate::diag::Lang;
use crate::model::{Cadence, Plan};
use crate::render::markdown::{escape, percent, score};
use crate::render::status::{expected_text, light_word, status_word, target_text, value_text};
use crate::status::{
    Dates, ItemStatus, Light, Status, indicator_points, indicator_scores, indicator_weights,
    share_points, share_points_with, totals,
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

/// A template problem: names the template, the line and what is wrong (exit code 1).
#[derive(Debug)]
pub struct TemplateError(pub String);

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TemplateError {}

/// Renders template `name` in the context's language with `data`.
pub fn render<S: Serialize>(ctx: &Context, name: &str, data: &S) -> Result<String> {
    let lang = ctx.lang.code();
    let rel = format!("templates/{lang}/{name}.md");
    let path = ctx.ws.root.join(&rel);
    let (origin, source) = if path.is_file() {
        let text = std::fs::read_to_string(&path).map_err(|e| {
            EnvError::new(
                format!("无法读取 {rel}：{e}"),
                format!("cannot read {rel}: {e}"),
            )
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
    let mut env = Environment::new();
    env.set_fuel(Some(TEMPLATE_FUEL));
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| TemplateError(e.to_string()))?,
    );
    env.add_filter("cn_date", cn_date);
    let explain = |e: minijinja::Error| {
        let mut msg = format!("template {origin}");
        if let Some(line) = e.line() {
            msg.push_str(&format!(", line {line}"));
        }
        msg.push_str(&format!(": {}", e.kind()));
        if let Some(detail) = e.detail() {
            msg.push_str(&format!(": {detail}"));
        }
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            msg.push_str(&format!(": {s}"));
            source = s.source();
        }
        anyhow::Error::new(TemplateError(msg))
    };
    env.add_template_owned(name.to_string(), source)
        .map_err(explain)?;
    let tmpl = env.get_template(name).map_err(explain)?;
    tmpl.render(minijinja::value::Serde(data)).map_err(explain)
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

#[derive(Debug, Serialize)]
struct StatusCount {
    key: &'static str,
    label: &'static str,
    count: usize,
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

#[derive(Debug, Serialize)]
pub(crate) struct ItemRow {
    pub id: String,
    pub name: String,
    pub category: String,
    pub indicator: String,
    pub lead: String,
    pub support: String,
    pub owner: String,
    pub binding: bool,
    pub target: String,
    pub value: String,
    pub expected: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub light: &'static str,
    pub light_label: &'static str,
    pub score: String,
    pub entries: u32,
    pub cards_yellow: u32,
    pub cards_red: u32,
    pub last_date: String,
    pub last_note: String,
}

#[derive(Debug, Serialize)]
struct CardRow {
    division: String,
    item: String,
    item_name: String,
    period: String,
    deadline: String,
    filed: String,
    light: &'static str,
    light_label: &'static str,
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
    statuses: Vec<StatusCount>,
    categories: Vec<GroupRow>,
    divisions: Vec<GroupRow>,
    not_done: Vec<SharedRow>,
    /// With `--division`: the items it supports (协办), led by other divisions.
    supported: Vec<ItemRow>,
    binding: Vec<SharedRow>,
    discipline: Vec<DisciplineRow>,
    cards: Vec<CardRow>,
    items: Vec<SharedRow>,
}

/// A listed item's row, made once and shown in every list it belongs to (not done, binding, the
/// appendix): serialised as the row itself.
#[derive(Debug, Clone)]
struct SharedRow(std::rc::Rc<ItemRow>);

impl Serialize for SharedRow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

pub(crate) fn division_name(plan: &Plan, id: &str) -> String {
    plan.division(id).map_or(id.to_string(), |d| d.name.clone())
}

pub(crate) fn item_row(plan: &Plan, s: &ItemStatus, lang: Lang) -> ItemRow {
    let item = &plan.items[s.index];
    let ind = &plan.indicators[item.indicator];
    let sep = match lang {
        Lang::Zh => "、",
        Lang::En => ", ",
    };
    ItemRow {
        id: escape(&item.id),
        name: escape(&item.name),
        category: escape(
            &plan
                .category(&ind.category)
                .map_or(ind.category.clone(), |c| c.name.clone()),
        ),
        indicator: escape(&ind.name),
        lead: escape(&division_name(plan, &item.lead)),
        support: escape(
            &item
                .support
                .iter()
                .map(|d| division_name(plan, d))
                .collect::<Vec<_>>()
                .join(sep),
        ),
        owner: escape(item.owner.as_deref().unwrap_or("")),
        binding: item.binding,
        target: escape(&target_text(plan, s.index)),
        value: escape(&value_text(plan, s)),
        expected: escape(&expected_text(plan, s)),
        status: s.status.as_str(),
        status_label: status_word(s.status, lang),
        light: s.light.as_str(),
        light_label: light_word(s.light, lang),
        score: score(s.score * Decimal::from(100)),
        entries: s.entries,
        cards_yellow: s.cards.yellow,
        cards_red: s.cards.red,
        last_date: s.last_date.map_or(String::new(), |d| d.to_string()),
        last_note: escape(s.last_note.as_deref().unwrap_or("")),
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

/// The data of the year-end report, for the whole office or one division.
pub fn summary_data(
    ctx: &Context,
    plan: &Plan,
    all: &[ItemStatus],
    dates: Dates,
    division: Option<&str>,
) -> SummaryData {
    let lang = ctx.lang;
    let listed: Vec<&ItemStatus> = all
        .iter()
        .filter(|s| division.is_none_or(|d| plan.items[s.index].lead == d))
        .collect();
    let t = totals(plan, &listed);
    let share = share_points(plan, listed.iter().copied());
    let binding: Vec<&ItemStatus> = listed
        .iter()
        .copied()
        .filter(|s| plan.items[s.index].binding)
        .collect();

    // Categories: counts over the listed items; points and score from indicator scores.
    let scores = indicator_scores(plan, &listed);
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

    let mut divisions = Vec::new();
    let mut discipline = Vec::new();
    // The listed items by lead, in plan order: every division's items are all of its items
    // (`division_points`) whether or not the report is one division's.
    let mut by_lead: HashMap<&str, Vec<&ItemStatus>> = HashMap::new();
    for s in &listed {
        by_lead
            .entry(plan.items[s.index].lead.as_str())
            .or_default()
            .push(s);
    }
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

    let mut cards = Vec::new();
    for s in &listed {
        let item = &plan.items[s.index];
        for c in &s.card_periods {
            cards.push(CardRow {
                division: escape(&division_name(plan, &item.lead)),
                item: escape(&item.id),
                item_name: escape(&item.name),
                period: c.period.label(),
                deadline: c.deadline.to_string(),
                filed: c.filed.map_or("—".into(), |f| f.to_string()),
                light: c.light.as_str(),
                light_label: card_word(c.light, lang),
            });
        }
    }

    let statuses = Status::ALL
        .iter()
        .map(|st| StatusCount {
            key: st.as_str(),
            label: status_word(*st, lang),
            count: t.count(*st),
        })
        .collect();
    let dec31 = chrono::NaiveDate::from_ymd_opt(plan.year, 12, 31).unwrap_or(dates.as_of);
    let mut cards_by_light: BTreeMap<Light, u32> = BTreeMap::new();
    for s in &listed {
        *cards_by_light.entry(Light::Yellow).or_default() += s.cards.yellow;
        *cards_by_light.entry(Light::Red).or_default() += s.cards.red;
    }
    // Every listed item's row, by item index.
    let mut rows: Vec<Option<SharedRow>> = vec![None; plan.items.len()];
    for s in &listed {
        rows[s.index] = Some(SharedRow(std::rc::Rc::new(item_row(plan, s, lang))));
    }
    let row_of = |s: &ItemStatus| {
        rows[s.index]
            .clone()
            .unwrap_or_else(|| SharedRow(std::rc::Rc::new(item_row(plan, s, lang))))
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
                .map(|s| item_row(plan, s, lang))
                .collect(),
            None => Vec::new(),
        },
        not_done: listed
            .iter()
            .filter(|s| s.status != Status::Done)
            .map(|s| row_of(s))
            .collect(),
        binding: binding.iter().map(|s| row_of(s)).collect(),
        discipline,
        cards,
        items: listed.iter().map(|s| row_of(s)).collect(),
    }
}

/// `perf summary`.
pub fn summary(
    ctx: &Context,
    plan: &Plan,
    all: &[ItemStatus],
    dates: Dates,
    division: Option<&str>,
) -> Result<String> {
    let data = summary_data(ctx, plan, all, dates, division);
    render(ctx, "summary", &data)
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
