pub mod plot;
pub mod stats;
