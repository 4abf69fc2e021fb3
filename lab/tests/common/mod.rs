//! Small IDX files built in memory, for tests that need no real MNIST.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;

/// An image file header declaring `count` images of `rows`×`cols`,
/// followed by `payload` bytes of a recognisable pattern.
pub fn images_file(count: u32, rows: u32, cols: u32, payload: usize) -> Vec<u8> {
    let mut b = Vec::new();
    for w in [2051, count, rows, cols] {
        b.extend_from_slice(&w.to_be_bytes());
    }
    b.extend((0..payload).map(|i| (i % 256) as u8));
    b
}

/// A label file holding `labels`.
pub fn labels_file(labels: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&2049u32.to_be_bytes());
    b.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    b.extend_from_slice(labels);
    b
}

/// `bytes` gzipped.
pub fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}
