//! How numbers are written in every table, report and terminal line: one [`Num`] style per
//! number, and the compositions built on it (mean ± std, intervals, p-values, durations).
//!
//! CSV and JSON files keep Rust's shortest round-trip form (`Display`) and do not come here:
//! they must read back exactly. The precision of each text is the caller's choice, passed as a
//! [`Num`], so that what a file says does not change when the code moves.

use crate::stats::Summary;

/// How one number is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Num {
    /// That many decimals: `Fixed(4)` writes `0.1234`.
    Fixed(usize),
    /// [`Num::Fixed`] with an explicit sign: `SignedFixed(3)` writes `+0.123`.
    SignedFixed(usize),
    /// Scientific, that many decimals in the mantissa: `Sci(3)` writes `1.234e-2`.
    Sci(usize),
    /// [`Num::Sci`] with an explicit sign: `+1.234e-2`.
    SignedSci(usize),
    /// A fraction as a percentage with that many decimals: `Percent(1)` writes 0.1234 as `12.3%`.
    Percent(usize),
    /// [`Num::Percent`] with an explicit sign: `-77.5%`.
    SignedPercent(usize),
    /// Four decimals for `1e-3 <= |x| < 1e4`, else `Sci(3)` (`0.1234`, `1.234e-5`); 0 and
    /// non-finite values as Rust writes them (`0`, `NaN`, `inf`).
    Short,
}

impl Num {
    /// `x` in this style.
    pub fn show(self, x: f64) -> String {
        match self {
            Num::Fixed(d) => format!("{x:.d$}"),
            Num::SignedFixed(d) => format!("{x:+.d$}"),
            Num::Sci(d) => format!("{x:.d$e}"),
            Num::SignedSci(d) => format!("{x:+.d$e}"),
            Num::Percent(d) => format!("{:.d$}%", 100.0 * x),
            Num::SignedPercent(d) => format!("{:+.d$}%", 100.0 * x),
            Num::Short if x == 0.0 || !x.is_finite() => format!("{x}"),
            Num::Short if x.abs() >= 1e4 || x.abs() < 1e-3 => Num::Sci(3).show(x),
            Num::Short => Num::Fixed(4).show(x),
        }
    }

    /// The style of a spread written next to a value in this style: scientific spreads keep one
    /// decimal (`1.2345e-2 ± 3.1e-4`), the others the value's own style.
    pub fn spread(self) -> Num {
        match self {
            Num::Sci(_) | Num::SignedSci(_) => Num::Sci(1),
            _ => self,
        }
    }
}

/// A relative change as every report writes it: `-77.5%` (see [`crate::stats::relative_change`]).
pub const CHANGE: Num = Num::SignedPercent(1);

/// `mean ± std`, the mean in `num` and the std in `num.spread()`: `1.2345e-2 ± 3.1e-4`,
/// `0.1138 ± 0.0029`.
pub fn mean_std(mean: f64, std: f64, num: Num) -> String {
    format!("{} ± {}", num.show(mean), num.spread().show(std))
}

/// How the two ends of an interval are joined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interval {
    /// `lo to hi`.
    To,
    /// `lo – hi` (an en dash).
    Dash,
    /// `[lo, hi]`.
    Brackets,
}

/// The interval `(lo, hi)` in `num`, joined as `how` says.
pub fn interval((lo, hi): (f64, f64), num: Num, how: Interval) -> String {
    let (lo, hi) = (num.show(lo), num.show(hi));
    match how {
        Interval::To => format!("{lo} to {hi}"),
        Interval::Dash => format!("{lo} – {hi}"),
        Interval::Brackets => format!("[{lo}, {hi}]"),
    }
}

/// `95% CI lo to hi`.
pub fn ci95(ci: (f64, f64), num: Num) -> String {
    format!("95% CI {}", interval(ci, num, Interval::To))
}

/// A coverage level as a percentage with at most two decimals and no trailing zeros: `95%`,
/// `99.67%`, `99.5%`.
pub fn level(level: f64) -> String {
    let text = format!("{:.2}", 100.0 * level);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// `99.67% CI lo to hi`: an interval with the coverage it has, so an adjusted interval is never
/// called a 95% one.
pub fn ci_at(ci: (f64, f64), coverage: f64, num: Num) -> String {
    format!("{} CI {}", level(coverage), interval(ci, num, Interval::To))
}

/// A whole [`Summary`]: `mean ± std (95% CI lo – hi, n = N)`.
pub fn summary(s: &Summary, num: Num) -> String {
    format!(
        "{} (95% CI {}, n = {})",
        mean_std(s.mean, s.std, num),
        interval(s.ci95, num, Interval::Dash),
        s.n
    )
}

/// A p-value in a table: four decimals, scientific below 1e-4 (`3.2e-6`), `–` when no test was
/// made (NaN).
pub fn p_value(p: f64) -> String {
    if p.is_nan() {
        "–".into()
    } else if p < 1e-4 {
        Num::Sci(1).show(p)
    } else {
        Num::Fixed(4).show(p)
    }
}

/// Seconds with `digits` decimals: `12.3 s`.
pub fn seconds(s: f64, digits: usize) -> String {
    format!("{} s", Num::Fixed(digits).show(s))
}

/// A duration given in nanoseconds, in a unit that fits: `1.23 ms`, `456.7 µs`, `89 ns`.
pub fn duration_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_and_compositions() {
        assert_eq!(Num::Fixed(4).show(0.11378), "0.1138");
        assert_eq!(Num::SignedFixed(3).show(0.5), "+0.500");
        assert_eq!(Num::SignedSci(3).show(0.0123456), "+1.235e-2");
        assert_eq!(Num::Percent(0).show(0.1), "10%");
        assert_eq!(CHANGE.show(-0.775), "-77.5%");
        let short = [0.0, f64::NAN, 12.5, 1.5e-5, -2.0e4].map(|x| Num::Short.show(x));
        assert_eq!(short, ["0", "NaN", "12.5000", "1.500e-5", "-2.000e4"]);
        assert_eq!(
            mean_std(0.012345, 0.00031, Num::Sci(4)),
            "1.2345e-2 ± 3.1e-4"
        );
        assert_eq!(mean_std(0.1138, 0.0029, Num::Fixed(4)), "0.1138 ± 0.0029");
        let brackets = interval((0.1, 0.2), Num::Fixed(1), Interval::Brackets);
        assert_eq!(brackets, "[0.1, 0.2]");
        assert_eq!(ci95((-0.5, 0.25), CHANGE), "95% CI -50.0% to +25.0%");
        assert_eq!(
            ci_at((-0.5, 0.25), 1.0 - 0.05 / 15.0, CHANGE),
            "99.67% CI -50.0% to +25.0%"
        );
        assert_eq!(level(0.95), "95%");
        assert_eq!(level(0.995), "99.5%");
        let s = crate::stats::summarize(&[1.0, 1.0]);
        let want = "1.0e0 ± 0.0e0 (95% CI 1.0e0 – 1.0e0, n = 2)";
        assert_eq!(summary(&s, Num::Sci(1)), want);
        let p = [f64::NAN, 0.00002, 0.0312].map(p_value);
        assert_eq!(p, ["–", "2.0e-5", "0.0312"]);
        assert_eq!(seconds(72.26, 1), "72.3 s");
        let d = [1_234_567.0, 456.7e3, 89.0].map(duration_ns);
        assert_eq!(d, ["1.23 ms", "456.7 µs", "89 ns"]);
    }
}
