//! Charts below the plot: f(x_k) and |grad f(x_k)| against k for every run.

use egui_plot::{Line, Plot, VLine};

use super::{DescentApp, run_color};

/// The most points all lines of a chart get together; longer paths are strided.
const CHART_POINT_BUDGET: usize = 20_000;

/// Draws both charts side by side.
pub fn charts_ui(app: &mut DescentApp, ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        ui.strong("Convergence");
        ui.checkbox(&mut app.settings.chart_log, "Log scale")
            .on_hover_text("Plot log10 of f - f* (f* the lowest value known) and of |grad f|");
    });
    let log = app.settings.chart_log;
    // Only the log chart needs it, and it reads every value of every path.
    let f_ref = if log { reference_value(app) } else { 0.0 };
    let width = (ui.available_width() - 8.0) / 2.0;
    let height = ui.available_height();
    let shown = app.sim.shown();
    ui.horizontal(|ui| {
        for (id, title) in [
            ("chart_f", if log { "log10(f - f*)" } else { "f(x_k)" }),
            (
                "chart_g",
                if log {
                    "log10 |grad f(x_k)|"
                } else {
                    "|grad f(x_k)|"
                },
            ),
        ] {
            let gradient = id == "chart_g";
            Plot::new(id)
                .width(width)
                .height(height)
                .x_axis_label("iteration k")
                .y_axis_label(title)
                .allow_boxed_zoom(false)
                .show(ui, |plot_ui| {
                    let per_run =
                        (CHART_POINT_BUDGET / app.sim.slots().len().max(1)).clamp(100, 2000);
                    for slot in app.sim.slots() {
                        let path = slot.run.path();
                        let k = slot.shown_index(shown);
                        let series = if gradient {
                            path.grad_norms()
                        } else {
                            path.values()
                        };
                        let stride = (k / per_run).max(1);
                        let points: Vec<[f64; 2]> = (0..=k)
                            .step_by(stride)
                            .chain(std::iter::once(k))
                            .filter_map(|i| {
                                let v = series[i];
                                let y = match (log, gradient) {
                                    (false, _) => v,
                                    (true, true) => v.log10(),
                                    (true, false) => (v - f_ref).log10(),
                                };
                                y.is_finite().then_some([i as f64, y])
                            })
                            .collect();
                        plot_ui.line(
                            Line::new("", points)
                                .color(run_color(slot.setup.color))
                                .width(1.5),
                        );
                    }
                    plot_ui.add(
                        VLine::new("", shown as f64)
                            .color(egui::Color32::GRAY)
                            .width(1.0),
                    );
                });
        }
    });
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
