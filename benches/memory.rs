//! Memory footprint per optimizer, printed as tables (no timing, so no criterion):
//!
//! 1. per case: optimizer state bytes (exact), state bytes per weight, and heap allocations and
//!    bytes per steady-state training step, seen by a counting global allocator;
//! 2. the peak resident memory (`VmHWM`) of a whole `rbp toy` run per optimizer, run as a child
//!    process, for the paper's toy net and for a wide one where the optimizer state is large
//!    enough to show.

use rbp_core::gemm;
use rbp_core::optim::OptimizerKind;
use rbp_lab::alloc_count::{CountingAlloc, Counts};
use rbp_lab::experiment::bench::{StepCell, default_cases};
use std::process::{Command, Stdio};
use std::time::Duration;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const WARMUP: usize = 3;
const STEPS: usize = 20;

fn footprint_table() {
    println!(
        "{:<17} {:>5} {:<5} {:>9} {:>12} {:>8} {:>12} {:>12}",
        "arch", "batch", "opt", "weights", "state B", "B/param", "allocs/step", "heap B/step"
    );
    for case in default_cases() {
        for kind in OptimizerKind::ALL {
            let mut cell = StepCell::new(&case.arch, case.batch, kind);
            for _ in 0..WARMUP {
                cell.prepare();
                cell.step();
            }
            let mut d = Counts::default();
            for _ in 0..STEPS {
                cell.prepare(); // restarts now and then, allocating: not a training step's doing
                let before = Counts::global();
                std::hint::black_box(cell.step());
                d += Counts::global().since(before);
            }
            let state = cell.optimizer().state_bytes();
            let n = cell.param_count();
            println!(
                "{:<17} {:>5} {:<5} {:>9} {:>12} {:>8.2} {:>12.1} {:>12.1}",
                case.arch.to_string(),
                case.batch,
                kind.name(),
                n,
                state,
                state as f64 / n as f64,
                d.allocs as f64 / STEPS as f64,
                d.bytes as f64 / STEPS as f64,
            );
        }
    }
}

/// Runs `rbp toy` with `args` for one optimizer and returns the child's peak resident set
/// (`VmHWM`, KiB), polled from `/proc/<pid>/status` until it exits.
///
/// Why not `wait4`'s `ru_maxrss`: the kernel carries the forked copy's high-water mark across
/// `exec`, so a child of this (large) bench process reports at least the bench's own peak. The
/// post-`exec` address space starts fresh, and `VmHWM` only grows, so the last reading before the
/// exit is the run's peak (to within the poll interval, spent printing the final table).
fn toy_peak_rss_kib(kind: OptimizerKind, args: &[&str]) -> std::io::Result<u64> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rbp"));
    // Choose the OpenBLAS core up front: `rbp` would otherwise restart itself with it.
    if let Some(core) = gemm::better_core() {
        cmd.env("OPENBLAS_CORETYPE", core);
    }
    let mut child = cmd
        .arg("toy")
        .args(args)
        .args(["--optimizer", kind.name(), "--seeds", "1", "--jobs", "1"])
        .arg("--quiet")
        .stdout(Stdio::null())
        .spawn()?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Some(kib) = std::fs::read_to_string(&status_file)
            .ok()
            .as_deref()
            .and_then(vm_hwm_kib)
        {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                return Err(std::io::Error::other(format!("rbp toy failed: {status}")));
            }
            return Ok(peak);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The `VmHWM:   12345 kB` line of a `/proc/<pid>/status` (absent once the process is a zombie).
fn vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

fn peak_rss_table() {
    let runs: [(&str, &[&str]); 2] = [
        ("100-400-200-10, 100 epochs", &[]),
        (
            "784-1024-1024-10, 2 epochs",
            &["--arch", "784-1024-1024-10", "--epochs", "2"],
        ),
    ];
    println!(
        "\n{:<28} {:<5} {:>14} {:>14}",
        "rbp toy (1 seed, 1 job)", "opt", "peak RSS", "vs sgd"
    );
    for (label, args) in runs {
        let mut sgd_kib = None;
        for kind in OptimizerKind::ALL {
            match toy_peak_rss_kib(kind, args) {
                Ok(kib) => {
                    let base = *sgd_kib.get_or_insert(kib) as f64;
                    println!(
                        "{label:<28} {:<5} {:>10.1} MiB {:>+10.1} MiB",
                        kind.name(),
                        kib as f64 / 1024.0,
                        (kib as f64 - base) / 1024.0
                    );
                }
                Err(e) => println!("{label:<28} {:<5} failed: {e}", kind.name()),
            }
        }
    }
}

fn main() {
    footprint_table();
    peak_rss_table();
}
