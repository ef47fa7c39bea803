//! `perf report add ITEM [VALUE]`: a liaison appends one progress entry (SPEC §5, §5.4).
//!
//! The entry is validated by the same rules as `perf check`, applied to the file as it would be
//! after the append; anything wrong refuses the entry and leaves every file untouched. The write
//! itself is in `workspace::append` (lock, temporary file, rename).

use std::io::{IsTerminal, Write};
use std::process::Command;

use anyhow::Result;
use chrono::{Datelike, NaiveDate};

use crate::calendar::Period;
use crate::check::{self, entries as rules};
use crate::cli::ReportAddArgs;
use crate::cmd::{Context, DATA_ERROR, SUCCESS, prompt};
use crate::diag::{Diagnostic, Diagnostics, Lang, Severity};
use crate::model::{Entry, Plan};
use crate::render::diagnostics::{self, Format};
use crate::render::status::{light_word, status_word, target_text, value_text};
use crate::render::terminal::clean;
use crate::status::{ItemState, evaluate};
use crate::workspace::append::{self, Lock};
use crate::workspace::entries::{COLUMNS, FILED};
use crate::workspace::source::Source;
use crate::workspace::toml_reader::did_you_mean;
use crate::workspace::{EnvError, read_source};

/// A refusal: says why and what to do; exit code 1, nothing written.
fn refuse(ctx: &Context, zh: String, en: String) -> Result<i32> {
    let msg = match ctx.lang {
        Lang::Zh => zh,
        Lang::En => en,
    };
    let _ = writeln!(std::io::stderr(), "perf: {}", clean(&msg));
    Ok(DATA_ERROR)
}

fn print_diags(ctx: &Context, list: &[Diagnostic]) {
    let text = diagnostics::render(list, Format::Human, ctx.lang, ctx.color_stderr);
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// The reporter: `--reporter`, else `PERF_REPORTER`, else `git config user.name`.
fn reporter(ctx: &Context, flag: Option<&str>) -> Option<String> {
    if let Some(r) = flag.filter(|r| !r.trim().is_empty()) {
        return Some(r.to_string());
    }
    if let Some(r) = std::env::var("PERF_REPORTER")
        .ok()
        .filter(|r| !r.trim().is_empty())
    {
        return Some(r);
    }
    let out = Command::new("git")
        .args(["config", "user.name"])
        .current_dir(&ctx.ws.root)
        .output()
        .ok()?;
    let name = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !name.is_empty()).then_some(name)
}

/// Encodes one record with the file's columns, in their order.
fn encode(columns: &[&str], values: &[(&str, String)]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let row: Vec<&str> = columns
        .iter()
        .map(|c| {
            values
                .iter()
                .find(|(k, _)| k == c)
                .map_or("", |(_, v)| v.as_str())
        })
        .collect();
    let _ = w.write_record(&row);
    let mut s = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
    if s.ends_with('\n') {
        s.pop();
    }
    s
}

pub fn run(ctx: &Context, args: &ReportAddArgs) -> Result<i32> {
    // 1. What is missing? On a terminal, ask; otherwise never prompt.
    let reporter = reporter(ctx, args.reporter.as_deref());
    if args.nil && args.value.is_some() {
        return Err(EnvError::new(
            "VALUE 与 --nil 只能给出其一",
            "give either VALUE or --nil, not both",
        )
        .into());
    }
    let mut missing = Vec::new();
    if args.item.is_none() {
        missing.push("ITEM");
    }
    if args.value.is_none() && !args.nil {
        missing.push("VALUE (or --nil)");
    }
    if args.nil && args.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        missing.push("--note (a nil return needs one)");
    }
    if reporter.is_none() {
        missing.push("--reporter (or PERF_REPORTER, or git config user.name)");
    }
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let (args, reporter) = if missing.is_empty() {
        (args.clone(), reporter.unwrap_or_default())
    } else if terminal {
        match ask(ctx, args, reporter)? {
            Ok(filled) => filled,
            Err(code) => return Ok(code),
        }
    } else {
        return Err(EnvError::new(
            format!(
                "缺少参数（不在终端中运行，perf 不会逐项询问）：{}",
                missing.join(", ")
            ),
            format!(
                "missing arguments (not a terminal, so perf does not ask): {}",
                missing.join(", ")
            ),
        )
        .into());
    };
    let args = &args;
    let item_id = args.item.clone().unwrap_or_default();

    // 2. Which year's plan holds the item?
    let years: Vec<i32> = match (args.date, &args.period) {
        (Some(d), _) => vec![d.year()],
        (None, Some(p)) => {
            match Period::parse(p) {
                Some(p) => vec![p.start.year()],
                None => {
                    return Err(EnvError::new(format!("--period {p} 不是有效的报告期，应写作 2014-05、2014-Q2、2014-H1 或 2014"), format!("--period {p} is not a period like 2014-05, 2014-Q2, 2014-H1 or 2014"))
                .into());
                }
            }
        }
        (None, None) => vec![ctx.today.year(), ctx.today.year() - 1],
    };
    let mut found = None;
    let mut first_plan: Option<Plan> = None;
    let tried = years.iter().map(|y| y.to_string()).collect::<Vec<_>>();
    let explicit = args.date.is_some() || args.period.is_some();
    for y in years {
        if !ctx.ws.root.join("indicators").join(y.to_string()).is_dir() {
            continue;
        }
        let loaded = ctx.ws.load_plan(y)?;
        let mut diags = loaded.diags;
        check::plan::check(&loaded.plan, &mut diags);
        let mut all = ctx.ws.settings_diags.clone();
        all.extend(diags);
        if let Some(i) = loaded.plan.item(&item_id) {
            if all.has_errors() {
                let errors: Vec<_> = all
                    .sorted()
                    .into_iter()
                    .filter(|d| d.severity == Severity::Error)
                    .collect();
                print_diags(ctx, &errors);
                return refuse(
                    ctx,
                    format!("未写入：{y} 年度的计划有错误，请先改正（`perf check`）"),
                    format!(
                        "nothing written: the {y} plan has errors; fix them first (`perf check`)"
                    ),
                );
            }
            found = Some((loaded.plan, i));
            break;
        }
        first_plan.get_or_insert(loaded.plan);
    }
    if found.is_none() && first_plan.is_none() {
        let (zh, en) = if explicit {
            (String::new(), String::new())
        } else {
            (
                "；报告往年的进展请用 --date 或 --period".to_string(),
                "; to report on an earlier year use --date or --period".to_string(),
            )
        };
        return refuse(
            ctx,
            format!(
                "未写入：{} 年没有计划（indicators/<年度>/）{zh}",
                tried.join("、")
            ),
            format!(
                "nothing written: there is no plan for {} (indicators/<year>/){en}",
                tried.join(" or ")
            ),
        );
    }
    let Some((plan, index)) = found else {
        let guess = first_plan
            .as_ref()
            .and_then(|p| did_you_mean(&item_id, p.items.iter().map(|i| i.id.as_str())));
        let (zh, en) = match guess {
            Some(g) => (
                format!("；是否应为 `{g}`？"),
                format!("; did you mean `{g}`?"),
            ),
            None => (String::new(), String::new()),
        };
        return refuse(
            ctx,
            format!("未写入：计划中没有细项 `{item_id}`{zh}"),
            format!("nothing written: no item `{item_id}` in the plan{en}"),
        );
    };
    let item = &plan.items[index];
    let year = plan.year;
    let cal = check::calendar_for(&ctx.ws, year, &plan);
    let Some(division) = plan.division(&item.lead) else {
        return refuse(
            ctx,
            format!("未写入：细项 {item_id} 的责任处无效"),
            format!("nothing written: item {item_id} has no valid lead"),
        );
    };

    // 3. The reporter may add for this division?
    if !plan.may_add(division, &reporter) {
        let mut who: Vec<&str> = division.liaisons.iter().map(|p| p.name.as_str()).collect();
        who.extend(division.leader.iter().map(|p| p.name.as_str()));
        return refuse(
            ctx,
            format!(
                "未写入：{reporter} 不能为{}报送（细项 {item_id} 的责任处）；可报送的人员：{}，以及办绩效办人员",
                division.name,
                who.join("、")
            ),
            format!(
                "nothing written: {reporter} may not report for {} (the lead of {item_id}); who may: {}, and the performance office's staff",
                division.id,
                who.join(", ")
            ),
        );
    }

    // 4. Lock, then read the lead's file and the former leads' files.
    let rel = format!("reports/{year}/{}.csv", division.id);
    let dir = ctx.ws.root.join("reports").join(year.to_string());
    // Nothing is created (not even the lock) in a folder that a link leads outside the workspace.
    append::check_inside(&ctx.ws.root, &dir)?;
    let _lock = Lock::take(&dir)?;
    append::remove_stale_temporaries(&dir);
    let target = append::resolve_target(&ctx.ws.root, &ctx.ws.root.join(&rel))?;
    let old: Option<Vec<u8>> = match std::fs::read(&target) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(EnvError::new(
                format!("无法读取 {rel}：{e}"),
                format!("cannot read {rel}: {e}"),
            )
            .into());
        }
    };
    let rules_for = |refuse_future| rules::Rules {
        plan: &plan,
        root: &ctx.ws.root,
        today: ctx.today,
        refuse_future,
        plan_complete: true,
    };
    let strict = rules_for(true);
    let mut item_dates: Vec<NaiveDate> = Vec::new();
    let mut header_cols: Vec<&str> = COLUMNS.to_vec();
    let mut has_filed = true;
    if let Some(bytes) = &old {
        let src = match Source::decode(&rel, bytes.clone()) {
            Ok(s) => s,
            Err(d) => {
                print_diags(ctx, &[*d]);
                return refuse(
                    ctx,
                    format!("未写入：{rel} 有错误，请先改正"),
                    format!("nothing written: {rel} has errors; fix them first"),
                );
            }
        };
        let mut diags = Diagnostics::new();
        let mut history = rules::History::default();
        // The file as it stands: entries recorded after today are not errors of the file here
        // (with `--today` in the past they are simply not yet known).
        let header = rules::scan_file(
            &rules_for(false),
            &src,
            0,
            &division.id,
            &mut diags,
            &mut history,
            |i, e| {
                // Only what had been recorded by today counts (with `--today` in the past,
                // later entries are not yet known).
                if i == index && e.known_on() <= ctx.today {
                    item_dates.push(e.date);
                }
            },
        );
        if diags.has_errors() {
            let errors: Vec<_> = diags
                .sorted()
                .into_iter()
                .filter(|d| d.severity == Severity::Error)
                .collect();
            print_diags(ctx, &errors);
            return refuse(
                ctx,
                format!("未写入：{rel} 有错误，请先改正（记录不可删改；如需更正请追加新记录）"),
                format!("nothing written: {rel} has errors; fix them first"),
            );
        }
        if let Some(h) = header {
            let mut cols: Vec<(usize, &str)> = h
                .pos
                .iter()
                .enumerate()
                .filter_map(|(c, p)| p.map(|p| (p, COLUMNS[c])))
                .collect();
            cols.sort();
            header_cols = cols.into_iter().map(|(_, c)| c).collect();
            has_filed = h.has(FILED);
        }
    }
    let mut former_entries: Vec<Entry> = Vec::new();
    for former in &item.former_leads {
        let frel = format!("reports/{year}/{former}.csv");
        if !ctx.ws.root.join(&frel).is_file() {
            continue;
        }
        if let Ok(src) = read_source(&ctx.ws.root, &frel)? {
            let mut sink = Diagnostics::new();
            let mut h = rules::History::default();
            rules::scan_file(
                &rules_for(false),
                &src,
                1,
                former,
                &mut sink,
                &mut h,
                |i, e| {
                    if i == index {
                        former_entries.push(e.clone());
                    }
                },
            );
        }
    }
    item_dates.extend(
        former_entries
            .iter()
            .filter(|e| e.known_on() <= ctx.today)
            .map(|e| e.date),
    );

    // 5. The entry's date.
    let (date, period) = match (args.date, &args.period) {
        (Some(d), _) => (d, Period::containing(item.cadence, d)),
        (None, Some(p)) => {
            let p = Period::parse(p).unwrap_or_else(|| Period::containing(item.cadence, ctx.today));
            if p.cadence.months() > item.cadence.months() {
                return refuse(
                    ctx,
                    format!(
                        "未写入：报告期 {} 比细项 {item_id} 的报送频次（{}）更长",
                        p.label(),
                        item.cadence.label(Lang::Zh)
                    ),
                    format!(
                        "nothing written: period {} is coarser than item {item_id}'s cadence ({})",
                        p.label(),
                        item.cadence.as_str()
                    ),
                );
            }
            if p.start > ctx.today {
                return refuse(
                    ctx,
                    format!("未写入：报告期 {} 尚未开始", p.label()),
                    format!("nothing written: period {} has not begun", p.label()),
                );
            }
            if p.start > item.due || p.end < item.start {
                return refuse(
                    ctx,
                    format!(
                        "未写入：报告期 {} 不在细项 {item_id} 的考核期 {} 至 {} 内",
                        p.label(),
                        item.start,
                        item.due
                    ),
                    format!(
                        "nothing written: period {} does not overlap item {item_id}'s span {} … {}",
                        p.label(),
                        item.start,
                        item.due
                    ),
                );
            }
            (p.end.min(item.due).min(ctx.today), p)
        }
        (None, None) => {
            let days = ctx.ws.settings.deadline_days(item.cadence);
            let due_now = Period::overlapping(item.cadence, item.start, item.due)
                .into_iter()
                .rfind(|p| p.end < ctx.today)
                .filter(|p| {
                    !item_dates.iter().any(|d| p.contains(*d))
                        && p.deadline(&cal, days) >= ctx.today
                });
            match due_now {
                Some(p) => (p.end.min(item.due), p),
                None if ctx.today > item.due => {
                    return refuse(
                        ctx,
                        format!(
                            "未写入：细项 {item_id} 已于 {} 到期，今天的记录不计入完成情况；补报到期前的进展请用 --date 或 --period",
                            item.due
                        ),
                        format!(
                            "nothing written: item {item_id} was due on {}, so an entry dated today would not count; to report progress made by then use --date or --period",
                            item.due
                        ),
                    );
                }
                None => (ctx.today, Period::containing(item.cadence, ctx.today)),
            }
        }
    };

    // 6. The record, checked with every rule against the file as it would be.
    let value = if args.nil {
        String::new()
    } else {
        args.value.clone().unwrap_or_default()
    };
    let mut values = vec![
        ("date", date.to_string()),
        ("item", item_id.clone()),
        ("value", value),
        ("note", args.note.clone().unwrap_or_default()),
        ("evidence", args.evidence.clone().unwrap_or_default()),
        ("reporter", reporter.clone()),
    ];
    if has_filed {
        values.push(("filed", ctx.today.to_string()));
    }
    for (k, v) in &values {
        if !v.is_empty() && !header_cols.contains(k) {
            return refuse(
                ctx,
                format!("未写入：{rel} 没有 `{k}` 列"),
                format!("nothing written: {rel} has no `{k}` column"),
            );
        }
    }
    let record = encode(&header_cols, &values);
    let new_bytes = append::appended(old.as_deref(), &record);
    let new_src = match Source::decode(&rel, new_bytes.clone()) {
        Ok(s) => s,
        Err(d) => {
            print_diags(ctx, &[*d]);
            return Ok(DATA_ERROR);
        }
    };
    let new_line =
        new_src.text.trim_end_matches(['\n', '\r']).lines().count() - record.lines().count() + 1;
    let mut diags = Diagnostics::new();
    let mut history = rules::History::default();
    let mut entries: Vec<(Entry, u32)> = Vec::new();
    rules::scan_file(
        &strict,
        &new_src,
        0,
        &division.id,
        &mut diags,
        &mut history,
        |i, e| {
            if i == index {
                entries.push((e.clone(), 0));
            }
        },
    );
    diags.extend(rules::judge_history(
        &plan,
        history,
        std::slice::from_ref(&new_src),
    ));
    // The new record's problems, named as such: its line is not in the file yet.
    let label = match ctx.lang {
        Lang::Zh => format!("{rel}（新记录）"),
        Lang::En => format!("{rel} (new entry)"),
    };
    let mine: Vec<Diagnostic> = diags
        .sorted()
        .into_iter()
        .filter(|d| d.line().is_some_and(|l| l >= new_line))
        .map(|mut d| {
            d.file = label.clone();
            // Appending an exact copy of an entry cannot be undone (entries are never removed)
            // and a `sum` item would count it twice: refuse it here, where it is still a choice.
            if d.code == "duplicate-entry" {
                d.severity = Severity::Error;
                d.help = Some(crate::diag::Text::new(
                    "同样的记录已经报送过；记录写入后不可删除，如确需再报，请在说明中写明缘由",
                    "the same entry is already there; entries cannot be removed once written, so if you really mean to report it again, say why in the note",
                ));
            }
            d
        })
        .collect();
    if mine.iter().any(|d| d.severity == Severity::Error) {
        print_diags(ctx, &mine);
        return refuse(
            ctx,
            "未写入：新记录有错误，见上".into(),
            "nothing written: the new entry has errors (above)".into(),
        );
    }

    // 7. Write, then tell where, for which period, and the status after it.
    append::write_atomically(&target, &new_bytes)?;
    if !mine.is_empty() && !ctx.quiet {
        print_diags(ctx, &mine);
    }
    entries.extend(former_entries.into_iter().map(|e| (e, 1)));
    let dates = ctx.dates(year, None)?;
    let mut state = ItemState::new(item, dates, &ctx.ws.settings, &cal);
    for (e, f) in &entries {
        state.add(e, *f);
    }
    let s = evaluate(index, item, &state, dates, &ctx.ws.settings);
    let mut out = std::io::stdout().lock();
    match ctx.lang {
        Lang::Zh => {
            writeln!(
                out,
                "已写入 {rel}:{new_line}（报告期 {}，{}）",
                period.label(),
                item.cadence.label(Lang::Zh)
            )?;
            writeln!(
                out,
                "{}",
                clean(&format!(
                    "{item_id} {}：当前值 {}，目标 {}，{}（{}）",
                    item.name,
                    value_text(&plan, &s),
                    target_text(&plan, index),
                    status_word(s.status, Lang::Zh),
                    light_word(s.light, Lang::Zh)
                ))
            )?;
        }
        Lang::En => {
            writeln!(
                out,
                "wrote {rel}:{new_line} (period {}, {})",
                period.label(),
                item.cadence.as_str()
            )?;
            writeln!(
                out,
                "{}",
                clean(&format!(
                    "{item_id} {}: value {}, target {}, {} ({})",
                    item.name,
                    value_text(&plan, &s),
                    target_text(&plan, index),
                    status_word(s.status, Lang::En),
                    light_word(s.light, Lang::En)
                ))
            )?;
        }
    }
    Ok(SUCCESS)
}

/// Asks on the terminal for what is missing, showing the reporter's items with their current values.
fn ask(
    ctx: &Context,
    args: &ReportAddArgs,
    reporter: Option<String>,
) -> Result<std::result::Result<(ReportAddArgs, String), i32>> {
    let year = [ctx.today.year(), ctx.today.year() - 1]
        .into_iter()
        .find(|y| ctx.ws.root.join("indicators").join(y.to_string()).is_dir())
        .ok_or_else(|| {
            EnvError::new(
                format!(
                    "{} 年和 {} 年都没有计划：请给出 ITEM、VALUE 和 --date",
                    ctx.today.year(),
                    ctx.today.year() - 1
                ),
                format!(
                    "no plan for {} or {}: give ITEM, VALUE and --date",
                    ctx.today.year(),
                    ctx.today.year() - 1
                ),
            )
        })?;
    let dates = ctx.dates(year, None)?;
    let (plan, statuses) = match crate::cmd::status::compute(ctx, year, dates)? {
        Ok(x) => x,
        Err(code) => return Ok(Err(code)),
    };
    let filled = prompt::ask_missing(
        &plan,
        &statuses,
        ctx.lang,
        args.clone(),
        reporter,
        &mut prompt::TerminalPrompter,
    )?;
    Ok(Ok(filled))
}
