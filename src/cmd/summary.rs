//! `perf summary`: the year-end evaluation report (年度绩效评估报告, SPEC §6).

use anyhow::Result;

use crate::cli::SummaryArgs;
use crate::cmd::{Context, SUCCESS, free_at_exit, status, write_output};
use crate::render::documents;

pub fn run(ctx: &Context, args: &SummaryArgs) -> Result<i32> {
    let year = ctx.year(args.year)?;
    let dates = ctx.dates(year, args.as_of)?;
    let (plan, all) = match status::compute(ctx, year, dates)? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    // Validates --division before rendering.
    status::filter(&plan, &all, args.division.as_deref(), None)?;
    let text = documents::summary(ctx, &plan, &all, dates, args.division.as_deref())?;
    write_output(args.output.as_deref(), &text)?;
    free_at_exit((plan, all, text));
    Ok(SUCCESS)
}
