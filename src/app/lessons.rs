//! The Lessons menu and panel: pick a lesson, read a step, set its scene with one click, and
//! go on to the next.

use super::action::Action;
use super::help::Explain;
use super::model::{LessonState, Model};
use crate::engine::lesson::{self, BUILT_IN};

/// The Lessons menu: the built-in lessons, and a lesson file.
pub fn lessons_menu_ui(ui: &mut egui::Ui, actions: &mut Vec<Action>, open_file: &mut bool) {
    for ((name, text), (_, title)) in BUILT_IN.iter().zip(lesson::built_in_titles()) {
        if ui
            .button(title)
            .explain(format!("descent --lesson {name}"))
            .clicked()
        {
            actions.push(Action::OpenLesson {
                name: name.to_string(),
                text: text.to_string(),
                folder: None,
            });
        }
    }
    ui.separator();
    if ui
        .button("Open lesson file…")
        .explain("A lesson of your own: a TOML (or JSON) file like those in assets/lessons")
        .clicked()
    {
        *open_file = true;
    }
}

/// The panel of the open lesson: its title, the step's text, the way to the other steps.
pub fn lesson_panel_ui(model: &Model, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
    let Some(LessonState { lesson, step }) = &model.lesson else {
        return;
    };
    let (k, count) = (*step, lesson.steps.len());
    let current = &lesson.steps[k];
    ui.add(egui::Label::new(egui::RichText::new(&lesson.title).heading()).wrap());
    if !lesson.source.is_empty() {
        ui.weak(&lesson.source);
    }
    ui.separator();
    ui.label(egui::RichText::new(format!("Step {} of {count}: {}", k + 1, current.title)).strong());
    ui.add_space(4.0);
    for paragraph in current.text.split("\n\n") {
        ui.label(paragraph);
        ui.add_space(2.0);
    }
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        if ui
            .add_enabled(k > 0, egui::Button::new("Previous"))
            .explain("The scene of the step before")
            .clicked()
        {
            actions.push(Action::LessonStep(k - 1));
        }
        if ui
            .button("Again")
            .explain("Set this step's scene again, as written, and play it")
            .clicked()
        {
            actions.push(Action::LessonStep(k));
        }
        if ui
            .add_enabled(k + 1 < count, egui::Button::new("Next"))
            .explain("The scene of the next step")
            .clicked()
        {
            actions.push(Action::LessonStep(k + 1));
        }
    });
    ui.add_space(8.0);
    ui.separator();
    egui::ScrollArea::vertical()
        .max_height(ui.available_height() - 36.0)
        .show(ui, |ui| {
            for (i, s) in lesson.steps.iter().enumerate() {
                if ui
                    .selectable_label(i == k, format!("{}. {}", i + 1, s.title))
                    .explain("Go to this step: its function, runs and view")
                    .clicked()
                {
                    actions.push(Action::LessonStep(i));
                }
            }
        });
    ui.separator();
    if ui
        .button("Close lesson")
        .explain("Hide this panel; the scene stays")
        .clicked()
    {
        actions.push(Action::CloseLesson);
    }
}
