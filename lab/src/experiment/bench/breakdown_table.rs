//! The human-readable side of the phase breakdown: per case, each phase kind summed over layers
//! per optimizer; the GEMM backends side by side; and what measuring errors costs.

use super::phases::{BackendRow, EVAL_EXAMPLES, PhaseRow};
use crate::report::format::duration_ns;
use std::fmt::Write as _;

/// The phase kinds in the order a step runs them.
const KINDS: [&str; 8] = [
    "gather",
    "forward product",
    "activation",
    "output error",
    "weight-gradient product",
    "backprop product",
    "activation derivative",
    "update",
];

/// Per case: each phase kind summed over layers, per optimizer (time, share of the step, ns per
/// element for elementwise work, GFLOP/s for products); then the backends and evaluation.
pub fn render(report: &super::Report) -> String {
    let mut out = String::new();
    let mut cases: Vec<(&str, usize)> = report
        .phases
        .iter()
        .map(|r| (r.arch.as_str(), r.batch))
        .collect();
    cases.dedup();
    for (arch, batch) in cases {
        let rows: Vec<&PhaseRow> = report
            .phases
            .iter()
            .filter(|r| r.arch == arch && r.batch == batch)
            .collect();
        let mut optimizers: Vec<&str> = rows.iter().map(|r| r.optimizer).collect();
        optimizers.dedup();
        let _ = write!(
            out,
            "\nWhere a step's time goes: {arch}, batch {batch} (median per phase, layers summed)\n{:<24}",
            "phase"
        );
        for o in &optimizers {
            let _ = write!(out, " {o:>29}");
        }
        out.push('\n');
        for kind in KINDS {
            let _ = write!(out, "{kind:<24}");
            for o in &optimizers {
                let of_kind: Vec<&&PhaseRow> = rows
                    .iter()
                    .filter(|r| r.optimizer == *o && r.phase == kind)
                    .collect();
                let ns: f64 = of_kind.iter().map(|r| r.ns).sum();
                let share: f64 = of_kind.iter().map(|r| r.share).sum();
                let elements: usize = of_kind.iter().filter_map(|r| r.elements).sum();
                let rate = if elements > 0 {
                    format!("{:.2} ns/el", ns / elements as f64)
                } else {
                    let flops: f64 = of_kind
                        .iter()
                        .filter_map(|r| r.gflops.map(|g| g * r.ns))
                        .sum();
                    format!("{:.0} GF/s", flops / ns)
                };
                let _ = write!(
                    out,
                    " {:>9} {:>5.1}% {:>12}",
                    duration_ns(ns),
                    100.0 * share,
                    rate
                );
            }
            out.push('\n');
        }
    }
    if !report.gemm_backends.is_empty() {
        let mut names: Vec<&str> = report.gemm_backends.iter().map(|r| r.backend).collect();
        names.sort_unstable();
        names.dedup();
        let _ = writeln!(
            out,
            "\nGEMM backends, the step's products alone (interleaved; x = time over the one in use, \
             listed first; choose with RBP_GEMM={})",
            names.join("|")
        );
        for r in &report.gemm_backends {
            let _ = writeln!(
                out,
                "{:<17} {:>5} {:<15} {:>10} {:>6.2}x",
                r.arch,
                r.batch,
                r.backend,
                duration_ns(r.ns),
                r.vs_default
            );
        }
        if let Some(advice) = backend_advice(&report.gemm_backends) {
            let _ = writeln!(out, "{advice}");
        }
    }
    if !report.evaluation.is_empty() {
        let _ = writeln!(
            out,
            "\nMeasuring errors: one pass over {EVAL_EXAMPLES} examples; share of an every-epoch \
             run (training and test set measured after each epoch of {EVAL_EXAMPLES}/batch steps)"
        );
        for r in &report.evaluation {
            let _ = writeln!(
                out,
                "{:<17} {:>5} {:>10} {:>8.0} ns/example {:>6.1}% of the run",
                r.arch,
                r.batch,
                duration_ns(r.ns),
                r.ns_per_example,
                100.0 * r.share_of_run
            );
        }
    }
    out
}

/// A line recommending another backend when it took at most 0.95x the time of the one in use in
/// every case measured: a clear win, not noise.
fn backend_advice(rows: &[BackendRow]) -> Option<String> {
    let in_use = rows.first()?.backend;
    let others: Vec<&BackendRow> = rows.iter().filter(|r| r.backend != in_use).collect();
    let first = others.first()?;
    let wins = others
        .iter()
        .all(|r| r.backend == first.backend && r.vs_default <= 0.95);
    wins.then(|| {
        let worst = others.iter().map(|r| r.vs_default).fold(0.0, f64::max);
        format!(
            "{} took at most {worst:.2}x the time in every case here: RBP_GEMM={} would train faster",
            first.backend, first.backend
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(backend: &'static str, vs_default: f64) -> BackendRow {
        BackendRow {
            arch: "1-1".into(),
            batch: 1,
            backend,
            ns: 1000.0 * vs_default,
            vs_default,
        }
    }

    #[test]
    fn another_backend_is_recommended_only_when_it_wins_every_case_clearly() {
        let clear = [
            row("openblas", 1.0),
            row("matrixmultiply", 0.68),
            row("openblas", 1.0),
            row("matrixmultiply", 0.89),
        ];
        let advice = backend_advice(&clear).unwrap();
        assert!(advice.contains("RBP_GEMM=matrixmultiply") && advice.contains("0.89x"));
        let mixed = [
            row("openblas", 1.0),
            row("matrixmultiply", 0.68),
            row("openblas", 1.0),
            row("matrixmultiply", 0.97),
        ];
        assert_eq!(backend_advice(&mixed), None);
        assert_eq!(backend_advice(&[row("matrixmultiply", 1.0)]), None);
        assert_eq!(backend_advice(&[]), None);
    }
}
