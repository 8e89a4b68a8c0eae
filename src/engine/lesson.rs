//! Lessons: the seed notebooks' experiments as guided steps. A lesson is a small TOML file;
//! each step sets a scene (function, view, runs with their optimizer, rate and start,
//! iterations), says in a few sentences what to notice and what to try, and states what its
//! runs do (converge, and where; blow up; fall short), which [`check_step`] verifies with the
//! engine, so a lesson's text can never drift from what descent shows.

use std::fmt;
use std::path::Path;

use serde::Deserialize;

use super::format::one_line;
use super::function::FunctionSpec;
use super::objective::{Interval, Objective, parse_view};
use super::optimizer::{OptimizerConfig, OptimizerKind};
use super::regression::BatchSpec;
use super::run::{Run, RunSpec, StopReason};

/// The built-in lessons: (file name, TOML text), in the order the Lessons panel lists them.
pub const BUILT_IN: [(&str, &str); 4] = [
    (
        "course-lab-1d",
        include_str!("../../assets/lessons/course-lab-1d.toml"),
    ),
    (
        "course-lab-2d",
        include_str!("../../assets/lessons/course-lab-2d.toml"),
    ),
    (
        "seed-003-surfaces",
        include_str!("../../assets/lessons/seed-003-surfaces.toml"),
    ),
    (
        "seeds-000-002-lines",
        include_str!("../../assets/lessons/seeds-000-002-lines.toml"),
    ),
];

/// The most steps a lesson may have, and runs a step may set.
pub const MAX_STEPS: usize = 200;
/// The most runs one step may set.
pub const MAX_STEP_RUNS: usize = 20;
/// The longest step title, in characters: it heads the lesson panel.
pub const MAX_TITLE: usize = 200;

/// The longest step text, in characters.
pub const MAX_TEXT: usize = 20_000;

/// The most iterations a step may ask for.
pub const MAX_STEP_ITERATIONS: u64 = 100_000;
/// The most epochs a step of the regression lab runs.
pub const MAX_STEP_EPOCHS: u64 = 10_000;

/// A lesson: a title and its steps.
#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    /// The lesson's short name (its file name without `.toml`).
    pub name: String,
    /// What the panel calls it.
    pub title: String,
    /// Where its experiments come from (a seed notebook).
    pub source: String,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One step of a lesson: a scene, its text and what its runs do.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// A few words for the step list.
    pub title: String,
    /// What to notice and what to try next.
    pub text: String,
    /// The function: a preset's name or a formula (`exp-log`, `x^2 + y^2`, ...).
    pub function: FunctionSpec,
    /// The view box, if the step sets one.
    pub view: Option<Vec<Interval>>,
    /// `2d`, `3d` or `both`, if the step sets it.
    pub layout: Option<String>,
    /// What the step turns on in the views (see [`SHOWABLE`]).
    pub show: Vec<String>,
    /// Whether setting the scene plays the runs (else they wait at their start).
    pub play: bool,
    /// Iterations per run (steps for the regression lab: epochs times batches per epoch).
    pub iterations: u64,
    /// The regression lab's passes over the data, if the function is the regression loss.
    pub epochs: Option<u64>,
    /// The seed of the lab's shuffles.
    pub seed: u64,
    /// Whether the lab reshuffles its points every epoch (else it takes them in order).
    pub shuffle: bool,
    /// The runs, in order (run 1 first).
    pub runs: Vec<StepRun>,
    /// What the runs do.
    pub expect: Vec<Claim>,
}

/// One run of a step.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRun {
    /// The optimizer with its learning rate and hyperparameters.
    pub optimizer: OptimizerConfig,
    /// The start.
    pub start: Vec<f64>,
    /// In the regression lab: points per step (`None`: all of them, batch descent).
    pub batch: Option<usize>,
}

/// What a step says one of its runs does.
#[derive(Clone, Debug, PartialEq)]
pub struct Claim {
    /// The run, counted from 1.
    pub run: usize,
    /// What it does.
    pub outcome: Outcome,
    /// Which of the function's known minima it ends at (from 1, in the order `descent
    /// functions` lists them), for [`Outcome::Converges`].
    pub minimum: Option<usize>,
    /// Where it ends, for [`Outcome::Converges`], when not at a known minimum.
    pub at: Option<Vec<f64>>,
    /// How near `at` counts as there.
    pub within: f64,
    /// For [`Outcome::Converges`]: it is there by this iteration already.
    pub by: Option<u64>,
}

/// The outcomes a lesson can claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Ends within `within` of its minimum.
    Converges,
    /// Stops because it diverged or left the domain, or ends higher than it started.
    Diverges,
    /// Still descending but not there yet when its iterations run out.
    FallsShort,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Converges => "converges",
            Self::Diverges => "diverges",
            Self::FallsShort => "falls short",
        })
    }
}

/// A lesson file that cannot be read: where and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    /// The line (from 1), if known.
    pub line: Option<usize>,
    /// The field, e.g. `step 3, run 1, lr`.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (field, message) = (one_line(&self.field), one_line(&self.message));
        match self.line {
            Some(line) => write!(f, "line {line}, {field}: {message}"),
            None => write!(f, "{field}: {message}"),
        }
    }
}

impl std::error::Error for LessonError {}

/// The file as written: everything optional that has a default.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LessonFile {
    title: String,
    #[serde(default)]
    source: String,
    #[serde(rename = "step")]
    steps: Vec<StepFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    title: String,
    text: String,
    function: String,
    dim: Option<i64>,
    data: Option<String>,
    #[serde(default)]
    standardize: bool,
    epochs: Option<u64>,
    seed: Option<u64>,
    #[serde(default = "yes")]
    shuffle: bool,
    view: Option<String>,
    layout: Option<String>,
    #[serde(default)]
    show: Vec<String>,
    #[serde(default = "yes")]
    play: bool,
    #[serde(default)]
    iterations: Option<u64>,
    #[serde(rename = "run")]
    runs: Vec<RunFile>,
    #[serde(default, rename = "expect")]
    expects: Vec<ClaimFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunFile {
    #[serde(default = "gd")]
    optimizer: String,
    lr: f64,
    start: Vec<f64>,
    momentum: Option<f64>,
    beta1: Option<f64>,
    beta2: Option<f64>,
    clip: Option<f64>,
    batch: Option<usize>,
}

fn yes() -> bool {
    true
}

fn gd() -> String {
    "gd".to_string()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimFile {
    #[serde(default = "first")]
    run: usize,
    outcome: Outcome,
    minimum: Option<usize>,
    at: Option<Vec<f64>>,
    within: Option<f64>,
    by: Option<u64>,
}

fn first() -> usize {
    1
}

/// What a step can turn on in the views: the tangent plane (3-D), the slices under the
/// contour view, the critical points, the basins of attraction, the arrows of -grad f, the
/// regression lab's contours of the next mini-batch's loss.
pub const SHOWABLE: [&str; 6] = [
    "tangent",
    "slices",
    "critical",
    "basins",
    "arrows",
    "batch-contours",
];

/// How near a minimum counts as there when a claim does not say.
pub const DEFAULT_WITHIN: f64 = 1e-3;

/// Reads a lesson file's text: as [`parse`], but a `.json` file must hold a JSON object
/// (else TOML's messages would describe the mistake).
pub fn parse_file(
    name: &str,
    json: bool,
    text: &str,
    folder: Option<&Path>,
) -> Result<Lesson, LessonError> {
    let start = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    if json && !start.starts_with('{') {
        return Err(LessonError {
            line: Some(1),
            field: "the file".to_string(),
            message:
                "a lesson in JSON is an object: { \"title\": ..., \"step\": [...] } (no comments)"
                    .to_string(),
        });
    }
    parse_in(name, text, folder)
}

/// Reads a lesson named `name` from `text`, TOML or (when it starts with `{`) JSON, checking
/// every field: a clear message with the line and the field for the first mistake. A data
/// file's relative path is taken from the current folder (see [`parse_in`]).
pub fn parse(name: &str, text: &str) -> Result<Lesson, LessonError> {
    parse_in(name, text, None)
}

/// As [`parse`], with a data file's relative path taken from `folder` (the lesson file's own
/// folder, so that a lesson and its data travel together).
pub fn parse_in(name: &str, text: &str, folder: Option<&Path>) -> Result<Lesson, LessonError> {
    // A byte-order mark some editors write is not part of the lesson.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Old Mac editors end lines with a lone CR, which TOML does not take as a line end: the
    // whole file would read as its first line. Each lone CR is a line end here.
    let normalized;
    let text = if text.contains('\r') {
        normalized = text.replace("\r\n", "\n").replace('\r', "\n");
        normalized.as_str()
    } else {
        text
    };
    // JSON starts with an object (or, wrongly, an array of values); TOML's tables start
    // with a name in brackets.
    let start = text.trim_start();
    let toml_table =
        start.starts_with("[[") || start.starts_with("[step") || start.starts_with("[ ");
    if start.starts_with('[') && !toml_table {
        return Err(LessonError {
            line: Some(1),
            field: "the file".to_string(),
            message: "a lesson in JSON is an object: { \"title\": ..., \"step\": [...] }"
                .to_string(),
        });
    }
    if start.starts_with('{') && text.contains("\"descent_scenario\"") {
        return Err(LessonError {
            line: Some(1),
            field: "the file".to_string(),
            message: "this is a scenario (it has \"descent_scenario\"), not a lesson: open it with --scenario or File > Open scenario".to_string(),
        });
    }
    let file: LessonFile = if start.starts_with('{') {
        parse_json(text)?
    } else {
        parse_toml(text)?
    };
    check(name, text, file, folder)
}

/// A lesson written as JSON: the same fields, `step` an array of objects.
fn parse_json(text: &str) -> Result<LessonFile, LessonError> {
    // serde reads an object from a list of its values in order, and then says what the
    // first value is not: the shape of the steps and runs is said first.
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text)
        && let Some(error) = shape(&value, Written::Json)
    {
        return Err(error);
    }
    serde_json::from_str(text).map_err(|e| {
        let line = e.line();
        // The field is the last key written before the error's column on its line (a
        // lesson written on one line has them all there).
        let field = text
            .lines()
            .nth(line.saturating_sub(1))
            .map(|l| &l[..l.floor_char_boundary(e.column())])
            .and_then(|l| l.rsplit_once("\":").map(|(before, _)| before))
            .and_then(|before| before.rsplit_once('"').map(|(_, key)| key))
            .filter(|key| !key.is_empty() && !key.contains(['{', '[', ' ']))
            .unwrap_or("the file")
            .to_string();
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message);
        let message = &super::format::plain_types(message);
        let syntax = matches!(
            e.classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        );
        let field = missing_field(message).unwrap_or(field);
        let said = say_plainly(&field, say_missing(message.to_string()));
        // A key of a step, run or expect is named with its place, as in a TOML lesson.
        let place = (!syntax)
            .then(|| json_offset(text, line, e.column()))
            .flatten()
            .and_then(|offset| json_place(text, offset));
        let field = placed(place, field);
        let message = if syntax {
            format!("not valid JSON, column {}: {message}", e.column())
        } else {
            said
        };
        LessonError {
            line: Some(line),
            field: if syntax {
                "the file".to_string()
            } else {
                field
            },
            message,
        }
    })
}

/// How a lesson file is written.
#[derive(Clone, Copy)]
enum Written {
    Json,
    Toml,
}

/// What is wrong with the shape of a lesson: `step`, a step's `run` and `expect` are lists
/// of objects (tables in TOML).
fn shape(lesson: &serde_json::Value, written: Written) -> Option<LessonError> {
    use serde_json::Value;
    fn kind(value: &Value) -> &'static str {
        match value {
            Value::Null => "null",
            Value::Bool(_) => "true or false",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "a list [...]",
            Value::Object(_) => "an object {...}",
        }
    }
    // The list `key` of `parent` at `place`, each item (`noun`) an object like `example`.
    let list = |parent: &Value, key: &str, place: &str, (noun, example): (&str, &str)| {
        let error = |field: String, message: String| LessonError {
            line: None,
            field,
            message,
        };
        let field = match place {
            "" => key.to_string(),
            _ => format!("{place}, {key}"),
        };
        match parent.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if !item.is_object() {
                        let field = format!("{field} {}", i + 1);
                        let got = kind(item);
                        let message = match written {
                            Written::Json => format!("{noun} is an object {example}, got {got}"),
                            Written::Toml => format!("{noun} is a table, {example}, got {got}"),
                        };
                        return Err(error(field, message));
                    }
                }
                Ok(items.clone())
            }
            // TOML's reader says it with the line ("write [[step]] with two brackets").
            Some(_) if matches!(written, Written::Toml) => Ok(Vec::new()),
            Some(other) => Err(error(
                field,
                format!("a list [{example}, ...], got {}", kind(other)),
            )),
        }
    };
    let (step, run, expect) = match written {
        Written::Json => (
            (
                "a step",
                r#"{"title": ..., "text": ..., "function": ..., "run": [...]}"#,
            ),
            ("a run", r#"{"lr": ..., "start": [...]}"#),
            ("an expect", r#"{"outcome": ...}"#),
        ),
        Written::Toml => (
            (
                "a step",
                "[[step]] with title, text, function and a [[step.run]]",
            ),
            ("a run", "[[step.run]] with lr and start"),
            ("an expect", "[[step.expect]] with outcome"),
        ),
    };
    let check = || -> Result<(), LessonError> {
        for (i, each) in list(lesson, "step", "", step)?.iter().enumerate() {
            let place = format!("step {}", i + 1);
            list(each, "run", &place, run)?;
            list(each, "expect", &place, expect)?;
        }
        Ok(())
    };
    check().err()
}

/// What to write for `function = "regression --data seed001"`: the command line's options
/// are keys of the step.
fn options_as_keys(name: &str, options: &str) -> String {
    let keys: Vec<String> = options
        .split(" --")
        .map(|option| {
            let (key, value) = option.trim().split_once(' ').unwrap_or((option.trim(), ""));
            let key = key.replace('-', "_");
            let value = value.trim();
            if value.is_empty() {
                format!("{key} = true")
            } else if value.parse::<f64>().is_ok() {
                format!("{key} = {value}")
            } else {
                format!("{key} = \"{value}\"")
            }
        })
        .collect();
    format!(
        "'{name} --{options}' holds command-line options; in a lesson they are keys of the step: function = \"{name}\", then {}",
        keys.join(", ")
    )
}

/// A whole number out of range said with the range its field allows, not the type's.
fn say_plainly(field: &str, message: String) -> String {
    // 1e2 or 100.0 is read as a decimal number, which a count is not.
    let message = if message.contains("floating point") && message.contains("whole number") {
        format!("{message} (write a count without a decimal point or exponent, e.g. 100)")
    } else {
        message
    };
    let range = match field.trim_matches('"') {
        "iterations" => format!("from 1 to {MAX_STEP_ITERATIONS}"),
        "epochs" => format!("from 1 to {MAX_STEP_EPOCHS}"),
        "batch" | "run" | "by" | "minimum" => "of 1 or more".to_string(),
        _ => return message,
    };
    message.replace(
        "expected a whole number >= 0",
        &format!("expected a whole number {range}"),
    )
}

/// A "missing field `name`" message said as what to write.
fn say_missing(message: String) -> String {
    let Some(field) = message
        .split_once("missing field `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(field, _)| field)
    else {
        return message;
    };
    let what = match field {
        "run" => "a step needs at least one run: a [[step.run]] table with lr and start",
        "start" => "a run needs its start, e.g. start = [1.0, 2.0] (start = [1.6] on a curve)",
        "lr" => "a run needs its learning rate, e.g. lr = 0.1",
        "title" => "a title is needed, e.g. title = \"Baby steps\"",
        "text" => "a text is needed: what the student reads, text = \"...\"",
        "function" => {
            "a step needs its function: a preset's name or a formula, e.g. function = \"bowl\""
        }
        "outcome" => "an expect needs its outcome: \"converges\", \"diverges\" or \"falls-short\"",
        "step" => {
            "a lesson needs its steps: [[step]] tables, each with title, text, function and a [[step.run]]"
        }
        _ => return message,
    };
    format!("missing: {what}")
}

/// The byte offset of `line` and `column` (from 1, as serde_json counts them) in `text`.
fn json_offset(text: &str, line: usize, column: usize) -> Option<usize> {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.checked_sub(1)?)
        .map(str::len)
        .sum();
    Some((start + column.saturating_sub(1)).min(text.len()))
}

/// Where byte `offset` of a JSON lesson lies: `step 2`, `step 2, run 1` or `step 2, expect
/// 3` (counted from 1), from the arrays and keys open there; `None` outside the steps.
fn json_place(text: &str, offset: usize) -> Option<String> {
    // Each open container: an object with the key being read, or an array with the index.
    enum Open {
        Object(Option<String>, bool),
        Array(usize),
    }
    let b = text.as_bytes();
    let mut open: Vec<Open> = Vec::new();
    let mut i = 0;
    while i < offset.min(b.len()) {
        match b[i] {
            b'"' => {
                let end = skip_json_value(b, i)?.min(b.len());
                if let Some(Open::Object(key, awaiting @ true)) = open.last_mut() {
                    *key = text.get(i + 1..end.saturating_sub(1)).map(str::to_string);
                    *awaiting = false;
                }
                i = end;
                continue;
            }
            b'{' => open.push(Open::Object(None, true)),
            b'[' => open.push(Open::Array(0)),
            b'}' | b']' => {
                open.pop();
            }
            b',' => match open.last_mut() {
                Some(Open::Array(index)) => *index += 1,
                Some(Open::Object(_, awaiting)) => *awaiting = true,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    // The path from the top: "step", index, then "run" or "expect", index.
    let mut path = open.iter().map(|o| match o {
        Open::Object(key, _) => (key.as_deref(), None),
        Open::Array(index) => (None, Some(*index)),
    });
    let (Some("step"), _) = path.next()? else {
        return None;
    };
    let (_, Some(step)) = path.next()? else {
        return None;
    };
    let step = step + 1;
    match (path.next(), path.next()) {
        (Some((Some(table @ ("run" | "expect")), _)), Some((_, Some(k)))) => {
            Some(format!("step {step}, {table} {}", k + 1))
        }
        _ => Some(format!("step {step}")),
    }
}

/// The field a "missing field `name`", "unknown field `name`" or "duplicate field `name`"
/// message is about.
fn missing_field(message: &str) -> Option<String> {
    let rest = message
        .split_once("missing field `")
        .or_else(|| message.split_once("unknown field `"))
        .or_else(|| message.split_once("duplicate field `"))?
        .1;
    Some(rest.split_once('`')?.0.to_string())
}

fn parse_toml(text: &str) -> Result<LessonFile, LessonError> {
    // As in JSON, a step or run written as a list of values is said as such.
    if let Ok(table) = toml::from_str::<toml::Table>(text)
        && let Ok(value) = serde_json::to_value(table)
        && let Some(error) = shape(&value, Written::Toml)
    {
        return Err(error);
    }
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|span| line_of(text, span.start));
        // The field is the key written on that line, where there is one.
        let field = line
            .and_then(|l| text.lines().nth(l - 1))
            .and_then(|l| l.split_once('='))
            .map(|(key, _)| key.trim())
            .filter(|key| !key.is_empty() && !key.contains(['[', '"', ' ']))
            .unwrap_or("the file")
            .to_string();
        let mut message = super::format::plain_types(e.message().trim());
        let written = line
            .and_then(|l| text.lines().nth(l - 1))
            .unwrap_or_default()
            .trim();
        // The likeliest slips of a lesson written by hand, said as what to write.
        if message.contains("expected a list") && written == "[step]" {
            message =
                "write [[step]] with two brackets: a lesson holds a list of steps".to_string();
        } else if message.contains("expected a list") && written.starts_with("[step.") {
            message = format!(
                "write {} with two brackets: a step holds a list of them",
                written.replacen('[', "[[", 1).replacen(']', "]]", 1)
            );
        } else if field == "view" && message.contains("expected a string") {
            message.push_str(": write view = \"-3,3,-3,3\" (xmin,xmax,ymin,ymax in quotes)");
        }
        // A missing or unknown key is named itself, not the key on the line TOML points at.
        let named = missing_field(&message);
        let message = say_plainly(&field, say_missing(message));
        // A key of a step, run or expect is named with its place, as the later checks do.
        let field = placed(line.and_then(|l| toml_place(text, l)), field);
        LessonError {
            line,
            field: named.unwrap_or(field),
            message,
        }
    })
}

/// A reader's error's field named with its place (`step 2, run 1, lr`); the place alone
/// when no key is known there.
fn placed(place: Option<String>, field: String) -> String {
    match place {
        Some(place) if field != "the file" => format!("{place}, {field}"),
        Some(place) => place,
        None => field,
    }
}

/// Where line `line` of a TOML lesson lies: `step 2`, `step 2, run 1` or `step 2, expect 3`
/// (counted from 1), from the table headers above it; `None` before the first step.
fn toml_place(text: &str, line: usize) -> Option<String> {
    let (mut step, mut run, mut expect, mut table) = (0, 0, 0, "");
    for written in text.lines().take(line.saturating_sub(1)) {
        match written.trim() {
            "[[step]]" => (step, run, expect, table) = (step + 1, 0, 0, "step"),
            "[[step.run]]" => (run, table) = (run + 1, "run"),
            "[[step.expect]]" => (expect, table) = (expect + 1, "expect"),
            _ => {}
        }
    }
    match (step, table) {
        (0, _) => None,
        (_, "run") => Some(format!("step {step}, run {run}")),
        (_, "expect") => Some(format!("step {step}, expect {expect}")),
        _ => Some(format!("step {step}")),
    }
}

/// Checks a lesson read from `text` field by field.
fn check(
    name: &str,
    text: &str,
    file: LessonFile,
    folder: Option<&Path>,
) -> Result<Lesson, LessonError> {
    if file.steps.is_empty() {
        return Err(LessonError {
            line: None,
            field: "step".to_string(),
            message: "a lesson needs at least one [[step]]".to_string(),
        });
    }
    if file.title.trim().is_empty() {
        return Err(LessonError {
            line: None,
            field: "title".to_string(),
            message: "empty: the lesson's title is what the Lessons menu lists".to_string(),
        });
    }
    if file.title.chars().count() > MAX_TITLE {
        return Err(LessonError {
            line: None,
            field: "title".to_string(),
            message: format!(
                "{} characters; at most {MAX_TITLE}",
                file.title.chars().count()
            ),
        });
    }
    if file.steps.len() > MAX_STEPS {
        return Err(LessonError {
            line: None,
            field: "step".to_string(),
            message: format!("at most {MAX_STEPS} steps"),
        });
    }
    let steps = file
        .steps
        .into_iter()
        .enumerate()
        .map(|(i, step)| read_step(text, i, step, folder))
        .collect::<Result<_, _>>()?;
    Ok(Lesson {
        name: name.to_string(),
        title: file.title,
        source: file.source,
        steps,
    })
}

/// The line (from 1) of byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// One step of a path into a JSON document: an object's key or an array's index.
#[derive(Clone, Copy)]
enum JsonStep<'a> {
    Key(&'a str),
    Index(usize),
}

/// Whether the lesson is written in JSON (an object) rather than TOML.
fn is_json(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

/// The line of what `path` leads to in the JSON document `text` (the key's line for a
/// key), if the document is whole up to there.
fn json_line(text: &str, path: &[JsonStep]) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = skip_json_space(b, 0);
    let mut at = i;
    for step in path {
        match (b.get(i)?, step) {
            (b'{', JsonStep::Key(key)) => {
                i += 1;
                loop {
                    i = skip_json_space(b, i);
                    if b.get(i)? != &b'"' {
                        return None;
                    }
                    let key_at = i;
                    let end = skip_json_value(b, i)?;
                    let name = &text[i + 1..end - 1];
                    i = skip_json_space(b, end);
                    if b.get(i)? != &b':' {
                        return None;
                    }
                    i = skip_json_space(b, i + 1);
                    if name == *key {
                        at = key_at;
                        break;
                    }
                    i = skip_json_space(b, skip_json_value(b, i)?);
                    if b.get(i)? != &b',' {
                        return None;
                    }
                    i += 1;
                }
            }
            (b'[', JsonStep::Index(n)) => {
                i += 1;
                for _ in 0..*n {
                    i = skip_json_space(b, i);
                    i = skip_json_space(b, skip_json_value(b, i)?);
                    if b.get(i)? != &b',' {
                        return None;
                    }
                    i += 1;
                }
                i = skip_json_space(b, i);
                if b.get(i)? == &b']' {
                    return None;
                }
                at = i;
            }
            _ => return None,
        }
    }
    Some(line_of(text, at))
}

fn skip_json_space(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The end (one past) of the JSON value starting at `i`: a string, an object or array
/// (strings inside followed), or a bare number or word.
fn skip_json_value(b: &[u8], mut i: usize) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let start = i;
    while let Some(&c) = b.get(i) {
        i += 1;
        if in_string {
            match c {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => {
                    in_string = false;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => return (i - 1 > start).then_some(i - 1),
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            b',' | b' ' | b'\t' | b'\r' | b'\n' if depth == 0 => return Some(i - 1),
            _ => {}
        }
    }
    (depth == 0 && !in_string && i > start).then_some(i)
}

/// The line of the `n`th (from 0) `[[step]]` header (in JSON, of the step's object), for
/// messages about a step's fields.
fn step_line(text: &str, n: usize) -> Option<usize> {
    if is_json(text) {
        return json_line(text, &[JsonStep::Key("step"), JsonStep::Index(n)]);
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[step]]")
        .nth(n)
        .map(|(i, _)| i + 1)
}

/// The line of `key = ...` among the `n`th step's own keys (before its first table), if the
/// file is TOML written a key per line; in JSON, the line of the step's `"key"`.
fn step_key_line(text: &str, n: usize, key: &str) -> Option<usize> {
    if is_json(text) {
        return json_line(
            text,
            &[
                JsonStep::Key("step"),
                JsonStep::Index(n),
                JsonStep::Key(key),
            ],
        );
    }
    let step = step_line(text, n)?;
    text.lines()
        .enumerate()
        .skip(step)
        .take_while(|(_, line)| !line.trim_start().starts_with('['))
        .find(|(_, line)| {
            line.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|(k, _)| k + 1)
}

/// The line of `key = ...` in the `r`th (from 0) `[[step.run]]` of the `n`th step, if the
/// file is TOML written a key per line.
fn run_key_line(text: &str, n: usize, r: usize, key: &str) -> Option<usize> {
    table_key_line(text, n, "[[step.run]]", r, key)
}

/// The line of `key = ...` in the `r`th (from 0) table `header` (`[[step.run]]`,
/// `[[step.expect]]`) of the `n`th step, if the file is TOML written a key per line; in
/// JSON, the line of `"key"` in the step's `run` (or `expect`) array's `r`th object.
fn table_key_line(text: &str, n: usize, header: &str, r: usize, key: &str) -> Option<usize> {
    if is_json(text) {
        let table = header.trim_matches(['[', ']']).trim_start_matches("step.");
        return json_line(
            text,
            &[
                JsonStep::Key("step"),
                JsonStep::Index(n),
                JsonStep::Key(table),
                JsonStep::Index(r),
                JsonStep::Key(key),
            ],
        );
    }
    let lines: Vec<&str> = text.lines().collect();
    let step = step_line(text, n)?;
    let mut tables = 0;
    let mut inside = false;
    for (k, line) in lines.iter().enumerate().skip(step) {
        let line = line.trim();
        match line {
            "[[step]]" => return None,
            _ if line == header => {
                inside = tables == r;
                tables += 1;
            }
            _ if line.starts_with('[') => inside = false,
            _ if inside
                && line
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with('=')) =>
            {
                return Some(k + 1);
            }
            _ => {}
        }
    }
    None
}

/// A lesson's `data` with a relative file path taken from `folder`; generated sets, listed
/// points and absolute paths as written.
fn data_in(data: &str, folder: Option<&Path>) -> String {
    let generated = data.starts_with("gen:")
        || data.starts_with("points:")
        || super::regression::DataSpec::preset(data).is_some();
    match folder {
        Some(folder) if !generated && Path::new(data).is_relative() => {
            folder.join(data).to_string_lossy().into_owned()
        }
        _ => data.to_string(),
    }
}

fn read_step(
    text: &str,
    i: usize,
    step: StepFile,
    folder: Option<&Path>,
) -> Result<Step, LessonError> {
    // A step's key, with its own line when it can be found.
    let at = |field: &str, message: String| LessonError {
        line: step_key_line(text, i, field).or_else(|| step_line(text, i)),
        field: format!("step {}, {field}", i + 1),
        message,
    };
    // A run's key, with its own line when it can be found.
    let at_run = |r: usize, key: &str, message: String| LessonError {
        line: run_key_line(text, i, r, key).or_else(|| step_line(text, i)),
        field: format!("step {}, run {}, {key}", i + 1, r + 1),
        message,
    };
    // An expect's key, with its own line when it can be found.
    let at_expect = |c: usize, key: &str, message: String| LessonError {
        line: table_key_line(text, i, "[[step.expect]]", c, key).or_else(|| step_line(text, i)),
        field: format!("step {}, expect {}, {key}", i + 1, c + 1),
        message,
    };
    if step.title.trim().is_empty() {
        return Err(at(
            "title",
            "empty: a few words for the step list, e.g. title = \"Too large\"".to_string(),
        ));
    }
    if let Some((name, options)) = step.function.split_once(" --") {
        return Err(at("function", options_as_keys(name.trim(), options)));
    }
    if step.data.as_deref().is_some_and(|d| d.trim().is_empty()) {
        return Err(at(
            "data",
            "empty: give a CSV file (beside the lesson), gen:... or a seed preset such as seed001"
                .to_string(),
        ));
    }
    let data = step.data.as_deref().map(|d| data_in(d, folder));
    if let Some(dim) = step.dim {
        let max = super::presets::MAX_WINDOW_DIM as i64;
        if step.function.trim() != "sum-squares" {
            return Err(at(
                "dim",
                "dim is the dimension of function = \"sum-squares\"; remove it".to_string(),
            ));
        }
        if !(1..=max).contains(&dim) {
            return Err(at(
                "dim",
                format!(
                    "{dim} is not allowed; the window shows sum-squares in 1 to {max} dimensions"
                ),
            ));
        }
    }
    let dim_text = step.dim.map(|d| d.to_string());
    let function = FunctionSpec::from_options(
        &step.function,
        dim_text.as_deref(),
        data.as_deref(),
        step.standardize,
    )
            .map_err(|e| {
                // The lesson's field, not the command-line option, is named.
                let field = e.flag.trim_start_matches("--");
                let field = if field == "dim" { "function" } else { field };
                at(
                    field,
                    if e.message.starts_with("regression needs data") {
                        "function = \"regression\" needs its data: data = \"FILE.csv\" (beside the lesson), data = \"gen:a=4,b=3,sigma=1,n=100\" or data = \"seed001\"".to_string()
                    } else {
                        e.message
                            .replace("--function regression", "function = \"regression\"")
                    },
                )
            })?;
    let regression = function.is_regression();
    if !regression && (step.epochs.is_some() || step.data.is_some()) {
        return Err(at(
            "epochs",
            "data and epochs are for function = \"regression\"".to_string(),
        ));
    }
    if !regression && !step.shuffle {
        return Err(at(
            "shuffle",
            "shuffle is for function = \"regression\"".to_string(),
        ));
    }
    if !regression && step.seed.is_some() {
        return Err(at(
            "seed",
            "seed (of the lab's shuffles) is for function = \"regression\"".to_string(),
        ));
    }
    if regression
        && !step
            .epochs
            .is_some_and(|e| (1..=MAX_STEP_EPOCHS).contains(&e))
    {
        let given = step
            .epochs
            .map_or("missing".to_string(), |e| format!("{e} is not allowed"));
        return Err(at(
            "epochs",
            format!("{given}; the regression lab needs epochs = 1 to {MAX_STEP_EPOCHS}"),
        ));
    }
    let dim = function.dim();
    let view = step
        .view
        .as_deref()
        .map(|v| {
            if dim > 2 {
                // The window slices x1 and x2 through the function's own box.
                return Err(format!(
                    "sum-squares in {dim} dimensions is shown over its own box, [-10, 10] for each coordinate: remove view"
                ));
            }
            parse_view(v, dim)
        })
        .transpose()
        .map_err(|e| at("view", e))?;
    // A run's start in the view, where f is finite, shows that the view is not empty
    // however small the region where f is finite (the start itself is checked later).
    let start_in = |view: &[Interval], objective: &dyn Objective| {
        step.runs.iter().any(|run| {
            run.start.len() == view.len()
                && run
                    .start
                    .iter()
                    .zip(view)
                    .all(|(v, r)| r.lo <= *v && *v <= r.hi)
                && objective.in_domain(&run.start)
                && objective.value(&run.start).is_finite()
        })
    };
    if let Some(view) = &view
        && !regression
        && let Ok(built) = function.build()
        && !start_in(view, built.objective.as_ref())
        && crate::engine::objective::finite_point_in(built.objective.as_ref(), view).is_none()
    {
        return Err(at(
            "view",
            format!(
                "f is finite nowhere in this view, so it would show nothing; {}'s domain: {}",
                step.function,
                built.objective.info().domain
            ),
        ));
    }
    if let Some(layout) = &step.layout
        && !["2d", "3d", "both"].contains(&layout.as_str())
    {
        return Err(at("layout", format!("'{layout}' is not 2d, 3d or both")));
    }
    if let Some(bad) = step.show.iter().find(|s| !SHOWABLE.contains(&s.as_str())) {
        return Err(at(
            "show",
            format!("'{bad}' is not one of {}", SHOWABLE.join(", ")),
        ));
    }
    if !regression && step.show.iter().any(|s| s == "batch-contours") {
        return Err(at(
            "show",
            "batch-contours is for function = \"regression\"".to_string(),
        ));
    }
    // A curve is drawn with its tangent, in one view: the surface's views do not apply.
    if dim == 1 {
        if let Some(layout) = step.layout.as_deref().filter(|l| *l != "2d") {
            return Err(at(
                "layout",
                format!(
                    "'{layout}' shows a surface; {} is a curve f(x): remove layout or set \"2d\"",
                    step.function
                ),
            ));
        }
        if let Some(bad) = step.show.iter().find(|s| *s != "tangent") {
            return Err(at(
                "show",
                format!(
                    "'{bad}' is for a function of x and y; {} is a curve f(x), drawn with its tangent",
                    step.function
                ),
            ));
        }
    }
    for (name, value, most) in [
        ("title", &step.title, MAX_TITLE),
        ("text", &step.text, MAX_TEXT),
    ] {
        let count = value.chars().count();
        if count > most {
            return Err(at(name, format!("{count} characters; at most {most}")));
        }
    }
    if regression && step.iterations.is_some() {
        return Err(at(
            "iterations",
            "the regression lab counts epochs: set epochs instead".to_string(),
        ));
    }
    let iterations = step.iterations.unwrap_or(0);
    if !regression && !(1..=MAX_STEP_ITERATIONS).contains(&iterations) {
        let given = step
            .iterations
            .map_or("missing".to_string(), |n| format!("{n} is not allowed"));
        return Err(at(
            "iterations",
            format!("{given}; set iterations = 1 to {MAX_STEP_ITERATIONS}"),
        ));
    }
    if step.runs.is_empty() || step.runs.len() > MAX_STEP_RUNS {
        return Err(at(
            "run",
            format!("a step sets 1 to {MAX_STEP_RUNS} runs ([[step.run]])"),
        ));
    }
    let runs = step
        .runs
        .into_iter()
        .enumerate()
        .map(|(r, run)| {
            let kind = OptimizerKind::from_name(&run.optimizer)
                .map_err(|e| at_run(r, "optimizer", e.to_string()))?;
            let mut optimizer = OptimizerConfig::new(kind, run.lr);
            for (flag, value) in [
                ("momentum", run.momentum),
                ("beta1", run.beta1),
                ("beta2", run.beta2),
            ] {
                if let Some(v) = value {
                    if !kind.hyperparameters().iter().any(|h| h.flag == flag) {
                        return Err(at_run(r, flag, format!("{} does not use it", kind.name())));
                    }
                    optimizer.set(flag, v);
                }
            }
            optimizer.clip = run.clip;
            optimizer.validate().map_err(|e| {
                // The key that holds the value, not the optimizer, is named.
                let key = match &e {
                    crate::engine::EngineError::BadHyperparameter { name, .. } => {
                        if *name == "learning rate" { "lr" } else { name }
                    }
                    _ => "optimizer",
                };
                at_run(r, key, e.to_string())
            })?;
            if run.start.len() != dim || run.start.iter().any(|v| !v.is_finite()) {
                // A long start is cut: its length says enough.
                let mut given: Vec<String> =
                    run.start.iter().take(8).map(|v| format!("{v}")).collect();
                if run.start.len() > 8 {
                    given.push(format!("... {} numbers in all", run.start.len()));
                }
                return Err(at_run(
                    r,
                    "start",
                    format!(
                        "[{}] is not {dim} finite number(s), as {} needs",
                        given.join(", "),
                        step.function
                    ),
                ));
            }
            // The domain and the bounds on a start (the regression's data are read when the
            // step is shown).
            if !regression && let Ok(built) = function.build() {
                RunSpec {
                    optimizer,
                    start: run.start.clone(),
                    max_iters: 1,
                    tol: 0.0,
                }
                .validate(built.objective.as_ref())
                .map_err(|e| at_run(r, "start", e.to_string()))?;
            }
            if run.batch.is_some() && !regression {
                return Err(at_run(
                    r,
                    "batch",
                    format!(
                        "batch (points per step) is for function = \"regression\"; {} has no points: remove batch",
                        step.function
                    ),
                ));
            }
            if run.batch == Some(0) {
                return Err(at_run(
                    r,
                    "batch",
                    "0 is not allowed; a batch takes 1 point or more".to_string(),
                ));
            }
            Ok(StepRun {
                optimizer,
                start: run.start,
                batch: run.batch,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if regression && runs.iter().all(|run| run.batch.is_none()) {
        let (key, what) = if let Some(seed) = step.seed {
            ("seed", format!("seed = {seed}"))
        } else {
            ("shuffle", "shuffle = false".to_string())
        };
        if step.seed.is_some() || !step.shuffle {
            return Err(at(
                key,
                format!(
                    "{what} sets the order of mini-batches, but every run takes all the points at once: set batch in a run, or remove {key}"
                ),
            ));
        }
    }
    if let Some(seed) = step.seed.filter(|_| !step.shuffle) {
        return Err(at(
            "seed",
            format!(
                "seed = {seed} sets the shuffles, which shuffle = false turns off: remove one of them"
            ),
        ));
    }
    let step_function = function.to_string();
    // A typed formula's minima are those `descent critical` finds in the step's view.
    let known_minima = if regression || step.expects.iter().all(|c| c.minimum.is_none()) {
        None
    } else {
        function.build().ok().map(|f| {
            let box_ = view
                .clone()
                .unwrap_or_else(|| f.objective.info().view.clone());
            super::basins::minima_for(f.objective.as_ref(), &box_).len()
        })
    };
    // The lab's data size when it is known before the data are read: the step budget and
    // the batch sizes are checked here.
    let points = match &function {
        FunctionSpec::Regression { data, .. } => match data {
            super::function::DataSource::Generated(spec) => Some(spec.n),
            super::function::DataSource::Points(data) => Some(data.len()),
            // A missing file, a directory or a device is reported with the lesson; the
            // file is read (in the background) when its step is shown, so a large one never
            // holds up opening the lesson. A pipe or a device could block: refused.
            super::function::DataSource::Csv(path) => {
                let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir());
                if special {
                    return Err(at(
                        "data",
                        format!("'{}' is not a regular file", path.display()),
                    ));
                }
                super::regression::open_data_file(path).map_err(|e| at("data", e.to_string()))?;
                None
            }
        },
        _ => None,
    };
    if let (Some(n), Some(epochs)) = (points, step.epochs) {
        for (r, run) in runs.iter().enumerate() {
            let size = run.batch.unwrap_or(n);
            if size > n {
                return Err(at_run(
                    r,
                    "batch",
                    format!("{size} is more than the data's {n} points"),
                ));
            }
            let steps = epochs.saturating_mul(n.div_ceil(size.max(1)) as u64);
            if steps > super::run::MAX_ITERATIONS {
                return Err(at_run(
                    r,
                    "batch",
                    format!(
                        "{epochs} epochs of batches of {size} over {n} points are {steps} steps; at most {}",
                        super::run::MAX_ITERATIONS
                    ),
                ));
            }
        }
    }
    let expect = step
        .expects
        .into_iter()
        .enumerate()
        .map(|(c, claim)| {
            if claim.run == 0 || claim.run > runs.len() {
                return Err(at_expect(c, "run",
                    format!(
                        "{} is not a run of this step, which has {} (run = 1{})",
                        claim.run,
                        runs.len(),
                        if runs.len() > 1 {
                            format!(" to {}", runs.len())
                        } else {
                            String::new()
                        }
                    ),
                ));
            }
            if let Some(p) = &claim.at
                && let Some(&v) = p.iter().find(|v| super::format::subnormal(**v))
            {
                return Err(at_expect(
                    c,
                    "at",
                    format!(
                        "{} {}; write 0 or a larger number",
                        super::format::human(v),
                        super::format::UNDERFLOW
                    ),
                ));
            }
            if let Some(p) = &claim.at
                && (p.len() != dim || p.iter().any(|v| !v.is_finite()))
            {
                let given: Vec<String> = p.iter().map(|v| format!("{v}")).collect();
                return Err(at_expect(c, "at",
                    format!(
                        "[{}] is not a point of {}: give {dim} finite number(s)",
                        given.join(", "),
                        step.function
                    ),
                ));
            }
            if claim.outcome == Outcome::Diverges {
                for (name, given) in [
                    ("at", claim.at.is_some()),
                    ("minimum", claim.minimum.is_some()),
                    ("within", claim.within.is_some()),
                ] {
                    if given {
                        return Err(at_expect(
                            c,
                            name,
                            "a run that diverges ends nowhere: give it for converges or falls-short"
                                .to_string(),
                        ));
                    }
                }
            }
            if claim.by.is_some() && claim.outcome != Outcome::Converges {
                return Err(at_expect(c, "by",
                    format!(
                        "by (the iteration a run is there by) is for outcome = \"converges\", not \"{}\"",
                        claim.outcome.to_string().replace(' ', "-")
                    ),
                ));
            }
            if claim.minimum == Some(0) {
                return Err(at_expect(c, "minimum",
                    "minima are counted from 1, in the order descent critical lists them"
                        .to_string(),
                ));
            }
            if claim.minimum.is_some() && claim.at.is_some() {
                return Err(at_expect(c, "minimum",
                    "give either minimum or at, not both".to_string(),
                ));
            }
            let within = claim.within.unwrap_or(DEFAULT_WITHIN);
            if !(within.is_finite() && within > 0.0) || super::format::subnormal(within) {
                return Err(at_expect(c, "within",
                    format!(
                        "{} is not allowed; a finite number > 0 (at least about 2.2e-308), e.g. 0.001",
                        super::format::human(within)
                    ),
                ));
            }
            if let (Some(i), Some(known)) = (claim.minimum, known_minima)
                && !(1..=known).contains(&i)
            {
                return Err(at_expect(c, "minimum",
                    if known == 0 {
                        format!(
                            "{step_function} has no minimum in the step's view to count: give the place instead, at = [x, y]"
                        )
                    } else {
                        format!("{step_function} has {known} known minim{}, not {i}", if known == 1 { "um" } else { "a" })
                    },
                ));
            }
            if let Some(by) = claim.by
                && (by == 0 || (!regression && by > iterations))
            {
                return Err(at_expect(c, "by",
                    format!("{by} is not an iteration of the step (1 to {iterations})"),
                ));
            }
            Ok(Claim {
                run: claim.run,
                outcome: claim.outcome,
                minimum: claim.minimum,
                at: claim.at,
                within,
                by: claim.by,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Step {
        title: step.title,
        text: paragraphs(&step.text),
        function,
        view,
        layout: step.layout,
        show: step.show,
        play: step.play,
        iterations,
        epochs: step.epochs,
        seed: step.seed.unwrap_or(0),
        shuffle: step.shuffle,
        runs,
        expect,
    })
}

/// A step's text as paragraphs: lines broken in the file join with a space; a blank line, or
/// a line that starts with "Try:", starts a new paragraph.
fn paragraphs(text: &str) -> String {
    let mut out = String::new();
    for line in text.trim().lines().map(str::trim) {
        if line.is_empty() || line.starts_with("Try:") {
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push_str("\n\n");
            }
        } else if !out.is_empty() && !out.ends_with('\n') {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// The built-in lessons' names and titles, read once.
pub fn built_in_titles() -> &'static [(&'static str, String)] {
    static TITLES: std::sync::OnceLock<Vec<(&'static str, String)>> = std::sync::OnceLock::new();
    TITLES.get_or_init(|| {
        BUILT_IN
            .iter()
            .map(|(name, text)| {
                let title = parse(name, text).map_or_else(|_| name.to_string(), |l| l.title);
                (*name, title)
            })
            .collect()
    })
}

/// The built-in lesson called `name`.
pub fn built_in(name: &str) -> Result<Lesson, LessonError> {
    let (name, text) = BUILT_IN
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| LessonError {
            line: None,
            field: "--lesson".to_string(),
            message: format!(
                "no lesson '{name}'; lessons: {}",
                BUILT_IN.map(|(n, _)| n).join(", ")
            ),
        })?;
    parse(name, text)
}

/// How a claim turned out.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// The claim.
    pub claim: Claim,
    /// Whether the run does what the claim says.
    pub holds: bool,
    /// What the run did, in words.
    pub observed: String,
}

/// How many iterations, over all its claims, a lesson may take to be checked when it opens
/// (a few tens of milliseconds); a step that needs more is left to the tests.
pub const CLAIM_BUDGET: u64 = 2_000_000;

/// Checks the claims of every step of `lesson` whose runs fit in [`CLAIM_BUDGET`] (the
/// regression lab's steps on a CSV file, whose data are read later, are not checked): the
/// first claim that does not hold is an error saying what the run did instead. Returns the
/// steps (from 1) whose claims were not checked.
pub fn check_claims(lesson: &Lesson) -> Result<Vec<usize>, LessonError> {
    let mut spent = 0u64;
    let mut unchecked = Vec::new();
    for (i, step) in lesson.steps.iter().enumerate() {
        if step.expect.is_empty() {
            continue;
        }
        let cost = match &step.function {
            FunctionSpec::Regression { data, .. } => match data {
                super::function::DataSource::Csv(_) => u64::MAX,
                _ => step.epochs.unwrap_or(0).saturating_mul(1000),
            },
            _ => step.iterations,
        }
        .saturating_mul(step.expect.len() as u64);
        spent = spent.saturating_add(cost);
        if spent > CLAIM_BUDGET {
            spent = spent.saturating_sub(cost);
            unchecked.push(i + 1);
            continue;
        }
        let verdicts = check_step(step).map_err(|message| LessonError {
            line: None,
            field: format!("step {}", i + 1),
            message,
        })?;
        if let Some((c, verdict)) = verdicts.iter().enumerate().find(|(_, v)| !v.holds) {
            return Err(LessonError {
                line: None,
                field: format!("step {}, expect {}", i + 1, c + 1),
                message: format!(
                    "the lesson says run {} {}, but {}",
                    verdict.claim.run, verdict.claim.outcome, verdict.observed
                ),
            });
        }
    }
    Ok(unchecked)
}

/// Runs `step`'s runs with the engine and checks each of its claims.
pub fn check_step(step: &Step) -> Result<Vec<Verdict>, String> {
    let function = step.function.build().map_err(|e| e.to_string())?;
    let objective = function.objective.clone();
    // A preset's minima, or those a typed formula has in the step's view.
    let view = step
        .view
        .clone()
        .unwrap_or_else(|| objective.info().view.clone());
    // (Searched for only when a claim is about them: `at` names its own place.)
    let minima = if function.data.is_some() || step.expect.iter().all(|c| c.at.is_some()) {
        objective.info().minima.clone()
    } else {
        super::basins::minima_for(objective.as_ref(), &view)
    };
    let known = minima.len();
    step.expect
        .iter()
        .map(|claim| {
            if let Some(i) = claim.minimum
                && !(1..=known).contains(&i)
            {
                return Err(format!(
                    "expect minimum {i}: {} has {known} known minima",
                    step.function
                ));
            }
            let setup = &step.runs[claim.run - 1];
            let batch = setup.batch.map(|size| BatchSpec {
                size,
                seed: step.seed,
                shuffle: step.shuffle,
            });
            let iterations = match (&function.data, step.epochs) {
                (Some(data), Some(epochs)) => {
                    let per_epoch = batch.map_or(1, |b| b.steps_per_epoch(data.len()));
                    epochs * per_epoch as u64
                }
                _ => step.iterations,
            };
            let spec = RunSpec {
                optimizer: setup.optimizer,
                start: setup.start.clone(),
                max_iters: iterations,
                tol: 0.0,
            };
            let mut run = match (&function.data, batch) {
                (Some(data), Some(batch)) => {
                    Run::with_batches(objective.clone(), spec, data.clone(), batch)
                }
                _ => Run::new(objective.clone(), spec),
            }
            .map_err(|e| e.to_string())?;
            let stop = run.finish_all();
            Ok(judge(&minima, claim, &run, stop))
        })
        .collect()
}

fn judge(minima: &[Vec<f64>], claim: &Claim, run: &Run, stop: StopReason) -> Verdict {
    let path = run.path();
    let last = path.last_point().to_vec();
    let distance = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f64>()
            .sqrt()
    };
    let target = match (&claim.at, claim.minimum) {
        (Some(at), _) => Some(at.clone()),
        // Checked against the function when the step is checked: no such minimum, no target.
        (None, Some(i)) => i.checked_sub(1).and_then(|i| minima.get(i)).cloned(),
        (None, None) => minima
            .iter()
            .min_by(|a, b| distance(a, &last).total_cmp(&distance(b, &last)))
            .cloned(),
    };
    let blew_up = matches!(stop, StopReason::Diverged | StopReason::LeftDomain)
        || path.last_value() > path.value(0);
    let off = target.as_deref().map(|t| distance(t, &last));
    let arrived = |k: usize| {
        target
            .as_deref()
            .is_some_and(|t| distance(t, path.point(k)) <= claim.within)
    };
    let there = !blew_up && off.is_some_and(|d| d <= claim.within);
    let holds = match claim.outcome {
        Outcome::Converges => {
            there
                && claim.by.is_none_or(|by| {
                    let k = usize::try_from(by).unwrap_or(usize::MAX);
                    k < path.len() && arrived(path.index_of(k))
                })
        }
        Outcome::Diverges => blew_up,
        Outcome::FallsShort => !blew_up && !there,
    };
    // When it got there, for a claim about by which iteration it would.
    let first_there = claim.by.and(
        path.samples()
            .map(|(k, _)| k)
            .find(|&k| arrived(path.index_of(k))),
    );
    let observed = format!(
        "run {} stopped ({stop}) after {} iterations at {}, f = {}{}{}",
        claim.run,
        run.iterations(),
        super::format::point(&last),
        super::format::human(path.last_value()),
        off.map(|d| format!(
            ", {} away from {}",
            super::format::human(d),
            super::format::point(target.as_deref().unwrap_or_default())
        ))
        .unwrap_or_default(),
        match (claim.by, first_there) {
            (Some(by), Some(k)) => format!(
                "; it came within {} of it first at iteration {k}, not by {by}",
                super::format::human(claim.within)
            ),
            _ => String::new(),
        }
    );
    Verdict {
        claim: claim.clone(),
        holds,
        observed,
    }
}
