//! Automatic differentiation for functions of one or two variables written once,
//! generically over the number type: plain `f64` for speed, num-dual's dual numbers for
//! exact gradients and Hessians. Presets and the regression loss both use it.

use std::ops::{Add, Mul, Neg, Sub};

use nalgebra::{DMatrix, SVector};
use num_dual::{
    Dual2_64, Dual2SVec64, Dual64, DualNum, DualSVec64, first_derivative, gradient, hessian,
    second_derivative,
};

use super::objective::SecondOrder;

/// A number type formulas can be evaluated with: `f64` for speed, dual numbers for exact
/// derivatives.
pub trait Scalar: DualNum<Primitive = f64> + Copy {}
impl<T: DualNum<Primitive = f64> + Copy> Scalar for T {}

/// What a preset's formula uses of its number type: arithmetic with itself and with `f64`,
/// and a few elementary functions. Every [`Scalar`] is one; so are the lanes of
/// [`super::lanes`], which evaluate many points at once.
pub trait Real:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Neg<Output = Self>
    + Add<f64, Output = Self>
    + Sub<f64, Output = Self>
    + Mul<f64, Output = Self>
{
    /// self^n.
    fn powi(self, n: i32) -> Self;
    /// 1 / self.
    fn recip(self) -> Self;
    /// e^self.
    fn exp(self) -> Self;
    /// The natural logarithm.
    fn ln(self) -> Self;
    /// The sine.
    fn sin(self) -> Self;
    /// The cosine.
    fn cos(self) -> Self;
}

impl<T: Scalar> Real for T {
    #[inline(always)]
    fn powi(self, n: i32) -> Self {
        DualNum::powi(&self, n)
    }
    #[inline(always)]
    fn recip(self) -> Self {
        DualNum::recip(&self)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        DualNum::exp(&self)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        DualNum::ln(&self)
    }
    #[inline(always)]
    fn sin(self) -> Self {
        DualNum::sin(&self)
    }
    #[inline(always)]
    fn cos(self) -> Self {
        DualNum::cos(&self)
    }
}

/// A function of two variables written once, generically (a preset's formula, a
/// regression's statistics).
pub trait Surface {
    /// f(x, y).
    fn eval<D: Scalar>(&self, x: D, y: D) -> D;
}

/// f(p) and its gradient by forward-mode automatic differentiation.
pub fn surface_value_and_gradient<S: Surface>(surface: &S, p: &[f64], grad: &mut [f64]) -> f64 {
    let (value, g) = gradient(
        |v: SVector<DualSVec64<2>, 2>| surface.eval(v[0], v[1]),
        &SVector::from([p[0], p[1]]),
    );
    grad.copy_from_slice(g.as_slice());
    value
}

/// f(p), its gradient and its Hessian by forward-mode automatic differentiation.
pub fn surface_second_order<S: Surface>(surface: &S, p: &[f64]) -> SecondOrder {
    let (value, g, h) = hessian(
        |v: SVector<Dual2SVec64<2>, 2>| surface.eval(v[0], v[1]),
        &SVector::from([p[0], p[1]]),
    );
    SecondOrder {
        value,
        gradient: g.as_slice().to_vec(),
        hessian: DMatrix::from_column_slice(2, 2, h.as_slice()),
    }
}

/// f(x) and f'(x) of a curve (the second argument held at 0).
pub fn curve_value_and_slope<S: Surface>(surface: &S, x: f64) -> (f64, f64) {
    first_derivative(|x: Dual64| surface.eval(x, Dual64::from(0.0)), x)
}

/// f(x), f'(x) and f''(x) of a curve (the second argument held at 0).
pub fn curve_second_order<S: Surface>(surface: &S, x: f64) -> SecondOrder {
    let (value, slope, curvature) =
        second_derivative(|x: Dual2_64| surface.eval(x, Dual2_64::from(0.0)), x);
    SecondOrder {
        value,
        gradient: vec![slope],
        hessian: DMatrix::from_element(1, 1, curvature),
    }
}
