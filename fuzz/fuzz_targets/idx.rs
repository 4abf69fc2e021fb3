//! Arbitrary bytes through every IDX entry point: the raw image and label
//! parsers, the gzip detection/decompression path, and the pairing into a
//! `Dataset`. None may panic, and a success must be self-consistent.
//!
//! Run from `fuzz/` (libFuzzer needs nightly flags):
//! `cargo +nightly fuzz run idx -- -max_total_time=600`
//! (or `RUSTC_BOOTSTRAP=1 cargo fuzz run idx` with a stable toolchain).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rbp_datasets::idx::{self, NUM_CLASSES};
use rbp_datasets::mnist::Dataset;

fuzz_target!(|data: &[u8]| {
    check(data);
    if let Ok(plain) = idx::gunzip_if_gzip(data, "fuzz.gz") {
        check(&plain);
    }
});

fn check(bytes: &[u8]) {
    let images = idx::parse_images(bytes, "fuzz-images");
    if let Ok(im) = &images {
        assert_eq!(im.pixels.len(), im.count * im.rows * im.cols);
        assert_eq!(bytes.len(), idx::IMAGES_HEADER_LEN + im.pixels.len());
    }
    let labels = idx::parse_labels(bytes, "fuzz-labels");
    if let Ok(l) = &labels {
        assert!(l.iter().all(|&x| usize::from(x) < NUM_CLASSES));
        assert_eq!(bytes.len(), idx::LABELS_HEADER_LEN + l.len());
    }
    if let Ok(im) = images {
        let n = im.count;
        if let Ok(ds) = Dataset::from_idx(im, vec![0; n.min(1 << 16)], "i", "l") {
            assert_eq!(ds.len(), ds.images.nrows());
            assert!(ds.images.iter().all(|p| (0.0..=1.0).contains(p)));
        }
    }
}
