#!/usr/bin/env python3
"""The same work as descent's criterion benchmarks, done with numpy, for the README's table.

Run it in the same session as `cargo bench` so both figures come from one machine:

    pip install numpy sympy && python3 benches/numpy_compare.py

Each figure is the median of several repeats, in milliseconds.
"""

import statistics
import time

import numpy as np

try:
    import sympy as sp
except ImportError:  # the typed-formula rows need sympy: pip install sympy
    sp = None

# The same text descent's typed-formula benchmark parses.
THREE_WELLS_TEXT = (
    "10 - (10/(3+3*(x-0.5)**2+3*(y-0.5)**2) + 2/(1+2*(x-3)**2+2*(y-1.5)**2)"
    " + 3/(1+0.5*(x-3.5)**2+0.5*(y-4)**2))"
)


def typed_rows():
    """Seed 003's way with a typed formula: sympy parses and differentiates, lambdify makes
    numpy functions. Timed: values and the gradient over a 1024 x 1024 grid, the gradient
    over a 100 x 100 grid (vectorized), and the gradient point by point as a descent loop asks it."""
    if sp is None:
        return []
    x, y = sp.symbols("x y")
    expr = sp.sympify(THREE_WELLS_TEXT)
    f = sp.lambdify((x, y), expr, "numpy")
    grad = sp.lambdify((x, y), [sp.diff(expr, x), sp.diff(expr, y)], "numpy")
    xs = 0.5 + np.arange(100) * 0.04
    gx, gy = np.meshgrid(xs, xs)

    def pointwise():
        total = 0.0
        for i in range(10_000):
            g = grad(0.5 + (i % 100) * 0.04, 0.5 + (i // 100) * 0.04)
            total += g[0]
        return total

    return [
        ("typed three-wells (sympy lambdify) grid 1024x1024", median_ms(lambda: grid(f, 0, 5, 0, 5, 1024))),
        ("typed three-wells (sympy lambdify) gradient grid 1024x1024", median_ms(lambda: grid(grad, 0, 5, 0, 5, 1024))),
        ("typed three-wells (sympy lambdify) gradient 100x100 grid", median_ms(lambda: grad(gx, gy))),
        ("typed three-wells (sympy lambdify) gradient 10k points, a call each", median_ms(pointwise, repeats=5)),
    ]


def median_ms(work, repeats=15):
    work()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def three_wells(x, y):
    a = 10.0 / (3.0 + 3.0 * (x - 0.5) ** 2 + 3.0 * (y - 0.5) ** 2)
    b = 2.0 / (1.0 + 2.0 * (x - 3.0) ** 2 + 2.0 * (y - 1.5) ** 2)
    c = 3.0 / (1.0 + 0.5 * (x - 3.5) ** 2 + 0.5 * (y - 4.0) ** 2)
    return 10.0 - (a + b + c)


def rosenbrock(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


def grid(f, lo_x, hi_x, lo_y, hi_y, n, rows=None):
    # Cell centers, as descent samples them.
    rows = n if rows is None else rows
    xs = lo_x + (np.arange(n) + 0.5) * (hi_x - lo_x) / n
    ys = hi_y - (np.arange(rows) + 0.5) * (hi_y - lo_y) / rows
    x, y = np.meshgrid(xs, ys)
    return f(x, y)


def three_wells_gradient(x, y):
    # The derivative of each well, written out by hand for the Python baseline.
    da = 3.0 + 3.0 * (x - 0.5) ** 2 + 3.0 * (y - 0.5) ** 2
    db = 1.0 + 2.0 * (x - 3.0) ** 2 + 2.0 * (y - 1.5) ** 2
    dc = 1.0 + 0.5 * (x - 3.5) ** 2 + 0.5 * (y - 4.0) ** 2
    gx = 10.0 * 6.0 * (x - 0.5) / da**2 + 2.0 * 4.0 * (x - 3.0) / db**2 + 3.0 * (x - 3.5) / dc**2
    gy = 10.0 * 6.0 * (y - 0.5) / da**2 + 2.0 * 4.0 * (y - 1.5) / db**2 + 3.0 * (y - 4.0) / dc**2
    return gx, gy


def gd_steps(steps=100_000):
    x, y = 4.5, 0.2
    for _ in range(steps):
        gx, gy = three_wells_gradient(x, y)
        x, y = x - 0.01 * gx, y - 0.01 * gy
    return x, y


def basin_map(n=256, steps=200, lr=0.1):
    # Every start of a 256 x 256 grid over [0, 5]^2 at once, as descent's basin map.
    xs = (np.arange(n) + 0.5) * 5.0 / n
    x, y = np.meshgrid(xs, xs)
    for _ in range(steps):
        gx, gy = three_wells_gradient(x, y)
        x = x - lr * gx
        y = y - lr * gy
    minima = np.array([[0.5, 0.5], [3.0, 1.5], [3.5, 4.0]])
    d2 = (x[..., None] - minima[:, 0]) ** 2 + (y[..., None] - minima[:, 1]) ** 2
    radius = 0.01 * np.hypot(5.0, 5.0)
    return np.where(d2.min(axis=-1) <= radius**2, d2.argmin(axis=-1), -2)


def lr_sweep(count=200, steps=1000):
    # 200 learning rates at once from three-wells' start (4.5, 0.2).
    lrs = np.logspace(-3, 0, count)
    x = np.full(count, 4.5)
    y = np.full(count, 0.2)
    for _ in range(steps):
        gx, gy = three_wells_gradient(x, y)
        x = x - lrs * gx
        y = y - lrs * gy
    return three_wells(x, y)


def main():
    rng = np.random.default_rng(0)
    n_points = 1_000_000
    data_x = 2.0 * rng.random(n_points)
    data_y = 4.0 + 3.0 * data_x + rng.standard_normal(n_points)

    def statistics_pass():
        mx, my = data_x.mean(), data_y.mean()
        dx, dy = data_x - mx, data_y - my
        return mx, my, (dx * dx).mean(), (dx * dy).mean(), (dy * dy).mean()

    mx, my, vxx, vxy, vyy = statistics_pass()

    def landscape():
        w0 = np.linspace(-1.0, 9.0, 512)
        w1 = np.linspace(-1.0, 7.0, 512)
        a, b = np.meshgrid(w0, w1)
        # The same sum of squares descent evaluates (never negative near the minimum).
        slope = vxy / vxx
        residual = max(vyy - vxy * slope, 0.0)
        return (a + b * mx - my) ** 2 + vxx * (b - slope) ** 2 + residual

    def minibatch_epoch(batch=64):
        order = rng.permutation(n_points)
        w0, w1 = 0.0, 0.0
        for start in range(0, n_points, batch):
            idx = order[start : start + batch]
            bx, by = data_x[idx], data_y[idx]
            r = w0 + w1 * bx - by
            w0 -= 0.01 * 2.0 * r.mean()
            w1 -= 0.01 * 2.0 * (r * bx).mean()
        return w0, w1

    rows = [
        ("grid_1024x1024/three-wells", median_ms(lambda: grid(three_wells, 0, 5, 0, 5, 1024))),
        ("grid_1024x1024/rosenbrock", median_ms(lambda: grid(rosenbrock, -2, 2, -1, 3, 1024))),
        ("heatmap values 1280x800 three-wells (no coloring)", median_ms(lambda: grid(three_wells, 0, 5, 0, 5, 1280, 800))),
        ("gd_steps/three-wells_100k (Python loop)", median_ms(gd_steps, repeats=5)),
        ("regression statistics, 1M points", median_ms(statistics_pass)),
        ("regression landscape 512x512 from statistics", median_ms(landscape)),
        ("mini-batch epoch, 1M points, batch 64", median_ms(minibatch_epoch, repeats=5)),
        ("basin map three-wells 256x256 starts x 200 GD steps", median_ms(basin_map, repeats=5)),
        ("sweep 200 rates x 1000 GD steps (three-wells)", median_ms(lr_sweep, repeats=5)),
    ] + typed_rows()
    print(f"numpy {np.__version__}" + (f", sympy {sp.__version__}" if sp else " (no sympy: typed rows skipped)"))
    for name, ms in rows:
        print(f"{name:50s} {ms:10.3f} ms")


if __name__ == "__main__":
    main()
