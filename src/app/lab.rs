//! The regression lab: noisy points, the fitted line swinging into place over them, and the
//! run's path across the loss landscape over (intercept, slope) beside it (the 2-D view).

use crate::app::controls::{MAX_SEED, Typed};
use std::sync::Arc;

use egui::{Color32, RichText, Slider};
use egui_plot::{Line, LineStyle, Plot, PlotPoint, Points};
use serde::{Deserialize, Serialize};

use super::action::{Action, DataEdit};
use super::help::Explain;
use super::model::Model;
use super::{legend_name, run_color};
use crate::engine::format::human;
use crate::engine::function::DataSource;
use crate::engine::regression::{DataSpec, Dataset, batch_at};

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
    /// Where the lab's data comes from (in command-line form in the state file).
    pub data: DataSource,
    /// Rescale x to mean 0 and standard deviation 1.
    pub standardize: bool,
    /// The mode new runs get: batch, mini-batch or stochastic.
    pub mode: BatchMode,
    /// Points per mini-batch.
    pub batch_size: usize,
    /// Passes over the data (1 to 10,000).
    pub epochs: u64,
    /// Seed of the shuffles.
    pub seed: u64,
    /// Reshuffle the points every epoch (else take them in their own order).
    pub shuffle: bool,
    /// Draw the current mini-batch's own loss contours on the landscape.
    pub show_batch_contours: bool,
}

impl Default for LabSettings {
    fn default() -> Self {
        Self {
            spec: DataSpec::seed001(),
            csv_path: String::new(),
            data: DataSource::Generated(DataSpec::seed001()),
            standardize: false,
            mode: BatchMode::Batch,
            batch_size: 20,
            epochs: 100,
            seed: 0,
            shuffle: true,
            show_batch_contours: false,
        }
    }
}

impl LabSettings {
    /// The same settings with numbers clamped to what the controls offer.
    pub fn sanitized(mut self) -> Self {
        self.epochs = self.epochs.clamp(1, 10_000);
        self.batch_size = self.batch_size.max(1);
        if self.spec.validate().is_err() {
            self.spec = DataSpec::seed001();
        }
        self
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

/// The scatter plot of the data, with its thinned points cached per data set, and the point
/// being dragged.
#[derive(Default)]
pub struct Scatter {
    points: Option<(Arc<Dataset>, Vec<PlotPoint>)>,
    /// Last frame's plot transform, to find the point under a press.
    transform: Option<egui_plot::PlotTransform>,
    /// The point being dragged.
    dragging: Option<usize>,
}

/// Screen points within which a press takes a data point.
const GRAB_RADIUS: f32 = 8.0;

impl Scatter {
    /// The data point (by index) nearest `pos` within [`GRAB_RADIUS`], if the points are
    /// editable (drawn one for one).
    fn point_at(&self, data: &Dataset, pos: egui::Pos2) -> Option<usize> {
        let transform = self.transform.as_ref()?;
        if data.len() > SCATTER_POINTS {
            return None;
        }
        (0..data.len())
            .map(|i| {
                let p = transform.position_from_point(&PlotPoint::new(data.x[i], data.y[i]));
                (i, p.distance(pos))
            })
            .filter(|(_, d)| *d <= GRAB_RADIUS)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
    }
}

impl Scatter {
    /// The data, the least-squares line (dashed), each run's line at the shown iteration,
    /// and the selected run's current mini-batch highlighted. Drag a point to move it, click
    /// to add one, right-click one to remove it (sets of up to 5,000 points).
    pub fn ui(&mut self, model: &Model, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let (Some(data), Some(summary)) = (&model.lab_data, &model.lab_summary) else {
            ui.label("No data: generate some or load a CSV file.");
            return;
        };
        if self
            .points
            .as_ref()
            .is_none_or(|(cached, _)| !Arc::ptr_eq(cached, data))
        {
            let stride = (data.len() / SCATTER_POINTS).max(1);
            let points = (0..data.len())
                .step_by(stride)
                .map(|i| PlotPoint::new(data.x[i], data.y[i]))
                .collect();
            self.points = Some((data.clone(), points));
        }
        let Some((_, points)) = &self.points else {
            return;
        };
        let (lo, hi) = summary.x_range;
        let shown = model.sim.shown();
        let selected = model.sim.selected;
        let x_label = if model.settings.lab.standardize {
            "x (standardized)"
        } else {
            "x"
        };
        let points = points.as_slice();
        // A press on a point starts dragging it (the plot does not pan meanwhile).
        let (pressed, down, released) = ui.input(|i| {
            (
                i.pointer.primary_pressed(),
                i.pointer.primary_down(),
                i.pointer.any_released(),
            )
        });
        if pressed
            && let Some(pos) = ui.input(|i| i.pointer.press_origin())
            && ui.max_rect().contains(pos)
        {
            self.dragging = self.point_at(data, pos);
        }
        if released || !down {
            self.dragging = None;
        }
        let dragging = self.dragging;
        // The axes hold still while a point is dragged, so it stays under the pointer.
        let frozen = dragging.and(self.transform.map(|t| *t.bounds()));
        let response = super::plot_input::short_ticks(Plot::new("scatter").x_axis_label(x_label))
            .y_axis_label("y")
            .allow_boxed_zoom(false)
            .allow_drag(dragging.is_none())
            .legend(egui_plot::Legend::default())
            .show(ui, move |plot_ui| {
                if let Some(bounds) = frozen {
                    plot_ui.set_plot_bounds(bounds);
                }
                plot_ui.add(
                    Points::new("data", points)
                        .radius(2.0)
                        .color(Color32::from_gray(170)),
                );
                if let Some([w0, w1]) = summary.best {
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
                for (i, slot) in model.sim.slots().iter().enumerate() {
                    let k = slot.shown_index(shown);
                    let w = slot.run.path().point(k);
                    let color = run_color(slot.setup.color);
                    plot_ui.line(
                        Line::new(
                            legend_name(i, slot, model.sim.slots().len()),
                            vec![[lo, w[0] + w[1] * lo], [hi, w[0] + w[1] * hi]],
                        )
                        .color(color)
                        .width(if i == selected { 2.5 } else { 1.5 }),
                    );
                    if i == selected
                        && let Some(spec) = slot.run.batch_spec()
                        && slot.shown_stop(shown).is_none()
                    {
                        let batch: Vec<[f64; 2]> = batch_at(data.len(), spec, k + 1)
                            .take(SCATTER_POINTS)
                            .map(|j| [data.x[j as usize], data.y[j as usize]])
                            .collect();
                        plot_ui.add(Points::new("current batch", batch).radius(4.0).color(color));
                    }
                }
                if let Some(index) = dragging {
                    plot_ui.add(
                        Points::new("", vec![[data.x[index], data.y[index]]])
                            .radius(5.0)
                            .color(Color32::WHITE),
                    );
                }
                plot_ui.pointer_coordinate()
            });
        self.transform = Some(response.transform);
        let pointer = response
            .inner
            .filter(|p| p.x.is_finite() && p.y.is_finite());
        let editable = data.len() <= SCATTER_POINTS && !model.settings.lab.standardize;
        if let (Some(index), Some(p)) = (dragging, pointer) {
            let moved = (data.x[index], data.y[index]) != (p.x, p.y);
            if moved && response.response.dragged() {
                actions.push(Action::EditData(DataEdit::Move {
                    index,
                    x: p.x,
                    y: p.y,
                }));
            }
        } else if editable && let Some(pos) = response.response.interact_pointer_pos() {
            let hit = self.point_at(data, pos);
            if response.response.clicked()
                && hit.is_none()
                && let Some(p) = pointer
            {
                actions.push(Action::EditData(DataEdit::Add { x: p.x, y: p.y }));
            } else if response.response.secondary_clicked()
                && let Some(index) = hit
            {
                actions.push(Action::EditData(DataEdit::Remove { index }));
            }
        }
    }

    /// The scatter's plot transform of the last frame (tests click through it).
    pub fn transform(&self) -> Option<egui_plot::PlotTransform> {
        self.transform
    }
}

/// Data source, standardization and training mode. Generator fields and the CSV path are
/// kept as typed; the data changes on Generate, Load CSV, a preset or a training setting.
pub fn lab_controls_ui(model: &Model, loading: bool, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
    let lab = &model.settings.lab;
    ui.strong("Data");
    ui.horizontal(|ui| {
        for (name, spec) in [
            ("Seed 000", DataSpec::seed000()),
            ("Seed 001", DataSpec::seed001()),
            ("Seed 002", DataSpec::seed002()),
        ] {
            let current = lab.data == DataSource::Generated(spec);
            if ui
                .selectable_label(current, name)
                .explain(format!(
                    "y = {} + {} x + N(0, {}^2), {} points on [{}, {}]",
                    spec.a, spec.b, spec.sigma, spec.n, spec.lo, spec.hi
                ))
                .clicked()
            {
                actions.push(Action::EditGenerator(spec));
                actions.push(Action::SetLabData(DataSource::Generated(spec)));
            }
        }
    });
    let mut spec = lab.spec;
    egui::Grid::new("generator").num_columns(4).show(ui, |ui| {
        ui.label("a");
        ui.add(egui::DragValue::new(&mut spec.a).typed().speed(0.1))
            .explain("Intercept a");
        ui.label("b");
        ui.add(egui::DragValue::new(&mut spec.b).typed().speed(0.1))
            .explain("Slope b");
        ui.end_row();
        ui.label("sigma");
        ui.add(
            egui::DragValue::new(&mut spec.sigma)
                .typed_in(0.0..=1e6)
                .speed(0.05)
                .range(0.0..=1e6),
        )
        .explain("Noise sigma");
        ui.label("n");
        ui.add(
            egui::DragValue::new(&mut spec.n)
                .typed_whole(2.0..=1e6)
                .range(2..=1_000_000),
        )
        .explain("Points n");
        ui.end_row();
        ui.label("lo");
        ui.add(egui::DragValue::new(&mut spec.lo).typed().speed(0.1))
            .explain("Smallest x");
        ui.label("hi");
        ui.add(egui::DragValue::new(&mut spec.hi).typed().speed(0.1))
            .explain("Largest x");
        ui.end_row();
        ui.label("seed");
        ui.add(egui::DragValue::new(&mut spec.seed).typed_whole(0.0..=MAX_SEED))
            .explain("Data seed");
        ui.checkbox(&mut spec.even, "Even x").explain(
            "x evenly spaced from lo to hi (as seed 002's notebook), instead of drawn at random",
        );
        ui.end_row();
    });
    if spec != lab.spec {
        actions.push(Action::EditGenerator(spec));
    }
    if ui
        .button("Generate")
        .explain("Draw new points y = a + b x + noise with the numbers above")
        .clicked()
    {
        actions.push(Action::SetLabData(DataSource::Generated(spec)));
    }
    let mut path = lab.csv_path.clone();
    ui.horizontal(|ui| {
        let label = ui.label("CSV file");
        let edit = ui
            .add(
                egui::TextEdit::singleline(&mut path)
                    .desired_width(150.0)
                    .hint_text("points.csv"),
            )
            .explain("A CSV file of two columns, x and y (a header row and # comments are fine)")
            .labelled_by(label.id);
        if edit.changed() {
            actions.push(Action::EditCsvPath(path.clone()));
        }
        if ui
            .add_enabled(!loading, egui::Button::new("Load CSV"))
            .explain("Read the points from the CSV file")
            .clicked()
        {
            match DataSource::parse(path.trim()) {
                Ok(source) => actions.push(Action::SetLabData(source)),
                Err(e) => actions.push(Action::EditCsvPath(format!("{path} ({e})"))),
            }
        }
    });
    if loading {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("reading the data file…");
        });
    }
    let mut standardize = lab.standardize;
    if ui
        .checkbox(&mut standardize, "Standardize x")
        .explain("Rescale x to mean 0, standard deviation 1: one learning rate then suits both parameters")
        .changed()
    {
        actions.push(Action::SetStandardize(standardize));
    }
    let edit_hint = if lab.standardize {
        "Turn off Standardize x to edit the points."
    } else {
        "On the scatter: drag a point to move it, click to add one, right-click one to remove it."
    };
    ui.label(RichText::new(edit_hint).small());

    ui.strong("Training");
    ui.label(
        RichText::new(
            "Mode and batch size are the selected run's: add runs (Shift+click) to compare modes.",
        )
        .small(),
    );
    // The selected run's mode, or with no run the mode new runs get.
    let selected_batch = model.sim.selected_slot().map(|s| s.setup.batch);
    let before_mode = match selected_batch {
        Some(batch) => LabSettings::mode_of(batch),
        None => lab.mode,
    };
    let mut mode = before_mode;
    let n = model.lab_data.as_ref().map_or(100, |d| d.len());
    let before_size = match selected_batch.flatten() {
        Some(b) if b > 1 => b,
        _ => lab.batch_size,
    }
    .clamp(1, n.max(2));
    let mut batch_size = before_size;
    ui.horizontal(|ui| {
        ui.radio_value(&mut mode, BatchMode::Batch, "Batch")
            .explain("Batch: every step uses the gradient of the loss over all the points; smooth and exact, one step per epoch");
        ui.radio_value(&mut mode, BatchMode::MiniBatch, "Mini-batch")
            .explain("Mini-batch: every step uses a few points (the batch size); the gradient is noisy but cheap, many steps per epoch");
        ui.radio_value(&mut mode, BatchMode::Stochastic, "Stochastic")
            .explain("Stochastic (SGD): every step uses one point; the noisiest path, as many steps per epoch as points");
    });
    if mode == BatchMode::MiniBatch {
        ui.add(
            Slider::new(&mut batch_size, 1..=n.max(2))
                .typed_whole(1.0..=n.max(2) as f64)
                .logarithmic(true)
                .text("Batch size"),
        )
        .explain("Points per step: larger batches give a truer gradient, smaller ones more steps per epoch");
    }
    if (mode, batch_size) != (before_mode, before_size) {
        actions.push(Action::SetBatch {
            mode,
            size: batch_size,
        });
    }
    let (mut epochs, mut seed, mut shuffle) = (lab.epochs, lab.seed, lab.shuffle);
    ui.add(
        Slider::new(&mut epochs, 1..=10_000)
            .typed_whole(1.0..=10_000.0)
            .logarithmic(true)
            .text("Epochs"),
    )
    .explain("Passes over the data: each epoch every point is used once");
    ui.horizontal(|ui| {
        ui.checkbox(&mut shuffle, "Shuffle each epoch").explain(
            "Mini-batch and stochastic runs visit the points in a new random order every \
             epoch. Off: in the data's own order, as seed 002's notebook does; at a large \
             rate the order alone can decide between converging and blowing up.",
        );
        ui.add_enabled(
            shuffle,
            egui::DragValue::new(&mut seed)
                .typed_whole(0.0..=MAX_SEED)
                .prefix("seed "),
        )
        .explain("Shuffle seed: the same seed gives the same batches");
    });
    if (epochs, seed, shuffle) != (lab.epochs, lab.seed, lab.shuffle) {
        actions.push(Action::SetLabTraining {
            epochs,
            seed,
            shuffle,
        });
    }
    let mut contours = lab.show_batch_contours;
    if ui
        .checkbox(&mut contours, "Contours of the current batch's loss")
        .explain("The loss of only the points in the current batch: its minimum moves from batch to batch, which is why mini-batch paths wander")
        .changed()
    {
        actions.push(Action::SetBatchContours(contours));
    }
    if let Some(data) = &model.lab_data
        && let Some(summary) = &model.lab_summary
        && let Some([w0, w1]) = summary.best
    {
        ui.label(
            RichText::new(format!(
                "{} points; least squares: intercept {}, slope {}",
                data.len(),
                human(w0),
                human(w1)
            ))
            .small(),
        );
    }
}
