//! The optimizers: PyTorch `torch.optim` update rules, plus Newton's method and a
//! backtracking line search.

use std::fmt;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::error::EngineError;
use super::objective::Objective;

/// Which update rule a run follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OptimizerKind {
    /// Plain gradient descent: p <- p - lr g.
    Gd,
    /// Heavy-ball momentum: b <- beta b + g; p <- p - lr b.
    Momentum,
    /// Nesterov momentum: b <- beta b + g; p <- p - lr (g + beta b).
    Nesterov,
    /// AdaGrad: s <- s + g^2; p <- p - lr g / (sqrt(s) + eps).
    Adagrad,
    /// RMSProp: v <- alpha v + (1 - alpha) g^2; p <- p - lr g / (sqrt(v) + eps).
    Rmsprop,
    /// Adam with bias correction.
    Adam,
    /// Newton's method: solve H d = g; p <- p - lr d.
    Newton,
    /// Steepest descent with Armijo backtracking from step lr.
    LineSearch,
}

/// One hyperparameter of an optimizer, for listings and controls.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HyperparameterSpec {
    /// The command-line flag without dashes, e.g. `beta1`.
    pub flag: &'static str,
    /// The symbol in the update rule, e.g. `beta1`.
    pub label: &'static str,
    /// The default value.
    pub default: f64,
}

impl OptimizerKind {
    /// Every optimizer, in the order they are listed.
    pub const ALL: [OptimizerKind; 8] = [
        Self::Gd,
        Self::Momentum,
        Self::Nesterov,
        Self::Adagrad,
        Self::Rmsprop,
        Self::Adam,
        Self::Newton,
        Self::LineSearch,
    ];

    /// The command-line name, e.g. `rmsprop`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Gd => "gd",
            Self::Momentum => "momentum",
            Self::Nesterov => "nesterov",
            Self::Adagrad => "adagrad",
            Self::Rmsprop => "rmsprop",
            Self::Adam => "adam",
            Self::Newton => "newton",
            Self::LineSearch => "linesearch",
        }
    }

    /// The name for people, e.g. `RMSProp`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Gd => "Gradient descent",
            Self::Momentum => "Momentum",
            Self::Nesterov => "Nesterov",
            Self::Adagrad => "AdaGrad",
            Self::Rmsprop => "RMSProp",
            Self::Adam => "Adam",
            Self::Newton => "Newton",
            Self::LineSearch => "Line search",
        }
    }

    /// The update rule in one line.
    pub fn rule(self) -> &'static str {
        match self {
            Self::Gd => "p <- p - lr g",
            Self::Momentum => "b <- beta b + g; p <- p - lr b",
            Self::Nesterov => "b <- beta b + g; p <- p - lr (g + beta b)",
            Self::Adagrad => "s <- s + g^2; p <- p - lr g / (sqrt(s) + eps)",
            Self::Rmsprop => "v <- alpha v + (1-alpha) g^2; p <- p - lr g / (sqrt(v) + eps)",
            Self::Adam => {
                "m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2; p <- p - lr m^ / (sqrt(v^) + eps)"
            }
            Self::Newton => "solve H d = g; p <- p - lr d",
            Self::LineSearch => {
                "s from lr, halved until f(p - s g) <= f(p) - 1e-4 s |g|^2; p <- p - s g"
            }
        }
    }

    /// All command-line names.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|k| k.name()).collect()
    }

    /// The optimizer with command-line name `name`.
    pub fn from_name(name: &str) -> Result<Self, EngineError> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| EngineError::UnknownOptimizer {
                name: name.to_string(),
                valid: Self::names().join(", "),
            })
    }

    /// The hyperparameters this optimizer reads besides the learning rate.
    pub fn hyperparameters(self) -> &'static [HyperparameterSpec] {
        const MOMENTUM: HyperparameterSpec = HyperparameterSpec {
            flag: "momentum",
            label: "beta",
            default: DEFAULT_MOMENTUM,
        };
        match self {
            Self::Gd | Self::Newton | Self::LineSearch => &[],
            Self::Momentum | Self::Nesterov => &[MOMENTUM],
            Self::Adagrad => &[HyperparameterSpec {
                flag: "eps",
                label: "eps",
                default: ADAGRAD_EPS,
            }],
            Self::Rmsprop => &[
                HyperparameterSpec {
                    flag: "alpha",
                    label: "alpha",
                    default: DEFAULT_ALPHA,
                },
                HyperparameterSpec {
                    flag: "eps",
                    label: "eps",
                    default: DEFAULT_EPS,
                },
            ],
            Self::Adam => &[
                HyperparameterSpec {
                    flag: "beta1",
                    label: "beta1",
                    default: DEFAULT_BETA1,
                },
                HyperparameterSpec {
                    flag: "beta2",
                    label: "beta2",
                    default: DEFAULT_BETA2,
                },
                HyperparameterSpec {
                    flag: "eps",
                    label: "eps",
                    default: DEFAULT_EPS,
                },
            ],
        }
    }
}

impl fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Default momentum coefficient of momentum and Nesterov.
pub const DEFAULT_MOMENTUM: f64 = 0.9;
/// Default smoothing constant of RMSProp.
pub const DEFAULT_ALPHA: f64 = 0.99;
/// Default first-moment decay of Adam.
pub const DEFAULT_BETA1: f64 = 0.9;
/// Default second-moment decay of Adam.
pub const DEFAULT_BETA2: f64 = 0.999;
/// Default epsilon of RMSProp and Adam.
pub const DEFAULT_EPS: f64 = 1e-8;
/// Default epsilon of AdaGrad.
pub const ADAGRAD_EPS: f64 = 1e-10;
/// Armijo's sufficient-decrease constant of the line search.
pub const ARMIJO_C: f64 = 1e-4;
/// The most halvings the line search tries.
pub const MAX_HALVINGS: u32 = 50;

/// An optimizer with all its hyperparameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OptimizerConfig {
    /// The update rule.
    pub kind: OptimizerKind,
    /// The learning rate (the first trial step of the line search).
    pub lr: f64,
    /// beta of momentum and Nesterov.
    pub momentum: f64,
    /// alpha of RMSProp.
    pub alpha: f64,
    /// beta1 of Adam.
    pub beta1: f64,
    /// beta2 of Adam.
    pub beta2: f64,
    /// eps of AdaGrad, RMSProp and Adam; `None` takes each optimizer's default.
    pub eps: Option<f64>,
    /// Clip each gradient component to [-c, c] before the optimizer sees it.
    pub clip: Option<f64>,
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        Self::new(OptimizerKind::Gd, 0.1)
    }
}

impl OptimizerConfig {
    /// `kind` with learning rate `lr` and every other hyperparameter at its default.
    pub fn new(kind: OptimizerKind, lr: f64) -> Self {
        Self {
            kind,
            lr,
            momentum: DEFAULT_MOMENTUM,
            alpha: DEFAULT_ALPHA,
            beta1: DEFAULT_BETA1,
            beta2: DEFAULT_BETA2,
            eps: None,
            clip: None,
        }
    }

    /// The epsilon this optimizer uses.
    pub fn eps(&self) -> f64 {
        self.eps.unwrap_or(match self.kind {
            OptimizerKind::Adagrad => ADAGRAD_EPS,
            _ => DEFAULT_EPS,
        })
    }

    /// Checks every hyperparameter against its range.
    pub fn validate(&self) -> Result<(), EngineError> {
        let bad = |name, value, allowed| {
            Err(EngineError::BadHyperparameter {
                name,
                value,
                allowed,
            })
        };
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad("learning rate", self.lr, "a finite number > 0");
        }
        for (name, value) in [
            ("momentum", self.momentum),
            ("alpha", self.alpha),
            ("beta1", self.beta1),
            ("beta2", self.beta2),
        ] {
            if !(0.0..1.0).contains(&value) {
                return bad(name, value, "in [0, 1)");
            }
        }
        if let Some(eps) = self.eps
            && !(eps.is_finite() && eps > 0.0)
        {
            return bad("eps", eps, "a finite number > 0");
        }
        if let Some(clip) = self.clip
            && (clip <= 0.0 || clip.is_nan())
        {
            return bad("clip", clip, "a number > 0");
        }
        Ok(())
    }
}

/// Why an optimizer could not take a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepFailure {
    /// Newton's method met a Hessian it could not solve with.
    SingularHessian,
    /// The line search found no sufficient decrease after every halving.
    LineSearchFailed,
}

/// The optimizer's memory between steps: reset at each start.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OptimizerState {
    /// Steps taken so far (t counts from 1 inside a step).
    pub t: u64,
    /// Momentum buffer b, AdaGrad's sum s, or Adam's first moment m.
    pub first: Vec<f64>,
    /// RMSProp's or Adam's second moment v.
    pub second: Vec<f64>,
    /// The step size the line search accepted last.
    pub last_step: f64,
}

impl OptimizerState {
    /// A fresh state for `dim` parameters.
    pub fn new(dim: usize) -> Self {
        Self {
            t: 0,
            first: vec![0.0; dim],
            second: vec![0.0; dim],
            last_step: 0.0,
        }
    }

    /// Computes the next point from `p`, where f is `value` and the (clipped) gradient is `g`.
    pub fn step(
        &mut self,
        config: &OptimizerConfig,
        objective: &dyn Objective,
        p: &[f64],
        value: f64,
        g: &[f64],
        next: &mut [f64],
    ) -> Result<(), StepFailure> {
        self.t += 1;
        let lr = config.lr;
        match config.kind {
            OptimizerKind::Gd => {
                for ((n, &pi), &gi) in next.iter_mut().zip(p).zip(g) {
                    *n = pi - lr * gi;
                }
            }
            OptimizerKind::Momentum | OptimizerKind::Nesterov => {
                let beta = config.momentum;
                let nesterov = config.kind == OptimizerKind::Nesterov;
                for i in 0..p.len() {
                    let b = if self.t == 1 {
                        g[i]
                    } else {
                        beta * self.first[i] + g[i]
                    };
                    self.first[i] = b;
                    let direction = if nesterov { g[i] + beta * b } else { b };
                    next[i] = p[i] - lr * direction;
                }
            }
            OptimizerKind::Adagrad => {
                let eps = config.eps();
                for i in 0..p.len() {
                    self.first[i] += g[i] * g[i];
                    next[i] = p[i] - lr * g[i] / (self.first[i].sqrt() + eps);
                }
            }
            OptimizerKind::Rmsprop => {
                let (alpha, eps) = (config.alpha, config.eps());
                for i in 0..p.len() {
                    self.second[i] = alpha * self.second[i] + (1.0 - alpha) * g[i] * g[i];
                    next[i] = p[i] - lr * g[i] / (self.second[i].sqrt() + eps);
                }
            }
            OptimizerKind::Adam => {
                let (beta1, beta2, eps) = (config.beta1, config.beta2, config.eps());
                let t = i32::try_from(self.t).unwrap_or(i32::MAX);
                let correction1 = 1.0 - beta1.powi(t);
                let correction2 = 1.0 - beta2.powi(t);
                for i in 0..p.len() {
                    self.first[i] = beta1 * self.first[i] + (1.0 - beta1) * g[i];
                    self.second[i] = beta2 * self.second[i] + (1.0 - beta2) * g[i] * g[i];
                    let m_hat = self.first[i] / correction1;
                    let v_hat = self.second[i] / correction2;
                    next[i] = p[i] - lr * m_hat / (v_hat.sqrt() + eps);
                }
            }
            OptimizerKind::Newton => {
                let hessian = objective.second_order(p).hessian;
                let d = newton_direction(hessian, g).ok_or(StepFailure::SingularHessian)?;
                for i in 0..p.len() {
                    next[i] = p[i] - lr * d[i];
                }
            }
            OptimizerKind::LineSearch => {
                let g_norm_sq: f64 = g.iter().map(|gi| gi * gi).sum();
                let mut s = lr;
                for _ in 0..=MAX_HALVINGS {
                    for i in 0..p.len() {
                        next[i] = p[i] - s * g[i];
                    }
                    let accepted = objective.in_domain(next)
                        && objective.value(next) <= value - ARMIJO_C * s * g_norm_sq;
                    if accepted {
                        self.last_step = s;
                        return Ok(());
                    }
                    s *= 0.5;
                }
                // Never an uphill step: the run stops where it is.
                next.copy_from_slice(p);
                return Err(StepFailure::LineSearchFailed);
            }
        }
        Ok(())
    }
}

/// Solves H d = g; `None` when H is singular (or so ill-conditioned that d is not finite).
fn newton_direction(hessian: DMatrix<f64>, g: &[f64]) -> Option<DVector<f64>> {
    let scale = hessian.amax();
    if !scale.is_finite() || scale == 0.0 {
        return None;
    }
    let lu = hessian.lu();
    let u = lu.u();
    let tiny = scale * f64::EPSILON * (g.len() as f64);
    if u.diagonal().iter().any(|d| d.abs() <= tiny) {
        return None;
    }
    let d = lu.solve(&DVector::from_column_slice(g))?;
    d.iter().all(|x| x.is_finite()).then_some(d)
}

/// Clips each component of `g` to [-c, c] in place.
pub fn clip_gradient(g: &mut [f64], clip: Option<f64>) {
    if let Some(c) = clip {
        for gi in g {
            *gi = gi.clamp(-c, c);
        }
    }
}
