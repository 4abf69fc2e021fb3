//! Readings: the choices the paper leaves open, picked with `--reading`.
//!
//! The paper does not say which previous gradient R-BackProp adds (the accumulated one it used, or
//! the raw one), whether `eta0 beta^t` counts updates or epochs, nor how weights start. Each
//! combination is a *reading* of the paper; `rbp reproduce` runs the protocol's three by default
//! (primary, co-primary, init sensitivity) or those `--reading` names. Which reading is primary
//! is fixed by the protocol ([`crate::paper::protocol::PRIMARY`]), never by the order of the
//! flags; readings other than the primary and co-primary form the sensitivity table and are
//! exploratory.

use crate::experiment::Settings;
use rbp_core::init::Init;
use rbp_core::optim::{LrClock, Reinforce};

/// One way to read the paper's unspecified details.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    pub reinforce: Reinforce,
    pub lr_clock: LrClock,
    pub init: Init,
}

/// The words `--reading` accepts, per dimension, first = default.
const REINFORCE: [(&str, Reinforce); 2] = [
    ("accumulated", Reinforce::Accumulated),
    ("raw", Reinforce::Raw),
];
const CLOCK: [(&str, LrClock); 2] = [("iteration", LrClock::Iteration), ("epoch", LrClock::Epoch)];
const INIT: [(&str, Init); 2] = [("lecun", Init::Lecun), ("normal", Init::Normal)];

/// Why `--reading` was rejected.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ReadingError {
    #[error(
        "--reading: unknown value `{0}`; valid values: all, or a comma-separated choice of at most one \
         of each of accumulated|raw (g_prev), iteration|epoch (lr clock), lecun|normal (init), \
         e.g. `--reading raw,epoch`"
    )]
    Unknown(String),
    #[error("--reading `{spec}`: `{first}` and `{second}` both set the {what}; give one")]
    Conflict {
        spec: String,
        first: String,
        second: String,
        what: &'static str,
    },
    #[error("--reading: empty value; give `all` or e.g. `accumulated,iteration,lecun`")]
    Empty,
}

impl Default for Reading {
    /// The defaults of the training core: accumulated, iteration, lecun (the protocol's primary).
    fn default() -> Reading {
        Reading {
            reinforce: REINFORCE[0].1,
            lr_clock: CLOCK[0].1,
            init: INIT[0].1,
        }
    }
}

impl Reading {
    /// Applies this reading to a run's settings: which `g_prev`, which learning-rate clock,
    /// which initialization. Everything else keeps its value.
    pub fn apply(&self, settings: &mut Settings) {
        settings.init = self.init;
        settings.hyper.lr_clock = self.lr_clock;
        settings.hyper.rbp.reinforce = self.reinforce;
    }

    /// Every combination, the default first.
    pub fn all() -> Vec<Reading> {
        let mut out = Vec::new();
        for &(_, reinforce) in &REINFORCE {
            for &(_, lr_clock) in &CLOCK {
                for &(_, init) in &INIT {
                    out.push(Reading {
                        reinforce,
                        lr_clock,
                        init,
                    });
                }
            }
        }
        out
    }

    /// `accumulated-iteration-lecun`: used in file names and tables.
    pub fn name(&self) -> String {
        format!(
            "{}-{}-{}",
            self.reinforce.name(),
            self.lr_clock.name(),
            self.init.name()
        )
    }

    /// Parses one `--reading` value: `all`, or comma-separated words with at most one per
    /// dimension; dimensions not named keep their default.
    pub fn parse_one(spec: &str) -> Result<Vec<Reading>, ReadingError> {
        let words: Vec<&str> = spec
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .collect();
        if words.is_empty() {
            return Err(ReadingError::Empty);
        }
        if words.len() == 1 && words[0].eq_ignore_ascii_case("all") {
            return Ok(Reading::all());
        }
        let mut r = Reading::default();
        let mut seen: [Option<&str>; 3] = [None; 3];
        const WHAT: [&str; 3] = ["previous gradient (g_prev)", "learning-rate clock", "init"];
        for w in words {
            let lower = w.to_ascii_lowercase();
            let dim = if let Some(&(_, v)) = REINFORCE.iter().find(|(n, _)| *n == lower) {
                r.reinforce = v;
                0
            } else if let Some(&(_, v)) = CLOCK.iter().find(|(n, _)| *n == lower) {
                r.lr_clock = v;
                1
            } else if let Some(&(_, v)) = INIT.iter().find(|(n, _)| *n == lower) {
                r.init = v;
                2
            } else {
                return Err(ReadingError::Unknown(w.to_string()));
            };
            if let Some(first) = seen[dim] {
                return Err(ReadingError::Conflict {
                    spec: spec.to_string(),
                    first: first.to_string(),
                    second: w.to_string(),
                    what: WHAT[dim],
                });
            }
            seen[dim] = Some(w);
        }
        Ok(vec![r])
    }

    /// Parses every `--reading` value given (the flag may repeat); duplicates are dropped, order
    /// kept. No value means the protocol's readings
    /// ([`crate::paper::protocol::default_readings`]).
    pub fn parse_all<S: AsRef<str>>(specs: &[S]) -> Result<Vec<Reading>, ReadingError> {
        let mut out: Vec<Reading> = Vec::new();
        for spec in specs {
            for r in Reading::parse_one(spec.as_ref())? {
                if !out.contains(&r) {
                    out.push(r);
                }
            }
        }
        if out.is_empty() {
            out = crate::paper::protocol::default_readings();
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_defaults_partial_and_all() {
        assert_eq!(
            Reading::parse_all::<&str>(&[]).unwrap(),
            crate::paper::protocol::default_readings()
        );
        let r = Reading::parse_one("raw,epoch").unwrap();
        assert_eq!(r[0].name(), "raw-epoch-lecun");
        let r = Reading::parse_one("Accumulated, iteration ,normal").unwrap();
        assert_eq!(r[0].name(), "accumulated-iteration-normal");
        let all = Reading::parse_one("all").unwrap();
        assert_eq!(all.len(), 8);
        assert_eq!(all[0], Reading::default());
        let both = Reading::parse_all(&["raw", "all"]).unwrap();
        assert_eq!(both.len(), 8);
        assert_eq!(both[0].name(), "raw-iteration-lecun");
    }

    #[test]
    fn rejects_bad_values_clearly() {
        let e = Reading::parse_one("foo").unwrap_err();
        assert!(e.to_string().contains("accumulated|raw"), "{e}");
        let e = Reading::parse_one("raw,accumulated").unwrap_err();
        assert!(e.to_string().contains("give one"), "{e}");
        assert!(matches!(e, ReadingError::Conflict { .. }), "{e}");
        assert_eq!(Reading::parse_one(" , ").unwrap_err(), ReadingError::Empty);
    }

    #[test]
    fn the_primary_reading_does_not_depend_on_flag_order() {
        use crate::experiment::reproduce::order_readings;
        use crate::paper::protocol::{CO_PRIMARY, PRIMARY};
        let first = order_readings(Reading::parse_all(&["raw,epoch", "all"]).unwrap());
        let second = order_readings(Reading::parse_all(&["all", "epoch,raw"]).unwrap());
        assert_eq!(first[0], PRIMARY);
        assert_eq!(second[0], PRIMARY);
        assert_eq!((first[1], second[1]), (CO_PRIMARY, CO_PRIMARY));
        // Named alone, raw/epoch is a sensitivity reading: it never takes the primary's place.
        let alone = order_readings(Reading::parse_all(&["raw,epoch"]).unwrap());
        assert_eq!(
            crate::paper::protocol::role(&alone[0]),
            crate::paper::protocol::ReadingRole::Sensitivity
        );
        let swapped = order_readings(Reading::parse_all(&["raw", "accumulated"]).unwrap());
        assert_eq!(swapped, vec![PRIMARY, CO_PRIMARY]);
    }
}
