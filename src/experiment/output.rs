//! What every experiment prints and saves: a header naming the machine setup, the final table,
//! `curves.csv` and `summary.json`.

use super::{RunResult, Settings};
use crate::gemm;
use crate::report::files::{self, OutDir, OutputError};
use crate::report::summary::{self, OptimizerSummary};
use crate::report::table::{self, PaperValue};
use serde::Serialize;

/// One line naming the GEMM backend, its threads, the parallel runs and the SIMD level.
pub fn backend_line(workers: usize) -> String {
    format!(
        "GEMM: {}, {} BLAS thread(s) per run, {} run(s) in parallel; kernels: {}",
        gemm::backend_name(),
        gemm::threads(),
        workers,
        rbp_kernels::Level::best().name()
    )
}

/// Sets BLAS threads for a grid: single-threaded BLAS when runs go in parallel (two levels of
/// threads would oversubscribe the cores), else the user's choice.
pub fn configure_threads(workers: usize, blas_threads: usize) {
    gemm::set_threads(if workers > 1 { 1 } else { blas_threads.max(1) });
}

/// The contents of `summary.json`.
#[derive(Serialize)]
pub struct SummaryFile<'a, X: Serialize> {
    pub command: &'a str,
    pub settings: &'a Settings,
    /// Task-specific settings (training-set size, data set, ...).
    pub task: X,
    pub gemm_backend: String,
    pub kernels: &'static str,
    pub seconds: f64,
    pub optimizers: Vec<OptimizerSummary>,
}

/// Everything an experiment leaves: the table (returned for printing) and, with `out`, the files.
pub struct Finished<'a, X: Serialize> {
    pub command: &'a str,
    pub settings: &'a Settings,
    pub task: X,
    pub runs: &'a [RunResult],
    pub seconds: f64,
    pub class_error: bool,
    pub paper: &'a [PaperValue],
}

/// Names of the files [`Finished::save`] writes, to check before the work starts.
pub const RESULT_FILES: [&str; 2] = ["curves.csv", "summary.json"];

impl<X: Serialize> Finished<'_, X> {
    pub fn table(&self) -> String {
        table::final_table(&summary::summarize(self.runs), self.paper)
    }

    pub fn save(&self, out: &OutDir) -> Result<Vec<std::path::PathBuf>, OutputError> {
        let csv = files::curves_csv(self.runs, self.class_error);
        let summary = SummaryFile {
            command: self.command,
            settings: self.settings,
            task: &self.task,
            gemm_backend: gemm::backend_name(),
            kernels: rbp_kernels::Level::best().name(),
            seconds: self.seconds,
            optimizers: summary::summarize(self.runs),
        };
        let json = serde_json::to_string_pretty(&summary).expect("the summary serializes");
        Ok(vec![
            out.write("curves.csv", csv.as_bytes())?,
            out.write("summary.json", json.as_bytes())?,
        ])
    }
}
