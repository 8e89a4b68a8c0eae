//! `descent race`: several optimizers from one start, as a results table (CSV, JSON or
//! aligned text). Each row equals what `descent run` gives for that optimizer alone.

use std::io::{self, Write};
use std::sync::Arc;

use clap::{Args, ValueEnum};

use super::hyper::HyperArgs;
use super::{UsageError, parse_count, parse_number, parse_point};
use crate::engine::format::{exact, human};
use crate::engine::optimizer::OptimizerConfig;
use crate::engine::race::{RaceRow, RaceSpec, race, suggested_lr, tune_lr};
use crate::engine::run::{MAX_ITERATIONS, MAX_NEWTON_DIM};
use crate::engine::{EngineError, FunctionSpec, Interval, Objective, OptimizerKind, objective};

/// Output formats of `descent race`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RaceFormat {
    /// Comma-separated rows with a header.
    Csv,
    /// One JSON array of row objects.
    Json,
    /// Aligned columns for people.
    Table,
}

/// The arguments of `descent race`.
#[derive(Debug, Clone, Args)]
pub struct RaceArgs {
    /// Function to minimize: a preset's name or a formula.
    #[arg(long, short = 'f', default_value = "bowl", allow_hyphen_values = true)]
    pub function: String,
    /// The start every optimizer shares. Default: the function's own.
    #[arg(long, value_name = "X[,Y,...]", allow_hyphen_values = true)]
    pub start: Option<String>,
    /// Dimension of sum-squares (default 3).
    #[arg(long, allow_hyphen_values = true)]
    pub dim: Option<String>,
    /// The optimizers, comma-separated (default: every one).
    #[arg(long, value_name = "NAME,...")]
    pub optimizers: Option<String>,
    /// One optimizer's learning rate, e.g. `adam=0.05`; repeat for others. The rest get a
    /// rate that suits the function's scale (see the README).
    #[arg(long, value_name = "NAME=LR", allow_hyphen_values = true)]
    pub lr_for: Vec<String>,
    /// Pick every learning rate not given by --lr-for with a sweep: the lowest final value
    /// within the iterations, never a diverged one.
    #[arg(long)]
    pub tune: bool,
    /// Iterations per optimizer (default 100, or the --budget when that is larger).
    #[arg(long, allow_hyphen_values = true)]
    pub iters: Option<String>,
    /// Tolerance on |grad f| for the `reached` column and for stopping (default 1e-6).
    #[arg(long, default_value = "1e-6", allow_hyphen_values = true)]
    pub tol: String,
    /// Equal budget: stop every optimizer once it has spent this many gradient evaluations
    /// (a line-search trial counts one, a Hessian counts one per parameter). A step is never
    /// cut short, so Newton and line search may end a few past it. Without --iters, the
    /// iteration limit rises to the budget.
    #[arg(long, allow_hyphen_values = true)]
    pub budget: Option<String>,
    /// The view box XMIN,XMAX,YMIN,YMAX: where minima are looked for when the function
    /// lists none (a typed formula), and the scale the suggested rates are taken from.
    #[arg(long, value_name = "XMIN,XMAX,YMIN,YMAX", allow_hyphen_values = true)]
    pub view: Option<String>,
    /// Hyperparameters (to every optimizer that reads them), schedule and noise.
    #[command(flatten)]
    pub hyper: HyperArgs,
    /// Seed of --grad-noise (default 0).
    #[arg(long, allow_hyphen_values = true)]
    pub seed: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RaceFormat::Table)]
    pub format: RaceFormat,
}

/// A checked race: the objective, the lanes, the known minima and what to print.
#[derive(Debug, Clone)]
pub struct RaceRequest {
    /// The function.
    pub objective: Arc<dyn Objective>,
    /// The race.
    pub spec: RaceSpec,
    /// The minima the distance column measures to.
    pub minima: Vec<Vec<f64>>,
    /// How each lane's learning rate was chosen: `given`, `scale` or `tuned`.
    pub origins: Vec<&'static str>,
    /// How to print.
    pub format: RaceFormat,
    /// Newton was left out of the default race: its Hessian is beyond its dimension.
    pub newton_sits_out: bool,
}

impl RaceArgs {
    /// Checks every argument and builds the race.
    pub fn to_request(&self, err: &mut impl Write) -> Result<RaceRequest, UsageError> {
        super::basins::no_regression(&self.function)?;
        let spec = FunctionSpec::from_options(&self.function, self.dim.as_deref(), None, false)
            .map_err(|e| UsageError(e.to_string()))?;
        let objective = spec
            .build()
            .map_err(|e| UsageError(e.to_string()))?
            .objective;
        let info = objective.info().clone();
        let start = match &self.start {
            Some(text) => parse_point(text)?,
            None => info.default_start.clone(),
        };
        // A bad start (dimension, domain) is refused before a rate is suggested from it.
        crate::engine::RunSpec {
            optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.1),
            start: start.clone(),
            max_iters: 1,
            tol: 0.0,
        }
        .validate(objective.as_ref())
        .map_err(|e| UsageError(format!("--start: {e}")))?;
        let newton_sits_out = self.optimizers.is_none() && info.dim() > MAX_NEWTON_DIM;
        let kinds: Vec<OptimizerKind> = match &self.optimizers {
            // Newton's dense Hessian is left out where it would be refused.
            None => OptimizerKind::ALL
                .into_iter()
                .filter(|&k| k != OptimizerKind::Newton || !newton_sits_out)
                .collect(),
            Some(list) => list
                .split(',')
                .map(|name| {
                    OptimizerKind::from_name(name.trim())
                        .map_err(|e| UsageError(format!("--optimizers: {e}")))
                })
                .collect::<Result<_, _>>()?,
        };
        if kinds.is_empty() {
            return Err(UsageError("--optimizers: name at least one".to_string()));
        }
        if kinds.contains(&OptimizerKind::Newton) && info.dim() > MAX_NEWTON_DIM {
            return Err(UsageError(format!(
                "--optimizers: {}; leave newton out of the race, or set --dim to at most {MAX_NEWTON_DIM}",
                EngineError::TooManyParameters {
                    optimizer: OptimizerKind::Newton.name(),
                    dim: info.dim(),
                    max: MAX_NEWTON_DIM,
                }
            )));
        }
        if let Some(twice) = kinds
            .iter()
            .enumerate()
            .find_map(|(i, k)| kinds[..i].contains(k).then_some(k))
        {
            return Err(UsageError(format!(
                "--optimizers: {} is named twice",
                twice.name()
            )));
        }
        self.hyper.check_read_by(&kinds)?;
        if self.seed.is_some() && self.hyper.grad_noise.is_none() {
            return Err(UsageError(
                "--seed: seeds --grad-noise, which is not given".to_string(),
            ));
        }
        let mut given: Vec<(OptimizerKind, f64)> = Vec::new();
        for item in &self.lr_for {
            let (name, lr) = item.split_once('=').ok_or_else(|| {
                UsageError(format!("--lr-for: '{item}' is not NAME=LR, e.g. adam=0.05"))
            })?;
            let kind = OptimizerKind::from_name(name.trim())
                .map_err(|e| UsageError(format!("--lr-for: {e}")))?;
            if !kinds.contains(&kind) {
                return Err(UsageError(format!(
                    "--lr-for: {} is not in the race",
                    kind.name()
                )));
            }
            if given.iter().any(|(k, _)| *k == kind) {
                return Err(UsageError(format!(
                    "--lr-for: {} is given twice; give each optimizer's rate once",
                    kind.name()
                )));
            }
            given.push((kind, parse_number("--lr-for", lr)?));
        }
        let budget = match &self.budget {
            None => None,
            Some(text) => {
                let n = parse_count("--budget", text)?;
                Some(u64::try_from(n).ok().filter(|&n| n >= 1).ok_or_else(|| {
                    UsageError(format!("--budget: must be a whole number >= 1, got {n}"))
                })?)
            }
        };
        // Every iteration costs at least one gradient, so with a budget and no --iters the
        // budget, not the default 100 iterations, is what stops a run.
        let default_iters = budget
            .map_or(100, |b| b.clamp(100, MAX_ITERATIONS))
            .to_string();
        if self.iters.is_none()
            && let Some(b) = budget.filter(|b| *b > MAX_ITERATIONS)
        {
            let _ = writeln!(
                err,
                "note: --budget: {b} is more than a run's {MAX_ITERATIONS} iterations at most, so the iteration limit may stop a run first"
            );
        }
        let iters = parse_count("--iters", self.iters.as_deref().unwrap_or(&default_iters))?;
        if !(1..=MAX_ITERATIONS as i64).contains(&iters) {
            return Err(UsageError(format!(
                "--iters: {}",
                EngineError::BadIterations {
                    got: iters,
                    max: MAX_ITERATIONS
                }
            )));
        }
        let tol = parse_number("--tol", &self.tol)?;
        if !(tol.is_finite() && tol >= 0.0) {
            return Err(UsageError(format!(
                "--tol: {}",
                EngineError::BadTolerance(tol)
            )));
        }
        let seed = parse_count("--seed", self.seed.as_deref().unwrap_or("0"))?;
        let seed = u64::try_from(seed).map_err(|_| {
            UsageError(format!(
                "--seed: must be {}, got {seed}",
                super::allowed("--seed")
            ))
        })?;
        let view: Vec<Interval> = match &self.view {
            Some(text) => objective::parse_view(text, objective.dim())
                .map_err(|e| UsageError(format!("--view: {e}")))?,
            None => info.view.clone(),
        };
        if self.tune && kinds.iter().all(|k| given.iter().any(|(g, _)| g == k)) {
            return Err(UsageError(
                "--tune: every optimizer has its rate from --lr-for, so none is left to tune; drop --tune or an --lr-for".to_string(),
            ));
        }
        let max_iters = iters as u64;
        let mut lanes = Vec::with_capacity(kinds.len());
        let mut origins = Vec::with_capacity(kinds.len());
        let tuned = if self.tune {
            kinds
                .iter()
                .filter(|k| !given.iter().any(|(g, _)| g == *k))
                .count()
        } else {
            0
        };
        let rates = crate::engine::race::tuning_rates().len();
        let mut progress = super::Progress::start(
            format!("--tune ({rates} rates for each optimizer, up to {max_iters} iterations)"),
            "optimizers",
            tuned,
        );
        for &kind in &kinds {
            let mut config = OptimizerConfig::new(kind, 1.0);
            self.hyper.apply(&mut config, seed, false)?;
            let lr = match given.iter().rev().find(|(k, _)| *k == kind) {
                Some(&(_, lr)) => {
                    origins.push("given");
                    lr
                }
                None if self.tune => {
                    progress.done(err, origins.iter().filter(|o| **o == "tuned").count());
                    origins.push("tuned");
                    tune_lr(&objective, config, &start, max_iters)
                        .map(|t| t.lr)
                        .unwrap_or_else(|| suggested_lr(objective.as_ref(), &view, &start, kind))
                }
                None => {
                    origins.push("scale");
                    suggested_lr(objective.as_ref(), &view, &start, kind)
                }
            };
            config.lr = lr;
            config.validate().map_err(|e| {
                // The option at fault: the rate if it is the rate, else the one named.
                let flag = match super::hyper::flag_of(&e).as_str() {
                    "--lr" => "--lr-for".to_string(),
                    flag => flag.to_string(),
                };
                let origin = match origins.last().copied() {
                    Some("scale") => "suggested by the function's scale",
                    Some("tuned") => "tuned",
                    _ => "given",
                };
                UsageError(format!(
                    "{flag}: {} (learning rate {}, {origin}): {e}",
                    kind.name(),
                    crate::engine::format::short(lr)
                ))
            })?;
            lanes.push(config);
        }
        progress.finish(err, "the race runs now");
        let minima = crate::engine::basins::minima_for(objective.as_ref(), &view);
        let spec = RaceSpec {
            start,
            lanes,
            max_iters,
            tol,
            budget,
        };
        // A bad start (dimension, domain) is reported before anything runs.
        crate::engine::RunSpec {
            optimizer: spec.lanes[0],
            start: spec.start.clone(),
            max_iters,
            tol,
        }
        .validate(objective.as_ref())
        .map_err(|e| UsageError(format!("--start: {e}")))?;
        Ok(RaceRequest {
            objective,
            spec,
            minima,
            origins,
            format: self.format,
            newton_sits_out,
        })
    }
}

/// The results table's columns.
const COLUMNS: [&str; 11] = [
    "optimizer",
    "lr",
    "lr_from",
    "reached",
    "iterations",
    "final_value",
    "distance_to_minimum",
    "f_evals",
    "grad_evals",
    "hessian_evals",
    "stop_reason",
];

/// The cells of one row, exact numbers for CSV and JSON, short ones for the table.
fn cells(row: &RaceRow, origin: &str, short: bool) -> Vec<String> {
    let number = |v: f64| if short { human(v) } else { exact(v) };
    vec![
        row.optimizer.kind.name().to_string(),
        number(row.optimizer.lr),
        origin.to_string(),
        row.reached
            .map_or("not reached".to_string(), |k| k.to_string()),
        row.iterations.to_string(),
        number(row.final_value),
        row.distance.map_or(String::new(), number),
        row.evaluations.values.to_string(),
        row.evaluations.gradients.to_string(),
        row.evaluations.hessians.to_string(),
        row.stop_name().to_string(),
    ]
}

/// Runs the race and writes its table.
pub fn write_race(
    out: &mut impl Write,
    err: &mut impl Write,
    request: &RaceRequest,
) -> io::Result<()> {
    if request.minima.is_empty() {
        let _ = writeln!(
            err,
            "note: {}, so the distance to the minimum is left blank",
            super::why_no_minimum(request.objective.as_ref())
        );
    }
    if request.newton_sits_out {
        let dim = request.objective.info().dim();
        let _ = writeln!(
            err,
            "note: newton sits out: its dense {dim} x {dim} Hessian is beyond its {MAX_NEWTON_DIM} parameters"
        );
    }
    let rows = race(&request.objective, &request.spec, &request.minima)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    match request.format {
        RaceFormat::Csv => {
            writeln!(out, "{}", COLUMNS.join(","))?;
            for (row, origin) in rows.iter().zip(&request.origins) {
                writeln!(out, "{}", cells(row, origin, false).join(","))?;
            }
        }
        RaceFormat::Json => {
            let objects: Vec<serde_json::Value> = rows
                .iter()
                .zip(&request.origins)
                .map(|(row, origin)| {
                    serde_json::json!({
                        "optimizer": row.optimizer.kind.name(),
                        "lr": row.optimizer.lr,
                        "lr_from": origin,
                        "reached": row.reached,
                        "iterations": row.iterations,
                        "final_point": row.final_point,
                        "final_value": row.final_value,
                        "distance_to_minimum": row.distance,
                        "f_evals": row.evaluations.values,
                        "grad_evals": row.evaluations.gradients,
                        "hessian_evals": row.evaluations.hessians,
                        "stop_reason": row.stop_name(),
                    })
                })
                .collect();
            writeln!(out, "{}", serde_json::Value::Array(objects))?;
        }
        RaceFormat::Table => {
            let table: Vec<Vec<String>> = rows
                .iter()
                .zip(&request.origins)
                .map(|(row, origin)| cells(row, origin, true))
                .collect();
            let widths: Vec<usize> = (0..COLUMNS.len())
                .map(|c| {
                    table
                        .iter()
                        .map(|r| r[c].chars().count())
                        .chain([COLUMNS[c].len()])
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let line = |cells: Vec<&str>| {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            writeln!(out, "{}", line(COLUMNS.to_vec()))?;
            for row in &table {
                writeln!(out, "{}", line(row.iter().map(String::as_str).collect()))?;
            }
        }
    }
    Ok(())
}
