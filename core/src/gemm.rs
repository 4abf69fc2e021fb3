//! The one place that knows about BLAS.
//!
//! Every matrix product of the network goes through [`sgemm`], which is OpenBLAS's `cblas_sgemm`
//! when the build found it (`cfg(rbp_openblas)`, see `build.rs`) and `matrixmultiply::sgemm`
//! otherwise, or when [`choose`] picked it at run time. The f64 oracle (`crate::oracle`) uses [`dgemm`] from the same backends
//! (`cblas_dgemm`, `matrixmultiply::dgemm`). All matrices are row-major slices, checked by
//! [`MatRef::new`] and by every product's shape check before any pointer reaches a backend.

use crate::named::named_enum;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether an operand is used as stored or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trans {
    /// As stored.
    No,
    /// Transposed.
    Yes,
}

/// Why a matrix view or a product was refused: every shape is checked before BLAS sees a pointer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    /// A buffer's length is not `rows x cols`.
    #[error("a {rows} x {cols} matrix needs {} values, the buffer has {len}", *rows as u128 * *cols as u128)]
    Length {
        /// Rows asked for.
        rows: usize,
        /// Columns asked for.
        cols: usize,
        /// Values in the buffer.
        len: usize,
    },
    /// The inner dimensions of a product differ.
    #[error("inner dimensions of the product differ: {left} against {right}")]
    Inner {
        /// Columns of `op(A)`.
        left: usize,
        /// Rows of `op(B)`.
        right: usize,
    },
    /// The output buffer does not hold `m x n` values.
    #[error("the product is {m} x {n}, the output buffer has {len} values")]
    Output {
        /// Rows of the product.
        m: usize,
        /// Columns of the product.
        n: usize,
        /// Values in the output buffer.
        len: usize,
    },
    /// A dimension exceeds what the BLAS interface can index (32-bit integers).
    #[error("dimension {0} exceeds the BLAS integer range")]
    TooLarge(usize),
}

/// A row-major matrix view whose buffer is known to hold exactly `rows x cols` values of `T`
/// (`f32` for training, `f64` for the oracle).
///
/// The fields are private and checked by [`MatRef::new`]: the backends hand these pointers to
/// C and to `unsafe` Rust, so safe code must not be able to describe more data than the slice has.
#[derive(Debug)]
pub struct MatRef<'a, T = f32> {
    data: &'a [T],
    rows: usize,
    cols: usize,
}

// Written out rather than derived: a derive would require `T: Copy`, which a shared view does
// not need.
impl<T> Clone for MatRef<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for MatRef<'_, T> {}

impl<'a, T> MatRef<'a, T> {
    /// A view of `data` as a row-major `rows x cols` matrix; the length must match exactly.
    pub fn new(data: &'a [T], rows: usize, cols: usize) -> Result<Self, ShapeError> {
        let len = data.len();
        match rows.checked_mul(cols) {
            Some(n) if n == len => Ok(MatRef { data, rows, cols }),
            _ => Err(ShapeError::Length { rows, cols, len }),
        }
    }
    /// Rows as stored.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Columns as stored.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// The values, row-major.
    pub fn data(&self) -> &'a [T] {
        self.data
    }
    /// Shape after applying `t`.
    fn shape(&self, t: Trans) -> (usize, usize) {
        match t {
            Trans::No => (self.rows, self.cols),
            Trans::Yes => (self.cols, self.rows),
        }
    }
    /// Row and column strides, in elements, of `op(X)` over this row-major buffer (for
    /// strided GEMMs): a transpose only swaps them. They fit an `isize`, as the buffer does.
    pub fn strides(&self, t: Trans) -> (isize, isize) {
        let (rs, cs) = (self.cols as isize, 1);
        match t {
            Trans::No => (rs, cs),
            Trans::Yes => (cs, rs),
        }
    }
}

/// `C = alpha * op(A) * op(B) + beta * C`, with `C` row-major `m x n` (`m = op(A).rows`,
/// `n = op(B).cols`). Every shape is checked first; a mismatch is an error and nothing is written.
pub fn sgemm(
    alpha: f32,
    a: MatRef,
    ta: Trans,
    b: MatRef,
    tb: Trans,
    beta: f32,
    c: &mut [f32],
) -> Result<(), ShapeError> {
    let run = match chosen() {
        Backend::OpenBlas => backend::sgemm,
        Backend::MatrixMultiply => fallback::run_s,
    };
    checked_then(alpha, a, ta, b, tb, beta, c, run)
}

/// [`sgemm`] in f64 (`cblas_dgemm` or `matrixmultiply::dgemm`), for the f64 oracle: the same
/// checks, the same backend choice.
pub fn dgemm(
    alpha: f64,
    a: MatRef<f64>,
    ta: Trans,
    b: MatRef<f64>,
    tb: Trans,
    beta: f64,
    c: &mut [f64],
) -> Result<(), ShapeError> {
    let run = match chosen() {
        Backend::OpenBlas => backend::dgemm,
        Backend::MatrixMultiply => fallback::run_d,
    };
    checked_then(alpha, a, ta, b, tb, beta, c, run)
}

/// `(m, n, k)` of `op(a) op(b)` (`m x k` times `k x n`) written into an output of `c_len` values:
/// the check every backend's product passes first, also for other libraries' adapters
/// (benchmarks). Every dimension and leading dimension fits a BLAS `int`.
pub fn product_shape<T>(
    a: MatRef<T>,
    ta: Trans,
    b: MatRef<T>,
    tb: Trans,
    c_len: usize,
) -> Result<(usize, usize, usize), ShapeError> {
    let (m, k) = a.shape(ta);
    let (k2, n) = b.shape(tb);
    if k != k2 {
        return Err(ShapeError::Inner { left: k, right: k2 });
    }
    if m.checked_mul(n) != Some(c_len) {
        return Err(ShapeError::Output { m, n, len: c_len });
    }
    for d in [m, n, k, a.cols, b.cols] {
        if i32::try_from(d).is_err() {
            return Err(ShapeError::TooLarge(d));
        }
    }
    Ok((m, n, k))
}

/// A product whose shapes were checked against its output: what the backends receive, so neither
/// can be called with dimensions that do not match the slices (their inner calls are `unsafe`).
///
/// Invariant: `op(a)` is `m x k`, `op(b)` is `k x n`, the output has exactly `m * n` values,
/// `m, n > 0`, and every dimension and leading dimension fits a BLAS `int`.
#[derive(Clone, Copy, Debug)]
struct Product<'a, T> {
    m: usize,
    n: usize,
    k: usize,
    alpha: T,
    a: MatRef<'a, T>,
    ta: Trans,
    b: MatRef<'a, T>,
    tb: Trans,
    beta: T,
}

impl<'a, T> Product<'a, T> {
    /// The checked product, or `None` when it has no output element (nothing to compute).
    fn checked(
        alpha: T,
        a: MatRef<'a, T>,
        ta: Trans,
        b: MatRef<'a, T>,
        tb: Trans,
        beta: T,
        c: &[T],
    ) -> Result<Option<Product<'a, T>>, ShapeError> {
        let (m, n, k) = product_shape(a, ta, b, tb, c.len())?;
        Ok((m > 0 && n > 0).then_some(Product {
            m,
            n,
            k,
            alpha,
            a,
            ta,
            b,
            tb,
            beta,
        }))
    }
}

/// Checks a product's shapes and hands it to `run` when it has an output element: the one path
/// from every public entry point (both precisions, both backends) to the `unsafe` calls.
#[allow(clippy::too_many_arguments)]
fn checked_then<T>(
    alpha: T,
    a: MatRef<T>,
    ta: Trans,
    b: MatRef<T>,
    tb: Trans,
    beta: T,
    c: &mut [T],
    run: fn(&Product<T>, &mut [T]),
) -> Result<(), ShapeError> {
    if let Some(p) = Product::checked(alpha, a, ta, b, tb, beta, c)? {
        run(&p, c);
    }
    Ok(())
}

/// The library that computes the products.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// OpenBLAS's `cblas_sgemm` (only when the build linked it).
    OpenBlas,
    /// The pure-Rust `matrixmultiply`.
    MatrixMultiply,
}

named_enum!(
    Backend,
    "GEMM backend",
    [(OpenBlas, "openblas"), (MatrixMultiply, "matrixmultiply")]
);

/// The signature of [`sgemm`] and of each backend's own entry point ([`Backend::sgemm`]):
/// `c = alpha op(a) op(b) + beta c`, row-major, shapes checked. Benchmarks pass other libraries'
/// products through it too.
pub type SgemmFn =
    fn(f32, MatRef<'_>, Trans, MatRef<'_>, Trans, f32, &mut [f32]) -> Result<(), ShapeError>;

impl Backend {
    /// [`sgemm`] through this backend whatever [`choose`] picked (for comparing backends), or
    /// [`OpenBlasMissing`] when this build has no OpenBLAS.
    pub fn sgemm(self) -> Result<SgemmFn, OpenBlasMissing> {
        match self {
            Backend::OpenBlas if !HAS_OPENBLAS => Err(OpenBlasMissing),
            Backend::OpenBlas => Ok(|alpha, a, ta, b, tb, beta, c| {
                checked_then(alpha, a, ta, b, tb, beta, c, backend::sgemm)
            }),
            Backend::MatrixMultiply => Ok(fallback::sgemm),
        }
    }

    /// The backends this build can run, in [`Backend::ALL`]'s order.
    pub fn available() -> impl Iterator<Item = Backend> {
        Backend::ALL.into_iter().filter(|b| b.sgemm().is_ok())
    }
}

/// Whether [`choose`] picked matrixmultiply (always so without OpenBLAS).
static MATRIXMULTIPLY_CHOSEN: AtomicBool = AtomicBool::new(!HAS_OPENBLAS);

/// OpenBLAS was asked for in a build without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "this build has no OpenBLAS (it was built without it or with RBP_NO_BLAS=1); \
     only matrixmultiply is available"
)]
pub struct OpenBlasMissing;

/// Makes every later product (all threads) use `backend`. Results are deterministic for a given
/// machine and backend; the two backends round differently.
pub fn choose(backend: Backend) -> Result<(), OpenBlasMissing> {
    backend.sgemm()?;
    MATRIXMULTIPLY_CHOSEN.store(backend == Backend::MatrixMultiply, Ordering::Relaxed);
    Ok(())
}

/// The backend products use now.
pub fn chosen() -> Backend {
    if MATRIXMULTIPLY_CHOSEN.load(Ordering::Relaxed) {
        Backend::MatrixMultiply
    } else {
        Backend::OpenBlas
    }
}

/// Human-readable name of the backend in use, with its version where known.
pub fn backend_name() -> String {
    match chosen() {
        Backend::OpenBlas => backend::name(),
        Backend::MatrixMultiply => "matrixmultiply".into(),
    }
}

/// Sets the number of threads the BLAS may use (matrixmultiply runs on one).
pub fn set_threads(n: usize) {
    backend::set_threads(n.max(1));
}

/// Number of threads a product uses.
pub fn threads() -> usize {
    match chosen() {
        Backend::OpenBlas => backend::threads(),
        Backend::MatrixMultiply => 1,
    }
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

    // These declarations must match OpenBLAS's `cblas.h` and `openblas_config.h` (C `int` is
    // `c_int`; CBLAS enums are passed as `int`); calling them is unsafe, and every call site
    // below states what it relies on.
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
        #[allow(clippy::too_many_arguments)]
        fn cblas_dgemm(
            order: c_int,
            transa: c_int,
            transb: c_int,
            m: c_int,
            n: c_int,
            k: c_int,
            alpha: f64,
            a: *const f64,
            lda: c_int,
            b: *const f64,
            ldb: c_int,
            beta: f64,
            c: *mut f64,
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

    /// A dimension as a BLAS `int`; `Product::checked` guarantees it fits.
    fn dim(x: usize) -> c_int {
        c_int::try_from(x).expect("Product::checked bounds every dimension by the BLAS int range")
    }

    /// `$name` runs a checked [`Product`] of `$t` through `$cblas`: one body for both precisions.
    macro_rules! cblas_product {
        ($name:ident, $cblas:ident, $t:ty) => {
            pub(super) fn $name(p: &Product<$t>, c: &mut [$t]) {
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
                // SAFETY: `Product`'s invariant (established by `Product::checked`, the only
                // constructor): `a` holds exactly `op(A)`'s `m x k` values row-major with leading
                // dimension `a.cols`, `b` likewise `k x n` with `b.cols`, and `c` exactly `m x n`
                // with leading dimension `n`, so cblas reads and writes only inside the three
                // slices; `c` is borrowed mutably, so it aliases neither input; the element type
                // `$t` is the one `$cblas` takes.
                unsafe {
                    $cblas(
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
        };
    }
    cblas_product!(sgemm, cblas_sgemm, f32);
    cblas_product!(dgemm, cblas_dgemm, f64);

    fn c_string(p: *const c_char) -> String {
        if p.is_null() {
            return String::new();
        }
        // SAFETY: `p` is non-null (checked above) and OpenBLAS's config and core-name getters
        // return pointers to static NUL-terminated strings that live as long as the library.
        unsafe { CStr::from_ptr(p) }
            .to_string_lossy()
            .trim()
            .to_string()
    }

    pub(super) fn name() -> String {
        // `openblas_get_config` starts with "OpenBLAS <version>".
        // SAFETY: argument-free getters of static strings; `c_string` handles a null result.
        let config = c_string(unsafe { openblas_get_config() });
        // SAFETY: as above.
        let core = c_string(unsafe { openblas_get_corename() });
        let version = config
            .split_whitespace()
            .nth(1)
            .map(str::to_string)
            .unwrap_or_else(|| env!("RBP_OPENBLAS_PKG_VERSION").to_string());
        format!("OpenBLAS {version} (core {core})")
    }

    pub(super) fn set_threads(n: usize) {
        // SAFETY: a setter of OpenBLAS's global thread count; any positive count is valid
        // (`set_threads` passes at least 1).
        unsafe { openblas_set_num_threads(dim(n)) }
    }

    pub(super) fn threads() -> usize {
        // SAFETY: an argument-free getter of OpenBLAS's global thread count.
        unsafe { openblas_get_num_threads() }.max(1) as usize
    }
}

#[cfg(not(rbp_openblas))]
mod backend {
    pub(super) use super::fallback::{run_d as dgemm, run_s as sgemm};

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
    use super::{MatRef, Product, ShapeError, Trans};

    /// [`super::sgemm`] through `matrixmultiply`, whatever the build linked.
    pub fn sgemm(
        alpha: f32,
        a: MatRef,
        ta: Trans,
        b: MatRef,
        tb: Trans,
        beta: f32,
        c: &mut [f32],
    ) -> Result<(), ShapeError> {
        super::checked_then(alpha, a, ta, b, tb, beta, c, run_s)
    }

    /// [`super::dgemm`] through `matrixmultiply`, whatever the build linked.
    pub fn dgemm(
        alpha: f64,
        a: MatRef<f64>,
        ta: Trans,
        b: MatRef<f64>,
        tb: Trans,
        beta: f64,
        c: &mut [f64],
    ) -> Result<(), ShapeError> {
        super::checked_then(alpha, a, ta, b, tb, beta, c, run_d)
    }

    /// `$name` runs a checked [`Product`] of `$t` through `matrixmultiply::$mm`.
    macro_rules! matrixmultiply_product {
        ($name:ident, $mm:ident, $t:ty) => {
            pub(super) fn $name(p: &Product<$t>, c: &mut [$t]) {
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
                let (rsa, csa) = a.strides(ta);
                let (rsb, csb) = b.strides(tb);
                // SAFETY: `Product`'s invariant: `a`, `b` and `c` hold exactly `m x k`, `k x n`
                // and `m x n` values (after the transposes), and the strides describe exactly the
                // row-major storage of each operand, so every index matrixmultiply forms stays
                // inside its slice; all dimensions fit an i32, so the isize strides cannot
                // overflow; `c` is a unique borrow.
                unsafe {
                    matrixmultiply::$mm(
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
        };
    }
    matrixmultiply_product!(run_s, sgemm, f32);
    matrixmultiply_product!(run_d, dgemm, f64);
}

/// The OpenBLAS core to request when the library picked a generic one on a CPU it did not
/// recognise, or `None` when nothing needs doing.
///
/// Debian's OpenBLAS 0.3.21 chooses its kernels by CPU model number; on models newer than it knows
/// (this project's machines report family 6 model 207) it falls back to the SSE3 `Prescott`
/// kernels, about 2.5x slower here than `SkylakeX`. The core can only be chosen through the
/// `OPENBLAS_CORETYPE` variable before the library loads, so the `rbp` binary restarts itself with
/// it (this crate only answers the question). We ask only for what the CPU demonstrably supports.
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
