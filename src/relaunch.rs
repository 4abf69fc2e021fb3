//! Restarting `rbp` so OpenBLAS loads the kernels this CPU deserves.
//!
//! OpenBLAS reads `OPENBLAS_CORETYPE` once, when the library loads, so the only way to change the
//! core it chose is to run the program again with the variable set. Re-running a process (and
//! telling the user so) is the binary's business; the core only says which core would be better
//! ([`rbp_core::gemm::better_core`]). `benches/step.rs` includes this file too, to measure what
//! `rbp` runs.

use rbp_core::gemm;

/// Set (to anything) to keep the core OpenBLAS chose; the restarted process also sets it, so it
/// cannot restart again.
const GUARD: &str = "RBP_KEEP_BLAS_CORE";

/// Restarts the current program with `OPENBLAS_CORETYPE` set to [`gemm::better_core`], when there
/// is one. Returns only when no restart was needed or it failed (then the run goes on, slower).
/// `RBP_KEEP_BLAS_CORE=1` turns this off.
pub fn restart_with_fast_core() {
    if std::env::var_os(GUARD).is_some() {
        return;
    }
    let Some(core) = gemm::better_core() else {
        return;
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        eprintln!(
            "note: OpenBLAS does not recognise this CPU and chose generic kernels ({}); \
             restarting with OPENBLAS_CORETYPE={core} (set {GUARD}=1 to keep the generic ones)",
            gemm::backend_name()
        );
        // `exec` replaces this process and returns only on failure.
        let err = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("OPENBLAS_CORETYPE", core)
            .env(GUARD, "1")
            .exec();
        eprintln!("note: restart failed ({err}); going on with the generic kernels");
    }
}
