//! Automatic derivatives of every preset against central differences at random points, and
//! against hand-derived formulas (the only place such formulas belong: as oracles).

use descent::engine::{Objective, PRESET_NAMES, preset};
use proptest::prelude::*;

/// Central difference of `f` along coordinate `i`, with a step scaled to |p_i|.
fn central(f: impl Fn(&[f64]) -> f64, p: &[f64], i: usize) -> f64 {
    let h = 1e-6 * (1.0 + p[i].abs());
    let mut plus = p.to_vec();
    let mut minus = p.to_vec();
    plus[i] += h;
    minus[i] -= h;
    (f(&plus) - f(&minus)) / (2.0 * h)
}

fn assert_near(ad: f64, fd: f64, what: &str) {
    let scale = 1.0 + ad.abs().max(fd.abs());
    assert!(
        (ad - fd).abs() <= 1e-5 * scale,
        "{what}: automatic {ad} vs central difference {fd}"
    );
}

/// Checks gradient and Hessian of `objective` at the point at fractions `t` of its view box.
#[allow(clippy::needless_range_loop)] // i and j index gradient, Hessian and point alike
fn check_at(objective: &dyn Objective, t: &[f64]) {
    let info = objective.info();
    let p: Vec<f64> = info
        .view
        .iter()
        .zip(t)
        .map(|(iv, t)| iv.lo + t * iv.width())
        .collect();
    if !objective.in_domain(&p) {
        return;
    }
    let n = p.len();
    let mut g = vec![0.0; n];
    let value = objective.value_and_gradient(&p, &mut g);
    assert_eq!(value, objective.value(&p));
    let so = objective.second_order(&p);
    assert!((so.value - value).abs() <= 1e-12 * (1.0 + value.abs()));
    for i in 0..n {
        let name = &info.name;
        assert_near(
            g[i],
            central(|q| objective.value(q), &p, i),
            &format!("{name} df/d{i} at {p:?}"),
        );
        assert!((so.gradient[i] - g[i]).abs() <= 1e-9 * (1.0 + g[i].abs()));
        for j in 0..n {
            let dgj = central(
                |q| {
                    let mut gq = vec![0.0; n];
                    objective.value_and_gradient(q, &mut gq);
                    gq[j]
                },
                &p,
                i,
            );
            assert_near(
                so.hessian[(j, i)],
                dgj,
                &format!("{name} d2f/d{j}d{i} at {p:?}"),
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ad_matches_central_differences(t in prop::collection::vec(0.02f64..0.98, 3)) {
        for name in PRESET_NAMES {
            let objective = preset(name, None).unwrap();
            check_at(objective.as_ref(), &t);
        }
    }

    #[test]
    fn sum_squares_in_many_dimensions(dim in 1usize..8, t in prop::collection::vec(0.0f64..1.0, 8)) {
        let objective = preset("sum-squares", Some(dim)).unwrap();
        check_at(objective.as_ref(), &t[..dim]);
    }

    #[test]
    fn rows_of_values_equal_pointwise_values(x in prop::collection::vec(-3.0f64..3.0, 1..20), y in -3.0f64..3.0) {
        for name in PRESET_NAMES {
            let objective = preset(name, None).unwrap();
            let mut row = vec![0.0; x.len()];
            objective.values_on_row(&x, y, &mut row);
            for (xi, vi) in x.iter().zip(&row) {
                let p: Vec<f64> = if objective.dim() == 1 { vec![*xi] } else { vec![*xi, y, 0.0][..objective.dim()].to_vec() };
                let expected = objective.value(&p);
                prop_assert!(vi.to_bits() == expected.to_bits() || (vi.is_nan() && expected.is_nan()));
            }
        }
    }
}

/// The course lab's own derivative formulas, as oracles.
#[test]
fn lab_derivative_formulas_agree() {
    let exp_log = preset("exp-log", None).unwrap();
    let three_wells = preset("three-wells", None).unwrap();
    let sauna = preset("sauna", None).unwrap();
    for &x in &[0.05, 0.3, 0.9, 1.6, 2.4] {
        let mut g = [0.0];
        exp_log.value_and_gradient(&[x], &mut g);
        let dfdx = x.exp() - 1.0 / x;
        assert!((g[0] - dfdx).abs() <= 1e-12 * (1.0 + dfdx.abs()));
        let h = exp_log.second_order(&[x]).hessian[(0, 0)];
        assert!((h - (x.exp() + 1.0 / (x * x))).abs() <= 1e-10 * h);
    }
    for &(x, y) in &[(0.5, 3.0), (2.0, 3.0), (4.0, 0.5), (1.3, 2.7)] {
        // f_example_4's partials: sums of -c * d/dx(q) / q^2 for each well q.
        let q1 = 3.0 + 3.0 * (x - 0.5f64).powi(2) + 3.0 * (y - 0.5f64).powi(2);
        let q2 = 1.0 + 2.0 * (x - 3.0f64).powi(2) + 2.0 * (y - 1.5f64).powi(2);
        let q3 = 1.0 + 0.5 * (x - 3.5f64).powi(2) + 0.5 * (y - 4.0f64).powi(2);
        let dfdx = 10.0 * 6.0 * (x - 0.5) / q1.powi(2)
            + 2.0 * 4.0 * (x - 3.0) / q2.powi(2)
            + 3.0 * (x - 3.5) / q3.powi(2);
        let dfdy = 10.0 * 6.0 * (y - 0.5) / q1.powi(2)
            + 2.0 * 4.0 * (y - 1.5) / q2.powi(2)
            + 3.0 * (y - 4.0) / q3.powi(2);
        let mut g = [0.0; 2];
        three_wells.value_and_gradient(&[x, y], &mut g);
        assert!(
            (g[0] - dfdx).abs() < 1e-12 && (g[1] - dfdy).abs() < 1e-12,
            "{g:?}"
        );
        // Sauna: d/dx = -(1/90) (3x^2 - 12x) y^2 (y - 6).
        let mut g = [0.0; 2];
        sauna.value_and_gradient(&[x, y], &mut g);
        let dx = -(3.0 * x * x - 12.0 * x) * y * y * (y - 6.0) / 90.0;
        let dy = -(3.0 * y * y - 12.0 * y) * x * x * (x - 6.0) / 90.0;
        assert!(
            (g[0] - dx).abs() < 1e-12 && (g[1] - dy).abs() < 1e-12,
            "{g:?}"
        );
    }
}

#[test]
fn known_minima_are_stationary_and_curve_upwards() {
    for name in PRESET_NAMES {
        let objective = preset(name, None).unwrap();
        for m in &objective.info().minima {
            let so = objective.second_order(m);
            let g_norm = so.gradient.iter().map(|g| g * g).sum::<f64>().sqrt();
            assert!(g_norm < 1e-9, "{name} at {m:?}: |grad| = {g_norm}");
            let eigen = so.hessian.clone().symmetric_eigen();
            assert!(
                eigen.eigenvalues.iter().all(|&e| e > 0.0),
                "{name} at {m:?}"
            );
        }
    }
    // The omega constant: e^-W = W.
    let exp_log = preset("exp-log", None).unwrap();
    assert!((exp_log.info().minima[0][0] - 0.567_143_290_409_783_8).abs() < 1e-15);
    let himmelblau = preset("himmelblau", None).unwrap();
    assert_eq!(himmelblau.info().minima.len(), 4);
    for m in &himmelblau.info().minima {
        assert!(himmelblau.value(m).abs() < 1e-20);
    }
}
