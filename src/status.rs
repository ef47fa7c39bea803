//! The status engine of SPEC §4: pure code, every date passed in.
//!
//! Entries are folded into a per-item `ItemState` as they are read (file by file, in parallel if
//! wished: states merge), so memory follows the number of items, not of entries. `evaluate` then
//! turns each state into an `ItemStatus`, and `Totals` adds them up.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::calendar::{Period, WorkCalendar};
use crate::model::{Cadence, Direction, EntryRef, Item, Measure, Plan, Schedule, Settings};

/// The evaluation date D and the knowledge date K ≥ D.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// The item's measure: only what it reads is kept (a `latest` item adds nothing up).
    measure: Measure,
    /// `latest`: (date, file, line, value) of the winning entry with a value.
    latest: Option<(NaiveDate, u32, u32, Decimal)>,
    /// `sum`: the counted values ≥ 0 and those < 0, apart, so that a sum beyond the range of
    /// `Decimal` saturates the same way whatever the order of the entries (files are folded on
    /// several threads).
    plus: Decimal,
    minus: Decimal,
    reported: bool,
}

impl Probe {
    fn new(cut: NaiveDate, known: NaiveDate, measure: Measure) -> Probe {
        Probe {
            cut,
            known,
            measure,
            latest: None,
            plus: Decimal::ZERO,
            minus: Decimal::ZERO,
            reported: false,
        }
    }

    /// Counts the entry if it is dated and known in time; says whether it did.
    fn add(&mut self, e: &EntryRef<'_>, file: u32) -> bool {
        if e.known_on() > self.known || e.date > self.cut {
            return false;
        }
        self.reported = true;
        let Some(v) = e.value else { return true };
        match self.measure {
            Measure::Sum => self.push(v),
            Measure::Latest => {
                let key = (e.date, file, e.line as u32);
                if self.latest.is_none_or(|(d, f, l, _)| key > (d, f, l)) {
                    self.latest = Some((key.0, key.1, key.2, v));
                }
            }
        }
        true
    }

    fn push(&mut self, v: Decimal) {
        if v.is_sign_negative() {
            self.minus = add(self.minus, v);
        } else {
            self.plus = add(self.plus, v);
        }
    }

    fn merge(&mut self, other: &Probe) {
        self.reported |= other.reported;
        self.plus = add(self.plus, other.plus);
        self.minus = add(self.minus, other.minus);
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
            Measure::Sum => Some(add(self.plus, self.minus)),
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
    /// This probe holds only the entries that no earlier period's probe counts (see
    /// `ItemState::add`); `evaluate` adds up (`sum`) or takes the newest (`latest`) over it and
    /// those before.
    before: Option<Probe>,
}

/// The fold of one item's entries for one (D, K).
#[derive(Debug)]
pub struct ItemState {
    main: Probe,
    periods: Vec<PeriodState>,
    entries: u32,
    last_date: Option<NaiveDate>,
    /// (date, file, line, note) of the last known entry, for documents.
    last_note: Option<(NaiveDate, u32, u32, String)>,
}

/// Reporting deadlines L and red-card days R of periods, worked out once for the many items that
/// share their periods (counting working days is most of making an item's fold), and the empty
/// folds made so far: items of the same cadence, span, direction and measure start alike.
#[derive(Debug, Default)]
pub struct Deadlines(
    HashMap<(Period, u32, u32), (NaiveDate, NaiveDate)>,
    HashMap<FoldShape, ItemState>,
);

/// What an empty fold depends on besides the settings and the calendar (the same for every item
/// of a scan).
type FoldShape = (Cadence, NaiveDate, NaiveDate, Direction, Measure, Dates);

impl Deadlines {
    fn get(
        &mut self,
        period: Period,
        days: u32,
        red_after: u32,
        cal: &WorkCalendar,
    ) -> (NaiveDate, NaiveDate) {
        *self.0.entry((period, days, red_after)).or_insert_with(|| {
            let deadline = period.deadline(cal, days);
            (deadline, cal.nth_working_day_after(deadline, red_after))
        })
    }
}

impl Clone for ItemState {
    fn clone(&self) -> ItemState {
        ItemState {
            main: self.main.clone(),
            periods: self.periods.clone(),
            entries: self.entries,
            last_date: self.last_date,
            last_note: self.last_note.clone(),
        }
    }

    /// Reuses the memory of `self`'s periods (a fold made again for another item).
    fn clone_from(&mut self, source: &ItemState) {
        self.main = source.main.clone();
        self.periods.clone_from(&source.periods);
        self.entries = source.entries;
        self.last_date = source.last_date;
        self.last_note.clone_from(&source.last_note);
    }
}

impl ItemState {
    pub fn new(item: &Item, dates: Dates, settings: &Settings, cal: &WorkCalendar) -> ItemState {
        ItemState::with_deadlines(item, dates, settings, cal, &mut Deadlines::default())
    }

    /// `new`, with deadlines shared with other items' folds.
    pub fn with_deadlines(
        item: &Item,
        dates: Dates,
        settings: &Settings,
        cal: &WorkCalendar,
        deadlines: &mut Deadlines,
    ) -> ItemState {
        ItemState::empty_of(item, dates, settings, cal, deadlines).clone()
    }

    /// `with_deadlines` into this fold, which is no longer needed: the memory of its periods is
    /// reused instead of taking fresh memory for another fold.
    pub fn make_again(
        &mut self,
        item: &Item,
        dates: Dates,
        settings: &Settings,
        cal: &WorkCalendar,
        deadlines: &mut Deadlines,
    ) {
        self.clone_from(ItemState::empty_of(item, dates, settings, cal, deadlines));
    }

    /// A fold that holds nothing, standing for one that a scan did not keep
    /// (`check::ScanOptions::keep_folds`); it takes no memory of its own.
    pub fn unkept(item: &Item) -> ItemState {
        ItemState {
            main: Probe::new(item.due, item.due, item.measure),
            periods: Vec::new(),
            entries: 0,
            last_date: None,
            last_note: None,
        }
    }

    /// The empty fold of an item's shape, made once per shape.
    fn empty_of<'d>(
        item: &Item,
        dates: Dates,
        settings: &Settings,
        cal: &WorkCalendar,
        deadlines: &'d mut Deadlines,
    ) -> &'d ItemState {
        let shape = (
            item.cadence,
            item.start,
            item.due,
            item.direction,
            item.measure,
            dates,
        );
        if !deadlines.1.contains_key(&shape) {
            let empty = ItemState::empty(item, dates, settings, cal, deadlines);
            deadlines.1.insert(shape, empty);
        }
        &deadlines.1[&shape]
    }

    fn empty(
        item: &Item,
        dates: Dates,
        settings: &Settings,
        cal: &WorkCalendar,
        deadlines: &mut Deadlines,
    ) -> ItemState {
        let days = settings.deadline_days(item.cadence);
        let periods = Period::overlapping(item.cadence, item.start, item.due)
            .into_iter()
            .map(|period| {
                let (deadline, red_from) = deadlines.get(period, days, settings.red_after, cal);
                let before = (item.direction == Direction::AtLeast)
                    .then(|| period.start.pred_opt())
                    .flatten()
                    .filter(|day| *day >= item.start)
                    .map(|day| {
                        Probe::new(day.min(item.due), deadline.min(dates.known), item.measure)
                    });
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
            main: Probe::new(dates.as_of.min(item.due), dates.known, item.measure),
            periods,
            entries: 0,
            last_date: None,
            last_note: None,
        }
    }

    /// Folds one valid entry of this item; `file` is the file's index in name order.
    pub fn add(&mut self, e: &EntryRef<'_>, file: u32) {
        if e.known_on() > self.main.known {
            return;
        }
        self.entries += 1;
        self.last_date = self.last_date.max(Some(e.date));
        let key = (e.date, file, e.line as u32);
        match &mut self.last_note {
            // Reuses the note's buffer: most entries are newer than the last.
            Some(last) if key > (last.0, last.1, last.2) => {
                (last.0, last.1, last.2) = key;
                last.3.clear();
                last.3.push_str(e.note);
            }
            Some(_) => {}
            None => self.last_note = Some((key.0, key.1, key.2, e.note.to_string())),
        }
        self.main.add(e, file);
        // The periods follow each other month by month: the one holding the entry's date is
        // found by counting, not by looking at each (their folds are often not in the cache).
        let known_on = e.known_on();
        let at = self
            .periods
            .first()
            .and_then(|first| first.period.periods_until(e.date))
            .unwrap_or(0)
            .min(self.periods.len());
        if let Some(p) = self.periods.get_mut(at)
            && p.period.contains(e.date)
        {
            p.first_filed = Some(p.first_filed.map_or(known_on, |f| f.min(known_on)));
        }
        // The periods' probes only widen (their cut and knowledge dates never go back, and the
        // periods without one come first), so an entry counted by one is counted by every later
        // one. Only the first probe that counts it keeps it; `evaluate` adds up (`sum`) or takes
        // the newest (`latest`) over each probe and those before it. No probe up to the period
        // holding the entry's date counts it, and the next one mostly does.
        let counts = |b: &Probe| known_on <= b.known && e.date <= b.cut;
        if let Some(b) = self.periods[at..]
            .iter_mut()
            .filter_map(|p| p.before.as_mut())
            .find(|b| counts(b))
        {
            b.add(e, file);
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

// Arithmetic that never panics (SPEC §5.1: no input may make `perf` panic). Exact within the
// range of `Decimal` (28 digits), as §4 asks; beyond it, which only absurd data reaches, results
// saturate.

fn add(a: Decimal, b: Decimal) -> Decimal {
    a.saturating_add(b)
}

fn mul(a: Decimal, b: Decimal) -> Decimal {
    a.saturating_mul(b)
}

/// `a / b`, saturating when the quotient does not fit; 0 when `b` is 0 (never for valid data).
fn div(a: Decimal, b: Decimal) -> Decimal {
    if b.is_zero() {
        return Decimal::ZERO;
    }
    a.checked_div(b)
        .unwrap_or(if a.is_sign_negative() == b.is_sign_negative() {
            Decimal::MAX
        } else {
            Decimal::MIN
        })
}

/// `a × b / c`: the product first where it fits (the exact order), else `a × (b / c)`.
fn mul_div(a: Decimal, b: Decimal, c: Decimal) -> Decimal {
    match a.checked_mul(b) {
        Some(p) => div(p, c),
        None => mul(a, div(b, c)),
    }
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
            if total <= 0 || done >= total {
                return item.target;
            }
            // At most T even where 28 digits cannot hold T × days exactly.
            mul_div(item.target, Decimal::from(done), Decimal::from(total)).min(item.target)
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

/// `evaluate` for every item of the plan, on as many threads as there are cores (items are
/// independent; a large plan has ten thousand), in plan order.
pub fn evaluate_all(
    plan: &Plan,
    states: &[ItemState],
    dates: Dates,
    settings: &Settings,
) -> Vec<ItemStatus> {
    evaluate_rest(plan, states, dates, settings, &[])
}

/// `evaluate_all`, keeping the statuses already worked out (`done`, by item; `None` for those not
/// yet evaluated).
pub fn evaluate_rest(
    plan: &Plan,
    states: &[ItemState],
    dates: Dates,
    settings: &Settings,
    done: &[Mutex<Option<Box<ItemStatus>>>],
) -> Vec<ItemStatus> {
    let n = plan.items.len().min(states.len());
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let chunk = n.div_ceil(threads).max(1024);
    let part = |from: usize| -> Vec<ItemStatus> {
        (from..(from + chunk).min(n))
            .map(|i| {
                let made = done
                    .get(i)
                    .and_then(|d| d.lock().unwrap_or_else(PoisonError::into_inner).take())
                    .map(|status| *status);
                made.unwrap_or_else(|| evaluate(i, &plan.items[i], &states[i], dates, settings))
            })
            .collect()
    };
    let mut all = Vec::with_capacity(n);
    std::thread::scope(|s| {
        // The rest of the items, when there are many, are shared with other threads.
        let rest: Vec<_> = (chunk..n)
            .step_by(chunk)
            .map(|from| s.spawn(move || part(from)))
            .collect();
        all.extend(part(0));
        for (h, from) in rest.into_iter().zip((chunk..n).step_by(chunk)) {
            // A thread that panicked is done again here, where the panic is reported as usual
            // (the same item panics again: a status it had taken from `done` is not redone from
            // a fold the scan did not keep).
            all.extend(h.join().unwrap_or_else(|_| part(from)));
        }
    });
    all
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
    // An item's value before a period, from its probe and the earlier ones: their sum (the
    // values ≥ 0 and those < 0 apart, as in a probe), or the newest entry.
    let mut sum = (Decimal::ZERO, Decimal::ZERO);
    let mut newest: Option<(NaiveDate, u32, u32, Decimal)> = None;
    for p in &state.periods {
        let done_before = p
            .before
            .as_ref()
            .and_then(|b| match item.measure {
                Measure::Sum => {
                    sum = (add(sum.0, b.plus), add(sum.1, b.minus));
                    Some(add(sum.0, sum.1))
                }
                Measure::Latest => {
                    if let Some(l) = b.latest
                        && newest.is_none_or(|n| (l.0, l.1, l.2) > (n.0, n.1, n.2))
                    {
                        newest = Some(l);
                    }
                    newest.map(|n| n.3)
                }
            })
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
        let g = round(
            mul(div(e.saturating_sub(v0), t), Decimal::from(100)).max(Decimal::ZERO),
            6,
        );
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
        div(v.unwrap_or(Decimal::ZERO), t).clamp(Decimal::ZERO, Decimal::ONE)
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
        e.0 = add(e.0, mul(item.weight, s.score));
        e.1 = add(e.1, item.weight);
    }
    sums.into_iter()
        .map(|(ws, w)| (w > Decimal::ZERO).then(|| div(ws, w)))
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
            earned = add(earned, mul(p, score));
            total = add(total, p);
        }
    }
    if total > Decimal::ZERO {
        t.score = mul_div(Decimal::from(100), earned, total);
    }
    t
}

/// A division's share of the points over the items it leads, and what it earned (SPEC §4).
pub fn division_points(plan: &Plan, statuses: &[ItemStatus], division: &str) -> (Decimal, Decimal) {
    share_points(
        plan,
        statuses
            .iter()
            .filter(|s| plan.items[s.index].lead == division),
    )
}

/// The items' shares of the points (`indicator points × weight / Σ weights of the indicator's
/// items`, SPEC §4) added up, and what they earned (each share times the item's score).
pub fn share_points<'a>(
    plan: &Plan,
    statuses: impl IntoIterator<Item = &'a ItemStatus>,
) -> (Decimal, Decimal) {
    share_points_with(plan, &indicator_weights(plan), statuses)
}

/// Σ weights of each indicator's items, by indicator: what `share_points` divides by, worked out
/// once for many calls with `share_points_with`.
pub fn indicator_weights(plan: &Plan) -> Vec<Decimal> {
    let mut weights = vec![Decimal::ZERO; plan.indicators.len()];
    for item in &plan.items {
        weights[item.indicator] = add(weights[item.indicator], item.weight);
    }
    weights
}

/// `share_points` with the indicators' weights given (`indicator_weights`).
pub fn share_points_with<'a>(
    plan: &Plan,
    weights: &[Decimal],
    statuses: impl IntoIterator<Item = &'a ItemStatus>,
) -> (Decimal, Decimal) {
    let mut points = Decimal::ZERO;
    let mut earned = Decimal::ZERO;
    for s in statuses {
        let item = &plan.items[s.index];
        if weights[item.indicator] <= Decimal::ZERO {
            continue;
        }
        let share = mul_div(
            indicator_points(plan, item.indicator),
            item.weight,
            weights[item.indicator],
        );
        points = add(points, share);
        earned = add(earned, mul(share, s.score));
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
            points = add(points, p);
            earned = add(earned, mul(p, scores[i].unwrap_or(Decimal::ZERO)));
        }
    }
    (points, earned)
}

#[cfg(test)]
mod tests {
    //! Every rule of SPEC §4 and its boundaries, one case per line.
    //!
    //! The calendar is plain Monday–Friday (2014 without holidays), so the deadlines are easy to
    //! check by hand. With the default settings (monthly 5, quarterly 10 working days, red after 2):
    //!
    //! | period  | last day  | L          | R          |
    //! | ------- | --------- | ---------- | ---------- |
    //! | 2014-01 | Fri 01-31 | Fri 02-07  | Tue 02-11  |
    //! | 2014-02 | Fri 02-28 | Fri 03-07  | Tue 03-11  |
    //! | 2014-03 | Mon 03-31 | Mon 04-07  | Wed 04-09  |
    //! | 2014-Q1 | Mon 03-31 | Mon 04-14  | Wed 04-16  |
    //! | 2014-12 | Wed 12-31 | Wed 2015-01-07 | Fri 2015-01-09 |
    //!
    //! Items are written as a few words: `task` (the default: target 100 %, `>=`, `latest`),
    //! `>= latest T`, `>= sum T`, `<= latest T`, `<= sum T`; `MM-DD..MM-DD` for start and due
    //! (default the whole of 2014); `ms=MM-DD:V,…` milestones; `at-due`; cadence `m`, `q`, `h`, `y`
    //! (default monthly); `w=W` weight. Entries are `MM-DD=V` or `MM-DD=nil`, then optionally
    //! `@FILED` and `#FILE` (the file's index in name order); lines count from 2 in each file, in
    //! the order written. Expectations are `status light` then any of `v=` value, `e=` expected,
    //! `g=` gap, `s=` score (`null` for none; numbers compared after rounding to 6 places), `c=Y/R`
    //! cards, `n=` entries, `last=` last date.

    use std::collections::{BTreeMap, BTreeSet};
    use std::str::FromStr;

    use super::*;
    use crate::model::{Cadence, Category, Entry, Indicator, Kind, Locs, Milestone};

    const YEAR: i32 = 2014;

    fn day(s: &str) -> NaiveDate {
        let full = if s.len() == 10 {
            s.to_string()
        } else {
            format!("{YEAR}-{s}")
        };
        full.parse().unwrap_or_else(|e| panic!("bad date {s}: {e}"))
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_else(|e| panic!("bad number {s}: {e}"))
    }

    fn base_item(id: &str) -> Item {
        Item {
            id: id.to_string(),
            name: id.to_string(),
            indicator: 0,
            lead: "d1".to_string(),
            support: Vec::new(),
            former_leads: Vec::new(),
            owner: None,
            binding: false,
            kind: Kind::Task,
            target: Decimal::from(100),
            unit: "%".to_string(),
            direction: Direction::AtLeast,
            measure: Measure::Latest,
            start: day("01-01"),
            due: day("12-31"),
            schedule: Schedule::Linear,
            cadence: Cadence::Monthly,
            weight: Decimal::ONE,
            min: None,
            max: None,
            milestones: Vec::new(),
            description: None,
            locs: Locs::default(),
        }
    }

    /// An item from its few words (see the module's doc).
    fn item(spec: &str) -> Item {
        let mut it = base_item("I");
        let mut words = spec.split_whitespace();
        while let Some(w) = words.next() {
            match w {
                "task" => {}
                ">=" | "<=" => {
                    it.kind = Kind::Number;
                    it.unit = "u".to_string();
                    it.direction = if w == ">=" {
                        Direction::AtLeast
                    } else {
                        Direction::AtMost
                    };
                    it.measure = match words.next() {
                        Some("latest") => Measure::Latest,
                        Some("sum") => Measure::Sum,
                        other => panic!("measure expected, got {other:?}"),
                    };
                    it.target = dec(words.next().expect("target"));
                }
                "at-due" => it.schedule = Schedule::AtDue,
                "m" => it.cadence = Cadence::Monthly,
                "q" => it.cadence = Cadence::Quarterly,
                "h" => it.cadence = Cadence::HalfYearly,
                "y" => it.cadence = Cadence::Yearly,
                w if w.starts_with("ms=") => {
                    it.milestones = w[3..]
                        .split(',')
                        .map(|m| {
                            let (due, v) = m.split_once(':').expect("MM-DD:V");
                            Milestone {
                                due: day(due),
                                value: dec(v),
                                note: None,
                            }
                        })
                        .collect();
                }
                w if w.starts_with("w=") => it.weight = dec(&w[2..]),
                w if w.contains("..") => {
                    let (s, u) = w.split_once("..").expect("S..U");
                    it.start = day(s);
                    it.due = day(u);
                }
                other => panic!("unknown item word {other}"),
            }
        }
        it
    }

    /// Entries with their file index, from their words (see the module's doc).
    fn entries(spec: &str) -> Vec<(u32, Entry)> {
        let mut lines: BTreeMap<u32, usize> = BTreeMap::new();
        spec.split_whitespace()
            .map(|w| {
                let (w, file) = match w.split_once('#') {
                    Some((w, f)) => (w, f.parse::<u32>().expect("file index")),
                    None => (w, 0),
                };
                let (w, filed) = match w.split_once('@') {
                    Some((w, f)) => (w, Some(day(f))),
                    None => (w, None),
                };
                let (date, value) = w.split_once('=').expect("DATE=VALUE");
                let line = lines.entry(file).or_insert(1);
                *line += 1;
                let entry = Entry {
                    date: day(date),
                    item: "I".to_string(),
                    value: (value != "nil").then(|| dec(value)),
                    note: format!("line {line}"),
                    evidence: String::new(),
                    reporter: "r".to_string(),
                    filed,
                    line: *line,
                };
                (file, entry)
            })
            .collect()
    }

    fn dates(as_of: &str, known: &str) -> Dates {
        Dates {
            as_of: day(as_of),
            known: if known.is_empty() {
                day(as_of)
            } else {
                day(known)
            },
        }
    }

    /// Folds and evaluates, twice: every entry into one state, and one state per file merged in
    /// reverse order (as `scan_year` merges its threads); both must agree.
    fn run_with(
        item: &Item,
        es: &[(u32, Entry)],
        dt: Dates,
        settings: &Settings,
        cal: &WorkCalendar,
    ) -> ItemStatus {
        let mut one = ItemState::new(item, dt, settings, cal);
        for (f, e) in es {
            one.add(&e.view(), *f);
        }
        let files: BTreeSet<u32> = es.iter().map(|(f, _)| *f).collect();
        let mut merged = ItemState::new(item, dt, settings, cal);
        for file in files.iter().rev() {
            let mut part = ItemState::new(item, dt, settings, cal);
            for (f, e) in es.iter().rev() {
                if f == file {
                    part.add(&e.view(), *f);
                }
            }
            merged.merge(&part);
        }
        let a = evaluate(0, item, &one, dt, settings);
        let b = evaluate(0, item, &merged, dt, settings);
        assert_eq!(
            format!("{a:?}"),
            format!("{b:?}"),
            "fold and merge disagree"
        );
        // And in the memory of another item's used fold (`make_again`, as the status commands
        // reuse folds): one with more periods than most (monthly) and one with fewer (yearly).
        for other in ["m >= sum 5", "y"] {
            let other = self::item(other);
            let mut again = ItemState::new(&other, dt, settings, cal);
            for (f, e) in &entries("02-10=3 05-10=4@05-12 11-03=nil") {
                again.add(&e.view(), *f);
            }
            again.make_again(item, dt, settings, cal, &mut Deadlines::default());
            for (f, e) in es {
                again.add(&e.view(), *f);
            }
            let c = evaluate(0, item, &again, dt, settings);
            assert_eq!(
                format!("{a:?}"),
                format!("{c:?}"),
                "a fold made again disagrees"
            );
        }
        a
    }

    fn run(item_spec: &str, entry_spec: &str, as_of: &str, known: &str) -> ItemStatus {
        run_with(
            &item(item_spec),
            &entries(entry_spec),
            dates(as_of, known),
            &Settings::default(),
            &WorkCalendar::new(),
        )
    }

    fn same(got: Option<Decimal>, want: &str) -> bool {
        match want {
            "null" => got.is_none(),
            w => got.is_some_and(|g| round(g, 6) == dec(w)),
        }
    }

    /// Checks one result against its expectation words; returns what differs.
    fn differences(got: &ItemStatus, want: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut words = want.split_whitespace();
        let status = words.next().expect("status");
        let light = words.next().expect("light");
        if got.status.as_str() != status {
            out.push(format!("status {} (want {status})", got.status.as_str()));
        }
        if got.light.as_str() != light {
            out.push(format!("light {} (want {light})", got.light.as_str()));
        }
        for w in words {
            let (k, v) = w.split_once('=').expect("key=value");
            let shown = |d: Option<Decimal>| d.map_or("null".to_string(), |d| d.to_string());
            let (ok, seen) = match k {
                "v" => (same(got.value, v), shown(got.value)),
                "e" => (same(got.expected, v), shown(got.expected)),
                "g" => (same(got.gap, v), shown(got.gap)),
                "s" => (same(Some(got.score), v), shown(Some(got.score))),
                "c" => {
                    let c = format!("{}/{}", got.cards.yellow, got.cards.red);
                    (c == v, c)
                }
                "n" => (got.entries.to_string() == v, got.entries.to_string()),
                "last" => {
                    let d = got.last_date.map_or("null".to_string(), |d| d.to_string());
                    let w = if v == "null" {
                        v.to_string()
                    } else {
                        day(v).to_string()
                    };
                    (d == w, d)
                }
                other => panic!("unknown expectation {other}"),
            };
            if !ok {
                out.push(format!("{k} {seen} (want {v})"));
            }
        }
        out
    }

    /// (name, item, entries, D, K or "" for K = D, expectation)
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    );

    fn check_all(cases: &[Case]) {
        let mut failures = Vec::new();
        for (name, it, es, d, k, want) in cases {
            let got = run(it, es, d, k);
            for diff in differences(&got, want) {
                failures.push(format!("{name}: {diff}"));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[rustfmt::skip]
    const AT_LEAST: &[Case] = &[
        // not_started: D < S, whatever the entries say; it scores 0.
        ("day before start",               "task 03-01..12-31",           "02-15=50",            "02-28", "", "not_started green v=50 e=0 g=0 s=0 n=1"),
        ("start day: e is 0",              "task 03-01..12-31",           "",                    "03-01", "", "not_reported green v=null e=0 g=0 s=0 n=0"),
        ("an entry before start counts",   "task 03-01..12-31",           "02-20=30",            "03-31", "", "on_track green v=30 s=0.3"),
        // done: v ≥ T, before every other rule but not_started.
        ("done at exactly the target",     "task",                        "03-31=100",           "04-01", "", "done green v=100 s=1"),
        ("done beats missed after due",    "task 01-01..06-30",           "06-30=100",           "12-31", "", "done green e=100 g=0 s=1"),
        ("over the target scores 1",       ">= latest 50",                "03-31=80",            "04-01", "", "done green v=80 s=1"),
        ("0.7 + 0.1 reaches 0.8 exactly",  ">= sum 0.8",                  "03-31=0.7 04-30=0.1", "05-01", "", "done green v=0.8 s=1"),
        ("a later lower value undoes done", "task",                       "03-31=100 04-30=90",  "05-01", "", "on_track green v=90"),
        // missed: D ≥ U and not done.
        ("missed on the due day",          "task 01-01..06-30",           "06-29=90",            "06-30", "", "missed red v=90 e=100 g=10 s=0.9"),
        ("the day before due is not",      "task 01-01..06-30",           "06-29=90",            "06-29", "", "on_track green e=99.444444 g=9.444444"),
        ("missed without any entry",       "task 01-01..06-30",           "",                    "07-10", "", "missed red v=null s=0 n=0"),
        ("missed with nil returns only",   "task 01-01..06-30",           "06-30=nil",           "06-30", "", "missed red v=null s=0 n=1"),
        ("an entry after due does not count", "task 01-01..06-30",        "06-30=80 07-15=100",  "12-31", "", "missed red v=80 s=0.8 n=2 last=07-15"),
        // Expected value: linear, milestones, at-due.
        ("linear: e is time-proportional", "task",                        "02-28=10",            "02-28", "", "on_track green e=15.934066 g=5.934066"),
        ("linear: whole year on due",      ">= latest 364",               "12-30=363",           "12-30", "", "on_track green e=363 g=0"),
        ("before the first milestone: 0",  "task ms=06-30:40,09-30:70",   "03-31=5",             "06-29", "", "on_track green e=0 g=0"),
        ("D on a milestone's due",         "task ms=06-30:40,09-30:70",   "03-31=35",            "06-30", "", "on_track green e=40 g=5"),
        ("between milestones",             "task ms=06-30:40,09-30:70",   "03-31=35",            "09-29", "", "on_track green e=40 g=5"),
        ("after the last milestone",       "task ms=06-30:40,09-30:70",   "09-30=70",            "12-30", "", "on_track green e=70 g=0"),
        ("due is the implicit milestone",  "task ms=06-30:40,09-30:70",   "09-30=70",            "12-31", "", "missed red e=100 g=30"),
        ("at-due: nothing expected",       "task at-due",                 "03-31=nil",           "12-30", "", "on_track green v=null e=0 g=0 s=0"),
        ("at-due: T on the due day",       "task 01-01..06-30 at-due",    "03-31=10",            "06-30", "", "missed red e=100 g=90"),
        // Gap thresholds: behind only above yellow; red only above red; rounded to 6 places first.
        ("gap exactly yellow",             "task ms=06-30:40",            "06-01=30",            "06-30", "", "on_track green g=10"),
        ("gap just above yellow",          "task ms=06-30:40",            "06-01=29.999999",     "06-30", "", "behind yellow g=10.000001"),
        ("gap rounds down to yellow",      "task ms=06-30:40",            "06-01=29.9999996",    "06-30", "", "on_track green g=10"),
        ("gap rounds half up over yellow", "task ms=06-30:40",            "06-01=29.9999995",    "06-30", "", "behind yellow g=10.000001"),
        ("gap exactly red",                "task ms=06-30:40",            "06-01=10",            "06-30", "", "behind yellow g=30"),
        ("gap just above red",             "task ms=06-30:40",            "06-01=9.999999",      "06-30", "", "behind red g=30.000001"),
        ("linear gap rounds to yellow",    ">= latest 364",               "03-01=22.599999",     "03-01", "", "on_track green e=59 g=10"),
        ("linear gap above yellow",        ">= latest 364",               "03-01=22.5999",       "03-01", "", "behind yellow e=59 g=10.000027"),
        ("gap is never negative",          "task ms=06-30:40",            "06-01=60",            "06-30", "", "on_track green g=0 s=0.6"),
        ("a negative value scores 0",      ">= latest 5",                 "03-31=-1.3",          "03-31", "", "behind red v=-1.3 e=1.222527 g=50.450549 s=0"),
        // not_reported: no counted entry; its light is the worse of the gap's and the cards'.
        ("not reported, gap green",        "task ms=06-30:40",            "",                    "01-20", "", "not_reported green v=null g=0 c=0/0"),
        ("not reported, gap yellow",       "task",                        "",                    "02-07", "", "not_reported yellow g=10.164835 c=0/0"),
        ("not reported, gap red",          "task ms=06-30:40",            "",                    "06-30", "", "not_reported red g=40"),
        ("not reported, yellow card",      "task at-due",                 "",                    "02-10", "", "not_reported yellow g=0 c=1/0"),
        ("not reported, red card",         "task at-due",                 "",                    "02-12", "", "not_reported red g=0 c=0/1"),
        ("not reported, red gap + yellow card", "task ms=02-10:50",       "",                    "02-10", "", "not_reported red g=50 c=1/0"),
        ("not reported: filed after K",    "task at-due",                 "01-31=10@02-13",      "02-12", "", "not_reported red v=null n=0 c=0/1"),
        // Nil returns only: reported, but no value (v′ = 0).
        ("nil only, on track",             "task ms=06-30:40",            "01-31=nil",           "02-01", "", "on_track green v=null g=0 s=0"),
        ("nil only, behind",               "task ms=06-30:40",            "05-31=nil",           "06-30", "", "behind red v=null g=40 s=0"),
        ("sum, nil only",                  ">= sum 4 h",                  "03-31=nil",           "04-01", "", "behind yellow v=0 e=0.989011 g=24.725275 s=0"),
        ("sum, no entries",                ">= sum 4 h",                  "",                    "03-01", "", "not_reported yellow v=0 s=0 n=0"),
        // Which entries count, and which wins for `latest`.
        ("the greatest date wins",         "task",                        "05-31=50 04-30=80",   "06-01", "", "on_track green v=50 last=05-31"),
        ("same date: the later line wins", "task",                        "05-31=50 05-31=40",   "06-01", "", "on_track green v=40"),
        ("same date: the later file wins", "task",                        "05-31=50#1 05-31=60 05-31=70", "06-01", "", "on_track green v=50 n=3"),
        ("a nil return keeps the value",   "task",                        "05-31=50 06-15=nil",  "06-20", "", "on_track green v=50 n=2 last=06-15"),
        ("dated after D: known, not counted", "task",                     "05-31=50 07-05=90@07-05", "06-30", "07-10", "on_track green v=50 n=2 last=07-05"),
        ("filed after K: not known",       "task",                        "05-31=50 06-20=90@07-15", "06-30", "", "on_track green v=50 n=1 last=05-31"),
        ("filed on K: known",              "task",                        "05-31=50 06-20=90@07-15", "07-15", "", "on_track green v=90 n=2 last=06-20"),
        ("sum adds counted values only",   ">= sum 10",                   "01-31=2 02-28=3 03-31=4@04-10", "04-01", "", "on_track green v=5 n=2"),
    ];

    #[rustfmt::skip]
    const AT_MOST: &[Case] = &[
        // `<=`, `sum`: an event count; no entries is 0.
        ("sum: no entries is 0",           "<= sum 3",                    "",                    "06-30", "", "on_track green v=0 e=null g=null s=1 n=0"),
        ("sum: done on the due day",       "<= sum 3",                    "",                    "12-31", "", "done green v=0 s=1"),
        ("sum: the day before due",        "<= sum 3",                    "03-31=1",             "12-30", "", "on_track green v=1 s=1"),
        ("sum: equal to T is fine",        "<= sum 3",                    "03-31=1 04-30=2",     "05-01", "", "on_track green v=3 s=1"),
        ("sum: over T is missed at once",  "<= sum 3",                    "03-31=1 04-30=2.5",   "05-01", "", "missed red v=3.5 s=0"),
        ("sum: over T after due",          "<= sum 3",                    "03-31=4",             "12-31", "", "missed red v=4 s=0"),
        ("sum: nil returns only",          "<= sum 3",                    "03-31=nil 04-30=nil", "05-01", "", "on_track green v=0 s=1 n=2"),
        ("sum: dated after D",             "<= sum 3",                    "03-31=1 07-05=5@07-05", "06-30", "07-10", "on_track green v=1 n=2"),
        ("sum: dated after due",           "<= sum 3 01-01..06-30",       "07-15=5",             "12-31", "", "done green v=0 s=1 n=1"),
        ("sum: filed after K",             "<= sum 3",                    "03-31=5@04-10",       "04-01", "", "on_track green v=0 n=0"),
        ("sum: not started",               "<= sum 3 03-01..12-31",       "02-10=1",             "02-28", "", "not_started green v=1 s=0"),
        ("sum: target 0, none",            "<= sum 0",                    "03-31=0",             "05-01", "", "on_track green v=0 s=1"),
        ("sum: target 0, one",             "<= sum 0",                    "03-31=1",             "05-01", "", "missed red v=1 s=0"),
        ("sum: no card light",             "<= sum 3",                    "",                    "02-12", "", "on_track green v=0 c=0/1"),
        // `<=`, `latest`: a level that must stay within T.
        ("latest: no value yet",           "<= latest 30",                "",                    "01-20", "", "not_reported green v=null e=null g=null s=0"),
        ("latest: nil returns only",       "<= latest 30",                "01-10=nil",           "01-20", "", "not_reported green v=null s=0 n=1"),
        ("latest: no value on due",        "<= latest 30 01-01..06-30",   "",                    "06-30", "", "missed red v=null s=0"),
        ("latest: nil only on due",        "<= latest 30 01-01..06-30",   "05-31=nil",           "06-30", "", "missed red v=null s=0"),
        ("latest: over T before due",      "<= latest 30",                "01-31=31",            "02-05", "", "behind red v=31 s=0"),
        ("latest: over T on due",          "<= latest 30 01-01..06-30",   "05-31=31",            "06-30", "", "missed red v=31 s=0"),
        ("latest: equal to T",             "<= latest 30",                "01-31=30",            "02-05", "", "on_track green v=30 s=1"),
        ("latest: within T on due",        "<= latest 30 01-01..06-30",   "05-31=30",            "06-30", "", "done green v=30 s=1"),
        ("latest: later date over T",      "<= latest 30",                "01-31=25 02-28=35",   "03-05", "", "behind red v=35"),
        ("latest: later date back within", "<= latest 30",                "01-31=35 02-28=25",   "03-05", "", "on_track green v=25"),
        ("latest: same date, later line",  "<= latest 30",                "01-31=25 01-31=35",   "02-05", "", "behind red v=35"),
        ("latest: target 0",               "<= latest 0 h",               "06-30=0",             "07-01", "", "on_track green v=0 s=1"),
        ("latest: not started",            "<= latest 30 03-01..12-31",   "02-10=40",            "02-28", "", "not_started green v=40 s=0"),
        ("latest: value after due ignored", "<= latest 30 01-01..06-30",  "07-15=10",            "07-20", "", "missed red v=null n=1"),
        // not_reported `<=` latest: the light is the card light.
        ("latest: no card on L",           "<= latest 30",                "",                    "02-07", "", "not_reported green c=0/0"),
        ("latest: yellow card",            "<= latest 30",                "",                    "02-10", "", "not_reported yellow c=1/0"),
        ("latest: red card",               "<= latest 30",                "",                    "02-12", "", "not_reported red c=0/1"),
        ("latest: nil return, no card",    "<= latest 30",                "01-31=nil@02-05",     "02-12", "", "not_reported green c=0/0"),
    ];

    #[rustfmt::skip]
    const CARDS: &[Case] = &[
        // One period (January): L = 02-07, R = 02-11.
        ("on time: filed on L",            "<= sum 3 01-01..01-31",       "01-31=1@02-07",       "02-20", "", "done green c=0/0"),
        ("nothing owed yet: K = L",        "<= sum 3 01-01..01-31",       "",                    "02-07", "", "done green c=0/0"),
        ("missing, K = L + 1",             "<= sum 3 01-01..01-31",       "",                    "02-08", "", "done green c=1/0"),
        ("missing, K = R",                 "<= sum 3 01-01..01-31",       "",                    "02-11", "", "done green c=1/0"),
        ("missing, K after R",             "<= sum 3 01-01..01-31",       "",                    "02-12", "", "done green c=0/1"),
        ("late: filed the day after L",    "<= sum 3 01-01..01-31",       "01-31=1@02-10",       "12-31", "", "done green c=1/0"),
        ("late: filed on R stays yellow",  "<= sum 3 01-01..01-31",       "01-31=1@02-11",       "12-31", "", "done green c=1/0"),
        ("late: filed after R is red",     "<= sum 3 01-01..01-31",       "01-31=1@02-12",       "02-12", "", "done green c=0/1"),
        ("late, judged before it is known", "<= sum 3 01-01..01-31",      "01-31=1@02-12",       "02-11", "", "done green v=0 n=0 c=1/0"),
        ("the earliest filing counts",     "<= sum 3 01-01..01-31",       "01-10=1@02-12 01-20=nil@02-05", "03-01", "", "done green c=0/0"),
        ("a nil return is a report",       "<= sum 3 01-01..01-31",       "01-31=nil@02-07",     "03-01", "", "done green c=0/0"),
        ("without filed: the date",        "<= sum 3 01-01..01-31",       "01-31=nil",           "03-01", "", "done green c=0/0"),
        ("an entry of the next period",    "<= sum 3 01-01..01-31",       "02-03=nil@02-03",     "02-20", "", "done green c=0/1"),
        ("dated after due, in the period", "<= sum 3 01-01..01-15",       "01-20=nil@01-20",     "03-01", "", "done green c=0/0"),
        ("dated before start, in the period", "<= sum 3 01-15..01-31",    "01-05=nil@01-06",     "03-01", "", "done green c=0/0"),
        // Periods are those overlapping [S, U]; deadlines are the calendar period's.
        ("only periods of [S, U]",         "<= sum 3 03-01..03-31",       "",                    "12-31", "", "done green c=0/1"),
        ("a period cut by due",            "<= sum 3 01-15..02-10",       "",                    "03-10", "", "done green c=1/1"),
        ("quarterly: K = L",               "<= sum 3 q 01-01..03-31",     "",                    "04-14", "", "done green c=0/0"),
        ("quarterly: K = L + 1",           "<= sum 3 q 01-01..03-31",     "",                    "04-15", "", "done green c=1/0"),
        ("quarterly: K after R",           "<= sum 3 q 01-01..03-31",     "",                    "04-17", "", "done green c=0/1"),
        ("judged at K, not D",             "<= sum 3 12-01..12-31",       "",                    "12-31", "2015-01-08", "done green c=1/0"),
        ("judged at K, after R",           "<= sum 3 12-01..12-31",       "",                    "12-31", "2015-01-10", "done green c=0/1"),
        ("December reported in January",   "<= sum 3 12-01..12-31",       "12-31=nil@2015-01-07", "12-31", "2015-03-31", "done green c=0/0"),
        // Exemption of a `>=` item done as of the day before a period, as known by min(L, K).
        ("done in January: rest exempt",   "task 01-01..03-31",           "01-20=100@01-25",     "05-01", "", "done green c=0/0"),
        ("done known late: one exempt",    "task 01-01..03-31",           "01-31=100@03-20",     "05-01", "", "done green c=0/2"),
        ("done not yet known at K",        "task 01-01..03-31",           "01-31=100@03-20",     "03-10", "", "not_reported red v=null c=1/1"),
        ("done on a period's first day",   "task 01-01..03-31",           "02-01=100@02-01",     "05-01", "", "done green c=0/1"),
        ("undone later: owes again",       "task 01-01..03-31",           "01-20=100@01-25 02-10=50@02-12", "05-01", "", "missed red v=50 c=0/1"),
        ("not started the day before",     "task 02-01..03-31",           "01-20=100@01-25",     "05-01", "", "done green c=0/1"),
        ("sum done: exempt",               ">= sum 2 01-01..03-31",       "01-10=1@01-12 01-20=1@01-25", "05-01", "", "done green v=2 c=0/0"),
        ("no exemption for <= items",      "<= sum 3 01-01..03-31",       "01-20=1@01-25",       "05-01", "", "done green c=0/2"),
        ("no exemption for <= latest",     "<= latest 30 01-01..03-31",   "01-20=1@01-25",       "05-01", "", "done green c=0/2"),
    ];

    /// Values beyond the range of `Decimal` (about 7.9 × 10^28) are absurd, but must not panic
    /// (SPEC §5.1); sums saturate whatever the order of the entries.
    #[rustfmt::skip]
    const EXTREME: &[Case] = &[
        ("a sum beyond the range",         ">= sum 1",                    "03-31=50000000000000000000000000000 04-30=50000000000000000000000000000", "05-01", "", "done green v=79228162514264337593543950335 s=1"),
        ("saturation is order-free",       "<= sum 1",                    "03-31=50000000000000000000000000000#0 04-30=50000000000000000000000000000#1 05-31=-50000000000000000000000000000#2", "06-01", "", "missed red v=29228162514264337593543950335"),
        ("a quotient beyond the range",    ">= latest 0.000001",          "03-31=79228162514264337593543950335", "04-01", "", "done green s=1"),
        ("a gap beyond the range",         ">= latest 1",                 "03-31=-79228162514264337593543950335", "04-01", "", "behind red g=79228162514264337593543950335 s=0"),
        ("a huge target, linear",          ">= latest 79228162514264337593543950335", "03-31=1", "07-02", "", "behind red e=39614081257132168796771975167.5 s=0"),
        ("a huge <= target",               "<= latest 79228162514264337593543950335", "03-31=-79228162514264337593543950335", "04-01", "", "on_track green s=1"),
    ];

    #[test]
    fn extreme_values_do_not_panic() {
        check_all(EXTREME);
    }

    #[test]
    fn at_least_items() {
        check_all(AT_LEAST);
    }

    #[test]
    fn at_most_items() {
        check_all(AT_MOST);
    }

    #[test]
    fn reporting_cards() {
        check_all(CARDS);
    }

    #[test]
    fn card_periods_name_their_deadline_and_filing() {
        let got = run("<= sum 3 01-01..03-31", "01-31=1@02-10", "05-01", "");
        let summary: Vec<(String, NaiveDate, Option<NaiveDate>, Light)> = got
            .card_periods
            .iter()
            .map(|p| (p.period.label(), p.deadline, p.filed, p.light))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "2014-01".to_string(),
                    day("02-07"),
                    Some(day("02-10")),
                    Light::Yellow
                ),
                ("2014-02".to_string(), day("03-07"), None, Light::Red),
                ("2014-03".to_string(), day("04-07"), None, Light::Red),
            ]
        );
        assert_eq!(got.last_note.as_deref(), Some("line 2"));
    }

    #[test]
    fn thresholds_and_deadlines_come_from_settings_and_calendar() {
        // yellow 5, red 20: a gap of 10 is yellow; a gap of 25 is red.
        let settings = Settings {
            yellow: Decimal::from(5),
            red: Decimal::from(20),
            red_after: 1,
            deadline: [3, 10, 15, 20],
            ..Settings::default()
        };
        let it = item("task ms=06-30:40");
        let cal = WorkCalendar::new();
        let s = run_with(
            &it,
            &entries("06-01=30"),
            dates("06-30", ""),
            &settings,
            &cal,
        );
        assert_eq!((s.status, s.light), (Status::Behind, Light::Yellow));
        let s = run_with(
            &it,
            &entries("06-01=15"),
            dates("06-30", ""),
            &settings,
            &cal,
        );
        assert_eq!((s.status, s.light), (Status::Behind, Light::Red));
        // January: L = 3rd working day after 31 Jan = Wed 02-05; R = Thu 02-06.
        let it = item("<= sum 3 01-01..01-31");
        let cards = |k: &str| run_with(&it, &[], dates(k, ""), &settings, &cal).cards;
        assert_eq!(cards("02-05"), Cards { yellow: 0, red: 0 });
        assert_eq!(cards("02-06"), Cards { yellow: 1, red: 0 });
        assert_eq!(cards("02-07"), Cards { yellow: 0, red: 1 });
        // With Spring Festival holidays (31 Jan – 6 Feb) and a make-up Saturday (8 Feb):
        // L = Fri 7, Sat 8, Mon 10, Tue 11, Wed 12 → 02-12 with 5 days; R (2 after) = 02-14.
        let mut c = crate::model::Calendar::default();
        let mut x = day("01-31");
        while x <= day("02-06") {
            c.holidays.insert(x);
            x = x.succ_opt().expect("date");
        }
        c.workdays.insert(day("02-08"));
        let cal = WorkCalendar::new().with_year(YEAR, Some(&c));
        let settings = Settings::default();
        let cards = |k: &str| run_with(&it, &[], dates(k, ""), &settings, &cal).cards;
        assert_eq!(cards("02-12"), Cards { yellow: 0, red: 0 });
        assert_eq!(cards("02-13"), Cards { yellow: 1, red: 0 });
        assert_eq!(cards("02-14"), Cards { yellow: 1, red: 0 });
        assert_eq!(cards("02-15"), Cards { yellow: 0, red: 1 });
    }

    #[test]
    fn expected_value_is_exact() {
        // 100 × 1/364 is not a finite decimal; the engine keeps 28 significant digits.
        let it = item("task");
        let e = expected(&it, day("01-02"));
        assert_eq!(round(e, 6), dec("0.274725"));
        assert_eq!(expected(&it, day("01-01")), Decimal::ZERO);
        assert_eq!(expected(&it, day("12-31")), Decimal::from(100));
        assert_eq!(expected(&it, day("2015-03-31")), Decimal::from(100));
        assert_eq!(expected(&it, day("2013-12-31")), Decimal::ZERO);
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round(dec("0.0000005"), 6), dec("0.000001"));
        assert_eq!(round(dec("-0.0000005"), 6), dec("-0.000001"));
        assert_eq!(round(dec("2.5"), 0), dec("3"));
        assert_eq!(round(dec("0.0000004999"), 6), dec("0"));
    }

    /// A plan of two indicators: A (60 points: a1 weight 2, a2 weight 1, a3 led by d2) and
    /// B (40 points: b1).
    fn small_plan() -> Plan {
        let mut plan = Plan::default();
        plan.year = YEAR;
        plan.categories = vec![Category {
            id: "c".to_string(),
            name: "c".to_string(),
            points: None,
            locs: Locs::default(),
        }];
        for (id, points) in [("A", 60), ("B", 40)] {
            plan.indicators.push(Indicator {
                id: id.to_string(),
                category: "c".to_string(),
                name: id.to_string(),
                points: Some(Decimal::from(points)),
                locs: Locs::default(),
            });
        }
        for (id, ind, weight, lead) in [
            ("a1", 0, 2, "d1"),
            ("a2", 0, 1, "d1"),
            ("a3", 0, 1, "d2"),
            ("b1", 1, 1, "d2"),
        ] {
            let mut it = base_item(id);
            it.indicator = ind;
            it.weight = Decimal::from(weight);
            it.lead = lead.to_string();
            plan.items.push(it);
        }
        plan.index();
        plan
    }

    fn with(index: usize, status: Status, score: &str) -> ItemStatus {
        ItemStatus {
            index,
            status,
            light: Light::Green,
            value: None,
            expected: None,
            gap: None,
            score: dec(score),
            entries: 0,
            last_date: None,
            last_note: None,
            cards: Cards::default(),
            card_periods: Vec::new(),
        }
    }

    #[test]
    fn totals_weights_and_points() {
        let plan = small_plan();
        let all = [
            with(0, Status::Done, "1"),
            with(1, Status::Behind, "0.5"),
            with(2, Status::NotStarted, "0"),
            with(3, Status::OnTrack, "0.25"),
        ];
        let refs: Vec<&ItemStatus> = all.iter().collect();
        let t = totals(&plan, &refs);
        assert_eq!(
            (
                t.items,
                t.done,
                t.on_track,
                t.behind,
                t.missed,
                t.not_reported,
                t.not_started
            ),
            (4, 1, 1, 1, 0, 0, 1)
        );
        assert_eq!(t.completion_rate, dec("0.25"));
        // A = (2×1 + 1×0.5 + 1×0) / 4 = 0.625; B = 0.25; 100 × (60×0.625 + 40×0.25) / 100 = 47.5.
        assert_eq!(t.score, dec("47.5"));
        // Totals over a subset cover the indicators of the listed items only.
        let t = totals(&plan, &[&all[3]]);
        assert_eq!((t.items, t.on_track), (1, 1));
        assert_eq!(t.score, dec("25"));
        let t = totals(&plan, &[&all[0], &all[1]]);
        // A over a1, a2: (2 + 0.5) / 3.
        assert_eq!(round(t.score, 6), dec("83.333333"));
        assert_eq!(t.completion_rate, dec("0.5"));
        // Nothing listed: zeros, no division by zero.
        assert_eq!(totals(&plan, &[]), Totals::default());
        // Categories and divisions stay in points.
        assert_eq!(category_points(&plan, &all, "c"), (dec("100"), dec("47.5")));
        // d1: a1 = 60 × 2/4 = 30 points, a2 = 15; earned 30 + 7.5.
        assert_eq!(division_points(&plan, &all, "d1"), (dec("45"), dec("37.5")));
        // d2: a3 = 15 points (not started: 0), b1 = 40 × 0.25.
        assert_eq!(division_points(&plan, &all, "d2"), (dec("55"), dec("10")));
    }

    #[test]
    fn totals_with_absurd_points_and_weights_do_not_panic() {
        let mut plan = small_plan();
        let huge = dec("50000000000000000000000000000");
        for ind in &mut plan.indicators {
            ind.points = Some(huge);
        }
        for it in &mut plan.items {
            it.weight = huge;
        }
        let all = [
            with(0, Status::Done, "1"),
            with(1, Status::Done, "1"),
            with(2, Status::Missed, "0.5"),
            with(3, Status::Done, "1"),
        ];
        let refs: Vec<&ItemStatus> = all.iter().collect();
        let t = totals(&plan, &refs);
        assert!(
            t.score >= Decimal::ZERO && t.score <= Decimal::from(100),
            "{}",
            t.score
        );
        let (points, earned) = division_points(&plan, &all, "d1");
        assert!(earned <= points);
        let (points, earned) = category_points(&plan, &all, "c");
        assert!(earned <= points);
    }

    #[test]
    fn totals_without_points_count_one_per_indicator() {
        let mut plan = small_plan();
        for ind in &mut plan.indicators {
            ind.points = None;
        }
        let all = [
            with(0, Status::Done, "1"),
            with(1, Status::Done, "1"),
            with(2, Status::Done, "1"),
            with(3, Status::Missed, "0"),
        ];
        let refs: Vec<&ItemStatus> = all.iter().collect();
        let t = totals(&plan, &refs);
        assert_eq!(t.score, dec("50"));
        assert_eq!(t.completion_rate, dec("0.75"));
    }
}

#[cfg(test)]
mod properties {
    //! Random plans and entries: the totals always add up and the scores stay in range.

    use chrono::Days;
    use proptest::prelude::*;

    use super::*;
    use crate::calendar::Period;
    use crate::model::{Cadence, Entry, Indicator, Kind, Locs, Milestone};

    fn jan1() -> NaiveDate {
        NaiveDate::from_ymd_opt(2014, 1, 1).expect("date")
    }

    fn nth_day(n: u64) -> NaiveDate {
        jan1() + Days::new(n)
    }

    /// Mostly ordinary numbers (`units` with up to 2 decimals), sometimes anything that
    /// `Decimal` holds, up to about ±7.9 × 10^28 with up to 28 decimals.
    fn number(units: std::ops::Range<i64>) -> impl Strategy<Value = Decimal> {
        prop_oneof![
            9 => (units, 0u32..3).prop_map(|(u, sc)| Decimal::new(u, sc)),
            1 => (any::<u32>(), any::<u32>(), any::<u32>(), any::<bool>(), 0u32..29)
                .prop_map(|(lo, mid, hi, neg, sc)| Decimal::from_parts(lo, mid, hi, neg, sc)),
        ]
    }

    #[derive(Debug, Clone)]
    struct ItemSpec {
        indicator: usize,
        task: bool,
        at_least: bool,
        sum: bool,
        target: Decimal,
        start: u64,
        len: u64,
        cadence: usize,
        at_due: bool,
        milestones: Vec<(u64, i64)>,
        weight: i64,
    }

    fn item_spec(indicators: usize) -> impl Strategy<Value = ItemSpec> {
        (
            0..indicators,
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            number(0..50_000),
            0u64..330,
            1u64..365,
            0usize..4,
            any::<bool>(),
            proptest::collection::vec((0u64..365, 0i64..=100), 0..4),
            1i64..4,
        )
            .prop_map(
                |(
                    indicator,
                    task,
                    at_least,
                    sum,
                    target,
                    start,
                    len,
                    cadence,
                    at_due,
                    milestones,
                    weight,
                )| {
                    ItemSpec {
                        indicator,
                        task,
                        at_least,
                        sum,
                        target,
                        start,
                        len,
                        cadence,
                        at_due,
                        milestones,
                        weight,
                    }
                },
            )
    }

    /// A valid item (SPEC §2.2) from a random spec.
    fn build(i: usize, s: &ItemSpec) -> Item {
        let start = nth_day(s.start);
        let due = nth_day((s.start + s.len).min(364));
        let (kind, direction, measure, mut target) = if s.task {
            (
                Kind::Task,
                Direction::AtLeast,
                Measure::Latest,
                Decimal::from(100),
            )
        } else {
            (
                Kind::Number,
                if s.at_least {
                    Direction::AtLeast
                } else {
                    Direction::AtMost
                },
                if s.sum { Measure::Sum } else { Measure::Latest },
                s.target,
            )
        };
        if direction == Direction::AtLeast && target <= Decimal::ZERO {
            target = Decimal::ONE;
        }
        let span = (due - start).num_days() as u64;
        // Milestones: `>=` only, not with at-due, strictly increasing dates within [S, U],
        // non-decreasing values at most T (a percentage of it).
        let mut milestones: Vec<Milestone> = Vec::new();
        let at_due = s.at_due && s.milestones.is_empty();
        if direction == Direction::AtLeast && !at_due {
            let mut ms: Vec<(u64, i64)> = s
                .milestones
                .iter()
                .map(|(d, p)| (d % (span + 1), *p))
                .collect();
            ms.sort_unstable();
            ms.dedup_by_key(|m| m.0);
            let mut pcts: Vec<i64> = ms.iter().map(|m| m.1).collect();
            pcts.sort_unstable();
            for ((d, _), p) in ms.iter().zip(pcts) {
                milestones.push(Milestone {
                    due: start + Days::new(*d),
                    value: (target / Decimal::from(100) * Decimal::from(p)).min(target),
                    note: None,
                });
            }
        }
        Item {
            id: format!("i{i}"),
            name: format!("i{i}"),
            indicator: s.indicator,
            lead: format!("d{}", i % 2),
            support: Vec::new(),
            former_leads: Vec::new(),
            owner: None,
            binding: i.is_multiple_of(3),
            kind,
            target,
            unit: "u".to_string(),
            direction,
            measure,
            start,
            due,
            schedule: if at_due && direction == Direction::AtLeast {
                Schedule::AtDue
            } else {
                Schedule::Linear
            },
            cadence: Cadence::ALL[s.cadence],
            weight: Decimal::from(s.weight),
            min: None,
            max: None,
            milestones,
            description: None,
            locs: Locs::default(),
        }
    }

    #[derive(Debug, Clone)]
    struct EntrySpec {
        item: usize,
        date: u64,
        value: Option<Decimal>,
        filed: Option<u64>,
        file: u32,
    }

    fn entry_spec() -> impl Strategy<Value = EntrySpec> {
        (
            0usize..64,
            0u64..365,
            proptest::option::weighted(0.85, number(-2_000..20_000)),
            proptest::option::of(0u64..120),
            0u32..3,
        )
            .prop_map(|(item, date, value, filed, file)| EntrySpec {
                item,
                date,
                value,
                filed,
                file,
            })
    }

    fn plan_of(specs: &[ItemSpec], indicators: usize, points: &[Option<i64>]) -> Plan {
        let mut plan = Plan::default();
        plan.year = 2014;
        for (i, p) in points.iter().enumerate().take(indicators) {
            plan.indicators.push(Indicator {
                id: format!("I{i}"),
                category: "c".to_string(),
                name: format!("I{i}"),
                points: p.map(Decimal::from),
                locs: Locs::default(),
            });
        }
        plan.items = specs.iter().enumerate().map(|(i, s)| build(i, s)).collect();
        plan.index();
        plan
    }

    /// Entries of valid shape for their item: task values within 0–100, `filed` not before `date`.
    fn entries_for(plan: &Plan, specs: &[EntrySpec]) -> Vec<(usize, u32, Entry)> {
        let mut lines = [1usize; 3];
        specs
            .iter()
            .map(|s| {
                let index = s.item % plan.items.len();
                let item = &plan.items[index];
                let value = s.value.map(|v| {
                    if item.kind == Kind::Task {
                        v.abs() % Decimal::from(101)
                    } else {
                        v
                    }
                });
                let date = nth_day(s.date);
                lines[s.file as usize] += 1;
                let entry = Entry {
                    date,
                    item: item.id.clone(),
                    value,
                    note: String::new(),
                    evidence: String::new(),
                    reporter: "r".to_string(),
                    filed: s.filed.map(|f| {
                        (date + Days::new(f))
                            .min(NaiveDate::from_ymd_opt(2015, 3, 31).expect("date"))
                    }),
                    line: lines[s.file as usize],
                };
                (index, s.file, entry)
            })
            .collect()
    }

    fn evaluate_all(
        plan: &Plan,
        entries: &[(usize, u32, Entry)],
        dates: Dates,
        settings: &Settings,
        cal: &WorkCalendar,
    ) -> Vec<ItemStatus> {
        let mut states: Vec<ItemState> = plan
            .items
            .iter()
            .map(|it| ItemState::new(it, dates, settings, cal))
            .collect();
        for (index, file, e) in entries {
            states[*index].add(&e.view(), *file);
        }
        plan.items
            .iter()
            .enumerate()
            .map(|(i, it)| evaluate(i, it, &states[i], dates, settings))
            .collect()
    }

    fn plan_strategy() -> impl Strategy<Value = (usize, Vec<Option<i64>>, Vec<ItemSpec>)> {
        (1usize..4).prop_flat_map(|n| {
            (
                Just(n),
                prop_oneof![
                    proptest::collection::vec(Just(None), n),
                    proptest::collection::vec((1i64..60).prop_map(Some), n),
                ],
                proptest::collection::vec(item_spec(n), 1..8),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn counts_add_up_and_scores_stay_in_range(
            (n, points, items) in plan_strategy(),
            entry_specs in proptest::collection::vec(entry_spec(), 0..40),
            d in 0u64..365,
            k_after in 0u64..120,
            yellow in 0i64..40,
            red_extra in 0i64..40,
        ) {
            let plan = plan_of(&items, n, &points);
            let entries = entries_for(&plan, &entry_specs);
            let as_of = nth_day(d);
            let known = (as_of + Days::new(k_after)).min(NaiveDate::from_ymd_opt(2015, 3, 31).expect("date"));
            let dates = Dates { as_of, known };
            let settings = Settings {
                yellow: Decimal::from(yellow),
                red: Decimal::from(yellow + red_extra),
                ..Settings::default()
            };
            let cal = WorkCalendar::new();
            let statuses = evaluate_all(&plan, &entries, dates, &settings, &cal);

            // The order of the entries does not matter (files are read on several threads) — as
            // long as sums fit in Decimal's 28 significant digits, beyond which additions round.
            let ordinary = entries.iter().all(|(_, _, e)| {
                e.value.is_none_or(|v| v.scale() <= 2 && v.abs() < Decimal::from(1_000_000))
            });
            if ordinary {
                let mut reversed = entries.clone();
                reversed.reverse();
                let again = evaluate_all(&plan, &reversed, dates, &settings, &cal);
                prop_assert_eq!(format!("{statuses:?}"), format!("{again:?}"));
            }

            for s in &statuses {
                let item = &plan.items[s.index];
                prop_assert!(s.score >= Decimal::ZERO && s.score <= Decimal::ONE, "score {}", s.score);
                if item.direction == Direction::AtLeast {
                    let g = s.gap.expect("gap of a >= item");
                    let e = s.expected.expect("expected of a >= item");
                    prop_assert!(g >= Decimal::ZERO);
                    prop_assert!(e >= Decimal::ZERO && e <= item.target, "e {} T {}", e, item.target);
                } else {
                    prop_assert!(s.gap.is_none() && s.expected.is_none());
                }
                if matches!(s.status, Status::Done | Status::OnTrack | Status::NotStarted) {
                    prop_assert_eq!(s.light, Light::Green);
                }
                if s.status == Status::Missed {
                    prop_assert_eq!(s.light, Light::Red);
                }
                if s.status == Status::NotStarted {
                    prop_assert!(as_of < item.start);
                    prop_assert_eq!(s.score, Decimal::ZERO);
                }
                if s.status == Status::Done && item.direction == Direction::AtLeast {
                    prop_assert_eq!(s.score, Decimal::ONE);
                }
                let periods = Period::overlapping(item.cadence, item.start, item.due).len() as u32;
                prop_assert!(s.cards.yellow + s.cards.red <= periods);
                prop_assert_eq!(s.card_periods.len() as u32, s.cards.yellow + s.cards.red);
                let known_entries = entries
                    .iter()
                    .filter(|(i, _, e)| *i == s.index && e.known_on() <= known)
                    .count() as u32;
                prop_assert_eq!(s.entries, known_entries);
            }

            let refs: Vec<&ItemStatus> = statuses.iter().collect();
            let t = totals(&plan, &refs);
            prop_assert_eq!(t.items, plan.items.len());
            let counted: usize = Status::ALL.iter().map(|s| t.count(*s)).sum();
            prop_assert_eq!(counted, t.items);
            prop_assert!(t.score >= Decimal::ZERO && t.score <= Decimal::from(100), "score {}", t.score);
            prop_assert!(t.completion_rate >= Decimal::ZERO && t.completion_rate <= Decimal::ONE);

            // Any subset (here: each division's items) adds up too.
            for div in ["d0", "d1"] {
                let sub: Vec<&ItemStatus> = statuses.iter().filter(|s| plan.items[s.index].lead == div).collect();
                let t = totals(&plan, &sub);
                prop_assert_eq!(Status::ALL.iter().map(|s| t.count(*s)).sum::<usize>(), sub.len());
                prop_assert!(t.score >= Decimal::ZERO && t.score <= Decimal::from(100));
                let (points, earned) = division_points(&plan, &statuses, div);
                prop_assert!(earned >= Decimal::ZERO && earned <= points);
            }
        }
    }
}
