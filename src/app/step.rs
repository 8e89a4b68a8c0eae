//! Inside the step: the selected run's update rule with the current numbers in it, the
//! local geometry at the current point and, for the line search, phi(s) with its trials.
//! The step is replayed from the run's start on a worker (a long run takes a moment), and
//! the newest result is shown meanwhile.

use std::sync::Arc;

use egui::text::LayoutJob;
use egui::{Color32, FontId, TextFormat};
use egui_plot::{Line as PlotLine, MarkerShape, Plot, Points};

use super::action::Action;
use super::help::Explain;
use super::jobs::{Cached, Runner};
use super::model::Model;
use super::run_color;
use super::settings::BottomTab;
use crate::engine::explain::{Formula, Line, explain};
use crate::engine::format;
use crate::engine::inspect::{LocalGeometry, StepTrace, replay};
use crate::engine::optimizer::{ARMIJO_C, OptimizerKind};

/// phi(s) = f(p - s g) on a grid of step sizes, for the line search's plot.
#[derive(Clone, Debug)]
pub struct Phi {
    /// (s, phi(s)) where phi is finite.
    pub samples: Vec<[f64; 2]>,
    /// The largest step size plotted.
    pub s_max: f64,
    /// |g|^2, the slope of phi at 0 is -|g|^2.
    pub g_norm_sq: f64,
}

/// Everything the step panel and the overlays show about one step.
#[derive(Clone, Debug)]
pub struct StepInsight {
    /// The step as the engine computed it.
    pub trace: StepTrace,
    /// Its update rule with the numbers in it.
    pub lines: Vec<Line>,
    /// The Hessian's eigen-decomposition and Newton's step at the step's point.
    pub geometry: Option<LocalGeometry>,
    /// phi(s) for a line search step.
    pub phi: Option<Phi>,
}

/// Which step: a run (by generation) and the iterate its step starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepKey {
    /// The run's slot generation.
    pub generation: u64,
    /// The iterate shown.
    pub k: usize,
}

/// The step panel's cache and its worker.
#[derive(Default)]
pub struct StepView {
    cache: Cached<StepKey, Option<Arc<StepInsight>>>,
}

/// Points phi(s) is sampled at.
const PHI_SAMPLES: usize = 200;

impl StepView {
    /// The key of the step shown now: the selected run at its shown iterate (as drawn).
    pub fn key(model: &Model) -> Option<StepKey> {
        let slot = model.sim.selected_slot()?;
        let path = slot.run.path();
        Some(StepKey {
            generation: slot.generation,
            k: path.index_of(slot.shown_index(model.sim.shown())),
        })
    }

    /// Whether anything shown needs the step: the panel, or the overlays.
    pub fn wanted(model: &Model) -> bool {
        let display = &model.settings.display;
        display.internals || display.curvature || display.bottom == BottomTab::Step
    }

    /// Starts the replay for the step shown now, if it is wanted and not on its way.
    pub fn request(&mut self, model: &Model, runner: Runner) {
        if !Self::wanted(model) {
            self.cache.collect();
            return;
        }
        let (Some(key), Some(slot)) = (Self::key(model), model.sim.selected_slot()) else {
            return;
        };
        if self.cache.is_current(&key) {
            return;
        }
        let Ok(fresh) = slot.run.restarted(2) else {
            return;
        };
        let names = model.objective().info().param_names.clone();
        let objective = model.objective().clone();
        let batched = slot.run.batch_spec().is_some();
        self.cache.request(runner, &key, move |ctx| {
            let trace = replay(fresh, key.k, ctx.cancel_flag())?;
            let lines = explain(&trace, &names);
            let geometry = LocalGeometry::at(objective.as_ref(), &trace.point);
            let phi = (trace.config.kind == OptimizerKind::LineSearch && !batched).then(|| {
                let g = &trace.seen;
                let g_norm_sq: f64 = g.iter().map(|v| v * v).sum();
                let s_max = trace
                    .record
                    .trials
                    .iter()
                    .map(|t| t.step)
                    .fold(trace.config.lr, f64::max);
                // Log-spaced from a quarter of the smallest trial: the trials halve s.
                let s_min = trace
                    .record
                    .trials
                    .iter()
                    .map(|t| t.step)
                    .fold(s_max, f64::min)
                    / 4.0;
                let samples = (0..=PHI_SAMPLES)
                    .filter_map(|i| {
                        let s = s_min * (s_max / s_min).powf(i as f64 / PHI_SAMPLES as f64);
                        let q: Vec<f64> =
                            trace.point.iter().zip(g).map(|(p, g)| p - s * g).collect();
                        let f = objective.value(&q);
                        (objective.in_domain(&q) && f.is_finite()).then_some([s, f])
                    })
                    .collect();
                Phi {
                    samples,
                    s_max,
                    g_norm_sq,
                }
            });
            Some(Arc::new(StepInsight {
                trace,
                lines,
                geometry,
                phi,
            }))
        });
    }

    /// Whether a replay is running.
    pub fn is_pending(&self) -> bool {
        self.cache.is_pending()
    }

    /// The insight for the step shown now, if it is computed.
    pub fn current(&self, model: &Model) -> Option<&Arc<StepInsight>> {
        let key = Self::key(model)?;
        match &self.cache.current {
            Some((k, Some(insight))) if *k == key => Some(insight),
            _ => None,
        }
    }

    /// The newest insight for the selected run, even if for another iterate.
    fn newest(&self, model: &Model) -> Option<&StepInsight> {
        let key = Self::key(model)?;
        match &self.cache.current {
            Some((k, Some(insight))) if k.generation == key.generation => Some(insight),
            _ => None,
        }
    }

    /// The panel: the rule with numbers on the left, the local geometry (and phi(s)) on the
    /// right.
    pub fn ui(&mut self, model: &Model, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let Some(slot) = model.sim.selected_slot() else {
            ui.label("No run yet: click the plot to start one.");
            return;
        };
        let mut display = model.settings.display;
        // The overlays are drawn in the contour view.
        let surface = model.objective().dim() == 2;
        if surface {
            ui.horizontal_wrapped(|ui| {
                let changed = ui
                    .checkbox(&mut display.internals, "Arrows of the step")
                    .explain(
                        "At the current point: -g as computed and as clipped, the step taken, \
                     the momentum or first moment, and the per-axis scale sqrt(v)",
                    )
                    .changed()
                    | ui.checkbox(&mut display.curvature, "Curvature axes and Newton's step")
                        .explain(
                            "The Hessian's eigenvectors, each as long as its eigenvalue, and \
                         where a full Newton step would land",
                        )
                        .changed();
                if changed {
                    actions.push(Action::SetDisplay(display));
                }
            });
        }
        let Some(insight) = self.newest(model) else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Replaying the run to this iteration...");
            });
            return;
        };
        let trace = &insight.trace;
        ui.horizontal(|ui| {
            super::controls::color_dot(ui, run_color(slot.setup.color));
            ui.strong(format!(
                "{}, step {}: from iterate {} to {}",
                slot.setup.optimizer.kind.label(),
                trace.k + 1,
                trace.k,
                trace.k + 1
            ));
        });
        let height = ui.available_height();
        ui.horizontal_top(|ui| {
            // The line search's phi(s) plot needs room beside the trials.
            let right = if insight.phi.is_some() {
                ui.available_width() * 0.45
            } else {
                250.0
            };
            let left = (ui.available_width() - right).max(ui.available_width() * 0.55);
            ui.allocate_ui(egui::vec2(left, height), |ui| {
                egui::ScrollArea::both()
                    .id_salt("step_lines")
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        ui.vertical(|ui| lines_ui(ui, &insight.lines));
                    });
            });
            ui.separator();
            ui.vertical(|ui| {
                if let Some(phi) = &insight.phi {
                    let height = (ui.available_height() - 90.0).max(130.0);
                    phi_plot(ui, insight, phi, height);
                }
                egui::ScrollArea::vertical()
                    .id_salt("step_geometry")
                    .auto_shrink([false, false])
                    .show(ui, |ui| geometry_ui(ui, insight, slot.setup.optimizer.lr));
            });
        });
    }
}

/// The lines as tables, one row per quantity with a column per parameter, and the notes
/// between them as text.
fn lines_ui(ui: &mut egui::Ui, lines: &[Line]) {
    let mut rest = lines;
    let mut table = 0;
    while let Some(first) = rest.first() {
        if let Line::Note(text) = first {
            ui.label(egui::RichText::new(text).monospace().weak());
            rest = &rest[1..];
            continue;
        }
        let count = rest
            .iter()
            .take_while(|l| matches!(l, Line::Formula(_)))
            .count();
        let formulas: Vec<&Formula> = rest[..count]
            .iter()
            .filter_map(|l| match l {
                Line::Formula(f) => Some(f),
                Line::Note(_) => None,
            })
            .collect();
        formula_table(ui, &formulas, table);
        table += 1;
        rest = &rest[count..];
    }
}

/// One table of formulas, a row each: target, rule and numbers. Per-parameter lines of
/// one quantity are grouped (m(x), m(y), then v(x), v(y)), the rule written once.
fn formula_table(ui: &mut egui::Ui, formulas: &[&Formula], id: usize) {
    let mut rows: Vec<&Formula> = Vec::with_capacity(formulas.len());
    for (i, f) in formulas.iter().enumerate() {
        let Some((_, quantity)) = &f.per else {
            rows.push(f);
            continue;
        };
        let first = formulas
            .iter()
            .position(|g| g.per.as_ref().is_some_and(|(_, q)| q == quantity));
        if first == Some(i) {
            rows.extend(
                formulas[i..]
                    .iter()
                    .filter(|g| g.per.as_ref().is_some_and(|(_, q)| q == quantity)),
            );
        }
    }
    // Narrow: each rule on a row of its own above its numbers, so the numbers fit.
    let wide = ui.available_width() >= 900.0;
    egui::Grid::new(("step_table", id))
        .striped(true)
        .spacing([12.0, 2.0])
        .num_columns(if wide { 3 } else { 2 })
        .show(ui, |ui| {
            let mut previous: Option<&str> = None;
            for f in rows {
                let quantity = f.per.as_ref().map(|(_, q)| q.as_str());
                let repeat = quantity.is_some() && quantity == previous;
                let rule = egui::RichText::new(if repeat { "" } else { f.rule.as_str() })
                    .monospace()
                    .weak();
                if !wide && !repeat && !f.rule.is_empty() {
                    let name = match quantity {
                        Some("") => "p".to_string(),
                        Some(q) => q.to_string(),
                        None => f.target.clone(),
                    };
                    ui.label(egui::RichText::new(name).monospace().weak());
                    ui.label(
                        egui::RichText::new(format!("= {}", f.rule))
                            .monospace()
                            .weak(),
                    );
                    ui.end_row();
                }
                ui.label(egui::RichText::new(&f.target).monospace().strong());
                if wide {
                    ui.label(rule);
                }
                ui.label(value_job(ui, f));
                ui.end_row();
                previous = quantity;
            }
        });
}

/// `numbers = result` in monospace, the result strong.
fn value_job(ui: &egui::Ui, f: &Formula) -> LayoutJob {
    let font = FontId::monospace(12.5);
    let visuals = ui.visuals();
    let strong = TextFormat::simple(font.clone(), visuals.strong_text_color());
    let plain = TextFormat::simple(font, visuals.text_color());
    let mut job = LayoutJob::default();
    let numbers = f.numbers(format::short);
    let result = format::short(f.result);
    job.append("= ", 0.0, plain.clone());
    if numbers != result {
        job.append(&numbers, 0.0, plain.clone());
        job.append(" = ", 0.0, plain);
    }
    job.append(&result, 0.0, strong);
    job.wrap.max_width = f32::INFINITY;
    job
}

/// The local geometry at the step's point, and phi(s) for the line search.
fn geometry_ui(ui: &mut egui::Ui, insight: &StepInsight, lr: f64) {
    ui.strong("Local geometry here");
    match &insight.geometry {
        None => {
            ui.label("The Hessian is not finite here.");
        }
        Some(g) => {
            let values: Vec<String> = g.eigenvalues.iter().map(|v| format::short(*v)).collect();
            ui.label(format!(
                "Hessian eigenvalues {}: {}",
                values.join(", "),
                g.kind()
            ));
            let condition = g.condition();
            ui.label(if condition.is_finite() {
                format!("condition number {}", format::short(condition))
            } else {
                "condition number infinite (an eigenvalue is 0)".to_string()
            });
            match g.stable_lr() {
                Some(bound) => {
                    let verdict = if lr < bound {
                        "below: GD is stable along every axis here"
                    } else {
                        "above: GD overshoots along the steepest axis"
                    };
                    ui.label(format!(
                        "2/lambda_max = {}, the largest stable lr; lr {} is {verdict}",
                        format::short(bound),
                        format::short(lr)
                    ));
                }
                None => {
                    ui.label("no stable bound: f curves down every way here");
                }
            }
            match &g.newton_step {
                Some(step) => {
                    let to: Vec<f64> = insight
                        .trace
                        .point
                        .iter()
                        .zip(step)
                        .map(|(p, s)| p + s)
                        .collect();
                    ui.label(format!(
                        "Newton's full step lands at {}",
                        format::point(&to)
                    ));
                }
                None => {
                    ui.label("Newton's step: none (singular Hessian)");
                }
            }
        }
    }
}

/// phi(s) = f(p - s g), Armijo's line f(p) - c s |g|^2, and the trial steps, against
/// log10 s (the trials halve s, so they fall evenly). The y axis spans f(p) down to the
/// lowest value plotted; trials above it sit on the top edge as up-triangles.
fn phi_plot(ui: &mut egui::Ui, insight: &StepInsight, phi: &Phi, height: f32) {
    let trace = &insight.trace;
    let f0 = trace.value;
    let x = |s: f64| s.log10();
    let samples: Vec<[f64; 2]> = phi.samples.iter().map(|p| [x(p[0]), p[1]]).collect();
    let armijo: Vec<[f64; 2]> = phi
        .samples
        .iter()
        .map(|p| [x(p[0]), f0 - ARMIJO_C * p[0] * phi.g_norm_sq])
        .collect();
    let lowest = samples
        .iter()
        .chain(&armijo)
        .map(|p| p[1])
        .fold(f0, f64::min);
    let hi = f0 + (f0 - lowest).max(f0.abs() * 1e-9).max(1e-300);
    let lo = lowest - (hi - lowest) * 0.05;
    let mut accepted = Vec::new();
    let mut below = Vec::new();
    let mut above = Vec::new();
    for t in &trace.record.trials {
        let Some(f) = t.value.filter(|f| f.is_finite()) else {
            continue;
        };
        let point = [x(t.step), f.min(hi)];
        if t.accepted {
            accepted.push(point);
        } else if f > hi {
            above.push(point);
        } else {
            below.push(point);
        }
    }
    let x_lo = samples.first().map_or(-1.0, |p| p[0]);
    let x_hi = x(phi.s_max);
    super::plot_input::log_x(super::plot_input::short_ticks(Plot::new("phi")))
        .height(height)
        .legend(egui_plot::Legend::default().position(egui_plot::Corner::RightBottom))
        .x_axis_label("step size s (log scale)")
        .y_axis_label("phi(s) = f(p - s g)")
        .include_x(x_lo)
        .include_x(x_hi)
        .include_y(lo)
        .include_y(hi)
        .allow_boxed_zoom(false)
        .show(ui, |plot_ui| {
            let clamp = |v: Vec<[f64; 2]>| -> Vec<[f64; 2]> {
                v.into_iter().map(|p| [p[0], p[1].min(hi)]).collect()
            };
            plot_ui.line(
                PlotLine::new("phi(s)", clamp(samples))
                    .color(Color32::LIGHT_BLUE)
                    .width(1.5),
            );
            plot_ui.line(
                PlotLine::new("Armijo line", clamp(armijo))
                    .color(Color32::GRAY)
                    .style(egui_plot::LineStyle::dashed_dense()),
            );
            let rejected = Color32::from_rgb(240, 90, 80);
            plot_ui.points(
                Points::new("rejected trials", below)
                    .color(rejected)
                    .shape(MarkerShape::Cross)
                    .radius(4.0),
            );
            plot_ui.points(
                Points::new("rejected trials", above)
                    .color(rejected)
                    .shape(MarkerShape::Up)
                    .radius(4.0),
            );
            plot_ui.points(
                Points::new("accepted step", accepted)
                    .color(Color32::from_rgb(90, 220, 120))
                    .radius(4.5),
            );
        });
}
