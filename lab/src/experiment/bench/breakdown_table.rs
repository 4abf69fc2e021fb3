//! The human-readable side of the phase breakdown: per case, each phase kind summed over layers
//! per optimizer; the GEMM backends side by side; and what measuring errors costs.

use super::phases::{BackendRow, EVAL_EXAMPLES, EvalRow, PhaseRow};
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
    for (arch, batch) in cases(&report.phases) {
        out.push_str(&case_table(&report.phases, arch, batch));
    }
    if !report.gemm_backends.is_empty() {
        out.push_str(&backends_table(&report.gemm_backends));
    }
    if !report.evaluation.is_empty() {
        out.push_str(&evaluation_table(&report.evaluation));
    }
    out
}

/// The cases in the order they were measured. The rows of one case are contiguous, so dropping
/// repeats of the previous case is enough and keeps the run's order.
fn cases(phases: &[PhaseRow]) -> Vec<(&str, usize)> {
    let mut cases: Vec<(&str, usize)> = phases.iter().map(|r| (r.arch.as_str(), r.batch)).collect();
    cases.dedup();
    cases
}

/// One case: a row per phase kind, a column per optimizer. Kinds, not layers, so that cases of
/// different depths read alike and the layers of one kind add up to what the step spends on it.
fn case_table(phases: &[PhaseRow], arch: &str, batch: usize) -> String {
    let mut out = String::new();
    let rows: Vec<&PhaseRow> = phases
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
            out.push_str(&kind_cell(&rows, o, kind));
        }
        out.push('\n');
    }
    out
}

/// One optimizer's time on one phase kind: time, share of the step and a rate. Elementwise work
/// is bound by memory, so its rate is ns per element; products by arithmetic, so theirs is
/// GFLOP/s (each layer's weighted by its time, which sums to the kind's FLOPs over its time).
fn kind_cell(rows: &[&PhaseRow], optimizer: &str, kind: &str) -> String {
    let of_kind: Vec<&&PhaseRow> = rows
        .iter()
        .filter(|r| r.optimizer == optimizer && r.phase == kind)
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
    format!(
        " {:>9} {:>5.1}% {:>12}",
        duration_ns(ns),
        100.0 * share,
        rate
    )
}

/// The products alone per backend, with the `RBP_GEMM` values to choose from: the backend is a
/// run-time choice, so the table says how to make it and, when one clearly wins, advises it.
fn backends_table(rows: &[BackendRow]) -> String {
    let mut out = String::new();
    let mut names: Vec<&str> = rows.iter().map(|r| r.backend).collect();
    names.sort_unstable();
    names.dedup();
    let _ = writeln!(
        out,
        "\nGEMM backends, the step's products alone (interleaved; x = time over the one in use, \
         listed first; choose with RBP_GEMM={}); back to back: the same products run again and \
         again with nothing between, caches warm, as the C yardstick gemm_sequence.c times them",
        names.join("|")
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:<17} {:>5} {:<15} {:>10} {:>6.2}x {:>10} back to back",
            r.arch,
            r.batch,
            r.backend,
            duration_ns(r.ns),
            r.vs_default,
            duration_ns(r.back_to_back_ns)
        );
    }
    if let Some(advice) = backend_advice(rows) {
        let _ = writeln!(out, "{advice}");
    }
    out
}

/// What measuring errors costs, as a share of a whole every-epoch run: a pass's time alone does
/// not say whether evaluating after every epoch is worth cutting.
fn evaluation_table(rows: &[EvalRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nMeasuring errors: one pass over {EVAL_EXAMPLES} examples; share of an every-epoch \
         run (training and test set measured after each epoch of {EVAL_EXAMPLES}/batch steps)"
    );
    for r in rows {
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
    use super::super::{Machine, Report};
    use super::*;

    /// A phase of `arch` at batch `batch`: elementwise when `elements` is given, else a product at
    /// `gflops`.
    fn phase(
        (arch, batch): (&str, usize),
        optimizer: &'static str,
        phase: &'static str,
        ns: f64,
        share: f64,
        work: (Option<usize>, Option<f64>),
    ) -> PhaseRow {
        PhaseRow {
            arch: arch.into(),
            batch,
            optimizer,
            phase,
            layer: None,
            ns,
            share,
            elements: work.0,
            ns_per_element: work.0.map(|n| ns / n as f64),
            gflops: work.1,
        }
    }

    fn backend((arch, batch): (&str, usize), backend: &'static str, ns: f64, x: f64) -> BackendRow {
        BackendRow {
            arch: arch.into(),
            batch,
            backend,
            ns,
            vs_default: x,
            back_to_back_ns: 0.9 * ns,
        }
    }

    fn evaluation((arch, batch): (&str, usize), ns: f64, share_of_run: f64) -> EvalRow {
        EvalRow {
            arch: arch.into(),
            batch,
            ns,
            ns_per_example: ns / EVAL_EXAMPLES as f64,
            share_of_run,
        }
    }

    /// A fixed report: two cases (two optimizers in the first, phases missing in both), the
    /// backends with advice, and the evaluation rows.
    fn fixed_report() -> Report {
        let a = ("4-3-2", 2);
        let b = ("4-2", 8);
        let el = |n| (Some(n), None);
        let gf = |g| (None, Some(g));
        Report {
            machine: Machine {
                cpu: "test cpu".into(),
                kernels: "scalar",
                isa: "scalar (no AVX2)",
                gemm: "matrixmultiply".into(),
                blas_threads: 1,
            },
            rows: vec![],
            phases: vec![
                phase(a, "sgd", "gather", 120.0, 0.1, el(12)),
                phase(a, "sgd", "forward product", 300.0, 0.25, gf(16.0)),
                phase(a, "sgd", "forward product", 180.0, 0.15, gf(6.67)),
                phase(a, "sgd", "activation", 60.0, 0.05, el(10)),
                phase(a, "sgd", "output error", 40.0, 0.0333, el(4)),
                phase(a, "sgd", "weight-gradient product", 250.0, 0.2083, gf(19.0)),
                phase(a, "sgd", "backprop product", 150.0, 0.125, gf(8.0)),
                phase(a, "sgd", "activation derivative", 30.0, 0.025, el(6)),
                phase(a, "sgd", "update", 70.0, 0.0583, el(23)),
                phase(a, "rbp", "gather", 125.0, 0.09, el(12)),
                phase(a, "rbp", "forward product", 2_500.0, 0.8, gf(2.0)),
                phase(a, "rbp", "update", 1_250_000.0, 0.11, el(23)),
                phase(b, "adam", "forward product", 999.0, 0.5, gf(6.4)),
                phase(b, "adam", "update", 1_001.0, 0.5, el(10)),
            ],
            gemm_backends: vec![
                backend(a, "openblas", 800.0, 1.0),
                backend(a, "matrixmultiply", 700.0, 0.875),
                backend(b, "openblas", 1_500_000.0, 1.0),
                backend(b, "matrixmultiply", 1_350_000.0, 0.9),
            ],
            evaluation: vec![
                evaluation(a, 45_000.0, 0.0712),
                evaluation(b, 2_000_000.0, 0.5),
            ],
        }
    }

    /// Pins the whole text, so a rewrite of `render` shows any change to it. A phase a case lacks
    /// prints as `-0 ns  -0.0%  NaN GF/s` (the sum of no `f64`s is `-0.0`); pinned as it is,
    /// not endorsed.
    #[test]
    fn the_breakdown_tables_render_exactly() {
        let expected = "\n\
            Where a step's time goes: 4-3-2, batch 2 (median per phase, layers summed)\n\
            phase                                              sgd                           rbp\n\
            gather                      120 ns  10.0%  10.00 ns/el    125 ns   9.0%  10.42 ns/el\n\
            forward product             480 ns  40.0%      13 GF/s    2.5 µs  80.0%       2 GF/s\n\
            activation                   60 ns   5.0%   6.00 ns/el     -0 ns  -0.0%     NaN GF/s\n\
            output error                 40 ns   3.3%  10.00 ns/el     -0 ns  -0.0%     NaN GF/s\n\
            weight-gradient product     250 ns  20.8%      19 GF/s     -0 ns  -0.0%     NaN GF/s\n\
            backprop product            150 ns  12.5%       8 GF/s     -0 ns  -0.0%     NaN GF/s\n\
            activation derivative        30 ns   2.5%   5.00 ns/el     -0 ns  -0.0%     NaN GF/s\n\
            update                       70 ns   5.8%   3.04 ns/el   1.25 ms  11.0% 54347.83 ns/el\n\
            \n\
            Where a step's time goes: 4-2, batch 8 (median per phase, layers summed)\n\
            phase                                             adam\n\
            gather                       -0 ns  -0.0%     NaN GF/s\n\
            forward product             999 ns  50.0%       6 GF/s\n\
            activation                   -0 ns  -0.0%     NaN GF/s\n\
            output error                 -0 ns  -0.0%     NaN GF/s\n\
            weight-gradient product      -0 ns  -0.0%     NaN GF/s\n\
            backprop product             -0 ns  -0.0%     NaN GF/s\n\
            activation derivative        -0 ns  -0.0%     NaN GF/s\n\
            update                      1.0 µs  50.0% 100.10 ns/el\n\
            \n\
            GEMM backends, the step's products alone (interleaved; x = time over the one in use, listed first; choose with RBP_GEMM=matrixmultiply|openblas); back to back: the same products run again and again with nothing between, caches warm, as the C yardstick gemm_sequence.c times them\n\
            4-3-2                 2 openblas            800 ns   1.00x     720 ns back to back\n\
            4-3-2                 2 matrixmultiply      700 ns   0.88x     630 ns back to back\n\
            4-2                   8 openblas           1.50 ms   1.00x    1.35 ms back to back\n\
            4-2                   8 matrixmultiply     1.35 ms   0.90x    1.22 ms back to back\n\
            matrixmultiply took at most 0.90x the time in every case here: RBP_GEMM=matrixmultiply would train faster\n\
            \n\
            Measuring errors: one pass over 1000 examples; share of an every-epoch run (training and test set measured after each epoch of 1000/batch steps)\n\
            4-3-2                 2    45.0 µs       45 ns/example    7.1% of the run\n\
            4-2                   8    2.00 ms     2000 ns/example   50.0% of the run\n";
        assert_eq!(render(&fixed_report()), expected);
    }

    fn row(backend: &'static str, vs_default: f64) -> BackendRow {
        BackendRow {
            arch: "1-1".into(),
            batch: 1,
            backend,
            ns: 1000.0 * vs_default,
            vs_default,
            back_to_back_ns: 900.0 * vs_default,
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
