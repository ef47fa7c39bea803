//! Properties of the file layer, on generated data: a record written by the csv crate reads back
//! with the same fields, whatever the column order, quoting, line ends and byte-order mark;
//! appending never changes a byte already there; and `check --base`'s rule accepts every pure
//! append and rejects every other change.
//!
//! (The status engine's own property — counts add up, scores in range — lives with it, in
//! `src/status.rs`.)

use perf::check::history::{self, Fields, Records};
use perf::diag::Diagnostics;
use perf::workspace::append::{LineEnd, appended};
use perf::workspace::entries::{self, COLUMNS, DATE, FILED, ITEM, REPORTER, VALUE};
use perf::workspace::source::Source;
use proptest::prelude::*;

/// Free text as a liaison types or pastes it: CJK, ASCII punctuation that matters to CSV, line
/// breaks of both kinds, tabs, leading and trailing spaces.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(vec!["办结", "督查", "件", "（零报告）", "a", "Z", "0", "9"]),
            2 => prop::sample::select(vec![",", "\"", "\"\"", " ", "\t", ".", "-", "=", "<", ">", "#", "'", "%"]),
            1 => prop::sample::select(vec!["\n", "\r\n", "\u{feff}", "é", "😀"]),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

/// A line of a note that a conflict-marker scan would take for a marker (`perf check` reports those
/// even inside a quoted field, and `report add` refuses to write them).
fn has_marker_line(s: &str) -> bool {
    s.split('\n').any(entries::is_conflict_marker)
}

/// One record's fields by column.
fn record() -> impl Strategy<Value = [String; 7]> {
    (
        prop_oneof![
            Just("2014-03-31".to_string()),
            Just("2014/3/31".to_string()),
            text()
        ],
        prop_oneof![Just("E1.1".to_string()), Just("X2.2".to_string()), text()],
        prop_oneof![
            Just(String::new()),
            Just("-3.5".to_string()),
            Just("55".to_string()),
            text()
        ],
        text(),
        prop_oneof![
            Just(String::new()),
            Just("docs/a b.pdf".to_string()),
            text()
        ],
        prop_oneof![Just("林晓燕".to_string()), text()],
        prop_oneof![Just(String::new()), Just("2014-04-02".to_string()), text()],
    )
        .prop_map(|(a, b, c, d, e, f, g)| [a, b, c, d, e, f, g])
        .prop_filter("a field whose line looks like a conflict marker", |r| {
            !r.iter().any(|f| has_marker_line(f))
        })
}

/// How a file is written: which columns (the four required ones always), in which order, quoting
/// every field or only where needed, CRLF or LF, with or without a byte-order mark.
#[derive(Debug, Clone)]
struct Style {
    columns: Vec<usize>,
    quote_all: bool,
    crlf: bool,
    bom: bool,
}

fn style() -> impl Strategy<Value = Style> {
    (
        any::<[bool; 3]>(),
        Just((0..7).collect::<Vec<usize>>()).prop_shuffle(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(optional, order, quote_all, crlf, bom)| {
            let keep = |c: usize| match c {
                3 => optional[0],
                4 => optional[1],
                6 => optional[2],
                _ => true,
            };
            Style {
                columns: order.into_iter().filter(|c| keep(*c)).collect(),
                quote_all,
                crlf,
                bom,
            }
        })
}

/// The file's text: the header and `records`, written by the csv crate in `style`. Columns the
/// style leaves out are not written (and read back as empty).
fn write(style: &Style, records: &[[String; 7]]) -> String {
    let mut w = csv::WriterBuilder::new()
        .quote_style(if style.quote_all {
            csv::QuoteStyle::Always
        } else {
            csv::QuoteStyle::Necessary
        })
        .terminator(if style.crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .from_writer(Vec::new());
    w.write_record(style.columns.iter().map(|c| COLUMNS[*c]))
        .unwrap();
    for r in records {
        w.write_record(style.columns.iter().map(|c| r[*c].as_str()))
            .unwrap();
    }
    let body = String::from_utf8(w.into_inner().unwrap()).unwrap();
    if style.bom {
        format!("\u{feff}{body}")
    } else {
        body
    }
}

/// What a style keeps of a record: the columns it leaves out are empty.
fn kept(style: &Style, r: &[String; 7]) -> [String; 7] {
    std::array::from_fn(|c| {
        if style.columns.contains(&c) {
            r[c].clone()
        } else {
            String::new()
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// load → write → load: what the csv crate writes, `workspace::entries::read` reads back, field
    /// for field, at the line where each record starts, without a single diagnostic.
    #[test]
    fn a_written_record_reads_back_with_the_same_fields(
        style in style(),
        records in prop::collection::vec(record(), 0..8),
    ) {
        let text = write(&style, &records);
        let src = Source::decode("reports/2014/secretariat.csv", text.clone().into_bytes()).unwrap();
        let mut diags = Diagnostics::new();
        let mut read = Vec::new();
        let header = entries::read(&src, &mut diags, |_, rec, _| {
            read.push((rec.line, rec.fields.map(str::to_string)));
        });
        prop_assert!(diags.is_empty(), "{:?}\n{text:?}", diags.sorted());
        let header = header.expect("a header");
        for c in [DATE, ITEM, VALUE, REPORTER] {
            prop_assert!(header.has(c));
        }
        prop_assert_eq!(header.has(FILED), style.columns.contains(&FILED));
        prop_assert_eq!(read.len(), records.len(), "{:?}", text);
        let mut line = 2;
        for ((at, got), want) in read.iter().zip(&records) {
            prop_assert_eq!(got, &kept(&style, want), "{:?}", text);
            prop_assert_eq!(*at, line, "{:?}", text);
            line += style.columns.iter().map(|c| want[*c].matches('\n').count()).sum::<usize>() + 1;
        }
    }

    /// Appending keeps every byte there was, adds a line end only where the last line lacked one,
    /// and ends the new record in the file's own line-end style.
    #[test]
    fn appending_never_changes_earlier_bytes(
        old in prop_oneof![
            Just(None),
            prop::collection::vec(any::<u8>(), 0..200).prop_map(Some),
            (style(), prop::collection::vec(record(), 0..4), any::<bool>()).prop_map(|(s, r, cut)| {
                let mut t = write(&s, &r).into_bytes();
                if cut {
                    while t.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                        t.pop();
                    }
                }
                Some(t)
            }),
        ],
        record in "[^\r\n]{0,40}",
    ) {
        let new = appended(old.as_deref(), &record);
        match old.as_deref() {
            None | Some([]) => {
                prop_assert_eq!(new, format!("{}\n{record}\n", COLUMNS.join(",")).into_bytes());
            }
            Some(old) => {
                prop_assert!(new.starts_with(old));
                let end = LineEnd::of(old).as_str();
                let mut tail = Vec::new();
                if !old.ends_with(b"\n") {
                    tail.extend_from_slice(end.as_bytes());
                }
                tail.extend_from_slice(record.as_bytes());
                tail.extend_from_slice(end.as_bytes());
                prop_assert_eq!(&new[old.len()..], &tail[..]);
            }
        }
    }
}

// ---- check --base: every pure append is accepted, every other change rejected ----------------

/// Records from a small alphabet, so that generated changes often collide with existing records
/// (a moved copy, a re-inserted duplicate): the cases where a rule is most likely to be wrong.
fn small_record() -> impl Strategy<Value = [String; 7]> {
    (
        0u8..3,
        0u8..3,
        prop_oneof![
            Just(String::new()),
            Just("a,\"b\"\nc".to_string()),
            Just("x".to_string())
        ],
    )
        .prop_map(|(d, v, note)| {
            [
                format!("2014-0{}-28", d + 1),
                "E1.1".to_string(),
                v.to_string(),
                note,
                String::new(),
                "林晓燕".to_string(),
                String::new(),
            ]
        })
}

/// One change that is not an append.
#[derive(Debug, Clone)]
enum Change {
    /// Field `col` of record `at` gets another text.
    Edit {
        at: usize,
        col: usize,
        text: String,
    },
    Remove {
        at: usize,
    },
    Swap {
        a: usize,
        b: usize,
    },
    /// A record inserted before the record `at` (not after the last one).
    Insert {
        at: usize,
        record: [String; 7],
    },
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (
            any::<usize>(),
            0usize..7,
            prop_oneof![
                Just(String::new()),
                Just("y".to_string()),
                Just("1".to_string())
            ]
        )
            .prop_map(|(at, col, text)| Change::Edit { at, col, text }),
        any::<usize>().prop_map(|at| Change::Remove { at }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Change::Swap { a, b }),
        (any::<usize>(), small_record()).prop_map(|(at, record)| Change::Insert { at, record }),
    ]
}

fn apply(base: &[[String; 7]], change: &Change) -> Vec<[String; 7]> {
    let mut v = base.to_vec();
    let n = v.len();
    match change {
        Change::Edit { at, col, text } => v[at % n][*col] = text.clone(),
        Change::Remove { at } => {
            v.remove(at % n);
        }
        Change::Swap { a, b } => v.swap(a % n, b % n),
        Change::Insert { at, record } => v.insert(at % n, record.clone()),
    }
    v
}

/// The verdict of `check --base`'s rule on two versions of a file written in two styles.
fn verdict(
    base_style: &Style,
    base: &[[String; 7]],
    head_style: &Style,
    head: &[[String; 7]],
) -> history::Verdict {
    let read = |style: &Style, records: &[[String; 7]]| {
        let text = write(style, records).into_bytes();
        Records::read(&Source::decode("reports/2014/secretariat.csv", text).unwrap())
    };
    let b = read(base_style, base);
    let h = read(head_style, head);
    assert!(b.complete && h.complete);
    let bf: Vec<&Fields> = b.list.iter().map(|r| &r.fields).collect();
    let hf: Vec<&Fields> = h.list.iter().map(|r| &r.fields).collect();
    history::compare(&bf, b.complete, &hf, h.complete)
}

/// A style for the base and one for the working tree: any column order, quoting, line ends and
/// byte-order mark, the working tree with every column the base has (plus, perhaps, `filed`).
fn two_styles() -> impl Strategy<Value = (Style, Style)> {
    (style(), style(), any::<bool>()).prop_map(|(base, mut head, add_filed)| {
        let mut cols: Vec<usize> = head
            .columns
            .iter()
            .copied()
            .filter(|c| base.columns.contains(c))
            .collect();
        for c in &base.columns {
            if !cols.contains(c) {
                cols.push(*c);
            }
        }
        if add_filed && !cols.contains(&FILED) {
            cols.push(FILED);
        }
        head.columns = cols;
        (base, head)
    })
}

/// Records as a style writes them (absent columns empty), with a line end inside a field read as
/// `\n` whatever the file's style (history compares them so).
fn normalised(style: &Style, records: &[[String; 7]]) -> Vec<[String; 7]> {
    records
        .iter()
        .map(|r| kept(style, r).map(|f| f.replace("\r\n", "\n")))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn base_accepts_every_pure_append(
        (base_style, head_style) in two_styles(),
        base in prop::collection::vec(small_record(), 0..6),
        new in prop::collection::vec(small_record(), 0..4),
    ) {
        let base = normalised(&base_style, &base);
        let mut head = base.clone();
        head.extend(new.iter().cloned());
        let v = verdict(&base_style, &base, &head_style, &head);
        prop_assert_eq!(v.change, None);
        prop_assert_eq!(v.new, Some(base.len()..head.len()));
    }

    #[test]
    fn base_rejects_every_other_change(
        (base_style, head_style) in two_styles(),
        base in prop::collection::vec(small_record(), 1..6),
        change in change(),
        new in prop::collection::vec(small_record(), 0..3),
    ) {
        let base = normalised(&base_style, &base);
        let mut head = normalised(&base_style, &apply(&base, &change));
        head.extend(new.iter().cloned());
        let head = normalised(&head_style, &head);
        // What the base style cannot tell apart, or what is still the base followed by new
        // records (a re-inserted duplicate, a swap of equal records), is an append after all.
        let still_append = head.len() >= base.len() && head[..base.len()] == base[..];
        let v = verdict(&base_style, &base, &head_style, &head);
        if still_append {
            prop_assert_eq!(v.change, None);
        } else {
            prop_assert!(v.change.is_some(), "{:?} accepted: {:?} → {:?}", change, base, head);
            prop_assert_eq!(v.new, None);
        }
    }
}
