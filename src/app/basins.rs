//! The basins-of-attraction overlay of the contour view: every start in view colored by the
//! minimum the selected run's optimizer reaches from it. Computed on workers, a coarse map
//! first and then a fine one; a change of the view or a setting cancels and restarts both.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use egui::{Color32, ColorImage, TextureHandle, TextureOptions};
use egui_plot::{MarkerShape, PlotImage, PlotPoint, PlotUi, Points};

use super::jobs::{Cached, Runner};
use super::model::Model;
use crate::cli::basins::{basin_color, basin_palette, basin_pixels};
use crate::engine::basins::{
    BasinMap, BasinSpec, DIVERGED, NOWHERE, basin_minima, basins, capture_radius, label_of,
};
use crate::engine::format::{point, short};
use crate::engine::{Interval, Objective, OptimizerConfig};

/// Starts per side of the first, coarse map.
pub const COARSE: usize = 48;
/// Starts per side of the fine map that replaces it.
pub const FINE: usize = 160;
/// The most iterations a start takes in the overlay (a run may take more).
pub const MAX_BASIN_ITERS: u64 = 1000;
/// The overlay's opacity.
const ALPHA: u8 = 150;

/// What a basin map depends on.
#[derive(Clone, Debug, PartialEq)]
pub struct BasinKey {
    function: u64,
    x: Interval,
    y: Interval,
    /// The view box (Display > View): its minima are numbered first, as `descent basins
    /// --view` with that box numbers them, then those beyond it in the drawn area.
    numbered: [Interval; 2],
    optimizer: OptimizerConfig,
    iters: u32,
    tol: f64,
}

/// The texture of a map, the map (key, resolution) it shows and that map's colors per minimum.
type Drawn = ((BasinKey, usize), TextureHandle, Vec<[u8; 3]>);

/// The overlay's maps, its texture and the minima its colors stand for.
#[derive(Default)]
pub struct BasinOverlay {
    coarse: Cached<(BasinKey, usize), Arc<BasinMap>>,
    fine: Cached<(BasinKey, usize), Arc<BasinMap>>,
    /// The texture, the map (key, resolution) it shows and that map's colors per minimum.
    texture: Option<Drawn>,
}

impl BasinOverlay {
    /// Whether a map is being computed.
    pub fn is_pending(&self) -> bool {
        self.coarse.is_pending() || self.fine.is_pending()
    }

    fn key(model: &Model, x: Interval, y: Interval) -> Option<BasinKey> {
        let slot = model.sim.selected_slot()?;
        let view = model.view();
        Some(BasinKey {
            function: model.sim.objective_generation(),
            x,
            y,
            numbered: [*view.first()?, *view.get(1)?],
            optimizer: OptimizerConfig {
                noise: None,
                ..slot.setup.optimizer
            },
            iters: u32::try_from(model.sim.max_iters().min(MAX_BASIN_ITERS)).unwrap_or(1),
            tol: model.sim.tol(),
        })
    }

    fn request(
        cache: &mut Cached<(BasinKey, usize), Arc<BasinMap>>,
        runner: Runner,
        objective: &Arc<dyn Objective>,
        key: &BasinKey,
        side: usize,
    ) {
        let objective = objective.clone();
        let job = key.clone();
        cache.request(runner, &(key.clone(), side), move |ctx| {
            let view = [job.x, job.y];
            let spec = BasinSpec {
                optimizer: job.optimizer,
                iters: job.iters,
                tol: job.tol,
                view,
                width: side,
                height: side,
            };
            let minima = numbered_minima(objective.as_ref(), &job.numbered, &view);
            let cancel: &AtomicBool = ctx.cancel_flag();
            // A cancelled map is never handed back; the empty one only fills the type.
            Arc::new(basins(objective.as_ref(), &spec, &minima, cancel).unwrap_or_default())
        });
    }

    /// The map to draw: one made for exactly this view (fine before coarse), else, while a
    /// pan recomputes, the last one of the same settings at its own box.
    fn pick(&self, key: &BasinKey) -> Option<((BasinKey, usize), Arc<BasinMap>)> {
        let same_settings = |k: &BasinKey| {
            k.function == key.function
                && k.optimizer == key.optimizer
                && k.iters == key.iters
                && k.tol == key.tol
        };
        let caches = [&self.fine, &self.coarse];
        let exact = caches.iter().find_map(|cache| {
            cache
                .current
                .as_ref()
                .filter(|((k, _), map)| k == key && map.width > 0)
        });
        exact
            .or_else(|| {
                caches.iter().find_map(|cache| {
                    cache
                        .current
                        .as_ref()
                        .filter(|((k, _), map)| same_settings(k) && map.width > 0)
                })
            })
            .map(|(drawn, map)| (drawn.clone(), map.clone()))
    }

    /// Starts the maps for this frame's view and draws the newest one, with a legend entry
    /// per minimum. Returns the map drawn and its box, for the hover text.
    pub fn items(
        &mut self,
        plot_ui: &mut PlotUi<'_>,
        model: &Model,
        runner: Runner,
        x: Interval,
        y: Interval,
    ) -> Option<(Arc<BasinMap>, [Interval; 2])> {
        let key = Self::key(model, x, y)?;
        let objective = model.objective().clone();
        Self::request(&mut self.coarse, runner, &objective, &key, COARSE);
        if self.coarse.is_current(&(key.clone(), COARSE)) {
            Self::request(&mut self.fine, runner, &objective, &key, FINE);
        } else {
            self.fine.collect();
        }
        let newest = self.pick(&key);
        if let Some((drawn, map)) = &newest
            && self.texture.as_ref().is_none_or(|(k, _, _)| k != drawn)
        {
            let image = overlay_image(map);
            let colors = basin_palette(&map.touching());
            match &mut self.texture {
                Some((k, texture, palette)) => {
                    texture.set(image, TextureOptions::NEAREST);
                    *k = drawn.clone();
                    *palette = colors;
                }
                None => {
                    let texture =
                        plot_ui
                            .ctx()
                            .load_texture("basins", image, TextureOptions::NEAREST);
                    self.texture = Some((drawn.clone(), texture, colors));
                }
            }
        }
        let ((drawn_key, _), texture, palette) = self.texture.as_ref()?;
        // Nothing for these settings yet: the old map is not drawn.
        newest.as_ref()?;
        let center = PlotPoint::new(drawn_key.x.center(), drawn_key.y.center());
        let size = egui::vec2(drawn_key.x.width() as f32, drawn_key.y.width() as f32);
        plot_ui.add(PlotImage::new("", texture.id(), center, size).allow_hover(false));
        let (_, map) = newest?;
        let counts = map.counts();
        // The legend names the largest basins; a function of many wells (rastrigin) would
        // fill the plot with entries.
        let mut reached: Vec<usize> = (0..map.minima.len())
            .filter(|&i| counts[i] > 0 && map.minima[i].len() == 2)
            .collect();
        reached.sort_by_key(|&i| std::cmp::Reverse(counts[i]));
        let unnamed = reached.len().saturating_sub(LEGEND_BASINS);
        reached.truncate(LEGEND_BASINS);
        reached.sort_unstable();
        for i in reached {
            let minimum = &map.minima[i];
            let [r, g, b] = basin_color(i as i32, palette);
            plot_ui.add(
                Points::new(
                    format!("basin {i}: minimum {}", point(minimum)),
                    vec![[minimum[0], minimum[1]]],
                )
                .shape(MarkerShape::Circle)
                .filled(false)
                .radius(8.0)
                .color(Color32::from_rgb(r, g, b))
                .allow_hover(false),
            );
        }
        if unnamed > 0 {
            plot_ui.add(
                Points::new(
                    format!("basins of {unnamed} more minima: hover to see where a start ends"),
                    Vec::<[f64; 2]>::new(),
                )
                .color(Color32::TRANSPARENT),
            );
        }
        if map.labels.contains(&DIVERGED) {
            let [r, g, b] = basin_color(DIVERGED, palette);
            plot_ui.add(
                Points::new("diverged or left the domain", Vec::<[f64; 2]>::new())
                    .color(Color32::from_rgb(r, g, b)),
            );
        }
        Some((map, [drawn_key.x, drawn_key.y]))
    }
}

/// The most basins the legend names, the largest first.
const LEGEND_BASINS: usize = 4;

/// The map as a translucent image (colors as `descent basins --format png` draws them).
fn overlay_image(map: &BasinMap) -> ColorImage {
    let pixels = basin_pixels(map)
        .into_iter()
        .map(|[r, g, b]| Color32::from_rgba_unmultiplied(r, g, b, ALPHA))
        .collect();
    ColorImage::new([map.width, map.height], pixels)
}

/// The minima a map of the drawn area `view` labels by: those of the view box `numbered`
/// first, in the order `descent basins --view` gives them, then the others in `view`.
fn numbered_minima(
    objective: &dyn Objective,
    numbered: &[Interval; 2],
    view: &[Interval; 2],
) -> Vec<Vec<f64>> {
    let mut minima = basin_minima(objective, numbered);
    if numbered != view {
        let radius = capture_radius(view);
        for minimum in basin_minima(objective, view) {
            if label_of(&minimum, &minima, radius) == NOWHERE {
                minima.push(minimum);
            }
        }
    }
    minima
}

/// What the hover says about a start at `p`: which minimum it reaches, in how many
/// iterations, or that it diverges.
pub fn hover_line(map: &BasinMap, view: &[Interval; 2], p: [f64; 2]) -> Option<String> {
    let fx = (p[0] - view[0].lo) / view[0].width();
    let fy = (p[1] - view[1].lo) / view[1].width();
    if !(0.0..1.0).contains(&fx) || !(0.0..1.0).contains(&fy) || map.width == 0 {
        return None;
    }
    let i = ((fx * map.width as f64) as usize).min(map.width - 1);
    let j = ((fy * map.height as f64) as usize).min(map.height - 1);
    let k = j * map.width + i;
    let ending = map.endings[k];
    Some(match usize::try_from(map.labels[k]) {
        Ok(m) => format!(
            "from here: basin {m}, minimum {}, in {} iterations",
            point(&map.minima[m]),
            ending.iterations
        ),
        Err(_) if map.labels[k] == DIVERGED => format!("from here: {}", ending.stop.phrase()),
        Err(_) => format!(
            "from here: no minimum after {} iterations (f = {})",
            ending.iterations,
            short(ending.value)
        ),
    })
}
