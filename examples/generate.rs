//! Writes a deterministic synthetic workspace for benchmarks (docs/performance.md).
//!
//! ```text
//! cargo run --release --example generate -- --entries 1000000 --out DIR
//! ```
//!
//! By default: 100 divisions, 10,000 items (1,000 indicators of 10 items in 5 categories, one plan
//! file each) and 1,000,000 entries of 2014, about 73 MB of CSV. The workspace is valid (`perf check` finds no
//! error and no warning): every item has an owner, points add up to 100, task progress never goes
//! down, running sums stay within their bounds, no record repeats another, and every evidence path
//! exists. It has what real data has: Chinese names and notes (some quoted, with commas, quotes or
//! a line break), nil returns, tasks and numbers (`>=` and `<=`, `latest` and `sum`), milestones,
//! quarterly items, former liaisons, `filed` dates a few days after `date`, and URLs and paths as
//! evidence. The same arguments always give the same bytes: the randomness is a fixed-seed
//! SplitMix64.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{Datelike, Duration, NaiveDate};

const YEAR: i32 = 2014;
const CATEGORIES: [(&str, &str); 5] = [
    ("results", "行政业绩"),
    ("efficiency", "行政效率"),
    ("quality", "服务质量"),
    ("expenditure", "行政执行成本"),
    ("satisfaction", "社会满意度"),
];
const SURNAMES: [&str; 30] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "欧阳",
];
const GIVEN: [&str; 24] = [
    "伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "华", "平", "刚", "嘉", "海", "晓", "建", "文",
];
const NOTES: [&str; 12] = [
    "按计划推进",
    "完成本月工作任务",
    "已召开专题协调会议",
    "方案已报办领导审定",
    "配合相关部门开展联合检查",
    "完成阶段性目标，进入下一环节",
    "数据以月度统计报表为准",
    "受节假日客流高峰影响，略有波动",
    "整改措施已落实到位",
    "督查事项均已按期办结",
    "完成信息报送和归档",
    "与香港方面完成工作对接",
];
const QUOTED_NOTES: [&str; 4] = [
    "上半年办结22件,余18件在办",
    "召开会议3次，印发\"工作指引\"1份",
    "第一阶段完成,第二阶段启动",
    "本月办结12件\n余下事项已明确责任人",
];
const NIL_NOTE: &str = "本期无新增进展（零报告）";

/// SplitMix64: tiny, fast, and the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

struct Args {
    entries: usize,
    divisions: usize,
    items: usize,
    out: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        entries: 1_000_000,
        divisions: 100,
        items: 10_000,
        out: PathBuf::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--entries" => args.entries = number(&value("--entries")?)?,
            "--divisions" => args.divisions = number(&value("--divisions")?)?,
            "--items" => args.items = number(&value("--items")?)?,
            "--out" => args.out = PathBuf::from(value("--out")?),
            "-h" | "--help" => {
                return Err(
                    "usage: generate --out DIR [--entries N] [--divisions N] [--items N]\n\
                     defaults: 1000000 entries, 100 divisions, 10000 items"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.out.as_os_str().is_empty() {
        return Err("--out DIR is required".into());
    }
    if args.divisions == 0 || args.divisions > 999 || args.items < args.divisions {
        return Err("need 1 to 999 divisions and at least one item per division".into());
    }
    if !args.items.is_multiple_of(10) || args.items / 10 < CATEGORIES.len() {
        return Err("--items must be a multiple of 10, at least 50".into());
    }
    Ok(args)
}

fn number(s: &str) -> Result<usize, String> {
    s.replace('_', "")
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))
}

/// The `n`-th distinct Chinese name (distinct for `n` below 17,280).
fn person(n: usize) -> String {
    let s = SURNAMES[n % SURNAMES.len()];
    let m = n / SURNAMES.len();
    let a = GIVEN[m % GIVEN.len()];
    let b = GIVEN[(m / GIVEN.len() + 5 * m + 7) % GIVEN.len()];
    format!("{s}{a}{b}")
}

struct Division {
    id: String,
    name: String,
    leader: String,
    liaisons: Vec<String>,
    former: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Task,
    AtLeastLatest,
    AtLeastSum,
    AtMostLatest,
}

struct Item {
    id: String,
    lead: usize,
    shape: Shape,
    target: u32,
    start: NaiveDate,
    due: NaiveDate,
    quarterly: bool,
}

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(YEAR, m, d).expect("a real date")
}

fn divisions(n: usize) -> Vec<Division> {
    let names = [
        "综合", "规划", "协调", "查验", "港澳", "人事", "财务", "法规", "信息", "后勤",
    ];
    (0..n)
        .map(|i| {
            let who = |k: usize| person((10 + i * 4 + k) * 3);
            Division {
                id: format!("div-{:03}", i + 1),
                name: format!("{}{}处", names[i % names.len()], i / names.len() + 1),
                leader: who(0),
                liaisons: vec![who(1), who(2)],
                former: (i % 5 == 0).then(|| who(3)),
            }
        })
        .collect()
}

fn items(n: usize, divisions: usize, rng: &mut Rng) -> Vec<Item> {
    (0..n)
        .map(|i| {
            let shape = match rng.below(100) {
                0..50 => Shape::Task,
                50..70 => Shape::AtLeastLatest,
                70..85 => Shape::AtLeastSum,
                _ => Shape::AtMostLatest,
            };
            let target = match shape {
                Shape::Task => 100,
                Shape::AtLeastLatest => 50 + rng.below(450) as u32,
                Shape::AtLeastSum => 1000 + rng.below(9000) as u32,
                Shape::AtMostLatest => 10 + rng.below(50) as u32,
            };
            let (start, due) = match rng.below(10) {
                0 => (date(3, 1), date(12, 31)),
                1 => (date(1, 1), date(10, 31)),
                _ => (date(1, 1), date(12, 31)),
            };
            Item {
                id: format!("Z{:04}.{}", i / 10 + 1, i % 10 + 1),
                lead: i % divisions,
                shape,
                target,
                start,
                due,
                quarterly: rng.chance(15),
            }
        })
        .collect()
}

fn toml_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

fn write_plan(dir: &Path, divs: &[Division], items: &[Item], rng: &mut Rng) -> std::io::Result<()> {
    let mut org = String::from(
        "# 组织领导与责任处名册（基准测试用的合成数据）\n\n\
         [organization.leading_group]\n\
         leader = \"蔡明远\"\n\
         deputy_leaders = [\"王铁良\", \"任国明\"]\n\
         members = [\"史子旭\", \"刘胜华\"]\n\n\
         [organization.performance_office]\n\
         host = \"div-001\"\n\
         director = \"史子旭\"\n\
         executive_deputy = \"李岩\"\n\
         deputies = [\"王先义\"]\n",
    );
    for d in divs {
        let _ = write!(
            org,
            "\n[[division]]\nid = \"{}\"\nname = \"{}\"\nleader = \"{}\"\nliaisons = {}\n",
            d.id,
            d.name,
            d.leader,
            toml_list(&d.liaisons)
        );
        if let Some(f) = &d.former {
            let _ = writeln!(org, "former_liaisons = [\"{f}\"]");
        }
    }
    fs::write(dir.join("00-organization.toml"), org)?;
    fs::write(
        dir.join("01-calendar.toml"),
        "[calendar]\n\
         holidays = [\n  2014-01-01, 2014-01-31, 2014-02-03, 2014-02-04, 2014-02-05, 2014-02-06,\n  \
         2014-04-07, 2014-05-01, 2014-05-02, 2014-06-02, 2014-09-08, 2014-10-01, 2014-10-02,\n  \
         2014-10-03, 2014-10-06, 2014-10-07,\n]\n\
         workdays = [2014-01-26, 2014-02-08, 2014-05-04, 2014-09-28, 2014-10-11]\n",
    )?;

    // Indicators of 10 items each, spread evenly over the categories; 100 points in all.
    let indicators = items.len() / 10;
    let per_category = indicators / CATEGORIES.len();
    let points = |k: usize| -> (u64, u64) {
        // Thousandths of a point, adding up to exactly 100 000.
        let base = 100_000 / indicators as u64;
        let extra = (100_000 % indicators as u64 > k as u64) as u64;
        (base + extra, 1000)
    };
    // One file per category, as the bundled workspace has them (a single 2 MB plan file also
    // works, but the TOML parser needs some 50 MB to read it: docs/performance.md).
    for (c, (cid, cname)) in CATEGORIES.iter().enumerate() {
        let first = c * per_category;
        let last = if c + 1 == CATEGORIES.len() {
            indicators
        } else {
            first + per_category
        };
        let total: u64 = (first..last).map(|k| points(k).0).sum();
        let mut plan = format!(
            "# {cname}（基准测试用的合成数据）\n\n[[category]]\nid = \"{cid}\"\nname = \"{cname}\"\npoints = {}\n",
            thousandths(total)
        );
        for k in first..last {
            let _ = write!(
                plan,
                "\n[[indicator]]\nid = \"Z{:04}\"\ncategory = \"{cid}\"\nname = \"{cname}第{}项指标\"\npoints = {}\n",
                k + 1,
                k + 1,
                thousandths(points(k).0)
            );
            for item in &items[k * 10..k * 10 + 10] {
                write_item(&mut plan, item, divs, rng);
            }
        }
        fs::write(dir.join(format!("{}0-{cid}.toml", c + 1)), plan)?;
    }
    Ok(())
}

fn thousandths(v: u64) -> String {
    let s = format!("{}.{:03}", v / 1000, v % 1000);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn write_item(out: &mut String, item: &Item, divs: &[Division], rng: &mut Rng) {
    let d = &divs[item.lead];
    let support = &divs[(item.lead + 1 + rng.below(divs.len() as u64 - 1) as usize) % divs.len()];
    let _ = write!(
        out,
        "\n  [[indicator.item]]\n  id = \"{}\"\n  name = \"{}牵头的第{}项工作\"\n  lead = \"{}\"\n",
        item.id, d.name, item.id, d.id
    );
    if support.id != d.id {
        let _ = writeln!(out, "  support = [\"{}\"]", support.id);
    }
    let _ = writeln!(out, "  owner = \"{}\"", d.leader);
    if rng.chance(20) {
        out.push_str("  binding = true\n");
    }
    match item.shape {
        Shape::Task => {
            if rng.chance(30) && item.start.month() < 4 && item.due.month() > 9 {
                out.push_str(
                    "  milestones = [{ due = 2014-06-30, value = 40, note = \"上半年过四成\" }, { due = 2014-09-30, value = 70 }]\n",
                );
            }
        }
        Shape::AtLeastLatest => {
            let _ = writeln!(
                out,
                "  kind = \"number\"\n  target = {}\n  unit = \"件\"\n  min = 0\n  max = {}",
                item.target,
                item.target * 2
            );
        }
        Shape::AtLeastSum => {
            let _ = writeln!(
                out,
                "  kind = \"number\"\n  target = {}\n  unit = \"万元\"\n  measure = \"sum\"\n  min = 0",
                item.target
            );
        }
        Shape::AtMostLatest => {
            let _ = writeln!(
                out,
                "  kind = \"number\"\n  target = {}\n  unit = \"分钟\"\n  direction = \"<=\"\n  min = 0",
                item.target
            );
        }
    }
    if item.start != date(1, 1) {
        let _ = writeln!(out, "  start = {}", item.start);
    }
    if item.due != date(12, 31) {
        let _ = writeln!(out, "  due = {}", item.due);
    }
    if item.quarterly {
        out.push_str("  cadence = \"quarterly\"\n");
    }
}

/// One record of a progress file, with what it is sorted by.
struct Record {
    filed: NaiveDate,
    date: NaiveDate,
    item: usize,
    line: String,
}

/// `k` distinct days of `[from, to]`, ascending (selection sampling).
fn days(rng: &mut Rng, from: NaiveDate, to: NaiveDate, k: usize) -> Vec<NaiveDate> {
    let span = (to - from).num_days() as usize + 1;
    let k = k.min(span);
    let mut out = Vec::with_capacity(k);
    let mut day = from;
    for seen in 0..span {
        if (rng.below((span - seen) as u64) as usize) < k - out.len() {
            out.push(day);
        }
        day += Duration::days(1);
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Hundredths as a CSV value: `12`, `12.5` or `12.35`.
fn value_text(hundredths: u64) -> String {
    let (int, frac) = (hundredths / 100, hundredths % 100);
    match frac {
        0 => int.to_string(),
        f if f % 10 == 0 => format!("{int}.{}", f / 10),
        f => format!("{int}.{f:02}"),
    }
}

fn records_of(item: &Item, index: usize, k: usize, d: &Division, rng: &mut Rng) -> Vec<Record> {
    let dates = days(rng, item.start, item.due, k);
    let n = dates.len().max(1) as u64;
    let target = item.target as u64 * 100;
    // Where a >= item ends, in hundredths of the target: some reach it, most do not.
    let reach = 60 + rng.below(50).min(40);
    let mut latest = 0u64;
    let mut records = Vec::with_capacity(dates.len());
    for (j, date) in dates.into_iter().enumerate() {
        let nil = rng.chance(5);
        let value = if nil {
            String::new()
        } else {
            match item.shape {
                Shape::Task | Shape::AtLeastLatest => {
                    // Non-decreasing towards reach% of the target.
                    let goal = target * reach / 100 * (j as u64 + 1) / n;
                    latest = latest.max(goal - goal % 100);
                    value_text(latest)
                }
                Shape::AtLeastSum => value_text(target / n * (50 + rng.below(100)) / 100),
                Shape::AtMostLatest => value_text(target * (50 + rng.below(55)) / 100),
            }
        };
        let note = if nil {
            NIL_NOTE.to_string()
        } else {
            match rng.below(100) {
                0..30 => String::new(),
                30..33 => csv_field(QUOTED_NOTES[rng.below(QUOTED_NOTES.len() as u64) as usize]),
                _ => NOTES[rng.below(NOTES.len() as u64) as usize].to_string(),
            }
        };
        let evidence = match rng.below(100) {
            0..8 => format!(
                "https://oa.example.gov.cn/{}/{YEAR}/{}-{:02}.pdf",
                d.id,
                item.id,
                date.month()
            ),
            8..11 => format!("docs/evidence/{}.pdf", d.id),
            _ => String::new(),
        };
        let reporter = match (&d.former, rng.below(20)) {
            (Some(f), 0..4) if date.month() <= 6 => f.clone(),
            (_, 4) => d.leader.clone(),
            (_, r) => d.liaisons[r as usize % d.liaisons.len()].clone(),
        };
        let filed = date + Duration::days(rng.below(10) as i64);
        let line = format!(
            "{date},{},{value},{note},{evidence},{reporter},{filed}\n",
            item.id
        );
        records.push(Record {
            filed,
            date,
            item: index,
            line,
        });
    }
    records
}

fn run(args: &Args) -> std::io::Result<()> {
    if args.out.exists() && fs::read_dir(&args.out)?.next().is_some() {
        return Err(std::io::Error::other(format!(
            "{} exists and is not empty; name a new folder",
            args.out.display()
        )));
    }
    let mut rng = Rng(0x5eed_2014);
    let divs = divisions(args.divisions);
    let items = items(args.items, args.divisions, &mut rng);
    let plan_dir = args.out.join("indicators").join(YEAR.to_string());
    let report_dir = args.out.join("reports").join(YEAR.to_string());
    let evidence_dir = args.out.join("docs").join("evidence");
    for dir in [&plan_dir, &report_dir, &evidence_dir] {
        fs::create_dir_all(dir)?;
    }
    fs::write(
        args.out.join("perf.toml"),
        "# 基准测试用的合成工作区（examples/generate.rs 生成）\n\
         office = \"深圳市人民政府口岸办公室\"\n\
         short_name = \"市口岸办\"\n\
         year = 2014\n\
         lang = \"zh\"\n",
    )?;
    write_plan(&plan_dir, &divs, &items, &mut rng)?;

    // Entries: as evenly as possible over the items; each division's in the order they were filed.
    let mut by_division: Vec<Vec<usize>> = vec![Vec::new(); divs.len()];
    for (i, item) in items.iter().enumerate() {
        by_division[item.lead].push(i);
    }
    let per_item = args.entries / items.len();
    let extra = args.entries % items.len();
    let (mut bytes, mut written) = (0u64, 0usize);
    for (di, d) in divs.iter().enumerate() {
        fs::write(evidence_dir.join(format!("{}.pdf", d.id)), b"%PDF-1.4\n")?;
        let mut records = Vec::new();
        for &i in &by_division[di] {
            let k = per_item + (i < extra) as usize;
            records.extend(records_of(&items[i], i, k, d, &mut rng));
        }
        records.sort_by_key(|r| (r.filed, r.date, r.item));
        let path = report_dir.join(format!("{}.csv", d.id));
        let mut w = BufWriter::new(fs::File::create(&path)?);
        w.write_all(b"date,item,value,note,evidence,reporter,filed\n")?;
        for r in &records {
            w.write_all(r.line.as_bytes())?;
            bytes += r.line.len() as u64;
            written += 1;
        }
        w.flush()?;
    }
    eprintln!(
        "wrote {}: {} divisions, {} items, {} entries, {:.1} MB of CSV",
        args.out.display(),
        divs.len(),
        items.len(),
        written,
        bytes as f64 / 1e6
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("generate: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("generate: {e}");
            ExitCode::FAILURE
        }
    }
}
