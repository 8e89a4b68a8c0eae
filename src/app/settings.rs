//! What the app remembers between sessions, and how a state file is read: field by field,
//! so one unreadable field resets only itself.

use serde::{Deserialize, Serialize};

use super::field::Colormap;
use super::lab::{self, LabSettings};
use super::simulation::{RunSetup, Speed};
pub use crate::cli::Layout;
use crate::engine::expr::{Expr, MAX_LENGTH};
use crate::engine::function::DataSource;
use crate::engine::objective::check_view;
use crate::engine::{FunctionSpec, Interval, OptimizerConfig, OptimizerKind};

/// The most iterations the controls accept: the engine's limit, as on the command line
/// (paths on screen keep a bounded sample of their iterates, so memory stays bounded).
pub const MAX_UI_ITERATIONS: u64 = crate::engine::run::MAX_ITERATIONS;

/// The largest equal budget the window accepts, in gradient evaluations.
pub const MAX_BUDGET: u64 = 1_000_000_000;

/// How the views draw the function.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DisplaySettings {
    /// The heatmap's colormap.
    pub colormap: Colormap,
    /// Logarithmic color scale.
    pub log_color: bool,
    /// Draw contour lines.
    pub show_contours: bool,
    /// How many contour lines (1 to 40).
    pub contour_count: usize,
    /// Draw arrows of -grad f.
    pub show_quiver: bool,
    /// Arrows along the longer side of the view (4 to 50).
    pub quiver_density: usize,
    /// The contour view, the 3-D view, or both.
    pub layout: Layout,
    /// Grid lines on the 3-D surface.
    pub surface_grid: bool,
    /// The tangent plane and the two slices at the selected run's point, in the 3-D view.
    pub tangent: bool,
    /// The two slices f(x, b) and f(a, y) as small plots under the contour view.
    pub slices: bool,
    /// Mark the critical points (minima, maxima, saddles).
    pub critical: bool,
    /// The f range of the 3-D view; `None` picks it from the visible values.
    pub z_range: Option<Interval>,
    /// Arrows of the selected run's step at the current point: -g raw and clipped, the
    /// step, the momentum or first moment, and the per-axis scale.
    pub internals: bool,
    /// The Hessian's eigenvector axes at the current point and Newton's step from there.
    pub curvature: bool,
    /// What the panel under the views shows.
    pub bottom: BottomTab,
    /// Color the contour view by the minimum each start reaches (the selected run's
    /// optimizer and settings).
    pub basins: bool,
}

/// What the panel under the views shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum BottomTab {
    /// f and |grad f| against k (loss per step and per epoch in the lab).
    #[default]
    Convergence,
    /// The selected run's update rule with the current numbers, and the local geometry.
    Step,
    /// The final value and iterations against the learning rate, for the selected run.
    Sweep,
}

impl Default for DisplaySettings {
    fn default() -> Self {
        Self {
            colormap: Colormap::Viridis,
            log_color: false,
            show_contours: true,
            contour_count: 12,
            show_quiver: true,
            quiver_density: 20,
            layout: Layout::TwoD,
            surface_grid: true,
            tangent: true,
            slices: false,
            critical: true,
            z_range: None,
            internals: false,
            curvature: false,
            bottom: BottomTab::Convergence,
            basins: false,
        }
    }
}

impl DisplaySettings {
    /// The same settings with counts clamped to the sliders' ranges.
    pub fn sanitized(mut self) -> Self {
        self.contour_count = self.contour_count.clamp(1, 40);
        self.quiver_density = self.quiver_density.clamp(4, 50);
        // Finite, increasing, within +-1e12 and not vanishingly narrow, as a view box.
        self.z_range = self
            .z_range
            .filter(|z| crate::engine::objective::check_view(&[*z]).is_ok());
        self
    }
}

/// Everything the app remembers between sessions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The function shown, in command-line form in the state file.
    pub function: FunctionSpec,
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
    /// Stop every run once its evaluations cost this many gradients (a race's equal budget).
    pub budget: Option<u64>,
    /// Animation speed.
    pub speed: Speed,
    /// How the function is drawn.
    pub display: DisplaySettings,
    /// Logarithmic y axes in the charts.
    pub chart_log: bool,
    /// The regression lab.
    pub lab: LabSettings,
    /// The view box of the function shown, when the user set one (else the function's own).
    pub view: Option<Vec<Interval>>,
    /// The formula in the "Your function..." field as typed, valid or not (empty until the
    /// user first opens it).
    pub formula: String,
    /// The user's own functions, by name.
    pub saved: Vec<SavedFunction>,
    /// Light or dark, and the text size: the user's, kept out of scenarios.
    pub appearance: Appearance,
}

/// Light, dark, or as the system says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    /// Follow the system's setting.
    #[default]
    System,
    /// Light background.
    Light,
    /// Dark background.
    Dark,
}

/// How the window looks to this user.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Appearance {
    /// The theme.
    pub theme: Theme,
    /// The text and widget scale on top of the system's (Ctrl + and Ctrl - change it).
    pub zoom: f32,
}

impl Default for Appearance {
    fn default() -> Self {
        Self {
            theme: Theme::System,
            zoom: 1.0,
        }
    }
}

/// The smallest and largest zoom, as egui allows with Ctrl + and Ctrl -.
pub const ZOOM_RANGE: (f32, f32) = (0.5, 3.0);

impl Appearance {
    /// The appearance with its zoom in range (a hand-edited state file may hold anything).
    pub fn sanitized(self) -> Self {
        let zoom = if self.zoom.is_finite() {
            self.zoom.clamp(ZOOM_RANGE.0, ZOOM_RANGE.1)
        } else {
            1.0
        };
        Self { zoom, ..self }
    }
}

/// The most functions the user can keep.
pub const MAX_SAVED: usize = 100;

/// The longest name a saved function may have, in characters.
pub const MAX_NAME: usize = 60;

/// A function the user typed and kept under a name, with its view box.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedFunction {
    /// What the picker calls it.
    pub name: String,
    /// The formula as typed.
    pub formula: String,
    /// Its view box, if the user set one.
    #[serde(default)]
    pub view: Option<Vec<Interval>>,
}

/// What the "Your function..." field starts with when nothing was typed yet.
pub const FIRST_FORMULA: &str = "x^2 + 3*y^2";

impl Default for Settings {
    fn default() -> Self {
        Self {
            function: FunctionSpec::default(),
            runs: Vec::new(),
            optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.1),
            iterations: 100,
            use_tolerance: false,
            tolerance: 1e-6,
            budget: None,
            speed: Speed::PerSecond(10.0),
            display: DisplaySettings::default(),
            chart_log: false,
            lab: LabSettings::default(),
            view: None,
            formula: String::new(),
            saved: Vec::new(),
            appearance: Appearance::default(),
        }
    }
}

impl Settings {
    /// Repairs what a stale or hand-edited state file could hold: functions the window
    /// cannot show, out-of-range numbers. Runs are checked when they are rebuilt.
    pub fn sanitized(mut self) -> Self {
        let defaults = Self::default();
        if self.function.dim() > crate::engine::presets::MAX_WINDOW_DIM {
            self.function = defaults.function.clone();
            self.runs.clear();
        }
        if self.optimizer.validate().is_err() {
            self.optimizer = defaults.optimizer;
        }
        self.iterations = self.iterations.clamp(1, MAX_UI_ITERATIONS);
        self.budget = self.budget.filter(|b| (1..=MAX_BUDGET).contains(b));
        if !(self.tolerance.is_finite() && (1e-12..=1.0).contains(&self.tolerance)) {
            self.tolerance = defaults.tolerance;
        }
        if let Speed::PerSecond(rate) = self.speed
            && !(1.0..=1000.0).contains(&rate)
        {
            self.speed = defaults.speed;
        }
        if let Some(view) = &self.view
            && (view.len() != self.function.dim() || check_view(view).is_err())
        {
            self.view = None;
        }
        if self.formula.chars().count() > MAX_LENGTH {
            self.formula = self.formula.chars().take(MAX_LENGTH).collect();
        }
        // A saved formula this version cannot read (a newer version's function, a hand
        // edit) is kept: opening it shows the formula and what is wrong with it, and the
        // next save keeps it too. Its view box is kept while the formula is unread.
        self.saved.truncate(MAX_SAVED);
        for saved in &mut self.saved {
            saved.name = clean_name(&saved.name);
            let Ok(expr) = Expr::parse(&saved.formula) else {
                continue;
            };
            if let Some(view) = &saved.view
                && (view.len() != expr.dim() || check_view(view).is_err())
            {
                saved.view = None;
            }
        }
        self.display = self.display.sanitized();
        self.lab = self.lab.sanitized();
        self.appearance = self.appearance.sanitized();
        self.runs.truncate(super::model::MAX_RUNS);
        self.with_lab_synced().with_formula_shown()
    }

    /// Why the surface's z range is not used (the notice names it as a z range).
    fn z_range_refused(&self) -> String {
        let why = self
            .display
            .z_range
            .and_then(|z| check_view(&[z]).err())
            .unwrap_or_else(|| "out of range".to_string())
            .replace("the x range", "the range");
        format!("display.z_range ({why}; the surface's own is used)")
    }

    /// The values that [`Settings::sanitized`] changes, each named with what was read and
    /// what is used instead (`iterations (0 is out of range; 1 is used)`). The lab taking
    /// the regression function's data is not a change of range.
    pub fn out_of_range(&self) -> Vec<String> {
        use serde_json::Value;
        let said = |value: &Value| {
            let text = crate::engine::format::one_line(&value.to_string());
            match text.chars().count() > 40 {
                true => format!("{}…", text.chars().take(40).collect::<String>()),
                false => text,
            }
        };
        let change = |name: String, read: &Value, kept: Option<&Value>| match kept {
            Some(Value::Null) => format!(
                "{name} ({} is out of range; the default is used)",
                said(read)
            ),
            Some(kept) => format!(
                "{name} ({} is out of range; {} is used)",
                said(read),
                said(kept)
            ),
            None => format!("{name} (out of range)"),
        };
        let read = serde_json::to_value(self.clone().with_lab_synced().with_formula_shown())
            .unwrap_or_default();
        let kept = serde_json::to_value(self.clone().sanitized()).unwrap_or_default();
        let (Value::Object(read), Value::Object(kept)) = (read, kept) else {
            return Vec::new();
        };
        let mut changed = Vec::new();
        for (key, value) in &read {
            match (value, kept.get(key)) {
                (_, Some(k)) if k == value => {}
                // The optimizer is replaced whole: say which of its values was wrong.
                _ if key == "optimizer"
                    && let Err(e) = self.optimizer.validate() =>
                {
                    changed.push(format!("optimizer ({e}; the default is used)"));
                }
                // A group names the fields of it that changed: display.contour_count.
                (Value::Object(fields), Some(Value::Object(k))) => changed.extend(
                    fields
                        .iter()
                        .filter(|(field, v)| k.get(*field) != Some(v))
                        .map(|(field, v)| match (key.as_str(), field.as_str()) {
                            ("display", "z_range") => self.z_range_refused(),
                            _ => change(format!("{key}.{field}"), v, k.get(field)),
                        }),
                ),
                // The view box says what is wrong with it.
                _ if key == "view"
                    && let Some(view) = &self.view =>
                {
                    let why = match check_view(view) {
                        Err(e) if view.len() == self.function.dim() => e,
                        _ => format!(
                            "{} ranges for a function of {} variables",
                            view.len(),
                            self.function.dim()
                        ),
                    };
                    changed.push(format!("view ({why}; the function's own is used)"));
                }
                (Value::Array(read), Some(Value::Array(kept))) if key == "runs" => {
                    changed.push(format!(
                        "runs ({} runs: the window holds {}, the first are kept)",
                        read.len(),
                        kept.len()
                    ));
                }
                // Saved functions are checked one by one elsewhere.
                (Value::Array(_), _) if key == "saved" => {
                    changed.push(format!("{key} (out of range)"))
                }
                (_, k) => changed.push(change(key.clone(), value, k)),
            }
        }
        changed
    }

    /// The "Your function..." field given the typed function's text when it is empty (a
    /// hand-written scenario names only the function), so it shows no "empty" error.
    pub fn with_formula_shown(mut self) -> Self {
        if let FunctionSpec::Formula(expr) = &self.function
            && self.formula.trim().is_empty()
        {
            self.formula = expr.text().to_string();
        }
        self
    }

    /// The lab's data source made the regression function's, when that is the function.
    pub fn with_lab_synced(mut self) -> Self {
        if let FunctionSpec::Regression { data, standardize } = &self.function {
            self.lab.data = data.clone();
            self.lab.standardize = *standardize;
            // The file field shows the file the points came from, unless one is being typed.
            if let DataSource::Csv(path) = data
                && self.lab.csv_path.is_empty()
            {
                self.lab.csv_path = path.display().to_string();
            }
        }
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

    /// The regression function of the lab's current data source.
    pub fn lab_function(&self) -> FunctionSpec {
        FunctionSpec::Regression {
            data: self.lab.data.clone(),
            standardize: self.lab.standardize,
        }
    }

    /// The state file's text (JSON).
    pub fn to_state_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a state file field by field: a field that cannot be read keeps its default and
    /// is named in the returned list (inside a group such as `display`, the field of the
    /// group; in a list such as `runs`, the entry, and the others are kept); text that is not
    /// a JSON object gives the defaults and `["everything (why)"]`.
    pub fn from_state_text(text: &str) -> (Self, Vec<String>) {
        let saved = match serde_json::from_str(text) {
            Ok(serde_json::Value::Object(saved)) => saved,
            Ok(_) => {
                let why = "everything (the file is not a JSON object)";
                return (Self::default(), vec![why.to_string()]);
            }
            Err(e) => {
                let why = format!("everything ({})", crate::engine::format::json_error(&e));
                return (Self::default(), vec![why]);
            }
        };
        let serde_json::Value::Object(mut merged) =
            serde_json::to_value(Self::default()).unwrap_or_default()
        else {
            return (Self::default(), vec!["everything".to_string()]);
        };
        let mut reset = Vec::new();
        for (key, value) in saved {
            if !merged.contains_key(&key) {
                continue; // a field of an older version
            }
            merge_leniently(&mut merged, key, value, &mut reset);
        }
        let settings =
            serde_json::from_value(serde_json::Value::Object(merged)).unwrap_or_default();
        (settings, reset)
    }

    /// Settings that show the runs of a command-line request.
    pub fn from_request(request: &crate::cli::RunRequest) -> Self {
        let first = request.specs.first();
        let tol = first.map_or(0.0, |s| s.tol);
        let mut settings = Self {
            function: request.function.spec.clone(),
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
            optimizer: first.map_or(Self::default().optimizer, |s| s.optimizer),
            iterations: first.map_or(100, |s| s.max_iters).min(MAX_UI_ITERATIONS),
            use_tolerance: tol > 0.0,
            tolerance: if tol > 0.0 { tol } else { 1e-6 },
            ..Self::default()
        };
        settings.display.log_color = request.function.spec.prefers_log_color();
        if let FunctionSpec::Formula(expr) = &request.function.spec {
            settings.formula = expr.text().to_string();
        }
        settings.lab = lab_from_request(request);
        settings
    }
}

/// A saved function's name: one line, trimmed, at most [`MAX_NAME`] characters.
pub fn clean_name(name: &str) -> String {
    let line: String = name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_NAME)
        .collect();
    line.trim().to_string()
}

/// The lab's training settings from a command-line regression request.
fn lab_from_request(request: &crate::cli::RunRequest) -> LabSettings {
    let n = request.data().map_or(1, |d| d.len());
    let (mode, size, seed) = match request.batch {
        None => (lab::BatchMode::Batch, 20, 0),
        Some(b) if b.size == 1 => (lab::BatchMode::Stochastic, 20, b.seed),
        Some(b) => (lab::BatchMode::MiniBatch, b.size, b.seed),
    };
    let shuffle = request.batch.is_none_or(|b| b.shuffle);
    let per_epoch = request.batch.map_or(1, |b| b.steps_per_epoch(n)) as u64;
    let steps = request.specs.first().map_or(100, |s| s.max_iters);
    let mut lab = LabSettings {
        mode,
        batch_size: size,
        seed,
        shuffle,
        epochs: (steps / per_epoch).max(1),
        ..LabSettings::default()
    };
    if let FunctionSpec::Regression { data, standardize } = &request.function.spec {
        lab.standardize = *standardize;
        lab.data = data.clone();
        match data {
            DataSource::Generated(spec) => lab.spec = *spec,
            DataSource::Csv(path) => lab.csv_path = path.display().to_string(),
            DataSource::Points(_) => {}
        }
    }
    lab
}

/// Whether `merged` reads as settings; why not, if it does not.
fn unreadable(merged: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    serde_json::from_value::<Settings>(serde_json::Value::Object(merged.clone()))
        .err()
        .map(|e| crate::engine::format::plain_types(&e.to_string()))
}

/// Puts the saved `value` of `key` into `merged` as far as it reads: whole; else a group
/// (`display`) field by field, each bad one keeping its default; else a list (`runs`) entry
/// by entry, a bad one dropped. What could not be read is named in `reset`.
fn merge_leniently(
    merged: &mut serde_json::Map<String, serde_json::Value>,
    key: String,
    value: serde_json::Value,
    reset: &mut Vec<String>,
) {
    use serde_json::Value;
    let previous = merged.insert(key.clone(), value.clone());
    if unreadable(merged).is_none() {
        return;
    }
    match (previous, value) {
        (Some(Value::Object(mut group)), Value::Object(given)) => {
            for (field, v) in given {
                let name = format!("{key}.{}", crate::engine::format::one_line(&field));
                let Some(default) = group.insert(field.clone(), v) else {
                    group.remove(&field);
                    reset.push(name);
                    continue;
                };
                merged.insert(key.clone(), Value::Object(group.clone()));
                if let Some(why) = unreadable(merged) {
                    group.insert(field, default);
                    reset.push(format!("{name} ({})", reason(&why)));
                }
            }
            merged.insert(key, Value::Object(group));
        }
        (Some(previous), Value::Array(items)) if previous.is_array() => {
            let mut kept = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                kept.push(item);
                merged.insert(key.clone(), Value::Array(kept.clone()));
                if let Some(why) = unreadable(merged) {
                    kept.pop();
                    reset.push(format!("{key} {} ({})", i + 1, reason(&why)));
                }
            }
            merged.insert(key, Value::Array(kept));
        }
        (previous, _) => {
            let why = unreadable(merged);
            if let Some(previous) = previous {
                merged.insert(key.clone(), previous);
            }
            match why {
                Some(why) => reset.push(format!("{key} ({})", reason(&why))),
                None => reset.push(key),
            }
        }
    }
}

/// serde's message on an unreadable field, said short: without its place in the text, and
/// an unknown name with the names allowed, each once (serde lists `Gd` and its alias `gd`:
/// the alias, the command line's name, is kept).
fn reason(why: &str) -> String {
    let why = why.split(" at line ").next().unwrap_or(why);
    // The file's field is named, not the command-line option it reads like.
    let why = why.strip_prefix("--function: ").unwrap_or(why);
    let why = match why.split_once(" is not one of ") {
        Some((given, names)) => {
            let mut allowed: Vec<&str> = Vec::new();
            for name in names.split(", ") {
                let name = name.trim_start_matches("or ");
                match allowed.iter_mut().find(|a| a.eq_ignore_ascii_case(name)) {
                    Some(same) => *same = name,
                    None => allowed.push(name),
                }
            }
            format!("unknown name {given}; one of {}", allowed.join(", "))
        }
        None => why.to_string(),
    };
    crate::engine::format::one_line(&why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_file_keeps_to_the_sliders_ranges() {
        let wild = Settings {
            iterations: 50_000_000,
            tolerance: 5.0,
            speed: Speed::PerSecond(1e6),
            display: DisplaySettings {
                contour_count: 45,
                quiver_density: 1,
                ..DisplaySettings::default()
            },
            lab: LabSettings {
                epochs: 0,
                batch_size: 0,
                ..LabSettings::default()
            },
            ..Settings::default()
        }
        .sanitized();
        assert_eq!(wild.iterations, MAX_UI_ITERATIONS);
        assert_eq!(wild.tolerance, Settings::default().tolerance);
        assert_eq!(wild.speed, Settings::default().speed);
        assert_eq!(
            (wild.display.contour_count, wild.display.quiver_density),
            (40, 4)
        );
        assert_eq!((wild.lab.epochs, wild.lab.batch_size), (1, 1));
        assert_eq!(
            Settings::default().sanitized(),
            Settings::default(),
            "the defaults are in range"
        );
    }

    #[test]
    fn one_unreadable_field_resets_only_itself() {
        let settings = Settings {
            iterations: 321,
            display: DisplaySettings {
                contour_count: 7,
                ..DisplaySettings::default()
            },
            ..Settings::default()
        };
        let mut value = serde_json::to_value(&settings).unwrap();
        value["optimizer"] = serde_json::json!("not an optimizer");
        value["function"] = serde_json::json!("banana");
        let (read, reset) = Settings::from_state_text(&value.to_string());
        assert_eq!(read.iterations, 321);
        assert_eq!(read.display.contour_count, 7);
        assert_eq!(read.optimizer, Settings::default().optimizer);
        assert_eq!(read.function, Settings::default().function);
        let mut reset = reset;
        reset.sort();
        // Each is named with why it could not be read.
        assert_eq!(reset.len(), 2, "{reset:?}");
        assert!(
            reset[0].starts_with("function (unknown function 'banana'"),
            "{reset:?}"
        );
        assert_eq!(
            reset[1],
            "optimizer (invalid type: string \"not an optimizer\", expected an object {\"name\": value, ...})"
        );
        let (read, reset) = Settings::from_state_text("(ron: 1)");
        assert_eq!(read, Settings::default());
        assert_eq!(
            reset,
            ["everything (not valid JSON: line 1, column 1: expected value)"]
        );
        let (_, reset) = Settings::from_state_text("[1, 2]");
        assert_eq!(reset, ["everything (the file is not a JSON object)"]);
    }
}
