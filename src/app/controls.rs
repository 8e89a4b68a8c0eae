//! The side panel: function, runs, optimizer, iterations, playback, status and display.

use egui::{Color32, RichText, Slider, SliderClamping};

use super::field::Colormap;
use super::simulation::Speed;
use super::{
    DescentApp, MAX_UI_ITERATIONS, Notice, fmt_num, fmt_point, picker_functions, run_color,
};
use crate::engine::{OptimizerKind, StopReason};

/// Draws every control; each has an accessible label.
pub fn controls_ui(app: &mut DescentApp, ui: &mut egui::Ui) {
    ui.spacing_mut().slider_width = 150.0;
    function_ui(app, ui);
    ui.separator();
    if app.in_lab() {
        super::lab::lab_controls_ui(app, ui);
        ui.separator();
    }
    playback_ui(app, ui);
    ui.separator();
    optimizer_ui(app, ui);
    ui.separator();
    runs_ui(app, ui);
    ui.separator();
    display_ui(app, ui);
}

fn function_ui(app: &mut DescentApp, ui: &mut egui::Ui) {
    let current = app.settings.function.clone();
    let mut chosen = current.clone();
    ui.horizontal(|ui| {
        let label = ui.label("Function");
        egui::ComboBox::from_id_salt("function")
            .selected_text(&chosen)
            .show_ui(ui, |ui| {
                for name in picker_functions() {
                    ui.selectable_value(&mut chosen, name.to_string(), name);
                }
            })
            .response
            .labelled_by(label.id);
    });
    if chosen != current {
        app.set_function(&chosen);
    }
    let info = app.objective().info();
    ui.label(
        RichText::new(format!("f = {}", info.formula))
            .monospace()
            .small(),
    );
    if info.domain != "all real numbers" {
        ui.label(RichText::new(format!("domain: {}", info.domain)).small());
    }
}

fn playback_ui(app: &mut DescentApp, ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        let play = if app.sim.playing { "Pause" } else { "Play" };
        if ui.button(play).on_hover_text("Space").clicked() {
            app.sim.toggle_play();
        }
        if ui.button("Step").on_hover_text("Right arrow").clicked() {
            app.sim.step_once();
        }
        if ui.button("Reset").on_hover_text("R").clicked() {
            app.sim.restart();
        }
    });

    let mut instant = app.sim.speed == Speed::Instant;
    let mut rate = match app.sim.speed {
        Speed::PerSecond(r) => r,
        Speed::Instant => match app.settings.speed {
            Speed::PerSecond(r) => r,
            Speed::Instant => 10.0,
        },
    };
    ui.horizontal(|ui| {
        ui.add_enabled(
            !instant,
            Slider::new(&mut rate, 1.0..=1000.0)
                .logarithmic(true)
                .integer()
                .suffix(" it/s")
                .text("Speed"),
        );
        ui.checkbox(&mut instant, "Instant");
    });
    app.settings.speed = Speed::PerSecond(rate);
    app.sim.speed = if instant {
        Speed::Instant
    } else {
        Speed::PerSecond(rate)
    };

    let end = app.sim.timeline_end();
    let mut k = app.sim.shown();
    let scrub = ui.add(
        Slider::new(&mut k, 0..=end.max(1))
            .text("Iteration")
            .clamping(SliderClamping::Always),
    );
    if scrub.changed() {
        app.sim.scrub_to(k);
    }
    if !app.progress.is_complete() {
        ui.add(
            egui::ProgressBar::new(app.progress.fraction())
                .show_percentage()
                .text(format!(
                    "computing {} of {} iterations",
                    app.progress.done, app.progress.needed
                )),
        );
    }

    if app.in_lab() {
        // The lab counts epochs (its own control); iterations follow from them.
        return;
    }
    let mut iterations = app.settings.iterations;
    let it = ui.add(
        Slider::new(&mut iterations, 1..=10_000)
            .logarithmic(true)
            .clamping(SliderClamping::Never)
            .text("Iterations"),
    );
    let mut use_tol = app.settings.use_tolerance;
    let mut tol = app.settings.tolerance;
    let mut tol_changed = false;
    ui.horizontal(|ui| {
        tol_changed |= ui.checkbox(&mut use_tol, "Stop at |grad f| <").changed();
        tol_changed |= ui
            .add_enabled(
                use_tol,
                Slider::new(&mut tol, 1e-12..=1.0)
                    .logarithmic(true)
                    .custom_formatter(|v, _| format!("{v:.0e}"))
                    .text("Tolerance"),
            )
            .changed();
    });
    if it.changed() || tol_changed {
        if iterations > MAX_UI_ITERATIONS {
            app.notice = Some(Notice::Error(format!(
                "iterations are capped at {MAX_UI_ITERATIONS} in the window (the command line takes up to 10,000,000)"
            )));
        }
        app.settings.iterations = iterations.clamp(1, MAX_UI_ITERATIONS);
        app.settings.use_tolerance = use_tol;
        if tol.is_finite() && tol > 0.0 {
            app.settings.tolerance = tol;
        }
        app.apply_limits();
    }
    if it.dragged() {
        app.sim.preview = true;
    }
}

fn optimizer_ui(app: &mut DescentApp, ui: &mut egui::Ui) {
    let Some(slot) = app.sim.selected_slot() else {
        ui.label("No run: click the plot to start one.");
        return;
    };
    let color = run_color(slot.setup.color);
    ui.horizontal(|ui| {
        color_dot(ui, color);
        ui.strong(format!("Run {} settings", app.sim.selected + 1));
    });
    let before = slot.setup.optimizer;
    let mut config = before;
    let mut dragging = false;
    ui.horizontal(|ui| {
        let label = ui.label("Optimizer");
        egui::ComboBox::from_id_salt("optimizer")
            .selected_text(config.kind.label())
            .show_ui(ui, |ui| {
                for kind in OptimizerKind::ALL {
                    ui.selectable_value(&mut config.kind, kind, kind.label());
                }
            })
            .response
            .on_hover_text(config.kind.rule())
            .labelled_by(label.id);
    });
    ui.label(RichText::new(config.kind.rule()).small().weak());
    let lr = ui.add(
        Slider::new(&mut config.lr, 1e-5..=10.0)
            .logarithmic(true)
            .clamping(SliderClamping::Never)
            .custom_formatter(|v, _| fmt_num(v))
            .text("Learning rate"),
    );
    dragging |= lr.dragged();
    for spec in config.kind.hyperparameters() {
        let response = match spec.flag {
            "momentum" => ui.add(Slider::new(&mut config.momentum, 0.0..=0.999).text("Momentum")),
            "alpha" => ui.add(Slider::new(&mut config.alpha, 0.0..=0.999).text("Alpha")),
            "beta1" => ui.add(Slider::new(&mut config.beta1, 0.0..=0.999).text("Beta1")),
            "beta2" => ui.add(Slider::new(&mut config.beta2, 0.0..=0.9999).text("Beta2")),
            _ => {
                let mut eps = config.eps();
                let r = ui.add(
                    Slider::new(&mut eps, 1e-12..=1e-1)
                        .logarithmic(true)
                        .custom_formatter(|v, _| format!("{v:.0e}"))
                        .text("Epsilon"),
                );
                if r.changed() {
                    config.eps = Some(eps);
                }
                r
            }
        };
        dragging |= response.dragged();
    }
    ui.horizontal(|ui| {
        let mut clip = config.clip.is_some();
        let mut c = config.clip.unwrap_or(1.0);
        ui.checkbox(&mut clip, "Clip gradient");
        let r = ui.add_enabled(
            clip,
            Slider::new(&mut c, 1e-3..=1e4)
                .logarithmic(true)
                .text("Clip at"),
        );
        dragging |= r.dragged();
        config.clip = clip.then_some(c);
    });
    let start = slot.setup.start.clone();
    let mut new_start = start.clone();
    ui.horizontal(|ui| {
        ui.label("Start");
        let names = app.objective().info().param_names.clone();
        for (v, name) in new_start.iter_mut().zip(&names) {
            ui.add(
                egui::DragValue::new(v)
                    .speed(0.01)
                    .prefix(format!("{name} = ")),
            )
            .on_hover_text(format!("Start {name}"));
        }
    });
    app.sim.preview = app.sim.preview || dragging;
    if config != before {
        if let Err(e) = config.validate() {
            app.notice = Some(Notice::Error(e.to_string()));
        } else {
            app.set_optimizer(config);
        }
    }
    if new_start != start && new_start.iter().all(|v| v.is_finite()) {
        app.set_start(new_start);
    }
}

fn runs_ui(app: &mut DescentApp, ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        ui.strong(format!("Runs ({})", app.sim.slots().len()));
        if ui.button("Clear runs").clicked() {
            app.sim.clear();
        }
    });
    ui.label(
        RichText::new("Click the plot to move the selected run's start; Shift+click adds a run.")
            .small(),
    );
    selected_status_ui(app, ui);
    run_list_ui(app, ui);
    match &app.notice {
        Some(Notice::Error(text)) => {
            ui.label(RichText::new(text.as_str()).color(WARNING_COLOR));
        }
        Some(Notice::Info(text)) => {
            ui.label(RichText::new(text.as_str()).color(Color32::from_rgb(120, 200, 120)));
        }
        None => {}
    }
}

const WARNING_COLOR: Color32 = Color32::from_rgb(255, 110, 90);

/// The stop reason as the status shows it, e.g. `left the domain at 1`.
fn status_text(slot: &super::simulation::RunSlot, shown: usize) -> String {
    match slot.shown_stop(shown) {
        Some(StopReason::MaxIterations) => "max iterations".to_string(),
        Some(reason) => format!(
            "{} at {}",
            reason.phrase(),
            slot.run.stopped_at().unwrap_or(shown)
        ),
        None => "running".to_string(),
    }
}

/// The selected run in full: iteration, point, f, |grad f|, how it ended, and a hint when it
/// diverged or left the domain.
fn selected_status_ui(app: &DescentApp, ui: &mut egui::Ui) {
    let Some(slot) = app.sim.selected_slot() else {
        return;
    };
    let shown = app.sim.shown();
    let path = slot.run.path();
    let k = slot.shown_index(shown);
    ui.label(
        RichText::new(format!(
            "Run {}: iteration {k} of {}, {}\n({}) = {}\nf = {}   |grad f| = {}",
            app.sim.selected + 1,
            slot.run.spec().max_iters,
            status_text(slot, shown),
            app.objective().info().param_names.join(", "),
            fmt_point(path.point(k)),
            fmt_num(path.values()[k]),
            fmt_num(path.grad_norms()[k]),
        ))
        .small()
        .monospace(),
    );
    match slot.shown_stop(shown) {
        Some(StopReason::Diverged) => {
            let hint = match slot.stable_lr_bound() {
                Some(bound) => format!(
                    "Diverged: the learning rate is too large here. Try lr < 2/L = {} (L = {}, the largest curvature at the start).",
                    fmt_num(bound),
                    fmt_num(2.0 / bound)
                ),
                None => "Diverged: the function curves downwards at the start, so no learning rate is safe there; try another start.".to_string(),
            };
            ui.label(RichText::new(hint).color(WARNING_COLOR).strong());
        }
        Some(StopReason::LeftDomain) => {
            ui.label(
                RichText::new(format!(
                    "The next step left the domain ({}). Try a smaller learning rate or another start.",
                    app.objective().info().domain
                ))
                .color(Color32::from_rgb(255, 170, 60)),
            );
        }
        Some(StopReason::SingularHessian) => {
            ui.label(
                RichText::new("Newton's method met a singular Hessian (a flat direction): try gradient descent here.")
                    .color(Color32::from_rgb(255, 170, 60)),
            );
        }
        _ => {}
    }
}

/// One line per run, laid out only for the rows in view, so a hundred runs stay cheap.
fn run_list_ui(app: &mut DescentApp, ui: &mut egui::Ui) {
    let shown = app.sim.shown();
    let mut select = None;
    let mut remove = None;
    let row_height = ui.spacing().interact_size.y + 2.0;
    let n = app.sim.slots().len();
    let in_lab = app.in_lab();
    egui::ScrollArea::vertical()
        .id_salt("runs")
        .max_height(8.0 * row_height)
        .auto_shrink([false, true])
        .show_rows(ui, row_height, n, |ui, rows| {
            for i in rows {
                let slot = &app.sim.slots()[i];
                ui.horizontal(|ui| {
                    color_dot(ui, run_color(slot.setup.color));
                    let mode = match (in_lab, slot.setup.batch) {
                        (false, _) => String::new(),
                        (true, None) => ", batch".to_string(),
                        (true, Some(1)) => ", SGD".to_string(),
                        (true, Some(b)) => format!(", mini-batch {b}"),
                    };
                    let title = format!(
                        "Run {}: {}, lr {}{mode}",
                        i + 1,
                        slot.setup.optimizer.kind.label(),
                        fmt_num(slot.setup.optimizer.lr)
                    );
                    if ui.selectable_label(i == app.sim.selected, title).clicked() {
                        select = Some(i);
                    }
                    let stop = slot.shown_stop(shown);
                    let status = RichText::new(status_text(slot, shown)).small();
                    ui.label(match stop {
                        Some(
                            StopReason::Diverged
                            | StopReason::LeftDomain
                            | StopReason::SingularHessian,
                        ) => status.color(WARNING_COLOR),
                        _ => status,
                    });
                    if ui
                        .small_button("Remove")
                        .on_hover_text(format!("Remove run {}", i + 1))
                        .clicked()
                    {
                        remove = Some(i);
                    }
                });
            }
        });
    if let Some(i) = select {
        app.sim.selected = i;
        app.settings.optimizer = app.sim.slots()[i].setup.optimizer;
    }
    if let Some(i) = remove {
        app.sim.remove_run(i);
    }
}

fn display_ui(app: &mut DescentApp, ui: &mut egui::Ui) {
    if app.objective().dim() != 2 {
        return;
    }
    ui.strong("Display");
    let settings = &mut app.settings;
    ui.horizontal(|ui| {
        let label = ui.label("Colormap");
        egui::ComboBox::from_id_salt("colormap")
            .selected_text(settings.colormap.label())
            .show_ui(ui, |ui| {
                for c in Colormap::ALL {
                    ui.selectable_value(&mut settings.colormap, c, c.label());
                }
            })
            .response
            .labelled_by(label.id);
    });
    ui.checkbox(&mut settings.log_color, "Log color scale");
    ui.horizontal(|ui| {
        ui.checkbox(&mut settings.show_contours, "Contours");
        ui.add_enabled(
            settings.show_contours,
            Slider::new(&mut settings.contour_count, 1..=40).text("Contour lines"),
        );
    });
    ui.horizontal(|ui| {
        ui.checkbox(&mut settings.show_quiver, "Arrows of -grad f");
        ui.add_enabled(
            settings.show_quiver,
            Slider::new(&mut settings.quiver_density, 4..=50).text("Arrow density"),
        );
    });
}

/// A small filled circle in a run's color.
fn color_dot(ui: &mut egui::Ui, color: Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 5.0, color);
}
