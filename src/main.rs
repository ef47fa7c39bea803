//! The `perf` binary: parse arguments, run the command, map the outcome to an exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

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
