//! The paper's own uncertainty: Fig. 5's "mean ± x" over five runs, read as SD and as SEM (the
//! paper says neither), the published magnitude a claim must reach given that uncertainty, and
//! the TOST's power at the paper's own gap.

use super::super::verdict::POWER;
use super::super::{Direction, PaperValue, Published};
use crate::report::format::Num;
use crate::stats;

/// How many independent runs the paper's ± stands on where it says (Fig. 5: "averaged over five
/// independent runs").
pub const PAPER_RUNS: f64 = 5.0;

/// The standard deviation of one run's difference `ours - other` implied by the paper's two
/// "mean ± x" values, under both readings of `x` (the paper does not say which): as standard
/// deviations, `sqrt(x1^2 + x2^2)`; as standard errors of a mean of [`PAPER_RUNS`] runs,
/// `sqrt(runs) sqrt(x1^2 + x2^2)`. The runs are independent (different data), not paired.
pub fn paper_difference_sd(ours: PaperValue, other: PaperValue) -> (f64, f64) {
    let sd = ours.std.hypot(other.std);
    (sd, sd * PAPER_RUNS.sqrt())
}

/// For an equivalence claim with published means: the TOST's power to show `±margin` at our `n`
/// and level `alpha` if the true difference is the paper's own gap, with the spread taken from
/// our seeds and from the paper under both readings of its ± ([`paper_difference_sd`]).
pub(super) fn paper_gap_power(
    ours: PaperValue,
    other: PaperValue,
    margin: f64,
    n: usize,
    our_sd: f64,
    alpha: f64,
) -> String {
    let gap = ours.mean - other.mean;
    let (as_sd, as_sem) = paper_difference_sd(ours, other);
    let power = |sd: f64| Num::Percent(0).show(stats::tost_power(n, sd, gap, margin, alpha));
    let weakest = [our_sd, as_sd, as_sem]
        .map(|sd| stats::tost_power(n, sd, gap, margin, alpha))
        .into_iter()
        .fold(f64::INFINITY, f64::min);
    let warning = if weakest < POWER || weakest.is_nan() {
        format!(
            "; below {} power: n = {n} cannot show similarity reliably, so \"not shown equivalent\" is no evidence of a difference",
            Num::Percent(0).show(POWER)
        )
    } else {
        String::new()
    };
    format!(
        "; power to show ±{} at the paper's gap {} with n = {n}: {} (our sd), {} (paper's ± as SD), {} (paper's ± as SEM; the paper does not say which){warning}",
        Num::Fixed(3).show(margin),
        Num::SignedFixed(4).show(gap),
        power(our_sd),
        power(as_sd),
        power(as_sem),
    )
}

/// The published magnitude our interval must reach. Where the paper gives its own uncertainty
/// (means ± x), it is the weakest end of the paper's 95% interval of the change under the wider
/// of the two readings of x ([`paper_change_interval`]): our effect is called weaker only when it
/// is weaker than anything the paper's own numbers allow.
pub(super) fn published_target(published: &Published, expect: Direction) -> Option<f64> {
    match *published {
        Published::Bytes { ours, other } => Some(ours / other - 1.0),
        Published::Errors { ours, other, .. } => {
            let (lo, hi) = paper_change_interval(ours, other);
            Some(match expect {
                Direction::Lower => hi,
                Direction::Higher => lo,
            })
        }
        _ => published.change(),
    }
}

/// The paper's own 95% interval of the change `ours.mean / other.mean - 1`, reading its ± as
/// standard errors of the mean of [`PAPER_RUNS`] runs (the wider of the two readings): on the
/// log scale, `ln(ratio) ± t_{0.975, 2 (runs - 1)} sqrt((x1 / m1)^2 + (x2 / m2)^2)` by the delta
/// method, mapped back.
pub fn paper_change_interval(ours: PaperValue, other: PaperValue) -> (f64, f64) {
    let se = (ours.std / ours.mean).hypot(other.std / other.mean);
    let t = stats::student_t_quantile(0.975, 2.0 * (PAPER_RUNS - 1.0));
    let log_ratio = (ours.mean / other.mean).ln();
    (
        (log_ratio - t * se).exp() - 1.0,
        (log_ratio + t * se).exp() - 1.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paper_spread_readings_follow_their_formulas() {
        let [sgd, rbp, adam] = crate::paper::FIG5_CLASS_ERROR;
        let (as_sd, as_sem) = paper_difference_sd(rbp, adam);
        assert!((as_sd - (0.0029f64.powi(2) + 0.0073f64.powi(2)).sqrt()).abs() < 1e-15);
        assert!((as_sem - as_sd * 5f64.sqrt()).abs() < 1e-15);
        // The change 0.1138 / 0.2660 - 1 = -57.2% lies inside the paper's interval.
        let (lo, hi) = paper_change_interval(rbp, sgd);
        let change = rbp.mean / sgd.mean - 1.0;
        assert!(lo < change && change < hi, "{lo} {change} {hi}");
        // se = hypot(0.0029/0.1138, 0.0050/0.2660) = 0.03166; t_{0.975, 8} = 2.306 (tables).
        let want_hi = ((rbp.mean / sgd.mean).ln() + 2.306 * 0.031_66).exp() - 1.0;
        assert!((hi - want_hi).abs() < 2e-4, "{hi} vs {want_hi}");
    }

    #[test]
    fn a_published_mean_pm_x_is_reached_at_the_weakest_end_of_its_interval() {
        // Fig. 5's R-BackProp vs BackProp: not the point -57.2% but the upper (weakest) end of the
        // paper's own interval is what a "lower" claim must reach; "higher" takes the lower end.
        let [sgd, rbp, _] = crate::paper::FIG5_CLASS_ERROR;
        let published = Published::Errors {
            ours: rbp,
            other: sgd,
            basis: "",
        };
        let (lo, hi) = paper_change_interval(rbp, sgd);
        assert_eq!(published_target(&published, Direction::Lower), Some(hi));
        assert_eq!(published_target(&published, Direction::Higher), Some(lo));
        assert!(hi > rbp.mean / sgd.mean - 1.0);
        // Other published forms keep their own number.
        let bytes = Published::Bytes {
            ours: 4.0,
            other: 8.0,
        };
        assert_eq!(published_target(&bytes, Direction::Lower), Some(-0.5));
    }
}
