//! The 2-D view: heatmap, contours, quiver, minima and the runs' paths over (x, y).

use egui::{Color32, TextureHandle, TextureOptions};
use egui_plot::{
    Arrows, Line, MarkerShape, Plot, PlotBounds, PlotImage, PlotPoint, PlotUi, Points,
};

use super::field::{
    ColorScale, Contours, HeatmapKey, QuiverArrow, contours_from_view, heatmap_from_view,
    quiver_from_view,
};
use super::simulation::RunSlot;
use super::{DescentApp, fmt_num, fmt_short, run_color};
use crate::engine::regression::{BatchSpec, LossObjective, batch_at};
use crate::engine::{Interval, Objective};

/// What the 2-D view caches between frames.
pub struct View2d {
    reset: bool,
    heatmap: Option<(HeatmapKey, TextureHandle, Option<ColorScale>)>,
    contours: Option<(ContourKey, Contours)>,
    quiver: Option<(QuiverKey, Vec<QuiverArrow>)>,
    paths: Vec<ThinPath>,
    batch_contours: Option<(BatchContourKey, Contours)>,
}

/// The mini-batch whose loss contours are drawn, in which view.
#[derive(Clone, Debug, PartialEq)]
struct BatchContourKey {
    step: usize,
    spec: BatchSpec,
    x: Interval,
    y: Interval,
    count: usize,
}

/// The function and the region of it in view this frame.
#[derive(Clone, Copy)]
struct Visible<'a> {
    objective: &'a dyn Objective,
    function: &'a (String, usize, u64),
    x: Interval,
    y: Interval,
}

#[derive(Clone, Debug, PartialEq)]
struct ContourKey {
    function: (String, usize, u64),
    x: Interval,
    y: Interval,
    levels: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq)]
struct QuiverKey {
    function: (String, usize, u64),
    x: Interval,
    y: Interval,
    columns: usize,
    rows: usize,
}

impl Default for View2d {
    fn default() -> Self {
        Self {
            reset: true,
            heatmap: None,
            contours: None,
            quiver: None,
            paths: Vec::new(),
            batch_contours: None,
        }
    }
}

impl View2d {
    /// Fits the view box to the plot on the next frame.
    pub fn reset_view(&mut self) {
        self.reset = true;
    }

    /// Draws the color bar and the plot, and handles clicks on it.
    pub fn ui(app: &mut DescentApp, ui: &mut egui::Ui) {
        let mut view = std::mem::take(&mut app.view2d);
        let scale = view.heatmap.as_ref().and_then(|h| h.2);
        egui::Panel::right("colorbar")
            .exact_size(84.0)
            .resizable(false)
            .show(ui, |ui| colorbar_ui(ui, scale, app.settings.colormap));
        view.plot_ui(app, ui);
        app.view2d = view;
    }

    fn plot_ui(&mut self, app: &mut DescentApp, ui: &mut egui::Ui) {
        let objective = app.objective().clone();
        let info = objective.info();
        let function = (
            info.name.clone(),
            info.dim(),
            app.sim.objective_generation(),
        );
        let home = home_view(
            (info.view[0], info.view[1]),
            app.sim.slots().iter().map(|s| s.setup.start.as_slice()),
        );
        let hover_objective = objective.clone();
        let plot = Plot::new("field")
            .data_aspect(1.0)
            .allow_double_click_reset(false)
            .allow_boxed_zoom(false)
            .show_grid(false)
            .x_axis_label(info.param_names[0].clone())
            .y_axis_label(info.param_names[1].clone())
            .default_x_bounds(home.0.lo, home.0.hi)
            .default_y_bounds(home.1.lo, home.1.hi)
            .label_formatter(move |pos| Some(hover_text(hover_objective.as_ref(), pos_of(pos))));
        let reset = std::mem::take(&mut self.reset);
        let settings = app.settings.clone();
        let ppp = ui.ctx().pixels_per_point();
        let shown = app.sim.shown();
        let selected = app.sim.selected;
        let response = plot.show(ui, |plot_ui| {
            let frame = *plot_ui.transform().frame();
            let mut bounds = plot_ui.plot_bounds();
            if reset || !bounds.is_valid() {
                bounds = fitted_bounds(home.0, home.1, frame.width() as f64, frame.height() as f64);
                plot_ui.set_plot_bounds(bounds);
            }
            let x = Interval::new(bounds.min()[0], bounds.max()[0]);
            let y = Interval::new(bounds.min()[1], bounds.max()[1]);
            let visible = Visible {
                objective: objective.as_ref(),
                function: &function,
                x,
                y,
            };
            self.heatmap_item(plot_ui, &visible, frame.size() * ppp, &settings);
            if settings.show_contours {
                self.contour_items(plot_ui, &visible, settings.contour_count);
            }
            if settings.show_quiver {
                self.quiver_items(plot_ui, &visible, settings.quiver_density);
            }
            if app.in_lab() && settings.lab.show_batch_contours {
                self.batch_contour_items(plot_ui, app, &visible, settings.contour_count);
            }
            minima_items(plot_ui, objective.as_ref());
            let units_per_px = [
                x.width() / frame.width() as f64,
                y.width() / frame.height() as f64,
            ];
            let bounds_key = [x.lo, x.hi, y.lo, y.hi];
            let slots = app.sim.slots();
            self.paths.resize_with(slots.len(), ThinPath::default);
            for (i, (slot, thin)) in slots.iter().zip(&mut self.paths).enumerate() {
                thin.update(slot, bounds_key, units_per_px);
                path_items(plot_ui, slot, thin, shown, i == selected);
            }
        });
        app.plot_transform = Some(response.transform);
        if response.response.clicked()
            && let Some(pos) = response.response.interact_pointer_pos()
        {
            let p = response.transform.value_from_position(pos);
            let shift = super::click_modifiers(ui).shift;
            if shift {
                app.add_run_at(vec![p.x, p.y]);
            } else {
                app.set_start(vec![p.x, p.y]);
            }
        }
        if response.response.double_clicked() {
            self.reset = true;
        }
        // The image was made for this frame's bounds before input moved them: catch up.
        let final_bounds = response.transform.bounds();
        if let Some((key, ..)) = &self.heatmap
            && (key.x != Interval::new(final_bounds.min()[0], final_bounds.max()[0])
                || key.y != Interval::new(final_bounds.min()[1], final_bounds.max()[1]))
        {
            ui.ctx().request_repaint();
        }
    }

    fn heatmap_item(
        &mut self,
        plot_ui: &mut PlotUi<'_>,
        visible: &Visible<'_>,
        pixels: egui::Vec2,
        settings: &super::Settings,
    ) {
        let Visible {
            objective,
            function,
            x,
            y,
        } = *visible;
        let key = HeatmapKey {
            function: function.clone(),
            x,
            y,
            width: (pixels.x.round() as usize).clamp(1, 4096),
            height: (pixels.y.round() as usize).clamp(1, 4096),
            colormap: settings.colormap,
            log: settings.log_color,
        };
        let stale = self.heatmap.as_ref().is_none_or(|(k, ..)| *k != key);
        if stale {
            let heatmap = heatmap_from_view(objective, &key);
            match &mut self.heatmap {
                Some((k, texture, scale)) => {
                    texture.set(heatmap.image, TextureOptions::LINEAR);
                    *k = key;
                    *scale = heatmap.scale;
                }
                None => {
                    let texture = plot_ui.ctx().load_texture(
                        "heatmap",
                        heatmap.image,
                        TextureOptions::LINEAR,
                    );
                    self.heatmap = Some((key, texture, heatmap.scale));
                }
            }
        }
        if let Some((key, texture, _)) = &self.heatmap {
            let center = PlotPoint::new(key.x.center(), key.y.center());
            let size = egui::vec2(key.x.width() as f32, key.y.width() as f32);
            plot_ui.add(PlotImage::new("", texture.id(), center, size).allow_hover(false));
        }
    }

    fn contour_items(&mut self, plot_ui: &mut PlotUi<'_>, visible: &Visible<'_>, count: usize) {
        let Visible {
            objective,
            function,
            x,
            y,
        } = *visible;
        let Some(scale) = self.heatmap.as_ref().and_then(|h| h.2) else {
            return;
        };
        let key = ContourKey {
            function: function.clone(),
            x,
            y,
            levels: scale.levels(count),
        };
        if self.contours.as_ref().is_none_or(|(k, _)| *k != key) {
            let contours = contours_from_view(objective, x, y, &key.levels);
            self.contours = Some((key, contours));
        }
        let Some((_, contours)) = &self.contours else {
            return;
        };
        contour_lines(plot_ui, contours, Color32::from_white_alpha(110), 1.0);
    }

    /// Contours of the loss of the batch the selected run uses next, in orange: the
    /// landscape a stochastic step actually descends.
    fn batch_contour_items(
        &mut self,
        plot_ui: &mut PlotUi<'_>,
        app: &DescentApp,
        visible: &Visible<'_>,
        count: usize,
    ) {
        let (Some(data), Some(spec), Some(slot)) = (
            &app.lab_data,
            app.sim.selected_slot().and_then(|s| s.run.batch_spec()),
            app.sim.selected_slot(),
        ) else {
            return;
        };
        let key = BatchContourKey {
            step: slot.shown_index(app.sim.shown()) + 1,
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
            let contours = match ColorScale::of(&coarse, false) {
                Some(scale) => {
                    contours_from_view(&batch, visible.x, visible.y, &scale.levels(count))
                }
                None => Contours::default(),
            };
            self.batch_contours = Some((key, contours));
        }
        if let Some((_, contours)) = &self.batch_contours {
            let orange = Color32::from_rgba_unmultiplied(255, 150, 40, 200);
            contour_lines(plot_ui, contours, orange, 1.2);
        }
    }

    fn quiver_items(&mut self, plot_ui: &mut PlotUi<'_>, visible: &Visible<'_>, density: usize) {
        let Visible {
            objective,
            function,
            x,
            y,
        } = *visible;
        let aspect = y.width() / x.width();
        let (columns, rows) = if aspect <= 1.0 {
            (density, ((density as f64 * aspect).round() as usize).max(2))
        } else {
            (((density as f64 / aspect).round() as usize).max(2), density)
        };
        let key = QuiverKey {
            function: function.clone(),
            x,
            y,
            columns,
            rows,
        };
        if self.quiver.as_ref().is_none_or(|(k, _)| *k != key) {
            let arrows = quiver_from_view(objective, x, y, columns, rows);
            self.quiver = Some((key, arrows));
        }
        let Some((_, arrows)) = &self.quiver else {
            return;
        };
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

/// Draws every polyline of `contours` in one color.
fn contour_lines(plot_ui: &mut PlotUi<'_>, contours: &Contours, color: Color32, width: f32) {
    for polyline in contours.lines.iter().flat_map(|(_, polylines)| polylines) {
        plot_ui.line(
            Line::new("", polyline.clone())
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

fn pos_of(pos: &egui_plot::HoverPosition<'_>) -> PlotPoint {
    match pos {
        egui_plot::HoverPosition::NearDataPoint { position, .. } => *position,
        egui_plot::HoverPosition::Elsewhere { position } => *position,
    }
}

/// The two parameters, f and |grad f| at a point, for the hover label.
pub fn hover_text(objective: &dyn Objective, p: PlotPoint) -> String {
    let point = [p.x, p.y];
    let point = &point[..objective.dim().min(2)];
    let names = &objective.info().param_names;
    let (x, y) = (&names[0], names.get(1).map_or("y", String::as_str));
    if !objective.in_domain(point) {
        return format!(
            "{x} = {}\n{y} = {}\noutside the domain",
            fmt_num(p.x),
            fmt_num(p.y)
        );
    }
    let mut g = vec![0.0; point.len()];
    let value = objective.value_and_gradient(point, &mut g);
    let norm = crate::engine::run::norm(&g);
    format!(
        "{x} = {}\n{y} = {}\nf = {}\n|grad f| = {}",
        fmt_num(p.x),
        fmt_num(p.y),
        fmt_num(value),
        fmt_num(norm)
    )
}

fn minima_items(plot_ui: &mut PlotUi<'_>, objective: &dyn Objective) {
    let minima: Vec<[f64; 2]> = objective
        .info()
        .minima
        .iter()
        .filter(|m| m.len() >= 2)
        .map(|m| [m[0], m[1]])
        .collect();
    if minima.is_empty() {
        return;
    }
    plot_ui.add(
        Points::new("", minima)
            .shape(MarkerShape::Cross)
            .radius(7.0)
            .color(Color32::WHITE)
            .allow_hover(false),
    );
}

/// A run's path thinned to what the screen can show: a point is kept when it lies far enough
/// (in pixels) from the last kept one. Extended as the run grows, so an animation frame
/// costs what the screen shows, not the length of the path.
#[derive(Default)]
pub struct ThinPath {
    key: Option<(u64, [f64; 4], [f64; 2])>,
    processed: usize,
    line: Vec<(usize, [f64; 2])>,
    dots: Vec<(usize, [f64; 2])>,
}

/// Pixels between kept points of the path's line and of its dots.
const LINE_PX: f64 = 1.0;
const DOT_PX: f64 = 5.0;

impl ThinPath {
    /// Brings the thinned path up to date with `slot`'s run in a view of `bounds` where
    /// one pixel is `units_per_px` plot units.
    pub fn update(&mut self, slot: &RunSlot, bounds: [f64; 4], units_per_px: [f64; 2]) {
        let key = (slot.generation, bounds, units_per_px);
        let path = slot.run.path();
        if self.key.as_ref() != Some(&key) || path.len() < self.processed {
            *self = Self {
                key: Some(key),
                ..Self::default()
            };
        }
        let far = |kept: &[(usize, [f64; 2])], p: [f64; 2], px: f64| {
            kept.last().is_none_or(|(_, q)| {
                let dx = (p[0] - q[0]) / units_per_px[0];
                let dy = (p[1] - q[1]) / units_per_px[1];
                dx * dx + dy * dy >= px * px
            })
        };
        for i in self.processed..path.len() {
            let p = [path.point(i)[0], path.point(i)[1]];
            if far(&self.line, p, LINE_PX) {
                self.line.push((i, p));
            }
            if far(&self.dots, p, DOT_PX) {
                self.dots.push((i, p));
            }
        }
        self.processed = path.len();
    }

    /// The line from the start to iterate `k` (which is always included).
    pub fn line_to(&self, k: usize, current: [f64; 2]) -> Vec<[f64; 2]> {
        let end = self.line.partition_point(|(i, _)| *i < k);
        let mut out: Vec<[f64; 2]> = self.line[..end].iter().map(|(_, p)| *p).collect();
        out.push(current);
        out
    }

    /// The line from iterate `k` to the last computed one.
    pub fn line_from(&self, k: usize, current: [f64; 2]) -> Vec<[f64; 2]> {
        let begin = self.line.partition_point(|(i, _)| *i <= k);
        std::iter::once(current)
            .chain(self.line[begin..].iter().map(|(_, p)| *p))
            .collect()
    }

    /// Dots at iterates up to `k`, at least a few pixels apart.
    pub fn dots_to(&self, k: usize) -> Vec<[f64; 2]> {
        let end = self.dots.partition_point(|(i, _)| *i <= k);
        self.dots[..end].iter().map(|(_, p)| *p).collect()
    }

    /// The number of points kept for the line (for tests of the thinning).
    pub fn kept(&self) -> usize {
        self.line.len()
    }
}

/// The path of one run: the part computed ahead (faint), the part shown (line and dots),
/// the current point and the current step as an arrow.
fn path_items(
    plot_ui: &mut PlotUi<'_>,
    slot: &RunSlot,
    thin: &ThinPath,
    shown: usize,
    selected: bool,
) {
    let color = run_color(slot.setup.color);
    let path = slot.run.path();
    let k = slot.shown_index(shown);
    let xy = |p: &[f64]| [p[0], p[1]];
    let current = xy(path.point(k));
    if path.len() > k + 1 {
        plot_ui.line(
            Line::new("", thin.line_from(k, current))
                .color(color.gamma_multiply(0.35))
                .width(1.5)
                .allow_hover(false),
        );
    }
    plot_ui.line(
        Line::new("", thin.line_to(k, current))
            .color(color)
            .width(if selected { 2.5 } else { 1.5 })
            .allow_hover(false),
    );
    plot_ui.add(
        Points::new("", thin.dots_to(k))
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
        plot_ui.add(
            Arrows::new("", vec![current], vec![next])
                .color(color)
                .tip_length(9.0)
                .allow_hover(false),
        );
    }
    plot_ui.add(
        Points::new("", vec![current])
            .radius(if selected { 6.5 } else { 5.0 })
            .color(color)
            .allow_hover(false),
    );
}

/// A vertical color bar with five value labels.
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
    for i in 0..=4 {
        let t = i as f64 / 4.0;
        let yy = bar.bottom() - t as f32 * bar.height();
        painter.text(
            egui::pos2(bar.right() + 4.0, yy),
            egui::Align2::LEFT_CENTER,
            fmt_short(scale.value_at(t)),
            egui::FontId::proportional(11.0),
            ui.visuals().text_color(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thin_paths_keep_what_the_screen_shows_and_end_at_the_current_point() {
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
        // A 6 x 6 view on 600 x 600 pixels: 0.01 units per pixel.
        let mut thin = ThinPath::default();
        thin.update(slot, [-2.0, 4.0, -1.0, 5.0], [0.01, 0.01]);
        assert!(thin.kept() < 600, "{} points kept of 5001", thin.kept());
        let path = slot.run.path();
        let current = [path.point(2500)[0], path.point(2500)[1]];
        let to = thin.line_to(2500, current);
        let from = thin.line_from(2500, current);
        assert_eq!((to[0], *to.last().unwrap()), ([-1.0, 4.0], current));
        assert_eq!(from[0], current);
        // Extending with more iterations of the same run keeps what was thinned.
        let kept = thin.kept();
        thin.update(slot, [-2.0, 4.0, -1.0, 5.0], [0.01, 0.01]);
        assert_eq!(thin.kept(), kept);
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
