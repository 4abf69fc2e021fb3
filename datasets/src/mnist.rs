//! Finding, downloading and loading MNIST and Fashion-MNIST.
//!
//! Where the files are looked for, in order:
//! 1. the directory given explicitly ([`DataSpec::dir`], from `--data-dir`);
//! 2. for MNIST, the `RBP_DATA_DIR` environment variable, if set and
//!    non-empty (it is MNIST-only so that pointing it at an MNIST copy
//!    does not hide the system-wide Fashion-MNIST);
//! 3. the default: `<user cache dir>/rbp/mnist` for MNIST
//!    (`~/.cache/rbp/mnist` on Linux), [`FASHION_DIR`] for Fashion-MNIST,
//!    where Debian's `dataset-fashion-mnist` package installs it.
//!
//! In that directory each file may be unpacked (`t10k-images-idx3-ubyte`)
//! or gzipped (`t10k-images-idx3-ubyte.gz`). The unpacked one wins when
//! both exist: someone unpacked it on purpose, and it loads faster. Either
//! way the content decides how it is read (gzip magic bytes), not the name.
//! Something else under a data file's name (a FIFO, a directory, a device, a
//! symlink loop), or a data directory that is not a directory, is an error
//! naming it: it is never read, downloaded over, nor reported as missing.
//!
//! Only the two files of the requested [`Split`] are looked for, and only
//! missing MNIST files are downloaded (unless offline), from the mirrors in
//! order, each checked against its published MD5 before it is given its
//! final name. Fashion-MNIST is never downloaded.
//!
//! Files already present are not checksummed: gzip's own CRC-32 and the
//! strict IDX checks (exact length, magic numbers, label range, counts)
//! already reject corrupt or truncated files with a message naming the
//! file, and an MD5 check would wrongly reject a valid file that was
//! unpacked and re-compressed.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use ndarray::Array2;
use thiserror::Error;

use super::download::{self, Attempts, RemoteFile};
use super::idx::{self, IdxError, IdxImages, NUM_CLASSES};
use rbp_core::file::{self, FileError};

/// Side of an MNIST image, in pixels.
pub const IMAGE_SIDE: usize = 28;
/// Pixels per image (28 × 28), the width of [`Dataset::images`].
pub const PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;
/// Environment variable naming the MNIST directory.
pub const DATA_DIR_ENV: &str = "RBP_DATA_DIR";
/// Where Debian's `dataset-fashion-mnist` package installs the files.
pub const FASHION_DIR: &str = "/usr/share/datasets/fashion-mnist";
/// Mirrors tried, in order, when [`DataSpec::mirrors`] is empty.
pub const DEFAULT_MIRRORS: [&str; 2] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
];

/// The MNIST files as the mirrors serve them (gzipped) and their published
/// MD5s: what [`load`] and [`locate`] download and check against.
pub const MNIST_FILES: [RemoteFile<'static>; 4] = [
    RemoteFile {
        name: "train-images-idx3-ubyte.gz",
        md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    },
    RemoteFile {
        name: "train-labels-idx1-ubyte.gz",
        md5: "d53e105ee54ea40749a09fcbcd1e9432",
    },
    RemoteFile {
        name: "t10k-images-idx3-ubyte.gz",
        md5: "9fb629c4189551a2d022fa330f9573f3",
    },
    RemoteFile {
        name: "t10k-labels-idx1-ubyte.gz",
        md5: "ec29112dd5afa0611ce80d1b7f02629c",
    },
];

/// Which half of the data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// The 60,000 training samples.
    Train,
    /// The 10,000 test samples.
    Test,
}

impl Split {
    /// File names (without `.gz`) of the image and the label file.
    pub fn file_stems(self) -> (&'static str, &'static str) {
        match self {
            Split::Train => ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
            Split::Test => ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Split::Train => "train",
            Split::Test => "test",
        })
    }
}

/// Which data set. Both use the same file names and format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasetKind {
    /// Handwritten digits; downloaded when missing.
    Mnist,
    /// Zalando's clothing images; installed by the system, never downloaded.
    Fashion,
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DatasetKind::Mnist => "MNIST",
            DatasetKind::Fashion => "Fashion-MNIST",
        })
    }
}

impl std::str::FromStr for DatasetKind {
    type Err = String;
    /// `mnist`, or `fashion` (also `fashion-mnist`).
    fn from_str(s: &str) -> Result<DatasetKind, String> {
        match s {
            "mnist" => Ok(DatasetKind::Mnist),
            "fashion" | "fashion-mnist" => Ok(DatasetKind::Fashion),
            _ => Err(format!("unknown data set `{s}`; expected mnist or fashion")),
        }
    }
}

/// What to load and from where.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DataSpec {
    /// Which data set.
    pub kind: DatasetKind,
    /// Explicit data directory (`--data-dir`); overrides everything else.
    pub dir: Option<PathBuf>,
    /// Never touch the network; missing files are an error.
    pub offline: bool,
    /// Base URLs to download from (`--mirror`, repeatable); empty means
    /// [`DEFAULT_MIRRORS`].
    pub mirrors: Vec<String>,
    /// Show a progress bar while downloading (only ever on a terminal).
    #[serde(skip)]
    pub progress: bool,
}

impl DataSpec {
    /// Default settings for `kind`: default directory, online, default
    /// mirrors, progress bar on.
    pub fn new(kind: DatasetKind) -> Self {
        DataSpec {
            kind,
            dir: None,
            offline: false,
            mirrors: Vec::new(),
            progress: true,
        }
    }

    /// The mirrors actually used: the configured ones, or the defaults.
    pub fn effective_mirrors(&self) -> Vec<String> {
        if self.mirrors.is_empty() {
            DEFAULT_MIRRORS.iter().map(|m| m.to_string()).collect()
        } else {
            self.mirrors.clone()
        }
    }
}

/// Why data could not be located or loaded.
#[derive(Debug, Error)]
pub enum DataError {
    /// A file was found but is not a valid IDX file (or the pair disagrees).
    #[error(transparent)]
    Idx(#[from] IdxError),
    /// No explicit directory, no `RBP_DATA_DIR`, and no user cache directory.
    #[error(
        "cannot determine where to keep the MNIST files (no user cache directory): \
         pass --data-dir DIR or set {DATA_DIR_ENV}"
    )]
    NoDataDir,
    /// The data directory could not be created for a download (the message holds the
    /// operating system's; it is not repeated as a separate cause).
    #[error("cannot create the data directory {}: {error}", dir.display())]
    CreateDir { dir: PathBuf, error: std::io::Error },
    /// The data directory is there but is not a directory.
    #[error("{origin}{} is {what}, not a directory: {}", dir.display(), origin.fix())]
    NotADirectory {
        dir: PathBuf,
        /// What it is instead.
        what: &'static str,
        /// Where the directory was taken from.
        origin: DirOrigin,
    },
    /// Something other than a regular file (a FIFO, a directory, a device, a symlink loop)
    /// has a data file's name; it is never read nor replaced.
    #[error("{0}; remove it or put the data file there")]
    NotAFile(FileError),
    /// Files are missing and the network may not be used.
    #[error(
        "offline mode: {missing} not found in {}; put the files there \
         (as .gz or unpacked) or run without --offline to download them",
        dir.display()
    )]
    Offline { dir: PathBuf, missing: FileList },
    /// Fashion-MNIST files are missing (they are never downloaded).
    #[error(
        "Fashion-MNIST: {missing} not found in {}. Fashion-MNIST is never downloaded: \
         install it with `apt-get install dataset-fashion-mnist` (it goes to {FASHION_DIR}) \
         or pass --data-dir DIR with the files (as .gz or unpacked)",
        dir.display()
    )]
    FashionMissing { dir: PathBuf, missing: FileList },
    /// A file to download has no known MD5, so it could not be checked.
    #[error("cannot download {file}: no MD5 is known for it to check the download against")]
    NoChecksum { file: String },
    /// Every mirror failed for one file (boxed: it is much larger than the
    /// other variants).
    #[error(transparent)]
    DownloadFailed(Box<DownloadFailure>),
}

/// Every mirror failed for one file: what was tried, and how to fix it by
/// hand.
#[derive(Debug, Error)]
#[error(
    "could not download {file}; tried:{attempts}\n\
     To install it by hand, get {file} (md5 {md5}) and put it in {} \
     (gzipped, or unpacked as {stem}); this run needs {needed} there. \
     Or pass --data-dir DIR / set {DATA_DIR_ENV} to a directory that has them, \
     or --mirror URL to try another mirror.",
    dir.display()
)]
pub struct DownloadFailure {
    /// The file that could not be downloaded (`NAME.gz`).
    pub file: String,
    /// Its unpacked name.
    pub stem: &'static str,
    /// Its expected MD5.
    pub md5: String,
    /// Where it was to be put.
    pub dir: PathBuf,
    /// Every file the run needs in `dir`.
    pub needed: FileList,
    /// Each URL tried and its failure.
    pub attempts: Attempts,
}

/// File names, displayed as `a, b`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileList(pub Vec<String>);

impl fmt::Display for FileList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(", "))
    }
}

/// A loaded split: images as rows of [`PIXELS`] values in [0, 1], and
/// their labels (class indices below 10).
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// `n × 784` pixel intensities, `byte / 255`.
    pub images: Array2<f32>,
    /// `n` labels, each `< 10`.
    pub labels: Vec<u8>,
}

impl Dataset {
    /// Pairs parsed image and label files, checking the images are 28×28
    /// and the counts agree. The names only label error messages.
    pub fn from_idx(
        images: IdxImages,
        labels: Vec<u8>,
        images_name: &str,
        labels_name: &str,
    ) -> Result<Dataset, IdxError> {
        if (images.rows, images.cols) != (IMAGE_SIDE, IMAGE_SIDE) {
            return Err(IdxError::WrongDimensions {
                name: images_name.to_owned(),
                rows: images.rows,
                cols: images.cols,
                expected_rows: IMAGE_SIDE,
                expected_cols: IMAGE_SIDE,
            });
        }
        if images.count != labels.len() {
            return Err(IdxError::CountMismatch {
                images: images_name.to_owned(),
                n_images: images.count,
                labels: labels_name.to_owned(),
                n_labels: labels.len(),
            });
        }
        // The fields are public, so a hand-built value may be inconsistent.
        let expected = images.count.saturating_mul(PIXELS);
        if images.pixels.len() != expected {
            return Err(IdxError::TruncatedPayload {
                name: images_name.to_owned(),
                expected,
                actual: images.pixels.len(),
            });
        }
        let pixels = images.pixels;
        let images = Array2::from_shape_fn((images.count, PIXELS), |(i, j)| {
            f32::from(pixels[i * PIXELS + j]) / 255.0
        });
        Ok(Dataset { images, labels })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there is no sample.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The labels as one-hot rows (`n × 10`, f32), the usual training target.
    pub fn one_hot(&self) -> Array2<f32> {
        one_hot(&self.labels)
    }
}

/// One-hot encoding of class labels (`labels.len() × 10`). A label outside
/// 0..10 gives an all-zero row (parsed labels are always in range).
pub fn one_hot(labels: &[u8]) -> Array2<f32> {
    let mut out = Array2::zeros((labels.len(), NUM_CLASSES));
    for (i, &l) in labels.iter().enumerate() {
        if let Some(x) = out.get_mut((i, usize::from(l))) {
            *x = 1.0;
        }
    }
    out
}

/// Loads a split from an explicit image file and label file (each gzipped
/// or raw).
pub fn load_paths(images: &Path, labels: &Path) -> Result<Dataset, IdxError> {
    let parsed_images = idx::read_images(images)?;
    let parsed_labels = idx::read_labels(labels)?;
    Dataset::from_idx(
        parsed_images,
        parsed_labels,
        &images.display().to_string(),
        &labels.display().to_string(),
    )
}

/// Locates (downloading if needed and allowed) and loads one split of
/// MNIST (checked against [`MNIST_FILES`]) or Fashion-MNIST.
pub fn load(spec: &DataSpec, split: Split) -> Result<Dataset, DataError> {
    load_with(spec, split, &MNIST_FILES)
}

/// [`load`], downloading against `files` (names as served and their MD5s)
/// instead of [`MNIST_FILES`].
pub fn load_with(
    spec: &DataSpec,
    split: Split,
    files: &[RemoteFile<'_>],
) -> Result<Dataset, DataError> {
    let (images, labels) = locate_with(spec, split, files)?;
    Ok(load_paths(&images, &labels)?)
}

/// Where the data directory was taken from (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirOrigin {
    /// Given explicitly ([`DataSpec::dir`]: `--data-dir`, a sweep's `data.mnist_dir`).
    Given,
    /// The [`DATA_DIR_ENV`] environment variable.
    Env,
    /// The default directory of the data set.
    Default,
}

impl DirOrigin {
    /// How to point at another directory from here.
    fn fix(self) -> &'static str {
        match self {
            DirOrigin::Given => "give the directory that holds the data files",
            DirOrigin::Env => "set RBP_DATA_DIR to the directory that holds the MNIST files",
            DirOrigin::Default => "move this away, or pass --data-dir DIR or set RBP_DATA_DIR",
        }
    }
}

/// The words before the directory in a message: `the data directory `, `RBP_DATA_DIR=`.
impl fmt::Display for DirOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DirOrigin::Given => "the data directory ",
            DirOrigin::Env => "RBP_DATA_DIR=",
            DirOrigin::Default => "the default data directory ",
        })
    }
}

/// The directory `spec` reads from (and downloads to), per the rules in the
/// module documentation. It need not exist yet.
pub fn data_dir(spec: &DataSpec) -> Result<PathBuf, DataError> {
    data_dir_and_origin(spec).map(|(dir, _)| dir)
}

/// [`data_dir`] and where it was taken from.
fn data_dir_and_origin(spec: &DataSpec) -> Result<(PathBuf, DirOrigin), DataError> {
    resolve_dir(
        spec.kind,
        spec.dir.as_deref(),
        std::env::var_os(DATA_DIR_ENV),
        dirs::cache_dir(),
    )
}

fn resolve_dir(
    kind: DatasetKind,
    explicit: Option<&Path>,
    env: Option<OsString>,
    cache: Option<PathBuf>,
) -> Result<(PathBuf, DirOrigin), DataError> {
    if let Some(dir) = explicit {
        return Ok((dir.to_path_buf(), DirOrigin::Given));
    }
    match kind {
        DatasetKind::Fashion => Ok((PathBuf::from(FASHION_DIR), DirOrigin::Default)),
        DatasetKind::Mnist => match env.filter(|v| !v.is_empty()) {
            Some(dir) => Ok((PathBuf::from(dir), DirOrigin::Env)),
            None => cache
                .map(|c| (c.join("rbp").join("mnist"), DirOrigin::Default))
                .ok_or(DataError::NoDataDir),
        },
    }
}

/// Refuses a data directory that exists but is not a directory (a missing one is created for
/// a download, or reported with the missing files).
fn check_dir(dir: &Path, origin: DirOrigin) -> Result<(), DataError> {
    let not_a_dir = |what| DataError::NotADirectory {
        dir: dir.to_path_buf(),
        what,
        origin,
    };
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(m) => Err(not_a_dir(file::describe(&m.file_type()))),
        // A symlink loop is named; a missing or unreadable directory is for later.
        Err(_) => match file::probe(dir) {
            Err(FileError::NotRegular { what, .. }) => Err(not_a_dir(what)),
            _ => Ok(()),
        },
    }
}

/// An existing file for `stem` in `dir`: the unpacked one if present, else
/// the `.gz`. Something else under either name (a FIFO, a directory, a
/// device, a symlink loop) is an error naming it, never "not found".
pub fn find_local(dir: &Path, stem: &str) -> Result<Option<PathBuf>, DataError> {
    for path in [dir.join(stem), dir.join(format!("{stem}.gz"))] {
        if file::probe(&path).map_err(DataError::NotAFile)?.is_some() {
            return Ok(Some(path));
        }
    }
    Ok(None)
}

/// Paths of the image and label files of `split`, downloading the missing
/// ones for MNIST unless `spec.offline`, each checked against its MD5 in
/// [`MNIST_FILES`]. Files of the other split are never looked at.
pub fn locate(spec: &DataSpec, split: Split) -> Result<(PathBuf, PathBuf), DataError> {
    locate_with(spec, split, &MNIST_FILES)
}

/// [`locate`], downloading against `files` (names as served and their MD5s)
/// instead of [`MNIST_FILES`]: a file to download that `files` does not list
/// is an error, never an unchecked download.
pub fn locate_with(
    spec: &DataSpec,
    split: Split,
    files: &[RemoteFile<'_>],
) -> Result<(PathBuf, PathBuf), DataError> {
    let (dir, origin) = data_dir_and_origin(spec)?;
    check_dir(&dir, origin)?;
    let (images_stem, labels_stem) = split.file_stems();
    let images = find_local(&dir, images_stem)?;
    let labels = find_local(&dir, labels_stem)?;
    if let (Some(images), Some(labels)) = (&images, &labels) {
        return Ok((images.clone(), labels.clone()));
    }
    let missing_stems: Vec<&'static str> = [(images_stem, &images), (labels_stem, &labels)]
        .into_iter()
        .filter(|(_, found)| found.is_none())
        .map(|(stem, _)| stem)
        .collect();
    let missing = FileList(missing_stems.iter().map(|s| format!("{s}(.gz)")).collect());
    if spec.kind == DatasetKind::Fashion {
        return Err(DataError::FashionMissing { dir, missing });
    }
    if spec.offline {
        return Err(DataError::Offline { dir, missing });
    }
    std::fs::create_dir_all(&dir).map_err(|error| DataError::CreateDir {
        dir: dir.clone(),
        error,
    })?;
    let mirrors = spec.effective_mirrors();
    let needed = FileList(vec![
        format!("{images_stem}.gz"),
        format!("{labels_stem}.gz"),
    ]);
    let fetch = |stem: &'static str| -> Result<PathBuf, DataError> {
        let file = format!("{stem}.gz");
        let remote = files
            .iter()
            .find(|f| f.name == file)
            .copied()
            .ok_or_else(|| DataError::NoChecksum { file: file.clone() })?;
        download::fetch(remote, &dir, &mirrors, spec.progress).map_err(|attempts| {
            DataError::DownloadFailed(Box::new(DownloadFailure {
                file,
                stem,
                md5: remote.md5.to_owned(),
                dir: dir.clone(),
                needed: needed.clone(),
                attempts,
            }))
        })
    };
    let images = match images {
        Some(p) => p,
        None => fetch(images_stem)?,
    };
    let labels = match labels {
        Some(p) => p,
        None => fetch(labels_stem)?,
    };
    Ok((images, labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_dir_wins() {
        let d = resolve_dir(
            DatasetKind::Mnist,
            Some(Path::new("/x")),
            Some("/env".into()),
            Some("/cache".into()),
        );
        assert_eq!(d.unwrap(), (PathBuf::from("/x"), DirOrigin::Given));
        let d = resolve_dir(DatasetKind::Fashion, Some(Path::new("/x")), None, None);
        assert_eq!(d.unwrap(), (PathBuf::from("/x"), DirOrigin::Given));
    }

    #[test]
    fn env_then_cache_for_mnist() {
        let d = resolve_dir(
            DatasetKind::Mnist,
            None,
            Some("/env".into()),
            Some("/c".into()),
        );
        assert_eq!(d.unwrap(), (PathBuf::from("/env"), DirOrigin::Env));
        let d = resolve_dir(DatasetKind::Mnist, None, Some("".into()), Some("/c".into()));
        assert_eq!(
            d.unwrap(),
            (PathBuf::from("/c/rbp/mnist"), DirOrigin::Default)
        );
        let d = resolve_dir(DatasetKind::Mnist, None, None, None);
        assert!(d.unwrap_err().to_string().contains("--data-dir"));
    }

    #[test]
    fn fashion_ignores_env_and_cache() {
        let d = resolve_dir(
            DatasetKind::Fashion,
            None,
            Some("/env".into()),
            Some("/c".into()),
        );
        assert_eq!(d.unwrap(), (PathBuf::from(FASHION_DIR), DirOrigin::Default));
    }

    #[test]
    fn one_hot_rows() {
        let y = one_hot(&[7, 0, 9]);
        assert_eq!(y.shape(), &[3, 10]);
        assert_eq!(y[(0, 7)], 1.0);
        assert_eq!(y[(1, 0)], 1.0);
        assert_eq!(y[(2, 9)], 1.0);
        assert_eq!(y.sum(), 3.0);
    }

    #[test]
    fn every_split_file_has_a_checksum() {
        for split in [Split::Train, Split::Test] {
            let (a, b) = split.file_stems();
            for stem in [a, b] {
                let name = format!("{stem}.gz");
                assert!(
                    MNIST_FILES
                        .iter()
                        .any(|f| f.name == name && f.md5.len() == 32)
                );
            }
        }
    }
}
