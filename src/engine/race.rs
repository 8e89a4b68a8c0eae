//! Races: several optimizers from one start, side by side, each with its own learning rate;
//! a results table; learning rates that suit a function's scale; and a quick tuning sweep.

use std::sync::Arc;

use rayon::prelude::*;

use super::error::EngineError;
use super::objective::{Interval, Objective};
use super::optimizer::{Evaluations, OptimizerConfig, OptimizerKind};
use super::run::{Run, RunSpec, StopReason, norm};

/// What a race runs: one start, one config per lane, the same limits for all.
#[derive(Clone, Debug, PartialEq)]
pub struct RaceSpec {
    /// The start every lane shares.
    pub start: Vec<f64>,
    /// One optimizer (with its learning rate) per lane.
    pub lanes: Vec<OptimizerConfig>,
    /// The most iterations a lane takes.
    pub max_iters: u64,
    /// A lane stops when |grad f| < tol (0: never).
    pub tol: f64,
    /// Equal-budget mode: every lane stops once its cost (see [`cost`]) reaches this.
    pub budget: Option<u64>,
}

/// One lane's result: a row of the results table.
#[derive(Clone, Debug, PartialEq)]
pub struct RaceRow {
    /// The optimizer and its learning rate.
    pub optimizer: OptimizerConfig,
    /// Iterations taken.
    pub iterations: usize,
    /// The iteration where |grad f| first fell below the tolerance, if it did.
    pub reached: Option<usize>,
    /// The last iterate and f there.
    pub final_point: Vec<f64>,
    /// f at the last iterate.
    pub final_value: f64,
    /// Distance from the last iterate to the nearest known minimum, if any is known.
    pub distance: Option<f64>,
    /// Values, gradients and Hessians computed (the line search counts its trial points).
    pub evaluations: Evaluations,
    /// Why the lane stopped (`budget` in the equal-budget mode); `None` while it runs.
    pub stop: Option<StopReason>,
}

impl RaceRow {
    /// The stop reason's name, or `running`.
    pub fn stop_name(&self) -> &'static str {
        self.stop.map_or("running", StopReason::name)
    }
}

/// A run's cost in gradient evaluations for the equal-budget mode: each gradient counts 1,
/// each of the line search's trial values 1, and each Hessian `dim` (what it costs as
/// differences of gradients).
pub fn cost(evaluations: &Evaluations, line_search: bool, dim: usize) -> u64 {
    // A run computes one value with each gradient; only the line search's extra values cost.
    let trials = if line_search {
        evaluations.values.saturating_sub(evaluations.gradients)
    } else {
        0
    };
    evaluations.gradients + trials + evaluations.hessians * dim as u64
}

/// Runs every lane of `spec` on `objective`, in parallel; `minima` are the known minima for
/// the distance column.
pub fn race(
    objective: &Arc<dyn Objective>,
    spec: &RaceSpec,
    minima: &[Vec<f64>],
) -> Result<Vec<RaceRow>, EngineError> {
    let runs: Vec<Run> = spec
        .lanes
        .iter()
        .map(|&optimizer| {
            Run::new(
                objective.clone(),
                RunSpec {
                    optimizer,
                    start: spec.start.clone(),
                    max_iters: spec.max_iters,
                    tol: spec.tol,
                },
            )
            .map(|run| run.with_path_cap(2).with_budget(spec.budget))
        })
        .collect::<Result<_, _>>()?;
    Ok(runs
        .into_par_iter()
        .map(|mut run| {
            run.finish_all();
            row_of(&run, minima)
        })
        .collect())
}

/// The results-table row of a finished (or budget-stopped) run.
pub fn row_of(run: &Run, minima: &[Vec<f64>]) -> RaceRow {
    let path = run.path();
    let last = path.last_point().to_vec();
    let stop = run.stop_reason();
    let distance = minima
        .iter()
        .filter(|m| m.len() == last.len())
        .map(|m| {
            let d: Vec<f64> = m.iter().zip(&last).map(|(a, b)| a - b).collect();
            norm(&d)
        })
        .reduce(f64::min);
    RaceRow {
        optimizer: run.spec().optimizer,
        iterations: run.iterations(),
        reached: (stop == Some(StopReason::Converged)).then(|| run.iterations()),
        final_value: path.last_value(),
        final_point: last,
        distance,
        evaluations: run.evaluations(),
        stop,
    }
}

/// The largest curvature (Hessian eigenvalue) of `objective` over a 5 x 5 grid of the view
/// and at `start`, where finite: the scale that decides gradient descent's stable rates.
fn largest_curvature(objective: &dyn Objective, view: &[Interval], start: &[f64]) -> Option<f64> {
    let mut points = vec![start.to_vec()];
    if view.len() == start.len() && (1..=2).contains(&start.len()) {
        for i in 0..5 {
            for j in 0..5 {
                let at = |r: &Interval, k: usize| r.lo + r.width() * (k as f64 + 0.5) / 5.0;
                let mut p = vec![at(&view[0], i)];
                if view.len() == 2 {
                    p.push(at(&view[1], j));
                } else if j > 0 {
                    continue;
                }
                points.push(p);
            }
        }
    }
    points
        .iter()
        .filter(|p| objective.in_domain(p))
        .filter_map(|p| {
            let hessian = objective.second_order(p).hessian;
            if hessian.iter().any(|h| !h.is_finite()) {
                return None;
            }
            hessian
                .symmetric_eigen()
                .eigenvalues
                .iter()
                .copied()
                .reduce(f64::max)
        })
        .filter(|l| l.is_finite() && *l > 0.0)
        .reduce(f64::max)
}

/// A learning rate for `kind` that suits `objective`'s scale: 1/L for the gradient methods
/// (L the largest curvature in view, half the stability bound 2/L), a hundredth of the
/// view's width for the adaptive methods (whose steps are about lr per coordinate; for
/// RAdam, whose first steps are momentum steps, at most 1/L too), a tenth
/// for AdaGrad (whose steps shrink as 1/sqrt(t)), and 1 for Newton, the line search (its
/// first trial) and Adadelta (PyTorch's default).
pub fn suggested_lr(
    objective: &dyn Objective,
    view: &[Interval],
    start: &[f64],
    kind: OptimizerKind,
) -> f64 {
    let width = view
        .iter()
        .map(Interval::width)
        .filter(|w| w.is_finite() && *w > 0.0)
        .reduce(f64::min)
        .unwrap_or(1.0);
    let lr = match kind {
        OptimizerKind::Gd | OptimizerKind::Momentum | OptimizerKind::Nesterov => {
            let l = largest_curvature(objective, view, start).unwrap_or(1.0);
            let lr = 1.0 / l;
            if kind == OptimizerKind::Gd {
                lr
            } else {
                // With momentum beta the steps grow by about 1 / (1 - beta).
                lr * 0.2
            }
        }
        OptimizerKind::Adagrad => width / 10.0,
        OptimizerKind::Rmsprop
        | OptimizerKind::Adam
        | OptimizerKind::AdamW
        | OptimizerKind::Adamax
        | OptimizerKind::NAdam => width / 100.0,
        // RAdam's first steps, before the variance is rectified, are momentum steps of lr
        // times the gradient: they need GD's bound as well.
        OptimizerKind::RAdam => {
            let l = largest_curvature(objective, view, start).unwrap_or(1.0);
            (width / 100.0).min(1.0 / l)
        }
        OptimizerKind::Adadelta | OptimizerKind::Newton | OptimizerKind::LineSearch => 1.0,
    };
    round_lr(lr)
}

/// `lr` rounded to two significant digits, as a person would type it.
fn round_lr(lr: f64) -> f64 {
    if !(lr.is_finite() && lr > 0.0) {
        return 0.1;
    }
    // Through its decimal text: the double nearest the two digits (5e-10, not 4.99..e-10).
    format!("{lr:.1e}")
        .parse::<f64>()
        .unwrap_or(lr)
        .clamp(1e-300, 1e300)
}

/// The learning rates a tuning sweep tries: 10 per decade from 1e-5 to 10, rounded to two
/// significant digits.
pub fn tuning_rates() -> Vec<f64> {
    (0..=60)
        .map(|i| round_lr(10f64.powf(-5.0 + i as f64 / 10.0)))
        .collect()
}

/// The result of a tuning sweep: the rate chosen and its final value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tuned {
    /// The learning rate with the lowest final value.
    pub lr: f64,
    /// f at the end of the run with that rate.
    pub final_value: f64,
    /// How many rates were tried.
    pub tried: usize,
}

/// Tunes `config`'s learning rate by a sweep over [`tuning_rates`]: the rate whose run ends
/// lowest within `max_iters` iterations, never one that diverged, left the domain or failed.
/// `None` when every rate failed.
pub fn tune_lr(
    objective: &Arc<dyn Objective>,
    config: OptimizerConfig,
    start: &[f64],
    max_iters: u64,
) -> Option<Tuned> {
    let rates = tuning_rates();
    let tried = rates.len();
    rates
        .into_par_iter()
        .filter_map(|lr| {
            let optimizer = OptimizerConfig { lr, ..config };
            let mut run = Run::new(
                objective.clone(),
                RunSpec {
                    optimizer,
                    start: start.to_vec(),
                    max_iters,
                    tol: 0.0,
                },
            )
            .ok()?
            .with_path_cap(2);
            let stop = run.finish_all();
            let ok = matches!(stop, StopReason::MaxIterations | StopReason::Converged);
            let value = run.path().last_value();
            (ok && value.is_finite()).then_some((lr, value))
        })
        .collect::<Vec<_>>()
        .into_iter()
        // The lowest value; among equals (all at the minimum) the smallest rate.
        .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.total_cmp(&b.0)))
        .map(|(lr, final_value)| Tuned {
            lr,
            final_value,
            tried,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_rounded_as_typed() {
        assert_eq!(round_lr(0.123456), 0.12);
        assert_eq!(round_lr(0.0004567), 0.00046);
        assert_eq!(round_lr(f64::NAN), 0.1);
        // A stiff function's rate is not floored at 1e-8, where GD diverges (L = 2e9).
        assert_eq!(round_lr(5e-10), 5e-10);
        assert_eq!(round_lr(1.234e-200), 1.2e-200);
    }

    #[test]
    fn the_line_searchs_trials_cost_and_newtons_hessians_cost_dim() {
        let e = Evaluations {
            values: 30,
            gradients: 10,
            hessians: 0,
        };
        assert_eq!(cost(&e, true, 2), 30);
        assert_eq!(cost(&e, false, 2), 10);
        let newton = Evaluations {
            values: 10,
            gradients: 10,
            hessians: 9,
        };
        assert_eq!(cost(&newton, false, 2), 28);
    }
}
