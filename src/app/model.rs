//! The app's state and the one method that changes it: [`Model::apply`]. No egui in here,
//! so tests build a model, apply actions and check the result without a window.

use std::sync::Arc;

use super::action::{Action, DataEdit};
use super::lab::{BatchMode, LabSummary};
use super::settings::{
    MAX_BUDGET, MAX_SAVED, MAX_UI_ITERATIONS, SavedFunction, Settings, clean_name,
};
use super::simulation::{LabRuns, RunSetup, Simulation};
use crate::engine::expr::{Expr, ExprError};
use crate::engine::function::DataSource;
use crate::engine::lesson::{self, Lesson};
use crate::engine::objective::check_view;
use crate::engine::regression::{Dataset, LossObjective};
use crate::engine::{EngineError, FunctionSpec, Interval, Objective, OptimizerConfig, PresetKind};

/// How the notice of a scenario that could not be shown begins.
pub const SCENARIO_NOT_SHOWN: &str = "the scenario cannot be shown, nothing changed";

/// The most runs the window holds at once (a swarm of scattered starts included).
pub const MAX_RUNS: usize = crate::cli::MAX_WINDOW_RUNS;

/// With more runs than this the views draw them lightly (a line and the current point) and
/// the charts and the 3-D view show the selected run only: a swarm.
pub const SWARM: usize = 50;

/// How many changes undo walks back.
pub const UNDO_DEPTH: usize = 200;

/// A one-line message for the user, shown until replaced or dismissed.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// Something went as asked (e.g. a file was saved).
    Info(String),
    /// Something was refused, with the reason.
    Error(String),
}

/// What undo restores: the settings with the runs, and where the animation stood.
#[derive(Clone, Debug)]
struct Snapshot {
    settings: Settings,
    selected: usize,
    shown: usize,
    lab_data: Option<Arc<Dataset>>,
}

/// Undo and redo stacks; consecutive actions of one gesture merge into one step.
#[derive(Clone, Debug, Default)]
struct History {
    undo: Vec<Snapshot>,
    redo: Vec<Snapshot>,
    /// The merge key of the last recorded action while its gesture is still going on.
    open: Option<u8>,
    /// Counts changes (undoable actions, undo and redo), so a view can tell whether the
    /// change it caused is still the last one.
    revision: u64,
}

/// The app's state: settings, runs and the lab's data.
pub struct Model {
    /// What is saved between sessions (the runs are mirrored from the simulation).
    pub settings: Settings,
    /// Runs and animation.
    pub sim: Simulation,
    /// The regression lab's data, as fitted (standardized if asked).
    pub lab_data: Option<Arc<Dataset>>,
    /// What the lab's views need of the data, computed once per data set.
    pub lab_summary: Option<LabSummary>,
    /// The last message to the user.
    pub notice: Option<Notice>,
    /// What is wrong with the formula typed in "Your function...", if anything.
    pub formula_error: Option<ExprError>,
    /// Runs the formula being typed could not take (a start outside its domain): each edit
    /// of the formula tries them again.
    held_runs: Vec<RunSetup>,
    /// Raw data read or generated for a source, so undo and re-applying need no I/O.
    loaded: Option<(DataSource, Arc<Dataset>)>,
    history: History,
    /// The lesson open in the Lessons panel, and its step.
    pub lesson: Option<LessonState>,
    /// Why the last scene (a lesson step, or its data) could not be shown, until the window
    /// takes it (a `--screenshot` or `--gif` then fails rather than picture another scene).
    pub scene_error: Option<String>,
}

/// An open lesson and the step shown.
#[derive(Clone, Debug, PartialEq)]
pub struct LessonState {
    /// The lesson.
    pub lesson: Lesson,
    /// The step whose scene was set last (from 0).
    pub step: usize,
}

impl Default for Model {
    fn default() -> Self {
        Self::new(Settings::default())
    }
}

impl Model {
    /// The model with `settings`; runs that do not fit the function are dropped with a notice.
    pub fn new(settings: Settings) -> Self {
        let settings = settings.sanitized();
        let bowl = || {
            PresetKind::Bowl
                .objective(None)
                .expect("the bowl has no options to get wrong")
        };
        let mut sim = Simulation::new(bowl(), settings.iterations, settings.effective_tol());
        sim.speed = settings.speed;
        let _ = sim.set_equal_budget(settings.budget);
        let mut model = Self {
            sim,
            settings,
            lab_data: None,
            lab_summary: None,
            notice: None,
            formula_error: None,
            held_runs: Vec::new(),
            loaded: None,
            history: History::default(),
            lesson: None,
            scene_error: None,
        };
        let saved = std::mem::take(&mut model.settings.runs);
        let function = model.settings.function.clone();
        if let Err(e) = model.show_function(&function, saved) {
            model.notice = Some(Notice::Error(e));
            let fallback = if function.is_regression() {
                // The saved data source failed (a moved CSV file): the lab's own data.
                FunctionSpec::Regression {
                    data: DataSource::Generated(model.settings.lab.spec),
                    standardize: false,
                }
            } else {
                FunctionSpec::default()
            };
            if model.show_function(&fallback, Vec::new()).is_err() {
                let _ = model.show_function(&FunctionSpec::default(), Vec::new());
            }
        }
        model.refresh_formula_error();
        model
    }

    /// The objective shown.
    pub fn objective(&self) -> &Arc<dyn Objective> {
        self.sim.objective()
    }

    /// The view box: the user's, or the function's own.
    pub fn view(&self) -> Vec<Interval> {
        match &self.settings.view {
            Some(view) if view.len() == self.objective().dim() => view.clone(),
            _ => self.objective().info().view.clone(),
        }
    }

    /// The saved function shown, if the function is one.
    pub fn saved_shown(&self) -> Option<usize> {
        let FunctionSpec::Formula(expr) = &self.settings.function else {
            return None;
        };
        self.settings
            .saved
            .iter()
            .position(|saved| saved.formula.trim() == expr.text())
    }

    /// Whether the regression lab is shown.
    pub fn in_lab(&self) -> bool {
        self.settings.function.is_regression()
    }

    /// Whether there is a change to undo.
    pub fn can_undo(&self) -> bool {
        !self.history.undo.is_empty()
    }

    /// Whether there is a change to redo.
    pub fn can_redo(&self) -> bool {
        !self.history.redo.is_empty()
    }

    /// A number that changes with every undoable action, undo and redo.
    pub fn revision(&self) -> u64 {
        self.history.revision
    }

    /// Ends the current gesture: the next action starts a new undo step.
    pub fn end_gesture(&mut self) {
        self.history.open = None;
    }

    /// Applies every action in order.
    pub fn apply_all(&mut self, actions: impl IntoIterator<Item = Action>) {
        for action in actions {
            self.apply(action);
        }
    }

    /// Applies one action: the only way the state changes.
    pub fn apply(&mut self, action: Action) {
        if action.is_undoable() || matches!(action, Action::Undo | Action::Redo) {
            self.history.revision += 1;
        }
        if action.is_undoable() {
            let key = action.merge_key();
            if key.is_none() || key != self.history.open {
                let snapshot = self.snapshot();
                self.history.undo.push(snapshot);
                if self.history.undo.len() > UNDO_DEPTH {
                    self.history.undo.remove(0);
                }
                self.history.redo.clear();
            }
            self.history.open = key;
        }
        match action {
            Action::SetFunction(spec) => {
                if let Err(e) = self.set_function(&spec) {
                    self.notice = Some(Notice::Error(e));
                }
            }
            Action::SetStart(start) => self.set_start(start),
            Action::AddRun(start) => self.add_run(start),
            Action::Race(lanes) => self.race(lanes),
            Action::Scatter { count, seed } => self.scatter(count, seed),
            Action::RemoveRun(i) => self.sim.remove_run(i),
            Action::SelectRun(i) => {
                if let Some(slot) = self.sim.slots().get(i) {
                    self.settings.optimizer = slot.setup.optimizer;
                    self.sim.selected = i;
                }
            }
            Action::ClearRuns => self.sim.clear(),
            Action::SetOptimizer(config) => match config.validate() {
                Ok(()) => {
                    self.settings.optimizer = config;
                    self.update_selected(|setup| setup.optimizer = config);
                }
                Err(e) => self.notice = Some(Notice::Error(e.to_string())),
            },
            Action::SetIterations(iterations) => {
                if iterations > MAX_UI_ITERATIONS {
                    self.notice = Some(Notice::Error(format!(
                        "iterations: at most {MAX_UI_ITERATIONS}, got {iterations}"
                    )));
                }
                self.settings.iterations = iterations.clamp(1, MAX_UI_ITERATIONS);
                self.apply_limits();
            }
            Action::SetBudget(budget) => match budget {
                Some(b) if !(1..=MAX_BUDGET).contains(&b) => {
                    self.notice = Some(Notice::Error(format!(
                        "the budget must be between 1 and {MAX_BUDGET} gradient evaluations, got {b}"
                    )));
                }
                _ => {
                    self.settings.budget = budget;
                    let result = self.sim.set_equal_budget(budget);
                    self.report(result);
                }
            },
            Action::SetTolerance { enabled, tol } => {
                self.settings.use_tolerance = enabled;
                if tol.is_finite() && (1e-12..=1.0).contains(&tol) {
                    self.settings.tolerance = tol;
                } else {
                    self.notice = Some(Notice::Error(format!(
                        "the tolerance must be between 1e-12 and 1, got {}",
                        crate::engine::format::human(tol)
                    )));
                }
                self.apply_limits();
            }
            Action::SetAppearance(appearance) => {
                self.settings.appearance = appearance.sanitized();
            }
            Action::SetSpeed(speed) => {
                let speed = match speed {
                    super::simulation::Speed::PerSecond(rate) if rate.is_finite() => {
                        super::simulation::Speed::PerSecond(rate.clamp(1.0, 1000.0))
                    }
                    super::simulation::Speed::PerSecond(_) => self.settings.speed,
                    instant => instant,
                };
                self.settings.speed = speed;
                self.sim.speed = speed;
            }
            Action::TogglePlay => self.sim.toggle_play(),
            Action::Step => self.sim.step_once(),
            Action::Reset => self.sim.restart(),
            Action::ScrubTo(k) => self.sim.scrub_to(k),
            Action::SetPreview(on) => self.sim.preview = on,
            Action::SetDisplay(display) => self.settings.display = display.sanitized(),
            Action::SetChartLog(on) => self.settings.chart_log = on,
            Action::SetLabData(data) => {
                let spec = FunctionSpec::Regression {
                    data,
                    standardize: self.settings.lab.standardize,
                };
                if let Err(e) = self.set_function(&spec) {
                    self.notice = Some(Notice::Error(e));
                }
            }
            Action::SetStandardize(on) => {
                let spec = FunctionSpec::Regression {
                    data: self.settings.lab.data.clone(),
                    standardize: on,
                };
                if let Err(e) = self.set_function(&spec) {
                    self.notice = Some(Notice::Error(e));
                }
            }
            Action::SetBatch { mode, size } => {
                let n = self.lab_data.as_ref().map_or(2, |d| d.len());
                self.settings.lab.mode = mode;
                self.settings.lab.batch_size = size.clamp(1, n.max(1));
                let batch = self.settings.lab.batch_for_new_runs();
                self.update_selected(|setup| setup.batch = batch);
            }
            Action::SetLabTraining {
                epochs,
                seed,
                shuffle,
            } => self.set_lab_training(epochs, seed, shuffle),
            Action::SetBatchContours(on) => self.settings.lab.show_batch_contours = on,
            Action::EditGenerator(spec) => self.settings.lab.spec = spec,
            Action::EditCsvPath(path) => self.settings.lab.csv_path = path,
            Action::EditFormula(text) => self.edit_formula(text),
            Action::SetView(view) => self.set_view(view),
            Action::SaveFunction(name) => self.save_function(&name),
            Action::OpenSaved(i) => {
                if let Some(saved) = self.settings.saved.get(i).cloned() {
                    self.edit_formula(saved.formula.clone());
                    match &self.formula_error {
                        None => self.set_view(saved.view),
                        // Kept from a newer version or a hand edit: said, not lost.
                        Some(e) => {
                            self.notice = Some(Notice::Error(format!(
                                "the saved function \"{}\" cannot be read: {} (its formula: {})",
                                saved.name,
                                e.message,
                                crate::engine::format::one_line(&saved.formula)
                            )));
                        }
                    }
                }
            }
            Action::RenameSaved(i, name) => {
                let name = clean_name(&name);
                if let Some(saved) = self.settings.saved.get_mut(i) {
                    saved.name = name;
                }
            }
            Action::RemoveSaved(i) => {
                if i < self.settings.saved.len() {
                    self.settings.saved.remove(i);
                }
            }
            Action::Undo => self.travel(true),
            Action::Redo => self.travel(false),
            Action::OpenLesson { name, text, folder } => {
                match lesson::parse_in(&name, &text, folder.as_deref()) {
                    Ok(lesson) => {
                        self.lesson = Some(LessonState { lesson, step: 0 });
                        self.enter_step(0);
                    }
                    Err(e) => {
                        self.notice = Some(Notice::Error(format!("lesson '{name}', {e}")));
                    }
                }
            }
            Action::LessonStep(k) => self.enter_step(k),
            Action::CloseLesson => self.lesson = None,
            Action::Refused(reason) => self.notice = Some(Notice::Error(reason)),
            Action::OpenScenario { settings, skipped } => self.open_scenario(*settings, &skipped),
            Action::EditData(edit) => self.edit_data(edit),
        }
    }

    /// Moves, adds or removes one of the lab's points; the loss, its landscape and every run
    /// are rebuilt on the edited data (undo brings the data before back).
    fn edit_data(&mut self, edit: DataEdit) {
        let Some(data) = self.lab_data.clone() else {
            return;
        };
        if self.settings.lab.standardize {
            self.notice = Some(Notice::Error(
                "turn off \"Standardize x\" to edit the points".to_string(),
            ));
            return;
        }
        let (mut x, mut y) = (data.x.clone(), data.y.clone());
        let finite = |a: f64, b: f64| a.is_finite() && b.is_finite();
        match edit {
            DataEdit::Move {
                index,
                x: nx,
                y: ny,
            } if index < x.len() && finite(nx, ny) => {
                x[index] = nx;
                y[index] = ny;
            }
            DataEdit::Add { x: nx, y: ny } if finite(nx, ny) => {
                x.push(nx);
                y.push(ny);
            }
            DataEdit::Remove { index } if index < x.len() => {
                x.remove(index);
                y.remove(index);
            }
            _ => return,
        }
        match Dataset::new(x, y) {
            Ok(edited) => {
                let runs = self.sim.setups();
                let edited = Arc::new(edited);
                // The edited points are the source from now on, saved with the session and
                // in scenarios.
                let source = DataSource::Points(edited.clone());
                self.settings.lab.data = source.clone();
                self.settings.function = self.settings.lab_function();
                self.loaded = Some((source, edited.clone()));
                self.set_lab_data(edited);
                self.enter_lab_with(runs);
                self.sim.restart();
            }
            Err(e) => self.notice = Some(Notice::Error(format!("the points: {e}"))),
        }
    }

    /// Shows a scenario's setup, keeping the user's own saved functions.
    fn open_scenario(&mut self, settings: Settings, skipped: &[String]) {
        let mut snapshot = self.snapshot();
        let saved = std::mem::take(&mut snapshot.settings.saved);
        let speed = settings.speed;
        let appearance = snapshot.settings.appearance;
        snapshot.settings = Settings {
            saved,
            appearance,
            ..settings
        }
        .sanitized();
        if let Err(e) = self.show_scene(snapshot) {
            self.notice = Some(Notice::Error(format!("{SCENARIO_NOT_SHOWN}: {e}")));
            return;
        }
        // The scene is the scenario's now: a lesson's text beside it would describe another.
        self.lesson = None;
        self.sim.speed = speed;
        // What the scene could not take, said with it: skipped fields and dropped runs.
        let mut problems = Vec::new();
        if !skipped.is_empty() {
            problems.push(format!(
                "skipped (unknown or unreadable) or brought into range: {}",
                super::scenario::describe_skipped(skipped)
            ));
        }
        if let Some(Notice::Error(e)) = self.notice.take() {
            problems.push(e);
        }
        self.notice = Some(if problems.is_empty() {
            Notice::Info("scenario opened".to_string())
        } else {
            Notice::Error(format!("scenario opened; {}", problems.join("; ")))
        });
    }

    /// Sets the scene of step `k` of the open lesson (the last step if `k` is past it) and
    /// plays it: its function and view, its runs, iterations and layout.
    fn enter_step(&mut self, k: usize) {
        let Some(state) = &mut self.lesson else {
            return;
        };
        state.step = k.min(state.lesson.steps.len() - 1);
        let step = state.lesson.steps[state.step].clone();
        let mut snapshot = self.snapshot();
        let settings = &mut snapshot.settings;
        settings.function = step.function.clone();
        if let FunctionSpec::Formula(expr) = &step.function {
            // The "Your function..." field shows the formula of the scene.
            settings.formula = expr.text().to_string();
        }
        settings.view = step.view.clone();
        settings.iterations = step.iterations;
        settings.use_tolerance = false;
        settings.budget = None;
        settings.runs = step
            .runs
            .iter()
            .enumerate()
            .map(|(i, run)| RunSetup {
                start: run.start.clone(),
                optimizer: run.optimizer,
                color: i,
                batch: run.batch,
            })
            .collect();
        settings.optimizer = step.runs[0].optimizer;
        if let FunctionSpec::Regression { data, standardize } = &step.function {
            let lab = &mut settings.lab;
            lab.data = data.clone();
            if let DataSource::Generated(spec) = data {
                lab.spec = *spec;
            }
            lab.standardize = *standardize;
            lab.epochs = step.epochs.unwrap_or(lab.epochs);
            lab.seed = step.seed;
            lab.shuffle = step.shuffle;
            lab.mode = Self::mode_of(step.runs[0].batch);
            if let Some(size) = step.runs[0].batch.filter(|&s| s > 1) {
                lab.batch_size = size;
            }
        }
        settings.display.layout = match step.layout.as_deref() {
            Some("3d") => crate::cli::Layout::ThreeD,
            Some("both") => crate::cli::Layout::Both,
            Some(_) => crate::cli::Layout::TwoD,
            None => settings.display.layout,
        };
        for item in &step.show {
            let display = &mut settings.display;
            match item.as_str() {
                "tangent" => display.tangent = true,
                "slices" => display.slices = true,
                "critical" => display.critical = true,
                "basins" => display.basins = true,
                "arrows" => display.show_quiver = true,
                "batch-contours" => settings.lab.show_batch_contours = true,
                _ => {}
            }
        }
        match self.show_scene(snapshot) {
            Ok(()) => self.sim.playing = step.play,
            Err(e) => {
                let message = format!("step {} cannot be shown: {e}", k + 1);
                self.scene_error = Some(message.clone());
                self.notice = Some(Notice::Error(message));
            }
        }
    }

    /// Shows the settings of `snapshot` as a new scene (a scenario, a lesson step): its
    /// function, view and runs from the first run and iteration 0, the data read anew from
    /// its source, and plays it. If it cannot be shown (its data file is gone), the state
    /// stays as it was.
    fn show_scene(&mut self, mut snapshot: Snapshot) -> Result<(), String> {
        snapshot.selected = 0;
        snapshot.shown = 0;
        snapshot.lab_data = None;
        let before = self.snapshot();
        // What was said of the scene before (a saved session's missing data file) is not
        // said of this one.
        self.notice = None;
        if let Err(e) = self.restore(snapshot) {
            let _ = self.restore(before);
            return Err(e);
        }
        if self.sim.slots().is_empty() {
            // A scene written without runs (a hand-made scenario) gets the default run.
            let setup = self.default_setup();
            let _ = self.sim.add_run(setup);
        }
        // A run the scene could not make is said, even when the limits then fit.
        let dropped = self.notice.take();
        self.apply_limits();
        if self.notice.is_none() {
            self.notice = dropped;
        }
        self.sim.restart();
        Ok(())
    }

    /// Stores raw data for `source`, read or generated elsewhere (a background job), so that
    /// applying an action with that source needs no I/O.
    pub fn provide_data(&mut self, source: DataSource, data: Arc<Dataset>) {
        self.loaded = Some((source, data));
    }

    /// Whether data for `source` is at hand without reading a file.
    pub fn has_data_for(&self, source: &DataSource) -> bool {
        matches!(source, DataSource::Generated(_) | DataSource::Points(_))
            || self.loaded.as_ref().is_some_and(|(s, _)| s == source)
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            settings: Settings {
                runs: self.sim.setups(),
                ..self.settings.clone()
            },
            selected: self.sim.selected,
            shown: self.sim.shown(),
            lab_data: self.lab_data.clone(),
        }
    }

    /// Puts the state of `snapshot` back; an error (a data file that is gone) leaves the
    /// settings of `snapshot` with the previous function shown.
    fn restore(&mut self, snapshot: Snapshot) -> Result<(), String> {
        let Snapshot {
            mut settings,
            selected,
            shown,
            lab_data,
        } = snapshot;
        let runs = std::mem::take(&mut settings.runs);
        let no_runs = runs.is_empty();
        let function = settings.function.clone();
        let _ = self.sim.set_equal_budget(settings.budget);
        // How the window looks is not part of what undo restores.
        settings.appearance = self.settings.appearance;
        self.settings = settings;
        let result = match lab_data {
            Some(data) if function.is_regression() => {
                self.set_lab_data(data);
                self.enter_lab_with(runs);
                Ok(())
            }
            _ => self.show_function(&function, runs),
        };
        if result.is_ok() && no_runs {
            // A state without runs (after Clear runs) comes back without runs, not with the
            // default run a fresh function gets.
            self.sim.clear();
        }
        self.refresh_formula_error();
        self.sim.selected = selected.min(self.sim.slots().len().saturating_sub(1));
        self.sim.scrub_to(shown);
        result
    }

    /// Undo (`back`) or redo: restores the top of one stack, saving the present on the other.
    fn travel(&mut self, back: bool) {
        self.history.open = None;
        // The runs set aside belong to the state left; the one restored holds its own.
        self.held_runs.clear();
        let now = self.snapshot();
        let History { undo, redo, .. } = &mut self.history;
        let (from, to) = if back { (undo, redo) } else { (redo, undo) };
        if let Some(snapshot) = from.pop() {
            to.push(now);
            if let Err(e) = self.restore(snapshot) {
                self.notice = Some(Notice::Error(e));
            }
        }
    }

    /// A run from the function's default start with the current optimizer.
    fn default_setup(&self) -> RunSetup {
        RunSetup {
            start: self.objective().info().default_start.clone(),
            optimizer: self.settings.optimizer,
            color: 0,
            batch: self.batch_for_new_runs(),
        }
    }

    /// The batch size new runs get: the lab's current mode, or none outside the lab.
    fn batch_for_new_runs(&self) -> Option<usize> {
        if self.in_lab() {
            self.settings.lab.batch_for_new_runs()
        } else {
            None
        }
    }

    fn next_color(&self) -> usize {
        (0..)
            .find(|c| !self.sim.slots().iter().any(|s| s.setup.color == *c))
            .unwrap_or(0)
    }

    /// Switches to `spec` with one run from its default start.
    fn set_function(&mut self, spec: &FunctionSpec) -> Result<(), String> {
        if spec.dim() > 2 {
            return Err(format!(
                "{} is n-dimensional and has no window view; use `descent run`",
                spec.name()
            ));
        }
        let was = self.settings.function.clone();
        // Editing a formula keeps the runs when they fit the new one, with those an
        // earlier edit set aside.
        let runs = match (&was, spec) {
            (FunctionSpec::Formula(a), FunctionSpec::Formula(b)) if a.dim() == b.dim() => {
                let mut runs = self.sim.setups();
                for held in std::mem::take(&mut self.held_runs) {
                    if !runs.contains(&held) {
                        runs.push(held);
                    }
                }
                runs
            }
            _ => Vec::new(),
        };
        // What showing it says (runs set aside) is the notice now.
        self.notice = None;
        self.show_function(spec, runs)?;
        if was != *spec {
            // A typed f range belongs to the function it was typed for.
            self.settings.display.z_range = None;
        }
        if !spec.is_regression() && was != *spec {
            self.settings.display.log_color = spec.prefers_log_color();
            self.settings.view = None;
        }
        if let FunctionSpec::Formula(expr) = spec {
            self.settings.formula = expr.text().to_string();
            self.formula_error = None;
        }
        Ok(())
    }

    /// Takes the formula as typed: shows it if it parses, else keeps the function and
    /// records the error.
    fn edit_formula(&mut self, text: String) {
        let parsed = Expr::parse(&text);
        self.settings.formula = text;
        match parsed {
            Ok(expr) => {
                let spec = FunctionSpec::Formula(expr);
                if spec != self.settings.function
                    && let Err(e) = self.set_function(&spec)
                {
                    self.notice = Some(Notice::Error(e));
                }
                self.formula_error = None;
            }
            Err(e) => self.formula_error = Some(e),
        }
    }

    /// Sets the view box after checking it fits the function.
    fn set_view(&mut self, view: Option<Vec<Interval>>) {
        match view {
            None => self.settings.view = None,
            Some(view) if view.len() != self.objective().dim() => {
                self.notice = Some(Notice::Error(format!(
                    "a view box of {} ranges does not fit a function of {} variables",
                    view.len(),
                    self.objective().dim()
                )));
            }
            Some(view) => match check_view(&view) {
                Ok(()) => self.settings.view = Some(view),
                Err(e) => self.notice = Some(Notice::Error(format!("view: {e}"))),
            },
        }
    }

    /// Keeps the typed function shown under `name`, with its view box.
    fn save_function(&mut self, name: &str) {
        let FunctionSpec::Formula(expr) = &self.settings.function else {
            self.notice = Some(Notice::Error(
                "only a typed function can be saved: pick \"Your function...\" first".to_string(),
            ));
            return;
        };
        let name = clean_name(name);
        if name.is_empty() {
            self.notice = Some(Notice::Error(
                "give the function a name to save it".to_string(),
            ));
            return;
        }
        let saved = SavedFunction {
            name: name.clone(),
            formula: expr.text().to_string(),
            view: self.settings.view.clone(),
        };
        if let Some(existing) = self.settings.saved.iter_mut().find(|s| s.name == name) {
            *existing = saved;
        } else if self.settings.saved.len() >= MAX_SAVED {
            self.notice = Some(Notice::Error(format!(
                "at most {MAX_SAVED} functions can be kept: remove one first"
            )));
            return;
        } else {
            self.settings.saved.push(saved);
        }
        self.notice = Some(Notice::Info(format!("saved \"{name}\"")));
    }

    /// Parses the typed formula again (after loading or undo) to show its error.
    fn refresh_formula_error(&mut self) {
        self.formula_error = Expr::parse(&self.settings.formula).err();
    }

    /// Builds `spec` and shows it with `runs` (its default run if none fit).
    fn show_function(&mut self, spec: &FunctionSpec, runs: Vec<RunSetup>) -> Result<(), String> {
        if let FunctionSpec::Regression { data, standardize } = spec {
            let raw = self.raw_data(data)?;
            let fitted = if *standardize {
                Arc::new(raw.standardized().map_err(|e| e.to_string())?)
            } else {
                raw
            };
            self.settings.lab.data = data.clone();
            self.settings.lab.standardize = *standardize;
            self.settings.function = spec.clone();
            self.set_lab_data(fitted);
            let keep = if runs.is_empty() && self.sim.lab().is_some() {
                self.sim.setups()
            } else {
                runs
            };
            self.enter_lab_with(keep);
            return Ok(());
        }
        let function = spec.build().map_err(|e| e.to_string())?;
        self.settings.function = spec.clone();
        self.sim.set_lab(None);
        self.lab_data = None;
        self.lab_summary = None;
        let mut runs = runs;
        if runs.is_empty() {
            runs.push(RunSetup {
                start: function.objective.info().default_start.clone(),
                optimizer: self.settings.optimizer,
                color: 0,
                batch: None,
            });
        }
        let order = runs.clone();
        let errors = self.sim.reset_with(
            function.objective,
            self.settings.iterations,
            self.settings.effective_tol(),
            runs,
        );
        // Runs a formula being typed cannot take wait for one that can (a prefix such as
        // `log(y` on the way to `log(y+3)` must not lose them).
        let typed = matches!(spec, FunctionSpec::Formula(_));
        self.held_runs = if typed {
            errors.iter().map(|(setup, _)| setup.clone()).collect()
        } else {
            Vec::new()
        };
        if let Some((first, e)) = errors.first() {
            // Runs are numbered from 1 in the order given (a scenario's, the session's).
            let number = order.iter().position(|r| r == first).map_or(1, |i| i + 1);
            let said = match e {
                // The engine's hint names the command line's --dim; a file writes it in the
                // function's text.
                crate::engine::EngineError::StartDimension {
                    function,
                    expected,
                    got,
                    names,
                } if function == "sum-squares" && *got >= 1 => format!(
                    "start has {got} coordinate{} but sum-squares takes {expected} ({names}); for {got}, write the function as \"sum-squares --dim {got}\"",
                    if *got == 1 { "" } else { "s" }
                ),
                e => e.to_string(),
            };
            let dropped = match (errors.len(), typed) {
                (1, false) => format!("saved run {number} was dropped"),
                (n, false) => format!("{n} saved runs were dropped, the first (run {number})"),
                (1, true) => {
                    format!("run {number} is set aside until the formula takes its start")
                }
                (n, true) => format!(
                    "{n} runs are set aside until the formula takes their starts, the first (run {number})"
                ),
            };
            self.notice = Some(Notice::Error(format!("{dropped}: {said}")));
        }
        if self.sim.slots().is_empty() && self.held_runs.is_empty() {
            let setup = self.default_setup();
            let _ = self.sim.add_run(setup);
        }
        Ok(())
    }

    /// The raw points of `source`: from the cache, generated, or read from the file.
    fn raw_data(&mut self, source: &DataSource) -> Result<Arc<Dataset>, String> {
        if let Some((cached, data)) = &self.loaded
            && cached == source
        {
            return Ok(data.clone());
        }
        let data = Arc::new(source.load().map_err(|e| e.to_string())?);
        self.loaded = Some((source.clone(), data.clone()));
        Ok(data)
    }

    /// Sets the lab's data and the summary the views read every frame.
    fn set_lab_data(&mut self, data: Arc<Dataset>) {
        let (lo, hi) = data
            .x
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            });
        self.lab_summary = Some(LabSummary {
            x_range: (lo, hi),
            best: data.stats().least_squares(),
        });
        self.lab_data = Some(data);
    }

    /// Puts the lab's data into the simulation with `setups` as its runs (one default run if
    /// none fit).
    fn enter_lab_with(&mut self, setups: Vec<RunSetup>) {
        let Some(data) = self.lab_data.clone() else {
            return;
        };
        let objective: Arc<dyn Objective> = Arc::new(LossObjective::new(&data));
        self.sim.set_lab(Some(LabRuns {
            data,
            seed: self.settings.lab.seed,
            epochs: self.settings.lab.epochs,
            shuffle: self.settings.lab.shuffle,
        }));
        let iterations = self.sim.lab().map_or(1, |lab| lab.steps(None));
        let errors =
            self.sim
                .reset_with(objective, iterations, self.settings.effective_tol(), setups);
        if let Some((_, e)) = errors.first() {
            self.notice = Some(Notice::Error(e.to_string()));
        }
        if self.sim.slots().is_empty() {
            let setup = RunSetup {
                start: vec![0.0, 0.0],
                ..self.default_setup()
            };
            let _ = self.sim.add_run(setup);
        }
    }

    /// Changes epochs, the shuffles' seed and whether to shuffle: the runs are rebuilt, the
    /// data stays.
    fn set_lab_training(&mut self, epochs: u64, seed: u64, shuffle: bool) {
        self.settings.lab.epochs = epochs.clamp(1, 10_000);
        self.settings.lab.seed = seed;
        self.settings.lab.shuffle = shuffle;
        if let Some(lab) = self.sim.lab().cloned() {
            self.sim.set_lab(Some(LabRuns {
                epochs: self.settings.lab.epochs,
                seed,
                shuffle,
                ..lab
            }));
            let result = self.sim.rebuild();
            self.report(result);
        }
    }

    /// Sets the start of the selected run (creating one if there is none) and restarts it.
    fn set_start(&mut self, start: Vec<f64>) {
        let setup = match self.sim.selected_slot() {
            Some(slot) => RunSetup {
                start,
                ..slot.setup.clone()
            },
            None => RunSetup {
                start,
                optimizer: self.settings.optimizer,
                color: self.next_color(),
                batch: self.batch_for_new_runs(),
            },
        };
        let result = self.sim.set_selected(setup);
        self.report(result);
    }

    /// Replaces the runs by one per optimizer in `lanes`, from the selected run's start
    /// (the function's own if there is none), and plays them from iteration 0.
    fn race(&mut self, lanes: Vec<OptimizerConfig>) {
        if lanes.is_empty() {
            self.notice = Some(Notice::Error(
                "a race needs at least one optimizer".to_string(),
            ));
            return;
        }
        if let Some(bad) = lanes.iter().find_map(|c| c.validate().err()) {
            self.notice = Some(Notice::Error(format!("race: {bad}")));
            return;
        }
        let (start, batch) = self.sim.selected_slot().map_or_else(
            || {
                (
                    self.objective().info().default_start.clone(),
                    self.batch_for_new_runs(),
                )
            },
            |s| (s.setup.start.clone(), s.setup.batch),
        );
        self.sim.clear();
        for (color, optimizer) in lanes.into_iter().take(MAX_RUNS).enumerate() {
            let result = self.sim.add_run(RunSetup {
                start: start.clone(),
                optimizer,
                color,
                batch,
            });
            self.report(result);
        }
        self.sim.selected = 0;
        if let Some(slot) = self.sim.selected_slot() {
            self.settings.optimizer = slot.setup.optimizer;
        }
        self.sim.restart();
    }

    /// Adds a run from `start` with the selected run's optimizer, in a new color.
    /// Adds `count` runs from starts drawn uniformly in the view with `seed`, each with the
    /// selected run's settings; starts outside the domain are skipped and counted.
    fn scatter(&mut self, count: usize, seed: u64) {
        use rand::{RngExt, SeedableRng};
        if self.in_lab() {
            self.notice = Some(Notice::Error(
                "Scatter is for functions; in the lab, Shift+click adds a run".to_string(),
            ));
            return;
        }
        let room = MAX_RUNS - self.sim.slots().len().min(MAX_RUNS);
        let wanted = count.min(room);
        let view = self.view();
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(seed);
        let before = self.sim.slots().len();
        let selected = self.sim.selected;
        let mut skipped = 0;
        for _ in 0..wanted {
            let start: Vec<f64> = view
                .iter()
                .map(|v| v.lo + (v.hi - v.lo) * rng.random::<f64>())
                .collect();
            let (optimizer, batch) = self
                .sim
                .slots()
                .get(selected)
                .map_or((self.settings.optimizer, None), |s| {
                    (s.setup.optimizer, s.setup.batch)
                });
            let setup = RunSetup {
                start,
                optimizer,
                color: self.sim.slots().len(),
                batch,
            };
            if self.sim.add_run(setup).is_err() {
                skipped += 1;
            }
        }
        // The run whose settings the swarm copied stays selected.
        if before > 0 {
            self.sim.selected = selected.min(self.sim.slots().len().saturating_sub(1));
        }
        let added = self.sim.slots().len() - before;
        let mut message = format!("scattered {added} starts (seed {seed})");
        if skipped > 0 {
            message.push_str(&format!("; {skipped} fell outside the domain"));
        }
        if wanted < count {
            message.push_str(&format!(
                "; {} more would pass the window's {MAX_RUNS} runs",
                count - wanted
            ));
        }
        self.notice = Some(if wanted < count {
            Notice::Error(message)
        } else {
            Notice::Info(message)
        });
    }

    fn add_run(&mut self, start: Vec<f64>) {
        if self.sim.slots().len() >= MAX_RUNS {
            self.notice = Some(Notice::Error(format!(
                "the window holds at most {MAX_RUNS} runs: remove some (or Clear runs) first"
            )));
            return;
        }
        let (optimizer, batch) = self
            .sim
            .selected_slot()
            .map_or((self.settings.optimizer, self.batch_for_new_runs()), |s| {
                (s.setup.optimizer, s.setup.batch)
            });
        let setup = RunSetup {
            start,
            optimizer,
            color: self.next_color(),
            batch,
        };
        let result = self.sim.add_run(setup);
        self.report(result);
    }

    /// Changes the selected run's setup with `change` and restarts it, if there is one.
    fn update_selected(&mut self, change: impl FnOnce(&mut RunSetup)) {
        if let Some(slot) = self.sim.selected_slot() {
            let mut setup = slot.setup.clone();
            change(&mut setup);
            let result = self.sim.set_selected(setup);
            self.report(result);
        }
    }

    /// Applies the iteration (or, in the lab, epoch) and tolerance settings to every run.
    fn apply_limits(&mut self) {
        let iterations = match self.sim.lab() {
            Some(lab) => lab.steps(None),
            None => self.settings.iterations,
        };
        let result = self
            .sim
            .set_limits(iterations, self.settings.effective_tol());
        self.report(result);
    }

    fn report(&mut self, result: Result<(), EngineError>) {
        match result {
            Ok(()) => {
                if matches!(self.notice, Some(Notice::Error(_))) {
                    self.notice = None;
                }
            }
            Err(e) => self.notice = Some(Notice::Error(e.to_string())),
        }
    }

    /// The lab's batch mode of run `batch` (for the controls).
    pub fn mode_of(batch: Option<usize>) -> BatchMode {
        super::lab::LabSettings::mode_of(batch)
    }
}
