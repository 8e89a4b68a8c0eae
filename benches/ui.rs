//! Window benchmarks: heatmap recompute and the UI's CPU time per frame.
//!
//! Targets (issue "The visualizer window"): heatmap for a 1280 x 800 view <= 8 ms; one frame
//! with 100 runs animating on three-wells <= 4 ms of CPU time (layout and plot items; the
//! GPU's drawing is not part of it).

use criterion::{Criterion, criterion_group, criterion_main};
use descent::app::field::{Colormap, HeatmapKey, heatmap_from_view};
use descent::app::simulation::{RunSetup, Speed};
use descent::app::{DescentApp, Settings};
use descent::engine::{Interval, OptimizerConfig, OptimizerKind, preset};
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
}

fn frame_with_100_runs(c: &mut Criterion) {
    let runs = (0..100)
        .map(|i| RunSetup {
            start: vec![0.25 + 0.5 * (i % 10) as f64, 0.25 + 0.5 * (i / 10) as f64],
            optimizer: OptimizerConfig::new(OptimizerKind::Momentum, 0.02),
            color: i,
            batch: None,
        })
        .collect();
    let app = DescentApp::new(Settings {
        function: descent::engine::FunctionSpec::parse("three-wells").unwrap(),
        runs,
        iterations: 2000,
        speed: Speed::PerSecond(300.0),
        ..Settings::default()
    });
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut DescentApp| app.ui(ui), app);
    h.run_steps(3);
    c.bench_function("frame_100_runs_three-wells", |b| {
        b.iter(|| {
            if !h.state().model.sim.playing {
                h.state_mut().model.sim.restart();
            }
            h.step();
        });
    });
}

criterion_group!(benches, heatmap, frame_with_100_runs);
criterion_main!(benches);
