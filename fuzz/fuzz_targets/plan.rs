//! The TOML loaders on arbitrary text: `perf.toml` (`settings::read`) and a year's plan files
//! (`plan::read`, then the cross-file rules of `check::plan`), with every diagnostic rendered the
//! way `perf check` prints it. The input is split at `\0\0` into perf.toml and up to three plan
//! files. Nothing may panic, loop for long, or place a diagnostic outside its file.

#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use perf::calendar::WorkCalendar;
use perf::diag::{Diagnostics, Lang};
use perf::render::diagnostics::{Format, render};
use perf::status::{Dates, ItemState, evaluate};
use perf::workspace::source::Source;
use perf::workspace::{plan, settings};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0).filter(|p| !p.is_empty());
    let mut diags = Diagnostics::new();
    let settings = match Source::decode("perf.toml", parts.next().unwrap_or_default().to_vec()) {
        Ok(src) => settings::read(&Arc::new(src), &mut diags),
        Err(d) => {
            diags.push(*d);
            perf::model::Settings::default()
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

    // A plan that reads without errors can be computed with: the status engine must cope with
    // whatever settings and items got through.
    if complete && !diags.has_errors() {
        let cal = WorkCalendar::new().with_year(2014, plan.calendar.as_ref());
        let day = chrono::NaiveDate::from_ymd_opt(2014, 7, 1).expect("date");
        let dates = Dates::at(day);
        for (i, item) in plan.items.iter().enumerate() {
            let state = ItemState::new(item, dates, &settings, &cal);
            let s = evaluate(i, item, &state, dates, &settings);
            assert!(
                s.score >= rust_decimal::Decimal::ZERO && s.score <= rust_decimal::Decimal::ONE
            );
        }
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
