//! The menu bar: File (export, quit), Edit (undo, redo), Lessons, View (theme, text size),
//! Help.

use super::action::Action;
use super::export::ExportKind;
use super::help::Explain;
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
    /// Open a help window.
    Help(super::help::HelpPage),
}

/// Draws the menu bar; returns actions and requests.
pub fn menu_ui(model: &Model, ui: &mut egui::Ui, actions: &mut Vec<Action>) -> Option<MenuRequest> {
    let mut request = None;
    egui::MenuBar::new().ui(ui, |ui| {
        let file = ui.menu_button("File", |ui| {
            if ui
                .button("Save screenshot (PNG)…")
                .explain("The whole window as a PNG picture")
                .clicked()
            {
                request = Some(MenuRequest::Export(ExportKind::Screenshot));
            }
            if ui
                .button("Export paths (CSV)…")
                .explain("Every run's iterates as CSV: iteration, run, coordinates, f and |grad f|")
                .clicked()
            {
                request = Some(MenuRequest::Export(ExportKind::PathsCsv));
            }
            if ui
                .button("Export animation (GIF)…")
                .explain("The animation from the first iteration to the last, for a slide")
                .clicked()
            {
                request = Some(MenuRequest::Gif);
            }
            ui.separator();
            if ui
                .button("Open scenario…")
                .explain("A setup saved with Save scenario (or drop the file on the window)")
                .clicked()
            {
                request = Some(MenuRequest::Path(super::files::Purpose::OpenScenario));
            }
            if ui
                .button("Save scenario…")
                .explain("The function, view, layout, runs and display as a small file to hand out")
                .clicked()
            {
                request = Some(MenuRequest::Path(super::files::Purpose::SaveScenario));
            }
            if ui
                .button("Open lesson…")
                .explain("A lesson file of your own (TOML or JSON), as in Lessons")
                .clicked()
            {
                request = Some(MenuRequest::Path(super::files::Purpose::OpenLesson));
            }
            ui.separator();
            if ui
                .button("Quit")
                .explain("Close descent; the session is saved and comes back next time")
                .clicked()
            {
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
        });
        file.response
            .explain("Screenshots, exports, scenarios, lesson files, quit");
        let edit = ui.menu_button("Edit", |ui| {
            let undo = ui
                .add_enabled(
                    model.can_undo(),
                    egui::Button::new("Undo").shortcut_text("Ctrl+Z"),
                )
                .explain("Take back the last change");
            if undo.clicked() {
                actions.push(Action::Undo);
            }
            let redo = ui
                .add_enabled(
                    model.can_redo(),
                    egui::Button::new("Redo").shortcut_text("Ctrl+Shift+Z"),
                )
                .explain("Apply again the change taken back");
            if redo.clicked() {
                actions.push(Action::Redo);
            }
        });
        edit.response.explain("Undo and redo every change");
        let lessons = ui.menu_button("Lessons", |ui| {
            let mut open_file = false;
            super::lessons::lessons_menu_ui(ui, actions, &mut open_file);
            if open_file {
                request = Some(MenuRequest::Path(super::files::Purpose::OpenLesson));
            }
        });
        lessons
            .response
            .explain("Guided lessons made from the course notebooks, step by step");
        ui.menu_button("View", |ui| view_menu_ui(model, ui, actions))
            .response
            .explain("Light or dark theme, and the text size");
        let help = ui.menu_button("Help", |ui| {
            if ui
                .add(egui::Button::new("Keys and mouse…").shortcut_text("F1"))
                .explain("Every shortcut and gesture of the window")
                .clicked()
            {
                request = Some(MenuRequest::Help(super::help::HelpPage::Keys));
            }
            if ui
                .button("About descent…")
                .explain("Version, license and how to cite")
                .clicked()
            {
                request = Some(MenuRequest::Help(super::help::HelpPage::About));
            }
        });
        help.response
            .explain("Every shortcut and gesture; about descent");
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

/// Theme and text size.
fn view_menu_ui(model: &Model, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
    use super::settings::{Appearance, Theme, ZOOM_RANGE};
    let appearance = model.settings.appearance;
    let mut theme = appearance.theme;
    ui.label("Theme");
    for (choice, name, tip) in [
        (
            Theme::System,
            "Follow the system",
            "Light or dark as the system is set",
        ),
        (Theme::Light, "Light", "Dark text on a light background"),
        (Theme::Dark, "Dark", "Light text on a dark background"),
    ] {
        ui.radio_value(&mut theme, choice, name).explain(tip);
    }
    if theme != appearance.theme {
        actions.push(Action::SetAppearance(Appearance {
            theme,
            ..appearance
        }));
    }
    ui.separator();
    ui.label(format!("Text size: {:.0} %", appearance.zoom * 100.0));
    let zoom = |z: f32| {
        Action::SetAppearance(Appearance {
            zoom: ((z * 10.0).round() / 10.0).clamp(ZOOM_RANGE.0, ZOOM_RANGE.1),
            ..appearance
        })
    };
    let larger = ui
        .add_enabled(
            appearance.zoom < ZOOM_RANGE.1,
            egui::Button::new("Larger").shortcut_text("Ctrl +"),
        )
        .explain("Makes text and controls larger");
    if larger.clicked() {
        actions.push(zoom(appearance.zoom + 0.1));
    }
    let smaller = ui
        .add_enabled(
            appearance.zoom > ZOOM_RANGE.0,
            egui::Button::new("Smaller").shortcut_text("Ctrl -"),
        )
        .explain("Makes text and controls smaller");
    if smaller.clicked() {
        actions.push(zoom(appearance.zoom - 0.1));
    }
    let normal = ui
        .add_enabled(
            appearance.zoom != 1.0,
            egui::Button::new("Normal size").shortcut_text("Ctrl 0"),
        )
        .explain("The system's own text size");
    if normal.clicked() {
        actions.push(zoom(1.0));
    }
}
