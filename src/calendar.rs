//! Working days, reporting periods and deadlines (SPEC §2.3, §4).
//!
//! Working days are Monday to Friday, minus the plan's holidays, plus its make-up working days
//! (调休). A year without a calendar counts plain Monday–Friday.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use crate::model::{Cadence, Calendar};

/// The working-day calendar across years.
#[derive(Debug, Clone, Default)]
pub struct WorkCalendar {
    years: BTreeMap<i32, Calendar>,
}

impl WorkCalendar {
    pub fn new() -> WorkCalendar {
        WorkCalendar::default()
    }

    /// Adds the calendar of one year's plan.
    pub fn with_year(mut self, year: i32, cal: Option<&Calendar>) -> WorkCalendar {
        if let Some(c) = cal {
            self.years.insert(year, c.clone());
        }
        self
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if let Some(c) = self.years.get(&d.year()) {
            if c.workdays.contains(&d) {
                return true;
            }
            if c.holidays.contains(&d) {
                return false;
            }
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The `n`-th working day after `day` (the first working day after a day is the 1st; `n = 0`
    /// is `day` itself).
    pub fn nth_working_day_after(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut d = day;
        let mut left = n;
        while left > 0 {
            match d.succ_opt() {
                Some(next) => d = next,
                None => return d,
            }
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }
}

/// A reporting period `[start, end]`, a calendar month, quarter, half or year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub cadence: Cadence,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Period {
    /// The period of `cadence` that contains `d`.
    pub fn containing(cadence: Cadence, d: NaiveDate) -> Period {
        let m = cadence.months();
        let first_month = (d.month0() / m) * m + 1;
        let start = NaiveDate::from_ymd_opt(d.year(), first_month, 1).unwrap_or(d);
        let end = start
            .checked_add_months(Months::new(m))
            .and_then(|n| n.checked_sub_days(Days::new(1)))
            .unwrap_or(d);
        Period {
            cadence,
            start,
            end,
        }
    }

    /// The periods of `cadence` that overlap `[from, to]`, in order.
    pub fn overlapping(cadence: Cadence, from: NaiveDate, to: NaiveDate) -> Vec<Period> {
        let mut out = Vec::new();
        let mut p = Period::containing(cadence, from);
        while p.start <= to {
            out.push(p);
            match p.end.succ_opt() {
                Some(next) => p = Period::containing(cadence, next),
                None => break,
            }
        }
        out
    }

    /// The reporting deadline L: the `days`-th working day after the period's last day.
    pub fn deadline(&self, cal: &WorkCalendar, days: u32) -> NaiveDate {
        cal.nth_working_day_after(self.end, days)
    }

    /// How many periods of its cadence after this one the period holding `d` comes (`None` when
    /// `d` is before this period).
    pub fn periods_until(&self, d: NaiveDate) -> Option<usize> {
        let months = |x: NaiveDate| i64::from(x.year()) * 12 + i64::from(x.month0());
        let n = months(d) - months(self.start);
        // Divided by a constant for each cadence: this runs for every entry a status command
        // folds, and a division by a number known only when running is slow.
        let periods = match self.cadence {
            Cadence::Monthly => n,
            Cadence::Quarterly => n.div_euclid(3),
            Cadence::HalfYearly => n.div_euclid(6),
            Cadence::Yearly => n.div_euclid(12),
        };
        usize::try_from(periods).ok()
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.start <= d && d <= self.end
    }

    /// A short label: `2014-05`, `2014-Q2`, `2014-H1`, `2014`.
    pub fn label(&self) -> String {
        let y = self.start.year();
        match self.cadence {
            Cadence::Monthly => format!("{y}-{:02}", self.start.month()),
            Cadence::Quarterly => format!("{y}-Q{}", self.start.month0() / 3 + 1),
            Cadence::HalfYearly => format!("{y}-H{}", self.start.month0() / 6 + 1),
            Cadence::Yearly => format!("{y}"),
        }
    }

    /// Parses a label as written on the command line (`2014-05`, `2014-Q2`, `2014-H1`, `2014`).
    pub fn parse(s: &str) -> Option<Period> {
        let (y, rest) = match s.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (s, None),
        };
        if y.len() != 4 {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        let (cadence, month) = match rest {
            None => (Cadence::Yearly, 1),
            Some(r) if r.len() == 2 && r.starts_with('Q') => {
                let q: u32 = r[1..].parse().ok().filter(|q| (1..=4).contains(q))?;
                (Cadence::Quarterly, (q - 1) * 3 + 1)
            }
            Some(r) if r.len() == 2 && r.starts_with('H') => {
                let h: u32 = r[1..].parse().ok().filter(|h| (1..=2).contains(h))?;
                (Cadence::HalfYearly, (h - 1) * 6 + 1)
            }
            Some(r) if r.len() == 2 => (
                Cadence::Monthly,
                r.parse().ok().filter(|m| (1..=12).contains(m))?,
            ),
            Some(_) => return None,
        };
        Some(Period::containing(
            cadence,
            NaiveDate::from_ymd_opt(year, month, 1)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_counted_by_months() {
        let d = |m, day| NaiveDate::from_ymd_opt(2014, m, day).unwrap();
        let march = Period::containing(Cadence::Monthly, d(3, 5));
        assert_eq!(march.periods_until(d(3, 31)), Some(0));
        assert_eq!(march.periods_until(d(12, 1)), Some(9));
        assert_eq!(march.periods_until(d(2, 28)), None);
        let q2 = Period::containing(Cadence::Quarterly, d(5, 1));
        assert_eq!(q2.periods_until(d(6, 30)), Some(0));
        assert_eq!(q2.periods_until(d(7, 1)), Some(1));
        assert_eq!(
            q2.periods_until(NaiveDate::from_ymd_opt(2015, 1, 2).unwrap()),
            Some(3)
        );
        assert_eq!(q2.periods_until(d(3, 31)), None);
        let overlapping = Period::overlapping(Cadence::HalfYearly, d(2, 1), d(12, 31));
        for (i, p) in overlapping.iter().enumerate() {
            assert_eq!(overlapping[0].periods_until(p.end), Some(i));
        }
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The official 2014 calendar (State Council notice).
    pub fn cal2014() -> WorkCalendar {
        let mut c = Calendar::default();
        let ranges = [
            ("2014-01-01", "2014-01-01"),
            ("2014-01-31", "2014-02-06"),
            ("2014-04-05", "2014-04-07"),
            ("2014-05-01", "2014-05-03"),
            ("2014-05-31", "2014-06-02"),
            ("2014-09-06", "2014-09-08"),
            ("2014-10-01", "2014-10-07"),
        ];
        for (a, b) in ranges {
            let mut x = d(a);
            while x <= d(b) {
                c.holidays.insert(x);
                x = x.succ_opt().unwrap();
            }
        }
        for w in [
            "2014-01-26",
            "2014-02-08",
            "2014-05-04",
            "2014-09-28",
            "2014-10-11",
        ] {
            c.workdays.insert(d(w));
        }
        WorkCalendar::new().with_year(2014, Some(&c))
    }

    #[test]
    fn deadlines_on_the_2014_calendar() {
        let cal = cal2014();
        let may = Period::parse("2014-05").unwrap();
        // May ends on the Dragon Boat weekend: 31 May – 2 June are off; 3–6 June, 9 June.
        assert_eq!(may.deadline(&cal, 5), d("2014-06-09"));
        // September: 28 Sep (Sunday) is before the end; 30 Sep is a Tuesday, 1–7 Oct off,
        // then Wed 8, Thu 9, Fri 10, Sat 11 (make-up), Mon 13.
        let sep = Period::parse("2014-09").unwrap();
        assert_eq!(sep.deadline(&cal, 5), d("2014-10-13"));
        // January: Spring Festival 31 Jan – 6 Feb, make-up Saturday 8 Feb.
        let jan = Period::parse("2014-01").unwrap();
        assert_eq!(jan.deadline(&cal, 2), d("2014-02-08"));
        // Red card day: 2 working days after the deadline.
        assert_eq!(
            cal.nth_working_day_after(d("2014-06-09"), 2),
            d("2014-06-11")
        );
    }

    #[test]
    fn a_year_without_calendar_is_monday_to_friday() {
        let cal = cal2014();
        // 2015-01-01 is a Thursday; with no 2015 calendar it is a working day.
        assert_eq!(
            cal.nth_working_day_after(d("2014-12-31"), 1),
            d("2015-01-01")
        );
        assert_eq!(
            cal.nth_working_day_after(d("2014-12-31"), 3),
            d("2015-01-05")
        );
    }

    #[test]
    fn periods_overlap_the_item_span() {
        let ps = Period::overlapping(Cadence::Quarterly, d("2014-02-18"), d("2014-07-01"));
        let labels: Vec<_> = ps.iter().map(Period::label).collect();
        assert_eq!(labels, ["2014-Q1", "2014-Q2", "2014-Q3"]);
        let h = Period::parse("2014-H2").unwrap();
        assert_eq!((h.start, h.end), (d("2014-07-01"), d("2014-12-31")));
        assert_eq!(Period::parse("2014").unwrap().end, d("2014-12-31"));
        assert!(Period::parse("2014-13").is_none());
        assert!(Period::parse("2014-Q5").is_none());
    }
}
