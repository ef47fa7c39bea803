//! `perf check --base REV` on real git repositories (SPEC §3 "entries are never edited or
//! removed", §5): each case commits the small workspace of `tests/fixtures/check/base/` on `main`,
//! branches off, changes it, and checks the branch against `main`, asserting the exit code, the
//! rule codes and the exact `file:line:column`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::fixture;

const SEC: &str = "reports/2014/secretariat.csv";
const PLA: &str = "reports/2014/planning.csv";
const TODAY: &str = "2014-12-31";
const HEADER: &str = "date,item,value,note,evidence,reporter,filed\n";

use crate::common::Edit::{self, Map, Remove, Replace, Write};
use crate::common::{Expect, append, apply, diagnostics, gb18030, has, verdict, write};

struct Case {
    name: &'static str,
    /// Edits made before the first commit on `main`.
    before: Vec<Edit>,
    /// Edits committed on `main` after the branch was made.
    on_main: Vec<Edit>,
    /// Edits on the branch.
    edits: Vec<Edit>,
    /// Whether the branch's edits are committed or left in the working tree.
    commit: bool,
    /// Whether the workspace is a subfolder of the repository.
    subfolder: bool,
    args: Vec<&'static str>,
    exit: i32,
    expect: Vec<Expect>,
    /// Codes that must not appear.
    absent: Vec<&'static str>,
}

const HISTORY: &[&str] = &[
    "history-edited",
    "history-removed",
    "history-reordered",
    "file-removed",
    "filed-required",
];

fn case(name: &'static str, exit: i32, edits: Vec<Edit>, expect: &[Expect]) -> Case {
    Case {
        name,
        before: Vec::new(),
        on_main: Vec::new(),
        edits,
        commit: true,
        subfolder: false,
        args: Vec::new(),
        exit,
        expect: expect.to_vec(),
        // A case that passes must raise none of the rule's codes.
        absent: if exit == 0 {
            HISTORY.to_vec()
        } else {
            Vec::new()
        },
    }
}

impl Case {
    fn before(mut self, edits: Vec<Edit>) -> Case {
        self.before = edits;
        self
    }

    fn on_main(mut self, edits: Vec<Edit>) -> Case {
        self.on_main = edits;
        self
    }

    fn uncommitted(mut self) -> Case {
        self.commit = false;
        self
    }

    fn subfolder(mut self) -> Case {
        self.subfolder = true;
        self
    }

    fn args(mut self, args: &[&'static str]) -> Case {
        self.args.extend(args);
        self
    }

    fn absent(mut self, codes: &[&'static str]) -> Case {
        self.absent.extend(codes);
        self
    }
}

// ---- git and perf, isolated from the machine's configuration -----------------------------------

/// A command that sees no system or global git configuration and no repository above `ceiling`.
fn isolated(program: &Path, ceiling: &Path) -> Command {
    let mut cmd = Command::new(program);
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_COMMON_DIR",
        "PERF_ROOT",
        "PERF_TODAY",
        "PERF_REPORTER",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CEILING_DIRECTORIES", ceiling)
        .env("NO_COLOR", "1");
    cmd
}

fn git(dir: &Path, args: &[&str]) {
    let ceiling = dir.parent().unwrap_or(dir);
    let out = isolated(Path::new("git"), ceiling)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A new repository in `dir` with an identity and plain settings.
fn git_init(dir: &Path) {
    git(dir, &["init", "-q"]);
    git(dir, &["symbolic-ref", "HEAD", "refs/heads/main"]);
    for (key, value) in [
        ("user.name", "测试"),
        ("user.email", "test@example.org"),
        ("commit.gpgsign", "false"),
        ("core.autocrlf", "false"),
    ] {
        git(dir, &["config", key, value]);
    }
}

fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "-A", "."]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", message]);
}

/// Runs `perf` in `root` (also passed as `--root`), with `repo`'s parent as git's ceiling.
fn perf_in(root: &Path, ceiling: &Path, path: Option<&str>, args: &[&str]) -> crate::common::Run {
    let mut cmd = isolated(Path::new(env!("CARGO_BIN_EXE_perf")), ceiling);
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    let out = cmd
        .arg("--root")
        .arg(root)
        .args(args)
        .current_dir(root)
        .output()
        .expect("perf runs");
    crate::common::Run::of(out)
}

/// A repository holding the base workspace (at its top, or in `ws/`) committed on `main` after
/// `before`, with the branch `change` checked out. Returns the folder and the workspace root.
fn repository(before: &[Edit], subfolder: bool) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = if subfolder {
        dir.path().join("ws")
    } else {
        dir.path().to_path_buf()
    };
    crate::common::copy_dir(&fixture("check/base"), &root, false);
    apply(&root, before);
    git_init(dir.path());
    commit(dir.path(), "base");
    git(dir.path(), &["branch", "change"]);
    git(dir.path(), &["checkout", "-q", "change"]);
    (dir, root)
}

fn check_json(root: &Path, ceiling: &Path, args: &[&str]) -> (i32, Vec<Value>, String) {
    let mut all = vec![
        "check", "--today", TODAY, "--format", "json", "--base", "main",
    ];
    all.extend(args);
    let run = perf_in(root, ceiling, None, &all);
    let list = diagnostics(&run.stdout);
    (run.code, list, run.stderr)
}

/// Runs one case; returns what went wrong, if anything.
fn run_case(c: &Case) -> Option<String> {
    let (dir, root) = repository(&c.before, c.subfolder);
    let top = dir.path();
    if !c.on_main.is_empty() {
        git(top, &["checkout", "-q", "main"]);
        apply(&root, &c.on_main);
        commit(top, "main moves on");
        git(top, &["checkout", "-q", "change"]);
    }
    apply(&root, &c.edits);
    if c.commit {
        commit(top, "change");
    }
    let ceiling = top.parent().unwrap_or(top);
    let (code, list, stderr) = check_json(&root, ceiling, &c.args);
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
    if !stderr.is_empty() {
        wrong.push(format!("stderr: {stderr}"));
    }
    verdict(c.name, &wrong, &list)
}

/// The secretariat's file of the base workspace, its lines numbered:
/// 1 header, 2 `2014-01-31,E1.1,4,…`, 3 `2014-02-28,E1.1,,…`, 4 `2014-03-31,E1.2,10,…`,
/// 5 `2014-06-30,E1.2,50,"上半年过半,余下在办",…`.
const SEC_LINES: [&str; 4] = [
    "2014-01-31,E1.1,4,办结督查事项4件,,林晓燕,2014-02-08\n",
    "2014-02-28,E1.1,,本月无到期督查事项（零报告）,,林晓燕,2014-03-05\n",
    "2014-03-31,E1.2,10,完成方案编制,,周敏,2014-04-03\n",
    "2014-06-30,E1.2,50,\"上半年过半,余下在办\",,林晓燕,2014-07-02\n",
];

/// The planning division's file without its `filed` column.
const PLA_NO_FILED: &str = "date,item,value,note,evidence,reporter\n2014-03-31,Q1.1,88.5,一季度旅客满意度调查,,梁海涛\n2014-03-31,Q1.2,3.2,,,梁海涛\n";

fn sec_with(lines: &[usize]) -> Edit {
    let mut text = HEADER.to_string();
    for i in lines {
        text.push_str(SEC_LINES[*i]);
    }
    Write(SEC, text.into_bytes())
}

/// Every case, the ones that pass first.
fn cases() -> Vec<Case> {
    vec![
        // ---- what may change ---------------------------------------------------------------
        case("no change at all", 0, vec![], &[]),
        case(
            "records appended with their filed dates",
            0,
            vec![
                append(SEC, "2014-07-31,E1.2,60,七月进度,,林晓燕,2014-08-04\n"),
                append(PLA, "2014-06-30,Q1.1,89,二季度调查,,梁海涛,2014-07-03\n"),
            ],
            &[],
        ),
        case(
            "a same-date correction appended at the end",
            0,
            vec![append(SEC, "2014-06-30,E1.2,45,更正：上半年实为45%,,林晓燕,2014-07-09\n")],
            &[],
        ),
        case(
            "byte-order mark and CRLF line ends",
            0,
            vec![Map(SEC, |t| format!("\u{feff}{}", t.replace('\n', "\r\n")))],
            &[],
        ),
        case(
            "every field quoted",
            0,
            vec![write(
                SEC,
                "\"date\",\"item\",\"value\",\"note\",\"evidence\",\"reporter\",\"filed\"\n\
                 \"2014-01-31\",\"E1.1\",\"4\",\"办结督查事项4件\",\"\",\"林晓燕\",\"2014-02-08\"\n\
                 \"2014-02-28\",\"E1.1\",\"\",\"本月无到期督查事项（零报告）\",\"\",\"林晓燕\",\"2014-03-05\"\n\
                 \"2014-03-31\",\"E1.2\",\"10\",\"完成方案编制\",\"\",\"周敏\",\"2014-04-03\"\n\
                 \"2014-06-30\",\"E1.2\",\"50\",\"上半年过半,余下在办\",\"\",\"林晓燕\",\"2014-07-02\"\n",
            )],
            &[],
        ),
        case(
            "another column order, blank lines, and the empty evidence column dropped",
            0,
            vec![write(
                SEC,
                "reporter,filed,item,date,note,value\n\
                 林晓燕,2014-02-08,E1.1,2014-01-31,办结督查事项4件,4\n\n\
                 林晓燕,2014-03-05,E1.1,2014-02-28,本月无到期督查事项（零报告）,\n\
                 周敏,2014-04-03,E1.2,2014-03-31,完成方案编制,10\n\
                 林晓燕,2014-07-02,E1.2,2014-06-30,\"上半年过半,余下在办\",50\n\n",
            )],
            &[],
        )
        .absent(&["no-filed-column"]),
        case(
            "a filed column added: old records keep it empty, the new one has it",
            0,
            vec![write(
                PLA,
                "date,item,value,note,evidence,reporter,filed\n\
                 2014-03-31,Q1.1,88.5,一季度旅客满意度调查,,梁海涛,\n\
                 2014-03-31,Q1.2,3.2,,,梁海涛,\n\
                 2014-06-30,Q1.1,89,二季度调查,,梁海涛,2014-07-03\n",
            )],
            &[],
        )
        .before(vec![write(PLA, PLA_NO_FILED)]),
        case(
            "a file without a filed column: new records need none",
            0,
            vec![append(PLA, "2014-06-30,Q1.1,89,二季度调查,,梁海涛\n")],
            &[],
        )
        .before(vec![write(PLA, PLA_NO_FILED)]),
        case(
            "main moved on after the branch: the merge base is compared, not main",
            0,
            vec![append(SEC, "2014-07-31,E1.2,60,七月进度,,林晓燕,2014-08-04\n")],
            &[],
        )
        .on_main(vec![
            append(SEC, "2014-07-31,E1.2,58,七月进度,,周敏,2014-08-05\n"),
            Remove(PLA),
        ]),
        case(
            "a base version that is not UTF-8, converted",
            0,
            vec![write(
                PLA,
                "date,item,value,note,evidence,reporter,filed\n2014-03-31,Q1.1,88.5,一季度旅客满意度调查,,梁海涛,2014-04-08\n",
            )],
            &[],
        )
        .before(vec![Write(
            PLA,
            gb18030("date,item,value,note,evidence,reporter,filed\n2014-03-31,Q1.1,88.5,一季度旅客满意度调查,,梁海涛,2014-04-08\n"),
        )]),
        case(
            "a malformed record of the base, repaired",
            0,
            vec![Replace(PLA, "2014-06-30,Q1.1\n", "2014-06-30,Q1.1,89,二季度调查,,梁海涛,2014-07-03\n")],
            &[],
        )
        .before(vec![append(PLA, "2014-06-30,Q1.1\n2014-09-30,Q1.1,89.5,三季度调查,,梁海涛,2014-10-08\n")]),
        // ---- what may not ------------------------------------------------------------------
        case(
            "a record appended without filed",
            1,
            vec![append(SEC, "2014-07-31,E1.2,60,七月进度,,林晓燕,\n")],
            &[("filed-required", SEC, Some((6, 30)))],
        )
        .absent(&["history-edited", "history-removed", "history-reordered"]),
        case(
            "a filed column added, the new record without a date",
            1,
            vec![write(
                PLA,
                "date,item,value,note,evidence,reporter,filed\n\
                 2014-03-31,Q1.1,88.5,一季度旅客满意度调查,,梁海涛,\n\
                 2014-03-31,Q1.2,3.2,,,梁海涛,\n\
                 2014-06-30,Q1.1,89,二季度调查,,梁海涛,\n",
            )],
            &[("filed-required", PLA, Some((4, 31)))],
        )
        .before(vec![write(PLA, PLA_NO_FILED)])
        .absent(&["history-edited"]),
        case(
            "a new file: every record is new",
            1,
            vec![write(
                PLA,
                "date,item,value,note,evidence,reporter,filed\n2014-03-31,Q1.1,88.5,一季度旅客满意度调查,,梁海涛,2014-04-08\n2014-03-31,Q1.2,3.2,,,梁海涛,\n",
            )],
            &[("filed-required", PLA, Some((3, 27)))],
        )
        .before(vec![Remove(PLA)]),
        case(
            "a value edited",
            1,
            vec![Replace(SEC, ",50,", ",55,")],
            &[("history-edited", SEC, Some((5, 17)))],
        ),
        case(
            "a note edited, records appended after it",
            1,
            vec![
                Replace(SEC, "办结督查事项4件", "办结督查事项5件"),
                append(SEC, "2014-07-31,E1.2,60,七月进度,,林晓燕,\n"),
            ],
            &[("history-edited", SEC, Some((2, 19)))],
        )
        .absent(&["filed-required"]),
        case(
            "a filed date filled in afterwards is an edit",
            1,
            vec![Replace(PLA, "3.2,,,梁海涛,", "3.2,,,梁海涛,2014-04-08")],
            &[("history-edited", PLA, Some((3, 27)))],
        )
        .before(vec![Replace(PLA, "3.2,,,梁海涛,2014-04-08", "3.2,,,梁海涛,")]),
        case(
            "an edit left in the working tree, not committed",
            1,
            vec![Replace(SEC, ",50,", ",55,")],
            &[("history-edited", SEC, Some((5, 17)))],
        )
        .uncommitted(),
        case(
            "a record deleted",
            1,
            vec![sec_with(&[0, 2, 3])],
            &[("history-removed", SEC, Some((3, 1)))],
        ),
        case(
            "the first record deleted",
            1,
            vec![sec_with(&[1, 2, 3])],
            &[("history-removed", SEC, Some((2, 1)))],
        ),
        case(
            "records reordered",
            1,
            vec![sec_with(&[0, 1, 3, 2])],
            &[("history-reordered", SEC, Some((4, 1)))],
        ),
        case(
            "a new record inserted before old ones",
            1,
            vec![Replace(
                SEC,
                SEC_LINES[2],
                "2014-02-28,E1.2,5,启动,,周敏,2014-03-04\n2014-03-31,E1.2,10,完成方案编制,,周敏,2014-04-03\n",
            )],
            &[("history-reordered", SEC, Some((4, 1)))],
        ),
        case(
            "the file truncated",
            1,
            vec![sec_with(&[0, 1])],
            &[("history-removed", SEC, Some((4, 1)))],
        ),
        case(
            "everything but the header removed",
            1,
            vec![sec_with(&[])],
            &[("history-removed", SEC, Some((2, 1)))],
        ),
        case(
            "a progress file removed",
            1,
            vec![Remove(PLA)],
            &[("file-removed", PLA, None)],
        ),
        case(
            "a progress file renamed",
            1,
            vec![Remove(PLA), Write("reports/2014/planning2.csv", Vec::new())],
            &[("file-removed", PLA, None)],
        ),
        case(
            "a workspace in a subfolder of the repository",
            1,
            vec![Replace(SEC, ",50,", ",55,"), Remove(PLA)],
            &[
                ("history-edited", SEC, Some((5, 17))),
                ("file-removed", PLA, None),
            ],
        )
        .subfolder(),
        case(
            "--year limits the comparison to that year",
            0,
            vec![Remove("reports/2013/secretariat.csv")],
            &[],
        )
        .before(vec![write("reports/2013/secretariat.csv", HEADER)])
        .args(&["--year", "2014"]),
    ]
}

/// The rule codes the cases expect (the coverage test of `check.rs` counts them).
pub fn covered_codes() -> BTreeSet<String> {
    cases()
        .iter()
        .flat_map(|c| c.expect.iter().map(|e| e.0.to_string()))
        .collect()
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

#[test]
fn every_format_fails_and_the_help_says_a_correction_is_a_new_entry() {
    let (dir, root) = repository(&[], false);
    apply(&root, &[Replace(SEC, ",50,", ",55,")]);
    let ceiling = dir.path().parent().expect("parent");
    let base = ["--today", TODAY, "--base", "main", "--lang", "en"];
    let human = perf_in(&root, ceiling, None, &[&["check"][..], &base].concat());
    assert_eq!(human.code, 1, "{}", human.stderr);
    assert!(
        human.stdout.contains(
            "error[history-edited]: an entry was edited: in the record of line 5 at the merge base, `value` was `50` and is `55`"
        ),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains(" --> reports/2014/secretariat.csv:5:17\n"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("a correction is a new entry"),
        "{}",
        human.stdout
    );
    for format in ["json", "github", "gitlab"] {
        let run = perf_in(
            &root,
            ceiling,
            None,
            &[&["check", "--format", format][..], &base].concat(),
        );
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        assert!(run.stdout.contains("history-edited"), "{format}");
    }
    let github = perf_in(
        &root,
        ceiling,
        None,
        &[&["check", "--format", "github"][..], &base].concat(),
    );
    assert!(
        github.stdout.starts_with(
            "::error file=reports/2014/secretariat.csv,line=5,col=17,title=history-edited::"
        ),
        "{}",
        github.stdout
    );
    // Chinese messages, the same code and place.
    let zh = perf_in(
        &root,
        ceiling,
        None,
        &["check", "--today", TODAY, "--base", "main"],
    );
    assert!(
        zh.stdout.contains("error[history-edited]: 记录被修改"),
        "{}",
        zh.stdout
    );
    assert!(zh.stdout.contains("更正请在文件末尾追加一条新记录"));
}

#[test]
fn without_base_the_same_edit_passes() {
    let (dir, root) = repository(&[], false);
    apply(&root, &[Replace(SEC, ",50,", ",55,")]);
    let ceiling = dir.path().parent().expect("parent");
    let run = perf_in(&root, ceiling, None, &["check", "--today", TODAY]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

/// Runs `check --base REV` and asserts exit 2, nothing on stdout, and a message on stderr.
fn env_error(root: &Path, ceiling: &Path, path: Option<&str>, rev: &str, says: &str) {
    let flag = format!("--base={rev}");
    let run = perf_in(
        root,
        ceiling,
        path,
        &[
            "--lang", "en", "check", "--today", TODAY, "--format", "json", &flag,
        ],
    );
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains(says), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn a_bad_revision_is_a_usage_error() {
    let (dir, root) = repository(&[], false);
    let ceiling = dir.path().parent().expect("parent");
    env_error(&root, ceiling, None, "no-such-branch", "not a commit");
    env_error(&root, ceiling, None, "main~5", "not a commit");
    env_error(&root, ceiling, None, "--help", "not a revision");
    env_error(&root, ceiling, None, "", "not a revision");
}

#[test]
fn a_branch_without_common_history_is_a_usage_error() {
    let (dir, root) = repository(&[], false);
    let top = dir.path();
    git(top, &["checkout", "-q", "--orphan", "unrelated"]);
    commit(top, "unrelated");
    let ceiling = top.parent().expect("parent");
    env_error(&root, ceiling, None, "main", "no common ancestor");
}

#[test]
fn a_folder_outside_git_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("ws");
    crate::common::copy_dir(&fixture("check/base"), &root, false);
    env_error(&root, dir.path(), None, "main", "not inside");
}

#[test]
fn without_git_on_the_path_it_is_a_usage_error() {
    let (dir, root) = repository(&[], false);
    let empty = tempfile::tempdir().expect("tempdir");
    let ceiling = dir.path().parent().expect("parent");
    env_error(
        &root,
        ceiling,
        Some(empty.path().to_str().expect("path")),
        "main",
        "needs git",
    );
}

/// The adoption path end to end: `perf init` in a fresh repository passes `perf check`; a branch
/// that appends entries passes `--base main`; one that edits an old entry fails naming its line.
#[test]
fn init_then_append_passes_and_an_edit_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("office");
    std::fs::create_dir_all(&repo).unwrap();
    let run = |args: &[&str]| perf_in(&repo, tmp.path(), None, args);
    let init = isolated(Path::new(env!("CARGO_BIN_EXE_perf")), tmp.path())
        .args([
            "--today",
            "2015-01-20",
            "init",
            "--year",
            "2015",
            "--office",
            "测试办公室",
        ])
        .current_dir(&repo)
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    git_init(&repo);
    assert_eq!(run(&["--today", "2015-02-10", "check"]).code, 0);
    let add = |value: &str, today: &str| {
        let r = run(&[
            "--today",
            today,
            "report",
            "add",
            "E1.1",
            value,
            "--reporter",
            "联络员姓名",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    };
    add("10", "2015-02-03");
    commit(&repo, "January");
    git(&repo, &["checkout", "-q", "-b", "february"]);
    add("20", "2015-03-04");
    commit(&repo, "February");
    let r = run(&["--today", "2015-03-10", "check", "--base", "main"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    // Someone "corrects" January in place instead of adding an entry.
    let csv = repo.join("reports/2015/secretariat.csv");
    let text = std::fs::read_to_string(&csv)
        .unwrap()
        .replacen(",10,", ",12,", 1);
    std::fs::write(&csv, text).unwrap();
    let r = run(&[
        "--today",
        "2015-03-10",
        "--lang",
        "en",
        "check",
        "--base",
        "main",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("error[history-edited]"), "{}", r.stdout);
    assert!(
        r.stdout.contains("--> reports/2015/secretariat.csv:2:"),
        "{}",
        r.stdout
    );
}
