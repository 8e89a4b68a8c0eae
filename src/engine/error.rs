//! Errors of the engine: every one names the value that was wrong and what is allowed.
//!
//! This module imports nothing else of the engine: each error carries the limits and lists
//! it reports, so the modules that raise errors depend on it and never the other way round.
//! Numbers in messages go through the one formatter, [`super::format`], which imports nothing.

use super::format::human;

/// Why a function, optimizer or run could not be set up.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// No function has this name.
    #[error("unknown function '{name}'{hint}; valid functions: {valid}")]
    UnknownFunction {
        /// The name given.
        name: String,
        /// A "did you mean" for a near name, or nothing.
        hint: String,
        /// The valid names, comma-separated.
        valid: String,
    },
    /// No optimizer has this name.
    #[error("unknown optimizer '{name}'{hint}; valid optimizers: {valid}")]
    UnknownOptimizer {
        /// The name given.
        name: String,
        /// A "did you mean" for a near name, or nothing.
        hint: String,
        /// The valid names, comma-separated.
        valid: String,
    },
    /// A dimension was given for a function of fixed dimension.
    #[error("a dimension applies only to sum-squares, not to '{0}'")]
    DimNotApplicable(String),
    /// The dimension of sum-squares is out of range.
    #[error("dimension must be between 1 and {max}, got {got}")]
    BadDim {
        /// The dimension given.
        got: i64,
        /// The largest allowed.
        max: usize,
    },
    /// A hyperparameter is out of its range.
    #[error("{name} must be {allowed}, got {}", human(*value))]
    BadHyperparameter {
        /// The hyperparameter's name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The allowed range in words.
        allowed: &'static str,
    },
    /// The start has the wrong number of coordinates.
    #[error(
        "start has {got} coordinate{s} but {function} takes {expected} ({names}){dim}",
        s = if *got == 1 { "" } else { "s" },
        dim = if function == "sum-squares" && *got >= 1 {
            format!("; for {got} set its dimension with --dim {got}")
        } else {
            String::new()
        }
    )]
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
    #[error("iterations must be between 1 and {max}, got {got}")]
    BadIterations {
        /// The count given.
        got: i64,
        /// The largest allowed.
        max: u64,
    },
    /// The optimizer cannot work in this many dimensions in reasonable time or memory.
    #[error(
        "{optimizer} builds a dense {dim} x {dim} Hessian every step; it takes at most {max} parameters"
    )]
    TooManyParameters {
        /// The optimizer's command-line name.
        optimizer: &'static str,
        /// The number of parameters.
        dim: usize,
        /// The most it takes.
        max: usize,
    },
    /// A batch size of 0 or above the number of points.
    #[error("batch size must be between 1 and the number of points ({points}), got {size}")]
    BadBatchSize {
        /// The size asked for.
        size: i64,
        /// Points in the data set.
        points: usize,
    },
    /// The tolerance is negative, not finite or below f64's normal range.
    #[error(
        "tolerance must be {}, got {}",
        if super::format::subnormal(*.0) { "0 or at least about 2.2e-308" } else { "a finite number >= 0" },
        human(*.0)
    )]
    BadTolerance(f64),
    /// A coordinate of the start is below f64's normal range.
    #[error("start coordinate {} is below the smallest number (about 2.2e-308); write 0 or a larger number", human(*.0))]
    StartUnderflow(f64),
}
