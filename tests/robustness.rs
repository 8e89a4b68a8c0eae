//! Robustness: random sequences of every action a user can take, with extreme values, applied
//! to the app's state without a window. After each action nothing panics, nothing that is
//! drawn holds NaN or infinity, every run is consistent with its stop reason, and undo
//! restores the state before the action (redo the state after it).
//!
//! `DESCENT_PROPTEST_CASES` sets the number of sequences (10,000 by default, as in CI); a long
//! run: `DESCENT_PROPTEST_CASES=200000 cargo test --release --test robustness`.

use std::time::Duration;

use descent::app::DescentApp;
use descent::app::action::{Action, DataEdit};
use descent::app::lab::BatchMode;
use descent::app::model::Model;
use descent::app::settings::{BottomTab, DisplaySettings, Layout, Settings};
use descent::app::simulation::Speed;
use descent::engine::function::DataSource;
use descent::engine::lesson::BUILT_IN;
use descent::engine::optimizer::GradientNoise;
use descent::engine::presets::PRESET_NAMES;
use descent::engine::regression::DataSpec;
use descent::engine::schedule::{Schedule, ScheduleKind};
use descent::engine::{FunctionSpec, Interval, OptimizerConfig, OptimizerKind};
use egui_kittest::Harness;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

/// Sequences per run of the property: `DESCENT_PROPTEST_CASES`, else 10,000.
fn cases() -> u32 {
    env_count("DESCENT_PROPTEST_CASES", 10_000)
}

/// Sequences driven through the window: `DESCENT_PROPTEST_FRAME_CASES`, else 60.
fn frame_cases() -> u32 {
    env_count("DESCENT_PROPTEST_FRAME_CASES", 60)
}

fn env_count(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The most vertices one frame may hand to the GPU once tessellated: a swarm of 1,000 runs
/// with every overlay on stays far below it (random sequences stay under 150,000); the
/// exp-log tangent that once crashed the window was a shape millions of points long.
const MAX_FRAME_VERTICES: usize = 1_000_000;

/// Numbers a user can type or a slider can reach, extremes first.
fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => prop::sample::select(vec![
            0.0,
            -0.0,
            1e-300,
            -1e-300,
            1e300,
            -1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            1e-7,
            0.01,
            0.5,
            0.9,
            1.0,
            3.0,
            -2.0,
            1e6,
        ]),
        3 => -10.0..10.0f64,
        1 => any::<f64>(),
    ]
}

/// Counts: iterations, epochs, sizes, indices, with the extremes.
fn count() -> impl Strategy<Value = u64> {
    prop_oneof![
        prop::sample::select(vec![0, 1, 2, 3, 100, 10_000, 10_000_000, u64::MAX]),
        0u64..200,
    ]
}

fn index() -> impl Strategy<Value = usize> {
    prop_oneof![
        4 => 0usize..6,
        1 => prop::sample::select(vec![999, 1_000_000, usize::MAX]),
    ]
}

fn point() -> impl Strategy<Value = Vec<f64>> {
    prop_oneof![
        4 => prop::collection::vec(number(), 2),
        1 => prop::collection::vec(number(), 0..5),
    ]
}

/// Typed formulas: most parse (some to functions undefined in places), some do not.
fn formula() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("x".to_string()),
        Just("y".to_string()),
        Just("0".to_string()),
        Just("1e308".to_string()),
        Just("1e-300".to_string()),
        Just("pi".to_string()),
        (-5i32..6).prop_map(|n| n.to_string()),
    ];
    let expr = leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (
                inner.clone(),
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/", "^"])
            )
                .prop_map(|(a, b, op)| format!("({a}){op}({b})")),
            (
                inner,
                prop::sample::select(vec!["ln", "exp", "sqrt", "sin", "cos", "tan", "abs"])
            )
                .prop_map(|(a, f)| format!("{f}({a})")),
        ]
    });
    prop_oneof![
        8 => expr,
        1 => Just(String::new()),
        1 => "[ -~]{0,30}",
        1 => Just("(".repeat(300)),
    ]
}

fn data_source() -> impl Strategy<Value = DataSource> {
    let text = prop_oneof![
        Just("seed000".to_string()),
        Just("seed001".to_string()),
        Just("seed002".to_string()),
        Just("gen:n=2,lo=0,hi=1".to_string()),
        Just("gen:a=1e300,b=1e300,n=50".to_string()),
        Just("gen:n=3000,sigma=0".to_string()),
        Just("points:0,1;1,3;2,4.5".to_string()),
        Just("points:1e300,1e300;-1e300,-1e300".to_string()),
        Just("/nonexistent/points.csv".to_string()),
    ];
    text.prop_filter_map("a source that parses", |t| DataSource::parse(&t).ok())
}

fn function() -> impl Strategy<Value = FunctionSpec> {
    prop_oneof![
        4 => prop::sample::select(PRESET_NAMES.to_vec())
            .prop_map(|name| FunctionSpec::parse(name).unwrap()),
        1 => (1usize..12).prop_map(|dim| FunctionSpec::parse(&format!("sum-squares --dim {dim}")).unwrap()),
        2 => (data_source(), any::<bool>())
            .prop_map(|(data, standardize)| FunctionSpec::Regression { data, standardize }),
        2 => formula().prop_filter_map("a formula that parses", |f| {
            descent::engine::expr::Expr::parse(&f).ok().map(FunctionSpec::Formula)
        }),
    ]
}

fn optimizer() -> impl Strategy<Value = OptimizerConfig> {
    let schedule = (
        prop::sample::select(ScheduleKind::ALL.to_vec()),
        count(),
        prop::option::of(number()),
        count(),
        number(),
        count(),
    )
        .prop_map(
            |(kind, step_size, gamma, t_max, eta_min, warmup)| Schedule {
                kind,
                step_size,
                gamma,
                t_max,
                eta_min,
                warmup,
            },
        );
    let hyper = (
        number(),
        number(),
        number(),
        number(),
        number(),
        number(),
        number(),
    );
    let options = (
        prop::option::of(number()),
        prop::option::of(number()),
        prop::option::of(number()),
        any::<bool>(),
        prop::option::of((number(), any::<u64>())),
    );
    (
        prop::sample::select(OptimizerKind::ALL.to_vec()),
        prop_oneof![3 => Just(0.1), 3 => number()],
        hyper,
        options,
        prop_oneof![3 => Just(Schedule::default()), 1 => schedule],
    )
        .prop_map(
            |(kind, lr, (momentum, alpha, beta1, beta2, rho, psi, _), options, schedule)| {
                let (eps, clip, weight_decay, amsgrad, noise) = options;
                let base = OptimizerConfig::new(kind, lr);
                // Hyperparameters mostly keep their defaults, so many runs are valid.
                let pick = |value: f64, default: f64| {
                    // In [0, 1) as the controls allow, or 3, which each refuses.
                    let kept = (value.is_finite() && (0.0..1.0).contains(&value)) || value == 3.0;
                    if kept { value } else { default }
                };
                OptimizerConfig {
                    momentum: pick(momentum, base.momentum),
                    alpha: pick(alpha, base.alpha),
                    beta1: pick(beta1, base.beta1),
                    beta2: pick(beta2, base.beta2),
                    rho: pick(rho, base.rho),
                    momentum_decay: pick(psi, base.momentum_decay),
                    eps,
                    clip,
                    weight_decay,
                    amsgrad,
                    schedule,
                    noise: noise.map(|(sigma, seed)| GradientNoise { sigma, seed }),
                    ..base
                }
            },
        )
}

fn display() -> impl Strategy<Value = DisplaySettings> {
    (
        any::<bool>(),
        index(),
        index(),
        prop::sample::select(vec![Layout::TwoD, Layout::ThreeD, Layout::Both]),
        any::<[bool; 6]>(),
        prop::option::of((number(), number())),
        prop::sample::select(vec![
            BottomTab::Convergence,
            BottomTab::Step,
            BottomTab::Sweep,
        ]),
    )
        .prop_map(|(log_color, contours, arrows, layout, flags, z, bottom)| {
            let [surface_grid, tangent, slices, critical, basins, internals] = flags;
            DisplaySettings {
                log_color,
                contour_count: contours,
                quiver_density: arrows,
                layout,
                surface_grid,
                tangent,
                slices,
                critical,
                basins,
                internals,
                z_range: z.map(|(lo, hi)| Interval { lo, hi }),
                bottom,
                ..DisplaySettings::default()
            }
        })
}

fn view() -> impl Strategy<Value = Option<Vec<Interval>>> {
    prop::option::of(prop::collection::vec(
        (number(), number()).prop_map(|(lo, hi)| Interval { lo, hi }),
        0..4,
    ))
}

fn generator() -> impl Strategy<Value = DataSpec> {
    (
        number(),
        number(),
        number(),
        count(),
        number(),
        number(),
        any::<bool>(),
    )
        .prop_map(|(a, b, sigma, n, lo, hi, even)| DataSpec {
            a,
            b,
            sigma,
            n: n.min(1 << 40) as usize,
            lo,
            hi,
            even,
            seed: 0,
        })
}

fn lesson() -> impl Strategy<Value = Action> {
    let built_in =
        prop::sample::select(BUILT_IN.to_vec()).prop_map(|(name, text)| Action::OpenLesson {
            name: name.to_string(),
            text: text.to_string(),
            folder: None,
        });
    let broken = "[ -~\n]{0,200}".prop_map(|text| Action::OpenLesson {
        name: "broken".to_string(),
        text,
        folder: None,
    });
    prop_oneof![3 => built_in, 1 => broken]
}

/// Every action, with values from the whole range a user (or a file) can give.
fn action() -> impl Strategy<Value = Action> {
    let runs = prop_oneof![
        point().prop_map(Action::SetStart),
        point().prop_map(Action::AddRun),
        prop::collection::vec(optimizer(), 0..4).prop_map(Action::Race),
        (
            prop::sample::select(vec![0usize, 1, 7, 200, 1000, 5000]),
            any::<u64>()
        )
            .prop_map(|(count, seed)| Action::Scatter { count, seed }),
        index().prop_map(Action::RemoveRun),
        index().prop_map(Action::SelectRun),
        Just(Action::ClearRuns),
        optimizer().prop_map(Action::SetOptimizer),
        count().prop_map(Action::SetIterations),
        (any::<bool>(), number()).prop_map(|(enabled, tol)| Action::SetTolerance { enabled, tol }),
        prop::option::of(count()).prop_map(Action::SetBudget),
    ];
    let playback = prop_oneof![
        number().prop_map(|r| Action::SetSpeed(Speed::PerSecond(r))),
        Just(Action::SetSpeed(Speed::Instant)),
        Just(Action::TogglePlay),
        Just(Action::Step),
        Just(Action::Reset),
        index().prop_map(Action::ScrubTo),
        any::<bool>().prop_map(Action::SetPreview),
        Just(Action::Undo),
        Just(Action::Redo),
    ];
    let view = prop_oneof![
        display().prop_map(Action::SetDisplay),
        any::<bool>().prop_map(Action::SetChartLog),
        view().prop_map(Action::SetView),
    ];
    let lab =
        prop_oneof![
            data_source().prop_map(Action::SetLabData),
            any::<bool>().prop_map(Action::SetStandardize),
            (
                prop::sample::select(vec![
                    BatchMode::Batch,
                    BatchMode::MiniBatch,
                    BatchMode::Stochastic
                ]),
                index()
            )
                .prop_map(|(mode, size)| Action::SetBatch { mode, size }),
            (count(), any::<u64>(), any::<bool>()).prop_map(|(epochs, seed, shuffle)| {
                Action::SetLabTraining {
                    epochs,
                    seed,
                    shuffle,
                }
            }),
            any::<bool>().prop_map(Action::SetBatchContours),
            generator().prop_map(Action::EditGenerator),
            "[ -~]{0,20}".prop_map(Action::EditCsvPath),
            (index(), number(), number())
                .prop_map(|(index, x, y)| Action::EditData(DataEdit::Move { index, x, y })),
            (number(), number()).prop_map(|(x, y)| Action::EditData(DataEdit::Add { x, y })),
            index().prop_map(|index| Action::EditData(DataEdit::Remove { index })),
        ];
    let files = prop_oneof![
        formula().prop_map(Action::EditFormula),
        "[ -~]{0,80}".prop_map(Action::SaveFunction),
        index().prop_map(Action::OpenSaved),
        (index(), "[ -~\n]{0,80}").prop_map(|(i, name)| Action::RenameSaved(i, name)),
        index().prop_map(Action::RemoveSaved),
        lesson(),
        index().prop_map(Action::LessonStep),
        Just(Action::CloseLesson),
        (function(), display()).prop_map(|(function, display)| Action::OpenScenario {
            settings: Box::new(Settings {
                function,
                display,
                ..Settings::default()
            }),
            skipped: Vec::new(),
        }),
    ];
    prop_oneof![
        3 => function().prop_map(Action::SetFunction),
        6 => runs,
        4 => playback,
        2 => view,
        4 => lab,
        3 => files,
    ]
}

/// What undo restores: the settings (with the runs as set up), the selection and the data.
fn state(model: &Model) -> String {
    let settings = Settings {
        runs: model.sim.setups(),
        ..model.settings.clone()
    };
    let data = model
        .lab_data
        .as_ref()
        .map(|d| format!("{:?}{:?}", d.x, d.y));
    format!(
        "{}|{}|{:?}",
        settings.to_state_text(),
        model.sim.selected,
        data
    )
}

/// Everything the views draw from the model is finite; runs agree with their stop reason.
fn check_drawable(model: &Model) -> Result<(), TestCaseError> {
    for interval in model.view() {
        prop_assert!(
            interval.lo.is_finite() && interval.hi.is_finite() && interval.lo < interval.hi,
            "view {interval:?}"
        );
    }
    if let Some(data) = &model.lab_data {
        prop_assert!(data.x.iter().chain(&data.y).all(|v| v.is_finite()));
        let summary = model
            .lab_summary
            .as_ref()
            .expect("data comes with its summary");
        prop_assert!(summary.x_range.0.is_finite() && summary.x_range.1.is_finite());
        if let Some(best) = summary.best {
            prop_assert!(best.iter().all(|v| v.is_finite()), "least squares {best:?}");
        }
    }
    prop_assert!(model.sim.slots().len() <= 1000, "at most 1,000 runs");
    let shown = model.sim.shown();
    for (i, slot) in model.sim.slots().iter().enumerate() {
        let run = &slot.run;
        let path = run.path();
        // Paths hold only finite iterates: a diverging run stops before a NaN is stored.
        let samples = path.points().len();
        for j in [0, samples / 2, samples.saturating_sub(1)] {
            prop_assert!(
                path.points()
                    .nth(j)
                    .is_some_and(|p| p.iter().all(|v| v.is_finite())),
                "run {i}, sample {j} of {samples}"
            );
        }
        let at = shown.min(run.iterations());
        prop_assert!(
            path.point(at).iter().all(|v| v.is_finite()),
            "run {i} at {at}"
        );
        let max = run.spec().max_iters;
        prop_assert!(
            run.iterations() as u64 <= max,
            "run {i} past its iterations"
        );
        prop_assert_eq!(run.is_finished(), run.stop_reason().is_some());
        if run.iterations() as u64 == max {
            prop_assert!(
                run.is_finished(),
                "run {i} at its last iteration without a stop reason"
            );
        }
    }
    Ok(())
}

/// Fails with where two states first differ.
fn same(got: &str, want: &str, what: &str, action: &Action) -> Result<(), TestCaseError> {
    if got == want {
        return Ok(());
    }
    let at = got
        .char_indices()
        .zip(want.chars())
        .find(|((_, a), b)| a != b)
        .map_or(got.len().min(want.len()), |((i, _), _)| i);
    let window = |s: &str| {
        let lo = s.floor_char_boundary(at.saturating_sub(120));
        let hi = s.ceil_char_boundary((at + 120).min(s.len()));
        s[lo..hi].to_string()
    };
    Err(TestCaseError::fail(format!(
        "{what} of {action:?} differs:\n got: ...{}...\nwant: ...{}...",
        window(got),
        window(want)
    )))
}

/// Applies `actions` one by one to a fresh model, checking after each one.
fn replay(actions: Vec<Action>) -> Result<(), TestCaseError> {
    let mut model = Model::new(Settings::default());
    for action in actions {
        model.end_gesture();
        let before = state(&model);
        let undoable = action.is_undoable();
        if std::env::var_os("DESCENT_TRACE").is_some() {
            eprintln!("{action:?}");
        }
        model.apply(action.clone());
        model.sim.advance(0.05, Duration::from_micros(300));
        check_drawable(&model)?;
        if undoable {
            let after = state(&model);
            model.apply(Action::Undo);
            same(&state(&model), &before, "undo", &action)?;
            check_drawable(&model)?;
            model.apply(Action::Redo);
            same(&state(&model), &after, "redo", &action)?;
            check_drawable(&model)?;
        }
    }
    Ok(())
}

/// Runs `test` on a thread with a large stack: generating values of a strategy as deep as
/// [`action`]'s recurses deeply in an unoptimized build.
fn with_large_stack(test: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(test)
        .unwrap()
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

/// The runner: `DESCENT_PROPTEST_SEED` picks the sequences (0 by default, so CI is
/// repeatable).
fn runner(cases: u32) -> TestRunner {
    let seed = std::env::var("DESCENT_PROPTEST_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0u64);
    TestRunner::new(Config {
        cases,
        max_shrink_iters: 2_000,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    })
}

#[test]
fn no_sequence_of_actions_breaks_the_model() {
    with_large_stack(|| {
        runner(cases())
            .run(&prop::collection::vec(action(), 1..10), replay)
            .unwrap();
    });
}

/// Vertices of the last frame once tessellated, as egui would hand them to the GPU.
fn tessellated_vertices(h: &Harness<'_, DescentApp>) -> usize {
    let output = h.output();
    h.ctx
        .tessellate(output.shapes.clone(), output.pixels_per_point)
        .iter()
        .map(|p| match &p.primitive {
            egui::epaint::Primitive::Mesh(mesh) => mesh.vertices.len(),
            egui::epaint::Primitive::Callback(_) => 0,
        })
        .sum()
}

/// Applies `actions` to the window's app, drawing two frames after each one.
fn replay_in_window(actions: Vec<Action>) -> Result<(), TestCaseError> {
    let app = DescentApp::new(Settings::default())
        .without_persistence()
        .with_inline_jobs();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut DescentApp| app.ui(ui), app);
    h.step();
    for action in actions {
        h.state_mut().model.apply(action.clone());
        for _ in 0..2 {
            h.step();
            let vertices = tessellated_vertices(&h);
            prop_assert!(
                vertices < MAX_FRAME_VERTICES,
                "{vertices} vertices after {action:?}"
            );
        }
        check_drawable(&h.state().model)?;
    }
    Ok(())
}

#[test]
fn random_sequences_in_the_window_draw_bounded_frames() {
    with_large_stack(|| {
        runner(frame_cases())
            .run(&prop::collection::vec(action(), 1..6), replay_in_window)
            .unwrap();
    });
}

// What the property found, kept as regression tests.

#[test]
fn undo_and_redo_of_clear_runs_are_exact() {
    let mut model = Model::new(Settings::default());
    let before = state(&model);
    model.apply(Action::ClearRuns);
    let after = state(&model);
    assert!(model.sim.slots().is_empty());
    model.apply(Action::Undo);
    assert_eq!(state(&model), before);
    model.apply(Action::Redo);
    assert_eq!(
        state(&model),
        after,
        "redo brings back no runs, not a default run"
    );
}

#[test]
fn a_scenario_whose_data_file_is_gone_changes_nothing() {
    let mut model = Model::new(Settings::default());
    let before = state(&model);
    model.apply(Action::OpenScenario {
        settings: Box::new(Settings {
            function: FunctionSpec::parse("regression --data /nonexistent/points.csv").unwrap(),
            ..Settings::default()
        }),
        skipped: Vec::new(),
    });
    assert_eq!(state(&model), before);
    let notice = format!("{:?}", model.notice);
    assert!(
        notice.contains("nothing changed") && notice.contains("points.csv"),
        "{notice}"
    );
}

#[test]
fn a_run_of_ten_million_iterations_ends_exactly_where_the_engine_does() {
    let mut model = Model::new(Settings {
        function: FunctionSpec::parse("three-wells").unwrap(),
        ..Settings::default()
    });
    model.apply_all([
        Action::SetOptimizer(OptimizerConfig::new(OptimizerKind::Gd, 0.01)),
        Action::SetStart(vec![1.0, 3.0]),
        Action::SetIterations(10_000_000),
        Action::SetSpeed(Speed::Instant),
    ]);
    if !model.sim.playing {
        model.apply(Action::TogglePlay);
    }
    while !model.sim.advance(0.0, Duration::from_secs(1)).is_complete() {}
    let run = &model.sim.slots()[0].run;
    let mut engine = descent::engine::Run::new(
        descent::engine::preset("three-wells", None).unwrap(),
        descent::engine::RunSpec {
            optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.01),
            start: vec![1.0, 3.0],
            max_iters: 10_000_000,
            tol: 0.0,
        },
    )
    .unwrap();
    let stop = engine.finish_all();
    assert_eq!(run.iterations(), 10_000_000);
    assert_eq!(run.stop_reason(), Some(stop));
    let bits = |p: &[f64]| p.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(run.path().last_point()),
        bits(engine.path().last_point())
    );
    assert_eq!(
        run.path().last_value().to_bits(),
        engine.path().last_value().to_bits()
    );
    // The path on screen keeps a bounded sample of the ten million iterates.
    assert_eq!(
        run.path().len(),
        10_000_001,
        "iterate 0 and ten million more"
    );
    assert!(run.path().values().len() <= descent::app::simulation::PATH_CAP);
}
