//! A bounded pool of worker threads that runs jobs in index order and returns their results in
//! that order, whatever the number of workers.

/// The worker threads could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start {0} worker threads")]
pub struct PoolError(pub usize);

/// Runs `work(i)` for `i in 0..n` on `workers` threads, started in index order (so the first
/// jobs are the first to run), and returns the results in index order.
pub fn run_in_order<T: Send>(
    n: usize,
    workers: usize,
    work: impl Fn(usize) -> T + Sync,
) -> Result<Vec<T>, PoolError> {
    let workers = workers.clamp(1, n.max(1));
    let slots: Vec<std::sync::Mutex<Option<T>>> =
        (0..n).map(|_| std::sync::Mutex::new(None)).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()
        .map_err(|_| PoolError(workers))?;
    // In a FIFO scope the spawning worker and the workers stealing from it both take the oldest
    // job first, so jobs start in index order whatever the number of workers.
    pool.scope_fifo(|s| {
        for (i, slot) in slots.iter().enumerate() {
            let work = &work;
            s.spawn_fifo(move |_| {
                let result = work(i);
                *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
            });
        }
    });
    Ok(slots
        .into_iter()
        .map(|s| {
            s.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every job ran")
        })
        .collect())
}

/// BLAS threads per run for `workers` parallel runs asking for `requested`: one each when runs
/// go in parallel (two levels of threads would oversubscribe the cores), else `requested`.
pub fn blas_threads_per_run(workers: usize, requested: usize) -> usize {
    if workers > 1 { 1 } else { requested.max(1) }
}

/// Sets the BLAS thread count to [`blas_threads_per_run`]: the one place the studies set it.
pub fn configure_blas(workers: usize, requested: usize) {
    rbp_core::gemm::set_threads(blas_threads_per_run(workers, requested));
}
