//! Many points at once: the preset formulas evaluated on [`LANES`] points side by side, in a
//! layout the compiler turns into SIMD instructions, with their gradients by forward-mode
//! automatic differentiation over the same lanes.
//!
//! [`DualLanes`] repeats num-dual's rules operation for operation, skipping derivatives known
//! to be 0, so a lane's value and gradient are those of
//! [`super::Objective::value_and_gradient`] (bit for bit but for the sign of a zero), and a
//! descent in lanes ([`descend_many`]) ends exactly where a [`super::basins::Descender`] does. On
//! x86-64 CPUs with AVX2 the kernels are compiled a second time for it and picked at run time.

use std::array::from_fn;
use std::ops::{Add, Mul, Neg, Sub};

use super::ad::Real;
use super::basins::Ending;
use super::optimizer::{OptimizerConfig, OptimizerKind, clip_gradient};
use super::presets::Formula;
use super::run::{DIVERGENCE_NORM, StopReason, norm};

/// How many points a [`Lanes`] holds: four AVX2 registers of four `f64`, enough independent
/// work to hide the latency of a step (8 and 32 lanes measured slower).
pub const LANES: usize = 16;

/// [`LANES`] numbers that every operation acts on lane by lane.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(align(64))]
pub struct Lanes(pub [f64; LANES]);

impl Lanes {
    /// Every lane `v`.
    #[inline(always)]
    pub fn splat(v: f64) -> Self {
        Self([v; LANES])
    }

    #[inline(always)]
    fn map(self, f: impl Fn(f64) -> f64) -> Self {
        Self(from_fn(|l| f(self.0[l])))
    }

    #[inline(always)]
    fn zip(self, other: Self, f: impl Fn(f64, f64) -> f64) -> Self {
        Self(from_fn(|l| f(self.0[l], other.0[l])))
    }
}

macro_rules! lane_ops {
    ($($trait:ident $method:ident $op:tt),*) => {$(
        impl $trait for Lanes {
            type Output = Self;
            #[inline(always)]
            fn $method(self, other: Self) -> Self {
                self.zip(other, |a, b| a $op b)
            }
        }
        impl $trait<f64> for Lanes {
            type Output = Self;
            #[inline(always)]
            fn $method(self, other: f64) -> Self {
                self.map(|a| a $op other)
            }
        }
    )*};
}
lane_ops!(Add add +, Sub sub -, Mul mul *);

impl Neg for Lanes {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        self.map(|a| -a)
    }
}

impl Real for Lanes {
    #[inline(always)]
    fn powi(self, n: i32) -> Self {
        self.map(|a| a.powi(n))
    }
    #[inline(always)]
    fn recip(self) -> Self {
        self.map(f64::recip)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        self.map(f64::exp)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        self.map(f64::ln)
    }
    #[inline(always)]
    fn sin(self) -> Self {
        self.map(f64::sin)
    }
    #[inline(always)]
    fn cos(self) -> Self {
        self.map(f64::cos)
    }
}

/// A partial derivative, lane by lane, that knows whether it can be other than 0: the
/// derivative by y of an expression in x alone is never computed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Partial {
    /// Whether the expression depends on the variable; if not, the lanes hold 0.
    pub depends: bool,
    /// The lanes of the derivative.
    pub lanes: Lanes,
}

impl Partial {
    const ZERO: Self = Self {
        depends: false,
        lanes: Lanes([0.0; LANES]),
    };

    #[inline(always)]
    fn one() -> Self {
        Self {
            depends: true,
            lanes: Lanes::splat(1.0),
        }
    }

    /// `self` scaled lane by lane by `by` (the chain rule's product).
    #[inline(always)]
    fn times(self, by: Lanes) -> Self {
        match self.depends {
            true => Self {
                depends: true,
                lanes: self.lanes * by,
            },
            false => self,
        }
    }

    /// `self * f64`.
    #[inline(always)]
    fn scaled(self, c: f64) -> Self {
        match self.depends {
            true => Self {
                depends: true,
                lanes: self.lanes * c,
            },
            false => self,
        }
    }

    /// `self + other`, or `self - other` when `negate`.
    #[inline(always)]
    fn combine(self, other: Self, negate: bool) -> Self {
        let lanes = match (self.depends, other.depends, negate) {
            (true, true, false) => self.lanes + other.lanes,
            (true, true, true) => self.lanes - other.lanes,
            (true, false, _) => self.lanes,
            (false, true, false) => other.lanes,
            (false, true, true) => -other.lanes,
            (false, false, _) => return Self::ZERO,
        };
        Self {
            depends: true,
            lanes,
        }
    }

    /// The product rule's `self * b + other * a`.
    #[inline(always)]
    fn product(self, b: Lanes, other: Self, a: Lanes) -> Self {
        match (self.depends, other.depends) {
            (true, true) => Self {
                depends: true,
                lanes: self.lanes * b + other.lanes * a,
            },
            (true, false) => self.times(b),
            (false, true) => other.times(a),
            (false, false) => Self::ZERO,
        }
    }
}

/// Values with their partial derivatives by x and y, lane by lane: num-dual's
/// `DualSVec64<2>` over [`Lanes`], with its rules in its order of operations. A partial
/// derivative known to be 0 is not computed, so values and derivatives are num-dual's bit
/// for bit except that a zero may differ in sign (and a derivative num-dual makes NaN by
/// 0 * infinity may stay finite).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DualLanes {
    /// The values.
    pub re: Lanes,
    /// d/dx.
    pub dx: Partial,
    /// d/dy.
    pub dy: Partial,
}

impl DualLanes {
    /// The variable x at `x`: its derivative by x is 1.
    #[inline(always)]
    pub fn x(x: Lanes) -> Self {
        Self {
            re: x,
            dx: Partial::one(),
            dy: Partial::ZERO,
        }
    }

    /// The variable y at `y`.
    #[inline(always)]
    pub fn y(y: Lanes) -> Self {
        Self {
            re: y,
            dx: Partial::ZERO,
            dy: Partial::one(),
        }
    }

    /// The chain rule: f(self) with f = `f0` and f' = `f1` at the value.
    #[inline(always)]
    fn chain(self, f0: Lanes, f1: Lanes) -> Self {
        Self {
            re: f0,
            dx: self.dx.times(f1),
            dy: self.dy.times(f1),
        }
    }
}

impl Add for DualLanes {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Self {
            re: self.re + o.re,
            dx: self.dx.combine(o.dx, false),
            dy: self.dy.combine(o.dy, false),
        }
    }
}

impl Sub for DualLanes {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Self {
            re: self.re - o.re,
            dx: self.dx.combine(o.dx, true),
            dy: self.dy.combine(o.dy, true),
        }
    }
}

impl Mul for DualLanes {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        // The product rule as num-dual writes it: eps * other.re + other.eps * re.
        Self {
            re: self.re * o.re,
            dx: self.dx.product(o.re, o.dx, self.re),
            dy: self.dy.product(o.re, o.dy, self.re),
        }
    }
}

impl Neg for DualLanes {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Self {
            re: -self.re,
            dx: Partial::ZERO.combine(self.dx, true),
            dy: Partial::ZERO.combine(self.dy, true),
        }
    }
}

impl Add<f64> for DualLanes {
    type Output = Self;
    #[inline(always)]
    fn add(self, c: f64) -> Self {
        Self {
            re: self.re + c,
            ..self
        }
    }
}

impl Sub<f64> for DualLanes {
    type Output = Self;
    #[inline(always)]
    fn sub(self, c: f64) -> Self {
        Self {
            re: self.re - c,
            ..self
        }
    }
}

impl Mul<f64> for DualLanes {
    type Output = Self;
    #[inline(always)]
    fn mul(self, c: f64) -> Self {
        Self {
            re: self.re * c,
            dx: self.dx.scaled(c),
            dy: self.dy.scaled(c),
        }
    }
}

impl Real for DualLanes {
    #[inline(always)]
    fn powi(self, n: i32) -> Self {
        match n {
            0 => Self {
                re: Lanes::splat(1.0),
                dx: Partial::ZERO,
                dy: Partial::ZERO,
            },
            1 => self,
            2 => self * self,
            _ => {
                let pow3 = self.re.powi(n - 3);
                let f0 = pow3 * self.re * self.re * self.re;
                let f1 = pow3 * self.re * self.re * f64::from(n);
                self.chain(f0, f1)
            }
        }
    }
    #[inline(always)]
    fn recip(self) -> Self {
        let rec = self.re.recip();
        self.chain(rec, -rec * rec)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        let f = self.re.exp();
        self.chain(f, f)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        let rec = self.re.recip();
        self.chain(self.re.ln(), rec)
    }
    #[inline(always)]
    fn sin(self) -> Self {
        let (s, c) = sin_cos(self.re);
        self.chain(s, c)
    }
    #[inline(always)]
    fn cos(self) -> Self {
        let (s, c) = sin_cos(self.re);
        self.chain(c, -s)
    }
}

#[inline(always)]
fn sin_cos(x: Lanes) -> (Lanes, Lanes) {
    let pairs: [(f64, f64); LANES] = from_fn(|l| x.0[l].sin_cos());
    (
        Lanes(from_fn(|l| pairs[l].0)),
        Lanes(from_fn(|l| pairs[l].1)),
    )
}

/// f and its gradient at [`LANES`] points.
#[inline(always)]
fn value_and_gradient<F: Formula>(x: Lanes, y: Lanes) -> (Lanes, Lanes, Lanes) {
    let f = F::eval(DualLanes::x(x), DualLanes::y(y));
    (f.re, f.dx.lanes, f.dy.lanes)
}

/// Calls `$kernel::<F>($args)` compiled for AVX2 where the CPU has it, else as built.
macro_rules! dispatch {
    ($avx2:ident, $portable:ident :: <$f:ident> ($($arg:expr),*)) => {{
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2, checked just above.
                return unsafe { $avx2::<$f>($($arg),*) };
            }
        }
        $portable::<$f>($($arg),*)
    }};
}

/// f(x, y) for every x of `xs` (the heatmap's row), [`LANES`] at a time.
pub fn values_on_row<F: Formula>(xs: &[f64], y: f64, out: &mut [f64]) {
    dispatch!(values_on_row_avx2, values_on_row_portable::<F>(xs, y, out))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn values_on_row_avx2<F: Formula>(xs: &[f64], y: f64, out: &mut [f64]) {
    values_on_row_portable::<F>(xs, y, out);
}

#[inline(always)]
fn values_on_row_portable<F: Formula>(xs: &[f64], y: f64, out: &mut [f64]) {
    let ys = Lanes::splat(y);
    let mut xs_chunks = xs.chunks_exact(LANES);
    let mut out_chunks = out.chunks_exact_mut(LANES);
    for (x, o) in (&mut xs_chunks).zip(&mut out_chunks) {
        let x = Lanes(from_fn(|l| x[l]));
        o.copy_from_slice(&F::eval(x, ys).0);
    }
    for (o, &x) in out_chunks
        .into_remainder()
        .iter_mut()
        .zip(xs_chunks.remainder())
    {
        *o = F::eval(x, y);
    }
}

/// Whether [`descend_many`] can step `config`: gradient descent, momentum and Nesterov, with
/// any schedule, clipping and weight decay. The other optimizers descend one start at a time.
pub fn steps_in_lanes(config: &OptimizerConfig) -> bool {
    matches!(
        config.kind,
        OptimizerKind::Gd | OptimizerKind::Momentum | OptimizerKind::Nesterov
    )
}

/// Where one descent of [`descend_many`] ended, and its last iterate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Landing {
    /// How it ended.
    pub ending: Ending,
    /// The last iterate.
    pub point: [f64; 2],
}

impl Default for Landing {
    fn default() -> Self {
        Self {
            ending: Ending {
                iterations: 0,
                value: f64::NAN,
                stop: StopReason::Diverged,
            },
            point: [f64::NAN; 2],
        }
    }
}

/// Many descents of a function of two variables with one optimizer, each from its own start
/// and, for a sweep, each with its own learning rate.
#[derive(Clone, Copy, Debug)]
pub struct Descents<'a> {
    /// The optimizer (see [`steps_in_lanes`]).
    pub config: &'a OptimizerConfig,
    /// The most iterations of each descent.
    pub iters: u32,
    /// Stop a descent once |grad f| < tol (0: never).
    pub tol: f64,
    /// Where each descent starts.
    pub starts: &'a [[f64; 2]],
    /// Each descent's learning rate in place of the optimizer's (as long as `starts`), or
    /// `None` for the optimizer's own.
    pub rates: Option<&'a [f64]>,
}

/// Runs every descent of `d`, [`LANES`] at once, exactly as
/// [`super::basins::Descender::descend`] steps each: `out[i]` is where the descent from
/// `d.starts[i]` ended.
///
/// # Panics
/// If `out` or `d.rates` is shorter than `d.starts`, or the optimizer cannot be stepped in
/// lanes.
pub fn descend_many<F: Formula>(d: &Descents, out: &mut [Landing]) {
    let n = d.starts.len();
    assert!(out.len() >= n && d.rates.is_none_or(|r| r.len() >= n) && steps_in_lanes(d.config));
    dispatch!(descend_many_avx2, descend_many_portable::<F>(d, out))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn descend_many_avx2<F: Formula>(d: &Descents, out: &mut [Landing]) {
    descend_many_portable::<F>(d, out);
}

#[inline(always)]
fn descend_many_portable<F: Formula>(d: &Descents, out: &mut [Landing]) {
    for (i, (starts, out)) in d
        .starts
        .chunks(LANES)
        .zip(out.chunks_mut(LANES))
        .enumerate()
    {
        let rates = d.rates.map(|r| &r[i * LANES..]);
        descend_block::<F>(d, starts, rates, out);
    }
}

/// Whether `test` holds for some lane of `lanes`.
#[inline(always)]
fn any(lanes: &[Lanes], test: impl Fn(f64) -> bool) -> bool {
    let mut hit = false;
    for v in lanes {
        for &a in &v.0 {
            hit |= test(a);
        }
    }
    hit
}

/// The lanes set in `bits`, lowest first.
fn lanes_of(mut bits: u32) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (bits != 0).then(|| {
            let l = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            l
        })
    })
}

/// The state of [`LANES`] descents side by side.
#[derive(Clone, Copy)]
struct Block {
    p: [Lanes; 2],
    value: Lanes,
    g: [Lanes; 2],
    buffer: [Lanes; 2],
}

impl Block {
    /// Makes lane `to` a copy of lane `from`.
    #[inline(always)]
    fn copy_lane(&mut self, from: usize, to: usize) {
        let Self {
            p: [x, y],
            value,
            g: [gx, gy],
            buffer: [bx, by],
        } = self;
        for v in [x, y, value, gx, gy, bx, by] {
            v.0[to] = v.0[from];
        }
    }
}

/// The lanes of a block's 8-bit masks.
const ALL: u32 = (1 << LANES) - 1;

/// Records where lane `l` of `b` ended and takes it out of `live`.
fn leave(b: &Block, live: &mut u32, out: &mut [Landing], l: usize, ending: Ending) {
    *live &= !(1 << l);
    out[l] = Landing {
        ending,
        point: [b.p[0].0[l], b.p[1].0[l]],
    };
}

/// Makes every lane not in `live` (which is not empty) a copy of a live one, so lanes never
/// compute with leftovers.
fn refill(b: &mut Block, next: &mut [Lanes; 2], live: u32) {
    let from = live.trailing_zeros() as usize;
    for l in lanes_of(!live & ALL) {
        b.copy_lane(from, l);
        next[0].0[l] = next[0].0[from];
        next[1].0[l] = next[1].0[from];
    }
}

/// Whether |(x, y)| < `tol`, exactly as a run decides convergence.
fn converges(x: f64, y: f64, tol: f64) -> bool {
    tol > 0.0 && norm(&[x, y]) < tol
}

fn ending(iterations: u32, value: f64, stop: StopReason) -> Ending {
    Ending {
        iterations,
        value,
        stop,
    }
}

/// The start's tests, lane by lane: outside the domain, f or its gradient not finite, or
/// already converged (returned as a mask).
#[cold]
#[inline(never)]
fn settle_start<F: Formula>(b: &mut Block, live: &mut u32, out: &mut [Landing], tol: f64) -> u32 {
    let mut converged = 0;
    for l in lanes_of(*live) {
        let (x, y) = (b.p[0].0[l], b.p[1].0[l]);
        let (value, gx, gy) = (b.value.0[l], b.g[0].0[l], b.g[1].0[l]);
        if !F::in_domain(x, y) {
            leave(b, live, out, l, ending(0, f64::NAN, StopReason::LeftDomain));
        } else if !(value.is_finite() && gx.is_finite() && gy.is_finite()) {
            leave(b, live, out, l, ending(0, value, StopReason::Diverged));
        } else if converges(gx, gy, tol) {
            converged |= 1 << l;
        }
    }
    if *live != 0 {
        refill(b, &mut [Lanes::splat(0.0); 2], *live);
    }
    converged
}

/// Lanes that converged leave at step `k`.
#[cold]
#[inline(never)]
fn settle_converged(b: &mut Block, live: &mut u32, out: &mut [Landing], converged: u32, k: u32) {
    for l in lanes_of(converged & *live) {
        let value = b.value.0[l];
        leave(b, live, out, l, ending(k, value, StopReason::Converged));
    }
    if *live != 0 {
        refill(b, &mut [Lanes::splat(0.0); 2], *live);
    }
}

/// The tests of step `k`'s next point, lane by lane: not finite or too far (diverged), or
/// outside the domain.
#[cold]
#[inline(never)]
fn settle_step<F: Formula>(
    b: &mut Block,
    next: &mut [Lanes; 2],
    live: &mut u32,
    out: &mut [Landing],
    k: u32,
) {
    for l in lanes_of(*live) {
        let (x, y) = (next[0].0[l], next[1].0[l]);
        let value = b.value.0[l];
        if !x.is_finite() || !y.is_finite() || norm(&[x, y]) > DIVERGENCE_NORM {
            leave(b, live, out, l, ending(k, value, StopReason::Diverged));
        } else if !F::in_domain(x, y) {
            leave(b, live, out, l, ending(k, value, StopReason::LeftDomain));
        }
    }
    if *live != 0 {
        refill(b, next, *live);
    }
}

/// The tests of f and its gradient at step `k`'s next point, lane by lane: not finite
/// (diverged, at the point before), or converged (returned as a mask).
#[cold]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn settle_values(
    b: &mut Block,
    next: &mut [Lanes; 2],
    values: &mut [Lanes; 3],
    live: &mut u32,
    out: &mut [Landing],
    k: u32,
    tol: f64,
) -> u32 {
    let mut converged = 0;
    for l in lanes_of(*live) {
        let [value, gx, gy] = values.map(|v| v.0[l]);
        if !(value.is_finite() && gx.is_finite() && gy.is_finite()) {
            // The run stays at the point before, as `Run` keeps it: its value is said.
            let before = b.value.0[l];
            leave(b, live, out, l, ending(k, before, StopReason::Diverged));
        } else if converges(gx, gy, tol) {
            converged |= 1 << l;
        }
    }
    if *live != 0 {
        let from = live.trailing_zeros() as usize;
        refill(b, next, *live);
        for v in values.iter_mut() {
            for l in lanes_of(!*live & ALL) {
                v.0[l] = v.0[from];
            }
        }
    }
    converged
}

/// Up to [`LANES`] starts descending side by side. Every lane takes the steps of
/// [`super::basins::Descender::descend`] and leaves the block where that one would return,
/// by the same tests; a cheap test over all lanes first tells whether any lane needs the
/// exact ones, which run out of the hot loop. A lane that left is refilled with a copy of
/// one still descending, so lanes never compute with leftovers.
#[inline(always)]
fn descend_block<F: Formula>(
    d: &Descents,
    starts: &[[f64; 2]],
    rates: Option<&[f64]>,
    out: &mut [Landing],
) {
    let Descents {
        config, iters, tol, ..
    } = *d;
    let n = starts.len();
    let base_lr = Lanes(from_fn(|l| rates.map_or(config.lr, |r| r[l.min(n - 1)])));
    let mut live: u32 = (1 << n) - 1;
    let p = [
        Lanes(from_fn(|l| starts[l.min(n - 1)][0])),
        Lanes(from_fn(|l| starts[l.min(n - 1)][1])),
    ];
    let (value, gx, gy) = value_and_gradient::<F>(p[0], p[1]);
    let mut b = Block {
        p,
        value,
        g: [gx, gy],
        buffer: [Lanes::splat(0.0); 2],
    };
    // The exact tests work on copies, so that the block itself stays in registers.
    let mut copy = b;
    let mut converged = settle_start::<F>(&mut copy, &mut live, out, tol);
    b = copy;
    if live == 0 {
        return;
    }
    // A lane whose gradient is not clearly longer than `tol` needs the exact test.
    let near_tol = (tol * tol * 1.001).max(1e-290);
    let near_divergence = DIVERGENCE_NORM * DIVERGENCE_NORM * 0.999;
    let clip = |g: [Lanes; 2]| match config.clip {
        Some(_) => g.map(|mut g| {
            clip_gradient(&mut g.0, config.clip);
            g
        }),
        None => g,
    };
    b.g = clip(b.g);
    let decay = config.weight_decay();
    let beta = config.momentum;
    for k in 0..iters {
        if converged != 0 {
            let mut copy = b;
            settle_converged(&mut copy, &mut live, out, converged, k);
            b = copy;
            if live == 0 {
                return;
            }
        }
        let lr = if config.schedule.is_constant() {
            base_lr
        } else {
            base_lr.map(|lr| config.schedule.lr(lr, u64::from(k)))
        };
        let mut next = [Lanes::splat(0.0); 2];
        // Indexes four arrays of the two coordinates at once.
        #[allow(clippy::needless_range_loop)]
        for i in 0..2 {
            let g = if decay != 0.0 {
                b.g[i] + b.p[i] * decay
            } else {
                b.g[i]
            };
            let direction = match config.kind {
                OptimizerKind::Momentum | OptimizerKind::Nesterov => {
                    let m = if k == 0 { g } else { b.buffer[i] * beta + g };
                    b.buffer[i] = m;
                    if config.kind == OptimizerKind::Nesterov {
                        g + m * beta
                    } else {
                        m
                    }
                }
                _ => g,
            };
            next[i] = b.p[i] - direction * lr;
        }
        // Blown up, too far, or outside the domain.
        let sum = next[0] * next[0] + next[1] * next[1];
        let mut outside = false;
        for l in 0..LANES {
            outside |= !F::in_domain(next[0].0[l], next[1].0[l]);
        }
        if outside || any(&[sum], |s| !(s > 1e-290 && s < near_divergence)) {
            let (mut copy, mut next_copy) = (b, next);
            settle_step::<F>(&mut copy, &mut next_copy, &mut live, out, k);
            (b, next) = (copy, next_copy);
            if live == 0 {
                return;
            }
        }
        let (value, gx, gy) = value_and_gradient::<F>(next[0], next[1]);
        let mut values = [value, gx, gy];
        // Some value not finite where the sum times 0 is NaN (or a finite sum overflowed:
        // the exact tests then find nothing).
        let check = (value + gx + gy) * 0.0;
        let may_converge = || {
            let sum = gx * gx + gy * gy;
            any(&[sum], |s| s <= near_tol || s.is_nan())
        };
        converged = 0;
        if any(&[check], |c| c != 0.0) || (tol > 0.0 && may_converge()) {
            let (mut copy, mut next_copy, mut values_copy) = (b, next, values);
            converged = settle_values(
                &mut copy,
                &mut next_copy,
                &mut values_copy,
                &mut live,
                out,
                k,
                tol,
            );
            (b, next, values) = (copy, next_copy, values_copy);
            if live == 0 {
                return;
            }
        }
        let [value, gx, gy] = values;
        b.p = next;
        b.value = value;
        b.g = clip([gx, gy]);
    }
    settle_end(&b, live, out, converged, iters);
}

/// The lanes still descending after the last step: converged or out of iterations.
#[cold]
#[inline(never)]
fn settle_end(b: &Block, mut live: u32, out: &mut [Landing], converged: u32, iters: u32) {
    for l in lanes_of(live) {
        let stop = if converged & (1 << l) != 0 {
            StopReason::Converged
        } else {
            StopReason::MaxIterations
        };
        let value = b.value.0[l];
        leave(b, &mut live, out, l, ending(iters, value, stop));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ad::surface_value_and_gradient;
    use crate::engine::presets::{Beale, Preset, Rastrigin, ThreeWells};

    fn same_as_num_dual<F: Formula>() {
        let preset = Preset::<F>::new();
        let xs = Lanes(from_fn(|l| 0.37 + 0.61 * l as f64));
        let ys = Lanes(from_fn(|l| -1.3 + 0.83 * l as f64));
        let (v, gx, gy) = value_and_gradient::<F>(xs, ys);
        for l in 0..LANES {
            let mut g = [0.0; 2];
            let value = surface_value_and_gradient(&preset, &[xs.0[l], ys.0[l]], &mut g);
            assert_eq!((v.0[l], gx.0[l], gy.0[l]), (value, g[0], g[1]), "lane {l}");
        }
        let mut out = [0.0; LANES + 3];
        let row: Vec<f64> = (0..LANES + 3).map(|i| i as f64 * 0.3 - 1.0).collect();
        values_on_row::<F>(&row, 0.7, &mut out);
        for (o, &x) in out.iter().zip(&row) {
            assert_eq!(*o, F::eval(x, 0.7));
        }
    }

    /// The kernels as built for any CPU agree with the ones picked at run time (AVX2 here).
    #[test]
    fn the_portable_kernels_agree_with_the_dispatched_ones() {
        let starts: Vec<[f64; 2]> = (0..40)
            .map(|i| [0.13 * i as f64, 5.0 - 0.11 * i as f64])
            .collect();
        for kind in [OptimizerKind::Gd, OptimizerKind::Nesterov] {
            let config = OptimizerConfig::new(kind, 0.3);
            let mut a = vec![Landing::default(); starts.len()];
            let mut b = a.clone();
            let d = Descents {
                config: &config,
                iters: 120,
                tol: 1e-5,
                starts: &starts,
                rates: None,
            };
            descend_many::<ThreeWells>(&d, &mut a);
            descend_many_portable::<ThreeWells>(&d, &mut b);
            assert_eq!(a, b);
        }
        let xs: Vec<f64> = (0..37).map(|i| i as f64 * 0.1).collect();
        let (mut a, mut b) = (vec![0.0; 37], vec![0.0; 37]);
        values_on_row::<Rastrigin>(&xs, 0.3, &mut a);
        values_on_row_portable::<Rastrigin>(&xs, 0.3, &mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn lanes_give_num_duals_values_and_gradients_bit_for_bit() {
        same_as_num_dual::<ThreeWells>();
        same_as_num_dual::<Rastrigin>();
        same_as_num_dual::<Beale>();
    }
}
