//! One step looked at closely, and the shape of f around a point: what the optimizer saw,
//! what it remembered and what it did; the Hessian's axes, the condition number, the
//! largest stable learning rate and Newton's step.

use std::sync::atomic::{AtomicBool, Ordering};

use nalgebra::DMatrix;

use super::objective::Objective;
use super::optimizer::{OptimizerConfig, OptimizerState, StepRecord, newton_direction};
use super::run::{Run, StopReason};

/// Everything one step computed, from the point it starts at to the point it reaches
/// ([`Run::preview_step`] makes one).
#[derive(Clone, Debug, PartialEq)]
pub struct StepTrace {
    /// The iterate the step starts from: it computes iterate `k + 1`.
    pub k: usize,
    /// The optimizer and its hyperparameters.
    pub config: OptimizerConfig,
    /// The learning rate of this step, after the schedule.
    pub lr: f64,
    /// The point the step starts from.
    pub point: Vec<f64>,
    /// f there (for a mini-batch step, the batch's loss).
    pub value: f64,
    /// The exact gradient there (of the batch, for a mini-batch step).
    pub gradient: Vec<f64>,
    /// The gradient with noise added, when the run adds noise.
    pub noisy: Option<Vec<f64>>,
    /// The gradient the optimizer received: noise added, then clipped.
    pub seen: Vec<f64>,
    /// The optimizer's memory before the step.
    pub before: OptimizerState,
    /// The optimizer's memory after the step.
    pub after: OptimizerState,
    /// The point the step computed.
    pub next: Vec<f64>,
    /// f at the next point, when it is finite and in the domain.
    pub next_value: Option<f64>,
    /// What stops the run at this step, if anything.
    pub stop: Option<StopReason>,
    /// Weight decay, the line search's trials and Newton's solve, as computed.
    pub record: StepRecord,
}

impl StepTrace {
    /// The step taken: next - point.
    pub fn step(&self) -> Vec<f64> {
        self.next
            .iter()
            .zip(&self.point)
            .map(|(n, p)| n - p)
            .collect()
    }

    /// Whether clipping changed the gradient.
    pub fn clipped(&self) -> bool {
        self.noisy.as_ref().unwrap_or(&self.gradient) != &self.seen
    }
}

/// The step from iterate `k` of `run` to iterate `k + 1`, replayed from the start (so the
/// run's own path may be sampled sparsely). `None` if `k` lies beyond the run's last iterate
/// or `cancel` was set during the replay.
pub fn inspect(run: &Run, k: usize, cancel: &AtomicBool) -> Option<StepTrace> {
    if k > run.iterations() {
        return None;
    }
    replay(run.restarted(2).ok()?, k, cancel)
}

/// The step from iterate `k` to `k + 1` of `fresh`, a run not yet stepped: steps it `k`
/// times, then previews the next step. `None` if the run stops before iterate `k` or
/// `cancel` was set.
pub fn replay(mut fresh: Run, k: usize, cancel: &AtomicBool) -> Option<StepTrace> {
    let mut done = fresh.iterations();
    while done < k {
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        let chunk = (k - done).min(4096);
        let taken = fresh.step_many(chunk);
        done += taken;
        if taken < chunk {
            break;
        }
    }
    (done == k).then(|| fresh.preview_step())
}

/// The shape of f around a point, from its Hessian.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalGeometry {
    /// The Hessian's eigenvalues, smallest first.
    pub eigenvalues: Vec<f64>,
    /// Unit eigenvectors, one per eigenvalue, in the same order.
    pub eigenvectors: Vec<Vec<f64>>,
    /// Newton's full step -H^-1 g, when the Hessian can be solved with.
    pub newton_step: Option<Vec<f64>>,
}

impl LocalGeometry {
    /// The geometry of `objective` at `p`, or `None` where the Hessian is not finite.
    pub fn at(objective: &dyn Objective, p: &[f64]) -> Option<Self> {
        let second = objective.second_order(p);
        Self::of(second.hessian, &second.gradient)
    }

    /// The geometry of the Hessian `hessian` with gradient `gradient`.
    pub fn of(hessian: DMatrix<f64>, gradient: &[f64]) -> Option<Self> {
        if hessian.iter().any(|v| !v.is_finite()) || gradient.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let newton_step = newton_direction(hessian.clone(), gradient)
            .map(|d| d.iter().map(|v| -v).collect::<Vec<f64>>());
        let eigen = hessian.symmetric_eigen();
        let mut order: Vec<usize> = (0..eigen.eigenvalues.len()).collect();
        order.sort_by(|&a, &b| eigen.eigenvalues[a].total_cmp(&eigen.eigenvalues[b]));
        let eigenvalues: Vec<f64> = order.iter().map(|&i| eigen.eigenvalues[i]).collect();
        if eigenvalues.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let eigenvectors = order
            .iter()
            .map(|&i| eigen.eigenvectors.column(i).iter().copied().collect())
            .collect();
        Some(Self {
            eigenvalues,
            eigenvectors,
            newton_step,
        })
    }

    /// The largest eigenvalue.
    pub fn largest(&self) -> f64 {
        self.eigenvalues.last().copied().unwrap_or(0.0)
    }

    /// The smallest eigenvalue.
    pub fn smallest(&self) -> f64 {
        self.eigenvalues.first().copied().unwrap_or(0.0)
    }

    /// The condition number |lambda|max / |lambda|min; infinite when an eigenvalue is 0.
    pub fn condition(&self) -> f64 {
        let abs = |v: &f64| v.abs();
        let max = self.eigenvalues.iter().map(abs).fold(0.0, f64::max);
        let min = self
            .eigenvalues
            .iter()
            .map(abs)
            .fold(f64::INFINITY, f64::min);
        if min == 0.0 { f64::INFINITY } else { max / min }
    }

    /// The largest learning rate gradient descent stays stable with here, 2 / lambda_max,
    /// when lambda_max > 0.
    pub fn stable_lr(&self) -> Option<f64> {
        let largest = self.largest();
        (largest > 0.0)
            .then(|| 2.0 / largest)
            .filter(|v| v.is_finite())
    }

    /// What the curvature says: a bowl, a dome, a saddle, or flat along some axis.
    pub fn kind(&self) -> &'static str {
        let scale = self.eigenvalues.iter().map(|v| v.abs()).fold(0.0, f64::max);
        let tiny = scale * 1e-12;
        if self.eigenvalues.iter().any(|v| v.abs() <= tiny) {
            "flat along an axis"
        } else if self.smallest() > 0.0 {
            "curves up every way (convex here)"
        } else if self.largest() < 0.0 {
            "curves down every way (concave here)"
        } else {
            "a saddle: up one way, down another"
        }
    }
}
