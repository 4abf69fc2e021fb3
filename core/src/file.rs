//! Reading the files a command is given: only regular files, and never more than a stated size.
//!
//! A path can name a FIFO (opening it blocks until a writer appears, reading it never ends), a
//! device (`/dev/zero` reads without end), a directory or a symlink loop. [`read_capped`] opens
//! with `O_NONBLOCK`, so opening a FIFO returns at once, then asks the open file what it is and
//! refuses anything but a regular file, naming the path and what it is. The size is checked
//! against the cap from the file's metadata before a byte is read, and again while reading (the
//! file may grow meanwhile). `O_NONBLOCK` changes nothing for a regular file: POSIX reads of
//! regular files never block in the sense it controls.

use crate::memory::Bytes;
use std::fs::{File, FileType, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Why a file could not be read. Every message starts with the path.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The path is not a regular file: a directory, a FIFO, a device, a socket, a symlink loop.
    #[error("{}: is {what}, not a regular file", path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is instead (`a directory`, `a FIFO (named pipe)`, ...).
        what: &'static str,
    },
    /// The file is larger than the cap for its kind.
    #[error(
        "{}: file is {} ({size} bytes), larger than the {} limit for {purpose}",
        path.display(),
        Bytes(u128::from(*size)),
        Bytes(u128::from(*limit))
    )]
    TooLarge {
        /// The path.
        path: PathBuf,
        /// Its size (at least; reading stopped past the cap).
        size: u64,
        /// The cap.
        limit: u64,
        /// What kind of file the cap is for (`a checkpoint`, `a sweep spec`, ...).
        purpose: &'static str,
    },
    /// The file could not be opened or read (missing, permissions, I/O error). The message
    /// holds the operating system's; it is not repeated as a separate cause.
    #[error("{}: cannot read file: {error}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// What failed.
        error: io::Error,
    },
}

impl FileError {
    /// Whether the file does not exist (as opposed to existing but unusable).
    pub fn is_not_found(&self) -> bool {
        matches!(self, FileError::Io { error, .. } if error.kind() == io::ErrorKind::NotFound)
    }
}

/// What a file type is, in words, for anything but a regular file.
pub fn describe(file_type: &FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// What `path` is, without opening it (so a FIFO never blocks): `Ok(None)` when nothing is
/// there, `Ok(Some(metadata))` for a regular file (symlinks followed), else the error naming
/// what it is (a symlink loop included).
pub fn probe(path: &Path) -> Result<Option<Metadata>, FileError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(Some(m)),
        Ok(m) => Err(FileError::NotRegular {
            path: path.to_path_buf(),
            what: describe(&m.file_type()),
        }),
        // Nothing there (or a symlink to nothing).
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(open_error(path, e)),
    }
}

/// Opens `path` for reading if it is a regular file, without blocking on a FIFO.
pub fn open_regular(path: &Path) -> Result<(File, Metadata), FileError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    #[cfg(not(unix))]
    if probe(path)?.is_none() {
        return Err(open_error(path, io::ErrorKind::NotFound.into()));
    }
    let file = options.open(path).map_err(|e| open_error(path, e))?;
    let metadata = file.metadata().map_err(|error| FileError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    if !metadata.is_file() {
        return Err(FileError::NotRegular {
            path: path.to_path_buf(),
            what: describe(&metadata.file_type()),
        });
    }
    Ok((file, metadata))
}

/// The error of a failed open: a symlink loop or a socket is named as such.
fn open_error(path: &Path, error: io::Error) -> FileError {
    #[cfg(unix)]
    {
        let what = match error.raw_os_error() {
            Some(libc::ELOOP) => Some("a symlink loop"),
            // Opening a socket fails with ENXIO.
            Some(libc::ENXIO) => std::fs::metadata(path)
                .ok()
                .map(|m| describe(&m.file_type())),
            _ => None,
        };
        if let Some(what) = what {
            return FileError::NotRegular {
                path: path.to_path_buf(),
                what,
            };
        }
    }
    FileError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// The whole of the regular file `path`, refused when it is larger than `limit` bytes (checked
/// before reading, from its metadata, and while reading); `purpose` names the kind of file in
/// that message.
pub fn read_capped(path: &Path, limit: u64, purpose: &'static str) -> Result<Vec<u8>, FileError> {
    let (file, metadata) = open_regular(path)?;
    let too_large = |size| FileError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit,
        purpose,
    };
    if metadata.len() > limit {
        return Err(too_large(metadata.len()));
    }
    let io = |error| FileError::Io {
        path: path.to_path_buf(),
        error,
    };
    let mut bytes = Vec::new();
    let expected = usize::try_from(metadata.len()).unwrap_or(usize::MAX);
    bytes.try_reserve_exact(expected).map_err(|_| {
        io(io::Error::new(
            io::ErrorKind::OutOfMemory,
            format!("cannot allocate {}", Bytes(u128::from(metadata.len()))),
        ))
    })?;
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// [`read_capped`] as UTF-8 text.
pub fn read_text_capped(
    path: &Path,
    limit: u64,
    purpose: &'static str,
) -> Result<String, FileError> {
    let bytes = read_capped(path, limit, purpose)?;
    String::from_utf8(bytes).map_err(|e| FileError::Io {
        path: path.to_path_buf(),
        error: io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_is_a_limit_in_bytes_and_missing_files_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ten");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read_capped(&path, 10, "a test").unwrap().len(), 10);
        let m = read_capped(&path, 9, "a test").unwrap_err().to_string();
        assert!(
            m.starts_with(&path.display().to_string())
                && m.contains("(10 bytes), larger than the 9 B limit for a test"),
            "{m}"
        );
        let missing = read_capped(&dir.path().join("nothing"), 9, "a test").unwrap_err();
        assert!(missing.is_not_found(), "{missing}");
        assert!(probe(&dir.path().join("nothing")).unwrap().is_none());
        assert!(probe(&path).unwrap().is_some());
        let m = probe(dir.path()).unwrap_err().to_string();
        assert!(m.ends_with("is a directory, not a regular file"), "{m}");
    }

    #[test]
    fn text_must_be_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latin1");
        std::fs::write(&path, b"ok \xe9").unwrap();
        let m = read_text_capped(&path, 100, "a test")
            .unwrap_err()
            .to_string();
        assert!(
            m.contains("not UTF-8 text (invalid byte at offset 3)"),
            "{m}"
        );
    }
}
