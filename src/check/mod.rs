//! Checking a workspace: every rule of SPEC §1–3, every problem in one run.
//!
//! `scan_year` reads one year's plan and progress files, validates them, and — for the commands
//! that compute statuses — folds the valid entries into per-item states for the requested dates.
//! Progress files are independent, so they are read on several threads and their results merged.

pub mod entries;
pub mod history;
pub mod plan;
pub mod templates;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::thread;

use anyhow::Result;
use chrono::NaiveDate;

use crate::calendar::WorkCalendar;
use crate::diag::Diagnostics;
use crate::model::Plan;
use crate::status::{Dates, Deadlines, ItemState, ItemStatus, evaluate, evaluate_rest};
use crate::workspace::source::Source;
use crate::workspace::{self, ReportFile, Workspace};

/// One year, read and checked.
pub struct YearScan {
    /// The plan, with the places of its values (`Plan::take_places` takes them).
    pub plan: Plan,
    pub calendar: WorkCalendar,
    pub diags: Diagnostics,
    /// Per requested `Dates`, per item: the fold of its entries; with `ScanOptions::keep_folds`
    /// false, an `ItemState::unkept` for an item evaluated during the scan.
    pub states: Vec<Vec<ItemState>>,
    /// Per requested `Dates`, per item: its status (`status::evaluate` of its fold).
    pub statuses: Vec<Vec<ItemStatus>>,
    pub files: Vec<ReportFile>,
}

/// How a scan treats dates after today.
#[derive(Debug, Clone, Copy)]
pub struct ScanOptions {
    pub today: NaiveDate,
    pub refuse_future: bool,
    /// Whether warnings are looked for (`check`); the status commands stop only at errors.
    pub warnings: bool,
    /// Whether `YearScan::states` keeps every item's fold. The status commands need only the
    /// statuses: the fold of an item evaluated during the scan is then made again for another
    /// item of a later file instead of taking fresh memory, and its place in `states` holds an
    /// `ItemState::unkept`.
    pub keep_folds: bool,
}

/// The working-day calendar for a year: its own plan's, and the next year's where it has one
/// (deadlines of December fall in January; the rest of that plan is not read).
pub fn calendar_for(ws: &Workspace, year: i32, plan: &Plan) -> WorkCalendar {
    let mut cal = WorkCalendar::new().with_year(year, plan.calendar.as_ref());
    if ws
        .root
        .join("indicators")
        .join((year + 1).to_string())
        .is_dir()
        && let Ok(next) = ws.load_calendar(year + 1)
    {
        cal = cal.with_year(year + 1, next.as_ref());
    }
    cal
}

/// Reads, checks and folds one year.
pub fn scan_year(
    ws: &Workspace,
    year: i32,
    opts: ScanOptions,
    dates: &[Dates],
) -> Result<YearScan> {
    let loaded = ws.load_plan(year)?;
    let plan_complete = loaded.complete;
    let plan = loaded.plan;
    let mut diags = loaded.diags;
    let calendar = calendar_for(ws, year, &plan);
    let files = ws.report_files(year)?;

    let rules = entries::Rules {
        plan: &plan,
        root: &ws.root,
        today: opts.today,
        refuse_future: opts.refuse_future,
        plan_complete,
        hand_on: !dates.is_empty(),
        warnings: opts.warnings,
    };
    let workers = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len().max(1));
    // Every item's fold, for every requested date. A worker folds a file's entries into folds of
    // its own — a file names a few hundred items at most, whose folds stay in the cache and need
    // no lock — and merges them into these when the file is done (an item's entries are nearly
    // always in one file). An item that no file reports gets its empty fold at the end.
    // The slots hold boxes: 10,000 slots of a whole fold and a whole status were 3 MB of fresh
    // memory written by this thread before the workers started; a box is made by the worker that
    // fills its slot.
    let states: Vec<Vec<Mutex<Option<Box<ItemState>>>>> = dates
        .iter()
        .map(|_| plan.items.iter().map(|_| Mutex::new(None)).collect())
        .collect();
    // The statuses of the items evaluated as their lead's file was done, for every date.
    let early: Vec<Vec<Mutex<Option<Box<ItemStatus>>>>> = dates
        .iter()
        .map(|_| plan.items.iter().map(|_| Mutex::new(None)).collect())
        .collect();
    // Files are taken from a shared queue, largest first, so that the workers finish together.
    // Each size is asked once (a sort asks for keys many times over).
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_cached_key(|&i| {
        std::cmp::Reverse(std::fs::metadata(&files[i].path).map_or(0, |m| m.len()))
    });
    let next = AtomicUsize::new(0);

    /// What a worker hands back: each of its files' problems, and the histories of items whose
    /// entries may lie in several files.
    type Part = (Vec<(usize, Diagnostics)>, entries::History);
    let run = || -> Result<Part> {
        let mut problems = Vec::new();
        let mut shared = entries::History::default();
        let mut buffer = Vec::new();
        let mut deadlines = Deadlines::default();
        // This file's folds: (item, one per date), and by item where its are (`NONE`: none yet;
        // an array, not a map: it is asked once per entry).
        const NONE: u32 = u32::MAX;
        let mut folds: Vec<(usize, Vec<ItemState>)> = Vec::new();
        // Folds evaluated and not kept, to be made again for other items.
        let mut spare: Vec<Vec<ItemState>> = Vec::new();
        let mut fold_of: Vec<u32> = if dates.is_empty() {
            Vec::new()
        } else {
            vec![NONE; plan.items.len()]
        };
        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            let rf = &files[i];
            let mut d = Diagnostics::new();
            let src = match workspace::read_source_into(
                &ws.root,
                &rf.rel,
                std::mem::take(&mut buffer),
            )? {
                Ok(src) => src,
                Err(diag) => {
                    d.push(*diag);
                    problems.push((i, d));
                    continue;
                }
            };
            let mut history = entries::History::default();
            entries::scan_file(
                &rules,
                &src,
                i as u32,
                &rf.division,
                &mut d,
                &mut history,
                |index, entry| {
                    let Some(slot) = fold_of.get_mut(index) else {
                        return;
                    };
                    if *slot == NONE {
                        let item = &plan.items[index];
                        let fold = match spare.pop() {
                            Some(mut fold) => {
                                for (st, dt) in fold.iter_mut().zip(dates) {
                                    st.make_again(
                                        item,
                                        *dt,
                                        &ws.settings,
                                        &calendar,
                                        &mut deadlines,
                                    );
                                }
                                fold
                            }
                            None => dates
                                .iter()
                                .map(|dt| {
                                    ItemState::with_deadlines(
                                        item,
                                        *dt,
                                        &ws.settings,
                                        &calendar,
                                        &mut deadlines,
                                    )
                                })
                                .collect(),
                        };
                        folds.push((index, fold));
                        *slot = (folds.len() - 1) as u32;
                    }
                    for st in &mut folds[*slot as usize].1 {
                        st.add(entry, i as u32);
                    }
                },
            );
            for (index, per_date) in folds.drain(..) {
                fold_of[index] = NONE;
                // An item led by this file's division, and by no other before, has all its valid
                // entries in this file (in another division's they are errors): its fold is
                // complete, and is evaluated now, while it is in the cache.
                let item = &plan.items[index];
                let complete = item.former_leads.is_empty()
                    && item.lead == rf.division
                    && plan.division(&item.lead).is_some();
                if complete && !opts.keep_folds {
                    // This file's fold is the item's whole fold: evaluated, then made again for
                    // another item. Whole because each division has one file (its id is the file's
                    // name), and an entry of the item in another division's file is an error
                    // (`item-not-led`), after which the status commands show no status; in such a
                    // run this status can differ from one of every file's entries.
                    for ((st, dt), done) in per_date.iter().zip(dates).zip(&early) {
                        let status = evaluate(index, item, st, *dt, &ws.settings);
                        *done[index].lock().unwrap_or_else(PoisonError::into_inner) =
                            Some(Box::new(status));
                    }
                    spare.push(per_date);
                    continue;
                }
                for (((per_item, st), dt), done) in
                    states.iter().zip(per_date).zip(dates).zip(&early)
                {
                    let mut slot = per_item[index]
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    match &mut *slot {
                        Some(all) => all.merge(&st),
                        None => *slot = Some(Box::new(st)),
                    }
                    if complete && let Some(all) = &*slot {
                        let status = evaluate(index, item, all, *dt, &ws.settings);
                        *done[index].lock().unwrap_or_else(PoisonError::into_inner) =
                            Some(Box::new(status));
                    }
                }
            }
            // An item without former leads has all its valid entries in its lead's file: judge
            // it now, while the file is at hand, instead of keeping the file for later.
            let local = history.split(|index| !plan.items[index].former_leads.is_empty());
            for (m, diag) in entries::judge(&plan, local) {
                d.push(entries::placed(diag, &src, &m));
            }
            shared.merge(history);
            problems.push((i, d));
            buffer = src.into_bytes();
        }
        Ok((problems, shared))
    };
    // The rules across the plan's values run while the files are read (by this thread, which
    // would otherwise wait for the readers; with a single reader, before it).
    let check_plan = || {
        let mut found = Diagnostics::new();
        plan::check(&plan, plan_complete, &mut found);
        found
    };
    let (parts, plan_problems): (Vec<Result<Part>>, Diagnostics) = if workers <= 1 {
        let found = check_plan();
        (vec![run()], found)
    } else {
        thread::scope(|s| {
            let handles: Vec<_> = (0..workers).map(|_| s.spawn(run)).collect();
            let found = check_plan();
            let parts = handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("a reader thread failed")))
                })
                .collect();
            (parts, found)
        })
    };
    diags.extend(plan_problems);

    let mut per_file: Vec<Diagnostics> = vec![Diagnostics::new(); files.len()];
    let mut history = entries::History::default();
    for part in parts {
        let (problems, h) = part?;
        for (i, d) in problems {
            per_file[i] = d;
        }
        history.merge(h);
    }
    for d in per_file {
        diags.extend(d);
    }
    // Items whose entries lie in several files (they have former leads): the files with a problem
    // are read again for its place.
    let mut sources: HashMap<u32, Option<Source>> = HashMap::new();
    for (m, mut diag) in entries::judge(&plan, history) {
        let src = sources.entry(m.file).or_insert_with(|| {
            workspace::read_source(&ws.root, &files[m.file as usize].rel)
                .ok()
                .and_then(Result::ok)
        });
        diags.push(match src {
            Some(src) => entries::placed(diag, src, &m),
            None => {
                diag.file = files[m.file as usize].rel.clone();
                diag
            }
        });
    }

    // The items evaluated during the scan (the same for every date).
    let evaluated: Vec<bool> = early.first().map_or_else(Vec::new, |done| {
        done.iter()
            .map(|d| d.lock().unwrap_or_else(PoisonError::into_inner).is_some())
            .collect()
    });
    let mut deadlines = Deadlines::default();
    let states = states
        .into_iter()
        .zip(dates)
        .map(|(per_item, dt)| {
            per_item
                .into_iter()
                .zip(&plan.items)
                .enumerate()
                .map(|(index, (st, item))| {
                    st.into_inner()
                        .unwrap_or_else(PoisonError::into_inner)
                        .map(|st| *st)
                        .unwrap_or_else(|| {
                            if !opts.keep_folds && evaluated.get(index) == Some(&true) {
                                return ItemState::unkept(item);
                            }
                            ItemState::with_deadlines(
                                item,
                                *dt,
                                &ws.settings,
                                &calendar,
                                &mut deadlines,
                            )
                        })
                })
                .collect()
        })
        .collect::<Vec<Vec<ItemState>>>();
    let statuses = early
        .iter()
        .zip(&states)
        .zip(dates)
        .map(|((done, per_item), dt)| evaluate_rest(&plan, per_item, *dt, &ws.settings, done))
        .collect();
    Ok(YearScan {
        plan,
        calendar,
        diags,
        states,
        statuses,
        files,
    })
}

/// `perf check`: `perf.toml`, then every year (or one), with no status folding. Returns every
/// problem, and the last year's scan (its diagnostics taken) for the caller to free where it costs
/// least; an earlier year's is freed before the next is read, so that memory does not grow with the
/// years a workspace holds.
pub fn check_workspace(
    ws: &Workspace,
    year: Option<i32>,
    opts: ScanOptions,
) -> Result<(Diagnostics, Option<YearScan>)> {
    let mut diags = ws.settings_diags.clone();
    let mut last = None;
    let plan_years = ws.plan_years()?;
    let mut years: Vec<i32> = plan_years.clone();
    for y in ws.report_years()? {
        if !plan_years.contains(&y) {
            if year.is_none_or(|only| only == y) {
                diags.push(workspace::reports_without_plan(y));
            }
        } else if !years.contains(&y) {
            years.push(y);
        }
    }
    years.sort_unstable();
    // `perf.toml`'s year is the one the status commands read by default: without its plan they
    // refuse to run, so CI should not pass it.
    if let Some(y) = ws.settings.year
        && year.is_none_or(|only| only == y)
        && !plan_years.contains(&y)
    {
        diags.push(workspace::settings_year_without_plan(
            &ws.root,
            y,
            &plan_years,
        ));
    }
    if let Some(only) = year {
        years.retain(|y| *y == only);
    }
    for y in years {
        // The year before is freed first: its plan and its plan's places are not needed again.
        drop(last.take());
        let mut scan = scan_year(ws, y, opts, &[])?;
        diags.extend(std::mem::take(&mut scan.diags));
        last = Some(scan);
    }
    Ok((diags, last))
}
