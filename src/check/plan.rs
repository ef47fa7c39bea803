//! Rules across the values of one year's plan (SPEC §2): unique ids, references, completeness
//! (级级有指标，层层有任务，人人有责任) and points.

use std::collections::{HashMap, HashSet};

use foldhash::fast::FixedState;

use rust_decimal::Decimal;

use crate::diag::{Diagnostic, Diagnostics, Place, Text};
use crate::model::{Locs, Plan};
use crate::workspace::toml_reader::did_you_mean;

const RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

fn at(locs: &Locs, key: &str) -> (String, Place) {
    (locs.file().to_string(), locs.at(key))
}

fn error(code: &'static str, (file, place): (String, Place), zh: String, en: String) -> Diagnostic {
    Diagnostic::error(code, &file, Some(place), Text::new(zh, en))
}

/// Every cross-value rule of the plan. When a plan file could not be read (`complete` false),
/// only the duplicates among what was read: the rules that look across the whole plan would
/// report everything the unread file defines as missing (decision 20), burying its own error
/// under dozens of `unknown-division`s.
pub fn check(plan: &Plan, complete: bool, diags: &mut Diagnostics) {
    unique_ids(plan, diags);
    if !complete {
        return;
    }
    references(plan, diags);
    completeness(plan, diags);
    points(plan, diags);
}

fn duplicates<'a>(
    kind_zh: &str,
    kind_en: &str,
    list: impl Iterator<Item = (&'a str, &'a Locs)>,
    diags: &mut Diagnostics,
) {
    // Hashed with foldhash: the ids of 10,000 items go through it.
    let mut first: HashMap<&str, &Locs, FixedState> = HashMap::default();
    for (id, locs) in list {
        if id.is_empty() {
            continue;
        }
        if let Some(f) = first.get(id) {
            let p = f.at("id");
            diags.push(
                error(
                    "duplicate-id",
                    at(locs, "id"),
                    format!(
                        "{kind_zh}标识 `{id}` 重复，首次出现在 {}:{}",
                        f.file(),
                        p.line
                    ),
                    format!(
                        "duplicate {kind_en} id `{id}`, first at {}:{}",
                        f.file(),
                        p.line
                    ),
                )
                .with_help(Text::new(
                    "同一年度内标识须唯一；请改用新的标识",
                    "ids are unique within a year; choose another id",
                )),
            );
        } else {
            first.insert(id, locs);
        }
    }
}

fn unique_ids(plan: &Plan, diags: &mut Diagnostics) {
    duplicates(
        "责任处",
        "division",
        plan.divisions.iter().map(|d| (d.id.as_str(), &d.locs)),
        diags,
    );
    duplicates(
        "评估内容",
        "category",
        plan.categories.iter().map(|d| (d.id.as_str(), &d.locs)),
        diags,
    );
    duplicates(
        "指标",
        "indicator",
        plan.indicators.iter().map(|d| (d.id.as_str(), &d.locs)),
        diags,
    );
    duplicates(
        "细项",
        "item",
        plan.items.iter().map(|d| (d.id.as_str(), &d.locs)),
        diags,
    );
    // Division ids name files: unique ignoring case, portable to Windows.
    let mut lower: HashMap<String, &crate::model::Division> = HashMap::new();
    for d in &plan.divisions {
        let l = d.id.to_lowercase();
        if let Some(first) = lower.get(&l) {
            if first.id != d.id {
                let (other, file, line) = (&first.id, first.locs.file(), first.locs.at("id").line);
                diags.push(error("division-id-case", at(&d.locs, "id"), format!("责任处标识 `{}` 与 {file}:{line} 的 `{other}` 仅大小写不同", d.id), format!("division id `{}` differs only in case from `{other}` at {file}:{line}", d.id))
                    .with_help(Text::new("标识也是进度文件名，在不区分大小写的系统上会冲突", "the id is also a file name, which clashes on case-insensitive file systems")));
            }
        } else {
            lower.insert(l.clone(), d);
        }
        if d.id.ends_with('.') || RESERVED.contains(&l.as_str()) {
            diags.push(
                error(
                    "division-id-reserved",
                    at(&d.locs, "id"),
                    format!("责任处标识 `{}` 不能用作 Windows 文件名", d.id),
                    format!("division id `{}` is not a valid file name on Windows", d.id),
                )
                .with_help(Text::new(
                    "不要以 `.` 结尾，也不要用 con、prn、aux、nul、com1–9、lpt1–9",
                    "do not end it with `.`, nor use con, prn, aux, nul, com1–9 or lpt1–9",
                )),
            );
        }
    }
}

fn unknown_division(plan: &Plan, locs: &Locs, key: &str, id: &str, diags: &mut Diagnostics) {
    let ids = plan.divisions.iter().map(|d| d.id.as_str());
    let d = error(
        "unknown-division",
        at(locs, key),
        format!("没有标识为 `{id}` 的责任处"),
        format!("no division with id `{id}`"),
    );
    diags.push(match did_you_mean(id, ids) {
        Some(g) => d.with_help(Text::new(
            format!("是否应为 `{g}`？"),
            format!("did you mean `{g}`?"),
        )),
        None => d.with_help(Text::new(
            format!(
                "已定义的责任处：{}",
                plan.divisions
                    .iter()
                    .map(|d| d.id.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            format!(
                "divisions defined: {}",
                plan.divisions
                    .iter()
                    .map(|d| d.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    });
}

fn references(plan: &Plan, diags: &mut Diagnostics) {
    for ind in &plan.indicators {
        if !ind.category.is_empty() && plan.category(&ind.category).is_none() {
            let d = error(
                "unknown-category",
                at(&ind.locs, "category"),
                format!("没有标识为 `{}` 的评估内容", ind.category),
                format!("no category with id `{}`", ind.category),
            );
            diags.push(
                match did_you_mean(&ind.category, plan.categories.iter().map(|c| c.id.as_str())) {
                    Some(g) => d.with_help(Text::new(
                        format!("是否应为 `{g}`？"),
                        format!("did you mean `{g}`?"),
                    )),
                    None => d,
                },
            );
        }
    }
    for item in &plan.items {
        if !item.lead.is_empty() && plan.division(&item.lead).is_none() {
            unknown_division(plan, &item.locs, "lead", &item.lead, diags);
        }
        for s in &item.support {
            if plan.division(s).is_none() {
                unknown_division(plan, &item.locs, "support", s, diags);
            } else if *s == item.lead {
                diags.push(
                    error(
                        "self-support",
                        at(&item.locs, "support"),
                        format!("责任处 {s} 同时列为细项 {} 的协调处", item.id),
                        format!(
                            "the lead division {s} is also among item {}'s support",
                            item.id
                        ),
                    )
                    .with_help(Text::new(
                        "协调处是责任处以外的处室；从 support 中删去它",
                        "support lists other divisions; remove the lead from it",
                    )),
                );
            }
        }
        for s in &item.former_leads {
            if plan.division(s).is_none() {
                unknown_division(plan, &item.locs, "former_leads", s, diags);
            }
        }
    }
    if let Some(po) = &plan.performance_office {
        match &po.host {
            Some(h) if plan.division(h).is_none() => {
                unknown_division(plan, &po.locs, "host", h, diags)
            }
            _ => {}
        }
    }
}

fn completeness(plan: &Plan, diags: &mut Diagnostics) {
    for c in &plan.categories {
        if !plan.indicators.iter().any(|i| i.category == c.id) {
            diags.push(error("empty-category", at(&c.locs, "id"), format!("评估内容 `{}`（{}）没有指标", c.id, c.name), format!("category `{}` ({}) has no indicators", c.id, c.name))
                .with_help(Text::new("级级有指标：为它加上至少一个 [[indicator]]，或删去它", "every level has indicators: add an [[indicator]] with this category, or remove it")));
        }
    }
    let mut has_items = vec![false; plan.indicators.len()];
    for item in &plan.items {
        if let Some(has) = has_items.get_mut(item.indicator) {
            *has = true;
        }
    }
    for (i, ind) in plan.indicators.iter().enumerate() {
        if !has_items[i] {
            diags.push(
                error(
                    "empty-indicator",
                    at(&ind.locs, "id"),
                    format!("指标 `{}`（{}）没有评估细项", ind.id, ind.name),
                    format!("indicator `{}` ({}) has no items", ind.id, ind.name),
                )
                .with_help(Text::new(
                    "层层有任务：加上至少一个 [[indicator.item]]",
                    "every layer has tasks: add at least one [[indicator.item]]",
                )),
            );
        }
    }
    let leads: HashSet<&str, FixedState> = plan.items.iter().map(|i| i.lead.as_str()).collect();
    for d in &plan.divisions {
        if d.locs.has("liaisons") && d.liaisons.is_empty() {
            diags.push(
                error(
                    "no-liaison",
                    at(&d.locs, "liaisons"),
                    format!("责任处 {} 没有联络员", d.id),
                    format!("division {} has no liaison", d.id),
                )
                .with_help(Text::new(
                    "每个责任处须明确至少一名联络员",
                    "every division names at least one liaison",
                )),
            );
        }
        for p in &d.liaisons {
            if let Some(f) = d.former_liaisons.iter().find(|f| f.key == p.key) {
                // At the second occurrence, naming the first.
                let (first, second) =
                    if (f.place.line, f.place.column) > (p.place.line, p.place.column) {
                        (p, f)
                    } else {
                        (f, p)
                    };
                diags.push(
                    Diagnostic::error(
                        "liaison-also-former",
                        d.locs.file(),
                        Some(second.place.clone()),
                        Text::new(
                            format!(
                                "{} 同时列在 liaisons 和 former_liaisons 中（另一处在第 {} 行）",
                                p.name, first.place.line
                            ),
                            format!(
                                "{} is in both liaisons and former_liaisons (the other at line {})",
                                p.name, first.place.line
                            ),
                        ),
                    )
                    .with_help(Text::new(
                        "现任联络员只列在 liaisons 中",
                        "a current liaison belongs in liaisons only",
                    )),
                );
            }
        }
        if !d.id.is_empty() && !leads.contains(d.id.as_str()) {
            diags.push(Diagnostic::warning("idle-division", d.locs.file(), Some(d.locs.at("id")), Text::new(
                format!("责任处 {} 没有牵头任何细项", d.id),
                format!("division {} leads no item", d.id),
            )).with_help(Text::new("人人有责任：为它分配细项，或确认它只作协调处", "everyone has a responsibility: give it an item, or accept that it only supports")));
        }
    }
    for item in &plan.items {
        if item.owner.as_deref().is_none_or(|o| o.trim().is_empty()) {
            diags.push(
                Diagnostic::warning(
                    "missing-owner",
                    item.locs.file(),
                    Some(item.locs.header()),
                    Text::new(
                        format!("细项 {} 没有责任人（owner）", item.id),
                        format!("item {} has no owner", item.id),
                    ),
                )
                .with_help(Text::new(
                    "人人有责任：加上 `owner = \"姓名\"`",
                    "everyone has a responsibility: add `owner = \"name\"`",
                )),
            );
        }
    }
}

fn points(plan: &Plan, diags: &mut Diagnostics) {
    let any_indicator = plan.indicators.iter().any(|i| i.points.is_some());
    let any_category = plan.categories.iter().any(|c| c.points.is_some());
    if !any_indicator {
        if any_category {
            for c in plan.categories.iter().filter(|c| c.points.is_some()) {
                diags.push(error("points-on-categories", at(&c.locs, "points"), format!("只在评估内容 `{}` 上给了分值，指标上没有", c.id), format!("points are given on category `{}` but on no indicator", c.id))
                    .with_help(Text::new("分值给在每个指标上；评估内容的分值须等于其指标分值之和", "give points on every indicator; a category's points must equal the sum of its indicators'")));
            }
        }
        return;
    }
    for ind in plan.indicators.iter().filter(|i| i.points.is_none()) {
        diags.push(
            error(
                "missing-points",
                (ind.locs.file().to_string(), ind.locs.header()),
                format!("指标 `{}` 没有分值，而其他指标有", ind.id),
                format!("indicator `{}` has no points while others do", ind.id),
            )
            .with_help(Text::new(
                "用分值时，每个指标都要有 `points`",
                "when points are used, every indicator needs `points`",
            )),
        );
    }
    let mut total = Decimal::ZERO;
    for ind in &plan.indicators {
        total = total.saturating_add(ind.points.unwrap_or_default());
    }
    for c in &plan.categories {
        let Some(p) = c.points else { continue };
        let sum: Decimal = plan
            .indicators
            .iter()
            .filter(|i| i.category == c.id)
            .map(|i| i.points.unwrap_or_default())
            .fold(Decimal::ZERO, Decimal::saturating_add);
        if sum != p {
            diags.push(
                error(
                    "category-points",
                    at(&c.locs, "points"),
                    format!("评估内容 `{}` 的分值 {p} 不等于其指标分值之和 {sum}", c.id),
                    format!(
                        "category `{}` has {p} points but its indicators add up to {sum}",
                        c.id
                    ),
                )
                .with_help(Text::new(
                    "调整指标分值，或删去评估内容上的 points",
                    "adjust the indicators' points, or remove the category's points",
                )),
            );
        }
    }
    if total != Decimal::from(100) {
        let first = &plan.indicators[0].locs;
        diags.push(
            Diagnostic::warning(
                "points-total",
                first.file(),
                Some(first.at("points")),
                Text::new(
                    format!("指标分值合计 {total}，不是 100"),
                    format!("the indicators' points add up to {total}, not 100"),
                ),
            )
            .with_help(Text::new(
                "总分按 100 折算；各评估内容与责任处的分值仍按原分值显示",
                "the office's score is scaled to 100; category and division figures stay in points",
            )),
        );
    }
}
