//! The options every optimizer shares on the command line: hyperparameters, the
//! learning-rate schedule and gradient noise, for `descent run`, `descent race` and the
//! window.

use clap::Args;

use super::{UsageError, parse_count, parse_number};
use crate::engine::optimizer::{GradientNoise, OptimizerConfig};
use crate::engine::{EngineError, OptimizerKind, ScheduleKind};

/// Hyperparameters besides the learning rate, the schedule and the noise. Numbers are
/// parsed by hand so that every mistake gets a one-line message naming its flag.
#[derive(Debug, Clone, Default, Args)]
pub struct HyperArgs {
    /// Momentum beta of momentum and nesterov, in [0, 1).
    #[arg(long, allow_hyphen_values = true)]
    pub momentum: Option<String>,
    /// Smoothing constant alpha of rmsprop, in [0, 1).
    #[arg(long, allow_hyphen_values = true)]
    pub alpha: Option<String>,
    /// beta1 of the Adam family, in [0, 1).
    #[arg(long, allow_hyphen_values = true)]
    pub beta1: Option<String>,
    /// beta2 of the Adam family, in [0, 1).
    #[arg(long, allow_hyphen_values = true)]
    pub beta2: Option<String>,
    /// Epsilon of adagrad (default 1e-10), adadelta (1e-6), rmsprop and the Adam family (1e-8).
    #[arg(long, allow_hyphen_values = true)]
    pub eps: Option<String>,
    /// Weight decay (>= 0): added to the gradient as wd p; decoupled for adamw (default 0.01).
    #[arg(long, allow_hyphen_values = true)]
    pub weight_decay: Option<String>,
    /// Adam's and AdamW's AMSGrad variant: divide by the largest second moment so far.
    #[arg(long)]
    pub amsgrad: bool,
    /// rho of adadelta, in [0, 1) (default 0.9).
    #[arg(long, allow_hyphen_values = true)]
    pub rho: Option<String>,
    /// NAdam's momentum decay psi (>= 0, default 0.004).
    #[arg(long, allow_hyphen_values = true)]
    pub momentum_decay: Option<String>,
    /// Clip each gradient component to [-C, C] before the optimizer sees it.
    #[arg(long, allow_hyphen_values = true)]
    pub clip: Option<String>,
    /// Learning-rate schedule: constant (default), step, exponential or cosine.
    #[arg(long)]
    pub schedule: Option<String>,
    /// step: the period in steps of lr * gamma^floor(k / step_size) (default 30).
    #[arg(long, allow_hyphen_values = true)]
    pub step_size: Option<String>,
    /// step and exponential: the factor gamma, in (0, 1] (defaults 0.1 and 0.95).
    #[arg(long, allow_hyphen_values = true)]
    pub gamma: Option<String>,
    /// cosine: t_max of eta_min + (lr - eta_min)(1 + cos(pi k / t_max)) / 2 (default 100).
    #[arg(long, allow_hyphen_values = true)]
    pub t_max: Option<String>,
    /// cosine: the floor eta_min (>= 0, default 0).
    #[arg(long, allow_hyphen_values = true)]
    pub eta_min: Option<String>,
    /// Linear warm-up: multiply the rate by min(1, (k + 1) / N) (default: none).
    #[arg(long, allow_hyphen_values = true)]
    pub warmup: Option<String>,
    /// Add Gaussian noise of this standard deviation to every gradient (seeded by --seed).
    #[arg(long, allow_hyphen_values = true)]
    pub grad_noise: Option<String>,
}

impl HyperArgs {
    /// The hyperparameter flags given, with their values.
    fn given(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("momentum", &self.momentum),
            ("alpha", &self.alpha),
            ("beta1", &self.beta1),
            ("beta2", &self.beta2),
            ("eps", &self.eps),
            ("weight-decay", &self.weight_decay),
            ("rho", &self.rho),
            ("momentum-decay", &self.momentum_decay),
        ]
        .into_iter()
        .filter_map(|(flag, value)| Some((flag, value.as_deref()?)))
    }

    /// Checks that every hyperparameter given is read by one of `kinds` (the optimizers of
    /// a race): a flag none of them reads would be silently ignored.
    pub fn check_read_by(&self, kinds: &[OptimizerKind]) -> Result<(), UsageError> {
        let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
        for (flag, _) in self.given() {
            if !kinds
                .iter()
                .any(|k| k.hyperparameters().iter().any(|h| h.flag == flag))
            {
                let mut error = not_read(kinds[0], flag);
                error.0 = error.0.replacen(kinds[0].name(), &names.join(", "), 1);
                return Err(error);
            }
        }
        if self.amsgrad && !kinds.iter().any(|k| k.reads_amsgrad()) {
            return Err(UsageError(format!(
                "--amsgrad: {} do not use it; it applies to adam, adamw",
                names.join(", ")
            )));
        }
        Ok(())
    }

    /// Sets `config`'s hyperparameters, schedule and noise from the flags. When `strict`,
    /// a hyperparameter the optimizer does not read is an error; otherwise (a race of
    /// several optimizers) it goes to those that read it.
    pub fn apply(
        &self,
        config: &mut OptimizerConfig,
        seed: u64,
        strict: bool,
    ) -> Result<(), UsageError> {
        let kind = config.kind;
        for (flag, text) in self.given() {
            let reads = kind.hyperparameters().iter().any(|h| h.flag == flag);
            if reads {
                config.set(flag, parse_number(&format!("--{flag}"), text)?);
            } else if strict {
                return Err(not_read(kind, flag));
            }
        }
        if self.amsgrad {
            if kind.reads_amsgrad() {
                config.amsgrad = true;
            } else if strict {
                return Err(UsageError(format!(
                    "--amsgrad: {} does not use it; it applies to adam, adamw",
                    kind.name()
                )));
            }
        }
        if let Some(text) = &self.clip {
            config.clip = Some(parse_number("--clip", text)?);
        }
        self.apply_schedule(config)?;
        if let Some(text) = &self.grad_noise {
            let sigma = parse_number("--grad-noise", text)?;
            config.noise = Some(GradientNoise { sigma, seed });
        }
        config.validate().map_err(|e| {
            let flag = flag_of(&e);
            // 0.99999999999999999 is refused as "got 1": say why it is 1.
            let note = self
                .given()
                .find(|(name, _)| flag == format!("--{name}"))
                .and_then(|(_, text)| {
                    let value = text.trim().parse::<f64>().ok()?;
                    crate::engine::format::rounding_note(text, value)
                });
            match note {
                Some(note) => UsageError(format!("{flag}: {e}; {note}")),
                None => UsageError(format!("{flag}: {e}")),
            }
        })
    }

    fn apply_schedule(&self, config: &mut OptimizerConfig) -> Result<(), UsageError> {
        let schedule = &mut config.schedule;
        if let Some(name) = &self.schedule {
            schedule.kind = ScheduleKind::from_name(name).ok_or_else(|| {
                let names: Vec<&str> = ScheduleKind::ALL.iter().map(|k| k.name()).collect();
                UsageError(format!(
                    "--schedule: unknown schedule '{name}'; choose one of {}",
                    names.join(", ")
                ))
            })?;
        }
        let kind = schedule.kind;
        let options: [(&str, &Option<String>, &[ScheduleKind]); 4] = [
            ("step-size", &self.step_size, &[ScheduleKind::Step]),
            (
                "gamma",
                &self.gamma,
                &[ScheduleKind::Step, ScheduleKind::Exponential],
            ),
            ("t-max", &self.t_max, &[ScheduleKind::Cosine]),
            ("eta-min", &self.eta_min, &[ScheduleKind::Cosine]),
        ];
        for (flag, given, users) in options {
            if given.is_some() && !users.contains(&kind) {
                let users: Vec<&str> = users.iter().map(|k| k.name()).collect();
                return Err(UsageError(format!(
                    "--{flag}: the {} schedule does not use it; it applies to --schedule {}",
                    kind.name(),
                    users.join(", ")
                )));
            }
        }
        let whole = |flag: &str, text: &str| -> Result<u64, UsageError> {
            let n = parse_count(flag, text)?;
            u64::try_from(n)
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| UsageError(format!("{flag}: must be a whole number >= 1, got {n}")))
        };
        if let Some(text) = &self.step_size {
            schedule.step_size = whole("--step-size", text)?;
        }
        if let Some(text) = &self.gamma {
            schedule.gamma = Some(parse_number("--gamma", text)?);
        }
        if let Some(text) = &self.t_max {
            schedule.t_max = whole("--t-max", text)?;
        }
        if let Some(text) = &self.eta_min {
            schedule.eta_min = parse_number("--eta-min", text)?;
        }
        if let Some(text) = &self.warmup {
            // 0 steps of warm-up is none, the default.
            let n = parse_count("--warmup", text)?;
            schedule.warmup = u64::try_from(n).map_err(|_| {
                UsageError(format!("--warmup: must be a whole number >= 0, got {n}"))
            })?;
        }
        Ok(())
    }
}

/// The error for a hyperparameter `kind` does not read, naming those that do.
fn not_read(kind: OptimizerKind, flag: &str) -> UsageError {
    let users: Vec<&str> = OptimizerKind::ALL
        .iter()
        .filter(|k| k.hyperparameters().iter().any(|h| h.flag == flag))
        .map(|k| k.name())
        .collect();
    UsageError(format!(
        "--{flag}: {} does not use it; it applies to {}",
        kind.name(),
        users.join(", ")
    ))
}

/// The flag that sets the value an error is about.
pub fn flag_of(e: &EngineError) -> String {
    match e {
        EngineError::BadHyperparameter { name, .. } => match *name {
            "learning rate" => "--lr".to_string(),
            name => format!("--{name}"),
        },
        _ => "--optimizer".to_string(),
    }
}
