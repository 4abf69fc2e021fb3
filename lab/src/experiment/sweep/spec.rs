//! `SPEC.toml` of `rbp sweep`: the grid's lists of settings, read and checked into cells.
//!
//! ```toml
//! epochs = 30
//! batch = 100
//! seeds = 5              # seeds 0..5, or a list: [0, 3, 9]
//! plot = "lr_scale"      # the swept axis on the plot's x axis
//! curves = false         # record every epoch (true) or only the final errors
//!
//! [grid]                 # every key optional; the default is the paper's single value
//! dataset = ["teacher"]  # or ["mnist"], ["fashion-mnist"], both (see [`super::data`])
//! arch = ["100-400-200-10"]  # default: 784-100-200-10 for mnist and fashion-mnist
//! train_size = [1000]
//! reading = ["accumulated,iteration,lecun"]   # or "all"
//! optimizer = ["sgd", "rbp", "adam"]
//! lr_scale = [0.25, 0.5, 1, 2, 4]  # multiplies the optimizer's own lr0 and lr_min
//! gamma0 = [0.9995]                # R-BackProp only
//! lambda = [0.0001]                # R-BackProp only
//! ```

use super::axes::{Axes, first_repeat};
use super::size;
use crate::experiment::image_data::{ImageData, RawData};
use crate::experiment::protocol;
use crate::experiment::reproduce::Reading;
pub use crate::experiment::spec_error::SpecError;
pub(super) use crate::experiment::spec_error::bad;
use crate::experiment::spec_error::read_toml;
use crate::run::{HeldOut, RunSpec, TaskKind};
use rbp_core::net::Arch;
use rbp_core::optim::{Hyper, OptimizerKind};
use rbp_core::train::Recording;
use serde::Deserialize;

/// Seeds: a count (`0..n`) or an explicit list.
#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
enum Seeds {
    Count(u64),
    List(Vec<u64>),
}

/// The file as written.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    #[serde(default = "paper_epochs")]
    epochs: usize,
    #[serde(default = "paper_batch")]
    batch: usize,
    #[serde(default = "paper_seeds")]
    seeds: Seeds,
    plot: Option<String>,
    #[serde(default)]
    curves: bool,
    #[serde(default)]
    grid: RawGrid,
    data: Option<RawData>,
}

fn paper_epochs() -> usize {
    protocol::EPOCHS
}
fn paper_batch() -> usize {
    protocol::BATCH
}
fn paper_seeds() -> Seeds {
    Seeds::Count(protocol::TOY_SEEDS)
}

/// `[grid]` as written.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGrid {
    pub dataset: Option<Vec<String>>,
    pub arch: Option<Vec<String>>,
    pub train_size: Option<Vec<usize>>,
    pub reading: Option<Vec<String>>,
    pub optimizer: Option<Vec<String>>,
    pub lr_scale: Option<Vec<f64>>,
    pub gamma0: Option<Vec<f64>>,
    pub lambda: Option<Vec<f64>>,
}

/// The axes of a grid, in the order cells are enumerated (seeds vary fastest, inside a cell).
pub const AXES: [&str; 8] = [
    "dataset",
    "arch",
    "train_size",
    "reading",
    "optimizer",
    "lr_scale",
    "gamma0",
    "lambda",
];

/// One point of the grid: every setting but the seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub dataset: TaskKind,
    pub arch: Arch,
    pub train_size: usize,
    pub reading: Reading,
    pub optimizer: OptimizerKind,
    pub lr_scale: f64,
    /// R-BackProp's `(gamma0, lambda)`, for the optimizers that read its schedule (rbp, and
    /// the controls momentum and scaled-sgd, through `p(t) = 1 - gamma^t`); `None` for the
    /// others, which ignore them.
    pub rbp: Option<(f64, f64)>,
}

impl Cell {
    /// The value of `axis` as text (`–` where it does not apply).
    pub fn value(&self, axis: &str) -> String {
        match axis {
            "dataset" => self.dataset.name().into(),
            "arch" => self.arch.to_string(),
            "train_size" => self.train_size.to_string(),
            "reading" => self.reading.name(),
            "optimizer" => self.optimizer.name().into(),
            "lr_scale" => self.lr_scale.to_string(),
            "gamma0" => self.rbp.map_or("–".into(), |p| p.0.to_string()),
            "lambda" => self.rbp.map_or("–".into(), |p| p.1.to_string()),
            _ => unreachable!("AXES lists every axis"),
        }
    }

    /// The value of a numeric axis (`None` for text axes, or where it does not apply).
    pub fn number(&self, axis: &str) -> Option<f64> {
        match axis {
            "train_size" => Some(self.train_size as f64),
            "lr_scale" => Some(self.lr_scale),
            "gamma0" => self.rbp.map(|p| p.0),
            "lambda" => self.rbp.map(|p| p.1),
            _ => None,
        }
    }

    /// The hyper-parameters of this cell: the paper's, with the reading, the learning-rate
    /// scale (on the optimizer's own rates) and R-BackProp's point applied.
    pub(super) fn hyper(&self) -> Hyper {
        let mut hyper = Hyper {
            lr_clock: self.reading.lr_clock,
            ..Hyper::default()
        };
        hyper.rbp.reinforce = self.reading.reinforce;
        if self.optimizer == OptimizerKind::Adam {
            hyper.adam.lr0 *= self.lr_scale;
            hyper.adam.lr_min *= self.lr_scale;
        } else {
            hyper.lr0 *= self.lr_scale;
            hyper.lr_min *= self.lr_scale;
        }
        if let Some((gamma0, lambda)) = self.rbp {
            hyper.rbp.gamma0 = gamma0;
            hyper.rbp.lambda = lambda;
        }
        hyper
    }
}

/// A checked sweep: its cells, seeds and what is recorded.
#[derive(Clone, Debug)]
pub struct Sweep {
    pub epochs: usize,
    pub batch: usize,
    pub seeds: Vec<u64>,
    pub curves: bool,
    /// Where image data sets come from (unused by the teacher task).
    pub data: ImageData,
    /// The axes with more than one value, in [`AXES`] order.
    pub swept: Vec<&'static str>,
    /// The axis on the plot's x axis, if any numeric axis is swept.
    pub plot: Option<&'static str>,
    pub cells: Vec<Cell>,
}

impl Sweep {
    /// Reads and checks a spec.
    pub fn parse(text: &str) -> Result<Sweep, SpecError> {
        let raw: RawSpec = read_toml(text)?;
        Sweep::check(raw)
    }

    fn check(raw: RawSpec) -> Result<Sweep, SpecError> {
        if raw.epochs == 0 {
            return Err(bad("epochs", "must be at least 1"));
        }
        let seed_count = match &raw.seeds {
            Seeds::Count(n) => *n,
            Seeds::List(list) => list.len() as u64,
        };
        if seed_count == 0 {
            return Err(bad("seeds", "no seeds: give a count >= 1 or a list"));
        }
        let (axes, data) = Axes::read(raw.grid, raw.data, raw.batch)?;
        // Sizes first, from the lengths alone: nothing is built for a plan that cannot be run.
        let plan = size::Plan {
            cells: axes.cell_count(),
            seeds: seed_count,
            epochs: raw.epochs,
            curves: raw.curves,
        };
        plan.check(&axes.breakdown(), axes.widest_arch())?;
        let seeds = match raw.seeds {
            Seeds::Count(n) => (0..n).collect::<Vec<u64>>(),
            Seeds::List(list) => list,
        };
        if first_repeat(&seeds, |s| Some(*s)).is_some() {
            return Err(bad("seeds", "a seed is listed twice"));
        }
        let cells = axes.cells()?;
        let swept: Vec<&'static str> = AXES
            .iter()
            .zip(axes.lengths())
            .filter(|(_, n)| *n > 1)
            .map(|(a, _)| *a)
            .collect();
        let plot = plot_axis(raw.plot, &swept)?;
        Ok(Sweep {
            epochs: raw.epochs,
            batch: raw.batch,
            seeds,
            curves: raw.curves,
            data,
            swept,
            plot,
            cells,
        })
    }

    /// The run of `cell` with `seed`.
    pub fn spec(&self, cell: &Cell, seed: u64) -> RunSpec {
        RunSpec {
            task: self.data.task(cell.dataset, cell.train_size),
            arch: cell.arch.clone(),
            batch: self.batch,
            epochs: self.epochs,
            init: cell.reading.init,
            hyper: cell.hyper(),
            optimizer: cell.optimizer,
            seed,
            recording: if self.curves {
                Recording::EveryEpoch
            } else {
                Recording::FinalOnly
            },
            precision: rbp_core::oracle::Precision::F32,
            held_out: HeldOut::Test,
        }
    }

    /// Whether the grid is on an image data set (MNIST or Fashion-MNIST; a grid never mixes
    /// them with the teacher task).
    pub fn images(&self) -> bool {
        self.cells.iter().any(|c| c.dataset != TaskKind::Teacher)
    }

    /// The run list: cell by cell, seeds inside; the same in every process (shards index it).
    pub fn runs(&self) -> Vec<(usize, RunSpec)> {
        self.cells
            .iter()
            .enumerate()
            .flat_map(|(c, cell)| self.seeds.iter().map(move |&s| (c, self.spec(cell, s))))
            .collect()
    }
}

/// The plot's axis: the one named by `plot`, which must be numeric and swept, else the first
/// swept numeric axis.
fn plot_axis(
    plot: Option<String>,
    swept: &[&'static str],
) -> Result<Option<&'static str>, SpecError> {
    let numeric = |a: &str| ["train_size", "lr_scale", "gamma0", "lambda"].contains(&a);
    let Some(p) = plot else {
        return Ok(swept.iter().copied().find(|a| numeric(a)));
    };
    let axis = AXES.iter().copied().find(|a| *a == p).ok_or_else(|| {
        bad(
            "plot",
            format!("`{p}` is not an axis; axes: {}", AXES.join(", ")),
        )
    })?;
    if !numeric(axis) || !swept.contains(&axis) {
        return Err(bad(
            "plot",
            format!(
                "`{p}` must be a numeric axis with several values (swept: {})",
                swept.join(", ")
            ),
        ));
    }
    Ok(Some(axis))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::Task;
    use rbp_datasets::mnist;

    fn err(text: &str) -> String {
        Sweep::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn a_grid_is_the_cross_product_without_cells_that_differ_only_in_ignored_settings() {
        let s = Sweep::parse(
            "seeds = 2\nepochs = 3\n[grid]\noptimizer = [\"sgd\", \"rbp\"]\ngamma0 = [0.99, 0.999]\nlr_scale = [0.5, 1]\n",
        )
        .unwrap();
        // sgd: 2 scales (gamma0 ignored); rbp: 2 scales x 2 gamma0.
        assert_eq!(s.cells.len(), 2 + 4);
        assert_eq!(s.runs().len(), 12);
        assert_eq!(s.swept, vec!["optimizer", "lr_scale", "gamma0"]);
        assert_eq!(s.plot, Some("lr_scale"));
        let sgd = s.spec(&s.cells[0], 0);
        assert_eq!(sgd.hyper.lr0, 0.5 * Hyper::default().lr0);
        assert_eq!(sgd.hyper.rbp, Hyper::default().rbp);
        let ids: Vec<String> = s.runs().iter().map(|(_, r)| r.id()).collect();
        assert!(first_repeat(&ids, |i| Some(i.clone())).is_none());
    }

    #[test]
    fn an_image_grid_names_its_data_set_pool_and_sizes_in_every_run() {
        let s = Sweep::parse(
            "seeds = 2\nepochs = 1\n[grid]\ndataset = [\"mnist\", \"fashion-mnist\"]\ntrain_size = [200]\n\
             optimizer = [\"sgd\"]\n[data]\npool = \"test\"\ntest_size = 300\nmnist_dir = \"/m\"\n",
        )
        .unwrap();
        assert_eq!(s.swept, vec!["dataset"]);
        assert_eq!(s.cells.len(), 2);
        assert_eq!(s.cells[0].arch.to_string(), "784-100-200-10");
        assert_eq!(s.cells[1].value("dataset"), "fashion-mnist");
        let run = s.spec(&s.cells[0], 1);
        assert_eq!(
            run.task,
            Task::Images {
                dataset: mnist::DatasetKind::Mnist,
                pool: crate::experiment::mnist::Pool::Test,
                train_size: 200,
                test_size: crate::experiment::mnist::TestSize::Count(300),
            }
        );
        // Every run is distinct; where the files are is not part of a run.
        let ids: Vec<String> = s.runs().iter().map(|(_, r)| r.id()).collect();
        assert!(first_repeat(&ids, |i| Some(i.clone())).is_none());
        let elsewhere = Sweep::parse(
            "seeds = 2\nepochs = 1\n[grid]\ndataset = [\"mnist\", \"fashion-mnist\"]\ntrain_size = [200]\n\
             optimizer = [\"sgd\"]\n[data]\npool = \"test\"\ntest_size = 300\nmnist_dir = \"/n\"\n",
        )
        .unwrap();
        assert_eq!(elsewhere.spec(&elsewhere.cells[0], 1).id(), run.id());
    }

    #[test]
    fn the_example_specs_read() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/sweeps");
        let mut read = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let sweep = Sweep::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(sweep.plot.is_some(), "{}", path.display());
            read += 1;
        }
        assert!(read >= 2);
    }

    #[test]
    fn bad_specs_name_the_key() {
        assert!(err("epochs = 0").contains("`epochs`"));
        assert!(err("[grid]\nlr_scale = [-1]").contains("`grid.lr_scale`"));
        assert!(err("[grid]\ngamma0 = [1.5]").contains("`grid.gamma0`"));
        assert!(err("[grid]\noptimizer = [\"sdg\"]").contains("`grid.optimizer`"));
        assert!(err("[grid]\ndataset = [\"cifar\"]").contains("`grid.dataset`"));
        let mixed = err("[grid]\ndataset = [\"teacher\", \"mnist\"]");
        assert!(
            mixed.contains("`grid.dataset`") && mixed.contains("two sweeps"),
            "{mixed}"
        );
        assert!(err("[grid]\ndataset = [\"mnist\"]\narch = [\"100-10\"]").contains("`grid.arch`"));
        assert!(err("[data]\npool = \"test\"").contains("`data`"));
        let pool = "[grid]\ndataset = [\"mnist\"]\n[data]\npool = \"valid\"";
        assert!(err(pool).contains("`data.pool`"));
        let size = "[grid]\ndataset = [\"mnist\"]\n[data]\ntest_size = 0";
        assert!(err(size).contains("`data.test_size`"));
        assert!(err("[grid]\ndataset = [\"mnist\"]\n[data]\ndir = \"x\"").contains("dir"));
        assert!(err("[grid]\nlearning_rate = [1]").contains("learning_rate"));
        assert!(err("[grid]\narch = [\"100\"]").contains("`grid.arch`"));
        assert!(err("batch = 5000").contains("`batch`"));
        assert!(err("seeds = []").contains("`seeds`"));
        assert!(err("plot = \"optimizer\"").contains("`plot`"));
        assert!(err("[grid]\noptimizer = []").contains("`grid.optimizer`"));
    }

    /// `f()`, or a failure when it has not returned within `secs` s: a hang is a failure.
    fn within<T: Send + 'static>(
        secs: u64,
        what: &str,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(std::time::Duration::from_secs(secs))
            .unwrap_or_else(|_| panic!("{what} did not return within {secs} s"))
    }

    fn parse_within(secs: u64, text: &str) -> Result<Sweep, SpecError> {
        let text = text.to_string();
        within(secs, &format!("parsing {text:?}"), move || {
            Sweep::parse(&text)
        })
    }

    #[test]
    fn plans_too_large_are_refused_at_once_with_the_numbers_and_the_key() {
        for seeds in ["1000001", "200000000", "1000000000", "18446744073709551615"] {
            let m = parse_within(
                1,
                &format!("seeds = {seeds}\n[grid]\noptimizer = [\"sgd\"]"),
            )
            .unwrap_err()
            .to_string();
            assert!(
                m.starts_with("`seeds`") && m.contains(seeds) && m.contains("1000000"),
                "{m}"
            );
        }
        // Two seeds too many for the cells of the grid.
        let m = parse_within(
            1,
            "seeds = 500001\n[grid]\noptimizer = [\"sgd\", \"adam\"]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(m.contains("2 cells") && m.contains("1000002 runs"), "{m}");
        // 1000 values on each numeric axis: more cells than any sweep may have, or than 64 bits
        // can count, refused before a cell is built.
        let values = |from: usize| {
            (from..from + 1000)
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let scales = |from: usize| {
            (from..from + 1000)
                .map(|v| format!("{}", v as f64 / 1e4 + 1e-3))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let grid = format!(
            "seeds = 1\nbatch = 10\n[grid]\noptimizer = [\"sgd\", \"rbp\", \"adam\", \"momentum\", \"scaled-sgd\"]\n\
             reading = [\"all\"]\ntrain_size = [{}]\nlr_scale = [{}]\ngamma0 = [{}]\nlambda = [{}]\n",
            values(100),
            scales(1),
            (0..1000)
                .map(|i| format!("{}", 0.5 + i as f64 / 2001.0))
                .collect::<Vec<_>>()
                .join(", "),
            scales(0),
        );
        let m = parse_within(2, &grid).unwrap_err().to_string();
        assert!(m.starts_with("`grid`") && m.contains("cells"), "{m}");
    }

    #[test]
    fn a_million_runs_plan_in_seconds() {
        let sweep = parse_within(10, "seeds = 1000000\n[grid]\noptimizer = [\"sgd\"]").unwrap();
        assert_eq!(sweep.seeds.len(), 1_000_000);
        let runs = within(20, "listing a million runs", move || sweep.runs().len());
        assert_eq!(runs, 1_000_000);
        // Explicit seeds are checked for repeats in linear time too.
        let list = (0..200_000u64)
            .map(|s| (s * 7).to_string())
            .collect::<Vec<_>>();
        let sweep = parse_within(10, &format!("seeds = [{}]", list.join(", "))).unwrap();
        assert_eq!(sweep.seeds.len(), 200_000);
        let repeated = format!("seeds = [{}, 7]", list.join(", "));
        assert!(
            parse_within(10, &repeated)
                .unwrap_err()
                .to_string()
                .contains("`seeds`")
        );
    }

    #[test]
    fn a_large_grid_plans_in_linear_time_with_every_run_distinct() {
        // 5 optimizers x every reading x 10 values on each numeric axis: 8 x (4 x 10 x 10 +
        // 1 x 10 x 10 x 10 x 10) = 83,200 cells (the R-BackProp schedule is read by rbp,
        // momentum and scaled-sgd: 8 x (2 x 100 + 3 x 10,000) = 241,600 cells).
        let ten = |f: &dyn Fn(usize) -> String| (0..10).map(f).collect::<Vec<_>>().join(", ");
        let text = format!(
            "seeds = 1\nbatch = 10\n[grid]\noptimizer = [\"sgd\", \"rbp\", \"adam\", \"momentum\", \"scaled-sgd\"]\n\
             reading = [\"all\"]\ntrain_size = [{}]\nlr_scale = [{}]\ngamma0 = [{}]\nlambda = [{}]\n",
            ten(&|i| (100 + 10 * i).to_string()),
            ten(&|i| format!("{}", 0.5 + i as f64 / 10.0)),
            ten(&|i| format!("{}", 0.99 + i as f64 / 1000.0)),
            ten(&|i| format!("{}", i as f64 / 1e4)),
        );
        let sweep = parse_within(10, &text).unwrap();
        assert_eq!(sweep.cells.len(), 8 * (2 * 100 + 3 * 10_000));
        let ids = within(60, "the ids of every run", move || {
            sweep
                .runs()
                .iter()
                .map(|(_, r)| r.id())
                .collect::<std::collections::HashSet<_>>()
                .len()
        });
        assert_eq!(ids, 8 * (2 * 100 + 3 * 10_000));
    }

    #[test]
    fn rbp_schedule_values_are_checked_whatever_the_optimizers() {
        for (grid, key) in [
            ("optimizer = [\"sgd\"]\nlambda = [-1]", "`grid.lambda`"),
            ("optimizer = [\"adam\"]\ngamma0 = [1.5]", "`grid.gamma0`"),
            ("optimizer = [\"sgd\"]\nlambda = [0, nan]", "`grid.lambda`"),
        ] {
            let m = err(&format!("[grid]\n{grid}"));
            assert!(m.starts_with(key), "{grid}: {m}");
        }
    }

    #[test]
    fn momentum_and_scaled_sgd_get_the_swept_rbp_schedule() {
        // Both read R-BackProp's p(t) = 1 - gamma^t: a swept gamma0 is theirs too.
        let s = Sweep::parse(
            "seeds = 1\n[grid]\noptimizer = [\"sgd\", \"momentum\", \"scaled-sgd\"]\ngamma0 = [0.99, 0.999]\n",
        )
        .unwrap();
        assert_eq!(s.cells.len(), 1 + 2 + 2);
        let gammas: Vec<f64> = s.runs().iter().map(|(_, r)| r.hyper.rbp.gamma0).collect();
        assert_eq!(gammas[1..], [0.99, 0.999, 0.99, 0.999]);
        assert_eq!(s.cells[1].value("gamma0"), "0.99");
        assert_eq!(s.cells[0].value("gamma0"), "–");
    }

    #[test]
    fn values_that_read_the_same_are_one_value_listed_twice() {
        assert!(err("[grid]\nlr_scale = [1, 1.0]").contains("`grid.lr_scale`"));
        assert!(err("[grid]\narch = [\"6-5-3\", \"6-5-03\"]").contains("`grid.arch`"));
        assert!(err("[grid]\noptimizer = [\"sgd\", \"sgd\"]").contains("`grid.optimizer`"));
    }

    #[test]
    fn total_epochs_and_the_memory_of_the_curves_must_fit() {
        let m = err("seeds = 10\nepochs = 4611686018427387904\n[grid]\noptimizer = [\"sgd\"]");
        assert!(m.starts_with("`epochs`"), "{m}");
        // Every epoch's record of 100,000 runs of a billion epochs: petabytes.
        let m = err(
            "seeds = 100000\nepochs = 1000000000\ncurves = true\n[grid]\noptimizer = [\"sgd\"]",
        );
        assert!(m.starts_with("`curves`") && m.contains("memory"), "{m}");
    }
}
