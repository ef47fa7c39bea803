//! `perf init`, `codeowners`, `fix-encoding`, `completions`, `man`: adopting perf in an afternoon.

use std::fs;
use std::process::Command;

use crate::common::{perf, repo};

fn perf_in(dir: &std::path::Path, args: &[&str]) -> crate::common::Run {
    let out = Command::new(env!("CARGO_BIN_EXE_perf"))
        .current_dir(dir)
        .args(args)
        .env_remove("PERF_ROOT")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    crate::common::Run::of(out)
}

#[test]
fn init_creates_a_workspace_that_passes_check_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let r = perf_in(
        tmp.path(),
        &[
            "init",
            "ws",
            "--year",
            "2015",
            "--office",
            "深圳市\"测试\"办公室",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ws = tmp.path().join("ws");
    for f in [
        "perf.toml",
        "indicators/2015/plan.toml",
        "reports/2015/.gitkeep",
        ".gitattributes",
        ".gitignore",
        ".github/workflows/perf.yml",
        ".gitlab-ci.yml",
        ".pre-commit-config.yaml",
    ] {
        assert!(ws.join(f).is_file(), "{f} missing");
    }
    assert!(
        fs::read_to_string(ws.join(".gitattributes"))
            .unwrap()
            .contains("reports/**/*.csv merge=union")
    );
    let gh = fs::read_to_string(ws.join(".github/workflows/perf.yml")).unwrap();
    assert!(gh.contains("fetch-depth: 0") && gh.contains("perf check --format github --base"));
    let gl = fs::read_to_string(ws.join(".gitlab-ci.yml")).unwrap();
    assert!(
        gl.contains("codequality: gl-code-quality-report.json") && gl.contains("--format gitlab")
    );
    let r = perf(&ws, &["--today", "2015-02-01", "check", "--strict"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.ends_with("检查完成：0 个错误，0 个警告\n"));
    // The example entries a liaison would add work on it too.
    let r = perf(
        &ws,
        &[
            "--today",
            "2015-02-01",
            "report",
            "add",
            "E1.1",
            "10",
            "--reporter",
            "联络员姓名",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Again: refuses, names the files, changes nothing.
    let before = fs::read(ws.join("perf.toml")).unwrap();
    let r = perf_in(tmp.path(), &["init", "ws", "--year", "2015"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("perf.toml") && r.stderr.contains("不会覆盖已有文件"),
        "{}",
        r.stderr
    );
    assert_eq!(fs::read(ws.join("perf.toml")).unwrap(), before);
}

#[test]
fn codeowners_lists_every_division_file() {
    let r = perf(&repo(), &["codeowners"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("/indicators/ @perf-office\n"));
    for d in [
        "secretariat",
        "general",
        "planning",
        "coordination",
        "inspection",
        "hkmacao",
        "personnel",
    ] {
        assert!(
            r.stdout
                .contains(&format!("/reports/2014/{d}.csv @port-{d}\n")),
            "{d}: {}",
            r.stdout
        );
    }
}

/// A valid progress file of a workspace made by `perf init --year 2015`.
const ONE_ENTRY: &str = "date,item,value,note,evidence,reporter,filed\n2015-01-31,E1.1,10,办结督查事项,,联络员姓名,2015-02-03\n";

/// A fresh workspace of `perf init --year 2015` (its folder, to keep), its root and its
/// secretariat's progress file.
fn new_2015_workspace() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    assert_eq!(
        perf_in(tmp.path(), &["init", "ws", "--year", "2015"]).code,
        0
    );
    let csv = ws.join("reports/2015/secretariat.csv");
    (tmp, ws, csv)
}

/// `perf check --format json` in English on 1 March 2015.
fn check_2015_json(ws: &std::path::Path) -> crate::common::Run {
    perf(
        ws,
        &[
            "--today",
            "2015-03-01",
            "--lang",
            "en",
            "check",
            "--format",
            "json",
        ],
    )
}

#[test]
fn a_gbk_file_is_refused_then_accepted_after_fix_encoding() {
    let (_tmp, ws, csv) = new_2015_workspace();
    let text = ONE_ENTRY;
    let (gbk, _, _) = encoding_rs::GB18030.encode(text);
    fs::write(&csv, &gbk).unwrap();
    let r = check_2015_json(&ws);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("\"not-utf8\"")
            && r.stdout
                .contains("perf fix-encoding reports/2015/secretariat.csv"),
        "{}",
        r.stdout
    );
    let r = perf_in(&ws, &["fix-encoding", "reports/2015/secretariat.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "reports/2015/secretariat.csv：已由 GB18030 转为 UTF-8（2 行）\n"
    );
    assert_eq!(fs::read_to_string(&csv).unwrap(), text);
    assert_eq!(perf(&ws, &["--today", "2015-03-01", "check"]).code, 0);
    let r = perf_in(&ws, &["fix-encoding", "reports/2015/secretariat.csv"]);
    assert!(r.stdout.contains("已是 UTF-8，未改动"));
    let r = perf_in(
        &ws,
        &[
            "--lang",
            "en",
            "fix-encoding",
            "reports/2015/secretariat.csv",
        ],
    );
    assert!(r.stdout.contains("already UTF-8, unchanged"));
}

#[test]
fn a_file_with_mac_line_ends_is_refused_then_accepted_after_fix_encoding() {
    let (_tmp, ws, csv) = new_2015_workspace();
    let text = ONE_ENTRY;
    // Excel for Mac's "CSV (Macintosh)": CR line ends, and GB18030 on a Chinese system.
    let mac = text.replace('\n', "\r");
    let (gbk, _, _) = encoding_rs::GB18030.encode(&mac);
    let cases = [
        (mac.clone().into_bytes(), "行尾已由 CR 改为 LF"),
        (
            gbk.into_owned(),
            "已由 GB18030 转为 UTF-8，行尾由 CR 改为 LF",
        ),
    ];
    for (bytes, done) in cases {
        fs::write(&csv, &bytes).unwrap();
        if std::str::from_utf8(&bytes).is_ok() {
            let r = check_2015_json(&ws);
            assert_eq!(r.code, 1);
            let list = crate::common::diagnostics(&r.stdout);
            assert_eq!(list.len(), 1, "{}", r.stdout);
            assert_eq!(list[0]["code"], "cr-line-ends");
            assert_eq!(list[0]["file"], "reports/2015/secretariat.csv");
            assert!(
                list[0]["help"]
                    .as_str()
                    .unwrap()
                    .starts_with("run `perf fix-encoding reports/2015/secretariat.csv`")
            );
        }
        let r = perf_in(&ws, &["fix-encoding", "reports/2015/secretariat.csv"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(
            r.stdout,
            format!("reports/2015/secretariat.csv：{done}（2 行）\n")
        );
        assert_eq!(fs::read_to_string(&csv).unwrap(), text);
        assert_eq!(perf(&ws, &["--today", "2015-03-01", "check"]).code, 0);
    }
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let r = perf_in(&repo(), &["completions", shell]);
        assert_eq!(r.code, 0, "{shell}");
        assert!(r.stdout.contains("summary"), "{shell}");
    }
    let r = perf_in(&repo(), &["man"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with(".ie") && r.stdout.contains(".TH perf 1"));
}

#[test]
fn every_command_has_help_with_an_example() {
    let r = perf_in(&repo(), &["--help"]);
    let commands = [
        "check",
        "status",
        "summary",
        "export",
        "matrix",
        "monthly",
        "report",
        "init",
        "codeowners",
        "fix-encoding",
        "completions",
        "man",
    ];
    for c in commands {
        assert!(r.stdout.contains(c), "{c} missing from --help");
        let h = perf_in(&repo(), &[c, "--help"]);
        assert_eq!(h.code, 0, "{c}");
        assert!(h.stdout.contains("Examples:"), "{c} --help has no example");
    }
    for c in ["add", "list"] {
        let h = perf_in(&repo(), &["report", c, "--help"]);
        assert!(h.stdout.contains("Examples:"), "report {c}");
    }
}

#[test]
fn check_warns_when_codeowners_disagrees_with_the_plan() {
    let ws = crate::common::copy_workspace(&repo());
    let r = perf(ws.path(), &["codeowners"]);
    fs::create_dir_all(ws.path().join(".github")).unwrap();
    fs::write(ws.path().join(".github/CODEOWNERS"), &r.stdout).unwrap();
    let r = perf(ws.path(), &["--today", "2026-01-01", "check", "--strict"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    // Another owner for one file, and one file left out.
    let text = r#"/perf.toml @perf-office
/indicators/ @perf-office
/templates/ @perf-office
/reports/2014/secretariat.csv @someone-else
/reports/2014/general.csv @port-general
/reports/2014/planning.csv @port-planning
/reports/2014/coordination.csv @port-coordination
/reports/2014/inspection.csv @port-inspection
/reports/2014/hkmacao.csv @port-hkmacao
"#;
    fs::write(ws.path().join(".github/CODEOWNERS"), text).unwrap();
    let r = perf(
        ws.path(),
        &[
            "--today",
            "2026-01-01",
            "--lang",
            "en",
            "check",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "warnings alone do not fail");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let got: Vec<(String, serde_json::Value, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].clone(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, "codeowners-mismatch");
    assert_eq!(got[0].1, serde_json::Value::Null);
    assert!(
        got[0].2.contains("/reports/2014/personnel.csv no owner"),
        "{got:?}"
    );
    assert_eq!(got[1].1, 4);
    assert!(
        got[1]
            .2
            .contains("@someone-else, the plan says @port-secretariat"),
        "{got:?}"
    );
    assert_eq!(
        perf(ws.path(), &["--today", "2026-01-01", "check", "--strict"]).code,
        1
    );
}
