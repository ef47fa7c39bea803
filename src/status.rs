//! The status engine of SPEC §4: pure code, every date passed in.
//!
//! Entries are folded into a per-item `ItemState` as they are read (file by file, in parallel if
//! wished: states merge), so memory follows the number of items, not of entries. `evaluate` then
//! turns each state into an `ItemStatus`, and `Totals` adds them up.

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::calendar::{Period, WorkCalendar};
use crate::model::{Direction, Entry, Item, Measure, Plan, Schedule, Settings};

/// The evaluation date D and the knowledge date K ≥ D.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dates {
    pub as_of: NaiveDate,
    pub known: NaiveDate,
}

impl Dates {
    pub fn at(d: NaiveDate) -> Dates {
        Dates { as_of: d, known: d }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Done,
    OnTrack,
    Behind,
    Missed,
    NotReported,
    NotStarted,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Done,
        Status::OnTrack,
        Status::Behind,
        Status::Missed,
        Status::NotReported,
        Status::NotStarted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::OnTrack => "on_track",
            Status::Behind => "behind",
            Status::Missed => "missed",
            Status::NotReported => "not_reported",
            Status::NotStarted => "not_started",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Status::Done => "已完成",
            Status::OnTrack => "正常推进",
            Status::Behind => "进度滞后",
            Status::Missed => "未完成",
            Status::NotReported => "未报送",
            Status::NotStarted => "未开始",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::OnTrack => "on track",
            Status::Behind => "behind",
            Status::Missed => "missed",
            Status::NotReported => "not reported",
            Status::NotStarted => "not started",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    Green,
    Yellow,
    Red,
}

impl Light {
    pub fn as_str(self) -> &'static str {
        match self {
            Light::Green => "green",
            Light::Yellow => "yellow",
            Light::Red => "red",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Light::Green => "绿灯",
            Light::Yellow => "黄灯",
            Light::Red => "红灯",
        }
    }
}

/// What the counted entries say as of one (D, K): the value so far.
#[derive(Debug, Clone)]
struct Probe {
    /// Entries dated after this do not count: min(D, U).
    cut: NaiveDate,
    known: NaiveDate,
    /// `latest`: (date, file, line, value) of the winning entry with a value.
    latest: Option<(NaiveDate, u32, u32, Decimal)>,
    sum: Decimal,
    reported: bool,
}

impl Probe {
    fn new(cut: NaiveDate, known: NaiveDate) -> Probe {
        Probe {
            cut,
            known,
            latest: None,
            sum: Decimal::ZERO,
            reported: false,
        }
    }

    fn add(&mut self, e: &Entry, file: u32) {
        if e.known_on() > self.known || e.date > self.cut {
            return;
        }
        self.reported = true;
        if let Some(v) = e.value {
            self.sum += v;
            let key = (e.date, file, e.line as u32);
            if self.latest.is_none_or(|(d, f, l, _)| key > (d, f, l)) {
                self.latest = Some((key.0, key.1, key.2, v));
            }
        }
    }

    fn merge(&mut self, other: &Probe) {
        self.reported |= other.reported;
        self.sum += other.sum;
        if let Some(o) = other.latest
            && self
                .latest
                .is_none_or(|s| (o.0, o.1, o.2) > (s.0, s.1, s.2))
        {
            self.latest = Some(o);
        }
    }

    fn value(&self, measure: Measure) -> Option<Decimal> {
        match measure {
            Measure::Latest => self.latest.map(|l| l.3),
            Measure::Sum => Some(self.sum),
        }
    }
}

/// One reporting period of an item, as the fold sees it.
#[derive(Debug, Clone)]
struct PeriodState {
    period: Period,
    deadline: NaiveDate,
    red_from: NaiveDate,
    first_filed: Option<NaiveDate>,
    /// The value as of the day before the period, known by min(L, K): does it owe a report?
    before: Option<Probe>,
}

/// The fold of one item's entries for one (D, K).
#[derive(Debug, Clone)]
pub struct ItemState {
    main: Probe,
    periods: Vec<PeriodState>,
    entries: u32,
    last_date: Option<NaiveDate>,
    /// (date, file, line, note) of the last known entry, for documents.
    last_note: Option<(NaiveDate, u32, u32, String)>,
}

impl ItemState {
    pub fn new(item: &Item, dates: Dates, settings: &Settings, cal: &WorkCalendar) -> ItemState {
        let periods = Period::overlapping(item.cadence, item.start, item.due)
            .into_iter()
            .map(|period| {
                let deadline = period.deadline(cal, settings.deadline_days(item.cadence));
                let red_from = cal.nth_working_day_after(deadline, settings.red_after);
                let before = (item.direction == Direction::AtLeast)
                    .then(|| period.start.pred_opt())
                    .flatten()
                    .filter(|day| *day >= item.start)
                    .map(|day| Probe::new(day.min(item.due), deadline.min(dates.known)));
                PeriodState {
                    period,
                    deadline,
                    red_from,
                    first_filed: None,
                    before,
                }
            })
            .collect();
        ItemState {
            main: Probe::new(dates.as_of.min(item.due), dates.known),
            periods,
            entries: 0,
            last_date: None,
            last_note: None,
        }
    }

    /// Folds one valid entry of this item; `file` is the file's index in name order.
    pub fn add(&mut self, e: &Entry, file: u32) {
        if e.known_on() > self.main.known {
            return;
        }
        self.entries += 1;
        self.last_date = self.last_date.max(Some(e.date));
        let key = (e.date, file, e.line as u32);
        if self
            .last_note
            .as_ref()
            .is_none_or(|(d, f, l, _)| key > (*d, *f, *l))
        {
            self.last_note = Some((e.date, file, e.line as u32, e.note.clone()));
        }
        self.main.add(e, file);
        for p in &mut self.periods {
            if p.period.contains(e.date) {
                p.first_filed = p.first_filed.min(Some(e.known_on())).or(Some(e.known_on()));
            }
            if let Some(b) = &mut p.before {
                b.add(e, file);
            }
        }
    }

    /// Merges the fold of another file's entries of the same item.
    pub fn merge(&mut self, other: &ItemState) {
        self.entries += other.entries;
        self.last_date = self.last_date.max(other.last_date);
        if let Some(o) = &other.last_note
            && self
                .last_note
                .as_ref()
                .is_none_or(|s| (o.0, o.1, o.2) > (s.0, s.1, s.2))
        {
            self.last_note = Some(o.clone());
        }
        self.main.merge(&other.main);
        for (p, o) in self.periods.iter_mut().zip(&other.periods) {
            p.first_filed = match (p.first_filed, o.first_filed) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if let (Some(a), Some(b)) = (&mut p.before, &o.before) {
                a.merge(b);
            }
        }
    }
}

/// Cards held by one item, judged at K.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Cards {
    pub yellow: u32,
    pub red: u32,
}

/// One period's reporting record, for documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodCard {
    pub period: Period,
    pub deadline: NaiveDate,
    pub filed: Option<NaiveDate>,
    pub light: Light,
}

/// Everything known about one item as of (D, K).
#[derive(Debug, Clone)]
pub struct ItemStatus {
    pub index: usize,
    pub status: Status,
    pub light: Light,
    pub value: Option<Decimal>,
    pub expected: Option<Decimal>,
    pub gap: Option<Decimal>,
    pub score: Decimal,
    pub entries: u32,
    pub last_date: Option<NaiveDate>,
    pub last_note: Option<String>,
    pub cards: Cards,
    /// The periods holding a card.
    pub card_periods: Vec<PeriodCard>,
}

/// Rounds half away from zero to `dp` places.
pub fn round(d: Decimal, dp: u32) -> Decimal {
    d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// The expected value `e` of a `>=` item on day D.
pub fn expected(item: &Item, d: NaiveDate) -> Decimal {
    if !item.milestones.is_empty() {
        let mut e = Decimal::ZERO;
        for m in &item.milestones {
            if m.due <= d {
                e = m.value;
            }
        }
        if item.due <= d {
            e = item.target;
        }
        return e;
    }
    match item.schedule {
        Schedule::AtDue => {
            if d < item.due {
                Decimal::ZERO
            } else {
                item.target
            }
        }
        Schedule::Linear => {
            let total = (item.due - item.start).num_days();
            let done = (d - item.start).num_days().clamp(0, total.max(0));
            if total <= 0 {
                return item.target;
            }
            item.target * Decimal::from(done) / Decimal::from(total)
        }
    }
}

fn gap_light(g: Decimal, settings: &Settings) -> Light {
    if g <= settings.yellow {
        Light::Green
    } else if g <= settings.red {
        Light::Yellow
    } else {
        Light::Red
    }
}

/// Computes an item's status from its fold.
pub fn evaluate(
    index: usize,
    item: &Item,
    state: &ItemState,
    dates: Dates,
    settings: &Settings,
) -> ItemStatus {
    let d = dates.as_of;
    let k = dates.known;
    let t = item.target;

    // Cards, judged at K.
    let mut cards = Cards::default();
    let mut card_periods = Vec::new();
    for p in &state.periods {
        let done_before = p
            .before
            .as_ref()
            .and_then(|b| b.value(item.measure))
            .is_some_and(|v| v >= t);
        if done_before || k <= p.deadline || p.first_filed.is_some_and(|f| f <= p.deadline) {
            continue;
        }
        let light = match p.first_filed {
            Some(f) if f <= p.red_from => Light::Yellow,
            Some(_) => Light::Red,
            None if k <= p.red_from => Light::Yellow,
            None => Light::Red,
        };
        match light {
            Light::Yellow => cards.yellow += 1,
            _ => cards.red += 1,
        }
        card_periods.push(PeriodCard {
            period: p.period,
            deadline: p.deadline,
            filed: p.first_filed,
            light,
        });
    }
    let card_light = if cards.red > 0 {
        Light::Red
    } else if cards.yellow > 0 {
        Light::Yellow
    } else {
        Light::Green
    };

    let v = state.main.value(item.measure);
    let reported = state.main.reported;
    let mut expected_v = None;
    let mut gap = None;
    let (status, light) = if item.direction == Direction::AtLeast {
        let e = expected(item, d);
        let v0 = v.unwrap_or(Decimal::ZERO);
        let g = round(((e - v0) / t * Decimal::from(100)).max(Decimal::ZERO), 6);
        expected_v = Some(e);
        gap = Some(g);
        let gl = gap_light(g, settings);
        if d < item.start {
            (Status::NotStarted, Light::Green)
        } else if v.is_some_and(|v| v >= t) {
            (Status::Done, Light::Green)
        } else if d >= item.due {
            (Status::Missed, Light::Red)
        } else if !reported {
            (Status::NotReported, gl.max(card_light))
        } else if g > settings.yellow {
            (Status::Behind, gl)
        } else {
            (Status::OnTrack, Light::Green)
        }
    } else if d < item.start {
        (Status::NotStarted, Light::Green)
    } else {
        match (item.measure, v) {
            (Measure::Sum, Some(v)) | (Measure::Latest, Some(v)) if v > t => {
                if item.measure == Measure::Sum || d >= item.due {
                    (Status::Missed, Light::Red)
                } else {
                    (Status::Behind, Light::Red)
                }
            }
            (Measure::Latest, None) => {
                if d >= item.due {
                    (Status::Missed, Light::Red)
                } else {
                    (Status::NotReported, card_light)
                }
            }
            _ => {
                if d >= item.due {
                    (Status::Done, Light::Green)
                } else {
                    (Status::OnTrack, Light::Green)
                }
            }
        }
    };

    let score = if status == Status::NotStarted {
        Decimal::ZERO
    } else if item.direction == Direction::AtLeast {
        (v.unwrap_or(Decimal::ZERO) / t).clamp(Decimal::ZERO, Decimal::ONE)
    } else if v.is_some_and(|v| v <= t) {
        Decimal::ONE
    } else {
        Decimal::ZERO
    };

    ItemStatus {
        index,
        status,
        light,
        value: v,
        expected: expected_v,
        gap,
        score,
        entries: state.entries,
        last_date: state.last_date,
        last_note: state.last_note.as_ref().map(|n| n.3.clone()),
        cards,
        card_periods,
    }
}

/// Counts and scores over a set of items.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    pub items: usize,
    pub done: usize,
    pub on_track: usize,
    pub behind: usize,
    pub missed: usize,
    pub not_reported: usize,
    pub not_started: usize,
    /// done / items, 0–1.
    pub completion_rate: Decimal,
    /// The office's score over these items, 0–100.
    pub score: Decimal,
}

impl Totals {
    pub fn count(&self, s: Status) -> usize {
        match s {
            Status::Done => self.done,
            Status::OnTrack => self.on_track,
            Status::Behind => self.behind,
            Status::Missed => self.missed,
            Status::NotReported => self.not_reported,
            Status::NotStarted => self.not_started,
        }
    }
}

/// Points of an indicator: its `points`, or 1 when the plan uses none.
pub fn indicator_points(plan: &Plan, indicator: usize) -> Decimal {
    plan.indicators[indicator].points.unwrap_or(Decimal::ONE)
}

/// The weighted mean score of each indicator over the listed items (`None` when none is listed).
pub fn indicator_scores(plan: &Plan, statuses: &[&ItemStatus]) -> Vec<Option<Decimal>> {
    let mut sums = vec![(Decimal::ZERO, Decimal::ZERO); plan.indicators.len()];
    for s in statuses {
        let item = &plan.items[s.index];
        let e = &mut sums[item.indicator];
        e.0 += item.weight * s.score;
        e.1 += item.weight;
    }
    sums.into_iter()
        .map(|(ws, w)| (w > Decimal::ZERO).then(|| ws / w))
        .collect()
}

/// Totals over the listed items (SPEC §4, §5.3).
pub fn totals(plan: &Plan, statuses: &[&ItemStatus]) -> Totals {
    let mut t = Totals {
        items: statuses.len(),
        ..Totals::default()
    };
    for s in statuses {
        match s.status {
            Status::Done => t.done += 1,
            Status::OnTrack => t.on_track += 1,
            Status::Behind => t.behind += 1,
            Status::Missed => t.missed += 1,
            Status::NotReported => t.not_reported += 1,
            Status::NotStarted => t.not_started += 1,
        }
    }
    if t.items > 0 {
        t.completion_rate = Decimal::from(t.done) / Decimal::from(t.items);
    }
    let mut earned = Decimal::ZERO;
    let mut total = Decimal::ZERO;
    for (i, score) in indicator_scores(plan, statuses).into_iter().enumerate() {
        if let Some(score) = score {
            let p = indicator_points(plan, i);
            earned += p * score;
            total += p;
        }
    }
    if total > Decimal::ZERO {
        t.score = Decimal::from(100) * earned / total;
    }
    t
}

/// A division's share of the points over the items it leads, and what it earned (SPEC §4).
pub fn division_points(plan: &Plan, statuses: &[ItemStatus], division: &str) -> (Decimal, Decimal) {
    let mut weights = vec![Decimal::ZERO; plan.indicators.len()];
    for item in &plan.items {
        weights[item.indicator] += item.weight;
    }
    let mut points = Decimal::ZERO;
    let mut earned = Decimal::ZERO;
    for s in statuses {
        let item = &plan.items[s.index];
        if item.lead != division || weights[item.indicator] <= Decimal::ZERO {
            continue;
        }
        let share = indicator_points(plan, item.indicator) * item.weight / weights[item.indicator];
        points += share;
        earned += share * s.score;
    }
    (points, earned)
}

/// A category's points and its points earned.
pub fn category_points(plan: &Plan, statuses: &[ItemStatus], category: &str) -> (Decimal, Decimal) {
    let all: Vec<&ItemStatus> = statuses.iter().collect();
    let scores = indicator_scores(plan, &all);
    let mut points = Decimal::ZERO;
    let mut earned = Decimal::ZERO;
    for (i, ind) in plan.indicators.iter().enumerate() {
        if ind.category == category {
            let p = indicator_points(plan, i);
            points += p;
            earned += p * scores[i].unwrap_or(Decimal::ZERO);
        }
    }
    (points, earned)
}
