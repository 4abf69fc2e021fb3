//! `rbp landscape`'s study on a tiny toy task: which solutions are kept, determinism, the
//! consistency of the measures with each other, the files written.

use rbp_core::net::Arch;
use rbp_core::optim::OptimizerKind;
use rbp_lab::experiment::Settings;
use rbp_lab::experiment::landscape::report;
use rbp_lab::experiment::landscape::{self, LandscapeConfig, Moment, Solution, StudyProgress};
use rbp_lab::report::files::OutDir;
use rbp_lab::report::summary::headline;
use rbp_lab::run::{RunData, RunStore, Task};

fn tiny_config(workers: usize) -> LandscapeConfig {
    let mut settings = Settings::paper(Arch::new(vec![10, 8, 4]).unwrap(), 2);
    settings.epochs = 6;
    settings.batch = 10;
    settings.optimizers = vec![OptimizerKind::Sgd, OptimizerKind::Adam];
    settings.workers = workers;
    let mut probe = landscape::probe::ProbeConfig {
        lanczos_steps: 12,
        trace_probes: 40,
        density_probes: 4,
        density_steps: 12,
        slice_points: 5,
        ..Default::default()
    };
    probe.top_k = 3;
    LandscapeConfig {
        settings,
        moments: vec![Moment::Final, Moment::Best, Moment::Epoch(2)],
        probe,
    }
}

fn study(workers: usize) -> Vec<Solution> {
    study_in(workers, None)
}

fn study_in(workers: usize, store: Option<&RunStore>) -> Vec<Solution> {
    let config = tiny_config(workers);
    config.validate(60).unwrap();
    let progress = StudyProgress::new(0, 0, false);
    let task = Task::Teacher { train_size: 60 };
    landscape::run(
        &config,
        &task,
        &RunData::default(),
        store,
        Some(2),
        &progress,
    )
    .unwrap()
    .solutions
}

#[test]
fn a_stored_study_keeps_its_weights_and_reads_them_back_with_the_same_measures() {
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::open(dir.path()).unwrap();
    let memory = study(1);
    let first = study_in(2, Some(&store));
    let kept = std::fs::read_dir(store.dir())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".kept-")
        })
        .count();
    // Two seeds x two optimizers, each keeping epoch 2, the final epoch and its best epoch.
    assert!((8..=12).contains(&kept), "{kept} kept files");
    let again = study_in(1, Some(&store));
    assert_eq!(memory.len(), first.len());
    assert_eq!(first.len(), again.len());
    for ((a, b), c) in memory.iter().zip(&first).zip(&again) {
        assert_eq!(a.record, b.record);
        assert_eq!(a.record, c.record);
        assert_eq!(a.moments, c.moments);
        // The probe of weights read back from the store is the probe of the trained weights.
        assert_eq!(
            a.measures.lambda_max().to_bits(),
            b.measures.lambda_max().to_bits()
        );
        assert_eq!(
            a.measures.lambda_max().to_bits(),
            c.measures.lambda_max().to_bits()
        );
    }
}

#[test]
fn the_study_keeps_the_asked_epochs_and_its_measures_agree() {
    let sols = study(1);
    let config = tiny_config(1);
    for seed in 0..2 {
        for kind in [OptimizerKind::Sgd, OptimizerKind::Adam] {
            let mine: Vec<&Solution> = sols
                .iter()
                .filter(|s| s.seed == seed && s.optimizer == kind)
                .collect();
            // Every moment is served exactly once; epochs are distinct and ascending.
            for m in &config.moments {
                assert_eq!(mine.iter().filter(|s| s.moments.contains(m)).count(), 1);
            }
            assert!(
                mine.windows(2)
                    .all(|w| w[0].record.epoch < w[1].record.epoch)
            );
            let fin = mine
                .iter()
                .find(|s| s.moments.contains(&Moment::Final))
                .unwrap();
            assert_eq!(fin.record.epoch, 6);
            assert_eq!(fin.record, fin.final_record);
            let two = mine
                .iter()
                .find(|s| s.moments.contains(&Moment::Epoch(2)))
                .unwrap();
            assert_eq!(two.record.epoch, 2);
            // The best epoch has the lowest validation error of the kept ones: it is chosen on
            // the validation twin, whose error is recorded beside the test error.
            let best = mine
                .iter()
                .find(|s| s.moments.contains(&Moment::Best))
                .unwrap();
            let validation = |s: &Solution| s.validation_error.expect("twins were trained");
            assert!(mine.iter().all(|s| validation(best) <= validation(s)));
            assert!(mine.iter().all(|s| validation(s) != headline(&s.record)));
        }
    }
    for s in &sols {
        let m = &s.measures;
        assert_eq!(m.top_eigenvalues.len(), 3);
        assert!(
            m.top_eigenvalues
                .windows(2)
                .all(|w| w[0].value >= w[1].value)
        );
        // The measured training loss is the one training recorded (f32 vs f64 sums).
        assert!((m.train_loss - s.record.train_error).abs() <= 1e-5 * s.record.train_error);
        // The slice's middle point is the solution itself.
        let mid = m.slice.alpha.len() / 2;
        assert_eq!(m.slice.alpha[mid], 0.0);
        assert!((m.slice.train_loss[mid] - m.train_loss).abs() <= 1e-5 * m.train_loss);
        assert!((m.slice.test_loss[mid] - s.record.test_error).abs() <= 1e-5 * s.record.test_error);
        // The box contains the solution, so the ascent never reports less than its loss.
        assert!(m.sharpness >= 0.0 && m.sharpness_max_loss >= m.train_loss);
        // Hutchinson's and the quadrature's traces are independent unbiased estimates of the same
        // trace: within 4 combined standard errors.
        let se = (m.trace.std_error.powi(2) + m.density_trace.std_error.powi(2)).sqrt();
        assert!(
            (m.trace.mean - m.density_trace.mean).abs() <= 4.0 * se,
            "{:?} vs {:?}",
            m.trace,
            m.density_trace
        );
        // Every Rayleigh quotient (each probe's trace / n) lies below lambda_max.
        for d in &m.density {
            let q: f64 = d.nodes.iter().zip(&d.weights).map(|(x, w)| x * w).sum();
            assert!(
                q <= m.lambda_max() + 1e-6 * m.lambda_max().abs(),
                "{q} > lambda_max"
            );
        }
        assert_eq!(m.products, 12 + 40 + 4 * 12);
    }
}

#[test]
fn the_study_is_deterministic_and_independent_of_workers() {
    let a = study(1);
    let b = study(2);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            (x.optimizer, x.seed, x.record),
            (y.optimizer, y.seed, y.record)
        );
        let strip = |s: &Solution| {
            let mut m = s.measures.clone();
            m.seconds = 0.0;
            m
        };
        assert_eq!(strip(x), strip(y));
    }
}

#[test]
fn bad_settings_name_their_parameter() {
    let mut c = tiny_config(1);
    c.moments = vec![Moment::Epoch(7)];
    assert_eq!(c.validate(60).unwrap_err().parameter, "moments");
    c.moments.clear();
    assert_eq!(c.validate(60).unwrap_err().parameter, "moments");
    let mut c = tiny_config(1);
    c.probe.trace_probes = 0;
    assert_eq!(c.validate(60).unwrap_err().parameter, "probe.trace_probes");
    let mut c = tiny_config(1);
    c.probe.lanczos_steps = 2;
    assert_eq!(c.validate(60).unwrap_err().parameter, "probe.lanczos_steps");
    assert!("fianl".parse::<Moment>().is_err());
    assert_eq!("best".parse::<Moment>(), Ok(Moment::Best));
    assert_eq!(" 12".parse::<Moment>(), Ok(Moment::Epoch(12)));
}

#[test]
fn save_writes_every_named_file() {
    let sols = study(2);
    let config = tiny_config(2);
    let dir = tempfile::tempdir().unwrap();
    let out = OutDir::new(dir.path(), false);
    let task = serde_json::json!({"task": "toy"});
    let written = report::save(
        &out,
        &config,
        &report::Study {
            task: &task,
            solutions: &sols,
            diverged: &[],
            seconds: 1.0,
        },
    )
    .unwrap();
    let names = report::file_names(&config);
    assert_eq!(written.len(), names.len());
    for name in &names {
        assert!(dir.path().join(name).is_file(), "{name} missing");
    }
    let csv = std::fs::read_to_string(dir.path().join("landscape.csv")).unwrap();
    assert_eq!(csv.lines().count(), sols.len() + 1);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("landscape.json")).unwrap())
            .unwrap();
    assert_eq!(json["solutions"].as_array().unwrap().len(), sols.len());
    // Nothing is overwritten without asking.
    assert!(
        report::save(
            &out,
            &config,
            &report::Study {
                task: &task,
                solutions: &sols,
                diverged: &[],
                seconds: 1.0
            }
        )
        .is_err()
    );
    let table = report::table(&config, &sols);
    assert!(table.contains("| sgd | 2 |") && table.contains("| adam | 2 |"));
}
