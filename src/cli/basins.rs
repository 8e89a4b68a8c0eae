//! `descent basins` (which minimum each start of a grid reaches, as CSV or a PNG map) and
//! `descent sweep` (one start, many learning rates).

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use clap::{Args, ValueEnum};

use super::hyper::HyperArgs;
use super::{UsageError, parse_count, parse_number, parse_point};
use crate::engine::basins::{
    BasinMap, BasinSpec, DIVERGED, Ending, NOWHERE, SweepRow, basin_minima, basin_rows,
    divergence_threshold, log_space, sweep, touching_basins,
};
use crate::engine::format::{exact, human};
use crate::engine::optimizer::OptimizerConfig;
use crate::engine::run::MAX_ITERATIONS;
use crate::engine::{
    EngineError, FunctionSpec, Interval, Objective, OptimizerKind, StopReason, objective,
};

/// The largest basin grid side.
pub const MAX_GRID: usize = 4096;
/// The most learning rates a sweep takes.
pub const MAX_SWEEP: usize = 100_000;

/// Colors of the minima in basin maps (the window's overlay uses them too), by label.
pub const BASIN_COLORS: [[u8; 3]; 10] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [188, 189, 34],
    [23, 190, 207],
    [127, 127, 127],
];
/// The color of starts that diverged or left the domain.
pub const DIVERGED_COLOR: [u8; 3] = [70, 70, 70];
/// The color of starts that reached no known minimum.
pub const NOWHERE_COLOR: [u8; 3] = [20, 20, 20];

/// The color of a basin label, from the map's palette (see [`basin_palette`]).
pub fn basin_color(label: i32, palette: &[[u8; 3]]) -> [u8; 3] {
    match usize::try_from(label) {
        Ok(i) => palette
            .get(i)
            .copied()
            .unwrap_or(BASIN_COLORS[i % BASIN_COLORS.len()]),
        Err(_) if label == DIVERGED => DIVERGED_COLOR,
        Err(_) => NOWHERE_COLOR,
    }
}

/// Each minimum's color: the first ten minima take the ten colors in order, so a map of few
/// wells always reads the same; each later one takes the first color no basin it touches
/// already has (`touching` as [`crate::engine::basins::touching_basins`] gives it), so the
/// many wells of rastrigin never share a color with a neighbour while colors last.
pub fn basin_palette(touching: &[Vec<usize>]) -> Vec<[u8; 3]> {
    let mut chosen: Vec<usize> = Vec::with_capacity(touching.len());
    for (i, neighbours) in touching.iter().enumerate() {
        let color = if i < BASIN_COLORS.len() {
            i
        } else {
            let taken: Vec<usize> = neighbours
                .iter()
                .filter(|&&n| n < i)
                .map(|&n| chosen[n])
                .collect();
            (0..BASIN_COLORS.len())
                .find(|c| !taken.contains(c))
                .unwrap_or(i % BASIN_COLORS.len())
        };
        chosen.push(color);
    }
    chosen.into_iter().map(|c| BASIN_COLORS[c]).collect()
}

/// Output formats of `descent basins`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BasinFormat {
    /// One row per start: x,y,label,iterations,final_value.
    Csv,
    /// The map as an image, one pixel per start, colored by the minimum reached.
    Png,
}

/// The optimizer options `basins` and `sweep` share.
#[derive(Debug, Clone, Args)]
pub struct DescentArgs {
    /// Function: a preset's name or a formula.
    #[arg(
        long,
        short = 'f',
        default_value = "three-wells",
        allow_hyphen_values = true
    )]
    pub function: String,
    /// Optimizer (see `descent optimizers`).
    #[arg(long, short = 'o', default_value = "gd")]
    pub optimizer: String,
    /// Iterations per run at most (default 200 for basins, 1000 for a sweep).
    #[arg(long, allow_hyphen_values = true)]
    pub iters: Option<String>,
    /// Stop a run once |grad f| < tol; 0 runs every iteration.
    #[arg(long, allow_hyphen_values = true)]
    pub tol: Option<String>,
    /// Hyperparameters and schedule (gradient noise does not apply: these are deterministic).
    #[command(flatten)]
    pub hyper: HyperArgs,
}

/// The function, optimizer, iterations and tolerance, checked.
struct Descent {
    objective: Arc<dyn Objective>,
    config: OptimizerConfig,
    iters: u32,
    tol: f64,
}

/// The regression lab's loss needs data, which these commands do not take.
pub(crate) fn no_regression(function: &str) -> Result<(), UsageError> {
    if function.trim() == crate::engine::function::REGRESSION {
        return Err(UsageError(
            "--function: regression is fitted with `descent run --function regression --data ...` or in the window's lab, not here"
                .to_string(),
        ));
    }
    Ok(())
}

impl DescentArgs {
    fn check(
        &self,
        lr: f64,
        default_iters: &str,
        default_tol: &str,
        dim: Option<&str>,
    ) -> Result<Descent, UsageError> {
        no_regression(&self.function)?;
        let spec = FunctionSpec::from_options(&self.function, dim, None, false)
            .map_err(|e| UsageError(e.to_string()))?;
        let objective = spec
            .build()
            .map_err(|e| UsageError(e.to_string()))?
            .objective;
        let kind = OptimizerKind::from_name(&self.optimizer)
            .map_err(|e| UsageError(format!("--optimizer: {e}")))?;
        if self.hyper.grad_noise.is_some() {
            return Err(UsageError(
                "--grad-noise: basin maps and sweeps are deterministic; use `descent run` for noisy runs"
                    .to_string(),
            ));
        }
        let mut config = OptimizerConfig::new(kind, lr);
        self.hyper.apply(&mut config, 0, true)?;
        let iters = parse_count("--iters", self.iters.as_deref().unwrap_or(default_iters))?;
        let iters = u32::try_from(iters)
            .ok()
            .filter(|&n| n >= 1 && u64::from(n) <= MAX_ITERATIONS)
            .ok_or_else(|| {
                UsageError(format!(
                    "--iters: {}",
                    EngineError::BadIterations {
                        got: iters,
                        max: MAX_ITERATIONS
                    }
                ))
            })?;
        let tol = parse_number("--tol", self.tol.as_deref().unwrap_or(default_tol))?;
        if !(tol.is_finite() && tol >= 0.0) {
            return Err(UsageError(format!(
                "--tol: {}",
                EngineError::BadTolerance(tol)
            )));
        }
        Ok(Descent {
            objective,
            config,
            iters,
            tol,
        })
    }
}

/// The arguments of `descent basins`.
#[derive(Debug, Clone, Args)]
pub struct BasinsArgs {
    /// Function, optimizer, iterations (default 200) and tolerance (default 1e-6).
    #[command(flatten)]
    pub descent: DescentArgs,
    /// Learning rate.
    #[arg(long, default_value = "0.1", allow_hyphen_values = true)]
    pub lr: String,
    /// Starts across and down: W or WxH (default 128; at most 4096 each way).
    #[arg(
        long,
        default_value = "128",
        value_name = "W[xH]",
        allow_hyphen_values = true
    )]
    pub grid: String,
    /// The starts' box: XMIN,XMAX,YMIN,YMAX (default the function's own view).
    #[arg(long, value_name = "XMIN,XMAX,YMIN,YMAX", allow_hyphen_values = true)]
    pub view: Option<String>,
    /// Output format (default: png for an --output ending in .png, else csv).
    #[arg(long, value_enum)]
    pub format: Option<BasinFormat>,
    /// Write to this file instead of standard output (required for png).
    #[arg(long, short = 'O', value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

/// A checked `descent basins` request.
pub struct BasinsRequest {
    /// The function.
    pub objective: Arc<dyn Objective>,
    /// The map to compute.
    pub spec: BasinSpec,
    /// The minima the labels index.
    pub minima: Vec<Vec<f64>>,
    /// How to write it.
    pub format: BasinFormat,
    /// Where to write it.
    pub output: Option<std::path::PathBuf>,
}

impl BasinsArgs {
    /// Checks every argument.
    pub fn to_request(&self) -> Result<BasinsRequest, UsageError> {
        let lr = parse_number("--lr", &self.lr)?;
        let descent = self.descent.check(lr, "200", "1e-6", None)?;
        let objective = descent.objective;
        if objective.dim() != 2 {
            let info = objective.info();
            let what = if info.param_names.len() == 1 {
                "a curve of x alone".to_string()
            } else {
                format!(
                    "{}-dimensional ({})",
                    objective.dim(),
                    crate::engine::format::name_list(&info.param_names, ", ")
                )
            };
            return Err(UsageError(format!(
                "--function: a basin map is drawn over x and y, and {} is {what}; take a function of two variables (bowl, three-wells, ...; `descent functions` lists them) or a formula in x and y",
                info.name
            )));
        }
        let (width, height) = parse_grid(&self.grid)?;
        let view: Vec<Interval> = match &self.view {
            Some(text) => {
                objective::parse_view(text, 2).map_err(|e| UsageError(format!("--view: {e}")))?
            }
            None => objective.info().view.clone(),
        };
        if objective::finite_point_in(objective.as_ref(), &view).is_none() {
            return Err(UsageError(format!(
                "--view: f is finite nowhere in this view, so every start would be gray; {}'s domain: {}",
                objective.info().name,
                objective.info().domain
            )));
        }
        let png_named = self.output.as_ref().is_some_and(|p| {
            p.extension()
                .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case("png"))
        });
        let format = self.format.unwrap_or(if png_named {
            BasinFormat::Png
        } else {
            BasinFormat::Csv
        });
        if format == BasinFormat::Png && self.output.is_none() {
            return Err(UsageError(
                "--format png: name the file with --output FILE.png".to_string(),
            ));
        }
        // A path that cannot be written is refused before the map is computed.
        if let Some(path) = &self.output {
            let extension = match format {
                BasinFormat::Png => "png",
                BasinFormat::Csv => "csv",
            };
            super::check_output_path(path, extension).map_err(|e| {
                // Without --format, a picture is one extension away.
                let e = if self.format.is_none() && e.contains("must end in .csv") {
                    format!("{e}, or .png for the map as a picture")
                } else {
                    e
                };
                UsageError(format!("--output: {e}"))
            })?;
        }
        let minima = basin_minima(objective.as_ref(), &view);
        Ok(BasinsRequest {
            spec: BasinSpec {
                optimizer: descent.config,
                iters: descent.iters,
                tol: descent.tol,
                view: [view[0], view[1]],
                width,
                height,
            },
            objective,
            minima,
            format,
            output: self.output.clone(),
        })
    }
}

/// `W` or `WxH`, each 1 to [`MAX_GRID`].
fn parse_grid(text: &str) -> Result<(usize, usize), UsageError> {
    let side = |s: &str| -> Result<usize, UsageError> {
        let n = parse_count("--grid", s).map_err(|_| {
            UsageError(format!(
                "--grid: '{text}' is not W or WxH with whole numbers from 1 to {MAX_GRID}, e.g. 256 or 256x128"
            ))
        })?;
        usize::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_GRID).contains(n))
            .ok_or_else(|| {
                UsageError(format!(
                    "--grid: each side must be 1 to {MAX_GRID} starts, got {n}"
                ))
            })
    };
    match text.split_once(['x', 'X']) {
        Some((w, h)) => Ok((side(w)?, side(h)?)),
        None => {
            let n = side(text)?;
            Ok((n, n))
        }
    }
}

/// The most rows computed and written at a time, so a large map never sits in memory whole.
const BAND_ROWS: usize = 64;

/// The bands of rows of `spec`'s map, bottom first: at most [`BAND_ROWS`] rows, and about a
/// thirty-second of the map (at least 4 rows, for the cores to share), so that progress can
/// be said while a map of few long rows is made.
fn bands(spec: &BasinSpec) -> impl Iterator<Item = std::ops::Range<usize>> {
    let rows = spec.height.div_ceil(32).clamp(4, BAND_ROWS);
    (0..spec.height)
        .step_by(rows)
        .map(move |j| j..(j + rows).min(spec.height))
}

/// Rows `rows` of the request's map (never cancelled).
fn band(request: &BasinsRequest, rows: std::ops::Range<usize>) -> Vec<(i32, Ending)> {
    basin_rows(
        request.objective.as_ref(),
        &request.spec,
        &request.minima,
        rows,
        &AtomicBool::new(false),
    )
    .expect("not cancelled")
}

/// Computes the map and writes it as the request says, a band of rows at a time: the CSV
/// holds no more than a band in memory, the PNG a label and a count per start.
pub fn write_basins(
    out: &mut impl Write,
    err: &mut impl Write,
    request: &BasinsRequest,
) -> io::Result<()> {
    if request.minima.is_empty() {
        // Every label would be -1 or -2 without a word on why.
        let _ = writeln!(
            err,
            "note: {}, so every start is labelled -2 (ended near no minimum) or -1 (diverged)",
            super::why_no_minimum(request.objective.as_ref())
        );
    }
    let known = request.objective.info().minima.len();
    let found = request.minima.len().saturating_sub(known);
    if known > 0 && found > 0 {
        let name = &request.objective.info().name;
        let listed = if known == 1 {
            format!("label 0 is the minimum {name} lists")
        } else {
            format!("labels 0 to {} are the minima {name} lists", known - 1)
        };
        let _ = writeln!(
            err,
            "note: {listed}; {} to {} are the other minima found in the view, in the order `descent critical` lists them",
            known,
            known + found - 1
        );
    }
    let spec = &request.spec;
    let mut progress = super::Progress::start(
        format!(
            "basins ({} x {} starts of up to {} iterations)",
            spec.width, spec.height, spec.iters
        ),
        "rows",
        spec.height,
    );
    // Starts that stopped for a gradient below --tol, yet near no minimum: f is nearly flat
    // there, which their label alone does not say.
    let mut flat = 0usize;
    // Each band's rows, said done as they come when the job is long.
    let mut band = |rows: std::ops::Range<usize>| {
        let end = rows.end;
        let cells = band(request, rows);
        flat += cells
            .iter()
            .filter(|(label, ending)| *label == NOWHERE && ending.stop == StopReason::Converged)
            .count();
        progress.done(err, end);
        cells
    };
    let written = match (&request.format, &request.output) {
        (BasinFormat::Png, Some(path)) => {
            let cells = spec.width * spec.height;
            let (mut labels, mut iterations) =
                (Vec::with_capacity(cells), Vec::with_capacity(cells));
            for rows in bands(spec) {
                for (label, ending) in band(rows) {
                    labels.push(label);
                    iterations.push(ending.iterations);
                }
            }
            let count = request.minima.len();
            let touching = touching_basins(spec.width, spec.height, &labels, count);
            let palette = basin_palette(&touching);
            let bytes =
                colors(spec.width, spec.height, &labels, &iterations, &palette).into_flattened();
            drop((labels, iterations));
            let image = image::RgbImage::from_raw(spec.width as u32, spec.height as u32, bytes)
                .expect("one pixel per start");
            crate::files::write_atomically(path, |out| {
                image
                    .write_to(out, image::ImageFormat::Png)
                    .map_err(io::Error::other)
            })
            .map_err(|e| io::Error::other(format!("writing {}: {e}", path.display())))
        }
        (BasinFormat::Csv, Some(path)) => {
            crate::files::write_atomically(path, |out| write_basin_csv(out, spec, &mut band))
                .map_err(|e| io::Error::other(format!("writing {}: {e}", path.display())))
        }
        _ => write_basin_csv(out, spec, &mut band),
    };
    if flat > 0 && written.is_ok() {
        let _ = writeln!(
            err,
            "note: {} of {} starts stopped where |grad f| fell below --tol {} near no minimum (label -2): f is that flat there; --tol 0, or a smaller one, runs them on",
            flat,
            spec.width * spec.height,
            human(spec.tol)
        );
    }
    written
}

/// `x,y,label,iterations,final_value`, one row per start from the bottom row up, the cells
/// of each band of rows from `band`.
fn write_basin_csv(
    out: &mut impl Write,
    spec: &BasinSpec,
    band: &mut impl FnMut(std::ops::Range<usize>) -> Vec<(i32, Ending)>,
) -> io::Result<()> {
    writeln!(out, "x,y,label,iterations,final_value")?;
    for rows in bands(spec) {
        let first = rows.start;
        for (k, (label, ending)) in band(rows).into_iter().enumerate() {
            let [x, y] = BasinMap::start(spec, k % spec.width, first + k / spec.width);
            writeln!(
                out,
                "{},{},{},{},{}",
                exact(x),
                exact(y),
                label,
                ending.iterations,
                exact(ending.value)
            )?;
        }
    }
    Ok(())
}

/// The map's colors, one per start, top row (the largest y) first: each start's minimum's
/// color, darker the more iterations it needed. The PNG and the window's overlay both use it.
pub fn basin_pixels(map: &BasinMap) -> Vec<[u8; 3]> {
    let iterations: Vec<u32> = map.endings.iter().map(|e| e.iterations).collect();
    let palette = basin_palette(&map.touching());
    colors(map.width, map.height, &map.labels, &iterations, &palette)
}

/// The colors of [`basin_pixels`] from each start's label and iterations (bottom row first).
fn colors(
    width: usize,
    height: usize,
    labels: &[i32],
    iterations: &[u32],
    palette: &[[u8; 3]],
) -> Vec<[u8; 3]> {
    let most = iterations.iter().copied().max().unwrap_or(1).max(1);
    (0..height)
        .rev()
        .flat_map(|j| (0..width).map(move |i| j * width + i))
        .map(|k| {
            let shade = 1.0 - 0.5 * f64::from(iterations[k]) / f64::from(most);
            basin_color(labels[k], palette).map(|v| (f64::from(v) * shade).round() as u8)
        })
        .collect()
}

/// The map as an image: one pixel per start (see [`basin_pixels`]).
pub fn basin_image(map: &BasinMap) -> image::RgbImage {
    let bytes = basin_pixels(map).concat();
    image::RgbImage::from_raw(map.width as u32, map.height as u32, bytes)
        .expect("one pixel per start")
}

/// Output formats of `descent sweep`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SweepFormat {
    /// lr,final_value,iterations,stop_reason
    Csv,
    /// One JSON object with the rows and the divergence threshold.
    Json,
}

/// The arguments of `descent sweep`.
#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    /// Function, optimizer, iterations (default 1000) and tolerance (default 0).
    #[command(flatten)]
    pub descent: DescentArgs,
    /// The start. Default: the function's own.
    #[arg(long, value_name = "X[,Y,...]", allow_hyphen_values = true)]
    pub start: Option<String>,
    /// Dimension of sum-squares (default 3).
    #[arg(long, allow_hyphen_values = true)]
    pub dim: Option<String>,
    /// The smallest learning rate.
    #[arg(long, default_value = "1e-4", allow_hyphen_values = true)]
    pub lr_min: String,
    /// The largest learning rate.
    #[arg(long, default_value = "10", allow_hyphen_values = true)]
    pub lr_max: String,
    /// How many rates, spaced evenly in log scale (2 to 100,000).
    #[arg(long, default_value = "50", allow_hyphen_values = true)]
    pub count: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SweepFormat::Csv)]
    pub format: SweepFormat,
}

/// A checked `descent sweep` request.
pub struct SweepRequest {
    objective: Arc<dyn Objective>,
    config: OptimizerConfig,
    start: Vec<f64>,
    lrs: Vec<f64>,
    iters: u32,
    tol: f64,
    format: SweepFormat,
}

impl SweepArgs {
    /// Checks every argument.
    pub fn to_request(&self) -> Result<SweepRequest, UsageError> {
        let lo = parse_number("--lr-min", &self.lr_min)?;
        let hi = parse_number("--lr-max", &self.lr_max)?;
        if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && lo < hi) {
            return Err(UsageError(format!(
                "--lr-min, --lr-max: need 0 < lr-min < lr-max, both finite; got {lo} and {hi}"
            )));
        }
        let count = parse_count("--count", &self.count)?;
        let count = usize::try_from(count)
            .ok()
            .filter(|n| (2..=MAX_SWEEP).contains(n))
            .ok_or_else(|| UsageError(format!("--count: must be 2 to {MAX_SWEEP}, got {count}")))?;
        let descent = self
            .descent
            .check(lo, "1000", "0", self.dim.as_deref())
            .map_err(|e| {
                // A sweep has no --lr: its floor is measured against the smallest rate swept.
                UsageError(e.0.replace(
                    "at most the learning rate",
                    &format!("at most --lr-min ({}), the smallest rate swept", human(lo)),
                ))
            })?;
        let start = match &self.start {
            Some(text) => parse_point(text)?,
            None => descent.objective.info().default_start.clone(),
        };
        crate::engine::RunSpec {
            optimizer: descent.config,
            start: start.clone(),
            max_iters: u64::from(descent.iters),
            tol: descent.tol,
        }
        .validate(descent.objective.as_ref())
        .map_err(|e| match e {
            EngineError::TooManyParameters { .. } => UsageError(format!("--optimizer: {e}")),
            _ => UsageError(format!("--start: {e}")),
        })?;
        Ok(SweepRequest {
            objective: descent.objective,
            config: descent.config,
            start,
            lrs: log_space(lo, hi, count),
            iters: descent.iters,
            tol: descent.tol,
            format: self.format,
        })
    }
}

/// Runs the sweep and writes its rows.
pub fn write_sweep(
    out: &mut impl Write,
    err: &mut impl Write,
    request: &SweepRequest,
) -> io::Result<()> {
    let count = request.lrs.len();
    let mut progress = super::Progress::start(
        format!(
            "sweep ({count} learning rates of up to {} iterations)",
            request.iters
        ),
        "rates",
        count,
    );
    // A thirty-second of the rates at a time (whole blocks of lanes), so that progress
    // can be said while a long sweep runs; each rate's run is the same however grouped.
    let block = 2 * crate::engine::lanes::LANES;
    let chunk = (count / 32).max(block).next_multiple_of(block);
    let mut rows: Vec<SweepRow> = Vec::with_capacity(count);
    for lrs in request.lrs.chunks(chunk) {
        rows.extend(sweep(
            request.objective.as_ref(),
            &request.config,
            &request.start,
            lrs,
            request.iters,
            request.tol,
        ));
        progress.done(err, rows.len());
    }
    progress.finish(err, "writing the rows");
    match request.format {
        SweepFormat::Csv => {
            writeln!(out, "lr,final_value,iterations,stop_reason")?;
            for row in &rows {
                writeln!(
                    out,
                    "{},{},{},{}",
                    exact(row.lr),
                    exact(row.ending.value),
                    row.ending.iterations,
                    row.ending.stop.name()
                )?;
            }
            Ok(())
        }
        SweepFormat::Json => {
            let f0 = request.objective.value(&request.start);
            let threshold = divergence_threshold(&rows, f0);
            let json = serde_json::json!({
                "start": request.start,
                "start_value": f0,
                "divergence_between": threshold.map(|(a, b)| [a, b]),
                "rows": rows.iter().map(|r| serde_json::json!({
                    "lr": r.lr,
                    "final_value": if r.ending.value.is_finite() { Some(r.ending.value) } else { None },
                    "iterations": r.ending.iterations,
                    "stop_reason": r.ending.stop.name(),
                })).collect::<Vec<_>>(),
            });
            writeln!(out, "{json}")
        }
    }
}
