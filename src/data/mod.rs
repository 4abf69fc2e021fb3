//! MNIST / Fashion-MNIST data: IDX parsing, locating and downloading files.

pub mod download;
pub mod idx;
pub mod mnist;
