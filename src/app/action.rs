//! Every change a user can make, as a value. Views return actions; [`super::model::Model::apply`]
//! is the only place they take effect, so a test, a lesson or undo can replay them.

use serde::{Deserialize, Serialize};

use super::lab::BatchMode;
use super::settings::DisplaySettings;
use super::simulation::Speed;
use crate::engine::function::DataSource;
use crate::engine::regression::DataSpec;
use crate::engine::{FunctionSpec, Interval, OptimizerConfig};

/// One change to the app's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Action {
    /// Show a function (a preset, or the regression lab with its data) with one run.
    SetFunction(FunctionSpec),
    /// Move the selected run's start (making a run if there is none) and restart it.
    SetStart(Vec<f64>),
    /// Add a run from this start with the selected run's settings, in a new color.
    AddRun(Vec<f64>),
    /// Replace the runs by a race: one run per optimizer, all from the selected run's start.
    Race(Vec<OptimizerConfig>),
    /// Add `count` runs from starts drawn uniformly in the view (seeded), each with the
    /// selected run's settings: a swarm.
    Scatter {
        /// How many starts.
        count: usize,
        /// The seed of the draw.
        seed: u64,
    },
    /// Remove run `i`.
    RemoveRun(usize),
    /// Select run `i`, whose settings the controls edit.
    SelectRun(usize),
    /// Remove every run.
    ClearRuns,
    /// Set the selected run's optimizer and hyperparameters.
    SetOptimizer(OptimizerConfig),
    /// Iterations every run may take (outside the lab).
    SetIterations(u64),
    /// Stop runs once |grad f| < tol, or not.
    SetTolerance {
        /// Whether the test is on.
        enabled: bool,
        /// The tolerance.
        tol: f64,
    },
    /// Stop every run once its evaluations cost this many gradients (`None`: no budget).
    SetBudget(Option<u64>),
    /// Animation speed.
    SetSpeed(Speed),
    /// The theme and the text size (not undone: they are how the window looks, not what
    /// it shows).
    SetAppearance(super::settings::Appearance),
    /// Start or stop the animation.
    TogglePlay,
    /// Pause and show one more iteration.
    Step,
    /// Back to iteration 0, playing.
    Reset,
    /// Show iteration `k`, paused.
    ScrubTo(usize),
    /// Compute every run to its end at once while a slider is dragged (or stop doing so).
    SetPreview(bool),
    /// Colormap, scales, contours and arrows.
    SetDisplay(DisplaySettings),
    /// Logarithmic y axes in the charts.
    SetChartLog(bool),
    /// The lab's data: generated or read from a file.
    SetLabData(DataSource),
    /// Rescale the lab's x to mean 0 and standard deviation 1, or not.
    SetStandardize(bool),
    /// The selected lab run's batch mode and mini-batch size.
    SetBatch {
        /// Batch, mini-batch or stochastic.
        mode: BatchMode,
        /// Points per mini-batch.
        size: usize,
    },
    /// Passes over the data, the shuffles' seed and whether to shuffle, for every lab run.
    SetLabTraining {
        /// Passes over the data.
        epochs: u64,
        /// Seed of the shuffles.
        seed: u64,
        /// Reshuffle every epoch (else the points' own order).
        shuffle: bool,
    },
    /// Draw the current batch's own loss contours, or not.
    SetBatchContours(bool),
    /// The generator's fields as typed (applied by Generate).
    EditGenerator(DataSpec),
    /// The CSV path as typed (applied by Load CSV).
    EditCsvPath(String),
    /// The formula in the "Your function..." field as typed: shown at once if it parses,
    /// else its error is shown and the last valid function stays.
    EditFormula(String),
    /// The view box of the function shown (`None`: the function's own).
    SetView(Option<Vec<Interval>>),
    /// Keep the typed function shown under this name (replacing one of the same name).
    SaveFunction(String),
    /// Show saved function `i` with its view box.
    OpenSaved(usize),
    /// Rename saved function `i`.
    RenameSaved(usize, String),
    /// Forget saved function `i`.
    RemoveSaved(usize),
    /// Take back the last change.
    Undo,
    /// Apply again the last change taken back.
    Redo,
    /// Open a lesson (its name and its TOML text) at its first step.
    OpenLesson {
        /// The lesson's short name.
        name: String,
        /// The lesson file's text.
        text: String,
        /// The lesson file's folder, where its data files' relative paths start (`None`
        /// for a built-in lesson: from the current folder).
        folder: Option<std::path::PathBuf>,
    },
    /// Set the scene of step `k` (from 0) of the open lesson, as written, and play it.
    LessonStep(usize),
    /// Close the open lesson (the scene stays).
    CloseLesson,
    /// Say why a number field refused what was typed (it kept its value).
    Refused(String),
    /// Change one point of the regression lab's data: the landscape and every run follow.
    EditData(DataEdit),
    /// Show a scenario read from a file; `skipped` names the fields it could not read.
    OpenScenario {
        /// The scenario's settings (the user's saved functions are kept).
        settings: Box<super::settings::Settings>,
        /// Fields skipped (unknown to this version, or unreadable).
        skipped: Vec<String>,
    },
}

/// One change to the lab's data points.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum DataEdit {
    /// Move point `index` to (x, y).
    Move {
        /// The point.
        index: usize,
        /// Its new x.
        x: f64,
        /// Its new y.
        y: f64,
    },
    /// Add a point at (x, y).
    Add {
        /// Its x.
        x: f64,
        /// Its y.
        y: f64,
    },
    /// Remove point `index`.
    Remove {
        /// The point.
        index: usize,
    },
}

impl Action {
    /// Whether the action changes what undo restores (playback and undo itself do not).
    pub fn is_undoable(&self) -> bool {
        !matches!(
            self,
            Self::TogglePlay
                | Self::Step
                | Self::Reset
                | Self::ScrubTo(_)
                | Self::SetPreview(_)
                | Self::SetSpeed(_)
                | Self::SetAppearance(_)
                | Self::Undo
                | Self::Redo
                | Self::CloseLesson
                | Self::Refused(_)
        )
    }

    /// Actions with the same key in one gesture (a slider drag, typing in a field) make one
    /// undo step; `None` for actions that are each their own step.
    pub fn merge_key(&self) -> Option<u8> {
        match self {
            Self::SetOptimizer(_) => Some(1),
            Self::SetIterations(_) => Some(2),
            Self::SetTolerance { .. } => Some(3),
            Self::SetDisplay(_) => Some(4),
            Self::SetBatch { .. } => Some(5),
            Self::SetLabTraining { .. } => Some(6),
            Self::EditGenerator(_) => Some(7),
            Self::EditCsvPath(_) => Some(8),
            Self::EditFormula(_) => Some(9),
            Self::SetView(_) => Some(10),
            Self::RenameSaved(..) => Some(11),
            Self::SetBudget(_) => Some(12),
            // A drag of a point is one undo step.
            Self::EditData(DataEdit::Move { .. }) => Some(13),
            _ => None,
        }
    }
}
