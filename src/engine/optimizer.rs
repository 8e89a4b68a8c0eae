//! The optimizers: PyTorch `torch.optim` update rules, plus Newton's method and a
//! backtracking line search.

use std::fmt;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::error::EngineError;
use super::objective::Objective;
use super::schedule::{Schedule, ScheduleKind};

/// Which update rule a run follows. Saved by its variant's name (`Adam`); a hand-written
/// file may also use the command-line name (`adam`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OptimizerKind {
    /// Plain gradient descent: p <- p - lr g.
    #[serde(alias = "gd")]
    Gd,
    /// Heavy-ball momentum: b <- beta b + g; p <- p - lr b.
    #[serde(alias = "momentum")]
    Momentum,
    /// Nesterov momentum: b <- beta b + g; p <- p - lr (g + beta b).
    #[serde(alias = "nesterov")]
    Nesterov,
    /// AdaGrad: s <- s + g^2; p <- p - lr g / (sqrt(s) + eps).
    #[serde(alias = "adagrad")]
    Adagrad,
    /// RMSProp: v <- alpha v + (1 - alpha) g^2; p <- p - lr g / (sqrt(v) + eps).
    #[serde(alias = "rmsprop")]
    Rmsprop,
    /// Adadelta: v <- rho v + (1 - rho) g^2; d <- sqrt(u + eps) / sqrt(v + eps) g;
    /// u <- rho u + (1 - rho) d^2; p <- p - lr d.
    #[serde(alias = "adadelta")]
    Adadelta,
    /// Adam with bias correction (optionally AMSGrad, and L2 weight decay added to g).
    #[serde(alias = "adam")]
    Adam,
    /// AdamW: Adam with decoupled weight decay p <- p - lr wd p.
    #[serde(alias = "adamw")]
    AdamW,
    /// Adamax: Adam with the infinity norm, u <- max(beta2 u, |g| + eps).
    #[serde(alias = "adamax")]
    Adamax,
    /// NAdam: Adam with Nesterov momentum and momentum decay.
    #[serde(alias = "nadam")]
    NAdam,
    /// RAdam: Adam with the variance of the adaptive rate rectified.
    #[serde(alias = "radam")]
    RAdam,
    /// Newton's method: solve H d = g; p <- p - lr d.
    #[serde(alias = "newton")]
    Newton,
    /// Steepest descent with Armijo backtracking from step lr.
    #[serde(alias = "linesearch")]
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
    /// The name in the window, e.g. `Beta1`.
    pub name: &'static str,
    /// The smallest and largest values a slider offers.
    pub range: (f64, f64),
    /// Whether the slider is logarithmic.
    pub log: bool,
}

impl OptimizerKind {
    /// Every optimizer, in the order they are listed.
    pub const ALL: [OptimizerKind; 13] = [
        Self::Gd,
        Self::Momentum,
        Self::Nesterov,
        Self::Adagrad,
        Self::Rmsprop,
        Self::Adadelta,
        Self::Adam,
        Self::AdamW,
        Self::Adamax,
        Self::NAdam,
        Self::RAdam,
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
            Self::Adadelta => "adadelta",
            Self::Adam => "adam",
            Self::AdamW => "adamw",
            Self::Adamax => "adamax",
            Self::NAdam => "nadam",
            Self::RAdam => "radam",
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
            Self::Adadelta => "Adadelta",
            Self::Adam => "Adam",
            Self::AdamW => "AdamW",
            Self::Adamax => "Adamax",
            Self::NAdam => "NAdam",
            Self::RAdam => "RAdam",
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
            Self::Adadelta => {
                "v <- rho v + (1-rho) g^2; d <- sqrt(u + eps) / sqrt(v + eps) g; u <- rho u + (1-rho) d^2; p <- p - lr d"
            }
            Self::Adam => {
                "m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2; p <- p - lr m^ / (sqrt(v^) + eps)"
            }
            Self::AdamW => {
                "p <- p - lr wd p; m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2; p <- p - lr m^ / (sqrt(v^) + eps)"
            }
            Self::Adamax => {
                "m <- b1 m + (1-b1) g; u <- max(b2 u, |g| + eps); p <- p - lr m / ((1 - b1^t) u)"
            }
            Self::NAdam => {
                "mu_t = b1 (1 - 0.96^(t psi) / 2); m, v as Adam; p <- p - lr (mu_t+1 m / (1 - prod mu) + (1 - mu_t) g / (1 - prod mu)) / (sqrt(v^) + eps)"
            }
            Self::RAdam => {
                "m, v as Adam; rho_t = rho_inf - 2 t b2^t / (1 - b2^t); p <- p - lr m^ r_t l_t if rho_t > 5, else p - lr m^"
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
                // A name from another library, or a near miss.
                hint: match name.to_lowercase().as_str() {
                    "sgd" => " (plain gradient descent is 'gd' here)".to_string(),
                    "bfgs" | "lbfgs" | "l-bfgs" => {
                        " (the second-order ones here are 'newton' and 'linesearch')".to_string()
                    }
                    _ => super::format::nearest(name, &Self::names())
                        .map(|n| format!(" (did you mean '{n}'?)"))
                        .unwrap_or_default(),
                },
                valid: Self::names().join(", "),
            })
    }

    /// The hyperparameters this optimizer reads besides the learning rate (and AMSGrad's
    /// switch, see [`Self::reads_amsgrad`]).
    pub fn hyperparameters(self) -> &'static [HyperparameterSpec] {
        const fn spec(
            flag: &'static str,
            label: &'static str,
            default: f64,
            name: &'static str,
            range: (f64, f64),
            log: bool,
        ) -> HyperparameterSpec {
            HyperparameterSpec {
                flag,
                label,
                default,
                name,
                range,
                log,
            }
        }
        const MOMENTUM: HyperparameterSpec = spec(
            "momentum",
            "beta",
            DEFAULT_MOMENTUM,
            "Momentum",
            (0.0, 0.999),
            false,
        );
        const ALPHA: HyperparameterSpec = spec(
            "alpha",
            "alpha",
            DEFAULT_ALPHA,
            "Alpha",
            (0.0, 0.999),
            false,
        );
        const BETA1: HyperparameterSpec = spec(
            "beta1",
            "beta1",
            DEFAULT_BETA1,
            "Beta1",
            (0.0, 0.999),
            false,
        );
        const BETA2: HyperparameterSpec = spec(
            "beta2",
            "beta2",
            DEFAULT_BETA2,
            "Beta2",
            (0.0, 0.9999),
            false,
        );
        const EPS: HyperparameterSpec =
            spec("eps", "eps", DEFAULT_EPS, "Epsilon", (1e-12, 1e-1), true);
        const ADAGRAD_EPS_SPEC: HyperparameterSpec =
            spec("eps", "eps", ADAGRAD_EPS, "Epsilon", (1e-12, 1e-1), true);
        const ADADELTA_EPS_SPEC: HyperparameterSpec =
            spec("eps", "eps", ADADELTA_EPS, "Epsilon", (1e-12, 1e-1), true);
        const DECAY: HyperparameterSpec =
            spec("weight-decay", "wd", 0.0, "Weight decay", (0.0, 1.0), false);
        const ADAMW_DECAY: HyperparameterSpec = spec(
            "weight-decay",
            "wd",
            ADAMW_WEIGHT_DECAY,
            "Weight decay",
            (0.0, 1.0),
            false,
        );
        const RHO: HyperparameterSpec = spec("rho", "rho", DEFAULT_RHO, "Rho", (0.0, 0.999), false);
        const PSI: HyperparameterSpec = spec(
            "momentum-decay",
            "psi",
            DEFAULT_MOMENTUM_DECAY,
            "Momentum decay",
            (0.0, 0.1),
            false,
        );
        match self {
            Self::Newton | Self::LineSearch => &[],
            Self::Gd => &[DECAY],
            Self::Momentum | Self::Nesterov => &[MOMENTUM, DECAY],
            Self::Adagrad => &[ADAGRAD_EPS_SPEC, DECAY],
            Self::Rmsprop => &[ALPHA, EPS, DECAY],
            Self::Adadelta => &[RHO, ADADELTA_EPS_SPEC, DECAY],
            Self::Adam | Self::Adamax | Self::RAdam => &[BETA1, BETA2, EPS, DECAY],
            Self::AdamW => &[BETA1, BETA2, EPS, ADAMW_DECAY],
            Self::NAdam => &[BETA1, BETA2, EPS, DECAY, PSI],
        }
    }

    /// Whether the optimizer has AMSGrad's switch (Adam and AdamW).
    pub fn reads_amsgrad(self) -> bool {
        matches!(self, Self::Adam | Self::AdamW)
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
/// Default epsilon of Adadelta.
pub const ADADELTA_EPS: f64 = 1e-6;
/// Default decay rate rho of Adadelta.
pub const DEFAULT_RHO: f64 = 0.9;
/// Default momentum decay psi of NAdam.
pub const DEFAULT_MOMENTUM_DECAY: f64 = 4e-3;
/// Default (decoupled) weight decay of AdamW.
pub const ADAMW_WEIGHT_DECAY: f64 = 1e-2;
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
    /// eps of AdaGrad, RMSProp, Adadelta and the Adam family; `None` takes each optimizer's
    /// default.
    pub eps: Option<f64>,
    /// Clip each gradient component to [-c, c] before the optimizer sees it.
    pub clip: Option<f64>,
    /// Weight decay: added to the gradient as wd p (decoupled for AdamW); `None` takes the
    /// optimizer's default (0.01 for AdamW, else 0).
    pub weight_decay: Option<f64>,
    /// Adam's and AdamW's AMSGrad variant: the largest second moment so far.
    pub amsgrad: bool,
    /// rho of Adadelta.
    pub rho: f64,
    /// psi, NAdam's momentum decay.
    pub momentum_decay: f64,
    /// How the learning rate changes with the step.
    pub schedule: Schedule,
    /// Gaussian noise added to every gradient (before clipping), or none.
    pub noise: Option<GradientNoise>,
}

/// Seeded Gaussian noise added to each gradient component: stochastic descent on any
/// function.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradientNoise {
    /// The standard deviation of each component's noise.
    pub sigma: f64,
    /// The seed of the noise's generator.
    pub seed: u64,
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
            weight_decay: None,
            amsgrad: false,
            rho: DEFAULT_RHO,
            momentum_decay: DEFAULT_MOMENTUM_DECAY,
            schedule: Schedule::default(),
            noise: None,
        }
    }

    /// The weight decay this optimizer uses.
    pub fn weight_decay(&self) -> f64 {
        self.weight_decay.unwrap_or(match self.kind {
            OptimizerKind::AdamW => ADAMW_WEIGHT_DECAY,
            _ => 0.0,
        })
    }

    /// The value of the hyperparameter with command-line flag `flag` (without dashes).
    pub fn get(&self, flag: &str) -> Option<f64> {
        Some(match flag {
            "lr" => self.lr,
            "momentum" => self.momentum,
            "alpha" => self.alpha,
            "beta1" => self.beta1,
            "beta2" => self.beta2,
            "eps" => self.eps(),
            "weight-decay" => self.weight_decay(),
            "rho" => self.rho,
            "momentum-decay" => self.momentum_decay,
            _ => return None,
        })
    }

    /// Sets the hyperparameter with command-line flag `flag`; returns whether there is one.
    pub fn set(&mut self, flag: &str, value: f64) -> bool {
        match flag {
            "lr" => self.lr = value,
            "momentum" => self.momentum = value,
            "alpha" => self.alpha = value,
            "beta1" => self.beta1 = value,
            "beta2" => self.beta2 = value,
            "eps" => self.eps = Some(value),
            "weight-decay" => self.weight_decay = Some(value),
            "rho" => self.rho = value,
            "momentum-decay" => self.momentum_decay = value,
            _ => return false,
        }
        true
    }

    /// The epsilon this optimizer uses.
    pub fn eps(&self) -> f64 {
        self.eps.unwrap_or(match self.kind {
            OptimizerKind::Adagrad => ADAGRAD_EPS,
            OptimizerKind::Adadelta => ADADELTA_EPS,
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
        let subnormal = [
            ("learning rate", Some(self.lr)),
            ("momentum", Some(self.momentum)),
            ("alpha", Some(self.alpha)),
            ("beta1", Some(self.beta1)),
            ("beta2", Some(self.beta2)),
            ("rho", Some(self.rho)),
            ("eps", self.eps),
            ("clip", self.clip),
            ("weight-decay", self.weight_decay),
            ("momentum-decay", Some(self.momentum_decay)),
            ("grad-noise", self.noise.map(|n| n.sigma)),
        ]
        .into_iter()
        .find(|(_, v)| v.is_some_and(super::format::subnormal));
        if let Some((name, Some(value))) = subnormal {
            // Those that must be above 0 are not told that 0 would do.
            let allowed = if ["learning rate", "eps", "clip"].contains(&name) {
                POSITIVE_ALLOWED
            } else {
                SUBNORMAL_ALLOWED
            };
            return bad(name, value, allowed);
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad("learning rate", self.lr, "a finite number > 0");
        }
        for (name, value) in [
            ("momentum", self.momentum),
            ("alpha", self.alpha),
            ("beta1", self.beta1),
            ("beta2", self.beta2),
            ("rho", self.rho),
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
            && !(clip.is_finite() && clip > 0.0)
        {
            return bad("clip", clip, "a finite number > 0");
        }
        let decay = self.weight_decay();
        if !(decay.is_finite() && decay >= 0.0) {
            return bad("weight-decay", decay, "a finite number >= 0");
        }
        if !(self.momentum_decay.is_finite() && self.momentum_decay >= 0.0) {
            return bad(
                "momentum-decay",
                self.momentum_decay,
                "a finite number >= 0",
            );
        }
        if let Some(noise) = self.noise
            && !(noise.sigma.is_finite() && noise.sigma >= 0.0)
        {
            return bad("grad-noise", noise.sigma, "a finite number >= 0");
        }
        self.schedule.validate()?;
        if self.schedule.kind == ScheduleKind::Cosine && self.schedule.eta_min > self.lr {
            // The floor above the rate would make the "annealed" rate climb.
            return bad(
                "eta-min",
                self.schedule.eta_min,
                "at most the learning rate",
            );
        }
        Ok(())
    }
}

/// What a hyperparameter below f64's normal range is told: such a number has lost its
/// precision and turns to 0 at the first product.
pub(crate) const SUBNORMAL_ALLOWED: &str = "0 or at least about 2.2e-308";
/// The same for a hyperparameter that must be above 0.
pub(crate) const POSITIVE_ALLOWED: &str = "at least about 2.2e-308";

/// Why an optimizer could not take a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepFailure {
    /// Newton's method met a Hessian it could not solve with.
    SingularHessian,
    /// The line search found no sufficient decrease after every halving.
    LineSearchFailed,
    /// The optimizer's own state (a moment, or the gradient with weight decay) overflowed:
    /// the run has blown up even where the point has not moved yet (Adam's second moment
    /// at infinity makes its steps 0).
    Overflowed,
}

/// Calls a run made to its function, by kind; the line search counts each trial point.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluations {
    /// Values of f (with or without a gradient).
    pub values: u64,
    /// Gradients.
    pub gradients: u64,
    /// Hessians (Newton's method).
    pub hessians: u64,
}

impl std::ops::Add for Evaluations {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            values: self.values + other.values,
            gradients: self.gradients + other.gradients,
            hessians: self.hessians + other.hessians,
        }
    }
}

/// The optimizer's memory between steps: reset at each start.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OptimizerState {
    /// Steps taken so far (t counts from 1 inside a step).
    pub t: u64,
    /// Momentum buffer b, AdaGrad's sum s, or the first moment m of the Adam family.
    pub first: Vec<f64>,
    /// The second moment v of RMSProp, Adadelta and the Adam family.
    pub second: Vec<f64>,
    /// AMSGrad's largest second moment, Adamax's u, or Adadelta's accumulated updates u.
    pub third: Vec<f64>,
    /// NAdam's product of the momentum coefficients mu_1 ... mu_t.
    pub mu_product: f64,
    /// The step size the line search accepted last.
    pub last_step: f64,
    /// The learning rate of the last step (after the schedule).
    pub last_lr: f64,
    /// The values and Hessians the optimizer itself asked for (trial points, Newton).
    pub evaluations: Evaluations,
    /// The gradient with weight decay added, when there is any.
    decayed: Vec<f64>,
    /// What the last step did inside, recorded only when asked for (see
    /// [`Self::record_steps`]).
    pub record: Option<Box<StepRecord>>,
}

/// One trial point of the line search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trial {
    /// The step size tried.
    pub step: f64,
    /// f at p - step g, or `None` outside the domain.
    pub value: Option<f64>,
    /// Whether the trial passed Armijo's test.
    pub accepted: bool,
}

/// What one step computed on the way, for explaining it: kept by an [`OptimizerState`]
/// whose recording is on.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepRecord {
    /// The gradient with L2 weight decay added, when the optimizer added any.
    pub decayed: Option<Vec<f64>>,
    /// The line search's trial points, in the order tried.
    pub trials: Vec<Trial>,
    /// Newton's Hessian at p.
    pub hessian: Option<DMatrix<f64>>,
    /// Newton's direction d, the solution of H d = g.
    pub newton_direction: Option<Vec<f64>>,
}

impl OptimizerState {
    /// A fresh state for `dim` parameters.
    pub fn new(dim: usize) -> Self {
        Self {
            t: 0,
            first: vec![0.0; dim],
            second: vec![0.0; dim],
            third: vec![0.0; dim],
            mu_product: 1.0,
            last_step: 0.0,
            last_lr: 0.0,
            evaluations: Evaluations::default(),
            decayed: Vec::new(),
            record: None,
        }
    }

    /// Back to the state of a fresh start, keeping the buffers (no allocation).
    pub fn reset(&mut self) {
        self.t = 0;
        for v in [&mut self.first, &mut self.second, &mut self.third] {
            v.iter_mut().for_each(|x| *x = 0.0);
        }
        self.mu_product = 1.0;
        self.last_step = 0.0;
        self.last_lr = 0.0;
        self.evaluations = Evaluations::default();
        if let Some(record) = &mut self.record {
            **record = StepRecord::default();
        }
    }

    /// Starts (or stops) recording what each step computes on the way into
    /// [`Self::record`]; recording costs a few copies per step.
    pub fn record_steps(&mut self, on: bool) {
        self.record = on.then(Box::default);
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
        let lr = config.schedule.lr(config.lr, self.t - 1);
        self.last_lr = lr;
        let kind = config.kind;
        // L2 weight decay joins the gradient (torch.optim's `weight_decay`); AdamW's is
        // decoupled and shrinks p instead.
        let decay = config.weight_decay();
        let mut decayed = std::mem::take(&mut self.decayed);
        let decays = decay != 0.0
            && !matches!(
                kind,
                OptimizerKind::AdamW | OptimizerKind::Newton | OptimizerKind::LineSearch
            );
        let g = if decays {
            decayed.clear();
            decayed.extend(g.iter().zip(p).map(|(gi, pi)| gi + decay * pi));
            decayed.as_slice()
        } else {
            g
        };
        if let Some(record) = &mut self.record {
            **record = StepRecord {
                decayed: decays.then(|| g.to_vec()),
                ..StepRecord::default()
            };
        }
        let result = self.update(config, lr, objective, p, value, g, next);
        let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        let overflowed = ![g, &self.first, &self.second, &self.third]
            .into_iter()
            .all(finite);
        self.decayed = decayed;
        match result {
            Ok(()) if overflowed => Err(StepFailure::Overflowed),
            other => other,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn update(
        &mut self,
        config: &OptimizerConfig,
        lr: f64,
        objective: &dyn Objective,
        p: &[f64],
        value: f64,
        g: &[f64],
        next: &mut [f64],
    ) -> Result<(), StepFailure> {
        let t = self.t;
        let ti = i32::try_from(t).unwrap_or(i32::MAX);
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
                    let b = if t == 1 {
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
            OptimizerKind::Adadelta => {
                let (rho, eps) = (config.rho, config.eps());
                for i in 0..p.len() {
                    self.second[i] = rho * self.second[i] + (1.0 - rho) * g[i] * g[i];
                    let delta = (self.third[i] + eps).sqrt() / (self.second[i] + eps).sqrt() * g[i];
                    self.third[i] = rho * self.third[i] + (1.0 - rho) * delta * delta;
                    next[i] = p[i] - lr * delta;
                }
            }
            OptimizerKind::Adam | OptimizerKind::AdamW => {
                let (beta1, beta2, eps) = (config.beta1, config.beta2, config.eps());
                let correction1 = 1.0 - beta1.powi(ti);
                let correction2 = 1.0 - beta2.powi(ti);
                let shrink = if config.kind == OptimizerKind::AdamW {
                    1.0 - lr * config.weight_decay()
                } else {
                    1.0
                };
                for i in 0..p.len() {
                    self.first[i] = beta1 * self.first[i] + (1.0 - beta1) * g[i];
                    self.second[i] = beta2 * self.second[i] + (1.0 - beta2) * g[i] * g[i];
                    let v = if config.amsgrad {
                        self.third[i] = self.third[i].max(self.second[i]);
                        self.third[i]
                    } else {
                        self.second[i]
                    };
                    let m_hat = self.first[i] / correction1;
                    let v_hat = v / correction2;
                    next[i] = p[i] * shrink - lr * m_hat / (v_hat.sqrt() + eps);
                }
            }
            OptimizerKind::Adamax => {
                let (beta1, beta2, eps) = (config.beta1, config.beta2, config.eps());
                let correction1 = 1.0 - beta1.powi(ti);
                for i in 0..p.len() {
                    self.first[i] = beta1 * self.first[i] + (1.0 - beta1) * g[i];
                    self.third[i] = (beta2 * self.third[i]).max(g[i].abs() + eps);
                    next[i] = p[i] - lr * self.first[i] / (correction1 * self.third[i]);
                }
            }
            OptimizerKind::NAdam => {
                let (beta1, beta2, eps) = (config.beta1, config.beta2, config.eps());
                let psi = config.momentum_decay;
                let mu = |t: u64| beta1 * (1.0 - 0.5 * 0.96f64.powf(t as f64 * psi));
                let (mu_t, mu_next) = (mu(t), mu(t + 1));
                self.mu_product *= mu_t;
                let product_next = self.mu_product * mu_next;
                let correction2 = 1.0 - beta2.powi(ti);
                for i in 0..p.len() {
                    self.first[i] = beta1 * self.first[i] + (1.0 - beta1) * g[i];
                    self.second[i] = beta2 * self.second[i] + (1.0 - beta2) * g[i] * g[i];
                    let m_hat = mu_next * self.first[i] / (1.0 - product_next)
                        + (1.0 - mu_t) * g[i] / (1.0 - self.mu_product);
                    let v_hat = self.second[i] / correction2;
                    next[i] = p[i] - lr * m_hat / (v_hat.sqrt() + eps);
                }
            }
            OptimizerKind::RAdam => {
                let (beta1, beta2, eps) = (config.beta1, config.beta2, config.eps());
                let correction1 = 1.0 - beta1.powi(ti);
                let beta2_t = beta2.powi(ti);
                let correction2 = 1.0 - beta2_t;
                let rho_inf = 2.0 / (1.0 - beta2) - 1.0;
                let rho_t = rho_inf - 2.0 * t as f64 * beta2_t / correction2;
                let rect = (rho_t > 5.0).then(|| {
                    ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                        / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                        .sqrt()
                });
                for i in 0..p.len() {
                    self.first[i] = beta1 * self.first[i] + (1.0 - beta1) * g[i];
                    self.second[i] = beta2 * self.second[i] + (1.0 - beta2) * g[i] * g[i];
                    let m_hat = self.first[i] / correction1;
                    next[i] = match rect {
                        Some(r) => {
                            let l = correction2.sqrt() / (self.second[i].sqrt() + eps);
                            p[i] - lr * m_hat * r * l
                        }
                        None => p[i] - lr * m_hat,
                    };
                }
            }
            OptimizerKind::Newton => {
                self.evaluations.hessians += 1;
                let hessian = objective.second_order(p).hessian;
                if let Some(record) = &mut self.record {
                    record.hessian = Some(hessian.clone());
                }
                let d = newton_direction(hessian, g).ok_or(StepFailure::SingularHessian)?;
                if let Some(record) = &mut self.record {
                    record.newton_direction = Some(d.iter().copied().collect());
                }
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
                    let trial_value = objective.in_domain(next).then(|| {
                        self.evaluations.values += 1;
                        objective.value(next)
                    });
                    let accepted =
                        trial_value.is_some_and(|f| f <= value - ARMIJO_C * s * g_norm_sq);
                    if let Some(record) = &mut self.record {
                        record.trials.push(Trial {
                            step: s,
                            value: trial_value,
                            accepted,
                        });
                    }
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
/// A Hessian that only looks singular for its scales (diag(2e16, 2) of 1e16 x^2 + y^2) is
/// solved again scaled by its diagonal, D H D y = D g with D = diag(1/sqrt|H_ii|) and d = D y:
/// the same d, with each row and column at the scale 1.
pub fn newton_direction(hessian: DMatrix<f64>, g: &[f64]) -> Option<DVector<f64>> {
    if let Some(d) = solve_regular(hessian.clone(), g) {
        return Some(d);
    }
    let scales: Vec<f64> = hessian
        .diagonal()
        .iter()
        .map(|h| {
            let s = 1.0 / h.abs().sqrt();
            if s.is_finite() && s > 0.0 { s } else { 1.0 }
        })
        .collect();
    if scales.iter().all(|s| *s == 1.0) {
        return None;
    }
    let n = g.len();
    let scaled = DMatrix::from_fn(n, n, |i, j| scales[i] * hessian[(i, j)] * scales[j]);
    let scaled_g: Vec<f64> = g.iter().zip(&scales).map(|(g, s)| g * s).collect();
    let y = solve_regular(scaled, &scaled_g)?;
    let d = DVector::from_iterator(n, y.iter().zip(&scales).map(|(y, s)| y * s));
    d.iter().all(|x| x.is_finite()).then_some(d)
}

/// Solves H d = g by LU; `None` when a pivot is a rounding of H's largest entry.
fn solve_regular(hessian: DMatrix<f64>, g: &[f64]) -> Option<DVector<f64>> {
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
