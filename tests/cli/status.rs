//! `perf status`: conformance cases, golden files of the bundled workspace, filters, formats and
//! exit codes.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{copy_workspace, fixture, perf, repo};

/// Parses `perf status --format json` output, failing with the run's stderr.
fn parse(stdout: &str, what: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{what}: not JSON ({e}):\n{stdout}"))
}

// ---------------------------------------------------------------------------------------------
// 1a. Conformance cases (tests/fixtures/conformance, see its README.md).
// ---------------------------------------------------------------------------------------------

/// Case folders, in name order.
fn conformance_cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixture("conformance"))
        .expect("conformance fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("case-"))
        })
        .collect();
    cases.sort();
    cases
}

/// A number of an expected file next to the engine's: both null, or both numbers within 1e-6.
fn close(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Null, Value::Null) => true,
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (
                a.as_f64().unwrap_or(f64::NAN),
                b.as_f64().unwrap_or(f64::NAN),
            );
            (a - b).abs() <= 1e-6
        }
        _ => false,
    }
}

/// Compares one expected status JSON with the engine's; returns every difference.
fn compare(label: &str, want: &Value, got: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    for key in ["year", "as_of", "known"] {
        if want.get(key).is_some() && want[key] != got[key] {
            diffs.push(format!(
                "{label}: {key}: want {} got {}",
                want[key], got[key]
            ));
        }
    }
    let want_items = want["items"].as_array().expect("expected items");
    let got_items = got["items"].as_array().expect("items");
    let want_ids: Vec<&Value> = want_items.iter().map(|i| &i["id"]).collect();
    let got_ids: Vec<&Value> = got_items.iter().map(|i| &i["id"]).collect();
    if want_ids != got_ids {
        diffs.push(format!(
            "{label}: item ids (plan order): want {want_ids:?} got {got_ids:?}"
        ));
        return diffs;
    }
    for (w, g) in want_items.iter().zip(got_items) {
        let id = w["id"].as_str().unwrap_or("?");
        for key in ["status", "light", "cards", "last_date", "entries"] {
            if w[key] != g[key] {
                diffs.push(format!(
                    "{label}: {id}.{key}: want {} got {}",
                    w[key], g[key]
                ));
            }
        }
        for key in ["value", "expected", "gap", "score"] {
            if !close(&w[key], &g[key]) {
                diffs.push(format!(
                    "{label}: {id}.{key}: want {} got {}",
                    w[key], g[key]
                ));
            }
        }
    }
    let (wt, gt) = (&want["totals"], &got["totals"]);
    for key in [
        "items",
        "done",
        "on_track",
        "behind",
        "missed",
        "not_reported",
        "not_started",
    ] {
        if wt[key] != gt[key] {
            diffs.push(format!(
                "{label}: totals.{key}: want {} got {}",
                wt[key], gt[key]
            ));
        }
    }
    for key in ["completion_rate", "score"] {
        if !close(&wt[key], &gt[key]) {
            diffs.push(format!(
                "{label}: totals.{key}: want {} got {}",
                wt[key], gt[key]
            ));
        }
    }
    diffs
}

#[test]
fn conformance_cases_match() {
    let cases = conformance_cases();
    assert!(cases.len() >= 4, "conformance cases are missing");
    let mut diffs = Vec::new();
    let mut runs = 0;
    for case in &cases {
        let mut files: Vec<PathBuf> = std::fs::read_dir(case.join("expected"))
            .expect("expected/")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{}: no expected files", case.display());
        for file in files {
            let want = parse(
                &std::fs::read_to_string(&file).expect("read expected"),
                &file.display().to_string(),
            );
            let year = want["year"].as_i64().expect("expected year");
            let year_s = year.to_string();
            let stem = file.file_stem().and_then(|s| s.to_str()).expect("stem");
            let today;
            let args: Vec<&str> = if stem.starts_with("default-after-") {
                today = format!("{}-06-01", year + 1);
                vec![
                    "--today", &today, "status", "--year", &year_s, "--format", "json",
                ]
            } else {
                vec![
                    "--today",
                    "2026-01-01",
                    "status",
                    "--year",
                    &year_s,
                    "--as-of",
                    stem,
                    "--format",
                    "json",
                ]
            };
            let label = format!(
                "{}/{}",
                case.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
                stem
            );
            let run = perf(case, &args);
            assert_eq!(run.code, 0, "{label}: exit code; stderr:\n{}", run.stderr);
            let got = parse(&run.stdout, &label);
            diffs.extend(compare(&label, &want, &got));
            runs += 1;
        }
    }
    assert!(runs >= 24, "only {runs} conformance runs");
    assert!(
        diffs.is_empty(),
        "{} differences from the conformance cases:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// 1b. Golden files of the bundled 2014 workspace.
// ---------------------------------------------------------------------------------------------

/// Compares `actual` with the golden file `tests/fixtures/golden/<name>`, or writes it when
/// `PERF_BLESS` is set (`PERF_BLESS=1 cargo test`).
fn golden(name: &str, actual: &str) {
    let path = fixture("golden").join(name);
    if std::env::var_os("PERF_BLESS").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir golden");
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    // A checkout with `core.autocrlf` may have turned the file's LFs into CRLFs.
    let want = std::fs::read_to_string(&path)
        .map(|s| s.replace("\r\n", "\n"))
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run `PERF_BLESS=1 cargo test` to create it",
                path.display()
            )
        });
    if want != actual {
        let first = want
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| want.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the output, first at line {}:\n  golden: {:?}\n  actual: {:?}\n\
             (if the change is intended, run `PERF_BLESS=1 cargo test` and review the diff)",
            path.display(),
            first + 1,
            want.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

fn status_json(root: &Path, today: &str, extra: &[&str]) -> String {
    let mut args = vec!["--today", today, "status", "--format", "json"];
    args.extend_from_slice(extra);
    let run = perf(root, &args);
    assert_eq!(
        run.code, 0,
        "perf status {extra:?}: stderr:\n{}",
        run.stderr
    );
    run.stdout
}

#[test]
fn golden_status_2014_03_31() {
    let out = status_json(&repo(), "2026-01-01", &["--as-of", "2014-03-31"]);
    golden("status-2014-03-31.json", &out);
}

#[test]
fn golden_status_2014_06_30() {
    let out = status_json(&repo(), "2026-01-01", &["--as-of", "2014-06-30"]);
    golden("status-2014-06-30.json", &out);
}

#[test]
fn golden_status_2014_09_30() {
    let out = status_json(&repo(), "2026-01-01", &["--as-of", "2014-09-30"]);
    golden("status-2014-09-30.json", &out);
}

#[test]
fn golden_status_2014_year_end() {
    let out = status_json(&repo(), "2015-06-01", &[]);
    golden("status-2014-year-end.json", &out);
}

/// Ids of the items with one status, in plan order.
fn ids_with(v: &Value, status: &str) -> Vec<String> {
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["status"] == status)
        .map(|i| i["id"].as_str().expect("id").to_string())
        .collect()
}

fn item<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id}"))
}

/// What the bundled data was designed to show at mid-year (README of the workspace).
#[test]
fn bundled_workspace_mid_year_shows_its_design() {
    let v = parse(
        &status_json(&repo(), "2026-01-01", &["--as-of", "2014-06-30"]),
        "2014-06-30",
    );
    assert_eq!(v["as_of"], "2014-06-30");
    assert_eq!(v["known"], "2014-06-30");
    assert_eq!(ids_with(&v, "done"), ["E1.2", "Q1.3"]);
    assert_eq!(ids_with(&v, "behind"), ["E2.2", "Q3.1", "X2.1"]);
    assert_eq!(ids_with(&v, "missed"), ["X3.2"]);
    assert_eq!(
        ids_with(&v, "not_reported"),
        ["R1.3", "Q2.2", "Q2.3", "S1.1", "S2.1"]
    );
    assert_eq!(ids_with(&v, "not_started"), ["R1.4", "Q3.3", "S2.2"]);
    assert_eq!(ids_with(&v, "on_track").len(), 19);
    assert_eq!(item(&v, "Q3.1")["light"], "yellow");
    assert_eq!(item(&v, "E2.2")["light"], "red");
    assert_eq!(item(&v, "X2.1")["light"], "red");
    assert_eq!(item(&v, "R1.3")["light"], "yellow");
    assert_eq!(item(&v, "Q2.2")["light"], "red");
    assert_eq!(item(&v, "Q2.2")["cards"]["red"], 2);
    let t = &v["totals"];
    assert_eq!(t["items"], 33);
    assert_eq!(
        format!("{:.1}", t["completion_rate"].as_f64().unwrap() * 100.0),
        "6.1"
    );
    assert_eq!(format!("{:.2}", t["score"].as_f64().unwrap()), "42.44");
}

#[test]
fn bundled_workspace_year_end_shows_its_design() {
    let v = parse(&status_json(&repo(), "2015-06-01", &[]), "year end");
    assert_eq!(v["as_of"], "2014-12-31");
    assert_eq!(v["known"], "2015-03-31");
    assert_eq!(ids_with(&v, "done").len(), 29);
    assert_eq!(ids_with(&v, "missed"), ["E2.2", "X1.1", "X3.2", "S2.1"]);
    let t = &v["totals"];
    assert_eq!(
        format!("{:.1}", t["completion_rate"].as_f64().unwrap() * 100.0),
        "87.9"
    );
    assert_eq!(format!("{:.2}", t["score"].as_f64().unwrap()), "98.60");
}

// ---------------------------------------------------------------------------------------------
// 1c. Filters, --fail-on, --as-of bounds, formats, data errors.
// ---------------------------------------------------------------------------------------------

const MID: [&str; 4] = ["--today", "2026-01-01", "status", "--as-of"];

fn status_at(root: &Path, as_of: &str, extra: &[&str]) -> crate::common::Run {
    let mut args: Vec<&str> = MID.to_vec();
    args.push(as_of);
    args.extend_from_slice(extra);
    perf(root, &args)
}

#[test]
fn division_filter_keeps_the_items_it_leads_and_totals_cover_them() {
    let all = parse(
        &status_at(&repo(), "2014-06-30", &["--format", "json"]).stdout,
        "all",
    );
    let run = status_at(
        &repo(),
        "2014-06-30",
        &["--format", "json", "--division", "secretariat"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = parse(&run.stdout, "secretariat");
    let items = v["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|i| i["lead"] == "secretariat"));
    let expected: Vec<&Value> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["lead"] == "secretariat")
        .collect();
    assert_eq!(items.len(), expected.len());
    let t = &v["totals"];
    assert_eq!(t["items"].as_u64().unwrap() as usize, items.len());
    let counted: u64 = [
        "done",
        "on_track",
        "behind",
        "missed",
        "not_reported",
        "not_started",
    ]
    .iter()
    .map(|k| t[*k].as_u64().unwrap())
    .sum();
    assert_eq!(counted as usize, items.len());
    let done = items.iter().filter(|i| i["status"] == "done").count() as u64;
    assert_eq!(t["done"].as_u64().unwrap(), done);
    // The score covers only these items: it is not the office's.
    assert_ne!(t["score"], all["totals"]["score"]);
}

#[test]
fn category_filter_keeps_its_items_and_totals_cover_them() {
    let run = status_at(
        &repo(),
        "2014-06-30",
        &["--format", "json", "--category", "expenditure"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = parse(&run.stdout, "expenditure");
    let items = v["items"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["X1.1", "X1.2", "X2.1", "X2.2", "X3.1", "X3.2"]);
    assert!(items.iter().all(|i| i["category"] == "expenditure"));
    let t = &v["totals"];
    assert_eq!(t["items"], 6);
    assert_eq!(t["behind"], 1);
    assert_eq!(t["missed"], 1);
    assert_eq!(t["on_track"], 4);
    // Both filters together: the intersection.
    let run = status_at(
        &repo(),
        "2014-06-30",
        &[
            "--format",
            "json",
            "--category",
            "expenditure",
            "--division",
            "planning",
        ],
    );
    let v = parse(&run.stdout, "expenditure ∩ planning");
    let ids: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["X3.2"]);
    assert_eq!(v["totals"]["items"], 1);
    assert_eq!(v["totals"]["missed"], 1);
    assert_eq!(v["totals"]["completion_rate"].as_f64(), Some(0.0));
}

#[test]
fn unknown_division_or_category_is_a_usage_error() {
    let run = status_at(&repo(), "2014-06-30", &["--division", "nosuch"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("nosuch"), "{}", run.stderr);
    let run = status_at(&repo(), "2014-06-30", &["--category", "nosuch"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn fail_on_exit_codes() {
    let root = repo();
    // The exit code of every flag at two dates agrees with the statuses of the JSON output.
    let bad = |v: &Value, binding_only: bool| {
        v["items"].as_array().unwrap().iter().any(|i| {
            (!binding_only || i["binding"] == true)
                && (i["status"] == "behind"
                    || i["status"] == "missed"
                    || (i["status"] == "not_reported" && i["light"] != "green"))
        })
    };
    let missed = |v: &Value| !ids_with(v, "missed").is_empty();
    for (as_of, flag) in [
        ("2014-03-31", "behind"),
        ("2014-03-31", "missed"),
        ("2014-03-31", "binding"),
        ("2014-06-30", "behind"),
        ("2014-06-30", "missed"),
        ("2014-06-30", "binding"),
    ] {
        let v = parse(
            &status_at(&root, as_of, &["--format", "json"]).stdout,
            as_of,
        );
        let want = match flag {
            "behind" => bad(&v, false),
            "missed" => missed(&v),
            _ => bad(&v, true),
        };
        let run = status_at(&root, as_of, &["--format", "json", "--fail-on", flag]);
        assert_eq!(
            run.code,
            i32::from(want),
            "--as-of {as_of} --fail-on {flag}: {}",
            run.stderr
        );
        // The output is printed either way.
        assert_eq!(parse(&run.stdout, flag), v);
    }
    // Mid-year there are items behind (E2.2, Q3.1, X2.1) and missed (X3.2).
    assert_eq!(
        status_at(&root, "2014-06-30", &["--fail-on", "behind"]).code,
        1
    );
    assert_eq!(
        status_at(&root, "2014-06-30", &["--fail-on", "missed"]).code,
        1
    );
    // 2014-03-31, inspection: R1.2 (not binding) is behind, S2.1 (binding) not reported with a
    // green light, nothing missed.
    for (flag, code) in [("behind", 1), ("binding", 0), ("missed", 0)] {
        let run = status_at(
            &root,
            "2014-03-31",
            &["--division", "inspection", "--fail-on", flag],
        );
        assert_eq!(run.code, code, "03-31 inspection --fail-on {flag}");
    }
    // 2014-06-30, coordination: R1.3 is not reported with a yellow light, which counts as behind.
    for (flag, code) in [("behind", 1), ("binding", 0), ("missed", 0)] {
        let run = status_at(
            &root,
            "2014-06-30",
            &["--division", "coordination", "--fail-on", flag],
        );
        assert_eq!(run.code, code, "06-30 coordination --fail-on {flag}");
    }
    // 2014-09-30: X3.1 (binding) is missed.
    assert_eq!(
        status_at(&root, "2014-09-30", &["--fail-on", "binding"]).code,
        1
    );
    // Filtering to a division whose items are all fine passes.
    let run = status_at(
        &root,
        "2014-06-30",
        &["--division", "hkmacao", "--fail-on", "behind"],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    // Without --fail-on, a bad status is still exit 0.
    assert_eq!(status_at(&root, "2014-06-30", &[]).code, 0);
}

#[test]
fn fail_on_binding_looks_at_binding_items_only() {
    let v = parse(
        &status_at(&repo(), "2014-06-30", &["--format", "json"]).stdout,
        "06-30",
    );
    let binding_bad: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["binding"] == true
                && (i["status"] == "behind"
                    || i["status"] == "missed"
                    || (i["status"] == "not_reported" && i["light"] != "green"))
        })
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    // Restrict to one item of each kind via --division, where possible.
    for div in [
        "secretariat",
        "planning",
        "inspection",
        "coordination",
        "general",
        "personnel",
        "hkmacao",
    ] {
        let sub = parse(
            &status_at(
                &repo(),
                "2014-06-30",
                &["--format", "json", "--division", div],
            )
            .stdout,
            div,
        );
        let want = sub["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| binding_bad.contains(&i["id"].as_str().unwrap()));
        let run = status_at(
            &repo(),
            "2014-06-30",
            &["--division", div, "--fail-on", "binding"],
        );
        assert_eq!(run.code, i32::from(want), "--division {div}");
    }
}

#[test]
fn as_of_outside_the_year_or_after_today_is_a_usage_error() {
    let root = repo();
    for (today, as_of) in [
        ("2026-01-01", "2013-12-31"),
        ("2026-01-01", "2015-04-01"),
        ("2026-01-01", "2016-01-01"),
        ("2014-06-30", "2014-07-01"),
    ] {
        let run = perf(
            &root,
            &[
                "--today", today, "status", "--year", "2014", "--as-of", as_of,
            ],
        );
        assert_eq!(
            run.code, 2,
            "--today {today} --as-of {as_of}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty());
        assert!(run.stderr.contains(as_of), "{}", run.stderr);
    }
    // The bounds themselves are allowed.
    for (today, as_of) in [
        ("2026-01-01", "2014-01-01"),
        ("2026-01-01", "2015-03-31"),
        ("2014-06-30", "2014-06-30"),
    ] {
        let run = perf(
            &root,
            &[
                "--today", today, "status", "--year", "2014", "--as-of", as_of, "--format", "json",
            ],
        );
        assert_eq!(
            run.code, 0,
            "--today {today} --as-of {as_of}: {}",
            run.stderr
        );
        let v = parse(&run.stdout, as_of);
        assert_eq!(v["as_of"], as_of);
        assert_eq!(v["known"], as_of);
    }
    // A malformed date is a usage error too.
    let run = status_at(&root, "2014/06/30", &[]);
    assert_eq!(run.code, 2);
}

#[test]
fn default_dates_follow_today() {
    let root = repo();
    // During the year: D = K = today.
    let v = parse(&status_json(&root, "2014-07-02", &[]), "07-02");
    assert_eq!(
        (v["as_of"].as_str(), v["known"].as_str()),
        (Some("2014-07-02"), Some("2014-07-02"))
    );
    // In the next year's first quarter: D = 31 December, K = today.
    let v = parse(
        &status_json(&root, "2015-02-10", &["--year", "2014"]),
        "02-10",
    );
    assert_eq!(
        (v["as_of"].as_str(), v["known"].as_str()),
        (Some("2014-12-31"), Some("2015-02-10"))
    );
    // --today in the past reproduces that day: the same as --as-of that day.
    let a = status_json(&root, "2014-06-30", &[]);
    let b = status_json(&root, "2026-01-01", &["--as-of", "2014-06-30"]);
    assert_eq!(a, b);
}

#[test]
fn table_has_the_totals_line_in_both_languages() {
    let root = repo();
    let run = status_at(&root, "2014-06-30", &["--lang", "en"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "33 items: 2 done, 19 on track, 3 behind, 1 missed, 5 not reported, 3 not started; completion 6.1%, score 42.44"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("as of 2014-06-30"));
    for id in ["R1.1", "E2.2", "S2.2"] {
        assert!(run.stdout.contains(id), "{id} missing:\n{}", run.stdout);
    }
    // No colour codes when NO_COLOR is set (the helper sets it).
    assert!(!run.stdout.contains('\u{1b}'));
    let run = status_at(&root, "2014-06-30", &["--lang", "zh"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "共 33 项：已完成 2，正常推进 19，进度滞后 3，未完成 1，未报送 5，未开始 3；完成率 6.1%，得分 42.44"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("进度滞后") && run.stdout.contains("红灯"));
}

#[test]
fn markdown_has_one_row_per_item() {
    let run = status_at(
        &repo(),
        "2014-06-30",
        &["--format", "markdown", "--lang", "en"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with('|')).collect();
    // Header, separator, 33 items.
    assert_eq!(rows.len(), 2 + 33, "{}", run.stdout);
    assert!(rows[1].starts_with("|---|"));
    let cols = rows[0].matches(" | ").count();
    for r in &rows[2..] {
        assert_eq!(r.matches(" | ").count(), cols, "row {r}");
    }
    assert!(
        rows[2].starts_with("| R1\\.1 |") || rows[2].starts_with("| R1.1 |"),
        "{}",
        rows[2]
    );
    assert!(run.stdout.contains("33 items"));
    // A filter keeps fewer rows.
    let run = status_at(
        &repo(),
        "2014-06-30",
        &["--format", "markdown", "--division", "hkmacao"],
    );
    let rows = run.stdout.lines().filter(|l| l.starts_with('|')).count();
    let n = parse(
        &status_at(
            &repo(),
            "2014-06-30",
            &["--format", "json", "--division", "hkmacao"],
        )
        .stdout,
        "hkmacao",
    )["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(rows, 2 + n);
}

#[test]
fn csv_has_one_row_per_item() {
    let run = status_at(&repo(), "2014-06-30", &["--format", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut rdr = csv::Reader::from_reader(run.stdout.as_bytes());
    let headers = rdr.headers().expect("header").clone();
    for col in [
        "id",
        "status",
        "light",
        "value",
        "score",
        "cards_yellow",
        "cards_red",
    ] {
        assert!(headers.iter().any(|h| h == col), "no column {col}");
    }
    let records: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("record")).collect();
    assert_eq!(records.len(), 33);
    let json = parse(
        &status_at(&repo(), "2014-06-30", &["--format", "json"]).stdout,
        "json",
    );
    let pos = |name: &str| headers.iter().position(|h| h == name).unwrap();
    for (rec, item) in records.iter().zip(json["items"].as_array().unwrap()) {
        assert_eq!(rec.len(), headers.len());
        assert_eq!(&rec[pos("id")], item["id"].as_str().unwrap());
        assert_eq!(&rec[pos("status")], item["status"].as_str().unwrap());
        assert_eq!(&rec[pos("light")], item["light"].as_str().unwrap());
        assert_eq!(
            rec[pos("cards_red")].parse::<u64>().unwrap(),
            item["cards"]["red"].as_u64().unwrap()
        );
        // Numbers are plain decimals (no exponent), equal to the JSON's.
        for col in ["target", "value", "expected", "gap", "score"] {
            let text = &rec[pos(col)];
            if text.is_empty() {
                assert!(item[col].is_null(), "{col} of {}", item["id"]);
                continue;
            }
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-'),
                "{col}: {text}"
            );
            let want = item[col].as_f64().unwrap();
            assert!(
                (text.parse::<f64>().unwrap() - want).abs() <= 1e-6,
                "{col}: {text} vs {want}"
            );
        }
    }
}

#[test]
fn status_refuses_a_workspace_with_data_errors() {
    let ws = copy_workspace(&repo());
    let file = ws.path().join("reports/2014/secretariat.csv");
    let mut text = std::fs::read_to_string(&file).expect("read");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("2014-05-31,E1.1,12 件,,,nobody,2014-06-01\n");
    std::fs::write(&file, text).expect("write");
    for format in ["json", "table"] {
        let run = status_at(
            ws.path(),
            "2014-06-30",
            &["--format", format, "--lang", "en"],
        );
        assert_eq!(run.code, 1, "{format}: {}{}", run.stdout, run.stderr);
        assert!(run.stdout.is_empty(), "{format}: {}", run.stdout);
        assert!(run.stderr.contains("error["), "{}", run.stderr);
        assert!(
            run.stderr.contains("reports/2014/secretariat.csv"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("no status was computed"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn status_without_a_workspace_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = perf(dir.path(), &["--today", "2014-06-30", "status"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn later_filed_entries_are_not_yet_known() {
    // An entry filed after K does not count, even when dated before D.
    let ws = copy_workspace(&repo());
    let file = ws.path().join("reports/2014/coordination.csv");
    let mut text = std::fs::read_to_string(&file).expect("read");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let before = parse(
        &status_at(ws.path(), "2014-06-30", &["--format", "json"]).stdout,
        "before",
    );
    text.push_str("2014-06-30,E4.1,100,late,,许佳琪,2014-07-15\n");
    std::fs::write(&file, text).expect("write");
    let after = parse(
        &status_at(ws.path(), "2014-06-30", &["--format", "json"]).stdout,
        "after",
    );
    assert_eq!(item(&after, "E4.1"), item(&before, "E4.1"));
    let later = parse(
        &status_at(ws.path(), "2014-07-15", &["--format", "json"]).stdout,
        "later",
    );
    assert_eq!(item(&later, "E4.1")["status"], "done");
    assert_eq!(item(&later, "E4.1")["last_date"], "2014-06-30");
}

#[test]
fn a_sum_beyond_the_range_of_numbers_does_not_panic() {
    // Two values that fit, whose sum does not (Decimal holds about 7.9 × 10^28).
    let ws = copy_workspace(&repo());
    let file = ws.path().join("reports/2014/general.csv");
    let mut text = std::fs::read_to_string(&file).expect("read");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("2014-03-31,Q1.1,50000000000000000000000000000,,,周敏,2014-04-01\n");
    text.push_str("2014-04-30,Q1.1,50000000000000000000000000000,,,周敏,2014-05-01\n");
    std::fs::write(&file, text).expect("write");
    for format in ["json", "table", "markdown", "csv"] {
        let run = status_at(ws.path(), "2014-06-30", &["--format", format]);
        assert!(!run.stderr.contains("panicked"), "{format}: {}", run.stderr);
        assert!(
            run.code == 0 || run.code == 1,
            "{format}: exit {}: {}",
            run.code,
            run.stderr
        );
        if run.code == 0 && format == "json" {
            let v = parse(&run.stdout, "huge");
            assert_eq!(item(&v, "Q1.1")["status"], "done");
            let s = v["totals"]["score"].as_f64().unwrap();
            assert!((0.0..=100.0).contains(&s));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The rules that only warn (decision 40).
// ---------------------------------------------------------------------------------------------

#[test]
fn the_status_scan_folds_the_same_without_the_rules_that_only_warn() {
    use perf::check::{ScanOptions, scan_year};
    use perf::diag::Severity;
    use perf::status::Dates;

    let ws = copy_workspace(&repo());
    let file = ws.path().join("reports/2014/coordination.csv");
    let mut text = std::fs::read_to_string(&file).unwrap();
    let last = text.lines().last().unwrap().to_string();
    // A duplicate record, and an entry whose evidence file does not exist.
    text += &format!("{last}\n");
    text += "2014-12-31,E3.1,3.5,全年月均办结时限4.0个工作日,docs/none.pdf,何俊峰,2015-01-06\n";
    std::fs::write(&file, text).unwrap();
    let r = perf(
        ws.path(),
        &["--today", "2015-03-01", "check", "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    for code in ["duplicate-entry", "evidence-missing"] {
        assert!(r.stdout.contains(code), "{code}: {}", r.stdout);
    }

    let workspace = perf::workspace::Workspace::open(ws.path().to_path_buf()).unwrap();
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let dates = [
        Dates::at(day("2014-12-31")),
        Dates {
            as_of: day("2014-06-30"),
            known: day("2014-07-20"),
        },
    ];
    let scan = |warnings| {
        let opts = ScanOptions {
            today: day("2015-03-01"),
            refuse_future: false,
            warnings,
            keep_folds: true,
        };
        scan_year(&workspace, 2014, opts, &dates).unwrap()
    };
    let (with, without) = (scan(true), scan(false));
    let count = |s: &perf::check::YearScan, severity| {
        s.diags.iter().filter(|d| d.severity == severity).count()
    };
    assert!(count(&with, Severity::Warning) >= 2);
    assert_eq!(count(&without, Severity::Warning), 0);
    assert_eq!(
        count(&with, Severity::Error),
        count(&without, Severity::Error)
    );
    assert_eq!(
        format!("{:?}", with.states),
        format!("{:?}", without.states)
    );
}

/// Items led by one division alone are evaluated as their lead's file is done (`scan_year`); the
/// statuses are those of evaluating every final fold afterwards, including E4.1's, whose entries
/// are in its former lead's file too, and the same whether the folds are kept or made again.
#[test]
fn statuses_evaluated_during_the_scan_are_those_of_the_final_folds() {
    use perf::check::{ScanOptions, scan_year};
    use perf::status::{Dates, evaluate_all};

    // Files are read largest first: E4.1's lead's file is made the larger, so that it is done
    // before its former lead's (whose entries an early evaluation would miss).
    let ws = copy_workspace(&repo());
    let file = ws.path().join("reports/2014/hkmacao.csv");
    let mut text = std::fs::read_to_string(&file).unwrap();
    for _ in 0..40 {
        text += "2014-06-19,E4.2,,本期无新增进展（零报告）,,邓雅雯,2014-06-20\n";
    }
    std::fs::write(&file, text).unwrap();
    let workspace = perf::workspace::Workspace::open(ws.path().to_path_buf()).unwrap();
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let dates: Vec<Dates> = ["2014-03-31", "2014-07-31", "2014-09-30", "2014-12-31"]
        .into_iter()
        .map(|d| Dates::at(day(d)))
        .collect();
    let opts = ScanOptions {
        today: day("2015-03-01"),
        refuse_future: false,
        warnings: false,
        keep_folds: true,
    };
    let scan = scan_year(&workspace, 2014, opts, &dates).unwrap();
    // The status commands do not keep the folds: a fold evaluated during the scan is made again
    // for an item of a later file. The statuses are the same.
    let unkept = ScanOptions {
        keep_folds: false,
        ..opts
    };
    let unkept = scan_year(&workspace, 2014, unkept, &dates).unwrap();
    assert_eq!(
        format!("{:?}", unkept.statuses),
        format!("{:?}", scan.statuses)
    );
    let e41 = scan.plan.items.iter().position(|i| i.id == "E4.1").unwrap();
    assert!(!scan.plan.items[e41].former_leads.is_empty());
    for (k, dt) in dates.iter().enumerate() {
        let after = evaluate_all(&scan.plan, &scan.states[k], *dt, &workspace.settings);
        assert_eq!(
            format!("{:?}", scan.statuses[k]),
            format!("{after:?}"),
            "as of {}",
            dt.as_of
        );
    }
    // E4.1 was reported by both divisions: by the end of September its fold holds entries of both
    // files.
    assert!(scan.statuses[2][e41].entries > 0);
}
