//! Work sharing in which the calling thread works too and never waits for a helper that has not
//! started: chunks are taken from one atomic counter, by the caller at once and by pool threads
//! as they wake.
//!
//! A rayon `install` hands the whole call to pool threads and blocks the caller until they are
//! done: with a core kept busy by another process, a pool thread that is not scheduled holds up
//! the call (issue 18 measured Rust's W1 call at 2.6x its quiet time, Numba's at 80x). Here the
//! caller takes chunks itself; when they run out it closes the call, so that a helper that
//! wakes later returns without touching the call's data, and waits only for helpers already
//! inside a chunk.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::sc::{pool, Threads};

/// Set in [`Shared::state`] once the caller has closed the call; the rest counts the helpers
/// inside it (in steps of 2).
const CLOSED: usize = 1;

struct Shared {
    next: AtomicUsize,
    state: AtomicUsize,
}

/// The task with its borrow's lifetime erased, so that a `'static` pool job can hold it.
#[derive(Clone, Copy)]
struct TaskPtr(*const (dyn Fn(usize) + Sync));

// SAFETY: the pointee is `Sync`, and `for_each_chunk` keeps it alive while any helper can
// dereference it (see there).
unsafe impl Send for TaskPtr {}

fn work(shared: &Shared, n_chunks: usize, task: &(dyn Fn(usize) + Sync)) {
    loop {
        let i = shared.next.fetch_add(1, Ordering::Relaxed);
        if i >= n_chunks {
            return;
        }
        task(i);
    }
}

/// Run `task(i)` once for every `i < n_chunks` on at most `threads.count()` threads: the
/// calling thread and `threads.count() - 1` helpers of a built pool (never rayon's global one).
///
/// Returns when every chunk is done. A panic in `task` on a helper aborts the process (the
/// tasks of this crate do not panic: their bounds are checked before).
pub fn for_each_chunk(n_chunks: usize, threads: Threads, task: &(dyn Fn(usize) + Sync)) {
    let n = threads.count().min(n_chunks);
    if n <= 1 {
        (0..n_chunks).for_each(task);
        return;
    }
    let shared = Arc::new(Shared {
        next: AtomicUsize::new(0),
        state: AtomicUsize::new(0),
    });
    // SAFETY (lifetime erasure): a helper dereferences `ptr` only after entering the call
    // (adding 2 to `state` while CLOSED is unset), and this function returns only after setting
    // CLOSED and seeing every entered helper leave; so no dereference outlives `task`.
    let raw: *const (dyn Fn(usize) + Sync + '_) = task;
    let ptr = TaskPtr(unsafe {
        std::mem::transmute::<*const (dyn Fn(usize) + Sync + '_), *const (dyn Fn(usize) + Sync)>(
            raw,
        )
    });
    let helpers = pool(threads.count());
    for _ in 1..n {
        let shared = Arc::clone(&shared);
        helpers.spawn(move || {
            let ptr = ptr;
            let mut s = shared.state.load(Ordering::Acquire);
            loop {
                if s & CLOSED != 0 {
                    return; // woke too late: the caller finished without us
                }
                match shared.state.compare_exchange_weak(
                    s,
                    s + 2,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => break,
                    Err(now) => s = now,
                }
            }
            // SAFETY: entered before CLOSED, so the caller is still waiting for us.
            let task = unsafe { &*ptr.0 };
            let guard = AbortOnPanic;
            work(&shared, n_chunks, task);
            std::mem::forget(guard);
            shared.state.fetch_sub(2, Ordering::Release);
        });
    }
    work(&shared, n_chunks, task);
    let mut s = shared.state.fetch_or(CLOSED, Ordering::AcqRel) | CLOSED;
    let mut spins = 0u32;
    while s != CLOSED {
        // helpers inside a chunk finish it within microseconds unless descheduled
        if spins < 64 {
            std::hint::spin_loop();
            spins += 1;
        } else {
            std::thread::yield_now();
        }
        s = shared.state.load(Ordering::Acquire);
    }
}

/// Aborts the process if dropped during a panic (a helper must never unwind past the counter
/// that tells the caller it is done).
struct AbortOnPanic;

impl Drop for AbortOnPanic {
    fn drop(&mut self) {
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn every_chunk_runs_exactly_once_on_any_thread_count() {
        for threads in [Threads(1), Threads(2), Threads(3), Threads(8), Threads(0)] {
            for n_chunks in [0usize, 1, 2, 3, 17, 1000] {
                let hits: Vec<AtomicU64> = (0..n_chunks).map(|_| AtomicU64::new(0)).collect();
                for_each_chunk(n_chunks, threads, &|i| {
                    hits[i].fetch_add(1, Ordering::Relaxed);
                });
                assert!(
                    hits.iter().all(|h| h.load(Ordering::Relaxed) == 1),
                    "{threads:?} n_chunks={n_chunks}"
                );
            }
        }
    }

    #[test]
    fn many_calls_in_a_row_with_borrowed_data() {
        // helpers that wake after a call ended must not touch the next call's data
        for round in 0..300u64 {
            let data: Vec<u64> = (0..64).map(|i| i * round).collect();
            let out: Vec<AtomicU64> = (0..64).map(|_| AtomicU64::new(0)).collect();
            for_each_chunk(64, Threads(3), &|i| {
                out[i].store(data[i] + 1, Ordering::Relaxed);
            });
            assert!(out
                .iter()
                .enumerate()
                .all(|(i, o)| o.load(Ordering::Relaxed) == i as u64 * round + 1));
        }
    }
}
