//! The engine: objectives, optimizers, runs and grid sampling.
//!
//! Plain Rust with no user-interface dependency, deterministic, used alike by the window,
//! the command line, the tests and the benchmarks.

pub mod error;
pub mod grid;
pub mod objective;
pub mod optimizer;
pub mod presets;
pub mod regression;
pub mod run;

pub use error::EngineError;
pub use grid::Grid;
pub use objective::{Interval, Objective, ObjectiveInfo, SecondOrder};
pub use optimizer::{OptimizerConfig, OptimizerKind};
pub use presets::{PRESET_NAMES, preset};
pub use run::{Path, Run, RunSpec, StopReason};
