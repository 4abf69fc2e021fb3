//! Software prefetch for the streaming update kernels.
//!
//! The optimizer updates stream 2 to 4 arrays that are larger than L2 (and
//! at 4M weights larger than most of L3). The hardware prefetchers alone keep
//! too few cache lines in flight once the loop body has real work in it (the
//! R-BackProp coin hash, Adam's square root and division): the loads then
//! stall on memory and the arithmetic no longer overlaps with them. Asking
//! for each line a few KiB ahead keeps the memory system busy. Measured by
//! `rbp bench` on the AVX-512 machine at 4M weights (medians of 100
//! interleaved calls, one run): R-BackProp 3.00 -> 2.07 ms, Adam 3.38 ->
//! 2.71 ms, SGD 1.52 -> 1.26 ms; no change at 122k weights. Results are
//! unaffected: a prefetch is a hint.

use pulp::Simd;

/// How far ahead of the element being updated each stream is prefetched:
/// 4 KiB (64 cache lines). 2-6 KiB measured alike at 4M weights; 0.5-1 KiB
/// were up to 5% slower.
const AHEAD_ELEMENTS: usize = 4096 / core::mem::size_of::<f32>();

/// Elements per 64-byte cache line.
const LINE_ELEMENTS: usize = 64 / core::mem::size_of::<f32>();

/// The base pointers of the `N` arrays a kernel streams through.
///
/// The pointers are only ever used as prefetch addresses, never read or
/// written through, so they may be taken before the slices are borrowed
/// mutably and may point past the end of their allocation.
#[derive(Clone, Copy)]
pub(crate) struct Streams<const N: usize> {
    bases: [*const f32; N],
}

impl<const N: usize> Streams<N> {
    pub(crate) fn new(bases: [*const f32; N]) -> Self {
        Streams { bases }
    }

    /// Called once per block of `vectors` consecutive vectors, with the
    /// block's position in the loop: prefetches, for every stream, each
    /// cache line of the block [`AHEAD_ELEMENTS`] further on. Blocks of at
    /// least a cache line (the SIMD levels) issue their prefetches
    /// unconditionally, so the hot loop has no branch for them; smaller
    /// blocks (the scalar level) prefetch once per line.
    #[inline(always)]
    pub(crate) fn ahead_of_block<S: Simd>(&self, block: usize, vectors: usize) {
        let block_elements = vectors * S::F32_LANES;
        let first = block * block_elements;
        if block_elements >= LINE_ELEMENTS {
            for line in (0..block_elements).step_by(LINE_ELEMENTS) {
                self.ahead_of(first + line);
            }
        } else if first % LINE_ELEMENTS < block_elements {
            self.ahead_of(first);
        }
    }

    #[inline(always)]
    fn ahead_of(&self, element: usize) {
        for &base in &self.bases {
            prefetch(base.wrapping_add(element + AHEAD_ELEMENTS));
        }
    }
}

#[inline(always)]
fn prefetch(address: *const f32) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch is a hint that never faults and does not access
        // memory as far as the program is concerned, whatever the address
        // (it may lie outside every allocation: it is only computed with
        // `wrapping_add`). SSE, which provides it, is part of x86-64.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(address.cast()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}
