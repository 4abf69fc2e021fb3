//! How numbers are written in every table, report and terminal line: one [`Num`] style per
//! number, and the compositions built on it (mean ± std, intervals, p-values, durations).
//!
//! CSV and JSON files keep Rust's shortest round-trip form (`Display`) and do not come here:
//! they must read back exactly. The precision of each text is the caller's choice, passed as a
//! [`Num`], so that what a file says does not change when the code moves.

use crate::stats::Summary;

/// The notation of a [`Num`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Notation {
    Fixed,
    Sci,
    Percent,
    Short,
}

/// How one number is written: a notation, a number of decimals, and whether `+` is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Num {
    notation: Notation,
    digits: usize,
    plus: bool,
}

impl Num {
    /// `digits` decimals: `fixed(4)` writes `0.1234`.
    pub const fn fixed(digits: usize) -> Num {
        Num {
            notation: Notation::Fixed,
            digits,
            plus: false,
        }
    }

    /// Scientific, `digits` decimals in the mantissa: `sci(3)` writes `1.234e-2`.
    pub const fn sci(digits: usize) -> Num {
        Num {
            notation: Notation::Sci,
            digits,
            plus: false,
        }
    }

    /// A fraction as a percentage with `digits` decimals: `percent(1)` writes 0.1234 as `12.3%`.
    pub const fn percent(digits: usize) -> Num {
        Num {
            notation: Notation::Percent,
            digits,
            plus: false,
        }
    }

    /// Four decimals for `1e-3 <= |x| < 1e4`, else scientific with three (`0.1234`, `1.234e-5`);
    /// 0 and non-finite values as Rust writes them (`0`, `NaN`, `inf`). Signs are never forced.
    pub const SHORT: Num = Num {
        notation: Notation::Short,
        digits: 4,
        plus: false,
    };

    /// The same style with an explicit sign: `+0.123`, `-77.5%`.
    pub const fn signed(self) -> Num {
        Num { plus: true, ..self }
    }

    /// The style of a spread written next to a value in this style: scientific spreads keep one
    /// decimal (`1.2345e-2 ± 3.1e-4`), the others the value's own style.
    pub const fn spread(self) -> Num {
        match self.notation {
            Notation::Sci => Num::sci(1),
            _ => self,
        }
    }

    /// `x` in this style.
    pub fn show(self, x: f64) -> String {
        let d = self.digits;
        match (self.notation, self.plus) {
            (Notation::Fixed, false) => format!("{x:.d$}"),
            (Notation::Fixed, true) => format!("{x:+.d$}"),
            (Notation::Sci, false) => format!("{x:.d$e}"),
            (Notation::Sci, true) => format!("{x:+.d$e}"),
            (Notation::Percent, false) => format!("{:.d$}%", 100.0 * x),
            (Notation::Percent, true) => format!("{:+.d$}%", 100.0 * x),
            (Notation::Short, _) => {
                if x == 0.0 || !x.is_finite() {
                    format!("{x}")
                } else if x.abs() >= 1e4 || x.abs() < 1e-3 {
                    Num::sci(3).show(x)
                } else {
                    Num::fixed(d).show(x)
                }
            }
        }
    }
}

/// A relative change as every report writes it: `-77.5%` (see [`crate::stats::relative_change`]).
pub const CHANGE: Num = Num::percent(1).signed();

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
        Num::sci(1).show(p)
    } else {
        Num::fixed(4).show(p)
    }
}

/// Seconds with `digits` decimals: `12.3 s`.
pub fn seconds(s: f64, digits: usize) -> String {
    format!("{} s", Num::fixed(digits).show(s))
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
    fn styles() {
        assert_eq!(Num::fixed(4).show(0.11378), "0.1138");
        assert_eq!(Num::fixed(3).signed().show(0.5), "+0.500");
        assert_eq!(Num::sci(3).show(0.0123456), "1.235e-2");
        assert_eq!(Num::sci(3).signed().show(0.0123456), "+1.235e-2");
        assert_eq!(Num::percent(0).show(0.1), "10%");
        assert_eq!(CHANGE.show(-0.775), "-77.5%");
        assert_eq!(CHANGE.show(0.1), "+10.0%");
        assert_eq!(Num::SHORT.show(0.0), "0");
        assert_eq!(Num::SHORT.show(f64::NAN), "NaN");
        assert_eq!(Num::SHORT.show(12.5), "12.5000");
        assert_eq!(Num::SHORT.show(1.5e-5), "1.500e-5");
        assert_eq!(Num::SHORT.show(-2.0e4), "-2.000e4");
    }

    #[test]
    fn compositions() {
        assert_eq!(
            mean_std(0.012345, 0.00031, Num::sci(4)),
            "1.2345e-2 ± 3.1e-4"
        );
        assert_eq!(mean_std(0.1138, 0.0029, Num::fixed(4)), "0.1138 ± 0.0029");
        assert_eq!(
            interval((0.1, 0.2), Num::fixed(1), Interval::Brackets),
            "[0.1, 0.2]"
        );
        assert_eq!(ci95((-0.5, 0.25), CHANGE), "95% CI -50.0% to +25.0%");
        let s = crate::stats::summarize(&[1.0, 1.0]);
        assert_eq!(
            summary(&s, Num::sci(1)),
            "1.0e0 ± 0.0e0 (95% CI 1.0e0 – 1.0e0, n = 2)"
        );
        assert_eq!(p_value(f64::NAN), "–");
        assert_eq!(p_value(0.00002), "2.0e-5");
        assert_eq!(p_value(0.0312), "0.0312");
        assert_eq!(seconds(72.26, 1), "72.3 s");
        assert_eq!(duration_ns(1_234_567.0), "1.23 ms");
        assert_eq!(duration_ns(456.7e3), "456.7 µs");
        assert_eq!(duration_ns(89.0), "89 ns");
    }
}
