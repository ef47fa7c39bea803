//! The whole command-line surface, in one place (clap derive).

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::render::diagnostics::Format as DiagFormat;

#[derive(Debug, Parser)]
#[command(
    name = "perf",
    version,
    about = "Yearly government performance evaluation (政府绩效评估) kept as plain files in git",
    long_about = "perf validates an office's evaluation plan (TOML) and progress entries (CSV), computes every item's completion status, and writes the responsibility matrix, the monthly inspection report and the year-end summary as Markdown.",
    after_help = "Examples:\n  perf check\n  perf status --as-of 2014-06-30\n  perf summary --year 2014 -o 2014-summary.md"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The workspace root (default: the nearest folder upwards holding perf.toml)
    #[arg(long, global = true, env = "PERF_ROOT", value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Take this date as today (YYYY-MM-DD), to reproduce an earlier day
    #[arg(long, global = true, env = "PERF_TODAY", value_name = "DATE", value_parser = date_arg)]
    pub today: Option<NaiveDate>,
    /// Language of messages, tables and documents (default: perf.toml's lang)
    #[arg(long, global = true, value_enum)]
    pub lang: Option<LangArg>,
    /// When to colour the output (NO_COLOR is honoured)
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    /// Print only what is asked for: no summaries or notes on stderr
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    Zh,
    En,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate every file of the workspace and print every problem
    #[command(
        after_help = "Examples:\n  perf check\n  perf check --year 2014 --format json\n  perf check --strict --format github"
    )]
    Check(CheckArgs),
    /// Show every item's status as of a date
    #[command(
        after_help = "Examples:\n  perf status --as-of 2014-06-30\n  perf status --division secretariat --format json\n  perf status --fail-on binding"
    )]
    Status(StatusArgs),
    /// Write the year-end evaluation report (年度绩效评估报告)
    #[command(
        after_help = "Examples:\n  perf summary --year 2014\n  perf summary --year 2014 --division secretariat -o secretariat.md\n  perf summary --as-of 2014-09-30"
    )]
    Summary(SummaryArgs),
    /// One row per item with its computed status, for spreadsheets and BI tools
    #[command(
        after_help = "Examples:\n  perf export --format csv --bom -o 2014.csv\n  perf export --as-of 2014-06-30 --format json"
    )]
    Export(ExportArgs),
    /// Write the indicator system and responsibility table (指标体系及职责分工明细表)
    #[command(
        after_help = "Examples:\n  perf matrix --year 2014\n  perf matrix --lang en -o matrix.md"
    )]
    Matrix(MatrixArgs),
    /// Write the monthly inspection report for the Party group (月度督查)
    #[command(
        after_help = "Examples:\n  perf monthly --month 2014-06\n  perf monthly --month 2014-06 -o 2014-06.md"
    )]
    Monthly(MonthlyArgs),
    /// Add and list progress entries (for liaisons)
    #[command(
        subcommand,
        after_help = "Examples:\n  perf report add E1.1 4 --note \"办结4件\" --reporter 林晓燕\n  perf report list --division secretariat"
    )]
    Report(ReportCommand),
    /// Create a new workspace that passes `perf check` at once
    #[command(
        after_help = "Examples:\n  perf init\n  perf init jixiao --year 2015 --office 深圳市人民政府口岸办公室"
    )]
    Init(InitArgs),
    /// Print a CODEOWNERS file: divisions own their progress files, the performance office the plan
    #[command(after_help = "Examples:\n  perf codeowners > .github/CODEOWNERS")]
    Codeowners(CodeownersArgs),
    /// Convert GB18030/GBK files (Excel on Chinese Windows) to UTF-8, and CR line ends (Excel for Mac) to LF, in place
    #[command(after_help = "Examples:\n  perf fix-encoding reports/2014/secretariat.csv")]
    FixEncoding(FixEncodingArgs),
    /// Print shell completions
    #[command(
        after_help = "Examples:\n  perf completions bash > ~/.local/share/bash-completion/completions/perf\n  perf completions zsh > ~/.zfunc/_perf"
    )]
    Completions(CompletionsArgs),
    /// Print the man page (roff)
    #[command(after_help = "Examples:\n  perf man > perf.1 && man ./perf.1")]
    Man,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Append one progress entry to the lead division's file
    #[command(
        after_help = "Examples:\n  perf report add E1.1 4 --note \"办结4件\" --reporter 林晓燕\n  perf report add Q1.2 --nil --note \"本月无差错（零报告）\" --period 2014-05\n  perf report add X2.1 -1.3 --date 2014-03-31 --evidence docs/2014/X2.1-q1.pdf"
    )]
    Add(ReportAddArgs),
    /// List progress entries
    #[command(
        after_help = "Examples:\n  perf report list --division secretariat\n  perf report list --item E1.1 --from 2014-04-01 --to 2014-06-30 --format csv"
    )]
    List(ReportListArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Check only this year
    #[arg(long)]
    pub year: Option<i32>,
    /// Output format
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    pub format: DiagFormat,
    /// Fail on warnings too
    #[arg(long)]
    pub strict: bool,
    /// Also fail when a progress file's records are not those at the merge base with REV followed
    /// by new ones (entries are never edited or removed)
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    Table,
    Markdown,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Behind,
    Missed,
    Binding,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[arg(long)]
    pub year: Option<i32>,
    /// Evaluate as of this date (sets D = K; default: today, capped at 31 December)
    #[arg(long, value_name = "DATE", value_parser = date_arg)]
    pub as_of: Option<NaiveDate>,
    /// Keep the items this division leads
    #[arg(long)]
    pub division: Option<String>,
    /// Keep the items of this category
    #[arg(long)]
    pub category: Option<String>,
    #[arg(long, value_enum, default_value_t = StatusFormat::Table)]
    pub format: StatusFormat,
    /// Exit 1 when any listed item is in this state
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    #[arg(long)]
    pub year: Option<i32>,
    /// Preview as of this date
    #[arg(long, value_name = "DATE", value_parser = date_arg)]
    pub as_of: Option<NaiveDate>,
    /// Write one division's annual report
    #[arg(long)]
    pub division: Option<String>,
    /// Write to this file (atomically) instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long)]
    pub year: Option<i32>,
    /// Evaluate as of this date
    #[arg(long, value_name = "DATE", value_parser = date_arg)]
    pub as_of: Option<NaiveDate>,
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    pub format: ExportFormat,
    /// Start CSV output with a byte-order mark, so Excel reads Chinese text correctly
    #[arg(long)]
    pub bom: bool,
    /// Write to this file (atomically) instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MatrixArgs {
    #[arg(long)]
    pub year: Option<i32>,
    /// Write to this file (atomically) instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MonthlyArgs {
    /// The month to inspect, like 2014-06
    #[arg(long, value_name = "YYYY-MM")]
    pub month: String,
    /// Write to this file (atomically) instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ReportAddArgs {
    /// The item's id, e.g. E1.1
    pub item: Option<String>,
    /// The value (a plain number; negative numbers are values, not options)
    #[arg(allow_negative_numbers = true)]
    pub value: Option<String>,
    /// A nil return (零报告): nothing new this period; needs --note
    #[arg(long)]
    pub nil: bool,
    /// What happened, in a sentence
    #[arg(long)]
    pub note: Option<String>,
    /// The day the figures hold for (default: the report due now, else today)
    #[arg(long, value_name = "DATE", conflicts_with = "period", value_parser = date_arg)]
    pub date: Option<NaiveDate>,
    /// The period reported on: 2014-05, 2014-Q2, 2014-H1 or 2014
    #[arg(long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// A URL or a path inside the workspace
    #[arg(long)]
    pub evidence: Option<String>,
    /// Who reports (default: PERF_REPORTER, else git config user.name)
    #[arg(long)]
    pub reporter: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct ReportListArgs {
    #[arg(long)]
    pub year: Option<i32>,
    /// Only this division's file
    #[arg(long)]
    pub division: Option<String>,
    /// Only this item's entries
    #[arg(long)]
    pub item: Option<String>,
    /// Only entries dated on or after this day
    #[arg(long, value_name = "DATE", value_parser = date_arg)]
    pub from: Option<NaiveDate>,
    /// Only entries dated on or before this day
    #[arg(long, value_name = "DATE", value_parser = date_arg)]
    pub to: Option<NaiveDate>,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Start CSV output with a byte-order mark, so Excel reads Chinese text correctly
    #[arg(long)]
    pub bom: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to create the workspace (default: the current folder)
    pub dir: Option<PathBuf>,
    /// The plan's year (default: this year)
    #[arg(long)]
    pub year: Option<i32>,
    /// The office's full name
    #[arg(long)]
    pub office: Option<String>,
}

#[derive(Debug, Args)]
pub struct CodeownersArgs {
    /// Only this year's divisions
    #[arg(long)]
    pub year: Option<i32>,
}

#[derive(Debug, Args)]
pub struct FixEncodingArgs {
    /// The files to convert
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// A date given as a flag: `YYYY-MM-DD` (chrono's reading, which also takes `2014-7-1`). The
/// error says how to write it in both languages: flags are read before the language is known.
fn date_arg(s: &str) -> Result<NaiveDate, String> {
    use crate::check::entries::{date_help, excel_date};
    s.parse::<NaiveDate>().map_err(|_| match excel_date(s) {
        Some(d) => format!("应写作 {d} (write it as {d}: YYYY-MM-DD)"),
        None => {
            let help = date_help(s);
            format!("{} ({})", help.zh, help.en)
        }
    })
}
