//! A run: objective + optimizer + start, stepped one iteration at a time, recording its path.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::error::{EngineError, format_point};
use super::objective::Objective;
use super::optimizer::{OptimizerConfig, OptimizerState, StepFailure, clip_gradient};
use super::regression::{BatchSpec, Batches, Dataset};

/// The most iterations a run may be asked for.
pub const MAX_ITERATIONS: u64 = 10_000_000;

/// A run diverges when its parameters' Euclidean norm exceeds this.
pub const DIVERGENCE_NORM: f64 = 1e12;

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StopReason {
    /// |grad f| fell below the tolerance.
    Converged,
    /// A value or gradient was not finite, or the parameters left the ball of radius 1e12.
    Diverged,
    /// The next point lay outside the function's domain.
    LeftDomain,
    /// Newton's method met a singular Hessian.
    SingularHessian,
    /// The run took all its iterations.
    MaxIterations,
}

impl StopReason {
    /// The name used on the command line and in files, e.g. `left-domain`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Converged => "converged",
            Self::Diverged => "diverged",
            Self::LeftDomain => "left-domain",
            Self::SingularHessian => "singular-hessian",
            Self::MaxIterations => "max-iterations",
        }
    }

    /// A phrase for people, e.g. `left the domain`.
    pub fn phrase(self) -> &'static str {
        match self {
            Self::Converged => "converged",
            Self::Diverged => "diverged",
            Self::LeftDomain => "left the domain",
            Self::SingularHessian => "singular Hessian",
            Self::MaxIterations => "max iterations",
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a run computes: optimizer, start, iteration budget and tolerance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    /// The optimizer and its hyperparameters.
    pub optimizer: OptimizerConfig,
    /// The start point.
    pub start: Vec<f64>,
    /// The most iterations to take.
    pub max_iters: u64,
    /// Stop when |grad f| < tol; 0 disables the test.
    pub tol: f64,
}

impl RunSpec {
    /// Checks the spec against `objective`: dimension, domain, ranges.
    pub fn validate(&self, objective: &dyn Objective) -> Result<(), EngineError> {
        self.optimizer.validate()?;
        if self.max_iters == 0 || self.max_iters > MAX_ITERATIONS {
            return Err(EngineError::BadIterations(
                i64::try_from(self.max_iters).unwrap_or(i64::MAX),
            ));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(EngineError::BadTolerance(self.tol));
        }
        let info = objective.info();
        if self.start.len() != info.dim() {
            return Err(EngineError::StartDimension {
                function: info.name.clone(),
                expected: info.dim(),
                got: self.start.len(),
                names: info.param_names.join(","),
            });
        }
        if norm(&self.start) > DIVERGENCE_NORM {
            return Err(EngineError::StartTooFar(format_point(&self.start)));
        }
        if !objective.in_domain(&self.start) || self.start.iter().any(|v| !v.is_finite()) {
            return Err(EngineError::StartOutsideDomain {
                function: info.name.clone(),
                point: format_point(&self.start),
                domain: info.domain.clone(),
            });
        }
        Ok(())
    }
}

/// The recorded iterates of a run; entry k is iterate k, entry 0 the start.
///
/// Every number in a path is finite.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Path {
    dim: usize,
    params: Vec<f64>,
    values: Vec<f64>,
    grad_norms: Vec<f64>,
    gradients: Vec<f64>,
}

impl Path {
    fn new(dim: usize) -> Self {
        Self {
            dim,
            ..Self::default()
        }
    }

    fn push(&mut self, p: &[f64], value: f64, gradient: &[f64]) {
        self.params.extend_from_slice(p);
        self.values.push(value);
        self.gradients.extend_from_slice(gradient);
        self.grad_norms.push(norm(gradient));
    }

    /// The number of iterates, the start included.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the path holds no iterate (never true for a path of a [`Run`]).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The number of parameters.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The parameters of iterate `k`.
    pub fn point(&self, k: usize) -> &[f64] {
        &self.params[k * self.dim..(k + 1) * self.dim]
    }

    /// The gradient (before clipping) at iterate `k`.
    pub fn gradient(&self, k: usize) -> &[f64] {
        &self.gradients[k * self.dim..(k + 1) * self.dim]
    }

    /// f at every iterate.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// |grad f| at every iterate.
    pub fn grad_norms(&self) -> &[f64] {
        &self.grad_norms
    }

    /// The iterates' parameters, one slice per iterate.
    pub fn points(&self) -> std::slice::ChunksExact<'_, f64> {
        self.params.chunks_exact(self.dim.max(1))
    }

    /// The last iterate.
    pub fn last_point(&self) -> &[f64] {
        self.point(self.len() - 1)
    }
}

/// One optimization run, stepped one iteration at a time or to its end.
#[derive(Clone, Debug)]
pub struct Run {
    objective: Arc<dyn Objective>,
    spec: RunSpec,
    state: OptimizerState,
    path: Path,
    /// The current gradient as the optimizer sees it (clipped).
    gradient: Vec<f64>,
    next: Vec<f64>,
    stop: Option<StopReason>,
    /// Mini-batches the gradient is drawn from, if not the whole objective.
    batches: Option<Batches>,
    /// The loss of the batch each step used, at the point it stepped from.
    batch_losses: Vec<f64>,
}

impl Run {
    /// Validates `spec` and evaluates the start.
    pub fn new(objective: Arc<dyn Objective>, spec: RunSpec) -> Result<Self, EngineError> {
        spec.validate(objective.as_ref())?;
        let dim = spec.start.len();
        let mut gradient = vec![0.0; dim];
        let value = objective.value_and_gradient(&spec.start, &mut gradient);
        if !value.is_finite() || gradient.iter().any(|g| !g.is_finite()) {
            return Err(EngineError::StartNotFinite {
                function: objective.info().name.clone(),
                point: format_point(&spec.start),
            });
        }
        let mut path = Path::new(dim);
        path.push(&spec.start, value, &gradient);
        let mut run = Self {
            objective,
            state: OptimizerState::new(dim),
            path,
            gradient,
            next: vec![0.0; dim],
            stop: None,
            spec,
            batches: None,
            batch_losses: Vec::new(),
        };
        clip_gradient(&mut run.gradient, run.spec.optimizer.clip);
        run.check_convergence();
        Ok(run)
    }

    /// A run whose every step follows the gradient of one mini-batch of `data` (with
    /// `objective` the loss over all of it), reshuffled each epoch as `batch` says.
    pub fn with_batches(
        objective: Arc<dyn Objective>,
        spec: RunSpec,
        data: Arc<Dataset>,
        batch: BatchSpec,
    ) -> Result<Self, EngineError> {
        if batch.size == 0 || batch.size > data.len() {
            return Err(EngineError::BadBatchSize {
                size: i64::try_from(batch.size).unwrap_or(i64::MAX),
                points: data.len(),
            });
        }
        let mut run = Self::new(objective, spec)?;
        run.batches = Some(Batches::new(data, batch));
        Ok(run)
    }

    /// The batch spec of a mini-batch run.
    pub fn batch_spec(&self) -> Option<BatchSpec> {
        self.batches.as_ref().map(Batches::spec)
    }

    /// For mini-batch runs, the loss of the batch each step used (entry k for step k + 1).
    pub fn batch_losses(&self) -> &[f64] {
        &self.batch_losses
    }

    /// The objective.
    pub fn objective(&self) -> &Arc<dyn Objective> {
        &self.objective
    }

    /// The spec the run was made from.
    pub fn spec(&self) -> &RunSpec {
        &self.spec
    }

    /// The recorded path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Iterations taken so far.
    pub fn iterations(&self) -> usize {
        self.path.len() - 1
    }

    /// The iteration the run stopped at: the last iterate for `converged` and
    /// `max-iterations`, the step that failed (one past the last iterate) otherwise.
    pub fn stopped_at(&self) -> Option<usize> {
        self.stop.map(|reason| match reason {
            StopReason::Converged | StopReason::MaxIterations => self.iterations(),
            _ => self.iterations() + 1,
        })
    }

    /// Why the run stopped, or `None` while it can go on.
    pub fn stop_reason(&self) -> Option<StopReason> {
        self.stop
    }

    /// Whether the run has stopped.
    pub fn is_finished(&self) -> bool {
        self.stop.is_some()
    }

    /// The optimizer's internal state.
    pub fn optimizer_state(&self) -> &OptimizerState {
        &self.state
    }

    /// Takes one iteration; returns whether the run can go on.
    pub fn step(&mut self) -> bool {
        if self.stop.is_some() {
            return false;
        }
        let k = self.path.len() - 1;
        let p = self.path.point(k);
        let mut value = self.path.values[k];
        let batch = self.batches.as_mut().map(Batches::next_loss);
        if let Some(batch) = &batch {
            value = batch.value_and_gradient(p, &mut self.gradient);
            clip_gradient(&mut self.gradient, self.spec.optimizer.clip);
            self.batch_losses.push(value);
        }
        let step_objective: &dyn Objective = match &batch {
            Some(batch) => batch,
            None => self.objective.as_ref(),
        };
        let outcome = self.state.step(
            &self.spec.optimizer,
            step_objective,
            p,
            value,
            &self.gradient,
            &mut self.next,
        );
        if outcome == Err(StepFailure::SingularHessian) {
            return self.finish(StopReason::SingularHessian);
        }
        if self.next.iter().any(|v| !v.is_finite()) || norm(&self.next) > DIVERGENCE_NORM {
            return self.finish(StopReason::Diverged);
        }
        if !self.objective.in_domain(&self.next) {
            return self.finish(StopReason::LeftDomain);
        }
        let value = self
            .objective
            .value_and_gradient(&self.next, &mut self.gradient);
        if !value.is_finite() || self.gradient.iter().any(|g| !g.is_finite()) {
            return self.finish(StopReason::Diverged);
        }
        self.path.push(&self.next, value, &self.gradient);
        clip_gradient(&mut self.gradient, self.spec.optimizer.clip);
        if self.check_convergence() {
            return false;
        }
        if self.iterations() as u64 >= self.spec.max_iters {
            return self.finish(StopReason::MaxIterations);
        }
        true
    }

    /// Steps until the run stops or `max_steps` iterations were taken; returns steps taken.
    pub fn step_many(&mut self, max_steps: usize) -> usize {
        let mut taken = 0;
        while taken < max_steps && !self.is_finished() {
            let before = self.path.len();
            self.step();
            taken += self.path.len() - before;
            if self.path.len() == before {
                break;
            }
        }
        taken
    }

    /// Steps to the end and returns the stop reason.
    pub fn finish_all(&mut self) -> StopReason {
        while self.step() {}
        self.stop.unwrap_or(StopReason::MaxIterations)
    }

    fn check_convergence(&mut self) -> bool {
        let k = self.path.len() - 1;
        if self.spec.tol > 0.0 && self.path.grad_norms[k] < self.spec.tol {
            self.finish(StopReason::Converged);
            return true;
        }
        false
    }

    fn finish(&mut self, reason: StopReason) -> bool {
        self.stop = Some(reason);
        false
    }
}

/// The Euclidean norm.
pub fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}
