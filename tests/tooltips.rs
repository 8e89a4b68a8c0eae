//! Every control explains itself: hovering any button, check box, slider, number field,
//! drop-down, text field or radio button shows a tooltip (egui_kittest, in each state of
//! the window: the plain view, each optimizer's settings, the race, the lab, the lesson
//! panel, every tab under the views, the menus).

use descent::app::action::Action;
use descent::app::lab::BatchMode;
use descent::app::{DescentApp, Settings};
use descent::engine::{FunctionSpec, OptimizerConfig, OptimizerKind};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable, by};

/// A corner with no control and no tooltip.
const AWAY: egui::Pos2 = egui::pos2(1399.0, 2199.0);

/// Roles of the controls a user acts on.
const CONTROLS: [Role; 7] = [
    Role::Button,
    Role::CheckBox,
    Role::Slider,
    Role::SpinButton,
    Role::ComboBox,
    Role::TextInput,
    Role::RadioButton,
];

/// A tall window, so the whole control panel shows without scrolling; tooltips at once.
fn harness(app: DescentApp) -> Harness<'static, DescentApp> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 2200.0))
        .build_ui_state(
            |ui, app: &mut DescentApp| {
                ui.ctx().global_style_mut(|style| {
                    style.interaction.tooltip_delay = 0.0;
                    style.interaction.show_tooltips_only_when_still = false;
                });
                app.ui(ui)
            },
            app.without_persistence().with_inline_jobs(),
        )
}

fn app(function: &str) -> DescentApp {
    let mut app = DescentApp::new(Settings {
        function: FunctionSpec::parse(function).unwrap(),
        ..Settings::default()
    });
    app.model.sim.playing = false;
    app
}

/// Whether a check box is an entry of a plot's legend (it shows or hides the item of that
/// name): egui_plot draws those, and they are named by the items they toggle.
fn legend_entry(role: Role, label: &str) -> bool {
    const ITEMS: [&str; 12] = [
        "Run ",
        "minima (",
        "maxima (",
        "saddles (",
        "degenerate (",
        "data",
        "least squares",
        "current batch",
        "this run",
        "blew up",
        "trials",
        "accepted step",
    ];
    role == Role::CheckBox && ITEMS.iter().any(|item| label.starts_with(item))
        // egui's own close button of a dialog window.
        || role == Role::Button && label == "Close window"
}

/// The controls on screen, as (role, label, center), in a stable order.
fn controls(h: &Harness<'_, DescentApp>) -> Vec<(Role, String, egui::Pos2)> {
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1400.0, 2200.0));
    let mut found = Vec::new();
    for role in CONTROLS {
        for node in h.query_all(by().role(role)) {
            let rect = node.rect();
            if rect.width() < 2.0 || rect.height() < 2.0 || !screen.contains(rect.center()) {
                continue;
            }
            let label = node.accesskit_node().label().unwrap_or_default();
            let value = node.accesskit_node().value().unwrap_or_default();
            if legend_entry(role, &label) {
                continue;
            }
            found.push((
                role,
                format!("{label} {value}").trim().to_string(),
                rect.center(),
            ));
        }
    }
    found
}

/// Hovers each control in turn; returns those that showed no tooltip.
fn without_tooltips(h: &mut Harness<'_, DescentApp>, state: &str) -> Vec<String> {
    without_tooltips_except(h, state, &[])
}

/// As [`without_tooltips`], leaving out the controls in `known` (those behind an open
/// menu, which shows no tooltips of the window below it while it is open, or under a
/// dialog).
fn without_tooltips_except(
    h: &mut Harness<'_, DescentApp>,
    state: &str,
    known: &[(Role, String, egui::Pos2)],
) -> Vec<String> {
    let mut missing = Vec::new();
    let seen: Vec<_> = controls(h)
        .into_iter()
        .filter(|c| !known.contains(c))
        .collect();
    assert!(!seen.is_empty(), "{state}: found no controls");
    for (role, label, at) in seen {
        // Away first: a tooltip under the pointer stays open and would hide the control.
        h.hover_at(AWAY);
        h.run_steps(2);
        h.hover_at(at);
        h.run_steps(3);
        let tip = h.query_all(by().role(Role::Tooltip)).next().is_some();
        if !tip {
            missing.push(format!("{state}: {role:?} '{label}'"));
        }
    }
    // Move away so the last tooltip closes before the next state.
    h.hover_at(AWAY);
    h.run_steps(2);
    missing
}

fn set_optimizer(h: &mut Harness<'_, DescentApp>, kind: OptimizerKind) {
    let lr = h.state().model.settings.optimizer.lr;
    h.state_mut()
        .model
        .apply(Action::SetOptimizer(OptimizerConfig::new(kind, lr)));
    h.run_steps(2);
}

fn click(h: &mut Harness<'_, DescentApp>, label: &str) {
    let node = h.query_by_role_and_label(Role::Button, label);
    match node {
        Some(node) => node.click(),
        None => h.get_by_label(label).click(),
    }
    h.run_steps(2);
}

#[test]
fn every_control_has_a_tooltip() {
    let mut missing = Vec::new();

    let mut h = harness(app("bowl"));
    h.run_steps(3);
    missing.extend(without_tooltips(&mut h, "bowl"));
    for kind in [
        OptimizerKind::Momentum,
        OptimizerKind::Adam,
        OptimizerKind::Adadelta,
        OptimizerKind::LineSearch,
    ] {
        set_optimizer(&mut h, kind);
        missing.extend(without_tooltips(&mut h, kind.name()));
    }
    set_optimizer(&mut h, OptimizerKind::Gd);
    click(&mut h, "Gradient noise");
    click(&mut h, "Clip gradient");
    click(&mut h, "Race optimizers");
    missing.extend(without_tooltips(&mut h, "race, noise, clip"));
    for tab in ["Inside the step", "Learning-rate sweep"] {
        click(&mut h, tab);
        missing.extend(without_tooltips(&mut h, tab));
    }
    click(&mut h, "Both");
    missing.extend(without_tooltips(&mut h, "both views"));
    for menu in ["File", "Edit", "Lessons", "View", "Help"] {
        let behind = controls(&h);
        click(&mut h, menu);
        missing.extend(without_tooltips_except(&mut h, menu, &behind));
        h.key_press(egui::Key::Escape);
        h.run_steps(2);
    }

    // A typed formula kept under a name, then the dialogs of the File menu.
    let mut h = harness(app("x^2+3*y^2"));
    h.run_steps(2);
    h.state_mut()
        .model
        .apply(Action::SaveFunction("mine".to_string()));
    h.run_steps(2);
    click(&mut h, "Your functions (1)");
    missing.extend(without_tooltips(&mut h, "your function"));
    for item in ["Export animation (GIF)…", "Export paths (CSV)…"] {
        let behind = controls(&h);
        click(&mut h, "File");
        click(&mut h, item);
        // The menu can stay open under kittest's click; Escape closes it, not the dialog.
        h.key_press(egui::Key::Escape);
        h.run_steps(2);
        // The dialog's own controls (it may cover some of the window's).
        missing.extend(without_tooltips_except(&mut h, item, &behind));
        click(&mut h, "Cancel");
    }

    let mut h = harness(app("exp-log"));
    h.run_steps(3);
    missing.extend(without_tooltips(&mut h, "exp-log"));

    let mut h = harness(app("regression --data seed001"));
    h.run_steps(4);
    missing.extend(without_tooltips(&mut h, "lab"));
    h.state_mut().model.apply(Action::SetBatch {
        mode: BatchMode::MiniBatch,
        size: 10,
    });
    h.run_steps(3);
    missing.extend(without_tooltips(&mut h, "lab, mini-batch"));

    let mut h = harness(app("bowl"));
    let (name, text) = descent::engine::lesson::BUILT_IN[0];
    h.state_mut().model.apply(Action::OpenLesson {
        name: name.to_string(),
        text: text.to_string(),
        folder: None,
    });
    h.run_steps(4);
    missing.extend(without_tooltips(&mut h, "lesson"));

    assert!(
        missing.is_empty(),
        "{} controls without a tooltip:\n{}",
        missing.len(),
        missing.join("\n")
    );
}
