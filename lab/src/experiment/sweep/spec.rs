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

use super::data::{Dataset, ImageData, RawData};
use crate::data::{idx, mnist};
use crate::experiment::protocol;
use crate::experiment::reproduce::Reading;
use crate::run::{RunSpec, Task};
use rbp_core::net::Arch;
use rbp_core::optim::{Hyper, OptimizerKind};
use rbp_core::train::Recording;
use serde::Deserialize;

/// A bad spec: the key at fault and what is wrong.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SpecError {
    /// The file is not valid TOML or has an unknown key or a value of the wrong type (the
    /// message, from the TOML reader, names the key and the line).
    #[error("{0}")]
    Toml(String),
    /// A value that reads fine but makes no sense.
    #[error("`{key}`: {why}")]
    Value {
        /// The key, e.g. `grid.lr_scale`.
        key: String,
        /// What is wrong.
        why: String,
    },
}

pub(super) fn bad(key: &str, why: impl Into<String>) -> SpecError {
    SpecError::Value {
        key: key.to_string(),
        why: why.into(),
    }
}

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

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct RawGrid {
    dataset: Option<Vec<String>>,
    arch: Option<Vec<String>>,
    train_size: Option<Vec<usize>>,
    reading: Option<Vec<String>>,
    optimizer: Option<Vec<String>>,
    lr_scale: Option<Vec<f64>>,
    gamma0: Option<Vec<f64>>,
    lambda: Option<Vec<f64>>,
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
    pub dataset: Dataset,
    pub arch: Arch,
    pub train_size: usize,
    pub reading: Reading,
    pub optimizer: OptimizerKind,
    pub lr_scale: f64,
    /// R-BackProp's `(gamma0, lambda)`; `None` for the other optimizers, which ignore them.
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
    fn hyper(&self) -> Hyper {
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
        let raw: RawSpec = toml::from_str(text).map_err(|e| SpecError::Toml(e.to_string()))?;
        Sweep::check(raw)
    }

    fn check(raw: RawSpec) -> Result<Sweep, SpecError> {
        if raw.epochs == 0 {
            return Err(bad("epochs", "must be at least 1"));
        }
        let seeds = match raw.seeds {
            Seeds::Count(n) => (0..n).collect::<Vec<u64>>(),
            Seeds::List(list) => list,
        };
        if seeds.is_empty() {
            return Err(bad("seeds", "no seeds: give a count >= 1 or a list"));
        }
        if has_duplicates(&seeds) {
            return Err(bad("seeds", "a seed is listed twice"));
        }
        let g = raw.grid;
        let datasets = list("grid.dataset", g.dataset, || vec!["teacher".to_string()])?
            .iter()
            .map(|d| Dataset::parse(d))
            .collect::<Result<Vec<_>, _>>()?;
        let images = datasets.iter().filter(|d| **d != Dataset::Teacher).count();
        if images > 0 && images < datasets.len() {
            return Err(bad(
                "grid.dataset",
                "the teacher task and an image data set cannot share a grid: they need different \
                 networks (100 vs 784 inputs); run them as two sweeps",
            ));
        }
        let data = ImageData::check(raw.data, &datasets)?;
        let archs = list("grid.arch", g.arch, || {
            vec![datasets[0].default_arch().to_string()]
        })?
        .iter()
        .map(|a| {
            a.parse::<Arch>()
                .map_err(|e| bad("grid.arch", format!("`{a}`: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
        if images > 0
            && let Some(a) = archs
                .iter()
                .find(|a| a.input_width() != mnist::PIXELS || a.output_width() != idx::NUM_CLASSES)
        {
            return Err(bad(
                "grid.arch",
                format!(
                    "`{a}`: {} needs {} inputs and {} outputs (e.g. {})",
                    datasets[0].name(),
                    mnist::PIXELS,
                    idx::NUM_CLASSES,
                    Dataset::Images(mnist::DatasetKind::Mnist).default_arch()
                ),
            ));
        }
        let sizes = list("grid.train_size", g.train_size, || {
            vec![datasets[0].default_train_size()]
        })?;
        let smallest = *sizes.iter().min().expect("list() refuses empty lists");
        if smallest == 0 {
            return Err(bad(
                "grid.train_size",
                "training sets need at least 1 example",
            ));
        }
        if raw.batch == 0 || raw.batch > smallest {
            return Err(bad(
                "batch",
                format!(
                    "{} must lie in 1..={smallest} (the smallest train_size)",
                    raw.batch
                ),
            ));
        }
        let readings = Reading::parse_all(&list("grid.reading", g.reading, || {
            vec!["accumulated,iteration,lecun".to_string()]
        })?)
        .map_err(|e| bad("grid.reading", e.to_string().replace("--reading", "value")))?;
        let optimizers = list("grid.optimizer", g.optimizer, || {
            OptimizerKind::PAPER
                .iter()
                .map(|k| k.name().to_string())
                .collect()
        })?
        .iter()
        .map(|o| {
            o.parse::<OptimizerKind>()
                .map_err(|e| bad("grid.optimizer", e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
        let defaults = Hyper::default();
        let scales = list("grid.lr_scale", g.lr_scale, || vec![1.0])?;
        if let Some(s) = scales.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(bad(
                "grid.lr_scale",
                format!("{s} is not a positive factor"),
            ));
        }
        let gammas = list("grid.gamma0", g.gamma0, || vec![defaults.rbp.gamma0])?;
        let lambdas = list("grid.lambda", g.lambda, || vec![defaults.rbp.lambda])?;

        let mut cells: Vec<Cell> = Vec::new();
        for (&dataset, arch) in datasets
            .iter()
            .flat_map(|d| archs.iter().map(move |a| (d, a)))
        {
            for &train_size in &sizes {
                for &reading in &readings {
                    for &optimizer in &optimizers {
                        for &lr_scale in &scales {
                            for &gamma0 in &gammas {
                                for &lambda in &lambdas {
                                    let cell = Cell {
                                        dataset,
                                        arch: arch.clone(),
                                        train_size,
                                        reading,
                                        optimizer,
                                        lr_scale,
                                        rbp: (optimizer == OptimizerKind::Rbp)
                                            .then_some((gamma0, lambda)),
                                    };
                                    cell.hyper()
                                        .validate()
                                        .map_err(|e| bad(&grid_key(e.parameter), e.to_string()))?;
                                    // Cells that differ only in what their optimizer ignores
                                    // are one cell.
                                    if !cells.contains(&cell) {
                                        cells.push(cell);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let lengths = [
            datasets.len(),
            archs.len(),
            sizes.len(),
            readings.len(),
            optimizers.len(),
            scales.len(),
            gammas.len(),
            lambdas.len(),
        ];
        let swept: Vec<&'static str> = AXES
            .iter()
            .zip(lengths)
            .filter(|(_, n)| *n > 1)
            .map(|(a, _)| *a)
            .collect();
        let numeric = |a: &str| ["train_size", "lr_scale", "gamma0", "lambda"].contains(&a);
        let plot = match raw.plot {
            Some(p) => {
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
                Some(axis)
            }
            None => swept.iter().copied().find(|a| numeric(a)),
        };
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
        let train_size = cell.train_size;
        let task = match cell.dataset {
            Dataset::Teacher => Task::Teacher { train_size },
            Dataset::Images(dataset) => Task::Images {
                dataset,
                pool: self.data.pool,
                train_size,
                test_size: self.data.test_size,
            },
        };
        RunSpec {
            task,
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
        }
    }

    /// Whether the grid is on an image data set (MNIST or Fashion-MNIST; a grid never mixes
    /// them with the teacher task).
    pub fn images(&self) -> bool {
        self.cells.iter().any(|c| c.dataset != Dataset::Teacher)
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

/// Where a hyper-parameter error points in the spec.
fn grid_key(parameter: &str) -> String {
    match parameter {
        "rbp.gamma0" => "grid.gamma0".into(),
        "rbp.lambda" => "grid.lambda".into(),
        p if p.contains("lr") => "grid.lr_scale".into(),
        p => format!("hyper.{p}"),
    }
}

/// A grid list, or its default when absent; an empty or repeating list is an error.
fn list<T: PartialEq>(
    key: &str,
    given: Option<Vec<T>>,
    default: impl FnOnce() -> Vec<T>,
) -> Result<Vec<T>, SpecError> {
    let values = given.unwrap_or_else(default);
    if values.is_empty() {
        return Err(bad(
            key,
            "empty list: give at least one value or leave the key out",
        ));
    }
    if has_duplicates(&values) {
        return Err(bad(key, "a value is listed twice"));
    }
    Ok(values)
}

fn has_duplicates<T: PartialEq>(values: &[T]) -> bool {
    values
        .iter()
        .enumerate()
        .any(|(i, v)| values[..i].contains(v))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(!has_duplicates(&ids));
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
        assert!(!has_duplicates(&ids));
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
}
