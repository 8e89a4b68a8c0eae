//! The window's simulation clock, stepped deterministically without a window.

use std::time::Duration;

use descent::app::simulation::{RunSetup, Simulation, Speed};
use descent::engine::{FunctionSpec, OptimizerConfig, OptimizerKind, StopReason, preset};

const PLENTY: Duration = Duration::from_secs(60);

fn sim(function: &str, iters: u64, starts: &[&[f64]]) -> Simulation {
    let mut sim = Simulation::new(preset(function, None).unwrap(), iters, 0.0);
    for (i, start) in starts.iter().enumerate() {
        sim.add_run(RunSetup {
            start: start.to_vec(),
            optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.1),
            color: i,
            batch: None,
        })
        .unwrap();
    }
    sim
}

#[test]
fn steps_per_frame_are_speed_times_frame_time() {
    let mut s = sim("bowl", 100, &[&[0.0, 0.0]]);
    s.speed = Speed::PerSecond(25.0);
    assert!(s.playing);
    // 25 it/s at 60 frames per second: 25/60 of an iteration per frame, carried over.
    for _ in 0..60 {
        s.advance(1.0 / 60.0, PLENTY);
    }
    assert!((24..=25).contains(&s.shown()), "{}", s.shown());
    assert_eq!(
        s.slots()[0].run.iterations(),
        s.shown(),
        "the optimizer steps only as far as shown"
    );
}

#[test]
fn instant_shows_the_end_and_stops_playing() {
    let mut s = sim("bowl", 100, &[&[0.0, 0.0], &[3.0, 4.0]]);
    s.speed = Speed::Instant;
    let progress = s.advance(0.016, PLENTY);
    assert!(progress.is_complete());
    assert_eq!(s.shown(), 100);
    assert!(!s.playing);
    assert!(s.at_end());
    assert!(s.slots().iter().all(|slot| slot.run.iterations() == 100));
}

#[test]
fn a_zero_budget_still_makes_progress_every_frame() {
    let mut s = sim("three-wells", 100_000, &[&[0.5, 3.0]]);
    s.speed = Speed::Instant;
    let first = s.advance(0.016, Duration::ZERO);
    assert!(first.done > 0 && !first.is_complete());
    let second = s.advance(0.016, Duration::ZERO);
    assert!(second.done > first.done);
    assert!(s.playing, "still playing while the computation catches up");
}

#[test]
fn a_preview_computes_the_whole_path_but_shows_from_the_start() {
    let mut s = sim("sauna", 30, &[&[0.5, 0.6]]);
    s.preview = true;
    s.advance(0.0, PLENTY);
    assert_eq!(s.slots()[0].run.iterations(), 30);
    assert_eq!(s.shown(), 0);
}

#[test]
fn runs_that_stop_early_hold_their_last_iterate() {
    let mut s = sim("exp-log", 25, &[&[1.6], &[0.02]]);
    s.speed = Speed::Instant;
    s.advance(0.0, PLENTY);
    let (good, bad) = (&s.slots()[0], &s.slots()[1]);
    assert_eq!(bad.run.stop_reason(), Some(StopReason::LeftDomain));
    assert_eq!(bad.shown_index(s.shown()), 1);
    assert_eq!(bad.shown_stop(s.shown()), Some(StopReason::LeftDomain));
    assert_eq!(good.shown_index(s.shown()), 25);
    // Before the stop is reached it is not shown.
    s.scrub_to(0);
    assert_eq!(s.slots()[1].shown_stop(0), None);
}

#[test]
fn the_scrubber_pauses_and_clamps_to_the_timeline() {
    let mut s = sim("bowl", 50, &[&[0.0, 0.0]]);
    s.speed = Speed::Instant;
    s.advance(0.0, PLENTY);
    s.toggle_play();
    assert!(s.playing, "play at the end replays");
    assert_eq!(s.shown(), 0);
    s.scrub_to(10);
    assert!(!s.playing);
    assert_eq!(s.shown(), 10);
    s.scrub_to(1_000);
    assert_eq!(s.shown(), 50);
    s.step_once();
    assert_eq!(s.shown(), 50, "no step past the end");
}

#[test]
fn limits_rebuild_every_run_and_bad_ones_change_nothing() {
    let mut s = sim("bowl", 50, &[&[0.0, 0.0]]);
    s.set_limits(10, 0.0).unwrap();
    s.speed = Speed::Instant;
    s.advance(0.0, PLENTY);
    assert_eq!(s.slots()[0].run.iterations(), 10);
    assert!(s.set_limits(0, 0.0).is_err());
    assert_eq!(s.max_iters(), 10);
    assert!(s.set_limits(10, -1.0).is_err());
    assert_eq!(s.tol(), 0.0);
    s.set_limits(1000, 1e-6).unwrap();
    s.speed = Speed::Instant;
    s.playing = true;
    s.advance(0.0, PLENTY);
    assert_eq!(s.slots()[0].run.stop_reason(), Some(StopReason::Converged));
}

#[test]
fn runs_outside_the_domain_are_refused_and_the_rest_stay() {
    let mut s = sim("exp-log", 25, &[&[1.6]]);
    let bad = RunSetup {
        start: vec![-1.0],
        optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.1),
        color: 1,
        batch: None,
    };
    assert!(s.add_run(bad.clone()).is_err());
    assert!(s.set_selected(bad).is_err());
    assert_eq!(s.slots().len(), 1);
    assert_eq!(s.slots()[0].setup.start, vec![1.6]);
    s.remove_run(0);
    assert!(s.slots().is_empty());
    s.speed = Speed::Instant;
    s.advance(0.016, PLENTY);
    assert!(!s.playing);
}

#[test]
fn the_stability_bound_is_two_over_the_largest_curvature() {
    let s = sim("ravine", 10, &[&[-9.0, 2.0]]);
    let bound = s.slots()[0].stable_lr_bound().unwrap();
    assert!((bound - 2.0 / 25.0).abs() < 1e-12);
    let saddle = sim("saddle", 10, &[&[1.5, 0.01]]);
    assert!((saddle.slots()[0].stable_lr_bound().unwrap() - 1.0).abs() < 1e-12);
}

#[test]
fn removing_a_run_keeps_the_selected_one_selected() {
    let mut s = sim(
        "bowl",
        10,
        &[&[0.0, 0.0], &[1.0, 1.0], &[2.0, 2.0], &[3.0, 3.0]],
    );
    s.selected = 2;
    s.remove_run(0);
    assert_eq!(s.selected_slot().unwrap().setup.start, vec![2.0, 2.0]);
    s.remove_run(1);
    assert_eq!(
        s.selected_slot().unwrap().setup.start,
        vec![3.0, 3.0],
        "its successor"
    );
    s.remove_run(1);
    assert_eq!(s.selected, 0);
}

#[test]
fn every_run_and_objective_gets_a_new_generation() {
    let mut s = sim("bowl", 10, &[&[0.0, 0.0]]);
    let (first, objective) = (s.slots()[0].generation, s.objective_generation());
    s.rebuild().unwrap();
    assert_ne!(s.slots()[0].generation, first, "a rebuilt run is a new run");
    let setups = s.setups();
    s.set_objective(preset("bowl", None).unwrap(), setups);
    assert_ne!(s.objective_generation(), objective);
}

#[test]
fn the_divergence_hint_says_what_the_curvature_allows() {
    use descent::app::controls::divergence_hint;
    use descent::app::simulation::Curvature;
    let diverged = |function: &str, start: Vec<f64>, lr: f64| {
        let objective = FunctionSpec::from_options(function, None, None, false)
            .unwrap()
            .build()
            .unwrap()
            .objective;
        let view = objective.info().view.clone();
        let mut sim = Simulation::new(objective.clone(), 5000, 0.0);
        sim.add_run(RunSetup {
            start,
            optimizer: OptimizerConfig::new(OptimizerKind::Gd, lr),
            color: 0,
            batch: None,
        })
        .unwrap();
        sim.speed = Speed::Instant;
        sim.advance(0.0, PLENTY);
        let slot = sim.slots()[0].clone();
        assert_eq!(slot.run.stop_reason(), Some(StopReason::Diverged));
        (slot, objective, view)
    };
    // x^2 - y^2: curvatures 2 and -2.
    let (mut slot, objective, view) = diverged("saddle", vec![1.5, 0.01], 1.1);
    assert_eq!(
        slot.curvature_at_start,
        Curvature::Bounded {
            largest: 2.0,
            smallest: -2.0
        }
    );
    let hint = divergence_hint(&slot, objective.as_ref(), &view);
    assert!(
        hint.contains("lr < 2/L = 1 ") && hint.contains("saddle"),
        "{hint}"
    );
    // Himmelblau from (0, 0), near its maximum, curves downwards at the start, yet it
    // diverges at lr 0.1 because the curvature is large where the first step lands.
    let (slot_h, objective_h, view_h) = diverged("himmelblau", vec![0.0, 0.0], 0.1);
    assert!(matches!(
        slot_h.curvature_at_start,
        Curvature::Bounded { largest, .. } if largest < 0.0
    ));
    let hint = divergence_hint(&slot_h, objective_h.as_ref(), &view_h);
    assert!(
        hint.contains("2/L")
            && !hint.contains("every direction")
            && hint.contains("near a maximum")
            && !hint.contains("saddle"),
        "{hint}"
    );
    // A dome curves downwards everywhere: no learning rate helps.
    let (slot_d, objective_d, view_d) = diverged("-(x^2 + y^2)", vec![0.5, 0.5], 1.0);
    let hint = divergence_hint(&slot_d, objective_d.as_ref(), &view_d);
    assert!(
        hint.contains("downwards in every direction") && !hint.contains("2/L"),
        "{hint}"
    );
    // A start outside the function's view: the path there is where the curvature is read.
    let (slot_far, objective_far, view_far) = diverged("x^2 + y^2", vec![100.0, 100.0], 1.5);
    let hint = divergence_hint(&slot_far, objective_far.as_ref(), &view_far);
    assert!(hint.contains("lr < 2/L = 1 "), "{hint}");
    // A plane does not curve at all: its slope, not a curvature, sends the run away.
    let (slot_p, objective_p, view_p) = diverged("x + y", vec![0.5, 0.5], 1e11);
    let hint = divergence_hint(&slot_p, objective_p.as_ref(), &view_p);
    assert!(
        hint.contains("does not curve") && !hint.contains("downwards"),
        "{hint}"
    );
    slot.curvature_at_start = Curvature::Overflow;
    assert!(divergence_hint(&slot, objective.as_ref(), &view).contains("overflows"));
    // Rosenbrock far out: its Hessian overflows.
    let far = Curvature::at(
        preset("rosenbrock", None).unwrap().as_ref(),
        &[1e160, 1e160],
    );
    assert_eq!(far, Curvature::Overflow);
}

#[test]
fn long_runs_are_computed_on_a_worker_while_frames_go_on() {
    use descent::app::jobs::Runner;
    let mut s = sim("three-wells", 1_000_000, &[&[4.5, 0.2]]);
    s.runner = Runner::Background;
    s.speed = Speed::Instant;
    s.playing = true;
    // A frame with a tiny budget hands the run to a worker and returns.
    let first = s.advance(0.0, Duration::from_micros(1));
    assert!(!first.is_complete());
    assert!(s.workers_busy());
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut frames = 1;
    while !s.advance(0.0, Duration::from_micros(1)).is_complete() {
        assert!(
            std::time::Instant::now() < deadline,
            "the worker never finished"
        );
        std::thread::sleep(Duration::from_millis(5));
        frames += 1;
    }
    assert!(frames > 1);
    assert!(!s.workers_busy());
    let run = &s.slots()[0].run;
    assert_eq!(run.iterations(), 1_000_000);
    // The worker's run is the engine's run.
    let mut engine = descent::engine::Run::new(
        preset("three-wells", None).unwrap(),
        descent::engine::RunSpec {
            optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.1),
            start: vec![4.5, 0.2],
            max_iters: 1_000_000,
            tol: 0.0,
        },
    )
    .unwrap()
    .with_path_cap(2);
    engine.finish_all();
    assert_eq!(run.path().last_point(), engine.path().last_point());
}
