//! The command line: `descent run`, `descent race`, `descent critical`, `descent
//! functions`, `descent optimizers`.
//!
//! A thin layer over the [`crate::engine`]: it parses and checks arguments, builds runs,
//! steps them to the end and prints their paths as CSV or JSON.

use std::ffi::OsString;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, Parser, Subcommand, ValueEnum};

pub mod basins;
pub mod hyper;
pub mod race;

use hyper::HyperArgs;
use race::RaceArgs;

use crate::engine::format::{
    exact, human, overflows, point as format_point, rounding_note, underflows,
};
use crate::engine::function::Function;
use crate::engine::objective::{finite_point_in, parse_view};
use crate::engine::optimizer::OptimizerConfig;
use crate::engine::regression::{BatchSpec, Dataset};
use crate::engine::run::{MAX_ITERATIONS, StopReason};
use crate::engine::{
    EngineError, FunctionSpec, Objective, OptimizerKind, PresetKind, Run, RunSpec,
};

/// Exit code for bad input.
pub const EXIT_USAGE: i32 = 2;

/// The most runs the window holds (a swarm of 1,000 at most).
pub const MAX_WINDOW_RUNS: usize = 1000;

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
    /// The window's view box: XMIN,XMAX,YMIN,YMAX (XMIN,XMAX for a curve f(x)).
    #[arg(long, value_name = "XMIN,XMAX,YMIN,YMAX", allow_hyphen_values = true)]
    pub view: Option<String>,
    /// The window's layout: the contour view, the 3-D surface, or both.
    #[arg(long, value_enum)]
    pub layout: Option<Layout>,
    /// Open the window on a lesson: a built-in one's name (`descent lessons` lists them) or
    /// a lesson file (FILE.toml or FILE.json).
    #[arg(long, value_name = "NAME|FILE.toml")]
    pub lesson: Option<String>,
    /// The lesson's step to open at (from 1).
    #[arg(
        long,
        value_name = "K",
        allow_hyphen_values = true,
        value_parser = |s: &str| whole_arg(s, 1, None).map(|n| n as usize)
    )]
    pub step: Option<usize>,
    /// Record the window's animation, from the first iteration to the last, to an animated
    /// GIF and exit (with a scenario, a lesson or run options; needs a display, e.g. xvfb-run).
    #[arg(long, value_name = "OUT.gif", conflicts_with = "screenshot")]
    pub gif: Option<std::path::PathBuf>,
    /// The GIF's frames per second (1 to 50; default 15).
    #[arg(
        long,
        value_name = "N",
        allow_hyphen_values = true,
        value_parser = |s: &str| whole_arg(s, 1, Some(50)).map(|n| n as u32)
    )]
    pub fps: Option<u32>,
    /// The GIF's number of frames (2 to 600; default 60), evenly spaced over the iterations.
    #[arg(
        long,
        value_name = "K",
        allow_hyphen_values = true,
        value_parser = |s: &str| whole_arg(s, 2, Some(600)).map(|n| n as usize)
    )]
    pub frames: Option<usize>,
    /// The GIF's size in pixels (default: the views as drawn).
    #[arg(long, value_name = "WxH", allow_hyphen_values = true)]
    pub size: Option<String>,
    /// Open the window on a scenario saved with File > Save scenario.
    #[arg(long, value_name = "FILE.json", conflicts_with = "lesson")]
    pub scenario: Option<std::path::PathBuf>,
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
    Window(Box<WindowRequest>),
}

/// How to open the window.
#[derive(Debug)]
pub struct WindowRequest {
    /// Runs given on the command line; `None` restores the saved session.
    pub runs: Option<RunRequest>,
    /// Save a screenshot here once the runs finish, then exit.
    pub screenshot: Option<std::path::PathBuf>,
    /// The view box given with `--view`, one range per parameter.
    pub view: Option<Vec<crate::engine::Interval>>,
    /// The layout given with `--layout`.
    pub layout: Option<Layout>,
    /// The lesson given with `--lesson`, checked: its name, its text and the step (from 0).
    pub lesson: Option<LessonRequest>,
    /// The scenario given with `--scenario`.
    pub scenario: Option<ScenarioRequest>,
    /// The animation given with `--gif`, checked.
    pub gif: Option<GifArgs>,
}

/// What `--gif` asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct GifArgs {
    /// The file.
    pub path: std::path::PathBuf,
    /// Frames per second.
    pub fps: u32,
    /// Frames.
    pub frames: usize,
    /// Width and height in pixels, if given.
    pub size: Option<[u32; 2]>,
}

/// Checks `--gif` and its options: the request, or one message naming the option.
fn gif_args(cli: &Cli) -> Result<Option<GifArgs>, String> {
    let Some(path) = &cli.gif else {
        return Ok(None);
    };
    check_output_path(path, "gif").map_err(|e| format!("--gif: {e}"))?;
    let size = match &cli.size {
        None => None,
        Some(text) => {
            let parsed = text
                .split_once(['x', 'X'])
                .and_then(|(w, h)| Some([w.trim().parse().ok()?, h.trim().parse().ok()?]))
                .filter(|[w, h]: &[u32; 2]| (16..=1920).contains(w) && (16..=1920).contains(h));
            Some(parsed.ok_or_else(|| {
                format!("--size: '{text}' is not WxH with each 16 to 1920, e.g. 640x400")
            })?)
        }
    };
    Ok(Some(GifArgs {
        path: path.clone(),
        fps: cli.fps.unwrap_or(15),
        frames: cli.frames.unwrap_or(60),
        size,
    }))
}

/// A lesson to open the window on.
#[derive(Clone, Debug, PartialEq)]
pub struct LessonRequest {
    /// The lesson's short name.
    pub name: String,
    /// Its TOML text.
    pub text: String,
    /// The lesson file's folder, where its data files' relative paths start (`None` for a
    /// built-in lesson).
    pub folder: Option<std::path::PathBuf>,
    /// The step to open at, from 0.
    pub step: usize,
    /// The number of variables of that step's function (1 for a curve).
    pub dim: usize,
}

/// The largest lesson file descent reads.
pub const MAX_LESSON_BYTES: u64 = 1 << 20;

/// Reads the lesson `name` (a built-in lesson, or a `.toml` file) and checks it and `step`
/// (from 1): the request, or a message for `--lesson` or `--step`.
pub fn lesson_request(name: &str, step: Option<usize>) -> Result<LessonRequest, String> {
    use crate::engine::lesson;
    let lower = name.to_lowercase();
    let file = lower.ends_with(".toml") || lower.ends_with(".json");
    // A lesson file's data sit beside it: relative paths start from its folder.
    let folder = file.then(|| {
        std::path::Path::new(name)
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default()
    });
    let (short, text) = if file {
        let path = std::path::Path::new(name);
        let text = read_lesson_file(path).map_err(|e| {
            // `course-lab-1d.toml` for the built-in lesson, which is named without a file.
            let stem = lesson_name(path);
            if !path.exists() && lesson::BUILT_IN.iter().any(|(n, _)| *n == stem) {
                format!(
                    "--lesson: {e}; the built-in lesson is named without .toml: --lesson {stem}"
                )
            } else {
                format!("--lesson: {e}")
            }
        })?;
        (lesson_name(path), text)
    } else {
        let path = std::path::Path::new(name);
        if !lesson::BUILT_IN.iter().any(|(n, _)| *n == name) && path.exists() {
            if path.is_dir() {
                return Err(format!(
                    "--lesson: '{name}' is a directory, not a lesson: give a built-in lesson's name ({}) or a FILE.toml or FILE.json",
                    lesson::BUILT_IN.map(|(n, _)| n).join(", ")
                ));
            }
            return Err(format!(
                "--lesson: '{name}' is a file, but a lesson file's name ends in .toml or .json (as it is written): rename it, e.g. to {}.toml",
                path.file_stem()
                    .map_or("lesson".into(), |s| s.to_string_lossy())
            ));
        }
        let (short, text) = lesson::BUILT_IN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| {
                format!(
                    "--lesson: no lesson '{name}'; built-in lessons: {} (or give a FILE.toml or FILE.json)",
                    lesson::BUILT_IN.map(|(n, _)| n).join(", ")
                )
            })?;
        (short.to_string(), text.to_string())
    };
    let parsed = lesson::parse_file(&short, lower.ends_with(".json"), &text, folder.as_deref())
        .map_err(|e| format!("--lesson: {short}: {e}"))?;
    // A built-in lesson's claims are checked by cargo test; a file's when it opens.
    let unchecked = if file {
        lesson::check_claims(&parsed).map_err(|e| format!("--lesson: {short}: {e}"))?
    } else {
        Vec::new()
    };
    if !unchecked.is_empty() {
        let steps: Vec<String> = unchecked.iter().map(usize::to_string).collect();
        eprintln!(
            "note: --lesson: {short}: the claims of step {} are not checked on opening (data read from a CSV file, or more than {} iterations)",
            steps.join(", "),
            lesson::CLAIM_BUDGET
        );
    }
    let count = parsed.steps.len();
    let step = match step {
        None => 0,
        Some(k) if (1..=count).contains(&k) => k - 1,
        Some(k) => {
            return Err(format!(
                "--step: {k} is not a step of {short}, which has steps 1 to {count}"
            ));
        }
    };
    Ok(LessonRequest {
        name: short,
        text,
        folder,
        step,
        dim: parsed.steps[step].function.dim(),
    })
}

/// A lesson file's short name: its file name without the extension.
pub fn lesson_name(path: &std::path::Path) -> String {
    path.file_stem()
        .map_or("lesson".to_string(), |s| s.to_string_lossy().into_owned())
}

/// Reads a lesson file of at most [`MAX_LESSON_BYTES`].
pub fn read_lesson_file(path: &std::path::Path) -> Result<String, String> {
    read_text_file(path, MAX_LESSON_BYTES)
}

/// Reads a text file of at most `max` bytes; the message names the file.
pub fn read_text_file(path: &std::path::Path, max: u64) -> Result<String, String> {
    use std::io::Read;
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() as u64 > max {
        return Err(format!(
            "{} is larger than {} KiB, the most descent reads of this kind of file",
            path.display(),
            max >> 10
        ));
    }
    // Notepad's "Unicode" is UTF-16: two bytes a character, a byte-order mark first.
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(format!(
            "{} is UTF-16 text (it starts with UTF-16's byte-order mark): save it as UTF-8",
            path.display()
        ));
    }
    // UTF-16 without its mark has a NUL beside every ASCII character.
    if bytes.contains(&0) {
        return Err(format!(
            "{} holds NUL bytes: it is binary or UTF-16, not UTF-8 text; save it as UTF-8",
            path.display()
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        format!(
            "{} is not text (UTF-8): save it as UTF-8 text",
            path.display()
        )
    })
}

/// The largest scenario file descent reads.
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;

/// Reads a scenario file and checks that it is one (a JSON object with the
/// `descent_scenario` mark); its fields are read when the window opens.
pub fn scenario_request(path: &std::path::Path) -> Result<ScenarioRequest, String> {
    let text = read_text_file(path, MAX_SCENARIO_BYTES).map_err(|e| format!("--scenario: {e}"))?;
    // An editor's byte-order mark is not part of the JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => match map.get("descent_scenario") {
            Some(version) if version.as_u64().is_some_and(|v| v >= 1) => Ok(ScenarioRequest {
                path: path.to_path_buf(),
                dim: map
                    .get("function")
                    .and_then(|f| serde_json::from_value::<FunctionSpec>(f.clone()).ok())
                    .map_or(2, |f| f.dim()),
                text: text.to_string(),
            }),
            Some(version) => Err(format!(
                "--scenario: {}: descent_scenario: must be the format's version, a whole number such as 1, got {}",
                path.display(),
                crate::engine::format::one_line(&version.to_string())
            )),
            None if map.contains_key("step") => Err(format!(
                "--scenario: {} is a lesson, it seems, not a scenario (no \"descent_scenario\" field): open it with --lesson",
                path.display()
            )),
            None => Err(format!(
                "--scenario: {} is not a descent scenario (no \"descent_scenario\" field; save one with File > Save scenario)",
                path.display()
            )),
        },
        Ok(_) => Err(format!(
            "--scenario: {} is not a descent scenario (save one with File > Save scenario)",
            path.display()
        )),
        Err(_) if text.lines().any(|l| l.trim() == "[[step]]") => Err(format!(
            "--scenario: {} is a lesson (TOML), not a scenario (JSON): open it with --lesson",
            path.display()
        )),
        Err(e) => Err(format!(
            "--scenario: {}: {}",
            path.display(),
            crate::engine::format::json_error(&e)
        )),
    }
}

/// A scenario to open the window with.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioRequest {
    /// Where it was read from.
    pub path: std::path::PathBuf,
    /// Its text.
    pub text: String,
    /// The number of variables of its function (1 for a curve; 2 if it cannot be read).
    pub dim: usize,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an optimizer from one or more starts and print the paths (CSV or JSON).
    Run(Box<RunArgs>),
    /// List the preset functions with formula, view box and known minima.
    Functions,
    /// List the built-in lessons (open one with `descent --lesson NAME`).
    Lessons,
    /// List the optimizers with their hyperparameters and defaults.
    Optimizers,
    /// Find the critical points in the view (minima, maxima, saddles) and print them as CSV.
    Critical(CriticalArgs),
    /// Race several optimizers from one start and print a results table.
    Race(Box<RaceArgs>),
    /// Which minimum each start of a grid reaches: CSV rows or a PNG map.
    Basins(Box<basins::BasinsArgs>),
    /// One start, many learning rates: the final value and stop reason of each.
    Sweep(Box<basins::SweepArgs>),
}

/// The arguments of `descent critical`.
#[derive(Debug, Clone, Args)]
pub struct CriticalArgs {
    /// Function of one or two variables: a preset's name or a formula.
    #[arg(long, short = 'f', default_value = "bowl", allow_hyphen_values = true)]
    pub function: String,
    /// Where to look: XMIN,XMAX,YMIN,YMAX (XMIN,XMAX for a curve); default the function's
    /// own view.
    #[arg(long, value_name = "XMIN,XMAX,YMIN,YMAX", allow_hyphen_values = true)]
    pub view: Option<String>,
    /// Regression data, as for `descent run`.
    #[arg(long, value_name = "SOURCE")]
    pub data: Option<String>,
    /// Regression: rescale x to mean 0 and standard deviation 1 first.
    #[arg(long)]
    pub standardize: bool,
}

impl CriticalArgs {
    /// The objective and the view to search, checked.
    pub fn to_request(
        &self,
    ) -> Result<(Arc<dyn Objective>, Vec<crate::engine::Interval>), UsageError> {
        let spec = FunctionSpec::from_options(
            &self.function,
            None,
            self.data.as_deref(),
            self.standardize,
        )
        .map_err(|e| UsageError(e.to_string()))?;
        if spec.dim() > 2 {
            return Err(UsageError(format!(
                "--function: {} is n-dimensional; critical points are found for functions of one or two variables",
                spec.name()
            )));
        }
        let function = spec.build().map_err(|e| UsageError(e.to_string()))?;
        let objective = function.objective;
        let view = match &self.view {
            Some(text) => {
                parse_view(text, objective.dim()).map_err(|e| UsageError(format!("--view: {e}")))?
            }
            None => objective.info().view.clone(),
        };
        Ok((objective, view))
    }
}

/// Notes on stderr about a long job: how far it has got, at most one line every
/// [`PROGRESS_EVERY`], so a job of minutes is never silent and a short one says nothing.
pub(crate) struct Progress {
    what: String,
    unit: &'static str,
    total: usize,
    started: std::time::Instant,
    last: std::time::Instant,
}

/// The least time between two progress lines (and before the first).
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

impl Progress {
    /// A job, said as `what`, of `total` parts named `unit` (rows, optimizers).
    pub(crate) fn start(what: String, unit: &'static str, total: usize) -> Self {
        let now = std::time::Instant::now();
        Self {
            what,
            unit,
            total,
            started: now,
            last: now,
        }
    }

    /// Says, if a line was said, that every part is done and what comes next.
    pub(crate) fn finish(&self, err: &mut impl Write, next: &str) {
        if self.last != self.started {
            let _ = writeln!(
                err,
                "note: {}: all {} {} done after {:.0} s; {next}",
                self.what,
                self.total,
                self.unit,
                self.started.elapsed().as_secs_f64()
            );
        }
    }

    /// Reports that `done` parts are done, if the last line (or the start) is old enough.
    pub(crate) fn done(&mut self, err: &mut impl Write, done: usize) {
        if self.last.elapsed() < PROGRESS_EVERY || done >= self.total {
            return;
        }
        let first = self.last == self.started;
        self.last = std::time::Instant::now();
        let _ = writeln!(
            err,
            "note: {}: {done} of {} {} done ({:.0}%) after {:.0} s{}",
            self.what,
            self.total,
            self.unit,
            100.0 * done as f64 / self.total.max(1) as f64,
            self.started.elapsed().as_secs_f64(),
            if first { "; Ctrl+C stops it" } else { "" }
        );
    }
}

/// Why a map or race has no minimum to name: a preset that has none (saddle), or a view
/// that holds none of a formula's.
fn why_no_minimum(objective: &dyn Objective) -> String {
    let info = objective.info();
    if crate::engine::presets::PRESET_NAMES.contains(&info.name.as_str()) {
        format!(
            "{} ({}) has no minimum: it falls without bound",
            info.name, info.formula
        )
    } else {
        "no minimum of f lies in the view (widen --view to take one in)".to_string()
    }
}

/// Writes the critical points of `objective` in `view` as CSV: x, y, f, kind and the
/// Hessian's eigenvalues (x, f, kind, f'' for a curve).
pub fn write_critical(
    out: &mut impl Write,
    err: &mut impl Write,
    objective: &dyn Objective,
    view: &[crate::engine::Interval],
) -> io::Result<()> {
    let points = crate::engine::critical::find(objective, view, &AtomicBool::new(false));
    if points.is_empty()
        && let Some(gradient) = crate::engine::critical::constant_gradient(objective, view)
    {
        let slope = match gradient.as_slice() {
            [slope] => format!("its slope is {}", human(*slope)),
            _ => {
                let parts: Vec<String> = gradient.iter().map(|&g| human(g)).collect();
                format!("its gradient is ({})", parts.join(", "))
            }
        };
        let _ = writeln!(
            err,
            "note: f is linear: {slope} all over the view, so f has no critical point anywhere, in this view or a wider one"
        );
    } else if points.is_empty() {
        // An empty table alone reads as a failure.
        let _ = writeln!(
            err,
            "note: no critical point of f was found in the view; widen --view to look farther (or narrow a vast one: rounding hides points where f spans many orders of magnitude); a corner where f has no gradient is found as a minimum or maximum, not as a saddle"
        );
    }
    // A constant, or a line or region of critical points, is critical all along: the rows
    // sample it.
    let sampled = crate::engine::critical::sampled_flat(&points, view);
    if sampled > 1 {
        let which = if sampled == points.len() {
            "every point listed is".to_string()
        } else {
            format!("{sampled} of the points listed are")
        };
        let _ = writeln!(
            err,
            "note: {which} degenerate and beside another: f is flat along lines or regions of critical points here (or everywhere), and these rows are a sample of them, about one per twentieth of the view"
        );
    }
    if objective.dim() == 1 {
        writeln!(out, "x,f,kind,second_derivative")?;
    } else {
        writeln!(out, "x,y,f,kind,eigenvalue_1,eigenvalue_2")?;
    }
    for p in points {
        // -0 (0 * x, a Hessian's rounding) is written 0.
        let mut fields: Vec<String> = p.point.iter().map(|&c| exact(c + 0.0)).collect();
        fields.push(exact(p.value + 0.0));
        fields.push(p.kind.name().to_string());
        // A corner has no Hessian: its eigenvalue columns are left empty.
        fields.extend(p.eigenvalues.iter().map(|&e| exact(e + 0.0)));
        fields.resize(p.point.len() * 2 + 2, String::new());
        writeln!(out, "{}", fields.join(","))?;
    }
    Ok(())
}

/// What the window's central area shows for a surface: the contour view, the 3-D view, or
/// both side by side.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize,
)]
pub enum Layout {
    /// The contour view (heatmap, contours, arrows).
    #[default]
    #[value(name = "2d")]
    TwoD,
    /// The 3-D surface.
    #[value(name = "3d")]
    ThreeD,
    /// Both, side by side.
    Both,
}

impl Layout {
    /// Every layout, in menu order.
    pub const ALL: [Layout; 3] = [Self::TwoD, Self::ThreeD, Self::Both];

    /// The name `--layout` takes.
    pub fn value_name(self) -> &'static str {
        match self {
            Self::TwoD => "2d",
            Self::ThreeD => "3d",
            Self::Both => "both",
        }
    }

    /// The name shown in the window.
    pub fn label(self) -> &'static str {
        match self {
            Self::TwoD => "2-D",
            Self::ThreeD => "3-D",
            Self::Both => "Both",
        }
    }

    /// Whether the contour view is shown.
    pub fn has_2d(self) -> bool {
        self != Self::ThreeD
    }

    /// Whether the 3-D view is shown.
    pub fn has_3d(self) -> bool {
        self != Self::TwoD
    }
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
    #[arg(long, short = 'f', default_value = "bowl", allow_hyphen_values = true)]
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
    /// Stop when |grad f| < tol; 0 (the default) runs all iterations.
    #[arg(long, default_value = "0", allow_hyphen_values = true)]
    pub tol: String,
    /// Hyperparameters, schedule and gradient noise.
    #[command(flatten)]
    pub hyper: HyperArgs,
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
    /// Seed of the mini-batch shuffles (regression) and of --grad-noise (default 0).
    #[arg(long, allow_hyphen_values = true)]
    pub seed: Option<String>,
    /// Regression: rescale x to mean 0 and standard deviation 1 before fitting.
    #[arg(long)]
    pub standardize: bool,
    /// Regression: take the points in their own order every epoch instead of reshuffling
    /// them (seed 002's stochastic descent).
    #[arg(long)]
    pub in_order: bool,
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
    /// The function, built (a regression's data read).
    pub function: Function,
    /// One spec per start.
    pub specs: Vec<RunSpec>,
    /// How to print.
    pub format: Format,
    /// Mini-batches of a regression, when smaller than the data.
    pub batch: Option<BatchSpec>,
}

impl RunRequest {
    /// The objective.
    pub fn objective(&self) -> &Arc<dyn Objective> {
        &self.function.objective
    }

    /// The data of a regression.
    pub fn data(&self) -> Option<&Arc<Dataset>> {
        self.function.data.as_ref()
    }
}

impl RunArgs {
    /// Checks every argument and builds the runs' specs.
    pub fn to_request(&self) -> Result<RunRequest, UsageError> {
        let spec = FunctionSpec::from_options(
            &self.function,
            self.dim.as_deref(),
            self.data.as_deref(),
            self.standardize,
        )
        .map_err(|e| UsageError(e.to_string()))?;
        if !spec.is_regression() {
            let stray = [
                ("--batch-size", self.batch_size.is_some()),
                ("--epochs", self.epochs.is_some()),
                ("--in-order", self.in_order),
            ];
            if let Some((flag, _)) = stray.iter().find(|(_, given)| *given) {
                return Err(UsageError(format!(
                    "{flag}: applies only to --function regression, not to '{}'",
                    self.function
                )));
            }
        }
        let kind = OptimizerKind::from_name(&self.optimizer)
            .map_err(|e| UsageError(format!("--optimizer: {e}")))?;
        if self.seed.is_some() && !spec.is_regression() && self.hyper.grad_noise.is_none() {
            return Err(UsageError(
                "--seed: seeds the mini-batch shuffles of --function regression and --grad-noise; neither is given".to_string(),
            ));
        }
        let function = spec.build().map_err(|e| UsageError(e.to_string()))?;
        let objective = function.objective.clone();
        let mut optimizer = OptimizerConfig::new(kind, parse_number("--lr", &self.lr)?);
        self.hyper.apply(&mut optimizer, self.seed()?, true)?;
        let (iters, batch) = match &function.data {
            Some(data) => self.regression_budget(data)?,
            None => {
                let iters = parse_count("--iters", self.iters.as_deref().unwrap_or("100"))?;
                if !(1..=MAX_ITERATIONS as i64).contains(&iters) {
                    return Err(UsageError(format!(
                        "--iters: {}",
                        EngineError::BadIterations {
                            got: iters,
                            max: MAX_ITERATIONS
                        }
                    )));
                }
                (iters, None)
            }
        };
        let tol = parse_number("--tol", &self.tol)?;
        if !(tol.is_finite() && tol >= 0.0) {
            return Err(UsageError(format!(
                "--tol: {}",
                EngineError::BadTolerance(tol)
            )));
        }
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
                make_run(&function, &spec, batch, 2).map_err(|e| match e {
                    EngineError::TooManyParameters { .. } => UsageError(format!("--optimizer: {e}")),
                    // No start was given: the function's own start is at fault.
                    _ if self.start.is_empty() => UsageError(
                        match finite_point(function.objective.as_ref()) {
                            Some(p) => format!(
                                "--function: {e}; no --start was given: give one where f is finite, e.g. --start {}",
                                p.iter().map(|v| human(*v)).collect::<Vec<_>>().join(",")
                            ),
                            None => format!(
                                "--function: {e}, and f is finite nowhere on a grid over its view: check the formula"
                            ),
                        },
                    ),
                    _ => UsageError(format!("--start: {e}")),
                })?;
                Ok(spec)
            })
            .collect::<Result<Vec<_>, UsageError>>()?;
        Ok(RunRequest {
            function,
            specs,
            format: self.format,
            batch,
        })
    }

    /// The seed of the shuffles and the noise (default 0).
    fn seed(&self) -> Result<u64, UsageError> {
        let seed = parse_count("--seed", self.seed.as_deref().unwrap_or("0"))?;
        u64::try_from(seed)
            .map_err(|_| UsageError(format!("--seed: must be {}, got {seed}", allowed("--seed"))))
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
        let seed = self.seed()?;
        // Full batches are every point in order: nothing to shuffle or seed.
        if size as usize == n && self.hyper.grad_noise.is_none() {
            if self.seed.is_some() {
                return Err(UsageError(
                    "--seed: seeds the mini-batch shuffles, but every batch is all the points; give --batch-size below the number of points".to_string(),
                ));
            }
            if self.in_order {
                return Err(UsageError(
                    "--in-order: keeps the mini-batches in the data's order, but every batch is all the points; give --batch-size below the number of points".to_string(),
                ));
            }
        }
        if self.in_order && self.seed.is_some() && self.hyper.grad_noise.is_none() {
            return Err(UsageError(
                "--seed: seeds the shuffles, which --in-order turns off; drop one of them"
                    .to_string(),
            ));
        }
        let batch = BatchSpec {
            size: size as usize,
            seed,
            shuffle: !self.in_order,
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

/// What a numeric option allows, said when a value is not a number at all.
fn allowed(flag: &str) -> String {
    match flag {
        "--lr" | "--lr-for" => "a finite number > 0, e.g. 0.1".to_string(),
        "--lr-min" | "--lr-max" => "a finite number > 0, e.g. 0.001".to_string(),
        "--tol" => "a finite number >= 0, e.g. 1e-6".to_string(),
        "--momentum" | "--alpha" | "--beta1" | "--beta2" | "--rho" => {
            "a number in [0, 1), e.g. 0.9".to_string()
        }
        "--eps" | "--clip" => "a finite number > 0, e.g. 1e-8 or 1".to_string(),
        "--weight-decay" | "--momentum-decay" | "--grad-noise" | "--eta-min" => {
            "a finite number >= 0, e.g. 0.01".to_string()
        }
        "--gamma" => "a number in (0, 1], e.g. 0.5".to_string(),
        "--iters" => format!("a whole number from 1 to {MAX_ITERATIONS}"),
        "--seed" => format!("a whole number from 0 to {}, e.g. 7", i64::MAX),
        "--batch-size" => "a whole number from 1 to the number of points".to_string(),
        "--epochs" => "a whole number >= 1, e.g. 100".to_string(),
        "--grid" => format!(
            "W or WxH, each a whole number from 1 to {}, e.g. 256 or 256x128",
            basins::MAX_GRID
        ),
        "--count" => format!("a whole number from 2 to {}", basins::MAX_SWEEP),
        "--budget" | "--step-size" | "--t-max" => "a whole number >= 1".to_string(),
        "--warmup" => "a whole number >= 0".to_string(),
        _ => "a number".to_string(),
    }
}

/// Parses a finite-or-not float as typed; range checks come later.
fn parse_number(flag: &str, s: &str) -> Result<f64, UsageError> {
    // `1_000` as in --iters; a number too small for f64 is not silently 0.
    let t = digits_apart(s.trim()).map_err(|e| UsageError(format!("{flag}: {e}")))?;
    let v = t.parse::<f64>().map_err(|_| {
        UsageError(format!(
            "{flag}: '{s}' is not a number; expected {}{}",
            allowed(flag),
            crate::engine::format::typing_hint(s)
        ))
    })?;
    if underflows(&t, v) {
        return Err(UsageError(format!(
            "{flag}: '{s}' {}; expected {}",
            crate::engine::format::UNDERFLOW,
            allowed(flag)
        )));
    }
    // Digits past f64's range read as infinity: said as too large, not as "inf".
    if overflows(&t, v) {
        let shown: String = s.trim().chars().take(20).collect();
        return Err(UsageError(format!(
            "{flag}: '{shown}{}' is beyond the largest number (about 1.8e308); expected {}",
            if s.trim().chars().count() > 20 {
                "…"
            } else {
                ""
            },
            allowed(flag)
        )));
    }
    Ok(v)
}

/// Parses a whole number as typed, negative values included, for range checks later.
fn parse_count(flag: &str, s: &str) -> Result<i64, UsageError> {
    let t = digits_apart(s.trim()).map_err(|e| UsageError(format!("{flag}: {e}")))?;
    if let Ok(n) = t.parse::<i64>() {
        return Ok(n);
    }
    let value = t.parse::<f64>().ok();
    // 0.99999999999999999 reads as 1 only because a double keeps about 16 digits.
    if let Some(note) = value
        .filter(|v| v.abs() < 9.0e15)
        .and_then(|v| rounding_note(&t, v))
    {
        return Err(UsageError(format!(
            "{flag}: '{s}' is not a whole number: {note}; expected {}",
            allowed(flag)
        )));
    }
    // Accept 1e6 and 1000000.0, but only when they are whole numbers.
    if let Some(v) = value.filter(|v| v.fract() == 0.0 && v.abs() < 9.0e15) {
        return Ok(v as i64);
    }
    let huge = t.parse::<i128>().is_ok() || value.is_some_and(|v| v.abs() >= 9.0e15);
    let what = if huge {
        "is too large"
    } else {
        "is not a whole number"
    };
    Err(UsageError(format!(
        "{flag}: '{s}' {what}; expected {}{}",
        allowed(flag),
        crate::engine::format::typing_hint(s)
    )))
}

/// Clap's parser for whole-number options with a range: the message says what is allowed.
fn whole_arg(s: &str, lo: u64, hi: Option<u64>) -> Result<u64, String> {
    let range = match hi {
        None => format!("a whole number >= {lo}"),
        Some(hi) => format!("a whole number from {lo} to {hi}"),
    };
    s.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n >= lo && hi.is_none_or(|hi| *n <= hi))
        .ok_or_else(|| format!("expected {range}"))
}

/// Parses `X[,Y,...]`: finite numbers separated by commas.
fn parse_point(s: &str) -> Result<Vec<f64>, UsageError> {
    // A long argument is cut in the message: its start says which it was.
    let cut = |t: &str| -> String {
        let mut c: String = t.chars().take(40).collect();
        if t.chars().count() > 40 {
            c.push('…');
        }
        c
    };
    let whole = cut(s);
    s.split(',')
        .map(|part| {
            let part = part.trim();
            let text =
                digits_apart(part).map_err(|e| UsageError(format!("--start '{whole}': {e}")))?;
            let v: f64 = text.parse().map_err(|_| {
                // Characters pasted from a document or another language's point syntax.
                let hint = if !crate::engine::format::typing_hint(part).is_empty() {
                    crate::engine::format::typing_hint(part)
                } else if s.trim_start().starts_with(['(', '[', '{']) {
                    "; write the numbers without brackets, e.g. --start 1,-1"
                } else {
                    ""
                };
                UsageError(format!(
                    "--start '{whole}': '{}' is not a number; expected finite numbers separated by commas, e.g. 0.5,-1{hint}",
                    cut(part)
                ))
            })?;
            if v.is_finite() && !underflows(&text, v) {
                Ok(v)
            } else if v.is_finite() {
                Err(UsageError(format!(
                    "--start '{whole}': '{}' {}",
                    cut(part),
                    crate::engine::format::UNDERFLOW
                )))
            } else if overflows(&text, v) {
                Err(UsageError(format!(
                    "--start '{whole}': '{}' is beyond the largest number (about 1.8e308)",
                    cut(part)
                )))
            } else {
                Err(UsageError(format!(
                    "--start '{whole}': coordinates must be finite, got '{}'",
                    cut(part)
                )))
            }
        })
        .collect()
}

/// `text` with the underscores that group digits (`1_000`) taken out, or why it cannot be:
/// an underscore goes only between two digits.
fn digits_apart(text: &str) -> Result<String, String> {
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let between = i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if *c == '_' && !between {
            return Err(format!(
                "'{text}': an underscore goes only between two digits, e.g. 1_000"
            ));
        }
    }
    Ok(text.replace('_', ""))
}

/// A run of `spec` on `function`, drawing mini-batches if `batch` is given, keeping about
/// `cap` iterates of its path.
pub fn make_run(
    function: &Function,
    spec: &RunSpec,
    batch: Option<BatchSpec>,
    cap: usize,
) -> Result<Run, EngineError> {
    let run = match (&function.data, batch) {
        (Some(data), Some(batch)) => Run::with_batches(
            function.objective.clone(),
            spec.clone(),
            data.clone(),
            batch,
        )?,
        _ => Run::new(function.objective.clone(), spec.clone())?,
    };
    Ok(run.with_path_cap(cap))
}

/// Runs every spec of `request` to its end, keeping every iterate (for tests and small runs;
/// the command line streams instead).
pub fn execute(request: &RunRequest) -> Vec<Run> {
    request
        .specs
        .iter()
        .filter_map(|spec| {
            let mut run = make_run(&request.function, spec, request.batch, usize::MAX).ok()?;
            run.finish_all();
            Some(run)
        })
        .collect()
}

/// Writes the CSV header: `run,iter,<parameter names>,value,grad_norm`, and `lr` when a
/// schedule changes the learning rate.
pub fn write_csv_header(
    out: &mut impl Write,
    objective: &dyn Objective,
    with_lr: bool,
) -> io::Result<()> {
    writeln!(
        out,
        "run,iter,{},value,grad_norm{}",
        objective.info().param_names.join(","),
        if with_lr { ",lr" } else { "" }
    )
}

/// Steps `run` to its end, writing one CSV row per iterate as it is computed (its path may
/// be capped: rows come from each new iterate, not from the stored path); with `with_lr`,
/// each row ends with the learning rate of the step taken from that iterate. Stops early,
/// with an `Interrupted` error, when `cancel` is set.
pub fn stream_csv_run(
    out: &mut impl Write,
    number: usize,
    run: &mut Run,
    with_lr: bool,
    cancel: Option<&AtomicBool>,
) -> io::Result<()> {
    let write_last = |out: &mut dyn Write, run: &Run| -> io::Result<()> {
        let path = run.path();
        write!(out, "{number},{}", run.iterations())?;
        for v in path.last_point() {
            write!(out, ",{}", exact(*v))?;
        }
        write!(
            out,
            ",{},{}",
            exact(path.last_value()),
            exact(path.last_grad_norm())
        )?;
        if with_lr {
            write!(out, ",{}", exact(run.lr_at(run.iterations() as u64)))?;
        }
        writeln!(out)
    };
    write_last(out, run)?;
    loop {
        if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
        }
        let before = run.path().len();
        let more = run.step();
        if run.path().len() > before {
            write_last(out, run)?;
        }
        if !more {
            return Ok(());
        }
    }
}

/// Steps `run` to its end, writing it as one JSON object on one line, its path streamed
/// iterate by iterate.
pub fn stream_json_run(out: &mut impl Write, number: usize, run: &mut Run) -> io::Result<()> {
    let json = |v: &dyn erased::Json| v.text();
    let info = run.objective().info().clone();
    let config = run.spec().optimizer;
    write!(
        out,
        "{{\"run\":{number},\"function\":{},\"parameters\":{},\"optimizer\":{},\"hyperparameters\":{},\"start\":{},\"path\":[",
        json(&info.name),
        json(&info.param_names),
        json(&config.kind.name()),
        hyperparameters_json(&config),
        json(&run.spec().start),
    )?;
    let write_last = |out: &mut dyn Write, run: &Run, first: bool| -> io::Result<()> {
        let path = run.path();
        write!(
            out,
            "{}{{\"iter\":{},\"point\":{},\"value\":{},\"grad_norm\":{}}}",
            if first { "" } else { "," },
            run.iterations(),
            json(&path.last_point()),
            json(&path.last_value()),
            json(&path.last_grad_norm()),
        )
    };
    write_last(out, run, true)?;
    loop {
        let before = run.path().len();
        let more = run.step();
        if run.path().len() > before {
            write_last(out, run, false)?;
        }
        if !more {
            break;
        }
    }
    let path = run.path();
    write!(
        out,
        "],\"final\":{},\"final_value\":{},\"iterations\":{},\"stop_reason\":{}}}",
        json(&path.last_point()),
        json(&path.last_value()),
        run.iterations(),
        json(&run.stop_reason().map_or("running", |s| s.name())),
    )
}

/// The optimizer's hyperparameters that it reads, as a JSON object keyed by flag name, with
/// the schedule and the noise when they are set.
fn hyperparameters_json(config: &OptimizerConfig) -> String {
    let mut map = serde_json::Map::new();
    map.insert("lr".to_string(), serde_json::json!(config.lr));
    for h in config.kind.hyperparameters() {
        map.insert(h.flag.to_string(), serde_json::json!(config.get(h.flag)));
    }
    if config.kind.reads_amsgrad() {
        map.insert("amsgrad".to_string(), serde_json::json!(config.amsgrad));
    }
    if let Some(clip) = config.clip {
        map.insert("clip".to_string(), serde_json::json!(clip));
    }
    if !config.schedule.is_constant() {
        map.insert(
            "schedule".to_string(),
            serde_json::json!(config.schedule.describe()),
        );
    }
    if let Some(noise) = config.noise {
        map.insert("grad_noise".to_string(), serde_json::json!(noise.sigma));
        map.insert("seed".to_string(), serde_json::json!(noise.seed));
    }
    serde_json::Value::Object(map).to_string()
}

/// JSON text of small serializable values, without a trait object per type at call sites.
mod erased {
    /// A value that has JSON text.
    pub trait Json {
        /// The JSON text.
        fn text(&self) -> String;
    }

    impl<T: serde::Serialize + ?Sized> Json for T {
        fn text(&self) -> String {
            serde_json::to_string(self).unwrap_or_else(|_| "null".to_string())
        }
    }
}

/// Streams every run of `request` in its format: no more than one run's state in memory.
pub fn write_runs(
    out: &mut impl Write,
    err: &mut impl Write,
    request: &RunRequest,
) -> io::Result<()> {
    let objective = request.objective().as_ref();
    let with_lr = request
        .specs
        .iter()
        .any(|spec| !spec.optimizer.schedule.is_constant());
    if request.format == Format::Csv {
        write_csv_header(out, objective, with_lr)?;
    } else {
        writeln!(out, "[")?;
    }
    for (i, spec) in request.specs.iter().enumerate() {
        let mut run = make_run(&request.function, spec, request.batch, 2)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        match request.format {
            Format::Csv => {
                stream_csv_run(out, i + 1, &mut run, with_lr, None)?;
                // The rows do not say why they end early: one line does (JSON has the field).
                if let Some(stop) = run.stop_reason()
                    && stop != StopReason::MaxIterations
                {
                    let _ = writeln!(
                        err,
                        "note: run {} stopped at iteration {}: {}",
                        i + 1,
                        run.iterations(),
                        stop_explained(stop)
                    );
                }
            }
            Format::Json => {
                stream_json_run(out, i + 1, &mut run)?;
                writeln!(
                    out,
                    "{}",
                    if i + 1 < request.specs.len() { "," } else { "" }
                )?;
            }
        }
    }
    if request.format == Format::Json {
        writeln!(out, "]")?;
    }
    Ok(())
}

/// A point of the view of `objective` (of one or two variables) where f and its gradient are
/// finite and which lies in its domain, found on a 21-per-side grid; `None` if there is none.
fn finite_point(objective: &dyn Objective) -> Option<Vec<f64>> {
    finite_point_in(objective, &objective.info().view)
}

/// A stop reason with what it means, for a note beside the rows.
fn stop_explained(stop: StopReason) -> String {
    let why = match stop {
        StopReason::Converged => "|grad f| fell below --tol",
        StopReason::Diverged => {
            "f, its gradient or the optimizer's moments stopped being finite, or the point went farther than 1e12"
        }
        StopReason::LeftDomain => "the next point lay outside the function's domain",
        StopReason::SingularHessian => "Newton's method met a singular Hessian",
        StopReason::LineSearchFailed => "no step of the line search decreased f enough",
        StopReason::MaxIterations => "all the iterations were taken",
        StopReason::Budget => "the evaluation budget was spent",
    };
    format!("{} ({why})", stop.name())
}

/// Prints the built-in lessons: name, steps and title.
pub fn write_lessons(out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "name,steps,title")?;
    for (name, _) in crate::engine::lesson::BUILT_IN {
        match crate::engine::lesson::built_in(name) {
            Ok(lesson) => writeln!(out, "{name},{},\"{}\"", lesson.steps.len(), lesson.title)?,
            Err(e) => writeln!(out, "{name},0,\"unreadable: {e}\"")?,
        }
    }
    Ok(())
}

/// Writes the table of preset functions.
pub fn write_functions(out: &mut impl Write) -> io::Result<()> {
    for kind in PresetKind::ALL {
        let name = kind.name();
        let objective = kind.objective(None).map_err(io::Error::other)?;
        let info = objective.info();
        let view: Vec<String> = info
            .view
            .iter()
            .map(|i| format!("[{}, {}]", human(i.lo), human(i.hi)))
            .collect();
        let minima: Vec<String> = info.minima.iter().map(|m| format_point(m)).collect();
        let params = if kind.has_dim() {
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

/// Writes the table of optimizers and the schedules.
pub fn write_optimizers(out: &mut impl Write) -> io::Result<()> {
    for kind in OptimizerKind::ALL {
        writeln!(out, "{} ({})", kind.name(), kind.label())?;
        writeln!(out, "  {}", kind.rule())?;
        let mut params = vec!["--lr (default 0.1)".to_string()];
        params.extend(
            kind.hyperparameters()
                .iter()
                .map(|h| format!("--{} (default {})", h.flag, human(h.default))),
        );
        if kind.reads_amsgrad() {
            params.push("--amsgrad".to_string());
        }
        writeln!(out, "  hyperparameters: {}", params.join(", "))?;
    }
    writeln!(
        out,
        "every optimizer: --clip C clips each gradient component to [-C, C]; --grad-noise SIGMA --seed S adds seeded Gaussian noise to each gradient"
    )?;
    writeln!(
        out,
        "learning-rate schedules (--schedule, step k = 0 first):"
    )?;
    for kind in crate::engine::ScheduleKind::ALL {
        writeln!(out, "  {}: {}", kind.name(), kind.formula())?;
    }
    writeln!(
        out,
        "  --step-size N, --gamma G, --t-max N, --eta-min E; --warmup N multiplies any of them by min(1, (k + 1) / N)"
    )
}

/// What a command line asks for, checked but not yet done.
pub enum Plan {
    /// Open the window.
    Window(Box<WindowRequest>),
    /// `descent functions`.
    Functions,
    /// `descent lessons`.
    Lessons,
    /// `descent optimizers`.
    Optimizers,
    /// `descent critical`: the objective and the view to search.
    Critical(Arc<dyn Objective>, Vec<crate::engine::Interval>),
    /// `descent race`.
    Race(Box<race::RaceRequest>),
    /// `descent basins`.
    Basins(Box<basins::BasinsRequest>),
    /// `descent sweep`.
    Sweep(Box<basins::SweepRequest>),
    /// `descent run`.
    Run(Box<RunRequest>),
}

/// Parses and checks `args` without doing any of the work: the plan, or the exit code
/// after help or the version was written to `out`, or one `error:` line to `err`.
pub fn plan_cli(
    args: &[OsString],
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<Plan, i32> {
    let usage = |err: &mut dyn Write, message: &dyn std::fmt::Display| {
        let message = crate::engine::format::one_line(&message.to_string());
        let _ = writeln!(err, "error: {message}");
        EXIT_USAGE
    };
    if let Some(message) = option_without_value(args) {
        return Err(usage(err, &message));
    }
    // A value with a line break would make a two-line message and is never meant.
    if let Some((i, arg)) = args
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, a)| a.to_string_lossy().chars().any(char::is_control))
    {
        let shown = crate::engine::format::one_line(&arg.to_string_lossy());
        let shown: String = shown.chars().take(80).collect();
        return Err(usage(
            err,
            &format!(
                "argument {i} ('{shown}') holds a line break or another control character; values are one line of text"
            ),
        ));
    }
    let cli = Cli::try_parse_from(args).map_err(|e| report_clap_error(&e, args, out, err))?;
    // Options of another option, checked here: clap's `requires` lets them pass when the
    // option they need conflicts with one given (--step beside --scenario).
    if cli.step.is_some() && cli.lesson.is_none() {
        return Err(usage(
            err,
            &"--step: picks a step of --lesson, which is not given",
        ));
    }
    if cli.gif.is_none()
        && let Some(flag) = [
            ("--fps", cli.fps.is_some()),
            ("--frames", cli.frames.is_some()),
            ("--size", cli.size.is_some()),
        ]
        .into_iter()
        .find_map(|(flag, given)| given.then_some(flag))
    {
        return Err(usage(
            err,
            &format!("{flag}: sets the animation of --gif, which is not given"),
        ));
    }
    if let Some(path) = &cli.screenshot
        && let Err(e) = check_screenshot_path(path)
    {
        return Err(usage(err, &format!("--screenshot: {e}")));
    }
    let gif = gif_args(&cli).map_err(|e| usage(err, &e))?;
    let window = |lesson, scenario, screenshot, layout, gif| {
        Plan::Window(Box::new(WindowRequest {
            runs: None,
            screenshot,
            view: None,
            layout,
            lesson,
            scenario,
            gif,
        }))
    };
    if cli.command.is_none()
        && args.iter().any(|a| {
            a.to_str()
                .is_some_and(|a| a == "--format" || a.starts_with("--format="))
        })
    {
        return Err(usage(
            err,
            &"--format: chooses the output of descent run; the window writes none (use --screenshot or --gif for a picture)",
        ));
    }
    if cli.command.is_none() && (cli.lesson.is_some() || cli.scenario.is_some()) {
        let what = if cli.lesson.is_some() {
            "--lesson (the lesson sets the function, the view and the runs)"
        } else {
            "--scenario (the scenario sets the function, the view and the runs)"
        };
        if let Some(flag) = run_option_given(args) {
            return Err(usage(err, &format!("{flag}: not used with {what}")));
        }
    }
    // A surface's layout for a scene of a curve would be ignored: said instead.
    let curve_layout = |dim: usize, what: &str| match cli.layout {
        Some(layout) if dim == 1 && layout != Layout::TwoD => Err(format!(
            "--layout: {} shows a surface; {what} shows a curve f(x), drawn in one view: leave out --layout",
            layout.value_name()
        )),
        _ => Ok(()),
    };
    Ok(match cli.command {
        None if cli.lesson.is_some() => {
            let name = cli.lesson.as_deref().unwrap_or_default();
            let lesson = lesson_request(name, cli.step).map_err(|e| usage(err, &e))?;
            curve_layout(
                lesson.dim,
                &format!("step {} of {}", lesson.step + 1, lesson.name),
            )
            .map_err(|e| usage(err, &e))?;
            window(Some(lesson), None, cli.screenshot, cli.layout, gif)
        }
        None if cli.scenario.is_some() => {
            let path = cli.scenario.clone().unwrap_or_default();
            let scenario = scenario_request(&path).map_err(|e| usage(err, &e))?;
            curve_layout(scenario.dim, &path.display().to_string()).map_err(|e| usage(err, &e))?;
            window(None, Some(scenario), cli.screenshot, cli.layout, gif)
        }
        None => {
            // `descent` alone, or with only `--layout` and `--screenshot`, restores the saved
            // session (a screenshot of it leaves it as it was).
            let mut rest = args.iter().skip(1).map(|a| a.to_string_lossy());
            let mut bare = true;
            while let Some(arg) = rest.next() {
                match arg.as_ref() {
                    "--layout" | "--screenshot" => {
                        rest.next();
                    }
                    _ if arg.starts_with("--layout=") || arg.starts_with("--screenshot=") => {}
                    _ => bare = false,
                }
            }
            return window_plan(cli, bare, gif, err);
        }
        Some(Command::Functions) => Plan::Functions,
        Some(Command::Lessons) => Plan::Lessons,
        Some(Command::Optimizers) => Plan::Optimizers,
        Some(Command::Critical(args)) => {
            let (objective, view) = args.to_request().map_err(|e| usage(err, &e))?;
            // An empty table would read as "no critical point": say why there is none.
            if crate::engine::objective::finite_point_in(objective.as_ref(), &view).is_none() {
                return Err(usage(
                    err,
                    &UsageError(
                        "--function: f is finite nowhere in the view (on a fine grid over it), so it has no critical point there: check the formula, or give a --view where f is defined".to_string(),
                    ),
                ));
            }
            Plan::Critical(objective, view)
        }
        Some(Command::Race(args)) => {
            Plan::Race(Box::new(args.to_request(err).map_err(|e| usage(err, &e))?))
        }
        Some(Command::Basins(args)) => {
            Plan::Basins(Box::new(args.to_request().map_err(|e| usage(err, &e))?))
        }
        Some(Command::Sweep(args)) => {
            Plan::Sweep(Box::new(args.to_request().map_err(|e| usage(err, &e))?))
        }
        Some(Command::Run(args)) => {
            Plan::Run(Box::new(args.to_request().map_err(|e| usage(err, &e))?))
        }
    })
}

/// The first option in `args` that sets the function, the view or the runs (which a lesson
/// or a scenario sets itself), if any.
fn run_option_given(args: &[OsString]) -> Option<String> {
    args.iter().skip(1).find_map(|arg| {
        let arg = arg.to_str()?;
        let name = arg.split('=').next().unwrap_or(arg);
        let option = arg.starts_with('-') && arg.parse::<f64>().is_err();
        // The window's own options go with a scene, but for the view, which it sets.
        let window_own = WINDOW_ONLY.contains(&name) && name != "--view";
        (option && !window_own).then(|| name.to_string())
    })
}

/// Parses `args` and runs the command, writing to `out` and `err`; returns the exit code.
pub fn run_cli<I, T>(args: I, out: &mut impl Write, err: &mut impl Write) -> Action
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let plan = match plan_cli(&args, out, err) {
        Ok(plan) => plan,
        Err(code) => return Action::Exit(code),
    };
    let result = match plan {
        Plan::Window(request) => return Action::Window(request),
        Plan::Functions => write_functions(out),
        Plan::Lessons => write_lessons(out),
        Plan::Optimizers => write_optimizers(out),
        Plan::Critical(objective, view) => write_critical(out, err, objective.as_ref(), &view),
        Plan::Race(request) => race::write_race(out, err, &request),
        Plan::Basins(request) => basins::write_basins(out, err, &request),
        Plan::Sweep(request) => basins::write_sweep(out, err, &request),
        Plan::Run(request) => write_runs(out, err, &request),
    };
    Action::Exit(match result.and_then(|()| out.flush()) {
        Ok(()) => 0,
        // A closed pipe (`descent run ... | head`) is not an error of ours.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        // A request the engine refused once it ran: the user's input, not the output.
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
            let _ = writeln!(err, "error: {e}");
            EXIT_USAGE
        }
        Err(e) => {
            let _ = writeln!(err, "error: writing output: {e}");
            1
        }
    })
}

/// Opens the window: with the saved session when no option was given, else with the runs
/// the options describe (checked like `descent run`'s).
fn window_plan(
    cli: Cli,
    bare: bool,
    gif: Option<GifArgs>,
    err: &mut impl Write,
) -> Result<Plan, i32> {
    if bare {
        return Ok(Plan::Window(Box::new(WindowRequest {
            runs: None,
            screenshot: cli.screenshot,
            view: None,
            layout: cli.layout,
            lesson: None,
            scenario: None,
            gif,
        })));
    }
    match cli.window.to_request() {
        Ok(request) if request.function.spec.dim() > crate::engine::presets::MAX_WINDOW_DIM => {
            let _ = writeln!(
                err,
                "error: --dim: {} in {} dimensions has no window view: the window shows at most {}; use `descent run`",
                request.function.spec.name(),
                request.function.spec.dim(),
                crate::engine::presets::MAX_WINDOW_DIM
            );
            Err(EXIT_USAGE)
        }
        Ok(request) if request.specs.len() > MAX_WINDOW_RUNS => {
            let _ = writeln!(
                err,
                "error: --start: the window holds at most {MAX_WINDOW_RUNS} runs, and {} starts were given; `descent run` takes any number",
                request.specs.len()
            );
            Err(EXIT_USAGE)
        }
        Ok(request)
            if request.function.spec.dim() == 1
                && cli.layout.is_some_and(|l| l != Layout::TwoD) =>
        {
            let _ = writeln!(
                err,
                "error: --layout: {} shows a surface; {} is a curve f(x), drawn in one view: leave out --layout",
                cli.layout.map_or("", |l| l.value_name()),
                request.function.spec.name()
            );
            Err(EXIT_USAGE)
        }
        Ok(request) => {
            let view = match &cli.view {
                None => None,
                Some(_) if request.function.spec.dim() > 2 => {
                    let _ = writeln!(
                        err,
                        "error: --view: {} in {} dimensions is shown over its own box, [-10, 10] for each coordinate; --view is for functions of one or two variables",
                        request.function.spec.name(),
                        request.function.spec.dim()
                    );
                    return Err(EXIT_USAGE);
                }
                Some(text) => match parse_view(text, request.function.spec.dim()) {
                    // A start in the view is finite there (the run checked it), however
                    // small the region where f is finite.
                    Ok(view)
                        if !request.specs.iter().any(|spec| {
                            spec.start
                                .iter()
                                .zip(&view)
                                .all(|(v, range)| range.lo <= *v && *v <= range.hi)
                        }) && finite_point_in(request.function.objective.as_ref(), &view)
                            .is_none() =>
                    {
                        let info = request.function.objective.info();
                        let _ = writeln!(
                            err,
                            "error: --view: f is finite nowhere in this view, so it would show nothing; {}'s domain: {}",
                            request.function.spec.name(),
                            info.domain
                        );
                        return Err(EXIT_USAGE);
                    }
                    Ok(view) => Some(view),
                    Err(e) => {
                        let _ = writeln!(err, "error: --view: {e}");
                        return Err(EXIT_USAGE);
                    }
                },
            };
            Ok(Plan::Window(Box::new(WindowRequest {
                runs: Some(request),
                screenshot: cli.screenshot,
                view,
                layout: cli.layout,
                lesson: None,
                scenario: None,
                gif,
            })))
        }
        Err(e) => {
            let _ = writeln!(
                err,
                "error: {}",
                crate::engine::format::one_line(&e.to_string())
            );
            Err(EXIT_USAGE)
        }
    }
}

/// Prints help and version normally, and any other parse error as one `error:` line.
/// `args` are the arguments as given, for hints clap's message cannot carry (`-iters` is
/// reported as `-i`).
fn report_clap_error(
    e: &clap::Error,
    args: &[OsString],
    out: &mut impl Write,
    err: &mut impl Write,
) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            match write!(out, "{}", e.render()).and_then(|()| out.flush()) {
                Ok(()) => 0,
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
                Err(e) => {
                    let _ = writeln!(err, "error: writing output: {e}");
                    1
                }
            }
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
            // "the following required arguments were not provided:" lists them below.
            if line.ends_with(':') {
                let missing: Vec<&str> = rendered
                    .lines()
                    .skip(1)
                    .map(str::trim)
                    .take_while(|l| !l.is_empty())
                    .collect();
                line.push(' ');
                line.push_str(&missing.join(", "));
            }
            // The command the line was given to, from clap's usage line.
            let command = rendered
                .lines()
                .find_map(|l| l.trim().strip_prefix("Usage: descent "))
                .and_then(|rest| rest.split_whitespace().next())
                .filter(|w| w.chars().all(|c| c.is_ascii_lowercase()))
                .unwrap_or("");
            let given = line
                .split("unexpected argument '")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
                .unwrap_or("")
                .to_string();
            // clap's own advice ("a similar argument exists: '--function'") below the line,
            // when it is a near spelling and not another option that shares a few letters.
            if let Some(tip) = rendered
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with("tip:"))
            {
                let tip = tip.trim_start_matches("tip:").trim();
                let similar = tip
                    .split("similar argument exists: '")
                    .nth(1)
                    .and_then(|rest| rest.split('\'').next());
                match similar {
                    Some(option)
                        if crate::engine::format::edit_distance(&given, option) > 2
                            && !command.is_empty() =>
                    {
                        line.push_str(&format!(
                            "; {command} takes no {given} (descent {command} --help lists its options)"
                        ));
                    }
                    _ => {
                        line.push_str("; ");
                        line.push_str(tip);
                    }
                }
            }
            // `race --lr` and `sweep --lr`: the rates they take have other names.
            if e.kind() == ErrorKind::UnknownArgument
                && ["--lr", "--lr-min", "--lr-max"].contains(&given.as_str())
            {
                if rendered.contains("descent race") {
                    line.push_str(
                        "; race takes a rate per optimizer: --lr-for NAME=LR (or --tune)",
                    );
                } else if rendered.contains("descent sweep") {
                    line.push_str("; sweep takes the range of rates: --lr-min and --lr-max");
                }
            }
            // `basins --dim`: the map is drawn over x and y.
            if e.kind() == ErrorKind::UnknownArgument
                && line.contains("'--dim'")
                && rendered.contains("descent basins")
            {
                line.push_str("; a basin map is drawn over x and y, so basins takes functions of two variables and no --dim");
            }
            // `-lr 0.1`: a long option written with one dash.
            if e.kind() == ErrorKind::UnknownArgument
                && let Some(rest) = line.split("unexpected argument '-").nth(1)
                && rest.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && rest.chars().nth(1) == Some('\'')
            {
                // -f, -o and -O are short options of other commands; anything else is most
                // likely a long option with one dash (`-lr`, read by clap as -l).
                if command == "race" && rest.starts_with('o') {
                    line.push_str("; race names its optimizers with --optimizers NAME,NAME");
                } else if rest.starts_with(['f', 'o', 'O']) && !command.is_empty() {
                    line.push_str(&format!(
                        "; {command} takes no -{} (descent {command} --help lists its options)",
                        &rest[..1]
                    ));
                } else {
                    // The word as typed (`-iters`), when it is one: name it with two dashes.
                    let typed = args
                        .iter()
                        .filter_map(|a| a.to_str())
                        .map(|a| a.split('=').next().unwrap_or(a))
                        .find(|a| {
                            a.len() > 2
                                && a.starts_with(&format!("-{}", &rest[..1]))
                                && a[1..]
                                    .chars()
                                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
                        });
                    match typed {
                        Some(word) => {
                            line.push_str(&format!("; long options take two dashes: -{word}"))
                        }
                        None => line.push_str("; long options take two dashes, e.g. --lr 0.1"),
                    }
                }
            }
            // A bare word where an option belongs (`--start 1 2`, `run bowl`, `descent bowl`).
            if matches!(
                e.kind(),
                ErrorKind::UnknownArgument
                    | ErrorKind::InvalidSubcommand
                    | ErrorKind::ArgumentConflict
            ) && let Some(word) = stray_word(&line)
            {
                line.push_str(&stray_word_hint(
                    word,
                    e.kind() == ErrorKind::InvalidSubcommand,
                ));
            }
            // A window option given to a command: say where it belongs.
            if e.kind() == ErrorKind::UnknownArgument
                && let Some(option) = WINDOW_ONLY
                    .iter()
                    .find(|o| line.contains(&format!("'{o}'")) || line.contains(&format!("'{o}=")))
            {
                line.push_str(&format!(
                    "; {option} is an option of the window (descent {option} ...), not of this command"
                ));
            }
            // Any other unknown option of a command: say so, and where its options are listed.
            if e.kind() == ErrorKind::UnknownArgument
                && given.starts_with("--")
                && !line.contains(';')
            {
                let listed = match command {
                    "functions" => Some("preset function"),
                    "lessons" => Some("lesson"),
                    "optimizers" => Some("optimizer"),
                    _ => None,
                };
                line.push_str(&match (listed, command) {
                    (Some(what), _) => {
                        format!("; descent {command} takes no options, it lists every {what}")
                    }
                    (None, "") => {
                        "; descent --help lists the window's options and the commands".to_string()
                    }
                    (None, _) => format!(
                        "; {command} takes no {given} (descent {command} --help lists its options)"
                    ),
                });
            }
            // A bare `--` makes every later word a value, so an option after it is unknown.
            let given = if given.is_empty() {
                line.split("unrecognized subcommand '")
                    .nth(1)
                    .and_then(|rest| rest.split('\'').next())
                    .unwrap_or("")
                    .to_string()
            } else {
                given
            };
            if matches!(
                e.kind(),
                ErrorKind::UnknownArgument | ErrorKind::InvalidSubcommand
            ) && !given.is_empty()
                && args.iter().skip(1).any(|a| a.to_string_lossy() == "--")
            {
                line = format!(
                    "error: unexpected argument '{given}' found after a bare '--', which makes every later word a value, not an option: remove the '--'"
                );
            }
            let _ = writeln!(err, "{line}");
            EXIT_USAGE
        }
    }
}

/// The word clap names in "unexpected argument 'W' found", "unrecognized subcommand 'W'" or
/// "the subcommand 'W' cannot be used with ...", when it is not an option.
fn stray_word(line: &str) -> Option<&str> {
    [
        "unexpected argument '",
        "unrecognized subcommand '",
        "the subcommand '",
    ]
    .iter()
    .find_map(|head| line.split(head).nth(1)?.split('\'').next())
    // A negative number is a value too (`--start 1 -2`), an option is not.
    .filter(|word| {
        !word.is_empty()
            && (!word.starts_with('-') || word.split(',').all(|n| n.trim().parse::<f64>().is_ok()))
    })
}

/// What a stray word most likely is: a number of a point, a function or an optimizer.
fn stray_word_hint(word: &str, as_command: bool) -> String {
    let presets = crate::engine::presets::PRESET_NAMES;
    let optimizers = crate::engine::optimizer::OptimizerKind::names();
    if let Some(rest) = word.strip_prefix(['\u{2014}', '\u{2013}', '\u{2212}']) {
        // A word processor turned `--lr` into an em dash.
        format!("; that dash is a typographic one (a document turns -- into it): write --{rest}")
    } else if word.split(',').all(|n| n.trim().parse::<f64>().is_ok()) {
        "; a value of several numbers is one argument, its numbers joined by commas: --start 1,2 or --view -2,2,-2,2".to_string()
    } else if presets.contains(&word) {
        format!("; a function is named with --function: --function {word}")
    } else if optimizers.contains(&word) {
        format!("; an optimizer is named with --optimizer: --optimizer {word}")
    } else if as_command {
        "; the commands are run, functions, lessons, optimizers, critical, race, basins and sweep (descent help)".to_string()
    } else {
        "; every value follows its option, e.g. --function bowl --lr 0.1 (descent help lists them)"
            .to_string()
    }
}

/// The options of the window alone, which no command takes.
const WINDOW_ONLY: [&str; 10] = [
    "--screenshot",
    "--view",
    "--layout",
    "--lesson",
    "--step",
    "--gif",
    "--fps",
    "--frames",
    "--size",
    "--scenario",
];

/// The options that take a value and accept values starting with `-` (negative numbers).
const VALUE_OPTIONS: [&str; 44] = [
    "--gif",
    "--fps",
    "--frames",
    "--size",
    "--layout",
    "--lesson",
    "--step",
    "--scenario",
    "--start",
    "--lr",
    "--iters",
    "--momentum",
    "--alpha",
    "--beta1",
    "--beta2",
    "--eps",
    "--tol",
    "--clip",
    "--dim",
    "--batch-size",
    "--epochs",
    "--seed",
    "--function",
    "--optimizer",
    "--data",
    "--view",
    "--weight-decay",
    "--rho",
    "--momentum-decay",
    "--schedule",
    "--step-size",
    "--gamma",
    "--t-max",
    "--eta-min",
    "--warmup",
    "--grad-noise",
    "--optimizers",
    "--lr-for",
    "--budget",
    "--grid",
    "--lr-min",
    "--lr-max",
    "--count",
    "--output",
];

/// An option given another option where its value belongs (`--start --lr 0.1`): negative
/// numbers are values, so the parser alone would take `--lr` as the start.
fn option_without_value(args: &[OsString]) -> Option<String> {
    args.windows(2).find_map(|pair| {
        let option = pair[0].to_str()?;
        let next = pair[1].to_str()?;
        (VALUE_OPTIONS.contains(&option) && next.starts_with("--")).then(|| {
            format!("{option}: a value is required, but the next argument is the option '{next}'")
        })
    })
}

/// Checks before the window opens that a PNG can be written at `path`.
fn check_screenshot_path(path: &std::path::Path) -> Result<(), String> {
    check_output_path(path, "png")
}

/// Checks that `path` ends in `.extension` and can be written, without leaving a file.
pub(crate) fn check_output_path(path: &std::path::Path, extension: &str) -> Result<(), String> {
    let fits = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(extension));
    if !fits {
        // `.png` alone is a hidden file with no extension: say the name is missing.
        let bare = path.file_name().is_some_and(|n| {
            n.to_string_lossy()
                .eq_ignore_ascii_case(&format!(".{extension}"))
        });
        return Err(if bare {
            format!(
                "'{}' has no name before .{extension}, e.g. out.{extension}",
                path.display()
            )
        } else {
            format!(
                "'{}' must end in .{extension}, e.g. out.{extension}",
                path.display()
            )
        });
    }
    if path.is_dir() {
        return Err(format!("'{}' is a directory", path.display()));
    }
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| crate::files::named_folder(path, e))
        .map_err(|e| format!("cannot write '{}': {e}", path.display()))?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_screenshot_alone_pictures_the_saved_session() {
        let plan = |args: &[&str]| {
            let args: Vec<OsString> = args.iter().map(OsString::from).collect();
            plan_cli(&args, &mut Vec::new(), &mut Vec::new())
        };
        let shot = std::env::temp_dir().join("descent-bare-shot.png");
        let shot = shot.to_string_lossy().to_string();
        for args in [
            vec!["descent", "--screenshot", &shot],
            vec!["descent", "--layout", "both", "--screenshot", &shot],
            vec!["descent", "--layout=3d"],
        ] {
            match plan(&args) {
                Ok(Plan::Window(request)) => {
                    assert!(request.runs.is_none(), "{args:?} restores the session");
                    assert_eq!(
                        request.screenshot.is_some(),
                        args.contains(&shot.as_str()),
                        "{args:?}"
                    );
                }
                _ => panic!("{args:?} opens the window"),
            }
        }
        // A run option makes the window show those runs instead.
        match plan(&["descent", "--screenshot", &shot, "--lr", "0.1"]) {
            Ok(Plan::Window(request)) => assert!(request.runs.is_some()),
            _ => panic!("opens the window"),
        }
    }

    #[test]
    fn progress_is_said_only_once_the_job_has_run_a_while() {
        let mut err = Vec::new();
        let mut progress = Progress::start("basins (8 x 8 starts)".to_string(), "rows", 8);
        progress.done(&mut err, 2);
        assert!(err.is_empty(), "a short job says nothing");
        // As if the job had started long ago.
        let long_ago = std::time::Instant::now() - 2 * PROGRESS_EVERY;
        (progress.started, progress.last) = (long_ago, long_ago);
        progress.done(&mut err, 4);
        progress.done(&mut err, 5);
        let said = String::from_utf8(err).unwrap();
        assert_eq!(said.lines().count(), 1, "{said}");
        assert!(
            said.starts_with("note: basins (8 x 8 starts): 4 of 8 rows done (50%) after 1")
                && said.trim_end().ends_with("Ctrl+C stops it"),
            "{said}"
        );
    }
}
