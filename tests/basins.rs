//! Basin maps and learning-rate sweeps: each start and each rate descends exactly as a run
//! of the same spec, three-wells' basins name the minimum next to them, and a sweep on the
//! bowl finds GD's divergence threshold 2/L = 1.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use descent::engine::basins::{
    BasinMap, BasinSpec, DIVERGED, Descender, basins, capture_radius, divergence_threshold,
    label_of, log_space, minima_for, sweep,
};
use descent::engine::optimizer::OptimizerConfig;
use descent::engine::{Objective, OptimizerKind, Run, RunSpec, StopReason, preset};

fn run(
    objective: &Arc<dyn Objective>,
    config: OptimizerConfig,
    start: &[f64],
    iters: u64,
    tol: f64,
) -> Run {
    let mut run = Run::new(
        objective.clone(),
        RunSpec {
            optimizer: config,
            start: start.to_vec(),
            max_iters: iters,
            tol,
        },
    )
    .unwrap();
    run.finish_all();
    run
}

#[test]
fn a_descent_ends_where_a_run_of_the_same_spec_ends() {
    for function in ["three-wells", "rosenbrock", "exp-log"] {
        let objective = preset(function, None).unwrap();
        let start = objective.info().default_start.clone();
        for kind in OptimizerKind::ALL {
            for (lr, tol, clip) in [(0.01, 0.0, None), (0.05, 1e-4, Some(5.0)), (3.0, 0.0, None)] {
                let config = OptimizerConfig {
                    clip,
                    ..OptimizerConfig::new(kind, lr)
                };
                let expected = run(&objective, config, &start, 300, tol);
                let mut descender = Descender::new(start.len());
                let ending = descender.descend(objective.as_ref(), &config, &start, 300, tol);
                let context = format!("{function} {kind} lr {lr} tol {tol}");
                assert_eq!(ending.stop, expected.stop_reason().unwrap(), "{context}");
                assert_eq!(
                    ending.iterations as usize,
                    expected.iterations(),
                    "{context}"
                );
                assert_eq!(descender.point(), expected.path().last_point(), "{context}");
                assert_eq!(ending.value, expected.path().last_value(), "{context}");
            }
        }
    }
}

fn three_wells_map(width: usize, height: usize) -> (BasinSpec, BasinMap) {
    let objective = preset("three-wells", None).unwrap();
    let view = objective.info().view.clone();
    let spec = BasinSpec {
        optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.1),
        iters: 200,
        tol: 1e-6,
        view: [view[0], view[1]],
        width,
        height,
    };
    let minima = minima_for(objective.as_ref(), &view);
    let map = basins(objective.as_ref(), &spec, &minima, &AtomicBool::new(false)).unwrap();
    (spec, map)
}

#[test]
fn starts_next_to_each_minimum_of_three_wells_reach_it() {
    let (spec, map) = three_wells_map(64, 64);
    assert_eq!(map.minima.len(), 3);
    assert_eq!(map.labels.len(), 64 * 64);
    let mut checked = [0; 3];
    for j in 0..spec.height {
        for i in 0..spec.width {
            let start = BasinMap::start(&spec, i, j);
            for (m, minimum) in map.minima.iter().enumerate() {
                if (start[0] - minimum[0]).hypot(start[1] - minimum[1]) < 0.3 {
                    assert_eq!(map.labels[j * spec.width + i], m as i32, "start {start:?}");
                    checked[m] += 1;
                }
            }
        }
    }
    assert!(checked.iter().all(|&c| c >= 4), "{checked:?}");
    // Every minimum has a basin, and nearly every start reaches one of them.
    let counts = map.counts();
    assert!(counts.iter().all(|&c| c > 100), "{counts:?}");
    assert!(
        counts.iter().sum::<usize>() > 64 * 64 * 9 / 10,
        "{counts:?}"
    );
}

#[test]
fn a_basin_row_equals_single_runs_from_the_same_starts() {
    let (spec, map) = three_wells_map(40, 30);
    let objective = preset("three-wells", None).unwrap();
    let radius = capture_radius(&spec.view);
    let j = 17;
    for i in 0..spec.width {
        let start = BasinMap::start(&spec, i, j);
        let run = run(
            &objective,
            spec.optimizer,
            &start,
            spec.iters as u64,
            spec.tol,
        );
        let ending = map.endings[j * spec.width + i];
        assert_eq!(ending.iterations as usize, run.iterations());
        assert_eq!(ending.value, run.path().last_value());
        assert_eq!(Some(ending.stop), run.stop_reason());
        let label = label_of(run.path().last_point(), &map.minima, radius);
        assert_eq!(map.labels[j * spec.width + i], label, "start {start:?}");
    }
}

#[test]
fn divergent_starts_are_labelled_so() {
    // GD with lr 0.2 on the ravine (curvature 25 along y) blows up from any y != 0.
    let objective = preset("ravine", None).unwrap();
    let view = objective.info().view.clone();
    let spec = BasinSpec {
        optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.2),
        iters: 2000,
        tol: 0.0,
        view: [view[0], view[1]],
        width: 8,
        height: 8,
    };
    let minima = minima_for(objective.as_ref(), &view);
    let map = basins(objective.as_ref(), &spec, &minima, &AtomicBool::new(false)).unwrap();
    assert!(
        map.labels.iter().all(|&l| l == DIVERGED),
        "{:?}",
        map.labels
    );
    // A cancelled map gives nothing.
    assert!(basins(objective.as_ref(), &spec, &minima, &AtomicBool::new(true)).is_none());
}

#[test]
fn a_sweep_on_the_bowl_finds_the_divergence_threshold_at_one() {
    // f = (x-1)^2 + (y-2)^2 has L = 2: GD is stable for lr < 2/L = 1.
    let objective = preset("bowl", None).unwrap();
    let start = [0.0, 0.0];
    let lrs = log_space(0.01, 10.0, 121);
    let rows = sweep(
        objective.as_ref(),
        &OptimizerConfig::new(OptimizerKind::Gd, 0.1),
        &start,
        &lrs,
        1000,
        0.0,
    );
    assert_eq!(rows.len(), 121);
    let f0 = objective.value(&start);
    let (below, above) = divergence_threshold(&rows, f0).unwrap();
    let ratio = lrs[1] / lrs[0];
    assert!(below <= 1.0 && 1.0 < above, "{below} {above}");
    assert!((above / below - ratio).abs() < 1e-9);
    // Below the threshold every run ends lower than it started; each row is a single run.
    for row in &rows {
        let single = run(
            &objective,
            OptimizerConfig::new(OptimizerKind::Gd, row.lr),
            &start,
            1000,
            0.0,
        );
        assert_eq!(row.ending.value, single.path().last_value());
        if row.lr < 0.99 {
            assert!(row.ending.value < f0);
            assert_eq!(row.ending.stop, StopReason::MaxIterations);
        }
    }
}

#[test]
fn heavy_ball_on_the_bowl_is_stable_below_lr_one_plus_beta() {
    use descent::engine::basins::{blew_up, hyper_map};
    // On a quadratic with curvature L = 2, heavy-ball momentum b <- beta b + g,
    // p <- p - lr b converges exactly when lr L < 2 (1 + beta): lr < 1 + beta.
    let objective = preset("bowl", None).unwrap();
    let start = [0.0, 0.0];
    let lrs = log_space(0.05, 5.0, 41);
    let betas: Vec<f64> = (0..10).map(|i| 0.09 * i as f64).collect();
    let config = OptimizerConfig::new(OptimizerKind::Momentum, 0.1);
    let cells = hyper_map(
        objective.as_ref(),
        &config,
        &start,
        &lrs,
        "momentum",
        &betas,
        2000,
        0.0,
    );
    assert_eq!(cells.len(), lrs.len() * betas.len());
    let f0 = objective.value(&start);
    for (row, beta) in betas.iter().enumerate() {
        for (col, lr) in lrs.iter().enumerate() {
            let ending = cells[row * lrs.len() + col];
            let limit = 1.0 + beta;
            let sweep_row = descent::engine::basins::SweepRow { lr: *lr, ending };
            if *lr < 0.9 * limit {
                assert!(!blew_up(&sweep_row, f0), "beta {beta} lr {lr}: {ending:?}");
                assert!(ending.value < 1e-6, "beta {beta} lr {lr}: {ending:?}");
            } else if *lr > 1.1 * limit {
                assert!(blew_up(&sweep_row, f0), "beta {beta} lr {lr}: {ending:?}");
            }
        }
    }
    // A cell equals a single run with both settings.
    let mut single = OptimizerConfig::new(OptimizerKind::Momentum, lrs[7]);
    single.momentum = betas[3];
    let expected = run(&objective, single, &start, 2000, 0.0);
    assert_eq!(cells[3 * lrs.len() + 7].value, expected.path().last_value());
}

/// Many starts descending side by side in SIMD lanes end bit for bit where each ends alone,
/// whatever stops them: convergence, divergence (NaN, overflow, the divergence radius),
/// the iteration limit; with clipping, weight decay and a schedule; for a row whose length
/// is not a multiple of the lanes.
#[test]
fn starts_descending_in_lanes_end_exactly_where_each_ends_alone() {
    use descent::engine::lanes::{Descents, Landing, steps_in_lanes};
    use descent::engine::{Schedule, ScheduleKind};
    let schedule = Schedule {
        kind: ScheduleKind::Exponential,
        ..Schedule::default()
    };
    let mut compared = 0;
    for function in [
        "three-wells",
        "rosenbrock",
        "himmelblau",
        "rastrigin",
        "beale",
    ] {
        let objective = preset(function, None).unwrap();
        let view = objective.info().view.clone();
        // 37 starts over the view and two far outside it.
        let mut starts: Vec<[f64; 2]> = (0..37)
            .map(|i| {
                let t = i as f64 / 36.0;
                [
                    view[0].lo + t * view[0].width(),
                    view[1].hi - (t * 7.3).fract() * view[1].width(),
                ]
            })
            .collect();
        starts.push([1e11, -1e11]);
        starts.push([3e150, 1.0]);
        for kind in OptimizerKind::ALL {
            for (lr, tol, clip, decay, scheduled) in [
                (0.01, 0.0, None, None, false),
                (0.002, 1e-3, Some(5.0), None, false),
                (0.05, 1e-6, None, Some(0.1), true),
                (0.9, 0.0, None, None, false),
            ] {
                let config = OptimizerConfig {
                    clip,
                    weight_decay: decay,
                    schedule: if scheduled {
                        schedule
                    } else {
                        Schedule::default()
                    },
                    ..OptimizerConfig::new(kind, lr)
                };
                let mut landings = vec![Landing::default(); starts.len()];
                let descents = Descents {
                    config: &config,
                    iters: 150,
                    tol,
                    starts: &starts,
                    rates: None,
                };
                let many = objective.descend_many(&descents, &mut landings);
                assert_eq!(many, steps_in_lanes(&config), "{kind}");
                if !many {
                    continue;
                }
                let mut descender = Descender::new(2);
                for (start, landing) in starts.iter().zip(&landings) {
                    let ending = descender.descend(objective.as_ref(), &config, start, 150, tol);
                    let context = format!("{function} {kind} lr {lr} tol {tol} from {start:?}");
                    assert_eq!(landing.ending.stop, ending.stop, "{context}");
                    assert_eq!(landing.ending.iterations, ending.iterations, "{context}");
                    assert_eq!(
                        landing.ending.value.to_bits(),
                        ending.value.to_bits(),
                        "{context}"
                    );
                    assert_eq!(landing.point, descender.point(), "{context}");
                    compared += 1;
                }
            }
        }
    }
    // GD, momentum and Nesterov on five functions, four settings, 39 starts.
    assert_eq!(compared, 3 * 5 * 4 * 39);
}

/// A sweep steps its rates side by side in lanes and ends, rate by rate, exactly where a
/// descent with that rate alone ends: with a schedule, and past the divergence threshold.
#[test]
fn a_sweep_in_lanes_ends_exactly_where_each_rate_ends_alone() {
    use descent::engine::{Schedule, ScheduleKind};
    let lrs = log_space(1e-4, 3.0, 41);
    for function in ["three-wells", "rosenbrock", "bowl"] {
        let objective = preset(function, None).unwrap();
        let start = objective.info().default_start.clone();
        for kind in [
            OptimizerKind::Gd,
            OptimizerKind::Momentum,
            OptimizerKind::Nesterov,
        ] {
            for schedule in [
                Schedule::default(),
                Schedule {
                    kind: ScheduleKind::Cosine,
                    warmup: 5,
                    ..Schedule::default()
                },
            ] {
                let config = OptimizerConfig {
                    schedule,
                    ..OptimizerConfig::new(kind, 0.1)
                };
                let rows = sweep(objective.as_ref(), &config, &start, &lrs, 300, 1e-7);
                assert_eq!(rows.len(), lrs.len());
                let mut descender = Descender::new(2);
                for (row, &lr) in rows.iter().zip(&lrs) {
                    let alone = OptimizerConfig { lr, ..config };
                    let ending = descender.descend(objective.as_ref(), &alone, &start, 300, 1e-7);
                    assert_eq!(row.lr, lr);
                    assert_eq!(row.ending.stop, ending.stop, "{function} {kind} lr {lr}");
                    assert_eq!(
                        row.ending.iterations, ending.iterations,
                        "{function} {kind} lr {lr}"
                    );
                    assert_eq!(
                        row.ending.value.to_bits(),
                        ending.value.to_bits(),
                        "{function} {kind} lr {lr}"
                    );
                }
            }
        }
    }
}

#[test]
fn touching_basins_of_rastrigin_never_share_a_color() {
    let objective = preset("rastrigin", None).unwrap();
    let view = objective.info().view.clone();
    let spec = BasinSpec {
        optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.001),
        iters: 200,
        tol: 1e-6,
        view: [view[0], view[1]],
        width: 96,
        height: 96,
    };
    let minima = descent::engine::basins::basin_minima(objective.as_ref(), &view);
    let map = basins(objective.as_ref(), &spec, &minima, &AtomicBool::new(false)).unwrap();
    let touching = map.touching();
    let pairs: usize = touching.iter().map(Vec::len).sum();
    assert!(
        map.minima.len() > 20 && pairs > 40,
        "{} minima, {pairs} touching pairs",
        map.minima.len()
    );
    let palette = descent::cli::basins::basin_palette(&touching);
    assert_eq!(palette.len(), map.minima.len());
    for (a, neighbours) in touching.iter().enumerate() {
        for &b in neighbours {
            assert!(touching[b].contains(&a), "{a} touches {b} one way only");
            assert_ne!(palette[a], palette[b], "basins {a} and {b} touch");
        }
    }
    // The first ten keep their own colors, so maps of a few wells read the same as before.
    for (i, color) in palette.iter().take(10).enumerate() {
        assert_eq!(*color, descent::cli::basins::BASIN_COLORS[i]);
    }
}

#[test]
fn basins_touch_sideways_and_at_corners_and_gray_touches_nothing() {
    // 0 | 1     (labels run from the bottom row) 2 meets 1 at a corner; -1 (diverged)
    // --+--     touches nothing.
    // 2 | -1
    let labels = [2, DIVERGED, 0, 1];
    let touching = descent::engine::basins::touching_basins(2, 2, &labels, 3);
    assert_eq!(touching, vec![vec![1, 2], vec![0, 2], vec![0, 1]]);
    // 1 | -1    0 meets 1 at the other corner.
    // --+--
    // -1| 0
    let labels = [DIVERGED, 0, 1, DIVERGED];
    let touching = descent::engine::basins::touching_basins(2, 2, &labels, 2);
    assert_eq!(touching, vec![vec![1], vec![0]]);
}
