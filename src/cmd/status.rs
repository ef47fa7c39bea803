//! `perf status`: every item's status as of a date (SPEC §4, §5, §5.3).

use std::io::Write;

use anyhow::Result;

use crate::cli::{FailOn, StatusArgs, StatusFormat};
use crate::cmd::{Context, DATA_ERROR, SUCCESS, free_at_exit};
use crate::model::Plan;
use crate::render::status as out;
use crate::status::{Dates, ItemStatus, Light, Status, totals};
use crate::workspace::EnvError;

/// Every item's status for one year and one (D, K); `Err(code)` when the data has errors.
pub fn compute(
    ctx: &Context,
    year: i32,
    dates: Dates,
) -> Result<std::result::Result<(Plan, Vec<ItemStatus>), i32>> {
    let mut scan = match ctx.scan_for_status(year, &[dates])? {
        Ok(s) => s,
        Err(code) => return Ok(Err(code)),
    };
    // The folds kept (those of items evaluated after the scan) are freed now, on another thread
    // while the caller goes on: the memory they give back serves the documents.
    let statuses = scan.statuses.swap_remove(0);
    let plan = scan.plan;
    crate::cmd::free_aside(scan.states);
    Ok(Ok((plan, statuses)))
}

/// Keeps the items `--division` leads and of `--category`; unknown ids are usage errors.
pub fn filter<'a>(
    plan: &Plan,
    all: &'a [ItemStatus],
    division: Option<&str>,
    category: Option<&str>,
) -> Result<Vec<&'a ItemStatus>> {
    if let Some(d) = division
        && plan.division(d).is_none()
    {
        let ids: Vec<&str> = plan.divisions.iter().map(|d| d.id.as_str()).collect();
        return Err(EnvError::new(
            format!(
                "{} 年度没有责任处 `{d}`；责任处有：{}",
                plan.year,
                ids.join(", ")
            ),
            format!(
                "no division `{d}` in {}; divisions: {}",
                plan.year,
                ids.join(", ")
            ),
        )
        .into());
    }
    if let Some(c) = category
        && plan.category(c).is_none()
    {
        let ids: Vec<&str> = plan.categories.iter().map(|c| c.id.as_str()).collect();
        return Err(EnvError::new(
            format!(
                "{} 年度没有评估内容 `{c}`；评估内容有：{}",
                plan.year,
                ids.join(", ")
            ),
            format!(
                "no category `{c}` in {}; categories: {}",
                plan.year,
                ids.join(", ")
            ),
        )
        .into());
    }
    Ok(all
        .iter()
        .filter(|s| {
            let item = &plan.items[s.index];
            division.is_none_or(|d| item.lead == d)
                && category.is_none_or(|c| plan.indicators[item.indicator].category == c)
        })
        .collect())
}

/// Whether `--fail-on` is triggered by an item.
pub fn fails(plan: &Plan, s: &ItemStatus, on: FailOn) -> bool {
    let bad = matches!(s.status, Status::Behind | Status::Missed)
        || (s.status == Status::NotReported && s.light != Light::Green);
    match on {
        FailOn::Behind => bad,
        FailOn::Missed => s.status == Status::Missed,
        FailOn::Binding => plan.items[s.index].binding && bad,
    }
}

pub fn run(ctx: &Context, args: &StatusArgs) -> Result<i32> {
    let year = ctx.year(args.year)?;
    let dates = ctx.dates(year, args.as_of)?;
    let (plan, all) = match compute(ctx, year, dates)? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let items = filter(
        &plan,
        &all,
        args.division.as_deref(),
        args.category.as_deref(),
    )?;
    let t = totals(&plan, &items);
    let pieces = match args.format {
        StatusFormat::Json => out::json(&plan, dates, &items, &t),
        StatusFormat::Csv => vec![out::csv(&plan, &items)],
        StatusFormat::Markdown => vec![out::markdown(&plan, &items, &t, ctx.lang)],
        StatusFormat::Table => vec![out::table(
            ctx.ws.settings.short(),
            &plan,
            dates,
            &items,
            &t,
            ctx.lang,
            ctx.color_stdout,
        )],
    };
    let mut stdout = std::io::stdout().lock();
    for piece in pieces {
        stdout.write_all(piece.as_bytes())?;
    }
    stdout.flush()?;
    let failed = args
        .fail_on
        .is_some_and(|on| items.iter().any(|s| fails(&plan, s, on)));
    free_at_exit(items);
    free_at_exit((all, plan));
    Ok(if failed { DATA_ERROR } else { SUCCESS })
}
