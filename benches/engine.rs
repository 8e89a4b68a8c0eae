//! Engine benchmarks: grid sampling (the heatmap's data) and optimizer steps.
//!
//! Targets: <= 3 ns per grid point on a 1024 x 1024 grid using both cores, <= 50 ns per
//! gradient-descent step on three-wells; the loss landscape of 1,000,000 points on a
//! 512 x 512 grid <= 10 ms (statistics pass and grid); one mini-batch epoch over 1,000,000
//! points (batch 64) <= 10 ms. `benches/numpy_compare.py` times the same work with numpy.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use descent::engine::expr::{Expr, TypedFunction};
use descent::engine::grid::cell_center;
use descent::engine::regression::{BatchSpec, DataSpec, Dataset, LossObjective};
use descent::engine::{Grid, Objective, OptimizerConfig, OptimizerKind, Run, RunSpec, preset};
use rayon::prelude::*;
use std::hint::black_box;
use std::sync::Arc;

fn grid_values(c: &mut Criterion) {
    let mut group = c.benchmark_group("grid_1024x1024");
    let n = 1024;
    group.throughput(Throughput::Elements((n * n) as u64));
    for name in ["three-wells", "rosenbrock"] {
        let objective = preset(name, None).unwrap();
        let view = objective.info().view.clone();
        group.bench_with_input(
            BenchmarkId::from_parameter(name),
            &objective,
            |b, objective| {
                b.iter(|| Grid::sample(objective.as_ref(), view[0], view[1], black_box(n), n));
            },
        );
    }
    group.finish();
}

/// Three-wells typed as text against the preset: the grid of values and the gradient.
fn typed_formula(c: &mut Criterion) {
    let text = "10 - (10/(3+3*(x-0.5)^2+3*(y-0.5)^2) + 2/(1+2*(x-3)^2+2*(y-1.5)^2) + 3/(1+0.5*(x-3.5)^2+0.5*(y-4)^2))";
    let typed: Arc<dyn Objective> = Arc::new(TypedFunction::new(Expr::parse(text).unwrap()));
    let preset = preset("three-wells", None).unwrap();
    let view = preset.info().view.clone();
    let mut group = c.benchmark_group("typed_three-wells");
    group.throughput(Throughput::Elements(1024 * 1024));
    group.bench_function("grid_1024x1024", |b| {
        b.iter(|| Grid::sample(typed.as_ref(), view[0], view[1], black_box(1024), 1024));
    });
    group.finish();
    // The gradient figure: f and its gradient over the same 1024 x 1024 grid, rows
    // spread over both cores as the grid of values is.
    let mut group = c.benchmark_group("gradient_1024x1024");
    group.throughput(Throughput::Elements(1024 * 1024));
    for (name, objective) in [("preset", &preset), ("typed", &typed)] {
        group.bench_function(name, |b| {
            let n = 1024;
            let xs: Vec<f64> = (0..n).map(|i| cell_center(view[0], i, n)).collect();
            let mut out = vec![[0.0; 3]; n * n];
            b.iter(|| {
                out.par_chunks_mut(n).enumerate().for_each_init(
                    || (vec![0.0; n], vec![0.0; n], vec![0.0; n]),
                    |(v, gx, gy), (row, out)| {
                        let y = cell_center(view[1], n - 1 - row, n);
                        objective.gradients_on_row(black_box(&xs), y, v, gx, gy);
                        for (i, o) in out.iter_mut().enumerate() {
                            *o = [v[i], gx[i], gy[i]];
                        }
                    },
                );
                out[n * n / 2][1]
            });
        });
    }
    group.finish();
    let mut group = c.benchmark_group("gradient_100x100_rows");
    group.throughput(Throughput::Elements(10_000));
    for (name, objective) in [("preset", &preset), ("typed", &typed)] {
        group.bench_function(name, |b| {
            let xs: Vec<f64> = (0..100).map(|i| 0.5 + i as f64 * 0.04).collect();
            let (mut v, mut gx, mut gy) = (vec![0.0; 100], vec![0.0; 100], vec![0.0; 100]);
            b.iter(|| {
                let mut sum = 0.0;
                for row in 0..100 {
                    let y = 0.5 + row as f64 * 0.04;
                    objective.gradients_on_row(black_box(&xs), y, &mut v, &mut gx, &mut gy);
                    sum += v[0] + gx[1] + gy[2];
                }
                sum
            });
        });
    }
    group.finish();
    let mut group = c.benchmark_group("value_10k_points");
    for (name, objective) in [("preset", &preset), ("typed", &typed)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut sum = 0.0;
                for i in 0..10_000 {
                    let p = [0.5 + (i % 100) as f64 * 0.04, 0.5 + (i / 100) as f64 * 0.04];
                    sum += objective.value(black_box(&p));
                }
                sum
            });
        });
    }
    group.finish();
    let mut group = c.benchmark_group("gradient_10k_points");
    group.throughput(Throughput::Elements(10_000));
    for (name, objective) in [("preset", &preset), ("typed", &typed)] {
        group.bench_function(name, |b| {
            let mut g = [0.0; 2];
            b.iter(|| {
                let mut sum = 0.0;
                for i in 0..10_000 {
                    let p = [0.5 + (i % 100) as f64 * 0.04, 0.5 + (i / 100) as f64 * 0.04];
                    sum += objective.value_and_gradient(black_box(&p), &mut g) + g[0];
                }
                sum
            });
        });
    }
    group.finish();
}

fn gd_steps(c: &mut Criterion) {
    let mut group = c.benchmark_group("gd_steps");
    let steps = 100_000;
    group.throughput(Throughput::Elements(steps));
    let objective = preset("three-wells", None).unwrap();
    let spec = RunSpec {
        optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.01),
        start: vec![4.5, 0.2],
        max_iters: steps,
        tol: 0.0,
    };
    group.bench_function("three-wells_100k", |b| {
        b.iter(|| {
            let mut run = Run::new(objective.clone(), black_box(spec.clone())).unwrap();
            run.finish_all();
            run
        });
    });
    group.finish();
}

fn regression(c: &mut Criterion) {
    let spec = DataSpec {
        n: 1_000_000,
        ..DataSpec::seed001()
    };
    let data = Arc::new(spec.generate().unwrap());
    // The statistics pass over every point, apart from the grid that uses them.
    c.bench_function("regression_statistics_1M_points", |b| {
        b.iter(|| LossObjective::new(black_box(&data)));
    });
    let objective: Arc<dyn Objective> = Arc::new(LossObjective::new(&data));
    let view = objective.info().view.clone();
    c.bench_function("regression_landscape_512x512_from_statistics", |b| {
        b.iter(|| Grid::sample(objective.as_ref(), view[0], view[1], black_box(512), 512));
    });
    let batch = BatchSpec::shuffled(64, 1);
    let run_spec = RunSpec {
        optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.01),
        start: vec![0.0, 0.0],
        max_iters: batch.steps_per_epoch(data.len()) as u64,
        tol: 0.0,
    };
    // A first epoch pays for laying the points out in pairs; later epochs reuse the layout.
    // Both include making the run, the per-step shuffle and the full-data loss and gradient
    // recorded at every iterate, as the window's runs do (path capped as in the window).
    c.bench_function("regression_minibatch_first_epoch_1M_points_batch_64", |b| {
        b.iter_batched(
            || Arc::new(Dataset::new(data.x.clone(), data.y.clone()).unwrap()),
            |fresh| {
                let mut run = Run::with_batches(objective.clone(), run_spec.clone(), fresh, batch)
                    .unwrap()
                    .with_path_cap(1 << 15);
                run.finish_all();
                run
            },
            criterion::BatchSize::LargeInput,
        );
    });
    c.bench_function("regression_minibatch_epoch_1M_points_batch_64", |b| {
        b.iter(|| {
            let mut run =
                Run::with_batches(objective.clone(), run_spec.clone(), data.clone(), batch)
                    .unwrap()
                    .with_path_cap(1 << 15);
            run.finish_all();
            run
        });
    });
}

/// Basin map of three-wells: 256 x 256 starts, 200 GD steps each (no early stop), labelled
/// by the minimum reached; the numpy script times the same.
fn basin_map(c: &mut Criterion) {
    use descent::engine::basins::{BasinSpec, basins, minima_for};
    let objective = preset("three-wells", None).unwrap();
    let view = objective.info().view.clone();
    let spec = BasinSpec {
        optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.1),
        iters: 200,
        tol: 0.0,
        view: [view[0], view[1]],
        width: 256,
        height: 256,
    };
    let minima = minima_for(objective.as_ref(), &view);
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let mut group = c.benchmark_group("basins");
    group.throughput(Throughput::Elements(256 * 256 * 200));
    group.sample_size(10);
    group.bench_function("three-wells_256x256_starts_200_gd_steps", |b| {
        b.iter(|| basins(objective.as_ref(), black_box(&spec), &minima, &cancel));
    });
    group.finish();
}

/// How many divisions per second both cores can do, four at a time in AVX2 registers
/// where the CPU has them: a gradient of three-wells takes three, so this sets the limit of
/// the basin map above (the README's estimate).
fn division_throughput(c: &mut Criterion) {
    const ROUNDS: usize = 1_000_000;
    const CHAINS: usize = 32;
    /// 32 independent chains of `v <- 1 / v + 1`: enough to keep the divider busy.
    #[inline(always)]
    fn divide(seed: f64) -> f64 {
        let mut v: [f64; CHAINS] = std::array::from_fn(|i| seed + i as f64);
        for _ in 0..ROUNDS {
            for x in &mut v {
                *x = 1.0 / *x + 1.0;
            }
        }
        v.iter().sum()
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn divide_avx2(seed: f64) -> f64 {
        divide(seed)
    }
    fn divide_fastest(seed: f64) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { divide_avx2(seed) };
        }
        divide(seed)
    }
    let mut group = c.benchmark_group("divisions");
    group.throughput(Throughput::Elements((2 * ROUNDS * CHAINS) as u64));
    group.sample_size(10);
    group.bench_function("both_cores_64M", |b| {
        b.iter(|| {
            rayon::join(
                || divide_fastest(black_box(1.5)),
                || divide_fastest(black_box(2.5)),
            )
        });
    });
    group.finish();
}

/// 200 learning rates from 1e-3 to 1, 1,000 GD steps each, from three-wells' own start.
fn lr_sweep(c: &mut Criterion) {
    use descent::engine::basins::{log_space, sweep};
    let objective = preset("three-wells", None).unwrap();
    let start = objective.info().default_start.clone();
    let lrs = log_space(1e-3, 1.0, 200);
    let config = OptimizerConfig::new(OptimizerKind::Gd, 0.1);
    let mut group = c.benchmark_group("sweep");
    group.throughput(Throughput::Elements(200 * 1000));
    group.bench_function("three-wells_200_rates_1000_gd_steps", |b| {
        b.iter(|| {
            sweep(
                objective.as_ref(),
                &config,
                black_box(&start),
                &lrs,
                1000,
                0.0,
            )
        });
    });
    group.finish();
}

criterion_group!(
    benches,
    grid_values,
    typed_formula,
    gd_steps,
    regression,
    basin_map,
    division_throughput,
    lr_sweep
);
criterion_main!(benches);
