//! What experiments leave behind: summaries, tables for the terminal, CSV and JSON files.

pub mod files;
pub mod summary;
pub mod table;
