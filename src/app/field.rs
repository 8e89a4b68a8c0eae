//! What the 2-D view draws of the function itself: the heatmap image, its color scale,
//! contour lines and the quiver of -grad f. Each is computed from the engine's grid
//! sampling and cached by the inputs it depends on.

use egui::{Color32, ColorImage};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::engine::grid::cell_center;
use crate::engine::{Grid, Interval, Objective};

/// The colormaps the heatmap offers (d3's, through the colorous crate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Colormap {
    /// Perceptually uniform blue-green-yellow (the default).
    Viridis,
    /// Black-purple-orange-white.
    Magma,
    /// Blue-purple-yellow.
    Plasma,
    /// Blue to yellow, safe for color-blind readers.
    Cividis,
    /// A rainbow with better contrast than jet.
    Turbo,
    /// Blue for low, red for high (the course lab's coolwarm).
    CoolWarm,
    /// Greens and browns like a relief map (the course lab's terrain).
    Terrain,
}

impl Colormap {
    /// Every colormap, in menu order.
    pub const ALL: [Colormap; 7] = [
        Self::Viridis,
        Self::Magma,
        Self::Plasma,
        Self::Cividis,
        Self::Turbo,
        Self::CoolWarm,
        Self::Terrain,
    ];

    /// The name shown in menus.
    pub fn label(self) -> &'static str {
        match self {
            Self::Viridis => "viridis",
            Self::Magma => "magma",
            Self::Plasma => "plasma",
            Self::Cividis => "cividis",
            Self::Turbo => "turbo",
            Self::CoolWarm => "cool-warm",
            Self::Terrain => "terrain",
        }
    }

    /// The color at `t` in [0, 1].
    pub fn color(self, t: f64) -> Color32 {
        let t = t.clamp(0.0, 1.0);
        let c = match self {
            Self::Viridis => colorous::VIRIDIS.eval_continuous(t),
            Self::Magma => colorous::MAGMA.eval_continuous(t),
            Self::Plasma => colorous::PLASMA.eval_continuous(t),
            Self::Cividis => colorous::CIVIDIS.eval_continuous(t),
            Self::Turbo => colorous::TURBO.eval_continuous(t),
            Self::CoolWarm => colorous::RED_BLUE.eval_continuous(1.0 - t),
            Self::Terrain => colorous::YELLOW_GREEN_BLUE.eval_continuous(1.0 - t),
        };
        Color32::from_rgb(c.r, c.g, c.b)
    }

    /// 256 colors from low to high, for fast lookup.
    pub fn lut(self) -> [Color32; 256] {
        std::array::from_fn(|i| self.color(i as f64 / 255.0))
    }
}

/// How values map to colors: the range, and whether the scale is logarithmic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColorScale {
    /// The value drawn with the lowest color.
    pub min: f64,
    /// The value drawn with the highest color.
    pub max: f64,
    /// Map log(f - min + offset) instead of f, for functions like Rosenbrock.
    pub log: bool,
}

impl ColorScale {
    /// The scale spanning the finite values of `grid`; `None` if it has none.
    pub fn of(grid: &Grid, log: bool) -> Option<Self> {
        let (min, max) = grid.finite_range()?;
        Some(Self { min, max, log })
    }

    fn offset(&self) -> f64 {
        ((self.max - self.min) * 1e-4).max(f64::MIN_POSITIVE)
    }

    /// The position of `v` on the scale, in [0, 1]; `None` for values that are not finite.
    pub fn fraction(&self, v: f64) -> Option<f64> {
        if !v.is_finite() {
            return None;
        }
        let span = self.max - self.min;
        if span <= 0.0 {
            return Some(0.5);
        }
        let t = if self.log {
            let off = self.offset();
            (((v - self.min).max(0.0) + off).ln() - off.ln()) / ((span + off).ln() - off.ln())
        } else {
            (v - self.min) / span
        };
        Some(t.clamp(0.0, 1.0))
    }

    /// The value at position `t` in [0, 1]: the inverse of [`Self::fraction`].
    pub fn value_at(&self, t: f64) -> f64 {
        let span = self.max - self.min;
        if self.log {
            let off = self.offset();
            let lo = off.ln();
            let hi = (span + off).ln();
            self.min + (lo + t * (hi - lo)).exp() - off
        } else {
            self.min + t * span
        }
    }

    /// The labelled ticks of the scale, as (position in [0, 1], label), bottom first.
    /// A linear scale has ticks at nice numbers (1, 2 or 5 times a power of ten), about
    /// `count` of them; an end within rounding of a tick (the bowl's 3e-5 next to 0) gets
    /// the tick, so such a value reads 0. A log scale labels its decades, `min + 10^k`,
    /// with the bottom labelled by `min` itself.
    pub fn ticks(&self, count: usize) -> Vec<(f64, String)> {
        let span = self.max - self.min;
        if !(span.is_finite() && span > 0.0) {
            return vec![(0.5, crate::engine::format::short(self.min))];
        }
        let slack = span * 1e-3;
        if self.log {
            let off = self.offset();
            let first = off.log10().ceil() as i32;
            let last = (span + off).log10().floor() as i32;
            // Every decade, or every other one (and so on) when there are many.
            let every = ((last - first + 1) as usize).div_ceil(count.max(2)).max(1) as i32;
            let mut ticks = vec![(0.0, bottom_label(self.min, slack))];
            for k in (first..=last).filter(|k| (k - first) % every == 0) {
                let decade = 10f64.powi(k);
                let value = self.min + decade;
                let Some(t) = self.fraction(value) else {
                    continue;
                };
                // Skip a decade crowding the bottom label.
                if t < 0.06 {
                    continue;
                }
                // Near 0 the decades are the values; elsewhere they are offsets from min.
                let label = if self.min.abs() <= slack {
                    crate::engine::format::short(decade)
                } else {
                    crate::engine::format::short(value)
                };
                ticks.push((t, label));
            }
            return ticks;
        }
        let step = super::plot_input::step_125(span / count.max(1) as f64);
        let first = ((self.min - slack) / step).ceil() as i64;
        let last = ((self.max + slack) / step).floor() as i64;
        (first..=last.min(first + 50))
            .map(|i| {
                let v = i as f64 * step;
                let t = ((v - self.min) / span).clamp(0.0, 1.0);
                (t, crate::engine::format::tick(v, step))
            })
            .collect()
    }

    /// `n` contour levels spread evenly over the scale (in log space for a log scale),
    /// excluding the extremes.
    pub fn levels(&self, n: usize) -> Vec<f64> {
        (1..=n)
            .map(|i| self.value_at(i as f64 / (n + 1) as f64))
            .collect()
    }
}

/// The label of a log scale's lowest value: 0 when it is within rounding of 0.
fn bottom_label(min: f64, slack: f64) -> String {
    if min.abs() <= slack {
        "0".to_string()
    } else {
        crate::engine::format::short(min)
    }
}

/// What a heatmap image depends on; equal keys give equal images.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatmapKey {
    /// The objective's generation: every new objective (a new data set too) gets a new one.
    pub function: u64,
    /// The visible x range.
    pub x: Interval,
    /// The visible y range.
    pub y: Interval,
    /// Image width in pixels.
    pub width: usize,
    /// Image height in pixels.
    pub height: usize,
    /// The colormap.
    pub colormap: Colormap,
    /// Whether the color scale is logarithmic.
    pub log: bool,
}

/// A heatmap image and the scale it was colored with.
pub struct Heatmap {
    /// Row 0 at the top (largest y), as egui_plot's `PlotImage` draws it.
    pub image: ColorImage,
    /// The value range and mapping; `None` when no value in view is finite.
    pub scale: Option<ColorScale>,
}

/// Color for points where f is not finite (outside the domain, or overflowed): none, so
/// the plot's background shows through.
pub const UNDEFINED_COLOR: Color32 = Color32::TRANSPARENT;

/// Samples f at every pixel of the view and colors it, both in parallel over rows.
pub fn heatmap_from_view(objective: &dyn Objective, key: &HeatmapKey) -> Heatmap {
    let grid = Grid::sample_defined(objective, key.x, key.y, key.width, key.height);
    let scale = ColorScale::of(&grid, key.log);
    let width = key.width.max(1);
    let mut pixels = vec![UNDEFINED_COLOR; grid.values.len()];
    if let Some(scale) = scale {
        let lut = key.colormap.lut();
        let index = LutIndex::new(&scale);
        pixels
            .par_chunks_mut(width)
            .zip(grid.values.par_chunks(width))
            .for_each(|(out, values)| {
                for (o, &v) in out.iter_mut().zip(values) {
                    if v.is_finite() {
                        *o = lut[index.of(v)];
                    }
                }
            });
    }
    Heatmap {
        image: ColorImage::new([key.width, key.height], pixels),
        scale,
    }
}

/// [`ColorScale::fraction`] scaled to a 256-entry table, with the constants hoisted out of
/// the per-pixel loop; the log scale uses f32 logarithms, ample for 256 colors.
struct LutIndex {
    min: f64,
    factor: f64,
    log: Option<(f32, f32, f32)>,
}

impl LutIndex {
    fn new(scale: &ColorScale) -> Self {
        let span = scale.max - scale.min;
        let factor = if span > 0.0 { 255.0 / span } else { 0.0 };
        let log = scale.log.then(|| {
            let off = scale.offset() as f32;
            let lo = off.ln();
            let hi = (span as f32 + off).ln();
            (off, lo, if hi > lo { 255.0 / (hi - lo) } else { 0.0 })
        });
        Self {
            min: scale.min,
            factor,
            log,
        }
    }

    #[inline]
    fn of(&self, v: f64) -> usize {
        let t = match self.log {
            None => (v - self.min) * self.factor,
            Some((off, lo, factor)) => {
                f64::from((((v - self.min).max(0.0) as f32 + off).ln() - lo) * factor)
            }
        };
        (t + 0.5).clamp(0.0, 255.0) as usize
    }
}

/// Contour lines of f over a view: for each level, polylines in plot coordinates.
#[derive(Clone, Debug, Default)]
pub struct Contours {
    /// (level, polylines) pairs.
    pub lines: Vec<(f64, Vec<Vec<[f64; 2]>>)>,
}

/// The longest side of the grid contours are traced on.
pub const CONTOUR_RESOLUTION: usize = 240;

/// Traces `levels` over the view with marching squares (the contour crate).
pub fn contours_from_view(
    objective: &dyn Objective,
    x: Interval,
    y: Interval,
    levels: &[f64],
) -> Contours {
    let aspect = (y.width() / x.width()).clamp(0.1, 10.0);
    let (w, h) = if aspect <= 1.0 {
        (
            CONTOUR_RESOLUTION,
            ((CONTOUR_RESOLUTION as f64 * aspect) as usize).max(8),
        )
    } else {
        (
            ((CONTOUR_RESOLUTION as f64 / aspect) as usize).max(8),
            CONTOUR_RESOLUTION,
        )
    };
    let grid = Grid::sample(objective, x, y, w, h);
    // Undefined points count as very high, so lines close around them.
    let values: Vec<f64> = grid
        .values
        .iter()
        .map(|v| if v.is_finite() { *v } else { f64::MAX })
        .collect();
    let builder = contour::ContourBuilder::new(w, h, true)
        .x_origin(x.lo)
        .x_step(x.width() / w as f64)
        .y_origin(y.hi)
        .y_step(-y.width() / h as f64);
    let Ok(lines) = builder.lines(&values, levels) else {
        return Contours::default();
    };
    Contours {
        lines: lines
            .into_iter()
            .map(|line| {
                let (geometry, level) = line.into_inner();
                let polylines = geometry
                    .0
                    .into_iter()
                    .flat_map(|ls| {
                        let ring: Vec<[f64; 2]> = ls.0.into_iter().map(|c| [c.x, c.y]).collect();
                        split_at_border(&ring, x, y)
                    })
                    .collect();
                (level, polylines)
            })
            .collect(),
    }
}

/// The parts of a contour ring that are level lines: marching squares closes rings of the
/// region above the level along the grid's border, and those border runs are not contours.
fn split_at_border(ring: &[[f64; 2]], x: Interval, y: Interval) -> Vec<Vec<[f64; 2]>> {
    let tolerance = 1e-9 * (x.width() + y.width());
    let on_border = |p: &[f64; 2]| {
        (p[0] - x.lo).abs() <= tolerance
            || (p[0] - x.hi).abs() <= tolerance
            || (p[1] - y.lo).abs() <= tolerance
            || (p[1] - y.hi).abs() <= tolerance
    };
    let mut parts = Vec::new();
    let mut current: Vec<[f64; 2]> = Vec::new();
    for pair in ring.windows(2) {
        if on_border(&pair[0]) && on_border(&pair[1]) {
            if current.len() > 1 {
                parts.push(std::mem::take(&mut current));
            }
            current.clear();
            continue;
        }
        if current.is_empty() {
            current.push(pair[0]);
        }
        current.push(pair[1]);
    }
    if current.len() > 1 {
        parts.push(current);
    }
    parts
}

/// One arrow of the quiver.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuiverArrow {
    /// Where the arrow starts (plot coordinates).
    pub origin: [f64; 2],
    /// Where it points to (plot coordinates).
    pub tip: [f64; 2],
    /// |grad f| at the origin relative to the largest in view, in [0, 1].
    pub strength: f64,
}

/// Arrows of -grad f on a `columns` x `rows` grid over the view. Lengths grow with
/// |grad f| (square-root scaled, so small gradients stay visible) and never exceed 85% of a
/// cell, so arrows never overlap.
pub fn quiver_from_view(
    objective: &dyn Objective,
    x: Interval,
    y: Interval,
    columns: usize,
    rows: usize,
) -> Vec<QuiverArrow> {
    let mut samples = Vec::with_capacity(columns * rows);
    let xs: Vec<f64> = (0..columns)
        .map(|col| cell_center(x, col, columns))
        .collect();
    let (mut values, mut dx, mut dy) = (vec![0.0; columns], vec![0.0; columns], vec![0.0; columns]);
    let mut p = vec![0.0; objective.dim()];
    for row in 0..rows {
        let yy = if objective.dim() > 1 {
            cell_center(y, row, rows)
        } else {
            0.0
        };
        objective.gradients_on_row(&xs, yy, &mut values, &mut dx, &mut dy);
        for (col, &xx) in xs.iter().enumerate() {
            p[0] = xx;
            if p.len() > 1 {
                p[1] = yy;
            }
            let (gx, gy) = (-dx[col], -dy[col]);
            if objective.in_domain(&p)
                && values[col].is_finite()
                && gx.is_finite()
                && gy.is_finite()
            {
                samples.push(([xx, yy], gx, gy));
            }
        }
    }
    let cell_x = x.width() / columns as f64;
    let cell_y = y.width() / rows as f64;
    // Compare directions in cell units so arrows fit their cells whatever the aspect.
    let magnitude = |gx: f64, gy: f64| ((gx / cell_x).powi(2) + (gy / cell_y).powi(2)).sqrt();
    let largest = samples
        .iter()
        .map(|(_, gx, gy)| magnitude(*gx, *gy))
        .fold(0.0, f64::max);
    if largest <= 0.0 {
        return Vec::new();
    }
    samples
        .into_iter()
        .filter_map(|(origin, gx, gy)| {
            let m = magnitude(gx, gy);
            if m <= 0.0 {
                return None;
            }
            let strength = (m / largest).sqrt();
            let length = 0.85 * (0.2 + 0.8 * strength);
            let (ux, uy) = (gx / cell_x / m, gy / cell_y / m);
            let half = [0.5 * length * ux * cell_x, 0.5 * length * uy * cell_y];
            Some(QuiverArrow {
                origin: [origin[0] - half[0], origin[1] - half[1]],
                tip: [origin[0] + half[0], origin[1] + half[1]],
                strength,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::preset;

    #[test]
    fn a_linear_color_bar_has_nice_ticks_and_reads_0_at_a_minimum_within_rounding() {
        // The bowl's grid never hits (1, 2) exactly: its smallest value is 3.4e-5.
        let scale = ColorScale {
            min: 3.433e-5,
            max: 25.09,
            log: false,
        };
        let ticks = scale.ticks(6);
        let labels: Vec<&str> = ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, ["0", "5", "10", "15", "20", "25"]);
        assert_eq!(ticks[0].0, 0.0);
        assert!(ticks.windows(2).all(|w| w[0].0 < w[1].0));
        // A bar far from 0 keeps its own numbers, and never labels a value outside it.
        let scale = ColorScale {
            min: 6.25,
            max: 9.71,
            log: false,
        };
        let labels: Vec<String> = scale.ticks(7).into_iter().map(|(_, l)| l).collect();
        assert_eq!(labels, ["6.5", "7", "7.5", "8", "8.5", "9", "9.5"]);
    }

    #[test]
    fn a_log_color_bar_labels_its_decades() {
        let scale = ColorScale {
            min: 0.0,
            max: 2500.0,
            log: true,
        };
        let labels: Vec<String> = scale.ticks(6).into_iter().map(|(_, l)| l).collect();
        assert_eq!(labels, ["0", "1", "10", "100", "1000"]);
        // Many decades: every other one, still in order.
        let scale = ColorScale {
            min: 0.0,
            max: 1e12,
            log: true,
        };
        let ticks = scale.ticks(4);
        assert!(ticks.len() <= 6, "{ticks:?}");
        assert!(ticks.windows(2).all(|w| w[0].0 < w[1].0), "{ticks:?}");
    }

    #[test]
    fn value_at_inverts_fraction_on_both_scales() {
        for log in [false, true] {
            let scale = ColorScale {
                min: 2.0,
                max: 1e4,
                log,
            };
            for t in [0.0, 0.1, 0.5, 0.9, 1.0] {
                let v = scale.value_at(t);
                assert!(
                    (scale.fraction(v).unwrap() - t).abs() < 1e-9,
                    "log {log}, t {t}"
                );
            }
            assert_eq!(scale.fraction(f64::NAN), None);
            assert_eq!(scale.fraction(-1e9), Some(0.0));
        }
    }

    #[test]
    fn levels_lie_strictly_inside_the_range_in_order() {
        let scale = ColorScale {
            min: 0.0,
            max: 100.0,
            log: false,
        };
        let levels = scale.levels(4);
        assert_eq!(levels, vec![20.0, 40.0, 60.0, 80.0]);
        let log = ColorScale { log: true, ..scale }.levels(4);
        assert!(log.windows(2).all(|w| w[0] < w[1]) && log[0] > 0.0 && log[3] < 100.0);
        assert!(
            log[0] < 20.0,
            "a log scale puts more levels near the minimum"
        );
    }

    #[test]
    fn the_heatmap_puts_the_minimum_in_the_darkest_color_row_zero_on_top() {
        let bowl = preset("bowl", None).unwrap();
        let key = HeatmapKey {
            function: 0,
            x: Interval::new(-2.0, 4.0),
            y: Interval::new(-1.0, 5.0),
            width: 60,
            height: 60,
            colormap: Colormap::Viridis,
            log: false,
        };
        let heatmap = heatmap_from_view(bowl.as_ref(), &key);
        assert_eq!(heatmap.image.size, [60, 60]);
        let lut = Colormap::Viridis.lut();
        // (1, 2) is column 30, row 30 from the top (y = 5 at row 0).
        assert_eq!(heatmap.image.pixels[29 * 60 + 29], lut[0]);
        // The top-left corner (-2, 5) is the farthest point from the minimum: the brightest.
        assert_eq!(heatmap.image.pixels[0], lut[255]);
    }

    #[test]
    fn quiver_arrows_point_downhill_and_fit_their_cells() {
        let bowl = preset("bowl", None).unwrap();
        let (x, y) = (Interval::new(-2.0, 4.0), Interval::new(-1.0, 5.0));
        let arrows = quiver_from_view(bowl.as_ref(), x, y, 6, 6);
        assert_eq!(arrows.len(), 36);
        for a in &arrows {
            let mid = [
                (a.origin[0] + a.tip[0]) / 2.0,
                (a.origin[1] + a.tip[1]) / 2.0,
            ];
            let toward_min = [1.0 - mid[0], 2.0 - mid[1]];
            let dir = [a.tip[0] - a.origin[0], a.tip[1] - a.origin[1]];
            assert!(
                dir[0] * toward_min[0] + dir[1] * toward_min[1] > 0.0,
                "downhill"
            );
            assert!(
                dir[0].abs() <= 0.85 && dir[1].abs() <= 0.85,
                "within a 1 x 1 cell"
            );
        }
    }

    #[test]
    fn contours_of_the_bowl_are_circles_at_their_level() {
        let bowl = preset("bowl", None).unwrap();
        let contours = contours_from_view(
            bowl.as_ref(),
            Interval::new(-2.0, 4.0),
            Interval::new(-1.0, 5.0),
            &[1.0],
        );
        let (level, lines) = &contours.lines[0];
        assert_eq!(*level, 1.0);
        let points: Vec<&[f64; 2]> = lines.iter().flatten().collect();
        assert!(points.len() > 50);
        for p in points {
            let r = ((p[0] - 1.0).powi(2) + (p[1] - 2.0).powi(2)).sqrt();
            assert!((r - 1.0).abs() < 0.02, "radius {r}");
        }
        // A level the view cuts: arcs only, never the view's border.
        let cut = contours_from_view(
            bowl.as_ref(),
            Interval::new(-2.0, 4.0),
            Interval::new(-1.0, 5.0),
            &[10.0],
        );
        let points: Vec<&[f64; 2]> = cut.lines[0].1.iter().flatten().collect();
        assert!(points.len() > 20);
        for p in points {
            let r = ((p[0] - 1.0).powi(2) + (p[1] - 2.0).powi(2)).sqrt();
            assert!((r - 10f64.sqrt()).abs() < 0.05, "radius {r} at {p:?}");
        }
    }
}
