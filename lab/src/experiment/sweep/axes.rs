//! The `[grid]` of a sweep spec: each axis read and checked value by value, the number of cells
//! counted from the lengths alone (so a grid too large to run is refused before a cell is
//! built), and the cells enumerated in linear time.

use super::data;
use super::spec::{Cell, RawGrid, SpecError, bad};
use crate::experiment::image_data::{self, ImageData, RawData};
use crate::experiment::reproduce::Reading;
use crate::run::TaskKind;
use rbp_core::net::Arch;
use rbp_core::optim::{Hyper, OptimizerKind};
use rbp_datasets::{idx, mnist};
use std::collections::HashSet;
use std::hash::Hash;

/// The grid's values, axis by axis, each list checked (no value twice, every value valid on
/// its own).
pub(super) struct Axes {
    pub datasets: Vec<TaskKind>,
    pub archs: Vec<Arch>,
    pub sizes: Vec<usize>,
    pub readings: Vec<Reading>,
    pub optimizers: Vec<OptimizerKind>,
    pub scales: Vec<f64>,
    pub gammas: Vec<f64>,
    pub lambdas: Vec<f64>,
}

impl Axes {
    /// Reads `[grid]` (and `[data]`, which only makes sense with an image data set), checking
    /// every list and value; `batch` must fit the smallest training set.
    pub fn read(
        g: RawGrid,
        data: Option<RawData>,
        batch: usize,
    ) -> Result<(Axes, ImageData), SpecError> {
        let datasets = list(
            "grid.dataset",
            g.dataset,
            || vec!["teacher".to_string()],
            |d| Some(d.clone()),
        )?
        .iter()
        .map(|d| data::parse_dataset(d))
        .collect::<Result<Vec<_>, _>>()?;
        let images = datasets.iter().filter(|d| **d != TaskKind::Teacher).count();
        if images > 0 && images < datasets.len() {
            return Err(bad(
                "grid.dataset",
                "the teacher task and an image data set cannot share a grid: they need different \
                 networks (100 vs 784 inputs); run them as two sweeps",
            ));
        }
        let data = ImageData::check(
            data,
            datasets.iter().any(|d| matches!(d, TaskKind::Images(_))),
            "an image data set (grid.dataset = [\"mnist\"] or [\"fashion-mnist\"]); the teacher \
             task draws its own examples",
        )?;
        let archs = read_archs(g.arch, datasets[0])?;
        let default_size = || vec![image_data::default_train_size(datasets[0])];
        let sizes = list("grid.train_size", g.train_size, default_size, |m| Some(*m))?;
        let smallest = *sizes.iter().min().expect("list() refuses empty lists");
        if smallest == 0 {
            return Err(bad(
                "grid.train_size",
                "training sets need at least 1 example",
            ));
        }
        if batch == 0 || batch > smallest {
            return Err(bad(
                "batch",
                format!("{batch} must lie in 1..={smallest} (the smallest train_size)"),
            ));
        }
        let readings = Reading::parse_all(&list(
            "grid.reading",
            g.reading,
            || vec!["accumulated,iteration,lecun".to_string()],
            |r| Some(r.clone()),
        )?)
        .map_err(|e| bad("grid.reading", e.to_string().replace("--reading", "value")))?;
        let optimizers = read_optimizers(g.optimizer)?;
        let scales = list("grid.lr_scale", g.lr_scale, || vec![1.0], number_key)?;
        if let Some(s) = scales.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(bad(
                "grid.lr_scale",
                format!("{s} is not a positive factor"),
            ));
        }
        let (gammas, lambdas) = read_rbp_schedule(g.gamma0, g.lambda)?;
        let axes = Axes {
            datasets,
            archs,
            sizes,
            readings,
            optimizers,
            scales,
            gammas,
            lambdas,
        };
        Ok((axes, data))
    }

    /// The number of values on each axis, in [`super::AXES`] order.
    pub fn lengths(&self) -> [usize; 8] {
        [
            self.datasets.len(),
            self.archs.len(),
            self.sizes.len(),
            self.readings.len(),
            self.optimizers.len(),
            self.scales.len(),
            self.gammas.len(),
            self.lambdas.len(),
        ]
    }

    /// The points of R-BackProp's schedule an optimizer is run at: every `(gamma0, lambda)` for
    /// those that read it, one for the others.
    fn schedule_points(&self, optimizer: OptimizerKind) -> u64 {
        if optimizer.reads_rbp_schedule() {
            (self.gammas.len() as u64).saturating_mul(self.lambdas.len() as u64)
        } else {
            1
        }
    }

    /// How many cells [`Axes::cells`] builds, from the lengths alone (`None`: more than 2^64).
    pub fn cell_count(&self) -> Option<u64> {
        let per_optimizer = self
            .optimizers
            .iter()
            .try_fold(0u64, |n, &o| n.checked_add(self.schedule_points(o)))?;
        [
            self.datasets.len(),
            self.archs.len(),
            self.sizes.len(),
            self.readings.len(),
            self.scales.len(),
        ]
        .iter()
        .try_fold(per_optimizer, |n, &len| n.checked_mul(len as u64))
    }

    /// How the cells multiply up, in words: `2 arch x 3 lr_scale x (2 optimizers + rbp x 4
    /// gamma0 x 2 lambda)`.
    pub fn breakdown(&self) -> String {
        let mut parts: Vec<String> = [
            ("dataset", self.datasets.len()),
            ("arch", self.archs.len()),
            ("train_size", self.sizes.len()),
            ("reading", self.readings.len()),
            ("lr_scale", self.scales.len()),
        ]
        .iter()
        .map(|(axis, n)| format!("{n} {axis}"))
        .collect();
        let (with, without): (Vec<OptimizerKind>, Vec<OptimizerKind>) =
            self.optimizers.iter().partition(|o| o.reads_rbp_schedule());
        let mut optimizers = Vec::new();
        if !without.is_empty() {
            optimizers.push(format!("{} optimizer(s)", without.len()));
        }
        if !with.is_empty() {
            optimizers.push(format!(
                "{} optimizer(s) reading R-BackProp's schedule x {} gamma0 x {} lambda",
                with.len(),
                self.gammas.len(),
                self.lambdas.len()
            ));
        }
        parts.push(format!("({})", optimizers.join(" + ")));
        parts.join(" x ")
    }

    /// The widest network of the grid (the most layers' widths to keep per run).
    pub fn widest_arch(&self) -> usize {
        self.archs
            .iter()
            .map(|a| a.widths().len())
            .max()
            .unwrap_or(0)
    }

    /// Every cell, in enumeration order (dataset, arch, train_size, reading, optimizer,
    /// lr_scale, then R-BackProp's `(gamma0, lambda)` for the optimizers that read it): no two
    /// alike, since every list has distinct values and an optimizer that ignores the schedule
    /// gets one cell, not one per point. Each cell's hyper-parameters are validated.
    pub fn cells(&self) -> Result<Vec<Cell>, SpecError> {
        let capacity = self.cell_count().and_then(|n| usize::try_from(n).ok());
        let mut cells = Vec::with_capacity(capacity.unwrap_or(0));
        let points: Vec<(f64, f64)> = self
            .gammas
            .iter()
            .flat_map(|&g| self.lambdas.iter().map(move |&l| (g, l)))
            .collect();
        let none = [None];
        let some: Vec<Option<(f64, f64)>> = points.into_iter().map(Some).collect();
        for (&dataset, arch) in self
            .datasets
            .iter()
            .flat_map(|d| self.archs.iter().map(move |a| (d, a)))
        {
            for (&train_size, &reading) in self
                .sizes
                .iter()
                .flat_map(|m| self.readings.iter().map(move |r| (m, r)))
            {
                for &optimizer in &self.optimizers {
                    let rbps: &[Option<(f64, f64)>] = if optimizer.reads_rbp_schedule() {
                        &some
                    } else {
                        &none
                    };
                    for (&lr_scale, &rbp) in self
                        .scales
                        .iter()
                        .flat_map(|s| rbps.iter().map(move |p| (s, p)))
                    {
                        let cell = Cell {
                            dataset,
                            arch: arch.clone(),
                            train_size,
                            reading,
                            optimizer,
                            lr_scale,
                            rbp,
                        };
                        cell.hyper()
                            .validate()
                            .map_err(|e| bad(&grid_key(e.parameter), e.to_string()))?;
                        cells.push(cell);
                    }
                }
            }
        }
        Ok(cells)
    }
}

/// `grid.arch`: distinct networks (as parsed: `6-5-03` is `6-5-3`), with an image data set's
/// input and output widths.
fn read_archs(given: Option<Vec<String>>, dataset: TaskKind) -> Result<Vec<Arch>, SpecError> {
    let parsed = given
        .map(|archs| {
            archs
                .iter()
                .map(|a| {
                    a.parse::<Arch>()
                        .map_err(|e| bad("grid.arch", format!("`{a}`: {e}")))
                })
                .collect::<Result<Vec<Arch>, _>>()
        })
        .transpose()?;
    let default = || {
        vec![
            image_data::default_arch(dataset)
                .parse()
                .expect("a valid default"),
        ]
    };
    let archs = list("grid.arch", parsed, default, |a| Some(a.to_string()))?;
    if dataset != TaskKind::Teacher
        && let Some(a) = archs
            .iter()
            .find(|a| a.input_width() != mnist::PIXELS || a.output_width() != idx::NUM_CLASSES)
    {
        return Err(bad(
            "grid.arch",
            format!(
                "`{a}`: {} needs {} inputs and {} outputs (e.g. {})",
                dataset.name(),
                mnist::PIXELS,
                idx::NUM_CLASSES,
                image_data::default_arch(TaskKind::Images(mnist::DatasetKind::Mnist))
            ),
        ));
    }
    Ok(archs)
}

/// `grid.optimizer`: distinct optimizers, the paper's three by default.
fn read_optimizers(given: Option<Vec<String>>) -> Result<Vec<OptimizerKind>, SpecError> {
    let parsed = given
        .map(|names| {
            names
                .iter()
                .map(|o| {
                    o.parse::<OptimizerKind>()
                        .map_err(|e| bad("grid.optimizer", e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    list(
        "grid.optimizer",
        parsed,
        || OptimizerKind::PAPER.to_vec(),
        |o| Some(*o),
    )
}

/// `grid.gamma0` and `grid.lambda`: each value valid on its own, whether or not an optimizer
/// of the grid reads them (a value that could never run is a mistake either way).
fn read_rbp_schedule(
    gamma0: Option<Vec<f64>>,
    lambda: Option<Vec<f64>>,
) -> Result<(Vec<f64>, Vec<f64>), SpecError> {
    let defaults = Hyper::default();
    let gammas = list(
        "grid.gamma0",
        gamma0,
        || vec![defaults.rbp.gamma0],
        number_key,
    )?;
    let lambdas = list(
        "grid.lambda",
        lambda,
        || vec![defaults.rbp.lambda],
        number_key,
    )?;
    let check = |set: &dyn Fn(&mut Hyper)| {
        let mut hyper = Hyper::default();
        set(&mut hyper);
        hyper
            .validate()
            .map_err(|e| bad(&grid_key(e.parameter), e.to_string()))
    };
    for &g in &gammas {
        check(&|h| h.rbp.gamma0 = g)?;
    }
    for &l in &lambdas {
        check(&|h| h.rbp.lambda = l)?;
    }
    Ok((gammas, lambdas))
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

/// A grid list, or its default when absent; an empty list, or one with a value twice (as
/// `key` sees values), is an error.
fn list<T, K: Hash + Eq>(
    name: &str,
    given: Option<Vec<T>>,
    default: impl FnOnce() -> Vec<T>,
    key: impl Fn(&T) -> Option<K>,
) -> Result<Vec<T>, SpecError> {
    let values = given.unwrap_or_else(default);
    if values.is_empty() {
        return Err(bad(
            name,
            "empty list: give at least one value or leave the key out",
        ));
    }
    if first_repeat(&values, key).is_some() {
        return Err(bad(name, "a value is listed twice"));
    }
    Ok(values)
}

/// The first value whose key an earlier value has (values without a key never repeat), in
/// linear time.
pub(super) fn first_repeat<T, K: Hash + Eq>(
    values: &[T],
    key: impl Fn(&T) -> Option<K>,
) -> Option<&T> {
    let mut seen = HashSet::with_capacity(values.len());
    values
        .iter()
        .find(|v| key(v).is_some_and(|k| !seen.insert(k)))
}

/// A number as a key: equal numbers (`1` and `1.0`, `0` and `-0`) have equal keys, NaN none.
fn number_key(x: &f64) -> Option<u64> {
    match *x {
        x if x.is_nan() => None,
        0.0 => Some(0),
        x => Some(x.to_bits()),
    }
}
