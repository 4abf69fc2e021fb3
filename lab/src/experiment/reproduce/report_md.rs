//! `REPORT.md`: the claims table, the comparison of readings, the settings, the machine, and every
//! plot.

use super::figures::{Claim, FigureOutput};
use super::{Outcome, ReproduceConfig};
use rbp_core::gemm;
use rbp_core::optim::Hyper;
use std::fmt::Write as _;

pub const REPORT: &str = "REPORT.md";

/// The paper's Fig. 2 improvements: on BackProp, on Adam.
const PAPER_FIG2: (f64, f64) = (0.775, 0.491);

fn pct(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{:+.1}%", 100.0 * v))
}

fn claims_table(out: &mut String, claims: &[&Claim]) {
    out.push_str("| claim | paper | ours (mean ± std, 95% CI, n) | relative improvement | R-BackProp lower in | verdict | why |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for c in claims {
        let wins = c.wins.map_or("–".into(), |(w, n)| format!("{w}/{n} seeds"));
        let _ = writeln!(
            out,
            "| **{}**: {} | {} | {} | {} | {} | **{}** | {} |",
            c.id,
            c.statement,
            c.paper,
            c.ours,
            pct(c.improvement),
            wins,
            c.verdict,
            c.why.replace('|', "/")
        );
    }
    out.push('\n');
}

fn figure_section(out: &mut String, fig: &FigureOutput, prefix: &str) {
    let _ = writeln!(out, "### {}: {}\n", fig.id, fig.title);
    for (caption, stem) in &fig.plots {
        let _ = writeln!(
            out,
            "![{caption}]({prefix}{stem}.png)\n\n*{caption}* ([SVG]({prefix}{stem}.svg))\n"
        );
    }
    for note in &fig.notes {
        let _ = writeln!(out, "{note}\n");
    }
}

/// The Fig. 2 improvements of a reading: on BackProp, on Adam.
fn fig2_improvements<'a>(claims: &[&'a Claim]) -> (Option<&'a Claim>, Option<&'a Claim>) {
    (
        claims.iter().find(|c| c.id == "Fig. 2a").copied(),
        claims.iter().find(|c| c.id == "Fig. 2b").copied(),
    )
}

fn readings_table(out: &mut String, outcome: &Outcome) {
    out.push_str("## Comparison of readings\n\n");
    out.push_str("Fig. 2's claims under each reading (g_prev, lr clock, init). The distance to the paper is |ours − 77.5%| + |ours − 49.1%| in percentage points.\n\n");
    out.push_str("| reading | improvement on BackProp (paper 77.5%) | verdict | improvement on Adam (paper 49.1%) | verdict | distance to paper |\n|---|---|---|---|---|---|\n");
    let mut best: Option<(f64, String)> = None;
    for r in &outcome.readings {
        let claims: Vec<&Claim> = r.claims().collect();
        let (a, b) = fig2_improvements(&claims);
        let imp = |c: Option<&Claim>| c.and_then(|c| c.improvement);
        let verdict = |c: Option<&Claim>| c.map_or("–".into(), |c| c.verdict.to_string());
        let distance = match (imp(a), imp(b)) {
            (Some(x), Some(y)) => 100.0 * ((x - PAPER_FIG2.0).abs() + (y - PAPER_FIG2.1).abs()),
            _ => f64::NAN,
        };
        let name = r.reading.name();
        if distance.is_finite() && best.as_ref().is_none_or(|(d, _)| distance < *d) {
            best = Some((distance, name.clone()));
        }
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {distance:.1} |",
            pct(imp(a)),
            verdict(a),
            pct(imp(b)),
            verdict(b)
        );
    }
    match best {
        Some((d, name)) => {
            let _ = writeln!(
                out,
                "\nClosest to the paper: **{name}** (distance {d:.1} percentage points).\n"
            );
        }
        None => out.push_str("\nNo reading produced finite improvements.\n\n"),
    }
}

fn settings_section(out: &mut String, config: &ReproduceConfig) {
    let h = Hyper::default();
    out.push_str("## Settings\n\n| setting | value |\n|---|---|\n");
    let rows = [
        ("protocol", config.protocol.clone()),
        ("network", config.arch.to_string()),
        ("task", "teacher-student: y* = sigmoid(W_g v), v ~ N(0, I), W_g ~ N(0, 1); test set of M examples".into()),
        ("M (Figs. 2, 3)", config.train_size.to_string()),
        ("mini-batch", config.batch.to_string()),
        ("epochs", config.epochs.to_string()),
        ("seeds (Figs. 2, 3)", format!("0..{}", config.seeds)),
        ("seeds per point (Fig. 4)", format!("0..{}", config.fig4_seeds)),
        ("M (Fig. 4)", config.fig4_sizes.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", ")),
        ("(γ0, λ) (Fig. 3)", config.fig3_points.iter().map(|(g, l)| format!("({g}, {l})")).collect::<Vec<_>>().join(", ")),
        ("BackProp / R-BackProp learning rate", format!("max({} · {}^t, {})", h.lr0, h.lr_decay, h.lr_min)),
        ("Adam", format!("lr max({} · {}^t, {}), β1 {}, β2 {}, ε {}", h.adam.lr0, h.lr_decay, h.adam.lr_min, h.adam.beta1, h.adam.beta2, h.adam.eps)),
        ("readings", config.readings.iter().map(|r| r.name()).collect::<Vec<_>>().join(", ")),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "| {k} | {v} |");
    }
    out.push('\n');
}

fn environment_section(out: &mut String, config: &ReproduceConfig, outcome: &Outcome) {
    out.push_str("## Environment\n\n| | |\n|---|---|\n");
    let rows = [
        ("rbp", env!("CARGO_PKG_VERSION").to_string()),
        ("GEMM backend", gemm::backend_name()),
        ("BLAS threads per run", gemm::threads().to_string()),
        ("elementwise kernels", rbp_core::kernel_level().to_string()),
        ("runs in parallel", config.workers.to_string()),
        (
            "cores",
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .to_string(),
        ),
        (
            "target",
            format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS),
        ),
        ("distinct training runs", outcome.runs.to_string()),
        ("run time", format!("{:.1} s", outcome.seconds)),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "| {k} | {v} |");
    }
    out.push_str("\nA run's numbers do not depend on how many run in parallel: each run has its own seeded streams and single-threaded BLAS.\n\n");
}

/// Renders `REPORT.md`.
pub fn render(config: &ReproduceConfig, outcome: &Outcome) -> String {
    let mut out = String::new();
    out.push_str("# Reproduction: Reinforced backpropagation improves test performance of deep networks: a toy-model study (Huang & Toyoizumi, 2017)\n\n");
    let _ = writeln!(
        out,
        "Generated by `rbp reproduce` ({} protocol) in {:.1} s: {} distinct training runs on {} worker(s).\n",
        config.protocol, outcome.seconds, outcome.runs, config.workers
    );
    out.push_str("Verdicts: **holds** when R-BackProp is significantly better (paired t 95% CI of the per-seed difference below 0) by at least half the claimed margin; **partly holds** when better but by less, or not significantly; **does not hold** otherwise. Relative improvement = (other − R-BackProp) / other, on mean final test error.\n\n");
    let primary = &outcome.readings[0];
    let _ = writeln!(out, "## Claims (reading {})\n", primary.reading.name());
    let mut claims: Vec<&Claim> = primary.claims().collect();
    claims.extend(outcome.fig5.claims.iter());
    claims_table(&mut out, &claims);
    if outcome.fig5.claims.is_empty() {
        let _ = writeln!(out, "Fig. 5: {}\n", super::figures::MNIST_MISSING);
    }
    if outcome.readings.len() > 1 {
        readings_table(&mut out, outcome);
    }
    if outcome.explain.seeds > 0 {
        out.push_str(&super::explain::markdown(&outcome.explain));
    }
    settings_section(&mut out, config);
    environment_section(&mut out, config, outcome);
    out.push_str("## Figures\n\n");
    figure_section(&mut out, &outcome.fig1, "");
    for (i, r) in outcome.readings.iter().enumerate() {
        let prefix = if outcome.readings.len() == 1 {
            String::new()
        } else {
            format!("{}/", r.reading.name())
        };
        if i > 0 {
            let _ = writeln!(out, "## Reading {}\n", r.reading.name());
            let claims: Vec<&Claim> = r.claims().collect();
            claims_table(&mut out, &claims);
        } else if outcome.readings.len() > 1 {
            let _ = writeln!(out, "Figures 2–4 below use reading {}.\n", r.reading.name());
        }
        for fig in &r.figures {
            figure_section(&mut out, fig, &prefix);
        }
    }
    figure_section(&mut out, &outcome.fig5, "");
    out
}
