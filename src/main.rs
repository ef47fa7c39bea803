//! The `perf` binary: parse arguments, run the command, map the outcome to an exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: reading a large workspace makes and drops millions
/// of small values (the plan's TOML tree, the documents' rows), which mimalloc does faster than
/// glibc's allocator (`perf summary` on a million entries: 0.33 s → 0.28 s, docs/performance.md).
/// Transparent huge pages are off (`no_thp`): with them, peak memory rose by a quarter.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match perf::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version are successes; bad flags are usage errors (exit 2).
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match perf::cmd::run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            if perf::cmd::is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(
                std::io::stderr(),
                "perf: {}",
                perf::render::terminal::clean(&format!("{e:#}"))
            );
            ExitCode::from(2)
        }
    }
}
