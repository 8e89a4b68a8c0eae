//! Fitting a line y = w0 + w1 x by least squares: data (generated, preset or CSV),
//! sufficient statistics, the mean squared error as an [`Objective`] over (intercept, slope),
//! and the seeded shuffles of mini-batch and stochastic descent.

use std::sync::{Arc, OnceLock};

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, Normal, Uniform};

use super::objective::{Interval, Objective, ObjectiveInfo, SecondOrder};
use super::presets::{Scalar, Surface, surface_second_order, surface_value_and_gradient};

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
    #[error("a line needs at least 2 points, got {0}")]
    TooFew(usize),
    /// Too many points.
    #[error("at most {MAX_POINTS} points, got {0}")]
    TooMany(usize),
    /// A value, or a sum the loss needs, is not a finite number.
    #[error("not finite: {0}")]
    NotFinite(String),
    /// Every x is the same, so the slope is undetermined.
    #[error("all x values are equal ({0}), so no slope can be fitted")]
    ConstantX(f64),
    /// A generator setting is wrong.
    #[error("{0}")]
    Spec(String),
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
                x[i],
                y[i]
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
        let (mut sx, mut sy, mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for &i in indices {
            let [x, y] = pairs[i as usize];
            let (dx, dy) = (x - kx, y - ky);
            sx += dx;
            sy += dy;
            sxx += dx * dx;
            sxy += dx * dy;
            syy += dy * dy;
        }
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

    /// x rescaled to mean 0 and standard deviation 1; y unchanged.
    pub fn standardized(&self) -> Self {
        let s = self.stats();
        let sd = s.vxx.sqrt();
        Self {
            x: self.x.iter().map(|x| (x - s.mx) / sd).collect(),
            y: self.y.clone(),
            pairs: OnceLock::new(),
        }
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
    /// (1/n) sum (w0 + w1 x_i - y_i)^2 = (w0 + w1 mx - my)^2 + w1^2 vxx - 2 w1 vxy + vyy.
    fn eval<D: Scalar>(&self, w0: D, w1: D) -> D {
        (w0 + w1 * self.mx - self.my).powi(2) + w1 * w1 * self.vxx - w1 * (2.0 * self.vxy)
            + self.vyy
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
/// with an RNG seeded from `seed` and the epoch. `size` equal to n is batch descent, 1 is
/// stochastic descent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BatchSpec {
    /// Points per batch.
    pub size: usize,
    /// The shuffles' seed.
    pub seed: u64,
}

impl BatchSpec {
    /// Steps per epoch over `n` points: ceil(n / size), the last batch taking the rest.
    pub fn steps_per_epoch(&self, n: usize) -> usize {
        n.div_ceil(self.size.max(1))
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
    let permutation = epoch_permutation(n, spec.seed, epoch as u64);
    let start = (k * size).min(n);
    (start..(start + size).min(n)).map(move |i| permutation.at(i) as u32)
}

/// The batches of a run, one per step, in epochs.
#[derive(Clone, Debug)]
pub struct Batches {
    data: Arc<Dataset>,
    spec: BatchSpec,
    permutation: Permutation,
    epoch: u64,
    position: usize,
    indices: Vec<u32>,
}

impl Batches {
    /// Batches over `data`, starting at epoch 0.
    pub fn new(data: Arc<Dataset>, spec: BatchSpec) -> Self {
        Self {
            permutation: epoch_permutation(data.len(), spec.seed, 0),
            indices: Vec::with_capacity(spec.size),
            data,
            spec,
            epoch: 0,
            position: 0,
        }
    }

    /// The loss of the next batch, moving to a new permutation at each new epoch.
    pub fn next_loss(&mut self) -> LossObjective {
        let n = self.data.len();
        if self.position >= n {
            self.epoch += 1;
            self.permutation = epoch_permutation(n, self.spec.seed, self.epoch);
            self.position = 0;
        }
        let end = (self.position + self.spec.size.max(1)).min(n);
        self.indices.clear();
        self.indices
            .extend((self.position..end).map(|i| self.permutation.at(i) as u32));
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

    /// Parses `a=4,b=3,sigma=1,n=100,lo=0,hi=2,seed=0[,even=true]`; keys left out keep
    /// seed 001's values.
    pub fn parse(text: &str) -> Result<Self, DataError> {
        let mut spec = Self::seed001();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| DataError::Spec(format!("'{part}' is not key=value")))?;
            let number = || {
                value
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| DataError::Spec(format!("{key}: '{value}' is not a number")))
            };
            match key.trim() {
                "a" => spec.a = number()?,
                "b" => spec.b = number()?,
                "sigma" => spec.sigma = number()?,
                "lo" => spec.lo = number()?,
                "hi" => spec.hi = number()?,
                "n" => {
                    spec.n = value.trim().parse().map_err(|_| {
                        DataError::Spec(format!("n: '{value}' is not a whole number"))
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
                                "even: '{other}' is not true or false"
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
                return Err(DataError::Spec(format!("{name} must be finite, got {v}")));
            }
        }
        if self.sigma < 0.0 {
            return Err(DataError::Spec(format!(
                "sigma must be >= 0, got {}",
                self.sigma
            )));
        }
        if !(self.hi - self.lo).is_finite() {
            return Err(DataError::Spec(format!(
                "hi - lo must be finite, got lo={} hi={}",
                self.lo, self.hi
            )));
        }
        if self.lo >= self.hi {
            return Err(DataError::Spec(format!(
                "lo must be below hi, got lo={} hi={}",
                self.lo, self.hi
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

/// Reads two numeric columns: header optional, separator (comma, semicolon, tab or spaces)
/// detected from the first data line. A bad row is an error naming its line and column.
pub fn parse_csv(text: &str) -> Result<Dataset, DataError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let Some(&(_, first)) = lines.first() else {
        return Err(DataError::TooFew(0));
    };
    let separator = [',', ';', '\t'].into_iter().find(|c| first.contains(*c));
    let split = |line: &str| -> Vec<String> {
        match separator {
            Some(c) => line.split(c).map(|s| s.trim().to_string()).collect(),
            None => line.split_whitespace().map(str::to_string).collect(),
        }
    };
    let parses = |fields: &[String]| fields.iter().all(|f| f.parse::<f64>().is_ok());
    // A first line that is not numbers is a header.
    let skip = usize::from(!parses(&split(first)));
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for &(line, text) in &lines[skip..] {
        let fields = split(text);
        if fields.len() != 2 {
            return Err(DataError::Row {
                line,
                column: fields.len().min(2) + 1,
                reason: format!("expected 2 columns, found {}", fields.len()),
            });
        }
        let mut row = [0.0; 2];
        for (column, field) in fields.iter().enumerate() {
            let value: f64 = field.parse().map_err(|_| DataError::Row {
                line,
                column: column + 1,
                reason: format!("'{field}' is not a number"),
            })?;
            if !value.is_finite() {
                return Err(DataError::Row {
                    line,
                    column: column + 1,
                    reason: format!("'{field}' is not a finite number"),
                });
            }
            row[column] = value;
        }
        x.push(row[0]);
        y.push(row[1]);
    }
    Dataset::new(x, y)
}
