//! Engine benchmarks: grid sampling (the heatmap's data) and optimizer steps.
//!
//! Targets (issue "Engine and command line"): <= 3 ns per grid point on a 1024 x 1024 grid
//! using both cores, <= 50 ns per gradient-descent step on three-wells.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use descent::engine::{Grid, OptimizerConfig, OptimizerKind, Run, RunSpec, preset};
use std::hint::black_box;

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

criterion_group!(benches, grid_values, gd_steps);
criterion_main!(benches);
