//! One file per command; this file holds what they share: the context (workspace, language,
//! today), the exit codes, and the dates of SPEC §5.

pub mod check;
pub mod codeowners;
pub mod export;
pub mod fix_encoding;
pub mod init;
pub mod matrix;
pub mod monthly;
pub mod prompt;
pub mod report_add;
pub mod report_list;
pub mod status;
pub mod summary;

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{Result, bail};
use chrono::{Datelike, NaiveDate};

use crate::check::{ScanOptions, YearScan, scan_year};
use crate::cli::{Cli, ColorArg, Command, Global, LangArg, ReportCommand};
use crate::diag::Lang;
use crate::render::diagnostics::{self, Format};
use crate::render::terminal;
use crate::status::Dates;
use crate::workspace::{EnvError, Workspace};

/// Exit codes of SPEC §5.1, in one place.
pub const SUCCESS: i32 = 0;
/// The data has errors, a refused `report add`, or `--fail-on` triggered.
pub const DATA_ERROR: i32 = 1;
/// Usage or environment errors.
pub const USAGE_ERROR: i32 = 2;

/// A refused operation (`report add`): says why and what to do; exit code 1, nothing written.
#[derive(Debug)]
pub struct Refused(pub crate::diag::Text);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.en)
    }
}

impl std::error::Error for Refused {}

/// What every command gets: the workspace, the language, today, and how to print.
pub struct Context {
    pub ws: Workspace,
    pub lang: Lang,
    pub today: NaiveDate,
    pub color_stdout: bool,
    pub color_stderr: bool,
    pub quiet: bool,
}

impl Context {
    pub fn new(g: &Global) -> Result<Context> {
        let cwd = std::env::current_dir()?;
        let root = Workspace::find(g.root.as_deref(), &cwd)?;
        let ws = Workspace::open(root)?;
        let lang = match g.lang {
            Some(LangArg::Zh) => Lang::Zh,
            Some(LangArg::En) => Lang::En,
            None => ws.settings.lang,
        };
        let today = match g.today {
            Some(d) => d,
            None => {
                let tz: chrono_tz::Tz = ws
                    .settings
                    .timezone
                    .parse()
                    .unwrap_or(chrono_tz::Asia::Shanghai);
                chrono::Utc::now().with_timezone(&tz).date_naive()
            }
        };
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = |terminal: bool| match g.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => terminal && !no_color,
        };
        Ok(Context {
            ws,
            lang,
            today,
            color_stdout: color(std::io::stdout().is_terminal()),
            color_stderr: color(std::io::stderr().is_terminal()),
            quiet: g.quiet,
        })
    }

    /// The year of a command: `--year`, else perf.toml's, else the newest plan; it must have a plan.
    pub fn year(&self, flag: Option<i32>) -> Result<i32> {
        let year = self.ws.default_year(flag)?;
        if !self
            .ws
            .root
            .join("indicators")
            .join(year.to_string())
            .is_dir()
        {
            bail!(EnvError::new(
                format!("{year} 年没有计划：indicators/{year}/ 不存在"),
                format!("no plan for {year}: indicators/{year}/ does not exist")
            ));
        }
        Ok(year)
    }

    /// D and K of SPEC §5 for `status`, `export` and `summary`.
    pub fn dates(&self, year: i32, as_of: Option<NaiveDate>) -> Result<Dates> {
        let dec31 = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(self.today);
        let mar31 = NaiveDate::from_ymd_opt(year + 1, 3, 31).unwrap_or(self.today);
        match as_of {
            Some(x) => {
                let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(x);
                if x < jan1 || x > mar31 {
                    bail!(EnvError::new(
                        format!(
                            "--as-of {x} 不在 {jan1} 至 {mar31} 之间：{year} 年度的评估从 1 月 1 日到次年 3 月 31 日"
                        ),
                        format!(
                            "--as-of {x} is outside {jan1} … {mar31}: the evaluation of {year} runs from 1 January to 31 March of the next year"
                        )
                    ));
                }
                if x > self.today {
                    bail!(EnvError::new(
                        format!("--as-of {x} 晚于今天（{}）", self.today),
                        format!("--as-of {x} is after today ({})", self.today)
                    ));
                }
                Ok(Dates::at(x))
            }
            None => Ok(Dates {
                as_of: self.today.min(dec31),
                known: self.today.min(mar31),
            }),
        }
    }

    /// Scans a year for a command that computes statuses; `Err(exit code)` after printing the
    /// errors when the data has any.
    pub fn scan_for_status(
        &self,
        year: i32,
        dates: &[Dates],
    ) -> Result<std::result::Result<YearScan, i32>> {
        let opts = ScanOptions {
            today: self.today,
            refuse_future: false,
            warnings: false,
            keep_folds: false,
        };
        let mut scan = scan_year(&self.ws, year, opts, dates)?;
        // The places of the plan's values serve only its diagnostics: freed on another thread
        // while the statuses are put to use.
        free_aside(scan.plan.take_places());
        let mut diags = self.ws.settings_diags.clone();
        diags.extend(std::mem::take(&mut scan.diags));
        if diags.has_errors() {
            let errors: Vec<_> = diags
                .sorted()
                .into_iter()
                .filter(|d| d.severity == crate::diag::Severity::Error)
                .collect();
            let text = diagnostics::render(&errors, Format::Human, self.lang, self.color_stderr);
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes());
            let _ = writeln!(
                err,
                "{}",
                match self.lang {
                    Lang::Zh =>
                        "数据有错误，未计算完成情况；请先改正上述错误（`perf check` 可列出全部问题）",
                    Lang::En =>
                        "the data has errors, so no status was computed; fix them first (`perf check` lists every problem)",
                }
            );
            return Ok(Err(DATA_ERROR));
        }
        Ok(Ok(scan))
    }
}

/// Runs the parsed command line; returns the exit code.
pub fn run(cli: Cli) -> Result<i32> {
    let result = (|| {
        // Commands that need no workspace.
        match &cli.command {
            Command::Init(a) => {
                let today = cli
                    .global
                    .today
                    .unwrap_or_else(|| chrono::Local::now().date_naive());
                return init::run(a, today, message_lang(&cli.global));
            }
            Command::FixEncoding(a) => return fix_encoding::run(a, message_lang(&cli.global)),
            Command::Completions(a) => {
                let mut cmd = <Cli as clap::CommandFactory>::command();
                let mut buf = Vec::new();
                clap_complete::generate(a.shell, &mut cmd, "perf", &mut buf);
                std::io::stdout().lock().write_all(&buf)?;
                return Ok(SUCCESS);
            }
            Command::Man => {
                let cmd = <Cli as clap::CommandFactory>::command();
                let mut buf = Vec::new();
                clap_mangen::Man::new(cmd).render(&mut buf)?;
                std::io::stdout().lock().write_all(&buf)?;
                return Ok(SUCCESS);
            }
            _ => {}
        }
        let ctx = Context::new(&cli.global)?;
        match &cli.command {
            Command::Check(a) => check::run(&ctx, a),
            Command::Status(a) => status::run(&ctx, a),
            Command::Summary(a) => summary::run(&ctx, a),
            Command::Export(a) => export::run(&ctx, a),
            Command::Matrix(a) => matrix::run(&ctx, a),
            Command::Monthly(a) => monthly::run(&ctx, a),
            Command::Report(ReportCommand::Add(a)) => report_add::run(&ctx, a),
            Command::Report(ReportCommand::List(a)) => report_list::run(&ctx, a),
            Command::Codeowners(a) => codeowners::run(&ctx, a),
            Command::Init(_) | Command::FixEncoding(_) | Command::Completions(_) | Command::Man => {
                Ok(SUCCESS)
            }
        }
    })();
    match result {
        Ok(code) => Ok(code),
        Err(e) if e.downcast_ref::<EnvError>().is_some() => {
            let text = e.downcast_ref::<EnvError>().map_or_else(
                || e.to_string(),
                |env| env.0.get(message_lang(&cli.global)).to_string(),
            );
            // A path or a name in the message may come from the workspace.
            let _ = writeln!(std::io::stderr(), "perf: {}", terminal::clean(&text));
            Ok(USAGE_ERROR)
        }
        Err(e) if e.downcast_ref::<Refused>().is_some() => {
            let text = e.downcast_ref::<Refused>().map_or_else(
                || e.to_string(),
                |r| r.0.get(message_lang(&cli.global)).to_string(),
            );
            let _ = writeln!(std::io::stderr(), "perf: {}", terminal::clean(&text));
            Ok(DATA_ERROR)
        }
        Err(e)
            if e.downcast_ref::<crate::render::documents::TemplateError>()
                .is_some() =>
        {
            let text = e
                .downcast_ref::<crate::render::documents::TemplateError>()
                .map_or_else(
                    || e.to_string(),
                    |t| t.0.get(message_lang(&cli.global)).to_string(),
                );
            let _ = writeln!(std::io::stderr(), "perf: {}", terminal::clean(&text));
            Ok(DATA_ERROR)
        }
        Err(e) => Err(e),
    }
}

/// The language of messages when no context could be made: `--lang`, else the workspace's
/// `perf.toml` where one can be read, else Chinese.
pub fn message_lang(g: &Global) -> Lang {
    match g.lang {
        Some(LangArg::Zh) => Lang::Zh,
        Some(LangArg::En) => Lang::En,
        None => std::env::current_dir()
            .ok()
            .and_then(|cwd| Workspace::find(g.root.as_deref(), &cwd).ok())
            .and_then(|root| Workspace::open(root).ok())
            .map_or(Lang::Zh, |ws| ws.settings.lang),
    }
}

/// Whether an error is a closed pipe (`perf status | head`), which is not a failure.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Writes a document to stdout, or atomically to `path` (`append::write_atomically`).
pub fn write_output(path: Option<&Path>, text: impl AsRef<[u8]>) -> Result<()> {
    let text = text.as_ref();
    match path {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text)?;
            out.flush()?;
        }
        Some(p) => crate::workspace::append::write_atomically(p, text)?,
    }
    Ok(())
}

/// Leaves a command's large values (a year's plan, its statuses, a document) to the end of the
/// process instead of freeing them one allocation at a time: each command is the last thing the
/// process does, and at 10,000 items the freeing took 10 million instructions of `perf summary`
/// (a few milliseconds), which the operating system does at exit at no cost. Only for values
/// whose drop does nothing but free memory.
pub(crate) fn free_at_exit<T>(value: T) {
    std::mem::forget(value);
}

/// Frees a large value on another thread, so that freeing its many allocations one by one
/// overlaps the work that follows; the memory comes back to the allocator as it is freed, for
/// that work to reuse. When no thread can be started, the value is freed here (`spawn` drops the
/// closure that holds it). Only for values whose drop does nothing but free memory.
pub(crate) fn free_aside<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new().spawn(move || drop(value));
}

/// The year of a date, for messages.
pub fn year_of(d: NaiveDate) -> i32 {
    d.year()
}
