//! `perf check`: validate every file and print every problem (SPEC §5, §5.2).

use std::io::Write;

use anyhow::Result;

use crate::check::{ScanOptions, check_workspace, history};
use crate::cli::CheckArgs;
use crate::cmd::{Context, DATA_ERROR, SUCCESS, free_at_exit};
use crate::render::diagnostics::{self, Format};
use crate::workspace::EnvError;
use crate::workspace::git::Base;

pub fn run(ctx: &Context, args: &CheckArgs) -> Result<i32> {
    if let Some(y) = args.year {
        let has_plan = ctx.ws.root.join("indicators").join(y.to_string()).is_dir();
        let has_reports = ctx.ws.root.join("reports").join(y.to_string()).is_dir();
        if !has_plan && !has_reports {
            return Err(EnvError::new(
                format!("{y} 年没有可检查的内容：indicators/{y}/ 和 reports/{y}/ 都不存在"),
                format!(
                    "nothing to check for {y}: neither indicators/{y}/ nor reports/{y}/ exists"
                ),
            )
            .into());
        }
    }
    // The merge base first: without git or with a bad revision, nothing is printed but the error.
    let base = match &args.base {
        Some(rev) => Some(Base::find(&ctx.ws.root, rev)?),
        None => None,
    };
    let opts = ScanOptions {
        today: ctx.today,
        refuse_future: true,
        warnings: true,
        keep_folds: false,
    };
    let (mut diags, last) = check_workspace(&ctx.ws, args.year, opts)?;
    free_at_exit(last);
    if let Some(base) = &base {
        diags.extend(history::check(&ctx.ws, args.year, base)?);
    }
    diags.extend(crate::cmd::codeowners::check(ctx, args.year)?);
    diags.extend(crate::check::templates::check(&ctx.ws.root)?);
    let failed = diags.has_errors() || (args.strict && !diags.is_empty());
    let list = diags.sorted();
    let color = ctx.color_stdout && args.format == Format::Human;
    let text = if args.format == Format::Human && list.is_empty() && ctx.quiet {
        String::new()
    } else {
        diagnostics::render(&list, args.format, ctx.lang, color)
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(if failed { DATA_ERROR } else { SUCCESS })
}
