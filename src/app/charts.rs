//! Charts below the plot: f(x_k) and |grad f(x_k)| against k for every run; in the
//! regression lab, the loss per step (noisy for SGD) and the full-data loss per epoch.

use egui_plot::{Line, Plot, VLine};

use super::action::Action;
use super::help::Explain;
use super::model::Model;
use super::simulation::RunSlot;
use super::{legend_name, run_color};

/// The most points all lines of a chart get together; longer paths are strided.
const CHART_POINT_BUDGET: usize = 6_000;

/// What a chart plots.
#[derive(Clone, Copy, PartialEq)]
enum Series {
    /// f at every iterate.
    Value,
    /// |grad f| at every iterate.
    GradNorm,
    /// The loss of the batch each step used (mini-batch runs; f for others).
    StepLoss,
    /// The full-data loss at the end of each epoch, over a data set of this many points.
    EpochLoss(usize),
}

impl Series {
    fn titles(self, log: bool) -> (&'static str, &'static str) {
        match (self, log) {
            (Series::Value, false) => ("f(x_k)", "iteration k"),
            (Series::Value, true) => ("f - f* (log scale)", "iteration k"),
            (Series::GradNorm, false) => ("|grad f(x_k)|", "iteration k"),
            (Series::GradNorm, true) => ("|grad f(x_k)| (log scale)", "iteration k"),
            (Series::StepLoss, false) => ("loss of the step's batch", "step"),
            (Series::StepLoss, true) => ("batch loss - f* (log scale)", "step"),
            (Series::EpochLoss(_), false) => ("full-data loss", "epoch"),
            (Series::EpochLoss(_), true) => ("full loss - f* (log scale)", "epoch"),
        }
    }

    /// (x, value) pairs up to iterate `k`, at most about `budget` of them.
    fn points(self, slot: &RunSlot, k: usize, budget: usize) -> Vec<(f64, f64)> {
        let path = slot.run.path();
        // Iterates 0..=k of the path's kept samples (plus k itself), about `budget` of them,
        // found by index: a frame costs the points drawn, not the length of the path.
        let iterates = |column: &[f64], value: &dyn Fn(usize) -> f64| -> Vec<(f64, f64)> {
            let stride = path.stride();
            let kept = (k / stride).min(column.len().saturating_sub(1));
            let every = (kept / budget.max(1)).max(1);
            let mut out: Vec<(f64, f64)> = (0..=kept)
                .step_by(every)
                .filter_map(|i| column.get(i).map(|v| ((i * stride) as f64, *v)))
                .collect();
            let k = path.index_of(k);
            if out.last().is_none_or(|(x, _)| *x < k as f64) {
                out.push((k as f64, value(k)));
            }
            out
        };
        match self {
            Series::Value => iterates(path.values(), &|i| path.value(i)),
            Series::GradNorm => iterates(path.grad_norms(), &|i| path.grad_norm(i)),
            Series::StepLoss if !slot.run.drawn_values().is_empty() => {
                // Kept value i is step i * stride + 1's; the x axis counts steps from 1.
                let drawn = slot.run.drawn_values();
                if k == 0 {
                    return Vec::new();
                }
                let stride = drawn.stride();
                let last = ((k - 1) / stride).min(drawn.values().len().saturating_sub(1));
                let every = (last / budget).max(1);
                (0..=last)
                    .step_by(every)
                    .filter_map(|i| drawn.values().get(i).map(|v| ((i * stride + 1) as f64, *v)))
                    .collect()
            }
            Series::StepLoss => iterates(path.values(), &|i| path.value(i)),
            Series::EpochLoss(n) => {
                let per_epoch = steps_per_epoch(slot, n);
                let last = k / per_epoch;
                let every = (last / budget).max(1);
                (0..=last)
                    .step_by(every)
                    .chain(std::iter::once(last))
                    .map(|e| (e as f64, path.value(path.index_of(e * per_epoch))))
                    .collect()
            }
        }
    }
}

/// The charts below the plot.
#[derive(Default)]
pub struct Charts;

/// The "Log scale" switch of the charts.
pub fn log_switch(model: &Model, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
    let mut log = model.settings.chart_log;
    if ui
        .checkbox(&mut log, "Log scale")
        .explain("Plot log10 of f - f* (f* the lowest value known) and of |grad f|")
        .changed()
    {
        actions.push(Action::SetChartLog(log));
    }
}

impl Charts {
    /// Draws both charts side by side: f and |grad f| for functions; loss per step and
    /// full-data loss per epoch in the regression lab.
    pub fn ui(&mut self, model: &Model, ui: &mut egui::Ui) {
        let log = model.settings.chart_log;
        let f_ref = if log { reference_value(model) } else { 0.0 };
        let width = (ui.available_width() - 8.0) / 2.0;
        let height = ui.available_height();
        let shown = model.sim.shown();
        let charts = if model.in_lab() {
            let n = model.lab_data.as_ref().map_or(1, |d| d.len());
            [
                ("chart_f", Series::StepLoss),
                ("chart_g", Series::EpochLoss(n)),
            ]
        } else {
            [("chart_f", Series::Value), ("chart_g", Series::GradNorm)]
        };
        ui.horizontal(|ui| {
            for (id, series) in charts {
                let (title, x_title) = series.titles(log);
                let budget = (CHART_POINT_BUDGET / model.sim.slots().len().max(1)).clamp(40, 1000);
                let runs = model.sim.slots().len();
                // A swarm's charts show the selected run only.
                let swarm = runs > super::model::SWARM;
                let lines: Vec<(String, usize, Vec<[f64; 2]>)> = model
                    .sim
                    .slots()
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !swarm || *i == model.sim.selected)
                    .map(|(i, slot)| {
                        let k = slot.shown_index(shown);
                        let points = series
                            .points(slot, k, budget)
                            .into_iter()
                            .filter_map(|(x, v)| {
                                let y = match (log, series) {
                                    (false, _) => v,
                                    (true, Series::GradNorm) => v.log10(),
                                    (true, _) => (v - f_ref).log10(),
                                };
                                // Far beyond any axis a person reads, and clear of overflow.
                                y.is_finite().then_some([x, y.clamp(-1e300, 1e300)])
                            })
                            .collect();
                        (legend_name(i, slot, runs), slot.setup.color, points)
                    })
                    .collect();
                let (lo, hi) = lines
                    .iter()
                    .flat_map(|(_, _, points)| points.iter().map(|p| p[1]))
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
                        (lo.min(y), hi.max(y))
                    });
                let mut plot = super::plot_input::short_ticks(Plot::new(id).width(width))
                    .height(height)
                    .x_axis_label(x_title)
                    .y_axis_label(title)
                    .legend(egui_plot::Legend::default())
                    .allow_boxed_zoom(false);
                if log {
                    plot = super::plot_input::log_y(plot);
                }
                // The x axis starts at 0 and spans at least one step, even for one point.
                let x_end = lines
                    .iter()
                    .flat_map(|(_, _, points)| points.last().map(|p| p[0]))
                    .fold(1.0, f64::max);
                plot = plot.include_x(0.0).include_x(x_end);
                if lo <= hi {
                    // A flat series gets a span of its own size, so even 1e300 has a y axis.
                    let pad = ((hi - lo) * 0.05)
                        .max(hi.abs().max(lo.abs()) * 1e-3)
                        .max(1e-9);
                    plot = plot.include_y(lo - pad).include_y(hi + pad);
                }
                plot.show(ui, |plot_ui| {
                    for (name, palette, points) in lines {
                        plot_ui.line(
                            Line::new(name, points)
                                .color(run_color(palette))
                                .style(super::run_line_style(palette))
                                .width(1.5),
                        );
                    }
                    let marker = match (series, model.sim.selected_slot()) {
                        (Series::EpochLoss(n), Some(slot)) => {
                            slot.shown_index(shown) as f64 / steps_per_epoch(slot, n) as f64
                        }
                        _ => shown as f64,
                    };
                    plot_ui.add(VLine::new("", marker).color(egui::Color32::GRAY).width(1.0));
                });
            }
        });
    }
}

/// Steps per epoch of a lab run over `n` points (1 for batch descent).
fn steps_per_epoch(slot: &RunSlot, n: usize) -> usize {
    slot.run
        .batch_spec()
        .map_or(1, |b| b.steps_per_epoch(n))
        .max(1)
}

/// The value log charts measure from: the lowest of the known minima and every value seen
/// (each path keeps its running minimum), less a hair so the best iterate stays on the chart.
fn reference_value(model: &Model) -> f64 {
    let objective = model.objective();
    let known = objective
        .info()
        .minima
        .iter()
        .map(|m| objective.value(m))
        .filter(|v| v.is_finite());
    let seen = model.sim.slots().iter().map(|s| s.run.path().min_value());
    let lowest = known.chain(seen).fold(f64::INFINITY, f64::min);
    if lowest.is_finite() {
        lowest - 1e-12 * (1.0 + lowest.abs())
    } else {
        0.0
    }
}
