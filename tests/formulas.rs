//! Typed formulas: parsed once, evaluated by the engine's automatic differentiation, and
//! equal to the presets they spell out.

use std::sync::Arc;

use descent::engine::expr::{Expr, TypedFunction};
use descent::engine::{Objective, OptimizerConfig, OptimizerKind, Run, RunSpec, preset};
use proptest::prelude::*;

/// Every preset of one or two variables, as a student would type it.
const TYPED_PRESETS: [(&str, &str); 11] = [
    ("bowl", "(x-1)^2 + (y-2)^2"),
    ("sauna", "85 - (1/90) * x^2 * (x-6) * y^2 * (y-6)"),
    (
        "three-wells",
        "10 - (10/(3+3*(x-0.5)^2+3*(y-0.5)^2) + 2/(1+2*(x-3)^2+2*(y-1.5)^2) + 3/(1+0.5*(x-3.5)^2+0.5*(y-4)^2))",
    ),
    ("exp-log", "np.exp(x) - np.log(x)"),
    ("wavy", "(exp(x) - ln(x)) * sin(2*pi*x)"),
    ("rosenbrock", "(1-x)**2 + 100*(y-x**2)**2"),
    ("himmelblau", "(x^2+y-11)^2 + (x+y^2-7)^2"),
    (
        "beale",
        "(1.5-x+x*y)^2 + (2.25-x+x*y^2)^2 + (2.625-x+x*y^3)^2",
    ),
    (
        "rastrigin",
        "20 + x^2 - 10*cos(2*pi*x) + y^2 - 10*cos(2*pi*y)",
    ),
    ("saddle", "x^2 - y^2"),
    ("ravine", "0.5*(x^2 + 25*y^2)"),
];

fn path(objective: Arc<dyn Objective>, kind: OptimizerKind, lr: f64, start: &[f64]) -> Run {
    let spec = RunSpec {
        optimizer: OptimizerConfig::new(kind, lr),
        start: start.to_vec(),
        max_iters: 60,
        tol: 0.0,
    };
    let mut run = Run::new(objective, spec).unwrap();
    run.finish_all();
    run
}

#[test]
fn every_preset_typed_as_text_gives_the_presets_paths() {
    for (name, text) in TYPED_PRESETS {
        let preset = preset(name, None).unwrap();
        let typed: Arc<dyn Objective> = Arc::new(TypedFunction::new(Expr::parse(text).unwrap()));
        assert_eq!(typed.dim(), preset.dim(), "{name}");
        let start = preset.info().default_start.clone();
        for (kind, lr) in [
            (OptimizerKind::Gd, 1e-3),
            (OptimizerKind::Adam, 0.05),
            (OptimizerKind::Newton, 0.5),
        ] {
            let (a, b) = (
                path(preset.clone(), kind, lr, &start),
                path(typed.clone(), kind, lr, &start),
            );
            assert_eq!(a.iterations(), b.iterations(), "{name} {kind}");
            assert_eq!(a.stop_reason(), b.stop_reason(), "{name} {kind}");
            for k in 0..a.path().len() {
                for (p, q) in a.path().point(k).iter().zip(b.path().point(k)) {
                    assert!(
                        (p - q).abs() <= 1e-12 * (1.0 + p.abs()),
                        "{name} {kind} iterate {k}: {p} vs {q}"
                    );
                }
            }
        }
    }
}

/// Random well-formed formulas in x and y whose values stay moderate on [-1, 1]^2.
fn formula() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("x".to_string()),
        Just("y".to_string()),
        (-3.0f64..3.0).prop_map(|c| format!("({c:.3})")),
    ];
    leaf.prop_recursive(5, 40, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} + {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} - {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} * {b})")),
            inner.clone().prop_map(|a| format!("sin({a})")),
            inner.clone().prop_map(|a| format!("cos({a})")),
            inner.clone().prop_map(|a| format!("tanh({a})")),
            inner.clone().prop_map(|a| format!("({a})^2")),
            inner.clone().prop_map(|a| format!("exp(0.1*{a})")),
            inner.clone().prop_map(|a| format!("sqrt(1 + ({a})^2)")),
        ]
    })
}

fn central(f: &dyn Fn(f64, f64) -> f64, x: f64, y: f64, axis: usize) -> f64 {
    let h = 1e-5;
    if axis == 0 {
        (f(x + h, y) - f(x - h, y)) / (2.0 * h)
    } else {
        (f(x, y + h) - f(x, y - h)) / (2.0 * h)
    }
}

proptest! {
    #[test]
    fn gradients_and_hessians_agree_with_central_differences(
        text in formula(),
        x in -1.0f64..1.0,
        y in -1.0f64..1.0,
    ) {
        let typed = TypedFunction::new(Expr::parse(&text).unwrap());
        let value = |x: f64, y: f64| typed.value(&[x, y][..typed.dim()]);
        let point = [x, y];
        let point = &point[..typed.dim()];
        let so = typed.second_order(point);
        for axis in 0..typed.dim() {
            let fd = central(&value, x, y, axis);
            prop_assert!((so.gradient[axis] - fd).abs() <= 1e-5 * (1.0 + fd.abs()),
                "{text}: df/d{axis} {} vs {fd}", so.gradient[axis]);
            for other in 0..typed.dim() {
                let slope = |x: f64, y: f64| {
                    let mut g = vec![0.0; typed.dim()];
                    typed.value_and_gradient(&[x, y][..typed.dim()], &mut g);
                    g[other]
                };
                let fd2 = central(&slope, x, y, axis);
                prop_assert!((so.hessian[(other, axis)] - fd2).abs() <= 1e-4 * (1.0 + fd2.abs()),
                    "{text}: H[{other},{axis}] {} vs {fd2}", so.hessian[(other, axis)]);
            }
        }
    }

    #[test]
    fn rows_give_what_points_give(text in formula(), y in -1.0f64..1.0) {
        let typed = TypedFunction::new(Expr::parse(&text).unwrap());
        let xs: Vec<f64> = (0..7).map(|i| -1.0 + i as f64 / 3.0).collect();
        let (mut values, mut dx, mut dy) = (vec![0.0; 7], vec![0.0; 7], vec![0.0; 7]);
        typed.gradients_on_row(&xs, y, &mut values, &mut dx, &mut dy);
        let mut row = vec![0.0; 7];
        typed.values_on_row(&xs, y, &mut row);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + a.abs());
        for (i, &x) in xs.iter().enumerate() {
            let point = [x, y];
            let point = &point[..typed.dim()];
            let mut g = vec![0.0; typed.dim()];
            let value = typed.value_and_gradient(point, &mut g);
            prop_assert!(close(value, values[i]) && close(value, row[i]), "{text} at {x}: {value} vs {} / {}", values[i], row[i]);
            prop_assert!(close(g[0], dx[i]), "{text} at {x}: df/dx {} vs {}", g[0], dx[i]);
            let gy = g.get(1).copied().unwrap_or(0.0);
            prop_assert!(close(gy, dy[i]), "{text} at {x}: df/dy {gy} vs {}", dy[i]);
        }
    }

    /// `PROPTEST_CASES=1000000 cargo test --release --test formulas parser_never_panics`
    /// runs a million inputs (the README's fuzz run).
    #[test]
    fn the_parser_never_panics_and_every_error_has_a_position_inside(text in "\\PC{0,60}") {
        if let Err(e) = Expr::parse(&text) {
            prop_assert!(e.position <= text.chars().count(), "{text:?}: {e:?}");
        }
    }

    #[test]
    fn formula_like_strings_parse_or_fail_cleanly(text in "[xy0-9.+*/^()\\-, a-z]{0,40}") {
        match Expr::parse(&text) {
            Ok(expr) => {
                // Plain numbers and dual numbers run the same instructions to the same value.
                let plain = expr.eval(0.5f64, -0.25);
                let dual = expr.eval(
                    num_dual::Dual64::from(0.5).derivative(),
                    num_dual::Dual64::from(-0.25),
                );
                prop_assert!(
                    plain.to_bits() == dual.re.to_bits() || (plain.is_nan() && dual.re.is_nan()),
                    "{text:?}: {plain} vs {}", dual.re
                );
            }
            Err(e) => prop_assert!(e.position <= text.chars().count()),
        }
    }
}

#[test]
fn the_heatmap_leaves_out_points_where_only_the_gradient_is_undefined() {
    // The cone's tip: f = 0 there, its gradient 0/0. A 3 x 3 grid over [-1, 1]^2 has its
    // middle cell centered on the tip.
    let cone = TypedFunction::new(Expr::parse("sqrt(x^2 + y^2)").unwrap());
    let side = descent::engine::Interval::new(-1.0, 1.0);
    let plain = descent::engine::Grid::sample(&cone, side, side, 3, 3);
    let defined = descent::engine::Grid::sample_defined(&cone, side, side, 3, 3);
    assert_eq!(plain.at(1, 1), 0.0);
    assert!(defined.at(1, 1).is_nan());
    assert!(!cone.in_domain(&[0.0, 0.0]));
    for (i, (&a, &b)) in plain.values.iter().zip(&defined.values).enumerate() {
        if i != 4 {
            assert_eq!(a, b, "cell {i}");
            assert!(a.is_finite());
        }
    }
    // Presets are undefined exactly where f is not finite.
    let exp_log = preset("exp-log", None).unwrap();
    let x = descent::engine::Interval::new(-1.0, 2.0);
    let a = descent::engine::Grid::sample(exp_log.as_ref(), x, side, 6, 1);
    let b = descent::engine::Grid::sample_defined(exp_log.as_ref(), x, side, 6, 1);
    assert_eq!(a.values.iter().filter(|v| v.is_nan()).count(), 2);
    assert_eq!(
        format!("{:?}", a.values),
        format!("{:?}", b.values),
        "same NaNs, same values"
    );
}

/// Tester pass 14: an exponent written as an expression without x or y (x^(4/2)) was a
/// general power, undefined for x < 0; x^1.5 was undefined at 0, where num-dual computes
/// it as inf * 0.
#[test]
fn a_constant_exponent_however_written_is_a_power_of_a_constant() {
    let typed = |formula: &str| TypedFunction::new(Expr::parse(formula).unwrap());
    for formula in ["x^(4/2)", "x^(1+1)", "x**(2*1)", "x^(pi-pi+2)"] {
        let f = typed(formula);
        assert!(f.in_domain(&[-1.0]), "{formula}");
        let mut g = [0.0];
        assert_eq!(f.value_and_gradient(&[-1.0], &mut g), 1.0, "{formula}");
        assert_eq!(g, [-2.0], "{formula}");
    }
    // Above 1, a power that is not whole is 0 at 0 with a gradient of 0.
    for formula in ["x^1.5", "x^2.5", "(x^2+y^2)^1.5", "(x^2+y^2)^(3/2)"] {
        let f = typed(formula);
        let origin = vec![0.0; f.dim()];
        assert!(f.in_domain(&origin), "{formula}");
        let second = f.second_order(&origin);
        assert_eq!(second.value, 0.0, "{formula}");
        assert!(second.gradient.iter().all(|g| *g == 0.0), "{formula}");
        // Beside 0 it is num-dual's power as before.
        let near = vec![1e-3; f.dim()];
        assert!(f.value(&near) > 0.0, "{formula}");
    }
    // Below 1 the slope at 0 is infinite: 0 stays outside the domain.
    assert!(!typed("x^0.5").in_domain(&[0.0]));
    // r^3 has its minimum exactly at 0.
    let f = typed("(x^2+y^2)^1.5");
    let view = f.info().view.clone();
    let points =
        descent::engine::critical::find(&f, &view, &std::sync::atomic::AtomicBool::new(false));
    assert_eq!(points.len(), 1, "{points:?}");
    assert_eq!(points[0].point, vec![0.0, 0.0]);
    assert_eq!(
        points[0].kind,
        descent::engine::critical::CriticalKind::Minimum
    );
}
