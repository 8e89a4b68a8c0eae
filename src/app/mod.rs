//! The eframe app: a model changed only by actions, and views over it.
//!
//! - `model.rs`: the state and [`model::Model::apply`], its only writer; `action.rs`: the
//!   actions; `settings.rs`: what is saved; `simulation.rs`: runs and the clock (no egui).
//! - `view2d.rs` / `view1d.rs`: the central plot for surfaces and curves; `field.rs`: the
//!   heatmap, contours and quiver they draw; `plot_input.rs`: hover, click and minima, shared.
//! - `charts.rs`: f and |grad f| against the iteration; `lab.rs`: the regression lab.
//! - `controls.rs`: the side panel; `menu.rs`: the menu bar; `export.rs`: PNG and CSV.
//! - `jobs.rs`: background work with cancellation; `clip.rs`: shapes cut to the view.

pub mod action;
pub mod animation;
pub mod basins;
pub mod charts;
pub mod clip;
pub mod controls;
pub mod export;
pub mod field;
pub mod files;
pub mod help;
pub mod jobs;
pub mod lab;
pub mod lessons;
pub mod menu;
pub mod model;
pub mod persistence;
pub mod plot_input;
pub mod race;
pub mod scenario;
pub mod settings;
pub mod simulation;
pub mod step;
pub mod sweep;
pub mod view1d;
pub mod view2d;
pub mod view3d;

use help::Explain;
use std::sync::Arc;
use std::time::Duration;

use action::Action;
use jobs::{Cached, Job, Runner};
pub use model::{Model, Notice};
use settings::BottomTab;
pub use settings::{MAX_UI_ITERATIONS, Settings};
use simulation::{Progress, Speed};

use crate::engine::critical::CriticalPoint;
use crate::engine::function::DataSource;
use crate::engine::regression::Dataset;
use crate::engine::{FunctionSpec, Interval, format};

/// Wall time the optimizer may take per frame; longer computations finish over later frames.
pub const FRAME_BUDGET: Duration = Duration::from_millis(6);

/// What the critical points depend on: the function and the view box searched.
type CriticalKey = (u64, Vec<Interval>);

/// A data file being read off the frame, and the action waiting for it.
struct DataLoad {
    job: Job<DataSource, Result<Dataset, String>>,
    action: Action,
}

/// Where a job the command line waits for (`--screenshot`, `--gif`) reports its outcome.
type Outcome = std::sync::Arc<std::sync::Mutex<Option<Result<(), String>>>>;

/// The descent window.
pub struct DescentApp {
    /// The state; changed only through [`Model::apply`].
    pub model: Model,
    /// Progress of the last frame's computation.
    pub progress: Progress,
    /// The central plot's transform, kept for tests that click the plot.
    pub plot_transform: Option<egui_plot::PlotTransform>,
    /// Where heavy work runs: worker threads, or inline for deterministic tests.
    pub runner: Runner,
    /// The contour view and its caches (tests read its basin map).
    pub view2d: view2d::View2d,
    view3d: view3d::View3d,
    /// The race panel: lanes, tuning and the results table.
    pub race: race::RacePanel,
    /// The typed-path dialog of the File and Lessons menus.
    pub path_dialog: files::PathDialog,
    /// The "Export animation" dialog.
    pub gif_dialog: animation::GifDialog,
    /// An animation being recorded.
    recording: Option<animation::Recorder>,
    /// A `--gif` request, started once the runs are computed.
    pub pending_gif: Option<animation::GifRequest>,
    /// Where the views were drawn last frame (what "the views" records).
    views_rect: egui::Rect,
    /// Where the plot and the 3-D view were drawn last frame, if they were.
    plot_rect: Option<egui::Rect>,
    surface_rect: Option<egui::Rect>,
    /// Where a `--gif` reports its outcome for the exit code.
    gif_result: Option<Outcome>,
    /// Set when a `--screenshot` or `--gif` cannot show its scene (a lesson step whose data
    /// cannot be read): the window then closes without a picture and the exit code says so.
    scene_failed: Option<Arc<std::sync::atomic::AtomicBool>>,
    view1d: view1d::View1d,
    critical: Cached<CriticalKey, Arc<Vec<CriticalPoint>>>,
    charts: charts::Charts,
    /// The selected run's step, replayed for the step panel and the overlays.
    step: step::StepView,
    /// The learning-rate sweep of the selected run.
    sweep: sweep::SweepView,
    scatter: lab::Scatter,
    export: export::Export,
    /// The open help window.
    pub help: Option<help::HelpPage>,
    /// The theme and zoom last given to egui, to notice Ctrl + and Ctrl - (egui's own).
    applied_appearance: Option<settings::Appearance>,
    data_load: Option<DataLoad>,
    /// Persist settings on exit (off for `--screenshot`).
    persist: bool,
    /// descent's own state file; without one the session goes to eframe's storage.
    state_file: Option<persistence::StateFile>,
    /// A window opened on command-line runs leaves the saved session alone but keeps the
    /// functions saved in it: their list as read, to write back only a change.
    saved_only: Option<Vec<settings::SavedFunction>>,
}

impl Default for DescentApp {
    fn default() -> Self {
        Self::new(Settings::default())
    }
}

/// How the notice of a saved state that could not be read in full begins.
const STATE_NOT_READ: &str = "the saved state could not be read in full";

impl DescentApp {
    /// The lab scatter's plot transform of the last frame, if it was drawn.
    pub fn scatter_transform(&self) -> Option<egui_plot::PlotTransform> {
        self.scatter.transform()
    }

    /// The "Export animation" dialog, the recording in progress (a progress bar with a
    /// Cancel button) and a `--gif` request waiting for the runs.
    fn animation_ui(&mut self, ctx: &egui::Context, drawing_done: bool, actions: &mut Vec<Action>) {
        let sizes = [
            animation::Region::Views,
            animation::Region::Plot,
            animation::Region::Surface,
            animation::Region::Window,
        ]
        .map(|region| {
            let rect = self.region_rect(region);
            (region, rect.unwrap_or_else(|| ctx.content_rect()).size())
        });
        let size_of = |region| {
            sizes
                .iter()
                .find(|(r, _)| *r == region)
                .map_or(egui::Vec2::splat(1.0), |(_, size)| *size)
        };
        if let Some(request) = self.gif_dialog.ui(ctx, size_of) {
            self.start_recording(request, false);
        }
        if self.recording.is_none()
            && self.pending_gif.is_some()
            && self.progress.is_complete()
            && drawing_done
        {
            let request = self.pending_gif.take().expect("checked just above");
            self.start_recording(request, true);
        }
        let Some(region) = self.recording.as_ref().map(|r| r.region()) else {
            return;
        };
        let crop = self.region_rect(region);
        let Some(recorder) = &mut self.recording else {
            return;
        };
        let outcome = recorder.frame(ctx, crop, drawing_done, actions);
        let (encoded, total, exit) = (recorder.encoded(), recorder.len(), recorder.exit_when_done);
        let mut cancel = false;
        // The progress stays out of the pictures: not drawn on a frame being taken, and
        // over the controls when only the views are recorded.
        if recorder.capturing_now() {
            ctx.request_repaint();
            return;
        }
        egui::Window::new("Recording the animation")
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::LEFT_BOTTOM, egui::vec2(12.0, -12.0))
            .show(ctx, |ui| {
                ui.add(
                    egui::ProgressBar::new(encoded as f32 / total.max(1) as f32)
                        .desired_width(260.0)
                        .text(format!("{encoded} of {total} frames")),
                );
                cancel = ui.button("Cancel").clicked();
            });
        if cancel {
            if let Some(recorder) = self.recording.take() {
                recorder.cancel();
            }
            self.model.notice = Some(Notice::Info("animation export cancelled".to_string()));
            return;
        }
        if let Some(outcome) = outcome {
            self.recording = None;
            if exit {
                if let Err(e) = &outcome {
                    eprintln!("error: --gif: {e}");
                }
                if let Some(slot) = &self.gif_result
                    && let Ok(mut slot) = slot.lock()
                {
                    *slot = Some(outcome.clone().map(|_| ()));
                }
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            self.model.notice = Some(match outcome {
                Ok(path) => Notice::Info(format!("Saved {}", path.display())),
                Err(e) => Notice::Error(e),
            });
        }
    }

    /// The rectangle (in points) a region records; `None` for the whole window. A view not
    /// on screen records the views.
    fn region_rect(&self, region: animation::Region) -> Option<egui::Rect> {
        use animation::Region;
        match region {
            Region::Window => None,
            Region::Views => Some(self.views_rect),
            Region::Plot => Some(self.plot_rect.unwrap_or(self.views_rect)),
            Region::Surface => Some(self.surface_rect.unwrap_or(self.views_rect)),
        }
    }

    /// Starts recording `request` from the first iteration to the last.
    pub fn start_recording(&mut self, request: animation::GifRequest, exit_when_done: bool) {
        if let Some(old) = self.recording.take() {
            old.cancel();
        }
        let last = self.model.sim.timeline_end();
        let asked = request.frames;
        let mut recorder = animation::Recorder::start(request, last, self.runner);
        if exit_when_done && recorder.len() < asked {
            // `descent --gif`: say why the animation is shorter than asked (or than the
            // default 60 frames).
            let frames = recorder.len();
            eprintln!(
                "note: the runs end at iteration {last}, so the GIF has {frames} frame{} (one per iteration), not {asked}",
                if frames == 1 { "" } else { "s" }
            );
        }
        recorder.exit_when_done = exit_when_done;
        self.recording = Some(recorder);
    }

    /// What the path dialog's choice does: read a lesson or a scenario (the action that
    /// shows it), or write the scenario on screen (no action); the error keeps the dialog.
    pub fn file_action(
        &mut self,
        purpose: files::Purpose,
        path: &std::path::Path,
    ) -> Result<Option<Action>, String> {
        match purpose {
            files::Purpose::OpenLesson => {
                let text = crate::cli::read_lesson_file(path)?;
                let name = crate::cli::lesson_name(path);
                let json = path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("json"));
                let folder = path.parent().map(std::path::Path::to_path_buf);
                crate::engine::lesson::parse_file(&name, json, &text, folder.as_deref())
                    .and_then(|lesson| crate::engine::lesson::check_claims(&lesson).map(|_| ()))
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                Ok(Some(Action::OpenLesson { name, text, folder }))
            }
            files::Purpose::OpenScenario => {
                let (settings, skipped) = scenario::read(path)?;
                Ok(Some(Action::OpenScenario {
                    settings: Box::new(settings),
                    skipped,
                }))
            }
            files::Purpose::SaveScenario => {
                let mut settings = self.model.settings.clone();
                settings.runs = self.model.sim.setups();
                settings.speed = self.model.sim.speed;
                scenario::write(path, &settings)?;
                self.model.notice = Some(Notice::Info(format!(
                    "scenario saved to {}",
                    path.display()
                )));
                Ok(None)
            }
        }
    }

    /// The app with `settings`; runs that do not fit the function are dropped with a notice.
    pub fn new(settings: Settings) -> Self {
        Self::with_model(Model::new(settings))
    }

    /// The app over `model`.
    pub fn with_model(mut model: Model) -> Self {
        model.sim.runner = Runner::Background;
        Self {
            model,
            progress: Progress { done: 0, needed: 0 },
            plot_transform: None,
            runner: Runner::Background,
            view2d: view2d::View2d::default(),
            view3d: view3d::View3d::default(),
            race: race::RacePanel::default(),
            path_dialog: files::PathDialog::default(),
            gif_dialog: animation::GifDialog::default(),
            recording: None,
            pending_gif: None,
            views_rect: egui::Rect::NOTHING,
            plot_rect: None,
            surface_rect: None,
            gif_result: None,
            scene_failed: None,
            view1d: view1d::View1d::default(),
            critical: Cached::default(),
            charts: charts::Charts,
            step: step::StepView::default(),
            sweep: sweep::SweepView::default(),
            scatter: lab::Scatter::default(),
            export: export::Export::default(),
            help: None,
            applied_appearance: None,
            data_load: None,
            persist: true,
            state_file: None,
            saved_only: None,
        }
    }

    /// The app restored from `file` (saved there again on exit), or from eframe's storage
    /// when there is no file yet.
    pub fn from_state_file(
        file: persistence::StateFile,
        storage: Option<&dyn eframe::Storage>,
    ) -> Self {
        let mut app = match file.load() {
            Some(text) => Self::from_state_text(&text),
            None => Self::from_storage(storage),
        };
        // Which file could not be read, so that it can be looked at.
        if let Some(Notice::Error(message)) = &mut app.model.notice
            && message.starts_with(STATE_NOT_READ)
        {
            // What could not be read is lost at the next save: the file as it was is
            // kept beside it first.
            let kept = file.path.with_extension("json.unread");
            let copy = match std::fs::copy(&file.path, &kept) {
                Ok(_) => format!("; the file as it was is kept as {}", kept.display()),
                Err(e) => format!("; it could not be kept as {}: {e}", kept.display()),
            };
            *message = message.replacen(
                STATE_NOT_READ,
                &format!("{STATE_NOT_READ} ({})", file.path.display()),
                1,
            ) + &copy;
        }
        app.state_file = Some(file);
        app
    }

    /// The app restored from eframe's storage; a field that cannot be read keeps its
    /// default, and the notice says which.
    pub fn from_storage(storage: Option<&dyn eframe::Storage>) -> Self {
        match storage.and_then(|s| s.get_string(eframe::APP_KEY)) {
            Some(text) => Self::from_state_text(&text),
            None => Self::first_start(),
        }
    }

    /// The window on a first start (no saved session): the course lab's first experiment,
    /// its lesson open beside it, and a line that says what to do.
    pub fn first_start() -> Self {
        let mut app = Self::default();
        if let Some((name, text)) = crate::engine::lesson::BUILT_IN
            .iter()
            .find(|(name, _)| *name == FIRST_LESSON)
        {
            app.model.apply_all([
                Action::OpenLesson {
                    name: name.to_string(),
                    text: text.to_string(),
                    folder: None,
                },
                Action::LessonStep(0),
            ]);
        }
        app.model.notice = Some(Notice::Info(WELCOME.to_string()));
        app
    }

    fn from_state_text(text: &str) -> Self {
        let (settings, reset) = Settings::from_state_text(text);
        let out_of_range = settings.out_of_range();
        let mut app = Self::new(settings);
        if reset.is_empty() && out_of_range.is_empty() {
            return app;
        }
        let mut parts = Vec::new();
        if !reset.is_empty() {
            parts.push(format!(
                "{STATE_NOT_READ}; reset to defaults: {}",
                reset.join(", ")
            ));
        }
        if !out_of_range.is_empty() {
            let values = scenario::describe_skipped(&out_of_range);
            parts.push(format!("the saved values brought into range: {values}"));
        }
        // With a run dropped as it was rebuilt, if one was: both are said.
        if let Some(Notice::Error(e) | Notice::Info(e)) = app.model.notice.take() {
            parts.push(e);
        }
        let message = parts.join("; ");
        app.model.notice = Some(match reset.is_empty() {
            true => Notice::Info(message),
            false => Notice::Error(message),
        });
        app
    }

    /// Keeps only the saved functions in `file`: they are read from it and shown, and a
    /// change to them is written back into it on exit, the rest of the session left as it
    /// was (a window opened on command-line runs).
    pub fn with_saved_functions_of(mut self, file: persistence::StateFile) -> Self {
        let saved = file
            .load()
            .map(|text| Settings::from_state_text(&text).0.sanitized().saved)
            .unwrap_or_default();
        self.model.settings.saved = saved.clone();
        self.persist = false;
        self.saved_only = Some(saved);
        self.state_file = Some(file);
        self
    }

    /// Writes the saved functions, if they changed, into the state file, leaving the rest
    /// of it as it is; a file that cannot be read in full is not touched.
    fn save_saved_functions(&mut self) {
        let (Some(read), Some(file)) = (&self.saved_only, &self.state_file) else {
            return;
        };
        if *read == self.model.settings.saved {
            return;
        }
        let mut settings = match file.load() {
            Some(text) => match Settings::from_state_text(&text) {
                (settings, reset) if reset.is_empty() => settings,
                _ => {
                    let e = format!(
                        "the saved functions were not kept: {} could not be read in full",
                        file.path.display()
                    );
                    eprintln!("error: {e}");
                    self.model.notice = Some(Notice::Error(e));
                    return;
                }
            },
            None => Settings::default(),
        };
        settings.saved = self.model.settings.saved.clone();
        match file.save(&settings.to_state_text()) {
            Ok(()) => self.saved_only = Some(settings.saved),
            Err(e) => {
                eprintln!("error: {e}");
                self.model.notice = Some(Notice::Error(e));
            }
        }
    }

    /// Turns off saving settings on exit.
    pub fn without_persistence(mut self) -> Self {
        self.persist = false;
        self
    }

    /// Runs heavy work inline: every frame shows finished results (for tests).
    pub fn with_inline_jobs(mut self) -> Self {
        self.runner = Runner::Inline;
        self.model.sim.runner = Runner::Inline;
        self
    }

    /// The objective shown.
    pub fn objective(&self) -> &Arc<dyn crate::engine::Objective> {
        self.model.objective()
    }

    /// Whether the regression lab is shown.
    pub fn in_lab(&self) -> bool {
        self.model.in_lab()
    }

    /// Whether background work (heatmap, contours, arrows, surface, critical points,
    /// files) is still running.
    pub fn jobs_pending(&self) -> bool {
        self.view2d.is_pending()
            || self.view3d.is_pending()
            || self.critical.is_pending()
            || self.race.is_pending()
            || self.step.is_pending()
            || self.sweep.is_pending()
            || self.data_load.is_some()
            || self.export.is_busy()
    }

    /// The 3-D view's camera, state and last scene (for tests).
    pub fn view3d(&mut self) -> &mut view3d::View3d {
        &mut self.view3d
    }

    /// The critical points found for the current function and view box, once found.
    pub fn critical_points(&self) -> Option<&[CriticalPoint]> {
        let key = self.critical_key();
        match &self.critical.current {
            Some((k, points)) if *k == key => Some(points.as_slice()),
            _ => None,
        }
    }

    fn critical_key(&self) -> CriticalKey {
        (self.model.sim.objective_generation(), self.model.view())
    }

    /// Starts finding the critical points of a new function or view box, in the background.
    fn request_critical_points(&mut self) {
        if !self.model.settings.display.critical || self.model.objective().dim() > 2 {
            return;
        }
        let key = self.critical_key();
        let objective = self.model.objective().clone();
        let view = key.1.clone();
        self.critical.request(self.runner, &key, move |job| {
            Arc::new(crate::engine::critical::find(
                objective.as_ref(),
                &view,
                job.cancel_flag(),
            ))
        });
    }

    /// Starts exporting every run's path to `path` as CSV, as File > Export paths does.
    pub fn start_export_csv(&mut self, path: std::path::PathBuf) {
        self.export.start_csv(&self.model, path, self.runner);
    }

    /// Whether a data file is being read in the background.
    pub fn is_loading_data(&self) -> bool {
        self.data_load.is_some()
    }

    /// Whether a CSV export is running.
    pub fn is_exporting(&self) -> bool {
        self.export.is_busy()
    }

    /// Applies actions in order, as the window would (see [`Self::dispatch`]).
    pub fn apply(&mut self, actions: impl IntoIterator<Item = Action>) {
        for action in actions {
            self.dispatch(action);
        }
    }

    /// Applies an action; one that needs a data file not yet read waits for a background
    /// job to read it, so no frame waits on the disk.
    pub fn dispatch(&mut self, action: Action) {
        let source = match &action {
            Action::SetLabData(source) => Some(source.clone()),
            Action::SetFunction(FunctionSpec::Regression { data, .. }) => Some(data.clone()),
            _ => None,
        };
        match source {
            Some(source) if !self.model.has_data_for(&source) => {
                let read = source.clone();
                let job = Job::start(self.runner, source, move |_| {
                    read.load().map_err(|e| e.to_string())
                });
                self.data_load = Some(DataLoad { job, action });
                self.poll_data_load();
            }
            _ => {
                // A new scene replaces one still waiting for its data file, which would
                // otherwise land over it when read.
                let new_scene = matches!(
                    action,
                    Action::SetFunction(_)
                        | Action::OpenSaved(_)
                        | Action::OpenLesson { .. }
                        | Action::LessonStep(_)
                        | Action::OpenScenario { .. }
                );
                if new_scene {
                    self.data_load = None;
                }
                self.model.apply(action)
            }
        }
    }

    fn poll_data_load(&mut self) {
        let Some(load) = &self.data_load else {
            return;
        };
        match load.job.poll() {
            Ok(None) => {}
            Ok(Some(Ok(data))) => {
                let source = load.job.key().clone();
                let Some(load) = self.data_load.take() else {
                    return;
                };
                self.model.provide_data(source, Arc::new(data));
                self.model.apply(load.action);
            }
            Ok(Some(Err(e))) => {
                self.data_load = None;
                self.model.scene_error = Some(e.clone());
                self.model.notice = Some(Notice::Error(e));
            }
            Err(jobs::JobLost) => {
                self.data_load = None;
                self.model.notice = Some(Notice::Error(
                    "reading the data file stopped unexpectedly".to_string(),
                ));
            }
        }
    }

    /// Gives egui the theme and zoom of the settings when they changed, and records a zoom
    /// changed with egui's own Ctrl + and Ctrl - in the settings.
    fn sync_appearance(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let wanted = self.model.settings.appearance;
        match self.applied_appearance {
            Some(applied) if applied == wanted => {
                let zoom = ctx.zoom_factor();
                if (zoom - applied.zoom).abs() > 1e-3 {
                    let changed = settings::Appearance { zoom, ..wanted };
                    self.applied_appearance = Some(changed);
                    actions.push(Action::SetAppearance(changed));
                }
            }
            _ => {
                ctx.set_theme(match wanted.theme {
                    settings::Theme::System => egui::ThemePreference::System,
                    settings::Theme::Light => egui::ThemePreference::Light,
                    settings::Theme::Dark => egui::ThemePreference::Dark,
                });
                if (ctx.zoom_factor() - wanted.zoom).abs() > 1e-3 {
                    ctx.set_zoom_factor(wanted.zoom);
                }
                self.applied_appearance = Some(wanted);
            }
        }
    }

    /// Space plays and pauses, Right arrow steps, R resets, Ctrl+Z undoes and Ctrl+Shift+Z
    /// (or Ctrl+Y) redoes; not while typing in a field.
    fn key_actions(&self, ctx: &egui::Context) -> Vec<Action> {
        if ctx.egui_wants_keyboard_input() {
            return Vec::new();
        }
        let command = egui::Modifiers::COMMAND;
        let command_shift = egui::Modifiers::COMMAND | egui::Modifiers::SHIFT;
        ctx.input_mut(|i| {
            let mut actions = Vec::new();
            if i.consume_key(egui::Modifiers::NONE, egui::Key::Space) {
                actions.push(Action::TogglePlay);
            }
            if i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowRight) {
                actions.push(Action::Step);
            }
            if i.consume_key(egui::Modifiers::NONE, egui::Key::R) {
                actions.push(Action::Reset);
            }
            if i.consume_key(command_shift, egui::Key::Z) || i.consume_key(command, egui::Key::Y) {
                actions.push(Action::Redo);
            }
            if i.consume_key(command, egui::Key::Z) {
                actions.push(Action::Undo);
            }
            actions
        })
    }

    /// Draws the whole window into `ui` and advances the simulation by one frame.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        // egui may run a frame in several passes; the clock and the keys belong to the first.
        let first_pass = ctx.current_pass_index() == 0;
        let was_preview = self.model.sim.preview;
        let mut actions = Vec::new();
        if first_pass {
            self.poll_data_load();
            // A recording of a scene that could not be shown would picture another one.
            if let Some(error) = self.model.scene_error.take()
                && let Some(failed) = &self.scene_failed
            {
                eprintln!("error: {}", format::one_line(&error));
                failed.store(true, std::sync::atomic::Ordering::Relaxed);
                self.export.job = None;
                self.pending_gif = None;
                if let Some(recording) = self.recording.take() {
                    recording.cancel();
                }
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            self.sync_appearance(&ctx, &mut actions);
            actions.extend(self.key_actions(&ctx));
            if ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::F1)) {
                self.help = Some(help::HelpPage::Keys);
            }
            let dt = ctx.input(|i| i.stable_dt).min(0.1) as f64;
            self.progress = self.model.sim.advance(dt, FRAME_BUDGET);
        }

        let mut request = None;
        egui::Panel::top("menu").show(ui, |ui| {
            request = menu::menu_ui(&self.model, ui, &mut actions);
        });
        let mut dragging = false;
        egui::Panel::left("controls")
            .resizable(true)
            .default_size(310.0)
            .min_size(260.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    let shown_z = self
                        .view3d
                        .scene()
                        .map(|scene| Interval::new(scene.z.min, scene.z.max));
                    let race = (!self.model.in_lab()).then_some((&mut self.race, self.runner));
                    dragging = controls::controls_ui(
                        &self.model,
                        &self.progress,
                        self.data_load.is_some(),
                        shown_z,
                        race,
                        ui,
                        &mut actions,
                    );
                });
            });
        self.race.results_ui(&self.model, &ctx);
        if self.model.lesson.is_some() {
            egui::Panel::right("lesson")
                .resizable(true)
                .default_size(280.0)
                .min_size(220.0)
                .max_size(420.0)
                .show(ui, |ui| {
                    lessons::lesson_panel_ui(&self.model, ui, &mut actions)
                });
        }
        if let Some(menu::MenuRequest::Path(purpose)) = request {
            // Tests (inline jobs) use the typed path: no system dialog in a test.
            match self.runner {
                jobs::Runner::Background => self.path_dialog.show_native(purpose),
                jobs::Runner::Inline => self.path_dialog.show(purpose),
            }
        }
        if let Some((purpose, path)) = self.path_dialog.ui(&ctx) {
            match self.file_action(purpose, &path) {
                Ok(action) => {
                    actions.extend(action);
                    self.path_dialog.done();
                }
                Err(e) => self.path_dialog.failed(e),
            }
        }
        if first_pass {
            // A lesson (.toml) or a scenario dropped on the window opens.
            for path in ctx.input(|i| {
                i.raw
                    .dropped_files
                    .iter()
                    .map(|f| f.path().to_path_buf())
                    .collect::<Vec<_>>()
            }) {
                let purpose = if path.extension().is_some_and(|e| e == "toml") {
                    files::Purpose::OpenLesson
                } else {
                    files::Purpose::OpenScenario
                };
                // A JSON file that is not a scenario may be a lesson.
                let result = match self.file_action(purpose, &path) {
                    Err(e) if e.contains("not a descent scenario") => {
                        self.file_action(files::Purpose::OpenLesson, &path)
                    }
                    other => other,
                };
                match result {
                    Ok(action) => actions.extend(action),
                    Err(e) => self.model.notice = Some(Notice::Error(e)),
                }
            }
        }
        // Each tab keeps its own height: the step's tables need more room than the charts.
        let step_tab = self.model.settings.display.bottom == BottomTab::Step;
        egui::Panel::bottom(if step_tab { "step" } else { "charts" })
            .resizable(true)
            .default_size(if step_tab { 330.0 } else { 190.0 })
            .min_size(120.0)
            .show(ui, |ui| {
                // A panel shrinks to what its content uses: fill it, even while a step is
                // still being replayed.
                ui.set_min_height(ui.available_height());
                let mut display = self.model.settings.display;
                ui.horizontal(|ui| {
                    for (tab, label, hint) in [
                        (
                            BottomTab::Convergence,
                            "Convergence",
                            "f and |grad f| against the iteration, for every run",
                        ),
                        (
                            BottomTab::Step,
                            "Inside the step",
                            "The selected run's update rule with today's numbers in it, and the shape of f at its current point",
                        ),
                        (
                            BottomTab::Sweep,
                            "Learning-rate sweep",
                            "The selected run's final value and iterations for 121 learning rates from 1e-5 to 10; click to set one",
                        ),
                    ] {
                        // The sweep is of a function's runs; the lab races batch sizes.
                        if tab == BottomTab::Sweep && self.model.in_lab() {
                            continue;
                        }
                        let clicked = ui
                            .selectable_label(display.bottom == tab, label)
                            .explain(hint)
                            .clicked();
                        if clicked && display.bottom != tab {
                            display.bottom = tab;
                            actions.push(Action::SetDisplay(display));
                        }
                    }
                    if display.bottom == BottomTab::Convergence
                        || (display.bottom == BottomTab::Sweep && self.model.in_lab())
                    {
                        ui.separator();
                        charts::log_switch(&self.model, ui, &mut actions);
                    }
                });
                match display.bottom {
                    BottomTab::Convergence => self.charts.ui(&self.model, ui),
                    BottomTab::Step => self.step.ui(&self.model, ui, &mut actions),
                    BottomTab::Sweep if self.model.in_lab() => self.charts.ui(&self.model, ui),
                    BottomTab::Sweep => {
                        self.sweep.ui(&self.model, self.runner, ui, &mut actions);
                    }
                }
            });
        self.step.request(&self.model, self.runner);
        let insight = self.step.current(&self.model).cloned();
        let insight = insight.as_deref().filter(|_| {
            let display = &self.model.settings.display;
            display.internals || display.curvature
        });
        self.request_critical_points();
        let critical_key = self.critical_key();
        let critical: Option<Arc<Vec<CriticalPoint>>> = match &self.critical.current {
            Some((key, points)) if *key == critical_key && self.model.settings.display.critical => {
                Some(points.clone())
            }
            _ => None,
        };
        let critical = critical.as_ref().map(|points| points.as_slice());
        let (mut plot_rect, mut surface_rect) = (None, None);
        let central = egui::CentralPanel::default().show(ui, |ui| {
            let layout = self.model.settings.display.layout;
            if self.model.objective().dim() == 2 {
                layout_bar(&self.model, ui, &mut actions);
            }
            let transform = if self.model.objective().dim() == 1 {
                let transform = self.view1d.ui(&self.model, ui, &mut actions);
                plot_rect = Some(ui.min_rect());
                transform
            } else {
                let lab = self.model.in_lab();
                // The lab's scatter plot and the contour view share the first column when
                // the surface takes the second, so no view gets too narrow to read.
                let stacked = lab && layout == settings::Layout::Both;
                let columns = usize::from(lab && !stacked)
                    + usize::from(layout.has_2d())
                    + usize::from(layout.has_3d());
                let mut transform = None;
                ui.columns(columns, |columns| {
                    let mut next = 0;
                    if stacked {
                        let ui = &mut columns[0];
                        let rect = ui.available_rect_before_wrap();
                        let (top, bottom) = rect.split_top_bottom_at_fraction(0.5);
                        ui.scope_builder(
                            egui::UiBuilder::new().max_rect(top.shrink2(egui::vec2(0.0, 2.0))),
                            |ui| self.scatter.ui(&self.model, ui, &mut actions),
                        );
                        ui.scope_builder(
                            egui::UiBuilder::new().max_rect(bottom.shrink2(egui::vec2(0.0, 2.0))),
                            |ui| {
                                transform = self.view2d.ui(
                                    &self.model,
                                    self.runner,
                                    (critical, insight),
                                    ui,
                                    &mut actions,
                                );
                                plot_rect = Some(ui.min_rect());
                            },
                        );
                        next += 1;
                    } else {
                        if lab {
                            self.scatter.ui(&self.model, &mut columns[0], &mut actions);
                            next += 1;
                        }
                        if layout.has_2d() {
                            transform = self.view2d.ui(
                                &self.model,
                                self.runner,
                                (critical, insight),
                                &mut columns[next],
                                &mut actions,
                            );
                            plot_rect = Some(columns[next].min_rect());
                            next += 1;
                        }
                    }
                    if layout.has_3d() {
                        self.view3d.ui(
                            &self.model,
                            self.runner,
                            critical,
                            &mut columns[next],
                            &mut actions,
                        );
                        surface_rect = Some(columns[next].min_rect());
                    }
                });
                transform
            };
            if transform.is_some() {
                self.plot_transform = transform;
            }
        });
        self.views_rect = central.response.rect;
        (self.plot_rect, self.surface_rect) = (plot_rect, surface_rect);
        if let Some(menu::MenuRequest::Export(kind)) = request {
            self.export.open(kind);
        }
        if let Some(menu::MenuRequest::Help(page)) = request {
            self.help = Some(page);
        }
        help::help_ui(&ctx, &mut self.help);
        if request == Some(menu::MenuRequest::Gif) {
            self.gif_dialog.open = true;
        }
        // A `--screenshot` waits for the runs and for everything drawn in the background.
        let drawing_done = !self.view2d.is_pending()
            && !self.view3d.is_pending()
            && !self.step.is_pending()
            && !self.critical.is_pending()
            && self.data_load.is_none();
        self.export.ui(
            &mut self.model,
            self.progress,
            drawing_done,
            self.runner,
            &ctx,
        );
        self.animation_ui(&ctx, drawing_done, &mut actions);

        if first_pass && (dragging || was_preview) && dragging != was_preview {
            actions.push(Action::SetPreview(dragging));
        }
        if let Some(reason) = controls::take_refusal() {
            actions.push(Action::Refused(reason));
        }
        for action in actions {
            self.dispatch(action);
        }
        // A gesture (a slider drag, typing) ends when the pointer is up and no field has focus.
        let gesture_going_on =
            ctx.input(|i| i.pointer.any_down()) || ctx.egui_wants_keyboard_input();
        if !gesture_going_on {
            self.model.end_gesture();
        }
        let sim = &self.model.sim;
        if sim.playing
            || !self.progress.is_complete()
            || sim.preview
            || was_preview
            || self.jobs_pending()
        {
            ctx.request_repaint();
        } else if self.persist {
            // eframe saves the session every 30 s, but only in a frame: an idle window
            // wakes for one, so a change is never older than that on disk.
            ctx.request_repaint_after(std::time::Duration::from_secs(31));
        }
    }
}

impl eframe::App for DescentApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        DescentApp::ui(self, ui);
    }

    /// While an animation is recorded, or a `--screenshot` or `--gif` waits to be taken, the
    /// pointer is taken away from the window: no hover label lands in the picture.
    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        let capturing =
            self.recording.is_some() || self.pending_gif.is_some() || self.export.job.is_some();
        if capturing {
            raw_input.events.retain(|e| {
                !matches!(e, egui::Event::PointerMoved(_) | egui::Event::MouseMoved(_))
            });
            raw_input.events.push(egui::Event::PointerGone);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.save_saved_functions();
        if self.persist {
            let mut settings = self.model.settings.clone();
            settings.runs = self.model.sim.setups();
            settings.speed = self.model.sim.speed;
            let text = settings.to_state_text();
            match &self.state_file {
                Some(file) => {
                    if let Err(e) = file.save(&text) {
                        // Shown in the window (saves come every 30 s), and on the terminal
                        // for the save on exit.
                        eprintln!("error: {e}");
                        self.model.notice = Some(Notice::Error(e));
                    }
                }
                None => storage.set_string(eframe::APP_KEY, text),
            }
        }
    }
}

/// The layout switch above a surface's views: 2-D, 3-D or both.
fn layout_bar(model: &Model, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
    let display = model.settings.display;
    ui.horizontal(|ui| {
        ui.label("View");
        for layout in settings::Layout::ALL {
            let tip = match layout {
                settings::Layout::TwoD => {
                    "The contour view: f as colors and level lines, seen from above, with arrows of -grad f"
                }
                settings::Layout::ThreeD => {
                    "The surface of f in 3-D with the tangent plane at the selected run's point"
                }
                settings::Layout::Both => "The contour view and the 3-D surface side by side",
            };
            if ui
                .selectable_label(display.layout == layout, layout.label())
                .explain(tip)
                .clicked()
                && display.layout != layout
            {
                actions.push(Action::SetDisplay(settings::DisplaySettings {
                    layout,
                    ..display
                }));
            }
        }
    });
}

/// The lesson a first start opens: the course lab's first experiment.
pub const FIRST_LESSON: &str = "course-lab-1d";

/// The line a first start greets with.
pub const WELCOME: &str = "Welcome! Click the plot to start a run there, or press Play. The lesson on the right (and the Lessons menu) goes step by step; hover any control to learn what it does.";

/// The colors runs are drawn in: the Okabe-Ito palette, made to stay distinguishable with
/// every common color-vision deficiency, with white in place of its black (paths are drawn
/// over dark heatmaps) and its blue lightened for the same reason.
pub const RUN_COLORS: [egui::Color32; 8] = [
    egui::Color32::from_rgb(230, 159, 0),   // orange
    egui::Color32::from_rgb(86, 180, 233),  // sky blue
    egui::Color32::from_rgb(255, 255, 255), // white
    egui::Color32::from_rgb(0, 158, 115),   // bluish green
    egui::Color32::from_rgb(240, 228, 66),  // yellow
    egui::Color32::from_rgb(213, 94, 0),    // vermillion
    egui::Color32::from_rgb(204, 121, 167), // reddish purple
    egui::Color32::from_rgb(60, 150, 230),  // blue
];

/// The color of palette entry `i`.
pub fn run_color(i: usize) -> egui::Color32 {
    RUN_COLORS[i % RUN_COLORS.len()]
}

/// The marker of palette entry `i`: a second cue beside the color, so runs stay apart in
/// print and for every reader.
pub fn run_marker(i: usize) -> egui_plot::MarkerShape {
    use egui_plot::MarkerShape::*;
    const MARKERS: [egui_plot::MarkerShape; 8] =
        [Circle, Diamond, Up, Down, Asterisk, Cross, Plus, Left];
    MARKERS[i % MARKERS.len()]
}

/// The line style of palette entry `i` in the charts: solid, dashed, dotted in turn.
pub fn run_line_style(i: usize) -> egui_plot::LineStyle {
    match i % 3 {
        0 => egui_plot::LineStyle::Solid,
        1 => egui_plot::LineStyle::dashed_loose(),
        _ => egui_plot::LineStyle::dotted_dense(),
    }
}

/// The most runs the plots name in their legends; with more, the run list is the legend.
pub const LEGEND_RUNS: usize = 12;

/// A run's name in a plot's legend: its [`run_name`] while there are few runs, else none
/// (a legend of a hundred entries would cover the plot and cost more than the paths).
pub fn legend_name(i: usize, slot: &simulation::RunSlot, runs: usize) -> String {
    if runs <= LEGEND_RUNS {
        run_name(i, slot)
    } else {
        String::new()
    }
}

/// A run's name in legends and lists: `Run 2: Adam, lr 0.05`.
pub fn run_name(i: usize, slot: &simulation::RunSlot) -> String {
    format!(
        "Run {}: {}, lr {}",
        i + 1,
        slot.setup.optimizer.kind.label(),
        crate::engine::format::human(slot.setup.optimizer.lr)
    )
}

/// Asks the C allocator to keep freed memory for reuse. Every frame tessellates megabytes
/// of geometry (a swarm of a thousand paths) into buffers that are freed when the frame is
/// drawn; glibc would hand them back to the system each time and fault the pages in again
/// on the next frame, which measured as half of such a frame's time. Does nothing where the
/// C library is not glibc.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_TOP_PAD: i32 = -2;
        const M_MMAP_THRESHOLD: i32 = -3;
        // SAFETY: mallopt only sets glibc's allocator parameters; these are in range.
        unsafe {
            // Blocks up to 64 MiB come from the heap, which grows 16 MiB at a time, and up
            // to 256 MiB of its free top stays with the process.
            mallopt(M_MMAP_THRESHOLD, 64 << 20);
            mallopt(M_TOP_PAD, 16 << 20);
            mallopt(M_TRIM_THRESHOLD, 256 << 20);
        }
    }
}

/// Opens the window for `request` (or the saved session) and returns the exit code.
pub fn run_window(request: crate::cli::WindowRequest) -> i32 {
    keep_freed_memory();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("descent")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([800.0, 500.0]),
        ..Default::default()
    };
    let job_result = std::sync::Arc::new(std::sync::Mutex::new(None));
    let job_result_in_app = job_result.clone();
    let screenshot = request.screenshot.clone();
    let gif = request.gif.as_ref().map(|g| g.path.clone());
    // A scene (scenario or lesson) that could not be shown fails a --screenshot or --gif.
    let scene_failed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let scene_failed_in_app = scene_failed.clone();
    let recording = screenshot.is_some() || gif.is_some();
    let outcome = eframe::run_native(
        "descent",
        options,
        Box::new(move |cc| {
            let mut app = match &request.runs {
                Some(runs) => {
                    let mut settings = Settings {
                        view: request.view.clone(),
                        ..Settings::from_request(runs)
                    };
                    if let Some(layout) = request.layout {
                        settings.display.layout = layout;
                    }
                    let app = DescentApp::new(settings).without_persistence();
                    match persistence::StateFile::default_location() {
                        Some(file) if !recording => app.with_saved_functions_of(file),
                        _ => app,
                    }
                }
                None => {
                    let mut app = match persistence::StateFile::default_location() {
                        Some(file) => DescentApp::from_state_file(file, cc.storage),
                        None => DescentApp::from_storage(cc.storage),
                    };
                    if let Some(layout) = request.layout {
                        app.model.settings.display.layout = layout;
                    }
                    // A picture or an animation leaves the user's saved session alone.
                    if recording {
                        app = app.without_persistence();
                    }
                    app
                }
            };
            if let Some(scenario) = &request.scenario {
                match scenario::from_text(&scenario.text) {
                    Ok((settings, skipped)) => {
                        app.model.apply(Action::OpenScenario {
                            settings: Box::new(settings),
                            skipped,
                        });
                        match &app.model.notice {
                            Some(Notice::Error(message))
                                if message.starts_with(model::SCENARIO_NOT_SHOWN) && recording =>
                            {
                                eprintln!(
                                    "error: --scenario: {}: {}",
                                    scenario.path.display(),
                                    format::one_line(message)
                                );
                                scene_failed_in_app
                                    .store(true, std::sync::atomic::Ordering::Relaxed);
                            }
                            // Also on the terminal what it skipped or dropped: a --gif or
                            // --screenshot shows the rest.
                            Some(Notice::Error(message)) => eprintln!(
                                "note: {}: {}",
                                scenario.path.display(),
                                format::one_line(message)
                            ),
                            _ => {}
                        }
                        // --layout chooses how the scenario is shown.
                        if let Some(layout) = request.layout {
                            app.model.settings.display.layout = layout;
                        }
                    }
                    Err(e) => {
                        let message = format!("{}: {e}", scenario.path.display());
                        if recording {
                            eprintln!("error: --scenario: {}", format::one_line(&message));
                            scene_failed_in_app.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                        app.model.notice = Some(Notice::Error(message))
                    }
                }
            }
            if let Some(lesson) = &request.lesson {
                app.model.apply_all([
                    Action::OpenLesson {
                        name: lesson.name.clone(),
                        text: lesson.text.clone(),
                        folder: lesson.folder.clone(),
                    },
                    Action::LessonStep(lesson.step),
                ]);
                if let Some(layout) = request.layout {
                    app.model.settings.display.layout = layout;
                }
            }
            // A curve is drawn in one view whatever the layout (said once the scene the
            // window opens on, the session's, a scenario's or a lesson's, is known).
            if let Some(layout) = request.layout
                && app.model.objective().dim() == 1
                && layout != crate::cli::Layout::TwoD
            {
                eprintln!(
                    "note: --layout: the window opens on a curve ({}), drawn in one view; the layout applies to surfaces",
                    app.model.settings.function.name()
                );
            }
            if recording {
                app.scene_failed = Some(scene_failed_in_app.clone());
            }
            if scene_failed_in_app.load(std::sync::atomic::Ordering::Relaxed) {
                // Nothing to record: a picture of another scene would mislead.
                cc.egui_ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                return Ok(Box::new(app));
            }
            if let Some(gif) = &request.gif {
                app.pending_gif = Some(animation::GifRequest {
                    path: gif.path.clone(),
                    fps: gif.fps,
                    frames: gif.frames,
                    size: gif.size,
                    region: animation::Region::Views,
                    range: None,
                });
                app.gif_result = Some(job_result_in_app.clone());
                app.model.sim.speed = Speed::Instant;
                app.model.sim.playing = true;
            }
            if let Some(path) = &request.screenshot {
                let mut job = export::ScreenshotJob::new(path.clone());
                job.result = job_result_in_app;
                app.export.job = Some(job);
                app.model.sim.speed = Speed::Instant;
                app.model.sim.playing = true;
            }
            Ok(Box::new(app))
        }),
    );
    if let Err(e) = outcome {
        let e = e.to_string();
        if e.contains("DISPLAY") {
            eprintln!(
                "error: could not open the window: no display (neither DISPLAY nor WAYLAND_DISPLAY is set); run it on a desktop, or under xvfb-run for --screenshot and --gif; the commands (descent run, race, basins, sweep, critical) need no display"
            );
        } else if e.contains("X server") || e.to_lowercase().contains("wayland") {
            // winit's text names its own source file: the display named is what matters.
            let set = |name: &str| {
                std::env::var(name)
                    .ok()
                    .filter(|d| !d.is_empty())
                    .map(|d| format!("{name}={d}"))
            };
            let named = set("DISPLAY")
                .or_else(|| set("WAYLAND_DISPLAY"))
                .unwrap_or_else(|| "the display".to_string());
            eprintln!(
                "error: could not open the window: {named} cannot be reached (is that display running, and may this user open windows on it?); the commands (descent run, race, basins, sweep, critical) need no display"
            );
        } else {
            eprintln!("error: could not open the window: {}", format::one_line(&e));
        }
        return 1;
    }
    if scene_failed.load(std::sync::atomic::Ordering::Relaxed) {
        return crate::cli::EXIT_USAGE;
    }
    let result = job_result.lock().ok().and_then(|mut r| r.take());
    if let Some(gif) = &gif {
        return match result {
            Some(Ok(())) => 0,
            Some(Err(_)) => 1,
            None => {
                eprintln!(
                    "error: the window closed before {} was saved",
                    gif.display()
                );
                1
            }
        };
    }
    match (screenshot, result) {
        (None, _) => 0,
        (Some(_), Some(Ok(()))) => 0,
        (Some(_), Some(Err(e))) => {
            eprintln!("error: {e}");
            1
        }
        (Some(path), None) => {
            eprintln!(
                "error: the window closed before {} was saved",
                path.display()
            );
            1
        }
    }
}
