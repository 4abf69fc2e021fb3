//! The `rbp` command line: parse, then hand each command to its runner in [`cli::run`].

mod cli;
mod relaunch;

use clap::Parser;
use cli::args::{Cli, Command};
use cli::run;

/// Counts heap allocations so `rbp bench` can show allocations per step; an atomic increment per
/// allocation costs nothing measurable next to the allocation.
#[global_allocator]
static ALLOC: rbp_lab::alloc_count::CountingAlloc = rbp_lab::alloc_count::CountingAlloc;

fn main() {
    let cli = Cli::parse();
    relaunch::restart_with_fast_core();
    if let Err(err) = rbp_lab::environment::configure() {
        eprintln!("error: {}", message(&err.into()));
        std::process::exit(2);
    }
    let result = match cli.command {
        Command::Toy(args) => run::run_toy(args),
        Command::Mnist(args) => run::run_mnist(args),
        Command::Reproduce(args) => run::run_reproduce(args),
        Command::Sweep(args) => run::run_sweep(args),
        Command::Tune(args) => run::run_tune(args),
        Command::Resume(args) => run::run_resume(args),
        Command::Bench(args) => run::run_bench(args),
        Command::Landscape(args) => run::run_landscape(args),
    };
    if let Err(err) = result {
        eprintln!("error: {}", message(&err));
        std::process::exit(1);
    }
}

/// `err` and its causes on one line, each said once: a cause whose text the message already
/// holds (an error type that writes `"...: {source}"` and also reports that source as its
/// cause) is not repeated.
fn message(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let cause = cause.to_string();
        if text.contains(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::message;
    use std::io;

    /// Writes its cause into its message and reports it as its cause too.
    #[derive(Debug)]
    struct Both {
        source: io::Error,
    }

    impl std::fmt::Display for Both {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "cannot write /x: {}", self.source)
        }
    }

    impl std::error::Error for Both {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.source)
        }
    }

    #[test]
    fn each_cause_is_printed_once() {
        let full = || io::Error::from_raw_os_error(28);
        let err = anyhow::Error::new(Both { source: full() }).context("saving the run");
        let m = message(&err);
        assert_eq!(m.matches("No space left on device").count(), 1, "{m}");
        assert!(
            m.starts_with("saving the run: cannot write /x: No space left"),
            "{m}"
        );
        // Causes not already in the message are all there, in order.
        let chained = anyhow::Error::new(full()).context("cannot write /y");
        assert_eq!(message(&chained), format!("cannot write /y: {}", full()));
    }
}
