//! Fitting a line y = w0 + w1 x by least squares: data (generated, preset or CSV),
//! sufficient statistics, the mean squared error as an [`Objective`] over (intercept, slope),
//! and the seeded shuffles of mini-batch and stochastic descent.

use std::sync::{Arc, OnceLock};

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, Normal, Uniform};
use rayon::prelude::*;

use super::ad::{Scalar, Surface, surface_second_order, surface_value_and_gradient};
use super::format::human;
use super::gradient::GradientSource;
use super::objective::{Interval, Objective, ObjectiveInfo, SecondOrder};

/// Batches of at least this many points are shuffled and summed on every core.
pub const PARALLEL_POINTS: usize = 1 << 16;

/// The most points a data set may hold.
pub const MAX_POINTS: usize = 10_000_000;

/// Why data could not be made or read. Nothing is loaded from data with an error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    /// A row of a CSV file is not two numbers.
    #[error("line {line}, column {column}: {reason}")]
    Row {
        /// 1-based line number in the file.
        line: usize,
        /// 1-based column number.
        column: usize,
        /// What is wrong.
        reason: String,
    },
    /// Too few points to fit a line.
    #[error("fitting a line needs at least 2 data points (rows of x, y), got {0}")]
    TooFew(usize),
    /// Too many points.
    #[error("at most {MAX_POINTS} points, got {0}")]
    TooMany(usize),
    /// A value, or a sum the loss needs, is not a finite number.
    #[error("not finite: {0}")]
    NotFinite(String),
    /// Every x is the same, so the slope is undetermined.
    #[error("all x values are equal ({}), so no slope can be fitted", human(*.0))]
    ConstantX(f64),
    /// The x values differ, but by so little that their spread squared is below the
    /// smallest normal number: no slope can be fitted.
    #[error(
        "the x values differ by too little to fit a slope (their variance, {}, is below {}); scale x up",
        human(*.0),
        human(f64::MIN_POSITIVE)
    )]
    NarrowX(f64),
    /// A generator setting is wrong.
    #[error("{0}")]
    Spec(String),
    /// The file cannot be read, is too large or is not text.
    #[error("{0}")]
    File(String),
}

/// Points (x_i, y_i) to fit a line to.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// The x values.
    pub x: Vec<f64>,
    /// The y values.
    pub y: Vec<f64>,
    /// (x, y) side by side, made on first use: a batch then reads one cache line per point.
    pairs: OnceLock<Vec<[f64; 2]>>,
}

impl Dataset {
    /// Checks that there are 2 to [`MAX_POINTS`] finite points with more than one x.
    pub fn new(x: Vec<f64>, y: Vec<f64>) -> Result<Self, DataError> {
        assert_eq!(x.len(), y.len(), "x and y come in pairs");
        if x.len() < 2 {
            return Err(DataError::TooFew(x.len()));
        }
        if x.len() > MAX_POINTS {
            return Err(DataError::TooMany(x.len()));
        }
        if x.iter().all(|v| *v == x[0]) {
            return Err(DataError::ConstantX(x[0]));
        }
        if let Some(i) = (0..x.len()).find(|&i| !(x[i].is_finite() && y[i].is_finite())) {
            return Err(DataError::NotFinite(format!(
                "point {} is ({}, {})",
                i + 1,
                human(x[i]),
                human(y[i])
            )));
        }
        let data = Self {
            x,
            y,
            pairs: OnceLock::new(),
        };
        let s = data.stats();
        if [s.mx, s.my, s.vxx, s.vxy, s.vyy]
            .iter()
            .any(|v| !v.is_finite())
        {
            return Err(DataError::NotFinite(
                "the values are too large to square and sum".to_string(),
            ));
        }
        if s.vxx < f64::MIN_POSITIVE {
            return Err(DataError::NarrowX(s.vxx));
        }
        Ok(data)
    }

    /// The number of points.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether there are no points (never true for a checked data set).
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Means and centered second moments, in two passes for accuracy.
    pub fn stats(&self) -> Stats {
        let n = self.len() as f64;
        let mx = self.x.iter().sum::<f64>() / n;
        let my = self.y.iter().sum::<f64>() / n;
        let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
        for (x, y) in self.x.iter().zip(&self.y) {
            let (dx, dy) = (x - mx, y - my);
            sxx += dx * dx;
            sxy += dx * dy;
            syy += dy * dy;
        }
        Stats {
            n,
            mx,
            my,
            vxx: sxx / n,
            vxy: sxy / n,
            vyy: syy / n,
        }
    }

    /// The statistics of the points at `indices`, in one pass shifted by the first point
    /// (accurate when the batch's spread is small against its offset).
    pub fn stats_of(&self, indices: &[u32]) -> Stats {
        let Some(&first) = indices.first() else {
            return Stats::default();
        };
        let pairs = self
            .pairs
            .get_or_init(|| self.x.iter().zip(&self.y).map(|(x, y)| [*x, *y]).collect());
        let [kx, ky] = pairs[first as usize];
        let partial = |chunk: &[u32]| {
            let mut sums = [0.0f64; 5];
            for &i in chunk {
                let [x, y] = pairs[i as usize];
                let (dx, dy) = (x - kx, y - ky);
                sums[0] += dx;
                sums[1] += dy;
                sums[2] += dx * dx;
                sums[3] += dx * dy;
                sums[4] += dy * dy;
            }
            sums
        };
        // Large batches are summed in fixed chunks on every core and the chunks added in
        // order, so the result does not depend on the number of threads.
        let [sx, sy, sxx, sxy, syy] = if indices.len() >= PARALLEL_POINTS {
            indices
                .par_chunks(PARALLEL_POINTS / 4)
                .map(partial)
                .collect::<Vec<_>>()
                .into_iter()
                .fold([0.0; 5], |mut total, part| {
                    for (t, p) in total.iter_mut().zip(part) {
                        *t += p;
                    }
                    total
                })
        } else {
            partial(indices)
        };
        let n = indices.len() as f64;
        let (ax, ay) = (sx / n, sy / n);
        Stats {
            n,
            mx: kx + ax,
            my: ky + ay,
            vxx: (sxx / n - ax * ax).max(0.0),
            vxy: sxy / n - ax * ay,
            vyy: (syy / n - ay * ay).max(0.0),
        }
    }

    /// x rescaled to mean 0 and standard deviation 1; y unchanged. Refused when x varies
    /// too little against its mean for the rescaled values to mean anything.
    pub fn standardized(&self) -> Result<Self, DataError> {
        let s = self.stats();
        let sd = s.vxx.sqrt();
        let varies = sd > 1e-12 * s.mx.abs().max(f64::MIN_POSITIVE);
        if !varies || !sd.is_normal() {
            return Err(DataError::Spec(format!(
                "x varies too little to standardize: standard deviation {} around a mean of {}",
                super::format::human(sd),
                super::format::human(s.mx)
            )));
        }
        Dataset::new(
            self.x.iter().map(|x| (x - s.mx) / sd).collect(),
            self.y.clone(),
        )
    }

    /// The mean squared error of the line (w0, w1), summed point by point: the definition,
    /// which [`Stats`] computes in constant time.
    pub fn direct_loss(&self, w0: f64, w1: f64) -> f64 {
        let n = self.len() as f64;
        self.x
            .iter()
            .zip(&self.y)
            .map(|(x, y)| (w0 + w1 * x - y).powi(2))
            .sum::<f64>()
            / n
    }
}

/// Sufficient statistics of a data set: everything the loss, its gradient and its Hessian
/// need, in constant size.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stats {
    /// Number of points.
    pub n: f64,
    /// Mean of x.
    pub mx: f64,
    /// Mean of y.
    pub my: f64,
    /// Variance of x (divided by n).
    pub vxx: f64,
    /// Covariance of x and y (divided by n).
    pub vxy: f64,
    /// Variance of y (divided by n).
    pub vyy: f64,
}

impl Stats {
    /// The least-squares line (intercept, slope), if x varies.
    pub fn least_squares(&self) -> Option<[f64; 2]> {
        (self.vxx > 0.0).then(|| {
            let slope = self.vxy / self.vxx;
            [self.my - slope * self.mx, slope]
        })
    }
}

impl Surface for Stats {
    /// The mean squared error of y = w0 + w1 x:
    /// (1/n) sum (w0 + w1 x_i - y_i)^2 = (w0 + w1 mx - my)^2 + w1^2 vxx - 2 w1 vxy + vyy,
    /// written as a sum of squares, (w0 + w1 mx - my)^2 + vxx (w1 - b)^2 + r with the
    /// least-squares slope b = vxy / vxx and the residual r = vyy - vxy b >= 0, so that
    /// rounding never makes it negative near the minimum (the expanded form gave -2e-16).
    fn eval<D: Scalar>(&self, w0: D, w1: D) -> D {
        let mean = (w0 + w1 * self.mx - self.my).powi(2);
        if self.vxx > 0.0 {
            let slope = self.vxy / self.vxx;
            let residual = (self.vyy - self.vxy * slope).max(0.0);
            mean + (w1 - slope).powi(2) * self.vxx + residual
        } else {
            // x does not vary (a batch of one point): vxy is 0 too.
            mean + self.vyy
        }
    }
}

/// The mean squared error over (intercept, slope) of one data set (or one batch).
#[derive(Clone, Debug)]
pub struct LossObjective {
    stats: Stats,
    info: Arc<ObjectiveInfo>,
}

/// The parameter names of regression runs, as the CSV columns show them.
pub const PARAMETERS: [&str; 2] = ["intercept", "slope"];

fn loss_info(name: &str, view: Vec<Interval>, minima: Vec<Vec<f64>>) -> ObjectiveInfo {
    ObjectiveInfo {
        name: name.to_string(),
        formula: "(1/n) sum (w0 + w1 x_i - y_i)^2".to_string(),
        param_names: PARAMETERS.iter().map(|s| s.to_string()).collect(),
        view,
        minima,
        default_start: vec![0.0, 0.0],
        domain: "all real numbers".to_string(),
    }
}

impl LossObjective {
    /// The loss over all of `data`, with a view box around the start (0, 0) and the
    /// least-squares solution, which is its known minimum.
    pub fn new(data: &Dataset) -> Self {
        let stats = data.stats();
        let best = stats.least_squares().unwrap_or([0.0, 0.0]);
        let around = |c: f64| {
            let margin = 0.6 * c.abs() + 1.0;
            Interval::new(c.min(0.0) - margin, c.max(0.0) + margin)
        };
        let info = loss_info(
            "regression",
            vec![around(best[0]), around(best[1])],
            vec![best.to_vec()],
        );
        Self {
            stats,
            info: Arc::new(info),
        }
    }

    /// The loss of one batch: no view or minima of its own (it shares the run's).
    pub fn of_batch(stats: Stats) -> Self {
        static INFO: OnceLock<Arc<ObjectiveInfo>> = OnceLock::new();
        let info = INFO.get_or_init(|| {
            Arc::new(loss_info(
                "regression batch",
                vec![Interval::new(-1.0, 1.0); 2],
                Vec::new(),
            ))
        });
        Self {
            stats,
            info: info.clone(),
        }
    }

    /// The statistics the loss is computed from.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
}

impl Objective for LossObjective {
    fn info(&self) -> &ObjectiveInfo {
        &self.info
    }

    fn in_domain(&self, _p: &[f64]) -> bool {
        true
    }

    fn value(&self, p: &[f64]) -> f64 {
        self.stats.eval(p[0], p[1])
    }

    fn value_and_gradient(&self, p: &[f64], grad: &mut [f64]) -> f64 {
        surface_value_and_gradient(&self.stats, p, grad)
    }

    fn second_order(&self, p: &[f64]) -> SecondOrder {
        surface_second_order(&self.stats, p)
    }

    fn values_on_row(&self, xs: &[f64], y: f64, out: &mut [f64]) {
        for (o, &x) in out.iter_mut().zip(xs) {
            *o = self.stats.eval(x, y);
        }
    }
}

/// How a run samples its gradient: mini-batches of `size` points, reshuffled every epoch
/// with an RNG seeded from `seed` and the epoch, or taken in the data's own order when
/// `shuffle` is off (as seed 002's notebook does). `size` equal to n is batch descent, 1 is
/// stochastic descent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BatchSpec {
    /// Points per batch.
    pub size: usize,
    /// The shuffles' seed.
    pub seed: u64,
    /// Reshuffle every epoch (`true`) or visit the points in order.
    #[serde(default = "shuffled")]
    pub shuffle: bool,
}

fn shuffled() -> bool {
    true
}

impl BatchSpec {
    /// Mini-batches of `size` points, reshuffled every epoch from `seed`.
    pub fn shuffled(size: usize, seed: u64) -> Self {
        Self {
            size,
            seed,
            shuffle: true,
        }
    }

    /// Steps per epoch over `n` points: ceil(n / size), the last batch taking the rest.
    pub fn steps_per_epoch(&self, n: usize) -> usize {
        n.div_ceil(self.size.max(1))
    }

    /// The order in which epoch `epoch` visits `n` points: a seeded shuffle, or the
    /// points' own order.
    pub fn permutation(&self, n: usize, epoch: u64) -> Permutation {
        if self.shuffle {
            epoch_permutation(n, self.seed, epoch)
        } else {
            Permutation::identity(n)
        }
    }
}

/// A seeded pseudo-random permutation of 0..n, evaluated one position at a time: a
/// three-round Feistel network (a pseudo-random permutation, by Luby and Rackoff) on the
/// next power of four, cycle-walked into range. An epoch
/// visits every point exactly once without shuffling (or storing) an index array, so its
/// cost does not grow with n beyond the points it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Permutation {
    n: u64,
    half_bits: u32,
    mask: u64,
    keys: [u64; 3],
    shuffled: bool,
}

/// SplitMix64's finalizer: a fast, well-mixing bijection on u64.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Permutation {
    /// The permutation of 0..`n` for `seed`.
    pub fn new(n: usize, seed: u64) -> Self {
        let n = n.max(1) as u64;
        let bits = (64 - n.saturating_sub(1).leading_zeros()).max(2);
        let half_bits = bits.div_ceil(2);
        let mut state = seed;
        let keys = std::array::from_fn(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            mix(state)
        });
        Self {
            n,
            half_bits,
            mask: (1u64 << half_bits) - 1,
            keys,
            shuffled: true,
        }
    }

    /// The identity on 0..`n`: the points in their own order.
    pub fn identity(n: usize) -> Self {
        Self {
            shuffled: false,
            ..Self::new(n, 0)
        }
    }

    fn encrypt(&self, v: u64) -> u64 {
        let (mut left, mut right) = (v >> self.half_bits, v & self.mask);
        // Round function: one multiply, keeping the high bits, which depend on every bit of
        // the input; cheap enough to evaluate per point and per step.
        let shift = 64 - self.half_bits;
        for key in self.keys {
            let next = left ^ ((right ^ key).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift);
            left = right;
            right = next;
        }
        (left << self.half_bits) | right
    }

    /// The point visited at position `i` (< n).
    #[inline]
    pub fn at(&self, i: usize) -> usize {
        if !self.shuffled {
            return i;
        }
        let mut v = self.encrypt(i as u64);
        while v >= self.n {
            v = self.encrypt(v);
        }
        v as usize
    }
}

/// The permutation epoch `epoch` follows, depending only on `seed` and `epoch`, so any
/// step's batch can be found again without replaying the run.
pub fn epoch_permutation(n: usize, seed: u64, epoch: u64) -> Permutation {
    Permutation::new(n, mix(seed ^ mix(epoch.wrapping_add(1))))
}

/// The order in which epoch `epoch` visits `n` points.
pub fn epoch_order(n: usize, seed: u64, epoch: u64) -> Vec<u32> {
    let permutation = epoch_permutation(n, seed, epoch);
    (0..n).map(|i| permutation.at(i) as u32).collect()
}

/// The points of the batch used at step `step` (1-based) of a run with `spec` over `n`
/// points, one at a time (take what you need of a large batch).
pub fn batch_at(n: usize, spec: BatchSpec, step: usize) -> impl Iterator<Item = u32> {
    let size = spec.size.max(1);
    let per_epoch = spec.steps_per_epoch(n).max(1);
    let index = step.saturating_sub(1);
    let (epoch, k) = (index / per_epoch, index % per_epoch);
    let permutation = spec.permutation(n, epoch as u64);
    let start = (k * size).min(n);
    (start..(start + size).min(n)).map(move |i| permutation.at(i) as u32)
}

/// The batches of a run, one per step, in epochs: the [`GradientSource`] of mini-batch and
/// stochastic descent.
#[derive(Clone, Debug)]
pub struct Batches {
    data: Arc<Dataset>,
    spec: BatchSpec,
    permutation: Permutation,
    epoch: u64,
    position: usize,
    indices: Vec<u32>,
    current: LossObjective,
}

impl Batches {
    /// Batches over `data`, starting at epoch 0.
    pub fn new(data: Arc<Dataset>, spec: BatchSpec) -> Self {
        Self {
            permutation: spec.permutation(data.len(), 0),
            indices: Vec::with_capacity(spec.size.min(data.len())),
            data,
            spec,
            epoch: 0,
            position: 0,
            current: LossObjective::of_batch(Stats::default()),
        }
    }

    /// The loss of the next batch, moving to a new permutation at each new epoch.
    pub fn next_loss(&mut self) -> LossObjective {
        let n = self.data.len();
        if self.position >= n {
            self.epoch += 1;
            self.permutation = self.spec.permutation(n, self.epoch);
            self.position = 0;
        }
        let end = (self.position + self.spec.size.max(1)).min(n);
        self.indices.clear();
        let permutation = self.permutation;
        if end - self.position >= PARALLEL_POINTS {
            self.indices.par_extend(
                (self.position..end)
                    .into_par_iter()
                    .map(move |i| permutation.at(i) as u32),
            );
        } else {
            self.indices
                .extend((self.position..end).map(|i| permutation.at(i) as u32));
        }
        self.position = end;
        LossObjective::of_batch(self.data.stats_of(&self.indices))
    }

    /// The batch spec.
    pub fn spec(&self) -> BatchSpec {
        self.spec
    }

    /// The data set batches are drawn from.
    pub fn data(&self) -> &Arc<Dataset> {
        &self.data
    }
}

impl GradientSource for Batches {
    fn draw(&mut self, p: &[f64], gradient: &mut [f64]) -> f64 {
        self.current = self.next_loss();
        self.current.value_and_gradient(p, gradient)
    }

    fn drawn(&self) -> &dyn Objective {
        &self.current
    }

    fn clone_box(&self) -> Box<dyn GradientSource> {
        Box::new(self.clone())
    }

    fn restarted(&self) -> Box<dyn GradientSource> {
        Box::new(Self::new(self.data.clone(), self.spec))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// How to generate a data set: y = a + b x + N(0, sigma^2) at n points on [lo, hi].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DataSpec {
    /// Intercept of the true line.
    pub a: f64,
    /// Slope of the true line.
    pub b: f64,
    /// Standard deviation of the noise.
    pub sigma: f64,
    /// Number of points.
    pub n: usize,
    /// Smallest x.
    pub lo: f64,
    /// Largest x.
    pub hi: f64,
    /// Evenly spaced x (including both ends) rather than uniform random.
    pub even: bool,
    /// The RNG seed.
    pub seed: u64,
}

impl Default for DataSpec {
    fn default() -> Self {
        Self::seed001()
    }
}

impl DataSpec {
    /// Seed 000: 100 points, y = 1 + 2x + 20 N(0,1), x evenly spaced on [0, 100].
    pub fn seed000() -> Self {
        Self {
            a: 1.0,
            b: 2.0,
            sigma: 20.0,
            n: 100,
            lo: 0.0,
            hi: 100.0,
            even: true,
            seed: 0,
        }
    }

    /// Seed 001: 100 points, y = 4 + 3x + N(0,1), x = 2 U(0,1).
    pub fn seed001() -> Self {
        Self {
            a: 4.0,
            b: 3.0,
            sigma: 1.0,
            n: 100,
            lo: 0.0,
            hi: 2.0,
            even: false,
            seed: 0,
        }
    }

    /// Seed 002: y = 5 + 40x + N(0, 0.2^2) at x = -50, -49, ..., 49.
    pub fn seed002() -> Self {
        Self {
            a: 5.0,
            b: 40.0,
            sigma: 0.2,
            n: 100,
            lo: -50.0,
            hi: 49.0,
            even: true,
            seed: 0,
        }
    }

    /// The presets by name: `seed000`, `seed001`, `seed002`.
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "seed000" => Some(Self::seed000()),
            "seed001" => Some(Self::seed001()),
            "seed002" => Some(Self::seed002()),
            _ => None,
        }
    }

    /// The text [`Self::parse`] reads back: `a=4,b=3,sigma=1,n=100,lo=0,hi=2,seed=0,even=false`.
    pub fn to_text(&self) -> String {
        use super::format::exact;
        format!(
            "a={},b={},sigma={},n={},lo={},hi={},seed={},even={}",
            exact(self.a),
            exact(self.b),
            exact(self.sigma),
            self.n,
            exact(self.lo),
            exact(self.hi),
            self.seed,
            self.even
        )
    }

    /// Parses `a=4,b=3,sigma=1,n=100,lo=0,hi=2,seed=0[,even=true]`; keys left out keep
    /// seed 001's values.
    pub fn parse(text: &str) -> Result<Self, DataError> {
        let mut spec = Self::seed001();
        let mut seen: Vec<&str> = Vec::new();
        let parts = text.split(',').map(str::trim);
        for part in parts.filter(|_| !text.trim().is_empty()) {
            if part.is_empty() {
                return Err(DataError::Spec(format!(
                    "'{text}' has an empty item; write key=value items separated by single commas"
                )));
            }
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| DataError::Spec(format!("'{part}' is not key=value")))?;
            if seen.contains(&key.trim()) {
                return Err(DataError::Spec(format!("{} is given twice", key.trim())));
            }
            seen.push(key.trim());
            let number = || {
                let v = value
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| DataError::Spec(format!("{key}: '{value}' is not a number")))?;
                if super::format::underflows(value.trim(), v) {
                    return Err(DataError::Spec(format!(
                        "{key}: '{}' {}",
                        value.trim(),
                        super::format::UNDERFLOW
                    )));
                }
                if super::format::overflows(value.trim(), v) {
                    return Err(DataError::Spec(format!(
                        "{key}: '{}' is beyond the largest number (about 1.8e308)",
                        value.trim()
                    )));
                }
                Ok(v)
            };
            match key.trim() {
                "a" => spec.a = number()?,
                "b" => spec.b = number()?,
                "sigma" => spec.sigma = number()?,
                "lo" => spec.lo = number()?,
                "hi" => spec.hi = number()?,
                "n" => {
                    spec.n = value.trim().parse().map_err(|_| {
                        DataError::Spec(format!(
                            "n: '{value}' is not a whole number from 2 to {MAX_POINTS}"
                        ))
                    })?
                }
                "seed" => {
                    spec.seed = value.trim().parse().map_err(|_| {
                        DataError::Spec(format!("seed: '{value}' is not a whole number >= 0"))
                    })?
                }
                "even" => {
                    spec.even = match value.trim() {
                        "true" | "1" | "yes" => true,
                        "false" | "0" | "no" => false,
                        other => {
                            return Err(DataError::Spec(format!(
                                "even: '{other}' is not one of true, false, yes, no, 1, 0"
                            )));
                        }
                    }
                }
                other => {
                    return Err(DataError::Spec(format!(
                        "unknown key '{other}'; keys: a, b, sigma, n, lo, hi, even, seed"
                    )));
                }
            }
        }
        spec.validate()?;
        Ok(spec)
    }

    /// Checks the ranges: finite numbers, sigma >= 0, lo < hi, 2 <= n <= [`MAX_POINTS`].
    pub fn validate(&self) -> Result<(), DataError> {
        for (name, v) in [
            ("a", self.a),
            ("b", self.b),
            ("sigma", self.sigma),
            ("lo", self.lo),
            ("hi", self.hi),
        ] {
            if !v.is_finite() {
                return Err(DataError::Spec(format!(
                    "{name} must be finite, got {}",
                    human(v)
                )));
            }
        }
        if self.sigma < 0.0 {
            return Err(DataError::Spec(format!(
                "sigma must be >= 0, got {}",
                human(self.sigma)
            )));
        }
        if !(self.hi - self.lo).is_finite() {
            return Err(DataError::Spec(format!(
                "hi - lo must be finite, got lo={} hi={}",
                human(self.lo),
                human(self.hi)
            )));
        }
        if self.lo >= self.hi {
            return Err(DataError::Spec(format!(
                "lo must be below hi, got lo={} hi={}",
                human(self.lo),
                human(self.hi)
            )));
        }
        if self.n < 2 {
            return Err(DataError::TooFew(self.n));
        }
        if self.n > MAX_POINTS {
            return Err(DataError::TooMany(self.n));
        }
        Ok(())
    }

    /// Draws the data set; the same spec always gives the same points.
    pub fn generate(&self) -> Result<Dataset, DataError> {
        self.validate()?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed);
        let x: Vec<f64> = if self.even {
            let step = (self.hi - self.lo) / (self.n - 1) as f64;
            (0..self.n).map(|i| self.lo + step * i as f64).collect()
        } else {
            let uniform =
                Uniform::new(self.lo, self.hi).map_err(|e| DataError::Spec(e.to_string()))?;
            (0..self.n).map(|_| uniform.sample(&mut rng)).collect()
        };
        let noise = Normal::new(0.0, self.sigma).map_err(|e| DataError::Spec(e.to_string()))?;
        let y = x
            .iter()
            .map(|x| self.a + self.b * x + noise.sample(&mut rng))
            .collect();
        Dataset::new(x, y)
    }
}

/// The largest data file read: checked before reading when the size is known, and while
/// reading otherwise (pipes, devices).
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// The longest line a data file may have: two numbers never need more.
pub const MAX_LINE_BYTES: usize = 4096;

/// Reads two numeric columns from a file (see [`read_csv`]), refusing files that are too
/// large, binary, or have absurdly long lines before holding much of them in memory.
pub fn read_csv_file(path: &std::path::Path) -> Result<Dataset, DataError> {
    let file = open_data_file(path)?;
    // Errors about the file as a whole name it; those about a row are named by the caller.
    read_csv(std::io::BufReader::new(file)).map_err(|e| match e {
        DataError::File(message) => DataError::File(format!("{}: {message}", path.display())),
        other => other,
    })
}

/// Opens a data file, refusing a missing file (naming the folder a relative path is read
/// from), a directory and a file over [`MAX_FILE_BYTES`]: the checks that need no reading.
pub fn open_data_file(path: &std::path::Path) -> Result<std::fs::File, DataError> {
    let file = std::fs::File::open(path).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            // A relative path is read from the folder descent started in: say which.
            let folder = match std::env::current_dir() {
                Ok(dir) if path.is_relative() => format!(", looked for in {}", dir.display()),
                _ => String::new(),
            };
            // `seed01`, `Seed001`: a preset's name, mistyped.
            let typed = path.to_string_lossy();
            let seeds = ["seed000", "seed001", "seed002"];
            match crate::engine::format::nearest(&typed, &seeds) {
                Some(seed) if !typed.contains(['/', '\\', '.']) => format!(
                    "; did you mean the preset {seed}? (data: FILE.csv, gen:a=..,b=.., points:x,y;x,y or seed000, seed001, seed002{folder})"
                ),
                _ => format!(
                    " (data: FILE.csv, gen:a=..,b=.., points:x,y;x,y or seed000, seed001, seed002{folder})"
                ),
            }
        } else {
            String::new()
        };
        DataError::File(format!("cannot read '{}': {e}{hint}", path.display()))
    })?;
    if let Ok(meta) = file.metadata() {
        if meta.is_dir() {
            return Err(DataError::File(format!(
                "'{}' is a directory, not a data file",
                path.display()
            )));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(DataError::File(format!(
                "'{}' has {} bytes; data files may have at most {} MB",
                path.display(),
                meta.len(),
                MAX_FILE_BYTES / (1024 * 1024)
            )));
        }
    }
    Ok(file)
}

/// Reads two numeric columns from CSV text (see [`read_csv`]).
pub fn parse_csv(text: &str) -> Result<Dataset, DataError> {
    read_csv(text.as_bytes())
}

/// Reads two numeric columns with the `csv` crate: quoted fields, a UTF-8 byte-order mark,
/// CRLF, LF or CR line ends, `#` comment lines. The separator (comma, semicolon, tab or
/// spaces) is found from the first data row; an optional header row holds two names. A bad
/// row is an error naming its line and column; size, row count and line length are
/// checked while reading.
pub fn read_csv(reader: impl std::io::Read) -> Result<Dataset, DataError> {
    let mut limited = Limited {
        inner: reader,
        total: 0,
        line: 0,
        quotes: Quotes::new(),
    };
    // The first lines decide the separator; they are read again by the CSV reader.
    let mut head = Vec::new();
    let mut buf = [0u8; 8192];
    while head.len() < 64 * 1024 && count_lines(&head) < 8 {
        let n = std::io::Read::read(&mut limited, &mut buf).map_err(io_error)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text_head = String::from_utf8_lossy(&head);
    let text_head = text_head.strip_prefix('\u{feff}').unwrap_or(&text_head);
    let separator = detect_separator(text_head);
    let bom = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let chained = std::io::Read::chain(std::io::Cursor::new(head[bom..].to_vec()), limited);
    let mut csv_reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .delimiter(separator.unwrap_or(b' '))
        .from_reader(chained);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    let mut record = csv::StringRecord::new();
    let mut first = true;
    loop {
        let read = csv_reader.read_record(&mut record);
        let mut next_line = || {
            let quotes = &mut csv_reader.get_mut().get_mut().1.quotes;
            quotes.next_record()
        };
        let more = read.map_err(|e| match e.kind() {
            csv::ErrorKind::Io(io) => io_error(std::io::Error::new(io.kind(), io.to_string())),
            csv::ErrorKind::Utf8 { err, .. } => DataError::File(format!(
                "line {}, column {}: not UTF-8 text; save the file as UTF-8 (or plain ASCII)",
                next_line().map_or(0, |s| s.line),
                err.field() + 1
            )),
            _ => DataError::File(e.to_string()),
        })?;
        if !more {
            break;
        }
        let start = next_line();
        let line = start.map_or(0, |s| s.line);
        let fields: Vec<&str> = record
            .iter()
            .filter(|f| separator.is_some() || !f.is_empty())
            .collect();
        // A comment indented by blanks (the csv crate knows only `#` at a line's start).
        if fields.first().is_some_and(|f| f.starts_with('#')) {
            continue;
        }
        if fields.iter().all(|f| f.is_empty()) {
            // A blank line is skipped; a row of empty fields (`,` or `""`) is a point left out.
            if fields.len() <= 1 && !start.is_some_and(|s| s.only_empty_quotes) {
                continue;
            }
            return Err(blame_quote(
                &csv_reader,
                DataError::Row {
                    line,
                    column: 1,
                    reason: "the row's fields are empty: fill in x and y, or remove the row"
                        .to_string(),
                },
            ));
        }
        let numbers: Vec<Option<f64>> = fields.iter().map(|f| f.parse::<f64>().ok()).collect();
        // A header: names only, one or two of them (written with any separator).
        if std::mem::take(&mut first) && numbers.iter().all(Option::is_none) && fields.len() <= 2 {
            continue;
        }
        if fields.len() != 2 {
            return Err(blame_quote(
                &csv_reader,
                DataError::Row {
                    line,
                    column: fields.len().min(2) + 1,
                    reason: format!(
                        "expected 2 columns (x, y), found {}{}",
                        fields.len(),
                        if separator == Some(b',') && fields.len() == 4 {
                            " (decimal commas? write decimals with a point, or separate the columns with ;)"
                        } else {
                            ""
                        }
                    ),
                },
            ));
        }
        let mut row = [0.0; 2];
        for (column, (field, number)) in fields.iter().zip(&numbers).enumerate() {
            let value = number.ok_or_else(|| {
                blame_quote(
                    &csv_reader,
                    DataError::Row {
                        line,
                        column: column + 1,
                        reason: if field.replace(',', ".").parse::<f64>().is_ok() {
                            format!(
                                "'{}' is not a number: write decimals with a point ({})",
                                shorten(field),
                                shorten(&field.replace(',', "."))
                            )
                        } else {
                            format!(
                                "'{}' is not a number{}",
                                shorten(field),
                                super::format::typing_hint(field)
                            )
                        },
                    },
                )
            })?;
            if !value.is_finite() {
                return Err(blame_quote(
                    &csv_reader,
                    DataError::Row {
                        line,
                        column: column + 1,
                        reason: format!("'{}' is not a finite number", shorten(field)),
                    },
                ));
            }
            if super::format::underflows(field, value) {
                return Err(DataError::Row {
                    line,
                    column: column + 1,
                    reason: format!("'{}' {}", shorten(field), super::format::UNDERFLOW),
                });
            }
            row[column] = value;
        }
        if x.len() == MAX_POINTS {
            return Err(DataError::TooMany(MAX_POINTS + 1));
        }
        x.push(row[0]);
        y.push(row[1]);
    }
    let (_, limited) = csv_reader.into_inner().into_inner();
    if let Some(line) = limited.quotes.open_since {
        return Err(DataError::File(format!(
            "line {line}: a quote (\") opens there and is never closed; close it or remove it"
        )));
    }
    Dataset::new(x, y)
}

/// A row's error, or the quote left open at or before its line when there is one (a quote
/// never closed swallows the lines after it, and the row then looks short).
fn blame_quote<R: std::io::Read>(
    reader: &csv::Reader<std::io::Chain<std::io::Cursor<Vec<u8>>, Limited<R>>>,
    error: DataError,
) -> DataError {
    match (error, reader.get_ref().get_ref().1.quotes.open_since) {
        (DataError::Row { line, .. }, Some(open)) if open <= line => DataError::File(format!(
            "line {open}: a quote (\") opens there and is never closed; close it or remove it"
        )),
        (error, _) => error,
    }
}

/// A field cut to a length that fits in one message line.
/// A field as it can be quoted in a one-line message: at most 40 characters, with line
/// breaks and other control characters escaped (a quoted field may hold them).
fn shorten(field: &str) -> String {
    let shown = super::format::one_line(&field.chars().take(40).collect::<String>());
    if field.chars().count() > 40 {
        format!("{shown}…")
    } else {
        shown
    }
}

fn count_lines(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .filter(|b| **b == b'\n' || **b == b'\r')
        .count()
}

fn io_error(e: std::io::Error) -> DataError {
    DataError::File(e.to_string())
}

/// The separator that splits the first data row into two numbers: the first line of the
/// head that is not a comment and is data (the lines before it are a header, perhaps with a
/// quoted line break). `None` means runs of spaces.
fn detect_separator(head: &str) -> Option<u8> {
    let lines: Vec<&str> = head
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let candidates: [Option<u8>; 4] = [Some(b','), Some(b';'), Some(b'\t'), None];
    let splits_into_numbers = |line: &str, sep: Option<u8>| {
        let fields: Vec<&str> = match sep {
            Some(c) => line.split(c as char).map(str::trim).collect(),
            None => line.split_whitespace().collect(),
        };
        fields.len() == 2
            && fields
                .iter()
                .all(|f| f.trim_matches('"').parse::<f64>().is_ok())
    };
    for line in &lines {
        if let Some(sep) = candidates
            .iter()
            .find(|sep| splits_into_numbers(line, **sep))
        {
            return *sep;
        }
    }
    // `1,5;2,3`: semicolons between numbers written with decimal commas, as European
    // spreadsheets save them. Read with ';' the rows are told to write decimals with a point.
    let decimal_commas = |line: &&str| {
        let fields: Vec<String> = line
            .split(';')
            .map(|f| f.trim().trim_matches('"').replace(',', "."))
            .collect();
        fields.len() == 2 && fields.iter().all(|f| f.parse::<f64>().is_ok())
    };
    if lines.iter().any(decimal_commas) {
        return Some(b';');
    }
    // No data row to learn from: the separator the first line contains, else spaces.
    let first = lines.first().copied().unwrap_or("");
    [b',', b';', b'\t']
        .into_iter()
        .find(|c| first.contains(*c as char))
}

/// A reader that refuses more than [`MAX_FILE_BYTES`], NUL bytes and lines longer than
/// [`MAX_LINE_BYTES`], as the bytes arrive.
struct Limited<R> {
    inner: R,
    total: u64,
    line: usize,
    quotes: Quotes,
}

/// Follows CSV text byte by byte, as the `csv` crate reads it: whether the text ends inside
/// a quoted field (the crate takes the rest of the file into that field without a word), and
/// the line each record starts on. The crate's own line count skips blank lines and counts a
/// lone CR as nothing, and its record position lies before the blank and comment lines that
/// precede a record, so a message would name the wrong line.
#[derive(Clone, Debug, Default)]
struct Quotes {
    /// The 1-based line being read.
    line: usize,
    /// Bytes seen so far.
    seen: u64,
    /// Bytes of a UTF-8 byte-order mark seen at the start (3 once the start is past).
    mark: u8,
    /// The line of the quote still open, if one is.
    open_since: Option<usize>,
    /// Inside a `#` comment line.
    comment: bool,
    /// At the first byte of a line.
    line_start: bool,
    /// The last byte was a CR (so an LF after it ends no other line).
    after_cr: bool,
    /// The line so far holds only quotes and blanks.
    bare: bool,
    /// The line so far holds a quote.
    quoted: bool,
    /// The records seen ahead of the reader, in order: one per line that starts outside a
    /// quote and is neither empty nor a comment, as the `csv` crate reads them. Bounded by
    /// the lines in the reader's read-ahead.
    records: std::collections::VecDeque<RecordStart>,
}

/// Where a record starts, and whether its line held nothing but empty quoted fields (`""`,
/// which the `csv` crate reads as a blank line).
#[derive(Clone, Copy, Debug)]
struct RecordStart {
    line: usize,
    only_empty_quotes: bool,
}

impl Quotes {
    fn new() -> Self {
        Self {
            line: 1,
            line_start: true,
            ..Self::default()
        }
    }

    fn feed(&mut self, b: u8) {
        self.seen += 1;
        // A UTF-8 byte-order mark is not part of the first line.
        const MARK: [u8; 3] = [0xEF, 0xBB, 0xBF];
        if self.seen <= 3 && u64::from(self.mark) + 1 == self.seen && b == MARK[self.mark as usize]
        {
            self.mark += 1;
            return;
        }
        if (1..3).contains(&self.mark) {
            // Not a mark after all: the bytes held back began the first line.
            self.mark = 3;
            self.line_start = false;
            self.open_record();
        }
        let line_end = b == b'\n' || b == b'\r';
        if self.line_start && !line_end && b != b'#' {
            self.open_record();
        }
        if line_end {
            self.close_record();
        } else if b == b'"' {
            self.quoted = true;
        } else if !b.is_ascii_whitespace() {
            self.bare = false;
        }
        if line_end && !(b == b'\n' && self.after_cr) {
            self.line += 1;
        }
        self.after_cr = b == b'\r';
        if self.comment {
            self.comment = !line_end;
            self.line_start = line_end;
            return;
        }
        if self.open_since.is_none() && self.line_start && b == b'#' {
            self.comment = true;
        } else if b == b'"' {
            self.open_since = match self.open_since {
                Some(_) => None,
                None => Some(self.line),
            };
        }
        self.line_start = line_end && self.open_since.is_none();
    }

    /// A record starts on the line being read.
    fn open_record(&mut self) {
        (self.bare, self.quoted) = (true, false);
        self.records.push_back(RecordStart {
            line: self.line,
            only_empty_quotes: false,
        });
    }

    /// The line being read ends; outside a quote, so does its record.
    fn close_record(&mut self) {
        if self.only_empty_quotes_so_far()
            && let Some(last) = self.records.back_mut()
        {
            last.only_empty_quotes = last.line == self.line;
        }
        self.bare = false;
    }

    /// The start of the record the reader took next (called once per record, in order).
    fn next_record(&mut self) -> Option<RecordStart> {
        let mut next = self.records.pop_front()?;
        // The last line may end the file without a line end.
        if next.line == self.line && self.only_empty_quotes_so_far() {
            next.only_empty_quotes = true;
        }
        Some(next)
    }

    /// Whether the line being read holds quotes, every one closed, and nothing else.
    fn only_empty_quotes_so_far(&self) -> bool {
        self.open_since.is_none() && self.bare && self.quoted
    }
}

impl<R: std::io::Read> std::io::Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total += n as u64;
        if self.total > MAX_FILE_BYTES {
            return Err(std::io::Error::other(format!(
                "the data is larger than {} MB",
                MAX_FILE_BYTES / (1024 * 1024)
            )));
        }
        // Excel's "Unicode text" and some editors write UTF-16, two bytes a character.
        if self.total == n as u64
            && (buf[..n].starts_with(&[0xFF, 0xFE]) || buf[..n].starts_with(&[0xFE, 0xFF]))
        {
            return Err(std::io::Error::other(
                "the file is UTF-16 text (it starts with UTF-16's byte-order mark): save it as UTF-8 CSV",
            ));
        }
        for byte in &mut buf[..n] {
            let b = *byte;
            self.quotes.feed(b);
            // The csv crate ends a comment line only at LF, so a file of CR line ends lost
            // every row after a `#` line: each CR is handed on as LF (CRLF becomes a blank
            // line, which is skipped; the lines are counted from the bytes as written).
            if b == b'\r' {
                *byte = b'\n';
            }
            match b {
                0 => {
                    return Err(std::io::Error::other(
                        "the file holds NUL bytes: it is binary (or UTF-16) rather than CSV text; save it as UTF-8 CSV",
                    ));
                }
                b'\n' | b'\r' => self.line = 0,
                _ => {
                    self.line += 1;
                    if self.line > MAX_LINE_BYTES {
                        return Err(std::io::Error::other(format!(
                            "line {}: a line is longer than {MAX_LINE_BYTES} bytes: this is not a file of x,y rows",
                            self.quotes.line
                        )));
                    }
                }
            }
        }
        Ok(n)
    }
}
