//! Lessons: every built-in lesson reads, every step's runs do what its text claims, and a
//! bad lesson file gets a message with its line and field.

use descent::engine::lesson::{BUILT_IN, built_in, check_claims, check_step, parse};

#[test]
fn every_built_in_step_does_what_its_text_claims() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, _) in BUILT_IN {
        let lesson = built_in(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (i, step) in lesson.steps.iter().enumerate() {
            for verdict in check_step(step).unwrap() {
                checked += 1;
                if !verdict.holds {
                    failures.push(format!(
                        "{name} step {} ({}): claims {}, but {}",
                        i + 1,
                        step.title,
                        verdict.claim.outcome,
                        verdict.observed
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 20, "only {checked} claims");
}

/// A lesson with one good step, to break one field at a time.
const GOOD: &str = r#"title = "A lesson"

[[step]]
title = "First"
text = "Look."
function = "bowl"
iterations = 50
[[step.run]]
lr = 0.1
start = [0.0, 0.0]
[[step.expect]]
outcome = "converges"
minimum = 1

[[step]]
title = "Second"
text = "Look again."
function = "bowl"
iterations = 50
[[step.run]]
optimizer = "momentum"
lr = 0.1
start = [0.0, 0.0]
"#;

#[test]
fn a_good_lesson_reads_and_its_claims_hold() {
    let lesson = parse("mine", GOOD).unwrap();
    assert_eq!(lesson.steps.len(), 2);
    assert_eq!(lesson.steps[1].runs[0].optimizer.kind.name(), "momentum");
    let verdicts = check_step(&lesson.steps[0]).unwrap();
    assert!(verdicts.iter().all(|v| v.holds), "{verdicts:?}");
}

#[test]
fn a_typed_formulas_claims_are_judged_by_the_minima_critical_finds() {
    // A typed formula lists no minima; those `descent critical` finds in the view count.
    let text = GOOD
        .replacen("function = \"bowl\"", "function = \"(x-1)^2+(y-2)^2\"", 1)
        .replacen("iterations = 50", "iterations = 100", 1);
    let lesson = parse("mine", &text).unwrap();
    let verdicts = check_step(&lesson.steps[0]).unwrap();
    assert!(verdicts.iter().all(|v| v.holds), "{verdicts:?}");
    // Falling short of it does not hold, and a second minimum is not there to count.
    let short = text.replacen("outcome = \"converges\"", "outcome = \"falls-short\"", 1);
    let verdicts = check_step(&parse("mine", &short).unwrap().steps[0]).unwrap();
    assert!(verdicts.iter().all(|v| !v.holds), "{verdicts:?}");
    let second = text.replacen("minimum = 1", "minimum = 2", 1);
    let error = parse("mine", &second).unwrap_err().to_string();
    assert!(error.contains("has 1 known minimum, not 2"), "{error}");
}

#[test]
fn a_bad_lesson_names_its_line_and_field() {
    let cases = [
        // (what is broken, the text, the line, words the message must hold)
        (
            "syntax",
            GOOD.replace(
                "iterations = 50\n[[step.run]]\noptimizer",
                "iterations = = 50\n[[step.run]]\noptimizer",
            ),
            Some(19),
            vec!["line 19, step 2, iterations"],
        ),
        (
            "negative rate",
            GOOD.replace(
                "lr = 0.1\nstart = [0.0, 0.0]\n\"#",
                "lr = -1\nstart = [0.0, 0.0]\n\"#",
            )
            .replace(
                "optimizer = \"momentum\"\nlr = 0.1",
                "optimizer = \"momentum\"\nlr = -1",
            ),
            // The key's own line, not the step's.
            Some(22),
            vec!["step 2, run 1, lr", "learning rate"],
        ),
        (
            "unknown optimizer",
            GOOD.replace("\"momentum\"", "\"momentun\""),
            Some(21),
            vec!["step 2, run 1, optimizer", "momentum"],
        ),
        (
            "start of the wrong size",
            GOOD.replacen("start = [0.0, 0.0]", "start = [0.0]", 1),
            Some(10),
            vec!["step 1, run 1, start", "2 finite"],
        ),
        (
            "unknown field",
            GOOD.replacen("text = \"Look.\"", "text = \"Look.\"\ncolour = 3", 1),
            Some(6),
            vec!["line 6, colour", "unknown field"],
        ),
        (
            "bad function",
            GOOD.replacen("function = \"bowl\"", "function = \"bowl(\"", 1),
            Some(6),
            vec!["step 1, function"],
        ),
        (
            "claim about a run that is not there",
            GOOD.replacen(
                "outcome = \"converges\"",
                "run = 2\noutcome = \"converges\"",
                1,
            ),
            // The expect's own line.
            Some(12),
            vec!["step 1, expect 1, run"],
        ),
        (
            "unknown outcome",
            GOOD.replacen("\"converges\"", "\"wins\"", 1),
            Some(12),
            vec!["outcome", "wins"],
        ),
        (
            "a hyperparameter the optimizer does not use",
            GOOD.replacen("lr = 0.1", "lr = 0.1\nmomentum = 0.5", 1),
            Some(10),
            vec!["step 1, run 1, momentum", "gd does not use it"],
        ),
        (
            "a start outside the domain",
            GOOD.replacen("function = \"bowl\"", "function = \"exp-log\"", 1)
                .replacen("start = [0.0, 0.0]", "start = [-1.0]", 1),
            Some(10),
            vec!["step 1, run 1, start", "outside the domain"],
        ),
        (
            "iterations for the regression lab",
            GOOD.replacen(
                "function = \"bowl\"",
                "function = \"regression\"\ndata = \"seed001\"\nepochs = 10",
                1,
            ),
            Some(9),
            vec!["step 1, iterations", "set epochs instead"],
        ),
        (
            "more steps than a run may take",
            GOOD.replacen(
                "function = \"bowl\"\niterations = 50",
                "function = \"regression\"\ndata = \"gen:n=1000000\"\nepochs = 10000",
                1,
            )
            .replacen("lr = 0.1", "lr = 0.1\nbatch = 1", 1),
            // The run's batch line.
            Some(11),
            vec!["step 1, run 1, batch", "at most 10000000"],
        ),
        (
            "a data file that is not there",
            GOOD.replacen(
                "function = \"bowl\"\niterations = 50",
                "function = \"regression\"\ndata = \"/no/such/points.csv\"\nepochs = 10",
                1,
            ),
            Some(7),
            vec!["step 1, data", "/no/such/points.csv", "cannot read"],
        ),
        (
            "a data file that is a directory",
            GOOD.replacen(
                "function = \"bowl\"\niterations = 50",
                "function = \"regression\"\ndata = \"/tmp\"\nepochs = 10",
                1,
            ),
            Some(7),
            vec!["step 1, data", "directory"],
        ),
        (
            "a device as the data file",
            GOOD.replacen(
                "function = \"bowl\"\niterations = 50",
                "function = \"regression\"\ndata = \"/dev/zero\"\nepochs = 10",
                1,
            ),
            Some(7),
            vec!["step 1, data", "not a regular file"],
        ),
        (
            "iterations = 0 for the regression lab",
            GOOD.replacen(
                "function = \"bowl\"\niterations = 50",
                "function = \"regression\"\ndata = \"seed001\"\nepochs = 10\niterations = 0",
                1,
            ),
            Some(9),
            vec!["step 1, iterations", "set epochs instead"],
        ),
        (
            "no iterations",
            GOOD.replacen("iterations = 50\n", "", 1),
            Some(3),
            vec!["step 1, iterations", "missing", "1 to"],
        ),
        (
            "a start with the wrong number of values names them",
            GOOD.replacen("start = [0.0, 0.0]", "start = [1.5, 2.5, 3.5]", 1),
            Some(10),
            vec!["[1.5, 2.5, 3.5]", "2 finite"],
        ),
        (
            "a within that is not a distance names it",
            GOOD.replacen("minimum = 1", "minimum = 1\nwithin = -2.0", 1),
            Some(14),
            vec!["within", "-2", "> 0"],
        ),
        (
            "no title",
            GOOD.replacen("title = \"A lesson\"", "source = \"x\"", 1),
            Some(1),
            vec!["title", "missing: a title is needed"],
        ),
        (
            "a generator that draws too few points names data, not --data",
            GOOD.replacen(
                "function = \"bowl\"\niterations = 50",
                "function = \"regression\"\ndata = \"gen:n=1\"\nepochs = 10",
                1,
            ),
            Some(7),
            vec!["step 1, data", "gen:"],
        ),
        (
            "a place for a run that diverges",
            GOOD.replacen(
                "outcome = \"converges\"\nminimum = 1",
                "outcome = \"diverges\"\nminimum = 1",
                1,
            ),
            Some(13),
            vec!["step 1, expect 1, minimum", "ends nowhere"],
        ),
        (
            "minimum 0",
            GOOD.replacen("minimum = 1", "minimum = 0", 1),
            Some(13),
            vec!["minimum", "counted from 1"],
        ),
        (
            "batch contours on a surface",
            GOOD.replacen(
                "iterations = 50\n",
                "iterations = 50\nshow = [\"batch-contours\"]\n",
                1,
            ),
            Some(8),
            vec!["step 1, show", "regression"],
        ),
        (
            "a title longer than the panel",
            GOOD.replacen(
                "title = \"First\"",
                &format!("title = \"{}\"", "a".repeat(300)),
                1,
            ),
            Some(4),
            vec!["step 1, title", "at most 200"],
        ),
        (
            "a clip of 0",
            GOOD.replacen("lr = 0.1", "lr = 0.1\nclip = 0", 1),
            Some(10),
            vec!["step 1, run 1, clip", "> 0"],
        ),
        (
            "a surface's view of a curve",
            GOOD.replacen(
                "function = \"bowl\"",
                "function = \"exp-log\"\nlayout = \"3d\"",
                1,
            )
            .replacen("start = [0.0, 0.0]", "start = [1.0]", 1),
            Some(7),
            vec!["step 1, layout", "curve"],
        ),
        (
            "basins of a curve",
            GOOD.replacen(
                "function = \"bowl\"",
                "function = \"exp-log\"\nshow = [\"basins\"]",
                1,
            )
            .replacen("start = [0.0, 0.0]", "start = [1.0]", 1),
            Some(7),
            vec!["step 1, show", "'basins'", "curve"],
        ),
        (
            "a shuffle seed where no run takes mini-batches",
            GOOD.replacen(
                "function = \"bowl\"\niterations = 50",
                "function = \"regression\"\ndata = \"seed001\"\nepochs = 5\nseed = 3",
                1,
            ),
            Some(9),
            vec!["step 1, seed", "set batch"],
        ),
        (
            "a shuffle seed on a function that has no shuffles",
            GOOD.replacen("iterations = 50", "iterations = 50\nseed = 3", 1),
            Some(8),
            vec!["step 1, seed", "regression"],
        ),
        (
            "by for a run that diverges",
            GOOD.replacen(
                "outcome = \"converges\"\nminimum = 1",
                "outcome = \"diverges\"\nby = 5",
                1,
            ),
            Some(13),
            vec!["step 1, expect 1, by", "converges"],
        ),
        (
            "a scenario given as a lesson",
            "{\"descent_scenario\": 1, \"function\": \"bowl\"}".to_string(),
            Some(1),
            vec!["a scenario", "--scenario"],
        ),
        (
            "a run table with one bracket",
            GOOD.replacen("[[step.run]]", "[step.run]", 1),
            Some(8),
            vec!["write [[step.run]] with two brackets"],
        ),
        (
            "a view written as an array",
            GOOD.replacen(
                "iterations = 50",
                "iterations = 50\nview = [-3, 3, -3, 3]",
                1,
            ),
            Some(8),
            vec!["view", "view = \"-3,3,-3,3\""],
        ),
        (
            "a shuffle seed of 0 where no run takes mini-batches",
            GOOD.replacen(
                "function = \"bowl\"\niterations = 50",
                "function = \"regression\"\ndata = \"seed001\"\nepochs = 5\nseed = 0",
                1,
            ),
            Some(9),
            vec!["step 1, seed", "seed = 0", "set batch"],
        ),
        (
            "a seed of 0 on a function that has no shuffles",
            GOOD.replacen("iterations = 50", "iterations = 50\nseed = 0", 1),
            Some(8),
            vec!["step 1, seed", "regression"],
        ),
        (
            "command-line options in the function",
            GOOD.replacen(
                "function = \"bowl\"",
                "function = \"regression --data seed001 --epochs 50\"",
                1,
            ),
            Some(6),
            vec![
                "step 1, function",
                "function = \"regression\", then data = \"seed001\", epochs = 50",
            ],
        ),
        (
            "a step without a run",
            GOOD.replacen("[[step.run]]\nlr = 0.1\nstart = [0.0, 0.0]\n", "", 1)
                .replacen("[[step.expect]]\noutcome = \"converges\"\nminimum = 1\n", "", 1),
            Some(3),
            vec!["run", "a step needs at least one run: a [[step.run]] table"],
        ),
        (
            "a negative iteration count",
            GOOD.replacen("iterations = 50", "iterations = -5", 1),
            Some(7),
            vec!["iterations", "a whole number from 1 to 100000"],
        ),
        (
            "a batch that is not a whole number",
            GOOD.replacen(
                "function = \"bowl\"\niterations = 50\n[[step.run]]\nlr = 0.1",
                "function = \"regression\"\ndata = \"seed001\"\nepochs = 5\n[[step.run]]\nlr = 0.1\nbatch = 2.5",
                1,
            ),
            Some(11),
            vec!["batch", "a whole number of 1 or more"],
        ),
        (
            "no steps",
            "title = \"Empty\"\nstep = []\n".to_string(),
            None,
            vec!["at least one"],
        ),
    ];
    let mut wrong = Vec::new();
    for (what, text, line, words) in cases {
        let error = parse("mine", &text).expect_err(what);
        if error.line != line {
            wrong.push(format!(
                "{what}: line {:?}, not {line:?}: {error}",
                error.line
            ));
        }
        let message = error.to_string();
        for word in words {
            if !message.contains(word) {
                wrong.push(format!("{what}: '{message}' lacks '{word}'"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_claim_about_a_minimum_the_function_lacks_is_reported() {
    // Refused when the file is read, with the line and the field.
    let text = GOOD.replacen("minimum = 1", "minimum = 4", 1);
    let error = parse("mine", &text).unwrap_err().to_string();
    assert!(
        error.contains("expect 1, minimum") && error.contains("1 known minimum, not 4"),
        "{error}"
    );
}

/// The same lesson written as JSON reads the same, and a mistake in it names its line and
/// field.
#[test]
fn a_lesson_can_be_json_too() {
    let json = r#"{
  "title": "A lesson",
  "step": [
    {
      "title": "First",
      "text": "Look.",
      "function": "bowl",
      "iterations": 50,
      "run": [{ "lr": 0.1, "start": [0.0, 0.0] }],
      "expect": [{ "outcome": "converges", "minimum": 1 }]
    }
  ]
}"#;
    let lesson = parse("mine", json).unwrap();
    let toml = parse("mine", GOOD).unwrap();
    assert_eq!(lesson.steps[0], toml.steps[0]);
    let bad = json.replace("\"iterations\": 50", "\"iterations\": \"fifty\"");
    let error = parse("mine", &bad).unwrap_err();
    assert_eq!(error.line, Some(8), "{error}");
    assert!(error.to_string().contains("iterations"), "{error}");
}

/// A user's lesson is checked when it opens: a claim its runs do not keep is refused with
/// what the run did; the built-in lessons all pass.
#[test]
fn a_claim_the_runs_do_not_keep_is_refused_when_the_lesson_opens() {
    for (name, _) in BUILT_IN {
        let lesson = built_in(name).unwrap();
        check_claims(&lesson).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let text = GOOD.replacen(
        "outcome = \"converges\"\nminimum = 1",
        "outcome = \"diverges\"",
        1,
    );
    let lesson = parse("mine", &text).unwrap();
    let error = check_claims(&lesson).unwrap_err().to_string();
    assert!(
        error.contains("step 1, expect 1")
            && error.contains("says run 1 diverges, but run 1 stopped"),
        "{error}"
    );
}

/// A lesson's data file is found beside the lesson, wherever descent was started from.
#[test]
fn a_relative_data_path_starts_from_the_lessons_folder() {
    let folder = std::env::temp_dir().join(format!("descent-lesson-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("pts.csv"), "x,y\n1,2\n2,3\n3,5\n").unwrap();
    let text = "title = \"t\"\n[[step]]\ntitle = \"a\"\ntext = \"b\"\nfunction = \"regression\"\ndata = \"pts.csv\"\nepochs = 5\n[[step.run]]\nlr = 0.1\nstart = [0.0, 0.0]\n";
    let lesson = descent::engine::lesson::parse_in("mine", text, Some(&folder)).unwrap();
    let function = lesson.steps[0].function.build().unwrap();
    assert_eq!(function.data.unwrap().len(), 3);
    // Without the folder the path starts from the current one, where there is no such file,
    // and the message names the path it tried.
    let error = parse("mine", text).unwrap_err().to_string();
    assert!(
        error.contains("step 1, data") && error.contains("pts.csv"),
        "{error}"
    );
    std::fs::remove_dir_all(&folder).unwrap();
}

/// Tester pass 6: messages that named the wrong key, spoke Rust or serde, or accepted what
/// the command line refuses.
#[test]
fn pass_six_lesson_mistakes_are_said_plainly() {
    let regression = |extra: &str| {
        GOOD.replacen(
            "function = \"bowl\"\niterations = 50\n[[step.run]]\nlr = 0.1",
            &format!("function = \"regression\"{extra}\nepochs = 5\n[[step.run]]\nlr = 0.1"),
            1,
        )
        .replacen(
            "[[step.expect]]\noutcome = \"converges\"\nminimum = 1\n",
            "",
            1,
        )
    };
    let cases = [
        (
            "by = 0",
            GOOD.replacen("minimum = 1", "minimum = 1\nby = 0", 1),
            vec!["by", "1 to 50"],
        ),
        (
            "[step] with one bracket",
            "title = \"A lesson\"\n[step]\ntitle = \"One\"\n".to_string(),
            vec!["write [[step]] with two brackets"],
        ),
        (
            "no title",
            GOOD.replacen("title = \"A lesson\"\n", "source = \"me\"\n", 1),
            vec!["title:", "a title is needed"],
        ),
        (
            "regression without data",
            regression(""),
            vec!["data = \"FILE.csv\"", "data = \"seed001\""],
        ),
        (
            "empty data",
            regression("\ndata = \"\""),
            vec!["data", "empty"],
        ),
        (
            "a seed for shuffles turned off",
            regression("\ndata = \"seed001\"\nseed = 5\nshuffle = false").replacen(
                "lr = 0.1\nstart = [0.0, 0.0]",
                "lr = 0.1\nbatch = 10\nstart = [0.0, 0.0]",
                1,
            ),
            vec!["seed = 5", "shuffle = false"],
        ),
        (
            "a batch on a surface",
            GOOD.replacen("lr = 0.1\nstart", "lr = 0.1\nbatch = 5\nstart", 1),
            vec!["batch", "for function = \"regression\"", "remove batch"],
        ),
        (
            "an outcome of no known name",
            GOOD.replacen("\"converges\"", "\"explodes\"", 1),
            vec!["\"explodes\" is not one of", "\"converges\""],
        ),
        (
            "a view where f is finite nowhere",
            GOOD.replacen(
                "function = \"bowl\"\niterations = 50",
                "function = \"log(x) + y^2\"\nview = \"-3,-1,-1,1\"\niterations = 50",
                1,
            )
            .replacen("start = [0.0, 0.0]", "start = [1.0, 0.0]", 1),
            vec!["view", "finite nowhere"],
        ),
        (
            "a start of a thousand numbers",
            GOOD.replacen(
                "start = [0.0, 0.0]",
                &format!("start = [{}]", vec!["1.0"; 1000].join(", ")),
                1,
            ),
            vec!["1000 numbers in all"],
        ),
        (
            "dim on a function without one",
            GOOD.replacen("function = \"bowl\"", "function = \"bowl\"\ndim = 3", 1),
            vec!["dim", "sum-squares"],
        ),
        (
            "dim beyond the window's",
            GOOD.replacen(
                "function = \"bowl\"",
                "function = \"sum-squares\"\ndim = 4",
                1,
            ),
            vec!["dim", "1 to 3"],
        ),
        (
            "a negative dim",
            GOOD.replacen(
                "function = \"bowl\"",
                "function = \"sum-squares\"\ndim = -1",
                1,
            ),
            vec!["dim", "-1 is not allowed", "1 to 3"],
        ),
    ];
    let mut wrong = Vec::new();
    for (what, text, words) in cases {
        let Err(error) = parse("mine", &text) else {
            wrong.push(format!("{what}: accepted"));
            continue;
        };
        let message = error.to_string();
        if message.len() > 400 {
            wrong.push(format!("{what}: {} characters", message.len()));
        }
        for word in words {
            if !message.contains(word) {
                wrong.push(format!("{what}: '{message}' lacks '{word}'"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // sum-squares takes its dimension from dim.
    let two = GOOD.replacen(
        "function = \"bowl\"",
        "function = \"sum-squares\"\ndim = 2",
        1,
    );
    let lesson = parse("mine", &two).unwrap();
    assert_eq!(lesson.steps[0].function.dim(), 2);
}

#[test]
fn blank_titles_and_a_view_of_the_three_dimensional_sum_squares_are_refused() {
    let blank = GOOD.replacen("title = \"A lesson\"", "title = \"   \"", 1);
    assert!(
        parse("mine", &blank)
            .unwrap_err()
            .to_string()
            .contains("title")
    );
    let blank_step = GOOD.replacen("title = \"First\"", "title = \"\"", 1);
    let error = parse("mine", &blank_step).unwrap_err().to_string();
    assert!(
        error.contains("step 1, title") && error.contains("empty"),
        "{error}"
    );
    let view = GOOD.replacen(
        "function = \"bowl\"\niterations = 50\n[[step.run]]\nlr = 0.1\nstart = [0.0, 0.0]",
        "function = \"sum-squares\"\nview = \"-5,5,-5,5\"\niterations = 50\n[[step.run]]\nlr = 0.1\nstart = [0.0, 0.0, 1.0]",
        1,
    );
    let error = parse("mine", &view).unwrap_err().to_string();
    assert!(
        error.contains("view") && error.contains("own box"),
        "{error}"
    );
}

#[test]
fn numbers_below_f64s_range_are_refused_in_a_lesson() {
    // A rate, a hyperparameter, a start coordinate and generated data below 2.2e-308 each
    // name their field rather than give a run that never moves.
    let cases = [
        (
            "lr = 0.1\nstart",
            "lr = 1e-310\nstart",
            "lr",
            "at least about 2.2e-308",
        ),
        (
            "lr = 0.1\nstart",
            "lr = 0.1\nclip = 5e-324\nstart",
            "clip",
            "clip must be at least about 2.2e-308, got 5e-324",
        ),
        (
            "start = [0.0, 0.0]",
            "start = [1e-310, 0.0]",
            "start",
            "below the smallest number",
        ),
    ];
    for (from, to, field, words) in cases {
        let text = GOOD.replacen(from, to, 1);
        let error = parse("mine", &text).unwrap_err().to_string();
        assert!(
            error.contains(&format!("step 1, run 1, {field}")) && error.contains(words),
            "{to}: {error}"
        );
    }
    let data = GOOD.replacen(
        "function = \"bowl\"\niterations = 50\n[[step.run]]\nlr = 0.1\nstart = [0.0, 0.0]\n[[step.expect]]\noutcome = \"converges\"\nminimum = 1\n",
        "function = \"regression\"\ndata = \"gen:a=1e-310\"\nepochs = 5\n[[step.run]]\nlr = 0.1\nstart = [0.0, 0.0]\n",
        1,
    );
    let error = parse("mine", &data).unwrap_err().to_string();
    assert!(
        error.contains("data") && error.contains("'1e-310' is below the smallest number"),
        "{error}"
    );
    // And a claim's point and distance.
    for (claim, field) in [
        ("outcome = \"converges\"\nat = [1.0, 1e-309]", "at"),
        (
            "outcome = \"converges\"\nminimum = 1\nwithin = 1e-310",
            "within",
        ),
    ] {
        let text = GOOD.replacen("outcome = \"converges\"\nminimum = 1", claim, 1);
        let error = parse("mine", &text).unwrap_err().to_string();
        assert!(
            error.contains(&format!("expect 1, {field}")) && error.contains("2.2e-308"),
            "{claim}: {error}"
        );
    }
    // Points listed in a source are checked the same way.
    let error = descent::engine::function::DataSource::parse("points:1,2;3,4e-320")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("point 2: '4e-320' is below the smallest number"),
        "{error}"
    );
}

#[test]
fn a_lesson_with_lone_cr_line_ends_reads_and_a_long_float_is_said_short() {
    // Old Mac line ends: each lone CR ends a line, so the lesson reads and lines count.
    let lesson = parse("mine", &GOOD.replace('\n', "\r")).unwrap();
    assert_eq!(lesson.steps.len(), 2);
    let error = parse(
        "mine",
        &GOOD.replacen("lr = 0.1", "lr = -1", 1).replace('\n', "\r"),
    )
    .unwrap_err();
    assert_eq!(error.line, Some(9), "{error}");
    // serde writes 1e-310 as 330 digits.
    let by = GOOD.replacen("minimum = 1", "by = 1e-310", 1);
    let error = parse("mine", &by).unwrap_err().to_string();
    assert!(error.contains("`1e-310`") && error.len() < 200, "{error}");
}

#[test]
fn a_json_lesson_names_the_line_of_a_bad_field() {
    let json = r#"{
  "title": "t",
  "step": [
    {
      "title": "a",
      "text": "b, with a \"quote\" and {braces}",
      "function": "bowl",
      "iterations": 50,
      "run": [
        { "lr": 0.1, "start": [1.0, 1.0] },
        { "lr": 0.1,
          "start": [1.0, 1.0] }
      ]
    }
  ]
}"#;
    assert!(parse("mine", json).is_ok());
    for (from, to, line, field) in [
        (
            "\"iterations\": 50",
            "\"iterations\": 0",
            8,
            "step 1, iterations",
        ),
        (
            "{ \"lr\": 0.1,\n",
            "{ \"lr\": -1,\n",
            11,
            "step 1, run 2, lr",
        ),
        (
            "\"start\": [1.0, 1.0] }\n      ]",
            "\"start\": [1.0] }\n      ]",
            12,
            "step 1, run 2, start",
        ),
    ] {
        let text = json.replacen(from, to, 1);
        assert_ne!(text, json, "{from}");
        let error = parse("mine", &text).unwrap_err();
        assert_eq!(error.line, Some(line), "{to}: {error}");
        assert!(error.to_string().contains(field), "{to}: {error}");
    }
    // A value of the wrong type is found by the reader, before the checks: it is named
    // with its step and run too, also in a lesson written on one line.
    let one_line = json.split_whitespace().collect::<Vec<_>>().join(" ");
    for (text, line) in [(json.to_string(), 10), (one_line.clone(), 1)] {
        let text = text.replacen("\"start\": [1.0, 1.0] }", "\"start\": \"1,1\" }", 1);
        let error = parse("mine", &text).unwrap_err();
        assert_eq!(error.line, Some(line), "{error}");
        assert!(
            error.to_string().contains("step 1, run 1, start"),
            "{error}"
        );
        let text = text.replacen("\"iterations\": 50", "\"iterations\": \"50\"", 1);
        let error = parse("mine", &text).unwrap_err();
        assert!(error.to_string().contains("step 1, iterations"), "{error}");
    }
    // A count written as a decimal number is told its range and how to write it.
    let decimal = one_line.replacen("\"iterations\": 50", "\"iterations\": 1e2", 1);
    let error = parse("mine", &decimal).unwrap_err().to_string();
    assert!(
        error.contains("step 1, iterations")
            && error.contains("from 1 to")
            && error.contains("without a decimal point"),
        "{error}"
    );
    // A key written twice is named itself, not the key before it.
    let twice = one_line.replacen(
        "\"start\": [1.0, 1.0] }",
        "\"start\": [1.0, 1.0], \"lr\": 0.2 }",
        1,
    );
    let error = parse("mine", &twice).unwrap_err().to_string();
    assert!(
        error.contains("step 1, run 1, lr: duplicate field"),
        "{error}"
    );
}

/// Tester pass 13: a step or run written as a list of values was read as its fields in
/// order, and serde said what the first value was not.
#[test]
fn a_step_or_run_written_as_a_list_is_said_to_be_an_object_or_table() {
    let json = |steps: &str| format!(r#"{{"title": "t", "step": {steps}}}"#);
    let step = r#"{"title": "a", "text": "b", "function": "bowl", "run": RUN}"#;
    for (text, said) in [
        (
            json(r#"[["a", "b"]]"#),
            "step 1: a step is an object {\"title\": ..., \"text\": ..., \"function\": ..., \"run\": [...]}, got a list [...]",
        ),
        (
            json(r#""x""#),
            "step: a list [{\"title\": ...",
        ),
        (
            json(&format!("[{}]", step.replace("RUN", "[[0.1, [1, 1]]]"))),
            "step 1, run 1: a run is an object {\"lr\": ..., \"start\": [...]}, got a list [...]",
        ),
        (
            json(&format!("[{}]", step.replace("RUN", r#"{"lr": 0.1}"#))),
            "step 1, run: a list [{\"lr\": ..., \"start\": [...]}, ...], got an object {...}",
        ),
        (
            "title = \"t\"\nstep = [[1, 2]]\n".to_string(),
            "step 1: a step is a table, [[step]] with title, text, function and a [[step.run]], got a list [...]",
        ),
        (
            "title = \"t\"\n[[step]]\ntitle = \"a\"\ntext = \"b\"\nfunction = \"bowl\"\nrun = [[0.1, [1, 1]]]\n".to_string(),
            "step 1, run 1: a run is a table, [[step.run]] with lr and start, got a list [...]",
        ),
        (
            "title = [\"t\"]\n[[step]]\ntitle = \"a\"\ntext = \"b\"\nfunction = \"bowl\"\n[[step.run]]\nlr = 0.1\nstart = [1, 1]\n".to_string(),
            "title: invalid type: a list [...], expected a string",
        ),
    ] {
        let error = parse("mine", &text).unwrap_err().to_string();
        assert!(error.contains(said), "{text}\n{error}");
    }
}

#[test]
fn a_view_holding_a_runs_start_is_never_finite_nowhere() {
    // f is finite only in a strip 2e-4 wide, narrower than any grid's spacing over the view.
    let narrow = "function = \"sqrt(1e-8-(x-0.1)^2)+y^2\"\nview = \"-5,5,-5,5\"\niterations = 50\n[[step.run]]\nlr = 0.1\nstart = [0.1, 1.0]";
    let text = GOOD.replacen(
        "function = \"bowl\"\niterations = 50\n[[step.run]]\nlr = 0.1\nstart = [0.0, 0.0]\n[[step.expect]]\noutcome = \"converges\"\nminimum = 1",
        narrow,
        1,
    );
    assert!(text.contains("sqrt"));
    let lesson = parse("mine", &text);
    assert!(lesson.is_ok(), "{:?}", lesson.err().map(|e| e.to_string()));
    // Without the start in the view, it is said to show nothing.
    let outside = text.replacen("start = [0.1, 1.0]", "start = [0.1, 7.0]", 1);
    let error = parse("mine", &outside).unwrap_err().to_string();
    assert!(error.contains("finite nowhere"), "{error}");
}

#[test]
fn a_type_error_names_the_step_and_run_it_is_in() {
    let text = GOOD.replacen(
        "optimizer = \"momentum\"\nlr = 0.1",
        "optimizer = \"momentum\"\nlr = 0.1\nbatch = 2.5",
        1,
    );
    let error = parse("mine", &text).unwrap_err().to_string();
    assert!(
        error.starts_with("line 23, step 2, run 1, batch:"),
        "{error}"
    );
}
