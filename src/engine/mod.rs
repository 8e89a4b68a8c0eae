//! The engine: objectives, optimizers, runs, regression and grid sampling.
//!
//! Plain Rust with no user-interface dependency, deterministic, used alike by the window,
//! the command line, the tests and the benchmarks. Modules depend downwards only:
//! `error` and `format` on nothing; `objective` and `ad` on them; `presets`, `regression`,
//! `schedule`, `optimizer` and `gradient` on those; `run` and `function` on everything below.

pub mod ad;
pub mod basins;
pub mod critical;
pub mod error;
pub mod explain;
pub mod expr;
pub mod format;
pub mod function;
pub mod gradient;
pub mod grid;
pub mod inspect;
pub mod lanes;
pub mod lesson;
pub mod objective;
pub mod optimizer;
pub mod presets;
pub mod race;
pub mod regression;
pub mod run;
pub mod schedule;

pub use error::EngineError;
pub use function::FunctionSpec;
pub use grid::Grid;
pub use objective::{Interval, Objective, ObjectiveInfo, SecondOrder};
pub use optimizer::{Evaluations, GradientNoise, OptimizerConfig, OptimizerKind};
pub use presets::{PRESET_NAMES, PresetKind, preset};
pub use run::{Path, Run, RunSpec, StopReason};
pub use schedule::{Schedule, ScheduleKind};
