//! `perf export`: one row per item with its computed status, for spreadsheets and BI tools.

use anyhow::Result;

use crate::cli::{ExportArgs, ExportFormat};
use crate::cmd::{Context, SUCCESS, status, write_output};
use crate::render::export;

pub fn run(ctx: &Context, args: &ExportArgs) -> Result<i32> {
    let year = ctx.year(args.year)?;
    let dates = ctx.dates(year, args.as_of)?;
    let (plan, all) = match status::compute(ctx, year, dates)? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let items: Vec<_> = all.iter().collect();
    let text = match args.format {
        ExportFormat::Json => export::json(&plan, dates, &items),
        ExportFormat::Csv => export::csv(&plan, &items, args.bom),
    };
    write_output(args.output.as_deref(), &text)?;
    Ok(SUCCESS)
}
