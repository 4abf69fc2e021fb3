//! Generic SIMD building blocks shared by the kernels.
//!
//! Everything here is `#[inline(always)]` on purpose: these functions must be
//! inlined into the `#[target_feature]` context that pulp sets up in
//! `with_simd`, otherwise they are compiled for the baseline ISA (a closure
//! doing this measured ~30x slower).

use crate::rng::{CoinKey, INDEX_MUL, MIX_M1, MIX_M2, ONE};
use pulp::Simd;

/// Vectors per iteration of the kernels' main loops. Four independent
/// vectors per iteration hide the latency of each vector's dependency chain
/// and amortize the loop's own instructions (and the prefetches: at 8 lanes
/// a block is two whole cache lines, at 16 lanes four), which a loop of one
/// 8-lane vector per iteration could not at AVX2. Whole blocks run first,
/// then the remaining whole vectors one by one, then the masked tail.
pub(crate) const UNROLL: usize = 4;

/// `0, 1, 2, ...`: lane offsets for building index vectors (16 = widest x86 f32 vector).
const IOTA: [u32; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// Consecutive element indices, one vector at a time, already multiplied by
/// [`INDEX_MUL`] (the first step of the hash). Stepping the product by
/// `LANES * INDEX_MUL` (wrapping) instead of multiplying every index saves one
/// of the hash's three multiplies and gives the same bits.
#[derive(Clone, Copy)]
pub(crate) struct ScaledIndices<S: Simd> {
    s: S,
    current: S::u32s,
    step: S::u32s,
}

impl<S: Simd> ScaledIndices<S> {
    /// Starts at element `first` (wrapping modulo 2^32).
    #[inline(always)]
    pub(crate) fn new(s: S, first: u32) -> Self {
        let iota = s.partial_load_u32s(&IOTA[..S::U32_LANES]);
        let index = s.add_u32s(s.splat_u32s(first), iota);
        ScaledIndices {
            s,
            current: s.mul_u32s(index, s.splat_u32s(INDEX_MUL)),
            step: s.splat_u32s((S::U32_LANES as u32).wrapping_mul(INDEX_MUL)),
        }
    }

    /// The current vector; advances to the next one.
    #[inline(always)]
    pub(crate) fn next(&mut self) -> S::u32s {
        let current = self.current;
        self.current = self.s.add_u32s(current, self.step);
        current
    }
}

/// A coin threshold (or any bound in `[0, ONE]`) clamped to [`ONE`] and
/// splatted, for `less_than_i32s(uniform24, bound)`: both sides then fit a
/// non-negative i32, so the signed compare (native on AVX2) is exact.
///
/// The bound passes through `black_box`: knowing both sides non-negative,
/// LLVM otherwise turns the signed compare into an unsigned one, which AVX2
/// lacks and emulates with two instructions (`vpminud` + `vpcmpeqd`) per
/// vector. The hint is evaluated once per call and changes no result.
#[inline(always)]
pub(crate) fn coin_bound<S: Simd>(s: S, bound: u32) -> S::i32s {
    s.splat_i32s(core::hint::black_box(bound.min(ONE) as i32))
}

/// Vectorized [`crate::rng::uniform24`], with the key and constants splatted once.
#[derive(Clone, Copy)]
pub(crate) struct Hasher<S: Simd> {
    s: S,
    k0: S::u32s,
    k1: S::u32s,
    m1: S::u32s,
    m2: S::u32s,
    sh8: S::u32s,
    sh15: S::u32s,
    sh16: S::u32s,
}

impl<S: Simd> Hasher<S> {
    #[inline(always)]
    pub(crate) fn new(s: S, key: CoinKey) -> Self {
        Hasher {
            s,
            k0: s.splat_u32s(key.k0),
            k1: s.splat_u32s(key.k1),
            m1: s.splat_u32s(MIX_M1),
            m2: s.splat_u32s(MIX_M2),
            sh8: s.splat_u32s(8),
            sh15: s.splat_u32s(15),
            sh16: s.splat_u32s(16),
        }
    }

    /// Lane-wise `uniform24(key, index)`, given `scaled = index * INDEX_MUL`
    /// (see [`ScaledIndices`]).
    #[inline(always)]
    pub(crate) fn uniform24(&self, scaled: S::u32s) -> S::u32s {
        let s = self.s;
        let h = s.xor_u32s(scaled, self.k0);
        let h = s.xor_u32s(h, s.wrapping_dyn_shr_u32s(h, self.sh16));
        let h = s.xor_u32s(s.mul_u32s(h, self.m1), self.k1);
        let h = s.xor_u32s(h, s.wrapping_dyn_shr_u32s(h, self.sh15));
        let h = s.mul_u32s(h, self.m2);
        let h = s.xor_u32s(h, s.wrapping_dyn_shr_u32s(h, self.sh16));
        s.wrapping_dyn_shr_u32s(h, self.sh8)
    }
}

/// Arguments below this give `exp` = 0 in [`Sigmoid::eval`]: `e^-87` is the
/// last power that keeps `2^n` a normal float when it is built from exponent
/// bits. The absolute error this introduces is below `1.7e-38`.
const EXP_MIN_ARG: f32 = -87.0;
/// `1.5 * 2^23`: adding it rounds any `|v| < 2^22` to the nearest integer, which
/// then sits in the low mantissa bits.
const ROUND_MAGIC: f32 = 12_582_912.0;
/// Bit pattern of `ROUND_MAGIC`.
const ROUND_MAGIC_BITS: u32 = 0x4B40_0000;
/// Cody-Waite split of ln 2: `LN2_HI` has 9 significant bits, so `n * LN2_HI`
/// is exact for `|n| <= 2^15` even without FMA (the scalar level).
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;

/// Splatted constants for the vector sigmoid.
#[derive(Clone, Copy)]
pub(crate) struct Sigmoid<S: Simd> {
    s: S,
    zero: S::f32s,
    zero_i32: S::i32s,
    one: S::f32s,
    min_arg: S::f32s,
    log2e: S::f32s,
    magic: S::f32s,
    neg_ln2_hi: S::f32s,
    neg_ln2_lo: S::f32s,
    /// Taylor coefficients 1/k!, k = 7 down to 2 (the `1 + r` terms are added separately).
    c: [S::f32s; 6],
    /// `127 - ROUND_MAGIC_BITS` (wrapping): turns the magic-rounded bits into a biased exponent.
    exp_bias: S::u32s,
    sh23: S::u32s,
}

impl<S: Simd> Sigmoid<S> {
    #[inline(always)]
    pub(crate) fn new(s: S) -> Self {
        Sigmoid {
            s,
            zero: s.splat_f32s(0.0),
            zero_i32: s.splat_i32s(0),
            one: s.splat_f32s(1.0),
            min_arg: s.splat_f32s(EXP_MIN_ARG),
            log2e: s.splat_f32s(core::f32::consts::LOG2_E),
            magic: s.splat_f32s(ROUND_MAGIC),
            neg_ln2_hi: s.splat_f32s(-LN2_HI),
            neg_ln2_lo: s.splat_f32s(-LN2_LO),
            c: [
                s.splat_f32s(1.0 / 5040.0),
                s.splat_f32s(1.0 / 720.0),
                s.splat_f32s(1.0 / 120.0),
                s.splat_f32s(1.0 / 24.0),
                s.splat_f32s(1.0 / 6.0),
                s.splat_f32s(0.5),
            ],
            exp_bias: s.splat_u32s(127u32.wrapping_sub(ROUND_MAGIC_BITS)),
            sh23: s.splat_u32s(23),
        }
    }

    /// `e^r` for `r` in `[EXP_MIN_ARG, 0]`; NaN gives NaN, and `r < EXP_MIN_ARG`
    /// gives garbage that [`Sigmoid::eval`] replaces with 0.
    ///
    /// `r = n ln2 + f` with `n = round(r / ln2)` and `|f| <= ln2 / 2`; `e^f` is
    /// the degree-7 Taylor polynomial (truncation error `0.35^8 / 8! < 6e-9`,
    /// below half an ulp), and `2^n` is built by writing `n + 127` into the
    /// exponent field.
    #[inline(always)]
    fn exp_nonpositive(&self, r: S::f32s) -> S::f32s {
        let s = self.s;
        let k = s.mul_add_e_f32s(r, self.log2e, self.magic);
        let n = s.sub_f32s(k, self.magic);
        let f = s.mul_add_e_f32s(n, self.neg_ln2_hi, r);
        let f = s.mul_add_e_f32s(n, self.neg_ln2_lo, f);
        let mut p = self.c[0];
        for &c in &self.c[1..] {
            p = s.mul_add_e_f32s(p, f, c);
        }
        // 1 + f + f^2 * p(f)
        let f2 = s.mul_f32s(f, f);
        let p = s.add_f32s(s.mul_add_e_f32s(f2, p, f), self.one);
        let biased = s.add_u32s(s.transmute_u32s_f32s(k), self.exp_bias);
        let scale = s.transmute_f32s_u32s(s.wrapping_dyn_shl_u32s(biased, self.sh23));
        s.mul_f32s(p, scale)
    }

    /// `1 / (1 + e^-x)`, evaluated as `1 / (1 + a)` for `x >= 0` and `a / (1 + a)`
    /// for `x < 0` with `a = e^-|x| <= 1`: `exp` never overflows, both tails
    /// keep full relative accuracy, `+inf -> 1`, `-inf -> 0`, NaN stays NaN.
    ///
    /// NaN is carried through the arithmetic (every comparison below is false
    /// for it, so `a` stays the NaN `exp` returns), not selected at the end:
    /// a final `select(x == x, y, x)` stored back over `x` let LLVM emit a
    /// masked store (`vmaskmovps`) at AVX2, which is microcoded on AMD Zen.
    #[inline(always)]
    pub(crate) fn eval(&self, x: S::f32s) -> S::f32s {
        let s = self.s;
        let r = s.neg_f32s(s.abs_f32s(x));
        let underflow = s.less_than_f32s(r, self.min_arg);
        let a = s.select_f32s(underflow, self.zero, self.exp_nonpositive(r));
        // `x >= 0` tested on the sign bit (as an integer): the same choice for
        // every input but -0, where both branches give 1/2. AVX2's blend reads
        // only the sign bit of its mask, so LLVM uses `x` itself as the mask.
        let negative = s.less_than_i32s(s.transmute_i32s_f32s(x), self.zero_i32);
        let num = s.select_f32s(negative, a, self.one);
        s.div_f32s(num, s.add_f32s(self.one, a))
    }
}
