//! `perf report add` and `perf report list`: refusals change nothing, writes keep the file's bytes,
//! concurrent and killed runs never lose or corrupt an entry.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{Run, copy_workspace, perf, repo};

const TODAY: &str = "2014-12-10";
const FILE: &str = "reports/2014/secretariat.csv";

fn snapshot(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in ["reports/2014", "indicators/2014"] {
        let mut names: Vec<_> = fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        for p in names {
            if p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.') {
                out.push((p.display().to_string(), fs::read(&p).unwrap()));
            }
        }
    }
    out
}

fn add(root: &Path, args: &[&str]) -> crate::common::Run {
    let mut all = vec!["--today", TODAY, "report", "add"];
    all.extend(args);
    perf(root, &all)
}

/// `perf report list` in English on the bundled workspace, well after 2014, with `args`.
fn list_en(args: &[&str]) -> Run {
    let mut all = vec!["--today", "2026-01-01", "--lang", "en", "report", "list"];
    all.extend(args);
    perf(&repo(), &all)
}

#[test]
fn an_entry_is_appended_with_its_period_and_status() {
    let ws = copy_workspace(&repo());
    let before = fs::read(ws.path().join(FILE)).unwrap();
    let r = add(
        ws.path(),
        &["E1.1", "3", "--note", "办结3件", "--reporter", "林晓燕"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "已写入 reports/2014/secretariat.csv:57（报告期 2014-12，月报）\nE1.1 市政府督查事项按期办结：当前值 37 件，目标 ≥ 36 件，已完成（绿灯）\n"
    );
    let after = fs::read(ws.path().join(FILE)).unwrap();
    assert!(after.starts_with(&before));
    assert_eq!(
        &after[before.len()..],
        "2014-12-10,E1.1,3,办结3件,,林晓燕,2014-12-10\n".as_bytes()
    );
    assert_eq!(perf(ws.path(), &["--today", "2026-01-01", "check"]).code, 0);
}

#[test]
fn a_finer_period_reports_on_the_items_own() {
    // E3.3 reports quarterly: an entry for July is dated 31 July and is part of the third
    // quarter's report.
    let ws = copy_workspace(&repo());
    let r = perf(
        ws.path(),
        &[
            "--today",
            "2014-08-15",
            "report",
            "add",
            "E3.3",
            "97.5",
            "--period",
            "2014-07",
            "--reporter",
            "曾晓东",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("已写入 reports/2014/inspection.csv:43（报告期 2014-Q3，季报）\n"),
        "{}",
        r.stdout
    );
    assert!(
        fs::read_to_string(ws.path().join("reports/2014/inspection.csv"))
            .unwrap()
            .ends_with("\n2014-07-31,E3.3,97.5,,,曾晓东,2014-08-15\n")
    );
}

#[test]
fn refusals_leave_every_byte_unchanged() {
    let ws = copy_workspace(&repo());
    let before = snapshot(ws.path());
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["E1.1", "3件", "--note", "x", "--reporter", "林晓燕"],
            1,
            "invalid-number",
        ),
        (
            &["E1.1", "3", "--note", "x", "--reporter", "梁海涛"],
            1,
            "梁海涛 不能为秘书处报送",
        ),
        (&["E1.7", "3", "--reporter", "林晓燕"], 1, "是否应为 `E1.1`"),
        (
            &["E1.1", "3", "--reporter", "林晓燕", "--date", "2014-12-11"],
            1,
            "date-in-future",
        ),
        (
            &["E1.1", "3", "--reporter", "林晓燕", "--date", "2013-12-31"],
            1,
            "2013 年没有计划",
        ),
        (
            &["Q3.1", "120", "--reporter", "钟文静"],
            1,
            "value-out-of-range",
        ),
        (&["Q1.2", "--nil", "--reporter", "林晓燕"], 2, "--note"),
        (
            &["Q1.2", "--nil", "--note", "x", "2", "--reporter", "林晓燕"],
            2,
            "只能给出其一",
        ),
        (
            &["E1.1", "3", "--reporter", "林晓燕", "--period", "2014-13"],
            2,
            "不是有效的报告期",
        ),
        (
            &["E1.1", "3", "--reporter", "林晓燕", "--period", "2014-Q4"],
            1,
            "报送频次",
        ),
        (
            &["S2.2", "50", "--reporter", "邓雅雯", "--period", "2014-03"],
            1,
            "不在细项",
        ),
        (
            &[
                "E1.1",
                "3",
                "--reporter",
                "林晓燕",
                "--evidence",
                "../secret.pdf",
            ],
            1,
            "evidence-outside",
        ),
        (
            &["E1.1", "3", "--reporter", "周敏"],
            1,
            "周敏 不能为秘书处报送",
        ),
        (
            &["E2.1"],
            2,
            "缺少参数（不在终端中运行，perf 不会逐项询问）：VALUE（数值；零报告用 --nil）",
        ),
        // Due in May: an entry dated today would never count.
        (
            &["X3.2", "100", "--reporter", "梁海涛"],
            1,
            "已于 2014-05-31 到期",
        ),
        // A decimal comma is not taken for a thousands separator.
        (
            &["E1.1", "3,5", "--reporter", "林晓燕"],
            1,
            "小数点用英文句点",
        ),
        // The new record's problems are labelled as such in their message; the place keeps the
        // form path:line:column (SPEC §5.2), at the line the entry would take.
        (
            &["E1.1", "3件", "--reporter", "林晓燕"],
            1,
            "error[invalid-number]: 新记录：数值 `3件` 格式不对\n  --> reports/2014/secretariat.csv:57:17\n",
        ),
    ];
    for (args, code, needle) in cases {
        let r = add(ws.path(), args);
        assert_eq!(r.code, *code, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(needle),
            "{args:?}: `{needle}` not in {}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{args:?}");
        assert!(snapshot(ws.path()) == before, "{args:?} changed a file");
    }
}

#[test]
fn a_former_liaison_may_not_add_but_their_entries_stay_valid() {
    let ws = copy_workspace(&repo());
    let r = add(ws.path(), &["Q1.1", "5", "--reporter", "周敏"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("周敏"));
    assert_eq!(perf(ws.path(), &["--today", "2026-01-01", "check"]).code, 0);
}

#[test]
fn bom_and_crlf_survive_and_a_missing_final_newline_is_added() {
    let ws = copy_workspace(&repo());
    let path = ws.path().join(FILE);
    let text = fs::read_to_string(&path).unwrap().replace('\n', "\r\n");
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(text.trim_end().as_bytes());
    fs::write(&path, &bytes).unwrap();
    let r = add(ws.path(), &["E1.1", "3", "--reporter", "林晓燕"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let after = fs::read(&path).unwrap();
    assert!(after.starts_with(&bytes));
    assert_eq!(
        &after[bytes.len()..],
        "\r\n2014-12-10,E1.1,3,,,林晓燕,2014-12-10\r\n".as_bytes()
    );
}

#[test]
fn a_missing_file_is_created_with_the_full_header() {
    let ws = copy_workspace(&repo());
    fs::remove_file(ws.path().join("reports/2014/personnel.csv")).unwrap();
    let r = add(
        ws.path(),
        &[
            "Q3.3",
            "80",
            "--reporter",
            "钟文静",
            "--note",
            "述职述廉准备",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        fs::read_to_string(ws.path().join("reports/2014/personnel.csv")).unwrap(),
        "date,item,value,note,evidence,reporter,filed\n2014-12-10,Q3.3,80,述职述廉准备,,钟文静,2014-12-10\n"
    );
}

#[cfg(unix)]
#[test]
fn a_new_file_is_readable_by_those_who_read_the_others() {
    use crate::common::{mode, perf_with_umask};
    let ws = copy_workspace(&repo());
    let path = ws.path().join("reports/2014/personnel.csv");
    fs::remove_file(&path).unwrap();
    let r = perf_with_umask(
        ws.path(),
        "022",
        &[
            "--today",
            TODAY,
            "report",
            "add",
            "Q3.3",
            "80",
            "--reporter",
            "钟文静",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(mode(&path), 0o644);
}

#[cfg(unix)]
#[test]
fn a_symlink_leading_outside_the_workspace_is_refused() {
    let ws = copy_workspace(&repo());
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("x.csv");
    let path = ws.path().join(FILE);
    fs::copy(&path, &target).unwrap();
    fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&target, &path).unwrap();
    let before = fs::read(&target).unwrap();
    let r = add(ws.path(), &["E1.1", "3", "--reporter", "林晓燕"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("工作区之外"), "{}", r.stderr);
    assert_eq!(fs::read(&target).unwrap(), before);
}

fn spawn_add(root: &Path, n: usize) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_perf"))
        .args([
            "--root",
            root.to_str().unwrap(),
            "--today",
            TODAY,
            "report",
            "add",
            "E1.1",
            "0",
            "--date",
            "2014-12-01",
        ])
        .args(["--note", &format!("并发写入 {n}"), "--reporter", "林晓燕"])
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn entries(root: &Path) -> usize {
    let r = perf(
        root,
        &[
            "--today",
            TODAY,
            "report",
            "list",
            "--division",
            "secretariat",
            "--format",
            "csv",
        ],
    );
    r.stdout.lines().count() - 1
}

#[test]
fn concurrent_writers_lose_nothing() {
    let ws = copy_workspace(&repo());
    let start = entries(ws.path());
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let root = ws.path().to_path_buf();
            std::thread::spawn(move || {
                for i in 0..25 {
                    assert!(spawn_add(&root, w * 100 + i).wait().unwrap().success());
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(entries(ws.path()), start + 200);
    let r = perf(ws.path(), &["--today", "2026-01-01", "check"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let text = fs::read_to_string(ws.path().join(FILE)).unwrap();
    for n in 0..8 {
        for i in 0..25 {
            assert!(text.contains(&format!("并发写入 {}", n * 100 + i)));
        }
    }
}

#[test]
fn a_killed_writer_leaves_the_old_file_or_the_new_one() {
    let ws = copy_workspace(&repo());
    let mut n = entries(ws.path());
    for round in 0..30u64 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_perf"))
            .args([
                "--root",
                ws.path().to_str().unwrap(),
                "--today",
                TODAY,
                "report",
                "add",
                "E1.1",
                "0",
                "--date",
                "2014-12-01",
                "--reporter",
                "林晓燕",
                "--note",
                // Each round its own entry: an exact copy of an earlier one would be refused.
                &format!("第{round}次"),
            ])
            .env("PERF_TEST_WRITE_DELAY_MS", "20")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(round * 3 % 40));
        let _ = child.kill();
        let _ = child.wait();
        let now = entries(ws.path());
        assert!(now == n || now == n + 1, "round {round}: {n} → {now}");
        n = now;
        assert_eq!(perf(ws.path(), &["--today", "2026-01-01", "check"]).code, 0);
    }
    // A run killed after creating its temporary file leaves it behind; the next run, holding the
    // lock, removes every such leftover (scripts/reliability.sh found 19 after 30 kills).
    fs::write(
        ws.path().join("reports/2014/.perf-ab12CD.tmp"),
        "2014-12-01,E1",
    )
    .unwrap();
    let r = add(
        ws.path(),
        &[
            "E1.1",
            "0",
            "--date",
            "2014-12-01",
            "--reporter",
            "林晓燕",
            "--note",
            "清理之后",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let left: Vec<_> = fs::read_dir(ws.path().join("reports/2014"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn list_filters_and_formats() {
    let r = perf(
        &repo(),
        &[
            "--today",
            "2026-01-01",
            "report",
            "list",
            "--item",
            "E1.1",
            "--from",
            "2014-04-01",
            "--to",
            "2014-06-30",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let dates: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2014-04-30", "2014-05-31", "2014-06-30"]);
    assert_eq!(v[0]["file"], FILE);
    let r = perf(
        &repo(),
        &[
            "--today",
            "2026-01-01",
            "report",
            "list",
            "--division",
            "general",
            "--format",
            "csv",
            "--bom",
        ],
    );
    assert!(
        r.stdout
            .starts_with("\u{feff}file,line,date,item,value,note,evidence,reporter,filed\n")
    );
    let r = list_en(&["--item", "S1.1"]);
    assert!(
        r.stdout.contains("│ reports/2014/secretariat.csv:"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.ends_with("\n1 entry\n"), "{}", r.stdout);
}

/// Interactive mode, driven through a pseudo-terminal: the item chosen from the reporter's own
/// division's items, the value checked as it is typed.
#[cfg(unix)]
#[test]
fn interactive_mode_asks_for_what_is_missing() {
    let ws = copy_workspace(&repo());
    let cmd = format!(
        "{} --root {} --today {TODAY} --lang en --color never report add --reporter 林晓燕",
        env!("CARGO_BIN_EXE_perf"),
        ws.path().display()
    );
    let mut p = rexpect::spawn(&cmd, Some(20_000)).unwrap();
    p.exp_string("Which item?").unwrap();
    // rexpect reads bytes as Latin-1: match the ASCII parts.
    p.exp_string("> E1.1 ").unwrap();
    p.exp_string("(target ").unwrap();
    p.send_line("").unwrap();
    p.exp_string("Value").unwrap();
    p.send_line("3件").unwrap();
    p.exp_string("a plain number").unwrap();
    p.send_line("3").unwrap();
    p.exp_string("Note").unwrap();
    p.send_line("办结3件").unwrap();
    p.exp_string("wrote reports/2014/secretariat.csv:57")
        .unwrap();
    p.exp_eof().unwrap();
    let text = fs::read_to_string(ws.path().join(FILE)).unwrap();
    assert!(
        text.ends_with("2014-12-10,E1.1,3,办结3件,,林晓燕,2014-12-10\n"),
        "{text}"
    );
}

#[test]
fn the_same_entry_twice_is_refused_the_second_time() {
    let ws = copy_workspace(&repo());
    let args = ["E1.1", "3", "--note", "办结3件", "--reporter", "林晓燕"];
    assert_eq!(add(ws.path(), &args).code, 0);
    let before = snapshot(ws.path());
    let r = add(ws.path(), &args);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("error[duplicate-entry]") && r.stderr.contains("同样的记录已经报送过"),
        "{}",
        r.stderr
    );
    assert!(snapshot(ws.path()) == before);
}

#[test]
fn the_report_due_now_counts_only_entries_known_today() {
    // On 1 December the November report (deadline 5 December) is due, although the file already
    // holds a November entry: it was recorded on 2 December, after "today".
    let ws = copy_workspace(&repo());
    let r = perf(
        ws.path(),
        &[
            "--today",
            "2014-12-01",
            "report",
            "add",
            "E1.1",
            "3",
            "--reporter",
            "林晓燕",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("报告期 2014-11"), "{}", r.stdout);
    let text = fs::read_to_string(ws.path().join(FILE)).unwrap();
    assert!(
        text.ends_with("2014-11-30,E1.1,3,,,林晓燕,2014-12-01\n"),
        "{text}"
    );
}

#[test]
fn list_refuses_unknown_ids_and_an_empty_range_and_hides_what_is_not_known_yet() {
    let r = list_en(&["--item", "E1.7"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("no item `E1.7` in 2014; did you mean `E1.1`?"),
        "{}",
        r.stderr
    );
    let r = list_en(&["--division", "nosuch"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("divisions: secretariat, general"),
        "{}",
        r.stderr
    );
    let r = perf(
        &repo(),
        &[
            "--today",
            "2026-01-01",
            "report",
            "list",
            "--from",
            "2014-12-01",
            "--to",
            "2014-01-01",
        ],
    );
    assert_eq!(r.code, 2);
    // On 10 December the December report (filed 6 January) is not known yet.
    let r = perf(
        &repo(),
        &[
            "--today",
            "2014-12-10",
            "report",
            "list",
            "--item",
            "E1.1",
            "--format",
            "csv",
        ],
    );
    assert_eq!(r.code, 0);
    assert!(
        r.stdout
            .lines()
            .last()
            .unwrap()
            .contains(",2014-11-30,E1.1,"),
        "{}",
        r.stdout
    );
}
