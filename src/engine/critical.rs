//! Critical points: where the gradient vanishes, found by Newton's method on the gradient
//! from a grid of seeds, merged, and classified by the Hessian's eigenvalues.
//!
//! Newton's step solves `H d = -g`; where the Hessian is singular (a whole line of critical
//! points, as sauna has) the step is the least-squares one with a tiny damping
//! (Levenberg-Marquardt), which still walks straight onto the line.

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use super::grid::cell_center;
use super::objective::{Interval, Objective};

/// What a critical point is, by the signs of the Hessian's eigenvalues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CriticalKind {
    /// All eigenvalues positive.
    Minimum,
    /// All eigenvalues negative.
    Maximum,
    /// Eigenvalues of both signs.
    Saddle,
    /// An eigenvalue is zero: the second derivatives cannot tell.
    Degenerate,
}

impl CriticalKind {
    /// The lowercase name, as the command line prints it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Minimum => "minimum",
            Self::Maximum => "maximum",
            Self::Saddle => "saddle",
            Self::Degenerate => "degenerate",
        }
    }
}

/// A point where the gradient is zero.
#[derive(Clone, Debug, PartialEq)]
pub struct CriticalPoint {
    /// Its coordinates (one for a curve, two for a surface).
    pub point: Vec<f64>,
    /// f there.
    pub value: f64,
    /// Minimum, maximum, saddle or degenerate.
    pub kind: CriticalKind,
    /// The Hessian's eigenvalues, smallest first (f'' for a curve); none for a minimum at
    /// a corner or cusp, where f has no Hessian (`abs(x) + abs(y)` at 0).
    pub eigenvalues: Vec<f64>,
}

/// Seeds per axis of a surface's view.
pub const SEEDS_2D: usize = 48;
/// Seeds along a curve's view.
pub const SEEDS_1D: usize = 400;
/// Newton iterations from one seed at most.
const MAX_NEWTON: usize = 60;

/// The critical points of `objective` inside `view` (one interval per parameter; functions of
/// one or two variables), sorted by kind, then x, then y. Stops early, returning what it has,
/// once `cancel` is set.
pub fn find(
    objective: &dyn Objective,
    view: &[Interval],
    cancel: &AtomicBool,
) -> Vec<CriticalPoint> {
    let dim = objective.dim();
    if !(1..=2).contains(&dim) || view.len() < dim {
        return Vec::new();
    }
    let view = &view[..dim];
    let seeds: Vec<Vec<f64>> = if dim == 1 {
        (0..SEEDS_1D)
            .map(|i| vec![cell_center(view[0], i, SEEDS_1D)])
            .collect()
    } else {
        (0..SEEDS_2D * SEEDS_2D)
            .map(|i| {
                vec![
                    cell_center(view[0], i % SEEDS_2D, SEEDS_2D),
                    cell_center(view[1], i / SEEDS_2D, SEEDS_2D),
                ]
            })
            .collect()
    };
    // The coarse grid's seeds can all sit on inflection points (cos(2 pi x) over a view
    // whose spacing is half its period) or miss wells (rastrigin's 441 over +-10): the
    // lowest and highest samples of a finer grid seed each well and each peak too.
    let FineGrid {
        lows,
        highs,
        curvature,
        slope,
    } = fine_grid(objective, view, cancel);
    // The gradient taken as 0 whatever the curvature: 1e-12, or less for a function whose
    // slopes are all tiny (1e-12 abs(x) has a slope of 1e-12 everywhere).
    let scales = Scales {
        curvature,
        zero_gradient: 1e-12 * slope.min(1.0),
    };
    // (seed, from the finer grid, a well's)
    let seeds: Vec<(Vec<f64>, bool, bool)> = seeds
        .into_iter()
        .map(|p| (p, false, false))
        .chain(highs.into_iter().map(|p| (p, true, false)))
        .chain(lows.into_iter().map(|p| (p, true, true)))
        .collect();
    let found: Vec<CriticalPoint> = seeds
        .par_iter()
        .flat_map_iter(|(seed, fine, well)| {
            if cancel.load(Ordering::Relaxed) {
                return Vec::new();
            }
            // A well or peak is an isolated point as a rule, which Marquardt's damping
            // finds however badly scaled f is; even damping, tried first elsewhere, can
            // stall a shallow direction right beside the seed.
            let (first, second) = if *fine {
                (Damping::Scaled, Damping::Even)
            } else {
                (Damping::Even, Damping::Scaled)
            };
            let found = newton(objective, seed, view, first, scales)
                .or_else(|| newton(objective, seed, view, second, scales));
            // From a well Newton can leave for another point (abs(x^2 - 1) sends it from
            // the corner at 1 to the peak at 0): the corner is looked for too, and so from
            // a peak. (A degenerate point found beside the seed is the well's own: x^4 + y^2.)
            let (looked_for, other) = if *well {
                (Extremum::Lowest, CriticalKind::Maximum)
            } else {
                (Extremum::Highest, CriticalKind::Minimum)
            };
            let elsewhere = found
                .as_ref()
                .is_none_or(|p| p.kind == other || p.kind == CriticalKind::Saddle);
            let corner = (*fine && elsewhere)
                .then(|| kink_extremum(objective, seed, view, looked_for))
                .flatten();
            found.into_iter().chain(corner).collect::<Vec<_>>()
        })
        .collect();
    let points = merge(found, view);
    // Points the search moved onto one are one.
    let points = merge(settle_flat_extrema(objective, points, view), view);
    if cancel.load(Ordering::Relaxed) {
        return points;
    }
    merge(follow_flat_lines(objective, points, view, scales), view)
}

/// The points of each line of critical points through a degenerate point that the search
/// did not reach: every seed of x^2 y^2 walks to 0, while both axes are lines of minima.
/// From each degenerate point, the line along each direction in which f's Hessian is 0 is
/// followed in steps of a twentieth of the view while the gradient stays negligible.
fn follow_flat_lines(
    objective: &dyn Objective,
    mut points: Vec<CriticalPoint>,
    view: &[Interval],
    scales: Scales,
) -> Vec<CriticalPoint> {
    let dim = view.len();
    let step = view.iter().map(|v| v.width() / 20.0).collect::<Vec<_>>();
    let mut found = Vec::new();
    for point in points
        .iter()
        .filter(|p| p.kind == CriticalKind::Degenerate && !p.eigenvalues.is_empty())
    {
        let hessian = objective.second_order(&point.point).hessian;
        let h = hessian.as_slice();
        let largest = point.eigenvalues.iter().fold(0.0f64, |m, e| m.max(e.abs()));
        let flat: Vec<f64> = point
            .eigenvalues
            .iter()
            .copied()
            .filter(|e| e.abs() <= 1e-7 * largest + 1e-12)
            .collect();
        // A Hessian of 0 (x^2 y^2 at 0) has every direction flat: the axes and diagonals
        // are followed.
        let directions: Vec<Vec<f64>> = match (dim, flat.len()) {
            (1, _) => vec![vec![1.0]],
            (_, 2) => {
                let r = std::f64::consts::FRAC_1_SQRT_2;
                vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![r, r], vec![r, -r]]
            }
            _ => flat.iter().map(|&e| eigenvector(h, dim, e)).collect(),
        };
        for direction in &directions {
            for side in [1.0, -1.0] {
                for k in 1..=40 {
                    let q: Vec<f64> = (0..dim)
                        .map(|i| point.point[i] + side * k as f64 * step[i] * direction[i])
                        .collect();
                    let inside = q.iter().zip(view).all(|(c, v)| (v.lo..=v.hi).contains(c));
                    if !inside || !objective.in_domain(&q) {
                        break;
                    }
                    match critical_at(objective, q, view, scales) {
                        Some(p) if p.kind == CriticalKind::Degenerate => found.push(p),
                        _ => break,
                    }
                }
            }
        }
    }
    points.extend(found);
    points
}

/// A degenerate point where f still rises (falls) as a power of the distance on every
/// side is a minimum (maximum): x^4 + y^4 has a zero Hessian at 0, yet 0 is its minimum.
/// The corner test says so; a line of minima stays degenerate (flat along it).
fn settle_flat_extrema(
    objective: &dyn Objective,
    mut points: Vec<CriticalPoint>,
    view: &[Interval],
) -> Vec<CriticalPoint> {
    let diagonal = view.iter().map(|v| v.width().powi(2)).sum::<f64>().sqrt();
    for point in &mut points {
        if point.kind != CriticalKind::Degenerate || point.eigenvalues.is_empty() {
            continue;
        }
        let looked_for = if point.eigenvalues.iter().all(|e| *e >= 0.0) {
            Extremum::Lowest
        } else if point.eigenvalues.iter().all(|e| *e <= 0.0) {
            Extremum::Highest
        } else {
            continue;
        };
        let Some(found) = kink_extremum(objective, &point.point, view, looked_for) else {
            continue;
        };
        // Newton crawls into such a point (x^4 + y^2 stops at x = 5e-5): the search's
        // point nearby is the point, with the Hessian there.
        if found.kind != CriticalKind::Degenerate
            && distance(&found.point, &point.point) <= 1e-3 * diagonal
        {
            let hessian = objective.second_order(&found.point).hessian;
            let eigenvalues = symmetric_eigenvalues(hessian.as_slice(), found.point.len());
            if eigenvalues.iter().all(|e| e.is_finite()) {
                point.eigenvalues = eigenvalues;
            }
            point.kind = found.kind;
            point.value = found.value;
            point.point = found.point;
        }
    }
    points
}

/// What a size of f's derivatives is measured against, from the finer grid.
#[derive(Clone, Copy)]
struct Scales {
    /// f's median curvature over the view.
    curvature: f64,
    /// A gradient component this small is 0.
    zero_gradient: f64,
}

/// Samples per axis of the finer grid whose extrema seed Newton too.
const FINE_2D: usize = 256;
/// Samples along a curve for the same.
const FINE_1D: usize = 4096;
/// The most extra seeds of each kind taken from the finer grid (evenly among them).
const MAX_FINE_SEEDS: usize = 2048;

/// What a finer grid over the view shows: where wells and peaks are, and how much f
/// curves as a rule.
struct FineGrid {
    /// The samples no higher than any neighbor and lower than one, every neighbor finite.
    lows: Vec<Vec<f64>>,
    /// The samples no lower than any neighbor and higher than one.
    highs: Vec<Vec<f64>>,
    /// The median size of f's second differences along the axes: a curvature far below
    /// it is a zero one's rounding (x^3 at 5e-14, where Newton stops short of 0).
    curvature: f64,
    /// The median size of f's slope along the axes: a gradient far below it is 0.
    slope: f64,
}

/// Samples f on a finer grid over `view`: see [`FineGrid`].
fn fine_grid(objective: &dyn Objective, view: &[Interval], cancel: &AtomicBool) -> FineGrid {
    let (nx, ny) = if view.len() == 1 {
        (FINE_1D, 1)
    } else {
        (FINE_2D, FINE_2D)
    };
    let xs: Vec<f64> = (0..nx).map(|i| cell_center(view[0], i, nx)).collect();
    let ys: Vec<f64> = (0..ny)
        .map(|j| view.get(1).map_or(0.0, |y| cell_center(*y, j, ny)))
        .collect();
    let point = |i: usize, j: usize| -> Vec<f64> {
        if view.len() == 1 {
            vec![xs[i]]
        } else {
            vec![xs[i], ys[j]]
        }
    };
    let values: Vec<f64> = (0..nx * ny)
        .into_par_iter()
        .map(|k| {
            let p = point(k % nx, k / nx);
            if cancel.load(Ordering::Relaxed) || !objective.in_domain(&p) {
                return f64::NAN;
            }
            objective.value(&p)
        })
        .collect();
    let (mut lows, mut highs) = (Vec::new(), Vec::new());
    for j in 0..ny {
        for i in 0..nx {
            let v = values[j * nx + i];
            if !v.is_finite() {
                continue;
            }
            // Lower than or equal to every neighbor and lower than one: ties (the four
            // samples around abs(x) + abs(y)'s corner) seed each, a plateau none.
            let (mut lower, mut higher, mut whole) = (true, true, true);
            let (mut below_one, mut above_one) = (false, false);
            for dj in -1i64..=1 {
                for di in -1i64..=1 {
                    if (di, dj) == (0, 0) || (ny == 1 && dj != 0) {
                        continue;
                    }
                    let (a, b) = (i as i64 + di, j as i64 + dj);
                    // The view's edge cuts a well at its edge (rastrigin's at 9.95 in
                    // +-10): the samples beside it are enough.
                    if a < 0 || b < 0 || a >= nx as i64 || b >= ny as i64 {
                        continue;
                    }
                    let w = values[b as usize * nx + a as usize];
                    whole &= w.is_finite();
                    lower &= v <= w;
                    higher &= v >= w;
                    below_one |= v < w;
                    above_one |= v > w;
                }
            }
            if whole && lower && below_one {
                lows.push(point(i, j));
            } else if whole && higher && above_one {
                highs.push(point(i, j));
            }
        }
    }
    let thin = |all: Vec<Vec<f64>>| -> Vec<Vec<f64>> {
        let every = all.len().div_ceil(MAX_FINE_SEEDS).max(1);
        all.into_iter().step_by(every).collect()
    };
    // Second differences along x (and y), over the squared spacing.
    let (hx, hy) = (
        view[0].width() / nx as f64,
        view.get(1).map_or(1.0, |y| y.width() / ny as f64),
    );
    let mut seconds: Vec<f64> = Vec::with_capacity(2 * nx * ny);
    for j in 0..ny {
        for i in 1..nx.saturating_sub(1) {
            let k = j * nx + i;
            seconds.push((values[k - 1] - 2.0 * values[k] + values[k + 1]).abs() / (hx * hx));
        }
    }
    for j in 1..ny.saturating_sub(1) {
        for i in 0..nx {
            let k = j * nx + i;
            seconds.push((values[k - nx] - 2.0 * values[k] + values[k + nx]).abs() / (hy * hy));
        }
    }
    let mut firsts: Vec<f64> = Vec::with_capacity(nx * ny);
    for j in 0..ny {
        for i in 1..nx {
            let k = j * nx + i;
            firsts.push((values[k] - values[k - 1]).abs() / hx);
        }
    }
    firsts.retain(|v| v.is_finite());
    let slope = if firsts.is_empty() {
        0.0
    } else {
        let middle = firsts.len() / 2;
        *firsts.select_nth_unstable_by(middle, f64::total_cmp).1
    };
    seconds.retain(|v| v.is_finite());
    let curvature = if seconds.is_empty() {
        0.0
    } else {
        let middle = seconds.len() / 2;
        *seconds.select_nth_unstable_by(middle, f64::total_cmp).1
    };
    FineGrid {
        lows: thin(lows),
        highs: thin(highs),
        curvature,
        slope,
    }
}

/// Which way [`kink_extremum`] looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Extremum {
    /// Downhill, for a minimum.
    Lowest,
    /// Uphill, for a maximum (a cone's tip, -abs(x) - abs(y) at 0).
    Highest,
}

/// The minimum (or maximum) of f at a kink near `seed` (abs(x) + abs(y) at 0), where f has
/// no gradient and Newton cannot go: a compass search along the axes and diagonals,
/// halving its step until it is a rounding of the point. Kept if f there is no higher
/// (lower) than anywhere a small step away in those eight directions, at three scales, and
/// the point is in the view. A corner saddle is not looked for.
fn kink_extremum(
    objective: &dyn Objective,
    seed: &[f64],
    view: &[Interval],
    extremum: Extremum,
) -> Option<CriticalPoint> {
    let dim = seed.len();
    let directions: Vec<Vec<f64>> = if dim == 1 {
        vec![vec![1.0], vec![-1.0]]
    } else {
        let r = std::f64::consts::FRAC_1_SQRT_2;
        vec![
            vec![1.0, 0.0],
            vec![-1.0, 0.0],
            vec![0.0, 1.0],
            vec![0.0, -1.0],
            vec![r, r],
            vec![-r, r],
            vec![r, -r],
            vec![-r, -r],
        ]
    };
    // f, or -f for a maximum: the search always goes down.
    let sign = match extremum {
        Extremum::Lowest => 1.0,
        Extremum::Highest => -1.0,
    };
    let value = |p: &[f64]| -> f64 {
        if objective.in_domain(p) {
            let v = sign * objective.value(p);
            if v.is_finite() { v } else { f64::INFINITY }
        } else {
            f64::INFINITY
        }
    };
    let along = |p: &[f64], d: &[f64], h: f64| -> Vec<f64> {
        p.iter().zip(d).map(|(c, e)| c + h * e).collect()
    };
    let diagonal = view.iter().map(|v| v.width().powi(2)).sum::<f64>().sqrt();
    let (mut p, mut f) = (seed.to_vec(), value(seed));
    // The compass's steps end near 1e-15 of the view, coarser than the digits of a
    // coordinate away from 0: on 1e200 abs(x - 1) it stops 16 units of the last place from
    // x = 1, where f is still 1e185 and hides the slope along y. Each coordinate is then
    // walked on by its own last places while f falls, and the compass goes on from there.
    for _ in 0..4 {
        let mut h = diagonal / FINE_2D as f64;
        for _ in 0..400 {
            let better = directions
                .iter()
                .map(|d| along(&p, d, h))
                .map(|q| {
                    let v = value(&q);
                    (q, v)
                })
                .filter(|(_, v)| *v < f)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            match better {
                Some((q, v)) => (p, f) = (q, v),
                None => h *= 0.5,
            }
            if h <= 1e-15 * (diagonal + norm(&p)) {
                break;
            }
        }
        // The compass goes on only where the walk uncovered more than rounding.
        let before = f;
        walk_last_places(&value, &mut p, &mut f, view);
        if before - f <= 1e-6 * before.abs() {
            break;
        }
    }
    // A coordinate within rounding of the view's size from 0 is 0, where f is defined
    // there (sqrt(x^2+y^2) has no gradient at 0, so its domain leaves 0 out) and no
    // higher. The search's steps end near 1e-15 of the view, where 1e200 x^2 is still
    // 1e170: the point is read where f is what it is at the corner.
    let snapped: Vec<f64> = p
        .iter()
        .zip(view)
        .map(|(&c, v)| if c.abs() <= 1e-12 * v.width() { 0.0 } else { c })
        .collect();
    let at_snapped = value(&snapped);
    if at_snapped.is_finite() && at_snapped <= f {
        (p, f) = (snapped, at_snapped);
    }
    let inside = p.iter().zip(view).all(|(&c, v)| v.lo <= c && c <= v.hi);
    let slack = 4.0 * f64::EPSILON * f.abs();
    // How much f rises a step of `scale` times the view away, in the worst direction.
    // How much f rises a step of a billionth, a millionth and a thousandth of the view
    // away, in each direction: computed once, read three ways below.
    let rises: Vec<[f64; 3]> = directions
        .iter()
        .map(|d| [1e-9, 1e-6, 1e-3].map(|scale| value(&along(&p, d, scale * diagonal)) - f))
        .collect();
    let lowest = rises.iter().flatten().all(|r| *r >= -slack);
    // At a corner or a cusp f rises as a power of the distance (a thousandth of the rise a
    // thousand times farther, or a hundredth for |x|^(2/3)); beside a pole, where f falls
    // without bound (-1/(x^2+y^2), ln(x^2+y^2), tan x), the last point is merely as close
    // as the search could step, and f rises almost as much a billionth of the view away as
    // a millionth.
    let bounded = rises
        .iter()
        .all(|[tiny, small, _]| *tiny <= 0.2 * small + slack);
    if !(inside && f.is_finite() && lowest && bounded) {
        return None;
    }
    // Flat along a direction (abs(x) + abs(y) - abs(x + y) is 0 over two quadrants): one
    // of a region of minima, kept as a degenerate point, a row of them per region.
    let flat = rises
        .iter()
        .any(|[_, _, far]| far.abs() <= slack.max(f64::MIN_POSITIVE));

    Some(CriticalPoint {
        value: sign * value(&p),
        point: p,
        kind: match (flat, extremum) {
            (true, _) => CriticalKind::Degenerate,
            (false, Extremum::Lowest) => CriticalKind::Minimum,
            (false, Extremum::Highest) => CriticalKind::Maximum,
        },
        // f has no Hessian at a corner: none is given.
        eigenvalues: Vec::new(),
    })
}

/// Moves `p` (where `value` is `f`) along each axis by 2^12 down to 1 units in its last
/// place while `value` falls, until no such step lowers it (at most 8 rounds: the
/// compass leaves a coordinate a few dozen units from where f is least). A coordinate within a trillionth of the view from 0 is left alone: it is
/// read as 0 afterwards, and its last places are too fine to walk to 0.
fn walk_last_places(value: &impl Fn(&[f64]) -> f64, p: &mut [f64], f: &mut f64, view: &[Interval]) {
    for _ in 0..8 {
        let mut moved = false;
        for i in 0..p.len() {
            if p[i].abs() <= 1e-12 * view[i].width() {
                continue;
            }
            let unit = f64::EPSILON * p[i].abs();
            for k in (0..=12).rev() {
                for side in [1.0, -1.0] {
                    let before = p[i];
                    p[i] += side * unit * f64::from(1u32 << k);
                    let v = value(p);
                    if v < *f {
                        *f = v;
                        moved = true;
                    } else {
                        p[i] = before;
                    }
                }
            }
        }
        if !moved {
            return;
        }
    }
}

/// Newton on the gradient from `seed`; the point it settles on, if the gradient vanishes
/// there and it lies in the view.
fn newton(
    objective: &dyn Objective,
    seed: &[f64],
    view: &[Interval],
    damping: Damping,
    scales: Scales,
) -> Option<CriticalPoint> {
    let diagonal = view.iter().map(|v| v.width().powi(2)).sum::<f64>().sqrt();
    let mut p = seed.to_vec();
    if !objective.in_domain(&p) {
        return None;
    }
    for _ in 0..MAX_NEWTON {
        let second = objective.second_order(&p);
        let step = damped_newton_step(&second.gradient, second.hessian.as_slice(), damping)?;
        let length = step.iter().map(|d| d * d).sum::<f64>().sqrt();
        // A long step is cut to a quarter of the view: Newton far from a root can overshoot.
        let scale = (0.25 * diagonal / length).min(1.0);
        let next: Vec<f64> = p.iter().zip(&step).map(|(p, d)| p + scale * d).collect();
        let outside = next
            .iter()
            .zip(view)
            .any(|(&c, v)| c < v.lo - 0.05 * v.width() || c > v.hi + 0.05 * v.width());
        if outside || !objective.in_domain(&next) {
            return None;
        }
        p = next;
        if length <= 1e-13 * (1.0 + norm(&p)) {
            break;
        }
    }
    polish(objective, &mut p, damping, diagonal);
    // A coordinate below f64's normal range is 0's rounding (y = -1e-314 on x^3 + y^2).
    for c in &mut p {
        if c.abs() < f64::MIN_POSITIVE {
            *c = 0.0;
        }
    }
    critical_at(objective, p, view, scales)
}

/// The critical point `p`, classified, if the gradient there is negligible (and `p` is in
/// the view, with f finite).
fn critical_at(
    objective: &dyn Objective,
    p: Vec<f64>,
    view: &[Interval],
    scales: Scales,
) -> Option<CriticalPoint> {
    let diagonal = view.iter().map(|v| v.width().powi(2)).sum::<f64>().sqrt();
    let second = objective.second_order(&p);
    // Points on the view's edge count (sauna's lines of critical points are its edges).
    let inside = p
        .iter()
        .zip(view)
        .all(|(&c, v)| c >= v.lo - 1e-9 * v.width() && c <= v.hi + 1e-9 * v.width());
    if !inside || !second.value.is_finite() {
        return None;
    }
    // Accept when each component of the gradient is negligible against the curvature along
    // it times the view's size (the size of gradient this function has around here), so a
    // steep direction cannot hide a shallow one's gradient (1e10 x^2 + y^2).
    let h = second.hessian.as_slice();
    let d = p.len();
    for (i, g) in second.gradient.iter().enumerate() {
        let curvature = (0..d).map(|j| h[i * d + j].abs()).sum::<f64>().max(1e-300);
        if g.abs() > 1e-7 * curvature * diagonal.max(1e-300) + scales.zero_gradient {
            return None;
        }
    }
    let eigenvalues = symmetric_eigenvalues(second.hessian.as_slice(), p.len());
    if !flat_along_each_eigenvector(
        &second.gradient,
        h,
        &p,
        &eigenvalues,
        (diagonal, scales.zero_gradient),
    ) {
        return None;
    }
    let mut kind = classify(&eigenvalues);
    // An eigenvalue a billionth of f's usual curvature is a zero one's rounding, unless f
    // curves so along it (a curve has no second eigenvalue to be tiny against).
    if eigenvalues
        .iter()
        .any(|e| e.abs() < 1e-9 * scales.curvature)
    {
        kind = CriticalKind::Degenerate;
    }
    if kind == CriticalKind::Degenerate
        && curves_as_its_eigenvalues_say(objective, &p, h, 1e-3 * diagonal)
    {
        kind = classify_by_signs(&eigenvalues);
    }
    Some(CriticalPoint {
        kind,
        point: p,
        value: second.value,
        eigenvalues,
    })
}

/// The most steps [`polish`] takes.
const MAX_POLISH: usize = 32;

/// A few more Newton steps from `p` while each at least halves the gradient: the step
/// test stops Newton once a step is short against the view, which on a steep function
/// leaves f far from its value at the point (1e200 x^2 stops at x = 1e-28, f = 6e144).
/// The polish moves the point at most a billionth of the view's diagonal `diagonal`: on a
/// line of critical points (sauna's) the gradient is rounding, and a step that halves it
/// would only slide the point along the line.
fn polish(objective: &dyn Objective, p: &mut Vec<f64>, damping: Damping, diagonal: f64) {
    let origin = p.clone();
    let mut second = objective.second_order(p);
    for _ in 0..MAX_POLISH {
        let gradient = norm(&second.gradient);
        if gradient == 0.0 || !gradient.is_finite() {
            return;
        }
        let Some(step) = damped_newton_step(&second.gradient, second.hessian.as_slice(), damping)
        else {
            return;
        };
        let next: Vec<f64> = p.iter().zip(&step).map(|(p, d)| p + d).collect();
        if next == *p || distance(&next, &origin) > 1e-9 * diagonal || !objective.in_domain(&next) {
            return;
        }
        let at_next = objective.second_order(&next);
        // (A gradient that is NaN there does not shrink either.)
        let shrinks = norm(&at_next.gradient) < 0.5 * gradient;
        if !shrinks {
            return;
        }
        *p = next;
        second = at_next;
    }
}

/// The distance from `a` to `b`, without overflow.
fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .fold(0.0, |length, (a, b)| length.hypot(a - b))
}

/// The length of `v`, without overflow (a gradient of 1e172 has a length of 1e172).
fn norm(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |length, c| length.hypot(*c))
}

/// How Newton's step on the gradient is damped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Damping {
    /// The same tiny damping in every direction: walks straight onto a line of critical
    /// points (sauna's).
    Even,
    /// Each direction damped by its own curvature (Marquardt): finds the point of a badly
    /// scaled function, where even damping stalls the shallow direction.
    Scaled,
}

/// The step d minimizing |H d + g|^2 + mu |d|^2 with a tiny mu: Newton's step where H is
/// regular, the least-squares step where it is singular. `hessian` is column-major.
fn damped_newton_step(gradient: &[f64], hessian: &[f64], damping: Damping) -> Option<Vec<f64>> {
    // Where the gradient is 0 the step is 0, whatever the Hessian (0 * (x + y)'s is 0 too,
    // and the least-squares system then divides 0 by 0).
    if gradient.iter().all(|g| *g == 0.0) {
        return Some(vec![0.0; gradient.len()]);
    }
    // Curvatures 1e100 times apart (1e200 (x-1)^2 + y^2): the shallow one's square
    // underflows beside the steep one's, and its direction never moves. The system is
    // solved scaled by its diagonal, D H D (D^-1 d) = -D g with D = diag(1/sqrt|H_ii|).
    // (Marquardt's damping only: it is what damps each direction by its own curvature; a
    // line of critical points, one curvature 0 to rounding, is walked onto evenly.)
    if gradient.len() == 2 && damping == Damping::Scaled {
        let (a, c) = (hessian[0].abs(), hessian[3].abs());
        let (small, large) = (a.min(c), a.max(c));
        if small > 0.0 && large.is_finite() && small < 1e-100 * large {
            let d = [1.0 / a.sqrt(), 1.0 / c.sqrt()];
            let scaled = [
                hessian[0] * d[0] * d[0],
                hessian[1] * d[0] * d[1],
                hessian[2] * d[1] * d[0],
                hessian[3] * d[1] * d[1],
            ];
            let g = [gradient[0] * d[0], gradient[1] * d[1]];
            let step = damped_newton_step(&g, &scaled, damping)?;
            let step = vec![step[0] * d[0], step[1] * d[1]];
            return step.iter().all(|v| v.is_finite()).then_some(step);
        }
    }
    // H d = -g is the same system with H and g divided by H's largest entry, whose squares
    // then neither overflow (1e200 x^2) nor underflow (1e-200 x^2).
    let scale = hessian.iter().fold(0.0_f64, |m, h| m.max(h.abs()));
    if scale > 0.0 && scale.is_finite() && !(1e-50..=1e50).contains(&scale) {
        let hessian: Vec<f64> = hessian.iter().map(|h| h / scale).collect();
        let gradient: Vec<f64> = gradient.iter().map(|g| g / scale).collect();
        return damped_newton_step(&gradient, &hessian, damping);
    }
    match gradient.len() {
        1 => {
            let (g, h) = (gradient[0], hessian[0]);
            let mu = 1e-14 * h * h + 1e-300;
            let d = -h * g / (h * h + mu);
            d.is_finite().then(|| vec![d])
        }
        2 => {
            let (a, b, c) = (hessian[0], hessian[1], hessian[3]);
            // H is symmetric, so H^T H = H^2 and H^T g = H g.
            let (m11, m12, m22) = (a * a + b * b, a * b + b * c, b * b + c * c);
            let (m11, m22) = match damping {
                Damping::Even => {
                    let mu = 1e-14 * (m11 + m22) + 1e-300;
                    (m11 + mu, m22 + mu)
                }
                // Marquardt's damping, each direction by its own curvature: a steep
                // direction does not damp a shallow one's step away (1e10 x^2 + y^2).
                Damping::Scaled => (m11 * (1.0 + 1e-14) + 1e-300, m22 * (1.0 + 1e-14) + 1e-300),
            };
            let (r1, r2) = (
                -(a * gradient[0] + b * gradient[1]),
                -(b * gradient[0] + c * gradient[1]),
            );
            let det = m11 * m22 - m12 * m12;
            let d = [(m22 * r1 - m12 * r2) / det, (m11 * r2 - m12 * r1) / det];
            d.iter().all(|d| d.is_finite()).then(|| d.to_vec())
        }
        _ => None,
    }
}

/// Eigenvalues of a symmetric 1 x 1 or 2 x 2 matrix (column-major), smallest first.
pub fn symmetric_eigenvalues(hessian: &[f64], dim: usize) -> Vec<f64> {
    if dim == 1 {
        return vec![hessian[0]];
    }
    let (a, b, c) = (hessian[0], hessian[1], hessian[3]);
    let mean = 0.5 * (a + c);
    let radius = (0.5 * (a - c)).hypot(b);
    // The eigenvalue of larger size first, the other from the determinant: mean - radius
    // would cancel to 0 for diag(2e20, 2).
    let large = if mean >= 0.0 {
        mean + radius
    } else {
        mean - radius
    };
    // det / large, each product divided first: a * c overflows for 1e300 (x^2 + y^2) and
    // underflows for 1e-300 (x^2 + y^2).
    let small = if large == 0.0 {
        0.0
    } else {
        (a / large) * c - (b / large) * b
    };
    if small <= large {
        vec![small, large]
    } else {
        vec![large, small]
    }
}

/// Whether f along each eigenvector of the Hessian `h` at `p` curves as its eigenvalue says
/// (the rise over `step` on either side within 10% of its lambda step^2 / 2, and none 0): an eigenvalue tiny
/// against the largest is then a real curvature (1e10 x^2 + y^2), not the rounding left of
/// a zero one (x^4 near 0, sauna's lines).
fn curves_as_its_eigenvalues_say(
    objective: &dyn Objective,
    p: &[f64],
    h: &[f64],
    step: f64,
) -> bool {
    let d = p.len();
    let value = objective.value(p);
    let eigen = symmetric_eigenvalues(h, d);
    eigen.iter().all(|&lambda| {
        let v = eigenvector(h, d, lambda);
        let at = |s: f64| -> Vec<f64> { p.iter().zip(&v).map(|(c, e)| c + s * e).collect() };
        let (ahead, behind) = (at(step), at(-step));
        if lambda == 0.0 || !objective.in_domain(&ahead) || !objective.in_domain(&behind) {
            return false;
        }
        // Each side on its own: at x^3's 5e-14, where Newton stops short of 0, the second
        // difference matches the rounding's curvature while each side rises as a cube.
        [ahead, behind].iter().all(|q| {
            let side = 2.0 * (objective.value(q) - value) / (step * step);
            (side - lambda).abs() <= 0.1 * lambda.abs()
        })
    })
}

/// Whether the gradient `g` at `p` vanishes along each eigenvector of the Hessian `h`: to
/// within its eigenvalue times the view's size, as above, or to within the rounding of the
/// gradient where the eigenvalue is 0. A damped Newton search stalls where the Hessian is
/// singular but the gradient is not: on Rosenbrock's valley floor over a view of 1e12 its
/// row-by-row sizes make a slope of 1 look negligible, while along the valley it is several
/// times what rounding leaves.
fn flat_along_each_eigenvector(
    g: &[f64],
    h: &[f64],
    p: &[f64],
    eigenvalues: &[f64],
    (diagonal, zero_gradient): (f64, f64),
) -> bool {
    let d = p.len();
    // The rounding of each gradient component: H times the rounding of p.
    let rounding: Vec<f64> = (0..d)
        .map(|i| (0..d).map(|j| (h[i * d + j] * p[j]).abs()).sum::<f64>() * f64::EPSILON)
        .collect();
    eigenvalues.iter().all(|&lambda| {
        let v = eigenvector(h, d, lambda);
        let along: f64 = v.iter().zip(g).map(|(v, g)| v * g).sum();
        let noise: f64 = v.iter().zip(&rounding).map(|(v, r)| (v * r).abs()).sum();
        along.abs() <= 1e-7 * lambda.abs() * diagonal + 2.0 * noise + zero_gradient
    })
}

/// A unit eigenvector of the symmetric 1 x 1 or 2 x 2 matrix `h` (column-major) for its
/// eigenvalue `lambda`.
fn eigenvector(h: &[f64], dim: usize, lambda: f64) -> Vec<f64> {
    if dim == 1 {
        return vec![1.0];
    }
    let (a, b, c) = (h[0], h[1], h[3]);
    // Of the two rows of (H - lambda I) v = 0, the one with the larger entries is the
    // better conditioned.
    let (x, y) = if (a - lambda).abs() + b.abs() >= (c - lambda).abs() + b.abs() {
        (b, lambda - a)
    } else {
        (lambda - c, b)
    };
    let length = x.hypot(y);
    if length == 0.0 || !length.is_finite() {
        // H is lambda I: any direction is one.
        return vec![1.0, 0.0];
    }
    vec![x / length, y / length]
}

/// Minimum, maximum or saddle by the eigenvalues' signs alone (none of them 0).
fn classify_by_signs(eigenvalues: &[f64]) -> CriticalKind {
    if eigenvalues.iter().all(|&e| e > 0.0) {
        CriticalKind::Minimum
    } else if eigenvalues.iter().all(|&e| e < 0.0) {
        CriticalKind::Maximum
    } else {
        CriticalKind::Saddle
    }
}

/// Minimum, maximum or saddle by the eigenvalues' signs; degenerate when one is zero next
/// to the largest (relative 1e-7, as exact derivatives at a point found to ~1e-15 give).
pub fn classify(eigenvalues: &[f64]) -> CriticalKind {
    let largest = eigenvalues.iter().fold(0.0f64, |m, e| m.max(e.abs()));
    let zero = 1e-7 * largest + 1e-12;
    if eigenvalues.iter().any(|e| e.abs() <= zero) {
        CriticalKind::Degenerate
    } else if eigenvalues.iter().all(|&e| e > 0.0) {
        CriticalKind::Minimum
    } else if eigenvalues.iter().all(|&e| e < 0.0) {
        CriticalKind::Maximum
    } else {
        CriticalKind::Saddle
    }
}

/// The gradient of `objective` when it is the same at each of 5 samples per axis of
/// `view` and f's Hessian is 0 at each: f is then linear (a plane, a line) and has no
/// critical point anywhere, however wide the view.
pub fn constant_gradient(objective: &dyn Objective, view: &[Interval]) -> Option<Vec<f64>> {
    let dim = objective.dim();
    if !(1..=2).contains(&dim) || view.len() < dim {
        return None;
    }
    let samples = if dim == 1 { 5 } else { 25 };
    let mut first: Option<Vec<f64>> = None;
    for i in 0..samples {
        let p: Vec<f64> = (0..dim)
            .map(|axis| {
                let k = if axis == 0 { i % 5 } else { i / 5 };
                view[axis].lo + view[axis].width() * (0.1 + 0.2 * k as f64)
            })
            .collect();
        if !objective.in_domain(&p) {
            return None;
        }
        let second = objective.second_order(&p);
        let gradient = second.gradient.clone();
        if second.hessian.as_slice().iter().any(|h| *h != 0.0)
            || gradient.iter().any(|g| !g.is_finite())
        {
            return None;
        }
        match &first {
            None => first = Some(gradient),
            Some(g) if *g == gradient => {}
            Some(_) => return None,
        }
    }
    first.filter(|g| g.iter().any(|c| *c != 0.0))
}

/// How many of the degenerate `points` lie beside another one (within a tenth of the view
/// along each axis): [`find`] keeps one degenerate point per twentieth of the view, so
/// these are a sample of a line or region of critical points where f is flat
/// (`max(x^2 - 1, 0) + y^2`), not points each on its own.
pub fn sampled_flat(points: &[CriticalPoint], view: &[Interval]) -> usize {
    let degenerate: Vec<&CriticalPoint> = points
        .iter()
        .filter(|p| p.kind == CriticalKind::Degenerate)
        .collect();
    degenerate
        .iter()
        .enumerate()
        .filter(|(i, p)| {
            degenerate.iter().enumerate().any(|(j, q)| {
                j != *i
                    && p.point
                        .iter()
                        .zip(&q.point)
                        .zip(view)
                        .all(|((a, b), v)| (a - b).abs() <= 0.1 * v.width())
            })
        })
        .count()
}

/// One point per critical point found from several seeds. Isolated points closer than a
/// millionth of the view are one; degenerate ones (often whole lines of them) are kept at
/// most one per twentieth of the view, so a line shows as a row of marks.
fn merge(mut found: Vec<CriticalPoint>, view: &[Interval]) -> Vec<CriticalPoint> {
    found.sort_by(|a, b| {
        a.kind.cmp(&b.kind).then_with(|| {
            a.point
                .partial_cmp(&b.point)
                .unwrap_or(std::cmp::Ordering::Equal)
        })
    });
    let mut kept: Vec<CriticalPoint> = Vec::new();
    for point in found {
        let close = if point.kind == CriticalKind::Degenerate {
            1.0 / 20.0
        } else {
            1e-6
        };
        let duplicate = kept.iter().any(|k| {
            (k.kind == CriticalKind::Degenerate) == (point.kind == CriticalKind::Degenerate)
                && k.point
                    .iter()
                    .zip(&point.point)
                    .zip(view)
                    .all(|((a, b), v)| (a - b).abs() <= close * v.width())
        });
        if !duplicate {
            kept.push(point);
        }
    }
    // Listed by kind, then x, then y, with coordinates a billionth of the view apart
    // counted equal (points on a line x = 0 are found at x = 1e-26 and -1e-26).
    let key = |p: &CriticalPoint| -> Vec<i64> {
        p.point
            .iter()
            .zip(view)
            .map(|(c, v)| ((c - v.lo) / (1e-9 * v.width())).round() as i64)
            .collect()
    };
    kept.sort_by_cached_key(|p| (p.kind, key(p)));
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigenvalues_of_a_symmetric_matrix() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let e = symmetric_eigenvalues(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!(
            (e[0] - 1.0).abs() < 1e-15 && (e[1] - 3.0).abs() < 1e-15,
            "{e:?}"
        );
        assert_eq!(classify(&e), CriticalKind::Minimum);
        assert_eq!(classify(&[-1.0, -3.0]), CriticalKind::Maximum);
        assert_eq!(classify(&[-1.0, 3.0]), CriticalKind::Saddle);
        assert_eq!(classify(&[0.0, 3.0]), CriticalKind::Degenerate);
        assert_eq!(classify(&[1e-12, 3.0]), CriticalKind::Degenerate);
        assert_eq!(classify(&[0.0, 0.0]), CriticalKind::Degenerate);
    }

    #[test]
    fn a_singular_hessian_gives_the_least_squares_step() {
        // H = [[2, 0], [0, 0]], g = (4, 0): the step is (-2, 0), not a division by zero.
        let d = damped_newton_step(&[4.0, 0.0], &[2.0, 0.0, 0.0, 0.0], Damping::Even).unwrap();
        assert!((d[0] + 2.0).abs() < 1e-12 && d[1] == 0.0, "{d:?}");
    }
}
