//! What a run learns: the teacher-student task or an image data set, with the rule that draws
//! each run's training and test examples from its seed.

use rbp_datasets::mnist::DatasetKind;
use serde::{Deserialize, Serialize};

/// Where the training images of an image task come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pool {
    /// Training subsets from the training file, test subsets from the test file.
    Train,
    /// Disjoint training and test subsets, both from the 10k test file.
    Test,
}

impl std::fmt::Display for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Pool::Train => "train",
            Pool::Test => "test",
        })
    }
}

impl std::str::FromStr for Pool {
    type Err = String;
    fn from_str(s: &str) -> Result<Pool, String> {
        match s {
            "train" => Ok(Pool::Train),
            "test" => Ok(Pool::Test),
            _ => Err(format!("unknown pool `{s}`; expected train or test")),
        }
    }
}

/// How many test images each run is scored on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TestSize {
    /// This many.
    Count(usize),
    /// Every test image available (with [`Pool::Test`]: all those not drawn for training).
    All,
}

impl std::fmt::Display for TestSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TestSize::Count(n) => write!(f, "{n}"),
            TestSize::All => f.write_str("all"),
        }
    }
}

impl std::str::FromStr for TestSize {
    type Err = String;
    fn from_str(s: &str) -> Result<TestSize, String> {
        match s {
            "all" => Ok(TestSize::All),
            _ => match s.parse::<usize>() {
                Ok(n) if n > 0 => Ok(TestSize::Count(n)),
                _ => Err(format!("`{s}` is neither a positive number nor `all`")),
            },
        }
    }
}

/// Which task a run learns, without its sizes: the name studies, specs and flags use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TaskKind {
    /// The paper's teacher-student task.
    Teacher,
    /// MNIST or Fashion-MNIST.
    Images(DatasetKind),
}

impl TaskKind {
    /// Every kind, in the order of [`TaskKind::NAMES`].
    pub const ALL: [TaskKind; 3] = [
        TaskKind::Teacher,
        TaskKind::Images(DatasetKind::Mnist),
        TaskKind::Images(DatasetKind::Fashion),
    ];

    /// The names [`TaskKind::from_str`](std::str::FromStr) accepts.
    pub const NAMES: [&'static str; 3] = ["teacher", "mnist", "fashion-mnist"];

    /// `teacher`, `mnist` or `fashion-mnist`.
    pub fn name(self) -> &'static str {
        match self {
            TaskKind::Teacher => Self::NAMES[0],
            TaskKind::Images(DatasetKind::Mnist) => Self::NAMES[1],
            TaskKind::Images(DatasetKind::Fashion) => Self::NAMES[2],
        }
    }
}

impl std::fmt::Display for TaskKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for TaskKind {
    type Err = String;
    fn from_str(s: &str) -> Result<TaskKind, String> {
        TaskKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown task `{s}`; expected one of {}",
                    TaskKind::NAMES.join(", ")
                )
            })
    }
}

/// Which held-out examples a run is scored on. Training examples, initial weights and batch
/// order do not depend on it, so a run and its twin scored on the other split train the same
/// weights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HeldOut {
    /// The test split: what a study reports.
    #[default]
    Test,
    /// The validation split, disjoint from training and test: what a study selects on. The
    /// teacher task draws as many extra examples from the same teacher as it has test examples;
    /// an image task holds them out of the pool its training images come from.
    Validation,
}

impl HeldOut {
    /// Whether this is the test split (left out of run ids, so ids from before validation
    /// splits existed are unchanged).
    pub fn is_test(&self) -> bool {
        *self == HeldOut::Test
    }
}

impl std::fmt::Display for HeldOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HeldOut::Test => "test",
            HeldOut::Validation => "validation",
        })
    }
}

/// The data a run trains and is tested on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Task {
    /// The paper's teacher-student task (Sec. II): `train_size` training examples and as many
    /// test examples, drawn from the run seed's teacher.
    Teacher {
        /// Training examples (`M`).
        train_size: usize,
    },
    /// MNIST or Fashion-MNIST (Fig. 5's protocol): each run draws `train_size` training images
    /// and `test_size` test images with its seed, from the pool `pool` (as `rbp mnist --pool`).
    /// Where the files are is not part of the run: the same files anywhere give the same run.
    Images {
        /// Which data set.
        dataset: DatasetKind,
        /// Where the training images come from.
        pool: Pool,
        /// Training images per run (`M`).
        train_size: usize,
        /// Test images per run.
        test_size: TestSize,
    },
}

impl Task {
    /// Training examples.
    pub fn train_size(&self) -> usize {
        match self {
            Task::Teacher { train_size } | Task::Images { train_size, .. } => *train_size,
        }
    }

    /// Which task, without its sizes.
    pub fn kind(&self) -> TaskKind {
        match self {
            Task::Teacher { .. } => TaskKind::Teacher,
            Task::Images { dataset, .. } => TaskKind::Images(*dataset),
        }
    }

    /// `teacher`, `mnist` or `fashion-mnist`.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_kinds_read_back_their_names_and_refuse_others_by_name() {
        for kind in TaskKind::ALL {
            assert_eq!(kind.name().parse::<TaskKind>(), Ok(kind));
        }
        let task = Task::Images {
            dataset: DatasetKind::Fashion,
            pool: Pool::Test,
            train_size: 5,
            test_size: TestSize::All,
        };
        assert_eq!(task.kind(), TaskKind::Images(DatasetKind::Fashion));
        assert_eq!(task.name(), "fashion-mnist");
        let err = "cifar".parse::<TaskKind>().unwrap_err();
        assert!(
            err.contains("`cifar`") && err.contains("fashion-mnist"),
            "{err}"
        );
    }
}
