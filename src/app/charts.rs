//! Charts below the plot: f(x_k) and |grad f(x_k)| against k for every run; in the
//! regression lab, the loss per step (noisy for SGD) and the full-data loss per epoch.

use egui_plot::{Line, Plot, VLine};

use super::{DescentApp, run_color};

/// The most points all lines of a chart get together; longer paths are strided.
const CHART_POINT_BUDGET: usize = 20_000;

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
            (Series::Value, true) => ("log10(f - f*)", "iteration k"),
            (Series::GradNorm, false) => ("|grad f(x_k)|", "iteration k"),
            (Series::GradNorm, true) => ("log10 |grad f(x_k)|", "iteration k"),
            (Series::StepLoss, false) => ("loss of the step's batch", "step"),
            (Series::StepLoss, true) => ("log10(batch loss - f*)", "step"),
            (Series::EpochLoss(_), false) => ("full-data loss", "epoch"),
            (Series::EpochLoss(_), true) => ("log10(full loss - f*)", "epoch"),
        }
    }

    /// (x, value) pairs up to iterate `k`, at most about `budget` of them.
    fn points(self, slot: &super::simulation::RunSlot, k: usize, budget: usize) -> Vec<(f64, f64)> {
        let path = slot.run.path();
        let strided = |values: &[f64], last: usize, scale: f64| -> Vec<(f64, f64)> {
            if values.is_empty() {
                return Vec::new();
            }
            let last = last.min(values.len() - 1);
            let stride = (last / budget).max(1);
            (0..=last)
                .step_by(stride)
                .chain(std::iter::once(last))
                .map(|i| (i as f64 * scale, values[i]))
                .collect()
        };
        match self {
            Series::Value => strided(path.values(), k, 1.0),
            Series::GradNorm => strided(path.grad_norms(), k, 1.0),
            Series::StepLoss if !slot.run.batch_losses().is_empty() => {
                // Step s + 1 used batch loss s; shift so the x axis counts steps from 1.
                let losses = slot.run.batch_losses();
                if k == 0 {
                    return Vec::new();
                }
                strided(losses, k - 1, 1.0)
                    .into_iter()
                    .map(|(x, v)| (x + 1.0, v))
                    .collect()
            }
            Series::StepLoss => strided(path.values(), k, 1.0),
            Series::EpochLoss(n) => {
                let per_epoch = steps_per_epoch(slot, n);
                let last = k / per_epoch;
                let stride = (last / budget).max(1);
                (0..=last)
                    .step_by(stride)
                    .chain(std::iter::once(last))
                    .map(|e| (e as f64, path.values()[e * per_epoch]))
                    .collect()
            }
        }
    }
}

/// Draws both charts side by side: f and |grad f| for functions; loss per step and
/// full-data loss per epoch in the regression lab.
pub fn charts_ui(app: &mut DescentApp, ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        ui.strong("Convergence");
        ui.checkbox(&mut app.settings.chart_log, "Log scale")
            .on_hover_text("Plot log10 of f - f* (f* the lowest value known) and of |grad f|");
    });
    let log = app.settings.chart_log;
    // Only the log chart needs it, and it reads every value of every path.
    let f_ref = if log {
        cached_reference_value(app)
    } else {
        0.0
    };
    let width = (ui.available_width() - 8.0) / 2.0;
    let height = ui.available_height();
    let shown = app.sim.shown();
    let charts = if app.in_lab() {
        let n = app.lab_data.as_ref().map_or(1, |d| d.len());
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
            Plot::new(id)
                .width(width)
                .height(height)
                .x_axis_label(x_title)
                .y_axis_label(title)
                .allow_boxed_zoom(false)
                .show(ui, |plot_ui| {
                    let budget =
                        (CHART_POINT_BUDGET / app.sim.slots().len().max(1)).clamp(100, 2000);
                    for slot in app.sim.slots() {
                        let k = slot.shown_index(shown);
                        let points: Vec<[f64; 2]> = series
                            .points(slot, k, budget)
                            .into_iter()
                            .filter_map(|(x, v)| {
                                let y = match (log, series) {
                                    (false, _) => v,
                                    (true, Series::GradNorm) => v.log10(),
                                    (true, _) => (v - f_ref).log10(),
                                };
                                y.is_finite().then_some([x, y])
                            })
                            .collect();
                        plot_ui.line(
                            Line::new("", points)
                                .color(run_color(slot.setup.color))
                                .width(1.5),
                        );
                    }
                    let marker = match (series, app.sim.selected_slot()) {
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

/// Steps per epoch of a lab run over `n` points (1 for batch descent).
fn steps_per_epoch(slot: &super::simulation::RunSlot, n: usize) -> usize {
    slot.run
        .batch_spec()
        .map_or(1, |b| b.steps_per_epoch(n))
        .max(1)
}

/// [`reference_value`], recomputed only when the runs or their lengths change.
fn cached_reference_value(app: &mut DescentApp) -> f64 {
    let key = app
        .sim
        .slots()
        .iter()
        .map(|s| (s.generation, s.run.iterations()))
        .fold(
            (app.sim.objective_generation(), 0u64, 0usize),
            |(g, h, n), (gen_, len)| (g, h.wrapping_mul(31).wrapping_add(gen_), n + len),
        );
    if let Some((cached_key, value)) = app.chart_reference
        && cached_key == key
    {
        return value;
    }
    let value = reference_value(app);
    app.chart_reference = Some((key, value));
    value
}

/// The value log charts measure from: the lowest of the known minima and every value seen,
/// less a hair so the best iterate stays on the chart.
fn reference_value(app: &DescentApp) -> f64 {
    let objective = app.objective();
    let known = objective
        .info()
        .minima
        .iter()
        .map(|m| objective.value(m))
        .filter(|v| v.is_finite());
    let seen = app
        .sim
        .slots()
        .iter()
        .flat_map(|s| s.run.path().values().iter().copied());
    let lowest = known.chain(seen).fold(f64::INFINITY, f64::min);
    if lowest.is_finite() {
        lowest - 1e-12 * (1.0 + lowest.abs())
    } else {
        0.0
    }
}
