//! What the 1-D and 2-D views share: the hover text, the minima markers, and a click on the
//! plot turned into an action (click: move the selected run's start; Shift+click: add a run).

use egui_plot::{GridInput, Plot, PlotPoint, PlotResponse, uniform_grid_spacer};

use super::action::Action;
use super::model::Model;
use crate::engine::Objective;
use crate::engine::format::{human, tick};

/// Axis ticks with as many digits as tell them apart (`1e23`, not 24 digits), on steps of
/// 1, 2 or 5 times a power of ten, so an axis always has several labels (every plot of the
/// app uses this).
pub fn short_ticks(plot: Plot<'_>) -> Plot<'_> {
    // egui_plot hides x labels closer than 60 points; a label is never drawn over its
    // neighbour (it also checks the text's width), so a narrow plot can keep more of them.
    plot.custom_x_axes(vec![
        egui_plot::AxisHints::new_x().label_spacing(34.0..=48.0),
    ])
    .x_axis_formatter(|mark, _| tick(mark.value, mark.step_size))
    .y_axis_formatter(|mark, _| tick(mark.value, mark.step_size))
    .x_grid_spacer(uniform_grid_spacer(tick_steps))
    .y_grid_spacer(uniform_grid_spacer(tick_steps))
}

/// An x axis that holds log10 of a quantity: ticks on whole decades, labelled with the
/// quantity itself (0.001, 0.01, 0.1, 1, 10, 1e3), so a log scale reads in decades.
pub fn log_x(plot: Plot<'_>) -> Plot<'_> {
    plot.x_axis_formatter(|mark, _| decade(mark.value))
        .x_grid_spacer(uniform_grid_spacer(decade_steps))
}

/// A y axis that holds log10 of a quantity, as [`log_x`].
pub fn log_y(plot: Plot<'_>) -> Plot<'_> {
    plot.y_axis_formatter(|mark, _| decade(mark.value))
        .y_grid_spacer(uniform_grid_spacer(decade_steps))
}

/// The quantity at a whole decade `v` = log10 of it, e.g. `0.01` at -2 and `1e6` at 6.
pub fn decade(v: f64) -> String {
    let k = v.round();
    if (v - k).abs() > 1e-6 || !k.is_finite() {
        return String::new();
    }
    crate::engine::format::short(10f64.powi(k.clamp(-320.0, 320.0) as i32))
}

/// Grid steps of a log axis: whole decades, every decade when there is room.
fn decade_steps(input: GridInput) -> [f64; 3] {
    tick_steps(input).map(|step| step.max(1.0))
}

/// The three grid steps of an axis: the finest lines about 8 points apart, then about 36,
/// then about 80; labels go on the steps at least 34 points apart (x) or 20 (y). The default steps grow tenfold, which can leave an
/// axis with a single label.
pub fn tick_steps(input: GridInput) -> [f64; 3] {
    // `base_step_size` is the value spanned by 8 points.
    let base = input.base_step_size.abs();
    if !base.is_finite() || base == 0.0 {
        return [1.0, 2.0, 5.0];
    }
    // Each step a whole multiple of the one before, so the labelled ticks are evenly
    // spaced (0, 2, 4, not 0, 2, 5).
    let fine = step_125(base);
    let mid = nested_step(fine, base * 4.5);
    [fine, mid, nested_step(mid, base * 10.0)]
}

/// The smallest of 1, 2 or 5 times a power of ten that is at least `v` and a whole
/// multiple of `step` (itself such a number).
fn nested_step(step: f64, v: f64) -> f64 {
    let mut candidate = step_125(v.max(step));
    for _ in 0..8 {
        let ratio = candidate / step;
        if (ratio - ratio.round()).abs() < 1e-9 {
            return candidate;
        }
        candidate = step_125(candidate * 1.000_001);
    }
    candidate
}

/// The smallest of 1, 2 or 5 times a power of ten that is at least `v` (positive).
pub fn step_125(v: f64) -> f64 {
    let power = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= v * (1.0 - 1e-12))
        .unwrap_or(10.0 * power)
}

/// x, (y,) f and the derivative's size at a point, for the hover label: f'(x) for curves,
/// |grad f| for surfaces; outside the domain, says so.
pub fn hover_text(objective: &dyn Objective, p: PlotPoint) -> String {
    let names = &objective.info().param_names;
    let coordinates = if objective.dim() == 1 {
        format!("{} = {}", names[0], human(p.x))
    } else {
        format!(
            "{} = {}\n{} = {}",
            names[0],
            human(p.x),
            names.get(1).map_or("y", String::as_str),
            human(p.y)
        )
    };
    let point = [p.x, p.y];
    let point = &point[..objective.dim().min(2)];
    if !objective.in_domain(point) {
        return format!(
            "{coordinates}\noutside the domain ({})",
            objective.info().domain
        );
    }
    let mut g = vec![0.0; point.len()];
    let value = objective.value_and_gradient(point, &mut g);
    let slope = if objective.dim() == 1 {
        format!("f'(x) = {}", human(g[0]))
    } else {
        format!("|grad f| = {}", human(crate::engine::run::norm(&g)))
    };
    format!("{coordinates}\nf = {}\n{slope}", human(value))
}

/// Where the known minima are drawn: (x, f(x)) on a curve, (x, y) on a surface.
pub fn minima_points(objective: &dyn Objective) -> Vec<[f64; 2]> {
    objective
        .info()
        .minima
        .iter()
        .filter_map(|m| match m.len() {
            1 => Some([m[0], objective.value(m)]),
            2 => Some([m[0], m[1]]),
            _ => None,
        })
        .filter(|p| p.iter().all(|v| v.is_finite()))
        .collect()
}

/// Crosses at the known minima, in `color`.
pub fn minima_items(
    plot_ui: &mut egui_plot::PlotUi<'_>,
    objective: &dyn Objective,
    color: egui::Color32,
) {
    let minima = minima_points(objective);
    if !minima.is_empty() {
        plot_ui.add(
            egui_plot::Points::new("", minima)
                .shape(egui_plot::MarkerShape::Cross)
                .radius(7.0)
                .color(color)
                .allow_hover(false),
        );
    }
}

/// The point a hover position stands for.
pub fn position_of(pos: &egui_plot::HoverPosition<'_>) -> PlotPoint {
    match pos {
        egui_plot::HoverPosition::NearDataPoint { position, .. } => *position,
        egui_plot::HoverPosition::Elsewhere { position } => *position,
    }
}

/// The action of a click on the plot, if it was clicked: the start at the clicked point
/// (x only for curves), moved or, with Shift, added.
pub fn click_action<R>(response: &PlotResponse<R>, ui: &egui::Ui, dim: usize) -> Option<Action> {
    if !response.response.clicked() {
        return None;
    }
    let pos = response.response.interact_pointer_pos()?;
    let p = response.transform.value_from_position(pos);
    let start = if dim == 1 { vec![p.x] } else { vec![p.x, p.y] };
    if !start.iter().all(|v| v.is_finite()) {
        return None;
    }
    Some(if click_modifiers(ui).shift {
        Action::AddRun(start)
    } else {
        Action::SetStart(start)
    })
}

/// A double click resets a view, yet its first click has already moved the start (a view
/// cannot wait to see whether a second click follows without making every click feel
/// slow). The guard passes clicks on, and on a double click takes the first click's change
/// back with one undo, if that change is still the last one.
#[derive(Debug, Default)]
pub struct ClickGuard {
    /// A click's action went out this frame; its revision is read the next frame.
    sent: bool,
    /// The model's revision right after the last click's action was applied.
    revision: Option<u64>,
}

impl ClickGuard {
    /// Passes on the action of a click, or on a double click the undo of the first click's
    /// change. Returns whether the view was double-clicked (the view resets itself then).
    pub fn filter(
        &mut self,
        model: &Model,
        response: &egui::Response,
        action: Option<Action>,
        actions: &mut Vec<Action>,
    ) -> bool {
        if std::mem::take(&mut self.sent) {
            self.revision = Some(model.revision());
        }
        if response.double_clicked() {
            if self.revision.take() == Some(model.revision()) {
                actions.push(Action::Undo);
            }
            return true;
        }
        if let Some(action) = action {
            actions.push(action);
            self.sent = true;
            self.revision = None;
        }
        false
    }
}

/// The modifiers held during this frame's last primary click: those of the button event
/// itself, so a quick Shift+click counts even if Shift is released within the same frame.
pub fn click_modifiers(ui: &egui::Ui) -> egui::Modifiers {
    ui.input(|i| {
        i.events
            .iter()
            .rev()
            .find_map(|e| match e {
                egui::Event::PointerButton {
                    button: egui::PointerButton::Primary,
                    modifiers,
                    ..
                } => Some(*modifiers),
                _ => None,
            })
            .unwrap_or(i.modifiers)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_steps_go_one_two_five_and_leave_room_for_labels() {
        assert_eq!(step_125(0.13), 0.2);
        assert_eq!(step_125(3.0), 5.0);
        assert_eq!(step_125(7.0), 10.0);
        assert_eq!(step_125(1e22), 1e22);
        // 12 units over 700 points: 8 points are 0.137 units.
        let [fine, mid, label] = tick_steps(GridInput {
            bounds: (-6.0, 6.0),
            base_step_size: 12.0 / 700.0 * 8.0,
        });
        assert_eq!((fine, mid, label), (0.2, 1.0, 2.0));
        assert!(label * 700.0 / 12.0 >= 80.0, "labels fit between ticks");
    }

    #[test]
    fn each_grid_step_is_a_whole_multiple_of_the_finer_one() {
        // Labelled ticks are then evenly spaced: 0, 2, 4, never 0, 2, 5.
        for exponent in -30..30 {
            for mantissa in [1.0, 1.3, 2.2, 3.7, 4.9, 6.1, 8.8] {
                let base = mantissa * 10f64.powi(exponent);
                let steps = tick_steps(GridInput {
                    bounds: (0.0, 1.0),
                    base_step_size: base,
                });
                assert!(steps[0] >= base * (1.0 - 1e-12), "{base}: {steps:?}");
                for pair in steps.windows(2) {
                    let ratio = pair[1] / pair[0];
                    assert!(
                        ratio >= 1.0 && (ratio - ratio.round()).abs() < 1e-9,
                        "{base}: {steps:?}"
                    );
                }
            }
        }
    }
}
