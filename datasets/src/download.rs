//! Downloading one data file from a list of mirrors, safely.
//!
//! The guarantees callers rely on:
//! - a file only appears under its final name once its MD5 matched, so an
//!   interrupted or corrupt download never counts as present later (it is
//!   written to a hidden `.NAME.part-PID-N` file beside the target and
//!   renamed at the end);
//! - an existing file is never overwritten nor deleted: the final step is
//!   a hard link, which fails instead of replacing a file that appeared
//!   meanwhile (with a no-clobber rename fallback on file systems without
//!   hard links);
//! - the file returned is a regular file: a FIFO, directory or device under
//!   the target's name is an error, never "kept" and handed to the reader;
//! - every mirror tried is reported with its own failure when all fail.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use md5::{Digest, Md5};
use rbp_core::file;

/// Largest body accepted from a mirror. The largest MNIST file is 9.9 MB;
/// this bounds what a misbehaving server can make us write.
pub const MAX_DOWNLOAD_BYTES: u64 = 64 << 20;
/// Time allowed to connect to a mirror.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// Time allowed for any single read: a stalled transfer fails after this
/// instead of hanging, while a slow but moving one may take as long as it
/// needs.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// One failed try: the URL and why it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub url: String,
    pub error: String,
}

/// The failed tries of one file, displayed one per line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attempts(pub Vec<Attempt>);

impl fmt::Display for Attempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return write!(f, "\n  (no mirror configured)");
        }
        for a in &self.0 {
            write!(f, "\n  {}: {}", a.url, a.error)?;
        }
        Ok(())
    }
}

/// The file to fetch: its name on the mirrors and on disk, and its MD5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteFile<'a> {
    /// File name, appended to each mirror's URL and used in the target
    /// directory.
    pub name: &'a str,
    /// MD5 of the bytes served, in hex (either case); a download is kept
    /// only if it matches.
    pub md5: &'a str,
}

/// Downloads `file` into `dir` from the first mirror that serves it with
/// the right checksum, returning the final path. `dir` must exist.
///
/// If a file of that name already exists when the download completes
/// (another process got there first), it is kept and returned untouched.
pub fn fetch(
    file: RemoteFile<'_>,
    dir: &Path,
    mirrors: &[String],
    progress: bool,
) -> Result<PathBuf, Attempts> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_per_read(Some(READ_TIMEOUT))
        // The files are already gzip: ask servers not to encode them
        // again, so the bytes we hash are the bytes of the file.
        .accept_encoding("identity")
        .build()
        .into();
    let target = dir.join(file.name);
    let mut attempts = Vec::new();
    for mirror in mirrors {
        let url = join_url(mirror, file.name);
        match fetch_one(&agent, &url, file, dir, &target, progress) {
            Ok(path) => return Ok(path),
            Err(error) => attempts.push(Attempt { url, error }),
        }
    }
    Err(Attempts(attempts))
}

/// `mirror` + `name`, with exactly one slash between them.
pub fn join_url(mirror: &str, name: &str) -> String {
    format!("{}/{}", mirror.trim_end_matches('/'), name)
}

fn fetch_one(
    agent: &ureq::Agent,
    url: &str,
    file: RemoteFile<'_>,
    dir: &Path,
    target: &Path,
    progress: bool,
) -> Result<PathBuf, String> {
    // Something that is not a regular file under the target's name would be "kept" below and
    // handed to the reader: refuse it before downloading.
    file::probe(target).map_err(|e| e.to_string())?;
    let response = agent.get(url).call().map_err(|e| e.to_string())?;
    let length = response.body().content_length();
    if length.is_some_and(|n| n > MAX_DOWNLOAD_BYTES) {
        return Err(format!(
            "server announces {} bytes, more than the {MAX_DOWNLOAD_BYTES}-byte limit",
            length.unwrap_or_default()
        ));
    }
    let mut body = response
        .into_body()
        .into_with_config()
        .limit(MAX_DOWNLOAD_BYTES)
        .reader();

    let mut part = PartFile::create(dir, file.name)
        .map_err(|e| format!("cannot create a temporary file in {}: {e}", dir.display()))?;
    let bar = progress_bar(length, file.name, progress);
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut received: u64 = 0;
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                bar.abandon();
                return Err(format!("transfer failed after {received} bytes: {e}"));
            }
        };
        hasher.update(&buf[..n]);
        part.file
            .write_all(&buf[..n])
            .map_err(|e| format!("cannot write {}: {e}", part.path.display()))?;
        received += n as u64;
        bar.set_position(received);
    }
    bar.finish_and_clear();
    if let Some(expected) = length
        && received != expected
    {
        return Err(format!(
            "transfer ended after {received} of {expected} bytes"
        ));
    }
    let got = hex(&hasher.finalize());
    if !got.eq_ignore_ascii_case(file.md5) {
        return Err(format!(
            "checksum mismatch: md5 of the {received} bytes received is {got}, expected {}",
            file.md5
        ));
    }
    part.persist(target)
        .map_err(|e| format!("cannot move the download to {}: {e}", target.display()))?;
    Ok(target.to_path_buf())
}

fn progress_bar(length: Option<u64>, name: &str, progress: bool) -> ProgressBar {
    if !progress || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(length, ProgressDrawTarget::stderr());
    let template = if length.is_some() {
        "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})"
    } else {
        "{msg} {spinner} {bytes} ({bytes_per_sec})"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(format!("downloading {name}"));
    bar
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A temporary download file, removed on drop unless persisted.
struct PartFile {
    path: PathBuf,
    file: File,
    keep: bool,
}

impl PartFile {
    /// Creates a fresh hidden file beside the target. The name carries the
    /// process id and a counter so concurrent downloads never share one,
    /// and `create_new` guarantees we never truncate somebody's file.
    fn create(dir: &Path, name: &str) -> io::Result<PartFile> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!(".{name}.part-{}-{n}", std::process::id()));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    return Ok(PartFile {
                        path,
                        file,
                        keep: false,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Moves the file to `target` without ever replacing an existing file. A regular file that
    /// appeared there meanwhile is kept; anything else there (a FIFO, a directory) is an error.
    fn persist(mut self, target: &Path) -> Result<(), String> {
        let io = |e: io::Error| e.to_string();
        self.file.sync_all().map_err(io)?;
        let theirs = || match file::probe(target) {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(format!(
                "{} vanished while it was written",
                target.display()
            )),
            Err(e) => Err(e.to_string()),
        };
        match fs::hard_link(&self.path, target) {
            // Linked: the drop below removes the temporary name.
            Ok(()) => Ok(()),
            // Somebody put a file there meanwhile: theirs wins, ours goes.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => theirs(),
            // No hard links here (some network or FAT file systems): fall
            // back to a rename, after checking the name is still free.
            Err(_) => {
                if fs::symlink_metadata(target).is_ok() {
                    return theirs();
                }
                fs::rename(&self.path, target).map_err(io)?;
                self.keep = true;
                Ok(())
            }
        }
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}
