//! The 1-D view: the curve f(x), the iterates as dots on it with arrows between them, and
//! the tangent at the current iterate with its slope (the course lab's picture).

use egui::Color32;
use egui_plot::{Arrows, Line, Plot, PlotBounds, PlotPoint, PlotTransform, PlotUi, Points};

use super::action::Action;
use super::clip::Region;
use super::model::Model;
use super::plot_input::{ClickGuard, click_action, hover_text, minima_items, position_of};
use super::simulation::RunSlot;
use super::{legend_name, run_color};
use crate::engine::format::human;
use crate::engine::{Interval, Objective};

/// Samples along the visible x range for the curve.
const CURVE_SAMPLES: usize = 1200;

/// What the curve depends on: the function and the visible x range.
#[derive(Clone, Debug, PartialEq)]
struct CurveKey {
    objective: u64,
    x: Interval,
}

/// The 1-D view with its caches: the sampled curve and the home bounds.
pub struct View1d {
    reset: bool,
    curve: Option<(CurveKey, Vec<Vec<PlotPoint>>)>,
    home: Option<(u64, Interval, PlotBounds)>,
    clicks: ClickGuard,
}

impl Default for View1d {
    fn default() -> Self {
        Self {
            reset: true,
            curve: None,
            home: None,
            clicks: ClickGuard::default(),
        }
    }
}

impl View1d {
    /// Fits the view box on the next frame.
    pub fn reset_view(&mut self) {
        self.reset = true;
    }

    /// Draws the curve plot; clicks become actions. Returns the plot's transform.
    pub fn ui(
        &mut self,
        model: &Model,
        ui: &mut egui::Ui,
        actions: &mut Vec<Action>,
    ) -> Option<PlotTransform> {
        let objective = model.objective().clone();
        let generation = model.sim.objective_generation();
        let view = model.view()[0];
        if self
            .home
            .as_ref()
            .is_none_or(|(g, v, _)| *g != generation || *v != view)
        {
            // The user's view box is shown as given; the function's own grows to hold the
            // starts (exp-log from x = 8), as the 2-D view's does.
            let x = if model.settings.view.is_some() {
                view
            } else {
                home_range(
                    view,
                    model.sim.slots().iter().map(|s| s.setup.start.as_slice()),
                )
            };
            self.home = Some((generation, view, home_bounds(objective.as_ref(), x)));
            self.reset = true;
        }
        let home = self.home.as_ref().map(|(_, _, b)| *b)?;
        let reset = std::mem::take(&mut self.reset);
        let hover_objective = objective.clone();
        let plot =
            super::plot_input::short_ticks(Plot::new("curve").allow_double_click_reset(false))
                .allow_boxed_zoom(false)
                .x_axis_label("x")
                .y_axis_label("f(x)")
                .legend(egui_plot::Legend::default())
                .default_x_bounds(home.min()[0], home.max()[0])
                .default_y_bounds(home.min()[1], home.max()[1])
                .label_formatter(move |pos| {
                    Some(hover_text(hover_objective.as_ref(), position_of(pos)))
                });
        if let Some((text, color)) = slope_line(model) {
            ui.label(egui::RichText::new(text).color(color).strong());
        }
        let shown = model.sim.shown();
        let selected = model.sim.selected;
        let curve = &mut self.curve;
        let response = plot.show(ui, move |plot_ui| {
            let mut bounds = plot_ui.plot_bounds();
            if reset || !bounds.is_valid() {
                bounds = home;
                plot_ui.set_plot_bounds(bounds);
            }
            let region = Region::with_margin(bounds.min(), bounds.max(), 0.05);
            let key = CurveKey {
                objective: generation,
                x: Interval::new(bounds.min()[0], bounds.max()[0]),
            };
            if curve.as_ref().is_none_or(|(k, _)| *k != key) {
                *curve = Some((key.clone(), curve_segments(objective.as_ref(), key.x)));
            }
            let curve: &Option<_> = curve;
            if let Some((_, segments)) = curve {
                let color = plot_ui.ctx().global_style().visuals.text_color();
                for segment in segments.iter() {
                    plot_ui.line(
                        Line::new("", segment.as_slice())
                            .color(color)
                            .width(2.0)
                            .allow_hover(false),
                    );
                }
            }
            minima_items(plot_ui, objective.as_ref(), Color32::GRAY);
            for (i, slot) in model.sim.slots().iter().enumerate() {
                let index = (i, model.sim.slots().len());
                iterate_items(plot_ui, index, slot, shown, i == selected, &bounds, &region);
            }
        });
        let click = click_action(&response, ui, 1);
        if self
            .clicks
            .filter(model, &response.response, click, actions)
        {
            self.reset = true;
        }
        Some(response.transform)
    }
}

/// The function's x range grown to hold every run's start, with a margin.
pub fn home_range<'a>(view: Interval, starts: impl Iterator<Item = &'a [f64]>) -> Interval {
    let mut x = view;
    for start in starts.filter(|s| s.len() == 1 && s[0].is_finite()) {
        let margin = 0.08 * x.width();
        x = Interval::new(x.lo.min(start[0] - margin), x.hi.max(start[0] + margin));
    }
    x
}

/// The x range `x`, with a y range that holds the curve there.
pub fn home_bounds(objective: &dyn Objective, x: Interval) -> PlotBounds {
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

/// The curve over `x`, broken where f is undefined or not finite.
fn curve_segments(objective: &dyn Objective, x: Interval) -> Vec<Vec<PlotPoint>> {
    let mut segments = Vec::new();
    let mut segment: Vec<PlotPoint> = Vec::new();
    for i in 0..CURVE_SAMPLES {
        let xi = x.lo + x.width() * i as f64 / (CURVE_SAMPLES - 1) as f64;
        let v = if objective.in_domain(&[xi]) {
            objective.value(&[xi])
        } else {
            f64::NAN
        };
        if v.is_finite() && v.abs() < 1e15 {
            segment.push(PlotPoint::new(xi, v));
        } else if segment.len() > 1 {
            segments.push(std::mem::take(&mut segment));
        } else {
            segment.clear();
        }
    }
    if segment.len() > 1 {
        segments.push(segment);
    }
    segments
}

/// Dots on the curve for the iterates shown, arrows between them, the current iterate
/// highlighted and the tangent there with its slope: everything cut to the visible region.
fn iterate_items(
    plot_ui: &mut PlotUi<'_>,
    (index, runs): (usize, usize),
    slot: &RunSlot,
    shown: usize,
    selected: bool,
    bounds: &PlotBounds,
    region: &Region,
) {
    let color = run_color(slot.setup.color);
    let path = slot.run.path();
    let k = path.index_of(slot.shown_index(shown));
    let on_curve = |i: usize| [path.point(i)[0], path.value(i)];
    let stride = path.stride();
    if path.len() > k + 1 {
        let ahead: Vec<[f64; 2]> = path
            .samples()
            .filter(|(i, _)| *i > k)
            .step_by(((path.len() - k) / (2000 * stride)).max(1))
            .map(|(i, _)| on_curve(i))
            .filter(|p| region.contains(*p))
            .collect();
        plot_ui.add(
            Points::new("", ahead)
                .color(color.gamma_multiply(0.35))
                .radius(2.0)
                .allow_hover(false),
        );
    }
    // Long runs: at most a few hundred arrows, the latest ones.
    let first = k.saturating_sub(400 * stride);
    let dots: Vec<[f64; 2]> = path
        .samples()
        .filter(|(i, _)| (first..=k).contains(i))
        .map(|(i, _)| on_curve(i))
        .collect();
    let (mut origins, mut tips) = (Vec::new(), Vec::new());
    for pair in dots.windows(2) {
        if region.contains(pair[0]) && region.contains(pair[1]) {
            origins.push(pair[0]);
            tips.push(pair[1]);
        } else if let Some((a, b)) = region.clip_segment(pair[0], pair[1]) {
            plot_ui.line(
                Line::new("", vec![a, b])
                    .color(color.gamma_multiply(0.8))
                    .allow_hover(false),
            );
        }
    }
    if !origins.is_empty() {
        plot_ui.add(
            Arrows::new("", origins, tips)
                .color(color.gamma_multiply(0.8))
                .tip_length(8.0)
                .allow_hover(false),
        );
    }
    plot_ui.add(
        Points::new(
            "",
            dots.into_iter()
                .filter(|p| region.contains(*p))
                .collect::<Vec<_>>(),
        )
        .shape(super::run_marker(slot.setup.color))
        .color(color)
        .radius(3.5)
        .allow_hover(false),
    );
    let current = on_curve(k);
    plot_ui.add(
        Points::new(legend_name(index, slot, runs), vec![current])
            .shape(super::run_marker(slot.setup.color))
            .radius(if selected { 7.0 } else { 5.5 })
            .color(color)
            .allow_hover(false),
    );
    // The tangent at the current iterate, y = f(x_k) + f'(x_k) (x - x_k), cut to the view:
    // near a pole its slope is enormous, and an uncut dashed line would be millions of dashes.
    let slope = path.gradient(k)[0];
    let half = 0.12 * bounds.width();
    let tangent = region.clip_segment(
        [current[0] - half, current[1] - slope * half],
        [current[0] + half, current[1] + slope * half],
    );
    if let Some((a, b)) = tangent {
        plot_ui.line(
            Line::new("", vec![a, b])
                .color(color)
                .width(1.5)
                .style(egui_plot::LineStyle::dashed_dense())
                .allow_hover(false),
        );
    }
}

/// The selected run's iterate and its slope, in words and in the run's color: a line above
/// the plot, where neither the legend nor the curve can cover it.
fn slope_line(model: &Model) -> Option<(String, Color32)> {
    let slot = model.sim.slots().get(model.sim.selected)?;
    let path = slot.run.path();
    let k = path.index_of(slot.shown_index(model.sim.shown()));
    let (x, slope) = (path.point(k)[0], path.gradient(k)[0]);
    (x.is_finite() && slope.is_finite()).then(|| {
        (
            format!(
                "x_{k} = {}   f'(x_{k}) = {}  (the slope of the dashed tangent)",
                human(x),
                human(slope)
            ),
            run_color(slot.setup.color),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_home_range_holds_every_start() {
        let view = Interval::new(0.001, 2.5);
        assert_eq!(home_range(view, std::iter::empty()), view);
        let starts = [vec![8.0], vec![1.0]];
        let x = home_range(view, starts.iter().map(Vec::as_slice));
        assert!(x.lo == 0.001 && x.hi > 8.0, "{x:?}");
    }
}
