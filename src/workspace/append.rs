//! Appending one record to a progress file without ever damaging it (SPEC §5.4).
//!
//! The new content (the old bytes untouched, a final line end added where the last line lacked one,
//! then the new record in the file's own line-end style) is written completely to a temporary file
//! beside the old one, flushed to disk, and renamed over it: a process killed at any moment leaves
//! either the old file or the old file plus the new record. Concurrent runs serialise on a lock file
//! in the reports folder, taken before the file is read.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::workspace::EnvError;
use crate::workspace::entries::COLUMNS;

/// The line-end style of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnd {
    Lf,
    CrLf,
}

impl LineEnd {
    /// The style of `bytes`: that of its first line end (LF when it has none).
    pub fn of(bytes: &[u8]) -> LineEnd {
        match bytes.iter().position(|b| *b == b'\n') {
            Some(i) if i > 0 && bytes[i - 1] == b'\r' => LineEnd::CrLf,
            _ => LineEnd::Lf,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LineEnd::Lf => "\n",
            LineEnd::CrLf => "\r\n",
        }
    }
}

/// An exclusive lock on a workspace's reports folder, released when dropped.
pub struct Lock {
    file: File,
}

impl Lock {
    pub fn take(dir: &Path) -> Result<Lock> {
        fs::create_dir_all(dir).map_err(|e| {
            EnvError::new(
                format!("无法创建 {}：{e}", dir.display()),
                format!("cannot create {}: {e}", dir.display()),
            )
        })?;
        let path = dir.join(".perf.lock");
        // Opening follows a link: a `.perf.lock` committed as a link (or made a pipe or a folder)
        // would create or lock a file outside the workspace, or wait for ever.
        if let Ok(meta) = fs::symlink_metadata(&path)
            && !meta.file_type().is_file()
        {
            return Err(EnvError::new(
                format!(
                    "{} 不是普通文件（是符号链接、文件夹或管道）：删去它，perf 会自行创建",
                    path.display()
                ),
                format!(
                    "{} is not a regular file (a symbolic link, a folder or a pipe): delete it; perf makes its own",
                    path.display()
                ),
            )
            .into());
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| {
                EnvError::new(
                    format!("无法打开锁文件 {}：{e}", path.display()),
                    format!("cannot open the lock {}: {e}", path.display()),
                )
            })?;
        file.lock().map_err(|e| {
            EnvError::new(
                format!("无法加锁 {}：{e}", path.display()),
                format!("cannot lock {}: {e}", path.display()),
            )
        })?;
        Ok(Lock { file })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// Refuses a folder that leads outside the workspace through a symbolic link, of its own or of a
/// folder above it (a linked `reports/` or `reports/<year>/`). A folder that does not exist yet is
/// judged by its nearest existing ancestor, where it would be created.
pub fn check_inside(root: &Path, dir: &Path) -> Result<()> {
    let root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let mut existing = Some(dir);
    while let Some(d) = existing {
        if fs::symlink_metadata(d).is_ok() {
            break;
        }
        existing = d.parent();
    }
    let Some(d) = existing else { return Ok(()) };
    let real = fs::canonicalize(d).map_err(|e| {
        EnvError::new(
            format!("{} 是无法解析的符号链接：{e}", d.display()),
            format!(
                "{} is a symbolic link that cannot be followed: {e}",
                d.display()
            ),
        )
    })?;
    if !real.starts_with(&root) {
        return Err(EnvError::new(format!("{} 经符号链接指向工作区之外的 {}：perf 不会通过它写入",
            d.display(),
            real.display()), format!("{} leads to {}, outside the workspace, through a symbolic link: perf never writes through it",
            d.display(),
            real.display()))
        .into());
    }
    Ok(())
}

/// Removes the temporary files that killed runs left in `dir` (a process killed between creating
/// its temporary file and renaming it cannot remove it). Only under the lock of `dir`: no other run
/// is writing one there then.
pub fn remove_stale_temporaries(dir: &Path) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for entry in rd.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".perf-") && name.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Where a write to `path` really goes: `path` itself, or the file a symbolic link leads to when
/// that stays inside `root`. A link that leads outside the workspace, of the file or of a folder
/// above it, is refused.
pub fn resolve_target(root: &Path, path: &Path) -> Result<PathBuf> {
    if let Some(dir) = path.parent() {
        check_inside(root, dir)?;
    }
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(_) => return Ok(path.to_path_buf()),
    };
    if !meta.file_type().is_symlink() {
        return Ok(path.to_path_buf());
    }
    let real = fs::canonicalize(path).map_err(|e| {
        EnvError::new(
            format!("{} 是无法解析的符号链接：{e}", path.display()),
            format!(
                "{} is a symbolic link that cannot be followed: {e}",
                path.display()
            ),
        )
    })?;
    let root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if !real.starts_with(&root) {
        return Err(EnvError::new(
            format!(
                "{} 是指向工作区之外 {} 的符号链接：perf 不会通过它写入",
                path.display(),
                real.display()
            ),
            format!(
                "{} is a symbolic link to {}, outside the workspace: perf never writes through it",
                path.display(),
                real.display()
            ),
        )
        .into());
    }
    Ok(real)
}

/// The bytes of the file after appending `record` (fields in the file's column order, already
/// CSV-encoded without a line end). A new file gets the full header, LF and no byte-order mark.
pub fn appended(old: Option<&[u8]>, record: &str) -> Vec<u8> {
    match old {
        None | Some([]) => format!("{}\n{record}\n", COLUMNS.join(",")).into_bytes(),
        Some(old) => {
            let end = LineEnd::of(old);
            let mut out = Vec::with_capacity(old.len() + record.len() + 4);
            out.extend_from_slice(old);
            if !old.ends_with(b"\n") {
                out.extend_from_slice(end.as_str().as_bytes());
            }
            out.extend_from_slice(record.as_bytes());
            out.extend_from_slice(end.as_str().as_bytes());
            out
        }
    }
}

/// Writes `bytes` to `target` atomically: a temporary file beside it, flushed, renamed over it.
///
/// The file keeps the permissions of the one it replaces; a new file gets those of any file the
/// user creates (read and write for everyone, less the umask), not the temporary file's owner-only
/// ones, so that colleagues and CI reading the workspace can read it.
pub fn write_atomically(target: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let fail = |e: std::io::Error| {
        let (zh, en) = write_failure(&e);
        EnvError::new(
            format!("无法写入 {}：{zh}", target.display()),
            format!("cannot write {}: {en}", target.display()),
        )
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".perf-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    if let Ok(meta) = fs::metadata(target) {
        let _ = fs::set_permissions(tmp.path(), meta.permissions());
    }
    // A testing hook: widen the window in which a process can be killed mid-write.
    if let Some(ms) = std::env::var("PERF_TEST_WRITE_DELAY_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    tmp.persist(target).map_err(|e| fail(e.error))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Why a write failed, in both languages: the common reasons in words of our own, any other in
/// the system's words without the temporary file's name, which `tempfile` adds and which means
/// nothing to the user (the file was never made, or is gone).
fn write_failure(e: &std::io::Error) -> (String, String) {
    use std::io::ErrorKind;
    let words = |zh: &str, en: &str| (zh.to_string(), en.to_string());
    match e.kind() {
        ErrorKind::NotFound => words("所在文件夹不存在", "its folder does not exist"),
        ErrorKind::PermissionDenied => words("没有写入权限", "permission denied"),
        ErrorKind::StorageFull => words("磁盘空间已满", "the disk is full"),
        ErrorKind::ReadOnlyFilesystem => words("文件系统只读", "the file system is read-only"),
        _ => {
            let text = e.to_string();
            let text = text.split(" at path ").next().unwrap_or(&text).to_string();
            (text.clone(), text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temporaries_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        for name in [".perf-a1B2c3.tmp", ".perf.lock", "secretariat.csv", "x.tmp"] {
            fs::write(dir.path().join(name), "x").unwrap();
        }
        remove_stale_temporaries(dir.path());
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".perf.lock", "secretariat.csv", "x.tmp"]);
    }

    #[test]
    fn appending_keeps_bytes_bom_and_line_ends() {
        let old = "\u{feff}date,item\r\n2014-01-31,E1".as_bytes();
        let new = appended(Some(old), "2014-02-28,E1");
        assert!(new.starts_with(old));
        assert_eq!(&new[old.len()..], b"\r\n2014-02-28,E1\r\n");
        let lf = appended(Some(b"date,item\n"), "x");
        assert_eq!(lf, b"date,item\nx\n");
        let fresh = appended(None, "x");
        assert_eq!(fresh, b"date,item,value,note,evidence,reporter,filed\nx\n");
    }
}
