//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use serde_json::Value;
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

/// Runs `perf` with `args` in `root` (passed as `--root`), without perf's environment variables and
/// colour.
pub fn perf(root: &Path, args: &[&str]) -> Run {
    run_in(Command::new(env!("CARGO_BIN_EXE_perf")), root, args)
}

/// `perf` as above, started by a shell with the given umask (e.g. `"022"`).
#[cfg(unix)]
pub fn perf_with_umask(root: &Path, umask: &str, args: &[&str]) -> Run {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_perf"));
    run_in(sh, root, args)
}

/// Runs `cmd` (which starts `perf`) with `--root root`, `args`, none of perf's environment
/// variables and no colour.
fn run_in(mut cmd: Command, root: &Path, args: &[&str]) -> Run {
    let out = cmd
        .arg("--root")
        .arg(root)
        .args(args)
        .env_remove("PERF_ROOT")
        .env_remove("PERF_TODAY")
        .env_remove("PERF_REPORTER")
        .env("NO_COLOR", "1")
        .output()
        .expect("perf runs");
    Run::of(out)
}

/// The permission bits of a file.
#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

impl Run {
    /// The outcome of a finished process.
    pub fn of(out: std::process::Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Copies a workspace (perf.toml, indicators/, reports/, templates/) into a fresh temporary folder.
pub fn copy_workspace(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(from, dir.path(), true);
    dir
}

/// Copies a folder; at the top level only a workspace's own entries when `top`.
pub fn copy_dir(from: &Path, to: &Path, top: bool) {
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

/// One change to a workspace, for table-driven cases.
pub enum Edit {
    /// Replaces the first occurrence of a text in a file (which must hold it).
    Replace(&'static str, &'static str, &'static str),
    /// Appends text to a file.
    Append(&'static str, String),
    /// Writes a file (creating its folder).
    Write(&'static str, Vec<u8>),
    /// Rewrites a file's text.
    Map(&'static str, fn(&str) -> String),
    /// Removes a file.
    Remove(&'static str),
}

pub fn append(file: &'static str, text: &str) -> Edit {
    Edit::Append(file, text.to_string())
}

pub fn write(file: &'static str, text: &str) -> Edit {
    Edit::Write(file, text.as_bytes().to_vec())
}

/// Makes the edits in the workspace at `root`.
pub fn apply(root: &Path, edits: &[Edit]) {
    for e in edits {
        match e {
            Edit::Replace(file, from, to) => {
                let path = root.join(file);
                let text = std::fs::read_to_string(&path).expect("read");
                assert!(text.contains(from), "{file} does not contain {from:?}");
                std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
            }
            Edit::Append(file, text) => {
                let path = root.join(file);
                let mut old = std::fs::read(&path).expect("read");
                old.extend_from_slice(text.as_bytes());
                std::fs::write(&path, old).expect("write");
            }
            Edit::Write(file, bytes) => {
                let path = root.join(file);
                std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
                std::fs::write(&path, bytes).expect("write");
            }
            Edit::Map(file, f) => {
                let path = root.join(file);
                let text = std::fs::read_to_string(&path).expect("read");
                std::fs::write(&path, f(&text)).expect("write");
            }
            Edit::Remove(file) => std::fs::remove_file(root.join(file)).expect("remove"),
        }
    }
}

/// A problem an output must contain: code, file, and line/column (`None` for a whole file).
pub type Expect = (&'static str, &'static str, Option<(u64, u64)>);

/// The problems of a `--format json` output (none when it is not a JSON array).
pub fn diagnostics(stdout: &str) -> Vec<Value> {
    match serde_json::from_str::<Value>(stdout) {
        Ok(Value::Array(list)) => list,
        _ => Vec::new(),
    }
}

/// The problems, one a line, for a failure message.
pub fn show(list: &[Value]) -> String {
    list.iter()
        .map(|o| {
            format!(
                "  {} {} {}:{}:{} {}",
                o["severity"].as_str().unwrap_or("?"),
                o["code"].as_str().unwrap_or("?"),
                o["file"].as_str().unwrap_or("?"),
                o["line"],
                o["column"],
                o["message"].as_str().unwrap_or("?"),
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether the problems hold one with this code at this place.
pub fn has(list: &[Value], (code, file, place): &Expect) -> bool {
    let (line, column) = match place {
        Some((l, c)) => (Value::from(*l), Value::from(*c)),
        None => (Value::Null, Value::Null),
    };
    list.iter().any(|o| {
        o["code"] == *code && o["file"] == *file && o["line"] == line && o["column"] == column
    })
}

/// A case's outcome: `None` when nothing went wrong, else its name, what went wrong and the problems.
pub fn verdict(name: &str, wrong: &[String], list: &[Value]) -> Option<String> {
    (!wrong.is_empty()).then(|| format!("case `{name}`: {}\n{}", wrong.join("; "), show(list)))
}

/// Text as GB18030 bytes, as Excel writes it on Chinese Windows.
pub fn gb18030(text: &str) -> Vec<u8> {
    encoding_rs::GB18030.encode(text).0.into_owned()
}
