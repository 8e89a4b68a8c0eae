//! The `descent` binary as a user runs it: output formats and every error case.

use std::process::{Command, Output};

fn descent(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_descent"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Asserts exit code 2, nothing on stdout, and exactly one `error:` line containing `needles`.
fn assert_usage_error(args: &[&str], needles: &[&str]) {
    let o = descent(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    assert!(o.stdout.is_empty(), "{args:?} printed to stdout");
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "{args:?}: '{err}' lacks '{needle}'");
    }
}

#[test]
fn csv_has_the_objective_columns_and_one_row_per_iterate() {
    let o = descent(&[
        "run",
        "--function",
        "sauna",
        "--start",
        "0.5,0.6",
        "--start",
        "3,1",
        "--lr",
        "0.25",
        "--iters",
        "30",
    ]);
    assert!(o.status.success());
    assert!(o.stderr.is_empty());
    let text = stdout(&o);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("run,iter,x,y,value,grad_norm"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2 * 31);
    assert_eq!(rows[0][..4], ["1", "0", "0.5", "0.6"]);
    assert_eq!((rows[31][0], rows[31][1]), ("2", "0"));
    assert_eq!(rows[30][2..4], ["4", "4"]);
    for row in &rows {
        assert_eq!(row.len(), 6);
        for v in &row[2..] {
            let parsed: f64 = v.parse().unwrap();
            assert!(parsed.is_finite());
            assert_eq!(
                &descent::engine::format::exact(parsed),
                v,
                "floats are written in the one exact form"
            );
        }
    }
}

#[test]
fn csv_names_parameters_for_curves_and_n_d() {
    let o = descent(&["run", "-f", "exp-log", "--start", "1.6", "--iters", "2"]);
    assert!(stdout(&o).starts_with("run,iter,x,value,grad_norm\n"));
    let o = descent(&[
        "run",
        "-f",
        "sum-squares",
        "--dim",
        "4",
        "--start",
        "1,2,3,4",
        "--iters",
        "2",
    ]);
    assert!(stdout(&o).starts_with("run,iter,x1,x2,x3,x4,value,grad_norm\n"));
    assert_eq!(stdout(&o).lines().count(), 4);
}

#[test]
fn negative_values_work_as_typed() {
    let o = descent(&["run", "--start", "-1.5,2", "--lr", "0.1", "--iters", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("\n1,0,-1.5,2,"));
    let o = descent(&["run", "--start=-1.5,-2", "--iters", "1"]);
    assert!(stdout(&o).contains("\n1,0,-1.5,-2,"));
    // A formula may begin with a minus sign.
    let o = descent(&[
        "run",
        "--function",
        "-(x^2 + y^2)",
        "--start",
        "1,1",
        "--iters",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("\n1,0,1,1,-2,"), "{}", stdout(&o));
    let o = descent(&["critical", "--function", "-x^2 - y^2"]);
    assert!(stdout(&o).contains(",maximum,"), "{}", stdout(&o));
}

#[test]
fn json_has_one_object_per_run_with_its_path() {
    let o = descent(&[
        "run", "-f", "exp-log", "--start", "1.6", "--start", "0.02", "--lr", "0.1", "--iters",
        "25", "--format", "json",
    ]);
    assert!(o.status.success());
    let runs: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["stop_reason"], "max-iterations");
    assert_eq!(runs[0]["iterations"], 25);
    assert_eq!(runs[0]["start"][0], 1.6);
    assert_eq!(runs[0]["final"][0], 0.5671434156768685);
    assert_eq!(runs[0]["path"].as_array().unwrap().len(), 26);
    assert_eq!(runs[1]["stop_reason"], "left-domain");
    assert_eq!(runs[1]["iterations"], 1);
    assert_eq!(runs[0]["optimizer"], "gd", "the command-line name");
    assert_eq!(runs[0]["hyperparameters"]["lr"], 0.1);
}

#[test]
fn every_optimizer_runs_from_the_command_line() {
    for name in [
        "gd",
        "momentum",
        "nesterov",
        "adagrad",
        "rmsprop",
        "adam",
        "newton",
        "linesearch",
    ] {
        let o = descent(&[
            "run",
            "-f",
            "three-wells",
            "--optimizer",
            name,
            "--lr",
            "0.05",
            "--iters",
            "20",
        ]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        assert_eq!(stdout(&o).lines().count(), 22, "{name}");
    }
    let o = descent(&[
        "run",
        "--optimizer",
        "adam",
        "--beta1",
        "0.8",
        "--beta2",
        "0.99",
        "--eps",
        "1e-6",
        "--clip",
        "1",
        "--iters",
        "3",
    ]);
    assert!(o.status.success());
}

#[test]
fn bad_input_gets_one_clear_line_and_exit_2() {
    assert_usage_error(
        &["run", "--function", "banana"],
        &["'banana'", "bowl", "three-wells", "ravine"],
    );
    assert_usage_error(
        &["run", "--optimizer", "sgd"],
        &["'sgd'", "adam", "linesearch"],
    );
    assert_usage_error(&["run", "--lr", "0"], &["--lr", "> 0", "got 0"]);
    assert_usage_error(&["run", "--lr", "-0.1"], &["--lr", "got -0.1"]);
    assert_usage_error(&["run", "--lr", "inf"], &["--lr", "finite"]);
    assert_usage_error(&["run", "--lr", "NaN"], &["--lr", "finite"]);
    assert_usage_error(&["run", "--lr", "fast"], &["--lr", "'fast'"]);
    assert_usage_error(
        &["run", "--start", "1"],
        &["--start", "1 coordinate", "bowl takes 2"],
    );
    assert_usage_error(
        &["run", "-f", "exp-log", "--start", "1,2"],
        &["2 coordinates", "exp-log takes 1"],
    );
    assert_usage_error(&["run", "--start", "1,abc"], &["--start", "'abc'"]);
    assert_usage_error(
        &["run", "-f", "exp-log", "--start", "0"],
        &["outside the domain", "x > 0"],
    );
    assert_usage_error(
        &["run", "-f", "wavy", "--start", "-1"],
        &["outside the domain", "x > 0"],
    );
    assert_usage_error(
        &["run", "--iters", "0"],
        &["--iters", "between 1 and 10000000", "got 0"],
    );
    assert_usage_error(
        &["run", "--iters", "10000001"],
        &["--iters", "got 10000001"],
    );
    assert_usage_error(&["run", "--iters", "-3"], &["--iters", "got -3"]);
    assert_usage_error(&["run", "--iters", "2.5"], &["--iters", "'2.5'"]);
    assert_usage_error(&["run", "--tol", "-1e-6"], &["--tol", ">= 0", "got -1e-6"]);
    assert_usage_error(
        &["run", "-o", "momentum", "--momentum", "1"],
        &["--momentum", "[0, 1)"],
    );
    assert_usage_error(
        &["run", "-o", "adam", "--beta2", "-0.5"],
        &["--beta2", "[0, 1)"],
    );
    assert_usage_error(&["run", "-o", "adam", "--eps", "0"], &["--eps", "> 0"]);
    assert_usage_error(&["run", "--clip", "-1"], &["--clip", "> 0"]);
    assert_usage_error(&["run", "--dim", "5"], &["--dim", "sum-squares"]);
    assert_usage_error(
        &["run", "-f", "sum-squares", "--dim", "0"],
        &["--dim", "between 1 and 1000"],
    );
    assert_usage_error(
        &["run", "-f", "sum-squares", "--dim", "-2"],
        &["--dim", "got -2"],
    );
    assert_usage_error(&["run", "--format", "xml"], &["'xml'", "csv, json"]);
    assert_usage_error(&["run", "--frobnicate"], &["--frobnicate"]);
    assert_usage_error(&["dance"], &["'dance'"]);
}

#[test]
fn listings_show_every_function_and_optimizer() {
    let o = descent(&["functions"]);
    assert!(o.status.success());
    let text = stdout(&o);
    for name in descent::engine::PRESET_NAMES {
        assert!(text.contains(&format!("{name} (")), "{name} missing");
    }
    assert!(text.contains("(e^x - ln x) sin(2 pi x)"));
    assert!(text.contains("minima: (4, 4)"));
    let o = descent(&["optimizers"]);
    let text = stdout(&o);
    for name in [
        "gd",
        "momentum",
        "nesterov",
        "adagrad",
        "rmsprop",
        "adam",
        "newton",
        "linesearch",
    ] {
        assert!(text.contains(&format!("{name} (")), "{name} missing");
    }
    assert!(text.contains("--beta2 (default 0.999)"));
    assert!(text.contains("--eps (default 1e-10)"));
}

#[test]
fn help_and_version_exit_0() {
    let o = descent(&["--help"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("run"));
    let o = descent(&["run", "--help"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("--start"));
    let o = descent(&["--version"]);
    assert!(o.status.success());
}

#[test]
fn regression_runs_from_the_command_line() {
    let o = descent(&[
        "run",
        "--function",
        "regression",
        "--data",
        "gen:a=4,b=3,sigma=1,n=100,lo=0,hi=2,seed=0",
        "--lr",
        "0.1",
        "--epochs",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("run,iter,intercept,slope,value,grad_norm\n"));
    assert_eq!(
        text.lines().count(),
        1 + 4,
        "batch mode: one step per epoch"
    );
    let o = descent(&[
        "run",
        "-f",
        "regression",
        "--data",
        "seed001",
        "--batch-size",
        "10",
        "--epochs",
        "2",
        "--seed",
        "5",
    ]);
    assert_eq!(stdout(&o).lines().count(), 1 + 21, "10 steps per epoch");
    let again = descent(&[
        "run",
        "-f",
        "regression",
        "--data",
        "seed001",
        "--batch-size",
        "10",
        "--epochs",
        "2",
        "--seed",
        "5",
    ]);
    assert_eq!(o.stdout, again.stdout, "deterministic for a seed");
    let other = descent(&[
        "run",
        "-f",
        "regression",
        "--data",
        "seed001",
        "--batch-size",
        "10",
        "--epochs",
        "2",
        "--seed",
        "6",
    ]);
    assert_ne!(o.stdout, other.stdout);
    let dir = std::env::temp_dir().join(format!("descent-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("points.csv");
    std::fs::write(&file, "x;y\n0;1\n1;3\n2;5\n").unwrap();
    let o = descent(&[
        "run",
        "-f",
        "regression",
        "--data",
        file.to_str().unwrap(),
        "--lr",
        "0.1",
        "--epochs",
        "500",
        "--format",
        "json",
    ]);
    let runs: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let w = &runs[0]["final"];
    assert!(
        (w[0].as_f64().unwrap() - 1.0).abs() < 1e-6 && (w[1].as_f64().unwrap() - 2.0).abs() < 1e-6
    );
    std::fs::write(&file, "x,y\n0,1\n1,oops\n").unwrap();
    assert_usage_error(
        &["run", "-f", "regression", "--data", file.to_str().unwrap()],
        &["--data", "line 3, column 2", "'oops'"],
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn regression_options_are_checked() {
    assert_usage_error(
        &["run", "-f", "regression"],
        &["--data", "regression needs data"],
    );
    assert_usage_error(
        &["run", "-f", "regression", "--data", "missing.csv"],
        &["--data", "missing.csv"],
    );
    assert_usage_error(
        &["run", "-f", "regression", "--data", "gen:n=1"],
        &["--data", "at least 2 data points"],
    );
    assert_usage_error(
        &["run", "-f", "regression", "--data", "gen:sigma=x"],
        &["sigma", "'x'"],
    );
    assert_usage_error(
        &[
            "run",
            "-f",
            "regression",
            "--data",
            "seed001",
            "--batch-size",
            "0",
        ],
        &["--batch-size", "got 0"],
    );
    assert_usage_error(
        &[
            "run",
            "-f",
            "regression",
            "--data",
            "seed001",
            "--batch-size",
            "101",
        ],
        &["--batch-size", "(100)", "got 101"],
    );
    assert_usage_error(
        &[
            "run",
            "-f",
            "regression",
            "--data",
            "seed001",
            "--epochs",
            "0",
        ],
        &["--epochs", "got 0"],
    );
    assert_usage_error(
        &[
            "run",
            "-f",
            "regression",
            "--data",
            "seed001",
            "--iters",
            "5",
        ],
        &["--iters", "--epochs"],
    );
    assert_usage_error(
        &[
            "run",
            "-f",
            "regression",
            "--data",
            "seed001",
            "--seed",
            "-1",
        ],
        &["--seed", "got -1"],
    );
    assert_usage_error(
        &[
            "run",
            "-f",
            "regression",
            "--data",
            "seed001",
            "--start",
            "1",
        ],
        &["--start", "intercept,slope"],
    );
    assert_usage_error(
        &["run", "-f", "bowl", "--data", "seed001"],
        &["--data", "only to --function regression"],
    );
    assert_usage_error(
        &["run", "-f", "bowl", "--epochs", "3"],
        &["--epochs", "only to --function regression"],
    );
}

#[test]
fn starts_and_data_that_overflow_are_refused_not_panicked() {
    assert_usage_error(
        &["run", "--start", "1e200,0"],
        &["--start", "(1e200, 0)", "beyond"],
    );
    assert_usage_error(
        &["run", "-f", "exp-log", "--start", "1000"],
        &["--start", "not finite"],
    );
    assert_usage_error(&["run", "--start", "1e13,0"], &["--start", "1e12"]);
    assert_usage_error(
        &["run", "-f", "exp-log", "--start", "1e-320"],
        &["--start", "below the smallest number"],
    );
    assert_usage_error(
        &["run", "-f", "regression", "--data", "gen:b=1e308"],
        &["--data", "not finite"],
    );
    assert_usage_error(
        &[
            "run",
            "-f",
            "regression",
            "--data",
            "gen:even=true,lo=-1e308,hi=1e308",
        ],
        &["--data", "hi - lo"],
    );
}

#[test]
fn the_window_refuses_n_dimensional_functions() {
    // Three dimensions are a slice through x1 and x2 (as a lesson shows them); four are not.
    assert_usage_error(
        &["--function", "sum-squares", "--dim", "4"],
        &[
            "--dim",
            "sum-squares in 4 dimensions",
            "at most 3",
            "descent run",
        ],
    );
}

#[test]
fn the_window_refuses_what_it_would_not_show() {
    // A surface's layout for a curve, and an output format for a window that writes none.
    assert_usage_error(
        &["--function", "exp-log", "--layout", "3d"],
        &["--layout", "exp-log is a curve"],
    );
    assert_usage_error(
        &[
            "--screenshot",
            "x.png",
            "--function",
            "bowl",
            "--format",
            "json",
        ],
        &["--format", "descent run"],
    );
}

#[test]
fn options_that_do_not_apply_and_missing_values_are_named() {
    assert_usage_error(
        &["run", "--momentum", "0.5"],
        &["--momentum", "gd does not use it", "momentum, nesterov"],
    );
    assert_usage_error(
        &["run", "-o", "adam", "--alpha", "0.5"],
        &["--alpha", "rmsprop"],
    );
    assert_usage_error(
        &["run", "--eps", "1e-8"],
        &["--eps", "adagrad, rmsprop, adadelta, adam, adamw"],
    );
    assert_usage_error(
        &["run", "--start", "--lr", "0.1"],
        &["--start", "a value is required", "'--lr'"],
    );
    assert_usage_error(
        &["run", "-f", "regression", "--data", "seed001", "--dim", "3"],
        &["--dim", "sum-squares"],
    );
    assert_usage_error(&["run", "--dim", "3"], &["--dim", "bowl"]);
    assert_usage_error(
        &["run", "-f", "bowl", "--epochs", "3"],
        &["--epochs", "regression"],
    );
}

#[test]
fn newton_in_a_thousand_dimensions_is_refused_up_front() {
    assert_usage_error(
        &["run", "-f", "sum-squares", "--dim", "1000", "-o", "newton"],
        &[
            "--optimizer",
            "1000 x 1000 Hessian",
            "at most 100 parameters",
        ],
    );
    let o = descent(&[
        "run",
        "-f",
        "sum-squares",
        "--dim",
        "100",
        "-o",
        "newton",
        "--lr",
        "1",
        "--iters",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn the_screenshot_path_is_checked_before_the_window_opens() {
    assert_usage_error(
        &["--screenshot", "/no/such/dir/shot.png", "-f", "bowl"],
        &["--screenshot", "cannot write"],
    );
    assert_usage_error(&["--screenshot", "shot.txt"], &["--screenshot", ".png"]);
}

#[test]
fn help_reports_a_failed_write() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // no /dev/full on this system
    };
    let o = Command::new(env!("CARGO_BIN_EXE_descent"))
        .arg("--help")
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("error: writing output"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn data_files_that_are_binary_or_huge_are_refused_quickly() {
    let started = std::time::Instant::now();
    assert_usage_error(
        &["run", "-f", "regression", "--data", "/dev/zero"],
        &["--data", "NUL bytes"],
    );
    let dir = std::env::temp_dir().join(format!("descent-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let huge = dir.join("huge.csv");
    // A sparse file: its size is known without writing 600 MB.
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(600 * 1024 * 1024)
        .unwrap();
    assert_usage_error(
        &["run", "-f", "regression", "--data", huge.to_str().unwrap()],
        &["--data", "at most 512 MB"],
    );
    let long_line = dir.join("long.csv");
    std::fs::write(&long_line, "1".repeat(10_000)).unwrap();
    assert_usage_error(
        &[
            "run",
            "-f",
            "regression",
            "--data",
            long_line.to_str().unwrap(),
        ],
        &["--data", "longer than 4096 bytes"],
    );
    std::fs::remove_dir_all(&dir).ok();
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

/// The peak resident memory of a running process, in kB, from /proc.
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn long_runs_stream_their_rows_in_bounded_memory() {
    use std::io::Read;
    // 2,000,000 iterations from two starts: a stored path would need over 190 MB.
    let mut child = Command::new(env!("CARGO_BIN_EXE_descent"))
        .args([
            "run", "-f", "bowl", "--lr", "1e-7", "--iters", "2000000", "--start", "0,0", "--start",
            "3,1",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let (mut rows, mut peak, mut buf) = (0usize, 0u64, vec![0u8; 1 << 16]);
    loop {
        let n = out.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        rows += buf[..n].iter().filter(|b| **b == b'\n').count();
        if let Some(kb) = peak_rss_kb(child.id()) {
            peak = peak.max(kb);
        }
    }
    assert!(child.wait().unwrap().success());
    assert_eq!(rows, 1 + 2 * 2_000_001);
    if cfg!(target_os = "linux") {
        assert!(peak > 0, "the peak was read");
        assert!(peak < 60_000, "peak resident memory {peak} kB");
    }
}

#[test]
fn data_too_narrow_to_standardize_is_blamed_on_the_data() {
    let dir = std::env::temp_dir().join(format!("descent-narrow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("narrow.csv");
    let rows: String = (0..10)
        .map(|i| format!("{},{}\n", 1.0 + i as f64 * 1e-16, i))
        .collect();
    std::fs::write(&file, rows).unwrap();
    assert_usage_error(
        &[
            "run",
            "-f",
            "regression",
            "--data",
            file.to_str().unwrap(),
            "--standardize",
        ],
        &["--standardize", "x varies too little"],
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_typed_formula_goes_where_a_function_name_goes() {
    let o = descent(&[
        "run",
        "--function",
        "x^2 + 3*y^2",
        "--start",
        "1,1",
        "--iters",
        "2",
        "--lr",
        "0.1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "run,iter,x,y,value,grad_norm");
    // x <- 0.8 x, y <- 0.4 y.
    assert!(rows[1].starts_with("1,0,1,1,4,"), "{}", rows[1]);
    let second: Vec<f64> = rows[2].split(',').map(|v| v.parse().unwrap()).collect();
    assert!(
        (second[2] - 0.8).abs() < 1e-15 && (second[3] - 0.4).abs() < 1e-15,
        "{}",
        rows[2]
    );
    let o = descent(&[
        "run",
        "--function",
        "exp(x) - ln(x)",
        "--start",
        "1.6",
        "--iters",
        "25",
    ]);
    let last = stdout(&o).lines().last().unwrap().to_string();
    assert!(last.starts_with("1,25,0.5671434156768685,"), "{last}");
    assert_usage_error(
        &["run", "--function", "sni(x) + y"],
        &[
            "--function",
            "'sni(x) + y'",
            "did you mean 'sin'",
            "character 1",
        ],
    );
    assert_usage_error(
        &["run", "--function", "2x + y"],
        &["write 2*x", "character 2"],
    );
}

#[test]
fn a_view_box_is_checked_before_the_window_opens() {
    for (args, needles) in [
        (
            vec!["--view", "0,1,2", "-f", "bowl"],
            vec!["--view", "3 numbers", "XMIN,XMAX,YMIN,YMAX"],
        ),
        (
            vec!["--view", "-1,1,-1,1", "-f", "exp-log"],
            vec!["--view", "4 numbers", "a curve takes XMIN,XMAX"],
        ),
        (
            vec!["--view", "1,-1,0,1", "-f", "sauna"],
            vec!["--view", "x range must increase"],
        ),
        (
            vec!["--view", "0,1,0,inf", "-f", "x*y"],
            vec!["--view", "y range must lie within"],
        ),
        (
            vec!["--view", "0,1,zero,1"],
            vec!["--view", "'zero' is not a number"],
        ),
        (
            vec!["--view", "--start", "1,1"],
            vec!["--view", "a value is required"],
        ),
    ] {
        assert_usage_error(&args, &needles);
    }
    // It belongs to the window, not to `descent run`.
    let o = descent(&["run", "--view", "0,1,0,1"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_view_box_reaches_the_window() {
    use descent::cli::{Action, run_cli};
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let action = run_cli(
        ["descent", "-f", "x^2 - y", "--view", "-2.5,2.5,-1e3,1e3"],
        &mut out,
        &mut err,
    );
    let Action::Window(request) = action else {
        panic!("no window: {}", String::from_utf8_lossy(&err));
    };
    let view = request.view.expect("the view box");
    assert_eq!(
        (view[0].lo, view[0].hi, view[1].lo, view[1].hi),
        (-2.5, 2.5, -1e3, 1e3)
    );
}

#[test]
fn critical_prints_the_points_as_csv() {
    let o = descent(&["critical", "--function", "himmelblau"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("x,y,f,kind,eigenvalue_1,eigenvalue_2"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 9, "{text}");
    let kinds: Vec<&str> = rows.iter().map(|r| r[3]).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "minimum").count(), 4);
    assert_eq!(kinds.iter().filter(|k| **k == "maximum").count(), 1);
    assert_eq!(kinds.iter().filter(|k| **k == "saddle").count(), 4);
    let maximum = rows.iter().find(|r| r[3] == "maximum").unwrap();
    let x: f64 = maximum[0].parse().unwrap();
    let y: f64 = maximum[1].parse().unwrap();
    assert!(
        (x + 0.2708).abs() < 1e-4 && (y + 0.9230).abs() < 1e-4,
        "{maximum:?}"
    );

    // A typed curve, and a view given by hand that holds only one of its points.
    let o = descent(&["critical", "-f", "x^3 - 3*x", "--view", "0,5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert_eq!(text.lines().next(), Some("x,f,kind,second_derivative"));
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.lines().nth(1).unwrap().starts_with("1,-2,minimum,6"),
        "{text}"
    );

    // A plane has no critical point anywhere: widening the view is not advised.
    for (function, said) in [
        ("x + 2*y", "its gradient is (1, 2) all over the view"),
        ("3*x", "its slope is 3 all over the view"),
    ] {
        let o = descent(&["critical", "-f", function]);
        assert!(o.status.success(), "{}", stderr(&o));
        let note = stderr(&o);
        assert!(
            note.contains(said) && note.contains("no critical point anywhere"),
            "{note}"
        );
        assert!(!note.contains("widen"), "{note}");
    }
}

#[test]
fn critical_explains_its_mistakes() {
    assert_usage_error(&["critical", "-f", "sum-squares"], &["n-dimensional"]);
    assert_usage_error(
        &["critical", "-f", "bowl", "--view", "1,2"],
        &["--view", "XMIN,XMAX,YMIN,YMAX"],
    );
    assert_usage_error(&["critical", "-f", "x^2 + 2y"], &["2*y", "character 8"]);
    assert_usage_error(&["critical", "-f", "regression"], &["--data"]);
}

#[test]
fn a_layout_reaches_the_window_and_alone_keeps_the_saved_session() {
    use descent::cli::{Action, Layout, run_cli};
    let window = |args: &[&str]| {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        match run_cli(args.iter().copied(), &mut out, &mut err) {
            Action::Window(request) => request,
            Action::Exit(code) => panic!("exit {code}: {}", String::from_utf8_lossy(&err)),
        }
    };
    let request = window(&["descent", "-f", "sauna", "--layout", "both"]);
    assert_eq!(request.layout, Some(Layout::Both));
    assert!(request.runs.is_some());
    // `descent --layout 3d` restores the saved session in that layout.
    let request = window(&["descent", "--layout", "3d"]);
    assert_eq!(request.layout, Some(Layout::ThreeD));
    assert!(request.runs.is_none());
    assert_usage_error(&["--layout", "4d"], &["--layout", "4d"]);
    assert_usage_error(&["--layout"], &["--layout"]);
}

#[test]
fn race_rows_equal_single_runs() {
    let o = descent(&[
        "race",
        "--function",
        "three-wells",
        "--start",
        "1,3",
        "--optimizers",
        "gd,adam,linesearch,newton,nadam",
        "--lr-for",
        "adam=0.05",
        "--iters",
        "300",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[0], "optimizer");
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 5);
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let adam = rows.iter().find(|r| r[0] == "adam").unwrap();
    assert_eq!(adam[col("lr")], "0.05");
    assert_eq!(adam[col("lr_from")], "given");
    for row in &rows {
        // The same optimizer alone, with the race's rate and tolerance.
        let single = descent(&[
            "run",
            "--function",
            "three-wells",
            "--start",
            "1,3",
            "--optimizer",
            &row[0],
            "--lr",
            &row[col("lr")],
            "--iters",
            "300",
            "--tol",
            "1e-6",
        ]);
        assert!(single.status.success(), "{}", stderr(&single));
        let out = stdout(&single);
        let last: Vec<&str> = out.lines().last().unwrap().split(',').collect();
        assert_eq!(last[1], row[col("iterations")], "{row:?}");
        assert_eq!(last[4], row[col("final_value")], "{row:?}");
    }
    // The line search counts its trial points: more values than gradients.
    let ls = rows.iter().find(|r| r[0] == "linesearch").unwrap();
    let (values, gradients): (u64, u64) = (
        ls[col("f_evals")].parse().unwrap(),
        ls[col("grad_evals")].parse().unwrap(),
    );
    assert!(values > gradients, "{ls:?}");
    let newton = rows.iter().find(|r| r[0] == "newton").unwrap();
    assert_eq!(newton[col("hessian_evals")], newton[col("iterations")]);
}

#[test]
fn an_equal_budget_stops_every_optimizer_at_the_same_cost() {
    let o = descent(&[
        "race",
        "--function",
        "rosenbrock",
        "--optimizers",
        "gd,linesearch,newton",
        "--iters",
        "10000",
        "--tol",
        "0",
        "--budget",
        "60",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows = rows.as_array().unwrap();
    let get = |name: &str| rows.iter().find(|r| r["optimizer"] == name).unwrap();
    // Gradient descent: one gradient per iterate, the start's included.
    assert_eq!(get("gd")["grad_evals"], 60);
    assert_eq!(get("gd")["stop_reason"], "budget");
    // The line search's trial points count: it takes fewer iterations for the same budget.
    let ls = get("linesearch");
    let trials = ls["f_evals"].as_u64().unwrap() - ls["grad_evals"].as_u64().unwrap();
    let cost = ls["grad_evals"].as_u64().unwrap() + trials;
    assert!(trials > 0 && cost >= 60, "{ls}");
    assert!(ls["iterations"].as_u64().unwrap() < 59, "{ls}");
    // Newton's Hessian costs two gradients here (two parameters) on top of its gradient,
    // unless it converged first.
    let newton = get("newton");
    let cost =
        newton["grad_evals"].as_u64().unwrap() + 2 * newton["hessian_evals"].as_u64().unwrap();
    assert!(cost >= 60 || newton["stop_reason"] != "budget", "{newton}");
}

#[test]
fn race_mistakes_get_one_line() {
    assert_usage_error(
        &["race", "--optimizers", "gd,sgd"],
        &["--optimizers", "sgd"],
    );
    assert_usage_error(&["race", "--lr-for", "adam"], &["--lr-for", "NAME=LR"]);
    assert_usage_error(
        &["race", "--optimizers", "gd", "--lr-for", "adam=0.1"],
        &["--lr-for", "adam is not in the race"],
    );
    assert_usage_error(&["race", "--lr-for", "gd=-1"], &["--lr-for", "gd"]);
    assert_usage_error(&["race", "--budget", "0"], &["--budget"]);
    assert_usage_error(&["race", "--start", "1,2,3"], &["--start"]);
    assert_usage_error(&["race", "--format", "xml"], &["xml"]);
}

#[test]
fn new_optimizers_schedules_and_noise_from_the_command_line() {
    let o = descent(&[
        "run",
        "--optimizer",
        "adamw",
        "--weight-decay",
        "0.1",
        "--amsgrad",
        "--iters",
        "3",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("\"weight-decay\":0.1") && out.contains("\"amsgrad\":true"),
        "{out}"
    );
    // A schedule adds the lr column: the rate of the step taken from each iterate.
    let o = descent(&[
        "run",
        "--schedule",
        "step",
        "--step-size",
        "2",
        "--gamma",
        "0.5",
        "--iters",
        "4",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lrs: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert!(out.lines().next().unwrap().ends_with(",lr"));
    assert_eq!(lrs, vec!["0.1", "0.1", "0.05", "0.05", "0.025"]);
    // Noise is seeded: the same seed, the same path; another seed, another path.
    let noisy = |seed: &str| {
        stdout(&descent(&[
            "run",
            "--grad-noise",
            "0.5",
            "--seed",
            seed,
            "--iters",
            "5",
        ]))
    };
    assert_eq!(noisy("1"), noisy("1"));
    assert_ne!(noisy("1"), noisy("2"));
    assert_usage_error(&["run", "--amsgrad"], &["--amsgrad", "gd"]);
    assert_usage_error(&["run", "--rho", "0.5"], &["--rho", "adadelta"]);
    assert_usage_error(&["run", "--gamma", "0.5"], &["--gamma", "constant"]);
    assert_usage_error(&["run", "--schedule", "linear"], &["--schedule", "cosine"]);
    assert_usage_error(
        &["run", "--schedule", "cosine", "--t-max", "0"],
        &["--t-max"],
    );
    assert_usage_error(&["run", "--grad-noise", "-1"], &["--grad-noise"]);
    assert_usage_error(&["run", "--seed", "3"], &["--seed"]);
    assert_usage_error(
        &["run", "--optimizer", "adamw", "--weight-decay", "-1"],
        &["--weight-decay"],
    );
}

#[test]
fn basins_prints_a_row_per_start_labelled_by_the_minimum_reached() {
    let o = descent(&["basins", "--function", "three-wells", "--grid", "6x4"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("x,y,label,iterations,final_value"));
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 24);
    // three-wells lists its minima global first: (0.5, 0.5), then (3, 1.5), then (3.5, 4).
    let minima = [[0.5, 0.5], [3.0, 1.5], [3.5, 4.0]];
    for row in &rows {
        let (x, y): (f64, f64) = (row[0].parse().unwrap(), row[1].parse().unwrap());
        let label: i32 = row[2].parse().unwrap();
        let value: f64 = row[4].parse().unwrap();
        assert!((-2..3).contains(&label));
        if let Ok(m) = usize::try_from(label) {
            // The final value is the minimum's own.
            let again = descent(&[
                "run",
                "--function",
                "three-wells",
                "--start",
                &format!("{x},{y}"),
                "--iters",
                "200",
                "--tol",
                "1e-6",
            ]);
            let last = stdout(&again).lines().last().unwrap().to_string();
            let last_value: f64 = last.split(',').nth(4).unwrap().parse().unwrap();
            assert_eq!(value, last_value, "{row:?}");
            let near = minima
                .iter()
                .enumerate()
                .min_by(|a, b| {
                    let d = |p: &[f64; 2]| (p[0] - x).hypot(p[1] - y);
                    d(a.1).total_cmp(&d(b.1))
                })
                .unwrap()
                .0;
            if (minima[near][0] - x).hypot(minima[near][1] - y) < 0.8 {
                assert_eq!(m, near, "{row:?}");
            }
        }
    }
}

#[test]
fn basins_writes_a_png_map_one_pixel_per_start() {
    let dir = std::env::temp_dir().join(format!("descent-basins-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("map.png");
    let o = descent(&[
        "basins",
        "--grid",
        "40x30",
        "--format",
        "png",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    // Width and height sit in the IHDR chunk, big-endian.
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (40, 30));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sweep_prints_a_row_per_rate_and_gd_on_the_bowl_breaks_past_one() {
    let o = descent(&[
        "sweep",
        "--function",
        "bowl",
        "--start",
        "0,0",
        "--lr-min",
        "0.01",
        "--lr-max",
        "10",
        "--count",
        "31",
        "--iters",
        "1000",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("lr,final_value,iterations,stop_reason"));
    let rows: Vec<(f64, f64, String)> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[3].to_string(),
            )
        })
        .collect();
    assert_eq!(rows.len(), 31);
    assert_eq!(rows[0].0, 0.01);
    assert_eq!(rows[30].0, 10.0);
    for (lr, value, stop) in &rows {
        if *lr < 1.0 {
            assert!(
                *value < 5.0 && stop == "max-iterations",
                "{lr} {value} {stop}"
            );
        } else if *lr > 1.01 {
            assert!(*value > 5.0 || stop == "diverged", "{lr} {value} {stop}");
        }
    }
    let json = descent(&[
        "sweep",
        "--function",
        "bowl",
        "--start",
        "0,0",
        "--lr-min",
        "0.01",
        "--lr-max",
        "10",
        "--count",
        "31",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    let between = v["divergence_between"].as_array().unwrap();
    let (a, b) = (between[0].as_f64().unwrap(), between[1].as_f64().unwrap());
    assert!(a <= 1.0 && 1.0 < b, "{a} {b}");
}

#[test]
fn basins_and_sweep_reject_bad_input_in_one_line() {
    assert_usage_error(&["basins", "--function", "exp-log"], &["x and y"]);
    assert_usage_error(&["basins", "--grid", "0"], &["--grid"]);
    assert_usage_error(&["basins", "--grid", "5000"], &["--grid", "4096"]);
    assert_usage_error(&["basins", "--grid", "3xq"], &["--grid"]);
    assert_usage_error(&["basins", "--format", "png"], &["--output"]);
    assert_usage_error(&["basins", "--lr", "-1"], &["learning rate"]);
    assert_usage_error(&["basins", "--grad-noise", "0.1"], &["deterministic"]);
    assert_usage_error(&["basins", "--view", "1,0,0,1"], &["--view"]);
    assert_usage_error(
        &["sweep", "--lr-min", "1", "--lr-max", "0.1"],
        &["--lr-min"],
    );
    assert_usage_error(&["sweep", "--count", "1"], &["--count"]);
    assert_usage_error(&["sweep", "--start", "1,2,3"], &["--start"]);
    assert_usage_error(&["sweep", "--iters", "0"], &["--iters"]);
    assert_usage_error(&["sweep", "--optimizer", "adamm"], &["--optimizer"]);
}

#[test]
fn basins_label_starts_outside_the_domain_without_running_them() {
    let o = descent(&["basins", "--function", "log(x) + y^2", "--grid", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows: Vec<String> = stdout(&o).lines().skip(1).map(str::to_string).collect();
    assert_eq!(rows.len(), 4);
    for row in rows {
        let f: Vec<&str> = row.split(',').collect();
        let x: f64 = f[0].parse().unwrap();
        if x < 0.0 {
            assert_eq!(&f[2..], ["-1", "0", "NaN"], "{row}");
        } else {
            assert_ne!(f[3], "0", "{row}");
        }
    }
}

#[test]
fn basins_says_when_starts_stop_for_a_slope_below_tol_near_no_minimum() {
    // The slope, 1e-12 everywhere, is below --tol: every start stops where it is.
    let args = ["basins", "-f", "1e-12*(abs(x)+abs(y))", "--grid", "4"];
    let o = descent(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o)
            .lines()
            .skip(1)
            .all(|row| row.split(',').nth(2) == Some("-2"))
    );
    assert!(
        stderr(&o).contains("16 of 16 starts stopped where |grad f| fell below --tol 1e-6"),
        "{}",
        stderr(&o)
    );
    // Where the starts reach their minimum, nothing is said of it.
    let o = descent(&["basins", "-f", "bowl", "--grid", "4"]);
    assert!(!stderr(&o).contains("--tol"), "{}", stderr(&o));
}

#[test]
fn lessons_are_listed_and_a_bad_lesson_request_is_refused() {
    let out = descent(&["lessons"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for name in [
        "course-lab-1d,11,",
        "course-lab-2d,7,",
        "seed-003-surfaces,6,",
        "seeds-000-002-lines,11,",
    ] {
        assert!(text.contains(name), "{text}");
    }
    assert_usage_error(&["--lesson", "nope"], &["--lesson", "course-lab-1d"]);
    assert_usage_error(&["--step", "2"], &["--step", "--lesson", "not given"]);
    assert_usage_error(
        &["--lesson", "course-lab-1d", "--step", "12"],
        &["--step", "steps 1 to 11"],
    );
    assert_usage_error(
        &["--lesson", "/no/such/file.toml"],
        &["--lesson", "cannot open"],
    );
    let dir = std::env::temp_dir().join(format!("descent-lesson-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        "title = \"Bad\"\n\n[[step]]\ntitle = \"One\"\ntext = \"Look.\"\nfunction = \"bowl\"\niterations = 0\n[[step.run]]\nlr = 0.1\nstart = [0.0, 0.0]\n",
    )
    .unwrap();
    assert_usage_error(
        &["--lesson", file.to_str().unwrap()],
        &["--lesson", "line 7, step 1, iterations"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_scenario_is_refused_before_the_window_opens() {
    let dir = std::env::temp_dir().join(format!("descent-cli-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{\n \"descent_scenario\": 1,\n").unwrap();
    let other = dir.join("other.json");
    std::fs::write(&other, "{\"iterations\": 3}").unwrap();
    assert_usage_error(
        &["--scenario", broken.to_str().unwrap()],
        &["--scenario", "line 3"],
    );
    assert_usage_error(
        &["--scenario", other.to_str().unwrap()],
        &["--scenario", "not a descent scenario"],
    );
    assert_usage_error(
        &["--scenario", "/no/such.json"],
        &["--scenario", "cannot open"],
    );
    assert_usage_error(
        &[
            "--scenario",
            other.to_str().unwrap(),
            "--lesson",
            "course-lab-1d",
        ],
        &["--scenario", "--lesson"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn gif_options_are_checked_before_the_window_opens() {
    let run = ["--function", "bowl", "--start", "0,0"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        run.iter().copied().chain(extra.iter().copied()).collect()
    };
    assert_usage_error(&with(&["--gif", "/tmp/out.png"]), &["--gif", ".gif"]);
    assert_usage_error(
        &with(&["--gif", "/tmp/x.gif", "--fps", "0"]),
        &["--fps", "from 1 to 50"],
    );
    assert_usage_error(
        &with(&["--gif", "/tmp/x.gif", "--frames", "1"]),
        &["--frames", "from 2 to 600"],
    );
    assert_usage_error(
        &with(&["--gif", "/tmp/x.gif", "--size", "big"]),
        &["--size", "WxH"],
    );
    assert_usage_error(
        &with(&["--gif", "/tmp/x.gif", "--fps", "1.5"]),
        &["--fps", "whole number"],
    );
    assert_usage_error(&with(&["--fps", "10"]), &["--gif"]);
    assert_usage_error(
        &with(&["--gif", "/tmp/x.gif", "--screenshot", "/tmp/x.png"]),
        &["--gif", "--screenshot"],
    );
}

/// `descent --gif` under a virtual display (xvfb-run, which CI installs) writes an animated
/// GIF with the frames and size asked for, and leaves no temporary file.
#[test]
fn gif_records_the_animation_with_the_frames_and_size_asked_for() {
    let xvfb = std::path::Path::new("/usr/bin/xvfb-run");
    assert!(
        xvfb.exists(),
        "this test needs xvfb-run (apt-get install xvfb)"
    );
    let dir = std::env::temp_dir().join(format!("descent-gif-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("descent.gif");
    let runtime = dir.join("runtime");
    std::fs::create_dir_all(&runtime).unwrap();
    let status = Command::new(xvfb)
        .args(["-a", "-s", "-screen 0 1280x800x24"])
        .arg(env!("CARGO_BIN_EXE_descent"))
        .args([
            "--function",
            "three-wells",
            "--start",
            "0.5,3",
            "--lr",
            "0.2",
            "--iters",
            "40",
        ])
        .args([
            "--frames", "12", "--fps", "10", "--size", "320x240", "--gif",
        ])
        .arg(&out)
        .env("XDG_RUNTIME_DIR", &runtime)
        .output()
        .expect("xvfb-run runs");
    assert!(status.status.success(), "{}", stderr(&status));
    let file = std::io::BufReader::new(std::fs::File::open(&out).unwrap());
    let decoder = image::codecs::gif::GifDecoder::new(file).unwrap();
    use image::AnimationDecoder;
    let frames = decoder.into_frames().collect_frames().unwrap();
    assert_eq!(frames.len(), 12);
    for frame in &frames {
        assert_eq!(frame.buffer().dimensions(), (320, 240));
        assert_eq!(frame.delay().numer_denom_ms(), (100, 1));
    }
    // The first and the last frames differ: the runs moved.
    assert_ne!(frames[0].buffer(), frames[11].buffer());
    assert!(!dir.join("descent.gif.partial").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn in_order_runs_seed_002s_stochastic_descent() {
    let data = "gen:a=5,b=40,sigma=0,n=100,lo=-50,hi=49,even=true";
    let args = [
        "run",
        "--function",
        "regression",
        "--data",
        data,
        "--batch-size",
        "1",
        "--lr",
        "0.001",
        "--epochs",
        "100",
        "--start",
        "0,0",
    ];
    let in_order = descent(&[&args[..], &["--in-order"]].concat());
    assert!(in_order.status.success(), "{}", stderr(&in_order));
    let out = stdout(&in_order);
    let last: Vec<f64> = out
        .lines()
        .last()
        .unwrap()
        .split(',')
        .skip(2)
        .take(2)
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(
        (last[0] - 5.0).abs() < 0.1 && (last[1] - 40.0).abs() < 0.1,
        "{last:?}"
    );
    let shuffled = descent(&args);
    let out = stdout(&shuffled);
    assert!(
        out.lines().count() < 10_002,
        "shuffled, it diverges before the end"
    );
    assert_usage_error(&["run", "--in-order"], &["--in-order", "regression"]);
}

#[test]
fn options_a_lesson_or_scenario_would_ignore_are_refused() {
    assert_usage_error(
        &["--lesson", "course-lab-1d", "--lr", "0"],
        &["--lr: not used with --lesson"],
    );
    assert_usage_error(
        &["--scenario", "s.json", "-f", "bowl"],
        &["-f: not used with --scenario"],
    );
    assert_usage_error(
        &["run", "--schedule", "cosine", "--eta-min", "1.5"],
        &["--eta-min", "at most the learning rate"],
    );
    assert_usage_error(&["run", "--clip", "1e309"], &["--clip", "finite"]);
    assert_usage_error(&["basins", "--grid", "-1"], &["--grid"]);
    assert_usage_error(
        &[
            "basins",
            "--grid",
            "8",
            "--iters",
            "5",
            "--output",
            "/nonexistent/dir/map.csv",
        ],
        &["--output", "cannot write"],
    );
}

#[test]
fn a_race_refuses_what_none_of_its_optimizers_reads() {
    assert_usage_error(
        &["race", "--optimizers", "gd", "--momentum", "0.5"],
        &["--momentum: gd does not use it", "momentum, nesterov"],
    );
    assert_usage_error(&["race", "--optimizers", "gd,gd"], &["gd is named twice"]);
    assert_usage_error(&["race", "--seed", "3"], &["--seed", "--grad-noise"]);
    assert_usage_error(
        &[
            "run",
            "--seed",
            "18446744073709551615",
            "-f",
            "regression",
            "--data",
            "seed001",
        ],
        &["--seed", "too large"],
    );
    assert_usage_error(
        &["basins", "--view", "-1e308,1e308,-1,1"],
        &["got -1e308 to 1e308"],
    );
    assert_usage_error(
        &["run", "-f", "regression", "--data", "seed003"],
        &["seed003", "seed000, seed001, seed002"],
    );
}

#[test]
fn a_long_formula_or_a_binary_file_gets_a_short_message_naming_it() {
    let formula = "x+".repeat(60_000) + "(";
    let o = descent(&["run", "-f", &formula]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.len() < 400 && err.contains('…'),
        "{} bytes: {err}",
        err.len()
    );
    let dir = std::env::temp_dir().join(format!("descent-cli-utf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("latin1.csv");
    std::fs::write(&path, b"\xff\xfe1,2\n3,4\n").unwrap();
    let name = path.display().to_string();
    assert_usage_error(
        &["run", "-f", "regression", "--data", &name],
        &[&name, "UTF-8"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_last_of_a_testers_findings_get_clear_lines() {
    for command in ["basins", "sweep", "race"] {
        assert_usage_error(
            &[command, "-f", "regression"],
            &["--function: regression is fitted with `descent run"],
        );
    }
    assert_usage_error(
        &["run", "-f", "regression", "--data", "gen:a=1,a=2"],
        &["a is given twice"],
    );
    assert_usage_error(
        &["run", "-f", "regression", "--data", "gen:a=1e400"],
        &["a: '1e400' is beyond the largest number"],
    );
    let path = std::env::temp_dir().join(format!("descent-array-{}.json", std::process::id()));
    std::fs::write(&path, "[1, 2, 3]").unwrap();
    assert_usage_error(
        &["--lesson", path.to_str().unwrap()],
        &["a lesson in JSON is an object"],
    );
    std::fs::remove_file(&path).unwrap();
}

/// What a tester trying to break descent found unclear, each now refused with a line that
/// names the input, what is wrong and what is allowed.
#[test]
fn tester_findings_get_clear_one_line_refusals() {
    let bad_utf8 = std::env::temp_dir().join(format!("descent-utf8-{}.csv", std::process::id()));
    std::fs::write(&bad_utf8, b"x,y\n1,\xff\n").unwrap();
    let bad_utf8 = bad_utf8.to_str().unwrap().to_string();
    let dashes = "-".repeat(250);
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec![
                "race",
                "-f",
                "bowl",
                "--optimizers",
                "adam,gd",
                "--lr-for",
                "adam=0.1",
                "--lr-for",
                "adam=0.2",
            ],
            vec!["--lr-for", "adam", "twice"],
        ),
        (
            vec!["run", "-f", "regression", "--data", "gen:a=4,,b=3"],
            vec!["--data", "empty item"],
        ),
        (vec!["run", "-f", &dashes], vec!["--function", "…"]),
        (vec!["run", "-f", "1/0"], vec!["--function", "constant inf"]),
        (
            vec!["run", "-f", "1e309*x"],
            vec!["--function", "1e309", "largest number"],
        ),
        (
            vec!["basins", "-f", "bowl", "--grid", "10x"],
            vec!["--grid", "'10x'", "WxH", "256x128"],
        ),
        (
            vec![
                "basins", "-f", "bowl", "--format", "png", "--output", ".png",
            ],
            vec!["--output", "no name before .png"],
        ),
        (vec!["run", "--lr", ""], vec!["--lr", "not a number", "> 0"]),
        (
            vec!["run", "--iters", "1.5"],
            vec!["--iters", "whole number from 1 to 10000000"],
        ),
        (
            vec!["sweep", "-f", "bowl", "--count", "1.5"],
            vec!["--count", "from 2 to"],
        ),
        (
            vec!["run", "-f", "regression", "--data", "gen:n=-5"],
            vec!["--data", "n:", "from 2 to"],
        ),
        (
            vec!["run", "-f", "regression", "--data", &bad_utf8],
            vec!["--data", "line 2", "not UTF-8"],
        ),
        (
            vec!["--lesson", "course-lab-1d", "--step", "-1"],
            vec!["--step", "whole number >= 1"],
        ),
    ];
    for (args, needles) in &cases {
        assert_usage_error(args, needles);
    }
    // A name typed with a stray space is the name.
    let o = descent(&["run", "-f", " bowl", "--iters", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// The tester's second pass: each of these is now one clear line naming the right input.
#[test]
fn second_tester_pass_findings_are_clear_refusals() {
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        // A line break in any value would make a two-line message.
        (
            vec!["run", "--data", "a\nb"],
            vec!["argument 3", "line break"],
        ),
        (vec!["run", "-f", "x\u{7f}"], vec!["control character"]),
        (
            vec!["race", "--schedule", "cosine", "--eta-min", "0.5"],
            vec!["--eta-min", "momentum", "suggested by the function's scale"],
        ),
        (
            vec!["run", "-f", "1e309"],
            vec!["--function", "largest number"],
        ),
        (
            vec!["run", "-f", "x-"],
            vec!["--function", "'x-'", "should come"],
        ),
        (vec!["run", "-f", "pi(x)"], vec!["not a function"]),
        (vec!["run", "-f", "x²+y²"], vec!["x^2"]),
        (vec!["run", "-f", "1e-400*x"], vec!["smallest number"]),
        // Finite nowhere: no start to suggest, said so (not a start that fails too).
        (
            vec!["run", "-f", "sqrt(-1-x^2)"],
            vec!["--function", "finite nowhere"],
        ),
        // Finite somewhere else in the view: a start there is suggested.
        (
            vec!["run", "-f", "ln(x-3)"],
            vec!["--function", "no --start was given", "--start 3.5"],
        ),
        // Third pass: the rate a sweep is measured against, an --lr too small for f64,
        // letters written together, and --tune with nothing to tune.
        (
            vec![
                "sweep",
                "--schedule",
                "cosine",
                "--eta-min",
                "0.001",
                "--lr-min",
                "0.0001",
            ],
            vec!["--eta-min", "--lr-min (0.0001)"],
        ),
        (
            vec!["run", "--lr", "1e-400"],
            vec!["--lr", "smallest number"],
        ),
        (
            vec!["run", "--view", "0,1"],
            vec!["'--view'", "an option of the window"],
        ),
        (
            vec!["--lesson", "src"],
            vec!["--lesson", "'src' is a directory"],
        ),
        (
            vec!["--scenario", "assets/lessons/course-lab-1d.toml"],
            vec!["--scenario", "course-lab-1d.toml"],
        ),
        (vec!["run", "-f", "xy+1"], vec!["write x*y"]),
        // Fourth pass: underscores only between digits, numbers below f64's range in a
        // start, a product written without its '*' and digits.
        (
            vec!["run", "--lr", "_1"],
            vec!["--lr", "between two digits"],
        ),
        (
            vec!["run", "--start", "1e-400,1"],
            vec!["--start", "smallest number"],
        ),
        (vec!["run", "-f", "x2+1"], vec!["write x*2, or x^2"]),
        (vec!["run", "-f", "x2"], vec!["write x*2, or x^2"]),
        // Fifth pass: near names, other libraries' names, and formulas copied from
        // Python, maths or LaTeX.
        (
            vec!["run", "-f", "three_wells"],
            vec!["did you mean 'three-wells'?"],
        ),
        (vec!["run", "-o", "Adam"], vec!["did you mean 'adam'?"]),
        (vec!["run", "-o", "sgd"], vec!["'gd' here"]),
        (vec!["run", "-f", "pow(x,2)+y"], vec!["x^2 for pow(x, 2)"]),
        (vec!["run", "-f", "|x|+|y|"], vec!["abs(x)"]),
        (vec!["run", "-f", "f(x,y) = x^2"], vec!["right-hand side"]),
        (vec!["run", "-f", "\\frac{1}{x}"], vec!["LaTeX"]),
        (vec!["run", "--functon", "bowl"], vec!["'--function'"]),
        (vec!["run", "-lr", "0.1"], vec!["two dashes"]),
        (vec!["run", "-iters", "5"], vec!["two dashes: --iters"]),
        (
            vec!["run", "\u{2014}lr", "0.1"],
            vec!["typographic", "write --lr"],
        ),
        (
            vec!["run", "--start", "\u{2212}1,1"],
            vec!["--start", "plain hyphen"],
        ),
        (
            vec!["run", "--start", "(1,1)"],
            vec!["--start", "without brackets"],
        ),
        (
            vec!["--gif", "x.gif", "--size", "-5x5"],
            vec!["--size", "WxH with each 16 to 1920"],
        ),
        (
            vec!["run", "-o", "adam", "--beta2", "0.99999999999999999"],
            vec!["got 1", "more digits than a double keeps", "reads as 1"],
        ),
        (
            vec!["optimizers", "--optimizer", "adam"],
            vec!["takes no options, it lists every optimizer"],
        ),
        (
            vec!["critical", "--optimizer", "adam"],
            vec!["critical takes no --optimizer"],
        ),
        (vec!["--bogus"], vec!["descent --help lists"]),
        (vec!["race", "--lr", "0.1"], vec!["--lr-for NAME=LR"]),
        (vec!["sweep", "--lr", "0.1"], vec!["--lr-min and --lr-max"]),
        (
            vec!["-f", "exp-log", "--view", "-2,-1", "--screenshot", "x.png"],
            vec!["--view", "finite nowhere", "x > 0"],
        ),
        (vec!["run", "-f", "1_000*x^2"], vec!["no underscores"]),
        (
            vec!["--lesson", "course-lab-1d", "--layout", "3d"],
            vec!["--layout", "a curve"],
        ),
        (vec!["run", "-f", "xy"], vec!["write x*y"]),
        (
            vec!["race", "--tune", "--lr-for", "gd=0.1", "--optimizers", "gd"],
            vec!["--tune", "none is left"],
        ),
        (
            vec![
                "run",
                "-f",
                "regression",
                "--data",
                "seed001",
                "--seed",
                "3",
            ],
            vec!["--seed", "--batch-size"],
        ),
        (
            vec!["run", "-f", "regression", "--data", "seed001", "--in-order"],
            vec!["--in-order", "--batch-size"],
        ),
        // Sixth round: bare words where an option belongs, and a mistyped data preset.
        (
            vec!["run", "-f", "bowl", "--start", "1", "2"],
            vec!["'2'", "joined by commas: --start 1,2"],
        ),
        (vec!["run", "bowl"], vec!["'bowl'", "--function bowl"]),
        (
            vec!["run", "-f", "bowl", "--start", "1", "-2"],
            vec!["'-2'", "joined by commas"],
        ),
        (vec!["bowl"], vec!["'bowl'", "--function bowl"]),
        (
            vec!["-f", "bowl", "2", "3"],
            vec!["'2'", "joined by commas"],
        ),
        (vec!["run", "nesterov"], vec!["--optimizer nesterov"]),
        (
            vec!["run", "fast"],
            vec!["'fast'", "every value follows its option"],
        ),
        (
            vec!["run", "-f", "regression", "--data", "seed01"],
            vec!["--data", "'seed01'", "did you mean the preset seed001?"],
        ),
    ];
    for (args, needles) in &cases {
        assert_usage_error(args, needles);
    }
    // Warm-up 0 is none, as by default.
    let o = descent(&["run", "--warmup", "0", "--iters", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_csv_run_that_ends_early_says_why_on_stderr() {
    let o = descent(&["run", "-f", "bowl", "--lr", "1.5", "--iters", "2000"]);
    assert!(o.status.success());
    let err = stderr(&o);
    assert!(
        err.starts_with("note: run 1 stopped at iteration 38: diverged"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // A run that takes all its iterations needs no note.
    let o = descent(&["run", "-f", "bowl", "--iters", "5"]);
    assert_eq!(stderr(&o), "");
}

#[test]
fn a_view_without_a_minimum_is_said_beside_the_labels() {
    let o = descent(&[
        "basins", "-f", "x^2+y^2", "--grid", "2", "--view", "1,2,1,2",
    ]);
    assert!(o.status.success());
    assert!(stderr(&o).starts_with("note: no minimum of f lies in the view (widen --view"));
    assert_eq!(stdout(&o).lines().filter(|l| l.contains(",-2,")).count(), 4);
    // A preset without a minimum is not sent to widen the view.
    for command in [
        vec!["basins", "-f", "saddle", "--grid", "2"],
        vec!["race", "-f", "saddle"],
    ] {
        let o = descent(&command);
        assert!(o.status.success(), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.starts_with("note: saddle (x^2 - y^2) has no minimum"),
            "{err}"
        );
        assert!(!err.contains("widen"), "{err}");
    }
}

#[test]
fn sum_squares_takes_its_dimension_where_it_can_and_basins_says_why_not() {
    let o = descent(&["race", "-f", "sum-squares", "--dim", "2", "--start", "1,1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = descent(&[
        "sweep",
        "-f",
        "sum-squares",
        "--dim",
        "4",
        "--start",
        "1,1,1,1",
        "--count",
        "2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 3);
    assert_usage_error(
        &["run", "-f", "sum-squares", "--start", "1,1"],
        &["--start", "takes 3", "--dim 2"],
    );
    assert_usage_error(
        &["basins", "-f", "sum-squares"],
        &["--function", "3-dimensional (x1, x2, x3)", "two variables"],
    );
    assert_usage_error(&["basins", "-f", "exp-log"], &["a curve of x alone"]);
    assert_usage_error(
        &["basins", "-f", "sum-squares", "--dim", "2"],
        &["'--dim'", "takes functions of two variables and no --dim"],
    );
    assert_usage_error(&["hyper"], &["'hyper'", "the commands are run,"]);
}

#[test]
fn critical_says_when_the_view_holds_no_critical_point() {
    let o = descent(&["critical", "-f", "(x-3)^2+y^2", "--view", "0,1,0,1"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o).lines().count(), 1, "only the header");
    assert!(stderr(&o).starts_with("note: no critical point of f was found in the view"));
}

#[test]
fn a_lesson_files_claims_that_cannot_be_checked_are_said() {
    let folder = std::env::temp_dir().join(format!("descent-claims-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("pts.csv"), "x,y\n1,2\n2,3\n3,5\n").unwrap();
    let lesson = folder.join("lab.toml");
    std::fs::write(
        &lesson,
        "title = \"t\"\n[[step]]\ntitle = \"a\"\ntext = \"b\"\nfunction = \"regression\"\ndata = \"pts.csv\"\nepochs = 5\n[[step.run]]\nlr = 0.1\nstart = [0.0, 0.0]\n[[step.expect]]\noutcome = \"diverges\"\n",
    )
    .unwrap();
    // No display here: the window fails after the lesson was read, which is what is tested.
    let o = Command::new(env!("CARGO_BIN_EXE_descent"))
        .args([
            "--lesson",
            lesson.to_str().unwrap(),
            "--screenshot",
            "x.png",
        ])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(
        err.starts_with("note: --lesson: lab: the claims of step 1 are not checked"),
        "{err}"
    );
    std::fs::remove_dir_all(&folder).unwrap();
}

/// Tester pass 6: what was accepted without a word, or said unclearly.
#[test]
fn pass_six_inputs_get_clear_lines() {
    // Newton is left out of a race beyond its dimension, and refused when named.
    let o = descent(&["race", "-f", "sum-squares", "--dim", "101", "--iters", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stdout(&o).contains("newton"), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("note: newton sits out"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("gd"));
    assert_usage_error(
        &[
            "race",
            "-f",
            "sum-squares",
            "--dim",
            "101",
            "--optimizers",
            "newton,gd",
        ],
        &["--optimizers", "newton", "101 x 101", "leave newton out"],
    );
    assert_usage_error(
        &["sweep", "-f", "sum-squares", "--dim", "101", "-o", "newton"],
        &["--optimizer", "newton", "at most 100"],
    );
    // A seed for shuffles that are turned off.
    assert_usage_error(
        &[
            "run",
            "-f",
            "regression",
            "--data",
            "seed001",
            "--batch-size",
            "10",
            "--in-order",
            "--seed",
            "3",
        ],
        &["--seed", "--in-order"],
    );
    // A view where f is finite nowhere draws an all-gray map.
    assert_usage_error(
        &[
            "basins",
            "-f",
            "log(x)+y^2",
            "--view",
            "-3,-1,-1,1",
            "--grid",
            "8",
        ],
        &["--view", "finite nowhere"],
    );
    // f finite on a strip 0.2 wide in a view 6 wide: found, not called finite nowhere.
    let strip = descent(&[
        "basins",
        "-f",
        "sqrt(0.01-(x-0.1)^2)+y^2",
        "--view",
        "-3,3,-3,3",
        "--grid",
        "4",
    ]);
    assert_eq!(strip.status.code(), Some(0), "{}", stderr(&strip));
    // Views written otherwise than as four numbers joined by commas.
    assert_usage_error(
        &["--view", "-3 3 -3 3", "-f", "bowl"],
        &["--view", "joined by commas"],
    );
    assert_usage_error(
        &["--view", "[-3,3]x[-3,3]", "-f", "bowl"],
        &["--view", "joined by commas"],
    );
    // Short options of other commands, and clap's far-fetched "similar" options.
    assert_usage_error(&["race", "-f", "bowl", "-o", "adam"], &["--optimizers"]);
    assert_usage_error(&["optimizers", "-o", "adam"], &["optimizers takes no -o"]);
    assert_usage_error(
        &["critical", "-f", "bowl", "--start", "1,1"],
        &["critical takes no --start"],
    );
    assert_usage_error(&["race", "--lr-min", "1"], &["--lr-for"]);
    assert_usage_error(&["run", "-lr", "0.1"], &["two dashes"]);
    // Digits beyond f64's range are too large, not "inf".
    let huge = "1".repeat(400);
    assert_usage_error(
        &["run", "--lr", &huge],
        &["--lr", "beyond the largest number"],
    );
    // Formulas pasted from maths text.
    assert_usage_error(&["run", "-f", "x − y"], &["write the minus sign as -"]);
    assert_usage_error(&["run", "-f", "x×y"], &["write a product with *"]);
    assert_usage_error(&["run", "-f", "π*x"], &["write pi"]);
    assert_usage_error(&["run", "-f", "√x"], &["sqrt(x)"]);
}

#[test]
fn the_window_takes_at_most_a_thousand_starts() {
    let mut args = vec!["--function", "bowl", "--screenshot", "never-written.png"];
    for _ in 0..1001 {
        args.extend(["--start", "1,1"]);
    }
    assert_usage_error(&args, &["--start", "at most 1000 runs", "1001 starts"]);
}

#[test]
fn a_basin_map_labels_the_minima_a_preset_does_not_list() {
    // rastrigin lists its global minimum only; its local minima are found and labelled.
    let o = descent(&["basins", "-f", "rastrigin", "--grid", "32", "--lr", "0.001"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("label 0 is the minimum rastrigin lists"),
        "{}",
        stderr(&o)
    );
    let labels: Vec<i32> = stdout(&o)
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    let nowhere = labels.iter().filter(|&&l| l == -2).count();
    assert!(
        nowhere < labels.len() / 20,
        "{nowhere} of {} reach no minimum",
        labels.len()
    );
    assert!(labels.iter().any(|&l| l > 10));
    // A start at the global minimum's well is label 0, as the preset lists it.
    let row = stdout(&o)
        .lines()
        .skip(1)
        .find(|l| {
            let v: Vec<f64> = l.split(',').take(2).map(|v| v.parse().unwrap()).collect();
            v[0].abs() < 0.2 && v[1].abs() < 0.2
        })
        .unwrap()
        .to_string();
    assert_eq!(row.split(',').nth(2), Some("0"), "{row}");
    // Another extension is told both that --output takes.
    assert_usage_error(
        &["basins", "-f", "three-wells", "--output", "map.txt"],
        &["--output", ".csv", ".png for the map"],
    );
    // A PNG named by --output is a PNG without --format.
    let path = std::env::temp_dir().join(format!("descent-basins-{}.png", std::process::id()));
    let o = descent(&[
        "basins",
        "-f",
        "three-wells",
        "--grid",
        "8",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_row_of_empty_fields_is_refused_not_skipped() {
    let path = std::env::temp_dir().join(format!("descent-empty-row-{}.csv", std::process::id()));
    std::fs::write(&path, "1,2\n,\n2,4\n").unwrap();
    assert_usage_error(
        &["run", "-f", "regression", "--data", path.to_str().unwrap()],
        &["line 2", "fields are empty"],
    );
    std::fs::remove_file(&path).unwrap();
}

/// Tester pass 7: numbers past f64's range in --start and --view, and a view for the 3-D
/// sum-squares the window slices.
#[test]
fn pass_seven_inputs_get_clear_lines() {
    let huge = "9".repeat(400);
    let start = format!("{huge},1");
    let o = descent(&["run", "--start", &start]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("beyond the largest number") && err.len() < 200,
        "{err}"
    );
    let view = format!("-{huge},1,-1,1");
    assert_usage_error(
        &["critical", "--view", &view],
        &["beyond the largest number"],
    );
    assert_usage_error(
        &["basins", "--view", "0,1e-400,-1,1"],
        &["below the smallest number"],
    );
    // Subnormal numbers have lost their precision; a rate made of one turns to 0.
    for args in [
        vec!["run", "--schedule", "exponential", "--gamma", "4.9e-324"],
        vec!["run", "--lr", "1e-309"],
        vec!["run", "--start", "1e-320,1"],
        vec!["run", "-f", "1e-310*x^2+y^2"],
    ] {
        assert_usage_error(&args, &["below the smallest number (about 2.2e-308)"]);
    }
    assert_usage_error(
        &[
            "--function",
            "sum-squares",
            "--start",
            "1,2,3",
            "--view",
            "-5,5,-5,5",
        ],
        &["--view", "its own box"],
    );
}

#[test]
fn pass_eight_leftovers_are_said_plainly() {
    // A whole number written with more digits than a double keeps is not rounded silently.
    assert_usage_error(
        &["run", "--iters", "0.99999999999999999"],
        &["--iters", "is not a whole number", "reads as 1"],
    );
    // 1.0000000000000000 is exactly 1: its zeros say only where the point is.
    assert!(
        descent(&["run", "--iters", "1.0000000000000000"])
            .status
            .success()
    );
    assert_usage_error(
        &["run", "--data", "points:1,2;3,4e-320", "-f", "regression"],
        &["point 2", "'4e-320' is below the smallest number"],
    );
    // A lesson without steps, and one saved as UTF-16.
    let dir = std::env::temp_dir().join(format!("descent-pass9-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let no_step = dir.join("nostep.toml");
    std::fs::write(&no_step, "title = \"t\"\n").unwrap();
    assert_usage_error(
        &["--lesson", no_step.to_str().unwrap()],
        &["a lesson needs its steps: [[step]]"],
    );
    let utf16 = dir.join("utf16.toml");
    let bytes: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("title = \"t\"\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(&utf16, bytes).unwrap();
    assert_usage_error(
        &["--lesson", utf16.to_str().unwrap()],
        &["is UTF-16 text", "save it as UTF-8"],
    );
    // Pass 9: capitals, a Unicode minus and full-width digits, NaN in a view.
    assert_usage_error(&["run", "-f", "PI*x"], &["names are lowercase, write pi"]);
    assert_usage_error(&["run", "--lr", "\u{2212}0.1"], &["--lr", "plain hyphen"]);
    assert_usage_error(
        &["run", "--lr", "\u{FF10}.\u{FF11}"],
        &["--lr", "plain digits 0-9"],
    );
    assert_usage_error(
        &["--view", "nan,1,0,1"],
        &["--view", "each end is a finite number"],
    );
    assert!(
        descent(&["run", "-f", "torch.exp(x)+y^2", "--iters", "1"])
            .status
            .success()
    );
    assert!(
        descent(&["run", "-f", "sum-squares", "--dim", "1e1", "--iters", "1"])
            .status
            .success()
    );
    // A bare `--` before the options.
    assert_usage_error(
        &["run", "--", "--lr", "0.1"],
        &["'--lr'", "after a bare '--'", "remove the '--'"],
    );
    // Options quoted into the function's value.
    assert_usage_error(
        &["run", "-f", "sum-squares --dim 3"],
        &["write --function sum-squares --dim 3"],
    );
    // A start of 1000 numbers for the 999-dimensional sum-squares: the names are cut.
    let start = vec!["0"; 1000].join(",");
    let o = descent(&[
        "run",
        "-f",
        "sum-squares",
        "--dim",
        "999",
        "--start",
        &start,
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("x1,x2,x3,…,x999") && err.len() < 400, "{err}");
}

#[test]
fn a_race_with_a_budget_runs_until_the_budget_not_the_default_iterations() {
    let o = descent(&[
        "race",
        "-f",
        "rosenbrock",
        "--budget",
        "300",
        "--tol",
        "0",
        "--optimizers",
        "gd,adam",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    for row in text.lines().skip(1) {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells[column("stop_reason")], "budget", "{row}");
        assert_eq!(cells[column("grad_evals")], "300", "{row}");
    }
    // A budget beyond the most iterations a run takes is said to be so.
    let o = descent(&[
        "race",
        "-f",
        "bowl",
        "--budget",
        "2e7",
        "--tol",
        "1e-6",
        "--optimizers",
        "gd",
    ]);
    assert!(
        stderr(&o).contains("--budget: 20000000 is more than a run's 10000000 iterations"),
        "{}",
        stderr(&o)
    );
    // An explicit --iters still stops first.
    let o = descent(&[
        "race",
        "-f",
        "rosenbrock",
        "--budget",
        "300",
        "--iters",
        "50",
        "--tol",
        "0",
        "--optimizers",
        "gd",
        "--format",
        "csv",
    ]);
    assert!(stdout(&o).contains("max-iterations"), "{}", stdout(&o));
}

#[test]
fn critical_finds_a_corner_minimum_and_says_when_f_is_flat() {
    let o = descent(&["critical", "-f", "abs(x)+abs(y)"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("\n0,0,0,minimum,"), "{}", stdout(&o));
    // f constant, or flat only along a segment of minima (curving across it): the rows
    // are a sample, and the note says so. Two separate degenerate points get no note.
    for (f, said) in [
        (
            "1+0*x",
            Some("every point listed is degenerate and beside another"),
        ),
        (
            "max(x^2-1,0)+y^2",
            Some("every point listed is degenerate and beside another"),
        ),
        ("(x^2-1)^3", None),
    ] {
        let o = descent(&["critical", "-f", f]);
        assert!(o.status.success());
        match said {
            Some(said) => assert!(
                stderr(&o).contains(said) && stderr(&o).contains("a sample"),
                "{f}: {}",
                stderr(&o)
            ),
            None => assert!(!stderr(&o).contains("a sample"), "{f}: {}", stderr(&o)),
        }
    }
}

#[test]
fn radams_suggested_rate_holds_its_first_momentum_steps() {
    // A hundredth of the view (0.04) threw Rosenbrock's run to 1e39 in 3 steps.
    for (f, start) in [("rosenbrock", "-1.5,2"), ("1e9*x^2+y^2", "1,1")] {
        let o = descent(&[
            "race",
            "-f",
            f,
            "--start",
            start,
            "--optimizers",
            "radam",
            "--iters",
            "500",
            "--format",
            "csv",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(!stdout(&o).contains("diverged"), "{f}: {}", stdout(&o));
    }
}

#[test]
fn critical_says_when_f_is_finite_nowhere_in_the_view() {
    for f in ["log(-1)+x", "sqrt(-x^2-1)+y"] {
        let o = descent(&["critical", "-f", f]);
        assert_eq!(o.status.code(), Some(2), "{f}");
        assert!(
            stderr(&o).contains("f is finite nowhere in the view"),
            "{f}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn critical_polishes_a_steep_minimum_to_its_point() {
    // Newton's step test stopped at x = 1e-28, where f = 1e200 x^2 is still 6e144.
    for (f, row) in [
        ("1e200*x^2", "\n0,0,minimum,2e200\n"),
        ("1e200*(x^2+y^2)", "\n0,0,0,minimum,2e200,2e200\n"),
        ("-1e200*(x^2+y^2)", "\n0,0,0,maximum,-2e200,-2e200\n"),
    ] {
        let o = descent(&["critical", "-f", f]);
        assert!(o.status.success());
        assert!(stdout(&o).contains(row), "{f}: {}", stdout(&o));
    }
}

#[test]
fn a_display_that_cannot_be_reached_is_named_plainly() {
    let o = Command::new(env!("CARGO_BIN_EXE_descent"))
        .args(["--function", "bowl"])
        .env("DISPLAY", ":77")
        .env_remove("WAYLAND_DISPLAY")
        .env("HOME", std::env::temp_dir())
        .output()
        .expect("the binary runs");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("DISPLAY=:77 cannot be reached") && !err.contains(".rs:"),
        "{err}"
    );
}

#[test]
fn pass_ten_finds_are_said_plainly() {
    assert_usage_error(&["run", "-f", "PI"], &["names are lowercase, write pi"]);
    assert_usage_error(
        &["run", "--iters", "\u{FF11}\u{FF10}"],
        &["plain digits 0-9"],
    );
    assert_usage_error(&["--", "--lr", "0.1"], &["after a bare '--'"]);
    let dir = std::env::temp_dir().join(format!("descent-pass10-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let utf16 = dir.join("nomark.toml");
    let bytes: Vec<u8> = "title = \"t\"\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    std::fs::write(&utf16, bytes).unwrap();
    assert_usage_error(
        &["--lesson", utf16.to_str().unwrap()],
        &["NUL bytes", "save it as UTF-8"],
    );
    // Curvatures of 1e200 and 1e-200: Newton's step neither overflows nor underflows.
    for (formula, row) in [
        ("1e200*x^2", ",minimum,2e200"),
        ("1e-100*(x^2+y^2)", ",minimum,2e-100,2e-100"),
        ("-1e100*(x^2+y^2)", ",maximum,-2e100,-2e100"),
    ] {
        let rows = stdout(&descent(&["critical", "-f", formula]));
        assert!(
            rows.lines().count() == 2 && rows.contains(row),
            "{formula}: {rows}"
        );
    }
}

/// Tester pass 14: a sweep's run that overflowed said f = inf while `run` kept the point
/// before; and a typed formula that overflows was said to have left its domain.
#[test]
fn an_overflow_keeps_the_point_before_and_is_a_divergence_not_a_domain_edge() {
    let o = descent(&[
        "sweep", "-f", "exp-log", "--start", "0.001", "--lr-min", "1", "--lr-max", "10", "--count",
        "2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let row = stdout(&o).lines().last().unwrap().to_string();
    let o = descent(&["run", "-f", "exp-log", "--start", "0.001", "--lr", "10"]);
    let last = stdout(&o).lines().last().unwrap().to_string();
    let value = last.split(',').nth(3).unwrap();
    assert_eq!(row, format!("10,{value},0,diverged"));

    for (formula, start, stop) in [
        ("exp(10*x)+exp(-10*x)+y^2", "1,1", "diverged"),
        ("log(x)+x^2", "1", "left-domain"),
    ] {
        let o = descent(&["run", "-f", formula, "--start", start, "--lr", "10"]);
        assert!(
            stderr(&o).contains(&format!("stopped at iteration 0: {stop}")),
            "{formula}: {}",
            stderr(&o)
        );
    }
}
