//! The side panel: function, playback, optimizer, runs, status and display. It reads the
//! model and returns actions; it never changes the state itself.

use std::cell::RefCell;
use std::ops::RangeInclusive;

use egui::{Color32, RichText, Slider, SliderClamping};

use super::action::Action;
use super::field::Colormap;
use super::help::Explain;
use super::model::{MAX_RUNS, Model, Notice};
use super::settings::{FIRST_FORMULA, MAX_UI_ITERATIONS};
use super::simulation::{Curvature, Progress, RunSlot, Speed};
use super::{run_color, run_name};
use crate::engine::expr::Expr;
use crate::engine::format::{human, point};
use crate::engine::objective::MAX_VIEW;
use crate::engine::optimizer::OptimizerConfig;
use crate::engine::{
    FunctionSpec, GradientNoise, Interval, Objective, OptimizerKind, PresetKind, ScheduleKind,
    StopReason,
};

/// Draws every control (each has an accessible label) and pushes what the user changed.
/// Returns whether a slider that changes the runs is being dragged (the preview).
/// `shown_z` is the f range the 3-D view shows, where a typed range starts from.
#[allow(clippy::too_many_arguments)]
pub fn controls_ui(
    model: &Model,
    progress: &Progress,
    loading: bool,
    shown_z: Option<Interval>,
    race: Option<(&mut super::race::RacePanel, super::jobs::Runner)>,
    ui: &mut egui::Ui,
    actions: &mut Vec<Action>,
) -> bool {
    ui.spacing_mut().slider_width = 150.0;
    let mut dragging = false;
    function_ui(model, ui, actions);
    ui.separator();
    if model.in_lab() {
        super::lab::lab_controls_ui(model, loading, ui, actions);
        ui.separator();
    }
    dragging |= playback_ui(model, progress, ui, actions);
    ui.separator();
    dragging |= optimizer_ui(model, ui, actions);
    ui.separator();
    runs_ui(model, ui, actions);
    // The race makes runs: it sits with them.
    if let Some((race, runner)) = race {
        race.ui(model, runner, ui, actions);
    }
    ui.separator();
    display_ui(model, shown_z, ui, actions);
    dragging
}

/// The functions the picker offers: every curve and surface, and the regression lab.
pub fn picker_functions(model: &Model) -> Vec<FunctionSpec> {
    PresetKind::ALL
        .into_iter()
        .filter(|kind| kind.dim(None) <= 2)
        .map(FunctionSpec::preset)
        .chain([model.settings.lab_function()])
        .collect()
}

/// What the user picked in the function menu.
enum Pick {
    Spec(FunctionSpec),
    Yours,
    Saved(usize),
}

fn function_ui(model: &Model, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
    let current = &model.settings.function;
    let typed = matches!(current, FunctionSpec::Formula(_));
    let saved_shown = model.saved_shown();
    let shown = match saved_shown {
        Some(i) => model.settings.saved[i].name.clone(),
        None if typed => YOURS.to_string(),
        None => current.name().to_string(),
    };
    let mut pick = None;
    ui.horizontal(|ui| {
        let label = ui.label("Function");
        egui::ComboBox::from_id_salt("function")
            .selected_text(shown)
            .width(180.0)
            .height(600.0)
            .show_ui(ui, |ui| {
                for spec in picker_functions(model) {
                    let on = !typed && spec.name() == current.name();
                    let tip = match &spec {
                        FunctionSpec::Preset { .. } => spec
                            .build()
                            .map(|f| format!("f = {}", f.objective.info().formula))
                            .unwrap_or_default(),
                        _ => "The loss of a straight line y = w0 + w1 x fitted to noisy points: the regression lab".to_string(),
                    };
                    if ui.selectable_label(on, spec.name()).explain(tip).clicked() {
                        pick = Some(Pick::Spec(spec));
                    }
                }
                ui.separator();
                let yours = typed && saved_shown.is_none();
                if ui
                    .selectable_label(yours, YOURS)
                    .explain("type f(x, y), or f(x) for a curve")
                    .clicked()
                {
                    pick = Some(Pick::Yours);
                }
                for (i, saved) in model.settings.saved.iter().enumerate() {
                    if ui
                        .selectable_label(saved_shown == Some(i), &saved.name)
                        .explain(&saved.formula)
                        .clicked()
                    {
                        pick = Some(Pick::Saved(i));
                    }
                }
            })
            .response
            .explain("The function to descend: a preset, your own formula, or the loss of a straight line fitted to points (regression)")
            .labelled_by(label.id);
    });
    match pick {
        Some(Pick::Spec(spec)) if spec != *current || typed => {
            actions.push(Action::SetFunction(spec))
        }
        Some(Pick::Yours) if !typed || saved_shown.is_some() => {
            actions.push(Action::EditFormula(first_formula(model)))
        }
        Some(Pick::Saved(i)) => actions.push(Action::OpenSaved(i)),
        _ => {}
    }
    if typed {
        formula_ui(model, ui, actions);
        return;
    }
    let info = model.objective().info();
    ui.label(
        RichText::new(format!("f = {}", info.formula))
            .monospace()
            .small(),
    );
    if info.domain != "all real numbers" {
        ui.label(RichText::new(format!("domain: {}", info.domain)).small());
    }
}

/// What the menu calls a typed function.
const YOURS: &str = "Your function...";

/// The formula "Your function..." opens with: the last one typed if it reads, else the
/// function on screen if it can be typed, else a first example.
fn first_formula(model: &Model) -> String {
    // The lab's loss is not a formula of x and y: only the last typed one counts there.
    let on_screen = (!model.in_lab()).then(|| model.objective().info().formula.clone());
    std::iter::once(model.settings.formula.clone())
        .chain(on_screen)
        .find(|text| Expr::parse(text).is_ok())
        .unwrap_or_else(|| FIRST_FORMULA.to_string())
}

/// The formula field with its error, and keeping the function under a name.
fn formula_ui(model: &Model, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
    let mut text = model.settings.formula.clone();
    ui.horizontal(|ui| {
        let label = ui.label(RichText::new("f(x, y) =").monospace());
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut text)
                    .font(egui::TextStyle::Monospace)
                    .hint_text("e.g. x^2 + 3*y^2, or sin(x) for a curve")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id)
            .explain(
                "+ - * / ^ (or **), parentheses, x and y; sin cos tan asin acos atan atan2 sinh \
                 cosh tanh exp ln log log10 log2 sqrt cbrt abs min max; pi and e",
            );
        if field.changed() {
            actions.push(Action::EditFormula(text.clone()));
        }
    });
    match &model.formula_error {
        Some(error) => {
            let red = ui.visuals().error_fg_color;
            let (excerpt, caret) = excerpt_with_caret(&model.settings.formula, error.position);
            ui.add(
                egui::Label::new(
                    RichText::new(format!("{excerpt}\n{caret}"))
                        .monospace()
                        .color(red),
                )
                .wrap_mode(egui::TextWrapMode::Extend),
            );
            ui.label(
                RichText::new(format!(
                    "{} (character {})",
                    error.message,
                    error.position + 1
                ))
                .color(red),
            );
            ui.label(
                RichText::new(format!(
                    "showing the last valid function: f = {}",
                    model.objective().info().formula
                ))
                .small()
                .weak(),
            );
        }
        None => {
            let curve = model.objective().dim() == 1;
            let note = if curve {
                "uses only x: a curve f(x)"
            } else {
                "a surface f(x, y)"
            };
            ui.label(RichText::new(note).small().weak());
        }
    }
    saved_ui(model, ui, actions);
}

/// The part of `formula` around character `position` that fits a line, and a caret line
/// under that character.
fn excerpt_with_caret(formula: &str, position: usize) -> (String, String) {
    const BEFORE: usize = 30;
    const AFTER: usize = 14;
    let chars: Vec<char> = formula.chars().collect();
    let from = position.saturating_sub(BEFORE);
    let to = (position + AFTER).min(chars.len());
    let mut excerpt: String = chars[from..to].iter().collect();
    let mut column = position - from;
    if from > 0 {
        excerpt.insert(0, '…');
        column += 1;
    }
    if to < chars.len() {
        excerpt.push('…');
    }
    (excerpt, format!("{}^", " ".repeat(column)))
}

/// Keeping the typed function under a name, and the list of kept ones.
fn saved_ui(model: &Model, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
    let id = ui.make_persistent_id("save_name");
    let shown = model.saved_shown();
    let mut name: String = ui
        .data_mut(|d| d.get_temp::<String>(id))
        .or_else(|| shown.map(|i| model.settings.saved[i].name.clone()))
        .unwrap_or_default();
    ui.horizontal(|ui| {
        let label = ui.label("Name");
        ui.add(
            egui::TextEdit::singleline(&mut name)
                .hint_text("e.g. my bowl")
                .desired_width(150.0),
        )
        .labelled_by(label.id)
        .explain("The name the function menu will list it under");
        let can_save = model.formula_error.is_none() && !name.trim().is_empty();
        if ui
            .add_enabled(can_save, egui::Button::new("Save function"))
            .explain("keep it in the function menu (a name already used is replaced)")
            .clicked()
        {
            actions.push(Action::SaveFunction(name.clone()));
        }
    });
    ui.data_mut(|d| d.insert_temp(id, name));
    let saved = &model.settings.saved;
    if saved.is_empty() {
        return;
    }
    egui::CollapsingHeader::new(format!("Your functions ({})", saved.len()))
        .id_salt("saved_functions")
        .show(ui, |ui| {
            for (i, function) in saved.iter().enumerate() {
                ui.horizontal(|ui| {
                    let mut name = function.name.clone();
                    if ui
                        .add(egui::TextEdit::singleline(&mut name).desired_width(110.0))
                        .explain(format!("f = {}", function.formula))
                        .changed()
                    {
                        actions.push(Action::RenameSaved(i, name));
                    }
                    if ui
                        .add_enabled(shown != Some(i), egui::Button::new("Open"))
                        .explain("Show this function")
                        .clicked()
                    {
                        actions.push(Action::OpenSaved(i));
                    }
                    if ui
                        .button("Remove")
                        .explain("Forget this function (Ctrl+Z brings it back)")
                        .clicked()
                    {
                        actions.push(Action::RemoveSaved(i));
                    }
                    ui.label(RichText::new(&function.formula).monospace().small().weak());
                });
            }
        });
}

fn playback_ui(
    model: &Model,
    progress: &Progress,
    ui: &mut egui::Ui,
    actions: &mut Vec<Action>,
) -> bool {
    let sim = &model.sim;
    ui.horizontal(|ui| {
        let play = if sim.playing { "Pause" } else { "Play" };
        if ui
            .button(play)
            .explain("Play or pause the animation of every run (Space)")
            .clicked()
        {
            actions.push(Action::TogglePlay);
        }
        if ui
            .button("Step")
            .explain("Pause and show one more iteration (Right arrow)")
            .clicked()
        {
            actions.push(Action::Step);
        }
        if ui
            .button("Reset")
            .explain("Replay every run from iteration 0 (R)")
            .clicked()
        {
            actions.push(Action::Reset);
        }
    });

    let mut instant = sim.speed == Speed::Instant;
    let mut rate = match (sim.speed, model.settings.speed) {
        (Speed::PerSecond(r), _) | (Speed::Instant, Speed::PerSecond(r)) => r,
        (Speed::Instant, Speed::Instant) => 10.0,
    };
    let mut speed_changed = false;
    ui.horizontal(|ui| {
        speed_changed |= ui
            .add_enabled(
                !instant,
                Slider::new(&mut rate, 1.0..=1000.0)
                    .typed_whole(1.0..=1000.0)
                    .logarithmic(true)
                    .integer()
                    .suffix(" it/s")
                    .text("Speed"),
            )
            .explain("How many iterations the animation shows per second")
            .changed();
        speed_changed |= ui
            .checkbox(&mut instant, "Instant")
            .explain("No animation: every run jumps to its last iteration")
            .changed();
    });
    if speed_changed {
        actions.push(Action::SetSpeed(if instant {
            Speed::Instant
        } else {
            Speed::PerSecond(rate)
        }));
    }

    let end = sim.timeline_end();
    let mut k = sim.shown();
    let scrub = ui
        .add(
            Slider::new(&mut k, 0..=end.max(1))
                .typed_whole(0.0..=end.max(1) as f64)
                .text("Iteration")
                .clamping(SliderClamping::Always),
        )
        .explain("The iteration every view shows: drag to scrub back and forth through the runs");
    if scrub.changed() {
        actions.push(Action::ScrubTo(k));
    }
    if !progress.is_complete() {
        ui.add(
            egui::ProgressBar::new(progress.fraction())
                .show_percentage()
                .text(format!(
                    "computing {} of {} iterations",
                    progress.done, progress.needed
                )),
        );
    }

    if model.in_lab() {
        // The lab counts epochs (its own control); iterations follow from them.
        return false;
    }
    let mut iterations = model.settings.iterations;
    let it = ui
        .add(
            Slider::new(&mut iterations, 1..=10_000)
                .typed_whole(1.0..=MAX_UI_ITERATIONS as f64)
                .logarithmic(true)
                .clamping(SliderClamping::Never)
                .text("Iterations"),
        )
        .explain(format!(
            "How many steps each run takes at most (up to {MAX_UI_ITERATIONS} when typed)"
        ));
    if it.changed() {
        actions.push(Action::SetIterations(iterations));
    }
    let mut enabled = model.settings.use_tolerance;
    let mut tol = model.settings.tolerance;
    let mut tol_changed = false;
    ui.horizontal(|ui| {
        tol_changed |= ui
            .checkbox(&mut enabled, "Stop at |grad f| <")
            .explain(TOLERANCE)
            .changed();
        tol_changed |= ui
            .add_enabled(
                enabled,
                Slider::new(&mut tol, 1e-12..=1.0)
                    .typed_in(1e-12..=1.0)
                    .logarithmic(true)
                    .custom_formatter(|v, _| format!("{v:.0e}"))
                    .text("Tolerance"),
            )
            .explain(TOLERANCE)
            .changed();
    });
    if tol_changed {
        actions.push(Action::SetTolerance { enabled, tol });
    }
    it.dragged()
}

fn optimizer_ui(model: &Model, ui: &mut egui::Ui, actions: &mut Vec<Action>) -> bool {
    let Some(slot) = model.sim.selected_slot() else {
        ui.label("No run: click the plot to start one.");
        return false;
    };
    let color = run_color(slot.setup.color);
    ui.horizontal(|ui| {
        color_dot(ui, color);
        ui.strong(format!("Run {} settings", model.sim.selected + 1));
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
                    ui.selectable_value(&mut config.kind, kind, kind.label())
                        .explain(format!(
                            "{}\n{}",
                            super::help::optimizer_idea(kind),
                            kind.rule()
                        ));
                }
            })
            .response
            .explain(format!(
                "{}\n{}",
                super::help::optimizer_idea(config.kind),
                config.kind.rule()
            ))
            .labelled_by(label.id);
    });
    ui.label(RichText::new(config.kind.rule()).small().weak());
    let lr = ui.add(
        Slider::new(&mut config.lr, 1e-5..=10.0).typed()
            .logarithmic(true)
            .clamping(SliderClamping::Never)
            .custom_formatter(|v, _| human(v))
            .text("Learning rate"),
    )
    .explain(
        "The step size lr: each step moves lr times the gradient. Too small crawls; too large zig-zags or blows up (on a bowl, beyond 2/L, L its largest curvature).",
    );
    dragging |= lr.dragged();
    for spec in config.kind.hyperparameters() {
        let mut value = config.get(spec.flag).unwrap_or(spec.default);
        let (lo, hi) = spec.range;
        // Typed values beyond the slider's ends reach the optimizer's own check.
        let mut slider = Slider::new(&mut value, lo..=hi)
            .typed()
            .clamping(SliderClamping::Never)
            .text(spec.name);
        if spec.log {
            slider = slider
                .logarithmic(true)
                .custom_formatter(|v, _| format!("{v:.0e}"));
        } else {
            // 0.9999999999 is not shown as 1.000, which would look like the refused 1.
            slider = slider.custom_formatter(|v, decimals| {
                let shown = format!("{v:.*}", *decimals.start());
                if shown.parse::<f64>() == Ok(v) {
                    shown
                } else {
                    format!("{v}")
                }
            });
        }
        let response = ui.add(slider).explain(format!(
            "{} ({}), default {}. {}",
            spec.name,
            spec.label,
            human(spec.default),
            super::help::hyperparameter_idea(spec.flag)
        ));
        if response.changed() {
            config.set(spec.flag, value);
        }
        dragging |= response.dragged();
    }
    if config.kind.reads_amsgrad() {
        ui.checkbox(&mut config.amsgrad, "AMSGrad").explain(
            "Divide by the largest second moment so far, so the step size never grows back",
        );
    }
    dragging |= schedule_ui(&mut config, ui);
    ui.horizontal(|ui| {
        let mut noisy = config.noise.is_some();
        let mut noise = config.noise.unwrap_or(GradientNoise {
            sigma: 0.1,
            seed: 0,
        });
        ui.checkbox(&mut noisy, "Gradient noise")
            .explain("Add seeded Gaussian noise to every gradient: stochastic descent wanders around the minimum");
        let r = ui.add_enabled(
            noisy,
            Slider::new(&mut noise.sigma, 1e-3..=100.0).typed()
                .clamping(SliderClamping::Never)
                .logarithmic(true)
                .custom_formatter(|v, _| human(v))
                .text("sigma"),
        )
        .explain("The noise's standard deviation, added to each component of the gradient");
        dragging |= r.dragged();
        ui.add_enabled(noisy, egui::DragValue::new(&mut noise.seed).typed_whole(0.0..=MAX_SEED).prefix("seed "))
            .explain("The noise's seed: the same seed gives the same noisy run");
        config.noise = noisy.then_some(noise);
    });
    ui.horizontal(|ui| {
        let mut clip = config.clip.is_some();
        let mut c = config.clip.unwrap_or(1.0);
        ui.checkbox(&mut clip, "Clip gradient").explain(CLIPPING);
        let r = ui
            .add_enabled(
                clip,
                Slider::new(&mut c, 1e-3..=1e4)
                    .typed()
                    .clamping(SliderClamping::Never)
                    .logarithmic(true)
                    .text("Clip at"),
            )
            .explain(CLIPPING);
        dragging |= r.dragged();
        config.clip = clip.then_some(c);
    });
    let start = slot.setup.start.clone();
    let mut new_start = start.clone();
    ui.horizontal(|ui| {
        ui.label("Start");
        let names = &model.objective().info().param_names;
        for (v, name) in new_start.iter_mut().zip(names) {
            ui.add(
                egui::DragValue::new(v)
                    .typed()
                    .speed(0.01)
                    // Two decimals unless it needs more: 1e-300 is not shown as 0.00.
                    .custom_formatter(|v, decimals| {
                        let fixed = format!("{v:.*}", decimals.start().max(&2));
                        if v != 0.0
                            && fixed
                                .trim_start_matches('-')
                                .trim_matches(['0', '.'])
                                .is_empty()
                        {
                            crate::engine::format::human(v)
                        } else {
                            fixed
                        }
                    })
                    .prefix(format!("{name} = ")),
            )
            .explain(format!(
                "Where the run starts: {name} (or click the plot). Drag or type a number."
            ));
        }
    });
    if config != before {
        actions.push(Action::SetOptimizer(config));
    }
    if new_start != start && new_start.iter().all(|v| v.is_finite()) {
        actions.push(Action::SetStart(new_start));
    }
    dragging
}

/// The learning-rate schedule of the run: kind, its parameters, warm-up, and a small chart of
/// the rate against the step. Returns whether a slider is being dragged.
fn schedule_ui(config: &mut OptimizerConfig, ui: &mut egui::Ui) -> bool {
    let mut dragging = false;
    let schedule = &mut config.schedule;
    ui.horizontal(|ui| {
        let label = ui.label("Schedule");
        egui::ComboBox::from_id_salt("schedule")
            .selected_text(schedule.kind.name())
            .show_ui(ui, |ui| {
                for kind in ScheduleKind::ALL {
                    ui.selectable_value(&mut schedule.kind, kind, kind.name())
                        .explain(kind.formula());
                }
            })
            .response
            .explain("How the learning rate changes with the step k (PyTorch's schedulers)")
            .labelled_by(label.id);
    });
    match schedule.kind {
        ScheduleKind::Constant => {}
        ScheduleKind::Step | ScheduleKind::Exponential => {
            if schedule.kind == ScheduleKind::Step {
                let r = ui
                    .add(
                        Slider::new(&mut schedule.step_size, 1..=1000)
                            .typed_whole(1.0..=MAX_UI_ITERATIONS as f64)
                            .clamping(SliderClamping::Never)
                            .logarithmic(true)
                            .text("Step size"),
                    )
                    .explain("Every this many steps the rate is multiplied by gamma");
                dragging |= r.dragged();
            }
            let mut gamma = schedule.gamma();
            let r = ui
                .add(
                    Slider::new(&mut gamma, 0.01..=1.0)
                        .typed()
                        .clamping(SliderClamping::Never)
                        .text("Gamma"),
                )
                .explain("The factor the rate is multiplied by (each step size, or every step)");
            if r.changed() {
                schedule.gamma = Some(gamma);
            }
            dragging |= r.dragged();
        }
        ScheduleKind::Cosine => {
            let r = ui.add(
                Slider::new(&mut schedule.t_max, 1..=10_000)
                    .typed_whole(1.0..=MAX_UI_ITERATIONS as f64)
                    .clamping(SliderClamping::Never)
                    .logarithmic(true)
                    .text("t_max"),
            )
            .explain("The cosine schedule's period: the rate falls from lr to eta_min over t_max steps");
            dragging |= r.dragged();
            let r = ui
                .add(
                    Slider::new(&mut schedule.eta_min, 0.0..=config.lr.max(1e-12))
                        .typed()
                        .clamping(SliderClamping::Never)
                        .custom_formatter(|v, _| human(v))
                        .text("eta_min"),
                )
                .explain("The smallest rate the cosine schedule reaches");
            dragging |= r.dragged();
        }
    }
    let r = ui
        .add(
            Slider::new(&mut schedule.warmup, 0..=1000)
                .typed_whole(0.0..=MAX_UI_ITERATIONS as f64)
                .clamping(SliderClamping::Never)
                .logarithmic(true)
                .text("Warm-up steps"),
        )
        .explain("Warm-up: start with small steps and grow to the full rate, multiplying it by min(1, (k + 1) / warm-up); it keeps the first, noisiest steps from throwing the run away");
    dragging |= r.dragged();
    if !schedule.is_constant() {
        let (schedule, lr) = (*schedule, config.lr);
        let points: egui_plot::PlotPoints<'_> = (0..200u64)
            .map(|k| [k as f64, schedule.lr(lr, k)])
            .collect();
        egui_plot::Plot::new("schedule_chart")
            .height(70.0)
            .allow_drag(false)
            .allow_zoom(false)
            .allow_scroll(false)
            .x_axis_label("step k")
            .show_axes([true, false])
            .show(ui, |plot_ui| {
                plot_ui.line(egui_plot::Line::new("lr", points));
            })
            .response
            .explain(format!(
                "learning rate of the first 200 steps: {}",
                schedule.describe()
            ));
    }
    dragging
}

fn runs_ui(model: &Model, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        ui.strong(format!(
            "Runs ({} of at most {MAX_RUNS})",
            model.sim.slots().len()
        ));
        if ui
            .button("Clear runs")
            .explain("Remove every run (Ctrl+Z brings them back)")
            .clicked()
        {
            actions.push(Action::ClearRuns);
        }
    });
    ui.label(
        RichText::new("Click the plot to move the selected run's start; Shift+click adds a run.")
            .small(),
    );
    if !model.in_lab() {
        scatter_ui(model, ui, actions);
    }
    selected_status_ui(model, ui);
    run_list_ui(model, ui, actions);
    let notice = match &model.notice {
        Some(Notice::Error(text)) => {
            Some(RichText::new(text.as_str()).color(themed(ui, WARNING, (190, 40, 20))))
        }
        Some(Notice::Info(text)) => {
            Some(RichText::new(text.as_str()).color(themed(ui, (120, 200, 120), (25, 120, 40))))
        }
        None => None,
    };
    if let Some(text) = notice {
        let shown = ui.label(text.clone());
        // Scrolled out of the panel (the lab's long controls, a field far below): the
        // notice is also shown over the panel's foot, where it is seen.
        if !ui.is_rect_visible(shown.rect) {
            let panel = ui.clip_rect();
            egui::Area::new(egui::Id::unique("notice_in_view"))
                .order(egui::Order::Foreground)
                .fixed_pos(egui::pos2(panel.left(), panel.bottom()))
                .pivot(egui::Align2::LEFT_BOTTOM)
                .interactable(false)
                .show(ui.ctx(), |ui| {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.set_max_width(panel.width() - 16.0);
                        ui.label(text);
                    });
                });
        }
    }
}

/// The tooltip of the tolerance.
const TOLERANCE: &str = "Tolerance: stop a run once |grad f| is this small. At a minimum the gradient is 0, so a tiny gradient means the run has (nearly) arrived.";

/// The tooltip of gradient clipping.
const CLIPPING: &str = "Gradient clipping: a gradient longer than this is scaled down to this length, so one steep spot cannot throw the run far away.";

/// The warnings' red on a dark background.
const WARNING: (u8, u8, u8) = (255, 110, 90);

/// A text color for the theme: `dark` on a dark background, `light` on a light one.
fn themed(ui: &egui::Ui, dark: (u8, u8, u8), light: (u8, u8, u8)) -> Color32 {
    let (r, g, b) = if ui.visuals().dark_mode { dark } else { light };
    Color32::from_rgb(r, g, b)
}

/// "Scatter N starts": a swarm of runs from seeded uniform starts in the view. The count and
/// seed are the view's own state; the seed moves on after each scatter.
fn scatter_ui(model: &Model, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
    let id = ui.make_persistent_id("scatter_starts");
    let (mut count, mut seed): (usize, u64) = ui.data(|d| d.get_temp(id)).unwrap_or((100, 0));
    ui.horizontal(|ui| {
        let room = MAX_RUNS.saturating_sub(model.sim.slots().len());
        let clicked = ui
            .add_enabled(room > 0, egui::Button::new("Scatter"))
            .explain(
                "Add runs from starts drawn uniformly in the view, each with the selected run's settings, to watch a cloud descend and split between the minima",
            )
            .clicked();
        ui.add(
            egui::DragValue::new(&mut count)
                .typed_whole(1.0..=MAX_RUNS as f64)
                .range(1..=MAX_RUNS)
                .suffix(" starts"),
        )
        .explain("How many starts Scatter adds");
        ui.add(
            egui::DragValue::new(&mut seed)
                .typed_whole(0.0..=MAX_SEED)
                .prefix("seed "),
        )
            .explain("The seed of the starts: the same seed scatters the same starts");
        if clicked {
            actions.push(Action::Scatter { count, seed });
            seed = seed.wrapping_add(1);
        }
    });
    ui.data_mut(|d| d.insert_temp(id, (count, seed)));
}

/// The stop reason as the status shows it, e.g. `left the domain at 1`.
fn status_text(slot: &RunSlot, shown: usize) -> String {
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

/// A number field that takes what is typed only as a whole: on Enter or when the field is
/// left (not at each keystroke, so `0.3` never passes through `0`), and only a number
/// [`read_entry`] takes (`nan` is not clamped to an end of the range). What it refuses is
/// said by the next notice ([`take_refusal`]) and the field keeps its value.
pub trait Typed: Sized {
    /// The field reading its text by `rule`.
    fn entry(self, rule: Entry) -> Self;

    /// Takes any finite number of f64's normal range.
    fn typed(self) -> Self {
        self.entry(Entry::default())
    }

    /// Takes a number of `range` (egui would clamp it silently).
    fn typed_in(self, range: RangeInclusive<f64>) -> Self {
        self.entry(Entry {
            whole: false,
            range: Some(range),
        })
    }

    /// Takes a whole number of `range` (egui would round and clamp it silently).
    fn typed_whole(self, range: RangeInclusive<f64>) -> Self {
        self.entry(Entry {
            whole: true,
            range: Some(range),
        })
    }
}

impl Typed for egui::DragValue<'_> {
    fn entry(self, rule: Entry) -> Self {
        self.update_while_editing(false)
            .custom_parser(move |text| rule.take(text))
    }
}

impl Typed for Slider<'_> {
    fn entry(self, rule: Entry) -> Self {
        self.update_while_editing(false)
            .custom_parser(move |text| rule.take(text))
    }
}

/// What a number field takes: a finite number of f64's normal range, whole if `whole`,
/// within `range` if given.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    /// Only whole numbers (a count, a seed).
    pub whole: bool,
    /// The numbers the field takes, ends included.
    pub range: Option<RangeInclusive<f64>>,
}

impl Entry {
    /// The number `text` if the field takes it; otherwise `None`, and the reason is kept
    /// for [`take_refusal`].
    fn take(&self, text: &str) -> Option<f64> {
        read_entry(text, self)
            .map_err(|reason| {
                if !reason.is_empty() {
                    REFUSAL.with(|r| *r.borrow_mut() = Some(reason));
                }
            })
            .ok()
    }
}

/// The largest seed a field takes: every whole number up to it is exact in f64 (2^53).
pub const MAX_SEED: f64 = 9_007_199_254_740_992.0;

thread_local! {
    /// Why a number field last refused what was typed, until the frame's end says it.
    /// egui calls a field's parser in the middle of drawing it, with no way to answer
    /// but `None`; the app's frame turns the reason into a notice.
    static REFUSAL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Why a number field refused its text since the last call, if it did.
pub fn take_refusal() -> Option<String> {
    REFUSAL.with(|r| r.borrow_mut().take())
}

/// Reads a number typed into a field as egui does (spaces ignored, a Unicode minus read as
/// -), but only a finite one of f64's normal range, and only one `rule` takes: `nan`,
/// `inf`, `1e-310`, `2.5` in a count or `0` in a field from 1 are refused with the reason
/// (clamping or rounding them would set another value without a word). An empty field is
/// refused without one: it just goes back to its value.
pub fn read_entry(text: &str, rule: &Entry) -> Result<f64, String> {
    let typed: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == '\u{2212}' { '-' } else { c })
        .collect();
    let shown = crate::engine::format::one_line(text.trim());
    let keeps = "the field keeps its value";
    let value = match typed.parse::<f64>() {
        Ok(v) => v,
        Err(_) if typed.is_empty() => return Err(String::new()),
        Err(_) => {
            let hint = crate::engine::format::typing_hint(text);
            return Err(format!("\"{shown}\" is not a number{hint}; {keeps}"));
        }
    };
    if value.is_nan() || (value.is_infinite() && !crate::engine::format::overflows(&typed, value)) {
        return Err(format!("{shown} is not a finite number; {keeps}"));
    }
    if value.is_infinite() {
        return Err(format!(
            "{shown} is beyond the largest number (about 1.8e308); {keeps}"
        ));
    }
    if crate::engine::format::underflows(&typed, value) {
        return Err(format!(
            "{shown} {}; {keeps}",
            crate::engine::format::UNDERFLOW
        ));
    }
    if rule.whole && value.fract() != 0.0 {
        return Err(format!("{shown} is not a whole number; {keeps}"));
    }
    if let Some(range) = &rule.range {
        if value < *range.start() {
            return Err(format!(
                "{shown} is below {}, the least this field takes; {keeps}",
                human(*range.start())
            ));
        }
        if value > *range.end() {
            return Err(format!(
                "{shown} is above {}, the most this field takes; {keeps}",
                human(*range.end())
            ));
        }
    }
    Ok(value)
}

/// The hint shown when a run diverged: the stability bound 2/L where the largest curvature
/// L met along the path (inside the view, before it ran away) is positive and finite, the
/// escape along negative curvature on a saddle, or that the curvature overflowed.
pub fn divergence_hint(slot: &RunSlot, objective: &dyn Objective, view: &[Interval]) -> String {
    let (smallest_at_start, largest_at_start) = match slot.curvature_at_start {
        Curvature::Bounded { smallest, largest } => (smallest, largest),
        Curvature::Overflow => return "Diverged: the curvature at the start is too large to compute (the Hessian overflows); try a start closer to the minimum.".to_string(),
    };
    match largest_curvature_on_path(slot, objective, view) {
        Some(largest) if largest > 0.0 => {
            let mut hint = format!(
                "Diverged: the learning rate is too large here. Try lr < 2/L = {} (L = {}, the largest curvature on the path inside the view).",
                human(2.0 / largest),
                human(largest)
            );
            if largest_at_start < 0.0 {
                hint.push_str(" The start is near a maximum: f curves downwards all around it, and the first steps run away from it.");
            } else if smallest_at_start < 0.0 {
                hint.push_str(" The start is also a saddle region: f curves downwards along one direction, and descent escapes along it.");
            }
            hint
        }
        // A plane, or f linear along the path: the slope never shrinks.
        Some(largest) if largest.abs() < 1e-12 => "Diverged: where the path went inside the view, f does not curve (it is linear there), so the gradient never shrinks and every step goes as far as the last; f has no minimum in that direction, at any learning rate.".to_string(),
        _ => "Diverged: where the path went inside the view, f curves downwards in every direction, so no curvature holds the steps back; try a smaller learning rate or another start.".to_string(),
    }
}

/// The largest Hessian eigenvalue at the path's first iterates that lie in the view (at
/// most 256 of them), where it is finite.
fn largest_curvature_on_path(
    slot: &RunSlot,
    objective: &dyn Objective,
    view: &[Interval],
) -> Option<f64> {
    // The view as drawn: grown to hold the start, as the plots grow it (x^2 from 100).
    let start = &slot.setup.start;
    let view: Vec<Interval> = view
        .iter()
        .zip(start)
        .map(|(r, s)| {
            let margin = 0.08 * r.width();
            Interval::new(r.lo.min(s - margin), r.hi.max(s + margin))
        })
        .collect();
    let inside =
        |p: &[f64]| p.len() == view.len() && p.iter().zip(&view).all(|(v, r)| r.contains(*v));
    slot.run
        .path()
        .points()
        .take(256)
        .filter(|p| inside(p))
        .filter_map(|p| match Curvature::at(objective, p) {
            Curvature::Bounded { largest, .. } => Some(largest),
            Curvature::Overflow => None,
        })
        .reduce(f64::max)
}

/// The selected run in full: iteration, point, f, |grad f|, how it ended, and a hint when it
/// diverged or left the domain.
fn selected_status_ui(model: &Model, ui: &mut egui::Ui) {
    let Some(slot) = model.sim.selected_slot() else {
        return;
    };
    let shown = model.sim.shown();
    let path = slot.run.path();
    let k = path.index_of(slot.shown_index(shown));
    let mut text = format!(
        "Run {}: iteration {k} of {}, {}\n({}) = {}\nf = {}   |grad f| = {}",
        model.sim.selected + 1,
        slot.run.spec().max_iters,
        status_text(slot, shown),
        model.objective().info().param_names.join(", "),
        point(path.point(k)),
        human(path.value(k)),
        human(path.grad_norm(k)),
    );
    if path.stride() > 1 {
        text.push_str(&format!(
            "\npath thinned to every {}th iterate for drawing; the last is exact",
            path.stride()
        ));
    }
    ui.label(RichText::new(text).small().monospace());
    match slot.shown_stop(shown) {
        Some(StopReason::Diverged) => {
            ui.label(
                RichText::new(divergence_hint(
                    slot,
                    model.objective().as_ref(),
                    &model.view(),
                ))
                .color(themed(ui, WARNING, (190, 40, 20)))
                .strong(),
            );
        }
        Some(StopReason::LeftDomain) => {
            ui.label(
                RichText::new(format!(
                    "The next step left the domain ({}). Try a smaller learning rate or another start.",
                    model.objective().info().domain
                ))
                .color(themed(ui, (255, 170, 60), (175, 90, 0))),
            );
        }
        Some(StopReason::SingularHessian) => {
            ui.label(
                RichText::new("Newton's method met a singular Hessian (a flat direction): try gradient descent here.")
                    .color(themed(ui, (255, 170, 60), (175, 90, 0))),
            );
        }
        Some(StopReason::LineSearchFailed) => {
            ui.label(
                RichText::new("The line search halved its step 50 times without enough decrease: the run stopped rather than step uphill.")
                    .color(themed(ui, (255, 170, 60), (175, 90, 0))),
            );
        }
        _ => {}
    }
}

/// One line per run, laid out only for the rows in view, so a hundred runs stay cheap.
fn run_list_ui(model: &Model, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
    let shown = model.sim.shown();
    let row_height = ui.spacing().interact_size.y + 2.0;
    let n = model.sim.slots().len();
    let in_lab = model.in_lab();
    egui::ScrollArea::vertical()
        .id_salt("runs")
        .max_height(8.0 * row_height)
        .auto_shrink([false, true])
        .show_rows(ui, row_height, n, |ui, rows| {
            for i in rows {
                let slot = &model.sim.slots()[i];
                ui.horizontal(|ui| {
                    color_dot(ui, run_color(slot.setup.color));
                    let mode = match (in_lab, slot.setup.batch) {
                        (false, _) => String::new(),
                        (true, None) => ", batch".to_string(),
                        (true, Some(1)) => ", SGD".to_string(),
                        (true, Some(b)) => format!(", mini-batch {b}"),
                    };
                    let title = format!("{}{mode}", run_name(i, slot));
                    if ui
                        .selectable_label(i == model.sim.selected, title)
                        .explain("Select this run: the settings above, the charts and the step panel are its")
                        .clicked()
                    {
                        actions.push(Action::SelectRun(i));
                    }
                    let stop = slot.shown_stop(shown);
                    let status = RichText::new(status_text(slot, shown)).small();
                    ui.label(match stop {
                        Some(
                            StopReason::Diverged
                            | StopReason::LeftDomain
                            | StopReason::SingularHessian
                            | StopReason::LineSearchFailed,
                        ) => status.color(themed(ui, WARNING, (190, 40, 20))),
                        _ => status,
                    });
                    let remove = ui
                        .add(egui::Button::new("Remove").small())
                        .explain(format!("Remove run {}", i + 1));
                    // Each Remove button has its own accessible name.
                    let remove_label = format!("Remove run {}", i + 1);
                    remove.widget_info(|| {
                        egui::WidgetInfo::labeled(egui::Role::Button, true, &remove_label)
                    });
                    if remove.clicked() {
                        actions.push(Action::RemoveRun(i));
                    }
                });
            }
        });
}

fn display_ui(
    model: &Model,
    shown_z: Option<Interval>,
    ui: &mut egui::Ui,
    actions: &mut Vec<Action>,
) {
    ui.strong("Display");
    if !model.in_lab() {
        view_box_ui(model, ui, actions);
    }
    if model.objective().dim() != 2 {
        return;
    }
    let before = model.settings.display;
    let mut display = before;
    ui.horizontal(|ui| {
        let label = ui.label("Colormap");
        egui::ComboBox::from_id_salt("colormap")
            .selected_text(display.colormap.label())
            .show_ui(ui, |ui| {
                for c in Colormap::ALL {
                    ui.selectable_value(&mut display.colormap, c, c.label());
                }
            })
            .response
            .explain("The colors of f, low to high; viridis and cividis read well for color-blind eyes and in grayscale")
            .labelled_by(label.id);
    });
    ui.checkbox(&mut display.log_color, "Log color scale")
        .explain("Color by the logarithm of f above its minimum in view: shows the floor of a deep valley (Rosenbrock) that a linear scale paints one color");
    ui.horizontal(|ui| {
        ui.checkbox(&mut display.show_contours, "Contours").explain(
            "Level lines: f is the same all along each line; the gradient is perpendicular to them",
        );
        ui.add_enabled(
            display.show_contours,
            Slider::new(&mut display.contour_count, 1..=40)
                .typed_whole(1.0..=40.0)
                .text("Contour lines"),
        )
        .explain("How many level lines");
    });
    ui.horizontal(|ui| {
        ui.checkbox(&mut display.show_quiver, "Arrows of -grad f")
            .explain("At each point, the direction of steepest descent, -grad f, and its size: where gradient descent would step");
        ui.add_enabled(
            display.show_quiver,
            Slider::new(&mut display.quiver_density, 4..=50)
                .typed_whole(4.0..=50.0).text("Arrow density"),
        )
        .explain("Arrows per row");
    });
    ui.checkbox(&mut display.critical, "Critical points")
        .explain("minima, maxima and saddles in the view box: where the gradient is zero");
    if display.layout.has_2d() {
        ui.checkbox(&mut display.slices, "Slices under the contour view")
            .explain("f(x, b) and f(a, y) through the selected run's point, with their tangents");
    }
    if display.layout.has_2d() && model.objective().dim() == 2 {
        ui.checkbox(&mut display.internals, "Arrows of the step").explain(
            "At the selected run's point: -grad f, -g as the optimizer saw it (noise, clipping), \
             the momentum buffer or first moment, the per-axis scale sqrt(v), and the step taken",
        );
        if !model.in_lab() {
            ui.checkbox(&mut display.basins, "Basins of attraction")
                .explain(
                    "Color every start in view by the minimum the selected run's optimizer, \
                     learning rate and iterations (at most 1,000) reach from it; gray: diverges. \
                     Hover to see where a start ends.",
                );
        }
        ui.checkbox(&mut display.curvature, "Curvature axes and Newton's step")
            .explain(
                "The Hessian's eigenvectors at the selected run's point, each as long as its \
                 eigenvalue (green curving up, red down), and where a full Newton step lands",
            );
    }
    if display.layout.has_3d() {
        ui.checkbox(&mut display.surface_grid, "Grid lines on the surface")
            .explain("Lines of constant x and of constant y on the 3-D surface, to read its shape");
        ui.checkbox(&mut display.tangent, "Tangent plane and slices (3-D)")
            .explain("At the selected run's point: the plane that touches the surface there, whose tilt is the gradient, and the two slices through the point with their slopes df/dx and df/dy");
        z_range_ui(&mut display, shown_z, ui);
    }
    if display != before {
        actions.push(Action::SetDisplay(display));
    }
}

/// The 3-D view's f range: automatic, or typed.
fn z_range_ui(
    display: &mut super::settings::DisplaySettings,
    shown_z: Option<Interval>,
    ui: &mut egui::Ui,
) {
    let mut automatic = display.z_range.is_none();
    ui.horizontal(|ui| {
        ui.checkbox(&mut automatic, "Automatic f range (3-D)")
            .explain("from the smallest value in view to a top that ignores a few huge values");
    });
    if automatic {
        display.z_range = None;
        return;
    }
    let mut range = display
        .z_range
        .or(shown_z)
        .unwrap_or(Interval::new(0.0, 1.0));
    range_fields(ui, "f from", &mut range);
    if range.lo < range.hi {
        display.z_range = Some(range);
    }
}

/// "`label` [lo] to [hi]": a range typed or dragged, each end kept on its side of the other.
fn range_fields(ui: &mut egui::Ui, label: &str, range: &mut Interval) {
    ui.horizontal(|ui| {
        let label = ui.label(label);
        let tip = "The range shown: drag the number or type one; the plot's drag and scroll change it too";
        let speed = (range.width() * 0.005).max(1e-6);
        let hi = range.hi;
        ui.add(
            egui::DragValue::new(&mut range.lo)
                .typed_in(-MAX_VIEW..=hi)
                .speed(speed)
                .range(-MAX_VIEW..=hi)
                .custom_formatter(|v, _| human(v)),
        )
        .explain(tip)
        .labelled_by(label.id);
        let to = ui.label("to");
        let lo = range.lo;
        ui.add(
            egui::DragValue::new(&mut range.hi)
                .typed_in(lo..=MAX_VIEW)
                .speed(speed)
                .range(lo..=MAX_VIEW)
                .custom_formatter(|v, _| human(v)),
        )
        .explain(tip)
        .labelled_by(to.id);
    });
}

/// The view box's ranges, typed or dragged; Reset goes back to the function's own.
fn view_box_ui(model: &Model, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
    let before = model.view();
    let mut view = before.clone();
    for (axis, range) in ["x", "y"].iter().zip(view.iter_mut()) {
        range_fields(ui, &format!("View {axis} from"), range);
    }
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                model.settings.view.is_some(),
                egui::Button::new("Function's own view"),
            )
            .explain("the view box the function comes with")
            .clicked()
        {
            actions.push(Action::SetView(None));
        }
        if model.settings.view.is_some() {
            ui.label(RichText::new("your view box").small().weak());
        }
    });
    if view != before {
        actions.push(Action::SetView(Some(view)));
    }
}

/// A small filled circle in a run's color.
pub fn color_dot(ui: &mut egui::Ui, color: Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 5.0, color);
}
