//! Finding the workspace and reading its files (SPEC §1): the root, `perf.toml`, the years, each
//! year's plan files and progress files.

pub mod append;
pub mod entries;
pub mod git;
pub mod plan;
pub mod settings;
pub mod source;
pub mod toml_reader;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use crate::diag::{Diagnostic, Diagnostics, Place, Text};
use crate::model::{Calendar, Plan, Settings};
use source::Source;

/// A usage or environment problem (exit code 2), as opposed to bad data (exit code 1), with its
/// message in both languages (shown in English where no language is known).
#[derive(Debug)]
pub struct EnvError(pub Text);

impl EnvError {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> EnvError {
        EnvError(Text::new(zh, en))
    }
}

impl std::fmt::Display for EnvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.en)
    }
}

impl std::error::Error for EnvError {}

/// The workspace root and its settings.
#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub settings: Settings,
    /// Problems of `perf.toml` itself.
    pub settings_diags: Diagnostics,
}

/// One year's plan with the problems found reading it.
pub struct LoadedPlan {
    pub plan: Plan,
    pub diags: Diagnostics,
    /// Whether every plan file could be decoded and parsed.
    pub complete: bool,
}

/// A progress file of a year: its path relative to the root and its division id.
#[derive(Debug, Clone)]
pub struct ReportFile {
    pub rel: String,
    pub path: PathBuf,
    pub division: String,
}

impl Workspace {
    /// Finds the root: `explicit` (from `--root`/`PERF_ROOT`), else the nearest folder upwards from
    /// `cwd` that holds `perf.toml`.
    pub fn find(explicit: Option<&Path>, cwd: &Path) -> Result<PathBuf> {
        if let Some(root) = explicit {
            if root.join("perf.toml").is_file() {
                return Ok(root.to_path_buf());
            }
            return Err(EnvError::new(format!("{} 中没有 perf.toml，不是 perf 工作区（可用 `perf init {}` 创建）",
                root.display(),
                root.display()), format!("{} holds no perf.toml: it is not a perf workspace (create one with `perf init {}`)",
                root.display(),
                root.display()))
            .into());
        }
        let mut dir = Some(cwd);
        while let Some(d) = dir {
            if d.join("perf.toml").is_file() {
                return Ok(d.to_path_buf());
            }
            dir = d.parent();
        }
        Err(EnvError::new(
            "当前目录及其上级目录中都没有 perf.toml：请运行 `perf init` 创建工作区，或用 `--root 目录`（或环境变量 PERF_ROOT）指定",
            "no perf.toml in this folder or any above it: run `perf init` to create a workspace, or name one with `--root DIR` (or PERF_ROOT)",
        )
        .into())
    }

    pub fn open(root: PathBuf) -> Result<Workspace> {
        let mut settings_diags = Diagnostics::new();
        let settings = match read_source(&root, "perf.toml")? {
            Ok(src) => settings::read(&Arc::new(src), &mut settings_diags),
            Err(d) => {
                settings_diags.push(*d);
                Settings::default()
            }
        };
        Ok(Workspace {
            root,
            settings,
            settings_diags,
        })
    }

    /// Years that have a plan folder, ascending.
    pub fn plan_years(&self) -> Result<Vec<i32>> {
        year_dirs(&self.root.join("indicators"))
    }

    /// Years that have a reports folder, ascending.
    pub fn report_years(&self) -> Result<Vec<i32>> {
        year_dirs(&self.root.join("reports"))
    }

    /// The year a command works on: `--year`, else `perf.toml`'s `year`, else the newest plan.
    pub fn default_year(&self, flag: Option<i32>) -> Result<i32> {
        if let Some(y) = flag.or(self.settings.year) {
            return Ok(y);
        }
        match self.plan_years()?.last() {
            Some(y) => Ok(*y),
            None => bail!(EnvError::new(
                "没有找到年度计划：indicators/<年度>/ 不存在；请创建它，或运行 `perf init`",
                "no plan found: indicators/<year>/ does not exist; create one or run `perf init`"
            )),
        }
    }

    /// Reads and merges the plan of `year`. The files' texts are shared with the plan, whose
    /// `Locs` point into them, until `Plan::take_places` (which the status commands call).
    pub fn load_plan(&self, year: i32) -> Result<LoadedPlan> {
        let mut diags = Diagnostics::new();
        let (sources, decoded) = self.plan_sources(year, &mut diags)?;
        let (plan, parsed) = plan::read(year, &sources, &self.settings, &mut diags);
        Ok(LoadedPlan {
            plan,
            diags,
            complete: decoded && parsed,
        })
    }

    /// The calendar of `year`'s plan, as `load_plan` would read it, without reading the rest of
    /// the plan (nor reporting its problems).
    pub fn load_calendar(&self, year: i32) -> Result<Option<Calendar>> {
        let (sources, _) = self.plan_sources(year, &mut Diagnostics::new())?;
        Ok(plan::read_calendar(year, &sources))
    }

    /// The plan files of `year` in name order, and whether every one could be decoded (the
    /// problem of each one that could not goes to `diags`).
    fn plan_sources(&self, year: i32, diags: &mut Diagnostics) -> Result<(Vec<Arc<Source>>, bool)> {
        let mut sources = Vec::new();
        let mut decoded = true;
        for name in list_files(&self.root, &format!("indicators/{year}"), ".toml")? {
            let rel = format!("indicators/{year}/{name}");
            match read_source_into(&self.root, &rel, Vec::new())? {
                Ok(src) => sources.push(Arc::new(src)),
                Err(d) => {
                    decoded = false;
                    diags.push(*d);
                }
            }
        }
        Ok((sources, decoded))
    }

    /// The progress files of `year`, in name order.
    pub fn report_files(&self, year: i32) -> Result<Vec<ReportFile>> {
        let dir = self.root.join("reports").join(year.to_string());
        Ok(list_files(&self.root, &format!("reports/{year}"), ".csv")?
            .into_iter()
            .map(|name| ReportFile {
                rel: format!("reports/{year}/{name}"),
                path: dir.join(&name),
                // Only the last `.csv`: `a.csv.csv` (a name Windows shows as `a.csv`) is not
                // division `a`'s file.
                division: name.strip_suffix(".csv").unwrap_or(&name).to_string(),
            })
            .collect())
    }
}

/// Reads a file of the workspace as text: `Err(diagnostic)` when it is not UTF-8, an error when it
/// cannot be read at all or is not a regular file inside the workspace (`guard_file`).
pub fn read_source(root: &Path, rel: &str) -> Result<Result<Source, Box<Diagnostic>>> {
    guard_file(root, rel)?;
    read_source_into(root, rel, Vec::new())
}

/// `read_source` of a file that `plan_sources` or `report_files` listed, which checked it as it
/// listed it (`list_files`), into a buffer that a previous `Source` gave back
/// (`Source::into_bytes`), so that reading many files does not ask the system for fresh memory
/// for each. (Asking again here, once per file, cost `check` 2 ms at a million entries.)
pub fn read_source_into(
    root: &Path,
    rel: &str,
    mut buffer: Vec<u8>,
) -> Result<Result<Source, Box<Diagnostic>>> {
    use std::io::Read;
    buffer.clear();
    fs::File::open(root.join(rel))
        .and_then(|mut f| {
            let size = f.metadata().map_or(0, |m| m.len());
            buffer.reserve(usize::try_from(size).unwrap_or(0));
            f.read_to_end(&mut buffer)
        })
        .map_err(|e| {
            EnvError::new(
                format!("无法读取 {rel}：{e}"),
                format!("cannot read {rel}: {e}"),
            )
        })?;
    Ok(Source::decode(rel, buffer))
}

/// Refuses to read `rel` unless it is a regular file inside the workspace (docs/security.md):
/// what `perf` reads ends in its messages, and so in CI logs, and a symbolic link committed to the
/// repository may lead anywhere (`/proc/self/environ`, `/dev/zero`, a colleague's home). A link
/// that stays inside is followed. One `lstat` for a plain file; the links are resolved.
pub fn guard_file(root: &Path, rel: &str) -> Result<()> {
    let path = root.join(rel);
    let Ok(meta) = fs::symlink_metadata(&path) else {
        // Whatever is wrong, opening it says so.
        return Ok(());
    };
    let meta = if meta.file_type().is_symlink() {
        guard_inside(root, &path, rel)?;
        fs::metadata(&path).unwrap_or(meta)
    } else {
        meta
    };
    if meta.is_dir() {
        return Err(EnvError::new(
            format!("{rel} 是文件夹，不是文件：请改名或移走"),
            format!("{rel} is a folder, not a file: rename it or move it away"),
        )
        .into());
    }
    if !meta.is_file() {
        return Err(EnvError::new(
            format!("{rel} 不是普通文件（是设备、管道或套接字）：perf 不读取它"),
            format!(
                "{rel} is not a regular file (a device, a pipe or a socket): perf does not read it"
            ),
        )
        .into());
    }
    Ok(())
}

/// `guard_file`, and the folders on the way checked too: for a file read on its own (a template,
/// `CODEOWNERS`), not found by listing a folder already checked.
pub fn guard_file_and_folders(root: &Path, rel: &str) -> Result<()> {
    guard_links(root, rel)?;
    guard_file(root, rel)
}

/// Refuses `rel` when a folder or file on its way from the root is a symbolic link that leads
/// outside the workspace. Only a link is resolved (`fs::canonicalize`, which some Windows volumes
/// cannot do for a plain folder): one `lstat` per part of the path otherwise.
fn guard_links(root: &Path, rel: &str) -> Result<()> {
    let mut path = root.to_path_buf();
    for part in Path::new(rel).components() {
        path.push(part);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                return guard_inside(root, &root.join(rel), rel);
            }
            Ok(_) => {}
            // Missing: nothing further to follow.
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

/// Refuses a path of the workspace (a file, or a folder to list) that resolves outside it.
fn guard_inside(root: &Path, path: &Path, rel: &str) -> Result<()> {
    let real = fs::canonicalize(path).map_err(|e| {
        EnvError::new(
            format!("{rel} 是无法解析的符号链接：{e}"),
            format!("{rel} is a symbolic link that cannot be followed: {e}"),
        )
    })?;
    let root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if !real.starts_with(&root) {
        return Err(EnvError::new(
            format!(
                "{rel} 经符号链接指向工作区之外的 {}：perf 不读取工作区之外的文件，请删除该链接",
                real.display()
            ),
            format!(
                "{rel} leads to {}, outside the workspace, through a symbolic link: perf reads nothing outside the workspace; remove the link",
                real.display()
            ),
        )
        .into());
    }
    Ok(())
}

fn year_dirs(dir: &Path) -> Result<Vec<i32>> {
    let mut years = Vec::new();
    let Ok(rd) = fs::read_dir(dir) else {
        return Ok(years);
    };
    for entry in rd {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.len() == 4 && name.bytes().all(|b| b.is_ascii_digit()) && entry.path().is_dir() {
            years.push(name.parse().unwrap_or_default());
        }
    }
    years.sort_unstable();
    Ok(years)
}

/// Files directly in `dir` (`rel` under `root`) ending in `ext`, not starting with `.`, in byte
/// order of their names. A folder that leads outside the workspace is refused (`guard_links`),
/// and so is an entry with such a name that is not a regular file inside the workspace
/// (`guard_file`, asked only of links: the listing tells the rest without asking the system).
fn list_files(root: &Path, rel: &str, ext: &str) -> Result<Vec<String>> {
    let dir = root.join(rel);
    let dir = dir.as_path();
    let mut names = Vec::new();
    guard_links(root, rel)?;
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(names),
        Err(e) => {
            return Err(EnvError::new(
                format!("无法列出 {}：{e}", dir.display()),
                format!("cannot list {}: {e}", dir.display()),
            )
            .into());
        }
    };
    for entry in rd {
        let entry = entry.map_err(|e| {
            EnvError::new(
                format!("无法列出 {}：{e}", dir.display()),
                format!("cannot list {}: {e}", dir.display()),
            )
        })?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') || !name.ends_with(ext) {
            continue;
        }
        match entry.file_type() {
            Ok(t) if t.is_file() => {}
            _ => guard_file(root, &format!("{rel}/{name}"))?,
        }
        names.push(name.to_string());
    }
    names.sort_unstable();
    Ok(names)
}

/// `perf.toml`'s `year` names a year that has no plan: at the value, where `perf.toml` can be read.
pub fn settings_year_without_plan(root: &Path, year: i32, plans: &[i32]) -> Diagnostic {
    let place = read_source(root, "perf.toml")
        .ok()
        .and_then(Result::ok)
        .and_then(|src| {
            let at = src.text.lines().position(|l| {
                l.strip_prefix("year")
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })?;
            let line = src.line_place(at + 1);
            // The value: after `year`, the `=` and spaces (ASCII, so bytes are characters), up to
            // a space or a comment.
            let eq = line.snippet.find('=')?;
            let after = &line.snippet[eq + 1..];
            let value = after.trim_start();
            let width = value
                .split(|c: char| c.is_whitespace() || c == '#')
                .next()
                .map_or(1, |v| v.chars().count().max(1));
            Some(Place {
                column: eq + 2 + (after.len() - value.len()),
                width,
                ..line
            })
        });
    let have = plans
        .iter()
        .map(|y| y.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Diagnostic::error(
        "invalid-value",
        "perf.toml",
        place,
        Text::new(
            format!("`year = {year}` 没有对应的计划：indicators/{year:04}/ 不存在，状态类命令将无法运行"),
            format!("`year = {year}` has no plan: indicators/{year:04}/ does not exist, so the status commands cannot run"),
        ),
    )
    .with_help(if have.is_empty() {
        Text::new(
            format!("先在 indicators/{year:04}/ 中编制该年度的指标体系"),
            format!("write that year's plan in indicators/{year:04}/ first"),
        )
    } else {
        Text::new(
            format!("先在 indicators/{year:04}/ 中编制该年度的指标体系，或把 year 改为已有计划的年份：{have}"),
            format!("write that year's plan in indicators/{year:04}/ first, or set year to a year with a plan: {have}"),
        )
    })
}

/// The diagnostic for `reports/<year>/` without `indicators/<year>/`.
pub fn reports_without_plan(year: i32) -> Diagnostic {
    // The folder's own four digits (`0214` is read as the year 214).
    let year = format!("{year:04}");
    Diagnostic::error(
        "reports-without-plan",
        &format!("reports/{year}"),
        None,
        Text::new(
            format!("有 reports/{year}/ 却没有 indicators/{year}/"),
            format!("reports/{year}/ exists but indicators/{year}/ does not"),
        ),
    )
    .with_help(Text::new(
        format!("先在 indicators/{year}/ 中编制该年度的指标体系"),
        format!("write that year's plan in indicators/{year}/ first"),
    ))
}
