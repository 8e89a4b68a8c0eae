//! Fuzzing every reader of user input: the formula parser, the CSV reader, lesson files,
//! scenario files, the state file and the command line. Each target feeds random and
//! mutated inputs and checks that the reader never panics, that what it accepts works and
//! that what it refuses gets a message of one line.
//!
//! `DESCENT_FUZZ_CASES` sets the inputs per target (2,000 by default, as in CI); the long run
//! behind the README's figures:
//! `DESCENT_FUZZ_CASES=1000000 cargo test --release --test fuzz`.
//! `DESCENT_PROPTEST_SEED` picks the inputs (0 by default, so CI is repeatable).

use std::ffi::OsString;

use descent::app::model::Model;
use descent::app::{Settings, scenario};
use descent::cli::{Plan, plan_cli};
use descent::engine::expr::{Expr, TypedFunction};
use descent::engine::lesson::{self, BUILT_IN};
use descent::engine::regression::{parse_csv, read_csv};
use descent::engine::{FunctionSpec, Objective, OptimizerConfig, OptimizerKind};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

fn runner() -> TestRunner {
    let number = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    TestRunner::new(Config {
        cases: number("DESCENT_FUZZ_CASES", 2_000) as u32,
        max_shrink_iters: 1_000,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(number("DESCENT_PROPTEST_SEED", 0)),
        ..Config::default()
    })
}

/// Runs `test` on a thread with a large stack (deep strategies recurse in debug builds).
fn with_large_stack(test: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(test)
        .unwrap()
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

/// A message fit for one stderr line or one notice: not empty, one line.
fn one_line(message: &str) -> Result<(), TestCaseError> {
    prop_assert!(!message.trim().is_empty(), "an empty message");
    prop_assert!(
        !message.trim_end().contains('\n'),
        "more than one line: {message}"
    );
    Ok(())
}

/// Edits of a text: insert, delete or replace a character, or double or drop a line.
#[derive(Clone, Debug)]
enum Edit {
    Insert(usize, char),
    Delete(usize),
    Replace(usize, char),
    DoubleLine(usize),
    DropLine(usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let c = prop_oneof![
        4 => prop::sample::select(
            "0123456789.-+eE,;:=\"'[]{}()#\n \tabcxyz_/\\".chars().collect::<Vec<_>>()
        ),
        1 => any::<char>(),
    ];
    let edit = prop_oneof![
        (any::<usize>(), c.clone()).prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), c).prop_map(|(i, c)| Edit::Replace(i, c)),
        any::<usize>().prop_map(Edit::DoubleLine),
        any::<usize>().prop_map(Edit::DropLine),
    ];
    prop::collection::vec(edit, 1..6)
}

fn mutate(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        let n = chars.len().max(1);
        match *edit {
            Edit::Insert(i, c) => chars.insert(i % (chars.len() + 1), c),
            Edit::Delete(i) if !chars.is_empty() => {
                chars.remove(i % n);
            }
            Edit::Replace(i, c) if !chars.is_empty() => chars[i % n] = c,
            Edit::DoubleLine(i) | Edit::DropLine(i) => {
                let text: String = chars.iter().collect();
                let mut lines: Vec<&str> = text.lines().collect();
                if lines.is_empty() {
                    continue;
                }
                let k = i % lines.len();
                if matches!(edit, Edit::DoubleLine(_)) {
                    lines.insert(k, lines[k]);
                } else {
                    lines.remove(k);
                }
                chars = lines.join("\n").chars().collect();
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// Formula-like text: the parser's own alphabet, words and numbers, and any character.
fn formula_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        6 => prop::sample::select(vec![
            "x", "y", "+", "-", "*", "/", "^", "(", ")", "2", "0", "1e308", "1e-320", ".5",
            "pi", "e", "ln", "exp", "sqrt", "sin", "cos", "tan", "abs", "atan2", ",", " ",
            "log", "max", "min", "**", "√", "×",
        ])
        .prop_map(str::to_string),
        1 => any::<char>().prop_map(|c| c.to_string()),
        1 => "[0-9]{1,400}",
    ];
    prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
}

#[test]
fn the_formula_parser_refuses_clearly_and_what_it_accepts_evaluates() {
    with_large_stack(|| {
        runner()
            .run(&formula_text(), |text| {
                match Expr::parse(&text) {
                    Err(e) => {
                        one_line(&e.to_string())?;
                        // The marked form points into the formula without panicking.
                        let _ = e.marked(&text);
                    }
                    Ok(expr) => {
                        let function = TypedFunction::new(expr);
                        for p in [[0.5, -1.5], [0.0, 0.0], [1e300, -1e-300], [3.0, 7.0]] {
                            let p = &p[..function.dim()];
                            let _ = function.value(p);
                            let mut g = vec![0.0; function.dim()];
                            let _ = function.value_and_gradient(p, &mut g);
                        }
                    }
                }
                Ok(())
            })
            .unwrap();
    });
}

/// CSV-like text: numbers, separators, quotes, comments and line ends.
fn csv_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        6 => prop::sample::select(vec![
            "1", "2.5", "-3", "1e308", "1e309", "nan", "inf", "x", "y", ",", ";", "\t", " ",
            "\n", "\r\n", "\r", "\"", "#", "\u{feff}", "0", "0", "7", "\n", ",",
        ])
        .prop_map(str::to_string),
        1 => any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(token, 0..80).prop_map(|t| t.concat())
}

#[test]
fn the_csv_reader_refuses_clearly_and_what_it_accepts_is_finite() {
    with_large_stack(|| {
        let check = |result: Result<descent::engine::regression::Dataset, _>| {
            match result {
                Ok(data) => {
                    prop_assert!(data.len() >= 2);
                    prop_assert!(data.x.iter().chain(&data.y).all(|v: &f64| v.is_finite()));
                    let _ = data.stats().least_squares();
                }
                Err(e) => one_line(&format!("{e}"))?,
            }
            Ok(())
        };
        let strategy = (csv_text(), prop::collection::vec(any::<u8>(), 0..200));
        runner()
            .run(&strategy, |(text, bytes)| {
                check(parse_csv(&text))?;
                check(read_csv(&bytes[..]))
            })
            .unwrap();
    });
}

#[test]
fn lesson_files_refuse_clearly_and_what_they_accept_checks() {
    with_large_stack(|| {
        let strategy = (
            prop::sample::select(BUILT_IN.to_vec()),
            edits(),
            any::<bool>(),
        );
        runner()
            .run(&strategy, |((name, text), edits, json)| {
                let text = if json {
                    // The same lesson as JSON, mutated.
                    let value: toml::Value = toml::from_str(text).unwrap();
                    mutate(&serde_json::to_string_pretty(&value).unwrap(), &edits)
                } else {
                    mutate(text, &edits)
                };
                match lesson::parse(name, &text) {
                    Ok(lesson) => {
                        prop_assert!(!lesson.steps.is_empty());
                        for step in &lesson.steps {
                            prop_assert!(!step.runs.is_empty());
                            let _ = step.function.build();
                        }
                    }
                    Err(e) => one_line(&e.to_string())?,
                }
                Ok(())
            })
            .unwrap();
    });
}

/// A saved setup with something set everywhere, as text.
fn saved_setup() -> String {
    let mut model = Model::new(Settings {
        function: FunctionSpec::parse("three-wells").unwrap(),
        ..Settings::default()
    });
    model.apply_all([
        descent::app::action::Action::SetOptimizer(OptimizerConfig::new(OptimizerKind::Adam, 0.05)),
        descent::app::action::Action::AddRun(vec![4.0, 0.5]),
        descent::app::action::Action::SaveFunction("mine".to_string()),
    ]);
    Settings {
        runs: model.sim.setups(),
        ..model.settings.clone()
    }
    .to_state_text()
}

#[test]
fn scenario_files_refuse_clearly_and_what_they_accept_opens() {
    with_large_stack(|| {
        let base = scenario::to_text(&Settings::from_state_text(&saved_setup()).0);
        runner()
            .run(&edits(), |edits| {
                let text = mutate(&base, &edits);
                match scenario::from_text(&text) {
                    Ok((settings, skipped)) => {
                        for field in &skipped {
                            one_line(field)?;
                        }
                        let model = Model::new(settings);
                        prop_assert!(!model.view().is_empty());
                    }
                    Err(e) => one_line(&e)?,
                }
                Ok(())
            })
            .unwrap();
    });
}

#[test]
fn the_state_file_loads_what_it_can_whatever_it_holds() {
    with_large_stack(|| {
        let base = saved_setup();
        runner()
            .run(&edits(), |edits| {
                let text = mutate(&base, &edits);
                let (settings, dropped) = Settings::from_state_text(&text);
                for field in &dropped {
                    one_line(field)?;
                }
                let model = Model::new(settings);
                prop_assert!(!model.view().is_empty());
                Ok(())
            })
            .unwrap();
    });
}

/// Command lines: subcommands, options and values of every kind, in any order.
fn command_line() -> impl Strategy<Value = Vec<String>> {
    let word = prop_oneof![
        3 => prop::sample::select(vec![
            "run", "race", "basins", "sweep", "critical", "functions", "lessons", "optimizers",
            "--function", "-f", "--start", "--optimizer", "-o", "--lr", "--iters", "--tol",
            "--momentum", "--beta1", "--beta2", "--eps", "--clip", "--weight-decay",
            "--schedule", "--warmup", "--grad-noise", "--seed", "--data", "--batch-size",
            "--epochs", "--in-order", "--standardize", "--amsgrad", "--view", "--grid",
            "--lr-min", "--lr-max", "--count", "--format", "--optimizers", "--lr-for", "--tune",
            "--budget", "--layout", "--lesson", "--step", "--scenario", "--gif", "--fps",
            "--frames", "--size", "--dim", "--gamma", "--t-max", "--eta-min", "--step-size",
        ])
        .prop_map(str::to_string),
        3 => prop::sample::select(vec![
            "0", "-0", "1", "0.1", "-2", "1e300", "1e-300", "1e309", "nan", "inf", "-inf",
            "0x10", "", " ", "1,2", "1,2,3", "0.5,nan", "10000000", "18446744073709551616",
            "-1", "64x64", "8", "bowl", "three-wells", "regression", "sum-squares", "x^2+y",
            "ln(x", "gd", "adam", "newton", "line-search", "csv", "json", "png", "table",
            "seed001", "gen:n=2", "gen:n=-1", "points:1,2;3", "points:0,1;1,2",
            "course-lab-1d", "cosine", "step", "2d", "3d", "out.png", "gd=0.1", "a=b",
        ])
        .prop_map(str::to_string),
        1 => "[ -~]{0,12}",
    ];
    prop::collection::vec(word, 0..10)
}

#[test]
fn the_command_line_refuses_clearly_in_one_line() {
    // Output paths in the arguments are checked by creating and removing a file: keep them
    // out of the source tree.
    let dir = std::env::temp_dir().join(format!("descent-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::env::set_current_dir(&dir).unwrap();
    with_large_stack(|| {
        runner()
            .run(&command_line(), |words| {
                let args: Vec<OsString> = std::iter::once("descent".to_string())
                    .chain(words)
                    .map(OsString::from)
                    .collect();
                let (mut out, mut err) = (Vec::new(), Vec::new());
                match plan_cli(&args, &mut out, &mut err) {
                    Ok(plan) => {
                        prop_assert!(err.is_empty());
                        if let Plan::Run(request) = plan {
                            prop_assert!(!request.specs.is_empty());
                        }
                    }
                    Err(0) => prop_assert!(!out.is_empty(), "help or the version"),
                    Err(code) => {
                        prop_assert_eq!(code, 2);
                        let err = String::from_utf8(err).unwrap();
                        prop_assert!(err.starts_with("error: "), "{err}");
                        one_line(&err)?;
                    }
                }
                Ok(())
            })
            .unwrap();
    });
    let _ = std::fs::remove_dir_all(&dir);
}

// What the fuzzers found, kept as regression tests.

#[test]
fn a_quoted_csv_field_with_a_line_break_is_quoted_on_one_line() {
    let error = parse_csv("x,y\n0,\"1\n1\"\n").unwrap_err().to_string();
    assert!(error.contains("'1\\n1' is not a number"), "{error}");
    assert!(!error.contains('\n'));
}

#[test]
fn a_lesson_key_with_a_line_break_is_named_on_one_line() {
    let text = "{\"title\": \"t\", \"step\": [{\"functio\\n\": \"bowl\"}]}";
    let error = lesson::parse("mine", text).unwrap_err().to_string();
    assert!(error.contains("functio\\n"), "{error}");
    assert!(!error.contains('\n'), "{error}");
}

#[test]
fn a_scenario_key_with_a_line_break_is_named_on_one_line() {
    let text = "{\"descent_scenario\": 1, \"ru\\ns\": []}";
    let (_, skipped) = scenario::from_text(text).unwrap();
    assert_eq!(skipped, ["ru\\ns"]);
}

#[test]
fn a_race_from_a_start_of_the_wrong_dimension_is_refused_not_a_panic() {
    for start in ["0", "1,2,3"] {
        let args: Vec<OsString> = ["descent", "race", "--start", start]
            .into_iter()
            .map(OsString::from)
            .collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert!(matches!(plan_cli(&args, &mut out, &mut err), Err(2)));
        let err = String::from_utf8(err).unwrap();
        assert!(err.starts_with("error: --start: start has"), "{err}");
    }
}
