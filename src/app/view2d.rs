//! The 2-D view: heatmap, contours, quiver, minima and the runs' paths over (x, y).
//!
//! The view owns its caches, keyed by what they depend on (the objective's generation, the
//! visible region, the pixel size, the settings). The heatmap, contours and arrows are
//! computed by background jobs: until a new result arrives the view draws the last one.

use std::sync::Arc;

use egui::{Color32, TextureHandle, TextureOptions};
use egui_plot::{
    Arrows, Line, MarkerShape, Plot, PlotBounds, PlotImage, PlotPoint, PlotTransform, PlotUi,
    Points,
};

use super::action::Action;
use super::clip::Region;
use super::field::{
    ColorScale, Contours, Heatmap, HeatmapKey, QuiverArrow, contours_from_view, heatmap_from_view,
    quiver_from_view,
};
use super::jobs::{Cached, Runner};
use super::model::Model;
use super::plot_input::{ClickGuard, click_action, hover_text, minima_items, position_of};
use super::settings::DisplaySettings;
use super::simulation::RunSlot;
use super::step::StepInsight;
use super::view3d::critical_style;
use super::{legend_name, run_color};
use crate::engine::OptimizerKind;
use crate::engine::critical::{CriticalKind, CriticalPoint};
use crate::engine::format::short;
use crate::engine::inspect::StepTrace;
use crate::engine::regression::{BatchSpec, LossObjective, batch_at};
use crate::engine::{Interval, Objective};

/// Contour polylines ready to draw.
type ContourLines = Vec<Vec<PlotPoint>>;

/// The narrowest contour view that shows the runs' legend, in points.
const LEGEND_MIN_WIDTH: f32 = 240.0;

/// What the 2-D view caches between frames.
#[derive(Default)]
pub struct View2d {
    /// Frames left in which the view is fitted to the home box: the fit is repeated on the
    /// frame after a reset, when the axes' labels have settled the plot's size.
    reset: u8,
    heatmap: Cached<HeatmapKey, Heatmap>,
    texture: Option<(HeatmapKey, TextureHandle, Option<ColorScale>)>,
    contours: Cached<ContourKey, ContourLines>,
    quiver: Cached<QuiverKey, Vec<QuiverArrow>>,
    paths: Vec<ThinPath>,
    batch_contours: Option<(BatchContourKey, ContourLines)>,
    home: Option<Home>,
    /// The widest the y axis has been since the home box last changed. The axis never
    /// narrows below it: with x and y at one scale, a narrower axis widens the plot, which
    /// moves the ticks, which can widen the axis again, and the plot would flip between two
    /// sizes every frame (each asking for a new heatmap) for ever.
    y_axis_width: f32,
    clicks: ClickGuard,
    basins: super::basins::BasinOverlay,
    /// The basin map drawn last, for the hover text.
    last_basins: Option<(Arc<crate::engine::basins::BasinMap>, [Interval; 2])>,
}

/// Frames a reset fits the view in.
const RESET_FRAMES: u8 = 3;

/// The box a double click returns to, with what it was made from: the function's
/// generation and the user's view box.
type Home = (u64, Option<Vec<Interval>>, (Interval, Interval));

/// The mini-batch whose loss contours are drawn, in which view.
#[derive(Clone, Debug, PartialEq)]
struct BatchContourKey {
    step: usize,
    spec: BatchSpec,
    x: Interval,
    y: Interval,
    count: usize,
}

#[derive(Clone, Debug, PartialEq)]
struct ContourKey {
    function: u64,
    x: Interval,
    y: Interval,
    levels: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq)]
struct QuiverKey {
    function: u64,
    x: Interval,
    y: Interval,
    columns: usize,
    rows: usize,
}

/// The function and the region of it in view this frame.
struct Visible {
    objective: Arc<dyn Objective>,
    function: u64,
    x: Interval,
    y: Interval,
}

impl View2d {
    /// Fits the view box to the plot on the next frame.
    pub fn reset_view(&mut self) {
        self.reset = RESET_FRAMES;
    }

    /// The basin map the overlay drew last and the box it covers.
    pub fn basin_map(&self) -> Option<(Arc<crate::engine::basins::BasinMap>, [Interval; 2])> {
        self.last_basins.clone()
    }

    /// Whether a heatmap, contour or arrow job is still running.
    pub fn is_pending(&self) -> bool {
        self.heatmap.is_pending()
            || self.contours.is_pending()
            || self.quiver.is_pending()
            || self.basins.is_pending()
    }

    /// Draws the color bar and the plot; clicks become actions. Returns the transform.
    pub fn ui(
        &mut self,
        model: &Model,
        runner: Runner,
        (critical, insight): (Option<&[CriticalPoint]>, Option<&StepInsight>),
        ui: &mut egui::Ui,
        actions: &mut Vec<Action>,
    ) -> Option<PlotTransform> {
        let scale = self.texture.as_ref().and_then(|t| t.2);
        let colormap = model.settings.display.colormap;
        egui::Panel::right("colorbar")
            .exact_size(100.0)
            .resizable(false)
            .show(ui, |ui| colorbar_ui(ui, scale, colormap));
        if model.settings.display.slices {
            egui::Panel::bottom("slices")
                .exact_size(150.0)
                .resizable(false)
                .show(ui, |ui| slices_ui(model, ui));
        }
        Some(self.plot_ui(model, runner, (critical, insight), ui, actions))
    }

    fn plot_ui(
        &mut self,
        model: &Model,
        runner: Runner,
        (critical, insight): (Option<&[CriticalPoint]>, Option<&StepInsight>),
        ui: &mut egui::Ui,
        actions: &mut Vec<Action>,
    ) -> PlotTransform {
        let objective = model.objective().clone();
        let info = objective.info();
        let function = model.sim.objective_generation();
        let user_view = model.settings.view.clone().filter(|v| v.len() == 2);
        let view = model.view();
        if self
            .home
            .as_ref()
            .is_none_or(|(g, v, _)| *g != function || *v != user_view)
        {
            // The user's view box is shown as given; the function's own grows to hold the
            // starts and keeps x and y at one scale.
            let home = match &user_view {
                Some(v) => (v[0], v[1]),
                None => home_view(
                    (view[0], view[1]),
                    model.sim.slots().iter().map(|s| s.setup.start.as_slice()),
                ),
            };
            self.home = Some((function, user_view.clone(), home));
            self.reset = RESET_FRAMES;
            self.y_axis_width = 0.0;
        }
        let home = self
            .home
            .as_ref()
            .map_or((view[0], view[1]), |(_, _, h)| *h);
        let hover_objective = objective.clone();
        let hover_basins = self
            .last_basins
            .clone()
            .filter(|_| model.settings.display.basins);
        let mut plot = Plot::new("field");
        if user_view.is_none() {
            plot = plot.data_aspect(1.0);
        }
        let fit = user_view.is_none();
        // A legend wider than the plot would spill over its neighbours (the lab's scatter).
        if ui.available_width() >= LEGEND_MIN_WIDTH {
            plot = plot.legend(egui_plot::Legend::default());
        }
        let plot = super::plot_input::short_ticks(plot)
            .y_axis_min_width(self.y_axis_width)
            .allow_double_click_reset(false)
            .allow_boxed_zoom(false)
            .show_grid(false)
            .x_axis_label(info.param_names[0].clone())
            .y_axis_label(info.param_names[1].clone())
            .default_x_bounds(home.0.lo, home.0.hi)
            .default_y_bounds(home.1.lo, home.1.hi)
            .label_formatter(move |pos| {
                let p = position_of(pos);
                let mut text = hover_text(hover_objective.as_ref(), p);
                if let Some((map, view)) = &hover_basins
                    && let Some(line) = super::basins::hover_line(map, view, [p.x, p.y])
                {
                    text.push('\n');
                    text.push_str(&line);
                }
                Some(text)
            });
        let reset = self.reset > 0;
        self.reset = self.reset.saturating_sub(1);
        let display = model.settings.display;
        let ppp = ui.ctx().pixels_per_point();
        let shown = model.sim.shown();
        let selected = model.sim.selected;
        let this = &mut *self;
        let plot_left = ui.available_rect_before_wrap().left();
        let response = plot.show(ui, move |plot_ui| {
            let frame = *plot_ui.transform().frame();
            let mut bounds = plot_ui.plot_bounds();
            if reset || !bounds.is_valid() {
                bounds = if fit {
                    fitted_bounds(home.0, home.1, frame.width() as f64, frame.height() as f64)
                } else {
                    PlotBounds::from_min_max([home.0.lo, home.1.lo], [home.0.hi, home.1.hi])
                };
                plot_ui.set_plot_bounds(bounds);
            }
            let x = Interval::new(bounds.min()[0], bounds.max()[0]);
            let y = Interval::new(bounds.min()[1], bounds.max()[1]);
            let visible = Visible {
                objective: objective.clone(),
                function,
                x,
                y,
            };
            let region = Region::with_margin(bounds.min(), bounds.max(), 0.05);
            let units_per_px = [
                x.width() / frame.width() as f64,
                y.width() / frame.height() as f64,
            ];
            // First what changes the caches, then drawing that borrows from them.
            this.heatmap_item(plot_ui, runner, &visible, frame.size() * ppp, &display);
            if display.basins && !model.in_lab() {
                this.last_basins = this.basins.items(plot_ui, model, runner, x, y);
            }
            if display.show_contours {
                this.request_contours(runner, &visible, display.contour_count);
            }
            let batch_contours = model.in_lab() && model.settings.lab.show_batch_contours;
            if batch_contours {
                this.request_batch_contours(model, &visible, display.contour_count);
            }
            let slots = model.sim.slots();
            this.paths.resize_with(slots.len(), ThinPath::default);
            // A swarm's faint lines keep a point every few pixels: a thousand paths at one
            // pixel would be more geometry than a frame can tessellate in time.
            let light = slots.len() > super::model::SWARM;
            for (i, (slot, thin)) in slots.iter().zip(&mut this.paths).enumerate() {
                let line_px = if light && i != selected {
                    LIGHT_LINE_PX
                } else {
                    LINE_PX
                };
                thin.update(slot, units_per_px, line_px);
            }
            if display.show_quiver {
                this.quiver_items(plot_ui, runner, &visible, display.quiver_density);
            }
            let this: &View2d = this;
            if display.show_contours
                && let Some((key, lines)) = &this.contours.current
                && key.function == visible.function
            {
                contour_lines(plot_ui, lines, Color32::from_white_alpha(110), 1.0);
            }
            if batch_contours && let Some((_, lines)) = &this.batch_contours {
                let orange = Color32::from_rgba_unmultiplied(255, 150, 40, 200);
                contour_lines(plot_ui, lines, orange, 1.2);
            }
            match critical {
                Some(points) => critical_items(plot_ui, points),
                None => minima_items(plot_ui, objective.as_ref(), Color32::WHITE),
            }
            let runs = slots.len();
            let swarm = runs > super::model::SWARM;
            // A swarm's current points go in one item per color: a thousand items would
            // cost more than the points.
            let mut swarm_points: Vec<(Color32, Vec<[f64; 2]>)> = Vec::new();
            for (i, (slot, thin)) in slots.iter().zip(&this.paths).enumerate() {
                if swarm
                    && i != selected
                    && let Some(p) = light_path_items(plot_ui, slot, thin, shown, &region)
                {
                    let color = run_color(slot.setup.color);
                    match swarm_points.iter_mut().find(|(c, _)| *c == color) {
                        Some((_, points)) => points.push(p),
                        None => swarm_points.push((color, vec![p])),
                    }
                }
            }
            for (color, points) in swarm_points {
                plot_ui.add(
                    Points::new("", points)
                        .radius(2.5)
                        .color(color)
                        .allow_hover(false),
                );
            }
            // The selected run in full, on top of a swarm.
            for (i, (slot, thin)) in slots.iter().zip(&this.paths).enumerate() {
                if !swarm || i == selected {
                    path_items(
                        plot_ui,
                        (i, runs),
                        slot,
                        thin,
                        shown,
                        i == selected,
                        &region,
                    );
                }
            }
            if let (Some(insight), Some(slot)) = (insight, slots.get(selected)) {
                let reach = 0.18 * x.width().min(y.width());
                if display.internals {
                    internals_items(plot_ui, insight, slot, reach, &region);
                }
                if display.curvature {
                    curvature_items(plot_ui, insight, reach, &region);
                }
            }
        });
        let axis_width = response.transform.frame().left() - plot_left;
        if axis_width.is_finite() {
            self.y_axis_width = self.y_axis_width.max(axis_width);
        }
        let click = click_action(&response, ui, 2);
        if self
            .clicks
            .filter(model, &response.response, click, actions)
        {
            self.reset = RESET_FRAMES;
        }
        // The image was made for this frame's bounds before input moved them: catch up.
        let final_bounds = response.transform.bounds();
        if let Some((key, ..)) = &self.texture
            && (key.x != Interval::new(final_bounds.min()[0], final_bounds.max()[0])
                || key.y != Interval::new(final_bounds.min()[1], final_bounds.max()[1]))
        {
            ui.ctx().request_repaint();
        }
        response.transform
    }

    fn heatmap_item(
        &mut self,
        plot_ui: &mut PlotUi<'_>,
        runner: Runner,
        visible: &Visible,
        pixels: egui::Vec2,
        display: &DisplaySettings,
    ) {
        let key = HeatmapKey {
            function: visible.function,
            x: visible.x,
            y: visible.y,
            width: (pixels.x.round() as usize).clamp(1, 4096),
            height: (pixels.y.round() as usize).clamp(1, 4096),
            colormap: display.colormap,
            log: display.log_color,
        };
        let objective = visible.objective.clone();
        let work_key = key.clone();
        self.heatmap.request(runner, &key, move |_| {
            heatmap_from_view(objective.as_ref(), &work_key)
        });
        // A new image replaces the texture; the texture stays drawn at its own bounds.
        if let Some((key, heatmap)) = self.heatmap.current.take() {
            match &mut self.texture {
                Some((k, texture, scale)) => {
                    texture.set(heatmap.image.clone(), TextureOptions::LINEAR);
                    *k = key.clone();
                    *scale = heatmap.scale;
                }
                None => {
                    let texture = plot_ui.ctx().load_texture(
                        "heatmap",
                        heatmap.image.clone(),
                        TextureOptions::LINEAR,
                    );
                    self.texture = Some((key.clone(), texture, heatmap.scale));
                }
            }
            self.heatmap.current = Some((key, heatmap));
        }
        if let Some((key, texture, _)) = &self.texture
            && key.function == visible.function
        {
            let center = PlotPoint::new(key.x.center(), key.y.center());
            let size = egui::vec2(key.x.width() as f32, key.y.width() as f32);
            plot_ui.add(PlotImage::new("", texture.id(), center, size).allow_hover(false));
        }
    }

    fn request_contours(&mut self, runner: Runner, visible: &Visible, count: usize) {
        // Levels follow the color scale of the current function's newest heatmap.
        let Some((_, _, Some(scale))) = self
            .texture
            .as_ref()
            .filter(|(k, ..)| k.function == visible.function)
        else {
            return;
        };
        let key = ContourKey {
            function: visible.function,
            x: visible.x,
            y: visible.y,
            levels: scale.levels(count),
        };
        let objective = visible.objective.clone();
        let work_key = key.clone();
        self.contours.request(runner, &key, move |_| {
            let contours =
                contours_from_view(objective.as_ref(), work_key.x, work_key.y, &work_key.levels);
            lines_of(&contours)
        });
    }

    /// Contours of the loss of the batch the selected run uses next, in orange: the
    /// landscape a stochastic step actually descends.
    fn request_batch_contours(&mut self, model: &Model, visible: &Visible, count: usize) {
        let (Some(data), Some(slot)) = (&model.lab_data, model.sim.selected_slot()) else {
            return;
        };
        let Some(spec) = slot.run.batch_spec() else {
            return;
        };
        let key = BatchContourKey {
            step: slot.shown_index(model.sim.shown()) + 1,
            spec,
            x: visible.x,
            y: visible.y,
            count,
        };
        if self.batch_contours.as_ref().is_none_or(|(k, _)| *k != key) {
            let batch = LossObjective::of_batch(
                data.stats_of(&batch_at(data.len(), spec, key.step).collect::<Vec<u32>>()),
            );
            let coarse = crate::engine::Grid::sample(&batch, visible.x, visible.y, 64, 64);
            let lines = match ColorScale::of(&coarse, false) {
                Some(scale) => lines_of(&contours_from_view(
                    &batch,
                    visible.x,
                    visible.y,
                    &scale.levels(count),
                )),
                None => Vec::new(),
            };
            self.batch_contours = Some((key, lines));
        }
    }

    fn quiver_items(
        &mut self,
        plot_ui: &mut PlotUi<'_>,
        runner: Runner,
        visible: &Visible,
        density: usize,
    ) {
        let (x, y) = (visible.x, visible.y);
        let aspect = y.width() / x.width();
        let (columns, rows) = if aspect <= 1.0 {
            (density, ((density as f64 * aspect).round() as usize).max(2))
        } else {
            (((density as f64 / aspect).round() as usize).max(2), density)
        };
        let key = QuiverKey {
            function: visible.function,
            x,
            y,
            columns,
            rows,
        };
        let objective = visible.objective.clone();
        self.quiver.request(runner, &key, move |_| {
            quiver_from_view(objective.as_ref(), x, y, columns, rows)
        });
        let Some((key, arrows)) = &self.quiver.current else {
            return;
        };
        if key.function != visible.function {
            return;
        }
        // Four bands of opacity: stronger gradients are brighter as well as longer.
        for band in 0..4 {
            let lo = band as f64 / 4.0;
            let hi = (band + 1) as f64 / 4.0;
            let (origins, tips): (Vec<[f64; 2]>, Vec<[f64; 2]>) = arrows
                .iter()
                .filter(|a| a.strength >= lo && (a.strength < hi || band == 3))
                .map(|a| (a.origin, a.tip))
                .unzip();
            if origins.is_empty() {
                continue;
            }
            let alpha = 90 + 40 * band as u8;
            plot_ui.add(
                Arrows::new("", origins, tips)
                    .color(Color32::from_white_alpha(alpha))
                    .tip_length(5.0)
                    .allow_hover(false),
            );
        }
    }
}

/// Contour polylines as plot points, ready to be drawn borrowed.
fn lines_of(contours: &Contours) -> ContourLines {
    contours
        .lines
        .iter()
        .flat_map(|(_, polylines)| polylines)
        .map(|polyline| {
            polyline
                .iter()
                .map(|p| PlotPoint::new(p[0], p[1]))
                .collect()
        })
        .collect()
}

/// Draws every polyline in one color, without copying them.
fn contour_lines<'a>(
    plot_ui: &mut PlotUi<'a>,
    lines: &'a ContourLines,
    color: Color32,
    width: f32,
) {
    for polyline in lines {
        plot_ui.line(
            Line::new("", polyline.as_slice())
                .color(color)
                .width(width)
                .allow_hover(false),
        );
    }
}

/// The function's view box, grown to hold every run's start (with a margin), so runs
/// started from the command line or a saved session far out are in view.
pub fn home_view<'a>(
    view: (Interval, Interval),
    starts: impl Iterator<Item = &'a [f64]>,
) -> (Interval, Interval) {
    let (mut x, mut y) = view;
    for start in starts.filter(|s| s.len() >= 2) {
        let (mx, my) = (0.08 * x.width(), 0.08 * y.width());
        x = Interval::new(x.lo.min(start[0] - mx), x.hi.max(start[0] + mx));
        y = Interval::new(y.lo.min(start[1] - my), y.hi.max(start[1] + my));
    }
    (x, y)
}

/// The view box grown along one axis so that x and y have the same scale in a plot of
/// `width` x `height` pixels.
pub fn fitted_bounds(x: Interval, y: Interval, width: f64, height: f64) -> PlotBounds {
    let (mut x, mut y) = (x, y);
    if width > 0.0 && height > 0.0 {
        let units_per_px = (x.width() / width).max(y.width() / height);
        let (w, h) = (units_per_px * width, units_per_px * height);
        x = Interval::new(x.center() - w / 2.0, x.center() + w / 2.0);
        y = Interval::new(y.center() - h / 2.0, y.center() + h / 2.0);
    }
    PlotBounds::from_min_max([x.lo, y.lo], [x.hi, y.hi])
}

/// A run's path thinned to what the screen can show: a point is kept when it lies far enough
/// (in pixels) from the last kept one. It depends on the scale only, so panning keeps it;
/// it is extended as the run grows, so an animation frame costs what the screen shows.
#[derive(Default)]
pub struct ThinPath {
    key: Option<(u64, [f64; 2], f64)>,
    processed: usize,
    line_iters: Vec<usize>,
    line: Vec<PlotPoint>,
    dot_iters: Vec<usize>,
    dots: Vec<PlotPoint>,
    /// The bounding box of every kept point, to know when clipping is needed.
    extent: Option<([f64; 2], [f64; 2])>,
}

/// Pixels between kept points of the path's line and of its dots.
const LINE_PX: f64 = 1.0;
const DOT_PX: f64 = 5.0;
/// Pixels between kept points of a swarm's faint lines.
const LIGHT_LINE_PX: f64 = 3.0;

impl ThinPath {
    /// Brings the thinned path up to date with `slot`'s run where one pixel is
    /// `units_per_px` plot units, keeping line points `line_px` pixels apart.
    pub fn update(&mut self, slot: &RunSlot, units_per_px: [f64; 2], line_px: f64) {
        let key = (slot.generation, units_per_px, line_px);
        let path = slot.run.path();
        let newest = path.len().saturating_sub(1);
        if self.key.as_ref() != Some(&key) || newest + 1 < self.processed {
            *self = Self {
                key: Some(key),
                ..Self::default()
            };
        }
        let far = |kept: &[PlotPoint], p: PlotPoint, px: f64| {
            kept.last().is_none_or(|q| {
                let dx = (p.x - q.x) / units_per_px[0];
                let dy = (p.y - q.y) / units_per_px[1];
                dx * dx + dy * dy >= px * px
            })
        };
        // The samples a capped path keeps (the exact last iterate is drawn separately).
        let stride = path.stride();
        let mut next = self.processed.next_multiple_of(stride);
        while next < newest {
            let q = path.point(next);
            let p = PlotPoint::new(q[0], q[1]);
            if far(&self.line, p, line_px) {
                self.line.push(p);
                self.line_iters.push(next);
                self.extent = Some(match self.extent {
                    None => ([p.x, p.y], [p.x, p.y]),
                    Some((lo, hi)) => (
                        [lo[0].min(p.x), lo[1].min(p.y)],
                        [hi[0].max(p.x), hi[1].max(p.y)],
                    ),
                });
            }
            if far(&self.dots, p, DOT_PX) {
                self.dots.push(p);
                self.dot_iters.push(next);
            }
            next += stride;
        }
        self.processed = next;
    }

    /// The kept points of the line before iterate `k`.
    pub fn line_before(&self, k: usize) -> &[PlotPoint] {
        &self.line[..self.line_iters.partition_point(|i| *i < k)]
    }

    /// The kept points of the line after iterate `k`.
    pub fn line_after(&self, k: usize) -> &[PlotPoint] {
        &self.line[self.line_iters.partition_point(|i| *i <= k)..]
    }

    /// Dots at iterates up to `k`, at least a few pixels apart.
    pub fn dots_to(&self, k: usize) -> &[PlotPoint] {
        &self.dots[..self.dot_iters.partition_point(|i| *i <= k)]
    }

    /// The number of points kept for the line (for tests of the thinning).
    pub fn kept(&self) -> usize {
        self.line.len()
    }

    /// Whether every kept point lies inside `region`.
    fn inside(&self, region: &Region) -> bool {
        self.extent
            .is_none_or(|(lo, hi)| region.contains(lo) && region.contains(hi))
    }
}

/// A polyline drawn borrowed when it lies in view, else cut to the view first.
fn polyline<'a>(
    plot_ui: &mut PlotUi<'a>,
    name: &str,
    points: &'a [PlotPoint],
    inside: bool,
    region: &Region,
    style: impl Fn(Line<'a>) -> Line<'a>,
) {
    if inside {
        plot_ui.line(style(Line::new(name, points)));
        return;
    }
    let coordinates: Vec<[f64; 2]> = points.iter().map(|p| [p.x, p.y]).collect();
    for piece in region.clip_polyline(&coordinates) {
        plot_ui.line(style(Line::new(name, piece)));
    }
}

/// Samples of each slice.
const SLICE_SAMPLES: usize = 200;

/// The two slices through the selected run's point (a, b): f(x, b) and f(a, y), each with
/// its tangent line (slope df/dx, df/dy) and the point.
fn slices_ui(model: &Model, ui: &mut egui::Ui) {
    let Some(slot) = model.sim.selected_slot() else {
        ui.weak("Add a run to see the slices through its point.");
        return;
    };
    let objective = model.objective().clone();
    let path = slot.run.path();
    let k = path.index_of(slot.shown_index(model.sim.shown()));
    let (a, b) = (path.point(k)[0], path.point(k)[1]);
    let mut gradient = [0.0; 2];
    let f = objective.value_and_gradient(&[a, b], &mut gradient);
    let view = model.view();
    let color = run_color(slot.setup.color);
    ui.columns(2, |columns| {
        for (axis, column) in columns.iter_mut().enumerate() {
            let range = view[axis];
            let at = |t: f64| if axis == 0 { [t, b] } else { [a, t] };
            let here = if axis == 0 { a } else { b };
            let (name, title, line_color) = if axis == 0 {
                (
                    "x",
                    format!("f(x, {})   slope df/dx = {}", short(b), short(gradient[0])),
                    Color32::from_rgb(255, 120, 60),
                )
            } else {
                (
                    "y",
                    format!("f({}, y)   slope df/dy = {}", short(a), short(gradient[1])),
                    Color32::from_rgb(60, 200, 255),
                )
            };
            let slice: Vec<[f64; 2]> = (0..=SLICE_SAMPLES)
                .map(|i| range.lo + range.width() * i as f64 / SLICE_SAMPLES as f64)
                .map(|t| [t, objective.value(&at(t))])
                .filter(|p| p[1].is_finite())
                .collect();
            let slope = gradient[axis];
            let half = 0.15 * range.width();
            let tangent: Vec<[f64; 2]> = [here - half, here + half]
                .iter()
                .map(|&t| [t, f + slope * (t - here)])
                .collect();
            let plot = Plot::new(("slice", axis))
                .allow_drag(false)
                .allow_zoom(false)
                .allow_scroll(false)
                .allow_boxed_zoom(false)
                .allow_double_click_reset(false)
                .show_x(false)
                .show_y(false)
                .x_axis_label(name);
            let plot = super::plot_input::short_ticks(plot);
            column.label(egui::RichText::new(title).small());
            plot.show(column, |plot_ui| {
                plot_ui.line(Line::new("", slice).color(line_color).width(1.5));
                if f.is_finite() && slope.is_finite() {
                    plot_ui.line(
                        Line::new("", tangent)
                            .color(Color32::from_white_alpha(200))
                            .style(egui_plot::LineStyle::dashed_loose()),
                    );
                    plot_ui.points(Points::new("", vec![[here, f]]).radius(4.0).color(color));
                }
            });
        }
    });
}

/// Most critical points whose values are written beside them; with more, the hover shows
/// them.
const LABELLED_CRITICAL: usize = 16;

/// The critical points, one legend entry per kind, with their values when few.
fn critical_items(plot_ui: &mut PlotUi<'_>, points: &[CriticalPoint]) {
    for kind in [
        CriticalKind::Minimum,
        CriticalKind::Maximum,
        CriticalKind::Saddle,
        CriticalKind::Degenerate,
    ] {
        let of_kind: Vec<[f64; 2]> = points
            .iter()
            .filter(|p| p.kind == kind && p.point.len() == 2)
            .map(|p| [p.point[0], p.point[1]])
            .collect();
        if of_kind.is_empty() {
            continue;
        }
        let (color, name) = critical_style(kind);
        let shape = match kind {
            CriticalKind::Minimum => MarkerShape::Diamond,
            CriticalKind::Maximum => MarkerShape::Up,
            CriticalKind::Saddle => MarkerShape::Cross,
            CriticalKind::Degenerate => MarkerShape::Circle,
        };
        plot_ui.points(
            Points::new(format!("{name} ({})", of_kind.len()), of_kind)
                .shape(shape)
                .radius(6.0)
                .filled(kind != CriticalKind::Degenerate)
                .color(color)
                .allow_hover(false),
        );
    }
    if points.len() <= LABELLED_CRITICAL {
        for p in points.iter().filter(|p| p.point.len() == 2) {
            let (color, _) = critical_style(p.kind);
            plot_ui.text(
                egui_plot::Text::new(
                    "",
                    PlotPoint::new(p.point[0], p.point[1]),
                    egui::RichText::new(format!("  f = {}", short(p.value)))
                        .color(color)
                        .small(),
                )
                .anchor(egui::Align2::LEFT_BOTTOM),
            );
        }
    }
}

/// The path of one run: the part computed ahead (faint), the part shown (line and dots),
/// the current point and the current step as an arrow.
fn path_items<'a>(
    plot_ui: &mut PlotUi<'a>,
    (index, runs): (usize, usize),
    slot: &RunSlot,
    thin: &'a ThinPath,
    shown: usize,
    selected: bool,
    region: &Region,
) {
    let color = run_color(slot.setup.color);
    let path = slot.run.path();
    let k = path.index_of(slot.shown_index(shown));
    let xy = |p: &[f64]| [p[0], p[1]];
    let current = xy(path.point(k));
    let inside = thin.inside(region) && region.contains(current);
    let faint = |line: Line<'a>| -> Line<'a> {
        line.color(color.gamma_multiply(0.35))
            .width(1.5)
            .allow_hover(false)
    };
    let strong = |line: Line<'a>| -> Line<'a> {
        line.color(color)
            .width(if selected { 2.5 } else { 1.5 })
            .allow_hover(false)
    };
    if path.len() > k + 1 {
        let ahead = thin.line_after(k);
        polyline(plot_ui, "", ahead, inside, region, faint);
        let last = xy(path.last_point());
        let link = [ahead.last().map_or(current, |p| [p.x, p.y]), last];
        if let Some((a, b)) = region.clip_segment(link[0], link[1]) {
            plot_ui.line(faint(Line::new("", vec![a, b])));
        }
    }
    let before = thin.line_before(k);
    // A dark halo under the path keeps every palette color readable on every colormap.
    let halo = |line: Line<'a>| -> Line<'a> {
        line.color(Color32::from_black_alpha(150))
            .width(if selected { 4.5 } else { 3.5 })
            .allow_hover(false)
    };
    polyline(plot_ui, "", before, inside, region, halo);
    polyline(
        plot_ui,
        &legend_name(index, slot, runs),
        before,
        inside,
        region,
        strong,
    );
    let link = [before.last().map_or(current, |p| [p.x, p.y]), current];
    if let Some((a, b)) = region.clip_segment(link[0], link[1]) {
        plot_ui.line(strong(Line::new("", vec![a, b])));
    }
    let marker = super::run_marker(slot.setup.color);
    plot_ui.add(
        Points::new("", thin.dots_to(k))
            .shape(marker)
            .color(color)
            .radius(2.5)
            .allow_hover(false),
    );
    let start = xy(path.point(0));
    plot_ui.add(
        Points::new("", vec![start])
            .shape(MarkerShape::Square)
            .filled(false)
            .radius(5.0)
            .color(color)
            .allow_hover(false),
    );
    if k + 1 < path.len() {
        let next = xy(path.point(k + 1));
        if region.contains(current) && region.contains(next) {
            plot_ui.add(
                Arrows::new("", vec![current], vec![next])
                    .color(color)
                    .tip_length(9.0)
                    .allow_hover(false),
            );
        }
    }
    plot_ui.add(
        Points::new("", vec![current])
            .shape(marker)
            .radius(if selected { 8.0 } else { 6.5 })
            .color(Color32::from_black_alpha(150))
            .allow_hover(false),
    );
    plot_ui.add(
        Points::new("", vec![current])
            .shape(marker)
            .radius(if selected { 6.5 } else { 5.0 })
            .color(color)
            .allow_hover(false),
    );
}

/// Colors of the step's arrows.
const RAW_GRADIENT: Color32 = Color32::from_rgb(255, 160, 40);
const SEEN_GRADIENT: Color32 = Color32::from_rgb(250, 225, 70);
const MEMORY: Color32 = Color32::from_rgb(235, 100, 235);
const SCALE: Color32 = Color32::from_rgb(120, 200, 255);
const CURVES_UP: Color32 = Color32::from_rgb(90, 225, 120);
const CURVES_DOWN: Color32 = Color32::from_rgb(245, 85, 85);

/// What an optimizer keeps, for the overlay: the direction it moves along and the
/// per-axis scale it divides by, each with its legend name.
struct Memory<'a> {
    direction: Option<(&'static str, &'a [f64])>,
    scale: Option<(&'static str, Vec<f64>)>,
}

/// What the optimizer keeps besides the gradient, for the overlay: the direction it moves
/// along (momentum buffer or first moment) and the per-axis scale it divides by.
fn memory_of(trace: &StepTrace) -> Memory<'_> {
    let after = &trace.after;
    let sqrt = |v: &[f64]| v.iter().map(|x| x.max(0.0).sqrt()).collect::<Vec<f64>>();
    let (direction, scale) = match trace.config.kind {
        OptimizerKind::Momentum | OptimizerKind::Nesterov => (
            Some(("-b, the momentum buffer", after.first.as_slice())),
            None,
        ),
        OptimizerKind::Adagrad => (None, Some(("sqrt(s) per axis", sqrt(&after.first)))),
        OptimizerKind::Rmsprop | OptimizerKind::Adadelta => {
            (None, Some(("sqrt(v) per axis", sqrt(&after.second))))
        }
        OptimizerKind::Adam | OptimizerKind::AdamW if trace.config.amsgrad => (
            Some(("-m, the first moment", after.first.as_slice())),
            Some(("sqrt(vmax) per axis", sqrt(&after.third))),
        ),
        OptimizerKind::Adam
        | OptimizerKind::AdamW
        | OptimizerKind::NAdam
        | OptimizerKind::RAdam => (
            Some(("-m, the first moment", after.first.as_slice())),
            Some(("sqrt(v) per axis", sqrt(&after.second))),
        ),
        OptimizerKind::Adamax => (
            Some(("-m, the first moment", after.first.as_slice())),
            Some(("u per axis (max |g|)", after.third.clone())),
        ),
        OptimizerKind::Gd | OptimizerKind::Newton | OptimizerKind::LineSearch => (None, None),
    };
    Memory { direction, scale }
}

/// An arrow from `from` along `v` times `scale`, cut to the region; named for the legend.
fn overlay_arrow(
    plot_ui: &mut PlotUi<'_>,
    name: &str,
    from: [f64; 2],
    v: [f64; 2],
    color: Color32,
    region: &Region,
) {
    let to = [from[0] + v[0], from[1] + v[1]];
    if !(to[0].is_finite() && to[1].is_finite()) || (v[0] == 0.0 && v[1] == 0.0) {
        return;
    }
    if let Some((a, b)) = region.clip_segment(from, to) {
        plot_ui.add(
            Arrows::new(name, vec![a], vec![b])
                .color(color)
                .tip_length(10.0)
                .allow_hover(false),
        );
    }
}

/// The step's arrows at the current point: -g (raw, and as the optimizer saw it), the
/// momentum buffer or first moment, all in gradient units at one scale, so the longest is
/// `reach` long; the per-axis scale as an ellipse at that scale; the step taken, true size.
fn internals_items(
    plot_ui: &mut PlotUi<'_>,
    insight: &StepInsight,
    slot: &RunSlot,
    reach: f64,
    region: &Region,
) {
    let trace = &insight.trace;
    if trace.point.len() != 2 || !region.contains([trace.point[0], trace.point[1]]) {
        return;
    }
    let p = [trace.point[0], trace.point[1]];
    let Memory {
        direction: memory,
        scale,
    } = memory_of(trace);
    let norm2 = |v: &[f64]| v[0].hypot(v[1]);
    let mut longest = norm2(&trace.gradient).max(norm2(&trace.seen));
    if let Some((_, m)) = memory {
        longest = longest.max(norm2(m));
    }
    if let Some((_, s)) = &scale {
        longest = longest.max(s[0].abs()).max(s[1].abs());
    }
    let unit = if longest > 0.0 && longest.is_finite() {
        reach / longest
    } else {
        0.0
    };
    let minus = |v: &[f64]| [-v[0] * unit, -v[1] * unit];
    if let Some((name, s)) = &scale
        && unit > 0.0
    {
        let (a, b) = (s[0] * unit, s[1] * unit);
        let ring: Vec<[f64; 2]> = (0..=64)
            .map(|i| {
                let t = std::f64::consts::TAU * i as f64 / 64.0;
                [p[0] + a * t.cos(), p[1] + b * t.sin()]
            })
            .filter(|q| region.contains(*q))
            .collect();
        if ring.len() > 1 {
            plot_ui.line(
                Line::new(*name, ring)
                    .color(SCALE)
                    .width(1.5)
                    .allow_hover(false),
            );
        }
    }
    overlay_arrow(
        plot_ui,
        "-grad f",
        p,
        minus(&trace.gradient),
        RAW_GRADIENT,
        region,
    );
    if trace.noisy.is_some() || trace.clipped() {
        let name = match (trace.noisy.is_some(), trace.clipped()) {
            (true, true) => "-g with noise, clipped",
            (true, false) => "-g with noise",
            _ => "-g clipped",
        };
        overlay_arrow(plot_ui, name, p, minus(&trace.seen), SEEN_GRADIENT, region);
    }
    if let Some((name, m)) = memory {
        overlay_arrow(plot_ui, name, p, minus(m), MEMORY, region);
    }
    let step = trace.step();
    overlay_arrow(
        plot_ui,
        "step taken",
        p,
        [step[0], step[1]],
        run_color(slot.setup.color),
        region,
    );
}

/// The Hessian's eigenvectors at the current point as axes as long as their eigenvalues
/// (the largest `reach`), green where f curves up and red where it curves down, and
/// Newton's full step as a dashed line to a ring.
fn curvature_items(plot_ui: &mut PlotUi<'_>, insight: &StepInsight, reach: f64, region: &Region) {
    let trace = &insight.trace;
    let Some(geometry) = &insight.geometry else {
        return;
    };
    if trace.point.len() != 2 || !region.contains([trace.point[0], trace.point[1]]) {
        return;
    }
    let p = [trace.point[0], trace.point[1]];
    let largest = geometry
        .eigenvalues
        .iter()
        .map(|v| v.abs())
        .fold(0.0, f64::max);
    if largest > 0.0 && largest.is_finite() {
        for (value, vector) in geometry.eigenvalues.iter().zip(&geometry.eigenvectors) {
            let half = reach * value.abs() / largest;
            let a = [p[0] - half * vector[0], p[1] - half * vector[1]];
            let b = [p[0] + half * vector[0], p[1] + half * vector[1]];
            let (color, name) = if *value >= 0.0 {
                (CURVES_UP, "curvature axis, curving up")
            } else {
                (CURVES_DOWN, "curvature axis, curving down")
            };
            if let Some((a, b)) = region.clip_segment(a, b) {
                plot_ui.line(
                    Line::new(name, vec![a, b])
                        .color(color)
                        .width(3.0)
                        .allow_hover(false),
                );
            }
        }
    }
    if let Some(step) = &geometry.newton_step {
        let to = [p[0] + step[0], p[1] + step[1]];
        if let Some((a, b)) = region.clip_segment(p, to) {
            plot_ui.line(
                Line::new("Newton's step", vec![a, b])
                    .color(Color32::WHITE)
                    .style(egui_plot::LineStyle::dashed_loose())
                    .width(1.5)
                    .allow_hover(false),
            );
        }
        if region.contains(to) {
            plot_ui.add(
                Points::new("Newton's step", vec![to])
                    .shape(MarkerShape::Circle)
                    .filled(false)
                    .radius(6.0)
                    .color(Color32::WHITE)
                    .allow_hover(false),
            );
        }
    }
}

/// A run of a swarm: its path so far as a thin faint line. Returns its current point when
/// it is in view, for the caller to draw with the others of its color.
fn light_path_items<'a>(
    plot_ui: &mut PlotUi<'a>,
    slot: &RunSlot,
    thin: &'a ThinPath,
    shown: usize,
    region: &Region,
) -> Option<[f64; 2]> {
    let color = run_color(slot.setup.color);
    let path = slot.run.path();
    let k = path.index_of(slot.shown_index(shown));
    let current = [path.point(k)[0], path.point(k)[1]];
    let before = thin.line_before(k);
    let inside = thin.inside(region) && region.contains(current);
    if before.len() > 1 {
        polyline(plot_ui, "", before, inside, region, |line: Line<'a>| {
            line.color(color.gamma_multiply(0.45))
                .width(1.0)
                .allow_hover(false)
        });
    }
    region.contains(current).then_some(current)
}

/// A vertical color bar with ticks at nice values (decades on a log scale).
pub fn colorbar_ui(ui: &mut egui::Ui, scale: Option<ColorScale>, colormap: super::field::Colormap) {
    let Some(scale) = scale else {
        ui.label("no finite values in view");
        return;
    };
    ui.add_space(6.0);
    ui.label(egui::RichText::new(if scale.log { "f (log)" } else { "f" }).small());
    let avail = ui.available_size();
    let height = (avail.y - 24.0).max(60.0);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(avail.x, height), egui::Sense::hover());
    let bar = egui::Rect::from_min_size(
        rect.min + egui::vec2(4.0, 6.0),
        egui::vec2(16.0, height - 12.0),
    );
    let painter = ui.painter_at(rect);
    let bands = 96;
    let mut mesh = egui::Mesh::default();
    for i in 0..bands {
        let t0 = i as f32 / bands as f32;
        let t1 = (i + 1) as f32 / bands as f32;
        let color = colormap.color((t0 as f64 + t1 as f64) / 2.0);
        let band = egui::Rect::from_min_max(
            egui::pos2(bar.left(), bar.bottom() - t1 * bar.height()),
            egui::pos2(bar.right(), bar.bottom() - t0 * bar.height()),
        );
        mesh.add_colored_rect(band, color);
    }
    painter.add(mesh);
    painter.rect_stroke(
        bar,
        0.0,
        ui.visuals().widgets.noninteractive.fg_stroke,
        egui::StrokeKind::Outside,
    );
    // About one label per 60 points of bar, at nice numbers.
    let count = ((bar.height() / 60.0) as usize).clamp(2, 8);
    let stroke = ui.visuals().widgets.noninteractive.fg_stroke;
    for (t, label) in scale.ticks(count) {
        let yy = bar.bottom() - t as f32 * bar.height();
        painter.line_segment(
            [
                egui::pos2(bar.right(), yy),
                egui::pos2(bar.right() + 3.0, yy),
            ],
            stroke,
        );
        painter.text(
            egui::pos2(bar.right() + 5.0, yy),
            egui::Align2::LEFT_CENTER,
            label,
            egui::FontId::proportional(11.0),
            ui.visuals().text_color(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thin_paths_keep_what_the_screen_shows_and_survive_panning() {
        use crate::app::simulation::{RunSetup, Simulation, Speed};
        use crate::engine::{OptimizerConfig, OptimizerKind, preset};
        let mut sim = Simulation::new(preset("bowl", None).unwrap(), 5000, 0.0);
        sim.add_run(RunSetup {
            start: vec![-1.0, 4.0],
            optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.001),
            color: 0,
            batch: None,
        })
        .unwrap();
        sim.speed = Speed::Instant;
        sim.advance(0.0, std::time::Duration::from_secs(60));
        let slot = &sim.slots()[0];
        assert_eq!(slot.run.iterations(), 5000);
        // 0.01 units per pixel: the path from (-1, 4) towards (1, 2) is ~280 pixels long.
        let mut thin = ThinPath::default();
        thin.update(slot, [0.01, 0.01], LINE_PX);
        assert!(thin.kept() < 600, "{} points kept of 5001", thin.kept());
        assert_eq!(thin.line_before(1)[0], PlotPoint::new(-1.0, 4.0));
        let before = thin.line_before(2500);
        let after = thin.line_after(2500);
        assert_eq!(
            before.len() + after.len(),
            thin.kept() - usize::from(thin.line_iters.contains(&2500))
        );
        // The same scale (a pan) keeps what was thinned.
        let kept = thin.kept();
        thin.update(slot, [0.01, 0.01], LINE_PX);
        assert_eq!(thin.kept(), kept);
        // Zooming in re-thins with more points.
        thin.update(slot, [0.001, 0.001], LINE_PX);
        assert!(thin.kept() > kept);
    }

    #[test]
    fn the_home_view_holds_every_start() {
        let view = (Interval::new(0.0, 5.0), Interval::new(0.0, 5.0));
        let starts: [&[f64]; 2] = [&[1.0, 1.0], &[8.0, -2.0]];
        let (x, y) = home_view(view, starts.into_iter());
        assert!(x.lo == 0.0 && x.hi > 8.0 && y.lo < -2.0 && y.hi == 5.0);
        assert_eq!(home_view(view, std::iter::empty()), view);
    }

    #[test]
    fn fitted_bounds_keep_the_view_box_and_square_pixels() {
        let b = fitted_bounds(
            Interval::new(0.0, 5.0),
            Interval::new(0.0, 5.0),
            1000.0,
            500.0,
        );
        assert!(b.min()[0] <= 0.0 && b.max()[0] >= 5.0 && b.min()[1] <= 0.0 && b.max()[1] >= 5.0);
        let per_px_x = b.width() / 1000.0;
        let per_px_y = b.height() / 500.0;
        assert!((per_px_x - per_px_y).abs() < 1e-12);
    }
}
