//! Window benchmarks: heatmap recompute, and the CPU time of whole frames, tessellation
//! included, in the situations that load a frame most.
//!
//! Targets: heatmap for a 1280 x 800 view <= 8 ms; one frame with 100 runs animating on
//! three-wells <= 4 ms; a frame while paths are still being computed (on worker threads, as
//! in the window), or while 10 runs of 1,000,000 iterations are exported, stays under 16 ms;
//! turning the 3-D view of a 128 x 128 surface with 10 paths <= 6 ms; the slowest frame of a
//! run of 10,000,000 iterations <= 50 ms.

use criterion::{Criterion, criterion_group, criterion_main};
use descent::app::action::Action;
use descent::app::field::{Colormap, HeatmapKey, heatmap_from_view};
use descent::app::lab::BatchMode;
use descent::app::settings::Layout;
use descent::app::simulation::{RunSetup, Speed};
use descent::app::{DescentApp, Settings};
use descent::engine::function::DataSource;
use descent::engine::regression::DataSpec;
use descent::engine::{FunctionSpec, Interval, OptimizerConfig, OptimizerKind, preset};
use egui_kittest::Harness;
use std::hint::black_box;

fn heatmap(c: &mut Criterion) {
    let objective = preset("three-wells", None).unwrap();
    let key = HeatmapKey {
        function: 0,
        x: Interval::new(0.0, 5.0),
        y: Interval::new(0.0, 5.0),
        width: 1280,
        height: 800,
        colormap: Colormap::Viridis,
        log: false,
    };
    c.bench_function("heatmap_1280x800_three-wells", |b| {
        b.iter(|| heatmap_from_view(objective.as_ref(), black_box(&key)));
    });
    let log_key = HeatmapKey {
        log: true,
        ..key.clone()
    };
    c.bench_function("heatmap_1280x800_three-wells_log", |b| {
        b.iter(|| heatmap_from_view(objective.as_ref(), black_box(&log_key)));
    });
    // A high-DPI screen: two pixels per point, four times the pixels.
    let hidpi = HeatmapKey {
        width: 2560,
        height: 1600,
        ..key.clone()
    };
    c.bench_function("heatmap_1280x800_three-wells_2x_pixels", |b| {
        b.iter(|| heatmap_from_view(objective.as_ref(), black_box(&hidpi)));
    });
}

fn harness(app: DescentApp) -> Harness<'static, DescentApp> {
    // As the window does when it opens.
    descent::app::keep_freed_memory();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(
            |ui, app: &mut DescentApp| app.ui(ui),
            app.with_inline_jobs(),
        );
    h.run_steps(3);
    h
}

/// One frame: the app's UI, egui's layout, and the tessellation of everything it drew.
fn frame(h: &mut Harness<'_, DescentApp>) -> usize {
    h.step();
    let output = h.output();
    let primitives = h
        .ctx
        .tessellate(output.shapes.clone(), output.pixels_per_point);
    primitives.len()
}

fn frames(c: &mut Criterion) {
    let runs = (0..100)
        .map(|i| RunSetup {
            start: vec![0.25 + 0.5 * (i % 10) as f64, 0.25 + 0.5 * (i / 10) as f64],
            optimizer: OptimizerConfig::new(OptimizerKind::Momentum, 0.02),
            color: i,
            batch: None,
        })
        .collect();
    let mut h = harness(DescentApp::new(Settings {
        function: FunctionSpec::parse("three-wells").unwrap(),
        runs,
        iterations: 2000,
        speed: Speed::PerSecond(300.0),
        ..Settings::default()
    }));
    c.bench_function("frame_100_runs_three-wells_tessellated", |b| {
        b.iter(|| {
            if !h.state().model.sim.playing {
                h.state_mut().apply([Action::Reset]);
            }
            frame(&mut h)
        });
    });

    // 100 line-search runs of 1,000,000 iterations, instant: every frame computes as much as
    // its budget allows and draws what it has.
    let runs = (0..100)
        .map(|i| RunSetup {
            start: vec![-1.5 + 0.03 * i as f64, 2.0],
            optimizer: OptimizerConfig::new(OptimizerKind::LineSearch, 1.0),
            color: i,
            batch: None,
        })
        .collect();
    let mut h = harness(DescentApp::new(Settings {
        function: FunctionSpec::parse("rosenbrock").unwrap(),
        runs,
        iterations: 1_000_000,
        speed: Speed::Instant,
        ..Settings::default()
    }));
    // As in the window: long computations of runs go to worker threads.
    h.state_mut().model.sim.runner = descent::app::jobs::Runner::Background;
    c.bench_function("frame_100_linesearch_runs_computing", |b| {
        b.iter(|| {
            if h.state().progress.is_complete() {
                h.state_mut().model.sim.rebuild().unwrap();
                h.state_mut().apply([Action::SetSpeed(Speed::Instant)]);
            }
            frame(&mut h)
        });
    });

    // The lab on 500,000 points, stochastic and mini-batch runs with batches of 500,000.
    let mut app = DescentApp::new(Settings::default());
    app.apply([
        Action::SetFunction(FunctionSpec::Regression {
            data: DataSource::Generated(DataSpec {
                n: 500_000,
                ..DataSpec::seed001()
            }),
            standardize: false,
        }),
        Action::SetBatch {
            mode: BatchMode::MiniBatch,
            size: 499_999,
        },
        Action::SetLabTraining {
            epochs: 10_000,
            seed: 0,
            shuffle: true,
        },
        Action::SetSpeed(Speed::Instant),
    ]);
    let mut h = harness(app);
    h.state_mut().model.sim.runner = descent::app::jobs::Runner::Background;
    c.bench_function("frame_lab_minibatch_500k_points_computing", |b| {
        b.iter(|| {
            if h.state().progress.is_complete() {
                h.state_mut().model.sim.rebuild().unwrap();
                h.state_mut().apply([Action::SetSpeed(Speed::Instant)]);
            }
            frame(&mut h)
        });
    });
}

fn frame_while_exporting(c: &mut Criterion) {
    let runs = (0..10)
        .map(|i| RunSetup {
            start: vec![0.1 * i as f64, 1.0],
            optimizer: OptimizerConfig::new(OptimizerKind::Gd, 1e-7),
            color: i,
            batch: None,
        })
        .collect();
    let app = DescentApp::new(Settings {
        function: FunctionSpec::parse("three-wells").unwrap(),
        runs,
        iterations: 1_000_000,
        ..Settings::default()
    });
    let mut h = harness(app);
    let dir = std::env::temp_dir().join(format!("descent-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("paths.csv");
    let start_export = |h: &mut Harness<'_, DescentApp>| {
        let app = h.state_mut();
        app.runner = descent::app::jobs::Runner::Background;
        app.start_export_csv(file.clone());
    };
    start_export(&mut h);
    c.bench_function("frame_while_exporting_10_runs_of_1M_iterations", |b| {
        b.iter(|| {
            if !h.state().is_exporting() {
                start_export(&mut h);
            }
            frame(&mut h)
        });
    });
    std::fs::remove_dir_all(&dir).ok();
}

/// Turning the 3-D view: a 128 x 128 surface with 10 paths, the camera moved every frame,
/// so each frame projects, sorts and tessellates the whole mesh (the mesh itself is built
/// once: it depends on the function, the view box and the f range, not on the camera).
fn frame_3d_orbit(c: &mut Criterion) {
    let runs = (0..10)
        .map(|i| RunSetup {
            start: vec![0.25 + 0.5 * i as f64, 4.5 - 0.4 * i as f64],
            optimizer: OptimizerConfig::new(OptimizerKind::Momentum, 0.05),
            color: i,
            batch: None,
        })
        .collect();
    let mut settings = Settings {
        function: FunctionSpec::parse("three-wells").unwrap(),
        runs,
        iterations: 500,
        speed: Speed::Instant,
        ..Settings::default()
    };
    settings.display.layout = Layout::ThreeD;
    let mut h = harness(DescentApp::new(settings));
    h.run_steps(3);
    c.bench_function("frame_3d_orbit_128x128_10_paths_tessellated", |b| {
        b.iter(|| {
            h.state_mut().view3d().camera.yaw += 0.01;
            frame(&mut h)
        });
    });
}

/// Adam on Rosenbrock animating at 300 iterations a second with the "Inside the step" tab,
/// its arrows and the curvature axes on. Jobs run inline here, so every frame also replays
/// the run from its start to the shown iterate (up to 2,000 steps), which the window does on a
/// worker: an upper bound.
fn frame_step_tab(c: &mut Criterion) {
    let mut settings = Settings {
        function: FunctionSpec::parse("rosenbrock").unwrap(),
        runs: vec![RunSetup {
            start: vec![-1.2, 1.0],
            optimizer: OptimizerConfig::new(OptimizerKind::Adam, 0.05),
            color: 0,
            batch: None,
        }],
        iterations: 2000,
        speed: Speed::PerSecond(300.0),
        ..Settings::default()
    };
    settings.display.bottom = descent::app::settings::BottomTab::Step;
    settings.display.internals = true;
    settings.display.curvature = true;
    let mut h = harness(DescentApp::new(settings));
    c.bench_function(
        "frame_step_tab_adam_animating_replay_inline_tessellated",
        |b| {
            b.iter(|| {
                if !h.state().model.sim.playing {
                    h.state_mut().apply([Action::Reset]);
                }
                frame(&mut h)
            });
        },
    );
}

/// A swarm: 1,000 runs scattered over three-wells, animating at 30 iterations a second,
/// drawn lightly (the selected run in full), with the charts.
fn frame_swarm(c: &mut Criterion) {
    let mut app = DescentApp::new(Settings {
        function: FunctionSpec::parse("three-wells").unwrap(),
        iterations: 500,
        speed: Speed::PerSecond(30.0),
        ..Settings::default()
    });
    app.model.apply(Action::Scatter {
        count: 999,
        seed: 0,
    });
    let mut h = harness(app);
    assert_eq!(h.state().model.sim.slots().len(), 1000);
    c.bench_function("frame_1000_swarm_runs_three-wells_tessellated", |b| {
        b.iter(|| {
            if !h.state().model.sim.playing {
                h.state_mut().apply([Action::Reset]);
            }
            frame(&mut h)
        });
    });
}

/// The frame loop while a run of 10,000,000 iterations computes on a worker thread and then
/// animates to its end: each measurement is the slowest frame of one whole run (target:
/// <= 50 ms), tessellation included.
fn frame_long_run(c: &mut Criterion) {
    let mut h = harness(DescentApp::new(Settings {
        function: FunctionSpec::parse("three-wells").unwrap(),
        runs: vec![RunSetup {
            start: vec![1.0, 3.0],
            optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.01),
            color: 0,
            batch: None,
        }],
        iterations: 10_000_000,
        speed: Speed::Instant,
        ..Settings::default()
    }));
    h.state_mut().model.sim.runner = descent::app::jobs::Runner::Background;
    let mut group = c.benchmark_group("frame_loop");
    group.sample_size(10);
    group.bench_function("10M_iterations_slowest_frame", |b| {
        b.iter_custom(|runs| {
            let mut slowest_total = std::time::Duration::ZERO;
            for _ in 0..runs {
                h.state_mut().model.sim.rebuild().unwrap();
                h.state_mut().apply([Action::SetSpeed(Speed::Instant)]);
                let mut slowest = std::time::Duration::ZERO;
                loop {
                    let started = std::time::Instant::now();
                    frame(&mut h);
                    slowest = slowest.max(started.elapsed());
                    let model = &h.state().model;
                    if model.sim.slots()[0].run.is_finished() && h.state().progress.is_complete() {
                        break;
                    }
                    // The window waits for the next vsync; here, for the worker.
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                assert_eq!(h.state().model.sim.slots()[0].run.iterations(), 10_000_000);
                slowest_total += slowest;
            }
            slowest_total
        });
    });
    group.finish();
}

criterion_group!(
    benches,
    frame_long_run,
    frame_swarm,
    heatmap,
    frames,
    frame_while_exporting,
    frame_3d_orbit,
    frame_step_tab
);
criterion_main!(benches);
