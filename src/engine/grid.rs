//! Sampling an objective on a regular grid, in parallel: the data behind heatmaps and contours.

use rayon::prelude::*;

use super::objective::{Interval, Objective};

/// Values of f at the centers of a `width` x `height` grid of cells over a view box.
///
/// Row 0 is the top of the view (largest y), as in an image.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// The x range the grid covers.
    pub x: Interval,
    /// The y range the grid covers.
    pub y: Interval,
    /// Cells per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Row-major values, `width * height` of them; NaN where f is undefined.
    pub values: Vec<f64>,
}

impl Grid {
    /// Samples `objective` over `x` times `y` at the centers of `width` x `height` cells,
    /// spreading rows over all cores.
    pub fn sample(
        objective: &dyn Objective,
        x: Interval,
        y: Interval,
        width: usize,
        height: usize,
    ) -> Self {
        Self::sample_rows(x, y, width, height, |xs, y, out| {
            objective.values_on_row(xs, y, out)
        })
    }

    /// Like [`Self::sample`], with NaN wherever the objective is undefined even though f
    /// is finite there (a typed function whose gradient is not finite): what a heatmap
    /// shows.
    pub fn sample_defined(
        objective: &dyn Objective,
        x: Interval,
        y: Interval,
        width: usize,
        height: usize,
    ) -> Self {
        Self::sample_rows(x, y, width, height, |xs, y, out| {
            objective.defined_values_on_row(xs, y, out)
        })
    }

    fn sample_rows(
        x: Interval,
        y: Interval,
        width: usize,
        height: usize,
        row_values: impl Fn(&[f64], f64, &mut [f64]) + Sync,
    ) -> Self {
        let xs: Vec<f64> = (0..width).map(|i| cell_center(x, i, width)).collect();
        let mut values = vec![0.0; width * height];
        if width > 0 {
            values
                .par_chunks_mut(width)
                .enumerate()
                .for_each(|(row, out)| {
                    let y_row = cell_center(y, height - 1 - row, height);
                    row_values(&xs, y_row, out);
                });
        }
        Self {
            x,
            y,
            width,
            height,
            values,
        }
    }

    /// The value of cell (`col`, `row`).
    pub fn at(&self, col: usize, row: usize) -> f64 {
        self.values[row * self.width + col]
    }

    /// The smallest and largest finite value, or `None` if there is none.
    pub fn finite_range(&self) -> Option<(f64, f64)> {
        let (lo, hi) = self
            .values
            .par_iter()
            .filter(|v| v.is_finite())
            .fold(
                || (f64::INFINITY, f64::NEG_INFINITY),
                |(lo, hi), &v| (lo.min(v), hi.max(v)),
            )
            .reduce(
                || (f64::INFINITY, f64::NEG_INFINITY),
                |a, b| (a.0.min(b.0), a.1.max(b.1)),
            );
        (lo <= hi).then_some((lo, hi))
    }
}

/// The center of cell `i` of `n` equal cells spanning `range`.
pub fn cell_center(range: Interval, i: usize, n: usize) -> f64 {
    range.lo + (i as f64 + 0.5) * range.width() / n as f64
}
