//! `perf fix-encoding FILE…`: converts GB18030/GBK files (what Excel writes on Chinese Windows) to
//! UTF-8 in place, atomically, and reports what it did. A file that is already UTF-8 is left alone.

use std::io::Write;

use anyhow::Result;

use crate::cli::FixEncodingArgs;
use crate::cmd::{DATA_ERROR, SUCCESS};
use crate::diag::Lang;
use crate::workspace::EnvError;
use crate::workspace::append::write_atomically;
use crate::workspace::entries::cr_line_ends;

pub fn run(args: &FixEncodingArgs, lang: Lang) -> Result<i32> {
    let mut out = std::io::stdout().lock();
    let mut failed = false;
    for path in &args.files {
        let bytes = std::fs::read(path).map_err(|e| {
            EnvError::new(
                format!("无法读取 {}：{e}", path.display()),
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        // The text, and whether it was GB18030.
        let (text, from_gb) = match std::str::from_utf8(&bytes) {
            Ok(text) => (std::borrow::Cow::Borrowed(text), false),
            Err(_) => {
                let (text, _, had_errors) = encoding_rs::GB18030.decode(&bytes);
                if had_errors {
                    failed = true;
                    let p = path.display();
                    let msg = match lang {
                        Lang::Zh => format!(
                            "perf: {p}：既不是 UTF-8 也不是 GB18030，未改动（请在生成它的程序中另存为 UTF-8）"
                        ),
                        Lang::En => format!(
                            "perf: {p}: neither UTF-8 nor GB18030; unchanged (save it from the program that made it as UTF-8)"
                        ),
                    };
                    writeln!(std::io::stderr(), "{msg}")?;
                    continue;
                }
                (text, true)
            }
        };
        // Excel for Mac may end its lines in CR alone.
        let cr = cr_line_ends(&text);
        if !from_gb && !cr {
            match lang {
                Lang::Zh => writeln!(out, "{}：已是 UTF-8，未改动", path.display())?,
                Lang::En => writeln!(out, "{}: already UTF-8, unchanged", path.display())?,
            }
            continue;
        }
        let text = if cr {
            text.replace('\r', "\n").into()
        } else {
            text
        };
        write_atomically(path, text.as_bytes())?;
        let lines = text.lines().count();
        let (zh, en) = match (from_gb, cr) {
            (true, false) => ("已由 GB18030 转为 UTF-8", "converted from GB18030 to UTF-8"),
            (false, _) => ("行尾已由 CR 改为 LF", "line ends changed from CR to LF"),
            (true, true) => (
                "已由 GB18030 转为 UTF-8，行尾由 CR 改为 LF",
                "converted from GB18030 to UTF-8, line ends from CR to LF",
            ),
        };
        match lang {
            Lang::Zh => writeln!(out, "{}：{zh}（{lines} 行）", path.display())?,
            Lang::En => writeln!(out, "{}: {en} ({lines} lines)", path.display())?,
        }
    }
    Ok(if failed { DATA_ERROR } else { SUCCESS })
}
