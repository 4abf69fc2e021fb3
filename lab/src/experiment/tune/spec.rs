//! `SPEC.toml` of `rbp tune`: the tasks, the optimizers and their spaces, the trial count and
//! the reported budgets, the seeds. Every key is optional (an empty file is the default study);
//! unknown keys are refused by name.
//!
//! ```toml
//! trials = 32               # K quasi-random trials per optimizer and task
//! budgets = [1, 8, 32]      # the budgets reported (default: 1, 8 and K)
//! trial_seeds = 1           # each trial trains on seeds 0..n; selection reads their mean
//! final_seeds = 10          # fresh seeds of the final reruns ...
//! final_seed_start = 1000   # ... from this one on (never a trial's seed)
//! epochs = 30
//! batch = 100
//! sobol_seed = 0            # which scrambled Sobol sequence
//! optimizers = ["sgd", "rbp", "rbp-raw", "adam", "momentum"]
//!
//! [[task]]                  # default: teacher M=1000, mnist M=1000, fashion-mnist M=1000, 4000
//! dataset = "teacher"       # or "mnist", "fashion-mnist"
//! train_size = 1000
//! arch = "100-400-200-10"   # default: the paper's for the data set
//!
//! [data]                    # as in `rbp sweep`: mnist_dir, fashion_dir, pool, test_size, download
//! pool = "test"
//!
//! [space.rbp]               # a range [lo, hi] is searched log-uniformly; a number is held
//! lr = [0.008, 80]
//! one_minus_gamma0 = [1e-5, 0.1]
//! lambda = 1e-4
//! ```

use super::space::{Dim, LR_DECADES, MAX_TRIALS, Param, Range, Space, Tuned};
use crate::experiment::image_data::{ImageData, RawData, default_arch, default_train_size};
use crate::experiment::protocol;
pub use crate::experiment::spec_error::SpecError;
use crate::experiment::spec_error::bad;
use crate::experiment::spec_error::read_toml;
use crate::run::{HeldOut, MAX_RUNS, RunSpec, TaskKind};
use rbp_core::init::Init;
use rbp_core::net::Arch;
use rbp_core::oracle::Precision;
use rbp_core::train::Recording;
use rbp_datasets::mnist::DatasetKind;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The file as written.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    trials: Option<usize>,
    budgets: Option<Vec<usize>>,
    trial_seeds: Option<u64>,
    final_seeds: Option<u64>,
    final_seed_start: Option<u64>,
    epochs: Option<usize>,
    batch: Option<usize>,
    sobol_seed: Option<u32>,
    optimizers: Option<Vec<String>>,
    task: Option<Vec<RawTask>>,
    data: Option<RawData>,
    space: Option<BTreeMap<String, BTreeMap<String, RawDim>>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawTask {
    dataset: String,
    train_size: Option<usize>,
    arch: Option<String>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
enum RawDim {
    Fixed(f64),
    Range(Vec<f64>),
}

/// One task of a study: a data set, a training-set size and a network.
#[derive(Clone, Debug, PartialEq)]
pub struct TuneTask {
    /// Teacher, MNIST or Fashion-MNIST.
    pub dataset: TaskKind,
    /// `M`.
    pub train_size: usize,
    /// Layer widths.
    pub arch: Arch,
}

impl TuneTask {
    /// `teacher-M1000`: a name for files and headings.
    pub fn name(&self) -> String {
        format!("{}-M{}", self.dataset.name(), self.train_size)
    }

    /// Whether errors are classification errors (image tasks) rather than `E`.
    pub fn classifies(&self) -> bool {
        self.dataset != TaskKind::Teacher
    }
}

/// A checked study.
#[derive(Clone, Debug)]
pub struct Tune {
    /// `K`.
    pub trials: usize,
    /// Reported budgets, ascending, each at most `K`.
    pub budgets: Vec<usize>,
    /// Seeds every trial trains on.
    pub trial_seeds: Vec<u64>,
    /// Seeds of the final reruns, none a trial seed.
    pub final_seeds: Vec<u64>,
    /// Epochs of every run.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch: usize,
    /// Which scrambled Sobol sequence.
    pub sobol_seed: u32,
    /// The spaces, one per optimizer, in the spec's order.
    pub spaces: Vec<Space>,
    /// The tasks.
    pub tasks: Vec<TuneTask>,
    /// Where image data comes from.
    pub data: ImageData,
}

/// `K` of the default study: 32 quasi-random trials per optimizer and task (its budgets: 1, 8
/// and 32).
pub const DEFAULT_TRIALS: usize = 32;

/// The default study's training-set sizes for Fashion-MNIST: the paper's, and four times it.
pub const FASHION_SIZES: [usize; 2] = [1000, 4000];

/// The `--quick` study: the teacher task only, 8 trials, budgets 1, 4 and 8, 10 epochs.
pub const QUICK_SPEC: &str = "trials = 8\nbudgets = [1, 4, 8]\nepochs = 10\n\
     [[task]]\ndataset = \"teacher\"\n";

impl Tune {
    /// Reads and checks a spec.
    pub fn parse(text: &str) -> Result<Tune, SpecError> {
        let raw: RawSpec = read_toml(text)?;
        Tune::check(raw)
    }

    fn check(raw: RawSpec) -> Result<Tune, SpecError> {
        let trials = raw.trials.unwrap_or(DEFAULT_TRIALS);
        if trials == 0 || trials > MAX_TRIALS {
            return Err(bad("trials", format!("must be in 1..={MAX_TRIALS}")));
        }
        let budgets = budgets(raw.budgets, trials)?;
        let epochs = positive("epochs", raw.epochs.unwrap_or(30))?;
        let batch = positive("batch", raw.batch.unwrap_or(protocol::BATCH))?;
        let (trial_seeds, final_seeds) =
            seeds(raw.trial_seeds, raw.final_seeds, raw.final_seed_start)?;
        let optimizers = optimizers(raw.optimizers)?;
        let spaces = spaces(&optimizers, raw.space.unwrap_or_default())?;
        let tasks = tasks(raw.task)?;
        let data = ImageData::check(
            raw.data,
            tasks.iter().any(TuneTask::classifies),
            "an image task (mnist or fashion-mnist)",
        )?;
        let tune = Tune {
            trials,
            budgets,
            trial_seeds,
            final_seeds,
            epochs,
            batch,
            sobol_seed: raw.sobol_seed.unwrap_or(0),
            spaces,
            tasks,
            data,
        };
        tune.check_size()?;
        Ok(tune)
    }

    /// Refuses a plan over [`MAX_RUNS`] or whose batch exceeds a training set.
    fn check_size(&self) -> Result<(), SpecError> {
        let per_task = self.spaces.len() as u128
            * (self.trials as u128 * self.trial_seeds.len() as u128
                + self.budgets.len() as u128 * self.final_seeds.len() as u128);
        let runs = per_task * self.tasks.len() as u128;
        if runs > u128::from(MAX_RUNS) {
            return Err(bad(
                "trials",
                format!("the study would plan {runs} runs, more than {MAX_RUNS}"),
            ));
        }
        if let Some(t) = self.tasks.iter().find(|t| t.train_size < self.batch) {
            return Err(bad(
                "batch",
                format!(
                    "{} is larger than task {}'s training set",
                    self.batch,
                    t.name()
                ),
            ));
        }
        Ok(())
    }

    /// The run of `task` with hyper-parameters from `space` at trial point `values`, on `seed`,
    /// measured on `held_out`: only the final epoch's errors are recorded.
    pub fn spec(
        &self,
        task: &TuneTask,
        space: &Space,
        values: &[(Param, f64)],
        seed: u64,
        held_out: HeldOut,
    ) -> RunSpec {
        RunSpec {
            task: self.data.task(task.dataset, task.train_size),
            arch: task.arch.clone(),
            batch: self.batch,
            epochs: self.epochs,
            init: Init::Lecun,
            hyper: space.hyper(values),
            optimizer: space.tuned.kind(),
            seed,
            recording: Recording::FinalOnly,
            precision: Precision::F32,
            held_out,
        }
    }
}

fn positive(key: &str, n: usize) -> Result<usize, SpecError> {
    if n == 0 {
        Err(bad(key, "must be at least 1"))
    } else {
        Ok(n)
    }
}

fn budgets(raw: Option<Vec<usize>>, trials: usize) -> Result<Vec<usize>, SpecError> {
    let budgets = raw.unwrap_or_else(|| {
        let mut b: Vec<usize> = [1, 8, trials]
            .into_iter()
            .filter(|&k| k <= trials)
            .collect();
        b.dedup();
        b
    });
    if budgets.is_empty() {
        return Err(bad("budgets", "no budgets: list at least one"));
    }
    for w in budgets.windows(2) {
        if w[0] >= w[1] {
            return Err(bad("budgets", "must be strictly increasing"));
        }
    }
    if budgets[0] == 0 {
        return Err(bad("budgets", "a budget must be at least 1 trial"));
    }
    let last = budgets[budgets.len() - 1];
    if last > trials {
        return Err(bad(
            "budgets",
            format!("budget {last} is larger than the {trials} trials"),
        ));
    }
    Ok(budgets)
}

fn seeds(
    trial: Option<u64>,
    finals: Option<u64>,
    start: Option<u64>,
) -> Result<(Vec<u64>, Vec<u64>), SpecError> {
    let trial = trial.unwrap_or(1);
    let finals = finals.unwrap_or(10);
    let start = start.unwrap_or(1000);
    if trial == 0 {
        return Err(bad("trial_seeds", "must be at least 1"));
    }
    if finals == 0 {
        return Err(bad("final_seeds", "must be at least 1"));
    }
    if trial > MAX_RUNS || finals > MAX_RUNS {
        return Err(bad("final_seeds", format!("at most {MAX_RUNS} seeds")));
    }
    if start < trial {
        return Err(bad(
            "final_seed_start",
            format!("{start} is a trial seed (trials use 0..{trial}): final seeds must be fresh"),
        ));
    }
    let end = start
        .checked_add(finals)
        .ok_or_else(|| bad("final_seed_start", "the seeds overflow 64 bits"))?;
    Ok(((0..trial).collect(), (start..end).collect()))
}

fn optimizers(raw: Option<Vec<String>>) -> Result<Vec<Tuned>, SpecError> {
    let Some(names) = raw else {
        return Ok(Tuned::DEFAULT.to_vec());
    };
    if names.is_empty() {
        return Err(bad("optimizers", "no optimizers: list at least one"));
    }
    let mut out = Vec::new();
    for name in &names {
        let t = Tuned::parse(name).map_err(|e| bad("optimizers", e))?;
        if out.contains(&t) {
            return Err(bad("optimizers", format!("`{name}` is listed twice")));
        }
        out.push(t);
    }
    Ok(out)
}

fn spaces(
    optimizers: &[Tuned],
    mut raw: BTreeMap<String, BTreeMap<String, RawDim>>,
) -> Result<Vec<Space>, SpecError> {
    let mut spaces = Vec::new();
    for &t in optimizers {
        let mut space = Space::default_for(t);
        let mut given = raw.remove(t.name()).unwrap_or_default();
        for (param, dim) in space.dims.iter_mut() {
            if let Some(value) = given.remove(param.key()) {
                let key = format!("space.{}.{}", t.name(), param.key());
                *dim = read_dim(&key, *param, value)?;
            }
        }
        if let Some(unknown) = given.keys().next() {
            let keys: Vec<&str> = t.params().iter().map(|p| p.key()).collect();
            return Err(bad(
                &format!("space.{}.{unknown}", t.name()),
                format!(
                    "`{}` has no parameter `{unknown}`; its parameters: {}",
                    t.name(),
                    keys.join(", ")
                ),
            ));
        }
        spaces.push(space);
    }
    if let Some(name) = raw.keys().next() {
        return Err(bad(
            &format!("space.{name}"),
            format!("`{name}` is not among the study's optimizers"),
        ));
    }
    same_lr_width(&spaces)?;
    Ok(spaces)
}

fn read_dim(key: &str, param: Param, raw: RawDim) -> Result<Dim, SpecError> {
    let ok = |v: f64| v.is_finite() && v > 0.0 && (!param.at_most_one() || v <= 1.0);
    let what = if param.at_most_one() {
        "positive and at most 1"
    } else {
        "positive and finite"
    };
    match raw {
        RawDim::Fixed(v) if ok(v) => Ok(Dim::Fixed(v)),
        RawDim::Fixed(v) => Err(bad(key, format!("{v} must be {what}"))),
        RawDim::Range(r) => {
            let [lo, hi] = r[..] else {
                return Err(bad(key, "a range is two numbers [lo, hi]"));
            };
            if !ok(lo) || !ok(hi) {
                return Err(bad(key, format!("both bounds must be {what}")));
            }
            if lo >= hi {
                return Err(bad(
                    key,
                    format!("[{lo}, {hi}] is empty or inverted: lo must be below hi"),
                ));
            }
            Ok(Dim::Searched(Range { lo, hi }))
        }
    }
}

/// Every optimizer whose learning rate is searched gets the same width in decades; the key
/// named is the first whose width differs from the most common one.
fn same_lr_width(spaces: &[Space]) -> Result<(), SpecError> {
    let widths: Vec<(Tuned, f64)> = spaces
        .iter()
        .filter_map(|s| s.lr_range().map(|r| (s.tuned, r.decades())))
        .collect();
    let same = |a: f64, b: f64| (a - b).abs() <= 1e-9;
    let count = |w: f64| widths.iter().filter(|(_, v)| same(*v, w)).count();
    let Some(&(common, w)) = widths.iter().max_by_key(|(_, w)| count(*w)) else {
        return Ok(());
    };
    match widths.iter().find(|(_, v)| !same(*v, w)) {
        None => Ok(()),
        Some(&(other, v)) => Err(bad(
            &format!("space.{}.lr", other.name()),
            format!(
                "spans {v:.3} decades, but `space.{}.lr` spans {w:.3}: every optimizer's \
                 learning rate is searched over the same width (the default: {LR_DECADES})",
                common.name()
            ),
        )),
    }
}

fn tasks(raw: Option<Vec<RawTask>>) -> Result<Vec<TuneTask>, SpecError> {
    let Some(raw) = raw else {
        let mut tasks = vec![
            default_task(TaskKind::Teacher, protocol::TOY_TRAIN_SIZE),
            default_task(
                TaskKind::Images(DatasetKind::Mnist),
                protocol::MNIST_TRAIN_SIZE,
            ),
        ];
        for m in FASHION_SIZES {
            tasks.push(default_task(TaskKind::Images(DatasetKind::Fashion), m));
        }
        return Ok(tasks);
    };
    if raw.is_empty() {
        return Err(bad("task", "no tasks: give at least one [[task]]"));
    }
    let mut tasks: Vec<TuneTask> = Vec::new();
    for t in raw {
        let dataset: TaskKind = t
            .dataset
            .parse()
            .map_err(|e: String| bad("task.dataset", e))?;
        let train_size = positive(
            "task.train_size",
            t.train_size.unwrap_or(default_train_size(dataset)),
        )?;
        let arch_text = t.arch.unwrap_or_else(|| default_arch(dataset).to_string());
        let arch: Arch = arch_text
            .parse()
            .map_err(|e| bad("task.arch", format!("`{arch_text}`: {e}")))?;
        if dataset != TaskKind::Teacher && (arch.input_width() != 784 || arch.output_width() != 10)
        {
            return Err(bad(
                "task.arch",
                format!("`{arch_text}`: image tasks need 784 inputs and 10 outputs"),
            ));
        }
        let task = TuneTask {
            dataset,
            train_size,
            arch,
        };
        if tasks.contains(&task) {
            return Err(bad("task", format!("{} is listed twice", task.name())));
        }
        tasks.push(task);
    }
    Ok(tasks)
}

fn default_task(dataset: TaskKind, train_size: usize) -> TuneTask {
    TuneTask {
        dataset,
        train_size,
        arch: default_arch(dataset)
            .parse()
            .expect("the paper's networks parse"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{Pool, TestSize};

    fn err(text: &str) -> String {
        Tune::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn the_default_study_is_four_tasks_five_optimizers_32_trials() {
        let t = Tune::parse("").unwrap();
        assert_eq!(t.trials, 32);
        assert_eq!(t.budgets, vec![1, 8, 32]);
        assert_eq!(t.trial_seeds, vec![0]);
        assert_eq!(t.final_seeds, (1000..1010).collect::<Vec<_>>());
        let names: Vec<String> = t.tasks.iter().map(TuneTask::name).collect();
        assert_eq!(
            names,
            [
                "teacher-M1000",
                "mnist-M1000",
                "fashion-mnist-M1000",
                "fashion-mnist-M4000"
            ]
        );
        assert_eq!(t.spaces.len(), 5);
        let quick = Tune::parse(QUICK_SPEC).unwrap();
        assert_eq!((quick.trials, quick.tasks.len()), (8, 1));
    }

    #[test]
    fn the_example_specs_read_and_the_default_one_is_the_default_study() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/tune");
        let read = |name: &str| {
            let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
            Tune::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        let written = read("default.toml");
        let default = Tune::parse("").unwrap();
        assert_eq!(written.spaces, default.spaces);
        assert_eq!(written.tasks, default.tasks);
        assert_eq!(
            (written.trials, &written.budgets, &written.final_seeds),
            (default.trials, &default.budgets, &default.final_seeds)
        );
        assert_eq!(
            (written.epochs, written.batch),
            (default.epochs, default.batch)
        );
        assert_eq!(read("teacher-rbp-vs-sgd.toml").trial_seeds, vec![0, 1, 2]);
    }

    #[test]
    fn a_space_entry_narrows_or_holds_a_parameter() {
        let t = Tune::parse(
            "optimizers = [\"rbp\", \"sgd\"]\n[space.rbp]\nlambda = 1e-4\n\
             one_minus_gamma0 = [1e-4, 1e-2]\n",
        )
        .unwrap();
        let rbp = &t.spaces[0];
        assert_eq!(rbp.dims[2], (Param::Lambda, Dim::Fixed(1e-4)));
        assert_eq!(
            rbp.dims[1],
            (
                Param::OneMinusGamma0,
                Dim::Searched(Range { lo: 1e-4, hi: 1e-2 })
            )
        );
    }

    #[test]
    fn the_data_table_reads_as_the_sweeps() {
        let t = Tune::parse(
            "[[task]]\ndataset = \"mnist\"\n[data]\npool = \"test\"\ntest_size = \"all\"\n\
             mnist_dir = \"/m\"\ndownload = true\n",
        )
        .unwrap();
        assert_eq!(t.data.pool, Pool::Test);
        assert_eq!(t.data.test_size, TestSize::All);
        assert_eq!(t.data.mnist_dir, Some(std::path::PathBuf::from("/m")));
        assert!(t.data.download);
    }

    #[test]
    fn bad_specs_name_the_key() {
        let cases = [
            ("optimizers = [\"sdg\"]", "`optimizers`"),
            ("optimizers = []", "`optimizers`"),
            ("[space.adam]\nbeta = [0.1, 0.2]", "`space.adam.beta`"),
            ("[space.adam]\neps = [1e-3, 1e-5]", "`space.adam.eps`"),
            ("[space.adam]\neps = [1e-3, 1e-3]", "`space.adam.eps`"),
            ("[space.adam]\neps = [0, 1e-3]", "`space.adam.eps`"),
            ("[space.adam]\neps = [1e-3]", "`space.adam.eps`"),
            (
                "[space.rbp]\none_minus_gamma0 = [0.1, 2]",
                "`space.rbp.one_minus_gamma0`",
            ),
            (
                "optimizers = [\"sgd\"]\n[space.adam]\neps = 1e-8",
                "`space.adam`",
            ),
            ("[space.sgd]\nlr = [0.1, 1]", "`space.sgd.lr`"),
            ("trials = 4\nbudgets = [1, 8]", "`budgets`"),
            ("budgets = [4, 2]", "`budgets`"),
            ("budgets = []", "`budgets`"),
            ("trials = 0", "`trials`"),
            ("trial_seeds = 0", "`trial_seeds`"),
            ("final_seeds = 0", "`final_seeds`"),
            (
                "trial_seeds = 5\nfinal_seed_start = 3",
                "`final_seed_start`",
            ),
            ("epochs = 0", "`epochs`"),
            ("[[task]]\ndataset = \"cifar\"", "`task.dataset`"),
            (
                "[[task]]\ndataset = \"mnist\"\narch = \"100-10\"",
                "`task.arch`",
            ),
            (
                "[[task]]\ndataset = \"teacher\"\n[data]\npool = \"test\"",
                "`data`",
            ),
            ("[data]\npool = \"valid\"", "`data.pool`"),
            ("[data]\ntest_size = 0", "`data.test_size`"),
            ("[data]\ntest_size = \"most\"", "`data.test_size`"),
        ];
        for (text, key) in cases {
            let m = err(text);
            assert!(m.starts_with(key), "{text}: {m}");
        }
        // Unknown keys, at the top or in a table, are named by the TOML reader.
        assert!(err("trails = 3").contains("trails"));
        assert!(err("[[task]]\ndataset = \"teacher\"\nsize = 3").contains("size"));
        assert!(err("[data]\ndir = \"x\"").contains("unknown field `dir`"));
    }
}
