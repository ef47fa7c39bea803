//! `perf monthly --month YYYY-MM`: the monthly inspection report (月度督查).
//!
//! Dates of SPEC §5: D is the month's last day (or today, if the month has not ended) and K is
//! min(today, the month's reporting deadline L), so the month's timely reports are in it. The
//! comparison point is the previous month's end, taken the same way.

use anyhow::Result;
use chrono::{Datelike, Months, NaiveDate};

use crate::calendar::Period;
use crate::check::calendar_for;
use crate::cli::MonthlyArgs;
use crate::cmd::{Context, SUCCESS, write_output};
use crate::model::Cadence;
use crate::render::{documents, monthly};
use crate::status::Dates;
use crate::workspace::entries::{self, DATE, FILED};
use crate::workspace::{EnvError, read_source};

fn parse_month(s: &str) -> Option<NaiveDate> {
    let p = Period::parse(s)?;
    (p.cadence == Cadence::Monthly).then_some(p.start)
}

pub fn run(ctx: &Context, args: &MonthlyArgs) -> Result<i32> {
    let start = parse_month(&args.month).ok_or_else(|| {
        EnvError::new(
            format!("--month {} 不是有效的月份，应写作 2014-06", args.month),
            format!("--month {} is not a month like 2014-06", args.month),
        )
    })?;
    if start > ctx.today {
        return Err(EnvError::new(
            format!("{} 尚未开始（今天是 {}）", args.month, ctx.today),
            format!("{} has not begun (today is {})", args.month, ctx.today),
        )
        .into());
    }
    let year = ctx.year(Some(start.year()))?;
    let plan = ctx.ws.load_plan(year)?.plan;
    let cal = calendar_for(&ctx.ws, year, &plan);
    let days = ctx.ws.settings.deadline_days(Cadence::Monthly);
    let dates_of = |month: NaiveDate| -> Dates {
        let p = Period::containing(Cadence::Monthly, month);
        Dates {
            as_of: p.end.min(ctx.today),
            known: p.deadline(&cal, days).min(ctx.today),
        }
    };
    let now = dates_of(start);
    let previous = if start.month() == 1 {
        // January: compared with the start of the year, when nothing was reported.
        Dates::at(start.pred_opt().unwrap_or(start))
    } else {
        dates_of(start.checked_sub_months(Months::new(1)).unwrap_or(start))
    };
    let scan = match ctx.scan_for_status(year, &[now, previous])? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let plan = &scan.plan;
    let (s_now, s_before) = (&scan.statuses[0], &scan.statuses[1]);

    // Entries recorded during the month, per division.
    let end = Period::containing(Cadence::Monthly, start).end;
    let mut filed = vec![0usize; plan.divisions.len()];
    for rf in &scan.files {
        let Some(di) = plan.division_pos(&rf.division) else {
            continue;
        };
        let Ok(src) = read_source(&ctx.ws.root, &rf.rel)? else {
            continue;
        };
        let mut sink = crate::diag::Diagnostics::new();
        entries::read(&src, &mut sink, |_, rec, _| {
            let day = crate::check::entries::parse_date(rec.fields[FILED])
                .or_else(|| crate::check::entries::parse_date(rec.fields[DATE]));
            if day.is_some_and(|d| d >= start && d <= end) {
                filed[di] += 1;
            }
        });
    }
    let data = monthly::monthly_data(
        ctx,
        plan,
        start,
        end,
        Period::containing(Cadence::Monthly, start).deadline(&cal, days),
        now,
        previous,
        s_now,
        s_before,
        &filed,
    );
    // The built-in template writes a line of some 130 bytes per row.
    let text = documents::render_sized(ctx, "monthly", &data, 4096 + 160 * data.rows())?;
    write_output(args.output.as_deref(), &text)?;
    Ok(SUCCESS)
}
