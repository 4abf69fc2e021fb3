//! What experiments leave behind: summaries, statistics, tables for the terminal, CSV and JSON
//! files, and plots.

pub mod csv;
pub mod files;
pub mod plot;
pub mod stats;
pub mod summary;
pub mod table;
