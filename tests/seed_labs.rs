//! The seed notebooks' printed results, reproduced by the engine and by one `descent run`
//! line each.

use descent::cli::{Action, run_cli};
use descent::engine::{OptimizerConfig, OptimizerKind, Run, RunSpec, StopReason, preset};

/// Runs plain gradient descent and returns the final point.
fn gd(function: &str, start: &[f64], lr: f64, iters: u64) -> Vec<f64> {
    let objective = preset(function, None).unwrap();
    let spec = RunSpec {
        optimizer: OptimizerConfig::new(OptimizerKind::Gd, lr),
        start: start.to_vec(),
        max_iters: iters,
        tol: 0.0,
    };
    let mut run = Run::new(objective, spec).unwrap();
    assert_eq!(run.finish_all(), StopReason::MaxIterations);
    assert_eq!(run.iterations() as u64, iters);
    run.path().last_point().to_vec()
}

/// The printed numbers, bit for bit: the notebooks print Python's shortest round-trip form,
/// and the same digits as a Rust literal are exactly the same f64.
fn assert_close(actual: &[f64], printed: &[f64]) {
    assert_eq!(
        actual.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        printed.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        "got {actual:?}, printed {printed:?}"
    );
}

#[test]
fn exp_log_lab_reaches_the_printed_minimum() {
    // Seed 004: num_iterations = 25; learning_rate = 0.1; x_initial = 1.6.
    assert_close(&gd("exp-log", &[1.6], 0.1, 25), &[0.5671434156768685]);
}

#[test]
fn wavy_lab_finds_the_global_minimum_from_1_3() {
    assert_close(&gd("wavy", &[1.3], 0.005, 35), &[1.7751686214270586]);
}

#[test]
fn wavy_lab_gets_stuck_in_the_local_minimum_from_0_25() {
    assert_close(&gd("wavy", &[0.25], 0.005, 35), &[0.7585728671820583]);
}

#[test]
fn sauna_lab_reaches_the_coldest_point() {
    assert_close(&gd("sauna", &[0.5, 0.6], 0.25, 30), &[4.0, 4.0]);
}

#[test]
fn three_wells_lab_reaches_the_global_minimum() {
    assert_close(
        &gd("three-wells", &[0.5, 3.0], 0.2, 100),
        &[0.5230322579358745, 0.5169891562802605],
    );
}

#[test]
fn bowl_of_seed_000_matches_its_printed_result() {
    assert_close(
        &gd("bowl", &[0.0, 0.0], 0.1, 100),
        &[0.9999999997962964, 1.9999999995925928],
    );
}

#[test]
fn sum_squares_of_seed_002_matches_its_printed_epochs() {
    let objective = preset("sum-squares", Some(3)).unwrap();
    let spec = RunSpec {
        optimizer: OptimizerConfig::new(OptimizerKind::Gd, 0.01),
        start: vec![-8.552029759521954, 0.6127506436543744, -4.633784731842852],
        max_iters: 3,
        tol: 0.0,
    };
    let mut run = Run::new(objective, spec).unwrap();
    run.finish_all();
    let printed = [
        [-8.380989164331515, 0.6004956307812869, -4.541109037205994],
        [-8.213369381044885, 0.5884857181656611, -4.450286856461874],
        [-8.049101993423987, 0.5767160038023479, -4.361281119332636],
    ];
    for (k, expected) in printed.iter().enumerate() {
        assert_close(run.path().point(k + 1), expected);
    }
}

/// The last CSV row's parameter columns from `descent run <args>`.
fn cli_final_point(args: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let argv = std::iter::once("descent").chain(args.split_whitespace());
    let action = run_cli(argv, &mut out, &mut err);
    assert!(
        matches!(action, Action::Exit(0)),
        "{}",
        String::from_utf8_lossy(&err)
    );
    let text = String::from_utf8(out).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let last: Vec<&str> = text.lines().last().unwrap().split(',').collect();
    let n_params = header.len() - 4;
    last[2..2 + n_params]
        .iter()
        .map(|v| v.parse().unwrap())
        .collect()
}

#[test]
fn every_lab_result_is_one_command_line() {
    let cases: [(&str, &[f64]); 6] = [
        (
            "-f exp-log --start 1.6 --lr 0.1 --iters 25",
            &[0.5671434156768685],
        ),
        (
            "-f wavy --start 1.3 --lr 0.005 --iters 35",
            &[1.7751686214270586],
        ),
        (
            "-f wavy --start 0.25 --lr 0.005 --iters 35",
            &[0.7585728671820583],
        ),
        ("-f sauna --start 0.5,0.6 --lr 0.25 --iters 30", &[4.0, 4.0]),
        (
            "-f three-wells --start 0.5,3 --lr 0.2 --iters 100",
            &[0.5230322579358745, 0.5169891562802605],
        ),
        (
            "-f bowl --start 0,0 --lr 0.1 --iters 100",
            &[0.9999999997962964, 1.9999999995925928],
        ),
    ];
    for (args, expected) in cases {
        assert_close(&cli_final_point(&format!("run {args}")), expected);
    }
}

#[test]
fn lab_comments_hold_exp_log_lr_0_5_and_start_0_02_do_not_converge() {
    let objective = preset("exp-log", None).unwrap();
    let run_from = |start: f64, lr: f64| {
        let spec = RunSpec {
            optimizer: OptimizerConfig::new(OptimizerKind::Gd, lr),
            start: vec![start],
            max_iters: 25,
            tol: 0.0,
        };
        let mut run = Run::new(objective.clone(), spec).unwrap();
        run.finish_all();
        run
    };
    let x_min = objective.info().minima[0][0];
    let good = run_from(1.6, 0.1);
    assert!((good.path().last_point()[0] - x_min).abs() < 1e-6);
    let too_fast = run_from(1.6, 0.5);
    assert_eq!(too_fast.stop_reason(), Some(StopReason::LeftDomain));
    let too_steep = run_from(0.02, 0.1);
    assert_eq!(too_steep.stop_reason(), Some(StopReason::LeftDomain));
    // From 0.05 the first step is large but the run still reaches the minimum.
    let steep = run_from(0.05, 0.1);
    assert!((steep.path().last_point()[0] - x_min).abs() < 1e-3);
}
