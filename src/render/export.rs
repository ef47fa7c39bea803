//! `perf export`: one row per item with everything the status knows, as JSON or CSV for
//! spreadsheets and BI tools.
//!
//! CSV text cells that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a
//! tab or a carriage return) get a leading `'`; numbers, negative ones included, stay numbers.

use serde_json::{Map, Value, json};

use crate::model::{Direction, Plan};
use crate::render::status::num;
use crate::status::{Dates, ItemStatus};

/// One item's row, keys in column order.
pub fn row(plan: &Plan, s: &ItemStatus) -> Map<String, Value> {
    let item = &plan.items[s.index];
    let ind = &plan.indicators[item.indicator];
    let category = plan.category(&ind.category);
    let lead = plan.division(&item.lead);
    let opt = |d: Option<rust_decimal::Decimal>| d.map_or(Value::Null, num);
    let v = json!({
        "id": item.id,
        "name": item.name,
        "category": ind.category,
        "category_name": category.map(|c| c.name.clone()),
        "indicator": ind.id,
        "indicator_name": ind.name,
        "indicator_points": opt(ind.points),
        "lead": item.lead,
        "lead_name": lead.map(|d| d.name.clone()),
        "support": item.support,
        "owner": item.owner,
        "binding": item.binding,
        "kind": item.kind.as_str(),
        "direction": item.direction.as_str(),
        "measure": item.measure.as_str(),
        "target": num(item.target),
        "unit": item.unit,
        "start": item.start.to_string(),
        "due": item.due.to_string(),
        "cadence": item.cadence.as_str(),
        "weight": num(item.weight),
        "milestones": item.milestones.iter().map(|m| format!("{}:{}", m.due, m.value.normalize())).collect::<Vec<_>>(),
        "value": opt(s.value),
        "expected": if item.direction == Direction::AtLeast { opt(s.expected) } else { Value::Null },
        "gap": opt(s.gap),
        "score": num(s.score),
        "status": s.status.as_str(),
        "light": s.light.as_str(),
        "entries": s.entries,
        "last_date": s.last_date.map(|d| d.to_string()),
        "last_note": s.last_note,
        "cards_yellow": s.cards.yellow,
        "cards_red": s.cards.red,
        "card_periods": s.card_periods.iter().map(|c| format!("{}:{}", c.period.label(), c.light.as_str())).collect::<Vec<_>>(),
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

pub fn json(plan: &Plan, dates: Dates, items: &[&ItemStatus]) -> String {
    let v = json!({
        "year": plan.year,
        "as_of": dates.as_of.to_string(),
        "known": dates.known.to_string(),
        "items": items.iter().map(|s| Value::Object(row(plan, s))).collect::<Vec<_>>(),
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// A text cell made safe for spreadsheets.
pub fn neutralise(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => neutralise(s),
        Value::Array(a) => neutralise(
            &a.iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(";"),
        ),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// CSV with a header of the row keys; `bom` prefixes a UTF-8 byte-order mark for Excel.
pub fn csv(plan: &Plan, items: &[&ItemStatus], bom: bool) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let mut header_done = false;
    for s in items {
        let r = row(plan, s);
        if !header_done {
            let _ = w.write_record(r.keys());
            header_done = true;
        }
        let _ = w.write_record(r.values().map(cell));
    }
    if !header_done {
        // No items: still a header, from an empty row's keys.
        let _ = w.write_record(["id"]);
    }
    let body = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
    if bom { format!("\u{feff}{body}") } else { body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_numbers_are_not() {
        assert_eq!(neutralise("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(neutralise("@cmd"), "'@cmd");
        assert_eq!(neutralise("-2+3"), "'-2+3");
        assert_eq!(neutralise("办结"), "办结");
        assert_eq!(cell(&serde_json::from_str("-3.5").unwrap()), "-3.5");
    }
}
