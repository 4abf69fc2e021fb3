//! The `rbp` command line: parse, then hand each command to its runner in [`cli::run`].

mod cli;

use clap::Parser;
use cli::args::{Cli, Command};
use cli::run;

/// Counts heap allocations so `rbp bench` can show allocations per step; an atomic increment per
/// allocation costs nothing measurable next to the allocation.
#[global_allocator]
static ALLOC: rbp_lab::alloc_count::CountingAlloc = rbp_lab::alloc_count::CountingAlloc;

/// `RBP_KERNELS=v3` (or `scalar`) caps the elementwise kernels' instruction set: the AVX2 path
/// can then be measured on an AVX-512 machine.
fn configure_kernels() -> anyhow::Result<()> {
    let Some(value) = std::env::var_os("RBP_KERNELS") else {
        return Ok(());
    };
    let value = value.to_string_lossy();
    let level = rbp_core::KernelLevel::from_name(&value).ok_or_else(|| {
        anyhow::anyhow!(
            "RBP_KERNELS={value}: expected `scalar`, `v3` (AVX2 + FMA) or `v4` (AVX-512)"
        )
    })?;
    rbp_core::cap_kernel_level(level).map_err(|e| anyhow::anyhow!("RBP_KERNELS={value}: {e}"))
}

fn main() {
    let cli = Cli::parse();
    rbp_core::gemm::restart_with_fast_core();
    if let Err(err) = configure_kernels() {
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
