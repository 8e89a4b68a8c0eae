//! The command line: `descent run`, `descent functions`, `descent optimizers`.
//!
//! A thin layer over the [`crate::engine`]: it parses and checks arguments, builds runs,
//! steps them to the end and prints their paths as CSV or JSON.

use std::ffi::OsString;
use std::io::{self, Write};
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::engine::error::format_point;
use crate::engine::optimizer::OptimizerConfig;
use crate::engine::regression::{BatchSpec, DataSpec, Dataset, LossObjective, parse_csv};
use crate::engine::run::MAX_ITERATIONS;
use crate::engine::{EngineError, Objective, OptimizerKind, PRESET_NAMES, Run, RunSpec, preset};

/// Exit code for bad input.
pub const EXIT_USAGE: i32 = 2;

/// descent: gradient descent you can see and touch.
///
/// Without a command it opens the window; run options given here (e.g. `--function sauna
/// --start 0.5,0.6 --lr 0.25`) set up the window's runs instead of the saved session.
#[derive(Debug, Parser)]
#[command(name = "descent", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do; without one, the window opens.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Open the window with the run options, let the runs finish, save a PNG and exit.
    #[arg(long, value_name = "OUT.png")]
    pub screenshot: Option<std::path::PathBuf>,
    /// Run options for the window.
    #[command(flatten)]
    pub window: RunArgs,
}

/// What `main` should do after the command line was handled.
#[derive(Debug)]
pub enum Action {
    /// Exit with this code.
    Exit(i32),
    /// Open the window.
    Window(WindowRequest),
}

/// How to open the window.
#[derive(Debug)]
pub struct WindowRequest {
    /// Runs given on the command line; `None` restores the saved session.
    pub runs: Option<RunRequest>,
    /// Save a screenshot here once the runs finish, then exit.
    pub screenshot: Option<std::path::PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an optimizer from one or more starts and print the paths (CSV or JSON).
    Run(Box<RunArgs>),
    /// List the preset functions with formula, view box and known minima.
    Functions,
    /// List the optimizers with their hyperparameters and defaults.
    Optimizers,
}

/// Output formats of `descent run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One row per iterate: run,iter,<parameters>,value,grad_norm.
    Csv,
    /// One object per run, with its path.
    Json,
}

/// The arguments of `descent run`. Numbers are parsed by hand so that negative values
/// work as typed (`--start -1.5,2`) and every mistake gets a one-line message.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Function to minimize (see `descent functions`).
    #[arg(long, short = 'f', default_value = "bowl")]
    pub function: String,
    /// Start point, comma-separated; repeat for several runs. Default: the function's own.
    #[arg(long, value_name = "X[,Y,...]", allow_hyphen_values = true)]
    pub start: Vec<String>,
    /// Optimizer (see `descent optimizers`).
    #[arg(long, short = 'o', default_value = "gd")]
    pub optimizer: String,
    /// Learning rate (> 0).
    #[arg(long, default_value = "0.1", allow_hyphen_values = true)]
    pub lr: String,
    /// Number of iterations (1 to 10,000,000; default 100). Regression counts epochs instead.
    #[arg(long, allow_hyphen_values = true)]
    pub iters: Option<String>,
    /// Momentum beta of momentum and nesterov, in [0, 1).
    #[arg(long, allow_hyphen_values = true)]
    pub momentum: Option<String>,
    /// Smoothing constant alpha of rmsprop, in [0, 1).
    #[arg(long, allow_hyphen_values = true)]
    pub alpha: Option<String>,
    /// beta1 of adam, in [0, 1).
    #[arg(long, allow_hyphen_values = true)]
    pub beta1: Option<String>,
    /// beta2 of adam, in [0, 1).
    #[arg(long, allow_hyphen_values = true)]
    pub beta2: Option<String>,
    /// Epsilon of adagrad (default 1e-10), rmsprop and adam (default 1e-8).
    #[arg(long, allow_hyphen_values = true)]
    pub eps: Option<String>,
    /// Stop when |grad f| < tol; 0 (the default) runs all iterations.
    #[arg(long, default_value = "0", allow_hyphen_values = true)]
    pub tol: String,
    /// Clip each gradient component to [-C, C] before the optimizer sees it.
    #[arg(long, allow_hyphen_values = true)]
    pub clip: Option<String>,
    /// Dimension of sum-squares (default 3).
    #[arg(long, allow_hyphen_values = true)]
    pub dim: Option<String>,
    /// Regression data: FILE.csv (two columns), gen:a=4,b=3,sigma=1,n=100,lo=0,hi=2,seed=0
    /// (even=true for evenly spaced x), or a seed notebook's set: seed000, seed001, seed002.
    #[arg(long, value_name = "SOURCE")]
    pub data: Option<String>,
    /// Regression: points per mini-batch (default: all, batch descent; 1 is stochastic).
    #[arg(long, allow_hyphen_values = true)]
    pub batch_size: Option<String>,
    /// Regression: passes over the data (default 100).
    #[arg(long, allow_hyphen_values = true)]
    pub epochs: Option<String>,
    /// Regression: seed of the mini-batch shuffles (default 0).
    #[arg(long, allow_hyphen_values = true)]
    pub seed: Option<String>,
    /// Regression: rescale x to mean 0 and standard deviation 1 before fitting.
    #[arg(long)]
    pub standardize: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
}

/// A mistake in the arguments, as one line for stderr (without the `error: ` prefix).
#[derive(Debug, Clone, PartialEq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A fully checked `descent run` request.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The objective.
    pub objective: Arc<dyn Objective>,
    /// One spec per start.
    pub specs: Vec<RunSpec>,
    /// How to print.
    pub format: Format,
    /// The data of a regression.
    pub data: Option<Arc<Dataset>>,
    /// Mini-batches of a regression, when smaller than the data.
    pub batch: Option<BatchSpec>,
    /// Where a regression's data came from, as given to `--data`.
    pub data_source: Option<String>,
    /// Whether a regression's x was standardized.
    pub standardize: bool,
}

impl RunArgs {
    /// Checks every argument and builds the runs' specs.
    pub fn to_request(&self) -> Result<RunRequest, UsageError> {
        let dim = match self.dim.as_deref() {
            None => None,
            Some(s) => {
                let d = parse_count("--dim", s)?;
                let d = usize::try_from(d)
                    .map_err(|_| UsageError(format!("--dim: {}", EngineError::BadDim(d))))?;
                Some(d)
            }
        };
        let regression = self.regression_data()?;
        let objective: Arc<dyn Objective> = match &regression {
            Some(data) => Arc::new(LossObjective::new(data)),
            None => preset(&self.function, dim).map_err(|e| match e {
                EngineError::UnknownFunction(_) => {
                    UsageError(format!("--function: {e}, regression (with --data)"))
                }
                _ => UsageError(format!("--dim: {e}")),
            })?,
        };
        let kind = OptimizerKind::from_name(&self.optimizer)
            .map_err(|e| UsageError(format!("--optimizer: {e}")))?;
        let mut optimizer = OptimizerConfig::new(kind, parse_number("--lr", &self.lr)?);
        let optional = |flag: &str, s: &Option<String>| {
            s.as_deref().map(|s| parse_number(flag, s)).transpose()
        };
        if let Some(v) = optional("--momentum", &self.momentum)? {
            optimizer.momentum = v;
        }
        if let Some(v) = optional("--alpha", &self.alpha)? {
            optimizer.alpha = v;
        }
        if let Some(v) = optional("--beta1", &self.beta1)? {
            optimizer.beta1 = v;
        }
        if let Some(v) = optional("--beta2", &self.beta2)? {
            optimizer.beta2 = v;
        }
        optimizer.eps = optional("--eps", &self.eps)?;
        optimizer.clip = optional("--clip", &self.clip)?;
        optimizer
            .validate()
            .map_err(|e| UsageError(format!("{}: {e}", hyperparameter_flag(&e))))?;
        let (iters, batch) = match &regression {
            Some(data) => self.regression_budget(data)?,
            None => {
                let iters = parse_count("--iters", self.iters.as_deref().unwrap_or("100"))?;
                if !(1..=MAX_ITERATIONS as i64).contains(&iters) {
                    return Err(UsageError(format!(
                        "--iters: {}",
                        EngineError::BadIterations(iters)
                    )));
                }
                (iters, None)
            }
        };
        let tol = parse_number("--tol", &self.tol)?;
        let starts: Vec<Vec<f64>> = if self.start.is_empty() {
            vec![objective.info().default_start.clone()]
        } else {
            self.start
                .iter()
                .map(|s| parse_point(s))
                .collect::<Result<_, _>>()?
        };
        let specs = starts
            .into_iter()
            .map(|start| {
                let spec = RunSpec {
                    optimizer,
                    start,
                    max_iters: iters as u64,
                    tol,
                };
                spec.validate(objective.as_ref())
                    .and_then(|()| Run::new(objective.clone(), spec.clone()).map(drop))
                    .map_err(|e| {
                        let flag = match e {
                            EngineError::BadTolerance(_) => "--tol",
                            _ => "--start",
                        };
                        UsageError(format!("{flag}: {e}"))
                    })?;
                Ok(spec)
            })
            .collect::<Result<Vec<_>, UsageError>>()?;
        Ok(RunRequest {
            objective,
            specs,
            format: self.format,
            data: regression,
            batch,
            data_source: self.data.clone(),
            standardize: self.standardize,
        })
    }

    /// The data set of `--function regression`, standardized if asked; an error if data
    /// options come with another function or regression comes without data.
    fn regression_data(&self) -> Result<Option<Arc<Dataset>>, UsageError> {
        if self.function != "regression" {
            let stray = [
                ("--data", self.data.is_some()),
                ("--batch-size", self.batch_size.is_some()),
                ("--epochs", self.epochs.is_some()),
                ("--seed", self.seed.is_some()),
                ("--standardize", self.standardize),
            ];
            if let Some((flag, _)) = stray.iter().find(|(_, given)| *given) {
                return Err(UsageError(format!(
                    "{flag}: applies only to --function regression, not to '{}'",
                    self.function
                )));
            }
            return Ok(None);
        }
        let source = self.data.as_deref().ok_or_else(|| {
            UsageError(
                "--data: regression needs data: --data FILE.csv, --data gen:a=4,b=3,sigma=1,n=100,lo=0,hi=2,seed=0, or --data seed000|seed001|seed002".to_string(),
            )
        })?;
        let data = load_data(source).map_err(|e| UsageError(format!("--data: {e}")))?;
        Ok(Some(Arc::new(if self.standardize {
            data.standardized()
        } else {
            data
        })))
    }

    /// Steps and batches of a regression: epochs times steps per epoch.
    fn regression_budget(&self, data: &Dataset) -> Result<(i64, Option<BatchSpec>), UsageError> {
        if self.iters.is_some() {
            return Err(UsageError(
                "--iters: regression counts --epochs (passes over the data), not iterations"
                    .to_string(),
            ));
        }
        let n = data.len();
        let size = match self.batch_size.as_deref() {
            None => n as i64,
            Some(s) => parse_count("--batch-size", s)?,
        };
        if !(1..=n as i64).contains(&size) {
            return Err(UsageError(format!(
                "--batch-size: {}",
                EngineError::BadBatchSize { size, points: n }
            )));
        }
        let epochs = parse_count("--epochs", self.epochs.as_deref().unwrap_or("100"))?;
        let seed = parse_count("--seed", self.seed.as_deref().unwrap_or("0"))?;
        let seed = u64::try_from(seed)
            .map_err(|_| UsageError(format!("--seed: must be a whole number >= 0, got {seed}")))?;
        let batch = BatchSpec {
            size: size as usize,
            seed,
        };
        let steps = epochs.saturating_mul(batch.steps_per_epoch(n) as i64);
        if epochs < 1 || steps > MAX_ITERATIONS as i64 {
            return Err(UsageError(format!(
                "--epochs: must be at least 1 and give at most {MAX_ITERATIONS} steps ({} per epoch), got {epochs}",
                batch.steps_per_epoch(n)
            )));
        }
        Ok((steps, (batch.size < n).then_some(batch)))
    }
}

/// Reads regression data from a file, a generator spec (`gen:...`) or a preset name.
pub fn load_data(source: &str) -> Result<Dataset, String> {
    if let Some(spec) = DataSpec::preset(source) {
        return spec.generate().map_err(|e| e.to_string());
    }
    if let Some(spec) = source.strip_prefix("gen:") {
        return DataSpec::parse(spec)
            .and_then(|s| s.generate())
            .map_err(|e| format!("gen: {e}"));
    }
    let text =
        std::fs::read_to_string(source).map_err(|e| format!("cannot read '{source}': {e}"))?;
    parse_csv(&text).map_err(|e| format!("{source}: {e}"))
}

/// The flag that sets the hyperparameter an error is about.
fn hyperparameter_flag(e: &EngineError) -> &'static str {
    match e {
        EngineError::BadHyperparameter { name, .. } => match *name {
            "learning rate" => "--lr",
            "momentum" => "--momentum",
            "alpha" => "--alpha",
            "beta1" => "--beta1",
            "beta2" => "--beta2",
            "eps" => "--eps",
            "clip" => "--clip",
            _ => "--optimizer",
        },
        _ => "--optimizer",
    }
}

/// Parses a finite-or-not float as typed; range checks come later.
fn parse_number(flag: &str, s: &str) -> Result<f64, UsageError> {
    s.trim()
        .parse::<f64>()
        .map_err(|_| UsageError(format!("{flag}: '{s}' is not a number")))
}

/// Parses a whole number as typed, negative values included, for range checks later.
fn parse_count(flag: &str, s: &str) -> Result<i64, UsageError> {
    let t = s.trim().replace('_', "");
    t.parse::<i64>()
        .or_else(|_| {
            // Accept 1e6 and 1000000.0, but only when they are whole numbers.
            t.parse::<f64>()
                .ok()
                .filter(|v| v.fract() == 0.0 && v.abs() < 9.0e15)
                .map(|v| v as i64)
                .ok_or(())
        })
        .map_err(|_| UsageError(format!("{flag}: '{s}' is not a whole number")))
}

/// Parses `X[,Y,...]`: finite numbers separated by commas.
fn parse_point(s: &str) -> Result<Vec<f64>, UsageError> {
    s.split(',')
        .map(|part| {
            let v: f64 = part.trim().parse().map_err(|_| {
                UsageError(format!("--start '{s}': '{}' is not a number", part.trim()))
            })?;
            if v.is_finite() {
                Ok(v)
            } else {
                Err(UsageError(format!(
                    "--start '{s}': coordinates must be finite, got {v}"
                )))
            }
        })
        .collect()
}

/// Runs every spec of `request` to its end.
pub fn execute(request: &RunRequest) -> Vec<Run> {
    request
        .specs
        .iter()
        .map(|spec| {
            let made = match (&request.data, request.batch) {
                (Some(data), Some(batch)) => {
                    Run::with_batches(request.objective.clone(), spec.clone(), data.clone(), batch)
                }
                _ => Run::new(request.objective.clone(), spec.clone()),
            };
            let mut run = made.expect("specs were validated against this objective");
            run.finish_all();
            run
        })
        .collect()
}

/// Writes runs as CSV: `run,iter,<parameter names>,value,grad_norm`, runs numbered from 1.
pub fn write_csv(out: &mut impl Write, objective: &dyn Objective, runs: &[Run]) -> io::Result<()> {
    writeln!(
        out,
        "run,iter,{},value,grad_norm",
        objective.info().param_names.join(",")
    )?;
    for (r, run) in runs.iter().enumerate() {
        let path = run.path();
        for (k, point) in path.points().enumerate() {
            write!(out, "{},{}", r + 1, k)?;
            for v in point {
                write!(out, ",{v}")?;
            }
            writeln!(out, ",{},{}", path.values()[k], path.grad_norms()[k])?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonIterate<'a> {
    iter: usize,
    point: &'a [f64],
    value: f64,
    grad_norm: f64,
}

#[derive(Serialize)]
struct JsonRun<'a> {
    run: usize,
    function: &'a str,
    parameters: &'a [String],
    optimizer: &'a OptimizerConfig,
    start: &'a [f64],
    #[serde(rename = "final")]
    final_point: &'a [f64],
    final_value: f64,
    iterations: usize,
    stop_reason: &'static str,
    path: Vec<JsonIterate<'a>>,
}

/// Writes runs as a JSON array with one object per run, each on its own line.
pub fn write_json(out: &mut impl Write, objective: &dyn Objective, runs: &[Run]) -> io::Result<()> {
    let info = objective.info();
    let objects: Vec<JsonRun> = runs
        .iter()
        .enumerate()
        .map(|(r, run)| {
            let path = run.path();
            JsonRun {
                run: r + 1,
                function: &info.name,
                parameters: &info.param_names,
                optimizer: &run.spec().optimizer,
                start: &run.spec().start,
                final_point: path.last_point(),
                final_value: path.values()[path.len() - 1],
                iterations: run.iterations(),
                stop_reason: run.stop_reason().map_or("running", |s| s.name()),
                path: path
                    .points()
                    .enumerate()
                    .map(|(k, point)| JsonIterate {
                        iter: k,
                        point,
                        value: path.values()[k],
                        grad_norm: path.grad_norms()[k],
                    })
                    .collect(),
            }
        })
        .collect();
    // An array with one run per line: valid JSON that stays readable for long paths.
    writeln!(out, "[")?;
    for (i, object) in objects.iter().enumerate() {
        serde_json::to_writer(&mut *out, object)?;
        writeln!(out, "{}", if i + 1 < objects.len() { "," } else { "" })?;
    }
    writeln!(out, "]")
}

/// Formats a number short for listings: six significant decimals, trailing zeros dropped.
pub fn short(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// Formats a default value compactly: `1e-8` rather than `0.00000001`.
fn compact(v: f64) -> String {
    if v != 0.0 && v.abs() < 1e-3 {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

/// Writes the table of preset functions.
pub fn write_functions(out: &mut impl Write) -> io::Result<()> {
    for name in PRESET_NAMES {
        let objective = preset(name, None).expect("every listed preset exists");
        let info = objective.info();
        let view: Vec<String> = info
            .view
            .iter()
            .map(|i| format!("[{}, {}]", short(i.lo), short(i.hi)))
            .collect();
        let minima: Vec<String> = info
            .minima
            .iter()
            .map(|m| {
                format_point(
                    &m.iter()
                        .map(|v| short(*v).parse().unwrap_or(*v))
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        let params = if name == "sum-squares" {
            "x1..xn, n = --dim (default 3)".to_string()
        } else {
            info.param_names.join(", ")
        };
        writeln!(out, "{name} ({params})")?;
        writeln!(out, "  f = {}", info.formula)?;
        writeln!(
            out,
            "  view: {}   domain: {}",
            view.join(" x "),
            info.domain
        )?;
        writeln!(
            out,
            "  minima: {}",
            if minima.is_empty() {
                "none".to_string()
            } else {
                minima.join(", ")
            }
        )?;
        writeln!(
            out,
            "  default start: {}",
            format_point(&info.default_start)
        )?;
    }
    Ok(())
}

/// Writes the table of optimizers.
pub fn write_optimizers(out: &mut impl Write) -> io::Result<()> {
    for kind in OptimizerKind::ALL {
        writeln!(out, "{} ({})", kind.name(), kind.label())?;
        writeln!(out, "  {}", kind.rule())?;
        let mut params = vec!["--lr (default 0.1)".to_string()];
        params.extend(
            kind.hyperparameters()
                .iter()
                .map(|h| format!("--{} (default {})", h.flag, compact(h.default))),
        );
        writeln!(out, "  hyperparameters: {}", params.join(", "))?;
    }
    writeln!(
        out,
        "every optimizer: --clip C clips each gradient component to [-C, C]"
    )
}

/// Parses `args` and runs the command, writing to `out` and `err`; returns the exit code.
pub fn run_cli<I, T>(args: I, out: &mut impl Write, err: &mut impl Write) -> Action
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return Action::Exit(report_clap_error(&e, out, err)),
    };
    let result = match cli.command {
        None => return window_action(cli, args.len() <= 1, err),
        Some(Command::Functions) => write_functions(out),
        Some(Command::Optimizers) => write_optimizers(out),
        Some(Command::Run(args)) => {
            let request = match args.to_request() {
                Ok(r) => r,
                Err(e) => {
                    let _ = writeln!(err, "error: {e}");
                    return Action::Exit(EXIT_USAGE);
                }
            };
            let runs = execute(&request);
            match request.format {
                Format::Csv => write_csv(out, request.objective.as_ref(), &runs),
                Format::Json => write_json(out, request.objective.as_ref(), &runs),
            }
        }
    };
    Action::Exit(match result.and_then(|()| out.flush()) {
        Ok(()) => 0,
        // A closed pipe (`descent run ... | head`) is not an error of ours.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            let _ = writeln!(err, "error: writing output: {e}");
            1
        }
    })
}

/// Opens the window: with the saved session when no option was given, else with the runs
/// the options describe (checked like `descent run`'s).
fn window_action(cli: Cli, bare: bool, err: &mut impl Write) -> Action {
    if bare {
        return Action::Window(WindowRequest {
            runs: None,
            screenshot: None,
        });
    }
    match cli.window.to_request() {
        Ok(request) if cli.window.function == "sum-squares" => {
            let _ = writeln!(
                err,
                "error: --function: {} is n-dimensional and has no window view; use `descent run`",
                request.objective.info().name
            );
            Action::Exit(EXIT_USAGE)
        }
        Ok(request) => Action::Window(WindowRequest {
            runs: Some(request),
            screenshot: cli.screenshot,
        }),
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            Action::Exit(EXIT_USAGE)
        }
    }
}

/// Prints help and version normally, and any other parse error as one `error:` line.
fn report_clap_error(e: &clap::Error, out: &mut impl Write, err: &mut impl Write) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = write!(out, "{}", e.render());
            0
        }
        _ => {
            let rendered = e.render().to_string();
            let mut line = rendered
                .lines()
                .next()
                .unwrap_or("error: bad arguments")
                .to_string();
            if let Some(values) = rendered.lines().find(|l| l.contains("[possible values:")) {
                line.push(' ');
                line.push_str(values.trim());
            }
            let _ = writeln!(err, "{line}");
            EXIT_USAGE
        }
    }
}
