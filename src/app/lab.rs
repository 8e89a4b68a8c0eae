//! The regression lab: noisy points, the fitted line swinging into place over them, and the
//! run's path across the loss landscape over (intercept, slope) beside it (the 2-D view).

use std::sync::Arc;

use egui::{Color32, RichText, Slider};
use egui_plot::{Line, LineStyle, Plot, Points};
use serde::{Deserialize, Serialize};

use super::{DescentApp, Notice, fmt_num, run_color};
use crate::engine::regression::{DataSpec, Dataset, batch_at, parse_csv};

/// How each step samples the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BatchMode {
    /// Every step uses all points.
    Batch,
    /// Every step uses a shuffled batch of `batch_size` points.
    MiniBatch,
    /// Every step uses one point.
    Stochastic,
}

/// The lab's settings, saved with the app.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LabSettings {
    /// The generator's fields as typed (applied by Generate).
    pub spec: DataSpec,
    /// The CSV path as typed (applied by Load CSV).
    pub csv_path: String,
    /// The generator settings the current data came from.
    pub data_spec: DataSpec,
    /// The CSV file the current data came from, if it came from one.
    pub data_csv: Option<String>,
    /// Rescale x to mean 0 and standard deviation 1.
    pub standardize: bool,
    /// Batch, mini-batch or stochastic.
    pub mode: BatchMode,
    /// Points per mini-batch.
    pub batch_size: usize,
    /// Passes over the data.
    pub epochs: u64,
    /// Seed of the shuffles.
    pub seed: u64,
    /// Draw the current mini-batch's own loss contours on the landscape.
    pub show_batch_contours: bool,
}

impl Default for LabSettings {
    fn default() -> Self {
        Self {
            spec: DataSpec::seed001(),
            csv_path: String::new(),
            data_spec: DataSpec::seed001(),
            data_csv: None,
            standardize: false,
            mode: BatchMode::Batch,
            batch_size: 20,
            epochs: 100,
            seed: 0,
            show_batch_contours: false,
        }
    }
}

impl LabSettings {
    /// The data to fit: the CSV file or the generated set, standardized if asked.
    pub fn dataset(&self) -> Result<Dataset, String> {
        let raw = match &self.data_csv {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read '{path}': {e}"))?;
                parse_csv(&text).map_err(|e| format!("{path}: {e}"))?
            }
            None => self.data_spec.generate().map_err(|e| e.to_string())?,
        };
        Ok(if self.standardize {
            raw.standardized()
        } else {
            raw
        })
    }

    /// The batch size of the current mode (`None` for batch descent), for new runs.
    pub fn batch_for_new_runs(&self) -> Option<usize> {
        match self.mode {
            BatchMode::Batch => None,
            BatchMode::MiniBatch => Some(self.batch_size.max(1)),
            BatchMode::Stochastic => Some(1),
        }
    }

    /// The mode a run with `batch` points per step is in.
    pub fn mode_of(batch: Option<usize>) -> BatchMode {
        match batch {
            None => BatchMode::Batch,
            Some(1) => BatchMode::Stochastic,
            Some(_) => BatchMode::MiniBatch,
        }
    }
}

/// What the views need of the lab's data every frame, computed once per data set.
#[derive(Clone, Debug, PartialEq)]
pub struct LabSummary {
    /// The smallest and largest x.
    pub x_range: (f64, f64),
    /// The least-squares line (intercept, slope).
    pub best: Option<[f64; 2]>,
}

/// The most points the scatter draws; larger sets are thinned evenly.
const SCATTER_POINTS: usize = 5000;

/// The data, the least-squares line (dashed), each run's line at the shown iteration, and
/// the selected run's current mini-batch highlighted.
pub fn scatter_ui(app: &mut DescentApp, ui: &mut egui::Ui) {
    let Some(data) = app.lab_data.clone() else {
        ui.label("No data: generate some or load a CSV file.");
        return;
    };
    let Some(summary) = app.lab_summary.clone() else {
        return;
    };
    let (lo, hi) = summary.x_range;
    let stride = (data.len() / SCATTER_POINTS).max(1);
    let points: Vec<[f64; 2]> = (0..data.len())
        .step_by(stride)
        .map(|i| [data.x[i], data.y[i]])
        .collect();
    let best = summary.best;
    let shown = app.sim.shown();
    let selected = app.sim.selected;
    let batch_spec = app.sim.selected_slot().and_then(|s| s.run.batch_spec());
    let x_label = if app.settings.lab.standardize {
        "x (standardized)"
    } else {
        "x"
    };
    Plot::new("scatter")
        .x_axis_label(x_label)
        .y_axis_label("y")
        .allow_boxed_zoom(false)
        .show(ui, |plot_ui| {
            plot_ui.add(
                Points::new("data", points)
                    .radius(2.0)
                    .color(Color32::from_gray(170)),
            );
            if let Some([w0, w1]) = best {
                plot_ui.line(
                    Line::new(
                        "least squares",
                        vec![[lo, w0 + w1 * lo], [hi, w0 + w1 * hi]],
                    )
                    .color(Color32::from_gray(220))
                    .style(LineStyle::dashed_loose())
                    .width(1.5),
                );
            }
            for (i, slot) in app.sim.slots().iter().enumerate() {
                let k = slot.shown_index(shown);
                let w = slot.run.path().point(k);
                let color = run_color(slot.setup.color);
                plot_ui.line(
                    Line::new(
                        format!("run {}", i + 1),
                        vec![[lo, w[0] + w[1] * lo], [hi, w[0] + w[1] * hi]],
                    )
                    .color(color)
                    .width(if i == selected { 2.5 } else { 1.5 }),
                );
                if i == selected
                    && let Some(spec) = batch_spec
                    && slot.shown_stop(shown).is_none()
                {
                    let batch: Vec<[f64; 2]> = batch_at(data.len(), spec, k + 1)
                        .take(SCATTER_POINTS)
                        .map(|j| [data.x[j as usize], data.y[j as usize]])
                        .collect();
                    plot_ui.add(Points::new("current batch", batch).radius(4.0).color(color));
                }
            }
        });
}

/// Data source, standardization and training mode. Generator fields and the CSV path are
/// kept as typed; the data changes on Generate, Load CSV, a preset or a training setting.
pub fn lab_controls_ui(app: &mut DescentApp, ui: &mut egui::Ui) {
    ui.strong("Data");
    let mut apply: Option<LabSettings> = None;
    ui.horizontal(|ui| {
        for (name, spec) in [
            ("Seed 000", DataSpec::seed000()),
            ("Seed 001", DataSpec::seed001()),
            ("Seed 002", DataSpec::seed002()),
        ] {
            let current = app.settings.lab.data_csv.is_none() && app.settings.lab.data_spec == spec;
            if ui
                .selectable_label(current, name)
                .on_hover_text(format!(
                    "y = {} + {} x + N(0, {}^2), {} points on [{}, {}]",
                    spec.a, spec.b, spec.sigma, spec.n, spec.lo, spec.hi
                ))
                .clicked()
            {
                apply = Some(LabSettings {
                    spec,
                    data_spec: spec,
                    data_csv: None,
                    ..app.settings.lab.clone()
                });
            }
        }
    });
    egui::Grid::new("generator").num_columns(4).show(ui, |ui| {
        let spec = &mut app.settings.lab.spec;
        ui.label("a");
        ui.add(egui::DragValue::new(&mut spec.a).speed(0.1))
            .on_hover_text("Intercept a");
        ui.label("b");
        ui.add(egui::DragValue::new(&mut spec.b).speed(0.1))
            .on_hover_text("Slope b");
        ui.end_row();
        ui.label("sigma");
        ui.add(
            egui::DragValue::new(&mut spec.sigma)
                .speed(0.05)
                .range(0.0..=1e6),
        )
        .on_hover_text("Noise sigma");
        ui.label("n");
        ui.add(egui::DragValue::new(&mut spec.n).range(2..=1_000_000))
            .on_hover_text("Points n");
        ui.end_row();
        ui.label("lo");
        ui.add(egui::DragValue::new(&mut spec.lo).speed(0.1))
            .on_hover_text("Smallest x");
        ui.label("hi");
        ui.add(egui::DragValue::new(&mut spec.hi).speed(0.1))
            .on_hover_text("Largest x");
        ui.end_row();
        ui.label("seed");
        ui.add(egui::DragValue::new(&mut spec.seed))
            .on_hover_text("Data seed");
        ui.checkbox(&mut spec.even, "Even x");
        ui.end_row();
    });
    if ui.button("Generate").clicked() {
        apply = Some(LabSettings {
            data_spec: app.settings.lab.spec,
            data_csv: None,
            ..app.settings.lab.clone()
        });
    }
    ui.horizontal(|ui| {
        let label = ui.label("CSV file");
        ui.add(
            egui::TextEdit::singleline(&mut app.settings.lab.csv_path)
                .desired_width(150.0)
                .hint_text("points.csv"),
        )
        .labelled_by(label.id);
        if ui.button("Load CSV").clicked() {
            apply = Some(LabSettings {
                data_csv: Some(app.settings.lab.csv_path.trim().to_string()),
                ..app.settings.lab.clone()
            });
        }
    });
    let mut lab = app.settings.lab.clone();
    let changed = ui
        .checkbox(&mut lab.standardize, "Standardize x")
        .on_hover_text("Rescale x to mean 0, standard deviation 1: one learning rate then suits both parameters")
        .changed();

    ui.strong("Training");
    ui.label(
        RichText::new(
            "Mode and batch size are the selected run's: add runs (Shift+click) to compare modes.",
        )
        .small(),
    );
    let selected_batch = app.sim.selected_slot().map(|s| s.setup.batch);
    let mut mode = LabSettings::mode_of(selected_batch.flatten());
    let n = app.lab_data.as_ref().map_or(100, |d| d.len());
    let mut batch_size = match selected_batch.flatten() {
        Some(b) if b > 1 => b,
        _ => lab.batch_size,
    }
    .clamp(1, n.max(2));
    let mut batch_changed = false;
    ui.horizontal(|ui| {
        batch_changed |= ui
            .radio_value(&mut mode, BatchMode::Batch, "Batch")
            .changed();
        batch_changed |= ui
            .radio_value(&mut mode, BatchMode::MiniBatch, "Mini-batch")
            .changed();
        batch_changed |= ui
            .radio_value(&mut mode, BatchMode::Stochastic, "Stochastic")
            .changed();
    });
    if mode == BatchMode::MiniBatch {
        batch_changed |= ui
            .add(
                Slider::new(&mut batch_size, 1..=n.max(2))
                    .logarithmic(true)
                    .text("Batch size"),
            )
            .changed();
    }
    let mut training = ui
        .add(
            Slider::new(&mut lab.epochs, 1..=10_000)
                .logarithmic(true)
                .text("Epochs"),
        )
        .changed();
    training |= ui
        .add(egui::DragValue::new(&mut lab.seed).prefix("shuffle seed "))
        .on_hover_text("Shuffle seed")
        .changed();
    ui.checkbox(
        &mut app.settings.lab.show_batch_contours,
        "Contours of the current batch's loss",
    );
    if batch_changed && selected_batch.is_some() {
        app.settings.lab.mode = mode;
        app.settings.lab.batch_size = batch_size;
        lab.mode = mode;
        lab.batch_size = batch_size;
        app.set_batch(app.settings.lab.batch_for_new_runs());
    }
    if training {
        app.set_lab_training(lab.epochs, lab.seed);
    }
    if changed && apply.is_none() {
        apply = Some(LabSettings {
            standardize: lab.standardize,
            ..app.settings.lab.clone()
        });
    }
    if let Some(data) = &app.lab_data
        && let Some(summary) = &app.lab_summary
        && let Some([w0, w1]) = summary.best
    {
        ui.label(
            RichText::new(format!(
                "{} points; least squares: intercept {}, slope {}",
                data.len(),
                fmt_num(w0),
                fmt_num(w1)
            ))
            .small(),
        );
    }
    if let Some(lab) = apply {
        app.apply_lab(lab);
    }
}

impl DescentApp {
    /// Applies lab settings: rebuilds the data and the runs; on a data error (a bad CSV
    /// row, a missing file) nothing changes but the notice.
    pub fn apply_lab(&mut self, lab: LabSettings) {
        let data = match lab.dataset() {
            Ok(data) => Arc::new(data),
            Err(e) => {
                self.notice = Some(Notice::Error(e));
                return;
            }
        };
        self.settings.lab = lab;
        self.set_lab_data(data);
        self.notice = None;
        self.view2d.reset_view();
        self.enter_lab();
    }

    /// Sets the lab's data and the summary the views read every frame.
    pub fn set_lab_data(&mut self, data: Arc<Dataset>) {
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

    /// Changes epochs and the shuffles' seed: the runs are rebuilt, the data stays.
    pub fn set_lab_training(&mut self, epochs: u64, seed: u64) {
        self.settings.lab.epochs = epochs.max(1);
        self.settings.lab.seed = seed;
        if let Some(lab) = self.sim.lab().cloned() {
            self.sim.set_lab(Some(super::simulation::LabRuns {
                epochs: self.settings.lab.epochs,
                seed,
                ..lab
            }));
            let result = self.sim.rebuild();
            self.apply(result);
        }
    }
}
