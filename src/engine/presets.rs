//! The preset objectives, each written once, generically over the number type, and
//! differentiated by forward-mode automatic differentiation (num-dual).

use std::f64::consts::PI;
use std::marker::PhantomData;
use std::sync::Arc;

use nalgebra::{DMatrix, DVector};
use num_dual::{Dual2_64, Dual64, DualNum, first_derivative, second_derivative};

use serde::{Deserialize, Serialize};

use super::ad::{
    Real, Scalar, Surface, curve_second_order, curve_value_and_slope, surface_second_order,
    surface_value_and_gradient,
};
use super::error::EngineError;
use super::lanes::{self, Descents, Landing};
use super::objective::{Interval, Objective, ObjectiveInfo, SecondOrder};

/// The largest dimension `sum-squares` accepts.
pub const MAX_DIM: usize = 1000;

/// The largest dimension the window shows `sum-squares` in: the contour view and the
/// surface are a slice through x1 and x2, and every coordinate has its field.
pub const MAX_WINDOW_DIM: usize = 3;

/// The dimension of `sum-squares` when none is given.
pub const DEFAULT_DIM: usize = 3;

/// The preset functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PresetKind {
    /// (x-1)^2 + (y-2)^2, seed 000's bowl.
    Bowl,
    /// The course lab's sauna temperature.
    Sauna,
    /// Three wells of different depth.
    ThreeWells,
    /// e^x - ln x.
    ExpLog,
    /// (e^x - ln x) sin(2 pi x).
    Wavy,
    /// x1^2 + ... + xn^2.
    SumSquares,
    /// Rosenbrock's banana valley.
    Rosenbrock,
    /// Himmelblau's four minima.
    Himmelblau,
    /// Beale's plateaus.
    Beale,
    /// Rastrigin's grid of local minima.
    Rastrigin,
    /// x^2 - y^2.
    Saddle,
    /// An ill-conditioned valley.
    Ravine,
}

impl PresetKind {
    /// Every preset, in the order they are listed.
    pub const ALL: [PresetKind; 12] = [
        Self::Bowl,
        Self::Sauna,
        Self::ThreeWells,
        Self::ExpLog,
        Self::Wavy,
        Self::SumSquares,
        Self::Rosenbrock,
        Self::Himmelblau,
        Self::Beale,
        Self::Rastrigin,
        Self::Saddle,
        Self::Ravine,
    ];

    /// The command-line name, e.g. `three-wells`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bowl => Bowl::NAME,
            Self::Sauna => Sauna::NAME,
            Self::ThreeWells => ThreeWells::NAME,
            Self::ExpLog => ExpLog::NAME,
            Self::Wavy => Wavy::NAME,
            Self::SumSquares => "sum-squares",
            Self::Rosenbrock => Rosenbrock::NAME,
            Self::Himmelblau => Himmelblau::NAME,
            Self::Beale => Beale::NAME,
            Self::Rastrigin => Rastrigin::NAME,
            Self::Saddle => Saddle::NAME,
            Self::Ravine => Ravine::NAME,
        }
    }

    /// The preset with command-line name `name`.
    pub fn from_name(name: &str) -> Result<Self, EngineError> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| EngineError::UnknownFunction {
                name: name.to_string(),
                hint: super::format::nearest(name, &PRESET_NAMES)
                    .map(|n| format!(" (did you mean '{n}'?)"))
                    .unwrap_or_default(),
                valid: PRESET_NAMES.join(", "),
            })
    }

    /// Whether the preset takes a dimension (`sum-squares`).
    pub fn has_dim(self) -> bool {
        self == Self::SumSquares
    }

    /// The number of parameters with `dim` given (sum-squares only).
    pub fn dim(self, dim: Option<usize>) -> usize {
        match self {
            Self::SumSquares => dim.unwrap_or(DEFAULT_DIM),
            Self::ExpLog | Self::Wavy => 1,
            _ => 2,
        }
    }

    /// Whether a linear color scale hides the preset's valleys.
    pub fn prefers_log_color(self) -> bool {
        matches!(self, Self::Rosenbrock | Self::Beale | Self::Himmelblau)
    }

    /// Builds the objective; `dim` is for `sum-squares` only (default 3).
    pub fn objective(self, dim: Option<usize>) -> Result<Arc<dyn Objective>, EngineError> {
        if dim.is_some() && !self.has_dim() {
            return Err(EngineError::DimNotApplicable(self.name().to_string()));
        }
        Ok(match self {
            Self::Bowl => Preset::<Bowl>::arc(),
            Self::Sauna => Preset::<Sauna>::arc(),
            Self::ThreeWells => Preset::<ThreeWells>::arc(),
            Self::ExpLog => Preset::<ExpLog>::arc(),
            Self::Wavy => Preset::<Wavy>::arc(),
            Self::SumSquares => Arc::new(SumSquares::new(dim.unwrap_or(DEFAULT_DIM))?),
            Self::Rosenbrock => Preset::<Rosenbrock>::arc(),
            Self::Himmelblau => Preset::<Himmelblau>::arc(),
            Self::Beale => Preset::<Beale>::arc(),
            Self::Rastrigin => Preset::<Rastrigin>::arc(),
            Self::Saddle => Preset::<Saddle>::arc(),
            Self::Ravine => Preset::<Ravine>::arc(),
        })
    }
}

/// The command-line names of all presets, in the order they are listed.
pub const PRESET_NAMES: [&str; 12] = [
    "bowl",
    "sauna",
    "three-wells",
    "exp-log",
    "wavy",
    "sum-squares",
    "rosenbrock",
    "himmelblau",
    "beale",
    "rastrigin",
    "saddle",
    "ravine",
];

/// The preset called `name`; `dim` is used by `sum-squares` only (default 3).
pub fn preset(name: &str, dim: Option<usize>) -> Result<Arc<dyn Objective>, EngineError> {
    PresetKind::from_name(name)?.objective(dim)
}

/// A closed-form function of one or two variables, written once for every number type.
pub trait Formula: Send + Sync + std::fmt::Debug + 'static {
    /// The command-line name.
    const NAME: &'static str;
    /// The formula for display.
    const FORMULA: &'static str;
    /// 1 for a curve f(x), 2 for a surface f(x, y).
    const DIM: usize;
    /// The default view box, one interval per parameter.
    const VIEW: &'static [Interval];
    /// Approximate minima, polished to machine precision by Newton's method on construction.
    const MINIMA: &'static [[f64; 2]];
    /// The default start of a run.
    const START: [f64; 2];
    /// The domain in words.
    const DOMAIN: &'static str = "all real numbers";

    /// f(x, y); 1-D formulas ignore `y`.
    fn eval<D: Real>(x: D, y: D) -> D;

    /// Whether (x, y) lies in the domain; 1-D formulas ignore `y`.
    fn in_domain(_x: f64, _y: f64) -> bool {
        true
    }
}

/// An [`Objective`] made from a [`Formula`].
#[derive(Debug)]
pub struct Preset<F> {
    info: ObjectiveInfo,
    formula: PhantomData<F>,
}

impl<F: Formula> Preset<F> {
    /// Builds the preset, polishing its known minima.
    pub fn new() -> Self {
        let param_names: Vec<String> = ["x", "y"][..F::DIM].iter().map(|s| s.to_string()).collect();
        let mut preset = Self {
            info: ObjectiveInfo {
                name: F::NAME.to_string(),
                formula: F::FORMULA.to_string(),
                param_names,
                view: F::VIEW.to_vec(),
                minima: Vec::new(),
                default_start: F::START[..F::DIM].to_vec(),
                domain: F::DOMAIN.to_string(),
            },
            formula: PhantomData,
        };
        preset.info.minima = F::MINIMA
            .iter()
            .map(|m| polish_minimum(&preset, &m[..F::DIM]))
            .collect();
        preset
    }

    fn arc() -> Arc<dyn Objective> {
        Arc::new(Self::new())
    }
}

impl<F: Formula> Default for Preset<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: Formula> Objective for Preset<F> {
    fn info(&self) -> &ObjectiveInfo {
        &self.info
    }

    fn in_domain(&self, p: &[f64]) -> bool {
        F::in_domain(p[0], p.get(1).copied().unwrap_or(0.0))
    }

    fn value(&self, p: &[f64]) -> f64 {
        F::eval(p[0], p.get(1).copied().unwrap_or(0.0))
    }

    fn value_and_gradient(&self, p: &[f64], grad: &mut [f64]) -> f64 {
        if F::DIM == 1 {
            let (value, slope) = curve_value_and_slope(self, p[0]);
            grad[0] = slope;
            value
        } else {
            surface_value_and_gradient(self, p, grad)
        }
    }

    fn second_order(&self, p: &[f64]) -> SecondOrder {
        if F::DIM == 1 {
            curve_second_order(self, p[0])
        } else {
            surface_second_order(self, p)
        }
    }

    fn values_on_row(&self, xs: &[f64], y: f64, out: &mut [f64]) {
        lanes::values_on_row::<F>(xs, y, out);
    }

    fn descend_many(&self, descents: &Descents, out: &mut [Landing]) -> bool {
        let can = F::DIM == 2 && lanes::steps_in_lanes(descents.config);
        if can {
            lanes::descend_many::<F>(descents, out);
        }
        can
    }
}

impl<F: Formula> Surface for Preset<F> {
    fn eval<D: Scalar>(&self, x: D, y: D) -> D {
        F::eval(x, y)
    }
}

/// Newton's method from `seed` until the step no longer shrinks: the minimum to machine
/// precision, found from the formula itself rather than typed in.
fn polish_minimum(objective: &dyn Objective, seed: &[f64]) -> Vec<f64> {
    let mut p = seed.to_vec();
    for _ in 0..50 {
        let so = objective.second_order(&p);
        let Some(step) = so.hessian.lu().solve(&DVector::from_vec(so.gradient)) else {
            break;
        };
        let candidate: Vec<f64> = p.iter().zip(step.iter()).map(|(a, d)| a - d).collect();
        if candidate.iter().any(|c| !c.is_finite()) {
            break;
        }
        let done = step.norm() <= 1e-15 * (1.0 + DVector::from_column_slice(&p).norm());
        p = candidate;
        if done {
            break;
        }
    }
    p
}

macro_rules! formula {
    (
        $(#[$doc:meta])*
        $ty:ident, name: $name:literal, formula: $formula:literal, dim: $dim:literal,
        view: [$($view:expr),+], minima: [$($min:expr),*], start: $start:expr,
        $(domain: $domain:literal, in_domain: |$dx:ident, $dy:ident| $check:expr,)?
        eval: |$x:ident, $y:ident| $body:expr
    ) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $ty;

        impl Formula for $ty {
            const NAME: &'static str = $name;
            const FORMULA: &'static str = $formula;
            const DIM: usize = $dim;
            const VIEW: &'static [Interval] = &[$($view),+];
            const MINIMA: &'static [[f64; 2]] = &[$($min),*];
            const START: [f64; 2] = $start;
            $(const DOMAIN: &'static str = $domain;
            fn in_domain($dx: f64, $dy: f64) -> bool {
                $check
            })?

            #[inline(always)]
            #[allow(unused_variables)]
            fn eval<D: Real>($x: D, $y: D) -> D {
                $body
            }
        }
    };
}

const fn iv(lo: f64, hi: f64) -> Interval {
    Interval::new(lo, hi)
}

formula! {
    /// The bowl of seed 000: one minimum at (1, 2).
    Bowl, name: "bowl", formula: "(x-1)^2 + (y-2)^2", dim: 2,
    view: [iv(-2.0, 4.0), iv(-1.0, 5.0)], minima: [[1.0, 2.0]], start: [0.0, 0.0],
    eval: |x, y| (x - 1.0).powi(2) + (y - 2.0).powi(2)
}

formula! {
    /// The course lab's sauna temperature: a minimum of 73.6 at (4, 4).
    Sauna, name: "sauna", formula: "85 - (1/90) x^2 (x-6) y^2 (y-6)", dim: 2,
    view: [iv(0.0, 5.0), iv(0.0, 5.0)], minima: [[4.0, 4.0]], start: [0.5, 0.6],
    eval: |x, y| -(x.powi(2) * (x - 6.0) * y.powi(2) * (y - 6.0)) * (1.0 / 90.0) + 85.0
}

formula! {
    /// Three wells of different depth (the course lab's `f_example_4`).
    ThreeWells, name: "three-wells",
    formula: "10 - [10/(3+3(x-0.5)^2+3(y-0.5)^2) + 2/(1+2(x-3)^2+2(y-1.5)^2) + 3/(1+0.5(x-3.5)^2+0.5(y-4)^2)]",
    dim: 2, view: [iv(0.0, 5.0), iv(0.0, 5.0)],
    minima: [[0.523, 0.517], [2.95, 1.6], [3.45, 3.9]], start: [0.5, 3.0],
    eval: |x, y| {
        let a = ((x - 0.5).powi(2) * 3.0 + (y - 0.5).powi(2) * 3.0 + 3.0).recip() * 10.0;
        let b = ((x - 3.0).powi(2) * 2.0 + (y - 1.5).powi(2) * 2.0 + 1.0).recip() * 2.0;
        let c = ((x - 3.5).powi(2) * 0.5 + (y - 4.0).powi(2) * 0.5 + 1.0).recip() * 3.0;
        -(a + b + c) + 10.0
    }
}

formula! {
    /// e^x - ln x, the course lab's first 1-D example; its minimum is the omega constant.
    ExpLog, name: "exp-log", formula: "e^x - ln x", dim: 1,
    view: [iv(0.001, 2.5)], minima: [[0.567, 0.0]], start: [1.6, 0.0],
    domain: "x > 0", in_domain: |x, _y| x > 0.0,
    eval: |x, y| x.exp() - x.ln()
}

formula! {
    /// (e^x - ln x) sin(2 pi x): the course lab's function with a global and local minima.
    Wavy, name: "wavy", formula: "(e^x - ln x) sin(2 pi x)", dim: 1,
    view: [iv(0.001, 2.0)], minima: [[1.775, 0.0], [0.7586, 0.0]], start: [1.3, 0.0],
    domain: "x > 0", in_domain: |x, _y| x > 0.0,
    eval: |x, y| (x.exp() - x.ln()) * (x * (2.0 * PI)).sin()
}

formula! {
    /// Rosenbrock's banana valley, minimum at (1, 1).
    Rosenbrock, name: "rosenbrock", formula: "(1-x)^2 + 100 (y-x^2)^2", dim: 2,
    view: [iv(-2.0, 2.0), iv(-1.0, 3.0)], minima: [[1.0, 1.0]], start: [-1.5, 2.0],
    eval: |x, y| (-x + 1.0).powi(2) + (y - x.powi(2)).powi(2) * 100.0
}

formula! {
    /// Himmelblau's function: four minima of equal value 0.
    Himmelblau, name: "himmelblau", formula: "(x^2+y-11)^2 + (x+y^2-7)^2", dim: 2,
    view: [iv(-5.0, 5.0), iv(-5.0, 5.0)],
    minima: [[3.0, 2.0], [-2.805, 3.131], [-3.779, -3.283], [3.584, -1.848]], start: [0.0, 0.0],
    eval: |x, y| (x.powi(2) + y - 11.0).powi(2) + (x + y.powi(2) - 7.0).powi(2)
}

formula! {
    /// Beale's function: flat plateaus and a minimum at (3, 0.5).
    Beale, name: "beale",
    formula: "(1.5-x+xy)^2 + (2.25-x+xy^2)^2 + (2.625-x+xy^3)^2", dim: 2,
    view: [iv(-4.5, 4.5), iv(-4.5, 4.5)], minima: [[3.0, 0.5]], start: [1.0, 1.5],
    eval: |x, y| (-x + x * y + 1.5).powi(2)
        + (-x + x * y.powi(2) + 2.25).powi(2)
        + (-x + x * y.powi(3) + 2.625).powi(2)
}

formula! {
    /// Rastrigin's function (A = 10): a grid of local minima around the global one at 0.
    Rastrigin, name: "rastrigin",
    formula: "20 + x^2 - 10 cos(2 pi x) + y^2 - 10 cos(2 pi y)", dim: 2,
    view: [iv(-5.12, 5.12), iv(-5.12, 5.12)], minima: [[0.0, 0.0]], start: [2.2, 1.8],
    eval: |x, y| x.powi(2) - (x * (2.0 * PI)).cos() * 10.0 + y.powi(2)
        - (y * (2.0 * PI)).cos() * 10.0
        + 20.0
}

formula! {
    /// A saddle: no minimum, gradient descent slides off along y.
    Saddle, name: "saddle", formula: "x^2 - y^2", dim: 2,
    view: [iv(-2.0, 2.0), iv(-2.0, 2.0)], minima: [], start: [1.5, 0.01],
    eval: |x, y| x.powi(2) - y.powi(2)
}

formula! {
    /// An ill-conditioned valley (condition number 25), where momentum shines.
    Ravine, name: "ravine", formula: "0.5 (x^2 + 25 y^2)", dim: 2,
    view: [iv(-10.0, 10.0), iv(-5.0, 5.0)], minima: [[0.0, 0.0]], start: [-9.0, 2.0],
    eval: |x, y| (x.powi(2) + y.powi(2) * 25.0) * 0.5
}

/// The sum of squares in n dimensions (seed 002): minimum at the origin.
#[derive(Debug)]
pub struct SumSquares {
    info: ObjectiveInfo,
}

impl SumSquares {
    /// The sum of `dim` squares; `dim` must be in 1..=[`MAX_DIM`].
    pub fn new(dim: usize) -> Result<Self, EngineError> {
        if dim == 0 || dim > MAX_DIM {
            return Err(EngineError::BadDim {
                got: dim as i64,
                max: MAX_DIM,
            });
        }
        Ok(Self {
            info: ObjectiveInfo {
                name: "sum-squares".to_string(),
                formula: "x1^2 + x2^2 + ... + xn^2".to_string(),
                param_names: (1..=dim).map(|i| format!("x{i}")).collect(),
                view: vec![Interval::new(-10.0, 10.0); dim],
                minima: vec![vec![0.0; dim]],
                default_start: (0..dim)
                    .map(|i| if i % 2 == 0 { -8.0 } else { 6.0 })
                    .collect(),
                domain: "all real numbers".to_string(),
            },
        })
    }

    /// One term of the sum: the function is separable, so its gradient is the derivative of
    /// each term and its Hessian is diagonal, found by 1-D automatic differentiation in O(n).
    fn term<D: DualNum<Primitive = f64>>(x: D) -> D {
        x.powi(2)
    }

    fn eval(p: &[f64]) -> f64 {
        p.iter().map(|x| Self::term(*x)).sum()
    }
}

impl Objective for SumSquares {
    fn info(&self) -> &ObjectiveInfo {
        &self.info
    }

    fn in_domain(&self, _p: &[f64]) -> bool {
        true
    }

    fn value(&self, p: &[f64]) -> f64 {
        Self::eval(p)
    }

    fn value_and_gradient(&self, p: &[f64], grad: &mut [f64]) -> f64 {
        let mut value = 0.0;
        for (g, &x) in grad.iter_mut().zip(p) {
            let (v, slope) = first_derivative(Self::term::<Dual64>, x);
            value += v;
            *g = slope;
        }
        value
    }

    fn second_order(&self, p: &[f64]) -> SecondOrder {
        let n = p.len();
        let mut hessian = DMatrix::zeros(n, n);
        let mut gradient = vec![0.0; n];
        let mut value = 0.0;
        for (i, &x) in p.iter().enumerate() {
            let (v, slope, curvature) = second_derivative(Self::term::<Dual2_64>, x);
            value += v;
            gradient[i] = slope;
            hessian[(i, i)] = curvature;
        }
        SecondOrder {
            value,
            gradient,
            hessian,
        }
    }

    fn values_on_row(&self, xs: &[f64], y: f64, out: &mut [f64]) {
        let two_d = self.dim() > 1;
        for (o, &x) in out.iter_mut().zip(xs) {
            *o = if two_d {
                Self::eval(&[x, y])
            } else {
                Self::eval(&[x])
            };
        }
    }
}
