//! A step looked at closely: the preview of a step is the step the run takes, the update
//! rule's numbers evaluate to what the engine computed, and the local geometry of known
//! quadratics is what it must be.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use descent::engine::explain::{Line, explain};
use descent::engine::expr::{Expr, TypedFunction};
use descent::engine::format;
use descent::engine::inspect::{LocalGeometry, inspect};
use descent::engine::optimizer::{GradientNoise, OptimizerConfig};
use descent::engine::{Objective, OptimizerKind, Run, RunSpec, ScheduleKind, StopReason, preset};

fn finished(objective: Arc<dyn Objective>, config: OptimizerConfig, start: &[f64], n: u64) -> Run {
    let spec = RunSpec {
        optimizer: config,
        start: start.to_vec(),
        max_iters: n,
        tol: 0.0,
    };
    let mut run = Run::new(objective, spec).unwrap();
    run.finish_all();
    run
}

fn formula(text: &str) -> Arc<dyn Objective> {
    Arc::new(TypedFunction::new(Expr::parse(text).unwrap()))
}

/// Every configuration worth explaining: each optimizer plain, and with the extras that add
/// lines (weight decay, clipping, noise, AMSGrad, a schedule).
fn configs() -> Vec<OptimizerConfig> {
    let mut configs = Vec::new();
    for kind in OptimizerKind::ALL {
        let lr = match kind {
            OptimizerKind::Gd | OptimizerKind::Momentum | OptimizerKind::Nesterov => 0.001,
            OptimizerKind::Newton | OptimizerKind::LineSearch | OptimizerKind::Adadelta => 1.0,
            _ => 0.05,
        };
        configs.push(OptimizerConfig::new(kind, lr));
        let mut extras = OptimizerConfig::new(kind, lr);
        extras.weight_decay = Some(0.05);
        extras.clip = Some(20.0);
        extras.amsgrad = kind.reads_amsgrad();
        extras.noise = Some(GradientNoise {
            sigma: 0.5,
            seed: 7,
        });
        extras.schedule.kind = ScheduleKind::Cosine;
        extras.schedule.t_max = 6;
        configs.push(extras);
    }
    configs
}

/// The numbers of a formula line, written exactly, evaluate to its result.
fn check_line_evaluates(line: &Line, context: &str) {
    let Line::Formula(f) = line else { return };
    let text = f.numbers(format::exact);
    let expr = Expr::parse(&text).unwrap_or_else(|e| panic!("{context}: `{text}`: {e:?}"));
    let value: f64 = expr.eval(0.0, 0.0);
    let scale = f
        .operands
        .iter()
        .fold(f.result.abs(), |m, v| m.max(v.abs()))
        .max(1e-300);
    assert!(
        (value - f.result).abs() <= 1e-12 * scale,
        "{context}: `{}` = {value}, but the line says {} ({})",
        text,
        f.result,
        f
    );
}

#[test]
fn every_step_previewed_is_the_step_the_run_takes_and_its_numbers_add_up() {
    let names = vec!["x".to_string(), "y".to_string()];
    for config in configs() {
        let objective = preset("rosenbrock", None).unwrap();
        let run = finished(objective, config, &[-1.2, 1.0], 6);
        let cancel = AtomicBool::new(false);
        let mut formulas = 0;
        for k in 0..run.iterations() {
            let trace = inspect(&run, k, &cancel).unwrap();
            let context = format!("{} {:?}, step {}", config.kind, config, k + 1);
            assert_eq!(trace.k, k);
            assert_eq!(trace.point, run.path().point(k), "{context}");
            assert_eq!(trace.next, run.path().point(k + 1), "{context}");
            assert_eq!(trace.after.t, k as u64 + 1);
            assert_eq!(trace.lr, run.lr_at(k as u64), "{context}");
            assert_eq!(trace.stop, None, "{context}");
            let lines = explain(&trace, &names);
            for line in &lines {
                check_line_evaluates(line, &context);
            }
            // The last formula for each parameter is the new iterate, as the run has it.
            for (i, name) in names.iter().enumerate() {
                let target = format!("{name}_{}", k + 1);
                let last = lines
                    .iter()
                    .rev()
                    .find_map(|l| match l {
                        Line::Formula(f) if f.target == target => Some(f.result),
                        _ => None,
                    })
                    .unwrap_or_else(|| panic!("{context}: no line for {target}: {lines:#?}"));
                assert_eq!(last, run.path().point(k + 1)[i], "{context}");
            }
            formulas += lines
                .iter()
                .filter(|l| matches!(l, Line::Formula(_)))
                .count();
        }
        assert!(formulas >= 12, "{}: only {formulas} lines", config.kind);
    }
}

#[test]
fn adam_shows_its_bias_corrections_and_clipping_shows_where_it_cut() {
    let mut config = OptimizerConfig::new(OptimizerKind::Adam, 0.1);
    config.clip = Some(1.0);
    let run = finished(preset("rosenbrock", None).unwrap(), config, &[-1.2, 1.0], 3);
    let trace = inspect(&run, 2, &AtomicBool::new(false)).unwrap();
    assert!(trace.clipped());
    let text: Vec<String> = explain(&trace, &["x".into(), "y".into()])
        .iter()
        .map(ToString::to_string)
        .collect();
    let joined = text.join("\n");
    assert!(
        joined.contains("1 - beta1^t = 1 - 0.9^3 = 0.271"),
        "{joined}"
    );
    assert!(joined.contains("m^(x) = m / (1 - beta1^t)"), "{joined}");
    assert!(
        joined.contains("g(x) = clip(g, -c, c) = min(max("),
        "{joined}"
    );
    assert!(
        joined.contains("x_3 = p - lr * m^ / (sqrt(v^) + eps) = "),
        "{joined}"
    );
}

#[test]
fn the_line_search_lists_every_trial_and_accepts_the_first_that_decreases_enough() {
    let config = OptimizerConfig::new(OptimizerKind::LineSearch, 1.0);
    let run = finished(preset("rosenbrock", None).unwrap(), config, &[-1.2, 1.0], 4);
    for k in 0..run.iterations() {
        let trace = inspect(&run, k, &AtomicBool::new(false)).unwrap();
        let trials = &trace.record.trials;
        assert!(!trials.is_empty());
        for pair in trials.windows(2) {
            assert_eq!(pair[1].step, pair[0].step / 2.0);
            assert!(!pair[0].accepted);
        }
        let last = trials.last().unwrap();
        assert!(last.accepted);
        assert_eq!(last.step, trace.after.last_step);
        let counted = trace.after.evaluations.values - trace.before.evaluations.values;
        assert_eq!(counted, trials.len() as u64);
        // Armijo's test, read back from the trials.
        let g2: f64 = trace.seen.iter().map(|g| g * g).sum();
        let f = last.value.unwrap();
        assert!(f <= trace.value - 1e-4 * last.step * g2);
    }
}

#[test]
fn a_failing_step_says_why_the_run_stops() {
    // e^x - ln x from x = 0.5 with lr 2 overshoots to x < 0 on its second step.
    let config = OptimizerConfig::new(OptimizerKind::Gd, 2.0);
    let run = finished(preset("exp-log", None).unwrap(), config, &[0.5], 10);
    assert_eq!(run.stop_reason(), Some(StopReason::LeftDomain));
    let trace = inspect(&run, run.iterations(), &AtomicBool::new(false)).unwrap();
    assert_eq!(trace.stop, Some(StopReason::LeftDomain));
    assert!(trace.next_value.is_none());
    let last = explain(&trace, &["x".into()]).last().unwrap().to_string();
    assert!(last.contains("leaves the function's domain"), "{last}");

    // Newton at the saddle's centre line: singular Hessian of x^3 + y^2 at x = 0.
    let config = OptimizerConfig::new(OptimizerKind::Newton, 1.0);
    let run = finished(formula("x^3 + y^2"), config, &[0.0, 1.0], 5);
    assert_eq!(run.stop_reason(), Some(StopReason::SingularHessian));
    let trace = inspect(&run, 0, &AtomicBool::new(false)).unwrap();
    assert_eq!(trace.stop, Some(StopReason::SingularHessian));
    let text: Vec<String> = explain(&trace, &["x".into(), "y".into()])
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(text.iter().any(|l| l.contains("singular")), "{text:?}");
}

#[test]
fn a_replay_can_be_cancelled_and_asks_for_no_step_beyond_the_end() {
    let config = OptimizerConfig::new(OptimizerKind::Gd, 0.01);
    let run = finished(preset("bowl", None).unwrap(), config, &[0.0, 0.0], 50);
    assert!(inspect(&run, 51, &AtomicBool::new(false)).is_none());
    assert!(inspect(&run, 10, &AtomicBool::new(true)).is_none());
    // The last iterate of a run that took all its iterations: the step it would take next.
    let trace = inspect(&run, 50, &AtomicBool::new(false)).unwrap();
    assert_eq!(trace.point, run.path().last_point());
    assert_eq!(trace.stop, None);
    for i in 0..2 {
        assert_eq!(trace.next[i], trace.point[i] - 0.01 * trace.gradient[i]);
    }
}

#[test]
fn a_mini_batch_step_follows_the_drawn_batch() {
    use descent::engine::regression::{BatchSpec, DataSpec, LossObjective};
    let data = Arc::new(DataSpec::seed001().generate().unwrap());
    let objective: Arc<dyn Objective> = Arc::new(LossObjective::new(&data));
    let spec = RunSpec {
        optimizer: OptimizerConfig::new(OptimizerKind::Momentum, 0.01),
        start: vec![0.0, 0.0],
        max_iters: 12,
        tol: 0.0,
    };
    let batch = BatchSpec::shuffled(5, 3);
    let mut run = Run::with_batches(objective, spec, data, batch).unwrap();
    run.finish_all();
    for k in 0..run.iterations() {
        let trace = inspect(&run, k, &AtomicBool::new(false)).unwrap();
        assert_eq!(trace.next, run.path().point(k + 1));
        // The drawn gradient is the batch's, not the full loss's.
        assert_ne!(trace.gradient, run.path().gradient(k));
    }
}

#[test]
fn the_local_geometry_of_quadratics_is_exact() {
    // f = x^2 + 10 y^2: Hessian diag(2, 20).
    let f = formula("x^2 + 10*y^2");
    let g = LocalGeometry::at(f.as_ref(), &[1.0, 1.0]).unwrap();
    assert_eq!(g.eigenvalues, vec![2.0, 20.0]);
    assert_eq!(g.condition(), 10.0);
    assert_eq!(g.stable_lr(), Some(0.1));
    assert_eq!(g.eigenvectors[1][0].abs(), 0.0);
    assert_eq!(g.eigenvectors[1][1].abs(), 1.0);
    // Newton's full step lands on the minimum of a quadratic.
    let step = g.newton_step.clone().unwrap();
    assert!((step[0] + 1.0).abs() < 1e-15 && (step[1] + 1.0).abs() < 1e-15);
    assert!(g.kind().contains("convex"));

    let saddle = LocalGeometry::at(formula("x^2 - y^2").as_ref(), &[0.3, 0.2]).unwrap();
    assert_eq!(saddle.eigenvalues, vec![-2.0, 2.0]);
    assert!(saddle.kind().contains("saddle"));
    assert_eq!(saddle.stable_lr(), Some(1.0));

    let dome = LocalGeometry::at(formula("-(x^2 + y^2)").as_ref(), &[0.3, 0.2]).unwrap();
    assert_eq!(dome.stable_lr(), None);
    assert!(dome.kind().contains("concave"));

    // A rotated valley: f = (x + y)^2 + 0.01 (x - y)^2 has its axes on the diagonals.
    let valley =
        LocalGeometry::at(formula("(x + y)^2 + 0.01*(x - y)^2").as_ref(), &[0.0, 0.0]).unwrap();
    assert!((valley.eigenvalues[0] - 0.04).abs() < 1e-12);
    assert!((valley.eigenvalues[1] - 4.0).abs() < 1e-12);
    assert!((valley.condition() - 100.0).abs() < 1e-9);
    let axis = &valley.eigenvectors[1];
    assert!((axis[0].abs() - 0.5f64.sqrt()).abs() < 1e-12);
    assert!((axis[0] - axis[1]).abs() < 1e-12);

    let flat = LocalGeometry::at(formula("x^3 + y^2").as_ref(), &[0.0, 1.0]).unwrap();
    assert!(flat.newton_step.is_none());
    assert_eq!(flat.condition(), f64::INFINITY);
}
