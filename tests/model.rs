//! The app's state without a window: actions applied by the model, replayed, undone and redone.

use std::time::Duration;

use descent::app::action::Action;
use descent::app::lab::BatchMode;
use descent::app::model::{Model, Notice};
use descent::app::simulation::Speed;
use descent::engine::function::DataSource;
use descent::engine::regression::DataSpec;
use descent::engine::{FunctionSpec, OptimizerConfig, OptimizerKind, Run, RunSpec, preset};

fn spec(text: &str) -> FunctionSpec {
    FunctionSpec::parse(text).unwrap()
}

/// Runs the animation to its end at once.
fn finish(model: &mut Model) {
    model.apply(Action::SetSpeed(Speed::Instant));
    if !model.sim.playing {
        model.apply(Action::TogglePlay);
    }
    for _ in 0..1000 {
        let progress = model.sim.advance(0.0, Duration::from_secs(10));
        if progress.is_complete() && !model.sim.playing {
            break;
        }
    }
}

fn starts(model: &Model) -> Vec<Vec<f64>> {
    model.sim.setups().into_iter().map(|s| s.start).collect()
}

/// The course lab's sauna with lr 0.25 from (0.5, 0.6), and a second run from (3.5, 3.6).
fn sauna_script() -> Vec<Action> {
    vec![
        Action::SetFunction(spec("sauna")),
        Action::SetStart(vec![0.5, 0.6]),
        Action::SetOptimizer(OptimizerConfig::new(OptimizerKind::Gd, 0.25)),
        Action::SetIterations(30),
        Action::AddRun(vec![3.5, 3.6]),
        Action::SelectRun(0),
    ]
}

#[test]
fn a_replayed_sequence_of_actions_gives_the_engines_run() {
    let mut model = Model::default();
    model.apply_all(sauna_script());
    finish(&mut model);
    assert_eq!(model.settings.function.name(), "sauna");
    assert_eq!(starts(&model), vec![vec![0.5, 0.6], vec![3.5, 3.6]]);
    let mut engine = Run::new(
        preset("sauna", None).unwrap(),
        RunSpec {
            optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.25),
            start: vec![0.5, 0.6],
            max_iters: 30,
            tol: 0.0,
        },
    )
    .unwrap();
    engine.finish_all();
    assert_eq!(model.sim.slots()[0].run.path(), engine.path());
    // The same actions on a fresh model give the same state.
    let mut again = Model::default();
    again.apply_all(sauna_script());
    finish(&mut again);
    assert_eq!(again.sim.setups(), model.sim.setups());
    assert_eq!(
        again.sim.slots()[1].run.path(),
        model.sim.slots()[1].run.path()
    );
}

#[test]
fn actions_are_plain_data_that_serialize() {
    let actions = vec![
        Action::SetFunction(spec("regression --data seed002 --standardize")),
        Action::SetBatch {
            mode: BatchMode::MiniBatch,
            size: 20,
        },
        Action::SetLabData(DataSource::Generated(DataSpec::seed000())),
        Action::SetTolerance {
            enabled: true,
            tol: 1e-6,
        },
    ];
    let text = serde_json::to_string(&actions).unwrap();
    let back: Vec<Action> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, actions);
}

#[test]
fn undo_walks_back_a_hundred_actions_and_redo_forward() {
    let mut model = Model::default();
    let mut history = vec![starts(&model)];
    for i in 0..150 {
        model.apply(Action::SetStart(vec![i as f64 * 0.01, 1.0]));
        history.push(starts(&model));
    }
    for back in 1..=100 {
        model.apply(Action::Undo);
        assert_eq!(starts(&model), history[150 - back], "after {back} undos");
    }
    for forward in 1..=100 {
        model.apply(Action::Redo);
        assert_eq!(
            starts(&model),
            history[50 + forward],
            "after {forward} redos"
        );
    }
    assert!(!model.can_redo());
    // A new action after undoing drops what could be redone.
    model.apply(Action::Undo);
    model.apply(Action::AddRun(vec![2.0, 2.0]));
    assert!(!model.can_redo());
}

#[test]
fn undo_restores_functions_runs_and_settings() {
    let mut model = Model::default();
    model.apply_all([
        Action::SetFunction(spec("three-wells")),
        Action::AddRun(vec![1.2, 3.0]),
        Action::SetOptimizer(OptimizerConfig::new(OptimizerKind::Adam, 0.05)),
    ]);
    model.end_gesture();
    let before = (model.settings.clone(), model.sim.setups());
    model.apply(Action::SetFunction(spec("rosenbrock")));
    assert_eq!(model.settings.function.name(), "rosenbrock");
    assert_eq!(model.sim.slots().len(), 1);
    model.apply(Action::Undo);
    assert_eq!(model.settings.function.name(), "three-wells");
    assert_eq!(model.sim.setups(), before.1);
    assert_eq!(model.settings.optimizer, before.0.optimizer);
    // Removing a run and undoing brings it back in its place.
    model.apply(Action::RemoveRun(0));
    assert_eq!(model.sim.slots().len(), 1);
    model.apply(Action::Undo);
    assert_eq!(model.sim.setups(), before.1);
}

#[test]
fn one_gesture_is_one_undo_step() {
    let mut model = Model::default();
    let original = model.sim.setups()[0].optimizer;
    // A slider drag: many learning rates, one gesture.
    for i in 1..=20 {
        model.apply(Action::SetOptimizer(OptimizerConfig::new(
            OptimizerKind::Gd,
            0.1 + i as f64 * 0.01,
        )));
    }
    model.end_gesture();
    model.apply(Action::SetOptimizer(OptimizerConfig::new(
        OptimizerKind::Gd,
        0.7,
    )));
    model.apply(Action::Undo);
    assert_eq!(model.sim.setups()[0].optimizer.lr, 0.1 + 20.0 * 0.01);
    model.apply(Action::Undo);
    assert_eq!(model.sim.setups()[0].optimizer, original);
    // Playback is not undone.
    model.apply(Action::TogglePlay);
    model.apply(Action::Step);
    assert!(!model.can_undo());
}

#[test]
fn the_lab_switches_data_and_back_through_actions() {
    let mut model = Model::default();
    model.apply(Action::SetFunction(spec("regression --data seed001")));
    assert!(model.in_lab());
    let seed001 = model.lab_data.clone().unwrap();
    model.apply_all([
        Action::SetLabData(DataSource::Generated(DataSpec::seed002())),
        Action::SetStandardize(true),
        Action::SetBatch {
            mode: BatchMode::Stochastic,
            size: 20,
        },
    ]);
    assert_eq!(
        model.settings.function.to_string(),
        "regression --data seed002 --standardize"
    );
    assert_eq!(model.sim.setups()[0].batch, Some(1));
    model.apply_all([Action::Undo, Action::Undo, Action::Undo]);
    assert_eq!(model.lab_data.as_deref(), Some(seed001.as_ref()));
    assert_eq!(model.sim.setups()[0].batch, None);
}

#[test]
fn bad_values_are_refused_with_a_notice_and_change_nothing() {
    let mut model = Model::default();
    let before = model.sim.setups();
    model.apply(Action::SetOptimizer(OptimizerConfig::new(
        OptimizerKind::Gd,
        f64::NAN,
    )));
    assert!(matches!(model.notice, Some(Notice::Error(_))));
    assert_eq!(model.sim.setups(), before);
    model.apply(Action::SetStart(vec![f64::INFINITY, 0.0]));
    assert_eq!(model.sim.setups(), before);
    model.apply(Action::SetFunction(spec("sum-squares --dim 5")));
    assert_eq!(model.settings.function.name(), "bowl");
    model.apply(Action::SetLabData(DataSource::Csv(
        "/no/such/file.csv".into(),
    )));
    assert!(
        matches!(&model.notice, Some(Notice::Error(e)) if e.contains("/no/such/file.csv")),
        "{:?}",
        model.notice
    );
    assert_eq!(model.settings.function.name(), "bowl");
}

#[test]
fn the_number_of_runs_is_bounded_and_the_user_is_told() {
    let mut model = Model::default();
    for i in 0..descent::app::model::MAX_RUNS + 5 {
        model.apply(Action::AddRun(vec![i as f64 * 0.001, 0.0]));
    }
    assert_eq!(model.sim.slots().len(), descent::app::model::MAX_RUNS);
    assert!(
        matches!(&model.notice, Some(Notice::Error(e)) if e.contains("at most")),
        "{:?}",
        model.notice
    );
}

#[test]
fn long_runs_keep_a_bounded_path_with_an_exact_end() {
    let mut model = Model::default();
    model.apply_all([
        Action::SetOptimizer(OptimizerConfig::new(OptimizerKind::Gd, 1e-6)),
        Action::SetIterations(1_000_000),
    ]);
    finish(&mut model);
    let run = &model.sim.slots()[0].run;
    assert_eq!(run.iterations(), 1_000_000);
    let path = run.path();
    assert!(path.values().len() <= descent::app::simulation::PATH_CAP);
    assert!(path.stride() > 1);
    // The end is exact: the engine's own run lands on the same point.
    let mut engine = Run::new(
        preset("bowl", None).unwrap(),
        RunSpec {
            optimizer: OptimizerConfig::new(OptimizerKind::Gd, 1e-6),
            start: vec![0.0, 0.0],
            max_iters: 1_000_000,
            tol: 0.0,
        },
    )
    .unwrap()
    .with_path_cap(2);
    engine.finish_all();
    assert_eq!(path.last_point(), engine.path().last_point());
    assert_eq!(path.last_value(), engine.path().last_value());
}

#[test]
fn the_labs_mode_can_be_chosen_with_no_runs() {
    let mut model = Model::default();
    model.apply_all([
        Action::SetFunction(spec("regression --data seed001")),
        Action::ClearRuns,
        Action::SetBatch {
            mode: BatchMode::Stochastic,
            size: 20,
        },
    ]);
    assert!(model.sim.slots().is_empty());
    assert_eq!(model.settings.lab.mode, BatchMode::Stochastic);
    model.apply(Action::SetStart(vec![1.0, 1.0]));
    assert_eq!(
        model.sim.setups()[0].batch,
        Some(1),
        "the new run is stochastic"
    );
}

fn formula(text: &str) -> FunctionSpec {
    FunctionSpec::Formula(descent::engine::expr::Expr::parse(text).unwrap())
}

#[test]
fn typing_a_formula_is_one_undo_step_and_an_error_keeps_the_last_valid_function() {
    let mut model = Model::default();
    for typed in ["x", "x^", "x^2", "x^2 +", "x^2 + y", "x^2 + y^2"] {
        model.apply(Action::EditFormula(typed.to_string()));
    }
    assert_eq!(model.settings.function, formula("x^2 + y^2"));
    model.end_gesture();
    model.apply(Action::EditFormula("x^2 + y^2 + z".to_string()));
    let error = model.formula_error.clone().expect("z is a third variable");
    assert_eq!(error.position, 12);
    assert!(error.message.contains("x and y only"), "{}", error.message);
    assert_eq!(model.settings.function, formula("x^2 + y^2"));
    assert_eq!(model.settings.formula, "x^2 + y^2 + z");
    model.apply(Action::Undo);
    assert_eq!(model.settings.formula, "x^2 + y^2");
    assert!(model.formula_error.is_none());
    model.apply(Action::Undo);
    assert_eq!(
        model.settings.function,
        spec("bowl"),
        "the typing was one step"
    );
}

#[test]
fn a_start_where_the_formula_is_not_finite_is_refused_and_a_run_stops_at_the_edge() {
    let mut model = Model::default();
    model.apply(Action::EditFormula("sqrt(x) + y^2".to_string()));
    model.apply(Action::SetStart(vec![2.0, 1.0]));
    model.end_gesture();
    // sqrt(0) is finite but its slope is not: the start is refused, the run stays.
    for refused in [vec![-1.0, 0.0], vec![0.0, 0.0]] {
        model.apply(Action::SetStart(refused.clone()));
        match &model.notice {
            Some(Notice::Error(message)) => assert!(message.contains("domain"), "{message}"),
            other => panic!("{refused:?} was not refused: {other:?}"),
        }
        assert_eq!(starts(&model), vec![vec![2.0, 1.0]]);
    }
    // Descent on sqrt(x) walks toward x = 0 and steps out of the domain.
    model.apply(Action::SetOptimizer(OptimizerConfig::new(
        OptimizerKind::Gd,
        1.0,
    )));
    finish(&mut model);
    let run = &model.sim.slots()[0].run;
    assert_eq!(
        run.stop_reason(),
        Some(descent::engine::StopReason::LeftDomain)
    );
}

#[test]
fn a_formula_typed_on_its_way_through_a_domain_that_refuses_a_start_keeps_that_run() {
    let mut model = Model::default();
    model.apply(Action::EditFormula("x^2+y^2".to_string()));
    model.apply(Action::SetStart(vec![1.0, 1.0]));
    model.apply(Action::AddRun(vec![-1.0, 2.0]));
    model.end_gesture();
    // On the way to `+log(y+3)`: log(y-3) is defined for neither start.
    model.apply(Action::EditFormula("x^2+y^2+log(y-3)".to_string()));
    assert!(model.sim.slots().is_empty());
    match &model.notice {
        Some(Notice::Error(e)) => assert!(e.contains("2 runs are set aside"), "{e}"),
        other => panic!("the runs left without a word: {other:?}"),
    }
    model.apply(Action::EditFormula("x^2+y^2+log(y-1.5)".to_string()));
    assert_eq!(
        starts(&model),
        vec![vec![-1.0, 2.0]],
        "the one it takes is back"
    );
    model.apply(Action::EditFormula("x^2+y^2+log(y+3)".to_string()));
    let mut back = starts(&model);
    back.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(back, vec![vec![-1.0, 2.0], vec![1.0, 1.0]], "both are back");
    assert!(model.notice.is_none(), "{:?}", model.notice);
    // Undo brings back the formula before the typing, with both runs, once each.
    model.end_gesture();
    model.apply(Action::Undo);
    model.apply(Action::EditFormula("x^2+y^2+1".to_string()));
    assert_eq!(model.sim.slots().len(), 2);
}

#[test]
fn saved_functions_and_the_view_box_survive_the_state_file() {
    let mut model = Model::default();
    model.apply(Action::EditFormula("sin(x)*cos(y)".to_string()));
    let view = vec![
        descent::engine::Interval::new(-10.0, 10.0),
        descent::engine::Interval::new(-1.0, 3.0),
    ];
    model.apply(Action::SetView(Some(view.clone())));
    model.apply(Action::SaveFunction(" egg crate ".to_string()));
    model.apply(Action::SetFunction(spec("sauna")));
    assert!(
        model.settings.view.is_none(),
        "a new function brings its own view"
    );
    model.apply(Action::OpenSaved(0));
    assert_eq!(model.settings.function, formula("sin(x)*cos(y)"));
    assert_eq!(model.view(), view);
    let text = model.settings.to_state_text();
    let (settings, reset) = descent::app::Settings::from_state_text(&text);
    assert!(reset.is_empty(), "{reset:?}");
    let restored = Model::new(settings);
    assert_eq!(restored.settings.saved[0].name, "egg crate");
    assert_eq!(restored.settings.function, formula("sin(x)*cos(y)"));
    assert_eq!(restored.view(), view);
    // A saved formula this version cannot read (a hand edit, a newer version's function)
    // is kept, not fatal and not lost: opening it says why it does not open.
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["saved"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": "bad", "formula": "2x"}));
    value["view"] = serde_json::json!([{"lo": 5.0, "hi": -5.0}, {"lo": 0.0, "hi": 1.0}]);
    let (settings, _) = descent::app::Settings::from_state_text(&value.to_string());
    let mut restored = Model::new(settings);
    assert_eq!(restored.settings.saved.len(), 2);
    assert!(restored.settings.view.is_none());
    restored.apply(Action::OpenSaved(1));
    assert_eq!(restored.settings.function, formula("sin(x)*cos(y)"));
    match &restored.notice {
        Some(Notice::Error(e)) => assert!(
            e.contains("\"bad\" cannot be read") && e.contains("(its formula: 2x)"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    let (again, _) = descent::app::Settings::from_state_text(&restored.settings.to_state_text());
    assert_eq!(
        again.sanitized().saved[1].formula,
        "2x",
        "the next save keeps it"
    );
}
