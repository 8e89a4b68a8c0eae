//! What the 1-D and 2-D views share: the hover text, the minima markers, and a click on the
//! plot turned into an action (click: move the selected run's start; Shift+click: add a run).

use egui_plot::{Plot, PlotPoint, PlotResponse};

use super::action::Action;
use crate::engine::Objective;
use crate::engine::format::{human, tick};

/// Axis ticks with as many digits as tell them apart: `1e23`, not 24 digits (every plot
/// of the app uses this).
pub fn short_ticks(plot: Plot<'_>) -> Plot<'_> {
    plot.x_axis_formatter(|mark, _| tick(mark.value, mark.step_size))
        .y_axis_formatter(|mark, _| tick(mark.value, mark.step_size))
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
