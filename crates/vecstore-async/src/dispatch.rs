//! Read dispatch: queries go through a per-handle queue drained by a few jobs on
//! Tokio's blocking pool, instead of one `spawn_blocking` task per query.
//!
//! Why: with one blocking task per query, every query pays a blocking-thread wake-up
//! (the pool's idle thread sleeps on a condition variable) and a runtime-worker
//! wake-up for the task that awaits the result; on a small machine those hand-offs
//! and the context switches they cause cost a fifth of a 100 µs query. Here:
//! - a drainer that finishes its jobs takes the next queued ones at once, and when
//!   the queue is empty it waits a few tens of microseconds (yielding its core) for
//!   more before it ends, so busy clients never wait for a thread wake-up;
//! - a drainer takes its share of the queued jobs as one batch and hands the results
//!   back together when the batch is done, so one runtime wake-up serves several
//!   callers. Under load the callers were queued behind each other anyway, so the
//!   batch adds little latency; with a single caller the batch is one job.
//!
//! The work still runs on the blocking pool (a drainer is a `spawn_blocking` task), so
//! the async runtime is never blocked. At most `available_parallelism` drainers run
//! per handle: more would only queue on the same cores. Only reads use this path;
//! writes (fsync) and long calls keep their own blocking task, so a slow write never
//! holds up queries.
//!
//! A job is queued when the caller's future is first polled and then runs even if the
//! future is dropped (the result is discarded): the same guarantee as
//! `spawn_blocking`. A panic inside a job is caught and returned to its caller as
//! [`Error::TaskFailed`]; the drainer goes on with the next job.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};
use vecstore_core::{Error, Result};

/// A queued read: runs the work and returns the hand-back of its result.
type Job = Box<dyn FnOnce() -> Done + Send + 'static>;
/// Hands a finished job's result to its caller.
type Done = Box<dyn FnOnce() + Send + 'static>;

/// How long an idle drainer waits for the next job before it ends.
const LINGER: Duration = Duration::from_micros(50);
/// How long a drainer keeps its blocking thread before it requeues itself.
const TURN: Duration = Duration::from_millis(2);
/// The most jobs a drainer takes at once.
const MAX_BATCH: usize = 32;

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    /// Drainers running (changed only under the queue's lock).
    drainers: usize,
}

/// A queue of read jobs with its drainers; one per async handle (shared by clones).
#[derive(Default)]
pub(crate) struct Reads {
    queue: Mutex<Queue>,
    /// `queue.jobs.len()`, readable without the lock by lingering drainers.
    queued: AtomicUsize,
}

fn max_drainers() -> usize {
    static MAX: OnceLock<usize> = OnceLock::new();
    *MAX.get_or_init(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    })
}

impl Reads {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A job never runs under the lock, so a poisoned lock only means a
        // panic between two plain field updates; the queue is still sound.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the blocking pool through the queue and returns its result.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        F: FnOnce() -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(Box::new(move || {
            let r = catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| {
                Err(Error::TaskFailed {
                    reason: crate::panic_reason(p),
                })
            });
            Box::new(move || {
                // The caller may have dropped its future; the work is done anyway.
                let _ = tx.send(r);
            })
        }));
        rx.await.unwrap_or_else(|_| {
            Err(Error::TaskFailed {
                reason: "task cancelled".to_string(),
            })
        })
    }

    fn submit(self: &Arc<Self>, job: Job) {
        let mut q = self.lock();
        q.jobs.push_back(job);
        self.queued.store(q.jobs.len(), Ordering::Release);
        if q.drainers < max_drainers() {
            q.drainers += 1;
            drop(q);
            Drainer {
                reads: Arc::clone(self),
                counted: true,
            }
            .start();
        }
    }

    /// Moves this drainer's share of the queued jobs into `batch`, lingering
    /// briefly when the queue is empty; returns `false` (and the drainer is no
    /// longer counted) when no job came.
    fn next_batch(&self, batch: &mut Vec<Job>) -> bool {
        let start = Instant::now();
        loop {
            if self.queued.load(Ordering::Acquire) > 0 || start.elapsed() >= LINGER {
                let mut q = self.lock();
                if !q.jobs.is_empty() {
                    // An even share, so the other drainers get work too. (Half
                    // a share, to keep jobs queued while this batch's callers
                    // wake up, measured no better: more wake-ups per query.)
                    let share = q.jobs.len().div_ceil(q.drainers.max(1)).min(MAX_BATCH);
                    batch.extend(q.jobs.drain(..share));
                    self.queued.store(q.jobs.len(), Ordering::Release);
                    return true;
                }
                if start.elapsed() >= LINGER {
                    q.drainers -= 1;
                    return false;
                }
            }
            std::thread::yield_now();
        }
    }
}

/// One counted drainer. If the blocking pool drops it without running it (the
/// runtime is shutting down), its place in the count is given back, so a later
/// read starts a new drainer instead of waiting on one that never comes.
struct Drainer {
    reads: Arc<Reads>,
    counted: bool,
}

impl Drainer {
    fn start(self) {
        // The join handle is dropped: the drainer runs detached.
        drop(tokio::task::spawn_blocking(move || self.run()));
    }

    fn run(mut self) {
        let started = Instant::now();
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut done: Vec<Done> = Vec::with_capacity(MAX_BATCH);
        while self.reads.next_batch(&mut batch) {
            done.extend(batch.drain(..).map(|job| job()));
            for d in done.drain(..) {
                d();
            }
            if started.elapsed() >= TURN {
                // Hand the thread back: the successor queues behind whatever
                // else waits for the blocking pool (a write, on a small pool),
                // and takes over this drainer's place in the count.
                self.counted = false;
                Drainer {
                    reads: Arc::clone(&self.reads),
                    counted: true,
                }
                .start();
                return;
            }
        }
        // `next_batch` gave the place back under the queue's lock.
        self.counted = false;
    }
}

impl Drop for Drainer {
    fn drop(&mut self) {
        if self.counted {
            self.reads.lock().drainers -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_job_runs_once_and_drainers_stop() {
        let reads = Arc::new(Reads::default());
        let hits = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let (reads, hits) = (reads.clone(), hits.clone());
                tokio::spawn(async move {
                    let r = reads
                        .run(move || {
                            hits.fetch_add(1, Ordering::Relaxed);
                            Ok(i * 2)
                        })
                        .await;
                    assert_eq!(r.unwrap(), i * 2);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(hits.load(Ordering::Relaxed), 64);
        // Idle drainers end after lingering.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(reads.lock().drainers, 0);
    }

    #[test]
    fn busy_readers_do_not_starve_other_blocking_work() {
        // A blocking pool of two threads, both wanted by drainers while 32
        // clients read without pause: a write-like blocking task must still get
        // a thread (drainers hand theirs back every turn).
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(2)
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let reads = Arc::new(Reads::default());
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let readers: Vec<_> = (0..32)
                .map(|_| {
                    let (reads, stop) = (reads.clone(), stop.clone());
                    tokio::spawn(async move {
                        let mut n = 0u64;
                        while !stop.load(Ordering::Relaxed) {
                            reads
                                .run(|| {
                                    std::thread::sleep(Duration::from_micros(100));
                                    Ok(())
                                })
                                .await
                                .unwrap();
                            n += 1;
                        }
                        n
                    })
                })
                .collect();
            tokio::time::sleep(Duration::from_millis(20)).await;
            let write = tokio::task::spawn_blocking(|| 42);
            let got = tokio::time::timeout(Duration::from_secs(10), write).await;
            stop.store(true, Ordering::Relaxed);
            assert_eq!(got.expect("the write was starved").unwrap(), 42);
            for r in readers {
                assert!(r.await.unwrap() > 0);
            }
        });
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_and_the_queue_goes_on() {
        let reads = Arc::new(Reads::default());
        let r: Result<()> = reads.run(|| panic!("boom")).await;
        match r {
            Err(Error::TaskFailed { reason }) => assert!(reason.contains("boom"), "{reason}"),
            other => panic!("expected TaskFailed, got {other:?}"),
        }
        assert_eq!(reads.run(|| Ok(7)).await.unwrap(), 7);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_future_still_runs_its_job() {
        let reads = Arc::new(Reads::default());
        let done = Arc::new(AtomicUsize::new(0));
        let d = done.clone();
        let fut = reads.run(move || {
            std::thread::sleep(Duration::from_millis(20));
            d.fetch_add(1, Ordering::Relaxed);
            Ok(())
        });
        // First poll queues the job; then the future is dropped.
        let _ = tokio::time::timeout(Duration::from_millis(1), fut).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(done.load(Ordering::Relaxed), 1);
    }
}
