//! The Help menu's windows: every shortcut and gesture, and what descent is.

/// Which help window is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HelpPage {
    /// Help > Keys and mouse.
    Keys,
    /// Help > About descent.
    About,
}

/// Every gesture and shortcut of the window, as (where, what you do, what it does). The
/// README's "Mouse and keys" table lists the same rows (a test checks it).
pub const KEYS: &[(&str, &str, &str)] = &[
    (
        "contour view",
        "click",
        "sets the start of the selected run and replays it",
    ),
    (
        "contour view",
        "Shift+click",
        "adds a run from that point, in a new color",
    ),
    ("contour view", "drag", "pans"),
    ("contour view", "scroll", "zooms"),
    (
        "contour view",
        "double-click",
        "resets the view to the view box",
    ),
    ("contour view", "hover", "shows x, y, f and |grad f|"),
    (
        "3-D view",
        "click",
        "sets the start on the surface (Shift+click adds a run)",
    ),
    ("3-D view", "drag", "turns the surface"),
    ("3-D view", "scroll", "zooms"),
    ("3-D view", "double-click", "resets the camera"),
    (
        "lab scatter",
        "drag a point",
        "moves it; the fit, the landscape and the runs follow",
    ),
    (
        "lab scatter",
        "click / right-click",
        "adds a point / removes the point",
    ),
    ("charts", "click a sweep", "sets that learning rate"),
    (
        "window",
        "drop a file",
        "opens a lesson (.toml, .json) or a scenario",
    ),
    ("keys", "Space", "play / pause"),
    ("keys", "Right arrow", "one iteration"),
    ("keys", "R", "replay from iteration 0"),
    ("keys", "Ctrl+Z", "undo the last change"),
    ("keys", "Ctrl+Shift+Z, Ctrl+Y", "redo"),
    (
        "keys",
        "Ctrl +, Ctrl -, Ctrl 0",
        "larger text, smaller text, normal size",
    ),
    ("keys", "F1", "this list"),
];

/// How to cite descent.
pub const CITATION: &str = concat!(
    "descent: gradient descent you can see and touch, version ",
    env!("CARGO_PKG_VERSION"),
    ", 2026."
);

/// Draws the open help window, if any; closing it clears `page`.
pub fn help_ui(ctx: &egui::Context, page: &mut Option<HelpPage>) {
    let Some(shown) = *page else {
        return;
    };
    let mut open = true;
    let title = match shown {
        HelpPage::Keys => "Keys and mouse",
        HelpPage::About => "About descent",
    };
    egui::Window::new(title)
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .default_pos(ctx.content_rect().center() - egui::vec2(220.0, 200.0))
        .show(ctx, |ui| match shown {
            HelpPage::Keys => keys_ui(ui),
            HelpPage::About => about_ui(ui),
        });
    if !open {
        *page = None;
    }
}

fn keys_ui(ui: &mut egui::Ui) {
    egui::Grid::new("keys")
        .striped(true)
        .num_columns(3)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            ui.strong("where");
            ui.strong("you do");
            ui.strong("it does");
            ui.end_row();
            for (place, gesture, effect) in KEYS {
                ui.weak(*place);
                ui.label(egui::RichText::new(*gesture).monospace());
                ui.label(*effect);
                ui.end_row();
            }
        });
    ui.add_space(6.0);
    ui.weak("Hover any control to learn what it does and the idea behind it.");
}

fn about_ui(ui: &mut egui::Ui) {
    ui.heading(format!("descent {}", env!("CARGO_PKG_VERSION")));
    ui.label("Gradient descent you can see and touch: pick a function, click where to start, and watch optimizers converge, zig-zag or blow up.");
    ui.add_space(6.0);
    ui.label(format!("License: {}", env!("CARGO_PKG_LICENSE")));
    ui.label("Built with Rust, egui and egui_plot.");
    ui.add_space(6.0);
    ui.strong("How to cite");
    ui.label(egui::RichText::new(CITATION).monospace());
    if ui
        .button("Copy the citation")
        .on_hover_text("Puts the line above on the clipboard")
        .clicked()
    {
        ui.ctx().copy_text(CITATION.to_string());
    }
}

/// A tooltip that shows whether the control is enabled or not: what it does and the idea
/// behind it.
pub trait Explain {
    /// Adds the tooltip.
    fn explain(self, text: impl Into<egui::WidgetText>) -> Self;
}

impl Explain for egui::Response {
    fn explain(self, text: impl Into<egui::WidgetText>) -> Self {
        let text = text.into();
        self.on_hover_text(text.clone())
            .on_disabled_hover_text(text)
    }
}

/// What a hyperparameter does and the idea behind it, by its command-line flag.
pub fn hyperparameter_idea(flag: &str) -> &'static str {
    match flag {
        "momentum" => {
            "Momentum: each step keeps this fraction of the previous one, like a ball rolling downhill. It speeds up along a valley and damps the zig-zag across it."
        }
        "beta1" => {
            "The first moment m: a running average of the gradients (Adam's momentum). It starts at 0, so early averages are too small; Adam divides by 1 - beta1^t to correct that bias."
        }
        "beta2" => {
            "The second moment v: a running average of squared gradients. Dividing by sqrt(v) gives each coordinate its own step size; like m it is bias-corrected, by 1 - beta2^t."
        }
        "alpha" => {
            "How slowly RMSProp forgets: its running average of squared gradients scales each coordinate's step, so steep directions take smaller steps."
        }
        "rho" => {
            "How slowly Adadelta forgets: the decay of its averages of squared gradients and of squared steps, whose ratio sets the step with no learning rate to tune."
        }
        "eps" => {
            "Added under the square root so a coordinate whose gradients were about 0 does not get a huge step."
        }
        "weight-decay" => {
            "Pulls the parameters toward 0 at every step (L2 regularization); AdamW applies it apart from the gradient's scaling."
        }
        "momentum-decay" => {
            "NAdam's psi: how the momentum coefficient mu_t warms up over the first steps."
        }
        _ => "A setting of this optimizer's update rule.",
    }
}

/// The idea behind an optimizer, in a sentence or two, for its tooltip.
pub fn optimizer_idea(kind: crate::engine::OptimizerKind) -> &'static str {
    use crate::engine::OptimizerKind::*;
    match kind {
        Gd => {
            "Gradient descent: step against the gradient, p <- p - lr g. The plain method every other one refines."
        }
        Momentum => {
            "Heavy ball: each step keeps a fraction of the previous one, so the run builds speed along a valley and damps the zig-zag across it."
        }
        Nesterov => {
            "Momentum that looks ahead: the gradient is taken where the momentum is about to carry the point, so it corrects sooner."
        }
        Adagrad => {
            "Each coordinate's step is divided by the root of the sum of all its squared gradients: steep coordinates slow down, and all steps shrink over time."
        }
        Rmsprop => {
            "Like AdaGrad, but with a running average of squared gradients: old gradients are forgotten, so the steps do not die out."
        }
        Adadelta => {
            "Scales each step by the ratio of running averages of past squared steps and squared gradients: the units match, and the learning rate matters little."
        }
        Adam => {
            "Momentum (the first moment m) with RMSProp's per-coordinate scale (the second moment v), both corrected for starting at 0."
        }
        AdamW => {
            "Adam with weight decay applied to the parameters directly, apart from the gradient's scaling."
        }
        Adamax => {
            "Adam with the largest recent |g| in place of the root mean square: steadier when gradients spike."
        }
        NAdam => "Adam with Nesterov's look-ahead in its first moment.",
        RAdam => {
            "Adam that rectifies the second moment's variance: it steps like momentum until v is reliable, then like Adam."
        }
        Newton => {
            "Steps to the minimum of the local quadratic model, p <- p - H^-1 g: very few steps near a minimum, but it needs the Hessian and is drawn to saddles too."
        }
        LineSearch => {
            "Gradient descent that chooses each step: it halves s from lr until f drops enough (Armijo's test)."
        }
    }
}
