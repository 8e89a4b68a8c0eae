//! The 3-D view: the surface f(x, y) as a shaded mesh of colored triangles drawn with
//! egui's painter, sorted back to front each frame (the painter's algorithm), with the runs'
//! paths on it, the tangent plane and the two slices at the selected run's point, the
//! critical points and axes with ticks.
//!
//! The sampled surface is a background job keyed by the function and the view box; the
//! mesh (positions in a unit box, shaded colors) is rebuilt only when the surface, the f
//! range or the colormap changes. Moving the camera only projects and sorts. Drag orbits,
//! the scroll wheel zooms, a double click resets the camera, a click sets the start
//! (Shift+click adds a run), as in the contour view.

use std::sync::Arc;

use egui::epaint::{Mesh, Vertex, WHITE_UV};
use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Shape, Stroke, Vec2, pos2, vec2};

use super::action::Action;
use super::field::{ColorScale, Colormap};
use super::jobs::{Cached, Runner};
use super::model::Model;
use super::plot_input::{ClickGuard, click_modifiers, step_125 as nice_step};
use super::run_color;
use crate::engine::critical::{CriticalKind, CriticalPoint};
use crate::engine::format::{short, tick};
use crate::engine::{Grid, Interval, Objective};

/// Vertices per side of the surface mesh.
pub const SURFACE_RESOLUTION: usize = 128;

/// Half the height of the box the surface is drawn in; x and y span [-1, 1].
pub const HEIGHT: f32 = 0.6;

/// Path samples drawn per run at most (the path is thinned evenly beyond that).
const PATH_SAMPLES: usize = 1500;

/// Where the viewer stands: turned `yaw` radians about the vertical axis, looking down
/// `pitch` radians, at magnification `zoom`. The projection is orthographic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Camera {
    /// Turn about the vertical axis, radians.
    pub yaw: f32,
    /// Elevation of the line of sight, radians: 0 looks from the side, pi/2 from above.
    pub pitch: f32,
    /// Magnification; 1 fits the box to the view.
    pub zoom: f32,
}

impl Default for Camera {
    fn default() -> Self {
        Self {
            yaw: -0.6,
            pitch: 0.6,
            zoom: 1.0,
        }
    }
}

impl Camera {
    /// Turns the camera by a pointer drag of `delta` points.
    pub fn orbit(&mut self, delta: Vec2) {
        self.yaw -= delta.x * 0.008;
        self.pitch = (self.pitch + delta.y * 0.008).clamp(0.0, 1.55);
    }

    /// Zooms by a scroll of `scroll` points (up zooms in).
    pub fn zoom_by(&mut self, scroll: f32) {
        self.zoom = (self.zoom * (scroll * 0.002).exp()).clamp(0.4, 8.0);
    }
}

/// The camera's mapping of scene points (x and y in [-1, 1], height in [-HEIGHT, HEIGHT])
/// to the screen.
#[derive(Clone, Copy, Debug)]
pub struct Projection {
    center: Pos2,
    scale: f32,
    cos_yaw: f32,
    sin_yaw: f32,
    cos_pitch: f32,
    sin_pitch: f32,
}

impl Projection {
    /// The projection of `camera` into `rect`.
    pub fn new(camera: &Camera, rect: Rect) -> Self {
        Self {
            center: rect.center(),
            // Room beside the box for the f axis's labels, and above and below it for the
            // x and y axes' names.
            scale: (rect.width() - 100.0).min(rect.height() - 40.0).max(40.0) / 2.9 * camera.zoom,
            cos_yaw: camera.yaw.cos(),
            sin_yaw: camera.yaw.sin(),
            cos_pitch: camera.pitch.cos(),
            sin_pitch: camera.pitch.sin(),
        }
    }

    /// The screen position of scene point `s` and its nearness to the viewer (larger is
    /// nearer).
    pub fn project(&self, s: [f32; 3]) -> (Pos2, f32) {
        let x1 = s[0] * self.cos_yaw - s[1] * self.sin_yaw;
        let y1 = s[0] * self.sin_yaw + s[1] * self.cos_yaw;
        let up = y1 * self.sin_pitch + s[2] * self.cos_pitch;
        let near = -y1 * self.cos_pitch + s[2] * self.sin_pitch;
        (self.center + vec2(x1, -up) * self.scale, near)
    }

    /// The scene point at screen position `pos` and nearness `near`: the inverse of
    /// [`Self::project`].
    pub fn unproject(&self, pos: Pos2, near: f32) -> [f32; 3] {
        let x1 = (pos.x - self.center.x) / self.scale;
        let up = -(pos.y - self.center.y) / self.scale;
        let y1 = up * self.sin_pitch - near * self.cos_pitch;
        let h = up * self.cos_pitch + near * self.sin_pitch;
        [
            x1 * self.cos_yaw + y1 * self.sin_yaw,
            -x1 * self.sin_yaw + y1 * self.cos_yaw,
            h,
        ]
    }
}

/// The box a function is drawn in: its x and y ranges and the f scale (range and log or
/// not, as the heatmap's colors).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scene {
    /// The x range, mapped to [-1, 1].
    pub x: Interval,
    /// The y range, mapped to [-1, 1].
    pub y: Interval,
    /// The f range, mapped to [-HEIGHT, HEIGHT]; values outside are clipped to it.
    pub z: ColorScale,
}

impl Scene {
    /// The scene point of (x, y, f); height NaN where f is not finite.
    pub fn point(&self, x: f64, y: f64, f: f64) -> [f32; 3] {
        [
            (2.0 * (x - self.x.lo) / self.x.width() - 1.0) as f32,
            (2.0 * (y - self.y.lo) / self.y.width() - 1.0) as f32,
            self.height(f),
        ]
    }

    /// The height of value `f` (NaN if not finite).
    pub fn height(&self, f: f64) -> f32 {
        self.fraction(f)
            .map_or(f32::NAN, |t| (2.0 * t as f32 - 1.0) * HEIGHT)
    }

    /// Where `f` lies in the f range, in [0, 1] (clipped); `None` if not finite. On a log
    /// scale, log(f - min + c) with c a hundredth of the range: the walls of a deep valley
    /// rise steeply, yet its floor keeps its shape instead of dropping into spikes.
    pub fn fraction(&self, f: f64) -> Option<f64> {
        if !f.is_finite() {
            return None;
        }
        let (min, span) = (self.z.min, self.z.max - self.z.min);
        if span <= 0.0 {
            return Some(0.5);
        }
        let t = if self.z.log {
            let c = 0.01 * span;
            ((f - min).max(0.0) / c).ln_1p() / (span / c).ln_1p()
        } else {
            (f - min) / span
        };
        Some(t.clamp(0.0, 1.0))
    }

    /// The value at fraction `t` of the f range: the inverse of [`Self::fraction`].
    pub fn value_at(&self, t: f64) -> f64 {
        let (min, span) = (self.z.min, self.z.max - self.z.min);
        if self.z.log {
            let c = 0.01 * span;
            min + c * (t * (span / c).ln_1p()).exp_m1()
        } else {
            min + t * span
        }
    }

    /// The (x, y) of scene coordinates (u, v).
    pub fn xy(&self, u: f32, v: f32) -> (f64, f64) {
        (
            self.x.lo + (u as f64 + 1.0) * 0.5 * self.x.width(),
            self.y.lo + (v as f64 + 1.0) * 0.5 * self.y.width(),
        )
    }
}

/// The surface sampled over a view box: what the background job makes.
#[derive(Clone, Debug, PartialEq)]
struct SurfaceKey {
    function: u64,
    x: Interval,
    y: Interval,
    n: usize,
}

struct Surface {
    /// `n` x `n` values at the vertices, row 0 at y = y.lo, column 0 at x = x.lo.
    values: Vec<f64>,
    n: usize,
    /// The f range picked from the values: what an unset z range means.
    auto_z: Option<Interval>,
}

/// What the mesh's positions and colors depend on.
#[derive(Clone, Debug, PartialEq)]
struct MeshKey {
    surface: SurfaceKey,
    z: Interval,
    log: bool,
    colormap: Colormap,
    grid_lines: bool,
}

/// The surface ready to project: scene positions, shaded colors, grid-line segments.
struct SurfaceMesh {
    n: usize,
    positions: Vec<[f32; 3]>,
    colors: Vec<Color32>,
    grid_lines: Vec<[[f32; 3]; 2]>,
}

/// What the 3-D view keeps between frames.
#[derive(Default)]
pub struct View3d {
    /// The camera; a double click resets it.
    pub camera: Camera,
    surface: Cached<SurfaceKey, Arc<Surface>>,
    mesh: Option<(MeshKey, Arc<SurfaceMesh>)>,
    /// The scene of the last frame drawn, for tests and the hover read-out.
    last_scene: Option<Scene>,
    /// The rectangle of the last frame drawn.
    pub last_rect: Option<Rect>,
    clicks: ClickGuard,
}

/// The f range an unset z range means: from a robust bottom to a robust top, the median
/// minus (plus) ten times the distance from the median to the 10th (90th) percentile, but
/// no further than the smallest (largest) value, so a few huge values (a pole, Rosenbrock's
/// corners) do not flatten everything else.
pub fn auto_z_range(values: &[f64]) -> Option<Interval> {
    let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return None;
    }
    finite.sort_by(f64::total_cmp);
    let at = |q: f64| finite[((finite.len() - 1) as f64 * q).round() as usize];
    let (lo, q10, median, q90, hi) = (
        finite[0],
        at(0.1),
        at(0.5),
        at(0.9),
        finite[finite.len() - 1],
    );
    let bottom = lo.max(median - 10.0 * (median - q10));
    let top = hi.min(median + 10.0 * (q90 - median));
    Some(if top > bottom {
        Interval::new(bottom, top)
    } else {
        let pad = bottom.abs().max(1.0) * 0.5;
        Interval::new(bottom - pad, bottom + pad)
    })
}

impl View3d {
    /// Whether the surface job is still running.
    pub fn is_pending(&self) -> bool {
        self.surface.is_pending()
    }

    /// The scene drawn in the last frame.
    pub fn scene(&self) -> Option<Scene> {
        self.last_scene
    }

    /// Draws the view into the rest of `ui`; clicks, drags and scrolls become actions or
    /// camera moves.
    pub fn ui(
        &mut self,
        model: &Model,
        runner: Runner,
        critical: Option<&[CriticalPoint]>,
        ui: &mut egui::Ui,
        actions: &mut Vec<Action>,
    ) {
        let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
        self.last_rect = Some(rect);
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
        if response.double_clicked() {
            self.camera = Camera::default();
        } else if response.dragged() {
            self.camera.orbit(response.drag_delta());
        }
        if response.hovered() {
            let scroll = ui.input(|i| i.smooth_scroll_delta.y);
            if scroll != 0.0 {
                self.camera.zoom_by(scroll);
            }
        }

        let objective = model.objective().clone();
        let view = model.view();
        if view.len() < 2 {
            return;
        }
        let key = SurfaceKey {
            function: model.sim.objective_generation(),
            x: view[0],
            y: view[1],
            n: SURFACE_RESOLUTION,
        };
        let job_objective = objective.clone();
        let job_key = key.clone();
        self.surface.request(runner, &key, move |_| {
            Arc::new(sample_surface(job_objective.as_ref(), &job_key))
        });
        let Some((surface_key, surface)) = &self.surface.current else {
            painter.text(
                rect.center(),
                Align2::CENTER_CENTER,
                "computing the surface...",
                FontId::proportional(14.0),
                ui.visuals().weak_text_color(),
            );
            return;
        };
        let display = &model.settings.display;
        let Some(z) = display.z_range.or(surface.auto_z) else {
            painter.text(
                rect.center(),
                Align2::CENTER_CENTER,
                "f is not finite anywhere in view",
                FontId::proportional(14.0),
                ui.visuals().weak_text_color(),
            );
            return;
        };
        let scene = Scene {
            x: surface_key.x,
            y: surface_key.y,
            z: ColorScale {
                min: z.lo,
                max: z.hi,
                log: display.log_color,
            },
        };
        self.last_scene = Some(scene);
        let mesh_key = MeshKey {
            surface: surface_key.clone(),
            z,
            log: display.log_color,
            colormap: display.colormap,
            grid_lines: display.surface_grid,
        };
        if self.mesh.as_ref().is_none_or(|(k, _)| *k != mesh_key) {
            let mesh = build_mesh(surface, &scene, display.colormap, display.surface_grid);
            self.mesh = Some((mesh_key, Arc::new(mesh)));
        }
        let Some((_, mesh)) = &self.mesh else {
            return;
        };
        let projection = Projection::new(&self.camera, rect);
        let text_color = ui.visuals().text_color();
        let weak = ui.visuals().weak_text_color();

        let mut frame = Frame::new(projection, mesh);
        let names = &objective.info().param_names;
        let axes = axes_shapes(&projection, &scene, names, weak);
        painter.extend(axes.behind);
        add_paths(&mut frame, model, &scene, objective.as_ref());
        let tangent = if display.tangent {
            tangent_at_selected(model, objective.as_ref(), &scene, &mut frame)
        } else {
            None
        };
        if display.critical
            && let Some(points) = critical
        {
            critical_marks(&mut frame, &scene, points);
        }
        painter.add(frame.into_shape());
        for Label(pos, align, text, font) in axes.labels {
            painter.text(pos, align, text, font, text_color);
        }
        current_points(&painter, &projection, model, &scene, objective.as_ref());

        // Read-outs: the tangent plane's numbers, the point under the pointer, the hint.
        let font = FontId::proportional(13.0);
        let top = rect.left_top() + vec2(8.0, 6.0);
        if let Some(text) = tangent {
            // A narrow view wraps the plane's equation rather than cutting it off.
            let galley = painter.layout(text, font.clone(), text_color, rect.width() - 20.0);
            let frame_rect = Rect::from_min_size(top, galley.size()).expand(4.0);
            painter.rect_filled(
                frame_rect,
                3.0,
                ui.visuals().panel_fill.gamma_multiply(0.85),
            );
            painter.galley(top, galley, text_color);
        }
        let hint = if rect.width() > 520.0 {
            "drag: turn · scroll: zoom · double-click: reset · click: start here"
        } else {
            "drag · scroll · double-click"
        };
        painter.text(
            rect.right_bottom() + vec2(-8.0, -6.0),
            Align2::RIGHT_BOTTOM,
            hint,
            FontId::proportional(11.0),
            weak,
        );
        let hovered = response
            .hover_pos()
            .and_then(|pos| pick(&projection, mesh, pos))
            .map(|(u, v)| scene.xy(u, v));
        if let Some((x, y)) = hovered {
            let f = objective.value(&[x, y]);
            painter.text(
                rect.left_bottom() + vec2(8.0, -6.0),
                Align2::LEFT_BOTTOM,
                format!("x = {}   y = {}   f = {}", short(x), short(y), short(f)),
                font,
                text_color,
            );
        }
        let click = if response.clicked()
            && let Some(pos) = response.interact_pointer_pos()
            && let Some((u, v)) = pick(&projection, mesh, pos)
        {
            let (x, y) = scene.xy(u, v);
            Some(if click_modifiers(ui).shift {
                Action::AddRun(vec![x, y])
            } else {
                Action::SetStart(vec![x, y])
            })
        } else {
            None
        };
        // The camera was reset above; the guard takes back the first click's start.
        self.clicks.filter(model, &response, click, actions);
    }
}

/// Samples f at `n` x `n` vertices spanning the view box edge to edge.
fn sample_surface(objective: &dyn Objective, key: &SurfaceKey) -> Surface {
    let n = key.n.max(2);
    // Cell centers of n cells over a box half a step wider on each side are the vertices.
    let widen = |r: Interval| {
        let half = 0.5 * r.width() / (n - 1) as f64;
        Interval::new(r.lo - half, r.hi + half)
    };
    let grid = Grid::sample_defined(objective, widen(key.x), widen(key.y), n, n);
    // The grid's row 0 is the top; the surface's is y.lo.
    let mut values = Vec::with_capacity(n * n);
    for row in (0..n).rev() {
        values.extend_from_slice(&grid.values[row * n..(row + 1) * n]);
    }
    let auto_z = auto_z_range(&values);
    Surface { values, n, auto_z }
}

/// Scene positions and colors of the surface: the colormap at each vertex's height,
/// darkened by a fixed light from the upper left so the shape reads.
fn build_mesh(
    surface: &Surface,
    scene: &Scene,
    colormap: Colormap,
    grid_lines: bool,
) -> SurfaceMesh {
    let n = surface.n;
    let lut = colormap.lut();
    let mut positions = Vec::with_capacity(n * n);
    for j in 0..n {
        for i in 0..n {
            let u = 2.0 * i as f32 / (n - 1) as f32 - 1.0;
            let v = 2.0 * j as f32 / (n - 1) as f32 - 1.0;
            positions.push([u, v, scene.height(surface.values[j * n + i])]);
        }
    }
    let light = {
        let l = [-0.45f32, -0.35, 0.82];
        let len = (l[0] * l[0] + l[1] * l[1] + l[2] * l[2]).sqrt();
        [l[0] / len, l[1] / len, l[2] / len]
    };
    let step = 2.0 / (n - 1) as f32;
    let colors = (0..n * n)
        .map(|k| {
            let (i, j) = (k % n, k / n);
            let h = positions[k][2];
            if !h.is_finite() {
                return Color32::TRANSPARENT;
            }
            let at = |i: usize, j: usize| {
                let h2 = positions[j * n + i][2];
                if h2.is_finite() { h2 } else { h }
            };
            let dhdu = (at((i + 1).min(n - 1), j) - at(i.saturating_sub(1), j)) / (2.0 * step);
            let dhdv = (at(i, (j + 1).min(n - 1)) - at(i, j.saturating_sub(1))) / (2.0 * step);
            let len = (dhdu * dhdu + dhdv * dhdv + 1.0).sqrt();
            let lambert = (-dhdu * light[0] - dhdv * light[1] + light[2]) / len;
            let shade = 0.55 + 0.45 * lambert.max(0.0);
            let t = (h / HEIGHT + 1.0) * 0.5;
            let c = lut[((t * 255.0).round() as usize).min(255)];
            Color32::from_rgb(
                (c.r() as f32 * shade) as u8,
                (c.g() as f32 * shade) as u8,
                (c.b() as f32 * shade) as u8,
            )
        })
        .collect();
    let mut lines = Vec::new();
    if grid_lines {
        let every = (n / 16).max(1);
        let lift = |p: [f32; 3]| [p[0], p[1], p[2] + 0.003];
        for a in (0..n).step_by(every) {
            for b in 0..n - 1 {
                for (p, q) in [(a + b * n, a + (b + 1) * n), (a * n + b, a * n + b + 1)] {
                    let (p, q) = (positions[p], positions[q]);
                    if p[2].is_finite() && q[2].is_finite() {
                        lines.push([lift(p), lift(q)]);
                    }
                }
            }
        }
    }
    SurfaceMesh {
        n,
        positions,
        colors,
        grid_lines: lines,
    }
}

/// A flat piece drawn between the surface's quads: a thin line or a translucent patch.
struct Piece {
    corners: [Pos2; 4],
    color: Color32,
}

/// One frame's geometry: the surface projected, plus pieces, all sorted by depth.
struct Frame<'a> {
    mesh: &'a SurfaceMesh,
    projection: Projection,
    projected: Vec<(Pos2, f32)>,
    pieces: Vec<Piece>,
    /// (nearness, index): a quad of the surface below `QUAD_LIMIT`, else a piece.
    order: Vec<(f32, u32)>,
}

const PIECE_BASE: u32 = 1 << 30;

impl<'a> Frame<'a> {
    fn new(projection: Projection, mesh: &'a SurfaceMesh) -> Self {
        let projected: Vec<(Pos2, f32)> = mesh
            .positions
            .iter()
            .map(|&p| projection.project(p))
            .collect();
        let n = mesh.n;
        let mut order = Vec::with_capacity((n - 1) * (n - 1) + 4096);
        for j in 0..n - 1 {
            for i in 0..n - 1 {
                let k = j * n + i;
                let corners = [k, k + 1, k + n, k + n + 1];
                if corners.iter().all(|&c| mesh.positions[c][2].is_finite()) {
                    let near = corners.iter().map(|&c| projected[c].1).sum::<f32>() * 0.25;
                    order.push((near, (j * (n - 1) + i) as u32));
                }
            }
        }
        let mut frame = Self {
            mesh,
            projection,
            projected,
            pieces: Vec::new(),
            order,
        };
        for [a, b] in &mesh.grid_lines {
            frame.line(*a, *b, 0.8, Color32::from_black_alpha(70), 0.002);
        }
        frame
    }

    /// A line from `a` to `b` (scene points) `width` points wide, drawn `bias` nearer than
    /// it is so that it wins against the surface it lies on.
    fn line(&mut self, a: [f32; 3], b: [f32; 3], width: f32, color: Color32, bias: f32) {
        if !(a.iter().chain(&b).all(|c| c.is_finite())) {
            return;
        }
        let ((pa, na), (pb, nb)) = (self.projection.project(a), self.projection.project(b));
        let along = pb - pa;
        let side = if along.length_sq() > 0.0 {
            along.normalized().rot90() * (0.5 * width)
        } else {
            vec2(0.5 * width, 0.0)
        };
        self.push(
            [pa + side, pb + side, pb - side, pa - side],
            color,
            0.5 * (na + nb) + bias,
        );
    }

    /// A quadrilateral patch with scene corners in order around it.
    fn patch(&mut self, corners: [[f32; 3]; 4], color: Color32, bias: f32) {
        if !corners.iter().flatten().all(|c| c.is_finite()) {
            return;
        }
        let projected = corners.map(|c| self.projection.project(c));
        let near = projected.iter().map(|p| p.1).sum::<f32>() * 0.25 + bias;
        self.push(projected.map(|p| p.0), color, near);
    }

    /// A ring `radius` points wide around scene point `at`, filled with `fill`, at the
    /// point's depth (plus `bias`), so the surface in front of it hides it.
    fn ring(&mut self, at: [f32; 3], radius: f32, stroke: Stroke, fill: Color32, bias: f32) {
        if !at.iter().all(|c| c.is_finite()) {
            return;
        }
        let (center, near) = self.projection.project(at);
        const SIDES: usize = 12;
        let rim = |k: usize, r: f32| {
            let angle = std::f32::consts::TAU * k as f32 / SIDES as f32;
            center + r * vec2(angle.cos(), angle.sin())
        };
        let (inner, outer) = (radius - 0.5 * stroke.width, radius + 0.5 * stroke.width);
        for k in 0..SIDES {
            self.push(
                [center, rim(k, inner), rim(k + 1, inner), center],
                fill,
                near + bias,
            );
            self.push(
                [
                    rim(k, inner),
                    rim(k, outer),
                    rim(k + 1, outer),
                    rim(k + 1, inner),
                ],
                stroke.color,
                near + bias,
            );
        }
    }

    fn push(&mut self, corners: [Pos2; 4], color: Color32, near: f32) {
        self.order
            .push((near, PIECE_BASE + self.pieces.len() as u32));
        self.pieces.push(Piece { corners, color });
    }

    /// Everything as one mesh, far things first.
    fn into_shape(mut self) -> Shape {
        self.order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let n = self.mesh.n;
        let mut mesh = Mesh::default();
        mesh.vertices
            .reserve(self.projected.len() + 4 * self.pieces.len());
        mesh.indices.reserve(6 * self.order.len());
        for (&(pos, _), &color) in self.projected.iter().zip(&self.mesh.colors) {
            mesh.vertices.push(Vertex {
                pos,
                uv: WHITE_UV,
                color,
            });
        }
        for &(_, index) in &self.order {
            if index < PIECE_BASE {
                let (i, j) = (index as usize % (n - 1), index as usize / (n - 1));
                let k = (j * n + i) as u32;
                let n = n as u32;
                mesh.indices
                    .extend_from_slice(&[k, k + 1, k + n + 1, k, k + n + 1, k + n]);
            } else {
                let piece = &self.pieces[(index - PIECE_BASE) as usize];
                let base = mesh.vertices.len() as u32;
                for &pos in &piece.corners {
                    mesh.vertices.push(Vertex {
                        pos,
                        uv: WHITE_UV,
                        color: piece.color,
                    });
                }
                mesh.indices.extend_from_slice(&[
                    base,
                    base + 1,
                    base + 2,
                    base,
                    base + 2,
                    base + 3,
                ]);
            }
        }
        Shape::mesh(mesh)
    }
}

/// The (u, v) scene coordinates of the surface under screen position `pos`: the nearest
/// triangle that covers it.
fn pick(projection: &Projection, mesh: &SurfaceMesh, pos: Pos2) -> Option<(f32, f32)> {
    let n = mesh.n;
    let projected: Vec<(Pos2, f32)> = mesh
        .positions
        .iter()
        .map(|&p| projection.project(p))
        .collect();
    let mut best: Option<(f32, f32, f32)> = None;
    for j in 0..n - 1 {
        for i in 0..n - 1 {
            let k = j * n + i;
            for tri in [[k, k + 1, k + n + 1], [k, k + n + 1, k + n]] {
                if tri.iter().any(|&c| !mesh.positions[c][2].is_finite()) {
                    continue;
                }
                let [a, b, c] = tri.map(|c| projected[c]);
                let Some(w) = barycentric(pos, a.0, b.0, c.0) else {
                    continue;
                };
                let near = w[0] * a.1 + w[1] * b.1 + w[2] * c.1;
                if best.is_none_or(|(n0, _, _)| near > n0) {
                    let [pa, pb, pc] = tri.map(|c| mesh.positions[c]);
                    let u = w[0] * pa[0] + w[1] * pb[0] + w[2] * pc[0];
                    let v = w[0] * pa[1] + w[1] * pb[1] + w[2] * pc[1];
                    best = Some((near, u, v));
                }
            }
        }
    }
    best.map(|(_, u, v)| (u, v))
}

/// The barycentric weights of `p` in triangle (a, b, c), if it lies inside.
fn barycentric(p: Pos2, a: Pos2, b: Pos2, c: Pos2) -> Option<[f32; 3]> {
    let (v0, v1, v2) = (b - a, c - a, p - a);
    let det = v0.x * v1.y - v1.x * v0.y;
    if det.abs() < 1e-9 {
        return None;
    }
    let wb = (v2.x * v1.y - v1.x * v2.y) / det;
    let wc = (v0.x * v2.y - v2.x * v0.y) / det;
    let wa = 1.0 - wb - wc;
    (wa >= -1e-4 && wb >= -1e-4 && wc >= -1e-4).then_some([wa, wb, wc])
}

/// The runs' paths up to the shown iteration, just above the surface.
fn add_paths(frame: &mut Frame<'_>, model: &Model, scene: &Scene, objective: &dyn Objective) {
    let shown = model.sim.shown();
    let lab = model.in_lab();
    let selected = model.sim.selected;
    // A swarm's paths would bury the surface: the selected one only (every current point
    // is still drawn).
    let swarm = model.sim.slots().len() > super::model::SWARM;
    for (index, slot) in model.sim.slots().iter().enumerate() {
        if swarm && index != selected {
            continue;
        }
        let color = run_color(slot.setup.color);
        let path = slot.run.path();
        let last = slot.shown_index(shown);
        let stride = path.stride().max(1).max(last / PATH_SAMPLES + 1);
        let mut iterations: Vec<usize> = (0..last).step_by(stride).collect();
        iterations.push(last);
        let lift = 0.012;
        let at = |k: usize| {
            let p = path.point(k);
            // A mini-batch run records its batch's loss; the surface is the full loss.
            let f = if lab {
                objective.value(p)
            } else {
                path.value(k)
            };
            let s = scene.point(p[0], p[1], f);
            [s[0], s[1], s[2] + lift]
        };
        let width = if index == selected { 2.5 } else { 1.8 };
        let mut previous = at(0);
        for &k in iterations.iter().skip(1) {
            let next = at(k);
            if inside_box(previous) && inside_box(next) {
                // Long steps go in short pieces, each sorted at its own depth, so the
                // surface beside one end does not hide the other.
                let length = (0..3)
                    .map(|c| (next[c] - previous[c]).powi(2))
                    .sum::<f32>()
                    .sqrt();
                let pieces = ((length / 0.03).ceil() as usize).clamp(1, 32);
                let lerp =
                    |t: f32| std::array::from_fn(|c| previous[c] + t * (next[c] - previous[c]));
                for piece in 0..pieces {
                    let (t0, t1) = (
                        piece as f32 / pieces as f32,
                        (piece + 1) as f32 / pieces as f32,
                    );
                    frame.line(lerp(t0), lerp(t1), width, color, 0.06);
                }
            }
            previous = next;
        }
    }
}

fn inside_box(s: [f32; 3]) -> bool {
    s[0].abs() <= 1.0 + 1e-4 && s[1].abs() <= 1.0 + 1e-4 && s[2].is_finite()
}

/// Each run's current point, on top of everything.
fn current_points(
    painter: &egui::Painter,
    projection: &Projection,
    model: &Model,
    scene: &Scene,
    objective: &dyn Objective,
) {
    let shown = model.sim.shown();
    for slot in model.sim.slots() {
        let path = slot.run.path();
        let k = path.index_of(slot.shown_index(shown));
        let p = path.point(k);
        let f = if model.in_lab() {
            objective.value(p)
        } else {
            path.value(k)
        };
        let s = scene.point(p[0], p[1], f);
        if !inside_box(s) {
            continue;
        }
        let (pos, _) = projection.project([s[0], s[1], s[2] + 0.012]);
        painter.circle(
            pos,
            5.0,
            run_color(slot.setup.color),
            Stroke::new(1.5, Color32::BLACK),
        );
    }
}

/// The tangent plane at the selected run's point as a translucent patch, the slices
/// f(x, b) and f(a, y) across the view with their tangent lines; returns the read-out.
fn tangent_at_selected(
    model: &Model,
    objective: &dyn Objective,
    scene: &Scene,
    frame: &mut Frame<'_>,
) -> Option<String> {
    let slot = model.sim.selected_slot()?;
    let path = slot.run.path();
    let k = path.index_of(slot.shown_index(model.sim.shown()));
    let (a, b) = (path.point(k)[0], path.point(k)[1]);
    let mut gradient = [0.0; 2];
    let f = objective.value_and_gradient(&[a, b], &mut gradient);
    let [fx, fy] = gradient;
    if !(f.is_finite() && fx.is_finite() && fy.is_finite()) {
        return None;
    }
    let plane = |x: f64, y: f64| f + fx * (x - a) + fy * (y - b);
    // The patch: a fifth of the view on each side of the point, cut to the view box.
    let (wx, wy) = (0.2 * scene.x.width(), 0.2 * scene.y.width());
    let xs = Interval::new((a - wx).max(scene.x.lo), (a + wx).min(scene.x.hi));
    let ys = Interval::new((b - wy).max(scene.y.lo), (b + wy).min(scene.y.hi));
    const CELLS: usize = 8;
    let plane_color = Color32::from_rgba_unmultiplied(255, 255, 255, 70);
    if xs.lo < xs.hi && ys.lo < ys.hi {
        let at = |i: usize, j: usize| {
            let x = xs.lo + xs.width() * i as f64 / CELLS as f64;
            let y = ys.lo + ys.width() * j as f64 / CELLS as f64;
            scene.point(x, y, plane(x, y))
        };
        for j in 0..CELLS {
            for i in 0..CELLS {
                frame.patch(
                    [at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1)],
                    plane_color,
                    0.01,
                );
            }
        }
    }
    // The slices across the whole view, and their tangent lines across the patch.
    const SAMPLES: usize = 96;
    let slice_x = Color32::from_rgb(255, 120, 60);
    let slice_y = Color32::from_rgb(60, 200, 255);
    let lift = 0.008;
    for (slice_color, along_x) in [(slice_x, true), (slice_y, false)] {
        let mut previous: Option<[f32; 3]> = None;
        for i in 0..=SAMPLES {
            let t = i as f64 / SAMPLES as f64;
            let (x, y) = if along_x {
                (scene.x.lo + scene.x.width() * t, b)
            } else {
                (a, scene.y.lo + scene.y.width() * t)
            };
            let s = scene.point(x, y, objective.value(&[x, y]));
            let s = [s[0], s[1], s[2] + lift];
            if let Some(p) = previous {
                frame.line(p, s, 2.0, slice_color, 0.06);
            }
            previous = Some(s);
        }
    }
    let tangent_x = [xs.lo, xs.hi].map(|x| scene.point(x, b, plane(x, b)));
    let tangent_y = [ys.lo, ys.hi].map(|y| scene.point(a, y, plane(a, y)));
    frame.line(
        tangent_x[0],
        tangent_x[1],
        1.5,
        slice_x.gamma_multiply(0.8),
        0.04,
    );
    frame.line(
        tangent_y[0],
        tangent_y[1],
        1.5,
        slice_y.gamma_multiply(0.8),
        0.04,
    );
    Some(format!(
        "at (a, b) = ({}, {})\nf(a, b) = {}\ndf/dx = {}   (orange slice f(x, b))\ndf/dy = {}   (blue slice f(a, y))\ntangent plane: z = {} {} (x - a) {} (y - b)",
        short(a),
        short(b),
        short(f),
        short(fx),
        short(fy),
        short(f),
        signed(fx),
        signed(fy)
    ))
}

/// `+ 2.5` or `- 2.5`, for an equation.
fn signed(v: f64) -> String {
    if v < 0.0 {
        format!("- {}", short(-v))
    } else {
        format!("+ {}", short(v))
    }
}

/// The color and the name of each kind of critical point, shared by both views.
pub fn critical_style(kind: CriticalKind) -> (Color32, &'static str) {
    match kind {
        CriticalKind::Minimum => (Color32::from_rgb(120, 255, 120), "minima"),
        CriticalKind::Maximum => (Color32::from_rgb(255, 90, 90), "maxima"),
        CriticalKind::Saddle => (Color32::from_rgb(255, 230, 80), "saddles"),
        CriticalKind::Degenerate => (Color32::from_rgb(200, 200, 200), "degenerate"),
    }
}

/// Critical points as rings on the surface.
fn critical_marks(frame: &mut Frame<'_>, scene: &Scene, points: &[CriticalPoint]) {
    for p in points.iter().filter(|p| p.point.len() == 2) {
        let s = scene.point(p.point[0], p.point[1], p.value);
        if !inside_box(s) {
            continue;
        }
        let (color, _) = critical_style(p.kind);
        // Marked where they are: a hill in front hides them, as it hides the surface.
        frame.ring(
            s,
            4.0,
            Stroke::new(2.0, color),
            Color32::from_black_alpha(120),
            0.06,
        );
    }
}

/// The axes: the floor's outline behind the surface, ticks and labels in front.
struct Axes {
    behind: Vec<Shape>,
    labels: Vec<Label>,
}

/// A text to draw: where, anchored how, what, in which font.
struct Label(Pos2, Align2, String, FontId);

fn axes_shapes(projection: &Projection, scene: &Scene, names: &[String], weak: Color32) -> Axes {
    let floor = -HEIGHT;
    let corners = [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]];
    let at = |u: f32, v: f32, h: f32| projection.project([u, v, h]).0;
    let stroke = Stroke::new(1.0, weak);
    let mut behind = Vec::new();
    for i in 0..4 {
        let (a, b) = (corners[i], corners[(i + 1) % 4]);
        behind.push(Shape::line_segment(
            [at(a[0], a[1], floor), at(b[0], b[1], floor)],
            stroke,
        ));
    }
    let center = at(0.0, 0.0, floor);
    let mut labels = Vec::new();
    let font = FontId::proportional(11.0);
    // x along the floor edge nearer the viewer, y likewise, f up the leftmost corner.
    let near = |u: f32, v: f32| projection.project([u, v, floor]).1;
    let v_edge = if near(0.0, -1.0) >= near(0.0, 1.0) {
        -1.0
    } else {
        1.0
    };
    let u_edge = if near(-1.0, 0.0) >= near(1.0, 0.0) {
        -1.0
    } else {
        1.0
    };
    let mut axis = |name: &str, range: Interval, place: &dyn Fn(f32) -> Pos2| {
        let step = nice_step(range.width() / 5.0);
        let first = (range.lo / step).ceil() as i64;
        let last = (range.hi / step).floor() as i64;
        for i in first..=last.min(first + 20) {
            let value = i as f64 * step;
            let t = ((value - range.lo) / range.width()) as f32 * 2.0 - 1.0;
            let pos = place(t);
            if !pos.x.is_finite() {
                continue;
            }
            let out = (pos - center).normalized();
            behind.push(Shape::line_segment([pos, pos + out * 5.0], stroke));
            labels.push(Label(
                pos + out * 14.0,
                Align2::CENTER_CENTER,
                tick(value, step),
                font.clone(),
            ));
        }
        let middle = place(0.0);
        let out = (middle - center).normalized();
        labels.push(Label(
            middle + out * 32.0,
            Align2::CENTER_CENTER,
            name.to_string(),
            FontId::proportional(14.0),
        ));
    };
    let name = |i: usize, default: &'static str| names.get(i).map_or(default, |n| n.as_str());
    axis(name(0, "x"), scene.x, &|t| at(t, v_edge, floor));
    // The corner both floor axes share gets the x label only.
    axis(name(1, "y"), scene.y, &|t| {
        if (t - v_edge).abs() < 1e-3 {
            pos2(f32::NAN, f32::NAN)
        } else {
            at(u_edge, t, floor)
        }
    });
    // f: a vertical line at the corner furthest left on screen.
    let corner = corners
        .iter()
        .min_by(|a, b| at(a[0], a[1], floor).x.total_cmp(&at(b[0], b[1], floor).x))
        .copied()
        .unwrap_or([-1.0, -1.0]);
    behind.push(Shape::line_segment(
        [
            at(corner[0], corner[1], floor),
            at(corner[0], corner[1], HEIGHT),
        ],
        stroke,
    ));
    let z = scene.z;
    // The floor's tick would sit on the x and y axes' labels at the corner.
    for (t, label) in z.ticks(5).into_iter().filter(|(t, _)| *t > 0.05) {
        let h = (2.0 * t as f32 - 1.0) * HEIGHT;
        let pos = at(corner[0], corner[1], h);
        behind.push(Shape::line_segment([pos, pos - vec2(5.0, 0.0)], stroke));
        labels.push(Label(
            pos - vec2(8.0, 0.0),
            Align2::RIGHT_CENTER,
            label,
            font.clone(),
        ));
    }
    labels.push(Label(
        at(corner[0], corner[1], HEIGHT) - vec2(0.0, 12.0),
        Align2::CENTER_BOTTOM,
        "f".to_string(),
        FontId::proportional(14.0),
    ));
    Axes { behind, labels }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_round_trips_from_every_angle() {
        let rect = Rect::from_min_size(pos2(10.0, 20.0), vec2(640.0, 480.0));
        for (yaw, pitch, zoom) in [(-0.6, 0.6, 1.0), (2.0, 0.1, 3.0), (-3.0, 1.5, 0.5)] {
            let projection = Projection::new(&Camera { yaw, pitch, zoom }, rect);
            for s in [[0.0, 0.0, 0.0], [1.0, -1.0, 0.6], [-0.3, 0.7, -0.2]] {
                let (pos, near) = projection.project(s);
                let back = projection.unproject(pos, near);
                for (a, b) in s.iter().zip(back) {
                    assert!((a - b).abs() < 1e-5, "{s:?} -> {back:?}");
                }
            }
        }
        // Seen from above (pitch pi/2), nearness is height.
        let above = Projection::new(
            &Camera {
                yaw: 0.0,
                pitch: std::f32::consts::FRAC_PI_2,
                zoom: 1.0,
            },
            rect,
        );
        assert!(above.project([0.0, 0.0, 0.5]).1 > above.project([0.0, 0.0, -0.5]).1);
        assert!(
            (above.project([0.3, 0.0, 0.5]).0 - above.project([0.3, 0.0, -0.5]).0).length() < 1e-4
        );
    }

    #[test]
    fn a_scene_maps_the_box_and_back() {
        let scene = Scene {
            x: Interval::new(-2.0, 4.0),
            y: Interval::new(1.0, 3.0),
            z: ColorScale {
                min: 0.0,
                max: 10.0,
                log: false,
            },
        };
        assert_eq!(scene.point(-2.0, 1.0, 0.0), [-1.0, -1.0, -HEIGHT]);
        assert_eq!(scene.point(4.0, 3.0, 10.0), [1.0, 1.0, HEIGHT]);
        // Values beyond the range are clipped to the box; undefined ones have no height.
        assert_eq!(scene.height(1e9), HEIGHT);
        assert!(scene.height(f64::NAN).is_nan());
        assert_eq!(scene.xy(0.0, 0.0), (1.0, 2.0));
        let log = Scene {
            z: ColorScale {
                log: true,
                ..scene.z
            },
            ..scene
        };
        for t in [0.0, 0.3, 1.0] {
            assert!((log.fraction(log.value_at(t)).unwrap() - t).abs() < 1e-12);
        }
    }

    #[test]
    fn the_automatic_f_range_ignores_a_pole() {
        // 1 / r^2 sampled on a grid: a few huge values near the pole.
        let values: Vec<f64> = (0..100)
            .flat_map(|i| (0..100).map(move |j| (i as f64 - 49.5, j as f64 - 49.5)))
            .map(|(x, y)| 1.0 / (x * x + y * y) * 1e4)
            .collect();
        let range = auto_z_range(&values).unwrap();
        let max = values.iter().copied().fold(0.0, f64::max);
        assert!(range.hi < max / 50.0, "{range:?} against {max}");
        // A bowl is shown whole.
        let bowl: Vec<f64> = (0..100).map(|i| (i as f64 / 10.0 - 5.0).powi(2)).collect();
        let range = auto_z_range(&bowl).unwrap();
        assert_eq!((range.lo, range.hi), (0.0, 25.0));
        // Poles of both signs (tan(x y)) are cut at both ends.
        let tan: Vec<f64> = (0..100)
            .flat_map(|i| (0..100).map(move |j| (i as f64 / 10.0 - 5.0, j as f64 / 10.0 - 5.0)))
            .map(|(x, y)| (x * y).tan())
            .collect();
        let range = auto_z_range(&tan).unwrap();
        let (min, max) = tan
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        assert!(
            range.lo > min / 10.0 && range.hi < max / 10.0,
            "{range:?} in {min}..{max}"
        );
        assert!(range.lo < -1.0 && range.hi > 1.0, "{range:?}");
        assert!(auto_z_range(&[f64::NAN]).is_none());
    }

    #[test]
    fn a_point_inside_a_triangle_has_positive_weights() {
        let w = barycentric(
            pos2(1.0, 1.0),
            pos2(0.0, 0.0),
            pos2(4.0, 0.0),
            pos2(0.0, 4.0),
        )
        .unwrap();
        assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-6 && w.iter().all(|&w| w > 0.0));
        assert!(
            barycentric(
                pos2(5.0, 5.0),
                pos2(0.0, 0.0),
                pos2(4.0, 0.0),
                pos2(0.0, 4.0)
            )
            .is_none()
        );
    }
}
