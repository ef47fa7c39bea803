//! `perf matrix`: the indicator system and responsibility table (指标体系及职责分工明细表).

use anyhow::Result;

use crate::cli::MatrixArgs;
use crate::cmd::{Context, SUCCESS, write_output};
use crate::render::{documents, matrix};

pub fn run(ctx: &Context, args: &MatrixArgs) -> Result<i32> {
    let year = ctx.year(args.year)?;
    let scan = match ctx.scan_for_status(year, &[])? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let data = matrix::matrix_data(ctx, &scan.plan);
    let text = documents::render(ctx, "matrix", &data)?;
    write_output(args.output.as_deref(), &text)?;
    Ok(SUCCESS)
}
