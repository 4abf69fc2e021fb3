//! Shapes of one error curve that the paper's claims describe: a temporary peak, small
//! fluctuations, a minimum followed by over-fitting, and how fast a curve falls. Pure functions
//! of `(epoch, error)` points, so the claims' tests can feed them synthetic curves.

use crate::experiment::RunResult;
use rbp_core::train::EpochRecord;

/// One curve: the epochs measured and the error at each.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// Epochs, increasing.
    pub epochs: Vec<usize>,
    /// The error at each epoch.
    pub error: Vec<f64>,
}

impl Curve {
    /// `error` of every record of `run`.
    pub fn of(run: &RunResult, error: fn(&EpochRecord) -> f64) -> Curve {
        Curve {
            epochs: run.records.iter().map(|e| e.epoch).collect(),
            error: run.records.iter().map(error).collect(),
        }
    }

    /// A curve measured at epochs `0, 1, ...` (for tests and synthetic curves).
    pub fn every_epoch(error: &[f64]) -> Curve {
        Curve {
            epochs: (0..error.len()).collect(),
            error: error.to_vec(),
        }
    }

    /// The error at `epoch`, if measured.
    pub fn at(&self, epoch: usize) -> Option<f64> {
        let i = self.epochs.iter().position(|&e| e == epoch)?;
        Some(self.error[i])
    }

    /// The epoch of the lowest error (the first, on ties); `None` for an empty curve.
    pub fn argmin(&self) -> Option<usize> {
        let i = (0..self.error.len()).min_by(|&a, &b| self.error[a].total_cmp(&self.error[b]))?;
        Some(self.epochs[i])
    }

    /// `ln(error(to) / error(from)) / (to - from)`: the mean log change per epoch (negative =
    /// falling); NaN when either epoch is missing or `to <= from`.
    pub fn log_rate(&self, from: usize, to: usize) -> f64 {
        match (self.at(from), self.at(to)) {
            (Some(a), Some(b)) if to > from => (b / a).ln() / (to - from) as f64,
            _ => f64::NAN,
        }
    }

    /// The epochs of the tops of every rise-and-fall episode of at least `rise`: the error climbs
    /// to at least `(1 + rise)` times its lowest value since the last episode, then falls to at
    /// most `(1 - rise)` times the top. Episodes do not overlap.
    pub fn episodes(&self, rise: f64) -> Vec<usize> {
        let mut tops = Vec::new();
        let mut low = f64::INFINITY;
        let mut top: Option<(usize, f64)> = None;
        for (&epoch, &y) in self.epochs.iter().zip(&self.error) {
            match top {
                Some((_, t)) if y > t => top = Some((epoch, y)),
                Some((at, t)) if y <= (1.0 - rise) * t => {
                    tops.push(at);
                    top = None;
                    low = y;
                }
                Some(_) => {}
                None if y >= (1.0 + rise) * low => top = Some((epoch, y)),
                None => low = low.min(y),
            }
        }
        tops
    }

    /// Whether a rise-and-fall of at least `rise` has its top in `from..=to` (see
    /// [`Curve::peak_tops`]).
    pub fn peak_in(&self, rise: f64, (from, to): (usize, usize)) -> bool {
        self.peak_tops(rise)
            .into_iter()
            .any(|e| (from..=to).contains(&e))
    }

    /// The epoch of the top of every temporary peak: a point at least `rise` above the lowest
    /// error before it and followed later by an error at least `rise` below it qualifies; each
    /// run of consecutive qualifying points is one peak, its top the highest of them.
    pub fn peak_tops(&self, rise: f64) -> Vec<usize> {
        let y = &self.error;
        let n = y.len();
        let mut suffix_min = vec![f64::INFINITY; n + 1];
        for i in (0..n).rev() {
            suffix_min[i] = suffix_min[i + 1].min(y[i]);
        }
        let mut prefix_min = f64::INFINITY;
        let mut tops: Vec<usize> = Vec::new();
        let mut current: Option<usize> = None;
        for j in 0..n {
            let qualifies =
                y[j] >= (1.0 + rise) * prefix_min && suffix_min[j + 1] <= (1.0 - rise) * y[j];
            current = match (qualifies, current) {
                (true, Some(top)) if y[j] > y[top] => Some(j),
                (true, Some(top)) => Some(top),
                (true, None) => Some(j),
                (false, Some(top)) => {
                    tops.push(self.epochs[top]);
                    None
                }
                (false, None) => None,
            };
            prefix_min = prefix_min.min(y[j]);
        }
        tops.extend(current.map(|top| self.epochs[top]));
        tops
    }
}

/// Whether `curve` has a temporary peak of at least `rise` anywhere.
pub fn has_peak(curve: &[f64], rise: f64) -> bool {
    !Curve::every_epoch(curve).peak_tops(rise).is_empty()
}

/// The over-fitting pattern of `fig3-early-minimum`: the test error's lowest point lies in
/// `window`, and `span` epochs later the test error is higher while the training error is lower.
pub fn overfits(test: &Curve, train: &Curve, window: (usize, usize), span: usize) -> bool {
    let Some(e) = test.argmin() else {
        return false;
    };
    let later = e + span;
    let rises = matches!((test.at(e), test.at(later)), (Some(a), Some(b)) if b > a);
    let train_falls = matches!((train.at(e), train.at(later)), (Some(a), Some(b)) if b < a);
    (window.0..=window.1).contains(&e) && rises && train_falls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peak_needs_a_rise_and_a_fall_of_the_threshold() {
        // Falls to 1.0, rises 20% to 1.2, falls back 20% to 0.96: a peak at 10%, not at 25%.
        let bump = [2.0, 1.0, 1.2, 0.96];
        assert!(has_peak(&bump, 0.10));
        assert!(!has_peak(&bump, 0.25));
        // Rising at the end without falling back, or falling monotonically: no peak.
        assert!(!has_peak(&[2.0, 1.0, 1.5], 0.10));
        assert!(!has_peak(&[3.0, 2.0, 1.0, 0.5], 0.10));
        // Exactly on the fall threshold counts: 1.25 -> 1.0 is -20%.
        assert!(has_peak(&[1.0, 1.25, 1.0], 0.2));
        assert!(!has_peak(&[], 0.1));
        let c = Curve::every_epoch(&bump);
        assert!(c.peak_in(0.1, (2, 3)));
        assert!(!c.peak_in(0.1, (3, 3)));
        // A broad peak is one peak, dated by its top, not by the first point past the threshold.
        let broad = Curve::every_epoch(&[1.0, 1.15, 1.3, 1.2, 0.8]);
        assert_eq!(broad.peak_tops(0.1), vec![2]);
    }

    #[test]
    fn episodes_count_separate_bumps() {
        // Two 5% bumps, then a 1% wiggle: two episodes at 2%, none at 10%.
        let c = Curve::every_epoch(&[1.0, 1.05, 0.99, 0.9, 0.95, 0.9, 0.909, 0.9]);
        assert_eq!(c.episodes(0.02), vec![1, 4]);
        assert!(c.episodes(0.10).is_empty());
    }

    #[test]
    fn overfitting_needs_the_window_a_rising_test_and_a_falling_train_error() {
        let test = Curve::every_epoch(&[1.0, 0.8, 0.5, 0.6, 0.7, 0.8]);
        let falling = Curve::every_epoch(&[1.0, 0.8, 0.5, 0.4, 0.3, 0.2]);
        let diverging = Curve::every_epoch(&[1.0, 0.8, 0.5, 0.6, 0.7, 0.8]);
        assert!(overfits(&test, &falling, (1, 3), 2));
        assert!(!overfits(&test, &diverging, (1, 3), 2));
        assert!(!overfits(&test, &falling, (3, 4), 2));
        assert!((test.log_rate(2, 4) - (0.7f64 / 0.5).ln() / 2.0).abs() < 1e-15);
        assert!(test.log_rate(4, 2).is_nan());
    }
}
