//! Which runs of a list this process trains: all, one shard's share (`--shard I/N`), or none
//! (`--merge`, which only reads results).

use std::fmt;
use std::str::FromStr;

/// `--shard I/N`: this process trains the runs whose index in the run list is `I` modulo `N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// `I`, in `0..count`.
    pub index: usize,
    /// `N`, at least 1.
    pub count: usize,
}

impl Shard {
    /// Whether run `i` of the list is this shard's.
    pub fn owns(&self, i: usize) -> bool {
        i % self.count == self.index
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad =
            || format!("`{s}` is not I/N with 0 <= I < N (e.g. 0/4 for the first of 4 shards)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What to do with runs whose result files are missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Train them (`None`: all; `Some(shard)`: only the shard's).
    Train(Option<Shard>),
    /// Train nothing: build from the result files alone (`--merge`).
    Merge,
}
