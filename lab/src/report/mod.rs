//! What experiments leave behind: summaries, tables for the terminal, CSV and JSON files, and
//! plots (the statistics they show come from [`crate::stats`]).

pub mod csv;
pub mod files;
pub mod format;
pub mod plot;
pub mod summary;
pub mod table;
