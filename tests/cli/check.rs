//! `perf check` on a battery of broken inputs: at least one case per rule code, each asserting the
//! exit code, the rule code and the exact `file:line:column` (SPEC §1–3, §5.1–5.2).
//!
//! Every case starts from the small valid workspace in `tests/fixtures/check/base/`, copies it to a
//! temporary folder, applies its edits, and runs `perf check --today 2014-12-31 --format json`.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::common::{copy_workspace, fixture, perf, repo};

const PERF: &str = "perf.toml";
const PLAN: &str = "indicators/2014/plan.toml";
const SEC: &str = "reports/2014/secretariat.csv";
const PLA: &str = "reports/2014/planning.csv";
const TODAY: &str = "2014-12-31";

use crate::common::Edit::{self, Remove, Replace, Write};
use crate::common::{Expect, append, apply, diagnostics, gb18030, has, show, verdict, write};

struct Case {
    name: &'static str,
    edits: Vec<Edit>,
    args: Vec<&'static str>,
    today: &'static str,
    exit: i32,
    expect: Vec<Expect>,
    /// Codes that must not appear (false positives, cascades).
    absent: Vec<&'static str>,
}

fn case(name: &'static str, exit: i32, edits: Vec<Edit>, expect: &[Expect]) -> Case {
    Case {
        name,
        edits,
        args: Vec::new(),
        today: TODAY,
        exit,
        expect: expect.to_vec(),
        absent: Vec::new(),
    }
}

impl Case {
    fn absent(mut self, codes: &[&'static str]) -> Case {
        self.absent.extend(codes);
        self
    }

    fn args(mut self, args: &[&'static str]) -> Case {
        self.args.extend(args);
        self
    }

    fn today(mut self, today: &'static str) -> Case {
        self.today = today;
        self
    }
}

fn base() -> tempfile::TempDir {
    copy_workspace(&fixture("check/base"))
}

fn check_json(root: &Path, today: &str, args: &[&str]) -> (i32, Vec<Value>, String) {
    let mut all = vec!["check", "--today", today, "--format", "json"];
    all.extend(args);
    let run = perf(root, &all);
    let list = diagnostics(&run.stdout);
    (run.code, list, run.stderr)
}

/// Runs one case; returns what went wrong, if anything.
fn run_case(c: &Case) -> Option<String> {
    let dir = base();
    apply(dir.path(), &c.edits);
    let (code, list, stderr) = check_json(dir.path(), c.today, &c.args);
    let mut wrong = Vec::new();
    if code != c.exit {
        wrong.push(format!("exit code {code}, expected {}", c.exit));
    }
    for e in &c.expect {
        if !has(&list, e) {
            wrong.push(format!("missing {e:?}"));
        }
    }
    for a in &c.absent {
        if list.iter().any(|o| o["code"] == *a) {
            wrong.push(format!("unexpected {a}"));
        }
    }
    if c.exit != 2 && !stderr.is_empty() {
        wrong.push(format!("stderr: {stderr}"));
    }
    verdict(c.name, &wrong, &list)
}

/// A division appended to the plan that leads nothing (lines 100–104 of the plan: `[[division]]`
/// on 100, `id` on 101).
fn extra_division(id: &str) -> Edit {
    append(
        PLAN,
        &format!(
            "\n[[division]]\nid = \"{id}\"\nname = \"人事处\"\nleader = \"刘胜华\"\nliaisons = [\"孙丽\"]\n"
        ),
    )
}

/// Every case of the battery, in the order of SPEC §1–3.
fn cases() -> Vec<Case> {
    let long_note = "说".repeat(2001);
    vec![
        // ---- §1: the workspace and its files ------------------------------------------------
        case(
            "reports/<year> without indicators/<year>",
            1,
            vec![write("reports/2013/secretariat.csv", "date,item,value,reporter\n")],
            &[("reports-without-plan", "reports/2013", None)],
        ),
        case(
            "reports/<year> with a leading zero names its own folder",
            1,
            vec![write("reports/0214/secretariat.csv", "date,item,value,reporter\n")],
            &[("reports-without-plan", "reports/0214", None)],
        ),
        case(
            "GB18030 progress file",
            1,
            vec![Write(
                PLA,
                gb18030("date,item,value,note,evidence,reporter,filed\n2014-03-31,Q1.1,88.5,一季度旅客满意度调查,,梁海涛,2014-04-08\n"),
            )],
            &[("not-utf8", PLA, None)],
        ),
        case(
            "invalid UTF-8 in a plan file: the progress files are not judged against a partial plan",
            1,
            vec![Write("indicators/2014/zz.toml", b"# \xff\xfe\n".to_vec())],
            &[("not-utf8", "indicators/2014/zz.toml", None)],
        )
        .absent(&["unknown-division-file", "unknown-item"]),
        case(
            "invalid UTF-8 in perf.toml",
            1,
            vec![Write(PERF, b"office = \"\xc0\"\n".to_vec())],
            &[("not-utf8", PERF, None)],
        ),
        // ---- §1.1: perf.toml ---------------------------------------------------------------
        case(
            "perf.toml: missing office",
            1,
            vec![Replace(PERF, "office = \"深圳市人民政府口岸办公室\"\n", "")],
            &[("missing-key", PERF, Some((1, 1)))],
        ),
        case(
            "perf.toml: unknown key in [status]",
            1,
            vec![Replace(PERF, "yellow = 10\n", "yellow = 10\ngreen = 5\n")],
            &[("unknown-key", PERF, Some((10, 1)))],
        ),
        case(
            "perf.toml: year as a string",
            1,
            vec![Replace(PERF, "year = 2014", "year = \"2014\"")],
            &[("wrong-type", PERF, Some((4, 8)))],
        ),
        case(
            "perf.toml: a year without a plan",
            1,
            vec![Replace(PERF, "year = 2014", "year = 2015")],
            &[("invalid-value", PERF, Some((4, 8)))],
        ),
        case(
            "perf.toml: unknown lang",
            1,
            vec![Replace(PERF, "lang = \"zh\"", "lang = \"fr\"")],
            &[("invalid-value", PERF, Some((5, 8)))],
        ),
        case(
            "perf.toml: unknown time zone",
            1,
            vec![Replace(PERF, "\"Asia/Shanghai\"", "\"Mars/Olympus\"")],
            &[("invalid-value", PERF, Some((6, 12)))],
        ),
        case(
            "perf.toml: red below yellow",
            1,
            vec![Replace(PERF, "red = 30", "red = 5")],
            &[("invalid-value", PERF, Some((10, 7)))],
        ),
        case(
            "perf.toml: syntax error",
            1,
            vec![Replace(PERF, "lang = \"zh\"", "lang = zh")],
            &[("toml-syntax", PERF, Some((5, 8)))],
        ),
        case(
            "perf.toml: integer with underscores is an integer",
            0,
            vec![Replace(PERF, "red_after = 2", "red_after = 1_0")],
            &[],
        ),
        // ---- §2: the plan ------------------------------------------------------------------
        case(
            "plan: syntax error (a bare string)",
            1,
            vec![Replace(PLAN, "id = \"E1\"", "id = E1")],
            &[("toml-syntax", PLAN, Some((42, 6)))],
        )
        .absent(&["unknown-division-file", "unknown-item"]),
        case(
            "plan: duplicate key",
            1,
            vec![Replace(PLAN, "id = \"E1\"\n", "id = \"E1\"\nid = \"E2\"\n")],
            &[("toml-syntax", PLAN, Some((43, 1)))],
        ),
        case(
            "plan: conflict markers",
            1,
            vec![append(PLAN, "<<<<<<< HEAD\nx = 1\n=======\nx = 2\n>>>>>>> other\n")],
            &[
                ("conflict-marker", PLAN, Some((99, 1))),
                ("conflict-marker", PLAN, Some((101, 1))),
                ("conflict-marker", PLAN, Some((103, 1))),
            ],
        )
        .absent(&["toml-syntax", "unknown-division-file"]),
        case(
            "plan: unknown key in an item, with did-you-mean",
            1,
            vec![Replace(PLAN, "  owner = \"林晓燕\"\n", "  owner = \"林晓燕\"\n  descripton = \"按季度推进\"\n")],
            &[("unknown-key", PLAN, Some((66, 3)))],
        ),
        case(
            "plan: unknown top-level table",
            1,
            vec![append(PLAN, "\n[settings]\nx = 1\n")],
            &[("unknown-key", PLAN, Some((100, 2)))],
        ),
        case(
            "plan: wrong type of lead",
            1,
            vec![Replace(PLAN, "lead = \"planning\"", "lead = [\"planning\"]")],
            &[("wrong-type", PLAN, Some((82, 10)))],
        ),
        case(
            "plan: division without name",
            1,
            vec![Replace(PLAN, "name = \"规划建设处\"\n", "")],
            &[("missing-key", PLAN, Some((25, 1)))],
        ),
        case(
            "plan: division without leader",
            1,
            vec![Replace(PLAN, "leader = \"谢国栋\"\n", "")],
            &[("missing-key", PLAN, Some((25, 1)))],
        ),
        case(
            "plan: item without name (indented header)",
            1,
            vec![Replace(PLAN, "  name = \"旅客满意度\"\n", "")],
            &[("missing-key", PLAN, Some((79, 3)))],
        ),
        case(
            "plan: number item without target",
            1,
            vec![Replace(PLAN, "  target = 90\n", "")],
            &[("missing-key", PLAN, Some((79, 3)))],
        ),
        case(
            "plan: milestone without due",
            1,
            vec![Replace(PLAN, "{ due = 2014-09-30, value = 80 }", "{ value = 80 }")],
            &[("missing-key", PLAN, Some((70, 5)))],
        ),
        case(
            "plan: bad kind",
            1,
            vec![Replace(PLAN, "kind = \"number\"\n  target = 90", "kind = \"numbr\"\n  target = 90")],
            &[("invalid-value", PLAN, Some((84, 10)))],
        ),
        case(
            "plan: empty name and empty leader",
            1,
            vec![
                Replace(PLAN, "name = \"服务质量\"", "name = \"\""),
                Replace(PLAN, "leader = \"谢国栋\"", "leader = \" \""),
            ],
            &[
                ("invalid-value", PLAN, Some((38, 8))),
                ("invalid-value", PLAN, Some((28, 10))),
            ],
        ),
        case(
            "plan: table defined in two files",
            1,
            vec![write("indicators/2014/plan2.toml", "[calendar]\nholidays = [2014-05-01]\n")],
            &[("duplicate-table", "indicators/2014/plan2.toml", Some((1, 1)))],
        ),
        case(
            "plan: invalid id",
            1,
            vec![Replace(PLAN, "id = \"Q1.2\"", "id = \"Q1/2\"")],
            &[("invalid-id", PLAN, Some((91, 8)))],
        ),
        case(
            "plan: duplicate item id, at its second occurrence",
            1,
            vec![Replace(PLAN, "id = \"E1.2\"", "id = \"E1.1\"")],
            &[("duplicate-id", PLAN, Some((62, 8)))],
        ),
        case(
            "plan: duplicate id across files",
            1,
            vec![write(
                "indicators/2014/zz.toml",
                "[[category]]\nid = \"quality\"\nname = \"重复\"\n",
            )],
            &[("duplicate-id", "indicators/2014/zz.toml", Some((2, 6)))],
        ),
        case(
            "plan: division ids differing in case",
            1,
            vec![extra_division("Secretariat")],
            &[("division-id-case", PLAN, Some((101, 6)))],
        ),
        case(
            "plan: division id reserved on Windows",
            1,
            vec![extra_division("aux")],
            &[("division-id-reserved", PLAN, Some((101, 6)))],
        ),
        case(
            "plan: division id ending in a dot",
            1,
            vec![extra_division("personnel.")],
            &[("division-id-reserved", PLAN, Some((101, 6)))],
        ),
        case(
            "plan: unknown category, with did-you-mean",
            1,
            vec![Replace(PLAN, "category = \"quality\"", "category = \"qualty\"")],
            &[("unknown-category", PLAN, Some((75, 12)))],
        ),
        case(
            "plan: unknown lead division",
            1,
            vec![Replace(PLAN, "lead = \"planning\"", "lead = \"planing\"")],
            &[("unknown-division", PLAN, Some((82, 10)))],
        ),
        case(
            "plan: unknown support division",
            1,
            vec![Replace(PLAN, "support = [\"planning\"]", "support = [\"general\"]")],
            &[("unknown-division", PLAN, Some((51, 13)))],
        ),
        case(
            "plan: performance office hosted by no division",
            1,
            vec![Replace(PLAN, "host = \"secretariat\"", "host = \"office\"")],
            &[("unknown-division", PLAN, Some((9, 8)))],
        ),
        case(
            "plan: lead among its own support",
            1,
            vec![Replace(PLAN, "support = [\"planning\"]", "support = [\"secretariat\"]")],
            &[("self-support", PLAN, Some((51, 13)))],
        ),
        case(
            "plan: category without indicators",
            1,
            vec![append(PLAN, "\n[[category]]\nid = \"openness\"\nname = \"政务公开\"\n")],
            &[("empty-category", PLAN, Some((101, 6)))],
        ),
        case(
            "plan: indicator without items",
            1,
            vec![append(
                PLAN,
                "\n[[indicator]]\nid = \"Q2\"\ncategory = \"quality\"\nname = \"投诉处理\"\npoints = 0\n",
            )],
            &[("empty-indicator", PLAN, Some((101, 6)))],
        ),
        case(
            "plan: division with an empty liaison list",
            1,
            vec![Replace(PLAN, "liaisons = [\"梁海涛\"]", "liaisons = []")],
            &[("no-liaison", PLAN, Some((29, 12)))],
        ),
        case(
            "plan: division without liaisons",
            1,
            vec![Replace(PLAN, "liaisons = [\"梁海涛\"]\n", "")],
            &[("missing-key", PLAN, Some((25, 1)))],
        ),
        case(
            "plan: a liaison also among former liaisons (names compared without white space)",
            1,
            vec![Replace(PLAN, "former_liaisons = [\"周敏\"]", "former_liaisons = [\"周敏\", \"林 晓燕\"]")],
            &[("liaison-also-former", PLAN, Some((23, 26)))],
        ),
        case(
            "plan: division leading no item (warning only)",
            0,
            vec![extra_division("personnel")],
            &[("idle-division", PLAN, Some((101, 6)))],
        ),
        case(
            "plan: item without owner (warning only)",
            0,
            vec![Replace(PLAN, "  owner = \"梁海涛\"\n", "")],
            &[("missing-owner", PLAN, Some((90, 3)))],
        ),
        case(
            "plan: an indicator without points while others have them",
            1,
            vec![Replace(PLAN, "name = \"口岸通关服务\"\npoints = 40\n", "name = \"口岸通关服务\"\n")],
            &[("missing-points", PLAN, Some((73, 1)))],
        ),
        case(
            "plan: category points not the sum of its indicators'",
            1,
            vec![Replace(PLAN, "points = 60", "points = 50")],
            &[("category-points", PLAN, Some((34, 10)))],
        ),
        case(
            "plan: points on categories only",
            1,
            vec![
                Replace(PLAN, "name = \"政府督查事项落实\"\npoints = 60\n", "name = \"政府督查事项落实\"\n"),
                Replace(PLAN, "name = \"口岸通关服务\"\npoints = 40\n", "name = \"口岸通关服务\"\n"),
            ],
            &[
                ("points-on-categories", PLAN, Some((34, 10))),
                ("points-on-categories", PLAN, Some((39, 10))),
            ],
        ),
        case(
            "plan: points not adding up to 100 (warning only)",
            0,
            vec![
                Replace(PLAN, "points = 60", "points = 50"),
                Replace(PLAN, "points = 60", "points = 50"),
            ],
            &[("points-total", PLAN, Some((45, 10)))],
        ),
        case(
            "plan: huge points do not overflow",
            0,
            vec![
                Replace(PLAN, "points = 60", "points = 79228162514264337593543950335"),
                Replace(PLAN, "points = 60", "points = 79228162514264337593543950335"),
                Replace(PLAN, "points = 40", "points = 79228162514264337593543950335"),
                Replace(PLAN, "points = 40", "points = 79228162514264337593543950335"),
            ],
            &[("points-total", PLAN, Some((45, 10)))],
        ),
        case(
            "plan: unit on a task",
            1,
            vec![Replace(PLAN, "  name = \"白皮书任务推进\"\n", "  name = \"白皮书任务推进\"\n  unit = \"%\"\n")],
            &[("task-field", PLAN, Some((64, 10)))],
        ),
        case(
            "plan: `>=` target of 0",
            1,
            vec![Replace(PLAN, "target = 90", "target = 0")],
            &[("invalid-target", PLAN, Some((85, 12)))],
        ),
        case(
            "plan: max below min",
            1,
            vec![Replace(PLAN, "max = 100", "max = -1")],
            &[("invalid-bounds", PLAN, Some((88, 9)))],
        ),
        case(
            "plan: due outside the plan's year",
            1,
            vec![Replace(PLAN, "due = 2014-10-31", "due = 2015-01-31")],
            &[("date-outside-year", PLAN, Some((67, 9)))],
        ),
        case(
            "plan: start after due",
            1,
            vec![Replace(PLAN, "start = 2014-03-01", "start = 2014-11-01")],
            &[("start-after-due", PLAN, Some((67, 9)))],
        ),
        case(
            "plan: weight of 0",
            1,
            vec![Replace(PLAN, "max = 100\n", "max = 100\n  weight = 0\n")],
            &[("invalid-weight", PLAN, Some((89, 12)))],
        ),
        case(
            "plan: schedule on a `<=` item",
            1,
            vec![Replace(PLAN, "direction = \"<=\"\n", "direction = \"<=\"\n  schedule = \"at-due\"\n")],
            &[("not-for-at-most", PLAN, Some((97, 14)))],
        ),
        case(
            "plan: schedule together with milestones",
            1,
            vec![Replace(PLAN, "due = 2014-10-31\n", "due = 2014-10-31\n  schedule = \"linear\"\n")],
            &[("schedule-with-milestones", PLAN, Some((68, 14)))],
        ),
        case(
            "plan: milestone before the item's start",
            1,
            vec![Replace(PLAN, "{ due = 2014-06-30", "{ due = 2014-02-28")],
            &[("milestone-outside", PLAN, Some((69, 13)))],
        ),
        case(
            "plan: milestones out of order",
            1,
            vec![Replace(PLAN, "{ due = 2014-09-30", "{ due = 2014-06-01")],
            &[("milestone-order", PLAN, Some((70, 13)))],
        ),
        case(
            "plan: milestone value going down",
            1,
            vec![Replace(PLAN, "value = 80", "value = 40")],
            &[("milestone-value", PLAN, Some((70, 33)))],
        ),
        case(
            "plan: milestone value above the target",
            1,
            vec![Replace(PLAN, "value = 80", "value = 120")],
            &[("milestone-value", PLAN, Some((70, 33)))],
        ),
        case(
            "plan: calendar date of another year",
            1,
            vec![Replace(PLAN, "holidays = [", "holidays = [2015-01-01, ")],
            &[("calendar-year", PLAN, Some((15, 13)))],
        ),
        case(
            "plan: a day both holiday and working day",
            1,
            vec![Replace(PLAN, "workdays = [2014-09-28]", "workdays = [2014-09-28, 2014-10-02]")],
            &[("calendar-conflict", PLAN, Some((16, 25)))],
        ),
        // ---- §3: progress files ------------------------------------------------------------
        case("empty progress file", 1, vec![write(PLA, "")], &[("missing-header", PLA, None)]),
        case(
            "progress file of no division, with did-you-mean",
            1,
            vec![write(
                "reports/2014/planing.csv",
                "date,item,value,note,evidence,reporter,filed\n",
            )],
            &[("unknown-division-file", "reports/2014/planing.csv", None)],
        ),
        case(
            "header: capitalised, repeated and unknown columns",
            1,
            vec![write(PLA, "Date,item,value,note,note,comment,reporter\n")],
            &[
                ("unknown-column", PLA, Some((1, 1))),
                ("duplicate-column", PLA, Some((1, 22))),
                ("unknown-column", PLA, Some((1, 27))),
            ],
        ),
        case(
            "header: required column missing",
            1,
            vec![write(PLA, "date,item,value,note\n")],
            &[("missing-column", PLA, Some((1, 1)))],
        ),
        case(
            "header: no filed column (warning only)",
            0,
            vec![write(
                PLA,
                "date,item,value,note,evidence,reporter\n2014-03-31,Q1.1,88.5,满意度调查,,梁海涛\n",
            )],
            &[("no-filed-column", PLA, Some((1, 1)))],
        ),
        case(
            "header: columns in another order",
            0,
            vec![write(
                PLA,
                "reporter,date,value,item,filed\n梁海涛,2014-03-31,88.5,Q1.1,2014-04-08\n",
            )],
            &[],
        ),
        case(
            "record: too many fields (unquoted comma)",
            1,
            vec![append(SEC, "2014-07-31,E1.2,60,办结3件,余2件,,林晓燕,2014-08-04\n")],
            &[("field-count", SEC, Some((6, 1)))],
        ),
        case(
            "record: unclosed quote",
            1,
            vec![append(PLA, "2014-04-30,Q1.1,88.5,\"未闭合,,梁海涛,2014-05-08\n2014-05-31,Q1.1,89,x,,梁海涛,2014-06-06\n")],
            &[("csv-syntax", PLA, Some((4, 22)))],
        )
        .absent(&["field-count"]),
        case(
            "conflict markers in a progress file",
            1,
            vec![append(
                SEC,
                "<<<<<<< HEAD\n2014-07-31,E1.2,60,x,,林晓燕,2014-08-04\n=======\n2014-07-31,E1.2,65,y,,林晓燕,2014-08-05\n>>>>>>> branch\n",
            )],
            &[
                ("conflict-marker", SEC, Some((6, 1))),
                ("conflict-marker", SEC, Some((8, 1))),
                ("conflict-marker", SEC, Some((10, 1))),
            ],
        )
        .absent(&["field-count", "invalid-date"]),
        case(
            "template: a block not closed",
            1,
            vec![write("templates/zh/summary.md", "# 报告\n{{ totals.items }\n")],
            &[("template-syntax", "templates/zh/summary.md", Some((2, 17)))],
        ),
        case(
            "Mac line ends (CR alone)",
            1,
            vec![write(
                SEC,
                "date,item,value,note,evidence,reporter,filed\r2014-07-31,E1.2,60,x,,林晓燕,2014-08-04\r",
            )],
            &[("cr-line-ends", SEC, None)],
        )
        .absent(&["invalid-date", "field-count"]),
        case(
            "value: more precise than a decimal holds",
            1,
            vec![append(
                SEC,
                "2014-07-31,E1.2,5.00000000000000000000000000001,x,,林晓燕,2014-08-04\n",
            )],
            &[("invalid-number", SEC, Some((6, 17)))],
        ),
        case(
            "date: Excel style",
            1,
            vec![append(SEC, "2014/7/31,E1.2,60,x,,林晓燕,2014-08-04\n")],
            &[("invalid-date", SEC, Some((6, 1)))],
        ),
        case(
            "date: signed year is not YYYY-MM-DD",
            1,
            vec![append(SEC, "+201-07-31,E1.2,60,x,,林晓燕,2014-08-04\n")],
            &[("invalid-date", SEC, Some((6, 1)))],
        )
        .absent(&["date-outside-year"]),
        case(
            "date: outside the file's year",
            1,
            vec![append(SEC, "2013-12-31,E1.1,1,x,,林晓燕,2014-01-03\n")],
            &[("date-outside-year", SEC, Some((6, 1)))],
        )
        .absent(&["before-start"]),
        case(
            "date: after today",
            1,
            vec![append(SEC, "2014-07-31,E1.2,60,x,,林晓燕,2014-07-14\n")],
            &[("date-in-future", SEC, Some((6, 1)))],
        )
        .today("2014-07-15"),
        case(
            "item: unknown, with did-you-mean",
            1,
            vec![append(SEC, "2014-07-31,E1.3,60,x,,林晓燕,2014-08-04\n")],
            &[("unknown-item", SEC, Some((6, 12)))],
        ),
        case(
            "item: led by another division",
            1,
            vec![append(SEC, "2014-07-31,Q1.1,60,x,,林晓燕,2014-08-04\n")],
            &[("item-not-led", SEC, Some((6, 12)))],
        ),
        case(
            "item: entries of a former lead stay valid",
            0,
            vec![
                Replace(PLAN, "lead = \"planning\"\n  owner = \"谢国栋\"", "lead = \"planning\"\n  former_leads = [\"secretariat\"]\n  owner = \"谢国栋\""),
                append(SEC, "2014-07-31,Q1.1,60,x,,林晓燕,2014-08-04\n"),
            ],
            &[],
        ),
        case(
            "note: longer than 2000 characters",
            1,
            vec![append(SEC, &format!("2014-07-31,E1.2,60,{long_note},,林晓燕,2014-08-04\n"))],
            &[("note-too-long", SEC, Some((6, 20)))],
        ),
        case(
            "note: control character",
            1,
            vec![append(SEC, "2014-07-31,E1.2,60,办结\u{7}3件,,林晓燕,2014-08-04\n")],
            &[("note-control-char", SEC, Some((6, 20)))],
        ),
        case(
            "note: lone carriage return",
            1,
            vec![append(SEC, "2014-07-31,E1.2,60,\"a\rb\",,林晓燕,2014-08-04\n")],
            &[("note-control-char", SEC, Some((6, 20)))],
        ),
        case(
            "value: nil return without a note",
            1,
            vec![append(SEC, "2014-07-31,E1.2,,,,林晓燕,2014-08-04\n")],
            &[("nil-without-note", SEC, Some((6, 17)))],
        ),
        case(
            "value: with a percent sign",
            1,
            vec![append(SEC, "2014-07-31,E1.2,5%,x,,林晓燕,2014-08-04\n")],
            &[("invalid-number", SEC, Some((6, 17)))],
        ),
        case(
            "value: full-width digits, thousands separator, spaces",
            1,
            vec![append(
                SEC,
                "2014-07-31,E1.2,６０,x,,林晓燕,2014-08-04\n2014-07-31,E1.1,\"1,200\",x,,林晓燕,2014-08-04\n2014-07-31,E1.2, 60,x,,林晓燕,2014-08-04\n",
            )],
            &[
                ("invalid-number", SEC, Some((6, 17))),
                ("invalid-number", SEC, Some((7, 17))),
                ("invalid-number", SEC, Some((8, 17))),
            ],
        ),
        case(
            "value: too many digits",
            1,
            vec![append(SEC, "2014-07-31,E1.1,123456789012345678901234567890,x,,林晓燕,2014-08-04\n")],
            &[("invalid-number", SEC, Some((6, 17)))],
        ),
        case(
            "value: task above 100",
            1,
            vec![append(SEC, "2014-07-31,E1.2,120,x,,林晓燕,2014-08-04\n")],
            &[("value-out-of-range", SEC, Some((6, 17)))],
        ),
        case(
            "value: `latest` number above max",
            1,
            vec![append(PLA, "2014-04-30,Q1.1,101,x,,梁海涛,2014-05-08\n")],
            &[("value-out-of-range", PLA, Some((4, 17)))],
        ),
        case(
            "value: `sum` running sum above max",
            1,
            vec![append(SEC, "2014-04-30,E1.1,47,x,,林晓燕,2014-05-06\n")],
            &[("value-out-of-range", SEC, Some((6, 17)))],
        ),
        case(
            "value: `sum` running sum below min (in date order, not line order)",
            1,
            vec![append(SEC, "2014-01-15,E1.1,-5,更正,,林晓燕,2014-05-06\n")],
            &[("value-out-of-range", SEC, Some((6, 17)))],
        ),
        case(
            "value: huge amounts of a `sum` item do not overflow",
            1,
            vec![append(
                SEC,
                "2014-04-30,E1.1,79228162514264337593543950335,x,,林晓燕,2014-05-06\n2014-05-31,E1.1,79228162514264337593543950335,x,,林晓燕,2014-06-06\n",
            )],
            &[
                ("value-out-of-range", SEC, Some((6, 17))),
                ("value-out-of-range", SEC, Some((7, 17))),
            ],
        ),
        case(
            "evidence: a path leading outside the workspace",
            1,
            vec![append(SEC, "2014-07-31,E1.2,60,x,../secret.pdf,林晓燕,2014-08-04\n")],
            &[("evidence-outside", SEC, Some((6, 22)))],
        ),
        case(
            "evidence: an absolute path",
            1,
            vec![append(SEC, "2014-07-31,E1.2,60,x,/etc/passwd,林晓燕,2014-08-04\n")],
            &[("evidence-outside", SEC, Some((6, 22)))],
        ),
        case(
            "evidence: a missing file (warning only)",
            0,
            vec![append(SEC, "2014-07-31,E1.2,60,x,docs/2014/none.pdf,林晓燕,2014-08-04\n")],
            &[("evidence-missing", SEC, Some((6, 22)))],
        ),
        case(
            "evidence: an existing file and a URL",
            0,
            vec![
                write("docs/2014/E1.2.pdf", "%PDF"),
                append(SEC, "2014-07-31,E1.2,60,x,docs/2014/E1.2.pdf,林晓燕,2014-08-04\n2014-08-31,E1.2,70,x,https://example.org/a.pdf,林晓燕,2014-09-04\n"),
            ],
            &[],
        ),
        case(
            "reporter: missing",
            1,
            vec![append(SEC, "2014-07-31,E1.2,60,x,,,2014-08-04\n")],
            &[("missing-reporter", SEC, Some((6, 23)))],
        ),
        case(
            "reporter: not of the division",
            1,
            vec![append(SEC, "2014-07-31,E1.2,60,x,,张三,2014-08-04\n")],
            &[("unknown-reporter", SEC, Some((6, 23)))],
        ),
        case(
            "reporter: leader, performance office staff, name with spaces",
            0,
            vec![append(
                SEC,
                "2014-07-31,E1.2,60,x,,陈志强,2014-08-04\n2014-08-31,E1.2,70,x,,王先义,2014-09-04\n2014-09-30,E1.2,80,x,,林 晓燕,2014-10-09\n",
            )],
            &[],
        ),
        case(
            "filed: before the date",
            1,
            vec![append(SEC, "2014-07-31,E1.2,60,x,,林晓燕,2014-07-30\n")],
            &[("invalid-filed", SEC, Some((6, 27)))],
        ),
        case(
            "filed: after today",
            1,
            vec![append(SEC, "2014-07-31,E1.2,60,x,,林晓燕,2014-08-04\n")],
            &[("invalid-filed", SEC, Some((6, 27)))],
        )
        .today("2014-08-01"),
        case(
            "filed: not a date",
            1,
            vec![append(SEC, "2014-07-31,E1.2,60,x,,林晓燕,2014/8/4\n")],
            &[("invalid-date", SEC, Some((6, 27)))],
        ),
        case(
            "entry after its item's due date (warning only)",
            0,
            vec![append(SEC, "2014-11-30,E1.2,90,x,,林晓燕,2014-12-04\n")],
            &[("after-due", SEC, Some((6, 1)))],
        ),
        case(
            "entry before its item's start (warning only)",
            0,
            vec![append(SEC, "2014-02-28,E1.2,5,x,,林晓燕,2014-03-04\n")],
            &[("before-start", SEC, Some((6, 1)))],
        ),
        case(
            "task progress going down (warning only)",
            0,
            vec![append(SEC, "2014-07-31,E1.2,40,x,,林晓燕,2014-08-04\n")],
            &[("progress-decrease", SEC, Some((6, 17)))],
        ),
        case(
            "a same-date correction is not a decrease",
            0,
            vec![append(
                SEC,
                "2014-06-30,E1.2,45,更正上半年进度,,林晓燕,2014-07-03\n2014-07-31,E1.2,46,x,,林晓燕,2014-08-04\n",
            )],
            &[],
        )
        .absent(&["progress-decrease"]),
        case(
            "task progress going down in a former lead's file",
            0,
            vec![
                Replace(PLAN, "  owner = \"林晓燕\"\n", "  owner = \"林晓燕\"\n  former_leads = [\"planning\"]\n"),
                append(PLA, "2014-07-31,E1.2,40,x,,梁海涛,2014-08-04\n"),
            ],
            &[("progress-decrease", PLA, Some((4, 17)))],
        ),
        case(
            "a running sum leaving its bounds in a former lead's file",
            1,
            vec![
                Replace(PLAN, "  max = 50\n", "  max = 50\n  former_leads = [\"planning\"]\n"),
                append(PLA, "2014-04-30,E1.1,47,x,,梁海涛,2014-05-08\n"),
            ],
            &[("value-out-of-range", PLA, Some((4, 17)))],
        ),
        case(
            "a duplicated record (warning only)",
            0,
            vec![append(SEC, "2014-06-30,E1.2,50,\"上半年过半,余下在办\",,林晓燕,2014-07-02\n")],
            &[("duplicate-entry", SEC, Some((6, 1)))],
        ),
        // ---- places: physical lines and characters -----------------------------------------
        case(
            "a record after a multi-line note is at its physical line",
            1,
            vec![append(
                SEC,
                "2014-07-31,E1.2,60,\"第一行\n第二行\",,林晓燕,2014-08-04\n2014-08-31,E1.2,5%,x,,林晓燕,2014-09-04\n",
            )],
            &[("invalid-number", SEC, Some((8, 17)))],
        ),
        case(
            "blank and white-space lines are ignored and counted",
            1,
            vec![append(PLA, "\n  \n\t\n2014-04-30,Q1.1,5%,x,,梁海涛,2014-05-08\n")],
            &[("invalid-number", PLA, Some((7, 17)))],
        )
        .absent(&["field-count"]),
        case(
            "CRLF line ends and a byte-order mark: places stay exact",
            1,
            vec![Write(
                SEC,
                "\u{feff}date,item,value,note,evidence,reporter,filed\r\n2014-01-31,E1.1,4,x,,林晓燕,2014-02-08\r\n\r\n2014-04-30,E1.2,5%,x,,林晓燕,2014-05-06\r\n"
                    .as_bytes()
                    .to_vec(),
            )],
            &[("invalid-number", SEC, Some((4, 17)))],
        ),
        case(
            "columns count characters, not bytes",
            1,
            vec![append(SEC, "2014-07-31,E1.2,60,办结三件,,王五,2014-08-04\n")],
            &[("unknown-reporter", SEC, Some((6, 26)))],
        ),
        // ---- options ------------------------------------------------------------------------
        case(
            "--strict makes warnings fail",
            1,
            vec![append(SEC, "2014-07-31,E1.2,40,x,,林晓燕,2014-08-04\n")],
            &[("progress-decrease", SEC, Some((6, 17)))],
        )
        .args(&["--strict"]),
        case(
            "--year keeps other years' problems out",
            0,
            vec![write("reports/2013/secretariat.csv", "")],
            &[],
        )
        .args(&["--year", "2014"])
        .absent(&["reports-without-plan"]),
        case(
            "--year of reports without a plan",
            1,
            vec![write("reports/2013/secretariat.csv", "")],
            &[("reports-without-plan", "reports/2013", None)],
        )
        .args(&["--year", "2013"]),
        case(
            "--year with nothing to check",
            2,
            vec![],
            &[],
        )
        .args(&["--year", "2012"]),
    ]
}

#[test]
fn every_case_of_the_battery() {
    let failures: Vec<String> = cases().iter().filter_map(run_case).collect();
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The rule codes in `src/check` and `src/workspace`: every kebab-case string literal there that
/// is passed as a code (a few literals are values, not codes).
fn codes_in_source() -> BTreeSet<String> {
    const NOT_CODES: &[&str] = &[
        "at-due",
        "half-yearly",
        // git subcommands run by `check --base` (src/workspace/git.rs)
        "rev-parse",
        "merge-base",
        "ls-tree",
        "cat-file",
        // words of documents (src/render)
        "time-proportional",
        "non-binding",
    ];
    let mut codes = BTreeSet::new();
    for dir in ["src/check", "src/workspace", "src/render"] {
        for entry in std::fs::read_dir(repo().join(dir)).expect("src dir") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
            for (i, lit) in text.split('"').enumerate() {
                let kebab = !lit.is_empty()
                    && lit.contains('-')
                    && !lit.starts_with('-')
                    && !lit.ends_with('-')
                    && lit
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                if i % 2 == 1 && kebab && !NOT_CODES.contains(&lit) {
                    codes.insert(lit.to_string());
                }
            }
        }
    }
    codes
}

#[test]
fn every_rule_code_has_a_case_and_a_doc_entry() {
    let codes = codes_in_source();
    assert!(codes.len() > 50, "found only {codes:?}");
    let mut covered: BTreeSet<String> = cases()
        .iter()
        .flat_map(|c| c.expect.iter().map(|e| e.0.to_string()))
        .collect();
    // The rules of `check --base` have their own battery, on git repositories.
    covered.extend(crate::base::covered_codes());
    let missing: Vec<_> = codes.difference(&covered).collect();
    assert!(missing.is_empty(), "codes without a case: {missing:?}");
    let docs = std::fs::read_to_string(repo().join("docs/checks.md")).expect("docs/checks.md");
    let undocumented: Vec<_> = codes
        .iter()
        .filter(|c| !docs.contains(&format!("### `{c}`")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "codes without a section in docs/checks.md: {undocumented:?}"
    );
}

#[test]
fn the_base_workspace_has_no_problems() {
    let dir = base();
    let (code, list, stderr) = check_json(dir.path(), TODAY, &[]);
    assert_eq!(
        (code, list.len(), stderr.as_str()),
        (0, 0, ""),
        "{}",
        show(&list)
    );
    let run = perf(dir.path(), &["check", "--today", TODAY, "--lang", "en"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, "check finished: 0 errors, 0 warnings\n");
}

#[test]
fn the_bundled_workspace_passes() {
    let run = perf(&repo(), &["check", "--today", "2015-06-01"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let run = perf(
        &repo(),
        &["check", "--today", "2015-06-01", "--format", "json"],
    );
    assert_eq!(run.stdout, "[]\n");
}

/// Encodings that must pass: a byte-order mark with CRLF everywhere, a header-only file, a file
/// without a final line end, blank lines, and files the reports folder ignores.
#[test]
fn accepted_encodings_and_shapes() {
    let dir = base();
    let root = dir.path();
    for file in [PERF, PLAN, SEC, PLA] {
        let text = std::fs::read_to_string(root.join(file)).expect("read");
        let mut bytes = "\u{feff}".as_bytes().to_vec();
        bytes.extend(text.replace('\n', "\r\n").as_bytes());
        std::fs::write(root.join(file), bytes).expect("write");
    }
    let (code, list, _) = check_json(root, TODAY, &[]);
    assert_eq!((code, list.len()), (0, 0), "BOM + CRLF:\n{}", show(&list));

    let cases: [(&str, Vec<Edit>); 4] = [
        (
            "header only",
            vec![write(PLA, "date,item,value,note,evidence,reporter,filed\n")],
        ),
        (
            "no final line end",
            vec![write(
                PLA,
                "date,item,value,note,evidence,reporter,filed\n2014-03-31,Q1.1,88.5,x,,梁海涛,2014-04-08",
            )],
        ),
        (
            "header only, without a line end",
            vec![write(PLA, "date,item,value,reporter,filed")],
        ),
        (
            "ignored files in reports/2014",
            vec![
                write("reports/2014/.gitkeep", ""),
                write("reports/2014/README.md", "# 进度\n"),
                write("reports/2014/.backup.csv", "garbage\n"),
                write("reports/2014/notes.txt", "\u{0}"),
            ],
        ),
    ];
    for (name, edits) in cases {
        let dir = base();
        apply(dir.path(), &edits);
        let (code, list, stderr) = check_json(dir.path(), TODAY, &[]);
        assert_eq!(
            (code, list.len()),
            (0, 0),
            "{name}:\n{}{stderr}",
            show(&list)
        );
    }
}

#[test]
fn not_utf8_help_names_gb18030_only_when_it_is() {
    let find = |edits: Vec<Edit>, file: &str| -> Value {
        let dir = base();
        apply(dir.path(), &edits);
        let (code, list, _) = check_json(dir.path(), TODAY, &["--lang", "en"]);
        assert_eq!(code, 1);
        list.into_iter()
            .find(|o| o["code"] == "not-utf8" && o["file"] == file)
            .unwrap_or_else(|| panic!("no not-utf8 for {file}"))
    };
    let gb = find(
        vec![Write(
            SEC,
            gb18030(
                "date,item,value,note,evidence,reporter,filed\n2014-01-31,E1.1,4,办结督查事项4件,,林晓燕,2014-02-08\n",
            ),
        )],
        SEC,
    );
    let help = gb["help"].as_str().expect("help");
    assert!(help.contains("GB18030"), "{help}");
    assert!(help.contains("iconv"), "{help}");
    assert!(gb["message"].as_str().expect("message").contains("line 2"));

    let raw = find(
        vec![Write(PLA, b"date,item\n\xff\xfe\x00\x81\n".to_vec())],
        PLA,
    );
    let help = raw["help"].as_str().expect("help");
    assert!(!help.contains("GB18030"), "{help}");
}

#[test]
fn no_workspace_is_an_environment_error() {
    let empty = tempfile::tempdir().expect("tempdir");
    let run = perf(empty.path(), &["check"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("perf init") && run.stderr.contains("perf.toml"),
        "{}",
        run.stderr
    );

    // Without --root: searched upwards from the current folder.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_perf"))
        .arg("check")
        .current_dir(empty.path())
        .env_remove("PERF_ROOT")
        .output()
        .expect("perf runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("perf init") && stderr.contains("--root"),
        "{stderr}"
    );

    // A plan without perf.toml is no workspace either.
    let dir = base();
    apply(dir.path(), &[Remove(PERF)]);
    assert_eq!(perf(dir.path(), &["check"]).code, 2);
}

#[test]
fn the_root_is_found_from_a_subfolder() {
    let dir = base();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_perf"))
        .args(["check", "--today", TODAY])
        .current_dir(dir.path().join("reports/2014"))
        .env_remove("PERF_ROOT")
        .env("NO_COLOR", "1")
        .output()
        .expect("perf runs");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn problems_are_sorted_by_file_line_and_column() {
    let dir = base();
    apply(
        dir.path(),
        &[
            append(
                SEC,
                "2014-07-31,E1.3,5%,x,,张三,2014-08-04\n2014-07-01,E1.2,,,,林晓燕,\n",
            ),
            Replace(PERF, "lang = \"zh\"", "lang = \"fr\""),
            Replace(PLAN, "target = 90", "target = 0"),
        ],
    );
    let (code, list, _) = check_json(dir.path(), TODAY, &[]);
    assert_eq!(code, 1);
    let keys: Vec<(String, u64, u64)> = list
        .iter()
        .map(|o| {
            (
                o["file"].as_str().unwrap_or_default().to_string(),
                o["line"].as_u64().unwrap_or(0),
                o["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(keys.len(), 6, "{}", show(&list));
}

// ---- human output, pinned ------------------------------------------------------------------

fn three_errors() -> tempfile::TempDir {
    let dir = base();
    apply(
        dir.path(),
        &[
            Replace(
                PLAN,
                "  owner = \"林晓燕\"\n",
                "  owner = \"林晓燕\"\n  descripton = \"按季度推进\"\n",
            ),
            append(
                SEC,
                "2014-07-31,E1.3,60,x,,林晓燕,2014-08-04\n2014-08-31,E1.2,5%,八月进度,,林晓燕,2014-09-04\n",
            ),
        ],
    );
    dir
}

const HUMAN_EN: &str = r#"error[unknown-key]: unknown key `descripton` in [[indicator.item]]
  --> indicators/2014/plan.toml:66:3
   |
66 |   descripton = "按季度推进"
   |   ^^^^^^^^^^
   |
   = help: did you mean `description`? allowed keys: id, name, lead, support, former_leads, owner, binding, kind, target, unit, direction, measure, start, due, schedule, cadence, weight, min, max, milestones, description

error[unknown-item]: no item `E1.3` in the 2014 plan
 --> reports/2014/secretariat.csv:6:12
  |
6 | 2014-07-31,E1.3,60,x,,林晓燕,2014-08-04
  |            ^^^^
  |
  = help: did you mean `E1.1`?

error[invalid-number]: `5%` is not a number of the accepted form
 --> reports/2014/secretariat.csv:7:17
  |
7 | 2014-08-31,E1.2,5%,八月进度,,林晓燕,2014-09-04
  |                 ^^
  |
  = help: write the plain number, without spaces, %, thousands separators or full-width digits: 5

check finished: 3 errors, 0 warnings
"#;

const HUMAN_ZH: &str = r#"error[unknown-key]: [[indicator.item]] 中有未知的键 `descripton`
  --> indicators/2014/plan.toml:66:3
   |
66 |   descripton = "按季度推进"
   |   ^^^^^^^^^^
   |
   = help: 是否应为 `description`？允许的键：id, name, lead, support, former_leads, owner, binding, kind, target, unit, direction, measure, start, due, schedule, cadence, weight, min, max, milestones, description

error[unknown-item]: 2014 年度没有细项 `E1.3`
 --> reports/2014/secretariat.csv:6:12
  |
6 | 2014-07-31,E1.3,60,x,,林晓燕,2014-08-04
  |            ^^^^
  |
  = help: 是否应为 `E1.1`？

error[invalid-number]: 数值 `5%` 格式不对
 --> reports/2014/secretariat.csv:7:17
  |
7 | 2014-08-31,E1.2,5%,八月进度,,林晓燕,2014-09-04
  |                 ^^
  |
  = help: 只写数字，不带空格、%、千位分隔符或全角数字：5

检查完成：3 个错误，0 个警告
"#;

#[test]
fn human_output_is_pinned_in_english() {
    let dir = three_errors();
    let run = perf(dir.path(), &["check", "--today", TODAY, "--lang", "en"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, HUMAN_EN);
    assert_eq!(run.stderr, "");
}

#[test]
fn human_output_is_pinned_in_chinese() {
    let dir = three_errors();
    // Chinese is perf.toml's `lang`; `--lang zh` says the same.
    for args in [
        &["check", "--today", TODAY][..],
        &["check", "--today", TODAY, "--lang", "zh"],
    ] {
        let run = perf(dir.path(), args);
        assert_eq!(run.code, 1);
        assert_eq!(run.stdout, HUMAN_ZH);
    }
}

#[test]
fn human_output_marks_a_whole_file_problem_without_a_line() {
    let dir = base();
    apply(dir.path(), &[write(PLA, "")]);
    let run = perf(dir.path(), &["check", "--today", TODAY, "--lang", "en"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.starts_with(
            "error[missing-header]: the file is empty: the header line is missing\n--> reports/2014/planning.csv\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with("check finished: 1 error, 0 warnings\n")
    );
}

// ---- CI formats ----------------------------------------------------------------------------

fn errors_and_a_warning() -> tempfile::TempDir {
    let dir = base();
    apply(
        dir.path(),
        &[
            append(
                SEC,
                "2014-07-31,E1.2,40,x,,林晓燕,2014-08-04\n2014-08-31,E1.2,5%,八月进度,,林晓燕,2014-09-04\n",
            ),
            write(
                "reports/2014/planing.csv",
                "date,item,value,reporter,filed\n",
            ),
        ],
    );
    dir
}

#[test]
fn github_format_prints_workflow_commands() {
    let dir = errors_and_a_warning();
    let run = perf(
        dir.path(),
        &[
            "check", "--today", TODAY, "--format", "github", "--lang", "en",
        ],
    );
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(
        lines[0].starts_with("::error file=reports/2014/planing.csv,title=unknown-division-file::"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with(
            "::warning file=reports/2014/secretariat.csv,line=6,col=17,title=progress-decrease::item E1.2's progress goes down"
        ),
        "{}",
        lines[1]
    );
    assert_eq!(
        lines[2],
        "::error file=reports/2014/secretariat.csv,line=7,col=17,title=invalid-number::`5%25` is not a number of the accepted form%0Awrite the plain number, without spaces, %25, thousands separators or full-width digits: 5"
    );
}

#[test]
fn gitlab_format_is_a_code_quality_report() {
    let dir = errors_and_a_warning();
    let run = perf(
        dir.path(),
        &["check", "--today", TODAY, "--format", "gitlab"],
    );
    assert_eq!(run.code, 1);
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let list = report.as_array().expect("array");
    assert_eq!(list.len(), 3);
    let severities: Vec<&str> = list
        .iter()
        .map(|o| o["severity"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(severities, ["major", "minor", "major"]);
    let names: Vec<&str> = list
        .iter()
        .map(|o| o["check_name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        [
            "unknown-division-file",
            "progress-decrease",
            "invalid-number"
        ]
    );
    assert_eq!(list[2]["location"]["path"], "reports/2014/secretariat.csv");
    assert_eq!(list[2]["location"]["lines"]["begin"], 7);
    let mut prints = BTreeSet::new();
    for o in list {
        let f = o["fingerprint"].as_str().expect("fingerprint");
        assert_eq!(f.len(), 64, "{f}");
        assert!(
            f.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{f}"
        );
        assert!(o["description"].as_str().is_some_and(|d| !d.is_empty()));
        prints.insert(f.to_string());
    }
    assert_eq!(prints.len(), 3, "fingerprints are distinct");
    // Stable from run to run.
    let again = perf(
        dir.path(),
        &["check", "--today", TODAY, "--format", "gitlab"],
    );
    assert_eq!(again.stdout, run.stdout);
}

#[test]
fn json_format_has_the_documented_keys() {
    let dir = errors_and_a_warning();
    let (code, list, _) = check_json(dir.path(), TODAY, &["--lang", "en"]);
    assert_eq!(code, 1);
    for o in &list {
        let keys: Vec<&str> = o
            .as_object()
            .expect("object")
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            keys,
            [
                "severity", "code", "message", "file", "line", "column", "help"
            ]
        );
    }
    assert_eq!(list[0]["line"], Value::Null);
    assert_eq!(list[1]["severity"], "warning");
    assert_eq!(list[2]["severity"], "error");
    assert_eq!(
        list[2]["message"],
        "`5%` is not a number of the accepted form"
    );
}

// ---- no input makes perf panic -------------------------------------------------------------

mod never_panics {
    use proptest::prelude::*;

    use super::*;

    /// Bytes that matter to TOML and CSV, plus some that are not UTF-8.
    fn interesting() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![
                any::<u8>(),
                prop::sample::select(b"\",\n\r=[]{}.-#'\\ 0123456789<>:/%\t".to_vec()),
                prop::sample::select(vec![0xe4u8, 0xb8, 0xad, 0xef, 0xbb, 0xbf, 0xff, 0xc0]),
            ],
            0..48,
        )
    }

    /// Bytes that replace a whole file (mode 0) or a slice `at..at + cut` of it (modes 1–3); the
    /// mode also picks the output format.
    fn mangled() -> impl Strategy<Value = (Vec<u8>, usize, usize, u8)> {
        (
            prop_oneof![interesting(), prop::collection::vec(any::<u8>(), 0..300)],
            any::<usize>(),
            0..40usize,
            0..4u8,
        )
    }

    fn run(
        file: &str,
        (bytes, at, cut, mode): (Vec<u8>, usize, usize, u8),
    ) -> Result<(), TestCaseError> {
        let dir = base();
        let path = dir.path().join(file);
        let mut content = std::fs::read(&path).expect("read");
        if mode == 0 {
            content = bytes;
        } else {
            let at = at % (content.len() + 1);
            let end = (at + cut).min(content.len());
            content.splice(at..end, bytes);
        }
        std::fs::write(&path, &content).expect("write");
        let format = ["human", "json", "github", "gitlab"][usize::from(mode)];
        let run = perf(dir.path(), &["check", "--today", TODAY, "--format", format]);
        prop_assert!(
            [0, 1, 2].contains(&run.code),
            "exit {} on {file} = {:?}\n{}",
            run.code,
            String::from_utf8_lossy(&content),
            run.stderr
        );
        prop_assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        if run.code != 0 {
            prop_assert!(!run.stdout.is_empty() || !run.stderr.is_empty());
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn in_perf_toml(input in mangled()) {
            run(PERF, input)?;
        }

        #[test]
        fn in_a_plan_file(input in mangled()) {
            run(PLAN, input)?;
        }

        #[test]
        fn in_a_progress_file(input in mangled()) {
            run(SEC, input)?;
        }
    }
}

/// A progress file saved as `secretariat.csv` where Windows hides the extension it adds is
/// `secretariat.csv.csv`: no division's file (its records would otherwise count twice), with a
/// help that says why; the status commands refuse to count it.
#[test]
fn a_doubled_csv_extension_is_no_divisions_file() {
    let dir = base();
    let text = std::fs::read(dir.path().join(SEC)).expect("read");
    std::fs::write(dir.path().join(format!("{SEC}.csv")), text).expect("write");
    let run = perf(dir.path(), &["check", "--today", TODAY, "--lang", "en"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "error[unknown-division-file]: `secretariat.csv` is not a division of 2014\n\
             --> reports/2014/secretariat.csv.csv\n \
             = help: the name ends in .csv twice (Windows may hide file extensions); these entries belong in secretariat.csv"
        ),
        "{}",
        run.stdout
    );
    let status = perf(dir.path(), &["status", "--today", TODAY, "--lang", "en"]);
    assert_eq!(status.code, 1, "{}{}", status.stdout, status.stderr);
    assert!(
        status.stderr.contains("no status was computed"),
        "{}",
        status.stderr
    );
}

#[test]
fn a_date_of_the_right_shape_but_no_such_day_is_explained() {
    let ws = base();
    apply(
        ws.path(),
        &[append(SEC, "2014-02-30,E1.2,60,x,,林晓燕,2014-03-04\n")],
    );
    let (code, list, _) = check_json(ws.path(), TODAY, &["--lang", "en"]);
    assert_eq!(code, 1);
    let date = list
        .iter()
        .find(|d| d["code"] == "invalid-date")
        .expect("an invalid-date");
    assert_eq!(
        date["help"],
        "2014-02-30 is not a day of the calendar: check the month and the day"
    );
}

#[test]
fn a_date_flag_written_otherwise_is_shown_its_iso_form() {
    for (flag, value, says) in [
        (
            "--today",
            "2014/7/1",
            "应写作 2014-07-01 (write it as 2014-07-01: YYYY-MM-DD)",
        ),
        ("--today", "2014年7月1日", "应写作 2014-07-01"),
        ("--today", "2014-02-30", "2014-02-30 不是日历上的日期"),
        (
            "--today",
            "tomorrow",
            "日期须写作 YYYY-MM-DD，如 2014-06-30",
        ),
    ] {
        let r = perf(&repo(), &[flag, value, "status"]);
        assert_eq!(r.code, 2, "{flag} {value}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{flag} {value}: {}", r.stderr);
    }
    let args: [&[&str]; 4] = [
        &["status", "--as-of", "2014/7/1"],
        &["summary", "--as-of", "2014/7/1"],
        &["export", "--as-of", "2014/7/1"],
        &["report", "list", "--from", "2014/7/1"],
    ];
    for args in args {
        let r = perf(&repo(), args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("应写作 2014-07-01"),
            "{args:?}: {}",
            r.stderr
        );
    }
    // chrono's reading, which takes a month or day of one digit, still holds.
    let r = perf(
        &repo(),
        &["--today", "2014-7-1", "status", "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("\"as_of\": \"2014-07-01\""),
        "{}",
        r.stdout
    );
}

#[test]
fn a_key_written_twice_is_one_error_naming_the_first() {
    // In the bundled workspace the divisions are defined in their own file: when it cannot be
    // read, the items of the other files must not each report their lead as unknown.
    let ws = copy_workspace(&repo());
    let org = ws.path().join("indicators/2014/00-organization.toml");
    let text = std::fs::read_to_string(&org).unwrap();
    let text = text.replacen(
        "leader = \"陈志强\"\n",
        "leader = \"陈志强\"\nleader = \"x\"\n",
        1,
    );
    std::fs::write(&org, text).unwrap();
    let (code, list, _) = check_json(ws.path(), TODAY, &["--lang", "en"]);
    assert_eq!(code, 1);
    assert_eq!(list.len(), 1, "{}", show(&list));
    let d = &list[0];
    assert_eq!(d["code"], "toml-syntax");
    assert_eq!(d["file"], "indicators/2014/00-organization.toml");
    let line = d["line"].as_u64().unwrap();
    assert_eq!(
        d["message"],
        format!(
            "TOML syntax error: the key `leader` appears twice in one table, first on line {}",
            line - 1
        )
    );
    assert_eq!(
        d["help"],
        "a key is written once per table: keep the right line and delete the other"
    );
}
