//! The little of git that `perf check --base REV` needs (SPEC §5): the merge base of `REV` and
//! `HEAD`, the progress files it holds, and their bytes.
//!
//! It runs the `git` found on `PATH`, in the workspace root, which may be a subfolder of the
//! repository: paths are given to git from the repository's top (`--show-prefix`) and handed back
//! relative to the workspace root. Anything that keeps git from answering (no git, not a repository,
//! a bad revision, no common ancestor) is an `EnvError`, exit 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::Result;

use super::EnvError;

/// The merge base of a revision and `HEAD`, as seen from a workspace root.
#[derive(Debug, Clone)]
pub struct Base {
    root: PathBuf,
    /// The workspace root's path inside the repository: `""` or `"sub/dir/"`.
    prefix: String,
    /// The merge base commit (full hex).
    pub commit: String,
}

impl Base {
    /// Finds the merge base of `rev` and `HEAD` for the repository that holds `root`.
    pub fn find(root: &Path, rev: &str) -> Result<Base> {
        let prefix = run(root, &["rev-parse", "--show-prefix"]).map_err(|e| match e {
            Failure::Spawn(e) => EnvError::new(format!("--base 需要 git，但无法运行 `git`：{e}；请安装 git，或去掉 --base"), format!("--base needs git, but `git` could not be run: {e}; install git or leave out --base")),
            Failure::Status(msg) => EnvError::new(format!("--base 需要 git 仓库，但 {} 不在仓库中{}",
                root.display(),
                detail(&msg)), format!("--base needs a git repository, but {} is not inside one{}",
                root.display(),
                detail(&msg))),
        })?;
        let prefix = text(prefix).trim_end_matches(['\r', '\n']).to_string();
        if rev.is_empty() || rev.starts_with('-') {
            return Err(EnvError::new(
                format!("--base `{rev}` 不是有效的版本"),
                format!("--base `{rev}` is not a revision"),
            )
            .into());
        }
        let commit = verify(root, &format!("{rev}^{{commit}}")).map_err(|msg| {
            EnvError::new(format!("--base `{rev}` 不是本仓库的提交{}；`origin/main` 这类远程分支可能需要先 `git fetch`",
                detail(&msg)), format!("--base `{rev}` is not a commit of this repository{}; a branch of another repository such as `origin/main` may need `git fetch` first",
                detail(&msg)))
        })?;
        let head = verify(root, "HEAD^{commit}").map_err(|msg| {
            EnvError::new(
                format!(
                    "--base 需要 HEAD 有提交，而本仓库还没有任何提交{}",
                    detail(&msg)
                ),
                format!(
                    "--base needs a commit at HEAD, and this repository has none yet{}",
                    detail(&msg)
                ),
            )
        })?;
        let base = run(root, &["merge-base", &commit, &head]).map_err(|e| {
            EnvError::new(format!("--base `{rev}` 与 HEAD 没有共同祖先{}；浅克隆时请取回完整历史（`git fetch --unshallow`；GitHub Actions 中设 `fetch-depth: 0`，GitLab CI 中设 `GIT_DEPTH: 0`）",
                detail(&e.message())), format!("--base `{rev}` has no common ancestor with HEAD{}; in a shallow clone, fetch the whole history (`git fetch --unshallow`, `fetch-depth: 0` in GitHub Actions, `GIT_DEPTH: 0` in GitLab CI)",
                detail(&e.message())))
        })?;
        let commit = text(base).trim().to_string();
        if commit.is_empty() {
            return Err(EnvError::new(
                format!("--base `{rev}` 与 HEAD 没有共同祖先"),
                format!("--base `{rev}` has no common ancestor with HEAD"),
            )
            .into());
        }
        Ok(Base {
            root: root.to_path_buf(),
            prefix,
            commit,
        })
    }

    /// The first 12 digits of the merge base, for messages.
    pub fn short(&self) -> &str {
        &self.commit[..self.commit.len().min(12)]
    }

    /// The path of a file of the workspace inside the repository (what `git show` wants).
    pub fn repo_path(&self, rel: &str) -> String {
        format!("{}{rel}", self.prefix)
    }

    /// Every file under `dir` (relative to the workspace root) at the merge base, relative to the
    /// workspace root, in byte order. Names that are not UTF-8 are left out.
    pub fn files_under(&self, dir: &str) -> Result<Vec<String>> {
        let spec = self.repo_path(dir);
        let out = run(
            &self.root,
            &[
                "ls-tree",
                "-r",
                "-z",
                "--name-only",
                "--full-tree",
                &self.commit,
                "--",
                &spec,
            ],
        )
        .map_err(|e| {
            EnvError::new(
                format!(
                    "无法列出合并基点 {} 的 {dir}{}",
                    self.short(),
                    detail(&e.message())
                ),
                format!(
                    "cannot list {dir} at the merge base {}{}",
                    self.short(),
                    detail(&e.message())
                ),
            )
        })?;
        let mut names: Vec<String> = out
            .split(|b| *b == 0)
            .filter_map(|name| std::str::from_utf8(name).ok())
            .filter_map(|name| name.strip_prefix(self.prefix.as_str()))
            .filter(|name| !name.is_empty())
            .map(str::to_string)
            .collect();
        names.sort_unstable();
        Ok(names)
    }

    /// The bytes of a file (relative to the workspace root) at the merge base, as stored (no line
    /// end conversion, no filters).
    pub fn read(&self, rel: &str) -> Result<Vec<u8>> {
        let object = format!("{}:{}", self.commit, self.repo_path(rel));
        run(&self.root, &["cat-file", "blob", &object]).map_err(|e| {
            EnvError::new(
                format!(
                    "无法读取合并基点 {} 的 {rel}{}",
                    self.short(),
                    detail(&e.message())
                ),
                format!(
                    "cannot read {rel} at the merge base {}{}",
                    self.short(),
                    detail(&e.message())
                ),
            )
            .into()
        })
    }
}

/// Why a git command gave no answer.
enum Failure {
    /// git could not be started.
    Spawn(std::io::Error),
    /// git ran and failed, with what it said.
    Status(String),
}

impl Failure {
    fn message(&self) -> String {
        match self {
            Failure::Spawn(e) => e.to_string(),
            Failure::Status(s) => s.clone(),
        }
    }
}

fn run(root: &Path, args: &[&str]) -> Result<Vec<u8>, Failure> {
    let out: Output = Command::new("git")
        .args(args)
        .current_dir(root)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .map_err(Failure::Spawn)?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(Failure::Status(text(out.stderr).trim().to_string()))
    }
}

/// `git rev-parse --verify` of `spec`: the full commit id, or what git said.
fn verify(root: &Path, spec: &str) -> Result<String, String> {
    match run(root, &["rev-parse", "--verify", spec]) {
        Ok(out) => {
            let id = text(out).trim().to_string();
            if id.is_empty() {
                Err(String::new())
            } else {
                Ok(id)
            }
        }
        Err(e) => Err(e.message()),
    }
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `: <what git said>`, or nothing when it said nothing.
fn detail(msg: &str) -> String {
    let first = msg.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first.is_empty() {
        String::new()
    } else {
        format!(" (git says: {})", first.trim())
    }
}
