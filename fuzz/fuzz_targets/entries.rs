//! The CSV entry loader and every record rule (`check::entries::scan_file`, then the cross-record
//! rules of `judge_history`) on arbitrary bytes as the secretariat's progress file of the bundled
//! 2014 workspace, with the valid entries folded into the status engine and every diagnostic
//! rendered as `perf check` prints it.

#![no_main]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use perf::calendar::WorkCalendar;
use perf::check::entries::{History, Rules, judge_history, scan_file};
use perf::diag::{Diagnostics, Lang};
use perf::model::{Plan, Settings};
use perf::render::diagnostics::{Format, render};
use perf::status::{Dates, ItemState, evaluate};
use perf::workspace::source::Source;
use perf::workspace::{plan, settings};

macro_rules! plan_files {
    ($($name:literal),*) => {
        [$((concat!("indicators/2014/", $name), include_str!(concat!("../../indicators/2014/", $name)))),*]
    };
}

/// The bundled workspace's settings and 2014 plan, read once.
fn workspace() -> &'static (Settings, Plan, WorkCalendar) {
    static WS: OnceLock<(Settings, Plan, WorkCalendar)> = OnceLock::new();
    WS.get_or_init(|| {
        let mut diags = Diagnostics::new();
        let src = Source::new("perf.toml", include_str!("../../perf.toml").to_string());
        let settings = settings::read(&Arc::new(src), &mut diags);
        let files: Vec<Arc<Source>> = plan_files!(
            "00-organization.toml",
            "01-calendar.toml",
            "10-results.toml",
            "20-efficiency.toml",
            "30-quality.toml",
            "40-expenditure.toml",
            "50-satisfaction.toml"
        )
        .iter()
        .map(|(path, text)| Arc::new(Source::new(path, text.to_string())))
        .collect();
        let (plan, complete) = plan::read(2014, &files, &settings, &mut diags);
        assert!(
            complete && !diags.has_errors(),
            "the bundled plan reads cleanly"
        );
        let cal = WorkCalendar::new().with_year(2014, plan.calendar.as_ref());
        (settings, plan, cal)
    })
}

fuzz_target!(|data: &[u8]| {
    let (settings, plan, cal) = workspace();
    // The first byte picks the division (and whether the plan counts as complete), the rest is
    // the file.
    let (pick, bytes) = data.split_first().map_or((0, data), |(p, rest)| (*p, rest));
    let division = &plan.divisions[usize::from(pick) % plan.divisions.len()].id;
    let mut diags = Diagnostics::new();
    let src = match Source::decode(&format!("reports/2014/{division}.csv"), bytes.to_vec()) {
        Ok(src) => src,
        Err(d) => {
            diags.push(*d);
            return;
        }
    };
    let rules = Rules {
        plan,
        root: Path::new("/nonexistent-perf-fuzz-root"),
        today: NaiveDate::from_ymd_opt(2015, 1, 15).expect("date"),
        refuse_future: pick & 0x80 == 0,
        plan_complete: pick & 0x40 == 0,
        hand_on: true,
        warnings: true,
    };
    let dates = Dates {
        as_of: NaiveDate::from_ymd_opt(2014, 12, 31).expect("date"),
        known: NaiveDate::from_ymd_opt(2015, 3, 31).expect("date"),
    };
    let mut states: Vec<ItemState> = plan
        .items
        .iter()
        .map(|it| ItemState::new(it, dates, settings, cal))
        .collect();
    let mut history = History::default();
    scan_file(
        &rules,
        &src,
        0,
        division,
        &mut diags,
        &mut history,
        |index, entry| {
            assert_eq!(plan.items[index].id, entry.item);
            states[index].add(entry, 0);
        },
    );
    diags.extend(judge_history(plan, history, std::slice::from_ref(&src)));
    for (i, item) in plan.items.iter().enumerate() {
        let s = evaluate(i, item, &states[i], dates, settings);
        assert!(s.score >= rust_decimal::Decimal::ZERO && s.score <= rust_decimal::Decimal::ONE);
    }

    let list = diags.sorted();
    for d in &list {
        if let Some(p) = &d.place {
            assert!(p.line >= 1 && p.column >= 1 && p.width >= 1, "{d:?}");
            // Within its line: at most one column past its last character.
            assert!(p.column <= p.snippet.chars().count() + 1, "{d:?}");
        }
    }
    for format in [Format::Human, Format::Json, Format::Github, Format::Gitlab] {
        let _ = render(&list, format, Lang::En, false);
    }
    let _ = render(&list, Format::Human, Lang::Zh, true);
});
