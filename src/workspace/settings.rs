//! Reading `perf.toml` into `Settings` (SPEC §1.1).

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::diag::{Diagnostic, Diagnostics, Lang, Text};
use crate::model::{Cadence, Locs, Settings};
use crate::workspace::source::Source;
use crate::workspace::toml_reader::{self, Table};

const TOP: &[&str] = &[
    "office",
    "short_name",
    "year",
    "lang",
    "timezone",
    "status",
    "reporting",
];
const STATUS: &[&str] = &["yellow", "red"];
const REPORTING: &[&str] = &["cadence", "red_after", "deadline"];
const DEADLINE: &[&str] = &["monthly", "quarterly", "half-yearly", "yearly"];

/// Reads the settings; problems go to `diags` and defaults stand in for bad values.
pub fn read(src: &Arc<Source>, diags: &mut Diagnostics) -> Settings {
    let mut s = Settings::default();
    let doc = match toml_reader::parse(src) {
        Ok(doc) => doc,
        Err(ds) => {
            for d in ds {
                diags.push(d);
            }
            return s;
        }
    };
    let t = Table::new(src, doc.get_ref(), 0..0, "perf.toml");
    // The file has no header: its first line stands for one.
    let mut locs = Locs::new(src, 0..src.line_text(1).len());
    t.deny_unknown(TOP, diags);
    if let Some(office) = t.required_string("office", &mut locs, diags) {
        if office.trim().is_empty() {
            diags.push(empty_value(src, &locs, "office"));
        }
        s.office = office;
    }
    s.short_name = t.string("short_name", &mut locs, diags);
    if let Some(v) = t.get("year") {
        match t.u32("year", &mut locs, diags) {
            Some(y) if (1000..=9999).contains(&y) => s.year = Some(y as i32),
            Some(_) => diags.push(bad_value(
                src,
                &t,
                v,
                "year",
                "四位数的年份",
                "a four-digit year",
            )),
            None => {}
        }
    }
    if let Some(lang) = t.string("lang", &mut locs, diags) {
        match Lang::parse(&lang) {
            Some(l) => s.lang = l,
            None => diags.push(bad_value(
                src,
                &t,
                t.get("lang").unwrap(),
                "lang",
                "\"zh\" 或 \"en\"",
                "\"zh\" or \"en\"",
            )),
        }
    }
    if let Some(tz) = t.string("timezone", &mut locs, diags) {
        if tz.parse::<chrono_tz::Tz>().is_ok() {
            s.timezone = tz;
        } else {
            diags.push(bad_value(
                src,
                &t,
                t.get("timezone").unwrap(),
                "timezone",
                "IANA 时区名（如 \"Asia/Shanghai\"）",
                "an IANA zone name such as \"Asia/Shanghai\"",
            ));
        }
    }
    if let Some(st) = t.table("status", diags) {
        st.deny_unknown(STATUS, diags);
        let mut l = st.locs();
        for (key, slot) in [("yellow", &mut s.yellow), ("red", &mut s.red)] {
            if let Some(v) = st.decimal(key, &mut l, diags) {
                if v < Decimal::ZERO || v > Decimal::from(100) {
                    diags.push(bad_value(
                        src,
                        &st,
                        st.get(key).unwrap(),
                        key,
                        "0 到 100 之间的百分点数",
                        "percentage points from 0 to 100",
                    ));
                } else {
                    *slot = v;
                }
            }
        }
        if s.yellow > s.red {
            diags.push(
                Diagnostic::error(
                    "invalid-value",
                    &src.path,
                    Some(l.at("red")),
                    Text::new(
                        format!(
                            "红灯阈值 red = {} 小于黄灯阈值 yellow = {}",
                            s.red, s.yellow
                        ),
                        format!("red = {} is below yellow = {}", s.red, s.yellow),
                    ),
                )
                .with_help(Text::new(
                    "red 应不小于 yellow",
                    "red must be at least yellow",
                )),
            );
        }
    }
    if let Some(rep) = t.table("reporting", diags) {
        rep.deny_unknown(REPORTING, diags);
        let mut l = rep.locs();
        if let Some(c) = rep.string("cadence", &mut l, diags) {
            match Cadence::parse(&c) {
                Some(c) => s.cadence = c,
                None => diags.push(bad_value(
                    src,
                    &rep,
                    rep.get("cadence").unwrap(),
                    "cadence",
                    "monthly、quarterly、half-yearly 或 yearly",
                    "monthly, quarterly, half-yearly or yearly",
                )),
            }
        }
        if let Some(n) = rep.u32("red_after", &mut l, diags)
            && let Some(n) = working_days(&rep, "red_after", n, diags)
        {
            s.red_after = n;
        }
        if let Some(dl) = rep.table("deadline", diags) {
            dl.deny_unknown(DEADLINE, diags);
            let mut l = dl.locs();
            for (i, key) in DEADLINE.iter().enumerate() {
                if let Some(n) = dl.u32(key, &mut l, diags)
                    && let Some(n) = working_days(&dl, key, n, diags)
                {
                    s.deadline[i] = n;
                }
            }
        }
    }
    s
}

/// The most working days a deadline or `red_after` may count: more than a year's worth is no
/// deadline at all, and every such day is walked one by one (a hostile `red_after = 4000000000`
/// would keep every status command busy for minutes).
pub const MAX_WORKING_DAYS: u32 = 366;

/// `n` when it is a plausible number of working days; else an `invalid-value` error and `None`.
fn working_days(t: &Table<'_, '_>, key: &str, n: u32, diags: &mut Diagnostics) -> Option<u32> {
    if n <= MAX_WORKING_DAYS {
        return Some(n);
    }
    if let Some(v) = t.get(key) {
        diags.push(bad_value(
            t.src,
            t,
            v,
            key,
            &format!("0 到 {MAX_WORKING_DAYS} 之间的工作日数"),
            &format!("a number of working days from 0 to {MAX_WORKING_DAYS}"),
        ));
    }
    None
}

fn empty_value(src: &Source, locs: &Locs, key: &str) -> Diagnostic {
    Diagnostic::error(
        "invalid-value",
        &src.path,
        Some(locs.at(key)),
        Text::new(
            format!("`{key}` 不能为空"),
            format!("`{key}` must not be empty"),
        ),
    )
}

pub(crate) fn bad_value(
    src: &Source,
    t: &Table<'_, '_>,
    v: &toml_reader::Value<'_>,
    key: &str,
    want_zh: &str,
    want_en: &str,
) -> Diagnostic {
    Diagnostic::error(
        "invalid-value",
        &src.path,
        Some(t.place(v)),
        Text::new(
            format!("{} 的 `{key}` 取值无效", t.name),
            format!("invalid value of `{key}` in {}", t.name),
        ),
    )
    .with_help(Text::new(
        format!("应为{want_zh}"),
        format!("expected {want_en}"),
    ))
}
