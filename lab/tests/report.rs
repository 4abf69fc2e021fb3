//! End-to-end tests of the reporting helpers: statistics feeding plots, and
//! the written PNG/SVG files checked as a reader would see them.
//!
//! Set `RBP_PLOT_CHECK_DIR=/some/dir` to keep the sample plots for a visual
//! check; otherwise they go to a temporary directory.

use std::collections::HashSet;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use rbp_lab::report::plot::{PNG_SIZE, PlotError, PlotSpec, Series, plot_series};
use rbp_lab::report::stats::{Verdict, mean_std_curves, verdict};

/// Deterministic noise so the test needs no RNG dependency.
struct Lcg(u64);

impl Lcg {
    /// Roughly uniform in [-1, 1).
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

/// Test-error curves over epochs 0..=100 for `seeds` seeds: ~0.05 falling to
/// `floor` with multiplicative noise.
fn curves(floor: f64, seeds: usize, rng: &mut Lcg) -> Vec<Vec<f64>> {
    (0..seeds)
        .map(|_| {
            (0..=100)
                .map(|e| {
                    let clean = floor + (0.05 - floor) * (-(e as f64) / 18.0).exp();
                    clean * (1.0 + 0.25 * rng.next())
                })
                .collect()
        })
        .collect()
}

const OPTIMIZERS: [(&str, f64); 3] = [("SGD", 0.0045), ("Adam", 0.0032), ("R-BackProp", 0.0018)];

fn epoch_series() -> Vec<Series> {
    let mut rng = Lcg(7);
    let x: Vec<f64> = (0..=100).map(f64::from).collect();
    OPTIMIZERS
        .iter()
        .map(|(name, floor)| {
            let (mean, std) = mean_std_curves(&curves(*floor, 10, &mut rng)).unwrap();
            Series {
                label: name.to_string(),
                x: x.clone(),
                mean,
                std: Some(std),
            }
        })
        .collect()
}

fn size_series() -> Vec<Series> {
    let sizes = [500.0, 1000.0, 2000.0, 4000.0, 8000.0];
    OPTIMIZERS
        .iter()
        .enumerate()
        .map(|(k, (name, _))| {
            let scale = 1.0 - 0.25 * k as f64;
            let mean: Vec<f64> = sizes.iter().map(|m| scale * 6.0 / m).collect();
            let std = mean.iter().map(|v| 0.15 * v).collect();
            Series {
                label: name.to_string(),
                x: sizes.to_vec(),
                mean,
                std: Some(std),
            }
        })
        .collect()
}

fn spec(title: &str, x_label: &str) -> PlotSpec {
    PlotSpec {
        title: title.into(),
        x_label: x_label.into(),
        y_label: "test error".into(),
        ..PlotSpec::default()
    }
}

fn out_dir() -> (Option<tempfile::TempDir>, PathBuf) {
    match std::env::var_os("RBP_PLOT_CHECK_DIR") {
        Some(d) => {
            let d = PathBuf::from(d);
            std::fs::create_dir_all(&d).unwrap();
            (None, d)
        }
        None => {
            let t = tempfile::tempdir().unwrap();
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    }
}

/// Decode a PNG and return (width, height, RGB pixels).
fn decode_png(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(BufReader::new(File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    (info.width, info.height, pixels)
}

/// The PNG has the planned size, is not blank, and shows every series colour
/// (the first three palette colours) somewhere.
fn check_png(path: &Path) {
    let (w, h, pixels) = decode_png(path);
    assert_eq!((w, h), PNG_SIZE, "{}", path.display());
    let distinct: HashSet<[u8; 3]> = pixels.iter().copied().collect();
    assert!(distinct.len() >= 8, "{} looks blank", path.display());
    for want in [[31u8, 119, 180], [255, 127, 14], [44, 160, 44]] {
        let found = pixels.iter().any(|p| {
            p.iter()
                .zip(want)
                .all(|(a, b)| (i32::from(*a) - i32::from(b)).abs() <= 12)
        });
        assert!(found, "{}: series colour {want:?} missing", path.display());
    }
}

fn check_svg(path: &Path, spec: &PlotSpec, labels: &[&str]) {
    let text = std::fs::read_to_string(path).unwrap();
    for needle in [&spec.title, &spec.x_label, &spec.y_label]
        .into_iter()
        .map(String::as_str)
        .chain(labels.iter().copied())
    {
        assert!(text.contains(needle), "{} lacks {needle:?}", path.display());
    }
}

#[test]
fn plots_are_written_and_readable() {
    let (_keep, dir) = out_dir();
    let labels: Vec<&str> = OPTIMIZERS.iter().map(|o| o.0).collect();
    let epochs = epoch_series();
    let cases = [
        (
            "curves_linear",
            spec("Test error over training", "epoch"),
            &epochs,
        ),
        (
            "curves_log",
            PlotSpec {
                log_y: true,
                ..spec("Test error over training (log scale)", "epoch")
            },
            &epochs,
        ),
        (
            "curves_zoom",
            PlotSpec {
                x_range: Some((80.0, 100.0)),
                ..spec("Test error, epochs 80 to 100", "epoch")
            },
            &epochs,
        ),
    ];
    for (name, spec, series) in cases {
        let files = plot_series(&dir.join(name), &spec, series).unwrap();
        assert_eq!(files.png, dir.join(format!("{name}.png")));
        check_png(&files.png);
        check_svg(&files.svg, &spec, &labels);
    }
    let spec = PlotSpec {
        log_x: true,
        log_y: true,
        markers: true,
        ..spec("Test error vs training-set size", "training-set size M")
    };
    let files = plot_series(&dir.join("error_vs_m"), &spec, &size_series()).unwrap();
    check_png(&files.png);
    check_svg(&files.svg, &spec, &labels);
    // The x ticks are the training-set sizes themselves.
    let svg = std::fs::read_to_string(&files.svg).unwrap();
    let texts: Vec<&str> = svg.lines().map(str::trim).collect();
    for m in ["500", "1000", "2000", "4000", "8000"] {
        assert!(texts.contains(&m), "no tick label {m}");
    }
}

#[test]
fn odd_data_gives_errors_or_plots_not_panics() {
    let (_keep, out) = out_dir();
    let dir = tempfile::tempdir().unwrap();
    let spec = spec("odd", "x");
    // Missing directory: an Io error naming the file.
    let missing = dir.path().join("nope").join("fig");
    let s = Series {
        label: "a".into(),
        x: vec![1.0, 2.0],
        mean: vec![1.0, 2.0],
        std: None,
    };
    let err = plot_series(&missing, &spec, std::slice::from_ref(&s)).unwrap_err();
    assert!(matches!(err, PlotError::Io { .. }), "{err}");
    assert!(err.to_string().contains("fig.png"), "{err}");
    // Empty input.
    let err = plot_series(&dir.path().join("e"), &spec, &[]).unwrap_err();
    assert!(matches!(err, PlotError::InvalidData { .. }), "{err}");
    let empty = Series {
        label: "empty".into(),
        x: vec![],
        mean: vec![],
        std: None,
    };
    let err = plot_series(&dir.path().join("e"), &spec, &[empty]).unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
    // NaN, inf, zeros on a log axis and a constant series still plot.
    let odd = Series {
        label: "odd".into(),
        x: vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
        mean: vec![0.1, f64::NAN, 0.0, f64::INFINITY, 0.01, 0.01],
        std: Some(vec![0.05, 0.0, f64::NAN, 0.0, -1.0, 0.0]),
    };
    let flat = Series {
        label: "flat".into(),
        x: vec![0.0, 5.0],
        mean: vec![0.02, 0.02],
        std: None,
    };
    let log = PlotSpec {
        log_y: true,
        ..spec.clone()
    };
    for (name, spec) in [("odd_lin", &spec), ("odd_log", &log)] {
        let files = plot_series(&out.join(name), spec, &[odd.clone(), flat.clone()]).unwrap();
        assert!(files.png.exists() && files.svg.exists());
    }
}

#[test]
fn stats_feed_a_verdict() {
    // R-BackProp's final errors vs SGD's over 10 seeds, from the same curves
    // used for the plots: a large, consistent improvement.
    let mut rng = Lcg(11);
    let last = |c: Vec<Vec<f64>>| c.into_iter().map(|v| v[100]).collect::<Vec<_>>();
    let sgd = last(curves(0.0045, 10, &mut rng));
    let rbp = last(curves(0.0018, 10, &mut rng));
    let (v, why) = verdict(&rbp, &sgd, 0.6).unwrap();
    assert_eq!(v, Verdict::Holds, "{why}");
    let (v, _) = verdict(&sgd, &rbp, 0.6).unwrap();
    assert_eq!(v, Verdict::DoesNotHold);
}
