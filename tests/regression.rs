//! The regression lab's engine: data, sufficient statistics, batch / mini-batch / SGD.

use std::sync::Arc;

use descent::engine::regression::{
    BatchSpec, DataError, DataSpec, Dataset, LossObjective, batch_at, epoch_order, parse_csv,
};
use descent::engine::{Objective, OptimizerConfig, OptimizerKind, Run, RunSpec, StopReason};
use proptest::prelude::*;

fn fit(data: &Arc<Dataset>, lr: f64, epochs: usize, batch: Option<usize>, start: [f64; 2]) -> Run {
    let objective: Arc<dyn Objective> = Arc::new(LossObjective::new(data));
    let size = batch.unwrap_or(data.len());
    let spec = BatchSpec::shuffled(size, 7);
    let run_spec = RunSpec {
        optimizer: OptimizerConfig::new(OptimizerKind::Gd, lr),
        start: start.to_vec(),
        max_iters: (epochs * spec.steps_per_epoch(data.len())) as u64,
        tol: 0.0,
    };
    let mut run = match batch {
        Some(_) => Run::with_batches(objective, run_spec, data.clone(), spec).unwrap(),
        None => Run::new(objective, run_spec).unwrap(),
    };
    run.finish_all();
    run
}

#[test]
fn batch_descent_equals_the_seed_formulas_computed_by_hand() {
    let data = Arc::new(Dataset::new(vec![0.0, 1.0, 2.0, 3.0], vec![1.0, 3.0, 2.0, 5.0]).unwrap());
    let run = fit(&data, 0.1, 50, None, [0.0, 0.0]);
    // Step 1 by hand: residuals -y, grad = (2/4)(-11, -22) = (-5.5, -11), w = (0.55, 1.1).
    // Step 2: residuals (-0.45, -1.35, 0.75, -1.15), grad = (-1.1, -1.65), w = (0.66, 1.265).
    let p1 = run.path().point(1);
    let p2 = run.path().point(2);
    assert!(
        (p1[0] - 0.55).abs() < 1e-12 && (p1[1] - 1.1).abs() < 1e-12,
        "{p1:?}"
    );
    assert!(
        (p2[0] - 0.66).abs() < 1e-12 && (p2[1] - 1.265).abs() < 1e-12,
        "{p2:?}"
    );
    // Every step: the seed notebooks' loop, gradient_w1 = (2/n) sum(w1 + w2 x - y), ...
    let (mut w0, mut w1) = (0.0, 0.0);
    for k in 1..=50 {
        let n = data.len() as f64;
        let r: Vec<f64> = data
            .x
            .iter()
            .zip(&data.y)
            .map(|(x, y)| w0 + w1 * x - y)
            .collect();
        let g0 = 2.0 / n * r.iter().sum::<f64>();
        let g1 = 2.0 / n * r.iter().zip(&data.x).map(|(r, x)| r * x).sum::<f64>();
        w0 -= 0.1 * g0;
        w1 -= 0.1 * g1;
        let p = run.path().point(k);
        assert!(
            (p[0] - w0).abs() < 1e-9 && (p[1] - w1).abs() < 1e-9,
            "step {k}: {p:?} vs ({w0}, {w1})"
        );
    }
}

#[test]
fn every_mode_reaches_the_least_squares_line_on_the_seed_data() {
    // (data, lr for batch, mini-batch 20 and SGD, epochs for each); x standardized, as the
    // lab suggests, so one learning rate suits both parameters.
    let cases = [
        ("seed000", [(0.5, 200), (0.0003, 10000), (0.00005, 3000)]),
        ("seed001", [(0.5, 200), (0.002, 4000), (0.0002, 1000)]),
        ("seed002", [(0.5, 200), (0.002, 4000), (0.0005, 1000)]),
    ];
    for (name, settings) in cases {
        let data = Arc::new(
            DataSpec::preset(name)
                .unwrap()
                .generate()
                .unwrap()
                .standardized()
                .unwrap(),
        );
        let best = data.stats().least_squares().unwrap();
        for ((lr, epochs), batch) in settings.into_iter().zip([None, Some(20), Some(1)]) {
            let run = fit(&data, lr, epochs, batch, [0.0, 0.0]);
            let w = run.path().last_point();
            let error = (w[0] - best[0]).abs().max((w[1] - best[1]).abs());
            assert!(
                error < 1e-3,
                "{name}, batch {batch:?}: {w:?} vs {best:?} (error {error})"
            );
        }
    }
}

#[test]
fn sufficient_statistics_give_the_direct_mean_over_points() {
    let data = DataSpec::seed000().generate().unwrap();
    let objective = LossObjective::new(&data);
    for (w0, w1) in [(0.0, 0.0), (4.0, 4.0), (1.3, 2.1), (-50.0, 0.5)] {
        let direct = data.direct_loss(w0, w1);
        let fast = objective.value(&[w0, w1]);
        assert!(
            (direct - fast).abs() <= 1e-10 * direct.max(1.0),
            "{direct} vs {fast}"
        );
    }
}

proptest! {
    #[test]
    fn batch_statistics_equal_the_batch_direct_loss(
        seed in 0u64..1000,
        size in 1usize..50,
        w0 in -10.0f64..10.0,
        w1 in -10.0f64..10.0,
    ) {
        let data = DataSpec { seed, ..DataSpec::seed002() }.generate().unwrap();
        let indices: Vec<u32> = epoch_order(data.len(), seed, 0)[..size].to_vec();
        let objective = LossObjective::of_batch(data.stats_of(&indices));
        // The mean over the batch's points, summed one by one.
        let direct = indices
            .iter()
            .map(|&i| (w0 + w1 * data.x[i as usize] - data.y[i as usize]).powi(2))
            .sum::<f64>()
            / size as f64;
        prop_assert!((objective.value(&[w0, w1]) - direct).abs() <= 1e-8 * direct.max(1.0));
    }
}

#[test]
fn least_squares_is_the_loss_minimum() {
    let data = DataSpec::seed001().generate().unwrap();
    let objective = LossObjective::new(&data);
    let best = objective.info().minima[0].clone();
    let mut g = [0.0; 2];
    objective.value_and_gradient(&best, &mut g);
    assert!(g[0].abs() < 1e-12 && g[1].abs() < 1e-12, "{g:?}");
    // The notebooks' data: a line close to the true one.
    assert!(
        (best[0] - 4.0).abs() < 0.5 && (best[1] - 3.0).abs() < 0.5,
        "{best:?}"
    );
}

#[test]
fn generated_data_depends_only_on_its_spec() {
    let a = DataSpec::seed001().generate().unwrap();
    let b = DataSpec::seed001().generate().unwrap();
    assert_eq!(a, b);
    let c = DataSpec {
        seed: 1,
        ..DataSpec::seed001()
    }
    .generate()
    .unwrap();
    assert_ne!(a, c);
    assert!(a.x.iter().all(|x| (0.0..2.0).contains(x)));
    let even = DataSpec::seed002().generate().unwrap();
    assert_eq!(even.x.first(), Some(&-50.0));
    assert_eq!(even.x.last(), Some(&49.0));
    assert_eq!(even.x[1], -49.0);
    let seed000 = DataSpec::seed000().generate().unwrap();
    assert_eq!((seed000.x[0], seed000.x[99]), (0.0, 100.0));
}

#[test]
fn mini_batches_are_deterministic_for_a_seed_and_cover_each_epoch() {
    let data = Arc::new(DataSpec::seed001().generate().unwrap());
    let a = fit(&data, 0.05, 5, Some(16), [0.0, 0.0]);
    let b = fit(&data, 0.05, 5, Some(16), [0.0, 0.0]);
    assert_eq!(a.path(), b.path());
    assert_eq!(a.drawn_values(), b.drawn_values());
    assert_eq!(a.iterations(), 5 * 7, "ceil(100 / 16) = 7 steps per epoch");
    assert_eq!(a.drawn_values().len(), a.iterations());
    // Each epoch visits every point once; epochs differ.
    let spec = BatchSpec::shuffled(16, 7);
    let mut seen: Vec<u32> = (1..=7).flat_map(|step| batch_at(100, spec, step)).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..100).collect::<Vec<u32>>());
    assert_eq!(
        batch_at(100, spec, 7).count(),
        4,
        "the last batch takes the rest"
    );
    assert_ne!(
        batch_at(100, spec, 1).collect::<Vec<_>>(),
        batch_at(100, spec, 8).collect::<Vec<_>>()
    );
}

#[test]
fn sgd_losses_are_noisy_and_batch_losses_are_not() {
    let data = Arc::new(
        DataSpec::seed001()
            .generate()
            .unwrap()
            .standardized()
            .unwrap(),
    );
    let sgd = fit(&data, 0.01, 3, Some(1), [0.0, 0.0]);
    let ups = sgd
        .drawn_values()
        .values()
        .windows(2)
        .filter(|w| w[1] > w[0])
        .count();
    assert!(ups > 50, "single-point losses jump around: {ups} rises");
    let batch = fit(&data, 0.1, 50, None, [0.0, 0.0]);
    assert!(batch.path().values().windows(2).all(|w| w[1] <= w[0]));
}

#[test]
fn a_too_large_rate_on_raw_x_diverges_and_clipping_tames_it() {
    let data = Arc::new(DataSpec::seed000().generate().unwrap());
    let run = fit(&data, 0.01, 100, None, [4.0, 4.0]);
    assert_eq!(run.stop_reason(), Some(StopReason::Diverged));
    assert!(run.path().values().iter().all(|v| v.is_finite()));
    // Seed 000's settings: lr 0.0005 with the gradient clipped to [-1000, 1000].
    let objective: Arc<dyn Objective> = Arc::new(LossObjective::new(&data));
    let spec = RunSpec {
        optimizer: OptimizerConfig {
            clip: Some(1000.0),
            ..OptimizerConfig::new(OptimizerKind::Gd, 0.0005)
        },
        start: vec![4.0, 4.0],
        max_iters: 1000,
        tol: 0.0,
    };
    let mut run = Run::new(objective, spec).unwrap();
    assert_eq!(run.finish_all(), StopReason::MaxIterations);
    let w = run.path().last_point();
    assert!((w[1] - 2.0).abs() < 0.3, "the slope is found: {w:?}");
}

#[test]
fn csv_reads_two_columns_with_or_without_header_and_any_separator() {
    for text in [
        "x,y\n1,2\n2,4\n3,7\n",
        "1;2\n2;4\n3;7",
        "# comment\nx\ty\n1\t2\n2\t4\n\n3\t7\n",
        "1 2\n2   4\n3 7\n",
    ] {
        let data = parse_csv(text).unwrap();
        assert_eq!(data.x, vec![1.0, 2.0, 3.0], "{text:?}");
        assert_eq!(data.y, vec![2.0, 4.0, 7.0]);
    }
}

#[test]
fn a_bad_csv_row_names_its_line_and_column() {
    let err = parse_csv("x,y\n1,2\n2,abc\n3,4\n").unwrap_err();
    assert_eq!(
        err,
        DataError::Row {
            line: 3,
            column: 2,
            reason: "'abc' is not a number".to_string()
        }
    );
    assert_eq!(err.to_string(), "line 3, column 2: 'abc' is not a number");
    let err = parse_csv("1,2\n2,3,4\n").unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Row {
                line: 2,
                column: 3,
                ..
            }
        ),
        "{err}"
    );
    let err = parse_csv("1,2\nnan,3\n").unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Row {
                line: 2,
                column: 1,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(parse_csv("x,y\n").unwrap_err(), DataError::TooFew(0));
    assert_eq!(parse_csv("1,2\n").unwrap_err(), DataError::TooFew(1));
    // Decimal commas in a comma-separated file: four columns, and the likely cause said.
    let err = parse_csv("1,5,2,5\n2,5,3,5\n").unwrap_err().to_string();
    assert!(err.contains("found 4 (decimal commas?"), "{err}");
    // x values apart by less than the smallest normal number: no slope, said so.
    let err = parse_csv("2.3e-308,1\n2.4e-308,2\n").unwrap_err();
    assert!(matches!(err, DataError::NarrowX(_)), "{err}");
    assert!(
        err.to_string().contains("too little to fit a slope"),
        "{err}"
    );
    assert_eq!(
        parse_csv("1,2\n1,3\n").unwrap_err(),
        DataError::ConstantX(1.0)
    );
}

#[test]
fn generator_specs_are_checked() {
    assert_eq!(
        DataSpec::parse("a=1,b=2,sigma=0.5,n=10,lo=-1,hi=1,seed=3,even=true")
            .unwrap()
            .n,
        10
    );
    for bad in [
        "a=x",
        "n=1",
        "lo=2,hi=1",
        "sigma=-1",
        "foo=1",
        "n",
        "seed=-1",
        "even=maybe",
    ] {
        assert!(DataSpec::parse(bad).is_err(), "{bad}");
    }
}

proptest! {
    #[test]
    fn epoch_orders_are_permutations(n in 1usize..3000, seed in any::<u64>(), epoch in 0u64..5) {
        let mut order = epoch_order(n, seed, epoch);
        order.sort_unstable();
        prop_assert_eq!(order, (0..n as u32).collect::<Vec<u32>>());
    }
}

#[test]
fn epoch_orders_look_shuffled() {
    let order = epoch_order(1000, 3, 0);
    let in_place = order
        .iter()
        .enumerate()
        .filter(|(i, v)| *i as u32 == **v)
        .count();
    assert!(in_place < 10, "{in_place} fixed points");
    let ascending = order.windows(2).filter(|w| w[1] > w[0]).count();
    assert!((400..600).contains(&ascending), "{ascending} rises of 999");
    assert_ne!(order, epoch_order(1000, 3, 1));
    assert_ne!(order, epoch_order(1000, 4, 0));
}

#[test]
fn csv_dialects_quoting_bom_and_line_ends_are_read() {
    for text in [
        "\u{feff}x,y\r\n1,2\r\n2,4\r\n3,7\r\n",
        "x,y\r1,2\r2,4\r3,7",
        "\"x\",\"y\"\n\"1\",\"2\"\n\"2\",4\n3,\"7\"\n",
        // The separator comes from the data rows, not from the header.
        "x y\n1,2\n2,4\n3,7\n",
        "\"x; in m\";y\n1;2\n2;4\n3;7\n",
    ] {
        let data = parse_csv(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(data.x, vec![1.0, 2.0, 3.0], "{text:?}");
        assert_eq!(data.y, vec![2.0, 4.0, 7.0], "{text:?}");
    }
}

#[test]
fn a_quote_left_open_is_refused_with_the_line_it_opens_on() {
    // The csv crate would take the rest of the file into the last field, and "7" parses.
    for (text, line) in [
        ("x,y\n1,2\n2,4\n3,\"7\n", 4),
        ("x,y\n1,2\n2,4\n3,\"7", 4),
        ("x,y\r\n1,2\r\n2,\"4\r\n", 3),
        // In the first column the row looks short; the quote is blamed, not the columns.
        ("x,y\n1,2\n\"2,3\n4,5\n", 3),
    ] {
        let err = parse_csv(text).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("line {line}: a quote")) && err.contains("never closed"),
            "{text:?}: {err}"
        );
    }
    // Quotes in a comment, and a quoted line break closed on the next line, are fine.
    for text in [
        "# the \"raw data\n1,2\n2,4\n",
        "\"x, \"\"in m\"\"\",y\n1,2\n2,4\n",
        "x,y\n\"1\",\"2\"\n2,\"4\"\n",
    ] {
        let data = parse_csv(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(data.y, vec![2.0, 4.0], "{text:?}");
    }
}

#[test]
fn a_first_row_that_is_neither_header_nor_data_is_refused_with_its_line() {
    for text in ["1,abc\n2,4\n3,5\n", "x,1\n2,4\n3,5\n", "x,y,z\n2,4\n3,5\n"] {
        let err = parse_csv(text).unwrap_err();
        assert!(
            matches!(err, DataError::Row { line: 1, .. }),
            "{text:?}: {err}"
        );
    }
}

#[test]
fn x_that_barely_varies_is_refused_for_standardizing_with_a_message_about_the_data() {
    let x: Vec<f64> = (0..10).map(|i| 1.0 + i as f64 * 1e-16).collect();
    let data = Dataset::new(x, (0..10).map(f64::from).collect()).unwrap();
    let err = data.standardized().unwrap_err();
    assert!(err.to_string().contains("x varies too little"), "{err}");
    assert!(
        DataSpec::seed001()
            .generate()
            .unwrap()
            .standardized()
            .is_ok()
    );
}

#[test]
fn large_batches_summed_on_every_core_give_the_data_sets_statistics() {
    let data = DataSpec {
        n: 200_000,
        ..DataSpec::seed001()
    }
    .generate()
    .unwrap();
    let all: Vec<u32> = (0..200_000).collect();
    let (parallel, direct) = (data.stats_of(&all), data.stats());
    for (a, b) in [
        (parallel.mx, direct.mx),
        (parallel.my, direct.my),
        (parallel.vxx, direct.vxx),
        (parallel.vxy, direct.vxy),
        (parallel.vyy, direct.vyy),
    ] {
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
    }
    // The same batch twice gives the same bits.
    assert_eq!(data.stats_of(&all), parallel);
}

#[test]
fn in_order_stochastic_descent_is_seed_002s_loop() {
    // Seed 002's notebook: theta steps through y = 40x + 5 at x = -50..49 one point at a
    // time, in order, every epoch: grad = (2 e, 2 e x) with e = w0 + w1 x - y.
    let data = Arc::new(
        DataSpec::parse("a=5,b=40,sigma=0,n=100,lo=-50,hi=49,even=true")
            .unwrap()
            .generate()
            .unwrap(),
    );
    let spec = BatchSpec {
        size: 1,
        seed: 7,
        shuffle: false,
    };
    let order: Vec<u32> = (1..=200).flat_map(|k| batch_at(100, spec, k)).collect();
    let expected: Vec<u32> = (0..100).chain(0..100).collect();
    assert_eq!(
        order, expected,
        "every epoch visits the points in their order"
    );
    let objective: Arc<dyn Objective> = Arc::new(LossObjective::new(&data));
    let run_spec = RunSpec {
        optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.001),
        start: vec![0.0, 0.0],
        max_iters: 100 * 100,
        tol: 0.0,
    };
    let mut run = Run::with_batches(objective, run_spec, data.clone(), spec).unwrap();
    run.finish_all();
    let (mut w0, mut w1) = (0.0f64, 0.0f64);
    for k in 1..=run.iterations() {
        let i = (k - 1) % 100;
        let (x, y) = (data.x[i], data.y[i]);
        let e = w0 + w1 * x - y;
        w0 -= 0.001 * (2.0 * e);
        w1 -= 0.001 * (2.0 * e * x);
        let p = run.path().point(k);
        assert!(
            (p[0] - w0).abs() <= 1e-9 * w0.abs().max(1.0)
                && (p[1] - w1).abs() <= 1e-9 * w1.abs().max(1.0),
            "step {k}: {p:?} vs ({w0}, {w1})"
        );
    }
    // The notebook's checks: 39.9 < slope < 40.1 and 4.9 < intercept < 5.1.
    assert!(
        (39.9..40.1).contains(&w1) && (4.9..5.1).contains(&w0),
        "{w0}, {w1}"
    );
    // Shuffled, the same steps in other orders blow up.
    let shuffled = fit(&data, 0.001, 100, Some(1), [0.0, 0.0]);
    assert_eq!(shuffled.stop_reason(), Some(StopReason::Diverged));
}

#[test]
fn a_row_of_only_an_empty_quoted_field_is_refused_with_its_line() {
    // The csv crate reads `""` alone as a blank line; a person wrote a point there.
    for (text, line) in [
        ("1,2\n\"\"\n2,4\n", 2),
        ("1,2\n  \"\"  \n2,4\n", 2),
        ("1 2\n\"\"\n2 4\n", 2),
        ("x,y\r\n1,2\r\n\"\"\r\n2,4\r\n", 3),
        ("1,2\n2,4\n\"\"", 3),
        ("1,2\n\n\"\"\n2,4\n", 3),
    ] {
        let err = parse_csv(text).unwrap_err().to_string();
        assert!(err.starts_with(&format!("line {line}")), "{text:?}: {err}");
    }
    // Blank lines, comments holding quotes and a quoted line break stay fine.
    for text in [
        "1,2\n\n   \n2,4\n",
        "# \"\"\n1,2\n2,4\n",
        "\"x\n\",y\n1,2\n2,4\n",
        "1,2\r\n\r\n2,4\r\n",
    ] {
        let data = parse_csv(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(data.y, vec![2.0, 4.0], "{text:?}");
    }
}

#[test]
fn a_bad_row_is_named_by_its_line_after_blank_lines_comments_and_any_line_end() {
    // The csv crate's own count skips blank lines and counts a lone CR as nothing.
    for (text, line) in [
        ("1,2\n\n\n\nfoo,3\n", 5),
        ("1,2\r\n\r\n\r\nfoo,3\r\n", 4),
        ("1,2\r3,4\rfoo,3\r", 3),
        ("# c\n 1,2\n\"3\n\",4\n\n#d\nfoo,3\n", 7),
        ("\u{feff}# c\n1,2\nfoo,3\n", 3),
        ("\n#c\n1,2\nfoo,3\n", 4),
        ("x,y\n1,2\n\n2,4,5\n", 4),
    ] {
        let err = parse_csv(text).unwrap_err().to_string();
        assert!(err.starts_with(&format!("line {line},")), "{text:?}: {err}");
    }
    let err = descent::engine::regression::read_csv(&b"1,2\n\n\n\xff,3\n"[..])
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("line 4,") && err.contains("UTF-8"), "{err}");
}

/// Tester pass 8: with CR line ends a `#` line hid every row after it (the csv crate ends a
/// comment only at LF), and an indented comment was read as a row.
#[test]
fn comments_end_at_any_line_end_and_may_be_indented() {
    let lf = parse_csv("1,2\n3,4\n5,6\n# c\n7,9\n8,10\n").unwrap();
    for text in [
        "1,2\r3,4\r5,6\r# c\r7,9\r8,10\r",
        "1,2\r\n3,4\r\n5,6\r\n# c\r\n7,9\r\n8,10\r\n",
        "1,2\n3,4\n5,6\n   # c\n7,9\n8,10\n",
    ] {
        let data = parse_csv(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!((&data.x, &data.y), (&lf.x, &lf.y), "{text:?}");
    }
    for (text, line) in [
        ("1,2\r3,4\r5,6\r# c\r7,9\rabc,10\r", 6),
        ("# a\r# b\r1,2\rabc,4\r", 4),
        ("1,2\r\n2,3\n\r\n# c\r3,4\nabc,5\n", 6),
    ] {
        let err = parse_csv(text).unwrap_err().to_string();
        assert!(err.starts_with(&format!("line {line},")), "{text:?}: {err}");
    }
    let long = format!("1,2\n3,4\n{}\n", "9".repeat(5000));
    let err = parse_csv(&long).unwrap_err().to_string();
    assert!(err.contains("line 3: a line is longer"), "{err}");
}

#[test]
fn a_utf16_file_is_told_to_be_saved_as_utf8() {
    use descent::engine::regression::read_csv;
    // "x,y\n1,2\n" as UTF-16 little-endian with its byte-order mark, and without one.
    let text: Vec<u8> = "x,y\n1,2\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let with_mark = [&[0xFF, 0xFE][..], &text].concat();
    let err = read_csv(&with_mark[..]).unwrap_err().to_string();
    assert!(
        err.contains("UTF-16") && err.contains("save it as UTF-8"),
        "{err}"
    );
    let err = read_csv(&text[..]).unwrap_err().to_string();
    assert!(
        err.contains("UTF-16") && err.contains("save it as UTF-8"),
        "{err}"
    );
}

#[test]
fn semicolons_and_decimal_commas_without_a_header_are_told_to_write_points() {
    use descent::engine::regression::read_csv;
    let err = read_csv(&b"1,5;2,3\n2,5;4,1\n"[..])
        .unwrap_err()
        .to_string();
    assert!(err.contains("write decimals with a point"), "{err}");
}

/// Tester pass 14: the mean squared error, expanded as w1^2 vxx - 2 w1 vxy + vyy, rounded
/// to -2e-16 at the least-squares line of points on a line. As a sum of squares it never
/// falls below 0, with the same gradient.
#[test]
fn the_mean_squared_error_is_never_negative() {
    for (x, y) in [
        (vec![0.1, 0.2, 0.7], vec![0.3, 0.5, 1.5]),
        (vec![-3.0, 0.5, 2.0, 7.0], vec![-5.0, 2.0, 5.0, 15.0]),
        (vec![1e6, 1e6 + 1.0, 1e6 + 2.0], vec![3.0, 5.0, 7.0]),
    ] {
        let data = Dataset::new(x, y).unwrap();
        let objective = LossObjective::new(&data);
        let best = objective.stats().least_squares().unwrap();
        for dw in [0.0, 1e-9, -1e-9] {
            let p = [best[0] + dw, best[1] - dw];
            let mut g = [0.0; 2];
            let value = objective.value_and_gradient(&p, &mut g);
            assert!(value >= 0.0, "{p:?}: {value}");
            // The value is the direct mean over the points.
            let direct = data.direct_loss(p[0], p[1]);
            assert!(
                (value - direct).abs() <= 1e-9 * (1.0 + direct),
                "{value} vs {direct}"
            );
        }
    }
    // A batch of one point has no spread in x: its loss is its squared residual.
    let data = Dataset::new(vec![2.0, 5.0], vec![1.0, 4.0]).unwrap();
    let one = LossObjective::of_batch(data.stats_of(&[1]));
    assert_eq!(one.value(&[1.0, 0.5]), (1.0 + 2.5 - 4.0_f64).powi(2));
}
