//! MNIST and Fashion-MNIST from IDX files: parsing, locating and downloading them.

pub mod download;
pub mod idx;
pub mod mnist;
pub mod test_support;
