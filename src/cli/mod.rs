//! The `rbp` binary's command line: argument definitions and the runner of each command.

pub mod args;
pub mod run;
