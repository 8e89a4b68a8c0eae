//! Each optimizer's first steps on the quadratic ravine f = 0.5 (x^2 + 25 y^2), whose
//! gradient is (x, 25 y), against values worked out by hand; and the stop reasons.

use descent::engine::optimizer::OptimizerConfig;
use descent::engine::{OptimizerKind, Run, RunSpec, StopReason, preset};

/// The first `n` iterates after the start, from (1, 1) on the ravine.
fn first_steps(config: OptimizerConfig, n: u64) -> Vec<Vec<f64>> {
    run_on("ravine", config, &[1.0, 1.0], n)
}

fn run_on(function: &str, config: OptimizerConfig, start: &[f64], n: u64) -> Vec<Vec<f64>> {
    let spec = RunSpec {
        optimizer: config,
        start: start.to_vec(),
        max_iters: n,
        tol: 0.0,
    };
    let mut run = Run::new(preset(function, None).unwrap(), spec).unwrap();
    run.finish_all();
    run.path().points().skip(1).map(<[f64]>::to_vec).collect()
}

fn assert_steps(actual: &[Vec<f64>], expected: &[[f64; 2]]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?}");
    for (a, e) in actual.iter().zip(expected) {
        for (ai, ei) in a.iter().zip(e) {
            assert!(
                (ai - ei).abs() < 1e-12,
                "got {actual:?}, expected {expected:?}"
            );
        }
    }
}

/// The config with a negligible epsilon, so the hand values need not carry it.
fn exact(kind: OptimizerKind, lr: f64) -> OptimizerConfig {
    OptimizerConfig {
        eps: Some(1e-300),
        ..OptimizerConfig::new(kind, lr)
    }
}

#[test]
fn gd_steps_against_the_gradient() {
    // g0 = (1, 25): p1 = (0.99, 0.75); g1 = (0.99, 18.75): p2 = (0.9801, 0.5625).
    let steps = first_steps(OptimizerConfig::new(OptimizerKind::Gd, 0.01), 2);
    assert_steps(&steps, &[[0.99, 0.75], [0.9801, 0.5625]]);
}

#[test]
fn momentum_accumulates_its_buffer() {
    // t=1: b = g = (1, 25), p1 = (0.99, 0.75).
    // t=2: g = (0.99, 18.75), b = 0.9 (1, 25) + g = (1.89, 41.25), p2 = (0.9711, 0.3375).
    let steps = first_steps(OptimizerConfig::new(OptimizerKind::Momentum, 0.01), 2);
    assert_steps(&steps, &[[0.99, 0.75], [0.9711, 0.3375]]);
}

#[test]
fn nesterov_looks_ahead() {
    // t=1: b = (1, 25), p1 = p - 0.01 (g + 0.9 b) = (0.981, 0.525).
    // t=2: g = (0.981, 13.125), b = (1.881, 35.625), g + 0.9 b = (2.6739, 45.1875),
    //      p2 = (0.954261, 0.073125).
    let steps = first_steps(OptimizerConfig::new(OptimizerKind::Nesterov, 0.01), 2);
    assert_steps(&steps, &[[0.981, 0.525], [0.954261, 0.073125]]);
}

#[test]
fn adagrad_divides_by_the_root_of_summed_squares() {
    // t=1: s = (1, 625), p1 = (0.9, 0.9).
    // t=2: g = (0.9, 22.5), s = (1.81, 1131.25), step = 0.1 * 0.9 / sqrt(1.81) in both.
    let step2 = 0.1 * 0.9 / 1.81_f64.sqrt();
    let steps = first_steps(exact(OptimizerKind::Adagrad, 0.1), 2);
    assert_steps(&steps, &[[0.9, 0.9], [0.9 - step2, 0.9 - step2]]);
    assert!((step2 - 0.06689647316224497).abs() < 1e-15);
}

#[test]
fn rmsprop_keeps_a_moving_average_of_squares() {
    // t=1: v = 0.01 g^2 = (0.01, 6.25), p1 = p - 0.01 g / sqrt(v) = (0.9, 0.9).
    // t=2: g = (0.9, 22.5), v = (0.018, 11.25), step = 0.01 * 0.9 / sqrt(0.018) = 0.0670820...
    let steps = first_steps(exact(OptimizerKind::Rmsprop, 0.01), 2);
    let p2 = 0.8329179606750063;
    assert_steps(&steps, &[[0.9, 0.9], [p2, p2]]);
}

#[test]
fn adam_corrects_its_moments_for_bias() {
    // t=1: m^ = g, v^ = g^2, so p1 = p - 0.1 sign(g) = (0.9, 0.9).
    // t=2: g = (0.9, 22.5); m = (0.18, 4.5), m^ = m / 0.19; v = (0.001809, 1.130625),
    //      v^ = v / 0.001999; step = 0.1 m^ / sqrt(v^) = 0.0995877723... in both.
    let steps = first_steps(exact(OptimizerKind::Adam, 0.1), 2);
    let p2 = 0.8004122276712476;
    assert_steps(&steps, &[[0.9, 0.9], [p2, p2]]);
}

#[test]
fn adam_and_rmsprop_and_adagrad_use_their_default_eps() {
    // With eps 1e-8, RMSProp's first step is 0.01 * 1 / (0.1 + 1e-8), not 0.1.
    let steps = first_steps(OptimizerConfig::new(OptimizerKind::Rmsprop, 0.01), 1);
    assert!((steps[0][0] - (1.0 - 0.01 / (0.1 + 1e-8))).abs() < 1e-15);
    let steps = first_steps(OptimizerConfig::new(OptimizerKind::Adagrad, 0.1), 1);
    assert!((steps[0][0] - (1.0 - 0.1 / (1.0 + 1e-10))).abs() < 1e-15);
    let steps = first_steps(OptimizerConfig::new(OptimizerKind::Adam, 0.1), 1);
    assert!((steps[0][0] - (1.0 - 0.1 / (1.0 + 1e-8))).abs() < 1e-15);
}

#[test]
fn newton_solves_a_quadratic_in_one_full_step() {
    let steps = first_steps(OptimizerConfig::new(OptimizerKind::Newton, 1.0), 1);
    assert_steps(&steps, &[[0.0, 0.0]]);
    // A damped step goes lr of the way: H = diag(1, 25), d = (1, 1).
    let steps = first_steps(OptimizerConfig::new(OptimizerKind::Newton, 0.5), 2);
    assert_steps(&steps, &[[0.5, 0.5], [0.25, 0.25]]);
}

#[test]
fn line_search_halves_until_armijo_holds() {
    // f(1,1) = 13, |g|^2 = 626. s = 1, 0.5, 0.25, 0.125 overshoot (f = 7200, 1653.25, 344.8,
    // 56.8); s = 0.0625 gives (0.9375, -0.5625) with f = 4.39 <= 13 - 1e-4 * 0.0625 * 626.
    let steps = first_steps(OptimizerConfig::new(OptimizerKind::LineSearch, 1.0), 1);
    assert_steps(&steps, &[[0.9375, -0.5625]]);
}

#[test]
fn line_search_never_leaves_the_domain() {
    // From 0.02 plain GD jumps out of x > 0; the line search shortens the step instead.
    let steps = run_on(
        "exp-log",
        OptimizerConfig::new(OptimizerKind::LineSearch, 1.0),
        &[0.02],
        30,
    );
    assert_eq!(steps.len(), 30);
    assert!(steps.iter().all(|p| p[0] > 0.0));
    assert!((steps[29][0] - 0.5671432904097838).abs() < 1e-6);
}

#[test]
fn clipping_bounds_each_component_before_the_optimizer() {
    // Bowl at (0, 0): g = (-2, -4), clipped to (-1, -1); gd lr 0.1 gives (0.1, 0.1).
    let config = OptimizerConfig {
        clip: Some(1.0),
        ..OptimizerConfig::new(OptimizerKind::Gd, 0.1)
    };
    let steps = run_on("bowl", config, &[0.0, 0.0], 1);
    assert_steps(&steps, &[[0.1, 0.1]]);
}

#[test]
fn state_resets_at_each_start() {
    // Adam's moments and step count carry from step to step; a restarted run starts over.
    let spec = RunSpec {
        optimizer: OptimizerConfig::new(OptimizerKind::Adam, 0.1),
        start: vec![1.0, 1.0],
        max_iters: 5,
        tol: 0.0,
    };
    let mut run = Run::new(preset("rosenbrock", None).unwrap(), spec).unwrap();
    run.finish_all();
    assert_eq!(run.optimizer_state().t, 5);
    let mut again = run.restarted(usize::MAX).unwrap();
    assert_eq!(again.optimizer_state().t, 0);
    assert_eq!(again.iterations(), 0);
    again.finish_all();
    assert_eq!(again.path(), run.path());
}

/// f(x) = x^2 with a gradient of the wrong sign: every step along -g goes uphill, so no
/// halving satisfies Armijo's test (a stand-in for a gradient that rounding has made useless).
#[derive(Debug)]
struct Misleading(descent::engine::ObjectiveInfo);

impl descent::engine::Objective for Misleading {
    fn info(&self) -> &descent::engine::ObjectiveInfo {
        &self.0
    }
    fn in_domain(&self, _p: &[f64]) -> bool {
        true
    }
    fn value(&self, p: &[f64]) -> f64 {
        p[0] * p[0]
    }
    fn value_and_gradient(&self, p: &[f64], gradient: &mut [f64]) -> f64 {
        gradient[0] = -2.0 * p[0];
        p[0] * p[0]
    }
    fn second_order(&self, p: &[f64]) -> descent::engine::SecondOrder {
        descent::engine::SecondOrder {
            value: p[0] * p[0],
            gradient: vec![-2.0 * p[0]],
            hessian: nalgebra::DMatrix::from_element(1, 1, 2.0),
        }
    }
}

#[test]
fn a_line_search_that_finds_no_decrease_stops_instead_of_stepping_uphill() {
    let info = descent::engine::ObjectiveInfo {
        name: "misleading".to_string(),
        formula: "x^2".to_string(),
        param_names: vec!["x".to_string()],
        view: vec![descent::engine::Interval::new(-1.0, 1.0)],
        minima: vec![],
        default_start: vec![1.0],
        domain: "all real numbers".to_string(),
    };
    let spec = RunSpec {
        optimizer: OptimizerConfig::new(OptimizerKind::LineSearch, 1.0),
        start: vec![1.0],
        max_iters: 10,
        tol: 0.0,
    };
    let mut run = Run::new(std::sync::Arc::new(Misleading(info)), spec).unwrap();
    let before = run.path().last_value();
    let reason = run.finish_all();
    assert!(
        run.path().values().iter().all(|v| *v <= before),
        "never uphill"
    );
    assert_eq!(
        reason,
        StopReason::LineSearchFailed,
        "{:?}",
        run.path().last_point()
    );
    assert_eq!(StopReason::LineSearchFailed.name(), "line-search-failed");
}

fn stopped(function: &str, config: OptimizerConfig, start: &[f64], n: u64, tol: f64) -> Run {
    let spec = RunSpec {
        optimizer: config,
        start: start.to_vec(),
        max_iters: n,
        tol,
    };
    let mut run = Run::new(preset(function, None).unwrap(), spec).unwrap();
    run.finish_all();
    run
}

fn assert_all_finite(run: &Run) {
    let path = run.path();
    assert!(path.points().flatten().all(|v| v.is_finite()));
    assert!(path.values().iter().all(|v| v.is_finite()));
    assert!(path.grad_norms().iter().all(|v| v.is_finite()));
}

#[test]
fn a_too_large_step_diverges_and_keeps_only_finite_iterates() {
    // On the bowl GD multiplies the error by (1 - 2 lr) = -2 each step.
    let run = stopped(
        "bowl",
        OptimizerConfig::new(OptimizerKind::Gd, 1.5),
        &[0.0, 0.0],
        1000,
        0.0,
    );
    assert_eq!(run.stop_reason(), Some(StopReason::Diverged));
    assert!(run.iterations() < 1000);
    assert_all_finite(&run);
    let last = run.path().last_point();
    assert!(last.iter().map(|v| v * v).sum::<f64>().sqrt() <= 1e12);
}

#[test]
fn rosenbrock_overflow_diverges_without_nan() {
    let run = stopped(
        "rosenbrock",
        OptimizerConfig::new(OptimizerKind::Gd, 0.01),
        &[-1.5, 2.0],
        1000,
        0.0,
    );
    assert_eq!(run.stop_reason(), Some(StopReason::Diverged));
    assert_all_finite(&run);
}

#[test]
fn a_step_out_of_the_domain_stops_the_run() {
    let run = stopped(
        "exp-log",
        OptimizerConfig::new(OptimizerKind::Gd, 0.1),
        &[0.02],
        25,
        0.0,
    );
    assert_eq!(run.stop_reason(), Some(StopReason::LeftDomain));
    assert_eq!(run.iterations(), 1);
    assert_all_finite(&run);
}

#[test]
fn newton_stops_on_a_singular_hessian() {
    // The sauna is flat to second order at the origin: H = 0.
    let run = stopped(
        "sauna",
        OptimizerConfig::new(OptimizerKind::Newton, 1.0),
        &[0.0, 0.0],
        10,
        0.0,
    );
    assert_eq!(run.stop_reason(), Some(StopReason::SingularHessian));
    assert_eq!(run.iterations(), 0);
}

#[test]
fn tolerance_stops_a_converging_run_early() {
    let run = stopped(
        "bowl",
        OptimizerConfig::new(OptimizerKind::Gd, 0.1),
        &[0.0, 0.0],
        1000,
        1e-6,
    );
    assert_eq!(run.stop_reason(), Some(StopReason::Converged));
    let k = run.iterations();
    assert!(k < 1000);
    assert!(run.path().grad_norms()[k] < 1e-6);
    assert!(run.path().grad_norms()[k - 1] >= 1e-6);
}

#[test]
fn a_start_at_the_minimum_converges_at_iteration_zero() {
    let run = stopped(
        "bowl",
        OptimizerConfig::new(OptimizerKind::Gd, 0.1),
        &[1.0, 2.0],
        10,
        1e-9,
    );
    assert_eq!(run.stop_reason(), Some(StopReason::Converged));
    assert_eq!(run.iterations(), 0);
}

#[test]
fn without_tolerance_a_run_takes_every_iteration() {
    let run = stopped(
        "bowl",
        OptimizerConfig::new(OptimizerKind::Gd, 0.1),
        &[1.0, 2.0],
        10,
        0.0,
    );
    assert_eq!(run.stop_reason(), Some(StopReason::MaxIterations));
    assert_eq!(run.iterations(), 10);
}

#[test]
fn stepping_one_at_a_time_equals_running_to_the_end() {
    let spec = RunSpec {
        optimizer: OptimizerConfig::new(OptimizerKind::Nesterov, 0.05),
        start: vec![0.5, 3.0],
        max_iters: 200,
        tol: 0.0,
    };
    let objective = preset("three-wells", None).unwrap();
    let mut whole = Run::new(objective.clone(), spec.clone()).unwrap();
    whole.finish_all();
    let mut stepped = Run::new(objective, spec).unwrap();
    let mut n = 0;
    while stepped.step() {
        n += 1;
    }
    assert_eq!(n + 1, stepped.iterations());
    assert_eq!(whole.path(), stepped.path());
    let mut chunks = Run::new(preset("three-wells", None).unwrap(), whole.spec().clone()).unwrap();
    assert_eq!(chunks.step_many(50), 50);
    assert_eq!(chunks.iterations(), 50);
    chunks.step_many(usize::MAX);
    assert_eq!(whole.path(), chunks.path());
}

#[test]
fn stopped_at_names_the_failed_step() {
    let left = stopped(
        "exp-log",
        OptimizerConfig::new(OptimizerKind::Gd, 0.5),
        &[1.6],
        25,
        0.0,
    );
    assert_eq!((left.iterations(), left.stopped_at()), (0, Some(1)));
    let full = stopped(
        "bowl",
        OptimizerConfig::new(OptimizerKind::Gd, 0.1),
        &[0.0, 0.0],
        7,
        0.0,
    );
    assert_eq!((full.iterations(), full.stopped_at()), (7, Some(7)));
}
