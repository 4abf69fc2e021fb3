//! Fig. 2: test and training error of R-BackProp against BackProp (a) and Adam (b) at the
//! paper's `M`.

use super::shape::Curve;
use super::{
    ERROR, FigureOutput, Lookup, TOY_ERROR_AXIS, finals, mean_rows, save_plot, save_text,
    seed_runs, series, series_of, train_finals, two_summaries,
};
use crate::experiment::RunResult;
use crate::experiment::reproduce::{ReproduceConfig, ReproduceError};
use crate::paper::{Evidence, Scale, judge::Finding, protocol};
use crate::report::csv::Table;
use crate::report::files::{self, OutDir};
use crate::report::format::Num;
use crate::report::plot::{PlotSpec, Series};
use crate::stats;
use rbp_core::net::Arch;
use rbp_core::optim::OptimizerKind;
use std::path::PathBuf;

/// Fig. 2: measured from the runs `get` finds (and Adam's runs at R-BackProp's `eta0`,
/// `large_eta`, seed by seed), then written to `out`.
pub fn fig2(
    config: &ReproduceConfig,
    out: &OutDir,
    get: &Lookup<'_>,
    large_eta: &[&RunResult],
    files: &mut Vec<PathBuf>,
) -> Result<FigureOutput, ReproduceError> {
    Fig2::measure(config, get, large_eta).write(out, files)
}

/// One optimizer's curves in Fig. 2: mean ± std over its seeds.
#[derive(Clone, Debug)]
pub struct Curves {
    pub kind: OptimizerKind,
    pub test: Series,
    pub train: Series,
    /// Seeds averaged.
    pub n: usize,
}

impl Curves {
    /// The training curve, or else the test curve.
    fn error(&self, train: bool) -> &Series {
        if train { &self.train } else { &self.test }
    }
}

/// What Fig. 2 shows and claims.
#[derive(Clone, Debug)]
pub struct Fig2 {
    /// The setting, for titles: network, `M`, batch, epochs, seeds.
    pub arch: Arch,
    pub train_size: usize,
    pub batch: usize,
    pub epochs: usize,
    pub seeds: u64,
    /// Every run: BackProp's seeds, then R-BackProp's, then Adam's.
    pub runs: Vec<RunResult>,
    /// BackProp, R-BackProp, Adam (the paper's order).
    pub curves: [Curves; 3],
    /// `fig2a-*` and `fig2b-*`, in the claim table's order.
    pub findings: Vec<Finding>,
}

/// The panels: `(stem, panel, other optimizer, its index in [`Fig2::curves`], training error?)`.
const PANELS: [(&str, &str, &str, usize, bool); 4] = [
    ("fig2a", "a", "BackProp", 0, false),
    ("fig2b", "b", "Adam", 2, false),
    ("fig2a_train", "a", "BackProp", 0, true),
    ("fig2b_train", "b", "Adam", 2, true),
];

impl Fig2 {
    /// The curves and claims of the three optimizers' runs at `config`'s `M` and default point,
    /// with Adam's runs at R-BackProp's `eta0` (`large_eta`) for `fig2b-adam-large-eta`.
    pub fn measure(config: &ReproduceConfig, get: &Lookup<'_>, large_eta: &[&RunResult]) -> Fig2 {
        let point = config.default_point();
        let runs = OptimizerKind::PAPER
            .map(|kind| seed_runs(get, config.seeds, config.train_size, kind, point));
        let [sgd, rbp, adam] = &runs;
        Fig2 {
            arch: config.arch.clone(),
            train_size: config.train_size,
            batch: config.batch,
            epochs: config.epochs,
            seeds: config.seeds,
            runs: runs.iter().flatten().map(|r| (*r).clone()).collect(),
            curves: std::array::from_fn(|k| curves(OptimizerKind::PAPER[k], &runs[k])),
            findings: findings(config.epochs, [sgd, rbp, adam], large_eta),
        }
    }

    /// Writes `fig2_curves.csv`, `fig2_mean.csv` and the four panels; returns the report's
    /// section.
    pub fn write(
        &self,
        out: &OutDir,
        files: &mut Vec<PathBuf>,
    ) -> Result<FigureOutput, ReproduceError> {
        let curves = files::curves_csv(&self.runs, false);
        save_text(out, "fig2_curves.csv", &curves, files)?;
        save_text(out, "fig2_mean.csv", &self.mean_csv(), files)?;
        for (stem, panel, other, k, train) in PANELS {
            let pair = [self.curves[k].error(train), self.curves[1].error(train)].map(Clone::clone);
            let spec = self.panel_spec(panel, other, which(train));
            save_plot(out, stem, &spec, &pair, files)?;
        }
        Ok(self.output())
    }

    /// `fig2_mean.csv`: per optimizer and epoch, mean and std of the test and training errors.
    fn mean_csv(&self) -> String {
        let mut csv = Table::new(&[
            "optimizer",
            "epoch",
            "mean_test_error",
            "std_test_error",
            "n",
            "mean_train_error",
            "std_train_error",
        ]);
        for c in &self.curves {
            mean_rows(&mut csv, &[&c.kind], &c.test, Some(&c.train), c.n);
        }
        csv.finish()
    }

    /// The plot of one panel: R-BackProp against `other`, `which` error.
    fn panel_spec(&self, panel: &str, other: &str, which: &str) -> PlotSpec {
        PlotSpec {
            title: format!(
                "Fig. 2{panel}: R-BackProp vs {other}, {which} error (M = {}, {} seeds)",
                self.train_size, self.seeds
            ),
            x_label: "epoch".into(),
            y_label: format!("{which} error {TOY_ERROR_AXIS}"),
            log_y: true,
            ..PlotSpec::default()
        }
    }

    /// The report's section: title, one caption per panel, the claims.
    fn output(&self) -> FigureOutput {
        let plots = PANELS
            .iter()
            .map(|&(stem, panel, other, _, train)| {
                let which = which(train);
                let caption = format!(
                    "({panel}) R-BackProp against {other}, {which} error; mean ± 1 std over seeds"
                );
                (caption, stem.to_string())
            })
            .collect();
        FigureOutput {
            id: "Fig. 2".into(),
            title: format!(
                "Test and training error, {} (M = {}, batch {}, {} epochs)",
                self.arch, self.train_size, self.batch, self.epochs
            ),
            plots,
            findings: self.findings.clone(),
            notes: vec![],
        }
    }
}

/// Which error a panel shows, as its title says it.
fn which(train: bool) -> &'static str {
    if train { "training" } else { "test" }
}

/// The test and training curves of `kind`'s `runs`.
fn curves(kind: OptimizerKind, runs: &[&RunResult]) -> Curves {
    Curves {
        kind,
        test: series(kind.paper_name(), runs),
        train: series_of(kind.paper_name(), runs, |e| e.train_error),
        n: runs.len(),
    }
}

/// Fig. 2's claims from each optimizer's runs (`[BackProp, R-BackProp, Adam]`, seeds in order)
/// and Adam's runs at R-BackProp's `eta0`, in the claim table's order.
fn findings(epochs: usize, runs: [&[&RunResult]; 3], large_eta: &[&RunResult]) -> Vec<Finding> {
    let [sgd, rbp, adam] = runs;
    let (fr, fs, fa) = (finals(rbp), finals(sgd), finals(adam));
    let (tr, ts, ta) = (train_finals(rbp), train_finals(sgd), train_finals(adam));
    vec![
        against("fig2a-test", &fr, "BackProp", &fs),
        against("fig2a-train", &tr, "BackProp", &ts),
        peak(epochs, rbp, sgd),
        fluctuations(rbp, sgd),
        against("fig2b-test", &fr, "Adam", &fa),
        train_higher_test_lower((&tr, &fr), (&ta, &fa)),
        adam_early_fast(epochs, rbp, adam),
        adam_slows(epochs, adam),
        late(epochs, rbp, adam),
        adam_large_eta(&finals(large_eta), &fa),
    ]
}

/// Claim `id`: R-BackProp's final errors `rbp` against `other`'s, paired by seed, as relative
/// changes.
fn against(id: &str, rbp: &[f64], name: &str, other: &[f64]) -> Finding {
    Finding::new(
        id,
        relative(rbp, other),
        two_summaries("R-BackProp", rbp, name, other),
    )
}

/// `a` against `b`, paired by seed, as a relative change.
fn relative(a: &[f64], b: &[f64]) -> Evidence {
    Evidence::Paired {
        a: a.to_vec(),
        b: b.to_vec(),
        scale: Scale::Relative,
    }
}

/// The training and the test curve of a run.
fn both(run: &RunResult) -> [Curve; 2] {
    [
        Curve::of(run, |e| e.train_error),
        Curve::of(run, |e| e.test_error),
    ]
}

/// `fig2a-peak`: the seeds where both R-BackProp curves have a peak with its top in the
/// protocol's intermediate window and neither BackProp curve has one there.
fn peak(epochs: usize, rbp: &[&RunResult], sgd: &[&RunResult]) -> Finding {
    let window = protocol::PEAK_WINDOW.scaled(epochs);
    let in_window = |c: &Curve| c.peak_in(protocol::PEAK_RISE, window);
    let yes = rbp
        .iter()
        .zip(sgd)
        .filter(|(r, s)| both(r).iter().all(in_window) && !both(s).iter().any(in_window))
        .count();
    let backprop = sgd.iter().filter(|s| both(s).iter().any(in_window)).count();
    Finding::new(
        "fig2a-peak",
        Evidence::Signs {
            yes,
            no: rbp.len() - yes,
        },
        format!(
            "peak in epochs {}-{} in both R-BackProp curves and in no BackProp curve: {yes} of {} seeds (BackProp has one in {backprop})",
            window.0,
            window.1,
            rbp.len()
        ),
    )
}

/// `fig2a-fluctuations`: the seeds where each R-BackProp curve has at least two rise-and-fall
/// episodes (the peak counts as one) and more than BackProp's same curve.
fn fluctuations(rbp: &[&RunResult], sgd: &[&RunResult]) -> Finding {
    let count = |c: &Curve| c.episodes(protocol::FLUCTUATION_RISE).len();
    let counts: Vec<([usize; 2], [usize; 2])> = rbp
        .iter()
        .zip(sgd)
        .map(|(r, s)| (both(r).each_ref().map(count), both(s).each_ref().map(count)))
        .collect();
    let yes = counts
        .iter()
        .filter(|(r, s)| (0..2).all(|k| r[k] >= 2 && r[k] > s[k]))
        .count();
    let shown: Vec<String> = counts
        .iter()
        .map(|(r, s)| format!("{}/{} vs {}/{}", r[0], r[1], s[0], s[1]))
        .collect();
    Finding::new(
        "fig2a-fluctuations",
        Evidence::Signs {
            yes,
            no: rbp.len() - yes,
        },
        format!(
            "episodes ≥ {} (train/test), R-BackProp vs BackProp per seed: {}",
            Num::Percent(0).show(protocol::FLUCTUATION_RISE),
            shown.join(", ")
        ),
    )
}

/// `fig2b-train`: R-BackProp's training error above Adam's *and* its test error below, both
/// tested as "higher" (Adam's test error against R-BackProp's), so one direction serves both.
fn train_higher_test_lower(rbp: (&[f64], &[f64]), adam: (&[f64], &[f64])) -> Finding {
    let ((tr, fr), (ta, fa)) = (rbp, adam);
    Finding::new(
        "fig2b-train",
        Evidence::All(vec![
            (
                "R-BackProp's training error vs Adam's".into(),
                relative(tr, ta),
            ),
            ("Adam's test error vs R-BackProp's".into(), relative(fa, fr)),
        ]),
        format!(
            "training: {}<br>test: {}",
            two_summaries("R-BackProp", tr, "Adam", ta),
            two_summaries("R-BackProp", fr, "Adam", fa)
        ),
    )
}

/// Per-seed log rates of both errors of `runs` between `from` and `to`: `[train, test]`.
fn rates(runs: &[&RunResult], from: usize, to: usize) -> [Vec<f64>; 2] {
    std::array::from_fn(|k| runs.iter().map(|r| both(r)[k].log_rate(from, to)).collect())
}

/// An all-must-hold claim over both errors: `a[k]` against `b[k]`, paired by seed.
fn both_errors(a: [Vec<f64>; 2], b: [Vec<f64>; 2]) -> Evidence {
    let parts = ["training error", "test error"]
        .into_iter()
        .zip(a.into_iter().zip(b))
        .map(|(label, (a, b))| {
            let scale = Scale::Absolute;
            (label.to_string(), Evidence::Paired { a, b, scale })
        })
        .collect();
    Evidence::All(parts)
}

/// `fig2b-adam-early-fast`: the fall of both errors from epoch 0 to the protocol's early epoch,
/// Adam against R-BackProp.
fn adam_early_fast(epochs: usize, rbp: &[&RunResult], adam: &[&RunResult]) -> Finding {
    let until = protocol::scaled_epoch(protocol::EARLY_UNTIL, epochs);
    Finding::new(
        "fig2b-adam-early-fast",
        both_errors(rates(adam, 0, until), rates(rbp, 0, until)),
        format!("ln change per epoch over epochs 0-{until}, Adam vs R-BackProp"),
    )
}

/// `fig2b-adam-slows`: Adam's per-epoch log change of both errors after the protocol's window
/// against before it.
fn adam_slows(epochs: usize, adam: &[&RunResult]) -> Finding {
    let (from, to) = protocol::ADAM_SLOWS_WINDOW.scaled(epochs);
    let (after, before) = (rates(adam, to, epochs), rates(adam, 0, from));
    let ours = format!(
        "Adam's test error, ln change per epoch: {} after epoch {to}, {} before epoch {from}",
        ERROR.show(stats::mean(&after[1])),
        ERROR.show(stats::mean(&before[1]))
    );
    Finding::new("fig2b-adam-slows", both_errors(after, before), ours)
}

/// `fig2b-late`: how far both errors still fall from the paper's epoch 40 to the end,
/// R-BackProp against Adam, as `ln(final / then)`.
fn late(epochs: usize, rbp: &[&RunResult], adam: &[&RunResult]) -> Finding {
    let from = protocol::scaled_epoch(protocol::LATE_FROM, epochs);
    let total = |runs| {
        rates(runs, from, epochs).map(|v| v.iter().map(|r| r * (epochs - from) as f64).collect())
    };
    let (late_rbp, late_adam): ([Vec<f64>; 2], [Vec<f64>; 2]) = (total(rbp), total(adam));
    let ours = format!(
        "test, ln(final / epoch {from}): {}",
        two_summaries("R-BackProp", &late_rbp[1], "Adam", &late_adam[1])
    );
    Finding::new("fig2b-late", both_errors(late_rbp, late_adam), ours)
}

/// `fig2b-adam-large-eta`: Adam's final test errors at R-BackProp's `eta0` against its own.
fn adam_large_eta(large: &[f64], adam: &[f64]) -> Finding {
    let name = format!("Adam η0 = {}", protocol::ADAM_LARGE_LR0);
    Finding::new(
        "fig2b-adam-large-eta",
        relative(large, adam),
        two_summaries(&name, large, "Adam η0 = 0.01", adam),
    )
}
