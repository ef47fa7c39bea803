//! The floor of the benchmarks (docs/performance.md): one bare, single-threaded pass of
//! `csv::ByteRecord` over every progress file of a workspace, doing nothing else.
//!
//! ```text
//! cargo run --release --example floor -- DIR
//! ```
//!
//! It reads `DIR/reports/*/*.csv` in name order and prints how many records and bytes it saw.
//! Whatever `perf` does on top of reading the same CSV is measured against this.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(root) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: floor DIR");
        return ExitCode::from(2);
    };
    let mut files = Vec::new();
    let years = std::fs::read_dir(root.join("reports"))
        .into_iter()
        .flatten();
    for year in years.flatten() {
        for f in std::fs::read_dir(year.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            if f.path().extension().is_some_and(|e| e == "csv") {
                files.push(f.path());
            }
        }
    }
    files.sort();
    let (mut records, mut bytes) = (0u64, 0u64);
    let mut rec = csv::ByteRecord::new();
    for path in &files {
        let mut rdr = match csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(path)
        {
            Ok(r) => r,
            Err(e) => {
                eprintln!("floor: {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        };
        loop {
            match rdr.read_byte_record(&mut rec) {
                Ok(true) => records += 1,
                Ok(false) => break,
                Err(e) => {
                    eprintln!("floor: {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
            }
        }
        bytes += rdr.position().byte();
    }
    println!("{} files, {records} records, {bytes} bytes", files.len());
    ExitCode::SUCCESS
}
