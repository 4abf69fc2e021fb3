//! Axis planning: ranges, ticks, clamping and legend placement, computed from
//! the data before anything is drawn. Kept free of plotters so it can be unit
//! tested on odd inputs directly.

use super::{PlotSpec, Series};

/// One planned axis. All coordinates are in *plot space*: `log10(value)` for
/// a log axis, the value itself otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Logarithmic axis (plot space is `log10`).
    pub log: bool,
    /// Lower end, plot space.
    pub lo: f64,
    /// Upper end, plot space.
    pub hi: f64,
    /// Labelled tick positions, plot space.
    pub ticks: Vec<f64>,
    /// Unlabelled minor grid lines (log axes), plot space.
    pub minor: Vec<f64>,
    /// Decimals for labels on a linear axis (from the tick step).
    decimals: usize,
}

impl Axis {
    /// Tick label for a plot-space position, in data units.
    pub fn label(&self, v: f64) -> String {
        if self.log {
            fmt_sig(10f64.powf(v))
        } else {
            fmt_fixed(v, self.decimals)
        }
    }
}

/// A series mapped to plot space and cut into drawable runs at gaps.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedSeries {
    /// Legend label.
    pub label: String,
    /// Palette index.
    pub color: usize,
    /// Polylines of the mean, broken where points were skipped.
    pub lines: Vec<Vec<(f64, f64)>>,
    /// Band runs `(x, lower, upper)`, broken where the std is unusable.
    pub bands: Vec<Vec<(f64, f64, f64)>>,
}

/// Where the legend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegendCorner {
    /// Upper right (preferred on ties).
    UpperRight,
    /// Upper left.
    UpperLeft,
    /// Lower right.
    LowerRight,
    /// Lower left.
    LowerLeft,
}

/// Everything needed to draw, in plot space.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// X axis.
    pub x: Axis,
    /// Y axis.
    pub y: Axis,
    /// Series in input order.
    pub series: Vec<PlacedSeries>,
    /// Legend corner covering the fewest data points.
    pub legend: LegendCorner,
}

/// A kept point in data units.
#[derive(Clone, Copy)]
struct Pt {
    x: f64,
    m: f64,
    band: Option<(f64, f64)>,
}

/// Plan a plot of `series` for an image of `size` pixels (used only to size
/// the legend for placement). Errors are plain messages; the caller adds the
/// file name.
pub fn layout(spec: &PlotSpec, series: &[Series], size: (u32, u32)) -> Result<Layout, String> {
    if series.is_empty() {
        return Err("no series to plot".into());
    }
    if let Some((lo, hi)) = spec.x_range
        && !(lo.is_finite() && hi.is_finite() && lo < hi && (!spec.log_x || lo > 0.0))
    {
        return Err(format!(
            "x_range ({lo}, {hi}) must be finite with lo < hi{}",
            if spec.log_x {
                " and lo > 0 on a log x axis"
            } else {
                ""
            }
        ));
    }
    let kept = series
        .iter()
        .map(|s| keep_points(spec, s))
        .collect::<Result<Vec<_>, _>>()?;
    let all: Vec<Pt> = kept.iter().flatten().flatten().copied().collect();
    if all.is_empty() {
        return Err("no finite point to plot (check for NaN/inf, or the x_range)".into());
    }
    let x = x_axis(spec, &all);
    let mut y = y_axis(spec.log_y, &all)?;
    let placed: Vec<PlacedSeries> = series
        .iter()
        .zip(&kept)
        .enumerate()
        .map(|(i, (s, pts))| place(i, s, pts, &x, &y))
        .collect();
    let (mut legend, covered, hf) = legend_corner(&placed, &x, &y, size);
    if covered > 0 {
        // Every corner has data: raise the top of the y axis so the data
        // stays below an upper-right legend. The bottom is unchanged, so the
        // placed (clamped) coordinates stay valid.
        let hi = y.lo + (y.hi - y.lo) / (1.0 - hf - 0.03).max(0.3);
        y = make_axis(y.log, y.lo, hi, 8);
        legend = LegendCorner::UpperRight;
    }
    Ok(Layout {
        x,
        y,
        series: placed,
        legend,
    })
}

/// Check lengths and keep the plottable points; `None` marks a gap.
fn keep_points(spec: &PlotSpec, s: &Series) -> Result<Vec<Option<Pt>>, String> {
    if s.x.is_empty() {
        return Err(format!("series '{}' is empty", s.label));
    }
    if s.mean.len() != s.x.len() {
        return Err(format!(
            "series '{}': {} x values but {} means",
            s.label,
            s.x.len(),
            s.mean.len()
        ));
    }
    if let Some(sd) = &s.std
        && sd.len() != s.x.len()
    {
        return Err(format!(
            "series '{}': {} x values but {} std values",
            s.label,
            s.x.len(),
            sd.len()
        ));
    }
    let in_range = |x: f64| spec.x_range.is_none_or(|(lo, hi)| x >= lo && x <= hi);
    Ok((0..s.x.len())
        .map(|i| {
            let (x, m) = (s.x[i], s.mean[i]);
            let ok = x.is_finite() && m.is_finite() && (!spec.log_x || x > 0.0) && in_range(x);
            ok.then(|| {
                let sd = s.std.as_ref().map(|v| v[i]);
                let band = sd
                    .filter(|d| d.is_finite() && *d >= 0.0)
                    .map(|d| (m - d, m + d));
                Pt { x, m, band }
            })
        })
        .collect())
}

fn x_axis(spec: &PlotSpec, all: &[Pt]) -> Axis {
    let t = |v: f64| if spec.log_x { v.log10() } else { v };
    let (mut lo, mut hi) = match spec.x_range {
        Some((lo, hi)) => (t(lo), t(hi)),
        None => min_max(all.iter().map(|p| t(p.x))),
    };
    if hi - lo <= 1e-12 * hi.abs().max(1.0) {
        let pad = if spec.log_x {
            0.3
        } else {
            hi.abs().max(1.0) * 0.1
        };
        (lo, hi) = (lo - pad, hi + pad);
    } else if spec.markers && spec.x_range.is_none() {
        // Keep edge markers fully inside the plot.
        let pad = 0.04 * (hi - lo);
        (lo, hi) = (lo - pad, hi + pad);
    }
    let mut axis = make_axis(spec.log_x, lo, hi, 7);
    if spec.log_x && spec.markers {
        // With few x values (e.g. training-set sizes) label exactly those.
        let mut xs: Vec<f64> = all.iter().map(|p| t(p.x)).collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
        if (2..=10).contains(&xs.len()) {
            axis.ticks = xs;
            axis.minor.clear();
        }
    }
    axis
}

fn y_axis(log: bool, all: &[Pt]) -> Result<Axis, String> {
    let values = all.iter().flat_map(|p| {
        let (a, b) = p.band.unwrap_or((p.m, p.m));
        [p.m, a, b]
    });
    if log {
        let pos: Vec<f64> = values.filter(|v| *v > 0.0).map(f64::log10).collect();
        if pos.is_empty() {
            return Err("log y axis needs at least one positive value".into());
        }
        let (lo, hi) = min_max(pos.into_iter());
        let pad = if hi - lo < 1e-9 {
            0.3
        } else {
            0.05 * (hi - lo)
        };
        Ok(make_axis(true, lo - pad, hi + pad, 8))
    } else {
        let (dlo, dhi) = min_max(values);
        let span = dhi - dlo;
        let pad = if span <= 1e-12 * dhi.abs().max(1e-300) {
            if dhi == 0.0 { 1.0 } else { 0.1 * dhi.abs() }
        } else {
            0.05 * span
        };
        // Error rates are >= 0: start the axis at 0 rather than at -0.001.
        let lo = if dlo >= 0.0 && dlo - pad < 0.0 {
            0.0
        } else {
            dlo - pad
        };
        Ok(make_axis(false, lo, dhi + pad, 8))
    }
}

fn make_axis(log: bool, lo: f64, hi: f64, target: usize) -> Axis {
    if log {
        let (ticks, minor) = log_ticks(lo, hi);
        Axis {
            log,
            lo,
            hi,
            ticks,
            minor,
            decimals: 0,
        }
    } else {
        let (ticks, step) = nice_ticks(lo, hi, target);
        Axis {
            log,
            lo,
            hi,
            ticks,
            minor: Vec::new(),
            decimals: decimals_for(step),
        }
    }
}

fn min_max(it: impl Iterator<Item = f64>) -> (f64, f64) {
    it.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    })
}

/// Ticks at multiples of a 1-2-5 step, about `target` of them.
fn nice_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, f64) {
    let raw = (hi - lo) / target.max(1) as f64;
    if !(raw.is_finite() && raw > 0.0) {
        return (vec![lo, hi], 1.0);
    }
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    ((first..=last).map(|i| i as f64 * step).collect(), step)
}

fn decimals_for(step: f64) -> usize {
    let d = -(step.log10() + 1e-9).floor();
    if d.is_finite() && d > 0.0 {
        d as usize
    } else {
        0
    }
}

/// Log-axis ticks (plot space) at 1-2-5 × 10^k, falling back to decades
/// (thinned) for wide spans and to all of 1..9 or linear ticks for narrow
/// ones. Minor lines at the remaining 1..9 × 10^k when the span is modest.
fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let cands = |ms: &[f64]| -> Vec<f64> {
        let (k0, k1) = (lo.floor() as i64, hi.ceil() as i64);
        (k0..=k1)
            .flat_map(|k| ms.iter().map(move |m| m.log10() + k as f64))
            .filter(|v| *v >= lo - 1e-9 && *v <= hi + 1e-9)
            .collect()
    };
    let all9: Vec<f64> = (1..=9).map(f64::from).collect();
    let one25 = cands(&[1.0, 2.0, 5.0]);
    let ticks = if (3..=10).contains(&one25.len()) {
        one25
    } else if one25.len() > 10 {
        let decades = cands(&[1.0]);
        let stride = decades.len().div_ceil(8).max(1);
        decades.into_iter().step_by(stride).collect()
    } else {
        let t = cands(&all9);
        if t.len() >= 2 {
            t
        } else {
            // Less than one 1..9 step: plain linear ticks in data units.
            let (lin, _) = nice_ticks(10f64.powf(lo), 10f64.powf(hi), 5);
            lin.into_iter()
                .filter(|v| *v > 0.0)
                .map(f64::log10)
                .collect()
        }
    };
    let minor = if hi - lo <= 8.0 {
        cands(&all9)
            .into_iter()
            .filter(|m| ticks.iter().all(|t| (t - m).abs() > 1e-9))
            .collect()
    } else {
        Vec::new()
    };
    (ticks, minor)
}

/// Up to 4 significant digits, trailing zeros trimmed; scientific notation
/// outside 1e-4..1e6 (e.g. `1e-5`).
fn fmt_sig(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let e = v.abs().log10().floor();
    if (-4.0..6.0).contains(&e) {
        let dec = (3.0 - e).max(0.0) as usize;
        trim_zeros(format!("{v:.dec$}"))
    } else {
        let s = format!("{v:.3e}");
        match s.split_once('e') {
            Some((m, exp)) => format!("{}e{exp}", trim_zeros(m.to_string())),
            None => s,
        }
    }
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn fmt_fixed(v: f64, dec: usize) -> String {
    // Avoid "-0.000" for a tick computed as -1e-18.
    let v = if v.abs() < 0.5 * 10f64.powi(-(dec as i32)) {
        0.0
    } else {
        v
    };
    format!("{v:.dec$}")
}

/// Map kept points to plot space, clamping non-positive values on a log y
/// axis to its bottom edge, and cut lines and bands at gaps.
fn place(i: usize, s: &Series, pts: &[Option<Pt>], x: &Axis, y: &Axis) -> PlacedSeries {
    let tx = |v: f64| if x.log { v.log10() } else { v };
    let ty = |v: f64| {
        if !y.log {
            v
        } else if v > 0.0 {
            v.log10().max(y.lo)
        } else {
            y.lo
        }
    };
    let mut lines = vec![Vec::new()];
    let mut bands = vec![Vec::new()];
    for p in pts {
        let Some(p) = p else {
            lines.push(Vec::new());
            bands.push(Vec::new());
            continue;
        };
        if let Some(l) = lines.last_mut() {
            l.push((tx(p.x), ty(p.m)));
        }
        match (p.band, bands.last_mut()) {
            (Some((a, b)), Some(r)) => r.push((tx(p.x), ty(a), ty(b))),
            _ => bands.push(Vec::new()),
        }
    }
    lines.retain(|l| !l.is_empty());
    bands.retain(|b| !b.is_empty());
    let label = if lines.is_empty() {
        format!("{} (no finite data)", s.label)
    } else {
        s.label.clone()
    };
    PlacedSeries {
        label,
        color: i,
        lines,
        bands,
    }
}

/// Pick the corner whose legend-sized box covers the fewest sampled points
/// of the lines and bands (segments are sampled so a line crossing the box
/// between two markers still counts). Returns the corner, how many samples
/// it covers, and the legend height as a fraction of the plot height.
fn legend_corner(
    series: &[PlacedSeries],
    x: &Axis,
    y: &Axis,
    size: (u32, u32),
) -> (LegendCorner, usize, f64) {
    let chars = series
        .iter()
        .map(|s| s.label.chars().count())
        .max()
        .unwrap_or(0);
    let plot_w = (size.0 as f64 - 140.0).max(100.0);
    let plot_h = (size.1 as f64 - 160.0).max(100.0);
    let wf = ((80.0 + 10.0 * chars as f64) / plot_w).min(0.9);
    let hf = ((20.0 + 28.0 * series.len() as f64) / plot_h).min(0.9);
    let nx = |v: f64| (v - x.lo) / (x.hi - x.lo);
    let ny = |v: f64| (v - y.lo) / (y.hi - y.lo);
    let mut samples = Vec::new();
    let mut sample_path = |path: &[(f64, f64)]| {
        for w in path.windows(2) {
            for k in 0..16 {
                let t = k as f64 / 16.0;
                let (a, b) = (w[0], w[1]);
                samples.push((nx(a.0 + t * (b.0 - a.0)), ny(a.1 + t * (b.1 - a.1))));
            }
        }
        if let Some(&(px, py)) = path.last() {
            samples.push((nx(px), ny(py)));
        }
    };
    for s in series {
        for l in &s.lines {
            sample_path(l);
        }
        for b in &s.bands {
            let lower: Vec<(f64, f64)> = b.iter().map(|p| (p.0, p.1)).collect();
            let upper: Vec<(f64, f64)> = b.iter().map(|p| (p.0, p.2)).collect();
            sample_path(&lower);
            sample_path(&upper);
        }
    }
    let corners = [
        (LegendCorner::UpperRight, true, true),
        (LegendCorner::UpperLeft, false, true),
        (LegendCorner::LowerRight, true, false),
        (LegendCorner::LowerLeft, false, false),
    ];
    let count = |right: bool, upper: bool| {
        samples
            .iter()
            .filter(|(px, py)| {
                let in_x = if right { *px >= 1.0 - wf } else { *px <= wf };
                let in_y = if upper { *py >= 1.0 - hf } else { *py <= hf };
                in_x && in_y
            })
            .count()
    };
    corners
        .iter()
        .map(|(c, r, u)| (*c, count(*r, *u), hf))
        .min_by_key(|c| c.1)
        .unwrap_or((LegendCorner::UpperRight, 0, hf))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(label: &str, x: &[f64], m: &[f64], sd: Option<&[f64]>) -> Series {
        Series {
            label: label.into(),
            x: x.to_vec(),
            mean: m.to_vec(),
            std: sd.map(|v| v.to_vec()),
        }
    }

    #[test]
    fn nice_ticks_are_round() {
        let (t, step) = nice_ticks(0.0, 0.055, 8);
        assert!((step - 0.01).abs() < 1e-12);
        assert_eq!(t.len(), 6);
        assert_eq!(decimals_for(step), 2);
        assert_eq!(fmt_fixed(t[5], 2), "0.05");
        assert_eq!(fmt_fixed(-1e-18, 3), "0.000");
    }

    #[test]
    fn log_ticks_are_1_2_5() {
        let (t, minor) = log_ticks(0.0015f64.log10(), 0.055f64.log10());
        let labels: Vec<String> = t.iter().map(|v| fmt_sig(10f64.powf(*v))).collect();
        assert_eq!(labels, ["0.002", "0.005", "0.01", "0.02", "0.05"]);
        assert!(!minor.is_empty());
        // Wide span: thinned decades.
        let (t, _) = log_ticks(-30.0, 0.0);
        assert!(t.len() <= 10 && t.len() >= 3);
        // Narrow span: still at least two ticks.
        let (t, _) = log_ticks(0.0021f64.log10(), 0.0029f64.log10());
        assert!(t.len() >= 2, "{t:?}");
        assert_eq!(fmt_sig(1e-5), "1e-5");
        assert_eq!(fmt_sig(8000.000000001), "8000");
    }

    #[test]
    fn log_y_clamps_zero_to_axis_bottom() {
        let s = series(
            "a",
            &[1.0, 2.0, 3.0],
            &[0.1, 0.01, 0.0],
            Some(&[0.2, 0.0, 0.0]),
        );
        let spec = PlotSpec {
            log_y: true,
            ..PlotSpec::default()
        };
        let l = layout(&spec, &[s], (1000, 700)).unwrap();
        assert!(l.y.lo < 0.01f64.log10() && l.y.hi > 0.3f64.log10());
        let line = &l.series[0].lines[0];
        assert_eq!(line.len(), 3);
        assert_eq!(line[2].1, l.y.lo);
        assert_eq!(l.series[0].bands[0][0].1, l.y.lo);
    }

    #[test]
    fn gaps_break_lines_and_bad_data_errors() {
        let s = series("a", &[0.0, 1.0, 2.0, 3.0], &[1.0, f64::NAN, 2.0, 3.0], None);
        let l = layout(&PlotSpec::default(), &[s], (1000, 700)).unwrap();
        assert_eq!(l.series[0].lines.len(), 2);
        let spec = PlotSpec::default();
        assert!(layout(&spec, &[], (1000, 700)).is_err());
        assert!(layout(&spec, &[series("e", &[], &[], None)], (1000, 700)).is_err());
        assert!(
            layout(
                &spec,
                &[series("m", &[1.0], &[1.0, 2.0], None)],
                (1000, 700)
            )
            .is_err()
        );
        let nan = series("n", &[1.0], &[f64::NAN], None);
        assert!(layout(&spec, std::slice::from_ref(&nan), (1000, 700)).is_err());
        // An all-NaN series next to a good one is kept and flagged.
        let good = series("g", &[1.0, 2.0], &[1.0, 2.0], None);
        let l = layout(&spec, &[good, nan], (1000, 700)).unwrap();
        assert!(l.series[1].label.contains("no finite data"));
        let neg = series("z", &[1.0], &[-1.0], None);
        let log = PlotSpec {
            log_y: true,
            ..PlotSpec::default()
        };
        assert!(layout(&log, &[neg], (1000, 700)).is_err());
        let bad_range = PlotSpec {
            x_range: Some((5.0, 1.0)),
            ..PlotSpec::default()
        };
        assert!(
            layout(
                &bad_range,
                &[series("g", &[1.0], &[1.0], None)],
                (1000, 700)
            )
            .is_err()
        );
    }

    #[test]
    fn constant_series_gets_a_range() {
        let s = series("c", &[1.0, 2.0], &[0.5, 0.5], None);
        let l = layout(&PlotSpec::default(), &[s], (1000, 700)).unwrap();
        assert!(l.y.lo < 0.5 && l.y.hi > 0.5 && l.y.ticks.len() >= 2);
        let single = series("p", &[3.0], &[0.0], None);
        let l = layout(&PlotSpec::default(), &[single], (1000, 700)).unwrap();
        assert!(l.x.lo < 3.0 && l.x.hi > 3.0 && l.y.lo < l.y.hi);
    }

    #[test]
    fn x_range_zooms_and_refits_y() {
        let x: Vec<f64> = (0..=100).map(f64::from).collect();
        let m: Vec<f64> = x.iter().map(|e| 0.05 / (1.0 + e)).collect();
        let spec = PlotSpec {
            x_range: Some((80.0, 100.0)),
            ..PlotSpec::default()
        };
        let l = layout(&spec, &[series("a", &x, &m, None)], (1000, 700)).unwrap();
        assert_eq!((l.x.lo, l.x.hi), (80.0, 100.0));
        assert!(l.y.hi < 0.001);
        assert_eq!(l.series[0].lines[0].len(), 21);
    }

    #[test]
    fn legend_avoids_data() {
        // Rising curve fills the upper right: legend must go elsewhere.
        let x: Vec<f64> = (0..=50).map(f64::from).collect();
        let s = series("up", &x, &x, None);
        let l = layout(&PlotSpec::default(), &[s], (1000, 700)).unwrap();
        assert_ne!(l.legend, LegendCorner::UpperRight);
        // Falling curve leaves the upper right free.
        let down: Vec<f64> = x.iter().map(|v| 50.0 - v).collect();
        let l = layout(
            &PlotSpec::default(),
            &[series("d", &x, &down, None)],
            (1000, 700),
        )
        .unwrap();
        assert_eq!(l.legend, LegendCorner::UpperRight);
        // Data in every corner: the y axis grows to make room above it.
        let zig: Vec<f64> = x
            .iter()
            .map(|v| if *v as i64 % 2 == 0 { 0.0 } else { 50.0 })
            .collect();
        let l = layout(
            &PlotSpec::default(),
            &[series("z", &x, &zig, None)],
            (1000, 700),
        )
        .unwrap();
        assert_eq!(l.legend, LegendCorner::UpperRight);
        assert!(l.y.hi > 55.0, "{}", l.y.hi);
    }
}
