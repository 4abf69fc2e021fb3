//! `REPORT.md`: how claims are judged, the claim table of the primary reading, the sensitivity
//! of every claim to the readings, the settings, the machine, and every plot. Also `claims.csv`.

use super::figures::FigureOutput;
use super::{Outcome, ReproduceConfig};
use crate::paper::protocol::{self as rules, ReadingRole, SeedBlock};
use crate::paper::{self, Judged, Test, Verdict};
use crate::report::csv::Table;
use crate::report::format::{CHANGE, Num, p_value, seconds};
use rbp_core::gemm;
use rbp_core::optim::Hyper;
use std::fmt::Write as _;

pub const REPORT: &str = "REPORT.md";
/// Every claim under every reading, one row each: the numbers behind the tables.
pub const CLAIMS_CSV: &str = "claims.csv";

/// The protocol's version and hash, the seed block, and whether these results are confirmatory.
fn protocol_section(out: &mut String, config: &ReproduceConfig) {
    let p = rules::Protocol::current();
    let _ = writeln!(
        out,
        "**Protocol v{}**, SHA-256 `{}` (`lab/src/paper/protocol.rs`: every rule, window, threshold, margin, seed count and seed block, the primary and co-primary readings and the statistical levels).\n\n**Seeds**: the {} block, seeds {}.. ({}).\n\n**Status: {}**\n",
        p.version,
        p.hash(),
        config.seed_block.name(),
        config.seed(0),
        match config.seed_block {
            SeedBlock::Dev => "used by every earlier result of this program",
            SeedBlock::Confirm =>
                "derived from the protocol version, never run before this version was frozen",
        },
        config.status_line()
    );
    out.push_str("**History**: the rules were written after earlier versions of this program had printed results on the development seeds, so they are not \"fixed before any run\"; only a run on the confirmation seeds of the frozen version tests them on data they were not shaped by. Rules chosen after looking at development numbers say \"post hoc\".\n\n");
}

fn method_section(out: &mut String, config: &ReproduceConfig) {
    out.push_str("## How the claims are judged\n\n");
    let _ = writeln!(
        out,
        "Every claim of the paper is data in `lab/src/paper/`: the sentence it rests on (verbatim, with its section), the quantity, the comparison, the published number and what it is, and the test. The **primary reading** is fixed by the protocol, whatever the order of `--reading`: {} (Sec. III: the previous gradients \"are accumulated\"; Fig. 1 counts t in iterations, and the 0.02 learning-rate floor is only reached that way). The **co-primary reading** {} takes Eq. (6) as written (g(t−1), the raw previous gradient). **Holm family**: {}. The initial weights are a choice the paper does not make (LeCun's is ours); the sensitivity reading {} shows what it changes.\n",
        rules::PRIMARY.name(),
        rules::CO_PRIMARY.name(),
        rules::HOLM_FAMILY,
        rules::INIT_SENSITIVITY.name()
    );
    let published = Num::Percent(1).show(-paper::FIG2A_TEST_CHANGE);
    let _ = writeln!(
        out,
        "**Sign convention** (every table, `claims.csv` and the terminal): the change in error of R-BackProp against X, the geometric change `exp(mean over seeds of ln(R-BackProp / X)) − 1` (the scale its test and interval run on); **negative = lower error**. The paper's \"improves by {published}\" is −{published}.\n"
    );
    let _ = writeln!(
        out,
        "**Tests**: paired over seeds (seed `s` of every optimizer shares its data and initial weights). Direction claims: two-sided paired t test; counts of seeds (peaks, early minima, rank trends): exact sign test; claims that must hold in every part (every M, every other setting): intersection-union, the claim's p is its weakest part's; equivalence claims: two one-sided t tests (TOST) against the protocol's margin. Relative changes are tested on per-seed log ratios and shown as geometric changes. Intervals: {ci}. Their level: {level}. p-values are shown raw and **Holm-adjusted within their family** (above); verdicts use the adjusted ones. *Detectable*: {detectable} (power {power}, α = {alpha}). The paper's own ±: {spread}.\n",
        ci = paper::verdict::CI_METHOD,
        level = paper::verdict::CI_LEVEL_RULE,
        detectable = paper::verdict::DETECTABLE_RULE,
        spread = paper::verdict::PAPER_SPREAD_RULE,
        power = Num::Percent(0).show(paper::POWER),
        alpha = paper::ALPHA,
    );
    out.push_str("| verdict | rule |\n|---|---|\n");
    for v in Verdict::ALL {
        let _ = writeln!(out, "| **{v}** | {} |", v.rule());
    }
    out.push('\n');
    out.push_str("Margins, windows and thresholds of protocol v");
    let _ = writeln!(
        out,
        "{} (ours, not the paper's):\n",
        rules::PROTOCOL_VERSION
    );
    for c in &paper::CLAIMS {
        if let Test::Equivalence { margin, reason } = c.test {
            let _ = writeln!(
                out,
                "- `{}`: margin {} on its scale — {reason}.",
                c.id,
                Num::Fixed(4).show(margin)
            );
        }
    }
    thresholds(out, config.epochs);
}

/// The windows and thresholds of the shape claims, on the paper's axis and scaled to this run.
fn thresholds(out: &mut String, epochs: usize) {
    let pct = |x: f64| Num::Percent(0).show(x);
    let w = |w: rules::EpochWindow| {
        let (a, b) = w.scaled(epochs);
        format!(
            "epochs {}-{} of 100 ({a}-{b} of this run's {epochs})",
            w.from, w.to
        )
    };
    let lines = [
        format!(
            "`fig2a-peak`: a rise of ≥ {r} above the running minimum, then a fall of ≥ {r}, with its top in {}; BackProp's same seed must have none there",
            w(rules::PEAK_WINDOW),
            r = pct(rules::PEAK_RISE)
        ),
        format!(
            "`fig2a-fluctuations`: rise-and-fall episodes of ≥ {}",
            pct(rules::FLUCTUATION_RISE)
        ),
        format!(
            "`fig2b-adam-early-fast`: the fall from epoch 0 to epoch {} of 100",
            rules::EARLY_UNTIL
        ),
        format!(
            "`fig2b-adam-slows`: the rate before and after the window {}",
            w(rules::ADAM_SLOWS_WINDOW)
        ),
        format!(
            "`fig2b-late`: from epoch {} of 100 to the end",
            rules::LATE_FROM
        ),
        format!(
            "`fig2b-adam-large-eta`: Adam at η0 = {}",
            rules::ADAM_LARGE_LR0
        ),
        format!(
            "`fig3-early-minimum`: the minimum in {}, then over {} epochs of 100 the test error rises while the training error falls",
            w(rules::OVERFIT_WINDOW),
            rules::OVERFIT_SPAN
        ),
    ];
    for l in lines {
        let _ = writeln!(out, "- {l}.");
    }
    out.push('\n');
}

fn claims_table(out: &mut String, judged: &[Judged]) {
    out.push_str("| claim | the paper | published | ours | change or estimate (simultaneous CI, level in the cell) | p | p (Holm) | detectable | verdict |\n");
    out.push_str("|---|---|---|---|---|---|---|---|---|\n");
    for j in judged {
        let a = &j.assessment;
        let _ = writeln!(
            out,
            "| **{}** ({}): {} | {} | {} | {} | {} | {} | {} | {} (n = {}) | **{}** |",
            j.spec.id,
            j.spec.figure,
            j.spec.statement,
            j.spec.quote,
            j.spec.published.text(),
            j.ours.replace('|', "/"),
            a.estimate_text,
            p_value(a.p),
            p_value(j.p_holm),
            a.detectable,
            a.n,
            j.verdict
        );
    }
    out.push('\n');
}

fn sensitivity_table(out: &mut String, outcome: &Outcome) {
    out.push_str("## Sensitivity: every claim under every reading\n\n");
    out.push_str("Each column is a reading with its role in the protocol; primary and co-primary share one Holm family, every sensitivity reading is its own family and exploratory. Each cell: verdict, and the change or estimate.\n\n| claim |");
    for r in &outcome.readings {
        let _ = write!(out, " {} ({}) |", r.reading.name(), role_name(&r.reading));
    }
    out.push_str("\n|---|");
    for _ in &outcome.readings {
        out.push_str("---|");
    }
    out.push('\n');
    for (i, c) in paper::CLAIMS.iter().enumerate() {
        let _ = write!(out, "| {} |", c.id);
        for r in &outcome.readings {
            let j = &r.judged[i];
            let est = if j.assessment.estimate.is_finite() {
                match j.assessment.estimate_kind {
                    "share_of_seeds" => {
                        format!("{} of seeds", Num::Percent(0).show(j.assessment.estimate))
                    }
                    "mean_difference" => Num::SignedFixed(3).show(j.assessment.estimate),
                    _ => CHANGE.show(j.assessment.estimate),
                }
            } else {
                "–".into()
            };
            let _ = write!(out, " {} ({est}) |", j.verdict);
        }
        out.push('\n');
    }
    out.push_str("| *reproduced or equivalent (of the claims tested; by-design ones left out)* |");
    for r in &outcome.readings {
        let k = r
            .judged
            .iter()
            .filter(|j| matches!(j.verdict, Verdict::Reproduced | Verdict::Equivalent))
            .count();
        let tested = r
            .judged
            .iter()
            .filter(|j| j.verdict != Verdict::ByDesign)
            .count();
        let _ = write!(out, " {k} of {tested} |");
    }
    out.push_str("\n\n");
}

/// `claims.csv`: every claim under every reading, with the sign convention of the report.
pub fn claims_csv(outcome: &Outcome) -> String {
    let mut csv = Table::new(&[
        "reading",
        "role",
        "claim",
        "figure",
        "verdict",
        "estimate_kind",
        "estimate",
        "ci_lo",
        "ci_hi",
        "ci_level",
        "p",
        "p_holm",
        "n",
    ]);
    for r in &outcome.readings {
        for j in &r.judged {
            let a = &j.assessment;
            csv.row_of(&[
                &r.reading.name(),
                &role_name(&r.reading),
                &j.spec.id,
                &j.spec.figure,
                &j.verdict,
                &a.estimate_kind,
                &a.estimate,
                &a.ci.0,
                &a.ci.1,
                &a.ci_level,
                &a.p,
                &j.p_holm,
                &a.n,
            ]);
        }
    }
    csv.finish()
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
        ("seed block", format!("{} (seed = {} + index)", config.seed_block.name(), config.seed(0))),
        ("seeds (Figs. 2, 3)", seed_range(config, config.seeds)),
        ("seeds per point (Fig. 4)", seed_range(config, config.fig4_seeds)),
        ("seeds per optimizer (Fig. 5, MNIST)", seed_range(config, config.mnist_seeds)),
        ("toy error (Figs. 2-4)", "E = ½ |y* − y|² per example, averaged over the examples of the set (training or test); the same quadratic loss the networks minimise".into()),
        ("MNIST error (Fig. 5)", "classification error: the share of test images whose largest output is not the label".into()),
        ("M (Fig. 4)", config.fig4_sizes.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", ")),
        ("(γ0, λ) (Fig. 3)", format!("{} (the text names (0.9995, 0.0001) and (0.9995, 0.001); the others are ours)", config.fig3_points.iter().map(|(g, l)| format!("({g}, {l})")).collect::<Vec<_>>().join(", "))),
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
        ("run time", seconds(outcome.seconds, 1)),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "| {k} | {v} |");
    }
    out.push_str("\nA run's numbers do not depend on how many run in parallel: each run has its own seeded streams and single-threaded BLAS.\n\n");
}

/// `first..last` (inclusive) of the first `n` seeds of `config`'s block.
fn seed_range(config: &ReproduceConfig, n: u64) -> String {
    format!(
        "{}..={} ({n})",
        config.seed(0),
        config.seed(n.saturating_sub(1))
    )
}

/// `primary`, `co-primary` or `sensitivity`.
pub fn role_name(reading: &super::Reading) -> &'static str {
    match rules::role(reading) {
        ReadingRole::Primary => "primary",
        ReadingRole::CoPrimary => "co-primary",
        ReadingRole::Sensitivity => "sensitivity",
    }
}

/// The claim tables of the primary and co-primary readings (whichever were run), or a note that
/// neither was.
fn headline_tables(out: &mut String, outcome: &Outcome) {
    let mut shown = 0;
    for r in &outcome.readings {
        let role = rules::role(&r.reading);
        if role == ReadingRole::Sensitivity {
            continue;
        }
        let _ = writeln!(
            out,
            "## Claims ({} reading {}; Holm across the primary and co-primary readings' claims)\n",
            role_name(&r.reading),
            r.reading.name()
        );
        claims_table(out, &r.judged);
        shown += 1;
    }
    if shown == 0 {
        let _ = writeln!(
            out,
            "## Claims\n\nNeither the primary ({}) nor the co-primary ({}) reading was run: every table below is a sensitivity reading, exploratory.\n",
            rules::PRIMARY.name(),
            rules::CO_PRIMARY.name()
        );
    }
}

/// Renders `REPORT.md`.
pub fn render(config: &ReproduceConfig, outcome: &Outcome) -> String {
    let mut out = String::new();
    out.push_str("# Reproduction: Reinforced backpropagation improves test performance of deep networks: a toy-model study (Huang & Toyoizumi, 2017)\n\n");
    let _ = writeln!(
        out,
        "Generated by `rbp reproduce` ({} protocol) in {}: {} distinct training runs on {} worker(s).\n",
        config.protocol,
        seconds(outcome.seconds, 1),
        outcome.runs,
        config.workers
    );
    protocol_section(&mut out, config);
    method_section(&mut out, config);
    headline_tables(&mut out, outcome);
    if outcome.readings.len() > 1 {
        sensitivity_table(&mut out, outcome);
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
        if i > 0 && rules::role(&r.reading) == ReadingRole::Sensitivity {
            let _ = writeln!(
                out,
                "## Reading {} (sensitivity, exploratory)\n",
                r.reading.name()
            );
            claims_table(&mut out, &r.judged);
        } else if outcome.readings.len() > 1 {
            let _ = writeln!(out, "Figures 2–5 below use reading {}.\n", r.reading.name());
        }
        for fig in &r.figures {
            figure_section(&mut out, fig, &prefix);
        }
    }
    out
}
