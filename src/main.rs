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
        eprintln!("error: {err:#}");
        std::process::exit(2);
    }
    let result = match cli.command {
        Command::Toy(args) => run::run_toy(args),
        Command::Mnist(args) => run::run_mnist(args),
        Command::Reproduce(args) => run::run_reproduce(args),
        Command::Sweep(args) => run::run_sweep(args),
        Command::Resume(args) => run::run_resume(args),
        Command::Bench(args) => run::run_bench(args),
        Command::Landscape(args) => run::run_landscape(args),
    };
    if let Err(err) = result {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
