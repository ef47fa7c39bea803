//! What a hostile workspace or hostile text can and cannot do (docs/security.md): escape sequences
//! never reach a terminal, symbolic links never lead a write outside the workspace, text from the
//! plan is neutralised in CSV, and settings cannot make a command run for minutes.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{copy_workspace, perf, repo};

const TODAY: &str = "2015-03-31";
const ORG: &str = "indicators/2014/00-organization.toml";
const EFF: &str = "indicators/2014/20-efficiency.toml";
const SEC: &str = "reports/2014/secretariat.csv";

/// `perf report add E1.1 3 --date 2014-12-01 --reporter 林晓燕`, with `extra` arguments.
fn add_e11(root: &Path, extra: &[&str]) -> crate::common::Run {
    let mut args = vec![
        "--today",
        TODAY,
        "report",
        "add",
        "E1.1",
        "3",
        "--date",
        "2014-12-01",
        "--reporter",
        "林晓燕",
    ];
    args.extend(extra);
    perf(root, &args)
}

fn edit(root: &Path, rel: &str, from: &str, to: &str) {
    let path = root.join(rel);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{rel} holds no `{from}`");
    fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn append(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    let mut old = fs::read(&path).unwrap();
    old.extend_from_slice(text.as_bytes());
    fs::write(&path, old).unwrap();
}

/// What a terminal would act on: ESC and BEL (escape sequences), other C0 controls but newline and
/// tab, DEL, the C1 controls (U+009B is a one-character CSI) and bidirectional overrides.
fn terminal_unsafe(s: &str) -> Option<char> {
    s.chars().find(|c| {
        (c.is_control() && !matches!(c, '\n' | '\t'))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

fn assert_terminal_safe(what: &str, text: &str) {
    if let Some(c) = terminal_unsafe(text) {
        panic!("{what}: U+{:04X} reaches the terminal:\n{text}", c as u32);
    }
}

/// TOML escapes for the characters a hostile plan would use.
const HOSTILE_TOML: &str = r"\u001b[2J\u001b]0;owned\u0007\u009b31m\u202e";

/// A workspace whose plan names (division, liaison, item, unit) carry escape sequences.
fn hostile_plan() -> tempfile::TempDir {
    let ws = copy_workspace(&repo());
    let root = ws.path();
    edit(
        root,
        ORG,
        "name = \"秘书处\"",
        &format!("name = \"秘书处{HOSTILE_TOML}\""),
    );
    edit(
        root,
        ORG,
        "liaisons = [\"林晓燕\"]",
        &format!("liaisons = [\"林晓燕\", \"陈明{HOSTILE_TOML}\"]"),
    );
    edit(
        root,
        EFF,
        "name = \"市政府督查事项按期办结\"",
        &format!("name = \"市政府督查事项按期办结{HOSTILE_TOML}\""),
    );
    edit(
        root,
        EFF,
        "unit = \"件\"",
        &format!("unit = \"件{HOSTILE_TOML}\""),
    );
    ws
}

#[test]
fn escape_sequences_from_the_plan_never_reach_the_terminal() {
    let ws = hostile_plan();
    let root = ws.path();
    // The plan itself is valid: names are free text.
    let r = perf(root, &["--today", TODAY, "check"]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    // A reporter who is not a liaison gets a help line that lists the liaisons' names.
    append(root, SEC, "2014-12-01,E1.1,3,x,,张三,2014-12-01\n");
    for format in ["human", "github"] {
        let r = perf(
            root,
            &[
                "--today", TODAY, "--lang", "en", "check", "--format", format,
            ],
        );
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stdout.contains("unknown-reporter"), "{}", r.stdout);
        assert_terminal_safe(&format!("check --format {format}"), &r.stdout);
    }
    // The diagnostics show C0 controls as control pictures, as rustc does.
    let r = perf(root, &["--today", TODAY, "--lang", "en", "check"]);
    assert!(
        r.stdout.contains("陈明\u{241b}[2J\u{241b}]0;owned\u{2407}"),
        "{}",
        r.stdout
    );

    let ws = hostile_plan();
    let root = ws.path();
    for args in [
        vec!["status"],
        vec!["status", "--lang", "en"],
        vec!["report", "list", "--item", "E1.1"],
    ] {
        let mut all = vec!["--today", TODAY];
        all.extend(&args);
        let r = perf(root, &all);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert!(r.stdout.contains("E1.1"), "{args:?}: {}", r.stdout);
        assert_terminal_safe(&format!("{args:?}"), &r.stdout);
        assert_terminal_safe(&format!("{args:?} (stderr)"), &r.stderr);
    }
    // `report add` prints the item's name, value and target (with its unit) after writing.
    let r = add_e11(root, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("市政府督查事项按期办结"), "{}", r.stdout);
    assert_terminal_safe("report add", &r.stdout);
}

#[test]
fn escape_sequences_in_a_progress_file_never_reach_the_terminal() {
    let ws = copy_workspace(&repo());
    let root = ws.path();
    // The raw CSV line, shown in the diagnostics' snippet, holds ESC, BEL, a C1 CSI and a bidi
    // override, in the note (note-control-char), the value and the reporter.
    append(
        root,
        SEC,
        "2014-12-01,E1.1,5\u{1b}[31m,note\u{1b}]0;owned\u{7}\u{9b}2J,,林晓燕\u{202e},2014-12-01\n",
    );
    for format in ["human", "github"] {
        let r = perf(root, &["--today", TODAY, "check", "--format", format]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        for code in ["note-control-char", "invalid-number", "unknown-reporter"] {
            assert!(r.stdout.contains(code), "{code} missing:\n{}", r.stdout);
        }
        assert_terminal_safe(&format!("check --format {format}"), &r.stdout);
    }
    // JSON escapes them (`\u001b`), as JSON must.
    let r = perf(root, &["--today", TODAY, "check", "--format", "json"]);
    assert!(!r.stdout.contains('\u{1b}'));
    // Status commands refuse the data, printing the same diagnostics on stderr.
    let r = perf(root, &["--today", TODAY, "status"]);
    assert_eq!(r.code, 1);
    assert_terminal_safe("status (stderr)", &r.stderr);
    // `report list` shows what it can read, cleaned.
    let r = perf(
        root,
        &["--today", TODAY, "report", "list", "--item", "E1.1"],
    );
    assert_terminal_safe("report list", &r.stdout);
    assert_terminal_safe("report list (stderr)", &r.stderr);
}

#[test]
fn a_hostile_file_name_never_reaches_the_terminal() {
    let ws = copy_workspace(&repo());
    let root = ws.path();
    fs::write(
        root.join("reports/2014/x\u{1b}[31m\u{9b}2J.csv"),
        "date,item,value,reporter\n",
    )
    .unwrap();
    for format in ["human", "github"] {
        let r = perf(root, &["--today", TODAY, "check", "--format", format]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stdout.contains("unknown-division-file"), "{}", r.stdout);
        assert_terminal_safe(&format!("check --format {format}"), &r.stdout);
    }
}

#[test]
fn status_csv_neutralises_formulas_from_the_plan() {
    let ws = copy_workspace(&repo());
    let root = ws.path();
    edit(
        root,
        EFF,
        "name = \"市政府督查事项按期办结\"",
        "name = \"=HYPERLINK(\\\"http://x\\\")\"",
    );
    let r = perf(root, &["--today", TODAY, "status", "--format", "csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let row = r.stdout.lines().find(|l| l.starts_with("E1.1,")).unwrap();
    assert!(row.contains(",\"'=HYPERLINK("), "{row}");
    // Numbers stay numbers, negative ones included.
    let x21 = r.stdout.lines().find(|l| l.starts_with("X2.1,")).unwrap();
    assert!(!x21.contains("'-"), "{x21}");
}

#[cfg(unix)]
#[test]
fn a_linked_year_or_reports_folder_leading_outside_is_refused() {
    for linked in ["reports/2014", "reports"] {
        let ws = copy_workspace(&repo());
        let root = ws.path();
        let outside = tempfile::tempdir().unwrap();
        let real = outside.path().join("linked");
        fs::rename(root.join(linked), &real).unwrap();
        std::os::unix::fs::symlink(&real, root.join(linked)).unwrap();
        let listing = |dir: &Path| -> Vec<(String, Vec<u8>)> {
            let mut v: Vec<_> = walk(dir);
            v.sort();
            v
        };
        let before = listing(outside.path());
        let r = add_e11(root, &[]);
        assert_eq!(r.code, 2, "{linked}: {}", r.stderr);
        assert!(r.stderr.contains("工作区之外"), "{}", r.stderr);
        // Not a byte written outside, not even the lock file.
        assert_eq!(listing(outside.path()), before, "{linked}");
    }
}

/// A link to a file outside the workspace holding a secret, at `rel` (in place of the file there,
/// if any), and the run of `args`: refused (exit 2) without a word of the secret.
#[cfg(unix)]
fn refuses_link_out(rel: &str, args: &[&str]) {
    let ws = copy_workspace(&repo());
    let root = ws.path();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret");
    fs::write(&secret, "SECRET_TOKEN=hunter2\n").unwrap();
    let link = root.join(rel);
    let _ = fs::remove_file(&link);
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    let mut all = vec!["--today", "2014-12-31"];
    all.extend(args);
    let r = perf(root, &all);
    assert_eq!(r.code, 2, "{rel}: {}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains(&format!("{rel} 经符号链接指向工作区之外的")),
        "{rel}: {}",
        r.stderr
    );
    assert!(
        !r.stdout.contains("hunter2") && !r.stderr.contains("hunter2"),
        "{rel}: {}{}",
        r.stdout,
        r.stderr
    );
}

#[cfg(unix)]
#[test]
fn nothing_is_read_through_a_link_leading_outside() {
    // What `perf` reads ends in its messages, and so in CI logs: a link committed to the
    // repository (git keeps links) must not make it read, say, /proc/self/environ.
    for format in ["human", "json", "github"] {
        refuses_link_out("reports/2014/leak.csv", &["check", "--format", format]);
    }
    refuses_link_out("reports/2014/secretariat.csv", &["status"]);
    refuses_link_out("indicators/2014/zz.toml", &["check"]);
    refuses_link_out("perf.toml", &["check"]);
    refuses_link_out("templates/zh/summary.md", &["summary"]);
    refuses_link_out(".github/CODEOWNERS", &["check"]);
    // A folder that leads outside is refused too, for reading as for writing.
    let ws = copy_workspace(&repo());
    let outside = tempfile::tempdir().unwrap();
    fs::rename(
        ws.path().join("indicators/2014"),
        outside.path().join("2014"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("2014"),
        ws.path().join("indicators/2014"),
    )
    .unwrap();
    let r = perf(ws.path(), &["--today", "2014-12-31", "check"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("indicators/2014 经符号链接指向工作区之外的"),
        "{}",
        r.stderr
    );
}

#[cfg(unix)]
#[test]
fn a_link_inside_the_workspace_is_followed() {
    let ws = copy_workspace(&repo());
    let root = ws.path();
    fs::create_dir_all(root.join("shared")).unwrap();
    fs::rename(
        root.join("reports/2014/secretariat.csv"),
        root.join("shared/secretariat.csv"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "../../shared/secretariat.csv",
        root.join("reports/2014/secretariat.csv"),
    )
    .unwrap();
    let r = perf(root, &["--today", "2026-01-01", "check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let linked = perf(
        root,
        &["--today", "2026-01-01", "status", "--format", "json"],
    );
    let plain = perf(
        &repo(),
        &["--today", "2026-01-01", "status", "--format", "json"],
    );
    assert_eq!(linked.stdout, plain.stdout);
}

#[cfg(unix)]
#[test]
fn what_is_not_a_regular_file_is_refused_by_name() {
    // A folder named like a division's file was skipped, and the division's entries silently
    // taken as none.
    let ws = copy_workspace(&repo());
    fs::remove_file(ws.path().join("reports/2014/secretariat.csv")).unwrap();
    fs::create_dir(ws.path().join("reports/2014/secretariat.csv")).unwrap();
    for args in [&["check"][..], &["status"]] {
        let mut all = vec!["--today", "2014-12-31"];
        all.extend(args);
        let r = perf(ws.path(), &all);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr
                .contains("reports/2014/secretariat.csv 是文件夹，不是文件"),
            "{}",
            r.stderr
        );
    }
    // `report add` too, for its division's file.
    let r = add_e11(ws.path(), &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("reports/2014/secretariat.csv 是文件夹，不是文件"),
        "{}",
        r.stderr
    );
    // A named pipe would make every command wait for a writer.
    let ws = copy_workspace(&repo());
    let fifo = ws.path().join("reports/2014/pipe.csv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let r = perf(ws.path(), &["--today", "2014-12-31", "check"]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(
            r.stderr.contains("reports/2014/pipe.csv 不是普通文件"),
            "{}",
            r.stderr
        );
        let sec = ws.path().join("reports/2014/secretariat.csv");
        fs::remove_file(&sec).unwrap();
        fs::rename(&fifo, &sec).unwrap();
        let r = add_e11(ws.path(), &[]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(
            r.stderr
                .contains("reports/2014/secretariat.csv 不是普通文件"),
            "{}",
            r.stderr
        );
    }
}

#[cfg(unix)]
#[test]
fn a_lock_file_committed_as_a_link_is_refused() {
    let ws = copy_workspace(&repo());
    let outside = tempfile::tempdir().unwrap();
    let created = outside.path().join("created");
    std::os::unix::fs::symlink(&created, ws.path().join("reports/2014/.perf.lock")).unwrap();
    let r = add_e11(ws.path(), &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains(".perf.lock 不是普通文件"), "{}", r.stderr);
    assert!(!created.exists());
}

fn walk(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push((p.display().to_string(), fs::read(&p).unwrap()));
        }
    }
    out
}

#[test]
fn huge_working_day_counts_are_refused_not_walked() {
    // `red_after = 4000000000` used to make every status command walk ~95 million days per period
    // (more than a minute for the bundled workspace).
    for (from, to) in [
        ("red_after = 2", "red_after = 4000000000"),
        ("monthly = 5", "monthly = 4294967295"),
    ] {
        let ws = copy_workspace(&repo());
        let root = ws.path();
        edit(root, "perf.toml", from, to);
        let start = Instant::now();
        let r = perf(root, &["--today", TODAY, "--lang", "en", "check"]);
        assert_eq!(r.code, 1, "{}", r.stdout);
        assert!(
            r.stdout.contains("error[invalid-value]")
                && r.stdout.contains("a number of working days from 0 to 366"),
            "{}",
            r.stdout
        );
        let r = perf(root, &["--today", TODAY, "status"]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains("invalid-value"), "{}", r.stderr);
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{:?}",
            start.elapsed()
        );
    }
}

#[test]
fn ids_cannot_climb_out_of_the_reports_folder() {
    // A division id is a file name: `../x` would put its progress file outside `reports/<year>/`.
    let ws = copy_workspace(&repo());
    let root = ws.path();
    edit(
        root,
        ORG,
        "id = \"secretariat\"",
        "id = \"../../secretariat\"",
    );
    let r = perf(root, &["--today", TODAY, "--lang", "en", "check"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("error[invalid-id]"), "{}", r.stdout);
    let r = add_e11(root, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!root.join("../secretariat.csv").exists());
    assert!(!root.join("secretariat.csv").exists());
}

#[test]
fn evidence_paths_cannot_climb_out_of_the_workspace() {
    // `..`, absolute paths, drive letters, and `..` written with Windows backslashes, where the
    // workspace is also used: each an error, by `check` and by `report add`.
    for evidence in [
        "../secret.pdf",
        "docs/../../secret.pdf",
        "/etc/passwd",
        "C:/Windows/win.ini",
        "..\\secret.pdf",
        "docs\\..\\..\\secret.pdf",
        "\\\\server\\share\\x.pdf",
    ] {
        let ws = copy_workspace(&repo());
        let root = ws.path();
        let record = format!("2014-12-01,E1.1,3,x,\"{evidence}\",林晓燕,2014-12-01\n");
        append(root, SEC, &record);
        let r = perf(root, &["--today", TODAY, "--lang", "en", "check"]);
        assert_eq!(r.code, 1, "{evidence}: {}", r.stdout);
        assert!(
            r.stdout.contains("error[evidence-outside]"),
            "{evidence}: {}",
            r.stdout
        );

        let ws = copy_workspace(&repo());
        let root = ws.path();
        let before = fs::read(root.join(SEC)).unwrap();
        let r = add_e11(root, &["--evidence", evidence]);
        assert_eq!(r.code, 1, "{evidence}: {}", r.stderr);
        assert!(r.stderr.contains("evidence-outside"), "{}", r.stderr);
        assert_eq!(fs::read(root.join(SEC)).unwrap(), before);
    }
    // Inside the workspace, a backslash path is fine (a warning when the file is missing).
    let ws = copy_workspace(&repo());
    let root = ws.path();
    append(
        root,
        SEC,
        "2014-12-01,E1.1,3,x,docs\\2014\\a.pdf,林晓燕,2014-12-01\n",
    );
    let r = perf(root, &["--today", TODAY, "--lang", "en", "check"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains("warning[evidence-missing]"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_template_cannot_run_for_ever_nor_read_files() {
    let ws = copy_workspace(&repo());
    let root = ws.path();
    let dir = root.join("templates/zh");
    fs::create_dir_all(&dir).unwrap();
    // 10^10 iterations without the fuel limit: hours.
    fs::write(
        dir.join("matrix.md"),
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}\n",
    )
    .unwrap();
    let start = Instant::now();
    let r = perf(root, &["--today", TODAY, "matrix"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("templates/zh/matrix.md"), "{}", r.stderr);
    assert!(r.stderr.contains("fuel"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
    // No loader: a template cannot pull in a file.
    for include in ["/etc/passwd", "../../perf.toml", "summary.md"] {
        fs::write(
            dir.join("matrix.md"),
            format!("{{% include \"{include}\" %}}\n"),
        )
        .unwrap();
        let r = perf(root, &["--today", TODAY, "matrix"]);
        assert_eq!(r.code, 1, "{include}: {}", r.stdout);
        assert!(r.stdout.is_empty(), "{include}: {}", r.stdout);
        assert!(!r.stderr.contains("root:"), "{}", r.stderr);
    }
}

#[test]
fn an_owner_handle_cannot_add_a_line_to_codeowners() {
    // `perf codeowners` writes each division's owners after its file's pattern: a line break in a
    // handle would add a rule of its own, and a later CODEOWNERS rule wins.
    for owner in [
        "@port-secretariat\\n/indicators/** @mallory",
        "@a /indicators/** @mallory",
        "@a #",
        "",
    ] {
        let ws = copy_workspace(&repo());
        let root = ws.path();
        edit(
            root,
            ORG,
            "owners = [\"@port-secretariat\"]",
            &format!("owners = [\"{owner}\"]"),
        );
        let r = perf(root, &["--today", TODAY, "--lang", "en", "check"]);
        assert_eq!(r.code, 1, "{owner}: {}", r.stdout);
        assert!(
            r.stdout.contains("an invalid handle in `owners`"),
            "{owner}: {}",
            r.stdout
        );
        let r = perf(root, &["--today", TODAY, "codeowners"]);
        assert!(!r.stdout.contains("mallory"), "{owner}: {}", r.stdout);
        for line in r.stdout.lines().filter(|l| !l.starts_with('#')) {
            let pattern = line.split(' ').next().unwrap();
            assert!(
                ["/perf.toml", "/indicators/", "/templates/"].contains(&pattern)
                    || pattern.starts_with("/reports/2014/"),
                "{owner}: {line}"
            );
        }
    }
}
