//! The [`Objective`] trait: what every function descent can minimize provides.

use std::fmt;

use nalgebra::DMatrix;

/// A closed interval `[lo, hi]` of one parameter, used for the default view.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Interval {
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

impl Interval {
    /// An interval from `lo` to `hi`.
    pub const fn new(lo: f64, hi: f64) -> Self {
        Self { lo, hi }
    }

    /// The length `hi - lo`.
    pub fn width(&self) -> f64 {
        self.hi - self.lo
    }

    /// The midpoint.
    pub fn center(&self) -> f64 {
        0.5 * (self.lo + self.hi)
    }

    /// Whether `v` lies in the closed interval.
    pub fn contains(&self, v: f64) -> bool {
        self.lo <= v && v <= self.hi
    }
}

/// The widest view a window shows: beyond this, pixels and arrows lose their meaning.
pub const MAX_VIEW: f64 = 1e12;

/// Reads a view box `XMIN,XMAX` (a curve) or `XMIN,XMAX,YMIN,YMAX` (a surface) for an
/// objective of `dim` parameters, each range finite, increasing and within +-1e12.
pub fn parse_view(text: &str, dim: usize) -> Result<Vec<Interval>, String> {
    let numbers: Vec<&str> = text.split(',').map(str::trim).collect();
    let expected = if dim == 1 {
        "XMIN,XMAX"
    } else {
        "XMIN,XMAX,YMIN,YMAX"
    };
    // `-3 3 -3 3` or `[-3,3]x[-3,3]`: the numbers alone, joined by commas.
    let hint = if text.trim().contains([' ', '[', ']', '(', ')', 'x', ';']) {
        format!(
            ": the {} numbers alone, joined by commas, e.g. {}",
            2 * dim,
            if dim == 1 { "-3,3" } else { "-3,3,-3,3" }
        )
    } else {
        String::new()
    };
    if numbers.len() != 2 * dim {
        return Err(format!(
            "'{text}' has {} number{}; a {} takes {expected}{hint}",
            numbers.len(),
            if numbers.len() == 1 { "" } else { "s" },
            if dim == 1 { "curve" } else { "surface" },
        ));
    }
    let mut values = Vec::with_capacity(numbers.len());
    for number in numbers {
        let value: f64 = number.parse().map_err(|_| {
            format!(
                "'{number}' is not a number (in '{text}', {expected}){hint}{}",
                super::format::typing_hint(number)
            )
        })?;
        if value.is_nan() {
            return Err(format!(
                "'{number}' is not a number (in '{text}', {expected}): each end is a finite number"
            ));
        }
        // Digits past f64's range read as infinity, digits below it as 0.
        if super::format::overflows(number, value) {
            return Err(
                "a number of the view is beyond the largest number (about 1.8e308); a view lies within -1e12 and 1e12"
                    .to_string(),
            );
        }
        if super::format::underflows(number, value) {
            return Err(format!("'{number}' {}", super::format::UNDERFLOW));
        }
        values.push(value);
    }
    let view: Vec<Interval> = values
        .chunks(2)
        .map(|pair| Interval::new(pair[0], pair[1]))
        .collect();
    check_view(&view)?;
    Ok(view)
}

/// Checks that each range of a view box is finite, increasing, not vanishingly narrow and
/// within +-1e12.
pub fn check_view(view: &[Interval]) -> Result<(), String> {
    for (axis, range) in ["x", "y"].iter().zip(view) {
        let Interval { lo, hi } = *range;
        let (mut lo_text, mut hi_text) = (super::format::human(lo), super::format::human(hi));
        if lo_text == hi_text && lo != hi {
            // Ends that round alike are said in full (1 to 1.000000001, not 1 to 1).
            (lo_text, hi_text) = (lo.to_string(), hi.to_string());
        }
        if !(lo.is_finite() && hi.is_finite()) || lo.abs() > MAX_VIEW || hi.abs() > MAX_VIEW {
            return Err(format!(
                "the {axis} range must lie within -1e12 and 1e12, got {lo_text} to {hi_text}"
            ));
        }
        if hi <= lo {
            return Err(format!(
                "the {axis} range must increase (min < max), got {lo_text} to {hi_text}"
            ));
        }
        if hi - lo < 1e-9 * (1.0 + lo.abs().max(hi.abs())) {
            return Err(format!(
                "the {axis} range {lo_text} to {hi_text} is too narrow to draw"
            ));
        }
    }
    Ok(())
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {}]", self.lo, self.hi)
    }
}

/// Everything about an objective that is not arithmetic: names, formula, view and minima.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectiveInfo {
    /// The command-line name, e.g. `three-wells`.
    pub name: String,
    /// The formula for display, e.g. `(x-1)^2 + (y-2)^2`.
    pub formula: String,
    /// One name per parameter: `x`, `y` for surfaces, `x` for curves, `x1..xn` in n-D.
    pub param_names: Vec<String>,
    /// The default view box, one interval per parameter.
    pub view: Vec<Interval>,
    /// Known local or global minima, global first.
    pub minima: Vec<Vec<f64>>,
    /// A start point inside the domain that makes a good first run.
    pub default_start: Vec<f64>,
    /// The domain in words, e.g. `x > 0`, or `all real numbers`.
    pub domain: String,
}

impl ObjectiveInfo {
    /// The number of parameters.
    pub fn dim(&self) -> usize {
        self.param_names.len()
    }
}

/// The value, gradient and Hessian of an objective at one point.
#[derive(Clone, Debug, PartialEq)]
pub struct SecondOrder {
    /// f(p).
    pub value: f64,
    /// The gradient of f at p.
    pub gradient: Vec<f64>,
    /// The Hessian of f at p.
    pub hessian: DMatrix<f64>,
}

/// A function of n real parameters that descent can minimize.
///
/// Implementors write the function once, generically, and get derivatives by automatic
/// (or symbolic) differentiation. Every method takes points with exactly [`Self::dim`]
/// coordinates; callers check the dimension once, when a run is set up.
pub trait Objective: Send + Sync + fmt::Debug {
    /// Names, formula, default view and known minima.
    fn info(&self) -> &ObjectiveInfo;

    /// The number of parameters.
    fn dim(&self) -> usize {
        self.info().dim()
    }

    /// Whether `p` lies in the domain where f is defined.
    fn in_domain(&self, p: &[f64]) -> bool;

    /// Whether f or its gradient at `p`, outside the domain, is infinite rather than
    /// undefined: a run that reaches `p` overflowed (diverged) rather than left the domain.
    /// A function whose domain is given by its formula's own bounds says no.
    fn overflows_at(&self, _p: &[f64]) -> bool {
        false
    }

    /// f(p).
    fn value(&self, p: &[f64]) -> f64;

    /// f(p), writing the gradient of f at p into `gradient`.
    fn value_and_gradient(&self, p: &[f64], gradient: &mut [f64]) -> f64;

    /// f(p), its gradient and its Hessian.
    fn second_order(&self, p: &[f64]) -> SecondOrder;

    /// f at `(x, y)` for every `x` in `xs`, written to `out` (same length).
    ///
    /// For 1-D objectives `y` is ignored; for n-D objectives the remaining coordinates are 0.
    /// This is the hot loop of heatmaps, so implementations keep it free of allocation.
    fn values_on_row(&self, xs: &[f64], y: f64, out: &mut [f64]) {
        let mut p = vec![0.0; self.dim()];
        for (o, &x) in out.iter_mut().zip(xs) {
            p[0] = x;
            if p.len() > 1 {
                p[1] = y;
            }
            *o = self.value(&p);
        }
    }

    /// f at `(x, y)` for every `x` in `xs` where the objective is defined (see
    /// [`Self::in_domain`]), NaN elsewhere. For most objectives f is undefined exactly where
    /// it is not finite, so this is [`Self::values_on_row`]; a typed function is also
    /// undefined where only its gradient is not finite.
    fn defined_values_on_row(&self, xs: &[f64], y: f64, out: &mut [f64]) {
        self.values_on_row(xs, y, out);
    }

    /// Runs many descents at once, as [`super::lanes::descend_many`] does, writing where
    /// each ended to `out`; `false` (and nothing written) where this objective or the
    /// optimizer cannot (then each descends alone). The presets of two variables can, for
    /// the optimizers of [`super::lanes::steps_in_lanes`].
    fn descend_many(
        &self,
        _descents: &super::lanes::Descents,
        _out: &mut [super::lanes::Landing],
    ) -> bool {
        false
    }

    /// f and its gradient at `(x, y)` for every `x` in `xs`: values to `values`, the
    /// partial derivatives to `dx` and `dy` (all as long as `xs`). For 1-D objectives `y` is
    /// ignored and `dy` is 0; for n-D objectives the remaining coordinates are 0. The arrows
    /// of a view ask whole rows at once.
    fn gradients_on_row(
        &self,
        xs: &[f64],
        y: f64,
        values: &mut [f64],
        dx: &mut [f64],
        dy: &mut [f64],
    ) {
        let mut p = vec![0.0; self.dim()];
        let mut g = vec![0.0; self.dim()];
        for (i, &x) in xs.iter().enumerate() {
            p[0] = x;
            if p.len() > 1 {
                p[1] = y;
            }
            values[i] = self.value_and_gradient(&p, &mut g);
            dx[i] = g[0];
            dy[i] = g.get(1).copied().unwrap_or(0.0);
        }
    }
}

/// A point of `view` (of one or two variables) where f and its gradient are finite and which
/// lies in the domain; `None` if there is none. It is looked for on a grid of 21 per side
/// first, whose points make good suggested starts, then on one of 257 per side (4097 points
/// in one variable), so only a view where f is finite on a strip thinner than 1/256 of its
/// width can pass for finite nowhere. The search stops at the first such point.
pub fn finite_point_in(objective: &dyn Objective, view: &[Interval]) -> Option<Vec<f64>> {
    if view.is_empty() || view.len() > 2 {
        return None;
    }
    let fine: usize = if view.len() == 2 { 257 } else { 4097 };
    let mut grad = vec![0.0; view.len()];
    [21, fine].into_iter().find_map(|side| {
        let at = |i: &Interval, k: usize| i.lo + (i.hi - i.lo) * k as f64 / (side - 1) as f64;
        (0..side.pow(view.len() as u32)).find_map(|k| {
            let p: Vec<f64> = view
                .iter()
                .enumerate()
                .map(|(d, i)| at(i, if d == 0 { k % side } else { k / side }))
                .collect();
            let value = objective.value_and_gradient(&p, &mut grad);
            (objective.in_domain(&p) && value.is_finite() && grad.iter().all(|g| g.is_finite()))
                .then_some(p)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_box_mistake_says_what_to_write() {
        let narrow = parse_view("1,1.000000001,2,3", 2).unwrap_err();
        assert!(narrow.contains("1 to 1.000000001"), "{narrow}");
        let spaced = parse_view("-3 3 -3 3", 2).unwrap_err();
        assert!(
            spaced.contains("joined by commas, e.g. -3,3,-3,3"),
            "{spaced}"
        );
        let curve = parse_view("[0,1]", 1).unwrap_err();
        assert!(curve.contains("e.g. -3,3"), "{curve}");
        assert!(
            parse_view("0,1,2", 2)
                .unwrap_err()
                .contains("has 3 numbers")
        );
        assert_eq!(
            parse_view("-1,2", 1).unwrap(),
            vec![Interval::new(-1.0, 2.0)]
        );
    }
}
