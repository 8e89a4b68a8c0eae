//! Errors of the engine: every one names the value that was wrong and what is allowed.

use super::optimizer::OptimizerKind;
use super::presets::{MAX_DIM, PRESET_NAMES};
use super::run::MAX_ITERATIONS;

/// Why a function, optimizer or run could not be set up.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// No preset has this name.
    #[error("unknown function '{0}'; valid functions: {list}", list = PRESET_NAMES.join(", "))]
    UnknownFunction(String),
    /// No optimizer has this name.
    #[error("unknown optimizer '{0}'; valid optimizers: {list}", list = OptimizerKind::names().join(", "))]
    UnknownOptimizer(String),
    /// A dimension was given for a function of fixed dimension.
    #[error("a dimension applies only to sum-squares, not to '{0}'")]
    DimNotApplicable(String),
    /// The dimension of sum-squares is out of range.
    #[error("dimension must be between 1 and {MAX_DIM}, got {0}")]
    BadDim(i64),
    /// A hyperparameter is out of its range.
    #[error("{name} must be {allowed}, got {value}")]
    BadHyperparameter {
        /// The hyperparameter's name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The allowed range in words.
        allowed: &'static str,
    },
    /// The start has the wrong number of coordinates.
    #[error("start has {got} coordinate{s} but {function} takes {expected} ({names})", s = if *got == 1 { "" } else { "s" })]
    StartDimension {
        /// The function's name.
        function: String,
        /// The number of parameters it takes.
        expected: usize,
        /// The number of coordinates given.
        got: usize,
        /// The parameter names, comma-separated.
        names: String,
    },
    /// The start lies outside the function's domain.
    #[error("start {point} is outside the domain of {function} ({domain})")]
    StartOutsideDomain {
        /// The function's name.
        function: String,
        /// The start, formatted.
        point: String,
        /// The domain in words.
        domain: String,
    },
    /// The start lies beyond the radius where runs count as diverged.
    #[error("start {0} is beyond |p| = 1e12, where a run counts as diverged")]
    StartTooFar(String),
    /// The function or its gradient is not finite at the start.
    #[error("{function} or its gradient is not finite at the start {point}")]
    StartNotFinite {
        /// The function's name.
        function: String,
        /// The start, formatted.
        point: String,
    },
    /// The iteration count is out of range.
    #[error("iterations must be between 1 and {MAX_ITERATIONS}, got {0}")]
    BadIterations(i64),
    /// A batch size of 0 or above the number of points.
    #[error("batch size must be between 1 and the number of points ({points}), got {size}")]
    BadBatchSize {
        /// The size asked for.
        size: i64,
        /// Points in the data set.
        points: usize,
    },
    /// The tolerance is negative or not finite.
    #[error("tolerance must be a finite number >= 0, got {0}")]
    BadTolerance(f64),
}

/// Formats a point as `(a, b, c)` for messages.
pub fn format_point(p: &[f64]) -> String {
    let parts: Vec<String> = p
        .iter()
        .map(|v| {
            if *v != 0.0 && !(1e-5..1e15).contains(&v.abs()) {
                format!("{v:e}")
            } else {
                v.to_string()
            }
        })
        .collect();
    format!("({})", parts.join(", "))
}
