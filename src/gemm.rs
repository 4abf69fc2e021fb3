//! The one place that knows about BLAS.
//!
//! Every matrix product of the network goes through [`sgemm`], which is OpenBLAS's `cblas_sgemm`
//! when the build found it (`cfg(rbp_openblas)`, see `build.rs`) and `matrixmultiply::sgemm`
//! otherwise. All matrices are row-major `f32` slices.

/// Whether an operand is used as stored or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trans {
    No,
    Yes,
}

/// A row-major matrix view: `rows x cols` logical shape of the *stored* data, leading dimension `ld`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
}

impl<'a> MatRef<'a> {
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert_eq!(
            data.len(),
            rows * cols,
            "matrix buffer length does not match its shape"
        );
        MatRef { data, rows, cols }
    }
    /// Shape after applying `t`.
    fn shape(&self, t: Trans) -> (usize, usize) {
        match t {
            Trans::No => (self.rows, self.cols),
            Trans::Yes => (self.cols, self.rows),
        }
    }
}

/// `C = alpha * op(A) * op(B) + beta * C`, with `C` row-major `m x n` (`m = op(A).rows`, `n = op(B).cols`).
///
/// Shapes are checked with `assert!`: a mismatch is a programming error inside the crate, never a
/// user input error (user-facing sizes are validated long before we get here).
pub fn sgemm(alpha: f32, a: MatRef, ta: Trans, b: MatRef, tb: Trans, beta: f32, c: &mut [f32]) {
    if let Some(p) = Product::checked(alpha, a, ta, b, tb, beta, c) {
        backend::sgemm(&p, c);
    }
}

/// A product whose shapes were checked against its output: what the backends receive, so neither
/// can be called with dimensions that do not match the slices (their inner calls are `unsafe`).
#[derive(Clone, Copy, Debug)]
struct Product<'a> {
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: MatRef<'a>,
    ta: Trans,
    b: MatRef<'a>,
    tb: Trans,
    beta: f32,
}

impl<'a> Product<'a> {
    /// The checked product, or `None` when it has no output element (nothing to compute).
    fn checked(
        alpha: f32,
        a: MatRef<'a>,
        ta: Trans,
        b: MatRef<'a>,
        tb: Trans,
        beta: f32,
        c: &[f32],
    ) -> Option<Product<'a>> {
        let (m, k) = a.shape(ta);
        let (k2, n) = b.shape(tb);
        assert_eq!(k, k2, "inner dimensions of the product differ");
        assert_eq!(
            c.len(),
            m * n,
            "output buffer length does not match the product's shape"
        );
        (m > 0 && n > 0).then_some(Product {
            m,
            n,
            k,
            alpha,
            a,
            ta,
            b,
            tb,
            beta,
        })
    }
}

/// Human-readable name of the backend, with its version where known.
pub fn backend_name() -> String {
    backend::name()
}

/// Sets the number of threads the BLAS may use (a no-op for the single-threaded fallback).
pub fn set_threads(n: usize) {
    backend::set_threads(n.max(1));
}

/// Number of threads the BLAS uses.
pub fn threads() -> usize {
    backend::threads()
}

/// True when the build linked OpenBLAS.
pub const HAS_OPENBLAS: bool = cfg!(rbp_openblas);

#[cfg(rbp_openblas)]
mod backend {
    use super::{Product, Trans};
    use std::ffi::{CStr, c_char, c_int};

    const CBLAS_ROW_MAJOR: c_int = 101;
    const CBLAS_NO_TRANS: c_int = 111;
    const CBLAS_TRANS: c_int = 112;

    unsafe extern "C" {
        #[allow(clippy::too_many_arguments)]
        fn cblas_sgemm(
            order: c_int,
            transa: c_int,
            transb: c_int,
            m: c_int,
            n: c_int,
            k: c_int,
            alpha: f32,
            a: *const f32,
            lda: c_int,
            b: *const f32,
            ldb: c_int,
            beta: f32,
            c: *mut f32,
            ldc: c_int,
        );
        fn openblas_set_num_threads(n: c_int);
        fn openblas_get_num_threads() -> c_int;
        fn openblas_get_config() -> *const c_char;
        fn openblas_get_corename() -> *const c_char;
    }

    fn flag(t: Trans) -> c_int {
        match t {
            Trans::No => CBLAS_NO_TRANS,
            Trans::Yes => CBLAS_TRANS,
        }
    }

    fn dim(x: usize) -> c_int {
        c_int::try_from(x).expect("matrix dimension exceeds the BLAS integer range")
    }

    pub(super) fn sgemm(p: &Product, c: &mut [f32]) {
        let Product {
            m,
            n,
            k,
            alpha,
            a,
            ta,
            b,
            tb,
            beta,
        } = *p;
        // SAFETY: the shapes were checked by the caller, so every pointer covers the `m x k`,
        // `k x n` and `m x n` row-major extents cblas reads and writes; the leading dimensions
        // are the stored column counts.
        unsafe {
            cblas_sgemm(
                CBLAS_ROW_MAJOR,
                flag(ta),
                flag(tb),
                dim(m),
                dim(n),
                dim(k),
                alpha,
                a.data.as_ptr(),
                dim(a.cols.max(1)),
                b.data.as_ptr(),
                dim(b.cols.max(1)),
                beta,
                c.as_mut_ptr(),
                dim(n),
            )
        }
    }

    fn c_string(p: *const c_char) -> String {
        if p.is_null() {
            return String::new();
        }
        // SAFETY: OpenBLAS returns pointers to static NUL-terminated strings.
        unsafe { CStr::from_ptr(p) }
            .to_string_lossy()
            .trim()
            .to_string()
    }

    pub(super) fn name() -> String {
        // `openblas_get_config` starts with "OpenBLAS <version>".
        let config = c_string(unsafe { openblas_get_config() });
        let core = c_string(unsafe { openblas_get_corename() });
        let version = config
            .split_whitespace()
            .nth(1)
            .map(str::to_string)
            .unwrap_or_else(|| env!("RBP_OPENBLAS_PKG_VERSION").to_string());
        format!("OpenBLAS {version} (core {core})")
    }

    pub(super) fn set_threads(n: usize) {
        // SAFETY: plain setter of a global thread count.
        unsafe { openblas_set_num_threads(dim(n)) }
    }

    pub(super) fn threads() -> usize {
        // SAFETY: plain getter.
        unsafe { openblas_get_num_threads() }.max(1) as usize
    }
}

#[cfg(not(rbp_openblas))]
mod backend {
    pub(super) use super::fallback::run as sgemm;

    pub(super) fn name() -> String {
        "matrixmultiply (pure-Rust fallback)".to_string()
    }
    pub(super) fn set_threads(_n: usize) {}
    pub(super) fn threads() -> usize {
        1
    }
}

/// The pure-Rust GEMM, always compiled so benchmarks can compare it with OpenBLAS.
pub mod fallback {
    use super::{MatRef, Product, Trans};

    /// Row and column strides of `op(X)` for a row-major `X`: a transpose only swaps strides.
    fn strides(x: &MatRef, t: Trans) -> (isize, isize) {
        let (rs, cs) = (x.cols as isize, 1);
        match t {
            Trans::No => (rs, cs),
            Trans::Yes => (cs, rs),
        }
    }

    /// [`super::sgemm`] through `matrixmultiply`, whatever the build linked.
    pub fn sgemm(alpha: f32, a: MatRef, ta: Trans, b: MatRef, tb: Trans, beta: f32, c: &mut [f32]) {
        if let Some(p) = Product::checked(alpha, a, ta, b, tb, beta, c) {
            run(&p, c);
        }
    }

    pub(super) fn run(p: &Product, c: &mut [f32]) {
        let Product {
            m,
            n,
            k,
            alpha,
            a,
            ta,
            b,
            tb,
            beta,
        } = *p;
        let (rsa, csa) = strides(&a, ta);
        let (rsb, csb) = strides(&b, tb);
        // SAFETY: `Product::checked` matched the shapes to the slices; the strides describe exactly the
        // row-major storage of each operand, so every index stays inside its slice.
        unsafe {
            matrixmultiply::sgemm(
                m,
                k,
                n,
                alpha,
                a.data.as_ptr(),
                rsa,
                csa,
                b.data.as_ptr(),
                rsb,
                csb,
                beta,
                c.as_mut_ptr(),
                n as isize,
                1,
            )
        }
    }
}

/// The OpenBLAS core to request when the library picked a generic one on a CPU it did not
/// recognise, or `None` when nothing needs doing.
///
/// Debian's OpenBLAS 0.3.21 chooses its kernels by CPU model number; on models newer than it knows
/// (this project's machines report family 6 model 207) it falls back to the SSE3 `Prescott`
/// kernels, about 2.5x slower here than `SkylakeX`. The core can only be chosen through the
/// `OPENBLAS_CORETYPE` variable before the library loads, so the binary restarts itself with it
/// (see [`restart_with_fast_core`]). We ask only for what the CPU demonstrably supports.
pub fn better_core() -> Option<&'static str> {
    if !HAS_OPENBLAS || std::env::var_os("OPENBLAS_CORETYPE").is_some() {
        return None;
    }
    let name = backend_name();
    let generic = [
        "Prescott",
        "Core2",
        "Nehalem",
        "Penryn",
        "Dunnington",
        "Atom",
        "Barcelona",
    ];
    if !generic.iter().any(|g| name.contains(&format!("core {g}"))) {
        return None;
    }
    cpu_core_for_openblas()
}

#[cfg(target_arch = "x86_64")]
fn cpu_core_for_openblas() -> Option<&'static str> {
    use std::arch::is_x86_feature_detected as has;
    if has!("avx512f")
        && has!("avx512bw")
        && has!("avx512dq")
        && has!("avx512vl")
        && has!("avx512cd")
    {
        Some("SkylakeX")
    } else if has!("avx2") && has!("fma") {
        Some("Haswell")
    } else {
        None
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn cpu_core_for_openblas() -> Option<&'static str> {
    None
}

/// Restarts the current program with `OPENBLAS_CORETYPE` set to [`better_core`], when there is one.
/// Returns only when no restart was needed or it failed (then the run goes on, slower).
/// `RBP_KEEP_BLAS_CORE=1` turns this off.
pub fn restart_with_fast_core() {
    const GUARD: &str = "RBP_KEEP_BLAS_CORE";
    if std::env::var_os(GUARD).is_some() {
        return;
    }
    let Some(core) = better_core() else { return };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        eprintln!(
            "note: OpenBLAS does not recognise this CPU and chose generic kernels ({}); \
             restarting with OPENBLAS_CORETYPE={core} (set {GUARD}=1 to keep the generic ones)",
            backend_name()
        );
        let err = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("OPENBLAS_CORETYPE", core)
            .env(GUARD, "1")
            .exec();
        eprintln!("note: restart failed ({err}); going on with the generic kernels");
    }
}
