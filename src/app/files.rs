//! The typed-path dialog of File > Open scenario, Save scenario and Lessons > Open lesson
//! file. Native dialogs need a desktop portal that a class's machines (or CI) may lack; a
//! path always works, and a file dropped on the window opens too.

use std::path::PathBuf;

/// What the dialog is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Open a lesson file (.toml).
    OpenLesson,
    /// Open a scenario.
    OpenScenario,
    /// Save the scenario on screen.
    SaveScenario,
}

impl Purpose {
    fn title(self) -> &'static str {
        match self {
            Self::OpenLesson => "Open lesson file",
            Self::OpenScenario => "Open scenario",
            Self::SaveScenario => "Save scenario",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Self::OpenLesson => "lessons/my-lesson.toml",
            Self::OpenScenario | Self::SaveScenario => "scenarios/three-wells.json",
        }
    }

    fn button(self) -> &'static str {
        match self {
            Self::SaveScenario => "Save",
            _ => "Open",
        }
    }
}

/// The dialog's state: open or not, the path typed, the last error.
#[derive(Clone, Debug, Default)]
pub struct PathDialog {
    /// What it is showing for, if it is showing.
    pub purpose: Option<Purpose>,
    /// The path typed.
    pub path: String,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// Whether the path field still has to take the keyboard focus.
    focus: bool,
}

impl PathDialog {
    /// Shows the dialog for `purpose`.
    pub fn show(&mut self, purpose: Purpose) {
        self.purpose = Some(purpose);
        self.error = None;
        self.focus = true;
    }

    /// Draws the dialog while it shows; returns the purpose and path once the user confirms.
    /// The caller does the work and calls [`Self::failed`] or [`Self::done`].
    pub fn ui(&mut self, ctx: &egui::Context) -> Option<(Purpose, PathBuf)> {
        let purpose = self.purpose?;
        let mut chosen = None;
        let mut cancel = false;
        egui::Window::new(purpose.title())
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| {
                ui.label("Path of the file:");
                let field = ui.add(
                    egui::TextEdit::singleline(&mut self.path)
                        .desired_width(380.0)
                        .hint_text(purpose.hint()),
                );
                field.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::TextInput, true, "File path")
                });
                if std::mem::take(&mut self.focus) {
                    field.request_focus();
                }
                let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if let Some(e) = &self.error {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                ui.horizontal(|ui| {
                    let path = self.path.trim();
                    if (ui.button(purpose.button()).clicked() || enter) && !path.is_empty() {
                        chosen = Some((purpose, PathBuf::from(path)));
                    }
                    if ui.button("Cancel").clicked() {
                        cancel = true;
                    }
                });
            });
        if cancel {
            self.done();
        }
        chosen
    }

    /// Keeps the dialog open with `error`.
    pub fn failed(&mut self, error: String) {
        self.error = Some(error);
    }

    /// Closes the dialog.
    pub fn done(&mut self) {
        self.purpose = None;
        self.error = None;
    }
}
