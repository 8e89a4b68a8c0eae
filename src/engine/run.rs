//! A run: objective + optimizer + start, stepped one iteration at a time, recording its path.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::error::EngineError;
use super::format::point as format_point;
use super::gradient::GradientSource;
use super::objective::Objective;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, Normal};

use super::inspect::StepTrace;
use super::optimizer::{
    Evaluations, OptimizerConfig, OptimizerKind, OptimizerState, StepFailure, clip_gradient,
};
use super::regression::{BatchSpec, Batches, Dataset};

/// The most iterations a run may be asked for.
pub const MAX_ITERATIONS: u64 = 10_000_000;

/// A run diverges when its parameters' Euclidean norm exceeds this.
pub const DIVERGENCE_NORM: f64 = 1e12;

/// The most parameters Newton's method takes: it builds and solves a dense Hessian every
/// step, which costs n^2 memory and n^3 time.
pub const MAX_NEWTON_DIM: usize = 100;

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StopReason {
    /// |grad f| fell below the tolerance.
    Converged,
    /// A value or gradient was not finite, the optimizer's state overflowed, or the
    /// parameters left the ball of radius 1e12.
    Diverged,
    /// The next point lay outside the function's domain.
    LeftDomain,
    /// Newton's method met a singular Hessian.
    SingularHessian,
    /// The line search found no step that decreases f enough after every halving.
    LineSearchFailed,
    /// The run took all its iterations.
    MaxIterations,
    /// The run spent its evaluation budget (see [`Run::with_budget`]).
    Budget,
}

impl StopReason {
    /// Every stop reason.
    pub const ALL: [StopReason; 7] = [
        Self::Converged,
        Self::Diverged,
        Self::LeftDomain,
        Self::SingularHessian,
        Self::LineSearchFailed,
        Self::MaxIterations,
        Self::Budget,
    ];

    /// The name used on the command line and in files, e.g. `left-domain`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Converged => "converged",
            Self::Diverged => "diverged",
            Self::LeftDomain => "left-domain",
            Self::SingularHessian => "singular-hessian",
            Self::LineSearchFailed => "line-search-failed",
            Self::MaxIterations => "max-iterations",
            Self::Budget => "budget",
        }
    }

    /// A phrase for people, e.g. `left the domain`.
    pub fn phrase(self) -> &'static str {
        match self {
            Self::Converged => "converged",
            Self::Diverged => "diverged",
            Self::LeftDomain => "left the domain",
            Self::SingularHessian => "singular Hessian",
            Self::LineSearchFailed => "line search failed",
            Self::MaxIterations => "max iterations",
            Self::Budget => "budget spent",
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
            return Err(EngineError::BadIterations {
                got: i64::try_from(self.max_iters).unwrap_or(i64::MAX),
                max: MAX_ITERATIONS,
            });
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) || super::format::subnormal(self.tol) {
            return Err(EngineError::BadTolerance(self.tol));
        }
        let info = objective.info();
        if self.start.len() != info.dim() {
            return Err(EngineError::StartDimension {
                function: info.name.clone(),
                expected: info.dim(),
                got: self.start.len(),
                names: super::format::name_list(&info.param_names, ","),
            });
        }
        if self.optimizer.kind == OptimizerKind::Newton && info.dim() > MAX_NEWTON_DIM {
            return Err(EngineError::TooManyParameters {
                optimizer: OptimizerKind::Newton.name(),
                dim: info.dim(),
                max: MAX_NEWTON_DIM,
            });
        }
        if let Some(&v) = self.start.iter().find(|v| super::format::subnormal(**v)) {
            return Err(EngineError::StartUnderflow(v));
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

/// The iterates of a run; iterate 0 is the start.
///
/// A path keeps every iterate, or, given a cap, a bounded sample of them: the iterates at
/// multiples of a stride that doubles whenever the cap is reached, plus the last iterate,
/// which is always exact. Every number in a path is finite. Two paths are equal when they
/// hold the same iterates, whatever their caps.
#[derive(Clone, Debug)]
pub struct Path {
    dim: usize,
    len: usize,
    stride: usize,
    cap: usize,
    params: Vec<f64>,
    values: Vec<f64>,
    grad_norms: Vec<f64>,
    gradients: Vec<f64>,
    last_params: Vec<f64>,
    last_gradient: Vec<f64>,
    last_value: f64,
    last_grad_norm: f64,
    min_value: f64,
}

impl PartialEq for Path {
    fn eq(&self, other: &Self) -> bool {
        self.dim == other.dim
            && self.len == other.len
            && self.stride == other.stride
            && self.params == other.params
            && self.values == other.values
            && self.grad_norms == other.grad_norms
            && self.gradients == other.gradients
            && self.last_params == other.last_params
            && self.last_gradient == other.last_gradient
            && self.last_value == other.last_value
    }
}

impl Path {
    fn new(dim: usize, cap: usize) -> Self {
        Self {
            dim,
            len: 0,
            stride: 1,
            cap: cap.max(2),
            params: Vec::new(),
            values: Vec::new(),
            grad_norms: Vec::new(),
            gradients: Vec::new(),
            last_params: vec![0.0; dim],
            last_gradient: vec![0.0; dim],
            last_value: 0.0,
            last_grad_norm: 0.0,
            min_value: f64::INFINITY,
        }
    }

    fn push(&mut self, p: &[f64], value: f64, gradient: &[f64]) {
        let grad_norm = norm(gradient);
        if self.len.is_multiple_of(self.stride) {
            if self.values.len() == self.cap {
                self.halve();
            }
            if self.len.is_multiple_of(self.stride) {
                self.params.extend_from_slice(p);
                self.values.push(value);
                self.gradients.extend_from_slice(gradient);
                self.grad_norms.push(grad_norm);
            }
        }
        self.last_params.copy_from_slice(p);
        self.last_gradient.copy_from_slice(gradient);
        self.last_value = value;
        self.last_grad_norm = grad_norm;
        self.min_value = self.min_value.min(value);
        self.len += 1;
    }

    /// Keeps every other sample and doubles the stride.
    fn halve(&mut self) {
        keep_every_other(&mut self.values, 1);
        keep_every_other(&mut self.grad_norms, 1);
        keep_every_other(&mut self.params, self.dim);
        keep_every_other(&mut self.gradients, self.dim);
        self.stride *= 2;
    }

    /// The number of iterates, the start included.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the path holds no iterate (never true for a path of a [`Run`]).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of parameters.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Iterations between kept samples: 1 while the path keeps every iterate.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The iterate that stands for iterate `k`: `k` itself if it is kept (always so for the
    /// last one and for every iterate of an uncapped path), else the latest kept before it.
    pub fn index_of(&self, k: usize) -> usize {
        let last = self.len.saturating_sub(1);
        if k >= last { last } else { k - k % self.stride }
    }

    fn sample(&self, k: usize) -> Option<usize> {
        (k + 1 < self.len).then(|| k / self.stride)
    }

    /// The parameters of iterate `k` (see [`Self::index_of`]).
    pub fn point(&self, k: usize) -> &[f64] {
        match self.sample(k) {
            Some(i) => &self.params[i * self.dim..(i + 1) * self.dim],
            None => &self.last_params,
        }
    }

    /// The gradient (before clipping) at iterate `k` (see [`Self::index_of`]).
    pub fn gradient(&self, k: usize) -> &[f64] {
        match self.sample(k) {
            Some(i) => &self.gradients[i * self.dim..(i + 1) * self.dim],
            None => &self.last_gradient,
        }
    }

    /// f at iterate `k` (see [`Self::index_of`]).
    pub fn value(&self, k: usize) -> f64 {
        self.sample(k).map_or(self.last_value, |i| self.values[i])
    }

    /// |grad f| at iterate `k` (see [`Self::index_of`]).
    pub fn grad_norm(&self, k: usize) -> f64 {
        self.sample(k)
            .map_or(self.last_grad_norm, |i| self.grad_norms[i])
    }

    /// f at the kept samples (iterates 0, stride, 2 stride, ...): every iterate while the
    /// stride is 1.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// |grad f| at the kept samples, like [`Self::values`].
    pub fn grad_norms(&self) -> &[f64] {
        &self.grad_norms
    }

    /// The kept samples' parameters, one slice per sample, like [`Self::values`].
    pub fn points(&self) -> std::slice::ChunksExact<'_, f64> {
        self.params.chunks_exact(self.dim.max(1))
    }

    /// The kept iterates as (iteration, parameters), the last iterate included.
    pub fn samples(&self) -> impl Iterator<Item = (usize, &[f64])> + '_ {
        let stride = self.stride;
        let kept = self.points().enumerate().map(move |(i, p)| (i * stride, p));
        let last = self.len.checked_sub(1);
        let last_kept =
            last.is_some_and(|l| l.is_multiple_of(stride) && l / stride < self.values.len());
        kept.chain(
            last.filter(|_| !last_kept)
                .map(|l| (l, self.last_params.as_slice())),
        )
    }

    /// The last iterate.
    pub fn last_point(&self) -> &[f64] {
        &self.last_params
    }

    /// f at the last iterate.
    pub fn last_value(&self) -> f64 {
        self.last_value
    }

    /// |grad f| at the last iterate.
    pub fn last_grad_norm(&self) -> f64 {
        self.last_grad_norm
    }

    /// The lowest f of every iterate, kept or not.
    pub fn min_value(&self) -> f64 {
        self.min_value
    }
}

/// Keeps records 0, 2, 4, ... of a column of records `width` numbers wide.
fn keep_every_other(column: &mut Vec<f64>, width: usize) {
    let records = column.len() / width.max(1);
    let keep = records.div_ceil(2);
    for i in 0..keep {
        column.copy_within(2 * i * width..(2 * i + 1) * width, i * width);
    }
    column.truncate(keep * width);
}

/// Values recorded once per step, kept like a [`Path`]: all of them, or every stride-th
/// beyond a cap.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepValues {
    count: usize,
    stride: usize,
    cap: usize,
    values: Vec<f64>,
}

impl StepValues {
    fn new(cap: usize) -> Self {
        Self {
            count: 0,
            stride: 1,
            cap: cap.max(2),
            values: Vec::new(),
        }
    }

    fn push(&mut self, v: f64) {
        if self.count.is_multiple_of(self.stride) {
            if self.values.len() == self.cap {
                keep_every_other(&mut self.values, 1);
                self.stride *= 2;
            }
            if self.count.is_multiple_of(self.stride) {
                self.values.push(v);
            }
        }
        self.count += 1;
    }

    /// The kept values: entry i is step i * stride + 1's.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Steps between kept values.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The number of steps recorded.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no step was recorded.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// One optimization run, stepped one iteration at a time or to its end.
#[derive(Clone, Debug)]
pub struct Run {
    objective: Arc<dyn Objective>,
    spec: RunSpec,
    state: OptimizerState,
    path: Path,
    /// The gradient the next step follows, as the optimizer sees it (clipped).
    gradient: Vec<f64>,
    next: Vec<f64>,
    stop: Option<StopReason>,
    /// Where each step's gradient comes from, if not the objective itself.
    source: Option<Box<dyn GradientSource>>,
    /// The value each draw of the source reported, at the point its step started from.
    drawn_values: StepValues,
    /// The generator and distribution of the gradient noise, if any.
    noise: Option<(Xoshiro256PlusPlus, Normal<f64>)>,
    /// The values and gradients the run asked for (the optimizer counts its own).
    evaluations: Evaluations,
    /// The gradient the next step follows before clipping (noise added), kept only when
    /// the run clips.
    unclipped: Vec<f64>,
    /// Stop once the evaluations cost this many gradients (see [`super::race::cost`]).
    budget: Option<u64>,
}

impl Run {
    /// Validates `spec` and evaluates the start; the path keeps every iterate.
    pub fn new(objective: Arc<dyn Objective>, spec: RunSpec) -> Result<Self, EngineError> {
        Self::build(objective, spec, None, usize::MAX)
    }

    /// A run whose steps follow the gradients `source` draws (the path still records the
    /// objective's own values).
    pub fn with_source(
        objective: Arc<dyn Objective>,
        spec: RunSpec,
        source: Box<dyn GradientSource>,
    ) -> Result<Self, EngineError> {
        Self::build(objective, spec, Some(source), usize::MAX)
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
        Self::with_source(objective, spec, Box::new(Batches::new(data, batch)))
    }

    /// The same run keeping at most about `cap` iterates of its path (and of its drawn
    /// values); the last iterate stays exact. Call before stepping.
    pub fn with_path_cap(mut self, cap: usize) -> Self {
        if self.path.len() == 1 {
            let mut path = Path::new(self.path.dim, cap);
            path.push(
                &self.path.last_params,
                self.path.last_value,
                &self.path.last_gradient,
            );
            self.path = path;
            self.drawn_values = StepValues::new(cap);
        }
        self
    }

    fn build(
        objective: Arc<dyn Objective>,
        spec: RunSpec,
        source: Option<Box<dyn GradientSource>>,
        cap: usize,
    ) -> Result<Self, EngineError> {
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
        let mut path = Path::new(dim, cap);
        path.push(&spec.start, value, &gradient);
        let noise = spec.optimizer.noise.and_then(|noise| {
            let normal = Normal::new(0.0, noise.sigma).ok()?;
            (noise.sigma > 0.0).then(|| (Xoshiro256PlusPlus::seed_from_u64(noise.seed), normal))
        });
        let mut run = Self {
            objective,
            state: OptimizerState::new(dim),
            path,
            gradient,
            next: vec![0.0; dim],
            stop: None,
            spec,
            source,
            drawn_values: StepValues::new(cap),
            noise,
            evaluations: Evaluations {
                values: 1,
                gradients: 1,
                hessians: 0,
            },
            unclipped: Vec::new(),
            budget: None,
        };
        run.add_noise();
        run.clip();
        run.check_convergence();
        Ok(run)
    }

    /// The same run from its start, not yet stepped, keeping about `cap` iterates.
    pub fn restarted(&self, cap: usize) -> Result<Self, EngineError> {
        let run = Self::build(
            self.objective.clone(),
            self.spec.clone(),
            self.source.as_ref().map(|s| s.restarted()),
            cap,
        )?;
        Ok(run.with_budget(self.budget))
    }

    /// The same run stopping once its evaluations cost `budget` gradients (each gradient
    /// 1, each extra trial value of the line search 1, each Hessian `dim`): the equal-budget
    /// mode of a race. Call before stepping.
    pub fn with_budget(mut self, budget: Option<u64>) -> Self {
        self.budget = budget;
        if self.stop.is_none() && self.budget_spent() {
            self.stop = Some(StopReason::Budget);
        }
        self
    }

    /// The evaluation budget, if any.
    pub fn budget(&self) -> Option<u64> {
        self.budget
    }

    /// The evaluations' cost in gradients, as the budget counts it.
    pub fn cost(&self) -> u64 {
        super::race::cost(
            &self.evaluations(),
            self.spec.optimizer.kind == OptimizerKind::LineSearch,
            self.spec.start.len(),
        )
    }

    fn budget_spent(&self) -> bool {
        self.budget.is_some_and(|b| self.cost() >= b)
    }

    /// The batch spec of a mini-batch run.
    pub fn batch_spec(&self) -> Option<BatchSpec> {
        self.source
            .as_ref()?
            .as_any()
            .downcast_ref::<Batches>()
            .map(Batches::spec)
    }

    /// For runs with a gradient source (mini-batches), the value each draw reported at the
    /// point its step started from: entry i for step i * stride + 1.
    pub fn drawn_values(&self) -> &StepValues {
        &self.drawn_values
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
            StopReason::Converged | StopReason::MaxIterations | StopReason::Budget => {
                self.iterations()
            }
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
        let p = self.path.last_point();
        let mut value = self.path.last_value();
        if let Some(source) = &mut self.source {
            value = source.draw(p, &mut self.gradient);
            self.evaluations.gradients += 1;
            self.drawn_values.push(value);
            self.add_noise();
            self.clip();
        }
        let p = self.path.last_point();
        let step_objective: &dyn Objective = match &self.source {
            Some(source) => source.drawn(),
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
        match outcome {
            Err(StepFailure::SingularHessian) => return self.finish(StopReason::SingularHessian),
            Err(StepFailure::LineSearchFailed) => {
                return self.finish(StopReason::LineSearchFailed);
            }
            Err(StepFailure::Overflowed) => return self.finish(StopReason::Diverged),
            Ok(()) => {}
        }
        if self.next.iter().any(|v| !v.is_finite()) || norm(&self.next) > DIVERGENCE_NORM {
            return self.finish(StopReason::Diverged);
        }
        if !self.objective.in_domain(&self.next) {
            return self.finish(outside(self.objective.as_ref(), &self.next));
        }
        let value = self
            .objective
            .value_and_gradient(&self.next, &mut self.gradient);
        self.evaluations.values += 1;
        self.evaluations.gradients += 1;
        if !value.is_finite() || self.gradient.iter().any(|g| !g.is_finite()) {
            return self.finish(StopReason::Diverged);
        }
        self.path.push(&self.next, value, &self.gradient);
        if self.source.is_none() {
            self.add_noise();
        }
        self.clip();
        if self.check_convergence() {
            return false;
        }
        if self.iterations() as u64 >= self.spec.max_iters {
            return self.finish(StopReason::MaxIterations);
        }
        if self.budget_spent() {
            return self.finish(StopReason::Budget);
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

    /// The values, gradients and Hessians computed so far: the run's own (one value and one
    /// gradient per iterate, one gradient per mini-batch drawn) and the optimizer's (the line
    /// search's trial points, Newton's Hessians).
    pub fn evaluations(&self) -> Evaluations {
        self.evaluations + self.state.evaluations
    }

    /// The learning rate of step `k` (0 for the first) after the schedule.
    pub fn lr_at(&self, k: u64) -> f64 {
        self.spec.optimizer.schedule.lr(self.spec.optimizer.lr, k)
    }

    /// Clips the gradient the next step follows, keeping it unclipped for
    /// [`Self::preview_step`].
    fn clip(&mut self) {
        if self.spec.optimizer.clip.is_some() {
            self.unclipped.clone_from(&self.gradient);
            clip_gradient(&mut self.gradient, self.spec.optimizer.clip);
        }
    }

    /// The next step computed from where the run stands, without taking it: what the
    /// optimizer sees, remembers and does, and what would stop the run. Works on a stopped
    /// run too (the step it would take next), except after a failed step.
    pub fn preview_step(&self) -> StepTrace {
        let config = &self.spec.optimizer;
        let point = self.path.last_point().to_vec();
        let dim = point.len();
        let mut source = self.source.clone();
        let mut noise = self.noise.clone();
        let (value, gradient, noisy, seen) = match &mut source {
            Some(source) => {
                let mut gradient = vec![0.0; dim];
                let value = source.draw(&point, &mut gradient);
                let mut noisy = gradient.clone();
                if let Some((rng, normal)) = &mut noise {
                    for g in &mut noisy {
                        *g += normal.sample(rng);
                    }
                }
                let mut seen = noisy.clone();
                clip_gradient(&mut seen, config.clip);
                (value, gradient, noisy, seen)
            }
            None => {
                let noisy = if config.clip.is_some() {
                    self.unclipped.clone()
                } else {
                    self.gradient.clone()
                };
                (
                    self.path.last_value(),
                    self.path.last_gradient.clone(),
                    noisy,
                    self.gradient.clone(),
                )
            }
        };
        let step_objective: &dyn Objective = match &source {
            Some(source) => source.drawn(),
            None => self.objective.as_ref(),
        };
        let mut state = self.state.clone();
        state.record_steps(true);
        let mut next = vec![0.0; dim];
        let failure = state
            .step(config, step_objective, &point, value, &seen, &mut next)
            .err();
        let record = state.record.take().map(|r| *r).unwrap_or_default();
        let stop = match failure {
            Some(StepFailure::SingularHessian) => Some(StopReason::SingularHessian),
            Some(StepFailure::LineSearchFailed) => Some(StopReason::LineSearchFailed),
            Some(StepFailure::Overflowed) => Some(StopReason::Diverged),
            None if next.iter().any(|v| !v.is_finite()) || norm(&next) > DIVERGENCE_NORM => {
                Some(StopReason::Diverged)
            }
            None if !self.objective.in_domain(&next) => {
                Some(outside(self.objective.as_ref(), &next))
            }
            None => None,
        };
        let next_value = match stop {
            None => Some(self.objective.value(&next)).filter(|v| v.is_finite()),
            Some(_) => None,
        };
        let stop = stop.or(next_value.is_none().then_some(StopReason::Diverged));
        let mut before = self.state.clone();
        before.record = None;
        StepTrace {
            k: self.iterations(),
            config: *config,
            lr: state.last_lr,
            point,
            value,
            gradient,
            noisy: (config.noise.is_some_and(|n| n.sigma > 0.0)).then_some(noisy),
            seen,
            before,
            after: state,
            next,
            next_value,
            stop,
            record,
        }
    }

    /// Adds the gradient noise, if any, to the gradient the next step follows.
    fn add_noise(&mut self) {
        if let Some((rng, normal)) = &mut self.noise {
            for g in &mut self.gradient {
                *g += normal.sample(rng);
            }
        }
    }

    fn check_convergence(&mut self) -> bool {
        if self.spec.tol > 0.0 && self.path.last_grad_norm() < self.spec.tol {
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

/// Why a run stops at a next point outside the domain: it diverged where f overflows
/// there (exp(10*x) far out), else it left the domain.
pub fn outside(objective: &dyn Objective, next: &[f64]) -> StopReason {
    if objective.overflows_at(next) {
        StopReason::Diverged
    } else {
        StopReason::LeftDomain
    }
}

/// The Euclidean norm, without overflow or underflow while every component is finite.
pub fn norm(v: &[f64]) -> f64 {
    let sum: f64 = v.iter().map(|x| x * x).sum();
    if sum.is_finite() && sum > 1e-290 {
        return sum.sqrt();
    }
    // Squares overflowed or underflowed: scale by the largest component first.
    let scale = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return scale;
    }
    scale * v.iter().map(|x| (x / scale).powi(2)).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_norm_neither_overflows_nor_underflows() {
        assert_eq!(norm(&[3.0, 4.0]), 5.0);
        assert!((norm(&[3e200, 4e200]) / 5e200 - 1.0).abs() < 1e-15);
        assert!((norm(&[3e-200, 4e-200]) / 5e-200 - 1.0).abs() < 1e-15);
        assert_eq!(norm(&[f64::MAX, 0.0]), f64::MAX);
        assert_eq!(norm(&[0.0, 0.0]), 0.0);
    }

    #[test]
    fn a_capped_path_keeps_a_bounded_sample_and_the_exact_last_iterate() {
        let mut path = Path::new(1, 8);
        for k in 0..1000 {
            path.push(&[k as f64], k as f64, &[1.0]);
        }
        assert_eq!(path.len(), 1000);
        assert!(path.values().len() <= 8, "{}", path.values().len());
        assert_eq!(path.last_point(), &[999.0]);
        assert_eq!(path.value(999), 999.0);
        let stride = path.stride();
        assert!(stride >= 128);
        for (i, v) in path.values().iter().enumerate() {
            assert_eq!(*v, (i * stride) as f64);
        }
        assert_eq!(path.index_of(stride + 1), stride);
        assert_eq!(path.point(stride + 1), &[stride as f64]);
        let samples: Vec<usize> = path.samples().map(|(k, _)| k).collect();
        assert_eq!(*samples.last().unwrap(), 999);
        assert!(samples.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(path.min_value(), 0.0);
    }

    #[test]
    fn an_uncapped_path_keeps_every_iterate() {
        let mut path = Path::new(2, usize::MAX);
        for k in 0..100 {
            path.push(&[k as f64, 0.0], k as f64, &[0.0, 0.0]);
        }
        assert_eq!(path.stride(), 1);
        assert_eq!(path.values().len(), 100);
        assert_eq!(path.samples().count(), 100);
        assert_eq!(path.point(42), &[42.0, 0.0]);
    }
}
