//! The data of the monthly inspection report (月度督查, SPEC §6).

use chrono::{Datelike, NaiveDate};
use minijinja::value::Value;
use serde::Serialize;

use crate::cmd::Context;
use crate::diag::Lang;
use crate::model::{Direction, Plan};
use crate::render::documents::{
    CardRow, Count, ItemRows, MONTHLY_CARD, Office, by_lead, division_name, office, status_counts,
};
use crate::render::markdown::{escape, number, percent, score};
use crate::render::status::{status_word, value_text};
use crate::status::{Dates, ItemStatus, Light, Status, totals};

#[derive(Debug, Serialize)]
struct Change {
    id: String,
    name: String,
    lead: String,
    from_status: &'static str,
    to_status: &'static str,
    from_value: String,
    to_value: String,
}

#[derive(Debug, Serialize)]
struct DivisionLine {
    division: String,
    yellow: u32,
    red: u32,
    filed: usize,
}

#[derive(Debug, Serialize)]
struct Upcoming {
    date: String,
    id: String,
    name: String,
    lead: String,
    value: String,
    note: String,
}

/// Everything `monthly.md` receives.
#[derive(Debug, Serialize)]
pub struct MonthlyData {
    office: Office,
    year: i32,
    month: u32,
    month_label: String,
    as_of: String,
    known: String,
    previous_as_of: String,
    /// True when the month has not ended yet, or its reporting deadline has not passed (K < L).
    preview: bool,
    totals_items: usize,
    completion_rate: String,
    score: String,
    statuses: Vec<Count>,
    lights: Vec<Count>,
    changes: Vec<Change>,
    /// Item rows (`documents::ItemRow`).
    attention: Vec<minijinja::Value>,
    divisions: Vec<DivisionLine>,
    /// Card rows (`documents::CardRow`).
    cards: Vec<Value>,
    next_month_label: String,
    upcoming: Vec<Upcoming>,
    entries_filed: usize,
}

impl MonthlyData {
    /// How many rows its tables have, for the size of the document.
    pub fn rows(&self) -> usize {
        self.changes.len()
            + self.attention.len()
            + self.divisions.len()
            + self.cards.len()
            + self.upcoming.len()
    }
}

fn month_label(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{}年{}月", d.year(), d.month()),
        Lang::En => d.format("%B %Y").to_string(),
    }
}

/// `now` and `before` are every item's status at this month's end and the previous one's;
/// `filed` counts, per division (plan order), the entries recorded during the month.
#[allow(clippy::too_many_arguments)]
pub fn monthly_data(
    ctx: &Context,
    plan: &Plan,
    month_start: NaiveDate,
    month_end: NaiveDate,
    deadline: NaiveDate,
    dates: Dates,
    previous: Dates,
    now: &[ItemStatus],
    before: &[ItemStatus],
    filed: &[usize],
) -> MonthlyData {
    let lang = ctx.lang;
    let all: Vec<&ItemStatus> = now.iter().collect();
    let t = totals(plan, &all);
    let statuses = status_counts(&t, lang);
    let lights = [Light::Green, Light::Yellow, Light::Red]
        .iter()
        .map(|l| Count {
            key: l.as_str(),
            label: crate::render::status::light_word(*l, lang),
            count: now.iter().filter(|s| s.light == *l).count(),
        })
        .collect();
    let changes = now
        .iter()
        .zip(before)
        .filter(|(a, b)| a.status != b.status || a.value != b.value)
        .map(|(a, b)| {
            let item = &plan.items[a.index];
            Change {
                id: escape(&item.id),
                name: escape(&item.name),
                lead: escape(&division_name(plan, &item.lead)),
                from_status: status_word(b.status, lang),
                to_status: status_word(a.status, lang),
                from_value: escape(&value_text(plan, b)),
                to_value: escape(&value_text(plan, a)),
            }
        })
        .collect();
    let rows = ItemRows::new(plan, lang);
    let attention = now
        .iter()
        .filter(|s| {
            matches!(s.status, Status::Behind | Status::Missed)
                || (s.status == Status::NotReported && s.light != Light::Green)
        })
        .map(|s| rows.row(s))
        .collect();
    let mut cards = Vec::new();
    // The items by lead, in plan order, grouped once rather than searched for each division.
    let mut by_lead = by_lead(plan, now);
    let divisions = plan
        .divisions
        .iter()
        .enumerate()
        .map(|(di, d)| {
            let led = by_lead.remove(d.id.as_str()).unwrap_or_default();
            let division = Value::from(escape(&d.name));
            for s in led.iter().filter(|s| !s.card_periods.is_empty()) {
                let item = &plan.items[s.index];
                let name = Value::from(escape(&format!("{} {}", item.id, item.name)));
                for c in &s.card_periods {
                    cards.push(Value::from_object(CardRow {
                        fields: &MONTHLY_CARD,
                        division: division.clone(),
                        item: name.clone(),
                        item_name: Value::UNDEFINED,
                        card: c.clone(),
                        lang,
                    }));
                }
            }
            DivisionLine {
                division: escape(&d.name),
                yellow: led.iter().map(|s| s.cards.yellow).sum(),
                red: led.iter().map(|s| s.cards.red).sum(),
                filed: filed.get(di).copied().unwrap_or(0),
            }
        })
        .collect();
    let next = month_start
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(month_start);
    let next_end = next
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(next);
    let mut upcoming = Vec::new();
    for item in &plan.items {
        let unit = if item.unit == "%" {
            "%".to_string()
        } else {
            format!(" {}", item.unit)
        };
        for m in &item.milestones {
            if m.due >= next && m.due <= next_end {
                upcoming.push(Upcoming {
                    date: m.due.to_string(),
                    id: escape(&item.id),
                    name: escape(&item.name),
                    lead: escape(&division_name(plan, &item.lead)),
                    value: format!("{}{unit}", number(m.value)),
                    note: escape(m.note.as_deref().unwrap_or("")),
                });
            }
        }
        if item.due >= next && item.due <= next_end {
            let sign = if item.direction == Direction::AtLeast {
                "≥"
            } else {
                "≤"
            };
            upcoming.push(Upcoming {
                date: item.due.to_string(),
                id: escape(&item.id),
                name: escape(&item.name),
                lead: escape(&division_name(plan, &item.lead)),
                value: format!("{sign} {}{unit}", number(item.target)),
                note: match lang {
                    Lang::Zh => "完成期限".into(),
                    Lang::En => "due date".into(),
                },
            });
        }
    }
    upcoming.sort_by(|a, b| a.date.cmp(&b.date));
    MonthlyData {
        office: office(ctx),
        year: month_start.year(),
        month: month_start.month(),
        month_label: month_label(month_start, lang),
        as_of: dates.as_of.to_string(),
        known: dates.known.to_string(),
        previous_as_of: previous.as_of.to_string(),
        preview: dates.as_of < month_end || dates.known < deadline,
        totals_items: t.items,
        completion_rate: percent(t.completion_rate),
        score: score(t.score),
        statuses,
        lights,
        changes,
        attention,
        divisions,
        cards,
        next_month_label: month_label(next, lang),
        upcoming,
        entries_filed: filed.iter().sum(),
    }
}
