//! Parsing of IDX files, the format MNIST and Fashion-MNIST ship in.
//!
//! An IDX file is a big-endian header followed by a dense payload of
//! unsigned bytes:
//!
//! | file   | magic | header                      | payload             |
//! |--------|-------|-----------------------------|---------------------|
//! | images | 2051  | magic, count, rows, cols    | count × rows × cols |
//! | labels | 2049  | magic, count                | count               |
//!
//! The parser is strict on purpose: a file whose length is not exactly
//! header + payload is rejected, because truncated downloads and
//! concatenated files are the common real-world failures and silently
//! accepting them would train on garbage. It never trusts the header for
//! an allocation: the declared payload size is computed with overflow
//! checks and compared against the bytes actually present first.
//!
//! Files may be gzipped or raw; gzip is recognised by its magic bytes
//! (`1f 8b`), not by the file name, so an unpacked file that kept its
//! `.gz` name (or the reverse) still loads.
//!
//! Only regular files are read (a FIFO, a device, a directory or a symlink
//! loop is named as such, without blocking or reading it), through
//! [`rbp_core::file::read_capped`]; a gzip stream of another kind of file is
//! refused on its first inflated bytes, before the rest is inflated.

use std::borrow::Cow;
use std::io::{self, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use rbp_core::file::{self, FileError};
use thiserror::Error;

/// Magic number of an IDX file of unsigned-byte images (3 dimensions).
pub const IMAGES_MAGIC: u32 = 2051;
/// Magic number of an IDX file of unsigned-byte labels (1 dimension).
pub const LABELS_MAGIC: u32 = 2049;
/// Header length of an image file: magic, count, rows, cols.
pub const IMAGES_HEADER_LEN: usize = 16;
/// Header length of a label file: magic, count.
pub const LABELS_HEADER_LEN: usize = 8;
/// Number of classes every label must be below (MNIST digits, Fashion-MNIST
/// garment classes).
pub const NUM_CLASSES: usize = 10;
/// Largest (decompressed) file accepted, in bytes.
///
/// The MNIST training images are 47 MB unpacked; 256 MiB leaves room for
/// similar data sets while bounding what a gzip bomb or a wrong file can
/// make us allocate.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// The gzip magic bytes.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Everything that can be wrong with an IDX file. Each message starts with
/// the name (usually the path) of the file concerned.
#[derive(Debug, Error)]
pub enum IdxError {
    /// The file could not be opened or read: missing, permissions, not a regular file (a FIFO,
    /// a device, a directory), larger than [`MAX_FILE_BYTES`].
    #[error(transparent)]
    File(#[from] FileError),
    /// The file has no bytes at all (often an interrupted copy).
    #[error("{name}: file is empty, expected an IDX {kind} file")]
    Empty { name: String, kind: &'static str },
    /// Fewer bytes than the fixed-size header.
    #[error("{name}: truncated header: file has {len} bytes, an IDX {kind} header needs {need}")]
    TruncatedHeader {
        name: String,
        kind: &'static str,
        len: usize,
        need: usize,
    },
    /// The magic number is not the one of the expected file type.
    #[error("{name}: bad magic number {found}, expected {expected} ({what}){hint}")]
    BadMagic {
        name: String,
        found: u32,
        expected: u32,
        what: &'static str,
        hint: &'static str,
    },
    /// The header declares a payload too large to even compute its size.
    #[error("{name}: header declares {declared} bytes of data, too large to address")]
    DeclaredTooLarge { name: String, declared: String },
    /// The file ends before the declared payload does.
    #[error(
        "{name}: truncated payload: header declares {expected} bytes of data, file has {actual}"
    )]
    TruncatedPayload {
        name: String,
        expected: usize,
        actual: usize,
    },
    /// The file continues after the declared payload.
    #[error(
        "{name}: {extra} trailing bytes after the {expected} bytes of data the header declares"
    )]
    TrailingBytes {
        name: String,
        expected: usize,
        extra: usize,
    },
    /// A label is not a class index.
    #[error("{name}: label {value} at index {index} is out of range (must be < {NUM_CLASSES})")]
    LabelOutOfRange {
        name: String,
        index: usize,
        value: u8,
    },
    /// The gzip stream is corrupt or truncated (includes CRC mismatches).
    /// The message holds the decoder's; it is not repeated as a separate cause.
    #[error("{name}: corrupt gzip data: {error}")]
    Gzip { name: String, error: io::Error },
    /// The (decompressed) file is larger than [`MAX_FILE_BYTES`].
    #[error("{name}: file is larger than the {limit}-byte limit for an IDX file")]
    TooLarge { name: String, limit: u64 },
    /// Images of another size than the data set's.
    #[error("{name}: images are {rows}x{cols}, expected {expected_rows}x{expected_cols}")]
    WrongDimensions {
        name: String,
        rows: usize,
        cols: usize,
        expected_rows: usize,
        expected_cols: usize,
    },
    /// An image file and a label file that do not describe the same samples.
    #[error("{images} has {n_images} images but {labels} has {n_labels} labels")]
    CountMismatch {
        images: String,
        n_images: usize,
        labels: String,
        n_labels: usize,
    },
}

/// The contents of an IDX image file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Rows of each image.
    pub rows: usize,
    /// Columns of each image.
    pub cols: usize,
    /// `count * rows * cols` pixel values, image after image, row-major.
    pub pixels: Vec<u8>,
}

impl IdxImages {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the file holds no image.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// Parses the (decompressed) bytes of an image file; `name` only labels
/// error messages.
pub fn parse_images(bytes: &[u8], name: &str) -> Result<IdxImages, IdxError> {
    let header = header(bytes, name, FileKind::Images)?;
    let count = word(header, 1);
    let rows = word(header, 2);
    let cols = word(header, 3);
    // u32 -> usize is lossless on the 32/64-bit targets we build for; the
    // product can still overflow on 32-bit, hence the checked multiply.
    let (count, rows, cols) = (count as usize, rows as usize, cols as usize);
    let expected = count
        .checked_mul(rows)
        .and_then(|n| n.checked_mul(cols))
        .ok_or_else(|| IdxError::DeclaredTooLarge {
            name: name.to_owned(),
            declared: format!("{count} x {rows} x {cols}"),
        })?;
    let pixels = payload(bytes, name, IMAGES_HEADER_LEN, expected)?;
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels: pixels.to_vec(),
    })
}

/// Parses the (decompressed) bytes of a label file, checking every label
/// is a class index below [`NUM_CLASSES`]; `name` only labels error
/// messages.
pub fn parse_labels(bytes: &[u8], name: &str) -> Result<Vec<u8>, IdxError> {
    let header = header(bytes, name, FileKind::Labels)?;
    let count = word(header, 1) as usize;
    let labels = payload(bytes, name, LABELS_HEADER_LEN, count)?;
    if let Some((index, &value)) = labels
        .iter()
        .enumerate()
        .find(|&(_, &l)| usize::from(l) >= NUM_CLASSES)
    {
        return Err(IdxError::LabelOutOfRange {
            name: name.to_owned(),
            index,
            value,
        });
    }
    Ok(labels.to_vec())
}

/// Reads and parses an image file, gzipped or raw.
pub fn read_images(path: &Path) -> Result<IdxImages, IdxError> {
    let name = path.display().to_string();
    parse_images(&read(path, Some(FileKind::Images))?, &name)
}

/// Reads and parses a label file, gzipped or raw.
pub fn read_labels(path: &Path) -> Result<Vec<u8>, IdxError> {
    let name = path.display().to_string();
    parse_labels(&read(path, Some(FileKind::Labels))?, &name)
}

/// Reads a whole regular file (a FIFO, a device or a directory is refused without blocking),
/// decompressing it when it starts with the gzip magic bytes. The file and the result are each
/// capped at [`MAX_FILE_BYTES`].
pub fn read_file(path: &Path) -> Result<Vec<u8>, IdxError> {
    read(path, None)
}

/// [`read_file`]; with `kind`, a gzip stream whose first inflated bytes are not that kind's
/// magic number is refused before the rest is inflated.
fn read(path: &Path, kind: Option<FileKind>) -> Result<Vec<u8>, IdxError> {
    let name = path.display().to_string();
    let raw = file::read_capped(path, MAX_FILE_BYTES, "an IDX file")?;
    Ok(gunzip_capped(&raw, &name, MAX_FILE_BYTES, kind)?.into_owned())
}

/// Returns `bytes` decompressed if they start with the gzip magic bytes,
/// unchanged otherwise. Concatenated gzip members are accepted (as `gunzip`
/// does); the output is capped at [`MAX_FILE_BYTES`] so a small hostile
/// input cannot exhaust memory.
pub fn gunzip_if_gzip<'a>(bytes: &'a [u8], name: &str) -> Result<Cow<'a, [u8]>, IdxError> {
    gunzip_capped(bytes, name, MAX_FILE_BYTES, None)
}

/// [`gunzip_if_gzip`] capped at `cap` bytes; with `kind`, the magic number is checked on the
/// first 4 inflated bytes, before the rest is inflated.
fn gunzip_capped<'a>(
    bytes: &'a [u8],
    name: &str,
    cap: u64,
    kind: Option<FileKind>,
) -> Result<Cow<'a, [u8]>, IdxError> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok(Cow::Borrowed(bytes));
    }
    let corrupt = |error| IdxError::Gzip {
        name: name.to_owned(),
        error,
    };
    let mut decoder = MultiGzDecoder::new(bytes).take(cap + 1);
    let mut out = Vec::new();
    if let Some(kind) = kind {
        (&mut decoder)
            .take(4)
            .read_to_end(&mut out)
            .map_err(corrupt)?;
        if out.len() == 4 {
            check_magic(&out, name, kind)?;
        }
    }
    decoder.read_to_end(&mut out).map_err(corrupt)?;
    if out.len() as u64 > cap {
        return Err(IdxError::TooLarge {
            name: name.to_owned(),
            limit: cap,
        });
    }
    Ok(Cow::Owned(out))
}

#[derive(Clone, Copy)]
enum FileKind {
    Images,
    Labels,
}

impl FileKind {
    fn word(self) -> &'static str {
        match self {
            FileKind::Images => "image",
            FileKind::Labels => "label",
        }
    }
    fn magic(self) -> u32 {
        match self {
            FileKind::Images => IMAGES_MAGIC,
            FileKind::Labels => LABELS_MAGIC,
        }
    }
    fn header_len(self) -> usize {
        match self {
            FileKind::Images => IMAGES_HEADER_LEN,
            FileKind::Labels => LABELS_HEADER_LEN,
        }
    }
    fn what(self) -> &'static str {
        match self {
            FileKind::Images => "an image file",
            FileKind::Labels => "a label file",
        }
    }
}

/// Checks length and magic number, returning the header bytes.
fn header<'a>(bytes: &'a [u8], name: &str, kind: FileKind) -> Result<&'a [u8], IdxError> {
    if bytes.is_empty() {
        return Err(IdxError::Empty {
            name: name.to_owned(),
            kind: kind.word(),
        });
    }
    let truncated = || IdxError::TruncatedHeader {
        name: name.to_owned(),
        kind: kind.word(),
        len: bytes.len(),
        need: kind.header_len(),
    };
    if bytes.len() < 4 {
        return Err(truncated());
    }
    check_magic(bytes, name, kind)?;
    bytes.get(..kind.header_len()).ok_or_else(truncated)
}

/// Checks the magic number in the first 4 of `bytes` (callers have checked there are 4).
fn check_magic(bytes: &[u8], name: &str, kind: FileKind) -> Result<(), IdxError> {
    let found = word(bytes, 0);
    if found == kind.magic() {
        return Ok(());
    }
    // Swapped image/label paths are a likely mistake: say so.
    let hint = match (kind, found) {
        (FileKind::Images, LABELS_MAGIC) => "; this looks like a label file",
        (FileKind::Labels, IMAGES_MAGIC) => "; this looks like an image file",
        _ if bytes.starts_with(&GZIP_MAGIC) => "; this is gzip data",
        _ => "",
    };
    Err(IdxError::BadMagic {
        name: name.to_owned(),
        found,
        expected: kind.magic(),
        what: kind.what(),
        hint,
    })
}

/// The payload after a header of `header_len` bytes, which must be exactly
/// `expected` bytes long.
fn payload<'a>(
    bytes: &'a [u8],
    name: &str,
    header_len: usize,
    expected: usize,
) -> Result<&'a [u8], IdxError> {
    let actual = bytes.len() - header_len;
    if actual < expected {
        return Err(IdxError::TruncatedPayload {
            name: name.to_owned(),
            expected,
            actual,
        });
    }
    if actual > expected {
        return Err(IdxError::TrailingBytes {
            name: name.to_owned(),
            expected,
            extra: actual - expected,
        });
    }
    Ok(&bytes[header_len..])
}

/// The `i`-th big-endian 32-bit word; callers have checked the length.
fn word(bytes: &[u8], i: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&bytes[4 * i..4 * i + 4]);
    u32::from_be_bytes(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    #[test]
    fn decompression_is_capped() {
        // 1 MB of zeros compresses to about 1 kB: a miniature gzip bomb.
        let mut e = GzEncoder::new(Vec::new(), Compression::best());
        e.write_all(&vec![0u8; 1 << 20]).unwrap();
        let bomb = e.finish().unwrap();
        assert!(bomb.len() < 4096);
        let err = gunzip_capped(&bomb, "bomb.gz", 1000, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bomb.gz: file is larger than the 1000-byte limit for an IDX file"
        );
        assert_eq!(
            gunzip_capped(&bomb, "bomb.gz", 1 << 20, None)
                .unwrap()
                .len(),
            1 << 20
        );
    }

    #[test]
    fn concatenated_gzip_members_are_one_file() {
        let gz = |b: &[u8]| {
            let mut e = GzEncoder::new(Vec::new(), Compression::fast());
            e.write_all(b).unwrap();
            e.finish().unwrap()
        };
        let mut two = gz(&[0, 0, 8, 1]);
        two.extend(gz(&[0, 0, 0, 1, 3]));
        let plain = gunzip_if_gzip(&two, "two.gz").unwrap();
        assert_eq!(parse_labels(&plain, "two.gz").unwrap(), vec![3]);
    }
}
