//! A step's update rule with its numbers in it: `x_13 = x - lr * g = 0.523 - 0.2 * (-0.0012)
//! = 0.5232`, one line per parameter and per quantity the optimizer keeps.
//!
//! Every number comes from a [`StepTrace`]: the engine's own state before and after the
//! step and the point it computed. The numeric side of each line is an expression descent's
//! formula parser reads, so tests check that it evaluates to the result shown.

use super::format;
use super::inspect::StepTrace;
use super::optimizer::{ARMIJO_C, OptimizerKind};
use super::run::StopReason;

/// One line of an explanation.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    /// A remark in words, e.g. which trial step the line search accepted.
    Note(String),
    /// A quantity computed by a rule from numbers.
    Formula(Formula),
}

/// `target = rule = numbers = result`.
#[derive(Clone, Debug, PartialEq)]
pub struct Formula {
    /// What is computed, e.g. `x_13` or `m(x)`.
    pub target: String,
    /// The rule in symbols, e.g. `x - lr * g`.
    pub rule: String,
    /// The rule with `{}` where each operand goes, e.g. `{} - {} * {}`.
    template: String,
    /// The numbers, in the template's order.
    pub operands: Vec<f64>,
    /// The value computed.
    pub result: f64,
    /// The parameter a per-parameter line is about, and the quantity it computes (`m`, or
    /// empty for the new iterate).
    pub per: Option<(usize, String)>,
}

impl Formula {
    fn new(
        target: impl Into<String>,
        rule: &str,
        template: &str,
        operands: &[f64],
        result: f64,
    ) -> Self {
        debug_assert_eq!(template.matches("{}").count(), operands.len());
        Self {
            target: target.into(),
            rule: rule.to_string(),
            template: template.to_string(),
            operands: operands.to_vec(),
            result,
            per: None,
        }
    }

    /// The rule with each operand written by `number`; negative operands in parentheses.
    pub fn numbers(&self, number: impl Fn(f64) -> String) -> String {
        let mut out = String::new();
        let mut operands = self.operands.iter();
        let mut parts = self.template.split("{}");
        if let Some(first) = parts.next() {
            out.push_str(first);
        }
        for part in parts {
            if let Some(&v) = operands.next() {
                let text = number(v);
                if text.starts_with('-') {
                    out.push_str(&format!("({text})"));
                } else {
                    out.push_str(&text);
                }
            }
            out.push_str(part);
        }
        out
    }
}

impl std::fmt::Display for Formula {
    /// `target = rule = numbers = result`, numbers to four significant digits.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} = ", self.target)?;
        if !self.rule.is_empty() {
            write!(f, "{} = ", self.rule)?;
        }
        let numbers = self.numbers(format::short);
        let result = format::short(self.result);
        if numbers == result {
            f.write_str(&result)
        } else {
            write!(f, "{numbers} = {result}")
        }
    }
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Line::Note(text) => f.write_str(text),
            Line::Formula(formula) => formula.fmt(f),
        }
    }
}

/// The update rule of `trace`'s step with its numbers, for parameters named `names`.
pub fn explain(trace: &StepTrace, names: &[String]) -> Vec<Line> {
    let mut lines = Vec::new();
    let config = &trace.config;
    let k1 = trace.k + 1;
    let t = trace.after.t as f64;
    let lr = trace.lr;
    let dim = trace.point.len();
    let name = |i: usize| {
        names
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("p{}", i + 1))
    };
    let target = |i: usize| format!("{}_{k1}", name(i));
    // A line about parameter i: `quantity(name)`, or `name_k+1` for the new iterate.
    let per =
        |i: usize, quantity: &str, rule: &str, template: &str, operands: &[f64], result: f64| {
            let target = if quantity.is_empty() {
                target(i)
            } else {
                format!("{quantity}({})", name(i))
            };
            Formula {
                per: Some((i, quantity.to_string())),
                ..Formula::new(target, rule, template, operands, result)
            }
        };

    if !config.schedule.is_constant() {
        add(
            &mut lines,
            Formula::new(
                format!("lr_{}", trace.k),
                &format!("schedule({}, k = {})", format::short(config.lr), trace.k),
                "{}",
                &[lr],
                lr,
            ),
        );
    }
    // The gradient the rule uses: noise, clipping and weight decay, in that order.
    let mut g = trace.gradient.clone();
    if let Some(noisy) = &trace.noisy {
        for i in 0..dim {
            add(
                &mut lines,
                per(
                    i,
                    "g",
                    "grad f + noise",
                    "{} + {}",
                    &[g[i], noisy[i] - g[i]],
                    noisy[i],
                ),
            );
        }
        g.clone_from(noisy);
    }
    if let Some(c) = config.clip {
        for (i, (&before, &after)) in g.iter().zip(&trace.seen).enumerate() {
            if before != after {
                add(
                    &mut lines,
                    per(
                        i,
                        "g",
                        "clip(g, -c, c)",
                        "min(max({}, {}), {})",
                        &[before, -c, c],
                        after,
                    ),
                );
            }
        }
    }
    g.clone_from(&trace.seen);
    if let Some(decayed) = &trace.record.decayed {
        for i in 0..dim {
            add(
                &mut lines,
                per(
                    i,
                    "g",
                    "g + wd * p",
                    "{} + {} * {}",
                    &[g[i], config.weight_decay(), trace.point[i]],
                    decayed[i],
                ),
            );
        }
        g.clone_from(decayed);
    }

    let (before, after) = (&trace.before, &trace.after);
    let p = &trace.point;
    let next = &trace.next;
    let (beta1, beta2, eps) = (config.beta1, config.beta2, config.eps());
    let c1 = 1.0 - beta1.powf(t);
    let c2 = 1.0 - beta2.powf(t);
    let first_moment = |i: usize| {
        per(
            i,
            "m",
            "beta1 * m + (1 - beta1) * g",
            "{} * {} + (1 - {}) * {}",
            &[beta1, before.first[i], beta1, g[i]],
            after.first[i],
        )
    };
    let second_moment = |i: usize| {
        per(
            i,
            "v",
            "beta2 * v + (1 - beta2) * g^2",
            "{} * {} + (1 - {}) * {}^2",
            &[beta2, before.second[i], beta2, g[i]],
            after.second[i],
        )
    };
    match config.kind {
        OptimizerKind::Gd => {
            for i in 0..dim {
                add(
                    &mut lines,
                    per(
                        i,
                        "",
                        "p - lr * g",
                        "{} - {} * {}",
                        &[p[i], lr, g[i]],
                        next[i],
                    ),
                );
            }
        }
        OptimizerKind::Momentum | OptimizerKind::Nesterov => {
            let beta = config.momentum;
            for i in 0..dim {
                add(
                    &mut lines,
                    if after.t == 1 {
                        per(i, "b", "g (first step)", "{}", &[g[i]], after.first[i])
                    } else {
                        per(
                            i,
                            "b",
                            "beta * b + g",
                            "{} * {} + {}",
                            &[beta, before.first[i], g[i]],
                            after.first[i],
                        )
                    },
                );
                add(
                    &mut lines,
                    if config.kind == OptimizerKind::Nesterov {
                        per(
                            i,
                            "",
                            "p - lr * (g + beta * b)",
                            "{} - {} * ({} + {} * {})",
                            &[p[i], lr, g[i], beta, after.first[i]],
                            next[i],
                        )
                    } else {
                        per(
                            i,
                            "",
                            "p - lr * b",
                            "{} - {} * {}",
                            &[p[i], lr, after.first[i]],
                            next[i],
                        )
                    },
                );
            }
        }
        OptimizerKind::Adagrad => {
            for i in 0..dim {
                add(
                    &mut lines,
                    per(
                        i,
                        "s",
                        "s + g^2",
                        "{} + {}^2",
                        &[before.first[i], g[i]],
                        after.first[i],
                    ),
                );
                add(
                    &mut lines,
                    per(
                        i,
                        "",
                        "p - lr * g / (sqrt(s) + eps)",
                        "{} - {} * {} / (sqrt({}) + {})",
                        &[p[i], lr, g[i], after.first[i], eps],
                        next[i],
                    ),
                );
            }
        }
        OptimizerKind::Rmsprop => {
            let alpha = config.alpha;
            for i in 0..dim {
                add(
                    &mut lines,
                    per(
                        i,
                        "v",
                        "alpha * v + (1 - alpha) * g^2",
                        "{} * {} + (1 - {}) * {}^2",
                        &[alpha, before.second[i], alpha, g[i]],
                        after.second[i],
                    ),
                );
                add(
                    &mut lines,
                    per(
                        i,
                        "",
                        "p - lr * g / (sqrt(v) + eps)",
                        "{} - {} * {} / (sqrt({}) + {})",
                        &[p[i], lr, g[i], after.second[i], eps],
                        next[i],
                    ),
                );
            }
        }
        OptimizerKind::Adadelta => {
            let rho = config.rho;
            for i in 0..dim {
                add(
                    &mut lines,
                    per(
                        i,
                        "v",
                        "rho * v + (1 - rho) * g^2",
                        "{} * {} + (1 - {}) * {}^2",
                        &[rho, before.second[i], rho, g[i]],
                        after.second[i],
                    ),
                );
                let delta = (before.third[i] + eps).sqrt() / (after.second[i] + eps).sqrt() * g[i];
                add(
                    &mut lines,
                    per(
                        i,
                        "d",
                        "sqrt(u + eps) / sqrt(v + eps) * g",
                        "sqrt({} + {}) / sqrt({} + {}) * {}",
                        &[before.third[i], eps, after.second[i], eps, g[i]],
                        delta,
                    ),
                );
                add(
                    &mut lines,
                    per(
                        i,
                        "u",
                        "rho * u + (1 - rho) * d^2",
                        "{} * {} + (1 - {}) * {}^2",
                        &[rho, before.third[i], rho, delta],
                        after.third[i],
                    ),
                );
                add(
                    &mut lines,
                    per(
                        i,
                        "",
                        "p - lr * d",
                        "{} - {} * {}",
                        &[p[i], lr, delta],
                        next[i],
                    ),
                );
            }
        }
        OptimizerKind::Adam | OptimizerKind::AdamW => {
            let decoupled = config.kind == OptimizerKind::AdamW;
            let wd = config.weight_decay();
            add(
                &mut lines,
                Formula::new("1 - beta1^t", "", "1 - {}^{}", &[beta1, t], c1),
            );
            add(
                &mut lines,
                Formula::new("1 - beta2^t", "", "1 - {}^{}", &[beta2, t], c2),
            );
            for i in 0..dim {
                add(&mut lines, first_moment(i));
                add(&mut lines, second_moment(i));
                let v = if config.amsgrad {
                    add(
                        &mut lines,
                        per(
                            i,
                            "vmax",
                            "max(vmax, v)",
                            "max({}, {})",
                            &[before.third[i], after.second[i]],
                            after.third[i],
                        ),
                    );
                    after.third[i]
                } else {
                    after.second[i]
                };
                let v_name = if config.amsgrad { "vmax" } else { "v" };
                let m_hat = after.first[i] / c1;
                let v_hat = v / c2;
                add(
                    &mut lines,
                    per(
                        i,
                        "m^",
                        "m / (1 - beta1^t)",
                        "{} / {}",
                        &[after.first[i], c1],
                        m_hat,
                    ),
                );
                add(
                    &mut lines,
                    per(
                        i,
                        "v^",
                        &format!("{v_name} / (1 - beta2^t)"),
                        "{} / {}",
                        &[v, c2],
                        v_hat,
                    ),
                );
                add(
                    &mut lines,
                    if decoupled {
                        per(
                            i,
                            "",
                            "p * (1 - lr * wd) - lr * m^ / (sqrt(v^) + eps)",
                            "{} * (1 - {} * {}) - {} * {} / (sqrt({}) + {})",
                            &[p[i], lr, wd, lr, m_hat, v_hat, eps],
                            next[i],
                        )
                    } else {
                        per(
                            i,
                            "",
                            "p - lr * m^ / (sqrt(v^) + eps)",
                            "{} - {} * {} / (sqrt({}) + {})",
                            &[p[i], lr, m_hat, v_hat, eps],
                            next[i],
                        )
                    },
                );
            }
        }
        OptimizerKind::Adamax => {
            add(
                &mut lines,
                Formula::new("1 - beta1^t", "", "1 - {}^{}", &[beta1, t], c1),
            );
            for i in 0..dim {
                add(&mut lines, first_moment(i));
                add(
                    &mut lines,
                    per(
                        i,
                        "u",
                        "max(beta2 * u, |g| + eps)",
                        "max({} * {}, abs({}) + {})",
                        &[beta2, before.third[i], g[i], eps],
                        after.third[i],
                    ),
                );
                add(
                    &mut lines,
                    per(
                        i,
                        "",
                        "p - lr * m / ((1 - beta1^t) * u)",
                        "{} - {} * {} / ({} * {})",
                        &[p[i], lr, after.first[i], c1, after.third[i]],
                        next[i],
                    ),
                );
            }
        }
        OptimizerKind::NAdam => {
            let psi = config.momentum_decay;
            let mu = |t: f64| beta1 * (1.0 - 0.5 * 0.96f64.powf(t * psi));
            let (mu_t, mu_next) = (mu(t), mu(t + 1.0));
            add(
                &mut lines,
                Formula::new(
                    "mu_t",
                    "beta1 * (1 - 0.5 * 0.96^(t * psi))",
                    "{} * (1 - 0.5 * 0.96^({} * {}))",
                    &[beta1, t, psi],
                    mu_t,
                ),
            );
            add(
                &mut lines,
                Formula::new(
                    "mu_t+1",
                    "beta1 * (1 - 0.5 * 0.96^((t + 1) * psi))",
                    "{} * (1 - 0.5 * 0.96^({} * {}))",
                    &[beta1, t + 1.0, psi],
                    mu_next,
                ),
            );
            add(
                &mut lines,
                Formula::new(
                    "prod mu",
                    "prod mu * mu_t",
                    "{} * {}",
                    &[before.mu_product, mu_t],
                    after.mu_product,
                ),
            );
            add(
                &mut lines,
                Formula::new("1 - beta2^t", "", "1 - {}^{}", &[beta2, t], c2),
            );
            let product = after.mu_product;
            for i in 0..dim {
                add(&mut lines, first_moment(i));
                add(&mut lines, second_moment(i));
                let m_hat = mu_next * after.first[i] / (1.0 - product * mu_next)
                    + (1.0 - mu_t) * g[i] / (1.0 - product);
                add(
                    &mut lines,
                    per(
                        i,
                        "m^",
                        "mu_t+1 * m / (1 - prod mu * mu_t+1) + (1 - mu_t) * g / (1 - prod mu)",
                        "{} * {} / (1 - {} * {}) + (1 - {}) * {} / (1 - {})",
                        &[
                            mu_next,
                            after.first[i],
                            product,
                            mu_next,
                            mu_t,
                            g[i],
                            product,
                        ],
                        m_hat,
                    ),
                );
                let v_hat = after.second[i] / c2;
                add(
                    &mut lines,
                    per(
                        i,
                        "v^",
                        "v / (1 - beta2^t)",
                        "{} / {}",
                        &[after.second[i], c2],
                        v_hat,
                    ),
                );
                add(
                    &mut lines,
                    per(
                        i,
                        "",
                        "p - lr * m^ / (sqrt(v^) + eps)",
                        "{} - {} * {} / (sqrt({}) + {})",
                        &[p[i], lr, m_hat, v_hat, eps],
                        next[i],
                    ),
                );
            }
        }
        OptimizerKind::RAdam => {
            let rho_inf = 2.0 / (1.0 - beta2) - 1.0;
            let beta2_t = beta2.powf(t);
            let rho_t = rho_inf - 2.0 * t * beta2_t / c2;
            add(
                &mut lines,
                Formula::new("1 - beta1^t", "", "1 - {}^{}", &[beta1, t], c1),
            );
            add(
                &mut lines,
                Formula::new(
                    "rho_inf",
                    "2 / (1 - beta2) - 1",
                    "2 / (1 - {}) - 1",
                    &[beta2],
                    rho_inf,
                ),
            );
            add(
                &mut lines,
                Formula::new(
                    "rho_t",
                    "rho_inf - 2 * t * beta2^t / (1 - beta2^t)",
                    "{} - 2 * {} * {}^{} / (1 - {}^{})",
                    &[rho_inf, t, beta2, t, beta2, t],
                    rho_t,
                ),
            );
            let rect = (rho_t > 5.0).then(|| {
                ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                    / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                    .sqrt()
            });
            match rect {
                Some(r) => add(&mut lines, Formula::new(
                    "r_t",
                    "sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))",
                    "sqrt(({} - 4) * ({} - 2) * {} / (({} - 4) * ({} - 2) * {}))",
                    &[rho_t, rho_t, rho_inf, rho_inf, rho_inf, rho_t],
                    r,
                )),
                None => lines.push(Line::Note(
                    "rho_t <= 5: the variance is not yet tractable, so no adaptive rate: p - lr * m^"
                        .to_string(),
                )),
            }
            for i in 0..dim {
                add(&mut lines, first_moment(i));
                add(&mut lines, second_moment(i));
                let m_hat = after.first[i] / c1;
                add(
                    &mut lines,
                    per(
                        i,
                        "m^",
                        "m / (1 - beta1^t)",
                        "{} / {}",
                        &[after.first[i], c1],
                        m_hat,
                    ),
                );
                match rect {
                    Some(r) => {
                        let l = c2.sqrt() / (after.second[i].sqrt() + eps);
                        add(
                            &mut lines,
                            per(
                                i,
                                "l",
                                "sqrt(1 - beta2^t) / (sqrt(v) + eps)",
                                "sqrt({}) / (sqrt({}) + {})",
                                &[c2, after.second[i], eps],
                                l,
                            ),
                        );
                        add(
                            &mut lines,
                            per(
                                i,
                                "",
                                "p - lr * m^ * r_t * l",
                                "{} - {} * {} * {} * {}",
                                &[p[i], lr, m_hat, r, l],
                                next[i],
                            ),
                        );
                    }
                    None => add(
                        &mut lines,
                        per(
                            i,
                            "",
                            "p - lr * m^",
                            "{} - {} * {}",
                            &[p[i], lr, m_hat],
                            next[i],
                        ),
                    ),
                }
            }
        }
        OptimizerKind::Newton => {
            if let Some(h) = &trace.record.hessian {
                let rows: Vec<String> = h
                    .row_iter()
                    .map(|row| {
                        let cells: Vec<String> = row.iter().map(|v| format::short(*v)).collect();
                        format!("[{}]", cells.join(", "))
                    })
                    .collect();
                lines.push(Line::Note(format!("H = [{}]", rows.join(", "))));
            }
            match &trace.record.newton_direction {
                Some(d) => {
                    for (i, &di) in d.iter().enumerate() {
                        add(&mut lines, per(i, "d", "(H^-1 g)", "{}", &[di], di));
                    }
                    for i in 0..dim {
                        add(
                            &mut lines,
                            per(
                                i,
                                "",
                                "p - lr * d",
                                "{} - {} * {}",
                                &[p[i], lr, d[i]],
                                next[i],
                            ),
                        );
                    }
                }
                None => lines.push(Line::Note(
                    "H is singular here: H d = g has no unique solution, so Newton's method stops."
                        .to_string(),
                )),
            }
        }
        OptimizerKind::LineSearch => {
            let g_norm_sq: f64 = g.iter().map(|v| v * v).sum();
            lines.push(Line::Note(format!(
                "f(p) = {}, |g|^2 = {}; accept s when f(p - s g) <= f(p) - {} * s * |g|^2",
                format::short(trace.value),
                format::short(g_norm_sq),
                format::short(ARMIJO_C),
            )));
            for trial in &trace.record.trials {
                let bound = trace.value - ARMIJO_C * trial.step * g_norm_sq;
                let text = match trial.value {
                    Some(f) if trial.accepted => format!(
                        "s = {}: f = {} <= {}: accept",
                        format::short(trial.step),
                        format::short(f),
                        format::short(bound)
                    ),
                    Some(f) => format!(
                        "s = {}: f = {} > {}: halve",
                        format::short(trial.step),
                        format::short(f),
                        format::short(bound)
                    ),
                    None => format!(
                        "s = {}: outside the domain: halve",
                        format::short(trial.step)
                    ),
                };
                lines.push(Line::Note(text));
            }
            if let Some(accepted) = trace.record.trials.iter().find(|t| t.accepted) {
                let s = accepted.step;
                for i in 0..dim {
                    add(
                        &mut lines,
                        per(
                            i,
                            "",
                            "p - s * g",
                            "{} - {} * {}",
                            &[p[i], s, g[i]],
                            next[i],
                        ),
                    );
                }
            }
        }
    }
    match (trace.stop, trace.next_value) {
        (None, Some(f)) => lines.push(Line::Note(format!(
            "f({}) = {}",
            (0..dim).map(target).collect::<Vec<_>>().join(", "),
            format::short(f)
        ))),
        (Some(reason), _) => lines.push(Line::Note(stop_note(reason))),
        (None, None) => {}
    }
    lines
}

fn add(lines: &mut Vec<Line>, formula: Formula) {
    lines.push(Line::Formula(formula));
}

/// Why this step ends the run, in a sentence.
fn stop_note(reason: StopReason) -> String {
    match reason {
        StopReason::Diverged => {
            "This step diverges: the new point is not finite, its |p| exceeds 1e12, or f is not finite there.".to_string()
        }
        StopReason::LeftDomain => "This step leaves the function's domain: the run stops.".to_string(),
        StopReason::SingularHessian => "Singular Hessian: the run stops.".to_string(),
        StopReason::LineSearchFailed => {
            "No trial step decreased f enough: the line search fails and the run stops.".to_string()
        }
        other => format!("The run stops: {}.", other.phrase()),
    }
}
