//! `rbp sweep --dry-run`: the run list and an estimate of its CPU time from a short calibration.

use super::{Sweep, SweepError, data};
use crate::report::format::{Num, seconds};
use crate::run::RunSpec;
use crate::run::pool::configure_blas;
use crate::run::runner::{self, TrainError};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt::Write as _;

/// The most runs [`DryRun::listing`] lists one by one; a longer list shows its first
/// `LISTED` runs and a count of the rest (a sweep may have a million runs).
pub const LISTED: usize = 100;

/// `--dry-run`: the run list and an estimate of its CPU time.
pub struct DryRun {
    /// `(cell, spec)` in run-list order.
    pub runs: Vec<(usize, RunSpec)>,
    /// Estimated CPU seconds of all runs (sum over runs of epochs x measured seconds per epoch).
    pub cpu_seconds: f64,
    /// How the estimate was calibrated, one line.
    pub calibration: String,
}

/// Lists the sweep's runs and estimates their CPU time from a short calibration: a 1-epoch and
/// a 5-epoch run of each distinct (network, training-set size, optimizer), timed here.
pub fn dry_run(sweep: &Sweep) -> Result<DryRun, SweepError> {
    configure_blas(1, 1);
    let runs = sweep.runs();
    let data = sweep.data.run_data();
    data.prepare(runs.iter().map(|(_, spec)| spec))
        .map_err(|e| SweepError::Data(data::explain(&e)))?;
    type Key = (String, usize, &'static str);
    let mut costs: HashMap<Key, (f64, f64)> = HashMap::new();
    let mut order: Vec<Key> = Vec::new();
    let mut cpu_seconds = 0.0;
    for (_, spec) in &runs {
        let key = (
            spec.arch.to_string(),
            spec.task.train_size(),
            spec.optimizer.name(),
        );
        let (fixed, per_epoch) = match costs.entry(key) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                let c = runner::calibrate(spec, &data).map_err(|e| match e {
                    TrainError::Data(d) => SweepError::Data(data::explain(&d)),
                    other => SweepError::Train(other.to_string()),
                })?;
                order.push(e.key().clone());
                *e.insert(c)
            }
        };
        cpu_seconds += fixed + per_epoch * spec.epochs as f64;
    }
    let calibration = format!(
        "calibration (1- and 5-epoch runs, single-threaded): {}",
        order
            .iter()
            .map(|key| {
                let (a, m, o) = key;
                let (fixed, per_epoch) = costs[key];
                format!(
                    "{a} M={m} {o}: {} + {} s/epoch",
                    seconds(fixed, 3),
                    Num::Fixed(4).show(per_epoch)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    );
    Ok(DryRun {
        runs,
        cpu_seconds,
        calibration,
    })
}

impl DryRun {
    /// What `rbp sweep --dry-run` prints: the counts, the first [`LISTED`] runs (index, id, cell,
    /// swept values, seed) and how many more there are, the calibration and the estimated time
    /// on `workers` workers.
    pub fn listing(&self, sweep: &Sweep, workers: usize) -> String {
        let mut out = format!(
            "{} runs ({} cells x {} seeds):\n",
            self.runs.len(),
            sweep.cells.len(),
            sweep.seeds.len()
        );
        for (i, (cell, run)) in self.runs.iter().enumerate().take(LISTED) {
            let values: Vec<String> = sweep
                .swept
                .iter()
                .map(|a| format!("{a}={}", sweep.cells[*cell].value(a)))
                .collect();
            let _ = writeln!(
                out,
                "{i:>5} {} cell {cell} [{}] seed {}",
                run.id(),
                values.join(", "),
                run.seed
            );
        }
        if let Some(rest) = self.runs.len().checked_sub(LISTED).filter(|&n| n > 0) {
            let _ = writeln!(
                out,
                "  ... and {rest} more runs, not listed (runs {LISTED}..{}, cells {} to {})",
                self.runs.len() - 1,
                self.runs[LISTED].0,
                self.runs[self.runs.len() - 1].0
            );
        }
        let _ = writeln!(out, "{}", self.calibration);
        let _ = writeln!(
            out,
            "estimated CPU time: {:.0} s (about {:.0} s of wall time on {workers} worker(s), more \
             on a busy machine)",
            self.cpu_seconds,
            self.cpu_seconds / workers.max(1) as f64
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(seeds: usize) -> String {
        let sweep = Sweep::parse(&format!(
            "seeds = {seeds}\nepochs = 2\nbatch = 10\n[grid]\narch = [\"6-5-3\"]\n\
             train_size = [40]\noptimizer = [\"sgd\", \"adam\"]\n"
        ))
        .unwrap();
        let dry = DryRun {
            runs: sweep.runs(),
            cpu_seconds: 10.0,
            calibration: "calibration: measured".into(),
        };
        dry.listing(&sweep, 2)
    }

    #[test]
    fn a_short_run_list_is_listed_whole() {
        let text = listing(3);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "6 runs (2 cells x 3 seeds):");
        assert_eq!(lines.len(), 1 + 6 + 2, "{text}");
        assert!(
            lines[6].starts_with("    5 ") && lines[6].ends_with("seed 2"),
            "{text}"
        );
        assert_eq!(lines[7], "calibration: measured");
        assert!(
            lines[8].starts_with("estimated CPU time: 10 s (about 5 s"),
            "{text}"
        );
    }

    #[test]
    fn a_long_run_list_shows_its_first_runs_and_counts_the_rest() {
        let text = listing(50_000);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "100000 runs (2 cells x 50000 seeds):");
        assert_eq!(lines.len(), 1 + LISTED + 1 + 2, "{text}");
        assert_eq!(
            lines[1 + LISTED],
            "  ... and 99900 more runs, not listed (runs 100..99999, cells 0 to 1)"
        );
    }
}
