//! The race panel: pick optimizers and their learning rates (suggested for the function's
//! scale, typed, or tuned by a sweep in the background), start them all from the selected
//! run's start, and compare the runs in a sortable results table.

use crate::app::controls::Typed;
use std::sync::Arc;

use egui::RichText;

use super::action::Action;
use super::help::Explain;
use super::jobs::{Cached, Runner};
use super::model::Model;
use crate::engine::format::human;
use crate::engine::race::{RaceRow, Tuned, row_of, suggested_lr, tune_lr};
use crate::engine::{OptimizerConfig, OptimizerKind};

/// One lane of the race as the panel edits it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lane {
    /// Whether it takes part.
    pub enabled: bool,
    /// The optimizer.
    pub kind: OptimizerKind,
    /// Its learning rate.
    pub lr: f64,
}

/// What the tuning sweep was asked for: the function, the start, the iterations.
#[derive(Clone, Debug, PartialEq)]
struct TuneKey {
    function: u64,
    start: Vec<f64>,
    iterations: u64,
}

/// A column of the results table to sort by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortBy {
    /// The run's number.
    Run,
    /// Iterations to reach the tolerance.
    Reached,
    /// The final value.
    FinalValue,
    /// The distance to the nearest known minimum.
    Distance,
    /// Gradient evaluations.
    Gradients,
}

/// The panel's own state.
pub struct RacePanel {
    /// The lanes, every optimizer once.
    pub lanes: Vec<Lane>,
    /// The function generation the suggested rates were made for.
    suggested_for: Option<u64>,
    tune: Cached<TuneKey, Arc<Vec<Option<Tuned>>>>,
    /// The tuning result already copied into the lanes.
    applied: Option<TuneKey>,
    /// Whether the results window is open.
    pub results_open: bool,
    /// The results table's order.
    pub sort: SortBy,
    /// What the last sweep chose.
    pub message: Option<String>,
    /// The equal budget offered when the mode is switched on.
    pub budget: u64,
}

impl Default for RacePanel {
    fn default() -> Self {
        Self {
            lanes: OptimizerKind::ALL
                .iter()
                .map(|&kind| Lane {
                    enabled: true,
                    kind,
                    lr: 0.1,
                })
                .collect(),
            suggested_for: None,
            tune: Cached::default(),
            applied: None,
            results_open: false,
            sort: SortBy::Run,
            message: None,
            budget: 200,
        }
    }
}

impl RacePanel {
    /// Whether a tuning sweep is running.
    pub fn is_pending(&self) -> bool {
        self.tune.is_pending()
    }

    /// The start the race uses: the selected run's, or the function's own.
    fn start(model: &Model) -> Vec<f64> {
        model.sim.selected_slot().map_or_else(
            || model.objective().info().default_start.clone(),
            |s| s.setup.start.clone(),
        )
    }

    /// The lanes' configs for a race: the selected run's hyperparameters where the
    /// optimizer reads them, each lane's own rate.
    pub fn configs(&self, model: &Model) -> Vec<OptimizerConfig> {
        let base = model
            .sim
            .selected_slot()
            .map_or(model.settings.optimizer, |s| s.setup.optimizer);
        self.lanes
            .iter()
            .filter(|lane| lane.enabled)
            .map(|lane| OptimizerConfig {
                kind: lane.kind,
                lr: lane.lr,
                weight_decay: None,
                amsgrad: base.amsgrad && lane.kind.reads_amsgrad(),
                ..base
            })
            .collect()
    }

    /// The race section of the controls: the lanes, Tune, Race and Results.
    pub fn ui(
        &mut self,
        model: &Model,
        runner: Runner,
        ui: &mut egui::Ui,
        actions: &mut Vec<Action>,
    ) {
        let generation = model.sim.objective_generation();
        if self.suggested_for != Some(generation) {
            let view = model.view();
            let start = Self::start(model);
            for lane in &mut self.lanes {
                lane.lr = suggested_lr(model.objective().as_ref(), &view, &start, lane.kind);
            }
            self.suggested_for = Some(generation);
        }
        self.collect_tuning(model);
        egui::CollapsingHeader::new("Race optimizers")
            .id_salt("race")
            .show(ui, |ui| {
                ui.label(
                    RichText::new(
                        "One run per optimizer from the selected run's start. Rates suit the function's scale; edit them, or Tune.",
                    )
                    .small()
                    .weak(),
                );
                egui::Grid::new("race_lanes").num_columns(2).show(ui, |ui| {
                    for lane in &mut self.lanes {
                        ui.checkbox(&mut lane.enabled, lane.kind.label())
                            .explain(format!(
                                "Race {}. {}",
                                lane.kind.label(),
                                super::help::optimizer_idea(lane.kind)
                            ));
                        let speed = lane.lr * 0.01;
                        ui.add(
                            egui::DragValue::new(&mut lane.lr)
                                .typed_in(1e-300..=1e300)
                                .speed(speed)
                                .range(1e-300..=1e300)
                                .custom_formatter(|v, _| human(v))
                                .prefix("lr "),
                        )
                        .explain(lane.kind.rule());
                        ui.end_row();
                    }
                });
                ui.horizontal(|ui| {
                    let current = model.sim.equal_budget();
                    let mut on = current.is_some();
                    if let Some(b) = current {
                        self.budget = b;
                    }
                    let hint = "Every run stops once its evaluations cost this many gradients: each gradient counts 1, each trial value of the line search 1, each Hessian one per parameter";
                    let toggled = ui.checkbox(&mut on, "Equal budget").explain(hint).changed();
                    let edited = ui
                        .add(
                            egui::DragValue::new(&mut self.budget)
                                .typed_whole(1.0..=super::settings::MAX_BUDGET as f64)
                                .range(1..=super::settings::MAX_BUDGET)
                                .speed(1.0)
                                .suffix(" grad evals"),
                        )
                        .explain(hint)
                        .changed();
                    if toggled || (edited && on) {
                        actions.push(Action::SetBudget(on.then_some(self.budget)));
                    }
                });
                ui.horizontal(|ui| {
                    let lanes = self.configs(model);
                    if ui
                        .add_enabled(!lanes.is_empty(), egui::Button::new("Race"))
                        .explain("Replace the runs by one run per checked optimizer")
                        .clicked()
                    {
                        actions.push(Action::Race(lanes));
                        self.results_open = true;
                    }
                    let tuning = self.tune.is_pending();
                    if ui
                        .add_enabled(!tuning, egui::Button::new(if tuning { "Tuning..." } else { "Tune" }))
                        .explain(
                            "Try 61 rates from 1e-5 to 10 for each optimizer and keep the one that ends lowest within the iterations, never one that diverged",
                        )
                        .clicked()
                    {
                        self.start_tuning(model, runner);
                    }
                    if ui
                        .button("Results")
                        .explain("A table of each raced run: iterations to converge, gradient evaluations, final f and where it ended")
                        .clicked()
                    {
                        self.results_open = !self.results_open;
                    }
                });
                if let Some(message) = &self.message {
                    ui.label(RichText::new(message).small());
                }
            });
    }

    fn tune_key(model: &Model) -> TuneKey {
        TuneKey {
            function: model.sim.objective_generation(),
            start: Self::start(model),
            iterations: model.sim.max_iters(),
        }
    }

    fn start_tuning(&mut self, model: &Model, runner: Runner) {
        let key = Self::tune_key(model);
        let objective = model.objective().clone();
        let configs: Vec<OptimizerConfig> = self
            .lanes
            .iter()
            .map(|lane| OptimizerConfig::new(lane.kind, lane.lr))
            .collect();
        let (start, iterations) = (key.start.clone(), key.iterations);
        self.applied = None;
        self.tune.request(runner, &key, move |context| {
            let mut tuned = Vec::with_capacity(configs.len());
            for config in configs {
                if context.is_cancelled() {
                    break;
                }
                tuned.push(tune_lr(&objective, config, &start, iterations));
            }
            Arc::new(tuned)
        });
    }

    /// Copies a finished sweep's rates into the lanes, once, and says what it chose.
    fn collect_tuning(&mut self, model: &Model) {
        self.tune.collect();
        let Some((key, tuned)) = &self.tune.current else {
            return;
        };
        if self.applied.as_ref() == Some(key) || *key != Self::tune_key(model) {
            return;
        }
        let mut chosen = Vec::new();
        for (lane, result) in self.lanes.iter_mut().zip(tuned.iter()) {
            match result {
                Some(t) => {
                    lane.lr = t.lr;
                    chosen.push(format!("{} {}", lane.kind.name(), human(t.lr)));
                }
                None => chosen.push(format!("{} (every rate failed)", lane.kind.name())),
            }
        }
        self.message = Some(format!(
            "Tuned over {} iterations: {}",
            key.iterations,
            chosen.join(", ")
        ));
        self.applied = Some(key.clone());
    }

    /// The results window: one row per run, sortable by the column headers.
    pub fn results_ui(&mut self, model: &Model, ctx: &egui::Context) {
        let mut open = self.results_open;
        egui::Window::new("Race results")
            .open(&mut open)
            .default_width(720.0)
            .resizable(true)
            .show(ctx, |ui| self.table_ui(model, ui));
        self.results_open = open;
    }

    /// The rows of the runs as they stand (a run still going shows where it is).
    pub fn rows(model: &Model) -> Vec<(usize, RaceRow)> {
        let minima = &model.objective().info().minima;
        model
            .sim
            .slots()
            .iter()
            .enumerate()
            .map(|(i, slot)| (i, row_of(&slot.run, minima)))
            .collect()
    }

    fn table_ui(&mut self, model: &Model, ui: &mut egui::Ui) {
        let tol = model.sim.tol();
        ui.label(
            RichText::new(if tol > 0.0 {
                format!(
                    "reached: the first iteration with |grad f| < {}",
                    human(tol)
                )
            } else {
                "reached: turn on \"Stop at |grad f| <\" to measure it".to_string()
            })
            .small()
            .weak(),
        );
        let mut rows = Self::rows(model);
        let key = |r: &RaceRow| match self.sort {
            SortBy::Run => 0.0,
            SortBy::Reached => r.reached.map_or(f64::INFINITY, |k| k as f64),
            SortBy::FinalValue => r.final_value,
            SortBy::Distance => r.distance.unwrap_or(f64::INFINITY),
            SortBy::Gradients => r.evaluations.gradients as f64,
        };
        rows.sort_by(|a, b| key(&a.1).total_cmp(&key(&b.1)).then(a.0.cmp(&b.0)));
        egui::ScrollArea::both().show(ui, |ui| {
            egui::Grid::new("race_results")
                .striped(true)
                .num_columns(10)
                .show(ui, |ui| {
                    let header =
                        |ui: &mut egui::Ui, text: &str, sort: Option<SortBy>, current: SortBy| {
                            match sort {
                                Some(s) => ui
                                    .selectable_label(s == current, text)
                                    .clicked()
                                    .then_some(s),
                                None => {
                                    ui.strong(text);
                                    None
                                }
                            }
                        };
                    let columns = [
                        ("run", Some(SortBy::Run)),
                        ("optimizer", None),
                        ("lr", None),
                        ("reached", Some(SortBy::Reached)),
                        ("final f", Some(SortBy::FinalValue)),
                        ("to minimum", Some(SortBy::Distance)),
                        ("f evals", None),
                        ("grad evals", Some(SortBy::Gradients)),
                        ("Hessians", None),
                        ("stop", None),
                    ];
                    for (text, sort) in columns {
                        if let Some(s) = header(ui, text, sort, self.sort) {
                            self.sort = s;
                        }
                    }
                    ui.end_row();
                    for (i, row) in &rows {
                        let slot = &model.sim.slots()[*i];
                        ui.colored_label(super::run_color(slot.setup.color), format!("{}", i + 1));
                        ui.label(row.optimizer.kind.label());
                        ui.label(human(row.optimizer.lr));
                        ui.label(
                            row.reached
                                .map_or("not reached".to_string(), |k| k.to_string()),
                        );
                        ui.label(human(row.final_value));
                        ui.label(row.distance.map_or("-".to_string(), human));
                        ui.label(row.evaluations.values.to_string());
                        ui.label(row.evaluations.gradients.to_string());
                        ui.label(row.evaluations.hessians.to_string());
                        ui.label(match row.stop {
                            Some(stop) => stop.phrase(),
                            None => "running",
                        });
                        ui.end_row();
                    }
                });
        });
    }
}
