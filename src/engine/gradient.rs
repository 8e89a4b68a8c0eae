//! Where a step's gradient comes from when it is not the objective's own: a source that a
//! run asks once per step (mini-batches of a data set, and later noisy gradients).

use std::any::Any;
use std::fmt;

use super::objective::Objective;

/// A source of the gradients a run follows, one draw per step.
///
/// The run still records the objective's exact value and gradient at every iterate; the
/// source only decides the direction each step takes.
pub trait GradientSource: fmt::Debug + Send + Sync {
    /// Draws the sample the next step follows, writes its gradient at `p` into `gradient`
    /// and returns its value there (e.g. the loss of one mini-batch).
    fn draw(&mut self, p: &[f64], gradient: &mut [f64]) -> f64;

    /// The function of the last draw, for optimizers that evaluate more than the gradient
    /// (Newton's Hessian, the line search's trial points).
    fn drawn(&self) -> &dyn Objective;

    /// A copy of the source in its current state.
    fn clone_box(&self) -> Box<dyn GradientSource>;

    /// The source as it was before its first draw.
    fn restarted(&self) -> Box<dyn GradientSource>;

    /// The source as [`Any`], so callers can ask what kind it is.
    fn as_any(&self) -> &dyn Any;
}

impl Clone for Box<dyn GradientSource> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}
