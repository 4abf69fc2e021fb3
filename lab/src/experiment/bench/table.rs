//! The human-readable side of `rbp bench`: the tables and the verdicts on the performance targets.

use super::{Report, Row};
use crate::report::format::duration_ns;
use std::fmt::Write as _;

fn bytes(b: usize) -> String {
    if b >= 1 << 20 {
        format!("{:.2} MiB", b as f64 / (1u64 << 20) as f64)
    } else if b >= 1 << 10 {
        format!("{:.1} KiB", b as f64 / 1024.0)
    } else {
        format!("{b} B")
    }
}

fn ratio(x: Option<f64>) -> String {
    x.map_or("-".into(), |r| format!("{r:.2}x"))
}

fn allocs(x: Option<f64>) -> String {
    x.map_or("n/a".into(), |a| format!("{a:.1}"))
}

/// The machine, then the tables: training steps per case, updates alone per size, each step's
/// phases, the GEMM backends and the cost of measuring errors.
pub fn render(report: &Report) -> String {
    let mut out = format!("{}\n\n", report.machine.line());
    out.push_str(&steps_and_updates(&report.rows));
    out.push_str(&super::breakdown_table::render(report));
    out
}

fn steps_and_updates(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<17} {:>5} {:<15} {:>10} {:>11} {:>10} {:>6} {:>10} {:>7} {:>7} {:>10} {:>7} {:>7}",
        "arch",
        "batch",
        "opt",
        "step",
        "examples/s",
        "GEMM",
        "GEMM%",
        "update",
        "upd/adam",
        "step/adam",
        "state",
        "B/param",
        "allocs"
    );
    for r in rows.iter().filter(|r| r.kind == "step") {
        let _ = writeln!(
            out,
            "{:<17} {:>5} {:<15} {:>10} {:>11.0} {:>10} {:>5.0}% {:>10} {:>8} {:>9} {:>10} {:>7.1} {:>7}",
            r.arch,
            r.batch,
            r.optimizer,
            duration_ns(r.step_ns.unwrap_or(f64::NAN)),
            r.examples_per_s.unwrap_or(f64::NAN),
            duration_ns(r.gemm_ns.unwrap_or(f64::NAN)),
            100.0 * r.gemm_share.unwrap_or(f64::NAN),
            duration_ns(r.update_ns),
            ratio(r.update_vs_adam),
            ratio(r.step_vs_adam),
            bytes(r.state_bytes),
            r.bytes_per_param,
            allocs(r.allocs_per_step),
        );
    }
    let updates: Vec<&Row> = rows.iter().filter(|r| r.kind == "update").collect();
    if !updates.is_empty() {
        let _ = writeln!(
            out,
            "\n{:<17} {:<15} {:>10} {:>8} {:>10} {:>7} {:>7}",
            "update alone", "opt", "update", "upd/adam", "state", "B/param", "allocs"
        );
        for r in updates {
            let _ = writeln!(
                out,
                "{:<17} {:<15} {:>10} {:>8} {:>10} {:>7.1} {:>7}",
                format!("{} weights", r.params),
                r.optimizer,
                duration_ns(r.update_ns),
                ratio(r.update_vs_adam),
                bytes(r.state_bytes),
                r.bytes_per_param,
                allocs(r.allocs_per_step),
            );
        }
    }
    let _ = writeln!(
        out,
        "\nstep, GEMM, update: medians; GEMM = the step's matrix products alone; allocs = heap \
         allocations per step (per update below)"
    );
    out
}

/// One performance target and how this run did against it. `met` is `None` when the run lacks
/// what the target needs (an optimizer or case left out, allocations not counted).
#[derive(Clone, Debug)]
pub struct Verdict {
    pub target: String,
    pub measured: String,
    pub met: Option<bool>,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let met = match self.met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "not measured",
        };
        write!(f, "{:<62} {:<40} {met}", self.target, self.measured)
    }
}

/// The step-over-GEMM bound of each optimizer with a target.
const STEP_OVER_GEMM_BOUNDS: [(&str, f64); 3] = [("sgd", 1.10), ("rbp", 1.10), ("adam", 1.15)];

fn step_over_gemm(r: &Row) -> f64 {
    1.0 / r.gemm_share.unwrap_or(f64::NAN)
}

/// The performance targets: R-BackProp's update at most 0.75x Adam's (at 122k and 4M weights), a
/// step at most 1.10x its own GEMM time for SGD and R-BackProp and 1.15x for Adam (toy and MNIST
/// nets at batch 100), and no allocation in any steady-state step.
pub fn verdicts(rows: &[Row]) -> Vec<Verdict> {
    let mut out = Vec::new();
    for n in super::UPDATE_SIZES {
        let r = rows
            .iter()
            .find(|r| r.kind == "update" && r.params == n && r.optimizer == "rbp");
        let v = r.and_then(|r| r.update_vs_adam);
        out.push(Verdict {
            target: format!("rbp update <= 0.75x adam update, {n} weights"),
            // Three decimals: this ratio sits near its bound (20 / 28 = 0.714 bytes moved), and a
            // rounded "0.75x" next to "MISSED" would read as a contradiction.
            measured: v.map_or("-".into(), |r| format!("{r:.3}x")),
            met: v.map(|v| v <= 0.75),
        });
    }
    for arch in ["100-400-200-10", "784-100-200-10"] {
        let cells: Vec<&Row> = rows
            .iter()
            .filter(|r| r.kind == "step" && r.arch == arch && r.batch == 100)
            .filter(|r| STEP_OVER_GEMM_BOUNDS.iter().any(|b| b.0 == r.optimizer))
            .collect();
        let measured: Vec<String> = cells
            .iter()
            .map(|r| format!("{} {:.3}x", r.optimizer, step_over_gemm(r)))
            .collect();
        out.push(Verdict {
            target: format!("step <= 1.10x GEMM (sgd, rbp), 1.15x (adam), {arch} b100"),
            measured: measured.join(", "),
            met: (!cells.is_empty()).then(|| {
                cells.iter().all(|r| {
                    let bound = STEP_OVER_GEMM_BOUNDS
                        .iter()
                        .find(|b| b.0 == r.optimizer)
                        .map_or(f64::INFINITY, |b| b.1);
                    step_over_gemm(r) <= bound
                })
            }),
        });
    }
    let steps: Vec<&Row> = rows.iter().filter(|r| r.kind == "step").collect();
    let counted: Option<Vec<f64>> = steps.iter().map(|r| r.allocs_per_step).collect();
    out.push(Verdict {
        target: "0 allocations per steady-state step".into(),
        measured: counted.as_ref().map_or("not counted".into(), |c| {
            format!(
                "max {:.1} over {} cells",
                c.iter().copied().fold(0.0, f64::max),
                c.len()
            )
        }),
        met: counted
            .filter(|c| !c.is_empty())
            .map(|c| c.iter().all(|&a| a == 0.0)),
    });
    out
}
