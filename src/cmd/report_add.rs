//! `perf report add ITEM [VALUE]`: a liaison appends one progress entry (SPEC §5, §5.4).
//!
//! The entry is validated by the same rules as `perf check`, applied to the file as it would be
//! after the append; anything wrong refuses the entry (`Refused`, exit 1) and leaves every file
//! untouched. The steps: complete the arguments (asking on a terminal), find the item's plan, check
//! the reporter, lock and read the lead division's file, date the entry, check the new record, write
//! it (`workspace::append`: temporary file, rename) and show the item's status after it.

use std::io::{IsTerminal, Write};
use std::process::Command;

use anyhow::{Result, bail};
use chrono::{Datelike, NaiveDate};

use crate::calendar::{Period, WorkCalendar};
use crate::check::{self, entries as rules};
use crate::cli::ReportAddArgs;
use crate::cmd::{Context, Refused, SUCCESS, prompt};
use crate::diag::{Diagnostic, Diagnostics, Lang, Severity, Text};
use crate::model::{Division, Entry, Item, Plan};
use crate::render::diagnostics::{self, Format};
use crate::render::status::{light_word, status_word, target_text, value_text};
use crate::render::terminal::clean;
use crate::status::{ItemState, evaluate};
use crate::workspace::append::{self, Lock};
use crate::workspace::entries::{COLUMNS, FILED};
use crate::workspace::source::Source;
use crate::workspace::toml_reader::did_you_mean;
use crate::workspace::{EnvError, read_source};

fn refused(zh: impl Into<String>, en: impl Into<String>) -> anyhow::Error {
    Refused(Text::new(zh, en)).into()
}

fn print_diags(ctx: &Context, list: &[Diagnostic]) {
    let text = diagnostics::render(list, Format::Human, ctx.lang, ctx.color_stderr);
    let _ = std::io::stderr().write_all(text.as_bytes());
}

fn errors_of(diags: Diagnostics) -> Vec<Diagnostic> {
    diags
        .sorted()
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect()
}

pub fn run(ctx: &Context, args: &ReportAddArgs) -> Result<i32> {
    let Some((args, reporter)) = complete_arguments(ctx, args)? else {
        return Ok(crate::cmd::DATA_ERROR);
    };
    let (plan, index) = find_item(ctx, &args)?;
    let item = &plan.items[index];
    let division = lead_division(&plan, item, &reporter)?;
    let year = plan.year;
    let cal = check::calendar_for(&ctx.ws, year, &plan);

    // Lock first: reading, checking and writing the file is one step for concurrent runs.
    let rel = format!("reports/{year}/{}.csv", division.id);
    let dir = ctx.ws.root.join("reports").join(year.to_string());
    // Nothing is created (not even the lock) in a folder that a link leads outside the workspace.
    append::check_inside(&ctx.ws.root, &dir)?;
    let _lock = Lock::take(&dir)?;
    append::remove_stale_temporaries(&dir);
    let target = append::resolve_target(&ctx.ws.root, &ctx.ws.root.join(&rel))?;
    // A folder, a pipe or a device in the file's place is refused by name (a pipe would make
    // reading it wait for ever).
    crate::workspace::guard_file(&ctx.ws.root, &rel)?;
    let lead = LeadFile::read(ctx, &plan, index, division, &rel, &target)?;
    let former = former_entries(ctx, &plan, index)?;
    let known: Vec<NaiveDate> = lead
        .known_dates
        .iter()
        .copied()
        .chain(
            former
                .iter()
                .filter(|e| e.known_on() <= ctx.today)
                .map(|e| e.date),
        )
        .collect();
    let (date, period) = entry_date(ctx, &args, item, &cal, &known)?;

    let record = lead.record(ctx, &args, &reporter, date, &rel)?;
    let new_bytes = append::appended(lead.old.as_deref(), &record);
    let NewRecord {
        warnings,
        mut entries,
        line,
    } = check_new_record(ctx, &plan, index, division, &rel, &new_bytes, &record)?;

    append::write_atomically(&target, &new_bytes)?;
    if !warnings.is_empty() && !ctx.quiet {
        print_diags(ctx, &warnings);
    }
    entries.extend(former.into_iter().map(|e| (e, 1)));
    print_outcome(ctx, &plan, index, &cal, &entries, &rel, line, period)?;
    Ok(SUCCESS)
}

/// The arguments with nothing missing, and the reporter: asked for on a terminal, otherwise a usage
/// error listing what is missing. `None` when the data has errors (already printed).
fn complete_arguments(
    ctx: &Context,
    args: &ReportAddArgs,
) -> Result<Option<(ReportAddArgs, String)>> {
    let reporter = reporter(ctx, args.reporter.as_deref());
    if args.nil && args.value.is_some() {
        bail!(EnvError::new(
            "VALUE 与 --nil 只能给出其一",
            "give either VALUE or --nil, not both"
        ));
    }
    // What is missing, in Chinese and in English.
    let mut missing: Vec<(&str, &str)> = Vec::new();
    if args.item.is_none() {
        missing.push(("ITEM（细项标识）", "ITEM"));
    }
    if args.value.is_none() && !args.nil {
        missing.push(("VALUE（数值；零报告用 --nil）", "VALUE (or --nil)"));
    }
    if args.nil && args.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        missing.push((
            "--note（零报告须说明原因）",
            "--note (a nil return needs one)",
        ));
    }
    if reporter.is_none() {
        missing.push((
            "--reporter（或环境变量 PERF_REPORTER，或 git config user.name）",
            "--reporter (or PERF_REPORTER, or git config user.name)",
        ));
    }
    if missing.is_empty() {
        return Ok(Some((args.clone(), reporter.unwrap_or_default())));
    }
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        return ask(ctx, args, reporter);
    }
    let zh: Vec<&str> = missing.iter().map(|m| m.0).collect();
    let en: Vec<&str> = missing.iter().map(|m| m.1).collect();
    bail!(EnvError::new(
        format!(
            "缺少参数（不在终端中运行，perf 不会逐项询问）：{}",
            zh.join("、")
        ),
        format!(
            "missing arguments (not a terminal, so perf does not ask): {}",
            en.join(", ")
        ),
    ))
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

/// Asks on the terminal for what is missing, showing the reporter's items with their current values.
fn ask(
    ctx: &Context,
    args: &ReportAddArgs,
    reporter: Option<String>,
) -> Result<Option<(ReportAddArgs, String)>> {
    let (this, last) = (ctx.today.year(), ctx.today.year() - 1);
    let year = [this, last]
        .into_iter()
        .find(|y| ctx.ws.root.join("indicators").join(y.to_string()).is_dir())
        .ok_or_else(|| {
            EnvError::new(
                format!("{this} 年和 {last} 年都没有计划：请给出 ITEM、VALUE 和 --date"),
                format!("no plan for {this} or {last}: give ITEM, VALUE and --date"),
            )
        })?;
    let dates = ctx.dates(year, None)?;
    let Ok((plan, statuses)) = crate::cmd::status::compute(ctx, year, dates)? else {
        return Ok(None);
    };
    let mut p = prompt::TerminalPrompter;
    Ok(Some(prompt::ask_missing(
        &plan,
        &statuses,
        ctx.lang,
        args.clone(),
        reporter,
        &mut p,
    )?))
}

/// The plan that holds the item: the year of `--date` or `--period`, else this year's plan, then
/// last year's (in January the December report belongs to the old plan). A plan with errors
/// refuses the entry.
fn find_item(ctx: &Context, args: &ReportAddArgs) -> Result<(Plan, usize)> {
    let item_id = args.item.as_deref().unwrap_or_default();
    let years: Vec<i32> = match (args.date, &args.period) {
        (Some(d), _) => vec![d.year()],
        (None, Some(p)) => match Period::parse(p) {
            Some(p) => vec![p.start.year()],
            None => bail!(EnvError::new(
                format!("--period {p} 不是有效的报告期，应写作 2014-05、2014-Q2、2014-H1 或 2014"),
                format!("--period {p} is not a period like 2014-05, 2014-Q2, 2014-H1 or 2014"),
            )),
        },
        (None, None) => vec![ctx.today.year(), ctx.today.year() - 1],
    };
    let tried: Vec<String> = years.iter().map(|y| y.to_string()).collect();
    let mut first_plan: Option<Plan> = None;
    for y in years {
        if !ctx.ws.root.join("indicators").join(y.to_string()).is_dir() {
            continue;
        }
        let loaded = ctx.ws.load_plan(y)?;
        let Some(index) = loaded.plan.item(item_id) else {
            first_plan.get_or_insert(loaded.plan);
            continue;
        };
        let mut all = ctx.ws.settings_diags.clone();
        all.extend(loaded.diags);
        check::plan::check(&loaded.plan, loaded.complete, &mut all);
        if all.has_errors() {
            print_diags(ctx, &errors_of(all));
            return Err(refused(
                format!("未写入：{y} 年度的计划有错误，请先改正（`perf check`）"),
                format!("nothing written: the {y} plan has errors; fix them first (`perf check`)"),
            ));
        }
        return Ok((loaded.plan, index));
    }
    let Some(plan) = first_plan else {
        let explicit = args.date.is_some() || args.period.is_some();
        let (zh, en) = if explicit {
            ("", "")
        } else {
            (
                "；报告往年的进展请用 --date 或 --period",
                "; to report on an earlier year use --date or --period",
            )
        };
        return Err(refused(
            format!(
                "未写入：{} 年没有计划（indicators/<年度>/）{zh}",
                tried.join("、")
            ),
            format!(
                "nothing written: there is no plan for {} (indicators/<year>/){en}",
                tried.join(" or ")
            ),
        ));
    };
    let (zh, en) = match did_you_mean(item_id, plan.items.iter().map(|i| i.id.as_str())) {
        Some(g) => (
            format!("；是否应为 `{g}`？"),
            format!("; did you mean `{g}`?"),
        ),
        None => (String::new(), String::new()),
    };
    Err(refused(
        format!("未写入：计划中没有细项 `{item_id}`{zh}"),
        format!("nothing written: no item `{item_id}` in the plan{en}"),
    ))
}

/// The item's lead division, if `reporter` may add entries for it.
fn lead_division<'p>(plan: &'p Plan, item: &Item, reporter: &str) -> Result<&'p Division> {
    let id = &item.id;
    let Some(division) = plan.division(&item.lead) else {
        return Err(refused(
            format!("未写入：细项 {id} 的责任处无效"),
            format!("nothing written: item {id} has no valid lead"),
        ));
    };
    if plan.may_add(division, reporter) {
        return Ok(division);
    }
    let mut who: Vec<&str> = division.liaisons.iter().map(|p| p.name.as_str()).collect();
    who.extend(division.leader.iter().map(|p| p.name.as_str()));
    Err(refused(
        format!(
            "未写入：{reporter} 不能为{}报送（细项 {id} 的责任处）；可报送的人员：{}，以及办绩效办人员",
            division.name,
            who.join("、")
        ),
        format!(
            "nothing written: {reporter} may not report for {} (the lead of {id}); who may: {}, and the performance office's staff",
            division.id,
            who.join(", ")
        ),
    ))
}

/// The rules of a year's plan; `refuse_future` for the new record only.
fn rules_for<'a>(ctx: &'a Context, plan: &'a Plan, refuse_future: bool) -> rules::Rules<'a> {
    rules::Rules {
        plan,
        root: &ctx.ws.root,
        today: ctx.today,
        refuse_future,
        plan_complete: true,
        hand_on: true,
        warnings: true,
    }
}

/// The lead division's file as it stands: its bytes, its columns, and the dates of the item's
/// entries known by today. A file with errors refuses the entry.
struct LeadFile {
    old: Option<Vec<u8>>,
    columns: Vec<&'static str>,
    has_filed: bool,
    known_dates: Vec<NaiveDate>,
}

impl LeadFile {
    fn read(
        ctx: &Context,
        plan: &Plan,
        index: usize,
        division: &Division,
        rel: &str,
        target: &std::path::Path,
    ) -> Result<LeadFile> {
        let mut file = LeadFile {
            old: None,
            columns: COLUMNS.to_vec(),
            has_filed: true,
            known_dates: Vec::new(),
        };
        let bytes = match std::fs::read(target) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(file),
            Err(e) => bail!(EnvError::new(
                format!("无法读取 {rel}：{e}"),
                format!("cannot read {rel}: {e}")
            )),
        };
        let fix_first = || {
            refused(
                format!("未写入：{rel} 有错误，请先改正（记录不可删改；如需更正请追加新记录）"),
                format!("nothing written: {rel} has errors; fix them first"),
            )
        };
        let src = match Source::decode(rel, bytes.clone()) {
            Ok(s) => s,
            Err(d) => {
                print_diags(ctx, &[*d]);
                return Err(fix_first());
            }
        };
        let mut diags = Diagnostics::new();
        let mut history = rules::History::default();
        // Entries recorded after today are not errors of the file here: with `--today` in the
        // past they are simply not yet known, and they do not count for the report due now.
        let header = rules::scan_file(
            &rules_for(ctx, plan, false),
            &src,
            0,
            &division.id,
            &mut diags,
            &mut history,
            |i, e| {
                if i == index && e.known_on() <= ctx.today {
                    file.known_dates.push(e.date);
                }
            },
        );
        if diags.has_errors() {
            print_diags(ctx, &errors_of(diags));
            return Err(fix_first());
        }
        if let Some(h) = header {
            let mut cols: Vec<(usize, &'static str)> = h
                .pos
                .iter()
                .enumerate()
                .filter_map(|(c, p)| p.map(|p| (p, COLUMNS[c])))
                .collect();
            cols.sort();
            file.columns = cols.into_iter().map(|(_, c)| c).collect();
            file.has_filed = h.has(FILED);
        }
        file.old = Some(bytes);
        Ok(file)
    }

    /// The new record, CSV-encoded in the file's column order, `filed` today where the file has
    /// that column.
    fn record(
        &self,
        ctx: &Context,
        args: &ReportAddArgs,
        reporter: &str,
        date: NaiveDate,
        rel: &str,
    ) -> Result<String> {
        let value = if args.nil {
            String::new()
        } else {
            args.value.clone().unwrap_or_default()
        };
        let mut values = vec![
            ("date", date.to_string()),
            ("item", args.item.clone().unwrap_or_default()),
            ("value", value),
            ("note", args.note.clone().unwrap_or_default()),
            ("evidence", args.evidence.clone().unwrap_or_default()),
            ("reporter", reporter.to_string()),
        ];
        if self.has_filed {
            values.push(("filed", ctx.today.to_string()));
        }
        if let Some((k, _)) = values
            .iter()
            .find(|(k, v)| !v.is_empty() && !self.columns.contains(k))
        {
            return Err(refused(
                format!("未写入：{rel} 没有 `{k}` 列"),
                format!("nothing written: {rel} has no `{k}` column"),
            ));
        }
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let row: Vec<&str> = self
            .columns
            .iter()
            .map(|c| {
                values
                    .iter()
                    .find(|(k, _)| k == c)
                    .map_or("", |(_, v)| v.as_str())
            })
            .collect();
        w.write_record(&row)?;
        let mut s = String::from_utf8(w.into_inner()?)?;
        if s.ends_with('\n') {
            s.pop();
        }
        Ok(s)
    }
}

/// The item's entries in the files of its former leads (they still count).
fn former_entries(ctx: &Context, plan: &Plan, index: usize) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for former in &plan.items[index].former_leads {
        let rel = format!("reports/{}/{former}.csv", plan.year);
        // A missing file has no entries; anything else in its place is refused by `read_source`.
        if std::fs::symlink_metadata(ctx.ws.root.join(&rel)).is_err() {
            continue;
        }
        if let Ok(src) = read_source(&ctx.ws.root, &rel)? {
            let (mut sink, mut h) = (Diagnostics::new(), rules::History::default());
            rules::scan_file(
                &rules_for(ctx, plan, false),
                &src,
                1,
                former,
                &mut sink,
                &mut h,
                |i, e| {
                    if i == index {
                        out.push(e.to_entry());
                    }
                },
            );
        }
    }
    Ok(out)
}

/// The entry's date and the period it reports on (SPEC §5): `--date`; or `--period` (no coarser
/// than the item's cadence, begun, overlapping `[start, due]`), dated min(period end, due, today);
/// or the report due now: the last day of the item's most recent ended period when that period
/// has no known entry and its deadline has not passed, else today — refused after `due`, when an
/// entry dated today would never count.
fn entry_date(
    ctx: &Context,
    args: &ReportAddArgs,
    item: &Item,
    cal: &WorkCalendar,
    known: &[NaiveDate],
) -> Result<(NaiveDate, Period)> {
    let id = &item.id;
    if let Some(d) = args.date {
        return Ok((d, Period::containing(item.cadence, d)));
    }
    if let Some(p) = args.period.as_deref().and_then(Period::parse) {
        let label = p.label();
        if p.cadence.months() > item.cadence.months() {
            return Err(refused(
                format!(
                    "未写入：报告期 {label} 比细项 {id} 的报送频次（{}）更长",
                    item.cadence.label(Lang::Zh)
                ),
                format!(
                    "nothing written: period {label} is coarser than item {id}'s cadence ({})",
                    item.cadence.as_str()
                ),
            ));
        }
        if p.start > ctx.today {
            return Err(refused(
                format!("未写入：报告期 {label} 尚未开始"),
                format!("nothing written: period {label} has not begun"),
            ));
        }
        if p.start > item.due || p.end < item.start {
            let (s, u) = (item.start, item.due);
            return Err(refused(
                format!("未写入：报告期 {label} 不在细项 {id} 的考核期 {s} 至 {u} 内"),
                format!(
                    "nothing written: period {label} does not overlap item {id}'s span {s} … {u}"
                ),
            ));
        }
        // A finer period than the item's (a month of a quarterly item) reports on the item's
        // period holding its date: that is the period whose report it is, for the cards.
        let date = p.end.min(item.due).min(ctx.today);
        return Ok((date, Period::containing(item.cadence, date)));
    }
    let days = ctx.ws.settings.deadline_days(item.cadence);
    let due_now = Period::overlapping(item.cadence, item.start, item.due)
        .into_iter()
        .rfind(|p| p.end < ctx.today)
        .filter(|p| !known.iter().any(|d| p.contains(*d)) && p.deadline(cal, days) >= ctx.today);
    match due_now {
        Some(p) => Ok((p.end.min(item.due), p)),
        None if ctx.today > item.due => Err(refused(
            format!(
                "未写入：细项 {id} 已于 {} 到期，今天的记录不计入完成情况；补报到期前的进展请用 --date 或 --period",
                item.due
            ),
            format!(
                "nothing written: item {id} was due on {}, so an entry dated today would not count; to report progress made by then use --date or --period",
                item.due
            ),
        )),
        None => Ok((ctx.today, Period::containing(item.cadence, ctx.today))),
    }
}

/// The new record, checked: its warnings, the item's entries in the file with it (for the status
/// after it), and its line.
struct NewRecord {
    warnings: Vec<Diagnostic>,
    entries: Vec<(Entry, u32)>,
    line: usize,
}

/// Checks the file as it would be with the new record, with every rule.
fn check_new_record(
    ctx: &Context,
    plan: &Plan,
    index: usize,
    division: &Division,
    rel: &str,
    new_bytes: &[u8],
    record: &str,
) -> Result<NewRecord> {
    let new_src = Source::decode(rel, new_bytes.to_vec()).map_err(|d| {
        print_diags(ctx, &[*d]);
        refused(
            "未写入：新记录不是有效的 UTF-8 文本",
            "nothing written: the new entry is not valid UTF-8 text",
        )
    })?;
    let line =
        new_src.text.trim_end_matches(['\n', '\r']).lines().count() - record.lines().count() + 1;
    let (mut diags, mut history, mut entries) =
        (Diagnostics::new(), rules::History::default(), Vec::new());
    rules::scan_file(
        &rules_for(ctx, plan, true),
        &new_src,
        0,
        &division.id,
        &mut diags,
        &mut history,
        |i, e| {
            if i == index {
                entries.push((e.to_entry(), 0));
            }
        },
    );
    diags.extend(rules::judge_history(
        plan,
        history,
        std::slice::from_ref(&new_src),
    ));
    // The new record's problems, named as such in their message: its line is not in the file
    // yet. The place stays `path:line:column` (SPEC §5.2), the line the entry would take.
    let mine: Vec<Diagnostic> = diags
        .sorted()
        .into_iter()
        .filter(|d| d.line().is_some_and(|l| l >= line))
        .map(|mut d| {
            d.file = rel.to_string();
            d.message = Text::new(
                format!("新记录：{}", d.message.zh),
                format!("new entry: {}", d.message.en),
            );
            // Appending an exact copy of an entry cannot be undone (entries are never removed)
            // and a `sum` item would count it twice: refuse it here, where it is still a choice.
            if d.code == "duplicate-entry" {
                d.severity = Severity::Error;
                d.help = Some(Text::new(
                    "同样的记录已经报送过；记录写入后不可删除，如确需再报，请在说明中写明缘由",
                    "the same entry is already there; entries cannot be removed once written, so if you really mean to report it again, say why in the note",
                ));
            }
            d
        })
        .collect();
    if mine.iter().any(|d| d.severity == Severity::Error) {
        print_diags(ctx, &mine);
        return Err(refused(
            "未写入：新记录有错误，见上",
            "nothing written: the new entry has errors (above)",
        ));
    }
    Ok(NewRecord {
        warnings: mine,
        entries,
        line,
    })
}

/// Where the entry went, the period it reports on, and the item's status after it.
#[allow(clippy::too_many_arguments)]
fn print_outcome(
    ctx: &Context,
    plan: &Plan,
    index: usize,
    cal: &WorkCalendar,
    entries: &[(Entry, u32)],
    rel: &str,
    line: usize,
    period: Period,
) -> Result<()> {
    let item = &plan.items[index];
    let dates = ctx.dates(plan.year, None)?;
    let mut state = ItemState::new(item, dates, &ctx.ws.settings, cal);
    for (e, f) in entries {
        state.add(&e.view(), *f);
    }
    let s = evaluate(index, item, &state, dates, &ctx.ws.settings);
    let (id, name, label) = (&item.id, &item.name, period.label());
    let (value, target) = (value_text(plan, &s), target_text(plan, index));
    let lang = ctx.lang;
    let (status, light) = (status_word(s.status, lang), light_word(s.light, lang));
    let text = match lang {
        Lang::Zh => format!(
            "已写入 {rel}:{line}（报告期 {label}，{}）\n{id} {name}：当前值 {value}，目标 {target}，{status}（{light}）\n",
            item.cadence.label(Lang::Zh)
        ),
        Lang::En => format!(
            "wrote {rel}:{line} (period {label}, {})\n{id} {name}: value {value}, target {target}, {status} ({light})\n",
            item.cadence.as_str()
        ),
    };
    std::io::stdout()
        .lock()
        .write_all(clean_lines(&text).as_bytes())?;
    Ok(())
}

/// `clean` line by line, keeping the line ends.
fn clean_lines(text: &str) -> String {
    text.lines().map(|l| clean(l) + "\n").collect()
}
