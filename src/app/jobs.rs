//! Work off the frame: a job gets its inputs by value, runs on a worker thread and hands back
//! its result tagged with the key it was started for. Starting a job for a new key cancels
//! the old one; a stale result is dropped. With [`Runner::Inline`] (tests, scripted frames)
//! a job runs at once on the calling thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError, channel};

/// Where jobs run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Runner {
    /// On a worker thread; the frame goes on meanwhile.
    #[default]
    Background,
    /// At once, on the calling thread (deterministic frames for tests).
    Inline,
}

/// What a running job can see: whether it was cancelled, and where to report progress.
#[derive(Clone, Debug, Default)]
pub struct JobContext {
    cancelled: Arc<AtomicBool>,
    done: Arc<AtomicU64>,
}

impl JobContext {
    /// Whether the job's result is no longer wanted; long jobs check it and stop early.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// The cancel flag itself, for code that takes an `AtomicBool`.
    pub fn cancel_flag(&self) -> &AtomicBool {
        &self.cancelled
    }

    /// Reports how many units of work are done.
    pub fn set_done(&self, units: u64) {
        self.done.store(units, Ordering::Relaxed);
    }
}

/// A job ended without a result: cancelled, or its worker could not start or panicked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobLost;

/// One job in flight, or finished and not yet collected.
#[derive(Debug)]
pub struct Job<K, T> {
    key: K,
    context: JobContext,
    receiver: Receiver<T>,
}

impl<K: Clone + PartialEq, T: Send + 'static> Job<K, T> {
    /// Starts `work` for `key` on `runner`.
    pub fn start(
        runner: Runner,
        key: K,
        work: impl FnOnce(&JobContext) -> T + Send + 'static,
    ) -> Self {
        let context = JobContext::default();
        let (sender, receiver) = channel();
        let worker_context = context.clone();
        let task = move || {
            let result = work(&worker_context);
            if !worker_context.is_cancelled() {
                let _ = sender.send(result);
            }
        };
        match runner {
            Runner::Inline => task(),
            Runner::Background => {
                let spawned = std::thread::Builder::new()
                    .name("descent-job".to_string())
                    .spawn(task);
                if spawned.is_err() {
                    context.cancelled.store(true, Ordering::Relaxed);
                }
            }
        }
        Self {
            key,
            context,
            receiver,
        }
    }

    /// The key the job was started for.
    pub fn key(&self) -> &K {
        &self.key
    }

    /// Units of work the job reported done.
    pub fn done(&self) -> u64 {
        self.context.done.load(Ordering::Relaxed)
    }

    /// Asks the job to stop; its result will be dropped.
    pub fn cancel(&self) {
        self.context.cancelled.store(true, Ordering::Relaxed);
    }

    /// The result if the job finished; `Err(JobLost)` if it ended without one (cancelled,
    /// or the worker could not start or panicked).
    pub fn poll(&self) -> Result<Option<T>, JobLost> {
        match self.receiver.try_recv() {
            Ok(result) => Ok(Some(result)),
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => Err(JobLost),
        }
    }
}

impl<K, T> Drop for Job<K, T> {
    fn drop(&mut self) {
        self.context.cancelled.store(true, Ordering::Relaxed);
    }
}

/// A cached result with the job that will replace it: a view draws the newest result it
/// has while a job for its new key runs.
#[derive(Debug)]
pub struct Cached<K, T> {
    /// The newest result and the key it was made for.
    pub current: Option<(K, T)>,
    pending: Option<Job<K, T>>,
}

impl<K, T> Default for Cached<K, T> {
    fn default() -> Self {
        Self {
            current: None,
            pending: None,
        }
    }
}

impl<K: Clone + PartialEq + Send + 'static, T: Send + 'static> Cached<K, T> {
    /// Makes sure the result for `key` is current or on its way: collects a finished job,
    /// and starts `work` unless the current result or the pending job is for `key`.
    /// Returns whether a newer result arrived.
    pub fn request(
        &mut self,
        runner: Runner,
        key: &K,
        work: impl FnOnce(&JobContext) -> T + Send + 'static,
    ) -> bool {
        let arrived = self.collect();
        let current = self.current.as_ref().is_some_and(|(k, _)| k == key);
        let pending = self.pending.as_ref().is_some_and(|j| j.key() == key);
        if !current && !pending {
            if let Some(old) = self.pending.take() {
                old.cancel();
            }
            self.pending = Some(Job::start(runner, key.clone(), work));
            return self.collect() || arrived;
        }
        arrived
    }

    /// Moves a finished job's result into `current`; returns whether one arrived.
    pub fn collect(&mut self) -> bool {
        let Some(job) = &self.pending else {
            return false;
        };
        match job.poll() {
            Ok(Some(result)) => {
                let key = job.key().clone();
                self.pending = None;
                self.current = Some((key, result));
                true
            }
            Ok(None) => false,
            Err(JobLost) => {
                self.pending = None;
                false
            }
        }
    }

    /// Whether a job is still running.
    pub fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Whether the current result is for `key`.
    pub fn is_current(&self, key: &K) -> bool {
        self.current.as_ref().is_some_and(|(k, _)| k == key)
    }

    /// Drops the result and cancels the job.
    pub fn clear(&mut self) {
        self.current = None;
        if let Some(job) = self.pending.take() {
            job.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_job_is_cancelled_and_its_result_dropped() {
        let mut cached: Cached<u32, u32> = Cached::default();
        let (release, wait) = std::sync::mpsc::channel::<()>();
        cached.request(Runner::Background, &1, move |ctx| {
            let _ = wait.recv();
            assert!(ctx.is_cancelled());
            1
        });
        assert!(cached.is_pending());
        cached.request(Runner::Background, &2, |_| 20);
        release.send(()).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !cached.is_current(&2) && std::time::Instant::now() < deadline {
            cached.collect();
            std::thread::yield_now();
        }
        assert_eq!(cached.current, Some((2, 20)));
        std::thread::sleep(std::time::Duration::from_millis(20));
        cached.collect();
        assert_eq!(
            cached.current,
            Some((2, 20)),
            "the stale result replaced the new one"
        );
    }

    #[test]
    fn dropping_a_cache_stops_its_job() {
        // What closing the window does to every view's job: the app and its caches are
        // dropped, and a worker that checks its flag stops.
        let mut cached: Cached<u32, u32> = Cached::default();
        let (stopped, told) = std::sync::mpsc::channel::<()>();
        cached.request(Runner::Background, &1, move |ctx| {
            while !ctx.is_cancelled() {
                std::thread::yield_now();
            }
            let _ = stopped.send(());
            1
        });
        drop(cached);
        told.recv_timeout(std::time::Duration::from_secs(30))
            .expect("the worker saw the cancel flag and stopped");
    }

    #[test]
    fn inline_jobs_finish_at_once() {
        let mut cached: Cached<u32, u32> = Cached::default();
        assert!(cached.request(Runner::Inline, &3, |_| 30));
        assert_eq!(cached.current, Some((3, 30)));
        assert!(!cached.request(Runner::Inline, &3, |_| unreachable!()));
    }
}
