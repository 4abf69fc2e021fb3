//! IDX parsing: one test per class of malformed file, each checking the
//! message names the file and the problem, on files built by the test; plus
//! facts about the real MNIST files, which need the shared data directory
//! (see `rbp_datasets::test_support` for what happens when it is missing).

mod common;

use std::path::{Path, PathBuf};

use common::{fifo, gz, images_file, labels_file, symlink_loop, within};
use rbp_datasets::idx::{self, IdxError};
use rbp_datasets::mnist::{self, Dataset};
use rbp_datasets::test_support::shared_mnist;

const IMAGES: &str = "t10k-images-idx3-ubyte.gz";
const LABELS: &str = "t10k-labels-idx1-ubyte.gz";

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn msg<T: std::fmt::Debug>(r: Result<T, IdxError>) -> String {
    r.expect_err("expected an error").to_string()
}

#[test]
fn valid_images_parse() {
    let im = idx::parse_images(&images_file(2, 28, 28, 2 * 784), "x").unwrap();
    assert_eq!((im.count, im.rows, im.cols), (2, 28, 28));
    assert_eq!(im.len(), 2);
    assert_eq!(im.pixels.len(), 1568);
    assert_eq!(im.pixels[255], 255);
    // The parser is general over the image size.
    let im = idx::parse_images(&images_file(3, 2, 5, 30), "x").unwrap();
    assert_eq!((im.count, im.rows, im.cols), (3, 2, 5));
}

#[test]
fn valid_labels_parse() {
    assert_eq!(
        idx::parse_labels(&labels_file(&[7, 2, 1, 0, 9]), "x").unwrap(),
        vec![7, 2, 1, 0, 9]
    );
    assert_eq!(
        idx::parse_labels(&labels_file(&[]), "x").unwrap(),
        Vec::<u8>::new()
    );
}

#[test]
fn bad_magic_label_file_given_as_images() {
    let m = msg(idx::parse_images(&labels_file(&[1; 20]), IMAGES));
    assert!(
        m.starts_with(
            "t10k-images-idx3-ubyte.gz: bad magic number 2049, expected 2051 (an image file)"
        ),
        "{m}"
    );
    assert!(m.contains("looks like a label file"), "{m}");
}

#[test]
fn bad_magic_image_file_given_as_labels() {
    let m = msg(idx::parse_labels(&images_file(1, 28, 28, 784), LABELS));
    assert!(
        m.starts_with(
            "t10k-labels-idx1-ubyte.gz: bad magic number 2051, expected 2049 (a label file)"
        ),
        "{m}"
    );
}

#[test]
fn bad_magic_garbage_and_undecompressed_gzip() {
    let m = msg(idx::parse_images(b"hello, world, not idx", "f"));
    assert!(
        m.starts_with("f: bad magic number 1751477356, expected 2051"),
        "{m}"
    );
    let m = msg(idx::parse_labels(&gz(&labels_file(&[1])), "f"));
    assert!(
        m.contains("bad magic number") && m.contains("this is gzip data"),
        "{m}"
    );
}

#[test]
fn truncated_header() {
    let m = msg(idx::parse_images(&images_file(1, 28, 28, 0)[..10], "f"));
    assert_eq!(
        m,
        "f: truncated header: file has 10 bytes, an IDX image header needs 16"
    );
    let m = msg(idx::parse_labels(&[0, 0, 8], "g"));
    assert_eq!(
        m,
        "g: truncated header: file has 3 bytes, an IDX label header needs 8"
    );
    let m = msg(idx::parse_labels(&labels_file(&[])[..6], "g"));
    assert!(m.contains("truncated header: file has 6 bytes"), "{m}");
}

#[test]
fn truncated_payload() {
    let m = msg(idx::parse_images(&images_file(2, 28, 28, 784), "f"));
    assert_eq!(
        m,
        "f: truncated payload: header declares 1568 bytes of data, file has 784"
    );
    let mut l = labels_file(&[1, 2, 3]);
    l.pop();
    let m = msg(idx::parse_labels(&l, "g"));
    assert_eq!(
        m,
        "g: truncated payload: header declares 3 bytes of data, file has 2"
    );
}

#[test]
fn trailing_bytes() {
    let m = msg(idx::parse_images(&images_file(1, 28, 28, 790), "f"));
    assert_eq!(
        m,
        "f: 6 trailing bytes after the 784 bytes of data the header declares"
    );
    let mut l = labels_file(&[1, 2, 3]);
    l.push(0);
    let m = msg(idx::parse_labels(&l, "g"));
    assert!(m.starts_with("g: 1 trailing bytes"), "{m}");
}

#[test]
fn lying_header_does_not_allocate() {
    // 4 billion 28x28 images declared, 10 bytes present: rejected by
    // length before any allocation.
    let m = msg(idx::parse_images(&images_file(u32::MAX, 28, 28, 10), "f"));
    assert!(
        m.contains("truncated payload: header declares 3367254359280 bytes"),
        "{m}"
    );
    // A product that does not even fit in 64 bits.
    let m = msg(idx::parse_images(
        &images_file(u32::MAX, u32::MAX, u32::MAX, 0),
        "f",
    ));
    assert!(m.contains("too large to address"), "{m}");
    let mut l = 2049u32.to_be_bytes().to_vec();
    l.extend_from_slice(&u32::MAX.to_be_bytes());
    let m = msg(idx::parse_labels(&l, "g"));
    assert!(
        m.contains("truncated payload: header declares 4294967295 bytes"),
        "{m}"
    );
}

#[test]
fn label_out_of_range() {
    let m = msg(idx::parse_labels(&labels_file(&[3, 10, 200]), LABELS));
    assert_eq!(
        m,
        "t10k-labels-idx1-ubyte.gz: label 10 at index 1 is out of range (must be < 10)"
    );
}

#[test]
fn count_mismatch_between_images_and_labels() {
    let im = idx::parse_images(&images_file(2, 28, 28, 1568), IMAGES).unwrap();
    let m = msg(Dataset::from_idx(im, vec![1, 2, 3], IMAGES, LABELS));
    assert_eq!(
        m,
        "t10k-images-idx3-ubyte.gz has 2 images but t10k-labels-idx1-ubyte.gz has 3 labels"
    );
}

#[test]
fn wrong_dimensions() {
    let im = idx::parse_images(&images_file(2, 27, 28, 2 * 27 * 28), IMAGES).unwrap();
    let m = msg(Dataset::from_idx(im, vec![1, 2], IMAGES, LABELS));
    assert_eq!(
        m,
        "t10k-images-idx3-ubyte.gz: images are 27x28, expected 28x28"
    );
}

#[test]
fn inconsistent_hand_built_images_are_rejected() {
    let mut im = idx::parse_images(&images_file(2, 28, 28, 1568), "f").unwrap();
    im.pixels.truncate(10);
    assert!(msg(Dataset::from_idx(im, vec![1, 2], "f", "g")).contains("truncated payload"));
}

#[test]
fn corrupt_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let good = gz(&images_file(3, 28, 28, 3 * 784));
    // Flip a byte inside the deflate stream.
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x55;
    let p = write(dir.path(), IMAGES, &bad);
    let m = msg(idx::read_images(&p));
    assert!(
        m.starts_with(&format!("{}: corrupt gzip data", p.display())),
        "{m}"
    );
    // A damaged CRC alone is detected too.
    let mut crc = good.clone();
    let n = crc.len();
    crc[n - 6] ^= 1;
    let p = write(dir.path(), "crc.gz", &crc);
    assert!(msg(idx::read_images(&p)).contains("corrupt gzip data"));
    // A truncated download.
    let p = write(dir.path(), "cut.gz", &good[..good.len() - 20]);
    assert!(msg(idx::read_images(&p)).contains("corrupt gzip data"));
    // Just the magic bytes.
    let m = msg(idx::gunzip_if_gzip(&[0x1f, 0x8b], "two"));
    assert!(m.starts_with("two: corrupt gzip data"), "{m}");
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), IMAGES, &[]);
    let m = msg(idx::read_images(&p));
    assert_eq!(
        m,
        format!("{}: file is empty, expected an IDX image file", p.display())
    );
    let p = write(dir.path(), LABELS, &[]);
    assert!(msg(idx::read_labels(&p)).ends_with("file is empty, expected an IDX label file"));
    // An empty gzip stream decompresses to an empty file.
    let p = write(dir.path(), "empty.gz", &gz(&[]));
    assert!(msg(idx::read_labels(&p)).contains("file is empty"));
}

#[test]
fn missing_file_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nowhere").join(IMAGES);
    let m = msg(idx::read_images(&p));
    assert!(
        m.starts_with(&format!("{}: cannot read file:", p.display())),
        "{m}"
    );
    let m = msg(mnist::load_paths(&p, &p));
    assert!(m.contains(&p.display().to_string()), "{m}");
}

#[test]
fn special_files_are_refused_without_blocking_or_reading() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join(IMAGES);
    fifo(&pipe);
    let p = pipe.clone();
    let m = msg(within("reading a FIFO", move || idx::read_images(&p)));
    assert_eq!(
        m,
        format!(
            "{}: is a FIFO (named pipe), not a regular file",
            pipe.display()
        )
    );
    let m = msg(within("reading /dev/zero", || {
        idx::read_labels(Path::new("/dev/zero"))
    }));
    assert_eq!(m, "/dev/zero: is a character device, not a regular file");
    let m = msg(idx::read_labels(dir.path()));
    assert!(m.ends_with("is a directory, not a regular file"), "{m}");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    symlink_loop(&a, &b);
    let m = msg(idx::read_labels(&a));
    assert!(m.ends_with("is a symlink loop, not a regular file"), "{m}");
}

#[test]
fn gzip_of_another_file_is_refused_on_its_first_bytes() {
    // A wrong magic number, then more zeros than the decompression cap: refused as what it is
    // (not an image file), before the rest is inflated.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    use std::io::Write;
    e.write_all(b"PK\x03\x04").unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..=(idx::MAX_FILE_BYTES >> 20) {
        e.write_all(&zeros).unwrap();
    }
    let bomb = e.finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), IMAGES, &bomb);
    let start = std::time::Instant::now();
    let m = msg(idx::read_images(&p));
    assert!(
        m.starts_with(&format!("{}: bad magic number 1347093252", p.display())),
        "{m}"
    );
    assert!(
        start.elapsed() < std::time::Duration::from_millis(200),
        "took {:?}: the whole stream was inflated",
        start.elapsed()
    );
}

#[test]
fn gzip_is_detected_by_content_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let raw = images_file(1, 28, 28, 784);
    let a = write(dir.path(), "no-suffix", &gz(&raw));
    let b = write(dir.path(), "suffix-but-raw.gz", &raw);
    assert_eq!(idx::read_images(&a).unwrap(), idx::read_images(&b).unwrap());
}

#[test]
fn load_paths_scales_pixels_and_one_hot() {
    let dir = tempfile::tempdir().unwrap();
    let mut raw = images_file(2, 28, 28, 0);
    raw.extend(std::iter::repeat_n(0u8, 784));
    raw.extend(std::iter::repeat_n(255u8, 783));
    raw.push(51);
    let i = write(dir.path(), IMAGES, &gz(&raw));
    let l = write(dir.path(), "labels-raw", &labels_file(&[4, 9]));
    let ds = mnist::load_paths(&i, &l).unwrap();
    assert_eq!(ds.len(), 2);
    assert!(!ds.is_empty());
    assert_eq!(ds.images.shape(), &[2, 784]);
    assert_eq!(ds.images[(0, 0)], 0.0);
    assert_eq!(ds.images[(1, 0)], 1.0);
    assert!((ds.images[(1, 783)] - 0.2).abs() < 1e-6);
    assert_eq!(ds.labels, vec![4, 9]);
    let y = ds.one_hot();
    assert_eq!(y.shape(), &[2, 10]);
    assert_eq!(y[(0, 4)], 1.0);
    assert_eq!(y[(1, 9)], 1.0);
    assert_eq!(y.sum(), 2.0);
}

#[test]
fn swapped_files_are_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let images = write(dir.path(), IMAGES, &gz(&images_file(2, 28, 28, 2 * 784)));
    let labels = write(dir.path(), LABELS, &gz(&labels_file(&[7, 2])));
    assert_eq!(mnist::load_paths(&images, &labels).unwrap().len(), 2);
    let m = msg(mnist::load_paths(&labels, &images));
    assert!(
        m.starts_with(&format!("{}: bad magic number 2049", labels.display())),
        "{m}"
    );
}

#[test]
fn real_t10k_files() {
    let Some(dir) = shared_mnist(&[IMAGES, LABELS]) else {
        return;
    };
    let ds = mnist::load_paths(&dir.join(IMAGES), &dir.join(LABELS)).unwrap();
    assert_eq!(ds.len(), 10_000);
    assert_eq!(ds.images.shape(), &[10_000, 784]);
    assert_eq!(ds.labels[..5], [7, 2, 1, 0, 4]);
    assert!(ds.images.iter().all(|&p| (0.0..=1.0).contains(&p)));
    // The first test image is a 7: its corners are blank, it has ink.
    assert_eq!(ds.images[(0, 0)], 0.0);
    assert!(ds.images.row(0).sum() > 50.0);
    // Every class occurs; the known per-class count of the test set for 0.
    assert_eq!(ds.labels.iter().filter(|&&l| l == 0).count(), 980);
    assert_eq!(ds.one_hot().sum_axis(ndarray::Axis(0))[7], 1028.0);
}

#[test]
fn real_train_labels() {
    const TRAIN_LABELS: &str = "train-labels-idx1-ubyte.gz";
    let Some(dir) = shared_mnist(&[TRAIN_LABELS]) else {
        return;
    };
    let labels = idx::read_labels(&dir.join(TRAIN_LABELS)).unwrap();
    assert_eq!(labels.len(), 60_000);
    assert_eq!(labels[..3], [5, 0, 4]);
}
