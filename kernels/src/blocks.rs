//! The main loop shared by the updates that read `w, g, state` and write
//! `w, state` (R-BackProp, heavy ball, random sign): whole blocks of
//! [`UNROLL`] vectors with their prefetches, the remaining whole vectors one
//! by one, then the masked tail, every vector in index order.

use crate::prefetch::Streams;
use crate::simd::UNROLL;
use pulp::Simd;

/// One vector of such an update. Called exactly once per vector, in order
/// (the blocks, the remaining vectors, the tail), so an implementation may
/// advance its own per-vector state, such as the coin's element indices.
pub(crate) trait WgStateStep<S: Simd> {
    /// Returns the new `(w, state)`.
    fn step(&mut self, s: S, w: S::f32s, g: S::f32s, state: S::f32s) -> (S::f32s, S::f32s);
}

/// Runs `op` over `w, g, state` (equal lengths, checked by the caller).
#[inline(always)]
pub(crate) fn w_g_state<S: Simd, Op: WgStateStep<S>>(
    s: S,
    op: &mut Op,
    w: &mut [f32],
    g: &[f32],
    state: &mut [f32],
) {
    let streams = Streams::new([w.as_ptr(), g.as_ptr(), state.as_ptr()]);
    let (wh, wt) = S::as_mut_simd_f32s(w);
    let (gh, gt) = S::as_simd_f32s(g);
    let (ph, pt) = S::as_mut_simd_f32s(state);
    let (wb, wr) = wh.as_chunks_mut::<UNROLL>();
    let (gb, gr) = gh.as_chunks::<UNROLL>();
    let (pb, pr) = ph.as_chunks_mut::<UNROLL>();
    for (b, ((w, g), p)) in wb.iter_mut().zip(gb).zip(pb.iter_mut()).enumerate() {
        streams.ahead_of_block::<S>(b, UNROLL);
        for j in 0..UNROLL {
            (w[j], p[j]) = op.step(s, w[j], g[j], p[j]);
        }
    }
    for ((w, &g), p) in wr.iter_mut().zip(gr).zip(pr.iter_mut()) {
        (*w, *p) = op.step(s, *w, g, *p);
    }
    if !wt.is_empty() {
        let w = s.partial_load_f32s(wt);
        let g = s.partial_load_f32s(gt);
        let p = s.partial_load_f32s(pt);
        let (w, p) = op.step(s, w, g, p);
        s.partial_store_f32s(wt, w);
        s.partial_store_f32s(pt, p);
    }
}
