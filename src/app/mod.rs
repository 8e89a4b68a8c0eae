//! The eframe app: a thin layer of views over the engine's runs.
//!
//! - `simulation.rs`: runs, animation clock and shown iteration (no egui).
//! - `field.rs`: heatmap, color scale, contours and quiver of the function.
//! - `view2d.rs` / `view1d.rs`: the central plot for surfaces and curves.
//! - `charts.rs`: f and |grad f| against the iteration.
//! - `controls.rs`: the side panel.
//! - `export.rs`: PNG screenshots and CSV paths.

pub mod charts;
pub mod controls;
pub mod export;
pub mod field;
pub mod lab;
pub mod simulation;
pub mod view1d;
pub mod view2d;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine::regression::{Dataset, LossObjective};
use crate::engine::{Objective, OptimizerConfig, OptimizerKind, PRESET_NAMES, preset};
use field::Colormap;
use simulation::{Progress, RunSetup, Simulation, Speed};

/// Wall time the optimizer may take per frame; longer computations finish over later frames.
pub const FRAME_BUDGET: Duration = Duration::from_millis(6);

/// The most iterations the controls accept when typed.
pub const MAX_UI_ITERATIONS: u64 = 1_000_000;

/// The name of the regression lab in the function picker.
pub const REGRESSION: &str = "regression";

/// What the function picker offers: every curve and surface, and the regression lab.
pub fn picker_functions() -> Vec<&'static str> {
    PRESET_NAMES
        .iter()
        .copied()
        .filter(|name| preset(name, None).is_ok_and(|o| o.dim() <= 2))
        .chain([REGRESSION])
        .collect()
}

/// Everything the app remembers between sessions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The preset shown.
    pub function: String,
    /// The runs on it.
    pub runs: Vec<RunSetup>,
    /// The optimizer new runs start with.
    pub optimizer: OptimizerConfig,
    /// Iterations per run.
    pub iterations: u64,
    /// Whether runs stop once |grad f| < tolerance.
    pub use_tolerance: bool,
    /// The convergence tolerance.
    pub tolerance: f64,
    /// Animation speed.
    pub speed: Speed,
    /// The heatmap's colormap.
    pub colormap: Colormap,
    /// Logarithmic color scale.
    pub log_color: bool,
    /// Draw contour lines.
    pub show_contours: bool,
    /// How many contour lines.
    pub contour_count: usize,
    /// Draw arrows of -grad f.
    pub show_quiver: bool,
    /// Arrows along the longer side of the view.
    pub quiver_density: usize,
    /// Logarithmic y axes in the charts.
    pub chart_log: bool,
    /// The regression lab.
    pub lab: lab::LabSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            function: "bowl".to_string(),
            runs: Vec::new(),
            optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.1),
            iterations: 100,
            use_tolerance: false,
            tolerance: 1e-6,
            speed: Speed::PerSecond(10.0),
            colormap: Colormap::Viridis,
            log_color: false,
            show_contours: true,
            contour_count: 12,
            show_quiver: true,
            quiver_density: 20,
            chart_log: false,
            lab: lab::LabSettings::default(),
        }
    }
}

impl Settings {
    /// Repairs anything a stale or hand-edited state file could hold: unknown function,
    /// out-of-range numbers. Runs are checked when they are rebuilt.
    pub fn sanitized(mut self) -> Self {
        let defaults = Self::default();
        if !picker_functions().contains(&self.function.as_str()) {
            self.function = defaults.function.clone();
            self.runs.clear();
        }
        if self.optimizer.validate().is_err() {
            self.optimizer = defaults.optimizer;
        }
        self.iterations = self.iterations.clamp(1, MAX_UI_ITERATIONS);
        if !(self.tolerance.is_finite() && self.tolerance > 0.0) {
            self.tolerance = defaults.tolerance;
        }
        if let Speed::PerSecond(rate) = self.speed
            && !(1.0..=1000.0).contains(&rate)
        {
            self.speed = defaults.speed;
        }
        self.contour_count = self.contour_count.clamp(1, 50);
        self.quiver_density = self.quiver_density.clamp(4, 60);
        self
    }

    /// The tolerance the engine uses (0 when the test is off).
    pub fn effective_tol(&self) -> f64 {
        if self.use_tolerance {
            self.tolerance
        } else {
            0.0
        }
    }
}

/// A one-line message for the user, shown until replaced or dismissed.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// Something went as asked (e.g. a file was saved).
    Info(String),
    /// Something was refused, with the reason.
    Error(String),
}

/// The descent window.
pub struct DescentApp {
    /// Saved settings (the runs are mirrored from the simulation when saving).
    pub settings: Settings,
    /// Runs and animation.
    pub sim: Simulation,
    /// Progress of the last frame's computation.
    pub progress: Progress,
    /// The last message to the user.
    pub notice: Option<Notice>,
    /// The central plot's transform, kept for tests that click the plot.
    pub plot_transform: Option<egui_plot::PlotTransform>,
    view2d: view2d::View2d,
    view1d: view1d::View1d,
    export: export::Export,
    /// Persist settings on exit (off for `--screenshot`).
    persist: bool,
    /// The regression lab's data, as fitted (standardized if asked).
    pub lab_data: Option<Arc<Dataset>>,
    /// What the lab's views need of the data, computed once per data set.
    pub lab_summary: Option<lab::LabSummary>,
    /// The log charts' reference value f*, keyed by the runs it was computed from.
    chart_reference: Option<((u64, u64, usize), f64)>,
}

impl Default for DescentApp {
    fn default() -> Self {
        Self::new(Settings::default())
    }
}

impl DescentApp {
    /// The app with `settings`; runs that do not fit the function are dropped with a notice.
    pub fn new(settings: Settings) -> Self {
        let settings = settings.sanitized();
        let objective = preset(&settings.function, None)
            .or_else(|_| preset("bowl", None))
            .expect("bowl exists");
        let in_lab = settings.function == REGRESSION;
        let mut sim = Simulation::new(objective, settings.iterations, settings.effective_tol());
        sim.speed = settings.speed;
        let mut app = Self {
            sim,
            settings,
            progress: Progress { done: 0, needed: 0 },
            notice: None,
            plot_transform: None,
            view2d: view2d::View2d::default(),
            view1d: view1d::View1d::default(),
            export: export::Export::default(),
            persist: true,
            lab_data: None,
            lab_summary: None,
            chart_reference: None,
        };
        if in_lab {
            let lab = app.settings.lab.clone();
            app.apply_lab(lab);
            if app.lab_data.is_none() {
                // The saved data source failed (a moved CSV file): fall back to generated data.
                let notice = app.notice.take();
                let lab = lab::LabSettings {
                    data_csv: None,
                    ..app.settings.lab.clone()
                };
                app.apply_lab(lab);
                app.notice = notice;
            }
            if app.lab_data.is_some() {
                let saved = app.settings.runs.clone();
                if !saved.is_empty() {
                    app.enter_lab_with(saved);
                }
                return app;
            }
            app.settings.function = "bowl".to_string();
        }
        let mut setups = app.settings.runs.clone();
        if setups.is_empty() {
            setups.push(app.default_setup());
        }
        let errors = app.sim.set_objective(app.sim.objective().clone(), setups);
        if let Some(e) = errors.first() {
            app.notice = Some(Notice::Error(format!("a saved run was dropped: {e}")));
        }
        if app.sim.slots().is_empty() {
            let setup = app.default_setup();
            let _ = app.sim.add_run(setup);
        }
        app
    }

    /// The app restored from eframe's storage, or defaults if there is none or it is unreadable.
    pub fn from_storage(storage: Option<&dyn eframe::Storage>) -> Self {
        let settings = storage
            .and_then(|s| eframe::get_value::<Settings>(s, eframe::APP_KEY))
            .unwrap_or_default();
        Self::new(settings)
    }

    /// Turns off saving settings on exit.
    pub fn without_persistence(mut self) -> Self {
        self.persist = false;
        self
    }

    /// The objective shown.
    pub fn objective(&self) -> &Arc<dyn Objective> {
        self.sim.objective()
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

    /// In the lab, sets the selected run's batch size (`None`: batch descent) and restarts it.
    pub fn set_batch(&mut self, batch: Option<usize>) {
        self.update_selected(|setup| setup.batch = batch);
    }

    /// Changes the selected run's setup with `change` and restarts it, if there is one.
    fn update_selected(&mut self, change: impl FnOnce(&mut RunSetup)) {
        if let Some(slot) = self.sim.selected_slot() {
            let mut setup = slot.setup.clone();
            change(&mut setup);
            let result = self.sim.set_selected(setup);
            self.apply(result);
        }
    }

    fn next_color(&self) -> usize {
        (0..)
            .find(|c| !self.sim.slots().iter().any(|s| s.setup.color == *c))
            .unwrap_or(0)
    }

    /// Switches to preset `name` (or the regression lab) with one run from its default start.
    pub fn set_function(&mut self, name: &str) {
        if name == REGRESSION {
            let previous = std::mem::replace(&mut self.settings.function, REGRESSION.to_string());
            let lab = self.settings.lab.clone();
            self.lab_data = None;
            self.apply_lab(lab);
            if self.lab_data.is_none() {
                self.settings.function = previous;
            }
            self.view2d.reset_view();
            return;
        }
        self.sim.set_lab(None);
        match preset(name, None) {
            Ok(objective) => {
                self.settings.function = name.to_string();
                self.settings.log_color = prefers_log_color(name);
                let setup = RunSetup {
                    start: objective.info().default_start.clone(),
                    optimizer: self.settings.optimizer,
                    color: 0,
                    batch: None,
                };
                let errors = self.sim.reset_with(
                    objective,
                    self.settings.iterations,
                    self.settings.effective_tol(),
                    vec![setup],
                );
                self.notice = errors.first().map(|e| Notice::Error(e.to_string()));
                self.view2d.reset_view();
                self.view1d.reset_view();
            }
            Err(e) => self.notice = Some(Notice::Error(e.to_string())),
        }
    }

    /// Sets the start of the selected run (creating one if there is none) and restarts it.
    pub fn set_start(&mut self, start: Vec<f64>) {
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
        self.apply(result);
    }

    /// Adds a run from `start` with the selected run's optimizer, in a new color.
    pub fn add_run_at(&mut self, start: Vec<f64>) {
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
        self.apply(result);
    }

    /// Changes the selected run's optimizer settings and restarts it.
    pub fn set_optimizer(&mut self, optimizer: OptimizerConfig) {
        self.settings.optimizer = optimizer;
        self.update_selected(|setup| setup.optimizer = optimizer);
    }

    /// Applies the iteration (or, in the lab, epoch) and tolerance settings to every run.
    pub fn apply_limits(&mut self) {
        let iterations = match self.sim.lab() {
            Some(lab) => lab.steps(None),
            None => self.settings.iterations,
        };
        let result = self
            .sim
            .set_limits(iterations, self.settings.effective_tol());
        self.apply(result);
    }

    /// Whether the regression lab is shown.
    pub fn in_lab(&self) -> bool {
        self.settings.function == REGRESSION
    }

    /// Puts the lab's data and training settings into the simulation: the loss over
    /// (intercept, slope) as the objective, mini-batches if asked, and the runs kept (their
    /// starts) when already in the lab.
    fn enter_lab(&mut self) {
        let setups = if self.objective().info().name == REGRESSION && !self.sim.slots().is_empty() {
            self.sim.setups()
        } else {
            vec![RunSetup {
                start: vec![0.0, 0.0],
                optimizer: self.settings.optimizer,
                color: 0,
                batch: self.settings.lab.batch_for_new_runs(),
            }]
        };
        self.enter_lab_with(setups);
    }

    /// [`Self::enter_lab`] with the given runs.
    fn enter_lab_with(&mut self, setups: Vec<RunSetup>) {
        let Some(data) = self.lab_data.clone() else {
            return;
        };
        let objective: Arc<dyn Objective> = Arc::new(LossObjective::new(&data));
        self.sim.set_lab(Some(simulation::LabRuns {
            data,
            seed: self.settings.lab.seed,
            epochs: self.settings.lab.epochs,
        }));
        let iterations = self.sim.lab().map_or(1, |lab| lab.steps(None));
        let errors =
            self.sim
                .reset_with(objective, iterations, self.settings.effective_tol(), setups);
        if let Some(e) = errors.first() {
            self.notice = Some(Notice::Error(e.to_string()));
        }
        if self.sim.slots().is_empty() {
            let setup = self.default_setup();
            let _ = self.sim.add_run(setup);
        }
    }

    fn apply(&mut self, result: Result<(), crate::engine::EngineError>) {
        match result {
            Ok(()) => {
                if matches!(self.notice, Some(Notice::Error(_))) {
                    self.notice = None;
                }
            }
            Err(e) => self.notice = Some(Notice::Error(e.to_string())),
        }
    }

    /// Space plays and pauses, Right arrow steps, R resets; not while typing in a field.
    fn handle_keys(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let (space, right, r) = ctx.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::NONE, egui::Key::Space),
                i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowRight),
                i.consume_key(egui::Modifiers::NONE, egui::Key::R),
            )
        });
        if space {
            self.sim.toggle_play();
        }
        if right {
            self.sim.step_once();
        }
        if r {
            self.sim.restart();
        }
    }

    /// Draws the whole window into `ui` and advances the simulation by one frame.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        // egui may run a frame in several passes; the clock and the keys belong to the first.
        let first_pass = ctx.current_pass_index() == 0;
        let was_preview = self.sim.preview;
        if first_pass {
            self.handle_keys(&ctx);
            let dt = ctx.input(|i| i.stable_dt).min(0.1) as f64;
            self.progress = self.sim.advance(dt, FRAME_BUDGET);
            // Controls set this again while one of their sliders is dragged.
            self.sim.preview = false;
        }

        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::left("controls")
            .resizable(true)
            .default_size(310.0)
            .min_size(260.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| controls::controls_ui(self, ui));
            });
        egui::Panel::bottom("charts")
            .resizable(true)
            .default_size(190.0)
            .min_size(120.0)
            .show(ui, |ui| charts::charts_ui(self, ui));
        egui::CentralPanel::default().show(ui, |ui| {
            if self.in_lab() {
                ui.columns(2, |columns| {
                    lab::scatter_ui(self, &mut columns[0]);
                    view2d::View2d::ui(self, &mut columns[1]);
                });
            } else if self.objective().dim() == 1 {
                view1d::View1d::ui(self, ui);
            } else {
                view2d::View2d::ui(self, ui);
            }
        });
        export::Export::ui(self, &ctx);

        if self.sim.playing || !self.progress.is_complete() || self.sim.preview || was_preview {
            ctx.request_repaint();
        }
    }

    fn menu_ui(&mut self, ui: &mut egui::Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui.button("Save screenshot (PNG)…").clicked() {
                    self.export.open(export::ExportKind::Screenshot);
                }
                if ui.button("Export paths (CSV)…").clicked() {
                    self.export.open(export::ExportKind::PathsCsv);
                }
                ui.separator();
                if ui.button("Quit").clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("Help", |ui| {
                ui.label("Click the plot: set the start of the selected run.");
                ui.label("Shift+click: add a run from that point.");
                ui.label("Drag: pan.  Scroll: zoom.  Double-click: reset the view.");
                ui.label("Space: play / pause.  Right arrow: one step.  R: reset.");
            });
            ui.separator();
            let info = self.objective().info();
            ui.label(egui::RichText::new(format!("{}:  f = {}", info.name, info.formula)).strong());
        });
    }
}

impl eframe::App for DescentApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        DescentApp::ui(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.persist {
            self.settings.runs = self.sim.setups();
            self.settings.speed = self.sim.speed;
            eframe::set_value(storage, eframe::APP_KEY, &self.settings);
        }
    }
}

/// Whether a preset's values span so many orders of magnitude that a linear color scale
/// hides its valleys.
pub fn prefers_log_color(name: &str) -> bool {
    matches!(name, "rosenbrock" | "beale" | "himmelblau")
}

/// The colors runs are drawn in, chosen to stand out on every colormap.
pub const RUN_COLORS: [egui::Color32; 8] = [
    egui::Color32::from_rgb(255, 77, 77),
    egui::Color32::from_rgb(255, 255, 255),
    egui::Color32::from_rgb(255, 159, 28),
    egui::Color32::from_rgb(0, 229, 255),
    egui::Color32::from_rgb(255, 77, 255),
    egui::Color32::from_rgb(182, 255, 0),
    egui::Color32::from_rgb(255, 215, 0),
    egui::Color32::from_rgb(255, 143, 163),
];

/// The color of palette entry `i`.
pub fn run_color(i: usize) -> egui::Color32 {
    RUN_COLORS[i % RUN_COLORS.len()]
}

/// Formats a number for labels: up to 6 significant digits, scientific when tiny or huge.
pub fn fmt_num(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else if !v.is_finite() {
        v.to_string()
    } else if v.abs() >= 1e6 || v.abs() < 1e-4 {
        format!("{v:.3e}")
    } else {
        let digits = (5 - v.abs().log10().floor() as i32).clamp(0, 8) as usize;
        let s = format!("{v:.digits$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

/// Formats a number in at most 4 significant digits, for axis-like labels.
pub fn fmt_short(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return fmt_num(v);
    }
    if v.abs() >= 1e5 || v.abs() < 1e-3 {
        return format!("{v:.2e}");
    }
    let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Formats a point as `(x, y)` with [`fmt_num`].
pub fn fmt_point(p: &[f64]) -> String {
    let parts: Vec<String> = p.iter().map(|v| fmt_num(*v)).collect();
    format!("({})", parts.join(", "))
}

impl Settings {
    /// Settings that show the runs of a command-line request.
    pub fn from_request(request: &crate::cli::RunRequest) -> Self {
        let first = request.specs.first();
        let tol = first.map_or(0.0, |s| s.tol);
        Self {
            function: request.objective.info().name.clone(),
            runs: request
                .specs
                .iter()
                .enumerate()
                .map(|(i, spec)| RunSetup {
                    start: spec.start.clone(),
                    optimizer: spec.optimizer,
                    color: i,
                    batch: request.batch.map(|b| b.size),
                })
                .collect(),
            optimizer: first.map_or_else(Settings::default_optimizer, |s| s.optimizer),
            iterations: first.map_or(100, |s| s.max_iters),
            use_tolerance: tol > 0.0,
            log_color: prefers_log_color(&request.objective.info().name),
            lab: lab_from_request(request),
            tolerance: if tol > 0.0 { tol } else { 1e-6 },
            ..Self::default()
        }
    }

    fn default_optimizer() -> OptimizerConfig {
        Self::default().optimizer
    }
}

/// The lab's training settings from a command-line regression request.
fn lab_from_request(request: &crate::cli::RunRequest) -> lab::LabSettings {
    let n = request.data.as_ref().map_or(1, |d| d.len());
    let (mode, size, seed) = match request.batch {
        None => (lab::BatchMode::Batch, 20, 0),
        Some(b) if b.size == 1 => (lab::BatchMode::Stochastic, 20, b.seed),
        Some(b) => (lab::BatchMode::MiniBatch, b.size, b.seed),
    };
    let per_epoch = request.batch.map_or(1, |b| b.steps_per_epoch(n)) as u64;
    let steps = request.specs.first().map_or(100, |s| s.max_iters);
    let mut lab = lab::LabSettings {
        mode,
        batch_size: size,
        seed,
        epochs: (steps / per_epoch).max(1),
        standardize: request.standardize,
        ..lab::LabSettings::default()
    };
    // The same source, so the lab can rebuild the same points (e.g. when standardizing).
    if let Some(source) = &request.data_source {
        if let Some(spec) = crate::engine::regression::DataSpec::preset(source).or_else(|| {
            source
                .strip_prefix("gen:")
                .and_then(|g| crate::engine::regression::DataSpec::parse(g).ok())
        }) {
            lab.spec = spec;
            lab.data_spec = spec;
        } else {
            lab.csv_path = source.clone();
            lab.data_csv = Some(source.clone());
        }
    }
    lab
}

/// Opens the window (blocking until it closes); returns the process exit code.
pub fn run_window(request: crate::cli::WindowRequest) -> i32 {
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
    let outcome = eframe::run_native(
        "descent",
        options,
        Box::new(move |cc| {
            let mut app = match &request.runs {
                Some(runs) => {
                    if runs.specs.iter().any(|s| s.max_iters > MAX_UI_ITERATIONS) {
                        eprintln!("note: the window caps iterations at {MAX_UI_ITERATIONS}");
                    }
                    DescentApp::new(Settings::from_request(runs)).without_persistence()
                }
                None => DescentApp::from_storage(cc.storage),
            };
            if let Some(path) = &request.screenshot {
                let mut job = export::ScreenshotJob::new(path.clone());
                job.result = job_result_in_app;
                app.export.job = Some(job);
                app.sim.speed = Speed::Instant;
                app.sim.playing = true;
            }
            Ok(Box::new(app))
        }),
    );
    if let Err(e) = outcome {
        eprintln!("error: could not open the window: {e}");
        return 1;
    }
    let result = job_result.lock().ok().and_then(|mut r| r.take());
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

/// The modifiers held during this frame's last primary click: those of the button event
/// itself, so a quick Shift+click counts even if Shift is released within the same frame.
pub fn click_modifiers(ui: &egui::Ui) -> egui::Modifiers {
    ui.input(|i| {
        i.events
            .iter()
            .rev()
            .find_map(|e| match e {
                egui::Event::PointerButton {
                    button: egui::PointerButton::Primary,
                    modifiers,
                    ..
                } => Some(*modifiers),
                _ => None,
            })
            .unwrap_or(i.modifiers)
    })
}
