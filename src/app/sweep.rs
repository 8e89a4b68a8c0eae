//! The learning-rate tab: the selected run's start and optimizer swept over learning rates
//! from 1e-5 to 10, the final value and the iterations against the rate on a log axis, the
//! divergence threshold marked; a click sets the rate. Swept on a worker.

use std::sync::Arc;

use egui::Color32;
use egui_plot::{Line, MarkerShape, Plot, Points, VLine};

use super::action::Action;
use super::jobs::{Cached, Runner};
use super::model::Model;
use crate::engine::basins::{SweepRow, blew_up, divergence_threshold, log_space, sweep};
use crate::engine::format::human;
use crate::engine::{Objective, OptimizerConfig};

/// Rates swept, from [`LR_MIN`] to [`LR_MAX`].
pub const SWEEP_RATES: usize = 121;
/// The smallest rate swept.
pub const LR_MIN: f64 = 1e-5;
/// The largest rate swept.
pub const LR_MAX: f64 = 10.0;

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
}

/// The tab's cache.
#[derive(Default)]
pub struct SweepView {
    cache: Cached<SweepKey, Arc<SweepResult>>,
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
            iters: model.sim.max_iters(),
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
            Arc::new(SweepResult {
                start_value: objective.value(&job_key.start),
                rows,
            })
        });
        let Some((done_key, result)) = &self.cache.current else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Sweeping the learning rate...");
            });
            return;
        };
        let stale = done_key != &key;
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
            ui.label("Click a chart to set the rate.");
            if stale {
                ui.spinner();
            }
        });
        let width = (ui.available_width() - 8.0) / 2.0;
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
                let response = super::plot_input::short_ticks(Plot::new(id).width(width))
                    .height(height)
                    .x_axis_label("log10 of the learning rate")
                    .y_axis_label(title)
                    .legend(egui_plot::Legend::default().position(egui_plot::Corner::RightBottom))
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
                    clicked = Some(point.x);
                }
            }
            if let (Some(x), Some(slot)) = (clicked, model.sim.selected_slot()) {
                let lr = 10f64.powf(x).clamp(LR_MIN, LR_MAX);
                // Three significant digits: what a person would type.
                let lr = format!("{lr:.2e}").parse().unwrap_or(lr);
                actions.push(Action::SetOptimizer(OptimizerConfig {
                    lr,
                    ..slot.setup.optimizer
                }));
            }
        });
    }
}
