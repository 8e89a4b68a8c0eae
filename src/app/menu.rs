//! The menu bar: File (export, quit), Edit (undo, redo), Lessons, Help.

use super::action::Action;
use super::export::ExportKind;
use super::model::Model;

/// What the menu asks for besides state changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MenuRequest {
    /// Open a save dialog.
    Export(ExportKind),
    /// Show a path dialog.
    Path(super::files::Purpose),
    /// Show the "Export animation" dialog.
    Gif,
}

/// Draws the menu bar; returns actions and requests.
pub fn menu_ui(model: &Model, ui: &mut egui::Ui, actions: &mut Vec<Action>) -> Option<MenuRequest> {
    let mut request = None;
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| {
            if ui.button("Save screenshot (PNG)…").clicked() {
                request = Some(MenuRequest::Export(ExportKind::Screenshot));
            }
            if ui.button("Export paths (CSV)…").clicked() {
                request = Some(MenuRequest::Export(ExportKind::PathsCsv));
            }
            if ui
                .button("Export animation (GIF)…")
                .on_hover_text("The animation from the first iteration to the last, for a slide")
                .clicked()
            {
                request = Some(MenuRequest::Gif);
            }
            ui.separator();
            if ui
                .button("Open scenario…")
                .on_hover_text("A setup saved with Save scenario (or drop the file on the window)")
                .clicked()
            {
                request = Some(MenuRequest::Path(super::files::Purpose::OpenScenario));
            }
            if ui
                .button("Save scenario…")
                .on_hover_text(
                    "The function, view, layout, runs and display as a small file to hand out",
                )
                .clicked()
            {
                request = Some(MenuRequest::Path(super::files::Purpose::SaveScenario));
            }
            if ui
                .button("Open lesson…")
                .on_hover_text("A lesson file of your own (TOML or JSON), as in Lessons")
                .clicked()
            {
                request = Some(MenuRequest::Path(super::files::Purpose::OpenLesson));
            }
            ui.separator();
            if ui.button("Quit").clicked() {
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
        });
        ui.menu_button("Edit", |ui| {
            let undo = ui
                .add_enabled(
                    model.can_undo(),
                    egui::Button::new("Undo").shortcut_text("Ctrl+Z"),
                )
                .on_hover_text("Take back the last change");
            if undo.clicked() {
                actions.push(Action::Undo);
            }
            let redo = ui
                .add_enabled(
                    model.can_redo(),
                    egui::Button::new("Redo").shortcut_text("Ctrl+Shift+Z"),
                )
                .on_hover_text("Apply again the change taken back");
            if redo.clicked() {
                actions.push(Action::Redo);
            }
        });
        ui.menu_button("Lessons", |ui| {
            let mut open_file = false;
            super::lessons::lessons_menu_ui(ui, actions, &mut open_file);
            if open_file {
                request = Some(MenuRequest::Path(super::files::Purpose::OpenLesson));
            }
        });
        ui.menu_button("Help", |ui| {
            ui.label("Click the plot: set the start of the selected run.");
            ui.label("Shift+click: add a run from that point.");
            ui.label("Drag: pan.  Scroll: zoom.  Double-click: reset the view.");
            ui.label("Space: play / pause.  Right arrow: one step.  R: reset.");
            ui.label("Ctrl+Z: undo.  Ctrl+Shift+Z: redo.");
        });
        ui.separator();
        let info = model.objective().info();
        let title = if info.name == info.formula {
            format!("f = {}", info.formula)
        } else {
            format!("{}:  f = {}", info.name, info.formula)
        };
        ui.label(egui::RichText::new(title).strong());
    });
    request
}
