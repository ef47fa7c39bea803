//! Documents (`summary`, `matrix`, `monthly`): golden examples, agreement with `perf status`, hostile text, templates.

use std::fs;
use std::path::Path;

use crate::common::{Run, copy_workspace, perf, repo};

const TODAY: &str = "2026-01-01";

/// Compares `text` with the checked-in file, or rewrites it when `PERF_BLESS` is set.
fn golden(rel: &str, text: &str) {
    let path = repo().join(rel);
    if std::env::var_os("PERF_BLESS").is_some() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        return;
    }
    let want = fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{rel} is missing: run PERF_BLESS=1 cargo test"));
    assert!(
        want == text,
        "{rel} differs from a fresh rendering; run PERF_BLESS=1 cargo test and review the diff"
    );
}

/// Every document of the bundled workspace in both languages, as checked in under `docs/examples/`.
/// Rendered from a copy without `templates/`, so the built-in templates are what is tested.
#[test]
fn checked_in_examples_match_a_fresh_rendering() {
    let ws = copy_workspace(&repo());
    fs::remove_dir_all(ws.path().join("templates")).unwrap();
    let documents: [(&[&str], &str); 4] = [
        (&["summary", "--year", "2014"], "summary-2014"),
        (
            &["summary", "--year", "2014", "--division", "secretariat"],
            "summary-2014-secretariat",
        ),
        (&["matrix", "--year", "2014"], "matrix-2014"),
        (&["monthly", "--month", "2014-06"], "monthly-2014-06"),
    ];
    for lang in ["zh", "en"] {
        for (args, name) in documents {
            let mut all = vec!["--today", TODAY, "--lang", lang];
            all.extend(args);
            let r = perf(ws.path(), &all);
            assert_eq!(r.code, 0, "{args:?} {lang}: {}", r.stderr);
            assert_tables_intact(&r.stdout);
            golden(&format!("docs/examples/{name}.{lang}.md"), &r.stdout);
            // The repository's own templates/ are the built-in ones: same bytes either way.
            let here = perf(&repo(), &all);
            assert_eq!(
                here.stdout, r.stdout,
                "templates/{lang} differs from the built-in {name}"
            );
        }
    }
}

#[test]
fn same_inputs_give_the_same_bytes() {
    let a = perf(&repo(), &["--today", TODAY, "summary"]);
    let b = perf(&repo(), &["--today", TODAY, "summary"]);
    assert_eq!(a.code, 0);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn counts_agree_with_status_json() {
    for as_of in [None, Some("2014-06-30")] {
        let mut args = vec!["--today", TODAY, "--lang", "en"];
        let mut sargs = args.clone();
        args.extend(["summary", "--year", "2014"]);
        sargs.extend(["status", "--year", "2014", "--format", "json"]);
        if let Some(d) = as_of {
            args.extend(["--as-of", d]);
            sargs.extend(["--as-of", d]);
        }
        let doc = perf(&repo(), &args).stdout;
        let status: serde_json::Value =
            serde_json::from_str(&perf(&repo(), &sargs).stdout).unwrap();
        let t = &status["totals"];
        let line = format!(
            "{} items: {} done, {} on track, {} behind, {} missed, {} not reported, {} not started.",
            t["items"],
            t["done"],
            t["on_track"],
            t["behind"],
            t["missed"],
            t["not_reported"],
            t["not_started"]
        );
        assert!(doc.contains(&line), "summary lacks `{line}`");
        let score = format!("score {:.2} out of 100", t["score"].as_f64().unwrap());
        assert!(doc.contains(&score), "summary lacks `{score}`");
        let rate = format!(
            "Completion rate {:.1}%",
            t["completion_rate"].as_f64().unwrap() * 100.0
        );
        assert!(doc.contains(&rate), "summary lacks `{rate}`");
    }
}

/// Splits a Markdown table row on unescaped `|`.
fn cells(row: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in row.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
    }
    n
}

/// Every table row has as many cells as its header.
fn assert_tables_intact(doc: &str) {
    let mut header: Option<usize> = None;
    for line in doc.lines() {
        if line.starts_with('|') {
            let n = cells(line);
            match header {
                None => header = Some(n),
                Some(h) => assert_eq!(n, h, "row breaks its table: {line}"),
            }
        } else {
            header = None;
        }
    }
}

#[test]
fn hostile_notes_render_literally() {
    let ws = copy_workspace(&repo());
    let csv = ws.path().join("reports/2014/secretariat.csv");
    let mut text = fs::read_to_string(&csv).unwrap();
    text.push_str("2014-12-31,X1.1,11.9,\"# 标题 | 表格 `代码` <script>alert(1)</script>\n第二行 [链接](http://x) ***\",,林晓燕,2015-01-05\n");
    fs::write(&csv, text).unwrap();
    for lang in ["zh", "en"] {
        let r = perf(ws.path(), &["--today", TODAY, "--lang", lang, "summary"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(!r.stdout.contains("<script>"));
        assert!(r.stdout.contains("&lt;script&gt;"));
        assert!(r.stdout.contains("\\# 标题 \\| 表格 \\`代码\\` &lt;script&gt;alert(1)&lt;/script&gt;<br>第二行 \\[链接\\](http://x) \\*\\*\\*"));
        assert_tables_intact(&r.stdout);
    }
}

/// `perf <args>` in English with `template` as the workspace's `templates/en/<name>.md`.
fn with_template(name: &str, template: &str, args: &[&str]) -> Run {
    let ws = copy_workspace(&repo());
    let dir = ws.path().join("templates/en");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(format!("{name}.md")), template).unwrap();
    let mut all = vec!["--today", TODAY, "--lang", "en"];
    all.extend(args);
    perf(ws.path(), &all)
}

/// `perf summary` in English with `template` as the workspace's `templates/en/summary.md`.
fn summary_with_template(template: &str) -> Run {
    with_template("summary", template, &["summary"])
}

#[test]
fn a_workspace_template_overrides_the_built_in_one() {
    let r = summary_with_template(
        "{{ office.short }} {{ year }}: {{ totals.done }} of {{ totals.items }} done\n",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "市口岸办 2014: 29 of 33 done\n");
}

#[test]
fn a_template_prints_every_kind_of_value_as_minijinja_does() {
    // Strings are written by `perf`'s own formatter; everything else, and anything inside an
    // `autoescape` block, as minijinja's default formatter writes it.
    let r = summary_with_template(concat!(
        "{{ office.short }}|{{ year }}|{{ preview }}|{{ nothing }}|{{ totals.score }}|",
        "{% autoescape \"html\" %}{{ \"<&>\" }}{% endautoescape %}|{{ \"<&>\" }}|",
        "{{ items[0].binding }}|{{ [1, \"a\"] }}|{{ none }}\n"
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "市口岸办|2014|False||98.60|&lt;&amp;&gt;|<&>|True|[1, 'a']|None\n"
    );
}

#[test]
fn a_card_row_reads_like_a_map() {
    // Card rows are objects made on demand; a template sees the same map it saw when they were
    // serialised: printed whole, iterated, indexed, filtered.
    let r = summary_with_template(concat!(
        "{{ cards[0] }}|{{ cards|length }}|{% for k in cards[0] %}{{ k }},{% endfor %}|",
        "{{ cards[0][\"light\"] }}|{{ cards[0].nope }}|{{ cards|map(attribute=\"period\")|join(\";\") }}\n"
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        concat!(
            "{'division': '规划建设处', 'item': 'R1.1', 'item_name': '莲塘/香园围口岸工程建设年度任务', ",
            "'period': '2014-11', 'deadline': '2014-12-05', 'filed': '2014-12-09', 'light': 'yellow', ",
            "'light_label': 'yellow card'}|8|",
            "division,item,item_name,period,deadline,filed,light,light_label,|yellow||",
            "2014-11;2014-08;2014-08;2014-04;2014-05;2014-Q3;2014-05;2014-10\n"
        )
    );
}

#[test]
fn a_monthly_card_line_reads_like_a_map() {
    let r = with_template(
        "monthly",
        concat!(
            "{{ cards[0] }}|{{ cards|length }}|{% for k in cards[0] %}{{ k }},{% endfor %}|",
            "{{ cards[0][\"card\"] }}|{{ cards|map(attribute=\"period\")|join(\";\") }}\n"
        ),
        &["monthly", "--month", "2014-12"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        concat!(
            "{'division': '秘书处', 'item': 'X2.2 公务接待费支出', 'period': '2014-05', ",
            "'deadline': '2014-06-09', 'filed': '2014-06-10', 'card': 'yellow card'}|8|",
            "division,item,period,deadline,filed,card,|yellow card|",
            "2014-05;2014-10;2014-04;2014-05;2014-11;2014-08;2014-08;2014-Q3\n"
        )
    );
}

#[test]
fn a_summary_before_31_december_says_it_is_a_preview_of_part_of_the_year() {
    // Written after the year has ended, about its first nine months.
    let zh = perf(
        &repo(),
        &["--today", TODAY, "summary", "--as-of", "2014-09-30"],
    );
    assert_eq!(zh.code, 0, "{}", zh.stderr);
    assert!(zh.stdout.contains(
        "> 预览稿：数据截至2014年9月30日，录入截至2014年9月30日，尚未涵盖全年，以下情况仅供参考。"
    ));
    assert!(zh.stdout.contains("。截至2014年9月30日共报送进度 "));
    assert!(!zh.stdout.contains("全年共报送进度"));
    let en = perf(
        &repo(),
        &[
            "--today",
            TODAY,
            "--lang",
            "en",
            "summary",
            "--as-of",
            "2014-09-30",
        ],
    );
    assert!(en.stdout.contains("They do not cover the whole year"));
    assert!(
        en.stdout
            .contains(" progress entries were filed by 2014-09-30;")
    );
    // At the year's end, neither.
    let end = perf(&repo(), &["--today", TODAY, "summary"]);
    assert!(!end.stdout.contains("预览稿"));
    assert!(end.stdout.contains("。全年共报送进度 "));
}

#[test]
fn a_broken_template_names_its_line() {
    let r = summary_with_template("# Report\n\n{% for x in items %}\n{{ x.id }\n");
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("templates/en/summary.md, line 4"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
    // In Chinese, the frame is Chinese; minijinja's own words stay as it writes them.
    let ws = copy_workspace(&repo());
    fs::write(
        ws.path().join("templates/zh/summary.md"),
        "# 报告\n{{ x.id }\n",
    )
    .unwrap();
    let r = perf(ws.path(), &["--today", TODAY, "--lang", "zh", "summary"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("perf: 模板 templates/zh/summary.md 第 2 行有误：syntax error"),
        "{}",
        r.stderr
    );
}

#[test]
fn output_file_is_written_whole() {
    let ws = copy_workspace(&repo());
    let out = ws.path().join("out.md");
    let r = perf(
        ws.path(),
        &["--today", TODAY, "summary", "-o", out.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let written = fs::read_to_string(&out).unwrap();
    assert_eq!(
        written,
        perf(ws.path(), &["--today", TODAY, "summary"]).stdout
    );
    assert!(written.starts_with("# 市口岸办2014年度绩效评估报告"));
    let _ = Path::new(&out);
}

#[cfg(unix)]
#[test]
fn output_files_get_the_usual_permissions() {
    use crate::common::{mode, perf_with_umask};
    use std::os::unix::fs::PermissionsExt;
    let ws = copy_workspace(&repo());
    // A new file: what the umask leaves of read and write for everyone, as any program's.
    let new = ws.path().join("new.md");
    let r = perf_with_umask(
        ws.path(),
        "022",
        &["--today", TODAY, "matrix", "-o", new.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(mode(&new), 0o644);
    let r = perf_with_umask(
        ws.path(),
        "077",
        &[
            "--today",
            TODAY,
            "matrix",
            "-o",
            ws.path().join("private.md").to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(mode(&ws.path().join("private.md")), 0o600);
    // A file written over keeps its own.
    fs::set_permissions(&new, fs::Permissions::from_mode(0o640)).unwrap();
    let r = perf_with_umask(
        ws.path(),
        "022",
        &["--today", TODAY, "summary", "-o", new.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(mode(&new), 0o640);
    assert!(fs::read_to_string(&new).unwrap().starts_with("# 市口岸办"));
}

#[test]
fn an_output_folder_that_does_not_exist_is_named_alone() {
    let ws = copy_workspace(&repo());
    let out = ws.path().join("no-such-folder/m.md");
    let r = perf(
        ws.path(),
        &["--today", TODAY, "matrix", "-o", out.to_str().unwrap()],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("无法写入 {}：所在文件夹不存在", out.display())),
        "{}",
        r.stderr
    );
    // The system's reason, without the name of the temporary file that was never made.
    assert!(!r.stderr.contains("at path"), "{}", r.stderr);
    assert!(!r.stderr.contains(".perf-"), "{}", r.stderr);
}

#[test]
fn monthly_dates_follow_the_reporting_deadline() {
    // June 2014's monthly deadline is the 5th working day after 30 June: 7 July.
    let r = perf(
        &repo(),
        &[
            "--today", TODAY, "--lang", "en", "monthly", "--month", "2014-06",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("Figures as of 2014-06-30, with the entries recorded by 2014-07-07")
    );
    assert!(r.stdout.contains("## 2. Changes since 2014-05-31"));
    // January compares with the start of the year, when nothing was reported.
    let r = perf(
        &repo(),
        &[
            "--today", TODAY, "--lang", "en", "monthly", "--month", "2014-01",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("## 2. Changes since 2013-12-31"));
    assert!(r.stdout.contains("| not started | on track |"));
    // A month that has not begun is a usage error.
    let r = perf(
        &repo(),
        &["--today", "2014-06-15", "monthly", "--month", "2014-07"],
    );
    assert_eq!(r.code, 2);
    let r = perf(
        &repo(),
        &["--today", TODAY, "monthly", "--month", "2014-13"],
    );
    assert_eq!(r.code, 2);
}

#[test]
fn matrix_marks_lead_and_support() {
    let r = perf(&repo(), &["--today", TODAY, "--lang", "en", "matrix"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // E1.1 is led by the Secretariat (first division) and supported by General Affairs (second).
    assert!(
        r.stdout
            .contains("| E1.1 市政府督查事项按期办结 | ● | ○ |  |  |  |  |  |"),
        "{}",
        r.stdout
    );
    assert_tables_intact(&r.stdout);
}

#[test]
fn export_csv_neutralises_formulas_and_keeps_numbers() {
    let ws = copy_workspace(&repo());
    let csv = ws.path().join("reports/2014/secretariat.csv");
    let mut text = fs::read_to_string(&csv).unwrap();
    text.push_str("2014-12-31,X2.1,-0.5,=HYPERLINK(\"http://x\"),,林晓燕,2015-01-05\n");
    fs::write(&csv, text).unwrap();
    let r = perf(
        ws.path(),
        &["--today", TODAY, "export", "--format", "csv", "--bom"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("\u{feff}id,name,"));
    assert_eq!(r.stdout.lines().count(), 34);
    let x21 = r.stdout.lines().find(|l| l.starts_with("X2.1,")).unwrap();
    assert!(x21.contains(",-0.5,"), "{x21}");
    assert!(x21.contains("'=HYPERLINK"), "{x21}");
    let r = perf(ws.path(), &["--today", TODAY, "export", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 33);
    assert_eq!(v["items"][0]["lead_name"], "规划建设处");
}

#[test]
fn a_template_saved_as_gbk_is_a_problem_of_the_workspace_with_its_fix() {
    let ws = copy_workspace(&repo());
    fs::write(
        ws.path().join("templates/zh/summary.md"),
        crate::common::gb18030("# {{ office.short }}年度报告\n"),
    )
    .unwrap();
    let r = perf(ws.path(), &["--today", TODAY, "summary"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "perf: 模板 templates/zh/summary.md：文件不是 UTF-8 编码（第 1 行第一个无效字节）；templates/zh/summary.md 看起来是 GB18030/GBK 编码；请运行 `perf fix-encoding templates/zh/summary.md` 转为 UTF-8（或 `iconv -f GB18030 -t UTF-8`）\n"
    );
    assert!(r.stdout.is_empty());
}

#[test]
fn check_finds_a_broken_or_garbled_template_before_a_document_is_asked_for() {
    let ws = copy_workspace(&repo());
    fs::write(
        ws.path().join("templates/zh/summary.md"),
        "# 报告\n\n{% for x in items %}\n{{ x.id }\n",
    )
    .unwrap();
    fs::write(
        ws.path().join("templates/en/matrix.md"),
        crate::common::gb18030("# {{ office.short }}年度\n"),
    )
    .unwrap();
    let r = perf(
        ws.path(),
        &[
            "--today", TODAY, "--lang", "en", "check", "--format", "json",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let list = crate::common::diagnostics(&r.stdout);
    let found: Vec<(String, String, Option<u64>, Option<u64>)> = list
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64(),
                d["column"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "not-utf8".into(),
                "templates/en/matrix.md".into(),
                None,
                None
            ),
            (
                "template-syntax".into(),
                "templates/zh/summary.md".into(),
                Some(4),
                Some(9)
            ),
        ]
    );
    assert_eq!(
        list[0]["help"],
        "the bytes decode as GB18030/GBK; convert with `perf fix-encoding templates/en/matrix.md` (or `iconv -f GB18030 -t UTF-8`)"
    );
    assert!(
        list[1]["message"]
            .as_str()
            .unwrap()
            .starts_with("template syntax error: syntax error: unexpected `}`")
    );
    // The bundled workspace's own templates compile.
    let r = perf(&repo(), &["--today", TODAY, "check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}
