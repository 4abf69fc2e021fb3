//! Files written whole or not at all: a temporary file in the same directory, fsync, rename,
//! fsync of the directory. Temporary files are named after this host and process, so a later
//! process removes those a killed one left behind without touching a live writer's (shards of
//! one study may share a directory, even across machines).

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The prefix of this process's temporary files: `.rbp-<host>-<pid>-`.
fn temp_prefix() -> String {
    format!(".rbp-{}-{}-", host(), std::process::id())
}

/// This machine's name, as it appears in temporary file names (without `-`).
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().replace('-', "_"))
        .unwrap_or_else(|_| "host".into())
}

/// Writes `bytes` to `path` atomically (see the module documentation).
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(&temp_prefix())
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    // The rename is durable only once the directory entry is on disk.
    #[cfg(unix)]
    std::fs::File::open(dir).and_then(|d| d.sync_all())?;
    Ok(())
}

/// Writes `path` atomically through `fill`, which writes the whole file at the temporary path it
/// is given (for writers that insist on a path, such as an image encoder; the temporary path
/// keeps `path`'s extension).
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), String> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
    let suffix = ext.map_or(".tmp".to_string(), |e| format!(".tmp.{e}"));
    let tmp = tempfile::Builder::new()
        .prefix(&temp_prefix())
        .suffix(&suffix)
        .tempfile_in(dir)
        .map_err(|e| e.to_string())?
        .into_temp_path();
    fill(&tmp)?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| e.to_string())?;
    tmp.persist(path).map_err(|e| e.error.to_string())?;
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Removes the temporary files in `dir` that a process of this host which is no longer running
/// left behind (killed mid-write). Returns the files removed.
pub fn clean_stale(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let ours = format!(".rbp-{}-", host());
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(&ours)
            .filter(|_| name.contains(".tmp"))
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        let alive = Path::new("/proc").join(pid).exists();
        if !alive && std::fs::remove_file(entry.path()).is_ok() {
            removed.push(entry.path());
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_and_cleans_only_dead_writers_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write(&path, b"one").unwrap();
        write(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        // A dead process of this host (pid beyond pid_max), a live one (this process), another
        // host's, and a file that is not a temporary.
        let dead = dir.path().join(format!(".rbp-{}-4194305-x1.tmp", host()));
        let live = dir.path().join(format!("{}x2.tmp", temp_prefix()));
        let other = dir.path().join(".rbp-elsewhere-1-x3.tmp");
        for p in [&dead, &live, &other] {
            std::fs::write(p, b"partial").unwrap();
        }
        assert_eq!(clean_stale(dir.path()), vec![dead.clone()]);
        assert!(!dead.exists() && live.exists() && other.exists() && path.exists());
    }
}
