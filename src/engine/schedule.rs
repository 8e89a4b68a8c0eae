//! Learning-rate schedules with PyTorch's semantics (`torch.optim.lr_scheduler`), step k = 0
//! being the first step, and a linear warm-up that multiplies any of them.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::EngineError;

/// How the learning rate changes with the step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleKind {
    /// The same learning rate at every step.
    #[default]
    Constant,
    /// StepLR: lr * gamma^floor(k / step_size).
    Step,
    /// ExponentialLR: lr * gamma^k.
    Exponential,
    /// CosineAnnealingLR's closed form: eta_min + (lr - eta_min) (1 + cos(pi k / t_max)) / 2.
    Cosine,
}

impl ScheduleKind {
    /// Every schedule, in the order they are listed.
    pub const ALL: [ScheduleKind; 4] =
        [Self::Constant, Self::Step, Self::Exponential, Self::Cosine];

    /// The command-line name, e.g. `cosine`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Constant => "constant",
            Self::Step => "step",
            Self::Exponential => "exponential",
            Self::Cosine => "cosine",
        }
    }

    /// The formula, for listings and tooltips.
    pub fn formula(self) -> &'static str {
        match self {
            Self::Constant => "lr",
            Self::Step => "lr * gamma^floor(k / step_size)",
            Self::Exponential => "lr * gamma^k",
            Self::Cosine => "eta_min + (lr - eta_min) (1 + cos(pi k / t_max)) / 2",
        }
    }

    /// The schedule called `name` on the command line.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for ScheduleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Default step_size of StepLR.
pub const DEFAULT_STEP_SIZE: u64 = 30;
/// Default gamma of StepLR (PyTorch's).
pub const DEFAULT_STEP_GAMMA: f64 = 0.1;
/// Default gamma of ExponentialLR (PyTorch has none; this one halves lr in about 14 steps).
pub const DEFAULT_EXPONENTIAL_GAMMA: f64 = 0.95;
/// Default t_max of the cosine schedule.
pub const DEFAULT_T_MAX: u64 = 100;

/// A learning-rate schedule with its parameters; those a kind does not read are ignored.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Schedule {
    /// Which schedule.
    pub kind: ScheduleKind,
    /// StepLR's period in steps.
    pub step_size: u64,
    /// The factor of StepLR and ExponentialLR; `None` takes the kind's default.
    pub gamma: Option<f64>,
    /// The cosine schedule's half period in steps.
    pub t_max: u64,
    /// The cosine schedule's floor.
    pub eta_min: f64,
    /// Steps of linear warm-up (0: none): the rate is multiplied by min(1, (k + 1) / warmup).
    pub warmup: u64,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            kind: ScheduleKind::Constant,
            step_size: DEFAULT_STEP_SIZE,
            gamma: None,
            t_max: DEFAULT_T_MAX,
            eta_min: 0.0,
            warmup: 0,
        }
    }
}

impl Schedule {
    /// Whether every step uses the base learning rate.
    pub fn is_constant(&self) -> bool {
        self.kind == ScheduleKind::Constant && self.warmup <= 1
    }

    /// The gamma the schedule uses.
    pub fn gamma(&self) -> f64 {
        self.gamma.unwrap_or(match self.kind {
            ScheduleKind::Exponential => DEFAULT_EXPONENTIAL_GAMMA,
            _ => DEFAULT_STEP_GAMMA,
        })
    }

    /// The learning rate of step `k` (0 for the first) from base rate `lr`.
    pub fn lr(&self, lr: f64, k: u64) -> f64 {
        let scheduled = match self.kind {
            ScheduleKind::Constant => lr,
            ScheduleKind::Step => lr * power(self.gamma(), k / self.step_size.max(1)),
            ScheduleKind::Exponential => lr * power(self.gamma(), k),
            ScheduleKind::Cosine => {
                let phase = std::f64::consts::PI * k as f64 / self.t_max.max(1) as f64;
                self.eta_min + (lr - self.eta_min) * (1.0 + phase.cos()) / 2.0
            }
        };
        if self.warmup > 1 {
            scheduled * ((k + 1) as f64 / self.warmup as f64).min(1.0)
        } else {
            scheduled
        }
    }

    /// Checks the parameters the kind reads.
    pub fn validate(&self) -> Result<(), EngineError> {
        let bad = |name, value, allowed| {
            Err(EngineError::BadHyperparameter {
                name,
                value,
                allowed,
            })
        };
        if super::format::subnormal(self.gamma()) {
            return bad("gamma", self.gamma(), super::optimizer::POSITIVE_ALLOWED);
        }
        if super::format::subnormal(self.eta_min) {
            return bad("eta-min", self.eta_min, super::optimizer::SUBNORMAL_ALLOWED);
        }
        match self.kind {
            ScheduleKind::Constant => {}
            ScheduleKind::Step | ScheduleKind::Exponential => {
                let gamma = self.gamma();
                if !(gamma.is_finite() && gamma > 0.0 && gamma <= 1.0) {
                    return bad("gamma", gamma, "in (0, 1]");
                }
                if self.kind == ScheduleKind::Step && self.step_size == 0 {
                    return bad("step-size", 0.0, "a whole number >= 1");
                }
            }
            ScheduleKind::Cosine => {
                if self.t_max == 0 {
                    return bad("t-max", 0.0, "a whole number >= 1");
                }
                if !(self.eta_min.is_finite() && self.eta_min >= 0.0) {
                    return bad("eta-min", self.eta_min, "a finite number >= 0");
                }
            }
        }
        Ok(())
    }

    /// The schedule in words with its numbers, e.g. `cosine (t_max 100, eta_min 0)`.
    pub fn describe(&self) -> String {
        let main = match self.kind {
            ScheduleKind::Constant => "constant".to_string(),
            ScheduleKind::Step => format!(
                "step (step_size {}, gamma {})",
                self.step_size,
                super::format::human(self.gamma())
            ),
            ScheduleKind::Exponential => {
                format!("exponential (gamma {})", super::format::human(self.gamma()))
            }
            ScheduleKind::Cosine => format!(
                "cosine (t_max {}, eta_min {})",
                self.t_max,
                super::format::human(self.eta_min)
            ),
        };
        if self.warmup > 1 {
            format!("{main}, warm-up {}", self.warmup)
        } else {
            main
        }
    }
}

/// gamma^k by repeated squaring in floating point: k may exceed i32.
fn power(gamma: f64, k: u64) -> f64 {
    match i32::try_from(k) {
        Ok(k) => gamma.powi(k),
        Err(_) => gamma.powf(k as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warm_up_multiplies_and_ends() {
        let s = Schedule {
            warmup: 4,
            ..Schedule::default()
        };
        let lrs: Vec<f64> = (0..6).map(|k| s.lr(1.0, k)).collect();
        assert_eq!(lrs, vec![0.25, 0.5, 0.75, 1.0, 1.0, 1.0]);
        assert!(!s.is_constant());
        assert!(Schedule::default().is_constant());
    }

    #[test]
    fn bad_parameters_are_refused() {
        for s in [
            Schedule {
                kind: ScheduleKind::Step,
                step_size: 0,
                ..Schedule::default()
            },
            Schedule {
                kind: ScheduleKind::Exponential,
                gamma: Some(1.5),
                ..Schedule::default()
            },
            Schedule {
                kind: ScheduleKind::Cosine,
                t_max: 0,
                ..Schedule::default()
            },
            Schedule {
                kind: ScheduleKind::Cosine,
                eta_min: f64::NAN,
                ..Schedule::default()
            },
        ] {
            assert!(s.validate().is_err(), "{s:?}");
        }
    }
}
