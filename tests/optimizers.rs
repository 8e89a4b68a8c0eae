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

/// A weight decay so large that Adam's second moment overflows: its steps would be 0 and the
/// run would idle to its last iteration; it stops as diverged where the moment overflowed.
#[test]
fn an_optimizer_whose_moments_overflow_has_diverged() {
    for kind in [
        OptimizerKind::Adam,
        OptimizerKind::Rmsprop,
        OptimizerKind::Adagrad,
    ] {
        let mut optimizer = OptimizerConfig::new(kind, 0.1);
        assert!(optimizer.set("weight-decay", 1e200), "{kind:?}");
        let spec = RunSpec {
            optimizer,
            start: vec![0.0, 0.0],
            max_iters: 50,
            tol: 0.0,
        };
        let mut run = Run::new(preset("bowl", None).unwrap(), spec).unwrap();
        assert_eq!(run.finish_all(), StopReason::Diverged, "{kind:?}");
        assert!(run.iterations() < 5, "{kind:?}: {}", run.iterations());
    }
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
fn newton_solves_a_badly_scaled_quadratic_whose_hessian_is_regular() {
    use descent::engine::optimizer::newton_direction;
    // diag(2e16, 2): its pivots look singular against the largest entry, yet it is regular.
    for k in [1e16, 1e100, 1e300] {
        let h = nalgebra::DMatrix::from_row_slice(2, 2, &[2.0 * k, 0.0, 0.0, 2.0]);
        let d = newton_direction(h, &[2.0 * k, 2.0]).expect("regular");
        assert_eq!((d[0], d[1]), (1.0, 1.0), "{k}");
    }
    // A singular one stays singular however scaled.
    let h = nalgebra::DMatrix::from_row_slice(2, 2, &[2.0, 2.0, 2.0, 2.0]);
    assert!(newton_direction(h, &[1.0, 1.0]).is_none());
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

/// The first iterates of `config` from (1, 1) on the ravine, `n` of them.
fn steps_of(config: OptimizerConfig, n: u64) -> Vec<Vec<f64>> {
    first_steps(config, n)
}

// The expected iterates below come from the algorithms as torch.optim's documentation
// writes them, worked by hand for the first step and by an independent scalar script for
// the later ones (the same f = 0.5 (x^2 + 25 y^2) from (1, 1), eps = 1e-300 where noted).

#[test]
fn adamw_decays_the_weights_apart_from_the_gradient() {
    // t=1: p <- p (1 - lr wd) = 0.999; m^ = g, v^ = g^2, so the step is lr in both:
    // p1 = 0.999 - 0.1 = 0.899.
    let steps = steps_of(exact(OptimizerKind::AdamW, 0.1), 2);
    assert_steps(
        &steps,
        &[[0.899, 0.899], [0.7985190261482645, 0.7985190261482645]],
    );
    // Adam's weight decay is L2 instead: g + wd p joins the moments. With wd = 0.01 the
    // first step is still lr per coordinate (m^ / sqrt(v^) = sign g), from p = 1: 0.9.
    let l2 = OptimizerConfig {
        weight_decay: Some(0.01),
        ..exact(OptimizerKind::Adam, 0.1)
    };
    assert_steps(&steps_of(l2, 1), &[[0.9, 0.9]]);
}

#[test]
fn amsgrad_keeps_the_largest_second_moment() {
    // beta2 = 0.5 so that v shrinks at step 2: v1 = 0.5 g0^2 = (0.5, 312.5), and after the
    // first step (lr 0.5 per coordinate, to (0.5, 0.5)) v2 = 0.25 g0^2 + 0.5 g1^2 = (0.375,
    // 234.375) < v1. AMSGrad divides by v1 instead, so it steps less far than Adam.
    let config = |amsgrad| OptimizerConfig {
        beta2: 0.5,
        amsgrad,
        ..exact(OptimizerKind::Adam, 0.5)
    };
    assert_steps(
        &steps_of(config(true), 3),
        &[
            [0.5, 0.5],
            [0.048778205276783004, 0.048778205276783004],
            [-0.27065921654091174, -0.2706592165409118],
        ],
    );
    assert_steps(
        &steps_of(config(false), 3),
        &[
            [0.5, 0.5],
            [-0.02102604929535079, -0.02102604929535079],
            [-0.5145524969797818, -0.5145524969797819],
        ],
    );
}

#[test]
fn adamax_divides_by_the_infinity_norm() {
    // t=1: m = 0.1 g, u = |g|, p1 = p - lr m / ((1 - 0.9) u) = p - 0.1 = (0.9, 0.9).
    assert_steps(
        &steps_of(exact(OptimizerKind::Adamax, 0.1), 2),
        &[[0.9, 0.9], [0.8051683262209578, 0.8051683262209578]],
    );
}

#[test]
fn nadam_uses_the_next_momentum_coefficient() {
    // t=1: mu1 = 0.9 (1 - 0.96^0.004 / 2), mu2 = 0.9 (1 - 0.96^0.008 / 2); m = 0.1 g, v^ = g^2,
    // m^ = mu2 m / (1 - mu1 mu2) + (1 - mu1) g / (1 - mu1), a multiple of g: the step is
    // lr (0.1 mu2 / (1 - mu1 mu2) + 1) in both coordinates.
    let mu = |t: f64| 0.9 * (1.0 - 0.5 * 0.96f64.powf(t * 0.004));
    let (mu1, mu2) = (mu(1.0), mu(2.0));
    let step = 0.1 * (0.1 * mu2 / (1.0 - mu1 * mu2) + 1.0);
    assert!((1.0 - step - 0.8943548221644612).abs() < 1e-15);
    assert_steps(
        &steps_of(exact(OptimizerKind::NAdam, 0.1), 2),
        &[
            [0.8943548221644612, 0.8943548221644612],
            [0.8199730697342635, 0.8199730697342635],
        ],
    );
}

#[test]
fn radam_steps_without_the_adaptive_rate_until_its_variance_is_tractable() {
    // rho_inf = 2 / (1 - 0.999) - 1 = 1999; rho_1 = 1999 - 2 * 0.999 / 0.001 = 1 <= 5, so
    // p1 = p - lr m^ = p - 0.1 g = (0.9, -1.5). rho_t first exceeds 5 at t = 6.
    assert_steps(
        &steps_of(exact(OptimizerKind::RAdam, 0.1), 7),
        &[
            [0.9, -1.5],
            [0.8052631578947369, -0.7105263157894737],
            [0.7157700524373665, 0.4430957467469414],
            [0.6314866300895146, 0.9391541485087798],
            [0.552364195101898, 0.740737745495695],
            [0.5499209788156378, 0.7401363512077521],
            [0.5468629523254595, 0.73899724095169],
        ],
    );
}

#[test]
fn adadelta_scales_by_the_ratio_of_accumulated_updates_to_gradients() {
    // t=1 (lr 1, rho 0.9, eps 1e-6): v = 0.1 g^2, d = sqrt(1e-6) / sqrt(v + 1e-6) g, so
    // x1 = 1 - 1e-3 / sqrt(0.100001) and y1 = 1 - 25e-3 / sqrt(62.500001).
    let x1 = 1.0 - 1e-3 / 0.100001f64.sqrt();
    let y1 = 1.0 - 25e-3 / 62.500001f64.sqrt();
    let steps = steps_of(OptimizerConfig::new(OptimizerKind::Adadelta, 1.0), 2);
    assert_steps(
        &steps,
        &[[x1, y1], [0.9935981984076517, 0.9935981660203655]],
    );
}

#[test]
fn weight_decay_joins_the_gradient_of_gd() {
    // g + 0.1 p = (1.1, 25.1): p1 = (1 - 0.011, 1 - 0.251).
    let config = OptimizerConfig {
        weight_decay: Some(0.1),
        ..OptimizerConfig::new(OptimizerKind::Gd, 0.01)
    };
    assert_steps(&steps_of(config, 1), &[[0.989, 0.749]]);
}

#[test]
fn every_optimizer_lists_the_hyperparameters_it_reads() {
    for kind in OptimizerKind::ALL {
        let config = OptimizerConfig::new(kind, 0.1);
        for h in kind.hyperparameters() {
            assert_eq!(config.get(h.flag), Some(h.default), "{kind:?} {}", h.flag);
            let mut changed = config;
            assert!(changed.set(h.flag, h.range.1));
            assert_eq!(changed.get(h.flag), Some(h.range.1));
        }
        assert_eq!(OptimizerKind::from_name(kind.name()).unwrap(), kind);
    }
}

#[test]
fn gradient_noise_is_seeded_and_centered() {
    use descent::engine::GradientNoise;
    let noisy = |seed| OptimizerConfig {
        noise: Some(GradientNoise { sigma: 0.5, seed }),
        ..OptimizerConfig::new(OptimizerKind::Gd, 0.01)
    };
    let a = run_on("bowl", noisy(7), &[1.0, 1.0], 2000);
    let b = run_on("bowl", noisy(7), &[1.0, 1.0], 2000);
    let c = run_on("bowl", noisy(8), &[1.0, 1.0], 2000);
    assert_eq!(a, b, "the same seed gives the same path");
    assert_ne!(a, c);
    let clean = run_on(
        "bowl",
        OptimizerConfig::new(OptimizerKind::Gd, 0.01),
        &[1.0, 1.0],
        2000,
    );
    assert_ne!(a, clean);
    // It wanders around the minimum (1, 2) rather than settling: the mean of the last 1000
    // iterates' x is near 1, their spread is not near 0.
    let tail = &a[1000..];
    let mean = tail.iter().map(|p| p[0]).sum::<f64>() / tail.len() as f64 - 1.0;
    let spread =
        (tail.iter().map(|p| (p[0] - mean).powi(2)).sum::<f64>() / tail.len() as f64).sqrt();
    assert!(mean.abs() < 0.1, "{mean}");
    assert!(spread > 0.01, "{spread}");
}

#[test]
fn schedules_follow_pytorchs_formulas_for_a_thousand_steps() {
    use descent::engine::{FunctionSpec, Schedule, ScheduleKind};
    use std::f64::consts::PI;
    let base = 0.5;
    type Formula = Box<dyn Fn(u64) -> f64>;
    let cases: Vec<(Schedule, Formula)> = vec![
        (Schedule::default(), Box::new(move |_| base)),
        (
            Schedule {
                kind: ScheduleKind::Step,
                step_size: 7,
                gamma: Some(0.5),
                ..Schedule::default()
            },
            Box::new(move |k| base * 0.5f64.powi((k / 7) as i32)),
        ),
        (
            Schedule {
                kind: ScheduleKind::Exponential,
                gamma: Some(0.99),
                ..Schedule::default()
            },
            Box::new(move |k| base * 0.99f64.powi(k as i32)),
        ),
        (
            Schedule {
                kind: ScheduleKind::Cosine,
                t_max: 250,
                eta_min: 0.01,
                ..Schedule::default()
            },
            Box::new(move |k| 0.01 + (base - 0.01) * (1.0 + (PI * k as f64 / 250.0).cos()) / 2.0),
        ),
        (
            Schedule {
                kind: ScheduleKind::Cosine,
                t_max: 100,
                warmup: 20,
                ..Schedule::default()
            },
            Box::new(move |k| {
                base * (1.0 + (PI * k as f64 / 100.0).cos()) / 2.0
                    * ((k + 1) as f64 / 20.0).min(1.0)
            }),
        ),
    ];
    // On f = x + y every gradient is (1, 1), so gradient descent moves x by exactly the
    // step's learning rate: the run's iterates show the rates it used.
    let plane = FunctionSpec::from_options("x + y", None, None, false)
        .unwrap()
        .build()
        .unwrap()
        .objective;
    for (schedule, formula) in cases {
        for k in 0..1000 {
            let (got, want) = (schedule.lr(base, k), formula(k));
            assert!(
                (got - want).abs() <= 1e-15 * want.abs().max(1e-300),
                "{schedule:?} step {k}: {got} vs {want}"
            );
        }
        let config = OptimizerConfig {
            schedule,
            ..OptimizerConfig::new(OptimizerKind::Gd, base)
        };
        let mut run = Run::new(
            plane.clone(),
            RunSpec {
                optimizer: config,
                start: vec![0.0, 0.0],
                max_iters: 1000,
                tol: 0.0,
            },
        )
        .unwrap();
        run.finish_all();
        let xs: Vec<f64> = run.path().points().map(|p| p[0]).collect();
        for k in 0..1000 {
            let moved = xs[k] - xs[k + 1];
            assert!(
                (moved - formula(k as u64)).abs() <= 1e-12 * (1.0 + xs[k + 1].abs()),
                "{schedule:?} step {k}: moved {moved}"
            );
            assert_eq!(run.lr_at(k as u64), schedule.lr(base, k as u64));
        }
    }
}

#[test]
fn runs_count_their_evaluations() {
    // Gradient descent: one value and one gradient per iterate.
    let mut run = Run::new(
        preset("ravine", None).unwrap(),
        RunSpec {
            optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.01),
            start: vec![1.0, 1.0],
            max_iters: 10,
            tol: 0.0,
        },
    )
    .unwrap();
    run.finish_all();
    let e = run.evaluations();
    assert_eq!((e.values, e.gradients, e.hessians), (11, 11, 0));
    // Newton: a Hessian per step as well.
    let mut run = Run::new(
        preset("rosenbrock", None).unwrap(),
        RunSpec {
            optimizer: OptimizerConfig::new(OptimizerKind::Newton, 1.0),
            start: vec![-1.5, 2.0],
            max_iters: 3,
            tol: 0.0,
        },
    )
    .unwrap();
    run.finish_all();
    assert_eq!(run.evaluations().hessians, 3);
    // The line search counts each trial point: from (1, 1) on the ravine with lr 1, the
    // trial steps 1, 1/2, 1/4, ... are tried until Armijo holds.
    let mut run = Run::new(
        preset("ravine", None).unwrap(),
        RunSpec {
            optimizer: OptimizerConfig::new(OptimizerKind::LineSearch, 1.0),
            start: vec![1.0, 1.0],
            max_iters: 1,
            tol: 0.0,
        },
    )
    .unwrap();
    run.finish_all();
    let accepted = run.optimizer_state().last_step;
    let trials = (1.0 / accepted).log2().round() as u64 + 1;
    assert!(trials > 1);
    let e = run.evaluations();
    assert_eq!((e.values, e.gradients), (2 + trials, 2));
}
