//! Which start reaches which minimum, and which learning rate works: many runs at once, with
//! no path recorded and nothing allocated per run, split across cores.
//!
//! A basin map runs the optimizer from every cell center of a grid over the view and labels
//! each start by the known minimum its last iterate lies next to; a sweep runs one start with
//! many learning rates. Both use the optimizers' own update rules ([`OptimizerState::step`]).
//! A preset's basin map descends 16 starts at once in SIMD lanes ([`super::lanes`]) for
//! the optimizers that can, ending exactly where one start at a time ends.

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use super::critical::{self, CriticalKind};
use super::grid::cell_center;
use super::lanes::{Descents, LANES, Landing};
use super::objective::{Interval, Objective};
use super::optimizer::{OptimizerConfig, OptimizerState, StepFailure, clip_gradient};
use super::run::{DIVERGENCE_NORM, StopReason, norm};

/// Where one descent ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ending {
    /// Iterations taken.
    pub iterations: u32,
    /// f at the last iterate.
    pub value: f64,
    /// Why it stopped.
    pub stop: StopReason,
}

/// Reusable buffers for descents of one dimension: a worker makes one and runs many starts.
#[derive(Clone, Debug)]
pub struct Descender {
    state: OptimizerState,
    point: Vec<f64>,
    gradient: Vec<f64>,
    next: Vec<f64>,
}

impl Descender {
    /// Buffers for `dim` parameters.
    pub fn new(dim: usize) -> Self {
        Self {
            state: OptimizerState::new(dim),
            point: vec![0.0; dim],
            gradient: vec![0.0; dim],
            next: vec![0.0; dim],
        }
    }

    /// The last iterate of the last descent.
    pub fn point(&self) -> &[f64] {
        &self.point
    }

    /// Descends from `start` with `config` for at most `iters` iterations, stopping early
    /// when |grad f| < `tol` (0: never), exactly as a [`super::Run`] of the same spec steps
    /// (gradient noise aside: a basin map or a sweep is deterministic).
    pub fn descend(
        &mut self,
        objective: &dyn Objective,
        config: &OptimizerConfig,
        start: &[f64],
        iters: u32,
        tol: f64,
    ) -> Ending {
        self.state.reset();
        self.point.copy_from_slice(start);
        let ending = |iterations, value, stop| Ending {
            iterations,
            value,
            stop,
        };
        // A start where f is undefined (log x at x < 0) is outside the domain, as a run says.
        if !objective.in_domain(&self.point) {
            return ending(0, f64::NAN, StopReason::LeftDomain);
        }
        let mut value = objective.value_and_gradient(&self.point, &mut self.gradient);
        if !value.is_finite() || self.gradient.iter().any(|g| !g.is_finite()) {
            return ending(0, value, StopReason::Diverged);
        }
        // As a run does: convergence is judged on the exact gradient, the step takes the
        // clipped one.
        let mut converged = tol > 0.0 && norm(&self.gradient) < tol;
        clip_gradient(&mut self.gradient, config.clip);
        for k in 0..iters {
            if converged {
                return ending(k, value, StopReason::Converged);
            }
            let step = self.state.step(
                config,
                objective,
                &self.point,
                value,
                &self.gradient,
                &mut self.next,
            );
            let failed = match step {
                Err(StepFailure::SingularHessian) => Some(StopReason::SingularHessian),
                Err(StepFailure::LineSearchFailed) => Some(StopReason::LineSearchFailed),
                Err(StepFailure::Overflowed) => Some(StopReason::Diverged),
                Ok(())
                    if self.next.iter().any(|v| !v.is_finite())
                        || norm(&self.next) > DIVERGENCE_NORM =>
                {
                    Some(StopReason::Diverged)
                }
                Ok(()) if !objective.in_domain(&self.next) => {
                    Some(super::run::outside(objective, &self.next))
                }
                Ok(()) => None,
            };
            if let Some(stop) = failed {
                return ending(k, value, stop);
            }
            let next_value = objective.value_and_gradient(&self.next, &mut self.gradient);
            // The run stays at the point before, as `Run` keeps it: its value is said.
            if !next_value.is_finite() || self.gradient.iter().any(|g| !g.is_finite()) {
                return ending(k, value, StopReason::Diverged);
            }
            value = next_value;
            std::mem::swap(&mut self.point, &mut self.next);
            converged = tol > 0.0 && norm(&self.gradient) < tol;
            clip_gradient(&mut self.gradient, config.clip);
        }
        if converged {
            return ending(iters, value, StopReason::Converged);
        }
        ending(iters, value, StopReason::MaxIterations)
    }
}

/// A basin map's request: the optimizer, the budget and the grid of starts.
#[derive(Clone, Debug, PartialEq)]
pub struct BasinSpec {
    /// The optimizer every start runs (gradient noise is ignored).
    pub optimizer: OptimizerConfig,
    /// The most iterations per start.
    pub iters: u32,
    /// Stop a start once |grad f| < tol (0: never).
    pub tol: f64,
    /// The view: x and y intervals.
    pub view: [Interval; 2],
    /// Starts across.
    pub width: usize,
    /// Starts down.
    pub height: usize,
}

/// A label for a start whose run diverged or left the domain.
pub const DIVERGED: i32 = -1;
/// A label for a start whose run ended near no known minimum (still travelling, or on a
/// saddle or a ridge).
pub const NOWHERE: i32 = -2;

/// Which minimum each start of a grid reaches.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BasinMap {
    /// Starts across.
    pub width: usize,
    /// Starts down.
    pub height: usize,
    /// The minima the labels index.
    pub minima: Vec<Vec<f64>>,
    /// Row-major from the bottom row (smallest y), left to right: the index of the minimum
    /// reached, [`DIVERGED`] or [`NOWHERE`].
    pub labels: Vec<i32>,
    /// How each start ended.
    pub endings: Vec<Ending>,
}

impl BasinMap {
    /// The start of cell (i, j): column i, row j from the bottom.
    pub fn start(spec: &BasinSpec, i: usize, j: usize) -> [f64; 2] {
        [
            cell_center(spec.view[0], i, spec.width),
            cell_center(spec.view[1], j, spec.height),
        ]
    }

    /// How many starts reached each minimum, in the minima's order.
    pub fn counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.minima.len()];
        for &label in &self.labels {
            if let Ok(i) = usize::try_from(label) {
                counts[i] += 1;
            }
        }
        counts
    }

    /// For each minimum, the minima whose basins touch its basin in the map (sideways or at
    /// a corner), in increasing order.
    pub fn touching(&self) -> Vec<Vec<usize>> {
        touching_basins(self.width, self.height, &self.labels, self.minima.len())
    }
}

/// For each of `count` minima, the minima whose basins touch its basin in a map of labels
/// `width` starts across (see [`BasinMap::labels`]), sideways or at a corner, in increasing
/// order. Diverged starts and starts that reached no minimum touch nothing.
pub fn touching_basins(
    width: usize,
    height: usize,
    labels: &[i32],
    count: usize,
) -> Vec<Vec<usize>> {
    let mut touching = vec![Vec::new(); count];
    let label = |i: usize, j: usize| usize::try_from(labels[j * width + i]).ok();
    for j in 0..height {
        for i in 0..width {
            let Some(a) = label(i, j) else { continue };
            // Right, and the three cells of the row above: each pair of cells once.
            let next = [
                (i + 1, j),
                (i.wrapping_sub(1), j + 1),
                (i, j + 1),
                (i + 1, j + 1),
            ];
            for (ni, nj) in next {
                if ni >= width || nj >= height {
                    continue;
                }
                match label(ni, nj) {
                    Some(b) if b != a && a < count && b < count => {
                        touching[a].push(b);
                        touching[b].push(a);
                    }
                    _ => {}
                }
            }
        }
    }
    for list in &mut touching {
        list.sort_unstable();
        list.dedup();
    }
    touching
}

/// The minima a basin map labels by: the function's known minima, else the minima
/// `descent critical` finds in the view, in its order.
pub fn minima_for(objective: &dyn Objective, view: &[Interval]) -> Vec<Vec<f64>> {
    let known = &objective.info().minima;
    if !known.is_empty() {
        return known.clone();
    }
    critical::find(objective, view, &AtomicBool::new(false))
        .into_iter()
        .filter(|p| p.kind == CriticalKind::Minimum)
        .map(|p| p.point)
        .collect()
}

/// The minima a basin map labels by: the function's known minima first, in their order,
/// then the other minima `descent critical` finds in the view, in its order. A preset may
/// list only its global minimum (rastrigin); the starts that settle in its local minima
/// are labelled too, not left as reaching none.
pub fn basin_minima(objective: &dyn Objective, view: &[Interval]) -> Vec<Vec<f64>> {
    let mut minima = objective.info().minima.clone();
    if minima.is_empty() || view.len() < 2 {
        return minima_for(objective, view);
    }
    let radius = capture_radius(&[view[0], view[1]]);
    let found = critical::find(objective, view, &AtomicBool::new(false));
    for p in found
        .into_iter()
        .filter(|p| p.kind == CriticalKind::Minimum)
    {
        if label_of(&p.point, &minima, radius) == NOWHERE {
            // A coordinate within rounding of 0 is 0 (-4e-39 reads as noise in a legend).
            let scale = view[0].width().max(view[1].width());
            let point = p
                .point
                .iter()
                .map(|&v| if v.abs() < 1e-12 * scale { 0.0 } else { v })
                .collect();
            minima.push(point);
        }
    }
    minima
}

/// The label of a last iterate: the nearest minimum within `radius`, else [`NOWHERE`].
pub fn label_of(point: &[f64], minima: &[Vec<f64>], radius: f64) -> i32 {
    let mut best = (NOWHERE, radius);
    for (i, m) in minima.iter().enumerate() {
        let d = m
            .iter()
            .zip(point)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        if d <= best.1 {
            best = (i32::try_from(i).unwrap_or(i32::MAX), d);
        }
    }
    best.0
}

/// The radius within which a last iterate counts as at a minimum: 1% of the view's diagonal.
pub fn capture_radius(view: &[Interval; 2]) -> f64 {
    0.01 * view[0].width().hypot(view[1].width())
}

/// The basin map of `spec` on a function of two variables; rows are split across cores.
/// `None` if `cancel` was set before it finished.
pub fn basins(
    objective: &dyn Objective,
    spec: &BasinSpec,
    minima: &[Vec<f64>],
    cancel: &AtomicBool,
) -> Option<BasinMap> {
    let cells = basin_rows(objective, spec, minima, 0..spec.height, cancel)?;
    let (labels, endings) = cells.into_iter().unzip();
    Some(BasinMap {
        width: spec.width,
        height: spec.height,
        minima: minima.to_vec(),
        labels,
        endings,
    })
}

/// Rows `rows` (from the bottom) of the basin map of `spec`, each start's label and ending,
/// row by row: the same cells [`basins`] gives, for writing a large map a band at a time.
/// `None` if `cancel` was set before it finished.
pub fn basin_rows(
    objective: &dyn Objective,
    spec: &BasinSpec,
    minima: &[Vec<f64>],
    rows: std::ops::Range<usize>,
    cancel: &AtomicBool,
) -> Option<Vec<(i32, Ending)>> {
    let radius = capture_radius(&spec.view);
    let label = |ending: &Ending, point: &[f64]| match ending.stop {
        StopReason::Diverged | StopReason::LeftDomain => DIVERGED,
        _ => label_of(point, minima, radius),
    };
    let rows: Vec<Option<Vec<(i32, Ending)>>> = rows
        .into_par_iter()
        .map_init(
            || (Descender::new(2), Vec::new(), Vec::new()),
            |(descender, starts, landings), j| {
                if cancel.load(Ordering::Relaxed) {
                    return None;
                }
                starts.clear();
                starts.extend((0..spec.width).map(|i| BasinMap::start(spec, i, j)));
                landings.resize(spec.width, Landing::default());
                // Many starts at once where the function can, else one at a time.
                let descents = Descents {
                    config: &spec.optimizer,
                    iters: spec.iters,
                    tol: spec.tol,
                    starts,
                    rates: None,
                };
                let row = if objective.descend_many(&descents, landings) {
                    landings
                        .iter()
                        .map(|l| (label(&l.ending, &l.point), l.ending))
                        .collect()
                } else {
                    starts
                        .iter()
                        .map(|start| {
                            let ending = descender.descend(
                                objective,
                                &spec.optimizer,
                                start,
                                spec.iters,
                                spec.tol,
                            );
                            (label(&ending, descender.point()), ending)
                        })
                        .collect()
                };
                Some(row)
            },
        )
        .collect();
    let mut cells = Vec::with_capacity(rows.iter().map(|r| r.as_ref().map_or(0, Vec::len)).sum());
    for row in rows {
        cells.extend(row?);
    }
    Some(cells)
}

/// `count` learning rates spaced evenly in log scale from `lo` to `hi` (both included).
pub fn log_space(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    match count {
        0 => Vec::new(),
        1 => vec![lo],
        _ => (0..count)
            .map(|i| match i {
                0 => lo,
                _ if i == count - 1 => hi,
                _ => {
                    let t = i as f64 / (count - 1) as f64;
                    (lo.ln() + t * (hi.ln() - lo.ln())).exp()
                }
            })
            .collect(),
    }
}

/// One row of a learning-rate sweep.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SweepRow {
    /// The learning rate.
    pub lr: f64,
    /// How the run ended.
    pub ending: Ending,
}

/// How `config` ends from `start` with each of `lrs`, on this thread: many rates at once in
/// SIMD lanes where the function can, else one after another with `descender`.
fn with_rates(
    objective: &dyn Objective,
    config: &OptimizerConfig,
    start: &[f64],
    lrs: &[f64],
    (iters, tol): (u32, f64),
    descender: &mut Descender,
) -> Vec<Ending> {
    if let &[x, y] = start {
        let starts = vec![[x, y]; lrs.len()];
        let mut out = vec![Landing::default(); lrs.len()];
        let descents = Descents {
            config,
            iters,
            tol,
            starts: &starts,
            rates: Some(lrs),
        };
        if objective.descend_many(&descents, &mut out) {
            return out.iter().map(|landing| landing.ending).collect();
        }
    }
    lrs.iter()
        .map(|&lr| {
            let config = OptimizerConfig { lr, ..*config };
            descender.descend(objective, &config, start, iters, tol)
        })
        .collect()
}

/// Runs `config` from `start` with each of `lrs`, split across cores (many rates at once in
/// SIMD lanes where the function can).
pub fn sweep(
    objective: &dyn Objective,
    config: &OptimizerConfig,
    start: &[f64],
    lrs: &[f64],
    iters: u32,
    tol: f64,
) -> Vec<SweepRow> {
    // Two blocks of lanes per task: enough tasks for both cores, few enough to be cheap.
    let endings: Vec<Vec<Ending>> = lrs
        .par_chunks(2 * LANES)
        .map_init(
            || Descender::new(start.len()),
            |descender, rates| with_rates(objective, config, start, rates, (iters, tol), descender),
        )
        .collect();
    lrs.iter()
        .zip(endings.concat())
        .map(|(&lr, ending)| SweepRow { lr, ending })
        .collect()
}

/// Whether a sweep's run blew up: it diverged, left the domain, or ended higher than it
/// started.
pub fn blew_up(row: &SweepRow, start_value: f64) -> bool {
    matches!(
        row.ending.stop,
        StopReason::Diverged | StopReason::LeftDomain
    ) || row.ending.value > start_value
}

/// Where a sweep (rates ascending) starts to blow up: the largest rate below the first that
/// blew up, and that one. The divergence threshold lies between them.
pub fn divergence_threshold(rows: &[SweepRow], start_value: f64) -> Option<(f64, f64)> {
    let first = rows.iter().position(|r| blew_up(r, start_value))?;
    let below = rows[..first].last()?;
    Some((below.lr, rows[first].lr))
}

/// A map of two hyperparameters: the learning rate (columns, `lrs`) against another one
/// (rows, `values` of the hyperparameter with command-line flag `flag`, e.g. `momentum`),
/// one run from `start` per cell, rows split across cores. Row-major from the first value.
#[allow(clippy::too_many_arguments)]
pub fn hyper_map(
    objective: &dyn Objective,
    config: &OptimizerConfig,
    start: &[f64],
    lrs: &[f64],
    flag: &str,
    values: &[f64],
    iters: u32,
    tol: f64,
) -> Vec<Ending> {
    let rows: Vec<Vec<Ending>> = values
        .par_iter()
        .map_init(
            || Descender::new(start.len()),
            |descender, &value| {
                let mut config = *config;
                config.set(flag, value);
                with_rates(objective, &config, start, lrs, (iters, tol), descender)
            },
        )
        .collect();
    rows.concat()
}

/// The hyperparameter a map sets against the learning rate: momentum for momentum and
/// Nesterov, beta1 for the Adam family, alpha for RMSProp, rho for Adadelta.
pub fn second_hyperparameter(kind: super::OptimizerKind) -> Option<&'static str> {
    use super::OptimizerKind as K;
    match kind {
        K::Momentum | K::Nesterov => Some("momentum"),
        K::Adam | K::AdamW | K::Adamax | K::NAdam | K::RAdam => Some("beta1"),
        K::Rmsprop => Some("alpha"),
        K::Adadelta => Some("rho"),
        K::Gd | K::Adagrad | K::Newton | K::LineSearch => None,
    }
}
