//! Scenarios: the setup on screen round-trips through a file; a file of another version
//! loads what it can and names what it skipped; a bad file says what and where.

use descent::app::action::Action;
use descent::app::files::Purpose;
use descent::app::model::Notice;
use descent::app::scenario;
use descent::app::{DescentApp, Settings};
use descent::engine::{FunctionSpec, OptimizerConfig, OptimizerKind};

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("descent-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A setup with something changed everywhere a scenario covers.
fn setup() -> DescentApp {
    let mut app = DescentApp::new(Settings::default()).without_persistence();
    app.model.apply_all([
        Action::SetFunction(FunctionSpec::parse("three-wells").unwrap()),
        Action::SetOptimizer(OptimizerConfig::new(OptimizerKind::Nesterov, 0.05)),
        Action::AddRun(vec![4.0, 0.5]),
        Action::SetIterations(321),
        Action::SaveFunction("not in the scenario".to_string()),
    ]);
    let mut display = app.model.settings.display;
    display.basins = true;
    display.contour_count = 7;
    app.model.apply(Action::SetDisplay(display));
    app.model
        .apply(Action::SetSpeed(descent::app::simulation::Speed::Instant));
    app
}

#[test]
fn a_scenario_round_trips_through_save_and_open() {
    let path = temp("round-trip.json");
    let mut app = setup();
    assert_eq!(app.file_action(Purpose::SaveScenario, &path), Ok(None));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"descent_scenario\": 1"), "{text}");
    assert!(!text.contains("not in the scenario"));

    let mut other = DescentApp::new(Settings::default()).without_persistence();
    let action = other
        .file_action(Purpose::OpenScenario, &path)
        .unwrap()
        .unwrap();
    other.model.apply(action);
    let (a, b) = (&app.model, &other.model);
    assert_eq!(b.objective().info().name, "three-wells");
    assert_eq!(b.sim.setups(), a.sim.setups());
    assert_eq!(b.settings.iterations, 321);
    assert_eq!(b.settings.display, a.settings.display);
    assert_eq!(b.settings.optimizer, a.settings.optimizer);
    assert_eq!(b.sim.speed, a.sim.speed, "the animation speed travels too");
    assert!(matches!(&b.notice, Some(Notice::Info(m)) if m.contains("scenario opened")));
    // Opening is one undo step.
    other.model.apply(Action::Undo);
    assert_eq!(other.model.objective().info().name, "bowl");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn another_versions_scenario_loads_what_it_can_and_names_what_it_skipped() {
    let text = scenario::to_text(&setup().model.settings);
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let map = value.as_object_mut().unwrap();
    map.insert("a_future_field".to_string(), serde_json::json!(true));
    map.insert("iterations".to_string(), serde_json::json!("many"));
    let (settings, skipped) = scenario::from_text(&value.to_string()).unwrap();
    assert!(
        skipped.contains(&"a_future_field".to_string()),
        "{skipped:?}"
    );
    // A field of the wrong type is named with why it could not be read.
    assert!(
        skipped.contains(
            &"iterations (invalid type: string \"many\", expected a whole number >= 0)".to_string()
        ),
        "{skipped:?}"
    );
    assert_eq!(settings.iterations, Settings::default().iterations);
    assert_eq!(settings.display.contour_count, 7);

    let mut app = DescentApp::new(Settings::default()).without_persistence();
    app.model.apply(Action::OpenScenario {
        settings: Box::new(settings),
        skipped,
    });
    let notice = format!("{:?}", app.model.notice);
    assert!(
        notice.contains("skipped") && notice.contains("a_future_field"),
        "{notice}"
    );
    assert_eq!(app.model.objective().info().name, "three-wells");
}

#[test]
fn a_bad_scenario_file_says_what_and_where() {
    let cases = [
        (
            "{\n  \"descent_scenario\": 1,\n  \"iterations\": \n}",
            "line 4",
        ),
        ("[1, 2]", "JSON object"),
        ("{\"iterations\": 5}", "not a descent scenario"),
        (
            "{\"descent_scenario\": 1, \"function\": \"nosuch\", \"runs\": \"x\"}",
            "function: unknown function 'nosuch'",
        ),
        ("descent_scenario", "not valid JSON"),
        (
            "{\"descent_scenario\": 1, \"iterations\": 1e999}",
            "numbers are at most",
        ),
    ];
    let mut app = DescentApp::new(Settings::default()).without_persistence();
    for (text, needle) in cases {
        let path = temp("bad.json");
        std::fs::write(&path, text).unwrap();
        let error = app.file_action(Purpose::OpenScenario, &path).unwrap_err();
        assert!(error.contains(needle), "{text}: {error}");
    }
    let error = app
        .file_action(Purpose::OpenScenario, &temp("missing.json"))
        .unwrap_err();
    assert!(error.contains("cannot open"), "{error}");
    let error = app
        .file_action(
            Purpose::SaveScenario,
            std::path::Path::new("/proc/nope/x.json"),
        )
        .unwrap_err();
    assert!(error.contains("could not save the scenario"), "{error}");
    assert_eq!(app.model.objective().info().name, "bowl");
}

#[test]
fn edited_lab_points_travel_in_the_scenario() {
    use descent::app::action::DataEdit;
    let path = temp("edited.json");
    let mut app = DescentApp::new(Settings::default()).without_persistence();
    app.model.apply_all([
        Action::SetFunction(FunctionSpec::parse("regression --data seed001").unwrap()),
        Action::EditData(DataEdit::Move {
            index: 0,
            x: 0.1,
            y: 40.0,
        }),
        Action::EditData(DataEdit::Add { x: 1.9, y: 0.5 }),
    ]);
    let edited = app.model.lab_data.clone().unwrap();
    assert_eq!((edited.x[0], edited.y[0]), (0.1, 40.0));
    assert_eq!(edited.len(), 101);
    assert_eq!(app.file_action(Purpose::SaveScenario, &path), Ok(None));
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("points:0.1,40;")
    );

    let mut other = DescentApp::new(Settings::default()).without_persistence();
    let action = other
        .file_action(Purpose::OpenScenario, &path)
        .unwrap()
        .unwrap();
    other.model.apply(action);
    let opened = other.model.lab_data.clone().expect("the lab is open");
    assert_eq!(opened.x, edited.x, "every x, bit for bit");
    assert_eq!(opened.y, edited.y);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_bad_points_source_names_the_point() {
    use descent::engine::function::DataSource;
    let error = DataSource::parse("points:0,1;2,x;3,4")
        .unwrap_err()
        .to_string();
    assert!(error.contains("point 2 is '2,x'"), "{error}");
    let error = DataSource::parse("points:1,1;1,2").unwrap_err().to_string();
    assert!(error.contains("all x values are equal"), "{error}");
    let source = DataSource::parse("points:0,1;2,3.5;-1e-300,7").unwrap();
    assert_eq!(source.to_string(), "points:0,1;2,3.5;-1e-300,7");
}

#[test]
fn a_scenario_value_out_of_range_is_named_not_silently_replaced() {
    let text = scenario::to_text(&setup().model.settings);
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let map = value.as_object_mut().unwrap();
    map.insert("iterations".to_string(), serde_json::json!(0));
    map.insert(
        "view".to_string(),
        serde_json::json!([{"lo": 5.0, "hi": 1.0}, {"lo": 0.0, "hi": 1.0}]),
    );
    let run = serde_json::to_value(&setup().model.sim.setups()[0]).unwrap();
    let many = vec![run; 1001];
    map.insert("runs".to_string(), serde_json::Value::Array(many));
    let (settings, skipped) = scenario::from_text(&value.to_string()).unwrap();
    // Each is named with what was read and what is used instead.
    for name in [
        "iterations (0 is out of range; 1 is used)",
        "view (the x range must increase (min < max), got 5 to 1; the function's own is used)",
        "runs (1001 runs: the window holds 1000, the first are kept)",
    ] {
        assert!(skipped.iter().any(|s| s == name), "{name}: {skipped:?}");
    }
    // More runs than the window holds: named too.
    assert!(skipped.iter().any(|s| s.starts_with("runs")), "{skipped:?}");
    let mut app = DescentApp::new(Settings::default()).without_persistence();
    app.model.apply(Action::OpenScenario {
        settings: Box::new(settings),
        skipped,
    });
    assert!(app.model.sim.slots().len() <= 1000);
    assert_eq!(app.model.settings.iterations, 1);
    let notice = format!("{:?}", app.model.notice);
    assert!(
        notice.contains("iterations (0 is out of range; 1 is used)"),
        "{notice}"
    );
}

#[test]
fn a_regression_scenario_on_a_csv_file_opens_without_a_false_note() {
    let path = temp("points.csv");
    std::fs::write(&path, "x,y\n1,2\n2,3\n3,5\n").unwrap();
    let text = format!(
        "{{\"descent_scenario\": 1, \"function\": \"regression --data {}\"}}",
        path.display()
    );
    let (settings, skipped) = scenario::from_text(&text).unwrap();
    // The lab taking the function's data is no value brought into range.
    assert!(skipped.is_empty(), "{skipped:?}");
    // A lesson open beside it would describe another scene: it closes.
    let mut app = DescentApp::new(Settings::default()).without_persistence();
    app.model.apply(Action::OpenLesson {
        name: "course-lab-1d".to_string(),
        text: descent::engine::lesson::BUILT_IN[0].1.to_string(),
        folder: None,
    });
    assert!(app.model.lesson.is_some());
    app.model.apply(Action::OpenScenario {
        settings: Box::new(settings),
        skipped,
    });
    assert!(app.model.lesson.is_none());
    assert!(
        matches!(&app.model.notice, Some(Notice::Info(m)) if m == "scenario opened"),
        "{:?}",
        app.model.notice
    );
}

#[test]
fn a_scenario_run_that_cannot_be_made_is_named_in_the_notice() {
    // A hand-edited rate of -1: the run is dropped, and the notice says so (a later check of
    // the iterations used to clear it).
    let app = setup();
    let mut settings = app.model.settings.clone();
    let good = app.model.sim.setups()[0].clone();
    let mut bad = good.clone();
    bad.optimizer.lr = -1.0;
    settings.runs = vec![good, bad];
    let (settings, skipped) = scenario::from_text(&scenario::to_text(&settings)).unwrap();
    let mut app = DescentApp::new(Settings::default()).without_persistence();
    app.model.apply(Action::OpenScenario {
        settings: Box::new(settings),
        skipped,
    });
    assert_eq!(app.model.sim.slots().len(), 1);
    let notice = format!("{:?}", app.model.notice);
    assert!(
        notice.contains("scenario opened; saved run 2 was dropped: learning rate"),
        "{notice}"
    );
}

#[test]
fn a_scenario_of_a_newer_format_says_so() {
    let (_, skipped) =
        scenario::from_text("{\"descent_scenario\": 99, \"iterations\": 40}").unwrap();
    assert!(
        skipped.iter().any(|s| s.contains("format 99, newer")),
        "{skipped:?}"
    );
    let (_, skipped) =
        scenario::from_text("{\"descent_scenario\": 1, \"iterations\": 40}").unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    assert!(scenario::from_text("{\"descent_scenario\": \"x\"}").is_err());
}

#[test]
fn a_hand_written_formula_with_spaces_is_read_whole() {
    let (settings, skipped) =
        scenario::from_text("{\"descent_scenario\": 1, \"function\": \"x^2 + 3*y^2\"}").unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(settings.function.to_string(), "\"x^2 + 3*y^2\"");
    // Written as on paper, it gets the formula's own message, not a list of options.
    let error =
        scenario::from_text("{\"descent_scenario\": 1, \"function\": \"x y\"}").unwrap_err();
    assert!(error.contains("write x*y"), "{error}");
}

#[test]
fn a_bad_field_inside_a_run_or_a_group_is_named_and_the_rest_is_kept() {
    // A hand-edited file: a run with an optimizer of no known name between two good ones
    // (one written with the command line's name), and display fields of the wrong type.
    let text = r#"{"descent_scenario": 1, "function": "three-wells", "runs": [
        {"start": [1.0, 1.0], "optimizer": {"kind": "adam", "lr": 0.1}, "color": 0},
        {"start": [2.0, 1.0], "optimizer": {"kind": "Bogus", "lr": 0.1}, "color": 1},
        {"start": [3.0, 1.0], "optimizer": {"kind": "Gd", "lr": 0.2}, "color": 2}
    ], "display": {"basins": true, "contour_count": "many", "colour": 1}}"#;
    let (settings, skipped) = scenario::from_text(text).unwrap();
    // An unknown name is said with the names allowed, each once, as the command line
    // writes them.
    let names = "\"gd\", \"momentum\", \"nesterov\", \"adagrad\", \"rmsprop\", \"adadelta\", \"adam\", \"adamw\", \"adamax\", \"nadam\", \"radam\", \"newton\", \"linesearch\"";
    assert_eq!(
        skipped,
        vec![
            "display.colour".to_string(),
            "display.contour_count (invalid type: string \"many\", expected a whole number >= 0)"
                .to_string(),
            format!("runs 2 (unknown name \"Bogus\"; one of {names})"),
        ]
    );
    let kinds: Vec<OptimizerKind> = settings.runs.iter().map(|r| r.optimizer.kind).collect();
    assert_eq!(kinds, vec![OptimizerKind::Adam, OptimizerKind::Gd]);
    assert_eq!(settings.runs[1].start, vec![3.0, 1.0]);
    // The good fields of the group are read; the bad one keeps its default.
    assert!(settings.display.basins);
    assert_eq!(
        settings.display.contour_count,
        Settings::default().display.contour_count
    );
}

#[test]
fn unknown_fields_of_a_run_a_byte_order_mark_and_dimensions_are_handled() {
    // A typo inside a run or its optimizer is named; the run is still made.
    let text = "\u{feff}{\"descent_scenario\": 1, \"function\": \"bowl\", \"runs\": [\
        {\"start\": [1.0, 1.0], \"optimizer\": {\"kind\": \"gd\", \"lr\": 0.1, \"betta1\": 0.8}, \"color\": 0, \"colour\": 2}]}";
    let (settings, skipped) = scenario::from_text(text).unwrap();
    assert_eq!(
        skipped,
        vec![
            "runs 1.colour (unknown)".to_string(),
            "runs 1.optimizer.betta1 (unknown)".to_string(),
        ]
    );
    assert_eq!(settings.runs.len(), 1);
    // sum-squares in 3 dimensions is a slice in the window; in 4 it has no view.
    let three = "{\"descent_scenario\": 1, \"function\": \"sum-squares\"}";
    let (settings, skipped) = scenario::from_text(three).unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(settings.function.dim(), 3);
    let four = "{\"descent_scenario\": 1, \"function\": \"sum-squares --dim 4\"}";
    let error = scenario::from_text(four).unwrap_err();
    assert!(
        error.contains("4 dimensions") && error.contains("at most 3"),
        "{error}"
    );
    // The note of a newer format is said whole.
    let (_, skipped) = scenario::from_text("{\"descent_scenario\": 2}").unwrap();
    let notice = descent::app::scenario::describe_skipped(&skipped);
    assert!(notice.ends_with("keeps its default)"), "{notice}");
}

/// What was said of the scene before (a saved session's data file that is gone) is not said
/// of the scenario that replaces it.
#[test]
fn a_scenario_does_not_carry_the_old_scenes_notice() {
    let mut app = setup();
    app.model.notice = Some(Notice::Error(
        "cannot read 'gone.csv': No such file or directory".to_string(),
    ));
    let (settings, skipped) =
        scenario::from_text("{\"descent_scenario\": 1, \"function\": \"bowl\"}").unwrap();
    app.model.apply(Action::OpenScenario {
        settings: Box::new(settings),
        skipped,
    });
    assert!(
        matches!(&app.model.notice, Some(Notice::Info(m)) if m == "scenario opened"),
        "{:?}",
        app.model.notice
    );
}

/// Found by the long fuzz run: an optimizer's name holding a line break made a notice of two
/// lines.
#[test]
fn a_run_of_a_name_with_a_line_break_is_named_on_one_line() {
    let text = r#"{"descent_scenario": 1, "function": "bowl", "runs": [
        {"start": [1.0, 1.0], "optimizer": {"kind": "gd", "lr": 0.1}, "color": 0},
        {"start": [2.0, 1.0], "optimizer": {"kind": "con\nst", "lr": 0.1}, "color": 1}]}"#;
    let (settings, skipped) = scenario::from_text(text).unwrap();
    assert_eq!(settings.runs.len(), 1);
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0].starts_with("runs 2 (unknown name \"con\\nst\"; one of \"gd\", ")
            && !skipped[0].contains('\n'),
        "{skipped:?}"
    );
}

/// Tester pass 7: a typo inside `display` is named, and a run written without its color
/// keeps its optimizer and start.
#[test]
fn a_display_typo_is_named_and_a_run_without_a_color_is_kept() {
    let text = r#"{"descent_scenario": 1, "function": "himmelblau",
        "display": {"basin": true},
        "runs": [{"start": [1.0, 1.0], "optimizer": {"kind": "adam", "lr": 0.05}}]}"#;
    let (settings, skipped) = scenario::from_text(text).unwrap();
    assert_eq!(skipped, vec!["display.basin (unknown)".to_string()]);
    assert_eq!(settings.runs.len(), 1);
    assert_eq!(settings.runs[0].optimizer.kind, OptimizerKind::Adam);
    assert_eq!(settings.runs[0].start, vec![1.0, 1.0]);
}

/// Tester pass 7: a run whose start does not fit sum-squares' dimension is dropped with a
/// hint in the file's own terms, not the command line's `--dim`.
#[test]
fn a_start_of_the_wrong_length_says_how_the_file_writes_the_dimension() {
    let mut app = setup();
    let text = r#"{"descent_scenario": 1, "function": "sum-squares", "runs": [
        {"start": [1.0, 1.0], "optimizer": {"kind": "adam", "lr": 0.1}, "color": 0}]}"#;
    let (settings, skipped) = scenario::from_text(text).unwrap();
    app.model.apply(Action::OpenScenario {
        settings: Box::new(settings),
        skipped,
    });
    let Some(Notice::Error(message)) = &app.model.notice else {
        panic!("{:?}", app.model.notice);
    };
    assert!(
        message.contains("start has 2 coordinates")
            && message.contains("\"sum-squares --dim 2\"")
            && !message.contains("with --dim"),
        "{message}"
    );
}

#[test]
fn a_scenario_value_out_of_range_in_a_group_or_below_f64s_range_is_named() {
    let app = setup();
    let mut settings = app.model.settings.clone();
    // A run whose beta2 is a subnormal number, one whose start is, and a good one.
    let good = app.model.sim.setups()[0].clone();
    let mut tiny_beta = good.clone();
    tiny_beta.optimizer.kind = OptimizerKind::Adam;
    tiny_beta.optimizer.beta2 = 5e-324;
    let mut tiny_start = good.clone();
    tiny_start.start = vec![1e-310, 0.5];
    settings.runs = vec![tiny_beta, tiny_start, good];
    settings.optimizer.lr = 4e-320;
    let mut value: serde_json::Value = serde_json::from_str(&scenario::to_text(&settings)).unwrap();
    value["display"]["contour_count"] = serde_json::json!(45);
    let (settings, skipped) = scenario::from_text(&value.to_string()).unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s == "display.contour_count (45 is out of range; 40 is used)"),
        "{skipped:?}"
    );
    assert!(
        skipped
            .iter()
            .any(|s| s.starts_with("optimizer (learning rate must be at least about 2.2e-308")),
        "{skipped:?}"
    );
    let mut app = DescentApp::new(Settings::default()).without_persistence();
    app.model.apply(Action::OpenScenario {
        settings: Box::new(settings),
        skipped,
    });
    assert_eq!(app.model.sim.slots().len(), 1);
    let notice = format!("{:?}", app.model.notice);
    assert!(
        notice.contains(
            "2 saved runs were dropped, the first (run 1): beta2 must be 0 or at least about 2.2e-308"
        ),
        "{notice}"
    );
}

#[test]
fn a_hand_written_scenario_of_a_formula_shows_it_in_the_formula_field() {
    let text = r#"{"descent_scenario": 1, "function": "abs(x)+abs(y)"}"#;
    let (settings, skipped) = scenario::from_text(text).unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    let mut app = DescentApp::new(Settings::default()).without_persistence();
    app.model.apply(Action::OpenScenario {
        settings: Box::new(settings),
        skipped,
    });
    assert_eq!(app.model.settings.formula, "abs(x)+abs(y)");
    assert!(
        matches!(&app.model.notice, Some(Notice::Info(m)) if m == "scenario opened"),
        "{:?}",
        app.model.notice
    );
}

#[test]
fn a_z_range_too_narrow_or_too_wide_is_named() {
    for (z, why) in [
        ([0.0, 1e-310], "the range 0 to 1e-310 is too narrow to draw"),
        (
            [-1e308, 1e308],
            "the range must lie within -1e12 and 1e12, got -1e308 to 1e308",
        ),
    ] {
        let text = format!(
            r#"{{"descent_scenario": 1, "function": "bowl", "display": {{"z_range": {{"lo": {}, "hi": {}}}}}}}"#,
            z[0], z[1]
        );
        let (_, skipped) = scenario::from_text(&text).unwrap();
        assert!(
            skipped
                .iter()
                .any(|s| *s == format!("display.z_range ({why}; the surface's own is used)")),
            "{z:?}: {skipped:?}"
        );
    }
}

#[test]
fn a_key_given_twice_is_refused_not_silently_the_last() {
    let text = "{\"descent_scenario\": 1, \"function\": \"bowl\",\n \"optimizer\": {\"kind\": \"gd\", \"lr\": 0.1, \"lr\": 5}}";
    let error = scenario::from_text(text).unwrap_err();
    assert!(
        error.contains("line 2") && error.contains("\"lr\" is given twice"),
        "{error}"
    );
}
