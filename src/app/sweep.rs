//! The learning-rate tab: the selected run's start and optimizer swept over learning rates
//! from 1e-5 to 10, the final value and the iterations against the rate on a log axis, the
//! divergence threshold marked; a click sets the rate. Swept on a worker.

use std::sync::Arc;

use egui::{Color32, ColorImage, TextureHandle, TextureOptions};
use egui_plot::{Line, MarkerShape, Plot, PlotImage, PlotPoint, Points, VLine};

use super::action::Action;
use super::field::Colormap;
use super::jobs::{Cached, Runner};
use super::model::Model;
use crate::engine::basins::{
    Ending, SweepRow, blew_up, divergence_threshold, hyper_map, log_space, second_hyperparameter,
    sweep,
};
use crate::engine::format::human;
use crate::engine::{Objective, OptimizerConfig};

/// Rates swept, from [`LR_MIN`] to [`LR_MAX`].
pub const SWEEP_RATES: usize = 121;
/// The smallest rate swept.
pub const LR_MIN: f64 = 1e-5;
/// The largest rate swept.
pub const LR_MAX: f64 = 10.0;
/// The most iterations a swept run takes (a run may take more): the sweep and the map are
/// 941 runs, which must stay seconds at most on a worker.
pub const MAX_SWEEP_ITERS: u64 = 5000;

/// What a sweep depends on.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepKey {
    function: u64,
    start: Vec<f64>,
    /// The optimizer with its rate set to 1: the rate is what the sweep varies.
    optimizer: OptimizerConfig,
    iters: u64,
    tol: f64,
}

/// A finished sweep.
#[derive(Debug)]
pub struct SweepResult {
    /// f at the start.
    pub start_value: f64,
    /// One row per rate, ascending.
    pub rows: Vec<SweepRow>,
    /// The map of the rate against the optimizer's second hyperparameter, if it has one.
    pub map: Option<HyperMap>,
}

/// Final values over a grid of (learning rate, second hyperparameter).
#[derive(Debug)]
pub struct HyperMap {
    /// The second hyperparameter's flag, e.g. `momentum`.
    pub flag: &'static str,
    /// The rates, ascending (columns).
    pub lrs: Vec<f64>,
    /// The second hyperparameter's values, ascending (rows).
    pub values: Vec<f64>,
    /// Row-major from the first value.
    pub endings: Vec<Ending>,
}

/// Rates across the hyperparameter map.
pub const MAP_RATES: usize = 41;
/// Values of the second hyperparameter down the map.
pub const MAP_VALUES: usize = 20;

/// The tab's cache, and the map's texture with the result it shows.
#[derive(Default)]
pub struct SweepView {
    cache: Cached<SweepKey, Arc<SweepResult>>,
    texture: Option<(usize, TextureHandle)>,
}

impl SweepView {
    fn key(model: &Model) -> Option<SweepKey> {
        let slot = model.sim.selected_slot()?;
        Some(SweepKey {
            function: model.sim.objective_generation(),
            start: slot.setup.start.clone(),
            optimizer: OptimizerConfig {
                lr: 1.0,
                noise: None,
                ..slot.setup.optimizer
            },
            iters: model.sim.max_iters().min(MAX_SWEEP_ITERS),
            tol: model.sim.tol(),
        })
    }

    /// Whether a sweep is running.
    pub fn is_pending(&self) -> bool {
        self.cache.is_pending()
    }

    /// The chart, and the sweep behind it started when its inputs changed.
    pub fn ui(
        &mut self,
        model: &Model,
        runner: Runner,
        ui: &mut egui::Ui,
        actions: &mut Vec<Action>,
    ) {
        if model.in_lab() {
            ui.label(
                "The learning-rate sweep is for functions; in the lab, race batch sizes instead.",
            );
            return;
        }
        let Some(key) = Self::key(model) else {
            ui.label("No run yet: click the plot to start one.");
            return;
        };
        let objective: Arc<dyn Objective> = model.objective().clone();
        let job_key = key.clone();
        self.cache.request(runner, &key, move |_| {
            let lrs = log_space(LR_MIN, LR_MAX, SWEEP_RATES);
            let iters = u32::try_from(job_key.iters).unwrap_or(u32::MAX);
            let rows = sweep(
                objective.as_ref(),
                &job_key.optimizer,
                &job_key.start,
                &lrs,
                iters,
                job_key.tol,
            );
            let start_value = objective.value(&job_key.start);
            let map = second_hyperparameter(job_key.optimizer.kind).map(|flag| {
                let spec = job_key
                    .optimizer
                    .kind
                    .hyperparameters()
                    .iter()
                    .find(|h| h.flag == flag)
                    .copied();
                let (lo, hi) = spec.map_or((0.0, 0.99), |h| (h.range.0, h.range.1.min(0.99)));
                let values: Vec<f64> = (0..MAP_VALUES)
                    .map(|i| lo + (hi - lo) * i as f64 / (MAP_VALUES - 1) as f64)
                    .collect();
                let lrs = log_space(LR_MIN, LR_MAX, MAP_RATES);
                let endings = hyper_map(
                    objective.as_ref(),
                    &job_key.optimizer,
                    &job_key.start,
                    &lrs,
                    flag,
                    &values,
                    iters,
                    job_key.tol,
                );
                HyperMap {
                    flag,
                    lrs,
                    values,
                    endings,
                }
            });
            Arc::new(SweepResult {
                start_value,
                rows,
                map,
            })
        });
        let Some((done_key, result)) = self.cache.current.clone() else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Sweeping the learning rate...");
            });
            return;
        };
        let stale = done_key != key;
        let lr = model
            .sim
            .selected_slot()
            .map_or(0.1, |s| s.setup.optimizer.lr);
        let threshold = divergence_threshold(&result.rows, result.start_value);
        ui.horizontal_wrapped(|ui| {
            ui.label(format!(
                "{} from the selected run's start, {} iterations, {} rates from {} to {}.",
                key.optimizer.kind.label(),
                key.iters,
                SWEEP_RATES,
                human(LR_MIN),
                human(LR_MAX)
            ));
            match threshold {
                Some((below, above)) => ui.strong(format!(
                    "Blows up between lr {} and {}.",
                    human(below),
                    human(above)
                )),
                None => ui.label("No rate in the range blows up."),
            };
            ui.label(
                "Red triangles: blew up; dashed: the threshold; white: this run's rate. Click a chart to set the rate.",
            );
            if let Some(map) = &result.map {
                ui.label(format!(
                    "Right: final f over the rate and {} (darker is lower, gray blew up); a click sets both.",
                    map.flag
                ));
            }
            if stale {
                ui.spinner();
            }
        });
        let charts = if result.map.is_some() { 3.0 } else { 2.0 };
        let width = (ui.available_width() - 8.0 * (charts - 1.0)) / charts;
        let height = ui.available_height();
        let start_value = result.start_value;
        let (good, bad): (Vec<&SweepRow>, Vec<&SweepRow>) =
            result.rows.iter().partition(|r| !blew_up(r, start_value));
        let x = |r: &SweepRow| r.lr.log10();
        let lowest = good
            .iter()
            .map(|r| r.ending.value)
            .fold(start_value, f64::min);
        ui.horizontal(|ui| {
            let mut clicked = None;
            for (id, title) in [("sweep_f", "final f"), ("sweep_k", "iterations")] {
                let series: Vec<[f64; 2]> = good
                    .iter()
                    .map(|r| {
                        let y = if id == "sweep_f" {
                            r.ending.value
                        } else {
                            f64::from(r.ending.iterations)
                        };
                        [x(r), y]
                    })
                    .filter(|p| p[1].is_finite())
                    .collect();
                let top = if id == "sweep_f" {
                    start_value
                } else {
                    key.iters as f64
                };
                let blown: Vec<[f64; 2]> = bad.iter().map(|r| [x(r), top]).collect();
                let plot = super::plot_input::short_ticks(Plot::new(id).width(width));
                let response = super::plot_input::log_x(plot)
                    .height(height)
                    .x_axis_label("learning rate (log scale)")
                    .y_axis_label(title)
                    .allow_boxed_zoom(false)
                    .allow_drag(false)
                    .allow_scroll(false)
                    .allow_zoom(false)
                    .include_y(if id == "sweep_f" { lowest } else { 0.0 })
                    .include_y(top)
                    .show(ui, |plot_ui| {
                        plot_ui.line(
                            Line::new(title, series)
                                .color(Color32::LIGHT_BLUE)
                                .width(1.5),
                        );
                        plot_ui.points(
                            Points::new("blew up", blown)
                                .color(Color32::from_rgb(240, 90, 80))
                                .shape(MarkerShape::Up)
                                .radius(3.5),
                        );
                        if let Some((below, above)) = threshold {
                            let at = 0.5 * (below.log10() + above.log10());
                            plot_ui.add(
                                VLine::new("divergence threshold", at)
                                    .color(Color32::from_rgb(240, 90, 80))
                                    .style(egui_plot::LineStyle::dashed_loose()),
                            );
                        }
                        plot_ui.add(VLine::new("this run's lr", lr.log10()).color(Color32::WHITE));
                        plot_ui
                            .response()
                            .clicked()
                            .then(|| plot_ui.pointer_coordinate())
                            .flatten()
                    });
                if let Some(point) = response.inner {
                    clicked = Some((point.x, None));
                }
            }
            if let Some(map) = &result.map
                && let Some(slot) = model.sim.selected_slot()
            {
                let current = slot.setup.optimizer.get(map.flag).unwrap_or(0.0);
                if let Some(point) =
                    self.map_ui(ui, map, &result, start_value, width, height, [lr, current])
                {
                    clicked = Some((point[0], Some(point[1])));
                }
            }
            if let (Some((x, value)), Some(slot)) = (clicked, model.sim.selected_slot()) {
                let lr = 10f64.powf(x).clamp(LR_MIN, LR_MAX);
                // Three significant digits: what a person would type.
                let lr = format!("{lr:.2e}").parse().unwrap_or(lr);
                let mut config = OptimizerConfig {
                    lr,
                    ..slot.setup.optimizer
                };
                if let (Some(value), Some(map)) = (value, &result.map) {
                    let (lo, hi) = (map.values[0], map.values[map.values.len() - 1]);
                    let value = (value.clamp(lo, hi) * 1000.0).round() / 1000.0;
                    config.set(map.flag, value);
                }
                actions.push(Action::SetOptimizer(config));
            }
        });
    }
}

impl SweepView {
    /// The map as a heatmap of log10 of the final value (gray where runs blew up), with the
    /// run's own setting marked; returns (log10 lr, value) where it was clicked.
    #[allow(clippy::too_many_arguments)]
    fn map_ui(
        &mut self,
        ui: &mut egui::Ui,
        map: &HyperMap,
        result: &Arc<SweepResult>,
        start_value: f64,
        width: f32,
        height: f32,
        [lr, value]: [f64; 2],
    ) -> Option<[f64; 2]> {
        let identity = Arc::as_ptr(result) as usize;
        if self.texture.as_ref().is_none_or(|(id, _)| *id != identity) {
            let image = map_image(map, start_value);
            let texture = ui
                .ctx()
                .load_texture("hyper_map", image, TextureOptions::NEAREST);
            self.texture = Some((identity, texture));
        }
        let (_, texture) = self.texture.as_ref()?;
        let (x0, x1) = (map.lrs[0].log10(), map.lrs[map.lrs.len() - 1].log10());
        let (y0, y1) = (map.values[0], map.values[map.values.len() - 1]);
        // Cells are centered on their values: the image reaches half a cell beyond.
        let dx = (x1 - x0) / (map.lrs.len() - 1) as f64;
        let dy = (y1 - y0) / (map.values.len() - 1) as f64;
        let center = PlotPoint::new(0.5 * (x0 + x1), 0.5 * (y0 + y1));
        let size = egui::vec2((x1 - x0 + dx) as f32, (y1 - y0 + dy) as f32);
        let texture_id = texture.id();
        super::plot_input::log_x(super::plot_input::short_ticks(
            Plot::new("sweep_map").width(width),
        ))
        .height(height)
        .x_axis_label("learning rate (log scale)")
        .y_axis_label(map.flag)
        .allow_boxed_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_zoom(false)
        .include_x(x0 - dx / 2.0)
        .include_x(x1 + dx / 2.0)
        .include_y(y0 - dy / 2.0)
        .include_y(y1 + dy / 2.0)
        .show(ui, |plot_ui| {
            plot_ui.add(PlotImage::new("", texture_id, center, size).allow_hover(false));
            plot_ui.points(
                Points::new("this run", vec![[lr.log10(), value]])
                    .shape(MarkerShape::Circle)
                    .filled(false)
                    .radius(6.0)
                    .color(Color32::WHITE),
            );
            plot_ui
                .response()
                .clicked()
                .then(|| plot_ui.pointer_coordinate())
                .flatten()
                .map(|p| [p.x, p.y])
        })
        .inner
    }
}

/// One pixel per cell, top row the largest value: viridis over log10 of the final value
/// above the lowest, gray where the run blew up.
fn map_image(map: &HyperMap, start_value: f64) -> ColorImage {
    let good = |e: &Ending| {
        !blew_up(
            &SweepRow {
                lr: 0.0,
                ending: *e,
            },
            start_value,
        ) && e.value.is_finite()
    };
    let lowest = map
        .endings
        .iter()
        .filter(|e| good(e))
        .map(|e| e.value)
        .fold(f64::INFINITY, f64::min);
    // Six decades below the start's value, so the best cells do not wash out the rest.
    let floor = (1e-6 * (start_value - lowest)).max(1e-12 * (1.0 + lowest.abs()));
    let height = |v: f64| (v - lowest + floor).log10();
    let (lo, hi) = map
        .endings
        .iter()
        .filter(|e| good(e))
        .map(|e| height(e.value))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), h| {
            (a.min(h), b.max(h))
        });
    let columns = map.lrs.len();
    let rows = map.values.len();
    let mut pixels = Vec::with_capacity(columns * rows);
    for row in (0..rows).rev() {
        for column in 0..columns {
            let e = &map.endings[row * columns + column];
            pixels.push(if good(e) {
                let t = if hi > lo {
                    (height(e.value) - lo) / (hi - lo)
                } else {
                    0.0
                };
                Colormap::Viridis.color(t)
            } else {
                Color32::from_gray(70)
            });
        }
    }
    ColorImage::new([columns, rows], pixels)
}
