//! A counting global allocator, to prove that a training step allocates nothing and to report heap
//! traffic per step.
//!
//! The library never installs it: a binary, bench or test opts in with
//! ```no_run
//! #[global_allocator]
//! static ALLOC: rbp_lab::alloc_count::CountingAlloc = rbp_lab::alloc_count::CountingAlloc;
//! ```
//! Each allocation then costs two relaxed atomic increments and a thread-local one, which is
//! negligible next to the allocation itself. Only Rust's heap is seen: OpenBLAS allocates its work
//! buffers with its own allocator, once, when it starts.
//!
//! Counts are kept twice: process-wide (what a whole program allocates, from any thread) and per
//! thread (what the calling code allocates, immune to what a test harness or another test does on
//! other threads at the same time).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// The system allocator, counting allocations and requested bytes (reallocations count as one
/// allocation of the new size; frees are not counted).
pub struct CountingAlloc;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    // `const` initialisation with a type that needs no destructor: using it never allocates,
    // which matters inside an allocator.
    static THREAD_ALLOCS: Cell<u64> = const { Cell::new(0) };
    static THREAD_BYTES: Cell<u64> = const { Cell::new(0) };
}

fn record(size: usize) {
    ALLOCS.fetch_add(1, Ordering::Relaxed);
    BYTES.fetch_add(size as u64, Ordering::Relaxed);
    // `try_with` fails only while the thread is being torn down; those allocations are not ours.
    let _ = THREAD_ALLOCS.try_with(|c| c.set(c.get() + 1));
    let _ = THREAD_BYTES.try_with(|c| c.set(c.get() + size as u64));
}

// SAFETY: every call is forwarded unchanged to `System`; counting has no effect on the memory.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract (non-zero size), which is
        // exactly `System.alloc`'s.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: as for `alloc`, the caller's contract is `System.alloc_zeroed`'s.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator, i.e. by `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // SAFETY: `ptr` was allocated by `System` with `layout`, and the caller upholds
        // `realloc`'s contract for `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations and bytes requested so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub allocs: u64,
    pub bytes: u64,
}

impl Counts {
    /// Everything the process allocated so far, on any thread.
    pub fn global() -> Counts {
        Counts {
            allocs: ALLOCS.load(Ordering::Relaxed),
            bytes: BYTES.load(Ordering::Relaxed),
        }
    }
    /// Everything the calling thread allocated so far.
    pub fn this_thread() -> Counts {
        Counts {
            allocs: THREAD_ALLOCS.with(Cell::get),
            bytes: THREAD_BYTES.with(Cell::get),
        }
    }
    /// What was allocated between `earlier` and `self`.
    pub fn since(self, earlier: Counts) -> Counts {
        Counts {
            allocs: self.allocs - earlier.allocs,
            bytes: self.bytes - earlier.bytes,
        }
    }
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.allocs += other.allocs;
        self.bytes += other.bytes;
    }
}

/// Whether [`CountingAlloc`] is this program's global allocator: without it every count stays 0,
/// which must not be mistaken for "allocates nothing".
pub fn is_installed() -> bool {
    let before = Counts::this_thread();
    let probe = std::hint::black_box(Box::new(0u64));
    drop(probe);
    Counts::this_thread() != before
}
