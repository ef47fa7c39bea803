//! `perf init [DIR]`: a new workspace that passes `perf check` at once, with CI files for GitHub
//! and GitLab, a pre-commit configuration and `.gitattributes`. Never overwrites a file.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::Result;

use crate::cli::InitArgs;
use crate::cmd::SUCCESS;
use crate::diag::Lang;
use crate::workspace::EnvError;

fn perf_toml(office: &str, year: i32) -> String {
    format!(
        r#"# perf 工作区设置（SPEC §1.1）。只有 office 是必填的，其余为默认值。
# 单位全称，用于文件标题
office = "{office}"
# short_name = "简称"         # 简称，用于篇幅受限处
year = {year}                 # 命令默认的年度
lang = "zh"                   # 文件和表格的语言："zh" 或 "en"
timezone = "Asia/Shanghai"    # 按此时区取“今天”

[status]                      # 亮灯阈值，单位为目标值的百分点
yellow = 10                   # 落后超过 10 个百分点：黄灯
red = 30                      # 落后超过 30 个百分点：红灯

[reporting]
cadence = "monthly"           # 细项默认的报送频次
red_after = 2                 # 黄牌后再过几个工作日转为红牌
[reporting.deadline]          # 报送期结束后第几个工作日为报送期限
monthly = 5
quarterly = 10
half-yearly = 15
yearly = 20
"#
    )
}

fn plan_toml(year: i32) -> String {
    format!(
        r#"# {year} 年度指标体系及职责分工（SPEC §2）。本目录下的每个 *.toml 文件按文件名顺序合并。
# 下面每种写法各举一例：改成本单位的实际内容即可。

[organization.leading_group]            # 领导小组
leader = "组长姓名"
deputy_leaders = ["副组长姓名"]
members = ["成员甲", "成员乙"]

[organization.performance_office]       # 办绩效办
host = "secretariat"                    # 设在哪个处（责任处标识）
director = "主任姓名"
executive_deputy = "常务副主任姓名"
deputies = ["副主任姓名"]
owners = ["@perf-office"]               # 代码托管平台上负责计划文件的账号（可选）

[[division]]                            # 责任处；其标识也是进度文件名 reports/{year}/secretariat.csv
id = "secretariat"
name = "秘书处"
leader = "处级领导姓名"
liaisons = ["联络员姓名"]
# former_liaisons = ["已调离的联络员"]  # 其历史记录仍有效，但不能再新增
owners = ["@secretariat"]

[[division]]
id = "business"
name = "业务处"
leader = "业务处处长"
liaisons = ["业务处联络员"]
owners = ["@business"]

[[category]]                            # 评估内容
id = "efficiency"
name = "行政效率"
points = 60                             # 可选；须等于其下指标分值之和

[[category]]
id = "expenditure"
name = "行政支出"
points = 40

[[indicator]]                           # 指标
id = "E1"
category = "efficiency"
name = "政府督查事项落实"
points = 60

  [[indicator.item]]                    # 评估细项：任务类（按完成百分比 0–100 报送）
  id = "E1.1"
  name = "市政府督查事项按期办结"
  lead = "secretariat"                  # 责任处
  support = ["business"]                # 协调处（可选）
  owner = "责任人姓名"
  binding = true                        # 约束性指标
  milestones = [                        # 阶段性目标
    {{ due = {year}-06-30, value = 50, note = "上半年完成过半" }},
    {{ due = {year}-09-30, value = 80 }},
  ]

  [[indicator.item]]                    # 数值类：累计（sum），按季度报送，期末考核
  id = "E1.2"
  name = "协调解决重大问题"
  lead = "business"
  owner = "责任人姓名"
  kind = "number"
  target = 12
  unit = "件"
  measure = "sum"                       # 每条记录填本期新增数
  cadence = "quarterly"
  schedule = "at-due"                   # 截止日前不按序时进度考核
  weight = 2                            # 在本指标内的权重
  description = "每季度报送新增件数"

[[indicator]]
id = "X1"
category = "expenditure"
name = "行政经费节约率"
points = 40

  [[indicator.item]]                    # 数值类：取最新值（latest），不低于目标
  id = "X1.1"
  name = "行政经费节约率"
  lead = "secretariat"
  owner = "责任人姓名"
  kind = "number"
  target = 5
  unit = "%"
  cadence = "quarterly"
  min = -100
  max = 100

  [[indicator.item]]                    # 数值类：不超过目标（<=）
  id = "X1.2"
  name = "公务接待费支出"
  lead = "business"
  owner = "责任人姓名"
  kind = "number"
  target = 20
  unit = "万元"
  direction = "<="
  measure = "sum"
  start = {year}-03-01
  due = {year}-12-31

[calendar]                              # 法定节假日和调休上班日（按国务院通知填写）
holidays = [{year}-01-01]
workdays = []
"#
    )
}

const GITATTRIBUTES: &str = "# Progress files only ever grow: a union merge keeps the entries of both branches.\n# A union merge can leave a duplicated line or a half-resolved record behind; `perf check`\n# (run on every merge request, with --base) reports both, so nothing slips through.\nreports/**/*.csv merge=union\n";

const GITHUB: &str = r#"# Checks the performance data on every pull request: perf check with GitHub annotations,
# and --base so that no entry is edited or removed (a correction is a new entry).
name: perf check
on:
  pull_request:
  push:
    branches: [main]
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0            # the full history: --base needs the merge base
      - uses: dtolnay/rust-toolchain@stable
      - name: Install perf
        # Replace the URL with where your office keeps perf.
        run: cargo install --locked --git https://github.com/YOUR-ORG/perf perf
      - name: perf check
        run: |
          if [ -n "${{ github.base_ref }}" ]; then
            perf check --format github --base "origin/${{ github.base_ref }}"
          else
            perf check --format github
          fi
"#;

const GITLAB: &str = r#"# Checks the performance data on every merge request and publishes the problems as a
# Code Quality report (shown in the merge request); --base refuses edited or removed entries.
perf-check:
  image: rust:latest
  variables:
    GIT_DEPTH: 0                    # the full history: --base needs the merge base
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
  script:
    # Replace the URL with where your office keeps perf.
    - cargo install --locked --git https://gitlab.com/YOUR-GROUP/perf perf
    - BASE_ARG=""
    - if [ -n "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME" ]; then git fetch origin "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"; BASE_ARG="--base origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"; fi
    - perf check --format gitlab $BASE_ARG > gl-code-quality-report.json || status=$?
    - perf check $BASE_ARG || true
    - exit ${status:-0}
  artifacts:
    when: always
    reports:
      codequality: gl-code-quality-report.json
"#;

const GITIGNORE: &str =
    "# perf report add serialises writers on this lock file.\nreports/*/.perf.lock\n";

const PRE_COMMIT: &str = r#"# pre-commit (https://pre-commit.com): run `perf check` before every commit that touches the data.
repos:
  - repo: local
    hooks:
      - id: perf-check
        name: perf check
        entry: perf check
        language: system
        pass_filenames: false
        files: ^(perf\.toml|indicators/.*\.toml|reports/.*\.csv)$
"#;

pub fn run(args: &InitArgs, today: chrono::NaiveDate, lang: Lang) -> Result<i32> {
    use chrono::Datelike;
    let dir = args.dir.clone().unwrap_or_else(|| ".".into());
    let year = args.year.unwrap_or(today.year());
    if !(1000..=9999).contains(&year) {
        return Err(EnvError::new(
            format!("--year {year} 不是四位数的年份"),
            format!("--year {year} is not a four-digit year"),
        )
        .into());
    }
    let office = args
        .office
        .clone()
        .unwrap_or_else(|| "（单位全称）".to_string());
    let office_toml = office.replace('\\', "\\\\").replace('"', "\\\"");
    let files: Vec<(String, String)> = vec![
        ("perf.toml".into(), perf_toml(&office_toml, year)),
        (format!("indicators/{year}/plan.toml"), plan_toml(year)),
        (format!("reports/{year}/.gitkeep"), String::new()),
        (".gitattributes".into(), GITATTRIBUTES.into()),
        (".gitignore".into(), GITIGNORE.into()),
        (".github/workflows/perf.yml".into(), GITHUB.into()),
        (".gitlab-ci.yml".into(), GITLAB.into()),
        (".pre-commit-config.yaml".into(), PRE_COMMIT.into()),
    ];
    let existing: Vec<&str> = files
        .iter()
        .filter(|(p, _)| dir.join(p).exists())
        .map(|(p, _)| p.as_str())
        .collect();
    if !existing.is_empty() {
        return Err(EnvError::new(
            format!(
                "未写入任何文件：{} 已存在于 {}；perf init 不会覆盖已有文件",
                existing.join("、"),
                dir.display()
            ),
            format!(
                "nothing written: {} already exist{} in {}; perf init never overwrites a file",
                existing.join(", "),
                if existing.len() == 1 { "s" } else { "" },
                dir.display()
            ),
        )
        .into());
    }
    for (rel, text) in &files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| {
                EnvError::new(
                    format!("无法创建 {}：{e}", parent.display()),
                    format!("cannot create {}: {e}", parent.display()),
                )
            })?;
        }
        write_new(&path, text)?;
    }
    let mut out = std::io::stdout().lock();
    match lang {
        Lang::Zh => writeln!(
            out,
            "已在 {} 创建 {year} 年度的 perf 工作区：",
            dir.display()
        )?,
        Lang::En => writeln!(
            out,
            "created a perf workspace for {year} in {}:",
            dir.display()
        )?,
    }
    for (rel, _) in &files {
        writeln!(out, "  {rel}")?;
    }
    match lang {
        Lang::Zh => writeln!(
            out,
            "下一步：编辑 indicators/{year}/plan.toml，然后运行 `perf check`"
        )?,
        Lang::En => writeln!(
            out,
            "next: edit indicators/{year}/plan.toml, then run `perf check`"
        )?,
    }
    Ok(SUCCESS)
}

/// Creates a file that must not exist yet.
fn write_new(path: &Path, text: &str) -> Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            EnvError::new(
                format!("无法创建 {}：{e}", path.display()),
                format!("cannot create {}: {e}", path.display()),
            )
        })?;
    f.write_all(text.as_bytes())?;
    Ok(())
}
