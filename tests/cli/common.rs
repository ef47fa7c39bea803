//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (the bundled 2014 workspace).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture folder under `tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

/// The outcome of one run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `perf` with `args` in `root` (passed as `--root`), with a fixed today and no colour.
pub fn perf(root: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_perf"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env_remove("PERF_ROOT")
        .env_remove("PERF_TODAY")
        .env_remove("PERF_REPORTER")
        .env("NO_COLOR", "1")
        .output()
        .expect("perf runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Copies a workspace (perf.toml, indicators/, reports/, templates/) into a fresh temporary folder.
pub fn copy_workspace(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(from, dir.path(), true);
    dir
}

fn copy_dir(from: &Path, to: &Path, top: bool) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        let name_s = name.to_string_lossy();
        if top
            && !["perf.toml", "indicators", "reports", "templates", "docs"]
                .contains(&name_s.as_ref())
        {
            continue;
        }
        let src = entry.path();
        if src.is_dir() {
            copy_dir(&src, &to.join(&name), false);
        } else {
            std::fs::copy(&src, to.join(&name)).expect("copy");
        }
    }
}
