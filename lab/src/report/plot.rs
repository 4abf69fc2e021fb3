//! Line plots of mean curves with a ±1 std band, written as PNG and SVG.
//!
//! The figures compare optimizers over seeds (test error vs epoch, or vs
//! training-set size), so the data is small but "odd" values are normal:
//! a diverged seed gives NaN or inf, a perfect run gives an error of exactly 0
//! on a log axis. Rather than trusting plotters' automatic ranges and ticks,
//! this module plans the axes itself ([`layout`]) and only then draws
//! (the private `draw` module):
//!
//! - Non-finite points are skipped; the line is broken there instead of being
//!   joined across the gap. Points with non-positive x on a log x axis are
//!   skipped too (they have no position).
//! - On a log y axis the range comes from the positive values only; means or
//!   band edges that are zero or negative are clamped to the bottom edge of
//!   the axis (just below the smallest positive value), so they stay visible
//!   as "off the scale below" without stretching the axis to `1e-300`.
//! - A non-finite or negative std entry draws no band at that point.
//! - Log axes are drawn by plotting `log10(value)` on a linear axis with
//!   hand-placed 1-2-5 ticks labelled with the original values, which keeps
//!   ticks readable over any span.

mod draw;
mod layout;

use crate::stats::mean_std_curves;
use std::path::{Path, PathBuf};

pub use layout::{Axis, Layout, LegendCorner, PlacedSeries, layout};

/// One curve: the mean over seeds, optionally with its std for a ±1 std band.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend label, e.g. the optimizer name.
    pub label: String,
    /// X values (epochs, training-set sizes, ...).
    pub x: Vec<f64>,
    /// Mean over seeds at each x; same length as `x`.
    pub mean: Vec<f64>,
    /// Std over seeds at each x; same length as `x` when present.
    pub std: Option<Vec<f64>>,
}

impl Series {
    /// The per-point mean ± std over `curves` (one per seed, each with a value at every `x`);
    /// `None` when there are no curves or their lengths differ ([`mean_std_curves`]).
    pub fn mean_of(label: &str, x: Vec<f64>, curves: &[Vec<f64>]) -> Option<Series> {
        let (mean, std) = mean_std_curves(curves).ok()?;
        Some(Series {
            label: label.into(),
            x,
            mean,
            std: Some(std),
        })
    }
}

/// What to draw around the series.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlotSpec {
    /// Title above the plot.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// Logarithmic x axis (x values <= 0 are skipped).
    pub log_x: bool,
    /// Logarithmic y axis (values <= 0 are clamped to the axis bottom).
    pub log_y: bool,
    /// Only show `lo <= x <= hi`, e.g. to zoom on late epochs; the y range is
    /// then fitted to the visible points only.
    pub x_range: Option<(f64, f64)>,
    /// Draw a marker at each point, for plots with few x values such as test
    /// error vs training-set size.
    pub markers: bool,
}

/// The files written by [`plot_series`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotFiles {
    /// `stem.png`
    pub png: PathBuf,
    /// `stem.svg`
    pub svg: PathBuf,
}

/// Why a plot could not be written. Every variant names the file concerned.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The data cannot be plotted (no series, mismatched lengths, nothing
    /// finite, no positive value for a log axis, bad `x_range`).
    #[error("cannot plot {path}: {reason}")]
    InvalidData {
        /// Output file (stem).
        path: PathBuf,
        /// What is wrong with the data.
        reason: String,
    },
    /// The output directory is missing or not a directory.
    #[error("cannot write {path}: {reason}")]
    Io {
        /// Output file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// No usable sans-serif font was found (plotters' `ttf` feature looks it
    /// up through fontconfig; install e.g. Debian's `fonts-dejavu-core`).
    #[error("cannot draw text for {path}: no usable sans-serif font ({reason})")]
    Font {
        /// Output file.
        path: PathBuf,
        /// The font lookup error.
        reason: String,
    },
    /// Drawing or encoding failed.
    #[error("failed to draw {path}: {reason}")]
    Draw {
        /// Output file.
        path: PathBuf,
        /// The backend error.
        reason: String,
    },
}

/// PNG size in pixels: large enough for readable labels in a report.
pub const PNG_SIZE: (u32, u32) = (1000, 700);

/// Plot `series` as `path_stem.png` (1000x700) and `path_stem.svg`.
///
/// `.png`/`.svg` are appended to the stem (not substituted for an
/// extension), so a stem like `fig.m1000` keeps its dot. Each series is drawn
/// as a line in its own colour with a translucent ±1 std band when `std` is
/// given; the legend goes to the corner of the plot that covers the fewest
/// data points. See the module docs for how odd values are handled.
pub fn plot_series(
    path_stem: &Path,
    spec: &PlotSpec,
    series: &[Series],
) -> Result<PlotFiles, PlotError> {
    plot_with_style(path_stem, spec, series, draw::Style::Lines)
}

/// Like [`plot_series`], but a scatter: every point a marker, nothing joined (e.g. one point per
/// run, `mean` holding the y values). Bands are drawn as error bars when `std` is given.
pub fn plot_points(
    path_stem: &Path,
    spec: &PlotSpec,
    series: &[Series],
) -> Result<PlotFiles, PlotError> {
    plot_with_style(path_stem, spec, series, draw::Style::Points)
}

fn plot_with_style(
    path_stem: &Path,
    spec: &PlotSpec,
    series: &[Series],
    style: draw::Style,
) -> Result<PlotFiles, PlotError> {
    let files = PlotFiles {
        png: with_suffix(path_stem, "png"),
        svg: with_suffix(path_stem, "svg"),
    };
    let plan = layout(spec, series, PNG_SIZE).map_err(|reason| PlotError::InvalidData {
        path: path_stem.to_path_buf(),
        reason,
    })?;
    check_dir(&files.png)?;
    draw::check_font().map_err(|reason| PlotError::Font {
        path: files.png.clone(),
        reason,
    })?;
    draw::png(&files.png, spec, &plan, style).map_err(|reason| PlotError::Draw {
        path: files.png.clone(),
        reason,
    })?;
    draw::svg(&files.svg, spec, &plan, style).map_err(|reason| PlotError::Draw {
        path: files.svg.clone(),
        reason,
    })?;
    Ok(files)
}

fn with_suffix(stem: &Path, ext: &str) -> PathBuf {
    let mut s = stem.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// Fail early with a clear message instead of a backend I/O error after
/// all the drawing work.
fn check_dir(file: &Path) -> Result<(), PlotError> {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if dir.is_dir() {
        Ok(())
    } else {
        Err(PlotError::Io {
            path: file.to_path_buf(),
            reason: format!("directory {} does not exist", dir.display()),
        })
    }
}
