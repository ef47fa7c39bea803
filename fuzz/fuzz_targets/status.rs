//! The status engine (SPEC §4) on arbitrary sequences of entries: a small fixed plan with one item
//! of every shape, entries folded with `ItemState::add` (in one state, and split by file into
//! states that are merged), then `evaluate` and `totals`. Invariants: every score in [0, 1], every
//! gap ≥ 0, the expected value within [0, T], the totals' counts adding up, the office score in
//! [0, 100], cards no more than periods, and a merged fold equal to a single one.

#![no_main]

use std::sync::{Arc, OnceLock};

use arbitrary::Arbitrary;
use chrono::{Days, NaiveDate};
use libfuzzer_sys::fuzz_target;
use perf::calendar::{Period, WorkCalendar};
use perf::diag::Diagnostics;
use perf::model::{Direction, Entry, Kind, Plan, Settings};
use perf::status::{Dates, ItemState, ItemStatus, Light, Status, evaluate, totals};
use perf::workspace::plan;
use perf::workspace::source::Source;
use rust_decimal::Decimal;

const PLAN: &str = r#"
[[division]]
id = "d0"
name = "D0"
leader = "L0"
liaisons = ["A0"]

[[division]]
id = "d1"
name = "D1"
leader = "L1"
liaisons = ["A1"]

[[category]]
id = "c"
name = "C"

[[indicator]]
id = "I0"
category = "c"
name = "I0"
points = 40

  [[indicator.item]]
  id = "task"
  name = "task"
  lead = "d0"
  owner = "o"

  [[indicator.item]]
  id = "milestones"
  name = "milestones"
  lead = "d1"
  owner = "o"
  kind = "number"
  target = 174.9
  unit = "km"
  start = 2014-03-01
  due = 2014-10-31
  cadence = "quarterly"
  weight = 2
  milestones = [{ due = 2014-03-01, value = 0.5 }, { due = 2014-06-30, value = 80 }, { due = 2014-09-30, value = 80 }]

  [[indicator.item]]
  id = "at-due"
  name = "at-due"
  lead = "d0"
  owner = "o"
  kind = "number"
  target = 3
  unit = "x"
  schedule = "at-due"
  due = 2014-06-30
  cadence = "half-yearly"
  min = 0

[[indicator]]
id = "I1"
category = "c"
name = "I1"
points = 60

  [[indicator.item]]
  id = "sum"
  name = "sum"
  lead = "d1"
  owner = "o"
  kind = "number"
  target = 12
  unit = "x"
  measure = "sum"
  start = 2014-02-15
  cadence = "yearly"

  [[indicator.item]]
  id = "at-most"
  name = "at-most"
  lead = "d0"
  owner = "o"
  kind = "number"
  target = 0.05
  unit = "%"
  direction = "<="
  due = 2014-12-30
  weight = 0.5

  [[indicator.item]]
  id = "at-most-sum"
  name = "at-most-sum"
  lead = "d1"
  owner = "o"
  kind = "number"
  target = 0
  unit = "x"
  direction = "<="
  measure = "sum"
  start = 2014-07-01
  cadence = "quarterly"

  [[indicator.item]]
  id = "negative"
  name = "negative"
  lead = "d1"
  owner = "o"
  kind = "number"
  target = 0.000001
  unit = "%"
  start = 2014-12-30
"#;

fn plan() -> &'static (Plan, WorkCalendar) {
    static PLAN_: OnceLock<(Plan, WorkCalendar)> = OnceLock::new();
    PLAN_.get_or_init(|| {
        let mut diags = Diagnostics::new();
        let src = Arc::new(Source::new("indicators/2014/plan.toml", PLAN.to_string()));
        let (plan, complete) = plan::read(2014, &[src], &Settings::default(), &mut diags);
        perf::check::plan::check(&plan, complete, &mut diags);
        assert!(complete && !diags.has_errors(), "{:?}", diags.sorted());
        let cal = WorkCalendar::new().with_year(2014, plan.calendar.as_ref());
        (plan, cal)
    })
}

#[derive(Debug, Arbitrary)]
enum Value {
    /// An ordinary number: `units / 10^scale`.
    Small(i32, u8),
    /// Anything `Decimal` holds.
    Raw(u32, u32, u32, bool, u8),
}

#[derive(Debug, Arbitrary)]
struct FuzzEntry {
    item: u8,
    date: u16,
    value: Option<Value>,
    filed: Option<u8>,
    file: u8,
}

#[derive(Debug, Arbitrary)]
struct Input {
    as_of: u16,
    known_after: u8,
    yellow: u8,
    red_extra: u8,
    red_after: u8,
    deadline: [u8; 4],
    entries: Vec<FuzzEntry>,
}

fn day(n: u16) -> NaiveDate {
    NaiveDate::from_ymd_opt(2014, 1, 1).expect("date") + Days::new(u64::from(n % 365))
}

fn fold(
    plan: &Plan,
    cal: &WorkCalendar,
    entries: &[(usize, u32, Entry)],
    dates: Dates,
    settings: &Settings,
    split: bool,
) -> Vec<ItemStatus> {
    let new = || -> Vec<ItemState> {
        plan.items
            .iter()
            .map(|it| ItemState::new(it, dates, settings, cal))
            .collect()
    };
    let mut states = new();
    if split {
        // One fold per file, merged in file order: what `check::scan_year` does on threads.
        let mut per_file: Vec<Vec<ItemState>> = (0..4).map(|_| new()).collect();
        for (index, file, e) in entries {
            per_file[*file as usize][*index].add(&e.view(), *file);
        }
        for part in &per_file {
            for (s, o) in states.iter_mut().zip(part) {
                s.merge(o);
            }
        }
    } else {
        for (index, file, e) in entries {
            states[*index].add(&e.view(), *file);
        }
    }
    plan.items
        .iter()
        .enumerate()
        .map(|(i, it)| evaluate(i, it, &states[i], dates, settings))
        .collect()
}

fuzz_target!(|input: Input| {
    let (plan, cal) = plan();
    let end_of_march = NaiveDate::from_ymd_opt(2015, 3, 31).expect("date");
    let as_of = day(input.as_of);
    let known = (as_of + Days::new(u64::from(input.known_after))).min(end_of_march);
    let dates = Dates { as_of, known };
    let yellow = Decimal::from(input.yellow % 101);
    let settings = Settings {
        yellow,
        red: (yellow + Decimal::from(input.red_extra)).min(Decimal::from(100)),
        red_after: u32::from(input.red_after % 30),
        deadline: input.deadline.map(|d| u32::from(d % 40)),
        ..Settings::default()
    };

    // Entries as `check` lets them through: dated in the year, filed on or after their date and by
    // the end of March, task values within 0–100.
    let mut lines = [1usize; 4];
    let mut ordinary = true;
    let entries: Vec<(usize, u32, Entry)> = input
        .entries
        .iter()
        .map(|f| {
            let index = usize::from(f.item) % plan.items.len();
            let item = &plan.items[index];
            let file = u32::from(f.file % 4);
            lines[file as usize] += 1;
            let value = f.value.as_ref().map(|v| match *v {
                Value::Small(units, scale) => Decimal::new(i64::from(units), u32::from(scale % 7)),
                Value::Raw(lo, mid, hi, neg, scale) => {
                    Decimal::from_parts(lo, mid, hi, neg, u32::from(scale % 29))
                }
            });
            let value = value.map(|v| {
                if item.kind == Kind::Task {
                    v.abs() % Decimal::from(101)
                } else {
                    v
                }
            });
            if value.is_some_and(|v| v.scale() > 6 || v.abs() >= Decimal::from(1_000_000_000)) {
                ordinary = false;
            }
            let date = day(f.date);
            let entry = Entry {
                date,
                item: item.id.clone(),
                value,
                note: String::new(),
                evidence: String::new(),
                reporter: "A0".to_string(),
                filed: f
                    .filed
                    .map(|n| (date + Days::new(u64::from(n))).min(end_of_march)),
                line: lines[file as usize],
            };
            (index, file, entry)
        })
        .collect();

    let statuses = fold(plan, cal, &entries, dates, &settings, false);
    // Folding file by file and merging gives the same result, as long as sums are exact.
    if ordinary {
        let merged = fold(plan, cal, &entries, dates, &settings, true);
        assert_eq!(format!("{statuses:?}"), format!("{merged:?}"));
    }

    for s in &statuses {
        let item = &plan.items[s.index];
        assert!(
            s.score >= Decimal::ZERO && s.score <= Decimal::ONE,
            "score {}",
            s.score
        );
        if item.direction == Direction::AtLeast {
            let g = s.gap.expect("gap of a >= item");
            let e = s.expected.expect("expected of a >= item");
            assert!(g >= Decimal::ZERO, "gap {g}");
            assert!(e >= Decimal::ZERO && e <= item.target, "expected {e}");
        } else {
            assert!(s.gap.is_none() && s.expected.is_none());
        }
        match s.status {
            Status::Done | Status::OnTrack | Status::NotStarted => {
                assert_eq!(s.light, Light::Green)
            }
            Status::Missed => assert_eq!(s.light, Light::Red),
            _ => {}
        }
        if s.status == Status::NotStarted {
            assert!(as_of < item.start);
            assert_eq!(s.score, Decimal::ZERO);
        }
        let periods = Period::overlapping(item.cadence, item.start, item.due).len() as u32;
        assert!(s.cards.yellow + s.cards.red <= periods);
        assert_eq!(s.card_periods.len() as u32, s.cards.yellow + s.cards.red);
        let known_entries = entries
            .iter()
            .filter(|(i, _, e)| *i == s.index && e.known_on() <= known)
            .count() as u32;
        assert_eq!(s.entries, known_entries);
    }

    let refs: Vec<&ItemStatus> = statuses.iter().collect();
    let t = totals(plan, &refs);
    assert_eq!(t.items, plan.items.len());
    assert_eq!(
        Status::ALL.iter().map(|s| t.count(*s)).sum::<usize>(),
        t.items
    );
    assert!(
        t.score >= Decimal::ZERO && t.score <= Decimal::from(100),
        "score {}",
        t.score
    );
    assert!(t.completion_rate >= Decimal::ZERO && t.completion_rate <= Decimal::ONE);
    for div in ["d0", "d1"] {
        let (points, earned) = perf::status::division_points(plan, &statuses, div);
        assert!(
            earned >= Decimal::ZERO && earned <= points,
            "{earned} of {points}"
        );
    }
});
