//! The 1-D view: the curve f(x), the iterates as dots on it with arrows between them, and
//! the tangent at the current iterate with its slope (the course lab's picture).

use egui::Color32;
use egui_plot::{Arrows, Line, MarkerShape, Plot, PlotBounds, PlotPoint, PlotUi, Points, Text};

use super::simulation::RunSlot;
use super::{DescentApp, fmt_num, run_color};
use crate::engine::{Interval, Objective};

/// What the 1-D view keeps between frames.
pub struct View1d {
    reset: bool,
}

impl Default for View1d {
    fn default() -> Self {
        Self { reset: true }
    }
}

/// Samples along the visible x range for the curve.
const CURVE_SAMPLES: usize = 1200;

impl View1d {
    /// Fits the view box on the next frame.
    pub fn reset_view(&mut self) {
        self.reset = true;
    }

    /// Draws the curve plot and handles clicks on it.
    pub fn ui(app: &mut DescentApp, ui: &mut egui::Ui) {
        let objective = app.objective().clone();
        let home = home_bounds(objective.as_ref());
        let reset = std::mem::take(&mut app.view1d.reset);
        let hover_objective = objective.clone();
        let plot = Plot::new("curve")
            .allow_double_click_reset(false)
            .allow_boxed_zoom(false)
            .x_axis_label("x")
            .y_axis_label("f(x)")
            .default_x_bounds(home.min()[0], home.max()[0])
            .default_y_bounds(home.min()[1], home.max()[1])
            .label_formatter(move |pos| {
                let p = match pos {
                    egui_plot::HoverPosition::NearDataPoint { position, .. } => *position,
                    egui_plot::HoverPosition::Elsewhere { position } => *position,
                };
                Some(hover_text(hover_objective.as_ref(), p.x))
            });
        let shown = app.sim.shown();
        let selected = app.sim.selected;
        let response = plot.show(ui, |plot_ui| {
            let mut bounds = plot_ui.plot_bounds();
            if reset || !bounds.is_valid() {
                bounds = home;
                plot_ui.set_plot_bounds(bounds);
            }
            curve_items(
                plot_ui,
                objective.as_ref(),
                Interval::new(bounds.min()[0], bounds.max()[0]),
            );
            minima_items(plot_ui, objective.as_ref());
            for (i, slot) in app.sim.slots().iter().enumerate() {
                iterate_items(plot_ui, slot, shown, i == selected, &bounds);
            }
        });
        app.plot_transform = Some(response.transform);
        if response.response.clicked()
            && let Some(pos) = response.response.interact_pointer_pos()
        {
            let x = response.transform.value_from_position(pos).x;
            if super::click_modifiers(ui).shift {
                app.add_run_at(vec![x]);
            } else {
                app.set_start(vec![x]);
            }
        }
        if response.response.double_clicked() {
            app.view1d.reset = true;
        }
    }
}

/// The function's x view box, with a y range that holds the curve there.
pub fn home_bounds(objective: &dyn Objective) -> PlotBounds {
    let x = objective.info().view[0];
    let values: Vec<f64> = (0..CURVE_SAMPLES)
        .map(|i| objective.value(&[x.lo + x.width() * i as f64 / (CURVE_SAMPLES - 1) as f64]))
        .filter(|v| v.is_finite())
        .collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo < hi { (lo, hi) } else { (-1.0, 1.0) };
    let pad = 0.08 * (hi - lo);
    PlotBounds::from_min_max([x.lo, lo - pad], [x.hi, hi + pad])
}

fn hover_text(objective: &dyn Objective, x: f64) -> String {
    if !objective.in_domain(&[x]) {
        return format!(
            "x = {}\noutside the domain ({})",
            fmt_num(x),
            objective.info().domain
        );
    }
    let mut g = [0.0];
    let value = objective.value_and_gradient(&[x], &mut g);
    format!(
        "x = {}\nf = {}\nf'(x) = {}",
        fmt_num(x),
        fmt_num(value),
        fmt_num(g[0])
    )
}

/// The curve over the visible range, broken where f is undefined or not finite.
fn curve_items(plot_ui: &mut PlotUi<'_>, objective: &dyn Objective, x: Interval) {
    let mut segment: Vec<[f64; 2]> = Vec::new();
    let color = plot_ui.ctx().global_style().visuals.text_color();
    let flush = |segment: &mut Vec<[f64; 2]>, plot_ui: &mut PlotUi<'_>| {
        if segment.len() > 1 {
            plot_ui.line(
                Line::new("", std::mem::take(segment))
                    .color(color)
                    .width(2.0)
                    .allow_hover(false),
            );
        }
        segment.clear();
    };
    for i in 0..CURVE_SAMPLES {
        let xi = x.lo + x.width() * i as f64 / (CURVE_SAMPLES - 1) as f64;
        let v = if objective.in_domain(&[xi]) {
            objective.value(&[xi])
        } else {
            f64::NAN
        };
        if v.is_finite() && v.abs() < 1e15 {
            segment.push([xi, v]);
        } else {
            flush(&mut segment, plot_ui);
        }
    }
    flush(&mut segment, plot_ui);
}

fn minima_items(plot_ui: &mut PlotUi<'_>, objective: &dyn Objective) {
    let minima: Vec<[f64; 2]> = objective
        .info()
        .minima
        .iter()
        .map(|m| [m[0], objective.value(m)])
        .collect();
    if !minima.is_empty() {
        plot_ui.add(
            Points::new("", minima)
                .shape(MarkerShape::Cross)
                .radius(7.0)
                .color(Color32::GRAY)
                .allow_hover(false),
        );
    }
}

/// Dots on the curve for the iterates shown, arrows between them, the current iterate
/// highlighted and the tangent there with its slope.
fn iterate_items(
    plot_ui: &mut PlotUi<'_>,
    slot: &RunSlot,
    shown: usize,
    selected: bool,
    bounds: &PlotBounds,
) {
    let color = run_color(slot.setup.color);
    let path = slot.run.path();
    let k = slot.shown_index(shown);
    // Long runs: at most a few hundred arrows, the latest ones.
    let first = k.saturating_sub(400);
    let on_curve = |i: usize| [path.point(i)[0], path.values()[i]];
    if path.len() > k + 1 {
        let ahead: Vec<[f64; 2]> = (k..path.len())
            .step_by(((path.len() - k) / 2000).max(1))
            .map(on_curve)
            .collect();
        plot_ui.add(
            Points::new("", ahead)
                .color(color.gamma_multiply(0.35))
                .radius(2.0)
                .allow_hover(false),
        );
    }
    let dots: Vec<[f64; 2]> = (first..=k).map(on_curve).collect();
    if dots.len() > 1 {
        let origins = dots[..dots.len() - 1].to_vec();
        let tips = dots[1..].to_vec();
        plot_ui.add(
            Arrows::new("", origins, tips)
                .color(color.gamma_multiply(0.8))
                .tip_length(8.0)
                .allow_hover(false),
        );
    }
    plot_ui.add(
        Points::new("", dots)
            .color(color)
            .radius(3.5)
            .allow_hover(false),
    );
    let current = on_curve(k);
    plot_ui.add(
        Points::new("", vec![current])
            .radius(if selected { 7.0 } else { 5.5 })
            .color(color)
            .allow_hover(false),
    );
    // The tangent at the current iterate: y = f(x_k) + f'(x_k) (x - x_k).
    let slope = path.gradient(k)[0];
    let half = 0.12 * bounds.width();
    let tangent = vec![
        [current[0] - half, current[1] - slope * half],
        [current[0] + half, current[1] + slope * half],
    ];
    if tangent.iter().flatten().all(|v| v.is_finite()) {
        plot_ui.line(
            Line::new("", tangent)
                .color(color)
                .width(1.5)
                .style(egui_plot::LineStyle::dashed_dense())
                .allow_hover(false),
        );
        if selected {
            // In the plot's top-left corner, where it never covers the iterates.
            let corner = PlotPoint::new(
                bounds.min()[0] + 0.02 * bounds.width(),
                bounds.max()[1] - 0.03 * bounds.height(),
            );
            let text = format!(
                "x_{k} = {}   f'(x_{k}) = {}  (the slope of the dashed tangent)",
                fmt_num(current[0]),
                fmt_num(slope)
            );
            plot_ui.text(
                Text::new(
                    "",
                    corner,
                    egui::RichText::new(text).color(color).strong().size(14.0),
                )
                .anchor(egui::Align2::LEFT_TOP),
            );
        }
    }
}
