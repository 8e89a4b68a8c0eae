//! The file dialogs of File > Open scenario, Save scenario and Lessons > Open lesson file:
//! the system's own (rfd, through the desktop portal) where there is one, else a typed path.
//! The native dialog runs on a thread of its own, so no frame waits for it; when it comes
//! back empty at once there is no dialog to show (no portal, as on CI or a bare X server) and
//! the typed-path dialog opens instead. A file dropped on the window opens too.

use std::path::PathBuf;

use super::help::Explain;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// A native dialog that answers sooner than this had no dialog to show.
const NO_DIALOG: Duration = Duration::from_millis(400);

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

    fn filter(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Self::OpenLesson => ("Lesson", &["toml", "json"]),
            Self::OpenScenario | Self::SaveScenario => ("Scenario", &["json"]),
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
#[derive(Debug, Default)]
pub struct PathDialog {
    /// What it is showing for, if it is showing.
    pub purpose: Option<Purpose>,
    /// The path typed.
    pub path: String,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// Whether the path field still has to take the keyboard focus.
    focus: bool,
    /// A native dialog open on its thread: what for, its answer, and when it was opened.
    native: Option<(Purpose, Receiver<Option<PathBuf>>, Instant)>,
}

impl PathDialog {
    /// Shows the dialog for `purpose`: the typed path.
    pub fn show(&mut self, purpose: Purpose) {
        self.purpose = Some(purpose);
        self.error = None;
        self.focus = true;
    }

    /// Opens the system's dialog for `purpose` on a thread of its own; without one, the
    /// typed-path dialog shows instead.
    pub fn show_native(&mut self, purpose: Purpose) {
        let (sender, receiver) = channel();
        let (name, extensions) = purpose.filter();
        let spawned = std::thread::Builder::new()
            .name("descent-file-dialog".to_string())
            .spawn(move || {
                let dialog = rfd::FileDialog::new().add_filter(name, extensions);
                let chosen = match purpose {
                    Purpose::SaveScenario => dialog.set_file_name("scenario.json").save_file(),
                    _ => dialog.pick_file(),
                };
                let _ = sender.send(chosen);
            });
        match spawned {
            Ok(_) => self.native = Some((purpose, receiver, Instant::now())),
            Err(_) => self.show(purpose),
        }
    }

    /// Draws the dialog while it shows; returns the purpose and path once the user confirms.
    /// The caller does the work and calls [`Self::failed`] or [`Self::done`].
    pub fn ui(&mut self, ctx: &egui::Context) -> Option<(Purpose, PathBuf)> {
        if let Some((purpose, receiver, opened)) = &self.native {
            let (purpose, opened) = (*purpose, *opened);
            match receiver.try_recv() {
                Ok(Some(path)) => {
                    self.native = None;
                    self.path = path.display().to_string();
                    return Some((purpose, path));
                }
                // Empty at once: no dialog could show; the typed path instead.
                Ok(None) | Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    self.native = None;
                    if opened.elapsed() < NO_DIALOG {
                        self.show(purpose);
                    }
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => {
                    ctx.request_repaint_after(Duration::from_millis(100));
                    return None;
                }
            }
        }
        let purpose = self.purpose?;
        let mut chosen = None;
        let mut cancel = false;
        egui::Window::new(purpose.title())
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| {
                ui.label("Path of the file:");
                let field = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.path)
                            .desired_width(380.0)
                            .hint_text(purpose.hint()),
                    )
                    .explain("The file's path, absolute or from the folder descent started in");
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
                    let go = ui
                        .button(purpose.button())
                        .explain("Go ahead with this path (or press Enter)")
                        .clicked();
                    if (go || enter) && !path.is_empty() {
                        chosen = Some((purpose, PathBuf::from(path)));
                    }
                    if ui.button("Cancel").explain("Close this dialog").clicked() {
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
