//! Rendering a planned [`Layout`] with plotters, once per backend.

use std::path::Path;

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;

use super::layout::{Axis, Layout, LegendCorner, PlacedSeries};
use super::{PNG_SIZE, PlotSpec};

/// Font family looked up through fontconfig by plotters' `ttf` feature.
const FONT: &str = "sans-serif";

/// Tableau-10: distinct hues that stay distinguishable on white and as
/// translucent bands.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Resolve the font once up front, so a machine without fonts gets a clear
/// error before any file is touched.
pub(super) fn check_font() -> Result<(), String> {
    let font: FontDesc = (FONT, 20.0).into_font();
    font.box_size("Ag").map(|_| ()).map_err(|e| e.to_string())
}

/// How points are drawn: joined as curves, or as a scatter of markers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Lines,
    Points,
}

/// Draws the PNG into a temporary file renamed to `path` when complete.
pub(super) fn png(path: &Path, spec: &PlotSpec, plan: &Layout, style: Style) -> Result<(), String> {
    crate::atomic::write_with(path, |tmp| {
        let root = BitMapBackend::new(tmp, PNG_SIZE).into_drawing_area();
        draw_on(&root, spec, plan, style).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())
    })
}

/// Draws the SVG in memory, then writes it atomically.
pub(super) fn svg(path: &Path, spec: &PlotSpec, plan: &Layout, style: Style) -> Result<(), String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, PNG_SIZE).into_drawing_area();
        draw_on(&root, spec, plan, style).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    crate::atomic::write(path, text.as_bytes()).map_err(|e| e.to_string())
}

/// The chart every plot draws on: both axes in plot space, with the planned ticks.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Ticked, Ticked>>;

/// What drawing on backend `DB` can fail with.
type Drawn<T, DB> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// One plot on one backend. The same steps for PNG and SVG, so the two files show the same plot.
fn draw_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &PlotSpec,
    plan: &Layout,
    style: Style,
) -> Drawn<(), DB> {
    root.fill(&WHITE)?;
    let mut chart = frame(root, spec, plan)?;
    draw_bands(&mut chart, plan)?;
    // Lines after all bands so no band hides another series' line.
    for s in &plan.series {
        draw_lines(&mut chart, s, spec.markers, style)?;
    }
    draw_legend(&mut chart, plan)
}

/// Title, axes and grid. The labels come from the planned axes rather than plotters' own, so a
/// log axis (planned in log space) is labelled with the values, not their logarithms.
fn frame<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    spec: &PlotSpec,
    plan: &Layout,
) -> Drawn<Chart<'a, DB>, DB> {
    let (x, y) = (&plan.x, &plan.y);
    let x_coord = Ticked::new(x);
    let y_coord = Ticked::new(y);
    let mut chart = ChartBuilder::on(root)
        .caption(&spec.title, (FONT, 28))
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d(x_coord, y_coord)?;

    let x_fmt = |v: &f64| x.label(*v);
    let y_fmt = |v: &f64| y.label(*v);
    chart
        .configure_mesh()
        .x_desc(spec.x_label.as_str())
        .y_desc(spec.y_label.as_str())
        .axis_desc_style((FONT, 22))
        .label_style((FONT, 19))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .bold_line_style(RGBColor(200, 200, 200))
        .light_line_style(RGBColor(238, 238, 238))
        .axis_style(BLACK.stroke_width(1))
        .draw()?;
    Ok(chart)
}

/// Every series' ±std bands, translucent so overlapping bands stay readable.
fn draw_bands<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    plan: &Layout,
) -> Drawn<(), DB> {
    for s in &plan.series {
        let color = PALETTE[s.color % PALETTE.len()];
        for band in &s.bands {
            if band.len() >= 2 {
                let outline: Vec<(f64, f64)> = band
                    .iter()
                    .map(|p| (p.0, p.2))
                    .chain(band.iter().rev().map(|p| (p.0, p.1)))
                    .collect();
                chart.draw_series(std::iter::once(Polygon::new(
                    outline,
                    color.mix(0.2).filled(),
                )))?;
            } else {
                // A lone point's band is an error bar.
                let errbars = band.iter().map(|p| {
                    PathElement::new(vec![(p.0, p.1), (p.0, p.2)], color.mix(0.6).stroke_width(2))
                });
                chart.draw_series(errbars)?;
            }
        }
    }
    Ok(())
}

/// One series' lines (unless a scatter) and markers, with its legend entry. The entry hangs on
/// the first thing drawn, an empty series when no line is, so a scatter still gets one.
fn draw_lines<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    s: &PlacedSeries,
    markers: bool,
    style: Style,
) -> Drawn<(), DB> {
    let color = PALETTE[s.color % PALETTE.len()];
    let line_style = color.stroke_width(3);
    let anno = match s.lines.first() {
        Some(first) if style == Style::Lines => {
            chart.draw_series(LineSeries::new(first.iter().copied(), line_style))?
        }
        _ => chart.draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?,
    };
    anno.label(s.label.as_str()).legend(move |(px, py)| {
        PathElement::new(vec![(px, py), (px + 28, py)], color.stroke_width(4))
    });
    if style == Style::Lines {
        for line in s.lines.iter().skip(1) {
            chart.draw_series(LineSeries::new(line.iter().copied(), line_style))?;
        }
    }
    for line in &s.lines {
        // Markers when asked; lone points would be invisible otherwise.
        let radius = if markers || style == Style::Points {
            6
        } else if line.len() == 1 {
            3
        } else {
            continue;
        };
        chart.draw_series(line.iter().map(|p| Circle::new(*p, radius, color.filled())))?;
    }
    Ok(())
}

/// The legend, in the corner the layout found to cover the fewest points, on a nearly opaque
/// background so lines behind it do not cross the labels.
fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    plan: &Layout,
) -> Drawn<(), DB> {
    chart
        .configure_series_labels()
        .position(match plan.legend {
            LegendCorner::UpperRight => SeriesLabelPosition::UpperRight,
            LegendCorner::UpperLeft => SeriesLabelPosition::UpperLeft,
            LegendCorner::LowerRight => SeriesLabelPosition::LowerRight,
            LegendCorner::LowerLeft => SeriesLabelPosition::LowerLeft,
        })
        .margin(12)
        .label_font((FONT, 18))
        .background_style(WHITE.mix(0.92))
        .border_style(BLACK.mix(0.5))
        .draw()?;
    Ok(())
}

/// A linear plot-space axis with the planned ticks. plotters' own
/// `WithKeyPoints` does not accept a label formatter, hence this small type.
struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    minor: Vec<f64>,
}

impl Ticked {
    fn new(axis: &Axis) -> Self {
        Ticked {
            lo: axis.lo,
            hi: axis.hi,
            ticks: axis.ticks.clone(),
            minor: axis.minor.clone(),
        }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = (value - self.lo) / (self.hi - self.lo);
        let len = f64::from(limit.1 - limit.0);
        if !t.is_finite() {
            return limit.0;
        }
        limit.0 + (len * t + 1e-3).floor() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}
