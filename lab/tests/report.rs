//! End-to-end tests of the reporting helpers: statistics feeding plots, and
//! the written PNG/SVG files checked as a reader would see them.
//!
//! Set `RBP_PLOT_CHECK_DIR=/some/dir` to keep the sample plots for a visual
//! check; otherwise they go to a temporary directory.

use std::collections::HashSet;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use rbp_lab::paper::judge::{Finding, assess, verdict};
use rbp_lab::paper::{self, CLAIMS, Evidence, Scale, Test, Verdict, judge_reading};
use rbp_lab::report::plot::{PNG_SIZE, PlotError, PlotSpec, Series, plot_series};
use rbp_lab::stats::{self, mean_std_curves};

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
    // R-BackProp's final errors vs SGD's over 10 seeds, from the same curves used for the plots:
    // a consistent change of about -60%, significant, short of the published -77.5%.
    let mut rng = Lcg(11);
    let last = |c: Vec<Vec<f64>>| c.into_iter().map(|v| v[100]).collect::<Vec<_>>();
    let sgd = last(curves(0.0045, 10, &mut rng));
    let rbp = last(curves(0.0018, 10, &mut rng));
    let judge = |a: &[f64], b: &[f64]| {
        judge_reading(vec![Finding::new(
            "fig2a-test",
            Evidence::Paired {
                a: a.to_vec(),
                b: b.to_vec(),
                scale: Scale::Relative,
            },
            "",
        )])
        .remove(0)
    };
    let j = judge(&rbp, &sgd);
    assert_eq!(j.verdict, Verdict::Weaker, "{:?}", j.assessment);
    assert_eq!(judge(&sgd, &rbp).verdict, Verdict::Contradicted);
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

// (The statistics themselves are tested against hand-computed cases in `rbp_lab::stats`.)

// ---- each claim's judge, on synthetic per-seed numbers ----

/// Ten baseline errors with a spread, for building paired samples.
fn base() -> Vec<f64> {
    (0..10)
        .map(|i| 0.1 + 0.01 * (i % 4) as f64 + 0.003 * i as f64)
        .collect()
}

/// `b * (1 + change)` plus a small zero-mean wobble: a paired sample with that relative change.
fn scaled(b: &[f64], change: f64, wobble: f64) -> Vec<f64> {
    b.iter()
        .enumerate()
        .map(|(i, x)| x * (1.0 + change) + wobble * if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect()
}

/// Evidence of the shape `id` is measured with, built to show `strength` in the claimed direction
/// (positive: for the claim, negative: against it, 0: nothing).
fn evidence_for(id: &str, strength: f64) -> Evidence {
    let b = base();
    let rel = |change: f64| Evidence::Paired {
        a: scaled(&b, change, 0.001),
        b: b.clone(),
        scale: Scale::Relative,
    };
    let abs = |shift: f64| Evidence::Paired {
        a: b.iter()
            .enumerate()
            .map(|(i, x)| x + shift + 0.002 * (i % 3) as f64)
            .collect(),
        b: b.clone(),
        scale: Scale::Absolute,
    };
    let signs = |s: f64| {
        if s > 0.0 {
            Evidence::Signs { yes: 10, no: 0 }
        } else if s < 0.0 {
            Evidence::Signs { yes: 0, no: 10 }
        } else {
            Evidence::Signs { yes: 5, no: 5 }
        }
    };
    let all = |e: Evidence| Evidence::All(vec![("one".into(), e.clone()), ("two".into(), e)]);
    match id {
        // Lower is claimed: -90% is for, +50% against.
        "fig2a-test" | "fig2a-train" | "fig2b-test" | "fig5-backprop" => {
            rel(if strength > 0.0 { -0.9 } else { 0.5 })
        }
        "fig2b-train" => all(rel(0.9 * strength)),
        "fig2b-adam-large-eta" => rel(0.9 * strength),
        "fig2b-late" | "fig2b-adam-early-fast" => all(abs(-0.05 * strength)),
        "fig2b-adam-slows" => all(abs(0.05 * strength)),
        "fig2a-peak" | "fig2a-fluctuations" | "fig3-early-minimum" | "fig3-gamma0-trend" => {
            signs(strength)
        }
        "fig3-fast-decay-worst" => all(rel(0.5 * strength)),
        "fig4-lowest-every-m" => all(rel(-0.5 * strength)),
        "fig4-falls-with-m" => all(signs(strength)),
        "fig4-scarce-data" => all(abs(-0.05 * strength)),
        "fig3-large-gamma0-close" => Evidence::Paired {
            a: scaled(&b, if strength > 0.0 { 0.0 } else { 1.0 }, 0.0005),
            b: b.clone(),
            scale: Scale::LogRatio,
        },
        "fig5-adam-similar" => abs(if strength > 0.0 { 0.0 } else { 0.05 }),
        "abstract-memory" => Evidence::Exact {
            ours: if strength > 0.0 { 4.0 } else { 12.0 },
            other: 8.0,
        },
        other => panic!("no synthetic evidence for claim {other}; add it here"),
    }
}

fn judge_one(id: &str, e: Evidence) -> Verdict {
    judge_reading(vec![Finding::new(id, e, "")])
        .remove(0)
        .verdict
}

#[test]
fn every_claim_is_reproduced_contradicted_or_not_run_on_numbers_built_for_it() {
    for c in &CLAIMS {
        if c.test == Test::ByDesign {
            // True by construction: whatever the numbers, never "reproduced".
            for e in [1.0, -1.0].map(|s| evidence_for(c.id, s)) {
                assert_eq!(judge_one(c.id, e), Verdict::ByDesign, "{}", c.id);
            }
            continue;
        }
        let equivalence = matches!(c.test, Test::Equivalence { .. });
        let (yes, no) = if equivalence {
            (Verdict::Equivalent, Verdict::Different)
        } else {
            (Verdict::Reproduced, Verdict::Contradicted)
        };
        assert_eq!(judge_one(c.id, evidence_for(c.id, 1.0)), yes, "{}", c.id);
        assert_eq!(judge_one(c.id, evidence_for(c.id, -1.0)), no, "{}", c.id);
        assert_eq!(
            judge_one(c.id, Evidence::Missing("no data".into())),
            Verdict::NotRun,
            "{}",
            c.id
        );
    }
}

#[test]
fn direction_claims_land_in_every_verdict_and_on_the_boundaries() {
    let b = base();
    let rel = |a: Vec<f64>| Evidence::Paired {
        a,
        b: b.clone(),
        scale: Scale::Relative,
    };
    // Published -77.5%. Exactly -77.5% in every seed: the CI is degenerate at the published value,
    // which counts as reached.
    assert_eq!(
        judge_one("fig2a-test", rel(scaled(&b, -0.775, 0.0))),
        Verdict::Reproduced
    );
    // -77% in every seed: significant, CI excludes -77.5%: weaker.
    assert_eq!(
        judge_one("fig2a-test", rel(scaled(&b, -0.77, 0.0))),
        Verdict::Weaker
    );
    // Wobble around no change: not significant.
    assert_eq!(
        judge_one("fig2a-test", rel(scaled(&b, 0.0, 0.01))),
        Verdict::NotSignificant
    );
    // Significant the other way.
    assert_eq!(
        judge_one("fig2a-test", rel(scaled(&b, 0.3, 0.001))),
        Verdict::Contradicted
    );

    // The significance boundary, on the Holm-adjusted p: 0.05 is not significant.
    let spec = paper::claim("fig2a-train");
    let a = assess(&rel(scaled(&b, -0.5, 0.001)), spec, 1);
    assert_eq!(verdict(spec, &a, 0.0499, 1), Verdict::Reproduced);
    assert_eq!(verdict(spec, &a, 0.05, 1), Verdict::NotSignificant);

    // Sign test: 6 of 6 seeds is the fewest that can be significant.
    assert_eq!(
        judge_one("fig2a-peak", Evidence::Signs { yes: 6, no: 0 }),
        Verdict::Reproduced
    );
    assert_eq!(
        judge_one("fig2a-peak", Evidence::Signs { yes: 5, no: 0 }),
        Verdict::NotSignificant
    );
    assert_eq!(
        judge_one("fig2a-peak", Evidence::Signs { yes: 0, no: 6 }),
        Verdict::Contradicted
    );

    // All parts must hold: one part without an effect makes the claim not significant; one part
    // strongly against it contradicts it even when another part is for it.
    let part = |change: f64, wobble: f64| Evidence::Paired {
        a: scaled(&b, change, wobble),
        b: b.clone(),
        scale: Scale::Relative,
    };
    let mixed = |second: Evidence| {
        Evidence::All(vec![
            ("M = 1".into(), part(-0.5, 0.001)),
            ("M = 2".into(), second),
        ])
    };
    assert_eq!(
        judge_one("fig4-lowest-every-m", mixed(part(0.0, 0.01))),
        Verdict::NotSignificant
    );
    assert_eq!(
        judge_one("fig4-lowest-every-m", mixed(part(0.5, 0.001))),
        Verdict::Contradicted
    );

    // The memory claim is true by construction (4 vs 8 bytes per weight): "by design", never
    // "reproduced", whatever is measured.
    let exact = |ours: f64| judge_one("abstract-memory", Evidence::Exact { ours, other: 8.0 });
    assert_eq!(exact(4.0), Verdict::ByDesign);
    assert_eq!(exact(9.0), Verdict::ByDesign);
}

#[test]
fn equivalence_claims_land_in_every_verdict_and_on_the_margin() {
    let id = "fig5-adam-similar"; // margin ±0.01 on the class-error difference
    let b = base();
    let shifted = |shift: f64, wobble: f64| Evidence::Paired {
        a: b.iter()
            .enumerate()
            .map(|(i, x)| x + shift + wobble * if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect(),
        b: b.clone(),
        scale: Scale::Absolute,
    };
    assert_eq!(judge_one(id, shifted(0.002, 0.001)), Verdict::Equivalent);
    assert_eq!(judge_one(id, shifted(0.05, 0.001)), Verdict::Different);
    assert_eq!(
        judge_one(id, shifted(0.0, 0.05)),
        Verdict::NotShownEquivalent
    );
    // On the margin: a CI whose lower end is exactly the margin is not "outside" it.
    let spec = paper::claim(id);
    let mut a = assess(&shifted(0.05, 0.001), spec, 1);
    a.test_ci = (paper::FIG5_EQUIVALENCE_MARGIN, 0.02);
    assert_eq!(verdict(spec, &a, 0.9, 1), Verdict::NotShownEquivalent);
    a.test_ci = (paper::FIG5_EQUIVALENCE_MARGIN + 1e-9, 0.02);
    assert_eq!(verdict(spec, &a, 0.9, 1), Verdict::Different);
    assert_eq!(verdict(spec, &a, 0.0499, 1), Verdict::Equivalent);
}

#[test]
fn holm_is_applied_across_the_claims_of_a_reading() {
    // Two claims with raw p around 0.03: each alone is significant, together Holm lifts the
    // larger one to 2 x its p.
    let b = base();
    let noisy = |seed: u64| {
        let mut rng = Lcg(seed);
        let a: Vec<f64> = b
            .iter()
            .map(|x| x * 0.9 + 0.02 * (rng.next() - 0.5))
            .collect();
        Evidence::Paired {
            a,
            b: b.clone(),
            scale: Scale::Relative,
        }
    };
    let judged = judge_reading(vec![
        Finding::new("fig2a-train", noisy(3), ""),
        Finding::new("fig2a-test", noisy(5), ""),
        Finding::new(
            "abstract-memory",
            Evidence::Exact {
                ours: 4.0,
                other: 8.0,
            },
            "",
        ),
    ]);
    let raw: Vec<f64> = judged.iter().map(|j| j.assessment.p).collect();
    let adjusted = stats::holm(&raw[..2]);
    for (j, want) in judged.iter().zip(&adjusted) {
        assert!(close(j.p_holm, *want, 1e-15));
        assert!(j.p_holm >= j.assessment.p);
    }
    // The exact claim has no p and stays out of the family.
    assert!(judged[2].p_holm.is_nan());
}

/// A run of `kind` and `seed` whose final errors are `e`, or non-finite from `diverge_at` on.
fn run_of(
    kind: rbp_core::optim::OptimizerKind,
    seed: u64,
    e: f64,
    diverge_at: Option<usize>,
) -> rbp_lab::experiment::RunResult {
    let records = (0..=3)
        .map(|epoch| {
            let bad = diverge_at.is_some_and(|d| epoch >= d);
            let v = if bad { f64::NAN } else { e };
            rbp_core::train::EpochRecord {
                epoch,
                train_error: v,
                test_error: v,
                test_class_error: None,
            }
        })
        .collect();
    rbp_lab::experiment::RunResult {
        optimizer: kind,
        seed,
        records,
    }
}

#[test]
fn a_diverged_run_is_named_and_never_averaged() {
    use rbp_core::optim::OptimizerKind::{Rbp, Sgd};
    use rbp_lab::report::{summary, table};
    let runs = vec![
        run_of(Sgd, 0, 0.2, None),
        run_of(Rbp, 0, 0.1, Some(2)),
        run_of(Sgd, 1, 0.4, None),
        run_of(Rbp, 1, 0.3, None),
    ];
    let summaries = summary::summarize(&runs);
    let rbp = &summaries[1];
    // The diverged seed is left out of the mean, and named with its first bad epoch.
    assert_eq!(rbp.final_test_error.n, 1);
    assert_eq!(rbp.final_test_error.mean, 0.3);
    assert_eq!(rbp.diverged.len(), 1);
    assert_eq!((rbp.diverged[0].seed, rbp.diverged[0].epoch), (0, 2));
    let json = serde_json::to_string(&summaries).unwrap();
    assert!(
        json.contains(r#""diverged":[{"seed":0,"epoch":2}]"#),
        "{json}"
    );
    // Without a diverged run the summary is written as before: no `diverged` key.
    let sgd = serde_json::to_string(&summaries[0]).unwrap();
    assert!(!sgd.contains("diverged"), "{sgd}");
    let text = table::final_table(&summaries, &[]);
    assert!(
        text.contains("R-BackProp: 1 of 2 run(s) diverged"),
        "{text}"
    );
    assert!(text.contains("seed 0 at epoch 2"), "{text}");
    assert!(text.contains("not compared (a run diverged)"), "{text}");
    assert!(!text.contains("NaN"), "{text}");
    // Every run diverged: the row says so instead of a number.
    let all = summary::summarize(&[run_of(Sgd, 0, 0.2, Some(1))]);
    let text = table::final_table(&all, &[]);
    assert!(text.contains("diverged") && !text.contains("NaN"), "{text}");
}
