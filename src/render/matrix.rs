//! The data of the responsibility matrix (指标体系及职责分工明细表, SPEC §6): the roster, one row per
//! item, and the items × divisions grid.

use serde::Serialize;

use crate::cmd::Context;
use crate::diag::Lang;
use crate::model::{Direction, Person, Plan};
use crate::render::documents::{Office, division_name, office};
use crate::render::markdown::{escape, number};
use crate::render::status::target_text;

#[derive(Debug, Serialize)]
struct RosterDivision {
    id: String,
    name: String,
    leader: String,
    liaisons: String,
    former_liaisons: String,
    hosts_office: bool,
}

#[derive(Debug, Serialize)]
struct LeadingGroupView {
    leader: String,
    deputy_leaders: String,
    members: String,
}

#[derive(Debug, Serialize)]
struct PerformanceOfficeView {
    host: String,
    director: String,
    executive_deputy: String,
    deputies: String,
}

#[derive(Debug, Serialize)]
struct MatrixItem {
    category: String,
    category_points: String,
    indicator: String,
    indicator_points: String,
    id: String,
    name: String,
    target: String,
    milestones: String,
    schedule: String,
    binding: bool,
    binding_label: &'static str,
    cadence: String,
    lead: String,
    support: String,
    owner: String,
    /// One mark per division of `divisions`, in order: `●` lead, `○` support, empty otherwise.
    marks: Vec<&'static str>,
}

/// Everything `matrix.md` receives.
#[derive(Debug, Serialize)]
pub struct MatrixData {
    office: Office,
    year: i32,
    leading_group: Option<LeadingGroupView>,
    performance_office: Option<PerformanceOfficeView>,
    divisions: Vec<RosterDivision>,
    items: Vec<MatrixItem>,
    total_points: String,
}

fn names(people: &[Person], lang: Lang) -> String {
    let sep = if lang == Lang::Zh { "、" } else { ", " };
    escape(
        &people
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(sep),
    )
}

fn name(p: &Option<Person>) -> String {
    escape(p.as_ref().map_or("", |p| p.name.as_str()))
}

pub fn matrix_data(ctx: &Context, plan: &Plan) -> MatrixData {
    let lang = ctx.lang;
    let sep = if lang == Lang::Zh { "、" } else { ", " };
    let host = plan
        .performance_office
        .as_ref()
        .and_then(|o| o.host.clone());
    let divisions = plan
        .divisions
        .iter()
        .map(|d| RosterDivision {
            id: escape(&d.id),
            name: escape(&d.name),
            leader: name(&d.leader),
            liaisons: names(&d.liaisons, lang),
            former_liaisons: names(&d.former_liaisons, lang),
            hosts_office: host.as_deref() == Some(d.id.as_str()),
        })
        .collect();
    let items = plan
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let ind = &plan.indicators[item.indicator];
            let cat = plan.category(&ind.category);
            let milestones = item
                .milestones
                .iter()
                .map(|m| {
                    let unit = if item.unit == "%" {
                        "%".to_string()
                    } else {
                        format!(" {}", item.unit)
                    };
                    match lang {
                        Lang::Zh => format!(
                            "{}前达到{}{}",
                            crate::render::documents::cn_date(m.due.to_string()),
                            number(m.value),
                            unit.trim_start()
                        ),
                        Lang::En => format!("{}{unit} by {}", number(m.value), m.due),
                    }
                })
                .collect::<Vec<_>>()
                .join(if lang == Lang::Zh { "；" } else { "; " });
            let schedule = match (item.direction, item.milestones.is_empty(), item.schedule) {
                (Direction::AtMost, _, _) => String::new(),
                (_, false, _) => String::new(),
                (_, true, crate::model::Schedule::AtDue) => match lang {
                    Lang::Zh => "期末考核".into(),
                    Lang::En => "judged at due date".into(),
                },
                (_, true, crate::model::Schedule::Linear) => match lang {
                    Lang::Zh => "按序时进度".into(),
                    Lang::En => "time-proportional".into(),
                },
            };
            MatrixItem {
                category: escape(cat.map_or(&ind.category, |c| &c.name)),
                category_points: cat.and_then(|c| c.points).map_or(String::new(), number),
                indicator: escape(&ind.name),
                indicator_points: ind.points.map_or(String::new(), number),
                id: escape(&item.id),
                name: escape(&item.name),
                target: escape(&target_text(plan, i)),
                milestones: escape(&milestones),
                schedule,
                binding: item.binding,
                binding_label: match (item.binding, lang) {
                    (true, Lang::Zh) => "约束性",
                    (false, Lang::Zh) => "预期性",
                    (true, Lang::En) => "binding",
                    (false, Lang::En) => "non-binding",
                },
                cadence: item.cadence.label(lang).to_string(),
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
                marks: plan
                    .divisions
                    .iter()
                    .map(|d| {
                        if d.id == item.lead {
                            "●"
                        } else if item.support.contains(&d.id) {
                            "○"
                        } else {
                            ""
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let total: rust_decimal::Decimal = plan.indicators.iter().filter_map(|i| i.points).sum();
    MatrixData {
        office: office(ctx),
        year: plan.year,
        leading_group: plan.leading_group.as_ref().map(|g| LeadingGroupView {
            leader: name(&g.leader),
            deputy_leaders: names(&g.deputy_leaders, lang),
            members: names(&g.members, lang),
        }),
        performance_office: plan
            .performance_office
            .as_ref()
            .map(|o| PerformanceOfficeView {
                host: escape(
                    &o.host
                        .as_deref()
                        .map(|h| division_name(plan, h))
                        .unwrap_or_default(),
                ),
                director: name(&o.director),
                executive_deputy: name(&o.executive_deputy),
                deputies: names(&o.deputies, lang),
            }),
        divisions,
        items,
        total_points: number(total),
    }
}
