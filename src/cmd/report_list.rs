//! `perf report list`: the progress entries, filtered, as a table, CSV or JSON.

use std::io::Write;

use anyhow::Result;
use comfy_table::{ContentArrangement, Table, presets};
use serde_json::json;

use crate::check::entries::parse_date;
use crate::cli::{ListFormat, ReportListArgs};
use crate::cmd::{Context, SUCCESS};
use crate::diag::{Diagnostics, Lang};
use crate::render::export::neutralise;
use crate::workspace::entries::{self, COLUMNS, DATE, FILED, ITEM};
use crate::workspace::{EnvError, read_source};

/// One listed record: where it is and its fields by column.
struct Row {
    file: String,
    line: usize,
    fields: [String; 7],
}

pub fn run(ctx: &Context, args: &ReportListArgs) -> Result<i32> {
    let year = ctx.year(args.year)?;
    let files = ctx.ws.report_files(year)?;
    // Ids are checked against the plan, so a typo is not mistaken for "no entries".
    let plan = ctx.ws.load_plan(year)?.plan;
    if let Some(d) = &args.division
        && plan.division(d).is_none()
    {
        let ids: Vec<&str> = plan.divisions.iter().map(|d| d.id.as_str()).collect();
        return Err(EnvError::new(
            format!("{year} 年度没有责任处 `{d}`；责任处有：{}", ids.join("、")),
            format!("no division `{d}` in {year}; divisions: {}", ids.join(", ")),
        )
        .into());
    }
    if let Some(i) = &args.item
        && plan.item(i).is_none()
    {
        let guess = crate::workspace::toml_reader::did_you_mean(
            i,
            plan.items.iter().map(|x| x.id.as_str()),
        );
        let (zh, en) = guess.map_or((String::new(), String::new()), |g| {
            (
                format!("；是否应为 `{g}`？"),
                format!("; did you mean `{g}`?"),
            )
        });
        return Err(EnvError::new(
            format!("{year} 年度没有细项 `{i}`{zh}"),
            format!("no item `{i}` in {year}{en}"),
        )
        .into());
    }
    if let (Some(f), Some(t)) = (args.from, args.to)
        && f > t
    {
        return Err(EnvError::new(
            format!("--from {f} 晚于 --to {t}"),
            format!("--from {f} is after --to {t}"),
        )
        .into());
    }
    let mut rows = Vec::new();
    let mut unreadable = 0;
    for rf in &files {
        if args.division.as_ref().is_some_and(|d| *d != rf.division) {
            continue;
        }
        let Ok(src) = read_source(&ctx.ws.root, &rf.rel)? else {
            unreadable += 1;
            continue;
        };
        let mut diags = Diagnostics::new();
        entries::read(&src, &mut diags, |_, rec, _| {
            if args.item.as_ref().is_some_and(|i| i != rec.fields[ITEM]) {
                return;
            }
            let date = parse_date(rec.fields[DATE]);
            // What was recorded after today is not known yet (`--today` in the past).
            let known = parse_date(rec.fields[FILED]).or(date);
            if known.is_some_and(|k| k > ctx.today) {
                return;
            }
            if args.from.is_some_and(|f| date.is_none_or(|d| d < f))
                || args.to.is_some_and(|t| date.is_none_or(|d| d > t))
            {
                return;
            }
            rows.push(Row {
                file: rf.rel.clone(),
                line: rec.line,
                fields: rec.fields.map(str::to_string),
            });
        });
        if diags.has_errors() {
            unreadable += 1;
        }
    }
    let text = match args.format {
        ListFormat::Json => {
            let list: Vec<_> = rows
                .iter()
                .map(|r| {
                    let mut m = serde_json::Map::new();
                    m.insert("file".into(), json!(r.file));
                    m.insert("line".into(), json!(r.line));
                    for (c, v) in COLUMNS.iter().zip(&r.fields) {
                        m.insert((*c).into(), json!(v));
                    }
                    serde_json::Value::Object(m)
                })
                .collect();
            format!(
                "{}\n",
                serde_json::to_string_pretty(&list).unwrap_or_default()
            )
        }
        ListFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let mut head = vec!["file", "line"];
            head.extend(COLUMNS);
            let _ = w.write_record(&head);
            for r in &rows {
                let mut rec = vec![r.file.clone(), r.line.to_string()];
                rec.extend(r.fields.iter().map(|f| neutralise(f)));
                let _ = w.write_record(&rec);
            }
            let body = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
            if args.bom {
                format!("\u{feff}{body}")
            } else {
                body
            }
        }
        ListFormat::Table => {
            let mut t = Table::new();
            t.load_style(presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Disabled)
                .force_no_tty();
            t.set_header(match ctx.lang {
                Lang::Zh => vec![
                    "位置",
                    "日期",
                    "细项",
                    "数值",
                    "说明",
                    "佐证",
                    "报送人",
                    "录入日期",
                ],
                Lang::En => vec![
                    "at", "date", "item", "value", "note", "evidence", "reporter", "filed",
                ],
            });
            for r in &rows {
                let mut cells = vec![format!("{}:{}", r.file, r.line)];
                cells.extend(r.fields.iter().map(|f| crate::render::terminal::clean(f)));
                t.add_row(cells);
            }
            let n = rows.len();
            let foot = match ctx.lang {
                Lang::Zh => format!("共 {n} 条"),
                Lang::En if n == 1 => "1 entry".to_string(),
                Lang::En => format!("{n} entries"),
            };
            format!("{t}\n{foot}\n")
        }
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    if unreadable > 0 && !ctx.quiet {
        let _ = writeln!(
            std::io::stderr(),
            "{}",
            match ctx.lang {
                Lang::Zh => format!(
                    "注意：{unreadable} 个文件有错误，列出的记录可能不全；运行 `perf check` 查看"
                ),
                Lang::En => format!(
                    "note: {unreadable} file(s) have errors, so the list may be incomplete; run `perf check`"
                ),
            }
        );
    }
    Ok(SUCCESS)
}
