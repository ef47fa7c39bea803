//! Status output: the JSON of SPEC §5.3, CSV, a terminal table and a Markdown table.

use std::str::FromStr;

use chrono::NaiveDate;
use comfy_table::{Cell, CellAlignment, Color, ContentArrangement, Table, presets};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::diag::Lang;
use crate::model::{Direction, Plan};
use crate::render::export::neutralise;
use crate::render::markdown::{escape, number, percent, score};
use crate::render::terminal::clean;
use crate::status::{Dates, ItemStatus, Light, Totals, round};

/// A decimal as a JSON number, rounded to 6 places half away from zero.
pub fn num(d: Decimal) -> Value {
    let s = round(d, 6).normalize().to_string();
    serde_json::Number::from_str(&s).map_or(Value::Null, Value::Number)
}

/// A decimal as text, rounded to 6 places half away from zero, without trailing zeros or an
/// exponent, and never `-0` (for CSV, where a JSON number would go through `f64`).
pub fn num_text(d: Decimal) -> String {
    let r = round(d, 6).normalize();
    if r.is_zero() {
        "0".to_string()
    } else {
        r.to_string()
    }
}

fn opt_num(d: Option<Decimal>) -> Value {
    d.map_or(Value::Null, num)
}

fn date(d: Option<NaiveDate>) -> Value {
    d.map_or(Value::Null, |d| Value::String(d.to_string()))
}

/// One item of the JSON of SPEC §5.3, its keys in their order: serialised as it stands, without
/// building a JSON tree first.
#[derive(serde::Serialize)]
pub struct ItemJson<'a> {
    id: &'a str,
    name: &'a str,
    indicator: &'a str,
    category: &'a str,
    lead: &'a str,
    support: &'a [String],
    binding: bool,
    kind: &'static str,
    direction: &'static str,
    measure: &'static str,
    target: Value,
    unit: &'a str,
    value: Value,
    expected: Value,
    gap: Value,
    score: Value,
    status: &'static str,
    light: &'static str,
    last_date: Value,
    entries: u32,
    cards: crate::status::Cards,
}

/// One item's JSON (the keys of SPEC §5.3), to be serialised.
pub fn item_fields<'a>(plan: &'a Plan, s: &ItemStatus) -> ItemJson<'a> {
    let item = &plan.items[s.index];
    let ind = &plan.indicators[item.indicator];
    ItemJson {
        id: &item.id,
        name: &item.name,
        indicator: &ind.id,
        category: &ind.category,
        lead: &item.lead,
        support: &item.support,
        binding: item.binding,
        kind: item.kind.as_str(),
        direction: item.direction.as_str(),
        measure: item.measure.as_str(),
        target: num(item.target),
        unit: &item.unit,
        value: opt_num(s.value),
        expected: opt_num(s.expected),
        gap: opt_num(s.gap),
        score: num(s.score),
        status: s.status.as_str(),
        light: s.light.as_str(),
        last_date: date(s.last_date),
        entries: s.entries,
        cards: s.cards,
    }
}

/// One item as a JSON object (the keys of SPEC §5.3).
pub fn item_json(plan: &Plan, s: &ItemStatus) -> Value {
    serde_json::to_value(item_fields(plan, s)).unwrap_or(Value::Null)
}

pub fn totals_json(t: &Totals) -> Value {
    json!({
        "items": t.items,
        "done": t.done,
        "on_track": t.on_track,
        "behind": t.behind,
        "missed": t.missed,
        "not_reported": t.not_reported,
        "not_started": t.not_started,
        "completion_rate": num(t.completion_rate),
        "score": num(t.score),
    })
}

/// `status --format json`, as pieces of text to be written one after the other.
///
/// The items are written on as many threads as there are cores (a large plan has ten thousand),
/// each one as `serde_json` writes it pretty at the top level, then indented to its place in the
/// document's `items` array: JSON strings hold no raw line breaks, so indenting every line is
/// exactly what writing it in place would give (the golden files of `status --format json` pin
/// the bytes). The pieces are not joined, which would hold the document twice.
pub fn json(plan: &Plan, dates: Dates, items: &[&ItemStatus], totals: &Totals) -> Vec<String> {
    /// The document, in the key order of SPEC §5.3, written here with an empty `items` array
    /// whose text is then replaced.
    #[derive(serde::Serialize)]
    struct Doc {
        year: i32,
        as_of: String,
        known: String,
        items: [(); 0],
        totals: Value,
    }
    let doc = Doc {
        year: plan.year,
        as_of: dates.as_of.to_string(),
        known: dates.known.to_string(),
        items: [],
        totals: totals_json(totals),
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    if items.is_empty() {
        return vec![s];
    }
    let part = |chunk: &[&ItemStatus]| -> String {
        let mut out = String::new();
        for st in chunk {
            let one = serde_json::to_string_pretty(&item_fields(plan, st)).unwrap_or_default();
            if !out.is_empty() {
                out.push_str(",\n");
            }
            for (i, line) in one.split('\n').enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                out.push_str("    ");
                out.push_str(line);
            }
        }
        out
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunks: Vec<&[&ItemStatus]> = items
        .chunks(items.len().div_ceil(threads).max(512))
        .collect();
    let parts: Vec<String> = std::thread::scope(|sc| {
        let handles: Vec<_> = chunks[1..]
            .iter()
            .map(|c| sc.spawn(move || part(c)))
            .collect();
        let mut parts = vec![part(chunks[0])];
        for (h, c) in handles.into_iter().zip(&chunks[1..]) {
            parts.push(h.join().unwrap_or_else(|_| part(c)));
        }
        parts
    });
    // The document around the array, and the parts in place of `[]`.
    let at = s
        .find("\"items\": []")
        .map_or(s.len(), |i| i + "\"items\": [".len());
    let mut pieces = Vec::with_capacity(parts.len() * 2 + 2);
    pieces.push(format!("{}\n", &s[..at]));
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            pieces.push(",\n".to_string());
        }
        pieces.push(part);
    }
    pieces.push(format!("\n  {}", &s[at..]));
    pieces
}

/// The text of a status in `lang`.
pub fn status_word(s: crate::status::Status, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => s.zh(),
        Lang::En => s.en(),
    }
}

pub fn light_word(l: Light, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => l.zh(),
        Lang::En => l.as_str(),
    }
}

/// Target with direction and unit: `≥ 36 件`, `≤ 30 分钟`.
pub fn target_text(plan: &Plan, index: usize) -> String {
    let item = &plan.items[index];
    let sign = match item.direction {
        Direction::AtLeast => "≥",
        Direction::AtMost => "≤",
    };
    with_unit(format!("{sign} {}", number(item.target)), &item.unit)
}

/// `number` followed by its unit: `%` right after it, any other after a space. Written into the
/// number's own text (a table of 10,000 items makes three such texts a row).
fn with_unit(mut text: String, unit: &str) -> String {
    if unit != "%" {
        text.push(' ');
    }
    text.push_str(unit);
    text
}

/// A value with its unit, or a dash.
pub fn value_text(plan: &Plan, s: &ItemStatus) -> String {
    let item = &plan.items[s.index];
    s.value.map_or("—".to_string(), |v| {
        with_unit(number(round(v, 6)), &item.unit)
    })
}

/// The expected value (序时进度 or milestone) of a `>=` item with its unit, a dash otherwise:
/// a percentage with one decimal, other units with two (SPEC §6), trailing zeros dropped.
pub fn expected_text(plan: &Plan, s: &ItemStatus) -> String {
    let item = &plan.items[s.index];
    match (item.direction, s.expected) {
        (crate::model::Direction::AtLeast, Some(e)) => {
            let dp = if item.unit == "%" { 1 } else { 2 };
            with_unit(number(round(e, dp)), &item.unit)
        }
        _ => "—".to_string(),
    }
}

struct Row {
    id: String,
    name: String,
    lead: String,
    target: String,
    value: String,
    expected: String,
    status: String,
    light: Light,
    cards: String,
}

fn rows(plan: &Plan, items: &[&ItemStatus], lang: Lang) -> Vec<Row> {
    items
        .iter()
        .map(|s| {
            let item = &plan.items[s.index];
            let lead = plan
                .division(&item.lead)
                .map_or(item.lead.clone(), |d| match lang {
                    Lang::Zh => d.name.clone(),
                    Lang::En => d.id.clone(),
                });
            Row {
                id: item.id.clone(),
                name: item.name.clone(),
                lead,
                target: target_text(plan, s.index),
                value: value_text(plan, s),
                expected: expected_text(plan, s),
                status: status_word(s.status, lang).to_string(),
                light: s.light,
                cards: format!("{}/{}", s.cards.yellow, s.cards.red),
            }
        })
        .collect()
}

fn headers(lang: Lang) -> [&'static str; 9] {
    match lang {
        Lang::Zh => [
            "细项",
            "名称",
            "责任处",
            "目标",
            "当前值",
            "序时目标",
            "状态",
            "灯",
            "黄/红牌",
        ],
        Lang::En => [
            "item",
            "name",
            "lead",
            "target",
            "value",
            "expected",
            "status",
            "light",
            "cards y/r",
        ],
    }
}

fn totals_line(t: &Totals, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!(
            "共 {} 项：已完成 {}，正常推进 {}，进度滞后 {}，未完成 {}，未报送 {}，未开始 {}；完成率 {}，得分 {}",
            t.items,
            t.done,
            t.on_track,
            t.behind,
            t.missed,
            t.not_reported,
            t.not_started,
            percent(t.completion_rate),
            score(t.score)
        ),
        Lang::En => format!(
            "{} items: {} done, {} on track, {} behind, {} missed, {} not reported, {} not started; completion {}, score {}",
            t.items,
            t.done,
            t.on_track,
            t.behind,
            t.missed,
            t.not_reported,
            t.not_started,
            percent(t.completion_rate),
            score(t.score)
        ),
    }
}

/// A terminal table, CJK-aligned by comfy-table, lights coloured when `color`.
pub fn table(
    title: &str,
    plan: &Plan,
    dates: Dates,
    items: &[&ItemStatus],
    totals: &Totals,
    lang: Lang,
    color: bool,
) -> String {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(headers(lang));
    if !color {
        t.force_no_tty();
    } else {
        t.enforce_styling();
    }
    for r in rows(plan, items, lang) {
        let mut light = Cell::new(light_word(r.light, lang));
        if color {
            light = light.fg(match r.light {
                Light::Green => Color::Green,
                Light::Yellow => Color::Yellow,
                Light::Red => Color::Red,
            });
        }
        // Names, units and the division come from the plan: no escape sequence may reach the
        // terminal (nor break the table's alignment).
        t.add_row(vec![
            Cell::new(clean(&r.id)),
            Cell::new(clean(&r.name)),
            Cell::new(clean(&r.lead)),
            Cell::new(clean(&r.target)).set_alignment(CellAlignment::Right),
            Cell::new(clean(&r.value)).set_alignment(CellAlignment::Right),
            Cell::new(clean(&r.expected)).set_alignment(CellAlignment::Right),
            Cell::new(r.status),
            light,
            Cell::new(r.cards).set_alignment(CellAlignment::Right),
        ]);
    }
    let head = match lang {
        Lang::Zh => format!(
            "{}{}年度绩效评估完成情况（截至 {}，数据录入截至 {}）",
            title, plan.year, dates.as_of, dates.known
        ),
        Lang::En => format!(
            "{} {}: status as of {} (entries known by {})",
            title, plan.year, dates.as_of, dates.known
        ),
    };
    format!("{}\n{t}\n{}\n", clean(&head), totals_line(totals, lang))
}

/// `status --format markdown`.
pub fn markdown(plan: &Plan, items: &[&ItemStatus], totals: &Totals, lang: Lang) -> String {
    let mut out = String::new();
    let h = headers(lang);
    out.push_str(&format!("| {} |\n", h.join(" | ")));
    out.push_str(&format!("|{}\n", "---|".repeat(h.len())));
    for r in rows(plan, items, lang) {
        let cells = [
            r.id,
            r.name,
            r.lead,
            r.target,
            r.value,
            r.expected,
            r.status,
            light_word(r.light, lang).to_string(),
            r.cards,
        ];
        let cells: Vec<String> = cells.iter().map(|c| escape(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out.push('\n');
    out.push_str(&escape(&totals_line(totals, lang)));
    out.push('\n');
    out
}

/// `status --format csv`: one row per item, the JSON keys as columns.
pub fn csv(plan: &Plan, items: &[&ItemStatus]) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let cols = [
        "id",
        "name",
        "indicator",
        "category",
        "lead",
        "support",
        "binding",
        "kind",
        "direction",
        "measure",
        "target",
        "unit",
        "value",
        "expected",
        "gap",
        "score",
        "status",
        "light",
        "last_date",
        "entries",
        "cards_yellow",
        "cards_red",
    ];
    let _ = w.write_record(cols);
    for s in items {
        let v = item_json(plan, s);
        // Text from the plan is neutralised: a spreadsheet must not read it as a formula.
        let cell = |k: &str| -> String {
            match &v[k] {
                Value::Null => String::new(),
                Value::String(s) => neutralise(s),
                Value::Array(a) => neutralise(
                    &a.iter()
                        .filter_map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(";"),
                ),
                other => other.to_string(),
            }
        };
        let item = &plan.items[s.index];
        let text = |d: Option<Decimal>| d.map_or(String::new(), num_text);
        let mut rec: Vec<String> = cols[..20]
            .iter()
            .map(|k| match *k {
                // Decimals as exact text: a JSON number is an `f64`.
                "target" => num_text(item.target),
                "value" => text(s.value),
                "expected" => text(s.expected),
                "gap" => text(s.gap),
                "score" => num_text(s.score),
                k => cell(k),
            })
            .collect();
        rec.push(s.cards.yellow.to_string());
        rec.push(s.cards.red.to_string());
        let _ = w.write_record(&rec);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("number")
    }

    #[test]
    fn numbers_are_rounded_to_six_places_half_away_from_zero() {
        for (input, want) in [
            ("55", "55"),
            ("55.500", "55.5"),
            ("0.0000005", "0.000001"),
            ("-0.0000005", "-0.000001"),
            ("0.0000004", "0"),
            ("-0.0000004", "0"),
            ("-0", "0"),
            ("-0.000", "0"),
            ("15.934065934065934065934065934", "15.934066"),
            (
                "79228162514264337593543950335",
                "79228162514264337593543950335",
            ),
        ] {
            assert_eq!(num_text(dec(input)), want, "{input}");
            let got = num(dec(input));
            assert_eq!(got.as_f64(), want.parse::<f64>().ok(), "{input}: {got}");
            assert!(!got.to_string().starts_with("-0"), "{input}: {got}");
        }
    }
}
