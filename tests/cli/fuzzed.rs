//! Inputs the fuzz targets (`fuzz/fuzz_targets/`) found a problem with, fed the way the target
//! feeds them: each must go through without a panic and give the diagnostic it deserves, placed
//! within its line. The inputs are kept as they were found in `tests/fixtures/fuzz/<target>/`.

use std::sync::Arc;

use perf::diag::{Diagnostic, Diagnostics, Lang};
use perf::model::Settings;
use perf::render::diagnostics::{Format, render};
use perf::workspace::source::Source;
use perf::workspace::{plan, settings};

use crate::common::fixture;

/// What `fuzz/fuzz_targets/plan.rs` does with its input: `perf.toml`, then up to three plan files,
/// separated by NUL bytes.
fn plan_target(data: &[u8]) -> Vec<Diagnostic> {
    let mut parts = data.split(|b| *b == 0).filter(|p| !p.is_empty());
    let mut diags = Diagnostics::new();
    let settings = match Source::decode("perf.toml", parts.next().unwrap_or_default().to_vec()) {
        Ok(src) => settings::read(&Arc::new(src), &mut diags),
        Err(d) => {
            diags.push(*d);
            Settings::default()
        }
    };
    let mut sources = Vec::new();
    for (i, part) in parts.take(3).enumerate() {
        match Source::decode(&format!("indicators/2014/{i}.toml"), part.to_vec()) {
            Ok(src) => sources.push(Arc::new(src)),
            Err(d) => diags.push(*d),
        }
    }
    let (plan, complete) = plan::read(2014, &sources, &settings, &mut diags);
    perf::check::plan::check(&plan, complete, &mut diags);
    let list = diags.sorted();
    for format in [Format::Human, Format::Json, Format::Github, Format::Gitlab] {
        let _ = render(&list, format, Lang::En, false);
    }
    list
}

/// Every place lies within its line: at most one column past its last character.
fn assert_placed_within_lines(list: &[Diagnostic]) {
    for d in list {
        if let Some(p) = &d.place {
            assert!(p.line >= 1 && p.column >= 1 && p.width >= 1, "{d:?}");
            assert!(p.column <= p.snippet.chars().count() + 1, "{d:?}");
        }
    }
}

#[test]
fn plan_a_line_of_stray_carriage_returns() {
    // `owners = ["@port-hkmac` followed by 74 lone `\r` and the end of the file: the array is
    // never closed. The snippet used to lose every trailing `\r`, so the error's column (after
    // them) lay 73 characters past the end of the line shown.
    let data = std::fs::read(fixture("fuzz/plan/stray-carriage-returns")).unwrap();
    let list = plan_target(&data);
    assert_placed_within_lines(&list);
    let d = list
        .iter()
        .find(|d| d.file == "indicators/2014/2.toml")
        .expect("a problem in the third plan file");
    assert_eq!(d.code, "toml-syntax");
    assert!(d.message.en.contains("unclosed array"), "{d:?}");
    assert_eq!((d.line(), d.column()), (Some(3), Some(97)));
    // The human form shows the stray `\r` as `␍`, with the caret after them.
    let human = render(std::slice::from_ref(d), Format::Human, Lang::En, false);
    assert!(human.contains("@port-hkmac\u{240d}\u{240d}"), "{human}");
}

#[test]
fn plan_an_unclosed_string_at_a_crlf_line_end() {
    // `  owner = "责任人I1.3.10` and a CRLF: the string is never closed. TOML places the error at
    // the `\n`, which `Source::place` counted as a column of its own after the `\r`: two columns
    // past the line shown. A place in the line end is now just after the line's last character.
    let data = std::fs::read(fixture("fuzz/plan/unclosed-string-at-crlf")).unwrap();
    let list = plan_target(&data);
    assert_placed_within_lines(&list);
    let d = list
        .iter()
        .find(|d| d.code == "toml-syntax")
        .expect("a syntax error");
    assert_eq!(d.file, "indicators/2014/0.toml");
    assert!(d.message.en.contains("invalid basic string"), "{d:?}");
    assert_eq!((d.line(), d.column()), (Some(23), Some(22)));
    assert_eq!(
        d.place.as_ref().unwrap().snippet,
        "  owner = \"责任人I1.3.10"
    );
}
